//! A workspace's layers made ready to draw: which layers, in what order,
//! with what style, tessellated in the map CRS.

use crate::gpkg::{GeoPackage, LayerInfo};
use crate::jobs::Progress;

use super::RenderError;
use super::load::{LayerMesh, load_layer};
use super::style::LayerStyle;

/// The named layers in the order given (first = bottom), or every layer
/// in the workspace's draw order when `names` is None.
pub fn pick_layers(
    gpkg: &GeoPackage,
    names: Option<&[String]>,
) -> Result<Vec<LayerInfo>, RenderError> {
    Ok(match names {
        None => gpkg.layers()?,
        Some(names) => names
            .iter()
            .map(|n| gpkg.layer(n))
            .collect::<Result<_, _>>()?,
    })
}

/// Each layer's style: its default style in `layer_styles` where one can
/// be read, else its default look. The first layer is the bottom one.
pub fn stored_styles(gpkg: &GeoPackage, layers: &[LayerInfo]) -> Vec<LayerStyle> {
    layers
        .iter()
        .enumerate()
        .map(|(i, info)| super::qml::stored_or_default(gpkg, info, i == 0))
        .collect()
}

/// Tessellates every layer in turn (each one on two threads, see
/// `load`). `progress` counts features over all layers.
pub fn load_layers(
    gpkg: &GeoPackage,
    layers: &[LayerInfo],
    styles: &[LayerStyle],
    map_crs: &crate::crs::Crs,
    progress: &Progress,
) -> Result<Vec<LayerMesh>, RenderError> {
    let mut total = 0;
    for info in layers {
        total += gpkg.count_features(&info.name, None)?;
    }
    progress.set_total(total);
    layers
        .iter()
        .zip(styles)
        .map(|(info, style)| load_layer(gpkg, info, style, map_crs, progress))
        .collect()
}

/// The box of all meshes, in the map CRS.
pub fn extent(meshes: &[LayerMesh]) -> Option<geo_types::Rect<f64>> {
    meshes
        .iter()
        .filter_map(|m| m.extent)
        .reduce(|a, b| crate::gpkg::geom::union(Some(a), b))
}
