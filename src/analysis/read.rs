//! Reading polygon layers for overlays: one pass over the layer, only the
//! fields asked for, geometries as multipolygons in the working CRS.

use std::ops::ControlFlow;

use geo_types::{Geometry, MultiPolygon};

use super::{AnalysisError, Result};
use crate::crs::{Crs, Transformer};
use crate::gpkg::{GeoPackage, LayerInfo, Query};
use crate::jobs::{Cancelled, Progress};
use crate::model::FieldValue;

/// One polygon feature: its id, the values of the fields asked for (in
/// that order) and its geometry.
#[derive(Debug, Clone)]
pub struct PolygonRow {
    pub fid: i64,
    pub values: Vec<FieldValue>,
    pub geometry: MultiPolygon<f64>,
}

/// The CRS areas are measured in for a layer: its own when projected, the
/// province's VN-2000 zone (EPSG:9214) when it is longitude/latitude.
pub fn working_crs(info: &LayerInfo) -> Crs {
    if info.crs.is_geographic() {
        Crs::Epsg(crate::crs::VN2000_TM3_107)
    } else {
        info.crs.clone()
    }
}

/// The indexes of `fields` in the layer, or the error naming the missing one.
pub fn field_indexes(info: &LayerInfo, fields: &[&str]) -> Result<Vec<usize>> {
    fields
        .iter()
        .map(|name| {
            info.schema
                .field_index(name)
                .ok_or_else(|| AnalysisError::NoField {
                    layer: info.name.clone(),
                    field: name.to_string(),
                })
        })
        .collect()
}

/// Reads every polygon of `layer` (those meeting `bbox`, in the layer's
/// CRS, when given) with the values of `fields`, in `crs`.
/// Features without a geometry, or with an empty one, are skipped and
/// counted in the second return value. A non-polygon geometry is an error
/// naming the layer and fid. Advances `progress` by one per feature and
/// stops with `Cancelled` soon after it is cancelled.
pub fn read_polygons(
    gpkg: &GeoPackage,
    layer: &str,
    fields: &[&str],
    crs: &Crs,
    bbox: Option<geo_types::Rect<f64>>,
    progress: &Progress,
) -> Result<(Vec<PolygonRow>, u64)> {
    let info = gpkg.layer(layer)?;
    let indexes = field_indexes(&info, fields)?;
    let transformer = if info.crs != *crs && info.crs.is_defined() && crs.is_defined() {
        Some(Transformer::between(&info.crs, crs).map_err(crate::gpkg::GpkgError::from)?)
    } else {
        None
    };
    let mut rows = Vec::new();
    let mut skipped = 0u64;
    let mut failure: Option<AnalysisError> = None;
    let mut seen = 0u64;
    let query = Query {
        bbox,
        ..Query::default()
    };
    gpkg.read_features(layer, &query, |f| {
        seen += 1;
        if seen.is_multiple_of(4096) {
            progress.advance(4096);
            if progress.is_cancelled() {
                failure = Some(Cancelled.into());
                return ControlFlow::Break(());
            }
        }
        let fid = f.fid.unwrap_or(0);
        let mut geometry = match f.geometry {
            Some(Geometry::Polygon(p)) => MultiPolygon(vec![p]),
            Some(Geometry::MultiPolygon(mp)) => mp,
            None => {
                skipped += 1;
                return ControlFlow::Continue(());
            }
            Some(other) => {
                failure = Some(AnalysisError::Layer {
                    layer: layer.to_string(),
                    detail: format!(
                        "feature {fid}: a {} where a polygon is needed",
                        geometry_name(&other)
                    ),
                });
                return ControlFlow::Break(());
            }
        };
        if geometry.0.is_empty() {
            skipped += 1;
            return ControlFlow::Continue(());
        }
        if let Some(t) = &transformer {
            let mut g = Geometry::MultiPolygon(geometry);
            if let Err(e) = t.transform_geometry(&mut g) {
                failure = Some(AnalysisError::Layer {
                    layer: layer.to_string(),
                    detail: format!("feature {fid}: {e}"),
                });
                return ControlFlow::Break(());
            }
            let Geometry::MultiPolygon(back) = g else {
                unreachable!("transforming keeps the geometry type")
            };
            geometry = back;
        }
        let values = indexes.iter().map(|&i| f.values[i].clone()).collect();
        rows.push(PolygonRow {
            fid,
            values,
            geometry,
        });
        ControlFlow::Continue(())
    })?;
    progress.advance(seen % 4096);
    if let Some(e) = failure {
        return Err(e);
    }
    Ok((rows, skipped))
}

fn geometry_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "point",
        Geometry::MultiPoint(_) => "multipoint",
        Geometry::Line(_) | Geometry::LineString(_) => "line",
        Geometry::MultiLineString(_) => "multiline",
        Geometry::GeometryCollection(_) => "geometry collection",
        _ => "non-polygon geometry",
    }
}

/// A value as the text key it is grouped by (NULL is the empty text).
pub fn text_key(v: &FieldValue) -> String {
    match v {
        FieldValue::Null => String::new(),
        FieldValue::Text(s) => s.trim().to_string(),
        other => other.to_string(),
    }
}
