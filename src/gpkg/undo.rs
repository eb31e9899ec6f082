//! Undoing an edit from the journal: the rows an edit changed are written
//! back as they were before it, as a new edit of their own (so the undo is
//! in the journal too, syncs like any edit, and can itself be undone).
//!
//! An edit is undone only while no later change touched the same features:
//! writing old values over a later edit would silently lose it.

use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params_from_iter};

use super::core::quote;
use super::error::{GpkgError, Result, SqlContext};
use super::features::Edit;
use super::store::{GeoPackage, LayerInfo};
use crate::model::FieldType;
use rusqlite::Connection;
use std::path::Path;

/// One row of `tramgis_edits`.
#[derive(Debug, Clone, PartialEq)]
pub struct EditRecord {
    pub edit_id: i64,
    pub user: String,
    pub description: String,
    pub started_at: String,
}

/// One journal row of the edit being undone.
struct Journalled {
    table: String,
    fid: i64,
    op: String,
    old_values: Option<String>,
}

impl GeoPackage {
    /// The newest edit in the journal, if any.
    pub fn last_edit(&self) -> Result<Option<EditRecord>> {
        if !self.has_tramgis_tables {
            return Ok(None);
        }
        self.conn
            .query_row(
                "SELECT edit_id, user, description, started_at FROM tramgis_edits
                 WHERE EXISTS (SELECT 1 FROM tramgis_changes c WHERE c.edit_id = tramgis_edits.edit_id)
                 ORDER BY edit_id DESC LIMIT 1",
                [],
                |r| {
                    Ok(EditRecord {
                        edit_id: r.get(0)?,
                        user: r.get(1)?,
                        description: r.get(2)?,
                        started_at: r.get(3)?,
                    })
                },
            )
            .optional()
            .ctx(&self.path, "reading the edit journal")
    }

    /// Undoes edit `edit_id` in one transaction, recorded as a new edit
    /// ("Hoàn tác: …"); returns the new edit's id. Refused, changing
    /// nothing, when a later change touched a feature the edit changed.
    pub fn undo_edit(&mut self, edit_id: i64) -> Result<i64> {
        let path = self.path.clone();
        let description: String = self
            .conn
            .query_row(
                "SELECT description FROM tramgis_edits WHERE edit_id = ?1",
                [edit_id],
                |r| r.get(0),
            )
            .optional()
            .ctx(&path, "reading the edit journal")?
            .ok_or_else(|| GpkgError::NoSuchEdit {
                path: path.clone(),
                edit_id,
            })?;
        self.check_nothing_changed_since(edit_id)?;
        self.edit(&format!("Hoàn tác: {description}"), |e| {
            e.write_back(edit_id)?;
            Ok(e.edit_id().unwrap_or_default())
        })
    }

    fn check_nothing_changed_since(&self, edit_id: i64) -> Result<()> {
        changed_since(&self.conn, &self.path, edit_id, &|_| Ok(false))
    }
}

fn journalled(conn: &Connection, path: &Path, edit_id: i64) -> Result<Vec<Journalled>> {
    {
        let mut stmt = conn
            .prepare(
                "SELECT table_name, fid, op, old_values FROM tramgis_changes
                 WHERE edit_id = ?1 ORDER BY change_id",
            )
            .ctx(path, "reading the edit journal")?;
        stmt.query_map([edit_id], |r| {
            Ok(Journalled {
                table: r.get(0)?,
                fid: r.get(1)?,
                op: r.get(2)?,
                old_values: r.get(3)?,
            })
        })
        .ctx(path, "reading the edit journal")?
        .collect::<rusqlite::Result<_>>()
        .ctx(path, "reading the edit journal")
    }
}

/// Refuses (ChangedSince) when a change after edit `edit_id` touched a
/// feature it changed, unless `allowed` says the later edit does not
/// count (an undo history's undone-and-redone steps: their effect is
/// gone). Changes without an edit id (other programs) always count.
fn changed_since(
    conn: &Connection,
    path: &Path,
    edit_id: i64,
    allowed: &dyn Fn(i64) -> Result<bool>,
) -> Result<()> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT l.table_name, l.fid, l.edit_id, l.user FROM tramgis_changes l
             JOIN tramgis_changes c ON c.table_name = l.table_name AND c.fid = l.fid
             WHERE c.edit_id = ?1 AND l.change_id > c.change_id
               AND l.edit_id IS NOT ?1
             GROUP BY l.edit_id ORDER BY min(l.change_id)",
        )
        .ctx(path, "reading the edit journal")?;
    let later: Vec<(String, i64, Option<i64>, String)> = stmt
        .query_map([edit_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .and_then(|rows| rows.collect())
        .ctx(path, "reading the edit journal")?;
    for (layer, fid, later_edit, user) in later {
        if let Some(id) = later_edit
            && allowed(id)?
        {
            continue;
        }
        return Err(GpkgError::ChangedSince {
            path: path.to_path_buf(),
            edit_id,
            layer,
            fid,
            later: match later_edit {
                Some(id) => format!("{id} ({user})"),
                None => format!("of {user}"),
            },
        });
    }
    Ok(())
}

impl Edit<'_> {
    /// Refuses, inside this edit, when a later change touched a feature
    /// edit `edit_id` changed (see [`GeoPackage::undo_edit`]); a later
    /// edit for which `allowed(connection, id)` is true does not count.
    pub fn check_unchanged_since(
        &self,
        edit_id: i64,
        allowed: &dyn Fn(&Connection, i64) -> Result<bool>,
    ) -> Result<()> {
        let conn = self.connection();
        changed_since(conn, self.path(), edit_id, &|id| allowed(conn, id))
    }

    /// Writes the rows edit `edit_id` changed back as they were before
    /// it, as part of this edit (its journal rows carry this edit's id).
    pub fn write_back(&mut self, edit_id: i64) -> Result<()> {
        let path = self.path().to_path_buf();
        let rows = journalled(self.connection(), &path, edit_id)?;
        // Newest first, so a feature inserted then updated in the same
        // edit is restored step by step back to nothing.
        for row in rows.iter().rev() {
            let (tx, info) = self.raw(&row.table)?;
            let fid_col = quote(&info.schema.fid_column);
            let table = quote(&row.table);
            match row.op.as_str() {
                "insert" => {
                    tx.execute(
                        &format!("DELETE FROM {table} WHERE {fid_col} = ?1"),
                        [row.fid],
                    )
                    .ctx(&path, &format!("undoing an insert into '{}'", row.table))?;
                }
                op => {
                    let values = old_row(&path, &info, row)?;
                    let sql = if op == "update" {
                        let sets: Vec<String> = values
                            .iter()
                            .enumerate()
                            .map(|(k, (c, _))| format!("{} = ?{}", quote(c), k + 2))
                            .collect();
                        format!(
                            "UPDATE {table} SET {} WHERE {fid_col} = ?1",
                            sets.join(", ")
                        )
                    } else {
                        let cols: Vec<String> = std::iter::once(fid_col.clone())
                            .chain(values.iter().map(|(c, _)| quote(c)))
                            .collect();
                        let marks: Vec<String> =
                            (1..=cols.len()).map(|k| format!("?{k}")).collect();
                        format!(
                            "INSERT INTO {table} ({}) VALUES ({})",
                            cols.join(", "),
                            marks.join(", ")
                        )
                    };
                    let params = std::iter::once(Value::Integer(row.fid))
                        .chain(values.into_iter().map(|(_, v)| v));
                    tx.prepare_cached(&sql)
                        .and_then(|mut s| s.execute(params_from_iter(params)))
                        .ctx(
                            &path,
                            &format!("undoing a change of feature {} in '{}'", row.fid, row.table),
                        )?;
                }
            }
        }
        Ok(())
    }
}

impl GeoPackage {
    /// The boxes (layer coordinates) the geometries of `info`'s layer had before
    /// edit `edit_id`, for the rows it updated or deleted: what a check
    /// after the edit must look at besides the new geometries, since a
    /// deleted or shrunk polygon can leave a gap there.
    pub fn envelopes_before(
        &self,
        edit_id: i64,
        info: &LayerInfo,
    ) -> Result<Vec<geo_types::Rect<f64>>> {
        let layer = info.name.as_str();
        let column = &info.schema.geometry_column;
        if column.is_empty() {
            return Ok(Vec::new());
        }
        let mut boxes = Vec::new();
        for row in journalled(self.connection(), &self.path, edit_id)? {
            if row.table != layer || row.op == "insert" {
                continue;
            }
            let hex = row
                .old_values
                .as_deref()
                .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
                .and_then(|v| v.get(column)?.as_str().map(str::to_string));
            if let Some(blob) = hex.as_deref().and_then(from_hex)
                && let Ok(Some(b)) = super::geom::envelope(&blob)
            {
                boxes.push(b);
            }
        }
        Ok(boxes)
    }
}

/// The values a journal row holds of the row before the change, as the
/// table's columns (blobs are journalled in hex), the fid left out.
fn old_row(
    path: &std::path::Path,
    info: &LayerInfo,
    row: &Journalled,
) -> Result<Vec<(String, Value)>> {
    let bad = |detail: String| GpkgError::BadFeature {
        path: path.to_path_buf(),
        layer: row.table.clone(),
        detail: format!("feature {}: the journal's old values {detail}", row.fid),
    };
    let json: serde_json::Map<String, serde_json::Value> = row
        .old_values
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| bad(format!("are not JSON ({e})")))?
        .ok_or_else(|| bad("are missing".into()))?;
    let schema = &info.schema;
    let mut columns: Vec<(String, bool)> = Vec::new();
    if !schema.geometry_column.is_empty() {
        columns.push((schema.geometry_column.clone(), true));
    }
    columns.extend(
        schema
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.field_type == FieldType::Blob)),
    );
    columns
        .into_iter()
        .map(|(name, blob)| {
            let value = match json.get(&name) {
                None => return Err(bad(format!("lack column '{name}'"))),
                // SQLite's hex(NULL) is '': the journal cannot tell a
                // NULL blob from an empty one, and an empty geometry blob
                // is not valid, so both come back as NULL.
                Some(serde_json::Value::Null) => Value::Null,
                Some(serde_json::Value::String(hex)) if blob && hex.is_empty() => Value::Null,
                Some(serde_json::Value::String(hex)) if blob => Value::Blob(
                    from_hex(hex).ok_or_else(|| bad(format!("of '{name}' are not hex")))?,
                ),
                Some(serde_json::Value::String(s)) => Value::Text(s.clone()),
                Some(serde_json::Value::Bool(b)) => Value::Integer(i64::from(*b)),
                Some(serde_json::Value::Number(n)) => match n.as_i64() {
                    Some(i) => Value::Integer(i),
                    None => Value::Real(n.as_f64().unwrap_or(f64::NAN)),
                },
                Some(other) => Value::Text(other.to_string()),
            };
            Ok((name, value))
        })
        .collect()
}

pub(super) fn from_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}
