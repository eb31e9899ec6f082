//! Import and export through GDAL: any vector format GDAL reads comes into
//! the workspace, reprojected with PROJ and with legacy Vietnamese text
//! encodings converted to Unicode; layers go out to the formats other
//! programs need.

pub mod encoding;
pub mod export;
pub mod import;
pub mod source;
mod values;

use std::path::PathBuf;

pub use export::{ExportFormat, ExportOptions, export_layer};
pub use import::{FieldMap, ImportOptions, ImportReport, Rejection, Target, import};
pub use source::{SourceCrs, SourceInfo, SourceLayer, TextEncoding, inspect};

#[derive(Debug, thiserror::Error)]
pub enum IoError {
    #[error("{path}: file not found")]
    NotFound { path: PathBuf },
    #[error("{path}: GDAL cannot open it: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("{path}: no layer named '{layer}' (layers: {available})")]
    NoSuchLayer {
        path: PathBuf,
        layer: String,
        available: String,
    },
    #[error(
        "{path}, layer '{layer}': the file does not say its coordinate system (no .prj); \
         choose one, e.g. --src-crs EPSG:9214 (VN-2000 / TM-3 107-00, the province's zone) \
         or EPSG:4326 (GPS longitude/latitude)"
    )]
    NoCrs { path: PathBuf, layer: String },
    #[error(
        "{path}, layer '{layer}': PROJ cannot identify its coordinate system; choose one with --src-crs"
    )]
    UnknownCrs { path: PathBuf, layer: String },
    #[error("{path}, layer '{layer}': {detail}")]
    Mapping {
        path: PathBuf,
        layer: String,
        detail: String,
    },
    #[error("{path}: cannot write: {reason}")]
    Write { path: PathBuf, reason: String },
    #[error("import cancelled; the workspace is unchanged")]
    Cancelled,
    #[error(transparent)]
    Gpkg(#[from] crate::gpkg::GpkgError),
    #[error(transparent)]
    Crs(#[from] crate::crs::CrsError),
}
