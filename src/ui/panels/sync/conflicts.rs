//! The conflicts page: the open conflicts, and for the chosen one its
//! fields side by side (base, mine, theirs; those that differ
//! highlighted), the three geometries drawn over each other, and the
//! resolutions: keep mine, take theirs, or a version merged field by
//! field. Each resolution is a task (an undoable edit of the workspace,
//! pushed with the next sync).

use std::collections::BTreeMap;

use egui::RichText;
use serde_json::Value;

use super::geometry::{self, BASE, MINE, THEIRS};
use super::tasks::{Overview, Task};
use super::{start, t};
use crate::sync::record::{GEOMETRY, Record};
use crate::sync::resolve::Resolution;
use crate::sync::state::{Conflict, ConflictKind};
use crate::ui::command::AppCommand;
use crate::ui::i18n::{Lang, SyncKey as S};

/// Which version a field of the merged one comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Mine,
    Theirs,
}

#[derive(Debug, Clone, Default)]
pub struct ConflictsView {
    /// The conflict shown (its id).
    pub selected: Option<i64>,
    /// The field-by-field merge being made, by field (None: not merging).
    pub merging: Option<BTreeMap<String, Side>>,
}

impl ConflictsView {
    /// After a new overview: the chosen conflict stays if still open,
    /// else the first open one is shown.
    pub fn keep_valid(&mut self, conflicts: &[Conflict]) {
        if !conflicts.iter().any(|c| Some(c.id) == self.selected) {
            self.selected = conflicts.first().map(|c| c.id);
            self.merging = None;
        }
    }

    /// Chooses a conflict to show.
    pub fn select(&mut self, id: i64) {
        if self.selected != Some(id) {
            self.selected = Some(id);
            self.merging = None;
        }
    }

    /// Starts a field-by-field merge of `c`: each field from the side
    /// that changed it (mine where both did).
    pub fn start_merge(&mut self, c: &Conflict) {
        let (Some(mine), Some(_)) = (&c.mine, &c.theirs) else {
            return;
        };
        let choices = field_names(c)
            .into_iter()
            .map(|name| {
                let base = c.base.as_ref().and_then(|b| b.field(&name));
                let side = if mine.field(&name) != base {
                    Side::Mine
                } else {
                    Side::Theirs
                };
                (name, side)
            })
            .collect();
        self.merging = Some(choices);
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        overview: &Overview,
        busy: bool,
        asked: &mut Vec<AppCommand>,
    ) {
        if overview.conflicts.is_empty() {
            ui.label(t(lang, S::NoConflicts));
            return;
        }
        egui::ScrollArea::vertical()
            .id_salt("sync-conflict-list")
            .max_height(140.0)
            .show(ui, |ui| {
                for c in &overview.conflicts {
                    let text = format!(
                        "#{} {} · {} · {}",
                        c.id,
                        c.layer,
                        c.fid.map_or("–".into(), |f| format!("fid {f}")),
                        kind_label(lang, c.kind)
                    );
                    if ui
                        .selectable_label(self.selected == Some(c.id), text)
                        .clicked()
                    {
                        self.select(c.id);
                    }
                }
            });
        ui.separator();
        let Some(c) = overview
            .conflicts
            .iter()
            .find(|c| Some(c.id) == self.selected)
        else {
            return;
        };
        ui.label(format!(
            "{} · {} · {} · {}",
            c.remote, c.layer, c.uuid, c.found_at
        ));
        self.fields(ui, lang, c);
        ui.horizontal(|ui| {
            for (colour, key) in [(BASE, S::Base), (MINE, S::Mine), (THEIRS, S::Theirs)] {
                let (swatch, _) =
                    ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
                ui.painter().rect_filled(swatch, 0.0, colour);
                ui.colored_label(colour, t(lang, key));
            }
        });
        let g = geometry_of;
        geometry::draw(
            ui,
            egui::vec2(320.0, 200.0),
            [
                (g(&c.base), BASE),
                (g(&c.mine), MINE),
                (g(&c.theirs), THEIRS),
            ],
        );
        self.actions(ui, lang, c, busy, asked);
    }

    fn fields(&mut self, ui: &mut egui::Ui, lang: Lang, c: &Conflict) {
        let highlight = ui.visuals().warn_fg_color.gamma_multiply(0.25);
        egui::Grid::new(("sync-conflict-fields", c.id))
            .striped(true)
            .show(ui, |ui| {
                ui.strong(t(lang, S::FieldName));
                for (colour, key) in [(BASE, S::Base), (MINE, S::Mine), (THEIRS, S::Theirs)] {
                    ui.label(RichText::new(t(lang, key)).strong().color(colour));
                }
                if self.merging.is_some() {
                    ui.strong(t(lang, S::MergedFrom));
                }
                ui.end_row();
                for name in field_names(c) {
                    let value = |r: &Option<Record>| cell(lang, r.as_ref(), &name);
                    let mine = c.mine.as_ref().and_then(|r| r.field(&name));
                    let theirs = c.theirs.as_ref().and_then(|r| r.field(&name));
                    let differs = c.mine.is_none() != c.theirs.is_none() || mine != theirs;
                    let named = if c.fields.contains(&name) {
                        RichText::new(&name).strong()
                    } else {
                        RichText::new(&name)
                    };
                    ui.label(named);
                    ui.label(value(&c.base));
                    for text in [value(&c.mine), value(&c.theirs)] {
                        let text = RichText::new(text);
                        ui.label(if differs {
                            text.background_color(highlight)
                        } else {
                            text
                        });
                    }
                    if let Some(choices) = &mut self.merging
                        && let Some(side) = choices.get_mut(&name)
                    {
                        ui.horizontal(|ui| {
                            ui.radio_value(side, Side::Mine, t(lang, S::Mine));
                            ui.radio_value(side, Side::Theirs, t(lang, S::Theirs));
                        });
                    }
                    ui.end_row();
                }
            });
    }

    fn actions(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        c: &Conflict,
        busy: bool,
        asked: &mut Vec<AppCommand>,
    ) {
        let mut resolution = None;
        ui.add_enabled_ui(!busy, |ui| {
            ui.horizontal_wrapped(|ui| {
                if ui.button(t(lang, S::KeepMine)).clicked() {
                    resolution = Some(Resolution::KeepMine);
                }
                if ui.button(t(lang, S::TakeTheirs)).clicked() {
                    resolution = Some(Resolution::TakeTheirs);
                }
                let can_merge = c.mine.is_some() && c.theirs.is_some();
                if self.merging.is_none() {
                    let merge = ui
                        .add_enabled(can_merge, egui::Button::new(t(lang, S::EditMerged)))
                        .on_disabled_hover_text(t(lang, S::MergeNeedsBoth));
                    if merge.clicked() {
                        self.start_merge(c);
                    }
                } else {
                    if ui.button(t(lang, S::ApplyMerged)).clicked() {
                        resolution = self.merged(c).map(Resolution::Merged);
                    }
                    if ui.button(t(lang, S::StopMerging)).clicked() {
                        self.merging = None;
                    }
                }
                if let Some(fid) = c.fid
                    && ui.button(t(lang, S::ZoomTo)).clicked()
                {
                    asked.push(AppCommand::SelectFeatures {
                        layer: c.layer.clone(),
                        fids: vec![fid],
                    });
                    asked.push(AppCommand::ZoomToFeature {
                        layer: c.layer.clone(),
                        fid,
                    });
                }
            });
        });
        if let Some(resolution) = resolution {
            self.merging = None;
            asked.push(resolve_command(lang, c, resolution));
        }
    }

    /// The merged version the choices make: theirs (the server's id and
    /// all) with each field taken from the chosen side.
    pub fn merged(&self, c: &Conflict) -> Option<Record> {
        let (mine, theirs, choices) =
            (c.mine.as_ref()?, c.theirs.as_ref()?, self.merging.as_ref()?);
        let mut merged = theirs.clone();
        merged.uuid = c.uuid.clone();
        for (name, side) in choices {
            let from = match side {
                Side::Mine => mine,
                Side::Theirs => theirs,
            };
            merged.set_field(name, from.field(name).cloned());
        }
        Some(merged)
    }
}

/// The command resolving conflict `c` (in a job).
pub fn resolve_command(lang: Lang, c: &Conflict, resolution: Resolution) -> AppCommand {
    start(
        format!("{} #{}", t(lang, S::Resolving), c.id),
        Task::Resolve {
            conflict: c.id,
            layer: c.layer.clone(),
            resolution,
        },
    )
}

fn geometry_of(r: &Option<Record>) -> Option<&Value> {
    r.as_ref().and_then(|r| r.geometry.as_ref())
}

/// Every field any version has, the geometry last.
fn field_names(c: &Conflict) -> Vec<String> {
    let mut names: Vec<String> = [&c.base, &c.mine, &c.theirs]
        .into_iter()
        .flatten()
        .flat_map(|r| r.properties.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    names.push(GEOMETRY.to_string());
    names
}

fn cell(lang: Lang, record: Option<&Record>, name: &str) -> String {
    let Some(r) = record else {
        return t(lang, S::Deleted).into();
    };
    match r.field(name) {
        None | Some(Value::Null) => "—".into(),
        Some(v) if name == GEOMETRY => geometry::describe(v),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

fn kind_label(lang: Lang, kind: ConflictKind) -> &'static str {
    match kind {
        ConflictKind::BothChanged => t(lang, S::BothChanged),
        ConflictKind::ChangedHereDeletedThere => t(lang, S::ChangedHereDeletedThere),
        ConflictKind::DeletedHereChangedThere => t(lang, S::DeletedHereChangedThere),
    }
}
