//! Curves of the GeoPackage non-linear geometry types (ISO WKB 8–12:
//! CircularString, CompoundCurve, CurvePolygon, MultiCurve, MultiSurface,
//! with Z, M and ZM, in either byte order), read as linear geometries.
//!
//! Each circular arc (three control points: start, a point on the arc,
//! end) is replaced by chords whose greatest distance from the true arc
//! (the sagitta) is at most [`ARC_TOLERANCE`] layer units (1 mm in a metre
//! CRS) and at most [`ARC_RELATIVE_TOLERANCE`] of the arc's radius,
//! whichever is smaller (so small arcs in degrees are as smooth as in
//! metres). An arc gets at most [`MAX_CHORDS_PER_ARC`] chords: only a
//! near-complete circle of more than about 3 km radius (in a metre CRS)
//! deviates by more than 1 mm, by at most 3·10⁻⁷ of its radius. The start
//! and end of every arc are the stored control points exactly, so arcs and
//! segments of a compound curve meet and rings stay closed. Three
//! collinear or coincident control points are drawn as straight segments.
//! Z and M are interpolated along the arc's angle, through the middle
//! control point's values.
//!
//! The stored blob is never rewritten by reading: this is how curves are
//! drawn, measured and analysed, not how they are kept.

use std::f64::consts::TAU;

use geo_types::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Polygon};

use super::{BlobError, Dims, WkbReader, ZmValues};

/// Greatest distance of a chord from its arc, in layer units.
pub const ARC_TOLERANCE: f64 = 0.001;
/// Greatest distance of a chord from its arc, relative to the radius.
pub const ARC_RELATIVE_TOLERANCE: f64 = 1e-4;
/// Most chords one arc is drawn with.
pub const MAX_CHORDS_PER_ARC: usize = 4096;
/// Most vertices one linearised geometry may have, however long its blob: a
/// damaged blob of huge arcs is an error, not gigabytes of vertices.
const MAX_VERTICES: usize = 4 << 20;
/// Most vertices a geometry may have per byte of its WKB beyond
/// [`MIN_BUDGET`]: 512 per stored XY vertex (16 bytes), 1024 per arc.
const VERTICES_PER_BYTE: usize = 32;
/// Vertices any geometry may have: two arcs of the most chords.
const MIN_BUDGET: usize = 2 * MAX_CHORDS_PER_ARC;

/// The vertices the curves of a geometry whose WKB is `wkb_len` bytes
/// long may linearise to.
pub(super) fn vertex_budget(wkb_len: usize) -> usize {
    wkb_len
        .saturating_mul(VERTICES_PER_BYTE)
        .saturating_add(MIN_BUDGET)
        .min(MAX_VERTICES)
}

/// A control point or linearised vertex; z and m are NaN when absent.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Vertex {
    c: Coord<f64>,
    z: f64,
    m: f64,
}

/// The circle an arc lies on, and how the arc runs around it.
struct Arc {
    centre: Coord<f64>,
    radius: f64,
    start_angle: f64,
    /// Signed: positive counter-clockwise.
    sweep: f64,
    /// Fraction of the sweep at which the middle control point lies.
    middle: f64,
}

impl Arc {
    /// The arc from `a` through `b` to `c`; None when the three points are
    /// collinear, coincide, or are not finite.
    fn through(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> Option<Arc> {
        if a == c {
            // A full circle: the middle point is opposite the start.
            let centre = Coord {
                x: (a.x + b.x) / 2.0,
                y: (a.y + b.y) / 2.0,
            };
            let radius = (a.x - centre.x).hypot(a.y - centre.y);
            let start_angle = (a.y - centre.y).atan2(a.x - centre.x);
            return (radius > 0.0 && radius.is_finite()).then_some(Arc {
                centre,
                radius,
                start_angle,
                sweep: TAU,
                middle: 0.5,
            });
        }
        // Relative to `a`, for precision with large coordinates.
        let (bx, by) = (b.x - a.x, b.y - a.y);
        let (cx, cy) = (c.x - a.x, c.y - a.y);
        let cross = bx * cy - by * cx;
        let (lb, lc) = (bx.hypot(by), cx.hypot(cy));
        if !cross.is_finite() || cross.abs() <= 1e-12 * lb * lc {
            return None;
        }
        let (b2, c2) = (bx * bx + by * by, cx * cx + cy * cy);
        let d = 2.0 * cross;
        let ux = (cy * b2 - by * c2) / d;
        let uy = (bx * c2 - cx * b2) / d;
        let centre = Coord {
            x: a.x + ux,
            y: a.y + uy,
        };
        let radius = ux.hypot(uy);
        if !radius.is_finite() || !centre.x.is_finite() || !centre.y.is_finite() {
            return None;
        }
        let angle = |p: Coord<f64>| (p.y - centre.y).atan2(p.x - centre.x);
        let (a0, a1, a2) = (angle(a), angle(b), angle(c));
        // Counter-clockwise when the three points turn left.
        let ccw = cross > 0.0;
        let run = |from: f64, to: f64| {
            let d = if ccw { to - from } else { from - to };
            d.rem_euclid(TAU)
        };
        let total = run(a0, a2);
        let to_middle = run(a0, a1);
        let sweep = if ccw { total } else { -total };
        Some(Arc {
            centre,
            radius,
            start_angle: a0,
            sweep,
            middle: if total > 0.0 { to_middle / total } else { 0.5 },
        })
    }

    /// How many chords keep within the tolerance.
    fn chords(&self) -> usize {
        let tolerance = ARC_TOLERANCE.min(ARC_RELATIVE_TOLERANCE * self.radius);
        let step = 2.0 * (1.0 - tolerance / self.radius).acos();
        let n = (self.sweep.abs() / step).ceil();
        if n.is_finite() {
            (n as usize).clamp(1, MAX_CHORDS_PER_ARC)
        } else {
            MAX_CHORDS_PER_ARC
        }
    }

    fn at(&self, t: f64) -> Coord<f64> {
        let angle = self.start_angle + self.sweep * t;
        Coord {
            x: self.centre.x + self.radius * angle.cos(),
            y: self.centre.y + self.radius * angle.sin(),
        }
    }
}

/// A value at fraction `t` of an arc, linear between the control points'
/// values at 0, `middle` and 1.
fn interpolate(t: f64, middle: f64, v0: f64, v1: f64, v2: f64) -> f64 {
    if t <= middle && middle > 0.0 {
        v0 + (v1 - v0) * t / middle
    } else if middle < 1.0 {
        v1 + (v2 - v1) * (t - middle) / (1.0 - middle)
    } else {
        v2
    }
}

/// Takes `n` vertices from `budget` before they are made.
fn spend(budget: &mut usize, n: usize) -> Result<(), BlobError> {
    *budget = budget
        .checked_sub(n)
        .ok_or(BlobError::TooManyVertices(MAX_VERTICES))?;
    Ok(())
}

/// Appends the vertices of the arc `p0`–`p1`–`p2` after `p0` (which the
/// caller has already written), ending exactly at `p2`.
fn linearise_arc(
    out: &mut Vec<Vertex>,
    budget: &mut usize,
    p0: Vertex,
    p1: Vertex,
    p2: Vertex,
) -> Result<(), BlobError> {
    let Some(arc) = Arc::through(p0.c, p1.c, p2.c) else {
        spend(budget, 2)?;
        if p1.c != p0.c && p1.c != p2.c {
            out.push(p1);
        }
        out.push(p2);
        return Ok(());
    };
    let n = arc.chords();
    spend(budget, n)?;
    for i in 1..n {
        let t = i as f64 / n as f64;
        out.push(Vertex {
            c: arc.at(t),
            z: interpolate(t, arc.middle, p0.z, p1.z, p2.z),
            m: interpolate(t, arc.middle, p0.m, p1.m, p2.m),
        });
    }
    out.push(p2);
    Ok(())
}

/// The linearisation of a circular string's control points: arcs over
/// points 0-1-2, 2-3-4, ...; a point left over joins with a straight
/// segment. Every vertex is taken from `budget` before it is made.
fn circular_string(points: &[Vertex], budget: &mut usize) -> Result<Vec<Vertex>, BlobError> {
    let Some(&first) = points.first() else {
        return Ok(vec![]);
    };
    spend(budget, 1)?;
    let mut out = vec![first];
    let mut i = 0;
    while i + 2 < points.len() {
        linearise_arc(&mut out, budget, points[i], points[i + 1], points[i + 2])?;
        i += 2;
    }
    spend(budget, points.len() - i - 1)?;
    out.extend_from_slice(&points[i + 1..]);
    Ok(out)
}

impl WkbReader<'_> {
    fn vertices(&mut self, dims: Dims) -> Result<Vec<Vertex>, BlobError> {
        let n = self.count(Self::coord_size(dims))?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let x = self.f64()?;
            let y = self.f64()?;
            let z = if dims.z { self.f64()? } else { f64::NAN };
            let m = if dims.m { self.f64()? } else { f64::NAN };
            out.push(Vertex {
                c: Coord { x, y },
                z,
                m,
            });
        }
        Ok(out)
    }

    fn circular_string(&mut self, dims: Dims) -> Result<Vec<Vertex>, BlobError> {
        let points = self.vertices(dims)?;
        circular_string(&points, &mut self.vertex_budget)
    }

    /// One curve as a member of a compound curve, curve polygon or
    /// multi-curve: a line string, circular string or compound curve.
    fn curve_member(&mut self, allow_compound: bool) -> Result<Vec<Vertex>, BlobError> {
        let (base, dims) = self.type_header()?;
        match base {
            2 => self.vertices(dims),
            8 => self.circular_string(dims),
            9 if allow_compound => self.compound(dims),
            other => Err(BlobError::WkbType(other)),
        }
    }

    /// A compound curve: line strings and circular strings end to end.
    fn compound(&mut self, _dims: Dims) -> Result<Vec<Vertex>, BlobError> {
        let n = self.count(9)?;
        let mut out: Vec<Vertex> = Vec::new();
        for _ in 0..n {
            let part = self.curve_member(false)?;
            // Each part starts where the last one ended: write it once.
            let skip = usize::from(
                out.last()
                    .zip(part.first())
                    .is_some_and(|(l, f)| l.c == f.c),
            );
            out.extend_from_slice(&part[skip.min(part.len())..]);
        }
        Ok(out)
    }

    fn curve_polygon(&mut self, _dims: Dims) -> Result<Vec<Vec<Vertex>>, BlobError> {
        let n = self.count(9)?;
        (0..n).map(|_| self.curve_member(true)).collect()
    }

    fn linear_polygon(&mut self, dims: Dims) -> Result<Vec<Vec<Vertex>>, BlobError> {
        let n = self.count(4)?;
        (0..n).map(|_| self.vertices(dims)).collect()
    }

    /// Reads the body of a curve geometry of WKB type `base` (8..=12),
    /// whose header has been read, as its linear counterpart.
    pub(super) fn curve_geometry(
        &mut self,
        base: u32,
        dims: Dims,
        zm: &mut ZmValues,
    ) -> Result<Geometry<f64>, BlobError> {
        let mut out = Emitter { dims, zm };
        Ok(match base {
            8 => {
                let v = self.circular_string(dims)?;
                Geometry::LineString(out.line(&v))
            }
            9 => {
                let v = self.compound(dims)?;
                Geometry::LineString(out.line(&v))
            }
            10 => {
                let rings = self.curve_polygon(dims)?;
                Geometry::Polygon(out.polygon(&rings))
            }
            11 => {
                let n = self.count(9)?;
                let mut lines = Vec::with_capacity(n);
                for _ in 0..n {
                    let v = self.curve_member(true)?;
                    lines.push(out.line(&v));
                }
                Geometry::MultiLineString(MultiLineString(lines))
            }
            12 => {
                let n = self.count(9)?;
                let mut polygons = Vec::with_capacity(n);
                for _ in 0..n {
                    let (member, d) = self.type_header()?;
                    let rings = match member {
                        3 => self.linear_polygon(d)?,
                        10 => self.curve_polygon(d)?,
                        other => return Err(BlobError::WkbType(other)),
                    };
                    polygons.push(out.polygon(&rings));
                }
                Geometry::MultiPolygon(MultiPolygon(polygons))
            }
            other => return Err(BlobError::WkbType(other)),
        })
    }
}

/// Writes vertices into geo-types and their Z/M into the side lists.
struct Emitter<'a> {
    dims: Dims,
    zm: &'a mut ZmValues,
}

impl Emitter<'_> {
    fn line(&mut self, vertices: &[Vertex]) -> LineString<f64> {
        if self.dims.z {
            self.zm.dims.z = true;
            self.zm.z.extend(vertices.iter().map(|v| v.z));
        }
        if self.dims.m {
            self.zm.dims.m = true;
            self.zm.m.extend(vertices.iter().map(|v| v.m));
        }
        LineString(vertices.iter().map(|v| v.c).collect())
    }

    fn polygon(&mut self, rings: &[Vec<Vertex>]) -> Polygon<f64> {
        let start = (self.zm.z.len(), self.zm.m.len());
        let mut rings = rings.iter().map(|r| self.line(r)).collect::<Vec<_>>();
        if rings.is_empty() {
            return Polygon::new(LineString(vec![]), vec![]);
        }
        let exterior = rings.remove(0);
        super::polygon_with_zm(exterior, rings, self.zm, start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn circular_string_unbounded(points: &[Vertex]) -> Vec<Vertex> {
        let mut budget = usize::MAX;
        circular_string(points, &mut budget).unwrap()
    }

    fn v(x: f64, y: f64) -> Vertex {
        Vertex {
            c: Coord { x, y },
            z: f64::NAN,
            m: f64::NAN,
        }
    }

    fn max_deviation(points: &[Vertex], centre: Coord<f64>, r: f64) -> f64 {
        // Each vertex lies on the circle; the chord's midpoint is where it
        // strays furthest.
        points
            .windows(2)
            .map(|w| {
                let mid = Coord {
                    x: (w[0].c.x + w[1].c.x) / 2.0,
                    y: (w[0].c.y + w[1].c.y) / 2.0,
                };
                let on = |p: Coord<f64>| ((p.x - centre.x).hypot(p.y - centre.y) - r).abs();
                on(w[0].c).max(r - (mid.x - centre.x).hypot(mid.y - centre.y))
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn a_half_circle_keeps_within_the_tolerance_and_its_ends() {
        // Radius 50 m around (500000, 2300000), counter-clockwise.
        let (cx, cy, r) = (500_000.0, 2_300_000.0, 50.0);
        let pts = [v(cx + r, cy), v(cx, cy + r), v(cx - r, cy)];
        let out = circular_string_unbounded(&pts);
        assert_eq!(out.first().map(|p| p.c), Some(pts[0].c));
        assert_eq!(out.last().map(|p| p.c), Some(pts[2].c));
        let dev = max_deviation(&out, Coord { x: cx, y: cy }, r);
        assert!(
            dev <= ARC_TOLERANCE.min(ARC_RELATIVE_TOLERANCE * r) + 1e-9,
            "{dev}"
        );
        // Upper half: every vertex has y >= cy.
        assert!(out.iter().all(|p| p.c.y >= cy - 1e-9));
        assert!(out.len() > 20);
    }

    #[test]
    fn clockwise_arcs_run_through_their_middle_point() {
        let pts = [v(1.0, 0.0), v(0.0, -1.0), v(-1.0, 0.0)];
        let out = circular_string_unbounded(&pts);
        assert!(out.iter().all(|p| p.c.y <= 1e-12), "lower half");
    }

    #[test]
    fn a_full_circle_closes_and_collinear_points_are_straight() {
        let out = circular_string_unbounded(&[v(2.0, 0.0), v(-2.0, 0.0), v(2.0, 0.0)]);
        assert_eq!(out.first().map(|p| p.c), out.last().map(|p| p.c));
        assert!(out.len() > 100);
        let dev = max_deviation(&out, Coord { x: 0.0, y: 0.0 }, 2.0);
        assert!(dev <= 2e-4 + 1e-12, "{dev}");
        let line = circular_string_unbounded(&[v(0.0, 0.0), v(1.0, 1.0), v(2.0, 2.0)]);
        let coords: Vec<_> = line.iter().map(|p| (p.c.x, p.c.y)).collect();
        assert_eq!(coords, vec![(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)]);
    }

    /// A hand-written blob: big-endian CompoundCurve Z of a line string and
    /// a circular string inside a little-endian header.
    #[test]
    fn a_big_endian_compound_curve_z_decodes_with_one_z_per_vertex() {
        let mut blob = vec![b'G', b'P', 0, 0b0000_0001];
        blob.extend(9214i32.to_le_bytes());
        let header = |blob: &mut Vec<u8>, code: u32, n: u32| {
            blob.push(0);
            blob.extend(code.to_be_bytes());
            blob.extend(n.to_be_bytes());
        };
        let point =
            |blob: &mut Vec<u8>, p: [f64; 3]| p.iter().for_each(|v| blob.extend(v.to_be_bytes()));
        header(&mut blob, 1009, 2);
        header(&mut blob, 1002, 2);
        point(&mut blob, [0.0, 0.0, 1.0]);
        point(&mut blob, [1.0, 0.0, 2.0]);
        header(&mut blob, 1008, 3);
        point(&mut blob, [1.0, 0.0, 2.0]);
        point(&mut blob, [2.0, 1.0, 3.0]);
        point(&mut blob, [3.0, 0.0, 4.0]);
        let g = super::super::decode(&blob).unwrap();
        let Geometry::LineString(l) = &g.geometry else {
            panic!("{:?}", g.geometry)
        };
        assert_eq!(
            l.0[..2],
            [Coord { x: 0.0, y: 0.0 }, Coord { x: 1.0, y: 0.0 }]
        );
        assert_eq!(l.0.last(), Some(&Coord { x: 3.0, y: 0.0 }));
        assert_eq!(g.zm.z.len(), l.0.len());
        assert_eq!(
            (g.zm.z[0], g.zm.z[1], *g.zm.z.last().unwrap()),
            (1.0, 2.0, 4.0)
        );
        assert_eq!(super::super::stored_type(&blob).unwrap().0, 9);
        // The arc rises to y = 1 between its ends: the envelope says so.
        let env = super::super::envelope(&blob).unwrap().unwrap();
        assert!((env.max().y - 1.0).abs() < 1e-9, "{env:?}");
    }

    #[test]
    fn z_follows_the_arc_through_the_middle_value() {
        let p = |x, y, z| Vertex {
            c: Coord { x, y },
            z,
            m: f64::NAN,
        };
        let out =
            circular_string_unbounded(&[p(1.0, 0.0, 0.0), p(0.0, 1.0, 10.0), p(-1.0, 0.0, 20.0)]);
        let top = out
            .iter()
            .min_by(|a, b| (a.c.x.abs()).total_cmp(&b.c.x.abs()))
            .unwrap();
        assert!((top.z - 10.0).abs() < 0.5, "{}", top.z);
        assert!(out.windows(2).all(|w| w[1].z >= w[0].z));
    }
}
