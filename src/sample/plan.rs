//! One commune's layout before it is split into parcels: river and road
//! corridors cut out of its outline, the town's street grid, the blocks
//! between them, its villages and road junctions. It does not depend on
//! the number of parcels asked for, so every sample of the province has
//! the same roads, villages and blocks.

use geo_types::Coord;

use super::network::{Chord, Network};
use super::province::{Commune, Province};
use super::rng::Rng;
use std::collections::HashMap;

use super::split::{Line, Ring, centroid, chords, compactness, is_sliver, signed_area, split};

/// A road of the commune itself (đường xã, or a street of the town).
#[derive(Debug, Clone)]
pub struct LocalRoad {
    pub name: String,
    pub class: &'static str,
    pub width: f64,
    pub surface: &'static str,
    pub from: Coord<f64>,
    pub to: Coord<f64>,
}

/// A piece of a corridor inside the commune: road land (DGT) or water (SON).
#[derive(Debug, Clone)]
pub struct CorridorPiece {
    pub ring: Ring,
    pub water: bool,
}

#[derive(Debug, Clone)]
pub struct Block {
    pub ring: Ring,
    /// Inside the town's street grid (planning lots follow these).
    pub town: bool,
}

pub struct CommunePlan {
    pub corridor_pieces: Vec<CorridorPiece>,
    pub blocks: Vec<Block>,
    pub local_roads: Vec<LocalRoad>,
    /// Every road centre line inside the commune, as segments.
    pub road_segments: Vec<(Coord<f64>, Coord<f64>)>,
    pub water_segments: Vec<(Coord<f64>, Coord<f64>)>,
    pub villages: Vec<Coord<f64>>,
    pub junctions: Vec<Coord<f64>>,
    /// The town or commune centre (the main village).
    pub centre: Coord<f64>,
}

/// The line moved a little where a vertex of a piece it will cut lies on
/// it (or on its parallels at `offsets`): every piece must be cut by the
/// same line, or neighbours would overlap by the difference.
fn clear_line(
    land: &[Ring],
    line: &Line,
    offsets: &[f64],
    eligible: &dyn Fn(&Ring) -> bool,
) -> Line {
    for attempt in 0..8 {
        let l = line.shifted(attempt as f64 * 0.0137);
        let touches = land.iter().filter(|r| eligible(r)).any(|r| {
            r.iter()
                .any(|q| offsets.iter().any(|o| (l.distance(*q) - o).abs() < 1e-5))
        });
        if !touches {
            return l;
        }
    }
    *line
}

/// Cuts the strip of `width` around `line` out of the land pieces that
/// `eligible` accepts, returning the strip's pieces.
fn cut_strip(
    land: &mut Vec<Ring>,
    line: &Line,
    width: f64,
    eligible: impl Fn(&Ring) -> bool,
) -> Vec<Ring> {
    let half = width / 2.0;
    let l = clear_line(land, line, &[-half, half], &eligible);
    let mut strip = Vec::new();
    let mut kept = Vec::with_capacity(land.len() + 4);
    for ring in land.drain(..) {
        let (lo, hi) = ring.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
            let d = l.distance(*p);
            (lo.min(d), hi.max(d))
        });
        if hi <= -half || lo >= half || !eligible(&ring) {
            kept.push(ring);
            continue;
        }
        let Some((outer, left)) = split(&ring, &l.shifted(-half)) else {
            kept.push(ring);
            continue;
        };
        // What the strip would leave on a side as nothing but slivers (the
        // road runs along, a hair off, another road's edge or a boundary
        // that meets it at a small angle) is road land too: no parcel a
        // hair wide.
        let (outer, left) = if !left.is_empty() && left.iter().all(|r| is_sliver(r)) {
            (vec![ring.clone()], Vec::new())
        } else {
            (outer, left)
        };
        let parts: Option<Vec<_>> = outer
            .iter()
            .map(|r| {
                let (right, middle) = split(r, &l.shifted(half))?;
                Some(if !right.is_empty() && right.iter().all(|r| is_sliver(r)) {
                    (Vec::new(), vec![r.clone()])
                } else {
                    (right, middle)
                })
            })
            .collect();
        let Some(parts) = parts else {
            kept.push(ring);
            continue;
        };
        kept.extend(left);
        for (right, middle) in parts {
            kept.extend(right);
            strip.extend(middle);
        }
    }
    *land = kept;
    strip
}

/// Cuts the land pieces along `line` (a block boundary, no corridor).
fn cut(land: &mut Vec<Ring>, line: &Line) {
    let l = clear_line(land, line, &[0.0], &|_| true);
    let mut kept = Vec::with_capacity(land.len() + 2);
    for ring in land.drain(..) {
        match split(&ring, &l) {
            Some((a, b)) => {
                kept.extend(a);
                kept.extend(b);
            }
            None => kept.push(ring),
        }
    }
    *land = kept;
}

/// The ring of `a` and `b` joined along their common boundary: None unless
/// they share one unbroken chain of edges (the same vertices, opposite
/// ways) and the union is a simple ring with the two areas added up.
fn joined(a: &Ring, b: &Ring) -> Option<Ring> {
    let key = |c: Coord<f64>| (c.x.to_bits(), c.y.to_bits());
    let (m, n) = (a.len(), b.len());
    // b's edges, each by its two ends, to the index of its start.
    let b_edges: HashMap<_, usize> = (0..n)
        .map(|k| ((key(b[k]), key(b[(k + 1) % n])), k))
        .collect();
    let shared: Vec<bool> = (0..m)
        .map(|k| b_edges.contains_key(&(key(a[(k + 1) % m]), key(a[k]))))
        .collect();
    let count = shared.iter().filter(|s| **s).count();
    let starts: Vec<usize> = (0..m)
        .filter(|k| shared[*k] && !shared[(k + m - 1) % m])
        .collect();
    let [first] = starts[..] else { return None };
    // The chain runs a[first] .. a[last]; b runs it the other way.
    let last = (first + count) % m;
    let mut out = Vec::with_capacity(m + n);
    let mut k = last;
    loop {
        out.push(a[k]);
        if k == first {
            break;
        }
        k = (k + 1) % m;
    }
    let in_b = (b_edges[&(key(a[(first + 1) % m]), key(a[first]))] + 1) % n;
    let mut k = (in_b + 1) % n;
    while key(b[k]) != key(a[last]) {
        out.push(b[k]);
        k = (k + 1) % n;
        if k == in_b {
            return None;
        }
    }
    let mut seen = std::collections::HashSet::new();
    let simple = out.iter().all(|c| seen.insert(key(*c)));
    let sum = signed_area(a) + signed_area(b);
    (simple && out.len() >= 3 && (signed_area(&out) - sum).abs() <= 1e-6 * sum.abs()).then_some(out)
}

/// A block left as a sliver (a wedge where two roads meet at a small angle,
/// a strip along a bend of the boundary) joins the neighbouring block it
/// makes the roundest piece with, else the road or river piece beside it:
/// no parcel of the sample is a hair-thin sliver.
fn merge_slivers(land: &mut Vec<Ring>, corridor: &mut [CorridorPiece]) {
    let mut i = 0;
    while i < land.len() {
        if !is_sliver(&land[i]) {
            i += 1;
            continue;
        }
        let best = |rings: &mut dyn Iterator<Item = (usize, &Ring)>| {
            rings
                .filter_map(|(j, r)| joined(&land[i], r).map(|m| (j, m)))
                .max_by(|x, y| compactness(&x.1).total_cmp(&compactness(&y.1)))
        };
        if let Some((j, m)) = best(&mut land.iter().enumerate().filter(|(j, _)| *j != i)) {
            land[j] = m;
            land.remove(i);
        } else if let Some((j, m)) = best(&mut corridor.iter().map(|c| &c.ring).enumerate()) {
            corridor[j].ring = m;
            land.remove(i);
        } else {
            i += 1;
        }
    }
}

/// The chords of `line` through the pieces, as road centre segments.
fn centre_segments(
    land: &[Ring],
    line: &Line,
    eligible: impl Fn(&Ring) -> bool,
) -> Vec<(Coord<f64>, Coord<f64>)> {
    land.iter()
        .filter(|r| eligible(r))
        .flat_map(|r| chords(r, line))
        .filter(|(a, b)| b - a > 5.0)
        .map(|(a, b)| (line.point_at(a), line.point_at(b)))
        .collect()
}

fn segment_intersection(
    a: (Coord<f64>, Coord<f64>),
    b: (Coord<f64>, Coord<f64>),
) -> Option<Coord<f64>> {
    let (p, r) = (
        a.0,
        Coord {
            x: a.1.x - a.0.x,
            y: a.1.y - a.0.y,
        },
    );
    let (q, s) = (
        b.0,
        Coord {
            x: b.1.x - b.0.x,
            y: b.1.y - b.0.y,
        },
    );
    let den = r.x * s.y - r.y * s.x;
    if den.abs() < 1e-9 {
        return None;
    }
    let t = ((q.x - p.x) * s.y - (q.y - p.y) * s.x) / den;
    let u = ((q.x - p.x) * r.y - (q.y - p.y) * r.x) / den;
    ((0.0..=1.0).contains(&t) && (0.0..=1.0).contains(&u)).then_some(Coord {
        x: p.x + r.x * t,
        y: p.y + r.y * t,
    })
}

pub fn build(p: &Province, net: &Network, k: usize, rng: &mut Rng) -> CommunePlan {
    let c: &Commune = &p.communes[k];
    let mut land = vec![c.ring()];
    let mut corridor_pieces = Vec::new();
    let mut road_segments = Vec::new();
    let mut water_segments = Vec::new();
    let chords_here: &[Chord] = &net.chords[k];
    for ch in chords_here {
        let corridor = &net.corridors[ch.corridor];
        let line = Line::through(ch.from, ch.to);
        let (t0, t1) = (line.along(ch.from), line.along(ch.to));
        let reach = |r: &Ring| {
            // Only the pieces along the chord: the infinite line may meet
            // the commune again beyond a bend of its boundary.
            let (lo, hi) = r.iter().fold((f64::MAX, f64::MIN), |(lo, hi), q| {
                let t = line.along(*q);
                (lo.min(t), hi.max(t))
            });
            hi >= t0.min(t1) - corridor.width && lo <= t0.max(t1) + corridor.width
        };
        for ring in cut_strip(&mut land, &line, corridor.width, reach) {
            corridor_pieces.push(CorridorPiece {
                ring,
                water: corridor.water,
            });
        }
        if corridor.water {
            water_segments.push((ch.from, ch.to));
        } else {
            road_segments.push((ch.from, ch.to));
        }
    }
    // The commune's own road: through its centre, across the main road
    // (or at a random angle where none passes).
    let main_angle = chords_here
        .iter()
        .find(|ch| !net.corridors[ch.corridor].water)
        .map(|ch| (ch.to.y - ch.from.y).atan2(ch.to.x - ch.from.x));
    let angle = main_angle.map_or(rng.range(0.0, std::f64::consts::PI), |a| {
        a + std::f64::consts::FRAC_PI_2 + rng.range(-0.35, 0.35)
    });
    let centre = Coord {
        x: c.centre.x + rng.range(-300.0, 300.0),
        y: c.centre.y + rng.range(-300.0, 300.0),
    };
    let mut local_roads = Vec::new();
    let short = c.name.split(' ').next_back().unwrap_or("");
    let mut local = |land: &mut Vec<Ring>,
                     pieces: &mut Vec<CorridorPiece>,
                     segs: &mut Vec<(Coord<f64>, Coord<f64>)>,
                     line: Line,
                     width: f64,
                     name: String,
                     class: &'static str,
                     surface: &'static str,
                     eligible: &dyn Fn(&Ring) -> bool| {
        for (a, b) in centre_segments(land, &line, eligible) {
            segs.push((a, b));
            local_roads.push(LocalRoad {
                name: name.clone(),
                class,
                width,
                surface,
                from: a,
                to: b,
            });
        }
        for ring in cut_strip(land, &line, width, eligible) {
            pieces.push(CorridorPiece { ring, water: false });
        }
    };
    // Wards without a street grid get a second road across the first.
    let commune_roads = if c.urban && !c.seat { 2 } else { 1 };
    for r in 0..commune_roads {
        let a = angle + r as f64 * (std::f64::consts::FRAC_PI_2 + rng.range(-0.3, 0.3));
        let through = Coord {
            x: centre.x + rng.range(-200.0, 200.0) * r as f64,
            y: centre.y + rng.range(-200.0, 200.0) * r as f64,
        };
        local(
            &mut land,
            &mut corridor_pieces,
            &mut road_segments,
            Line::at_angle(through, a),
            rng.range(3.0, 5.0),
            format!("Đường xã {short} {}", r + 1),
            "Đường xã",
            if rng.unit() < 0.7 {
                "Bê tông xi măng"
            } else {
                "Cấp phối"
            },
            &|_| true,
        );
    }
    // The town: a square of street blocks around the centre.
    let mut town_pieces: Vec<bool> = Vec::new();
    if c.seat {
        let (streets, spacing) = (2i32, 230.0);
        let half = (streets as f64 + 0.5) * spacing;
        let (u, v) = (
            Line::at_angle(centre, angle),
            Line::at_angle(centre, angle + std::f64::consts::FRAC_PI_2),
        );
        for l in [
            u.shifted(half),
            u.shifted(-half),
            v.shifted(half),
            v.shifted(-half),
        ] {
            cut(&mut land, &l);
        }
        let in_town = move |r: &Ring| {
            let m = centroid(r);
            u.distance(m).abs() < half && v.distance(m).abs() < half
        };
        for s in -streets..=streets {
            for (dir, l) in [(0, u), (1, v)] {
                local(
                    &mut land,
                    &mut corridor_pieces,
                    &mut road_segments,
                    l.shifted(s as f64 * spacing + rng.range(-20.0, 20.0)),
                    if s == 0 { 16.0 } else { 11.0 },
                    format!("Phố {short} {}", 2 * (s + streets) + dir + 1),
                    "Đường đô thị",
                    "Bê tông nhựa",
                    &in_town,
                );
            }
        }
        land.retain(|r| signed_area(r) > 0.5);
        merge_slivers(&mut land, &mut corridor_pieces);
        town_pieces = land.iter().map(in_town).collect();
    }
    land.retain(|r| signed_area(r) > 0.5);
    merge_slivers(&mut land, &mut corridor_pieces);
    town_pieces.resize(land.len(), false);
    corridor_pieces.retain(|r| signed_area(&r.ring) > 0.01);
    let blocks = land
        .into_iter()
        .zip(town_pieces)
        .map(|(ring, town)| Block { ring, town })
        .collect();
    // Junctions: where centre lines cross, and where streets end.
    let mut junctions: Vec<Coord<f64>> = Vec::new();
    for (i, a) in road_segments.iter().enumerate() {
        for b in &road_segments[i + 1..] {
            if let Some(x) = segment_intersection(*a, *b) {
                junctions.push(x);
            }
        }
    }
    for r in &local_roads {
        if r.class == "Đường đô thị" {
            junctions.push(r.from);
            junctions.push(r.to);
        }
    }
    let mut unique: Vec<Coord<f64>> = Vec::new();
    for j in junctions {
        if unique.iter().all(|u| (u.x - j.x).hypot(u.y - j.y) > 25.0) && inside(&c.ring(), j) {
            unique.push(j);
        }
    }
    // Villages: along the roads, a little off the carriageway; the first
    // is the commune centre.
    let mut villages = vec![centre];
    let ring = c.ring();
    let mut tries = 0;
    while villages.len() < 4 && tries < 40 {
        tries += 1;
        let (a, b) = road_segments[rng.below(road_segments.len())];
        let t = rng.range(0.15, 0.85);
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len = dx.hypot(dy).max(1.0);
        let off = rng.range(40.0, 160.0) * if rng.unit() < 0.5 { -1.0 } else { 1.0 };
        let at = Coord {
            x: a.x + dx * t - dy / len * off,
            y: a.y + dy * t + dx / len * off,
        };
        let spaced = villages
            .iter()
            .all(|v| (v.x - at.x).hypot(v.y - at.y) > 900.0);
        if spaced && inside(&ring, at) {
            villages.push(at);
        }
    }
    CommunePlan {
        corridor_pieces,
        blocks,
        local_roads,
        road_segments,
        water_segments,
        villages,
        junctions: unique,
        centre,
    }
}

/// Whether `p` is inside the ring (even-odd).
pub fn inside(ring: &[Coord<f64>], p: Coord<f64>) -> bool {
    let n = ring.len();
    let mut odd = false;
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        if (a.y > p.y) != (b.y > p.y) && p.x < a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x) {
            odd = !odd;
        }
    }
    odd
}

/// Distance from `p` to the nearest of the segments (f64::MAX if none).
pub fn distance_to(segments: &[(Coord<f64>, Coord<f64>)], p: Coord<f64>) -> f64 {
    segments
        .iter()
        .map(|(a, b)| {
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            let l2 = dx * dx + dy * dy;
            let t = if l2 > 0.0 {
                (((p.x - a.x) * dx + (p.y - a.y) * dy) / l2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            (p.x - a.x - dx * t).hypot(p.y - a.y - dy * t)
        })
        .fold(f64::MAX, f64::min)
}
