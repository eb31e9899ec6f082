//! What the Sync panel asks to be done, and the doing of it on a job's
//! thread: adding a remote (its protocol asked of the server), removing
//! one, the four operations of `sync::run`, and a conflict's resolution.
//! Also the panel's overview (remotes, mappings, pending changes, open
//! conflicts, the log), read on a read-only connection of its own. The
//! UI thread opens the store for none of these.

use std::path::Path;

use crate::gpkg::GeoPackage;
use crate::jobs::Progress;
use crate::sync::SyncError;
use crate::sync::connect::{self, detect, session_credentials};
use crate::sync::http::{Credentials, Limits};
use crate::sync::keyring;
use crate::sync::remote::Protocol;
use crate::sync::remote::{self, Auth, LayerMapping, Remote};
use crate::sync::resolve::{Resolution, resolve};
use crate::sync::run::{Operation, run_on};
use crate::sync::state::{self, Conflict, LogEntry};

/// How many runs of the sync log the panel shows.
pub const LOG_ROWS: usize = 100;

/// One piece of work of the panel, run as a job of the app's registry.
pub enum Task {
    /// Adds a remote; `protocol` None: asked of the server (`detect`).
    AddRemote {
        remote: Remote,
        protocol: Option<Protocol>,
        /// The password or token typed, for this session.
        secret: String,
    },
    RemoveRemote(String),
    Run {
        remote: String,
        operation: Operation,
        /// The password or token typed (empty: the environment or keyring).
        secret: String,
        /// The remote's layers, which the map reloads afterwards.
        layers: Vec<String>,
    },
    Resolve {
        conflict: i64,
        layer: String,
        resolution: Resolution,
    },
}

/// What the map reloads after a task.
#[derive(Debug, Clone, PartialEq)]
pub enum Reload {
    Nothing,
    Layers(Vec<String>),
    /// A checkout made a new layer: the layer tree lists it.
    Workspace,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// What was done, with the log's counts where there are some.
    Done(Option<LogEntry>),
    Cancelled,
    Failed(String),
}

/// A finished task, as the job hands it back. A task that failed still
/// reloads: a pull cut short may have written part of what it took.
#[derive(Debug, Clone)]
pub struct Finished {
    pub outcome: Outcome,
    pub reload: Reload,
}

/// This session's secret for a remote: what the panel's password field
/// holds, else the environment (`session_credentials`), else the OS
/// keyring where one runs (`sync login` kept it). The terminal is never
/// asked: a window's job has no one reading it. On a job's thread: the
/// keyring may take two seconds to answer.
pub fn credentials(remote: &Remote, typed: &str) -> Result<Credentials, SyncError> {
    let variable = match &remote.auth {
        Auth::None => return Ok(Credentials::None),
        _ if !typed.is_empty() => return Ok(connect::credentials(remote, typed.into())),
        Auth::Basic { .. } => "TRAMGIS_SYNC_PASSWORD",
        Auth::Bearer => "TRAMGIS_SYNC_TOKEN",
    };
    if std::env::var_os(variable).is_some() {
        return session_credentials(remote);
    }
    if let Some(kept) = keyring::load(remote) {
        return Ok(connect::credentials(remote, kept));
    }
    Err(SyncError::Config(format!(
        "{}: {}",
        remote.name,
        match remote.auth {
            Auth::Bearer =>
                "nhập mã truy cập (token) trong bảng Đồng bộ / enter the access token in the Sync panel",
            _ => "nhập mật khẩu trong bảng Đồng bộ / enter the password in the Sync panel",
        }
    )))
}

/// Runs a task on the workspace at `path` (on a job's thread).
pub fn run(path: &Path, task: Task, progress: &Progress) -> Finished {
    let mut reload = Reload::Nothing;
    let result = (|| -> Result<Option<LogEntry>, SyncError> {
        let mut gpkg = GeoPackage::open(path)?;
        gpkg.set_user(&crate::ui::user_name());
        match task {
            Task::AddRemote {
                mut remote,
                protocol,
                secret,
            } => {
                remote.protocol = match protocol {
                    Some(p) => p,
                    None => detect(&remote.url, credentials(&remote, &secret)?)?,
                };
                remote::add(gpkg.connection(), &remote)?;
                Ok(None)
            }
            Task::RemoveRemote(name) => {
                // One transaction: the remote goes with all it kept, or stays.
                let conn = gpkg.connection();
                let sql = |e: rusqlite::Error| state::sql(e, "removing the remote");
                conn.execute_batch("BEGIN IMMEDIATE").map_err(sql)?;
                let gone = remote::get(conn, &name);
                match remote::remove(conn, &name) {
                    Ok(()) => conn.execute_batch("COMMIT").map_err(sql)?,
                    Err(e) => {
                        let _ = conn.execute_batch("ROLLBACK");
                        return Err(e);
                    }
                }
                // As `tramgis sync remote remove`: its kept secret goes too
                // (where no keyring runs nothing was kept).
                if let Ok(gone) = gone {
                    let _ = keyring::forget(&gone);
                }
                Ok(None)
            }
            Task::Run {
                remote,
                operation,
                secret,
                layers,
            } => {
                reload = match operation {
                    Operation::Checkout(_) => Reload::Workspace,
                    _ => Reload::Layers(layers),
                };
                let known = remote::get(gpkg.connection(), &remote)?;
                let credentials = credentials(&known, &secret)?;
                let limits = Limits::default();
                run_on(
                    &mut gpkg,
                    &remote,
                    credentials,
                    limits,
                    &operation,
                    progress,
                )
                .map(Some)
            }
            Task::Resolve {
                conflict,
                layer,
                resolution,
            } => {
                resolve(&mut gpkg, conflict, &resolution)?;
                reload = Reload::Layers(vec![layer]);
                Ok(None)
            }
        }
    })();
    let outcome = match result {
        Ok(summary) => Outcome::Done(summary),
        Err(SyncError::Cancelled) => Outcome::Cancelled,
        Err(e) => Outcome::Failed(e.to_string()),
    };
    Finished { outcome, reload }
}

/// One layer a remote syncs, with what waits on it.
#[derive(Debug, Clone)]
pub struct LayerStatus {
    pub mapping: LayerMapping,
    /// Local features changed since the last sync (net changes).
    pub pending: usize,
    pub conflicts: usize,
}

#[derive(Debug, Clone)]
pub struct RemoteStatus {
    pub remote: Remote,
    pub layers: Vec<LayerStatus>,
}

/// Everything the panel shows, read at once.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    pub remotes: Vec<RemoteStatus>,
    pub conflicts: Vec<Conflict>,
    pub log: Vec<LogEntry>,
    /// The workspace's districts and communes, to check out within.
    pub boundaries: Vec<crate::sync::boundaries::Boundary>,
}

/// Reads the overview (on a read-only connection, off the UI thread).
pub fn overview(gpkg: &GeoPackage) -> Result<Overview, SyncError> {
    let conn = gpkg.connection();
    let conflicts = state::open_conflicts(conn, None)?;
    let mut remotes = Vec::new();
    for r in remote::list(conn)? {
        let mut layers = Vec::new();
        for mapping in remote::layers(conn, &r.name)? {
            layers.push(LayerStatus {
                pending: crate::sync::push::waiting(gpkg, &r, &mapping)?,
                conflicts: conflicts
                    .iter()
                    .filter(|c| c.remote == r.name && c.layer == mapping.layer)
                    .count(),
                mapping,
            });
        }
        remotes.push(RemoteStatus { remote: r, layers });
    }
    Ok(Overview {
        remotes,
        conflicts,
        log: state::history(conn, LOG_ROWS)?,
        boundaries: crate::sync::boundaries::list(gpkg)?,
    })
}
