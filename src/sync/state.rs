//! The sync's records in the workspace: for each synced feature its UUID,
//! local fid, server id and base version (the feature as last agreed with
//! the server); the conflicts waiting for a decision; the log of syncs.
//! They are written in the same SQLite transaction as the features they
//! describe, so a crash or kill never leaves them disagreeing.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::error::{Result, SyncError};
use super::record::Record;

const TABLES_SQL: &str = "
CREATE TABLE IF NOT EXISTS tramgis_sync_remotes (
  name TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  protocol TEXT NOT NULL,
  auth TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE TABLE IF NOT EXISTS tramgis_sync_layers (
  remote TEXT NOT NULL,
  layer TEXT NOT NULL,
  mapping TEXT NOT NULL,
  synced_change_id INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (remote, layer)
);
CREATE TABLE IF NOT EXISTS tramgis_sync_features (
  remote TEXT NOT NULL,
  layer TEXT NOT NULL,
  uuid TEXT NOT NULL,
  fid INTEGER,
  server_id TEXT,
  base TEXT,
  state TEXT NOT NULL CHECK (state IN ('synced', 'creating', 'dirty')),
  PRIMARY KEY (remote, layer, uuid)
);
CREATE INDEX IF NOT EXISTS tramgis_sync_features_fid ON tramgis_sync_features (remote, layer, fid);
CREATE TABLE IF NOT EXISTS tramgis_sync_conflicts (
  conflict_id INTEGER PRIMARY KEY AUTOINCREMENT,
  remote TEXT NOT NULL,
  layer TEXT NOT NULL,
  uuid TEXT NOT NULL,
  fid INTEGER,
  kind TEXT NOT NULL,
  fields TEXT NOT NULL,
  base TEXT,
  mine TEXT,
  theirs TEXT,
  found_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  resolved_at TEXT,
  resolution TEXT
);
CREATE TABLE IF NOT EXISTS tramgis_sync_log (
  sync_id INTEGER PRIMARY KEY AUTOINCREMENT,
  remote TEXT NOT NULL,
  operation TEXT NOT NULL,
  user TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  created INTEGER NOT NULL DEFAULT 0,
  replaced INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0,
  received INTEGER NOT NULL DEFAULT 0,
  conflicts INTEGER NOT NULL DEFAULT 0,
  bytes_sent INTEGER NOT NULL DEFAULT 0,
  bytes_received INTEGER NOT NULL DEFAULT 0,
  requests INTEGER NOT NULL DEFAULT 0,
  outcome TEXT NOT NULL,
  errors TEXT NOT NULL DEFAULT ''
);
";

pub const EXTENSION: &str = "tramgis_sync";
const DEFINITION: &str = "tramgis sync with an OGC portal: remotes, layer mappings, base versions \
     of synced features, conflicts and the sync log (tables tramgis_sync_*)";

pub fn sql(e: rusqlite::Error, what: &str) -> SyncError {
    SyncError::Workspace {
        what: what.into(),
        detail: e.to_string(),
    }
}

pub fn ensure_tables(conn: &Connection) -> Result<()> {
    conn.execute_batch(TABLES_SQL)
        .map_err(|e| sql(e, "creating the sync tables"))?;
    conn.execute(
        "INSERT INTO gpkg_extensions SELECT 'tramgis_sync_features', NULL, ?1, ?2, 'write-only'
         WHERE NOT EXISTS (SELECT 1 FROM gpkg_extensions WHERE extension_name = ?1)",
        params![EXTENSION, DEFINITION],
    )
    .map_err(|e| sql(e, "registering the sync tables in gpkg_extensions"))?;
    Ok(())
}

pub fn has_tables(conn: &Connection) -> Result<bool> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'tramgis_sync_features'",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
    .map_err(|e| sql(e, "looking for the sync tables"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowState {
    /// The server has the base version.
    Synced,
    /// Sent as a create and not yet acknowledged: before sending it again,
    /// ask the server whether it landed (the UUID says).
    Creating,
    /// The last push of it failed or was put off: push it again.
    Dirty,
}

impl RowState {
    fn name(self) -> &'static str {
        match self {
            RowState::Synced => "synced",
            RowState::Creating => "creating",
            RowState::Dirty => "dirty",
        }
    }

    fn parse(text: &str) -> RowState {
        match text {
            "creating" => RowState::Creating,
            "dirty" => RowState::Dirty,
            _ => RowState::Synced,
        }
    }
}

/// One synced feature's identity and base version.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncRow {
    pub uuid: String,
    pub fid: Option<i64>,
    pub server_id: Option<String>,
    /// As last agreed with the server; None while it is being created.
    pub base: Option<Record>,
    pub state: RowState,
}

const ROW_COLUMNS: &str = "uuid, fid, server_id, base, state";

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SyncRow> {
    let base: Option<String> = r.get(3)?;
    Ok(SyncRow {
        uuid: r.get(0)?,
        fid: r.get(1)?,
        server_id: r.get(2)?,
        base: base.and_then(|b| serde_json::from_str(&b).ok()),
        state: RowState::parse(&r.get::<_, String>(4)?),
    })
}

pub fn row(conn: &Connection, remote: &str, layer: &str, uuid: &str) -> Result<Option<SyncRow>> {
    conn.query_row(
        &format!(
            "SELECT {ROW_COLUMNS} FROM tramgis_sync_features WHERE remote = ?1 AND layer = ?2 AND uuid = ?3"
        ),
        params![remote, layer, uuid],
        read_row,
    )
    .optional()
    .map_err(|e| sql(e, "reading a synced feature"))
}

pub fn rows_with_fid(
    conn: &Connection,
    remote: &str,
    layer: &str,
    fid: i64,
) -> Result<Vec<SyncRow>> {
    select(
        conn,
        "fid = ?3",
        params![remote, layer, fid],
        "reading synced features",
    )
}

pub fn rows_in_state(
    conn: &Connection,
    remote: &str,
    layer: &str,
    state: RowState,
) -> Result<Vec<SyncRow>> {
    select(
        conn,
        "state = ?3",
        params![remote, layer, state.name()],
        "reading synced features",
    )
}

pub fn all_rows(conn: &Connection, remote: &str, layer: &str) -> Result<Vec<SyncRow>> {
    select(conn, "1", params![remote, layer], "reading synced features")
}

fn select(
    conn: &Connection,
    condition: &str,
    params: &[&dyn rusqlite::ToSql],
    what: &str,
) -> Result<Vec<SyncRow>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {ROW_COLUMNS} FROM tramgis_sync_features WHERE remote = ?1 AND layer = ?2 AND {condition}"
        ))
        .map_err(|e| sql(e, what))?;
    let rows = stmt.query_map(params, read_row).map_err(|e| sql(e, what))?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(|e| sql(e, what))
}

pub fn put_row(conn: &Connection, remote: &str, layer: &str, row: &SyncRow) -> Result<()> {
    let base = row
        .base
        .as_ref()
        .map(|b| serde_json::to_string(b).expect("record serializes"));
    conn.prepare_cached(
        "INSERT INTO tramgis_sync_features (remote, layer, uuid, fid, server_id, base, state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (remote, layer, uuid) DO UPDATE SET fid = excluded.fid,
           server_id = excluded.server_id, base = excluded.base, state = excluded.state",
    )
    .and_then(|mut s| {
        s.execute(params![
            remote,
            layer,
            row.uuid,
            row.fid,
            row.server_id,
            base,
            row.state.name()
        ])
    })
    .map_err(|e| sql(e, "recording a synced feature"))?;
    Ok(())
}

pub fn delete_row(conn: &Connection, remote: &str, layer: &str, uuid: &str) -> Result<()> {
    conn.prepare_cached(
        "DELETE FROM tramgis_sync_features WHERE remote = ?1 AND layer = ?2 AND uuid = ?3",
    )
    .and_then(|mut s| s.execute(params![remote, layer, uuid]))
    .map_err(|e| sql(e, "forgetting a synced feature"))?;
    Ok(())
}

/// Why a feature could not be merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConflictKind {
    /// The same fields (or the geometry) changed differently on both sides.
    BothChanged,
    /// Changed here, deleted on the server.
    ChangedHereDeletedThere,
    /// Deleted here, changed on the server.
    DeletedHereChangedThere,
}

impl ConflictKind {
    pub fn name(self) -> &'static str {
        match self {
            ConflictKind::BothChanged => "both-changed",
            ConflictKind::ChangedHereDeletedThere => "changed-here-deleted-there",
            ConflictKind::DeletedHereChangedThere => "deleted-here-changed-there",
        }
    }

    fn parse(text: &str) -> ConflictKind {
        match text {
            "changed-here-deleted-there" => ConflictKind::ChangedHereDeletedThere,
            "deleted-here-changed-there" => ConflictKind::DeletedHereChangedThere,
            _ => ConflictKind::BothChanged,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub id: i64,
    pub remote: String,
    pub layer: String,
    pub uuid: String,
    pub fid: Option<i64>,
    pub kind: ConflictKind,
    /// The fields in conflict (the geometry as record::GEOMETRY).
    pub fields: Vec<String>,
    pub base: Option<Record>,
    pub mine: Option<Record>,
    pub theirs: Option<Record>,
    pub found_at: String,
}

impl Conflict {
    /// A conflict just found, not yet stored (the store gives its id and
    /// time), with its three versions as `(base, mine, theirs)`.
    pub fn found(
        remote: &str,
        layer: &str,
        uuid: &str,
        fid: Option<i64>,
        (kind, fields): (ConflictKind, Vec<String>),
        (base, mine, theirs): (Option<Record>, Option<Record>, Option<Record>),
    ) -> Conflict {
        Conflict {
            id: 0,
            remote: remote.into(),
            layer: layer.into(),
            uuid: uuid.into(),
            fid,
            kind,
            fields,
            base,
            mine,
            theirs,
            found_at: String::new(),
        }
    }
}

/// Records a conflict; an open one for the same feature is replaced (the
/// newest server version is the one to decide against).
pub fn add_conflict(conn: &Connection, c: &Conflict) -> Result<()> {
    let json = |r: &Option<Record>| {
        r.as_ref()
            .map(|r| serde_json::to_string(r).expect("record serializes"))
    };
    conn.execute(
        "DELETE FROM tramgis_sync_conflicts WHERE remote = ?1 AND layer = ?2 AND uuid = ?3 AND resolved_at IS NULL",
        params![c.remote, c.layer, c.uuid],
    )
    .map_err(|e| sql(e, "recording a conflict"))?;
    conn.execute(
        "INSERT INTO tramgis_sync_conflicts (remote, layer, uuid, fid, kind, fields, base, mine, theirs)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            c.remote,
            c.layer,
            c.uuid,
            c.fid,
            c.kind.name(),
            serde_json::to_string(&c.fields).expect("names serialize"),
            json(&c.base),
            json(&c.mine),
            json(&c.theirs)
        ],
    )
    .map_err(|e| sql(e, "recording a conflict"))?;
    Ok(())
}

pub fn open_conflicts(conn: &Connection, remote: Option<&str>) -> Result<Vec<Conflict>> {
    if !has_tables(conn)? {
        return Ok(Vec::new());
    }
    let mut stmt = conn
        .prepare(
            "SELECT conflict_id, remote, layer, uuid, fid, kind, fields, base, mine, theirs, found_at
             FROM tramgis_sync_conflicts WHERE resolved_at IS NULL AND (?1 IS NULL OR remote = ?1)
             ORDER BY conflict_id",
        )
        .map_err(|e| sql(e, "reading the conflicts"))?;
    let record = |t: Option<String>| t.and_then(|t| serde_json::from_str(&t).ok());
    let rows = stmt
        .query_map([remote], |r| {
            Ok(Conflict {
                id: r.get(0)?,
                remote: r.get(1)?,
                layer: r.get(2)?,
                uuid: r.get(3)?,
                fid: r.get(4)?,
                kind: ConflictKind::parse(&r.get::<_, String>(5)?),
                fields: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or_default(),
                base: record(r.get(7)?),
                mine: record(r.get(8)?),
                theirs: record(r.get(9)?),
                found_at: r.get(10)?,
            })
        })
        .map_err(|e| sql(e, "reading the conflicts"))?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(|e| sql(e, "reading the conflicts"))
}

pub fn has_open_conflict(conn: &Connection, remote: &str, layer: &str, uuid: &str) -> Result<bool> {
    conn.prepare_cached(
        "SELECT count(*) FROM tramgis_sync_conflicts
         WHERE remote = ?1 AND layer = ?2 AND uuid = ?3 AND resolved_at IS NULL",
    )
    .and_then(|mut s| s.query_row(params![remote, layer, uuid], |r| r.get::<_, i64>(0)))
    .map(|n| n > 0)
    .map_err(|e| sql(e, "reading the conflicts"))
}

pub fn mark_resolved(conn: &Connection, id: i64, resolution: &str) -> Result<()> {
    conn.execute(
        "UPDATE tramgis_sync_conflicts SET resolved_at = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
         resolution = ?2 WHERE conflict_id = ?1",
        params![id, resolution],
    )
    .map_err(|e| sql(e, "recording the resolution"))?;
    Ok(())
}

/// One sync, as the log keeps it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogEntry {
    pub remote: String,
    pub operation: String,
    pub user: String,
    pub started_at: String,
    pub created: u64,
    pub replaced: u64,
    pub deleted: u64,
    pub received: u64,
    pub conflicts: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub requests: u64,
    pub outcome: String,
    pub errors: Vec<String>,
}

pub fn log(conn: &Connection, e: &LogEntry) -> Result<()> {
    ensure_tables(conn)?;
    conn.execute(
        "INSERT INTO tramgis_sync_log (remote, operation, user, started_at, created, replaced, deleted,
           received, conflicts, bytes_sent, bytes_received, requests, outcome, errors)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            e.remote,
            e.operation,
            e.user,
            e.started_at,
            e.created as i64,
            e.replaced as i64,
            e.deleted as i64,
            e.received as i64,
            e.conflicts as i64,
            e.bytes_sent as i64,
            e.bytes_received as i64,
            e.requests as i64,
            e.outcome,
            e.errors.join("\n")
        ],
    )
    .map_err(|e| sql(e, "writing the sync log"))?;
    Ok(())
}

pub fn history(conn: &Connection, limit: usize) -> Result<Vec<LogEntry>> {
    if !has_tables(conn)? {
        return Ok(Vec::new());
    }
    let mut stmt = conn
        .prepare(
            "SELECT remote, operation, user, started_at, created, replaced, deleted, received, conflicts,
                    bytes_sent, bytes_received, requests, outcome, errors
             FROM tramgis_sync_log ORDER BY sync_id DESC LIMIT ?1",
        )
        .map_err(|e| sql(e, "reading the sync log"))?;
    let rows = stmt
        .query_map([limit as i64], |r| {
            let errors: String = r.get(13)?;
            Ok(LogEntry {
                remote: r.get(0)?,
                operation: r.get(1)?,
                user: r.get(2)?,
                started_at: r.get(3)?,
                created: r.get::<_, i64>(4)? as u64,
                replaced: r.get::<_, i64>(5)? as u64,
                deleted: r.get::<_, i64>(6)? as u64,
                received: r.get::<_, i64>(7)? as u64,
                conflicts: r.get::<_, i64>(8)? as u64,
                bytes_sent: r.get::<_, i64>(9)? as u64,
                bytes_received: r.get::<_, i64>(10)? as u64,
                requests: r.get::<_, i64>(11)? as u64,
                outcome: r.get(12)?,
                errors: errors.lines().map(str::to_string).collect(),
            })
        })
        .map_err(|e| sql(e, "reading the sync log"))?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(|e| sql(e, "reading the sync log"))
}

/// SQLite's clock, formatted as the journal's timestamps are.
pub fn now(conn: &Connection) -> Result<String> {
    conn.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ','now')", [], |r| {
        r.get(0)
    })
    .map_err(|e| sql(e, "reading the clock"))
}
