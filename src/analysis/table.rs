//! Result tables: what the window shows, what CSV and XLSX files get, and
//! what is kept in the workspace as a GeoPackage attributes table; and
//! [`replace_layer`] for results that have geometries.

use std::io::Write;
use std::path::Path;

use gdal::DriverManager;
use gdal::vector::{Feature as GdalFeature, FieldDefn, LayerAccess, LayerOptions, OGRFieldType};

use super::{AnalysisError, Result};
use crate::gpkg::GeoPackage;
use crate::gpkg::attribute_tables::TableTitle;
use crate::model::{Feature, Field, FieldType, FieldValue, Schema};

/// A result table. Row values are in the order of `columns`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultTable {
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<FieldValue>>,
}

/// One column: `name` is the field name in the workspace (ASCII, like the
/// layers' fields); the labels are what people read.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub label_vi: String,
    pub label_en: String,
    pub field_type: FieldType,
}

impl Column {
    pub fn new(name: &str, label_vi: &str, label_en: &str, field_type: FieldType) -> Self {
        Column {
            name: name.to_string(),
            label_vi: label_vi.to_string(),
            label_en: label_en.to_string(),
            field_type,
        }
    }

    /// The Vietnamese label, or the name when there is none.
    pub fn header(&self) -> &str {
        if self.label_vi.is_empty() {
            &self.name
        } else {
            &self.label_vi
        }
    }

    /// The label in `lang` ("en" for English, anything else Vietnamese).
    pub fn label(&self, lang: &str) -> &str {
        if lang == "en" && !self.label_en.is_empty() {
            &self.label_en
        } else {
            self.header()
        }
    }
}

impl ResultTable {
    pub fn new(title: &str, columns: Vec<Column>) -> Self {
        ResultTable {
            title: title.to_string(),
            columns,
            rows: Vec::new(),
        }
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Writes RFC 4180 CSV in UTF-8 with a byte-order mark (without it
    /// Excel reads Vietnamese as Windows-1252). The header row holds the
    /// Vietnamese labels; numbers are written in full precision with a
    /// decimal point.
    pub fn write_csv(&self, path: &Path) -> Result<()> {
        let mut text = String::from("\u{feff}");
        let header: Vec<String> = self.columns.iter().map(|c| csv_field(c.header())).collect();
        text.push_str(&header.join(","));
        text.push_str("\r\n");
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|v| match v {
                    FieldValue::Integer(_) | FieldValue::Real(_) | FieldValue::Null => {
                        v.to_string()
                    }
                    FieldValue::Boolean(b) => i64::from(*b).to_string(),
                    other => csv_field(&other.to_string()),
                })
                .collect();
            text.push_str(&cells.join(","));
            text.push_str("\r\n");
        }
        let io = |e: std::io::Error| AnalysisError::Io {
            path: path.to_path_buf(),
            detail: e.to_string(),
        };
        let mut file = std::fs::File::create(path).map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)
    }

    /// Writes an Office Open XML workbook through GDAL's XLSX driver, one
    /// sheet named after the file, the Vietnamese labels as its header row.
    /// Integers and reals are numeric cells, so Excel sums them.
    pub fn write_xlsx(&self, path: &Path) -> Result<()> {
        let fail = |detail: String| AnalysisError::Io {
            path: path.to_path_buf(),
            detail,
        };
        if path.exists() {
            std::fs::remove_file(path).map_err(|e| fail(e.to_string()))?;
        }
        let driver = DriverManager::get_driver_by_name("XLSX").map_err(|e| fail(e.to_string()))?;
        let mut ds = driver
            .create_vector_only(path)
            .map_err(|e| fail(e.to_string()))?;
        let sheet = sheet_name(&self.title);
        let layer = ds
            .create_layer(LayerOptions {
                name: &sheet,
                srs: None,
                ty: gdal_sys::OGRwkbGeometryType::wkbNone,
                options: None,
            })
            .map_err(|e| fail(e.to_string()))?;
        for c in &self.columns {
            let ty = match c.field_type {
                FieldType::Integer | FieldType::Boolean => OGRFieldType::OFTInteger64,
                FieldType::Real => OGRFieldType::OFTReal,
                _ => OGRFieldType::OFTString,
            };
            let defn = FieldDefn::new(c.header(), ty).map_err(|e| fail(e.to_string()))?;
            defn.add_to_layer(&layer)
                .map_err(|e| fail(format!("column '{}': {e}", c.name)))?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let mut f = GdalFeature::new(layer.defn()).map_err(|e| fail(e.to_string()))?;
            for (i, v) in row.iter().enumerate() {
                let set = match v {
                    FieldValue::Null => f.set_field_null(i),
                    FieldValue::Integer(n) => f.set_field_integer64(i, *n),
                    FieldValue::Boolean(b) => f.set_field_integer64(i, i64::from(*b)),
                    FieldValue::Real(x) => f.set_field_double(i, *x),
                    other => f.set_field_string(i, &other.to_string()),
                };
                set.map_err(|e| fail(format!("row {}: {e}", r + 1)))?;
            }
            f.create(&layer)
                .map_err(|e| fail(format!("row {}: {e}", r + 1)))?;
        }
        ds.close().map_err(|e| fail(e.to_string()))
    }

    /// Keeps the table in the workspace as the attributes table
    /// `table_name` (replacing an earlier result of that name), in one
    /// transaction recorded in tramgis_edits.
    pub fn save(&self, gpkg: &mut GeoPackage, table_name: &str) -> Result<()> {
        let fields: Vec<Field> = self
            .columns
            .iter()
            .map(|c| Field::new(&c.name, c.field_type))
            .collect();
        let title = TableTitle {
            title_vi: self.title.clone(),
            title_en: String::new(),
        };
        gpkg.write_attribute_table(
            table_name,
            &fields,
            &self.rows,
            &title,
            &format!("Lưu bảng kết quả {table_name}: {}", self.title),
        )?;
        Ok(())
    }

    /// The table as aligned text for a terminal, labels in `lang`; reals
    /// with two decimals.
    pub fn to_text(&self, lang: &str) -> String {
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|v| match v {
                        FieldValue::Real(x) => format!("{x:.2}"),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        let headers: Vec<&str> = self.columns.iter().map(|c| c.label(lang)).collect();
        let widths: Vec<usize> = (0..self.columns.len())
            .map(|i| {
                cells
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([headers[i].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let numeric: Vec<bool> = self
            .columns
            .iter()
            .map(|c| matches!(c.field_type, FieldType::Integer | FieldType::Real))
            .collect();
        let line = |values: &[&str]| -> String {
            let parts: Vec<String> = values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let pad = widths[i].saturating_sub(v.chars().count());
                    if numeric[i] {
                        format!("{}{v}", " ".repeat(pad))
                    } else {
                        format!("{v}{}", " ".repeat(pad))
                    }
                })
                .collect();
            parts.join("  ").trim_end().to_string()
        };
        let mut out = format!("{}\n", self.title);
        out.push_str(&line(&headers));
        out.push('\n');
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        out.push_str(&rule.join("  "));
        out.push('\n');
        for row in &cells {
            let refs: Vec<&str> = row.iter().map(String::as_str).collect();
            out.push_str(&line(&refs));
            out.push('\n');
        }
        out
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A worksheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { ' ' } else { c })
        .take(31)
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() {
        "Sheet1".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Writes a result layer with geometries in place of an earlier layer
/// named `name` (results are recomputed, never edited by hand): one
/// bulk-load transaction, recorded under `description`, that removes the
/// old layer and loads the new, so a failure or a cancel keeps the old.
/// Returns the number of features written.
pub fn replace_layer(
    gpkg: &mut GeoPackage,
    name: &str,
    schema: &Schema,
    meta: &crate::gpkg::LayerMeta,
    features: impl IntoIterator<Item = Feature>,
    description: &str,
) -> Result<u64> {
    let mut writer = gpkg.bulk_load(description)?;
    let slot = writer.replace_layer(name, schema, meta)?;
    for f in features {
        writer.add_to(slot, f)?;
    }
    Ok(writer.finish()?)
}
