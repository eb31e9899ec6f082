//! The one place where the window's state changes: each command, and each
//! finished job's result. Work on the store goes to jobs from here.

use std::path::PathBuf;

use super::TramgisApp;
use super::queries::{self, QueryLayer};
use crate::gpkg::GeoPackage;
use crate::render::LayerStyle;
use crate::ui::command::{AppCommand, SelectMode};
use crate::ui::i18n::{Key, tr};
use crate::ui::jobs::{Finished, JobKind, JobOutput};
use crate::ui::map::{self, Bbox, ScreenView, Selection, View};
use crate::ui::panels::table::AttributeTable;
use crate::ui::panels::transfer::{ExportDialog, ImportDialog, ReportWindow, Request};

impl TramgisApp {
    /// Applies the commands sent so far, in order.
    pub(super) fn apply_all(&mut self) {
        while !self.commands.is_empty() {
            let batch = std::mem::take(&mut self.commands);
            for c in batch {
                self.apply(c);
            }
        }
    }

    /// Carries out one command.
    pub fn apply(&mut self, command: AppCommand) {
        match command {
            AppCommand::Open(path) => self.open(path),
            AppCommand::SaveAs(path) => self.save_as(path),
            AppCommand::SetMapCrs(crs) => self.set_map_crs(crs),
            AppCommand::SetLanguage(lang) => self.lang = lang,
            AppCommand::Quit => self.quit = true,
            AppCommand::ZoomFull => self.view = None,
            AppCommand::ZoomBy(factor) => {
                if let Some(r) = self.map_rect {
                    self.zoom_at(r.center(), factor);
                }
            }
            AppCommand::ZoomToBox(b) => {
                if let Some(rect) = self.map_rect {
                    self.view_follows_data = false;
                    self.view = Some(View::fit_screen(b, rect));
                }
            }
            AppCommand::ZoomToLayer(layer) => {
                if let Some(e) = self.layer(&layer).and_then(|l| l.extent()) {
                    self.zoom_to(e);
                }
            }
            AppCommand::ZoomToFeature { layer, fid } => self.zoom_to_feature(&layer, fid),
            AppCommand::ZoomToSelection => self.zoom_to_selection(),
            AppCommand::SetView(v) => {
                self.view_follows_data = false;
                self.view = Some(v);
            }
            AppCommand::PanBy(d) => {
                if let Some(v) = &mut self.view {
                    v.centre[0] -= f64::from(d.x) * v.resolution;
                    v.centre[1] += f64::from(d.y) * v.resolution;
                    self.view_follows_data = false;
                }
            }
            AppCommand::ZoomAt { anchor, factor } => self.zoom_at(anchor, factor),
            AppCommand::SetTool(tool) => {
                if tool != self.tool.kind() {
                    self.tool = tool.make();
                }
            }
            AppCommand::SetActiveLayer(layer) => self.active_layer = layer,
            AppCommand::SetVisible { layer, visible } => {
                if let Some(l) = self.layer_mut(&layer) {
                    l.visible = visible;
                }
            }
            AppCommand::SetOpacity {
                layer,
                opacity,
                save,
            } => self.set_opacity(&layer, opacity, save),
            AppCommand::MoveLayer { from, to } => self.move_layer(from, to),
            AppCommand::SetLabelField { layer, field } => self.set_label_field(&layer, field),
            AppCommand::SetStyle { layer, style } => self.set_style(&layer, style),
            AppCommand::OpenStyleEditor(layer) => {
                if let Some(l) = self.layer(&layer) {
                    let editor = crate::ui::panels::style_editor::StyleEditor::new(
                        l.info.clone(),
                        l.style.clone(),
                    );
                    self.panels.style_editor = Some(editor);
                }
            }
            AppCommand::OpenTable(layer) => self.open_table(&layer),
            AppCommand::ClearSelection => self.selection.clear(),
            AppCommand::SelectFeatures { layer, fids } => {
                self.selection.insert(layer, fids.into_iter().collect());
            }
            AppCommand::SelectIn { area, mode } => self.select_in(area, mode),
            AppCommand::SelectAt {
                at,
                tolerance,
                mode,
            } => self.select_at(at, tolerance, mode),
            AppCommand::IdentifyAt { at, tolerance } => self.identify_at(at, tolerance),
            AppCommand::OpenImport(path) => self.open_import(path),
            AppCommand::OpenExport => {
                self.panels.export = Some(ExportDialog::new(&self.layer_infos()));
            }
            AppCommand::OpenRepairText => {
                self.panels.repair = Some(crate::ui::panels::repair_text::RepairTextDialog::new(
                    &self.layer_infos(),
                ));
            }
            AppCommand::OpenAnalysis => self.open_analysis(),
            AppCommand::OpenPrint => self.open_print(),
            AppCommand::OpenSync => self.open_sync(),
            AppCommand::StartSync { label, task } => self.start_sync(label, *task),
            AppCommand::SetAnalysisArea(area) => self.area_drawn(area),
            AppCommand::StartTransfer(request) => self.start_transfer(request),
            AppCommand::ReloadWorkspace => self.open(self.workspace.clone()),
            AppCommand::LoadLayers(layers) => {
                for layer in layers {
                    self.reload_layer(&layer);
                }
            }
            AppCommand::Notify(text) => {
                self.notifications.info(text);
            }
            AppCommand::DismissNotification(id) => self.notifications.dismiss(id),
            AppCommand::DismissAllNotifications => self.notifications.dismiss_all(),
            AppCommand::ShowNotifications(open) => self.notifications.open = open,
            edit @ (AppCommand::StartEditing(_)
            | AppCommand::StopEditing(_)
            | AppCommand::Edit(_)
            | AppCommand::Undo
            | AppCommand::Redo
            | AppCommand::DeleteSelected
            | AppCommand::MergeSelected
            | AppCommand::SetSnapping { .. }
            | AppCommand::SetTopological(_)
            | AppCommand::SetAvoidOverlaps(_)
            | AppCommand::PasteSelectionInto(_)
            | AppCommand::OffsetSelected(_)
            | AppCommand::SketchPoint(_)
            | AppCommand::SetUserName(_)) => self.apply_edit(edit),
            AppCommand::OpenAttributeForm { layer, fid } => self.open_attribute_form(&layer, fid),
            AppCommand::OpenValidation => self.open_validation(),
            AppCommand::OpenGnss => self.open_gnss(),
            AppCommand::Write(origin, write) => self.write(origin, write),
        }
    }

    /// Takes in what a job finished with.
    pub(super) fn take_finished(&mut self, f: Finished) {
        let Finished {
            kind,
            label,
            result,
        } = f;
        if kind == JobKind::Load {
            return self.loaded(result);
        }
        let lang = self.lang;
        match result {
            Ok(JobOutput::Loaded(_)) | Ok(JobOutput::StyleSaved) | Ok(JobOutput::OrderSaved) => {}
            Ok(JobOutput::Imported(report)) => {
                self.open(self.workspace.clone());
                self.panels.report = Some(ReportWindow {
                    open: true,
                    report: Ok(*report),
                });
            }
            Ok(JobOutput::Exported {
                written,
                path,
                warnings,
            }) => {
                let mut message = format!(
                    "{}: {written} → {}",
                    tr(lang, Key::Exported),
                    path.display()
                );
                // GDAL's warnings (a value too wide for a DBF field, ...).
                for w in warnings {
                    message.push('\n');
                    message.push_str(&w);
                }
                self.notifications.info(message);
            }
            Ok(JobOutput::Identified(found)) => self.panels.identify.results = found,
            Ok(JobOutput::Selected {
                mut selection,
                mode,
            }) => {
                selection.retain(|_, fids| !fids.is_empty());
                match mode {
                    // Taken as it is: 300,000 fids are not inserted again.
                    SelectMode::Replace => self.selection = selection,
                    SelectMode::Add => {
                        for (layer, fids) in selection {
                            self.selection.entry(layer).or_default().extend(fids);
                        }
                    }
                }
            }
            Ok(JobOutput::SavedAs(path)) => self.open(path),
            Ok(JobOutput::Synced(finished)) => self.synced(*finished),
            Err(e) if kind == JobKind::Import => {
                self.panels.report = Some(ReportWindow {
                    open: true,
                    report: Err(e.to_string()),
                });
            }
            Err(e) => {
                self.notifications
                    .error(format!("{}: {label}: {e}", tr(lang, Key::Failed)));
            }
        }
    }

    pub(super) fn layer(&self, name: &str) -> Option<&map::MapLayer> {
        self.scene
            .as_ref()
            .and_then(|s| s.layers.iter().find(|l| l.info.name == name))
    }

    fn layer_mut(&mut self, name: &str) -> Option<&mut map::MapLayer> {
        self.scene
            .as_mut()
            .and_then(|s| s.layers.iter_mut().find(|l| l.info.name == name))
    }

    pub(super) fn layer_infos(&self) -> Vec<crate::gpkg::LayerInfo> {
        self.scene
            .as_ref()
            .map(|s| s.layers.iter().map(|l| l.info.clone()).collect())
            .unwrap_or_default()
    }

    fn zoom_at(&mut self, anchor: egui::Pos2, factor: f64) {
        if let (Some(v), Some(r)) = (&mut self.view, self.map_rect) {
            v.zoom_at(r, anchor, factor);
            self.view_follows_data = false;
        }
    }

    fn zoom_to(&mut self, b: Bbox) {
        let Some(rect) = self.map_rect else { return };
        self.view_follows_data = false;
        // A point or a tiny feature: show 200 m around it.
        let pad = (b.width().max(b.height()) * 0.1).max(100.0);
        let (lo, hi) = (b.min(), b.max());
        self.view = Some(View::fit_screen(
            Bbox::new((lo.x - pad, lo.y - pad), (hi.x + pad, hi.y + pad)),
            rect,
        ));
    }

    /// Zooms to the envelope of every selected feature.
    pub fn zoom_to_selection(&mut self) {
        let Some(scene) = &self.scene else { return };
        let mut b: Option<Bbox> = None;
        for layer in &scene.layers {
            for fid in self.selection.get(&layer.info.name).into_iter().flatten() {
                if let Some(e) = layer.bbox_of(*fid) {
                    b = Some(map::union_box(b, e));
                }
            }
        }
        if let Some(b) = b {
            self.zoom_to(b);
        }
    }

    pub fn zoom_to_feature(&mut self, layer: &str, fid: i64) {
        if let Some(b) = self.layer(layer).and_then(|l| l.bbox_of(fid)) {
            self.zoom_to(b);
        }
    }

    /// Makes a tool the active one (a new one of its kind).
    pub fn set_tool(&mut self, tool: super::Tool) {
        self.apply(AppCommand::SetTool(tool));
    }

    /// Opens the attribute table of a map layer or of an attribute table.
    pub fn open_table(&mut self, layer: &str) {
        if self.tables.iter().any(|t| t.layer.name == layer) {
            return;
        }
        let info = self.layer(layer).map(|l| &l.info).or_else(|| {
            self.attribute_tables
                .iter()
                .map(|(t, _)| t)
                .find(|t| t.name == layer)
        });
        if let Some(info) = info {
            let table = AttributeTable::new(self.workspace.clone(), info.clone());
            self.tables.push(table);
        }
    }

    /// Labels a layer with a field (None: no labels) and reloads it. The
    /// label field is part of the layer's style, saved with it.
    pub fn set_label_field(&mut self, layer: &str, field: Option<String>) {
        // The newest style: one applied may still be on its way to the map.
        let current = self
            .map
            .styles
            .get(layer)
            .cloned()
            .or_else(|| self.layer(layer).map(|l| l.style.clone()));
        match current {
            Some(mut style) => {
                style.label_field = field;
                self.set_style(layer, style);
            }
            // Not loaded yet: the load in progress picks the choice up.
            None => {
                self.map.labels.insert(layer.to_string(), field);
                self.reload_layer(layer);
            }
        }
    }

    /// Restyles a layer and redraws it. The style is also saved in the
    /// workspace (in a job) as the layer's default QGIS style, so it is
    /// there next time, and in QGIS.
    pub fn set_style(&mut self, layer: &str, style: LayerStyle) {
        self.save_style(layer, &style);
        // The style's label field is the layer's from now on.
        self.map
            .labels
            .insert(layer.to_string(), style.label_field.clone());
        self.map.styles.insert(layer.to_string(), style);
        self.reload_layer(layer);
    }

    /// Draws a layer at an opacity; with `save`, the opacity becomes part
    /// of the layer's style and is saved (the map already draws it, so
    /// nothing is reloaded).
    fn set_opacity(&mut self, name: &str, opacity: f32, save: bool) {
        let stored = self.map.styles.get(name).cloned();
        let Some(layer) = self.layer_mut(name) else {
            return;
        };
        layer.opacity = opacity;
        if !save {
            return;
        }
        let mut style = stored.unwrap_or_else(|| layer.style.clone());
        style.opacity = opacity;
        layer.style.opacity = opacity;
        self.save_style(name, &style);
        self.map.styles.insert(name.to_string(), style);
    }

    fn save_style(&mut self, layer: &str, style: &LayerStyle) {
        let workspace = self.workspace.clone();
        let (layer, style) = (layer.to_string(), style.clone());
        let label = format!("{}: {layer}", tr(self.lang, Key::StyleNotSaved));
        self.jobs.start(JobKind::Write, label, move |_| {
            let mut gpkg = GeoPackage::open(&workspace)?;
            let geometry = gpkg.layer(&layer)?.schema.geometry_type;
            gpkg.save_style(
                &layer,
                &crate::gpkg::styles::StoredStyle {
                    name: format!("{layer} (tramgis)"),
                    qml: crate::render::qml::to_qml(&style, geometry),
                    sld: String::new(),
                    use_as_default: true,
                    description: format!("tramgis, {}", gpkg.user()),
                },
            )?;
            Ok(JobOutput::StyleSaved)
        });
    }

    /// Moves the layer at draw-order index `from` to index `to` (the
    /// others shift) and saves the new order in the workspace. Not while
    /// the workspace is loading: the layers still to come have their place
    /// in the stored order, which a move now would scramble.
    pub fn move_layer(&mut self, from: usize, to: usize) {
        if self.is_loading() && self.loading.reloading.is_none() {
            self.notifications.warn(tr(self.lang, Key::WaitForLoad));
            return;
        }
        let Some(scene) = &mut self.scene else { return };
        if from == to || from >= scene.layers.len() || to >= scene.layers.len() {
            return;
        }
        let layer = scene.layers.remove(from);
        scene.layers.insert(to, layer);
        for (k, l) in scene.layers.iter_mut().enumerate() {
            l.position = k;
        }
        let names: Vec<String> = scene.layers.iter().map(|l| l.info.name.clone()).collect();
        let workspace = self.workspace.clone();
        let label = tr(self.lang, Key::OrderNotSaved).to_string();
        self.jobs.start(JobKind::Write, label, move |_| {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            GeoPackage::open(&workspace)?.set_draw_order(&names)?;
            Ok(JobOutput::OrderSaved)
        });
    }

    /// A consistent copy of the workspace to a new file (in a job), then
    /// opened in its place.
    fn save_as(&mut self, path: PathBuf) {
        let workspace = self.workspace.clone();
        let label = format!("{} {}", tr(self.lang, Key::SaveAs), path.display());
        self.jobs.start(JobKind::Write, label, move |_| {
            GeoPackage::open_read_only(&workspace)?.save_as(&path)?;
            Ok(JobOutput::SavedAs(path))
        });
    }

    /// The visible layers the selection tools act on (the active layer
    /// alone when there is one), top first.
    fn query_layers(&self, only_active: bool) -> Vec<QueryLayer> {
        let Some(scene) = &self.scene else {
            return vec![];
        };
        scene
            .layers
            .iter()
            .rev()
            .filter(|l| l.visible)
            .filter(|l| {
                !only_active || self.active_layer.as_ref().is_none_or(|a| *a == l.info.name)
            })
            .map(QueryLayer::of)
            .collect()
    }

    /// Lists the features under a map point (in a job).
    pub fn identify_at(&mut self, at: [f64; 2], tolerance: f64) {
        let layers = self.query_layers(false);
        let (path, map_crs) = (self.workspace.clone(), self.map.crs.clone());
        self.jobs.start(JobKind::Identify, "identify", move |_| {
            let mut found = queries::identify(&path, &layers, &map_crs, at, tolerance)?;
            crate::ui::panels::identify::history::read(&path, &mut found)?;
            Ok(JobOutput::Identified(found))
        });
    }

    /// Selects the top feature under a map point in the active layer (or
    /// any visible one), in a job.
    fn select_at(&mut self, at: [f64; 2], tolerance: f64, mode: SelectMode) {
        let layers = self.query_layers(true);
        let (path, map_crs) = (self.workspace.clone(), self.map.crs.clone());
        self.jobs.start(JobKind::Select, "selection", move |_| {
            let found = queries::identify(&path, &layers, &map_crs, at, tolerance)?;
            let mut selection = Selection::new();
            if let Some(top) = found.first() {
                selection.insert(top.layer.clone(), [top.fid].into());
            }
            Ok(JobOutput::Selected { selection, mode })
        });
    }

    /// Selects the features whose geometry meets a map rectangle.
    pub fn select_box(&mut self, b: Bbox, add: bool) {
        self.select_in(geo_types::Geometry::Rect(b), SelectMode::from_shift(add));
    }

    /// Selects the features whose geometry meets a polygon (a ring of map
    /// points, closed or not), as QGIS's "select by polygon" does.
    pub fn select_polygon(&mut self, ring: &[[f64; 2]], add: bool) {
        let ring: Vec<geo_types::Coord<f64>> = ring
            .iter()
            .map(|p| geo_types::coord! { x: p[0], y: p[1] })
            .collect();
        let polygon = geo_types::Polygon::new(ring.into(), vec![]);
        self.select_in(
            geo_types::Geometry::Polygon(polygon),
            SelectMode::from_shift(add),
        );
    }

    /// Selects, in the visible layers the tools act on, the features that
    /// meet `area` (map coordinates), in a job.
    fn select_in(&mut self, area: geo_types::Geometry<f64>, mode: SelectMode) {
        let layers = self.query_layers(true);
        let (path, map_crs) = (self.workspace.clone(), self.map.crs.clone());
        let label = tr(self.lang, Key::ToolSelect).to_string();
        self.jobs.start(JobKind::Select, label, move |p| {
            let selection = queries::select(&path, &layers, &map_crs, &area, p)?;
            Ok(JobOutput::Selected { selection, mode })
        });
    }

    /// Opens the import dialog on a file, as File → Import does once the
    /// file is picked.
    pub fn open_import(&mut self, path: PathBuf) {
        self.panels.import = Some(ImportDialog::new(path, &self.layer_infos()));
    }

    /// Starts an import or export as a background job.
    fn start_transfer(&mut self, request: Request) {
        let workspace = self.workspace.clone();
        match request {
            Request::Import(options) => {
                let label = options.source.display().to_string();
                self.jobs.start(JobKind::Import, label, move |p| {
                    let mut gpkg = GeoPackage::open(&workspace)?;
                    let report = crate::io::import(&mut gpkg, &options, p)?;
                    Ok(JobOutput::Imported(Box::new(report)))
                });
            }
            Request::Export(options) => {
                let label = options.out.display().to_string();
                self.jobs.start(JobKind::Export, label, move |p| {
                    let gpkg = GeoPackage::open_read_only(&workspace)?;
                    let r = crate::io::export_layer_report(&gpkg, &options, p)?;
                    Ok(JobOutput::Exported {
                        written: r.written,
                        path: options.out.clone(),
                        warnings: r.warnings,
                    })
                });
            }
        }
    }
}
