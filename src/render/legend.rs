//! What a layer's style means, as legend entries: one swatch and label per
//! colour the style can give a feature. The layer tree shows them under
//! each layer and the printed map's legend lists those in view.

use crate::gpkg::LayerInfo;
use crate::model::GeometryType;
use crate::model::landuse::landuse_code;

use super::style::{LayerStyle, Rgba, Symbology};

/// How a swatch is drawn: a filled box, a line, or a point symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwatchKind {
    Fill,
    Line,
    Point,
}

/// One row of a legend.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// What the row says (Vietnamese: a land-use code with its name).
    pub label: String,
    /// The swatch's fill, with the layer's opacity applied; fully
    /// transparent for an unfilled polygon.
    pub fill: Rgba,
    /// The swatch's outline (a line's colour for lines).
    pub stroke: Rgba,
    pub kind: SwatchKind,
    /// The category's value, for a categorized style (what a DISTINCT
    /// query of the field returns); None otherwise.
    pub value: Option<String>,
}

/// The kind of swatch a layer's geometry gets.
pub fn swatch_kind(info: &LayerInfo) -> SwatchKind {
    match info.schema.geometry_type.linear() {
        GeometryType::Point | GeometryType::MultiPoint => SwatchKind::Point,
        GeometryType::LineString | GeometryType::MultiLineString => SwatchKind::Line,
        _ => SwatchKind::Fill,
    }
}

/// The entries a layer's style shows: single symbol, one (labelled with the
/// layer's title); categorized, one per category in the style's order;
/// graduated, one per class.
pub fn entries(style: &LayerStyle, info: &LayerInfo) -> Vec<LegendEntry> {
    let kind = swatch_kind(info);
    let entry = |label: String, color: Rgba, value: Option<String>| {
        let (fill, stroke) = swatch_colors(style, kind, color);
        LegendEntry {
            label,
            fill,
            stroke,
            kind,
            value,
        }
    };
    match &style.symbology {
        Symbology::Single(c) => {
            let title = info
                .meta
                .title_vi
                .clone()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| info.name.clone());
            vec![entry(title, *c, None)]
        }
        Symbology::Categorized {
            field, categories, ..
        } => categories
            .iter()
            .map(|(value, c)| entry(category_label(field, value), *c, Some(value.clone())))
            .collect(),
        Symbology::Graduated { breaks, colors, .. } => colors
            .iter()
            .enumerate()
            .map(|(i, c)| entry(class_label(breaks, i), *c, None))
            .collect(),
    }
}

/// A land-use code reads as "LUC – Đất chuyên trồng lúa nước"; other
/// categories as their value.
pub fn category_label(field: &str, value: &str) -> String {
    if field.eq_ignore_ascii_case("ma_loai_dat")
        && let Some(code) = landuse_code(value)
    {
        return format!("{} – {}", code.code, code.name_vi);
    }
    if value.is_empty() {
        "(trống)".to_string()
    } else {
        value.to_string()
    }
}

/// Class `i` of a graduated style: "≤ 20", "20 – 40", "> 40" (a value on
/// a break belongs to the class below, as in [`Symbology::Graduated`]).
pub fn class_label(breaks: &[f64], i: usize) -> String {
    match (i, breaks.len()) {
        (_, 0) => "Tất cả".to_string(),
        (0, _) => format!("≤ {}", number(breaks[0])),
        (i, n) if i >= n => format!("> {}", number(breaks[n - 1])),
        (i, _) => format!("{} – {}", number(breaks[i - 1]), number(breaks[i])),
    }
}

/// A break as people write it: whole numbers without decimals, others
/// with at most two.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn with_opacity(c: Rgba, opacity: f32) -> Rgba {
    let a = (c[3] as f32 * opacity.clamp(0.0, 1.0)).round() as u8;
    [c[0], c[1], c[2], a]
}

/// The swatch's fill and outline, drawn as the map draws the layer.
fn swatch_colors(style: &LayerStyle, kind: SwatchKind, color: Rgba) -> (Rgba, Rgba) {
    let o = style.opacity;
    match kind {
        SwatchKind::Fill if style.fill => (
            with_opacity(color, o),
            with_opacity(style.outline.unwrap_or(color), o),
        ),
        // An unfilled polygon without an outline colour is outlined in
        // its symbology colour (see LayerStyle::outline).
        SwatchKind::Fill => (
            [0, 0, 0, 0],
            with_opacity(style.outline.unwrap_or(color), o),
        ),
        SwatchKind::Line => (with_opacity(color, o), with_opacity(color, o)),
        SwatchKind::Point => (with_opacity(color, o), with_opacity(style.point_outline, o)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpkg::{GeoPackage, LayerMeta};
    use crate::model::{Field, FieldType, Schema};
    use crate::render::style::{YELLOW_RED, graduated, rgb};

    fn layer(dir: &std::path::Path, name: &str, gt: GeometryType, fields: &[&str]) -> LayerInfo {
        let path = dir.join(format!("{name}.gpkg"));
        let mut gpkg = GeoPackage::create(&path).unwrap();
        let schema = Schema::new(
            gt,
            9214,
            fields
                .iter()
                .map(|f| Field::new(f, FieldType::Text))
                .collect(),
        );
        let meta = LayerMeta {
            title_vi: Some("Thửa đất".into()),
            ..LayerMeta::default()
        };
        gpkg.create_layer(name, &schema, &meta).unwrap()
    }

    #[test]
    fn land_use_categories_carry_their_vietnamese_names_and_colours() {
        let dir = tempfile::tempdir().unwrap();
        let info = layer(
            dir.path(),
            "thua_dat",
            GeometryType::MultiPolygon,
            &["ma_loai_dat"],
        );
        let style = LayerStyle::default_for(&info, true);
        let e = entries(&style, &info);
        let codes = crate::model::landuse::landuse_codes();
        assert_eq!(e.len(), codes.len());
        let luc = e
            .iter()
            .find(|e| e.value.as_deref() == Some("LUC"))
            .unwrap();
        let code = landuse_code("LUC").unwrap();
        assert_eq!(luc.label, format!("LUC – {}", code.name_vi));
        assert!(luc.label.contains("lúa"), "{}", luc.label);
        assert_eq!(luc.fill, rgb(code.rgb[0], code.rgb[1], code.rgb[2]));
        assert_eq!(luc.kind, SwatchKind::Fill);
    }

    #[test]
    fn single_symbol_is_one_entry_titled_by_the_layer() {
        let dir = tempfile::tempdir().unwrap();
        let info = layer(dir.path(), "duong", GeometryType::LineString, &["ten"]);
        let style = LayerStyle::single(rgb(200, 80, 40));
        let e = entries(&style, &info);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].label, "Thửa đất");
        assert_eq!(e[0].kind, SwatchKind::Line);
        assert_eq!(e[0].stroke, rgb(200, 80, 40));
        assert_eq!(e[0].value, None);
    }

    #[test]
    fn graduated_classes_are_labelled_by_their_breaks() {
        let dir = tempfile::tempdir().unwrap();
        let info = layer(dir.path(), "tram", GeometryType::Point, &["chieu_cao"]);
        let mut style = LayerStyle {
            symbology: graduated("chieu_cao", vec![20.0, 42.5], &YELLOW_RED),
            ..LayerStyle::single(rgb(0, 0, 0))
        };
        style.opacity = 0.5;
        let e = entries(&style, &info);
        let labels: Vec<_> = e.iter().map(|e| e.label.as_str()).collect();
        assert_eq!(labels, ["≤ 20", "20 – 42.5", "> 42.5"]);
        assert_eq!(e[2].fill, with_opacity(YELLOW_RED[2], 0.5));
        assert_eq!(e[2].fill[3], 128);
        assert_eq!(e[0].kind, SwatchKind::Point);
    }

    #[test]
    fn unfilled_boundaries_show_an_outline_only() {
        let dir = tempfile::tempdir().unwrap();
        let info = layer(dir.path(), "xa", GeometryType::Polygon, &["ten_xa"]);
        let style = LayerStyle {
            fill: false,
            outline: Some(rgb(120, 60, 120)),
            ..LayerStyle::single(rgb(1, 2, 3))
        };
        let e = entries(&style, &info);
        assert_eq!(e[0].fill[3], 0);
        assert_eq!(e[0].stroke, rgb(120, 60, 120));
    }

    #[test]
    fn other_categories_read_as_their_value() {
        assert_eq!(category_label("nha_mang", "Viettel"), "Viettel");
        assert_eq!(category_label("ma_loai_dat", "XYZ"), "XYZ");
        assert_eq!(category_label("x", ""), "(trống)");
        assert_eq!(class_label(&[], 0), "Tất cả");
    }
}
