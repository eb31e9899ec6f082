//! Tracing in the window, driven with egui_kittest through real pointer
//! events on the sample: a new parcel drawn along two edges of an existing
//! one takes the neighbour's corner between the clicks exactly, overlaps
//! it nowhere, and GDAL reads it back.
#![cfg(feature = "gui")]

mod common;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use geo::{Area, BooleanOps};
use geo_types::{Coord, Geometry, Polygon};
use tramgis::ui::map::ScreenView;

use common::ui::{State, click_map, edits, harness, reader};
use tramgis::gpkg::GeoPackage;

fn screen_of(h: &Harness<'static, State>, p: Coord<f64>) -> egui::Pos2 {
    let app = &h.state().0;
    app.view()
        .unwrap()
        .to_screen(app.map_rect().unwrap(), [p.x, p.y])
}

/// A parcel of the sample without a pond, four corners, convex and not
/// slender, about square at `v1` and its second edge not much shorter than
/// its first, whose corner `v1` the test traces around: no other vertex of
/// the layer lies on the half-edges either side of it (the trace between
/// the edges' midpoints passes `v1` only) nor near those midpoints (the
/// clicks there snap onto the edges). The first such parcel by fid.
fn plain_parcel(path: &std::path::Path) -> (i64, Polygon<f64>) {
    let gpkg = GeoPackage::open_read_only(path).unwrap();
    let features = gpkg.all_features("thua_dat").unwrap();
    let vertices: Vec<Coord<f64>> = features
        .iter()
        .flat_map(|f| match &f.geometry {
            Some(Geometry::Polygon(p)) => p.exterior().0.clone(),
            Some(Geometry::MultiPolygon(m)) => {
                m.0.iter().flat_map(|p| p.exterior().0.clone()).collect()
            }
            _ => Vec::new(),
        })
        .collect();
    features
        .into_iter()
        .find_map(|f| match f.geometry {
            Some(Geometry::Polygon(p))
                if p.interiors().is_empty()
                    && p.exterior().0.len() == 5
                    && traceable(&p.exterior().0, &vertices) =>
            {
                Some((f.fid.unwrap(), p))
            }
            _ => None,
        })
        .expect("a parcel without a pond")
}

/// Whether the closed four-corner `ring` suits the trace around `ring[1]`.
fn traceable(r: &[Coord<f64>], vertices: &[Coord<f64>]) -> bool {
    let edge = |i: usize| (r[i + 1].x - r[i].x).hypot(r[i + 1].y - r[i].y);
    let edges = [edge(0), edge(1), edge(2), edge(3)];
    let longest = edges.iter().cloned().fold(0.0, f64::max);
    let shortest = edges.iter().cloned().fold(f64::MAX, f64::min);
    let turn = |i: usize| {
        let (a, b, c) = (r[i], r[i + 1], r[(i + 2) % 4]);
        (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x)
    };
    let turns = [turn(0), turn(1), turn(2), turn(3)];
    let convex = turns.iter().all(|t| *t > 0.0) || turns.iter().all(|t| *t < 0.0);
    if !convex || shortest < 0.3 * longest {
        return false;
    }
    let (v0, v1, v2) = (r[0], r[1], r[2]);
    let size = edge(0);
    // About a right angle at v1, so the new parcel beyond it has room.
    let cos = ((v0 - v1).x * (v2 - v1).x + (v0 - v1).y * (v2 - v1).y) / (size * edge(1));
    if cos.abs() > 0.5 || edge(1) < 0.6 * size {
        return false;
    }
    let (m01, m12) = (mid(v0, v1), mid(v1, v2));
    let far = |p: Coord<f64>, q: Coord<f64>| (p.x - q.x).hypot(p.y - q.y) > 0.1 * size;
    vertices.iter().filter(|v| **v != v1).all(|&v| {
        off_segment(v, m01, v1) > 0.01 * size
            && off_segment(v, v1, m12) > 0.01 * size
            && far(v, m01)
            && far(v, m12)
    })
}

fn mid(a: Coord<f64>, b: Coord<f64>) -> Coord<f64> {
    Coord {
        x: (a.x + b.x) / 2.0,
        y: (a.y + b.y) / 2.0,
    }
}

/// Distance from `p` to the segment `a`–`b`.
fn off_segment(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let d = b - a;
    let t = (((p - a).x * d.x + (p - a).y * d.y) / (d.x * d.x + d.y * d.y)).clamp(0.0, 1.0);
    let q = a + d * t;
    (p.x - q.x).hypot(p.y - q.y)
}

#[test]
fn a_parcel_traced_along_two_edges_of_its_neighbour_takes_its_corner_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let (fid, parcel) = plain_parcel(&path);
    let ring = parcel.exterior().0.clone();
    let (v0, v1, v2) = (ring[0], ring[1], ring[2]);
    let size = (v1.x - v0.x).hypot(v1.y - v0.y);
    let centre = mid(mid(ring[0], ring[1]), mid(ring[2], ring[3]));

    let mut h = harness(path.clone());
    h.state_mut().0.set_label_field("thua_dat", None);
    h.state_mut().0.finish_loading();
    let half = 2.0 * size;
    let b = tramgis::ui::map::Bbox::new(
        (centre.x - half, centre.y - half),
        (centre.x + half, centre.y + half),
    );
    h.state_mut().0.apply(tramgis::ui::AppCommand::ZoomToBox(b));
    h.run_steps(2);
    h.get_by_label("Chỉnh sửa: thua_dat").click();
    h.run_steps(2);
    h.state_mut().0.finish_editing();
    h.run_steps(1);
    let (before, edits_before) = (common::ui::fids(&path, "thua_dat"), edits(&path));

    h.get_by_label("Thêm vùng").click();
    h.run_steps(2);
    // Tracing on with the T key, as in QGIS (the map has the pointer).
    h.hover_at(screen_of(&h, centre));
    h.run_steps(1);
    h.key_press(egui::Key::T);
    h.run_steps(2);

    // Two clicks on the parcel's edges either side of corner v1 (each
    // snaps onto its edge), then one outside beyond the corner.
    let (a, b) = (screen_of(&h, mid(v0, v1)), screen_of(&h, mid(v1, v2)));
    click_map(&mut h, a);
    click_map(&mut h, b);
    // Tracing off (its checkbox) for the last, free corner.
    h.get_by_label("Vẽ bám theo cạnh có sẵn (phím T)").click();
    h.run_steps(2);
    // Opposite the parcel across v1, as far as the clicks are from it.
    let outside = v1 + (v1 - mid(v0, v1)) + (v1 - mid(v1, v2));
    let c = screen_of(&h, outside);
    click_map(&mut h, c);
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    h.state_mut().0.finish_editing();
    h.run_steps(2);
    let message = h.state().0.message();
    assert!(message.is_none(), "the window reported: {message:?}");

    let after = common::ui::fids(&path, "thua_dat");
    assert_eq!(after.len(), before.len() + 1);
    let new = *after.iter().find(|f| !before.contains(f)).unwrap();
    let gpkg = reader(&path);
    let Some(Geometry::Polygon(drawn)) =
        gpkg.get_feature("thua_dat", new).unwrap().unwrap().geometry
    else {
        panic!("a polygon");
    };
    let got = &drawn.exterior().0;
    assert_eq!(
        got.len(),
        5,
        "the two ends, the traced corner, the free corner: {got:?}"
    );
    // The clicked ends lie on the neighbour's edges; between them, the
    // neighbour's corner exactly (the same f64s as in the file).
    assert!(off_segment(got[0], v0, v1) < 1e-6, "{got:?}");
    assert_eq!(got[1], v1, "the traced corner is the neighbour's vertex");
    assert!(off_segment(got[2], v1, v2) < 1e-6, "{got:?}");
    assert!((got[0].x - mid(v0, v1).x).hypot(got[0].y - mid(v0, v1).y) < 0.05 * size);
    // The neighbour is untouched and the new parcel overlaps it nowhere.
    let Some(Geometry::Polygon(still)) =
        gpkg.get_feature("thua_dat", fid).unwrap().unwrap().geometry
    else {
        panic!("the neighbour is a polygon");
    };
    assert_eq!(still, parcel);
    let overlap = drawn.intersection(&parcel).unsigned_area();
    assert!(overlap < 0.01, "overlap {overlap} m²");
    assert!(drawn.unsigned_area() > 0.1 * size * size);

    // One edit in the journal, one inserted row.
    assert_eq!(edits(&path), edits_before + 1);
    let (description, rows): (String, i64) = gpkg
        .connection()
        .query_row(
            "SELECT e.description, (SELECT count(*) FROM tramgis_changes c WHERE c.edit_id = e.edit_id) \
             FROM tramgis_edits e ORDER BY e.edit_id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(description, "Thêm vùng vào thua_dat");
    assert_eq!(rows, 1);

    // GDAL reads the traced corner back.
    let (ok, out, err) = common::tool(
        "ogrinfo",
        &[
            "-ro",
            "-q",
            path.to_str().unwrap(),
            "thua_dat",
            "-fid",
            &new.to_string(),
        ],
    );
    assert!(ok, "ogrinfo failed: {err}");
    let wkt = &out[out.find("POLYGON ((").expect("ogrinfo shows the polygon")..];
    let numbers: Vec<f64> = wkt["POLYGON ((".len()..]
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(numbers.len(), 10, "{wkt}");
    assert!(
        (numbers[2] - v1.x).abs() < 1e-6 && (numbers[3] - v1.y).abs() < 1e-6,
        "{wkt}"
    );
}
