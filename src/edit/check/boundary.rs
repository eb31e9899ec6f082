//! Features outside the administrative boundary: the union of a boundary
//! layer (communes or districts). A feature far from the boundary's edges
//! is wholly inside or wholly outside, decided by one ray through an
//! R-tree of the edges; only features an edge passes near get the exact
//! difference.

use geo::{Area, BooleanOps, BoundingRect, Centroid};
use geo_types::{Coord, Line, MultiPolygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::load::{Layer, Shape, ShapeIndex, rectangle};
use super::{CheckError, CheckOptions, Finding, FindingKind, Fix, in_parallel, m2};
use crate::jobs::Progress;

/// The boundary as the check uses it.
pub struct Boundary<'a> {
    layer: &'a Layer,
    index: ShapeIndex,
    edges: RTree<GeomWithData<Rectangle<[f64; 2]>, Line<f64>>>,
}

impl<'a> Boundary<'a> {
    pub fn new(layer: &'a Layer) -> Self {
        let polygons: Vec<_> = layer
            .shapes
            .iter()
            .flat_map(|s| s.polygons.0.iter().cloned())
            .collect();
        let union = geo::unary_union(&polygons);
        let edges = union
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|r| r.lines())
            .map(|l| {
                let r = Rect::new(l.start, l.end);
                GeomWithData::new(rectangle(r, 0.0), l)
            })
            .collect();
        Boundary {
            layer,
            index: ShapeIndex::new(&layer.shapes),
            edges: RTree::bulk_load(edges),
        }
    }

    fn edge_near(&self, area: Rect<f64>) -> bool {
        let r = rectangle(area, 0.0);
        self.edges
            .locate_in_envelope_intersecting(&AABB::from_corners(r.lower(), r.upper()))
            .next()
            .is_some()
    }

    /// Whether `p` is inside the union: the parity of the boundary edges
    /// a ray to +x crosses.
    fn contains(&self, p: Coord<f64>) -> bool {
        let far = f64::MAX;
        let crossings = self
            .edges
            .locate_in_envelope_intersecting(&AABB::from_corners([p.x, p.y], [far, p.y]))
            .filter(|e| {
                let l = e.data;
                if (l.start.y > p.y) == (l.end.y > p.y) {
                    return false;
                }
                let t = (p.y - l.start.y) / (l.end.y - l.start.y);
                l.start.x + t * (l.end.x - l.start.x) > p.x
            })
            .count();
        crossings % 2 == 1
    }

    /// The part of `shape` outside the boundary, None if there is none.
    fn outside(&self, shape: &Shape) -> Option<MultiPolygon<f64>> {
        if !self.edge_near(shape.bounds) {
            let inside = shape
                .polygons
                .0
                .first()
                .and_then(|p| p.exterior().0.first())
                .is_none_or(|&c| self.contains(c));
            return (!inside).then(|| shape.polygons.clone());
        }
        let near: Vec<_> = self
            .index
            .meeting(shape.bounds, 0.0)
            .flat_map(|i| self.layer.shapes[i].polygons.0.iter().cloned())
            .collect();
        let local = geo::unary_union(&near);
        let rest = shape.polygons.difference(&local);
        (!rest.0.is_empty()).then_some(rest)
    }

    pub fn name(&self) -> &str {
        &self.layer.name
    }
}

pub fn check(
    layer: &Layer,
    boundary: &Layer,
    options: &CheckOptions,
    threads: usize,
    progress: &Progress,
) -> Result<Vec<Finding>, CheckError> {
    let boundary = Boundary::new(boundary);
    let boundary = &boundary;
    let shapes = &layer.shapes;
    in_parallel(shapes.len(), threads, progress, |i, out| {
        if let Some(f) = finding(&layer.name, &shapes[i], boundary, options) {
            out.push(f);
        }
    })
}

fn finding(
    layer: &str,
    shape: &Shape,
    boundary: &Boundary<'_>,
    options: &CheckOptions,
) -> Option<Finding> {
    let outside = boundary.outside(shape)?;
    let area = outside.unsigned_area();
    if area <= options.min_area {
        return None;
    }
    let fid = shape.fid;
    let whole = area >= shape.polygons.unsigned_area() - options.min_area;
    let name = boundary.name();
    let (vi, en) = if whole {
        (
            format!("Đối tượng {fid} nằm hoàn toàn ngoài ranh giới {name}"),
            format!("Feature {fid} lies wholly outside the boundary {name}"),
        )
    } else {
        (
            format!("Đối tượng {fid} có {} nằm ngoài ranh giới {name}", m2(area)),
            format!("Feature {fid} has {} outside the boundary {name}", m2(area)),
        )
    };
    Some(Finding {
        kind: FindingKind::OutsideBoundary,
        layer: layer.to_string(),
        fid: Some(fid),
        other_fids: vec![],
        location: outside
            .centroid()
            .map(|p| p.0)
            .unwrap_or_else(|| shape.bounds.center()),
        bounds: outside.bounding_rect().unwrap_or(shape.bounds),
        area,
        message_vi: vi,
        message_en: en,
        // A feature wholly outside has nothing left to clip to: whether it
        // is misplaced or belongs elsewhere is the user's call.
        fix: (!whole).then(|| Fix::ClipToBoundary {
            fid,
            boundary_layer: name.to_string(),
        }),
    })
}
