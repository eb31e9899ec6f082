//! One SQLite in the process: rusqlite uses Debian's libsqlite3, the library
//! GDAL loads, so importing a GeoPackage (GDAL reading it while our store
//! writes) neither crashes nor breaks SQLite's POSIX locks on a shared file.

mod common;

use std::path::Path;

use common::*;
use tramgis::gpkg::GeoPackage;
use tramgis::gpkg::validate::{Severity, validate};
use tramgis::io::{self, ImportOptions};
use tramgis::jobs::Progress;

/// `tramgis import SOURCE --into WS --to LAYER`, which must succeed.
fn cli_import(source: &Path, ws: &Path, layer: &str) {
    let (ok, _, stderr) = tramgis(&[
        "import",
        source.to_str().unwrap(),
        "--into",
        ws.to_str().unwrap(),
        "--to",
        layer,
    ]);
    assert!(ok, "import of {}: {stderr}", source.display());
}

/// The SQLite symbols an ELF file defines itself (not those it imports).
fn defined_sqlite_symbols(binary: &Path) -> Vec<String> {
    let (ok, out, err) = tool(
        "nm",
        &["--dynamic", "--defined-only", binary.to_str().unwrap()],
    );
    assert!(ok, "nm failed: {err}");
    let (ok, all, err) = tool("nm", &["--defined-only", binary.to_str().unwrap()]);
    assert!(ok || all.is_empty(), "nm failed: {err}");
    out.lines()
        .chain(all.lines())
        .filter_map(|l| l.split_whitespace().last())
        .filter(|s| s.starts_with("sqlite3_"))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_binary_and_the_tests_use_the_system_sqlite_only() {
    for binary in [
        std::path::PathBuf::from(env!("CARGO_BIN_EXE_tramgis")),
        std::env::current_exe().unwrap(),
    ] {
        let (ok, ldd, err) = tool("ldd", &[binary.to_str().unwrap()]);
        assert!(ok, "ldd {}: {err}", binary.display());
        let sqlite: Vec<&str> = ldd.lines().filter(|l| l.contains("libsqlite3")).collect();
        assert_eq!(
            sqlite.len(),
            1,
            "{} must load exactly one libsqlite3:\n{ldd}",
            binary.display()
        );
        let own = defined_sqlite_symbols(&binary);
        assert!(
            own.is_empty(),
            "{} carries its own SQLite ({} symbols, e.g. {:?})",
            binary.display(),
            own.len(),
            &own[..own.len().min(3)]
        );
    }
    let version: String = rusqlite::Connection::open_in_memory()
        .unwrap()
        .query_row("SELECT sqlite_version()", [], |r| r.get(0))
        .unwrap();
    let (_, shell, _) = tool("sqlite3", &["--version"]);
    assert!(
        shell.starts_with(&version),
        "rusqlite runs SQLite {version}, Debian's shell is {shell}"
    );
}

#[test]
fn the_store_works_on_the_system_sqlite() {
    // Everything the store relies on: R*Tree with rtreecheck, JSON, the
    // upsert, RETURNING and VACUUM INTO.
    let dir = tempfile::tempdir().unwrap();
    let path = sample(dir.path(), 300);
    let problems = validate(&path).unwrap();
    assert!(
        problems.iter().all(|p| p.severity != Severity::Error),
        "{problems:?}"
    );
    let gpkg = GeoPackage::open(&path).unwrap();
    let conn = gpkg.connection();
    let check: String = conn
        .query_row("SELECT rtreecheck('rtree_thua_dat_geom')", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let n: i64 = conn
        .query_row("SELECT json_array_length(json('[1,2,3]'))", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(n, 3);
    // Debian's build turns secure delete on by default; the store turns it
    // off as upstream has it (SQLite's own default, checked here first).
    let fresh = rusqlite::Connection::open(dir.path().join("plain.db")).unwrap();
    let default: i64 = fresh
        .query_row("PRAGMA secure_delete", [], |r| r.get(0))
        .unwrap();
    let ours: i64 = conn
        .query_row("PRAGMA secure_delete", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        (default, ours),
        (1, 0),
        "secure_delete: Debian's, the store's"
    );
    let copy = dir.path().join("copy.gpkg");
    gpkg.save_as(&copy).unwrap();
    assert!(
        validate(&copy)
            .unwrap()
            .iter()
            .all(|p| p.severity != Severity::Error)
    );
}

/// A GeoPackage written by ogr2ogr from a GeoJSON of three towers.
fn gdal_geopackage(dir: &Path) -> std::path::PathBuf {
    let geojson = dir.join("towers.geojson");
    std::fs::write(
        &geojson,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"ma_tram":"BGG001","nha_mang":"Viettel"},"geometry":{"type":"Point","coordinates":[106.19,21.27]}},
{"type":"Feature","properties":{"ma_tram":"BGG002","nha_mang":"VNPT"},"geometry":{"type":"Point","coordinates":[106.21,21.29]}},
{"type":"Feature","properties":{"ma_tram":"BGG003","nha_mang":"MobiFone"},"geometry":{"type":"Point","coordinates":[106.23,21.31]}}]}"#,
    )
    .unwrap();
    let out = dir.join("gdal.gpkg");
    let (ok, _, err) = tool(
        "ogr2ogr",
        &[
            "-f",
            "GPKG",
            out.to_str().unwrap(),
            geojson.to_str().unwrap(),
            "-nln",
            "towers",
        ],
    );
    assert!(ok, "ogr2ogr: {err}");
    out
}

fn count(path: &Path, layer: &str) -> u64 {
    GeoPackage::open_read_only(path)
        .unwrap()
        .count_features(layer, None)
        .unwrap()
}

fn assert_valid(path: &Path) {
    let problems = validate(path).unwrap();
    assert!(
        problems.iter().all(|p| p.severity != Severity::Error),
        "{}: {problems:?}",
        path.display()
    );
}

#[test]
fn cli_imports_geopackages_from_gdal_and_from_tramgis() {
    let dir = tempfile::tempdir().unwrap();
    let source = gdal_geopackage(dir.path());
    let ws = dir.path().join("ws.gpkg");
    drop(GeoPackage::create(&ws).unwrap());

    cli_import(&source, &ws, "tram_gdal");
    assert_eq!(count(&ws, "tram_gdal"), 3);

    // A layer tramgis exported to a GeoPackage comes back in.
    let exported = dir.path().join("exported.gpkg");
    let (ok, _, stderr) = tramgis(&[
        "export",
        ws.to_str().unwrap(),
        "--layer",
        "tram_gdal",
        "--out",
        exported.to_str().unwrap(),
    ]);
    assert!(ok, "export: {stderr}");
    cli_import(&exported, &ws, "tram_again");
    assert_eq!(count(&ws, "tram_again"), 3);
    assert_valid(&ws);
}

#[test]
fn importing_from_the_workspace_into_itself_keeps_it_whole() {
    // GDAL reads the file while our store writes into it: with one SQLite
    // their locks see each other, so the copy is consistent and the file
    // stays intact.
    let dir = tempfile::tempdir().unwrap();
    let (gpkg, ws) = lots(dir.path(), 200);
    drop(gpkg);
    let mut gpkg = GeoPackage::open(&ws).unwrap();
    let options = ImportOptions {
        layer: Some("lots".into()),
        ..ImportOptions::new(&ws, new_layer("lots_copy"))
    };
    let report = io::import(&mut gpkg, &options, &Progress::default()).unwrap();
    assert_eq!(report.imported(), 200);
    drop(gpkg);
    assert_eq!(count(&ws, "lots_copy"), 200);
    let integrity: String = rusqlite::Connection::open(&ws)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    assert_valid(&ws);
    // And GDAL, in another process, reads both layers.
    let (ok, out, err) = tool(
        "ogrinfo",
        &["-ro", "-so", ws.to_str().unwrap(), "lots", "lots_copy"],
    );
    assert!(ok, "{err}");
    assert_eq!(out.matches("Feature Count: 200").count(), 2, "{out}");
}

#[test]
fn export_while_the_workspace_is_open_for_editing() {
    // GDAL opens the workspace (reading it for a GeoPackage export) while
    // this process holds it open for writing.
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, ws) = lots(dir.path(), 20);
    let out = dir.path().join("lots.shp");
    let opts = tramgis::io::ExportOptions::new("lots", &out).unwrap();
    let n = tramgis::io::export_layer(&gpkg, &opts, &Progress::default()).unwrap();
    assert_eq!(n, 20);
    gpkg.insert_feature("lots", &square_feature(500.0, 0.0, "LUC"))
        .unwrap();
    drop(gpkg);
    assert_eq!(count(&ws, "lots"), 21);
    assert_valid(&ws);
}

/// File → Import in the window: the dialog opens ogr2ogr's GeoPackage
/// (GDAL reads it for the preview), Run imports it in a background job
/// while the window holds the workspace open, and the new layer appears.
#[cfg(feature = "gui")]
#[test]
fn the_window_imports_a_geopackage() {
    use egui_kittest::kittest::Queryable;

    let dir = tempfile::tempdir().unwrap();
    let source = gdal_geopackage(dir.path());
    let ws = sample(dir.path(), 200);
    let mut h = common::ui::harness(ws.clone());
    h.state_mut().0.open_import(source);
    h.run_steps(2);
    h.get_by_label("Thực hiện").click();
    h.run_steps(2);
    h.state_mut().0.finish_transfer();
    let outcome = h.state().0.import_outcome().cloned();
    match outcome {
        Some(Ok(report)) => assert_eq!(report.imported(), 3),
        other => panic!("import from the window: {other:?}"),
    }
    h.state_mut().0.finish_loading();
    h.run_steps(2);
    let scene = h.state().0.scene().expect("the workspace is loaded again");
    assert!(
        scene.layers.iter().any(|l| l.info.name == "towers"),
        "the imported layer is on the map"
    );
    assert_eq!(count(&ws, "towers"), 3);
    assert_valid(&ws);
}
