//! Undoing an edit from the journal: the mojibake repair comes off as one
//! edit, a mixed edit (insert, update, delete) is taken back exactly, and an
//! edit that a later one built on is refused until that one is undone.

mod common;

use common::*;
use tramgis::gpkg::GeoPackage;
use tramgis::gpkg::validate::{Severity, validate};
use tramgis::io::repair_text::{apply_repairs, find_repairs};
use tramgis::model::{Feature, FieldValue};

fn text_of(gpkg: &GeoPackage, fid: i64) -> String {
    gpkg.get_feature("lots", fid).unwrap().unwrap().values[0].to_string()
}

/// Every feature (fid order) as comparable text: geometry and values.
fn snapshot(gpkg: &GeoPackage) -> Vec<String> {
    gpkg.all_features("lots")
        .unwrap()
        .iter()
        .map(|f| format!("{:?} {:?} {:?}", f.fid, f.geometry, f.values))
        .collect()
}

fn assert_valid(path: &std::path::Path) {
    let problems = validate(path).unwrap();
    assert!(
        problems.iter().all(|p| p.severity != Severity::Error),
        "{problems:?}"
    );
}

fn edits(gpkg: &GeoPackage) -> i64 {
    gpkg.connection()
        .query_row("SELECT count(*) FROM tramgis_edits", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn the_mojibake_repair_is_one_edit_that_undo_takes_back() {
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, path) = lots(dir.path(), 3);
    for (fid, text) in [(1, "V\u{ad}¬ng V¨n Hïng"), (2, "Th«n Thanh Êm")] {
        gpkg.edit("seed", |e| {
            e.set_value("lots", fid, "code", &FieldValue::Text(text.into()))
        })
        .unwrap();
    }
    let before = snapshot(&gpkg);
    let repairs = find_repairs(&gpkg, "lots", None).unwrap();
    assert_eq!(repairs.len(), 2, "{repairs:?}");
    let repair_edit = apply_repairs(&mut gpkg, "lots", &repairs)
        .unwrap()
        .expect("the repair is an edit");
    assert_eq!(text_of(&gpkg, 1), "Vương Văn Hùng");
    assert_eq!(text_of(&gpkg, 2), "Thôn Thanh Ấm");
    assert_eq!(gpkg.last_edit().unwrap().unwrap().edit_id, repair_edit);

    let n = edits(&gpkg);
    let undo = gpkg.undo_edit(repair_edit).unwrap();
    assert_eq!(snapshot(&gpkg), before, "undo restores every value");
    assert_eq!(edits(&gpkg), n + 1, "the undo is one more edit");
    let description: String = gpkg
        .connection()
        .query_row(
            "SELECT description FROM tramgis_edits WHERE edit_id = ?1",
            [undo],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        description.starts_with("Hoàn tác: Sửa lỗi mã hóa"),
        "{description}"
    );
    // Undoing the undo repairs again.
    gpkg.undo_edit(undo).unwrap();
    assert_eq!(text_of(&gpkg, 1), "Vương Văn Hùng");
    drop(gpkg);
    assert_valid(&path);
}

#[test]
fn an_edit_of_inserts_updates_and_deletes_is_undone_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, path) = lots(dir.path(), 4);
    let before = snapshot(&gpkg);
    let edit = gpkg
        .edit("mixed", |e| {
            let new = e.insert("lots", &square_feature(100.0, 100.0, "ONT"))?;
            e.update(
                "lots",
                &Feature {
                    fid: Some(2),
                    ..square_feature(50.0, 50.0, "CLN")
                },
            )?;
            e.set_value("lots", new, "area", &FieldValue::Real(7.5))?;
            e.delete("lots", 3)?;
            Ok(e.edit_id().unwrap())
        })
        .unwrap();
    assert_ne!(snapshot(&gpkg), before);
    gpkg.undo_edit(edit).unwrap();
    assert_eq!(snapshot(&gpkg), before);
    // The spatial index followed: the moved square is found where it was.
    assert_eq!(
        gpkg.count_features("lots", Some(geo_types::Rect::new((10.0, 0.0), (15.0, 5.0))))
            .unwrap(),
        1
    );
    assert_eq!(
        gpkg.count_features(
            "lots",
            Some(geo_types::Rect::new((49.0, 49.0), (56.0, 56.0)))
        )
        .unwrap(),
        0
    );
    drop(gpkg);
    assert_valid(&path);
}

#[test]
fn an_edit_a_later_one_built_on_is_refused_until_that_one_is_undone() {
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, _path) = lots(dir.path(), 2);
    let first = gpkg
        .edit("first", |e| {
            e.set_value("lots", 1, "code", &FieldValue::Text("A".into()))?;
            Ok(e.edit_id().unwrap())
        })
        .unwrap();
    let second = gpkg
        .edit("second", |e| {
            e.set_value("lots", 1, "code", &FieldValue::Text("B".into()))?;
            Ok(e.edit_id().unwrap())
        })
        .unwrap();
    let err = gpkg.undo_edit(first).unwrap_err().to_string();
    assert!(
        err.contains("lots.gpkg")
            && err.contains("feature 1")
            && err.contains(&format!("edit {second}")),
        "{err}"
    );
    assert_eq!(text_of(&gpkg, 1), "B", "a refused undo changes nothing");
    gpkg.undo_edit(second).unwrap();
    assert_eq!(text_of(&gpkg, 1), "A");
    gpkg.undo_edit(first).unwrap_err();
}

#[test]
fn the_command_line_undoes_the_last_edit() {
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, path) = lots(dir.path(), 2);
    gpkg.edit("rename", |e| {
        e.set_value("lots", 2, "code", &FieldValue::Text("SKC".into()))
    })
    .unwrap();
    drop(gpkg);
    let (ok, out, err) = common::tramgis(&["undo", path.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("undone"));
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    assert_eq!(text_of(&gpkg, 2), "ODT");
}
