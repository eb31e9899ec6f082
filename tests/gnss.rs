//! GNSS input against the real gpsd: `gpsfake` (gpsd-clients) replays an
//! NMEA log of a receiver at 21.27 N 106.19 E through a real gpsd, the
//! client reads the fix over gpsd's JSON protocol, and the tower added at
//! the fix lands where PROJ's cs2cs puts the log's position in VN-2000.

mod common;

use std::time::Duration;

use common::gpsfake::{Gpsfake, free_port};
use common::{sample, tool, transform};
use tramgis::edit::error::EditError;
use tramgis::edit::gnss::{self, FixFields, FixMode, GpsdClient, GpsdStatus};
use tramgis::edit::rules::FieldRules;
use tramgis::edit::session::EditSession;
use tramgis::model::FieldValue;

const LAT: f64 = 21.27;
const LON: f64 = 106.19;

/// cs2cs from EPSG:4326 (lat lon order) to EPSG:9214.
fn cs2cs(lon: f64, lat: f64) -> (f64, f64) {
    let v = transform(
        "cs2cs",
        &["-f", "%.4f", "EPSG:4326", "EPSG:9214"],
        &format!("{lat} {lon}"),
    );
    (v[0], v[1])
}

/// Waits for a 3D fix with its altitude and the receiver's GST estimate
/// (gpsd reports 2D first, a 3D one before the epoch's GGA has given the
/// altitude, and may send the epoch's GST after its TPV).
fn fix_3d(client: &GpsdClient) -> gnss::Fix {
    client
        .wait_for_fix_where(Duration::from_secs(60), |f| {
            f.mode == FixMode::ThreeD
                && f.alt.is_some()
                && f.accuracy_source == Some(gnss::AccuracySource::Gst)
        })
        .unwrap_or_else(|| panic!("no 3D fix from gpsfake; status {:?}", client.status()))
}

#[test]
fn a_tower_added_at_the_gpsd_fix_lands_at_the_logged_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample(dir.path(), 200);
    // The user's own fields for the fix, added by another program.
    let (ok, _, err) = tool(
        "sqlite3",
        &[
            path.to_str().unwrap(),
            "ALTER TABLE tram_bts ADD COLUMN do_chinh_xac_m REAL;
             ALTER TABLE tram_bts ADD COLUMN thoi_gian_gnss DATETIME;",
        ],
    );
    assert!(ok, "{err}");

    let port = free_port();
    let _gpsd = Gpsfake::start(port);
    let client = GpsdClient::start(&format!("127.0.0.1:{port}"));
    let fix = fix_3d(&client);
    assert_eq!((fix.lat, fix.lon), (LAT, LON));
    assert_eq!(fix.alt, Some(25.3));
    assert!(
        fix.time
            .as_deref()
            .is_some_and(|t| t.starts_with("2024-05-01T03:00:0")),
        "{fix:?}"
    );
    // The log's GST: 1.5 m and 1.3 m (1 sigma) in latitude and longitude.
    let accuracy = fix.horizontal_accuracy_m.unwrap();
    assert!((accuracy - 2.0 * 1.5f64.hypot(1.3)).abs() < 1e-9, "{fix:?}");

    let mut session = EditSession::open(&path, "Nhân viên hiện trường").unwrap();
    session.start_editing("tram_bts").unwrap();
    let info = session.gpkg().layer("tram_bts").unwrap();
    let rules = FieldRules::load(session.gpkg().connection(), &info).unwrap();
    let mut values = rules.defaults(&info);
    let set = |values: &mut Vec<FieldValue>, name: &str, v: &str| {
        values[info.schema.field_index(name).unwrap()] = FieldValue::Text(v.into());
    };
    set(&mut values, "ma_tram", "BGG-GNSS-1");
    set(&mut values, "nha_mang", "Viettel");
    set(&mut values, "loai_cot", "Cột tự đứng");
    values[info.schema.field_index("chieu_cao").unwrap()] = FieldValue::Real(36.0);
    let fields = FixFields {
        accuracy: Some("do_chinh_xac_m".into()),
        time: Some("thoi_gian_gnss".into()),
    };
    let tower = gnss::point_at_fix(&info, &fix, &fields, values).unwrap();
    let description = "Thêm trạm BTS tại vị trí GNSS";
    let (fid, applied) = session
        .apply(description, |tx| tx.insert("tram_bts", &tower))
        .unwrap();
    assert_eq!(applied.layer("tram_bts").unwrap().inserted, [fid]);
    assert_eq!(applied.description, description);

    // Read back by GDAL, compared with PROJ's own command-line tool.
    let (ok, out, err) = tool(
        "ogrinfo",
        &[
            "-ro",
            "-q",
            "-fid",
            &fid.to_string(),
            path.to_str().unwrap(),
            "tram_bts",
        ],
    );
    assert!(ok, "{err}");
    let wkt = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("POINT ("))
        .unwrap_or_else(|| panic!("no point in:\n{out}"));
    let xy: Vec<f64> = wkt
        .trim_end_matches(')')
        .split_whitespace()
        .map(|s| s.parse().unwrap())
        .collect();
    let (x, y) = cs2cs(LON, LAT);
    assert!(
        (xy[0] - x).abs() < 0.1 && (xy[1] - y).abs() < 0.1,
        "stored {xy:?}, cs2cs {x} {y}"
    );
    let stored: f64 = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("do_chinh_xac_m (Real) = "))
        .unwrap_or_else(|| panic!("no accuracy in:\n{out}"))
        .parse()
        .unwrap();
    assert!((stored - accuracy).abs() < 1e-9, "{stored} {accuracy}");
    assert!(
        out.contains("thoi_gian_gnss (DateTime) = 2024/05/01 03:00:0"),
        "{out}"
    );
    assert!(out.contains("ma_tram (String) = BGG-GNSS-1"), "{out}");

    // Moving the tower to a later fix keeps its values.
    let later = client.wait_for_fix(Duration::from_secs(20)).unwrap();
    let ((), applied) = session
        .apply("Di chuyển trạm BTS đến vị trí GNSS", |tx| {
            let mut moved = tx.require("tram_bts", fid)?;
            gnss::move_to_fix(&mut moved, &info, &later, &fields).map_err(|e| {
                EditError::Invalid {
                    path: path.clone(),
                    detail: e.to_string(),
                }
            })?;
            tx.update("tram_bts", &moved)
        })
        .unwrap();
    assert_eq!(applied.layer("tram_bts").unwrap().updated, [fid]);
    let moved = session
        .gpkg()
        .get_feature("tram_bts", fid)
        .unwrap()
        .unwrap();
    let Some(geo_types::Geometry::Point(p)) = moved.geometry else {
        panic!("{moved:?}")
    };
    assert!((p.x() - x).abs() < 0.1 && (p.y() - y).abs() < 0.1);
    assert_eq!(
        moved.values[info.schema.field_index("ma_tram").unwrap()],
        FieldValue::Text("BGG-GNSS-1".into())
    );
}

#[test]
fn the_client_reconnects_when_gpsd_comes_back() {
    let port = free_port();
    let client = GpsdClient::start(&format!("127.0.0.1:{port}"));
    // Nothing listens yet.
    assert!(
        client.wait_for_status(Duration::from_secs(10), |s| matches!(
            s,
            GpsdStatus::Lost(_)
        )),
        "{:?}",
        client.status()
    );
    assert!(client.latest().is_none());
    let mut gpsd = Gpsfake::start(port);
    let first = fix_3d(&client);
    assert_eq!((first.lat, first.lon), (LAT, LON));
    gpsd.stop();
    assert!(
        client.wait_for_status(Duration::from_secs(15), |s| matches!(
            s,
            GpsdStatus::Lost(_)
        )),
        "{:?}",
        client.status()
    );
    // The last fix stays known while gpsd is away.
    assert!(client.latest().is_some());
    let _gpsd = Gpsfake::start(port);
    let again = client
        .wait_for_fix(Duration::from_secs(30))
        .unwrap_or_else(|| panic!("no fix after gpsd came back: {:?}", client.status()));
    assert!(again.received > first.received);
    assert_eq!(client.status(), GpsdStatus::Connected);
}
