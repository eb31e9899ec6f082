//! The journal's net changes since a sync: what a push must send, one
//! entry per feature, whatever happened to it in between.
//!
//! - an insert, then updates: one create (of the row as it is now);
//! - an insert, then a delete: nothing (the server never saw it);
//! - updates: one replace, naming the fields that differ between the row
//!   before the first update and after the last (the three-way merge needs
//!   them), or nothing when the updates put every value back (an undo);
//! - updates, then a delete, or a delete: one delete, with the row as the
//!   server last had it;
//! - a delete, then an insert under the same fid (SQLite may reuse it): a
//!   delete of the old feature and a create of the new one.
//!
//! Edits made by other programs (QGIS, GDAL) are in the journal too (its
//! triggers fire for them), so they are pushed like ours.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::gpkg::{Change, GeoPackage, Result};

/// What a push does for one feature.
#[derive(Debug, Clone, PartialEq)]
pub enum NetChange {
    /// A new feature: send the row as it is now.
    Create { fid: i64 },
    /// An existing feature changed: `base` is the row before the first
    /// change, `fields` the columns (geometry included) that differ now.
    Replace {
        fid: i64,
        base: Option<Value>,
        fields: Vec<String>,
    },
    /// A feature the server has, deleted here: `base` is its last row.
    Delete { fid: i64, base: Option<Value> },
}

impl NetChange {
    pub fn fid(&self) -> i64 {
        match self {
            NetChange::Create { fid }
            | NetChange::Replace { fid, .. }
            | NetChange::Delete { fid, .. } => *fid,
        }
    }
}

/// What one feature's journal rows add up to so far.
enum Fold {
    Created,
    Updated {
        base: Option<Value>,
        now: Option<Value>,
    },
    Deleted {
        base: Option<Value>,
    },
    /// Deleted, then a new feature under the same fid.
    Recreated {
        base: Option<Value>,
    },
    /// Created and deleted again: the server never needs to know.
    Gone,
}

fn step(fold: Option<Fold>, change: &Change) -> Fold {
    let op = change.op.as_str();
    match (fold, op) {
        (None, "insert") => Fold::Created,
        (None, "update") => Fold::Updated {
            base: change.old_values.clone(),
            now: change.new_values.clone(),
        },
        (None, _) => Fold::Deleted {
            base: change.old_values.clone(),
        },
        (Some(Fold::Created), "delete") => Fold::Gone,
        (Some(Fold::Created), _) => Fold::Created,
        (Some(Fold::Updated { base, .. }), "update") => Fold::Updated {
            base,
            now: change.new_values.clone(),
        },
        (Some(Fold::Updated { base, .. }), _) => Fold::Deleted { base },
        (Some(Fold::Deleted { base }), "insert") => Fold::Recreated { base },
        (Some(Fold::Deleted { base }), _) => Fold::Deleted { base },
        (Some(Fold::Recreated { base }), "delete") => Fold::Deleted { base },
        (Some(Fold::Recreated { base }), _) => Fold::Recreated { base },
        (Some(Fold::Gone), "insert") => Fold::Created,
        (Some(Fold::Gone), _) => Fold::Gone,
    }
}

/// The columns whose values differ between two journal rows (JSON
/// objects of the row's columns).
fn differing_fields(base: Option<&Value>, now: Option<&Value>) -> Vec<String> {
    let empty = serde_json::Map::new();
    let base = base.and_then(Value::as_object).unwrap_or(&empty);
    let now = now.and_then(Value::as_object).unwrap_or(&empty);
    let mut fields: Vec<String> = base
        .keys()
        .chain(now.keys())
        .filter(|k| base.get(*k) != now.get(*k))
        .cloned()
        .collect();
    fields.sort();
    fields.dedup();
    fields
}

/// Folds journal rows (oldest first) into net changes per layer, each
/// layer's in fid order.
pub fn net_changes(changes: &[Change]) -> BTreeMap<String, Vec<NetChange>> {
    let mut folds: BTreeMap<(String, i64), Fold> = BTreeMap::new();
    for change in changes {
        let key = (change.table_name.clone(), change.fid);
        let folded = step(folds.remove(&key), change);
        folds.insert(key, folded);
    }
    let mut out: BTreeMap<String, Vec<NetChange>> = BTreeMap::new();
    for ((layer, fid), fold) in folds {
        let entries: Vec<NetChange> = match fold {
            Fold::Created => vec![NetChange::Create { fid }],
            Fold::Updated { base, now } => {
                let fields = differing_fields(base.as_ref(), now.as_ref());
                if fields.is_empty() {
                    Vec::new()
                } else {
                    vec![NetChange::Replace { fid, base, fields }]
                }
            }
            Fold::Deleted { base } => vec![NetChange::Delete { fid, base }],
            Fold::Recreated { base } => {
                vec![NetChange::Delete { fid, base }, NetChange::Create { fid }]
            }
            Fold::Gone => Vec::new(),
        };
        if !entries.is_empty() {
            out.entry(layer).or_default().extend(entries);
        }
    }
    out
}

/// The net changes of the workspace's journal after change `since` (the
/// last change a sync sent), and the newest change id they cover.
pub fn pending_changes(
    gpkg: &GeoPackage,
    since: i64,
) -> Result<(BTreeMap<String, Vec<NetChange>>, i64)> {
    let changes = gpkg.changes_since(since)?;
    let newest = changes.last().map_or(since, |c| c.change_id);
    Ok((net_changes(&changes), newest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(id: i64, fid: i64, op: &str, old: Option<Value>, new: Option<Value>) -> Change {
        Change {
            change_id: id,
            table_name: "tram_bts".into(),
            fid,
            op: op.into(),
            old_values: old,
            new_values: new,
            changed_at: String::new(),
            user: "test".into(),
            edit_id: None,
        }
    }

    #[test]
    fn a_feature_deleted_and_its_fid_reused_is_a_delete_and_a_create() {
        let old = json!({"fid": 7, "ten": "A"});
        let changes = [
            change(1, 7, "delete", Some(old.clone()), None),
            change(2, 7, "insert", None, Some(json!({"fid": 7, "ten": "B"}))),
        ];
        let net = net_changes(&changes);
        assert_eq!(
            net["tram_bts"],
            vec![
                NetChange::Delete {
                    fid: 7,
                    base: Some(old)
                },
                NetChange::Create { fid: 7 }
            ]
        );
    }

    #[test]
    fn an_update_put_back_is_nothing_and_a_changed_one_names_its_fields() {
        let a = json!({"fid": 1, "ten": "A", "cao": 30});
        let b = json!({"fid": 1, "ten": "B", "cao": 30});
        let c = json!({"fid": 2, "ten": "C", "cao": 30});
        let d = json!({"fid": 2, "ten": "C", "cao": 45});
        let changes = [
            change(1, 1, "update", Some(a.clone()), Some(b.clone())),
            change(2, 1, "update", Some(b), Some(a)),
            change(3, 2, "update", Some(c.clone()), Some(d)),
        ];
        let net = net_changes(&changes);
        assert_eq!(
            net["tram_bts"],
            vec![NetChange::Replace {
                fid: 2,
                base: Some(c),
                fields: vec!["cao".into()]
            }]
        );
    }
}
