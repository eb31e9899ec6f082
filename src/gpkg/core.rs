//! The tables every GeoPackage has (spec §1.1), the version stamp, and the
//! checks that tell a GeoPackage from any other file.

use std::io::Read;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use super::error::{GpkgError, Result, SqlContext};
use crate::crs;

/// `application_id` of a GeoPackage: "GPKG" in ASCII.
pub const APPLICATION_ID: i32 = 0x4750_4B47;
/// `user_version` for GeoPackage 1.4.0.
pub const USER_VERSION: i32 = 10400;
/// `application_id` values of GeoPackage 1.0 and 1.1 ("GP10", "GP11").
const LEGACY_APPLICATION_IDS: [i32; 2] = [0x4750_3130, 0x4750_3131];

const CORE_SQL: &str = r#"
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT
);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE,
  min_y DOUBLE,
  max_x DOUBLE,
  max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);
CREATE TABLE gpkg_extensions (
  table_name TEXT,
  column_name TEXT,
  extension_name TEXT NOT NULL,
  definition TEXT NOT NULL,
  scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
);
INSERT INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system');
"#;

/// The CRSs every tramgis workspace carries: WGS 84 (required by the spec),
/// the province's VN-2000 zone and VN-2000 / UTM 48N.
pub const DEFAULT_SRS: [i32; 3] = [crs::WGS84, crs::VN2000_TM3_107, crs::VN2000_UTM48N];

pub fn create_core_tables(conn: &Connection, path: &Path) -> Result<()> {
    conn.execute_batch(CORE_SQL)
        .ctx(path, "creating the GeoPackage core tables")?;
    for code in DEFAULT_SRS {
        ensure_srs(conn, path, code)?;
    }
    conn.pragma_update(None, "application_id", APPLICATION_ID)
        .ctx(path, "setting application_id")?;
    conn.pragma_update(None, "user_version", USER_VERSION)
        .ctx(path, "setting user_version")?;
    Ok(())
}

/// Adds an EPSG CRS to `gpkg_spatial_ref_sys` (definition from PROJ) unless
/// it is there already.
pub fn ensure_srs(conn: &Connection, path: &Path, srs_id: i32) -> Result<()> {
    if srs_exists(conn, path, srs_id)? {
        return Ok(());
    }
    let def = crs::epsg_definition(srs_id)?;
    let name = if srs_id == crs::WGS84 {
        "WGS 84 geodetic".to_string()
    } else {
        def.name
    };
    conn.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            name,
            srs_id,
            def.organization,
            def.organization_coordsys_id,
            def.wkt,
            def.description
        ],
    )
    .ctx(path, "adding a CRS to gpkg_spatial_ref_sys")?;
    Ok(())
}

/// The CRS that `srs_id` stands for in this file: by its organization and
/// code when that is EPSG, else by its stored definition; srs_id 0 and -1
/// (and a row PROJ cannot read, or no row at all) are undefined.
pub fn srs_crs(conn: &Connection, path: &Path, srs_id: i32) -> Result<crs::Crs> {
    let row: Option<(String, String, i64, String)> = conn
        .query_row(
            "SELECT srs_name, organization, organization_coordsys_id, definition
             FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [srs_id],
            |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    r.get::<_, Option<i64>>(2)?.unwrap_or(i64::from(srs_id)),
                    r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                ))
            },
        )
        .optional()
        .ctx(path, "reading gpkg_spatial_ref_sys")?;
    Ok(match row {
        Some((name, organization, code, definition)) => {
            crs::Crs::from_srs_row(srs_id, &name, &organization, code, &definition)
        }
        None => crs::Crs::from_srs_row(srs_id, "", "NONE", i64::from(srs_id), ""),
    })
}

/// First srs_id tramgis gives a CRS that has no EPSG code.
pub const CUSTOM_SRS_BASE: i32 = 100_000;

/// The srs_id of a CRS known only by its WKT (a MapInfo CoordSys, a .prj
/// PROJ cannot identify): the row holding the same definition when there
/// is one, else a new row (organization NONE, as GDAL writes them) at the
/// first free id from [`CUSTOM_SRS_BASE`].
pub fn ensure_custom_srs(conn: &Connection, path: &Path, name: &str, wkt: &str) -> Result<i32> {
    let existing: Option<i32> = conn
        .query_row(
            "SELECT srs_id FROM gpkg_spatial_ref_sys WHERE definition = ?1 ORDER BY srs_id LIMIT 1",
            [wkt],
            |r| r.get(0),
        )
        .optional()
        .ctx(path, "reading gpkg_spatial_ref_sys")?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let id: i32 = conn
        .query_row(
            "SELECT max(?1, coalesce(max(srs_id) + 1, ?1)) FROM gpkg_spatial_ref_sys WHERE srs_id >= ?1",
            [CUSTOM_SRS_BASE],
            |r| r.get(0),
        )
        .ctx(path, "reading gpkg_spatial_ref_sys")?;
    let name = if name.trim().is_empty() {
        "custom CRS"
    } else {
        name
    };
    conn.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES (?1, ?2, 'NONE', ?2, ?3, ?4)",
        params![
            name,
            id,
            wkt,
            "imported by tramgis from the source's own definition"
        ],
    )
    .ctx(path, "adding a CRS to gpkg_spatial_ref_sys")?;
    Ok(id)
}

/// Whether `gpkg_spatial_ref_sys` has a row for `srs_id`.
pub fn srs_exists(conn: &Connection, path: &Path, srs_id: i32) -> Result<bool> {
    conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM gpkg_spatial_ref_sys WHERE srs_id = ?1)",
        [srs_id],
        |r| r.get(0),
    )
    .ctx(path, "reading gpkg_spatial_ref_sys")
}

/// Reads the first 100 bytes (the SQLite header) and rejects files that are
/// not SQLite databases, or that are shorter than the header says, before
/// SQLite ever sees them: a truncated copy fails here with a clear message
/// instead of somewhere in the middle of a read.
pub fn check_file_header(path: &Path) -> Result<()> {
    let mut file = std::fs::File::open(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => GpkgError::NotFound {
            path: path.to_path_buf(),
        },
        _ => GpkgError::Io {
            path: path.to_path_buf(),
            source,
        },
    })?;
    let len = file
        .metadata()
        .map_err(|source| GpkgError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    let mut header = [0u8; 100];
    let read = file.read(&mut header).map_err(|source| GpkgError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if read < 100 || &header[..16] != b"SQLite format 3\0" {
        return Err(GpkgError::NotSqlite {
            path: path.to_path_buf(),
            detail: if read < 100 {
                format!("only {len} bytes long")
            } else {
                "no SQLite header".into()
            },
        });
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65536u64,
        n => u64::from(n),
    };
    let page_count = u64::from(u32::from_be_bytes(header[28..32].try_into().unwrap()));
    let change_counter = &header[24..28];
    let version_valid_for = &header[92..96];
    // The in-header page count is trustworthy only when version-valid-for
    // matches the change counter, and only without a WAL file holding pages
    // that are not yet in the main file.
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let has_wal = std::fs::metadata(&wal)
        .map(|m| m.len() > 0)
        .unwrap_or(false);
    if change_counter == version_valid_for && !has_wal && len < page_count * page_size {
        return Err(GpkgError::Corrupt {
            path: path.to_path_buf(),
            detail: format!(
                "truncated: {len} bytes, but its header says {} bytes",
                page_count * page_size
            ),
        });
    }
    Ok(())
}

/// The file's `application_id` and `user_version`.
pub fn header(conn: &Connection, path: &Path) -> Result<(i32, i32)> {
    let app_id: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .ctx(path, "reading application_id")?;
    let version: i32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .ctx(path, "reading user_version")?;
    Ok((app_id, version))
}

/// Checks `application_id`, `user_version` and the required tables, and
/// returns what is odd but readable. A file whose `application_id` is 0
/// (older GDAL and SpatiaLite wrote those) but that has the required
/// tables opens with a warning, as GDAL does.
pub fn check_is_geopackage(conn: &Connection, path: &Path) -> Result<Vec<String>> {
    let (app_id, version) = header(conn, path)?;
    let not_gpkg = |detail: String| GpkgError::NotGeoPackage {
        path: path.to_path_buf(),
        detail,
    };
    let mut warnings = Vec::new();
    if app_id == 0 {
        warnings.push(format!(
            "{}: application_id is 0, not 'GPKG' (0x47504B47); read as a GeoPackage because it has the GeoPackage tables",
            path.display()
        ));
    } else if app_id != APPLICATION_ID && !LEGACY_APPLICATION_IDS.contains(&app_id) {
        return Err(not_gpkg(format!(
            "application_id is 0x{app_id:08X}, not 'GPKG' (0x47504B47)"
        )));
    }
    if app_id == APPLICATION_ID && version > USER_VERSION {
        return Err(GpkgError::NewerVersion {
            path: path.to_path_buf(),
            found: format!(
                "{}.{}.{}",
                version / 10000,
                version / 100 % 100,
                version % 100
            ),
        });
    }
    for table in ["gpkg_spatial_ref_sys", "gpkg_contents"] {
        let found: Option<String> = conn
            .query_row(
                "SELECT name FROM sqlite_master WHERE type IN ('table','view') AND name = ?1",
                [table],
                |r| r.get(0),
            )
            .optional()
            .ctx(path, "reading the schema")?;
        if found.is_none() {
            let id = if app_id == 0 {
                "application_id is 0, not 'GPKG', and "
            } else {
                ""
            };
            return Err(not_gpkg(format!(
                "{id}the required table {table} is missing"
            )));
        }
    }
    Ok(warnings)
}

/// Double-quotes an SQL identifier.
pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Single-quotes an SQL string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
