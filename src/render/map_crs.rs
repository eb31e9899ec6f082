//! Which CRS a workspace's map is drawn in, and what the user is told
//! about layers that have no CRS. The window and `tramgis render` both
//! choose here, so they show the same map.

use crate::crs::{Crs, LayerPlace, choose_map_crs};
use crate::gpkg::{GeoPackage, LayerInfo};

/// The map CRS for `layers`: `preferred` (the province's zone) when the
/// data lies within its area of use, else one that fits the data (see
/// [`choose_map_crs`]). A layer whose extent or count cannot be read
/// counts as empty here; its own load reports why.
pub fn choose(gpkg: &GeoPackage, layers: &[LayerInfo], preferred: &Crs) -> Crs {
    let places: Vec<LayerPlace> = layers
        .iter()
        .filter(|l| !l.is_attributes())
        .map(|l| LayerPlace {
            crs: l.crs.clone(),
            extent: l.extent.or_else(|| gpkg.compute_extent(l).ok().flatten()),
            features: gpkg.count_features(&l.name, None).unwrap_or(0),
        })
        .collect();
    choose_map_crs(preferred, &places)
}

/// Why a layer is drawn without reprojection, when it is: it has no CRS
/// (srs_id 0 or -1, or a definition PROJ cannot read), or the map has none.
pub fn crs_warning(info: &LayerInfo, map_crs: &Crs) -> Option<String> {
    if info.is_attributes() {
        return None;
    }
    let srs_id = info.schema.srs_id;
    match (info.crs.is_defined(), map_crs.is_defined()) {
        (false, true) => Some(format!(
            "layer '{}': {} (srs_id {srs_id}); drawn in its own units, not reprojected to the map's {}",
            info.name,
            info.crs.label(),
            map_crs.label()
        )),
        (false, false) => Some(format!(
            "layer '{}': {} (srs_id {srs_id}); drawn in its own units",
            info.name,
            info.crs.label()
        )),
        (true, false) => Some(format!(
            "layer '{}' ({}) is drawn untransformed: the map has no CRS",
            info.name,
            info.crs.label()
        )),
        (true, true) => None,
    }
}
