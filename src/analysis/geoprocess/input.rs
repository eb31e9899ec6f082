//! Reading a tool's input layer: every feature with a geometry, moved into
//! the first input's CRS when it is in another, polygons repaired when they
//! are invalid (as QGIS's "invalid features: try to fix" does).

use std::ops::ControlFlow;

use geo::{BoundingRect, Validation};
use geo_types::{Geometry, MultiPolygon, Rect};

use super::check_cancel;
use crate::analysis::{AnalysisError, Result};
use crate::crs::{Crs, Transformer};
use crate::gpkg::{GeoPackage, LayerInfo, Query};
use crate::jobs::Progress;
use crate::model::{FieldValue, GeometryType};

/// One feature of an input layer.
pub(super) struct Item {
    pub fid: i64,
    pub geometry: Geometry<f64>,
    pub values: Vec<FieldValue>,
    pub bbox: Rect<f64>,
}

impl Item {
    /// The polygons of a polygonal item (read with `polygons: true`).
    pub fn polygons(&self) -> &MultiPolygon<f64> {
        match &self.geometry {
            Geometry::MultiPolygon(mp) => mp,
            _ => unreachable!("polygonal inputs are read as multi-polygons"),
        }
    }
}

pub(super) struct Input {
    pub info: LayerInfo,
    pub items: Vec<Item>,
    /// Invalid polygons that were repaired.
    pub repaired: u64,
    /// Whether the layer was reprojected.
    pub reprojected: bool,
}

/// What a layer's declared geometry type holds.
pub(super) fn is_polygonal(t: GeometryType) -> bool {
    matches!(
        t.linear(),
        GeometryType::Polygon | GeometryType::MultiPolygon
    )
}

/// Reads `layer`; `to`: the CRS to move it into; `polygons`: every
/// geometry must be a (multi-)polygon and is read as a multi-polygon.
/// Advances `progress` by one per feature.
pub(super) fn read(
    gpkg: &GeoPackage,
    layer: &str,
    to: Option<&Crs>,
    polygons: bool,
    progress: &Progress,
) -> Result<Input> {
    let info = gpkg.layer(layer)?;
    let bad = |detail: String| AnalysisError::Layer {
        layer: layer.to_string(),
        detail,
    };
    if info.is_attributes() {
        return Err(bad("an attribute table, not a feature layer".into()));
    }
    let declared = info.schema.geometry_type;
    if polygons && !is_polygonal(declared) && declared != GeometryType::Geometry {
        return Err(bad(format!(
            "a {} layer; this tool needs polygons",
            declared.name()
        )));
    }
    let transformer = match to {
        Some(to) if *to != info.crs => Some(
            Transformer::between(&info.crs, to)
                .map_err(|e| bad(format!("cannot be reprojected: {e}")))?,
        ),
        _ => None,
    };
    let transformer = transformer.filter(|t| !t.is_identity());
    let mut items = Vec::new();
    let mut failure: Option<AnalysisError> = None;
    gpkg.read_features(layer, &Query::default(), |f| {
        progress.advance(1);
        if items.len() % 4096 == 0
            && let Err(e) = check_cancel(progress)
        {
            failure = Some(e);
            return ControlFlow::Break(());
        }
        let fid = f.fid.unwrap_or(-1);
        let Some(mut geometry) = f.geometry else {
            return ControlFlow::Continue(());
        };
        if let Some(t) = &transformer
            && let Err(e) = t.transform_geometry(&mut geometry)
        {
            failure = Some(bad(format!("fid {fid}: {e}")));
            return ControlFlow::Break(());
        }
        if polygons {
            match as_polygons(geometry) {
                Some(mp) => geometry = Geometry::MultiPolygon(mp),
                None => {
                    failure = Some(bad(format!("fid {fid}: not a polygon")));
                    return ControlFlow::Break(());
                }
            }
        }
        let Some(bbox) = geometry.bounding_rect() else {
            return ControlFlow::Continue(()); // an empty geometry
        };
        items.push(Item {
            fid,
            geometry,
            values: f.values,
            bbox,
        });
        ControlFlow::Continue(())
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    let repaired = repair_all(layer, &mut items, progress)?;
    Ok(Input {
        info,
        items,
        repaired,
        reprojected: transformer.is_some(),
    })
}

/// A polygon, a multi-polygon or a collection of them as one multi-polygon.
pub(super) fn as_polygons(g: Geometry<f64>) -> Option<MultiPolygon<f64>> {
    match g {
        Geometry::Polygon(p) => Some(MultiPolygon(vec![p])),
        Geometry::MultiPolygon(mp) => Some(mp),
        Geometry::Rect(r) => Some(MultiPolygon(vec![r.to_polygon()])),
        Geometry::Triangle(t) => Some(MultiPolygon(vec![t.to_polygon()])),
        Geometry::GeometryCollection(gc) => {
            let mut out = Vec::new();
            for g in gc.0 {
                out.extend(as_polygons(g)?.0);
            }
            Some(MultiPolygon(out))
        }
        _ => None,
    }
}

/// Repairs invalid polygons in place (both cores); an invalid polygon that
/// cannot be repaired is an error naming its fid.
fn repair_all(layer: &str, items: &mut [Item], progress: &Progress) -> Result<u64> {
    let invalid = super::parallel::map(items, progress, false, |item| {
        Ok(match &item.geometry {
            Geometry::MultiPolygon(mp) => !mp.is_valid(),
            Geometry::Polygon(p) => !p.is_valid(),
            _ => false,
        })
    })?;
    let options = crate::edit::check::CheckOptions::new(layer);
    let mut repaired = 0;
    for (item, invalid) in items.iter_mut().zip(invalid) {
        if !invalid {
            continue;
        }
        let Some(mp) = as_polygons(item.geometry.clone()) else {
            continue;
        };
        let fixed = crate::edit::check::fixes::make_valid(&mp, &options).map_err(|detail| {
            AnalysisError::Layer {
                layer: layer.to_string(),
                detail: format!(
                    "fid {}: invalid geometry that cannot be repaired: {detail}",
                    item.fid
                ),
            }
        })?;
        item.geometry = Geometry::MultiPolygon(fixed);
        repaired += 1;
    }
    Ok(repaired)
}

/// Reads an input and an overlay layer (moved into the input's CRS), both
/// polygonal when `polygons`; sets the progress total to both reads plus
/// `passes` passes over the input.
pub(super) fn read_two(
    gpkg: &GeoPackage,
    input: &str,
    overlay: &str,
    polygons: bool,
    passes: u64,
    progress: &Progress,
) -> Result<(Input, Input)> {
    let n_a = gpkg.count_features(input, None)?;
    let n_b = gpkg.count_features(overlay, None)?;
    progress.set_total(n_a * (1 + passes) + n_b);
    let a = read(gpkg, input, None, polygons, progress)?;
    let b = read(gpkg, overlay, Some(&a.info.crs), polygons, progress)?;
    Ok((a, b))
}
