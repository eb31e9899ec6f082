//! The R-tree spatial index extension (Annex F.3): its registration, its
//! virtual table and the triggers the file's version requires.

use std::collections::BTreeSet;

use rusqlite::types::ValueRef;

use super::checker::{Checker, Version, ident, sqlite_message};
use super::features::GeometryColumn;
use super::report::Place;
use super::structure::{self, col};

/// Returns whether the R-tree can be read.
pub fn check_structure(c: &mut Checker, table: &str, gc: &GeometryColumn, rtree: &str) -> bool {
    let declared = c.has_extension("gpkg_rtree_index", table, &gc.column, "write-only");
    match declared {
        Ok(true) => {}
        Ok(false) => c.error(
            78,
            Place::column(table, &gc.column),
            format!("has the spatial index {rtree}, but gpkg_extensions does not list gpkg_rtree_index (write-only) for it"),
        ),
        Err(e) => c.error(78, Place::table("gpkg_extensions"), format!("cannot be read: {}", sqlite_message(&e))),
    }
    let read = c.table_info(rtree).and_then(|columns| {
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
        c.conn
            .query_row(&format!("SELECT count(*) FROM {}", ident(rtree)), [], |r| {
                r.get::<_, i64>(0)
            })
    });
    if let Err(e) = &read {
        c.error(
            77,
            Place::table(rtree),
            format!("spatial index cannot be read: {}", sqlite_message(e)),
        );
    }
    read.is_ok()
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

pub fn check_triggers(
    c: &mut Checker,
    table: &str,
    gc: &GeometryColumn,
    rtree: &str,
) -> rusqlite::Result<()> {
    let at = Place::column(table, &gc.column);
    let prefix = format!("{rtree}_");
    // Only this index's triggers (not every trigger of the schema for each
    // table), compared as stored (LIKE would take _ as a wildcard), and read
    // lossily: another program may have named a trigger in bytes that are
    // not UTF-8.
    let names = c.rows(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' \
         AND substr(name, 1, length(?1)) = ?1",
        [&prefix],
        |r| match r.get_ref(0)? {
            ValueRef::Text(t) | ValueRef::Blob(t) => Ok(String::from_utf8_lossy(t).into_owned()),
            _ => Ok(String::new()),
        },
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
