//! The three-way merge of one feature: its base version (as last agreed
//! with the server), mine (the workspace's) and theirs (the server's now).
//! Fields changed on one side only take that side's value; a field changed
//! on both sides to the same value is no conflict; a field changed to
//! different values, a geometry edited on both sides, or a change on one
//! side against a delete on the other is a conflict, and nothing is
//! overwritten.

use super::record::{GEOMETRY, Record, same_value};
use super::state::ConflictKind;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Merge {
    /// Nobody changed it since the base.
    Unchanged,
    /// Only mine changed: send mine.
    Mine,
    /// Only theirs changed: take theirs.
    Theirs,
    /// Both changed different fields (or the same way): the merged record.
    Merged(Record),
    /// Both deleted it.
    BothDeleted,
    /// Deleted here, unchanged there: delete it on the server.
    DeleteThere,
    /// Deleted there, unchanged here: delete it here.
    DeleteHere,
    Conflict {
        kind: ConflictKind,
        fields: Vec<String>,
    },
}

pub fn merge(
    base: &Record,
    mine: Option<&Record>,
    theirs: Option<&Record>,
    xy_tolerance: f64,
) -> Merge {
    match (mine, theirs) {
        (None, None) => Merge::BothDeleted,
        (None, Some(t)) => {
            let changed = base.changed_fields(t, xy_tolerance);
            if changed.is_empty() {
                Merge::DeleteThere
            } else {
                Merge::Conflict {
                    kind: ConflictKind::DeletedHereChangedThere,
                    fields: changed,
                }
            }
        }
        (Some(m), None) => {
            let changed = base.changed_fields(m, xy_tolerance);
            if changed.is_empty() {
                Merge::DeleteHere
            } else {
                Merge::Conflict {
                    kind: ConflictKind::ChangedHereDeletedThere,
                    fields: changed,
                }
            }
        }
        (Some(m), Some(t)) => both_present(base, m, t, xy_tolerance),
    }
}

fn both_present(base: &Record, mine: &Record, theirs: &Record, tolerance: f64) -> Merge {
    let mine_changed = base.changed_fields(mine, tolerance);
    let theirs_changed = base.changed_fields(theirs, tolerance);
    match (mine_changed.is_empty(), theirs_changed.is_empty()) {
        (true, true) => return Merge::Unchanged,
        (false, true) => return Merge::Mine,
        (true, false) => return Merge::Theirs,
        (false, false) => {}
    }
    let mut merged = theirs.clone();
    let mut conflicting = Vec::new();
    for field in &mine_changed {
        let mine_value = mine.field(field).unwrap_or(&Value::Null);
        if theirs_changed.contains(field) {
            let theirs_value = theirs.field(field).unwrap_or(&Value::Null);
            let field_tolerance = if field == GEOMETRY { tolerance } else { 0.0 };
            // A geometry edited on both sides conflicts even when the two
            // edits happen to agree only approximately; exact agreement is
            // the same edit made twice.
            if !same_value(mine_value, theirs_value, field_tolerance) {
                conflicting.push(field.clone());
            }
        } else {
            merged.set_field(field, Some(mine_value.clone()));
        }
    }
    if conflicting.is_empty() {
        merged.server_id = theirs.server_id.clone().or_else(|| mine.server_id.clone());
        Merge::Merged(merged)
    } else {
        Merge::Conflict {
            kind: ConflictKind::BothChanged,
            fields: conflicting,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(height: f64, operator: &str, x: f64) -> Record {
        Record {
            uuid: "u".into(),
            server_id: Some("7".into()),
            geometry: Some(json!({"type": "Point", "coordinates": [x, 1.0]})),
            properties: [
                ("chieu_cao".to_string(), json!(height)),
                ("nha_mang".to_string(), json!(operator)),
            ]
            .into(),
        }
    }

    #[test]
    fn different_fields_merge_and_the_same_field_conflicts() {
        let base = record(30.0, "Viettel", 0.0);
        let mine = record(45.0, "Viettel", 0.0);
        let theirs = record(30.0, "VNPT", 0.0);
        assert_eq!(
            merge(&base, Some(&mine), Some(&theirs), 1e-3),
            Merge::Merged(record(45.0, "VNPT", 0.0))
        );
        let theirs_too = record(50.0, "Viettel", 0.0);
        assert_eq!(
            merge(&base, Some(&mine), Some(&theirs_too), 1e-3),
            Merge::Conflict {
                kind: ConflictKind::BothChanged,
                fields: vec!["chieu_cao".into()]
            }
        );
        // The same change on both sides is no conflict.
        assert_eq!(
            merge(&base, Some(&mine), Some(&mine.clone()), 1e-3),
            Merge::Merged(mine.clone())
        );
    }

    #[test]
    fn geometry_on_both_sides_and_edit_against_delete_conflict() {
        let base = record(30.0, "Viettel", 0.0);
        let mine = record(30.0, "Viettel", 5.0);
        let theirs = record(30.0, "Viettel", 6.0);
        assert_eq!(
            merge(&base, Some(&mine), Some(&theirs), 1e-3),
            Merge::Conflict {
                kind: ConflictKind::BothChanged,
                fields: vec![GEOMETRY.into()]
            }
        );
        assert!(matches!(
            merge(&base, Some(&mine), None, 1e-3),
            Merge::Conflict {
                kind: ConflictKind::ChangedHereDeletedThere,
                ..
            }
        ));
        assert!(matches!(
            merge(&base, None, Some(&theirs), 1e-3),
            Merge::Conflict {
                kind: ConflictKind::DeletedHereChangedThere,
                ..
            }
        ));
        assert_eq!(merge(&base, None, Some(&base), 1e-3), Merge::DeleteThere);
        assert_eq!(merge(&base, Some(&base), None, 1e-3), Merge::DeleteHere);
        assert_eq!(
            merge(&base, Some(&base), Some(&base), 1e-3),
            Merge::Unchanged
        );
        // A rounding of the server's (QGIS publishes 3 decimals) is no change.
        let rounded = record(30.0, "Viettel", 0.0004);
        assert_eq!(merge(&base, Some(&mine), Some(&rounded), 1e-3), Merge::Mine);
    }
}
