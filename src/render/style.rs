//! How a layer looks: its symbology (one colour, categories of a field,
//! classes of a number), opacity, outlines, line width and point symbol,
//! and the default look of a layer derived from its fields and theme.

use std::collections::HashMap;

use crate::gpkg::LayerInfo;
use crate::model::landuse::landuse_codes;
use crate::model::{FieldValue, GeometryType, LayerTheme, Schema};

use super::RenderError;

/// A colour, sRGB, straight (not premultiplied) alpha.
pub type Rgba = [u8; 4];

pub const fn rgb(r: u8, g: u8, b: u8) -> Rgba {
    [r, g, b, 255]
}

/// Point symbols, drawn by signed-distance functions in shaders/point.wgsl
/// (the numbers are the shader's shape codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Circle = 0,
    Square = 1,
    Triangle = 2,
    BtsTower = 3,
    Camera = 4,
}

/// What colour a feature gets.
#[derive(Debug, Clone, PartialEq)]
pub enum Symbology {
    Single(Rgba),
    /// By the value of a field; values not listed get `other`.
    Categorized {
        field: String,
        categories: Vec<(String, Rgba)>,
        other: Rgba,
    },
    /// By a number: a value `v` falls in class `i` = the number of breaks
    /// `< v`, so `colors` has one more entry than `breaks` and a value on
    /// a break belongs to the class below it (QGIS's ranges include their
    /// upper bound). Empty or non-numeric values get `other`.
    Graduated {
        field: String,
        breaks: Vec<f64>,
        colors: Vec<Rgba>,
        other: Rgba,
    },
}

/// The complete look of one layer.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerStyle {
    pub symbology: Symbology,
    /// 0..1, applied to everything the layer draws.
    pub opacity: f32,
    /// Whether polygons are filled; boundary layers drawn over others are not.
    pub fill: bool,
    /// Polygon outline colour; None draws no outline. An unfilled polygon
    /// without an outline colour is outlined in its symbology colour.
    pub outline: Option<Rgba>,
    pub outline_width_px: f32,
    /// Polygons smaller than this on screen get no outline: they would be
    /// all outline, and skipping them saves most of the line work zoomed out.
    pub outline_min_px: f32,
    pub line_width_px: f32,
    pub point_shape: Shape,
    pub point_size_px: f32,
    /// The dark rim of point symbols.
    pub point_outline: Rgba,
    /// The field whose values label the features; None: no labels.
    pub label_field: Option<String>,
    /// Point symbols that would overlap by more than half are thinned out
    /// when zoomed out (never for the selection).
    pub declutter: bool,
}

impl LayerStyle {
    pub fn single(color: Rgba) -> Self {
        LayerStyle {
            symbology: Symbology::Single(color),
            opacity: 1.0,
            fill: true,
            outline: Some(rgb(110, 110, 110)),
            outline_width_px: 0.8,
            outline_min_px: 8.0,
            line_width_px: 1.5,
            point_shape: Shape::Circle,
            point_size_px: 8.0,
            point_outline: rgb(40, 40, 40),
            label_field: None,
            declutter: true,
        }
    }

    /// How selected features are drawn, over their layer.
    pub fn highlight() -> Self {
        LayerStyle {
            symbology: Symbology::Single([255, 230, 0, 110]),
            outline: Some(rgb(0, 190, 255)),
            outline_width_px: 3.0,
            outline_min_px: 0.0,
            line_width_px: 5.0,
            point_shape: Shape::Circle,
            point_size_px: 22.0,
            point_outline: rgb(0, 190, 255),
            declutter: false,
            ..LayerStyle::single(rgb(255, 230, 0))
        }
    }

    /// The look a layer gets before the user picks one: land use in the
    /// standard colours, planning lots by function, BTS towers by operator
    /// with a tower icon, cameras with a camera icon, the rest by theme.
    /// `bottom` says whether the layer is drawn first: boundary layers above
    /// others are outlined only, so they do not hide what lies below.
    pub fn default_for(info: &LayerInfo, bottom: bool) -> Self {
        let schema = &info.schema;
        let has = |f: &str| schema.field_index(f).is_some();
        let theme = info.meta.theme;
        let mut style = LayerStyle::single(theme_color(theme));
        style.label_field = super::labels::default_label_field(info);
        if has("ma_loai_dat") {
            style.symbology = landuse_symbology("ma_loai_dat");
        } else if has("nha_mang") {
            style.symbology = categories("nha_mang", &OPERATORS);
            style.point_shape = Shape::BtsTower;
            style.point_size_px = 20.0;
        } else if has("chuc_nang") {
            style.symbology = categories("chuc_nang", &PLANNING_FUNCTIONS);
            style.opacity = 0.8;
        }
        if has("ma_camera") || info.name.to_lowercase().contains("camera") {
            style.point_shape = Shape::Camera;
            style.point_size_px = 18.0;
        } else if has("ma_cot") {
            // Lighting poles are many and small: yellow dots.
            style.symbology = Symbology::Single(rgb(250, 200, 0));
            style.point_size_px = 5.0;
        } else if has("ma_cam_bien") {
            style.symbology = Symbology::Single(rgb(0, 160, 120));
            style.point_shape = Shape::Square;
        } else if has("ten_thon") {
            style.symbology = Symbology::Single(rgb(120, 90, 60));
            style.point_shape = Shape::Triangle;
            style.point_size_px = 7.0;
        }
        let polygons = matches!(
            schema.geometry_type.linear(),
            GeometryType::Polygon | GeometryType::MultiPolygon
        );
        if polygons && theme == Some(LayerTheme::Base) && !bottom {
            style.fill = false;
            style.outline = Some(rgb(120, 60, 120));
            style.outline_width_px = 1.6;
            style.outline_min_px = 0.0;
        }
        style
    }

    /// Resolves the symbology against a layer's schema once, so colouring
    /// a feature is a lookup.
    pub fn classifier(&self, layer: &str, schema: &Schema) -> Result<Classifier, RenderError> {
        let field_index = |field: &str| {
            schema
                .field_index(field)
                .ok_or_else(|| RenderError::NoSuchField {
                    layer: layer.to_string(),
                    field: field.to_string(),
                })
        };
        Ok(match &self.symbology {
            Symbology::Single(c) => Classifier::Single(*c),
            Symbology::Categorized {
                field,
                categories,
                other,
            } => Classifier::Categorized {
                index: field_index(field)?,
                map: categories.iter().cloned().collect(),
                other: *other,
            },
            Symbology::Graduated {
                field,
                breaks,
                colors,
                other,
            } => Classifier::Graduated {
                index: field_index(field)?,
                breaks: breaks.clone(),
                colors: colors.clone(),
                other: *other,
            },
        })
    }
}

/// A symbology bound to a schema (see [`LayerStyle::classifier`]).
#[derive(Debug, Clone)]
pub enum Classifier {
    Single(Rgba),
    Categorized {
        index: usize,
        map: HashMap<String, Rgba>,
        other: Rgba,
    },
    Graduated {
        index: usize,
        breaks: Vec<f64>,
        colors: Vec<Rgba>,
        other: Rgba,
    },
}

impl Classifier {
    /// The colour of a feature with these attribute values.
    pub fn color(&self, values: &[FieldValue]) -> Rgba {
        match self {
            Classifier::Single(c) => *c,
            Classifier::Categorized { index, map, other } => {
                let found = match values.get(*index) {
                    Some(FieldValue::Null) | None => None,
                    Some(v) => match v.as_str() {
                        Some(s) => map.get(s),
                        None => map.get(&v.to_string()),
                    },
                };
                *found.unwrap_or(other)
            }
            Classifier::Graduated {
                index,
                breaks,
                colors,
                other,
            } => match values.get(*index).and_then(FieldValue::as_f64) {
                Some(v) if v.is_finite() => {
                    let class = breaks.partition_point(|b| *b < v);
                    colors.get(class).copied().unwrap_or(*other)
                }
                _ => *other,
            },
        }
    }
}

fn theme_color(theme: Option<LayerTheme>) -> Rgba {
    match theme {
        Some(LayerTheme::Planning) => rgb(255, 190, 120),
        Some(LayerTheme::SmartCity) => rgb(90, 60, 160),
        Some(LayerTheme::Infrastructure) => rgb(200, 80, 40),
        Some(LayerTheme::Base) => rgb(245, 242, 232),
        Some(LayerTheme::Telecom) => rgb(238, 0, 51),
        _ => rgb(150, 150, 150),
    }
}

/// Every code of the land-use table (model::landuse) in its standard colour.
pub fn landuse_symbology(field: &str) -> Symbology {
    Symbology::Categorized {
        field: field.to_string(),
        categories: landuse_codes()
            .iter()
            .map(|c| (c.code.clone(), rgb(c.rgb[0], c.rgb[1], c.rgb[2])))
            .collect(),
        other: rgb(200, 200, 200),
    }
}

fn categories(field: &str, table: &[(&str, Rgba)]) -> Symbology {
    Symbology::Categorized {
        field: field.to_string(),
        categories: table.iter().map(|(v, c)| (v.to_string(), *c)).collect(),
        other: rgb(255, 140, 0),
    }
}

/// The operators' brand colours (as in the sample's stored QGIS style).
pub const OPERATORS: [(&str, Rgba); 4] = [
    ("Viettel", rgb(238, 0, 51)),
    ("VNPT/VinaPhone", rgb(0, 114, 188)),
    ("MobiFone", rgb(0, 83, 159)),
    ("Vietnamobile", rgb(255, 140, 0)),
];

/// Planning functions in the colours of Vietnamese planning maps.
pub const PLANNING_FUNCTIONS: [(&str, Rgba); 10] = [
    ("Đất ở mới", rgb(255, 160, 255)),
    ("Đất ở hiện trạng cải tạo", rgb(255, 208, 255)),
    ("Đất cây xanh, công viên", rgb(100, 200, 100)),
    ("Đất công cộng", rgb(255, 170, 160)),
    ("Đất giáo dục", rgb(255, 150, 150)),
    ("Đất y tế", rgb(255, 120, 120)),
    ("Đất hỗn hợp", rgb(240, 130, 60)),
    ("Đất thương mại, dịch vụ", rgb(250, 170, 160)),
    ("Đất công nghiệp, kho tàng", rgb(200, 160, 220)),
    ("Đất hạ tầng kỹ thuật", rgb(180, 180, 180)),
];

/// The colour at `t` (0..1) along a ramp through `stops`.
pub fn ramp(stops: &[Rgba], t: f64) -> Rgba {
    match stops.len() {
        0 => rgb(0, 0, 0),
        1 => stops[0],
        n => {
            let x = t.clamp(0.0, 1.0) * (n - 1) as f64;
            let i = (x.floor() as usize).min(n - 2);
            let f = x - i as f64;
            let (a, b) = (stops[i], stops[i + 1]);
            std::array::from_fn(|k| (a[k] as f64 + (b[k] as f64 - a[k] as f64) * f).round() as u8)
        }
    }
}

/// Yellow to dark red, for heights, areas and densities.
pub const YELLOW_RED: [Rgba; 3] = [rgb(255, 255, 178), rgb(253, 141, 60), rgb(189, 0, 38)];

/// A graduated symbology with `breaks` and colours sampled evenly on a ramp.
pub fn graduated(field: &str, breaks: Vec<f64>, stops: &[Rgba]) -> Symbology {
    let classes = breaks.len() + 1;
    let colors = (0..classes)
        .map(|i| ramp(stops, i as f64 / (classes - 1).max(1) as f64))
        .collect();
    Symbology::Graduated {
        field: field.to_string(),
        breaks,
        colors,
        other: rgb(200, 200, 200),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Field, FieldType};

    fn schema() -> Schema {
        Schema::new(
            GeometryType::Polygon,
            9214,
            vec![
                Field::new("ma_loai_dat", FieldType::Text),
                Field::new("chieu_cao", FieldType::Real),
            ],
        )
    }

    #[test]
    fn land_use_codes_get_their_standard_colour() {
        let style = LayerStyle {
            symbology: landuse_symbology("ma_loai_dat"),
            ..LayerStyle::single(rgb(0, 0, 0))
        };
        let c = style.classifier("t", &schema()).unwrap();
        let luc = crate::model::landuse::landuse_code("LUC").unwrap().rgb;
        assert_eq!(
            c.color(&[FieldValue::Text("LUC".into()), FieldValue::Null]),
            rgb(luc[0], luc[1], luc[2])
        );
        assert_eq!(
            c.color(&[FieldValue::Text("nope".into()), FieldValue::Null]),
            rgb(200, 200, 200)
        );
    }

    #[test]
    fn graduated_classes_follow_the_breaks() {
        let style = LayerStyle {
            symbology: graduated("chieu_cao", vec![20.0, 40.0], &YELLOW_RED),
            ..LayerStyle::single(rgb(0, 0, 0))
        };
        let c = style.classifier("t", &schema()).unwrap();
        let at = |v: f64| c.color(&[FieldValue::Null, FieldValue::Real(v)]);
        assert_eq!(at(10.0), YELLOW_RED[0]);
        // On a break: the class below, as QGIS has it.
        assert_eq!(at(20.0), YELLOW_RED[0]);
        assert_eq!(at(20.5), YELLOW_RED[1]);
        assert_eq!(at(55.0), YELLOW_RED[2]);
        assert_eq!(
            c.color(&[FieldValue::Null, FieldValue::Null]),
            rgb(200, 200, 200)
        );
    }

    #[test]
    fn a_missing_style_field_is_named() {
        let style = LayerStyle {
            symbology: graduated("nope", vec![], &YELLOW_RED),
            ..LayerStyle::single(rgb(0, 0, 0))
        };
        let err = style.classifier("thua_dat", &schema()).unwrap_err();
        assert!(err.to_string().contains("'nope'"), "{err}");
    }

    #[test]
    fn ramp_ends_are_the_stops() {
        assert_eq!(ramp(&YELLOW_RED, 0.0), YELLOW_RED[0]);
        assert_eq!(ramp(&YELLOW_RED, 1.0), YELLOW_RED[2]);
        assert_eq!(ramp(&YELLOW_RED, 0.5), YELLOW_RED[1]);
    }
}
