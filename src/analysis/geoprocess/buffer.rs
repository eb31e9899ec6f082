//! Buffer (QGIS native:buffer): every feature grown by a distance, with
//! round joins and caps drawn as GEOS draws them (the same number of
//! segments per quarter circle gives the same polygon, so areas agree with
//! QGIS and ogr to rounding).
//!
//! The buffer is built as the union of the feature itself, a rectangle on
//! the outer side of each edge and a fan at each outward corner and line
//! end, each fan split into round(angle / (90° / segments)) equal steps as
//! GEOS's fillets are. geo's own `Buffer` spaces its arcs differently (its
//! areas differ from GEOS's by about 0.1 %), so it is used only to shrink
//! polygons (a negative distance).

use std::f64::consts::{FRAC_PI_2, PI};

use geo::Buffer;
use geo::algorithm::buffer::{BufferStyle, LineJoin};
use geo::orient::{Direction, Orient};
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Polygon};

use super::{Output, dissolve::union_all, input, parallel, polygon_feature, polygonal};
use crate::analysis::{AnalysisError, Result};
use crate::gpkg::GeoPackage;
use crate::jobs::Progress;
use crate::model::GeometryType;

pub(super) fn run(
    gpkg: &GeoPackage,
    layer: &str,
    distance: f64,
    segments: u32,
    dissolve: bool,
    progress: &Progress,
) -> Result<Output> {
    let bad = |detail: String| AnalysisError::Layer {
        layer: layer.to_string(),
        detail,
    };
    if !distance.is_finite() {
        return Err(bad(format!("buffer distance {distance} is not a number")));
    }
    if segments == 0 {
        return Err(bad(
            "a buffer needs at least 1 segment per quarter circle".into()
        ));
    }
    let info = gpkg.layer(layer)?;
    if info.crs.is_geographic() {
        return Err(bad(format!(
            "in a geographic CRS ({}): a distance in degrees means nothing; reproject the layer to VN-2000 first",
            info.crs.label()
        )));
    }
    let n = gpkg.count_features(layer, None)?;
    progress.set_total(2 * n + u64::from(dissolve) * n);
    let a = input::read(gpkg, layer, None, false, progress)?;
    let buffers = parallel::map(&a.items, progress, true, |item| {
        Ok(polygonal(buffer_geometry(
            &item.geometry,
            distance,
            segments,
        )))
    })?;
    let features = if dissolve {
        let parts: Vec<MultiPolygon<f64>> = buffers.into_iter().flatten().collect();
        let merged = union_all(parts, progress)?;
        progress.advance(n);
        polygonal(merged)
            .map(|mp| polygon_feature(mp, vec![]))
            .into_iter()
            .collect()
    } else {
        buffers
            .into_iter()
            .zip(&a.items)
            .filter_map(|(b, item)| b.map(|mp| polygon_feature(mp, item.values.clone())))
            .collect()
    };
    Ok(Output {
        geometry_type: GeometryType::MultiPolygon,
        srs_id: a.info.schema.srs_id,
        fields: if dissolve {
            vec![]
        } else {
            a.info.schema.fields.clone()
        },
        features,
        repaired: a.repaired,
        reprojected: false,
    })
}

/// The buffer of one geometry: round joins and caps, `segments` segments
/// per quarter circle. A negative distance shrinks polygons (and leaves
/// nothing of points and lines).
pub fn buffer_geometry(g: &Geometry<f64>, distance: f64, segments: u32) -> MultiPolygon<f64> {
    let quantum = FRAC_PI_2 / f64::from(segments.max(1));
    if distance < 0.0 {
        let style = BufferStyle::new(distance).line_join(LineJoin::Round(quantum));
        return match g {
            Geometry::Polygon(_) | Geometry::MultiPolygon(_) => g.buffer_with_style(style),
            _ => MultiPolygon(vec![]),
        };
    }
    let mut pieces = Pieces {
        d: distance,
        quantum,
        out: Vec::new(),
    };
    pieces.add(g);
    if distance == 0.0 {
        pieces.out.retain(|p| p.exterior().0.len() > 3);
    }
    let oriented: Vec<Polygon<f64>> = pieces
        .out
        .into_iter()
        .map(|p| p.orient(Direction::Default))
        .collect();
    geo::unary_union(&oriented)
}

/// The polygons whose union is a buffer.
struct Pieces {
    d: f64,
    quantum: f64,
    out: Vec<Polygon<f64>>,
}

impl Pieces {
    fn add(&mut self, g: &Geometry<f64>) {
        match g {
            Geometry::Point(p) => self.point(p.0),
            Geometry::MultiPoint(mp) => mp.0.iter().for_each(|p| self.point(p.0)),
            Geometry::Line(l) => self.line(&[l.start, l.end]),
            Geometry::LineString(ls) => self.line(&distinct(&ls.0)),
            Geometry::MultiLineString(ml) => ml.0.iter().for_each(|ls| self.line(&distinct(&ls.0))),
            Geometry::Polygon(p) => self.polygon(p),
            Geometry::MultiPolygon(mp) => mp.0.iter().for_each(|p| self.polygon(p)),
            Geometry::Rect(r) => self.polygon(&r.to_polygon()),
            Geometry::Triangle(t) => self.polygon(&t.to_polygon()),
            Geometry::GeometryCollection(gc) => gc.0.iter().for_each(|g| self.add(g)),
        }
    }

    /// A circle of 4 × segments sides, as GEOS draws a point's buffer.
    fn point(&mut self, c: Coord<f64>) {
        if self.d > 0.0 {
            let n = (2.0 * PI / self.quantum).round() as usize;
            let ring: Vec<Coord<f64>> = (0..=n)
                .map(|i| self.at(c, 2.0 * PI * (i % n) as f64 / n as f64))
                .collect();
            self.out.push(Polygon::new(LineString(ring), vec![]));
        }
    }

    fn line(&mut self, pts: &[Coord<f64>]) {
        match pts.len() {
            0 => return,
            1 => return self.point(pts[0]),
            _ => {}
        }
        for w in pts.windows(2) {
            let n = self.normal(w[0], w[1]);
            self.quad([w[0] + n, w[1] + n, w[1] - n, w[0] - n]);
        }
        for w in pts.windows(3) {
            let (a0, turn) = turn(w[0], w[1], w[2]);
            if turn > 0.0 {
                self.fan(w[1], a0 - FRAC_PI_2, turn);
            } else if turn < 0.0 {
                self.fan(w[1], a0 + FRAC_PI_2, turn);
            }
        }
        let first = heading(pts[0], pts[1]);
        self.fan(pts[0], first + FRAC_PI_2, PI);
        let k = pts.len() - 1;
        let last = heading(pts[k - 1], pts[k]);
        self.fan(pts[k], last - FRAC_PI_2, PI);
    }

    /// The polygon, a rectangle outside each edge, a fan at each outward
    /// corner. Rings are oriented so that outside is always on the right.
    fn polygon(&mut self, polygon: &Polygon<f64>) {
        let polygon = polygon.orient(Direction::Default);
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            let mut pts = distinct(&ring.0);
            if pts.len() > 1 && pts[0] == pts[pts.len() - 1] {
                pts.pop();
            }
            let n = pts.len();
            if n < 3 {
                continue;
            }
            for k in 0..n {
                let (a, b, c) = (pts[k], pts[(k + 1) % n], pts[(k + 2) % n]);
                let normal = self.normal(a, b);
                self.quad([a, a + normal, b + normal, b]);
                let (a0, turn) = turn(a, b, c);
                if turn > 0.0 {
                    self.fan(b, a0 - FRAC_PI_2, turn);
                }
            }
        }
        self.out.push(polygon);
    }

    fn quad(&mut self, q: [Coord<f64>; 4]) {
        self.out.push(Polygon::new(
            LineString(vec![q[0], q[1], q[2], q[3], q[0]]),
            vec![],
        ));
    }

    /// The sector at `c` from angle `start` over `sweep` (signed), in
    /// round(|sweep| / quantum) equal steps (at least one), GEOS's fillet.
    fn fan(&mut self, c: Coord<f64>, start: f64, sweep: f64) {
        let steps = ((sweep.abs() / self.quantum + 0.5) as usize).max(1);
        let mut ring = Vec::with_capacity(steps + 3);
        ring.push(c);
        for i in 0..=steps {
            ring.push(self.at(c, start + sweep * i as f64 / steps as f64));
        }
        ring.push(c);
        self.out.push(Polygon::new(LineString(ring), vec![]));
    }

    fn at(&self, c: Coord<f64>, angle: f64) -> Coord<f64> {
        Coord {
            x: c.x + self.d * angle.cos(),
            y: c.y + self.d * angle.sin(),
        }
    }

    /// The edge a→b's right-hand normal, `d` long.
    fn normal(&self, a: Coord<f64>, b: Coord<f64>) -> Coord<f64> {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len = dx.hypot(dy);
        Coord {
            x: dy / len * self.d,
            y: -dx / len * self.d,
        }
    }
}

fn heading(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (b.y - a.y).atan2(b.x - a.x)
}

/// The heading of a→b and the signed turn at b towards c (left positive).
fn turn(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> (f64, f64) {
    let (d0, d1) = (b - a, c - b);
    let cross = d0.x * d1.y - d0.y * d1.x;
    let dot = d0.x * d1.x + d0.y * d1.y;
    (heading(a, b), cross.atan2(dot))
}

/// The coordinates without repeated consecutive points.
fn distinct(coords: &[Coord<f64>]) -> Vec<Coord<f64>> {
    let mut out: Vec<Coord<f64>> = Vec::with_capacity(coords.len());
    for &c in coords {
        if out.last() != Some(&c) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;

    fn square(s: f64) -> Geometry<f64> {
        Geometry::Polygon(Polygon::new(
            LineString::from(vec![(0.0, 0.0), (s, 0.0), (s, s), (0.0, s), (0.0, 0.0)]),
            vec![],
        ))
    }

    /// A square's buffer: the square, four edge strips and four corner
    /// fans of `segments` steps each (a regular 4·segments-gon in all).
    #[test]
    fn a_square_buffer_has_the_exact_area() {
        for segments in [1, 5, 8] {
            let n = 4.0 * f64::from(segments);
            let polygon_area = 0.5 * n * 25.0 * (2.0 * PI / n).sin();
            let expected = 100.0 + 4.0 * 10.0 * 5.0 + polygon_area;
            let got = buffer_geometry(&square(10.0), 5.0, segments).unsigned_area();
            assert!(
                (got - expected).abs() < 1e-6 * expected,
                "{segments}: {got} vs {expected}"
            );
        }
    }

    #[test]
    fn a_line_buffer_is_a_rectangle_and_two_half_circles() {
        let line = Geometry::LineString(LineString::from(vec![(0.0, 0.0), (100.0, 0.0)]));
        let n = 4.0 * 8.0;
        let expected = 100.0 * 20.0 + 0.5 * n * 100.0 * (2.0 * PI / n).sin();
        let got = buffer_geometry(&line, 10.0, 8).unsigned_area();
        assert!(
            (got - expected).abs() < 1e-6 * expected,
            "{got} vs {expected}"
        );
    }

    #[test]
    fn holes_shrink_and_concave_corners_need_no_fan() {
        let mut p = match square(100.0) {
            Geometry::Polygon(p) => p,
            _ => unreachable!(),
        };
        p.interiors_push(LineString::from(vec![
            (40.0, 40.0),
            (60.0, 40.0),
            (60.0, 60.0),
            (40.0, 60.0),
            (40.0, 40.0),
        ]));
        let b = buffer_geometry(&Geometry::Polygon(p), 5.0, 8);
        assert_eq!(b.0.len(), 1);
        assert_eq!(b.0[0].interiors().len(), 1);
        // The 20 × 20 hole shrinks to 10 × 10 with square (inner) corners.
        let hole = Polygon::new(b.0[0].interiors()[0].clone(), vec![]);
        assert!((hole.unsigned_area() - 100.0).abs() < 1e-6);
    }
}
