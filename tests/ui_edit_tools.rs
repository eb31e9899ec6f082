//! The editing tools that change existing features, driven headlessly
//! with egui_kittest through real pointer events on the map (and the
//! editing panel's buttons and fields): move and rotate a parcel, reshape
//! an edge, add and fill a ring, merge and delete the selection, draw a
//! polygon with a hole and a second part, and enter vertices as numbers.
//! Each test checks the GeoPackage afterwards (the geometry to the float,
//! areas to 0.01 m², the area field, GDAL's ogrinfo and the journal) and
//! that Ctrl+Z restores the stored rows exactly, column by column.
#![cfg(feature = "gui")]

mod common;

use std::path::Path;

use egui_kittest::kittest::Queryable;
use geo::{Area, BooleanOps, BoundingRect, Centroid, Contains, InteriorPoint, Rotate, Translate};
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Polygon};
use tramgis::gpkg::GeoPackage;

use common::ui::{
    AppHarness, assert_last_edit, click_map, fids, finish, geometry, last_edit, map_of, new_fid,
    open_section, press, reader, row, screen_of, shift, snapping_off, start_editing, type_in_field,
    wkt_numbers, zoom_around,
};

const PARCELS: &str = "thua_dat";

/// A parcel of the sample (its id and shape).
fn a_parcel(path: &Path) -> (i64, Polygon<f64>) {
    let f = GeoPackage::open_read_only(path)
        .unwrap()
        .all_features(PARCELS)
        .unwrap()
        .into_iter()
        .nth(40)
        .unwrap();
    match f.geometry {
        Some(Geometry::Polygon(p)) => (f.fid.unwrap(), p),
        other => panic!("a parcel is a polygon: {other:?}"),
    }
}

/// Whether a parcel is of an ordinary size and shape (15 to 150 m across,
/// filling half its box or more): a shape the tests can click and draw on.
fn ordinary(p: &Polygon<f64>) -> bool {
    let b = p.bounding_rect().unwrap();
    let across = 15.0..150.0;
    across.contains(&b.width())
        && across.contains(&b.height())
        && p.interiors().is_empty()
        && p.unsigned_area() > 0.5 * b.width() * b.height()
}

/// How many times the line through `points` crosses the ring of `p`.
fn crossings(p: &Polygon<f64>, points: &[[f64; 2]]) -> usize {
    use geo::line_intersection::line_intersection;
    let coord = |q: [f64; 2]| Coord { x: q[0], y: q[1] };
    points
        .windows(2)
        .map(|w| geo_types::Line::new(coord(w[0]), coord(w[1])))
        .map(|cut| {
            p.exterior()
                .lines()
                .filter(|l| line_intersection(*l, cut).is_some())
                .count()
        })
        .sum()
}

/// The window on the sample, zoomed to parcel `fid`, with the parcels in
/// editing and snapping off (the pointer's position is the written one).
fn editing_parcels(path: &Path, fid: i64) -> AppHarness {
    let mut h = common::ui::harness_at(path, PARCELS, fid);
    start_editing(&mut h, PARCELS);
    snapping_off(&mut h);
    h
}

fn tool(h: &mut AppHarness, label: &str) {
    h.get_by_label(label).click();
    h.run_steps(2);
}

/// Presses at `from`, holds still until egui calls it a drag (so the drag
/// starts exactly there), moves in steps and lets go at `to`.
fn drag_from(h: &mut AppHarness, from: egui::Pos2, to: egui::Pos2) {
    h.hover_at(from);
    h.drag_at(from);
    // egui's steps are 0.25 s here; a press held 0.8 s is a drag.
    h.run_steps(5);
    for k in 1..=4 {
        h.hover_at(from + (to - from) * (k as f32 / 4.0));
        h.run_steps(1);
    }
    h.drop_at(to);
    h.run_steps(2);
}

/// Clicks each point, then Enter (with Shift: drawing goes on).
fn draw(h: &mut AppHarness, points: &[egui::Pos2], with_shift: bool) {
    for p in points {
        click_map(h, *p);
    }
    if with_shift {
        h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::Enter);
    } else {
        h.key_press(egui::Key::Enter);
    }
    h.run_steps(2);
}

/// A square of `half` screen points around `at`, corner by corner.
fn square_px(at: egui::Pos2, half: f32) -> Vec<egui::Pos2> {
    [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)]
        .iter()
        .map(|(x, y)| at + egui::vec2(x * half, y * half))
        .collect()
}

/// The ring through these map points, closed.
fn ring_of(points: &[[f64; 2]]) -> LineString<f64> {
    let mut ring: Vec<Coord<f64>> = points.iter().map(|p| Coord { x: p[0], y: p[1] }).collect();
    ring.push(ring[0]);
    LineString(ring)
}

fn polygon(path: &Path, fid: i64) -> Polygon<f64> {
    match geometry(path, PARCELS, fid) {
        Some(Geometry::Polygon(p)) => p,
        other => panic!("parcel {fid} is a polygon: {other:?}"),
    }
}

fn close(a: Coord<f64>, b: Coord<f64>) -> bool {
    (a.x - b.x).abs() < 1e-6 && (a.y - b.y).abs() < 1e-6
}

fn same_ring(got: &LineString<f64>, want: &LineString<f64>) {
    assert_eq!(got.0.len(), want.0.len(), "{got:?} vs {want:?}");
    for (g, w) in got.0.iter().zip(&want.0) {
        assert!(close(*g, *w), "{got:?} vs {want:?}");
    }
}

/// The parcel's stored `dien_tich`, which the edit keeps equal to its
/// area (to 0.1 m², as cadastral records give it).
fn area_field(path: &Path, fid: i64) -> f64 {
    let gpkg = reader(path);
    let i = gpkg
        .layer(PARCELS)
        .unwrap()
        .schema
        .field_index("dien_tich")
        .unwrap();
    match &gpkg.get_feature(PARCELS, fid).unwrap().unwrap().values[i] {
        tramgis::model::FieldValue::Real(v) => *v,
        other => panic!("dien_tich of {fid}: {other:?}"),
    }
}

fn assert_area_field(path: &Path, fid: i64, area: f64) {
    let stored = area_field(path, fid);
    assert!(
        (stored - area).abs() <= 0.05 + 1e-9,
        "dien_tich of {fid} is {stored}, its area {area}"
    );
}

/// GDAL's reading of the whole layer (`ogrinfo -al -q`): it reads it
/// without a complaint; returns the text of feature `fid`.
fn gdal_feature(path: &Path, layer: &str, fid: i64) -> String {
    let (ok, out, err) = common::tool("ogrinfo", &["-ro", "-al", "-q", path.to_str().unwrap()]);
    assert!(ok, "ogrinfo failed: {err}");
    assert!(
        common::gdal_messages(&err).is_empty(),
        "ogrinfo complained: {err}"
    );
    let head = format!("OGRFeature({layer}):{fid}\n");
    let start = out
        .find(&head)
        .unwrap_or_else(|| panic!("ogrinfo lists {layer} {fid}"));
    let rest = &out[start + head.len()..];
    rest[..rest.find("OGRFeature(").unwrap_or(rest.len())].to_string()
}

/// GDAL reads the same outer ring as we do (ogrinfo prints 15 digits).
fn gdal_agrees(path: &Path, fid: i64, p: &Polygon<f64>) {
    let text = gdal_feature(path, PARCELS, fid);
    let at = text.find("POLYGON").expect("ogrinfo shows a polygon");
    let numbers = wkt_numbers(&text[at..]);
    for (k, c) in p.exterior().0.iter().enumerate() {
        assert!(
            (numbers[2 * k] - c.x).abs() < 1e-6 && (numbers[2 * k + 1] - c.y).abs() < 1e-6,
            "GDAL: {text}"
        );
    }
}

/// Ctrl+Z; the rows are again exactly `before` (None: no such row).
fn undo_restores(h: &mut AppHarness, path: &Path, before: &[(i64, Option<Row>)]) {
    history_step(h, path, false, before);
}

/// Ctrl+Shift+Z; the rows are again exactly as the edit wrote them.
fn redo_restores(h: &mut AppHarness, path: &Path, after: &[(i64, Option<Row>)]) {
    history_step(h, path, true, after);
}

type Row = Vec<rusqlite::types::Value>;

fn history_step(h: &mut AppHarness, path: &Path, redo: bool, rows: &[(i64, Option<Row>)]) {
    let (keys, noun) = if redo {
        (egui::Modifiers::COMMAND | egui::Modifiers::SHIFT, "Làm lại")
    } else {
        (egui::Modifiers::COMMAND, "Hoàn tác")
    };
    h.key_press_modifiers(keys, egui::Key::Z);
    finish(h);
    for (fid, want) in rows {
        assert_eq!(&row(path, PARCELS, *fid), want, "{noun}: parcel {fid}");
    }
    let (description, _) = last_edit(path);
    assert!(description.starts_with(noun), "{description}");
}

/// Drags parcel `fid` with the tool `label` from and to the screen points
/// `drag` gives; `moved` is its expected shape from the drag's map
/// points. Checks the file, GDAL and the journal, then that undo restores
/// the row and redo writes the moved one again.
fn drag_parcel(
    label: &str,
    description: &str,
    drag: impl Fn(&AppHarness, &Polygon<f64>) -> (egui::Pos2, egui::Pos2),
    moved: impl Fn(&Polygon<f64>, [f64; 2], [f64; 2]) -> Polygon<f64>,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let (fid, old) = a_parcel(&path);
    let before = row(&path, PARCELS, fid);
    let mut h = editing_parcels(&path, fid);
    tool(&mut h, label);
    let (from, to) = drag(&h, &old);
    let (a, b) = (map_of(&h, from), map_of(&h, to));
    assert!(
        old.contains(&geo_types::Point::from(a)),
        "the press is on the parcel"
    );
    drag_from(&mut h, from, to);
    finish(&mut h);

    let new = polygon(&path, fid);
    same_ring(new.exterior(), moved(&old, a, b).exterior());
    assert!((new.unsigned_area() - old.unsigned_area()).abs() < 0.01);
    assert_area_field(&path, fid, new.unsigned_area());
    gdal_agrees(&path, fid, &new);
    assert_last_edit(&path, description, &[(PARCELS, fid, "update")]);
    let after = row(&path, PARCELS, fid);
    undo_restores(&mut h, &path, &[(fid, before)]);
    redo_restores(&mut h, &path, &[(fid, after)]);
}

#[test]
fn a_parcel_dragged_with_move_feature_is_translated_in_the_file_and_undone() {
    drag_parcel(
        "Di chuyển đối tượng",
        "Di chuyển đối tượng (thua_dat)",
        |h, old| {
            let inside = old.interior_point().unwrap();
            let from = screen_of(h, [inside.x(), inside.y()]);
            (from, from + egui::vec2(37.0, -21.0))
        },
        |old, a, b| old.translate(b[0] - a[0], b[1] - a[1]),
    );
}

#[test]
fn a_parcel_turned_with_rotate_is_rotated_about_its_centre_and_undone() {
    drag_parcel(
        "Xoay đối tượng",
        "Xoay đối tượng (thua_dat)",
        |h, old| {
            // A quarter turn anticlockwise: from east of the centre to
            // north of it, pressing on the parcel.
            let c = old.centroid().unwrap();
            let centre = screen_of(h, [c.x(), c.y()]);
            let bounds = old.bounding_rect().unwrap();
            let arm = 0.2 * bounds.width().min(bounds.height()) / common::ui::resolution(h);
            let arm = arm as f32;
            (
                centre + egui::vec2(arm, 0.0),
                centre + egui::vec2(0.0, -arm),
            )
        },
        |old, a, b| {
            let c = old.centroid().unwrap();
            let turn = |p: [f64; 2]| (p[1] - c.y()).atan2(p[0] - c.x());
            let angle = (turn(b) - turn(a)).to_degrees();
            assert!((angle - 90.0).abs() < 1.0, "{angle}");
            old.rotate_around_point(angle, c)
        },
    );
}

#[test]
fn a_line_drawn_out_of_a_parcel_and_back_reshapes_its_edge_and_its_area_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    // From the centre out past the east edge, along it and back in: the
    // boundary between the crossings follows the line. The parcel: an
    // ordinary one whose ring that line crosses exactly twice.
    let reshape_line = |p: &Polygon<f64>| {
        let (b, c) = (p.bounding_rect().unwrap(), p.centroid().unwrap());
        let (out, dy) = (b.max().x + 0.2 * b.width(), 0.15 * b.height());
        [
            [c.x(), c.y() + dy],
            [out, c.y() + dy],
            [out, c.y() - dy],
            [c.x(), c.y() - dy],
        ]
    };
    let (fid, old) = common::ui::polygons(&path, PARCELS)
        .into_iter()
        .find(|(_, p)| {
            ordinary(p) && p.contains(&p.centroid().unwrap()) && crossings(p, &reshape_line(p)) == 2
        })
        .expect("an ordinary parcel in the sample");
    let before = row(&path, PARCELS, fid);
    let mut h = editing_parcels(&path, fid);
    tool(&mut h, "Sửa hình dạng");
    let line = reshape_line(&old);
    let screen: Vec<egui::Pos2> = line.iter().map(|p| screen_of(&h, *p)).collect();
    let drawn: Vec<[f64; 2]> = screen.iter().map(|s| map_of(&h, *s)).collect();
    draw(&mut h, &screen, false);
    finish(&mut h);

    let new = polygon(&path, fid);
    // The parcel grew by the part of the drawn loop outside it.
    let loop_ = Polygon::new(ring_of(&drawn), vec![]);
    let want = MultiPolygon(vec![old.clone()])
        .union(&MultiPolygon(vec![loop_]))
        .unsigned_area();
    assert!(
        (new.unsigned_area() - want).abs() < 0.01,
        "{} m² vs {want} m²",
        new.unsigned_area()
    );
    assert!(new.unsigned_area() > old.unsigned_area() + 1.0);
    for corner in &drawn[1..3] {
        let corner = Coord {
            x: corner[0],
            y: corner[1],
        };
        assert!(
            new.exterior().0.iter().any(|v| close(*v, corner)),
            "the outside corners of the line are vertices: {new:?}"
        );
    }
    assert_area_field(&path, fid, new.unsigned_area());
    gdal_agrees(&path, fid, &new);
    assert_last_edit(
        &path,
        "Sửa hình dạng (thua_dat)",
        &[(PARCELS, fid, "update")],
    );
    undo_restores(&mut h, &path, &[(fid, before)]);
}

#[test]
fn add_ring_makes_a_hole_and_fill_ring_a_parcel_in_it_with_areas_recomputed() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let (fid, old) = a_parcel(&path);
    let before = row(&path, PARCELS, fid);
    let mut h = editing_parcels(&path, fid);
    let inside = old.interior_point().unwrap();
    let corners = square_px(screen_of(&h, [inside.x(), inside.y()]), 12.0);
    let mapped: Vec<[f64; 2]> = corners.iter().map(|s| map_of(&h, *s)).collect();
    let hole = Polygon::new(ring_of(&mapped), vec![]);
    assert!(old.contains(&hole), "the ring is drawn inside");

    // Add ring: the parcel gets the hole; its area field follows.
    tool(&mut h, "Thêm vòng (lỗ)");
    draw(&mut h, &corners, false);
    finish(&mut h);
    let holed = polygon(&path, fid);
    assert_eq!(holed.interiors().len(), 1);
    same_ring(holed.exterior(), old.exterior());
    let area = old.unsigned_area() - hole.unsigned_area();
    assert!((holed.unsigned_area() - area).abs() < 0.01);
    assert_area_field(&path, fid, area);
    let gdal = gdal_feature(&path, PARCELS, fid);
    assert!(gdal.contains("),("), "GDAL reads the hole: {gdal}");
    assert_last_edit(&path, "Thêm vòng (thua_dat)", &[(PARCELS, fid, "update")]);
    undo_restores(&mut h, &path, &[(fid, before.clone())]);

    // Fill ring: the hole and a new parcel filling it, each with its area.
    let parcels = fids(&path, PARCELS);
    tool(&mut h, "Lấp vòng");
    draw(&mut h, &corners, false);
    finish(&mut h);
    let fill = new_fid(&path, PARCELS, &parcels);
    let filling = polygon(&path, fill);
    assert!((filling.unsigned_area() - hole.unsigned_area()).abs() < 0.01);
    assert!((polygon(&path, fid).unsigned_area() - area).abs() < 0.01);
    assert_area_field(&path, fid, area);
    assert_area_field(&path, fill, hole.unsigned_area());
    // Its other attributes are the parcel's.
    let (parcel, filled) = (
        reader(&path).get_feature(PARCELS, fid).unwrap().unwrap(),
        reader(&path).get_feature(PARCELS, fill).unwrap().unwrap(),
    );
    assert_eq!(filled.values[0], parcel.values[0], "ma_loai_dat copied");
    gdal_agrees(&path, fill, &filling);
    assert_last_edit(
        &path,
        "Lấp vòng (thua_dat)",
        &[(PARCELS, fid, "update"), (PARCELS, fill, "insert")],
    );
    undo_restores(&mut h, &path, &[(fid, before), (fill, None)]);
}

/// Two parcels of the sample that share an edge.
fn neighbours(path: &Path) -> (i64, Polygon<f64>, i64, Polygon<f64>) {
    let parcels: Vec<(i64, Polygon<f64>)> = common::ui::polygons(path, PARCELS);
    // Ordinary ones: each is clicked at its interior point on screen.
    let parcels: Vec<(i64, Polygon<f64>)> =
        parcels.into_iter().filter(|(_, p)| ordinary(p)).collect();
    for (i, (a, pa)) in parcels.iter().enumerate() {
        for (b, pb) in &parcels[i + 1..] {
            let shared = pa
                .exterior()
                .0
                .iter()
                .take(pa.exterior().0.len() - 1)
                .filter(|c| pb.exterior().0.contains(c))
                .count();
            if shared >= 2 {
                return (*a, pa.clone(), *b, pb.clone());
            }
        }
    }
    panic!("no two parcels share an edge in the sample");
}

/// The Select tool: a click on `a`, a Shift+click on `b`.
fn select_two(h: &mut AppHarness, a: &Polygon<f64>, b: &Polygon<f64>) {
    tool(h, "Chọn");
    // Where each parcel is on screen now: a selection can open a panel
    // beside the map and move it.
    let at = |h: &AppHarness, p: &Polygon<f64>| {
        let q = p.interior_point().unwrap();
        screen_of(h, [q.x(), q.y()])
    };
    let pa = at(h, a);
    click_map(h, pa);
    h.state_mut().0.finish_jobs();
    h.run_steps(2);
    shift(h, true);
    let pb = at(h, b);
    click_map(h, pb);
    shift(h, false);
    h.state_mut().0.finish_jobs();
    h.run_steps(2);
}

fn selected(h: &AppHarness) -> Vec<i64> {
    let mut v: Vec<i64> = h
        .state()
        .0
        .selection
        .get(PARCELS)
        .map(|s| s.iter().copied().collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn two_parcels_selected_on_the_map_are_merged_then_deleted_by_the_panels_buttons() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let (a, pa, b, pb) = neighbours(&path);
    let before = [(a, row(&path, PARCELS, a)), (b, row(&path, PARCELS, b))];
    let mut h = editing_parcels(&path, a);
    let both = MultiPolygon(vec![pa.clone(), pb.clone()]);
    let r = both.bounding_rect().unwrap();
    zoom_around(
        &mut h,
        [r.center().x, r.center().y],
        2.0 * r.width().max(r.height()),
    );
    select_two(&mut h, &pa, &pb);
    let mut two = vec![a, b];
    two.sort();
    assert_eq!(selected(&h), two, "both parcels are selected");

    // Merge: one parcel covering both, its area field recomputed.
    let parcels = fids(&path, PARCELS);
    press(&mut h, "Gộp đối tượng đã chọn");
    finish(&mut h);
    let after = fids(&path, PARCELS);
    assert_eq!(after.len(), parcels.len() - 1, "two parcels became one");
    // The larger keeps its fid and takes the other's land.
    let (kept, gone) = if pa.unsigned_area() >= pb.unsigned_area() {
        (a, b)
    } else {
        (b, a)
    };
    assert_last_edit(
        &path,
        "Gộp 2 thửa",
        &[(PARCELS, kept, "update"), (PARCELS, gone, "delete")],
    );
    let merged = geometry(&path, PARCELS, kept).unwrap();
    let area = pa.unsigned_area() + pb.unsigned_area();
    assert!(
        (merged.unsigned_area() - area).abs() < 0.01,
        "{} vs {area}",
        merged.unsigned_area()
    );
    assert_area_field(&path, kept, area);
    assert!(gdal_feature(&path, PARCELS, kept).contains("POLYGON"));
    let merged_row = row(&path, PARCELS, kept);
    undo_restores(&mut h, &path, &before);
    assert_eq!(fids(&path, PARCELS), parcels);
    redo_restores(&mut h, &path, &[(kept, merged_row), (gone, None)]);
    undo_restores(&mut h, &path, &before);

    // Delete: the two parcels selected again go, in one edit.
    select_two(&mut h, &pa, &pb);
    assert_eq!(selected(&h), two);
    press(&mut h, "Xóa đối tượng đã chọn");
    finish(&mut h);
    assert!(row(&path, PARCELS, a).is_none() && row(&path, PARCELS, b).is_none());
    assert_eq!(fids(&path, PARCELS).len(), parcels.len() - 2);
    assert_last_edit(
        &path,
        "Xóa 2 đối tượng (thua_dat)",
        &[(PARCELS, a, "delete"), (PARCELS, b, "delete")],
    );
    let (ok, out, err) = common::tool("ogrinfo", &["-ro", "-so", path.to_str().unwrap(), PARCELS]);
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("Feature Count: {}", parcels.len() - 2)),
        "{out}"
    );
    undo_restores(&mut h, &path, &before);
}

/// Draws with Add polygon, around the map's middle: a 100-point square
/// with a 30-point hole, closed by Shift+Enter each (drawing goes on),
/// then with `part` a 40-point square beside it; Enter writes it. Returns
/// the new fid and the rings drawn (map coordinates).
fn draw_holed(
    h: &mut AppHarness,
    path: &Path,
    layer: &str,
    part: bool,
) -> (i64, Vec<LineString<f64>>) {
    tool(h, "Thêm vùng");
    let centre = h.state().0.map_rect().unwrap().center() + egui::vec2(-40.0, 0.0);
    let mut rings = vec![square_px(centre, 50.0), square_px(centre, 15.0)];
    if part {
        rings.push(square_px(centre + egui::vec2(90.0, 0.0), 20.0));
    }
    let drawn: Vec<LineString<f64>> = rings
        .iter()
        .map(|ps| ring_of(&ps.iter().map(|p| map_of(h, *p)).collect::<Vec<_>>()))
        .collect();
    let before = fids(path, layer);
    for (k, ring) in rings.iter().enumerate() {
        draw(h, ring, k + 1 < rings.len());
    }
    finish(h);
    (new_fid(path, layer, &before), drawn)
}

fn ring_area(r: &LineString<f64>) -> f64 {
    Polygon::new(r.clone(), vec![]).unsigned_area()
}

#[test]
fn a_polygon_drawn_with_a_hole_is_stored_with_its_interior_ring() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let (fid, _) = a_parcel(&path);
    let mut h = editing_parcels(&path, fid);
    let (new, drawn) = draw_holed(&mut h, &path, PARCELS, false);

    let p = polygon(&path, new);
    same_ring(p.exterior(), &drawn[0]);
    assert_eq!(p.interiors().len(), 1, "the hole");
    same_ring(&p.interiors()[0], &drawn[1]);
    let want = ring_area(&drawn[0]) - ring_area(&drawn[1]);
    assert!((p.unsigned_area() - want).abs() < 0.01);
    assert_area_field(&path, new, want);
    let gdal = gdal_feature(&path, PARCELS, new);
    assert!(gdal.contains("),("), "GDAL reads the hole: {gdal}");
    gdal_agrees(&path, new, &p);
    assert_last_edit(&path, "Thêm vùng vào thua_dat", &[(PARCELS, new, "insert")]);
    undo_restores(&mut h, &path, &[(new, None)]);
}

#[test]
fn a_polygon_drawn_with_a_hole_and_a_second_part_is_one_multipolygon_in_a_multipolygon_layer() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let (fid, _) = a_parcel(&path);
    // A MULTIPOLYGON layer written by GDAL: the parcels, promoted.
    const LAYER: &str = "thua_dat_nhieu_phan";
    let p = path.to_str().unwrap();
    let (ok, _, err) = common::tool(
        "ogr2ogr",
        &[
            "-update",
            "-nlt",
            "PROMOTE_TO_MULTI",
            "-nln",
            LAYER,
            "-nomd",
            p,
            p,
            PARCELS,
        ],
    );
    assert!(ok, "ogr2ogr: {err}");
    let mut h = common::ui::harness_at(&path, LAYER, fid);
    start_editing(&mut h, LAYER);
    snapping_off(&mut h);
    let (new, drawn) = draw_holed(&mut h, &path, LAYER, true);

    let Some(Geometry::MultiPolygon(m)) = geometry(&path, LAYER, new) else {
        panic!("a multipolygon: {:?}", geometry(&path, LAYER, new));
    };
    assert_eq!(m.0.len(), 2, "two parts");
    same_ring(m.0[0].exterior(), &drawn[0]);
    assert_eq!(m.0[0].interiors().len(), 1, "the first has the hole");
    same_ring(&m.0[0].interiors()[0], &drawn[1]);
    same_ring(m.0[1].exterior(), &drawn[2]);
    let want = ring_area(&drawn[0]) - ring_area(&drawn[1]) + ring_area(&drawn[2]);
    assert!((m.unsigned_area() - want).abs() < 0.01);
    let gdal = gdal_feature(&path, LAYER, new);
    assert!(gdal.contains("MULTIPOLYGON ((("), "{gdal}");
    assert!(gdal.contains(")),(("), "GDAL reads two parts: {gdal}");
    let stored = wkt_numbers(&gdal[gdal.find("MULTIPOLYGON").unwrap()..]);
    assert!((stored[0] - drawn[0].0[0].x).abs() < 1e-6, "{gdal}");
    assert!(
        (gdal_area_field(&gdal) - want).abs() <= 0.05 + 1e-9,
        "dien_tich follows the area: {gdal}"
    );
    assert_last_edit(
        &path,
        &format!("Thêm vùng vào {LAYER}"),
        &[(LAYER, new, "insert")],
    );
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    finish(&mut h);
    assert_eq!(row(&path, LAYER, new), None, "undo takes it out");
}

/// `dien_tich` as ogrinfo prints it for a feature.
fn gdal_area_field(text: &str) -> f64 {
    let at = text.find("dien_tich (Real) = ").expect("dien_tich") + "dien_tich (Real) = ".len();
    text[at..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn vertices_typed_as_vn2000_x_y_and_as_distance_and_bearing_make_the_parcel() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let (fid, old) = a_parcel(&path);
    let mut h = editing_parcels(&path, fid);
    // The snapping settings closed again; the numeric entry opened: its
    // three fields (X Y, distance, bearing) are the window's text fields.
    open_section(&mut h, "Bắt điểm");
    open_section(&mut h, "Nhập số");
    let fields = h.get_all_by_role(egui::accesskit::Role::TextInput).count();
    assert_eq!(fields, 3, "X Y, distance, bearing");
    tool(&mut h, "Thêm vùng");
    let c = old.centroid().unwrap();
    let (e, n) = (c.x().round() + 0.25, c.y().round() + 0.5);
    // VN-2000 as surveyors write it: X (northing) first, decimal commas.
    let typed = |x: f64, y: f64| {
        format!(
            "{} {}",
            y.to_string().replace('.', ","),
            x.to_string().replace('.', ",")
        )
    };
    type_in_field(&mut h, 0, &typed(e - 10.0, n - 10.0));
    press(&mut h, "Thêm đỉnh X, Y");
    type_in_field(&mut h, 0, &typed(e + 10.0, n - 10.0));
    press(&mut h, "Thêm đỉnh X, Y");
    // 20 m due north, then 20 m due west (bearings from grid north).
    type_in_field(&mut h, 1, "20");
    type_in_field(&mut h, 2, "0°");
    press(&mut h, "Thêm đỉnh theo khoảng cách, phương vị");
    type_in_field(&mut h, 2, "270°00'00\"");
    press(&mut h, "Thêm đỉnh theo khoảng cách, phương vị");
    let before = fids(&path, PARCELS);
    // Enter closes the polygon.
    h.key_press(egui::Key::Enter);
    finish(&mut h);

    let new = new_fid(&path, PARCELS, &before);
    let p = polygon(&path, new);
    let want = ring_of(&[
        [e - 10.0, n - 10.0],
        [e + 10.0, n - 10.0],
        [e + 10.0, n + 10.0],
        [e - 10.0, n + 10.0],
    ]);
    same_ring(p.exterior(), &want);
    assert!(
        (p.unsigned_area() - 400.0).abs() < 0.01,
        "{}",
        p.unsigned_area()
    );
    assert_area_field(&path, new, 400.0);
    gdal_agrees(&path, new, &p);
    assert_last_edit(&path, "Thêm vùng vào thua_dat", &[(PARCELS, new, "insert")]);
    // Ctrl+Z goes to the map, not to a text field.
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    undo_restores(&mut h, &path, &[(new, None)]);
}

/// A drag on a selected parcel takes the layer's selection with it; one
/// on a parcel outside the selection moves that parcel alone (through the
/// edit the window sends, run in one transaction of the session).
#[test]
fn a_drag_on_a_selected_parcel_moves_the_whole_selection() {
    use tramgis::crs::Transformer;
    use tramgis::ui::edit::Operation;
    use tramgis::ui::edit::operation::{Dragged, LayerCrs, run};

    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let (a, pa, b, pb) = neighbours(&path);
    let rows = |path: &Path| [(a, row(path, PARCELS, a)), (b, row(path, PARCELS, b))];
    let before = rows(&path);
    let mut session = tramgis::edit::EditSession::open(&path, "kiểm thử").unwrap();
    session.start_editing(PARCELS).unwrap();
    let crs = session.gpkg().layer(PARCELS).unwrap().crs;
    let same = LayerCrs {
        to_layer: Transformer::between(&crs, &crs).unwrap(),
        to_map: Transformer::between(&crs, &crs).unwrap(),
    };
    let on_a = pa.interior_point().unwrap();
    let drag = |selected: Vec<i64>| Operation::Translate {
        layer: PARCELS.into(),
        drag: Dragged {
            selected,
            ..Dragged::under([on_a.x(), on_a.y()], [on_a.x() + 3.0, on_a.y() - 2.0], 0.01)
        },
    };
    let apply = |session: &mut tramgis::edit::EditSession, op: Operation| {
        session
            .apply(&op.description(), |tx| run(tx, &op, &same, &[]))
            .unwrap()
    };

    apply(&mut session, drag(vec![a, b]));
    for (fid, old) in [(a, &pa), (b, &pb)] {
        same_ring(
            polygon(&path, fid).exterior(),
            old.translate(3.0, -2.0).exterior(),
        );
    }
    assert_last_edit(
        &path,
        "Di chuyển đối tượng (thua_dat)",
        &[(PARCELS, a, "update"), (PARCELS, b, "update")],
    );
    session.undo().unwrap();
    assert_eq!(rows(&path), before, "undo restores both");

    // Parcel b selected, a dragged: a moves alone.
    apply(&mut session, drag(vec![b]));
    same_ring(
        polygon(&path, a).exterior(),
        pa.translate(3.0, -2.0).exterior(),
    );
    assert_eq!(row(&path, PARCELS, b), before[1].1);
    assert_last_edit(
        &path,
        "Di chuyển đối tượng (thua_dat)",
        &[(PARCELS, a, "update")],
    );
}

/// In the window: two parcels selected on the map, then the move tool
/// dragging one of them moves both, in one edit.
#[test]
fn the_move_tool_on_a_selected_parcel_moves_the_selection_in_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let (a, pa, b, pb) = neighbours(&path);
    let before = [(a, row(&path, PARCELS, a)), (b, row(&path, PARCELS, b))];
    let mut h = editing_parcels(&path, a);
    let r = MultiPolygon(vec![pa.clone(), pb.clone()])
        .bounding_rect()
        .unwrap();
    zoom_around(
        &mut h,
        [r.center().x, r.center().y],
        2.0 * r.width().max(r.height()),
    );
    select_two(&mut h, &pa, &pb);
    assert_eq!(selected(&h), {
        let mut v = vec![a, b];
        v.sort();
        v
    });
    tool(&mut h, "Di chuyển đối tượng");
    let inside = pa.interior_point().unwrap();
    let from = screen_of(&h, [inside.x(), inside.y()]);
    let to = from + egui::vec2(29.0, 17.0);
    let (m0, m1) = (map_of(&h, from), map_of(&h, to));
    drag_from(&mut h, from, to);
    finish(&mut h);
    let (dx, dy) = (m1[0] - m0[0], m1[1] - m0[1]);
    for (fid, old) in [(a, &pa), (b, &pb)] {
        let new = polygon(&path, fid);
        same_ring(new.exterior(), old.translate(dx, dy).exterior());
        gdal_agrees(&path, fid, &new);
    }
    let mut rows = vec![(PARCELS, a, "update"), (PARCELS, b, "update")];
    rows.sort();
    assert_last_edit(&path, "Di chuyển đối tượng (thua_dat)", &rows);
    undo_restores(&mut h, &path, &before);
}

/// Easting typed first is recognised by its range and added only once the
/// user confirms the order the panel shows; a cancelled one adds nothing.
#[test]
fn an_easting_typed_first_is_confirmed_before_it_becomes_a_vertex() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let (fid, old) = a_parcel(&path);
    let mut h = editing_parcels(&path, fid);
    open_section(&mut h, "Bắt điểm");
    open_section(&mut h, "Nhập số");
    tool(&mut h, "Thêm vùng");
    let c = old.centroid().unwrap();
    let (e, n) = (c.x().round() + 0.5, c.y().round() + 0.25);
    let corners = [[e - 10.0, n - 10.0], [e + 10.0, n - 10.0], [e, n + 10.0]];
    // X (northing) first, as surveyors write it: added at once.
    type_in_field(&mut h, 0, &format!("{} {}", corners[0][1], corners[0][0]));
    press(&mut h, "Thêm đỉnh X, Y");
    assert!(h.query_by_label_contains("đã đảo lại").is_none());
    // Easting first: the panel asks.
    type_in_field(&mut h, 0, &format!("{} {}", corners[1][0], corners[1][1]));
    press(&mut h, "Thêm đỉnh X, Y");
    assert!(
        h.query_by_label_contains("đã đảo lại").is_some(),
        "the swapped order is shown for confirmation"
    );
    assert!(
        h.query_by_label_contains(&format!(
            "X = {:.3}   Y = {:.3}",
            corners[1][1], corners[1][0]
        ))
        .is_some()
    );
    press(&mut h, "Đúng, thêm đỉnh");
    assert!(h.query_by_label_contains("đã đảo lại").is_none());
    // Another one, cancelled: not a vertex.
    type_in_field(&mut h, 0, &format!("{} {}", e + 500.0, n + 500.0));
    press(&mut h, "Thêm đỉnh X, Y");
    press(&mut h, "Hủy");
    type_in_field(&mut h, 0, &format!("{} {}", corners[2][1], corners[2][0]));
    press(&mut h, "Thêm đỉnh X, Y");
    let before = fids(&path, PARCELS);
    // Enter closes the polygon.
    h.key_press(egui::Key::Enter);
    finish(&mut h);
    let new = new_fid(&path, PARCELS, &before);
    same_ring(polygon(&path, new).exterior(), &ring_of(&corners));
}

/// A parcel from its corner list as a surveyor's table gives it (number,
/// X, Y; decimal commas), pasted into the panel: the corners become the
/// drawing's vertices and Enter stores the parcel.
#[test]
fn a_parcel_is_made_from_a_pasted_corner_coordinate_list() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let (fid, old) = a_parcel(&path);
    let mut h = editing_parcels(&path, fid);
    tool(&mut h, "Thêm vùng");
    open_section(&mut h, "Tọa độ góc ranh thửa");
    let c = old.centroid().unwrap();
    let (e, n) = (c.x().round() + 0.5, c.y().round() + 0.25);
    let corners = [
        [e - 12.0, n - 8.0],
        [e + 12.0, n - 8.0],
        [e + 12.0, n + 8.0],
        [e - 12.0, n + 8.0],
    ];
    let mut table = String::from("Điểm;X (m);Y (m)\n");
    for (i, [x, y]) in corners.iter().enumerate() {
        let comma = |v: f64| format!("{v:.2}").replace('.', ",");
        table.push_str(&format!("{};{};{}\n", i + 1, comma(*y), comma(*x)));
    }
    common::ui::type_into(&mut h, egui::accesskit::Role::MultilineTextInput, &table);
    press(&mut h, "Thêm các góc vào bản vẽ");
    assert!(
        h.query_by_label_contains("4 góc đã thêm").is_some(),
        "the panel says the four corners were added"
    );
    let before = fids(&path, PARCELS);
    h.key_press(egui::Key::Enter);
    finish(&mut h);
    let new = new_fid(&path, PARCELS, &before);
    let p = polygon(&path, new);
    same_ring(p.exterior(), &ring_of(&corners));
    assert!((p.unsigned_area() - 24.0 * 16.0).abs() < 0.01);
    assert_area_field(&path, new, 24.0 * 16.0);
    gdal_agrees(&path, new, &p);
}
