//! A feature as the sync compares and sends it: its UUID, the server's id,
//! its properties under the server's names and its geometry as GeoJSON in
//! the layer's CRS. Base versions are stored in this form, so "changed"
//! means the same thing for a local row and a server's answer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use super::geojson::{from_geojson, to_geojson};
use super::remote::LayerMapping;
use crate::model::{Feature, FieldType, FieldValue, Schema};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub uuid: String,
    /// The server's id of the feature (pygeoapi's id_field, QGIS's fid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_id: Option<String>,
    pub geometry: Option<Value>,
    pub properties: BTreeMap<String, Value>,
}

/// The name the three-way merge gives the geometry among the fields.
pub const GEOMETRY: &str = "(geometry)";

impl Record {
    /// The value of a field by name, the geometry under [`GEOMETRY`].
    pub fn field(&self, name: &str) -> Option<&Value> {
        if name == GEOMETRY {
            self.geometry.as_ref()
        } else {
            self.properties.get(name)
        }
    }

    pub fn set_field(&mut self, name: &str, value: Option<Value>) {
        if name == GEOMETRY {
            self.geometry = value.filter(|v| !v.is_null());
        } else {
            self.properties
                .insert(name.to_string(), value.unwrap_or(Value::Null));
        }
    }

    /// Every field either side has, the geometry last.
    pub fn field_names<'a>(a: &'a Record, b: &'a Record) -> Vec<String> {
        let mut names: Vec<String> = a
            .properties
            .keys()
            .chain(b.properties.keys())
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names.push(GEOMETRY.to_string());
        names
    }

    /// Fields whose values differ beyond the tolerances of
    /// [`same_value`]; properties only one side has count when not null.
    pub fn changed_fields(&self, other: &Record, xy_tolerance: f64) -> Vec<String> {
        Record::field_names(self, other)
            .into_iter()
            .filter(|name| {
                let a = self.field(name).unwrap_or(&Value::Null);
                let b = other.field(name).unwrap_or(&Value::Null);
                let tolerance = if name == GEOMETRY { xy_tolerance } else { 0.0 };
                !same_value(a, b, tolerance)
            })
            .collect()
    }

    pub fn same_as(&self, other: &Record, xy_tolerance: f64) -> bool {
        self.changed_fields(other, xy_tolerance).is_empty()
    }
}

/// Equality as a portal keeps values: numbers by value (5 and 5.0 are the
/// same; a float4 column gives back the nearest single-precision number),
/// coordinates within `xy_tolerance` (servers round them: QGIS publishes
/// 3 decimals), everything else exactly.
pub fn same_value(a: &Value, b: &Value, xy_tolerance: f64) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => same_number(x, y, xy_tolerance),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b, xy_tolerance))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, a)| y.get(k).is_some_and(|b| same_value(a, b, xy_tolerance)))
        }
        _ => a == b,
    }
}

fn same_number(x: &Number, y: &Number, tolerance: f64) -> bool {
    if let (Some(a), Some(b)) = (x.as_i64(), y.as_i64()) {
        return a == b;
    }
    let (Some(a), Some(b)) = (x.as_f64(), y.as_f64()) else {
        return x == y;
    };
    if a == b || (a - b).abs() <= tolerance {
        return true;
    }
    // A real column that holds single precision (PostgreSQL's `real`).
    let single = |v: f64| f64::from(v as f32) == v;
    (single(a) || single(b)) && (a as f32) == (b as f32)
}

/// The local row as a record: fields named as the server names them, the
/// UUID column left out (it is the record's identity).
pub fn from_feature(feature: &Feature, schema: &Schema, mapping: &LayerMapping) -> Record {
    let mut properties = BTreeMap::new();
    let mut uuid = String::new();
    for (field, value) in schema.fields.iter().zip(&feature.values) {
        if field.name == mapping.uuid_field {
            if let FieldValue::Text(text) = value {
                uuid = text.clone();
            }
            continue;
        }
        let Some(remote) = mapping.remote_field(&field.name) else {
            continue;
        };
        // A field the server's collection lacks (added here after the
        // checkout) stays local.
        if !mapping.fields.is_empty() && !mapping.fields.iter().any(|f| f == remote) {
            continue;
        }
        properties.insert(remote.to_string(), value_to_json(value));
    }
    Record {
        uuid,
        server_id: None,
        geometry: feature.geometry.as_ref().map(to_geojson),
        properties,
    }
}

/// The record as a local row of `schema` (fid left to the caller); fields
/// the server does not send keep `keep`'s values.
pub fn to_feature(
    record: &Record,
    schema: &Schema,
    mapping: &LayerMapping,
    keep: Option<&Feature>,
) -> Result<Feature, String> {
    let geometry = match &record.geometry {
        Some(g) => from_geojson(g)?,
        None => None,
    };
    let mut values = Vec::with_capacity(schema.fields.len());
    for (i, field) in schema.fields.iter().enumerate() {
        let kept = || {
            keep.and_then(|f| f.values.get(i).cloned())
                .unwrap_or(FieldValue::Null)
        };
        if field.name == mapping.uuid_field {
            values.push(FieldValue::Text(record.uuid.clone()));
            continue;
        }
        let value = match mapping
            .remote_field(&field.name)
            .and_then(|remote| record.properties.get(remote))
        {
            Some(v) => json_to_value(v, field.field_type)
                .map_err(|e| format!("field '{}': {e}", field.name))?,
            None => kept(),
        };
        values.push(value);
    }
    let mut feature = Feature::new(geometry, values);
    feature.fid = keep.and_then(|f| f.fid);
    Ok(feature)
}

pub fn value_to_json(value: &FieldValue) -> Value {
    match value {
        FieldValue::Null => Value::Null,
        FieldValue::Integer(i) => Value::from(*i),
        FieldValue::Real(r) => Number::from_f64(*r).map_or(Value::Null, Value::Number),
        FieldValue::Boolean(b) => Value::Bool(*b),
        FieldValue::Text(s) | FieldValue::Date(s) | FieldValue::DateTime(s) => {
            Value::String(s.clone())
        }
        FieldValue::Blob(b) => Value::String(b.iter().map(|x| format!("{x:02x}")).collect()),
    }
}

fn json_to_value(value: &Value, field_type: FieldType) -> Result<FieldValue, String> {
    Ok(match (value, field_type) {
        (Value::Null, _) => FieldValue::Null,
        (Value::Bool(b), FieldType::Boolean) => FieldValue::Boolean(*b),
        (Value::Bool(b), FieldType::Integer) => FieldValue::Integer(i64::from(*b)),
        (Value::Number(n), FieldType::Integer) => match n.as_i64() {
            Some(i) => FieldValue::Integer(i),
            None => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => FieldValue::Integer(f as i64),
                _ => return Err(format!("{n} is not a whole number")),
            },
        },
        (Value::Number(n), FieldType::Boolean) => FieldValue::Boolean(n.as_f64() != Some(0.0)),
        (Value::Number(n), FieldType::Real) => FieldValue::Real(n.as_f64().unwrap_or(f64::NAN)),
        (Value::Number(n), _) => FieldValue::Text(n.to_string()),
        (Value::String(s), FieldType::Date) => FieldValue::Date(s.clone()),
        (Value::String(s), FieldType::DateTime) => FieldValue::DateTime(s.clone()),
        (Value::String(s), FieldType::Real) => match s.trim().parse::<f64>() {
            Ok(f) => FieldValue::Real(f),
            Err(_) => return Err(format!("\"{s}\" is not a number")),
        },
        (Value::String(s), FieldType::Integer) => match s.trim().parse::<i64>() {
            Ok(i) => FieldValue::Integer(i),
            Err(_) => return Err(format!("\"{s}\" is not a whole number")),
        },
        (Value::String(s), _) => FieldValue::Text(s.clone()),
        (Value::Bool(b), _) => FieldValue::Text(b.to_string()),
        (other, _) => FieldValue::Text(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_compare_by_value_and_single_precision_round_trips_are_equal() {
        assert!(same_value(&json!(5), &json!(5.0), 0.0));
        assert!(same_value(&json!(35.7), &json!(f64::from(35.7f32)), 0.0));
        assert!(!same_value(&json!(35.7), &json!(35.8), 0.0));
        assert!(same_value(
            &json!({"type": "Point", "coordinates": [1.0, 2.0]}),
            &json!({"type": "Point", "coordinates": [1.0004, 2.0]}),
            0.001
        ));
        assert!(!same_value(
            &json!({"type": "Point", "coordinates": [1.0, 2.0]}),
            &json!({"type": "Point", "coordinates": [1.01, 2.0]}),
            0.001
        ));
    }
}
