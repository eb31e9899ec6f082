//! `tramgis validate`: checks a file against the requirements of the
//! GeoPackage version it declares, as GDAL's `validate_gpkg.py` does, plus
//! consistency checks of the spatial index and the geometry headers (given
//! as warnings: GDAL's validator does not check them, and a file it calls
//! valid is valid here too).
//! Every finding names the requirement, table, row and column it is about;
//! a table that cannot be read is a finding about that table, and the
//! other tables are still checked.

mod attributes;
mod blob;
mod checker;
mod core_tables;
mod extensions;
mod features;
mod geometries;
mod metadata;
mod report;
mod rtree;
mod schema;
mod structure;

use std::io::Read;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::error::{GpkgError, Result, SqlContext};
use checker::{Checker, Version};
pub use report::{Place, Problem, Severity};

/// Validates a file without changing it. Returns the findings; an `Err`
/// means the file could not be read at all (missing, unreadable, locked).
pub fn validate(path: &Path) -> Result<Vec<Problem>> {
    let mut early = Vec::new();
    let mut file_error = |requirement: u32, message: String| {
        early.push(Problem {
            severity: Severity::Error,
            requirement: Some(requirement),
            place: Place::file(),
            message,
        })
    };
    let is_gpkg_name = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"));
    if !is_gpkg_name {
        file_error(3, "the file name does not end in .gpkg".into());
    }
    let header = match read_header(path)? {
        Some(h) => h,
        None => {
            file_error(1, "not a SQLite database".into());
            return Ok(early);
        }
    };
    let version = match declared_version(header) {
        Ok(v) => v,
        Err((message, v)) => {
            file_error(2, message);
            v
        }
    };

    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| super::error::classify(path, "opening", e))?;
    if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        return match super::error::classify(path, "reading the schema", e) {
            GpkgError::NotSqlite { detail, .. } => {
                file_error(1, format!("not a SQLite database ({detail})"));
                Ok(early)
            }
            GpkgError::Corrupt { detail, .. } => {
                file_error(6, format!("the SQLite file is damaged ({detail})"));
                Ok(early)
            }
            other => Err(other),
        };
    }

    let mut c = Checker::new(&conn, version);
    for p in early {
        c.push(p);
    }
    // A 1.4.x file is 1.4 (GDAL's validator, too, warns from 1.5 on).
    if version >= Version::UNKNOWN {
        c.warning(
            None,
            Place::file(),
            format!(
                "GeoPackage {version} is newer than this validator knows; checked as {}",
                Version::NEWEST
            ),
        );
    }
    let file = Place::file;
    c.guard(7, file(), check_foreign_keys);
    c.guard(6, file(), check_integrity);
    c.guard(
        10,
        Place::table("gpkg_spatial_ref_sys"),
        core_tables::check_spatial_ref_sys,
    );
    let mut has_contents = false;
    c.guard(13, Place::table("gpkg_contents"), |c| {
        has_contents = core_tables::check_contents(c)?;
        Ok(())
    });
    if has_contents {
        c.guard(21, Place::table("gpkg_geometry_columns"), features::check);
        c.guard(None, Place::table("gpkg_contents"), check_tiles);
        c.guard(None, Place::table("gpkg_contents"), attributes::check);
    }
    c.guard(58, Place::table("gpkg_extensions"), extensions::check);
    c.guard(93, Place::table("gpkg_metadata"), metadata::check);
    c.guard(103, Place::table("gpkg_data_columns"), schema::check);
    Ok(c.into_findings())
}

/// The application_id and user_version of the SQLite header, or `None`
/// when the file is not a SQLite database.
fn read_header(path: &Path) -> Result<Option<(u32, u32)>> {
    if super::open_files::is_open(path) {
        // Our own descriptor would drop the open connections' locks.
        return header_through_sqlite(path).map(Some);
    }
    let mut file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => GpkgError::NotFound {
            path: path.to_path_buf(),
        },
        _ => GpkgError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    })?;
    let mut head = [0u8; 100];
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(GpkgError::Io {
                    path: path.to_path_buf(),
                    source: e,
                });
            }
        }
    }
    if read < head.len() || &head[..16] != b"SQLite format 3\0" {
        return Ok(None);
    }
    let be = |at: usize| u32::from_be_bytes(head[at..at + 4].try_into().expect("4 bytes"));
    Ok(Some((be(68), be(60))))
}

/// The header fields of a file this process already has open as SQLite.
fn header_through_sqlite(path: &Path) -> Result<(u32, u32)> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .ctx(path, "opening the file")?;
    let pragma = |name: &str| {
        conn.pragma_query_value(None, name, |r| r.get::<_, i64>(0))
            .map(|v| v as u32)
            .ctx(path, "reading the header")
    };
    Ok((pragma("application_id")?, pragma("user_version")?))
}

/// The version whose requirements apply; on a bad header, the message and
/// the version checked instead. As GDAL's validator, a GPKG file's
/// user_version is read as a version even below 10200 (0 is 0.0.0, older
/// than 1.4, so the 1.0–1.3 rules apply).
fn declared_version(
    (app_id, user_version): (u32, u32),
) -> std::result::Result<Version, (String, Version)> {
    let from_user_version = |v: u32| Version(v / 10000, (v % 10000) / 100, v % 100);
    match &app_id.to_be_bytes() {
        b"GP10" => Ok(Version(1, 0, 0)),
        b"GP11" => Ok(Version(1, 1, 0)),
        b"GPKG" if user_version >= 10200 => Ok(from_user_version(user_version)),
        b"GPKG" => Err((
            format!("user_version {user_version} is not a GeoPackage 1.2+ version (10200 or more)"),
            from_user_version(user_version),
        )),
        other => {
            let shown: String = other
                .iter()
                .map(|&b| {
                    if b.is_ascii_graphic() {
                        char::from(b)
                    } else {
                        '.'
                    }
                })
                .collect();
            let fallback = if user_version >= 10200 {
                from_user_version(user_version)
            } else {
                Version::NEWEST
            };
            Err((
                format!("application_id is 0x{app_id:08X} ('{shown}'), not GP10, GP11 or GPKG"),
                fallback,
            ))
        }
    }
}

fn check_foreign_keys(c: &mut Checker) -> rusqlite::Result<()> {
    let rows = c.rows("PRAGMA foreign_key_check", [], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<i64>>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for (table, rowid, parent) in rows.iter().take(20) {
        let mut at = Place::table(table);
        at.row = *rowid;
        c.error(
            7,
            at,
            format!("refers to a row of {parent} that does not exist"),
        );
    }
    if rows.len() > 20 {
        c.error(
            7,
            Place::file(),
            format!("{} more foreign key violations not listed", rows.len() - 20),
        );
    }
    Ok(())
}

fn check_integrity(c: &mut Checker) -> rusqlite::Result<()> {
    let lines = c.rows("PRAGMA integrity_check(20)", [], |r| r.get::<_, String>(0))?;
    if lines.first().map(String::as_str) != Some("ok") {
        c.error(
            6,
            Place::file(),
            format!("SQLite integrity check failed: {}", lines.join("; ")),
        );
    }
    Ok(())
}

/// Tile pyramids are not read by tramgis; their requirements are left to
/// GDAL's validator.
fn check_tiles(c: &mut Checker) -> rusqlite::Result<()> {
    let tables = c.rows(
        "SELECT table_name FROM gpkg_contents WHERE data_type IN ('tiles', '2d-gridded-coverage')",
        [],
        |r| r.get::<_, String>(0),
    )?;
    for t in tables {
        c.warning(
            None,
            Place::table(&t),
            "tile tables are not checked by tramgis",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        let v = |app: &[u8; 4], uv| declared_version((u32::from_be_bytes(*app), uv));
        assert_eq!(v(b"GP10", 0), Ok(Version(1, 0, 0)));
        assert_eq!(v(b"GPKG", 10201), Ok(Version(1, 2, 1)));
        assert_eq!(v(b"GPKG", 10400), Ok(Version(1, 4, 0)));
        assert_eq!(v(b"GPKG", 0).unwrap_err().1, Version(0, 0, 0));
        assert_eq!(v(b"GPKG", 10101).unwrap_err().1, Version(1, 1, 1));
        assert_eq!(v(&[0; 4], 10300).unwrap_err().1, Version(1, 3, 0));
    }

    #[test]
    fn not_sqlite_is_a_finding() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.gpkg");
        std::fs::write(&path, b"hello").unwrap();
        let found = validate(&path).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].requirement, Some(1));
        assert!(validate(&dir.path().join("missing.gpkg")).is_err());
    }
}
