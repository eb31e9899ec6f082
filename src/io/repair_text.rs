//! The mojibake repair as a tool on the text fields of a workspace layer:
//! find what it would change (a dry run lists it), then apply all of it as
//! one edit, which the journal records under one edit id for undo.

use super::IoError;
use super::encoding::LegacyEncoding;
use super::encoding::mojibake;
use crate::gpkg::GeoPackage;
use crate::model::{FieldType, FieldValue};

/// One value the repair changes.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueRepair {
    pub fid: i64,
    pub field: String,
    pub before: String,
    pub after: String,
    /// The encoding of the bytes behind the mojibake.
    pub encoding: LegacyEncoding,
}

/// Features read at a time.
const CHUNK: usize = 5000;

/// What repairing `fields` (None: every text field) of `layer` would change.
/// Each field is judged as a column (see [`mojibake::repair_column`]).
pub fn find_repairs(
    gpkg: &GeoPackage,
    layer: &str,
    fields: Option<&[String]>,
) -> Result<Vec<ValueRepair>, IoError> {
    let info = gpkg.layer(layer)?;
    let schema = &info.schema;
    let text_fields: Vec<usize> = (0..schema.fields.len())
        .filter(|&i| schema.fields[i].field_type == FieldType::Text)
        .collect();
    let chosen: Vec<usize> = match fields {
        None => text_fields.clone(),
        Some(names) => names
            .iter()
            .map(|name| {
                text_fields
                    .iter()
                    .copied()
                    .find(|&i| schema.fields[i].name == *name)
                    .ok_or_else(|| IoError::Mapping {
                        path: gpkg.path().to_path_buf(),
                        layer: layer.to_string(),
                        detail: format!(
                            "no text field '{name}' (text fields: {})",
                            text_fields
                                .iter()
                                .map(|&i| schema.fields[i].name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    })
            })
            .collect::<Result<_, _>>()?,
    };
    let fids = gpkg.fids_where(layer, None, None)?;
    let mut columns: Vec<Vec<(i64, String)>> = vec![Vec::new(); chosen.len()];
    for chunk in fids.chunks(CHUNK) {
        for feature in gpkg.attributes_of(layer, chunk)? {
            let fid = feature.fid.unwrap_or_default();
            for (column, &i) in columns.iter_mut().zip(&chosen) {
                if let FieldValue::Text(t) = &feature.values[i]
                    && !t.is_ascii()
                {
                    column.push((fid, t.clone()));
                }
            }
        }
    }
    let mut out = Vec::new();
    for (column, &i) in columns.iter().zip(&chosen) {
        let texts: Vec<&str> = column.iter().map(|(_, t)| t.as_str()).collect();
        for ((fid, before), repair) in column.iter().zip(mojibake::repair_column(&texts)) {
            if let Some(r) = repair {
                out.push(ValueRepair {
                    fid: *fid,
                    field: schema.fields[i].name.clone(),
                    before: before.clone(),
                    after: r.text,
                    encoding: r.encoding,
                });
            }
        }
    }
    out.sort_by(|a, b| (a.fid, &a.field).cmp(&(b.fid, &b.field)));
    Ok(out)
}

/// Applies repairs as one edit; returns its edit id (None when there was
/// nothing to do, or the workspace keeps no journal).
pub fn apply_repairs(
    gpkg: &mut GeoPackage,
    layer: &str,
    repairs: &[ValueRepair],
) -> Result<Option<i64>, IoError> {
    if repairs.is_empty() {
        return Ok(None);
    }
    let description = format!("Sửa lỗi mã hóa: {} giá trị", repairs.len());
    let id = gpkg.edit(&description, |edit| {
        for r in repairs {
            edit.set_value(layer, r.fid, &r.field, &FieldValue::Text(r.after.clone()))?;
        }
        Ok(edit.edit_id())
    })?;
    Ok(id)
}
