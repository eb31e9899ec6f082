//! Resolving a conflict: keep mine, take theirs, or a merged version made
//! by hand. A resolution is an edit like any other (one transaction,
//! journaled, a step of the undo history) and what it decides is pushed
//! next: the base becomes the server's version, so the push sends the
//! decided version as a plain change.

use super::error::{Result, SyncError};
use super::local::{self, in_edit};
use super::record::Record;
use super::remote::{self, LayerMapping};
use super::state::{self, Conflict, RowState, SyncRow};
use crate::gpkg::{Edit, GeoPackage};

#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    /// The workspace's version wins (its delete, when it deleted).
    KeepMine,
    /// The server's version wins (its delete, when it deleted).
    TakeTheirs,
    /// A version made from both, e.g. field by field in the Sync panel.
    Merged(Record),
}

impl Resolution {
    pub fn name(&self) -> &'static str {
        match self {
            Resolution::KeepMine => "keep-mine",
            Resolution::TakeTheirs => "take-theirs",
            Resolution::Merged(_) => "merged",
        }
    }
}

/// Applies a resolution; the conflict is closed in the same transaction.
pub fn resolve(gpkg: &mut GeoPackage, conflict_id: i64, resolution: &Resolution) -> Result<()> {
    let conflict = state::open_conflicts(gpkg.connection(), None)?
        .into_iter()
        .find(|c| c.id == conflict_id)
        .ok_or_else(|| SyncError::Config(format!("no open conflict {conflict_id}")))?;
    let mapping = remote::layer(gpkg.connection(), &conflict.remote, &conflict.layer)?;
    let schema = gpkg.layer(&conflict.layer)?.schema;
    let user = gpkg.user().to_string();
    let history = |err: crate::edit::EditError| SyncError::Config(err.to_string());
    crate::edit::history::ensure_tables(gpkg.connection(), gpkg.path()).map_err(history)?;
    let description = format!(
        "Giải quyết xung đột đồng bộ ({}, {}): {}",
        conflict.layer,
        conflict.uuid,
        resolution.name()
    );
    in_edit(gpkg, &description, |e| {
        let local = local::mine_with_uuid(e, &mapping, &schema, conflict.fid, &conflict.uuid)?;
        let existing = local.as_ref().map(|(f, _)| f);
        let (fid, state) = match resolution {
            Resolution::KeepMine => (
                existing.and_then(|f| f.fid),
                if conflict.theirs.is_some() || existing.is_none() {
                    RowState::Dirty
                } else {
                    // Deleted on the server: created again, same UUID.
                    RowState::Creating
                },
            ),
            Resolution::TakeTheirs => match &conflict.theirs {
                Some(t) => (
                    Some(local::write(e, &mapping, &schema, existing, t)?),
                    RowState::Synced,
                ),
                None => {
                    if let Some(fid) = existing.and_then(|f| f.fid) {
                        e.delete(&mapping.layer, fid)?;
                    }
                    (None, RowState::Synced)
                }
            },
            Resolution::Merged(r) => {
                let mut r = r.clone();
                r.uuid = conflict.uuid.clone();
                let fid = local::write(e, &mapping, &schema, existing, &r)?;
                let state = if conflict.theirs.is_some() {
                    RowState::Dirty
                } else {
                    RowState::Creating
                };
                (Some(fid), state)
            }
        };
        settle(e, &conflict, &mapping, fid, state)?;
        state::mark_resolved(e.connection(), conflict.id, resolution.name())?;
        if let Some(edit_id) = e.edit_id() {
            crate::edit::history::record(e.connection(), e.path(), edit_id, &description, &user)
                .map_err(history)?;
        }
        Ok(())
    })
}

/// The feature's sync record after the decision: the base is the
/// server's version, so the push sends exactly what was decided.
fn settle(
    e: &mut Edit<'_>,
    conflict: &Conflict,
    mapping: &LayerMapping,
    fid: Option<i64>,
    state: RowState,
) -> Result<()> {
    let (rname, layer) = (&conflict.remote, &mapping.layer);
    let old = state::row(e.connection(), rname, layer, &conflict.uuid)?;
    let server_id = conflict
        .theirs
        .as_ref()
        .and_then(|t| t.server_id.clone())
        .or_else(|| old.and_then(|r| r.server_id));
    match (&conflict.theirs, state) {
        (None, RowState::Synced) => state::delete_row(e.connection(), rname, layer, &conflict.uuid),
        (None, _) => state::put_row(
            e.connection(),
            rname,
            layer,
            &SyncRow {
                uuid: conflict.uuid.clone(),
                fid,
                server_id: None,
                base: None,
                state: RowState::Creating,
            },
        ),
        (Some(theirs), state) => state::put_row(
            e.connection(),
            rname,
            layer,
            &SyncRow {
                uuid: conflict.uuid.clone(),
                fid: fid.or(conflict.fid),
                server_id,
                base: Some(theirs.clone()),
                state,
            },
        ),
    }
}
