//! The edit session on real files: opening changes nothing, start_editing
//! adopts one layer, every apply is one transaction with its journal rows
//! and history step, undo restores every column exactly, redo re-applies,
//! the history survives reopening, a lock held by another process (the
//! sqlite3 shell, as QGIS holds it) fails clearly and loses nothing.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use geo_types::{Geometry, LineString, Polygon};
use rusqlite::types::Value;
use tramgis::edit::{EditError, EditSession};
use tramgis::model::{Feature, FieldValue};

/// Every column of every row of a table, by fid: what "the exact state" is.
fn snapshot(path: &Path, table: &str) -> Vec<Vec<Value>> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))
        .unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn count(path: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn square(x: f64, y: f64, size: f64) -> Geometry<f64> {
    Geometry::Polygon(Polygon::new(
        LineString::from(vec![
            (x, y),
            (x + size, y),
            (x + size, y + size),
            (x, y + size),
            (x, y),
        ]),
        vec![],
    ))
}

fn first_fids(session: &EditSession, layer: &str, n: usize) -> Vec<i64> {
    session.gpkg().fids_where(layer, None, None).unwrap()[..n].to_vec()
}

#[test]
fn opening_a_foreign_file_changes_nothing_until_editing_starts() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("in.geojson");
    std::fs::write(
        &json,
        r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"ten":"A","dien_tich":100.123456789012},
         "geometry":{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]]]}}]}"#,
    )
    .unwrap();
    let file = dir.path().join("foreign.gpkg");
    common::run_ok(
        "ogr2ogr",
        &[
            "-f",
            "GPKG",
            file.to_str().unwrap(),
            json.to_str().unwrap(),
            "-nln",
            "parcels",
        ],
        "",
    );
    let before = std::fs::read(&file).unwrap();
    {
        let session = EditSession::open(&file, "Trần Thị B").unwrap();
        assert_eq!(session.gpkg().all_features("parcels").unwrap().len(), 1);
        assert!(!session.is_editing("parcels"));
    }
    assert_eq!(
        before,
        std::fs::read(&file).unwrap(),
        "open changed the file"
    );
    let tables = |f: &Path| {
        count(
            f,
            "SELECT count(*) FROM sqlite_master WHERE name LIKE 'tramgis%'",
        )
    };
    assert_eq!(tables(&file), 0);

    let mut session = EditSession::open(&file, "Trần Thị B").unwrap();
    session.start_editing("parcels").unwrap();
    assert!(session.is_editing("parcels"));
    assert!(tables(&file) > 0);
    session.stop_editing("parcels");
    session.start_editing("parcels").unwrap();
    let registered = count(
        &file,
        "SELECT count(*) FROM gpkg_extensions WHERE extension_name IN ('tramgis_edit_journal', 'tramgis_undo_history')",
    );
    assert_eq!(registered, 2, "each extension is registered once");
    let (_, applied) = session
        .apply("Sửa tên thửa", |tx| {
            tx.set_value("parcels", 1, "ten", &FieldValue::Text("B".into()))
        })
        .unwrap();
    assert_eq!(applied.layer("parcels").unwrap().updated, vec![1]);
    let user: String = rusqlite::Connection::open(&file)
        .unwrap()
        .query_row(
            "SELECT user FROM tramgis_changes WHERE edit_id = ?1",
            [applied.edit_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(user, "Trần Thị B");
    drop(session);
    let (ok, out, err) = common::tool("ogrinfo", &["-al", "-q", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("ten (String) = B"), "{out}");
}

#[test]
fn apply_undo_redo_restore_every_column_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 40);
    let mut session = EditSession::open(&path, "Nguyễn Văn A").unwrap();
    session.start_editing("thua_dat").unwrap();
    let before = snapshot(&path, "thua_dat");
    let fids = first_fids(&session, "thua_dat", 3);
    let (new_fid, applied) = session
        .apply("Sửa 3 thửa", |tx| {
            tx.set_value(
                "thua_dat",
                fids[0],
                "dien_tich",
                &FieldValue::Real(0.1 + 0.2),
            )?;
            tx.set_geometry("thua_dat", fids[1], &square(500.0, 500.0, 7.25))?;
            tx.delete("thua_dat", fids[2])?;
            let mut f = tx.require("thua_dat", fids[0])?;
            f.fid = None;
            f.geometry = Some(square(900.0, 900.0, 3.0));
            tx.insert("thua_dat", &f)
        })
        .unwrap();
    let changes = applied.layer("thua_dat").unwrap();
    assert_eq!(changes.inserted, vec![new_fid]);
    assert_eq!(changes.updated, vec![fids[0], fids[1]]);
    assert_eq!(changes.deleted, vec![fids[2]]);
    assert_eq!(
        count(
            &path,
            &format!(
                "SELECT count(*) FROM tramgis_edits WHERE edit_id = {} AND description = 'Sửa 3 thửa' AND user = 'Nguyễn Văn A'",
                applied.edit_id
            )
        ),
        1
    );
    assert_eq!(
        count(
            &path,
            &format!(
                "SELECT count(*) FROM tramgis_changes WHERE edit_id = {}",
                applied.edit_id
            )
        ),
        4
    );
    let after = snapshot(&path, "thua_dat");
    assert_ne!(before, after);

    let undone = session.undo().unwrap().unwrap();
    assert!(undone.description.starts_with("Hoàn tác: Sửa 3 thửa"));
    assert_eq!(snapshot(&path, "thua_dat"), before, "undo is not exact");
    assert!(
        count(
            &path,
            &format!(
                "SELECT count(*) FROM tramgis_changes WHERE edit_id = {}",
                undone.edit_id
            )
        ) >= 4
    );
    session.redo().unwrap().unwrap();
    assert_eq!(snapshot(&path, "thua_dat"), after, "redo is not exact");
    session.undo().unwrap().unwrap();
    drop(session);

    // Reopened: the undone step is still on the redo list.
    let mut session = EditSession::open(&path, "Nguyễn Văn A").unwrap();
    assert_eq!(session.can_redo().unwrap().as_deref(), Some("Sửa 3 thửa"));
    assert_eq!(session.can_undo().unwrap(), None);
    session.start_editing("thua_dat").unwrap();
    session.redo().unwrap().unwrap();
    assert_eq!(snapshot(&path, "thua_dat"), after);
    drop(session);
    let mut session = EditSession::open(&path, "Nguyễn Văn A").unwrap();
    assert_eq!(session.can_undo().unwrap().as_deref(), Some("Sửa 3 thửa"));
    session.undo().unwrap().unwrap();
    assert_eq!(snapshot(&path, "thua_dat"), before);

    // A new edit after undo clears the redo list.
    session.start_editing("thua_dat").unwrap();
    session
        .apply("Sửa thửa", |tx| {
            tx.set_value("thua_dat", fids[0], "so_to", &FieldValue::Integer(77))
        })
        .unwrap();
    assert_eq!(session.can_redo().unwrap(), None);
    let (ok, _, err) = common::tool("ogrinfo", &["-so", path.to_str().unwrap(), "thua_dat"]);
    assert!(ok, "{err}");
}

#[test]
fn a_failed_operation_writes_nothing_and_unedited_layers_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 10);
    let mut session = EditSession::open(&path, "A").unwrap();
    session.start_editing("thua_dat").unwrap();
    let before = snapshot(&path, "thua_dat");
    let edits = count(&path, "SELECT count(*) FROM tramgis_edits");
    let fid = first_fids(&session, "thua_dat", 1)[0];
    let err = session
        .apply("Hỏng", |tx| {
            tx.set_value("thua_dat", fid, "so_to", &FieldValue::Integer(1))?;
            tx.set_value("thua_dat", fid, "khong_co", &FieldValue::Integer(1))
        })
        .unwrap_err();
    assert!(err.to_string().contains("khong_co"), "{err}");
    assert_eq!(snapshot(&path, "thua_dat"), before);
    assert_eq!(count(&path, "SELECT count(*) FROM tramgis_edits"), edits);

    let err = session
        .apply("Sửa", |tx| {
            tx.set_value("tram_bts", 1, "ma_tram", &FieldValue::Text("X".into()))
        })
        .unwrap_err();
    assert!(matches!(err, EditError::NotEditing { .. }), "{err}");
    assert!(err.to_string().contains("tram_bts"));

    // A value outside the layer's domain is refused with the field named.
    let err = session
        .apply("Sửa loại đất", |tx| {
            tx.set_value(
                "thua_dat",
                fid,
                "ma_loai_dat",
                &FieldValue::Text("XYZ".into()),
            )
        })
        .unwrap_err();
    assert!(matches!(err, EditError::Domain(_)), "{err}");
    assert!(err.to_string().contains("ma_loai_dat"), "{err}");
    assert_eq!(snapshot(&path, "thua_dat"), before);
}

#[test]
fn an_edit_blocked_by_another_programs_lock_fails_clearly_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 10);
    let mut session = EditSession::open(&path, "A").unwrap();
    session.start_editing("thua_dat").unwrap();
    let fid = first_fids(&session, "thua_dat", 1)[0];
    session
        .apply("Sửa trước", |tx| {
            tx.set_value("thua_dat", fid, "so_to", &FieldValue::Integer(5))
        })
        .unwrap();
    let before = snapshot(&path, "thua_dat");

    let mut shell = Command::new("sqlite3")
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = shell.stdin.take().unwrap();
    writeln!(stdin, "BEGIN IMMEDIATE;\nSELECT 'holding';").unwrap();
    stdin.flush().unwrap();
    let mut line = String::new();
    BufReader::new(shell.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "holding");

    let started = std::time::Instant::now();
    let err = session
        .apply("Sửa khi bị khóa", |tx| {
            tx.set_value("thua_dat", fid, "so_to", &FieldValue::Integer(6))
        })
        .unwrap_err();
    assert!(started.elapsed() >= std::time::Duration::from_secs(2));
    assert!(matches!(err, EditError::Locked { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains(path.to_str().unwrap()), "{message}");
    assert!(message.contains("another program"), "{message}");

    writeln!(stdin, "ROLLBACK;\n.quit").unwrap();
    drop(stdin);
    shell.wait().unwrap();
    assert_eq!(
        snapshot(&path, "thua_dat"),
        before,
        "the blocked edit changed the file"
    );
    // The confirmed edit before it is still there and undoable, and the
    // edit can be retried.
    assert_eq!(session.can_undo().unwrap().as_deref(), Some("Sửa trước"));
    session
        .apply("Sửa khi bị khóa", |tx| {
            tx.set_value("thua_dat", fid, "so_to", &FieldValue::Integer(6))
        })
        .unwrap();
    let f: Feature = session
        .gpkg()
        .get_feature("thua_dat", fid)
        .unwrap()
        .unwrap();
    let i = session
        .gpkg()
        .layer("thua_dat")
        .unwrap()
        .schema
        .field_index("so_to")
        .unwrap();
    assert_eq!(f.values[i], FieldValue::Integer(6));
}

#[test]
fn tramgis_edit_sets_fields_by_type_refuses_bad_values_and_undo_redo_follow_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 10);
    let ws = path.to_str().unwrap();
    let fid = {
        let s = EditSession::open(&path, "A").unwrap();
        first_fids(&s, "thua_dat", 1)[0]
    };
    let before = snapshot(&path, "thua_dat");
    let fid_s = fid.to_string();
    let (ok, out, err) = common::tramgis(&[
        "edit",
        ws,
        "--layer",
        "thua_dat",
        "--fid",
        &fid_s,
        "--set",
        "so_to=12",
        "--set",
        "dien_tich=1234,5",
        "--user",
        "Phạm D",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("edit"), "{out}");
    let after = snapshot(&path, "thua_dat");
    assert_ne!(before, after);
    let (user, description): (String, String) = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT user, description FROM tramgis_edits ORDER BY edit_id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(user, "Phạm D");
    assert!(description.contains("so_to") && description.contains("dien_tich"));

    for (set, field) in [
        ("so_to=abc", "so_to"),
        ("khong_co=1", "khong_co"),
        ("ngay=x", "ngay"),
    ] {
        let (ok, _, err) = common::tramgis(&[
            "edit", ws, "--layer", "thua_dat", "--fid", &fid_s, "--set", set,
        ]);
        assert!(!ok);
        assert!(
            err.contains(field) && err.contains("thua_dat") && err.contains(ws),
            "{err}"
        );
    }
    let (ok, _, err) = common::tramgis(&[
        "edit", ws, "--layer", "thua_dat", "--fid", "999999", "--set", "so_to=1",
    ]);
    assert!(!ok && err.contains("999999"), "{err}");
    assert_eq!(
        snapshot(&path, "thua_dat"),
        after,
        "a refused edit changed the file"
    );

    let (ok, out, err) = common::tramgis(&["undo", ws]);
    assert!(ok, "{err}");
    assert!(out.contains("Hoàn tác"), "{out}");
    assert_eq!(snapshot(&path, "thua_dat"), before);
    let (ok, out, err) = common::tramgis(&["redo", ws]);
    assert!(ok, "{err}");
    assert!(out.contains("Làm lại"), "{out}");
    assert_eq!(snapshot(&path, "thua_dat"), after);
    let (ok, _, err) = common::tramgis(&["redo", ws]);
    assert!(!ok && err.contains("nothing to redo"), "{err}");
}

#[test]
fn undo_is_refused_while_another_program_changed_the_same_feature() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 10);
    let mut session = EditSession::open(&path, "A").unwrap();
    session.start_editing("thua_dat").unwrap();
    let fid = first_fids(&session, "thua_dat", 1)[0];
    session
        .apply("Sửa số tờ", |tx| {
            tx.set_value("thua_dat", fid, "so_to", &FieldValue::Integer(3))
        })
        .unwrap();
    // GDAL (as QGIS would) changes the same parcel.
    common::python(
        "import sys\nfrom osgeo import ogr\nds = ogr.Open(sys.argv[1], 1)\nds.ExecuteSQL('UPDATE thua_dat SET so_to = 4 WHERE fid = ' + sys.argv[2])\nds = None",
        &[path.to_str().unwrap(), &fid.to_string()],
    );
    let before = snapshot(&path, "thua_dat");
    let err = session.undo().unwrap_err().to_string();
    assert!(
        err.contains("cannot be undone") && err.contains("external") && err.contains("thua_dat"),
        "{err}"
    );
    assert_eq!(snapshot(&path, "thua_dat"), before);
    assert_eq!(session.can_undo().unwrap().as_deref(), Some("Sửa số tờ"));
}
