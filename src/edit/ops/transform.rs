//! Move and rotate features (rigid: areas and lengths are unchanged).

use geo::{Centroid, Rotate, Translate};
use geo_types::{Coord, Geometry, GeometryCollection, Point};

use crate::edit::{Applied, EditError, EditSession};

/// Moves features by (dx, dy) in the layer's units, as one operation.
pub fn move_features(
    session: &mut EditSession,
    layer: &str,
    fids: &[i64],
    dx: f64,
    dy: f64,
) -> Result<Applied, EditError> {
    let description = format!("Di chuyển {} đối tượng", fids.len());
    transform(session, layer, fids, &description, |g| g.translate(dx, dy))
}

/// Rotates features by `degrees` (counter-clockwise) around `center`, or
/// around the centroid of them all.
pub fn rotate_features(
    session: &mut EditSession,
    layer: &str,
    fids: &[i64],
    degrees: f64,
    center: Option<Coord<f64>>,
) -> Result<Applied, EditError> {
    let center = match center {
        Some(c) => Point::from(c),
        None => {
            let mut all = Vec::new();
            for &fid in fids {
                if let Some(g) = session
                    .gpkg()
                    .get_feature(layer, fid)?
                    .and_then(|f| f.geometry)
                {
                    all.push(g);
                }
            }
            GeometryCollection(all)
                .centroid()
                .unwrap_or(Point::new(0.0, 0.0))
        }
    };
    let description = format!("Xoay {} đối tượng {degrees}°", fids.len());
    transform(session, layer, fids, &description, |g| {
        g.rotate_around_point(degrees, center)
    })
}

fn transform(
    session: &mut EditSession,
    layer: &str,
    fids: &[i64],
    description: &str,
    f: impl Fn(&Geometry<f64>) -> Geometry<f64>,
) -> Result<Applied, EditError> {
    let (_, applied) = session.apply(description, |tx| {
        for &fid in fids {
            let feature = tx.require(layer, fid)?;
            if let Some(g) = &feature.geometry {
                tx.set_geometry(layer, fid, &f(g))?;
            }
        }
        Ok(())
    })?;
    Ok(applied)
}
