//! Wiring of the attribute form, the validation panel and the GNSS panel:
//! opening them (commands), their menu, and showing them each frame.

use super::TramgisApp;
use crate::edit::Applied;
use crate::gpkg::LayerInfo;
use crate::model::GeometryType;
use crate::ui::command::AppCommand;
use crate::ui::edit::{EditFailure, Origin, Request, Write};
use crate::ui::i18n::{Key, tr};
use crate::ui::panels::attribute_form::AttributeForm;
use crate::ui::panels::gnss::GnssPanel;
use crate::ui::panels::validation::ValidationPanel;

impl TramgisApp {
    /// Opens the form of `fid` (None: the layer's first selected feature).
    pub(super) fn open_attribute_form(&mut self, layer: &str, fid: Option<i64>) {
        let fid = fid.or_else(|| {
            self.selection
                .get(layer)
                .and_then(|s| s.iter().next().copied())
        });
        let Some(fid) = fid else {
            self.notifications.warn(format!(
                "{layer}: {}",
                tr(self.lang, Key::NoFeatureSelected)
            ));
            return;
        };
        // The layer's description is the one cached with the map layer;
        // the feature is read in the background and fills the form.
        match self.layer(layer).map(|l| l.info.clone()) {
            Some(info) => {
                let form = AttributeForm::open(self.workspace.clone(), info, Some(fid), None);
                self.panels.attribute_form = Some(form);
            }
            None => {
                let why = tr(self.lang, Key::LayersNotLoaded);
                self.notifications.warn(format!("{layer}: {why}"));
            }
        }
    }

    pub(super) fn open_validation(&mut self) {
        let layer = self
            .active_layer
            .clone()
            .unwrap_or_else(|| self.polygon_layers().into_iter().next().unwrap_or_default());
        self.panels.validation = Some(ValidationPanel::new(&self.workspace, &layer));
    }

    pub(super) fn open_gnss(&mut self) {
        let mut panel = GnssPanel::new(&self.workspace);
        if let Some(l) = self.point_layers().into_iter().next() {
            panel.set_layer(l);
        }
        self.panels.gnss = Some(panel);
    }

    /// A panel's write goes to the editing thread, like a tool's edit.
    pub(super) fn write(&mut self, origin: Origin, write: Write) {
        self.editing_mut().send(Request::Write(origin, write));
    }

    /// The editing thread's answer to a panel's write goes back to it (the
    /// map is already redrawn); a panel closed meanwhile gets a notification.
    pub(super) fn take_written(&mut self, origin: Origin, result: Result<Applied, EditFailure>) {
        let result = match origin {
            Origin::AttributeForm => match &mut self.panels.attribute_form {
                Some(form) => return form.take_written(result),
                None => result,
            },
            Origin::Validation => match &mut self.panels.validation {
                Some(panel) => return panel.take_fix(result),
                None => result,
            },
            Origin::Gnss => match &mut self.panels.gnss {
                Some(panel) => return panel.take_written(result),
                None => result,
            },
        };
        if let Err(e) = result {
            self.notifications
                .error(format!("{}: {e}", tr(self.lang, Key::EditFailed)));
        }
    }

    /// The open attribute form (tests).
    pub fn attribute_form_mut(&mut self) -> Option<&mut AttributeForm> {
        self.panels.attribute_form.as_mut()
    }

    /// The map layers' cached descriptions (no store read) of a geometry type.
    fn layers_of(&self, keep: impl Fn(GeometryType) -> bool) -> Vec<LayerInfo> {
        self.layer_infos()
            .into_iter()
            .filter(|l| keep(l.schema.geometry_type))
            .collect()
    }

    fn polygon_layers(&self) -> Vec<String> {
        let polygons = |g| matches!(g, GeometryType::Polygon | GeometryType::MultiPolygon);
        self.layers_of(polygons)
            .into_iter()
            .map(|l| l.name)
            .collect()
    }

    fn point_layers(&self) -> Vec<LayerInfo> {
        self.layers_of(|g| matches!(g, GeometryType::Point | GeometryType::MultiPoint))
    }

    /// The menu entries that open these panels.
    pub(super) fn field_panels_menu(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang;
        if let Some(layer) = self.active_layer.clone()
            && ui.button(tr(lang, Key::OpenAttributeForm)).clicked()
        {
            ui.close();
            self.commands
                .push(AppCommand::OpenAttributeForm { layer, fid: None });
        }
        if ui.button(tr(lang, Key::OpenValidation)).clicked() {
            ui.close();
            self.commands.push(AppCommand::OpenValidation);
        }
        if ui.button(tr(lang, Key::OpenGnss)).clicked() {
            ui.close();
            self.commands.push(AppCommand::OpenGnss);
        }
    }

    /// Shows the open panels (each frame).
    pub(super) fn field_panels(&mut self, ctx: &egui::Context) {
        let lang = self.lang;
        let mut asked = Vec::new();
        let editing = self.editing.as_ref();
        if let Some(form) = &mut self.panels.attribute_form {
            // As in QGIS, the form is read-only unless its layer is in editing.
            form.editable = editing.is_some_and(|e| e.is_editing(&form.layer.name));
            asked.extend(form.show(ctx, lang));
            if !form.open && !form.is_busy() {
                self.panels.attribute_form = None;
            }
        }
        let polygons = self.polygon_layers();
        if let Some(panel) = &mut self.panels.validation {
            asked.extend(panel.show(ctx, lang, &polygons));
            if !panel.open {
                self.panels.validation = None;
            }
        }
        let points = self.point_layers();
        if let Some(panel) = &mut self.panels.gnss {
            let selected = panel
                .layer
                .as_ref()
                .and_then(|l| self.selection.get(&l.name))
                .and_then(|s| s.iter().next().copied());
            asked.extend(panel.show(ctx, lang, &points, selected));
            if let Some(form) = panel.new_point.take() {
                self.panels.attribute_form = Some(form);
            }
            if !panel.open {
                self.panels.gnss = None;
            }
        }
        self.commands.extend(asked);
    }
}
