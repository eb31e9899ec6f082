//! Attribute (aspatial) tables written by tramgis: analysis results kept in
//! the workspace. A table is registered in `gpkg_contents` with data_type
//! 'attributes' and no geometry column (GeoPackage 1.4 §2.4), which is how
//! GDAL and QGIS list it as a table. Writing one replaces a previous table
//! of the same name in the same transaction, so the file never holds half
//! a result.

use rusqlite::params;
use rusqlite::types::Value;

use super::core::quote;
use super::error::{GpkgError, Result, SqlContext};
use super::store::GeoPackage;
use crate::model::{Field, FieldValue};

/// What a saved table is called in `gpkg_contents` and `tramgis_layer_meta`.
#[derive(Debug, Clone, Default)]
pub struct TableTitle {
    pub title_vi: String,
    pub title_en: String,
}

impl GeoPackage {
    /// Writes `rows` (values in the order of `fields`) as the attributes
    /// table `name`, replacing an attributes table of that name; refuses to
    /// replace a feature layer or any table that is not an attributes
    /// table. One transaction, recorded as one entry in tramgis_edits.
    pub fn write_attribute_table(
        &mut self,
        name: &str,
        fields: &[Field],
        rows: &[Vec<FieldValue>],
        title: &TableTitle,
        description: &str,
    ) -> Result<()> {
        self.ensure_writable()?;
        let path = self.path.clone();
        let bad = |detail: String| GpkgError::BadFeature {
            path: path.clone(),
            layer: name.to_string(),
            detail,
        };
        check_names(fields).map_err(&bad)?;
        if let Some(i) = rows.iter().position(|r| r.len() != fields.len()) {
            return Err(bad(format!(
                "row {} has {} values for {} fields",
                i + 1,
                rows[i].len(),
                fields.len()
            )));
        }
        let has_tramgis_tables = self.has_tramgis_tables;
        let user = self.user.clone();
        let tx = self
            .conn
            .transaction()
            .ctx(&path, "starting a transaction")?;
        let registered: Option<String> = tx
            .query_row(
                "SELECT data_type FROM gpkg_contents WHERE table_name = ?1",
                [name],
                |r| r.get(0),
            )
            .ok();
        let exists = super::store::table_exists(&tx, &path, name)?;
        match registered.as_deref() {
            Some("attributes") => {
                tx.execute_batch(&format!("DROP TABLE IF EXISTS {}", quote(name)))
                    .ctx(&path, &format!("dropping the old table '{name}'"))?;
                tx.execute("DELETE FROM gpkg_contents WHERE table_name = ?1", [name])
                    .ctx(&path, "removing the old table's registration")?;
                if has_tramgis_tables {
                    tx.execute(
                        "DELETE FROM tramgis_layer_meta WHERE table_name = ?1",
                        [name],
                    )
                    .ctx(&path, "removing the old table's metadata")?;
                }
            }
            Some(_) => {
                return Err(GpkgError::LayerExists {
                    path: path.clone(),
                    layer: name.to_string(),
                });
            }
            None if exists => {
                return Err(GpkgError::LayerExists {
                    path: path.clone(),
                    layer: name.to_string(),
                });
            }
            None => {}
        }
        let mut columns = vec!["\"fid\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL".to_string()];
        columns.extend(
            fields
                .iter()
                .map(|f| format!("{} {}", quote(&f.name), f.field_type.sql_name())),
        );
        tx.execute_batch(&format!(
            "CREATE TABLE {} ({})",
            quote(name),
            columns.join(", ")
        ))
        .ctx(&path, &format!("creating table '{name}'"))?;
        {
            let placeholders = vec!["?"; fields.len()].join(", ");
            let names: Vec<String> = fields.iter().map(|f| quote(&f.name)).collect();
            let mut insert = tx
                .prepare(&format!(
                    "INSERT INTO {} ({}) VALUES ({placeholders})",
                    quote(name),
                    names.join(", ")
                ))
                .ctx(&path, &format!("preparing rows of '{name}'"))?;
            for row in rows {
                let values: Vec<Value> = row.iter().map(sql_value).collect();
                insert
                    .execute(rusqlite::params_from_iter(values))
                    .ctx(&path, &format!("writing a row of '{name}'"))?;
            }
        }
        let identifier = if title.title_vi.is_empty() {
            name
        } else {
            &title.title_vi
        };
        tx.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description)
             VALUES (?1, 'attributes', ?2, ?3)",
            params![name, identifier, title.title_en],
        )
        .ctx(&path, "registering the table in gpkg_contents")?;
        if has_tramgis_tables {
            tx.execute(
                "INSERT INTO tramgis_layer_meta (table_name, title_vi, title_en) VALUES (?1, ?2, ?3)",
                params![name, title.title_vi, title.title_en],
            )
            .ctx(&path, "writing tramgis_layer_meta")?;
            tx.execute(
                "INSERT INTO tramgis_edits (user, description) VALUES (?1, ?2)",
                params![user, description],
            )
            .ctx(&path, "recording the table in tramgis_edits")?;
        }
        tx.commit().ctx(&path, "committing")
    }
}

fn check_names(fields: &[Field]) -> std::result::Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for f in fields {
        let lower = f.name.to_lowercase();
        if f.name.is_empty() || lower == "fid" || !seen.insert(lower) {
            return Err(format!(
                "column name '{}' is empty, repeated or reserved",
                f.name
            ));
        }
    }
    Ok(())
}

fn sql_value(v: &FieldValue) -> Value {
    match v {
        FieldValue::Null => Value::Null,
        FieldValue::Integer(i) => Value::Integer(*i),
        FieldValue::Real(r) => Value::Real(*r),
        FieldValue::Boolean(b) => Value::Integer(i64::from(*b)),
        FieldValue::Text(s) | FieldValue::Date(s) | FieldValue::DateTime(s) => {
            Value::Text(s.clone())
        }
        FieldValue::Blob(b) => Value::Blob(b.clone()),
    }
}
