//! A layer's legend in the layer tree, as QGIS shows it: a single-symbol
//! layer has its swatch beside its name; a categorized or graduated one
//! has an arrow that unfolds a swatch and a label per category or class.
//! The entries come from the layer's current style (`render::legend`),
//! so a restyle shows in the next frame. Nothing here reads the store.

use egui::{Color32, Rect, Sense, Stroke, Vec2};

use crate::render::Symbology;
use crate::render::legend::{LegendEntry, SwatchKind, entries};
use crate::ui::i18n::{Key, Lang, tr};
use crate::ui::map::MapLayer;

/// The size of one swatch, in points.
const SWATCH: Vec2 = Vec2::new(18.0, 12.0);

/// Whether the layer's legend is a list to unfold (more than one entry).
pub fn has_list(layer: &MapLayer) -> bool {
    !matches!(layer.style.symbology, Symbology::Single(_))
}

/// The fold state of a layer's legend, kept in egui's memory by layer
/// name (closed until the user opens it: a land-use legend is long).
pub fn fold_state(ui: &egui::Ui, layer: &str) -> egui::collapsing_header::CollapsingState {
    egui::collapsing_header::CollapsingState::load_with_default_open(
        ui.ctx(),
        fold_id(layer),
        false,
    )
}

fn fold_id(layer: &str) -> egui::Id {
    egui::Id::unique(("layer-legend", layer))
}

/// The arrow that folds the legend, drawn in the layer's row.
pub fn toggle(
    ui: &mut egui::Ui,
    state: &mut egui::collapsing_header::CollapsingState,
    lang: Lang,
    layer: &str,
) {
    let label = format!("{}: {layer}", tr(lang, Key::Legend));
    state
        .show_toggle_button(ui, egui::collapsing_header::paint_default_icon)
        .on_hover_text(tr(lang, Key::Legend))
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
}

/// The single symbol's swatch beside the layer's name.
pub fn inline_swatch(ui: &mut egui::Ui, layer: &MapLayer) {
    if let Some(entry) = entries(&layer.style, &layer.info).first() {
        swatch(ui, entry);
    }
}

/// The unfolded list under the layer's row (when open).
pub fn body(
    ui: &mut egui::Ui,
    mut state: egui::collapsing_header::CollapsingState,
    layer: &MapLayer,
) {
    let id = state.id();
    state.show_body_unindented(ui, |ui| {
        ui.indent(id, |ui| {
            for entry in entries(&layer.style, &layer.info) {
                ui.horizontal(|ui| {
                    swatch(ui, &entry);
                    ui.label(&entry.label);
                });
            }
        })
    });
}

/// One swatch: a filled box for polygons, a line for lines, a dot for
/// points. Its accessible name is "swatch: label", so tests find it.
pub fn swatch(ui: &mut egui::Ui, entry: &LegendEntry) -> Rect {
    let (rect, response) = ui.allocate_exact_size(SWATCH, Sense::hover());
    let name = format!("swatch: {}", entry.label);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &name));
    let fill = colour(entry.fill);
    let stroke = colour(entry.stroke);
    let painter = ui.painter();
    match entry.kind {
        SwatchKind::Fill => {
            let r = rect.shrink(1.0);
            painter.rect_filled(r, 0.0, fill);
            painter.rect_stroke(r, 0.0, Stroke::new(1.0, stroke), egui::StrokeKind::Inside);
        }
        SwatchKind::Line => {
            let y = rect.center().y;
            painter.line_segment(
                [
                    egui::pos2(rect.left() + 1.0, y),
                    egui::pos2(rect.right() - 1.0, y),
                ],
                Stroke::new(3.0, stroke),
            );
        }
        SwatchKind::Point => {
            painter.circle(rect.center(), 5.0, fill, Stroke::new(1.0, stroke));
        }
    }
    rect
}

fn colour(c: [u8; 4]) -> Color32 {
    Color32::from_rgba_unmultiplied(c[0], c[1], c[2], c[3])
}
