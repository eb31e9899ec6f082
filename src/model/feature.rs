use geo_types::Geometry;

pub use crate::gpkg::geom::ZmValues;

/// One attribute value. Dates and date-times keep the ISO-8601 text that the
/// GeoPackage stores (`YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS.SSSZ`), so a value
/// read from a file written by another program round-trips unchanged.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Boolean(bool),
    Date(String),
    DateTime(String),
    Blob(Vec<u8>),
}

impl FieldValue {
    pub fn is_null(&self) -> bool {
        matches!(self, FieldValue::Null)
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            FieldValue::Integer(i) => Some(*i as f64),
            FieldValue::Real(r) => Some(*r),
            FieldValue::Boolean(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            FieldValue::Text(s) | FieldValue::Date(s) | FieldValue::DateTime(s) => Some(s),
            _ => None,
        }
    }
}

impl std::fmt::Display for FieldValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldValue::Null => f.write_str(""),
            FieldValue::Integer(i) => write!(f, "{i}"),
            FieldValue::Real(r) => write!(f, "{r}"),
            FieldValue::Text(s) | FieldValue::Date(s) | FieldValue::DateTime(s) => f.write_str(s),
            FieldValue::Boolean(b) => write!(f, "{b}"),
            FieldValue::Blob(b) => write!(f, "<{} bytes>", b.len()),
        }
    }
}

/// A feature as stored in a layer: its id, its geometry (None for a NULL
/// geometry), the geometry's Z and M values (empty for a 2D geometry) and
/// its attribute values in the order of the layer's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub fid: Option<i64>,
    pub geometry: Option<Geometry<f64>>,
    /// One Z and/or M per coordinate, in the geometry's WKB order.
    pub zm: ZmValues,
    pub values: Vec<FieldValue>,
}

impl Feature {
    pub fn new(geometry: Option<Geometry<f64>>, values: Vec<FieldValue>) -> Self {
        Feature {
            fid: None,
            geometry,
            zm: ZmValues::default(),
            values,
        }
    }

    /// A feature whose geometry carries Z and/or M values.
    pub fn with_zm(geometry: Option<Geometry<f64>>, zm: ZmValues, values: Vec<FieldValue>) -> Self {
        Feature {
            fid: None,
            geometry,
            zm,
            values,
        }
    }
}
