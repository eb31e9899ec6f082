//! Planning analysis: land-use statistics, layer comparison, plan
//! compliance, BTS coverage, smart-city indicators and geoprocessing.
//!
//! Library code first: the CLI, the tests and the window call the same
//! functions. Every analysis takes a [`crate::jobs::Progress`], sets a total,
//! advances, and returns [`AnalysisError::Cancelled`] soon after the
//! progress is cancelled, writing nothing. Areas are computed in the
//! layer's projected CRS (VN-2000 metres).

pub mod compare;
pub mod compliance;
pub mod coverage;
pub mod geoprocess;
pub mod indicators;
pub mod landuse_stats;
pub mod overlay;
pub mod read;
pub mod table;

#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error(transparent)]
    Store(#[from] crate::gpkg::GpkgError),
    #[error(transparent)]
    Cancelled(#[from] crate::jobs::Cancelled),
    #[error("{layer}: no field '{field}'")]
    NoField { layer: String, field: String },
    #[error("{layer}: {detail}")]
    Layer { layer: String, detail: String },
    #[error("{path}: {detail}")]
    Io {
        path: std::path::PathBuf,
        detail: String,
    },
}

pub type Result<T> = std::result::Result<T, AnalysisError>;
