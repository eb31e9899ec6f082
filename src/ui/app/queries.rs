//! What identify and selection ask of the workspace, run in jobs: the
//! window's R-trees (in map coordinates, shared with the job) find the
//! candidates, and the store is read only where the envelope alone cannot
//! decide. A box over 300,000 parcels reads the few thousand on its edge,
//! not the 300,000 inside it.

use std::collections::{BTreeSet, HashSet};
use std::ops::ControlFlow;
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
                    history: Vec::new(),
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
    let gpkg = GeoPackage::open_read_only(path)?;
    let mut transformers = TransformerCache::default();
    for layer in layers {
        let mut inside = BTreeSet::new();
        let mut edge = HashSet::new();
        for (fid, envelope) in layer.index.meeting(bbox) {
            if holds(area, envelope) {
                inside.insert(fid);
            } else {
                edge.insert(fid);
            }
        }
        let info = &layer.info;
        let mut test = |fid: i64, g: &mut Geometry<f64>| -> Result<(), JobError> {
            in_map_crs(&mut transformers, info, map_crs, fid, g)?;
            if g.intersects(area) {
                inside.insert(fid);
            }
            Ok(())
        };
        // The features on a box's edge are those whose envelope meets one
        // of its four sides: four R-tree queries of the store, in the
        // layer's CRS when the map is in it too.
        if let Geometry::Rect(r) = area
            && info.has_rtree
            && info.crs == *map_crs
            && !edge.is_empty()
        {
            let mut failed = None;
            for side in sides(*r) {
                let query = crate::gpkg::Query {
                    bbox: Some(side),
                    ..Default::default()
                };
                gpkg.read_features(&info.name, &query, |mut f| {
                    let (Some(fid), Some(g)) = (f.fid, f.geometry.as_mut()) else {
                        return ControlFlow::Continue(());
                    };
                    if !edge.remove(&fid) {
                        return ControlFlow::Continue(());
                    }
                    match test(fid, g) {
                        Ok(()) => ControlFlow::Continue(()),
                        Err(e) => {
                            failed = Some(e);
                            ControlFlow::Break(())
                        }
                    }
                })?;
                if let Some(e) = failed.take() {
                    return Err(e);
                }
            }
        }
        // The rest (a polygon's edge, another CRS, no spatial index, or
        // one the sides missed by rounding): one by one.
        progress.set_total(edge.len() as u64);
        for fid in edge {
            if progress.is_cancelled() {
                return Ok(Selection::new());
            }
            progress.advance(1);
            let Some(mut f) = gpkg.get_feature(&info.name, fid)? else {
                continue;
            };
            if let Some(g) = f.geometry.as_mut() {
                test(fid, g)?;
            }
        }
        selection.insert(info.name.clone(), inside);
    }
    Ok(selection)
}

/// A box's four sides, as boxes of no width.
fn sides(r: Bbox) -> [Bbox; 4] {
    let (lo, hi) = (r.min(), r.max());
    [
        Bbox::new((lo.x, lo.y), (lo.x, hi.y)),
        Bbox::new((hi.x, lo.y), (hi.x, hi.y)),
        Bbox::new((lo.x, lo.y), (hi.x, lo.y)),
        Bbox::new((lo.x, hi.y), (hi.x, hi.y)),
    ]
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
