//! Copy features between layers (reprojected, fields matched by name) and
//! paste WKT or GeoJSON text as new features.

use gdal::vector::Geometry as OgrGeometry;
use geo_types::Geometry;

use super::fit_to_column;
use crate::crs::{Crs, Transformer};
use crate::edit::{Applied, EditError, EditSession};
use crate::gpkg::LayerInfo;
use crate::model::{Feature, FieldType, FieldValue};

/// Reads `text` as a value of `field_type`; Err says why (the caller names
/// file, layer, feature and field). Empty text is NULL.
pub fn parse_value(field_type: FieldType, text: &str) -> Result<FieldValue, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(FieldValue::Null);
    }
    match field_type {
        FieldType::Integer => t
            .parse()
            .map(FieldValue::Integer)
            .map_err(|_| format!("'{t}' is not a whole number")),
        FieldType::Real => t
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(FieldValue::Real)
            .ok_or_else(|| format!("'{t}' is not a number")),
        FieldType::Boolean => match t.to_lowercase().as_str() {
            "1" | "true" | "yes" | "có" | "co" => Ok(FieldValue::Boolean(true)),
            "0" | "false" | "no" | "không" | "khong" => Ok(FieldValue::Boolean(false)),
            _ => Err(format!("'{t}' is not true/false")),
        },
        FieldType::Date => {
            let ok = t.len() == 10
                && t.as_bytes()[4] == b'-'
                && t.as_bytes()[7] == b'-'
                && t[..4].parse::<u16>().is_ok()
                && t[5..7].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
                && t[8..].parse::<u8>().is_ok_and(|d| (1..=31).contains(&d));
            if ok {
                Ok(FieldValue::Date(t.to_string()))
            } else {
                Err(format!("'{t}' is not a date (YYYY-MM-DD)"))
            }
        }
        FieldType::DateTime => {
            if t.len() >= 19 && parse_value(FieldType::Date, &t[..10]).is_ok() {
                Ok(FieldValue::DateTime(t.to_string()))
            } else {
                Err(format!(
                    "'{t}' is not a date and time (YYYY-MM-DDTHH:MM:SSZ)"
                ))
            }
        }
        FieldType::Text => Ok(FieldValue::Text(text.to_string())),
        FieldType::Blob => Err("a blob cannot be typed in".into()),
    }
}

/// A JSON property as a value of the field's type.
fn json_value(field_type: FieldType, v: &serde_json::Value) -> Result<FieldValue, String> {
    match v {
        serde_json::Value::Null => Ok(FieldValue::Null),
        serde_json::Value::String(s) => parse_value(field_type, s),
        serde_json::Value::Bool(b) if field_type == FieldType::Boolean => {
            Ok(FieldValue::Boolean(*b))
        }
        other => parse_value(field_type, &other.to_string()),
    }
}

/// One parsed feature of pasted text: geometry and named properties.
struct Pasted {
    geometry: Geometry<f64>,
    properties: serde_json::Map<String, serde_json::Value>,
}

/// WKT, or GeoJSON (a geometry, a Feature or a FeatureCollection).
fn parse_text(text: &str) -> Result<(Vec<Pasted>, bool), String> {
    let t = text.trim();
    let to_geo = |g: OgrGeometry| g.to_geo().map_err(|e| e.to_string());
    if !t.starts_with('{') {
        let g = OgrGeometry::from_wkt(t).map_err(|e| format!("not WKT or GeoJSON: {e}"))?;
        return Ok((
            vec![Pasted {
                geometry: to_geo(g)?,
                properties: Default::default(),
            }],
            false,
        ));
    }
    let json: serde_json::Value =
        serde_json::from_str(t).map_err(|e| format!("not GeoJSON: {e}"))?;
    let one = |f: &serde_json::Value| -> Result<Pasted, String> {
        let geometry = f.get("geometry").ok_or("a Feature without a geometry")?;
        let g = OgrGeometry::from_geojson(&geometry.to_string()).map_err(|e| e.to_string())?;
        Ok(Pasted {
            geometry: to_geo(g)?,
            properties: f
                .get("properties")
                .and_then(|p| p.as_object())
                .cloned()
                .unwrap_or_default(),
        })
    };
    let features = match json.get("type").and_then(|t| t.as_str()) {
        Some("FeatureCollection") => json
            .get("features")
            .and_then(|f| f.as_array())
            .ok_or("a FeatureCollection without features")?
            .iter()
            .map(one)
            .collect::<Result<Vec<_>, _>>()?,
        Some("Feature") => vec![one(&json)?],
        _ => {
            let g = OgrGeometry::from_geojson(t).map_err(|e| e.to_string())?;
            vec![Pasted {
                geometry: to_geo(g)?,
                properties: Default::default(),
            }]
        }
    };
    Ok((features, true))
}

/// Pastes WKT or GeoJSON text into `layer` as new features. WKT is in the
/// layer's CRS unless `source_crs` says otherwise; GeoJSON is WGS 84
/// (RFC 7946) unless `source_crs` says otherwise. GeoJSON properties fill
/// the fields of the same name.
pub fn paste_text(
    session: &mut EditSession,
    layer: &str,
    text: &str,
    source_crs: Option<&Crs>,
) -> Result<Applied, EditError> {
    let path = session.path().to_path_buf();
    let info = session.gpkg().layer(layer)?;
    let bad = |detail: String| EditError::Layer {
        path: path.clone(),
        layer: layer.to_string(),
        detail: format!("the pasted text: {detail}"),
    };
    let (pasted, geojson) = parse_text(text).map_err(bad)?;
    let wgs84 = Crs::Epsg(4326);
    let from = source_crs.unwrap_or(if geojson { &wgs84 } else { &info.crs });
    let transformer = Transformer::between(from, &info.crs)?;
    let mut features = Vec::new();
    for p in pasted {
        let mut g = p.geometry;
        if !transformer.is_identity() {
            transformer.transform_geometry(&mut g)?;
        }
        let g = fit(&info, g).map_err(bad)?;
        let mut values = Vec::with_capacity(info.schema.fields.len());
        for field in &info.schema.fields {
            let v = match p
                .properties
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&field.name))
            {
                Some((_, v)) => {
                    json_value(field.field_type, v).map_err(|detail| EditError::Field {
                        path: path.clone(),
                        layer: layer.to_string(),
                        field: field.name.clone(),
                        detail,
                    })?
                }
                None => FieldValue::Null,
            };
            values.push(v);
        }
        features.push(Feature::new(Some(g), values));
    }
    let description = format!("Dán {} đối tượng vào {layer}", features.len());
    let (_, applied) = session.apply(&description, |tx| {
        for f in &features {
            tx.insert(layer, f)?;
        }
        Ok(())
    })?;
    Ok(applied)
}

fn fit(info: &LayerInfo, g: Geometry<f64>) -> Result<Geometry<f64>, String> {
    let kind = crate::gpkg::geom::wkb_type_code(&g);
    fit_to_column(g, info.schema.geometry_type).ok_or_else(|| {
        format!(
            "a {} cannot be stored in the {} column '{}'",
            crate::model::GeometryType::ALL_CONCRETE
                .get(kind as usize - 1)
                .map_or("geometry", |t| t.name()),
            info.schema.geometry_type.name(),
            info.schema.geometry_column
        )
    })
}

/// Copies features `fids` of `from` into `to`: reprojected to `to`'s CRS,
/// values matched by field name (others empty). Returns the new features.
pub fn copy_features(
    session: &mut EditSession,
    from: &str,
    fids: &[i64],
    to: &str,
) -> Result<Applied, EditError> {
    let path = session.path().to_path_buf();
    let source = session.gpkg().layer(from)?;
    let target = session.gpkg().layer(to)?;
    let transformer = Transformer::between(&source.crs, &target.crs)?;
    let mut features = Vec::new();
    for &fid in fids {
        let f = session.gpkg().get_feature(from, fid)?.ok_or_else(|| {
            EditError::from(crate::gpkg::GpkgError::NoSuchFeature {
                path: path.clone(),
                layer: from.to_string(),
                fid,
            })
        })?;
        let geometry = match f.geometry {
            Some(mut g) => {
                if !transformer.is_identity() {
                    transformer.transform_geometry(&mut g)?;
                }
                Some(fit(&target, g).map_err(|detail| EditError::Feature {
                    path: path.clone(),
                    layer: from.to_string(),
                    fid,
                    detail: format!("cannot be pasted into '{to}': {detail}"),
                })?)
            }
            None => None,
        };
        let values = target
            .schema
            .fields
            .iter()
            .map(|tf| {
                source
                    .schema
                    .field_index(&tf.name)
                    .map_or(FieldValue::Null, |i| f.values[i].clone())
            })
            .collect();
        features.push(Feature::new(geometry, values));
    }
    let description = format!("Dán {} đối tượng từ {from} vào {to}", features.len());
    let (_, applied) = session.apply(&description, |tx| {
        for f in &features {
            tx.insert(to, f)?;
        }
        Ok(())
    })?;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_read_by_field_type_and_bad_ones_say_why() {
        assert_eq!(
            parse_value(FieldType::Integer, " 12 "),
            Ok(FieldValue::Integer(12))
        );
        assert_eq!(
            parse_value(FieldType::Real, "1,5"),
            Ok(FieldValue::Real(1.5))
        );
        assert_eq!(parse_value(FieldType::Real, ""), Ok(FieldValue::Null));
        assert!(
            parse_value(FieldType::Integer, "12a")
                .unwrap_err()
                .contains("12a")
        );
        assert!(parse_value(FieldType::Date, "2024-13-01").is_err());
        assert_eq!(
            parse_value(FieldType::Date, "2024-05-01"),
            Ok(FieldValue::Date("2024-05-01".into()))
        );
    }
}
