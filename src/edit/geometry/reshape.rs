//! Reshape an edge by a drawn line, as QGIS's Reshape Features does it:
//! the drawn line must cross the boundary at least twice; between its first
//! and last crossing it replaces the boundary. On a polygon ring, of the two
//! rings this can make, the larger is kept; on a line, the stretch between
//! the two crossings is replaced.

use geo_types::{Coord, Geometry, LineString};

use super::{GeometryError, Kind, Parts, dist, ring_signed_area, segment_intersection};

/// A crossing of the drawn line with a ring or line: where, and how far
/// along each (segment index + parameter).
#[derive(Debug, Clone, Copy)]
struct Crossing {
    point: Coord<f64>,
    along_drawn: f64,
    along_edge: f64,
}

fn crossings(edge: &[Coord<f64>], closed: bool, drawn: &[Coord<f64>]) -> Vec<Crossing> {
    let n = edge.len();
    let segments = if closed { n } else { n.saturating_sub(1) };
    let mut out: Vec<Crossing> = Vec::new();
    for j in 0..drawn.len().saturating_sub(1) {
        for i in 0..segments {
            let (a, b) = (edge[i], edge[(i + 1) % n]);
            if let Some((point, td, te)) = segment_intersection(drawn[j], drawn[j + 1], a, b) {
                let mut along_edge = i as f64 + te;
                if closed && along_edge >= n as f64 {
                    along_edge -= n as f64;
                }
                let c = Crossing {
                    point,
                    along_drawn: j as f64 + td,
                    along_edge,
                };
                // A crossing at a vertex is found on both its segments.
                if !out.iter().any(|o| dist(o.point, point) < 1e-9) {
                    out.push(c);
                }
            }
        }
    }
    out.sort_by(|a, b| a.along_drawn.total_cmp(&b.along_drawn));
    out
}

/// The drawn line between its first and last crossing.
fn drawn_between(drawn: &[Coord<f64>], a: &Crossing, b: &Crossing) -> Vec<Coord<f64>> {
    let mut out = vec![a.point];
    let (ja, jb) = (
        a.along_drawn.floor() as usize,
        b.along_drawn.floor() as usize,
    );
    let last = jb.min(drawn.len() - 1);
    for (k, c) in drawn.iter().enumerate().take(last + 1).skip(ja + 1) {
        if (k as f64) > a.along_drawn && (k as f64) < b.along_drawn {
            out.push(*c);
        }
    }
    out.push(b.point);
    out
}

/// Ring vertices strictly after position `from` up to `to`, going forward.
fn arc_forward(ring: &[Coord<f64>], from: f64, to: f64) -> Vec<Coord<f64>> {
    let n = ring.len();
    let mut out = Vec::new();
    let mut k = from.floor() as usize + 1;
    let end = if to > from { to } else { to + n as f64 };
    while (k as f64) < end {
        out.push(ring[k % n]);
        k += 1;
    }
    out
}

fn dedup_ring(mut v: Vec<Coord<f64>>) -> Vec<Coord<f64>> {
    v.dedup_by(|a, b| dist(*a, *b) < 1e-9);
    while v.len() > 1 && dist(v[0], *v.last().unwrap()) < 1e-9 {
        v.pop();
    }
    v
}

fn reshape_ring(ring: &[Coord<f64>], drawn: &[Coord<f64>]) -> Option<Vec<Coord<f64>>> {
    let cs = crossings(ring, true, drawn);
    if cs.len() < 2 {
        return None;
    }
    let (a, b) = (cs[0], cs[cs.len() - 1]);
    let middle = drawn_between(drawn, &a, &b);
    // The drawn stretch A→B closed by the ring from B forward to A, or by
    // the ring from A forward to B walked backwards.
    let mut one = middle.clone();
    one.extend(arc_forward(ring, b.along_edge, a.along_edge));
    let mut other = middle;
    let mut back = arc_forward(ring, a.along_edge, b.along_edge);
    back.reverse();
    other.extend(back);
    let (one, other) = (dedup_ring(one), dedup_ring(other));
    let area = |r: &Vec<Coord<f64>>| {
        if r.len() < 3 {
            0.0
        } else {
            ring_signed_area(r).abs()
        }
    };
    let mut kept = if area(&one) >= area(&other) {
        one
    } else {
        other
    };
    if kept.len() < 3 {
        return None;
    }
    // Keep the ring's own orientation.
    if ring_signed_area(&kept).signum() != ring_signed_area(ring).signum() {
        kept.reverse();
    }
    Some(kept)
}

fn reshape_line(line: &[Coord<f64>], drawn: &[Coord<f64>]) -> Option<Vec<Coord<f64>>> {
    let cs = crossings(line, false, drawn);
    if cs.len() < 2 {
        return None;
    }
    let (mut a, mut b) = (cs[0], cs[cs.len() - 1]);
    let mut middle = drawn_between(drawn, &a, &b);
    if a.along_edge > b.along_edge {
        std::mem::swap(&mut a, &mut b);
        middle.reverse();
    }
    let mut out: Vec<Coord<f64>> = line[..=a.along_edge.floor() as usize].to_vec();
    out.extend(middle);
    let after = b.along_edge.floor() as usize + 1;
    if after < line.len() {
        out.extend_from_slice(&line[after..]);
    }
    out.dedup_by(|p, q| dist(*p, *q) < 1e-9);
    (out.len() >= 2).then_some(out)
}

/// Reshapes every ring (or line) the drawn line crosses at least twice.
pub fn reshape(g: &Geometry<f64>, drawn: &LineString<f64>) -> Result<Geometry<f64>, GeometryError> {
    let mut parts = Parts::from_geometry(g, "reshape")?;
    if matches!(parts.kind, Kind::Point | Kind::MultiPoint) {
        return Err(GeometryError::Unsupported {
            tool: "reshape",
            kind: "point",
        });
    }
    let closed = parts.kind.closed();
    let mut changed = 0;
    let mut most_crossings = 0;
    for rings in &mut parts.parts {
        for ring in rings.iter_mut() {
            most_crossings = most_crossings.max(crossings(ring, closed, &drawn.0).len());
            let new = if closed {
                reshape_ring(ring, &drawn.0)
            } else {
                reshape_line(ring, &drawn.0)
            };
            if let Some(new) = new {
                *ring = new;
                changed += 1;
            }
        }
    }
    if changed == 0 {
        return Err(GeometryError::ReshapeCrossings(most_crossings));
    }
    let out = parts.to_geometry();
    if closed {
        super::check_valid(&out)?;
    }
    Ok(out)
}

/// Reshapes one stored feature by a drawn line, as one edit.
pub fn reshape_in(
    session: &mut crate::edit::EditSession,
    layer: &str,
    fid: i64,
    drawn: &LineString<f64>,
) -> Result<crate::edit::Applied, crate::edit::EditError> {
    let description = format!("Sửa ranh đối tượng {fid}");
    super::edit_geometry(session, layer, fid, &description, |g| reshape(g, drawn))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;
    use geo_types::polygon;

    fn square() -> Geometry<f64> {
        Geometry::Polygon(
            polygon![(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.), (x: 0., y: 0.)],
        )
    }

    #[test]
    fn pushing_an_edge_outwards_grows_the_polygon() {
        // Crosses the right edge at y=2 and y=8, bulging out to x=14.
        let drawn = LineString::from(vec![(8., 2.), (14., 2.), (14., 8.), (8., 8.)]);
        let g = reshape(&square(), &drawn).unwrap();
        assert!(
            (g.unsigned_area() - (100.0 + 24.0)).abs() < 1e-9,
            "{}",
            g.unsigned_area()
        );
    }

    #[test]
    fn cutting_a_notch_inwards_shrinks_it() {
        let drawn = LineString::from(vec![(12., 2.), (6., 2.), (6., 8.), (12., 8.)]);
        let g = reshape(&square(), &drawn).unwrap();
        assert!(
            (g.unsigned_area() - (100.0 - 24.0)).abs() < 1e-9,
            "{}",
            g.unsigned_area()
        );
        let Geometry::Polygon(p) = &g else { panic!() };
        assert!(p.exterior().is_closed());
    }

    #[test]
    fn a_line_is_reshaped_between_the_crossings() {
        let line = Geometry::LineString(LineString::from(vec![(0., 0.), (10., 0.), (20., 0.)]));
        let drawn = LineString::from(vec![(15., -1.), (15., 1.), (5., 3.), (5., -1.)]);
        let Geometry::LineString(l) = reshape(&line, &drawn).unwrap() else {
            panic!()
        };
        assert_eq!(l.0.first(), Some(&Coord { x: 0., y: 0. }));
        assert_eq!(l.0.last(), Some(&Coord { x: 20., y: 0. }));
        assert!(l.0.contains(&Coord { x: 5., y: 3. }) && l.0.contains(&Coord { x: 15., y: 1. }));
        assert!(!l.0.contains(&Coord { x: 10., y: 0. }));
    }

    #[test]
    fn a_line_crossing_once_is_refused() {
        let drawn = LineString::from(vec![(5., 5.), (15., 5.)]);
        assert_eq!(
            reshape(&square(), &drawn).unwrap_err(),
            GeometryError::ReshapeCrossings(1)
        );
    }
}
