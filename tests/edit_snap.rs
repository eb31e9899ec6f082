//! Snapping on real files: the sample workspace, and a layer GDAL wrote.

mod common;

use std::ops::ControlFlow;

use geo_types::{Coord, Geometry};
use tramgis::edit::geometry::vertices;
use tramgis::edit::snap::{SnapIndex, SnapKind, SnapLayer, SnapOptions};
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

#[test]
fn snaps_to_the_sample_parcels_vertices_and_edges() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 400);
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let layer = SnapLayer::load(&gpkg, "thua_dat", None).unwrap();
    assert_eq!(layer.len(), 400);
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
