//! The style editor of a layer: one colour, or colours by a field
//! (categories for text, quantile classes for numbers), and opacity. The
//! result restyles both the GPU layers and the painter's.

use egui::{Color32, ComboBox, RichText};

use super::i18n::{Key, Lang, tr};
use crate::gpkg::{GeoPackage, LayerInfo};
use crate::render::style::Symbology;
use crate::render::{LayerStyle, classify};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Single,
    ByField,
}

pub struct StyleEditor {
    pub open: bool,
    pub layer: LayerInfo,
    style: LayerStyle,
    mode: Mode,
    color: [u8; 3],
    field: String,
    classes: usize,
    error: Option<String>,
}

impl StyleEditor {
    pub fn new(layer: LayerInfo, current: LayerStyle) -> Self {
        let (mode, color, field) = match &current.symbology {
            Symbology::Single(c) => (Mode::Single, [c[0], c[1], c[2]], String::new()),
            Symbology::Categorized { field, .. } | Symbology::Graduated { field, .. } => {
                (Mode::ByField, [200, 200, 200], field.clone())
            }
        };
        let field = if field.is_empty() {
            layer
                .schema
                .fields
                .first()
                .map(|f| f.name.clone())
                .unwrap_or_default()
        } else {
            field
        };
        StyleEditor {
            open: true,
            layer,
            style: current,
            mode,
            color,
            field,
            classes: 5,
            error: None,
        }
    }

    /// Draws the editor; returns the new style when the user applies it.
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        lang: Lang,
        reader: &GeoPackage,
    ) -> Option<LayerStyle> {
        let mut applied = None;
        let mut open = self.open;
        egui::Window::new(format!("{} — {}", tr(lang, Key::Style), self.layer.name))
            .open(&mut open)
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    ui.radio_value(&mut self.mode, Mode::Single, tr(lang, Key::SingleSymbol));
                    ui.radio_value(&mut self.mode, Mode::ByField, tr(lang, Key::ByField));
                });
                match self.mode {
                    Mode::Single => {
                        ui.horizontal(|ui| {
                            let label = ui.label(tr(lang, Key::Colour));
                            ui.color_edit_button_srgb(&mut self.color)
                                .labelled_by(label.id);
                        });
                    }
                    Mode::ByField => {
                        ComboBox::from_label(tr(lang, Key::Field))
                            .selected_text(self.field.as_str())
                            .show_ui(ui, |ui| {
                                for f in &self.layer.schema.fields {
                                    ui.selectable_value(
                                        &mut self.field,
                                        f.name.clone(),
                                        f.name.as_str(),
                                    );
                                }
                            });
                        ui.add(
                            egui::Slider::new(&mut self.classes, 2..=9)
                                .text(tr(lang, Key::Classes)),
                        );
                    }
                }
                ui.add(
                    egui::Slider::new(&mut self.style.opacity, 0.0..=1.0)
                        .text(tr(lang, Key::Opacity)),
                );
                if ui
                    .button(RichText::new(tr(lang, Key::Apply)).strong())
                    .clicked()
                {
                    let symbology = match self.mode {
                        Mode::Single => Ok(Symbology::Single([
                            self.color[0],
                            self.color[1],
                            self.color[2],
                            255,
                        ])),
                        Mode::ByField => {
                            classify::by_field(reader, &self.layer, &self.field, self.classes)
                                .map_err(|e| e.to_string())
                        }
                    };
                    match symbology {
                        Ok(s) => {
                            self.style.symbology = s;
                            self.error = None;
                            applied = Some(self.style.clone());
                        }
                        Err(e) => self.error = Some(e),
                    }
                }
                if let Some(e) = &self.error {
                    ui.colored_label(Color32::from_rgb(200, 40, 40), e);
                }
                legend(ui, &self.style.symbology);
            });
        self.open = open;
        applied
    }
}

/// The classes of a symbology with their colours.
fn legend(ui: &mut egui::Ui, symbology: &Symbology) {
    let swatch = |ui: &mut egui::Ui, c: [u8; 4], text: String| {
        ui.horizontal(|ui| {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(18.0, 12.0), egui::Sense::hover());
            ui.painter().rect_filled(
                rect,
                2.0,
                Color32::from_rgba_unmultiplied(c[0], c[1], c[2], c[3]),
            );
            ui.label(text);
        });
    };
    egui::ScrollArea::vertical()
        .max_height(240.0)
        .show(ui, |ui| match symbology {
            Symbology::Single(c) => swatch(ui, *c, String::new()),
            Symbology::Categorized { categories, .. } => {
                for (value, c) in categories {
                    swatch(ui, *c, value.clone());
                }
            }
            Symbology::Graduated { breaks, colors, .. } => {
                for (i, c) in colors.iter().enumerate() {
                    let lo = if i == 0 {
                        "…".to_string()
                    } else {
                        format!("{:.1}", breaks[i - 1])
                    };
                    let hi = breaks.get(i).map_or("…".to_string(), |b| format!("{b:.1}"));
                    swatch(ui, *c, format!("{lo} – {hi}"));
                }
            }
        });
}
