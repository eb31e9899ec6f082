//! The layer panel: layers grouped by theme, top of the map first. Each
//! row has a drag handle (drop it on another row to move the layer there),
//! a visibility box, and the layer's title, which makes it the active
//! layer when clicked (selection tools then act on it alone) and opens its
//! context menu on a right click. A new order is saved in the workspace.
//! Each layer shows its legend (`legend.rs`).

use super::PanelContext;
use crate::model::LayerTheme;
use crate::ui::command::AppCommand;
use crate::ui::i18n::{Key, Lang, tr};
use crate::ui::map::MapLayer;

/// What is carried while a layer row is dragged: its draw-order index.
struct DraggedLayer(usize);

/// The layer panel. It holds nothing between frames: the layers, their
/// visibility and the selection are the workspace's.
#[derive(Default)]
pub struct LayerTree;

impl LayerTree {
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &PanelContext) -> Vec<AppCommand> {
        let lang = cx.lang;
        ui.heading(tr(lang, Key::Layers));
        let mut themes: Vec<Option<LayerTheme>> =
            LayerTheme::ALL.iter().copied().map(Some).collect();
        themes.push(None);
        let mut asked = Vec::new();
        // Both ways, at the panel's own width: rows wider than the panel
        // (long titles, the legend's arrow or swatch) scroll sideways
        // instead of widening the panel, which would move the map and
        // everything on it each time a layer or its legend arrives.
        let area = egui::ScrollArea::both().auto_shrink([false, true]);
        area.show(ui, |ui| {
            if let Some(scene) = cx.scene {
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
                                let layer = &scene.layers[i];
                                let row = Row {
                                    lang,
                                    index: i,
                                    layers: n,
                                    active: cx.active_layer == Some(layer.info.name.as_str()),
                                    selected: cx
                                        .selection
                                        .get(&layer.info.name)
                                        .map_or(0, |s| s.len()),
                                    editing: cx
                                        .editing
                                        .is_some_and(|e| e.contains(&layer.info.name)),
                                };
                                layer_row(ui, &row, layer, &mut asked);
                            }
                        });
                }
            }
            attribute_tables(ui, lang, cx.attribute_tables, &mut asked);
        });
        asked
    }
}

/// The tables without geometries: not on the map; a click opens one in
/// the attribute table.
fn attribute_tables(
    ui: &mut egui::Ui,
    lang: Lang,
    tables: &[(crate::gpkg::LayerInfo, u64)],
    asked: &mut Vec<AppCommand>,
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
                    asked.push(AppCommand::OpenTable(info.name.clone()));
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
    /// The layer is being edited.
    editing: bool,
}

fn layer_row(ui: &mut egui::Ui, row: &Row, layer: &MapLayer, asked: &mut Vec<AppCommand>) {
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
    // The layer's legend: a list to unfold, or one swatch in the row.
    let mut fold =
        super::legend::has_list(layer).then(|| super::legend::fold_state(ui, &layer.info.name));
    let shown = ui.horizontal(|ui| {
        ui.dnd_drag_source(
            egui::Id::unique(("layer-drag", &layer.info.name)),
            DraggedLayer(i),
            |ui| drag_handle(ui, tr(lang, Key::DragToReorder)),
        )
        .response
        .on_hover_text(tr(lang, Key::DragToReorder));
        let visible_label = format!("{}: {title}", tr(lang, Key::Visible));
        let mut visible = layer.visible;
        let checkbox = ui.checkbox(&mut visible, "");
        checkbox.widget_info(|| {
            egui::WidgetInfo::selected(egui::Role::CheckBox, true, visible, &visible_label)
        });
        if checkbox.changed() {
            asked.push(AppCommand::SetVisible {
                layer: layer.info.name.clone(),
                visible,
            });
        }
        match &mut fold {
            Some(state) => super::legend::toggle(ui, state, lang, &layer.info.name),
            None => super::legend::inline_swatch(ui, layer),
        }
        let name = ui.selectable_label(active, text);
        if name.clicked() {
            asked.push(AppCommand::SetActiveLayer(
                (!active).then(|| layer.info.name.clone()),
            ));
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
        asked.push(AppCommand::MoveLayer {
            from: dragged.0,
            to: i,
        });
    }
    if let Some(state) = fold {
        super::legend::body(ui, state, layer);
    }
}

fn layer_menu(ui: &mut egui::Ui, row: &Row, layer: &MapLayer, asked: &mut Vec<AppCommand>) {
    let (lang, i, n) = (row.lang, row.index, row.layers);
    let name = || layer.info.name.clone();
    // The editing panel's commands: a foreign file changes only once asked.
    if row.editing {
        if ui.button(tr(lang, Key::StopEditing)).clicked() {
            asked.push(AppCommand::StopEditing(name()));
            ui.close();
        }
    } else if ui.button(tr(lang, Key::StartEditing)).clicked() {
        asked.push(AppCommand::StartEditing(name()));
        ui.close();
    }
    if ui.button(tr(lang, Key::ZoomToLayer)).clicked() {
        asked.push(AppCommand::ZoomToLayer(name()));
        ui.close();
    }
    if ui.button(tr(lang, Key::AttributeTable)).clicked() {
        asked.push(AppCommand::OpenTable(name()));
        ui.close();
    }
    if ui.button(format!("{}…", tr(lang, Key::Style))).clicked() {
        asked.push(AppCommand::OpenStyleEditor(name()));
        ui.close();
    }
    if ui.button(tr(lang, Key::MoveUp)).clicked() && i + 1 < n {
        asked.push(AppCommand::MoveLayer { from: i, to: i + 1 });
        ui.close();
    }
    if ui.button(tr(lang, Key::MoveDown)).clicked() && i > 0 {
        asked.push(AppCommand::MoveLayer { from: i, to: i - 1 });
        ui.close();
    }
    let mut value = layer.opacity;
    let opacity = ui.add(egui::Slider::new(&mut value, 0.0..=1.0).text(tr(lang, Key::Opacity)));
    // Drawn at every step, saved with the style once the user lets go.
    let save = opacity.drag_stopped() || (opacity.changed() && !opacity.dragged());
    if opacity.changed() || save {
        asked.push(AppCommand::SetOpacity {
            layer: name(),
            opacity: value,
            save,
        });
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
        asked.push(AppCommand::SetLabelField {
            layer: name(),
            field,
        });
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
