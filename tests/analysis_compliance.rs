//! Plan compliance on a zoning plan and a project layer written by GDAL
//! (python3-gdal): planted violations (too many floors, too much coverage)
//! are found and nothing else; a project spanning two lots gets the right
//! area shares; a sliver along a lot edge is no lot it "falls in".

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use tramgis::analysis::AnalysisError;
use tramgis::analysis::compliance::{self, ComplianceConfig, Rule};
use tramgis::gpkg::GeoPackage;
use tramgis::jobs::Progress;

const X0: f64 = 500_000.0;
const Y0: f64 = 2_350_000.0;

fn square(x: f64, y: f64, w: f64, h: f64) -> String {
    let (x, y) = (X0 + x, Y0 + y);
    format!(
        "POLYGON(({x} {y},{} {y},{} {},{x} {},{x} {y}))",
        x + w,
        x + w,
        y + h,
        y + h
    )
}

fn fixture(dir: &Path) -> PathBuf {
    let lot = |x: f64, id: &str, function: &str, cover: f64, min: Value, max: f64, far: f64| {
        json!([
            square(x, 0.0, 100.0, 100.0),
            [id, function, cover, min, max, far]
        ])
    };
    let project = |geom: String, name: &str, cover: f64, floors: Value, far: f64| {
        json!([geom, [name, cover, floors, far]])
    };
    let spec = json!({"epsg": 9214, "layers": [
        {"name": "o_quy_hoach", "geometry": "POLYGON",
         "fields": [["ky_hieu_o", "str"], ["chuc_nang", "str"], ["mat_do_xd", "real"],
                    ["tang_cao_min", "int"], ["tang_cao_max", "int"], ["he_so_sdd", "real"]],
         "features": [
            lot(0.0, "A-01", "Đất ở mới", 60.0, json!(2), 5.0, 3.0),
            lot(100.0, "A-02", "Đất thương mại, dịch vụ", 50.0, json!(3), 15.0, 6.0),
            lot(200.0, "A-03", "Đất cây xanh, công viên", 5.0, Value::Null, 1.0, 0.05),
         ]},
        {"name": "du_an", "geometry": "POLYGON",
         "fields": [["ten_du_an", "str"], ["mat_do_xd", "real"], ["so_tang", "int"], ["he_so_sdd", "real"]],
         "features": [
            // fid 1: within A-01's limits.
            project(square(10.0, 10.0, 50.0, 50.0), "P1", 55.0, json!(4), 2.2),
            // fid 2: 7 floors in A-01 (at most 5).
            project(square(60.0, 60.0, 30.0, 30.0), "P2", 58.0, json!(7), 2.5),
            // fid 3: 70 % coverage in A-02 (at most 50 %).
            project(square(120.0, 10.0, 40.0, 40.0), "P3", 70.0, json!(10), 5.0),
            // fid 4: across A-01 (1,200 m²) and A-02 (2,000 m²), within both.
            project(square(70.0, 20.0, 80.0, 40.0), "P4", 45.0, json!(4), 2.0),
            // fid 5: 0.2 % in A-01 (a sliver): its 8 floors keep A-02's limits.
            project(square(99.9, 70.0, 50.1, 20.0), "P5", 40.0, json!(8), 4.0),
            // fid 6: in the park, floors unknown (not checked).
            project(square(220.0, 20.0, 20.0, 20.0), "P6", 3.0, Value::Null, 0.02),
         ]},
    ]});
    let spec_path = dir.join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let out = dir.join("plan.gpkg");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/write_fixture.py");
    let status = Command::new("/usr/bin/python3")
        .arg(script)
        .arg(&out)
        .arg(&spec_path)
        .status()
        .expect("python3-gdal runs");
    assert!(status.success());
    out
}

#[test]
fn planted_violations_are_found_and_no_false_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path());
    let mut gpkg = GeoPackage::open(&path).unwrap();
    let config = ComplianceConfig::new("du_an", "o_quy_hoach");
    let result = compliance::run(&mut gpkg, &config, &Progress::default()).unwrap();

    let found: Vec<(i64, &str, Rule, f64, f64)> = result
        .violations
        .iter()
        .map(|v| (v.fid, v.lot_id.as_str(), v.rule, v.value, v.limit))
        .collect();
    assert_eq!(
        found,
        [
            (2, "A-01", Rule::FloorsMax, 7.0, 5.0),
            (3, "A-02", Rule::Coverage, 70.0, 50.0),
        ]
    );

    // The project across two lots: 1,200 m² (37.5 %) housing, 2,000 m²
    // (62.5 %) commerce.
    let p4 = result.features.iter().find(|f| f.fid == 4).unwrap();
    assert!((p4.area_m2 - 3200.0).abs() < 1e-6);
    let lots: Vec<(&str, f64, f64)> = p4
        .lots
        .iter()
        .map(|l| (l.lot_id.as_str(), l.area_m2, l.share))
        .collect();
    assert_eq!(lots.len(), 2);
    assert_eq!(lots[0].0, "A-01");
    assert!((lots[0].1 - 1200.0).abs() < 1e-6 && (lots[0].2 - 0.375).abs() < 1e-9);
    assert_eq!(lots[1].0, "A-02");
    assert!((lots[1].1 - 2000.0).abs() < 1e-6 && (lots[1].2 - 0.625).abs() < 1e-9);
    let functions = p4.functions();
    assert!((functions["Đất ở mới"].1 - 0.375).abs() < 1e-9);
    assert!((functions["Đất thương mại, dịch vụ"].1 - 0.625).abs() < 1e-9);
    assert!(p4.outside_m2.abs() < 1e-6);

    // The sliver is not a lot P5 falls in.
    let p5 = result.features.iter().find(|f| f.fid == 5).unwrap();
    assert_eq!(p5.lots.len(), 1);
    assert_eq!(p5.lots[0].lot_id, "A-02");
    drop(gpkg);

    // The violations layer as GDAL reads it: the features with rule, value, limit.
    let out = Command::new("ogrinfo")
        .args(["-ro", "-al", "-q"])
        .arg(&path)
        .arg("tuan_thu_vi_pham")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("OGRFeature").count(), 2, "{text}");
    assert!(text.contains("quy_tac (String) = tang_cao_max"), "{text}");
    assert!(text.contains("quy_tac (String) = mat_do_xd"), "{text}");
    assert!(text.contains("gioi_han (Real) = 50"), "{text}");
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    assert_eq!(gpkg.count_features("tuan_thu_o", None).unwrap(), 7);
}

#[test]
fn a_missing_project_field_names_layer_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path());
    let gpkg = GeoPackage::open(&path).unwrap();
    let config = ComplianceConfig {
        project_floors_field: Some("tang".into()),
        ..ComplianceConfig::new("du_an", "o_quy_hoach")
    };
    let err = compliance::compute(&gpkg, &config, &Progress::default()).unwrap_err();
    assert!(matches!(err, AnalysisError::NoField { .. }));
    assert_eq!(err.to_string(), "du_an: no field 'tang'");

    let none = ComplianceConfig {
        project_floors_field: None,
        ..ComplianceConfig::new("du_an", "o_quy_hoach")
    };
    let result = compliance::compute(&gpkg, &none, &Progress::default()).unwrap();
    assert_eq!(result.violations.len(), 1, "floors not checked");
}
