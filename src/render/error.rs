use std::path::PathBuf;

use crate::crs::CrsError;
use crate::gpkg::GpkgError;

/// What can go wrong between a workspace and a picture. Each message says
/// what failed and, where the user can act, what to do.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Store(#[from] GpkgError),
    #[error("layer '{layer}': {source}")]
    Crs {
        layer: String,
        #[source]
        source: CrsError,
    },
    #[error(
        "no graphics adapter found ({0}); install a Vulkan driver (Mesa's lavapipe works without a GPU)"
    )]
    NoAdapter(String),
    #[error("the graphics device could not be opened: {0}")]
    Device(String),
    #[error("layer '{layer}': style field '{field}' is not a field of the layer")]
    NoSuchField { layer: String, field: String },
    #[error("the image size {width}x{height} is empty or larger than the device allows ({max})")]
    BadSize { width: u32, height: u32, max: u32 },
    #[error("reading the rendered image back failed: {0}")]
    Readback(String),
    #[error("writing {path}: {detail}")]
    Write { path: PathBuf, detail: String },
    #[error("cancelled")]
    Cancelled,
}
