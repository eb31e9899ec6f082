//! A bar chart of one numeric column of a result table, drawn with the
//! painter: one horizontal bar per row (largest first), labelled with the
//! row's text columns and its value.

use egui::{Color32, Sense, Stroke, vec2};

use crate::analysis::table::ResultTable;
use crate::model::{FieldType, FieldValue};

/// At most this many bars: the rest of a long table is in the table.
pub const MAX_BARS: usize = 30;

/// The numeric columns a chart can show, by index.
pub fn numeric_columns(table: &ResultTable) -> Vec<usize> {
    (table.columns.iter().enumerate())
        .filter(|(_, c)| matches!(c.field_type, FieldType::Real | FieldType::Integer))
        .map(|(i, _)| i)
        .collect()
}

/// The bars of column `value`: (label, value), largest first, empty and
/// non-numeric values left out. A row's label joins its text columns
/// (the first, a code, only when it is the only one).
pub fn bars(table: &ResultTable, value: usize) -> Vec<(String, f64)> {
    let texts: Vec<usize> = (table.columns.iter().enumerate())
        .filter(|(_, c)| c.field_type == FieldType::Text)
        .map(|(i, _)| i)
        .collect();
    let shown = if texts.len() > 1 {
        &texts[1..]
    } else {
        &texts[..]
    };
    let mut bars: Vec<(String, f64)> = table
        .rows
        .iter()
        .filter_map(|row| {
            let v = row.get(value)?.as_f64()?;
            let label: Vec<String> = shown
                .iter()
                .filter_map(|&i| match row.get(i) {
                    Some(FieldValue::Null) | None => None,
                    Some(x) => Some(x.to_string()),
                })
                .collect();
            Some((label.join(" · "), v))
        })
        .collect();
    bars.sort_by(|a, b| b.1.total_cmp(&a.1));
    bars
}

/// Draws the bars (at most [`MAX_BARS`]).
pub fn show(ui: &mut egui::Ui, bars: &[(String, f64)]) {
    let max = bars.iter().map(|b| b.1).fold(0.0f64, f64::max);
    let label_width = 180.0;
    let row = 16.0;
    let width = (ui.available_width() - label_width - 80.0).max(60.0);
    for (label, value) in bars.iter().take(MAX_BARS) {
        ui.horizontal(|ui| {
            let (rect, _) = ui.allocate_exact_size(vec2(label_width, row), Sense::hover());
            ui.painter().text(
                rect.left_center(),
                egui::Align2::LEFT_CENTER,
                clip(label, 28),
                egui::FontId::proportional(12.0),
                ui.visuals().text_color(),
            );
            let length = if max > 0.0 {
                (value / max) as f32 * width
            } else {
                0.0
            };
            let (bar, response) = ui.allocate_exact_size(vec2(width, row), Sense::hover());
            let name = format!("bar: {label}");
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &name));
            let filled =
                egui::Rect::from_min_size(bar.min + vec2(0.0, 2.0), vec2(length, row - 4.0));
            ui.painter()
                .rect_filled(filled, 0.0, Color32::from_rgb(70, 130, 180));
            ui.painter().rect_stroke(
                filled,
                0.0,
                Stroke::new(0.5, Color32::from_gray(60)),
                egui::StrokeKind::Inside,
            );
            ui.label(format!("{value:.2}"));
        });
    }
}

fn clip(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(chars - 1).collect();
        s.push('…');
        s
    }
}
