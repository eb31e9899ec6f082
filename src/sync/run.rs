//! One sync operation as the CLI and the Sync panel run it (the panel in
//! a background job): open the workspace, connect with this session's
//! credentials, do the work, and log it (who, when, remote, counts, bytes,
//! errors, conflicts) whatever the outcome.

use std::path::Path;

use super::checkout::{CheckoutRequest, checkout};
use super::connect::connect;
use super::error::Result;
use super::http::{Credentials, Limits};
use super::pull::pull;
use super::push::push;
use super::remote;
use super::state::{self, LogEntry};
use crate::gpkg::GeoPackage;
use crate::jobs::Progress;

#[derive(Debug, Clone)]
pub enum Operation {
    Checkout(CheckoutRequest),
    Push,
    Pull,
    /// Pull, then push what is left (the usual "sync" button).
    Sync,
}

impl Operation {
    fn name(&self) -> String {
        match self {
            Operation::Checkout(r) => format!("checkout {}", r.collection),
            Operation::Push => "push".into(),
            Operation::Pull => "pull".into(),
            Operation::Sync => "sync".into(),
        }
    }
}

/// What one operation did, as the log records it.
pub type Summary = LogEntry;

pub fn run(
    workspace: &Path,
    remote_name: &str,
    credentials: Credentials,
    limits: Limits,
    operation: &Operation,
    progress: &Progress,
) -> Result<Summary> {
    let mut gpkg = GeoPackage::open(workspace)?;
    run_on(
        &mut gpkg,
        remote_name,
        credentials,
        limits,
        operation,
        progress,
    )
}

pub fn run_on(
    gpkg: &mut GeoPackage,
    remote_name: &str,
    credentials: Credentials,
    limits: Limits,
    operation: &Operation,
    progress: &Progress,
) -> Result<Summary> {
    let remote = remote::get(gpkg.connection(), remote_name)?;
    let mut portal = connect(&remote, credentials, limits);
    let mut entry = LogEntry {
        remote: remote.name.clone(),
        operation: operation.name(),
        user: gpkg.user().to_string(),
        started_at: state::now(gpkg.connection())?,
        ..LogEntry::default()
    };
    let outcome = (|| -> Result<()> {
        if let Operation::Checkout(request) = operation {
            let r = checkout(gpkg, &remote, portal.as_mut(), request, progress)?;
            entry.received = r.features;
            return Ok(());
        }
        if matches!(operation, Operation::Pull | Operation::Sync) {
            let r = pull(gpkg, &remote, portal.as_mut(), progress)?;
            entry.received += r.added + r.updated + r.merged + r.deleted;
            entry.conflicts += r.conflicts;
        }
        if matches!(operation, Operation::Push | Operation::Sync) {
            let r = push(gpkg, &remote, portal.as_mut(), progress)?;
            entry.created = r.created;
            entry.replaced = r.replaced;
            entry.deleted = r.deleted;
            entry.received += r.received;
            entry.conflicts += r.conflicts;
            entry.errors = r.failed;
        }
        Ok(())
    })();
    let http = portal.http();
    entry.bytes_sent = http.bytes_sent;
    entry.bytes_received = http.bytes_received;
    entry.requests = http.requests;
    entry.outcome = match &outcome {
        Ok(()) if entry.errors.is_empty() => "ok".into(),
        Ok(()) => "partial".into(),
        Err(super::SyncError::Cancelled) => "cancelled".into(),
        Err(e) => {
            entry.errors.push(e.to_string());
            "failed".into()
        }
    };
    state::log(gpkg.connection(), &entry)?;
    outcome.map(|()| entry)
}
