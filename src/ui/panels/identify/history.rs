//! The identified feature's history from the edit journal: read in the
//! identify job (never in a frame), shown as a collapsed section of the
//! feature, one block per change, oldest first.

use std::path::Path;

use crate::gpkg::{GEOMETRY_FIELD, GeoPackage, HistoryEntry, HistoryOp, HistoryValue};
use crate::model::FieldValue;
use crate::ui::i18n::{HistoryKey, Key, Lang, tr};
use crate::ui::jobs::JobError;

use super::Identified;

/// Fills each found feature's history, in the job that found them.
pub fn read(path: &Path, found: &mut [Identified]) -> Result<(), JobError> {
    if found.is_empty() {
        return Ok(());
    }
    let gpkg = GeoPackage::open_read_only(path)?;
    for item in found {
        item.history = gpkg.feature_history(&item.layer, item.fid)?;
    }
    Ok(())
}

fn t(lang: Lang, key: HistoryKey) -> &'static str {
    tr(lang, Key::History(key))
}

/// The collapsed "History (n)" section of feature `k` of the panel.
pub fn show(ui: &mut egui::Ui, lang: Lang, k: usize, entries: &[HistoryEntry]) {
    let title = format!("{} ({})", t(lang, HistoryKey::Title), entries.len());
    egui::CollapsingHeader::new(title)
        .id_salt(("identify-history", k))
        .default_open(false)
        .show(ui, |ui| {
            if entries.is_empty() {
                ui.label(t(lang, HistoryKey::NoChanges));
            }
            for entry in entries {
                ui.separator();
                ui.label(egui::RichText::new(heading(lang, entry)).strong());
                ui.label(source(lang, entry));
                // "»", not "→": the window's fonts (Noto Sans, egui's
                // own) have no arrows.
                for field in &entry.fields {
                    let name = if field.name == GEOMETRY_FIELD {
                        t(lang, HistoryKey::Geometry)
                    } else {
                        field.name.as_str()
                    };
                    let side = |v: &Option<HistoryValue>| {
                        v.as_ref().map_or("—".to_string(), |v| value(lang, v))
                    };
                    ui.label(format!(
                        "{name}: {} » {}",
                        side(&field.old),
                        side(&field.new)
                    ));
                }
            }
        });
}

/// "2026-12-03 09:41:07 · user · sửa": the journal's UTC time to the
/// second.
fn heading(lang: Lang, entry: &HistoryEntry) -> String {
    let time = entry.changed_at.replace('T', " ");
    let time = time
        .split('.')
        .next()
        .unwrap_or(&time)
        .trim_end_matches('Z');
    let op = t(
        lang,
        match entry.op {
            HistoryOp::Insert => HistoryKey::Inserted,
            HistoryOp::Update => HistoryKey::Updated,
            HistoryOp::Delete => HistoryKey::Deleted,
        },
    );
    format!("{time} · {} · {op}", entry.user)
}

/// The edit's description, or that another program made the change.
fn source(lang: Lang, entry: &HistoryEntry) -> String {
    match (entry.edit_id, entry.description.as_deref()) {
        (Some(_), Some(d)) if !d.is_empty() => d.to_string(),
        (Some(id), _) => format!("{} {id}", t(lang, HistoryKey::Edit)),
        (None, _) => t(lang, HistoryKey::OtherProgram).to_string(),
    }
}

fn value(lang: Lang, v: &HistoryValue) -> String {
    match v {
        HistoryValue::Field(FieldValue::Null) | HistoryValue::Geometry(None) => {
            t(lang, HistoryKey::Empty).to_string()
        }
        HistoryValue::Field(v) => v.to_string(),
        HistoryValue::Geometry(Some(g)) => {
            let mut s = format!(
                "{}, {} {}",
                g.geometry_type.name(),
                g.vertices,
                t(lang, HistoryKey::Vertices)
            );
            if let Some([x, y]) = g.centre {
                s.push_str(&format!(", ({x:.2}, {y:.2})"));
            }
            s
        }
        HistoryValue::BadGeometry(e) => {
            format!("{} ({e})", t(lang, HistoryKey::UnreadableGeometry))
        }
    }
}
