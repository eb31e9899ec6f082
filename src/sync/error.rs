//! What can go wrong in a sync. Each error names the remote's URL (or the
//! workspace) and, where it applies, the layer and feature, so that a field
//! officer can tell a dropped link from a portal that refuses the data.

use crate::gpkg::GpkgError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The link failed: no connection, a reset, a timeout, a cut response.
    /// Nothing was changed locally; the next sync continues.
    #[error(
        "{url}: the connection failed ({detail}); nothing was changed locally, sync again when the link is back"
    )]
    Network { url: String, detail: String },
    /// The server answered with an error status.
    #[error("{url}: the server answered HTTP {status}{}", describe(.message))]
    Status {
        url: String,
        status: u16,
        message: String,
    },
    /// The server answered something that is not what the protocol says.
    #[error("{url}: the server's answer is not valid {expected}: {detail}")]
    BadResponse {
        url: String,
        expected: &'static str,
        detail: String,
    },
    /// The server refused or dropped one feature of a batch.
    #[error("{url}: layer '{layer}', feature {uuid}: {detail}")]
    Feature {
        url: String,
        layer: String,
        uuid: String,
        detail: String,
    },
    #[error("remote '{0}' is not defined; add it with `tramgis sync remote add`")]
    NoSuchRemote(String),
    #[error("remote '{remote}' has no layer '{layer}' checked out")]
    NotCheckedOut { remote: String, layer: String },
    #[error("{0}")]
    Config(String),
    /// The workspace's sync tables could not be read or written.
    #[error("the workspace's sync records: {what}: {detail}")]
    Workspace { what: String, detail: String },
    #[error("cancelled; what was acknowledged is recorded, the next sync continues")]
    Cancelled,
    #[error(transparent)]
    Store(#[from] GpkgError),
}

fn describe(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

impl SyncError {
    /// A failure the next attempt may not meet (the link, a busy server).
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Network { .. } => true,
            SyncError::Status { status, .. } => matches!(status, 502..=504 | 429),
            _ => false,
        }
    }
}

pub type Result<T, E = SyncError> = std::result::Result<T, E>;
