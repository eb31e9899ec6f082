//! The identify results: each feature found under the click with its
//! attributes, its history from the edit journal, and a button to zoom
//! to it.

pub mod history;

use crate::model::FieldValue;
use crate::ui::command::AppCommand;
use crate::ui::i18n::{Key, Lang, tr};

/// One feature found under the cursor.
pub struct Identified {
    pub layer: String,
    pub fid: i64,
    pub values: Vec<(String, FieldValue)>,
    /// Its changes from the edit journal, oldest first (read in the
    /// identify job; empty until then).
    pub history: Vec<crate::gpkg::HistoryEntry>,
}

#[derive(Default)]
pub struct IdentifyPanel {
    /// Top layer first.
    pub results: Vec<Identified>,
}

impl IdentifyPanel {
    pub fn is_empty(&self) -> bool {
        self.results.is_empty()
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> Vec<AppCommand> {
        ui.heading(tr(lang, Key::IdentifyResults));
        let mut asked = Vec::new();
        egui::ScrollArea::vertical().show(ui, |ui| {
            for (k, item) in self.results.iter().enumerate() {
                egui::CollapsingHeader::new(format!("{} · fid {}", item.layer, item.fid))
                    .id_salt(("identify", k))
                    .default_open(true)
                    .show(ui, |ui| {
                        egui::Grid::new(("identify-grid", k))
                            .striped(true)
                            .show(ui, |ui| {
                                for (name, value) in &item.values {
                                    ui.label(name);
                                    ui.label(value.to_string());
                                    ui.end_row();
                                }
                            });
                        history::show(ui, lang, k, &item.history);
                        if ui.button(tr(lang, Key::ZoomTo)).clicked() {
                            asked.push(AppCommand::ZoomToFeature {
                                layer: item.layer.clone(),
                                fid: item.fid,
                            });
                        }
                    });
            }
        });
        asked
    }
}
