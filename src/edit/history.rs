//! The persistent undo/redo history of a workspace.
//!
//! Every `EditSession::apply` is one step. A step points at the edit whose
//! effect is current: the original edit (or its latest redo) while it is
//! done, the undo edit while it is undone. Undo writes back the rows of the
//! current edit as they were before it (gpkg's `write_back`), as a new edit
//! of its own with journal rows; redo writes back the rows of that undo.
//! So the journal always holds the net effect, and sync needs nothing else.
//!
//! The history lives in the workspace (`tramgis_history`, registered in
//! gpkg_extensions like the journal), written in the same transaction as
//! the edit it records, so it survives closing, crashes and kills.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use super::error::EditError;

pub const EXTENSION: &str = "tramgis_undo_history";
const DEFINITION: &str = "tramgis undo/redo history: one row per user operation in tramgis_history, \
     pointing at its edit in tramgis_edits; tramgis_history_edits lists every edit of a step";

const TABLES_SQL: &str = "
CREATE TABLE IF NOT EXISTS tramgis_history (
  step_id INTEGER PRIMARY KEY AUTOINCREMENT,
  description TEXT NOT NULL,
  user TEXT NOT NULL,
  undone INTEGER NOT NULL DEFAULT 0 CHECK (undone IN (0, 1)),
  edit_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tramgis_history_edits (
  step_id INTEGER NOT NULL,
  edit_id INTEGER NOT NULL,
  PRIMARY KEY (step_id, edit_id)
);
CREATE INDEX IF NOT EXISTS tramgis_history_edits_edit ON tramgis_history_edits (edit_id);
CREATE INDEX IF NOT EXISTS tramgis_history_undone ON tramgis_history (undone, step_id);
";

/// One step of the history.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub step_id: i64,
    pub description: String,
    pub user: String,
    pub undone: bool,
    /// The edit whose effect is current (see the module comment).
    pub edit_id: i64,
}

fn sql_err<'p>(path: &'p Path, context: &str) -> impl Fn(rusqlite::Error) -> EditError + 'p {
    let context = context.to_string();
    move |e| {
        EditError::from(crate::gpkg::GpkgError::Sqlite {
            path: path.to_path_buf(),
            context: context.clone(),
            source: e,
        })
    }
}

pub fn exists(conn: &Connection, path: &Path) -> Result<bool, EditError> {
    conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE name = 'tramgis_history')",
        [],
        |r| r.get(0),
    )
    .map_err(sql_err(path, "reading the schema"))
}

/// Creates the history tables when missing, in one transaction.
pub fn ensure_tables(conn: &Connection, path: &Path) -> Result<(), EditError> {
    if exists(conn, path)? {
        return Ok(());
    }
    let err = sql_err(path, "creating the undo history");
    conn.execute_batch("BEGIN IMMEDIATE").map_err(&err)?;
    let made = conn.execute_batch(TABLES_SQL).and_then(|()| {
        conn.execute(
            "INSERT INTO gpkg_extensions SELECT 'tramgis_history', NULL, ?1, ?2, 'write-only' WHERE NOT EXISTS (SELECT 1 FROM gpkg_extensions WHERE table_name = 'tramgis_history' AND extension_name = ?1)",
            params![EXTENSION, DEFINITION],
        )
    });
    match made {
        Ok(_) => conn.execute_batch("COMMIT").map_err(&err),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(err(e))
        }
    }
}

/// Records a new step (inside its edit's transaction); the redo list is
/// cleared, as in every editor.
pub fn record(
    conn: &Connection,
    path: &Path,
    edit_id: i64,
    description: &str,
    user: &str,
) -> Result<i64, EditError> {
    let err = sql_err(path, "writing the undo history");
    conn.execute(
        "DELETE FROM tramgis_history_edits WHERE step_id IN (SELECT step_id FROM tramgis_history WHERE undone = 1)",
        [],
    )
    .map_err(&err)?;
    conn.execute("DELETE FROM tramgis_history WHERE undone = 1", [])
        .map_err(&err)?;
    conn.execute(
        "INSERT INTO tramgis_history (description, user, edit_id) VALUES (?1, ?2, ?3)",
        params![description, user, edit_id],
    )
    .map_err(&err)?;
    let step = conn.last_insert_rowid();
    conn.execute(
        "INSERT INTO tramgis_history_edits VALUES (?1, ?2)",
        params![step, edit_id],
    )
    .map_err(&err)?;
    Ok(step)
}

/// Marks a step undone (or done again), its effect now that of `edit_id`.
pub fn mark(
    conn: &Connection,
    path: &Path,
    step_id: i64,
    undone: bool,
    edit_id: i64,
) -> Result<(), EditError> {
    let err = sql_err(path, "writing the undo history");
    conn.execute(
        "UPDATE tramgis_history SET undone = ?2, edit_id = ?3 WHERE step_id = ?1",
        params![step_id, undone, edit_id],
    )
    .map_err(&err)?;
    conn.execute(
        "INSERT OR IGNORE INTO tramgis_history_edits VALUES (?1, ?2)",
        params![step_id, edit_id],
    )
    .map_err(&err)?;
    Ok(())
}

fn step_where(conn: &Connection, path: &Path, filter: &str) -> Result<Option<Step>, EditError> {
    if !exists(conn, path)? {
        return Ok(None);
    }
    conn.query_row(
        &format!(
            "SELECT step_id, description, user, undone, edit_id FROM tramgis_history {filter} LIMIT 1"
        ),
        [],
        step_of,
    )
    .optional()
    .map_err(sql_err(path, "reading the undo history"))
}

fn step_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Step> {
    Ok(Step {
        step_id: r.get(0)?,
        description: r.get(1)?,
        user: r.get(2)?,
        undone: r.get(3)?,
        edit_id: r.get(4)?,
    })
}

/// The step undo would undo: the newest done one.
pub fn next_undo(conn: &Connection, path: &Path) -> Result<Option<Step>, EditError> {
    step_where(conn, path, "WHERE undone = 0 ORDER BY step_id DESC")
}

/// The step redo would redo: the oldest undone one (the last undone).
pub fn next_redo(conn: &Connection, path: &Path) -> Result<Option<Step>, EditError> {
    step_where(conn, path, "WHERE undone = 1 ORDER BY step_id ASC")
}

/// Every step, oldest first: the done ones are the undo list, the undone
/// ones (always the newest) the redo list.
pub fn steps(conn: &Connection, path: &Path) -> Result<Vec<Step>, EditError> {
    if !exists(conn, path)? {
        return Ok(Vec::new());
    }
    let err = sql_err(path, "reading the undo history");
    let mut stmt = conn
        .prepare(
            "SELECT step_id, description, user, undone, edit_id FROM tramgis_history ORDER BY step_id",
        )
        .map_err(&err)?;
    let rows = stmt.query_map([], step_of).map_err(&err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(&err)
}

/// Whether `edit_id` belongs to a step of the history other than
/// `step_id`. When a step is undone or redone, the later changes by other
/// steps are undo/redo pairs whose effect is gone (steps are undone
/// newest first and redone oldest first), so they do not block it.
pub fn is_other_step_edit(conn: &Connection, step_id: i64, edit_id: i64) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS(SELECT 1 FROM tramgis_history_edits WHERE edit_id = ?1 AND step_id != ?2)",
    )?
    .query_row(params![edit_id, step_id], |r| r.get(0))
}
