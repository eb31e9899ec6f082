//! An edit redraws the labels of the features it touched, and only those:
//! the map layer's label sources are patched from the features the editing
//! thread read back (in map coordinates), never by reading the layer again.
#![cfg(feature = "gui")]

mod common;

use std::cell::RefCell;
use std::path::Path;

use tramgis::gpkg::GeoPackage;
use tramgis::jobs::Progress;
use tramgis::model::{Feature, FieldValue};
use tramgis::ui::edit::{Editing, Operation, Origin, Reply, Request, Write};
use tramgis::ui::map::{MapLayer, SceneRequest, load_scene};

const LAYER: &str = "thua_dat";

/// The parcels as the window loads them (painter path), labelled by so_thua.
fn load(path: &Path, crs: &tramgis::crs::Crs) -> MapLayer {
    let request = SceneRequest {
        path: path.to_path_buf(),
        map_crs: crs.clone(),
        choose_crs: None,
        labels: [(LAYER.to_string(), Some("so_thua".to_string()))].into(),
        styles: Default::default(),
        only: Some(vec![LAYER.to_string()]),
    };
    let loaded = RefCell::new(None);
    load_scene(&request, None, &Progress::default(), &|l| {
        *loaded.borrow_mut() = Some(l.layer)
    })
    .unwrap()
    .unwrap();
    loaded.into_inner().expect("the layer loads")
}

/// Sends one edit and patches the layer with what it touched, as the
/// window's redraw does.
fn edit(e: &mut Editing, layer: &mut MapLayer, request: Request) {
    e.send(request);
    for reply in e.wait() {
        let changed = match reply {
            Reply::Applied(c) | Reply::Written(_, Ok(c)) => c,
            Reply::Written(_, Err(err)) | Reply::Failed(err) => panic!("{err}"),
            _ => continue,
        };
        for r in changed.redraw.iter().filter(|r| r.layer == LAYER) {
            layer.patch(&r.removed, &r.features, false).unwrap();
        }
    }
}

fn text(layer: &MapLayer, fid: i64) -> Option<String> {
    layer.labels().of_fid(fid).map(|l| l.text.clone())
}

#[test]
fn an_edit_replaces_removes_and_adds_only_its_features_labels() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 40);
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let info = gpkg.layer(LAYER).unwrap();
    let so_thua = info.schema.field_index("so_thua").unwrap();
    let mut layer = load(&path, &info.crs);
    let before: Vec<_> = layer.labels().iter().cloned().collect();
    assert!(before.len() >= 20, "{} labels", before.len());
    let (changed, deleted) = (before[3].fid, before[7].fid);

    let mut e = Editing::new(&path, "kiểm thử".into(), info.crs.clone());
    edit(&mut e, &mut layer, Request::Start(LAYER.into()));

    // A changed parcel number: its label carries the new one, in place.
    let mut f: Feature = gpkg.get_feature(LAYER, changed).unwrap().unwrap();
    f.values[so_thua] = FieldValue::Integer(987_654);
    let write = Write::Feature {
        layer: LAYER.into(),
        feature: f,
        description: "Sửa số thửa".into(),
    };
    edit(
        &mut e,
        &mut layer,
        Request::Write(Origin::AttributeForm, write),
    );
    assert_eq!(text(&layer, changed).as_deref(), Some("987654"));
    assert_eq!(layer.labels().len(), before.len());
    assert_eq!(layer.labels().get(3).map(|l| l.fid), Some(changed));

    // A deleted parcel: its label is gone.
    let gone = gpkg.get_feature(LAYER, deleted).unwrap().unwrap();
    let delete = Operation::Delete {
        layer: LAYER.into(),
        fids: vec![deleted],
    };
    edit(&mut e, &mut layer, Request::Apply(delete));
    assert_eq!(text(&layer, deleted), None);
    assert_eq!(layer.labels().len(), before.len() - 1);

    // A parcel drawn in its place: its own label.
    let mut new = gone.clone();
    new.fid = None;
    new.values[so_thua] = FieldValue::Integer(123_456);
    let write = Write::Feature {
        layer: LAYER.into(),
        feature: new,
        description: "Thêm thửa".into(),
    };
    edit(
        &mut e,
        &mut layer,
        Request::Write(Origin::AttributeForm, write),
    );
    let added: Vec<_> = layer
        .labels()
        .iter()
        .filter(|l| !before.iter().any(|b| b.fid == l.fid))
        .collect();
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(added[0].text, "123456");
    assert_eq!(layer.labels().len(), before.len());

    // Every other feature's label is as it was loaded.
    for b in before
        .iter()
        .filter(|b| ![changed, deleted].contains(&b.fid))
    {
        assert_eq!(layer.labels().of_fid(b.fid), Some(b));
    }
    // And the same as a fresh read of the workspace gives.
    let fresh = load(&path, &info.crs);
    let now: Vec<_> = layer.labels().iter().cloned().collect();
    let mut expected: Vec<_> = fresh.labels().iter().cloned().collect();
    let mut got = now.clone();
    got.sort_by_key(|l| l.fid);
    expected.sort_by_key(|l| l.fid);
    assert_eq!(got, expected);
}
