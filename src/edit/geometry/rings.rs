//! Rings of polygons: add a hole, delete one, fill one (QGIS's "Fill
//! ring": the hole stays in the polygon and a new feature covers it, so
//! the two areas add up to the old outline's; QGIS's #32377 left the old
//! area attribute on both).

use geo::{Area, Contains, Intersects};
use geo_types::{Coord, Geometry, LineString, Polygon};

use super::{GeometryError, Kind, Parts, open_ring, ring_signed_area};

/// A drawn ring as a valid closed ring of at least 3 distinct points.
fn drawn_ring(ring: &LineString<f64>) -> Result<Vec<Coord<f64>>, GeometryError> {
    let mut v = open_ring(ring);
    v.dedup();
    if v.len() < 3 {
        return Err(GeometryError::ShortRing(v.len()));
    }
    let closed = Polygon::new(super::close_ring(v.clone()), vec![]);
    super::check_valid(&Geometry::Polygon(closed))?;
    Ok(v)
}

/// Which part of `g` holds `ring` inside its exterior, clear of its holes.
fn part_holding(parts: &Parts, ring: &[Coord<f64>]) -> Result<usize, GeometryError> {
    let candidate = Polygon::new(super::close_ring(ring.to_vec()), vec![]);
    for (p, rings) in parts.parts.iter().enumerate() {
        let exterior = Polygon::new(super::close_ring(rings[0].clone()), vec![]);
        if !exterior.contains(&candidate) {
            continue;
        }
        let clear = rings[1..].iter().all(|hole| {
            let hole = Polygon::new(super::close_ring(hole.clone()), vec![]);
            !hole.intersects(&candidate)
        });
        if clear {
            return Ok(p);
        }
    }
    Err(GeometryError::RingOutside)
}

fn polygons_only(parts: &Parts, tool: &'static str) -> Result<(), GeometryError> {
    if matches!(parts.kind, Kind::Polygon | Kind::MultiPolygon) {
        Ok(())
    } else {
        Err(GeometryError::Unsupported {
            tool,
            kind: "non-polygon",
        })
    }
}

/// Adds `ring` as a hole of the part whose inside holds it. Returns the
/// new geometry and the hole's (part, ring) number.
pub fn add_ring(
    g: &Geometry<f64>,
    ring: &LineString<f64>,
) -> Result<(Geometry<f64>, (usize, usize)), GeometryError> {
    let mut parts = Parts::from_geometry(g, "adding a ring")?;
    polygons_only(&parts, "adding a ring")?;
    let mut hole = drawn_ring(ring)?;
    let p = part_holding(&parts, &hole)?;
    // Holes run clockwise, as the GeoPackage's writers (and GDAL) keep them.
    if ring_signed_area(&hole) > 0.0 {
        hole.reverse();
    }
    parts.parts[p].push(hole);
    let number = parts.parts[p].len() - 1;
    Ok((parts.to_geometry(), (p, number)))
}

/// Deletes hole `ring` (1..) of part `part`.
pub fn delete_ring(
    g: &Geometry<f64>,
    part: usize,
    ring: usize,
) -> Result<Geometry<f64>, GeometryError> {
    let mut parts = Parts::from_geometry(g, "deleting a ring")?;
    polygons_only(&parts, "deleting a ring")?;
    if ring == 0 {
        return Err(GeometryError::ExteriorRing);
    }
    parts.ring_mut(part, ring)?;
    parts.parts[part].remove(ring);
    Ok(parts.to_geometry())
}

/// The new feature's polygon that fills hole `ring` of part `part`; the
/// geometry itself keeps the hole. Areas: original's + new one's = the
/// original outline's.
pub fn fill_hole(
    g: &Geometry<f64>,
    part: usize,
    ring: usize,
) -> Result<Polygon<f64>, GeometryError> {
    let mut parts = Parts::from_geometry(g, "filling a ring")?;
    polygons_only(&parts, "filling a ring")?;
    if ring == 0 {
        return Err(GeometryError::ExteriorRing);
    }
    let mut hole = parts.ring_mut(part, ring)?.clone();
    if ring_signed_area(&hole) < 0.0 {
        hole.reverse();
    }
    Ok(Polygon::new(super::close_ring(hole), vec![]))
}

/// QGIS's Fill ring with a drawn ring: the ring becomes a hole of the
/// polygon and the returned polygon, a new feature, fills it.
pub fn fill_ring(
    g: &Geometry<f64>,
    ring: &LineString<f64>,
) -> Result<(Geometry<f64>, Polygon<f64>), GeometryError> {
    let (with_hole, (part, number)) = add_ring(g, ring)?;
    let fill = fill_hole(&with_hole, part, number)?;
    Ok((with_hole, fill))
}

/// The hole of `g` under `p`, as (part, ring), to pick one with a click.
pub fn hole_at(g: &Geometry<f64>, p: Coord<f64>) -> Option<(usize, usize)> {
    let parts = Parts::from_geometry(g, "picking a ring").ok()?;
    let point = geo_types::Point(p);
    for (pi, rings) in parts.parts.iter().enumerate() {
        for (ri, hole) in rings.iter().enumerate().skip(1) {
            let poly = Polygon::new(super::close_ring(hole.clone()), vec![]);
            if poly.contains(&point) {
                return Some((pi, ri));
            }
        }
    }
    None
}

/// The unsigned area of a polygon geometry (0 for others), for checks.
pub fn area(g: &Geometry<f64>) -> f64 {
    g.unsigned_area()
}

/// Adds a hole to one stored polygon, as one edit ("Thêm lỗ").
pub fn add_ring_in(
    session: &mut crate::edit::EditSession,
    layer: &str,
    fid: i64,
    ring: &LineString<f64>,
) -> Result<crate::edit::Applied, crate::edit::EditError> {
    let description = format!("Thêm lỗ vào đối tượng {fid}");
    super::edit_geometry(session, layer, fid, &description, |g| {
        add_ring(g, ring).map(|(g, _)| g)
    })
}

/// Deletes a hole of one stored polygon, as one edit.
pub fn delete_ring_in(
    session: &mut crate::edit::EditSession,
    layer: &str,
    fid: i64,
    part: usize,
    ring: usize,
) -> Result<crate::edit::Applied, crate::edit::EditError> {
    let description = format!("Xóa lỗ của đối tượng {fid}");
    super::edit_geometry(session, layer, fid, &description, |g| {
        delete_ring(g, part, ring)
    })
}

/// Fill ring on a stored polygon, as one edit: with `drawn` the ring is
/// first cut into the polygon (QGIS's Fill ring), else hole (part, ring)
/// is filled. The new feature takes `values` (the form's), or a copy of the
/// polygon's; area fields of both are set from their geometries. Returns
/// the new feature's fid.
pub fn fill_ring_in(
    session: &mut crate::edit::EditSession,
    layer: &str,
    fid: i64,
    which: FillRing<'_>,
    values: Option<Vec<crate::model::FieldValue>>,
) -> Result<(i64, crate::edit::Applied), crate::edit::EditError> {
    let description = format!("Lấp lỗ của đối tượng {fid} thành đối tượng mới");
    session.apply(&description, |tx| {
        let g = super::stored_geometry(tx, layer, fid)?;
        let fail = |tx: &crate::edit::EditTx<'_>, e| super::feature_error(tx, layer, fid, e);
        let fill = match which {
            FillRing::Hole { part, ring } => fill_hole(&g, part, ring).map_err(|e| fail(tx, e))?,
            FillRing::Drawn(ring) => {
                let (with_hole, fill) = fill_ring(&g, ring).map_err(|e| fail(tx, e))?;
                super::write_geometry(tx, layer, fid, with_hole)?;
                fill
            }
        };
        let source = tx.require(layer, fid)?;
        let info = tx.layer(layer)?;
        let mut new = crate::model::Feature::new(
            Some(Geometry::Polygon(fill)),
            values.unwrap_or(source.values),
        );
        crate::edit::measure::set_area_fields(&info, &mut new).map_err(|e| {
            crate::edit::EditError::Feature {
                path: tx.path().to_path_buf(),
                layer: layer.to_string(),
                fid,
                detail: e.to_string(),
            }
        })?;
        tx.insert(layer, &new)
    })
}

/// Which ring [`fill_ring_in`] fills.
#[derive(Debug, Clone, Copy)]
pub enum FillRing<'a> {
    /// An existing hole.
    Hole { part: usize, ring: usize },
    /// A ring drawn inside the polygon.
    Drawn(&'a LineString<f64>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    fn square() -> Geometry<f64> {
        Geometry::Polygon(
            polygon![(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.), (x: 0., y: 0.)],
        )
    }

    fn ring(pts: &[(f64, f64)]) -> LineString<f64> {
        LineString::from(pts.to_vec())
    }

    #[test]
    fn add_then_fill_keeps_areas_right() {
        let hole = ring(&[(2., 2.), (5., 2.), (5., 5.), (2., 5.), (2., 2.)]);
        let (g, (part, r)) = add_ring(&square(), &hole).unwrap();
        assert_eq!((part, r), (0, 1));
        assert_eq!(g.unsigned_area(), 91.0);
        let fill = fill_hole(&g, 0, 1).unwrap();
        assert_eq!(fill.unsigned_area(), 9.0);
        assert!(fill.signed_area() > 0.0, "exterior counter-clockwise");
        assert_eq!(g.unsigned_area() + fill.unsigned_area(), 100.0);
        assert_eq!(hole_at(&g, Coord { x: 3., y: 3. }), Some((0, 1)));
        let back = delete_ring(&g, 0, 1).unwrap();
        assert_eq!(back.unsigned_area(), 100.0);
    }

    #[test]
    fn fill_ring_with_a_drawn_ring() {
        let (g, fill) =
            fill_ring(&square(), &ring(&[(1., 1.), (4., 1.), (4., 3.), (1., 1.)])).unwrap();
        assert_eq!(g.unsigned_area() + fill.unsigned_area(), 100.0);
        assert_eq!(fill.unsigned_area(), 3.0);
    }

    #[test]
    fn rings_crossing_the_outline_or_too_short_are_refused() {
        let out = ring(&[(8., 8.), (12., 8.), (12., 12.), (8., 8.)]);
        assert_eq!(
            add_ring(&square(), &out).unwrap_err(),
            GeometryError::RingOutside
        );
        let short = ring(&[(1., 1.), (2., 2.), (1., 1.)]);
        assert_eq!(
            add_ring(&square(), &short).unwrap_err(),
            GeometryError::ShortRing(2)
        );
        assert_eq!(
            delete_ring(&square(), 0, 0).unwrap_err(),
            GeometryError::ExteriorRing
        );
        assert!(matches!(
            delete_ring(&square(), 0, 1),
            Err(GeometryError::NoSuchRing { .. })
        ));
    }
}
