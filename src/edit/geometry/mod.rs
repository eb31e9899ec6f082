//! Pure geometry of the editing tools, over `geo_types`: no store, no
//! window. The operations in `edit::ops` and the map tools call these and
//! write the result through one `EditSession::apply`.
//!
//! Vertices are named by [`VertexId`]: the part of a multi-geometry, the
//! ring of a polygon (0 = exterior, 1.. = holes; 0 for a line) and the index
//! of the vertex in that ring. A closed ring's closing point is not a vertex
//! of its own: index 0 is both its first and its last point, so moving it
//! keeps the ring closed.

pub mod avoid_overlaps;
pub mod offset;
pub mod reshape;
pub mod rings;
pub mod trace;
pub mod vertex;

use geo_types::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Polygon};

pub use vertex::VertexId;

/// What a geometry tool refuses, in words the user can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeometryError {
    #[error("there is no vertex {0} in this geometry")]
    NoSuchVertex(VertexId),
    #[error("there is no ring {ring} in part {part}")]
    NoSuchRing { part: usize, ring: usize },
    #[error(
        "deleting these vertices would leave {left} point(s) in part {part}, ring {ring}: a {what} needs at least {min}"
    )]
    TooFewVertices {
        part: usize,
        ring: usize,
        left: usize,
        min: usize,
        what: &'static str,
    },
    #[error("{tool} does not work on a {kind} geometry")]
    Unsupported {
        tool: &'static str,
        kind: &'static str,
    },
    #[error("the reshape line must cross the boundary at least twice (it crosses {0} time(s))")]
    ReshapeCrossings(usize),
    #[error("the reshaped geometry would be invalid: {0}")]
    Invalid(String),
    #[error("the new ring must lie inside the polygon, not crossing its boundary or its holes")]
    RingOutside,
    #[error("the exterior ring cannot be deleted; delete the feature or a part instead")]
    ExteriorRing,
    #[error("a ring needs at least 3 distinct points (it has {0})")]
    ShortRing(usize),
    #[error("nothing is left of the new polygon once its overlaps are cut away")]
    NothingLeft,
    #[error("offset distance must be a finite, non-zero number of metres (got {0})")]
    BadDistance(f64),
    #[error("the point ({x:.3}, {y:.3}) is not on the boundary being traced (within {tolerance})")]
    NotOnBoundary { x: f64, y: f64, tolerance: f64 },
}

/// The kind of geometry the parts came from, to build it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Point,
    MultiPoint,
    Line,
    MultiLine,
    Polygon,
    MultiPolygon,
}

impl Kind {
    pub(crate) fn closed(self) -> bool {
        matches!(self, Kind::Polygon | Kind::MultiPolygon)
    }
}

/// A geometry as parts of rings of vertices, closed rings without their
/// closing point, so that vertex indexes are those the user sees.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parts {
    pub kind: Kind,
    pub parts: Vec<Vec<Vec<Coord<f64>>>>,
}

pub(crate) fn kind_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "point",
        Geometry::Line(_) => "line segment",
        Geometry::LineString(_) => "line",
        Geometry::Polygon(_) => "polygon",
        Geometry::MultiPoint(_) => "multipoint",
        Geometry::MultiLineString(_) => "multiline",
        Geometry::MultiPolygon(_) => "multipolygon",
        Geometry::GeometryCollection(_) => "geometry collection",
        Geometry::Rect(_) => "rectangle",
        Geometry::Triangle(_) => "triangle",
    }
}

/// A closed ring's distinct vertices (its closing point dropped).
pub(crate) fn open_ring(ring: &LineString<f64>) -> Vec<Coord<f64>> {
    let mut v = ring.0.clone();
    if v.len() > 1 && v.first() == v.last() {
        v.pop();
    }
    v
}

/// A ring closed again.
pub(crate) fn close_ring(mut v: Vec<Coord<f64>>) -> LineString<f64> {
    if let Some(&first) = v.first() {
        v.push(first);
    }
    LineString(v)
}

impl Parts {
    pub(crate) fn from_geometry(
        g: &Geometry<f64>,
        tool: &'static str,
    ) -> Result<Parts, GeometryError> {
        let polygon = |p: &Polygon<f64>| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(open_ring)
                .collect::<Vec<_>>()
        };
        let (kind, parts) = match g {
            Geometry::Point(p) => (Kind::Point, vec![vec![vec![p.0]]]),
            Geometry::MultiPoint(m) => (
                Kind::MultiPoint,
                m.0.iter().map(|p| vec![vec![p.0]]).collect(),
            ),
            Geometry::LineString(l) => (Kind::Line, vec![vec![l.0.clone()]]),
            Geometry::MultiLineString(m) => (
                Kind::MultiLine,
                m.0.iter().map(|l| vec![l.0.clone()]).collect(),
            ),
            Geometry::Polygon(p) => (Kind::Polygon, vec![polygon(p)]),
            Geometry::MultiPolygon(m) => (Kind::MultiPolygon, m.0.iter().map(polygon).collect()),
            other => {
                return Err(GeometryError::Unsupported {
                    tool,
                    kind: kind_name(other),
                });
            }
        };
        Ok(Parts { kind, parts })
    }

    pub(crate) fn to_geometry(&self) -> Geometry<f64> {
        let polygon = |rings: &Vec<Vec<Coord<f64>>>| {
            let mut it = rings.iter().map(|r| close_ring(r.clone()));
            let exterior = it.next().unwrap_or_else(|| LineString(vec![]));
            Polygon::new(exterior, it.collect())
        };
        match self.kind {
            Kind::Point => Geometry::Point(self.parts[0][0][0].into()),
            Kind::MultiPoint => Geometry::MultiPoint(MultiPoint(
                self.parts.iter().map(|p| p[0][0].into()).collect(),
            )),
            Kind::Line => Geometry::LineString(LineString(self.parts[0][0].clone())),
            Kind::MultiLine => Geometry::MultiLineString(MultiLineString(
                self.parts
                    .iter()
                    .map(|p| LineString(p[0].clone()))
                    .collect(),
            )),
            Kind::Polygon => Geometry::Polygon(polygon(&self.parts[0])),
            Kind::MultiPolygon => {
                Geometry::MultiPolygon(MultiPolygon(self.parts.iter().map(polygon).collect()))
            }
        }
    }

    pub(crate) fn ring_mut(
        &mut self,
        part: usize,
        ring: usize,
    ) -> Result<&mut Vec<Coord<f64>>, GeometryError> {
        self.parts
            .get_mut(part)
            .and_then(|p| p.get_mut(ring))
            .ok_or(GeometryError::NoSuchRing { part, ring })
    }
}

/// Every vertex of a geometry with its id, closing points left out.
pub fn vertices(g: &Geometry<f64>) -> Vec<(VertexId, Coord<f64>)> {
    let Ok(parts) = Parts::from_geometry(g, "listing vertices") else {
        return vec![];
    };
    let mut out = Vec::new();
    for (p, rings) in parts.parts.iter().enumerate() {
        for (r, ring) in rings.iter().enumerate() {
            for (i, c) in ring.iter().enumerate() {
                out.push((VertexId::new(p, r, i), *c));
            }
        }
    }
    out
}

/// Every segment of a geometry as (id of its first vertex, start, end),
/// closing segments of rings included.
pub fn segments(g: &Geometry<f64>) -> Vec<(VertexId, Coord<f64>, Coord<f64>)> {
    let Ok(parts) = Parts::from_geometry(g, "listing segments") else {
        return vec![];
    };
    let closed = parts.kind.closed();
    let mut out = Vec::new();
    for (p, rings) in parts.parts.iter().enumerate() {
        for (r, ring) in rings.iter().enumerate() {
            let n = ring.len();
            let count = if closed { n } else { n.saturating_sub(1) };
            for i in 0..count {
                if n >= 2 {
                    out.push((VertexId::new(p, r, i), ring[i], ring[(i + 1) % n]));
                }
            }
        }
    }
    out
}

/// The point of segment a-b nearest to `p`, and its parameter along it (0..1).
pub(crate) fn project_on_segment(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> (Coord<f64>, f64) {
    let d = b - a;
    let len2 = d.x * d.x + d.y * d.y;
    if len2 == 0.0 {
        return (a, 0.0);
    }
    let t = (((p.x - a.x) * d.x + (p.y - a.y) * d.y) / len2).clamp(0.0, 1.0);
    (a + d * t, t)
}

pub(crate) fn dist(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

/// Where two segments p1-p2 and q1-q2 cross: the point and the parameters
/// along each (0..1). None for parallel or disjoint segments.
pub(crate) fn segment_intersection(
    p1: Coord<f64>,
    p2: Coord<f64>,
    q1: Coord<f64>,
    q2: Coord<f64>,
) -> Option<(Coord<f64>, f64, f64)> {
    let r = p2 - p1;
    let s = q2 - q1;
    let denom = r.x * s.y - r.y * s.x;
    if denom.abs() <= f64::EPSILON * (r.x.abs() + r.y.abs()) * (s.x.abs() + s.y.abs()) {
        return None;
    }
    let qp = q1 - p1;
    let t = (qp.x * s.y - qp.y * s.x) / denom;
    let u = (qp.x * r.y - qp.y * r.x) / denom;
    const E: f64 = 1e-12;
    ((-E..=1.0 + E).contains(&t) && (-E..=1.0 + E).contains(&u))
        .then(|| (p1 + r * t, t.clamp(0.0, 1.0), u.clamp(0.0, 1.0)))
}

/// Signed area of a ring given without its closing point (positive when
/// counter-clockwise).
pub(crate) fn ring_signed_area(ring: &[Coord<f64>]) -> f64 {
    let n = ring.len();
    let mut sum = 0.0;
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        sum += a.x * b.y - b.x * a.y;
    }
    sum / 2.0
}

/// The geometry's problems as geo's validator names them, or Ok.
pub(crate) fn check_valid(g: &Geometry<f64>) -> Result<(), GeometryError> {
    use geo::Validation;
    g.check_validation()
        .map_err(|e| GeometryError::Invalid(e.to_string()))
}

// ---- Operations: a tool applied to stored features, as one edit ----------

use crate::edit::{Applied, EditError, EditSession, EditTx};

/// A geometry tool's refusal as an edit error naming file, layer and fid.
pub fn feature_error(tx: &EditTx<'_>, layer: &str, fid: i64, e: GeometryError) -> EditError {
    EditError::Feature {
        path: tx.path().to_path_buf(),
        layer: layer.to_string(),
        fid,
        detail: e.to_string(),
    }
}

/// A stored feature's geometry; a feature without one is an error.
pub fn stored_geometry(
    tx: &mut EditTx<'_>,
    layer: &str,
    fid: i64,
) -> Result<Geometry<f64>, EditError> {
    let feature = tx.require(layer, fid)?;
    feature.geometry.ok_or_else(|| EditError::Feature {
        path: tx.path().to_path_buf(),
        layer: layer.to_string(),
        fid,
        detail: "the feature has no geometry to edit".into(),
    })
}

/// Writes a feature's new geometry in one UPDATE, its area fields
/// following it (QGIS's #29683/#32377 left them stale).
pub fn write_geometry(
    tx: &mut EditTx<'_>,
    layer: &str,
    fid: i64,
    g: Geometry<f64>,
) -> Result<(), EditError> {
    let info = tx.layer(layer)?;
    let mut feature = tx.require(layer, fid)?;
    feature.geometry = Some(g);
    // The stored Z/M belong to the old coordinates.
    feature.zm = Default::default();
    crate::edit::measure::set_area_fields(&info, &mut feature).map_err(|e| EditError::Feature {
        path: tx.path().to_path_buf(),
        layer: layer.to_string(),
        fid,
        detail: e.to_string(),
    })?;
    tx.update(layer, &feature)
}

/// Runs a pure tool on one feature's geometry and writes the result, as
/// one edit described by `description`.
pub fn edit_geometry(
    session: &mut EditSession,
    layer: &str,
    fid: i64,
    description: &str,
    tool: impl FnOnce(&Geometry<f64>) -> Result<Geometry<f64>, GeometryError>,
) -> Result<Applied, EditError> {
    let (_, applied) = session.apply(description, |tx| {
        let g = stored_geometry(tx, layer, fid)?;
        let new = tool(&g).map_err(|e| feature_error(tx, layer, fid, e))?;
        write_geometry(tx, layer, fid, new)
    })?;
    Ok(applied)
}
