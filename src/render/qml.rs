//! A layer's look as QGIS QML, both ways: what the style editor saves is
//! written to `layer_styles` as the layer's default style, which QGIS
//! shows when it opens the workspace; a default style saved by QGIS is
//! read back into a [`LayerStyle`] when tramgis draws the layer.
//!
//! Written: single symbol, categorised (with the "all other values"
//! category QGIS writes as an empty value) and graduated renderers with
//! SimpleFill, SimpleLine and SimpleMarker symbol layers, sizes in pixels,
//! and the layer opacity. Our point icons (BTS tower, camera) have no
//! QGIS marker: the nearest one is written, and the icon is kept in a
//! layer custom property QGIS carries along.
//!
//! Read: the same renderers from QGIS 3.x, in both its property styles
//! (`<prop k= v=>` before 3.26, `<Option name= value=>` after), sizes in
//! pixels, millimetres or points. Anything else (rule-based renderers,
//! SVG markers, data-defined properties) keeps our default look.

use std::collections::HashMap;
use std::fmt::Write;

use crate::gpkg::{GeoPackage, LayerInfo};
use crate::model::GeometryType;
use crate::model::landuse::landuse_code;

use super::style::{LayerStyle, Rgba, Shape, Symbology};

/// QGIS draws at 96 dpi on screen: pixels per millimetre and per point.
const PX_PER_MM: f32 = 96.0 / 25.4;
const PX_PER_PT: f32 = 96.0 / 72.0;
const SHAPE_PROPERTY: &str = "tramgis/point_shape";
const DECLUTTER_PROPERTY: &str = "tramgis/declutter";
/// The colour of values outside every class (QGIS draws none there).
const OTHER_PROPERTY: &str = "tramgis/other_colour";

/// The layer's look: the default style stored in `layer_styles` when it
/// can be read, otherwise the default look for the layer.
pub fn stored_or_default(gpkg: &GeoPackage, info: &LayerInfo, bottom: bool) -> LayerStyle {
    let base = LayerStyle::default_for(info, bottom);
    match gpkg.default_style(&info.name) {
        Ok(Some(stored)) if !stored.qml.is_empty() => {
            from_qml(&stored.qml, &info.schema, base.clone()).unwrap_or(base)
        }
        _ => base,
    }
}

/// The QML document QGIS loads as the layer's symbology.
pub fn to_qml(style: &LayerStyle, geometry: GeometryType) -> String {
    // A curve layer is styled as the lines or polygons it is drawn as.
    let geometry = geometry.linear();
    let mut out = format!(
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n\
         <qgis version=\"3.22.0\" styleCategories=\"Symbology|Labeling|CustomProperties\" labelsEnabled=\"{}\">\n",
        i32::from(style.label_field.is_some())
    );
    let symbol = |out: &mut String, name: &str, color: Rgba| {
        symbol_xml(out, name, geometry, style, color);
    };
    match &style.symbology {
        Symbology::Single(c) => {
            out.push_str(
                "  <renderer-v2 type=\"singleSymbol\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">\n    <symbols>\n",
            );
            symbol(&mut out, "0", *c);
            out.push_str("    </symbols>\n  </renderer-v2>\n");
        }
        Symbology::Categorized {
            field,
            categories,
            other,
        } => {
            let _ = writeln!(
                out,
                "  <renderer-v2 type=\"categorizedSymbol\" attr=\"{}\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">\n    <categories>",
                escape(field)
            );
            for (i, (value, _)) in categories.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "      <category render=\"true\" value=\"{}\" symbol=\"{i}\" label=\"{}\"/>",
                    escape(value),
                    escape(&category_label(field, value))
                );
            }
            let _ = writeln!(
                out,
                "      <category render=\"true\" value=\"\" symbol=\"{}\" label=\"\"/>\n    </categories>\n    <symbols>",
                categories.len()
            );
            for (i, (_, c)) in categories.iter().enumerate() {
                symbol(&mut out, &i.to_string(), *c);
            }
            symbol(&mut out, &categories.len().to_string(), *other);
            out.push_str("    </symbols>\n  </renderer-v2>\n");
        }
        Symbology::Graduated {
            field,
            breaks,
            colors,
            ..
        } => {
            let _ = writeln!(
                out,
                "  <renderer-v2 type=\"graduatedSymbol\" attr=\"{}\" graduatedMethod=\"GraduatedColor\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">\n    <ranges>",
                escape(field)
            );
            for i in 0..colors.len() {
                // The open ends of the first and last classes.
                let lower = if i == 0 { f64::MIN } else { breaks[i - 1] };
                let upper = breaks.get(i).copied().unwrap_or(f64::MAX);
                let label = match (i == 0, i == breaks.len()) {
                    (true, _) => format!("< {upper}"),
                    (_, true) => format!(">= {lower}"),
                    _ => format!("{lower} – {upper}"),
                };
                let _ = writeln!(
                    out,
                    "      <range render=\"true\" lower=\"{lower:e}\" upper=\"{upper:e}\" symbol=\"{i}\" label=\"{}\"/>",
                    escape(&label)
                );
            }
            out.push_str("    </ranges>\n    <symbols>\n");
            for (i, c) in colors.iter().enumerate() {
                symbol(&mut out, &i.to_string(), *c);
            }
            out.push_str("    </symbols>\n  </renderer-v2>\n");
        }
    }
    if let Some(field) = &style.label_field {
        labeling_xml(&mut out, field, geometry);
    }
    let other = match &style.symbology {
        Symbology::Graduated { other, .. } => format!(
            "\n      <Option name=\"{OTHER_PROPERTY}\" value=\"{}\" type=\"QString\"/>",
            color_text(*other)
        ),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "  <customproperties>\n    <Option type=\"Map\">\n      <Option name=\"{SHAPE_PROPERTY}\" value=\"{}\" type=\"QString\"/>\n      <Option name=\"{DECLUTTER_PROPERTY}\" value=\"{}\" type=\"QString\"/>{other}\n    </Option>\n  </customproperties>",
        shape_key(style.point_shape),
        style.declutter
    );
    let _ = writeln!(
        out,
        "  <layerOpacity>{}</layerOpacity>\n</qgis>",
        style.opacity
    );
    out
}

/// QGIS's simple labelling by a field, in the look of our labels: dark
/// Noto Sans with a white halo, inside areas (over the point), beside
/// points (around it) and level along lines (horizontal).
fn labeling_xml(out: &mut String, field: &str, geometry: GeometryType) {
    let placement = match geometry {
        GeometryType::Point | GeometryType::MultiPoint => 0,
        GeometryType::LineString | GeometryType::MultiLineString => 4,
        _ => 1,
    };
    let _ = writeln!(
        out,
        "  <labeling type=\"simple\">\n    <settings calloutType=\"simple\">\n      \
         <text-style fieldName=\"{}\" isExpression=\"0\" fontFamily=\"Noto Sans\" fontSize=\"9\" fontSizeUnit=\"Point\" textColor=\"20,20,20,255\" textOpacity=\"1\">\n        \
         <text-buffer bufferDraw=\"1\" bufferSize=\"1\" bufferSizeUnits=\"Pixel\" bufferColor=\"255,255,255,255\" bufferOpacity=\"1\"/>\n      \
         </text-style>\n      <placement placement=\"{placement}\"/>\n      <rendering obstacle=\"1\" displayAll=\"0\"/>\n    </settings>\n  </labeling>",
        escape(field),
    );
}

/// Land-use categories are labelled with the category's name, as on the
/// province's maps; other values stand for themselves.
fn category_label(field: &str, value: &str) -> String {
    match landuse_code(value).filter(|_| field == "ma_loai_dat") {
        Some(c) => format!("{} - {}", c.code, c.name_vi),
        None => value.to_string(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn color_text(c: Rgba) -> String {
    format!("{},{},{},{}", c[0], c[1], c[2], c[3])
}

/// One `<symbol>` with one symbol layer, its properties in both of QGIS's
/// notations so that 3.22 and later versions read them alike.
fn symbol_xml(out: &mut String, name: &str, geometry: GeometryType, style: &LayerStyle, c: Rgba) {
    let px = |v: f32| format!("{v}");
    let (kind, class, props): (&str, &str, Vec<(&str, String)>) = match geometry {
        GeometryType::Point | GeometryType::MultiPoint => (
            "marker",
            "SimpleMarker",
            vec![
                ("name", qgis_marker(style.point_shape).into()),
                ("color", color_text(c)),
                ("outline_color", color_text(style.point_outline)),
                ("outline_style", "solid".into()),
                ("outline_width", "1".into()),
                ("outline_width_unit", "Pixel".into()),
                ("size", px(style.point_size_px)),
                ("size_unit", "Pixel".into()),
            ],
        ),
        GeometryType::LineString | GeometryType::MultiLineString => (
            "line",
            "SimpleLine",
            vec![
                ("line_color", color_text(c)),
                ("line_style", "solid".into()),
                ("line_width", px(style.line_width_px)),
                ("line_width_unit", "Pixel".into()),
            ],
        ),
        _ => {
            // An unfilled polygon without its own outline colour is
            // outlined in its symbology colour (see LayerStyle::outline).
            let outline = match (style.fill, style.outline) {
                (_, Some(o)) => Some(o),
                (false, None) => Some(c),
                (true, None) => None,
            };
            (
                "fill",
                "SimpleFill",
                vec![
                    ("color", color_text(c)),
                    ("style", if style.fill { "solid" } else { "no" }.into()),
                    ("outline_color", color_text(outline.unwrap_or([0, 0, 0, 0]))),
                    (
                        "outline_style",
                        if outline.is_some() { "solid" } else { "no" }.into(),
                    ),
                    ("outline_width", px(style.outline_width_px)),
                    ("outline_width_unit", "Pixel".into()),
                ],
            )
        }
    };
    let _ = writeln!(
        out,
        "      <symbol type=\"{kind}\" name=\"{name}\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n        <layer class=\"{class}\" enabled=\"1\" locked=\"0\" pass=\"0\">\n          <Option type=\"Map\">"
    );
    for (k, v) in &props {
        let _ = writeln!(
            out,
            "            <Option name=\"{k}\" value=\"{}\" type=\"QString\"/>",
            escape(v)
        );
    }
    out.push_str("          </Option>\n");
    for (k, v) in &props {
        let _ = writeln!(out, "          <prop k=\"{k}\" v=\"{}\"/>", escape(v));
    }
    out.push_str("        </layer>\n      </symbol>\n");
}

fn qgis_marker(shape: Shape) -> &'static str {
    match shape {
        Shape::Circle => "circle",
        Shape::Square | Shape::Camera => "square",
        Shape::Triangle | Shape::BtsTower => "triangle",
    }
}

fn shape_key(shape: Shape) -> &'static str {
    match shape {
        Shape::Circle => "circle",
        Shape::Square => "square",
        Shape::Triangle => "triangle",
        Shape::BtsTower => "bts_tower",
        Shape::Camera => "camera",
    }
}

fn shape_of_key(key: &str) -> Option<Shape> {
    Some(match key {
        "circle" => Shape::Circle,
        "square" | "rectangle" => Shape::Square,
        "triangle" | "equilateral_triangle" => Shape::Triangle,
        "bts_tower" => Shape::BtsTower,
        "camera" => Shape::Camera,
        _ => return None,
    })
}

/// Reads a QGIS QML style over `base` (the layer's default look): the
/// renderer's colours and classes, symbol sizes and the opacity replace
/// the base's; what the QML does not say is kept. Fails, naming what it
/// met, for a renderer or field it cannot use.
pub fn from_qml(
    qml: &str,
    schema: &crate::model::Schema,
    base: LayerStyle,
) -> Result<LayerStyle, String> {
    // QGIS starts every QML with a DOCTYPE (no entities in it).
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc =
        roxmltree::Document::parse_with_options(qml, options).map_err(|e| format!("QML: {e}"))?;
    let root = doc.root_element();
    let renderer = child(root, "renderer-v2").ok_or("QML: no <renderer-v2>")?;
    let kind = renderer.attribute("type").unwrap_or_default();
    let symbols: HashMap<&str, roxmltree::Node> = child(renderer, "symbols")
        .into_iter()
        .flat_map(|s| s.children().filter(|n| n.has_tag_name("symbol")))
        .filter_map(|s| Some((s.attribute("name")?, s)))
        .collect();
    let color_of = |name: &str| -> Result<Rgba, String> {
        let symbol = symbols
            .get(name)
            .ok_or_else(|| format!("QML: no symbol '{name}'"))?;
        symbol_color(*symbol).ok_or_else(|| format!("QML: symbol '{name}' has no colour"))
    };
    let field = || -> Result<String, String> {
        let f = renderer.attribute("attr").unwrap_or_default();
        if schema.field_index(f).is_none() {
            return Err(format!("QML: the layer has no field '{f}'"));
        }
        Ok(f.to_string())
    };
    let mut style = base;
    let first_symbol;
    style.symbology = match kind {
        "singleSymbol" => {
            first_symbol = "0".to_string();
            Symbology::Single(color_of("0")?)
        }
        "categorizedSymbol" => {
            let mut categories = Vec::new();
            let mut other = None;
            for c in child(renderer, "categories")
                .into_iter()
                .flat_map(|c| c.children().filter(|n| n.has_tag_name("category")))
                .filter(|c| c.attribute("render") != Some("false"))
            {
                let value = c.attribute("value").unwrap_or_default();
                let color = color_of(c.attribute("symbol").unwrap_or_default())?;
                if value.is_empty() {
                    other = Some(color);
                } else {
                    categories.push((value.to_string(), color));
                }
            }
            first_symbol = symbols
                .keys()
                .min()
                .map(|k| k.to_string())
                .unwrap_or_default();
            Symbology::Categorized {
                field: field()?,
                categories,
                // Values without a category are not drawn by QGIS.
                other: other.unwrap_or([0, 0, 0, 0]),
            }
        }
        "graduatedSymbol" => {
            let mut ranges: Vec<(f64, f64, Rgba)> = Vec::new();
            for r in child(renderer, "ranges")
                .into_iter()
                .flat_map(|r| r.children().filter(|n| n.has_tag_name("range")))
                .filter(|r| r.attribute("render") != Some("false"))
            {
                let number = |a: &str| -> Result<f64, String> {
                    r.attribute(a)
                        .and_then(|v| v.trim().parse().ok())
                        .ok_or_else(|| format!("QML: a range without a number for '{a}'"))
                };
                let color = color_of(r.attribute("symbol").unwrap_or_default())?;
                ranges.push((number("lower")?, number("upper")?, color));
            }
            ranges.sort_by(|a, b| a.0.total_cmp(&b.0));
            if ranges.is_empty() {
                return Err("QML: a graduated renderer without ranges".into());
            }
            first_symbol = "0".to_string();
            Symbology::Graduated {
                field: field()?,
                breaks: ranges.iter().skip(1).map(|r| r.0).collect(),
                colors: ranges.iter().map(|r| r.2).collect(),
                other: custom_property(root, OTHER_PROPERTY)
                    .and_then(|c| parse_color(&c))
                    .unwrap_or([0, 0, 0, 0]),
            }
        }
        other => return Err(format!("QML: the '{other}' renderer is not supported")),
    };
    if let Some(layer) = symbols
        .get(first_symbol.as_str())
        .and_then(|s| s.children().find(|n| n.has_tag_name("layer")))
    {
        apply_symbol_layer(&mut style, layer);
    }
    if root.attribute("labelsEnabled") == Some("0") {
        style.label_field = None;
    } else if let Some(text) = root
        .descendants()
        .find(|n| n.has_tag_name("text-style") && n.attribute("isExpression") != Some("1"))
        .and_then(|n| n.attribute("fieldName"))
        .filter(|f| schema.field_index(f).is_some())
    {
        style.label_field = Some(text.to_string());
    }
    if let Some(shape) = custom_property(root, SHAPE_PROPERTY).and_then(|v| shape_of_key(&v)) {
        style.point_shape = shape;
    }
    if let Some(d) = custom_property(root, DECLUTTER_PROPERTY) {
        style.declutter = d != "false";
    }
    if let Some(o) = child(root, "layerOpacity")
        .and_then(|o| o.text())
        .and_then(|t| t.trim().parse::<f32>().ok())
    {
        style.opacity = o.clamp(0.0, 1.0);
    }
    Ok(style)
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, tag: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|n| n.has_tag_name(tag))
}

/// A symbol layer's properties, from `<prop k v>` or `<Option name value>`.
fn properties(layer: roxmltree::Node) -> HashMap<String, String> {
    let mut props = HashMap::new();
    for n in layer.descendants() {
        let kv = if n.has_tag_name("prop") {
            n.attribute("k").zip(n.attribute("v"))
        } else if n.has_tag_name("Option") {
            n.attribute("name").zip(n.attribute("value"))
        } else {
            None
        };
        if let Some((k, v)) = kv {
            props.entry(k.to_string()).or_insert_with(|| v.to_string());
        }
    }
    props
}

fn parse_color(text: &str) -> Option<Rgba> {
    let parts: Vec<u8> = text
        .split(',')
        .take(4)
        .map(|p| p.trim().parse().ok())
        .collect::<Option<_>>()?;
    match parts[..] {
        [r, g, b] => Some([r, g, b, 255]),
        [r, g, b, a] => Some([r, g, b, a]),
        _ => None,
    }
}

fn symbol_color(symbol: roxmltree::Node) -> Option<Rgba> {
    let layer = symbol.children().find(|n| n.has_tag_name("layer"))?;
    let props = properties(layer);
    let mut c = parse_color(props.get("color").or(props.get("line_color"))?)?;
    if let Some(alpha) = symbol
        .attribute("alpha")
        .and_then(|a| a.parse::<f32>().ok())
    {
        c[3] = (f32::from(c[3]) * alpha.clamp(0.0, 1.0)).round() as u8;
    }
    Some(c)
}

/// Screen pixels of a size in QGIS's units (map units are not supported
/// and read as millimetres).
fn pixels(props: &HashMap<String, String>, key: &str, unit_key: &str) -> Option<f32> {
    let v: f32 = props.get(key)?.parse().ok()?;
    let factor = match props.get(unit_key).map(String::as_str) {
        Some("Pixel") => 1.0,
        Some("Point") => PX_PER_PT,
        _ => PX_PER_MM,
    };
    Some(v * factor)
}

/// Sizes, outline and fill from the first symbol's symbol layer.
fn apply_symbol_layer(style: &mut LayerStyle, layer: roxmltree::Node) {
    let props = properties(layer);
    match layer.attribute("class") {
        Some("SimpleFill") => {
            style.fill = props.get("style").is_none_or(|s| s != "no");
            let own = props.get("color").and_then(|c| parse_color(c));
            style.outline = match props.get("outline_style").map(String::as_str) {
                Some("no") => None,
                _ => props.get("outline_color").and_then(|c| parse_color(c)),
            };
            // An unfilled area outlined in its own colour is how we write
            // "outline in each class's colour" (LayerStyle::outline None).
            if !style.fill && style.outline.is_some() && style.outline == own {
                style.outline = None;
            }
            if let Some(w) = pixels(&props, "outline_width", "outline_width_unit") {
                style.outline_width_px = w.max(0.5);
            }
        }
        Some("SimpleLine") => {
            if let Some(w) = pixels(&props, "line_width", "line_width_unit") {
                style.line_width_px = w.max(0.5);
            }
        }
        Some("SimpleMarker") => {
            if let Some(s) = pixels(&props, "size", "size_unit") {
                style.point_size_px = s.max(1.0);
            }
            if let Some(shape) = props.get("name").and_then(|n| shape_of_key(n)) {
                style.point_shape = shape;
            }
            if let Some(c) = props.get("outline_color").and_then(|c| parse_color(c)) {
                style.point_outline = c;
            }
        }
        _ => {}
    }
}

fn custom_property(root: roxmltree::Node, name: &str) -> Option<String> {
    let props = child(root, "customproperties")?;
    props
        .descendants()
        .find(|n| {
            (n.has_tag_name("Option") && n.attribute("name") == Some(name))
                || (n.has_tag_name("property") && n.attribute("key") == Some(name))
        })
        .and_then(|n| n.attribute("value"))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Field, FieldType, Schema};

    fn schema(geometry: GeometryType) -> Schema {
        Schema::new(
            geometry,
            9214,
            vec![
                Field::new("ma_loai_dat", FieldType::Text),
                Field::new("chieu_cao", FieldType::Real),
            ],
        )
    }

    fn round_trip(style: &LayerStyle, geometry: GeometryType) -> LayerStyle {
        let qml = to_qml(style, geometry);
        from_qml(&qml, &schema(geometry), LayerStyle::single([1, 2, 3, 255])).unwrap()
    }

    #[test]
    fn categories_classes_and_symbols_survive_a_round_trip() {
        let mut landuse = LayerStyle::single([0, 0, 0, 255]);
        landuse.symbology = Symbology::Categorized {
            field: "ma_loai_dat".into(),
            categories: vec![
                ("LUC".into(), [255, 252, 140, 255]),
                ("ODT".into(), [255, 160, 255, 255]),
            ],
            other: [200, 200, 200, 255],
        };
        landuse.opacity = 0.7;
        landuse.label_field = Some("ma_loai_dat".into());
        assert_eq!(round_trip(&landuse, GeometryType::Polygon), landuse);

        let mut towers = LayerStyle::single([0, 0, 0, 255]);
        towers.symbology = Symbology::Graduated {
            field: "chieu_cao".into(),
            breaks: vec![30.0, 45.5],
            colors: vec![[1, 1, 1, 255], [2, 2, 2, 255], [3, 3, 3, 255]],
            other: [200, 200, 200, 255],
        };
        towers.point_shape = Shape::BtsTower;
        towers.declutter = false;
        towers.point_size_px = 20.0;
        assert_eq!(round_trip(&towers, GeometryType::Point), towers);

        // District boundaries over other layers: unfilled, one outline.
        let mut outlines = LayerStyle::single([245, 242, 232, 255]);
        outlines.fill = false;
        outlines.outline = Some([120, 60, 120, 255]);
        outlines.outline_width_px = 1.6;
        assert_eq!(round_trip(&outlines, GeometryType::Polygon), outlines);
        // Unfilled, each class outlined in its own colour.
        let mut own_outlines = landuse.clone();
        own_outlines.fill = false;
        own_outlines.outline = None;
        assert_eq!(
            round_trip(&own_outlines, GeometryType::Polygon),
            own_outlines
        );
    }

    #[test]
    fn labels_are_placed_by_geometry_as_qgis_names_it() {
        let mut s = LayerStyle::single([0; 4]);
        s.label_field = Some("ma_loai_dat".into());
        let placement = |g| {
            let qml = to_qml(&s, g);
            let key = "<placement placement=\"";
            let at = qml.find(key).unwrap() + key.len();
            qml[at..at + 1].to_string()
        };
        assert_eq!(placement(GeometryType::Point), "0", "around the point");
        assert_eq!(placement(GeometryType::LineString), "4", "horizontal");
        assert_eq!(placement(GeometryType::Polygon), "1", "over the centroid");
    }

    #[test]
    fn reads_a_style_as_qgis_3_28_writes_it() {
        // Options only, millimetres, an "all other values" category left out.
        let qml = r#"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.28.4-Firenze" styleCategories="AllStyleCategories">
  <renderer-v2 type="categorizedSymbol" attr="ma_loai_dat" forceraster="0">
    <categories>
      <category render="true" value="LUC" symbol="0" label="Lúa" type="string"/>
      <category render="false" value="ODT" symbol="1" label="Ở đô thị" type="string"/>
    </categories>
    <symbols>
      <symbol type="fill" name="0" alpha="0.5" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" pass="0" locked="0">
          <Option type="Map">
            <Option name="color" value="255,252,140,255,rgb:1,0.98,0.55,1" type="QString"/>
            <Option name="outline_color" value="35,35,35,255" type="QString"/>
            <Option name="outline_style" value="solid" type="QString"/>
            <Option name="outline_width" value="0.26" type="QString"/>
            <Option name="outline_width_unit" value="MM" type="QString"/>
            <Option name="style" value="solid" type="QString"/>
          </Option>
        </layer>
      </symbol>
      <symbol type="fill" name="1" alpha="1"><layer class="SimpleFill"><Option type="Map">
        <Option name="color" value="255,160,255,255" type="QString"/></Option></layer></symbol>
    </symbols>
  </renderer-v2>
  <layerOpacity>0.9</layerOpacity>
</qgis>"#;
        let style = from_qml(
            qml,
            &schema(GeometryType::Polygon),
            LayerStyle::single([9, 9, 9, 255]),
        )
        .unwrap();
        assert_eq!(
            style.symbology,
            Symbology::Categorized {
                field: "ma_loai_dat".into(),
                categories: vec![("LUC".into(), [255, 252, 140, 128])],
                other: [0, 0, 0, 0],
            }
        );
        assert_eq!(style.outline, Some([35, 35, 35, 255]));
        assert!((style.outline_width_px - 0.26 * PX_PER_MM).abs() < 1e-4);
        assert_eq!(style.opacity, 0.9);
    }

    #[test]
    fn refuses_what_it_cannot_draw_and_names_it() {
        let rules = "<qgis><renderer-v2 type=\"RuleRenderer\"/></qgis>";
        let e = from_qml(
            rules,
            &schema(GeometryType::Point),
            LayerStyle::single([0; 4]),
        );
        assert!(e.unwrap_err().contains("RuleRenderer"));
        let mut s = LayerStyle::single([0; 4]);
        s.symbology = Symbology::Categorized {
            field: "khong_co".into(),
            categories: vec![],
            other: [0; 4],
        };
        let qml = to_qml(&s, GeometryType::Point);
        let e = from_qml(
            &qml,
            &schema(GeometryType::Point),
            LayerStyle::single([0; 4]),
        );
        assert!(e.unwrap_err().contains("khong_co"));
    }
}
