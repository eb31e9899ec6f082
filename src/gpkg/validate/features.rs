//! Feature tables: `gpkg_geometry_columns` (spec 2.1.5), each feature table
//! or view and its geometries (2.1.3, 2.1.6), curve types (Annex F.1) and
//! the R-tree spatial index (F.3).

use std::collections::BTreeSet;

use rusqlite::types::ValueRef;

use super::blob::{self, Scan};
use super::checker::{Checker, Column, Version, ident};
use super::report::Place;
use super::structure::{self, col, is_valid_data_type};

const GEOMETRY_COLUMNS: &str = "gpkg_geometry_columns";

/// At most this many row-level findings are listed per table; the count of
/// the rest is given.
const MAX_ROW_PROBLEMS: usize = 20;

pub const BASE_TYPES: [&str; 8] = [
    "GEOMETRY",
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
    "GEOMETRYCOLLECTION",
];
/// The non-linear types of Annex F.1, each needing its `gpkg_geom_` row.
pub const CURVE_TYPES: [&str; 7] = [
    "CIRCULARSTRING",
    "COMPOUNDCURVE",
    "CURVEPOLYGON",
    "MULTICURVE",
    "MULTISURFACE",
    "CURVE",
    "SURFACE",
];

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

struct GeometryColumn {
    column: String,
    type_name: String,
    srs_id: i64,
    z: i64,
    m: i64,
}

pub fn check(c: &mut Checker) -> rusqlite::Result<()> {
    let tables = c.rows(
        "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'",
        [],
        |r| r.get::<_, String>(0),
    )?;
    if tables.is_empty() {
        return Ok(());
    }
    if !c.exists(GEOMETRY_COLUMNS)? {
        c.error(
            21,
            Place::table(GEOMETRY_COLUMNS),
            "required table is missing",
        );
        return Ok(());
    }
    let columns = c.table_info(GEOMETRY_COLUMNS)?;
    structure::check(
        c,
        21,
        GEOMETRY_COLUMNS,
        &columns,
        &[
            col("table_name", &["TEXT"], true, None, 1),
            col("column_name", &["TEXT"], true, None, 2),
            col("geometry_type_name", &["TEXT"], true, None, 0),
            col("srs_id", &["INTEGER"], true, None, 0),
            col("z", &["TINYINT"], true, None, 0),
            col("m", &["TINYINT"], true, None, 0),
        ],
    );
    for table in &tables {
        c.guard(None, Place::table(table), |c| check_table(c, table));
    }
    let registered = c.rows(
        "SELECT table_name, srs_id FROM gpkg_geometry_columns",
        [],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?)),
    )?;
    for (table, srs_id) in registered {
        if !c.any(
            "SELECT 1 FROM gpkg_contents WHERE table_name = ?1 AND data_type = 'features'",
            [&table],
        )? {
            c.error(
                23,
                Place::table(&table),
                "listed in gpkg_geometry_columns but not as features in gpkg_contents",
            );
        }
        if let Some(srs_id) = srs_id
            && !c.any(
                "SELECT 1 FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
                [srs_id],
            )?
        {
            c.error(
                14,
                Place::table(&table),
                format!("gpkg_geometry_columns gives srs_id {srs_id}, which is not in gpkg_spatial_ref_sys"),
            );
        }
    }
    let differing = c.rows(
        "SELECT a.table_name, a.srs_id, b.srs_id FROM gpkg_geometry_columns a \
         JOIN gpkg_contents b ON a.table_name = b.table_name WHERE a.srs_id != b.srs_id",
        [],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        },
    )?;
    for (table, geometry_srs, contents_srs) in differing {
        c.error(
            146,
            Place::table(&table),
            format!("srs_id is {geometry_srs} in gpkg_geometry_columns but {contents_srs} in gpkg_contents"),
        );
    }
    Ok(())
}

fn check_table(c: &mut Checker, table: &str) -> rusqlite::Result<()> {
    let kind = c.kind(table)?;
    if kind.is_none() && !c.exists(table)? {
        // Reported with gpkg_contents.
        return Ok(());
    }
    let registered = c.rows(
        "SELECT column_name, geometry_type_name, srs_id, z, m FROM gpkg_geometry_columns WHERE table_name = ?1",
        [table],
        |r| {
            Ok(GeometryColumn {
                column: r.get(0)?,
                type_name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                srs_id: r.get::<_, Option<i64>>(2)?.unwrap_or(i64::MIN),
                z: r.get::<_, Option<i64>>(3)?.unwrap_or(-1),
                m: r.get::<_, Option<i64>>(4)?.unwrap_or(-1),
            })
        },
    )?;
    let [gc] = &registered[..] else {
        c.error(
            22,
            Place::table(table),
            format!(
                "a feature table must have one row in gpkg_geometry_columns, it has {}",
                registered.len()
            ),
        );
        return Ok(());
    };
    let is_view = kind.as_deref() == Some("view");
    // GDAL marks a SpatiaLite view's computed geometry, whose declared type
    // is not a geometry type, in an extension of its own.
    let computed = is_view
        && c.any(
            "SELECT 1 FROM gpkg_extensions WHERE table_name = ?1 AND column_name = ?2 \
             AND extension_name = 'gdal_spatialite_computed_geom_column'",
            [table, gc.column.as_str()],
        )
        .unwrap_or(false);
    let columns = c.table_info(table)?;
    let mut key: Option<&Column> = None;
    let mut keys = 0;
    let mut found_geometry = false;
    for column in &columns {
        let at = Place::column(table, &column.name);
        if column.name.eq_ignore_ascii_case(&gc.column) {
            found_geometry = true;
            if computed {
                continue;
            }
            let typ = &column.decl_type;
            if !BASE_TYPES.contains(&typ.as_str()) && !CURVE_TYPES.contains(&typ.as_str()) {
                c.error(
                    25,
                    at.clone(),
                    format!("'{typ}' is not a geometry type name"),
                );
            }
            if *typ != gc.type_name {
                c.error(
                    31,
                    at,
                    format!(
                        "declared as {typ} but gpkg_geometry_columns gives {}",
                        gc.type_name
                    ),
                );
            }
        } else if column.pk == 1 {
            key.get_or_insert(column);
            keys += 1;
            if column.decl_type != "INTEGER" {
                c.error(
                    29,
                    at,
                    format!(
                        "the primary key is declared {}, not INTEGER",
                        column.decl_type
                    ),
                );
            }
        } else if !is_valid_data_type(&column.decl_type) {
            c.error(
                5,
                at,
                format!("'{}' is not a GeoPackage data type", column.decl_type),
            );
        }
    }
    if !found_geometry {
        c.error(
            24,
            Place::column(table, &gc.column),
            "the geometry column named in gpkg_geometry_columns does not exist",
        );
    }
    if is_view {
        // A view has no primary key; its first column stands in for one.
        key = columns.first();
        check_view_key(c, 150, table, &columns)?;
    } else if keys != 1 {
        c.error(
            29,
            Place::table(table),
            "a feature table must have an INTEGER PRIMARY KEY",
        );
    }
    for (name, value) in [("z", gc.z), ("m", gc.m)] {
        if !(0..=2).contains(&value) {
            c.error(
                27,
                Place::table(table),
                format!("gpkg_geometry_columns gives {name} = {value}; it must be 0, 1 or 2"),
            );
        }
    }
    if CURVE_TYPES.contains(&gc.type_name.as_str()) {
        require_geom_extension(c, table, &gc.column, &gc.type_name)?;
    }
    if !found_geometry {
        return Ok(());
    }
    let rtree = format!("rtree_{table}_{}", gc.column);
    let has_rtree = c.any("SELECT 1 FROM sqlite_master WHERE name = ?1", [&rtree])?;
    let rtree_readable = has_rtree && check_rtree_structure(c, table, gc, &rtree);
    let key = key.map(|k| k.name.clone());
    check_geometries(
        c,
        table,
        gc,
        key.as_deref(),
        rtree_readable.then_some(rtree.as_str()),
    )?;
    if has_rtree {
        check_rtree_triggers(c, table, gc, &rtree)?;
    }
    Ok(())
}

pub fn check_view_key(
    c: &mut Checker,
    requirement: u32,
    view: &str,
    columns: &[Column],
) -> rusqlite::Result<()> {
    let Some(first) = columns.first().filter(|f| f.decl_type == "INTEGER") else {
        c.error(
            requirement,
            Place::table(view),
            "the first column of a view must be an INTEGER that identifies its rows",
        );
        return Ok(());
    };
    let duplicates: i64 = c.conn.query_row(
        &format!(
            "SELECT count(*) - count(DISTINCT {k}) FROM {v}",
            k = ident(&first.name),
            v = ident(view)
        ),
        [],
        |r| r.get(0),
    )?;
    if duplicates != 0 {
        c.error(
            requirement,
            Place::column(view, &first.name),
            format!("the first column of a view must be unique; {duplicates} values repeat"),
        );
    }
    Ok(())
}

fn require_geom_extension(
    c: &mut Checker,
    table: &str,
    column: &str,
    type_name: &str,
) -> rusqlite::Result<()> {
    let extension = format!("gpkg_geom_{type_name}");
    if !c.has_extension(&extension, table, column, "read-write")? {
        c.error(
            68,
            Place::column(table, column),
            format!("holds {type_name} geometries, so gpkg_extensions must list {extension} (read-write) for it"),
        );
    }
    Ok(())
}

/// Row findings beyond `MAX_ROW_PROBLEMS` are counted, not listed.
struct RowFindings<'t> {
    table: &'t str,
    column: &'t str,
    count: usize,
}

impl RowFindings<'_> {
    fn error(
        &mut self,
        c: &mut Checker,
        requirement: impl Into<Option<u32>>,
        fid: Option<i64>,
        message: String,
    ) {
        self.count += 1;
        if self.count <= MAX_ROW_PROBLEMS {
            let mut at = Place::column(self.table, self.column);
            at.row = fid;
            c.error(requirement, at, message);
        }
    }
}

fn check_geometries(
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
    let mut rows_found = RowFindings {
        table,
        column: &gc.column,
        count: 0,
    };
    let mut found_types: BTreeSet<&'static str> = BTreeSet::new();
    let mut srs_mismatches: BTreeSet<i32> = BTreeSet::new();
    let mut indexed = 0i64;
    {
        let mut stmt = c.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        let mut pending = Vec::new();
        while let Some(row) = rows.next()? {
            let fid: Option<i64> = row.get(0).ok();
            let blob = match row.get_ref(1)? {
                ValueRef::Null => continue,
                ValueRef::Blob(b) => b,
                other => {
                    pending.push((
                        Some(19),
                        fid,
                        format!("holds a {:?} value, not a geometry blob", other.data_type()),
                    ));
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
            let header = match blob::read_header(blob) {
                Ok(h) => h,
                Err(f) => {
                    pending.push((Some(f.requirement), fid, f.message));
                    continue;
                }
            };
            if i64::from(header.srs_id) != gc.srs_id && srs_mismatches.insert(header.srs_id) {
                pending.push((
                    Some(33),
                    fid,
                    format!(
                        "geometry has srs_id {}, the column's is {}",
                        header.srs_id, gc.srs_id
                    ),
                ));
            }
            let wkb = &blob[header.wkb_offset..];
            let scan = match blob::scan_wkb(wkb) {
                Ok(s) => s,
                Err(f) => {
                    pending.push((Some(f.requirement), fid, f.message));
                    continue;
                }
            };
            found_types.insert(scan.type_name());
            for fault in dimension_faults(gc, &scan) {
                pending.push((Some(19), fid, fault));
            }
            if header.empty_flag != scan.bbox.is_none() {
                pending.push((
                    Some(152),
                    fid,
                    if header.empty_flag {
                        "header says empty, but the geometry has coordinates".into()
                    } else {
                        "geometry is empty, but the header's empty flag is not set".into()
                    },
                ));
            }
            if let (Some(env), Some(bbox)) = (header.envelope, scan.bbox)
                && !envelope_fits(env, bbox, scan.curved)
            {
                pending.push((
                    None,
                    fid,
                    format!(
                        "header envelope {env:?} does not match the geometry's extent {bbox:?}"
                    ),
                ));
            }
            if check_index {
                let expected = header
                    .envelope
                    .or(scan.bbox)
                    .filter(|_| scan.bbox.is_some());
                match (expected, in_index, boxed) {
                    (None, true, _) => pending.push((
                        None,
                        fid,
                        "empty geometry has an entry in the spatial index".into(),
                    )),
                    (Some(_), false, _) => pending.push((
                        None,
                        fid,
                        "geometry is missing from the spatial index".into(),
                    )),
                    (Some(e), true, Some(b)) => {
                        indexed += 1;
                        // The R*Tree stores 32-bit floats rounded outwards.
                        let close =
                            |a: f64, b: f64| (a - b).abs() <= a.abs().max(b.abs()) * 1e-6 + 1e-6;
                        if !(0..4).all(|i| close(b[i], e[i])) {
                            pending.push((
                                None,
                                fid,
                                format!(
                                    "spatial index box {b:?} does not match the geometry's {e:?}"
                                ),
                            ));
                        }
                    }
                    _ => {}
                }
            }
            // Findings are recorded after the statement is done with `c`.
            if pending.len() > MAX_ROW_PROBLEMS * 4 {
                break;
            }
        }
        drop(rows);
        drop(stmt);
        for (req, fid, message) in pending {
            rows_found.error(c, req, fid, message);
        }
    }
    if rows_found.count > MAX_ROW_PROBLEMS {
        c.error(
            None,
            Place::column(table, &gc.column),
            format!(
                "{} more row problems not listed",
                rows_found.count - MAX_ROW_PROBLEMS
            ),
        );
    }
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
        if entries != indexed {
            c.error(
                None,
                Place::table(rt),
                format!("spatial index has {entries} entries for {indexed} indexed geometries"),
            );
        }
        let damage: String = c
            .conn
            .query_row("SELECT rtreecheck(?1)", [rt], |r| r.get(0))?;
        if damage != "ok" {
            c.error(
                None,
                Place::table(rt),
                format!("spatial index is damaged: {damage}"),
            );
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

/// Returns whether the R-tree can be read.
fn check_rtree_structure(c: &mut Checker, table: &str, gc: &GeometryColumn, rtree: &str) -> bool {
    let declared = c.has_extension("gpkg_rtree_index", table, &gc.column, "write-only");
    match declared {
        Ok(true) => {}
        Ok(false) => c.error(
            78,
            Place::column(table, &gc.column),
            format!("has the spatial index {rtree}, but gpkg_extensions does not list gpkg_rtree_index (write-only) for it"),
        ),
        Err(e) => c.error(78, Place::table("gpkg_extensions"), format!("cannot be read: {}", super::checker::sqlite_message(&e))),
    }
    match c.table_info(rtree) {
        Ok(columns) => {
            structure::check(
                c,
                77,
                rtree,
                &columns,
                &[
                    col("id", &["", "INT"], false, None, 0),
                    col("minx", &["", "NUM", "REAL"], false, None, 0),
                    col("maxx", &["", "NUM", "REAL"], false, None, 0),
                    col("miny", &["", "NUM", "REAL"], false, None, 0),
                    col("maxy", &["", "NUM", "REAL"], false, None, 0),
                ],
            );
            // SQLite resolves the shadow tables only when the index is read.
            match c
                .conn
                .query_row(&format!("SELECT count(*) FROM {}", ident(rtree)), [], |r| {
                    r.get::<_, i64>(0)
                }) {
                Ok(_) => true,
                Err(e) => {
                    c.error(
                        77,
                        Place::table(rtree),
                        format!(
                            "spatial index cannot be read: {}",
                            super::checker::sqlite_message(&e)
                        ),
                    );
                    false
                }
            }
        }
        Err(e) => {
            c.error(
                77,
                Place::table(rtree),
                format!(
                    "spatial index cannot be read: {}",
                    super::checker::sqlite_message(&e)
                ),
            );
            false
        }
    }
}

/// The update triggers the file's version requires: 1.4 replaced update1
/// and update3 by update6 and update7 and added update5.
fn update_triggers(version: Version) -> &'static [u32] {
    if version < Version(1, 4, 0) {
        &[1, 2, 3, 4]
    } else {
        &[2, 4, 5, 6, 7]
    }
}

fn check_rtree_triggers(
    c: &mut Checker,
    table: &str,
    gc: &GeometryColumn,
    rtree: &str,
) -> rusqlite::Result<()> {
    let at = Place::column(table, &gc.column);
    let prefix = format!("{rtree}_");
    let names = c.rows(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'",
        [],
        |r| r.get::<_, String>(0),
    )?;
    let suffixes: Vec<&str> = names
        .iter()
        .filter_map(|n| n.strip_prefix(&prefix))
        .collect();
    let wanted = update_triggers(c.version);
    for fixed in ["insert", "delete"] {
        if !suffixes.contains(&fixed) {
            c.error(
                75,
                at.clone(),
                format!("spatial index trigger {rtree}_{fixed} is missing"),
            );
        }
    }
    let mut updates = BTreeSet::new();
    for suffix in &suffixes {
        if let Some(n) = suffix.strip_prefix("update") {
            match n.parse::<u32>() {
                Ok(n) if wanted.contains(&n) => {
                    updates.insert(n);
                }
                _ => c.error(
                    75,
                    at.clone(),
                    format!(
                        "spatial index trigger {rtree}_{suffix} does not belong to GeoPackage {}",
                        c.version
                    ),
                ),
            }
        }
    }
    for n in wanted {
        if !updates.contains(n) {
            c.error(
                75,
                at.clone(),
                format!("spatial index trigger {rtree}_update{n} is missing"),
            );
        }
    }
    Ok(())
}
