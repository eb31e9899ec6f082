//! A drawing is never lost to a failed edit: while another process holds
//! the GeoPackage's write lock, finishing a polygon fails with the lock
//! message (once) and the sketch stays; once the lock is released,
//! finishing again commits it, once. Driven with egui_kittest through real
//! pointer events on the sample.
#![cfg(feature = "gui")]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use geo_types::Geometry;
use tramgis::gpkg::GeoPackage;

use common::ui::{State, harness};

fn reader(path: &std::path::Path) -> GeoPackage {
    GeoPackage::open_with(
        path,
        &tramgis::gpkg::OpenOptions {
            adopt: false,
            ..Default::default()
        },
    )
    .unwrap()
}

fn click_map(h: &mut Harness<'static, State>, at: egui::Pos2) {
    h.hover_at(at);
    h.drag_at(at);
    h.drop_at(at);
    h.run_steps(2);
}

fn fids(path: &std::path::Path) -> Vec<i64> {
    let mut v: Vec<i64> = reader(path)
        .all_features("thua_dat")
        .unwrap()
        .iter()
        .filter_map(|f| f.fid)
        .collect();
    v.sort();
    v
}

fn edits(path: &std::path::Path) -> i64 {
    reader(path)
        .connection()
        .query_row("SELECT count(*) FROM tramgis_edits", [], |r| r.get(0))
        .unwrap()
}

/// Another process (Python's sqlite3 module) holding the file's write
/// lock (BEGIN IMMEDIATE) until a line arrives on its stdin.
fn hold_write_lock(path: &std::path::Path) -> Child {
    let script = "import sqlite3, sys\n\
        c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)\n\
        c.execute('BEGIN IMMEDIATE')\n\
        print('locked', flush=True)\n\
        sys.stdin.readline()\n\
        c.execute('ROLLBACK')\n\
        c.close()\n";
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", script, path.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "locked");
    child
}

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
    let (before, edits_before) = (fids(&path), edits(&path));

    h.get_by_label("Thêm vùng").click();
    h.run_steps(2);
    let centre = h.state().0.map_rect().unwrap().center();
    for d in [(-40.0, -30.0), (40.0, -30.0), (40.0, 30.0), (-40.0, 30.0)] {
        click_map(&mut h, centre + egui::vec2(d.0, d.1));
    }

    // Finishing while another process holds the write lock: the edit
    // waits, then fails with the lock message, shown once.
    let mut holder = hold_write_lock(&path);
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    h.state_mut().0.finish_editing();
    h.run_steps(2);
    assert_eq!(lock_errors(&h), 1, "{:?}", h.state().0.message());
    assert_eq!(fids(&path), before, "nothing was written");
    assert_eq!(edits(&path), edits_before);
    // The drawing is still there: its live measurement shows.
    h.hover_at(centre + egui::vec2(200.0, 150.0));
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("Diện tích:").is_some(),
        "the failed polygon is still drawn"
    );

    // The lock released, finishing again commits it, once.
    writeln!(holder.stdin.as_mut().unwrap()).unwrap();
    assert!(holder.wait().unwrap().success());
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    h.state_mut().0.finish_editing();
    h.run_steps(2);
    assert_eq!(lock_errors(&h), 1, "no new error");
    let after = fids(&path);
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
    assert_eq!(fids(&path).len(), before.len() + 1);
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
