//! Each geoprocessing tool (`tramgis process ...`) against the same
//! operation in GEOS through python3-gdal (ogr.Geometry's Buffer with the
//! same segments per quarter circle, Intersection, Difference, Union,
//! Centroid, Intersects/Contains) on one input written by python3-gdal:
//! parcels, roads and poles in VN-2000, communes in WGS 84 (so every
//! overlay reprojects them). Our result layers are read back through GDAL
//! and checked with ogrinfo: equal feature counts, areas within 0.01 %.

mod common;

use std::path::{Path, PathBuf};

use geo_types::Geometry;
use serde_json::Value;
use tramgis::analysis::AnalysisError;
use tramgis::analysis::geoprocess::{self, Tool};
use tramgis::gpkg::{GeoPackage, LayerMeta};
use tramgis::jobs::Progress;
use tramgis::model::{Feature, GeometryType, Schema};

const DISTANCE: &str = "15";
const SEGMENTS: &str = "8";

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The fixture, written by python3-gdal.
fn fixture(dir: &Path) -> PathBuf {
    let path = dir.join("geoprocess.gpkg");
    let script = std::fs::read_to_string(data("geoprocess_fixture.py")).unwrap();
    common::python(&script, &[path.to_str().unwrap()]);
    path
}

fn process(args: &[&str]) {
    let (ok, out, err) = common::tramgis(&[&["process"], args].concat());
    assert!(ok, "tramgis process {args:?}: {err}");
    assert!(out.contains("đối tượng"), "{out}");
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Equal counts, and each area (sorted) within 0.01 % of GEOS's.
fn same_measures(name: &str, ours: &Value, reference: &Value) {
    let (ours, reference) = (numbers(ours), numbers(reference));
    assert_eq!(
        ours.len(),
        reference.len(),
        "{name}: {} features, GEOS {}",
        ours.len(),
        reference.len()
    );
    assert!(!ours.is_empty(), "{name}: no features");
    for (k, (a, b)) in ours.iter().zip(&reference).enumerate() {
        assert!(
            (a - b).abs() <= 1e-4 * b.abs(),
            "{name}: feature {k} (by size): {a} vs GEOS {b}"
        );
    }
}

fn as_f64s(row: &Value) -> Vec<Option<f64>> {
    row.as_array().unwrap().iter().map(|x| x.as_f64()).collect()
}

#[test]
fn every_tool_agrees_with_geos() {
    let dir = tempfile::tempdir().unwrap();
    let ws = fixture(dir.path());
    let w = ws.to_str().unwrap();
    let buffer = |layer: &str, out: &str, extra: &[&str]| {
        let mut args = vec![
            "buffer",
            w,
            "--layer",
            layer,
            "--distance",
            DISTANCE,
            "--segments",
            SEGMENTS,
            "--out",
            out,
        ];
        args.extend(extra);
        process(&args);
    };
    buffer("thua", "out_buffer", &[]);
    buffer("duong", "out_buffer_lines", &[]);
    buffer("cot", "out_buffer_points", &[]);
    buffer("thua", "out_buffer_dissolve", &["--dissolve"]);
    let overlay = |tool: &str, input: &str, out: &str| {
        process(&[tool, w, "--input", input, "--overlay", "xa", "--out", out]);
    };
    overlay("intersection", "thua", "out_intersection");
    overlay("difference", "thua", "out_difference");
    overlay("union", "thua", "out_union");
    overlay("clip", "thua", "out_clip");
    overlay("clip", "duong", "out_clip_lines");
    process(&[
        "dissolve",
        w,
        "--layer",
        "thua",
        "--field",
        "ma_loai_dat",
        "--out",
        "out_dissolve",
    ]);
    process(&[
        "dissolve",
        w,
        "--layer",
        "thua",
        "--out",
        "out_dissolve_all",
    ]);
    process(&["centroids", w, "--layer", "thua", "--out", "out_centroids"]);
    process(&[
        "join",
        w,
        "--input",
        "thua",
        "--join",
        "xa",
        "--out",
        "out_join_xa",
    ]);
    process(&[
        "join",
        w,
        "--input",
        "thua",
        "--join",
        "cot",
        "--predicate",
        "contains",
        "--out",
        "out_join_cot",
    ]);
    process(&[
        "join",
        w,
        "--input",
        "cot",
        "--join",
        "thua",
        "--predicate",
        "within",
        "--out",
        "out_join_within",
    ]);
    // Running a tool again replaces its layer.
    overlay("intersection", "thua", "out_intersection");

    let (ok, out, err) = common::tool(
        "/usr/bin/python3",
        &[&data("geoprocess_reference.py"), w, DISTANCE, SEGMENTS],
    );
    assert!(ok, "reference script: {err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let (reference, ours) = (&v["ref"], &v["ours"]);
    for name in [
        "buffer",
        "buffer_lines",
        "buffer_points",
        "buffer_dissolve",
        "intersection",
        "difference",
        "union",
        "dissolve",
        "dissolve_all",
        "clip",
        "clip_lines",
    ] {
        same_measures(name, &ours[name], &reference[name]);
    }
    // The fixture really splits parcels between the two communes.
    let n_parcels = 42;
    assert!(numbers(&reference["intersection"]).len() > n_parcels / 2);
    assert!(numbers(&reference["difference"]).len() < n_parcels);

    let (c_ours, c_ref) = (
        ours["centroids"].as_array().unwrap(),
        reference["centroids"].as_array().unwrap(),
    );
    assert_eq!(c_ours.len(), c_ref.len());
    for (a, b) in c_ours.iter().zip(c_ref) {
        let (a, b) = (numbers(a), numbers(b));
        assert!(
            (a[0] - b[0]).abs() < 1e-6 && (a[1] - b[1]).abs() < 1e-6,
            "centroid {a:?} vs GEOS {b:?}"
        );
    }
    for name in ["join_xa", "join_cot", "join_within"] {
        let (o, r) = (
            ours[name].as_array().unwrap(),
            reference[name].as_array().unwrap(),
        );
        assert_eq!(o.len(), r.len(), "{name}");
        for (k, (a, b)) in o.iter().zip(r).enumerate() {
            assert_eq!(
                as_f64s(a),
                as_f64s(b),
                "{name}: parcel {k}: ours {a}, GEOS {b}"
            );
            assert_eq!(a.get(2), b.get(2), "{name}: parcel {k}: first commune");
        }
    }
    let matched: usize = reference["join_cot"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r[0].as_u64() > Some(0))
        .count();
    assert!(matched >= 5, "the poles fall in several parcels");

    // ogrinfo reads the result layers as typed GeoPackage layers.
    let count = numbers(&reference["intersection"]).len();
    let (ok, info, err) = common::tool("ogrinfo", &["-so", w, "out_intersection"]);
    assert!(ok, "{err}");
    assert!(info.contains("Geometry: Multi Polygon"), "{info}");
    assert!(info.contains(&format!("Feature Count: {count}")), "{info}");
    for field in ["ma_loai_dat: String", "ma_xa_2: String", "dan_so: Integer"] {
        assert!(info.contains(field), "{field} in {info}");
    }
    let (ok, info, err) = common::tool("ogrinfo", &["-so", w, "out_centroids"]);
    assert!(ok && info.contains("Geometry: Point"), "{info}{err}");
}

#[test]
fn a_cancelled_run_leaves_the_workspace_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let ws = fixture(dir.path());
    let mut gpkg = GeoPackage::open(&ws).unwrap();
    let tool = Tool::Intersection {
        input: "thua".into(),
        overlay: "xa".into(),
        overlay_prefix: String::new(),
    };
    let summary = geoprocess::run(&mut gpkg, &tool, "giao", &Progress::default()).unwrap();
    assert!(summary.reprojected && summary.features > 0);
    let edits = |g: &GeoPackage| -> (i64, String) {
        g.connection()
            .query_row(
                "SELECT count(*), (SELECT description FROM tramgis_edits ORDER BY edit_id DESC LIMIT 1) FROM tramgis_edits",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    let (edits_before, description) = edits(&gpkg);
    assert!(
        description.contains("Giao") && description.contains("giao"),
        "{description}"
    );

    // Cancelled before it starts, and cancelled while it runs (a thread
    // cancels once the progress moves): no new layer, the old one intact.
    let cancelled = Progress::default();
    cancelled.cancel();
    for output in ["giao", "giao_moi"] {
        let result = geoprocess::run(&mut gpkg, &tool, output, &cancelled);
        assert!(
            matches!(result, Err(AnalysisError::Cancelled(_))),
            "{result:?}"
        );
    }
    assert_eq!(edits(&gpkg).0, edits_before);
    assert_eq!(gpkg.count_features("giao", None).unwrap(), summary.features);
    // Cancelled while it runs: a thread cancels a buffer of 20,000 lots as
    // soon as its progress moves (the read alone takes far longer).
    let mut writer = gpkg.bulk_load("20 000 lô thử").unwrap();
    let schema = Schema::new(GeometryType::Polygon, 9214, vec![]);
    let slot = writer
        .create_layer("lo", &schema, &LayerMeta::default())
        .unwrap();
    for i in 0..20_000 {
        let (x, y) = (
            420_000.0 + f64::from(i % 200) * 10.0,
            2_360_000.0 + f64::from(i / 200) * 10.0,
        );
        let square = common::square(x, y);
        writer
            .add_to(slot, Feature::new(Some(Geometry::Polygon(square)), vec![]))
            .unwrap();
    }
    writer.finish().unwrap();
    let before = edits(&gpkg).0;
    let buffer = Tool::Buffer {
        layer: "lo".into(),
        distance: 3.0,
        segments: 8,
        dissolve: true,
    };
    let running = Progress::default();
    let result = std::thread::scope(|s| {
        s.spawn(|| {
            while running.get().0 == 0 {
                std::thread::yield_now();
            }
            running.cancel();
        });
        geoprocess::run(&mut gpkg, &buffer, "giao_moi", &running)
    });
    assert!(
        matches!(result, Err(AnalysisError::Cancelled(_))),
        "{result:?}"
    );
    assert!(
        running.get().0 < running.get().1,
        "cancelled before the end"
    );
    assert!(
        gpkg.layer("giao_moi").is_err(),
        "a cancelled run wrote a layer"
    );
    assert_eq!(gpkg.count_features("giao", None).unwrap(), summary.features);
    assert_eq!(edits(&gpkg).0, before);
}

/// A bow-tie parcel is repaired (GEOS MakeValid, STRUCTURE) before the
/// overlay, as python3-gdal's MakeValid then Intersection computes it.
#[test]
fn an_invalid_parcel_is_repaired_as_geos_repairs_it() {
    let dir = tempfile::tempdir().unwrap();
    let ws = fixture(dir.path());
    let mut gpkg = GeoPackage::open(&ws).unwrap();
    let tool = Tool::Intersection {
        input: "thua_loi".into(),
        overlay: "xa".into(),
        overlay_prefix: String::new(),
    };
    let summary = geoprocess::run(&mut gpkg, &tool, "giao_loi", &Progress::default()).unwrap();
    assert_eq!(summary.repaired, 1);
    drop(gpkg);
    let script = "import sys, json
from osgeo import ogr, osr
ogr.UseExceptions()
ds = ogr.Open(sys.argv[1])
vn = ds.GetLayerByName('thua_loi').GetSpatialRef().Clone()
vn.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
xa = ds.GetLayerByName('xa')
src = xa.GetSpatialRef().Clone()
src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
ct = osr.CoordinateTransformation(src, vn)
communes = []
for f in xa:
    g = f.GetGeometryRef().Clone()
    g.Transform(ct)
    communes.append(g)
ref = []
for f in ds.GetLayerByName('thua_loi'):
    g = f.GetGeometryRef().MakeValid(['METHOD=STRUCTURE'])
    ref += [g.Intersection(c).GetArea() for c in communes if g.Intersects(c)]
ours = [f.GetGeometryRef().GetArea() for f in ds.GetLayerByName('giao_loi')]
print(json.dumps({'ref': sorted(a for a in ref if a > 0), 'ours': sorted(ours)}))
";
    let (ok, out, err) = common::tool("/usr/bin/python3", &["-c", script, ws.to_str().unwrap()]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    same_measures("repaired intersection", &v["ours"], &v["ref"]);
}

#[test]
fn bad_input_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let ws = fixture(dir.path());
    let w = ws.to_str().unwrap();
    let (ok, _, err) = common::tramgis(&[
        "process", "dissolve", w, "--layer", "thua", "--field", "khong_co", "--out", "x",
    ]);
    assert!(
        !ok && err.contains("thua") && err.contains("khong_co"),
        "{err}"
    );
    let (ok, _, err) = common::tramgis(&[
        "process",
        "clip",
        w,
        "--input",
        "thua",
        "--overlay",
        "xa",
        "--out",
        "thua",
    ]);
    assert!(
        !ok && err.contains("thua") && err.contains("input"),
        "{err}"
    );
    let (ok, _, err) = common::tramgis(&[
        "process",
        "buffer",
        w,
        "--layer",
        "xa",
        "--distance",
        "10",
        "--out",
        "x",
    ]);
    assert!(
        !ok && err.contains("xa") && err.contains("geographic"),
        "{err}"
    );
    let (ok, _, err) = common::tramgis(&[
        "process",
        "intersection",
        w,
        "--input",
        "duong",
        "--overlay",
        "xa",
        "--out",
        "x",
    ]);
    assert!(
        !ok && err.contains("duong") && err.contains("polygons"),
        "{err}"
    );
    let gpkg = GeoPackage::open_read_only(&ws).unwrap();
    assert!(gpkg.layer("x").is_err());
}
