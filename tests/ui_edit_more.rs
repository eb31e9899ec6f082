//! The editing panel's other edits, driven headlessly with egui_kittest:
//! paste of WKT text, copy of the selection into another layer, offset of
//! a line, and avoid overlaps for a polygon drawn on the map. Each test
//! checks the GeoPackage afterwards (our reader, the journal, ogrinfo).
#![cfg(feature = "gui")]

mod common;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use geo::{Area, BooleanOps, BoundingRect, Distance, Euclidean};
use geo_types::{Geometry, Point};
use tramgis::gpkg::GeoPackage;
use tramgis::ui::AppCommand;
use tramgis::ui::map::ScreenView;

use common::ui::{
    State, assert_last_edit, edits, fids, finish, harness, last_edit, new_fid, ogrinfo_feature,
    open_more, press, reader, start_editing, type_into,
};

/// A feature's stored geometry (it has one).
fn geometry(path: &std::path::Path, layer: &str, fid: i64) -> Geometry<f64> {
    common::ui::geometry(path, layer, fid).unwrap()
}

fn tower(path: &std::path::Path) -> (i64, Point<f64>) {
    let f = GeoPackage::open_read_only(path)
        .unwrap()
        .all_features("tram_bts")
        .unwrap()
        .into_iter()
        .nth(5)
        .unwrap();
    match f.geometry {
        Some(Geometry::Point(p)) => (f.fid.unwrap(), p),
        other => panic!("a tower is a point: {other:?}"),
    }
}

#[test]
fn pasted_wkt_becomes_one_feature_in_one_edit_and_bad_text_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let (_, t) = tower(&path);
    let mut h = harness(path.clone());
    start_editing(&mut h, "tram_bts");
    open_more(&mut h);
    let (before, edits_before) = (fids(&path, "tram_bts"), edits(&path));
    let (x, y) = (t.x() + 123.25, t.y() - 45.5);
    let wkt = format!("POINT ({x} {y})");
    type_into(&mut h, egui::accesskit::Role::MultilineTextInput, &wkt);
    press(&mut h, "Dán thành đối tượng mới");
    finish(&mut h);

    let new = new_fid(&path, "tram_bts", &before);
    let Geometry::Point(p) = geometry(&path, "tram_bts", new) else {
        panic!("a point");
    };
    assert!((p.x() - x).abs() < 1e-6 && (p.y() - y).abs() < 1e-6);
    assert_eq!(edits(&path), edits_before + 1, "one edit");
    assert_last_edit(
        &path,
        "Dán 1 đối tượng vào tram_bts",
        &[("tram_bts", new, "insert")],
    );
    let gdal = ogrinfo_feature(&path, "tram_bts", new);
    assert!(gdal.contains("POINT ("), "{gdal}");

    // Unreadable text: nothing written, the notification says why.
    h.get_by_role(egui::accesskit::Role::MultilineTextInput)
        .focus();
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_steps(1);
    h.get_by_role(egui::accesskit::Role::MultilineTextInput)
        .type_text("POINT (1 2");
    h.run_steps(2);
    press(&mut h, "Dán thành đối tượng mới");
    h.state_mut().0.finish_editing();
    h.run_steps(1);
    let message = h.state().0.message().unwrap_or_else(|| {
        panic!(
            "the bad paste is reported; edits {} (was {})",
            edits(&path),
            edits_before + 1
        )
    });
    assert!(
        message.contains("pasted text") && message.contains("tram_bts"),
        "{message}"
    );
    assert_eq!(edits(&path), edits_before + 1, "nothing more written");
}

#[test]
fn a_selected_tower_is_pasted_into_the_camera_layer() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let (fid, t) = tower(&path);
    let mut h = harness(path.clone());
    start_editing(&mut h, "camera");
    h.state_mut().0.apply(AppCommand::SelectFeatures {
        layer: "tram_bts".into(),
        fids: vec![fid],
    });
    h.run_steps(2);
    open_more(&mut h);
    let before = fids(&path, "camera");
    press(&mut h, "Dán đối tượng đã chọn vào camera");
    finish(&mut h);

    let new = new_fid(&path, "camera", &before);
    let Geometry::Point(p) = geometry(&path, "camera", new) else {
        panic!("a point");
    };
    // Both layers are VN-2000 TM-3 107°45': the point is where it was.
    assert!((p.x() - t.x()).abs() < 1e-6 && (p.y() - t.y()).abs() < 1e-6);
    assert_last_edit(
        &path,
        "Dán 1 đối tượng từ tram_bts vào camera",
        &[("camera", new, "insert")],
    );
    assert!(ogrinfo_feature(&path, "camera", new).contains("POINT ("));
}

#[test]
fn a_selected_road_is_offset_by_the_typed_metres() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let road = GeoPackage::open_read_only(&path)
        .unwrap()
        .all_features("duong_giao_thong")
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    let (fid, Some(Geometry::LineString(old))) = (road.fid.unwrap(), road.geometry) else {
        panic!("a road is a line");
    };
    let mut h = harness(path.clone());
    start_editing(&mut h, "duong_giao_thong");
    h.state_mut().0.apply(AppCommand::SelectFeatures {
        layer: "duong_giao_thong".into(),
        fids: vec![fid],
    });
    h.run_steps(2);
    open_more(&mut h);
    type_into(&mut h, egui::accesskit::Role::TextInput, "5");
    press(&mut h, "Dịch song song đường đã chọn");
    finish(&mut h);

    let Geometry::LineString(new) = geometry(&path, "duong_giao_thong", fid) else {
        panic!("still a line");
    };
    assert_eq!(new.0.len(), old.0.len());
    // The ends move 5 m square to the line; the middle of each new
    // segment lies 5 m from the old line.
    let d = |c: geo_types::Coord<f64>| Euclidean.distance(&Point(c), &old);
    assert!((d(new.0[0]) - 5.0).abs() < 1e-6, "{}", d(new.0[0]));
    for w in new.0.windows(2) {
        let mid = (w[0] + w[1]) / 2.0;
        assert!(d(mid) > 5.0 - 1e-6, "{}", d(mid));
    }
    assert_last_edit(
        &path,
        &format!("Dịch song song đường {fid} 5 m"),
        &[("duong_giao_thong", fid, "update")],
    );
    assert!(ogrinfo_feature(&path, "duong_giao_thong", fid).contains("LINESTRING ("));
    // Undo puts the road back where it was.
    press(&mut h, "Hoàn tác");
    finish(&mut h);
    assert_eq!(
        geometry(&path, "duong_giao_thong", fid),
        Geometry::LineString(old)
    );
}

#[test]
fn with_avoid_overlaps_a_polygon_drawn_over_a_parcel_is_stored_cut() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    // The sample's parcels tile the land: a gap is made first by deleting
    // a neighbour of an ordinary parcel (15 to 150 m across), and the
    // square is drawn across the edge they shared, over the gap.
    let parcels: Vec<(i64, geo_types::Polygon<f64>)> = common::ui::polygons(&path, "thua_dat");
    let ordinary = |p: &geo_types::Polygon<f64>| {
        let b = p.bounding_rect().unwrap();
        (15.0..150.0).contains(&b.width()) && (15.0..150.0).contains(&b.height())
    };
    // An edge of `a` both of whose ends are corners of `b`.
    let shared_edge = |a: &geo_types::Polygon<f64>, b: &geo_types::Polygon<f64>| {
        a.exterior()
            .lines()
            .find(|l| b.exterior().0.contains(&l.start) && b.exterior().0.contains(&l.end))
    };
    let (fid, shape, gap, edge) = parcels
        .iter()
        .filter(|(_, p)| ordinary(p))
        .find_map(|(a, pa)| {
            parcels
                .iter()
                .filter(|(b, pb)| b != a && ordinary(pb))
                .find_map(|(b, pb)| shared_edge(pa, pb).map(|e| (*a, pa.clone(), *b, e)))
        })
        .expect("two ordinary neighbours in the sample");
    let shape = Geometry::Polygon(shape);
    let b = shape.bounding_rect().unwrap();
    let mut h = common::ui::harness_at(&path, "thua_dat", fid);
    start_editing(&mut h, "thua_dat");
    // Snapping off: the drawn corners are the written ones.
    common::ui::snapping_off(&mut h);
    common::ui::delete_features(&mut h, "thua_dat", &[gap]);
    assert!(!fids(&path, "thua_dat").contains(&gap), "the gap is made");
    open_more(&mut h);
    press(&mut h, "Tránh chồng lấn");
    h.state_mut().0.finish_editing();
    press(&mut h, "Thêm vùng");
    let app = &h.state().0;
    let (view, rect) = (app.view().unwrap(), app.map_rect().unwrap());
    let edge_length = (edge.dx().powi(2) + edge.dy().powi(2)).sqrt();
    let half = (edge_length.min(b.width()).min(b.height()) / 4.0) / view.resolution;
    let middle = (edge.start + edge.end) / 2.0;
    let at = view.to_screen(rect, [middle.x, middle.y]);
    let half = egui::vec2(half as f32, half as f32);
    let corners = [
        at - half,
        at + egui::vec2(half.x, -half.y),
        at + half,
        at + egui::vec2(-half.x, half.y),
    ];
    let mut ring: Vec<(f64, f64)> = corners
        .iter()
        .map(|c| {
            let p = view.screen_to_map(rect, *c);
            (p[0], p[1])
        })
        .collect();
    ring.push(ring[0]);
    let drawn = geo_types::MultiPolygon(vec![geo_types::Polygon::new(ring.into(), vec![])]);
    let drawn_over = drawn
        .intersection(&geo_types::MultiPolygon(vec![match &shape {
            Geometry::Polygon(p) => p.clone(),
            other => panic!("a parcel is a polygon: {other:?}"),
        }]))
        .unsigned_area();
    assert!(drawn_over > 1.0, "the square is drawn over the parcel");
    for c in corners {
        h.hover_at(c);
        h.drag_at(c);
        h.drop_at(c);
        h.run_steps(2);
    }
    let before = fids(&path, "thua_dat");
    h.key_press(egui::Key::Enter);
    finish(&mut h);

    let new = new_fid(&path, "thua_dat", &before);
    let cut = geometry(&path, "thua_dat", new);
    let as_multi = |g: &Geometry<f64>| match g {
        Geometry::Polygon(p) => geo_types::MultiPolygon(vec![p.clone()]),
        Geometry::MultiPolygon(m) => m.clone(),
        other => panic!("a polygon: {other:?}"),
    };
    let overlap = as_multi(&cut)
        .intersection(&as_multi(&shape))
        .unsigned_area();
    assert!(overlap < 1e-3, "overlap with the parcel: {overlap} m²");
    // The part outside the parcels is kept: about half the square.
    assert!(cut.unsigned_area() > 1.0, "{}", cut.unsigned_area());
    assert!(
        cut.unsigned_area() < drawn.unsigned_area() - drawn_over + 1e-3,
        "cut: {} m², drawn {} m²",
        cut.unsigned_area(),
        drawn.unsigned_area()
    );
    assert_last_edit(
        &path,
        "Thêm vùng (tránh chồng lấn)",
        &[("thua_dat", new, "insert")],
    );
    assert!(ogrinfo_feature(&path, "thua_dat", new).contains("POLYGON"));
}

#[test]
fn editing_starts_and_stops_from_the_layer_trees_context_menu() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let mut h = harness(path.clone());
    let menu = |h: &mut Harness<'static, State>, item: &str| {
        h.get_by_label_contains("Thửa đất hiện trạng (")
            .click_secondary();
        h.run_steps(3);
        h.get_by_label(item).click();
        h.run_steps(2);
        h.state_mut().0.finish_editing();
        h.run_steps(2);
    };
    assert!(h.query_by_label("Thêm vùng").is_none(), "no tools yet");
    menu(&mut h, "Bắt đầu chỉnh sửa");
    // The editing tools show, and the layer took the journal's triggers.
    assert!(h.query_by_label("Thêm vùng").is_some());
    let triggers: i64 = reader(&path)
        .connection()
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'thua_dat'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(triggers > 0, "thua_dat is adopted for editing");
    menu(&mut h, "Dừng chỉnh sửa");
    assert!(h.query_by_label("Thêm vùng").is_none(), "editing stopped");
}

#[test]
fn a_tower_pasted_into_a_wgs84_layer_lands_where_gdal_projects_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let (fid, _) = tower(&path);
    // GDAL writes a WGS 84 layer holding that tower, reprojected by PROJ.
    let p = path.to_str().unwrap();
    let fid_text = fid.to_string();
    let (ok, _, err) = common::tool(
        "ogr2ogr",
        &[
            "-update",
            "-t_srs",
            "EPSG:4326",
            "-nln",
            "bts_wgs84",
            "-nomd",
            "-lco",
            "IDENTIFIER=bts_wgs84",
            "-fid",
            &fid_text,
            p,
            p,
            "tram_bts",
        ],
    );
    assert!(ok, "ogr2ogr: {err}");
    let gdal_fid = fids(&path, "bts_wgs84")[0];
    let mut h = harness(path.clone());
    start_editing(&mut h, "bts_wgs84");
    h.state_mut().0.apply(AppCommand::SelectFeatures {
        layer: "tram_bts".into(),
        fids: vec![fid],
    });
    h.run_steps(2);
    open_more(&mut h);
    let before = fids(&path, "bts_wgs84");
    press(&mut h, "Dán đối tượng đã chọn vào bts_wgs84");
    finish(&mut h);

    let new = new_fid(&path, "bts_wgs84", &before);
    let point = |fid: i64| {
        let text = ogrinfo_feature(&path, "bts_wgs84", fid);
        let at = text.find("POINT (").expect("ogrinfo shows a point") + 7;
        let xy: Vec<f64> = text[at..text[at..].find(')').unwrap() + at]
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect();
        (xy[0], xy[1])
    };
    let (ours, gdal) = (point(new), point(gdal_fid));
    // 1e-8° is about a millimetre.
    assert!(
        (ours.0 - gdal.0).abs() < 1e-8 && (ours.1 - gdal.1).abs() < 1e-8,
        "ours {ours:?}, GDAL's {gdal:?}"
    );
    assert_eq!(
        last_edit(&path).0,
        "Dán 1 đối tượng từ tram_bts vào bts_wgs84"
    );
}
