//! Reading a polygon layer for the check: fid, polygons, envelope, and
//! what decoding hides (geo-types closes unclosed rings as it reads them).

use geo::BoundingRect;
use geo_types::{Geometry, MultiPolygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use rusqlite::types::ValueRef;

use super::{CheckError, keep_going};
use crate::gpkg::{GeoPackage, GpkgError, geom, quote, rtree_table_name};
use crate::jobs::Progress;
use crate::model::GeometryType;

/// One feature as the check sees it.
pub struct Shape {
    pub fid: i64,
    pub polygons: MultiPolygon<f64>,
    pub bounds: Rect<f64>,
    /// Rings stored without their closing vertex.
    pub unclosed_rings: usize,
}

pub struct Layer {
    pub name: String,
    pub shapes: Vec<Shape>,
}

/// Reads the polygons of `layer` (those whose envelope meets `area`, when
/// given: through the layer's R-tree); features with no geometry are
/// skipped.
pub fn load(
    gpkg: &GeoPackage,
    layer: &str,
    area: Option<Rect<f64>>,
    progress: &Progress,
) -> Result<Layer, CheckError> {
    let info = gpkg.layer(layer)?;
    let kind = info.schema.geometry_type;
    if !matches!(
        kind,
        GeometryType::Polygon | GeometryType::MultiPolygon | GeometryType::Geometry
    ) {
        return Err(CheckError::NotPolygons {
            path: gpkg.path().to_path_buf(),
            layer: layer.to_string(),
            geometry_type: kind.name().to_string(),
        });
    }
    // One pass over fid and blob (not the attributes): the blob is decoded
    // and also scanned for rings stored unclosed, which decoding closes.
    let (fid, geometry) = (
        quote(&info.schema.fid_column),
        quote(&info.schema.geometry_column),
    );
    let sql = match area {
        Some(_) if info.has_rtree => format!(
            "SELECT t.{fid}, t.{geometry} FROM {} t JOIN {} r ON t.{fid} = r.id
             WHERE r.minx <= ?3 AND r.maxx >= ?1 AND r.miny <= ?4 AND r.maxy >= ?2",
            quote(layer),
            quote(&rtree_table_name(layer, &info.schema.geometry_column))
        ),
        _ => format!("SELECT {fid}, {geometry} FROM {}", quote(layer)),
    };
    let args: Vec<f64> = match area {
        Some(a) if info.has_rtree => vec![a.min().x, a.min().y, a.max().x, a.max().y],
        _ => vec![],
    };
    let path = gpkg.path();
    let sql_error = |e: rusqlite::Error| {
        CheckError::Gpkg(GpkgError::Sqlite {
            path: path.to_path_buf(),
            context: format!("reading layer '{layer}'"),
            source: e,
        })
    };
    let mut stmt = gpkg.connection().prepare(&sql).map_err(sql_error)?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(args.iter()))
        .map_err(sql_error)?;
    let mut shapes = Vec::new();
    while let Some(row) = rows.next().map_err(sql_error)? {
        if shapes.len() % 4096 == 0 {
            keep_going(progress)?;
        }
        let (ValueRef::Integer(fid), ValueRef::Blob(blob)) = (
            row.get_ref(0).map_err(sql_error)?,
            row.get_ref(1).map_err(sql_error)?,
        ) else {
            continue;
        };
        let decoded = geom::decode(blob).map_err(|source| GpkgError::BadGeometry {
            path: path.to_path_buf(),
            layer: layer.to_string(),
            fid,
            column: info.schema.geometry_column.clone(),
            source,
        })?;
        let polygons = match decoded.geometry {
            Geometry::Polygon(p) => MultiPolygon(vec![p]),
            Geometry::MultiPolygon(mp) => mp,
            _ => continue,
        };
        let Some(bounds) = polygons.bounding_rect() else {
            continue;
        };
        if area.is_some_and(|a| !geom::boxes_meet(bounds, a)) {
            continue;
        }
        shapes.push(Shape {
            fid,
            polygons,
            bounds,
            unclosed_rings: unclosed_rings(blob).unwrap_or(0),
        });
    }
    Ok(Layer {
        name: layer.to_string(),
        shapes,
    })
}

/// Rings of a GeoPackage blob's (Multi)Polygon whose last vertex is not
/// its first; None when the blob is not one (decoding reports that).
pub fn unclosed_rings(blob: &[u8]) -> Option<usize> {
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return None;
    }
    let envelope = match (blob[3] >> 1) & 7 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        _ => return None,
    };
    let mut wkb = Wkb {
        buf: blob.get(8 + envelope..)?,
        pos: 0,
        little: true,
    };
    wkb.unclosed()
}

struct Wkb<'a> {
    buf: &'a [u8],
    pos: usize,
    little: bool,
}

impl Wkb<'_> {
    fn u32(&mut self) -> Option<u32> {
        let b: [u8; 4] = self.buf.get(self.pos..self.pos + 4)?.try_into().ok()?;
        self.pos += 4;
        Some(if self.little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn f64_at(&self, at: usize) -> Option<f64> {
        let b: [u8; 8] = self.buf.get(at..at + 8)?.try_into().ok()?;
        Some(if self.little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    }

    /// Reads a geometry header: (base type 1..7, bytes per coordinate).
    fn header(&mut self) -> Option<(u32, usize)> {
        self.little = *self.buf.get(self.pos)? == 1;
        self.pos += 1;
        let code = self.u32()?;
        // ISO codes (1003, 2003, 3003) and EWKB flags (Z, M, SRID).
        let (z, m) = (
            code & 0x8000_0000 != 0 || matches!((code & 0xffff) / 1000, 1 | 3),
            code & 0x4000_0000 != 0 || matches!((code & 0xffff) / 1000, 2 | 3),
        );
        if code & 0x2000_0000 != 0 {
            self.u32()?;
        }
        let dims = 2 + usize::from(z) + usize::from(m);
        Some(((code & 0xffff) % 1000, dims * 8))
    }

    fn unclosed(&mut self) -> Option<usize> {
        let (kind, size) = self.header()?;
        match kind {
            3 => self.polygon_rings(size),
            6 => {
                let n = self.u32()?;
                let mut count = 0;
                for _ in 0..n {
                    let (kind, size) = self.header()?;
                    if kind != 3 {
                        return None;
                    }
                    count += self.polygon_rings(size)?;
                }
                Some(count)
            }
            _ => None,
        }
    }

    fn polygon_rings(&mut self, size: usize) -> Option<usize> {
        let rings = self.u32()?;
        let mut unclosed = 0;
        for _ in 0..rings {
            let n = self.u32()? as usize;
            let start = self.pos;
            self.pos = start.checked_add(n.checked_mul(size)?)?;
            if self.pos > self.buf.len() {
                return None;
            }
            if n > 0 {
                let last = start + (n - 1) * size;
                let same = self.f64_at(start)? == self.f64_at(last)?
                    && self.f64_at(start + 8)? == self.f64_at(last + 8)?;
                unclosed += usize::from(!same);
            }
        }
        Some(unclosed)
    }
}

/// An R-tree over the shapes' envelopes; the data is the shape's index.
pub struct ShapeIndex {
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

impl ShapeIndex {
    pub fn new(shapes: &[Shape]) -> Self {
        let items = shapes
            .iter()
            .enumerate()
            .map(|(i, s)| GeomWithData::new(rectangle(s.bounds, 0.0), i))
            .collect();
        ShapeIndex {
            tree: RTree::bulk_load(items),
        }
    }

    /// Indices of shapes whose envelope meets `area` grown by `margin`.
    pub fn meeting(&self, area: Rect<f64>, margin: f64) -> impl Iterator<Item = usize> + '_ {
        let r = rectangle(area, margin);
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_corners(r.lower(), r.upper()))
            .map(|item| item.data)
    }
}

pub fn rectangle(r: Rect<f64>, margin: f64) -> Rectangle<[f64; 2]> {
    Rectangle::from_corners(
        [r.min().x - margin, r.min().y - margin],
        [r.max().x + margin, r.max().y + margin],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GeoPackage blob (no envelope) around little-endian WKB.
    fn blob(wkb: &[u8]) -> Vec<u8> {
        let mut b = vec![b'G', b'P', 0, 1, 0, 0, 0, 0];
        b.extend_from_slice(wkb);
        b
    }

    fn polygon_wkb(code: u32, dims: usize, rings: &[&[[f64; 2]]]) -> Vec<u8> {
        let mut w = vec![1u8];
        w.extend_from_slice(&code.to_le_bytes());
        w.extend_from_slice(&(rings.len() as u32).to_le_bytes());
        for r in rings {
            w.extend_from_slice(&(r.len() as u32).to_le_bytes());
            for c in *r {
                for d in 0..dims {
                    w.extend_from_slice(&c.get(d).copied().unwrap_or(7.0).to_le_bytes());
                }
            }
        }
        w
    }

    #[test]
    fn unclosed_rings_are_counted_as_stored() {
        let open: &[[f64; 2]] = &[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]];
        let closed: &[[f64; 2]] = &[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]];
        assert_eq!(
            unclosed_rings(&blob(&polygon_wkb(3, 2, &[closed]))),
            Some(0)
        );
        assert_eq!(
            unclosed_rings(&blob(&polygon_wkb(3, 2, &[closed, open]))),
            Some(1)
        );
        // Polygon Z (ISO 1003): three numbers per vertex.
        assert_eq!(
            unclosed_rings(&blob(&polygon_wkb(1003, 3, &[open]))),
            Some(1)
        );
        // A MultiPolygon of two parts, one unclosed.
        let mut multi = vec![1u8];
        multi.extend_from_slice(&6u32.to_le_bytes());
        multi.extend_from_slice(&2u32.to_le_bytes());
        multi.extend(polygon_wkb(3, 2, &[open]));
        multi.extend(polygon_wkb(3, 2, &[closed]));
        assert_eq!(unclosed_rings(&blob(&multi)), Some(1));
        // Truncated: not ours to judge (decoding reports it).
        let mut cut = blob(&polygon_wkb(3, 2, &[closed]));
        cut.truncate(cut.len() - 4);
        assert_eq!(unclosed_rings(&cut), None);
    }
}
