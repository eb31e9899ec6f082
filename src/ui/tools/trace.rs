//! Tracing, as QGIS's digitizing does it (the T key): with tracing on, a
//! click on the boundary of a feature after a sketch vertex on the same
//! boundary adds the boundary's vertices between the two, the shorter way
//! round a ring. The boundaries come from what is loaded — the snapping
//! index of the chosen layers, in map coordinates — never from the store,
//! so tracing costs an R-tree query and a walk along one ring per click.

use std::sync::{Arc, RwLock};

use geo_types::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Polygon, Rect};

use crate::edit::geometry::trace::trace;
use crate::edit::snap::SnapIndex;

/// The screen points a traced end may lie off a boundary (snapped ends lie
/// on it; this absorbs rounding).
pub const TRACE_TOLERANCE_PX: f64 = 1.0;

/// What tracing follows: the snapping index and the layers snapping is on
/// for. Cheap to clone (the index is shared).
#[derive(Clone)]
pub struct Tracer {
    pub index: Arc<RwLock<SnapIndex>>,
    pub layers: Vec<String>,
}

impl Tracer {
    /// The vertices to add after `from` so the sketch reaches `to` along
    /// the boundary both lie on (`to` last), or None when no indexed
    /// boundary passes within `tolerance` of both, or the index is busy
    /// with an edit's update (then the click is taken as it is).
    pub fn path(&self, from: [f64; 2], to: [f64; 2], tolerance: f64) -> Option<Vec<[f64; 2]>> {
        let index = self.index.try_read().ok()?;
        let (a, b) = (
            Coord {
                x: from[0],
                y: from[1],
            },
            Coord { x: to[0], y: to[1] },
        );
        let around = |c: Coord<f64>| {
            Rect::new(
                (c.x - tolerance, c.y - tolerance),
                (c.x + tolerance, c.y + tolerance),
            )
        };
        let mut best: Option<(f64, LineString<f64>)> = None;
        for name in &self.layers {
            let Some(layer) = index.layer(name) else {
                continue;
            };
            for fid in layer.fids_in(around(a)) {
                let meets_b = layer.envelope(fid).is_some_and(|e| {
                    let r = around(b);
                    e.min().x <= r.max().x
                        && r.min().x <= e.max().x
                        && e.min().y <= r.max().y
                        && r.min().y <= e.max().y
                });
                let Some(g) = meets_b.then(|| boundary(layer.rings(fid)?)).flatten() else {
                    continue;
                };
                let Ok(line) = trace(&g, a, b, tolerance) else {
                    continue;
                };
                let length: f64 = line
                    .lines()
                    .map(|l| (l.end - l.start).x.hypot((l.end - l.start).y))
                    .sum();
                if best.as_ref().is_none_or(|(l, _)| length < *l) {
                    best = Some((length, line));
                }
            }
        }
        let (_, line) = best?;
        Some(line.0.iter().skip(1).map(|c| [c.x, c.y]).collect())
    }
}

/// The indexed rings of a feature as a geometry `trace` walks: each ring
/// a polygon of its own (holes are traced like outer rings), or the lines.
fn boundary((rings, closed): (Vec<&[Coord<f64>]>, bool)) -> Option<Geometry<f64>> {
    let lines = rings
        .into_iter()
        .filter(|r| r.len() >= 2)
        .map(|r| LineString(r.to_vec()));
    if closed {
        let polygons: Vec<Polygon<f64>> = lines
            .filter(|l| l.0.len() >= 3)
            .map(|mut l| {
                l.close();
                Polygon::new(l, vec![])
            })
            .collect();
        (!polygons.is_empty()).then_some(Geometry::MultiPolygon(MultiPolygon(polygons)))
    } else {
        let lines: Vec<LineString<f64>> = lines.collect();
        (!lines.is_empty()).then_some(Geometry::MultiLineString(MultiLineString(lines)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::snap::SnapLayer;
    use geo_types::polygon;

    fn tracer() -> Tracer {
        let square = Geometry::Polygon(
            polygon![(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.), (x: 0., y: 0.)],
        );
        let far = Geometry::Polygon(
            polygon![(x: 50., y: 0.), (x: 60., y: 0.), (x: 60., y: 10.), (x: 50., y: 0.)],
        );
        let line = Geometry::LineString(LineString::from(vec![(0., 20.), (5., 25.), (10., 20.)]));
        let mut index = SnapIndex::default();
        index.set_layer("parcels", SnapLayer::build([(1, &square), (2, &far)]));
        index.set_layer("roads", SnapLayer::build([(7, &line)]));
        Tracer {
            index: Arc::new(RwLock::new(index)),
            layers: vec!["parcels".into(), "roads".into()],
        }
    }

    #[test]
    fn two_points_on_a_ring_give_the_corners_between_the_shorter_way() {
        let t = tracer();
        assert_eq!(
            t.path([5., 0.], [10., 5.], 0.01),
            Some(vec![[10., 0.], [10., 5.]])
        );
        assert_eq!(
            t.path([0., 5.], [10., 5.], 0.01).map(|p| p.len()),
            Some(3),
            "half way round: two corners and the end"
        );
        assert_eq!(t.path([2., 20.], [8., 20.], 0.1), None, "not on the road");
        assert_eq!(
            t.path([2.5, 22.5], [7.5, 22.5], 0.01),
            Some(vec![[5., 25.], [7.5, 22.5]])
        );
    }

    #[test]
    fn points_on_different_features_or_layers_not_followed_are_not_traced() {
        let t = tracer();
        assert_eq!(t.path([5., 0.], [55., 0.], 0.01), None);
        let only_roads = Tracer {
            layers: vec!["roads".into()],
            ..t
        };
        assert_eq!(only_roads.path([5., 0.], [10., 5.], 0.01), None);
    }
}
