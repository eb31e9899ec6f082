//! Centroids (QGIS native:centroids): the centre of mass of each feature
//! (of its polygons, else its lines, else its points), with its fields.

use geo::Centroid;
use geo_types::Geometry;

use super::{Output, input, parallel};
use crate::analysis::Result;
use crate::gpkg::GeoPackage;
use crate::jobs::Progress;
use crate::model::{Feature, GeometryType};

pub(super) fn run(gpkg: &GeoPackage, layer: &str, progress: &Progress) -> Result<Output> {
    progress.set_total(2 * gpkg.count_features(layer, None)?);
    let a = input::read(gpkg, layer, None, false, progress)?;
    let points = parallel::map(&a.items, progress, true, |item| {
        Ok(item
            .geometry
            .centroid()
            .map(|p| Feature::new(Some(Geometry::Point(p)), item.values.clone())))
    })?;
    Ok(Output {
        geometry_type: GeometryType::Point,
        srs_id: a.info.schema.srs_id,
        fields: a.info.schema.fields.clone(),
        features: points.into_iter().flatten().collect(),
        repaired: a.repaired,
        reprojected: false,
    })
}
