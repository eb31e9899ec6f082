//! What split and merge do with each field: a policy per field and
//! operation, stored with the layer (`tramgis_field_policies`, registered
//! in gpkg_extensions), with defaults that keep areas right (QGIS leaves a
//! split parcel's area as it was: issues #29683, #32377).

use std::path::Path;

use rusqlite::{Connection, params};

use super::error::EditError;
use crate::gpkg::{GpkgError, LayerInfo};
use crate::model::{Field, FieldType, FieldValue};

pub const EXTENSION: &str = "tramgis_field_policies";
const DEFINITION: &str = "tramgis split/merge field policies: per layer, field and operation \
     (split, merge) one of copy, proportional, recompute_area, empty, largest, sum";

const TABLE_SQL: &str = "
CREATE TABLE IF NOT EXISTS tramgis_field_policies (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  operation TEXT NOT NULL CHECK (operation IN ('split', 'merge')),
  policy TEXT NOT NULL,
  PRIMARY KEY (table_name, column_name, operation)
);";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Split,
    Merge,
}

impl Operation {
    pub fn key(self) -> &'static str {
        match self {
            Operation::Split => "split",
            Operation::Merge => "merge",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldPolicy {
    /// The value as it was (split: every part; merge: the largest part's).
    Copy,
    /// Split: the value times the part's share of the area; merge: the sum.
    Proportional,
    /// The area in m² of the new geometry, in the layer's projected CRS.
    RecomputeArea,
    Empty,
    /// The value of the largest part (merge; on split the same as Copy).
    Largest,
    /// Merge: the sum of the parts' values (split: as Proportional).
    Sum,
}

impl FieldPolicy {
    pub const ALL: [FieldPolicy; 6] = [
        FieldPolicy::Copy,
        FieldPolicy::Proportional,
        FieldPolicy::RecomputeArea,
        FieldPolicy::Empty,
        FieldPolicy::Largest,
        FieldPolicy::Sum,
    ];

    pub fn key(self) -> &'static str {
        match self {
            FieldPolicy::Copy => "copy",
            FieldPolicy::Proportional => "proportional",
            FieldPolicy::RecomputeArea => "recompute_area",
            FieldPolicy::Empty => "empty",
            FieldPolicy::Largest => "largest",
            FieldPolicy::Sum => "sum",
        }
    }

    pub fn from_key(key: &str) -> Option<FieldPolicy> {
        FieldPolicy::ALL.into_iter().find(|p| p.key() == key)
    }

    /// The Vietnamese label for the window.
    pub fn label_vi(self) -> &'static str {
        match self {
            FieldPolicy::Copy => "Sao chép",
            FieldPolicy::Proportional => "Theo tỷ lệ diện tích",
            FieldPolicy::RecomputeArea => "Tính lại từ hình học",
            FieldPolicy::Empty => "Để trống",
            FieldPolicy::Largest => "Lấy từ thửa lớn nhất",
            FieldPolicy::Sum => "Cộng tổng",
        }
    }
}

/// Another area-like number (hectares, an area share): shared out by area.
fn is_area_like(name: &str) -> bool {
    let n = name.to_lowercase();
    n.starts_with("dien_tich") || n.contains("area")
}

pub fn default_policy(field: &Field, operation: Operation) -> FieldPolicy {
    let numeric = matches!(field.field_type, FieldType::Real | FieldType::Integer);
    if numeric && crate::edit::measure::is_area_field(&field.name) {
        FieldPolicy::RecomputeArea
    } else if numeric && is_area_like(&field.name) {
        FieldPolicy::Proportional
    } else {
        match operation {
            Operation::Split => FieldPolicy::Copy,
            Operation::Merge => FieldPolicy::Largest,
        }
    }
}

/// The policies of one layer for one operation, in field order.
#[derive(Debug, Clone, PartialEq)]
pub struct Policies {
    pub operation: Operation,
    pub fields: Vec<(String, FieldPolicy)>,
}

fn sql_err(path: &Path, context: &str, e: rusqlite::Error) -> EditError {
    EditError::from(GpkgError::Sqlite {
        path: path.to_path_buf(),
        context: context.to_string(),
        source: e,
    })
}

/// The layer's policies: the stored ones, defaults for the rest.
pub fn load(
    conn: &Connection,
    path: &Path,
    layer: &LayerInfo,
    operation: Operation,
) -> Result<Policies, EditError> {
    let stored: Vec<(String, String)> = {
        let exists: bool = conn
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE name = 'tramgis_field_policies')",
                [],
                |r| r.get(0),
            )
            .map_err(|e| sql_err(path, "reading the schema", e))?;
        if exists {
            let context = "reading tramgis_field_policies";
            let mut stmt = conn
                .prepare_cached(
                    "SELECT column_name, policy FROM tramgis_field_policies
                     WHERE table_name = ?1 AND operation = ?2",
                )
                .map_err(|e| sql_err(path, context, e))?;
            stmt.query_map(params![layer.name, operation.key()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| sql_err(path, context, e))?
        } else {
            Vec::new()
        }
    };
    let fields = layer
        .schema
        .fields
        .iter()
        .map(|f| {
            let policy = stored
                .iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(&f.name))
                .and_then(|(_, p)| FieldPolicy::from_key(p))
                .unwrap_or_else(|| default_policy(f, operation));
            (f.name.clone(), policy)
        })
        .collect();
    Ok(Policies { operation, fields })
}

/// Stores one field's policy (a layer setting: not an edit, not undone).
pub fn set(
    conn: &Connection,
    path: &Path,
    layer: &LayerInfo,
    field: &str,
    operation: Operation,
    policy: FieldPolicy,
) -> Result<(), EditError> {
    let Some(f) = layer
        .schema
        .fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(field))
    else {
        return Err(EditError::Field {
            path: path.to_path_buf(),
            layer: layer.name.clone(),
            field: field.to_string(),
            detail: "no such field".into(),
        });
    };
    let numeric = matches!(f.field_type, FieldType::Real | FieldType::Integer);
    let needs_number = matches!(
        policy,
        FieldPolicy::Proportional | FieldPolicy::RecomputeArea | FieldPolicy::Sum
    );
    if needs_number && !numeric {
        return Err(EditError::Field {
            path: path.to_path_buf(),
            layer: layer.name.clone(),
            field: f.name.clone(),
            detail: format!(
                "policy '{}' needs a number field, this one is {}",
                policy.key(),
                f.field_type.sql_name()
            ),
        });
    }
    let context = "writing tramgis_field_policies";
    let run = || -> rusqlite::Result<()> {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let r = (|| {
            conn.execute_batch(TABLE_SQL)?;
            conn.execute(
                "INSERT INTO gpkg_extensions SELECT 'tramgis_field_policies', NULL, ?1, ?2, 'read-write' WHERE NOT EXISTS (SELECT 1 FROM gpkg_extensions WHERE table_name = 'tramgis_field_policies' AND extension_name = ?1)",
                params![EXTENSION, DEFINITION],
            )?;
            conn.execute(
                "INSERT INTO tramgis_field_policies VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (table_name, column_name, operation) DO UPDATE SET policy = excluded.policy",
                params![layer.name, f.name, operation.key(), policy.key()],
            )?;
            Ok(())
        })();
        match r {
            Ok(()) => conn.execute_batch("COMMIT"),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    };
    run().map_err(|e| sql_err(path, context, e))
}

fn number(v: &FieldValue) -> Option<f64> {
    match v {
        FieldValue::Integer(i) => Some(*i as f64),
        FieldValue::Real(r) => Some(*r),
        _ => None,
    }
}

/// A number as the field's type (integers rounded).
fn typed(x: f64, field_type: FieldType) -> FieldValue {
    match field_type {
        FieldType::Integer => FieldValue::Integer(x.round() as i64),
        _ => FieldValue::Real(x),
    }
}

/// The values of the parts of a split: `areas` are the parts' areas in
/// m², `measured_whole` the area of the original geometry.
pub fn split_values(
    policies: &Policies,
    layer: &LayerInfo,
    original: &[FieldValue],
    measured_whole: f64,
    areas: &[f64],
) -> Vec<Vec<FieldValue>> {
    let total: f64 = if measured_whole > 0.0 {
        measured_whole
    } else {
        areas.iter().sum()
    };
    areas
        .iter()
        .map(|&area| {
            let share = if total > 0.0 { area / total } else { 0.0 };
            policies
                .fields
                .iter()
                .zip(&layer.schema.fields)
                .zip(original)
                .map(|(((_, policy), field), value)| match policy {
                    FieldPolicy::Copy | FieldPolicy::Largest => value.clone(),
                    FieldPolicy::Proportional | FieldPolicy::Sum => match number(value) {
                        Some(x) => typed(x * share, field.field_type),
                        None => value.clone(),
                    },
                    FieldPolicy::RecomputeArea => typed(area, field.field_type),
                    FieldPolicy::Empty => FieldValue::Null,
                })
                .collect()
        })
        .collect()
}

/// The values of a merge of `parts` (values, area in m²) into one feature
/// of area `merged_area`.
pub fn merge_values(
    policies: &Policies,
    layer: &LayerInfo,
    parts: &[(&[FieldValue], f64)],
    merged_area: f64,
) -> Vec<FieldValue> {
    let largest = parts
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|p| p.0)
        .unwrap_or(&[]);
    policies
        .fields
        .iter()
        .zip(&layer.schema.fields)
        .enumerate()
        .map(|(i, ((_, policy), field))| {
            let of_largest = largest.get(i).cloned().unwrap_or(FieldValue::Null);
            match policy {
                FieldPolicy::Copy | FieldPolicy::Largest => of_largest,
                FieldPolicy::Proportional | FieldPolicy::Sum => {
                    let values: Vec<f64> = parts.iter().filter_map(|p| number(&p.0[i])).collect();
                    if values.is_empty() {
                        of_largest
                    } else {
                        typed(values.iter().sum(), field.field_type)
                    }
                }
                FieldPolicy::RecomputeArea => typed(merged_area, field.field_type),
                FieldPolicy::Empty => FieldValue::Null,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_fields_are_recomputed_and_others_copied_or_taken_from_the_largest() {
        let f = |n: &str, t| Field::new(n, t);
        use Operation::*;
        assert_eq!(
            default_policy(&f("dien_tich", FieldType::Real), Split),
            FieldPolicy::RecomputeArea
        );
        assert_eq!(
            default_policy(&f("dien_tich_ha", FieldType::Real), Merge),
            FieldPolicy::Proportional
        );
        assert_eq!(
            default_policy(&f("so_thua", FieldType::Integer), Split),
            FieldPolicy::Copy
        );
        assert_eq!(
            default_policy(&f("ma_loai_dat", FieldType::Text), Merge),
            FieldPolicy::Largest
        );
        assert_eq!(
            default_policy(&f("dien_tich", FieldType::Text), Split),
            FieldPolicy::Copy
        );
    }
}
