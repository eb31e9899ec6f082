//! The validation panel: runs `edit::check` on a layer (optionally
//! against a boundary layer) as a background job with progress and
//! cancel, lists the findings (kind, fid, size, message) with zoom-to,
//! and applies a finding's fix as one edit, then checks again.

use std::path::{Path, PathBuf};

use crate::edit::check::{
    CheckError, CheckOptions, Finding, FixError, Report, apply_fix, spawn_check,
};
use crate::edit::{Applied, EditSession};
use crate::gpkg::GeoPackage;
use crate::jobs::{Job, Poll};
use crate::ui::command::AppCommand;
use crate::ui::i18n::{Key, Lang, tr};

type FixJob = Job<Result<Applied, FixError>>;

pub struct ValidationPanel {
    path: PathBuf,
    pub layer: String,
    pub boundary: Option<String>,
    check: Option<Job<Result<Report, CheckError>>>,
    fix: Option<FixJob>,
    pub report: Option<Report>,
    /// Why the last check or fix failed.
    pub error: Option<String>,
    /// The last fix written.
    pub fixed: Option<Applied>,
    pub open: bool,
}

impl ValidationPanel {
    pub fn new(path: &Path, layer: &str) -> Self {
        ValidationPanel {
            path: path.to_path_buf(),
            layer: layer.to_string(),
            boundary: None,
            check: None,
            fix: None,
            report: None,
            error: None,
            fixed: None,
            open: true,
        }
    }

    fn options(&self) -> CheckOptions {
        let mut options = CheckOptions::new(&self.layer);
        options.boundary = self.boundary.clone();
        options
    }

    pub fn is_busy(&self) -> bool {
        self.check.is_some() || self.fix.is_some()
    }

    /// Starts checking the layer (the one before is cancelled).
    pub fn run_check(&mut self) {
        if let Some(job) = &self.check {
            job.progress.cancel();
        }
        self.error = None;
        self.check = Some(spawn_check(&self.path, self.options()));
    }

    pub fn cancel(&mut self) {
        if let Some(job) = &self.check {
            job.progress.cancel();
        }
    }

    /// Applies the fix of finding `k` as one edit, in a job.
    pub fn run_fix(&mut self, k: usize) {
        let Some(finding) = self
            .report
            .as_ref()
            .and_then(|r| r.findings.get(k))
            .cloned()
        else {
            return;
        };
        let (path, options) = (self.path.clone(), self.options());
        self.error = None;
        self.fix = Some(Job::spawn(finding.message_vi.clone(), move |_| {
            fix(&path, &finding, &options)
        }));
    }

    /// Takes finished jobs (each frame); a fix is followed by a new check.
    pub fn poll(&mut self) -> Vec<AppCommand> {
        let mut asked = Vec::new();
        if let Some(job) = self.check.as_mut() {
            match job.poll() {
                Poll::Running => {}
                Poll::Done(r) => {
                    self.check = None;
                    self.take_report(r);
                }
                Poll::Failed => {
                    self.check = None;
                    self.error = Some(crashed());
                }
            }
        }
        if let Some(job) = self.fix.as_mut() {
            let done: Result<Applied, String> = match job.poll() {
                Poll::Running => return asked,
                Poll::Done(r) => r.map_err(|e| e.to_string()),
                Poll::Failed => Err(crashed()),
            };
            self.fix = None;
            asked.extend(self.take_fix(done));
        }
        asked
    }

    /// Waits for the running check and fix (tests).
    pub fn wait(&mut self) -> Vec<AppCommand> {
        let mut asked = Vec::new();
        if let Some(job) = self.fix.take() {
            let done = job
                .wait()
                .map(|r| r.map_err(|e| e.to_string()))
                .unwrap_or_else(|| Err(crashed()));
            asked.extend(self.take_fix(done));
        }
        if let Some(job) = self.check.take() {
            let r = job.wait().unwrap_or(Err(CheckError::Cancelled));
            self.take_report(r);
        }
        asked
    }

    fn take_report(&mut self, r: Result<Report, CheckError>) {
        match r {
            Ok(report) => self.report = Some(report),
            Err(CheckError::Cancelled) => {}
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    fn take_fix(&mut self, done: Result<Applied, String>) -> Vec<AppCommand> {
        match done {
            Ok(applied) => {
                self.fixed = Some(applied);
                self.run_check();
                vec![AppCommand::LayerChangedOutside(self.layer.clone())]
            }
            Err(e) => {
                self.error = Some(e);
                Vec::new()
            }
        }
    }

    /// The panel as a window; `layers` are the map's layers to choose from.
    pub fn show(&mut self, ctx: &egui::Context, lang: Lang, layers: &[String]) -> Vec<AppCommand> {
        let mut asked = Vec::new();
        let mut open = self.open;
        egui::Window::new(tr(lang, Key::Validation))
            .id(egui::Id::unique("validation-panel"))
            .open(&mut open)
            .default_size([520.0, 360.0])
            .show(ctx, |ui| asked = self.ui(ui, lang, layers));
        self.open &= open;
        asked
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, layers: &[String]) -> Vec<AppCommand> {
        let mut asked = self.poll();
        ui.horizontal(|ui| {
            egui::ComboBox::from_label(tr(lang, Key::Layer))
                .selected_text(self.layer.clone())
                .show_ui(ui, |ui| {
                    for l in layers {
                        ui.selectable_value(&mut self.layer, l.clone(), l);
                    }
                });
            let none = tr(lang, Key::NoBoundary).to_string();
            egui::ComboBox::from_label(tr(lang, Key::Boundary))
                .selected_text(self.boundary.clone().unwrap_or_else(|| none.clone()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.boundary, None, none);
                    for l in layers.iter().filter(|l| **l != self.layer) {
                        ui.selectable_value(&mut self.boundary, Some(l.clone()), l);
                    }
                });
        });
        ui.horizontal(|ui| {
            if let Some(job) = &self.check {
                let (done, total) = job.progress.get();
                let fraction = if total > 0 {
                    done as f32 / total as f32
                } else {
                    0.0
                };
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(200.0)
                        .show_percentage(),
                );
                if ui.button(tr(lang, Key::Cancel)).clicked() {
                    self.cancel();
                }
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_millis(200));
            } else if ui
                .add_enabled(
                    self.fix.is_none(),
                    egui::Button::new(tr(lang, Key::RunCheck)),
                )
                .clicked()
            {
                self.run_check();
            }
            if self.fix.is_some() {
                ui.label(tr(lang, Key::Fixing));
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_millis(100));
            }
        });
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if let Some(a) = &self.fixed {
            ui.label(format!("{}: {}", tr(lang, Key::Fixed), a.description));
        }
        let Some(report) = &self.report else {
            return asked;
        };
        ui.label(format!(
            "{}: {} · {}: {}",
            tr(lang, Key::Checked),
            report.checked,
            tr(lang, Key::Findings),
            report.findings.len()
        ));
        let mut fix_asked = None;
        egui::ScrollArea::vertical().show(ui, |ui| {
            egui::Grid::new("validation-findings")
                .striped(true)
                .num_columns(5)
                .show(ui, |ui| {
                    for h in [Key::Kind, Key::Fid, Key::FindingSize, Key::Message] {
                        ui.strong(tr(lang, h));
                    }
                    ui.end_row();
                    for (k, f) in report.findings.iter().enumerate() {
                        ui.label(f.kind.key());
                        ui.label(f.fid.map(|x| x.to_string()).unwrap_or_default());
                        ui.label(format!("{:.2} m²", f.area));
                        let message = match lang {
                            Lang::Vi => &f.message_vi,
                            Lang::En => &f.message_en,
                        };
                        if ui.link(message).clicked()
                            && let Some(c) = zoom_to(f)
                        {
                            asked.push(c);
                        }
                        let can_fix = f.fix.is_some() && self.fix.is_none() && self.check.is_none();
                        if ui
                            .add_enabled(can_fix, egui::Button::new(tr(lang, Key::FixIt)))
                            .on_hover_text(format!("fix-{k}"))
                            .clicked()
                        {
                            fix_asked = Some(k);
                        }
                        ui.end_row();
                    }
                });
        });
        if let Some(k) = fix_asked {
            self.run_fix(k);
        }
        asked
    }
}

/// The map shows the feature at fault (for a gap: its first neighbour).
fn zoom_to(f: &Finding) -> Option<AppCommand> {
    let fid = f.fid.or_else(|| f.other_fids.first().copied())?;
    Some(AppCommand::ZoomToFeature {
        layer: f.layer.clone(),
        fid,
    })
}

fn crashed() -> String {
    "the job stopped unexpectedly (a fault in tramgis; please report it)".to_string()
}

/// Applies one fix through its own edit session.
fn fix(path: &Path, finding: &Finding, options: &CheckOptions) -> Result<Applied, FixError> {
    let user = GeoPackage::open_read_only(path)
        .map(|g| g.user().to_string())
        .unwrap_or_default();
    let mut session = EditSession::open(path, &user)?;
    if !session.is_editing(&finding.layer) {
        session.start_editing(&finding.layer)?;
    }
    apply_fix(&mut session, finding, options)
}
