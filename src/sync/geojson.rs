//! GeoJSON geometry objects to and from geo-types, in whatever CRS the
//! coordinates are in (the sync always names it in the request).

use geo_types::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};
use serde_json::{Value, json};

pub fn to_geojson(geometry: &Geometry<f64>) -> Value {
    let coord = |c: &Coord<f64>| json!([c.x, c.y]);
    let line = |l: &LineString<f64>| Value::Array(l.0.iter().map(coord).collect());
    let polygon = |p: &Polygon<f64>| {
        let mut rings = vec![line(p.exterior())];
        rings.extend(p.interiors().iter().map(line));
        Value::Array(rings)
    };
    match geometry {
        Geometry::Point(p) => json!({"type": "Point", "coordinates": coord(&p.0)}),
        Geometry::MultiPoint(m) => json!({"type": "MultiPoint",
            "coordinates": m.0.iter().map(|p| coord(&p.0)).collect::<Vec<_>>()}),
        Geometry::LineString(l) => json!({"type": "LineString", "coordinates": line(l)}),
        Geometry::MultiLineString(m) => json!({"type": "MultiLineString",
            "coordinates": m.0.iter().map(line).collect::<Vec<_>>()}),
        Geometry::Polygon(p) => json!({"type": "Polygon", "coordinates": polygon(p)}),
        Geometry::MultiPolygon(m) => json!({"type": "MultiPolygon",
            "coordinates": m.0.iter().map(polygon).collect::<Vec<_>>()}),
        Geometry::GeometryCollection(c) => json!({"type": "GeometryCollection",
            "geometries": c.0.iter().map(to_geojson).collect::<Vec<_>>()}),
        Geometry::Line(l) => to_geojson(&Geometry::LineString(LineString(vec![l.start, l.end]))),
        Geometry::Rect(r) => to_geojson(&Geometry::Polygon(r.to_polygon())),
        Geometry::Triangle(t) => to_geojson(&Geometry::Polygon(t.to_polygon())),
    }
}

/// A GeoJSON geometry object; `None` for JSON null. The error says what is
/// wrong with it.
pub fn from_geojson(value: &Value) -> Result<Option<Geometry<f64>>, String> {
    if value.is_null() {
        return Ok(None);
    }
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .ok_or("a geometry without a \"type\"")?;
    if kind == "GeometryCollection" {
        let parts = value
            .get("geometries")
            .and_then(Value::as_array)
            .ok_or("a GeometryCollection without \"geometries\"")?;
        let mut out = Vec::new();
        for part in parts {
            out.extend(from_geojson(part)?);
        }
        return Ok(Some(Geometry::GeometryCollection(GeometryCollection(out))));
    }
    let c = value
        .get("coordinates")
        .ok_or_else(|| format!("a {kind} without \"coordinates\""))?;
    Ok(Some(match kind {
        "Point" => Geometry::Point(Point(coord(c)?)),
        "MultiPoint" => Geometry::MultiPoint(MultiPoint(
            array(c)?
                .iter()
                .map(|p| coord(p).map(Point))
                .collect::<Result<_, _>>()?,
        )),
        "LineString" => Geometry::LineString(line(c)?),
        "MultiLineString" => Geometry::MultiLineString(MultiLineString(
            array(c)?.iter().map(line).collect::<Result<_, _>>()?,
        )),
        "Polygon" => Geometry::Polygon(polygon(c)?),
        "MultiPolygon" => Geometry::MultiPolygon(MultiPolygon(
            array(c)?.iter().map(polygon).collect::<Result<_, _>>()?,
        )),
        other => return Err(format!("an unknown geometry type \"{other}\"")),
    }))
}

fn array(value: &Value) -> Result<&Vec<Value>, String> {
    value
        .as_array()
        .ok_or_else(|| format!("coordinates that are not an array: {}", short(value)))
}

fn coord(value: &Value) -> Result<Coord<f64>, String> {
    let xy = array(value)?;
    match (
        xy.first().and_then(Value::as_f64),
        xy.get(1).and_then(Value::as_f64),
    ) {
        (Some(x), Some(y)) if x.is_finite() && y.is_finite() => Ok(Coord { x, y }),
        _ => Err(format!(
            "a position that is not two numbers: {}",
            short(value)
        )),
    }
}

fn line(value: &Value) -> Result<LineString<f64>, String> {
    Ok(LineString(
        array(value)?.iter().map(coord).collect::<Result<_, _>>()?,
    ))
}

fn polygon(value: &Value) -> Result<Polygon<f64>, String> {
    let mut rings = array(value)?
        .iter()
        .map(line)
        .collect::<Result<Vec<_>, _>>()?;
    if rings.is_empty() {
        return Ok(Polygon::new(LineString(Vec::new()), Vec::new()));
    }
    let exterior = rings.remove(0);
    Ok(Polygon::new(exterior, rings))
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polygons_with_holes_and_multis_round_trip() {
        let text = r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[10,0],[10,10],[0,0]],[[1,1],[2,1],[2,2],[1,1]]],[[[20,20],[30,20],[30,30],[20,20]]]]}"#;
        let value: Value = serde_json::from_str(text).unwrap();
        let geometry = from_geojson(&value).unwrap().unwrap();
        let again = from_geojson(&to_geojson(&geometry)).unwrap().unwrap();
        assert_eq!(again, geometry);
        assert!(matches!(geometry, Geometry::MultiPolygon(ref m) if m.0[0].interiors().len() == 1));
    }

    #[test]
    fn a_broken_position_is_named() {
        let value = serde_json::json!({"type": "Point", "coordinates": ["a", 1]});
        let err = from_geojson(&value).unwrap_err();
        assert!(err.contains("not two numbers"), "{err}");
    }
}
