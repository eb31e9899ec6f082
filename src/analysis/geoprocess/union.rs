//! A ∪ B (QGIS native:union with an overlay): the overlaps with the fields
//! of both, the rest of each input feature with empty overlay fields, and
//! the rest of each overlay feature with empty input fields.

use super::intersection::{nulls, pairs, prepare};
use super::{Output, difference::remainders, fields, input, polygon_feature};
use crate::analysis::Result;
use crate::gpkg::GeoPackage;
use crate::jobs::Progress;
use crate::model::GeometryType;

pub(super) fn run(
    gpkg: &GeoPackage,
    input: &str,
    overlay: &str,
    prefix: &str,
    progress: &Progress,
) -> Result<Output> {
    let (a, b) = input::read_two(gpkg, input, overlay, true, 2, progress)?;
    progress.set_total(progress.get().1 + b.items.len() as u64);
    let fields = fields::combine(&a.info.schema.fields, &b.info.schema.fields, prefix);
    let (n_a, n_b) = (a.info.schema.fields.len(), b.info.schema.fields.len());
    let prepared_b = prepare(&b, progress)?;
    let prepared_a = prepare(&a, progress)?;
    let mut features = Vec::new();
    for (mp, i, j) in pairs(&a, &b, &prepared_b, progress)? {
        let mut values = a.items[i].values.clone();
        values.extend(b.items[j].values.iter().cloned());
        features.push(polygon_feature(mp, values));
    }
    for (mp, i) in remainders(&a, &b, &prepared_b, progress)? {
        let mut values = a.items[i].values.clone();
        values.extend(nulls(n_b));
        features.push(polygon_feature(mp, values));
    }
    for (mp, j) in remainders(&b, &a, &prepared_a, progress)? {
        let mut values = nulls(n_a);
        values.extend(b.items[j].values.iter().cloned());
        features.push(polygon_feature(mp, values));
    }
    Ok(Output {
        geometry_type: GeometryType::MultiPolygon,
        srs_id: a.info.schema.srs_id,
        fields,
        features,
        repaired: a.repaired + b.repaired,
        reprojected: b.reprojected,
    })
}
