//! The validation panel: runs `edit::check` on a layer (optionally
//! against a boundary layer) as a background job with progress and
//! cancel, lists the findings (kind, fid, size, message) with zoom-to,
//! and applies a finding's fix as one edit of the workspace's editing
//! thread (`AppCommand::Write`: undoable, redrawn incrementally; the layer
//! must be in editing), then checks again.

use std::path::{Path, PathBuf};

use crate::edit::Applied;
use crate::edit::check::{CheckError, CheckOptions, Finding, Report, spawn_check};
use crate::jobs::{Job, Poll};
use crate::ui::command::AppCommand;
use crate::ui::edit::{EditFailure, Origin, Write};
use crate::ui::i18n::{Key, Lang, tr};

pub struct ValidationPanel {
    path: PathBuf,
    pub layer: String,
    pub boundary: Option<String>,
    check: Option<Job<Result<Report, CheckError>>>,
    /// A fix sent to the editing thread and not answered yet.
    fixing: bool,
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
            fixing: false,
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
        self.check.is_some() || self.fixing
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

    /// The fix of finding `k`, for the editing thread (one edit).
    pub fn run_fix(&mut self, k: usize) -> Option<AppCommand> {
        let finding = self.report.as_ref()?.findings.get(k)?.clone();
        self.error = None;
        self.fixing = true;
        Some(AppCommand::Write(
            Origin::Validation,
            Write::Fix {
                finding: Box::new(finding),
                options: self.options(),
            },
        ))
    }

    /// Takes a finished check (each frame).
    pub fn poll(&mut self) {
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
    }

    /// Waits for the running check (tests).
    pub fn wait(&mut self) {
        if let Some(job) = self.check.take() {
            let r = job.wait().unwrap_or(Err(CheckError::Cancelled));
            self.take_report(r);
        }
    }

    fn take_report(&mut self, r: Result<Report, CheckError>) {
        match r {
            Ok(report) => self.report = Some(report),
            Err(CheckError::Cancelled) => {}
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// The editing thread's answer to a fix; a fix written is followed by
    /// a new check.
    pub fn take_fix(&mut self, done: Result<Applied, EditFailure>) {
        self.fixing = false;
        match done {
            Ok(applied) => {
                self.fixed = Some(applied);
                self.run_check();
            }
            Err(e) => self.error = Some(e.to_string()),
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
        self.poll();
        let mut asked = Vec::new();
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
                .add_enabled(!self.fixing, egui::Button::new(tr(lang, Key::RunCheck)))
                .clicked()
            {
                self.run_check();
            }
            if self.fixing {
                ui.label(tr(lang, Key::Fixing));
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
                        let can_fix = f.fix.is_some() && !self.fixing && self.check.is_none();
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
            asked.extend(self.run_fix(k));
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
