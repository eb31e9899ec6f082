//! The Identify panel's History section: a parcel edited in the
//! workspace, identified on the map, shows the edit's description and the
//! field's old and new value once the section is opened.
#![cfg(feature = "gui")]

mod common;

use egui_kittest::kittest::Queryable;
use geo::InteriorPoint;
use tramgis::gpkg::GeoPackage;
use tramgis::model::FieldValue;
use tramgis::ui::Tool;

use common::ui::{click_map, harness_at, open_section, screen_of};

#[test]
fn identify_shows_an_edited_parcels_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 300);
    let mut gpkg = GeoPackage::open(&path).unwrap();
    let parcel = gpkg
        .all_features("thua_dat")
        .unwrap()
        .into_iter()
        .find(|f| f.values[0].to_string() == "LUC")
        .unwrap();
    let fid = parcel.fid.unwrap();
    let inside = parcel.geometry.unwrap().interior_point().unwrap();
    gpkg.set_user("nguyen_van_a");
    gpkg.edit("Chuyển đất lúa sang đất ở", |e| {
        e.set_value(
            "thua_dat",
            fid,
            "ma_loai_dat",
            &FieldValue::Text("ONT".into()),
        )
    })
    .unwrap();
    let history = gpkg.feature_history("thua_dat", fid).unwrap();
    assert_eq!(history.len(), 1, "the sample's load is not per feature");
    drop(gpkg);

    let mut h = harness_at(&path, "thua_dat", fid);
    h.state_mut().0.set_tool(Tool::Identify);
    h.run_steps(2);
    let at = screen_of(&h, [inside.x(), inside.y()]);
    click_map(&mut h, at);
    // Identify (and the history with it) is read in a job.
    h.state_mut().0.finish_jobs();
    h.run_steps(2);
    let found = h.state().0.identified();
    let item = found
        .iter()
        .find(|i| i.layer == "thua_dat" && i.fid == fid)
        .expect("the parcel is identified");
    assert_eq!(
        item.history, history,
        "the panel holds the library's history"
    );

    let description = "Chuyển đất lúa sang đất ở";
    let change = "ma_loai_dat: LUC » ONT";
    assert!(
        h.query_by_label(description).is_none(),
        "the section starts closed"
    );
    open_section(&mut h, "Lịch sử (1)");
    h.get_by_label(description);
    h.get_by_label(change);
    h.get_by_label_contains("nguyen_van_a · sửa");
}
