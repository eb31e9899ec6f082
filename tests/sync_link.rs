//! A commune's line: 10,000 edited towers pushed through the fault proxy
//! throttled to 4 Mbit/s each way with 100 ms latency each way (a 200 ms
//! round trip), over OGC API – Features (pygeoapi) and WFS-T (QGIS
//! Server), all landing exactly once in PostGIS. The ignored `benchmark`
//! measures push and pull over loopback and over the link for
//! BENCHMARKS.md (run it in release, by hand).

mod common;

use std::sync::MutexGuard;
use std::time::{Duration, Instant};

use common::fault_proxy::{Fault, FaultProxy};
use common::sync_data::*;
use common::sync_servers::{Front, SyncServers, shared_prepared, shared_with};
use tramgis::gpkg::GeoPackage;
use tramgis::jobs::Progress;
use tramgis::model::FieldValue;
use tramgis::sync::http::{Credentials, Limits};
use tramgis::sync::remote::{Protocol, Remote};
use tramgis::sync::{connect::connect, pull::pull, push::push, record};

const TOWERS: usize = 10_000;

fn link() -> Fault {
    Fault::link(4_000_000, Duration::from_millis(100))
}

/// Requests in flight for OGC API, which has no batch: one write costs a
/// 200 ms round trip plus the server's time, so it takes about a hundred
/// to keep pygeoapi busy. On this 2-core machine, before connections were
/// kept alive, 48 gave 80 s, 96 gave 66 s and 128 gave 64 s (the CPU,
/// shared by server, proxy and client, runs out first); kept alive, 96
/// give 50 s.
fn link_limits() -> Limits {
    Limits {
        connections: 96,
        ..Limits::default()
    }
}

/// As a province runs its portal, behind nginx: pygeoapi compresses its
/// answers and keeps connections alive.
fn servers() -> std::sync::MutexGuard<'static, SyncServers> {
    shared_with(Front::Portal)
}

/// A portal whose administrator applied `tramgis sync server-sql`:
/// change times and tombstones, so pushes and pulls read only changes.
fn prepared_servers() -> MutexGuard<'static, SyncServers> {
    shared_prepared(Front::Portal)
}

/// Moves every change time a day back, as if the day had passed.
fn a_day_later(servers: &SyncServers) {
    servers.psql(
        "ALTER TABLE bts DISABLE TRIGGER tramgis_touch;
         UPDATE bts SET updated_at = updated_at - interval '1 day';
         ALTER TABLE bts ENABLE TRIGGER tramgis_touch;
         UPDATE tramgis_tombstones SET deleted_at = deleted_at - interval '1 day';",
    );
}

fn seed_towers(servers: &SyncServers, n: usize) {
    servers.reset();
    servers.psql(&format!(
        "INSERT INTO bts (uuid, ma_tram, nha_mang, chieu_cao, geom)
         SELECT gen_random_uuid()::text, 'BG' || lpad(i::text, 5, '0'),
                (ARRAY['Viettel','VNPT','MobiFone'])[1 + i % 3], 20 + (i % 40),
                ST_SetSRID(ST_MakePoint({X0} + (i % 100) * 37.25, {Y0} + (i / 100) * 41.5), 9214)
         FROM generate_series(1, {n}) i"
    ));
    // On a prepared portal the towers were edited over the past week, a
    // minute apart, not all at the instant a read reaches back over.
    let keeps_times = servers.psql(
        "SELECT count(*) FROM information_schema.columns
         WHERE table_name = 'bts' AND column_name = 'updated_at'",
    ) == "1";
    if keeps_times {
        servers.psql(&format!(
            "ALTER TABLE bts DISABLE TRIGGER tramgis_touch;
             UPDATE bts SET updated_at = now() - interval '1 day'
                 - ({n} - substr(ma_tram, 3)::int) * interval '1 minute';
             ALTER TABLE bts ENABLE TRIGGER tramgis_touch;"
        ));
    }
}

/// Every tower raised by 0.5 m, in one edit.
fn raise_all(gpkg: &mut GeoPackage) -> usize {
    let schema = gpkg.layer("bts").unwrap().schema;
    let i = schema.field_index("chieu_cao").unwrap();
    let towers = gpkg.all_features("bts").unwrap();
    gpkg.edit("Nâng cột", |e| {
        for f in &towers {
            let FieldValue::Real(h) = f.values[i] else {
                panic!("a height")
            };
            e.set_value(
                "bts",
                f.fid.unwrap(),
                "chieu_cao",
                &FieldValue::Real(h + 0.5),
            )?;
        }
        Ok(())
    })
    .unwrap();
    towers.len()
}

/// A checked-out workspace of `TOWERS` towers with every one raised,
/// whose remote goes to `url`.
fn edited_workspace(
    dir: &std::path::Path,
    server_url: &str,
    url: &str,
    protocol: Protocol,
) -> (GeoPackage, Remote) {
    let (mut gpkg, mut remote) = workspace_for(dir, "xa", server_url, protocol);
    assert_eq!(check_out(&mut gpkg, &remote, "bts"), TOWERS as u64);
    assert_eq!(raise_all(&mut gpkg), TOWERS);
    // From now on through the link.
    remote.url = url.to_string();
    gpkg.connection()
        .execute(
            "UPDATE tramgis_sync_remotes SET url = ?1 WHERE name = ?2",
            rusqlite::params![remote.url, remote.name],
        )
        .unwrap();
    (gpkg, remote)
}

/// A workspace of `TOWERS` freshly seeded towers, every one raised,
/// whose remote goes through a proxy doing `fault`.
struct Edited {
    gpkg: GeoPackage,
    remote: Remote,
    proxy: FaultProxy,
    dir: tempfile::TempDir,
}

fn edited_through(servers: &SyncServers, protocol: Protocol, fault: Fault) -> Edited {
    seed_towers(servers, TOWERS);
    let server_url = match protocol {
        Protocol::OgcApiFeatures => servers.ogcapi_url().to_string(),
        Protocol::WfsT => servers.wfs_url().to_string(),
    };
    let proxy = FaultProxy::in_front_of(&server_url);
    proxy.set(fault);
    let dir = tempfile::tempdir().unwrap();
    let (gpkg, remote) = edited_workspace(
        dir.path(),
        &server_url,
        &proxy.proxied(&server_url),
        protocol,
    );
    Edited {
        gpkg,
        remote,
        proxy,
        dir,
    }
}

fn assert_all_raised_once(servers: &SyncServers) {
    assert_eq!(
        servers.psql("SELECT count(*), count(DISTINCT uuid), count(*) FILTER (WHERE chieu_cao = 20.5 + (substr(ma_tram, 3)::int % 40)) FROM bts"),
        format!("{TOWERS}|{TOWERS}|{TOWERS}")
    );
}

fn push_through_the_link(protocol: Protocol) {
    let servers = servers();
    let Edited {
        mut gpkg,
        remote,
        proxy,
        dir: _dir,
    } = edited_through(&servers, protocol, link());
    let started = Instant::now();
    let mut portal = connect(&remote, Credentials::None, link_limits());
    let report = push(&mut gpkg, &remote, portal.as_mut(), &Progress::default()).unwrap();
    let took = started.elapsed();
    assert!(
        report.failed.is_empty(),
        "{:?}",
        &report.failed[..report.failed.len().min(3)]
    );
    assert_eq!(
        (
            report.created,
            report.replaced,
            report.deleted,
            report.conflicts
        ),
        (0, TOWERS as u64, 0, 0)
    );
    assert_all_raised_once(&servers);
    eprintln!(
        "{}: {TOWERS} pushed through 4 Mbit/s + 200 ms in {:.1} s ({:.0}/s), {} bytes up, {} down, {} connections",
        protocol.name(),
        took.as_secs_f64(),
        TOWERS as f64 / took.as_secs_f64(),
        proxy.bytes_up(),
        proxy.bytes_down(),
        proxy.connections()
    );
    // Nothing is left to send.
    let again = push(&mut gpkg, &remote, portal.as_mut(), &Progress::default()).unwrap();
    assert_eq!((again.created, again.replaced), (0, 0), "{again:?}");
}

#[test]
fn ten_thousand_edits_push_through_4_mbit_over_ogc_api() {
    push_through_the_link(Protocol::OgcApiFeatures);
}

#[test]
fn ten_thousand_edits_push_through_4_mbit_over_wfs_t() {
    push_through_the_link(Protocol::WfsT);
}

/// The bytes of a plain GeoJSON FeatureCollection of the workspace's
/// towers, as another client would upload them.
fn plain_geojson_bytes(gpkg: &GeoPackage, remote: &Remote) -> usize {
    let mapping = tramgis::sync::remote::layer(gpkg.connection(), &remote.name, "bts").unwrap();
    let schema = gpkg.layer("bts").unwrap().schema;
    let features: Vec<serde_json::Value> = gpkg
        .all_features("bts")
        .unwrap()
        .iter()
        .map(|f| {
            let r = record::from_feature(f, &schema, &mapping);
            let mut properties = serde_json::Map::from_iter(r.properties);
            properties.insert("uuid".into(), r.uuid.into());
            serde_json::json!({"type": "Feature", "geometry": r.geometry, "properties": properties})
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({"type": "FeatureCollection", "features": features}))
        .unwrap()
        .len()
}

#[test]
#[ignore = "benchmark for BENCHMARKS.md: cargo test --release --test sync_link -- --ignored --nocapture"]
fn benchmark() {
    let portals = [
        (Protocol::OgcApiFeatures, false),
        (Protocol::OgcApiFeatures, true),
        (Protocol::WfsT, false),
        (Protocol::WfsT, true),
    ];
    for (protocol, prepared) in portals {
        for over_link in [false, true] {
            let servers = if prepared {
                prepared_servers()
            } else {
                servers()
            };
            let fault = if over_link { link() } else { Fault::None };
            let Edited {
                mut gpkg,
                remote,
                proxy,
                dir: _dir,
            } = edited_through(&servers, protocol, fault);
            let limits = if over_link {
                link_limits()
            } else {
                Limits::default()
            };
            let plain = plain_geojson_bytes(&gpkg, &remote);
            let mut portal = connect(&remote, Credentials::None, limits.clone());
            let started = Instant::now();
            let report = push(&mut gpkg, &remote, portal.as_mut(), &Progress::default()).unwrap();
            let pushed = started.elapsed();
            assert_eq!(report.replaced, TOWERS as u64);
            let (up, down) = (proxy.bytes_up(), proxy.bytes_down());
            // The server's turn: every tower changed by another client.
            servers.psql("UPDATE bts SET chieu_cao = chieu_cao + 1");
            let mut portal = connect(&remote, Credentials::None, limits.clone());
            let started = Instant::now();
            let pulled = pull(&mut gpkg, &remote, portal.as_mut(), &Progress::default()).unwrap();
            let took = started.elapsed();
            assert_eq!(pulled.updated, TOWERS as u64, "{pulled:?}");
            assert_eq!(pulled.by_change_time, prepared, "{pulled:?}");
            let pull_down = proxy.bytes_down() - down;
            // The next day's pull, nothing changed since.
            if prepared {
                a_day_later(&servers);
            }
            let before = proxy.bytes_down();
            let mut portal = connect(&remote, Credentials::None, limits);
            let started = Instant::now();
            let quiet = pull(&mut gpkg, &remote, portal.as_mut(), &Progress::default()).unwrap();
            let quiet_took = started.elapsed();
            assert_eq!(quiet.updated + quiet.added + quiet.deleted, 0, "{quiet:?}");
            let quiet_down = proxy.bytes_down() - before;
            println!(
                "{}{} {}: push {TOWERS} in {:.1} s ({:.0}/s), {:.0} B/feature up + {:.0} down (plain GeoJSON upload {:.0} B/feature); \
                 pull {TOWERS} changed in {:.1} s ({:.0}/s), {:.0} B/feature down; \
                 pull with nothing changed in {:.2} s, {} B down",
                protocol.name(),
                if prepared { " (server-sql)" } else { "" },
                if over_link {
                    "4 Mbit/s + 200 ms"
                } else {
                    "loopback"
                },
                pushed.as_secs_f64(),
                TOWERS as f64 / pushed.as_secs_f64(),
                up as f64 / TOWERS as f64,
                down as f64 / TOWERS as f64,
                plain as f64 / TOWERS as f64,
                took.as_secs_f64(),
                TOWERS as f64 / took.as_secs_f64(),
                pull_down as f64 / TOWERS as f64,
                quiet_took.as_secs_f64(),
                quiet_down,
            );
        }
    }
}
