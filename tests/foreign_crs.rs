//! Layers whose CRS is not what their srs_id looks like, layers without a
//! CRS, data far from the province, and CRSs without an EPSG code: each
//! is read in its real CRS, drawn the right way round, or warned about.
//! Fixtures come from ogr2ogr, GDAL's Python bindings and hand-written
//! MapInfo files; expected coordinates from gdaltransform.

mod common;

use std::path::{Path, PathBuf};

use geo_types::{Coord, Geometry};
use tramgis::crs::{Crs, Transformer};
use tramgis::gpkg::GeoPackage;
use tramgis::io::ImportOptions;
use tramgis::jobs::Progress;
use tramgis::render::View;

use common::{new_layer, python, tool, tramgis, transform};

/// A named square: west and south edge, side length (in the file's units).
type Square = (&'static str, f64, f64, f64);

fn squares_geojson(path: &Path, squares: &[Square]) {
    let features: Vec<String> = squares
        .iter()
        .map(|(name, x, y, s)| {
            format!(
                r#"{{"type":"Feature","properties":{{"name":"{name}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x},{y}],[{x1},{y}],[{x1},{y1}],[{x},{y1}],[{x},{y}]]]}}}}"#,
                x1 = x + s,
                y1 = y + s
            )
        })
        .collect();
    std::fs::write(
        path,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        ),
    )
    .unwrap();
}

/// ogr2ogr `args` (panics with GDAL's message when it fails).
fn ogr2ogr(args: &[&str]) {
    let (ok, _, err) = tool("ogr2ogr", args);
    assert!(ok, "ogr2ogr {args:?}: {err}");
}

/// A layer `name` of `squares` in `gpkg` (created or added to), made by
/// ogr2ogr from GeoJSON: `srs` assigns the coordinates' CRS, `t_srs`
/// reprojects them (from WGS 84) instead.
fn layer_of_squares(
    dir: &Path,
    gpkg: &Path,
    name: &str,
    squares: &[Square],
    srs: &[&str],
) -> PathBuf {
    let json = dir.join(format!("{name}.geojson"));
    squares_geojson(&json, squares);
    // No R-tree: its triggers call SpatiaLite functions that the fixture's
    // renumbering (Python's sqlite3) does not have.
    let mut args = vec!["-f", "GPKG", "-lco", "SPATIAL_INDEX=NO"];
    if gpkg.exists() {
        args.push("-update");
    }
    let (g, j) = (gpkg.to_str().unwrap(), json.to_str().unwrap());
    args.extend([g, j, "-nln", name]);
    args.extend(srs);
    ogr2ogr(&args);
    gpkg.to_path_buf()
}

/// Gives `table` the srs_id `new` everywhere a GeoPackage records it (the
/// gpkg_spatial_ref_sys row when `organization` is given, gpkg_contents,
/// gpkg_geometry_columns and each geometry's header), as another program
/// that numbers its CRSs its own way would have written it.
fn renumber_srs(gpkg: &Path, table: &str, new: i32, organization: Option<&str>) {
    let script = r#"
import sqlite3, struct, sys
path, table, new, org = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
c = sqlite3.connect(path)
c.execute("PRAGMA foreign_keys = OFF")
(old,) = c.execute("SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = ?", (table,)).fetchone()
if org:
    c.execute("UPDATE gpkg_spatial_ref_sys SET srs_id = ?, organization = ?, organization_coordsys_id = ? WHERE srs_id = ?", (new, org, new, old))
c.execute("UPDATE gpkg_contents SET srs_id = ? WHERE table_name = ?", (new, table))
c.execute("UPDATE gpkg_geometry_columns SET srs_id = ? WHERE table_name = ?", (new, table))
rows = c.execute('SELECT fid, geom FROM "%s"' % table).fetchall()
for fid, g in rows:
    order = "<" if g[3] & 1 else ">"
    g = g[:4] + struct.pack(order + "i", new) + g[8:]
    c.execute('UPDATE "%s" SET geom = ? WHERE fid = ?' % table, (g, fid))
c.commit()
"#;
    let new = new.to_string();
    let gpkg = gpkg.to_str().unwrap();
    python(script, &[gpkg, table, &new, organization.unwrap_or("")]);
}

/// gdaltransform's result for one point, x = easting/longitude.
fn gdaltransform(s_srs: &str, t_srs: &str, p: Coord<f64>) -> Coord<f64> {
    let v = transform(
        "gdaltransform",
        &["-s_srs", s_srs, "-t_srs", t_srs, "-output_xy"],
        &format!("{:.6} {:.6}", p.x, p.y),
    );
    Coord { x: v[0], y: v[1] }
}

fn first_point(gpkg: &GeoPackage, layer: &str) -> Coord<f64> {
    let g = gpkg
        .get_feature(layer, 1)
        .unwrap()
        .unwrap()
        .geometry
        .unwrap();
    match g {
        Geometry::Point(p) => p.0,
        Geometry::Polygon(p) => p.exterior().0[0],
        Geometry::MultiPolygon(m) => m.0[0].exterior().0[0],
        other => panic!("unexpected geometry {other:?}"),
    }
}

/// Runs `tramgis render` on a workspace over `bbox`; returns the image and
/// what the command printed (stdout, stderr).
fn render(ws: &Path, bbox: [f64; 4], size: (u32, u32)) -> (image::RgbaImage, View, String, String) {
    let out = ws.with_extension("png");
    let bbox_arg = format!("{},{},{},{}", bbox[0], bbox[1], bbox[2], bbox[3]);
    let size_arg = format!("{}x{}", size.0, size.1);
    let (ok, stdout, stderr) = tramgis(&[
        "render",
        ws.to_str().unwrap(),
        "--bbox",
        &bbox_arg,
        "--size",
        &size_arg,
        "--msaa",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "render failed: {stderr}");
    let image = image::open(&out).unwrap().to_rgba8();
    let fitted = geo_types::Rect::new((bbox[0], bbox[1]), (bbox[2], bbox[3]));
    (image, View::fit(fitted, size.0, size.1), stdout, stderr)
}

fn painted(image: &image::RgbaImage, view: &View, p: Coord<f64>) -> bool {
    let px = view.to_pixel([p.x, p.y]);
    let c = image
        .get_pixel(px[0].floor() as u32, px[1].floor() as u32)
        .0;
    c != [255, 255, 255, 255]
}

/// The centre of a square, taken into `crs` from WGS 84.
fn centre_in(crs: i32, (_, x, y, s): Square) -> Coord<f64> {
    Transformer::new(4326, crs)
        .unwrap()
        .transform(Coord {
            x: x + s / 2.0,
            y: y + s / 2.0,
        })
        .unwrap()
}

/// Each square is painted where it lies, and the places where it would
/// be if the map were upside down or mirrored are not.
fn assert_right_way_round(
    image: &image::RgbaImage,
    view: &View,
    crs: i32,
    squares: &[Square],
    bbox: [f64; 4],
) {
    for sq in squares {
        let c = centre_in(crs, *sq);
        assert!(painted(image, view, c), "{} is not drawn at {c:?}", sq.0);
        let upside_down = Coord {
            x: c.x,
            y: bbox[1] + bbox[3] - c.y,
        };
        let mirrored = Coord {
            x: bbox[0] + bbox[2] - c.x,
            y: c.y,
        };
        assert!(
            !painted(image, view, upside_down) && !painted(image, view, mirrored),
            "{} also shows upside down or mirrored",
            sq.0
        );
    }
}

#[test]
fn an_srs_id_that_is_not_an_epsg_code_is_read_by_its_definition() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("bng.gpkg");
    // A square in London, stored in British National Grid under srs_id
    // 4327 (EPSG's 4327 is WGS 84 geographic 3D) with organization NONE.
    layer_of_squares(
        dir.path(),
        &ws,
        "london",
        &[("london", -0.13, 51.50, 0.01)],
        &["-t_srs", "EPSG:27700"],
    );
    renumber_srs(&ws, "london", 4327, Some("NONE"));
    let gpkg = GeoPackage::open_read_only(&ws).unwrap();
    let info = gpkg.layer("london").unwrap();
    assert_eq!(info.schema.srs_id, 4327);
    assert!(
        matches!(info.crs, Crs::Definition { .. }),
        "read as {:?}",
        info.crs
    );
    assert_eq!(info.crs.epsg(), Some(27700), "{}", info.crs.label());
    assert!(!info.crs.label().contains("4327"), "{}", info.crs.label());
    let stored = first_point(&gpkg, "london");
    let ours = Transformer::between(&info.crs, &Crs::Epsg(4326))
        .unwrap()
        .transform(stored)
        .unwrap();
    let gdal = gdaltransform("EPSG:27700", "EPSG:4326", stored);
    assert!(
        (ours.x - gdal.x).abs() < 1e-7 && (ours.y - gdal.y).abs() < 1e-7,
        "{ours:?} vs gdaltransform {gdal:?}"
    );
    assert!((ours.x + 0.13).abs() < 1e-6 && (ours.y - 51.50).abs() < 1e-6);
}

#[test]
fn layers_without_a_crs_are_drawn_in_their_own_units_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("mixed.gpkg");
    let zone = ["-a_srs", "EPSG:9214"];
    layer_of_squares(
        dir.path(),
        &ws,
        "parcels",
        &[("p", 416_000.0, 2_356_000.0, 400.0)],
        &zone,
    );
    layer_of_squares(
        dir.path(),
        &ws,
        "sketch",
        &[("s", 417_000.0, 2_356_000.0, 400.0)],
        &zone,
    );
    layer_of_squares(
        dir.path(),
        &ws,
        "survey",
        &[("v", 418_000.0, 2_356_000.0, 400.0)],
        &zone,
    );
    renumber_srs(&ws, "sketch", -1, None);
    renumber_srs(&ws, "survey", 0, None);
    let gpkg = GeoPackage::open_read_only(&ws).unwrap();
    assert_eq!(gpkg.layer("parcels").unwrap().crs, Crs::Epsg(9214));
    assert_eq!(
        gpkg.layer("sketch").unwrap().crs,
        Crs::Undefined { geographic: false }
    );
    assert_eq!(
        gpkg.layer("survey").unwrap().crs,
        Crs::Undefined { geographic: true }
    );
    let bbox = [415_800.0, 2_355_800.0, 418_600.0, 2_356_600.0];
    let (image, view, stdout, stderr) = render(&ws, bbox, (280, 80));
    for x in [416_200.0, 417_200.0, 418_200.0] {
        let c = Coord { x, y: 2_356_200.0 };
        assert!(painted(&image, &view, c), "nothing drawn at {c:?}");
    }
    let gap = Coord {
        x: 416_700.0,
        y: 2_356_200.0,
    };
    assert!(!painted(&image, &view, gap));
    assert!(stdout.contains("EPSG:9214"), "{stdout}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 2, "{stderr}");
    assert!(
        warnings[0].contains("'sketch'") && warnings[0].contains("undefined Cartesian CRS"),
        "{stderr}"
    );
    assert!(
        warnings[1].contains("'survey'") && warnings[1].contains("srs_id 0"),
        "{stderr}"
    );
}

const WORLD: [Square; 4] = [
    ("north", 10.0, 55.0, 10.0),
    ("south", 60.0, -40.0, 10.0),
    ("west", -100.0, 30.0, 10.0),
    ("east", 130.0, -10.0, 10.0),
];

fn world(dir: &Path) -> PathBuf {
    layer_of_squares(
        dir,
        &dir.join("world.gpkg"),
        "countries",
        &WORLD,
        &["-t_srs", "EPSG:3857"],
    )
}

#[test]
fn a_world_layer_in_web_mercator_renders_in_its_own_crs_the_right_way_round() {
    let dir = tempfile::tempdir().unwrap();
    let ws = world(dir.path());
    let bbox = [-13.0e6, -6.0e6, 17.0e6, 11.0e6];
    let (image, view, stdout, stderr) = render(&ws, bbox, (300, 170));
    assert!(stdout.contains("in EPSG:3857"), "{stdout}");
    assert!(!stderr.contains("warning"), "{stderr}");
    assert_right_way_round(&image, &view, 3857, &WORLD, bbox);
}

#[test]
fn united_states_data_in_nad83_is_drawn_unmirrored() {
    let dir = tempfile::tempdir().unwrap();
    let states: [Square; 4] = [
        // Away from the image's middle lines, so that flipped they land
        // where nothing is.
        ("north", -110.0, 45.0, 3.0),
        ("south", -90.0, 28.0, 3.0),
        ("west", -122.0, 33.0, 3.0),
        ("east", -78.0, 39.0, 3.0),
    ];
    let ws = layer_of_squares(
        dir.path(),
        &dir.path().join("us.gpkg"),
        "states",
        &states,
        &["-t_srs", "EPSG:4269"],
    );
    let bbox = [-125.0, 25.0, -70.0, 50.0];
    let (image, view, stdout, _) = render(&ws, bbox, (275, 125));
    assert!(stdout.contains("in EPSG:4269"), "{stdout}");
    assert_right_way_round(&image, &view, 4269, &states, bbox);
}

/// A workspace with one point layer; `at` in WGS 84.
fn import_points(ws: &Path, json: &Path, at: (f64, f64), layer: &str) -> tramgis::io::ImportReport {
    std::fs::write(
        json,
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"ten":"a"}},"geometry":{{"type":"Point","coordinates":[{},{}]}}}}]}}"#,
            at.0, at.1
        ),
    )
    .unwrap();
    let mut gpkg = GeoPackage::open(ws).unwrap();
    let options = ImportOptions::new(json, new_layer(layer));
    tramgis::io::import(&mut gpkg, &options, &Progress::default()).unwrap()
}

#[test]
fn importing_data_outside_the_target_crs_area_of_use_warns() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.gpkg");
    GeoPackage::create(&ws).unwrap();
    // Bangkok is 6.5° west of the zone's central meridian, outside
    // VN-2000 / TM-3 107-00's area of use (105.88–108.24 E).
    let far = import_points(&ws, &dir.path().join("bkk.geojson"), (100.5, 13.75), "bkk");
    assert_eq!(far.imported(), 1);
    assert_eq!(far.warnings.len(), 1, "{:?}", far.warnings);
    let w = &far.warnings[0];
    assert!(
        w.contains("bkk.geojson") && w.contains("outside the area of use of EPSG:9214"),
        "{w}"
    );
    let near = import_points(&ws, &dir.path().join("bg.geojson"), (106.2, 21.3), "bg");
    assert!(near.warnings.is_empty(), "{:?}", near.warnings);
}

/// A MapInfo interchange file in a custom TM (central meridian 107°30′,
/// which no EPSG VN-2000 zone has) on VN-2000's datum given by its seven
/// parameters (datum 9999): a CoordSys line as provinces write them.
fn custom_mif(dir: &Path) -> PathBuf {
    let mif = dir.join("ranh_gioi.mif");
    std::fs::write(
        &mif,
        "Version 300\nCharset \"WindowsLatin1\"\nDelimiter \",\"\n\
         CoordSys Earth Projection 8, 9999, 28, -191.90441429, -39.30318279, -111.45032835, \
         -0.00928836, 0.01975479, -0.00427372, 0.252906278, 0, \"m\", 107.5, 0, 0.9999, 500000, 0\n\
         Columns 1\n  ten Char(20)\nData\n\nPoint 510000.25 2356000.75\nPoint 490000.5 2400000.125\n",
    )
    .unwrap();
    std::fs::write(dir.join("ranh_gioi.mid"), "\"a\"\n\"b\"\n").unwrap();
    mif
}

fn tramgis_import(args: &[&str]) -> String {
    let (ok, stdout, stderr) = tramgis(&[&["import"], args].concat());
    assert!(ok, "import {args:?}: {stderr}");
    stdout
}

#[test]
fn a_mapinfo_file_with_a_custom_coordsys_is_imported_through_its_wkt() {
    let dir = tempfile::tempdir().unwrap();
    let mif = custom_mif(dir.path());
    // GDAL's reading of the CoordSys line, as a WKT file for gdaltransform.
    let wkt_file = dir.path().join("ranh_gioi.wkt");
    python(
        "import sys\nfrom osgeo import ogr\nds = ogr.Open(sys.argv[1])\n\
         open(sys.argv[2], 'w').write(ds.GetLayer(0).GetSpatialRef().ExportToWkt())",
        &[mif.to_str().unwrap(), wkt_file.to_str().unwrap()],
    );
    let wkt = std::fs::read_to_string(&wkt_file).unwrap();

    let ws = dir.path().join("ws.gpkg");
    GeoPackage::create(&ws).unwrap();
    let (m, w) = (mif.to_str().unwrap(), ws.to_str().unwrap());
    tramgis_import(&[m, "--into", w, "--to", "kept", "--target-crs", "source"]);
    tramgis_import(&[m, "--into", w, "--to", "again", "--target-crs", "source"]);
    let report = tramgis_import(&[m, "--into", w, "--to", "zone"]);
    assert!(report.contains("imported 2 features"), "{report}");

    let gpkg = GeoPackage::open_read_only(&ws).unwrap();
    let kept = gpkg.layer("kept").unwrap();
    assert!(
        kept.schema.srs_id >= 100_000,
        "srs_id {}",
        kept.schema.srs_id
    );
    assert_eq!(
        gpkg.layer("again").unwrap().schema.srs_id,
        kept.schema.srs_id
    );
    let (organization, definition): (String, String) = gpkg
        .connection()
        .query_row(
            "SELECT organization, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [kept.schema.srs_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(organization, "NONE");
    assert_eq!(definition, wkt);
    assert!(matches!(kept.crs, Crs::Definition { .. }), "{:?}", kept.crs);
    let stored = first_point(&gpkg, "kept");
    assert!((stored.x - 510_000.25).abs() < 1e-3 && (stored.y - 2_356_000.75).abs() < 1e-3);

    // Exported, the layer keeps its definition: as a custom row of the
    // GeoPackage, as a .prj (ESRI's WKT, which has no TOWGS84) of the
    // Shapefile.
    let export = |out: &Path| {
        let (ok, _, stderr) = tramgis(&[
            "export",
            w,
            "--layer",
            "kept",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(ok, "{stderr}");
    };
    let copy = dir.path().join("kept.gpkg");
    export(&copy);
    let exported = GeoPackage::open_read_only(&copy).unwrap();
    assert_eq!(exported.layer("kept").unwrap().crs, kept.crs);
    let p = first_point(&exported, "kept");
    assert!((p.x - 510_000.25).abs() < 1e-3 && (p.y - 2_356_000.75).abs() < 1e-3);
    let shp = dir.path().join("kept.shp");
    export(&shp);
    let prj = std::fs::read_to_string(shp.with_extension("prj")).unwrap();
    assert!(prj.contains("\"Central_Meridian\",107.5"), "{prj}");

    let zone = gpkg.layer("zone").unwrap();
    assert_eq!((zone.schema.srs_id, &zone.crs), (9214, &Crs::Epsg(9214)));
    let ours = first_point(&gpkg, "zone");
    let gdal = gdaltransform(
        wkt_file.to_str().unwrap(),
        "EPSG:9214",
        Coord {
            x: 510_000.25,
            y: 2_356_000.75,
        },
    );
    assert!(
        (ours.x - gdal.x).abs() < 1e-3 && (ours.y - gdal.y).abs() < 1e-3,
        "{ours:?} vs gdaltransform {gdal:?}"
    );
}

#[cfg(feature = "gui")]
#[test]
fn the_window_opens_a_world_layer_in_its_crs_and_keeps_the_place_on_a_crs_switch() {
    let dir = tempfile::tempdir().unwrap();
    let ws = world(dir.path());
    let mut h = common::ui::harness(ws);
    let app = &h.state().0;
    assert_eq!(app.map_crs(), &Crs::Epsg(3857));
    assert_eq!(app.message(), None);
    let scene = app.scene().expect("the layer loaded");
    let layer = &scene.layers[0];
    assert_eq!(layer.count, 4);
    // Feature ids follow WORLD's order: north above south, east right of west.
    let b = |fid| layer.bbox_of(fid).unwrap();
    assert!(
        b(1).min().y > b(2).max().y,
        "north {:?} is not above south {:?}",
        b(1),
        b(2)
    );
    assert!(
        b(4).min().x > b(3).max().x,
        "east {:?} is not right of west {:?}",
        b(4),
        b(3)
    );
    let before = app.view().expect("a view of the data");

    h.state_mut().0.set_map_crs(Crs::Epsg(4326));
    h.state_mut().0.finish_loading();
    h.run_steps(2);
    let app = &h.state().0;
    assert_eq!(app.map_crs(), &Crs::Epsg(4326));
    let after = app.view().unwrap();
    let expect = Transformer::new(3857, 4326)
        .unwrap()
        .transform(Coord {
            x: before.centre[0],
            y: before.centre[1],
        })
        .unwrap();
    assert!(
        (after.centre[0] - expect.x).abs() < 1e-6 && (after.centre[1] - expect.y).abs() < 1e-6,
        "the view moved: {after:?}, expected centre {expect:?}"
    );
    let layer = &app.scene().unwrap().layers[0];
    let north = layer.bbox_of(1).unwrap();
    assert!(
        (north.min().x - 10.0).abs() < 1e-6 && (north.max().y - 65.0).abs() < 1e-6,
        "{north:?}"
    );
}
