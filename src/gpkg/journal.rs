//! The edit journal: SQLite triggers on every feature table record each
//! insert, update and delete, whoever makes it, into `tramgis_changes`.
//! Sync and the undo history read it.
//!
//! The triggers use only SQLite's built-in SQL (json_object, hex), so they
//! fire in GDAL and QGIS too. Who made an edit comes from
//! `tramgis_edit_context`, a table that holds a row only inside a tramgis
//! write transaction; edits by other programs find it empty and are recorded
//! as 'external'.
//!
//! The extension is registered once, against `tramgis_changes`, not per
//! feature table: the triggers keep themselves, so a program that does not
//! know the extension edits the layers safely, and GDAL (which warns about
//! every unknown extension on a layer it writes) stays quiet.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use super::core::{literal, quote};
use super::error::{Result, SqlContext};
use crate::model::{FieldType, Schema};

pub const EXTENSION: &str = "tramgis_edit_journal";
const DEFINITION: &str = "tramgis edit journal: AFTER INSERT/UPDATE/DELETE triggers on each feature table \
     write one row per change into tramgis_changes; keep them when editing";

const TABLES_SQL: &str = "
CREATE TABLE IF NOT EXISTS tramgis_edits (
  edit_id INTEGER PRIMARY KEY AUTOINCREMENT,
  user TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE TABLE IF NOT EXISTS tramgis_edit_context (
  edit_id INTEGER NOT NULL,
  user TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tramgis_changes (
  change_id INTEGER PRIMARY KEY AUTOINCREMENT,
  table_name TEXT NOT NULL,
  fid INTEGER NOT NULL,
  op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
  old_values TEXT,
  new_values TEXT,
  changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  user TEXT NOT NULL,
  edit_id INTEGER
);
CREATE INDEX IF NOT EXISTS tramgis_changes_table_fid ON tramgis_changes (table_name, fid);
CREATE INDEX IF NOT EXISTS tramgis_changes_edit ON tramgis_changes (edit_id);
";

pub fn ensure_tables(conn: &Connection, path: &Path) -> Result<()> {
    conn.execute_batch(TABLES_SQL)
        .ctx(path, "creating the edit journal tables")?;
    conn.execute(
        "INSERT INTO gpkg_extensions SELECT 'tramgis_changes', NULL, ?1, ?2, 'write-only' WHERE NOT EXISTS (SELECT 1 FROM gpkg_extensions WHERE table_name = 'tramgis_changes' AND extension_name = ?1)",
        params![EXTENSION, DEFINITION],
    )
    .ctx(path, "registering the edit journal in gpkg_extensions")?;
    Ok(())
}

fn trigger_name(table: &str, op: &str) -> String {
    format!("tramgis_journal_{table}_{op}")
}

/// `json_object(...)` of a row. SQLite caps a function at 127 arguments,
/// so wide tables are built as json_object of the first 60 columns with
/// json_insert calls adding the rest.
///
/// SQLite's JSON writes a REAL with 15 significant digits, which does not
/// give the same double back; undo must restore the exact value, so a
/// finite REAL is written with 17 (`%!.17g`, read back as a JSON number).
fn row_json(prefix: &str, columns: &[(String, bool)]) -> String {
    let value = |(name, blob): &(String, bool)| {
        let v = format!("{prefix}.{}", quote(name));
        if *blob {
            format!("hex({v})")
        } else {
            format!(
                "CASE WHEN typeof({v}) = 'real' AND abs({v}) < 1e308 \
                 THEN json(printf('%!.17g', {v})) ELSE {v} END"
            )
        }
    };
    let mut chunks = columns.chunks(60);
    let first = chunks.next().unwrap_or(&[]);
    let mut sql = format!(
        "json_object({})",
        first
            .iter()
            .map(|c| format!("{}, {}", literal(&c.0), value(c)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for chunk in chunks {
        let pairs: Vec<String> = chunk
            .iter()
            .map(|c| {
                format!(
                    "{}, {}",
                    literal(&format!("$.\"{}\"", c.0.replace('"', "\\\""))),
                    value(c)
                )
            })
            .collect();
        sql = format!("json_insert({sql}, {})", pairs.join(", "));
    }
    sql
}

pub fn install_triggers(
    conn: &Connection,
    path: &Path,
    table: &str,
    schema: &Schema,
) -> Result<()> {
    let sql: Vec<String> = trigger_sql(table, schema)
        .into_iter()
        .map(|(_, sql)| format!("{sql};"))
        .collect();
    conn.execute_batch(&sql.join("\n")).ctx(
        path,
        &format!("creating the edit journal triggers of '{table}'"),
    )
}

/// Whether the layer's three triggers exist as this tramgis writes them
/// (an older tramgis wrote REALs with 15 digits; a schema change adds
/// columns the old triggers do not record).
pub fn triggers_current(
    conn: &Connection,
    path: &Path,
    table: &str,
    schema: &Schema,
) -> Result<bool> {
    for (name, sql) in trigger_sql(table, schema) {
        let stored: Option<String> = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                [&name],
                |r| r.get(0),
            )
            .optional()
            .ctx(path, "reading the schema")?;
        if stored.as_deref().map(str::trim) != Some(sql.trim()) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The name and CREATE TRIGGER statement (without ';') of each of a
/// layer's journal triggers.
fn trigger_sql(table: &str, schema: &Schema) -> Vec<(String, String)> {
    let mut columns = vec![
        (schema.fid_column.clone(), false),
        (schema.geometry_column.clone(), true),
    ];
    columns.extend(
        schema
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.field_type == FieldType::Blob)),
    );
    let (t, fid) = (quote(table), quote(&schema.fid_column));
    let who = "(SELECT edit_id FROM tramgis_edit_context LIMIT 1), \
               COALESCE((SELECT user FROM tramgis_edit_context LIMIT 1), 'external')";
    let record = |op: &str, key: &str, old: &str, new: &str| {
        (
            trigger_name(table, op),
            format!(
                "CREATE TRIGGER {name} AFTER {upper} ON {t}
BEGIN
  INSERT INTO tramgis_changes (table_name, fid, op, old_values, new_values, edit_id, user)
  VALUES ({tl}, {key}.{fid}, '{op}', {old}, {new}, {who});
END",
                name = quote(&trigger_name(table, op)),
                upper = op.to_uppercase(),
                tl = literal(table),
            ),
        )
    };
    let (old, new) = (row_json("OLD", &columns), row_json("NEW", &columns));
    vec![
        record("insert", "NEW", "NULL", &new),
        record("update", "NEW", &old, &new),
        record("delete", "OLD", &old, "NULL"),
    ]
}

pub fn drop_triggers(conn: &Connection, path: &Path, table: &str) -> Result<()> {
    let sql: String = ["insert", "update", "delete"]
        .iter()
        .map(|op| {
            format!(
                "DROP TRIGGER IF EXISTS {};",
                quote(&trigger_name(table, op))
            )
        })
        .collect();
    conn.execute_batch(&sql).ctx(
        path,
        &format!("dropping the edit journal triggers of '{table}'"),
    )
}

pub fn has_triggers(conn: &Connection, path: &Path, table: &str) -> Result<bool> {
    conn.query_row(
        "SELECT count(*) = 3 FROM sqlite_master WHERE type = 'trigger' AND name IN (?1, ?2, ?3)",
        params![
            trigger_name(table, "insert"),
            trigger_name(table, "update"),
            trigger_name(table, "delete")
        ],
        |r| r.get(0),
    )
    .ctx(path, "reading the schema")
}

/// One journal row.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub change_id: i64,
    pub table_name: String,
    pub fid: i64,
    pub op: String,
    pub old_values: Option<serde_json::Value>,
    pub new_values: Option<serde_json::Value>,
    pub changed_at: String,
    pub user: String,
    pub edit_id: Option<i64>,
}

impl super::GeoPackage {
    /// Journal rows with `change_id > since`, oldest first.
    pub fn changes_since(&self, since: i64) -> Result<Vec<Change>> {
        if !self.has_tramgis_tables {
            return Ok(Vec::new());
        }
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT change_id, table_name, fid, op, old_values, new_values, changed_at, user, edit_id
                 FROM tramgis_changes WHERE change_id > ?1 ORDER BY change_id",
            )
            .ctx(path, "reading the edit journal")?;
        let parse = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
        let rows = stmt
            .query_map([since], |r| {
                Ok(Change {
                    change_id: r.get(0)?,
                    table_name: r.get(1)?,
                    fid: r.get(2)?,
                    op: r.get(3)?,
                    old_values: parse(r.get(4)?),
                    new_values: parse(r.get(5)?),
                    changed_at: r.get(6)?,
                    user: r.get(7)?,
                    edit_id: r.get(8)?,
                })
            })
            .ctx(path, "reading the edit journal")?;
        rows.collect::<rusqlite::Result<_>>()
            .ctx(path, "reading the edit journal")
    }
}
