//! The workspace store: layers, edits in transactions, streaming reads,
//! the spatial index and the edit journal, including edits made by other
//! programs (GDAL, the sqlite3 shell) on the same file.

mod common;

use std::ops::ControlFlow;

use common::*;
use geo::Area;
use geo_types::Geometry;
use tramgis::gpkg::validate::{Severity, validate};
use tramgis::gpkg::{GeoPackage, GpkgError, LayerMeta, Query, rtree_table_name};
use tramgis::model::{Feature, Field, FieldType, FieldValue, GeometryType, LayerTheme, Schema};

fn rtree_ids(gpkg: &GeoPackage, layer: &str) -> Vec<i64> {
    let sql = format!(
        "SELECT id FROM \"{}\" ORDER BY id",
        rtree_table_name(layer, "geom")
    );
    let mut stmt = gpkg.connection().prepare(&sql).unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn fids(gpkg: &GeoPackage, layer: &str) -> Vec<i64> {
    let mut out: Vec<i64> = gpkg
        .all_features(layer)
        .unwrap()
        .iter()
        .map(|f| f.fid.unwrap())
        .collect();
    out.sort();
    out
}

fn assert_valid(path: &std::path::Path) {
    let errors: Vec<_> = validate(path)
        .unwrap()
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn typed_columns_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut gpkg = GeoPackage::create(dir.path().join("t.gpkg")).unwrap();
    let fields = vec![
        Field::new("i", FieldType::Integer),
        Field::new("r", FieldType::Real),
        Field::new("t", FieldType::Text),
        Field::new("b", FieldType::Boolean),
        Field::new("d", FieldType::Date),
        Field::new("dt", FieldType::DateTime),
        Field::new("blob", FieldType::Blob),
    ];
    let schema = Schema::new(GeometryType::Point, 4326, fields.clone());
    let meta = LayerMeta {
        theme: Some(LayerTheme::Telecom),
        title_vi: Some("Trạm BTS".into()),
        title_en: Some("BTS".into()),
        draw_order: 3,
    };
    let info = gpkg.create_layer("towers", &schema, &meta).unwrap();
    assert_eq!(info.schema.fields, fields);
    assert_eq!(info.meta, meta);
    assert!(info.has_rtree);
    let values = vec![
        FieldValue::Integer(-42),
        FieldValue::Real(36.5),
        FieldValue::Text("Trạm Bắc Giang – ấp ử ạ".into()),
        FieldValue::Boolean(true),
        FieldValue::Date("2025-07-01".into()),
        FieldValue::DateTime("2025-07-01T08:30:00.000Z".into()),
        FieldValue::Blob(vec![0, 1, 2, 255]),
    ];
    let fid = gpkg
        .insert_feature(
            "towers",
            &Feature::new(Some(point_feature(106.2, 21.3)), values.clone()),
        )
        .unwrap();
    let back = gpkg.get_feature("towers", fid).unwrap().unwrap();
    assert_eq!(back.values, values);
    assert_eq!(back.geometry, Some(point_feature(106.2, 21.3)));
    let nulls = vec![FieldValue::Null; 7];
    let fid2 = gpkg
        .insert_feature("towers", &Feature::new(None, nulls.clone()))
        .unwrap();
    let back = gpkg.get_feature("towers", fid2).unwrap().unwrap();
    assert_eq!((back.geometry, back.values), (None, nulls));
}

#[test]
fn update_delete_and_bbox_reads_follow_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, path) = lots(dir.path(), 20);
    // Squares at x = 0, 10, ..., 190: a bbox over x 12..33 meets 10, 20, 30.
    let hit = |g: &GeoPackage| {
        let mut out = vec![];
        g.read_features("lots", &Query::bbox(12.0, 1.0, 33.0, 2.0), |f| {
            out.push(f.fid.unwrap());
            ControlFlow::Continue(())
        })
        .unwrap();
        out.sort();
        out
    };
    assert_eq!(hit(&gpkg), vec![2, 3, 4]);
    let mut moved = gpkg.get_feature("lots", 2).unwrap().unwrap();
    moved.geometry = Some(Geometry::Polygon(square(500.0, 500.0)));
    gpkg.update_feature("lots", &moved).unwrap();
    gpkg.delete_feature("lots", 3).unwrap();
    assert_eq!(hit(&gpkg), vec![4]);
    assert_eq!(
        gpkg.count_features(
            "lots",
            Some(geo_types::Rect::new((499.0, 499.0), (501.0, 501.0)))
        )
        .unwrap(),
        1
    );
    assert!(matches!(
        gpkg.delete_feature("lots", 3),
        Err(GpkgError::NoSuchFeature { fid: 3, .. })
    ));
    assert_eq!(rtree_ids(&gpkg, "lots"), fids(&gpkg, "lots"));
    // The layer extent grew to take in the moved square.
    assert_eq!(gpkg.layer("lots").unwrap().extent.unwrap().max().x, 505.0);
    drop(gpkg);
    assert_valid(&path);
}

#[test]
fn a_failed_edit_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, _) = lots(dir.path(), 3);
    let before = gpkg.all_features("lots").unwrap();
    let journal_before = gpkg.changes_since(0).unwrap().len();
    let result = gpkg.edit("two deletes, one bad", |e| {
        e.delete("lots", 1)?;
        e.delete("lots", 99)
    });
    assert!(matches!(
        result,
        Err(GpkgError::NoSuchFeature { fid: 99, .. })
    ));
    assert_eq!(gpkg.all_features("lots").unwrap(), before);
    assert_eq!(gpkg.changes_since(0).unwrap().len(), journal_before);
    // A wrong geometry type is refused with the layer and column named.
    let line = Feature::new(
        Some(Geometry::LineString(vec![(0.0, 0.0), (1.0, 1.0)].into())),
        before[0].values.clone(),
    );
    let err = gpkg.insert_feature("lots", &line).unwrap_err().to_string();
    assert!(err.contains("lots") && err.contains("POLYGON"), "{err}");
}

#[test]
fn journal_records_our_edits_with_user_and_edit_id() {
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, _) = lots(dir.path(), 2);
    gpkg.set_user("can_bo_dia_chinh");
    let start = gpkg.changes_since(0).unwrap().last().unwrap().change_id;
    gpkg.edit("reclassify", |e| {
        e.set_value("lots", 1, "code", &FieldValue::Text("LUC".into()))?;
        e.delete("lots", 2)
    })
    .unwrap();
    let changes = gpkg.changes_since(start).unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!((changes[0].op.as_str(), changes[0].fid), ("update", 1));
    assert_eq!(changes[0].old_values.as_ref().unwrap()["code"], "ODT");
    assert_eq!(changes[0].new_values.as_ref().unwrap()["code"], "LUC");
    assert_eq!((changes[1].op.as_str(), changes[1].fid), ("delete", 2));
    assert!(changes[1].new_values.is_none());
    assert!(changes.iter().all(|c| c.user == "can_bo_dia_chinh"));
    assert_eq!(changes[0].edit_id, changes[1].edit_id);
    assert!(changes[0].edit_id.is_some());
    // The geometry is journaled too, as the hex of its blob.
    let geom_hex = changes[1].old_values.as_ref().unwrap()["geom"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(geom_hex.starts_with("4750"), "{geom_hex}");
}

#[test]
fn edits_by_other_programs_keep_index_and_journal_right() {
    let dir = tempfile::tempdir().unwrap();
    let (gpkg, path) = lots(dir.path(), 10);
    let start = gpkg.changes_since(0).unwrap().last().unwrap().change_id;
    drop(gpkg);
    let p = path.to_str().unwrap();
    // GDAL: move feature 1 onto feature 5's geometry, give 2 a new fid,
    // empty 3's geometry, and delete 4.
    for sql in [
        "UPDATE lots SET geom = (SELECT geom FROM lots WHERE fid = 5) WHERE fid = 1",
        "UPDATE lots SET fid = 100 WHERE fid = 2",
        "UPDATE lots SET geom = NULL WHERE fid = 3",
        "DELETE FROM lots WHERE fid = 4",
    ] {
        let (ok, _, err) = tool("ogrinfo", &[p, "-sql", sql]);
        assert!(ok && gdal_messages(&err).is_empty(), "{sql}: {err}");
    }
    // GDAL: append features from another file.
    let geojson = dir.path().join("new.geojson");
    std::fs::write(
        &geojson,
        r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::9214"}},"features":[
        {"type":"Feature","properties":{"code":"DGT","area":1.5,"built":"2024-01-02"},"geometry":{"type":"Polygon","coordinates":[[[1000,1000],[1010,1000],[1010,1010],[1000,1000]]]}}]}"#,
    )
    .unwrap();
    let (ok, _, err) = tool(
        "ogr2ogr",
        &[
            "-append",
            "-update",
            p,
            geojson.to_str().unwrap(),
            "-nln",
            "lots",
        ],
    );
    assert!(ok && gdal_messages(&err).is_empty(), "{err}");
    // The sqlite3 shell, which has no GeoPackage functions, can still delete.
    let (ok, _, err) = tool("sqlite3", &[p, "DELETE FROM lots WHERE fid = 6"]);
    assert!(ok, "{err}");

    let gpkg = GeoPackage::open(&path).unwrap();
    let with_geometry: Vec<i64> = {
        let mut v: Vec<i64> = gpkg
            .all_features("lots")
            .unwrap()
            .into_iter()
            .filter(|f| f.geometry.is_some())
            .map(|f| f.fid.unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(rtree_ids(&gpkg, "lots"), with_geometry);
    assert!(
        with_geometry.contains(&100) && !with_geometry.contains(&2) && !with_geometry.contains(&3)
    );
    let ops: Vec<(String, i64, String)> = gpkg
        .changes_since(start)
        .unwrap()
        .into_iter()
        .map(|c| (c.op, c.fid, c.user))
        .collect();
    let expected = [
        ("update", 1),
        ("update", 100),
        ("update", 3),
        ("delete", 4),
        ("insert", 101),
        ("delete", 6),
    ];
    assert_eq!(ops.len(), expected.len(), "{ops:?}");
    for ((op, fid, user), (eop, efid)) in ops.iter().zip(expected) {
        assert_eq!((op.as_str(), *fid, user.as_str()), (eop, efid, "external"));
    }
    drop(gpkg);
    assert_valid(&path);
}

#[test]
fn bulk_load_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, _) = lots(dir.path(), 2);
    {
        let mut w = gpkg.bulk_writer("lots", "import").unwrap();
        for i in 0..100 {
            w.add(square_feature(i as f64, 100.0, "LUK")).unwrap();
        }
        // Dropped without finish: a cancelled import.
    }
    assert_eq!(gpkg.count_features("lots", None).unwrap(), 2);
    let mut w = gpkg.bulk_writer("lots", "import").unwrap();
    for i in 0..100 {
        w.add(square_feature(i as f64, 100.0, "LUK")).unwrap();
    }
    assert_eq!(w.finish().unwrap(), 100);
    assert_eq!(gpkg.count_features("lots", None).unwrap(), 102);
    assert_eq!(rtree_ids(&gpkg, "lots"), fids(&gpkg, "lots"));
    // Journal triggers are back after the load.
    let start = gpkg.changes_since(0).unwrap().last().unwrap().change_id;
    gpkg.delete_feature("lots", 50).unwrap();
    assert_eq!(gpkg.changes_since(start).unwrap().len(), 1);
}

#[test]
fn styles_are_stored_where_qgis_looks() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample(dir.path(), 300);
    let gpkg = GeoPackage::open(&path).unwrap();
    let style = gpkg.default_style("thua_dat").unwrap().unwrap();
    assert!(style.use_as_default);
    assert!(
        style
            .qml
            .contains(r#"type="categorizedSymbol" attr="ma_loai_dat""#)
    );
    assert!(style.qml.contains(r#"value="LUC""#) && style.qml.contains("255,252,140,255"));
    let (geom_col, catalog): (String, String) = gpkg
        .connection()
        .query_row("SELECT f_geometry_column, f_table_catalog FROM layer_styles WHERE f_table_name = 'thua_dat'", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((geom_col.as_str(), catalog.as_str()), ("geom", ""));
}

#[test]
fn sample_is_deterministic_and_valid() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (pa, pb) = (sample(a.path(), 2000), sample(b.path(), 2000));
    let (ga, gb) = (
        GeoPackage::open(&pa).unwrap(),
        GeoPackage::open(&pb).unwrap(),
    );
    let layers = ga.layers().unwrap();
    assert_eq!(layers.len(), 10);
    for layer in &layers {
        assert_eq!(
            ga.all_features(&layer.name).unwrap(),
            gb.all_features(&layer.name).unwrap(),
            "{}",
            layer.name
        );
    }
    // The count asked for, or the least the blocks need (one parcel per
    // block at least), which a sample of one parcel holds.
    let least_dir = tempfile::tempdir().unwrap();
    let least = GeoPackage::open(sample(least_dir.path(), 1))
        .unwrap()
        .count_features("thua_dat", None)
        .unwrap();
    assert_eq!(
        ga.count_features("thua_dat", None).unwrap(),
        2000.max(least)
    );
    // Each parcel's area field is the area of its geometry (to the 0.1 m²
    // it is rounded to), and no parcel is empty.
    ga.read_features("thua_dat", &Query::default(), |f| {
        let stored = f.values[1].as_f64().unwrap();
        let area = f.geometry.as_ref().unwrap().unsigned_area();
        assert!(
            area > 0.0 && (stored - area).abs() <= 0.05 + 1e-9 * area,
            "parcel {:?}: dien_tich {stored}, geometry {area} m²",
            f.fid
        );
        ControlFlow::Continue(())
    })
    .unwrap();
    // Everything lies inside the province's extent, in EPSG:9214. The
    // province outline winds around the nominal box (by ~120 m of 56 km
    // today): half a percent of its size is allowed outside it.
    let [x0, y0, x1, y1] = tramgis::sample::projected_extent().unwrap();
    let (mx, my) = ((x1 - x0) * 0.005, (y1 - y0) * 0.005);
    let [minx, miny, maxx, maxy] = [x0 - mx, y0 - my, x1 + mx, y1 + my];
    for layer in &layers {
        let e = layer.extent.unwrap();
        assert_eq!(layer.schema.srs_id, 9214);
        assert!(
            e.min().x >= minx && e.max().x <= maxx && e.min().y >= miny && e.max().y <= maxy,
            "{}: {e:?} outside {:?}",
            layer.name,
            [minx, miny, maxx, maxy]
        );
    }
    drop(ga);
    assert_valid(&pa);
}

#[test]
fn save_as_writes_a_complete_copy_that_validates() {
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, _) = lots(dir.path(), 5);
    gpkg.delete_feature("lots", 2).unwrap();
    let copy = dir.path().join("copy.gpkg");
    gpkg.save_as(&copy).unwrap();
    assert!(matches!(
        gpkg.save_as(&copy),
        Err(GpkgError::AlreadyExists { .. })
    ));
    let back = GeoPackage::open(&copy).unwrap();
    assert_eq!(
        back.all_features("lots").unwrap(),
        gpkg.all_features("lots").unwrap()
    );
    assert_eq!(
        back.changes_since(0).unwrap().len(),
        gpkg.changes_since(0).unwrap().len()
    );
    drop(back);
    assert_valid(&copy);
}

/// Layer descriptions are kept between reads, but never past a change: an
/// edit through this handle, a commit by another program, a new column.
#[test]
fn a_kept_layer_description_follows_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, path) = lots(dir.path(), 2);
    let before = gpkg.layer("lots").unwrap();
    assert_eq!(
        gpkg.layer("lots").unwrap(),
        before,
        "kept while nothing changed"
    );

    gpkg.insert_feature("lots", &square_feature(1000.0, 1000.0, "LUC"))
        .unwrap();
    let grown = gpkg.layer("lots").unwrap().extent.unwrap();
    assert!(
        grown.max().x >= 1005.0,
        "our edit's extent is seen: {grown:?}"
    );

    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute(
            "UPDATE gpkg_contents SET identifier = 'Thửa đất' WHERE table_name = 'lots'",
            [],
        )
        .unwrap();
    assert_eq!(gpkg.layer("lots").unwrap().identifier, "Thửa đất");

    other
        .execute_batch("ALTER TABLE lots ADD COLUMN ghi_chu TEXT")
        .unwrap();
    let fields = gpkg.layer("lots").unwrap().schema.fields;
    assert!(fields.iter().any(|f| f.name == "ghi_chu"), "{fields:?}");
}
