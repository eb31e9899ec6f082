//! Land-use statistics and layer comparison on a fixture written by
//! python3-gdal: rectangles with integer coordinates in EPSG:9214 whose
//! areas are known exactly, a parcel straddling two communes, an L-shaped
//! parcel, a parcel with a hole, one outside every commune, and a plan
//! layer with a known change. Exports are read back by GDAL's CSV and XLSX
//! drivers, the saved table and layer are listed by ogrinfo.

mod common;

use std::path::{Path, PathBuf};

use common::{python, tool, tramgis};
use geo_types::{MultiPolygon, Rect};
use tramgis::analysis::AnalysisError;
use tramgis::analysis::compare::{CompareOptions, compare_layers, save_changes_layer};
use tramgis::analysis::landuse_stats::{LandUseGroup, StatsOptions, landuse_stats};
use tramgis::analysis::table::replace_layer;
use tramgis::gpkg::{GeoPackage, LayerMeta};
use tramgis::jobs::Progress;

const X0: f64 = 500000.0;
const Y0: f64 = 2300000.0;

/// Writes the fixture; coordinates are offsets from (X0, Y0) in metres.
fn fixture(dir: &Path) -> PathBuf {
    let path = dir.join("fixture.gpkg");
    let script = r#"
import sys
from osgeo import ogr, osr
ogr.UseExceptions()
X0, Y0 = 500000, 2300000
ds = ogr.GetDriverByName('GPKG').CreateDataSource(sys.argv[1])
srs = osr.SpatialReference()
srs.ImportFromEPSG(9214)
def rect(x0, y0, x1, y1):
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
def wkt(*rings):
    parts = []
    for r in rings:
        pts = [(X0 + x, Y0 + y) for x, y in r] + [(X0 + r[0][0], Y0 + r[0][1])]
        parts.append('(' + ', '.join('%d %d' % p for p in pts) + ')')
    return 'POLYGON (' + ', '.join(parts) + ')'
def layer(name, fields, rows):
    lyr = ds.CreateLayer(name, srs, ogr.wkbPolygon)
    for f in fields:
        lyr.CreateField(ogr.FieldDefn(f, ogr.OFTString))
    for values, geometry in rows:
        feat = ogr.Feature(lyr.GetLayerDefn())
        for f, v in zip(fields, values):
            feat.SetField(f, v)
        feat.SetGeometry(ogr.CreateGeometryFromWkt(geometry))
        lyr.CreateFeature(feat)
layer('ranh_gioi_xa', ['ma_xa', 'ten_xa', 'ma_huyen', 'ten_huyen'], [
    (['X1', 'Xã Một', 'H1', 'Huyện A'], wkt(rect(0, 0, 100, 100))),
    (['X2', 'Xã Hai', 'H1', 'Huyện A'], wkt(rect(100, 0, 200, 100))),
    (['X3', 'Xã Ba', 'H2', 'Huyện B'], wkt(rect(0, 100, 200, 150))),
])
L = [(0, 100), (200, 100), (200, 120), (20, 120), (20, 150), (0, 150)]
parcels = [
    (['LUC', 'X1'], wkt(rect(0, 0, 50, 100))),
    (['ONT', 'X1'], wkt(rect(50, 0, 90, 60))),
    (['CLN', 'X1'], wkt(rect(90, 0, 130, 50))),
    (['BCS', 'X2'], wkt(rect(130, 0, 200, 100))),
    (['DGT', 'X2'], wkt(rect(100, 50, 130, 100))),
    (['RSX', 'X3'], wkt(L)),
    (['NTS', 'X3'], wkt(rect(100, 125, 200, 150), rect(150, 130, 160, 140))),
    (['SKC', ''], wkt(rect(200, 0, 220, 10))),
]
layer('thua_dat', ['ma_loai_dat', 'ma_xa'], parcels)
plan = [
    (['ODT', 'X1'], wkt(rect(0, 0, 50, 100))),
    (['ONT', 'X1'], wkt(rect(50, 0, 90, 60))),
    (['CLN', 'X1'], wkt(rect(90, 0, 130, 50))),
    (['SKK', 'X2'], wkt(rect(130, 0, 200, 40))),
    (['BCS', 'X2'], wkt(rect(130, 40, 200, 100))),
    (['DGT', 'X2'], wkt(rect(100, 50, 130, 100))),
    (['RSX', 'X3'], wkt(L)),
    (['NTS', 'X3'], wkt(rect(100, 125, 200, 150), rect(150, 130, 160, 140))),
]
layer('quy_hoach_sdd', ['ma_loai_dat', 'ma_xa'], plan)
ds = None
"#;
    python(script, &[path.to_str().unwrap()]);
    path
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 0.01
}

fn area(stats: &tramgis::analysis::landuse_stats::LanduseStats, zone: &str, code: &str) -> f64 {
    let z = stats
        .zones
        .iter()
        .find(|z| z.code == zone)
        .unwrap_or_else(|| panic!("no zone {zone}"));
    z.by_code.get(code).copied().unwrap_or(0.0)
}

#[test]
fn areas_by_code_and_group_are_exact_and_add_up_to_each_commune() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path());
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let stats = landuse_stats(&gpkg, &StatsOptions::communes(), &Progress::default()).unwrap();
    let expected = [
        ("X1", "LUC", 5000.0),
        ("X1", "ONT", 2400.0),
        ("X1", "CLN", 500.0),
        ("X2", "CLN", 1500.0),
        ("X2", "BCS", 7000.0),
        ("X2", "DGT", 1500.0),
        ("X3", "RSX", 4600.0),
        ("X3", "NTS", 2400.0),
    ];
    for (zone, code, want) in expected {
        let got = area(&stats, zone, code);
        assert!(close(got, want), "{zone} {code}: {got} ≠ {want}");
    }
    let codes: usize = stats.zones.iter().map(|z| z.by_code.len()).sum();
    assert_eq!(codes, expected.len(), "{:?}", stats.zones);
    for (zone, uncovered) in [("X1", 2100.0), ("X2", 0.0), ("X3", 3000.0)] {
        let z = stats.zones.iter().find(|z| z.code == zone).unwrap();
        assert!(close(z.area, 10000.0), "{zone} area {}", z.area);
        assert!(close(z.uncovered(), uncovered), "{zone}: {}", z.uncovered());
        assert!(close(z.parcel_area() + z.uncovered(), z.area));
    }
    // Groups: ONT and DGT are non-agricultural, BCS unused.
    let x1 = stats
        .zones
        .iter()
        .find(|z| z.code == "X1")
        .unwrap()
        .by_group();
    assert!(close(x1[&LandUseGroup::Agricultural], 5500.0), "{x1:?}");
    assert!(close(x1[&LandUseGroup::NonAgricultural], 2400.0), "{x1:?}");
    let x2 = stats
        .zones
        .iter()
        .find(|z| z.code == "X2")
        .unwrap()
        .by_group();
    assert!(close(x2[&LandUseGroup::Unused], 7000.0), "{x2:?}");
    assert!(close(x2[&LandUseGroup::NonAgricultural], 1500.0), "{x2:?}");
    // The parcel beyond every commune is reported, not counted.
    assert!(
        close(stats.outside_by_code["SKC"], 200.0),
        "{:?}",
        stats.outside_by_code
    );
    assert_eq!(
        stats.outside_by_code.len(),
        1,
        "{:?}",
        stats.outside_by_code
    );
    // The straddling CLN parcel says X1 but lies three quarters in X2; the
    // outside one has no commune on the map and is not listed.
    assert_eq!(stats.mismatches.len(), 1, "{:?}", stats.mismatches);
    let m = &stats.mismatches[0];
    assert_eq!(
        (m.fid, m.attribute.as_str(), m.overlay.as_str()),
        (3, "X1", "X2")
    );
    assert!((m.share - 0.75).abs() < 1e-9, "{m:?}");
    // The tables: each commune's rows add up to its area.
    let table = stats.by_code_table();
    let zone_col = table.column_index("ma_xa").unwrap();
    let area_col = table.column_index("dien_tich_m2").unwrap();
    for zone in ["X1", "X2", "X3"] {
        let sum: f64 = table
            .rows
            .iter()
            .filter(|r| r[zone_col].as_str() == Some(zone))
            .map(|r| r[area_col].as_f64().unwrap())
            .sum();
        assert!(close(sum, 10000.0), "{zone}: {sum}");
    }
    let groups = stats.by_group_table();
    let total = groups.rows.last().unwrap();
    let total_col = groups.column_index("dien_tich_m2").unwrap();
    assert!(close(total[total_col].as_f64().unwrap(), 30000.0));
}

#[test]
fn districts_roll_up_their_communes() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path());
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let stats = landuse_stats(&gpkg, &StatsOptions::communes(), &Progress::default())
        .unwrap()
        .by_district();
    assert_eq!(stats.zones.len(), 2);
    let h1 = &stats.zones[0];
    assert_eq!((h1.code.as_str(), h1.name.as_str()), ("H1", "Huyện A"));
    assert!(close(h1.area, 20000.0));
    assert!(close(h1.by_code["CLN"], 2000.0), "{:?}", h1.by_code);
    assert!(close(h1.uncovered(), 2100.0));
    assert_eq!(stats.by_code_table().columns[0].name, "ma_huyen");
}

#[test]
fn a_drawn_polygon_counts_the_clipped_parts_of_the_parcels() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path());
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let drawn = MultiPolygon(vec![
        Rect::new((X0 + 40.0, Y0 + 40.0), (X0 + 140.0, Y0 + 80.0)).to_polygon(),
    ]);
    let stats = landuse_stats(
        &gpkg,
        &StatsOptions::within("Vùng vẽ", drawn),
        &Progress::default(),
    )
    .unwrap();
    assert_eq!(stats.zones.len(), 1);
    let z = &stats.zones[0];
    assert!(close(z.area, 4000.0));
    for (code, want) in [
        ("LUC", 400.0),
        ("ONT", 800.0),
        ("CLN", 400.0),
        ("BCS", 400.0),
        ("DGT", 900.0),
    ] {
        let got = z.by_code.get(code).copied().unwrap_or(0.0);
        assert!(close(got, want), "{code}: {got} ≠ {want}");
    }
    assert_eq!(z.by_code.len(), 5, "{:?}", z.by_code);
    assert!(close(z.uncovered(), 1100.0));
    assert!(stats.outside_by_code.is_empty());
}

#[test]
fn a_layer_against_itself_is_diagonal_and_a_planned_change_is_off_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path());
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let same = compare_layers(
        &gpkg,
        &CompareOptions::new("thua_dat", "thua_dat"),
        &Progress::default(),
    )
    .unwrap();
    for ((from, to), a) in &same.matrix {
        assert_eq!(from, to, "{from} → {to}: {a}");
    }
    for (code, want) in [
        ("LUC", 5000.0),
        ("CLN", 2000.0),
        ("RSX", 4600.0),
        ("NTS", 2400.0),
        ("SKC", 200.0),
    ] {
        assert!(
            close(same.area(code, code), want),
            "{code}: {}",
            same.area(code, code)
        );
    }
    assert!(same.changes.is_empty() && same.not_covered.is_empty());
    assert!(same.changed_area() == 0.0);

    let plan = compare_layers(
        &gpkg,
        &CompareOptions::new("thua_dat", "quy_hoach_sdd"),
        &Progress::default(),
    )
    .unwrap();
    assert!(close(plan.area("LUC", "ODT"), 5000.0));
    assert!(close(plan.area("BCS", "SKK"), 2800.0));
    assert!(close(plan.area("BCS", "BCS"), 4200.0));
    assert!(close(plan.changed_area(), 7800.0), "{:?}", plan.matrix);
    assert!(close(plan.not_covered["SKC"], 200.0));
    assert_eq!(plan.changes.len(), 2, "{:?}", plan.changes);
    let matrix = plan.matrix_table();
    let total_col = matrix.column_index("tong").unwrap();
    let bcs = matrix
        .rows
        .iter()
        .find(|r| r[0].as_str() == Some("BCS"))
        .unwrap();
    assert!(close(bcs[total_col].as_f64().unwrap(), 7000.0));
    assert!(close(
        bcs[matrix.column_index("den_skk").unwrap()]
            .as_f64()
            .unwrap(),
        2800.0
    ));

    // The changing pieces as a layer, read back by GDAL.
    drop(gpkg);
    let mut gpkg = GeoPackage::open(&path).unwrap();
    assert_eq!(
        save_changes_layer(&mut gpkg, &plan, "bien_dong").unwrap(),
        2
    );
    // Saving again replaces it.
    assert_eq!(
        save_changes_layer(&mut gpkg, &plan, "bien_dong").unwrap(),
        2
    );
    // A replacement that fails half-way (its second feature is malformed)
    // keeps the old layer whole: removal and load are one transaction.
    let old = gpkg.layer("bien_dong").unwrap();
    let mut good = gpkg
        .get_feature("bien_dong", 1)
        .unwrap()
        .expect("feature 1");
    good.fid = None;
    let mut bad = good.clone();
    bad.values.pop();
    let failed = replace_layer(
        &mut gpkg,
        "bien_dong",
        &old.schema,
        &LayerMeta::default(),
        [good, bad],
        "Thay lớp biến động",
    );
    assert!(failed.is_err());
    assert_eq!(gpkg.count_features("bien_dong", None).unwrap(), 2);
    drop(gpkg);
    let (ok, out, err) = tool(
        "ogrinfo",
        &[
            "-ro",
            "-q",
            "-dialect",
            "SQLite",
            "-sql",
            "SELECT tu_ma, sang_ma, ST_Area(geom) AS a, dien_tich_thay_doi FROM bien_dong ORDER BY tu_ma",
            path.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("tu_ma (String) = BCS") && out.contains("sang_ma (String) = SKK"),
        "{out}"
    );
    assert!(
        out.contains("a (Real) = 2800") && out.contains("a (Real) = 5000"),
        "{out}"
    );
}

/// Reads a file through GDAL (by the driver its extension picks) and
/// prints each row's fields as `name=type:value`.
fn gdal_rows(path: &Path, options: &str) -> String {
    let script = format!(
        r#"
import sys
from osgeo import ogr, gdal
gdal.UseExceptions()
ds = gdal.OpenEx(sys.argv[1], gdal.OF_VECTOR, open_options=[{options}])
lyr = ds.GetLayer(0)
d = lyr.GetLayerDefn()
for f in lyr:
    print('|'.join('%s=%s:%r' % (d.GetFieldDefn(i).GetName(), d.GetFieldDefn(i).GetTypeName(), f.GetField(i)) for i in range(d.GetFieldCount())))
"#
    );
    let (ok, out, err) = tool("/usr/bin/python3", &["-c", &script, path.to_str().unwrap()]);
    assert!(ok, "{err}");
    out
}

#[test]
fn csv_and_xlsx_read_back_with_the_same_numbers_and_the_table_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path());
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let stats = landuse_stats(&gpkg, &StatsOptions::communes(), &Progress::default()).unwrap();
    drop(gpkg);
    let table = stats.by_code_table();
    let area_col = table.column_index("dien_tich_m2").unwrap();
    let csv = dir.path().join("dien_tich.csv");
    let xlsx = dir.path().join("dien_tich.xlsx");
    table.write_csv(&csv).unwrap();
    table.write_xlsx(&xlsx).unwrap();
    let bytes = std::fs::read(&csv).unwrap();
    assert_eq!(&bytes[..3], b"\xef\xbb\xbf", "a UTF-8 byte-order mark");
    let csv_rows = gdal_rows(&csv, "'AUTODETECT_TYPE=YES'");
    let xlsx_rows = gdal_rows(&xlsx, "");
    for rows in [&csv_rows, &xlsx_rows] {
        assert_eq!(rows.lines().count(), table.rows.len(), "{rows}");
        assert!(rows.contains("Mã xã=String:'X2'"), "{rows}");
        assert!(
            rows.contains("Loại đất=String:'Đất bằng chưa sử dụng'"),
            "{rows}"
        );
        // Numbers come back as numbers (GDAL types an all-integral column
        // of a workbook as Integer), with the same values.
        let areas: Vec<f64> = rows
            .lines()
            .map(|l| {
                let cell = l
                    .split('|')
                    .find(|f| f.starts_with("Diện tích (m²)="))
                    .unwrap_or_else(|| panic!("no area in {l}"));
                let (ty, value) = cell["Diện tích (m²)=".len()..].split_once(':').unwrap();
                assert!(["Real", "Integer", "Integer64"].contains(&ty), "{cell}");
                value.parse::<f64>().unwrap()
            })
            .collect();
        let want: Vec<f64> = table
            .rows
            .iter()
            .map(|r| r[area_col].as_f64().unwrap())
            .collect();
        assert_eq!(areas.len(), want.len());
        for (a, b) in areas.iter().zip(&want) {
            assert!((a - b).abs() < 1e-6, "{a} ≠ {b}");
        }
        assert!(close(areas.iter().sum(), 30000.0));
    }

    let mut gpkg = GeoPackage::open(&path).unwrap();
    table.save(&mut gpkg, "tk_loai_dat").unwrap();
    // Saving again replaces the table.
    table.save(&mut gpkg, "tk_loai_dat").unwrap();
    let edits: i64 = gpkg
        .connection()
        .query_row(
            "SELECT count(*) FROM tramgis_edits WHERE description LIKE 'Lưu bảng kết quả tk_loai_dat%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(edits, 2);
    // A feature layer of that name is never replaced.
    assert!(table.save(&mut gpkg, "thua_dat").is_err());
    drop(gpkg);
    let (ok, out, err) = tool("ogrinfo", &["-ro", "-q", path.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("tk_loai_dat (None)"), "{out}");
    let (ok, out, err) = tool(
        "ogrinfo",
        &[
            "-ro",
            "-q",
            "-sql",
            "SELECT count(*) AS n, sum(dien_tich_m2) AS s FROM tk_loai_dat",
            path.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("n (Integer) = {}", table.rows.len())),
        "{out}"
    );
    assert!(out.contains("s (Real) = 30000"), "{out}");
}

#[test]
fn a_cancelled_progress_returns_cancelled_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path());
    let before = std::fs::read(&path).unwrap();
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let progress = Progress::default();
    progress.cancel();
    assert!(matches!(
        landuse_stats(&gpkg, &StatsOptions::communes(), &progress),
        Err(AnalysisError::Cancelled(_))
    ));
    assert!(matches!(
        compare_layers(
            &gpkg,
            &CompareOptions::new("thua_dat", "quy_hoach_sdd"),
            &progress
        ),
        Err(AnalysisError::Cancelled(_))
    ));
    drop(gpkg);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn the_cli_prints_exports_saves_and_names_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path());
    let file = path.to_str().unwrap();
    let csv = dir.path().join("xa.csv");
    let (ok, out, err) = tramgis(&[
        "stats",
        file,
        "--csv",
        csv.to_str().unwrap(),
        "--save",
        "tk_xa",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("Mã xã") && out.contains("Xã Hai") && out.contains("7000.00"),
        "{out}"
    );
    assert!(err.contains("1 parcel(s) whose ma_xa disagrees"), "{err}");
    assert!(csv.exists());
    let (ok, out, _) = tramgis(&[
        "stats", file, "--by", "huyen", "--table", "group", "--lang", "en",
    ]);
    assert!(ok);
    assert!(
        out.contains("District code") && out.contains("Huyện B"),
        "{out}"
    );
    let (ok, out, err) = tramgis(&[
        "compare",
        file,
        "--from",
        "thua_dat",
        "--to",
        "quy_hoach_sdd",
        "--changes",
        "bien_dong_cli",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("5000.00") && out.contains("2800.00"), "{out}");
    let (ok, out, _) = tool("ogrinfo", &["-ro", "-q", file]);
    assert!(
        ok && out.contains("bien_dong_cli (Multi Polygon)") && out.contains("tk_xa (None)"),
        "{out}"
    );
    let (ok, _, err) = tramgis(&["stats", file, "--layer", "khong_co"]);
    assert!(!ok && err.contains("khong_co"), "{err}");
    let (ok, _, err) = tramgis(&["stats", file, "--field", "ma_sai"]);
    assert!(
        !ok && err.contains("thua_dat") && err.contains("ma_sai"),
        "{err}"
    );
}
