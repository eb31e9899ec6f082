//! The mojibake repair tool: pick a layer and its text fields, preview
//! what would change (before -> after), apply it as one undoable edit.
//! The preview, the repair and its undo all run off the UI thread; the
//! dialog shows "…" until they are done.

use std::path::{Path, PathBuf};

use egui::{Color32, ComboBox, Grid, RichText, ScrollArea};

use super::transfer::say;
use crate::gpkg::LayerInfo;
use crate::io::repair_text::{ValueRepair, apply_repairs, find_repairs};
use crate::model::FieldType;
use crate::ui::i18n::{Key, Lang, tr};
use crate::ui::jobs::{JobError, StoreRead};

/// What a finished write of the dialog did.
enum Written {
    /// The repairs applied as one edit (None: nothing to do, or the
    /// workspace keeps no journal), and how many values.
    Repaired { edit: Option<i64>, count: usize },
    /// The last repair taken back.
    Undone,
}

pub struct RepairTextDialog {
    pub open: bool,
    layer: String,
    /// Text fields of the layer and whether each is repaired.
    fields: Vec<(String, bool)>,
    preview: Option<Result<Vec<ValueRepair>, String>>,
    /// The preview being read (a scan of the whole layer, off the UI thread).
    previewing: Option<StoreRead<Vec<ValueRepair>>>,
    outcome: Option<Result<String, String>>,
    /// The edit the last Run made, which Undo takes back.
    applied: Option<i64>,
    /// The repair or undo being written (off the UI thread).
    writing: Option<StoreRead<Written>>,
}

impl RepairTextDialog {
    pub fn new(layers: &[LayerInfo]) -> Self {
        let mut dialog = RepairTextDialog {
            open: true,
            layer: String::new(),
            fields: Vec::new(),
            preview: None,
            previewing: None,
            outcome: None,
            applied: None,
            writing: None,
        };
        if let Some(first) = layers.first() {
            dialog.select(first);
        }
        dialog
    }

    fn select(&mut self, layer: &LayerInfo) {
        self.layer = layer.name.clone();
        self.fields = layer
            .schema
            .fields
            .iter()
            .filter(|f| f.field_type == FieldType::Text)
            .map(|f| (f.name.clone(), true))
            .collect();
        self.preview = None;
        self.previewing = None;
    }

    fn chosen(&self) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(_, on)| *on)
            .map(|(f, _)| f.clone())
            .collect()
    }

    /// Starts reading what the repair would change (the dialog's Preview
    /// button); it shows when read.
    pub fn refresh_preview(&mut self, workspace: &Path) {
        let fields = self.chosen();
        let layer = self.layer.clone();
        self.preview = None;
        self.previewing = Some(StoreRead::start(
            format!("repair preview {layer}"),
            workspace.to_path_buf(),
            move |gpkg, _| Ok(find_repairs(gpkg, &layer, Some(&fields))?),
        ));
    }

    /// Waits for the preview being read (tests); the next frame shows it.
    pub fn finish_preview(&mut self) {
        if let Some(read) = &mut self.previewing {
            read.wait();
        }
    }

    /// Starts applying the previewed repairs as one edit, in the
    /// background; the outcome shows when it is written. The preview stays
    /// until then, so that a refused write (another program's lock) can be
    /// run again.
    pub fn apply(&mut self, workspace: &Path) {
        if self.writing.is_some() {
            return;
        }
        let Some(Ok(repairs)) = &self.preview else {
            return;
        };
        let repairs = repairs.clone();
        let layer = self.layer.clone();
        self.outcome = None;
        self.writing = Some(StoreRead::start_write(
            format!("repair {layer}"),
            workspace.to_path_buf(),
            move |gpkg, _| {
                let edit = apply_repairs(gpkg, &layer, &repairs)?;
                let count = repairs.len();
                Ok(Written::Repaired { edit, count })
            },
        ));
    }

    /// Starts taking the last applied repair back (one more edit in the
    /// journal), in the background.
    pub fn undo(&mut self, workspace: &Path) {
        if self.writing.is_some() {
            return;
        }
        let Some(edit) = self.applied.take() else {
            return;
        };
        self.outcome = None;
        self.writing = Some(undo_write(edit, workspace.to_path_buf()));
    }

    /// Whether a repair or undo is being written.
    pub fn is_writing(&self) -> bool {
        self.writing.is_some()
    }

    /// Waits for the repair or undo being written (tests); the next frame
    /// shows its outcome.
    pub fn finish_write(&mut self) {
        if let Some(write) = &mut self.writing {
            write.wait();
        }
    }

    /// Takes a finished write's outcome; true when the workspace changed.
    fn take_written(&mut self, ctx: &egui::Context, lang: Lang) -> bool {
        let Some(result) = self.writing.as_mut().and_then(|w| w.poll(ctx)) else {
            return false;
        };
        self.writing = None;
        let (outcome, changed) = match result {
            Ok(Written::Repaired { edit, count }) => {
                self.applied = edit;
                self.preview = None;
                let said = format!("{}: {count}", say(lang, "Đã sửa", "Repaired"));
                (Ok(said), edit.is_some())
            }
            Ok(Written::Undone) => (Ok(say(lang, "Đã hoàn tác", "Undone").to_string()), true),
            Err(e) => (Err(e.to_string()), false),
        };
        self.outcome = Some(outcome);
        changed
    }

    /// Draws the dialog; true when an applied repair changed the workspace.
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        lang: Lang,
        workspace: &Path,
        layers: &[LayerInfo],
    ) -> bool {
        let changed = self.take_written(ctx, lang);
        if let Some(result) = self.previewing.as_mut().and_then(|r| r.poll(ctx)) {
            self.previewing = None;
            self.preview = Some(result.map_err(|e| e.to_string()));
        }
        let mut open = self.open;
        egui::Window::new(say(lang, "Sửa lỗi mã hóa", "Repair mojibake"))
            .open(&mut open)
            .default_width(560.0)
            .show(ctx, |ui| {
                ui.label(say(
                    lang,
                    "Chữ TCVN3/VNI từng bị đọc nhầm là Latin-1 (\"Th«n\" -> \"Thôn\")",
                    "TCVN3/VNI text once misread as Latin-1 (\"Th«n\" -> \"Thôn\")",
                ));
                let mut chosen = None;
                ComboBox::from_label(tr(lang, Key::Layer))
                    .selected_text(self.layer.as_str())
                    .show_ui(ui, |ui| {
                        for l in layers {
                            if ui
                                .selectable_label(l.name == self.layer, l.name.as_str())
                                .clicked()
                            {
                                chosen = Some(l);
                            }
                        }
                    });
                if let Some(l) = chosen {
                    self.select(l);
                }
                ui.horizontal_wrapped(|ui| {
                    for (name, on) in &mut self.fields {
                        ui.checkbox(on, name.as_str());
                    }
                });
                ui.horizontal(|ui| {
                    if ui.button(tr(lang, Key::Preview)).clicked() {
                        self.refresh_preview(workspace);
                    }
                    let writing = self.writing.is_some();
                    let ready = !writing && matches!(&self.preview, Some(Ok(r)) if !r.is_empty());
                    if ui
                        .add_enabled(
                            ready,
                            egui::Button::new(RichText::new(tr(lang, Key::Run)).strong()),
                        )
                        .clicked()
                    {
                        self.apply(workspace);
                    }
                    if self.applied.is_some()
                        && ui
                            .add_enabled(!writing, egui::Button::new(say(lang, "Hoàn tác", "Undo")))
                            .clicked()
                    {
                        self.undo(workspace);
                    }
                });
                match &self.preview {
                    Some(Ok(repairs)) if repairs.is_empty() => {
                        ui.label(say(lang, "Không có gì cần sửa", "Nothing to repair"));
                    }
                    Some(Ok(repairs)) => {
                        ui.label(format!(
                            "{}: {}",
                            say(lang, "Sẽ sửa", "Would repair"),
                            repairs.len()
                        ));
                        ScrollArea::vertical().max_height(260.0).show(ui, |ui| {
                            Grid::new("repairs").striped(true).show(ui, |ui| {
                                for r in repairs.iter().take(500) {
                                    ui.label(r.fid.to_string());
                                    ui.label(&r.field);
                                    ui.label(&r.before);
                                    ui.label(format!("-> {}", r.after));
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
                if self.writing.is_some() {
                    ui.label(say(lang, "Đang ghi…", "Writing…"));
                }
                match &self.outcome {
                    Some(Ok(m)) => {
                        ui.colored_label(Color32::from_rgb(0, 120, 60), m);
                    }
                    Some(Err(e)) => {
                        ui.colored_label(Color32::from_rgb(200, 40, 40), e);
                    }
                    None => {}
                }
            });
        // The dialog stays until its write is answered (the map reloads then).
        self.open = open || self.writing.is_some();
        changed
    }
}

/// Takes edit `edit` back, in the background.
fn undo_write(edit: i64, workspace: PathBuf) -> StoreRead<Written> {
    StoreRead::start_write(format!("undo {edit}"), workspace, move |gpkg, _| {
        gpkg.undo_edit(edit).map_err(JobError::Store)?;
        Ok(Written::Undone)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpkg::{GeoPackage, LayerMeta};
    use crate::model::{Feature, Field, FieldValue, GeometryType, Schema};
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    /// Preview lists before -> after; Run repairs the layer in one edit.
    #[test]
    fn previews_and_repairs_a_layer() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("ws.gpkg");
        let mut gpkg = GeoPackage::create(&ws).unwrap();
        let schema = Schema::new(
            GeometryType::Point,
            9214,
            vec![Field::new("ten", FieldType::Text)],
        );
        gpkg.create_layer("thua", &schema, &LayerMeta::default())
            .unwrap();
        for text in ["Th«n Thanh Êm", "México"] {
            gpkg.insert_feature(
                "thua",
                &Feature::new(None, vec![FieldValue::Text(text.into())]),
            )
            .unwrap();
        }
        let layers = gpkg.layers().unwrap();
        drop(gpkg);
        let texts = |gpkg: &GeoPackage| -> Vec<String> {
            gpkg.all_features("thua")
                .unwrap()
                .iter()
                .map(|f| f.values[0].to_string())
                .collect()
        };
        let dialog = RepairTextDialog::new(&layers);
        let path = ws.clone();
        let mut harness = Harness::new_ui_state(
            move |ui, (dialog, fonts): &mut (RepairTextDialog, bool)| {
                if !*fonts {
                    crate::ui::install_fonts(ui.ctx());
                    *fonts = true;
                    return;
                }
                dialog.show(ui.ctx(), Lang::Vi, &path, &layers);
            },
            (dialog, false),
        );
        harness.run();
        harness.get_by_label("Xem trước").click();
        harness.run();
        harness.state_mut().0.finish_preview();
        harness.run();
        harness.get_by_label("-> Thôn Thanh Ấm");
        harness.get_by_label("Thực hiện").click();
        harness.run();
        // The repair is written in the background.
        harness.state_mut().0.finish_write();
        harness.run();
        harness.get_by_label_contains("Đã sửa: 1");
        let gpkg = GeoPackage::open(&ws).unwrap();
        let values = texts(&gpkg);
        assert_eq!(values, ["Thôn Thanh Ấm", "México"]);
        let edits: i64 = gpkg
            .connection()
            .query_row(
                "SELECT count(*) FROM tramgis_edits WHERE description = 'Sửa lỗi mã hóa: 1 giá trị'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(edits, 1);
        drop(gpkg);

        harness.get_by_label("Hoàn tác").click();
        harness.run();
        harness.state_mut().0.finish_write();
        harness.run();
        assert!(
            matches!(&harness.state().0.outcome, Some(Ok(m)) if m == "Đã hoàn tác"),
            "{:?}",
            harness.state().0.outcome
        );
        let gpkg = GeoPackage::open_read_only(&ws).unwrap();
        let values = texts(&gpkg);
        assert_eq!(
            values,
            ["Th«n Thanh Êm", "México"],
            "Undo restores the text"
        );
    }
}
