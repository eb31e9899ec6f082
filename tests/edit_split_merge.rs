//! The operations through the edit API on the sample workspace: split and
//! merge with field policies, move/rotate/delete, copy between layers
//! (reprojected), paste WKT and GeoJSON. Each is checked in the file (and
//! with ogrinfo), in the journal, and by undo (exact, every column) and redo.

mod common;

use std::path::Path;

use geo::{Area, BoundingRect, Centroid};
use geo_types::{Coord, Geometry, LineString};
use rusqlite::types::Value;
use tramgis::edit::EditSession;
use tramgis::edit::ops::{delete, merge, paste, split, transform};
use tramgis::edit::policy::{self, FieldPolicy, Operation};
use tramgis::gpkg::{GeoPackage, LayerMeta};
use tramgis::model::{Field, FieldType, FieldValue, GeometryType, Schema};

fn snapshot(path: &Path, table: &str) -> Vec<Vec<Value>> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))
        .unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn query<T: rusqlite::types::FromSql>(path: &Path, sql: &str) -> T {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

fn value(session: &EditSession, layer: &str, fid: i64, field: &str) -> FieldValue {
    let info = session.gpkg().layer(layer).unwrap();
    let i = info.schema.field_index(field).unwrap();
    session
        .gpkg()
        .get_feature(layer, fid)
        .unwrap()
        .unwrap()
        .values[i]
        .clone()
}

fn area(session: &EditSession, layer: &str, fid: i64) -> f64 {
    session
        .gpkg()
        .get_feature(layer, fid)
        .unwrap()
        .unwrap()
        .geometry
        .unwrap()
        .unsigned_area()
}

fn real(v: FieldValue) -> f64 {
    match v {
        FieldValue::Real(x) => x,
        other => panic!("not a real: {other:?}"),
    }
}

/// A line through the feature's centroid, north-south, past its box.
fn cut_through(session: &EditSession, layer: &str, fid: i64) -> LineString<f64> {
    let g = session
        .gpkg()
        .get_feature(layer, fid)
        .unwrap()
        .unwrap()
        .geometry
        .unwrap();
    let c = g.centroid().unwrap();
    let b = g.bounding_rect().unwrap();
    LineString::from(vec![(c.x(), b.min().y - 5.0), (c.x(), b.max().y + 5.0)])
}

fn ogr_count(path: &Path, layer: &str) -> usize {
    let (ok, out, err) = common::tool("ogrinfo", &["-so", path.to_str().unwrap(), layer]);
    assert!(ok, "{err}");
    out.lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn split_then_merge_gives_back_the_area_with_policies_applied_and_undoes_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 40);
    let mut session = EditSession::open(&path, "Lê Văn C").unwrap();
    session.start_editing("thua_dat").unwrap();
    // so_to is emptied by a split and summed by a merge (stored policies).
    let info = session.gpkg().layer("thua_dat").unwrap();
    let conn = session.gpkg().connection();
    policy::set(
        conn,
        &path,
        &info,
        "so_to",
        Operation::Split,
        FieldPolicy::Empty,
    )
    .unwrap();
    policy::set(
        conn,
        &path,
        &info,
        "nam",
        Operation::Merge,
        FieldPolicy::Sum,
    )
    .unwrap();
    assert!(
        policy::set(
            conn,
            &path,
            &info,
            "ma_loai_dat",
            Operation::Merge,
            FieldPolicy::Sum
        )
        .unwrap_err()
        .to_string()
        .contains("ma_loai_dat")
    );
    assert_eq!(
        query::<i64>(
            &path,
            "SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'tramgis_field_policies'"
        ),
        1
    );

    let original = snapshot(&path, "thua_dat");
    let count = ogr_count(&path, "thua_dat");
    let fid = session.gpkg().fids_where("thua_dat", None, None).unwrap()[3];
    let whole = area(&session, "thua_dat", fid);
    let so_thua = value(&session, "thua_dat", fid, "so_thua").to_string();
    let ma = value(&session, "thua_dat", fid, "ma_loai_dat");
    let nam = value(&session, "thua_dat", fid, "nam");

    let cut = cut_through(&session, "thua_dat", fid);
    let applied = split::split(&mut session, "thua_dat", &[fid], &cut).unwrap();
    assert_eq!(applied.description, format!("Tách thửa {so_thua} thành 2"));
    let changes = applied.layer("thua_dat").unwrap();
    assert_eq!(changes.updated, vec![fid]);
    assert_eq!(changes.inserted.len(), 1);
    let other = changes.inserted[0];
    let parts = [fid, other];
    let sum: f64 = parts.iter().map(|&f| area(&session, "thua_dat", f)).sum();
    assert!((sum - whole).abs() < 0.01, "{sum} vs {whole}");
    for &f in &parts {
        // dien_tich recomputed from the part's geometry (QGIS #29683).
        let a = area(&session, "thua_dat", f);
        assert!((real(value(&session, "thua_dat", f, "dien_tich")) - a).abs() < 1e-6);
        assert!(a < whole * 0.95);
        assert_eq!(value(&session, "thua_dat", f, "ma_loai_dat"), ma);
        assert_eq!(value(&session, "thua_dat", f, "so_to"), FieldValue::Null);
    }
    assert_eq!(ogr_count(&path, "thua_dat"), count + 1);
    assert_eq!(
        query::<String>(
            &path,
            &format!(
                "SELECT group_concat(op, ',') FROM (SELECT op FROM tramgis_changes WHERE edit_id = {} ORDER BY op)",
                applied.edit_id
            )
        ),
        "insert,update"
    );
    assert_eq!(
        query::<String>(
            &path,
            &format!(
                "SELECT user FROM tramgis_edits WHERE edit_id = {}",
                applied.edit_id
            )
        ),
        "Lê Văn C"
    );
    let after_split = snapshot(&path, "thua_dat");

    let merged = merge::merge(&mut session, "thua_dat", &parts).unwrap();
    assert_eq!(merged.description, "Gộp 2 thửa");
    let kept = merged.layer("thua_dat").unwrap().updated[0];
    assert_eq!(merged.layer("thua_dat").unwrap().deleted.len(), 1);
    let back = area(&session, "thua_dat", kept);
    assert!((back - whole).abs() < 0.01, "{back} vs {whole}");
    assert!((real(value(&session, "thua_dat", kept, "dien_tich")) - back).abs() < 1e-6);
    assert_eq!(value(&session, "thua_dat", kept, "ma_loai_dat"), ma);
    if let FieldValue::Integer(n) = nam {
        assert_eq!(
            value(&session, "thua_dat", kept, "nam"),
            FieldValue::Integer(2 * n)
        );
    }
    assert_eq!(ogr_count(&path, "thua_dat"), count);
    let after_merge = snapshot(&path, "thua_dat");

    session.undo().unwrap().unwrap();
    assert_eq!(snapshot(&path, "thua_dat"), after_split, "undo of merge");
    session.undo().unwrap().unwrap();
    assert_eq!(snapshot(&path, "thua_dat"), original, "undo of split");
    session.redo().unwrap().unwrap();
    assert_eq!(snapshot(&path, "thua_dat"), after_split, "redo of split");
    session.redo().unwrap().unwrap();
    let redone = snapshot(&path, "thua_dat");
    assert_eq!(redone.len(), after_merge.len(), "redo of merge: row count");
    for (a, b) in redone.iter().zip(&after_merge) {
        let differ: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
        assert!(
            differ.is_empty(),
            "redo of merge: fid {:?} differs in columns {differ:?}: {:?} vs {:?}",
            a[0],
            differ.iter().map(|&i| &a[i]).collect::<Vec<_>>(),
            differ.iter().map(|&i| &b[i]).collect::<Vec<_>>()
        );
    }
    drop(session);
    let (ok, _, err) = common::tool(
        "ogrinfo",
        &["-al", "-q", path.to_str().unwrap(), "thua_dat"],
    );
    assert!(ok, "{err}");
}

#[test]
fn a_disjoint_merge_into_a_polygon_column_is_refused_and_lines_split() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 40);
    let mut session = EditSession::open(&path, "A").unwrap();
    session.start_editing("thua_dat").unwrap();
    session.start_editing("duong_giao_thong").unwrap();
    let fids = session.gpkg().fids_where("thua_dat", None, None).unwrap();
    // The first and the last parcel of the sample are far apart.
    let apart = [fids[0], *fids.last().unwrap()];
    let before = snapshot(&path, "thua_dat");
    let err = merge::merge(&mut session, "thua_dat", &apart)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("do not touch") && err.contains("thua_dat"),
        "{err}"
    );
    assert!(err.contains("POLYGON"), "{err}");
    assert_eq!(snapshot(&path, "thua_dat"), before);

    let road = session
        .gpkg()
        .fids_where("duong_giao_thong", None, None)
        .unwrap()[0];
    let g = session
        .gpkg()
        .get_feature("duong_giao_thong", road)
        .unwrap()
        .unwrap()
        .geometry
        .unwrap();
    let Geometry::LineString(line) = &g else {
        panic!("{g:?}")
    };
    let mid = line.0[0];
    let next = line.0[1];
    let m = Coord {
        x: (mid.x + next.x) / 2.0,
        y: (mid.y + next.y) / 2.0,
    };
    // Perpendicular to the first segment, through its middle.
    let (dx, dy) = (next.x - mid.x, next.y - mid.y);
    let cut = LineString::from(vec![(m.x - dy, m.y + dx), (m.x + dy, m.y - dx)]);
    let before = snapshot(&path, "duong_giao_thong");
    let applied = split::split(&mut session, "duong_giao_thong", &[road], &cut).unwrap();
    assert!(
        applied.description.starts_with("Tách đối tượng"),
        "{}",
        applied.description
    );
    let new = applied.layer("duong_giao_thong").unwrap().inserted[0];
    let len = |f: i64| {
        use geo::{Euclidean, Length};
        match session
            .gpkg()
            .get_feature("duong_giao_thong", f)
            .unwrap()
            .unwrap()
            .geometry
            .unwrap()
        {
            Geometry::LineString(l) => Euclidean.length(&l),
            g => panic!("{g:?}"),
        }
    };
    let total = {
        use geo::{Euclidean, Length};
        Euclidean.length(line)
    };
    assert!((len(road) + len(new) - total).abs() < 1e-6);
    session.undo().unwrap().unwrap();
    assert_eq!(snapshot(&path, "duong_giao_thong"), before);
}

#[test]
fn move_rotate_delete_and_undo_them_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 30);
    let mut session = EditSession::open(&path, "A").unwrap();
    session.start_editing("tram_bts").unwrap();
    session.start_editing("thua_dat").unwrap();
    let towers = session.gpkg().fids_where("tram_bts", None, None).unwrap()[..2].to_vec();
    let before = snapshot(&path, "tram_bts");
    let p0 = session
        .gpkg()
        .get_feature("tram_bts", towers[0])
        .unwrap()
        .unwrap()
        .geometry
        .unwrap();
    let applied = transform::move_features(&mut session, "tram_bts", &towers, 12.5, -3.0).unwrap();
    assert_eq!(applied.description, "Di chuyển 2 đối tượng");
    let p1 = session
        .gpkg()
        .get_feature("tram_bts", towers[0])
        .unwrap()
        .unwrap()
        .geometry
        .unwrap();
    match (p0, p1) {
        (Geometry::Point(a), Geometry::Point(b)) => {
            assert!((b.x() - a.x() - 12.5).abs() < 1e-9 && (b.y() - a.y() + 3.0).abs() < 1e-9)
        }
        other => panic!("{other:?}"),
    }
    // The R-tree follows: the moved tower is found at its new place.
    let moved = session
        .gpkg()
        .get_feature("tram_bts", towers[0])
        .unwrap()
        .unwrap();
    let Some(Geometry::Point(p)) = moved.geometry else {
        panic!()
    };
    let found = session
        .gpkg()
        .count_features(
            "tram_bts",
            Some(geo_types::Rect::new(
                (p.x() - 0.1, p.y() - 0.1),
                (p.x() + 0.1, p.y() + 0.1),
            )),
        )
        .unwrap();
    assert!(found >= 1);
    session.undo().unwrap().unwrap();
    assert_eq!(snapshot(&path, "tram_bts"), before);

    let parcels = session.gpkg().fids_where("thua_dat", None, None).unwrap()[..1].to_vec();
    let before = snapshot(&path, "thua_dat");
    let a0 = area(&session, "thua_dat", parcels[0]);
    transform::rotate_features(&mut session, "thua_dat", &parcels, 30.0, None).unwrap();
    assert!((area(&session, "thua_dat", parcels[0]) - a0).abs() < 1e-6);
    assert_ne!(snapshot(&path, "thua_dat"), before);
    session.undo().unwrap().unwrap();
    assert_eq!(snapshot(&path, "thua_dat"), before);

    let applied = delete::delete_features(&mut session, "thua_dat", &parcels).unwrap();
    assert_eq!(applied.layer("thua_dat").unwrap().deleted, parcels);
    assert!(
        session
            .gpkg()
            .get_feature("thua_dat", parcels[0])
            .unwrap()
            .is_none()
    );
    session.undo().unwrap().unwrap();
    assert_eq!(snapshot(&path, "thua_dat"), before);
    session.redo().unwrap().unwrap();
    assert!(
        session
            .gpkg()
            .get_feature("thua_dat", parcels[0])
            .unwrap()
            .is_none()
    );
}

#[test]
fn copy_between_layers_reprojects_and_pasted_text_becomes_features() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 20);
    {
        let mut gpkg = GeoPackage::open(&path).unwrap();
        let schema = Schema::new(
            GeometryType::MultiPolygon,
            4326,
            vec![
                Field::new("ma_loai_dat", FieldType::Text),
                Field::new("so_thua", FieldType::Integer),
                Field::new("ghi_chu", FieldType::Text),
            ],
        );
        gpkg.create_layer("ban_sao", &schema, &LayerMeta::default())
            .unwrap();
    }
    let mut session = EditSession::open(&path, "A").unwrap();
    session.start_editing("ban_sao").unwrap();
    session.start_editing("thua_dat").unwrap();
    session.start_editing("tram_bts").unwrap();
    let fid = session.gpkg().fids_where("thua_dat", None, None).unwrap()[0];
    let source = session
        .gpkg()
        .get_feature("thua_dat", fid)
        .unwrap()
        .unwrap();
    let applied = paste::copy_features(&mut session, "thua_dat", &[fid], "ban_sao").unwrap();
    let new = applied.layer("ban_sao").unwrap().inserted[0];
    let copy = session.gpkg().get_feature("ban_sao", new).unwrap().unwrap();
    let Some(Geometry::Polygon(src)) = &source.geometry else {
        panic!()
    };
    let Some(Geometry::MultiPolygon(dst)) = &copy.geometry else {
        panic!("{:?}", copy.geometry)
    };
    let c = src.exterior().0[0];
    // PROJ's own command line tool (EPSG:4326 is latitude, longitude).
    let expected = common::transform(
        "cs2cs",
        &["-f", "%.10f", "EPSG:9214", "EPSG:4326"],
        &format!("{} {}", c.x, c.y),
    );
    let d = dst.0[0].exterior().0[0];
    assert!(
        (d.y - expected[0]).abs() < 1e-8 && (d.x - expected[1]).abs() < 1e-8,
        "{d:?} vs {expected:?}"
    );
    assert_eq!(
        copy.values[0],
        value(&session, "thua_dat", fid, "ma_loai_dat")
    );
    assert_eq!(copy.values[1], value(&session, "thua_dat", fid, "so_thua"));
    assert_eq!(copy.values[2], FieldValue::Null);

    // WKT in the layer's CRS.
    let wkt = format!(
        "POLYGON(({x} {y},{x1} {y},{x1} {y1},{x} {y1},{x} {y}))",
        x = c.x,
        y = c.y,
        x1 = c.x + 20.0,
        y1 = c.y + 10.0
    );
    let applied = paste::paste_text(&mut session, "thua_dat", &wkt, None).unwrap();
    let new = applied.layer("thua_dat").unwrap().inserted[0];
    assert!((area(&session, "thua_dat", new) - 200.0).abs() < 1e-6);

    // GeoJSON in WGS 84, with properties filling fields of the same name.
    let json = format!(
        r#"{{"type":"Feature","properties":{{"ma_tram":"BG-TEST-1","chieu_cao":"42.5"}},
            "geometry":{{"type":"Point","coordinates":[{lon},{lat}]}}}}"#,
        lon = expected[1],
        lat = expected[0]
    );
    let applied = paste::paste_text(&mut session, "tram_bts", &json, None).unwrap();
    let new = applied.layer("tram_bts").unwrap().inserted[0];
    let Some(Geometry::Point(p)) = session
        .gpkg()
        .get_feature("tram_bts", new)
        .unwrap()
        .unwrap()
        .geometry
    else {
        panic!()
    };
    // cs2cs's way there and ours back agree to well under a centimetre.
    assert!(
        (p.x() - c.x).abs() < 0.01 && (p.y() - c.y).abs() < 0.01,
        "{p:?} vs {c:?}"
    );
    assert_eq!(
        value(&session, "tram_bts", new, "ma_tram"),
        FieldValue::Text("BG-TEST-1".into())
    );
    assert_eq!(
        value(&session, "tram_bts", new, "chieu_cao"),
        FieldValue::Real(42.5)
    );
    let err =
        paste::paste_text(&mut session, "tram_bts", "LINESTRING(0 0, 1 1)", None).unwrap_err();
    assert!(err.to_string().contains("tram_bts"), "{err}");
    let err = paste::paste_text(&mut session, "tram_bts", "not a geometry", None).unwrap_err();
    assert!(err.to_string().contains("WKT"), "{err}");
    drop(session);
    let (ok, out, err) = common::tool(
        "ogrinfo",
        &["-al", "-q", path.to_str().unwrap(), "tram_bts"],
    );
    assert!(ok, "{err}");
    assert!(out.contains("BG-TEST-1"));
}
