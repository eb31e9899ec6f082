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
//!
//! Proportional to what the user can snap to: the window indexes the view
//! and a margin ([`SnapLayer::follow_view`]), reading only the parts no
//! earlier area covered through the store's R-tree, drops what is far from
//! the view when the index grows, and turns snapping off for a layer whose
//! area holds more features than [`AreaLimits::max_features`] (zoomed out
//! so far that they are smaller than the tolerance: QGIS's "limit snapping
//! to scale range", by count).

use std::collections::HashMap;
use std::ops::ControlFlow;

use geo_types::{Coord, Geometry, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::geometry::{VertexId, dist, project_on_segment, segment_intersection};
use crate::crs::Transformer;
use crate::gpkg::{GeoPackage, Query};

/// Why a layer's area could not be indexed.
#[derive(Debug, thiserror::Error)]
pub enum SnapError {
    #[error(transparent)]
    Store(#[from] crate::gpkg::GpkgError),
    #[error(transparent)]
    Crs(#[from] crate::crs::CrsError),
}

/// Between the layer's coordinates (its R-tree) and the map's (the index).
#[derive(Clone, Copy)]
pub struct Reprojection<'a> {
    pub to_layer: &'a Transformer,
    pub to_map: &'a Transformer,
}

/// How much of a layer the window indexes around the view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AreaLimits {
    /// Above this many features in the view and its margin, snapping to the
    /// layer is off until the user zooms in.
    pub max_features: u64,
    /// The margin on each side of the view, in view widths (and heights):
    /// a pan within it needs no read.
    pub margin: f64,
    /// Beyond this many indexed features, those away from the view go.
    pub keep_features: usize,
}

impl Default for AreaLimits {
    fn default() -> Self {
        AreaLimits {
            max_features: 100_000,
            margin: 0.5,
            keep_features: 200_000,
        }
    }
}

/// What following the view did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followed {
    /// The view and half its margin were indexed already: nothing read.
    Covered,
    /// This many features were read and added.
    Loaded(usize),
    /// The area holds more than the limit (at least this many): snapping to
    /// the layer is off.
    TooMany(u64),
}

/// Past this many loaded boxes the index keeps only the current area.
const MAX_AREAS: usize = 32;

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
    /// The map boxes all of whose features are indexed; None: the whole
    /// layer is.
    covered: Option<Vec<Rect<f64>>>,
    /// Set while the area asked for holds more features than the limit
    /// (at least this many): the layer is not snapped to.
    too_many: Option<u64>,
    /// The feature limit the area was last counted against: another limit
    /// counts it again.
    counted_for: Option<u64>,
}

/// Features read for an area, to be added with [`SnapLayer::add_area`]
/// (read without holding the index, added under its lock).
#[derive(Debug)]
pub struct AreaRead {
    area: Rect<f64>,
    shapes: Vec<(i64, Shape)>,
}

impl AreaRead {
    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }
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
            covered: None,
            too_many: None,
            counted_for: None,
        }
    }

    /// An empty index that will hold the areas loaded into it
    /// ([`SnapLayer::extend`], [`SnapLayer::follow_view`]).
    pub fn for_areas() -> SnapLayer {
        SnapLayer {
            covered: Some(Vec::new()),
            ..SnapLayer::default()
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
            covered: area.map(|a| vec![a]),
            too_many: None,
            counted_for: None,
        })
    }

    /// The map boxes whose features are all indexed (None: the whole layer).
    pub fn covered(&self) -> Option<&[Rect<f64>]> {
        self.covered.as_deref()
    }

    /// Whether every feature meeting `area` is indexed.
    pub fn covers(&self, area: Rect<f64>) -> bool {
        self.missing(area).is_empty()
    }

    /// The parts of `area` no loaded box covers.
    pub fn missing(&self, area: Rect<f64>) -> Vec<Rect<f64>> {
        let Some(covered) = &self.covered else {
            return Vec::new();
        };
        let mut pieces = vec![area];
        for c in covered {
            pieces = pieces.into_iter().flat_map(|p| minus(p, *c)).collect();
        }
        pieces
    }

    /// Whether snapping to the layer is off because its area holds more
    /// features than the limit (at least this many).
    pub fn too_many(&self) -> Option<u64> {
        self.too_many
    }

    pub fn set_too_many(&mut self, count: Option<u64>) {
        self.too_many = count;
    }

    /// The area asked for holds `count` features (counted no further than
    /// `max_features + 1`): snapping is off above the limit.
    pub fn set_count(&mut self, count: u64, max_features: u64) {
        self.too_many = (count > max_features).then_some(count);
        self.counted_for = Some(max_features);
    }

    /// Reads the features meeting `pieces` (map boxes, parts of `area`)
    /// through the layer's R-tree, in map coordinates, skipping `known`
    /// fids. Takes no index: run it without the index's lock.
    pub fn read_area(
        gpkg: &GeoPackage,
        layer: &str,
        crs: Reprojection,
        area: Rect<f64>,
        pieces: &[Rect<f64>],
        known: impl Fn(i64) -> bool,
    ) -> Result<AreaRead, SnapError> {
        let mut seen = std::collections::HashSet::new();
        let mut shapes = Vec::new();
        for piece in pieces {
            let query = Query {
                bbox: Some(box_in(crs.to_layer, *piece)?),
                ..Query::default()
            };
            let mut failed = None;
            gpkg.read_features(layer, &query, |mut f| {
                let (Some(fid), Some(g)) = (f.fid, &mut f.geometry) else {
                    return ControlFlow::Continue(());
                };
                if known(fid) || !seen.insert(fid) {
                    return ControlFlow::Continue(());
                }
                if let Err(e) = crs.to_map.transform_geometry(g) {
                    failed = Some(e);
                    return ControlFlow::Break(());
                }
                if let Some(s) = Shape::new(g) {
                    shapes.push((fid, s));
                }
                ControlFlow::Continue(())
            })?;
            if let Some(e) = failed {
                return Err(e.into());
            }
        }
        Ok(AreaRead { area, shapes })
    }

    /// Adds what [`SnapLayer::read_area`] read; its area counts as loaded.
    /// Fids already indexed stay as they are (edits keep them current).
    /// Returns how many were added.
    pub fn add_area(&mut self, read: AreaRead) -> usize {
        let AreaRead { area, shapes } = read;
        let before = self.shapes.len();
        let fresh: Vec<(i64, Shape)> = shapes
            .into_iter()
            .filter(|(fid, _)| !self.shapes.contains_key(fid))
            .collect();
        let added = fresh.len();
        if added > before {
            // Many at once: one bulk load of everything is quicker than
            // inserting each.
            self.shapes.extend(fresh);
            let entries = self.shapes.iter().map(|(fid, s)| s.entry(*fid)).collect();
            self.tree = RTree::bulk_load(entries);
        } else {
            for (fid, s) in fresh {
                self.tree.insert(s.entry(fid));
                self.shapes.insert(fid, s);
            }
        }
        if let Some(c) = &mut self.covered {
            c.push(area);
        }
        added
    }

    /// Indexes the features meeting `area` (map coordinates) that are not
    /// yet: only the parts of it no loaded box covers are read. Returns
    /// how many features were added.
    pub fn extend(
        &mut self,
        gpkg: &GeoPackage,
        layer: &str,
        crs: Reprojection,
        area: Rect<f64>,
    ) -> Result<usize, SnapError> {
        let pieces = self.missing(area);
        if pieces.is_empty() {
            return Ok(0);
        }
        let read = Self::read_area(gpkg, layer, crs, area, &pieces, |fid| {
            self.shapes.contains_key(&fid)
        })?;
        Ok(self.add_area(read))
    }

    /// Keeps only the features meeting `area`, which becomes the one
    /// loaded box: bounds the memory as the user pans about.
    pub fn retain_area(&mut self, area: Rect<f64>) {
        let before = self.shapes.len();
        self.shapes.retain(|_, s| boxes_meet(s.envelope, area));
        if self.shapes.len() != before {
            let entries = self.shapes.iter().map(|(fid, s)| s.entry(*fid)).collect();
            self.tree = RTree::bulk_load(entries);
        }
        self.covered = Some(vec![area]);
    }

    /// The area to load for `view` (the view and its margin), or None when
    /// the view and half its margin are indexed and snapping is on: a pan
    /// within the margin reads nothing.
    pub fn area_to_load(&self, view: Rect<f64>, limits: &AreaLimits) -> Option<Rect<f64>> {
        let same_limit = self
            .counted_for
            .is_none_or(|max| max == limits.max_features);
        if self.too_many.is_none() && same_limit && self.covers(grown(view, limits.margin / 2.0)) {
            return None;
        }
        Some(grown(view, limits.margin))
    }

    /// Whether the index holds too much beyond `area` (features or boxes).
    pub fn is_over(&self, limits: &AreaLimits) -> bool {
        self.shapes.len() > limits.keep_features
            || self.covered.as_ref().is_some_and(|c| c.len() > MAX_AREAS)
    }

    /// Follows the view (map coordinates): when the view and half its
    /// margin are not all indexed, counts the features of the view and
    /// its margin through the R-tree (at most `max_features + 1`) and, if
    /// they are not too many, reads the part not indexed yet; an index
    /// grown past `keep_features` keeps only that area. Off the UI thread.
    pub fn follow_view(
        &mut self,
        gpkg: &GeoPackage,
        layer: &str,
        crs: Reprojection,
        view: Rect<f64>,
        limits: &AreaLimits,
    ) -> Result<Followed, SnapError> {
        match self.area_to_load(view, limits) {
            None => Ok(Followed::Covered),
            Some(area) => {
                let count = count_in(
                    gpkg,
                    layer,
                    box_in(crs.to_layer, area)?,
                    limits.max_features,
                )?;
                self.set_count(count, limits.max_features);
                if count > limits.max_features {
                    return Ok(Followed::TooMany(count));
                }
                let added = self.extend(gpkg, layer, crs, area)?;
                if self.is_over(limits) {
                    self.retain_area(area);
                }
                Ok(Followed::Loaded(added))
            }
        }
    }

    /// After an edit: the feature's geometry (map coordinates) replaces its
    /// entry where the index is complete; a feature outside every loaded
    /// box is left out (loading that box later reads it), and dropped if
    /// it was indexed.
    pub fn update(&mut self, fid: i64, g: &Geometry<f64>) {
        self.remove(fid);
        let Some(s) = Shape::new(g) else { return };
        let wanted = match &self.covered {
            None => true,
            Some(c) => c.iter().any(|a| boxes_meet(s.envelope, *a)),
        };
        if wanted {
            self.tree.insert(s.entry(fid));
            self.shapes.insert(fid, s);
        }
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

    /// The fids whose envelopes meet `area` (through the R-tree).
    pub fn fids_in(&self, area: Rect<f64>) -> impl Iterator<Item = i64> + '_ {
        let b = AABB::from_corners([area.min().x, area.min().y], [area.max().x, area.max().y]);
        self.tree
            .locate_in_envelope_intersecting(&b)
            .map(|e| e.data)
            .collect::<Vec<_>>()
            .into_iter()
    }

    /// A feature's rings (or lines) as indexed — a polygon's rings without
    /// their closing vertex — and whether they are closed; for tracing
    /// along what is loaded without reading the store.
    pub fn rings(&self, fid: i64) -> Option<(Vec<&[Coord<f64>]>, bool)> {
        let s = self.shapes.get(&fid)?;
        let mut start = 0usize;
        let rings = s
            .rings
            .iter()
            .map(|&(end, _, _)| {
                let r = &s.coords[start..end as usize];
                start = end as usize;
                r
            })
            .collect();
        Some((rings, s.closed))
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

    /// The indexed layers' names, in no order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.layers.keys().map(String::as_str)
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
            // Zoomed out past the layer's limit: not snapped to.
            if layer.too_many.is_some() {
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

/// Whether a shape's envelope (minx, miny, maxx, maxy) meets a box.
fn boxes_meet(e: [f64; 4], b: Rect<f64>) -> bool {
    e[0] <= b.max().x && e[2] >= b.min().x && e[1] <= b.max().y && e[3] >= b.min().y
}

/// `a` less `b`: at most four boxes (below, above, left, right of `b`).
fn minus(a: Rect<f64>, b: Rect<f64>) -> Vec<Rect<f64>> {
    let (a0, a1, b0, b1) = (a.min(), a.max(), b.min(), b.max());
    if b1.x <= a0.x || b0.x >= a1.x || b1.y <= a0.y || b0.y >= a1.y {
        return vec![a];
    }
    let mut out = Vec::with_capacity(4);
    if b0.y > a0.y {
        out.push(Rect::new((a0.x, a0.y), (a1.x, b0.y)));
    }
    if b1.y < a1.y {
        out.push(Rect::new((a0.x, b1.y), (a1.x, a1.y)));
    }
    let (y0, y1) = (a0.y.max(b0.y), a1.y.min(b1.y));
    if b0.x > a0.x {
        out.push(Rect::new((a0.x, y0), (b0.x, y1)));
    }
    if b1.x < a1.x {
        out.push(Rect::new((b1.x, y0), (a1.x, y1)));
    }
    out
}

/// `r` grown by `k` of its width and height on each side.
fn grown(r: Rect<f64>, k: f64) -> Rect<f64> {
    let (dx, dy) = (r.width() * k, r.height() * k);
    Rect::new(
        (r.min().x - dx, r.min().y - dy),
        (r.max().x + dx, r.max().y + dy),
    )
}

/// The box in the other CRS that holds `r`: its edges are sampled, since a
/// straight edge may bend there.
pub fn box_in(t: &Transformer, r: Rect<f64>) -> Result<Rect<f64>, crate::crs::CrsError> {
    if t.is_identity() {
        return Ok(r);
    }
    const STEPS: usize = 8;
    let (lo, hi) = (r.min(), r.max());
    let mut min = Coord {
        x: f64::MAX,
        y: f64::MAX,
    };
    let mut max = Coord {
        x: f64::MIN,
        y: f64::MIN,
    };
    for i in 0..=STEPS {
        let k = i as f64 / STEPS as f64;
        let (x, y) = (lo.x + (hi.x - lo.x) * k, lo.y + (hi.y - lo.y) * k);
        for c in [
            Coord { x, y: lo.y },
            Coord { x, y: hi.y },
            Coord { x: lo.x, y },
            Coord { x: hi.x, y },
        ] {
            let p = t.transform(c)?;
            min = Coord {
                x: min.x.min(p.x),
                y: min.y.min(p.y),
            };
            max = Coord {
                x: max.x.max(p.x),
                y: max.y.max(p.y),
            };
        }
    }
    Ok(Rect::new(min, max))
}

/// How many of a layer's features meet `area` (layer coordinates),
/// counting no further than `limit + 1`: enough to tell whether the area
/// holds more than `limit`. Through the R-tree's table when the layer has
/// one (no row of the layer is read).
pub fn count_in(
    gpkg: &GeoPackage,
    layer: &str,
    area: Rect<f64>,
    limit: u64,
) -> crate::gpkg::Result<u64> {
    let info = gpkg.layer(layer)?;
    let cap = limit.saturating_add(1);
    if info.has_rtree {
        let rtree = crate::gpkg::rtree_table_name(layer, &info.schema.geometry_column);
        let sql = format!(
            "SELECT count(*) FROM (SELECT 1 FROM {} WHERE minx <= ?3 AND maxx >= ?1 \
             AND miny <= ?4 AND maxy >= ?2 LIMIT ?5)",
            crate::gpkg::quote(&rtree)
        );
        let (lo, hi) = (area.min(), area.max());
        let n: i64 = gpkg
            .connection()
            .query_row(
                &sql,
                rusqlite::params![lo.x, lo.y, hi.x, hi.y, cap.min(i64::MAX as u64) as i64],
                |r| r.get(0),
            )
            .map_err(|source| crate::gpkg::GpkgError::Sqlite {
                path: gpkg.path().to_path_buf(),
                context: format!("counting the features of '{layer}' in the snapping area"),
                source,
            })?;
        return Ok(n as u64);
    }
    let query = Query {
        bbox: Some(area),
        limit: Some(cap),
        skip_geometry: true,
    };
    gpkg.read_features(layer, &query, |_| ControlFlow::Continue(()))
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
    fn a_box_less_another_is_the_parts_outside_it() {
        let a = Rect::new((0., 0.), (10., 10.));
        let area = |v: &[Rect<f64>]| v.iter().map(|r| r.width() * r.height()).sum::<f64>();
        // Inside: the four parts around it.
        let hole = minus(a, Rect::new((2., 3.), (4., 6.)));
        assert_eq!(hole.len(), 4);
        assert!((area(&hole) - (100. - 6.)).abs() < 1e-12);
        // Over a corner: below/above and one side.
        let corner = minus(a, Rect::new((5., 5.), (20., 20.)));
        assert_eq!(corner.len(), 2);
        assert!((area(&corner) - 75.).abs() < 1e-12);
        // Apart or only touching: the box itself; covering it: nothing.
        assert_eq!(minus(a, Rect::new((10., 0.), (12., 5.))), vec![a]);
        assert!(minus(a, Rect::new((-1., -1.), (11., 11.))).is_empty());
        let mut layer = SnapLayer::for_areas();
        layer.covered = Some(vec![
            Rect::new((0., 0.), (5., 10.)),
            Rect::new((5., 0.), (10., 5.)),
        ]);
        assert!(layer.covers(Rect::new((1., 1.), (9., 4.))));
        assert_eq!(layer.missing(a), vec![Rect::new((5., 5.), (10., 10.))]);
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
