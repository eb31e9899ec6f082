//! A structural scan of GeoPackage geometry blobs: the binary header
//! (spec 2.1.3) and the ISO WKB after it, curves included. Nothing is
//! decoded into geometries; the scan gives what the checks compare.

/// A fault in a blob, with the requirement it breaks.
#[derive(Debug, Clone, PartialEq)]
pub struct BlobFault {
    pub requirement: u32,
    pub message: String,
}

fn fault(requirement: u32, message: impl Into<String>) -> BlobFault {
    BlobFault {
        requirement,
        message: message.into(),
    }
}

/// The header's fields.
#[derive(Debug, Clone)]
pub struct Header {
    pub srs_id: i32,
    pub empty_flag: bool,
    /// min x, max x, min y, max y (the header's order), when present.
    pub envelope: Option<[f64; 4]>,
    pub wkb_offset: usize,
}

/// The geometry type names by ISO WKB code (mod 1000).
pub const TYPE_NAMES: [&str; 15] = [
    "GEOMETRY",
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
    "GEOMETRYCOLLECTION",
    "CIRCULARSTRING",
    "COMPOUNDCURVE",
    "CURVEPOLYGON",
    "MULTICURVE",
    "MULTISURFACE",
    "CURVE",
    "SURFACE",
];

/// What the WKB holds.
#[derive(Debug, Clone)]
pub struct Scan {
    /// The geometry type code without the Z/M thousands (1..=14).
    pub base: u32,
    pub has_z: bool,
    pub has_m: bool,
    /// Bounding box of all coordinates, min x, max x, min y, max y; `None`
    /// when there are none (an empty geometry).
    pub bbox: Option<[f64; 4]>,
    /// Whether any part is a circular arc, whose extent can exceed the box
    /// of its points.
    pub curved: bool,
}

impl Scan {
    pub fn type_name(&self) -> &'static str {
        TYPE_NAMES[self.base as usize]
    }
}

pub fn read_header(blob: &[u8]) -> Result<Header, BlobFault> {
    if blob.len() < 8 {
        return Err(fault(
            19,
            format!(
                "a {}-byte blob is too short for a geometry header",
                blob.len()
            ),
        ));
    }
    if &blob[0..2] != b"GP" {
        return Err(fault(
            19,
            format!(
                "blob does not start with 'GP' (found {:02X} {:02X})",
                blob[0], blob[1]
            ),
        ));
    }
    if blob[2] != 0 {
        return Err(fault(
            19,
            format!("geometry blob version {} (only 0 is defined)", blob[2]),
        ));
    }
    let flags = blob[3];
    if flags & 0b0010_0000 != 0 {
        return Err(fault(19, "ExtendedGeoPackageBinary blobs are not allowed"));
    }
    let envelope_code = (flags >> 1) & 0b111;
    let doubles = match envelope_code {
        0 => 0,
        1 => 4,
        2 | 3 => 6,
        4 => 8,
        n => return Err(fault(19, format!("invalid envelope indicator {n}"))),
    };
    let little = flags & 1 == 1;
    let empty_flag = flags & 0b1_0000 != 0;
    let srs = [blob[4], blob[5], blob[6], blob[7]];
    let srs_id = if little {
        i32::from_le_bytes(srs)
    } else {
        i32::from_be_bytes(srs)
    };
    let wkb_offset = 8 + doubles * 8;
    if blob.len() < wkb_offset {
        return Err(fault(19, "blob ends inside its header envelope"));
    }
    let double = |i: usize| {
        let b: [u8; 8] = blob[8 + i * 8..16 + i * 8].try_into().expect("8 bytes");
        if little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        }
    };
    let envelope = (doubles > 0).then(|| [double(0), double(1), double(2), double(3)]);
    Ok(Header {
        srs_id,
        empty_flag,
        envelope,
        wkb_offset,
    })
    .and_then(|h| {
        if empty_flag && envelope_code != 0 {
            Err(fault(152, "an empty geometry must have no header envelope"))
        } else {
            Ok(h)
        }
    })
}

/// Deeper nesting than this is refused rather than followed.
const MAX_DEPTH: usize = 32;

struct Reader<'a> {
    wkb: &'a [u8],
    pos: usize,
    bbox: Option<[f64; 4]>,
    curved: bool,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], BlobFault> {
        let end = self.pos.checked_add(N).filter(|&e| e <= self.wkb.len());
        let end = end.ok_or_else(|| fault(19, format!("WKB ends early at byte {}", self.pos)))?;
        let bytes = self.wkb[self.pos..end].try_into().expect("N bytes");
        self.pos = end;
        Ok(bytes)
    }

    fn u32(&mut self, little: bool) -> Result<u32, BlobFault> {
        let b = self.take::<4>()?;
        Ok(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn f64(&mut self, little: bool) -> Result<f64, BlobFault> {
        let b = self.take::<8>()?;
        Ok(if little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    }

    /// Reads a count of items of at least `min_size` bytes each, refusing
    /// one the rest of the blob cannot hold.
    fn count(&mut self, little: bool, min_size: usize, what: &str) -> Result<usize, BlobFault> {
        let n = self.u32(little)? as usize;
        if n.saturating_mul(min_size) > self.wkb.len() - self.pos {
            return Err(fault(
                19,
                format!("WKB declares {n} {what}, more than the blob holds"),
            ));
        }
        Ok(n)
    }

    fn points(&mut self, little: bool, dims: usize) -> Result<(), BlobFault> {
        let n = self.count(little, dims * 8, "points")?;
        for _ in 0..n {
            self.point(little, dims)?;
        }
        Ok(())
    }

    fn point(&mut self, little: bool, dims: usize) -> Result<(), BlobFault> {
        let x = self.f64(little)?;
        let y = self.f64(little)?;
        for _ in 2..dims {
            self.f64(little)?;
        }
        // An empty point is written with NaN coordinates.
        if !x.is_nan() && !y.is_nan() {
            let b = self.bbox.get_or_insert([x, x, y, y]);
            *b = [b[0].min(x), b[1].max(x), b[2].min(y), b[3].max(y)];
        }
        Ok(())
    }

    /// One WKB geometry; `allowed` lists the base types that may appear here
    /// (empty: any). Returns its base type and dimension code.
    fn geometry(
        &mut self,
        allowed: &[u32],
        depth: usize,
        parent: Option<u32>,
    ) -> Result<(u32, u32), BlobFault> {
        if depth > MAX_DEPTH {
            return Err(fault(19, "WKB nests collections too deeply"));
        }
        let order = self.take::<1>()?[0];
        if order > 1 {
            return Err(fault(
                19,
                format!("invalid WKB byte order {order} at byte {}", self.pos - 1),
            ));
        }
        let little = order == 1;
        let code = self.u32(little)?;
        let (base, dim) = (code % 1000, code / 1000);
        if dim > 3 || !(1..=12).contains(&base) {
            return Err(fault(19, format!("invalid WKB geometry type {code}")));
        }
        if let Some(p) = parent
            && !allowed.contains(&base)
        {
            return Err(fault(
                19,
                format!(
                    "a {} cannot hold a {}",
                    TYPE_NAMES[p as usize], TYPE_NAMES[base as usize]
                ),
            ));
        }
        let dims = 2 + usize::from(dim == 1 || dim == 2) + 2 * usize::from(dim == 3);
        let parts = |r: &mut Self, allowed: &[u32]| -> Result<(), BlobFault> {
            let n = r.count(little, 9, "parts")?;
            for _ in 0..n {
                let (_, part_dim) = r.geometry(allowed, depth + 1, Some(base))?;
                if part_dim != dim {
                    return Err(fault(
                        19,
                        "WKB parts differ in Z/M from the geometry holding them",
                    ));
                }
            }
            Ok(())
        };
        match base {
            1 => self.point(little, dims)?,
            2 => self.points(little, dims)?,
            8 => {
                self.curved = true;
                self.points(little, dims)?
            }
            3 => {
                let rings = self.count(little, 4, "rings")?;
                for _ in 0..rings {
                    self.points(little, dims)?;
                }
            }
            4 => parts(self, &[1])?,
            5 => parts(self, &[2])?,
            6 => parts(self, &[3])?,
            7 => parts(self, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])?,
            9 => parts(self, &[2, 8])?,
            10 => parts(self, &[2, 8, 9])?,
            11 => parts(self, &[2, 8, 9])?,
            12 => parts(self, &[3, 10])?,
            _ => unreachable!("checked above"),
        }
        Ok((base, dim))
    }
}

/// Scans the WKB that follows the header.
pub fn scan_wkb(wkb: &[u8]) -> Result<Scan, BlobFault> {
    let mut r = Reader {
        wkb,
        pos: 0,
        bbox: None,
        curved: false,
    };
    let (base, dim) = r.geometry(&[], 0, None)?;
    if r.pos != wkb.len() {
        return Err(fault(
            19,
            format!("{} bytes follow the end of the WKB", wkb.len() - r.pos),
        ));
    }
    Ok(Scan {
        base,
        has_z: dim == 1 || dim == 3,
        has_m: dim == 2 || dim == 3,
        bbox: r.bbox,
        curved: r.curved,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wkb_le(code: u32, body: &[u8]) -> Vec<u8> {
        let mut v = vec![1];
        v.extend_from_slice(&code.to_le_bytes());
        v.extend_from_slice(body);
        v
    }

    fn coords(pts: &[(f64, f64)]) -> Vec<u8> {
        let mut v = (pts.len() as u32).to_le_bytes().to_vec();
        for (x, y) in pts {
            v.extend_from_slice(&x.to_le_bytes());
            v.extend_from_slice(&y.to_le_bytes());
        }
        v
    }

    #[test]
    fn compound_curve_of_an_arc_and_a_line() {
        let arc = wkb_le(8, &coords(&[(0.0, 0.0), (1.0, 1.0), (2.0, 0.0)]));
        let line = wkb_le(2, &coords(&[(2.0, 0.0), (3.0, -1.0)]));
        let mut body = 2u32.to_le_bytes().to_vec();
        body.extend(arc);
        body.extend(line);
        let scan = scan_wkb(&wkb_le(9, &body)).unwrap();
        assert_eq!(scan.type_name(), "COMPOUNDCURVE");
        assert!(scan.curved);
        assert_eq!(scan.bbox, Some([0.0, 3.0, -1.0, 1.0]));
    }

    #[test]
    fn faults() {
        assert!(scan_wkb(&wkb_le(2, &coords(&[(0.0, 0.0)])[..10])).is_err());
        assert!(scan_wkb(&wkb_le(15, &[])).is_err());
        assert!(scan_wkb(&wkb_le(0x8000_0001, &[0; 16])).is_err());
        // A MultiPoint holding a LineString.
        let mut body = 1u32.to_le_bytes().to_vec();
        body.extend(wkb_le(2, &coords(&[(0.0, 0.0), (1.0, 1.0)])));
        assert!(scan_wkb(&wkb_le(4, &body)).is_err());
        // A huge count is refused before reading.
        assert!(scan_wkb(&wkb_le(2, &u32::MAX.to_le_bytes())).is_err());
        assert_eq!(
            read_header(b"GP\0\x09\0\0\0\0").unwrap_err().requirement,
            19
        );
        let mut empty_with_box = b"GP\0\x13".to_vec();
        empty_with_box.extend([0; 36]);
        assert_eq!(read_header(&empty_with_box).unwrap_err().requirement, 152);
    }
}
