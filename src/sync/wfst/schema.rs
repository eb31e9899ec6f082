//! A feature type as DescribeFeatureType (XML Schema) gives it, and a
//! GetFeature member read into a [`Record`] with the types it declares.

use std::collections::BTreeMap;

use roxmltree::{Document, Node};
use serde_json::{Number, Value};

use super::gml;
use crate::model::{FieldType, GeometryType};
use crate::sync::error::{Result, SyncError};
use crate::sync::geojson::to_geojson;
use crate::sync::record::Record;
use crate::sync::remote::LayerMapping;

const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

#[derive(Debug, Clone, PartialEq)]
pub struct FeatureType {
    pub name: String,
    /// The schema's target namespace (QGIS: http://www.qgis.org/gml).
    pub namespace: String,
    /// The geometry element (QGIS names it `geometry`, whatever the column).
    pub geometry: Option<String>,
    pub geometry_type: Option<GeometryType>,
    /// The attributes with their types, geometry left out.
    pub fields: Vec<(String, FieldType)>,
    /// Every element in the order the schema lists them (inserts follow it).
    pub order: Vec<String>,
}

/// The server's own row key as QGIS publishes it: an integer element named
/// like a GeoPackage's key. The server assigns it; it is not synced, and
/// it is what GetFeature pages are sorted by.
pub const SERVER_KEY: &str = "fid";

impl FeatureType {
    pub fn field_type(&self, name: &str) -> Option<FieldType> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, t)| *t)
    }

    /// Whether a property travels: mapped (or no mapping chosen yet), not
    /// the server's key.
    pub fn is_synced(&self, mapping: &LayerMapping, name: &str) -> bool {
        name != SERVER_KEY
            && Some(name) != self.geometry.as_deref()
            && (mapping.fields.is_empty() || mapping.fields.iter().any(|f| f == name))
    }

    /// What to sort GetFeature by, so pages neither skip nor repeat.
    pub fn sort_key<'a>(&'a self, mapping: &'a LayerMapping) -> &'a str {
        if self.field_type(SERVER_KEY).is_some() {
            SERVER_KEY
        } else {
            &mapping.uuid_field
        }
    }
}

/// Reads `type_name` out of a DescribeFeatureType answer.
pub fn parse(url: &str, text: &str, type_name: &str) -> Result<FeatureType> {
    let bad = |detail: String| SyncError::BadResponse {
        url: url.to_string(),
        expected: "DescribeFeatureType (XML Schema)",
        detail,
    };
    let doc = Document::parse(text).map_err(|e| bad(format!("it is not XML ({e})")))?;
    let root = doc.root_element();
    if let Some(message) = super::exception(root) {
        return Err(bad(message));
    }
    if root.tag_name().name() != "schema" {
        return Err(bad(format!("it is a {} document", root.tag_name().name())));
    }
    let local = |s: &str| s.rsplit(':').next().unwrap_or(s).to_string();
    let bare = local(type_name);
    let type_of_element = root
        .children()
        .find(|n| n.tag_name().name() == "element" && n.attribute("name") == Some(bare.as_str()))
        .and_then(|n| n.attribute("type"))
        .map(local)
        .unwrap_or_else(|| format!("{bare}Type"));
    let complex = root
        .children()
        .find(|n| {
            n.tag_name().name() == "complexType"
                && n.attribute("name") == Some(type_of_element.as_str())
        })
        .ok_or_else(|| bad(format!("it does not describe the feature type '{bare}'")))?;
    let mut ft = FeatureType {
        name: bare,
        namespace: root.attribute("targetNamespace").unwrap_or("").to_string(),
        geometry: None,
        geometry_type: None,
        fields: Vec::new(),
        order: Vec::new(),
    };
    for e in complex
        .descendants()
        .filter(|n| n.tag_name().name() == "element")
    {
        let Some(name) = e.attribute("name") else {
            continue;
        };
        let xsd = local(e.attribute("type").unwrap_or("string"));
        ft.order.push(name.to_string());
        if let Some(g) = geometry_type(&xsd) {
            if ft.geometry.is_none() {
                ft.geometry = Some(name.to_string());
                ft.geometry_type = Some(g);
            }
            continue;
        }
        ft.fields.push((name.to_string(), field_type(&xsd)));
    }
    Ok(ft)
}

fn field_type(xsd: &str) -> FieldType {
    match xsd {
        "int" | "integer" | "long" | "short" | "byte" | "unsignedInt" | "unsignedLong"
        | "unsignedShort" | "nonNegativeInteger" | "positiveInteger" => FieldType::Integer,
        "decimal" | "double" | "float" => FieldType::Real,
        "boolean" => FieldType::Boolean,
        "date" => FieldType::Date,
        "dateTime" => FieldType::DateTime,
        _ => FieldType::Text,
    }
}

fn geometry_type(xsd: &str) -> Option<GeometryType> {
    Some(match xsd.strip_suffix("PropertyType")? {
        "Point" => GeometryType::Point,
        "MultiPoint" => GeometryType::MultiPoint,
        "LineString" | "Curve" => GeometryType::LineString,
        "MultiLineString" | "MultiCurve" => GeometryType::MultiLineString,
        "Polygon" | "Surface" => GeometryType::Polygon,
        "MultiPolygon" | "MultiSurface" => GeometryType::MultiPolygon,
        "Geometry" | "MultiGeometry" => GeometryType::Geometry,
        _ => return None,
    })
}

/// One feature element of a GetFeature answer (`qgs:bts gml:id="bts.7"`).
pub fn record(
    ft: &FeatureType,
    mapping: &LayerMapping,
    feature: Node,
) -> std::result::Result<Record, String> {
    let server_id = feature
        .attribute((gml::GML, "id"))
        .or_else(|| feature.attribute("fid"))
        .map(str::to_string);
    let mut geometry = None;
    let mut properties = BTreeMap::new();
    let mut uuid = String::new();
    for p in feature.children().filter(Node::is_element) {
        if p.tag_name().namespace() == Some(gml::GML) {
            continue; // gml:boundedBy, gml:name, …
        }
        let name = p.tag_name().name();
        if Some(name) == ft.geometry.as_deref() {
            if let Some(g) = p.children().find(Node::is_element) {
                let g = gml::read(g)
                    .map_err(|e| format!("feature {}: {e}", server_id.as_deref().unwrap_or("?")))?;
                geometry = Some(to_geojson(&g));
            }
            continue;
        }
        let nil = p.attribute((XSI, "nil")) == Some("true");
        let text = p.text().unwrap_or("");
        if name == mapping.uuid_field {
            uuid = if nil {
                String::new()
            } else {
                text.trim().to_string()
            };
            continue;
        }
        if !mapping.fields.is_empty() && !mapping.fields.iter().any(|f| f == name) {
            continue;
        }
        let value = if nil {
            Value::Null
        } else {
            typed(ft.field_type(name), text)
        };
        properties.insert(name.to_string(), value);
    }
    Ok(Record {
        uuid,
        server_id,
        geometry,
        properties,
    })
}

/// Element text as the JSON value the schema's type says it is; text that
/// does not parse stays text (the merge then sees it as changed, never as
/// a silent zero).
fn typed(t: Option<FieldType>, text: &str) -> Value {
    let trimmed = text.trim();
    match t {
        Some(FieldType::Integer) => trimmed
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(text.into())),
        Some(FieldType::Real) => trimmed
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(text.into())),
        Some(FieldType::Boolean) => match trimmed {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => Value::String(text.into()),
        },
        _ => Value::String(text.into()),
    }
}
