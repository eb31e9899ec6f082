//! What we write, GDAL reads; what GDAL writes, we read.

mod common;

use std::collections::BTreeMap;

use common::*;
use geo_types::Geometry;
use tramgis::gpkg::GeoPackage;
use tramgis::model::FieldValue;

#[test]
fn ogrinfo_lists_every_layer_with_count_srs_and_extent() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample(dir.path(), 1500);
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let layers = gpkg.layers().unwrap();
    let p = path.to_str().unwrap();
    let (ok, out, err) = tool("ogrinfo", &["-ro", "-al", "-so", p]);
    assert!(ok, "{err}");
    assert!(gdal_messages(&err).is_empty(), "GDAL warned: {err}");
    for layer in &layers {
        let section = out
            .split("Layer name: ")
            .find(|s| s.starts_with(&format!("{}\n", layer.name)))
            .unwrap_or_else(|| panic!("ogrinfo does not list {}", layer.name));
        let count = gpkg.count_features(&layer.name, None).unwrap();
        assert!(
            section.contains(&format!("Feature Count: {count}\n")),
            "{}: {section}",
            layer.name
        );
        assert!(
            section.contains("ID[\"EPSG\",9214]]")
                || section.contains("AUTHORITY[\"EPSG\",\"9214\"]"),
            "{}: SRS",
            layer.name
        );
        let e = layer.extent.unwrap();
        let extent_line = section.lines().find(|l| l.starts_with("Extent:")).unwrap();
        let numbers: Vec<f64> = extent_line
            .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
            .filter_map(|s| s.parse().ok())
            .collect();
        let expected = [e.min().x, e.min().y, e.max().x, e.max().y];
        for (got, want) in numbers.iter().zip(expected) {
            assert!(
                (got - want).abs() < 1e-3,
                "{}: {extent_line} vs {expected:?}",
                layer.name
            );
        }
    }
}

#[test]
fn ogr2ogr_copies_without_warnings_and_the_copy_matches() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample(dir.path(), 1500);
    let copy = dir.path().join("copy.gpkg");
    let (ok, _, err) = tool(
        "ogr2ogr",
        &["-f", "GPKG", copy.to_str().unwrap(), path.to_str().unwrap()],
    );
    assert!(ok, "{err}");
    assert!(gdal_messages(&err).is_empty(), "GDAL warned: {err}");
    // The copy (GDAL's own writing) opens in our store with the same features.
    let ours = GeoPackage::open_read_only(&path).unwrap();
    let theirs = GeoPackage::open(&copy).unwrap();
    for layer in ours.layers().unwrap() {
        let a = ours.all_features(&layer.name).unwrap();
        let b = theirs.all_features(&layer.name).unwrap();
        assert_eq!(a.len(), b.len(), "{}", layer.name);
        for (fa, fb) in a.iter().zip(&b) {
            assert_eq!(fa.geometry, fb.geometry, "{} fid {:?}", layer.name, fa.fid);
            assert_eq!(fa.values, fb.values, "{} fid {:?}", layer.name, fa.fid);
        }
    }
}

/// GeoJSON with every geometry type, Vietnamese text, nulls, dates.
const GEOJSON: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"ten":"Trạm Hiệp Hòa","chieu_cao":42.5,"so":7,"ngay":"2024-02-29"},"geometry":{"type":"Point","coordinates":[105.95,21.35]}},
{"type":"Feature","properties":{"ten":"Đường tỉnh 398","chieu_cao":null,"so":-1,"ngay":null},"geometry":{"type":"LineString","coordinates":[[106.1,21.2],[106.2,21.25],[106.3,21.22]]}},
{"type":"Feature","properties":{"ten":"Thửa có ao","chieu_cao":0.0,"so":0,"ngay":"2023-12-31"},"geometry":{"type":"Polygon","coordinates":[[[106.0,21.3],[106.01,21.3],[106.01,21.31],[106.0,21.31],[106.0,21.3]],[[106.004,21.304],[106.004,21.306],[106.006,21.306],[106.004,21.304]]]}},
{"type":"Feature","properties":{"ten":"Cụm ấp ử ạ","chieu_cao":1e-3,"so":2,"ngay":"2020-01-01"},"geometry":{"type":"MultiPolygon","coordinates":[[[[106.5,21.5],[106.6,21.5],[106.6,21.6],[106.5,21.5]]],[[[106.7,21.5],[106.8,21.5],[106.8,21.6],[106.7,21.5]]]]}},
{"type":"Feature","properties":{"ten":"Nhiều điểm","chieu_cao":3,"so":3,"ngay":"2021-06-15"},"geometry":{"type":"MultiPoint","coordinates":[[106.1,21.1],[106.2,21.2]]}},
{"type":"Feature","properties":{"ten":"Không hình","chieu_cao":4,"so":4,"ngay":"2021-06-15"},"geometry":null}
]}"#;

fn json_coords(v: &serde_json::Value, out: &mut Vec<(f64, f64)>) {
    match v {
        serde_json::Value::Array(a) if a.len() >= 2 && a[0].is_number() => {
            out.push((a[0].as_f64().unwrap(), a[1].as_f64().unwrap()))
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_coords(x, out)),
        _ => {}
    }
}

#[test]
fn geopackage_made_by_ogr2ogr_opens_with_equal_geometries_and_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.geojson");
    std::fs::write(&src, GEOJSON).unwrap();
    let out = dir.path().join("gdal.gpkg");
    let (ok, _, err) = tool(
        "ogr2ogr",
        &[
            "-f",
            "GPKG",
            "-nlt",
            "GEOMETRY",
            "-nln",
            "mixed",
            out.to_str().unwrap(),
            src.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    let gpkg = GeoPackage::open(&out).unwrap();
    let layer = gpkg.layer("mixed").unwrap();
    assert_eq!(layer.schema.srs_id, 4326);
    let names: Vec<&str> = layer
        .schema
        .fields
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, ["ten", "chieu_cao", "so", "ngay"]);
    let features = gpkg.all_features("mixed").unwrap();
    let json: serde_json::Value = serde_json::from_str(GEOJSON).unwrap();
    let expected = json["features"].as_array().unwrap();
    assert_eq!(features.len(), expected.len());
    for (f, e) in features.iter().zip(expected) {
        let props = &e["properties"];
        assert_eq!(
            f.values[0],
            FieldValue::Text(props["ten"].as_str().unwrap().into())
        );
        match props["chieu_cao"].as_f64() {
            Some(h) => assert_eq!(f.values[1].as_f64(), Some(h)),
            None => assert!(f.values[1].is_null()),
        }
        assert_eq!(
            f.values[2],
            FieldValue::Integer(props["so"].as_i64().unwrap())
        );
        match props["ngay"].as_str() {
            Some(d) => assert_eq!(f.values[3], FieldValue::Date(d.into())),
            None => assert!(f.values[3].is_null()),
        }
        let mut want = vec![];
        json_coords(&e["geometry"]["coordinates"], &mut want);
        let mut got = vec![];
        if let Some(g) = &f.geometry {
            tramgis::gpkg::geom::visit_coords(g, &mut |c| got.push((c.x, c.y)));
        }
        assert_eq!(got, want, "{}", props["ten"]);
        let kind = e["geometry"]["type"].as_str();
        let ours = f.geometry.as_ref().map(|g| match g {
            Geometry::Point(_) => "Point",
            Geometry::LineString(_) => "LineString",
            Geometry::Polygon(_) => "Polygon",
            Geometry::MultiPoint(_) => "MultiPoint",
            Geometry::MultiPolygon(_) => "MultiPolygon",
            _ => "other",
        });
        assert_eq!(ours, kind);
    }
    // Opening adopted the file: spatial index and journal now cover it, and
    // GDAL still reads it without complaint.
    assert!(gpkg.layer("mixed").unwrap().has_rtree);
    drop(gpkg);
    let (ok, _, err) = tool("ogrinfo", &["-ro", "-al", "-so", out.to_str().unwrap()]);
    assert!(ok && gdal_messages(&err).is_empty(), "{err}");
}

#[test]
fn gdal_reads_every_value_we_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample(dir.path(), 200);
    let (ok, out, err) = tool(
        "ogrinfo",
        &["-ro", "-q", path.to_str().unwrap(), "tram_bts", "-fid", "1"],
    );
    assert!(ok, "{err}");
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let info = gpkg.layer("tram_bts").unwrap();
    let f = gpkg.get_feature("tram_bts", 1).unwrap().unwrap();
    let fields: BTreeMap<&str, String> = info
        .schema
        .fields
        .iter()
        .map(|fd| fd.name.as_str())
        .zip(f.values.iter().map(|v| v.to_string()))
        .collect();
    for (name, value) in fields {
        if value.is_empty() {
            continue;
        }
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} (")))
            .unwrap_or_else(|| panic!("{name} missing: {out}"));
        let gdal_value = line.split(" = ").nth(1).unwrap_or("").trim().to_string();
        // GDAL prints its Date type as YYYY/MM/DD.
        let gdal_value = if line.contains("(Date)") {
            gdal_value.replace('/', "-")
        } else {
            gdal_value
        };
        match value.parse::<f64>() {
            Ok(v) => assert_eq!(gdal_value.parse::<f64>().unwrap(), v, "{name}"),
            Err(_) => assert_eq!(gdal_value, value, "{name}"),
        }
    }
    assert!(out.contains("ngay_lap_dat (Date)"), "{out}");
    let Some(Geometry::Point(p)) = f.geometry else {
        panic!()
    };
    let wkt = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("POINT ("))
        .expect("a POINT");
    let xy: Vec<f64> = wkt
        .trim_end_matches(')')
        .split(' ')
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(
        (xy[0] - p.x()).abs() < 1e-6 && (xy[1] - p.y()).abs() < 1e-6,
        "{wkt} vs {p:?}"
    );
}
