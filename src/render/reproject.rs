//! Moves a geometry into the map CRS, all its coordinates in one PROJ call.

use geo_types::{Coord, Geometry, LineString, Polygon};

use crate::crs::{CrsError, Transformer};

/// Transforms every coordinate of `g` in place. `scratch` is reused between
/// calls so a layer's worth of features costs no allocation per feature.
pub fn reproject(
    g: &mut Geometry<f64>,
    t: &Transformer,
    scratch: &mut Vec<Coord<f64>>,
) -> Result<(), CrsError> {
    if t.is_identity() {
        return Ok(());
    }
    scratch.clear();
    for_each_coord(g, &mut |c| scratch.push(*c));
    t.transform_in_place(scratch)?;
    if let Some(bad) = scratch
        .iter()
        .position(|c| !c.x.is_finite() || !c.y.is_finite())
    {
        let mut original = None;
        let mut i = 0;
        for_each_coord(g, &mut |c| {
            if i == bad {
                original = Some(*c);
            }
            i += 1;
        });
        let c = original.unwrap_or(scratch[bad]);
        return Err(t.point_error(c, "result is not finite (outside the CRS's area)"));
    }
    // The same walk in the same order puts each result back in its place.
    let mut results = scratch.iter();
    for_each_coord(g, &mut |c| {
        if let Some(r) = results.next() {
            *c = *r;
        }
    });
    Ok(())
}

fn line(l: &mut LineString<f64>, f: &mut impl FnMut(&mut Coord<f64>)) {
    l.0.iter_mut().for_each(f);
}

fn polygon(p: &mut Polygon<f64>, f: &mut impl FnMut(&mut Coord<f64>)) {
    // Polygon guards its rings; exterior_mut/interiors_mut hand them out.
    p.exterior_mut(|l| line(l, f));
    p.interiors_mut(|rings| rings.iter_mut().for_each(|l| line(l, f)));
}

fn for_each_coord(g: &mut Geometry<f64>, f: &mut impl FnMut(&mut Coord<f64>)) {
    match g {
        Geometry::Point(p) => f(&mut p.0),
        Geometry::MultiPoint(m) => m.0.iter_mut().for_each(|p| f(&mut p.0)),
        Geometry::Line(l) => {
            f(&mut l.start);
            f(&mut l.end);
        }
        Geometry::LineString(l) => line(l, f),
        Geometry::MultiLineString(m) => m.0.iter_mut().for_each(|l| line(l, f)),
        Geometry::Polygon(p) => polygon(p, f),
        Geometry::MultiPolygon(m) => m.0.iter_mut().for_each(|p| polygon(p, f)),
        Geometry::GeometryCollection(gc) => gc.0.iter_mut().for_each(|g| for_each_coord(g, f)),
        Geometry::Rect(r) => {
            let (mut a, mut b) = (r.min(), r.max());
            f(&mut a);
            f(&mut b);
            *r = geo_types::Rect::new(a, b);
        }
        Geometry::Triangle(t) => {
            let mut v = t.to_array();
            v.iter_mut().for_each(f);
            *t = geo_types::Triangle::new(v[0], v[1], v[2]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    #[test]
    fn every_ring_is_moved_and_matches_single_point_transforms() {
        let t = Transformer::new(4326, 9214).unwrap();
        let p = polygon!(
            exterior: [(x: 106.2, y: 21.3), (x: 106.21, y: 21.3), (x: 106.21, y: 21.31), (x: 106.2, y: 21.3)],
            interiors: [[(x: 106.205, y: 21.302), (x: 106.206, y: 21.303), (x: 106.207, y: 21.302), (x: 106.205, y: 21.302)]],
        );
        let mut g = Geometry::Polygon(p.clone());
        reproject(&mut g, &t, &mut Vec::new()).unwrap();
        let Geometry::Polygon(q) = g else { panic!() };
        let pairs = p
            .exterior()
            .0
            .iter()
            .zip(&q.exterior().0)
            .chain(p.interiors()[0].0.iter().zip(&q.interiors()[0].0));
        for (before, after) in pairs {
            let expect = t.transform(*before).unwrap();
            assert!((expect.x - after.x).abs() < 1e-6 && (expect.y - after.y).abs() < 1e-6);
        }
        assert!((q.exterior().0[0].x - 416_802.265).abs() < 0.001);
    }
}
