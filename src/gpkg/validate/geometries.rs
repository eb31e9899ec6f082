//! The geometries of a feature table: blob headers and WKB (spec 2.1.3),
//! their types against the column's (2.1.6), and their entries in the
//! R-tree (Annex F.3).

use std::collections::BTreeSet;

use rusqlite::types::ValueRef;

use super::blob::{self, Scan};
use super::checker::{Checker, ident, sqlite_message};
use super::features::{CURVE_TYPES, GeometryColumn, require_geom_extension};
use super::report::Place;

/// At most this many row-level findings are listed per table; the count of
/// the rest is given.
const MAX_ROW_PROBLEMS: usize = 20;

/// The geometry types a column of `column_type` may hold (the type and its
/// subtypes in the simple-features hierarchy).
fn accepts(column_type: &str, found: &str) -> bool {
    let allowed: &[&str] = match column_type {
        "GEOMETRY" => return true,
        "GEOMETRYCOLLECTION" => &[
            "GEOMETRYCOLLECTION",
            "MULTIPOINT",
            "MULTILINESTRING",
            "MULTIPOLYGON",
            "MULTICURVE",
            "MULTISURFACE",
        ],
        "CURVE" => &["LINESTRING", "CIRCULARSTRING", "COMPOUNDCURVE"],
        "CURVEPOLYGON" | "SURFACE" => &["POLYGON", "CURVEPOLYGON"],
        "MULTICURVE" => &["MULTILINESTRING", "MULTICURVE"],
        "MULTISURFACE" => &["MULTIPOLYGON", "MULTISURFACE"],
        other => return other == found,
    };
    allowed.contains(&found)
}

/// Row findings, at most `MAX_ROW_PROBLEMS` listed per requirement (so
/// that each requirement broken shows), the rest counted.
#[derive(Default)]
struct RowFindings {
    listed: Vec<(Option<u32>, Option<i64>, String)>,
    per_requirement: std::collections::HashMap<Option<u32>, usize>,
    unlisted: usize,
}

impl RowFindings {
    fn push(&mut self, requirement: Option<u32>, fid: Option<i64>, message: String) {
        let n = self.per_requirement.entry(requirement).or_default();
        *n += 1;
        if *n <= MAX_ROW_PROBLEMS {
            self.listed.push((requirement, fid, message));
        } else {
            self.unlisted += 1;
        }
    }

    /// A finding of a requirement is an error; one of tramgis's own
    /// consistency checks (`None`: no requirement GDAL's validator checks
    /// says so) is a warning, so that the two agree on what is valid.
    fn report(self, c: &mut Checker, table: &str, column: &str) {
        for (requirement, fid, message) in self.listed {
            let mut at = Place::column(table, column);
            at.row = fid;
            match requirement {
                Some(_) => c.error(requirement, at, message),
                None => c.warning(None, at, message),
            }
        }
        if self.unlisted > 0 {
            c.warning(
                None,
                Place::column(table, column),
                format!(
                    "{} more row problems of the kinds above are not listed",
                    self.unlisted
                ),
            );
        }
    }
}

pub fn check(
    c: &mut Checker,
    table: &str,
    gc: &GeometryColumn,
    key: Option<&str>,
    rtree: Option<&str>,
) -> rusqlite::Result<()> {
    let fid = key
        .map(|k| format!("t.{}", ident(k)))
        .unwrap_or_else(|| "NULL".into());
    let sql = match rtree {
        Some(rt) if key.is_some() => format!(
            "SELECT {fid}, t.{g}, r.minx, r.maxx, r.miny, r.maxy, r.id IS NOT NULL \
             FROM {t} t LEFT JOIN {r} r ON r.id = {fid}",
            g = ident(&gc.column),
            t = ident(table),
            r = ident(rt),
        ),
        _ => format!(
            "SELECT {fid}, t.{g}, NULL, NULL, NULL, NULL, 0 FROM {t} t",
            g = ident(&gc.column),
            t = ident(table)
        ),
    };
    let check_index = rtree.is_some() && key.is_some();
    let mut pending = RowFindings::default();
    let mut found_types: BTreeSet<&'static str> = BTreeSet::new();
    let mut srs_mismatches: BTreeSet<i32> = BTreeSet::new();
    let mut indexed = 0i64;
    {
        let mut stmt = c.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let fid: Option<i64> = row.get(0).ok();
            let blob = match row.get_ref(1)? {
                ValueRef::Null => continue,
                ValueRef::Blob(b) => b,
                other => {
                    pending.push(
                        Some(19),
                        fid,
                        format!("holds a {:?} value, not a geometry blob", other.data_type(),),
                    );
                    continue;
                }
            };
            let boxed: Option<[f64; 4]> = (|| {
                Some([
                    row.get(2).ok()?,
                    row.get(3).ok()?,
                    row.get(4).ok()?,
                    row.get(5).ok()?,
                ])
            })();
            let in_index: bool = row.get(6)?;
            if in_index {
                indexed += 1;
            }
            let header = match blob::read_header(blob) {
                Ok(h) => h,
                Err(f) => {
                    pending.push(Some(f.requirement), fid, f.message);
                    continue;
                }
            };
            if i64::from(header.srs_id) != gc.srs_id && srs_mismatches.insert(header.srs_id) {
                pending.push(
                    Some(33),
                    fid,
                    format!(
                        "geometry has srs_id {}, the column's is {}",
                        header.srs_id, gc.srs_id
                    ),
                );
            }
            let wkb = &blob[header.wkb_offset..];
            let scan = match blob::scan_wkb(wkb) {
                Ok(s) => s,
                Err(f) => {
                    pending.push(Some(f.requirement), fid, f.message);
                    continue;
                }
            };
            found_types.insert(scan.type_name());
            for fault in dimension_faults(gc, &scan) {
                pending.push(Some(19), fid, fault);
            }
            if header.empty_flag != scan.bbox.is_none() {
                pending.push(
                    Some(152),
                    fid,
                    if header.empty_flag {
                        "header says empty, but the geometry has coordinates".into()
                    } else {
                        "geometry is empty, but the header's empty flag is not set".into()
                    },
                );
            }
            if let (Some(env), Some(bbox)) = (header.envelope, scan.bbox)
                && !envelope_fits(env, bbox, scan.curved)
            {
                pending.push(
                    None,
                    fid,
                    format!(
                        "header envelope {env:?} does not match the geometry's extent {bbox:?}"
                    ),
                );
            }
            if check_index {
                let expected = header
                    .envelope
                    .or(scan.bbox)
                    .filter(|_| scan.bbox.is_some());
                match (expected, in_index, boxed) {
                    (None, true, _) => pending.push(
                        None,
                        fid,
                        "empty geometry has an entry in the spatial index".into(),
                    ),
                    (Some(_), false, _) => pending.push(
                        None,
                        fid,
                        "geometry is missing from the spatial index".into(),
                    ),
                    (Some(e), true, Some(b)) => {
                        // The R*Tree stores 32-bit floats rounded outwards.
                        let close =
                            |a: f64, b: f64| (a - b).abs() <= a.abs().max(b.abs()) * 1e-6 + 1e-6;
                        if !(0..4).all(|i| close(b[i], e[i])) {
                            pending.push(
                                None,
                                fid,
                                format!(
                                    "spatial index box {b:?} does not match the geometry's {e:?}"
                                ),
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    // Recorded once the statement no longer borrows the connection.
    pending.report(c, table, &gc.column);
    let unfit: Vec<&str> = found_types
        .iter()
        .copied()
        .filter(|t| !accepts(&gc.type_name, t))
        .collect();
    if !unfit.is_empty() {
        c.error(
            32,
            Place::column(table, &gc.column),
            format!(
                "holds {} geometries in a {} column",
                unfit.join(", "),
                gc.type_name
            ),
        );
    }
    for found in &found_types {
        if CURVE_TYPES.contains(found) && *found != gc.type_name {
            require_geom_extension(c, table, &gc.column, found)?;
        }
    }
    if let Some(rt) = rtree.filter(|_| check_index) {
        let entries: i64 =
            c.conn
                .query_row(&format!("SELECT count(*) FROM {}", ident(rt)), [], |r| {
                    r.get(0)
                })?;
        // A stale index is a real fault, but not of a requirement GDAL's
        // validator checks: a warning, as above.
        if entries != indexed {
            c.warning(
                None,
                Place::table(rt),
                format!("spatial index has {entries} entries, but only {indexed} rows of the table have one"),
            );
        }
        let damage = c
            .conn
            .query_row("SELECT rtreecheck(?1)", [rt], |r| r.get::<_, String>(0));
        match damage {
            Ok(d) if d == "ok" => {}
            Ok(d) => c.warning(
                None,
                Place::table(rt),
                format!("spatial index is damaged: {d}"),
            ),
            Err(e) => c.warning(
                None,
                Place::table(rt),
                format!("spatial index cannot be checked: {}", sqlite_message(&e)),
            ),
        }
    }
    Ok(())
}

/// Z/M of a geometry against the column's z and m (0 never, 1 always,
/// 2 optional).
fn dimension_faults(gc: &GeometryColumn, scan: &Scan) -> Vec<String> {
    let mut faults = Vec::new();
    if gc.z == 1 && !scan.has_z {
        faults.push("geometry has no Z, but the column requires Z".to_string());
    }
    if gc.m == 1 && !scan.has_m {
        faults.push("geometry has no M, but the column requires M".to_string());
    }
    if scan.has_z && gc.z <= 0 {
        faults.push("geometry has Z, but gpkg_geometry_columns gives z = 0".to_string());
    }
    if scan.has_m && gc.m <= 0 {
        faults.push("geometry has M, but gpkg_geometry_columns gives m = 0".to_string());
    }
    faults
}

/// The header envelope equals the coordinates' extent, or for curves
/// (whose arcs bulge past their points) contains it.
fn envelope_fits(env: [f64; 4], bbox: [f64; 4], curved: bool) -> bool {
    let tol = |a: f64| 1e-9 * a.abs().max(1.0);
    if curved {
        env[0] <= bbox[0] + tol(bbox[0])
            && env[1] >= bbox[1] - tol(bbox[1])
            && env[2] <= bbox[2] + tol(bbox[2])
            && env[3] >= bbox[3] - tol(bbox[3])
    } else {
        (0..4).all(|i| (env[i] - bbox[i]).abs() <= tol(env[i]))
    }
}
