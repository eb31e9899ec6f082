//! The GNSS panel for field laptops: connects to gpsd (host:port), shows
//! its status, the position and its horizontal accuracy, and adds a point
//! at the current position to a point layer (or moves the selected
//! feature there), writing the fix's accuracy and time into chosen fields
//! (edit::gnss's point_at_fix / move_to_fix). A new point goes through
//! the attribute form; a move is an `AppCommand::Write` of the workspace's
//! editing thread (one edit, undoable, redrawn incrementally; the layer
//! must be in editing). The panel never reads the store on the UI
//! thread: the layer's description is the one cached with the map layer,
//! and a new point's defaults are read in the background.

use std::path::{Path, PathBuf};

use crate::crs::{Crs, Transformer};
use crate::edit::Applied;
use crate::edit::gnss::{self, Fix, FixFields, FixMode, GnssError, GpsdClient, GpsdStatus};
use crate::edit::rules::FieldRules;
use crate::gpkg::LayerInfo;
use crate::ui::command::AppCommand;
use crate::ui::edit::{EditFailure, Origin, Write};
use crate::ui::i18n::{Key, Lang, tr};
use crate::ui::jobs::{JobError, StoreRead};
use crate::ui::panels::attribute_form::{AttributeForm, FormError};

/// Where the fix goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    NewPoint,
    Move(i64),
}

pub struct GnssPanel {
    path: PathBuf,
    pub address: String,
    client: Option<GpsdClient>,
    /// The point layer written to, with its fields.
    pub layer: Option<LayerInfo>,
    pub fields: FixFields,
    /// A move sent to the editing thread and not answered yet.
    pending: bool,
    pub error: Option<String>,
    pub written: Option<Applied>,
    /// The form of a new point at the fix, for the user to complete
    /// (required fields) before it is written; the app shows it.
    pub new_point: Option<AttributeForm>,
    /// The new point's form being read (the layer's rules and defaults).
    new_point_read: Option<StoreRead<Box<AttributeForm>>>,
    pub open: bool,
    /// WGS 84 → the map's CRS, kept until the map's CRS changes.
    to_map: Option<(Crs, Transformer)>,
}

/// The latest fix as the map draws it, in map coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixMark {
    pub at: [f64; 2],
    /// A point `horizontal_accuracy_m` north of `at` (the circle's radius
    /// in any map CRS, degrees included); None without an estimate.
    pub accuracy_edge: Option<[f64; 2]>,
    /// The fix's horizontal accuracy, metres, the circle drawn from.
    pub accuracy_m: Option<f64>,
}

/// Metres per degree of latitude (WGS 84, mean): the accuracy is small,
/// so the circle's edge is taken this far north.
const METRES_PER_DEGREE: f64 = 111_132.0;

impl GnssPanel {
    pub fn new(path: &Path) -> Self {
        GnssPanel {
            path: path.to_path_buf(),
            address: gnss::DEFAULT_ADDRESS.replace("127.0.0.1", "localhost"),
            client: None,
            layer: None,
            fields: FixFields::default(),
            pending: false,
            error: None,
            written: None,
            new_point: None,
            new_point_read: None,
            open: true,
            to_map: None,
        }
    }

    pub fn connect(&mut self, ctx: Option<&egui::Context>) {
        let ctx = ctx.cloned();
        self.client = Some(GpsdClient::start_with_notify(&self.address, move || {
            if let Some(c) = &ctx {
                c.request_repaint();
            }
        }));
    }

    pub fn latest(&self) -> Option<Fix> {
        self.client.as_ref().and_then(GpsdClient::latest)
    }

    pub fn client(&self) -> Option<&GpsdClient> {
        self.client.as_ref()
    }

    /// Chooses the layer written to: `info` is its description cached
    /// with the map layer (no store read). Fields it lacks are unset.
    pub fn set_layer(&mut self, info: LayerInfo) {
        self.error = None;
        let has = |f: &Option<String>| {
            f.as_ref()
                .is_none_or(|f| info.schema.field_index(f).is_some())
        };
        if !has(&self.fields.accuracy) {
            self.fields.accuracy = None;
        }
        if !has(&self.fields.time) {
            self.fields.time = None;
        }
        self.layer = Some(info);
    }

    /// Writes the latest fix to the layer: a new point's form is read in
    /// the background and then opened (`new_point`); a move is returned
    /// for the editing thread.
    pub fn write_fix(&mut self, target: Target) -> Option<AppCommand> {
        self.error = None;
        let Some(layer) = self.layer.clone() else {
            self.error = Some("no layer chosen".into());
            return None;
        };
        let Some(fix) = self.latest() else {
            self.error = Some(GnssError::NoFix.to_string());
            return None;
        };
        match target {
            Target::NewPoint => {
                self.new_point_read = Some(self.read_new_point_form(layer, fix));
                None
            }
            Target::Move(fid) => {
                self.pending = true;
                Some(AppCommand::Write(
                    Origin::Gnss,
                    Write::MoveToFix {
                        layer: layer.name,
                        fid,
                        fix,
                        fields: self.fields.clone(),
                    },
                ))
            }
        }
    }

    /// Reads, in the background, the form of a new point at the fix with
    /// the layer's defaults and the fix's accuracy and time.
    fn read_new_point_form(&self, layer: LayerInfo, fix: Fix) -> StoreRead<Box<AttributeForm>> {
        let path = self.path.clone();
        let fields = self.fields.clone();
        let label = format!("GNSS {}", layer.name);
        // A reason other than the store (a broken rule, a fix the layer
        // cannot take) is final: shown in the panel, not retried.
        let fail = |e: &dyn std::fmt::Display| JobError::Form(e.to_string());
        StoreRead::start(label, self.path.clone(), move |gpkg, _| {
            let rules = FieldRules::load(gpkg.connection(), &layer).map_err(|e| fail(&e))?;
            let point = gnss::point_at_fix(&layer, &fix, &fields, rules.defaults(&layer))
                .map_err(|e| fail(&e))?;
            let form = AttributeForm::load(&path, &layer.name, None, point.geometry).map_err(
                |e| match e {
                    FormError::Store(e) => JobError::Store(e),
                    e => fail(&e),
                },
            )?;
            Ok(Box::new(form.with_values(&point.values)))
        })
    }

    /// Opens the new point's form once it is read.
    fn take_new_point(&mut self, ctx: Option<&egui::Context>) {
        let Some(read) = &mut self.new_point_read else {
            return;
        };
        let result = match ctx {
            Some(ctx) => read.poll(ctx),
            None => read.take(),
        };
        let Some(result) = result else { return };
        self.new_point_read = None;
        match result {
            Ok(form) => self.new_point = Some(*form),
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Waits for the new point's form being read and opens it (tests).
    pub fn finish_new_point(&mut self) {
        if let Some(read) = &mut self.new_point_read {
            read.wait();
        }
        self.take_new_point(None);
    }

    /// A move sent and not answered, or a new point's form being read.
    pub fn is_busy(&self) -> bool {
        self.pending || self.new_point_read.is_some()
    }

    /// The latest fix in the map's CRS (the transformer is made once per
    /// map CRS); None without a fix or where it does not transform.
    pub fn fix_on_map(&mut self, map_crs: &Crs) -> Option<FixMark> {
        let fix = self.latest().filter(|f| f.mode != FixMode::NoFix)?;
        if self.to_map.as_ref().is_none_or(|(c, _)| c != map_crs) {
            let t = Transformer::between(&Crs::Epsg(4326), map_crs).ok()?;
            self.to_map = Some((map_crs.clone(), t));
        }
        let (_, t) = self.to_map.as_ref()?;
        let at = t.transform(fix.lonlat()).ok()?;
        let accuracy_edge = fix.horizontal_accuracy_m.and_then(|a| {
            let mut north = fix.lonlat();
            north.y += a / METRES_PER_DEGREE;
            t.transform(north).ok().map(|c| [c.x, c.y])
        });
        Some(FixMark {
            at: [at.x, at.y],
            accuracy_edge,
            accuracy_m: fix.horizontal_accuracy_m,
        })
    }

    /// The editing thread's answer to a move.
    pub fn take_written(&mut self, done: Result<Applied, EditFailure>) {
        self.pending = false;
        match done {
            Ok(a) => self.written = Some(a),
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    pub fn show(
        &mut self,
        ctx: &egui::Context,
        lang: Lang,
        layers: &[LayerInfo],
        selected: Option<i64>,
    ) -> Vec<AppCommand> {
        let mut asked = Vec::new();
        let mut open = self.open;
        egui::Window::new("GNSS")
            .id(egui::Id::unique("gnss-panel"))
            .open(&mut open)
            .show(ctx, |ui| asked = self.ui(ui, lang, layers, selected));
        self.open &= open;
        asked
    }

    /// `layers`: the point layers (their cached descriptions); `selected`:
    /// the selected feature of the chosen layer.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        layers: &[LayerInfo],
        selected: Option<i64>,
    ) -> Vec<AppCommand> {
        let mut asked = Vec::new();
        self.take_new_point(Some(ui.ctx()));
        ui.horizontal(|ui| {
            let label = ui.label(tr(lang, Key::GnssAddress));
            ui.text_edit_singleline(&mut self.address)
                .labelled_by(label.id);
            if ui.button(tr(lang, Key::GnssConnect)).clicked() {
                let ctx = ui.ctx().clone();
                self.connect(Some(&ctx));
            }
        });
        let status = match self.client.as_ref().map(GpsdClient::status) {
            None => tr(lang, Key::GnssNotConnected).to_string(),
            Some(GpsdStatus::Connecting) => tr(lang, Key::GnssConnecting).to_string(),
            Some(GpsdStatus::Connected) => tr(lang, Key::GnssConnected).to_string(),
            Some(GpsdStatus::Lost(e)) => format!("{}: {e}", tr(lang, Key::GnssLost)),
        };
        ui.label(status);
        match self.latest() {
            Some(fix) if fix.mode != FixMode::NoFix => {
                ui.label(format!("{:.7}°, {:.7}°", fix.lat, fix.lon));
                let acc = fix
                    .horizontal_accuracy_m
                    .map(|a| format!("± {a:.2} m"))
                    .unwrap_or_else(|| "—".into());
                ui.label(format!("{}: {acc}", tr(lang, Key::GnssAccuracy)));
                if let Some(t) = &fix.time {
                    ui.label(t);
                }
            }
            _ => {
                ui.label(tr(lang, Key::GnssNoFix));
            }
        }
        ui.separator();
        let current = self.layer.as_ref().map(|l| l.name.clone());
        let mut chosen = current.clone();
        egui::ComboBox::from_label(tr(lang, Key::Layer))
            .selected_text(chosen.clone().unwrap_or_default())
            .show_ui(ui, |ui| {
                for l in layers {
                    ui.selectable_value(&mut chosen, Some(l.name.clone()), &l.name);
                }
            });
        if chosen != current
            && let Some(info) = chosen
                .as_ref()
                .and_then(|name| layers.iter().find(|l| &l.name == name))
        {
            self.set_layer(info.clone());
        }
        if let Some(info) = &self.layer {
            let names: Vec<String> = info.schema.fields.iter().map(|f| f.name.clone()).collect();
            for (key, slot) in [
                (Key::GnssAccuracyField, &mut self.fields.accuracy),
                (Key::GnssTimeField, &mut self.fields.time),
            ] {
                egui::ComboBox::from_label(tr(lang, key))
                    .selected_text(slot.clone().unwrap_or_else(|| "—".into()))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(slot, None, "—");
                        for n in &names {
                            ui.selectable_value(slot, Some(n.clone()), n);
                        }
                    });
            }
        }
        let ready = self.layer.is_some() && self.latest().is_some() && !self.is_busy();
        ui.horizontal(|ui| {
            if ui
                .add_enabled(ready, egui::Button::new(tr(lang, Key::GnssAddPoint)))
                .clicked()
            {
                asked.extend(self.write_fix(Target::NewPoint));
            }
            if let Some(fid) = selected
                && ui
                    .add_enabled(ready, egui::Button::new(tr(lang, Key::GnssMoveHere)))
                    .clicked()
            {
                asked.extend(self.write_fix(Target::Move(fid)));
            }
        });
        if self.new_point_read.is_some() {
            // No spinner: it would repaint every frame (see ui::jobs).
            ui.label("…");
        }
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if let Some(a) = &self.written {
            ui.label(&a.description);
        }
        asked
    }
}

/// Draws the fix over the map: its accuracy circle and a marker.
pub fn paint_fix(
    painter: &egui::Painter,
    mark: FixMark,
    to_screen: impl Fn([f64; 2]) -> egui::Pos2,
) {
    let centre = to_screen(mark.at);
    let blue = egui::Color32::from_rgb(30, 110, 230);
    if let Some(edge) = mark.accuracy_edge {
        let radius = centre.distance(to_screen(edge));
        painter.circle(
            centre,
            radius,
            blue.gamma_multiply(0.15),
            egui::Stroke::new(1.5, blue),
        );
    }
    painter.circle(
        centre,
        6.0,
        blue,
        egui::Stroke::new(2.0, egui::Color32::WHITE),
    );
}
