//! Merge selected polygons into one ("Gộp 3 thửa"). The result must fit the
//! layer's column: a POLYGON column cannot take parcels that do not touch
//! (their union is several parts), which is refused with a clear error.
//! The largest part keeps its fid; the values follow the merge policies.

use geo::Area;
use geo_types::{Geometry, MultiPolygon, Polygon};

use super::gdal_ops;
use super::{area_m2, fit_to_column, noun, still_as_read};
use crate::edit::policy::{self, Operation};
use crate::edit::{Applied, EditError, EditSession};
use crate::model::{Feature, GeometryType};

/// The union of polygons, as its separate parts (largest first).
pub fn union_polygons(parts: &[Geometry<f64>]) -> Result<Vec<Polygon<f64>>, String> {
    let mut iter = parts.iter();
    let Some(first) = iter.next() else {
        return Ok(Vec::new());
    };
    let mut acc = gdal_ops::to_ogr(first)?;
    for g in iter {
        acc = gdal_ops::union(&acc, &gdal_ops::to_ogr(g)?)?;
    }
    let merged = acc.to_geo().map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    collect(merged, &mut out);
    out.sort_by(|a, b| b.unsigned_area().total_cmp(&a.unsigned_area()));
    Ok(out)
}

fn collect(g: Geometry<f64>, out: &mut Vec<Polygon<f64>>) {
    match g {
        Geometry::Polygon(p) => out.push(p),
        Geometry::MultiPolygon(m) => out.extend(m.0),
        Geometry::GeometryCollection(c) => c.0.into_iter().for_each(|g| collect(g, out)),
        _ => {}
    }
}

pub fn merge(session: &mut EditSession, layer: &str, fids: &[i64]) -> Result<Applied, EditError> {
    let path = session.path().to_path_buf();
    let info = session.gpkg().layer(layer)?;
    if fids.len() < 2 {
        return Err(EditError::Layer {
            path,
            layer: layer.to_string(),
            detail: "select at least two features to merge".into(),
        });
    }
    let policies = policy::load(session.gpkg().connection(), &path, &info, Operation::Merge)?;
    let mut features: Vec<(Feature, f64)> = Vec::new();
    for &fid in fids {
        let f = session.gpkg().get_feature(layer, fid)?.ok_or_else(|| {
            EditError::from(crate::gpkg::GpkgError::NoSuchFeature {
                path: path.clone(),
                layer: layer.to_string(),
                fid,
            })
        })?;
        let Some(g) = &f.geometry else {
            return Err(EditError::Feature {
                path,
                layer: layer.to_string(),
                fid,
                detail: "has no geometry to merge".into(),
            });
        };
        if !matches!(g, Geometry::Polygon(_) | Geometry::MultiPolygon(_)) {
            return Err(EditError::Feature {
                path,
                layer: layer.to_string(),
                fid,
                detail: "only polygons can be merged".into(),
            });
        }
        let area = area_m2(&info, &path, g)?;
        features.push((f, area));
    }
    let geometries: Vec<Geometry<f64>> = features
        .iter()
        .filter_map(|(f, _)| f.geometry.clone())
        .collect();
    let parts = union_polygons(&geometries).map_err(|detail| EditError::Layer {
        path: path.clone(),
        layer: layer.to_string(),
        detail,
    })?;
    let merged = if parts.len() == 1 {
        Geometry::Polygon(parts[0].clone())
    } else {
        Geometry::MultiPolygon(MultiPolygon(parts.clone()))
    };
    let geometry = fit_to_column(merged, info.schema.geometry_type).ok_or_else(|| {
        EditError::Layer {
            path: path.clone(),
            layer: layer.to_string(),
            detail: format!(
                "features {fids:?} do not touch: their union has {} separate parts, which the {} column '{}' cannot hold as one feature; merge features that share an edge{}",
                parts.len(),
                info.schema.geometry_type.name(),
                info.schema.geometry_column,
                if info.schema.geometry_type == GeometryType::Polygon {
                    " (or use a MULTIPOLYGON layer)"
                } else {
                    ""
                }
            ),
        }
    })?;
    let merged_area = area_m2(&info, &path, &geometry)?;
    let (keep, _) = features
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .expect("at least two features");
    let keep_fid = keep.fid.unwrap_or_default();
    let inputs: Vec<(&[crate::model::FieldValue], f64)> = features
        .iter()
        .map(|(f, a)| (f.values.as_slice(), *a))
        .collect();
    let values = policy::merge_values(&policies, &info, &inputs, merged_area);
    let description = format!("Gộp {} {}", fids.len(), noun(&info));
    let (_, applied) = session.apply(&description, |tx| {
        for (f, _) in &features {
            still_as_read(tx, layer, f)?;
        }
        let mut out = Feature::new(Some(geometry.clone()), values.clone());
        out.fid = Some(keep_fid);
        tx.update(layer, &out)?;
        for &fid in fids.iter().filter(|&&f| f != keep_fid) {
            tx.delete(layer, fid)?;
        }
        Ok(())
    })?;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::LineString;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Geometry<f64> {
        Geometry::Polygon(Polygon::new(
            LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
            vec![],
        ))
    }

    #[test]
    fn touching_squares_merge_into_one_polygon_and_apart_ones_into_two() {
        let one = union_polygons(&[rect(0.0, 0.0, 5.0, 5.0), rect(5.0, 0.0, 10.0, 5.0)]).unwrap();
        assert_eq!(one.len(), 1);
        assert!((one[0].unsigned_area() - 50.0).abs() < 1e-9);
        let two = union_polygons(&[rect(0.0, 0.0, 5.0, 5.0), rect(6.0, 0.0, 10.0, 5.0)]).unwrap();
        assert_eq!(two.len(), 2);
    }
}
