//! Cutting a simple polygon by a straight line: the one operation the
//! sample's tiling is built from. Roads are cut out of a commune as the
//! strip between two parallel cuts, blocks are cut into parcels by more
//! cuts. A cut point is computed from its edge's two ends in a fixed order,
//! so two pieces sharing an edge that are cut by the same line get the
//! very same point: the pieces meet exactly, with no sliver.

use geo_types::Coord;

/// An open ring (the first point is not repeated at the end),
/// counter-clockwise.
pub type Ring = Vec<Coord<f64>>;

/// A straight line: the points p with (p - origin) · normal == 0. `normal`
/// has unit length; a point's signed distance is (p - origin) · normal.
#[derive(Debug, Clone, Copy)]
pub struct Line {
    pub origin: Coord<f64>,
    pub normal: Coord<f64>,
}

impl Line {
    /// The line through `a` and `b` (distinct).
    pub fn through(a: Coord<f64>, b: Coord<f64>) -> Line {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len = dx.hypot(dy).max(1e-9);
        Line {
            origin: a,
            normal: Coord {
                x: -dy / len,
                y: dx / len,
            },
        }
    }

    /// The line through `origin` whose direction makes `angle` (radians)
    /// with the x axis.
    pub fn at_angle(origin: Coord<f64>, angle: f64) -> Line {
        Line {
            origin,
            normal: Coord {
                x: -angle.sin(),
                y: angle.cos(),
            },
        }
    }

    /// The same line moved by `by` metres along its normal.
    pub fn shifted(&self, by: f64) -> Line {
        Line {
            origin: Coord {
                x: self.origin.x + self.normal.x * by,
                y: self.origin.y + self.normal.y * by,
            },
            normal: self.normal,
        }
    }

    pub fn distance(&self, p: Coord<f64>) -> f64 {
        (p.x - self.origin.x) * self.normal.x + (p.y - self.origin.y) * self.normal.y
    }

    /// Position of `p` along the line.
    pub fn along(&self, p: Coord<f64>) -> f64 {
        (p.x - self.origin.x) * -self.normal.y + (p.y - self.origin.y) * self.normal.x
    }

    pub fn point_at(&self, t: f64) -> Coord<f64> {
        Coord {
            x: self.origin.x - self.normal.y * t,
            y: self.origin.y + self.normal.x * t,
        }
    }
}

/// Vertices closer to a cut than this make it ambiguous: the caller moves
/// the cut a little and tries again.
const ON_LINE: f64 = 1e-6;

/// The cut point on edge a–b, computed from the ends in coordinate order.
fn cut_point(a: Coord<f64>, sa: f64, b: Coord<f64>, sb: f64) -> Coord<f64> {
    let ((p, sp), (q, sq)) = if (a.x, a.y) <= (b.x, b.y) {
        ((a, sa), (b, sb))
    } else {
        ((b, sb), (a, sa))
    };
    let f = sp / (sp - sq);
    Coord {
        x: p.x + (q.x - p.x) * f,
        y: p.y + (q.y - p.y) * f,
    }
}

/// The pieces of `ring` on the positive side of `line` and those on the
/// negative side. None where a vertex lies on the line (move the line) or
/// the ring is not simple.
pub fn split(ring: &[Coord<f64>], line: &Line) -> Option<(Vec<Ring>, Vec<Ring>)> {
    let s: Vec<f64> = ring.iter().map(|p| line.distance(*p)).collect();
    if s.iter().any(|d| d.abs() < ON_LINE) {
        return None;
    }
    if s.iter().all(|d| *d > 0.0) {
        return Some((vec![ring.to_vec()], vec![]));
    }
    if s.iter().all(|d| *d < 0.0) {
        return Some((vec![], vec![ring.to_vec()]));
    }
    // The ring with the cut points inserted; side 0 marks a cut point.
    let n = ring.len();
    let mut points = Vec::with_capacity(n + 4);
    let mut side = Vec::with_capacity(n + 4);
    let mut cuts = Vec::new();
    for i in 0..n {
        let j = (i + 1) % n;
        points.push(ring[i]);
        side.push(if s[i] > 0.0 { 1i8 } else { -1 });
        if (s[i] > 0.0) != (s[j] > 0.0) {
            cuts.push(points.len());
            points.push(cut_point(ring[i], s[i], ring[j], s[j]));
            side.push(0);
        }
    }
    // Along the line, cut points pair up as the ends of the chords inside.
    cuts.sort_by(|a, b| line.along(points[*a]).total_cmp(&line.along(points[*b])));
    let mut partner = vec![usize::MAX; points.len()];
    for pair in cuts.chunks(2) {
        let [a, b] = pair else { return None };
        partner[*a] = *b;
        partner[*b] = *a;
    }
    let m = points.len();
    let mut visited = vec![false; m];
    let mut out = (Vec::new(), Vec::new());
    for start in 0..m {
        if side[start] == 0 || visited[start] {
            continue;
        }
        let want = side[start];
        let mut piece = Vec::new();
        let mut cur = start;
        for _ in 0..=2 * m {
            piece.push(points[cur]);
            visited[cur] = true;
            let next = (cur + 1) % m;
            if side[next] == 0 {
                let other = partner[next];
                piece.push(points[next]);
                piece.push(points[other]);
                cur = (other + 1) % m;
            } else {
                cur = next;
            }
            if side[cur] != want {
                return None;
            }
            if cur == start {
                break;
            }
            if visited[cur] {
                return None;
            }
        }
        if cur != start {
            return None;
        }
        // A cut through a vertex's immediate neighbourhood can repeat it.
        piece.dedup();
        while piece.len() > 1 && piece[0] == piece[piece.len() - 1] {
            piece.pop();
        }
        if piece.len() < 3 || signed_area(&piece).abs() < 1e-6 {
            continue;
        }
        if want > 0 {
            out.0.push(piece);
        } else {
            out.1.push(piece);
        }
    }
    Some(out)
}

/// The stretches of `line` inside `ring`, as (from, to) positions along it.
pub fn chords(ring: &[Coord<f64>], line: &Line) -> Vec<(f64, f64)> {
    let n = ring.len();
    let mut ts = Vec::new();
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        let (sa, sb) = (line.distance(a), line.distance(b));
        if (sa > 0.0) != (sb > 0.0) {
            ts.push(line.along(cut_point(a, sa, b, sb)));
        }
    }
    ts.sort_by(f64::total_cmp);
    ts.chunks(2)
        .filter_map(|c| match c {
            [a, b] => Some((*a, *b)),
            _ => None,
        })
        .collect()
}

/// Signed area (positive: counter-clockwise).
pub fn signed_area(ring: &[Coord<f64>]) -> f64 {
    let n = ring.len();
    let mut sum = 0.0;
    // Relative to the first point: VN-2000 coordinates are ~10^6 m, and
    // products of such numbers lose the decimals of a small parcel.
    let o = ring[0];
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        sum += (a.x - o.x) * (b.y - o.y) - (b.x - o.x) * (a.y - o.y);
    }
    sum / 2.0
}

pub fn centroid(ring: &[Coord<f64>]) -> Coord<f64> {
    let n = ring.len();
    let o = ring[0];
    let (mut cx, mut cy, mut a2) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        let (ax, ay, bx, by) = (a.x - o.x, a.y - o.y, b.x - o.x, b.y - o.y);
        let cross = ax * by - bx * ay;
        a2 += cross;
        cx += (ax + bx) * cross;
        cy += (ay + by) * cross;
    }
    if a2.abs() < 1e-12 {
        return o;
    }
    Coord {
        x: o.x + cx / (3.0 * a2),
        y: o.y + cy / (3.0 * a2),
    }
}

/// Area over perimeter squared: 1/16 for a square, about w / 4L for a
/// long strip w wide and L long, small for a thin wedge.
pub fn compactness(ring: &[Coord<f64>]) -> f64 {
    let n = ring.len();
    let perimeter: f64 = (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            (b.x - a.x).hypot(b.y - a.y)
        })
        .sum();
    if perimeter <= 0.0 {
        return 0.0;
    }
    signed_area(ring).abs() / (perimeter * perimeter)
}

/// Below this compactness a piece is a sliver: a strip thinner than about
/// 1/50 of its length (a 4 m x 200 m strip, a wedge of a corner under 2.3
/// degrees). A real house plot of 4 m x 25 m is about 0.02.
pub const SLIVER: f64 = 0.005;

/// Whether the piece is a sliver (see [`SLIVER`]).
pub fn is_sliver(ring: &[Coord<f64>]) -> bool {
    compactness(ring) < SLIVER
}

/// A corner sharper than 3 degrees: a spike, as the validator calls it.
pub fn has_sharp_corner(ring: &[Coord<f64>]) -> bool {
    let n = ring.len();
    (0..n).any(|i| {
        let (a, b, c) = (ring[(i + n - 1) % n], ring[i], ring[(i + 1) % n]);
        let (ux, uy, vx, vy) = (a.x - b.x, a.y - b.y, c.x - b.x, c.y - b.y);
        let cos = (ux * vx + uy * vy) / (ux.hypot(uy) * vx.hypot(vy)).max(1e-12);
        cos > 3f64.to_radians().cos()
    })
}

/// Whether the ring turns left at every vertex.
pub fn is_convex(ring: &[Coord<f64>]) -> bool {
    let n = ring.len();
    (0..n).all(|i| {
        let (a, b, c) = (ring[i], ring[(i + 1) % n], ring[(i + 2) % n]);
        (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x) > 0.0
    })
}

/// A closed ring for geo_types.
pub fn closed(ring: &[Coord<f64>]) -> geo_types::LineString<f64> {
    let mut v = ring.to_vec();
    v.push(ring[0]);
    geo_types::LineString(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    #[test]
    fn a_square_cut_in_two_keeps_its_area_and_shares_the_cut() {
        let sq = vec![c(0.0, 0.0), c(10.0, 0.0), c(10.0, 10.0), c(0.0, 10.0)];
        let line = Line::at_angle(c(3.0, 0.0), std::f64::consts::FRAC_PI_2);
        let (pos, neg) = split(&sq, &line).unwrap();
        assert_eq!((pos.len(), neg.len()), (1, 1));
        let total: f64 = pos.iter().chain(&neg).map(|r| signed_area(r)).sum();
        assert!((total - 100.0).abs() < 1e-9);
        assert!(pos[0].iter().any(|p| *p == c(3.0, 0.0)));
        assert!(neg[0].iter().any(|p| *p == c(3.0, 0.0)));
    }

    #[test]
    fn a_u_shape_cut_across_its_arms_gives_three_pieces() {
        let u = vec![
            c(0.0, 0.0),
            c(9.0, 0.0),
            c(9.0, 9.0),
            c(6.0, 9.0),
            c(6.0, 3.0),
            c(3.0, 3.0),
            c(3.0, 9.0),
            c(0.0, 9.0),
        ];
        let line = Line::at_angle(c(0.0, 5.0), 0.0);
        let (pos, neg) = split(&u, &line).unwrap();
        // Above y = 5: the two arms; below: the base.
        let (above, below) = if pos.len() == 2 {
            (pos, neg)
        } else {
            (neg, pos)
        };
        assert_eq!((above.len(), below.len()), (2, 1));
        let total: f64 = above.iter().chain(&below).map(|r| signed_area(r)).sum();
        assert!((total - signed_area(&u)).abs() < 1e-9);
        assert!(above.iter().all(|r| signed_area(r) > 0.0));
    }
}
