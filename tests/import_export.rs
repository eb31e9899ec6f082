//! Import and export through GDAL: fixtures made with ogr2ogr or written
//! here byte by byte, checked against PROJ's cs2cs and GDAL's ogrinfo.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use geo_types::Geometry;
use tramgis::gpkg::{GeoPackage, LayerMeta};
use tramgis::io::encoding::{self, LegacyEncoding};
use tramgis::io::{self, ExportOptions, ImportOptions, IoError, Target, TextEncoding};
use tramgis::jobs::Progress;
use tramgis::model::{Field, FieldType, FieldValue, GeometryType, Schema};

fn workspace(dir: &Path) -> GeoPackage {
    GeoPackage::create(dir.join("ws.gpkg")).unwrap()
}

fn run(gpkg: &mut GeoPackage, options: &ImportOptions) -> io::ImportReport {
    io::import(gpkg, options, &Progress::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// cs2cs from EPSG:4326 (lat lon order) to EPSG:9214.
fn cs2cs(lon: f64, lat: f64) -> (f64, f64) {
    let v = transform(
        "cs2cs",
        &["-d", "4", "EPSG:4326", "EPSG:9214"],
        &format!("{lat} {lon}"),
    );
    (v[0], v[1])
}

fn points(gpkg: &GeoPackage, layer: &str) -> Vec<(f64, f64)> {
    gpkg.all_features(layer)
        .unwrap()
        .into_iter()
        .map(|f| match f.geometry {
            Some(Geometry::Point(p)) => (p.x(), p.y()),
            Some(Geometry::MultiPoint(m)) => (m.0[0].x(), m.0[0].y()),
            other => panic!("{other:?}"),
        })
        .collect()
}

const TOWERS: [(&str, f64, f64, &str, f64); 3] = [
    ("BGG00001", 106.2, 21.3, "Viettel", 42.0),
    ("BGG00002", 105.9512345, 21.2876543, "MobiFone", 36.5),
    ("BGG00003", 106.9876, 21.6012, "VNPT/VinaPhone", 18.0),
];

fn towers_geojson(dir: &Path) -> PathBuf {
    let features: Vec<String> = TOWERS
        .iter()
        .map(|(id, lon, lat, op, h)| {
            format!(r#"{{"type":"Feature","properties":{{"ma_tram":"{id}","nha_mang":"{op}","chieu_cao":{h},"ghi_chu":"Trạm ở xã Tân Tiến"}},"geometry":{{"type":"Point","coordinates":[{lon},{lat}]}}}}"#)
        })
        .collect();
    let path = dir.join("towers.geojson");
    std::fs::write(
        &path,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        ),
    )
    .unwrap();
    path
}

fn assert_towers(gpkg: &GeoPackage, layer: &str) {
    let got = points(gpkg, layer);
    assert_eq!(got.len(), TOWERS.len());
    for ((x, y), (_, lon, lat, _, _)) in got.iter().zip(TOWERS) {
        let (ex, ey) = cs2cs(lon, lat);
        assert!(
            (x - ex).abs() < 0.001 && (y - ey).abs() < 0.001,
            "({x}, {y}) vs cs2cs ({ex}, {ey})"
        );
    }
    let f = &gpkg.all_features(layer).unwrap()[1];
    let info = gpkg.layer(layer).unwrap();
    let value = |name: &str| f.values[info.schema.field_index(name).unwrap()].clone();
    assert_eq!(value("ma_tram"), FieldValue::Text("BGG00002".into()));
    assert_eq!(value("nha_mang"), FieldValue::Text("MobiFone".into()));
    assert_eq!(value("chieu_cao").as_f64(), Some(36.5));
}

#[test]
fn geojson_imports_reprojected_to_the_province_zone() {
    let dir = tempfile::tempdir().unwrap();
    let mut gpkg = workspace(dir.path());
    let report = run(
        &mut gpkg,
        &ImportOptions::new(towers_geojson(dir.path()), new_layer("tram")),
    );
    assert_eq!(
        (report.imported(), report.rejected.len(), report.src_crs),
        (3, 0, Some(4326))
    );
    assert_towers(&gpkg, "tram");
}

#[test]
fn shapefile_without_prj_needs_and_takes_a_source_crs() {
    let dir = tempfile::tempdir().unwrap();
    let src = towers_geojson(dir.path());
    let shp = dir.path().join("tram.shp");
    let (ok, _, err) = tool(
        "ogr2ogr",
        &[
            "-t_srs",
            "EPSG:9214",
            shp.to_str().unwrap(),
            src.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    std::fs::remove_file(dir.path().join("tram.prj")).unwrap();
    let mut gpkg = workspace(dir.path());
    let options = ImportOptions::new(&shp, new_layer("tram"));
    let err = io::import(&mut gpkg, &options, &Progress::default()).unwrap_err();
    assert!(matches!(err, IoError::NoCrs { .. }), "{err}");
    assert!(
        err.to_string().contains("EPSG:9214") && err.to_string().contains("tram.shp"),
        "{err}"
    );
    assert!(
        gpkg.layers().unwrap().is_empty(),
        "a refused import created a layer"
    );
    let options = ImportOptions {
        src_crs: Some(9214),
        ..options
    };
    let report = run(&mut gpkg, &options);
    assert_eq!(report.imported(), 3);
    assert_towers(&gpkg, "tram");
}

#[test]
fn mapinfo_tab_imports() {
    let dir = tempfile::tempdir().unwrap();
    let src = towers_geojson(dir.path());
    let tab = dir.path().join("tram.tab");
    // MapInfo stores coordinates as integers scaled to the layer's bounds:
    // tight bounds (as planning consultants' files have) keep millimetres.
    let (ok, _, err) = tool(
        "ogr2ogr",
        &[
            "-f",
            "MapInfo File",
            "-t_srs",
            "EPSG:9214",
            "-lco",
            "BOUNDS=380000,2330000,510000,2400000",
            tab.to_str().unwrap(),
            src.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    let mut gpkg = workspace(dir.path());
    // MapInfo has no VN-2000 datum of its own: GDAL 3.6 writes the zone on
    // WGS 84, a complete CRS without an EPSG code. The import goes through
    // that definition, to where gdaltransform puts it.
    let options = ImportOptions::new(&tab, new_layer("tram"));
    let report = run(&mut gpkg, &options);
    assert_eq!((report.imported(), report.src_crs), (3, None));
    let as_written = "+proj=tmerc +lon_0=107 +k=0.9999 +x_0=500000 +y_0=0 +datum=WGS84 +units=m";
    for ((x, y), (_, lon, lat, _, _)) in points(&gpkg, "tram").iter().zip(TOWERS) {
        let (fx, fy) = cs2cs(lon, lat);
        let v = transform(
            "gdaltransform",
            &["-s_srs", as_written, "-t_srs", "EPSG:9214", "-output_xy"],
            &format!("{fx} {fy}"),
        );
        assert!(
            (x - v[0]).abs() < 0.01 && (y - v[1]).abs() < 0.01,
            "({x}, {y}) vs gdaltransform ({}, {})",
            v[0],
            v[1]
        );
    }
    // Naming the CRS the data was made in wins over the file's.
    let report = run(
        &mut gpkg,
        &ImportOptions {
            src_crs: Some(9214),
            target: new_layer("tram_9214"),
            ..options
        },
    );
    assert_eq!((report.imported(), report.src_crs), (3, Some(9214)));
    assert_towers(&gpkg, "tram_9214");
}

#[test]
fn csv_and_xlsx_of_towers_with_lat_lon_columns() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("bts.csv");
    let mut text = String::from("ma_tram,kinh_do,vi_do,nha_mang,chieu_cao\n");
    for (id, lon, lat, op, h) in TOWERS {
        text.push_str(&format!("{id},{lon},{lat},{op},{h}\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let mut gpkg = workspace(dir.path());
    let report = run(&mut gpkg, &ImportOptions::new(&csv, new_layer("tram_csv")));
    assert_eq!((report.imported(), report.src_crs), (3, Some(4326)));
    assert_towers(&gpkg, "tram_csv");

    let xlsx = dir.path().join("bts.xlsx");
    let (ok, _, err) = tool(
        "ogr2ogr",
        &[
            "-f",
            "XLSX",
            "-oo",
            "AUTODETECT_TYPE=YES",
            xlsx.to_str().unwrap(),
            csv.to_str().unwrap(),
            "-nln",
            "Tram",
        ],
    );
    assert!(ok, "{err}");
    let report = run(
        &mut gpkg,
        &ImportOptions::new(&xlsx, new_layer("tram_xlsx")),
    );
    assert_eq!(report.imported(), 3);
    assert_towers(&gpkg, "tram_xlsx");
}

/// A drawing as CAD programs write it (DXF R12): a closed polyline (a lot),
/// an open one (a road edge), a text (the lot's code) and a block reference
/// (a tree symbol).
const DXF: &str = "0\nSECTION\n2\nHEADER\n0\nENDSEC\n0\nSECTION\n2\nBLOCKS\n0\nBLOCK\n8\n0\n2\nCAY\n70\n0\n10\n0\n20\n0\n30\n0\n0\nCIRCLE\n8\n0\n10\n0\n20\n0\n30\n0\n40\n1.5\n0\nENDBLK\n0\nENDSEC\n0\nSECTION\n2\nENTITIES\n\
0\nPOLYLINE\n8\nO_QUY_HOACH\n66\n1\n70\n1\n0\nVERTEX\n8\nO_QUY_HOACH\n10\n430000\n20\n2350000\n0\nVERTEX\n8\nO_QUY_HOACH\n10\n430100\n20\n2350000\n0\nVERTEX\n8\nO_QUY_HOACH\n10\n430100\n20\n2350080\n0\nVERTEX\n8\nO_QUY_HOACH\n10\n430000\n20\n2350080\n0\nSEQEND\n8\nO_QUY_HOACH\n\
0\nPOLYLINE\n8\nCHI_GIOI\n66\n1\n70\n0\n0\nVERTEX\n8\nCHI_GIOI\n10\n430000\n20\n2349990\n0\nVERTEX\n8\nCHI_GIOI\n10\n430100\n20\n2349990\n0\nSEQEND\n8\nCHI_GIOI\n\
0\nTEXT\n8\nKY_HIEU\n10\n430050\n20\n2350040\n30\n0\n40\n5\n1\nOM-01\n\
0\nINSERT\n8\nCAY_XANH\n2\nCAY\n10\n430020\n20\n2350020\n30\n0\n\
0\nENDSEC\n0\nEOF\n";

#[test]
fn dxf_drawing_splits_into_polygons_lines_and_points() {
    let dir = tempfile::tempdir().unwrap();
    let dxf = dir.path().join("qh.dxf");
    std::fs::write(&dxf, DXF).unwrap();
    let mut gpkg = workspace(dir.path());
    let options = ImportOptions {
        src_crs: Some(9214),
        ..ImportOptions::new(&dxf, new_layer("qh"))
    };
    let report = run(&mut gpkg, &options);
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let mut loaded = report.loaded.clone();
    loaded.sort();
    assert_eq!(
        loaded,
        vec![
            ("qh_lines".into(), 1),
            ("qh_points".into(), 2),
            ("qh_polygons".into(), 1)
        ]
    );
    let lot = &gpkg.all_features("qh_polygons").unwrap()[0];
    let Some(Geometry::MultiPolygon(m)) = &lot.geometry else {
        panic!("{:?}", lot.geometry)
    };
    use geo::Area;
    assert!((m.unsigned_area() - 8000.0).abs() < 1e-6);
    let info = gpkg.layer("qh_points").unwrap();
    let layer_i = info.schema.field_index("Layer").unwrap();
    let text_i = info.schema.field_index("Text").unwrap();
    let points = gpkg.all_features("qh_points").unwrap();
    let label = points
        .iter()
        .find(|f| f.values[layer_i] == FieldValue::Text("KY_HIEU".into()))
        .expect("the text is a point");
    assert_eq!(label.values[text_i], FieldValue::Text("OM-01".into()));
    assert!(
        points
            .iter()
            .any(|f| f.values[layer_i] == FieldValue::Text("CAY_XANH".into())),
        "the block reference is a point"
    );
}

/// Every Vietnamese letter with every tone, lower and upper case, one row
/// per vowel (a DBF text field holds 254 bytes).
fn alphabet() -> Vec<String> {
    let mut rows = Vec::new();
    for base in ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"] {
        let mut row = String::new();
        for tone in ["", "\u{300}", "\u{301}", "\u{309}", "\u{303}", "\u{323}"] {
            let letter: String =
                unicode_normalization::UnicodeNormalization::nfc(format!("{base}{tone}").as_str())
                    .collect();
            row.push_str(&letter);
            row.push_str(&letter.to_uppercase());
            row.push(' ');
        }
        rows.push(row.trim_end().to_string());
    }
    rows.push("d đ D Đ".into());
    rows
}

/// Writes a point Shapefile whose text is raw bytes in `enc`, the way old
/// agency software wrote them (GDAL passes the bytes through untouched).
fn legacy_shapefile(dir: &Path, enc: LegacyEncoding, rows: &[String]) -> PathBuf {
    let bytes: Vec<Vec<u8>> = rows
        .iter()
        .map(|row| encoding::encode(row, enc).unwrap())
        .collect();
    raw_text_shapefile(dir, &format!("{enc:?}"), &bytes)
}

#[test]
fn legacy_encodings_import_as_unicode_and_round_trip() {
    let mut rows = alphabet();
    rows.extend([
        "Đất chuyên trồng lúa nước".to_string(),
        "Ủy ban nhân dân xã Tân Tiến".to_string(),
        "Thửa đất số 15, tờ bản đồ số 3".to_string(),
        "Cột ngụy trang trên đồi Yên Thế".to_string(),
    ]);
    for enc in [
        LegacyEncoding::Tcvn3,
        LegacyEncoding::Vni,
        LegacyEncoding::Windows1258,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let shp = legacy_shapefile(dir.path(), enc, &rows);
        let mut gpkg = workspace(dir.path());
        // Detected from the bytes: the file declares nothing.
        let report = run(&mut gpkg, &ImportOptions::new(&shp, new_layer("ten")));
        assert_eq!(report.encoding, TextEncoding::Legacy(enc), "{enc:?}");
        let got = texts(&gpkg, "ten");
        for (g, want) in got.iter().zip(&rows) {
            // TCVN3 (the .VnTime font) has no capital toned letters: those
            // come back in lower case.
            let want = if enc == LegacyEncoding::Tcvn3 {
                encoding::decode(&encoding::encode(want, enc).unwrap(), enc)
            } else {
                want.clone()
            };
            assert_eq!(g, &want, "{enc:?}");
        }
        // Out as a UTF-8 Shapefile (.cpg) and in again: the same text.
        let out = dir.path().join("out.shp");
        io::export_layer(
            &gpkg,
            &ExportOptions::new("ten", &out).unwrap(),
            &Progress::default(),
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("out.cpg"))
                .unwrap()
                .trim(),
            "UTF-8"
        );
        run(&mut gpkg, &ImportOptions::new(&out, new_layer("again")));
        let again = texts(&gpkg, "again");
        assert_eq!(again, got, "{enc:?}");
        // Out in the legacy encoding for old software, and in again.
        let legacy = dir.path().join("legacy.shp");
        let options = ExportOptions {
            encoding: Some(TextEncoding::Legacy(enc)),
            ..ExportOptions::new("ten", &legacy).unwrap()
        };
        io::export_layer(&gpkg, &options, &Progress::default()).unwrap();
        let options = ImportOptions {
            encoding: Some(TextEncoding::Legacy(enc)),
            ..ImportOptions::new(&legacy, new_layer("legacy"))
        };
        run(&mut gpkg, &options);
        let back = texts(&gpkg, "legacy");
        assert_eq!(back, got, "{enc:?}");
    }
}

#[test]
fn broken_rows_are_reported_and_the_good_ones_imported() {
    let dir = tempfile::tempdir().unwrap();
    let mut gpkg = workspace(dir.path());
    let schema = Schema::new(
        GeometryType::Polygon,
        9214,
        vec![
            Field::new("ma_loai_dat", FieldType::Text),
            Field::new("so_thua", FieldType::Integer),
        ],
    );
    gpkg.create_layer("thua_dat", &schema, &LayerMeta::default())
        .unwrap();
    let square = |x: f64| {
        format!(
            "[[[{x},2350000],[{},2350000],[{},2350010],[{x},2350000]]]",
            x + 10.0,
            x + 10.0
        )
    };
    let src = dir.path().join("thua.geojson");
    std::fs::write(
        &src,
        format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::9214"}}}},"features":[
{{"type":"Feature","properties":{{"ma_loai_dat":"LUC","so_thua":"1"}},"geometry":{{"type":"Polygon","coordinates":{}}}}},
{{"type":"Feature","properties":{{"ma_loai_dat":"ONT","so_thua":"hai"}},"geometry":{{"type":"Polygon","coordinates":{}}}}},
{{"type":"Feature","properties":{{"ma_loai_dat":"XYZ","so_thua":"3"}},"geometry":{{"type":"Polygon","coordinates":{}}}}},
{{"type":"Feature","properties":{{"ma_loai_dat":"CLN","so_thua":"4"}},"geometry":{{"type":"Polygon","coordinates":[[[1,1],[2,2]]]}}}},
{{"type":"Feature","properties":{{"ma_loai_dat":"ODT","so_thua":"5"}},"geometry":{{"type":"LineString","coordinates":[[1,1],[2,2]]}}}},
{{"type":"Feature","properties":{{"ma_loai_dat":"BHK","so_thua":"6"}},"geometry":{{"type":"Polygon","coordinates":{}}}}}]}}"#,
            square(430000.0),
            square(430020.0),
            square(430040.0),
            square(430060.0)
        ),
    )
    .unwrap();
    let report = run(
        &mut gpkg,
        &ImportOptions::new(&src, Target::Existing("thua_dat".into())),
    );
    assert_eq!(report.imported(), 2);
    let rows: Vec<(u64, &str)> = report
        .rejected
        .iter()
        .map(|r| (r.row, r.field.as_str()))
        .collect();
    assert_eq!(
        rows,
        vec![
            (2, "so_thua"),
            (3, "ma_loai_dat"),
            (4, "geometry"),
            (5, "geometry")
        ]
    );
    assert!(report.rejected[0].reason.contains("'hai'"));
    assert!(report.rejected[1].reason.contains("'XYZ'"));
    assert!(report.rejected[2].reason.contains("fewer than 4"));
    assert!(report.rejected[3].reason.contains("LINESTRING"));
    assert!(
        report
            .rejected
            .iter()
            .all(|r| r.file.ends_with("thua.geojson") && r.layer == "thua")
    );
    let csv = report.to_csv();
    assert_eq!(csv.lines().count(), 5);
    assert!(csv.lines().nth(1).unwrap().contains("\"so_thua\""), "{csv}");
    let codes = texts(&gpkg, "thua_dat");
    assert_eq!(codes, ["LUC", "BHK"]);
}

#[test]
fn cancelled_or_failed_imports_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut gpkg = workspace(dir.path());
    let src = towers_geojson(dir.path());
    let cancelled = Progress::default();
    cancelled.cancel();
    let err = io::import(
        &mut gpkg,
        &ImportOptions::new(&src, new_layer("tram")),
        &cancelled,
    )
    .unwrap_err();
    assert!(matches!(err, IoError::Cancelled), "{err}");
    assert!(
        gpkg.layers().unwrap().is_empty(),
        "the new layer survived a cancel"
    );
    // A failure in the middle (a NOT NULL column the source leaves empty)
    // rolls back the rows already loaded.
    let mut schema = Schema::new(
        GeometryType::Point,
        9214,
        vec![
            Field::new("ma_tram", FieldType::Text),
            Field::new("bat_buoc", FieldType::Text),
        ],
    );
    schema.fields[1].not_null = true;
    gpkg.create_layer("tram", &schema, &LayerMeta::default())
        .unwrap();
    let before = gpkg.changes_since(0).unwrap().len();
    let err = io::import(
        &mut gpkg,
        &ImportOptions::new(&src, Target::Existing("tram".into())),
        &Progress::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("NOT NULL") || err.to_string().contains("tram"),
        "{err}"
    );
    assert_eq!(gpkg.count_features("tram", None).unwrap(), 0);
    assert_eq!(gpkg.changes_since(0).unwrap().len(), before);
    drop(gpkg);
    let problems = tramgis::gpkg::validate::validate(&dir.path().join("ws.gpkg")).unwrap();
    assert!(
        problems
            .iter()
            .all(|p| p.severity != tramgis::gpkg::validate::Severity::Error),
        "{problems:?}"
    );
}

#[test]
fn exports_open_in_gdal_with_the_same_features() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample(dir.path(), 500);
    let gpkg = GeoPackage::open(&path).unwrap();
    let n = gpkg.count_features("tram_bts", None).unwrap();
    for ext in ["gpkg", "shp", "geojson", "kml", "dxf", "csv"] {
        let out = dir.path().join(format!("bts.{ext}"));
        let written = io::export_layer(
            &gpkg,
            &ExportOptions::new("tram_bts", &out).unwrap(),
            &Progress::default(),
        )
        .unwrap();
        assert_eq!(written, n, "{ext}");
        let mut args = vec!["-ro", "-al", "-so", out.to_str().unwrap()];
        if ext == "csv" {
            args.extend(["-oo", "X_POSSIBLE_NAMES=X", "-oo", "Y_POSSIBLE_NAMES=Y"]);
        }
        let (ok, info, err) = tool("ogrinfo", &args);
        assert!(ok && gdal_messages(&err).is_empty(), "{ext}: {err}");
        assert!(
            info.contains(&format!("Feature Count: {n}")),
            "{ext}: {info}"
        );
    }
    // GeoJSON is RFC 7946: longitude/latitude in WGS 84.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("bts.geojson")).unwrap())
            .unwrap();
    let c = &json["features"][0]["geometry"]["coordinates"];
    let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
    assert!(
        (105.8..107.1).contains(&lon) && (21.1..21.7).contains(&lat),
        "{lon} {lat}"
    );
    let first = &gpkg.all_features("tram_bts").unwrap()[0];
    let Some(Geometry::Point(p)) = &first.geometry else {
        panic!()
    };
    let (ex, ey) = cs2cs(lon, lat);
    assert!(
        (p.x() - ex).abs() < 0.01 && (p.y() - ey).abs() < 0.01,
        "{p:?} vs ({ex}, {ey})"
    );
    assert!(
        std::fs::read_to_string(dir.path().join("bts.prj"))
            .unwrap()
            .contains("107")
    );
    // A selection exports only its features.
    let out = dir.path().join("sel.geojson");
    let options = ExportOptions {
        fids: Some(vec![3, 5]),
        ..ExportOptions::new("tram_bts", &out).unwrap()
    };
    assert_eq!(
        io::export_layer(&gpkg, &options, &Progress::default()).unwrap(),
        2
    );
    // No half-written files when an export is refused.
    let err = io::export_layer(
        &gpkg,
        &ExportOptions::new("tram_bts", &out).unwrap(),
        &Progress::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("exists"), "{err}");
}
