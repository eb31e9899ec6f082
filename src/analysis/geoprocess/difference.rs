//! A − B (QGIS native:difference): each input feature less every overlay
//! feature it overlaps; features left with no area are dropped.

use geo::BooleanOps;
use geo_types::MultiPolygon;

use super::input::{self, Input};
use super::prepared::{Place, Prepared};
use super::{Output, parallel, polygon_feature, polygonal, probe};
use crate::analysis::Result;
use crate::gpkg::GeoPackage;
use crate::jobs::Progress;
use crate::model::GeometryType;

pub(super) fn run(
    gpkg: &GeoPackage,
    input: &str,
    overlay: &str,
    progress: &Progress,
) -> Result<Output> {
    let (a, b) = input::read_two(gpkg, input, overlay, true, 1, progress)?;
    let prepared = super::intersection::prepare(&b, progress)?;
    let features = remainders(&a, &b, &prepared, progress)?
        .into_iter()
        .map(|(mp, i)| polygon_feature(mp, a.items[i].values.clone()))
        .collect();
    Ok(Output {
        geometry_type: GeometryType::MultiPolygon,
        srs_id: a.info.schema.srs_id,
        fields: a.info.schema.fields.clone(),
        features,
        repaired: a.repaired + b.repaired,
        reprojected: b.reprojected,
    })
}

/// What is left of each input feature outside the overlay features
/// (geometry, input index), in input order.
pub(super) fn remainders(
    a: &Input,
    b: &Input,
    prepared: &[Prepared],
    progress: &Progress,
) -> Result<Vec<(MultiPolygon<f64>, usize)>> {
    let index = super::box_index(&b.items);
    let indices: Vec<usize> = (0..a.items.len()).collect();
    let left = parallel::map(&indices, progress, true, |&i| {
        let item = &a.items[i];
        let mut rest = item.polygons().clone();
        for j in super::candidates(&index, item) {
            match prepared[j].place(item.bbox, probe(&item.geometry)) {
                Place::Outside => {}
                Place::Inside => return Ok(None),
                Place::Boundary => match polygonal(rest.difference(&prepared[j].shape)) {
                    Some(r) => rest = r,
                    None => return Ok(None),
                },
            }
        }
        Ok(Some((rest, i)))
    })?;
    Ok(left.into_iter().flatten().collect())
}
