//! What a push would send: the journal's net changes on a real workspace,
//! edited through the store's edit API and by GDAL (ogrinfo -sql), whose
//! writes the journal's triggers record too.

mod common;

use tramgis::gpkg::GeoPackage;
use tramgis::model::FieldValue;
use tramgis::sync::{NetChange, pending_changes};

#[test]
fn net_changes_fold_the_journal_per_feature_and_include_gdal_edits() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 300);
    let mut gpkg = GeoPackage::open(&path).unwrap();
    // Whatever the sample's own writes left in the journal counts as synced.
    let (_, since) = pending_changes(&gpkg, 0).unwrap();
    let height = |gpkg: &GeoPackage, fid: i64| {
        let info = gpkg.layer("tram_bts").unwrap();
        let i = info.schema.field_index("chieu_cao").unwrap();
        gpkg.get_feature("tram_bts", fid).unwrap().unwrap().values[i].clone()
    };
    let original_4 = height(&gpkg, 4);

    let template = gpkg.get_feature("tram_bts", 1).unwrap().unwrap();
    let (a, b) = gpkg
        .edit("Thêm hai trạm", |e| {
            let mut f = template.clone();
            f.fid = None;
            Ok((e.insert("tram_bts", &f)?, e.insert("tram_bts", &f)?))
        })
        .unwrap();
    gpkg.edit("Sửa trạm mới, xoá trạm kia", |e| {
        e.set_value("tram_bts", a, "chieu_cao", &FieldValue::Real(61.0))?;
        e.delete("tram_bts", b)
    })
    .unwrap();
    gpkg.edit("Sửa chiều cao trạm 2", |e| {
        e.set_value("tram_bts", 2, "chieu_cao", &FieldValue::Real(99.0))
    })
    .unwrap();
    let original_3 = height(&gpkg, 3);
    gpkg.edit("Sửa rồi trả lại trạm 3", |e| {
        e.set_value("tram_bts", 3, "chieu_cao", &FieldValue::Real(12.0))?;
        e.set_value("tram_bts", 3, "chieu_cao", &original_3)
    })
    .unwrap();
    gpkg.edit("Sửa rồi xoá trạm 4", |e| {
        e.set_value("tram_bts", 4, "chieu_cao", &FieldValue::Real(5.0))?;
        e.delete("tram_bts", 4)
    })
    .unwrap();
    drop(gpkg);
    let (ok, _, err) = common::tool(
        "ogrinfo",
        &[
            "-q",
            "-sql",
            "UPDATE tram_bts SET loai_cot = 'Cột do GDAL sửa' WHERE fid = 5",
            path.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");

    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let (net, newest) = pending_changes(&gpkg, since).unwrap();
    assert!(newest > since);
    assert_eq!(net.len(), 1, "only tram_bts changed: {net:?}");
    let towers = &net["tram_bts"];
    let fids: Vec<i64> = towers.iter().map(NetChange::fid).collect();
    assert_eq!(fids, vec![2, 4, 5, a], "{towers:?}");
    match &towers[0] {
        NetChange::Replace { fields, base, .. } => {
            assert_eq!(fields, &vec!["chieu_cao".to_string()]);
            assert!(base.is_some());
        }
        other => panic!("fid 2: {other:?}"),
    }
    match &towers[1] {
        NetChange::Delete {
            base: Some(base), ..
        } => {
            let FieldValue::Real(h) = original_4 else {
                panic!("chieu_cao is real: {original_4:?}");
            };
            assert_eq!(base["chieu_cao"].as_f64(), Some(h), "{base}");
        }
        other => panic!("fid 4: {other:?}"),
    }
    match &towers[2] {
        NetChange::Replace { fields, .. } => assert_eq!(fields, &vec!["loai_cot".to_string()]),
        other => panic!("fid 5: {other:?}"),
    }
    assert_eq!(towers[3], NetChange::Create { fid: a });
    // Nothing more to send once these are acknowledged.
    let (after, _) = pending_changes(&gpkg, newest).unwrap();
    assert!(after.is_empty(), "{after:?}");
}
