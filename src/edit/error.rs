//! What can go wrong in an edit. Each variant names the file, and where it
//! applies the layer, feature (fid) and field; an edit that fails leaves
//! the file as it was.

use std::path::PathBuf;

use crate::edit::domains::DomainError;
use crate::edit::rules::DomainViolation;
use crate::gpkg::GpkgError;

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// Another program (QGIS, the sqlite3 shell) holds the write lock.
    #[error(
        "{}: another program holds the file's write lock (QGIS or another editor is writing to it); \
         the edit waited and was not made, nothing was changed. Finish or close the edit there and try again",
        path.display()
    )]
    Locked { path: PathBuf },
    #[error("{}: layer '{layer}' is not being edited; start editing it first", path.display())]
    NotEditing { path: PathBuf, layer: String },
    #[error("{}: layer '{layer}', feature {fid}: {detail}", path.display())]
    Feature {
        path: PathBuf,
        layer: String,
        fid: i64,
        detail: String,
    },
    #[error("{}: layer '{layer}', field '{field}': {detail}", path.display())]
    Field {
        path: PathBuf,
        layer: String,
        field: String,
        detail: String,
    },
    #[error("{}: layer '{layer}': {detail}", path.display())]
    Layer {
        path: PathBuf,
        layer: String,
        detail: String,
    },
    #[error("{}: {detail}", path.display())]
    Invalid { path: PathBuf, detail: String },
    #[error(transparent)]
    Domain(Box<DomainViolation>),
    #[error(transparent)]
    Rules(#[from] DomainError),
    #[error(transparent)]
    Crs(#[from] crate::crs::CrsError),
    #[error(transparent)]
    Store(GpkgError),
}

impl From<GpkgError> for EditError {
    fn from(e: GpkgError) -> Self {
        match e {
            GpkgError::Locked { path } => EditError::Locked { path },
            e => EditError::Store(e),
        }
    }
}

impl From<DomainViolation> for EditError {
    fn from(v: DomainViolation) -> Self {
        EditError::Domain(Box::new(v))
    }
}
