//! An open attribute table follows the edits the editing thread commits:
//! a deleted feature's row goes without reloading the layer.
#![cfg(feature = "gui")]

mod common;

use egui_kittest::kittest::Queryable;
use tramgis::ui::AppCommand;

use common::ui::harness;

#[test]
fn a_feature_deleted_while_its_table_is_open_leaves_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 300);
    let mut h = harness(path.clone());
    h.state_mut().0.finish_loading();
    h.get_by_label("Chỉnh sửa: thua_dat").click();
    h.run_steps(2);
    h.state_mut().0.finish_editing();
    h.state_mut()
        .0
        .apply(AppCommand::OpenTable("thua_dat".into()));
    h.run_steps(2);
    h.state_mut().0.finish_reads();
    h.run_steps(2);
    let fids = h.state().0.tables[0].row_fids().to_vec();
    // Every block of the sample is a parcel: it holds at least the 300 asked for.
    let count = tramgis::gpkg::GeoPackage::open_read_only(&path)
        .unwrap()
        .count_features("thua_dat", None)
        .unwrap() as usize;
    assert!(count >= 300);
    assert_eq!(fids.len(), count);
    let gone = fids[0];

    common::ui::delete_features(&mut h, "thua_dat", &[gone]);
    h.state_mut().0.finish_reads();
    h.run_steps(2);
    let now = h.state().0.tables[0].row_fids().to_vec();
    assert_eq!(now.len(), count - 1, "the table lists the parcels left");
    assert!(!now.contains(&gone));
}
