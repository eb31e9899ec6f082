//! Join attributes by location (QGIS native:joinattributesbylocation, one
//! to one, with the counts and sums of native:joinbylocationsummary): each
//! input feature gets the fields of the first join feature (lowest fid)
//! that meets the predicate, the number of those that do, and the sums of
//! their numeric fields.

use geo::Relate;
use geo_types::Geometry;

use super::input::{self, Input};
use super::prepared::{Place, Prepared};
use super::{Output, Predicate, fields, parallel, probe};
use crate::analysis::Result;
use crate::gpkg::GeoPackage;
use crate::jobs::Progress;
use crate::model::{Feature, Field, FieldType, FieldValue, GeometryType};

/// Which side's polygons are prepared for the quick inside/outside test.
enum Prepared2 {
    Input(Vec<Prepared>),
    Join(Vec<Prepared>),
    Neither,
}

pub(super) fn run(
    gpkg: &GeoPackage,
    input: &str,
    join: &str,
    predicate: Predicate,
    prefix: &str,
    progress: &Progress,
) -> Result<Output> {
    let (mut a, b) = input::read_two(gpkg, input, join, false, 1, progress)?;
    let a_polygons = input::is_polygonal(a.info.schema.geometry_type) && all_polygons(&mut a);
    let mut b = b;
    let b_polygons = input::is_polygonal(b.info.schema.geometry_type) && all_polygons(&mut b);
    // Contains tests join features against an input polygon, within an
    // input feature against a join polygon; intersects either way, the
    // smaller layer prepared.
    let prepare_input = match predicate {
        Predicate::Contains => a_polygons,
        Predicate::Within => false,
        Predicate::Intersects => a_polygons && (!b_polygons || a.items.len() < b.items.len()),
    };
    let prepared = if prepare_input {
        Prepared2::Input(super::intersection::prepare(&a, progress)?)
    } else if b_polygons && predicate != Predicate::Contains {
        Prepared2::Join(super::intersection::prepare(&b, progress)?)
    } else {
        Prepared2::Neither
    };
    let numeric: Vec<usize> = (b.info.schema.fields.iter().enumerate())
        .filter(|(_, f)| matches!(f.field_type, FieldType::Integer | FieldType::Real))
        .map(|(k, _)| k)
        .collect();
    let mut out_fields = fields::combine(&a.info.schema.fields, &b.info.schema.fields, prefix);
    fields::push_unique(
        &mut out_fields,
        Field::new("join_count", FieldType::Integer),
    );
    for &k in &numeric {
        let name = format!("{}_sum", b.info.schema.fields[k].name);
        fields::push_unique(&mut out_fields, Field::new(&name, FieldType::Real));
    }
    let index = super::box_index(&b.items);
    let n_b = b.info.schema.fields.len();
    let indices: Vec<usize> = (0..a.items.len()).collect();
    let features = parallel::map(&indices, progress, true, |&i| {
        let item = &a.items[i];
        let matches: Vec<usize> = super::candidates(&index, item)
            .into_iter()
            .filter(|&j| holds(predicate, &a, i, &b, j, &prepared))
            .collect();
        let mut values = item.values.clone();
        match matches.iter().min_by_key(|&&j| b.items[j].fid) {
            Some(&j) => values.extend(b.items[j].values.iter().cloned()),
            None => values.extend(std::iter::repeat_n(FieldValue::Null, n_b)),
        }
        values.push(FieldValue::Integer(matches.len() as i64));
        for &k in &numeric {
            let present: Vec<f64> = matches
                .iter()
                .filter_map(|&j| b.items[j].values[k].as_f64())
                .collect();
            values.push(if present.is_empty() {
                FieldValue::Null
            } else {
                FieldValue::Real(present.iter().sum())
            });
        }
        Ok(Feature::new(Some(item.geometry.clone()), values))
    })?;
    let geometry_type = if a_polygons {
        GeometryType::MultiPolygon
    } else {
        a.info.schema.geometry_type.linear()
    };
    Ok(Output {
        geometry_type,
        srs_id: a.info.schema.srs_id,
        fields: out_fields,
        features,
        repaired: a.repaired + b.repaired,
        reprojected: b.reprojected,
    })
}

/// Turns every geometry into a multi-polygon; false (and nothing changed
/// for the rest) when one is not polygonal.
fn all_polygons(layer: &mut Input) -> bool {
    if !layer
        .items
        .iter()
        .all(|i| matches!(i.geometry, Geometry::Polygon(_) | Geometry::MultiPolygon(_)))
    {
        return false;
    }
    for item in &mut layer.items {
        if let Geometry::Polygon(p) = &item.geometry {
            item.geometry = Geometry::MultiPolygon(geo_types::MultiPolygon(vec![p.clone()]));
        }
    }
    true
}

/// Whether input feature `i` and join feature `j` meet the predicate: the
/// prepared side settles features wholly inside or outside it, the full
/// relate (DE-9IM) the rest.
fn holds(
    predicate: Predicate,
    a: &Input,
    i: usize,
    b: &Input,
    j: usize,
    prepared: &Prepared2,
) -> bool {
    let (fa, fb) = (&a.items[i], &b.items[j]);
    let place = match prepared {
        // Where the join feature lies in the input polygon.
        Prepared2::Input(p) => Some((p[i].place(fb.bbox, probe(&fb.geometry)), true)),
        // Where the input feature lies in the join polygon.
        Prepared2::Join(p) => Some((p[j].place(fa.bbox, probe(&fa.geometry)), false)),
        Prepared2::Neither => None,
    };
    match (place, predicate) {
        (Some((Place::Outside, _)), _) => return false,
        (Some((Place::Inside, _)), Predicate::Intersects) => return true,
        (Some((Place::Inside, true)), Predicate::Contains) => return true,
        (Some((Place::Inside, false)), Predicate::Within) => return true,
        _ => {}
    }
    let m = fa.geometry.relate(&fb.geometry);
    match predicate {
        Predicate::Intersects => m.is_intersects(),
        Predicate::Contains => m.is_contains(),
        Predicate::Within => m.is_within(),
    }
}
