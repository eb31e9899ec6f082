//! The layer panel: layers grouped by theme, top of the map first. Each
//! row has a drag handle (drop it on another row to move the layer there),
//! a visibility box, and the layer's title, which makes it the active
//! layer when clicked (selection tools then act on it alone) and opens its
//! context menu on a right click. A new order is saved in the workspace.

use super::TramgisApp;
use crate::model::LayerTheme;
use crate::ui::i18n::{Key, Lang, tr};

/// What is carried while a layer row is dragged: its draw-order index.
struct DraggedLayer(usize);

/// What the user asked for in this frame, applied after the tree is drawn.
#[derive(Default)]
struct Requests {
    zoom_to: Option<String>,
    table: Option<String>,
    edit_style: Option<(crate::gpkg::LayerInfo, crate::render::LayerStyle)>,
    /// Draw-order index from, index to.
    move_layer: Option<(usize, usize)>,
    relabel: Option<(String, Option<String>)>,
    activate: Option<Option<String>>,
    /// The layer whose opacity the user set.
    opacity: Option<String>,
}

impl TramgisApp {
    pub(super) fn layer_tree(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang;
        ui.heading(tr(lang, Key::Layers));
        let mut themes: Vec<Option<LayerTheme>> =
            LayerTheme::ALL.iter().copied().map(Some).collect();
        themes.push(None);
        let mut asked = Requests::default();
        egui::ScrollArea::vertical().show(ui, |ui| {
            if let Some(scene) = self.scene.as_mut() {
                let n = scene.layers.len();
                for theme in themes {
                    // The top of the tree is drawn last: show in reverse draw order.
                    let members: Vec<usize> = (0..n)
                        .rev()
                        .filter(|&i| scene.layers[i].info.meta.theme == theme)
                        .collect();
                    if members.is_empty() {
                        continue;
                    }
                    let title = theme.map_or(tr(lang, Key::NoTheme), |t| tr(lang, Key::Theme(t)));
                    egui::CollapsingHeader::new(title)
                        .default_open(true)
                        .show(ui, |ui| {
                            for i in members {
                                let layer = &mut scene.layers[i];
                                let active = self.active_layer.as_deref() == Some(&layer.info.name);
                                let selected =
                                    self.selection.get(&layer.info.name).map_or(0, |s| s.len());
                                let row = Row {
                                    lang,
                                    index: i,
                                    layers: n,
                                    active,
                                    selected,
                                };
                                layer_row(ui, &row, layer, &mut asked);
                            }
                        });
                }
            }
            attribute_tables(ui, lang, &self.attribute_tables, &mut asked);
        });
        if let Some((from, to)) = asked.move_layer {
            self.move_layer(from, to);
        }
        if let Some(active) = asked.activate {
            self.active_layer = active;
        }
        if let Some(layer) = asked.opacity {
            self.keep_opacity(&layer);
        }
        if let Some((layer, field)) = asked.relabel {
            self.set_label_field(&layer, field);
        }
        if let Some(l) = asked.zoom_to {
            self.zoom_to_layer(&l);
        }
        if let Some(l) = asked.table {
            self.open_table(&l);
        }
        if let Some((info, style)) = asked.edit_style {
            self.style_editor = Some(crate::ui::style_editor::StyleEditor::new(info, style));
        }
    }

    /// Makes the opacity set in the layer menu part of the layer's style
    /// and saves it; the map already draws it, so nothing is reloaded.
    fn keep_opacity(&mut self, name: &str) {
        let Some(layer) = self
            .scene
            .as_mut()
            .and_then(|s| s.layers.iter_mut().find(|l| l.info.name == name))
        else {
            return;
        };
        let mut style = self
            .styles
            .get(name)
            .cloned()
            .unwrap_or_else(|| layer.style.clone());
        style.opacity = layer.opacity;
        layer.style.opacity = layer.opacity;
        if let Err(e) = self.save_style(name, &style) {
            self.message = Some(format!("{}: {e}", tr(self.lang, Key::StyleNotSaved)));
        }
        self.styles.insert(name.to_string(), style);
    }

    /// Moves the layer at draw-order index `from` to index `to` (the
    /// others shift) and saves the new order in the workspace. Not while
    /// the workspace is loading: the layers still to come have their place
    /// in the stored order, which a move now would scramble.
    pub fn move_layer(&mut self, from: usize, to: usize) {
        if self.loading.is_some() && self.reloading.is_none() {
            self.message = Some(tr(self.lang, Key::WaitForLoad).to_string());
            return;
        }
        let Some(scene) = &mut self.scene else { return };
        if from == to || from >= scene.layers.len() || to >= scene.layers.len() {
            return;
        }
        let layer = scene.layers.remove(from);
        scene.layers.insert(to, layer);
        for (k, l) in scene.layers.iter_mut().enumerate() {
            l.position = k;
        }
        let names: Vec<&str> = scene.layers.iter().map(|l| l.info.name.as_str()).collect();
        let saved = crate::gpkg::GeoPackage::open(&self.workspace)
            .and_then(|mut gpkg| gpkg.set_draw_order(&names));
        if let Err(e) = saved {
            self.message = Some(format!("{}: {e}", tr(self.lang, Key::OrderNotSaved)));
        }
    }
}

/// The tables without geometries: not on the map; a click opens one in
/// the attribute table.
fn attribute_tables(
    ui: &mut egui::Ui,
    lang: Lang,
    tables: &[(crate::gpkg::LayerInfo, u64)],
    asked: &mut Requests,
) {
    if tables.is_empty() {
        return;
    }
    egui::CollapsingHeader::new(tr(lang, Key::AttributeTables))
        .default_open(true)
        .show(ui, |ui| {
            for (info, rows) in tables {
                let title = match lang {
                    Lang::Vi => info.meta.title_vi.clone(),
                    Lang::En => info.meta.title_en.clone(),
                }
                .unwrap_or_else(|| info.name.clone());
                let text = format!("{title} ({rows} {})", tr(lang, Key::Rows));
                if ui
                    .selectable_label(false, text)
                    .on_hover_text(tr(lang, Key::AttributeTable))
                    .clicked()
                {
                    asked.table = Some(info.name.clone());
                }
            }
        });
}

/// What a layer's row shows besides the layer itself.
struct Row {
    lang: Lang,
    /// Draw-order index of the layer, and how many layers there are.
    index: usize,
    layers: usize,
    active: bool,
    /// Selected features of the layer.
    selected: usize,
}

fn layer_row(
    ui: &mut egui::Ui,
    row: &Row,
    layer: &mut crate::ui::map::MapLayer,
    asked: &mut Requests,
) {
    let (lang, i, active, selected) = (row.lang, row.index, row.active, row.selected);
    let title = match lang {
        Lang::Vi => layer.info.meta.title_vi.clone(),
        Lang::En => layer.info.meta.title_en.clone(),
    }
    .unwrap_or_else(|| layer.info.name.clone());
    let mut text = format!("{title} ({} {})", layer.count, tr(lang, Key::Features));
    if selected > 0 {
        text.push_str(&format!(", {selected} {}", tr(lang, Key::Selected)));
    }
    let shown = ui.horizontal(|ui| {
        ui.dnd_drag_source(
            egui::Id::unique(("layer-drag", &layer.info.name)),
            DraggedLayer(i),
            |ui| drag_handle(ui, tr(lang, Key::DragToReorder)),
        )
        .response
        .on_hover_text(tr(lang, Key::DragToReorder));
        let visible_label = format!("{}: {title}", tr(lang, Key::Visible));
        ui.checkbox(&mut layer.visible, "").widget_info(|| {
            egui::WidgetInfo::selected(egui::Role::CheckBox, true, layer.visible, &visible_label)
        });
        let name = ui.selectable_label(active, text);
        if name.clicked() {
            asked.activate = Some((!active).then(|| layer.info.name.clone()));
        }
        name.context_menu(|ui| layer_menu(ui, row, layer, asked));
        if let Some(warning) = &layer.crs_warning {
            ui.colored_label(egui::Color32::from_rgb(200, 120, 0), "⚠")
                .on_hover_text(warning);
        }
    });
    let response = shown.response;
    if let Some(dragged) = response.dnd_hover_payload::<DraggedLayer>()
        && dragged.0 != i
    {
        // A line where the layer will land: above this row when it moves
        // up the map, below when it moves down.
        let r = response.rect;
        let y = if dragged.0 < i { r.top() } else { r.bottom() };
        ui.painter().hline(
            r.x_range(),
            y,
            egui::Stroke::new(2.0, ui.visuals().selection.bg_fill),
        );
    }
    if let Some(dragged) = response.dnd_release_payload::<DraggedLayer>() {
        asked.move_layer = Some((dragged.0, i));
    }
}

fn layer_menu(
    ui: &mut egui::Ui,
    row: &Row,
    layer: &mut crate::ui::map::MapLayer,
    asked: &mut Requests,
) {
    let (lang, i, n) = (row.lang, row.index, row.layers);
    if ui.button(tr(lang, Key::ZoomToLayer)).clicked() {
        asked.zoom_to = Some(layer.info.name.clone());
        ui.close();
    }
    if ui.button(tr(lang, Key::AttributeTable)).clicked() {
        asked.table = Some(layer.info.name.clone());
        ui.close();
    }
    if ui.button(format!("{}…", tr(lang, Key::Style))).clicked() {
        asked.edit_style = Some((layer.info.clone(), layer.style.clone()));
        ui.close();
    }
    if ui.button(tr(lang, Key::MoveUp)).clicked() && i + 1 < n {
        asked.move_layer = Some((i, i + 1));
        ui.close();
    }
    if ui.button(tr(lang, Key::MoveDown)).clicked() && i > 0 {
        asked.move_layer = Some((i, i - 1));
        ui.close();
    }
    let opacity =
        ui.add(egui::Slider::new(&mut layer.opacity, 0.0..=1.0).text(tr(lang, Key::Opacity)));
    // Saved with the style once the user lets go (not at every step).
    if opacity.drag_stopped() || (opacity.changed() && !opacity.dragged()) {
        asked.opacity = Some(layer.info.name.clone());
    }
    let mut field = layer.style.label_field.clone();
    egui::ComboBox::from_label(tr(lang, Key::LabelField))
        .selected_text(field.clone().unwrap_or_else(|| "—".into()))
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut field, None, "—");
            for f in &layer.info.schema.fields {
                ui.selectable_value(&mut field, Some(f.name.clone()), f.name.as_str());
            }
        });
    if field != layer.style.label_field {
        asked.relabel = Some((layer.info.name.clone(), field));
    }
}

/// Six dots to grab a row by (drawn, so no font needs a glyph for it).
fn drag_handle(ui: &mut egui::Ui, label: &str) {
    let (rect, response) = ui.allocate_exact_size(egui::vec2(10.0, 16.0), egui::Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, label));
    let colour = ui.visuals().weak_text_color();
    for col in [2.5, 7.5] {
        for row in [3.0, 8.0, 13.0] {
            ui.painter()
                .circle_filled(rect.min + egui::vec2(col, row), 1.3, colour);
        }
    }
}
