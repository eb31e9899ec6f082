//! Layer styles in QGIS's `layer_styles` table, so that a style saved in
//! tramgis is the one QGIS shows when it opens the workspace, and a style
//! saved in QGIS is found by tramgis.

use std::fmt::Write;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use super::error::{Result, SqlContext};
use super::store::{GeoPackage, table_exists as sql_table_exists};
use crate::model::GeometryType;

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

/// A symbology that can be written as QGIS QML.
#[derive(Debug, Clone, PartialEq)]
pub enum Symbology {
    Single {
        color: [u8; 3],
    },
    Categorized {
        field: String,
        categories: Vec<Category>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    pub value: String,
    pub label: String,
    pub color: [u8; 3],
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One `<symbol>` element in the QGIS 3 property style.
fn symbol_xml(out: &mut String, name: &str, geometry: GeometryType, color: [u8; 3], opacity: f32) {
    let rgba = format!("{},{},{},255", color[0], color[1], color[2]);
    let (kind, class, props): (&str, &str, Vec<(&str, String)>) = match geometry {
        GeometryType::Point | GeometryType::MultiPoint => (
            "marker",
            "SimpleMarker",
            vec![
                ("name", "circle".into()),
                ("color", rgba),
                ("outline_color", "35,35,35,255".into()),
                ("outline_width", "0.2".into()),
                ("size", "2.4".into()),
                ("size_unit", "MM".into()),
            ],
        ),
        GeometryType::LineString | GeometryType::MultiLineString => (
            "line",
            "SimpleLine",
            vec![
                ("line_color", rgba),
                ("line_width", "0.5".into()),
                ("line_width_unit", "MM".into()),
                ("line_style", "solid".into()),
            ],
        ),
        _ => (
            "fill",
            "SimpleFill",
            vec![
                ("color", rgba),
                ("style", "solid".into()),
                ("outline_color", "110,110,110,255".into()),
                ("outline_style", "solid".into()),
                ("outline_width", "0.1".into()),
                ("outline_width_unit", "MM".into()),
            ],
        ),
    };
    let _ = writeln!(
        out,
        r#"      <symbol type="{kind}" name="{name}" alpha="{opacity}" clip_to_extent="1" force_rhr="0">
        <layer class="{class}" enabled="1" locked="0" pass="0">"#
    );
    for (k, v) in props {
        let _ = writeln!(out, r#"          <prop k="{k}" v="{}"/>"#, xml_escape(&v));
    }
    out.push_str("        </layer>\n      </symbol>\n");
}

/// A QML document QGIS 3 loads as the layer's renderer.
pub fn to_qml(geometry: GeometryType, symbology: &Symbology, opacity: f32) -> String {
    let mut out = String::from(
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis version=\"3.22.0\" styleCategories=\"Symbology\">\n",
    );
    match symbology {
        Symbology::Single { color } => {
            out.push_str("  <renderer-v2 type=\"singleSymbol\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">\n    <symbols>\n");
            symbol_xml(&mut out, "0", geometry, *color, opacity);
            out.push_str("    </symbols>\n  </renderer-v2>\n");
        }
        Symbology::Categorized { field, categories } => {
            let _ = writeln!(
                out,
                "  <renderer-v2 type=\"categorizedSymbol\" attr=\"{}\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">\n    <categories>",
                xml_escape(field)
            );
            for (i, c) in categories.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "      <category render=\"true\" value=\"{}\" symbol=\"{i}\" label=\"{}\"/>",
                    xml_escape(&c.value),
                    xml_escape(&c.label)
                );
            }
            out.push_str("    </categories>\n    <symbols>\n");
            for (i, c) in categories.iter().enumerate() {
                symbol_xml(&mut out, &i.to_string(), geometry, c.color, opacity);
            }
            out.push_str("    </symbols>\n  </renderer-v2>\n");
        }
    }
    let _ = writeln!(out, "  <layerOpacity>{opacity}</layerOpacity>\n</qgis>");
    out
}
