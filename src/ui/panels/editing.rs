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
    /// The layer edits go to and its CRS: typed X/Y and distances are in
    /// it (surveyors give VN-2000 coordinates of the layer's zone).
    pub edited: Option<(&'a str, &'a Crs)>,
}

#[derive(Default)]
pub struct EditingPanel {
    xy: String,
    distance: String,
    bearing: String,
    /// Why the last typed entry was refused.
    entry_error: Option<String>,
    /// A typed X/Y whose order was guessed from the ranges (easting typed
    /// first, or both orders possible): added only once the user confirms.
    xy_to_confirm: Option<numeric::SurveyPoint>,
    /// A pasted (or read from CSV) list of a parcel's corners.
    corners: String,
    /// A corner list written easting first, waiting for confirmation.
    corners_to_confirm: Option<numeric::CornerList>,
    /// Why the corner list was refused, or how many corners were added.
    corners_said: Option<Result<String, String>>,
    /// WKT or GeoJSON text to paste as a new feature.
    paste: String,
    /// The offset distance typed, in metres.
    offset: String,
    offset_error: Option<String>,
    /// The editor's name as typed (read from the preference on first show).
    user: Option<String>,
    /// Tracing along existing edges while drawing (the T key).
    pub tracing: bool,
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
        // T toggles tracing, as in QGIS, unless a text field has the keys.
        if !ui.ctx().egui_wants_keyboard_input()
            && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::T))
        {
            self.tracing = !self.tracing;
        }
        ui.checkbox(&mut self.tracing, tr(lang, Key::Tracing));
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
        self.corner_list(ui, cx, &mut asked);
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
                snap_limit(ui, lang, editing, &mut settings, &mut changed);
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
                    // The offset runs in the layer's coordinates: metres
                    // only where the layer's CRS is projected.
                    let parsed = offset_crs_check(cx.edited, lang).and_then(|()| {
                        numeric::parse_number(&self.offset).map_err(|e| e.to_string())
                    });
                    match parsed {
                        Ok(d) => {
                            self.offset_error = None;
                            asked.push(AppCommand::OffsetSelected(d));
                        }
                        Err(e) => self.offset_error = Some(e),
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
                let entry = entry_crs(cx.edited.map(|e| e.1), cx.map_crs);
                match &entry {
                    Some(crs) => ui.label(format!("{}: {}", tr(lang, Key::EntryCrs), crs.label())),
                    None => ui.colored_label(
                        egui::Color32::from_rgb(180, 30, 30),
                        tr(lang, Key::NoProjectedEntry),
                    ),
                };
                ui.add(egui::TextEdit::singleline(&mut self.xy).hint_text("X Y"));
                if ui.button(tr(lang, Key::AddVertexXY)).clicked() {
                    match numeric::parse_xy(&self.xy) {
                        Ok(p) if p.swapped || p.ambiguous => {
                            self.entry_error = None;
                            self.xy_to_confirm = Some(p);
                        }
                        Ok(p) => {
                            self.xy_to_confirm = None;
                            self.add_typed(p.coord, entry, cx.map_crs, lang, asked);
                        }
                        Err(e) => self.entry_error = Some(e.to_string()),
                    }
                }
                if let Some(p) = self.xy_to_confirm {
                    self.confirm_order(ui, p, entry, cx.map_crs, lang, asked);
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
                    let crs = entry_crs(cx.edited.map(|e| e.1), cx.map_crs)
                        .ok_or_else(|| tr(lang, Key::NoProjectedEntry).to_string());
                    match crs.and_then(|crs| self.cogo(cx.last_vertex, crs, cx.map_crs)) {
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

    /// "Tọa độ góc ranh thửa": a parcel's corners pasted from a survey
    /// (or read from a CSV file) become the vertices of the sketch, in the
    /// edited layer's CRS; Enter then closes the parcel as any drawing.
    fn corner_list(&mut self, ui: &mut egui::Ui, cx: &EditingContext, asked: &mut Vec<AppCommand>) {
        let lang = cx.lang;
        egui::CollapsingHeader::new(tr(lang, Key::CornerList))
            .default_open(false)
            .show(ui, |ui| {
                ui.label(tr(lang, Key::CornerListHint));
                ui.add(
                    egui::TextEdit::multiline(&mut self.corners)
                        .desired_rows(5)
                        .hint_text("1, 2353402.45, 416226.77"),
                );
                ui.horizontal(|ui| {
                    if ui.button(tr(lang, Key::ReadCsv)).clicked()
                        && let Some(path) = rfd::FileDialog::new()
                            .add_filter("CSV, TXT", &["csv", "txt"])
                            .pick_file()
                    {
                        match std::fs::read_to_string(&path) {
                            Ok(text) => self.corners = text,
                            Err(e) => {
                                self.corners_said = Some(Err(format!("{}: {e}", path.display())));
                            }
                        }
                    }
                    if ui.button(tr(lang, Key::AddCorners)).clicked() {
                        match numeric::parse_corners(&self.corners) {
                            Ok(list) if list.swapped => self.corners_to_confirm = Some(list),
                            Ok(list) => self.add_corners(&list, cx, asked),
                            Err(e) => self.corners_said = Some(Err(e.to_string())),
                        }
                    }
                });
                if let Some(list) = self.corners_to_confirm.clone() {
                    ui.colored_label(
                        egui::Color32::from_rgb(160, 90, 0),
                        tr(lang, Key::CornersSwapped),
                    );
                    ui.horizontal(|ui| {
                        if ui.button(tr(lang, Key::AddAsShown)).clicked() {
                            self.corners_to_confirm = None;
                            self.add_corners(&list, cx, asked);
                        }
                        if ui.button(tr(lang, Key::Cancel)).clicked() {
                            self.corners_to_confirm = None;
                        }
                    });
                }
                match &self.corners_said {
                    Some(Ok(said)) => {
                        ui.label(said);
                    }
                    Some(Err(e)) => {
                        ui.colored_label(egui::Color32::from_rgb(180, 30, 30), e);
                    }
                    None => {}
                }
            });
    }

    fn add_corners(
        &mut self,
        list: &numeric::CornerList,
        cx: &EditingContext,
        asked: &mut Vec<AppCommand>,
    ) {
        let lang = cx.lang;
        let Some(entry) = entry_crs(cx.edited.map(|e| e.1), cx.map_crs) else {
            self.corners_said = Some(Err(tr(lang, Key::NoProjectedEntry).to_string()));
            return;
        };
        let points: Result<Vec<[f64; 2]>, String> = list
            .corners
            .iter()
            .map(|c| to_map(c.coord, entry, cx.map_crs))
            .collect();
        match points {
            Ok(points) => {
                let n = points.len();
                asked.extend(points.into_iter().map(AppCommand::SketchPoint));
                self.corners_said = Some(Ok(format!("{n} {}", tr(lang, Key::CornersAdded))));
            }
            Err(e) => self.corners_said = Some(Err(e)),
        }
    }

    /// The point at the typed distance and bearing from the last vertex
    /// (map coordinates), measured in `entry` (metres, grid bearing).
    /// Asks whether the order the ranges suggest is the surveyor's:
    /// "X = … (northing), Y = … (easting)" with add, the other order, or
    /// cancel.
    fn confirm_order(
        &mut self,
        ui: &mut egui::Ui,
        p: numeric::SurveyPoint,
        entry: Option<&Crs>,
        map_crs: &Crs,
        lang: Lang,
        asked: &mut Vec<AppCommand>,
    ) {
        let why = if p.swapped {
            tr(lang, Key::XyOrderSwapped)
        } else {
            tr(lang, Key::XyOrderAmbiguous)
        };
        ui.colored_label(egui::Color32::from_rgb(160, 90, 0), why);
        ui.label(format!("X = {:.3}   Y = {:.3}", p.coord.y, p.coord.x));
        ui.horizontal(|ui| {
            if ui.button(tr(lang, Key::AddAsShown)).clicked() {
                self.xy_to_confirm = None;
                self.add_typed(p.coord, entry, map_crs, lang, asked);
            }
            if ui.button(tr(lang, Key::SwapXy)).clicked() {
                self.xy_to_confirm = None;
                let other = Coord {
                    x: p.coord.y,
                    y: p.coord.x,
                };
                self.add_typed(other, entry, map_crs, lang, asked);
            }
            if ui.button(tr(lang, Key::Cancel)).clicked() {
                self.xy_to_confirm = None;
            }
        });
    }

    /// A typed point (easting, northing in the entry CRS) added to the
    /// sketch in map coordinates.
    fn add_typed(
        &mut self,
        at: Coord<f64>,
        entry: Option<&Crs>,
        map_crs: &Crs,
        lang: Lang,
        asked: &mut Vec<AppCommand>,
    ) {
        let typed = entry
            .ok_or_else(|| tr(lang, Key::NoProjectedEntry).to_string())
            .and_then(|crs| to_map(at, crs, map_crs));
        match typed {
            Ok(p) => {
                self.entry_error = None;
                asked.push(AppCommand::SketchPoint(p));
            }
            Err(e) => self.entry_error = Some(e),
        }
    }

    fn cogo(&self, last: Option<Coord<f64>>, entry: &Crs, map: &Crs) -> Result<[f64; 2], String> {
        let distance = numeric::parse_number(&self.distance).map_err(|e| e.to_string())?;
        let bearing = numeric::parse_bearing(&self.bearing).map_err(|e| e.to_string())?;
        let last = last.ok_or_else(|| "—".to_string())?;
        cogo_in(last, distance, bearing, entry, map)
    }
}

/// The CRS typed X/Y and COGO distances are in: the edited layer's when it
/// is projected (surveyors give VN-2000 coordinates of the layer's zone),
/// else the map's when that is projected; an undefined layer CRS is drawn
/// in map units, so it is the map's. None: no projected CRS to type in.
pub fn entry_crs<'a>(layer: Option<&'a Crs>, map: &'a Crs) -> Option<&'a Crs> {
    match layer {
        Some(l) if l.is_defined() && !l.is_geographic() => Some(l),
        _ if !map.is_geographic() => Some(map),
        _ => None,
    }
}

/// A point typed in `entry` in map coordinates.
pub fn to_map(p: Coord<f64>, entry: &Crs, map: &Crs) -> Result<[f64; 2], String> {
    let t = crate::crs::Transformer::between(entry, map).map_err(|e| e.to_string())?;
    let q = t.transform(p).map_err(|e| e.to_string())?;
    Ok([q.x, q.y])
}

/// COGO from `last` (map coordinates): `distance` metres on a grid
/// `bearing` of `entry`, the result in map coordinates.
pub fn cogo_in(
    last: Coord<f64>,
    distance: f64,
    bearing: f64,
    entry: &Crs,
    map: &Crs,
) -> Result<[f64; 2], String> {
    let back = crate::crs::Transformer::between(map, entry).map_err(|e| e.to_string())?;
    let from = back.transform(last).map_err(|e| e.to_string())?;
    to_map(numeric::cogo_next(from, distance, bearing), entry, map)
}

/// An offset in metres needs the edited layer in a projected CRS (the
/// offset runs in the layer's coordinates); the error names the layer and
/// its CRS.
pub fn offset_crs_check(edited: Option<(&str, &Crs)>, lang: Lang) -> Result<(), String> {
    match edited {
        Some((layer, crs)) if crs.is_geographic() => Err(format!(
            "{layer} ({}): {}",
            crs.label(),
            tr(lang, Key::GeographicOffset)
        )),
        _ => Ok(()),
    }
}

/// The last vertex of a sketch drawn without the pointer (a line).
pub fn last_vertex(g: &Geometry<f64>) -> Option<Coord<f64>> {
    match g {
        Geometry::LineString(l) => l.0.last().copied(),
        _ => None,
    }
}

/// The snapping scale limit: its feature count, and each layer snapping
/// is off for at this scale (the editing thread marks it in the index).
fn snap_limit(
    ui: &mut egui::Ui,
    lang: Lang,
    editing: &Editing,
    settings: &mut crate::ui::edit::SnapSettings,
    changed: &mut bool,
) {
    ui.horizontal(|ui| {
        ui.label(tr(lang, Key::SnapMaxFeatures));
        *changed |= ui
            .add(
                egui::DragValue::new(&mut settings.max_features)
                    .range(100..=10_000_000)
                    .speed(100.0),
            )
            .changed();
    });
    // Never waits: while the thread updates the index, the notice waits
    // for the next frame.
    if let Ok(index) = editing.snap_index.try_read() {
        let mut off: Vec<(&str, u64)> = index
            .names()
            .filter_map(|n| Some((n, index.layer(n)?.too_many()?)))
            .collect();
        off.sort_unstable();
        for (layer, count) in off {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!(
                    "{layer}: {} ({count} > {})",
                    tr(lang, Key::SnapOffAtScale),
                    settings.max_features
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PROJ's cs2cs (another program) projecting `x y` (easting northing,
    /// or lat lon for EPSG:4326) from one CRS to another.
    fn cs2cs(from: &str, to: &str, x: f64, y: f64) -> [f64; 2] {
        use std::io::Write;
        let mut child = std::process::Command::new("cs2cs")
            .args([from, to, "-f", "%.6f"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("cs2cs (proj-bin) is installed");
        writeln!(child.stdin.take().unwrap(), "{x} {y}").unwrap();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let v: Vec<f64> = text
            .split_whitespace()
            .filter_map(|s| s.parse().ok())
            .collect();
        [v[0], v[1]]
    }

    #[test]
    fn typed_xy_are_in_the_layers_zone_and_land_in_the_map_crs() {
        let (layer, map) = (Crs::Epsg(9209), Crs::Epsg(9214));
        assert_eq!(entry_crs(Some(&layer), &map), Some(&layer));
        // A surveyor's X (northing) and Y (easting) of the layer's zone.
        let zone = cs2cs("EPSG:4326", "EPSG:9209", 21.3, 106.2);
        let typed = numeric::parse_xy(&format!("{:.4} {:.4}", zone[1], zone[0])).unwrap();
        let got = to_map(typed.coord, entry_crs(Some(&layer), &map).unwrap(), &map).unwrap();
        // REFERENCE.md: 106.2 E, 21.3 N is x 416802.265, y 2356377.900 in EPSG:9214.
        assert!(
            (got[0] - 416_802.265).abs() < 0.002 && (got[1] - 2_356_377.900).abs() < 0.002,
            "{got:?}"
        );
        // Taken as map coordinates (the old way) it would be 156 km off.
        assert!((typed.coord.x - got[0]).abs() > 100_000.0);
    }

    #[test]
    fn a_geographic_layer_takes_xy_in_the_projected_map_crs_and_refuses_metre_offsets() {
        let (wgs84, map) = (Crs::Epsg(4326), Crs::Epsg(9214));
        assert_eq!(entry_crs(Some(&wgs84), &map), Some(&map));
        assert_eq!(entry_crs(Some(&wgs84), &wgs84), None);
        let err = offset_crs_check(Some(("cot_bts", &wgs84)), Lang::Vi).unwrap_err();
        assert!(
            err.contains("cot_bts") && err.contains("EPSG:4326") && err.contains("mét"),
            "{err}"
        );
        assert!(offset_crs_check(Some(("thua_dat", &Crs::Epsg(9210))), Lang::Vi).is_ok());
    }

    #[test]
    fn cogo_distance_and_bearing_are_measured_in_the_layers_zone() {
        let (layer, map) = (Crs::Epsg(9209), Crs::Epsg(9214));
        let start_map = Coord {
            x: 416_802.265,
            y: 2_356_377.900,
        };
        let got = cogo_in(start_map, 100.0, 90.0, &layer, &map).unwrap();
        // Back in the layer's zone (by cs2cs): 100 m due grid east.
        let a = cs2cs("EPSG:9214", "EPSG:9209", start_map.x, start_map.y);
        let b = cs2cs("EPSG:9214", "EPSG:9209", got[0], got[1]);
        assert!((b[0] - a[0] - 100.0).abs() < 0.002, "{a:?} {b:?}");
        assert!((b[1] - a[1]).abs() < 0.002, "{a:?} {b:?}");
        // The zones' grid norths differ (half a degree here): COGO in map
        // coordinates would put the vertex about a metre off.
        let naive = numeric::cogo_next(start_map, 100.0, 90.0);
        let off = (naive.x - got[0]).hypot(naive.y - got[1]);
        assert!(off > 0.5, "{off}");
    }
}
