//! The sample workspace behaves like real data: in every commune the land
//! parcels and the road and river pieces (parcels coded DGT and SON) add
//! up to the commune's area, communes add up to their district, neighbours
//! share their boundaries exactly, the project's validator finds no
//! overlap or gap, and GDAL/GEOS (python3-gdal) computes the same union
//! area as the sum of the parts. Roads run inside their corridors: their
//! centre lines do not cross land parcels.

mod common;

use std::collections::{BTreeMap, HashMap};

use geo::{Area, Euclidean, Length};
use tramgis::edit::check::{CheckOptions, check_layer};
use tramgis::gpkg::GeoPackage;
use tramgis::jobs::Progress;
use tramgis::model::{Feature, FieldValue};

const PARCELS: usize = 10_000;

fn value<'a>(gpkg: &GeoPackage, layer: &str, f: &'a Feature, field: &str) -> &'a FieldValue {
    let i = gpkg
        .layer(layer)
        .unwrap()
        .schema
        .field_index(field)
        .unwrap();
    &f.values[i]
}

fn text(gpkg: &GeoPackage, layer: &str, f: &Feature, field: &str) -> String {
    match value(gpkg, layer, f, field) {
        FieldValue::Text(s) => s.clone(),
        v => panic!("{layer}.{field}: {v:?}"),
    }
}

fn real(gpkg: &GeoPackage, layer: &str, f: &Feature, field: &str) -> f64 {
    value(gpkg, layer, f, field).as_f64().unwrap()
}

fn area(f: &Feature) -> f64 {
    f.geometry.as_ref().unwrap().unsigned_area()
}

/// Area over perimeter squared (outer ring): 1/16 for a square, about
/// w / 4L for a strip w wide and L long.
fn compactness(f: &Feature) -> f64 {
    let perimeter = match f.geometry.as_ref().unwrap() {
        geo_types::Geometry::Polygon(p) => Euclidean.length(p.exterior()),
        g => panic!("parcel {:?}: {g:?}", f.fid),
    };
    area(f) / (perimeter * perimeter)
}

fn within(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}

#[test]
fn parcels_roads_and_rivers_tile_every_commune_and_communes_tile_districts() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), PARCELS);
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let parcels = gpkg.all_features("thua_dat").unwrap();
    assert_eq!(parcels.len(), PARCELS);

    // Per commune: parcels (land, roads DGT, rivers SON) = commune.
    let mut by_commune: HashMap<String, (f64, f64, f64)> = HashMap::new();
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    for f in &parcels {
        let a = area(f);
        assert!(
            (real(&gpkg, "thua_dat", f, "dien_tich") - a).abs() <= 0.05 + 1e-9,
            "parcel {:?}: dien_tich is its area",
            f.fid
        );
        let code = text(&gpkg, "thua_dat", f, "ma_loai_dat");
        let e = by_commune
            .entry(text(&gpkg, "thua_dat", f, "ma_xa"))
            .or_default();
        match code.as_str() {
            "DGT" => e.1 += a,
            "SON" => e.2 += a,
            _ => e.0 += a,
        }
        // No sliver: a land parcel is at least 1/50 as wide as it is long
        // (a house plot of 4 m x 25 m is ~0.02); road and river land are
        // strips by nature.
        if code != "DGT" && code != "SON" {
            assert!(
                compactness(f) >= 0.005,
                "parcel {:?} ({code}, {a:.1} m²) is a sliver: area / perimeter² = {:.5}",
                f.fid,
                compactness(f)
            );
        }
        *codes.entry(code).or_default() += 1;
    }
    let communes = gpkg.all_features("ranh_gioi_xa").unwrap();
    assert_eq!(communes.len(), 209);
    let mut by_district: HashMap<String, f64> = HashMap::new();
    for c in &communes {
        let code = text(&gpkg, "ranh_gioi_xa", c, "ma_xa");
        let (land, road, water) = by_commune[&code];
        let total = area(c);
        assert!(
            within(land + road + water, total, 1e-4),
            "commune {code}: parcels {land} + roads {road} + water {water} != {total} m²"
        );
        assert!(road > 0.0, "commune {code} has road land");
        *by_district
            .entry(text(&gpkg, "ranh_gioi_xa", c, "ma_huyen"))
            .or_default() += total;
    }
    let districts = gpkg.all_features("ranh_gioi_huyen").unwrap();
    assert_eq!(districts.len(), 10);
    for d in &districts {
        let code = text(&gpkg, "ranh_gioi_huyen", d, "ma_huyen");
        assert!(
            within(by_district[&code], area(d), 1e-4),
            "district {code}: communes {} != {} m²",
            by_district[&code],
            area(d)
        );
        // Irregular: far more than the four corners of a rectangle.
        let n = match d.geometry.as_ref().unwrap() {
            geo_types::Geometry::Polygon(p) => p.exterior().0.len(),
            g => panic!("district {code}: {g:?}"),
        };
        assert!(n > 100, "district {code} has {n} vertices");
    }
    // Land use as in the province: rice, forest, orchards, residential.
    for code in [
        "LUC", "LUK", "RSX", "RPH", "CLN", "ONT", "ODT", "NTS", "DGT", "SON",
    ] {
        assert!(codes.contains_key(code), "no {code} parcel: {codes:?}");
    }
    assert!(codes["LUC"] + codes["LUK"] > codes["RSX"] / 4, "{codes:?}");
}

/// A coordinate's exact bits, to compare points without tolerance.
type Bits = (u64, u64);

/// Every segment of a commune boundary is a segment of its neighbour's (the
/// same two coordinates), or of the province outline.
#[test]
fn neighbouring_communes_share_their_boundaries_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 300);
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let key = |c: geo_types::Coord<f64>| (c.x.to_bits(), c.y.to_bits());
    let mut segments: HashMap<(Bits, Bits), usize> = HashMap::new();
    for f in gpkg.all_features("ranh_gioi_xa").unwrap() {
        let geo_types::Geometry::Polygon(p) = f.geometry.unwrap() else {
            panic!("communes are polygons")
        };
        for l in p.exterior().lines() {
            let (a, b) = (key(l.start), key(l.end));
            *segments.entry((a.min(b), a.max(b))).or_default() += 1;
        }
    }
    assert!(segments.values().all(|n| *n <= 2));
    let outline: Vec<_> = segments.iter().filter(|(_, n)| **n == 1).collect();
    let mut province_segments = 0;
    for d in gpkg.all_features("ranh_gioi_huyen").unwrap() {
        let geo_types::Geometry::Polygon(p) = d.geometry.unwrap() else {
            panic!("districts are polygons")
        };
        for l in p.exterior().lines() {
            let (a, b) = (key(l.start), key(l.end));
            assert!(
                segments.contains_key(&(a.min(b), a.max(b))),
                "a district edge that is no commune's"
            );
            province_segments += 1;
        }
    }
    // Shared edges: each internal segment twice; the outline once.
    assert!(
        outline.len() < segments.len() / 4,
        "{} of {}",
        outline.len(),
        segments.len()
    );
    assert!(province_segments > outline.len());
}

#[test]
fn the_validator_and_gdal_find_no_overlap_or_gap_and_roads_stay_in_their_corridors() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), PARCELS);
    {
        let gpkg = GeoPackage::open_read_only(&path).unwrap();
        let options = CheckOptions::new("thua_dat");
        let report = check_layer(&gpkg, &options, &Progress::default()).unwrap();
        assert_eq!(report.checked, PARCELS);
        // No overlap, no gap, no spike or collapsed ring: parcels that
        // meet share their vertices, across commune boundaries too, so the
        // validator's union (which snaps to a grid) sees no hairline hole.
        let findings: Vec<_> = report.findings.iter().take(10).collect();
        assert!(findings.is_empty(), "{findings:#?}");
        let communes = check_layer(
            &gpkg,
            &CheckOptions::new("ranh_gioi_xa"),
            &Progress::default(),
        )
        .unwrap();
        assert!(communes.findings.is_empty(), "{:#?}", communes.findings);
    }
    // GEOS through python3-gdal: union area == sum of areas, for parcels
    // and communes; the parcels' union is the province; road centre lines
    // lie within road and river land (DGT, SON), not across land parcels.
    let script = r#"
import sys
from osgeo import ogr
ogr.UseExceptions()
ds = ogr.Open(sys.argv[1])
def union_and_sum(name, where=None):
    lyr = ds.GetLayerByName(name)
    if where:
        lyr.SetAttributeFilter(where)
    multi = ogr.Geometry(ogr.wkbMultiPolygon)
    total = 0.0
    for f in lyr:
        g = f.GetGeometryRef()
        total += g.GetArea()
        multi.AddGeometry(g)
    return multi.UnionCascaded(), total
parcels, parcel_sum = union_and_sum('thua_dat')
communes, commune_sum = union_and_sum('ranh_gioi_xa')
for label, u, s in [('parcels', parcels, parcel_sum), ('communes', communes, commune_sum)]:
    if abs(u.GetArea() - s) > 1e-4 * s:
        sys.exit('%s: union %.1f != sum %.1f m2 (overlap)' % (label, u.GetArea(), s))
if abs(parcels.GetArea() - communes.GetArea()) > 1e-4 * communes.GetArea():
    sys.exit('parcels cover %.1f of the communes %.1f m2' % (parcels.GetArea(), communes.GetArea()))
land, _ = union_and_sum('thua_dat', "ma_loai_dat NOT IN ('DGT', 'SON')")
lines = ogr.Geometry(ogr.wkbMultiLineString)
for f in ds.GetLayerByName('duong_giao_thong'):
    lines.AddGeometry(f.GetGeometryRef())
length = lines.Length()
across = lines.Intersection(land).Length()
if length <= 0 or across > 0.001 * length:
    sys.exit('%.1f m of %.1f m of road centre lines cross land parcels' % (across, length))
print('ok', parcels.GetArea(), parcel_sum, across, length)
"#;
    common::python(script, &[path.to_str().unwrap()]);
}
