//! `tramgis validate`: checks a file against the GeoPackage requirements
//! that matter for exchanging data, and says what is wrong and where.

use std::path::Path;

use rusqlite::types::ValueRef;

use super::core::{self, quote};
use super::error::{Result, SqlContext};
use super::store::GeoPackage;
use super::{geom, rtree};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One finding: how bad, where (table, row, column as they apply), what.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub severity: Severity,
    pub location: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}: {}: {}", self.location, self.message)
    }
}

struct Findings(Vec<Problem>);

impl Findings {
    fn error(&mut self, location: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            severity: Severity::Error,
            location: location.into(),
            message: message.into(),
        });
    }

    fn warning(&mut self, location: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            severity: Severity::Warning,
            location: location.into(),
            message: message.into(),
        });
    }
}

/// At most this many row-level problems are listed per layer; the count of
/// the rest is given.
const MAX_ROW_PROBLEMS: usize = 20;

/// Validates a file without changing it. Returns the problems found; an
/// `Err` means the file could not be read as a GeoPackage at all.
pub fn validate(path: &Path) -> Result<Vec<Problem>> {
    let gpkg = GeoPackage::open_read_only(path)?;
    let conn = gpkg.connection();
    let mut found = Findings(Vec::new());

    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .ctx(path, "checking the SQLite structure")?;
    if check != "ok" {
        found.error("file", format!("SQLite integrity check failed: {check}"));
    }
    let (app_id, version) = core::header(conn, path)?;
    if app_id != core::APPLICATION_ID {
        found.warning(
            "file",
            format!("application_id 0x{app_id:08X} is from GeoPackage 1.0/1.1; 1.2+ uses 'GPKG'"),
        );
    } else if version < 10200 {
        found.error(
            "file",
            format!("user_version {version} is not a GeoPackage 1.2+ version number"),
        );
    }
    let violations: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .ctx(path, "checking foreign keys")?;
    if violations > 0 {
        found.error("file", format!("{violations} foreign key violations"));
    }
    for table in ["gpkg_geometry_columns", "gpkg_extensions"] {
        if !gpkg.table_exists(table)? {
            found.error(table, "required table is missing");
        }
    }
    for (srs, name) in [
        (4326, "WGS 84"),
        (0, "undefined geographic"),
        (-1, "undefined cartesian"),
    ] {
        if !core::srs_exists(conn, path, srs)? {
            found.error(
                "gpkg_spatial_ref_sys",
                format!("the required {name} row (srs_id {srs}) is missing"),
            );
        }
    }
    let missing_tables: Vec<String> = {
        let mut stmt = conn
            .prepare("SELECT table_name FROM gpkg_contents WHERE table_name NOT IN (SELECT name FROM sqlite_master)")
            .ctx(path, "reading gpkg_contents")?;
        stmt.query_map([], |r| r.get(0))
            .ctx(path, "reading gpkg_contents")?
            .collect::<rusqlite::Result<_>>()
            .ctx(path, "reading gpkg_contents")?
    };
    for t in missing_tables {
        found.error(
            format!("gpkg_contents row '{t}'"),
            "names a table that does not exist",
        );
    }
    if gpkg.table_exists("gpkg_geometry_columns")? {
        for layer in gpkg.layers()? {
            check_layer(&gpkg, &layer, &mut found)?;
        }
    }
    Ok(found.0)
}

fn check_layer(gpkg: &GeoPackage, layer: &super::LayerInfo, found: &mut Findings) -> Result<()> {
    let conn = gpkg.connection();
    let path = gpkg.path();
    let schema = &layer.schema;
    let name = &layer.name;
    if !core::srs_exists(conn, path, schema.srs_id)? {
        found.error(
            format!("layer '{name}'"),
            format!("srs_id {} is not in gpkg_spatial_ref_sys", schema.srs_id),
        );
    }
    let rt = rtree::table_name(name, &schema.geometry_column);
    if layer.has_rtree {
        // SQLite's own structural check of the R*Tree's nodes.
        let check: String = conn
            .query_row("SELECT rtreecheck(?1)", [&rt], |r| r.get(0))
            .ctx(path, "checking the spatial index")?;
        if check != "ok" {
            found.error(
                format!("layer '{name}'"),
                format!("spatial index {rt} is damaged: {check}"),
            );
        }
        for suffix in rtree::TRIGGER_SUFFIXES {
            let trigger = format!("{rt}_{suffix}");
            let n: i64 = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                    [&trigger],
                    |r| r.get(0),
                )
                .ctx(path, "reading the schema")?;
            if n == 0 {
                found.error(
                    format!("layer '{name}'"),
                    format!("spatial index trigger {trigger} is missing"),
                );
            }
        }
    } else {
        found.warning(
            format!("layer '{name}'"),
            "has no spatial index (gpkg_rtree_index)",
        );
    }

    // Every geometry: parses, has the column's SRS and an allowed type,
    // and (when indexed) its box is in the R-tree.
    let sql = format!(
        "SELECT t.{fid}, t.{g}{rcols} FROM {t} t{join}",
        fid = quote(&schema.fid_column),
        g = quote(&schema.geometry_column),
        t = quote(name),
        rcols = if layer.has_rtree {
            ", r.minx, r.maxx, r.miny, r.maxy"
        } else {
            ""
        },
        join = if layer.has_rtree {
            format!(
                " LEFT JOIN {} r ON r.id = t.{}",
                quote(&rt),
                quote(&schema.fid_column)
            )
        } else {
            String::new()
        },
    );
    let mut stmt = conn
        .prepare(&sql)
        .ctx(path, &format!("reading layer '{name}'"))?;
    let mut rows = stmt
        .query([])
        .ctx(path, &format!("reading layer '{name}'"))?;
    let mut row_problems = 0usize;
    let mut indexed_rows = 0i64;
    let mut report = |found: &mut Findings, fid: i64, message: String| {
        row_problems += 1;
        if row_problems <= MAX_ROW_PROBLEMS {
            found.error(
                format!(
                    "layer '{name}', fid {fid}, column '{}'",
                    schema.geometry_column
                ),
                message,
            );
        }
    };
    while let Some(row) = rows.next().ctx(path, &format!("reading layer '{name}'"))? {
        let fid: i64 = row.get(0).ctx(path, "reading a row")?;
        let blob = match row.get_ref(1).ctx(path, "reading a geometry")? {
            ValueRef::Blob(b) => b,
            ValueRef::Null => continue,
            other => {
                report(
                    found,
                    fid,
                    format!("geometry is a {:?}, not a blob", other.data_type()),
                );
                continue;
            }
        };
        let decoded = match geom::decode(blob) {
            Ok(d) => d,
            Err(e) => {
                report(found, fid, e.to_string());
                continue;
            }
        };
        if decoded.srs_id != schema.srs_id {
            report(
                found,
                fid,
                format!(
                    "blob SRS id {} differs from the column's {}",
                    decoded.srs_id, schema.srs_id
                ),
            );
        }
        let code = geom::wkb_type_code(&decoded.geometry);
        if !schema.geometry_type.accepts(code) {
            report(
                found,
                fid,
                format!(
                    "geometry of WKB type {code} in a {} column",
                    schema.geometry_type.name()
                ),
            );
        }
        let header = geom::read_header(blob).expect("decoded above");
        if let (Some(env), Some(actual)) = (header.envelope, geom::bounds(&decoded.geometry))
            && (0..4).any(|i| (env[i] - actual[i]).abs() > 1e-9 * env[i].abs().max(1.0))
        {
            report(
                found,
                fid,
                format!("header envelope {env:?} does not match the geometry's {actual:?}"),
            );
        }
        if !layer.has_rtree {
            continue;
        }
        let boxed: Option<[f64; 4]> = (|| {
            Some([
                row.get(2).ok()?,
                row.get(3).ok()?,
                row.get(4).ok()?,
                row.get(5).ok()?,
            ])
        })();
        let env = geom::envelope(blob).ok().flatten();
        match (env, boxed) {
            (None, Some(_)) => report(
                found,
                fid,
                "empty geometry has an entry in the spatial index".into(),
            ),
            (Some(_), None) => report(
                found,
                fid,
                "geometry is missing from the spatial index".into(),
            ),
            (Some(e), Some(b)) => {
                indexed_rows += 1;
                // The R*Tree stores 32-bit floats rounded outwards.
                let close = |a: f64, b: f64| (a - b).abs() <= a.abs().max(b.abs()) * 1e-6 + 1e-6;
                if !(0..4).all(|i| close(b[i], e[i])) {
                    report(
                        found,
                        fid,
                        format!("spatial index box {b:?} does not match the geometry's {e:?}"),
                    );
                }
            }
            (None, None) => {}
        }
    }
    if layer.has_rtree {
        let entries: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {}", quote(&rt)), [], |r| {
                r.get(0)
            })
            .ctx(path, "reading the spatial index")?;
        if entries != indexed_rows {
            found.error(
                format!("layer '{name}'"),
                format!("spatial index has {entries} entries for {indexed_rows} indexed features (stale entries)"),
            );
        }
    }
    if row_problems > MAX_ROW_PROBLEMS {
        found.error(
            format!("layer '{name}'"),
            format!(
                "{} more row problems not listed",
                row_problems - MAX_ROW_PROBLEMS
            ),
        );
    }
    Ok(())
}
