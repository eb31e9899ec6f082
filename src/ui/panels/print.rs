//! The print panel (menu "In bản đồ"): paper, orientation, title, source,
//! resolution and format (PDF or PNG); the map's current view and visible
//! layers, in their current styles, are what is printed. `print::export`
//! runs as a background job with progress and Cancel; the file written is
//! reported in a notification.

use std::path::PathBuf;

use crate::crs::Crs;
use crate::jobs::{Job, Poll};
use crate::print::{Exported, Layout, Orientation, Paper, PrintError};
use crate::render::LayerStyle;
use crate::ui::command::AppCommand;
use crate::ui::i18n::{Key, Lang, tr};
use crate::ui::map::Bbox;

/// PDF (vector, searchable text) or PNG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintFormat {
    Pdf,
    Png,
}

impl PrintFormat {
    fn extension(self) -> &'static str {
        match self {
            PrintFormat::Pdf => "pdf",
            PrintFormat::Png => "png",
        }
    }
}

/// What the map shows now, lent by the window each frame.
pub struct MapNow {
    /// The map box on screen; None: the map follows the data (all of it).
    pub extent: Option<Bbox>,
    /// The visible layers, bottom first, with their current styles.
    pub layers: Vec<(String, LayerStyle)>,
    pub crs: Crs,
}

pub struct PrintPanel {
    workspace: PathBuf,
    pub open: bool,
    pub paper: Paper,
    pub orientation: Orientation,
    pub title: String,
    pub source: String,
    pub dpi: f64,
    pub format: PrintFormat,
    /// Where the map is written (typed, or chosen in the save dialog).
    pub output: String,
    job: Option<Job<Result<Exported, PrintError>>>,
    /// The file the last print wrote.
    pub written: Option<PathBuf>,
    pub error: Option<String>,
    pub cancelled: bool,
}

impl PrintPanel {
    pub fn new(workspace: &std::path::Path) -> Self {
        let output = workspace.with_extension("pdf").display().to_string();
        PrintPanel {
            workspace: workspace.to_path_buf(),
            open: true,
            paper: Paper::A4,
            orientation: Orientation::Landscape,
            title: String::new(),
            source: String::new(),
            dpi: 300.0,
            format: PrintFormat::Pdf,
            output,
            written: None,
            job: None,
            error: None,
            cancelled: false,
        }
    }

    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// The layout of what the map shows now.
    pub fn layout(&self, map: &MapNow) -> Layout {
        let text = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        let mut layout = Layout::new(&self.workspace);
        layout.paper = self.paper;
        layout.orientation = self.orientation;
        layout.title = text(&self.title);
        layout.source = text(&self.source);
        layout.dpi = self.dpi;
        layout.extent = map.extent;
        layout.layers = Some(map.layers.iter().map(|(l, _)| l.clone()).collect());
        layout.styles = map.layers.clone();
        layout.map_crs = Some(map.crs.clone());
        layout
    }

    /// The output path, with the format's extension.
    pub fn output_path(&self) -> PathBuf {
        PathBuf::from(self.output.trim()).with_extension(self.format.extension())
    }

    /// Starts printing what the map shows (in the background).
    pub fn print(&mut self, map: &MapNow, lang: Lang) {
        self.cancel();
        self.error = None;
        self.cancelled = false;
        self.written = None;
        let layout = self.layout(map);
        let path = self.output_path();
        let label = tr(lang, Key::Printing);
        self.job = Some(Job::spawn(label, move |p| {
            crate::print::export(&layout, &path, p)
        }));
    }

    pub fn cancel(&mut self) {
        if let Some(job) = &self.job {
            job.progress.cancel();
        }
    }

    /// Takes in a finished print (each frame); a written file is told in
    /// a notification.
    pub fn poll(&mut self, lang: Lang) -> Vec<AppCommand> {
        let Some(job) = self.job.as_mut() else {
            return Vec::new();
        };
        match job.poll() {
            Poll::Running => Vec::new(),
            Poll::Done(r) => {
                self.job = None;
                self.take(r, lang)
            }
            Poll::Failed => {
                self.job = None;
                self.error = Some(crashed());
                Vec::new()
            }
        }
    }

    /// Waits for the print in progress (tests).
    pub fn finish(&mut self, lang: Lang) -> Vec<AppCommand> {
        match self.job.take().map(|j| j.wait()) {
            Some(Some(r)) => self.take(r, lang),
            Some(None) => {
                self.error = Some(crashed());
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    fn take(&mut self, r: Result<Exported, PrintError>, lang: Lang) -> Vec<AppCommand> {
        match r {
            Ok(e) => {
                let text = format!("{}: {}", tr(lang, Key::Printed), e.path.display());
                self.written = Some(e.path);
                vec![AppCommand::Notify(text)]
            }
            Err(PrintError::Cancelled) => {
                self.cancelled = true;
                Vec::new()
            }
            Err(e) => {
                self.error = Some(e.to_string());
                Vec::new()
            }
        }
    }

    pub fn show(&mut self, ctx: &egui::Context, lang: Lang, map: &MapNow) -> Vec<AppCommand> {
        let mut asked = Vec::new();
        let mut open = self.open;
        egui::Window::new(tr(lang, Key::PrintMap))
            .id(egui::Id::unique("print-panel"))
            .open(&mut open)
            .default_size([460.0, 320.0])
            .show(ctx, |ui| asked = self.ui(ui, lang, map));
        self.open &= open;
        asked
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, map: &MapNow) -> Vec<AppCommand> {
        let asked = self.poll(lang);
        egui::Grid::new("print-form").num_columns(2).show(ui, |ui| {
            ui.label(tr(lang, Key::Paper));
            ui.horizontal(|ui| {
                for p in Paper::ALL {
                    ui.radio_value(&mut self.paper, p, p.to_string());
                }
            });
            ui.end_row();
            ui.label("");
            ui.horizontal(|ui| {
                ui.radio_value(
                    &mut self.orientation,
                    Orientation::Portrait,
                    tr(lang, Key::Portrait),
                );
                ui.radio_value(
                    &mut self.orientation,
                    Orientation::Landscape,
                    tr(lang, Key::Landscape),
                );
            });
            ui.end_row();
            ui.label(tr(lang, Key::MapTitle));
            ui.add(egui::TextEdit::singleline(&mut self.title).desired_width(300.0));
            ui.end_row();
            ui.label(tr(lang, Key::MapSource));
            ui.add(egui::TextEdit::singleline(&mut self.source).desired_width(300.0));
            ui.end_row();
            ui.label(tr(lang, Key::Format));
            ui.horizontal(|ui| {
                ui.radio_value(&mut self.format, PrintFormat::Pdf, "PDF");
                ui.radio_value(&mut self.format, PrintFormat::Png, "PNG");
            });
            ui.end_row();
            ui.label(tr(lang, Key::Dpi));
            ui.add_enabled(
                self.format == PrintFormat::Png,
                egui::DragValue::new(&mut self.dpi).range(72.0..=600.0),
            );
            ui.end_row();
            ui.label(tr(lang, Key::OutputFile));
            ui.horizontal(|ui| {
                ui.add(egui::TextEdit::singleline(&mut self.output).desired_width(240.0));
                if ui.button(tr(lang, Key::Browse)).clicked()
                    && let Some(p) = rfd::FileDialog::new()
                        .add_filter("PDF", &["pdf"])
                        .add_filter("PNG", &["png"])
                        .save_file()
                {
                    self.output = p.display().to_string();
                }
            });
            ui.end_row();
        });
        ui.weak(tr(lang, Key::PrintExtent));
        ui.horizontal(|ui| {
            if let Some(job) = &self.job {
                let fraction = job.progress.fraction().unwrap_or(0.0);
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(220.0)
                        .show_percentage(),
                );
                if ui.button(tr(lang, Key::Cancel)).clicked() {
                    self.cancel();
                }
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_millis(200));
            } else {
                let ready = !self.output.trim().is_empty() && !map.layers.is_empty();
                if ui
                    .add_enabled(ready, egui::Button::new(tr(lang, Key::PrintRun)))
                    .clicked()
                {
                    self.print(map, lang);
                }
            }
        });
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if self.cancelled {
            ui.label(tr(lang, Key::Cancelled));
        }
        if let Some(p) = &self.written {
            ui.label(format!("{}: {}", tr(lang, Key::Printed), p.display()));
        }
        asked
    }
}

fn crashed() -> String {
    "the job stopped unexpectedly (a fault in tramgis; please report it)".to_string()
}
