//! The communes and districts of the workspace's boundary layers
//! (`ranh_gioi_xa` by `ten_xa`, `ranh_gioi_huyen` by `ten_huyen`), as
//! extents to check out within. Names match however the Vietnamese was
//! typed: both sides are compared in NFC (Unikey's "Unicode tổ hợp" and
//! macOS give combining marks).

use unicode_normalization::UnicodeNormalization;

use super::error::{Result, SyncError};
use crate::gpkg::{GeoPackage, geom, quote};

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
/// workspace without the layers (or their name fields) has none.
pub fn list(gpkg: &GeoPackage) -> Result<Vec<Boundary>> {
    let mut out = Vec::new();
    for level in [Level::District, Level::Commune] {
        let (layer, field) = level.source();
        if gpkg
            .layer(layer)
            .is_ok_and(|info| info.schema.field_index(field).is_some())
        {
            out.extend(of_level(gpkg, level)?);
        }
    }
    Ok(out)
}

/// The extent of the commune or district named `name`.
pub fn extent(gpkg: &GeoPackage, level: Level, name: &str) -> Result<[f64; 4]> {
    let (layer, field) = level.source();
    let wanted: String = name.nfc().collect();
    of_level(gpkg, level)?
        .into_iter()
        .find(|b| b.name == wanted)
        .map(|b| b.extent)
        .ok_or_else(|| {
            SyncError::Config(format!(
                "{}: nothing named '{name}' in {layer} ({field})",
                gpkg.path().display()
            ))
        })
}

/// The named boundaries of one level's layer, by name. Only each row's
/// box is needed, so it comes from the blob's header envelope (or a scan of
/// its WKB), never from a decoded geometry: the Sync panel reads this with
/// every overview, and a province's commune outlines are large.
fn of_level(gpkg: &GeoPackage, level: Level) -> Result<Vec<Boundary>> {
    let (layer, field) = level.source();
    let info = gpkg.layer(layer)?;
    if info.schema.field_index(field).is_none() {
        return Err(SyncError::Config(format!(
            "{}: {layer} has no field {field}",
            gpkg.path().display()
        )));
    }
    let sql = format!(
        "SELECT {}, {} FROM {}",
        quote(field),
        quote(&info.schema.geometry_column),
        quote(layer)
    );
    let context = |e: rusqlite::Error| {
        SyncError::Config(format!("{}: reading {layer}: {e}", gpkg.path().display()))
    };
    let conn = gpkg.connection();
    let mut stmt = conn.prepare(&sql).map_err(context)?;
    let mut rows = stmt.query([]).map_err(context)?;
    let mut named: Vec<Boundary> = Vec::new();
    while let Some(row) = rows.next().map_err(context)? {
        let (Ok(Some(name)), Ok(Some(blob))) = (
            row.get::<_, Option<String>>(0),
            row.get::<_, Option<Vec<u8>>>(1),
        ) else {
            continue;
        };
        let Some(r) = geom::envelope(&blob).map_err(|e| {
            SyncError::Config(format!(
                "{}: {layer}, '{name}': unreadable geometry: {e}",
                gpkg.path().display()
            ))
        })?
        else {
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
    Ok(named)
}
