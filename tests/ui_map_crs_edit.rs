//! Switching the map's CRS while editing: the editing thread takes the
//! tools' coordinates in the new map CRS, so a point clicked on a Web
//! Mercator map lands where PROJ puts that spot in the layer's VN-2000.
#![cfg(feature = "gui")]

mod common;

use egui_kittest::kittest::Queryable;
use geo_types::Geometry;
use tramgis::crs::Crs;
use tramgis::ui::AppCommand;

use common::ui::{
    click_map, fids, finish, geometry, harness, map_of, screen_of, snapping_off, start_editing,
    zoom_around,
};

#[test]
fn a_point_added_after_the_map_crs_changed_lands_in_the_layer_crs_where_clicked() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 100);
    let mut h = harness(path.clone());
    h.state_mut().0.finish_loading();
    start_editing(&mut h, "tram_bts");
    snapping_off(&mut h);

    h.state_mut()
        .0
        .apply(AppCommand::SetMapCrs(Crs::Epsg(3857)));
    h.run_steps(2);
    h.state_mut().0.finish_loading();
    h.state_mut().0.finish_editing();
    h.run_steps(2);
    assert_eq!(h.state().0.map_crs(), &Crs::Epsg(3857));
    // Bắc Giang town in Web Mercator metres.
    let spot = common::transform(
        "cs2cs",
        &["-f", "%.4f", "EPSG:4326", "EPSG:3857"],
        "21.2731 106.1946",
    );
    zoom_around(&mut h, [spot[0], spot[1]], 200.0);
    let before = fids(&path, "tram_bts");
    h.get_by_label("Thêm điểm").click();
    h.run_steps(2);
    let at = screen_of(&h, [spot[0], spot[1]]);
    let clicked = map_of(&h, at);
    click_map(&mut h, at);
    finish(&mut h);

    let after = fids(&path, "tram_bts");
    let new = *after
        .iter()
        .find(|f| !before.contains(f))
        .expect("one tower more");
    let Some(Geometry::Point(p)) = geometry(&path, "tram_bts", new) else {
        panic!("a point");
    };
    let want = common::transform(
        "cs2cs",
        &["-f", "%.6f", "EPSG:3857", "EPSG:9214"],
        &format!("{} {}", clicked[0], clicked[1]),
    );
    assert!(
        (p.x() - want[0]).abs() < 0.001 && (p.y() - want[1]).abs() < 0.001,
        "stored {p:?}, PROJ says {want:?}"
    );
}
