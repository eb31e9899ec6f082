//! An overlay polygon prepared for many tests against small features: its
//! edges in an R-tree, so that a parcel wholly inside or wholly outside a
//! commune (nearly all of them) is told apart without an overlay, and only
//! parcels that meet the commune's boundary are cut.

use geo_types::{Coord, MultiPolygon, Rect};
use rstar::primitives::Line;
use rstar::{AABB, RTree};

/// Where a feature lies relative to a prepared polygon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// Wholly inside (no edge of the polygon meets the feature's box).
    Inside,
    /// Wholly outside.
    Outside,
    /// The polygon's boundary passes through the feature's box.
    Boundary,
}

pub(super) struct Prepared {
    pub shape: MultiPolygon<f64>,
    edges: RTree<Line<[f64; 2]>>,
    max_x: f64,
}

pub(super) fn aabb(r: Rect<f64>) -> AABB<[f64; 2]> {
    AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y])
}

impl Prepared {
    pub fn new(shape: MultiPolygon<f64>) -> Self {
        let mut lines = Vec::new();
        let mut max_x = f64::NEG_INFINITY;
        for polygon in &shape.0 {
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                for w in ring.0.windows(2) {
                    max_x = max_x.max(w[0].x);
                    if w[0] != w[1] {
                        lines.push(Line::new([w[0].x, w[0].y], [w[1].x, w[1].y]));
                    }
                }
            }
        }
        Prepared {
            shape,
            edges: RTree::bulk_load(lines),
            max_x,
        }
    }

    /// Where a feature with box `bbox` and a vertex `probe` lies.
    pub fn place(&self, bbox: Rect<f64>, probe: Coord<f64>) -> Place {
        if self
            .edges
            .locate_in_envelope_intersecting(&aabb(bbox))
            .next()
            .is_some()
        {
            return Place::Boundary;
        }
        // No edge in the box: the whole box is on one side.
        if self.contains_point(probe) {
            Place::Inside
        } else {
            Place::Outside
        }
    }

    /// Even-odd ray casting to +x over the edges the ray meets.
    fn contains_point(&self, p: Coord<f64>) -> bool {
        if p.x > self.max_x {
            return false;
        }
        let ray = AABB::from_corners([p.x, p.y], [self.max_x, p.y]);
        let mut inside = false;
        for line in self.edges.locate_in_envelope_intersecting(&ray) {
            let (a, b) = (line.from, line.to);
            if (a[1] > p.y) != (b[1] > p.y) {
                let x = a[0] + (p.y - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
                if x > p.x {
                    inside = !inside;
                }
            }
        }
        inside
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{LineString, Polygon};

    #[test]
    fn inside_outside_and_boundary_are_told_apart() {
        let square = |x0: f64, y0: f64, s: f64| {
            Polygon::new(
                LineString::from(vec![
                    (x0, y0),
                    (x0 + s, y0),
                    (x0 + s, y0 + s),
                    (x0, y0 + s),
                    (x0, y0),
                ]),
                vec![],
            )
        };
        let mut donut = square(0.0, 0.0, 100.0);
        donut.interiors_push(square(40.0, 40.0, 20.0).exterior().clone());
        let p = Prepared::new(MultiPolygon(vec![donut]));
        let place =
            |x: f64, y: f64, s: f64| p.place(Rect::new((x, y), (x + s, y + s)), Coord { x, y });
        assert_eq!(place(10.0, 10.0, 5.0), Place::Inside);
        assert_eq!(place(45.0, 45.0, 5.0), Place::Outside); // in the hole
        assert_eq!(place(150.0, 10.0, 5.0), Place::Outside);
        assert_eq!(place(-150.0, 10.0, 5.0), Place::Outside);
        assert_eq!(place(95.0, 10.0, 10.0), Place::Boundary);
        assert_eq!(place(38.0, 45.0, 5.0), Place::Boundary);
    }
}
