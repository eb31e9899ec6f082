//! The GNSS panel for field laptops: connects to gpsd (host:port), shows
//! its status, the position and its horizontal accuracy, and adds a point
//! at the current position to a point layer (or moves the selected
//! feature there), writing the fix's accuracy and time into chosen fields
//! (edit::gnss's point_at_fix / move_to_fix), as one edit in a job.

use std::path::{Path, PathBuf};

use crate::edit::gnss::{self, Fix, FixFields, FixMode, GnssError, GpsdClient, GpsdStatus};
use crate::edit::rules::FieldRules;
use crate::edit::{Applied, EditError, EditSession};
use crate::gpkg::{GeoPackage, GpkgError, LayerInfo};
use crate::jobs::{Job, Poll};
use crate::ui::command::AppCommand;
use crate::ui::i18n::{Key, Lang, tr};
use crate::ui::panels::attribute_form::AttributeForm;

#[derive(Debug, thiserror::Error)]
pub enum GnssWriteError {
    #[error(transparent)]
    Gnss(#[from] GnssError),
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error(transparent)]
    Store(#[from] GpkgError),
    #[error(transparent)]
    Rules(#[from] crate::edit::domains::DomainError),
    #[error(transparent)]
    Refused(Box<crate::edit::rules::DomainViolation>),
    #[error("{layer}: feature {fid} is not in the layer")]
    Missing { layer: String, fid: i64 },
}

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
    job: Option<Job<Result<Applied, GnssWriteError>>>,
    pub error: Option<String>,
    pub written: Option<Applied>,
    /// The form of a new point at the fix, for the user to complete
    /// (required fields) before it is written; the app shows it.
    pub new_point: Option<AttributeForm>,
    pub open: bool,
}

impl GnssPanel {
    pub fn new(path: &Path) -> Self {
        GnssPanel {
            path: path.to_path_buf(),
            address: gnss::DEFAULT_ADDRESS.replace("127.0.0.1", "localhost"),
            client: None,
            layer: None,
            fields: FixFields::default(),
            job: None,
            error: None,
            written: None,
            new_point: None,
            open: true,
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

    /// Chooses the layer written to (its schema read once here).
    pub fn set_layer(&mut self, name: &str) {
        self.error = None;
        match GeoPackage::open_read_only(&self.path).and_then(|g| g.layer(name)) {
            Ok(info) => {
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
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Writes the latest fix to the layer, as a new point or by moving a feature.
    pub fn write_fix(&mut self, target: Target) {
        self.error = None;
        let Some(layer) = self.layer.clone() else {
            self.error = Some("no layer chosen".into());
            return;
        };
        let Some(fix) = self.latest() else {
            self.error = Some(GnssError::NoFix.to_string());
            return;
        };
        if target == Target::NewPoint {
            match self.new_point_form(&layer, &fix) {
                Ok(form) => self.new_point = Some(form),
                Err(e) => self.error = Some(e.to_string()),
            }
            return;
        }
        let (path, fields) = (self.path.clone(), self.fields.clone());
        self.job = Some(Job::spawn("GNSS", move |_| {
            write(&path, &layer, &fix, &fields, target)
        }));
    }

    /// A new point at the fix with the layer's defaults and the fix's
    /// accuracy and time, in the attribute form.
    fn new_point_form(&self, layer: &LayerInfo, fix: &Fix) -> Result<AttributeForm, String> {
        let gpkg = GeoPackage::open_read_only(&self.path).map_err(|e| e.to_string())?;
        let rules = FieldRules::load(gpkg.connection(), layer).map_err(|e| e.to_string())?;
        let point = gnss::point_at_fix(layer, fix, &self.fields, rules.defaults(layer))
            .map_err(|e| e.to_string())?;
        let form = AttributeForm::load(&self.path, &layer.name, None, point.geometry)
            .map_err(|e| e.to_string())?;
        Ok(form.with_values(&point.values))
    }

    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    fn finish(&mut self, r: Option<Result<Applied, GnssWriteError>>) -> Option<AppCommand> {
        match r {
            Some(Ok(a)) => {
                self.written = Some(a);
                self.layer
                    .as_ref()
                    .map(|l| AppCommand::LayerChangedOutside(l.name.clone()))
            }
            Some(Err(e)) => {
                self.error = Some(e.to_string());
                None
            }
            None => {
                self.error = Some("the write stopped unexpectedly".into());
                None
            }
        }
    }

    pub fn poll(&mut self) -> Option<AppCommand> {
        let r = match self.job.as_mut()?.poll() {
            Poll::Running => return None,
            Poll::Done(r) => Some(r),
            Poll::Failed => None,
        };
        self.job = None;
        self.finish(r)
    }

    /// Waits for the write (tests).
    pub fn wait(&mut self) -> Option<AppCommand> {
        let job = self.job.take()?;
        let r = job.wait();
        self.finish(r)
    }

    pub fn show(
        &mut self,
        ctx: &egui::Context,
        lang: Lang,
        layers: &[String],
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

    /// `layers`: the point layers; `selected`: the selected feature of the chosen layer.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        layers: &[String],
        selected: Option<i64>,
    ) -> Vec<AppCommand> {
        let asked: Vec<AppCommand> = self.poll().into_iter().collect();
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
                    ui.selectable_value(&mut chosen, Some(l.clone()), l);
                }
            });
        if chosen != current
            && let Some(name) = &chosen
        {
            self.set_layer(name);
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
                self.write_fix(Target::NewPoint);
            }
            if let Some(fid) = selected
                && ui
                    .add_enabled(ready, egui::Button::new(tr(lang, Key::GnssMoveHere)))
                    .clicked()
            {
                self.write_fix(Target::Move(fid));
            }
        });
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if let Some(a) = &self.written {
            ui.label(&a.description);
        }
        if self.is_busy() {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(50));
        }
        asked
    }
}

/// One edit: a new point with the layer's defaults at the fix, or the
/// feature moved there; checked with the layer's FieldRules.
fn write(
    path: &Path,
    layer: &LayerInfo,
    fix: &Fix,
    fields: &FixFields,
    target: Target,
) -> Result<Applied, GnssWriteError> {
    let user = GeoPackage::open_read_only(path)?.user().to_string();
    let mut session = EditSession::open(path, &user)?;
    if !session.is_editing(&layer.name) {
        session.start_editing(&layer.name)?;
    }
    let rules = FieldRules::load(session.gpkg().connection(), layer)?;
    let (feature, description) =
        match target {
            Target::NewPoint => (
                gnss::point_at_fix(layer, fix, fields, rules.defaults(layer))?,
                format!("Thêm điểm GNSS vào lớp {}", layer.name),
            ),
            Target::Move(fid) => {
                let mut f = session.gpkg().get_feature(&layer.name, fid)?.ok_or(
                    GnssWriteError::Missing {
                        layer: layer.name.clone(),
                        fid,
                    },
                )?;
                gnss::move_to_fix(&mut f, layer, fix, fields)?;
                (
                    f,
                    format!(
                        "Di chuyển đối tượng {fid} của lớp {} tới vị trí GNSS",
                        layer.name
                    ),
                )
            }
        };
    rules
        .check(layer, feature.fid, &feature.values)
        .map_err(|v| GnssWriteError::Refused(Box::new(v)))?;
    let name = layer.name.clone();
    let (_, applied) = session.apply(&description, |tx| match feature.fid {
        Some(_) => tx.update(&name, &feature),
        None => tx.insert(&name, &feature).map(|_| ()),
    })?;
    Ok(applied)
}
