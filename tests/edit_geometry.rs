//! The geometry tools through the edit API on the sample workspace: the
//! file holds the expected geometry, ogrinfo reads it, the journal has the
//! rows.

mod common;

use std::collections::HashMap;
use std::path::Path;

use geo::{Area, BooleanOps};
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Polygon};
use tramgis::edit::EditSession;
use tramgis::edit::geometry::rings::{FillRing, fill_ring_in};
use tramgis::edit::geometry::vertex::delete_vertices_in;
use tramgis::edit::geometry::{VertexId, reshape::reshape_in, vertices};
use tramgis::edit::numeric::{parcel_from_corners, parse_corners};
use tramgis::edit::topology::move_vertex_topological;
use tramgis::model::{Feature, FieldValue};

const LAYER: &str = "thua_dat";

fn session(path: &Path) -> EditSession {
    let mut s = EditSession::open(path, "kiem_thu").unwrap();
    s.start_editing(LAYER).unwrap();
    s
}

fn geometry(s: &EditSession, fid: i64) -> Geometry<f64> {
    s.gpkg()
        .get_feature(LAYER, fid)
        .unwrap()
        .unwrap()
        .geometry
        .unwrap()
}

fn multi(g: &Geometry<f64>) -> MultiPolygon<f64> {
    match g {
        Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
        Geometry::MultiPolygon(m) => m.clone(),
        _ => panic!("not a polygon"),
    }
}

/// ogrinfo's WKT of one feature, and its dien_tich.
fn ogr_feature(path: &Path, fid: i64) -> String {
    let (ok, out, err) = common::tool(
        "ogrinfo",
        &[
            "-ro",
            "-q",
            path.to_str().unwrap(),
            LAYER,
            "-fid",
            &fid.to_string(),
        ],
    );
    assert!(ok, "ogrinfo: {err}");
    out
}

fn ogr_has_coord(out: &str, c: Coord<f64>) -> bool {
    // ogrinfo prints coordinates with up to 15 significant digits.
    let nums: Vec<f64> = out
        .split(|ch: char| !(ch.is_ascii_digit() || ch == '.' || ch == '-'))
        .filter_map(|t| t.parse().ok())
        .collect();
    nums.windows(2)
        .any(|w| (w[0] - c.x).abs() < 1e-6 && (w[1] - c.y).abs() < 1e-6)
}

fn journal(s: &EditSession, edit_id: i64) -> (String, Vec<(i64, String)>) {
    let conn = s.gpkg().connection();
    let description: String = conn
        .query_row(
            "SELECT description FROM tramgis_edits WHERE edit_id = ?1",
            [edit_id],
            |r| r.get(0),
        )
        .unwrap();
    let mut stmt = conn
        .prepare("SELECT fid, op FROM tramgis_changes WHERE edit_id = ?1 AND table_name = ?2 ORDER BY fid")
        .unwrap();
    let rows = stmt
        .query_map(rusqlite::params![edit_id, LAYER], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    (description, rows)
}

fn edits(s: &EditSession) -> i64 {
    s.gpkg()
        .connection()
        .query_row("SELECT count(*) FROM tramgis_edits", [], |r| r.get(0))
        .unwrap()
}

fn dien_tich(s: &EditSession, fid: i64) -> f64 {
    let info = s.gpkg().layer(LAYER).unwrap();
    let i = info
        .schema
        .fields
        .iter()
        .position(|f| f.name == "dien_tich")
        .unwrap();
    s.gpkg().get_feature(LAYER, fid).unwrap().unwrap().values[i]
        .as_f64()
        .unwrap()
}

/// A vertex of the sample shared by exactly four parcels (a lattice node
/// inside a block), with the four fids and the vertex id in the first.
fn four_way_vertex(s: &EditSession) -> (Coord<f64>, Vec<i64>, i64, VertexId) {
    let mut at: HashMap<(u64, u64), Vec<(i64, VertexId)>> = HashMap::new();
    let mut area: HashMap<i64, f64> = HashMap::new();
    for f in s.gpkg().all_features(LAYER).unwrap() {
        area.insert(f.fid.unwrap(), f.geometry.as_ref().unwrap().unsigned_area());
        for (v, c) in vertices(f.geometry.as_ref().unwrap()) {
            if v.ring == 0 {
                at.entry((c.x.to_bits(), c.y.to_bits()))
                    .or_default()
                    .push((f.fid.unwrap(), v));
            }
        }
    }
    let mut found: Vec<_> = at.into_iter().filter(|(_, v)| v.len() == 4).collect();
    // The smallest four (lots inside a block, not fields of tens of km²):
    // boolean ops on huge rings at VN-2000 magnitudes leave centimetres² of
    // noise that would hide a real gap.
    let total = |v: &[(i64, VertexId)]| v.iter().map(|o| area[&o.0]).sum::<f64>();
    found.sort_by(|a, b| {
        total(&a.1)
            .total_cmp(&total(&b.1))
            .then(a.1[0].0.cmp(&b.1[0].0))
    });
    let ((x, y), owners) = found.into_iter().next().expect("a four-way vertex");
    let c = Coord {
        x: f64::from_bits(x),
        y: f64::from_bits(y),
    };
    let mut fids: Vec<i64> = owners.iter().map(|o| o.0).collect();
    fids.sort();
    (c, fids, owners[0].0, owners[0].1)
}

#[test]
fn moving_a_shared_vertex_topologically_leaves_no_gap_or_overlap() {
    let dir = tempfile::tempdir().unwrap();
    // 209 communes: enough parcels for blocks with inner lattice nodes.
    let path = common::sample(dir.path(), 2_000);
    let mut s = session(&path);
    let (old, fids, fid, vertex) = four_way_vertex(&s);
    let before: Vec<Geometry<f64>> = fids.iter().map(|f| geometry(&s, *f)).collect();
    let sum_before: f64 = before.iter().map(|g| g.unsigned_area()).sum();
    let new = Coord {
        x: old.x + 1.7,
        y: old.y - 0.9,
    };
    let applied = move_vertex_topological(&mut s, LAYER, fid, vertex, new, 0.01).unwrap();
    assert_eq!(applied.description, "Di chuyển đỉnh");
    let mut updated = applied.layer(LAYER).unwrap().updated.clone();
    updated.sort();
    assert_eq!(updated, fids, "all four parcels sharing the vertex moved");

    let after: Vec<Geometry<f64>> = fids.iter().map(|f| geometry(&s, *f)).collect();
    let sum_after: f64 = after.iter().map(|g| g.unsigned_area()).sum();
    assert!(
        (sum_after - sum_before).abs() < 1e-6,
        "{sum_before} -> {sum_after}"
    );
    for i in 0..4 {
        assert!(vertices(&after[i]).iter().any(|(_, c)| *c == new));
        assert!(!vertices(&after[i]).iter().any(|(_, c)| *c == old));
        for j in i + 1..4 {
            let overlap = multi(&after[i])
                .intersection(&multi(&after[j]))
                .unsigned_area();
            assert!(
                overlap < 1e-6,
                "parcels {} and {} overlap by {overlap} m²",
                fids[i],
                fids[j]
            );
        }
        // The area field follows the geometry.
        assert!((dien_tich(&s, fids[i]) - after[i].unsigned_area()).abs() <= 0.05 + 1e-9);
    }
    // No gap: the four together cover what they covered before.
    let union_before = before
        .iter()
        .fold(MultiPolygon::<f64>(vec![]), |u, g| u.union(&multi(g)));
    let union_after = after
        .iter()
        .fold(MultiPolygon::<f64>(vec![]), |u, g| u.union(&multi(g)));
    assert!(
        (union_after.unsigned_area() - union_before.unsigned_area()).abs() < 1e-6,
        "the union's area changed: {} -> {} (parcels {fids:?}, vertex {old:?})",
        union_before.unsigned_area(),
        union_after.unsigned_area()
    );
    let moved_out = union_before.xor(&union_after).unsigned_area();
    // Boolean ops at VN-2000 magnitudes (10^6 m) leave ~10^-6 m² of noise.
    assert!(
        moved_out < 1e-4,
        "the outline changed by {moved_out} m² ({} -> {})",
        union_before.unsigned_area(),
        union_after.unsigned_area()
    );

    let (description, rows) = journal(&s, applied.edit_id);
    assert_eq!(description, "Di chuyển đỉnh");
    assert_eq!(
        rows,
        fids.iter()
            .map(|f| (*f, "update".to_string()))
            .collect::<Vec<_>>()
    );
    drop(s);
    for f in &fids {
        assert!(
            ogr_has_coord(&ogr_feature(&path, *f), new),
            "ogrinfo sees the moved vertex in {f}"
        );
    }
    // Undo gives the exact old geometries back.
    let mut s = session(&path);
    s.undo().unwrap().unwrap();
    for (f, g) in fids.iter().zip(&before) {
        assert_eq!(&geometry(&s, *f), g);
    }
}

#[test]
fn a_t_junction_neighbour_gets_a_vertex_so_no_gap_opens() {
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, path) = common::lots(dir.path(), 0);
    // Two small lots on top of one long one: their shared corner (5, 5)
    // lies on the long lot's top edge, which has no vertex there.
    for ring in [
        vec![(0., 5.), (5., 5.), (5., 10.), (0., 10.), (0., 5.)],
        vec![(5., 5.), (10., 5.), (10., 10.), (5., 10.), (5., 5.)],
        vec![(0., 0.), (10., 0.), (10., 5.), (0., 5.), (0., 0.)],
    ] {
        let p = Polygon::new(LineString::from(ring), vec![]);
        gpkg.insert_feature(
            "lots",
            &Feature::new(
                Some(Geometry::Polygon(p)),
                vec![
                    FieldValue::Text("ODT".into()),
                    FieldValue::Real(25.0),
                    FieldValue::Null,
                ],
            ),
        )
        .unwrap();
    }
    drop(gpkg);
    let mut s = EditSession::open(&path, "kiem_thu").unwrap();
    s.start_editing("lots").unwrap();
    let sum = |s: &EditSession| -> f64 {
        (1..=3)
            .map(|f| {
                s.gpkg()
                    .get_feature("lots", f)
                    .unwrap()
                    .unwrap()
                    .geometry
                    .unwrap()
                    .unsigned_area()
            })
            .sum()
    };
    let before = sum(&s);
    let applied = move_vertex_topological(
        &mut s,
        "lots",
        1,
        VertexId::new(0, 0, 1),
        Coord { x: 5., y: 3. },
        0.01,
    )
    .unwrap();
    assert_eq!(applied.layer("lots").unwrap().updated.len(), 3);
    assert!((sum(&s) - before).abs() < 1e-9);
    let long = s
        .gpkg()
        .get_feature("lots", 3)
        .unwrap()
        .unwrap()
        .geometry
        .unwrap();
    assert!(
        vertices(&long)
            .iter()
            .any(|(_, c)| *c == Coord { x: 5., y: 3. })
    );
    // The area field of each lot was set from its new geometry.
    let area = s.gpkg().get_feature("lots", 3).unwrap().unwrap().values[1].clone();
    assert_eq!(
        area,
        FieldValue::Real(25.0),
        "'area' is not an area field by name; left alone"
    );
}

#[test]
fn deleting_too_many_vertices_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 50);
    let mut s = session(&path);
    let g = geometry(&s, 1);
    let n = vertices(&g).iter().filter(|(v, _)| v.ring == 0).count();
    let ids: Vec<VertexId> = (0..n - 2).map(|i| VertexId::new(0, 0, i)).collect();
    let count = edits(&s);
    let err = delete_vertices_in(&mut s, LAYER, 1, &ids)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("thua_dat") && err.contains("feature 1") && err.contains("at least 4"),
        "{err}"
    );
    assert_eq!(edits(&s), count, "no edit row for a refused edit");
    assert_eq!(geometry(&s, 1), g);
    // One vertex fewer is fine: a triangle.
    let applied = delete_vertices_in(&mut s, LAYER, 1, &ids[..1]).unwrap();
    assert_eq!(
        journal(&s, applied.edit_id),
        ("Xóa đỉnh".to_string(), vec![(1, "update".to_string())])
    );
}

#[test]
fn fill_ring_makes_a_new_parcel_and_both_areas_are_right() {
    let dir = tempfile::tempdir().unwrap();
    // Every 37th parcel of a commune (209 of them) has a pond.
    let path = common::sample(dir.path(), 8_000);
    let mut s = session(&path);
    // The sample gives every 37th parcel of a commune a pond.
    let (fid, g) = s
        .gpkg()
        .all_features(LAYER)
        .unwrap()
        .into_iter()
        .find_map(|f| match &f.geometry {
            Some(Geometry::Polygon(p)) if !p.interiors().is_empty() => {
                Some((f.fid.unwrap(), f.geometry.unwrap()))
            }
            _ => None,
        })
        .expect("a parcel with a hole");
    let Geometry::Polygon(p) = &g else {
        unreachable!()
    };
    let outline = Polygon::new(p.exterior().clone(), vec![]).unsigned_area();
    let (new_fid, applied) = fill_ring_in(
        &mut s,
        LAYER,
        fid,
        FillRing::Hole { part: 0, ring: 1 },
        None,
    )
    .unwrap();
    let (description, rows) = journal(&s, applied.edit_id);
    assert!(description.starts_with("Lấp lỗ"), "{description}");
    assert_eq!(rows, vec![(new_fid, "insert".to_string())]);
    let fill = geometry(&s, new_fid);
    assert!((geometry(&s, fid).unsigned_area() + fill.unsigned_area() - outline).abs() < 1e-6);
    assert!(
        (dien_tich(&s, new_fid) - fill.unsigned_area()).abs() <= 0.05 + 1e-9,
        "the new parcel's own area"
    );
    assert!(
        multi(&fill)
            .intersection(&multi(&geometry(&s, fid)))
            .unsigned_area()
            < 1e-6
    );
    // A drawn ring inside another parcel: the parcel gets the hole, its area
    // field drops by the new parcel's area.
    let other = if fid == 1 { 2 } else { 1 };
    let og = geometry(&s, other);
    let c = vertices(&og);
    let centre = Coord {
        x: c.iter().map(|(_, c)| c.x).sum::<f64>() / c.len() as f64,
        y: c.iter().map(|(_, c)| c.y).sum::<f64>() / c.len() as f64,
    };
    let ring = LineString::from(vec![
        (centre.x - 2., centre.y - 2.),
        (centre.x + 2., centre.y - 2.),
        (centre.x + 2., centre.y + 2.),
        (centre.x - 2., centre.y + 2.),
        (centre.x - 2., centre.y - 2.),
    ]);
    let (pond, _) = fill_ring_in(&mut s, LAYER, other, FillRing::Drawn(&ring), None).unwrap();
    assert!((geometry(&s, pond).unsigned_area() - 16.0).abs() < 1e-6);
    assert!((dien_tich(&s, other) - (og.unsigned_area() - 16.0)).abs() <= 0.05 + 1e-6);
    drop(s);
    let out = ogr_feature(&path, pond);
    assert!(
        out.contains("POLYGON") && out.contains("dien_tich (Real) = 16"),
        "{out}"
    );
}

#[test]
fn reshape_through_the_edit_api_writes_the_reshaped_geometry() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 50);
    let mut s = session(&path);
    let g = geometry(&s, 3);
    let v = vertices(&g);
    let (a, b) = (v[0].1, v[1].1);
    // Bulge the first edge outwards (to the right of a ring going a -> b
    // counter-clockwise is outside): cross it at 1/4 and 3/4.
    let at = |t: f64| Coord {
        x: a.x + (b.x - a.x) * t,
        y: a.y + (b.y - a.y) * t,
    };
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len = dx.hypot(dy);
    let out = Coord {
        x: dy / len * 3.0,
        y: -dx / len * 3.0,
    };
    let inside = Coord {
        x: -out.x / 3.0,
        y: -out.y / 3.0,
    };
    let drawn = LineString(vec![
        at(0.25) + inside,
        at(0.25) + out,
        at(0.75) + out,
        at(0.75) + inside,
    ]);
    let expected = tramgis::edit::geometry::reshape::reshape(&g, &drawn).unwrap();
    assert!(expected.unsigned_area() > g.unsigned_area() + 0.5 * len * 3.0 - 1e-6);
    let applied = reshape_in(&mut s, LAYER, 3, &drawn).unwrap();
    assert_eq!(geometry(&s, 3), expected);
    assert_eq!(
        journal(&s, applied.edit_id).1,
        vec![(3, "update".to_string())]
    );
    drop(s);
    assert!(ogr_has_coord(&ogr_feature(&path, 3), at(0.75) + out));
}

#[test]
fn a_new_parcel_avoids_its_neighbours_and_corner_lists_become_parcels() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 50);
    let mut s = session(&path);
    // A square around a corner of the block (a vertex of one parcel only)
    // overlaps that parcel and its neighbours, and reaches outside.
    let all = s.gpkg().all_features(LAYER).unwrap();
    let owners = |c: Coord<f64>| {
        all.iter()
            .filter(|f| {
                vertices(f.geometry.as_ref().unwrap())
                    .iter()
                    .any(|(_, v)| *v == c)
            })
            .count()
    };
    let c = all
        .iter()
        .flat_map(|f| vertices(f.geometry.as_ref().unwrap()))
        .map(|(_, c)| c)
        .find(|c| owners(*c) == 1)
        .expect("a block has corners");
    let text = format!(
        "STT;X;Y\n1;{:.3};{:.3}\n2;{:.3};{:.3}\n3;{:.3};{:.3}\n4;{:.3};{:.3}\n",
        c.y - 4.0,
        c.x - 4.0,
        c.y - 4.0,
        c.x + 4.0,
        c.y + 4.0,
        c.x + 4.0,
        c.y + 4.0,
        c.x - 4.0
    )
    .replace('.', ",");
    let list = parse_corners(&text).unwrap();
    assert!(!list.swapped);
    let square = parcel_from_corners(&list).unwrap();
    assert!((square.unsigned_area() - 64.0).abs() < 1e-6);
    let info = s.gpkg().layer(LAYER).unwrap();
    let values = vec![FieldValue::Null; info.schema.fields.len()];
    let feature = Feature::new(Some(Geometry::Polygon(square)), values);
    let (fid, applied) = tramgis::edit::geometry::avoid_overlaps::insert_avoiding_overlaps(
        &mut s,
        LAYER,
        feature,
        &[LAYER],
    )
    .unwrap();
    assert_eq!(
        journal(&s, applied.edit_id).1,
        vec![(fid, "insert".to_string())]
    );
    let cut = geometry(&s, fid);
    for n in s.gpkg().all_features(LAYER).unwrap() {
        if n.fid == Some(fid) {
            continue;
        }
        let overlap = multi(&cut)
            .intersection(&multi(n.geometry.as_ref().unwrap()))
            .unsigned_area();
        assert!(overlap < 1e-6, "overlaps {:?} by {overlap}", n.fid);
    }
    assert!(cut.unsigned_area() < 64.0 - 1.0, "{}", cut.unsigned_area());
    drop(s);
    let (ok, out, err) = common::tool(
        "ogrinfo",
        &[
            "-ro",
            "-q",
            path.to_str().unwrap(),
            LAYER,
            "-fid",
            &fid.to_string(),
        ],
    );
    assert!(ok && out.contains("POLYGON"), "{err}{out}");
}

#[test]
fn offset_a_road_and_add_then_delete_a_ring() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 50);
    let mut s = EditSession::open(&path, "kiem_thu").unwrap();
    s.start_editing("duong_giao_thong").unwrap();
    s.start_editing(LAYER).unwrap();
    let road = s
        .gpkg()
        .get_feature("duong_giao_thong", 1)
        .unwrap()
        .unwrap()
        .geometry
        .unwrap();
    let applied =
        tramgis::edit::geometry::offset::offset_in(&mut s, "duong_giao_thong", 1, 5.0).unwrap();
    let moved = s
        .gpkg()
        .get_feature("duong_giao_thong", 1)
        .unwrap()
        .unwrap()
        .geometry
        .unwrap();
    assert_eq!(
        moved,
        tramgis::edit::geometry::offset::offset_line(&road, 5.0).unwrap()
    );
    // Every vertex of the copy lies at least 5 m from the old line (to a mm).
    for (_, c) in vertices(&moved) {
        let d = geo::Distance::distance(&geo::Euclidean, &geo_types::Point(c), &road);
        assert!(d > 5.0 - 1e-3, "{c:?} is {d} m from the road");
    }
    let rows: i64 = s
        .gpkg()
        .connection()
        .query_row(
            "SELECT count(*) FROM tramgis_changes WHERE edit_id = ?1 AND table_name = 'duong_giao_thong' AND fid = 1",
            [applied.edit_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rows, 1);

    let g = geometry(&s, 2);
    let area = g.unsigned_area();
    let c = vertices(&g);
    let centre = Coord {
        x: c.iter().map(|(_, c)| c.x).sum::<f64>() / c.len() as f64,
        y: c.iter().map(|(_, c)| c.y).sum::<f64>() / c.len() as f64,
    };
    let ring = LineString::from(vec![
        (centre.x - 1., centre.y - 1.),
        (centre.x + 1., centre.y - 1.),
        (centre.x + 1., centre.y + 1.),
        (centre.x - 1., centre.y + 1.),
        (centre.x - 1., centre.y - 1.),
    ]);
    tramgis::edit::geometry::rings::add_ring_in(&mut s, LAYER, 2, &ring).unwrap();
    assert!((geometry(&s, 2).unsigned_area() - (area - 4.0)).abs() < 1e-6);
    assert!((dien_tich(&s, 2) - (area - 4.0)).abs() <= 0.05 + 1e-6);
    tramgis::edit::geometry::rings::delete_ring_in(&mut s, LAYER, 2, 0, 1).unwrap();
    assert!((geometry(&s, 2).unsigned_area() - area).abs() < 1e-6);
    // A ring across the parcel's edge is refused, naming the feature.
    let a = c[0].1;
    let across = LineString::from(vec![
        (a.x - 1., a.y - 1.),
        (a.x + 1., a.y - 1.),
        (a.x + 1., a.y + 1.),
        (a.x - 1., a.y + 1.),
        (a.x - 1., a.y - 1.),
    ]);
    let err = tramgis::edit::geometry::rings::add_ring_in(&mut s, LAYER, 2, &across)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("feature 2") && err.contains("inside the polygon"),
        "{err}"
    );
}

/// A corner list as a spreadsheet in a Vietnamese locale saves it (written
/// by Python's csv module: semicolons, decimal commas, a header, a BOM),
/// becomes a parcel that ogrinfo reads with its area.
#[test]
fn a_corner_list_csv_written_elsewhere_becomes_a_parcel() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 20);
    let csv = dir.path().join("goc_ranh.csv");
    common::python(
        "import csv, sys
pts = [(2345600.0, 456700.0), (2345600.0, 456725.5), (2345640.0, 456725.5), (2345640.0, 456700.0)]
with open(sys.argv[1], 'w', newline='', encoding='utf-8-sig') as f:
    w = csv.writer(f, delimiter=';')
    w.writerow(['Số hiệu điểm', 'X (m)', 'Y (m)'])
    for i, (x, y) in enumerate(pts, 1):
        w.writerow([i, ('%.2f' % x).replace('.', ','), ('%.2f' % y).replace('.', ',')])
",
        &[csv.to_str().unwrap()],
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let list = parse_corners(&text).unwrap();
    assert_eq!(list.corners.len(), 4);
    assert_eq!(
        list.corners[0].coord,
        Coord {
            x: 456700.0,
            y: 2345600.0
        }
    );
    let parcel = parcel_from_corners(&list).unwrap();
    assert!((parcel.unsigned_area() - 40.0 * 25.5).abs() < 1e-6);
    let mut s = session(&path);
    let info = s.gpkg().layer(LAYER).unwrap();
    let mut feature = Feature::new(
        Some(Geometry::Polygon(parcel)),
        vec![FieldValue::Null; info.schema.fields.len()],
    );
    let (fid, _) = s
        .apply("Tạo thửa từ tọa độ góc ranh", |tx| {
            let info = tx.layer(LAYER)?;
            tramgis::edit::measure::set_area_fields(&info, &mut feature).unwrap();
            tx.insert(LAYER, &feature)
        })
        .unwrap();
    drop(s);
    let out = ogr_feature(&path, fid);
    assert!(out.contains("dien_tich (Real) = 1020"), "{out}");
    assert!(
        ogr_has_coord(
            &out,
            Coord {
                x: 456725.5,
                y: 2345640.0
            }
        ),
        "{out}"
    );
}
