//! Tracing: while drawing, the stretch of an existing boundary between two
//! snapped points is taken over, the shorter way round a ring.

use geo_types::{Coord, Geometry, LineString};

use super::{GeometryError, Parts, dist, project_on_segment};

/// Where a point lies on a ring or line: distance from it, and position
/// (segment index + parameter).
fn locate(ring: &[Coord<f64>], closed: bool, p: Coord<f64>) -> Option<(f64, f64)> {
    let n = ring.len();
    let segments = if closed { n } else { n.saturating_sub(1) };
    (0..segments)
        .map(|i| {
            let (q, t) = project_on_segment(p, ring[i], ring[(i + 1) % n]);
            (dist(q, p), i as f64 + t)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
}

fn path_length(v: &[Coord<f64>]) -> f64 {
    v.windows(2).map(|w| dist(w[0], w[1])).sum()
}

/// Vertices strictly between positions `from` and `to` going forward
/// (wrapping round a ring).
fn between_forward(ring: &[Coord<f64>], from: f64, to: f64) -> Vec<Coord<f64>> {
    let n = ring.len();
    let end = if to >= from { to } else { to + n as f64 };
    let mut out = Vec::new();
    let mut k = from.floor() as usize + 1;
    while (k as f64) < end {
        out.push(ring[k % n]);
        k += 1;
    }
    out
}

/// The boundary of `g` from `from` to `to` (both within `tolerance` of the
/// same ring or line), the shorter way round a ring. The result starts at
/// `from` and ends at `to` as given, so the drawn line joins it exactly.
pub fn trace(
    g: &Geometry<f64>,
    from: Coord<f64>,
    to: Coord<f64>,
    tolerance: f64,
) -> Result<LineString<f64>, GeometryError> {
    let parts = Parts::from_geometry(g, "tracing")?;
    let closed = parts.kind.closed();
    let mut best: Option<(f64, Vec<Coord<f64>>)> = None;
    let mut from_found = false;
    for rings in &parts.parts {
        for ring in rings {
            let (Some((da, pa)), Some((db, pb))) =
                (locate(ring, closed, from), locate(ring, closed, to))
            else {
                continue;
            };
            from_found |= da <= tolerance;
            if da > tolerance || db > tolerance {
                continue;
            }
            let forward = || {
                let mut v = vec![from];
                v.extend(between_forward(ring, pa, pb));
                v.push(to);
                v
            };
            let path = if closed {
                let ahead = forward();
                let mut back = vec![from];
                let mut rev = between_forward(ring, pb, pa);
                rev.reverse();
                back.extend(rev);
                back.push(to);
                if path_length(&ahead) <= path_length(&back) {
                    ahead
                } else {
                    back
                }
            } else if pa <= pb {
                forward()
            } else {
                let mut v = vec![from];
                let mut rev = between_forward(ring, pb, pa);
                rev.reverse();
                v.extend(rev);
                v.push(to);
                v
            };
            let score = da + db;
            if best.as_ref().is_none_or(|(s, _)| score < *s) {
                best = Some((score, path));
            }
        }
    }
    match best {
        Some((_, mut path)) => {
            path.dedup_by(|a, b| dist(*a, *b) < 1e-12);
            Ok(LineString(path))
        }
        None => {
            let missing = if from_found { to } else { from };
            Err(GeometryError::NotOnBoundary {
                x: missing.x,
                y: missing.y,
                tolerance,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    fn rectangle() -> Geometry<f64> {
        Geometry::Polygon(
            polygon![(x: 0., y: 0.), (x: 20., y: 0.), (x: 20., y: 10.), (x: 0., y: 10.), (x: 0., y: 0.)],
        )
    }

    fn bent_line() -> Geometry<f64> {
        Geometry::LineString(LineString::from(vec![
            (0., 0.),
            (10., 0.),
            (10., 10.),
            (20., 10.),
        ]))
    }

    /// (what, shape, from, to, the traced path)
    type Case = (
        &'static str,
        Geometry<f64>,
        (f64, f64),
        (f64, f64),
        Vec<(f64, f64)>,
    );

    #[test]
    fn traces_the_shorter_way_along_rings_and_either_way_along_lines() {
        let cases: Vec<Case> = vec![
            // Via (0,10) is 30 m, via (20,0) is 30 m too: equal, the
            // forward way.
            (
                "equal ways round",
                rectangle(),
                (20., 10.),
                (0., 0.),
                vec![(20., 10.), (0., 10.), (0., 0.)],
            ),
            (
                "round the first corner",
                rectangle(),
                (5., 0.),
                (0., 5.),
                vec![(5., 0.), (0., 0.), (0., 5.)],
            ),
            (
                "round it backwards",
                rectangle(),
                (0., 5.),
                (5., 0.),
                vec![(0., 5.), (0., 0.), (5., 0.)],
            ),
            (
                "round another corner",
                rectangle(),
                (15., 0.),
                (20., 8.),
                vec![(15., 0.), (20., 0.), (20., 8.)],
            ),
            (
                "a line, against its direction",
                bent_line(),
                (15., 10.),
                (5., 0.),
                vec![(15., 10.), (10., 10.), (10., 0.), (5., 0.)],
            ),
        ];
        for (what, shape, from, to, want) in cases {
            let c = |(x, y): (f64, f64)| Coord { x, y };
            let t = trace(&shape, c(from), c(to), 0.01).unwrap_or_else(|e| panic!("{what}: {e}"));
            let want: Vec<Coord<f64>> = want.into_iter().map(c).collect();
            assert_eq!(t.0, want, "{what}");
        }
    }

    #[test]
    fn a_point_off_the_boundary_is_refused() {
        let err = trace(
            &bent_line(),
            Coord { x: 5., y: 3. },
            Coord { x: 5., y: 0. },
            0.5,
        )
        .unwrap_err();
        assert!(matches!(err, GeometryError::NotOnBoundary { .. }));
    }
}
