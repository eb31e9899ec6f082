//! Feature tables: `gpkg_geometry_columns` (spec 2.1.5), each feature table
//! or view (2.1.6) and the curve types' extension rows (Annex F.1).

use super::blob::TYPE_NAMES;
use super::checker::{Checker, Column, ident};
use super::report::Place;
use super::structure::{self, col, is_valid_data_type};
use super::{geometries, rtree};

const GEOMETRY_COLUMNS: &str = "gpkg_geometry_columns";

pub const BASE_TYPES: &[&str] = TYPE_NAMES.split_at(8).0;
/// The non-linear types of Annex F.1, each needing its `gpkg_geom_` row.
pub const CURVE_TYPES: &[&str] = TYPE_NAMES.split_at(8).1;

pub struct GeometryColumn {
    pub column: String,
    pub type_name: String,
    pub srs_id: i64,
    pub z: i64,
    pub m: i64,
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
        } else {
            if column.pk == 1 {
                key.get_or_insert(column);
                keys += 1;
            }
            check_plain_column(c, 29, at, column);
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
    let rtree_readable = has_rtree && rtree::check_structure(c, table, gc, &rtree);
    let key = key.map(|k| k.name.clone());
    geometries::check(
        c,
        table,
        gc,
        key.as_deref(),
        rtree_readable.then_some(rtree.as_str()),
    )?;
    if has_rtree {
        rtree::check_triggers(c, table, gc, &rtree)?;
    }
    Ok(())
}

/// Checks a column other than a geometry one: the primary key must be
/// declared INTEGER (`key_requirement`), any other column a GeoPackage
/// data type.
pub fn check_plain_column(c: &mut Checker, key_requirement: u32, at: Place, column: &Column) {
    if column.pk == 1 {
        if column.decl_type != "INTEGER" {
            c.error(
                key_requirement,
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

pub fn require_geom_extension(
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
