//! The vertex tool: move, add and delete vertices, several at once.

use std::collections::BTreeMap;

use geo_types::{Coord, Geometry};

use super::{GeometryError, Kind, Parts};

/// A vertex of a geometry: part of a multi-geometry (0 for a single one),
/// ring of a polygon (0 exterior, 1.. holes; 0 for lines and points) and
/// index in that ring, the closing point of a ring not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VertexId {
    pub part: usize,
    pub ring: usize,
    pub index: usize,
}

impl VertexId {
    pub const fn new(part: usize, ring: usize, index: usize) -> Self {
        VertexId { part, ring, index }
    }
}

impl std::fmt::Display for VertexId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (part {}, ring {})", self.index, self.part, self.ring)
    }
}

/// Moves each listed vertex to its new position. A ring's first vertex is
/// also its closing point, so the ring stays closed.
pub fn move_vertices(
    g: &Geometry<f64>,
    moves: &[(VertexId, Coord<f64>)],
) -> Result<Geometry<f64>, GeometryError> {
    let mut parts = Parts::from_geometry(g, "the vertex tool")?;
    for &(v, to) in moves {
        let ring = parts
            .ring_mut(v.part, v.ring)
            .map_err(|_| GeometryError::NoSuchVertex(v))?;
        *ring
            .get_mut(v.index)
            .ok_or(GeometryError::NoSuchVertex(v))? = to;
    }
    Ok(parts.to_geometry())
}

/// A vertex to insert: the index of its segment's first vertex, and where.
type Insert = (usize, Coord<f64>);

/// Inserts new vertices, each in the segment that starts at the given
/// vertex (the segment from vertex i to i + 1; on a ring, the last vertex's
/// segment is the closing one). Several in one segment go in along it, in
/// order of their distance from its start.
pub fn insert_vertices(
    g: &Geometry<f64>,
    inserts: &[(VertexId, Coord<f64>)],
) -> Result<Geometry<f64>, GeometryError> {
    let mut parts = Parts::from_geometry(g, "adding vertices")?;
    if matches!(parts.kind, Kind::Point | Kind::MultiPoint) {
        return Err(GeometryError::Unsupported {
            tool: "adding vertices",
            kind: "point",
        });
    }
    let closed = parts.kind.closed();
    // Per ring, from the last segment back, so earlier indexes stay right.
    let mut by_ring: BTreeMap<(usize, usize), Vec<Insert>> = BTreeMap::new();
    for &(v, at) in inserts {
        by_ring
            .entry((v.part, v.ring))
            .or_default()
            .push((v.index, at));
    }
    for ((part, ring_no), mut list) in by_ring {
        let ring = parts
            .ring_mut(part, ring_no)
            .map_err(|_| GeometryError::NoSuchVertex(VertexId::new(part, ring_no, list[0].0)))?;
        let segments = if closed {
            ring.len()
        } else {
            ring.len().saturating_sub(1)
        };
        for &(index, _) in &list {
            if index >= segments {
                return Err(GeometryError::NoSuchVertex(VertexId::new(
                    part, ring_no, index,
                )));
            }
        }
        let start_of = |i: usize| ring[i];
        // Descending by segment; within one segment, farthest first, so
        // each insert at i + 1 pushes the farther ones along.
        list.sort_by(|a, b| {
            b.0.cmp(&a.0).then_with(|| {
                let s = start_of(a.0);
                super::dist(s, b.1).total_cmp(&super::dist(s, a.1))
            })
        });
        for (index, at) in list {
            ring.insert(index + 1, at);
        }
    }
    Ok(parts.to_geometry())
}

/// Deletes the listed vertices, refusing (and changing nothing) when a ring
/// would keep fewer than 3 distinct points (4 with its closing point) or a
/// line fewer than 2. Deleting every vertex of a point part removes the part
/// of a multipoint; a single point cannot lose its only vertex.
pub fn delete_vertices(
    g: &Geometry<f64>,
    ids: &[VertexId],
) -> Result<Geometry<f64>, GeometryError> {
    let mut parts = Parts::from_geometry(g, "deleting vertices")?;
    let closed = parts.kind.closed();
    let mut by_ring: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for &v in ids {
        by_ring.entry((v.part, v.ring)).or_default().push(v.index);
    }
    let points = matches!(parts.kind, Kind::Point | Kind::MultiPoint);
    let multipoint = parts.kind == Kind::MultiPoint;
    let mut emptied_parts = Vec::new();
    for ((part, ring_no), mut list) in by_ring {
        list.sort_unstable();
        list.dedup();
        let ring = parts
            .ring_mut(part, ring_no)
            .map_err(|_| GeometryError::NoSuchVertex(VertexId::new(part, ring_no, list[0])))?;
        if let Some(&bad) = list.iter().find(|&&i| i >= ring.len()) {
            return Err(GeometryError::NoSuchVertex(VertexId::new(
                part, ring_no, bad,
            )));
        }
        let left = ring.len() - list.len();
        let (min, what) = match (points, closed) {
            (true, _) => (1, "point"),
            (false, true) => (3, "ring (4 points with its closing point)"),
            (false, false) => (2, "line"),
        };
        if left < min && !multipoint {
            return Err(GeometryError::TooFewVertices {
                part,
                ring: ring_no,
                left: if closed { left + 1 } else { left },
                min: if closed { min + 1 } else { min },
                what,
            });
        }
        for &i in list.iter().rev() {
            ring.remove(i);
        }
        if ring.is_empty() {
            emptied_parts.push(part);
        }
    }
    if points {
        if emptied_parts.len() == parts.parts.len() {
            return Err(GeometryError::TooFewVertices {
                part: 0,
                ring: 0,
                left: 0,
                min: 1,
                what: "multipoint",
            });
        }
        for &p in emptied_parts.iter().rev() {
            parts.parts.remove(p);
        }
    }
    Ok(parts.to_geometry())
}

/// The vertex nearest `p` within `tolerance`, if any.
pub fn nearest_vertex(
    g: &Geometry<f64>,
    p: Coord<f64>,
    tolerance: f64,
) -> Option<(VertexId, Coord<f64>)> {
    super::vertices(g)
        .into_iter()
        .map(|(v, c)| (v, c, super::dist(c, p)))
        .filter(|(_, _, d)| *d <= tolerance)
        .min_by(|a, b| a.2.total_cmp(&b.2))
        .map(|(v, c, _)| (v, c))
}

/// The segment nearest `p` within `tolerance`: the id of its first vertex
/// and the nearest point on it.
pub fn nearest_segment(
    g: &Geometry<f64>,
    p: Coord<f64>,
    tolerance: f64,
) -> Option<(VertexId, Coord<f64>)> {
    super::segments(g)
        .into_iter()
        .map(|(v, a, b)| {
            let (q, _) = super::project_on_segment(p, a, b);
            (v, q, super::dist(q, p))
        })
        .filter(|(_, _, d)| *d <= tolerance)
        .min_by(|a, b| a.2.total_cmp(&b.2))
        .map(|(v, q, _)| (v, q))
}

/// Moves vertices of one stored feature, as one edit ("Di chuyển đỉnh").
/// For shared vertices see `edit::topology::move_vertex_topological`.
pub fn move_vertices_in(
    session: &mut crate::edit::EditSession,
    layer: &str,
    fid: i64,
    moves: &[(VertexId, Coord<f64>)],
) -> Result<crate::edit::Applied, crate::edit::EditError> {
    super::edit_geometry(session, layer, fid, "Di chuyển đỉnh", |g| {
        move_vertices(g, moves)
    })
}

/// Adds vertices to one stored feature, as one edit ("Thêm đỉnh").
pub fn insert_vertices_in(
    session: &mut crate::edit::EditSession,
    layer: &str,
    fid: i64,
    inserts: &[(VertexId, Coord<f64>)],
) -> Result<crate::edit::Applied, crate::edit::EditError> {
    super::edit_geometry(session, layer, fid, "Thêm đỉnh", |g| {
        insert_vertices(g, inserts)
    })
}

/// Deletes vertices of one stored feature, as one edit ("Xóa đỉnh"); a
/// ring or line left too short is refused and nothing is written.
pub fn delete_vertices_in(
    session: &mut crate::edit::EditSession,
    layer: &str,
    fid: i64,
    ids: &[VertexId],
) -> Result<crate::edit::Applied, crate::edit::EditError> {
    super::edit_geometry(session, layer, fid, "Xóa đỉnh", |g| {
        delete_vertices(g, ids)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;
    use geo_types::{LineString, MultiPolygon, Polygon, polygon};

    fn square() -> Geometry<f64> {
        Geometry::Polygon(
            polygon![(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.), (x: 0., y: 0.)],
        )
    }

    #[test]
    fn moving_the_first_vertex_keeps_the_ring_closed() {
        let g = move_vertices(
            &square(),
            &[(VertexId::new(0, 0, 0), Coord { x: -2., y: -2. })],
        )
        .unwrap();
        let Geometry::Polygon(p) = g else { panic!() };
        assert_eq!(p.exterior().0.first(), p.exterior().0.last());
        assert_eq!(p.exterior().0[0], Coord { x: -2., y: -2. });
        assert_eq!(p.exterior().0.len(), 5);
    }

    #[test]
    fn several_vertices_move_at_once() {
        let g = move_vertices(
            &square(),
            &[
                (VertexId::new(0, 0, 1), Coord { x: 20., y: 0. }),
                (VertexId::new(0, 0, 2), Coord { x: 20., y: 10. }),
            ],
        )
        .unwrap();
        assert_eq!(g.unsigned_area(), 200.0);
    }

    #[test]
    fn inserts_go_into_the_right_segments_in_order() {
        let g = insert_vertices(
            &square(),
            &[
                (VertexId::new(0, 0, 0), Coord { x: 7., y: 0. }),
                (VertexId::new(0, 0, 0), Coord { x: 3., y: 0. }),
                (VertexId::new(0, 0, 3), Coord { x: 0., y: 5. }),
            ],
        )
        .unwrap();
        let Geometry::Polygon(p) = g else { panic!() };
        let xs: Vec<(f64, f64)> = p.exterior().0.iter().map(|c| (c.x, c.y)).collect();
        assert_eq!(
            xs,
            vec![
                (0., 0.),
                (3., 0.),
                (7., 0.),
                (10., 0.),
                (10., 10.),
                (0., 10.),
                (0., 5.),
                (0., 0.)
            ]
        );
        assert!(
            insert_vertices(
                &square(),
                &[(VertexId::new(0, 0, 4), Coord { x: 1., y: 1. })]
            )
            .is_err()
        );
    }

    #[test]
    fn a_delete_that_leaves_a_ring_too_short_is_refused() {
        let tri = delete_vertices(&square(), &[VertexId::new(0, 0, 2)]).unwrap();
        assert_eq!(tri.unsigned_area(), 50.0);
        let err = delete_vertices(&tri, &[VertexId::new(0, 0, 0)]).unwrap_err();
        assert!(
            matches!(
                err,
                GeometryError::TooFewVertices {
                    left: 3,
                    min: 4,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("at least 4"), "{err}");
        let line = Geometry::LineString(LineString::from(vec![(0., 0.), (1., 0.), (2., 0.)]));
        assert!(delete_vertices(&line, &[VertexId::new(0, 0, 1)]).is_ok());
        let err =
            delete_vertices(&line, &[VertexId::new(0, 0, 0), VertexId::new(0, 0, 2)]).unwrap_err();
        assert!(matches!(
            err,
            GeometryError::TooFewVertices {
                left: 1,
                min: 2,
                ..
            }
        ));
        assert!(matches!(
            delete_vertices(&square(), &[VertexId::new(0, 0, 9)]),
            Err(GeometryError::NoSuchVertex(_))
        ));
    }

    #[test]
    fn holes_and_parts_are_addressed() {
        let donut = Polygon::new(
            LineString::from(vec![(0., 0.), (10., 0.), (10., 10.), (0., 10.), (0., 0.)]),
            vec![LineString::from(vec![
                (4., 4.),
                (4., 6.),
                (6., 6.),
                (6., 4.),
                (4., 4.),
            ])],
        );
        let multi = Geometry::MultiPolygon(MultiPolygon(vec![
            polygon![(x: 20., y: 0.), (x: 30., y: 0.), (x: 30., y: 10.), (x: 20., y: 0.)],
            donut,
        ]));
        let g = move_vertices(&multi, &[(VertexId::new(1, 1, 2), Coord { x: 7., y: 6. })]).unwrap();
        assert!((g.unsigned_area() - (50.0 + 100.0 - 5.0)).abs() < 1e-9);
        assert_eq!(
            nearest_vertex(&multi, Coord { x: 6.2, y: 6.1 }, 0.5)
                .unwrap()
                .0,
            VertexId::new(1, 1, 2)
        );
        assert_eq!(
            nearest_segment(&multi, Coord { x: 25., y: 0.3 }, 0.5)
                .unwrap()
                .0,
            VertexId::new(0, 0, 0)
        );
    }
}
