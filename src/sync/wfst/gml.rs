//! GML 3.1.1 geometries, as WFS 1.1.0 reads and writes them: written with
//! `srsName="EPSG:n"` (x,y order for every CRS: easting,northing, or
//! lon,lat for EPSG:4326, as QGIS Server and GeoServer take that form) and
//! read in either GML 3 (`pos`, `posList`, `exterior`, `surfaceMember`)
//! or GML 2 (`coordinates`, `outerBoundaryIs`) spelling.

use std::fmt::Write;

use geo_types::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};
use roxmltree::Node;

pub const GML: &str = "http://www.opengis.net/gml";

/// `geometry` as a GML element with the `gml:` prefix.
pub fn write(geometry: &Geometry<f64>, epsg: i32) -> String {
    let mut out = String::new();
    let srs = format!(" srsName=\"EPSG:{epsg}\"");
    element(&mut out, geometry, &srs);
    out
}

fn element(out: &mut String, geometry: &Geometry<f64>, srs: &str) {
    match geometry {
        Geometry::Point(p) => {
            let _ = write!(
                out,
                "<gml:Point{srs}><gml:pos>{} {}</gml:pos></gml:Point>",
                p.x(),
                p.y()
            );
        }
        Geometry::LineString(l) => {
            let _ = write!(out, "<gml:LineString{srs}>");
            pos_list(out, l);
            out.push_str("</gml:LineString>");
        }
        Geometry::Polygon(p) => polygon(out, p, srs),
        Geometry::MultiPoint(m) => {
            let _ = write!(out, "<gml:MultiPoint{srs}>");
            for p in &m.0 {
                out.push_str("<gml:pointMember>");
                element(out, &Geometry::Point(*p), "");
                out.push_str("</gml:pointMember>");
            }
            out.push_str("</gml:MultiPoint>");
        }
        Geometry::MultiLineString(m) => {
            let _ = write!(out, "<gml:MultiLineString{srs}>");
            for l in &m.0 {
                out.push_str("<gml:lineStringMember><gml:LineString>");
                pos_list(out, l);
                out.push_str("</gml:LineString></gml:lineStringMember>");
            }
            out.push_str("</gml:MultiLineString>");
        }
        Geometry::MultiPolygon(m) => {
            let _ = write!(out, "<gml:MultiPolygon{srs}>");
            for p in &m.0 {
                out.push_str("<gml:polygonMember>");
                polygon(out, p, "");
                out.push_str("</gml:polygonMember>");
            }
            out.push_str("</gml:MultiPolygon>");
        }
        Geometry::GeometryCollection(c) => {
            let _ = write!(out, "<gml:MultiGeometry{srs}>");
            for g in &c.0 {
                out.push_str("<gml:geometryMember>");
                element(out, g, "");
                out.push_str("</gml:geometryMember>");
            }
            out.push_str("</gml:MultiGeometry>");
        }
        Geometry::Line(l) => element(
            out,
            &Geometry::LineString(LineString(vec![l.start, l.end])),
            srs,
        ),
        Geometry::Rect(r) => polygon(out, &r.to_polygon(), srs),
        Geometry::Triangle(t) => polygon(out, &t.to_polygon(), srs),
    }
}

fn polygon(out: &mut String, p: &Polygon<f64>, srs: &str) {
    let _ = write!(out, "<gml:Polygon{srs}><gml:exterior><gml:LinearRing>");
    pos_list(out, p.exterior());
    out.push_str("</gml:LinearRing></gml:exterior>");
    for ring in p.interiors() {
        out.push_str("<gml:interior><gml:LinearRing>");
        pos_list(out, ring);
        out.push_str("</gml:LinearRing></gml:interior>");
    }
    out.push_str("</gml:Polygon>");
}

fn pos_list(out: &mut String, line: &LineString<f64>) {
    out.push_str("<gml:posList srsDimension=\"2\">");
    for (i, c) in line.0.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{} {}", c.x, c.y);
    }
    out.push_str("</gml:posList>");
}

/// The geometry of a GML element (`gml:Point`, `gml:Polygon`, …).
pub fn read(node: Node) -> Result<Geometry<f64>, String> {
    let name = node.tag_name().name();
    Ok(match name {
        "Point" => Geometry::Point(Point(one(node)?)),
        "LineString" | "LinearRing" => Geometry::LineString(line(node)?),
        "Polygon" | "Surface" => Geometry::Polygon(polygon_of(node)?),
        "MultiPoint" => Geometry::MultiPoint(MultiPoint(
            members(node)
                .map(|m| match read(m)? {
                    Geometry::Point(p) => Ok(p),
                    other => Err(format!("a MultiPoint member that is {}", kind(&other))),
                })
                .collect::<Result<_, String>>()?,
        )),
        "MultiLineString" | "MultiCurve" => Geometry::MultiLineString(MultiLineString(
            members(node)
                .map(|m| match read(m)? {
                    Geometry::LineString(l) => Ok(l),
                    other => Err(format!("a {name} member that is {}", kind(&other))),
                })
                .collect::<Result<_, String>>()?,
        )),
        "MultiPolygon" | "MultiSurface" => Geometry::MultiPolygon(MultiPolygon(
            members(node)
                .map(|m| match read(m)? {
                    Geometry::Polygon(p) => Ok(p),
                    other => Err(format!("a {name} member that is {}", kind(&other))),
                })
                .collect::<Result<_, String>>()?,
        )),
        "MultiGeometry" => Geometry::GeometryCollection(GeometryCollection(
            members(node).map(read).collect::<Result<_, String>>()?,
        )),
        other => return Err(format!("a GML geometry of type {other}, which is not read")),
    })
}

fn kind(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "a Point",
        Geometry::LineString(_) => "a LineString",
        Geometry::Polygon(_) => "a Polygon",
        _ => "another geometry",
    }
}

fn gml_children<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(|c| c.is_element() && c.tag_name().namespace() == Some(GML))
}

fn child<'a, 'i>(node: Node<'a, 'i>, names: &[&str]) -> Option<Node<'a, 'i>> {
    gml_children(node).find(|c| names.contains(&c.tag_name().name()))
}

/// The geometries inside a multi-geometry's `*Member` / `*Members`
/// elements.
fn members<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    gml_children(node)
        .filter(|m| m.tag_name().name().contains("Member"))
        .flat_map(gml_children)
}

fn polygon_of(node: Node) -> Result<Polygon<f64>, String> {
    // A gml:Surface holds its polygon inside patches/PolygonPatch.
    let node = match child(node, &["patches"]).and_then(|p| child(p, &["PolygonPatch"])) {
        Some(patch) => patch,
        None => node,
    };
    let ring = |boundary: Node| -> Result<LineString<f64>, String> {
        let ring =
            child(boundary, &["LinearRing"]).ok_or("a polygon boundary without a LinearRing")?;
        line(ring)
    };
    let exterior =
        child(node, &["exterior", "outerBoundaryIs"]).ok_or("a polygon without an exterior")?;
    let interiors = gml_children(node)
        .filter(|c| matches!(c.tag_name().name(), "interior" | "innerBoundaryIs"))
        .map(ring)
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Polygon::new(ring(exterior)?, interiors))
}

fn one(node: Node) -> Result<Coord<f64>, String> {
    let coords = coordinates(node)?;
    match coords.as_slice() {
        [c] => Ok(*c),
        _ => Err(format!("a Point with {} positions", coords.len())),
    }
}

fn line(node: Node) -> Result<LineString<f64>, String> {
    Ok(LineString(coordinates(node)?))
}

/// The positions of a geometry element: `posList`, a run of `pos`, or
/// GML 2's `coordinates` ("x,y x,y").
fn coordinates(node: Node) -> Result<Vec<Coord<f64>>, String> {
    if let Some(list) = child(node, &["posList"]) {
        let dimension = list
            .attribute("srsDimension")
            .or_else(|| node.attribute("srsDimension"))
            .map_or(Ok(2), |d| {
                d.parse::<usize>()
                    .map_err(|_| format!("srsDimension \"{d}\""))
            })?;
        return numbers(list.text().unwrap_or(""), dimension);
    }
    let positions: Vec<Node> = gml_children(node)
        .filter(|c| c.tag_name().name() == "pos")
        .collect();
    if !positions.is_empty() {
        let mut out = Vec::with_capacity(positions.len());
        for p in positions {
            let dimension = p
                .attribute("srsDimension")
                .and_then(|d| d.parse().ok())
                .unwrap_or(0);
            let text = p.text().unwrap_or("");
            let dimension = if dimension == 0 {
                text.split_whitespace().count()
            } else {
                dimension
            };
            out.extend(numbers(text, dimension.max(2))?);
        }
        return Ok(out);
    }
    if let Some(c) = child(node, &["coordinates"]) {
        let text = c.text().unwrap_or("");
        let (cs, ts) = (
            c.attribute("cs").unwrap_or(","),
            c.attribute("ts").unwrap_or(" "),
        );
        return text
            .split(|ch: char| ts.contains(ch) || ch.is_whitespace())
            .filter(|t| !t.is_empty())
            .map(|tuple| {
                let mut parts = tuple.split(cs);
                match (parts.next().map(number), parts.next().map(number)) {
                    (Some(Ok(x)), Some(Ok(y))) => Ok(Coord { x, y }),
                    _ => Err(format!("a coordinate tuple \"{tuple}\"")),
                }
            })
            .collect();
    }
    Err(format!("a {} without positions", node.tag_name().name()))
}

fn number(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .map_err(|_| format!("a coordinate \"{text}\""))
}

fn numbers(text: &str, dimension: usize) -> Result<Vec<Coord<f64>>, String> {
    if dimension < 2 {
        return Err(format!("positions of dimension {dimension}"));
    }
    let values = text
        .split_whitespace()
        .map(number)
        .collect::<Result<Vec<f64>, String>>()?;
    if values.len() % dimension != 0 {
        return Err(format!(
            "{} numbers do not make positions of dimension {dimension}",
            values.len()
        ));
    }
    // A third (and fourth) ordinate, z or m, is dropped: the layers are 2D.
    Ok(values
        .chunks(dimension)
        .map(|c| Coord { x: c[0], y: c[1] })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    fn round_trip(g: Geometry<f64>) {
        let text = write(&g, 9214);
        let doc = format!("<r xmlns:gml=\"{GML}\">{text}</r>");
        let doc = roxmltree::Document::parse(&doc).expect("well-formed GML");
        let node = doc.root_element().first_element_child().unwrap();
        assert_eq!(read(node).unwrap(), g, "{text}");
    }

    #[test]
    fn geometries_round_trip() {
        let square =
            polygon![(x: 0.0, y: 0.0), (x: 10.5, y: 0.0), (x: 10.5, y: 10.0), (x: 0.0, y: 0.0)];
        let holed = Polygon::new(
            square.exterior().clone(),
            vec![LineString::from(vec![
                (1.0, 1.0),
                (2.0, 1.0),
                (2.0, 2.0),
                (1.0, 1.0),
            ])],
        );
        round_trip(Geometry::Point(Point::new(562000.125, 1822000.5)));
        round_trip(Geometry::LineString(LineString::from(vec![
            (1.0, 2.0),
            (3.0, 4.0),
        ])));
        round_trip(Geometry::Polygon(holed.clone()));
        round_trip(Geometry::MultiPolygon(MultiPolygon(vec![square, holed])));
        round_trip(Geometry::MultiPoint(MultiPoint(vec![
            Point::new(1.0, 2.0),
            Point::new(3.0, 4.0),
        ])));
    }

    #[test]
    fn qgis_and_gml2_spellings_are_read() {
        // QGIS Server 3.22 declares the GML namespace on every element;
        // GML 2 writes comma-separated tuples.
        let doc = format!(
            "<r><Point xmlns=\"{GML}\" srsName=\"EPSG:9214\"><pos xmlns=\"{GML}\" srsDimension=\"2\">562000.5 1822000.25</pos></Point>\
             <gml:Polygon xmlns:gml=\"{GML}\"><gml:outerBoundaryIs><gml:LinearRing><gml:coordinates>0,0 1,0 1,1 0,0</gml:coordinates></gml:LinearRing></gml:outerBoundaryIs></gml:Polygon>\
             <gml:MultiSurface xmlns:gml=\"{GML}\"><gml:surfaceMember><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList srsDimension=\"3\">0 0 5 1 0 5 1 1 5 0 0 5</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember></gml:MultiSurface></r>"
        );
        let doc = roxmltree::Document::parse(&doc).unwrap();
        let mut nodes = doc.root_element().children().filter(Node::is_element);
        assert_eq!(
            read(nodes.next().unwrap()).unwrap(),
            Geometry::Point(Point::new(562000.5, 1822000.25))
        );
        let Geometry::Polygon(p) = read(nodes.next().unwrap()).unwrap() else {
            panic!()
        };
        assert_eq!(p.exterior().0.len(), 4);
        let Geometry::MultiPolygon(m) = read(nodes.next().unwrap()).unwrap() else {
            panic!()
        };
        assert_eq!(m.0[0].exterior().0[2], Coord { x: 1.0, y: 1.0 });
    }

    #[test]
    fn broken_positions_are_named() {
        let doc = format!("<gml:Point xmlns:gml=\"{GML}\"><gml:pos>1 x</gml:pos></gml:Point>");
        let doc = roxmltree::Document::parse(&doc).unwrap();
        assert!(read(doc.root_element()).unwrap_err().contains("\"x\""));
    }
}
