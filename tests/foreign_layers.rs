//! GeoPackages made by other programs: curve layers, views, tables without
//! an INTEGER PRIMARY KEY and attribute tables are read (read-only where
//! they must be), and one layer that cannot be read is named while the
//! others load. Fixtures are written by GDAL's Python bindings and the
//! sqlite3 shell.

mod common;

use std::path::{Path, PathBuf};

use geo_types::{Coord, Geometry, LineString};
use tramgis::gpkg::geom::{ARC_RELATIVE_TOLERANCE, ARC_TOLERANCE};
use tramgis::gpkg::{FeatureIds, GeoPackage, GpkgError, ReadOnlyReason};
use tramgis::model::{Feature, FieldValue, GeometryType};

/// GDAL writes the point and curve layers and an attribute table.
const GDAL_LAYERS: &str = r#"
layer('points', ogr.wkbPoint, ['POINT(500000 2300000)', 'POINT(500200 2300100)'])
layer('arcs', ogr.wkbCircularString, [
    'CIRCULARSTRING(500000 2300000,500050 2300050,500100 2300000)',
    'CIRCULARSTRING(500300 2300000,500400 2300000,500300 2300000)'])
layer('compound', ogr.wkbCompoundCurve, [
    'COMPOUNDCURVE((500000 2300100,500100 2300100),CIRCULARSTRING(500100 2300100,500150 2300150,500200 2300100))'])
layer('curvepolygons', ogr.wkbCurvePolygon, [
    'CURVEPOLYGON(CIRCULARSTRING(500500 2300000,500600 2300000,500500 2300000))'])
layer('multicurves', ogr.wkbMultiCurve, [
    'MULTICURVE((500000 2300300,500100 2300300),CIRCULARSTRING(500200 2300300,500250 2300350,500300 2300300))'])
layer('multisurfaces', ogr.wkbMultiSurface, [
    'MULTISURFACE(CURVEPOLYGON(COMPOUNDCURVE(CIRCULARSTRING(500700 2300000,500750 2300050,500800 2300000),(500800 2300000,500700 2300000))),((500900 2300000,501000 2300000,501000 2300100,500900 2300000)))'])
layer('arcs_z', ogr.wkbCircularStringZ, [
    'CIRCULARSTRING Z (500000 2300500 10,500050 2300550 20,500100 2300500 30)'])
owners = ds.CreateLayer('owners', geom_type=ogr.wkbNone)
owners.CreateField(ogr.FieldDefn('owner', ogr.OFTString))
for n in ['Nguyễn Văn An', 'Trần Thị Bình']:
    f = ogr.Feature(owners.GetLayerDefn())
    f.SetField('owner', n)
    owners.CreateFeature(f)
ds = None
"#;

/// The sqlite3 shell adds two views, a key-less table, two layers that
/// cannot be listed (an unknown geometry type, a missing table) and one
/// whose geometry is damaged.
const SQL_LAYERS: &str = "
CREATE VIEW points_view AS SELECT fid, geom, name FROM points;
CREATE VIEW unkeyed_view AS SELECT geom, name FROM points;
CREATE TABLE keyless (geom POINT, name TEXT);
INSERT INTO keyless SELECT geom, name FROM points;
CREATE TABLE broken (fid INTEGER PRIMARY KEY, geom BLOB);
CREATE TABLE damaged (fid INTEGER PRIMARY KEY, geom POINT, name TEXT);
INSERT INTO damaged VALUES (1, X'4750000100', 'cut short');
INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES
  ('points_view', 'features', 'points_view', 9214),
  ('unkeyed_view', 'features', 'unkeyed_view', 9214),
  ('keyless', 'features', 'keyless', 9214),
  ('broken', 'features', 'broken', 9214),
  ('ghost', 'features', 'ghost', 9214),
  ('damaged', 'features', 'damaged', 9214);
INSERT INTO gpkg_geometry_columns VALUES
  ('points_view', 'geom', 'POINT', 9214, 0, 0),
  ('unkeyed_view', 'geom', 'POINT', 9214, 0, 0),
  ('keyless', 'geom', 'POINT', 9214, 0, 0),
  ('broken', 'geom', 'BLOBBY', 9214, 0, 0),
  ('ghost', 'geom', 'POINT', 9214, 0, 0),
  ('damaged', 'geom', 'POINT', 9214, 0, 0);
";

/// The GDAL layers only (every one readable).
fn gdal_file(dir: &Path) -> PathBuf {
    let path = dir.join("foreign.gpkg");
    let script = dir.join("make.py");
    std::fs::write(&script, common::gdal_script("%s %d", GDAL_LAYERS)).unwrap();
    common::run_ok(
        "/usr/bin/python3",
        &[script.to_str().unwrap(), path.to_str().unwrap()],
        "",
    );
    path
}

/// The GDAL layers plus the views, the key-less table and the two layers
/// that cannot be read.
fn foreign_file(dir: &Path) -> PathBuf {
    let path = gdal_file(dir);
    common::run_ok("sqlite3", &[path.to_str().unwrap()], SQL_LAYERS);
    path
}

fn lines(g: &Geometry<f64>) -> Vec<&LineString<f64>> {
    match g {
        Geometry::LineString(l) => vec![l],
        Geometry::Polygon(p) => std::iter::once(p.exterior()).chain(p.interiors()).collect(),
        Geometry::MultiLineString(m) => m.0.iter().collect(),
        Geometry::MultiPolygon(m) => {
            m.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .collect()
        }
        other => panic!("not linear: {other:?}"),
    }
}

/// Checks that `points` run along the circle around `centre` with radius
/// `r` within the stated tolerance: every vertex on it, and every chord's
/// midpoint no further inside than the tolerance.
fn assert_on_circle(points: &[Coord<f64>], centre: (f64, f64), r: f64) {
    let tolerance = ARC_TOLERANCE.min(ARC_RELATIVE_TOLERANCE * r);
    let dist = |c: Coord<f64>| (c.x - centre.0).hypot(c.y - centre.1);
    assert!(points.len() > 20, "{} vertices", points.len());
    for w in points.windows(2) {
        assert!(
            (dist(w[0]) - r).abs() < 1e-6,
            "vertex {:?} off the circle",
            w[0]
        );
        let mid = Coord {
            x: (w[0].x + w[1].x) / 2.0,
            y: (w[0].y + w[1].y) / 2.0,
        };
        let sagitta = r - dist(mid);
        assert!(
            sagitta <= tolerance + 1e-7,
            "chord {:?}-{:?} strays {sagitta} from the arc (tolerance {tolerance})",
            w[0],
            w[1]
        );
    }
}

fn c(x: f64, y: f64) -> Coord<f64> {
    Coord { x, y }
}

#[test]
fn every_curve_type_is_read_as_chords_on_the_true_arc() {
    let dir = tempfile::tempdir().unwrap();
    let path = gdal_file(dir.path());
    let gpkg = GeoPackage::open_read_only(&path).unwrap();

    let arcs = gpkg.all_features("arcs").unwrap();
    assert_eq!(arcs.len(), 2);
    let half = lines(arcs[0].geometry.as_ref().unwrap())[0];
    assert_eq!(half.0.first(), Some(&c(500000.0, 2300000.0)));
    assert_eq!(half.0.last(), Some(&c(500100.0, 2300000.0)));
    assert_on_circle(&half.0, (500050.0, 2300000.0), 50.0);
    assert!(
        half.0.iter().all(|p| p.y >= 2300000.0 - 1e-6),
        "the upper half"
    );
    let full = lines(arcs[1].geometry.as_ref().unwrap())[0];
    assert_eq!(full.0.first(), full.0.last(), "a full circle closes");
    assert_on_circle(&full.0, (500350.0, 2300000.0), 50.0);

    let compound = gpkg.all_features("compound").unwrap();
    let line = lines(compound[0].geometry.as_ref().unwrap())[0];
    assert_eq!(line.0[0], c(500000.0, 2300100.0));
    assert_eq!(
        line.0[1],
        c(500100.0, 2300100.0),
        "the straight part as stored"
    );
    assert_eq!(line.0.last(), Some(&c(500200.0, 2300100.0)));
    assert_on_circle(&line.0[1..], (500150.0, 2300100.0), 50.0);

    let polygons = gpkg.all_features("curvepolygons").unwrap();
    let Some(Geometry::Polygon(p)) = &polygons[0].geometry else {
        panic!("{:?}", polygons[0].geometry)
    };
    assert!(p.exterior().is_closed());
    assert_on_circle(&p.exterior().0, (500550.0, 2300000.0), 50.0);

    let multi = gpkg.all_features("multicurves").unwrap();
    let Some(Geometry::MultiLineString(m)) = &multi[0].geometry else {
        panic!("{:?}", multi[0].geometry)
    };
    assert_eq!(m.0.len(), 2);
    assert_eq!(
        m.0[0].0,
        vec![c(500000.0, 2300300.0), c(500100.0, 2300300.0)]
    );
    assert_on_circle(&m.0[1].0, (500250.0, 2300300.0), 50.0);

    let surfaces = gpkg.all_features("multisurfaces").unwrap();
    let Some(Geometry::MultiPolygon(mp)) = &surfaces[0].geometry else {
        panic!("{:?}", surfaces[0].geometry)
    };
    assert_eq!(mp.0.len(), 2);
    let ring = &mp.0[0].exterior().0;
    assert!(mp.0[0].exterior().is_closed());
    let arc_end = ring
        .iter()
        .position(|p| *p == c(500800.0, 2300000.0))
        .unwrap();
    assert_on_circle(&ring[..=arc_end], (500750.0, 2300000.0), 50.0);
    assert_eq!(
        mp.0[1].exterior().0.len(),
        4,
        "the linear polygon as stored"
    );

    // Z runs along the arc from 10 through 20 to 30.
    let info = gpkg.layer("arcs_z").unwrap();
    assert!(info.schema.has_z);
    let blob: Vec<u8> = gpkg
        .connection()
        .query_row("SELECT geom FROM arcs_z", [], |r| r.get(0))
        .unwrap();
    let decoded = tramgis::gpkg::geom::decode(&blob).unwrap();
    let z = &decoded.zm.z;
    assert_eq!(z.len(), lines(&decoded.geometry)[0].0.len());
    assert_eq!((z[0], *z.last().unwrap()), (10.0, 30.0));
    assert!(z.windows(2).all(|w| w[1] >= w[0]));

    // The declared types stay as stored, and the layers are read-only.
    for (layer, t) in [
        ("arcs", GeometryType::CircularString),
        ("compound", GeometryType::CompoundCurve),
        ("curvepolygons", GeometryType::CurvePolygon),
        ("multicurves", GeometryType::MultiCurve),
        ("multisurfaces", GeometryType::MultiSurface),
    ] {
        let info = gpkg.layer(layer).unwrap();
        assert_eq!(info.schema.geometry_type, t);
        assert_eq!(info.read_only, Some(ReadOnlyReason::Curves), "{layer}");
    }
}

#[test]
fn curve_layers_are_not_rewritten_and_refuse_edits() {
    let dir = tempfile::tempdir().unwrap();
    let path = gdal_file(dir.path());
    let before: Vec<u8> = {
        let g = GeoPackage::open_read_only(&path).unwrap();
        g.connection()
            .query_row("SELECT geom FROM arcs WHERE fid = 1", [], |r| r.get(0))
            .unwrap()
    };
    // A writable open adopts the file: index and journal, no rewriting.
    let mut gpkg = GeoPackage::open(&path).unwrap();
    let feature = gpkg.get_feature("arcs", 1).unwrap().unwrap();
    let err = gpkg.update_feature("arcs", &feature).unwrap_err();
    assert!(
        matches!(&err, GpkgError::ReadOnlyLayer { layer, reason: ReadOnlyReason::Curves, .. } if layer == "arcs"),
        "{err}"
    );
    assert_eq!(err.to_string().matches("arcs").count(), 1, "{err}");
    let after: Vec<u8> = gpkg
        .connection()
        .query_row("SELECT geom FROM arcs WHERE fid = 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(before, after);
    // The spatial index answers with the arc's own extent (y up to 50 m
    // above the chord between its ends).
    let hits = gpkg
        .count_features(
            "arcs",
            Some(geo_types::Rect::new(
                (500040.0, 2300045.0),
                (500060.0, 2300055.0),
            )),
        )
        .unwrap();
    assert_eq!(hits, 1);
}

#[test]
fn views_and_keyless_tables_open_read_only_and_one_bad_layer_hides_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = foreign_file(dir.path());
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let contents = gpkg.contents().unwrap();
    let names: Vec<&str> = contents.layers.iter().map(|l| l.name.as_str()).collect();
    for expected in [
        "points",
        "arcs",
        "compound",
        "curvepolygons",
        "multicurves",
        "multisurfaces",
        "arcs_z",
        "points_view",
        "unkeyed_view",
        "keyless",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let bad: Vec<&str> = contents
        .unreadable
        .iter()
        .map(|u| u.name.as_str())
        .collect();
    assert_eq!(bad, vec!["broken", "ghost"]);
    for u in &contents.unreadable {
        let text = u.error.to_string();
        assert_eq!(text.matches(&format!("'{}'", u.name)).count(), 1, "{text}");
    }
    assert!(contents.unreadable[0].error.to_string().contains("BLOBBY"));
    assert_eq!(gpkg.layers().unwrap().len(), names.len());

    let view = gpkg.layer("points_view").unwrap();
    assert_eq!(view.read_only, Some(ReadOnlyReason::View));
    assert_eq!(view.ids, FeatureIds::ViewColumn);
    let fids: Vec<i64> = gpkg
        .all_features("points_view")
        .unwrap()
        .iter()
        .map(|f| f.fid.unwrap())
        .collect();
    assert_eq!(fids, vec![1, 2]);
    let second = gpkg.get_feature("points_view", 2).unwrap().unwrap();
    assert_eq!(second.values, vec![FieldValue::Text("points 1".into())]);

    let unkeyed = gpkg.layer("unkeyed_view").unwrap();
    assert_eq!(unkeyed.ids, FeatureIds::RowNumber);
    let rows = gpkg.all_features("unkeyed_view").unwrap();
    assert_eq!(
        rows.iter().map(|f| f.fid.unwrap()).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(
        gpkg.get_feature("unkeyed_view", 2)
            .unwrap()
            .unwrap()
            .geometry,
        Some(common::point_feature(500200.0, 2300100.0))
    );

    let keyless = gpkg.layer("keyless").unwrap();
    assert_eq!(keyless.read_only, Some(ReadOnlyReason::NoPrimaryKey));
    assert_eq!(keyless.ids, FeatureIds::RowId);
    assert_eq!(gpkg.count_features("keyless", None).unwrap(), 2);
    assert_eq!(
        gpkg.fids_where("keyless", Some("name = 'points 1'"), None)
            .unwrap(),
        vec![2]
    );
    assert_eq!(
        gpkg.compute_extent(&keyless).unwrap(),
        Some(geo_types::Rect::new(
            (500000.0, 2300000.0),
            (500200.0, 2300100.0)
        ))
    );

    // A writable open skips the index and journal where they cannot be,
    // and refuses edits of the read-only layers by name.
    drop(gpkg);
    let mut gpkg = GeoPackage::open(&path).unwrap();
    // The one damaged geometry keeps its layer out of the index, not the file.
    assert_eq!(gpkg.warnings().len(), 1, "{:?}", gpkg.warnings());
    assert!(
        gpkg.warnings()[0].contains("'damaged'"),
        "{:?}",
        gpkg.warnings()
    );
    assert!(gpkg.layer("arcs").unwrap().has_rtree);
    let point = Feature::new(
        Some(common::point_feature(1.0, 2.0)),
        vec![FieldValue::Text("new".into())],
    );
    for layer in ["points_view", "keyless"] {
        let err = gpkg.insert_feature(layer, &point).unwrap_err();
        assert!(
            matches!(err, GpkgError::ReadOnlyLayer { .. }),
            "{layer}: {err}"
        );
    }
    gpkg.insert_feature("points", &point).unwrap();
    assert_eq!(gpkg.count_features("points_view", None).unwrap(), 3);
}

#[test]
fn attribute_tables_are_listed_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = gdal_file(dir.path());
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let tables = gpkg.tables().unwrap();
    assert_eq!(tables.len(), 1);
    let owners = &tables[0];
    assert_eq!(owners.name, "owners");
    assert!(owners.is_attributes());
    assert!(gpkg.layers().unwrap().iter().all(|l| l.name != "owners"));
    let fids = gpkg
        .fids_where("owners", None, Some(("owner", false)))
        .unwrap();
    assert_eq!(fids, vec![2, 1]);
    let rows = gpkg.attributes_of("owners", &fids).unwrap();
    assert_eq!(
        rows[0].values,
        vec![FieldValue::Text("Trần Thị Bình".into())]
    );
    assert_eq!(rows[0].geometry, None);
}

#[test]
fn info_lists_every_layer_with_its_count_type_and_extent() {
    let dir = tempfile::tempdir().unwrap();
    let path = foreign_file(dir.path());
    let (ok, out, err) = common::tramgis(&["info", path.to_str().unwrap()]);
    // Every readable layer is listed, then info fails naming the file.
    assert!(!ok, "{err}");
    assert!(
        err.contains(&format!("{}: 3 layers cannot be read", path.display())),
        "{err}"
    );
    let line = |name: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no line for {name} in\n{out}"))
            .to_string()
    };
    for (layer, kind, count) in [
        ("points", "POINT", 2),
        ("arcs", "CIRCULARSTRING", 2),
        ("compound", "COMPOUNDCURVE", 1),
        ("curvepolygons", "CURVEPOLYGON", 1),
        ("multicurves", "MULTICURVE", 1),
        ("multisurfaces", "MULTISURFACE", 1),
        ("points_view", "POINT", 2),
        ("unkeyed_view", "POINT", 2),
        ("keyless", "POINT", 2),
        ("owners", "ATTRIBUTES", 2),
    ] {
        let l = line(layer);
        let words: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(words[1], kind, "{l}");
        assert!(words.contains(&count.to_string().as_str()), "{l}");
    }
    assert!(line("arcs_z").contains("CIRCULARSTRING Z"), "{out}");
    assert!(line("points").contains("EPSG:9214"), "{out}");
    // The views' extents are not stored: computed.
    assert!(
        line("points_view").contains("500000.0 2300000.0 500200.0 2300100.0"),
        "{out}"
    );
    assert!(line("keyless").contains("read-only"), "{out}");
    for bad in ["'broken'", "'ghost'", "'damaged'"] {
        assert_eq!(err.matches(bad).count(), 1, "{err}");
    }
}

#[test]
fn info_says_when_a_file_has_no_layers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.gpkg");
    let script = dir.path().join("empty.py");
    std::fs::write(
        &script,
        "import sys\nfrom osgeo import ogr\nogr.GetDriverByName('GPKG').CreateDataSource(sys.argv[1])\n",
    )
    .unwrap();
    common::run_ok(
        "/usr/bin/python3",
        &[script.to_str().unwrap(), path.to_str().unwrap()],
        "",
    );
    let (ok, out, err) = common::tramgis(&["info", path.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(
        out.trim(),
        format!("{}: no layers (an empty GeoPackage)", path.display())
    );
}

#[test]
fn application_id_zero_opens_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = gdal_file(dir.path());
    common::run_ok(
        "sqlite3",
        &[path.to_str().unwrap(), "PRAGMA application_id = 0;"],
        "",
    );
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    assert_eq!(gpkg.warnings().len(), 1);
    assert!(gpkg.warnings()[0].contains("application_id is 0"));
    assert_eq!(gpkg.count_features("points", None).unwrap(), 2);
    drop(gpkg);
    let (ok, out, err) = common::tramgis(&["info", path.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(err.matches("application_id is 0").count(), 1, "{err}");
    assert!(out.contains("points"));
    // Another program's application_id is still refused.
    common::run_ok(
        "sqlite3",
        &[
            path.to_str().unwrap(),
            "PRAGMA application_id = 1297105496;",
        ],
        "",
    );
    assert!(matches!(
        GeoPackage::open_read_only(&path),
        Err(GpkgError::NotGeoPackage { .. })
    ));
}

#[test]
fn render_draws_the_readable_layers_and_names_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let path = foreign_file(dir.path());
    let png = dir.path().join("out.png");
    let (ok, _, err) = common::tramgis(&[
        "render",
        path.to_str().unwrap(),
        "--size",
        "200x100",
        "--msaa",
        "1",
        "--out",
        png.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    for bad in ["'broken'", "'ghost'", "'damaged'"] {
        assert_eq!(err.matches(bad).count(), 1, "{err}");
    }
    let image = image::open(&png).unwrap().to_rgba8();
    let background = *image.get_pixel(0, 0);
    let drawn = image.pixels().filter(|p| **p != background).count();
    assert!(drawn > 100, "{drawn} pixels drawn");
}

/// A LEFT JOIN view with NULL and text ids, an attribute view that fails
/// when read, a listing row whose name is not UTF-8 and one whose data
/// type is not text: each is named, or read without an id, and nothing
/// else is hidden.
const ODD_ROWS: &str = "
CREATE TABLE extra (fid INTEGER PRIMARY KEY, owner TEXT);
INSERT INTO extra VALUES (1, 'An');
CREATE VIEW joined AS
  SELECT e.fid AS fid, p.geom AS geom, p.name AS name
  FROM points p LEFT JOIN extra e ON e.fid = p.fid
  UNION ALL SELECT 'seven', geom, name FROM points WHERE fid = 1;
CREATE VIEW failing AS SELECT fid, owner FROM owners
  WHERE abs(-9223372036854775807 - 1) > 0;
INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES
  ('joined', 'features', 'joined', 9214),
  ('failing', 'attributes', 'failing', 0),
  (CAST(X'6261645F6E616D65FF' AS TEXT), 'features', 'x', 9214),
  ('numbered', X'6665617475726573', 'numbered', 9214);
INSERT INTO gpkg_geometry_columns VALUES ('joined', 'geom', 'POINT', 9214, 0, 0);
";

#[test]
fn one_odd_row_or_id_hides_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let path = gdal_file(dir.path());
    common::run_ok("sqlite3", &[path.to_str().unwrap()], ODD_ROWS);
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let contents = gpkg.contents().unwrap();
    let mut unreadable: Vec<String> = contents
        .unreadable
        .iter()
        .map(|u| u.error.to_string())
        .collect();
    unreadable.sort();
    assert_eq!(unreadable.len(), 2, "{unreadable:?}");
    assert!(
        unreadable[0].contains(
            "layer 'bad_name\u{FFFD}': its table_name in gpkg_contents is not valid UTF-8"
        ),
        "{unreadable:?}"
    );
    assert!(
        unreadable[1]
            .contains("layer 'numbered': its data_type in gpkg_contents is NULL or not text"),
        "{unreadable:?}"
    );
    assert!(contents.layers.iter().any(|l| l.name == "points"));
    // Three rows: two of them without an integer id.
    let features = gpkg.all_features("joined").unwrap();
    let mut fids: Vec<Option<i64>> = features.iter().map(|f| f.fid).collect();
    fids.sort();
    assert_eq!(fids, vec![None, None, Some(1)]);
    assert!(features.iter().all(|f| f.geometry.is_some()));
    assert_eq!(gpkg.fids_where("joined", None, None).unwrap(), vec![1]);
    drop(gpkg);
    let (ok, out, err) = common::tramgis(&["info", path.to_str().unwrap()]);
    assert!(!ok, "{err}");
    assert!(out.lines().any(|l| l.starts_with("joined ")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("owners ")), "{out}");
    assert!(!out.contains("failing"), "{out}");
    assert_eq!(err.matches("'failing'").count(), 1, "{err}");
    assert!(
        err.contains(&format!("{}: 3 layers cannot be read", path.display())),
        "{err}"
    );
}

/// A GEOMETRY column holding a point and an arc, the arc's blob with an
/// XYZM envelope (the longest header, 72 bytes).
const MIXED: &str = r#"
import sqlite3, struct, sys
from osgeo import ogr, osr
ogr.UseExceptions()
ds = ogr.GetDriverByName('GPKG').CreateDataSource(sys.argv[1])
srs = osr.SpatialReference()
srs.ImportFromEPSG(9214)
lyr = ds.CreateLayer('mixed', srs, ogr.wkbUnknown)
for w in ['POINT (500000 2300000)', 'CIRCULARSTRING (0 0,1 1,2 0)']:
    f = ogr.Feature(lyr.GetLayerDefn())
    f.SetGeometry(ogr.CreateGeometryFromWkt(w))
    lyr.CreateFeature(f)
ds = None
pts = [(0, 0, 1, 5), (1, 1, 2, 6), (2, 0, 3, 7)]
blob = b'GP' + bytes([0, (4 << 1) | 1]) + struct.pack('<i', 9214)
blob += struct.pack('<8d', 0, 2, 0, 1, 1, 3, 5, 7)
blob += struct.pack('<BII', 1, 3008, 3) + b''.join(struct.pack('<4d', *p) for p in pts)
db = sqlite3.connect(sys.argv[1])
# GDAL's R-tree triggers call these; the arc's envelope is stated above.
for name, value in [('ST_IsEmpty', 0), ('ST_MinX', 0), ('ST_MaxX', 2), ('ST_MinY', 0), ('ST_MaxY', 1)]:
    db.create_function(name, 1, lambda g, v=value: v)
db.execute('UPDATE mixed SET geom = ? WHERE fid = 2', (blob,))
db.commit()
"#;

#[test]
fn a_curve_in_a_geometry_column_refuses_edits_and_a_point_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.gpkg");
    let script = dir.path().join("mixed.py");
    std::fs::write(&script, MIXED).unwrap();
    common::run_ok(
        "/usr/bin/python3",
        &[script.to_str().unwrap(), path.to_str().unwrap()],
        "",
    );
    let mut gpkg = GeoPackage::open(&path).unwrap();
    let stored = |gpkg: &GeoPackage| -> Vec<u8> {
        gpkg.connection()
            .query_row("SELECT geom FROM mixed WHERE fid = 2", [], |r| r.get(0))
            .unwrap()
    };
    let before = stored(&gpkg);
    let arc = gpkg.get_feature("mixed", 2).unwrap().unwrap();
    assert_eq!(arc.zm.m.len(), arc.zm.z.len());
    let err = gpkg.update_feature("mixed", &arc).unwrap_err();
    assert!(
        err.to_string()
            .contains("layer 'mixed': feature 2 is stored as a curve"),
        "{err}"
    );
    assert_eq!(stored(&gpkg), before);
    let mut point = gpkg.get_feature("mixed", 1).unwrap().unwrap();
    point.geometry = Some(Geometry::Point(geo_types::Point::new(500001.0, 2300001.0)));
    gpkg.update_feature("mixed", &point).unwrap();
    let back = gpkg.get_feature("mixed", 1).unwrap().unwrap();
    assert_eq!(back.geometry, point.geometry);
}

/// ogr2ogr keeps a WKT ring as written, not closed; exporting it must
/// close it with the first vertex's Z, not panic.
#[test]
fn an_unclosed_polygon_z_from_ogr2ogr_exports_closed_with_its_z() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("uz.csv");
    std::fs::write(
        &csv,
        "WKT,name\n\"POLYGON Z ((0 0 1,10 0 2,10 10 3,0 10 4))\",open\n",
    )
    .unwrap();
    let gpkg = dir.path().join("uz.gpkg");
    common::run_ok(
        "ogr2ogr",
        &[
            "-f",
            "GPKG",
            gpkg.to_str().unwrap(),
            csv.to_str().unwrap(),
            "-nln",
            "uz",
            "-oo",
            "GEOM_POSSIBLE_NAMES=WKT",
            "-oo",
            "KEEP_GEOM_COLUMNS=NO",
            "-nlt",
            "POLYGONZ",
        ],
        "",
    );
    let shp = dir.path().join("x.shp");
    let (ok, _, err) = common::tramgis(&[
        "export",
        gpkg.to_str().unwrap(),
        "--layer",
        "uz",
        "--out",
        shp.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let read = "import sys\nfrom osgeo import ogr\nds = ogr.Open(sys.argv[1])\n\
                f = ds.GetLayer(0).GetNextFeature()\n\
                print(f.GetGeometryRef().ExportToIsoWkt())\n";
    let (ok, out, err) = common::tool("/usr/bin/python3", &["-c", read, shp.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(
        out.trim(),
        "POLYGON Z ((0 0 1,0 10 4,10 10 3,10 0 2,0 0 1))"
    );
}

#[cfg(feature = "gui")]
mod window {
    use egui_kittest::kittest::Queryable;

    #[test]
    fn the_window_lists_attribute_tables_and_loads_the_layers_it_can() {
        window_loads_what_it_can(super::common::ui::harness);
    }

    /// The same through the wgpu renderer's loading path.
    #[test]
    fn the_gpu_map_loads_the_layers_it_can() {
        window_loads_what_it_can(super::common::ui::gpu_harness);
    }

    fn window_loads_what_it_can(
        make: fn(std::path::PathBuf) -> egui_kittest::Harness<'static, super::common::ui::State>,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = super::foreign_file(dir.path());
        let mut h = make(path);
        let app = &h.state().0;
        let loaded: Vec<String> = app
            .scene()
            .expect("layers loaded")
            .layers
            .iter()
            .map(|l| l.info.name.clone())
            .collect();
        for layer in ["points", "arcs", "multisurfaces", "points_view", "keyless"] {
            assert!(
                loaded.iter().any(|l| l == layer),
                "{layer} not in {loaded:?}"
            );
        }
        assert!(!loaded.iter().any(|l| l == "damaged"), "{loaded:?}");
        let message = app.message().expect("the unreadable layers are reported");
        for bad in ["'broken'", "'ghost'", "'damaged'"] {
            assert_eq!(message.matches(bad).count(), 1, "{message}");
        }
        h.get_by_label("Bảng thuộc tính (không có hình)");
        h.get_by_label("owners (2 dòng)").click();
        h.run_steps(2);
        let app = &mut h.state_mut().0;
        assert_eq!(app.tables.len(), 1);
        let table = &mut app.tables[0];
        assert_eq!(table.layer.name, "owners");
        table.finish_query();
        assert_eq!(table.row_fids(), &[1, 2]);
    }
}
