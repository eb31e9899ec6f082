//! The `gpkg_rtree_index` extension (spec annex F.3): an SQLite R*Tree per
//! geometry column, kept right by the spec's triggers whoever edits the file.

use std::path::Path;

use rusqlite::{Connection, params};

use super::core::{literal, quote};
use super::error::{Result, SqlContext};
use crate::model::Schema;

pub const EXTENSION: &str = "gpkg_rtree_index";
const DEFINITION: &str = "http://www.geopackage.org/spec120/#extension_rtree";

pub fn table_name(table: &str, column: &str) -> String {
    format!("rtree_{table}_{column}")
}

/// Which set of the spec's triggers a file keeps its R-trees right with:
/// GeoPackage 1.4 replaced update1 and update3 by update5–update7 (and a
/// validator of either version refuses the other's set), so a layer added
/// to a 1.0–1.3 file from another program gets the triggers of its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerSet {
    /// GeoPackage 1.0–1.3: insert, update1–update4, delete.
    Before14,
    /// GeoPackage 1.4: insert, update2, update4–update7, delete.
    Since14,
}

impl TriggerSet {
    /// The set the file's own version asks for (a file that says no
    /// version, such as application_id 0, gets the older set, which every
    /// version's readers accept as they did before 1.4).
    pub fn of_file(conn: &Connection, path: &Path) -> Result<TriggerSet> {
        let (app_id, version) = super::core::header(conn, path)?;
        Ok(
            if app_id == super::core::APPLICATION_ID && version >= 10400 {
                TriggerSet::Since14
            } else {
                TriggerSet::Before14
            },
        )
    }

    pub fn suffixes(self) -> &'static [&'static str] {
        match self {
            TriggerSet::Before14 => &[
                "insert", "update1", "update2", "update3", "update4", "delete",
            ],
            TriggerSet::Since14 => &[
                "insert", "update6", "update7", "update2", "update5", "update4", "delete",
            ],
        }
    }
}

/// Every trigger name either version uses, for dropping whichever is there.
const ALL_SUFFIXES: [&str; 9] = [
    "insert", "update1", "update2", "update3", "update4", "update5", "update6", "update7", "delete",
];

/// The spec's triggers of one version, with `<t>`, `<c>` and `<i>` filled
/// in. Each is an event, a condition on the old and new rows, and what it
/// does to the index; the versions share most of them.
fn trigger_sql(set: TriggerSet, table: &str, column: &str, fid: &str) -> String {
    let rt = table_name(table, column);
    let (t, c, i, r) = (quote(table), quote(column), quote(fid), quote(&rt));
    let has = |row: &str| format!("({row}.{c} NOTNULL AND NOT ST_IsEmpty({row}.{c}))");
    let lacks = |row: &str| format!("({row}.{c} ISNULL OR ST_IsEmpty({row}.{c}))");
    let same_id = format!("OLD.{i} = NEW.{i}");
    let new_id = format!("OLD.{i} != NEW.{i}");
    let geometry_update = format!("UPDATE OF {c} ON {t}");
    let any_update = format!("UPDATE ON {t}");
    let upsert = format!(
        "INSERT OR REPLACE INTO {r} VALUES (NEW.{i}, ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), \
         ST_MinY(NEW.{c}), ST_MaxY(NEW.{c}));"
    );
    let drop_old = format!("DELETE FROM {r} WHERE id = OLD.{i};");
    let trigger = |suffix: &str| {
        let (event, when, action) = match suffix {
            "insert" => (format!("INSERT ON {t}"), has("NEW"), upsert.clone()),
            "update1" => (
                geometry_update.clone(),
                format!("{same_id} AND {}", has("NEW")),
                upsert.clone(),
            ),
            "update2" => (
                geometry_update.clone(),
                format!("{same_id} AND {}", lacks("NEW")),
                drop_old.clone(),
            ),
            "update3" => (
                geometry_update.clone(),
                format!("{new_id} AND {}", has("NEW")),
                format!("{drop_old} {upsert}"),
            ),
            "update4" => (
                any_update.clone(),
                format!("{new_id} AND {}", lacks("NEW")),
                format!("DELETE FROM {r} WHERE id IN (OLD.{i}, NEW.{i});"),
            ),
            "update5" => (
                any_update.clone(),
                format!("{new_id} AND {}", has("NEW")),
                format!("{drop_old} {upsert}"),
            ),
            "update6" => (
                geometry_update.clone(),
                format!("{same_id} AND {} AND {}", has("NEW"), has("OLD")),
                format!(
                    "UPDATE {r} SET minx = ST_MinX(NEW.{c}), maxx = ST_MaxX(NEW.{c}), \
                     miny = ST_MinY(NEW.{c}), maxy = ST_MaxY(NEW.{c}) WHERE id = NEW.{i};"
                ),
            ),
            "update7" => (
                geometry_update.clone(),
                format!("{same_id} AND {} AND {}", has("NEW"), lacks("OLD")),
                upsert.replace("INSERT OR REPLACE", "INSERT"),
            ),
            "delete" => (
                format!("DELETE ON {t}"),
                format!("OLD.{c} NOT NULL"),
                drop_old.clone(),
            ),
            other => unreachable!("no R-tree trigger named {other}"),
        };
        let name = quote(&format!("{rt}_{suffix}"));
        format!("CREATE TRIGGER {name} AFTER {event}\n  WHEN {when}\nBEGIN\n  {action}\nEND;")
    };
    set.suffixes()
        .iter()
        .map(|s| trigger(s))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Creates the R*Tree, registers the extension and its triggers; with
/// `populate`, fills it from the rows already in the table.
pub fn create_index(
    conn: &Connection,
    path: &Path,
    table: &str,
    schema: &Schema,
    populate: bool,
) -> Result<()> {
    let column = &schema.geometry_column;
    let rt = table_name(table, column);
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE {} USING rtree(id, minx, maxx, miny, maxy)",
        quote(&rt)
    ))
    .ctx(path, &format!("creating the spatial index of '{table}'"))?;
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_extensions VALUES (?1, ?2, ?3, ?4, 'write-only')",
        params![table, column, EXTENSION, DEFINITION],
    )
    .ctx(path, "registering the spatial index in gpkg_extensions")?;
    if populate {
        let (c, i) = (quote(column), quote(&schema.fid_column));
        conn.execute_batch(&format!(
            "INSERT INTO {} SELECT {i}, ST_MinX({c}), ST_MaxX({c}), ST_MinY({c}), ST_MaxY({c})
             FROM {} WHERE {c} NOT NULL AND NOT ST_IsEmpty({c})",
            quote(&rt),
            quote(table)
        ))
        .ctx(path, &format!("filling the spatial index of '{table}'"))?;
    }
    create_triggers(conn, path, table, schema)
}

pub fn create_triggers(conn: &Connection, path: &Path, table: &str, schema: &Schema) -> Result<()> {
    conn.execute_batch(&trigger_sql(
        TriggerSet::of_file(conn, path)?,
        table,
        &schema.geometry_column,
        &schema.fid_column,
    ))
    .ctx(
        path,
        &format!("creating the spatial index triggers of '{table}'"),
    )
}

pub fn drop_triggers(conn: &Connection, path: &Path, table: &str, column: &str) -> Result<()> {
    let rt = table_name(table, column);
    let sql: String = ALL_SUFFIXES
        .iter()
        .map(|s| format!("DROP TRIGGER IF EXISTS {};", quote(&format!("{rt}_{s}"))))
        .collect();
    conn.execute_batch(&sql).ctx(
        path,
        &format!("dropping the spatial index triggers of '{table}'"),
    )
}

pub fn drop_index(conn: &Connection, path: &Path, table: &str, column: &str) -> Result<()> {
    drop_triggers(conn, path, table, column)?;
    conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS {}; DELETE FROM gpkg_extensions WHERE table_name = {} AND extension_name = {};",
        quote(&table_name(table, column)),
        literal(table),
        literal(EXTENSION)
    ))
    .ctx(path, &format!("dropping the spatial index of '{table}'"))
}

/// Inserts many entries in Hilbert order of their centres, so neighbouring
/// boxes share nodes. An empty index is packed directly (rtree_pack), an
/// index that has entries gets them one insert at a time.
pub fn bulk_insert(
    conn: &Connection,
    path: &Path,
    table: &str,
    column: &str,
    entries: &mut [(i64, geo_types::Rect<f64>)],
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for (_, e) in entries.iter() {
        lo = [lo[0].min(e.min().x), lo[1].min(e.min().y)];
        hi = [hi[0].max(e.max().x), hi[1].max(e.max().y)];
    }
    let scale = [
        65535.0 / (hi[0] - lo[0]).max(f64::MIN_POSITIVE),
        65535.0 / (hi[1] - lo[1]).max(f64::MIN_POSITIVE),
    ];
    entries.sort_by_cached_key(|(_, e)| {
        let cx = (e.center().x - lo[0]) * scale[0];
        let cy = (e.center().y - lo[1]) * scale[1];
        hilbert_index(cx as u32, cy as u32)
    });
    let rt = table_name(table, column);
    if super::rtree_pack::load_empty(conn, path, &rt, entries)? {
        return Ok(());
    }
    let mut stmt = conn
        .prepare(&format!(
            "INSERT INTO {} VALUES (?1, ?2, ?3, ?4, ?5)",
            quote(&rt)
        ))
        .ctx(path, "filling the spatial index")?;
    for (id, e) in entries.iter() {
        stmt.execute(params![id, e.min().x, e.max().x, e.min().y, e.max().y])
            .ctx(path, "filling the spatial index")?;
    }
    Ok(())
}

/// Position of (x, y) on a Hilbert curve over a 2^16 × 2^16 grid.
fn hilbert_index(x: u32, y: u32) -> u64 {
    let (mut x, mut y) = (x.min(0xFFFF), y.min(0xFFFF));
    let mut d = 0u64;
    let mut s = 1u32 << 15;
    while s > 0 {
        let rx = u32::from(x & s > 0);
        let ry = u32::from(y & s > 0);
        d += u64::from(s) * u64::from(s) * u64::from((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = 0xFFFF - x;
                y = 0xFFFF - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s >>= 1;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::hilbert_index;

    #[test]
    fn hilbert_curve_walks_the_first_block_cell_by_cell() {
        // The first 16 x 16 cells of the curve take indices 0..256, and
        // consecutive indices are neighbouring cells.
        let mut cell_of = vec![None; 256];
        for x in 0..16u32 {
            for y in 0..16u32 {
                let d = hilbert_index(x, y) as usize;
                assert!(d < 256 && cell_of[d].is_none(), "({x},{y}) -> {d}");
                cell_of[d] = Some((x as i64, y as i64));
            }
        }
        for pair in cell_of.windows(2) {
            let ((x0, y0), (x1, y1)) = (pair[0].unwrap(), pair[1].unwrap());
            assert_eq!((x0 - x1).abs() + (y0 - y1).abs(), 1);
        }
    }
}
