//! Editing in the window, driven headlessly with egui_kittest through real
//! pointer events on the map; each test checks the GeoPackage afterwards
//! (our reader, the journal and GDAL's ogrinfo), not only the window.
#![cfg(feature = "gui")]

mod common;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use geo_types::{Coord, Geometry};
use tramgis::gpkg::GeoPackage;

use common::ui::{
    State, assert_last_edit, click_map, drag_map, fids, finish, geometry, harness, last_edit,
    map_of, ogrinfo_feature, reader, resolution, screen_of, snapping_off, start_editing,
    wkt_numbers, zoom_around,
};

/// A point of the map away (at least 60 m) from every tower, near a
/// tower so it lies in the view zoomed to it.
fn free_spot(path: &std::path::Path) -> (i64, [f64; 2]) {
    let gpkg = GeoPackage::open_read_only(path).unwrap();
    let towers: Vec<(i64, Coord<f64>)> = gpkg
        .all_features("tram_bts")
        .unwrap()
        .into_iter()
        .filter_map(|f| match f.geometry {
            Some(Geometry::Point(p)) => Some((f.fid.unwrap(), p.0)),
            _ => None,
        })
        .collect();
    for (fid, c) in &towers {
        let spot = [c.x + 80.0, c.y + 50.0];
        let clear = towers
            .iter()
            .all(|(_, t)| ((t.x - spot[0]).powi(2) + (t.y - spot[1]).powi(2)).sqrt() > 60.0);
        if clear {
            return (*fid, spot);
        }
    }
    panic!("no free spot near a tower");
}

#[test]
fn a_point_clicked_on_the_map_is_written_to_the_geopackage_with_its_journal_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let (tower, spot) = free_spot(&path);
    let _ = tower;
    let mut h = harness(path.clone());
    h.state_mut().0.finish_loading();
    zoom_around(&mut h, spot, 150.0);
    let before = fids(&path, "tram_bts");
    start_editing(&mut h, "tram_bts");
    assert!(!before.is_empty());
    h.get_by_label("Thêm điểm").click();
    h.run_steps(2);
    let at = screen_of(&h, spot);
    let clicked = map_of(&h, at);
    click_map(&mut h, at);
    finish(&mut h);

    let after = fids(&path, "tram_bts");
    assert_eq!(after.len(), before.len() + 1, "one tower more");
    let new = *after.iter().find(|f| !before.contains(f)).unwrap();
    let Some(Geometry::Point(p)) = geometry(&path, "tram_bts", new) else {
        panic!("the new feature is a point");
    };
    // Where the pointer was, to float precision (nothing to snap to there).
    assert!((p.x() - clicked[0]).abs() < 1e-6 && (p.y() - clicked[1]).abs() < 1e-6);
    assert_last_edit(
        &path,
        "Thêm điểm vào tram_bts",
        &[("tram_bts", new, "insert")],
    );
    let gdal = ogrinfo_feature(&path, "tram_bts", new);
    let xy = wkt_numbers(&gdal[gdal.find("POINT").expect("ogrinfo shows the point")..]);
    assert!(
        (xy[0] - p.x()).abs() < 1e-6 && (xy[1] - p.y()).abs() < 1e-6,
        "{gdal}"
    );
    // On the map at once: the layer's index has it, no reload.
    let app = &h.state().0;
    let layer = app
        .scene()
        .unwrap()
        .layers
        .iter()
        .find(|l| l.info.name == "tram_bts")
        .unwrap();
    assert!(layer.bbox_of(new).is_some());
    assert_eq!(layer.count as usize, after.len());

    // Undo (the button) takes the tower out of the file, redo puts it back.
    h.get_by_label("Hoàn tác").click();
    finish(&mut h);
    assert_eq!(fids(&path, "tram_bts"), before, "undo restores the file");
    assert!(
        h.state()
            .0
            .scene()
            .unwrap()
            .layers
            .iter()
            .find(|l| l.info.name == "tram_bts")
            .unwrap()
            .bbox_of(new)
            .is_none()
    );
    h.get_by_label("Làm lại").click();
    finish(&mut h);
    assert_eq!(fids(&path, "tram_bts"), after, "redo re-applies it");
    let Some(Geometry::Point(again)) = geometry(&path, "tram_bts", new) else {
        panic!("redo brings the same feature back");
    };
    assert_eq!(again, p);
    let (description, _) = last_edit(&path);
    assert!(description.starts_with("Làm lại"), "{description}");
}

/// A parcel (its id and shape).
fn a_parcel(path: &std::path::Path) -> (i64, Geometry<f64>) {
    let gpkg = GeoPackage::open_read_only(path).unwrap();
    let f = gpkg
        .all_features("thua_dat")
        .unwrap()
        .into_iter()
        .nth(40)
        .unwrap();
    (f.fid.unwrap(), f.geometry.unwrap())
}

#[test]
fn a_polygon_drawn_by_clicks_on_thua_dat_is_written_and_read_by_gdal() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let (fid, _) = a_parcel(&path);
    let mut h = common::ui::harness_at(&path, "thua_dat", fid);
    let before = fids(&path, "thua_dat");
    start_editing(&mut h, "thua_dat");
    snapping_off(&mut h);
    h.get_by_label("Thêm vùng").click();
    h.run_steps(2);
    let centre = h.state().0.map_rect().unwrap().center();
    let corners = [
        centre + egui::vec2(-40.0, -30.0),
        centre + egui::vec2(40.0, -30.0),
        centre + egui::vec2(40.0, 30.0),
        centre + egui::vec2(-40.0, 30.0),
    ];
    let mapped: Vec<[f64; 2]> = corners.iter().map(|c| map_of(&h, *c)).collect();
    for c in corners {
        click_map(&mut h, c);
    }
    // The live measurement shows while drawing.
    h.hover_at(centre);
    h.run_steps(2);
    assert!(h.query_by_label_contains("Diện tích:").is_some());
    h.key_press(egui::Key::Enter);
    finish(&mut h);

    let after = fids(&path, "thua_dat");
    assert_eq!(after.len(), before.len() + 1);
    let new = *after.iter().find(|f| !before.contains(f)).unwrap();
    let Some(Geometry::Polygon(p)) = geometry(&path, "thua_dat", new) else {
        panic!("a polygon");
    };
    let ring: Vec<[f64; 2]> = p.exterior().0.iter().map(|c| [c.x, c.y]).collect();
    assert_eq!(ring.len(), 5, "four corners, closed");
    for (got, want) in ring.iter().zip(&mapped) {
        assert!((got[0] - want[0]).abs() < 1e-6 && (got[1] - want[1]).abs() < 1e-6);
    }
    let r = resolution(&h);
    let want_area = 80.0 * r * 60.0 * r;
    let area = geo::Area::unsigned_area(&p);
    assert!(
        (area - want_area).abs() < 1e-6 * want_area,
        "{area} vs {want_area}"
    );
    assert_last_edit(
        &path,
        "Thêm vùng vào thua_dat",
        &[("thua_dat", new, "insert")],
    );
    let gdal = ogrinfo_feature(&path, "thua_dat", new);
    let numbers = wkt_numbers(&gdal[gdal.find("POLYGON").expect("ogrinfo shows it")..]);
    assert_eq!(numbers.len(), 10, "{gdal}");
    assert!((numbers[0] - ring[0][0]).abs() < 1e-6);
}

#[test]
fn the_vertex_tool_moves_a_shared_vertex_in_the_file_and_in_the_neighbour() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let parcels = gpkg.all_features("thua_dat").unwrap();
    // A corner shared by two parcels (the sample's parcels tile the land).
    let mut shared = None;
    'outer: for a in &parcels {
        let Some(Geometry::Polygon(pa)) = &a.geometry else {
            continue;
        };
        for c in &pa.exterior().0 {
            let others: Vec<i64> = parcels
                .iter()
                .filter(|b| b.fid != a.fid)
                .filter(|b| match &b.geometry {
                    Some(Geometry::Polygon(pb)) => pb.exterior().0.contains(c),
                    _ => false,
                })
                .filter_map(|b| b.fid)
                .collect();
            if !others.is_empty() {
                shared = Some((a.fid.unwrap(), *c, others));
                break 'outer;
            }
        }
    }
    drop(gpkg);
    let (fid, corner, neighbours) = shared.expect("a shared corner in the sample");
    let mut h = harness(path.clone());
    h.state_mut().0.set_label_field("thua_dat", None);
    h.state_mut().0.finish_loading();
    zoom_around(&mut h, [corner.x, corner.y], 60.0);
    start_editing(&mut h, "thua_dat");
    snapping_off(&mut h);
    h.get_by_label("Sửa đỉnh").click();
    h.run_steps(2);
    let from = screen_of(&h, [corner.x, corner.y]);
    let to = from + egui::vec2(6.0, 4.0);
    let target = map_of(&h, to);
    drag_map(&mut h, from, to);
    finish(&mut h);

    let has = |fid: i64, p: [f64; 2]| match geometry(&path, "thua_dat", fid) {
        Some(Geometry::Polygon(poly)) => poly
            .exterior()
            .0
            .iter()
            .any(|c| (c.x - p[0]).abs() < 1e-6 && (c.y - p[1]).abs() < 1e-6),
        _ => false,
    };
    assert!(
        has(fid, target),
        "the vertex moved to where it was dropped: {target:?} from {corner:?} {:?}, {:?}",
        geometry(&path, "thua_dat", fid),
        last_edit(&path)
    );
    assert!(
        !has(fid, [corner.x, corner.y]),
        "and is gone from where it was"
    );
    for n in &neighbours {
        assert!(has(*n, target), "neighbour {n} moved its shared vertex too");
    }
    let (description, rows) = last_edit(&path);
    assert!(description.starts_with("Di chuyển 1 đỉnh"), "{description}");
    let mut touched: Vec<i64> = rows.iter().map(|r| r.1).collect();
    touched.sort();
    let mut want = neighbours.clone();
    want.push(fid);
    want.sort();
    assert_eq!(touched, want, "one journal row per changed parcel");
    assert!(rows.iter().all(|r| r.2 == "update"));
    let gdal = ogrinfo_feature(&path, "thua_dat", fid);
    assert!(gdal.contains(&format!("{:.0}", target[0]).to_string()[..5]));

    // Undo by the button: both parcels are exactly as before.
    h.get_by_label("Hoàn tác").click();
    finish(&mut h);
    assert!(has(fid, [corner.x, corner.y]) && !has(fid, target));
    for n in &neighbours {
        assert!(has(*n, [corner.x, corner.y]));
    }
}

/// How many times the segment `from`–`to` crosses the ring of `p`.
fn crossings(p: &geo_types::Polygon<f64>, from: [f64; 2], to: [f64; 2]) -> usize {
    use geo::line_intersection::line_intersection;
    let cut = geo_types::Line::new(
        Coord {
            x: from[0],
            y: from[1],
        },
        Coord { x: to[0], y: to[1] },
    );
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .flat_map(|r| r.lines())
        .filter(|l| line_intersection(*l, cut).is_some())
        .count()
}

/// A parcel and a horizontal cut through its centre, from 1 m west of
/// it to 1 m east of it, that crosses its ring exactly twice and every
/// other parcel's ring at most once (so it splits that parcel alone):
/// found from the file, as the sample's parcels tile the land.
fn a_parcel_and_its_cut(path: &std::path::Path) -> (i64, Geometry<f64>, [f64; 2], [f64; 2]) {
    let parcels = common::ui::polygons(path, "thua_dat");
    for (fid, p) in &parcels {
        let b = geo::BoundingRect::bounding_rect(p).unwrap();
        if !(15.0..150.0).contains(&b.width()) || !(15.0..150.0).contains(&b.height()) {
            continue;
        }
        let c = geo::Centroid::centroid(p).unwrap();
        let (from, to) = ([b.min().x - 1.0, c.y()], [b.max().x + 1.0, c.y()]);
        if crossings(p, from, to) != 2 {
            continue;
        }
        let alone = parcels
            .iter()
            .filter(|(other, _)| other != fid)
            .all(|(_, q)| crossings(q, from, to) <= 1);
        if alone {
            return (*fid, Geometry::Polygon(p.clone()), from, to);
        }
    }
    panic!("no parcel in the sample that a straight cut splits alone");
}

#[test]
fn a_line_drawn_across_a_parcel_splits_it_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let (fid, g, from, to) = a_parcel_and_its_cut(&path);
    let area_before = geo::Area::unsigned_area(&g);
    let b = geo::BoundingRect::bounding_rect(&g).unwrap();
    let c = geo::Centroid::centroid(&g).unwrap();
    let mut h = harness(path.clone());
    h.state_mut().0.set_label_field("thua_dat", None);
    h.state_mut().0.finish_loading();
    zoom_around(&mut h, [c.x(), c.y()], b.width().max(b.height()));
    let before = fids(&path, "thua_dat");
    start_editing(&mut h, "thua_dat");
    snapping_off(&mut h);
    h.get_by_label("Tách").click();
    h.run_steps(2);
    // Across the parcel through its centre, ending just past its edges
    // (inside the neighbours, which the line does not cross).
    let from = screen_of(&h, from);
    let to = screen_of(&h, to);
    click_map(&mut h, from);
    click_map(&mut h, to);
    h.key_press(egui::Key::Enter);
    finish(&mut h);

    let after = fids(&path, "thua_dat");
    assert_eq!(after.len(), before.len() + 1, "one parcel became two");
    let (description, rows) = last_edit(&path);
    assert!(description.starts_with("Tách thửa"), "{description}");
    let new: Vec<i64> = rows
        .iter()
        .filter(|r| r.2 == "insert")
        .map(|r| r.1)
        .chain(std::iter::once(fid))
        .collect();
    let area_after: f64 = new
        .iter()
        .filter_map(|f| geometry(&path, "thua_dat", *f))
        .map(|g| geo::Area::unsigned_area(&g))
        .sum();
    assert!(
        (area_after - area_before).abs() < 0.01,
        "the parts cover the parcel: {area_after} vs {area_before}"
    );
    for f in &new {
        ogrinfo_feature(&path, "thua_dat", *f);
    }
    // Undo puts the one parcel back, exactly.
    h.get_by_label("Hoàn tác").click();
    finish(&mut h);
    assert_eq!(fids(&path, "thua_dat"), before);
    assert_eq!(geometry(&path, "thua_dat", fid), Some(g));
}

#[test]
fn on_the_gpu_renderer_a_new_point_shows_at_once_from_its_cells_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let (_, spot) = free_spot(&path);
    let mut h = common::ui::gpu_harness(path.clone());
    h.state_mut().0.finish_loading();
    zoom_around(&mut h, spot, 150.0);
    start_editing(&mut h, "tram_bts");
    h.get_by_label("Thêm điểm").click();
    h.run_steps(2);
    let at = screen_of(&h, spot);
    let pixel = |h: &mut Harness<'static, State>| {
        let image = h.render().unwrap();
        let p = image.get_pixel(at.x as u32, at.y as u32);
        [p[0], p[1], p[2]]
    };
    let before = pixel(&mut h);
    click_map(&mut h, at);
    finish(&mut h);
    h.run_steps(2);
    let after = pixel(&mut h);
    assert_ne!(before, after, "the tower is drawn where it was added");
    // Undo takes it off the map again, through the same cell rebuild.
    h.get_by_label("Hoàn tác").click();
    finish(&mut h);
    h.run_steps(2);
    assert_eq!(pixel(&mut h), before);
}

#[test]
fn the_attribute_form_writes_through_the_editing_thread_and_undo_takes_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 50);
    let (fid, _) = a_parcel(&path);
    let value_of = |path: &std::path::Path| {
        let gpkg = reader(path);
        let info = gpkg.layer("thua_dat").unwrap();
        let f = gpkg.get_feature("thua_dat", fid).unwrap().unwrap();
        f.values[info.schema.field_index("ma_loai_dat").unwrap()].to_string()
    };
    let before = value_of(&path);
    let code = common::ui::coded_values(&path, "thua_dat", "ma_loai_dat")
        .into_iter()
        .find(|c| c.code != before)
        .unwrap()
        .code;
    let mut h = harness(path.clone());
    h.state_mut().0.finish_loading();
    let open = tramgis::ui::AppCommand::OpenAttributeForm {
        layer: "thua_dat".into(),
        fid: Some(fid),
    };
    h.state_mut().0.apply(open);
    // The form opens at once; its feature is read in the background.
    h.state_mut().0.finish_reads();
    h.run_steps(2);
    // As in QGIS, the form is read-only until the layer is in editing.
    assert!(!h.state_mut().0.attribute_form_mut().unwrap().editable);
    start_editing(&mut h, "thua_dat");
    h.run_steps(1);
    assert!(h.state_mut().0.attribute_form_mut().unwrap().editable);
    assert!(
        h.get_by_label("Hoàn tác").accesskit_node().is_disabled(),
        "nothing to undo yet"
    );

    h.state_mut()
        .0
        .attribute_form_mut()
        .unwrap()
        .set_text("ma_loai_dat", &code);
    h.get_by_label("Đồng ý").click();
    finish(&mut h);
    assert!(
        h.state_mut().0.attribute_form_mut().is_none(),
        "written: closed"
    );
    assert_eq!(value_of(&path), code);
    let (description, rows) = last_edit(&path);
    assert_eq!(
        description,
        format!("Sửa thuộc tính đối tượng {fid} của lớp thua_dat")
    );
    assert_eq!(
        rows,
        vec![("thua_dat".to_string(), fid, "update".to_string())]
    );

    // The editing thread knows the form's edit: the editing panel's Undo
    // is enabled and takes it out of the file.
    assert!(!h.get_by_label("Hoàn tác").accesskit_node().is_disabled());
    h.get_by_label("Hoàn tác").click();
    finish(&mut h);
    assert_eq!(
        value_of(&path),
        before,
        "undo restores the value in the file"
    );
}

#[test]
fn the_editors_name_set_in_the_editing_panel_goes_into_the_journal_of_the_next_edit() {
    let dir = tempfile::tempdir().unwrap();
    // The preference is kept in this test's own data directory.
    let data = dir.path().join("data");
    // SAFETY: no other thread of this test reads the environment meanwhile
    // that would be hurt by it; the other tests only read the name.
    unsafe { std::env::set_var("XDG_DATA_HOME", &data) };
    let path = common::sample(dir.path(), 400);
    let (_, spot) = free_spot(&path);
    let mut h = harness(path.clone());
    h.state_mut().0.finish_loading();
    zoom_around(&mut h, spot, 150.0);
    start_editing(&mut h, "tram_bts");
    h.get_by_label("Tên người chỉnh sửa").click();
    h.run_steps(15);
    let field = egui::accesskit::Role::TextInput;
    h.get_by_role(field).focus();
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_steps(1);
    h.get_by_role(field).type_text("Nguyễn Thị Lan");
    h.run_steps(2);
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    assert_eq!(
        std::fs::read_to_string(data.join("tramgis/user.txt")).unwrap(),
        "Nguyễn Thị Lan\n"
    );

    h.get_by_label("Thêm điểm").click();
    h.run_steps(2);
    let at = screen_of(&h, spot);
    click_map(&mut h, at);
    finish(&mut h);
    let gpkg = reader(&path);
    let (edit_user, change_users): (String, Vec<String>) = {
        let conn = gpkg.connection();
        let (id, user): (i64, String) = conn
            .query_row(
                "SELECT edit_id, user FROM tramgis_edits ORDER BY edit_id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let mut stmt = conn
            .prepare("SELECT user FROM tramgis_changes WHERE edit_id = ?1")
            .unwrap();
        let users = stmt
            .query_map([id], |r| r.get(0))
            .unwrap()
            .collect::<Result<Vec<String>, _>>()
            .unwrap();
        (user, users)
    };
    assert_eq!(edit_user, "Nguyễn Thị Lan");
    assert!(!change_users.is_empty());
    assert!(
        change_users.iter().all(|u| u == "Nguyễn Thị Lan"),
        "{change_users:?}"
    );
}

#[test]
fn stopping_editing_after_drawing_a_polygon_over_a_parcel_lists_the_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let (fid, _) = a_parcel(&path);
    let mut h = common::ui::harness_at(&path, "thua_dat", fid);
    start_editing(&mut h, "thua_dat");
    snapping_off(&mut h);
    h.get_by_label("Thêm vùng").click();
    h.run_steps(2);
    let centre = h.state().0.map_rect().unwrap().center();
    for d in [(-40.0, -30.0), (40.0, -30.0), (40.0, 30.0), (-40.0, 30.0)] {
        click_map(&mut h, centre + egui::vec2(d.0, d.1));
    }
    h.key_press(egui::Key::Enter);
    finish(&mut h);
    assert!(h.query_all_by_label_contains("overlap").next().is_none());

    // Stopping editing checks around the new polygon, in the background.
    h.get_by_label("Chỉnh sửa: thua_dat").click();
    h.run_steps(2);
    h.state_mut().0.finish_editing();
    h.run_steps(3);
    assert!(
        h.query_all_by_label_contains("overlap").next().is_some(),
        "the validation panel lists the overlap with parcel {fid}"
    );
}
