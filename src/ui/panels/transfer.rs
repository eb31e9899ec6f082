//! The import and export dialogs. The plan and preview (the workspace and
//! the source's first rows) are read in the background and shown when they
//! arrive; the import or export itself runs as a background job.

use std::path::PathBuf;

use egui::{Color32, ComboBox, Grid, RichText, ScrollArea};

use crate::crs::PRESETS;
use crate::gpkg::{LayerInfo, LayerMeta};
use crate::io::import::{self, EncodingChoice, Plan};
use crate::io::text::TextReport;
use crate::io::{
    ExportFormat, ExportOptions, FieldMap, ImportOptions, ImportReport, SourceInfo, Target,
    TextEncoding,
};
use crate::model::FieldType;
use crate::ui::i18n::{Key, Lang, tr};
use crate::ui::jobs::{JobError, StoreRead};

const FIELD_TYPES: [FieldType; 7] = [
    FieldType::Text,
    FieldType::Integer,
    FieldType::Real,
    FieldType::Boolean,
    FieldType::Date,
    FieldType::DateTime,
    FieldType::Blob,
];

struct MappingRow {
    include: bool,
    source: String,
    target: String,
    field_type: FieldType,
}

/// What the user asked for when pressing Run.
pub enum Request {
    Import(ImportOptions),
    Export(ExportOptions),
}

pub struct ImportDialog {
    pub open: bool,
    info: Result<SourceInfo, String>,
    layer: usize,
    encoding: Option<TextEncoding>,
    accept_replacements: bool,
    repair_mojibake: bool,
    /// None: the file's own CRS, which has no EPSG code (a custom MapInfo
    /// CoordSys); the import goes through its definition.
    src_crs: Option<i32>,
    new_layer: bool,
    new_name: String,
    existing: String,
    mapping: Vec<MappingRow>,
    plan: Option<Result<Plan, String>>,
    preview: Option<Result<import::Preview, String>>,
    /// The plan and preview being read (off the UI thread).
    previewing: Option<StoreRead<Planned>>,
}

/// A plan with its preview (the preview can fail on its own).
type Planned = (Plan, Result<import::Preview, String>);

/// A label in the window's language, for the few strings only the import,
/// export and repair dialogs use.
pub(super) fn say(lang: Lang, vi: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

impl ImportDialog {
    pub fn new(source: PathBuf, workspace_layers: &[LayerInfo]) -> Self {
        let info = crate::io::inspect(&source).map_err(|e| e.to_string());
        let mut dialog = ImportDialog {
            open: true,
            info,
            layer: 0,
            encoding: None,
            accept_replacements: false,
            repair_mojibake: true,
            src_crs: Some(crate::crs::VN2000_TM3_107),
            new_layer: true,
            new_name: String::new(),
            existing: workspace_layers
                .first()
                .map(|l| l.name.clone())
                .unwrap_or_default(),
            mapping: vec![],
            plan: None,
            preview: None,
            previewing: None,
        };
        dialog.select_layer(0);
        dialog
    }

    fn select_layer(&mut self, index: usize) {
        self.layer = index;
        let Ok(info) = &self.info else { return };
        let Some(layer) = info.layers.get(index) else {
            return;
        };
        self.new_name = layer.name.clone();
        // Detected CRS when there is one; otherwise the province's zone,
        // the usual CRS of a VN-2000 Shapefile that lost its .prj.
        self.src_crs = match layer.crs {
            crate::io::SourceCrs::Epsg(c) => Some(c),
            crate::io::SourceCrs::Wkt(_) => None,
            crate::io::SourceCrs::Unknown => Some(crate::crs::VN2000_TM3_107),
        };
        self.mapping = layer
            .fields
            .iter()
            .map(|f| MappingRow {
                include: true,
                source: f.name.clone(),
                target: f.name.clone(),
                field_type: super_type(f.kind),
            })
            .collect();
        self.plan = None;
        self.preview = None;
        self.previewing = None;
    }

    fn options(&self, workspace: &std::path::Path) -> Option<ImportOptions> {
        let info = self.info.as_ref().ok()?;
        let layer = info.layers.get(self.layer)?;
        let target = if self.new_layer {
            Target::New {
                name: self.new_name.trim().to_string(),
                meta: LayerMeta::default(),
            }
        } else {
            Target::Existing(self.existing.clone())
        };
        let _ = workspace;
        let mut options = ImportOptions::new(&info.path, target);
        options.layer = Some(layer.name.clone());
        options.src_crs = self.src_crs;
        options.encoding = self.encoding;
        options.accept_replacements = self.accept_replacements;
        options.repair_mojibake = self.repair_mojibake;
        options.mapping = Some(
            self.mapping
                .iter()
                .filter(|m| m.include)
                .map(|m| FieldMap {
                    source: m.source.clone(),
                    target: m.target.clone(),
                    field_type: m.field_type,
                })
                .collect(),
        );
        Some(options)
    }

    /// Starts reading the plan and its first rows (the Preview button);
    /// they show when read.
    fn refresh_preview(&mut self, workspace: &std::path::Path) {
        let Some(options) = self.options(workspace) else {
            return;
        };
        self.plan = None;
        self.preview = None;
        self.previewing = Some(StoreRead::start(
            "import preview",
            workspace.to_path_buf(),
            move |gpkg, _| {
                // The workspace's lock is a store error, tried again.
                let plan = import::plan(gpkg, &options).map_err(|e| match e {
                    crate::io::IoError::Gpkg(e) => JobError::Store(e),
                    e => JobError::Transfer(e),
                })?;
                let preview = import::preview(&plan, 10).map_err(|e| e.to_string());
                Ok((plan, preview))
            },
        ));
    }

    /// Shows the plan and preview once read.
    fn take_preview(&mut self, ctx: Option<&egui::Context>) {
        let Some(read) = &mut self.previewing else {
            return;
        };
        let result = match ctx {
            Some(ctx) => read.poll(ctx),
            None => read.take(),
        };
        let Some(result) = result else { return };
        self.previewing = None;
        match result {
            Ok((plan, preview)) => {
                self.plan = Some(Ok(plan));
                self.preview = Some(preview);
            }
            Err(e) => {
                self.plan = Some(Err(e.to_string()));
                self.preview = Some(Err(e.to_string()));
            }
        }
    }

    /// Waits for the plan and preview being read and shows them (tests).
    pub fn finish_preview(&mut self) {
        if let Some(read) = &mut self.previewing {
            read.wait();
        }
        self.take_preview(None);
    }

    /// Draws the dialog; returns the import to run when the user presses Run.
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        lang: Lang,
        workspace: &std::path::Path,
        workspace_layers: &[LayerInfo],
    ) -> Option<Request> {
        let mut request = None;
        self.take_preview(Some(ctx));
        let mut open = self.open;
        egui::Window::new(tr(lang, Key::Import))
            .open(&mut open)
            .resizable(true)
            .default_width(640.0)
            .show(ctx, |ui| {
                let info = match &self.info {
                    Ok(info) => info.clone(),
                    Err(e) => {
                        ui.colored_label(Color32::RED, e);
                        return;
                    }
                };
                ui.label(format!("{} ({})", info.path.display(), info.driver));
                let mut chosen = self.layer;
                ComboBox::from_label(tr(lang, Key::SourceLayer))
                    .selected_text(info.layers.get(self.layer).map_or("", |l| l.name.as_str()))
                    .show_ui(ui, |ui| {
                        for (i, l) in info.layers.iter().enumerate() {
                            ui.selectable_value(
                                &mut chosen,
                                i,
                                format!(
                                    "{} ({})",
                                    l.name,
                                    l.feature_count.map_or("?".into(), |n| n.to_string())
                                ),
                            );
                        }
                    });
                if chosen != self.layer {
                    self.select_layer(chosen);
                }
                let detected = match &self.plan {
                    Some(Ok(p)) if p.encoding_choice == EncodingChoice::Detected => format!(
                        " ({}: {}{})",
                        tr(lang, Key::Detected),
                        p.encoding.label(),
                        p.encoding_confidence
                            .map_or(String::new(), |c| format!(", {:.0}%", c * 100.0))
                    ),
                    Some(Ok(p)) if p.encoding_choice == EncodingChoice::Declared => {
                        format!(" ({}: {})", tr(lang, Key::Declared), p.encoding.label())
                    }
                    _ => String::new(),
                };
                ComboBox::from_label(format!("{}{detected}", tr(lang, Key::Encoding)))
                    .selected_text(
                        self.encoding
                            .map_or(tr(lang, Key::Automatic), |e| e.label()),
                    )
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.encoding, None, tr(lang, Key::Automatic));
                        for e in TextEncoding::all() {
                            ui.selectable_value(&mut self.encoding, Some(e), e.label());
                        }
                    });
                ui.horizontal(|ui| {
                    ui.checkbox(
                        &mut self.repair_mojibake,
                        say(
                            lang,
                            "Sửa lỗi mã hóa (TCVN3/VNI bị đọc nhầm là Latin-1)",
                            "Repair mojibake (TCVN3/VNI misread as Latin-1)",
                        ),
                    );
                    ui.checkbox(
                        &mut self.accept_replacements,
                        say(
                            lang,
                            "Chấp nhận ký tự bị thay (U+FFFD)",
                            "Accept replaced characters (U+FFFD)",
                        ),
                    );
                });
                let own = self
                    .info
                    .as_ref()
                    .ok()
                    .and_then(|i| i.layers.get(self.layer))
                    .is_some_and(|l| matches!(l.crs, crate::io::SourceCrs::Wkt(_)));
                source_crs_combo(ui, tr(lang, Key::SourceCrs), &mut self.src_crs, own);
                ui.horizontal(|ui| {
                    ui.radio_value(&mut self.new_layer, true, tr(lang, Key::NewLayer));
                    ui.radio_value(&mut self.new_layer, false, tr(lang, Key::ExistingLayer));
                });
                if self.new_layer {
                    ui.horizontal(|ui| {
                        let label = ui.label(tr(lang, Key::LayerName));
                        ui.text_edit_singleline(&mut self.new_name)
                            .labelled_by(label.id);
                    });
                } else {
                    ComboBox::from_label(tr(lang, Key::Layer))
                        .selected_text(self.existing.as_str())
                        .show_ui(ui, |ui| {
                            for l in workspace_layers {
                                ui.selectable_value(
                                    &mut self.existing,
                                    l.name.clone(),
                                    l.name.as_str(),
                                );
                            }
                        });
                }
                ui.separator();
                ui.label(RichText::new(tr(lang, Key::FieldMapping)).strong());
                let target_fields: Vec<String> = workspace_layers
                    .iter()
                    .find(|l| l.name == self.existing)
                    .map(|l| l.schema.fields.iter().map(|f| f.name.clone()).collect())
                    .unwrap_or_default();
                ScrollArea::vertical()
                    .id_salt("mapping")
                    .max_height(220.0)
                    .show(ui, |ui| {
                        Grid::new("mapping-grid").striped(true).show(ui, |ui| {
                            ui.label(tr(lang, Key::SourceField));
                            ui.label(tr(lang, Key::TargetField));
                            ui.label(tr(lang, Key::FieldTypeLabel));
                            ui.end_row();
                            for (i, row) in self.mapping.iter_mut().enumerate() {
                                let source = ui.checkbox(&mut row.include, row.source.as_str());
                                if self.new_layer {
                                    ui.text_edit_singleline(&mut row.target)
                                        .labelled_by(source.id);
                                    ComboBox::from_id_salt(("type", i))
                                        .selected_text(row.field_type.sql_name())
                                        .show_ui(ui, |ui| {
                                            for t in FIELD_TYPES {
                                                ui.selectable_value(
                                                    &mut row.field_type,
                                                    t,
                                                    t.sql_name(),
                                                );
                                            }
                                        })
                                        .response
                                        .labelled_by(source.id);
                                } else {
                                    ComboBox::from_id_salt(("target", i))
                                        .selected_text(row.target.as_str())
                                        .show_ui(ui, |ui| {
                                            for name in &target_fields {
                                                ui.selectable_value(
                                                    &mut row.target,
                                                    name.clone(),
                                                    name.as_str(),
                                                );
                                            }
                                        })
                                        .response
                                        .labelled_by(source.id);
                                    ui.label("");
                                }
                                ui.end_row();
                            }
                        });
                    });
                ui.horizontal(|ui| {
                    if ui.button(tr(lang, Key::Preview)).clicked() {
                        self.refresh_preview(workspace);
                    }
                    if ui
                        .button(RichText::new(tr(lang, Key::Run)).strong())
                        .clicked()
                        && let Some(options) = self.options(workspace)
                    {
                        request = Some(Request::Import(options));
                    }
                });
                match &self.preview {
                    Some(Ok(preview)) => {
                        text_report(ui, lang, &preview.text);
                        let rows = &preview.rows;
                        ScrollArea::both()
                            .id_salt("preview")
                            .max_height(200.0)
                            .show(ui, |ui| {
                                Grid::new("preview-grid").striped(true).show(ui, |ui| {
                                    for (i, row) in rows.iter().enumerate() {
                                        ui.label(format!("{}", i + 1));
                                        match row {
                                            Ok(cells) => cells.iter().for_each(|c| {
                                                ui.label(shown(c));
                                            }),
                                            Err(e) => {
                                                ui.colored_label(Color32::from_rgb(200, 40, 40), e);
                                            }
                                        }
                                        ui.end_row();
                                    }
                                });
                            });
                    }
                    Some(Err(e)) => {
                        ui.colored_label(Color32::from_rgb(200, 40, 40), e);
                    }
                    // No spinner: it would repaint every frame (see ui::jobs).
                    None if self.previewing.is_some() => {
                        ui.label("…");
                    }
                    None => {}
                }
            });
        self.open = open && request.is_none();
        request
    }
}

/// Text as the window can draw it: its fonts have no U+FFFD glyph.
fn shown(text: &str) -> String {
    text.replace(char::REPLACEMENT_CHARACTER, "?")
}

/// Replacement characters and mojibake repairs, in the preview and the report.
fn text_report(ui: &mut egui::Ui, lang: Lang, text: &TextReport) {
    let count = |ui: &mut egui::Ui, color: Color32, label: &str, n: u64| {
        ui.colored_label(color, format!("{label}: {n}"));
    };
    if text.replaced_chars > 0 {
        count(
            ui,
            Color32::from_rgb(200, 40, 40),
            say(
                lang,
                "Ký tự không giải mã được (thay bằng U+FFFD)",
                "Characters that do not decode (replaced with U+FFFD)",
            ),
            text.replaced_chars,
        );
        for r in text.replaced.iter().take(5) {
            ui.label(format!(
                "  {} {}, {}: {}",
                tr(lang, Key::Row),
                r.row,
                r.field,
                shown(&r.text)
            ));
        }
    }
    if text.repaired_count > 0 {
        count(
            ui,
            Color32::from_rgb(0, 120, 60),
            say(
                lang,
                "Giá trị đã sửa lỗi mã hóa",
                "Values repaired from mojibake",
            ),
            text.repaired_count,
        );
        ScrollArea::vertical()
            .id_salt("repairs")
            .max_height(120.0)
            .show(ui, |ui| {
                for r in text.repairs.iter().take(200) {
                    ui.label(format!(
                        "{} {}, {}: {} -> {} ({})",
                        tr(lang, Key::Row),
                        r.row,
                        r.field,
                        r.before,
                        r.after,
                        r.encoding.label()
                    ));
                }
            });
    }
}

fn super_type(kind: crate::io::source::SourceFieldKind) -> FieldType {
    use crate::io::source::SourceFieldKind as K;
    match kind {
        K::Integer => FieldType::Integer,
        K::Real => FieldType::Real,
        K::Text => FieldType::Text,
        K::Date => FieldType::Date,
        K::DateTime => FieldType::DateTime,
        K::Binary => FieldType::Blob,
    }
}

/// The source CRS: a preset, or (`own`) the file's own definition.
fn source_crs_combo(ui: &mut egui::Ui, label: &str, crs: &mut Option<i32>, own: bool) {
    const OWN: &str = "CoordSys / .prj";
    let current = match *crs {
        None => OWN.to_string(),
        Some(epsg) => PRESETS
            .iter()
            .find(|p| p.epsg == epsg)
            .map_or(format!("EPSG:{epsg}"), |p| {
                format!("{} (EPSG:{})", p.label, p.epsg)
            }),
    };
    ComboBox::from_label(label)
        .selected_text(current)
        .show_ui(ui, |ui| {
            if own {
                ui.selectable_value(crs, None, OWN);
            }
            for p in PRESETS {
                ui.selectable_value(crs, Some(p.epsg), format!("{} (EPSG:{})", p.label, p.epsg));
            }
        });
}

fn crs_combo(ui: &mut egui::Ui, label: &str, epsg: &mut i32) {
    let current = PRESETS
        .iter()
        .find(|p| p.epsg == *epsg)
        .map_or(format!("EPSG:{epsg}"), |p| {
            format!("{} (EPSG:{})", p.label, p.epsg)
        });
    ComboBox::from_label(label)
        .selected_text(current)
        .show_ui(ui, |ui| {
            for p in PRESETS {
                ui.selectable_value(epsg, p.epsg, format!("{} (EPSG:{})", p.label, p.epsg));
            }
        });
}

pub struct ExportDialog {
    pub open: bool,
    layer: String,
    format: ExportFormat,
    crs: i32,
    legacy: Option<TextEncoding>,
}

impl ExportDialog {
    pub fn new(layers: &[LayerInfo]) -> Self {
        let first = layers.first();
        ExportDialog {
            open: true,
            layer: first.map(|l| l.name.clone()).unwrap_or_default(),
            format: ExportFormat::Shapefile,
            crs: first.map_or(crate::crs::VN2000_TM3_107, |l| l.schema.srs_id),
            legacy: None,
        }
    }

    pub fn show(
        &mut self,
        ctx: &egui::Context,
        lang: Lang,
        layers: &[LayerInfo],
    ) -> Option<Request> {
        let mut request = None;
        let mut open = self.open;
        egui::Window::new(tr(lang, Key::Export))
            .open(&mut open)
            .show(ctx, |ui| {
                ComboBox::from_label(tr(lang, Key::Layer))
                    .selected_text(self.layer.as_str())
                    .show_ui(ui, |ui| {
                        for l in layers {
                            ui.selectable_value(&mut self.layer, l.name.clone(), l.name.as_str());
                        }
                    });
                ComboBox::from_label(tr(lang, Key::Format))
                    .selected_text(format!("{:?}", self.format))
                    .show_ui(ui, |ui| {
                        for f in ExportFormat::ALL {
                            ui.selectable_value(
                                &mut self.format,
                                f,
                                format!("{f:?} (.{})", f.extension()),
                            );
                        }
                    });
                if matches!(self.format, ExportFormat::GeoJson | ExportFormat::Kml) {
                    ui.label("WGS 84 (EPSG:4326)");
                } else {
                    crs_combo(ui, tr(lang, Key::TargetCrs), &mut self.crs);
                }
                if self.format == ExportFormat::Shapefile {
                    ComboBox::from_label(tr(lang, Key::Encoding))
                        .selected_text(self.legacy.map_or("UTF-8", |e| e.label()))
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut self.legacy, None, "UTF-8");
                            for e in TextEncoding::all().into_iter().skip(1) {
                                ui.selectable_value(&mut self.legacy, Some(e), e.label());
                            }
                        });
                }
                if ui
                    .button(RichText::new(tr(lang, Key::Run)).strong())
                    .clicked()
                    && let Some(out) = rfd::FileDialog::new()
                        .set_file_name(format!("{}.{}", self.layer, self.format.extension()))
                        .add_filter(format!("{:?}", self.format), &[self.format.extension()])
                        .save_file()
                {
                    request = Some(Request::Export(ExportOptions {
                        layer: self.layer.clone(),
                        out,
                        format: self.format,
                        target_crs: Some(self.crs),
                        fids: None,
                        encoding: self.legacy,
                    }));
                }
            });
        self.open = open && request.is_none();
        request
    }
}

/// The outcome of an import, shown until closed.
pub struct ReportWindow {
    pub open: bool,
    pub report: Result<ImportReport, String>,
}

impl ReportWindow {
    pub fn show(&mut self, ctx: &egui::Context, lang: Lang) {
        let mut open = self.open;
        egui::Window::new(tr(lang, Key::Import))
            .open(&mut open)
            .default_width(560.0)
            .show(ctx, |ui| match &self.report {
                Err(e) => {
                    ui.colored_label(
                        Color32::from_rgb(200, 40, 40),
                        format!("{}: {e}", tr(lang, Key::Failed)),
                    );
                }
                Ok(report) => {
                    for (layer, n) in &report.loaded {
                        ui.label(format!("{}: {layer} — {n}", tr(lang, Key::Imported)));
                    }
                    ui.label(format!(
                        "{}: {} · {}: {}",
                        tr(lang, Key::Encoding),
                        report.encoding.label(),
                        tr(lang, Key::SourceCrs),
                        report.src_crs_label.clone().unwrap_or_else(|| "-".into())
                    ));
                    text_report(ui, lang, &report.text);
                    // What GDAL warned of, Z/M dropped, a rebuilt .shx, ...
                    for w in &report.warnings {
                        ui.colored_label(Color32::from_rgb(200, 120, 0), w);
                    }
                    if !report.rejected.is_empty() {
                        ui.colored_label(
                            Color32::from_rgb(200, 120, 0),
                            format!("{}: {}", tr(lang, Key::Rejected), report.rejected.len()),
                        );
                        if ui.button(tr(lang, Key::SaveReport)).clicked()
                            && let Some(path) = rfd::FileDialog::new()
                                .set_file_name("import-report.csv")
                                .save_file()
                            && let Err(e) = std::fs::write(&path, report.to_csv())
                        {
                            ui.colored_label(Color32::RED, format!("{}: {e}", path.display()));
                        }
                        ScrollArea::vertical().max_height(260.0).show(ui, |ui| {
                            Grid::new("rejected").striped(true).show(ui, |ui| {
                                ui.label(tr(lang, Key::Row));
                                ui.label(tr(lang, Key::Field));
                                ui.label(tr(lang, Key::Reason));
                                ui.end_row();
                                for r in report.rejected.iter().take(500) {
                                    ui.label(r.row.to_string());
                                    ui.label(&r.field);
                                    ui.label(&r.reason);
                                    ui.end_row();
                                }
                            });
                        });
                    }
                }
            });
        self.open = open;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpkg::GeoPackage;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    /// The dialog detects a TCVN3 table, previews its rows decoded, and Run
    /// hands over an import that stores them as Unicode.
    #[test]
    fn import_dialog_previews_decoded_rows_and_runs_the_import() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = dir.path().join("ws.gpkg");
        drop(GeoPackage::create(&workspace).unwrap());
        let csv = dir.path().join("bts.csv");
        let mut bytes = b"ma_tram,kinh_do,vi_do,ghi_chu\nBGG1,106.2,21.3,\"".to_vec();
        bytes.extend(
            crate::io::encoding::encode(
                "Trạm xã Tân Tiến",
                crate::io::encoding::LegacyEncoding::Tcvn3,
            )
            .unwrap(),
        );
        bytes.extend(b"\"\n");
        std::fs::write(&csv, bytes).unwrap();

        let dialog = ImportDialog::new(csv.clone(), &[]);
        let state = (dialog, None::<Request>, false);
        let ws = workspace.clone();
        let mut harness = Harness::new_ui_state(
            move |ui, (dialog, request, fonts): &mut (ImportDialog, Option<Request>, bool)| {
                // Fonts apply from the next frame: the first one only installs
                // them (egui refuses to lay out a glyph it has no font for).
                if !*fonts {
                    crate::ui::install_fonts(ui.ctx());
                    *fonts = true;
                    return;
                }
                if let Some(r) = dialog.show(ui.ctx(), Lang::Vi, &ws, &[]) {
                    *request = Some(r);
                }
            },
            state,
        );
        harness.run();
        harness.get_by_label("Xem trước").click();
        harness.run();
        // The plan and preview are read in the background.
        harness.state_mut().0.finish_preview();
        harness.run();
        harness.get_by_label_contains("Trạm xã Tân Tiến");
        assert!(
            harness
                .query_by_label_contains("phát hiện: TCVN3")
                .is_some(),
            "the detected encoding is shown"
        );
        harness.get_by_label("Thực hiện").click();
        harness.run();
        let Some(Request::Import(options)) = harness.state_mut().1.take() else {
            panic!("Run gave no import")
        };
        let mut gpkg = GeoPackage::open(&workspace).unwrap();
        let report =
            crate::io::import(&mut gpkg, &options, &crate::jobs::Progress::default()).unwrap();
        assert_eq!(report.imported(), 1);
        let f = &gpkg.all_features("bts").unwrap()[0];
        assert!(
            f.values.iter().any(|v| v.to_string() == "Trạm xã Tân Tiến"),
            "{:?}",
            f.values
        );
    }
}
