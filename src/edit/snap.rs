//! Snapping: the pointer is pulled to the nearest vertex, segment
//! intersection or segment of the chosen layers (and optionally of the
//! geometry being drawn) within a tolerance the caller converts from pixels
//! to map units.
//!
//! Fast on a province: one R-tree of feature envelopes per layer finds the
//! handful of features near the pointer; only their segments are measured.
//! A [`SnapLayer`] is plain data (`Send + Sync`): the window builds it off
//! the UI thread — for the visible area or the whole layer — and after an
//! edit replaces just the touched fids with [`SnapLayer::insert`] /
//! [`SnapLayer::remove`], without rebuilding.

use std::collections::HashMap;
use std::ops::ControlFlow;

use geo_types::{Coord, Geometry, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::geometry::{VertexId, dist, project_on_segment, segment_intersection};
use crate::gpkg::{GeoPackage, Query};

/// What the pointer snapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapKind {
    Vertex,
    Segment,
    Intersection,
}

/// A snapped point. `layer` and `fid` are None for the geometry being
/// drawn; `vertex` is the vertex snapped to, or the first vertex of the
/// segment snapped to (for an intersection, of the first of its two).
#[derive(Debug, Clone, PartialEq)]
pub struct SnapResult {
    pub point: Coord<f64>,
    pub kind: SnapKind,
    pub layer: Option<String>,
    pub fid: Option<i64>,
    pub vertex: Option<VertexId>,
    /// Distance from the pointer, in map units.
    pub distance: f64,
}

/// What to snap to.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapOptions {
    pub vertices: bool,
    pub segments: bool,
    pub intersections: bool,
    /// Layers to snap to, of those in the index; empty means all.
    pub layers: Vec<String>,
}

impl Default for SnapOptions {
    fn default() -> Self {
        SnapOptions {
            vertices: true,
            segments: true,
            intersections: true,
            layers: Vec::new(),
        }
    }
}

/// Snapping converts pixels to map units: the tolerance is `pixels` times
/// the map units one screen pixel covers.
pub fn tolerance_in_map_units(pixels: f64, map_units_per_pixel: f64) -> f64 {
    pixels * map_units_per_pixel
}

/// One feature's rings, compact: coordinates in one slice, each ring's end
/// with its part and ring number.
#[derive(Debug, Clone)]
struct Shape {
    envelope: [f64; 4],
    coords: Box<[Coord<f64>]>,
    /// (end index in `coords`, part, ring)
    rings: Box<[(u32, u32, u32)]>,
    closed: bool,
}

impl Shape {
    fn new(g: &Geometry<f64>) -> Option<Shape> {
        let mut coords = Vec::new();
        let mut rings = Vec::new();
        let mut push = |ring: &[Coord<f64>], part: usize, r: usize| {
            coords.extend_from_slice(ring);
            rings.push((coords.len() as u32, part as u32, r as u32));
        };
        let mut polygon = |p: &geo_types::Polygon<f64>, part: usize| {
            for (r, ring) in std::iter::once(p.exterior())
                .chain(p.interiors())
                .enumerate()
            {
                push(&super::geometry::open_ring(ring), part, r);
            }
        };
        let closed = matches!(g, Geometry::Polygon(_) | Geometry::MultiPolygon(_));
        match g {
            Geometry::Polygon(p) => polygon(p, 0),
            Geometry::MultiPolygon(m) => {
                for (i, p) in m.0.iter().enumerate() {
                    polygon(p, i);
                }
            }
            _ => {}
        }
        let mut push = |ring: &[Coord<f64>], part: usize, r: usize| {
            coords.extend_from_slice(ring);
            rings.push((coords.len() as u32, part as u32, r as u32));
        };
        match g {
            Geometry::Point(p) => push(&[p.0], 0, 0),
            Geometry::MultiPoint(m) => {
                for (i, p) in m.0.iter().enumerate() {
                    push(&[p.0], i, 0);
                }
            }
            Geometry::LineString(l) => push(&l.0, 0, 0),
            Geometry::MultiLineString(m) => {
                for (i, l) in m.0.iter().enumerate() {
                    push(&l.0, i, 0);
                }
            }
            Geometry::Polygon(_) | Geometry::MultiPolygon(_) => {}
            _ => return None,
        }
        if coords.is_empty() {
            return None;
        }
        let mut envelope = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for c in &coords {
            envelope = [
                envelope[0].min(c.x),
                envelope[1].min(c.y),
                envelope[2].max(c.x),
                envelope[3].max(c.y),
            ];
        }
        Some(Shape {
            envelope,
            coords: coords.into_boxed_slice(),
            rings: rings.into_boxed_slice(),
            closed,
        })
    }

    fn entry(&self, fid: i64) -> Entry {
        let e = self.envelope;
        GeomWithData::new(Rectangle::from_corners([e[0], e[1]], [e[2], e[3]]), fid)
    }

    /// Calls `visit(vertex id of start, start, end)` for every segment, and
    /// for a lone point (start == end).
    fn for_each_segment(&self, mut visit: impl FnMut(VertexId, Coord<f64>, Coord<f64>)) {
        let mut start = 0usize;
        for &(end, part, ring) in self.rings.iter() {
            let end = end as usize;
            let r = &self.coords[start..end];
            let id = |i: usize| VertexId::new(part as usize, ring as usize, i);
            match r.len() {
                0 => {}
                1 => visit(id(0), r[0], r[0]),
                n => {
                    for i in 0..n - 1 {
                        visit(id(i), r[i], r[i + 1]);
                    }
                    if self.closed {
                        visit(id(n - 1), r[n - 1], r[0]);
                    } else {
                        // A line's last vertex starts no segment: visit it alone.
                        visit(id(n - 1), r[n - 1], r[n - 1]);
                    }
                }
            }
            start = end;
        }
    }
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, i64>;

/// The snapping index of one layer.
#[derive(Debug, Default)]
pub struct SnapLayer {
    tree: RTree<Entry>,
    shapes: HashMap<i64, Shape>,
}

impl SnapLayer {
    /// Builds the index in one bulk load.
    pub fn build<'a>(features: impl IntoIterator<Item = (i64, &'a Geometry<f64>)>) -> SnapLayer {
        let mut shapes = HashMap::new();
        for (fid, g) in features {
            if let Some(s) = Shape::new(g) {
                shapes.insert(fid, s);
            }
        }
        let entries = shapes.iter().map(|(fid, s)| s.entry(*fid)).collect();
        SnapLayer {
            tree: RTree::bulk_load(entries),
            shapes,
        }
    }

    /// Reads a layer's features (those meeting `area`, or all) from the
    /// store and indexes them. Run it off the UI thread on big layers.
    pub fn load(
        gpkg: &GeoPackage,
        layer: &str,
        area: Option<Rect<f64>>,
    ) -> crate::gpkg::Result<SnapLayer> {
        let mut shapes = HashMap::new();
        let query = Query {
            bbox: area,
            ..Query::default()
        };
        gpkg.read_features(layer, &query, |f| {
            if let (Some(fid), Some(g)) = (f.fid, &f.geometry)
                && let Some(s) = Shape::new(g)
            {
                shapes.insert(fid, s);
            }
            ControlFlow::Continue(())
        })?;
        let entries = shapes.iter().map(|(fid, s)| s.entry(*fid)).collect();
        Ok(SnapLayer {
            tree: RTree::bulk_load(entries),
            shapes,
        })
    }

    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    /// A feature's envelope, if it is indexed.
    pub fn envelope(&self, fid: i64) -> Option<Rect<f64>> {
        let e = self.shapes.get(&fid)?.envelope;
        Some(Rect::new((e[0], e[1]), (e[2], e[3])))
    }

    /// The indexed fids, in no order.
    pub fn fids(&self) -> impl Iterator<Item = i64> + '_ {
        self.shapes.keys().copied()
    }

    /// The envelope of everything indexed.
    pub fn bounds(&self) -> Option<Rect<f64>> {
        if self.is_empty() {
            return None;
        }
        let e = self.tree.root().envelope();
        Some(Rect::new(
            (e.lower()[0], e.lower()[1]),
            (e.upper()[0], e.upper()[1]),
        ))
    }

    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }

    /// Adds a feature, or replaces it after an edit.
    pub fn insert(&mut self, fid: i64, g: &Geometry<f64>) {
        self.remove(fid);
        if let Some(s) = Shape::new(g) {
            self.tree.insert(s.entry(fid));
            self.shapes.insert(fid, s);
        }
    }

    /// Drops a deleted feature. Whether it was there.
    pub fn remove(&mut self, fid: i64) -> bool {
        match self.shapes.remove(&fid) {
            Some(old) => {
                self.tree.remove(&old.entry(fid));
                true
            }
            None => false,
        }
    }

    fn near(&self, b: &AABB<[f64; 2]>) -> impl Iterator<Item = (i64, &Shape)> {
        self.tree
            .locate_in_envelope_intersecting(b)
            .filter_map(|e| self.shapes.get(&e.data).map(|s| (e.data, s)))
    }
}

/// Snapping indexes of the layers snapping is on for, by name.
#[derive(Debug, Default)]
pub struct SnapIndex {
    layers: HashMap<String, SnapLayer>,
}

/// A segment near the pointer, kept for the intersection test.
struct Near {
    source: usize,
    fid: Option<i64>,
    vertex: VertexId,
    a: Coord<f64>,
    b: Coord<f64>,
}

/// At most this many segments near the pointer are tested pairwise for
/// intersections (a tolerance circle holds a handful on real data).
const MAX_INTERSECTION_SEGMENTS: usize = 256;

impl SnapIndex {
    pub fn set_layer(&mut self, name: &str, layer: SnapLayer) {
        self.layers.insert(name.to_string(), layer);
    }

    pub fn remove_layer(&mut self, name: &str) -> Option<SnapLayer> {
        self.layers.remove(name)
    }

    pub fn layer_mut(&mut self, name: &str) -> Option<&mut SnapLayer> {
        self.layers.get_mut(name)
    }

    pub fn layer(&self, name: &str) -> Option<&SnapLayer> {
        self.layers.get(name)
    }

    /// The snap for a pointer at `p`: the nearest vertex within
    /// `tolerance`, else the nearest intersection of two segments, else the
    /// nearest point of a segment; None when nothing is that near.
    /// `drawing` is the geometry being drawn (its fixed vertices), snapped
    /// to when given.
    pub fn snap(
        &self,
        p: Coord<f64>,
        tolerance: f64,
        options: &SnapOptions,
        drawing: Option<&[Coord<f64>]>,
    ) -> Option<SnapResult> {
        let b = AABB::from_corners(
            [p.x - tolerance, p.y - tolerance],
            [p.x + tolerance, p.y + tolerance],
        );
        let mut names: Vec<&str> = Vec::new();
        let mut best_vertex: Option<SnapResult> = None;
        let mut best_segment: Option<SnapResult> = None;
        let mut near: Vec<Near> = Vec::new();
        let mut consider = |source: usize,
                            fid: Option<i64>,
                            v: VertexId,
                            a: Coord<f64>,
                            c: Coord<f64>,
                            names: &[&str]| {
            let layer = || names.get(source).map(|s| s.to_string());
            if options.vertices {
                for (k, q) in [(v, a), (VertexId::new(v.part, v.ring, v.index + 1), c)]
                    .into_iter()
                    .enumerate()
                {
                    let d = dist(q.1, p);
                    // The segment's end is the next segment's start: skip it
                    // (and so a wrong index past a ring's last vertex).
                    if k == 1
                        || d > tolerance
                        || best_vertex.as_ref().is_some_and(|s| s.distance <= d)
                    {
                        continue;
                    }
                    best_vertex = Some(SnapResult {
                        point: q.1,
                        kind: SnapKind::Vertex,
                        layer: layer(),
                        fid,
                        vertex: Some(q.0),
                        distance: d,
                    });
                }
            }
            let (q, _) = project_on_segment(p, a, c);
            let d = dist(q, p);
            if d > tolerance {
                return;
            }
            if options.segments && best_segment.as_ref().is_none_or(|s| d < s.distance) {
                best_segment = Some(SnapResult {
                    point: q,
                    kind: SnapKind::Segment,
                    layer: layer(),
                    fid,
                    vertex: Some(v),
                    distance: d,
                });
            }
            if options.intersections && near.len() < MAX_INTERSECTION_SEGMENTS && a != c {
                near.push(Near {
                    source,
                    fid,
                    vertex: v,
                    a,
                    b: c,
                });
            }
        };
        for (name, layer) in &self.layers {
            if !options.layers.is_empty() && !options.layers.iter().any(|l| l == name) {
                continue;
            }
            names.push(name);
            let source = names.len() - 1;
            for (fid, shape) in layer.near(&b) {
                shape.for_each_segment(|v, a, c| consider(source, Some(fid), v, a, c, &names));
            }
        }
        if let Some(d) = drawing {
            let source = usize::MAX;
            match d.len() {
                0 => {}
                1 => consider(source, None, VertexId::new(0, 0, 0), d[0], d[0], &names),
                _ => {
                    for (i, w) in d.windows(2).enumerate() {
                        consider(source, None, VertexId::new(0, 0, i), w[0], w[1], &names);
                    }
                    // The last fixed vertex is the end of the last segment.
                    let last = d[d.len() - 1];
                    consider(
                        source,
                        None,
                        VertexId::new(0, 0, d.len() - 1),
                        last,
                        last,
                        &names,
                    );
                }
            }
        }
        if best_vertex.is_some() {
            return best_vertex;
        }
        if options.intersections
            && let Some(x) = nearest_intersection(&near, p, tolerance, &names)
        {
            return Some(x);
        }
        best_segment
    }
}

/// The nearest crossing of two segments near the pointer, other than a
/// shared vertex (that snaps as a vertex).
fn nearest_intersection(
    near: &[Near],
    p: Coord<f64>,
    tolerance: f64,
    names: &[&str],
) -> Option<SnapResult> {
    let mut best: Option<SnapResult> = None;
    for (i, s) in near.iter().enumerate() {
        for t in &near[i + 1..] {
            let Some((x, _, _)) = segment_intersection(s.a, s.b, t.a, t.b) else {
                continue;
            };
            let at_end = [s.a, s.b, t.a, t.b].iter().any(|e| dist(*e, x) < 1e-9);
            let d = dist(x, p);
            if at_end || d > tolerance || best.as_ref().is_some_and(|b| b.distance <= d) {
                continue;
            }
            best = Some(SnapResult {
                point: x,
                kind: SnapKind::Intersection,
                layer: names.get(s.source).map(|n| n.to_string()),
                fid: s.fid,
                vertex: Some(s.vertex),
                distance: d,
            });
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{LineString, Polygon, Rect};

    fn index() -> SnapIndex {
        let a = Geometry::Polygon(Rect::new((0., 0.), (10., 10.)).to_polygon());
        let b = Geometry::Polygon(Rect::new((10., 0.), (20., 10.)).to_polygon());
        let road = Geometry::LineString(LineString::from(vec![(-5., 5.), (25., 5.)]));
        let mut idx = SnapIndex::default();
        idx.set_layer("parcels", SnapLayer::build([(1, &a), (2, &b)]));
        idx.set_layer("roads", SnapLayer::build([(7, &road)]));
        idx
    }

    #[test]
    fn vertices_come_before_intersections_before_segments() {
        let idx = index();
        let opts = SnapOptions::default();
        let v = idx
            .snap(Coord { x: 10.3, y: 9.8 }, 0.5, &opts, None)
            .unwrap();
        assert_eq!(
            (v.kind, v.point),
            (SnapKind::Vertex, Coord { x: 10., y: 10. })
        );
        assert_eq!(v.layer.as_deref(), Some("parcels"));
        let x = idx
            .snap(Coord { x: 0.3, y: 5.2 }, 0.5, &opts, None)
            .unwrap();
        assert_eq!(
            (x.kind, x.point),
            (SnapKind::Intersection, Coord { x: 0., y: 5. })
        );
        let s = idx
            .snap(Coord { x: 5.0, y: 9.7 }, 0.5, &opts, None)
            .unwrap();
        assert_eq!((s.kind, s.fid), (SnapKind::Segment, Some(1)));
        assert!((s.point.y - 10.0).abs() < 1e-12 && (s.point.x - 5.0).abs() < 1e-12);
        assert!(
            idx.snap(Coord { x: 5.0, y: 8.0 }, 0.5, &opts, None)
                .is_none()
        );
    }

    #[test]
    fn only_chosen_layers_and_kinds_are_snapped() {
        let idx = index();
        let opts = SnapOptions {
            layers: vec!["roads".into()],
            ..SnapOptions::default()
        };
        let s = idx
            .snap(Coord { x: 10.3, y: 5.2 }, 0.5, &opts, None)
            .unwrap();
        assert_eq!(
            (s.kind, s.fid, s.layer.as_deref()),
            (SnapKind::Segment, Some(7), Some("roads"))
        );
        let opts = SnapOptions {
            vertices: false,
            intersections: false,
            ..SnapOptions::default()
        };
        let s = idx
            .snap(Coord { x: 10.3, y: 9.8 }, 0.5, &opts, None)
            .unwrap();
        assert_eq!(s.kind, SnapKind::Segment);
    }

    #[test]
    fn edited_features_are_updated_without_a_rebuild() {
        let mut idx = index();
        let moved = Geometry::Polygon(Polygon::new(
            LineString::from(vec![(0., 0.), (10., 0.), (12., 12.), (0., 10.), (0., 0.)]),
            vec![],
        ));
        let layer = idx.layer_mut("parcels").unwrap();
        layer.insert(1, &moved);
        assert_eq!(layer.len(), 2);
        let opts = SnapOptions::default();
        let v = idx
            .snap(Coord { x: 11.8, y: 11.9 }, 0.5, &opts, None)
            .unwrap();
        assert_eq!((v.fid, v.vertex), (Some(1), Some(VertexId::new(0, 0, 2))));
        assert!(idx.layer_mut("parcels").unwrap().remove(1));
        assert!(
            idx.snap(Coord { x: 11.8, y: 11.9 }, 0.5, &opts, None)
                .is_none()
        );
    }

    #[test]
    fn the_geometry_being_drawn_snaps_too() {
        let idx = SnapIndex::default();
        let drawn = [Coord { x: 100., y: 100. }, Coord { x: 110., y: 100. }];
        let s = idx
            .snap(
                Coord { x: 110.2, y: 100.1 },
                0.5,
                &SnapOptions::default(),
                Some(&drawn),
            )
            .unwrap();
        assert_eq!((s.kind, s.fid, s.layer), (SnapKind::Vertex, None, None));
        assert_eq!(s.point, Coord { x: 110., y: 100. });
    }
}
