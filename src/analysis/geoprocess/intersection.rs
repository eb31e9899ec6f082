//! A ∩ B (QGIS native:intersection): one feature per pair of an input and
//! an overlay feature whose overlap has an area, with the fields of both.

use geo::BooleanOps;
use geo_types::MultiPolygon;

use super::input::{self, Input};
use super::prepared::{Place, Prepared};
use super::{Output, fields, parallel, polygon_feature, polygonal, probe};
use crate::analysis::Result;
use crate::gpkg::GeoPackage;
use crate::jobs::Progress;
use crate::model::{FieldValue, GeometryType};

pub(super) fn run(
    gpkg: &GeoPackage,
    input: &str,
    overlay: &str,
    prefix: &str,
    progress: &Progress,
) -> Result<Output> {
    let (a, b) = input::read_two(gpkg, input, overlay, true, 1, progress)?;
    let fields = fields::combine(&a.info.schema.fields, &b.info.schema.fields, prefix);
    let prepared = prepare(&b, progress)?;
    let pairs = pairs(&a, &b, &prepared, progress)?;
    let features = pairs
        .into_iter()
        .map(|(mp, i, j)| {
            let mut values = a.items[i].values.clone();
            values.extend(b.items[j].values.iter().cloned());
            polygon_feature(mp, values)
        })
        .collect();
    Ok(Output {
        geometry_type: GeometryType::MultiPolygon,
        srs_id: a.info.schema.srs_id,
        fields,
        features,
        repaired: a.repaired + b.repaired,
        reprojected: b.reprojected,
    })
}

/// Each overlay feature prepared for point-in-polygon and boundary tests.
pub(super) fn prepare(b: &Input, progress: &Progress) -> Result<Vec<Prepared>> {
    parallel::map(&b.items, progress, false, |item| {
        Ok(Prepared::new(item.polygons().clone()))
    })
}

/// The overlaps (geometry, input index, overlay index) in input order,
/// then overlay order; advances `progress` by one per input feature.
pub(super) fn pairs(
    a: &Input,
    b: &Input,
    prepared: &[Prepared],
    progress: &Progress,
) -> Result<Vec<(MultiPolygon<f64>, usize, usize)>> {
    let index = super::box_index(&b.items);
    let indices: Vec<usize> = (0..a.items.len()).collect();
    let per_item = parallel::map(&indices, progress, true, |&i| {
        let item = &a.items[i];
        let mut out = Vec::new();
        for j in super::candidates(&index, item) {
            let piece = match prepared[j].place(item.bbox, probe(&item.geometry)) {
                Place::Outside => continue,
                Place::Inside => Some(item.polygons().clone()),
                Place::Boundary => polygonal(item.polygons().intersection(&prepared[j].shape)),
            };
            if let Some(piece) = piece {
                out.push((piece, i, j));
            }
        }
        Ok(out)
    })?;
    Ok(per_item.into_iter().flatten().collect())
}

/// Empty values for the fields of one side of a union.
pub(super) fn nulls(n: usize) -> Vec<FieldValue> {
    vec![FieldValue::Null; n]
}
