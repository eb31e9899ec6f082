//! Split polygons and lines by a drawn line. The parts' attributes follow
//! the layer's field policies (areas recomputed by default); the largest
//! part keeps the feature's fid, the others are new features.

use geo::{Area, Contains, InteriorPoint};
use geo_types::{Coord, Geometry, Line, LineString, MultiLineString, Polygon};

use super::gdal_ops;
use super::{area_m2, feature_label, fit_to_column, noun, still_as_read};
use crate::edit::policy::{self, Operation};
use crate::edit::{Applied, EditError, EditSession};
use crate::model::Feature;

/// The parts of `polygon` on either side of `cut`: its rings and the line
/// are noded together and polygonized, and the faces inside the polygon
/// (not in its holes) kept. One part when the line does not cross it.
pub fn split_polygon(
    polygon: &Polygon<f64>,
    cut: &LineString<f64>,
) -> Result<Vec<Polygon<f64>>, String> {
    let rings = MultiLineString(
        std::iter::once(polygon.exterior().clone())
            .chain(polygon.interiors().iter().cloned())
            .collect(),
    );
    let noded = gdal_ops::union(
        &gdal_ops::to_ogr(&Geometry::MultiLineString(rings))?,
        &gdal_ops::to_ogr(&Geometry::LineString(cut.clone()))?,
    )?;
    let faces = match gdal_ops::polygonize(&noded)? {
        Geometry::GeometryCollection(c) => c.0,
        g => vec![g],
    };
    let mut parts: Vec<Polygon<f64>> = faces
        .into_iter()
        .filter_map(|g| match g {
            Geometry::Polygon(p) => Some(p),
            _ => None,
        })
        .filter(|face| {
            face.interior_point()
                .is_some_and(|pt| polygon.contains(&pt))
        })
        .collect();
    if parts.len() <= 1 {
        return Ok(vec![polygon.clone()]);
    }
    parts.sort_by(|a, b| b.unsigned_area().total_cmp(&a.unsigned_area()));
    Ok(parts)
}

/// The pieces of `line` between the points where `cut` crosses it.
pub fn split_line(line: &LineString<f64>, cut: &LineString<f64>) -> Vec<LineString<f64>> {
    use geo::line_intersection::{LineIntersection, line_intersection};
    let mut pieces = Vec::new();
    let mut current: Vec<Coord<f64>> = Vec::new();
    for seg in line.lines() {
        if current.is_empty() {
            current.push(seg.start);
        }
        // Where the cut crosses this segment, ordered along it.
        let mut at: Vec<(f64, Coord<f64>)> = cut
            .lines()
            .filter_map(|c| match line_intersection(seg, c) {
                Some(LineIntersection::SinglePoint { intersection, .. }) => Some(intersection),
                _ => None,
            })
            .map(|p| (param(seg, p), p))
            .filter(|(t, _)| *t > 1e-12 && *t < 1.0 - 1e-12)
            .collect();
        at.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (_, p) in at {
            current.push(p);
            pieces.push(LineString(std::mem::take(&mut current)));
            current.push(p);
        }
        current.push(seg.end);
    }
    if current.len() >= 2 {
        pieces.push(LineString(current));
    }
    pieces
}

fn param(seg: Line<f64>, p: Coord<f64>) -> f64 {
    let d = seg.delta();
    let len2 = d.x * d.x + d.y * d.y;
    if len2 == 0.0 {
        0.0
    } else {
        ((p.x - seg.start.x) * d.x + (p.y - seg.start.y) * d.y) / len2
    }
}

/// The parts of a feature's geometry, as geometries of their own.
fn parts_of(g: &Geometry<f64>, cut: &LineString<f64>) -> Result<Vec<Geometry<f64>>, String> {
    Ok(match g {
        Geometry::Polygon(p) => split_polygon(p, cut)?
            .into_iter()
            .map(Geometry::Polygon)
            .collect(),
        Geometry::MultiPolygon(m) => {
            let mut out = Vec::new();
            for p in &m.0 {
                out.extend(split_polygon(p, cut)?.into_iter().map(Geometry::Polygon));
            }
            out
        }
        Geometry::LineString(l) => split_line(l, cut)
            .into_iter()
            .map(Geometry::LineString)
            .collect(),
        Geometry::MultiLineString(m) => {
            m.0.iter()
                .flat_map(|l| split_line(l, cut))
                .map(Geometry::LineString)
                .collect()
        }
        other => vec![other.clone()],
    })
}

/// Splits the features `fids` of `layer` by `cut`, as one operation
/// ("Tách thửa 123 thành 2"). Features the line does not cross are left
/// alone; none crossed is an error.
pub fn split(
    session: &mut EditSession,
    layer: &str,
    fids: &[i64],
    cut: &LineString<f64>,
) -> Result<Applied, EditError> {
    let path = session.path().to_path_buf();
    let info = session.gpkg().layer(layer)?;
    let policies = policy::load(session.gpkg().connection(), &path, &info, Operation::Split)?;
    // Work out the parts before the transaction: the description names them.
    let mut plans: Vec<(Feature, Vec<Geometry<f64>>)> = Vec::new();
    for &fid in fids {
        let feature = session.gpkg().get_feature(layer, fid)?.ok_or_else(|| {
            EditError::from(crate::gpkg::GpkgError::NoSuchFeature {
                path: path.clone(),
                layer: layer.to_string(),
                fid,
            })
        })?;
        let Some(g) = &feature.geometry else { continue };
        let parts = parts_of(g, cut).map_err(|detail| EditError::Feature {
            path: path.clone(),
            layer: layer.to_string(),
            fid,
            detail,
        })?;
        let original_parts = match g {
            Geometry::MultiPolygon(m) => m.0.len(),
            Geometry::MultiLineString(m) => m.0.len(),
            _ => 1,
        };
        if parts.len() > original_parts {
            plans.push((feature, parts));
        }
    }
    if plans.is_empty() {
        return Err(EditError::Layer {
            path,
            layer: layer.to_string(),
            detail: format!("the line does not cut feature(s) {fids:?}; nothing was split"),
        });
    }
    let pieces: usize = plans.iter().map(|p| p.1.len()).sum();
    let description = match plans.as_slice() {
        [(f, _)] => format!(
            "Tách {} {} thành {pieces}",
            noun(&info),
            feature_label(&info, f)
        ),
        _ => format!("Tách {} {} thành {pieces}", plans.len(), noun(&info)),
    };
    let mut measured = Vec::new();
    for (feature, parts) in &plans {
        let whole = match &feature.geometry {
            Some(g) => area_m2(&info, &path, g)?,
            None => 0.0,
        };
        let areas = parts
            .iter()
            .map(|p| area_m2(&info, &path, p))
            .collect::<Result<Vec<_>, _>>()?;
        measured.push((whole, areas));
    }
    let (_, applied) =
        session.apply(&description, |tx| {
            for ((feature, parts), (whole, areas)) in plans.iter().zip(&measured) {
                let fid = feature.fid.unwrap_or_default();
                still_as_read(tx, layer, feature)?;
                let values = policy::split_values(&policies, &info, &feature.values, *whole, areas);
                for (k, (part, values)) in parts.iter().zip(values).enumerate() {
                    let geometry = fit_to_column(part.clone(), info.schema.geometry_type)
                        .ok_or_else(|| EditError::Feature {
                            path: tx.path().to_path_buf(),
                            layer: info.name.clone(),
                            fid,
                            detail: format!(
                                "a part does not fit the {} column",
                                info.schema.geometry_type.name()
                            ),
                        })?;
                    let mut out = Feature::new(Some(geometry), values);
                    if k == 0 {
                        out.fid = Some(fid);
                        tx.update(layer, &out)?;
                    } else {
                        tx.insert(layer, &out)?;
                    }
                }
            }
            Ok(())
        })?;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{LineString, Polygon};

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
        Polygon::new(
            LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
            vec![],
        )
    }

    #[test]
    fn a_line_across_a_square_splits_it_into_two_parts_of_the_same_total_area() {
        let p = rect(0.0, 0.0, 10.0, 10.0);
        let cut = LineString::from(vec![(3.0, -1.0), (3.0, 11.0)]);
        let parts = split_polygon(&p, &cut).unwrap();
        assert_eq!(parts.len(), 2);
        assert!((parts[0].unsigned_area() - 70.0).abs() < 1e-9);
        assert!((parts[1].unsigned_area() - 30.0).abs() < 1e-9);
    }

    #[test]
    fn a_hole_stays_a_hole_and_a_line_that_misses_leaves_one_part() {
        let mut p = rect(0.0, 0.0, 10.0, 10.0);
        p.interiors_push(LineString::from(vec![
            (4.0, 4.0),
            (6.0, 4.0),
            (6.0, 6.0),
            (4.0, 6.0),
            (4.0, 4.0),
        ]));
        let cut = LineString::from(vec![(5.0, -1.0), (5.0, 11.0)]);
        let parts = split_polygon(&p, &cut).unwrap();
        assert_eq!(parts.len(), 2);
        let total: f64 = parts.iter().map(|q| q.unsigned_area()).sum();
        assert!((total - 96.0).abs() < 1e-9, "{total}");
        let miss = LineString::from(vec![(20.0, -1.0), (20.0, 11.0)]);
        assert_eq!(split_polygon(&p, &miss).unwrap().len(), 1);
    }

    #[test]
    fn a_line_is_cut_where_the_drawn_line_crosses_it() {
        let line = LineString::from(vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)]);
        let cut = LineString::from(vec![(5.0, -1.0), (5.0, 1.0), (12.0, 5.0), (8.0, 5.0)]);
        let pieces = split_line(&line, &cut);
        assert_eq!(pieces.len(), 4);
        assert_eq!(pieces[0].0.first(), Some(&Coord { x: 0.0, y: 0.0 }));
        assert_eq!(pieces[3].0.last(), Some(&Coord { x: 10.0, y: 10.0 }));
    }
}
