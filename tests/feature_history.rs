//! A feature's history from the edit journal: its insert, an edit of two
//! fields, a move, the move's undo, GDAL's change and its delete, each one
//! entry with exactly the fields it changed; `tramgis history` prints the
//! same.

mod common;

use common::*;
use geo_types::Geometry;
use tramgis::gpkg::{
    FieldChange, GEOMETRY_FIELD, GeoPackage, GeometrySummary, HistoryEntry, HistoryOp, HistoryValue,
};
use tramgis::model::{FieldValue, GeometryType};

fn field(v: FieldValue) -> Option<HistoryValue> {
    Some(HistoryValue::Field(v))
}

/// A 5 m square's summary: 5 vertices (closed ring), centred 2.5 m in.
fn square_at(x: f64) -> Option<HistoryValue> {
    Some(HistoryValue::Geometry(Some(GeometrySummary {
        geometry_type: GeometryType::Polygon,
        vertices: 5,
        centre: Some([x + 2.5, 2.5]),
    })))
}

fn change(name: &str, old: Option<HistoryValue>, new: Option<HistoryValue>) -> FieldChange {
    FieldChange {
        name: name.into(),
        old,
        new,
    }
}

/// The whole row as an insert or delete lists it: geometry, then fields.
fn whole_row(x: f64, code: &str, area: f64) -> Vec<(String, Option<HistoryValue>)> {
    vec![
        (GEOMETRY_FIELD.into(), square_at(x)),
        ("code".into(), field(FieldValue::Text(code.into()))),
        ("area".into(), field(FieldValue::Real(area))),
        ("built".into(), field(FieldValue::Date("2024-05-01".into()))),
    ]
}

/// Edits feature `fid` of `lots` as the test's story goes; returns the
/// edit ids of the insert, the two-field edit, the move and its undo.
fn story(gpkg: &mut GeoPackage) -> (i64, [i64; 4]) {
    gpkg.set_user("an");
    let (fid, insert) = gpkg
        .edit("Thêm thửa mới", |e| {
            let fid = e.insert("lots", &square_feature(100.0, 0.0, "ODT"))?;
            Ok((fid, e.edit_id().unwrap()))
        })
        .unwrap();
    gpkg.set_user("binh");
    let fields = gpkg
        .edit("Sửa mã và diện tích", |e| {
            e.set_value("lots", fid, "code", &FieldValue::Text("LUC".into()))?;
            e.set_value("lots", fid, "area", &FieldValue::Real(30.5))?;
            Ok(e.edit_id().unwrap())
        })
        .unwrap();
    let mut moved = gpkg.get_feature("lots", fid).unwrap().unwrap();
    moved.geometry = Some(Geometry::Polygon(square(200.0, 0.0)));
    let moving = gpkg
        .edit("Di chuyển thửa", |e| {
            e.update("lots", &moved)?;
            Ok(e.edit_id().unwrap())
        })
        .unwrap();
    let undo = gpkg.undo_edit(moving).unwrap();
    (fid, [insert, fields, moving, undo])
}

#[test]
fn a_features_history_lists_each_change_with_the_fields_it_changed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, path) = lots(dir.path(), 2);
    let (fid, [insert, fields, moving, undo]) = story(&mut gpkg);
    drop(gpkg);
    let sql = format!("UPDATE lots SET code = 'x' WHERE fid = {fid}");
    let (ok, _, err) = tool("ogrinfo", &[path.to_str().unwrap(), "-sql", &sql]);
    assert!(ok && gdal_messages(&err).is_empty(), "{err}");
    let mut gpkg = GeoPackage::open(&path).unwrap();
    gpkg.set_user("an");
    let delete = gpkg
        .edit("Xoá thửa", |e| {
            e.delete("lots", fid)?;
            Ok(e.edit_id().unwrap())
        })
        .unwrap();
    assert!(gpkg.get_feature("lots", fid).unwrap().is_none());

    let history = gpkg.feature_history("lots", fid).unwrap();
    let summary: Vec<(HistoryOp, &str, Option<i64>, Option<&str>)> = history
        .iter()
        .map(|h| (h.op, h.user.as_str(), h.edit_id, h.description.as_deref()))
        .collect();
    use HistoryOp::*;
    assert_eq!(
        summary,
        vec![
            (Insert, "an", Some(insert), Some("Thêm thửa mới")),
            (Update, "binh", Some(fields), Some("Sửa mã và diện tích")),
            (Update, "binh", Some(moving), Some("Di chuyển thửa")),
            (Update, "binh", Some(undo), Some("Hoàn tác: Di chuyển thửa")),
            (Update, "external", None, None),
            (Delete, "an", Some(delete), Some("Xoá thửa")),
        ]
    );
    assert!(history.windows(2).all(|w| w[0].change_id < w[1].change_id));
    assert!(history.iter().all(|h| !h.changed_at.is_empty()));

    let inserted: Vec<FieldChange> = whole_row(100.0, "ODT", 25.0)
        .into_iter()
        .map(|(name, v)| change(&name, None, v))
        .collect();
    assert_eq!(history[0].fields, inserted, "the insert lists the new row");
    assert_eq!(
        history[1].fields,
        vec![
            change(
                "code",
                field(FieldValue::Text("ODT".into())),
                field(FieldValue::Text("LUC".into()))
            ),
            change(
                "area",
                field(FieldValue::Real(25.0)),
                field(FieldValue::Real(30.5))
            ),
        ],
        "only the two fields set"
    );
    assert_eq!(
        history[2].fields,
        vec![change(GEOMETRY_FIELD, square_at(100.0), square_at(200.0))],
        "the move changed the geometry alone, though the update wrote every column"
    );
    assert_eq!(
        history[3].fields,
        vec![change(GEOMETRY_FIELD, square_at(200.0), square_at(100.0))],
        "the undo moved it back"
    );
    assert_eq!(
        history[4].fields,
        vec![change(
            "code",
            field(FieldValue::Text("LUC".into())),
            field(FieldValue::Text("x".into()))
        )],
        "GDAL's change"
    );
    let deleted: Vec<FieldChange> = whole_row(100.0, "x", 30.5)
        .into_iter()
        .map(|(name, v)| change(&name, v, None))
        .collect();
    assert_eq!(history[5].fields, deleted, "the delete lists the old row");

    // The other features' rows are not in it; theirs are their own.
    let first = gpkg.feature_history("lots", 1).unwrap();
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].op, Insert);
    assert!(gpkg.feature_history("lots", 999).unwrap().is_empty());
    drop(gpkg);

    cli_prints(&path, fid, &history);
}

/// `tramgis history` prints one block per entry, the changed fields as
/// `field: old → new`.
fn cli_prints(path: &std::path::Path, fid: i64, history: &[HistoryEntry]) {
    let (ok, out, err) = tramgis(&[
        "history",
        path.to_str().unwrap(),
        "--layer",
        "lots",
        "--fid",
        &fid.to_string(),
    ]);
    assert!(ok, "{err}");
    let blocks: Vec<&str> = out.trim_end().split("\n\n").collect();
    assert_eq!(blocks.len(), 6, "{out}");
    let heading = |k: usize, rest: &str| {
        let rest = match history[k].edit_id {
            Some(id) => rest.replace("edit N", &format!("edit {id}")),
            None => rest.to_string(),
        };
        let first = blocks[k].lines().next().unwrap();
        assert!(
            first.starts_with(&history[k].changed_at) && first.ends_with(&rest),
            "block {k}: {first}"
        );
    };
    let lines = |k: usize| blocks[k].lines().skip(1).collect::<Vec<_>>();
    heading(0, "an  insert  (edit N: Thêm thửa mới)");
    assert_eq!(
        lines(0),
        [
            "  (geometry): — → POLYGON, 5 vertices, centre (102.50, 2.50)",
            "  code: — → ODT",
            "  area: — → 25",
            "  built: — → 2024-05-01",
        ]
    );
    heading(1, "binh  update  (edit N: Sửa mã và diện tích)");
    assert_eq!(lines(1), ["  code: ODT → LUC", "  area: 25 → 30.5"]);
    heading(2, "binh  update  (edit N: Di chuyển thửa)");
    assert_eq!(
        lines(2),
        [
            "  (geometry): POLYGON, 5 vertices, centre (102.50, 2.50) → POLYGON, 5 vertices, centre (202.50, 2.50)"
        ]
    );
    heading(3, "binh  update  (edit N: Hoàn tác: Di chuyển thửa)");
    heading(4, "external  update  (another program)");
    assert_eq!(lines(4), ["  code: LUC → x"]);
    heading(5, "an  delete  (edit N: Xoá thửa)");
    assert_eq!(lines(5)[1], "  code: x → —");

    let (ok, out, _) = tramgis(&[
        "history",
        path.to_str().unwrap(),
        "--layer",
        "lots",
        "--fid",
        "999",
    ]);
    assert!(ok && out.contains("no changes"), "{out}");
    let (ok, _, err) = tramgis(&[
        "history",
        path.to_str().unwrap(),
        "--layer",
        "nope",
        "--fid",
        "1",
    ]);
    assert!(!ok && err.contains("no layer named 'nope'"), "{err}");
}

#[test]
fn one_edit_is_one_entry_and_a_reused_fid_shows_its_delete_and_insert() {
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, _path) = lots(dir.path(), 1);
    // Inserted, then a field set, in one edit: one insert with the
    // final value.
    let fid = gpkg
        .edit("Thêm và đặt mã", |e| {
            let fid = e.insert("lots", &square_feature(50.0, 0.0, "ODT"))?;
            e.set_value("lots", fid, "code", &FieldValue::Text("CLN".into()))?;
            Ok(fid)
        })
        .unwrap();
    // Deleted and a new feature written under the same fid, in one edit:
    // the journal knows two features, so the history shows both rows.
    gpkg.edit("Vẽ lại thửa", |e| {
        e.delete("lots", fid)?;
        let mut again = square_feature(70.0, 0.0, "BHK");
        again.fid = Some(fid);
        e.insert("lots", &again)
    })
    .unwrap();
    let history = gpkg.feature_history("lots", fid).unwrap();
    let ops: Vec<(HistoryOp, Option<&str>)> = history
        .iter()
        .map(|h| (h.op, h.description.as_deref()))
        .collect();
    use HistoryOp::*;
    assert_eq!(
        ops,
        vec![
            (Insert, Some("Thêm và đặt mã")),
            (Delete, Some("Vẽ lại thửa")),
            (Insert, Some("Vẽ lại thửa")),
        ]
    );
    let code = |h: &HistoryEntry| h.fields.iter().find(|f| f.name == "code").cloned();
    assert_eq!(
        code(&history[0]),
        Some(change("code", None, field(FieldValue::Text("CLN".into()))))
    );
    assert_eq!(
        code(&history[1]),
        Some(change("code", field(FieldValue::Text("CLN".into())), None))
    );
    assert_eq!(
        code(&history[2]),
        Some(change("code", None, field(FieldValue::Text("BHK".into()))))
    );
    assert_eq!(
        history[2].fields[0],
        change(GEOMETRY_FIELD, None, square_at(70.0))
    );
}
