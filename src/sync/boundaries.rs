//! The communes and districts of the workspace's boundary layers
//! (`ranh_gioi_xa` by `ten_xa`, `ranh_gioi_huyen` by `ten_huyen`), as
//! extents to check out within. Names match however the Vietnamese was
//! typed: both sides are compared in NFC (Unikey's "Unicode tổ hợp" and
//! macOS give combining marks).

use unicode_normalization::UnicodeNormalization;

use super::error::{Result, SyncError};
use crate::gpkg::GeoPackage;
use crate::model::FieldValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    District,
    Commune,
}

impl Level {
    /// The boundary layer and its name field.
    pub fn source(self) -> (&'static str, &'static str) {
        match self {
            Level::Commune => ("ranh_gioi_xa", "ten_xa"),
            Level::District => ("ranh_gioi_huyen", "ten_huyen"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    pub level: Level,
    pub name: String,
    /// minx, miny, maxx, maxy in the boundary layer's CRS; a boundary in
    /// several parts (rows) gives the box of all of them.
    pub extent: [f64; 4],
    /// The boundary layer's SRS id (its EPSG code for an EPSG CRS).
    pub srs_id: i32,
}

/// Every named commune and district, districts first, each by name; a
/// workspace without the layers has none.
pub fn list(gpkg: &GeoPackage) -> Result<Vec<Boundary>> {
    let mut out: Vec<Boundary> = Vec::new();
    for level in [Level::District, Level::Commune] {
        let (layer, field) = level.source();
        let Ok(info) = gpkg.layer(layer) else {
            continue;
        };
        let Some(i) = info.schema.field_index(field) else {
            continue;
        };
        let mut named: Vec<Boundary> = Vec::new();
        for f in gpkg.all_features(layer)? {
            let (FieldValue::Text(name), Some(g)) = (&f.values[i], &f.geometry) else {
                continue;
            };
            let Some(r) = geo::BoundingRect::bounding_rect(g) else {
                continue;
            };
            let name: String = name.nfc().collect();
            let (lo, hi) = (r.min(), r.max());
            match named.iter_mut().find(|b| b.name == name) {
                Some(b) => {
                    let [a, c, d, e] = b.extent;
                    b.extent = [a.min(lo.x), c.min(lo.y), d.max(hi.x), e.max(hi.y)];
                }
                None => named.push(Boundary {
                    level,
                    name,
                    extent: [lo.x, lo.y, hi.x, hi.y],
                    srs_id: info.schema.srs_id,
                }),
            }
        }
        named.sort_by(|a, b| a.name.cmp(&b.name));
        out.extend(named);
    }
    Ok(out)
}

/// The extent of the commune or district named `name`.
pub fn extent(gpkg: &GeoPackage, level: Level, name: &str) -> Result<[f64; 4]> {
    let (layer, field) = level.source();
    let schema = gpkg.layer(layer)?.schema;
    if schema.field_index(field).is_none() {
        return Err(SyncError::Config(format!(
            "{}: {layer} has no field {field}",
            gpkg.path().display()
        )));
    }
    let wanted: String = name.nfc().collect();
    list(gpkg)?
        .into_iter()
        .find(|b| b.level == level && b.name == wanted)
        .map(|b| b.extent)
        .ok_or_else(|| {
            SyncError::Config(format!(
                "{}: nothing named '{name}' in {layer} ({field})",
                gpkg.path().display()
            ))
        })
}
