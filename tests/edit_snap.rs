//! Snapping on real files: the sample workspace, and a layer GDAL wrote.

mod common;

use std::ops::ControlFlow;

use geo_types::{Coord, Geometry};
use tramgis::edit::geometry::vertices;
use tramgis::edit::snap::{
    AreaLimits, Followed, Reprojection, SnapIndex, SnapKind, SnapLayer, SnapOptions, count_in,
};
use tramgis::gpkg::{GeoPackage, Query};

fn first_polygon(gpkg: &GeoPackage, layer: &str) -> (i64, Geometry<f64>) {
    let mut out = None;
    gpkg.read_features(layer, &Query::default(), |f| {
        out = Some((f.fid.unwrap(), f.geometry.unwrap()));
        ControlFlow::Break(())
    })
    .unwrap();
    out.unwrap()
}

/// The parcels in the file: every block of the sample is at least one, so
/// a small sample holds more than asked for.
fn parcel_count(gpkg: &GeoPackage) -> usize {
    let n = gpkg.count_features("thua_dat", None).unwrap() as usize;
    assert!(n >= 400);
    n
}

#[test]
fn snaps_to_the_sample_parcels_vertices_and_edges() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let layer = SnapLayer::load(&gpkg, "thua_dat", None).unwrap();
    assert_eq!(layer.len(), parcel_count(&gpkg));
    let (fid, g) = first_polygon(&gpkg, "thua_dat");
    let mut index = SnapIndex::default();
    index.set_layer("thua_dat", layer);
    let corner = vertices(&g)[1].1;
    let opts = SnapOptions::default();
    let s = index
        .snap(
            Coord {
                x: corner.x + 0.3,
                y: corner.y - 0.2,
            },
            1.0,
            &opts,
            None,
        )
        .unwrap();
    assert_eq!(s.kind, SnapKind::Vertex);
    assert_eq!(s.point, corner, "snapped exactly onto the stored vertex");
    assert_eq!(s.layer.as_deref(), Some("thua_dat"));
    // Adjacent parcels share their lattice nodes: the fid is one of them.
    assert!(s.fid.is_some());
    // The middle of the first edge snaps onto the edge of this parcel or of
    // its neighbour (the same line).
    let (a, b) = (vertices(&g)[0].1, vertices(&g)[1].1);
    let mid = Coord {
        x: (a.x + b.x) / 2.0,
        y: (a.y + b.y) / 2.0,
    };
    let s = index
        .snap(
            Coord {
                x: mid.x + 0.1,
                y: mid.y + 0.1,
            },
            1.0,
            &opts,
            None,
        )
        .unwrap();
    assert_eq!(s.kind, SnapKind::Segment);
    assert!((s.point.x - mid.x).abs() < 0.2 && (s.point.y - mid.y).abs() < 0.2);
    let _ = fid;
}

#[test]
fn the_visible_area_alone_can_be_indexed_and_edits_update_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let (fid, g) = first_polygon(&gpkg, "thua_dat");
    let Geometry::Polygon(p) = &g else {
        panic!("thua_dat holds polygons")
    };
    let b = geo::BoundingRect::bounding_rect(p).unwrap();
    let visible = geo_types::Rect::new(
        (b.min().x - 1.0, b.min().y - 1.0),
        (b.max().x + 1.0, b.max().y + 1.0),
    );
    let mut layer = SnapLayer::load(&gpkg, "thua_dat", Some(visible)).unwrap();
    assert!(
        !layer.is_empty() && layer.len() < 20,
        "{} features near one parcel",
        layer.len()
    );
    assert!(layer.envelope(fid).is_some());
    // The parcel moved 1 km east: its entry is replaced, nothing rebuilt.
    let moved = geo::Translate::translate(&g, 1000.0, 0.0);
    layer.insert(fid, &moved);
    let mut index = SnapIndex::default();
    index.set_layer("thua_dat", layer);
    let c = vertices(&moved)[0].1;
    let s = index.snap(c, 0.5, &SnapOptions::default(), None).unwrap();
    assert_eq!((s.fid, s.kind, s.point), (Some(fid), SnapKind::Vertex, c));
}

/// Two roads GDAL wrote cross away from their vertices: the crossing is an
/// intersection snap, and the point agrees with OGR's own intersection.
#[test]
fn intersections_of_a_layer_gdal_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roads.gpkg");
    common::python(
        &common::gdal_script(
            "%s %d",
            "layer('roads', ogr.wkbLineString, ['LINESTRING (500000 2300000, 500100 2300040)', 'LINESTRING (500010 2300050, 500090 2299990)'])",
        ),
        &[path.to_str().unwrap()],
    );
    let (ok, out, err) = common::tool(
        "/usr/bin/python3",
        &[
            "-c",
            "from osgeo import ogr\na=ogr.CreateGeometryFromWkt('LINESTRING (500000 2300000, 500100 2300040)')\nb=ogr.CreateGeometryFromWkt('LINESTRING (500010 2300050, 500090 2299990)')\np=a.Intersection(b)\nprint(p.GetX(), p.GetY())",
        ],
    );
    assert!(ok, "{err}");
    let ogr: Vec<f64> = out.split_whitespace().map(|s| s.parse().unwrap()).collect();
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let mut index = SnapIndex::default();
    index.set_layer("roads", SnapLayer::load(&gpkg, "roads", None).unwrap());
    let s = index
        .snap(
            Coord {
                x: ogr[0] + 0.8,
                y: ogr[1] - 0.5,
            },
            2.0,
            &SnapOptions::default(),
            None,
        )
        .unwrap();
    assert_eq!(s.kind, SnapKind::Intersection);
    assert!(
        (s.point.x - ogr[0]).abs() < 1e-6 && (s.point.y - ogr[1]).abs() < 1e-6,
        "{s:?} vs {ogr:?}"
    );
    // With intersections off, the same cursor snaps to a segment.
    let opts = SnapOptions {
        intersections: false,
        ..SnapOptions::default()
    };
    let s = index
        .snap(
            Coord {
                x: ogr[0] + 0.8,
                y: ogr[1] - 0.5,
            },
            2.0,
            &opts,
            None,
        )
        .unwrap();
    assert_eq!(s.kind, SnapKind::Segment);
    // A line's last vertex snaps as a vertex.
    let s = index
        .snap(
            Coord {
                x: 500099.5,
                y: 2300039.8,
            },
            2.0,
            &SnapOptions::default(),
            None,
        )
        .unwrap();
    assert_eq!(
        (s.kind, s.point),
        (
            SnapKind::Vertex,
            Coord {
                x: 500100.0,
                y: 2300040.0
            }
        )
    );
}

/// The fids whose envelopes meet `area`, read without the R-tree: every
/// feature's geometry, its box measured here.
fn fids_meeting(gpkg: &GeoPackage, layer: &str, area: geo_types::Rect<f64>) -> Vec<i64> {
    let mut out = Vec::new();
    gpkg.read_features(layer, &Query::default(), |f| {
        let b = geo::BoundingRect::bounding_rect(f.geometry.as_ref().unwrap()).unwrap();
        if b.min().x <= area.max().x
            && b.max().x >= area.min().x
            && b.min().y <= area.max().y
            && b.max().y >= area.min().y
        {
            out.push(f.fid.unwrap());
        }
        ControlFlow::Continue(())
    })
    .unwrap();
    out.sort_unstable();
    out
}

fn sorted_fids(layer: &SnapLayer) -> Vec<i64> {
    let mut fids: Vec<i64> = layer.fids().collect();
    fids.sort_unstable();
    fids
}

/// The layer's extent and a box of a quarter of it, in one corner.
fn extent_and_corner(
    gpkg: &GeoPackage,
    layer: &str,
) -> (geo_types::Rect<f64>, geo_types::Rect<f64>) {
    let all = SnapLayer::load(gpkg, layer, None)
        .unwrap()
        .bounds()
        .unwrap();
    let corner = geo_types::Rect::new(
        (all.min().x, all.min().y),
        (
            all.min().x + all.width() / 2.0,
            all.min().y + all.height() / 2.0,
        ),
    );
    (all, corner)
}

#[test]
fn an_area_limited_index_holds_the_area_and_extending_it_adds_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let crs = gpkg.layer("thua_dat").unwrap().crs;
    let same = tramgis::crs::Transformer::between(&crs, &crs).unwrap();
    let to = Reprojection {
        to_layer: &same,
        to_map: &same,
    };
    let (all, corner) = extent_and_corner(&gpkg, "thua_dat");
    let total = parcel_count(&gpkg);
    let mut layer = SnapLayer::for_areas();
    let added = layer.extend(&gpkg, "thua_dat", to, corner).unwrap();
    let expected = fids_meeting(&gpkg, "thua_dat", corner);
    assert!(
        !expected.is_empty() && expected.len() < total,
        "{} of {total} parcels meet a quarter of the extent",
        expected.len()
    );
    assert_eq!(added, expected.len());
    assert_eq!(sorted_fids(&layer), expected, "exactly the area's features");
    assert!(layer.covers(corner) && !layer.covers(all));
    // The same area again reads nothing.
    assert_eq!(layer.extend(&gpkg, "thua_dat", to, corner).unwrap(), 0);
    // The whole extent: only the rest is read, and then all are there.
    assert_eq!(layer.missing(all).len(), 2, "above and right of the corner");
    let more = layer.extend(&gpkg, "thua_dat", to, all).unwrap();
    assert_eq!(more, total - expected.len());
    assert_eq!(sorted_fids(&layer), fids_meeting(&gpkg, "thua_dat", all));
    assert_eq!(layer.len(), total);
}

#[test]
fn inside_its_area_a_limited_index_snaps_as_the_whole_layer_does() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let crs = gpkg.layer("thua_dat").unwrap().crs;
    let same = tramgis::crs::Transformer::between(&crs, &crs).unwrap();
    let to = Reprojection {
        to_layer: &same,
        to_map: &same,
    };
    let (_, corner) = extent_and_corner(&gpkg, "thua_dat");
    let mut whole = SnapIndex::default();
    whole.set_layer(
        "thua_dat",
        SnapLayer::load(&gpkg, "thua_dat", None).unwrap(),
    );
    let mut limited_layer = SnapLayer::for_areas();
    limited_layer.extend(&gpkg, "thua_dat", to, corner).unwrap();
    let mut limited = SnapIndex::default();
    limited.set_layer("thua_dat", limited_layer);
    let tolerance = 2.0;
    let opts = SnapOptions::default();
    let (mut snapped, mut kinds) = (0, std::collections::BTreeSet::new());
    // Cursors beside the area's vertices and edge midpoints, and on an
    // uneven grid over each parcel's box; those a tolerance inside the area.
    let mut cursors = Vec::new();
    for fid in fids_meeting(&gpkg, "thua_dat", corner) {
        let g = gpkg
            .get_feature("thua_dat", fid)
            .unwrap()
            .unwrap()
            .geometry
            .unwrap();
        let vs: Vec<Coord<f64>> = vertices(&g).into_iter().map(|v| v.1).collect();
        for w in vs.windows(2) {
            cursors.push(Coord {
                x: w[0].x + 0.7,
                y: w[0].y - 0.4,
            });
            cursors.push(Coord {
                x: (w[0].x + w[1].x) / 2.0 + 0.3,
                y: (w[0].y + w[1].y) / 2.0 + 0.2,
            });
        }
        let b = geo::BoundingRect::bounding_rect(&g).unwrap();
        for k in 0..5 {
            cursors.push(Coord {
                x: b.min().x + b.width() * (k as f64 + 0.37) / 5.0,
                y: b.min().y + b.height() * (k as f64 + 0.61) / 5.0,
            });
        }
    }
    cursors.retain(|p| {
        p.x - tolerance > corner.min().x
            && p.x + tolerance < corner.max().x
            && p.y - tolerance > corner.min().y
            && p.y + tolerance < corner.max().y
    });
    for &p in &cursors {
        let a = whole.snap(p, tolerance, &opts, None);
        let b = limited.snap(p, tolerance, &opts, None);
        match (&a, &b) {
            (Some(a), Some(b)) => {
                assert_eq!(
                    (a.kind, a.point, a.distance),
                    (b.kind, b.point, b.distance),
                    "at {p:?}"
                );
                snapped += 1;
                kinds.insert(format!("{:?}", a.kind));
            }
            (None, None) => {}
            _ => panic!("at {p:?}: whole layer {a:?}, area {b:?}"),
        }
    }
    assert!(
        snapped > 100,
        "{snapped} of {} cursors snapped",
        cursors.len()
    );
    assert!(
        kinds.contains("Vertex") && kinds.contains("Segment"),
        "{kinds:?}"
    );
}

#[test]
fn following_the_view_turns_snapping_off_when_zoomed_out_and_bounds_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let crs = gpkg.layer("thua_dat").unwrap().crs;
    let same = tramgis::crs::Transformer::between(&crs, &crs).unwrap();
    let to = Reprojection {
        to_layer: &same,
        to_map: &same,
    };
    let (all, corner) = extent_and_corner(&gpkg, "thua_dat");
    // The R-tree count agrees with the features' own boxes, and stops past
    // the limit.
    let in_corner = fids_meeting(&gpkg, "thua_dat", corner).len() as u64;
    assert_eq!(
        count_in(&gpkg, "thua_dat", corner, parcel_count(&gpkg) as u64).unwrap(),
        in_corner
    );
    assert_eq!(count_in(&gpkg, "thua_dat", all, 50).unwrap(), 51);

    let limits = AreaLimits {
        max_features: 150,
        margin: 0.5,
        keep_features: 150,
    };
    let mut layer = SnapLayer::for_areas();
    // The whole extent in view: more than 150 parcels, snapping off.
    let followed = layer
        .follow_view(&gpkg, "thua_dat", to, all, &limits)
        .unwrap();
    assert_eq!(followed, Followed::TooMany(151));
    assert_eq!((layer.too_many(), layer.len()), (Some(151), 0));
    // Zoomed in on one parcel: its neighbourhood is read, snapping is on.
    let (fid, g) = first_polygon(&gpkg, "thua_dat");
    let b = geo::BoundingRect::bounding_rect(&g).unwrap();
    let Followed::Loaded(n) = layer
        .follow_view(&gpkg, "thua_dat", to, b, &limits)
        .unwrap()
    else {
        panic!("the parcel's area is read")
    };
    assert!(n > 0 && layer.too_many().is_none() && layer.envelope(fid).is_some());
    // A small pan within the margin reads nothing.
    let nudged = geo::Translate::translate(&b, b.width() * 0.1, 0.0);
    assert_eq!(
        layer
            .follow_view(&gpkg, "thua_dat", to, nudged, &limits)
            .unwrap(),
        Followed::Covered
    );
    // A lower limit in the settings counts the same view again: off.
    let strict = AreaLimits {
        max_features: 1,
        ..limits
    };
    assert_eq!(
        layer
            .follow_view(&gpkg, "thua_dat", to, nudged, &strict)
            .unwrap(),
        Followed::TooMany(2),
        "the parcel and its neighbours: more than one"
    );
    // And back: on again, nothing new to read.
    assert_eq!(
        layer
            .follow_view(&gpkg, "thua_dat", to, nudged, &limits)
            .unwrap(),
        Followed::Loaded(0)
    );
    let mut index = SnapIndex::default();
    index.set_layer("thua_dat", layer);
    let corner_vertex = vertices(&g)[0].1;
    let s = index
        .snap(corner_vertex, 0.5, &SnapOptions::default(), None)
        .unwrap();
    assert_eq!((s.kind, s.point), (SnapKind::Vertex, corner_vertex));
    // Zoomed out again: off, and the index snaps to nothing.
    let layer = index.layer_mut("thua_dat").unwrap();
    layer
        .follow_view(&gpkg, "thua_dat", to, all, &limits)
        .unwrap();
    assert!(
        index
            .snap(corner_vertex, 0.5, &SnapOptions::default(), None)
            .is_none()
    );
    // Panning across the layer in small views: the index never holds much
    // more than one view's area.
    let mut layer = SnapLayer::for_areas();
    // Views a sixth of the extent for 400 parcels, smaller as the sample
    // holds more, so that each shows about as many parcels.
    let step = all.width() / 6.0 * (400.0 / parcel_count(&gpkg) as f64).sqrt();
    for k in 0..6 {
        let x = all.min().x + step * k as f64;
        let view = geo_types::Rect::new((x, all.min().y), (x + step, all.min().y + step));
        layer
            .follow_view(&gpkg, "thua_dat", to, view, &limits)
            .unwrap();
        assert!(
            layer.len() <= 2 * limits.keep_features,
            "{} indexed after view {k}",
            layer.len()
        );
        let area = fids_meeting(&gpkg, "thua_dat", view);
        assert!(
            area.iter().all(|f| layer.envelope(*f).is_some()),
            "view {k} all indexed"
        );
    }
}

#[test]
fn an_edit_outside_the_indexed_area_is_not_added() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let crs = gpkg.layer("thua_dat").unwrap().crs;
    let same = tramgis::crs::Transformer::between(&crs, &crs).unwrap();
    let to = Reprojection {
        to_layer: &same,
        to_map: &same,
    };
    let (all, corner) = extent_and_corner(&gpkg, "thua_dat");
    let mut layer = SnapLayer::for_areas();
    layer.extend(&gpkg, "thua_dat", to, corner).unwrap();
    let inside = fids_meeting(&gpkg, "thua_dat", corner);
    let outside = fids_meeting(&gpkg, "thua_dat", all)
        .into_iter()
        .find(|f| !inside.contains(f))
        .expect("a parcel outside the corner");
    let g = gpkg
        .get_feature("thua_dat", outside)
        .unwrap()
        .unwrap()
        .geometry
        .unwrap();
    let before = layer.len();
    // Edited where nothing is indexed: left out (reading that area later
    // reads it from the store).
    layer.update(outside, &geo::Translate::translate(&g, 0.5, 0.0));
    assert_eq!((layer.len(), layer.envelope(outside)), (before, None));
    // Moved into the indexed area: it is there now.
    let b = geo::BoundingRect::bounding_rect(&g).unwrap();
    let moved = geo::Translate::translate(
        &g,
        corner.min().x - b.min().x + 1.0,
        corner.min().y - b.min().y + 1.0,
    );
    layer.update(outside, &moved);
    assert_eq!(layer.len(), before + 1);
    // And moved out again: dropped.
    layer.update(outside, &g);
    assert_eq!((layer.len(), layer.envelope(outside)), (before, None));
    // An indexed parcel moved anywhere stays current or goes.
    let kept = inside[0];
    let g = gpkg
        .get_feature("thua_dat", kept)
        .unwrap()
        .unwrap()
        .geometry
        .unwrap();
    layer.update(kept, &geo::Translate::translate(&g, 0.25, 0.0));
    let e = layer.envelope(kept).unwrap();
    let b = geo::BoundingRect::bounding_rect(&g).unwrap();
    assert!((e.min().x - b.min().x - 0.25).abs() < 1e-9);
}

/// The map in Web Mercator over a VN-2000 layer: the area (map
/// coordinates) is read through the layer's R-tree in the layer's, and a
/// parcel's corner snaps onto its reprojected position exactly.
#[test]
fn an_area_of_a_reprojected_map_holds_the_layers_features_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let layer_crs = gpkg.layer("thua_dat").unwrap().crs;
    let map_crs = tramgis::crs::Crs::Epsg(3857);
    let to_map = tramgis::crs::Transformer::between(&layer_crs, &map_crs).unwrap();
    let to_layer = tramgis::crs::Transformer::between(&map_crs, &layer_crs).unwrap();
    assert!(!to_map.is_identity());
    let to = Reprojection {
        to_layer: &to_layer,
        to_map: &to_map,
    };
    let (_, corner) = extent_and_corner(&gpkg, "thua_dat");
    let area = tramgis::edit::snap::box_in(&to_map, corner).unwrap();
    let mut layer = SnapLayer::for_areas();
    layer.extend(&gpkg, "thua_dat", to, area).unwrap();
    // Every parcel meeting the corner (layer coordinates) is indexed.
    let expected = fids_meeting(&gpkg, "thua_dat", corner);
    assert!(!expected.is_empty());
    for fid in &expected {
        assert!(layer.envelope(*fid).is_some(), "parcel {fid}");
    }
    // In map coordinates: a corner of one of them snaps onto its
    // reprojected position.
    let g = gpkg
        .get_feature("thua_dat", expected[0])
        .unwrap()
        .unwrap()
        .geometry
        .unwrap();
    let v = to_map.transform(vertices(&g)[1].1).unwrap();
    let e = layer.envelope(expected[0]).unwrap();
    assert!(e.min().x <= v.x && v.x <= e.max().x && e.min().y <= v.y && v.y <= e.max().y);
    let mut index = SnapIndex::default();
    index.set_layer("thua_dat", layer);
    let s = index
        .snap(
            Coord {
                x: v.x + 0.3,
                y: v.y - 0.2,
            },
            1.0,
            &SnapOptions::default(),
            None,
        )
        .unwrap();
    assert_eq!((s.kind, s.point), (SnapKind::Vertex, v));
}
