//! Invalid geometries, one feature at a time: rings stored unclosed or
//! too short, duplicate and spike vertices, self-intersections and rings
//! that cross (geo's OGC validation, run on the cleaned polygon so that a
//! spike is reported as a spike, not also as a self-intersection).

use geo::Validation;
use geo_types::{Coord, LineString, MultiPolygon, Polygon, coord};

use super::load::{Layer, Shape};
use super::{CheckError, CheckOptions, Finding, FindingKind, Fix, in_parallel};
use crate::jobs::Progress;

pub fn check(
    layer: &Layer,
    options: &CheckOptions,
    threads: usize,
    progress: &Progress,
) -> Result<Vec<Finding>, CheckError> {
    in_parallel(layer.shapes.len(), threads, progress, |i, out| {
        out.extend(check_shape(&layer.name, &layer.shapes[i], options));
    })
}

/// What cleaning one ring found.
#[derive(Default)]
struct RingIssues {
    duplicates: Vec<Coord<f64>>,
    spikes: Vec<Coord<f64>>,
    too_short: Option<Coord<f64>>,
}

fn check_shape(layer: &str, shape: &Shape, options: &CheckOptions) -> Vec<Finding> {
    let fid = shape.fid;
    let mut issues = RingIssues::default();
    let cleaned = clean_multipolygon(
        &shape.polygons,
        options.duplicate_tolerance,
        options.spike_angle_deg,
        &mut issues,
    );
    // A feature whose every shell collapsed has nothing to make valid:
    // deleting or redrawing it is the user's call.
    let fix = cleaned
        .0
        .iter()
        .any(|p| p.exterior().0.len() >= 4)
        .then_some(Fix::MakeValid { fid });
    let mut out = Vec::new();
    let mut add = |kind, at: Coord<f64>, vi: String, en: String| {
        out.push(Finding {
            kind,
            layer: layer.to_string(),
            fid: Some(fid),
            other_fids: vec![],
            location: at,
            bounds: shape.bounds,
            area: 0.0,
            message_vi: format!("Đối tượng {fid}: {vi}"),
            message_en: format!("Feature {fid}: {en}"),
            fix: fix.clone(),
        })
    };
    let first = shape
        .polygons
        .0
        .first()
        .and_then(|p| p.exterior().0.first().copied())
        .unwrap_or_else(|| shape.bounds.center());
    if shape.unclosed_rings > 0 {
        let n = shape.unclosed_rings;
        add(
            FindingKind::UnclosedRing,
            first,
            format!("{n} vòng ranh giới không khép kín"),
            format!("{n} ring(s) not closed"),
        );
    }
    if let Some(at) = issues.too_short {
        add(
            FindingKind::TooShortRing,
            at,
            "vòng ranh giới có ít hơn 3 đỉnh phân biệt".into(),
            "a ring has fewer than 3 distinct vertices".into(),
        );
    }
    if let Some(&at) = issues.duplicates.first() {
        let n = issues.duplicates.len();
        add(
            FindingKind::DuplicateVertex,
            at,
            format!("{n} đỉnh trùng nhau liên tiếp"),
            format!("{n} duplicate consecutive vertices"),
        );
    }
    if let Some(&at) = issues.spikes.first() {
        let n = issues.spikes.len();
        add(
            FindingKind::Spike,
            at,
            format!("{n} đỉnh gai (ranh giới đi ra rồi quay lại)"),
            format!("{n} spike vertices (the boundary goes out and straight back)"),
        );
    }
    if issues.too_short.is_none() {
        let mut self_crossing = false;
        let mut rings_wrong = false;
        let _ = cleaned.visit_validation(Box::new(|e| {
            use geo::algorithm::validation::{InvalidMultiPolygon, InvalidPolygon};
            let InvalidMultiPolygon::InvalidPolygon(_, reason) = &e else {
                rings_wrong = true;
                return Ok::<(), ()>(());
            };
            match reason {
                InvalidPolygon::SelfIntersection(_) => self_crossing = true,
                _ => rings_wrong = true,
            }
            Ok(())
        }));
        if self_crossing {
            let at = cleaned
                .0
                .iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .find_map(first_crossing)
                .unwrap_or(first);
            add(
                FindingKind::SelfIntersection,
                at,
                "ranh giới tự cắt nhau".into(),
                "the boundary intersects itself".into(),
            );
        }
        if rings_wrong {
            add(
                FindingKind::InvalidRings,
                first,
                "vòng trong nằm ngoài hoặc cắt vòng ngoài, hay các phần chồng nhau".into(),
                "a hole lies outside or crosses the shell, or parts overlap".into(),
            );
        }
    }
    out
}

/// The polygons without duplicate and spike vertices (see [`clean_ring`]).
pub fn clean(polygons: &MultiPolygon<f64>, tolerance: f64, spike_deg: f64) -> MultiPolygon<f64> {
    clean_multipolygon(polygons, tolerance, spike_deg, &mut RingIssues::default())
}

fn clean_multipolygon(
    polygons: &MultiPolygon<f64>,
    tolerance: f64,
    spike_deg: f64,
    issues: &mut RingIssues,
) -> MultiPolygon<f64> {
    MultiPolygon(
        polygons
            .0
            .iter()
            .map(|p| {
                let exterior = clean_ring(p.exterior(), tolerance, spike_deg, issues);
                let holes = p
                    .interiors()
                    .iter()
                    .map(|r| clean_ring(r, tolerance, spike_deg, issues))
                    .collect();
                Polygon::new(exterior, holes)
            })
            .collect(),
    )
}

/// A closed ring without consecutive duplicates (closer than `tolerance`)
/// and without spikes (vertices where the boundary turns back by more than
/// 180° - `spike_deg`), recording what it removed.
fn clean_ring(
    ring: &LineString<f64>,
    tolerance: f64,
    spike_deg: f64,
    issues: &mut RingIssues,
) -> LineString<f64> {
    // Work on the ring without its closing vertex.
    let mut v: Vec<Coord<f64>> = ring.0.clone();
    if v.len() > 1 && v.first() == v.last() {
        v.pop();
    }
    let mut kept: Vec<Coord<f64>> = Vec::with_capacity(v.len());
    for c in v {
        match kept.last() {
            Some(&last) if distance(last, c) <= tolerance => issues.duplicates.push(c),
            _ => kept.push(c),
        }
    }
    // Removing a spike can leave its two neighbours at one place, or make
    // one of them a spike: repeat until neither is left.
    let limit = spike_deg.to_radians();
    let spikes_before = issues.spikes.len();
    loop {
        let n = kept.len();
        if n < 3 {
            break;
        }
        if let Some(i) = (0..n).find(|&i| distance(kept[i], kept[(i + 1) % n]) <= tolerance) {
            let c = kept.remove((i + 1) % n);
            // Left by a removed spike: part of that finding.
            if issues.spikes.len() == spikes_before {
                issues.duplicates.push(c);
            }
            continue;
        }
        let spike = (0..n).find(|&i| {
            let (a, b, c) = (kept[(i + n - 1) % n], kept[i], kept[(i + 1) % n]);
            turn_back_angle(a, b, c) < limit
        });
        match spike {
            Some(i) => issues.spikes.push(kept.remove(i)),
            None => break,
        }
    }
    if kept.len() < 3 && issues.too_short.is_none() {
        issues.too_short = Some(
            kept.first()
                .or(ring.0.first())
                .copied()
                .unwrap_or(coord! { x: 0.0, y: 0.0 }),
        );
    }
    if let Some(&first) = kept.first() {
        kept.push(first);
    }
    LineString(kept)
}

fn distance(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

/// The angle at `b` between the segments to `a` and to `c`: near 0 when the
/// boundary comes back the way it went.
fn turn_back_angle(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> f64 {
    let (u, w) = (a - b, c - b);
    let cross = u.x * w.y - u.y * w.x;
    let dot = u.x * w.x + u.y * w.y;
    cross.abs().atan2(dot)
}

/// A point where two non-adjacent segments of a ring meet, for the marker.
fn first_crossing(ring: &LineString<f64>) -> Option<Coord<f64>> {
    use geo::line_intersection::{LineIntersection, line_intersection};
    let lines: Vec<_> = ring.lines().collect();
    let n = lines.len();
    // Quadratic, but only run on rings already known to cross.
    for i in 0..n.min(5000) {
        for j in i + 2..n {
            if i == 0 && j == n - 1 {
                continue;
            }
            match line_intersection(lines[i], lines[j]) {
                Some(LineIntersection::SinglePoint { intersection, .. }) => {
                    return Some(intersection);
                }
                Some(LineIntersection::Collinear { intersection }) => {
                    return Some(intersection.start);
                }
                None => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(coords: &[(f64, f64)]) -> LineString<f64> {
        LineString::from(coords.to_vec())
    }

    #[test]
    fn cleaning_removes_duplicates_and_spikes_and_keeps_the_rest() {
        let mut issues = RingIssues::default();
        let spiky = ring(&[
            (0.0, 0.0),
            (10.0, 0.0),
            (10.0, 0.0),
            (10.0, 10.0),
            (5.0, 10.0),
            (5.0, 30.0),
            (5.0001, 10.0),
            (0.0, 10.0),
            (0.0, 0.0),
        ]);
        let clean = clean_ring(&spiky, 0.001, 1.0, &mut issues);
        assert_eq!(issues.duplicates, vec![coord! { x: 10.0, y: 0.0 }]);
        assert_eq!(issues.spikes, vec![coord! { x: 5.0, y: 30.0 }]);
        assert_eq!(clean.0.len(), 6, "{clean:?}");
        assert_eq!(clean.0.first(), clean.0.last());
        assert!(issues.too_short.is_none());
    }

    #[test]
    fn a_square_is_left_alone_and_a_sliver_ring_is_too_short() {
        let mut issues = RingIssues::default();
        let square = ring(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]);
        assert_eq!(clean_ring(&square, 0.001, 1.0, &mut issues), square);
        assert!(issues.duplicates.is_empty() && issues.spikes.is_empty());
        let line = ring(&[(0.0, 0.0), (1.0, 0.0), (0.0, 0.0)]);
        clean_ring(&line, 0.001, 1.0, &mut issues);
        assert!(issues.too_short.is_some());
    }
}
