#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use geo_types::{Geometry, LineString, Polygon, point};
use tramgis::gpkg::{GeoPackage, LayerMeta};
use tramgis::io::Target;
use tramgis::model::{Feature, Field, FieldType, FieldValue, GeometryType, Schema};

/// A small sample workspace in `dir`.
pub fn sample(dir: &Path, parcels: usize) -> PathBuf {
    let path = dir.join("sample.gpkg");
    tramgis::sample::generate(&path, parcels, |_, _| {}).expect("sample generates");
    path
}

/// A workspace with one polygon layer `lots` of `n` unit squares.
pub fn lots(dir: &Path, n: usize) -> (GeoPackage, PathBuf) {
    let path = dir.join("lots.gpkg");
    let mut gpkg = GeoPackage::create(&path).unwrap();
    let schema = Schema::new(
        GeometryType::Polygon,
        9214,
        vec![
            Field::new("code", FieldType::Text),
            Field::new("area", FieldType::Real),
            Field::new("built", FieldType::Date),
        ],
    );
    gpkg.create_layer("lots", &schema, &LayerMeta::default())
        .unwrap();
    for i in 0..n {
        gpkg.insert_feature("lots", &square_feature(i as f64 * 10.0, 0.0, "ODT"))
            .unwrap();
    }
    (gpkg, path)
}

pub fn square(x: f64, y: f64) -> Polygon<f64> {
    Polygon::new(
        LineString::from(vec![
            (x, y),
            (x + 5.0, y),
            (x + 5.0, y + 5.0),
            (x, y + 5.0),
            (x, y),
        ]),
        vec![],
    )
}

pub fn square_feature(x: f64, y: f64, code: &str) -> Feature {
    Feature::new(
        Some(Geometry::Polygon(square(x, y))),
        vec![
            FieldValue::Text(code.into()),
            FieldValue::Real(25.0),
            FieldValue::Date("2024-05-01".into()),
        ],
    )
}

pub fn point_feature(x: f64, y: f64) -> Geometry<f64> {
    Geometry::Point(point!(x: x, y: y))
}

/// Runs a GDAL/SQLite command line tool; returns (status ok, stdout, stderr).
pub fn tool(program: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (installed by .ci/run): {e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `program` with `stdin` as its input; panics with its stderr when
/// it fails.
pub fn run_ok(program: &str, args: &[&str], stdin: &str) {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program} (installed by .ci/run): {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the tramgis binary; returns (status ok, stdout, stderr).
pub fn tramgis(args: &[&str]) -> (bool, String, String) {
    tool(env!("CARGO_BIN_EXE_tramgis"), args)
}

/// Runs a filter such as cs2cs or gdaltransform on one line of `input`;
/// returns the numbers it prints.
pub fn transform(program: &str, args: &[&str], input: &str) -> Vec<f64> {
    let out = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            writeln!(c.stdin.take().unwrap(), "{input}")?;
            c.wait_with_output()
        })
        .unwrap_or_else(|e| panic!("cannot run {program} (installed by .ci/run): {e}"));
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|s| {
            s.parse()
                .unwrap_or_else(|_| panic!("{program} printed {s:?} for {input:?}"))
        })
        .collect()
}

/// A python3-gdal script that writes `body` into the GeoPackage named by
/// its first argument, where `layer(name, gtype, wkts)` adds a layer in
/// EPSG:9214 whose `name` field is `label % (name, i)`.
pub fn gdal_script(label: &str, body: &str) -> String {
    format!(
        "import sys
from osgeo import ogr, osr
ogr.UseExceptions()
ds = ogr.GetDriverByName('GPKG').CreateDataSource(sys.argv[1])
srs = osr.SpatialReference()
srs.ImportFromEPSG(9214)
def layer(name, gtype, wkts):
    lyr = ds.CreateLayer(name, srs, gtype)
    lyr.CreateField(ogr.FieldDefn('name', ogr.OFTString))
    for i, w in enumerate(wkts):
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetField('name', '{label}' % (name, i))
        f.SetGeometry(ogr.CreateGeometryFromWkt(w))
        lyr.CreateFeature(f)
{body}"
    )
}

/// Runs a python3-gdal script with `args` (Debian's python, which has
/// osgeo); panics with its stderr when it fails.
pub fn python(script: &str, args: &[&str]) {
    let (ok, _, err) = tool("/usr/bin/python3", &[&["-c", script], args].concat());
    assert!(ok, "{err}");
}

/// A new layer `name` as an import's target.
pub fn new_layer(name: &str) -> Target {
    Target::New {
        name: name.into(),
        meta: LayerMeta::default(),
    }
}

/// The first field of every feature of `layer`, as text.
pub fn texts(gpkg: &GeoPackage, layer: &str) -> Vec<String> {
    gpkg.all_features(layer)
        .unwrap()
        .into_iter()
        .map(|f| f.values[0].to_string())
        .collect()
}

/// A point Shapefile in EPSG:9214 whose `ten` field holds exactly these
/// bytes (ogr2ogr with ENCODING="" passes them through).
pub fn raw_text_shapefile(dir: &Path, name: &str, rows: &[Vec<u8>]) -> PathBuf {
    let mut csv: Vec<u8> = b"ten,x,y\n".to_vec();
    for (i, row) in rows.iter().enumerate() {
        csv.push(b'"');
        csv.extend(row);
        csv.extend(format!("\",{},{}\n", 430000 + i * 10, 2350000).as_bytes());
    }
    let csv_path = dir.join(format!("{name}.csv"));
    std::fs::write(&csv_path, csv).unwrap();
    let shp = dir.join(format!("{name}.shp"));
    let (ok, _, err) = tool(
        "ogr2ogr",
        &[
            "-lco",
            "ENCODING=",
            "-a_srs",
            "EPSG:9214",
            "-oo",
            "X_POSSIBLE_NAMES=x",
            "-oo",
            "Y_POSSIBLE_NAMES=y",
            shp.to_str().unwrap(),
            csv_path.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    shp
}

/// GDAL's output with the one notice GDAL before 3.7 prints for every
/// GeoPackage 1.4 file (it only knows versions up to 1.3) removed; any
/// other warning or error stays.
pub fn gdal_messages(stderr: &str) -> Vec<String> {
    let old_gdal = gdal_version() < (3, 7);
    stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter(|l| {
            !(old_gdal
                && l.contains("user_version=0x000028A0 (10400, v1.4.0)")
                && l.contains("may only be partially supported"))
        })
        .map(str::to_string)
        .collect()
}

pub fn gdal_version() -> (u32, u32) {
    let (_, out, _) = tool("gdalinfo", &["--version"]);
    let v = out
        .split_whitespace()
        .nth(1)
        .unwrap_or("0.0")
        .trim_end_matches(',');
    let mut parts = v.split('.').map(|p| p.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

pub mod fault_proxy;
pub mod gpsfake;
pub mod lock;
pub mod sync_data;
pub mod sync_servers;

#[cfg(feature = "gui")]
pub mod ui;
