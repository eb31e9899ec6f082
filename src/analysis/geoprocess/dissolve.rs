//! Dissolve (QGIS native:dissolve): the features of one layer merged into
//! one feature per value of a field, or into one feature.

use std::collections::HashMap;

use geo::orient::{Direction, Orient};
use geo_types::MultiPolygon;

use super::{Output, input, parallel, polygon_feature, polygonal};
use crate::analysis::{AnalysisError, Result};
use crate::gpkg::GeoPackage;
use crate::jobs::Progress;
use crate::model::GeometryType;

/// Polygons merged per level of the union tree.
const GROUP: usize = 256;

pub(super) fn run(
    gpkg: &GeoPackage,
    layer: &str,
    field: Option<&str>,
    progress: &Progress,
) -> Result<Output> {
    let info = gpkg.layer(layer)?;
    let column = match field {
        Some(name) => {
            Some(
                info.schema
                    .field_index(name)
                    .ok_or_else(|| AnalysisError::NoField {
                        layer: layer.to_string(),
                        field: name.to_string(),
                    })?,
            )
        }
        None => None,
    };
    let n = gpkg.count_features(layer, None)?;
    progress.set_total(2 * n);
    let a = input::read(gpkg, layer, None, true, progress)?;
    // Groups in the order their first feature comes.
    let mut keys: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<(crate::model::FieldValue, Vec<MultiPolygon<f64>>)> = Vec::new();
    for item in &a.items {
        let value = column.map_or(crate::model::FieldValue::Null, |c| item.values[c].clone());
        let key = format!("{value:?}");
        let g = *keys.entry(key).or_insert_with(|| {
            groups.push((value, Vec::new()));
            groups.len() - 1
        });
        groups[g].1.push(item.polygons().clone());
    }
    let mut features = Vec::with_capacity(groups.len());
    for (value, parts) in groups {
        let count = parts.len() as u64;
        let merged = union_all(parts, progress)?;
        progress.advance(count);
        if let Some(mp) = polygonal(merged) {
            let values = if column.is_some() {
                vec![value]
            } else {
                vec![]
            };
            features.push(polygon_feature(mp, values));
        }
    }
    let fields = column.map_or_else(Vec::new, |c| vec![a.info.schema.fields[c].clone()]);
    Ok(Output {
        geometry_type: GeometryType::MultiPolygon,
        srs_id: a.info.schema.srs_id,
        fields,
        features,
        repaired: a.repaired,
        reprojected: false,
    })
}

/// The union of many polygons, merged in groups on every core, level by
/// level (one union of a million parcels is far slower than a tree).
pub(super) fn union_all(
    parts: Vec<MultiPolygon<f64>>,
    progress: &Progress,
) -> Result<MultiPolygon<f64>> {
    // unary_union takes its fill rule from the first ring's winding: one
    // orientation for all.
    let mut level: Vec<MultiPolygon<f64>> = parallel::map(&parts, progress, false, |mp| {
        Ok(mp.orient(Direction::Default))
    })?;
    while level.len() > 1 {
        let groups: Vec<&[MultiPolygon<f64>]> = level.chunks(GROUP).collect();
        level = parallel::map_in_chunks(&groups, 1, progress, false, |g| {
            Ok(geo::unary_union(g.iter()).orient(Direction::Default))
        })?;
    }
    Ok(level.pop().unwrap_or_else(|| MultiPolygon(vec![])))
}
