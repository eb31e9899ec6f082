#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use geo_types::{Geometry, LineString, Polygon, point};
use tramgis::gpkg::{GeoPackage, LayerMeta};
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

#[cfg(feature = "gui")]
pub mod ui;
