//! The window's snapping index follows the view: driven with egui_kittest
//! on the sample through real pointer events. Editing starts zoomed in at
//! one end of the layer, so the index holds only that area; after moving
//! the view to the other end, a click near a parcel's corner there snaps
//! onto it exactly, and the stored vertex is that corner.
#![cfg(feature = "gui")]

mod common;

use egui_kittest::kittest::Queryable;
use geo_types::{Coord, Geometry, Polygon};
use tramgis::gpkg::GeoPackage;
use tramgis::ui::tools::MapPointer;

use common::ui::{
    AppHarness, click_map, harness, last_edit, ogrinfo_feature, reader, resolution, screen_of,
    start_editing, wkt_numbers, zoom_around,
};

/// The sample's plain parcels (four corners, no pond, convex, not
/// slender), by fid, with their longest edge, whose corner `ring[1]` has
/// no other vertex of the layer within a tenth of that edge (only the
/// parcels sharing it), so a click near it can snap nowhere else.
fn plain_parcels(path: &std::path::Path) -> Vec<(i64, Polygon<f64>, f64)> {
    let gpkg = GeoPackage::open_read_only(path).unwrap();
    let features = gpkg.all_features("thua_dat").unwrap();
    let vertices: Vec<Coord<f64>> = features
        .iter()
        .filter_map(|f| match &f.geometry {
            Some(Geometry::Polygon(p)) => Some(p.exterior().0.clone()),
            Some(Geometry::MultiPolygon(m)) => {
                Some(m.0.iter().flat_map(|p| p.exterior().0.clone()).collect())
            }
            _ => None,
        })
        .flatten()
        .collect();
    features
        .into_iter()
        .filter_map(|f| match f.geometry {
            Some(Geometry::Polygon(p)) if p.interiors().is_empty() && p.exterior().0.len() == 5 => {
                let r = &p.exterior().0;
                let edges: Vec<f64> = (0..4)
                    .map(|i| (r[i + 1].x - r[i].x).hypot(r[i + 1].y - r[i].y))
                    .collect();
                let longest = edges.iter().cloned().fold(0.0, f64::max);
                let shortest = edges.iter().cloned().fold(f64::MAX, f64::min);
                let turns: Vec<f64> = (0..4)
                    .map(|i| {
                        let (a, b, c) = (r[i], r[i + 1], r[(i + 2) % 4]);
                        (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x)
                    })
                    .collect();
                let convex = turns.iter().all(|t| *t > 0.0) || turns.iter().all(|t| *t < 0.0);
                let corner = r[1];
                let alone = vertices.iter().all(|v| {
                    *v == corner || (v.x - corner.x).hypot(v.y - corner.y) > 0.1 * longest
                });
                (convex && shortest > 0.3 * longest && alone).then(|| (f.fid.unwrap(), p, longest))
            }
            _ => None,
        })
        .collect()
}

fn centre(p: &Polygon<f64>) -> Coord<f64> {
    let r = &p.exterior().0;
    Coord {
        x: (r[0].x + r[1].x + r[2].x + r[3].x) / 4.0,
        y: (r[0].y + r[1].y + r[2].y + r[3].y) / 4.0,
    }
}

/// Whether the window's snapping pulls a pointer at `p` onto `to`.
fn snaps_onto(h: &mut AppHarness, p: Coord<f64>, to: Coord<f64>) -> bool {
    let res = resolution(h);
    let pointer = MapPointer {
        screen: egui::pos2(0.0, 0.0),
        map: [p.x, p.y],
        snapped: false,
    };
    let got = h.state_mut().0.snapping_mut().adjust(pointer, res);
    got.snapped && got.map == [to.x, to.y]
}

#[test]
fn after_panning_away_a_click_near_a_corner_there_snaps_onto_it_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let mut parcels = plain_parcels(&path);
    // Parcels of about the median size, so one scale suits both ends.
    let mut sizes: Vec<f64> = parcels.iter().map(|p| p.2).collect();
    sizes.sort_by(f64::total_cmp);
    let median = sizes[sizes.len() / 2];
    parcels.retain(|p| p.2 > 0.6 * median && p.2 < 1.6 * median);
    // The two plain parcels farthest apart (west-most and east-most).
    let west = parcels
        .iter()
        .min_by(|a, b| centre(&a.1).x.total_cmp(&centre(&b.1).x))
        .unwrap();
    let east = parcels
        .iter()
        .max_by(|a, b| centre(&a.1).x.total_cmp(&centre(&b.1).x))
        .unwrap();
    let ring = east.1.exterior().0.clone();
    // One scale for both views: the larger of the two parcels fits.
    let size = west.2.max(east.2);
    let (cw, ce) = (centre(&west.1), centre(&east.1));
    assert!(
        (ce.x - cw.x) > 20.0 * size,
        "the parcels lie {} parcel sizes apart",
        (ce.x - cw.x) / size
    );

    let mut h = harness(path.clone());
    h.state_mut().0.set_label_field("thua_dat", None);
    h.state_mut().0.finish_loading();
    // Editing starts zoomed in on the west parcel: only that area (and a
    // margin) is indexed.
    zoom_around(&mut h, [cw.x, cw.y], 2.0 * size);
    start_editing(&mut h, "thua_dat");
    let corner = ring[1];
    let near = Coord {
        x: corner.x + 0.2 * size / 10.0,
        y: corner.y - 0.1 * size / 10.0,
    };
    assert!(
        !snaps_onto(&mut h, near, corner),
        "the east parcel's corner is not indexed while the view is in the west"
    );
    let west_corner = west.1.exterior().0[1];
    assert!(snaps_onto(
        &mut h,
        Coord {
            x: west_corner.x + 0.02 * size,
            y: west_corner.y
        },
        west_corner
    ));

    // The view moves to the east parcel, at the same scale.
    zoom_around(&mut h, [ce.x, ce.y], 2.0 * size);
    h.run_steps(2);
    h.state_mut().0.finish_editing();
    h.run_steps(1);

    // A polygon whose first click lands a few pixels off the corner (it
    // snaps there) and whose other two are inside the parcel (nothing to
    // snap to within the tolerance).
    h.get_by_label("Thêm vùng").click();
    h.run_steps(2);
    let res = resolution(&h);
    let off = Coord {
        x: corner.x + 3.0 * res,
        y: corner.y - 2.0 * res,
    };
    let c = centre(&east.1);
    let inner = Coord {
        x: (c.x + ring[2].x) / 2.0,
        y: (c.y + ring[2].y) / 2.0,
    };
    for p in [off, c, inner] {
        let at = screen_of(&h, [p.x, p.y]);
        click_map(&mut h, at);
    }
    h.key_press(egui::Key::Enter);
    common::ui::finish(&mut h);

    let (_, rows) = last_edit(&path);
    let added: Vec<i64> = rows
        .iter()
        .filter(|(t, _, op)| t == "thua_dat" && op == "insert")
        .map(|r| r.1)
        .collect();
    assert_eq!(added.len(), 1, "{rows:?}");
    let f = reader(&path)
        .get_feature("thua_dat", added[0])
        .unwrap()
        .unwrap();
    let Some(Geometry::Polygon(p)) = f.geometry else {
        panic!("a polygon was stored")
    };
    assert!(
        p.exterior().0.contains(&corner),
        "the stored ring {:?} holds the east parcel's corner {corner:?} exactly",
        p.exterior().0
    );
    assert!(!p.exterior().0.contains(&off));
    // GDAL reads the same corner.
    let gdal = ogrinfo_feature(&path, "thua_dat", added[0]);
    let numbers = wkt_numbers(&gdal[gdal.find("POLYGON").expect("ogrinfo shows it")..]);
    assert!(
        numbers
            .chunks(2)
            .any(|xy| (xy[0] - corner.x).abs() < 1e-6 && (xy[1] - corner.y).abs() < 1e-6),
        "ogrinfo: {numbers:?}"
    );
}
