//! Z and M through import and export, a Shapefile without its .shx, the
//! GeoJSON export's precision, and GDAL's messages: in the report, not on
//! stderr, and error messages that name things once. Fixtures are made by
//! python3-gdal, ogr2ogr and hand-written bytes; results are checked with
//! ogrinfo, sqlite3 and cs2cs.

mod common;

use std::path::{Path, PathBuf};

use common::{new_layer, python, texts, tool, tramgis, transform};
use tramgis::gpkg::{GeoPackage, LayerMeta};
use tramgis::io::{self, ExportOptions, ImportOptions, Target};
use tramgis::jobs::Progress;
use tramgis::model::Feature;

fn import(gpkg: &mut GeoPackage, source: &Path, target: Target) -> io::ImportReport {
    io::import(
        gpkg,
        &ImportOptions::new(source, target),
        &Progress::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// A Shapefile in EPSG:9214 of one geometry type, from WKT.
fn shapefile(dir: &Path, name: &str, ogr_type: &str, wkts: &[&str]) -> PathBuf {
    let path = dir.join(format!("{name}.shp"));
    let wkts: Vec<String> = wkts.iter().map(|w| format!("'{w}'")).collect();
    python(
        &format!(
            "from osgeo import ogr, osr
srs = osr.SpatialReference(); srs.ImportFromEPSG(9214)
ds = ogr.GetDriverByName('ESRI Shapefile').CreateDataSource('{p}')
lyr = ds.CreateLayer('{name}', srs, ogr.{ogr_type})
lyr.CreateField(ogr.FieldDefn('ten', ogr.OFTString))
for i, w in enumerate([{wkts}]):
    f = ogr.Feature(lyr.GetLayerDefn()); f.SetField('ten', 'a%d' % i)
    f.SetGeometry(ogr.CreateGeometryFromWkt(w)); lyr.CreateFeature(f)
ds = None",
            p = path.display(),
            wkts = wkts.join(", ")
        ),
        &[],
    );
    path
}

const LINEZ: &str = "LINESTRING Z (500000 2300000 5,500100 2300100 6.5)";
const POINTM: &str = "POINT M (500000 2300000 42.5)";

/// The Shapefiles `linez` (one LINEZ) and `pointm` (one POINTM).
fn linez_and_pointm(dir: &Path) -> (PathBuf, PathBuf) {
    (
        shapefile(dir, "linez", "wkbLineString25D", &[LINEZ]),
        shapefile(dir, "pointm", "wkbPointM", &[POINTM]),
    )
}

/// (x, y, z, m) of every coordinate of a feature, sorted (a Shapefile
/// writer may turn a ring round).
fn ordinates(f: &Feature) -> Vec<[f64; 4]> {
    let mut out = Vec::new();
    let mut i = 0;
    tramgis::gpkg::geom::visit_coords(f.geometry.as_ref().unwrap(), &mut |c| {
        out.push([
            c.x,
            c.y,
            f.zm.z.get(i).copied().unwrap_or(f64::NAN),
            f.zm.m.get(i).copied().unwrap_or(f64::NAN),
        ]);
        i += 1;
    });
    // NaN (no such ordinate) sorts and compares like any value here.
    out.sort_by(|a, b| {
        a.iter()
            .zip(b)
            .map(|(x, y)| x.total_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    out.dedup_by(|a, b| a.map(f64::to_bits) == b.map(f64::to_bits));
    out
}

/// `z` and `m` of a layer in gpkg_geometry_columns.
fn zm_flags(ws: &Path, layer: &str) -> (String, String) {
    let (ok, out, err) = tool(
        "sqlite3",
        &[
            ws.to_str().unwrap(),
            &format!(
                "SELECT z || ',' || m FROM gpkg_geometry_columns WHERE table_name = '{layer}'"
            ),
        ],
    );
    assert!(ok, "{err}");
    let (z, m) = out.trim().split_once(',').expect("one row");
    (z.to_string(), m.to_string())
}

/// The geometry lines of `ogrinfo -al` on a workspace layer.
fn ogrinfo_geometries(ws: &Path, layer: &str) -> Vec<String> {
    let (ok, out, err) = tool("ogrinfo", &["-ro", "-q", ws.to_str().unwrap(), layer]);
    assert!(ok, "{err}");
    out.lines()
        .map(str::trim)
        .filter(|l| {
            l.starts_with("POINT")
                || l.starts_with("MULTI")
                || l.starts_with("POLYGON")
                || l.starts_with("LINESTRING")
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn polygonz_polylinez_and_pointm_shapefiles_keep_their_z_and_m() {
    let dir = tempfile::tempdir().unwrap();
    let ws_path = dir.path().join("ws.gpkg");
    let mut ws = GeoPackage::create(&ws_path).unwrap();
    let polyz = shapefile(
        dir.path(),
        "polyz",
        "wkbPolygon25D",
        &[
            "POLYGON Z ((500000 2300000 10.25,500010 2300000 11.5,500010 2300010 12.75,500000 2300000 10.25))",
        ],
    );
    let (linez, pointm) = linez_and_pointm(dir.path());
    for (src, name) in [(&polyz, "polyz"), (&linez, "linez"), (&pointm, "pointm")] {
        let report = import(&mut ws, src, new_layer(name));
        assert_eq!((report.imported(), report.rejected.len()), (1, 0), "{name}");
        assert!(
            !report.warnings.iter().any(|w| w.contains("dropped")),
            "{name}: {:?}",
            report.warnings
        );
    }
    let features = |l: &str| ws.all_features(l).unwrap();
    let poly = ordinates(&features("polyz")[0]);
    let zs: Vec<(f64, f64, f64)> = poly.iter().map(|o| (o[0], o[1], o[2])).collect();
    assert_eq!(
        zs,
        vec![
            (500000.0, 2300000.0, 10.25),
            (500010.0, 2300000.0, 11.5),
            (500010.0, 2300010.0, 12.75)
        ]
    );
    let line = ordinates(&features("linez")[0]);
    assert_eq!(
        line.iter().map(|o| o[2]).collect::<Vec<_>>(),
        vec![5.0, 6.5]
    );
    let point = &features("pointm")[0];
    assert_eq!((point.zm.dims.z, point.zm.m.clone()), (false, vec![42.5]));

    assert_eq!(zm_flags(&ws_path, "polyz"), ("1".into(), "0".into()));
    assert_eq!(zm_flags(&ws_path, "linez"), ("1".into(), "0".into()));
    assert_eq!(zm_flags(&ws_path, "pointm"), ("0".into(), "1".into()));
    drop(ws);
    // GDAL reads the same values from the workspace.
    let polys = ogrinfo_geometries(&ws_path, "polyz");
    assert_eq!(polys.len(), 1, "{polys:?}");
    assert!(polys[0].starts_with("MULTIPOLYGON Z"), "{polys:?}");
    for z in ["10.25", "11.5", "12.75"] {
        assert!(polys[0].contains(z), "{polys:?}");
    }
    assert_eq!(
        ogrinfo_geometries(&ws_path, "linez"),
        vec!["MULTILINESTRING Z ((500000 2300000 5,500100 2300100 6.5))".to_string()]
    );
    assert_eq!(
        ogrinfo_geometries(&ws_path, "pointm"),
        vec![POINTM.to_string()]
    );
}

#[test]
fn a_kmz_polygon_z_keeps_its_heights_through_reprojection() {
    let dir = tempfile::tempdir().unwrap();
    let kmz = dir.path().join("zones.kmz");
    python(&format!(
        "from osgeo import ogr, osr
srs = osr.SpatialReference(); srs.ImportFromEPSG(4326)
srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
ds = ogr.GetDriverByName('LIBKML').CreateDataSource('{}')
lyr = ds.CreateLayer('zones', srs, ogr.wkbPolygon25D)
lyr.CreateField(ogr.FieldDefn('Name', ogr.OFTString))
f = ogr.Feature(lyr.GetLayerDefn()); f.SetField('Name', 'zone')
f.SetGeometry(ogr.CreateGeometryFromWkt('POLYGON Z ((106.1 21.1 15,106.2 21.1 16,106.2 21.2 17,106.1 21.1 15))'))
lyr.CreateFeature(f); ds = None",
        kmz.display()
    ), &[]);
    let ws_path = dir.path().join("ws.gpkg");
    let mut ws = GeoPackage::create(&ws_path).unwrap();
    let report = import(&mut ws, &kmz, new_layer("zones"));
    assert_eq!(report.imported(), 1, "{report:?}");
    let f = &ws.all_features("zones").unwrap()[0];
    // Reprojected horizontally into VN-2000; the heights are kept as stored.
    assert_eq!(f.zm.z, vec![15.0, 16.0, 17.0, 15.0]);
    let first = ordinates(f)[0];
    assert!(first[0] > 400_000.0 && first[1] > 2_300_000.0, "{first:?}");
    assert_eq!(zm_flags(&ws_path, "zones").0, "1");
    drop(ws);
    let geoms = ogrinfo_geometries(&ws_path, "zones");
    assert!(
        geoms.len() == 1 && geoms[0].contains(" Z ") && geoms[0].contains(" 17"),
        "{geoms:?}"
    );
}

#[test]
fn a_point_zm_geopackage_keeps_both_and_2d_layers_drop_z_with_one_note() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("zm.gpkg");
    let csv = dir.path().join("zm.csv");
    std::fs::write(
        &csv,
        "ten,WKT\na,\"POINT ZM (500000 2300000 7.5 100)\"\nb,\"POINT ZM (500001 2300001 8.5 101)\"\n",
    )
    .unwrap();
    let (ok, _, err) = tool(
        "ogr2ogr",
        &[
            "-f",
            "GPKG",
            "-a_srs",
            "EPSG:9214",
            "-nlt",
            "POINTZM",
            "-nln",
            "poles",
            src.to_str().unwrap(),
            csv.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    let ws_path = dir.path().join("ws.gpkg");
    let mut ws = GeoPackage::create(&ws_path).unwrap();
    let report = import(&mut ws, &src, new_layer("poles"));
    assert_eq!(report.imported(), 2);
    let features = ws.all_features("poles").unwrap();
    let zm: Vec<(Vec<f64>, Vec<f64>)> = features
        .iter()
        .map(|f| (f.zm.z.clone(), f.zm.m.clone()))
        .collect();
    assert_eq!(zm, vec![(vec![7.5], vec![100.0]), (vec![8.5], vec![101.0])]);
    assert_eq!(zm_flags(&ws_path, "poles"), ("1".into(), "1".into()));

    // Appended to a 2D layer, Z and M are dropped: said once, counted.
    let flat = shapefile(dir.path(), "flat", "wkbPoint", &["POINT (500002 2300002)"]);
    import(&mut ws, &flat, new_layer("flat"));
    let report = import(&mut ws, &src, Target::Existing("flat".into()));
    assert_eq!(report.imported(), 2);
    let notes: Vec<&String> = report
        .warnings
        .iter()
        .filter(|w| w.contains("dropped"))
        .collect();
    assert_eq!(notes.len(), 2, "{:?}", report.warnings);
    assert!(
        notes[0].contains("2 geometries had Z values") && notes[0].contains("'flat'"),
        "{notes:?}"
    );
    assert!(notes[1].contains("2 geometries had M values"), "{notes:?}");
    assert!(
        ws.all_features("flat")
            .unwrap()
            .iter()
            .all(|f| f.zm.z.is_empty() && f.zm.m.is_empty())
    );
    drop(ws);
    assert_eq!(ogrinfo_geometries(&ws_path, "flat").len(), 3);
}

fn listing(dir: &Path) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().unwrap().len(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_shapefile_without_its_shx_imports_from_a_temporary_copy() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let shp = shapefile(
        &data,
        "lots",
        "wkbPolygon",
        &[
            "POLYGON ((500000 2300000,500010 2300000,500010 2300010,500000 2300000))",
            "POLYGON ((500020 2300000,500030 2300000,500030 2300010,500020 2300000))",
        ],
    );
    std::fs::remove_file(data.join("lots.shx")).unwrap();
    let before = listing(&data);
    let mut ws = GeoPackage::create(dir.path().join("ws.gpkg")).unwrap();
    let report = import(&mut ws, &shp, new_layer("lots"));
    assert_eq!((report.imported(), report.rejected.len()), (2, 0));
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains(".shx index was missing") && w.contains("lots.shp")),
        "{:?}",
        report.warnings
    );
    assert_eq!(listing(&data), before, "the user's folder was written to");
    assert_eq!(texts(&ws, "lots"), vec!["a0", "a1"]);
}

/// The positions of GeoJSON coordinates of any nesting.
fn positions(v: &serde_json::Value) -> Vec<Vec<f64>> {
    let items = v.as_array().expect("coordinates are arrays");
    if items.iter().all(|i| i.is_number()) {
        return vec![items.iter().map(|i| i.as_f64().unwrap()).collect()];
    }
    items.iter().flat_map(positions).collect()
}

/// cs2cs from EPSG:9214 to EPSG:4326 (it prints latitude, longitude).
fn cs2cs_to_wgs84(x: f64, y: f64) -> (f64, f64) {
    let v = transform(
        "cs2cs",
        &["-f", "%.10f", "EPSG:9214", "EPSG:4326"],
        &format!("{x} {y}"),
    );
    (v[1], v[0])
}

#[test]
fn geojson_export_keeps_every_vertex_within_a_centimetre_and_keeps_z() {
    let dir = tempfile::tempdir().unwrap();
    let corners = [
        (500123.456789, 2300456.987654, 3.25),
        (500987.123456, 2300111.222333, 4.5),
        (500555.999999, 2300999.000001, 5.75),
    ];
    let wkt = format!(
        "LINESTRING Z ({})",
        corners
            .iter()
            .map(|(x, y, z)| format!("{x} {y} {z}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let shp = shapefile(dir.path(), "edge", "wkbLineString25D", &[&wkt]);
    let ws_path = dir.path().join("ws.gpkg");
    let mut ws = GeoPackage::create(&ws_path).unwrap();
    import(&mut ws, &shp, new_layer("edge"));
    let out = dir.path().join("edge.geojson");
    let report = io::export_layer_report(
        &ws,
        &ExportOptions::new("edge", &out).unwrap(),
        &Progress::default(),
    )
    .unwrap();
    assert_eq!(report.written, 1);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let coords = positions(&json["features"][0]["geometry"]["coordinates"]);
    assert_eq!(coords.len(), 3, "{coords:?}");
    for (c, (x, y, z)) in coords.iter().zip(corners) {
        let (lon, lat) = cs2cs_to_wgs84(x, y);
        let metres_per_degree = 111_320.0;
        let dx = (c[0] - lon) * metres_per_degree * lat.to_radians().cos();
        let dy = (c[1] - lat) * metres_per_degree;
        let off = (dx * dx + dy * dy).sqrt();
        assert!(off < 0.01, "{c:?} is {off} m from cs2cs's ({lon}, {lat})");
        assert_eq!(c.get(2), Some(&z), "Z kept");
    }
}

#[test]
fn gdal_and_proj_warnings_go_to_the_report_not_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.gpkg");
    GeoPackage::create(&ws).unwrap();
    // A number GDAL reads only in part ("1.5x9"): a warning on row 2.
    let shp = dir.path().join("masts.shp");
    python(&format!(
        "from osgeo import ogr, osr
srs = osr.SpatialReference(); srs.ImportFromEPSG(9214)
ds = ogr.GetDriverByName('ESRI Shapefile').CreateDataSource('{}')
lyr = ds.CreateLayer('masts', srs, ogr.wkbPoint)
fd = ogr.FieldDefn('h', ogr.OFTReal); fd.SetWidth(5); fd.SetPrecision(1); lyr.CreateField(fd)
lyr.CreateField(ogr.FieldDefn('ten', ogr.OFTString))
for i, h in enumerate([1.5, 2.5]):
    f = ogr.Feature(lyr.GetLayerDefn()); f.SetField('h', h)
    f.SetGeometry(ogr.CreateGeometryFromWkt('POINT (%d 2300000)' % (500000 + i))); lyr.CreateFeature(f)
ds = None",
        shp.display()
    ), &[]);
    let dbf = dir.path().join("masts.dbf");
    let mut bytes = std::fs::read(&dbf).unwrap();
    let at = bytes
        .windows(5)
        .rposition(|w| w == b"  2.5")
        .expect("the second row's number");
    bytes[at..at + 5].copy_from_slice(b"2.5x9");
    std::fs::write(&dbf, bytes).unwrap();
    // A shapefile row without geometry (GDAL used to complain of a NULL
    // pointer in OGR_G_IsEmpty for it).
    let (ok, stdout, stderr) = tramgis(&[
        "import",
        shp.to_str().unwrap(),
        "--into",
        ws.to_str().unwrap(),
    ]);
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(stderr.trim(), "", "GDAL wrote to stderr");
    let warning = stdout
        .lines()
        .find(|l| l.contains("parsed incompletely"))
        .unwrap_or_else(|| panic!("GDAL's warning is not in the report:\n{stdout}"));
    assert!(
        warning.contains("masts.shp") && warning.contains("row 2"),
        "{warning}"
    );
    assert_eq!(
        stdout.matches("parsed incompletely").count(),
        1,
        "printed more than once:\n{stdout}"
    );

    // PROJ's "push: Invalid latitude" for a point past the pole: the row is
    // rejected and PROJ's message is in the report, not on stderr.
    let geojson = dir.path().join("poles.geojson");
    std::fs::write(
        &geojson,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"ten":"a"},"geometry":{"type":"Point","coordinates":[106.1,21.1]}},
{"type":"Feature","properties":{"ten":"b"},"geometry":null},
{"type":"Feature","properties":{"ten":"c"},"geometry":{"type":"Point","coordinates":[106.1,95.0]}}]}"#,
    )
    .unwrap();
    let report = dir.path().join("poles.csv");
    let (ok, stdout, stderr) = tramgis(&[
        "import",
        geojson.to_str().unwrap(),
        "--into",
        ws.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(stderr.trim(), "", "GDAL or PROJ wrote to stderr");
    assert!(
        stdout.contains("1 rows rejected") || stdout.contains("1 row"),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("warning:")
            && l.contains("Invalid latitude")
            && l.contains("row 3")),
        "{stdout}"
    );
}

/// Clauses of a message (split at ": " and "; "), none said twice.
fn assert_said_once(message: &str) {
    let clauses: Vec<&str> = message
        .split([':', ';'])
        .map(str::trim)
        .filter(|c| c.len() > 3)
        .collect();
    for (i, c) in clauses.iter().enumerate() {
        assert!(
            !clauses[i + 1..].contains(c),
            "'{c}' said twice in: {message}"
        );
    }
    for bad in ["Error msg", "WKB type", "NULL pointer", "(no .prj)"] {
        assert!(!message.contains(bad), "'{bad}' in: {message}");
    }
}

#[test]
fn error_messages_name_each_thing_once() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.gpkg");
    GeoPackage::create(&ws).unwrap();
    let ws_arg = ws.to_str().unwrap();

    let missing = dir.path().join("missing.shp");
    let (ok, _, stderr) = tramgis(&["import", missing.to_str().unwrap(), "--into", ws_arg]);
    assert!(!ok);
    assert!(
        stderr.contains("missing.shp") && stderr.contains("not found"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("missing.shp").count(), 1, "{stderr}");
    assert_said_once(&stderr);

    // Not a file GDAL reads: GDAL's reason, not an empty "Error msg".
    let junk = dir.path().join("notes.gml");
    std::fs::write(&junk, "just some text, not GML").unwrap();
    let (ok, _, stderr) = tramgis(&["import", junk.to_str().unwrap(), "--into", ws_arg]);
    assert!(!ok);
    assert!(stderr.contains("notes.gml"), "{stderr}");
    assert_eq!(stderr.matches("notes.gml").count(), 1, "{stderr}");
    assert_said_once(&stderr);

    // A GML without a CRS: the file declares none (there is no .prj to blame).
    let gml = dir.path().join("lots.gml");
    python(&format!(
        "from osgeo import ogr
ds = ogr.GetDriverByName('GML').CreateDataSource('{}')
lyr = ds.CreateLayer('lots', None, ogr.wkbPolygon)
lyr.CreateField(ogr.FieldDefn('ten', ogr.OFTString))
f = ogr.Feature(lyr.GetLayerDefn()); f.SetField('ten', 'a')
f.SetGeometry(ogr.CreateGeometryFromWkt('POLYGON ((500000 2300000,500010 2300000,500010 2300010,500000 2300000))'))
lyr.CreateFeature(f); ds = None",
        gml.display()
    ), &[]);
    let (ok, _, stderr) = tramgis(&["import", gml.to_str().unwrap(), "--into", ws_arg]);
    assert!(!ok);
    assert!(
        stderr.contains("lots.gml") && stderr.contains("does not declare its coordinate system"),
        "{stderr}"
    );
    assert_said_once(&stderr);

    // A bad row: an X that is not a number, and a TIN (stored as its faces).
    let csv = dir.path().join("towers.csv");
    std::fs::write(&csv, "ten,x,y\na,500000,2300000\nb,abc,2300001\n").unwrap();
    let (ok, stdout, stderr) = tramgis(&[
        "import",
        csv.to_str().unwrap(),
        "--into",
        ws_arg,
        "--src-crs",
        "EPSG:9214",
    ]);
    assert!(ok, "{stdout}{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.contains("row 2"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains("'abc'") && line.contains("x"), "{line}");
    assert_said_once(line);
    assert!(!line.contains("Text("), "{line}");
}

#[test]
fn a_tin_z_is_stored_as_its_faces_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("terrain.gpkg");
    python(&format!(
        "from osgeo import ogr, osr
srs = osr.SpatialReference(); srs.ImportFromEPSG(9214)
ds = ogr.GetDriverByName('GPKG').CreateDataSource('{}')
lyr = ds.CreateLayer('terrain', srs, ogr.wkbTINZ)
f = ogr.Feature(lyr.GetLayerDefn())
f.SetGeometry(ogr.CreateGeometryFromWkt('TIN Z (((500000 2300000 1,500010 2300000 2,500000 2300010 3,500000 2300000 1)),((500010 2300000 2,500010 2300010 4,500000 2300010 3,500010 2300000 2)))'))
lyr.CreateFeature(f); ds = None",
        src.display()
    ), &[]);
    let ws_path = dir.path().join("ws.gpkg");
    let mut ws = GeoPackage::create(&ws_path).unwrap();
    let report = import(&mut ws, &src, new_layer("terrain"));
    assert_eq!(
        (report.imported(), report.rejected.len()),
        (1, 0),
        "{report:?}"
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("1 3D TIN geometry stored as a MultiPolygon of its faces")),
        "{:?}",
        report.warnings
    );
    let f = &ws.all_features("terrain").unwrap()[0];
    assert!(matches!(f.geometry, Some(geo_types::Geometry::MultiPolygon(ref m)) if m.0.len() == 2));
    assert_eq!(f.zm.z, vec![1.0, 2.0, 3.0, 1.0, 2.0, 4.0, 3.0, 2.0]);
}

#[test]
fn z_and_m_layers_export_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let (shp, pointm) = linez_and_pointm(dir.path());
    let mut ws = GeoPackage::create(dir.path().join("ws.gpkg")).unwrap();
    import(&mut ws, &shp, new_layer("linez"));
    import(&mut ws, &pointm, new_layer("pointm"));
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    for (layer, file, expected) in [
        ("linez", "linez.shp", LINEZ),
        (
            "linez",
            "linez.gpkg",
            "MULTILINESTRING Z ((500000 2300000 5,500100 2300100 6.5))",
        ),
        ("pointm", "pointm.shp", POINTM),
        ("pointm", "pointm.gpkg", POINTM),
    ] {
        let path = out.join(file);
        io::export_layer(
            &ws,
            &ExportOptions::new(layer, &path).unwrap(),
            &Progress::default(),
        )
        .unwrap_or_else(|e| panic!("{file}: {e}"));
        let (ok, text, err) = tool("ogrinfo", &["-ro", "-al", "-q", path.to_str().unwrap()]);
        assert!(ok, "{err}");
        assert!(text.contains(expected), "{file}:\n{text}");
    }
}

#[test]
fn appending_fills_fields_by_name_and_leaves_the_others_empty() {
    use tramgis::model::{Field, FieldType, FieldValue, GeometryType, Schema};
    let dir = tempfile::tempdir().unwrap();
    let mut ws = GeoPackage::create(dir.path().join("ws.gpkg")).unwrap();
    let schema = Schema::new(
        GeometryType::MultiPoint,
        9214,
        vec![
            Field::new("h", FieldType::Real),
            Field::new("ten", FieldType::Text),
        ],
    );
    ws.create_layer("masts", &schema, &LayerMeta::default())
        .unwrap();
    let shp = shapefile(dir.path(), "masts", "wkbPoint", &["POINT (500000 2300000)"]);
    let report = import(&mut ws, &shp, Target::Existing("masts".into()));
    assert_eq!((report.imported(), report.rejected.len()), (1, 0));
    let f = &ws.all_features("masts").unwrap()[0];
    assert_eq!(
        f.values,
        vec![FieldValue::Null, FieldValue::Text("a0".into())]
    );
}
