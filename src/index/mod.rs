//! R-trees of feature envelopes per layer, for hit testing (identify,
//! selection, snapping) and culling. Built in one bulk load after a layer is
//! read; the exact geometry test happens on the few candidates.

use geo_types::Rect;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

type Entry = GeomWithData<Rectangle<[f64; 2]>, i64>;

/// Feature envelopes of one layer, keyed by fid.
#[derive(Default, Clone)]
pub struct LayerIndex {
    tree: RTree<Entry>,
}

impl LayerIndex {
    /// Builds the tree from `(fid, envelope)`.
    pub fn build(entries: impl IntoIterator<Item = (i64, Rect<f64>)>) -> Self {
        let items = entries
            .into_iter()
            .map(|(fid, b)| {
                let (lo, hi) = (b.min(), b.max());
                GeomWithData::new(Rectangle::from_corners([lo.x, lo.y], [hi.x, hi.y]), fid)
            })
            .collect();
        LayerIndex {
            tree: RTree::bulk_load(items),
        }
    }

    /// Adds a feature's envelope (an edit made or changed it).
    pub fn insert(&mut self, fid: i64, b: Rect<f64>) {
        let (lo, hi) = (b.min(), b.max());
        self.tree.insert(GeomWithData::new(
            Rectangle::from_corners([lo.x, lo.y], [hi.x, hi.y]),
            fid,
        ));
    }

    /// Removes a feature's entry, given the envelope it was indexed with.
    pub fn remove(&mut self, fid: i64, b: Rect<f64>) -> bool {
        let (lo, hi) = (b.min(), b.max());
        self.tree
            .remove(&GeomWithData::new(
                Rectangle::from_corners([lo.x, lo.y], [hi.x, hi.y]),
                fid,
            ))
            .is_some()
    }

    pub fn len(&self) -> usize {
        self.tree.size()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// Fids whose envelope comes within `tolerance` of (x, y).
    pub fn near(&self, x: f64, y: f64, tolerance: f64) -> Vec<i64> {
        self.within(Rect::new(
            (x - tolerance, y - tolerance),
            (x + tolerance, y + tolerance),
        ))
    }

    /// The fids and envelopes that meet `b` (selection by box takes the
    /// envelopes inside it without reading a geometry).
    pub fn meeting(&self, b: Rect<f64>) -> impl Iterator<Item = (i64, Rect<f64>)> + '_ {
        let envelope = AABB::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]);
        self.tree
            .locate_in_envelope_intersecting(&envelope)
            .map(|e| {
                let (lo, hi) = (e.geom().lower(), e.geom().upper());
                (e.data, Rect::new((lo[0], lo[1]), (hi[0], hi[1])))
            })
    }

    /// Fids whose envelope meets `b`.
    pub fn within(&self, b: Rect<f64>) -> Vec<i64> {
        let envelope = AABB::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]);
        self.tree
            .locate_in_envelope_intersecting(&envelope)
            .map(|e| e.data)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_envelopes_near_a_point_and_in_a_box() {
        let index = LayerIndex::build((0..100).map(|i| {
            let x = i as f64 * 10.0;
            (i, Rect::new((x, 0.0), (x + 5.0, 5.0)))
        }));
        assert_eq!(index.len(), 100);
        assert_eq!(index.near(12.0, 2.0, 0.5), vec![1]);
        assert!(index.near(7.0, 2.0, 1.0).is_empty());
        let mut hits = index.within(Rect::new((15.0, 1.0), (31.0, 2.0)));
        hits.sort();
        assert_eq!(hits, vec![1, 2, 3]);
    }
}

/// Whether a geometry is under a click at (x, y): inside a polygon, or
/// within `tolerance` of a line or point.
pub fn hits(geometry: &geo_types::Geometry<f64>, x: f64, y: f64, tolerance: f64) -> bool {
    use geo::{Contains, Distance, Euclidean};
    let p = geo_types::Point::new(x, y);
    geometry.contains(&p)
        || Euclidean.distance(geometry, &geo_types::Geometry::Point(p)) <= tolerance
}

#[cfg(test)]
mod hit_tests {
    use super::hits;
    use geo_types::{Geometry, LineString, Polygon};

    #[test]
    fn inside_polygons_but_not_in_their_holes() {
        let donut = Geometry::Polygon(Polygon::new(
            LineString::from(vec![(0., 0.), (10., 0.), (10., 10.), (0., 10.), (0., 0.)]),
            vec![LineString::from(vec![
                (4., 4.),
                (6., 4.),
                (6., 6.),
                (4., 6.),
                (4., 4.),
            ])],
        ));
        assert!(hits(&donut, 2.0, 2.0, 0.0));
        assert!(!hits(&donut, 5.0, 5.0, 0.1));
        assert!(hits(&donut, 5.0, 5.0, 1.5), "near the hole's edge");
        let road = Geometry::LineString(LineString::from(vec![(0., 0.), (10., 0.)]));
        assert!(hits(&road, 5.0, 0.4, 0.5) && !hits(&road, 5.0, 0.6, 0.5));
    }
}
