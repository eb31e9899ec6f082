//! Clip (QGIS native:clip): the input's features cut to the union of the
//! overlay's polygons, with the input's fields. Polygons and lines.

use geo::{BooleanOps, Intersects};
use geo_types::{Geometry, MultiLineString, MultiPolygon};

use super::dissolve::union_all;
use super::prepared::{Place, Prepared};
use super::{Output, input, parallel, polygonal, probe};
use crate::analysis::{AnalysisError, Result};
use crate::gpkg::GeoPackage;
use crate::jobs::Progress;
use crate::model::{Feature, GeometryType};

pub(super) fn run(
    gpkg: &GeoPackage,
    input: &str,
    overlay: &str,
    progress: &Progress,
) -> Result<Output> {
    let declared = gpkg.layer(input)?.schema.geometry_type;
    let polygons = input::is_polygonal(declared);
    let geometry_type = match declared.linear() {
        GeometryType::Polygon | GeometryType::MultiPolygon => GeometryType::MultiPolygon,
        GeometryType::LineString | GeometryType::MultiLineString => GeometryType::MultiLineString,
        GeometryType::Point | GeometryType::MultiPoint => GeometryType::MultiPoint,
        other => {
            return Err(AnalysisError::Layer {
                layer: input.to_string(),
                detail: format!(
                    "a {} layer; clip needs polygons, lines or points",
                    other.name()
                ),
            });
        }
    };
    let n_a = gpkg.count_features(input, None)?;
    let n_b = gpkg.count_features(overlay, None)?;
    progress.set_total(2 * n_a + 2 * n_b);
    let a = input::read(gpkg, input, None, polygons, progress)?;
    let b = input::read(gpkg, overlay, Some(&a.info.crs), true, progress)?;
    let parts: Vec<MultiPolygon<f64>> = b.items.iter().map(|i| i.polygons().clone()).collect();
    let mask = Prepared::new(union_all(parts, progress)?);
    progress.advance(n_b);
    let clipped = parallel::map(&a.items, progress, true, |item| {
        let place = mask.place(item.bbox, probe(&item.geometry));
        Ok(match place {
            Place::Outside => None,
            Place::Inside => Some(multi(item.geometry.clone())),
            Place::Boundary => cut(&mask.shape, &item.geometry),
        }
        .map(|g| Feature::new(Some(g), item.values.clone())))
    })?;
    Ok(Output {
        geometry_type,
        srs_id: a.info.schema.srs_id,
        fields: a.info.schema.fields.clone(),
        features: clipped.into_iter().flatten().collect(),
        repaired: a.repaired + b.repaired,
        reprojected: b.reprojected,
    })
}

/// A geometry as its multi type (the output column's).
fn multi(g: Geometry<f64>) -> Geometry<f64> {
    match g {
        Geometry::Polygon(p) => Geometry::MultiPolygon(MultiPolygon(vec![p])),
        Geometry::LineString(l) => Geometry::MultiLineString(MultiLineString(vec![l])),
        Geometry::Point(p) => Geometry::MultiPoint(geo_types::MultiPoint(vec![p])),
        other => other,
    }
}

/// The part of `g` inside `mask`; None when nothing (of its dimension) is.
fn cut(mask: &MultiPolygon<f64>, g: &Geometry<f64>) -> Option<Geometry<f64>> {
    match multi(g.clone()) {
        Geometry::MultiPolygon(mp) => polygonal(mp.intersection(mask)).map(Geometry::MultiPolygon),
        Geometry::MultiLineString(ml) => {
            let inside = mask.clip(&ml, false);
            (!inside.0.is_empty()).then_some(Geometry::MultiLineString(inside))
        }
        Geometry::MultiPoint(mp) => {
            let inside: Vec<_> = mp.0.into_iter().filter(|p| mask.intersects(p)).collect();
            (!inside.is_empty()).then_some(Geometry::MultiPoint(geo_types::MultiPoint(inside)))
        }
        _ => None,
    }
}
