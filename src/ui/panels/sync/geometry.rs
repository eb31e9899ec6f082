//! The three versions of a conflicting feature's geometry (base, mine,
//! theirs) drawn over each other in a small painter, fitted to them all,
//! so a move on both sides shows as two shapes apart from the base.

use egui::{Color32, Pos2, Stroke};
use geo_types::{Coord, Geometry};
use serde_json::Value;

use crate::sync::geojson::from_geojson;

pub const BASE: Color32 = Color32::from_gray(140);
pub const MINE: Color32 = Color32::from_rgb(30, 100, 220);
pub const THEIRS: Color32 = Color32::from_rgb(210, 50, 40);

/// A geometry as points and paths (rings closed, as stored).
#[derive(Default)]
struct Parts {
    points: Vec<Coord<f64>>,
    paths: Vec<Vec<Coord<f64>>>,
}

fn parts(g: &Geometry<f64>, out: &mut Parts) {
    match g {
        Geometry::Point(p) => out.points.push(p.0),
        Geometry::MultiPoint(m) => out.points.extend(m.0.iter().map(|p| p.0)),
        Geometry::Line(l) => out.paths.push(vec![l.start, l.end]),
        Geometry::LineString(l) => out.paths.push(l.0.clone()),
        Geometry::MultiLineString(m) => out.paths.extend(m.0.iter().map(|l| l.0.clone())),
        Geometry::Polygon(p) => {
            out.paths.push(p.exterior().0.clone());
            out.paths.extend(p.interiors().iter().map(|r| r.0.clone()));
        }
        Geometry::MultiPolygon(m) => {
            for p in &m.0 {
                parts(&Geometry::Polygon(p.clone()), out);
            }
        }
        Geometry::GeometryCollection(c) => c.0.iter().for_each(|g| parts(g, out)),
        Geometry::Rect(r) => parts(&Geometry::Polygon(r.to_polygon()), out),
        Geometry::Triangle(t) => parts(&Geometry::Polygon(t.to_polygon()), out),
    }
}

fn decode(value: Option<&Value>) -> Option<Parts> {
    let g = from_geojson(value?).ok()??;
    let mut p = Parts::default();
    parts(&g, &mut p);
    Some(p)
}

/// A geometry's value in a cell: a point's coordinates, else its type
/// and vertex count.
pub fn describe(value: &Value) -> String {
    match from_geojson(value) {
        Ok(None) => "—".into(),
        Err(e) => e,
        Ok(Some(Geometry::Point(p))) => format!("POINT ({} {})", p.x(), p.y()),
        Ok(Some(g)) => {
            let mut p = Parts::default();
            parts(&g, &mut p);
            let n = p.points.len() + p.paths.iter().map(Vec::len).sum::<usize>();
            let kind = value.get("type").and_then(Value::as_str).unwrap_or("?");
            format!("{kind} ({n})")
        }
    }
}

/// Draws base, mine and theirs (each may be missing: deleted, or no
/// geometry) in a box of `size` points.
pub fn draw(ui: &mut egui::Ui, size: egui::Vec2, versions: [(Option<&Value>, Color32); 3]) {
    let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
    let decoded: Vec<(Parts, Color32)> = versions
        .iter()
        .filter_map(|(v, c)| decode(*v).map(|p| (p, *c)))
        .collect();
    let all = decoded
        .iter()
        .flat_map(|(p, _)| p.points.iter().chain(p.paths.iter().flatten()));
    let (mut min, mut max) = (
        Coord {
            x: f64::INFINITY,
            y: f64::INFINITY,
        },
        Coord {
            x: f64::NEG_INFINITY,
            y: f64::NEG_INFINITY,
        },
    );
    for c in all {
        min = Coord {
            x: min.x.min(c.x),
            y: min.y.min(c.y),
        };
        max = Coord {
            x: max.x.max(c.x),
            y: max.y.max(c.y),
        };
    }
    if !min.x.is_finite() {
        return;
    }
    // Points alone (or one point) still get a box around them.
    let span = (max.x - min.x).max(max.y - min.y).max(1.0);
    let inner = rect.shrink(12.0);
    let scale = (inner.width().min(inner.height()) as f64) / span;
    let centre = Coord {
        x: (min.x + max.x) / 2.0,
        y: (min.y + max.y) / 2.0,
    };
    let screen = |c: &Coord<f64>| {
        Pos2::new(
            inner.center().x + ((c.x - centre.x) * scale) as f32,
            inner.center().y - ((c.y - centre.y) * scale) as f32,
        )
    };
    // Each drawn thinner than the one before: versions that coincide
    // (the usual case for the side that did not move it) all show.
    for (k, (p, colour)) in decoded.iter().enumerate() {
        let width = 6.0 - 2.0 * k as f32;
        let stroke = Stroke::new(width.max(1.5), *colour);
        for path in &p.paths {
            let points: Vec<Pos2> = path.iter().map(screen).collect();
            painter.add(egui::Shape::line(points, stroke));
        }
        for c in &p.points {
            painter.circle_filled(screen(c), 10.0 - 3.0 * k as f32, *colour);
        }
    }
}
