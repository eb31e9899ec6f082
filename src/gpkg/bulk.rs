//! Bulk loading: many features into one layer in one transaction, with the
//! spatial-index and journal triggers set aside while rows stream in. The
//! index is then built in one pass in Hilbert order and the triggers are put
//! back, all before the commit: a failed or cancelled load leaves the file
//! exactly as it was. Bulk loads are not journaled row by row; they are
//! imports, recorded as one entry in tramgis_edits.

use rusqlite::{Connection, Statement, ToSql};

use super::core::quote;
use super::error::{GpkgError, Result, SqlContext};
use super::store::{GeoPackage, LayerInfo};
use super::{geom, journal, rtree};
use crate::model::Feature;

pub struct BulkWriter<'a> {
    conn: &'a Connection,
    path: &'a std::path::Path,
    info: LayerInfo,
    insert: Statement<'a>,
    blob: Vec<u8>,
    envelopes: Vec<(i64, [f64; 4])>,
    extent: Option<[f64; 4]>,
    journaled: bool,
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
        conn.execute_batch("BEGIN IMMEDIATE").ctx(path, "starting a bulk load")?;
        let journaled = journal::has_triggers(conn, path, layer)?;
        let setup = (|| {
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
            let mut cols = vec![quote(&schema.fid_column), quote(&schema.geometry_column)];
            cols.extend(schema.fields.iter().map(|f| quote(&f.name)));
            let placeholders: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
            conn.prepare(&format!(
                "INSERT INTO {} ({}) VALUES ({})",
                quote(layer),
                cols.join(", "),
                placeholders.join(", ")
            ))
            .ctx(path, &format!("preparing the bulk load of '{layer}'"))
        })();
        let insert = match setup {
            Ok(s) => s,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        };
        Ok(BulkWriter {
            conn,
            path,
            info,
            insert,
            blob: Vec::with_capacity(512),
            envelopes: Vec::new(),
            extent: None,
            journaled,
            count: 0,
            done: false,
        })
    }
}

impl BulkWriter<'_> {
    /// Adds one feature; returns its fid.
    pub fn add(&mut self, feature: &Feature) -> Result<i64> {
        let schema = &self.info.schema;
        if feature.values.len() != schema.fields.len() {
            return Err(GpkgError::BadFeature {
                path: self.path.to_path_buf(),
                layer: self.info.name.clone(),
                detail: format!(
                    "feature {} has {} values but the layer has {} fields",
                    self.count + 1,
                    feature.values.len(),
                    schema.fields.len()
                ),
            });
        }
        self.blob.clear();
        let mut env = None;
        if let Some(g) = &feature.geometry {
            if !schema.geometry_type.accepts(geom::wkb_type_code(g)) {
                return Err(GpkgError::BadFeature {
                    path: self.path.to_path_buf(),
                    layer: self.info.name.clone(),
                    detail: format!(
                        "feature {}: geometry type does not fit column type {}",
                        self.count + 1,
                        schema.geometry_type.name()
                    ),
                });
            }
            geom::encode(g, schema.srs_id, &mut self.blob);
            env = geom::envelope(&self.blob).expect("a blob we just wrote parses");
        }
        let blob: Option<&[u8]> = feature.geometry.as_ref().map(|_| self.blob.as_slice());
        let mut params: Vec<&dyn ToSql> = Vec::with_capacity(feature.values.len() + 2);
        params.push(&feature.fid);
        params.push(&blob);
        params.extend(feature.values.iter().map(|v| v as &dyn ToSql));
        self.insert
            .execute(params.as_slice())
            .ctx(self.path, &format!("loading feature {} into '{}'", self.count + 1, self.info.name))?;
        let fid = self.conn.last_insert_rowid();
        if let Some(e) = env {
            self.envelopes.push((fid, e));
            self.extent = Some(match self.extent {
                Some(x) => [x[0].min(e[0]), x[1].max(e[1]), x[2].min(e[2]), x[3].max(e[3])],
                None => e,
            });
        }
        self.count += 1;
        Ok(fid)
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
        result
    }

    fn complete(&mut self) -> Result<u64> {
        let (conn, path, name) = (self.conn, self.path, self.info.name.clone());
        let schema = &self.info.schema;
        if self.info.has_rtree {
            rtree::bulk_insert(conn, path, &name, &schema.geometry_column, &mut self.envelopes)?;
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
        conn.execute_batch("COMMIT").ctx(path, "committing the bulk load")?;
        Ok(self.count)
    }
}

impl Drop for BulkWriter<'_> {
    /// A writer dropped without `finish` (an error, a cancel) rolls back.
    fn drop(&mut self) {
        if !self.done {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}
