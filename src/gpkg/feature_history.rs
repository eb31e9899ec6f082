//! The history of one feature, read from the edit journal: every insert,
//! update and delete of its row, by tramgis, by sync (ordinary edits) and
//! by other programs (QGIS, GDAL: no edit id, the user the trigger gives),
//! with the fields each change touched.
//!
//! The journal keys rows by (table, fid) only, so a split, a merge or a
//! reused fid shows as the insert and delete rows that happened to carry
//! this fid; nothing here tries to follow a feature across fids.

use geo::CoordsIter;
use serde_json::{Map, Value};

use super::error::{GpkgError, Result, SqlContext};
use super::geom;
use super::store::{GeoPackage, LayerInfo};
use crate::model::{FieldType, FieldValue, GeometryType};

/// The name the geometry goes by in a [`FieldChange`]: in parentheses, so
/// it cannot be a field's name.
pub const GEOMETRY_FIELD: &str = "(geometry)";

/// What a journal row did to the feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryOp {
    Insert,
    Update,
    Delete,
}

impl HistoryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryOp::Insert => "insert",
            HistoryOp::Update => "update",
            HistoryOp::Delete => "delete",
        }
    }
}

/// A geometry in a few words: its type, its vertices and where its
/// envelope's centre lies (so a move that keeps type and vertex count
/// still reads as a change).
#[derive(Debug, Clone, PartialEq)]
pub struct GeometrySummary {
    pub geometry_type: GeometryType,
    pub vertices: usize,
    pub centre: Option<[f64; 2]>,
}

/// One side of a field's change.
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryValue {
    Field(FieldValue),
    /// None for a NULL geometry.
    Geometry(Option<GeometrySummary>),
    /// A geometry blob the codec cannot read (written by another program).
    BadGeometry(String),
}

/// One field a change touched: absent `old` for an insert, absent `new`
/// for a delete.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub name: String,
    pub old: Option<HistoryValue>,
    pub new: Option<HistoryValue>,
}

/// One change of the feature, with its edit's description when it was a
/// tramgis edit: a journal row, or the rows of one edit that updated the
/// feature several times (field by field), taken together.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// The (first) journal row's.
    pub change_id: i64,
    pub changed_at: String,
    pub user: String,
    pub edit_id: Option<i64>,
    /// None for a change by another program (no edit id).
    pub description: Option<String>,
    pub op: HistoryOp,
    /// For an update only the fields whose value differs; for an insert
    /// or a delete every field that is not NULL. The geometry first (as
    /// [`GEOMETRY_FIELD`]), then the fields in the layer's order.
    pub fields: Vec<FieldChange>,
}

impl GeoPackage {
    /// Every journal row of feature `fid` of `layer`, oldest first. The
    /// feature need not exist any more. A workspace without a journal has
    /// no history (an empty list).
    pub fn feature_history(&self, layer: &str, fid: i64) -> Result<Vec<HistoryEntry>> {
        if !self.has_tramgis_tables {
            return Ok(Vec::new());
        }
        let info = self.layer(layer)?;
        let path = &self.path;
        let what = format!("reading the history of feature {fid} of '{layer}'");
        // By (table_name, fid): the journal's index answers it.
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT c.change_id, c.changed_at, c.user, c.edit_id, e.description,
                        c.op, c.old_values, c.new_values
                 FROM tramgis_changes c LEFT JOIN tramgis_edits e ON e.edit_id = c.edit_id
                 WHERE c.table_name = ?1 AND c.fid = ?2 ORDER BY c.change_id",
            )
            .ctx(path, &what)?;
        let rows = stmt
            .query_map(rusqlite::params![layer, fid], |r| {
                Ok(Journalled {
                    change_id: r.get(0)?,
                    changed_at: r.get(1)?,
                    user: r.get(2)?,
                    edit_id: r.get(3)?,
                    description: r.get(4)?,
                    op: r.get(5)?,
                    old: r.get(6)?,
                    new: r.get(7)?,
                })
            })
            .ctx(path, &what)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx(path, &what)?;
        let mut steps: Vec<Step> = Vec::new();
        for row in rows {
            let change_id = row.change_id;
            let step = parse(row).map_err(|detail| GpkgError::BadFeature {
                path: path.clone(),
                layer: layer.to_string(),
                detail: format!("feature {fid}: the edit journal's change {change_id}: {detail}"),
            })?;
            // One edit that changes a feature field by field (each
            // set_value an UPDATE, each a journal row) is one entry: the
            // state before the first row to after the last.
            match steps.last_mut() {
                Some(last)
                    if last.entry.edit_id.is_some()
                        && last.entry.edit_id == step.entry.edit_id
                        && step.entry.op == HistoryOp::Update
                        && last.entry.op != HistoryOp::Delete =>
                {
                    last.new = step.new;
                }
                _ => steps.push(step),
            }
        }
        Ok(steps
            .into_iter()
            .map(|mut step| {
                step.entry.fields = field_changes(&info, step.old.as_ref(), step.new.as_ref());
                step.entry
            })
            .collect())
    }
}

/// A journal row as read.
struct Journalled {
    change_id: i64,
    changed_at: String,
    user: String,
    edit_id: Option<i64>,
    description: Option<String>,
    op: String,
    old: Option<String>,
    new: Option<String>,
}

/// An entry before its fields are compared: the row before and after.
struct Step {
    entry: HistoryEntry,
    old: Option<Map<String, Value>>,
    new: Option<Map<String, Value>>,
}

/// A journal row's op and values read; what is wrong with it, if anything.
fn parse(row: Journalled) -> std::result::Result<Step, String> {
    let op = match row.op.as_str() {
        "insert" => HistoryOp::Insert,
        "update" => HistoryOp::Update,
        "delete" => HistoryOp::Delete,
        other => return Err(format!("op '{other}'")),
    };
    let values = |text: Option<String>| -> std::result::Result<Option<Map<String, Value>>, String> {
        text.map(|t| serde_json::from_str(&t))
            .transpose()
            .map_err(|e| format!("values are not a JSON object ({e})"))
    };
    Ok(Step {
        old: values(row.old)?,
        new: values(row.new)?,
        entry: HistoryEntry {
            change_id: row.change_id,
            changed_at: row.changed_at,
            user: row.user,
            edit_id: row.edit_id,
            description: row.edit_id.map(|_| row.description.unwrap_or_default()),
            op,
            fields: Vec::new(),
        },
    })
}

/// The fields that differ between the journal's old and new row (either
/// may be absent). Columns the journal holds that the layer no longer has
/// (a dropped field) come last, read by their JSON type.
fn field_changes(
    info: &LayerInfo,
    old: Option<&Map<String, Value>>,
    new: Option<&Map<String, Value>>,
) -> Vec<FieldChange> {
    let schema = &info.schema;
    // (column, its type; None for the geometry)
    let mut columns: Vec<(&str, Option<FieldType>)> = Vec::new();
    if !schema.geometry_column.is_empty() {
        columns.push((&schema.geometry_column, None));
    }
    for f in &schema.fields {
        columns.push((&f.name, Some(f.field_type)));
    }
    for key in old.into_iter().chain(new).flat_map(|m| m.keys()) {
        if *key != schema.fid_column && !columns.iter().any(|(c, _)| c == key) {
            columns.push((key, Some(FieldType::Text)));
        }
    }
    let mut changes = Vec::new();
    for (name, field_type) in columns {
        let before = old.map(|m| m.get(name).unwrap_or(&Value::Null));
        let after = new.map(|m| m.get(name).unwrap_or(&Value::Null));
        let hex = field_type.is_none_or(|t| t == FieldType::Blob);
        let differs = match (before, after) {
            (Some(a), Some(b)) => a != b,
            (Some(v), None) | (None, Some(v)) => !is_null(v, hex),
            (None, None) => false,
        };
        if !differs {
            continue;
        }
        let value = |v: &Value| match field_type {
            None => geometry_value(v),
            Some(t) => HistoryValue::Field(field_value(v, t)),
        };
        changes.push(FieldChange {
            name: match field_type {
                None => GEOMETRY_FIELD.to_string(),
                Some(_) => name.to_string(),
            },
            old: before.map(value),
            new: after.map(value),
        });
    }
    changes
}

/// NULL as the journal writes it: hex() of a NULL blob is ''.
fn is_null(v: &Value, hex: bool) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => hex && s.is_empty(),
        _ => false,
    }
}

/// A journalled value as the field's type reads it.
fn field_value(v: &Value, field_type: FieldType) -> FieldValue {
    match (v, field_type) {
        (Value::Null, _) => FieldValue::Null,
        (Value::String(hex), FieldType::Blob) if hex.is_empty() => FieldValue::Null,
        (Value::String(hex), FieldType::Blob) => match super::undo::from_hex(hex) {
            Some(bytes) => FieldValue::Blob(bytes),
            None => FieldValue::Text(hex.clone()),
        },
        (Value::String(s), FieldType::Date) => FieldValue::Date(s.clone()),
        (Value::String(s), FieldType::DateTime) => FieldValue::DateTime(s.clone()),
        (Value::String(s), _) => FieldValue::Text(s.clone()),
        (Value::Bool(b), _) => FieldValue::Boolean(*b),
        (Value::Number(n), FieldType::Boolean) => FieldValue::Boolean(n.as_f64() != Some(0.0)),
        (Value::Number(n), FieldType::Real) => FieldValue::Real(n.as_f64().unwrap_or(f64::NAN)),
        (Value::Number(n), _) => match n.as_i64() {
            Some(i) => FieldValue::Integer(i),
            None => FieldValue::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        (other, _) => FieldValue::Text(other.to_string()),
    }
}

/// A journalled geometry (the blob in hex) in a few words.
fn geometry_value(v: &Value) -> HistoryValue {
    let hex = match v {
        Value::String(s) if !s.is_empty() => s,
        _ => return HistoryValue::Geometry(None),
    };
    let Some(blob) = super::undo::from_hex(hex) else {
        return HistoryValue::BadGeometry("not hex".into());
    };
    let decoded = match geom::decode(&blob) {
        Ok(g) => g,
        Err(e) => return HistoryValue::BadGeometry(e.to_string()),
    };
    let geometry_type = geom::stored_type(&blob)
        .ok()
        .and_then(|(code, _)| GeometryType::from_wkb_code(code))
        .unwrap_or(GeometryType::Geometry);
    let centre = geom::bounds(&decoded.geometry).map(|b| {
        let c = b.center();
        [c.x, c.y]
    });
    HistoryValue::Geometry(Some(GeometrySummary {
        geometry_type,
        vertices: decoded.geometry.coords_count(),
        centre,
    }))
}

impl std::fmt::Display for HistoryValue {
    /// NULL as "NULL", a geometry as "POLYGON, 5 vertices, centre (x, y)":
    /// the CLI's form (the window translates its own).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HistoryValue::Field(FieldValue::Null) | HistoryValue::Geometry(None) => {
                f.write_str("NULL")
            }
            HistoryValue::Field(v) => write!(f, "{v}"),
            HistoryValue::Geometry(Some(g)) => {
                write!(f, "{}, {} vertices", g.geometry_type.name(), g.vertices)?;
                if let Some([x, y]) = g.centre {
                    write!(f, ", centre ({x:.2}, {y:.2})")?;
                }
                Ok(())
            }
            HistoryValue::BadGeometry(e) => write!(f, "unreadable geometry ({e})"),
        }
    }
}
