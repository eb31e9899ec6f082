//! Pull: the server's changes since the last sync, in the checked-out
//! extents, deletions included. No OGC protocol offers a change feed:
//! where the portal keeps change times and tombstones (`server-sql`),
//! only the features changed since the last read and the tombstones come
//! ([`super::changes`]); elsewhere the server's features in the extent are
//! compared with their base versions, and a feature missing from the
//! extent is asked for by id before it counts as deleted (it may have
//! moved out). Changes merge three ways with the
//! workspace's own; conflicts are stored, nothing is overwritten. All of
//! a layer's pull is one transaction.

use std::collections::{HashMap, HashSet};

use super::changes;
use super::error::{Result, SyncError};
use super::geojson::from_geojson;
use super::local::{self, in_edit};
use super::merge::{Merge, merge};
use super::portal::{Portal, fetch_all};
use super::record::Record;
use super::remote::{self, LayerMapping, Remote};
use super::state::{self, Conflict, RowState, SyncRow};
use crate::gpkg::GeoPackage;
use crate::jobs::Progress;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PullReport {
    /// Server features read.
    pub read: u64,
    pub added: u64,
    pub updated: u64,
    /// Merged with a local change of other fields (pushed next).
    pub merged: u64,
    pub deleted: u64,
    pub conflicts: u64,
    /// Read by the server's change times, not by comparing the extent.
    pub by_change_time: bool,
}

pub fn pull(
    gpkg: &mut GeoPackage,
    remote: &Remote,
    portal: &mut dyn Portal,
    progress: &Progress,
) -> Result<PullReport> {
    let mut report = PullReport::default();
    for mapping in remote::layers(gpkg.connection(), &remote.name)? {
        let r = pull_layer(gpkg, remote, &mapping, portal, progress)?;
        report.read += r.read;
        report.added += r.added;
        report.updated += r.updated;
        report.merged += r.merged;
        report.deleted += r.deleted;
        report.conflicts += r.conflicts;
        report.by_change_time |= r.by_change_time;
    }
    Ok(report)
}

fn pull_layer(
    gpkg: &mut GeoPackage,
    remote: &Remote,
    mapping: &LayerMapping,
    portal: &mut dyn Portal,
    progress: &Progress,
) -> Result<PullReport> {
    let rows = state::all_rows(gpkg.connection(), &remote.name, &mapping.layer)?;
    let by_server_id: HashMap<String, String> = rows
        .iter()
        .filter_map(|r| Some((r.server_id.clone()?, r.uuid.clone())))
        .collect();
    let Read {
        records,
        newest,
        deleted,
    } = read_theirs(portal, mapping, &rows, &by_server_id, progress)?;
    let mut theirs: HashMap<String, Record> = HashMap::new();
    let mut without_uuid = Vec::new();
    for r in records {
        if r.uuid.is_empty() {
            without_uuid.push(r);
        } else {
            theirs.insert(r.uuid.clone(), r);
        }
    }
    let mut report = PullReport {
        read: (theirs.len() + without_uuid.len()) as u64,
        by_change_time: deleted.is_some(),
        ..PullReport::default()
    };
    // Deleted on the server: every known feature a full read did not
    // find, or only those with a tombstone.
    let maybe_gone = |uuid: &str| deleted.as_ref().is_none_or(|d| d.contains(uuid));
    // A feature another client added without a UUID: known by its server
    // id once given one here, and written back by the next push.
    let mut given = HashSet::new();
    for mut r in without_uuid {
        r.uuid = r
            .server_id
            .as_ref()
            .and_then(|id| by_server_id.get(id).cloned())
            .unwrap_or_default();
        if r.uuid.is_empty() {
            r.uuid = local::new_uuid();
            given.insert(r.uuid.clone());
        }
        theirs.insert(r.uuid.clone(), r);
    }
    // Missing from the extent: deleted, or moved out of it?
    let missing: Vec<Record> = rows
        .iter()
        .filter(|r| r.base.is_some() && r.state != RowState::Creating)
        .filter(|r| !theirs.contains_key(&r.uuid) && maybe_gone(&r.uuid))
        .map(|r| {
            let mut b = r.base.clone().expect("filtered");
            b.server_id = r.server_id.clone();
            b
        })
        .collect();
    if !missing.is_empty() {
        theirs.extend(portal.fetch_these(mapping, &missing)?);
    }
    if progress.is_cancelled() {
        return Err(SyncError::Cancelled);
    }
    let schema = gpkg.layer(&mapping.layer)?.schema;
    for t in theirs.values() {
        super::sanity::check_type(mapping, schema.geometry_type, t, &remote.url)?;
    }
    let description = format!("Đồng bộ: nhận thay đổi từ {}", remote.name);
    in_edit(gpkg, &description, |e| {
        let conn_rows: HashMap<String, SyncRow> =
            rows.into_iter().map(|r| (r.uuid.clone(), r)).collect();
        for (uuid, t) in &theirs {
            let Some(row) = conn_rows.get(uuid) else {
                let fid = local::write(e, mapping, &schema, None, t)?;
                state::put_row(
                    e.connection(),
                    &remote.name,
                    &mapping.layer,
                    &SyncRow {
                        uuid: uuid.clone(),
                        fid: Some(fid),
                        server_id: t.server_id.clone(),
                        base: Some(t.clone()),
                        state: if given.contains(uuid) {
                            RowState::Dirty
                        } else {
                            RowState::Synced
                        },
                    },
                )?;
                report.added += 1;
                continue;
            };
            if state::has_open_conflict(e.connection(), &remote.name, &mapping.layer, uuid)? {
                continue;
            }
            let local = local::mine_with_uuid(e, mapping, &schema, row.fid, uuid)?;
            let Some(base) = row.base.clone() else {
                // Sent as a create and found on the server: it landed.
                put(e, remote, mapping, row, row.fid, Some(t), RowState::Synced)?;
                continue;
            };
            if base.same_as(t, mapping.xy_tolerance) {
                continue;
            }
            match merge(
                &base,
                local.as_ref().map(|(_, m)| m),
                Some(t),
                mapping.xy_tolerance,
            ) {
                Merge::Unchanged | Merge::Mine => {
                    // Within the servers' rounding: keep their figures as base.
                    put(e, remote, mapping, row, row.fid, Some(t), row.state)?;
                }
                Merge::Theirs => {
                    let existing = local.as_ref().map(|(f, _)| f);
                    let theirs = keeping_my_coordinates(t.clone(), local.as_ref(), mapping);
                    let fid = local::write(e, mapping, &schema, existing, &theirs)?;
                    put(
                        e,
                        remote,
                        mapping,
                        row,
                        Some(fid),
                        Some(t),
                        RowState::Synced,
                    )?;
                    report.updated += 1;
                }
                Merge::Merged(merged) => {
                    let existing = local.as_ref().map(|(f, _)| f);
                    let merged = keeping_my_coordinates(merged, local.as_ref(), mapping);
                    let fid = local::write(e, mapping, &schema, existing, &merged)?;
                    put(e, remote, mapping, row, Some(fid), Some(t), RowState::Dirty)?;
                    report.merged += 1;
                }
                Merge::Conflict { kind, fields } => {
                    state::add_conflict(
                        e.connection(),
                        &Conflict::found(
                            &remote.name,
                            &mapping.layer,
                            uuid,
                            row.fid,
                            (kind, fields),
                            (Some(base), local.map(|(_, m)| m), Some(t.clone())),
                        ),
                    )?;
                    report.conflicts += 1;
                }
                Merge::BothDeleted | Merge::DeleteHere | Merge::DeleteThere => {}
            }
        }
        for (uuid, row) in &conn_rows {
            if theirs.contains_key(uuid)
                || !maybe_gone(uuid)
                || row.base.is_none()
                || row.state == RowState::Creating
            {
                continue;
            }
            if state::has_open_conflict(e.connection(), &remote.name, &mapping.layer, uuid)? {
                continue;
            }
            let base = row.base.clone().expect("checked");
            let local = local::mine_with_uuid(e, mapping, &schema, row.fid, uuid)?;
            match merge(
                &base,
                local.as_ref().map(|(_, m)| m),
                None,
                mapping.xy_tolerance,
            ) {
                Merge::DeleteHere => {
                    if let Some(fid) = local.as_ref().and_then(|(f, _)| f.fid) {
                        e.delete(&mapping.layer, fid)?;
                    }
                    state::delete_row(e.connection(), &remote.name, &mapping.layer, uuid)?;
                    report.deleted += 1;
                }
                Merge::BothDeleted => {
                    state::delete_row(e.connection(), &remote.name, &mapping.layer, uuid)?;
                }
                Merge::Conflict { kind, fields } => {
                    state::add_conflict(
                        e.connection(),
                        &Conflict::found(
                            &remote.name,
                            &mapping.layer,
                            uuid,
                            row.fid,
                            (kind, fields),
                            (Some(base), local.map(|(_, m)| m), None),
                        ),
                    )?;
                    report.conflicts += 1;
                }
                _ => {}
            }
        }
        let watermark = changes::newer(mapping.changes_since.clone(), newest.clone());
        if watermark != mapping.changes_since {
            let mut moved = mapping.clone();
            moved.changes_since = watermark;
            remote::save_layer(e.connection(), &remote.name, &moved)?;
        }
        Ok(())
    })?;
    Ok(report)
}

/// What a pull read from the server.
struct Read {
    /// The server's features to compare with their base versions.
    records: Vec<Record>,
    /// The newest change time, to move the watermark to.
    newest: Option<String>,
    /// Read by change time: the UUIDs deleted since (a known feature not
    /// read is unchanged). None: the whole extent was read.
    deleted: Option<HashSet<String>>,
}

/// The changes since the watermark where the portal keeps change times,
/// else every feature in the extent.
fn read_theirs(
    portal: &mut dyn Portal,
    mapping: &LayerMapping,
    rows: &[SyncRow],
    by_server_id: &HashMap<String, String>,
    progress: &Progress,
) -> Result<Read> {
    if let Some(c) = changes::since_watermark(portal, mapping)? {
        let known: HashSet<&str> = rows.iter().map(|r| r.uuid.as_str()).collect();
        // Changes elsewhere in the province are not this checkout's;
        // a known feature's are, wherever it moved.
        let ours = |r: &Record| {
            known.contains(r.uuid.as_str())
                || r.server_id
                    .as_ref()
                    .is_some_and(|id| by_server_id.contains_key(id))
                || within(mapping.extent, r)
        };
        let records: Vec<Record> = c.changed.into_iter().filter(ours).collect();
        progress.advance(records.len() as u64);
        return Ok(Read {
            records,
            newest: c.newest,
            deleted: Some(c.deleted),
        });
    }
    // Taken before the read: what changes during it comes at the next pull.
    let newest = portal.changes(mapping, None)?.and_then(|c| c.newest);
    Ok(Read {
        records: fetch_all(portal, mapping, mapping.extent, progress)?,
        newest,
        deleted: None,
    })
}

/// `taken` with the workspace's geometry where the two are the same within
/// the tolerance: a server that rounds its answers (QGIS Server's /wfs3
/// writes degrees to six decimals) must not round the workspace's.
fn keeping_my_coordinates(
    mut taken: Record,
    local: Option<&(crate::model::Feature, Record)>,
    mapping: &LayerMapping,
) -> Record {
    if let Some((_, mine)) = local {
        let same = match (&mine.geometry, &taken.geometry) {
            (Some(a), Some(b)) => super::record::same_value(a, b, mapping.xy_tolerance),
            (None, None) => true,
            _ => false,
        };
        if same {
            taken.geometry = mine.geometry.clone();
        }
    }
    taken
}

/// Whether a feature's bounding box meets the extent (None: everywhere).
fn within(extent: Option<[f64; 4]>, record: &Record) -> bool {
    use geo::{BoundingRect, Intersects};
    let Some([x0, y0, x1, y1]) = extent else {
        return true;
    };
    let extent = geo_types::Rect::new((x0, y0), (x1, y1));
    record
        .geometry
        .as_ref()
        .and_then(|g| from_geojson(g).ok().flatten())
        .and_then(|g| g.bounding_rect())
        .is_some_and(|b| b.intersects(&extent))
}

fn put(
    e: &mut crate::gpkg::Edit<'_>,
    remote: &Remote,
    mapping: &LayerMapping,
    row: &SyncRow,
    fid: Option<i64>,
    base: Option<&Record>,
    state: RowState,
) -> Result<()> {
    state::put_row(
        e.connection(),
        &remote.name,
        &mapping.layer,
        &SyncRow {
            uuid: row.uuid.clone(),
            fid,
            server_id: base
                .and_then(|b| b.server_id.clone())
                .or(row.server_id.clone()),
            base: base.cloned(),
            state,
        },
    )
}
