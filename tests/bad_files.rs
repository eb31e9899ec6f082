//! Files that are damaged, locked, read-only, not GeoPackages or from a
//! newer version get a clear error naming the file, never a panic, and are
//! left as they were.

mod common;

use std::io::{Seek, SeekFrom, Write};
use std::time::Duration;

use common::*;
use tramgis::gpkg::{GeoPackage, GpkgError, OpenOptions};

fn bytes(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn missing_file() {
    let err = GeoPackage::open("/nonexistent/plan.gpkg").err().unwrap();
    assert!(matches!(err, GpkgError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("/nonexistent/plan.gpkg"));
}

#[test]
fn text_file_is_not_a_geopackage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("thua_dat.shp.gpkg");
    std::fs::write(&path, "ma_loai_dat,dien_tich\nLUC,100\n".repeat(20)).unwrap();
    let err = GeoPackage::open(&path).err().unwrap();
    assert!(matches!(err, GpkgError::NotSqlite { .. }), "{err}");
    assert!(err.to_string().contains("thua_dat.shp.gpkg"));
    let empty = dir.path().join("empty.gpkg");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(
        GeoPackage::open(&empty),
        Err(GpkgError::NotSqlite { .. })
    ));
}

#[test]
fn plain_sqlite_database_is_not_a_geopackage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.sqlite");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    drop(conn);
    let before = bytes(&path);
    let err = GeoPackage::open(&path).err().unwrap();
    assert!(matches!(err, GpkgError::NotGeoPackage { .. }), "{err}");
    assert!(err.to_string().contains("application_id"), "{err}");
    assert_eq!(bytes(&path), before, "the file was changed");
}

#[test]
fn newer_geopackage_version() {
    let dir = tempfile::tempdir().unwrap();
    let (gpkg, path) = lots(dir.path(), 1);
    gpkg.connection()
        .pragma_update(None, "user_version", 20100)
        .unwrap();
    drop(gpkg);
    let err = GeoPackage::open(&path).err().unwrap();
    assert!(matches!(err, GpkgError::NewerVersion { .. }), "{err}");
    assert!(err.to_string().contains("2.1.0"), "{err}");
}

#[test]
fn truncated_copy() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample(dir.path(), 2000);
    let data = bytes(&path);
    let cut = dir.path().join("cut.gpkg");
    std::fs::write(&cut, &data[..data.len() / 2]).unwrap();
    let err = GeoPackage::open(&cut).err().unwrap();
    assert!(matches!(err, GpkgError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[test]
fn corrupt_pages_give_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample(dir.path(), 2000);
    let len = bytes(&path).len() as u64;
    // Overwrite pages in the middle of the file with noise.
    let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.seek(SeekFrom::Start(len / 2)).unwrap();
    let noise: Vec<u8> = (0..64 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    f.write_all(&noise).unwrap();
    drop(f);
    // Opening may or may not notice; reading every layer must then fail
    // with an error, not a panic, and validation must report it.
    let outcome = std::panic::catch_unwind(|| -> Result<(), GpkgError> {
        let gpkg = GeoPackage::open_read_only(&path)?;
        for layer in gpkg.layers()? {
            gpkg.all_features(&layer.name)?;
        }
        Ok(())
    });
    let result = outcome.expect("no panic on a corrupt file");
    let validation = tramgis::gpkg::validate::validate(&path);
    let reported = match &validation {
        Err(_) => true,
        Ok(problems) => !problems.is_empty(),
    };
    assert!(result.is_err() || reported, "corruption went unnoticed");
    if let Err(e) = result {
        assert!(e.to_string().contains("sample.gpkg"), "{e}");
    }
}

#[test]
fn locked_by_another_program() {
    let dir = tempfile::tempdir().unwrap();
    let (gpkg, path) = lots(dir.path(), 2);
    drop(gpkg);
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;")
        .unwrap();
    let quick = OpenOptions {
        busy_timeout: Duration::from_millis(200),
        ..OpenOptions::default()
    };
    let err = GeoPackage::open_with(&path, &quick).err().unwrap();
    assert!(matches!(err, GpkgError::Locked { .. }), "{err}");
    assert!(
        err.to_string().contains("lots.gpkg") && err.to_string().contains("locked"),
        "{err}"
    );
    other.execute_batch("COMMIT").unwrap();
    drop(other);
    // Once the other program lets go, the file opens and is intact.
    let gpkg = GeoPackage::open(&path).unwrap();
    assert_eq!(gpkg.count_features("lots", None).unwrap(), 2);
}

#[test]
fn an_edit_waits_for_a_writer_then_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, path) = lots(dir.path(), 2);
    drop(gpkg);
    gpkg = GeoPackage::open_with(
        &path,
        &OpenOptions {
            busy_timeout: Duration::from_millis(200),
            ..OpenOptions::default()
        },
    )
    .unwrap();
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let err = gpkg.delete_feature("lots", 1).unwrap_err();
    assert!(matches!(err, GpkgError::Locked { .. }), "{err}");
    other.execute_batch("ROLLBACK").unwrap();
    gpkg.delete_feature("lots", 1).unwrap();
    assert_eq!(gpkg.count_features("lots", None).unwrap(), 1);
}

#[test]
fn read_only_open_refuses_edits_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (gpkg, path) = lots(dir.path(), 2);
    drop(gpkg);
    let before = bytes(&path);
    let mut ro = GeoPackage::open_read_only(&path).unwrap();
    assert_eq!(ro.count_features("lots", None).unwrap(), 2);
    let err = ro.delete_feature("lots", 1).unwrap_err();
    assert!(matches!(err, GpkgError::ReadOnly { .. }), "{err}");
    drop(ro);
    assert_eq!(bytes(&path), before);
}

#[test]
fn creating_over_an_existing_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (gpkg, path) = lots(dir.path(), 1);
    drop(gpkg);
    let before = bytes(&path);
    assert!(matches!(
        GeoPackage::create(&path),
        Err(GpkgError::AlreadyExists { .. })
    ));
    assert!(matches!(
        tramgis::sample::generate(&path, 10, |_, _| {}),
        Err(GpkgError::AlreadyExists { .. })
    ));
    assert_eq!(bytes(&path), before);
}

#[test]
fn a_damaged_geometry_blob_is_reported_with_layer_and_fid() {
    let dir = tempfile::tempdir().unwrap();
    let (gpkg, path) = lots(dir.path(), 3);
    // Another program writes garbage into a geometry without going through
    // the spatial-index triggers (they would refuse it).
    gpkg.connection()
        .execute_batch(
            "DROP TRIGGER rtree_lots_geom_update6; DROP TRIGGER rtree_lots_geom_update2;",
        )
        .unwrap();
    gpkg.connection()
        .execute(
            "UPDATE lots SET geom = x'47500001DEADBEEF' WHERE fid = 2",
            [],
        )
        .unwrap();
    let err = gpkg.all_features("lots").unwrap_err().to_string();
    assert!(
        err.contains("lots.gpkg")
            && err.contains("'lots'")
            && err.contains("feature 2")
            && err.contains("geom"),
        "{err}"
    );
    drop(gpkg);
    let problems = tramgis::gpkg::validate::validate(&path).unwrap();
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert!(text.iter().any(|t| t.contains("fid 2")), "{text:#?}");
    assert!(
        text.iter().any(|t| t.contains("rtree_lots_geom_update6")),
        "{text:#?}"
    );
}

#[test]
fn spatial_index_refuses_a_bad_blob_from_plain_sql() {
    let dir = tempfile::tempdir().unwrap();
    let (gpkg, _) = lots(dir.path(), 1);
    let err = gpkg
        .connection()
        .execute("UPDATE lots SET geom = x'0102' WHERE fid = 1", [])
        .unwrap_err();
    assert!(
        err.to_string().contains("not a GeoPackage geometry blob"),
        "{err}"
    );
    assert_eq!(gpkg.all_features("lots").unwrap().len(), 1);
}
