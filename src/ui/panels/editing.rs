//! The editing panel: start and stop editing per layer, the editing
//! tools, undo and redo (also Ctrl+Z, Ctrl+Shift+Z), delete of the
//! selection, topological editing, snapping settings, the live
//! measurement of what is being drawn and numeric entry of vertices
//! (VN-2000 X/Y, or distance and bearing from the last vertex).

use geo_types::{Coord, Geometry};

use crate::crs::Crs;
use crate::edit::measure::NumberStyle;
use crate::edit::numeric;
use crate::ui::command::AppCommand;
use crate::ui::edit::Editing;
use crate::ui::i18n::{Key, Lang, tr};
use crate::ui::tools::Tool;

/// What the panel reads of the app.
pub struct EditingContext<'a> {
    pub lang: Lang,
    /// The map layers, by name, in draw order.
    pub layers: &'a [String],
    pub editing: Option<&'a Editing>,
    pub active_layer: Option<&'a str>,
    pub tool: Tool,
    pub snap_layers: &'a [String],
    /// What the active tool has drawn, with the pointer as the next vertex.
    pub sketch: Option<&'a Geometry<f64>>,
    /// The last vertex the active tool has drawn.
    pub last_vertex: Option<Coord<f64>>,
    pub map_crs: &'a Crs,
}

#[derive(Default)]
pub struct EditingPanel {
    xy: String,
    distance: String,
    bearing: String,
    /// Why the last typed entry was refused.
    entry_error: Option<String>,
    /// WKT or GeoJSON text to paste as a new feature.
    paste: String,
    /// The offset distance typed, in metres.
    offset: String,
    offset_error: Option<String>,
    /// The editor's name as typed (read from the preference on first show).
    user: Option<String>,
}

impl EditingPanel {
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &EditingContext) -> Vec<AppCommand> {
        let lang = cx.lang;
        let mut asked = Vec::new();
        ui.heading(tr(lang, Key::Editing));
        // The name the journal records for each edit (a preference).
        let user = self.user.get_or_insert_with(crate::ui::user_name);
        egui::CollapsingHeader::new(tr(lang, Key::EditorName))
            .default_open(false)
            .show(ui, |ui| {
                let field = ui.add(egui::TextEdit::singleline(user).desired_width(160.0));
                if field.lost_focus() && !user.trim().is_empty() {
                    asked.push(AppCommand::SetUserName(user.clone()));
                }
            });
        let is_editing = |l: &str| cx.editing.is_some_and(|e| e.is_editing(l));
        for layer in cx.layers.iter().rev() {
            let mut on = is_editing(layer);
            let text = format!("{}: {layer}", tr(lang, Key::Editing));
            let hint = if on {
                tr(lang, Key::StopEditing)
            } else {
                tr(lang, Key::StartEditing)
            };
            if ui.checkbox(&mut on, text).on_hover_text(hint).changed() {
                asked.push(if on {
                    AppCommand::StartEditing(layer.clone())
                } else {
                    AppCommand::StopEditing(layer.clone())
                });
            }
        }
        let Some(editing) = cx.editing.filter(|e| !e.layers.is_empty()) else {
            return asked;
        };
        ui.separator();
        // One tool a row: a wrapped row would move under the pointer as
        // the panel is resized.
        ui.vertical(|ui| {
            for tool in Tool::EDITING {
                if ui
                    .selectable_label(cx.tool == tool, tr(lang, tool.label()))
                    .clicked()
                {
                    asked.push(AppCommand::SetTool(tool));
                }
            }
        });
        ui.horizontal(|ui| {
            let undo = ui.add_enabled(editing.can_undo, egui::Button::new(tr(lang, Key::Undo)));
            if undo.clicked() {
                asked.push(AppCommand::Undo);
            }
            let redo = ui.add_enabled(editing.can_redo, egui::Button::new(tr(lang, Key::Redo)));
            if redo.clicked() {
                asked.push(AppCommand::Redo);
            }
        });
        let (undo_key, redo_key) = ui.input_mut(|i| {
            let redo = i.consume_shortcut(&egui::KeyboardShortcut::new(
                egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
                egui::Key::Z,
            ));
            let undo = i.consume_shortcut(&egui::KeyboardShortcut::new(
                egui::Modifiers::COMMAND,
                egui::Key::Z,
            ));
            (undo, redo)
        });
        if undo_key {
            asked.push(AppCommand::Undo);
        }
        if redo_key {
            asked.push(AppCommand::Redo);
        }
        if ui.button(tr(lang, Key::DeleteSelected)).clicked() {
            asked.push(AppCommand::DeleteSelected);
        }
        if ui.button(tr(lang, Key::MergeSelected)).clicked() {
            asked.push(AppCommand::MergeSelected);
        }
        let mut topological = editing.topological;
        if ui
            .checkbox(&mut topological, tr(lang, Key::Topological))
            .changed()
        {
            asked.push(AppCommand::SetTopological(topological));
        }
        self.snapping(ui, cx, editing, &mut asked);
        self.more_edits(ui, cx, editing, &mut asked);
        self.measurement(ui, cx);
        self.numeric_entry(ui, cx, &mut asked);
        if let (Some(d), Some(ms)) = (&editing.last_description, editing.last_redraw_ms) {
            ui.separator();
            ui.label(format!("{d} · {}: {ms:.1} ms", tr(lang, Key::EditRedrawn)));
        }
        asked
    }

    fn snapping(
        &mut self,
        ui: &mut egui::Ui,
        cx: &EditingContext,
        editing: &Editing,
        asked: &mut Vec<AppCommand>,
    ) {
        let lang = cx.lang;
        let Ok(mut settings) = editing.snap.read().map(|s| s.clone()) else {
            return;
        };
        let mut layers = cx.snap_layers.to_vec();
        let mut changed = false;
        egui::CollapsingHeader::new(tr(lang, Key::Snapping))
            .default_open(false)
            .show(ui, |ui| {
                let o = &mut settings.options;
                changed |= ui
                    .checkbox(&mut o.vertices, tr(lang, Key::SnapVertex))
                    .changed();
                changed |= ui
                    .checkbox(&mut o.segments, tr(lang, Key::SnapSegment))
                    .changed();
                changed |= ui
                    .checkbox(&mut o.intersections, tr(lang, Key::SnapIntersection))
                    .changed();
                ui.horizontal(|ui| {
                    ui.label(tr(lang, Key::SnapTolerance));
                    changed |= ui
                        .add(egui::DragValue::new(&mut settings.tolerance_px).range(1.0..=50.0))
                        .changed();
                });
                for layer in cx.layers.iter().rev() {
                    let mut on = layers.contains(layer);
                    if ui
                        .checkbox(&mut on, format!("{}: {layer}", tr(lang, Key::Snapping)))
                        .changed()
                    {
                        changed = true;
                        if on {
                            layers.push(layer.clone());
                        } else {
                            layers.retain(|l| l != layer);
                        }
                    }
                }
            });
        if changed {
            asked.push(AppCommand::SetSnapping { layers, settings });
        }
    }

    /// Paste of WKT/GeoJSON text, copy of the selection into an edited
    /// layer, offset of the selected lines, and avoid overlaps for new
    /// polygons: each one edit of the editing thread.
    fn more_edits(
        &mut self,
        ui: &mut egui::Ui,
        cx: &EditingContext,
        editing: &Editing,
        asked: &mut Vec<AppCommand>,
    ) {
        let lang = cx.lang;
        egui::CollapsingHeader::new(tr(lang, Key::MoreEdits))
            .default_open(false)
            .show(ui, |ui| {
                ui.label(tr(lang, Key::PasteText));
                ui.add(
                    egui::TextEdit::multiline(&mut self.paste)
                        .desired_rows(3)
                        .hint_text("POINT (x y) / {\"type\": …}"),
                );
                let can_paste = !self.paste.trim().is_empty();
                if ui
                    .add_enabled(can_paste, egui::Button::new(tr(lang, Key::PasteTextButton)))
                    .clicked()
                {
                    // The active (or only) edited layer; errors come back
                    // as notifications naming what was wrong.
                    asked.push(AppCommand::Edit(crate::ui::edit::Operation::PasteText {
                        layer: String::new(),
                        text: self.paste.clone(),
                    }));
                }
                ui.separator();
                for layer in &editing.layers {
                    let text = format!("{} {layer}", tr(lang, Key::PasteSelectionInto));
                    if ui.button(text).clicked() {
                        asked.push(AppCommand::PasteSelectionInto(layer.clone()));
                    }
                }
                ui.separator();
                ui.horizontal(|ui| {
                    ui.label(tr(lang, Key::OffsetDistance));
                    ui.add(egui::TextEdit::singleline(&mut self.offset).desired_width(60.0));
                });
                if ui.button(tr(lang, Key::OffsetSelected)).clicked() {
                    match numeric::parse_number(&self.offset) {
                        Ok(d) => {
                            self.offset_error = None;
                            asked.push(AppCommand::OffsetSelected(d));
                        }
                        Err(e) => self.offset_error = Some(e.to_string()),
                    }
                }
                if let Some(e) = &self.offset_error {
                    ui.colored_label(egui::Color32::from_rgb(180, 30, 30), e);
                }
                ui.separator();
                let mut on = editing.avoid_overlaps.is_some();
                if ui.checkbox(&mut on, tr(lang, Key::AvoidOverlaps)).changed() {
                    // Turned on, new polygons give way to the edited layers.
                    asked.push(AppCommand::SetAvoidOverlaps(
                        on.then(|| editing.layers.iter().cloned().collect()),
                    ));
                }
                if let Some(avoid) = &editing.avoid_overlaps {
                    for layer in cx.layers.iter().rev() {
                        let mut with = avoid.contains(layer);
                        let text = format!("{}: {layer}", tr(lang, Key::AvoidOverlaps));
                        if ui.checkbox(&mut with, text).changed() {
                            let mut layers = avoid.clone();
                            layers.retain(|l| l != layer);
                            if with {
                                layers.push(layer.clone());
                            }
                            asked.push(AppCommand::SetAvoidOverlaps(Some(layers)));
                        }
                    }
                }
            });
    }

    fn measurement(&self, ui: &mut egui::Ui, cx: &EditingContext) {
        let Some(g) = cx.sketch else { return };
        let style = match cx.lang {
            Lang::Vi => NumberStyle::Vietnamese,
            Lang::En => NumberStyle::English,
        };
        if let Some(text) = crate::ui::tools::sketch::measurement_text(cx.map_crs, g, style) {
            ui.separator();
            ui.label(tr(cx.lang, Key::Measurement));
            ui.label(text);
        }
    }

    /// X/Y as surveyors give them (VN-2000, X = northing first; either
    /// order is recognised by range), or distance and bearing from the
    /// last vertex drawn. The active tool takes the point as a click.
    fn numeric_entry(
        &mut self,
        ui: &mut egui::Ui,
        cx: &EditingContext,
        asked: &mut Vec<AppCommand>,
    ) {
        let lang = cx.lang;
        egui::CollapsingHeader::new(tr(lang, Key::NumericEntry))
            .default_open(false)
            .show(ui, |ui| {
                ui.add(egui::TextEdit::singleline(&mut self.xy).hint_text("X Y"));
                if ui.button(tr(lang, Key::AddVertexXY)).clicked() {
                    match numeric::parse_xy(&self.xy) {
                        Ok(p) => {
                            self.entry_error = None;
                            asked.push(AppCommand::SketchPoint([p.coord.x, p.coord.y]));
                        }
                        Err(e) => self.entry_error = Some(e.to_string()),
                    }
                }
                ui.horizontal(|ui| {
                    ui.label(tr(lang, Key::Distance));
                    ui.add(egui::TextEdit::singleline(&mut self.distance).desired_width(70.0));
                });
                ui.horizontal(|ui| {
                    ui.label(tr(lang, Key::Bearing));
                    ui.add(egui::TextEdit::singleline(&mut self.bearing).desired_width(90.0));
                });
                if ui.button(tr(lang, Key::AddVertexCogo)).clicked() {
                    match self.cogo(cx.last_vertex) {
                        Ok(p) => {
                            self.entry_error = None;
                            asked.push(AppCommand::SketchPoint(p));
                        }
                        Err(e) => self.entry_error = Some(e),
                    }
                }
                if let Some(e) = &self.entry_error {
                    ui.colored_label(egui::Color32::from_rgb(180, 30, 30), e);
                }
            });
    }

    /// The point at the typed distance and bearing from the last vertex.
    fn cogo(&self, last: Option<Coord<f64>>) -> Result<[f64; 2], String> {
        let distance = numeric::parse_number(&self.distance).map_err(|e| e.to_string())?;
        let bearing = numeric::parse_bearing(&self.bearing).map_err(|e| e.to_string())?;
        let last = last.ok_or_else(|| "—".to_string())?;
        let p = numeric::cogo_next(last, distance, bearing);
        Ok([p.x, p.y])
    }
}

/// The last vertex of a sketch drawn without the pointer (a line).
pub fn last_vertex(g: &Geometry<f64>) -> Option<Coord<f64>> {
    match g {
        Geometry::LineString(l) => l.0.last().copied(),
        _ => None,
    }
}
