//! BTS coverage and smart-city indicators on fixtures written by GDAL
//! (python3-gdal), checked against known village lists and co-location
//! pairs, GDAL/GEOS's Buffer + UnionCascaded areas, and hand-computed
//! counts per km² and per km of road.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use tramgis::analysis::coverage::{self, ALL_OPERATORS, CoverageConfig};
use tramgis::analysis::indicators::{self, Indicator, IndicatorConfig};
use tramgis::gpkg::GeoPackage;
use tramgis::jobs::Progress;

const PYTHON: &str = "/usr/bin/python3";
const X0: f64 = 500_000.0;
const Y0: f64 = 2_350_000.0;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Writes `spec` as a GeoPackage with GDAL.
fn write_with_gdal(dir: &Path, spec: &Value) -> PathBuf {
    let spec_path = dir.join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let out = dir.join("fixture.gpkg");
    let status = Command::new(PYTHON)
        .arg(data("write_fixture.py"))
        .arg(&out)
        .arg(&spec_path)
        .status()
        .expect("python3-gdal runs");
    assert!(status.success(), "write_fixture.py failed");
    out
}

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

fn point(x: f64, y: f64) -> String {
    format!("POINT({} {})", X0 + x, Y0 + y)
}

fn line(points: &[(f64, f64)]) -> String {
    let coords: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{} {}", X0 + x, Y0 + y))
        .collect();
    format!("LINESTRING({})", coords.join(","))
}

/// Two communes of 10 × 10 km: A urban (Phường), B rural (Xã).
fn communes() -> Value {
    json!({
        "name": "ranh_gioi_xa", "geometry": "POLYGON",
        "fields": [["ma_xa", "str"], ["ten_xa", "str"], ["loai", "str"]],
        "features": [
            [square(0.0, 0.0, 10_000.0, 10_000.0), ["A", "Phường A", "Phường"]],
            [square(10_000.0, 0.0, 10_000.0, 10_000.0), ["B", "Xã B", "Xã"]],
        ]
    })
}

fn coverage_fixture(dir: &Path) -> PathBuf {
    let tower = |id: &str, op: &str, tech: &str, status: &str, x: f64, y: f64| {
        json!([point(x, y), [id, op, tech, status]])
    };
    let village = |name: &str, commune: &str, x: f64, y: f64| json!([point(x, y), [name, commune]]);
    write_with_gdal(
        dir,
        &json!({"epsg": 9214, "layers": [
            communes(),
            {"name": "tram_bts", "geometry": "POINT",
             "fields": [["ma_tram", "str"], ["nha_mang", "str"], ["cong_nghe", "str"], ["trang_thai", "str"]],
             "features": [
                tower("T1", "Viettel", "4G", "Đang hoạt động", 5000.0, 5000.0),
                tower("T2", "MobiFone", "4G", "Đang hoạt động", 5050.0, 5000.0),
                tower("T3", "Viettel", "2G/3G/4G", "Đang hoạt động", 15_000.0, 5000.0),
                tower("T4", "VNPT/VinaPhone", "5G", "Đang hoạt động", 18_000.0, 9000.0),
                tower("T5", "Viettel", "4G", "Đã tháo dỡ", 2000.0, 2000.0),
                tower("T6", "VNPT/VinaPhone", "4G", "Đang hoạt động", 8000.0, 8000.0),
                tower("T7", "Viettel", "4G", "Đang hoạt động", 8000.0, 8150.0),
                tower("T8", "Viettel", "3G/4G", "Đang hoạt động", 5000.0, 5060.0),
             ]},
            {"name": "thon_xom", "geometry": "POINT",
             "fields": [["ten_thon", "str"], ["ma_xa", "str"]],
             "features": [
                village("V1", "A", 5500.0, 5000.0),
                village("V2", "A", 2000.0, 2000.0),
                village("V3", "B", 12_000.0, 5000.0),
                village("V4", "B", 18_500.0, 9000.0),
                village("V5", "A", 9500.0, 9500.0),
                village("V6", "B", 19_900.0, 100.0),
             ]},
        ]}),
    )
}

/// The radius each counted tower gets under the default configuration:
/// urban commune A, rural commune B, the largest of its technologies.
fn expected_radii() -> BTreeMap<&'static str, f64> {
    BTreeMap::from([
        ("T1", 1000.0), // 4G urban
        ("T2", 1000.0),
        ("T3", 6000.0), // 2G rural
        ("T4", 1000.0), // 5G rural
        ("T6", 1000.0),
        ("T7", 1000.0),
        ("T8", 1500.0), // 3G urban
    ])
}

fn gdal_reference(dir: &Path, workspace: &Path, quadsegs: usize) -> Value {
    let radii = dir.join("radii.json");
    std::fs::write(&radii, serde_json::to_string(&expected_radii()).unwrap()).unwrap();
    let out = Command::new(PYTHON)
        .arg(data("coverage_reference.py"))
        .arg(workspace)
        .arg(&radii)
        .arg(quadsegs.to_string())
        .output()
        .expect("python3-gdal runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn close(ours: f64, theirs: f64, what: &str) {
    let rel = (ours - theirs).abs() / theirs.abs().max(1.0);
    assert!(
        rel <= 1e-4,
        "{what}: ours {ours}, GDAL {theirs} (relative difference {rel})"
    );
}

#[test]
fn coverage_lists_known_villages_and_matches_gdal_areas() {
    let dir = tempfile::tempdir().unwrap();
    let path = coverage_fixture(dir.path());
    let mut gpkg = GeoPackage::open(&path).unwrap();
    let config = CoverageConfig::default();
    let result = coverage::run(&mut gpkg, &config, &Progress::default()).unwrap();

    let radii: BTreeMap<&str, f64> = result
        .towers
        .iter()
        .map(|t| (t.id.as_str(), t.radius_m))
        .collect();
    assert_eq!(radii, expected_radii(), "dismantled T5 is left out");

    let uncovered: Vec<&str> = result
        .uncovered_villages()
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(uncovered, ["V2", "V5", "V6"]);
    let ops = |name: &str| {
        result
            .villages
            .iter()
            .find(|v| v.name == name)
            .unwrap()
            .operators
            .clone()
    };
    assert_eq!(ops("V1"), ["MobiFone", "Viettel"]);
    assert_eq!(ops("V3"), ["Viettel"]);
    assert_eq!(ops("V4"), ["VNPT/VinaPhone", "Viettel"]);
    assert!((result.village_share() - 0.5).abs() < 1e-12);

    // Co-location: T1–T2 (50 m), T2–T8 (78.1 m); not T1–T8 (same
    // operator), not T6–T7 (150 m).
    let pairs: Vec<(String, String, f64)> = result
        .colocations
        .iter()
        .map(|c| {
            (
                result.towers[c.a].id.clone(),
                result.towers[c.b].id.clone(),
                c.distance_m,
            )
        })
        .collect();
    assert_eq!(pairs.len(), 2, "{pairs:?}");
    assert_eq!((pairs[0].0.as_str(), pairs[0].1.as_str()), ("T1", "T2"));
    assert!((pairs[0].2 - 50.0).abs() < 1e-6);
    assert_eq!((pairs[1].0.as_str(), pairs[1].1.as_str()), ("T2", "T8"));
    assert!((pairs[1].2 - (50f64.powi(2) + 60f64.powi(2)).sqrt()).abs() < 1e-6);

    // Areas: GDAL's Buffer(r, 30) + UnionCascaded, within 0.01 %.
    let reference = gdal_reference(dir.path(), &path, config.quadrant_segments);
    for g in &result.groups {
        let key = if g.operator == ALL_OPERATORS {
            "*"
        } else {
            g.operator.as_str()
        };
        let theirs = reference["groups"][key].as_f64().unwrap();
        close(g.area_m2, theirs, &format!("union of {}", g.operator));
    }
    assert_eq!(result.groups.len(), 4, "3 operators and all");
    for c in &result.commune_coverage {
        let commune = &result.communes[c.commune];
        let key = if c.operator == ALL_OPERATORS {
            "*"
        } else {
            c.operator.as_str()
        };
        let theirs = reference["communes"][format!("{}|{key}", commune.id)]
            .as_f64()
            .unwrap();
        close(
            c.covered_m2,
            theirs,
            &format!("{} covered by {}", commune.id, c.operator),
        );
    }
    // Village shares per commune, all operators: A 1 of 3, B 2 of 3.
    let all = |id: &str| {
        result
            .commune_coverage
            .iter()
            .find(|c| c.operator == ALL_OPERATORS && result.communes[c.commune].id == id)
            .unwrap()
    };
    assert_eq!((all("A").villages, all("A").villages_covered), (3, 1));
    assert_eq!((all("B").villages, all("B").villages_covered), (3, 2));
    drop(gpkg);

    // The layers as another program reads them.
    let info = |layer: &str| {
        let out = Command::new("ogrinfo")
            .args(["-ro", "-so"])
            .arg(&path)
            .arg(layer)
            .output()
            .unwrap();
        assert!(out.status.success(), "ogrinfo {layer}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(info("phu_song").contains("Feature Count: 4"));
    assert!(info("phu_song_xa").contains("Feature Count: 2"));
    assert!(info("phu_song_thon_chua_phu").contains("Feature Count: 3"));
    assert!(info("phu_song_dung_chung").contains("Feature Count: 2"));
    assert!(info("phu_song_bang_xa").contains("Feature Count: 8"));
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let style = gpkg.default_style("phu_song_xa").unwrap().unwrap();
    assert!(style.qml.contains("graduatedSymbol"), "{}", style.qml);
}

#[test]
fn unknown_technology_and_missing_field_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = coverage_fixture(dir.path());
    let gpkg = GeoPackage::open(&path).unwrap();
    let mut config = CoverageConfig::default();
    config.radii.retain(|r| r.technology != "4G");
    let err = coverage::compute(&gpkg, &config, &Progress::default()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("tram_bts") && text.contains("fid 1") && text.contains("'4G'"),
        "{text}"
    );
    let config = CoverageConfig {
        operator_field: "nha_cung_cap".into(),
        ..CoverageConfig::default()
    };
    let err = coverage::compute(&gpkg, &config, &Progress::default()).unwrap_err();
    assert_eq!(err.to_string(), "tram_bts: no field 'nha_cung_cap'");
}

#[test]
fn a_cancelled_coverage_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = coverage_fixture(dir.path());
    let mut gpkg = GeoPackage::open(&path).unwrap();
    let progress = Progress::default();
    progress.cancel();
    let err = coverage::run(&mut gpkg, &CoverageConfig::default(), &progress).unwrap_err();
    assert!(matches!(
        err,
        tramgis::analysis::AnalysisError::Cancelled(_)
    ));
    assert!(gpkg.layer("phu_song").is_err());
}

/// Commune A 1 km², commune B 2 km²; roads 1 km in A and 3 km in B;
/// cameras 3 + 2; poles 10 + 6; an industrial parcel (SKK, 4 ha) in A with
/// a station on its corner, urban parcels (ODT, 1 ha each) in B, one of
/// them inside a station's reach.
fn indicators_fixture(dir: &Path) -> PathBuf {
    let pts = |coords: &[(f64, f64)], fields: Vec<Value>| -> Vec<Value> {
        coords
            .iter()
            .map(|&(x, y)| json!([point(x, y), fields.clone()]))
            .collect()
    };
    let mut poles = pts(
        &(0..10)
            .map(|i| (50.0 + 90.0 * f64::from(i), 520.0))
            .collect::<Vec<_>>(),
        vec![json!("C")],
    );
    poles.extend(pts(
        &(0..6)
            .map(|i| (1100.0 + 300.0 * f64::from(i), 520.0))
            .collect::<Vec<_>>(),
        vec![json!("C")],
    ));
    write_with_gdal(
        dir,
        &json!({"epsg": 9214, "layers": [
            {"name": "ranh_gioi_xa", "geometry": "POLYGON",
             "fields": [["ma_xa", "str"], ["ten_xa", "str"]],
             "features": [
                [square(0.0, 0.0, 1000.0, 1000.0), ["A", "Phường A"]],
                [square(1000.0, 0.0, 2000.0, 1000.0), ["B", "Xã B"]],
             ]},
            {"name": "duong_giao_thong", "geometry": "LINESTRING",
             "fields": [["ten_duong", "str"]],
             "features": [
                [line(&[(0.0, 500.0), (3000.0, 500.0)]), ["QL1"]],
                [line(&[(2000.0, 0.0), (2000.0, 1000.0)]), ["DH2"]],
             ]},
            {"name": "camera", "geometry": "POINT", "fields": [["ma_camera", "str"]],
             "features": pts(&[(100.0, 100.0), (200.0, 700.0), (900.0, 900.0), (1500.0, 300.0), (2500.0, 800.0)], vec![json!("CAM")])},
            {"name": "cot_den", "geometry": "POINT", "fields": [["ma_cot", "str"]],
             "features": poles},
            {"name": "cam_bien", "geometry": "POINT", "fields": [["ma_cam_bien", "str"]],
             "features": pts(&[(0.0, 0.0), (2950.0, 950.0)], vec![json!("S")])},
            {"name": "thua_dat", "geometry": "POLYGON", "fields": [["ma_loai_dat", "str"]],
             "features": [
                [square(0.0, 0.0, 200.0, 200.0), ["SKK"]],
                [square(1500.0, 0.0, 100.0, 100.0), ["ODT"]],
                [square(2900.0, 900.0, 100.0, 100.0), ["ODT"]],
                [square(300.0, 300.0, 100.0, 100.0), ["LUC"]],
             ]},
        ]}),
    )
}

#[test]
fn indicators_have_the_hand_computed_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = indicators_fixture(dir.path());
    let mut gpkg = GeoPackage::open(&path).unwrap();
    let config = IndicatorConfig {
        reach_m: 100.0,
        ..IndicatorConfig::default()
    };
    let result = indicators::run(&mut gpkg, &config, &Progress::default()).unwrap();
    let value = |ind: Indicator, k: usize| result.value(ind, k);
    let near = |a: Option<f64>, b: f64| {
        let a = a.expect("a value");
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    };
    assert_eq!(result.communes[0].id, "A");
    near(value(Indicator::CamerasPerKm2, 0), 3.0);
    near(value(Indicator::CamerasPerKm2, 1), 1.0);
    near(value(Indicator::CamerasPerKmRoad, 0), 3.0);
    near(value(Indicator::CamerasPerKmRoad, 1), 2.0 / 3.0);
    near(value(Indicator::PolesPerKmRoad, 0), 10.0);
    near(value(Indicator::PolesPerKmRoad, 1), 2.0);
    // A quarter of the 120-gon of radius 100 around the parcel's corner
    // (its vertices at every 3° include 0° and 90°), of 4 ha.
    let quarter = 120.0 / 2.0 * 100.0f64.powi(2) * (3.0f64.to_radians()).sin() / 4.0;
    near(
        value(Indicator::IndustrialNearStation, 0),
        100.0 * quarter / 40_000.0,
    );
    assert_eq!(
        value(Indicator::IndustrialNearStation, 1),
        None,
        "no industry in B"
    );
    assert_eq!(
        value(Indicator::UrbanNearStation, 0),
        None,
        "no urban land in A"
    );
    near(value(Indicator::UrbanNearStation, 1), 50.0);
    drop(gpkg);

    // Each indicator a choropleth layer QGIS reads with its graduated style.
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    for ind in Indicator::ALL {
        let name = result.layer_name(ind);
        assert_eq!(gpkg.count_features(&name, None).unwrap(), 2, "{name}");
        let style = gpkg.default_style(&name).unwrap().unwrap();
        assert!(style.qml.contains("graduatedSymbol") && style.qml.contains("gia_tri"));
    }
    let out = Command::new("ogrinfo")
        .args(["-ro", "-al", "-q"])
        .arg(&path)
        .arg("chi_so_cot_den_km_duong")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("gia_tri (Real) = 10"), "{text}");
    assert!(text.contains("gia_tri (Real) = 2"), "{text}");
}
