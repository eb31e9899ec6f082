//! A second connection, or a validation, opened while an edit session holds
//! the workspace must not drop the session's POSIX locks (any descriptor of
//! the file closed by this process would): otherwise another program that
//! then opens and closes the file takes it as unused, checkpoints and
//! deletes the WAL under the live session.

mod common;

use std::path::Path;

use geo_types::Geometry;
use tramgis::edit::EditSession;
use tramgis::gpkg::GeoPackage;
use tramgis::gpkg::validate::validate;

fn wal(path: &Path) -> std::path::PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push("-wal");
    p.into()
}

fn move_tower(session: &mut EditSession, fid: i64, x: f64) {
    session
        .apply("Di chuyển trạm", |tx| {
            let point = Geometry::Point(geo_types::Point::new(x, 2_350_000.0));
            tx.set_geometry("tram_bts", fid, &point)
        })
        .unwrap();
}

#[test]
fn opening_beside_a_session_keeps_its_locks() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 200);
    let mut session = EditSession::open(&path, "kiem_tra").unwrap();
    session.start_editing("tram_bts").unwrap();
    let fid = session.gpkg().all_features("tram_bts").unwrap()[0]
        .fid
        .unwrap();
    move_tower(&mut session, fid, 420_000.0);
    assert!(wal(&path).exists(), "the session works in WAL mode");

    // What the window and the checks do while a session is open.
    let reader = GeoPackage::open_read_only(&path).unwrap();
    drop(reader);
    validate(&path).unwrap();

    // Another program opens and closes the file: it must see it in use.
    common::run_ok("ogrinfo", &["-ro", "-so", path.to_str().unwrap()], "");
    common::run_ok("sqlite3", &[path.to_str().unwrap(), "SELECT 1"], "");
    assert!(
        wal(&path).exists(),
        "another program deleted the WAL under the open session"
    );

    move_tower(&mut session, fid, 421_000.0);
    let again = GeoPackage::open_read_only(&path).unwrap();
    let tower = again.get_feature("tram_bts", fid).unwrap().unwrap();
    match tower.geometry {
        Some(Geometry::Point(p)) => assert_eq!(p.x(), 421_000.0),
        other => panic!("tower {fid} has {other:?}"),
    }
    let edits: i64 = again
        .connection()
        .query_row(
            "SELECT count(*) FROM tramgis_edits WHERE description = 'Di chuyển trạm'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(edits, 2);
}
