//! Land parcels: each commune's blocks split recursively (the largest
//! piece for its land use first) until the commune holds its share of the
//! parcels asked for; with the road and river pieces they tile the commune
//! exactly. Land use follows the landscape: rice in the plains, orchards
//! and forest in the hills, residential land around villages, along roads
//! and in towns, fish ponds by the rivers.

use std::collections::BinaryHeap;

use geo_types::{Coord, Geometry, LineString, Polygon};
use rstar::{AABB, RTree};

use super::plan::{CommunePlan, distance_to};
use super::province::{Commune, Province};
use super::rng::{Rng, hash_unit};
use super::split::{
    Line, Ring, SLIVER, centroid, closed, compactness, has_sharp_corner, is_convex, signed_area,
    split,
};
use crate::model::{Feature, FieldValue};

/// How many parcels each commune gets: at least its blocks and corridor
/// pieces, the rest of `total` shared by area, towns denser, hills sparser.
pub fn quotas(p: &Province, plans: &[CommunePlan], total: usize) -> Vec<usize> {
    let min: Vec<usize> = plans
        .iter()
        .map(|pl| pl.blocks.len() + pl.corridor_pieces.len())
        .collect();
    let floor: usize = min.iter().sum();
    let extra = total.saturating_sub(floor);
    let weights: Vec<f64> = p
        .communes
        .iter()
        .map(|c| {
            let a = signed_area(&c.ring());
            a * if c.urban { 4.0 } else { 1.0 } * if c.mountainous { 0.5 } else { 1.0 }
        })
        .collect();
    let sum: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| w / sum * extra as f64).collect();
    let mut q: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut left = extra - q.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..q.len()).collect();
    order.sort_by(|a, b| {
        (exact[*b] - q[*b] as f64)
            .total_cmp(&(exact[*a] - q[*a] as f64))
            .then(a.cmp(b))
    });
    for k in order {
        if left == 0 {
            break;
        }
        q[k] += 1;
        left -= 1;
    }
    q.iter().zip(&min).map(|(a, b)| a + b).collect()
}

/// A smooth field in [-1, 1] (land-use patches a few hundred metres across).
fn field(at: Coord<f64>, seed: u64) -> f64 {
    let ph = |k: u64| hash_unit(seed, k) * std::f64::consts::PI;
    let a = (at.x / 610.0 + ph(1)).sin() * (at.y / 540.0 + ph(2)).cos();
    let b = ((at.x + at.y) / 290.0 + ph(3)).sin() * 0.5;
    let c = ((at.x - 0.6 * at.y) / 1700.0 + ph(4)).sin() * 0.6;
    ((a + b + c) / 1.6).clamp(-1.0, 1.0)
}

/// One pick from a weighted table, the same for every point of a ~`cell` m patch.
fn patch(at: Coord<f64>, cell: f64, seed: u64, table: &[(&'static str, f64)]) -> &'static str {
    let key = ((at.x / cell).floor() as i64 as u64).wrapping_mul(0x9E37_79B9)
        ^ ((at.y / cell).floor() as i64 as u64);
    let x = (hash_unit(key, seed) + 1.0) / 2.0 * table.iter().map(|t| t.1).sum::<f64>();
    let mut acc = 0.0;
    for (code, w) in table {
        acc += w;
        if x < acc {
            return code;
        }
    }
    table[table.len() - 1].0
}

/// The land-use code at a parcel's centre.
pub fn landuse(p: &Province, c: &Commune, plan: &CommunePlan, at: Coord<f64>) -> &'static str {
    let hill = p.terrain(at) + 0.12 * field(at, 11);
    let n2 = field(at, 12);
    let n3 = field(at, 13);
    let d_road = distance_to(&plan.road_segments, at);
    let d_village = plan
        .villages
        .iter()
        .map(|v| (v.x - at.x).hypot(v.y - at.y))
        .fold(f64::MAX, f64::min);
    let d_centre = (plan.centre.x - at.x).hypot(plan.centre.y - at.y);
    let d_water = distance_to(&plan.water_segments, at);
    let town = if c.seat { 700.0 } else { 450.0 };
    if c.urban && d_centre < town {
        return patch(
            at,
            140.0,
            1,
            &[
                ("ODT", 62.0),
                ("TMD", 10.0),
                ("DGD", 5.0),
                ("DYT", 2.0),
                ("TSC", 4.0),
                ("DCH", 2.0),
                ("DVH", 3.0),
                ("DTT", 2.0),
                ("DKV", 4.0),
                ("SKC", 3.0),
                ("TON", 1.0),
                ("TIN", 2.0),
            ],
        );
    }
    if c.urban && d_centre < 2600.0 && n3 > 0.5 && hill < 0.4 {
        return if n2 > 0.0 { "SKK" } else { "SKN" };
    }
    let village = d_village < 200.0 + 90.0 * n2 || (d_road < 40.0 && d_village < 700.0);
    if village || (c.urban && d_road < 60.0) {
        if d_village < 70.0 {
            return patch(
                at,
                60.0,
                2,
                &[
                    ("DGD", 3.0),
                    ("TSC", 2.0),
                    ("DVH", 2.0),
                    ("DCH", 1.0),
                    ("TIN", 1.0),
                ],
            );
        }
        return if c.urban { "ODT" } else { "ONT" };
    }
    if d_water < 260.0 && n2 > 0.15 {
        return "NTS";
    }
    if hill > 0.62 {
        return if n3 > 0.45 { "RPH" } else { "RSX" };
    }
    if hill > 0.38 {
        return if n2 > 0.3 {
            "LNQ"
        } else if n2 < -0.35 {
            "RSX"
        } else if n3 > 0.6 {
            "BHK"
        } else {
            "CLN"
        };
    }
    if n2 < -0.6 {
        "BHK"
    } else if n2 > 0.75 {
        "NTS"
    } else if n3.abs() < 0.025 {
        "NTD"
    } else if n3 > -0.35 {
        "LUC"
    } else {
        "LUK"
    }
}

/// A parcel's usual size relative to a house plot: the split order.
fn relative_size(code: &str) -> f64 {
    match code {
        "ODT" => 1.0,
        "ONT" => 1.6,
        "LUC" | "LUK" | "BHK" => 4.0,
        "NTS" | "CLN" | "LNQ" => 6.0,
        "RSX" | "SKK" | "SKN" => 25.0,
        "RPH" => 40.0,
        _ => 5.0,
    }
}

/// Splits a piece across its longer extent (and, in `cross` splits, along
/// it too, so four parcels meet at one corner). Pieces are aligned with
/// their longest edge, which is mostly a road or a block side.
pub fn split_piece(ring: &Ring, rng: &mut Rng, budget: usize) -> Option<Vec<Ring>> {
    let n = ring.len();
    let (mut best, mut angle) = (0.0, 0.0);
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        let l = (b.x - a.x).hypot(b.y - a.y);
        if l > best {
            best = l;
            angle = (b.y - a.y).atan2(b.x - a.x);
        }
    }
    let o = ring[0];
    // u runs along the longest edge, v across it: u = -along.distance,
    // v = across.distance.
    let along = Line::at_angle(o, angle + std::f64::consts::FRAC_PI_2);
    let across = Line::at_angle(o, angle);
    let (mut u0, mut u1, mut v0, mut v1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for q in ring {
        let (u, v) = (-along.distance(*q), across.distance(*q));
        u0 = u0.min(u);
        u1 = u1.max(u);
        v0 = v0.min(v);
        v1 = v1.max(v);
    }
    let (lu, lv) = (u1 - u0, v1 - v0);
    let cut_u = |f: f64| along.shifted(-(u0 + f * lu));
    let cut_v = |f: f64| across.shifted(v0 + f * lv);
    let area = signed_area(ring);
    let cross = budget >= 3 && lu < 1.7 * lv && lv < 1.7 * lu && rng.unit() < 0.6;
    let first = if lu >= lv {
        cut_u(rng.range(0.38, 0.62))
    } else {
        cut_v(rng.range(0.38, 0.62))
    };
    let mut lines = vec![first];
    if cross {
        lines.push(if lu >= lv {
            cut_v(rng.range(0.4, 0.6))
        } else {
            cut_u(rng.range(0.4, 0.6))
        });
    }
    for attempt in 0..4 {
        let mut pieces = vec![ring.clone()];
        let mut ok = true;
        for l in &lines {
            let l = l.shifted(attempt as f64 * 0.0213);
            let mut next = Vec::new();
            for r in &pieces {
                match split(r, &l) {
                    Some((a, b)) => {
                        next.extend(a);
                        next.extend(b);
                    }
                    None => ok = false,
                }
            }
            pieces = next;
        }
        if !ok {
            continue;
        }
        // No piece thinner than the one cut (a thin block's pieces may be
        // as thin as the block, no thinner).
        let thin = SLIVER.min(compactness(ring));
        let sliver = pieces
            .iter()
            .any(|r| signed_area(r) < area * 0.02 || has_sharp_corner(r) || compactness(r) < thin);
        if pieces.len() < 2 || pieces.len() - 1 > budget || sliver {
            return None;
        }
        return Some(pieces);
    }
    None
}

struct Piece {
    ring: Ring,
    code: &'static str,
    hole: Option<Ring>,
}

fn priority(area: f64, code: &str) -> u64 {
    // Positive f64s order like their bit patterns.
    (area / relative_size(code)).max(0.0).to_bits()
}

/// Splits the largest pieces (for their land use) until `target` pieces.
fn split_until(
    p: &Province,
    c: &Commune,
    plan: &CommunePlan,
    pieces: &mut Vec<Piece>,
    target: usize,
    rng: &mut Rng,
    skip: &[bool],
) {
    let mut heap: BinaryHeap<(u64, usize)> = pieces
        .iter()
        .enumerate()
        .filter(|(i, _)| !skip.get(*i).copied().unwrap_or(false))
        .map(|(i, pc)| (priority(signed_area(&pc.ring), pc.code), i))
        .collect();
    let mut dead: Vec<bool> = vec![false; pieces.len()];
    let mut live = pieces.len();
    while live < target {
        let Some((_, i)) = heap.pop() else { break };
        if signed_area(&pieces[i].ring) < 30.0 {
            continue;
        }
        let Some(parts) = split_piece(&pieces[i].ring, rng, target - live) else {
            continue;
        };
        dead[i] = true;
        live += parts.len() - 1;
        for ring in parts {
            let code = landuse(p, c, plan, centroid(&ring));
            heap.push((priority(signed_area(&ring), code), pieces.len()));
            pieces.push(Piece {
                ring,
                code,
                hole: None,
            });
            dead.push(false);
        }
    }
    let mut k = 0;
    pieces.retain(|_| {
        k += 1;
        !dead[k - 1]
    });
}

/// A fish pond or garden pond in a field: a smaller copy of the parcel at
/// its centre, a parcel of its own (NTS) in the field's hole.
fn pond(host: &Ring) -> Ring {
    let m = centroid(host);
    host.iter()
        .map(|q| Coord {
            x: m.x + (q.x - m.x) * 0.3,
            y: m.y + (q.y - m.y) * 0.3,
        })
        .collect()
}

/// Where a cut ended on a neighbour's edge, the neighbour gets that vertex
/// too: neighbours then share every vertex of their common boundary, as
/// in a topologically clean cadastre (and overlay code that snaps to a
/// grid sees the very same edges on both sides). `extra`: the vertices the
/// neighbouring communes' parcels put on this commune's boundary.
fn close_t_junctions(pieces: &mut [Piece], extra: &RTree<[f64; 2]>) {
    let mut all: Vec<[f64; 2]> = pieces
        .iter()
        .flat_map(|pc| pc.ring.iter().map(|q| [q.x, q.y]))
        .collect();
    all.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    all.dedup();
    let tree = RTree::bulk_load(all);
    for pc in pieces.iter_mut() {
        pc.ring = with_points_on_edges(&pc.ring, &[&tree, extra]);
    }
}

/// The ring with every point of the trees that lies on one of its edges
/// (within a micrometre) inserted into that edge, in order.
pub fn with_points_on_edges(ring: &[Coord<f64>], trees: &[&RTree<[f64; 2]>]) -> Ring {
    let n = ring.len();
    let mut out = Vec::with_capacity(n + 4);
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        out.push(a);
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len = dx.hypot(dy);
        if len < 1e-6 {
            continue;
        }
        let e = 1e-6;
        let env = AABB::from_corners(
            [a.x.min(b.x) - e, a.y.min(b.y) - e],
            [a.x.max(b.x) + e, a.y.max(b.y) + e],
        );
        let mut on: Vec<(f64, Coord<f64>)> = trees
            .iter()
            .flat_map(|tree| tree.locate_in_envelope(&env))
            .filter_map(|q| {
                let c = Coord { x: q[0], y: q[1] };
                let t = ((c.x - a.x) * dx + (c.y - a.y) * dy) / len;
                let d = ((c.y - a.y) * dx - (c.x - a.x) * dy) / len;
                (d.abs() < 1e-6 && t > 1e-6 && t < len - 1e-6).then_some((t, c))
            })
            .collect();
        on.sort_by(|x, y| x.0.total_cmp(&y.0));
        on.dedup_by(|x, y| x.1 == y.1);
        out.extend(on.into_iter().map(|(_, c)| c));
    }
    out
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

/// Streams commune `k`'s parcels (its quota, corridor pieces included).
pub fn commune_parcels<E>(
    p: &Province,
    plan: &CommunePlan,
    k: usize,
    quota: usize,
    rng: &mut Rng,
    extra: &RTree<[f64; 2]>,
    sink: &mut impl FnMut(Feature) -> Result<(), E>,
) -> Result<(), E> {
    let c = &p.communes[k];
    let mut pieces: Vec<Piece> = plan
        .blocks
        .iter()
        .map(|b| Piece {
            code: landuse(p, c, plan, centroid(&b.ring)),
            ring: b.ring.clone(),
            hole: None,
        })
        .collect();
    let land = quota.saturating_sub(plan.corridor_pieces.len());
    let ponds = land / 45;
    split_until(p, c, plan, &mut pieces, land - ponds, rng, &[]);
    let mut made = 0;
    let mut hosts = vec![false; pieces.len()];
    for i in 0..pieces.len() {
        if made == ponds {
            break;
        }
        let pc = &pieces[i];
        if matches!(pc.code, "LUC" | "LUK" | "BHK" | "CLN" | "ONT")
            && signed_area(&pc.ring) > 600.0
            && is_convex(&pc.ring)
            && hash_unit(k as u64, i as u64) > 0.3
        {
            let water = pond(&pc.ring);
            let mut hole = water.clone();
            hole.reverse();
            pieces[i].hole = Some(hole);
            hosts[i] = true;
            pieces.push(Piece {
                ring: water,
                code: "NTS",
                hole: None,
            });
            hosts.push(true);
            made += 1;
        }
    }
    if made < ponds {
        let target = pieces.len() + ponds - made;
        split_until(p, c, plan, &mut pieces, target, rng, &hosts);
    }
    for cp in &plan.corridor_pieces {
        pieces.push(Piece {
            ring: cp.ring.clone(),
            code: if cp.water { "SON" } else { "DGT" },
            hole: None,
        });
    }
    close_t_junctions(&mut pieces, extra);
    // Cadastral sheets: 1.5 km squares over the commune, parcels numbered
    // within each sheet from north-west.
    let (x0, y1) = c
        .polygon
        .exterior()
        .0
        .iter()
        .fold((f64::MAX, f64::MIN), |(x, y), q| (x.min(q.x), y.max(q.y)));
    let keyed: Vec<(i64, i64, i64, usize)> = pieces
        .iter()
        .enumerate()
        .map(|(i, pc)| {
            let m = centroid(&pc.ring);
            let (col, row) = (((m.x - x0) / 1500.0) as i64, ((y1 - m.y) / 1500.0) as i64);
            (
                row * 8 + col + 1,
                (y1 - m.y) as i64 / 50,
                (m.x - x0) as i64,
                i,
            )
        })
        .collect();
    let mut order = keyed;
    order.sort_unstable();
    let mut sheet = -1;
    let mut number = 0;
    for (s, _, _, i) in order {
        if s != sheet {
            sheet = s;
            number = 0;
        }
        number += 1;
        let pc = &pieces[i];
        let holes: Vec<LineString<f64>> = pc.hole.iter().map(|h| closed(h)).collect();
        let area = signed_area(&pc.ring) + pc.hole.as_ref().map_or(0.0, |h| signed_area(h));
        let polygon = Polygon::new(closed(&pc.ring), holes);
        sink(Feature::new(
            Some(Geometry::Polygon(polygon)),
            vec![
                FieldValue::Text(pc.code.to_string()),
                FieldValue::Real(round(area, 1)),
                FieldValue::Integer(s),
                FieldValue::Integer(number),
                FieldValue::Text(c.code.clone()),
                FieldValue::Integer(2024),
            ],
        ))?;
    }
    Ok(())
}
