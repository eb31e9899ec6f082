//! Push: the workspace's changes since the last sync, as creates,
//! replaces and deletes. What counts as changed is read from the journal
//! (its net changes) and confirmed against each feature's base version;
//! before a replace or delete the server's current version is read, since
//! no portal offers ETags or locks, and merged three ways, so a server
//! edit is never overwritten.
//!
//! Resuming is built in: a create is recorded (with its UUID) before it is
//! sent, and on the next push the server is asked whether it landed; each
//! acknowledged batch is recorded at once; a replace sent twice sends the
//! same thing. So a dropped link, a closed laptop or a killed process
//! costs a retry, never a duplicate or a lost feature.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::changes;
use super::error::{Result, SyncError};
use super::local::{self, in_edit};
use super::merge::{Merge, merge};
use super::portal::{Op, Outcome, Portal};
use super::record::{self, Record};
use super::remote::{self, LayerMapping, Remote};
use super::state::{self, Conflict, ConflictKind, RowState, SyncRow};
use crate::gpkg::GeoPackage;
use crate::jobs::Progress;
use crate::model::FieldValue;

/// Acknowledged writes recorded per SQLite transaction.
const BATCH: usize = 200;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PushReport {
    pub created: u64,
    pub replaced: u64,
    pub deleted: u64,
    /// Server changes found while pushing and taken into the workspace.
    pub received: u64,
    pub conflicts: u64,
    /// Features the server refused, with its reasons; pushed again next time.
    pub failed: Vec<String>,
}

impl PushReport {
    fn add(&mut self, other: PushReport) {
        self.created += other.created;
        self.replaced += other.replaced;
        self.deleted += other.deleted;
        self.received += other.received;
        self.conflicts += other.conflicts;
        self.failed.extend(other.failed);
    }
}

/// One write to send and what to record when it is acknowledged.
struct Pending {
    op: Op,
    fid: Option<i64>,
    row: Option<SyncRow>,
    /// For a merged replace: the local version it was merged from; the
    /// workspace takes the merge only while it still holds that version.
    merged_from: Option<Record>,
}

impl Pending {
    fn new(op: Op, fid: Option<i64>, row: Option<SyncRow>) -> Pending {
        Pending {
            op,
            fid,
            row,
            merged_from: None,
        }
    }
}

/// What the push does for one feature, decided before anything is sent.
enum Plan {
    Create {
        fid: i64,
        mine: Record,
    },
    Replace {
        row: SyncRow,
        fid: i64,
        mine: Record,
        forced: bool,
    },
    Delete {
        row: SyncRow,
    },
    /// Sent as a create before; ask whether it landed.
    Verify {
        row: SyncRow,
        mine: Option<(i64, Record)>,
    },
}

pub fn push(
    gpkg: &mut GeoPackage,
    remote: &Remote,
    portal: &mut dyn Portal,
    progress: &Progress,
) -> Result<PushReport> {
    let mut report = PushReport::default();
    for mapping in remote::layers(gpkg.connection(), &remote.name)? {
        report.add(push_layer(gpkg, remote, &mapping, portal, progress)?);
    }
    Ok(report)
}

fn push_layer(
    gpkg: &mut GeoPackage,
    remote: &Remote,
    mapping: &LayerMapping,
    portal: &mut dyn Portal,
    progress: &Progress,
) -> Result<PushReport> {
    let (plans, newest) = plans(gpkg, remote, mapping)?;
    let mut report = PushReport::default();
    let (mut verify, mut rest): (Vec<Plan>, Vec<Plan>) = plans
        .into_iter()
        .partition(|p| matches!(p, Plan::Verify { .. }));

    // Creates sent before without an answer: landed or not?
    if !verify.is_empty() {
        let asked: Vec<Record> = verify
            .iter()
            .map(|p| match p {
                Plan::Verify { row, .. } => Record {
                    uuid: row.uuid.clone(),
                    server_id: row.server_id.clone(),
                    geometry: None,
                    properties: Default::default(),
                },
                _ => unreachable!(),
            })
            .collect();
        let found = portal.fetch_these(mapping, &asked)?;
        let mut settle = Vec::new();
        for p in verify.drain(..) {
            let Plan::Verify { row, mine } = p else {
                continue;
            };
            let Some(theirs) = found.get(&row.uuid) else {
                match mine {
                    Some((fid, mine)) => rest.push(Plan::Create { fid, mine }),
                    None => {
                        let mut gone = row;
                        gone.base = None;
                        gone.fid = None;
                        settle.push(gone);
                    }
                }
                continue;
            };
            // It landed: the server's version is the base from now on.
            let landed = SyncRow {
                server_id: theirs.server_id.clone(),
                base: Some(theirs.clone()),
                state: RowState::Synced,
                ..row
            };
            settle.push(landed.clone());
            match mine {
                Some((fid, mine)) if !mine.same_as(theirs, mapping.xy_tolerance) => {
                    rest.push(Plan::Replace {
                        row: landed,
                        fid,
                        mine,
                        forced: false,
                    })
                }
                Some(_) => {}
                None => rest.push(Plan::Delete { row: landed }),
            }
        }
        let (rname, layer) = (&remote.name, &mapping.layer);
        in_edit(
            gpkg,
            "Đồng bộ: xác nhận đối tượng đã gửi",
            |e| {
                for row in &settle {
                    if row.fid.is_none() && row.base.is_none() {
                        state::delete_row(e.connection(), rname, layer, &row.uuid)?;
                    } else {
                        state::put_row(e.connection(), rname, layer, row)?;
                    }
                }
                Ok(())
            },
        )?;
    }

    // Replaces and deletes: against the server's version now.
    let against: Vec<Record> = rest
        .iter()
        .filter_map(|p| match p {
            Plan::Replace { row, .. } | Plan::Delete { row } => {
                let mut r = row.base.clone()?;
                r.server_id = row.server_id.clone();
                Some(r)
            }
            _ => None,
        })
        .collect();
    let theirs = if against.is_empty() {
        HashMap::new()
    } else {
        changes::current_versions(portal, mapping, &against)?
    };
    let mut ops = Vec::new();
    let mut take_theirs = Vec::new();
    let mut conflicts = Vec::new();
    for p in rest {
        match p {
            Plan::Create { fid, mine } => ops.push(Pending::new(Op::Create(mine), Some(fid), None)),
            Plan::Replace {
                row,
                fid,
                mine,
                forced,
            } => {
                let base = row.base.clone().expect("a replaced feature has a base");
                let now = theirs.get(&row.uuid);
                let with_id = |mut r: Record| {
                    r.server_id = row.server_id.clone().or(r.server_id);
                    r
                };
                match merge(&base, Some(&mine), now, mapping.xy_tolerance) {
                    Merge::Mine => ops.push(Pending::new(
                        Op::Replace(with_id(mine)),
                        Some(fid),
                        Some(row),
                    )),
                    Merge::Unchanged if forced => ops.push(Pending::new(
                        Op::Replace(with_id(mine)),
                        Some(fid),
                        Some(row),
                    )),
                    Merge::Unchanged => {}
                    Merge::Merged(merged) => {
                        let mut p = Pending::new(Op::Replace(with_id(merged)), Some(fid), None);
                        p.row = Some(row);
                        p.merged_from = Some(mine);
                        ops.push(p)
                    }
                    Merge::Theirs => take_theirs.push((row, Some(fid), now.cloned())),
                    Merge::DeleteHere => take_theirs.push((row, Some(fid), None)),
                    Merge::Conflict { kind, fields } => conflicts.push(Conflict::found(
                        &remote.name,
                        &mapping.layer,
                        &row.uuid,
                        Some(fid),
                        (kind, fields),
                        (Some(base), Some(mine), now.cloned()),
                    )),
                    Merge::BothDeleted | Merge::DeleteThere => {}
                }
            }
            Plan::Delete { row } => {
                let base = row.base.clone().expect("a deleted feature has a base");
                let now = theirs.get(&row.uuid);
                match merge(&base, None, now, mapping.xy_tolerance) {
                    Merge::DeleteThere => {
                        let mut r = base;
                        r.server_id = row.server_id.clone();
                        ops.push(Pending::new(Op::Delete(r), None, Some(row)))
                    }
                    Merge::BothDeleted => take_theirs.push((row, None, None)),
                    Merge::Conflict { fields, .. } => conflicts.push(Conflict::found(
                        &remote.name,
                        &mapping.layer,
                        &row.uuid,
                        None,
                        (ConflictKind::DeletedHereChangedThere, fields),
                        (Some(base), None, now.cloned()),
                    )),
                    _ => {}
                }
            }
            Plan::Verify { .. } => unreachable!(),
        }
    }
    report.conflicts = conflicts.len() as u64;
    report.received = take_theirs.len() as u64;
    record_found(gpkg, remote, mapping, &take_theirs, &conflicts)?;

    // Creates get their UUIDs (written to the row) and are recorded as
    // being created before anything is sent.
    let creates: Vec<(i64, String)> = ops
        .iter()
        .filter_map(|p| match &p.op {
            Op::Create(r) => Some((p.fid.expect("a create has a fid"), r.uuid.clone())),
            _ => None,
        })
        .collect();
    if !creates.is_empty() {
        let (rname, layer, uuid_field) = (&remote.name, &mapping.layer, &mapping.uuid_field);
        in_edit(
            gpkg,
            "Đồng bộ: gán mã UUID cho đối tượng mới",
            |e| {
                for (fid, uuid) in &creates {
                    e.set_value(layer, *fid, uuid_field, &FieldValue::Text(uuid.clone()))?;
                    state::put_row(
                        e.connection(),
                        rname,
                        layer,
                        &SyncRow {
                            uuid: uuid.clone(),
                            fid: Some(*fid),
                            server_id: None,
                            base: None,
                            state: RowState::Creating,
                        },
                    )?;
                }
                Ok(())
            },
        )?;
    }

    progress.set_total(progress.get().1 + ops.len() as u64);
    for part in ops.chunks(portal.writes_per_send().max(1)) {
        if progress.is_cancelled() {
            return Err(SyncError::Cancelled);
        }
        let writes: Vec<Op> = part.iter().map(|p| p.op.clone()).collect();
        let mut answers: Vec<(usize, Outcome)> = Vec::new();
        let mut refused_creates: Vec<(usize, Outcome)> = Vec::new();
        let outcome = portal.send(mapping, &writes, &mut |i, o| {
            if matches!((&writes[i], &o), (Op::Create(_), Outcome::Failed(_))) {
                refused_creates.push((i, o));
                progress.advance(1);
                return Ok(());
            }
            answers.push((i, o));
            progress.advance(1);
            // Recorded as they come, a batch at a time, while the rest
            // are in flight.
            if answers.len() >= BATCH {
                report.add(record_answers(gpkg, remote, mapping, part, &answers)?);
                answers.clear();
            }
            if progress.is_cancelled() {
                Err(SyncError::Cancelled)
            } else {
                Ok(())
            }
        });
        if outcome.is_ok() {
            landed_after_all(portal, mapping, &writes, &mut refused_creates)?;
        }
        answers.append(&mut refused_creates);
        report.add(record_answers(gpkg, remote, mapping, part, &answers)?);
        outcome?;
    }
    remote::set_synced_change_id(gpkg.connection(), &remote.name, &mapping.layer, newest)?;
    Ok(report)
}

/// A create the server refused may have landed all the same: an earlier
/// attempt (from a push that was killed, or whose answer was lost) can
/// still have been in the server's hands when this one was sent, and the
/// UUID's uniqueness then refuses the second. Each refused create is looked
/// up by its UUID; one the server holds exactly as sent is done. One it
/// holds otherwise stays refused and is verified on the next push, which
/// replaces it with the workspace's version.
fn landed_after_all(
    portal: &mut dyn Portal,
    mapping: &LayerMapping,
    writes: &[Op],
    refused: &mut [(usize, Outcome)],
) -> Result<()> {
    if refused.is_empty() {
        return Ok(());
    }
    let asked: Vec<Record> = refused
        .iter()
        .map(|(i, _)| {
            let mut r = writes[*i].record().clone();
            r.server_id = None;
            r
        })
        .collect();
    let found = portal.fetch_these(mapping, &asked)?;
    for (i, outcome) in refused.iter_mut() {
        let sent = writes[*i].record();
        if let Some(theirs) = found.get(&sent.uuid)
            && theirs.same_as(sent, mapping.xy_tolerance)
        {
            *outcome = Outcome::Done {
                server_id: theirs.server_id.clone(),
            };
        }
    }
    Ok(())
}

/// How many features a push of the layer would send, by the push's own
/// rule (so an edit put back as it was counts when it differs from the
/// base, and not when it does not); the server is not asked.
pub fn waiting(gpkg: &GeoPackage, remote: &Remote, mapping: &LayerMapping) -> Result<usize> {
    Ok(plans(gpkg, remote, mapping)?.0.len())
}

/// What a push of the layer sends, decided from the workspace alone: one
/// plan per feature, and the newest journal change they cover.
fn plans(gpkg: &GeoPackage, remote: &Remote, mapping: &LayerMapping) -> Result<(Vec<Plan>, i64)> {
    let conn = gpkg.connection();
    let since = remote::synced_change_id(conn, &remote.name, &mapping.layer)?;
    let changes = gpkg.changes_since(since)?;
    let newest = changes.last().map_or(since, |c| c.change_id);
    // Every feature the journal touched, even one put back as it was: the
    // base decides, not the net change (an undone resolution nets to
    // nothing yet differs from the base the resolution set).
    let mut fids: BTreeSet<i64> = changes
        .iter()
        .filter(|c| c.table_name == mapping.layer)
        .map(|c| c.fid)
        .collect();
    let mut forced = HashSet::new();
    // Features with no local row left (a resolution that keeps a local
    // delete) are planned by their record alone.
    let mut orphans = Vec::new();
    for st in [RowState::Dirty, RowState::Creating] {
        for row in state::rows_in_state(conn, &remote.name, &mapping.layer, st)? {
            forced.insert(row.uuid.clone());
            match row.fid {
                Some(fid) => {
                    fids.insert(fid);
                }
                None if row.state == RowState::Creating => {
                    orphans.push(Plan::Verify { row, mine: None })
                }
                None if row.base.is_some() => orphans.push(Plan::Delete { row }),
                None => {}
            }
        }
    }
    let mut plans = plan(gpkg, remote, mapping, &fids, &forced)?;
    plans.extend(orphans);
    Ok((plans, newest))
}

/// Decides, per candidate feature, what to send.
fn plan(
    gpkg: &GeoPackage,
    remote: &Remote,
    mapping: &LayerMapping,
    fids: &BTreeSet<i64>,
    forced: &HashSet<String>,
) -> Result<Vec<Plan>> {
    let info = gpkg.layer(&mapping.layer)?;
    let schema = &info.schema;
    let conn = gpkg.connection();
    let mut plans = Vec::new();
    let mut seen = HashSet::new();
    for &fid in fids {
        let local = gpkg.get_feature(&mapping.layer, fid)?;
        let mine = local
            .as_ref()
            .map(|f| record::from_feature(f, schema, mapping));
        let local_uuid = mine.as_ref().map(|m| m.uuid.clone()).unwrap_or_default();
        for row in state::rows_with_fid(conn, &remote.name, &mapping.layer, fid)? {
            if row.uuid != local_uuid && seen.insert(row.uuid.clone()) {
                if state::has_open_conflict(conn, &remote.name, &mapping.layer, &row.uuid)? {
                    continue;
                }
                match row.state {
                    RowState::Creating => plans.push(Plan::Verify { row, mine: None }),
                    _ if row.base.is_some() => plans.push(Plan::Delete { row }),
                    _ => {}
                }
            }
        }
        let Some(mut mine) = mine else { continue };
        let known = if local_uuid.is_empty() {
            None
        } else {
            state::row(conn, &remote.name, &mapping.layer, &local_uuid)?
        };
        if !local_uuid.is_empty()
            && state::has_open_conflict(conn, &remote.name, &mapping.layer, &local_uuid)?
        {
            continue;
        }
        match known {
            Some(row) if row.fid == Some(fid) => {
                if !seen.insert(row.uuid.clone()) {
                    continue;
                }
                let forced = forced.contains(&row.uuid);
                match (&row.state, &row.base) {
                    (RowState::Creating, _) | (_, None) => plans.push(Plan::Verify {
                        row,
                        mine: Some((fid, mine)),
                    }),
                    (_, Some(base)) => {
                        if forced || !mine.same_as(base, mapping.xy_tolerance) {
                            plans.push(Plan::Replace {
                                row,
                                fid,
                                mine,
                                forced,
                            });
                        }
                    }
                }
            }
            known => {
                // New here, or a copy of another feature with its UUID.
                if known.is_some() || !local::is_uuid(&mine.uuid) {
                    mine.uuid = local::new_uuid();
                }
                seen.insert(mine.uuid.clone());
                plans.push(Plan::Create { fid, mine });
            }
        }
    }
    Ok(plans)
}

/// Takes into the workspace what the push found changed only on the
/// server, and stores the conflicts, in one transaction.
fn record_found(
    gpkg: &mut GeoPackage,
    remote: &Remote,
    mapping: &LayerMapping,
    take_theirs: &[(SyncRow, Option<i64>, Option<Record>)],
    conflicts: &[Conflict],
) -> Result<()> {
    if take_theirs.is_empty() && conflicts.is_empty() {
        return Ok(());
    }
    let schema = gpkg.layer(&mapping.layer)?.schema;
    in_edit(
        gpkg,
        &format!("Đồng bộ: nhận thay đổi từ {}", remote.name),
        |e| {
            for (row, fid, theirs) in take_theirs {
                let existing = match fid {
                    Some(fid) => e.get(&mapping.layer, *fid)?,
                    None => None,
                };
                match theirs {
                    Some(t) => {
                        let fid = local::write(e, mapping, &schema, existing.as_ref(), t)?;
                        let synced = SyncRow {
                            fid: Some(fid),
                            server_id: t.server_id.clone().or(row.server_id.clone()),
                            base: Some(t.clone()),
                            state: RowState::Synced,
                            ..row.clone()
                        };
                        state::put_row(e.connection(), &remote.name, &mapping.layer, &synced)?;
                    }
                    None => {
                        if let Some(f) = existing.and_then(|f| f.fid) {
                            e.delete(&mapping.layer, f)?;
                        }
                        state::delete_row(e.connection(), &remote.name, &mapping.layer, &row.uuid)?;
                    }
                }
            }
            for c in conflicts {
                state::add_conflict(e.connection(), c)?;
            }
            Ok(())
        },
    )
}

/// Records a batch's acknowledged writes at once; refused ones stay to be
/// pushed again.
fn record_answers(
    gpkg: &mut GeoPackage,
    remote: &Remote,
    mapping: &LayerMapping,
    batch: &[Pending],
    answers: &[(usize, Outcome)],
) -> Result<PushReport> {
    let mut report = PushReport::default();
    if answers.is_empty() {
        return Ok(report);
    }
    let schema = gpkg.layer(&mapping.layer)?.schema;
    in_edit(
        gpkg,
        &format!("Đồng bộ: ghi nhận lần gửi lên {}", remote.name),
        |e| {
            for (i, outcome) in answers {
                let Pending {
                    op,
                    fid,
                    row,
                    merged_from,
                } = &batch[*i];
                let record = op.record();
                match (op, outcome) {
                    (Op::Create(r), Outcome::Done { server_id }) => {
                        let server_id = server_id
                            .clone()
                            .or_else(|| mapping.id_is_uuid.then(|| r.uuid.clone()));
                        let state = if server_id.is_some() {
                            RowState::Synced
                        } else {
                            // No id in the answer: ask again on the next push.
                            RowState::Creating
                        };
                        let mut base = r.clone();
                        base.server_id = server_id.clone();
                        state::put_row(
                            e.connection(),
                            &remote.name,
                            &mapping.layer,
                            &SyncRow {
                                uuid: r.uuid.clone(),
                                fid: *fid,
                                server_id,
                                base: (state == RowState::Synced).then_some(base),
                                state,
                            },
                        )?;
                        report.created += 1;
                    }
                    (Op::Replace(r), Outcome::Done { .. }) => {
                        let row = row.as_ref().expect("a replace has its row");
                        // A merged version is the workspace's new state too,
                        // unless the feature was edited again meanwhile.
                        if let (Some(fid), Some(from)) = (fid, merged_from)
                            && let Some((existing, now)) = local::mine(e, mapping, &schema, *fid)?
                            && now.same_as(from, mapping.xy_tolerance)
                        {
                            local::write(e, mapping, &schema, Some(&existing), r)?;
                        }
                        state::put_row(
                            e.connection(),
                            &remote.name,
                            &mapping.layer,
                            &SyncRow {
                                base: Some(r.clone()),
                                state: RowState::Synced,
                                ..row.clone()
                            },
                        )?;
                        report.replaced += 1;
                    }
                    (Op::Delete(r), Outcome::Done { .. }) => {
                        state::delete_row(e.connection(), &remote.name, &mapping.layer, &r.uuid)?;
                        report.deleted += 1;
                    }
                    (_, Outcome::Failed(reason)) => {
                        if let (Op::Replace(_) | Op::Delete(_), Some(row)) = (op, row) {
                            let dirty = SyncRow {
                                state: RowState::Dirty,
                                ..row.clone()
                            };
                            state::put_row(e.connection(), &remote.name, &mapping.layer, &dirty)?;
                        }
                        report.failed.push(format!(
                            "layer '{}', feature {}{}: {reason}",
                            mapping.layer,
                            record.uuid,
                            fid.map(|f| format!(" (fid {f})")).unwrap_or_default()
                        ));
                    }
                }
            }
            Ok(())
        },
    )?;
    Ok(report)
}
