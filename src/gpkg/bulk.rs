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
use super::store::{self, GeoPackage, LayerInfo, LayerMeta};
use super::{geom, journal, rtree};
use crate::model::{Feature, FieldValue, Schema};

const BATCH: usize = 64;

struct PendingRow {
    fid: i64,
    blob: Option<Vec<u8>>,
    values: Vec<FieldValue>,
}

/// One layer being loaded.
struct LayerLoad<'a> {
    info: LayerInfo,
    insert_one: Statement<'a>,
    insert_batch: Statement<'a>,
    pending: Vec<PendingRow>,
    next_fid: i64,
    envelopes: Vec<(i64, geo_types::Rect<f64>)>,
    extent: Option<geo_types::Rect<f64>>,
    journaled: bool,
    count: u64,
}

/// A bulk load in progress: one transaction, one or more layers.
pub struct BulkWriter<'a> {
    conn: &'a Connection,
    path: &'a std::path::Path,
    layers: Vec<LayerLoad<'a>>,
    left_wal: bool,
    done: bool,
}

impl GeoPackage {
    /// Starts a bulk load (one transaction) to which layers are added with
    /// [`BulkWriter::open_layer`] or [`BulkWriter::create_layer`].
    pub fn bulk_load(&mut self, description: &str) -> Result<BulkWriter<'_>> {
        self.ensure_writable()?;
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
        let writer = BulkWriter {
            conn,
            path,
            layers: Vec::new(),
            left_wal,
            done: false,
        };
        if self.has_tramgis_tables {
            conn.execute(
                "INSERT INTO tramgis_edits (user, description) VALUES (?1, ?2)",
                [&self.user, description],
            )
            .ctx(path, "recording the bulk load")?;
        }
        Ok(writer)
    }

    /// Starts a bulk load into one existing layer.
    pub fn bulk_writer(&mut self, layer: &str, description: &str) -> Result<BulkWriter<'_>> {
        let mut writer = self.bulk_load(description)?;
        writer.open_layer(layer)?;
        Ok(writer)
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

impl<'a> BulkWriter<'a> {
    /// Creates a new layer inside the load's transaction; returns its slot.
    /// The srs_id of a CRS known only by its WKT, added in this load's
    /// transaction when the workspace lacks it (see
    /// [`core::ensure_custom_srs`](super::core::ensure_custom_srs)).
    pub fn custom_srs(&mut self, name: &str, wkt: &str) -> Result<i32> {
        super::core::ensure_custom_srs(self.conn, self.path, name, wkt)
    }

    pub fn create_layer(&mut self, name: &str, schema: &Schema, meta: &LayerMeta) -> Result<usize> {
        store::create_layer_in(self.conn, self.path, name, schema, meta)?;
        self.open_layer(name)
    }

    /// Creates a layer in place of an earlier one of the same name (a
    /// recomputed result), both in the load's transaction: until it
    /// commits, readers see the old layer, and a failure keeps it.
    pub fn replace_layer(
        &mut self,
        name: &str,
        schema: &Schema,
        meta: &LayerMeta,
    ) -> Result<usize> {
        if let Ok(old) = store::read_layer(self.conn, self.path, name) {
            store::ensure_layer_writable(self.path, &old)?;
            store::delete_layer_in(self.conn, self.path, &old)?;
        }
        self.create_layer(name, schema, meta)
    }

    /// Adds an existing layer to the load; returns its slot.
    pub fn open_layer(&mut self, name: &str) -> Result<usize> {
        let (conn, path) = (self.conn, self.path);
        let info = store::read_layer(conn, path, name)?;
        store::ensure_layer_writable(path, &info)?;
        let journaled = journal::has_triggers(conn, path, name)?;
        rtree::drop_triggers(conn, path, name, &info.schema.geometry_column)?;
        if journaled {
            journal::drop_triggers(conn, path, name)?;
        }
        let schema = &info.schema;
        let (t, fid) = (quote(name), quote(&schema.fid_column));
        let next_fid: i64 = conn
            .query_row(
                &format!(
                    "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?1), 0),
                                coalesce((SELECT max({fid}) FROM {t}), 0)) + 1"
                ),
                [name],
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
        let context = format!("preparing the bulk load of '{name}'");
        let insert_one = conn.prepare(&sql(1)).ctx(path, &context)?;
        let insert_batch = conn.prepare(&sql(BATCH)).ctx(path, &context)?;
        self.layers.push(LayerLoad {
            info,
            insert_one,
            insert_batch,
            pending: Vec::with_capacity(BATCH),
            next_fid,
            envelopes: Vec::new(),
            extent: None,
            journaled,
            count: 0,
        });
        Ok(self.layers.len() - 1)
    }

    /// The layer loaded in a slot.
    pub fn layer_info(&self, slot: usize) -> &LayerInfo {
        &self.layers[slot].info
    }

    /// Adds one feature to the first layer; returns the fid it will have.
    pub fn add(&mut self, feature: Feature) -> Result<i64> {
        self.add_to(0, feature)
    }

    /// Adds one feature to the layer in `slot`.
    pub fn add_to(&mut self, slot: usize, feature: Feature) -> Result<i64> {
        let path = self.path;
        let load = &mut self.layers[slot];
        let schema = &load.info.schema;
        let number = load.count + 1;
        let bad = |detail: String| GpkgError::BadFeature {
            path: path.to_path_buf(),
            layer: load.info.name.clone(),
            detail,
        };
        if feature.values.len() != schema.fields.len() {
            return Err(bad(format!(
                "feature {number} has {} values but the layer has {} fields",
                feature.values.len(),
                schema.fields.len()
            )));
        }
        let blob = match &feature.geometry {
            Some(g) => {
                if !schema.geometry_type.accepts(geom::wkb_type_code(g)) {
                    return Err(bad(format!(
                        "feature {number}: geometry type does not fit column type {}",
                        schema.geometry_type.name()
                    )));
                }
                let mut blob = Vec::with_capacity(160);
                geom::encode_zm(g, schema.srs_id, &feature.zm, &mut blob)
                    .map_err(|e| bad(format!("feature {number}: {e}")))?;
                Some(blob)
            }
            None => None,
        };
        let fid = feature.fid.unwrap_or(load.next_fid);
        load.next_fid = load.next_fid.max(fid + 1);
        if let Some(e) = blob
            .as_deref()
            .and_then(|b| geom::envelope(b).expect("a blob we just wrote parses"))
        {
            load.envelopes.push((fid, e));
            load.extent = Some(geom::union(load.extent, e));
        }
        load.pending.push(PendingRow {
            fid,
            blob,
            values: feature.values,
        });
        load.count += 1;
        if load.pending.len() == BATCH {
            flush(load, path)?;
        }
        Ok(fid)
    }

    /// Features added so far, all layers.
    pub fn count(&self) -> u64 {
        self.layers.iter().map(|l| l.count).sum()
    }

    /// Features added to one layer so far.
    pub fn count_in(&self, slot: usize) -> u64 {
        self.layers[slot].count
    }

    /// Builds the indexes, restores the triggers, updates the extents and
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
        let (conn, path) = (self.conn, self.path);
        for load in &mut self.layers {
            flush(load, path)?;
            let name = load.info.name.clone();
            let schema = &load.info.schema;
            if load.info.has_rtree {
                rtree::bulk_insert(
                    conn,
                    path,
                    &name,
                    &schema.geometry_column,
                    &mut load.envelopes,
                )?;
                rtree::create_triggers(conn, path, &name, schema)?;
            } else {
                rtree::create_index(conn, path, &name, schema, true)?;
            }
            if load.journaled {
                journal::install_triggers(conn, path, &name, schema)?;
            }
            store::grow_extent(conn, path, &name, load.extent)?;
        }
        conn.execute_batch("COMMIT")
            .ctx(path, "committing the bulk load")?;
        Ok(self.count())
    }
}

fn flush(load: &mut LayerLoad<'_>, path: &std::path::Path) -> Result<()> {
    if load.pending.is_empty() {
        return Ok(());
    }
    let per_row = load.info.schema.fields.len() + 2;
    let mut params: Vec<&dyn ToSql> = Vec::with_capacity(load.pending.len() * per_row);
    for row in &load.pending {
        params.push(&row.fid);
        params.push(&row.blob);
        params.extend(row.values.iter().map(|v| v as &dyn ToSql));
    }
    let first = load.count - load.pending.len() as u64 + 1;
    let context = format!(
        "loading features {first}..{} into '{}'",
        load.count, load.info.name
    );
    if load.pending.len() == BATCH {
        load.insert_batch
            .execute(params.as_slice())
            .ctx(path, &context)?;
    } else {
        for chunk in params.chunks(per_row) {
            load.insert_one.execute(chunk).ctx(path, &context)?;
        }
    }
    load.pending.clear();
    Ok(())
}

impl Drop for BulkWriter<'_> {
    /// A writer dropped without `finish` (an error, a cancel) rolls back.
    fn drop(&mut self) {
        if !self.done {
            self.layers.clear();
            let _ = self.conn.execute_batch("ROLLBACK");
            restore_wal(self.conn, self.left_wal);
        }
    }
}
