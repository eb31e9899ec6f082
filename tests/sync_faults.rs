//! A push or pull through a link that fails (a fault-injection TCP proxy
//! between the client and the real pygeoapi/PostGIS): connections dropped
//! mid-request, mid-response and mid-pull, delays, truncated and garbled
//! answers, a server that never answers, a process SIGKILLed mid-push.
//! After reconnecting the push completes with no duplicate and no lost
//! feature (counted in PostGIS) and the workspace validates. Then hostile
//! or broken servers: clear errors, nothing changed locally.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::fault_proxy::{Fault, FaultProxy};
use common::sync_data::*;
use common::sync_servers::{SyncServers, shared};
use tramgis::gpkg::GeoPackage;
use tramgis::jobs::Progress;
use tramgis::model::FieldValue;
use tramgis::sync::http::Limits;
use tramgis::sync::remote::Remote;

fn short_limits() -> Limits {
    Limits {
        request: Duration::from_secs(3),
        connect: Duration::from_secs(2),
        ..Limits::default()
    }
}

/// `n` new towers named `{prefix}NNNN`, towers raised and one deleted,
/// as one edit.
fn edit_group(gpkg: &mut GeoPackage, prefix: &str, n: usize, raise: &[&str], delete: &str) {
    let new: Vec<_> = (0..n)
        .map(|i| {
            tower(
                gpkg,
                &format!("{prefix}{i:04}"),
                "Viettel",
                30.0 + i as f64,
                X0 + 3000.0 + i as f64 * 7.5,
                Y0 + 3000.0 + prefix.len() as f64 * 11.25,
            )
        })
        .collect();
    let raised: Vec<i64> = raise.iter().map(|c| fid_of(gpkg, c)).collect();
    let deleted = fid_of(gpkg, delete);
    gpkg.edit(&format!("Nhóm {prefix}"), |e| {
        for f in &new {
            e.insert("bts", f)?;
        }
        for (k, fid) in raised.iter().enumerate() {
            e.set_value("bts", *fid, "chieu_cao", &FieldValue::Real(80.0 + k as f64))?;
        }
        e.delete("bts", deleted)
    })
    .unwrap();
}

fn assert_no_duplicate_no_loss(servers: &SyncServers, gpkg: &GeoPackage, expected: usize) {
    let server = server_towers(servers);
    assert_eq!(server.len(), expected, "towers in PostGIS");
    assert_eq!(
        servers.psql("SELECT count(*) - count(DISTINCT ma_tram) FROM bts"),
        "0",
        "a tower was created twice"
    );
    assert_eq!(
        local_towers(gpkg),
        server,
        "the workspace and PostGIS differ"
    );
    assert_validates(gpkg);
}

#[test]
fn a_push_through_a_failing_link_resumes_with_no_duplicate_and_no_loss() {
    let servers = shared();
    seed(&servers);
    let proxy = FaultProxy::in_front_of(servers.ogcapi_url());
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, remote) = workspace(dir.path(), "laptop", &proxy.url());
    check_out(&mut gpkg, &remote, "bts");
    let faults = [
        ("cut mid-request", Fault::once(2, Fault::CutUpAfter(150))),
        ("cut mid-response", Fault::once(3, Fault::CutDownAfter(20))),
        (
            "cut mid-response, many",
            Fault::every_nth(4, Fault::CutDownAfter(12)),
        ),
        ("garbled answer", Fault::once(1, Fault::Garble { after: 5 })),
        (
            "truncated answer",
            Fault::once(2, Fault::Truncate { after: 40 }),
        ),
        (
            "busy server",
            // Connection 1 reads a feature's current version (a busy
            // answer to 0, the collection's description, is asked again).
            Fault::once(
                1,
                Fault::respond(
                    503,
                    "text/html",
                    b"<html><body>Service Unavailable</body></html>",
                ),
            ),
        ),
        ("reset", Fault::once(2, Fault::Reset)),
        ("never answers", Fault::once(3, Fault::BlackHole)),
        ("slow link", Fault::Latency(Duration::from_millis(30))),
    ];
    let mut expected = 20;
    for (k, (what, fault)) in faults.into_iter().enumerate() {
        let prefix = format!("F{k}");
        let raise = format!("BG{:04}", 1 + k);
        edit_group(
            &mut gpkg,
            &prefix,
            12,
            &[&raise],
            &format!("BG{:04}", 20 - k),
        );
        expected += 12 - 1;
        proxy.set(fault);
        let started = Instant::now();
        let outcome = try_push(&mut gpkg, &remote, short_limits());
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what}: the push hung"
        );
        // The fault bit (except the slow link, which only slows it)...
        let hit = match &outcome {
            Err(_) => true,
            Ok(r) => !r.failed.is_empty(),
        };
        assert_eq!(hit, what != "slow link", "{what}: {outcome:?}");
        // ...and whatever it cut, the next push over a good link completes.
        proxy.set(Fault::None);
        let done = try_push(&mut gpkg, &remote, Limits::default())
            .unwrap_or_else(|e| panic!("{what}: the push after reconnecting failed: {e}"));
        assert!(done.failed.is_empty(), "{what}: {:?}", done.failed);
        assert_no_duplicate_no_loss(&servers, &gpkg, expected);
    }
    assert!(proxy.connections() > 100);
}

#[test]
fn a_pull_cut_midway_changes_nothing_and_the_next_one_completes() {
    let servers = shared();
    seed(&servers);
    let proxy = FaultProxy::in_front_of(servers.ogcapi_url());
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, remote) = workspace(dir.path(), "xa", &proxy.url());
    check_out(&mut gpkg, &remote, "bts");
    servers.psql("UPDATE bts SET chieu_cao = chieu_cao + 100");
    let before = local_towers(&gpkg);
    // Connection 0 asks whether the collection keeps change times (it
    // does not: server-sql is not applied here), 1 reads its description.
    for fault in [
        Fault::once(1, Fault::CutDownAfter(900)),
        Fault::once(1, Fault::Truncate { after: 1500 }),
        Fault::once(1, Fault::Garble { after: 400 }),
        Fault::once(1, Fault::BlackHole),
    ] {
        proxy.set(fault);
        let err = try_pull(&mut gpkg, &remote, short_limits()).expect_err("a cut pull fails");
        assert!(!err.to_string().is_empty());
        assert_eq!(
            local_towers(&gpkg),
            before,
            "a failed pull changed the workspace ({err})"
        );
    }
    proxy.set(Fault::None);
    let r = do_pull(&mut gpkg, &remote);
    assert_eq!(r.updated, 20);
    assert_eq!(local_towers(&gpkg), server_towers(&servers));
}

/// A create can land from an attempt the client never heard back from
/// (a killed push, a lost answer) while the next push sends it again: the
/// server then refuses the second for its UUID. Set up here as the server
/// holding the UUIDs before the push: one tower as the workspace has it,
/// one as an older attempt carried it.
#[test]
fn a_create_that_landed_from_an_earlier_attempt_is_done_not_refused() {
    let servers = shared();
    seed(&servers);
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, remote) = workspace(dir.path(), "again", servers.ogcapi_url());
    check_out(&mut gpkg, &remote, "bts");
    let uuid_field = field(&gpkg, "bts", "uuid");
    let landed = "0f6c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f";
    let older = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
    let mut same = tower(&gpkg, "BG9101", "Viettel", 36.0, 562_500.75, 1_822_250.25);
    same.values[uuid_field] = FieldValue::Text(landed.into());
    let mut newer = tower(&gpkg, "BG9102", "VNPT", 42.0, 562_600.5, 1_822_300.5);
    newer.values[uuid_field] = FieldValue::Text(older.into());
    gpkg.edit("Thêm trạm", |e| {
        e.insert("bts", &same)?;
        e.insert("bts", &newer)?;
        Ok(())
    })
    .unwrap();
    servers.psql(&format!(
        "INSERT INTO bts (uuid, ma_tram, nha_mang, chieu_cao, geom) VALUES
         ('{landed}', 'BG9101', 'Viettel', 36, ST_SetSRID(ST_MakePoint(562500.75, 1822250.25), 9214)),
         ('{older}', 'BG9102', 'VNPT', 40, ST_SetSRID(ST_MakePoint(562600.5, 1822300.5), 9214))"
    ));

    let first = do_push(&mut gpkg, &remote);
    assert_eq!(
        first.created, 1,
        "the tower the server holds as sent: {first:?}"
    );
    assert_eq!(first.failed.len(), 1, "{first:?}");
    assert!(first.failed[0].contains(older), "{first:?}");
    // The next push finds the older attempt and replaces it with mine.
    let second = do_push(&mut gpkg, &remote);
    assert!(second.failed.is_empty(), "{second:?}");
    assert_eq!((second.created, second.replaced), (0, 1), "{second:?}");
    assert_eq!(
        servers.psql("SELECT chieu_cao FROM bts WHERE ma_tram = 'BG9102'"),
        "42"
    );
    assert_no_duplicate_no_loss(&servers, &gpkg, 22);
}

#[test]
fn a_push_process_killed_midway_resumes_with_no_duplicate_and_no_loss() {
    let servers = shared();
    seed(&servers);
    let proxy = FaultProxy::in_front_of(servers.ogcapi_url());
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, remote) = workspace(dir.path(), "killed", &proxy.url());
    check_out(&mut gpkg, &remote, "bts");
    edit_group(&mut gpkg, "K", 400, &["BG0001", "BG0002"], "BG0003");
    let path = gpkg.path().to_path_buf();
    drop(gpkg);
    // Slow enough that the kill lands in the middle.
    proxy.set(Fault::Latency(Duration::from_millis(40)));
    let mut child = Command::new(env!("CARGO_BIN_EXE_tramgis"))
        .args(["sync", "push", path.to_str().unwrap(), "portal"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let landed: usize = servers
            .psql("SELECT count(*) FROM bts WHERE ma_tram LIKE 'K%'")
            .parse()
            .unwrap();
        if landed >= 60 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the push did not start ({landed} landed)"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the push ended before the kill"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let landed: usize = servers
        .psql("SELECT count(*) FROM bts WHERE ma_tram LIKE 'K%'")
        .parse()
        .unwrap();
    assert!(
        landed < 400,
        "the kill came too late to test anything ({landed})"
    );
    proxy.set(Fault::None);
    let mut gpkg = GeoPackage::open(&path).unwrap();
    let remote = remote_of(&gpkg);
    let r = do_push(&mut gpkg, &remote);
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    assert!(
        r.created as usize <= 400 - 60 + 8,
        "creates already landed were sent again: {r:?}"
    );
    assert_no_duplicate_no_loss(&servers, &gpkg, 20 + 400 - 1);
}

fn remote_of(gpkg: &GeoPackage) -> Remote {
    tramgis::sync::remote::get(gpkg.connection(), "portal").unwrap()
}

/// The workspace's features and sync records, to prove nothing changed.
fn local_state(gpkg: &GeoPackage) -> String {
    let rows: Vec<String> = gpkg
        .connection()
        .prepare(
            "SELECT uuid, fid, server_id, base, state FROM tramgis_sync_features ORDER BY uuid",
        )
        .unwrap()
        .query_map([], |r| {
            Ok(format!(
                "{:?}|{:?}|{:?}|{:?}|{:?}",
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let journal: i64 = gpkg
        .connection()
        .query_row("SELECT count(*) FROM tramgis_changes", [], |r| r.get(0))
        .unwrap();
    format!(
        "{:?}\n{}\njournal {journal}",
        local_towers(gpkg),
        rows.join("\n")
    )
}

#[test]
fn hostile_or_broken_servers_give_clear_errors_and_change_nothing_locally() {
    let servers = shared();
    seed(&servers);
    let proxy = FaultProxy::in_front_of(servers.ogcapi_url());
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, remote) = workspace(dir.path(), "hostile", &proxy.url());
    check_out(&mut gpkg, &remote, "bts");
    // Something to merge, so a pull that got through would change things.
    servers.psql("UPDATE bts SET chieu_cao = 99");
    let uuid = servers.psql("SELECT uuid FROM bts ORDER BY fid LIMIT 1");
    let collection = |geometry: &str| {
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"{uuid}","geometry":{geometry},
               "properties":{{"ma_tram":"BG0001","nha_mang":"Viettel","chieu_cao":99}}}}],"numberReturned":1}}"#
        )
        .into_bytes()
    };
    let json_with_crs = |body: Vec<u8>| {
        let mut head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/geo+json\r\n\
             Content-Crs: <http://www.opengis.net/def/crs/EPSG/0/9214>\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        head.extend(body);
        Fault::Respond(head)
    };
    let huge = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        200u64 << 20
    );
    let cases: Vec<(&str, Fault, &str)> = vec![
        (
            "invalid JSON",
            Fault::respond(
                200,
                "application/json",
                br#"{"type":"FeatureCollection","features":[{"#,
            ),
            "not valid JSON",
        ),
        (
            "an HTML error page with 200",
            Fault::respond(
                200,
                "text/html",
                b"<html><body><h1>Internal error</h1></body></html>",
            ),
            "HTML page",
        ),
        (
            "401",
            Fault::respond(401, "text/html", b"<html>Unauthorized</html>"),
            "HTTP 401: the portal wants a login",
        ),
        (
            "403",
            Fault::respond(
                403,
                "application/json",
                br#"{"code":"Forbidden","description":"not for you"}"#,
            ),
            "HTTP 403: the login may not do this; not for you",
        ),
        (
            "404",
            Fault::respond(
                404,
                "application/json",
                br#"{"code":"NotFound","description":"collection not found"}"#,
            ),
            "HTTP 404: collection not found",
        ),
        (
            "500",
            Fault::respond(
                500,
                "application/json",
                br#"{"code":"NoApplicableCode","description":"generic error (check logs)"}"#,
            ),
            "HTTP 500: generic error",
        ),
        (
            "503",
            Fault::respond(
                503,
                "text/html",
                b"<html><body>Service Unavailable</body></html>",
            ),
            "HTTP 503",
        ),
        (
            "a 200 MB answer",
            Fault::RespondStream {
                head: huge.into_bytes(),
                body_len: 200 << 20,
                fill: b"[".to_vec(),
            },
            "larger than 67 MB; refused",
        ),
        (
            "a line for a point layer",
            json_with_crs(collection(
                r#"{"type":"LineString","coordinates":[[560000,1820000],[560100,1820100]]}"#,
            )),
            "a LineString for a layer of POINT",
        ),
        (
            "lat,lon axis order",
            json_with_crs(collection(
                r#"{"type":"Point","coordinates":[16.4605,107.5658]}"#,
            )),
            "swapped the axes",
        ),
    ];
    for (what, fault, says) in cases {
        let before = local_state(&gpkg);
        // Connection 0 asks whether the collection keeps change times, 1
        // reads its description, 2 its first page.
        proxy.set(Fault::once(2, fault));
        let err = try_pull(&mut gpkg, &remote, Limits::default())
            .expect_err(what)
            .to_string();
        assert!(err.contains(says), "{what}: {err}");
        assert!(
            err.contains(&proxy.url()),
            "{what}: the error names the server: {err}"
        );
        assert_eq!(local_state(&gpkg), before, "{what} changed the workspace");
    }
    // A check-out from a broken server makes no layer (connection 3:
    // after the change-time question, the schema and the description).
    proxy.set(Fault::once(
        3,
        Fault::respond(200, "text/html", b"<html>oops</html>"),
    ));
    let request = tramgis::sync::checkout::CheckoutRequest {
        collection: "thua_dat".into(),
        layer: "thua_dat".into(),
        extent: None,
        epsg: 9214,
        uuid_field: "uuid".into(),
        renames: Default::default(),
    };
    let err = tramgis::sync::checkout::checkout(
        &mut gpkg,
        &remote,
        portal(&remote).as_mut(),
        &request,
        &Progress::default(),
    )
    .expect_err("a broken checkout fails");
    assert!(err.to_string().contains("HTML"), "{err}");
    assert!(
        gpkg.layer("thua_dat").is_err(),
        "a failed checkout left a layer"
    );
    // And the same server, healthy again, syncs.
    proxy.set(Fault::None);
    let r = do_pull(&mut gpkg, &remote);
    assert_eq!(r.updated, 20);
}
