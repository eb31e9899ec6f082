//! A drawing is never lost to a failed edit: while another process holds
//! the GeoPackage's write lock, finishing a polygon fails with the lock
//! message (once) and the sketch stays; once the lock is released,
//! finishing again commits it, once. Driven with egui_kittest through real
//! pointer events on the sample.
#![cfg(feature = "gui")]

mod common;

use common::lock::WriteLock;
use common::ui::{State, click_map, edits, harness, reader};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use geo_types::Geometry;
use tramgis::gpkg::GeoPackage;

const LOCK_MESSAGE: &str = "another program holds the file's write lock";

fn lock_errors(h: &Harness<'static, State>) -> usize {
    h.state()
        .0
        .notifications()
        .items()
        .iter()
        .filter(|n| n.text.contains(LOCK_MESSAGE))
        .count()
}

#[test]
fn a_polygon_refused_by_another_programs_lock_stays_drawn_and_commits_once_after() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let fid = {
        let gpkg = GeoPackage::open_read_only(&path).unwrap();
        gpkg.all_features("thua_dat").unwrap()[40].fid.unwrap()
    };
    let mut h = harness(path.clone());
    h.state_mut().0.set_label_field("thua_dat", None);
    h.state_mut().0.finish_loading();
    h.state_mut().0.zoom_to_feature("thua_dat", fid);
    h.run_steps(2);
    h.get_by_label("Chỉnh sửa: thua_dat").click();
    h.run_steps(2);
    h.state_mut().0.finish_editing();
    h.run_steps(1);
    let (before, edits_before) = (common::ui::fids(&path, "thua_dat"), edits(&path));

    h.get_by_label("Thêm vùng").click();
    h.run_steps(2);
    let centre = h.state().0.map_rect().unwrap().center();
    for d in [(-40.0, -30.0), (40.0, -30.0), (40.0, 30.0), (-40.0, 30.0)] {
        click_map(&mut h, centre + egui::vec2(d.0, d.1));
    }

    // Finishing while another process holds the write lock: the edit
    // waits, then fails with the lock message, shown once.
    let holder = WriteLock::hold(&path);
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    h.state_mut().0.finish_editing();
    h.run_steps(2);
    assert_eq!(lock_errors(&h), 1, "{:?}", h.state().0.message());
    assert_eq!(
        common::ui::fids(&path, "thua_dat"),
        before,
        "nothing was written"
    );
    assert_eq!(edits(&path), edits_before);
    // The drawing is still there: its live measurement shows.
    h.hover_at(centre + egui::vec2(200.0, 150.0));
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("Diện tích:").is_some(),
        "the failed polygon is still drawn"
    );

    // The lock released, finishing again commits it, once.
    holder.release();
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    h.state_mut().0.finish_editing();
    h.run_steps(2);
    assert_eq!(lock_errors(&h), 1, "no new error");
    let after = common::ui::fids(&path, "thua_dat");
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(edits(&path), edits_before + 1, "one edit in the journal");
    let new = *after.iter().find(|f| !before.contains(f)).unwrap();
    let Some(Geometry::Polygon(p)) = reader(&path)
        .get_feature("thua_dat", new)
        .unwrap()
        .unwrap()
        .geometry
    else {
        panic!("a polygon");
    };
    assert_eq!(
        p.exterior().0.len(),
        5,
        "the four corners drawn before the failure"
    );
    // Committed, the sketch is gone: finishing again writes nothing more.
    h.run_steps(2);
    assert!(h.query_by_label_contains("Diện tích:").is_none());
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    h.state_mut().0.finish_editing();
    assert_eq!(common::ui::fids(&path, "thua_dat").len(), before.len() + 1);
    assert_eq!(edits(&path), edits_before + 1);

    let (ok, out, err) = common::tool(
        "ogrinfo",
        &[
            "-ro",
            "-q",
            path.to_str().unwrap(),
            "thua_dat",
            "-fid",
            &new.to_string(),
        ],
    );
    assert!(ok && out.contains("POLYGON (("), "ogrinfo: {err}");
}
