//! Exact areas of polygon overlays without building the overlay polygons.
//!
//! The area of `A ∩ B` is what land statistics and transition matrices
//! need, a million times over. Clipping a closed ring by a convex window
//! (Sutherland–Hodgman) keeps the ring's winding number at every point of
//! the window, so the signed area of the clipped ring is the area of the
//! ring's part inside the window, even for a concave ring; the seams the
//! clip leaves along the window's edges have no area. A polygon's rings,
//! oriented so that exteriors count +1 and holes −1, therefore give
//! `area(A ∩ W) = Σ signed_area(clip(ring, W))` for a convex `W`, and a
//! concave `B` is cut into convex pieces (its ear-cut triangles) whose
//! interiors do not overlap. This costs a few hundred multiplications for
//! a parcel, where a general boolean overlay costs tens of microseconds.
//!
//! Shoelace sums are taken relative to a local origin: VN-2000 coordinates
//! are in the millions and would otherwise cost the centimetre-square
//! accuracy the statistics promise.

use geo::{Area, BoundingRect, TriangulateEarcut};
use geo_types::{Coord, MultiPolygon, Polygon, Rect};

/// An open ring (the closing point is not repeated).
pub type Ring = Vec<Coord<f64>>;

/// Signed area of an open ring: positive counter-clockwise.
pub fn signed_area(ring: &[Coord<f64>]) -> f64 {
    let Some(&o) = ring.first() else {
        return 0.0;
    };
    let mut twice = 0.0;
    for i in 1..ring.len().saturating_sub(1) {
        let (p, q) = (ring[i] - o, ring[i + 1] - o);
        twice += p.x * q.y - q.x * p.y;
    }
    twice / 2.0
}

/// The rings of a (multi)polygon, oriented so their signed areas add up
/// to its area: exteriors counter-clockwise, holes clockwise.
pub fn oriented_rings(mp: &MultiPolygon<f64>) -> Vec<Ring> {
    let mut rings = Vec::new();
    for p in &mp.0 {
        push_ring(&mut rings, &p.exterior().0, true);
        for hole in p.interiors() {
            push_ring(&mut rings, &hole.0, false);
        }
    }
    rings
}

fn push_ring(rings: &mut Vec<Ring>, coords: &[Coord<f64>], exterior: bool) {
    let mut ring: Ring = Vec::with_capacity(coords.len());
    for &c in coords {
        if ring.last() != Some(&c) {
            ring.push(c);
        }
    }
    if ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    if ring.len() < 3 {
        return;
    }
    let a = signed_area(&ring);
    if (a > 0.0) != exterior && a != 0.0 {
        ring.reverse();
    }
    rings.push(ring);
}

/// Sum of the rings' signed areas.
pub fn rings_area(rings: &[Ring]) -> f64 {
    rings.iter().map(|r| signed_area(r)).sum()
}

/// Whether an oriented (counter-clockwise) open ring is convex: every turn
/// is to the left (collinear points allowed).
fn is_convex_ccw(ring: &[Coord<f64>]) -> bool {
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let o = ring[0];
    (0..n).all(|i| {
        let (a, b, c) = (ring[i] - o, ring[(i + 1) % n] - o, ring[(i + 2) % n] - o);
        let cross = (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x);
        // A tolerance relative to the edge lengths: collinear vertices
        // from digitising count as straight.
        let scale =
            ((b.x - a.x).abs() + (b.y - a.y).abs()) * ((c.x - b.x).abs() + (c.y - b.y).abs());
        cross >= -1e-12 * scale
    })
}

/// Cuts a (multi)polygon into convex, counter-clockwise pieces whose
/// interiors do not overlap and which together cover it: a convex polygon
/// without holes is its own piece, others are ear-cut into triangles.
pub fn convex_pieces(mp: &MultiPolygon<f64>) -> Vec<Ring> {
    let mut pieces = Vec::new();
    for p in &mp.0 {
        if p.interiors().is_empty() {
            let mut rings = Vec::new();
            push_ring(&mut rings, &p.exterior().0, true);
            if let Some(ring) = rings.pop()
                && is_convex_ccw(&ring)
            {
                pieces.push(ring);
                continue;
            }
        }
        triangles_into(p, &mut pieces);
    }
    pieces
}

fn triangles_into(p: &Polygon<f64>, pieces: &mut Vec<Ring>) {
    for t in p.earcut_triangles_iter() {
        let mut ring = vec![t.v1(), t.v2(), t.v3()];
        let a = signed_area(&ring);
        if a == 0.0 {
            continue;
        }
        if a < 0.0 {
            ring.reverse();
        }
        pieces.push(ring);
    }
}

/// Clips `input` to the side of a line where `distance` is ≥ 0
/// (Sutherland–Hodgman, one plane). `distance` must be affine.
fn clip_plane(input: &[Coord<f64>], out: &mut Ring, distance: impl Fn(Coord<f64>) -> f64) {
    out.clear();
    let Some(&last) = input.last() else {
        return;
    };
    let mut prev = last;
    let mut d_prev = distance(prev);
    for &cur in input {
        let d_cur = distance(cur);
        if d_cur >= 0.0 {
            if d_prev < 0.0 {
                out.push(crossing(prev, cur, d_prev, d_cur));
            }
            out.push(cur);
        } else if d_prev > 0.0 {
            out.push(crossing(prev, cur, d_prev, d_cur));
        }
        prev = cur;
        d_prev = d_cur;
    }
}

fn crossing(p: Coord<f64>, q: Coord<f64>, dp: f64, dq: f64) -> Coord<f64> {
    let t = dp / (dp - dq);
    Coord {
        x: p.x + t * (q.x - p.x),
        y: p.y + t * (q.y - p.y),
    }
}

/// Reusable buffers for clipping.
#[derive(Default)]
pub struct Clipper {
    a: Ring,
    b: Ring,
}

impl Clipper {
    /// Signed area of `ring` inside the convex counter-clockwise `window`.
    pub fn area_in_convex(&mut self, ring: &[Coord<f64>], window: &[Coord<f64>]) -> f64 {
        self.a.clear();
        self.a.extend_from_slice(ring);
        let n = window.len();
        for i in 0..n {
            let (p, q) = (window[i], window[(i + 1) % n]);
            let (dx, dy) = (q.x - p.x, q.y - p.y);
            clip_plane(&self.a, &mut self.b, |c| {
                dx * (c.y - p.y) - dy * (c.x - p.x)
            });
            std::mem::swap(&mut self.a, &mut self.b);
            if self.a.len() < 3 {
                return 0.0;
            }
        }
        signed_area(&self.a)
    }

    /// The part of `ring` inside an axis-aligned box, as a ring (empty
    /// when none of it is).
    pub fn clip_to_rect(&mut self, ring: &[Coord<f64>], rect: Rect<f64>) -> Ring {
        let (min, max) = (rect.min(), rect.max());
        self.a.clear();
        self.a.extend_from_slice(ring);
        clip_plane(&self.a, &mut self.b, |c| c.x - min.x);
        clip_plane(&self.b, &mut self.a, |c| max.x - c.x);
        clip_plane(&self.a, &mut self.b, |c| c.y - min.y);
        clip_plane(&self.b, &mut self.a, |c| max.y - c.y);
        if self.a.len() < 3 {
            Vec::new()
        } else {
            self.a.clone()
        }
    }

    /// Area of the oriented `rings` inside `rect`.
    pub fn area_in_rect(&mut self, rings: &[Ring], rect: Rect<f64>) -> f64 {
        rings
            .iter()
            .map(|r| {
                let clipped = self.clip_to_rect(r, rect);
                signed_area(&clipped)
            })
            .sum()
    }

    /// Area of `rings ∩ pieces`: the oriented rings of one polygon against
    /// the convex pieces of another.
    pub fn area_in_pieces(&mut self, rings: &[Ring], pieces: &[Ring]) -> f64 {
        let mut area = 0.0;
        for piece in pieces {
            for ring in rings {
                area += self.area_in_convex(ring, piece);
            }
        }
        area
    }
}

/// The bounding box of open rings.
pub fn rings_bbox(rings: &[Ring]) -> Option<Rect<f64>> {
    let mut it = rings.iter().flatten();
    let first = *it.next()?;
    let (mut min, mut max) = (first, first);
    for c in it {
        min.x = min.x.min(c.x);
        min.y = min.y.min(c.y);
        max.x = max.x.max(c.x);
        max.y = max.y.max(c.y);
    }
    Some(Rect::new(min, max))
}

/// Area of the overlap of two boxes (0 when they only touch).
pub fn overlap_area(a: Rect<f64>, b: Rect<f64>) -> f64 {
    let w = a.max().x.min(b.max().x) - a.min().x.max(b.min().x);
    let h = a.max().y.min(b.max().y) - a.min().y.max(b.min().y);
    if w > 0.0 && h > 0.0 { w * h } else { 0.0 }
}

/// What one grid cell holds of one zone.
enum CellPart {
    /// The cell lies wholly inside the zone.
    Full,
    /// The zone's rings clipped to the cell, and their bounding box.
    Partial(Vec<Ring>, Rect<f64>),
}

/// A polygon measured against a [`ZoneGrid`]: its oriented rings, their
/// box and area, and its convex pieces, computed on first need.
pub struct Subject<'a> {
    pub rings: &'a [Ring],
    pub bbox: Rect<f64>,
    pub area: f64,
    pub polygon: &'a MultiPolygon<f64>,
    pub pieces: Option<Vec<Ring>>,
}

/// A set of zones (communes, districts, a drawn polygon) cut along a
/// regular grid, so that a parcel is measured against the few small
/// pieces of zone boundary in its cells instead of a commune's whole
/// outline, and a parcel in a cell wholly inside one zone costs nothing.
/// Zones are expected not to overlap; where they do, a parcel counts in
/// each.
pub struct ZoneGrid {
    origin: Coord<f64>,
    cell: f64,
    cols: usize,
    rows: usize,
    cells: Vec<Vec<(u32, CellPart)>>,
    areas: Vec<f64>,
}

impl ZoneGrid {
    /// Builds the grid; `cells_per_zone` sets the cell size (about that
    /// many cells in an average zone's box).
    pub fn new(zones: &[MultiPolygon<f64>], cells_per_zone: f64) -> ZoneGrid {
        let boxes: Vec<Option<Rect<f64>>> = zones.iter().map(|z| z.bounding_rect()).collect();
        let areas: Vec<f64> = zones.iter().map(|z| z.unsigned_area()).collect();
        let extent = boxes.iter().flatten().copied().reduce(|a, b| {
            Rect::new(
                Coord {
                    x: a.min().x.min(b.min().x),
                    y: a.min().y.min(b.min().y),
                },
                Coord {
                    x: a.max().x.max(b.max().x),
                    y: a.max().y.max(b.max().y),
                },
            )
        });
        let Some(extent) = extent else {
            return ZoneGrid {
                origin: Coord { x: 0.0, y: 0.0 },
                cell: 1.0,
                cols: 0,
                rows: 0,
                cells: Vec::new(),
                areas,
            };
        };
        let mean_box: f64 = boxes
            .iter()
            .flatten()
            .map(|b| b.width() * b.height())
            .sum::<f64>()
            / boxes.iter().flatten().count() as f64;
        let mut cell = (mean_box / cells_per_zone.max(1.0)).sqrt();
        // At most ~4 million cells, and never a zero size for a degenerate box.
        let span = extent.width().max(extent.height()).max(1e-6);
        cell = cell.max(span / 2000.0).max(1e-6);
        let origin = extent.min();
        let cols = ((extent.width() / cell).floor() as usize + 1).max(1);
        let rows = ((extent.height() / cell).floor() as usize + 1).max(1);
        let mut grid = ZoneGrid {
            origin,
            cell,
            cols,
            rows,
            cells: (0..cols * rows).map(|_| Vec::new()).collect(),
            areas,
        };
        let mut clipper = Clipper::default();
        for (z, zone) in zones.iter().enumerate() {
            let Some(bbox) = boxes[z] else { continue };
            let rings = oriented_rings(zone);
            let (c0, r0) = grid.cell_of(bbox.min());
            let (c1, r1) = grid.cell_of(bbox.max());
            for c in c0..=c1 {
                // A column strip first, so each cell clips a short ring.
                let strip = Rect::new(
                    Coord {
                        x: grid.x(c),
                        y: bbox.min().y,
                    },
                    Coord {
                        x: grid.x(c + 1),
                        y: bbox.max().y,
                    },
                );
                let strip_rings: Vec<Ring> = rings
                    .iter()
                    .map(|r| clipper.clip_to_rect(r, strip))
                    .filter(|r| !r.is_empty())
                    .collect();
                if strip_rings.is_empty() {
                    continue;
                }
                for r in r0..=r1 {
                    let rect = grid.cell_rect(c, r);
                    let pieces: Vec<Ring> = strip_rings
                        .iter()
                        .map(|ring| clipper.clip_to_rect(ring, rect))
                        .filter(|ring| !ring.is_empty())
                        .collect();
                    let area = rings_area(&pieces);
                    let cell_area = rect.width() * rect.height();
                    if area.abs() <= 1e-9 * cell_area {
                        continue;
                    }
                    let part = if (area - cell_area).abs() <= 1e-9 * cell_area {
                        CellPart::Full
                    } else {
                        let b = rings_bbox(&pieces).expect("pieces have points");
                        CellPart::Partial(pieces, b)
                    };
                    grid.cells[r * cols + c].push((z as u32, part));
                }
            }
        }
        grid
    }

    /// The zone's area (as computed from its geometry).
    pub fn zone_area(&self, zone: usize) -> f64 {
        self.areas[zone]
    }

    fn x(&self, c: usize) -> f64 {
        self.origin.x + c as f64 * self.cell
    }

    fn y(&self, r: usize) -> f64 {
        self.origin.y + r as f64 * self.cell
    }

    fn cell_rect(&self, c: usize, r: usize) -> Rect<f64> {
        Rect::new(
            Coord {
                x: self.x(c),
                y: self.y(r),
            },
            Coord {
                x: self.x(c + 1),
                y: self.y(r + 1),
            },
        )
    }

    fn cell_of(&self, p: Coord<f64>) -> (usize, usize) {
        let c = ((p.x - self.origin.x) / self.cell).floor();
        let r = ((p.y - self.origin.y) / self.cell).floor();
        (
            (c.max(0.0) as usize).min(self.cols - 1),
            (r.max(0.0) as usize).min(self.rows - 1),
        )
    }

    /// The area of a polygon in each zone it meets: `(zone, area)` pairs
    /// added to `out` (which is cleared first), one per zone, with zero
    /// areas left out.
    pub fn shares(
        &self,
        subject: &mut Subject<'_>,
        clipper: &mut Clipper,
        out: &mut Vec<(u32, f64)>,
    ) {
        let Subject {
            rings,
            bbox,
            area,
            polygon,
            pieces,
        } = subject;
        let (rings, bbox, area) = (*rings, *bbox, *area);
        out.clear();
        if self.cells.is_empty() {
            return;
        }
        let lo = bbox.min();
        let hi = bbox.max();
        if hi.x < self.origin.x
            || hi.y < self.origin.y
            || lo.x > self.x(self.cols)
            || lo.y > self.y(self.rows)
        {
            return;
        }
        let (c0, r0) = self.cell_of(lo);
        let (c1, r1) = self.cell_of(hi);
        // A box wholly in one cell (not merely clamped to the grid's edge).
        let single_cell = c0 == c1 && r0 == r1 && {
            let cell = self.cell_rect(c0, r0);
            lo.x >= cell.min().x
                && lo.y >= cell.min().y
                && hi.x <= cell.max().x
                && hi.y <= cell.max().y
        };
        for r in r0..=r1 {
            for c in c0..=c1 {
                let cell = &self.cells[r * self.cols + c];
                if cell.is_empty() {
                    continue;
                }
                // The polygon's part in this cell, measured once for all
                // the zones wholly covering it.
                let mut in_cell: Option<f64> = None;
                for (zone, part) in cell {
                    let a = match part {
                        CellPart::Full => *in_cell.get_or_insert_with(|| {
                            if single_cell {
                                area
                            } else {
                                clipper.area_in_rect(rings, self.cell_rect(c, r))
                            }
                        }),
                        CellPart::Partial(zone_rings, zone_box) => {
                            if overlap_area(*zone_box, bbox) == 0.0 {
                                continue;
                            }
                            let pieces = pieces.get_or_insert_with(|| convex_pieces(polygon));
                            clipper.area_in_pieces(zone_rings, pieces)
                        }
                    };
                    if a == 0.0 {
                        continue;
                    }
                    match out.iter_mut().find(|(z, _)| z == zone) {
                        Some((_, sum)) => *sum += a,
                        None => out.push((*zone, a)),
                    }
                }
            }
        }
        out.retain(|(_, a)| *a > 0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{LineString, polygon};

    fn mp(p: Polygon<f64>) -> MultiPolygon<f64> {
        MultiPolygon(vec![p])
    }

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        mp(Rect::new((x0, y0), (x1, y1)).to_polygon())
    }

    #[test]
    fn a_concave_ring_clipped_by_a_square_keeps_its_area_inside() {
        // An L: the unit squares (0..2)x(0..1) and (0..1)x(1..2).
        let l = mp(
            polygon![(x: 0., y: 0.), (x: 2., y: 0.), (x: 2., y: 1.), (x: 1., y: 1.),
            (x: 1., y: 2.), (x: 0., y: 2.)],
        );
        let window = oriented_rings(&rect(0.5, 0.5, 1.5, 1.5)).remove(0);
        let rings = oriented_rings(&l);
        let mut c = Clipper::default();
        let a: f64 = rings.iter().map(|r| c.area_in_convex(r, &window)).sum();
        assert!((a - 0.75).abs() < 1e-12, "{a}");
        // And the L as the window side, through its convex pieces.
        let pieces = convex_pieces(&l);
        let square = oriented_rings(&rect(0.5, 0.5, 1.5, 1.5));
        let b = c.area_in_pieces(&square, &pieces);
        assert!((b - 0.75).abs() < 1e-12, "{b}");
    }

    #[test]
    fn holes_subtract_and_large_coordinates_keep_centimetres() {
        let outer = LineString::from(vec![
            (500000., 2300000.),
            (500100., 2300000.),
            (500100., 2300100.),
            (500000., 2300100.),
            (500000., 2300000.),
        ]);
        // Clockwise on input, still a hole.
        let hole = LineString::from(vec![
            (500010., 2300010.),
            (500020., 2300010.),
            (500020., 2300020.),
            (500010., 2300020.),
            (500010., 2300010.),
        ]);
        let z = mp(Polygon::new(outer, vec![hole]));
        assert!((rings_area(&oriented_rings(&z)) - 9900.0).abs() < 1e-6);
        let parcel = rect(500005., 2300005., 500015., 2300015.);
        let mut c = Clipper::default();
        let a = c.area_in_pieces(&oriented_rings(&z), &convex_pieces(&parcel));
        assert!((a - 75.0).abs() < 1e-6, "{a}");
    }

    #[test]
    fn the_grid_splits_a_straddling_parcel_between_two_zones() {
        let zones = vec![rect(0., 0., 100., 100.), rect(100., 0., 200., 100.)];
        let grid = ZoneGrid::new(&zones, 16.0);
        let parcel = rect(90., 10., 130., 20.);
        let rings = oriented_rings(&parcel);
        let mut out = Vec::new();
        let mut subject = Subject {
            rings: &rings,
            bbox: parcel.bounding_rect().unwrap(),
            area: 400.0,
            polygon: &parcel,
            pieces: None,
        };
        grid.shares(&mut subject, &mut Clipper::default(), &mut out);
        out.sort_by_key(|(z, _)| *z);
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(
            (out[0].1 - 100.0).abs() < 1e-9 && (out[1].1 - 300.0).abs() < 1e-9,
            "{out:?}"
        );
    }
}
