//! Avoid overlaps: a new (or reshaped) polygon is cut against its
//! neighbours, so that it only fills space no other polygon of the chosen
//! layers covers. The neighbours are not changed.

use geo::{Area, BooleanOps, BoundingRect, Intersects};
use geo_types::{Geometry, MultiPolygon, Polygon};

use super::GeometryError;

/// Parts smaller than this (in square layer units) are slivers left where a
/// drawn edge almost followed a neighbour's; they are dropped.
pub const SLIVER_AREA: f64 = 1e-4;

fn as_multi(g: &Geometry<f64>) -> Option<MultiPolygon<f64>> {
    match g {
        Geometry::Polygon(p) => Some(MultiPolygon(vec![p.clone()])),
        Geometry::MultiPolygon(m) => Some(m.clone()),
        Geometry::Rect(r) => Some(MultiPolygon(vec![r.to_polygon()])),
        _ => None,
    }
}

/// `new` less every polygon of `neighbours` (other geometry kinds are
/// ignored). A single part comes back as a Polygon, several as a
/// MultiPolygon; nothing left is an error.
pub fn avoid_overlaps(
    new: &Geometry<f64>,
    neighbours: &[Geometry<f64>],
) -> Result<Geometry<f64>, GeometryError> {
    let Some(mut rest) = as_multi(new) else {
        return Err(GeometryError::Unsupported {
            tool: "avoid overlaps",
            kind: super::kind_name(new),
        });
    };
    for n in neighbours {
        let Some(other) = as_multi(n) else { continue };
        // Most neighbours only come near: skip the boolean op for those.
        let (Some(a), Some(b)) = (rest.bounding_rect(), other.bounding_rect()) else {
            continue;
        };
        if !a.intersects(&b) || !rest.intersects(&other) {
            continue;
        }
        rest = rest.difference(&other);
    }
    let parts: Vec<Polygon<f64>> = rest
        .0
        .into_iter()
        .filter(|p| p.unsigned_area() > SLIVER_AREA)
        .collect();
    match parts.len() {
        0 => Err(GeometryError::NothingLeft),
        1 => Ok(Geometry::Polygon(parts.into_iter().next().unwrap())),
        _ => Ok(Geometry::MultiPolygon(MultiPolygon(parts))),
    }
}

/// Cuts `new` against the polygons of `layers` near it, read through the
/// transaction (so earlier writes of the same edit count); `skip` is the
/// feature being edited, which must not avoid itself. Call it inside the
/// edit that writes `new`.
pub fn avoid_overlaps_in(
    tx: &mut crate::edit::EditTx<'_>,
    new: &Geometry<f64>,
    layers: &[&str],
    skip: Option<(&str, i64)>,
) -> Result<Geometry<f64>, crate::edit::EditError> {
    let Some(area) = new.bounding_rect() else {
        return Ok(new.clone());
    };
    let mut neighbours = Vec::new();
    for layer in layers {
        for f in tx.features_in(layer, area)? {
            if skip.is_some_and(|(l, fid)| l == *layer && f.fid == Some(fid)) {
                continue;
            }
            neighbours.extend(f.geometry);
        }
    }
    avoid_overlaps(new, &neighbours).map_err(|e| crate::edit::EditError::Invalid {
        path: tx.path().to_path_buf(),
        detail: format!("avoiding overlaps with {}: {e}", layers.join(", ")),
    })
}

/// Adds a polygon feature to `layer`, cut against the polygons of
/// `avoid` (the layer itself may be one of them), as one edit. Returns the
/// new fid and what changed.
pub fn insert_avoiding_overlaps(
    session: &mut crate::edit::EditSession,
    layer: &str,
    mut feature: crate::model::Feature,
    avoid: &[&str],
) -> Result<(i64, crate::edit::Applied), crate::edit::EditError> {
    session.apply("Thêm vùng (tránh chồng lấn)", |tx| {
        let g = feature
            .geometry
            .clone()
            .ok_or_else(|| crate::edit::EditError::Layer {
                path: tx.path().to_path_buf(),
                layer: layer.to_string(),
                detail: "the new feature has no geometry".into(),
            })?;
        feature.geometry = Some(avoid_overlaps_in(tx, &g, avoid, None)?);
        feature.zm = Default::default();
        let info = tx.layer(layer)?;
        crate::edit::measure::set_area_fields(&info, &mut feature).map_err(|e| {
            crate::edit::EditError::Layer {
                path: tx.path().to_path_buf(),
                layer: layer.to_string(),
                detail: e.to_string(),
            }
        })?;
        tx.insert(layer, &feature)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{Rect, polygon};

    #[test]
    fn the_new_polygon_gives_way_to_its_neighbours() {
        let new = Geometry::Polygon(Rect::new((0., 0.), (10., 10.)).to_polygon());
        let left = Geometry::Polygon(Rect::new((-5., 0.), (3., 10.)).to_polygon());
        let far = Geometry::Polygon(polygon![(x: 100., y: 0.), (x: 110., y: 0.), (x: 100., y: 5.)]);
        let g = avoid_overlaps(&new, &[left.clone(), far]).unwrap();
        assert!((g.unsigned_area() - 70.0).abs() < 1e-9);
        let (Geometry::Polygon(a), Geometry::Polygon(b)) = (&g, &left) else {
            panic!()
        };
        assert!(a.intersection(b).unsigned_area() < 1e-9);
    }

    #[test]
    fn a_neighbour_through_the_middle_leaves_two_parts_and_a_cover_leaves_none() {
        let new = Geometry::Polygon(Rect::new((0., 0.), (10., 10.)).to_polygon());
        let road = Geometry::Polygon(Rect::new((4., -1.), (6., 11.)).to_polygon());
        let g = avoid_overlaps(&new, &[road]).unwrap();
        assert!(matches!(&g, Geometry::MultiPolygon(m) if m.0.len() == 2));
        assert!((g.unsigned_area() - 80.0).abs() < 1e-9);
        let cover = Geometry::Polygon(Rect::new((-1., -1.), (11., 11.)).to_polygon());
        assert_eq!(
            avoid_overlaps(&new, &[cover]).unwrap_err(),
            GeometryError::NothingLeft
        );
    }
}
