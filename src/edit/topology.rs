//! Topological editing: a vertex shared by adjacent parcels moves in all
//! of them, so no gap or overlap opens between them.
//!
//! Neighbours follow the moved vertex when they have a vertex at its old
//! position (within the tolerance), or a segment through it (a T-junction:
//! a vertex is inserted there and moved along). A neighbour whose segment
//! the vertex is moved onto gets a vertex there, so the two stay joined
//! when either is edited later.

use geo_types::{Coord, Geometry};

use super::geometry::vertex::{insert_vertices, move_vertices};
use super::geometry::{
    GeometryError, VertexId, dist, feature_error, project_on_segment, segments, stored_geometry,
    vertices, write_geometry,
};
use super::{Applied, EditError, EditSession};

/// How a neighbour's geometry follows a vertex moved from `old` to `new`,
/// or None when it is not joined to it.
pub fn follow(
    g: &Geometry<f64>,
    old: Coord<f64>,
    new: Coord<f64>,
    tolerance: f64,
) -> Result<Option<Geometry<f64>>, GeometryError> {
    let shared: Vec<(VertexId, Coord<f64>)> = vertices(g)
        .into_iter()
        .filter(|(_, c)| dist(*c, old) <= tolerance)
        .map(|(v, _)| (v, new))
        .collect();
    if !shared.is_empty() {
        return move_vertices(g, &shared).map(Some);
    }
    // A segment through the old position: a vertex goes in at the new one.
    let through_old: Vec<(VertexId, Coord<f64>)> = segments(g)
        .into_iter()
        .filter(|(_, a, b)| dist(project_on_segment(old, *a, *b).0, old) <= tolerance)
        .map(|(v, _, _)| (v, new))
        .collect();
    if !through_old.is_empty() {
        return insert_vertices(g, &through_old).map(Some);
    }
    // Moved onto a segment: that segment gets a vertex where it now meets.
    if vertices(g).iter().any(|(_, c)| dist(*c, new) <= tolerance) {
        return Ok(None);
    }
    let onto: Vec<(VertexId, Coord<f64>)> = segments(g)
        .into_iter()
        .filter(|(_, a, b)| dist(project_on_segment(new, *a, *b).0, new) <= tolerance)
        .map(|(v, _, _)| (v, new))
        .collect();
    if onto.is_empty() {
        Ok(None)
    } else {
        insert_vertices(g, &onto).map(Some)
    }
}

/// The box to search for neighbours of a vertex moved from `old` to `new`.
pub fn search_area(old: Coord<f64>, new: Coord<f64>, tolerance: f64) -> geo_types::Rect<f64> {
    let t = tolerance.max(0.0);
    geo_types::Rect::new(
        (old.x.min(new.x) - t, old.y.min(new.y) - t),
        (old.x.max(new.x) + t, old.y.max(new.y) + t),
    )
}

/// The vertex tool with topological editing on: moves `vertex` of feature
/// `fid` to `new_xy`, and with it every neighbour in `layer` joined to it
/// within `tolerance` (found through the layer's R-tree), as ONE edit
/// ("Di chuyển đỉnh"). Area fields of every changed feature follow.
pub fn move_vertex_topological(
    session: &mut EditSession,
    layer: &str,
    fid: i64,
    vertex: VertexId,
    new_xy: Coord<f64>,
    tolerance: f64,
) -> Result<Applied, EditError> {
    let (_, applied) = session.apply("Di chuyển đỉnh", |tx| {
        let g = stored_geometry(tx, layer, fid)?;
        let old = vertices(&g)
            .into_iter()
            .find(|(v, _)| *v == vertex)
            .map(|(_, c)| c)
            .ok_or_else(|| feature_error(tx, layer, fid, GeometryError::NoSuchVertex(vertex)))?;
        // Other vertices of the same feature at that spot (a ring touching
        // itself, parts sharing a corner) move along too.
        let moved = follow(&g, old, new_xy, tolerance)
            .map_err(|e| feature_error(tx, layer, fid, e))?
            .unwrap_or(g);
        let moved = move_vertices(&moved, &[(vertex, new_xy)])
            .map_err(|e| feature_error(tx, layer, fid, e))?;
        write_geometry(tx, layer, fid, moved)?;
        for n in tx.features_in(layer, search_area(old, new_xy, tolerance))? {
            let (Some(nfid), Some(ng)) = (n.fid, &n.geometry) else {
                continue;
            };
            if nfid == fid {
                continue;
            }
            if let Some(ng) =
                follow(ng, old, new_xy, tolerance).map_err(|e| feature_error(tx, layer, nfid, e))?
            {
                write_geometry(tx, layer, nfid, ng)?;
            }
        }
        Ok(())
    })?;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, BooleanOps};
    use geo_types::{LineString, Polygon};

    fn poly(pts: &[(f64, f64)]) -> Geometry<f64> {
        Geometry::Polygon(Polygon::new(LineString::from(pts.to_vec()), vec![]))
    }

    #[test]
    fn a_shared_vertex_moves_in_the_neighbour_without_gap_or_overlap() {
        let a = poly(&[(0., 0.), (10., 0.), (10., 10.), (0., 10.), (0., 0.)]);
        let b = poly(&[(10., 0.), (20., 0.), (20., 10.), (10., 10.), (10., 0.)]);
        let (old, new) = (Coord { x: 10., y: 10. }, Coord { x: 13., y: 11. });
        let a2 = move_vertices(&a, &[(VertexId::new(0, 0, 2), new)]).unwrap();
        let b2 = follow(&b, old, new, 0.01).unwrap().unwrap();
        // The outline grew by the triangle (0,10)-(13,11)-(20,10): 10 m².
        assert!((a2.unsigned_area() + b2.unsigned_area() - 210.0).abs() < 1e-9);
        let (Geometry::Polygon(pa), Geometry::Polygon(pb)) = (&a2, &b2) else {
            panic!()
        };
        assert!(pa.intersection(pb).unsigned_area() < 1e-9);
    }

    #[test]
    fn a_t_junction_gets_a_vertex_so_no_gap_opens() {
        // c's top edge runs under the shared corner of a and b at (10, 10).
        let a = poly(&[(0., 10.), (10., 10.), (10., 20.), (0., 20.), (0., 10.)]);
        let c = poly(&[(0., 0.), (20., 0.), (20., 10.), (0., 10.), (0., 0.)]);
        let (old, new) = (Coord { x: 10., y: 10. }, Coord { x: 10., y: 8. });
        let c2 = follow(&c, old, new, 0.01).unwrap().unwrap();
        let a2 = move_vertices(&a, &[(VertexId::new(0, 0, 1), new)]).unwrap();
        assert!(
            (c2.unsigned_area() - (200.0 - 20.0)).abs() < 1e-9,
            "{}",
            c2.unsigned_area()
        );
        let (Geometry::Polygon(pa), Geometry::Polygon(pc)) = (&a2, &c2) else {
            panic!()
        };
        assert!(pa.intersection(pc).unsigned_area() < 1e-9);
        // Unjoined geometries do not follow.
        let far = poly(&[(50., 50.), (60., 50.), (60., 60.), (50., 50.)]);
        assert_eq!(follow(&far, old, new, 0.01).unwrap(), None);
    }

    #[test]
    fn moving_onto_a_segment_joins_it() {
        let b = poly(&[(10., 0.), (20., 0.), (20., 10.), (10., 10.), (10., 0.)]);
        let g = follow(&b, Coord { x: 5., y: 5. }, Coord { x: 10., y: 5. }, 0.01)
            .unwrap()
            .unwrap();
        assert_eq!(vertices(&g).len(), 5);
        assert_eq!(g.unsigned_area(), 100.0);
    }
}
