//! The analysis panel (menu "Phân tích"): choose an analysis and its
//! inputs from the workspace's layers, run it as a background job with a
//! progress bar and Cancel, see its result tables (and a bar chart of a
//! numeric column), export the shown table to CSV or XLSX, and zoom to
//! the features it lists. Layers the analysis wrote are loaded onto the
//! map (`AppCommand::LoadLayers`); tables it kept in the workspace are
//! listed after a reload of the workspace, as after an import.
//!
//! The panel never opens the store on the UI thread: the layer pickers
//! use the map's cached layer descriptions, the analysis and the exports
//! run on their own threads (`runs.rs`).

mod chart;
pub mod runs;

use std::path::{Path, PathBuf};

use crate::analysis::AnalysisError;
use crate::analysis::geoprocess::Predicate;
use crate::gpkg::LayerInfo;
use crate::jobs::{Job, Poll};
use crate::model::GeometryType;
use crate::ui::command::AppCommand;
use crate::ui::i18n::{Key, Lang, tr};
use crate::ui::map::Selection;
use crate::ui::tools::Tool;
use geo::Area;
pub use runs::{Choice, GeoTool, Inputs, Listed, Outcome, StatsBy};

/// At most this many listed features are shown as links.
const MAX_LISTED: usize = 500;

/// CSV or XLSX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

pub struct AnalysisPanel {
    path: PathBuf,
    pub open: bool,
    pub choice: Choice,
    pub inputs: Inputs,
    running: Option<runs::Running>,
    /// The last run's results.
    pub outcome: Option<Outcome>,
    /// Why the last run or export failed.
    pub error: Option<String>,
    /// The last run was cancelled (it wrote nothing).
    pub cancelled: bool,
    /// The result table shown (index into the outcome's tables).
    pub shown_table: usize,
    /// The column the chart shows (index into the shown table's columns).
    pub chart_column: Option<usize>,
    /// Where Export writes (typed, or chosen in the save dialog).
    pub export_path: String,
    export: Option<Job<Result<PathBuf, AnalysisError>>>,
    /// The file the last export wrote.
    pub exported: Option<PathBuf>,
}

impl AnalysisPanel {
    /// A panel on the workspace at `path`, its pickers preset to the
    /// sample's layers where the workspace has them.
    pub fn new(path: &Path, layers: &[LayerInfo]) -> Self {
        let has = |name: &str| layers.iter().any(|l| l.name == name);
        let first_polygon = layers
            .iter()
            .find(|l| is_polygon(l))
            .map(|l| l.name.clone())
            .unwrap_or_default();
        let pick = |name: &str| {
            if has(name) {
                name.to_string()
            } else {
                first_polygon.clone()
            }
        };
        let mut inputs = Inputs {
            layer: pick("thua_dat"),
            overlay: pick("o_quy_hoach"),
            ..Inputs::default()
        };
        inputs.output = default_output(&inputs.layer, GeoTool::Buffer);
        AnalysisPanel {
            path: path.to_path_buf(),
            open: true,
            choice: Choice::LandUse,
            inputs,
            running: None,
            outcome: None,
            error: None,
            cancelled: false,
            shown_table: 0,
            chart_column: None,
            export_path: String::new(),
            export: None,
            exported: None,
        }
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Chooses an analysis (a tool's output name follows its input layer).
    pub fn choose(&mut self, choice: Choice) {
        self.choice = choice;
        if let Choice::Geo(tool) = choice {
            self.inputs.output = default_output(&self.inputs.layer, tool);
        }
    }

    /// Starts the chosen analysis (a run in progress is cancelled first);
    /// statistics within the selection take its first polygon.
    pub fn run(&mut self, lang: Lang, layers: &[LayerInfo], selection: &Selection) {
        self.cancel();
        self.inputs.within = selected_polygon(layers, selection);
        self.error = None;
        self.cancelled = false;
        let label = choice_label(lang, self.choice).to_string();
        self.running = Some(runs::start(
            self.path.clone(),
            self.choice,
            self.inputs.clone(),
            label,
        ));
    }

    /// The polygon drawn on the map for the statistics: they count in it
    /// from now on.
    pub fn set_drawn_area(&mut self, area: geo_types::Polygon<f64>) {
        self.inputs.drawn = Some(geo_types::MultiPolygon::new(vec![area]));
        self.inputs.stats_by = StatsBy::Drawn;
    }

    /// Asks the running analysis to stop; it writes nothing.
    pub fn cancel(&mut self) {
        if let Some(job) = &self.running {
            job.progress.cancel();
        }
    }

    /// (done, total) of the running analysis.
    pub fn progress(&self) -> Option<(u64, u64)> {
        self.running.as_ref().map(|j| j.progress.get())
    }

    /// Takes in a finished run or export (each frame); a run that wrote
    /// layers asks the map to load them.
    pub fn poll(&mut self) -> Vec<AppCommand> {
        let mut asked = Vec::new();
        if let Some(job) = self.running.as_mut() {
            match job.poll() {
                Poll::Running => {}
                Poll::Done(r) => {
                    self.running = None;
                    asked.extend(self.take(r));
                }
                Poll::Failed => {
                    self.running = None;
                    self.error = Some(crashed());
                }
            }
        }
        if let Some(job) = self.export.as_mut() {
            match job.poll() {
                Poll::Running => {}
                Poll::Done(r) => {
                    self.export = None;
                    self.take_export(r);
                }
                Poll::Failed => {
                    self.export = None;
                    self.error = Some(crashed());
                }
            }
        }
        asked
    }

    /// Waits for the running analysis and export (tests); returns what
    /// the window would be asked to do.
    pub fn finish(&mut self) -> Vec<AppCommand> {
        let mut asked = Vec::new();
        if let Some(job) = self.running.take() {
            let r = job.wait();
            asked.extend(match r {
                Some(r) => self.take(r),
                None => {
                    self.error = Some(crashed());
                    Vec::new()
                }
            });
        }
        if let Some(job) = self.export.take() {
            match job.wait() {
                Some(r) => self.take_export(r),
                None => self.error = Some(crashed()),
            }
        }
        asked
    }

    fn take(&mut self, r: Result<Outcome, AnalysisError>) -> Vec<AppCommand> {
        match r {
            Ok(outcome) => {
                // New layers are loaded alone; new attribute tables are
                // listed by a load of the whole workspace.
                let asked = if !outcome.saved.is_empty() {
                    vec![AppCommand::ReloadWorkspace]
                } else if !outcome.layers.is_empty() {
                    vec![AppCommand::LoadLayers(outcome.layers.clone())]
                } else {
                    Vec::new()
                };
                self.shown_table = 0;
                self.chart_column = default_chart(&outcome, 0);
                self.outcome = Some(outcome);
                return asked;
            }
            Err(AnalysisError::Cancelled(_)) => self.cancelled = true,
            Err(e) => self.error = Some(e.to_string()),
        }
        Vec::new()
    }

    fn take_export(&mut self, r: Result<PathBuf, AnalysisError>) {
        match r {
            Ok(path) => self.exported = Some(path),
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Writes the shown result table to `path` in the background.
    pub fn export(&mut self, path: PathBuf, format: ExportFormat) {
        let Some(table) = self.shown().cloned() else {
            return;
        };
        self.error = None;
        self.exported = None;
        self.export = Some(Job::spawn("export", move |_| {
            match format {
                ExportFormat::Csv => table.write_csv(&path)?,
                ExportFormat::Xlsx => table.write_xlsx(&path)?,
            }
            Ok(path)
        }));
    }

    /// The result table shown.
    pub fn shown(&self) -> Option<&crate::analysis::table::ResultTable> {
        self.outcome.as_ref()?.tables.get(self.shown_table)
    }

    /// The panel as a window; `layers` are the map's layers to pick from.
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        lang: Lang,
        layers: &[LayerInfo],
        selection: &Selection,
    ) -> Vec<AppCommand> {
        let mut asked = Vec::new();
        let mut open = self.open;
        egui::Window::new(tr(lang, Key::Analysis))
            .id(egui::Id::unique("analysis-panel"))
            .open(&mut open)
            .default_size([640.0, 560.0])
            .vscroll(true)
            .show(ctx, |ui| asked = self.ui(ui, lang, layers, selection));
        self.open &= open;
        asked
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        layers: &[LayerInfo],
        selection: &Selection,
    ) -> Vec<AppCommand> {
        let mut asked = self.poll();
        self.chooser(ui, lang);
        ui.separator();
        self.form(ui, lang, layers, &mut asked);
        ui.separator();
        self.run_row(ui, lang, layers, selection);
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if self.cancelled {
            ui.label(tr(lang, Key::Cancelled));
        }
        self.results(ui, lang, &mut asked);
        asked
    }

    fn chooser(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let mut choice = self.choice;
        egui::ComboBox::from_label(tr(lang, Key::AnalysisChoice))
            .selected_text(choice_label(lang, choice))
            .width(280.0)
            .show_ui(ui, |ui| {
                for c in [
                    Choice::LandUse,
                    Choice::Compare,
                    Choice::Compliance,
                    Choice::Coverage,
                    Choice::Indicators,
                ] {
                    ui.selectable_value(&mut choice, c, choice_label(lang, c));
                }
                ui.separator();
                for t in GeoTool::ALL {
                    let c = Choice::Geo(t);
                    ui.selectable_value(&mut choice, c, choice_label(lang, c));
                }
            });
        if choice != self.choice {
            self.choose(choice);
        }
    }

    /// The inputs of the chosen analysis.
    fn form(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        layers: &[LayerInfo],
        asked: &mut Vec<AppCommand>,
    ) {
        let polygons: Vec<&LayerInfo> = layers.iter().filter(|l| is_polygon(l)).collect();
        let points: Vec<&LayerInfo> = layers.iter().filter(|l| is_point(l)).collect();
        let all: Vec<&LayerInfo> = layers.iter().collect();
        let i = &mut self.inputs;
        egui::Grid::new("analysis-form")
            .num_columns(2)
            .show(ui, |ui| match self.choice {
                Choice::LandUse => {
                    layer_row(ui, tr(lang, Key::ParcelsLayer), &mut i.layer, &polygons);
                    ui.label(tr(lang, Key::StatsBy));
                    ui.horizontal(|ui| {
                        for (by, key) in [
                            (StatsBy::Commune, Key::ByCommune),
                            (StatsBy::District, Key::ByDistrict),
                            (StatsBy::Selection, Key::WithinSelection),
                            (StatsBy::Drawn, Key::WithinDrawn),
                        ] {
                            ui.radio_value(&mut i.stats_by, by, tr(lang, key));
                        }
                    });
                    ui.end_row();
                    if i.stats_by == StatsBy::Drawn {
                        ui.label(tr(lang, Key::DrawnArea));
                        ui.horizontal(|ui| {
                            if ui.button(tr(lang, Key::ToolDrawArea)).clicked() {
                                asked.push(AppCommand::SetTool(Tool::DrawArea));
                            }
                            match &i.drawn {
                                Some(area) => {
                                    ui.label(format!("{:.2} ha", area.unsigned_area() / 1e4))
                                }
                                None => ui.label(tr(lang, Key::NoAreaDrawn)),
                            };
                        });
                        ui.end_row();
                    }
                }
                Choice::Compare => {
                    layer_row(ui, tr(lang, Key::FromLayer), &mut i.layer, &polygons);
                    layer_row(ui, tr(lang, Key::ToLayer), &mut i.overlay, &polygons);
                }
                Choice::Compliance => {
                    layer_row(ui, tr(lang, Key::ProjectLayer), &mut i.layer, &polygons);
                    layer_row(ui, tr(lang, Key::ZoningLayer), &mut i.overlay, &polygons);
                }
                Choice::Coverage => {
                    let c = &mut i.coverage;
                    layer_row(ui, tr(lang, Key::TowersLayer), &mut c.towers_layer, &points);
                    layer_row(
                        ui,
                        tr(lang, Key::VillagesLayer),
                        &mut c.villages_layer,
                        &points,
                    );
                    layer_row(
                        ui,
                        tr(lang, Key::CommunesLayer),
                        &mut c.communes_layer,
                        &polygons,
                    );
                    ui.label(tr(lang, Key::CoverageRadii));
                    ui.end_row();
                    for r in &mut c.radii {
                        ui.label(&r.technology);
                        ui.horizontal(|ui| {
                            ui.label(tr(lang, Key::Urban));
                            ui.add(egui::DragValue::new(&mut r.urban_m).range(0.0..=50_000.0));
                            ui.label(tr(lang, Key::Rural));
                            ui.add(egui::DragValue::new(&mut r.rural_m).range(0.0..=50_000.0));
                        });
                        ui.end_row();
                    }
                    ui.label(tr(lang, Key::ColocationDistance));
                    ui.add(egui::DragValue::new(&mut c.colocation_distance_m).range(0.0..=5_000.0));
                    ui.end_row();
                }
                Choice::Indicators => {
                    let c = &mut i.indicators;
                    layer_row(
                        ui,
                        tr(lang, Key::CommunesLayer),
                        &mut c.communes_layer,
                        &polygons,
                    );
                    layer_row(ui, tr(lang, Key::RoadsLayer), &mut c.roads_layer, &all);
                    layer_row(
                        ui,
                        tr(lang, Key::CamerasLayer),
                        &mut c.cameras_layer,
                        &points,
                    );
                    layer_row(ui, tr(lang, Key::PolesLayer), &mut c.poles_layer, &points);
                    layer_row(
                        ui,
                        tr(lang, Key::StationsLayer),
                        &mut c.stations_layer,
                        &points,
                    );
                    layer_row(ui, tr(lang, Key::LandLayer), &mut c.land_layer, &polygons);
                    ui.label(tr(lang, Key::StationReach));
                    ui.add(egui::DragValue::new(&mut c.reach_m).range(0.0..=50_000.0));
                    ui.end_row();
                }
                Choice::Geo(tool) => geo_form(ui, lang, tool, i, layers, &all),
            });
    }

    fn run_row(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        layers: &[LayerInfo],
        selection: &Selection,
    ) {
        ui.horizontal(|ui| {
            if let Some(job) = &self.running {
                let fraction = job.progress.fraction().unwrap_or(0.0);
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(240.0)
                        .show_percentage(),
                );
                if ui.button(tr(lang, Key::Cancel)).clicked() {
                    self.cancel();
                }
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_millis(200));
            } else if ui.button(tr(lang, Key::RunAnalysis)).clicked() {
                self.run(lang, layers, selection);
            }
        });
    }

    fn results(&mut self, ui: &mut egui::Ui, lang: Lang, asked: &mut Vec<AppCommand>) {
        // Taken out while drawn: the export row changes the panel.
        let Some(outcome) = self.outcome.take() else {
            return;
        };
        let export = self.show_outcome(ui, lang, &outcome, asked);
        self.outcome = Some(outcome);
        if let Some((path, format)) = export {
            self.export(path, format);
        }
    }

    fn show_outcome(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        outcome: &Outcome,
        asked: &mut Vec<AppCommand>,
    ) -> Option<(PathBuf, ExportFormat)> {
        ui.separator();
        ui.label(format!("{}: {}", tr(lang, Key::Done), outcome.summary));
        if !outcome.layers.is_empty() {
            ui.label(format!(
                "{}: {}",
                tr(lang, Key::ResultLayers),
                outcome.layers.join(", ")
            ));
        }
        if !outcome.listed.is_empty() {
            egui::CollapsingHeader::new(format!(
                "{} ({})",
                tr(lang, Key::ToReview),
                outcome.listed.len()
            ))
            .default_open(true)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("analysis-listed")
                    .max_height(140.0)
                    .show(ui, |ui| {
                        for l in outcome.listed.iter().take(MAX_LISTED) {
                            if ui
                                .link(&l.text)
                                .on_hover_text(tr(lang, Key::ZoomTo))
                                .clicked()
                            {
                                asked.push(AppCommand::SelectFeatures {
                                    layer: l.layer.clone(),
                                    fids: vec![l.fid],
                                });
                                asked.push(AppCommand::ZoomToFeature {
                                    layer: l.layer.clone(),
                                    fid: l.fid,
                                });
                            }
                        }
                    });
            });
        }
        if outcome.tables.is_empty() {
            return None;
        }
        let mut shown = self.shown_table.min(outcome.tables.len() - 1);
        egui::ComboBox::from_label(tr(lang, Key::ResultTable))
            .selected_text(outcome.tables[shown].title.clone())
            .width(320.0)
            .show_ui(ui, |ui| {
                for (k, t) in outcome.tables.iter().enumerate() {
                    ui.selectable_value(&mut shown, k, &t.title);
                }
            });
        if shown != self.shown_table {
            self.shown_table = shown;
            self.chart_column = default_chart(outcome, shown);
        }
        let table = &outcome.tables[shown];
        let export = self.export_row(ui, lang);
        result_grid(ui, lang, table);
        ui.separator();
        match &outcome.bars {
            Some(bars) => {
                ui.strong(tr(lang, Key::Chart));
                chart::show(ui, bars);
            }
            None => self.column_chart(ui, lang, table),
        }
        export
    }

    /// The chart of a numeric column of the table, chosen in a combo box.
    fn column_chart(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        table: &crate::analysis::table::ResultTable,
    ) {
        let numeric = chart::numeric_columns(table);
        let Some(first) = numeric.first() else {
            return;
        };
        let code = lang_code(lang);
        let mut column = self.chart_column.unwrap_or(*first);
        egui::ComboBox::from_label(tr(lang, Key::Chart))
            .selected_text(table.columns[column].label(code).to_string())
            .show_ui(ui, |ui| {
                for &k in &numeric {
                    ui.selectable_value(&mut column, k, table.columns[k].label(code));
                }
            });
        self.chart_column = Some(column);
        let bars = chart::bars(table, column);
        chart::show(ui, &bars);
        if bars.len() > chart::MAX_BARS {
            ui.weak(format!("{} / {}", chart::MAX_BARS, bars.len()));
        }
    }

    /// The export path and buttons; returns the export asked for.
    fn export_row(&mut self, ui: &mut egui::Ui, lang: Lang) -> Option<(PathBuf, ExportFormat)> {
        let mut asked = None;
        ui.horizontal(|ui| {
            ui.label(tr(lang, Key::ExportFile));
            ui.add(egui::TextEdit::singleline(&mut self.export_path).desired_width(260.0));
            if ui.button(tr(lang, Key::Browse)).clicked()
                && let Some(p) = rfd::FileDialog::new()
                    .add_filter("CSV", &["csv"])
                    .add_filter("Excel", &["xlsx"])
                    .save_file()
            {
                self.export_path = p.display().to_string();
            }
        });
        ui.horizontal(|ui| {
            let typed = PathBuf::from(self.export_path.trim());
            let ready = !self.export_path.trim().is_empty() && self.export.is_none();
            for (key, format, ext) in [
                (Key::ExportCsv, ExportFormat::Csv, "csv"),
                (Key::ExportXlsx, ExportFormat::Xlsx, "xlsx"),
            ] {
                if ui
                    .add_enabled(ready, egui::Button::new(tr(lang, key)))
                    .clicked()
                {
                    asked = Some((typed.with_extension(ext), format));
                }
            }
            if let Some(p) = &self.exported {
                ui.label(format!("{}: {}", tr(lang, Key::Written), p.display()));
            }
        });
        asked
    }
}

/// The form of one geoprocessing tool.
fn geo_form(
    ui: &mut egui::Ui,
    lang: Lang,
    tool: GeoTool,
    i: &mut Inputs,
    layers: &[LayerInfo],
    all: &[&LayerInfo],
) {
    let before = i.layer.clone();
    layer_row(ui, tr(lang, Key::InputLayer), &mut i.layer, all);
    if i.layer != before {
        i.output = default_output(&i.layer, tool);
    }
    if tool.has_overlay() {
        let key = if tool == GeoTool::SpatialJoin {
            Key::JoinLayer
        } else {
            Key::OverlayLayer
        };
        layer_row(ui, tr(lang, key), &mut i.overlay, all);
    }
    match tool {
        GeoTool::Buffer => {
            ui.label(tr(lang, Key::BufferDistance));
            ui.add(egui::DragValue::new(&mut i.distance).range(-10_000.0..=100_000.0));
            ui.end_row();
            ui.label(tr(lang, Key::Segments));
            ui.add(egui::DragValue::new(&mut i.segments).range(1..=90));
            ui.end_row();
            ui.label("");
            ui.checkbox(&mut i.dissolve, tr(lang, Key::DissolveResult));
            ui.end_row();
        }
        GeoTool::Dissolve => {
            let fields: Vec<String> = layers
                .iter()
                .find(|l| l.name == i.layer)
                .map(|l| l.schema.fields.iter().map(|f| f.name.clone()).collect())
                .unwrap_or_default();
            let all_label = tr(lang, Key::AllIntoOne);
            ui.label(tr(lang, Key::DissolveField));
            egui::ComboBox::from_id_salt("dissolve-field")
                .selected_text(i.field.clone().unwrap_or_else(|| all_label.into()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut i.field, None, all_label);
                    for f in fields {
                        ui.selectable_value(&mut i.field, Some(f.clone()), f);
                    }
                });
            ui.end_row();
        }
        GeoTool::SpatialJoin => {
            ui.label(tr(lang, Key::JoinPredicate));
            egui::ComboBox::from_id_salt("join-predicate")
                .selected_text(tr(lang, Key::Predicate(i.predicate)))
                .show_ui(ui, |ui| {
                    for p in Predicate::ALL {
                        ui.selectable_value(&mut i.predicate, p, tr(lang, Key::Predicate(p)));
                    }
                });
            ui.end_row();
        }
        _ => {}
    }
    ui.label(tr(lang, Key::OutputLayer));
    ui.add(egui::TextEdit::singleline(&mut i.output).desired_width(220.0));
    ui.end_row();
}

/// A labelled layer picker (one grid row).
fn layer_row(ui: &mut egui::Ui, label: &str, value: &mut String, layers: &[&LayerInfo]) {
    ui.label(label);
    egui::ComboBox::from_id_salt(("analysis-layer", label))
        .selected_text(value.clone())
        .width(220.0)
        .show_ui(ui, |ui| {
            for l in layers {
                ui.selectable_value(value, l.name.clone(), &l.name);
            }
        });
    ui.end_row();
}

/// The rows of a result table (only those on screen are laid out).
fn result_grid(ui: &mut egui::Ui, lang: Lang, table: &crate::analysis::table::ResultTable) {
    use egui_extras::{Column, TableBuilder};
    let code = lang_code(lang);
    ui.push_id(("analysis-table", &table.title), |ui| {
        TableBuilder::new(ui)
            .striped(true)
            .resizable(true)
            .max_scroll_height(240.0)
            .columns(
                Column::auto().at_least(60.0).clip(true),
                table.columns.len(),
            )
            .header(22.0, |mut header| {
                for c in &table.columns {
                    header.col(|ui| {
                        ui.strong(c.label(code));
                    });
                }
            })
            .body(|body| {
                body.rows(18.0, table.rows.len(), |mut row| {
                    let values = &table.rows[row.index()];
                    for v in values {
                        row.col(|ui| {
                            ui.label(v.to_string());
                        });
                    }
                });
            });
    });
}

/// The first selected feature of a polygon layer, if any.
fn selected_polygon(layers: &[LayerInfo], selection: &Selection) -> Option<(String, i64)> {
    layers.iter().filter(|l| is_polygon(l)).find_map(|l| {
        let fid = selection.get(&l.name)?.iter().min()?;
        Some((l.name.clone(), *fid))
    })
}

/// The name shown for an analysis.
pub fn choice_label(lang: Lang, choice: Choice) -> &'static str {
    match choice {
        Choice::LandUse => tr(lang, Key::LandUseStats),
        Choice::Compare => tr(lang, Key::CompareLayers),
        Choice::Compliance => tr(lang, Key::PlanCompliance),
        Choice::Coverage => tr(lang, Key::BtsCoverage),
        Choice::Indicators => tr(lang, Key::SmartIndicators),
        Choice::Geo(t) => tr(lang, Key::Geo(t)),
    }
}

/// The chart's column by default: the outcome's choice when the table
/// has it, else its last numeric column.
fn default_chart(outcome: &Outcome, table: usize) -> Option<usize> {
    let t = outcome.tables.get(table)?;
    outcome
        .chart_column
        .as_deref()
        .and_then(|c| t.column_index(c))
        .or_else(|| chart::numeric_columns(t).last().copied())
}

fn default_output(layer: &str, tool: GeoTool) -> String {
    format!("{layer}_{}", tool.key())
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "vi",
        Lang::En => "en",
    }
}

fn is_polygon(l: &LayerInfo) -> bool {
    matches!(
        l.schema.geometry_type.linear(),
        GeometryType::Polygon | GeometryType::MultiPolygon
    )
}

fn is_point(l: &LayerInfo) -> bool {
    matches!(
        l.schema.geometry_type.linear(),
        GeometryType::Point | GeometryType::MultiPoint
    )
}

fn crashed() -> String {
    "the job stopped unexpectedly (a fault in tramgis; please report it)".to_string()
}
