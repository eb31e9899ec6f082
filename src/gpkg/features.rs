//! Feature reads and edits. Every edit runs in one SQLite transaction that
//! also records who made it; reads stream row by row.

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{OptionalExtension, ToSql, Transaction, params_from_iter};

use super::core::quote;
use super::error::{GpkgError, Result, SqlContext};
use super::geom::{self, ZmValues};
use super::rtree;
use super::store::{self, FeatureIds, GeoPackage, LayerInfo};
use crate::model::{Feature, FieldType, FieldValue, GeometryType, Schema};

impl ToSql for FieldValue {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            FieldValue::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            FieldValue::Integer(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            FieldValue::Real(r) => ToSqlOutput::Borrowed(ValueRef::Real(*r)),
            FieldValue::Boolean(b) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*b))),
            FieldValue::Text(s) | FieldValue::Date(s) | FieldValue::DateTime(s) => {
                ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes()))
            }
            FieldValue::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

/// Converts a stored value to the field's type. SQLite lets any column hold
/// any value, so a value whose storage class does not match the declared
/// type keeps its own kind rather than being forced.
pub(super) fn read_value(value: ValueRef<'_>, field_type: FieldType) -> FieldValue {
    match value {
        ValueRef::Null => FieldValue::Null,
        ValueRef::Integer(i) if field_type == FieldType::Boolean => FieldValue::Boolean(i != 0),
        ValueRef::Integer(i) if field_type == FieldType::Real => FieldValue::Real(i as f64),
        ValueRef::Integer(i) => FieldValue::Integer(i),
        ValueRef::Real(r) => FieldValue::Real(r),
        ValueRef::Text(t) => {
            let s = String::from_utf8_lossy(t).into_owned();
            match field_type {
                FieldType::Date => FieldValue::Date(s),
                FieldType::DateTime => FieldValue::DateTime(s),
                _ => FieldValue::Text(s),
            }
        }
        ValueRef::Blob(b) => FieldValue::Blob(b.to_vec()),
    }
}

/// What to read from a layer.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Only features whose envelope meets this box.
    pub bbox: Option<geo_types::Rect<f64>>,
    /// Stop after this many features.
    pub limit: Option<u64>,
    /// Skip decoding geometries (attribute tables, counts).
    pub skip_geometry: bool,
}

impl Query {
    pub fn bbox(minx: f64, miny: f64, maxx: f64, maxy: f64) -> Self {
        Query {
            bbox: Some(geo_types::Rect::new((minx, miny), (maxx, maxy))),
            ..Query::default()
        }
    }
}

/// Bytes of a blob that hold its header (at most 8 + 64 with an XYZM
/// envelope) and its WKB type (5, and an EWKB SRID's 4).
const STORED_TYPE_PREFIX: usize = 96;

fn select_columns(schema: &Schema) -> String {
    // An attribute table has no geometry column: NULL stands in for it.
    let geometry = if schema.geometry_column.is_empty() {
        "NULL".to_string()
    } else {
        format!("t.{}", quote(&schema.geometry_column))
    };
    let mut cols = vec![format!("t.{}", quote(&schema.fid_column)), geometry];
    cols.extend(
        schema
            .fields
            .iter()
            .map(|f| format!("t.{}", quote(&f.name))),
    );
    cols.join(", ")
}

impl GeoPackage {
    /// Streams the features of a layer to `visit`, which may stop early by
    /// returning `ControlFlow::Break`. Returns how many were visited. A
    /// geometry that cannot be decoded is an error naming layer and fid.
    /// A row of a view whose id is NULL (a LEFT JOIN) or not an integer is
    /// read with no fid, as GDAL reads it: it is drawn and exported, but
    /// cannot be picked by id.
    pub fn read_features(
        &self,
        layer: &str,
        query: &Query,
        visit: impl FnMut(Feature) -> ControlFlow<()>,
    ) -> Result<u64> {
        let info = self.layer(layer)?;
        read_features_on(&self.conn, &self.path, &info, query, visit)
    }

    /// Reads every feature of a layer into memory.
    pub fn all_features(&self, layer: &str) -> Result<Vec<Feature>> {
        let mut out = Vec::new();
        self.read_features(layer, &Query::default(), |f| {
            out.push(f);
            ControlFlow::Continue(())
        })?;
        Ok(out)
    }

    pub fn get_feature(&self, layer: &str, fid: i64) -> Result<Option<Feature>> {
        let info = self.layer(layer)?;
        get_feature_on(&self.conn, &self.path, &info, fid)
    }

    /// Number of features, optionally of those meeting a bbox.
    pub fn count_features(&self, layer: &str, bbox: Option<geo_types::Rect<f64>>) -> Result<u64> {
        if bbox.is_none() {
            // Straight from the table (or view): the layer's registration
            // may be unreadable while its rows can still be counted.
            return self
                .conn
                .query_row(&format!("SELECT count(*) FROM {}", quote(layer)), [], |r| {
                    r.get(0)
                })
                .ctx(&self.path, &format!("counting features of '{layer}'"));
        }
        let query = Query {
            bbox,
            skip_geometry: true,
            limit: None,
        };
        self.read_features(layer, &query, |_| ControlFlow::Continue(()))
    }

    /// Runs one user edit in one transaction: all of it is committed, or
    /// (on error, crash or kill) none of it. The journal rows it causes carry
    /// the user's name and one edit id, which the undo history groups by.
    pub fn edit<T>(
        &mut self,
        description: &str,
        f: impl FnOnce(&mut Edit<'_>) -> Result<T>,
    ) -> Result<T> {
        self.ensure_writable()?;
        let path = self.path.clone();
        let user = self.user.clone();
        let journaled = self.has_tramgis_tables;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .ctx(&path, "starting an edit")?;
        let edit_id = if journaled {
            tx.execute(
                "INSERT INTO tramgis_edits (user, description) VALUES (?1, ?2)",
                [&user, description],
            )
            .ctx(&path, "starting an edit")?;
            let id = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO tramgis_edit_context VALUES (?1, ?2)",
                rusqlite::params![id, user],
            )
            .ctx(&path, "starting an edit")?;
            Some(id)
        } else {
            None
        };
        let mut edit = Edit {
            tx,
            path: &path,
            touched: HashSet::new(),
            layers: Vec::new(),
            blob: Vec::with_capacity(256),
            edit_id,
            grown: HashMap::new(),
        };
        let value = f(&mut edit)?;
        edit.finish()?;
        Ok(value)
    }

    pub fn insert_feature(&mut self, layer: &str, feature: &Feature) -> Result<i64> {
        self.edit("insert", |e| e.insert(layer, feature))
    }

    pub fn update_feature(&mut self, layer: &str, feature: &Feature) -> Result<()> {
        self.edit("update", |e| e.update(layer, feature))
    }

    pub fn delete_feature(&mut self, layer: &str, fid: i64) -> Result<()> {
        self.edit("delete", |e| e.delete(layer, fid))
    }
}

/// Streams the features of a layer read on `conn` (the workspace's
/// connection, or an edit's transaction) to `visit`.
pub(super) fn read_features_on(
    conn: &rusqlite::Connection,
    path: &std::path::Path,
    info: &LayerInfo,
    query: &Query,
    mut visit: impl FnMut(Feature) -> ControlFlow<()>,
) -> Result<u64> {
    let layer = info.name.as_str();
    let schema = &info.schema;
    let (sql, args): (String, Vec<f64>) = match query.bbox {
        Some(b) if info.has_rtree => (
            format!(
                "SELECT {} FROM {} t JOIN {} r ON t.{} = r.id
                 WHERE r.minx <= ?3 AND r.maxx >= ?1 AND r.miny <= ?4 AND r.maxy >= ?2",
                select_columns(schema),
                info.source(),
                quote(&rtree::table_name(layer, &schema.geometry_column)),
                quote(&schema.fid_column)
            ),
            vec![b.min().x, b.min().y, b.max().x, b.max().y],
        ),
        _ => (
            format!("SELECT {} FROM {} t", select_columns(schema), info.source()),
            vec![],
        ),
    };
    // Built once: error contexts must cost nothing per row.
    let context = format!("reading layer '{layer}'");
    let mut stmt = conn.prepare(&sql).ctx(path, &context)?;
    let mut rows = stmt
        .query(params_from_iter(args.iter()))
        .ctx(path, &context)?;
    let mut count = 0u64;
    while let Some(row) = rows.next().ctx(path, &context)? {
        if query.limit.is_some_and(|l| count >= l) {
            break;
        }
        let fid = match row.get_ref(0).ctx(path, &context)? {
            ValueRef::Integer(n) => Some(n),
            _ => None,
        };
        let blob = match row.get_ref(1).ctx(path, &context)? {
            ValueRef::Blob(b) => Some(b),
            _ => None,
        };
        let bad = |source| match fid {
            Some(fid) => GpkgError::BadGeometry {
                path: path.to_path_buf(),
                layer: layer.to_string(),
                fid,
                column: schema.geometry_column.clone(),
                source,
            },
            None => GpkgError::BadFeature {
                path: path.to_path_buf(),
                layer: layer.to_string(),
                detail: format!(
                    "a feature without an id, column '{}': bad geometry: {source}",
                    schema.geometry_column
                ),
            },
        };
        if let (Some(bbox), Some(b)) = (query.bbox, blob) {
            match geom::envelope(b).map_err(bad)? {
                Some(env) if geom::boxes_meet(env, bbox) => {}
                _ => continue,
            }
        }
        let (geometry, zm) = match blob {
            Some(b) if !query.skip_geometry => {
                let g = geom::decode(b).map_err(bad)?;
                (Some(g.geometry), g.zm)
            }
            _ => (None, ZmValues::default()),
        };
        let mut values = Vec::with_capacity(schema.fields.len());
        for (i, field) in schema.fields.iter().enumerate() {
            let v = row.get_ref(i + 2).ctx(path, &context)?;
            values.push(read_value(v, field.field_type));
        }
        count += 1;
        if visit(Feature {
            fid,
            geometry,
            zm,
            values,
        })
        .is_break()
        {
            break;
        }
    }
    Ok(count)
}

/// One feature by fid, read on `conn`.
pub(super) fn get_feature_on(
    conn: &rusqlite::Connection,
    path: &std::path::Path,
    info: &LayerInfo,
    fid: i64,
) -> Result<Option<Feature>> {
    let layer = info.name.as_str();
    let schema = &info.schema;
    let sql = format!(
        "SELECT {} FROM {} t WHERE t.{} = ?1",
        select_columns(schema),
        info.source(),
        quote(&schema.fid_column)
    );
    let row = conn
        .query_row(&sql, [fid], |row| {
            let blob: Option<Vec<u8>> = match row.get_ref(1)? {
                ValueRef::Blob(b) => Some(b.to_vec()),
                _ => None,
            };
            let values = (0..schema.fields.len())
                .map(|i| Ok(read_value(row.get_ref(i + 2)?, schema.fields[i].field_type)))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((blob, values))
        })
        .optional()
        .ctx(path, &format!("reading feature {fid} of '{layer}'"))?;
    let Some((blob, values)) = row else {
        return Ok(None);
    };
    let decoded = blob
        .map(|b| geom::decode(&b))
        .transpose()
        .map_err(|source| GpkgError::BadGeometry {
            path: path.to_path_buf(),
            layer: layer.to_string(),
            fid,
            column: schema.geometry_column.clone(),
            source,
        })?;
    let (geometry, zm) = match decoded {
        Some(g) => (Some(g.geometry), g.zm),
        None => (None, ZmValues::default()),
    };
    Ok(Some(Feature {
        fid: Some(fid),
        geometry,
        zm,
        values,
    }))
}

/// An edit in progress (see [`GeoPackage::edit`]).
pub struct Edit<'a> {
    tx: Transaction<'a>,
    path: &'a std::path::Path,
    touched: HashSet<String>,
    layers: Vec<LayerInfo>,
    blob: Vec<u8>,
    edit_id: Option<i64>,
    /// Per layer, the envelope of the geometries this edit wrote.
    grown: HashMap<String, Option<geo_types::Rect<f64>>>,
}

impl Edit<'_> {
    pub fn edit_id(&self) -> Option<i64> {
        self.edit_id
    }

    /// The file being edited.
    pub fn path(&self) -> &std::path::Path {
        self.path
    }

    /// The edit's transaction, for tables that belong to the edit itself
    /// (the undo history). Features are written through insert, update
    /// and delete, which keep the extent and the checks.
    pub fn connection(&self) -> &rusqlite::Connection {
        &self.tx
    }

    /// Creates an empty feature layer (table, registration, spatial
    /// index, journal triggers) inside this edit: a sync check-out makes
    /// the layer and fills it in one transaction.
    pub fn create_layer(
        &mut self,
        name: &str,
        schema: &Schema,
        meta: &super::store::LayerMeta,
    ) -> Result<()> {
        store::create_layer_in(&self.tx, self.path, name, schema, meta)
    }

    /// A writable layer's description, as this transaction sees it.
    pub fn layer_info(&mut self, layer: &str) -> Result<LayerInfo> {
        self.layer(layer)
    }

    /// One feature, as this transaction sees it (with the edit's own
    /// writes so far).
    pub fn get(&mut self, layer: &str, fid: i64) -> Result<Option<Feature>> {
        let info = self.layer(layer)?;
        get_feature_on(&self.tx, self.path, &info, fid)
    }

    /// The features whose envelope meets `area`, through the R-tree.
    pub fn features_in(&mut self, layer: &str, area: geo_types::Rect<f64>) -> Result<Vec<Feature>> {
        let info = self.layer(layer)?;
        let mut out = Vec::new();
        let query = Query {
            bbox: Some(area),
            ..Query::default()
        };
        read_features_on(&self.tx, self.path, &info, &query, |f| {
            out.push(f);
            ControlFlow::Continue(())
        })?;
        Ok(out)
    }

    /// The transaction and a writable layer's description, for store code
    /// that writes rows itself (undo writes back journalled values).
    pub(super) fn raw(&mut self, layer: &str) -> Result<(&Transaction<'_>, LayerInfo)> {
        let info = self.layer(layer)?;
        self.touched.insert(layer.to_string());
        Ok((&self.tx, info))
    }

    fn layer(&mut self, name: &str) -> Result<LayerInfo> {
        if let Some(l) = self.layers.iter().find(|l| l.name == name) {
            return Ok(l.clone());
        }
        let info = store::read_layer(&self.tx, self.path, name)?;
        store::ensure_layer_writable(self.path, &info)?;
        self.layers.push(info.clone());
        Ok(info)
    }

    /// Checks a feature against the layer schema and encodes its geometry.
    fn prepare(&mut self, info: &LayerInfo, feature: &Feature) -> Result<Option<Vec<u8>>> {
        let schema = &info.schema;
        let bad = |detail: String| GpkgError::BadFeature {
            path: self.path.to_path_buf(),
            layer: info.name.clone(),
            detail,
        };
        if feature.values.len() != schema.fields.len() {
            return Err(bad(format!(
                "feature has {} values but the layer has {} fields",
                feature.values.len(),
                schema.fields.len()
            )));
        }
        for (value, field) in feature.values.iter().zip(&schema.fields) {
            if value.is_null() && field.not_null {
                return Err(bad(format!("field '{}' may not be empty", field.name)));
            }
        }
        let Some(g) = &feature.geometry else {
            return Ok(None);
        };
        let code = geom::wkb_type_code(g);
        if !schema.geometry_type.accepts(code) {
            return Err(bad(format!(
                "a {} cannot be stored in column '{}' of type {}",
                crate::model::GeometryType::ALL_CONCRETE[code as usize - 1].name(),
                schema.geometry_column,
                schema.geometry_type.name()
            )));
        }
        self.blob.clear();
        geom::encode_zm(g, schema.srs_id, &feature.zm, &mut self.blob)
            .map_err(|e| bad(e.to_string()))?;
        let env = geom::envelope(&self.blob).expect("a blob we just wrote parses");
        let grown = self.grown.entry(info.name.clone()).or_insert(None);
        if let Some(e) = env {
            *grown = Some(geom::union(*grown, e));
        }
        Ok(Some(self.blob.clone()))
    }

    /// Inserts a feature; returns its fid.
    pub fn insert(&mut self, layer: &str, feature: &Feature) -> Result<i64> {
        let info = self.layer(layer)?;
        let blob = self.prepare(&info, feature)?;
        let schema = &info.schema;
        let mut cols = vec![quote(&schema.geometry_column)];
        cols.extend(schema.fields.iter().map(|f| quote(&f.name)));
        let mut values: Vec<&dyn ToSql> = vec![&blob];
        values.extend(feature.values.iter().map(|v| v as &dyn ToSql));
        if let Some(fid) = &feature.fid {
            cols.push(quote(&schema.fid_column));
            values.push(fid);
        }
        let placeholders = (1..=cols.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({placeholders})",
            quote(layer),
            cols.join(", ")
        );
        self.tx
            .prepare_cached(&sql)
            .and_then(|mut s| s.execute(values.as_slice()))
            .ctx(self.path, &format!("inserting into layer '{layer}'"))?;
        self.touched.insert(layer.to_string());
        Ok(self.tx.last_insert_rowid())
    }

    /// Replaces the geometry and values of the feature with `feature.fid`.
    pub fn update(&mut self, layer: &str, feature: &Feature) -> Result<()> {
        let info = self.layer(layer)?;
        let fid = feature.fid.ok_or_else(|| GpkgError::BadFeature {
            path: self.path.to_path_buf(),
            layer: layer.to_string(),
            detail: "cannot update a feature without a fid".into(),
        })?;
        self.refuse_stored_curve(&info, fid)?;
        let blob = self.prepare(&info, feature)?;
        let schema = &info.schema;
        let mut sets = vec![format!("{} = ?1", quote(&schema.geometry_column))];
        sets.extend(
            schema
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| format!("{} = ?{}", quote(&f.name), i + 2)),
        );
        let sql = format!(
            "UPDATE {} SET {} WHERE {} = ?{}",
            quote(layer),
            sets.join(", "),
            quote(&schema.fid_column),
            schema.fields.len() + 2
        );
        let mut values: Vec<&dyn ToSql> = vec![&blob];
        values.extend(feature.values.iter().map(|v| v as &dyn ToSql));
        values.push(&fid);
        let n = self
            .tx
            .prepare_cached(&sql)
            .and_then(|mut s| s.execute(values.as_slice()))
            .ctx(self.path, &format!("updating feature {fid} of '{layer}'"))?;
        self.require_one(n, layer, fid)
    }

    /// Sets one attribute of one feature.
    pub fn set_value(
        &mut self,
        layer: &str,
        fid: i64,
        field: &str,
        value: &FieldValue,
    ) -> Result<()> {
        let info = self.layer(layer)?;
        let Some(index) = info.schema.field_index(field) else {
            return Err(GpkgError::NoSuchField {
                path: self.path.to_path_buf(),
                layer: layer.to_string(),
                field: field.to_string(),
            });
        };
        let sql = format!(
            "UPDATE {} SET {} = ?1 WHERE {} = ?2",
            quote(layer),
            quote(&info.schema.fields[index].name),
            quote(&info.schema.fid_column)
        );
        let n = self.tx.execute(&sql, rusqlite::params![value, fid]).ctx(
            self.path,
            &format!("updating field '{field}' of feature {fid} in '{layer}'"),
        )?;
        self.require_one(n, layer, fid)
    }

    pub fn delete(&mut self, layer: &str, fid: i64) -> Result<()> {
        let info = self.layer(layer)?;
        let sql = format!(
            "DELETE FROM {} WHERE {} = ?1",
            quote(layer),
            quote(&info.schema.fid_column)
        );
        let n = self
            .tx
            .prepare_cached(&sql)
            .and_then(|mut s| s.execute([fid]))
            .ctx(self.path, &format!("deleting feature {fid} of '{layer}'"))?;
        self.require_one(n, layer, fid)
    }

    /// A curve stored in a GEOMETRY or GEOMETRYCOLLECTION column (the only
    /// non-curve types that may hold one) is read as chords: writing the
    /// feature back would replace its arcs, so it is refused until tramgis
    /// can write curves. Only the blob's header and type are read.
    fn refuse_stored_curve(&self, info: &LayerInfo, fid: i64) -> Result<()> {
        if !matches!(
            info.schema.geometry_type,
            GeometryType::Geometry | GeometryType::GeometryCollection
        ) {
            return Ok(());
        }
        let sql = format!(
            "SELECT substr({}, 1, {STORED_TYPE_PREFIX}) FROM {} WHERE {} = ?1",
            quote(&info.schema.geometry_column),
            quote(&info.name),
            quote(&info.schema.fid_column)
        );
        let curved = self
            .tx
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_row([fid], |r| {
                    Ok(match r.get_ref(0)? {
                        ValueRef::Blob(b) => geom::stored_type(b).is_ok_and(|(code, _)| code >= 8),
                        _ => false,
                    })
                })
                .optional()
            })
            .ctx(
                self.path,
                &format!("reading feature {fid} of '{}'", info.name),
            )?
            .unwrap_or(false);
        if curved {
            return Err(GpkgError::BadFeature {
                path: self.path.to_path_buf(),
                layer: info.name.clone(),
                detail: format!(
                    "feature {fid} is stored as a curve, which tramgis reads as chords and cannot yet write back"
                ),
            });
        }
        Ok(())
    }

    fn require_one(&mut self, changed: usize, layer: &str, fid: i64) -> Result<()> {
        if changed == 0 {
            return Err(GpkgError::NoSuchFeature {
                path: self.path.to_path_buf(),
                layer: layer.to_string(),
                fid,
            });
        }
        self.touched.insert(layer.to_string());
        Ok(())
    }

    /// Stamps last_change, grows the extents to cover the new geometries
    /// (the extent is informative, so deletes do not shrink it), clears the
    /// edit context and commits.
    fn finish(self) -> Result<()> {
        for layer in &self.touched {
            store::grow_extent(
                &self.tx,
                self.path,
                layer,
                self.grown.get(layer).copied().flatten(),
            )?;
        }
        if self.edit_id.is_some() {
            self.tx
                .execute("DELETE FROM tramgis_edit_context", [])
                .ctx(self.path, "finishing the edit")?;
        }
        self.tx.commit().ctx(self.path, "committing the edit")
    }
}

impl GeoPackage {
    /// Fids of the features matching a filter, in a sort order: what the
    /// attribute table shows and "select by expression" selects. The filter
    /// is an SQL expression over the layer's fields (`ma_loai_dat = 'LUC'
    /// AND dien_tich > 500`), as in QGIS; it is prepared as one SELECT, so
    /// it cannot change the file.
    pub fn fids_where(
        &self,
        layer: &str,
        filter: Option<&str>,
        order: Option<(&str, bool)>,
    ) -> Result<Vec<i64>> {
        let info = self.layer(layer)?;
        let fid = quote(&info.schema.fid_column);
        let mut sql = format!("SELECT {fid} FROM {}", info.source());
        // A view's row without an integer id cannot be listed by id.
        let mut conditions = Vec::new();
        if info.ids == FeatureIds::ViewColumn {
            conditions.push(format!("typeof({fid}) = 'integer'"));
        }
        if let Some(f) = filter.map(str::trim).filter(|f| !f.is_empty()) {
            conditions.push(format!("({f})"));
        }
        if !conditions.is_empty() {
            sql.push_str(&format!(" WHERE {}", conditions.join(" AND ")));
        }
        match order {
            Some((field, ascending)) => {
                if info.schema.field_index(field).is_none() && field != info.schema.fid_column {
                    return Err(GpkgError::NoSuchField {
                        path: self.path.clone(),
                        layer: layer.into(),
                        field: field.into(),
                    });
                }
                let dir = if ascending { "ASC" } else { "DESC" };
                sql.push_str(&format!(" ORDER BY {} {dir}, {fid}", quote(field)));
            }
            None => sql.push_str(&format!(" ORDER BY {fid}")),
        }
        let context = format!("filtering layer '{layer}'");
        let mut stmt = self.conn.prepare(&sql).map_err(|e| GpkgError::BadFeature {
            path: self.path.clone(),
            layer: layer.into(),
            detail: format!("the expression cannot be used: {e}"),
        })?;
        let rows = stmt.query_map([], |r| r.get(0)).ctx(&self.path, &context)?;
        rows.collect::<rusqlite::Result<Vec<i64>>>()
            .ctx(&self.path, &context)
    }

    /// The attribute values of the given features, in the given order,
    /// without their geometries.
    pub fn attributes_of(&self, layer: &str, fids: &[i64]) -> Result<Vec<Feature>> {
        let info = self.layer(layer)?;
        let schema = &info.schema;
        let mut out = Vec::with_capacity(fids.len());
        for chunk in fids.chunks(500) {
            let placeholders = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT {} FROM {} t WHERE t.{} IN ({placeholders})",
                select_columns(schema),
                info.source(),
                quote(&schema.fid_column)
            );
            let mut stmt = self
                .conn
                .prepare_cached(&sql)
                .ctx(&self.path, "reading attributes")?;
            let mut by_fid = std::collections::HashMap::with_capacity(chunk.len());
            let mut rows = stmt
                .query(params_from_iter(chunk.iter()))
                .ctx(&self.path, "reading attributes")?;
            while let Some(row) = rows.next().ctx(&self.path, "reading attributes")? {
                let fid: i64 = row.get(0).ctx(&self.path, "reading attributes")?;
                let values = (0..schema.fields.len())
                    .map(|i| {
                        row.get_ref(i + 2)
                            .map(|v| read_value(v, schema.fields[i].field_type))
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .ctx(&self.path, "reading attributes")?;
                by_fid.insert(fid, values);
            }
            out.extend(chunk.iter().filter_map(|fid| {
                by_fid.remove(fid).map(|values| Feature {
                    fid: Some(*fid),
                    geometry: None,
                    zm: ZmValues::default(),
                    values,
                })
            }));
        }
        Ok(out)
    }
}

impl GeoPackage {
    /// The distinct non-null values of a field as text, sorted, at most
    /// `limit` of them when given (legends, categorised styles).
    pub fn distinct_values(
        &self,
        layer: &str,
        field: &str,
        limit: Option<usize>,
    ) -> Result<Vec<String>> {
        let limit = limit.map_or(String::new(), |n| format!(" LIMIT {n}"));
        let sql = format!(
            "SELECT DISTINCT CAST({f} AS TEXT) FROM {t} WHERE {f} IS NOT NULL ORDER BY 1{limit}",
            f = quote(field),
            t = quote(layer)
        );
        let context = format!("reading the values of '{field}' in '{layer}'");
        let mut stmt = self.conn.prepare(&sql).ctx(&self.path, &context)?;
        let rows = stmt.query_map([], |r| r.get(0)).ctx(&self.path, &context)?;
        rows.collect::<rusqlite::Result<Vec<String>>>()
            .ctx(&self.path, &context)
    }
}
