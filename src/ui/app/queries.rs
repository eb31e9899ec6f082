//! What identify and selection ask of the workspace, run in jobs: the
//! window's R-trees (in map coordinates, shared with the job) find the
//! candidates, and the store is read only where the envelope alone cannot
//! decide. A box over 300,000 parcels reads the few thousand on its edge,
//! not the 300,000 inside it.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use geo::{Contains, Intersects};
use geo_types::{Geometry, Line, Polygon};

use crate::crs::{Crs, TransformerCache};
use crate::gpkg::{GeoPackage, LayerInfo};
use crate::index::LayerIndex;
use crate::jobs::Progress;
use crate::ui::jobs::JobError;
use crate::ui::map::{Bbox, MapLayer, Selection};
use crate::ui::panels::identify::Identified;

/// A layer as a query job sees it: its (cached) description and index.
pub struct QueryLayer {
    pub info: LayerInfo,
    pub index: Arc<LayerIndex>,
}

impl QueryLayer {
    pub fn of(layer: &MapLayer) -> Self {
        QueryLayer {
            info: layer.info.clone(),
            index: layer.index.clone(),
        }
    }
}

/// The features under a map point (within `tolerance` map units), in the
/// order of `layers` (top first), with their attributes.
pub fn identify(
    path: &Path,
    layers: &[QueryLayer],
    map_crs: &Crs,
    at: [f64; 2],
    tolerance: f64,
) -> Result<Vec<Identified>, JobError> {
    let gpkg = GeoPackage::open_read_only(path)?;
    let mut transformers = TransformerCache::default();
    let mut found = Vec::new();
    for layer in layers {
        let name = &layer.info.name;
        for fid in layer.index.near(at[0], at[1], tolerance) {
            let Some(mut f) = gpkg.get_feature(name, fid)? else {
                continue;
            };
            let Some(g) = f.geometry.as_mut() else {
                continue;
            };
            in_map_crs(&mut transformers, &layer.info, map_crs, fid, g)?;
            if crate::index::hits(g, at[0], at[1], tolerance) {
                let values = layer
                    .info
                    .schema
                    .fields
                    .iter()
                    .map(|fd| fd.name.clone())
                    .zip(f.values)
                    .collect();
                found.push(Identified {
                    layer: name.clone(),
                    fid,
                    values,
                });
            }
        }
    }
    Ok(found)
}

/// The features of `layers` whose geometry meets `area` (map
/// coordinates). A feature whose envelope lies inside the area is taken
/// on its envelope; only those on the area's edge are read and tested.
pub fn select(
    path: &Path,
    layers: &[QueryLayer],
    map_crs: &Crs,
    area: &Geometry<f64>,
    progress: &Progress,
) -> Result<Selection, JobError> {
    let mut selection = Selection::new();
    let Some(bbox) = crate::gpkg::geom::bounds(area) else {
        return Ok(selection);
    };
    let mut edge: Vec<(usize, i64)> = Vec::new();
    for (k, layer) in layers.iter().enumerate() {
        let mut inside = BTreeSet::new();
        for (fid, envelope) in layer.index.meeting(bbox) {
            if holds(area, envelope) {
                inside.insert(fid);
            } else {
                edge.push((k, fid));
            }
        }
        selection.insert(layer.info.name.clone(), inside);
    }
    if edge.is_empty() {
        return Ok(selection);
    }
    progress.set_total(edge.len() as u64);
    let gpkg = GeoPackage::open_read_only(path)?;
    let mut transformers = TransformerCache::default();
    for (k, fid) in edge {
        if progress.is_cancelled() {
            return Ok(Selection::new());
        }
        progress.advance(1);
        let info = &layers[k].info;
        let Some(mut f) = gpkg.get_feature(&info.name, fid)? else {
            continue;
        };
        let Some(g) = f.geometry.as_mut() else {
            continue;
        };
        in_map_crs(&mut transformers, info, map_crs, fid, g)?;
        if g.intersects(area) {
            selection.entry(info.name.clone()).or_default().insert(fid);
        }
    }
    Ok(selection)
}

fn in_map_crs(
    transformers: &mut TransformerCache,
    info: &LayerInfo,
    map_crs: &Crs,
    fid: i64,
    g: &mut Geometry<f64>,
) -> Result<(), JobError> {
    let reproject = |source| JobError::Reproject {
        layer: info.name.clone(),
        fid,
        source,
    };
    transformers
        .get(&info.crs, map_crs)
        .map_err(reproject)?
        .transform_geometry(g)
        .map_err(reproject)
}

/// Whether `area` holds all of the box `b` (so whatever lies in the box
/// meets the area). False when unsure: the geometry is then tested.
fn holds(area: &Geometry<f64>, b: Bbox) -> bool {
    match area {
        Geometry::Rect(r) => {
            r.min().x <= b.min().x
                && r.min().y <= b.min().y
                && r.max().x >= b.max().x
                && r.max().y >= b.max().y
        }
        Geometry::Polygon(p) => polygon_holds(p, b),
        _ => false,
    }
}

/// A polygon holds a box when the box's corners are inside it and none of
/// its edges crosses the box.
fn polygon_holds(p: &Polygon<f64>, b: Bbox) -> bool {
    let corners = b.to_polygon().exterior().0.clone();
    if !corners.iter().all(|c| p.contains(c)) {
        return false;
    }
    let rings = std::iter::once(p.exterior()).chain(p.interiors());
    !rings
        .flat_map(|r| r.lines())
        .any(|l: Line<f64>| l.intersects(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{Rect, polygon};

    #[test]
    fn a_box_inside_an_area_is_held_and_one_on_its_edge_is_not() {
        let square = Geometry::Rect(Rect::new((0.0, 0.0), (10.0, 10.0)));
        assert!(holds(&square, Rect::new((1.0, 1.0), (2.0, 2.0))));
        assert!(!holds(&square, Rect::new((9.0, 9.0), (11.0, 11.0))));
        // A notch cuts into the box between its corners.
        let notched = Geometry::Polygon(polygon![
            (x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0),
            (x: 5.5, y: 10.0), (x: 5.0, y: 1.5), (x: 4.5, y: 10.0), (x: 0.0, y: 10.0),
        ]);
        assert!(!holds(&notched, Rect::new((1.0, 1.0), (9.0, 5.0))));
        assert!(holds(&notched, Rect::new((1.0, 0.5), (9.0, 1.0))));
    }
}
