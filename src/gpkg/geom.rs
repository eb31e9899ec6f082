//! The GeoPackage geometry blob (spec §2.1.3): a `GP` header with version,
//! flags, SRS id and an optional envelope, followed by ISO WKB.
//!
//! Geometries travel through tramgis as `geo_types::Geometry<f64>`. Z and M
//! values, which geo-types has no room for, ride alongside as flat lists in
//! the order the coordinates appear in the WKB, so a 3D or measured geometry
//! written by another program comes back out byte-for-byte equivalent.
//!
//! Curves (CircularString, CompoundCurve, CurvePolygon, MultiCurve,
//! MultiSurface) are read as linear geometries within a stated tolerance
//! ([`ARC_TOLERANCE`], [`ARC_RELATIVE_TOLERANCE`]); the blob stays as stored.

mod curve;

pub use curve::{ARC_RELATIVE_TOLERANCE, ARC_TOLERANCE, MAX_CHORDS_PER_ARC};

use geo_types::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon, Rect,
};

const MAGIC: [u8; 2] = *b"GP";
const FLAG_EMPTY: u8 = 0b0001_0000;
const FLAG_EXTENDED: u8 = 0b0010_0000;
const FLAG_LITTLE_ENDIAN: u8 = 0b0000_0001;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BlobError {
    #[error("not a GeoPackage geometry blob (no 'GP' magic)")]
    NoMagic,
    #[error("GeoPackage geometry blob version {0} is not supported (only version 1)")]
    Version(u8),
    #[error(
        "GeoPackage geometry blob uses the extended geometry type flag, which tramgis does not read"
    )]
    Extended,
    #[error("invalid envelope contents indicator {0}")]
    EnvelopeKind(u8),
    #[error("geometry blob ends early at byte {0}")]
    Truncated(usize),
    #[error("unknown WKB geometry type {0}")]
    WkbType(u32),
    #[error("invalid WKB byte order marker {0}")]
    ByteOrder(u8),
    #[error("{0} trailing bytes after the WKB geometry")]
    Trailing(usize),
    #[error("WKB nesting deeper than 32 levels")]
    TooDeep,
    #[error("element count {0} is larger than the blob can hold")]
    Count(u32),
    #[error("the curves need more than {0} vertices to draw")]
    TooManyVertices(usize),
    #[error("its Z/M values do not match the geometry's coordinates")]
    ZmMismatch,
}

/// Which ordinates a geometry carries beside x and y.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dims {
    pub z: bool,
    pub m: bool,
}

/// Z and M values of a geometry, one per coordinate in WKB order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ZmValues {
    pub dims: Dims,
    pub z: Vec<f64>,
    pub m: Vec<f64>,
}

impl ZmValues {
    /// Whether these values can be written with `geometry`: one Z (and one
    /// M) per coordinate for each ordinate `dims` names, none otherwise.
    pub fn fits(&self, geometry: &Geometry<f64>) -> bool {
        if !self.dims.z && !self.dims.m {
            return self.z.is_empty() && self.m.is_empty();
        }
        let mut n = 0usize;
        visit_coords(geometry, &mut |_| n += 1);
        let want = |present: bool| if present { n } else { 0 };
        self.z.len() == want(self.dims.z) && self.m.len() == want(self.dims.m)
    }
}

/// A decoded geometry blob.
#[derive(Debug, Clone, PartialEq)]
pub struct GpkgGeometry {
    pub srs_id: i32,
    pub geometry: Geometry<f64>,
    pub zm: ZmValues,
}

/// The parsed header of a geometry blob.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Header {
    pub srs_id: i32,
    pub empty: bool,
    /// `[minx, maxx, miny, maxy]` when the blob carries an envelope.
    pub envelope: Option<[f64; 4]>,
    /// Length of the header in bytes: where the WKB starts.
    pub len: usize,
}

pub fn read_header(blob: &[u8]) -> Result<Header, BlobError> {
    if blob.len() < 8 {
        return Err(if blob.starts_with(&MAGIC[..blob.len().min(2)]) {
            BlobError::Truncated(blob.len())
        } else {
            BlobError::NoMagic
        });
    }
    if blob[0..2] != MAGIC {
        return Err(BlobError::NoMagic);
    }
    if blob[2] != 0 {
        return Err(BlobError::Version(blob[2]));
    }
    let flags = blob[3];
    if flags & FLAG_EXTENDED != 0 {
        return Err(BlobError::Extended);
    }
    let little = flags & FLAG_LITTLE_ENDIAN != 0;
    let kind = (flags >> 1) & 0b111;
    let doubles = match kind {
        0 => 0,
        1 => 4,
        2 | 3 => 6,
        4 => 8,
        k => return Err(BlobError::EnvelopeKind(k)),
    };
    let len = 8 + doubles * 8;
    if blob.len() < len {
        return Err(BlobError::Truncated(blob.len()));
    }
    let srs_bytes = [blob[4], blob[5], blob[6], blob[7]];
    let srs_id = if little {
        i32::from_le_bytes(srs_bytes)
    } else {
        i32::from_be_bytes(srs_bytes)
    };
    let envelope = (doubles > 0).then(|| {
        let mut env = [0.0; 4];
        for (i, v) in env.iter_mut().enumerate() {
            let b: [u8; 8] = blob[8 + i * 8..16 + i * 8].try_into().unwrap();
            *v = if little {
                f64::from_le_bytes(b)
            } else {
                f64::from_be_bytes(b)
            };
        }
        env
    });
    Ok(Header {
        srs_id,
        empty: flags & FLAG_EMPTY != 0,
        envelope,
        len,
    })
}

/// The 2D bounding box of a blob: from its header when it has one, otherwise
/// by scanning the WKB without building a geometry. None for empty geometries.
pub fn envelope(blob: &[u8]) -> Result<Option<Rect<f64>>, BlobError> {
    let header = read_header(blob)?;
    if header.empty {
        return Ok(None);
    }
    if let Some(env) = header.envelope
        && env.iter().all(|v| !v.is_nan())
    {
        return Ok(Some(envelope_rect(env)));
    }
    let mut bounds = Bounds::default();
    let mut reader = WkbReader::new(&blob[header.len..]);
    reader.scan_bounds(&mut bounds, 0)?;
    Ok(bounds.xy())
}

/// The 2D bounds of a geometry; None if empty.
pub fn bounds(geometry: &Geometry<f64>) -> Option<Rect<f64>> {
    let mut b = Bounds::default();
    visit_coords(geometry, &mut |c| b.add(c.x, c.y, None, None));
    b.xy()
}

pub fn decode(blob: &[u8]) -> Result<GpkgGeometry, BlobError> {
    let header = read_header(blob)?;
    let mut reader = WkbReader::new(&blob[header.len..]);
    let mut zm = ZmValues::default();
    let geometry = reader.geometry(&mut zm, 0)?;
    if reader.pos != reader.buf.len() {
        return Err(BlobError::Trailing(
            reader.buf.len().saturating_sub(reader.pos),
        ));
    }
    Ok(GpkgGeometry {
        srs_id: header.srs_id,
        geometry,
        zm,
    })
}

/// The WKB type of the geometry stored in a blob (1..=12, as written,
/// before curves are linearised) and its dimensions.
pub fn stored_type(blob: &[u8]) -> Result<(u32, Dims), BlobError> {
    let header = read_header(blob)?;
    WkbReader::new(&blob[header.len..]).type_header()
}

/// Decodes plain ISO WKB (as GDAL exports it), both byte orders, Z and M.
pub fn decode_wkb(wkb: &[u8]) -> Result<(Geometry<f64>, ZmValues), BlobError> {
    let mut reader = WkbReader::new(wkb);
    let mut zm = ZmValues::default();
    let geometry = reader.geometry(&mut zm, 0)?;
    if reader.pos != reader.buf.len() {
        return Err(BlobError::Trailing(
            reader.buf.len().saturating_sub(reader.pos),
        ));
    }
    Ok((geometry, zm))
}

/// Encodes a 2D geometry as a little-endian blob with an XY envelope
/// (points and empty geometries get none, as the spec recommends).
pub fn encode(geometry: &Geometry<f64>, srs_id: i32, out: &mut Vec<u8>) {
    encode_zm(geometry, srs_id, &ZmValues::default(), out)
        .expect("no Z/M values fit every geometry");
}

/// Encodes a geometry with its Z/M values. `zm.z`/`zm.m` must hold one value
/// per coordinate when `zm.dims` says the ordinate is present; otherwise
/// nothing is written and the error is [`BlobError::ZmMismatch`].
pub fn encode_zm(
    geometry: &Geometry<f64>,
    srs_id: i32,
    zm: &ZmValues,
    out: &mut Vec<u8>,
) -> Result<(), BlobError> {
    encode_with_order(geometry, srs_id, zm, ByteOrder::Little, out)
}

/// Byte order of a written blob. Readers must accept both; we write
/// little-endian, the native order of every machine tramgis runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteOrder {
    Little,
    Big,
}

pub fn encode_with_order(
    geometry: &Geometry<f64>,
    srs_id: i32,
    zm: &ZmValues,
    order: ByteOrder,
    out: &mut Vec<u8>,
) -> Result<(), BlobError> {
    if !zm.fits(geometry) {
        return Err(BlobError::ZmMismatch);
    }
    let little = order == ByteOrder::Little;
    let empty = is_empty(geometry);
    let mut bounds = Bounds::default();
    let with_envelope = !empty && !matches!(geometry, Geometry::Point(_));
    if with_envelope {
        let mut index = 0;
        visit_coords(geometry, &mut |c| {
            bounds.add(
                c.x,
                c.y,
                zm.dims.z.then(|| zm.z[index]),
                zm.dims.m.then(|| zm.m[index]),
            );
            index += 1;
        });
    }
    let kind: u8 = match (with_envelope, zm.dims.z, zm.dims.m) {
        (false, _, _) => 0,
        (true, false, false) => 1,
        (true, true, false) => 2,
        (true, false, true) => 3,
        (true, true, true) => 4,
    };
    let mut flags = (kind << 1) | if little { FLAG_LITTLE_ENDIAN } else { 0 };
    if empty {
        flags |= FLAG_EMPTY;
    }
    out.extend_from_slice(&MAGIC);
    out.push(0);
    out.push(flags);
    let mut writer = WkbWriter {
        out,
        zm,
        index: 0,
        little,
    };
    writer.put_u32(srs_id as u32);
    if with_envelope {
        let mut env = vec![bounds.min[0], bounds.max[0], bounds.min[1], bounds.max[1]];
        if zm.dims.z {
            env.extend([bounds.min[2], bounds.max[2]]);
        }
        if zm.dims.m {
            env.extend([bounds.min[3], bounds.max[3]]);
        }
        for v in env {
            writer.put_f64(v);
        }
    }
    writer.geometry(geometry);
    Ok(())
}

pub fn encode_to_vec(geometry: &Geometry<f64>, srs_id: i32) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    encode(geometry, srs_id, &mut out);
    out
}

/// The ISO WKB type code (1..7) of a geometry.
pub fn wkb_type_code(geometry: &Geometry<f64>) -> u32 {
    match geometry {
        Geometry::Point(_) => 1,
        Geometry::LineString(_) | Geometry::Line(_) => 2,
        Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => 3,
        Geometry::MultiPoint(_) => 4,
        Geometry::MultiLineString(_) => 5,
        Geometry::MultiPolygon(_) => 6,
        Geometry::GeometryCollection(_) => 7,
    }
}

/// Whether a geometry has no coordinates. An empty point is stored in WKB
/// as NaN coordinates and comes back as `Point(NaN, NaN)`.
pub fn is_empty(geometry: &Geometry<f64>) -> bool {
    match geometry {
        Geometry::Point(p) => p.x().is_nan() && p.y().is_nan(),
        Geometry::LineString(l) => l.0.is_empty(),
        Geometry::Polygon(p) => p.exterior().0.is_empty(),
        Geometry::MultiPoint(m) => m.0.iter().all(|p| p.x().is_nan() && p.y().is_nan()),
        Geometry::MultiLineString(m) => m.0.iter().all(|l| l.0.is_empty()),
        Geometry::MultiPolygon(m) => m.0.iter().all(|p| p.exterior().0.is_empty()),
        Geometry::GeometryCollection(c) => c.0.iter().all(is_empty),
        Geometry::Line(_) | Geometry::Rect(_) | Geometry::Triangle(_) => false,
    }
}

/// Calls `f` on every coordinate in WKB order (exterior ring before holes).
pub fn visit_coords(geometry: &Geometry<f64>, f: &mut impl FnMut(Coord<f64>)) {
    match geometry {
        Geometry::Point(p) => f(p.0),
        Geometry::LineString(l) => l.0.iter().copied().for_each(f),
        Geometry::Polygon(p) => {
            polygon_rings(p).for_each(|r| r.0.iter().copied().for_each(&mut *f))
        }
        Geometry::MultiPoint(m) => m.0.iter().for_each(|p| f(p.0)),
        Geometry::MultiLineString(m) => {
            m.0.iter()
                .for_each(|l| l.0.iter().copied().for_each(&mut *f))
        }
        Geometry::MultiPolygon(m) => {
            m.0.iter()
                .for_each(|p| polygon_rings(p).for_each(|r| r.0.iter().copied().for_each(&mut *f)))
        }
        Geometry::GeometryCollection(c) => c.0.iter().for_each(|g| visit_coords(g, f)),
        Geometry::Line(_) | Geometry::Rect(_) | Geometry::Triangle(_) => {
            visit_coords(&normalise(geometry), f)
        }
    }
}

/// Calls `f` on every coordinate, mutably, in WKB order.
pub fn visit_coords_mut(geometry: &mut Geometry<f64>, f: &mut impl FnMut(&mut Coord<f64>)) {
    let ring =
        |l: &mut LineString<f64>, f: &mut dyn FnMut(&mut Coord<f64>)| l.0.iter_mut().for_each(f);
    let polygon = |p: &mut Polygon<f64>, f: &mut dyn FnMut(&mut Coord<f64>)| {
        p.exterior_mut(|r| ring(r, f));
        p.interiors_mut(|holes| holes.iter_mut().for_each(|h| ring(h, f)));
    };
    match geometry {
        Geometry::Point(p) => f(&mut p.0),
        Geometry::LineString(l) => ring(l, f),
        Geometry::Polygon(p) => polygon(p, f),
        Geometry::MultiPoint(m) => m.0.iter_mut().for_each(|p| f(&mut p.0)),
        Geometry::MultiLineString(m) => m.0.iter_mut().for_each(|l| ring(l, f)),
        Geometry::MultiPolygon(m) => m.0.iter_mut().for_each(|p| polygon(p, f)),
        Geometry::GeometryCollection(c) => c.0.iter_mut().for_each(|g| visit_coords_mut(g, f)),
        Geometry::Line(l) => {
            f(&mut l.start);
            f(&mut l.end);
        }
        Geometry::Rect(_) | Geometry::Triangle(_) => {
            *geometry = normalise(geometry);
            visit_coords_mut(geometry, f);
        }
    }
}

/// A polygon of rings whose Z/M values are those in `zm` from `start`
/// (the index into `zm.z`, `zm.m`) on. `Polygon::new` closes a ring that
/// does not end where it starts by repeating its first vertex (ogr2ogr
/// writes such rings from WKT); the ring's first Z/M value is repeated
/// beside it, so that there is still one per coordinate.
fn polygon_with_zm(
    exterior: LineString<f64>,
    holes: Vec<LineString<f64>>,
    zm: &mut ZmValues,
    start: (usize, usize),
) -> Polygon<f64> {
    // No Z or M read for this polygon (2D data, the common case): nothing
    // to keep beside the vertices geo-types adds, and no allocation.
    if zm.z.len() == start.0 && zm.m.len() == start.1 {
        return Polygon::new(exterior, holes);
    }
    let read: Vec<usize> = std::iter::once(&exterior)
        .chain(&holes)
        .map(|r| r.0.len())
        .collect();
    let polygon = Polygon::new(exterior, holes);
    let closed: Vec<usize> = std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .map(|r| r.0.len())
        .collect();
    if read == closed {
        return polygon;
    }
    let total: usize = read.iter().sum();
    for (values, from) in [(&mut zm.z, start.0), (&mut zm.m, start.1)] {
        // Absent here, or already not one per coordinate (mixed dimensions):
        // encoding refuses those, there is nothing to line up.
        if values.len() != from + total {
            continue;
        }
        let ours = values.split_off(from);
        let mut at = 0;
        for (&n, &now) in read.iter().zip(&closed) {
            values.extend_from_slice(&ours[at..at + n]);
            if now > n && n > 0 {
                values.extend(std::iter::repeat_n(ours[at], now - n));
            }
            at += n;
        }
    }
    polygon
}

fn polygon_rings(p: &Polygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    std::iter::once(p.exterior())
        .filter(|r| !r.0.is_empty())
        .chain(p.interiors())
}

/// Lines, rectangles and triangles have no WKB type of their own.
fn normalise(geometry: &Geometry<f64>) -> Geometry<f64> {
    match geometry {
        Geometry::Line(l) => Geometry::LineString(LineString::from(vec![l.start, l.end])),
        Geometry::Rect(r) => Geometry::Polygon(r.to_polygon()),
        Geometry::Triangle(t) => Geometry::Polygon(t.to_polygon()),
        other => other.clone(),
    }
}

#[derive(Debug, Clone, Copy)]
struct Bounds {
    min: [f64; 4],
    max: [f64; 4],
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            min: [f64::INFINITY; 4],
            max: [f64::NEG_INFINITY; 4],
        }
    }
}

impl Bounds {
    fn add(&mut self, x: f64, y: f64, z: Option<f64>, m: Option<f64>) {
        let values = [Some(x), Some(y), z, m];
        for (i, v) in values.into_iter().enumerate() {
            if let Some(v) = v.filter(|v| !v.is_nan()) {
                self.min[i] = self.min[i].min(v);
                self.max[i] = self.max[i].max(v);
            }
        }
    }

    fn xy(&self) -> Option<Rect<f64>> {
        (self.min[0] <= self.max[0]).then(|| {
            Rect::new(
                Coord {
                    x: self.min[0],
                    y: self.min[1],
                },
                Coord {
                    x: self.max[0],
                    y: self.max[1],
                },
            )
        })
    }
}

struct WkbWriter<'a> {
    out: &'a mut Vec<u8>,
    zm: &'a ZmValues,
    index: usize,
    little: bool,
}

impl WkbWriter<'_> {
    fn put_u32(&mut self, v: u32) {
        let bytes = if self.little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        };
        self.out.extend_from_slice(&bytes);
    }

    fn put_f64(&mut self, v: f64) {
        let bytes = if self.little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        };
        self.out.extend_from_slice(&bytes);
    }

    fn type_header(&mut self, base: u32) {
        let code = base
            + match (self.zm.dims.z, self.zm.dims.m) {
                (false, false) => 0,
                (true, false) => 1000,
                (false, true) => 2000,
                (true, true) => 3000,
            };
        self.out.push(u8::from(self.little));
        self.put_u32(code);
    }

    fn count(&mut self, n: usize) {
        self.put_u32(n as u32);
    }

    fn coord(&mut self, c: Coord<f64>) {
        self.put_f64(c.x);
        self.put_f64(c.y);
        if self.zm.dims.z {
            self.put_f64(self.zm.z[self.index]);
        }
        if self.zm.dims.m {
            self.put_f64(self.zm.m[self.index]);
        }
        self.index += 1;
    }

    fn ring(&mut self, ring: &LineString<f64>) {
        self.count(ring.0.len());
        for c in &ring.0 {
            self.coord(*c);
        }
    }

    fn point(&mut self, p: &Point<f64>) {
        self.type_header(1);
        self.coord(p.0);
    }

    fn line_string(&mut self, l: &LineString<f64>) {
        self.type_header(2);
        self.ring(l);
    }

    fn polygon(&mut self, p: &Polygon<f64>) {
        self.type_header(3);
        if p.exterior().0.is_empty() {
            self.count(0);
            return;
        }
        self.count(1 + p.interiors().len());
        self.ring(p.exterior());
        for hole in p.interiors() {
            self.ring(hole);
        }
    }

    fn geometry(&mut self, geometry: &Geometry<f64>) {
        match geometry {
            Geometry::Point(p) => self.point(p),
            Geometry::LineString(l) => self.line_string(l),
            Geometry::Polygon(p) => self.polygon(p),
            Geometry::MultiPoint(m) => {
                self.type_header(4);
                self.count(m.0.len());
                m.0.iter().for_each(|p| self.point(p));
            }
            Geometry::MultiLineString(m) => {
                self.type_header(5);
                self.count(m.0.len());
                m.0.iter().for_each(|l| self.line_string(l));
            }
            Geometry::MultiPolygon(m) => {
                self.type_header(6);
                self.count(m.0.len());
                m.0.iter().for_each(|p| self.polygon(p));
            }
            Geometry::GeometryCollection(c) => {
                self.type_header(7);
                self.count(c.0.len());
                c.0.iter().for_each(|g| self.geometry(g));
            }
            Geometry::Line(_) | Geometry::Rect(_) | Geometry::Triangle(_) => {
                self.geometry(&normalise(geometry))
            }
        }
    }
}

struct WkbReader<'a> {
    buf: &'a [u8],
    pos: usize,
    little: bool,
    /// Vertices the linearised curves may still add.
    vertex_budget: usize,
}

const MAX_DEPTH: usize = 32;

impl<'a> WkbReader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        WkbReader {
            buf,
            pos: 0,
            little: true,
            vertex_budget: curve::vertex_budget(buf.len()),
        }
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], BlobError> {
        let end = self.pos + N;
        let bytes = self
            .buf
            .get(self.pos..end)
            .ok_or(BlobError::Truncated(self.buf.len()))?;
        self.pos = end;
        Ok(bytes.try_into().unwrap())
    }

    fn u32(&mut self) -> Result<u32, BlobError> {
        let b = self.take::<4>()?;
        Ok(if self.little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn f64(&mut self) -> Result<f64, BlobError> {
        let b = self.take::<8>()?;
        Ok(if self.little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    }

    /// Reads a byte order marker and a type code; returns the base type and
    /// the dimensions. Reads ISO codes (1001, 2001, 3001) and, for files from
    /// older writers, the EWKB high-bit flags.
    fn type_header(&mut self) -> Result<(u32, Dims), BlobError> {
        let [order] = self.take::<1>()?;
        self.little = match order {
            0 => false,
            1 => true,
            other => return Err(BlobError::ByteOrder(other)),
        };
        let raw = self.u32()?;
        let mut dims = Dims {
            z: raw & 0x8000_0000 != 0,
            m: raw & 0x4000_0000 != 0,
        };
        if raw & 0x2000_0000 != 0 {
            self.u32()?; // EWKB embedded SRID: the blob header's SRS id rules.
        }
        let code = raw & 0x0FFF_FFFF;
        let (base, thousands) = (code % 1000, code / 1000);
        match thousands {
            0 => {}
            1 => dims.z = true,
            2 => dims.m = true,
            3 => {
                dims.z = true;
                dims.m = true;
            }
            _ => return Err(BlobError::WkbType(raw)),
        }
        // 13 and 14 (CURVE, SURFACE) are abstract: no geometry has them.
        if !(1..=12).contains(&base) {
            return Err(BlobError::WkbType(raw));
        }
        Ok((base, dims))
    }

    /// Reads an element count and checks it against the bytes left, so a
    /// corrupt count cannot make us allocate gigabytes.
    fn count(&mut self, min_element_size: usize) -> Result<usize, BlobError> {
        let n = self.u32()?;
        if (n as usize).saturating_mul(min_element_size) > self.buf.len().saturating_sub(self.pos) {
            return Err(BlobError::Count(n));
        }
        Ok(n as usize)
    }

    fn coord(&mut self, dims: Dims, zm: &mut ZmValues) -> Result<Coord<f64>, BlobError> {
        let x = self.f64()?;
        let y = self.f64()?;
        if dims.z {
            let z = self.f64()?;
            zm.dims.z = true;
            zm.z.push(z);
        }
        if dims.m {
            let m = self.f64()?;
            zm.dims.m = true;
            zm.m.push(m);
        }
        Ok(Coord { x, y })
    }

    fn coord_size(dims: Dims) -> usize {
        8 * (2 + usize::from(dims.z) + usize::from(dims.m))
    }

    fn ring(&mut self, dims: Dims, zm: &mut ZmValues) -> Result<LineString<f64>, BlobError> {
        let n = self.count(Self::coord_size(dims))?;
        if !dims.z && !dims.m {
            // The common case, one pass over the bytes: this loop is most of
            // the time spent reading a layer.
            let bytes = self
                .buf
                .get(self.pos..self.pos + 16 * n)
                .ok_or(BlobError::Truncated(self.buf.len()))?;
            self.pos += 16 * n;
            let read: fn([u8; 8]) -> f64 = if self.little {
                f64::from_le_bytes
            } else {
                f64::from_be_bytes
            };
            let coords = bytes
                .chunks_exact(16)
                .map(|c| Coord {
                    x: read(c[..8].try_into().unwrap()),
                    y: read(c[8..].try_into().unwrap()),
                })
                .collect();
            return Ok(LineString(coords));
        }
        let mut coords = Vec::with_capacity(n);
        for _ in 0..n {
            coords.push(self.coord(dims, zm)?);
        }
        Ok(LineString(coords))
    }

    fn polygon_body(&mut self, dims: Dims, zm: &mut ZmValues) -> Result<Polygon<f64>, BlobError> {
        let rings = self.count(4)?;
        if rings == 0 {
            return Ok(Polygon::new(LineString(vec![]), vec![]));
        }
        let start = (zm.z.len(), zm.m.len());
        let exterior = self.ring(dims, zm)?;
        let mut holes = Vec::with_capacity(rings - 1);
        for _ in 1..rings {
            holes.push(self.ring(dims, zm)?);
        }
        Ok(polygon_with_zm(exterior, holes, zm, start))
    }

    fn expect(&mut self, base: u32) -> Result<Dims, BlobError> {
        let (found, dims) = self.type_header()?;
        if found != base {
            return Err(BlobError::WkbType(found));
        }
        Ok(dims)
    }

    fn geometry(&mut self, zm: &mut ZmValues, depth: usize) -> Result<Geometry<f64>, BlobError> {
        if depth > MAX_DEPTH {
            return Err(BlobError::TooDeep);
        }
        let (base, dims) = self.type_header()?;
        Ok(match base {
            1 => Geometry::Point(Point(self.coord(dims, zm)?)),
            2 => Geometry::LineString(self.ring(dims, zm)?),
            3 => Geometry::Polygon(self.polygon_body(dims, zm)?),
            4 => {
                let n = self.count(5)?;
                let mut points = Vec::with_capacity(n);
                for _ in 0..n {
                    let d = self.expect(1)?;
                    points.push(Point(self.coord(d, zm)?));
                }
                Geometry::MultiPoint(MultiPoint(points))
            }
            5 => {
                let n = self.count(9)?;
                let mut lines = Vec::with_capacity(n);
                for _ in 0..n {
                    let d = self.expect(2)?;
                    lines.push(self.ring(d, zm)?);
                }
                Geometry::MultiLineString(MultiLineString(lines))
            }
            6 => {
                let n = self.count(9)?;
                let mut polygons = Vec::with_capacity(n);
                for _ in 0..n {
                    let d = self.expect(3)?;
                    polygons.push(self.polygon_body(d, zm)?);
                }
                Geometry::MultiPolygon(MultiPolygon(polygons))
            }
            7 => {
                let n = self.count(5)?;
                let mut members = Vec::with_capacity(n);
                for _ in 0..n {
                    members.push(self.geometry(zm, depth + 1)?);
                }
                Geometry::GeometryCollection(GeometryCollection(members))
            }
            curve => self.curve_geometry(curve, dims, zm)?,
        })
    }

    /// Like `geometry` but only accumulates the bounds: no allocation.
    fn scan_bounds(&mut self, bounds: &mut Bounds, depth: usize) -> Result<(), BlobError> {
        if depth > MAX_DEPTH {
            return Err(BlobError::TooDeep);
        }
        let (base, dims) = self.type_header()?;
        let mut coords = |r: &mut Self, n: usize, dims: Dims| -> Result<(), BlobError> {
            for _ in 0..n {
                let x = r.f64()?;
                let y = r.f64()?;
                r.pos += 8 * (usize::from(dims.z) + usize::from(dims.m));
                bounds.add(x, y, None, None);
            }
            Ok(())
        };
        match base {
            1 => coords(self, 1, dims)?,
            2 => {
                let n = self.count(Self::coord_size(dims))?;
                coords(self, n, dims)?
            }
            3 => {
                let rings = self.count(4)?;
                for _ in 0..rings {
                    let n = self.count(Self::coord_size(dims))?;
                    coords(self, n, dims)?;
                }
            }
            4..=7 => {
                let n = self.count(5)?;
                for _ in 0..n {
                    self.scan_bounds(bounds, depth + 1)?;
                }
            }
            // An arc bulges beyond its control points: bound what is drawn.
            curve => {
                let g = self.curve_geometry(curve, dims, &mut ZmValues::default())?;
                visit_coords(&g, &mut |c| bounds.add(c.x, c.y, None, None));
            }
        }
        Ok(())
    }
}

/// The union of two boxes (None: nothing yet).
pub fn union(a: Option<Rect<f64>>, b: Rect<f64>) -> Rect<f64> {
    match a {
        Some(a) => Rect::new(
            Coord {
                x: a.min().x.min(b.min().x),
                y: a.min().y.min(b.min().y),
            },
            Coord {
                x: a.max().x.max(b.max().x),
                y: a.max().y.max(b.max().y),
            },
        ),
        None => b,
    }
}

/// Whether two boxes meet (touching counts).
pub fn boxes_meet(a: Rect<f64>, b: Rect<f64>) -> bool {
    a.min().x <= b.max().x
        && a.max().x >= b.min().x
        && a.min().y <= b.max().y
        && a.max().y >= b.min().y
}

/// A box as gpkg_contents, blob headers and the R-tree store it:
/// `[minx, maxx, miny, maxy]`.
pub fn stored_order(r: Rect<f64>) -> [f64; 4] {
    [r.min().x, r.max().x, r.min().y, r.max().y]
}

/// Converts a header envelope, stored `[minx, maxx, miny, maxy]` as the
/// GeoPackage blob and R-tree hold it, to a rectangle.
pub fn envelope_rect(env: [f64; 4]) -> Rect<f64> {
    Rect::new(
        Coord {
            x: env[0],
            y: env[2],
        },
        Coord {
            x: env[1],
            y: env[3],
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{coord, line_string, point, polygon};

    fn samples() -> Vec<Geometry<f64>> {
        let poly = polygon!(
            exterior: [(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.), (x: 0., y: 0.)],
            interiors: [[(x: 2., y: 2.), (x: 4., y: 2.), (x: 4., y: 4.), (x: 2., y: 2.)]],
        );
        let line = line_string![(x: 1.5, y: -2.25), (x: 3e6, y: 2.3e6), (x: -7.0, y: 0.125)];
        vec![
            Geometry::Point(point!(x: 416_802.265, y: 2_356_377.9)),
            Geometry::LineString(line.clone()),
            Geometry::Polygon(poly.clone()),
            Geometry::MultiPoint(MultiPoint(vec![point!(x: 1., y: 2.), point!(x: 3., y: 4.)])),
            Geometry::MultiLineString(MultiLineString(vec![line.clone(), line.clone()])),
            Geometry::MultiPolygon(MultiPolygon(vec![poly.clone(), poly.clone()])),
            Geometry::GeometryCollection(GeometryCollection(vec![
                Geometry::Point(point!(x: 5., y: 6.)),
                Geometry::Polygon(poly),
                Geometry::GeometryCollection(GeometryCollection(vec![Geometry::LineString(line)])),
            ])),
        ]
    }

    fn empties() -> Vec<Geometry<f64>> {
        vec![
            Geometry::Point(Point::new(f64::NAN, f64::NAN)),
            Geometry::LineString(LineString(vec![])),
            Geometry::Polygon(Polygon::new(LineString(vec![]), vec![])),
            Geometry::MultiPoint(MultiPoint(vec![])),
            Geometry::MultiLineString(MultiLineString(vec![])),
            Geometry::MultiPolygon(MultiPolygon(vec![])),
            Geometry::GeometryCollection(GeometryCollection(vec![])),
        ]
    }

    fn coord_count(g: &Geometry<f64>) -> usize {
        let mut n = 0;
        visit_coords(g, &mut |_| n += 1);
        n
    }

    /// Equality that treats NaN == NaN (empty points).
    fn same(a: &Geometry<f64>, b: &Geometry<f64>) -> bool {
        let (mut ca, mut cb) = (vec![], vec![]);
        visit_coords(a, &mut |c| ca.push((c.x.to_bits(), c.y.to_bits())));
        visit_coords(b, &mut |c| cb.push((c.x.to_bits(), c.y.to_bits())));
        ca == cb
            && wkb_type_code(a) == wkb_type_code(b)
            && (is_empty(a) || format!("{a:?}") == format!("{b:?}"))
    }

    #[test]
    fn every_type_round_trips_in_both_byte_orders_with_all_dimensions() {
        for g in samples().into_iter().chain(empties()) {
            let n = coord_count(&g);
            for dims in [
                Dims { z: false, m: false },
                Dims { z: true, m: false },
                Dims { z: false, m: true },
                Dims { z: true, m: true },
            ] {
                let zm = ZmValues {
                    dims,
                    z: if dims.z {
                        (0..n).map(|i| i as f64 * 1.5 - 3.0).collect()
                    } else {
                        vec![]
                    },
                    m: if dims.m {
                        (0..n).map(|i| 100.0 + i as f64).collect()
                    } else {
                        vec![]
                    },
                };
                for order in [ByteOrder::Little, ByteOrder::Big] {
                    let mut blob = Vec::new();
                    encode_with_order(&g, 9214, &zm, order, &mut blob).unwrap();
                    let back =
                        decode(&blob).unwrap_or_else(|e| panic!("{g:?} {dims:?} {order:?}: {e}"));
                    assert_eq!(back.srs_id, 9214);
                    assert!(
                        same(&back.geometry, &g),
                        "{g:?} {dims:?} {order:?} -> {:?}",
                        back.geometry
                    );
                    assert_eq!(back.zm.z, zm.z, "{g:?} {dims:?}");
                    assert_eq!(back.zm.m, zm.m, "{g:?} {dims:?}");
                    let header = read_header(&blob).unwrap();
                    assert_eq!(header.empty, is_empty(&g), "{g:?}");
                }
            }
        }
    }

    #[test]
    fn header_envelope_covers_the_geometry() {
        let g = &samples()[1];
        let blob = encode_to_vec(g, 4326);
        let header = read_header(&blob).unwrap();
        assert_eq!(header.envelope, Some([-7.0, 3e6, -2.25, 2.3e6]));
        assert_eq!(envelope(&blob).unwrap(), header.envelope.map(envelope_rect));
        // Points carry no envelope; the bounds come from the WKB.
        let p = encode_to_vec(&samples()[0], 4326);
        assert_eq!(read_header(&p).unwrap().envelope, None);
        assert_eq!(
            envelope(&p).unwrap(),
            Some(Rect::new(
                coord! {x: 416_802.265, y: 2_356_377.9},
                coord! {x: 416_802.265, y: 2_356_377.9}
            ))
        );
        assert_eq!(envelope(&encode_to_vec(&empties()[2], 0)).unwrap(), None);
    }

    /// A blob as GDAL writes it for a 3D point: big-endian WKB inside a
    /// little-endian header, EWKB-style Z flag.
    #[test]
    fn reads_mixed_orders_and_ewkb_flags() {
        let mut blob = vec![b'G', b'P', 0, 0b0000_0001];
        blob.extend(4326i32.to_le_bytes());
        blob.push(0); // big-endian WKB
        blob.extend((0x8000_0001u32).to_be_bytes());
        for v in [106.2f64, 21.3, 15.0] {
            blob.extend(v.to_be_bytes());
        }
        let g = decode(&blob).unwrap();
        assert_eq!(g.geometry, Geometry::Point(point!(x: 106.2, y: 21.3)));
        assert_eq!(g.zm.z, vec![15.0]);
    }

    #[test]
    fn damaged_blobs_are_errors_not_panics() {
        let good = encode_to_vec(&samples()[5], 9214);
        for cut in 0..good.len() {
            assert!(decode(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad_magic = good.clone();
        bad_magic[0] = b'X';
        assert_eq!(decode(&bad_magic), Err(BlobError::NoMagic));
        let mut huge_count = encode_to_vec(&samples()[1], 9214);
        let wkb_start = read_header(&huge_count).unwrap().len;
        huge_count[wkb_start + 5..wkb_start + 9].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&huge_count), Err(BlobError::Count(u32::MAX)));
        let mut trailing = good;
        trailing.push(0);
        assert_eq!(decode(&trailing), Err(BlobError::Trailing(1)));
    }

    /// A little-endian blob without envelope: `body` is the WKB.
    fn blob_of(body: &[u8]) -> Vec<u8> {
        let mut blob = vec![b'G', b'P', 0, FLAG_LITTLE_ENDIAN];
        blob.extend(9214i32.to_le_bytes());
        blob.extend_from_slice(body);
        blob
    }

    fn wkb_head(out: &mut Vec<u8>, code: u32, n: u32) {
        out.push(1);
        out.extend(code.to_le_bytes());
        out.extend(n.to_le_bytes());
    }

    fn wkb_points(out: &mut Vec<u8>, points: &[[f64; 4]]) {
        points
            .iter()
            .flatten()
            .for_each(|v| out.extend(v.to_le_bytes()));
    }

    /// ogr2ogr stores `POLYGON ZM ((0 0 1 5,10 0 2 6,10 10 3 7,0 10 4 8))`
    /// as written, not closed: the closing vertex geo-types adds gets the
    /// first vertex's Z and M, and the polygon writes back.
    #[test]
    fn an_unclosed_ring_is_closed_with_its_first_z_and_m() {
        let ring = [
            [0., 0., 1., 5.],
            [10., 0., 2., 6.],
            [10., 10., 3., 7.],
            [0., 10., 4., 8.],
        ];
        let mut linear = Vec::new();
        wkb_head(&mut linear, 3003, 2);
        linear.extend(4u32.to_le_bytes());
        wkb_points(&mut linear, &ring);
        linear.extend(4u32.to_le_bytes());
        wkb_points(
            &mut linear,
            &ring.map(|[x, y, z, m]| [x / 2., y / 2., z + 10., m]),
        );
        // The same ring as a curve polygon of one line string.
        let mut curved = Vec::new();
        wkb_head(&mut curved, 3010, 1);
        wkb_head(&mut curved, 3002, 4);
        wkb_points(&mut curved, &ring);
        for (body, rings) in [(linear, 2), (curved, 1)] {
            let g = decode(&blob_of(&body)).unwrap();
            let Geometry::Polygon(p) = &g.geometry else {
                panic!("{:?}", g.geometry)
            };
            assert_eq!(p.exterior().0.len(), 5);
            assert_eq!(g.zm.z.len(), 5 * rings);
            assert_eq!(g.zm.m.len(), 5 * rings);
            assert_eq!(g.zm.z[..5], [1., 2., 3., 4., 1.]);
            assert_eq!(g.zm.m[..5], [5., 6., 7., 8., 5.]);
            if rings == 2 {
                assert_eq!(g.zm.z[5..], [11., 12., 13., 14., 11.]);
            }
            let mut out = Vec::new();
            encode_zm(&g.geometry, 9214, &g.zm, &mut out).unwrap();
            assert_eq!(decode(&out).unwrap(), g);
        }
    }

    #[test]
    fn z_and_m_that_do_not_fit_are_refused_not_indexed() {
        let square = samples()
            .into_iter()
            .find(|g| matches!(g, Geometry::Polygon(_)));
        let g = square.unwrap();
        let mut zm = ZmValues {
            dims: Dims { z: true, m: false },
            z: vec![1.0; coord_count(&g) - 1],
            m: vec![],
        };
        let mut out = Vec::new();
        assert_eq!(encode_zm(&g, 0, &zm, &mut out), Err(BlobError::ZmMismatch));
        assert!(out.is_empty());
        zm.z.push(1.0);
        assert_eq!(encode_zm(&g, 0, &zm, &mut out), Ok(()));
    }

    /// A circular string of 1001 control points alternating across a circle
    /// of 1000 km: 500 full circles of 4096 chords each from a 16 kB blob.
    #[test]
    fn damaged_arcs_exhaust_a_budget_tied_to_the_blob_length() {
        let points: Vec<[f64; 4]> = (0..1001)
            .map(|i| [if i % 2 == 0 { 1e6 } else { -1e6 }, 0., 0., 0.])
            .collect();
        let mut body = Vec::new();
        wkb_head(&mut body, 3008, points.len() as u32);
        wkb_points(&mut body, &points);
        let blob = blob_of(&body);
        assert!(matches!(decode(&blob), Err(BlobError::TooManyVertices(_))));
        assert!(matches!(
            envelope(&blob),
            Err(BlobError::TooManyVertices(_))
        ));
        // One such circle is a real geometry and is drawn.
        let mut one = Vec::new();
        wkb_head(&mut one, 3008, 3);
        wkb_points(&mut one, &points[..3]);
        let g = decode(&blob_of(&one)).unwrap();
        assert_eq!(coord_count(&g.geometry), MAX_CHORDS_PER_ARC + 1);
        assert_eq!(g.zm.z.len(), MAX_CHORDS_PER_ARC + 1);
    }

    #[test]
    fn lines_rects_and_triangles_are_written_as_their_wkb_types() {
        let rect = Geometry::Rect(Rect::new(coord! {x: 0., y: 0.}, coord! {x: 1., y: 2.}));
        let back = decode(&encode_to_vec(&rect, 0)).unwrap().geometry;
        assert!(matches!(back, Geometry::Polygon(ref p) if p.exterior().0.len() == 5));
    }
}
