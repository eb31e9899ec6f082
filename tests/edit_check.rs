//! Validation of edited polygon layers (issue 10): a layer written by
//! GDAL with planted problems, the clean sample, the fixes (each one edit,
//! the file still read by ogrinfo) and the `tramgis check` CSV.

mod common;

use std::path::{Path, PathBuf};

use tramgis::edit::EditSession;
use tramgis::edit::check::{
    CheckError, CheckOptions, Finding, FindingKind, Fix, Report, apply_fix, check_layer,
    spawn_check,
};
use tramgis::gpkg::GeoPackage;
use tramgis::jobs::Progress;

/// VN-2000 metres near the province (EPSG:9214), so areas are m².
const X0: f64 = 500_000.0;
const Y0: f64 = 2_300_000.0;

fn rect_wkt(x0: f64, y0: f64, x1: f64, y1: f64) -> String {
    let (a, b, c, d) = (X0 + x0, Y0 + y0, X0 + x1, Y0 + y1);
    format!("POLYGON(({a} {b},{c} {b},{c} {d},{a} {d},{a} {b}))")
}

fn wkt(coords: &[(f64, f64)]) -> String {
    let pts: Vec<String> = coords
        .iter()
        .map(|(x, y)| format!("{} {}", X0 + x, Y0 + y))
        .collect();
    format!("POLYGON(({}))", pts.join(","))
}

fn py_list(wkts: &[String]) -> String {
    let items: Vec<String> = wkts.iter().map(|w| format!("'{w}'")).collect();
    format!("[{}]", items.join(", "))
}

/// A zoning layer `quy_hoach` written by python3-gdal: a 5 x 5 grid of
/// 10 m lots (fids 1..25, row by row) with four planted problems, and a
/// boundary layer `ranh_gioi` of two halves covering 0..100 m.
///  - fid 1 reaches 1 m into fid 2: a 10 m² overlap;
///  - fid 19 stops 0.2 m short of fid 20: a 2 m² gap (neighbours 14, 19, 20, 24);
///  - fid 26 is a bow-tie (self-intersection), away from the grid;
///  - fid 27 sticks 5 m out of the boundary: 50 m² outside.
fn planted(dir: &Path) -> PathBuf {
    let mut lots = Vec::new();
    for j in 0..5 {
        for i in 0..5 {
            let (x, y) = (i as f64 * 10.0, j as f64 * 10.0);
            let mut x1 = x + 10.0;
            if (i, j) == (0, 0) {
                x1 = 11.0;
            }
            if (i, j) == (3, 3) {
                x1 = 39.8;
            }
            lots.push(rect_wkt(x, y, x1, y + 10.0));
        }
    }
    lots.push(wkt(&[
        (60.0, 10.0),
        (70.0, 20.0),
        (70.0, 10.0),
        (60.0, 20.0),
        (60.0, 10.0),
    ]));
    lots.push(rect_wkt(95.0, 60.0, 105.0, 70.0));
    let boundary = vec![
        rect_wkt(0.0, 0.0, 50.0, 100.0),
        rect_wkt(50.0, 0.0, 100.0, 100.0),
    ];
    let path = dir.join("planted.gpkg");
    let body = format!(
        "layer('quy_hoach', ogr.wkbPolygon, {})\nlayer('ranh_gioi', ogr.wkbPolygon, {})\nds = None\n",
        py_list(&lots),
        py_list(&boundary)
    );
    common::python(
        &common::gdal_script("%s %d", &body),
        &[path.to_str().unwrap()],
    );
    path
}

fn options(layer: &str, boundary: Option<&str>) -> CheckOptions {
    let mut o = CheckOptions::new(layer);
    o.boundary = boundary.map(str::to_string);
    o
}

fn check(path: &Path, options: &CheckOptions) -> Report {
    let gpkg = GeoPackage::open_read_only(path).unwrap();
    check_layer(&gpkg, options, &Progress::default()).unwrap()
}

/// Checks through an open session's own connection.
fn check_session(session: &EditSession, options: &CheckOptions) -> Report {
    check_layer(session.gpkg(), options, &Progress::default()).unwrap()
}

/// (kind, fid, other fids) of every finding.
fn summary(report: &Report) -> Vec<(FindingKind, Option<i64>, Vec<i64>)> {
    report
        .findings
        .iter()
        .map(|f| (f.kind, f.fid, f.other_fids.clone()))
        .collect()
}

fn edits(gpkg: &GeoPackage) -> Vec<String> {
    let mut stmt = gpkg
        .connection()
        .prepare("SELECT description FROM tramgis_edits ORDER BY edit_id")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn ogrinfo_reads(path: &Path, layer: &str) -> String {
    let (ok, out, err) = common::tool(
        "ogrinfo",
        &["-ro", "-al", "-so", path.to_str().unwrap(), layer],
    );
    assert!(ok, "ogrinfo cannot read {}: {err}", path.display());
    out
}

#[test]
fn finds_exactly_the_planted_overlap_gap_bow_tie_and_outside_feature() {
    let dir = tempfile::tempdir().unwrap();
    let path = planted(dir.path());
    let report = check(&path, &options("quy_hoach", Some("ranh_gioi")));
    assert_eq!(report.checked, 27);
    assert_eq!(
        summary(&report),
        vec![
            (FindingKind::SelfIntersection, Some(26), vec![]),
            (FindingKind::Overlap, Some(1), vec![2]),
            (FindingKind::Gap, None, vec![14, 19, 20, 24]),
            (FindingKind::OutsideBoundary, Some(27), vec![]),
        ]
    );
    let area = |kind| report.of_kind(kind).next().unwrap().area;
    assert!((area(FindingKind::Overlap) - 10.0).abs() < 1e-6);
    assert!((area(FindingKind::Gap) - 2.0).abs() < 1e-6);
    assert!((area(FindingKind::OutsideBoundary) - 50.0).abs() < 1e-6);
    // Where to zoom: the gap's strip, the bow-tie's crossing.
    let gap = report.of_kind(FindingKind::Gap).next().unwrap();
    assert!((gap.bounds.min().x - (X0 + 39.8)).abs() < 1e-6);
    assert!((gap.bounds.max().y - (Y0 + 40.0)).abs() < 1e-6);
    let bow = report
        .of_kind(FindingKind::SelfIntersection)
        .next()
        .unwrap();
    assert!((bow.location.x - (X0 + 65.0)).abs() < 1e-6);
    assert!((bow.location.y - (Y0 + 15.0)).abs() < 1e-6);
    // Messages in both languages; the gap goes to the lowest-fid neighbour
    // of the two sharing its 10 m long sides.
    assert!(
        gap.message_vi.contains("Khe hở 2.00 m²"),
        "{}",
        gap.message_vi
    );
    assert!(
        gap.message_en.contains("Gap of 2.00 m²"),
        "{}",
        gap.message_en
    );
    assert!(matches!(gap.fix, Some(Fix::FillGap { into: 19, .. })));
    // On save, only around the edited features: near lot 19, the gap and
    // nothing else; near lot 1, the overlap.
    let around = |x0: f64, y0: f64, x1: f64, y1: f64| {
        let area = geo_types::Rect::new((X0 + x0, Y0 + y0), (X0 + x1, Y0 + y1));
        let report = check(&path, &CheckOptions::around("quy_hoach", area));
        assert!(report.checked < 27);
        summary(&report)
    };
    assert_eq!(
        around(29.0, 29.0, 41.0, 41.0),
        vec![(FindingKind::Gap, None, vec![14, 19, 20, 24])]
    );
    assert_eq!(
        around(0.0, 0.0, 5.0, 5.0),
        vec![(FindingKind::Overlap, Some(1), vec![2])]
    );
    // Without a boundary, no boundary finding.
    let report = check(&path, &options("quy_hoach", None));
    assert_eq!(report.findings.len(), 3);
}

#[test]
fn the_sample_parcels_are_clean() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 3000);
    // Every block of the sample is a parcel: at least the 3000 asked for.
    let count = GeoPackage::open_read_only(&path)
        .unwrap()
        .count_features("thua_dat", None)
        .unwrap() as usize;
    assert!(count >= 3000);
    for boundary in ["ranh_gioi_huyen", "ranh_gioi_xa"] {
        let report = check(&path, &options("thua_dat", Some(boundary)));
        assert_eq!(report.checked, count);
        assert_eq!(summary(&report), vec![], "boundary {boundary}");
    }
}

#[test]
fn each_fix_is_one_edit_that_removes_its_finding() {
    let dir = tempfile::tempdir().unwrap();
    let path = planted(dir.path());
    let options = options("quy_hoach", Some("ranh_gioi"));
    let before = check(&path, &options);
    assert_eq!(before.findings.len(), 4);
    let mut left: Vec<Finding> = before.findings.clone();
    let mut descriptions = Vec::new();
    let mut session = EditSession::open(&path, "Nguyễn Văn A").unwrap();
    session.start_editing("quy_hoach").unwrap();
    while let Some(finding) = left.first().cloned() {
        let applied = apply_fix(&mut session, &finding, &options).unwrap();
        descriptions.push(applied.description.clone());
        let after = check_session(&session, &options);
        // Its finding is gone and nothing new appeared.
        left.remove(0);
        let expected = Report {
            findings: left.clone(),
            ..after.clone()
        };
        assert_eq!(
            summary(&after),
            summary(&expected),
            "after {:?}",
            applied.description
        );
        ogrinfo_reads(&path, "quy_hoach");
    }
    assert_eq!(edits(session.gpkg()), descriptions);
    assert_eq!(
        descriptions[1],
        "Xóa phần chồng lấn 10.00 m² của đối tượng 1 với 2"
    );
    assert_eq!(descriptions[2], "Lấp khe hở 2.00 m² vào đối tượng 19");
    // The bow-tie became two triangles: the second part a new feature.
    assert!(descriptions[0].starts_with("Sửa hình học không hợp lệ của đối tượng 26"));
    assert!(
        descriptions[0].ends_with("(tách thành 2 phần)"),
        "{}",
        descriptions[0]
    );
    let out = ogrinfo_reads(&path, "quy_hoach");
    assert!(out.contains("Feature Count: 28"), "{out}");
    // The clipped feature 27 is now 5 x 10 m; the gap's lot 10 x 10 m again.
    let gpkg = session.gpkg();
    use geo::Area;
    let area = |fid| {
        gpkg.get_feature("quy_hoach", fid)
            .unwrap()
            .unwrap()
            .geometry
            .unwrap()
            .unsigned_area()
    };
    assert!((area(27) - 50.0).abs() < 1e-6);
    assert!((area(19) - 100.0).abs() < 1e-6);
    assert!((area(1) - 100.0).abs() < 1e-6);
    // Undo of the last fix brings its finding back.
    session.undo().unwrap().unwrap();
    let again = check_session(&session, &options);
    assert_eq!(
        summary(&again),
        vec![(FindingKind::OutsideBoundary, Some(27), vec![])]
    );
}

/// A layer written by GDAL with the vertex-level faults: a ring stored
/// unclosed, a duplicate vertex, a spike and a two-vertex ring.
fn vertex_faults(dir: &Path) -> PathBuf {
    let path = dir.join("faults.gpkg");
    let lots = vec![
        wkt(&[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]),
        wkt(&[
            (20.0, 0.0),
            (30.0, 0.0),
            (30.0, 0.0),
            (30.0, 10.0),
            (20.0, 10.0),
            (20.0, 0.0),
        ]),
        wkt(&[
            (40.0, 0.0),
            (50.0, 0.0),
            (50.0, 10.0),
            (45.0, 10.0),
            (45.0, 30.0),
            (45.0001, 10.0),
            (40.0, 10.0),
            (40.0, 0.0),
        ]),
        wkt(&[(60.0, 0.0), (70.0, 0.0), (60.0, 0.0)]),
    ];
    let body = format!(
        "layer('loi', ogr.wkbPolygon, {})\nds = None\n",
        py_list(&lots)
    );
    common::python(
        &common::gdal_script("%s %d", &body),
        &[path.to_str().unwrap()],
    );
    path
}

#[test]
fn finds_unclosed_rings_duplicate_and_spike_vertices_and_too_short_rings() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_faults(dir.path());
    let options = options("loi", None);
    let report = check(&path, &options);
    assert_eq!(
        summary(&report),
        vec![
            (FindingKind::UnclosedRing, Some(1), vec![]),
            (FindingKind::TooShortRing, Some(4), vec![]),
            (FindingKind::DuplicateVertex, Some(2), vec![]),
            (FindingKind::Spike, Some(3), vec![]),
        ]
    );
    let spike = report.of_kind(FindingKind::Spike).next().unwrap();
    assert!((spike.location.y - (Y0 + 30.0)).abs() < 1e-6);
    // A ring with nothing valid left has no automatic fix.
    assert_eq!(
        report
            .of_kind(FindingKind::TooShortRing)
            .next()
            .unwrap()
            .fix,
        None
    );
    let mut session = EditSession::open(&path, "Nguyễn Văn A").unwrap();
    // Fixing is editing: refused until the layer is being edited.
    let first = &report.findings[0];
    assert!(apply_fix(&mut session, first, &options).is_err());
    session.start_editing("loi").unwrap();
    for finding in report.findings.iter().filter(|f| f.fix.is_some()) {
        apply_fix(&mut session, finding, &options).unwrap();
    }
    drop(session);
    let after = check(&path, &options);
    assert_eq!(
        summary(&after),
        vec![(FindingKind::TooShortRing, Some(4), vec![])]
    );
    ogrinfo_reads(&path, "loi");
    // The spike's parcel keeps its 10 x 10 m.
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    use geo::Area;
    let g = gpkg
        .get_feature("loi", 3)
        .unwrap()
        .unwrap()
        .geometry
        .unwrap();
    assert!((g.unsigned_area() - 100.0).abs() < 1e-3);
}

#[test]
fn the_check_runs_as_a_job_with_progress_and_cancel() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 20_000);
    let job = spawn_check(&path, options("thua_dat", None));
    let report = job.wait().unwrap().unwrap();
    assert_eq!(report.checked, 20_000);
    let job = spawn_check(&path, options("thua_dat", None));
    job.progress.cancel();
    assert!(matches!(job.wait(), Some(Err(CheckError::Cancelled))));
    // Points cannot be checked for overlaps: the error names the layer.
    let job = spawn_check(&path, options("tram_bts", None));
    let err = job.wait().unwrap().unwrap_err();
    assert!(err.to_string().contains("tram_bts"), "{err}");
}

#[test]
fn tramgis_check_writes_the_report_as_csv_and_fails_on_findings() {
    let dir = tempfile::tempdir().unwrap();
    let path = planted(dir.path());
    let csv = dir.path().join("report.csv");
    let (ok, _, err) = common::tramgis(&[
        "check",
        path.to_str().unwrap(),
        "--layer",
        "quy_hoach",
        "--boundary",
        "ranh_gioi",
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(!ok, "findings make the exit status 1");
    assert!(err.contains("4 finding(s)"), "{err}");
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "kind,fid,other_fid,x,y,area_m2,message");
    let rows: Vec<Vec<&str>> = lines[1..]
        .iter()
        .map(|l| l.splitn(7, ',').collect())
        .collect();
    let keys: Vec<(&str, &str, &str)> = rows.iter().map(|r| (r[0], r[1], r[2])).collect();
    assert_eq!(
        keys,
        vec![
            ("self_intersection", "26", ""),
            ("overlap", "1", "2"),
            ("gap", "", "14;19;20;24"),
            ("outside_boundary", "27", ""),
        ]
    );
    assert_eq!(rows[1][5], "10.000");
    assert!(rows[2][6].starts_with("\"Khe hở 2.00 m²"), "{}", rows[2][6]);
    // GDAL reads the CSV too (its own parser, not ours).
    let (ok, out, err) = common::tool("ogrinfo", &["-ro", "-al", csv.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(
        out.contains("Feature Count: 4") || out.matches("OGRFeature").count() == 4,
        "{out}"
    );
    // Without --out the CSV goes to stdout; a clean layer exits 0.
    let (ok, out, _) = common::tramgis(&["check", path.to_str().unwrap(), "--layer", "ranh_gioi"]);
    assert!(ok);
    assert_eq!(out.trim(), "kind,fid,other_fid,x,y,area_m2,message");
}
