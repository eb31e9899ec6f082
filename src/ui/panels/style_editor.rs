//! The style editor of a layer: one colour, or colours by a field
//! (categories for text, quantile classes for numbers) with every class's
//! colour editable; the symbol (point shape and size, line width, polygon
//! fill and outline) and the opacity. Applying restyles the layer on both
//! drawing paths and saves the style in the workspace (see
//! `TramgisApp::set_style`). Classifying reads the layer's values in the
//! background; Apply pressed meanwhile applies once the classes arrive.

use egui::{Color32, ComboBox, RichText};

use std::path::Path;

use crate::gpkg::LayerInfo;
use crate::model::GeometryType;
use crate::render::style::Symbology;
use crate::render::{LayerStyle, Rgba, Shape, classify};
use crate::ui::i18n::{Key, Lang, tr};
use crate::ui::jobs::{JobError, StoreRead};

/// Classes being made from a field's values, and for what.
struct Classifying {
    /// The field and class count asked for.
    wanted: (String, usize),
    read: StoreRead<Symbology>,
    /// Apply the style once the classes arrive.
    then_apply: bool,
}

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
    /// The colour of the single-symbol mode, kept while the user tries
    /// colours by field.
    color: Rgba,
    field: String,
    classes: usize,
    /// The field and class count the classes shown were made from.
    classified: Option<(String, usize)>,
    classifying: Option<Classifying>,
    error: Option<String>,
}

impl StyleEditor {
    pub fn new(layer: LayerInfo, current: LayerStyle) -> Self {
        let (mode, color, field) = match &current.symbology {
            Symbology::Single(c) => (Mode::Single, *c, String::new()),
            Symbology::Categorized { field, .. } | Symbology::Graduated { field, .. } => {
                (Mode::ByField, [200, 200, 200, 255], field.clone())
            }
        };
        let classes = match &current.symbology {
            Symbology::Graduated { colors, .. } => colors.len().clamp(2, 9),
            _ => 5,
        };
        let classified = (mode == Mode::ByField).then(|| (field.clone(), classes));
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
            classes,
            classified,
            classifying: None,
            error: None,
        }
    }

    /// Draws the editor; returns the new style when the user applies it.
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        lang: Lang,
        workspace: &Path,
    ) -> Option<LayerStyle> {
        let mut applied = self.take_classes(ctx);
        let mut open = self.open;
        let title = match lang {
            Lang::Vi => self.layer.meta.title_vi.as_deref(),
            Lang::En => self.layer.meta.title_en.as_deref(),
        }
        .unwrap_or(&self.layer.name);
        egui::Window::new(format!("{} — {title}", tr(lang, Key::Style)))
            .id(egui::Id::unique(("style editor", &self.layer.name)))
            .open(&mut open)
            // Beside the layer panel, not over it.
            .default_pos([340.0, 90.0])
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    ui.radio_value(&mut self.mode, Mode::Single, tr(lang, Key::SingleSymbol));
                    ui.radio_value(&mut self.mode, Mode::ByField, tr(lang, Key::ByField));
                });
                match self.mode {
                    Mode::Single => {
                        ui.horizontal(|ui| {
                            let label = ui.label(tr(lang, Key::Colour));
                            color_button(ui, &mut self.color).labelled_by(label.id);
                        });
                        self.style.symbology = Symbology::Single(self.color);
                    }
                    Mode::ByField => self.by_field(ui, lang, workspace),
                }
                ui.separator();
                self.symbol(ui, lang);
                self.label_field(ui, lang);
                ui.add(
                    egui::Slider::new(&mut self.style.opacity, 0.0..=1.0)
                        .text(tr(lang, Key::Opacity)),
                );
                if let Some(e) = &self.error {
                    ui.colored_label(Color32::from_rgb(200, 40, 40), e);
                }
                if ui
                    .button(RichText::new(tr(lang, Key::Apply)).strong())
                    .clicked()
                {
                    applied = self.finish(workspace);
                }
                legend(ui, lang, &mut self.style.symbology);
            });
        self.open = open;
        applied
    }

    /// The field and the number of classes, and a button that classifies
    /// the layer's values anew (the colours can then be edited one by one).
    fn by_field(&mut self, ui: &mut egui::Ui, lang: Lang, workspace: &Path) {
        ComboBox::from_label(tr(lang, Key::Field))
            .selected_text(self.field.as_str())
            .show_ui(ui, |ui| {
                for f in &self.layer.schema.fields {
                    ui.selectable_value(&mut self.field, f.name.clone(), f.name.as_str());
                }
            });
        ui.horizontal(|ui| {
            ui.add(egui::Slider::new(&mut self.classes, 2..=9).text(tr(lang, Key::Classes)));
            if ui.button(tr(lang, Key::Classify)).clicked() {
                self.classify(workspace, false);
            }
            if self.classifying.is_some() {
                ui.weak("…");
            }
        });
    }

    /// Starts making the classes of the chosen field (in the background).
    fn classify(&mut self, workspace: &Path, then_apply: bool) {
        let wanted = (self.field.clone(), self.classes);
        if let Some(c) = &mut self.classifying
            && c.wanted == wanted
        {
            c.then_apply |= then_apply;
            return;
        }
        let (layer, field, classes) = (self.layer.clone(), self.field.clone(), self.classes);
        let read = StoreRead::start(
            format!("classify {}", layer.name),
            workspace.to_path_buf(),
            move |g, _| {
                classify::by_field(g, &layer, &field, classes).map_err(|e| match e {
                    // A lock is waited out like any other read's.
                    crate::render::RenderError::Store(e) => JobError::Store(e),
                    e => JobError::Render(e),
                })
            },
        );
        self.classifying = Some(Classifying {
            wanted,
            read,
            then_apply,
        });
    }

    /// Takes in the classes once read; the style when Apply was waiting.
    fn take_classes(&mut self, ctx: &egui::Context) -> Option<LayerStyle> {
        let result = self.classifying.as_mut()?.read.poll(ctx)?;
        let done = self.classifying.take()?;
        self.took(done, result)
    }

    fn took(
        &mut self,
        done: Classifying,
        result: Result<Symbology, JobError>,
    ) -> Option<LayerStyle> {
        match result {
            Ok(s) => {
                self.style.symbology = s;
                self.classified = Some(done.wanted);
                self.error = None;
                done.then_apply.then(|| self.style.clone())
            }
            Err(e) => {
                self.error = Some(e.to_string());
                None
            }
        }
    }

    /// Waits for the classes being made (tests); the next frame takes
    /// them in.
    pub fn finish_classifying(&mut self) {
        if let Some(c) = &mut self.classifying {
            c.read.wait();
        }
    }

    /// The style to apply: by field, the classes shown, classified first
    /// if they were not made from the chosen field and class count.
    /// Classes still to make are made first: the style is then returned
    /// when they arrive (from `show`).
    fn finish(&mut self, workspace: &Path) -> Option<LayerStyle> {
        match self.mode {
            // One colour cannot fail to apply, whatever failed before.
            Mode::Single => {
                self.error = None;
                self.classifying = None;
            }
            Mode::ByField => {
                // Classes the user asked for are still being made: they
                // are what is applied when they arrive.
                if let Some(c) = &mut self.classifying {
                    c.then_apply = true;
                    return None;
                }
                let wanted = (self.field.clone(), self.classes);
                let by_field = !matches!(self.style.symbology, Symbology::Single(_));
                if !by_field || self.classified.as_ref() != Some(&wanted) {
                    self.classify(workspace, true);
                    return None;
                }
            }
        }
        self.error.is_none().then(|| self.style.clone())
    }

    /// What the layer's geometry is drawn with.
    fn symbol(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let s = &mut self.style;
        match self.layer.schema.geometry_type.linear() {
            GeometryType::Point | GeometryType::MultiPoint => {
                ComboBox::from_label(tr(lang, Key::Symbol))
                    .selected_text(tr(lang, shape_key(s.point_shape)))
                    .show_ui(ui, |ui| {
                        for shape in [
                            Shape::Circle,
                            Shape::Square,
                            Shape::Triangle,
                            Shape::BtsTower,
                            Shape::Camera,
                        ] {
                            ui.selectable_value(
                                &mut s.point_shape,
                                shape,
                                tr(lang, shape_key(shape)),
                            );
                        }
                    });
                ui.add(
                    egui::Slider::new(&mut s.point_size_px, 2.0..=40.0).text(tr(lang, Key::Size)),
                );
                ui.checkbox(&mut s.declutter, tr(lang, Key::Declutter));
            }
            GeometryType::LineString | GeometryType::MultiLineString => {
                ui.add(
                    egui::Slider::new(&mut s.line_width_px, 0.5..=12.0).text(tr(lang, Key::Width)),
                );
            }
            _ => {
                ui.checkbox(&mut s.fill, tr(lang, Key::Fill));
                ui.horizontal(|ui| {
                    let mut outlined = s.outline.is_some();
                    ui.checkbox(&mut outlined, tr(lang, Key::Outline));
                    match (outlined, &mut s.outline) {
                        (true, Some(c)) => {
                            color_button(ui, c);
                        }
                        (true, none) => *none = Some([110, 110, 110, 255]),
                        (false, some) => *some = None,
                    }
                });
                ui.add(
                    egui::Slider::new(&mut s.outline_width_px, 0.5..=8.0)
                        .text(tr(lang, Key::Width)),
                );
            }
        }
    }
}

impl StyleEditor {
    /// The field whose values label the features (— for none).
    fn label_field(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let field = &mut self.style.label_field;
        ComboBox::from_label(tr(lang, Key::LabelField))
            .selected_text(field.clone().unwrap_or_else(|| "—".into()))
            .show_ui(ui, |ui| {
                ui.selectable_value(field, None, "—");
                for f in &self.layer.schema.fields {
                    ui.selectable_value(field, Some(f.name.clone()), f.name.as_str());
                }
            });
    }
}

fn shape_key(shape: Shape) -> Key {
    match shape {
        Shape::Circle => Key::ShapeCircle,
        Shape::Square => Key::ShapeSquare,
        Shape::Triangle => Key::ShapeTriangle,
        Shape::BtsTower => Key::ShapeTower,
        Shape::Camera => Key::ShapeCamera,
    }
}

/// A colour button over an RGBA colour (alpha kept).
fn color_button(ui: &mut egui::Ui, c: &mut Rgba) -> egui::Response {
    let mut rgb = [c[0], c[1], c[2]];
    let response = ui.color_edit_button_srgb(&mut rgb);
    c[..3].copy_from_slice(&rgb);
    response
}

/// The classes of a symbology, each with a colour button.
fn legend(ui: &mut egui::Ui, lang: Lang, symbology: &mut Symbology) {
    egui::ScrollArea::vertical()
        .max_height(260.0)
        .show(ui, |ui| match symbology {
            Symbology::Single(_) => {}
            Symbology::Categorized {
                categories, other, ..
            } => {
                for (value, c) in categories.iter_mut() {
                    ui.horizontal(|ui| {
                        color_button(ui, c);
                        ui.label(value.as_str());
                    });
                }
                ui.horizontal(|ui| {
                    color_button(ui, other);
                    ui.label(tr(lang, Key::OtherValues));
                });
            }
            Symbology::Graduated { breaks, colors, .. } => {
                for (i, c) in colors.iter_mut().enumerate() {
                    let lo = if i == 0 {
                        "…".to_string()
                    } else {
                        format!("{:.1}", breaks[i - 1])
                    };
                    let hi = breaks.get(i).map_or("…".to_string(), |b| format!("{b:.1}"));
                    ui.horizontal(|ui| {
                        color_button(ui, c);
                        ui.label(format!("{lo} – {hi}"));
                    });
                }
            }
        });
}
