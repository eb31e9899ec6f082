//! Typed coordinates in the right CRS: a parcel layer GDAL wrote in another
//! VN-2000 zone (EPSG:9209, TM-3 105-30) than the map's (EPSG:9214); the
//! X/Y a surveyor types and the distances of distance/bearing entry are in
//! the layer's zone, and the file holds exactly those numbers.
#![cfg(feature = "gui")]

mod common;

use egui_kittest::kittest::Queryable;
use geo::{Area, Centroid};
use geo_types::Geometry;

use common::ui::*;

const LAYER: &str = "thua_9209";

#[test]
fn xy_and_distances_typed_for_a_layer_in_another_vn2000_zone_are_that_zones() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let p = path.to_str().unwrap();
    let (ok, _, err) = common::tool(
        "ogr2ogr",
        &[
            "-update",
            "-t_srs",
            "EPSG:9209",
            "-nln",
            LAYER,
            "-nomd",
            "-lco",
            "IDENTIFIER=thua_9209",
            "-limit",
            "30",
            p,
            p,
            "thua_dat",
        ],
    );
    assert!(ok, "ogr2ogr: {err}");
    let (fid, parcel) = {
        let f = reader(&path).all_features(LAYER).unwrap().remove(10);
        (f.fid.unwrap(), f.geometry.unwrap())
    };
    let mut h = harness(path.clone());
    h.state_mut().0.set_label_field(LAYER, None);
    h.state_mut().0.set_label_field("thua_dat", None);
    h.state_mut().0.finish_loading();
    assert_eq!(
        h.state().0.map_crs().epsg(),
        Some(9214),
        "the province's map CRS"
    );
    h.state_mut().0.zoom_to_feature(LAYER, fid);
    h.run_steps(2);
    start_editing(&mut h, LAYER);
    open_section(&mut h, "Nhập số");
    // The panel says which CRS the numbers are in.
    assert!(
        h.query_by_label_contains("X/Y và khoảng cách theo: EPSG:9209")
            .is_some()
    );
    assert_eq!(
        h.get_all_by_role(egui::accesskit::Role::TextInput).count(),
        3,
        "X Y, distance, bearing"
    );
    h.get_by_label("Thêm vùng").click();
    h.run_steps(2);
    // Corners in the layer's zone, around the parcel GDAL reprojected.
    let Geometry::Polygon(parcel) = parcel else {
        panic!("a polygon")
    };
    let c = parcel.centroid().unwrap();
    let (e, n) = (c.x().round() + 0.25, c.y().round() + 0.5);
    // X (northing) first, as surveyors write it.
    type_in_field(&mut h, 0, &format!("{} {}", n - 10.0, e - 10.0));
    press(&mut h, "Thêm đỉnh X, Y");
    type_in_field(&mut h, 0, &format!("{} {}", n - 10.0, e + 10.0));
    press(&mut h, "Thêm đỉnh X, Y");
    // 20 m due grid north of the zone, then 20 m due west.
    type_in_field(&mut h, 1, "20");
    type_in_field(&mut h, 2, "0");
    press(&mut h, "Thêm đỉnh theo khoảng cách, phương vị");
    type_in_field(&mut h, 2, "270");
    press(&mut h, "Thêm đỉnh theo khoảng cách, phương vị");
    let before = fids(&path, LAYER);
    h.key_press(egui::Key::Enter);
    finish(&mut h);

    let new = new_fid(&path, LAYER, &before);
    let Some(Geometry::Polygon(got)) = geometry(&path, LAYER, new) else {
        panic!("a polygon")
    };
    let want = [
        (e - 10.0, n - 10.0),
        (e + 10.0, n - 10.0),
        (e + 10.0, n + 10.0),
        (e - 10.0, n + 10.0),
    ];
    let ring = &got.exterior().0;
    assert_eq!(ring.len(), 5, "{ring:?}");
    for (x, y) in want {
        assert!(
            ring.iter()
                .any(|c| (c.x - x).abs() < 0.001 && (c.y - y).abs() < 0.001),
            "({x}, {y}) typed in EPSG:9209 is in the file: {ring:?}"
        );
    }
    assert!(
        (got.unsigned_area() - 400.0).abs() < 0.01,
        "{}",
        got.unsigned_area()
    );
    // GDAL reads the same numbers.
    let text = ogrinfo_feature(&path, LAYER, new);
    let numbers = wkt_numbers(&text[text.find("POLYGON").expect("ogrinfo shows it")..]);
    assert!((numbers[0] - ring[0].x).abs() < 1e-6 && (numbers[1] - ring[0].y).abs() < 1e-6);
    assert_eq!(last_edit(&path).0, format!("Thêm vùng vào {LAYER}"));
}
