//! Import and export through GDAL: any vector format GDAL reads comes into
//! the workspace, reprojected with PROJ and with legacy Vietnamese text
//! encodings converted to Unicode; layers go out to the formats other
//! programs need.

pub mod encoding;
pub mod export;
pub mod gdal_messages;
pub mod import;
pub mod repair_text;
mod shx_restore;
pub mod source;
mod source_geometry;
pub mod text;
mod values;
mod zm_fit;

use std::path::PathBuf;

pub use export::{ExportFormat, ExportOptions, ExportReport, export_layer, export_layer_report};
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
        "{path}, layer '{layer}': {}; \
         choose one, e.g. --src-crs EPSG:9214 (VN-2000 / TM-3 107-00, the province's zone) \
         or EPSG:4326 (GPS longitude/latitude)",
        no_crs_reason(path)
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
    /// Boxed: the details would make every `IoError` large.
    #[error(transparent)]
    Replacements(Box<text::Replaced>),
    #[error("import cancelled; the workspace is unchanged")]
    Cancelled,
    #[error(transparent)]
    Gpkg(#[from] crate::gpkg::GpkgError),
    #[error(transparent)]
    Crs(#[from] crate::crs::CrsError),
}

/// Why a file has no CRS: a Shapefile keeps it in a .prj beside it, other
/// formats in the file itself.
fn no_crs_reason(path: &std::path::Path) -> &'static str {
    let shapefile = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("shp") || e.eq_ignore_ascii_case("dbf"));
    if shapefile {
        "the Shapefile has no .prj saying its coordinate system"
    } else {
        "the file does not declare its coordinate system"
    }
}
