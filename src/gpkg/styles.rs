//! Layer styles in QGIS's `layer_styles` table, so that a style saved in
//! tramgis is the one QGIS shows when it opens the workspace, and a style
//! saved in QGIS is found by tramgis.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use super::error::{Result, SqlContext};
use super::store::{GeoPackage, table_exists as sql_table_exists};

/// The table as QGIS creates it (QgsOgrProviderUtils, GeoPackage branch).
const TABLE_SQL: &str = "CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  f_table_catalog TEXT(256),
  f_table_schema TEXT(256),
  f_table_name TEXT(256),
  f_geometry_column TEXT(256),
  styleName TEXT(30),
  styleQML TEXT,
  styleSLD TEXT,
  useAsDefault BOOLEAN,
  description TEXT,
  owner TEXT(30),
  ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)";

pub fn table_exists(conn: &Connection, path: &Path) -> Result<bool> {
    sql_table_exists(conn, path, "layer_styles")
}

/// A row of `layer_styles`.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredStyle {
    pub name: String,
    pub qml: String,
    pub sld: String,
    pub use_as_default: bool,
    pub description: String,
}

impl GeoPackage {
    /// Saves a style for a layer. A default style replaces the layer's
    /// previous default flag, as QGIS does.
    pub fn save_style(&mut self, layer: &str, style: &StoredStyle) -> Result<i64> {
        self.ensure_writable()?;
        let info = self.layer(layer)?;
        let path = self.path.clone();
        let tx = self.conn.transaction().ctx(&path, "saving a style")?;
        tx.execute_batch(TABLE_SQL)
            .ctx(&path, "creating layer_styles")?;
        // QGIS registers the table as an attributes table; so do we.
        tx.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
             VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles')",
            [],
        )
        .ctx(&path, "registering layer_styles")?;
        if style.use_as_default {
            tx.execute(
                "UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_name = ?1",
                [layer],
            )
            .ctx(&path, "saving a style")?;
        }
        tx.execute(
            "DELETE FROM layer_styles WHERE f_table_name = ?1 AND styleName = ?2",
            [layer, &style.name],
        )
        .ctx(&path, "saving a style")?;
        tx.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column,
               styleName, styleQML, styleSLD, useAsDefault, description, owner, ui)
             VALUES ('', '', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, '')",
            params![
                layer,
                info.schema.geometry_column,
                style.name,
                style.qml,
                style.sld,
                style.use_as_default,
                style.description,
                self.user
            ],
        )
        .ctx(&path, "saving a style")?;
        let id = tx.last_insert_rowid();
        tx.commit().ctx(&path, "saving a style")?;
        Ok(id)
    }

    /// The layer's default style, if it has one.
    pub fn default_style(&self, layer: &str) -> Result<Option<StoredStyle>> {
        if !table_exists(&self.conn, &self.path)? {
            return Ok(None);
        }
        self.conn
            .query_row(
                "SELECT styleName, styleQML, styleSLD, useAsDefault, description FROM layer_styles
                 WHERE f_table_name = ?1 ORDER BY useAsDefault DESC, update_time DESC, id DESC LIMIT 1",
                [layer],
                |r| {
                    Ok(StoredStyle {
                        name: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                        qml: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                        sld: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                        use_as_default: r.get::<_, Option<bool>>(3)?.unwrap_or(false),
                        description: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    })
                },
            )
            .optional()
            .ctx(&self.path, "reading layer_styles")
    }
}
