use std::path::PathBuf;

use super::geom::BlobError;

/// Everything that can go wrong with a workspace file. Each variant names the
/// file, and where it applies the table, row and column, so that the user
/// knows what to fix.
#[derive(Debug, thiserror::Error)]
pub enum GpkgError {
    #[error("{path}: file not found")]
    NotFound { path: PathBuf },
    #[error("{path}: the file already exists; choose another name or delete it first")]
    AlreadyExists { path: PathBuf },
    #[error("{path}: cannot read the file: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a SQLite database, so not a GeoPackage ({detail})")]
    NotSqlite { path: PathBuf, detail: String },
    #[error("{path}: a SQLite database but not a GeoPackage: {detail}")]
    NotGeoPackage { path: PathBuf, detail: String },
    #[error(
        "{path}: GeoPackage version {found} is newer than the newest this tramgis supports (1.4); \
         open it with a newer tramgis, or convert it with ogr2ogr"
    )]
    NewerVersion { path: PathBuf, found: String },
    #[error(
        "{path}: the file is damaged ({detail}); restore it from a backup or run `tramgis validate`"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error("{path}: the file is locked by another program; close it there and try again")]
    Locked { path: PathBuf },
    #[error("{path}: the file is read-only; save a copy under another name to edit")]
    ReadOnly { path: PathBuf },
    #[error("{path}: layer '{layer}' is read-only because {reason}")]
    ReadOnlyLayer {
        path: PathBuf,
        layer: String,
        reason: super::store::ReadOnlyReason,
    },
    #[error("{path}: no layer named '{layer}'")]
    NoSuchLayer { path: PathBuf, layer: String },
    #[error("{path}: layer '{layer}' already exists")]
    LayerExists { path: PathBuf, layer: String },
    #[error("{path}: layer '{layer}': no field named '{field}'")]
    NoSuchField {
        path: PathBuf,
        layer: String,
        field: String,
    },
    #[error("{path}: layer '{layer}', feature {fid}: not found")]
    NoSuchFeature {
        path: PathBuf,
        layer: String,
        fid: i64,
    },
    #[error("{path}: layer '{layer}', feature {fid}, column '{column}': bad geometry: {source}")]
    BadGeometry {
        path: PathBuf,
        layer: String,
        fid: i64,
        column: String,
        source: BlobError,
    },
    #[error("{path}: layer '{layer}': {detail}")]
    BadFeature {
        path: PathBuf,
        layer: String,
        detail: String,
    },
    #[error("{path}: {detail}")]
    Invalid { path: PathBuf, detail: String },
    #[error("{path}: there is no edit {edit_id} in the edit journal")]
    NoSuchEdit { path: PathBuf, edit_id: i64 },
    #[error(
        "{path}: edit {edit_id} cannot be undone: layer '{layer}', feature {fid} was changed \
         since by edit {later}; undo that edit first"
    )]
    ChangedSince {
        path: PathBuf,
        edit_id: i64,
        layer: String,
        fid: i64,
        later: String,
    },
    #[error("{path}: {context}: {source}")]
    Sqlite {
        path: PathBuf,
        context: String,
        source: rusqlite::Error,
    },
    #[error(transparent)]
    Crs(#[from] crate::crs::CrsError),
}

pub type Result<T> = std::result::Result<T, GpkgError>;

/// Turns a SQLite error into the user-facing kind it really is: a locked,
/// read-only or damaged file gets its own message instead of SQLite's code.
pub(crate) fn classify(path: &std::path::Path, context: &str, err: rusqlite::Error) -> GpkgError {
    use rusqlite::ErrorCode;
    let path = path.to_path_buf();
    if let rusqlite::Error::SqliteFailure(e, ref msg) = err {
        match e.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                return GpkgError::Locked { path };
            }
            ErrorCode::ReadOnly => return GpkgError::ReadOnly { path },
            ErrorCode::DatabaseCorrupt => {
                return GpkgError::Corrupt {
                    path,
                    detail: msg
                        .clone()
                        .unwrap_or_else(|| "database disk image is malformed".into()),
                };
            }
            ErrorCode::NotADatabase => {
                return GpkgError::NotSqlite {
                    path,
                    detail: msg
                        .clone()
                        .unwrap_or_else(|| "file is not a database".into()),
                };
            }
            _ => {}
        }
    }
    GpkgError::Sqlite {
        path,
        context: context.to_string(),
        source: err,
    }
}

/// Adds the file and what we were doing to a rusqlite result.
pub(crate) trait SqlContext<T> {
    fn ctx(self, path: &std::path::Path, context: &str) -> Result<T>;
}

impl<T> SqlContext<T> for rusqlite::Result<T> {
    fn ctx(self, path: &std::path::Path, context: &str) -> Result<T> {
        self.map_err(|e| classify(path, context, e))
    }
}
