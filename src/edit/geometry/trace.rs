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

    #[test]
    fn goes_the_shorter_way_round() {
        let t = trace(
            &rectangle(),
            Coord { x: 20., y: 10. },
            Coord { x: 0., y: 0. },
            0.01,
        )
        .unwrap();
        // Via (0,10) is 30 m, via (20,0) is 30 m too: equal, the forward way.
        assert_eq!(t.0.len(), 3);
        let t = trace(
            &rectangle(),
            Coord { x: 5., y: 0. },
            Coord { x: 0., y: 5. },
            0.01,
        )
        .unwrap();
        assert_eq!(
            t.0,
            vec![
                Coord { x: 5., y: 0. },
                Coord { x: 0., y: 0. },
                Coord { x: 0., y: 5. }
            ]
        );
        let t = trace(
            &rectangle(),
            Coord { x: 0., y: 5. },
            Coord { x: 5., y: 0. },
            0.01,
        )
        .unwrap();
        assert_eq!(
            t.0,
            vec![
                Coord { x: 0., y: 5. },
                Coord { x: 0., y: 0. },
                Coord { x: 5., y: 0. }
            ]
        );
        let t = trace(
            &rectangle(),
            Coord { x: 15., y: 0. },
            Coord { x: 20., y: 8. },
            0.01,
        )
        .unwrap();
        assert_eq!(
            t.0,
            vec![
                Coord { x: 15., y: 0. },
                Coord { x: 20., y: 0. },
                Coord { x: 20., y: 8. }
            ]
        );
    }

    #[test]
    fn lines_are_traced_in_either_direction_and_far_points_refused() {
        let line = Geometry::LineString(LineString::from(vec![
            (0., 0.),
            (10., 0.),
            (10., 10.),
            (20., 10.),
        ]));
        let t = trace(
            &line,
            Coord { x: 15., y: 10. },
            Coord { x: 5., y: 0. },
            0.01,
        )
        .unwrap();
        assert_eq!(
            t.0,
            vec![
                Coord { x: 15., y: 10. },
                Coord { x: 10., y: 10. },
                Coord { x: 10., y: 0. },
                Coord { x: 5., y: 0. }
            ]
        );
        let err = trace(&line, Coord { x: 5., y: 3. }, Coord { x: 5., y: 0. }, 0.5).unwrap_err();
        assert!(matches!(err, GeometryError::NotOnBoundary { .. }));
    }
}
