//! The check run on stopping editing looks where the edit removed
//! polygons too: deleting a small parcel enclosed by its neighbours leaves
//! a gap, which the validation panel lists; and it checks against the
//! boundary chosen in the validation panel.
#![cfg(feature = "gui")]

mod common;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use tramgis::ui::AppCommand;

use common::ui::{State, harness};

/// VN-2000 / TM-3 107-00 metres near Bắc Giang town.
const X0: f64 = 416_000.0;
const Y0: f64 = 2_350_000.0;

/// A 3 × 3 grid of parcels written by GDAL (a foreign file): columns and
/// rows 10 m, 3 m and 10 m wide, so the centre parcel is 9 m², a gap-sized
/// hole once it is gone; plus a boundary layer covering only the grid's
/// left two columns when `boundary` is set.
fn grid(dir: &std::path::Path) -> std::path::PathBuf {
    let edges = [0.0, 10.0, 13.0, 23.0];
    let mut features = Vec::new();
    for row in 0..3 {
        for col in 0..3 {
            let (x1, x2) = (X0 + edges[col], X0 + edges[col + 1]);
            let (y1, y2) = (Y0 + edges[row], Y0 + edges[row + 1]);
            features.push(format!(
                r#"{{"type":"Feature","properties":{{"ma_thua":"{row}-{col}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x1},{y1}],[{x2},{y1}],[{x2},{y2}],[{x1},{y2}],[{x1},{y1}]]]}}}}"#
            ));
        }
    }
    let geojson = dir.join("grid.geojson");
    std::fs::write(
        &geojson,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        ),
    )
    .unwrap();
    let boundary = dir.join("boundary.geojson");
    let (bx2, by2) = (X0 + 13.0, Y0 + 23.0);
    std::fs::write(
        &boundary,
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"ten":"xã"}},"geometry":{{"type":"Polygon","coordinates":[[[{X0},{Y0}],[{bx2},{Y0}],[{bx2},{by2}],[{X0},{by2}],[{X0},{Y0}]]]}}}}]}}"#
        ),
    )
    .unwrap();
    let path = dir.join("grid.gpkg");
    for (src, layer, mode) in [
        (&geojson, "thua", "-overwrite"),
        (&boundary, "ranh_gioi", "-update"),
    ] {
        let (ok, _, err) = common::tool(
            "ogr2ogr",
            &[
                "-f",
                "GPKG",
                mode,
                "-a_srs",
                "EPSG:9214",
                "-nln",
                layer,
                path.to_str().unwrap(),
                src.to_str().unwrap(),
            ],
        );
        assert!(ok, "{err}");
    }
    path
}

fn toggle_editing(h: &mut Harness<'static, State>, layer: &str) {
    h.get_by_label(&format!("Chỉnh sửa: {layer}")).click();
    h.run_steps(2);
    h.state_mut().0.finish_editing();
    h.run_steps(3);
}

/// The fid of the parcel `ma_thua` names.
fn fid_of(path: &std::path::Path, ma_thua: &str) -> i64 {
    let (ok, out, err) = common::tool(
        "sqlite3",
        &[
            path.to_str().unwrap(),
            &format!("SELECT fid FROM thua WHERE ma_thua = '{ma_thua}'"),
        ],
    );
    assert!(ok, "{err}");
    out.trim().parse().unwrap()
}

#[test]
fn deleting_an_enclosed_parcel_is_listed_as_a_gap_on_stopping_editing() {
    let dir = tempfile::tempdir().unwrap();
    let path = grid(dir.path());
    let centre = fid_of(&path, "1-1");
    let mut h = harness(path.clone());
    h.state_mut().0.finish_loading();
    toggle_editing(&mut h, "thua");
    common::ui::delete_features(&mut h, "thua", &[centre]);
    assert_eq!(
        common::tool(
            "sqlite3",
            &[path.to_str().unwrap(), "SELECT count(*) FROM thua"]
        )
        .1
        .trim(),
        "8"
    );
    assert!(h.query_all_by_label_contains("gap").next().is_none());

    toggle_editing(&mut h, "thua");
    assert!(
        h.query_all_by_label_contains("gap").next().is_some(),
        "the validation panel lists the hole parcel {centre} left"
    );
    // Nothing was found outside: no boundary was chosen.
    assert!(
        h.query_all_by_label_contains("outside_boundary")
            .next()
            .is_none()
    );
}

#[test]
fn the_stop_check_uses_the_boundary_chosen_in_the_validation_panel() {
    let dir = tempfile::tempdir().unwrap();
    let path = grid(dir.path());
    let right = fid_of(&path, "0-2");
    let mut h = harness(path.clone());
    h.state_mut().0.finish_loading();
    // The user checks this workspace against its commune boundary.
    h.state_mut().0.apply(AppCommand::OpenValidation);
    h.run_steps(2);
    h.state_mut()
        .0
        .validation_panel_mut()
        .expect("the validation panel is open")
        .boundary = Some("ranh_gioi".into());
    toggle_editing(&mut h, "thua");
    // Any edit of a parcel of the right column, which lies outside it:
    // moving it by a millimetre.
    common::ui::delete_features(&mut h, "thua", &[right]);
    // Undo brings it back: an edit that updates (re-inserts) the parcel
    // in place, checked against the boundary on stop.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(2);
    h.state_mut().0.finish_editing();
    h.run_steps(2);
    assert_eq!(
        common::tool(
            "sqlite3",
            &[path.to_str().unwrap(), "SELECT count(*) FROM thua"]
        )
        .1
        .trim(),
        "9"
    );
    toggle_editing(&mut h, "thua");
    assert!(
        h.query_all_by_label_contains("outside_boundary")
            .next()
            .is_some(),
        "the parcel {right} outside the chosen boundary is listed"
    );
}
