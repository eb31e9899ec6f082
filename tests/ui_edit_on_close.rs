//! Closing the window never drops an edit it asked for: the edits still
//! queued for the editing thread when the window's editing state goes are
//! committed before the drop returns, and the thread has ended by then (a
//! thread left running raced the process's exit handlers over PROJ's and
//! SQLite's teardown, and sometimes corrupted the heap).
#![cfg(feature = "gui")]

mod common;

use tramgis::gpkg::GeoPackage;
use tramgis::model::FieldValue;
use tramgis::ui::edit::{Editing, Origin, Request, Write};

const LAYER: &str = "thua_dat";

/// The threads of this process named as the editing thread.
fn editing_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim() == "tramgis-edit")
        .count()
}

#[test]
fn edits_queued_when_the_window_closes_are_committed_before_it_goes() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 40);
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let info = gpkg.layer(LAYER).unwrap();
    let so_thua = info.schema.field_index("so_thua").unwrap();
    let mut features = gpkg.all_features(LAYER).unwrap();
    features.truncate(12);
    drop(gpkg);

    let mut editing = Editing::new(&path, "kiểm thử".into(), info.crs.clone());
    assert_eq!(editing_threads(), 1);
    editing.send(Request::Start(LAYER.into()));
    for (i, f) in features.iter().enumerate() {
        let mut f = f.clone();
        f.values[so_thua] = FieldValue::Integer(900_000 + i as i64);
        let write = Write::Feature {
            layer: LAYER.into(),
            feature: f,
            description: "Sửa số thửa".into(),
        };
        editing.send(Request::Write(Origin::AttributeForm, write));
    }
    // The window goes at once, with every edit still queued or running.
    drop(editing);
    assert_eq!(editing_threads(), 0, "the editing thread has ended");

    let after = GeoPackage::open_read_only(&path).unwrap();
    for (i, f) in features.iter().enumerate() {
        let fid = f.fid.unwrap();
        let now = after.get_feature(LAYER, fid).unwrap().unwrap();
        assert_eq!(
            now.values[so_thua],
            FieldValue::Integer(900_000 + i as i64),
            "parcel {fid}: the edit asked for before closing"
        );
    }
    let edits: i64 = after
        .connection()
        .query_row(
            "SELECT count(*) FROM tramgis_edits WHERE description = 'Sửa số thửa'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(edits, features.len() as i64, "each edit once");
}
