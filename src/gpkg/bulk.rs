//! Bulk loading: many features into one layer in one transaction, with the
//! spatial-index and journal triggers set aside while rows stream in. The
//! index is then built in one pass (packed, in Hilbert order) and the
//! triggers are put back, all before the commit: a failed or cancelled load
//! leaves the file exactly as it was. Bulk loads are imports: they are
//! recorded as one entry in tramgis_edits, not row by row in the journal.
//!
//! Rows go in 64 to a statement with fids assigned here, which is what
//! makes the load several times faster than one insert per feature. While
//! no other connection has the file open, the load runs under SQLite's
//! rollback journal rather than WAL: just as atomic, but new pages are
//! written once instead of twice (to the WAL, then to the file).

use rusqlite::types::ToSql;
use rusqlite::{Connection, Statement};

use super::core::quote;
use super::error::{GpkgError, Result, SqlContext};
use super::store::{GeoPackage, LayerInfo};
use super::{geom, journal, rtree};
use crate::model::{Feature, FieldValue};

const BATCH: usize = 64;

struct PendingRow {
    fid: i64,
    blob: Option<Vec<u8>>,
    values: Vec<FieldValue>,
}

pub struct BulkWriter<'a> {
    conn: &'a Connection,
    path: &'a std::path::Path,
    info: LayerInfo,
    insert_one: Statement<'a>,
    insert_batch: Statement<'a>,
    pending: Vec<PendingRow>,
    next_fid: i64,
    envelopes: Vec<(i64, [f64; 4])>,
    extent: Option<[f64; 4]>,
    journaled: bool,
    left_wal: bool,
    count: u64,
    done: bool,
}

impl GeoPackage {
    /// Starts a bulk load into an existing layer.
    pub fn bulk_writer(&mut self, layer: &str, description: &str) -> Result<BulkWriter<'_>> {
        self.ensure_writable()?;
        let info = self.layer(layer)?;
        let conn = &self.conn;
        let path = self.path.as_path();
        let left_wal = leave_wal(conn);
        if let Err(e) = conn
            .execute_batch("BEGIN IMMEDIATE")
            .ctx(path, "starting a bulk load")
        {
            restore_wal(conn, left_wal);
            return Err(e);
        }
        let setup = (|| {
            let journaled = journal::has_triggers(conn, path, layer)?;
            rtree::drop_triggers(conn, path, layer, &info.schema.geometry_column)?;
            if journaled {
                journal::drop_triggers(conn, path, layer)?;
            }
            if self.has_tramgis_tables {
                conn.execute(
                    "INSERT INTO tramgis_edits (user, description) VALUES (?1, ?2)",
                    [&self.user, description],
                )
                .ctx(path, "recording the bulk load")?;
            }
            let schema = &info.schema;
            let (t, fid) = (quote(layer), quote(&schema.fid_column));
            let next_fid: i64 = conn
                .query_row(
                    &format!(
                        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?1), 0),
                                    coalesce((SELECT max({fid}) FROM {t}), 0)) + 1"
                    ),
                    [layer],
                    |r| r.get(0),
                )
                .ctx(path, "reading the next feature id")?;
            let mut cols = vec![fid, quote(&schema.geometry_column)];
            cols.extend(schema.fields.iter().map(|f| quote(&f.name)));
            let row = |k: usize| {
                format!(
                    "({})",
                    (1..=cols.len())
                        .map(|i| format!("?{}", k * cols.len() + i))
                        .collect::<Vec<_>>()
                        .join(",")
                )
            };
            let sql = |rows: usize| {
                format!(
                    "INSERT INTO {t} ({}) VALUES {}",
                    cols.join(", "),
                    (0..rows).map(row).collect::<Vec<_>>().join(",")
                )
            };
            let context = format!("preparing the bulk load of '{layer}'");
            let one = conn.prepare(&sql(1)).ctx(path, &context)?;
            let batch = conn.prepare(&sql(BATCH)).ctx(path, &context)?;
            Ok((journaled, next_fid, one, batch))
        })();
        let (journaled, next_fid, insert_one, insert_batch) = match setup {
            Ok(s) => s,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                restore_wal(conn, left_wal);
                return Err(e);
            }
        };
        Ok(BulkWriter {
            conn,
            path,
            info,
            insert_one,
            insert_batch,
            pending: Vec::with_capacity(BATCH),
            next_fid,
            envelopes: Vec::new(),
            extent: None,
            journaled,
            left_wal,
            count: 0,
            done: false,
        })
    }
}

/// Turns off mapped reads, and switches a WAL file to the rollback journal
/// if no other connection has it open; returns whether it switched.
fn leave_wal(conn: &Connection) -> bool {
    // Page writes go through write() either way; mapped reads of the pages
    // being written only add page faults (5% of a 1M-feature load).
    let _ = conn.execute_batch("PRAGMA mmap_size = 0");
    let mode: Option<String> = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).ok();
    if !mode.is_some_and(|m| m.eq_ignore_ascii_case("wal")) {
        return false;
    }
    conn.query_row("PRAGMA journal_mode = DELETE", [], |r| {
        r.get::<_, String>(0)
    })
    .is_ok_and(|m| m.eq_ignore_ascii_case("delete"))
}

fn restore_wal(conn: &Connection, left_wal: bool) {
    let _ = conn.execute_batch(super::store::MMAP_PRAGMA);
    if left_wal {
        let _ = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0));
    }
}

impl BulkWriter<'_> {
    fn bad(&self, detail: String) -> GpkgError {
        GpkgError::BadFeature {
            path: self.path.to_path_buf(),
            layer: self.info.name.clone(),
            detail,
        }
    }

    /// Adds one feature; returns the fid it will have.
    pub fn add(&mut self, feature: Feature) -> Result<i64> {
        let schema = &self.info.schema;
        let number = self.count + 1;
        if feature.values.len() != schema.fields.len() {
            return Err(self.bad(format!(
                "feature {number} has {} values but the layer has {} fields",
                feature.values.len(),
                schema.fields.len()
            )));
        }
        let fid = feature.fid.unwrap_or(self.next_fid);
        self.next_fid = self.next_fid.max(fid + 1);
        let blob = match &feature.geometry {
            Some(g) => {
                if !schema.geometry_type.accepts(geom::wkb_type_code(g)) {
                    return Err(self.bad(format!(
                        "feature {number}: geometry type does not fit column type {}",
                        schema.geometry_type.name()
                    )));
                }
                let mut blob = Vec::with_capacity(160);
                geom::encode(g, schema.srs_id, &mut blob);
                if let Some(e) = geom::envelope(&blob).expect("a blob we just wrote parses") {
                    self.envelopes.push((fid, e));
                    self.extent = Some(match self.extent {
                        Some(x) => [
                            x[0].min(e[0]),
                            x[1].max(e[1]),
                            x[2].min(e[2]),
                            x[3].max(e[3]),
                        ],
                        None => e,
                    });
                }
                Some(blob)
            }
            None => None,
        };
        self.pending.push(PendingRow {
            fid,
            blob,
            values: feature.values,
        });
        self.count += 1;
        if self.pending.len() == BATCH {
            self.flush()?;
        }
        Ok(fid)
    }

    fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut params: Vec<&dyn ToSql> =
            Vec::with_capacity(self.pending.len() * (self.info.schema.fields.len() + 2));
        for row in &self.pending {
            params.push(&row.fid);
            params.push(&row.blob);
            params.extend(row.values.iter().map(|v| v as &dyn ToSql));
        }
        let first = self.count - self.pending.len() as u64 + 1;
        let context = format!(
            "loading features {first}..{} into '{}'",
            self.count, self.info.name
        );
        if self.pending.len() == BATCH {
            self.insert_batch
                .execute(params.as_slice())
                .ctx(self.path, &context)?;
        } else {
            let per_row = self.info.schema.fields.len() + 2;
            for chunk in params.chunks(per_row) {
                self.insert_one.execute(chunk).ctx(self.path, &context)?;
            }
        }
        self.pending.clear();
        Ok(())
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Builds the index, restores the triggers, updates the extent and
    /// commits. Returns the number of features loaded.
    pub fn finish(mut self) -> Result<u64> {
        let result = self.complete();
        self.done = true;
        if result.is_err() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        restore_wal(self.conn, self.left_wal);
        result
    }

    fn complete(&mut self) -> Result<u64> {
        self.flush()?;
        let (conn, path, name) = (self.conn, self.path, self.info.name.clone());
        let schema = &self.info.schema;
        if self.info.has_rtree {
            rtree::bulk_insert(
                conn,
                path,
                &name,
                &schema.geometry_column,
                &mut self.envelopes,
            )?;
            rtree::create_triggers(conn, path, &name, schema)?;
        } else {
            rtree::create_index(conn, path, &name, schema, true)?;
        }
        if self.journaled {
            journal::install_triggers(conn, path, &name, schema)?;
        }
        let e: [Option<f64>; 4] = self.extent.map_or([None; 4], |e| e.map(Some));
        conn.execute(
            "UPDATE gpkg_contents SET
               last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
               min_x = min(coalesce(min_x, ?2), coalesce(?2, min_x)),
               max_x = max(coalesce(max_x, ?3), coalesce(?3, max_x)),
               min_y = min(coalesce(min_y, ?4), coalesce(?4, min_y)),
               max_y = max(coalesce(max_y, ?5), coalesce(?5, max_y))
             WHERE table_name = ?1",
            rusqlite::params![name, e[0], e[1], e[2], e[3]],
        )
        .ctx(path, "updating gpkg_contents")?;
        conn.execute_batch("COMMIT")
            .ctx(path, "committing the bulk load")?;
        Ok(self.count)
    }
}

impl Drop for BulkWriter<'_> {
    /// A writer dropped without `finish` (an error, a cancel) rolls back.
    fn drop(&mut self) {
        if !self.done {
            let _ = self.conn.execute_batch("ROLLBACK");
            restore_wal(self.conn, self.left_wal);
        }
    }
}
