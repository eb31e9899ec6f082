//! The `tramgis sync` command line against the real sync servers (PostGIS,
//! pygeoapi on loopback): the portal DDL of `server-sql` applied to
//! PostGIS, `status` and `conflicts` as edits, pushes and pulls go by,
//! the sync `log`, and a `checkout --commune` that takes only that
//! commune's extent. The real binary runs; PostGIS and the workspace file
//! are read directly to check what it says.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::sync_data::*;
use common::sync_servers::{SyncServers, shared};
use geo_types::{Geometry, LineString, Polygon};
use tramgis::gpkg::{GeoPackage, LayerMeta};
use tramgis::model::{Feature, Field, FieldType, FieldValue, GeometryType, Schema};
use tramgis::sync::remote;
use unicode_normalization::UnicodeNormalization;

/// Who runs the CLI: the log must name this user.
const USER: &str = "ngoc_anh";

fn tramgis(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tramgis"))
        .args(args)
        .env("USER", USER)
        .env_remove("TRAMGIS_SYNC_PASSWORD")
        .env_remove("TRAMGIS_SYNC_TOKEN")
        .output()
        .unwrap_or_else(|e| panic!("cannot run tramgis {args:?}: {e}"))
}

/// Runs tramgis, which must succeed; returns its standard output.
fn ok(args: &[&str]) -> String {
    let out = tramgis(args);
    assert!(
        out.status.success(),
        "tramgis {args:?}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("tramgis prints UTF-8")
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

/// An empty workspace file with the remote `portal` added through the
/// CLI, as a user would.
fn cli_workspace(dir: &Path, servers: &SyncServers) -> std::path::PathBuf {
    let ws = dir.join("doi_do_dac.gpkg");
    drop(GeoPackage::create(&ws).unwrap());
    let url = servers.ogcapi_url();
    let added = ok(&[
        "sync",
        "remote",
        "add",
        path_str(&ws),
        "portal",
        url,
        "--protocol",
        "ogcapi-features",
    ]);
    assert_eq!(added.trim_end(), format!("portal\togcapi-features\t{url}"));
    ws
}

/// `tramgis sync status`, line by line: (remote, layer, waiting, conflicts).
fn status(ws: &Path) -> Vec<(String, String, usize, usize)> {
    let number = |cell: &str, unit: &str| -> usize {
        cell.strip_suffix(unit)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("status cell {cell:?} is not 'N{unit}'"))
    };
    ok(&["sync", "status", path_str(ws)])
        .lines()
        .map(|line| {
            let cells: Vec<&str> = line.split('\t').collect();
            assert_eq!(cells.len(), 4, "status line {line:?}");
            (
                cells[0].to_string(),
                cells[1].to_string(),
                number(cells[2], " changed since the last sync"),
                number(cells[3], " conflicts"),
            )
        })
        .collect()
}

fn bts_status(waiting: usize, conflicts: usize) -> Vec<(String, String, usize, usize)> {
    vec![("portal".into(), "bts".into(), waiting, conflicts)]
}

fn open_conflicts_in_file(ws: &Path) -> i64 {
    GeoPackage::open_read_only(ws)
        .unwrap()
        .connection()
        .query_row(
            "SELECT count(*) FROM tramgis_sync_conflicts WHERE resolved_at IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

const SCRATCH_DROP: &str = "DROP TABLE IF EXISTS cli_scratch;
    DROP SCHEMA IF EXISTS cli_scratch_schema CASCADE;
    DROP TABLE IF EXISTS tramgis_tombstones;
    DROP FUNCTION IF EXISTS tramgis_touch();
    DROP FUNCTION IF EXISTS tramgis_tombstone();";

/// Renames scratch row 1 and checks that the trigger moved its
/// `updated_at` forward.
fn renaming_moves_updated_at(servers: &SyncServers, name: &str) {
    let before = servers.psql("SELECT updated_at FROM cli_scratch WHERE id = 1");
    servers.psql(&format!(
        "UPDATE cli_scratch SET ten = '{name}' WHERE id = 1"
    ));
    assert_eq!(
        servers.psql(&format!(
            "SELECT (updated_at > '{before}'::timestamptz)::text FROM cli_scratch WHERE id = 1"
        )),
        "true"
    );
}

#[test]
fn server_sql_ddl_applies_to_postgis_and_keeps_updated_at_and_tombstones() {
    let servers = shared();
    // A previous failed run may have left them.
    servers.psql(SCRATCH_DROP);
    servers.psql(
        "CREATE TABLE cli_scratch (id serial PRIMARY KEY, ten text, geom geometry(Point, 9214));
         INSERT INTO cli_scratch (ten, geom) VALUES
           ('Trạm Đồi Thông', ST_SetSRID(ST_MakePoint(560100, 1820100), 9214)),
           ('Trạm Bến Đò', ST_SetSRID(ST_MakePoint(560200, 1820200), 9214));
         CREATE SCHEMA cli_scratch_schema;
         CREATE TABLE cli_scratch_schema.thua_moi (id serial PRIMARY KEY, so_thua int,
           geom geometry(Polygon, 9214));
         INSERT INTO cli_scratch_schema.thua_moi (so_thua, geom)
           VALUES (7, ST_MakeEnvelope(560000, 1820000, 560050, 1820050, 9214));",
    );

    let ddl = ok(&["sync", "server-sql", "cli_scratch"]);
    // psql stops at the first error (ON_ERROR_STOP) and the test with it.
    servers.psql(&ddl);

    // The rows there already got distinct UUIDs.
    let uuid_re = "'^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'";
    assert_eq!(
        servers.psql(&format!(
            "SELECT count(*) || ' ' || count(DISTINCT uuid) FROM cli_scratch WHERE uuid ~ {uuid_re}"
        )),
        "2 2"
    );

    // A client that knows nothing of UUIDs inserts: the server gives one,
    // and the time is the server's even when the client sends another.
    servers.psql(
        "INSERT INTO cli_scratch (ten, geom, updated_at)
         VALUES ('Trạm Mới', ST_SetSRID(ST_MakePoint(560300, 1820300), 9214), '2000-01-01Z')",
    );
    assert_eq!(
        servers.psql(&format!(
            "SELECT (uuid ~ {uuid_re})::text || ' ' || (updated_at > now() - interval '1 hour')::text
             FROM cli_scratch WHERE ten = 'Trạm Mới'"
        )),
        "true true"
    );

    // An update moves updated_at forward, of that row only.
    let times =
        || servers.psql("SELECT string_agg(updated_at::text, ',' ORDER BY id) FROM cli_scratch");
    let before = times();
    renaming_moves_updated_at(&servers, "Trạm Đồi Thông (mới)");
    let after = times();
    let (before, after): (Vec<&str>, Vec<&str>) =
        (before.split(',').collect(), after.split(',').collect());
    assert_ne!(before[0], after[0]);
    assert_eq!(before[1..], after[1..], "only the updated row's time moves");

    // A delete leaves a tombstone with the row's UUID.
    let gone = servers.psql("SELECT uuid FROM cli_scratch WHERE id = 2");
    servers.psql("DELETE FROM cli_scratch WHERE id = 2");
    assert_eq!(
        servers.psql(&format!(
            "SELECT count(*) FROM tramgis_tombstones WHERE table_name = 'public.cli_scratch' AND uuid = '{gone}'"
        )),
        "1"
    );
    assert_eq!(servers.psql("SELECT count(*) FROM tramgis_tombstones"), "1");

    // Every statement says IF NOT EXISTS / OR REPLACE / IF EXISTS: an
    // administrator applies it again when adding a table (here a
    // schema-qualified one), and what was there stays as it was.
    let uuids = || servers.psql("SELECT string_agg(uuid, ',' ORDER BY id) FROM cli_scratch");
    let uuids_before = uuids();
    let ddl2 = ok(&[
        "sync",
        "server-sql",
        "cli_scratch",
        "cli_scratch_schema.thua_moi",
    ]);
    servers.psql(&ddl2);
    assert_eq!(
        uuids(),
        uuids_before,
        "a second application keeps the UUIDs given"
    );
    assert_eq!(servers.psql("SELECT count(*) FROM tramgis_tombstones"), "1");
    assert_eq!(
        servers.psql(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'cli_scratch'::regclass AND NOT tgisinternal"
        ),
        "2",
        "the triggers are replaced, not doubled"
    );
    let parcel = servers.psql(&format!(
        "SELECT uuid FROM cli_scratch_schema.thua_moi WHERE uuid ~ {uuid_re}"
    ));
    assert!(!parcel.is_empty(), "the qualified table's row got a UUID");
    servers.psql("DELETE FROM cli_scratch_schema.thua_moi");
    assert_eq!(
        servers.psql(&format!(
            "SELECT count(*) FROM tramgis_tombstones WHERE table_name = 'cli_scratch_schema.thua_moi' AND uuid = '{parcel}'"
        )),
        "1"
    );
    renaming_moves_updated_at(&servers, "Trạm Đồi Thông");

    servers.psql(SCRATCH_DROP);
}

#[test]
fn status_counts_pending_edits_and_conflicts() {
    let servers = shared();
    seed(&servers);
    let dir = tempfile::tempdir().unwrap();
    let ws = cli_workspace(dir.path(), &servers);
    let w = path_str(&ws);
    // Nothing checked out: nothing to show.
    assert_eq!(status(&ws), vec![]);
    let checked = ok(&["sync", "checkout", w, "portal", "bts"]);
    assert!(checked.contains(" 20 received"), "{checked}");
    assert_eq!(status(&ws), bts_status(0, 0));

    let mut gpkg = GeoPackage::open(&ws).unwrap();
    let raised = fid_of(&gpkg, "BG0001");
    let renamed = fid_of(&gpkg, "BG0002");
    let removed = fid_of(&gpkg, "BG0003");
    set_tower(&mut gpkg, raised, "chieu_cao", FieldValue::Real(45.5));
    set_tower(
        &mut gpkg,
        renamed,
        "nha_mang",
        FieldValue::Text("Vietnamobile".into()),
    );
    gpkg.edit("Xoá trạm", |e| e.delete("bts", removed)).unwrap();
    drop(gpkg);
    assert_eq!(status(&ws), bts_status(3, 0));

    let pushed = ok(&["sync", "push", w, "portal"]);
    assert!(
        pushed.starts_with("portal: 0 created, 2 replaced, 1 deleted, "),
        "{pushed}"
    );
    assert_eq!(status(&ws), bts_status(0, 0));
    assert_eq!(
        servers.psql(
            "SELECT string_agg(ma_tram || ' ' || nha_mang || ' ' || chieu_cao, ',' ORDER BY ma_tram)
             FROM bts WHERE ma_tram IN ('BG0001', 'BG0002', 'BG0003')"
        ),
        "BG0001 VNPT 45.5,BG0002 Vietnamobile 23"
    );

    // The same field changed here and on the server: the pull keeps both
    // and reports a conflict.
    let mut gpkg = GeoPackage::open(&ws).unwrap();
    let contested = fid_of(&gpkg, "BG0005");
    let uuid = uuid_of(&gpkg, "bts", contested);
    set_tower(&mut gpkg, contested, "chieu_cao", FieldValue::Real(77.5));
    drop(gpkg);
    servers.psql("UPDATE bts SET chieu_cao = 88.5 WHERE ma_tram = 'BG0005'");
    let pulled = ok(&["sync", "pull", w, "portal"]);
    assert!(pulled.contains(" 1 conflicts"), "{pulled}");
    let shown = status(&ws);
    // A feature in conflict waits for a decision, not for a push.
    assert_eq!(shown, bts_status(0, 1), "{shown:?}");
    assert_eq!(open_conflicts_in_file(&ws), 1);
    let listed = ok(&["sync", "conflicts", w]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    let head: Vec<&str> = lines[0].split('\t').collect();
    assert_eq!(
        head[1..],
        [
            "portal",
            "bts",
            "both-changed",
            &format!("fid {contested}"),
            &uuid
        ],
        "{listed}"
    );
    assert_eq!(
        lines[1], "\tchieu_cao: mine 77.5 | theirs 88.5 | base 27.5",
        "{listed}"
    );
    // Nothing was overwritten on either side.
    assert_eq!(
        servers.psql("SELECT chieu_cao FROM bts WHERE ma_tram = 'BG0005'"),
        "88.5"
    );
    let gpkg = GeoPackage::open_read_only(&ws).unwrap();
    let height = field(&gpkg, "bts", "chieu_cao");
    assert_eq!(
        gpkg.get_feature("bts", contested).unwrap().unwrap().values[height],
        FieldValue::Real(77.5)
    );
    drop(gpkg);

    // Keep mine, push: the conflict is gone and the server has mine.
    let id = head[0].strip_prefix('#').expect("#id");
    ok(&["sync", "resolve", w, id, "--mine"]);
    assert_eq!(open_conflicts_in_file(&ws), 0);
    // The decision is an edit of its own, waiting to be pushed.
    assert_eq!(status(&ws), bts_status(1, 0));
    ok(&["sync", "push", w, "portal"]);
    assert_eq!(status(&ws), bts_status(0, 0));
    assert_eq!(ok(&["sync", "conflicts", w]), "");
    assert_eq!(
        servers.psql("SELECT chieu_cao FROM bts WHERE ma_tram = 'BG0005'"),
        "77.5"
    );
}

/// The sync log as the workspace keeps it, newest first.
#[derive(Debug)]
struct Logged {
    user: String,
    remote: String,
    operation: String,
    outcome: String,
    counts: [i64; 5],
    bytes_sent: i64,
    bytes_received: i64,
    requests: i64,
    errors: String,
}

fn log_in_file(ws: &Path) -> Vec<Logged> {
    let gpkg = GeoPackage::open_read_only(ws).unwrap();
    let mut stmt = gpkg
        .connection()
        .prepare(
            "SELECT user, remote, operation, outcome, created, replaced, deleted, received,
                    conflicts, bytes_sent, bytes_received, requests, errors
             FROM tramgis_sync_log ORDER BY sync_id DESC",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok(Logged {
            user: r.get(0)?,
            remote: r.get(1)?,
            operation: r.get(2)?,
            outcome: r.get(3)?,
            counts: [r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?],
            bytes_sent: r.get(9)?,
            bytes_received: r.get(10)?,
            requests: r.get(11)?,
            errors: r.get(12)?,
        })
    })
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

/// What `tramgis sync log` should print for an entry (all but the time).
fn log_line(e: &Logged) -> String {
    let [c, r, d, rc, k] = e.counts;
    format!(
        "{}\t{}\t{}\t{}\tcreated {c} replaced {r} deleted {d} received {rc} conflicts {k}\t{} B sent, {} B received, {} requests\t{}",
        e.user,
        e.remote,
        e.operation,
        e.outcome,
        e.bytes_sent,
        e.bytes_received,
        e.requests,
        e.errors.lines().collect::<Vec<_>>().join(" | ")
    )
}

fn assert_log_prints(ws: &Path, limit: usize) -> Vec<Logged> {
    let entries = log_in_file(ws);
    let printed = ok(&["sync", "log", path_str(ws), "--limit", &limit.to_string()]);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), limit.min(entries.len()), "{printed}");
    for (line, e) in lines.iter().zip(&entries) {
        let (time, rest) = line.split_once('\t').expect("a tab after the time");
        assert!(
            time.starts_with("20") && time.ends_with('Z'),
            "{time:?} is not a UTC time"
        );
        assert_eq!(rest, log_line(e));
    }
    entries
}

/// Everything a sync may change in the workspace, but the log.
fn workspace_state(ws: &Path) -> (std::collections::BTreeMap<String, String>, String) {
    let gpkg = GeoPackage::open_read_only(ws).unwrap();
    let records: String = gpkg
        .connection()
        .query_row(
            "SELECT (SELECT group_concat(x, char(10)) FROM (SELECT remote || '|' || layer || '|' ||
                       uuid || '|' || coalesce(fid, '') || '|' || coalesce(server_id, '') || '|' ||
                       coalesce(base, '') || '|' || state AS x
                     FROM tramgis_sync_features ORDER BY uuid))
                 || char(10) || (SELECT group_concat(mapping || synced_change_id) FROM tramgis_sync_layers)
                 || char(10) || (SELECT count(*) || ' ' || max(change_id) FROM tramgis_changes)
                 || char(10) || (SELECT count(*) FROM tramgis_sync_conflicts)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    (local_towers(&gpkg), records)
}

#[test]
fn log_records_each_sync_with_counts() {
    let servers = shared();
    seed(&servers);
    let dir = tempfile::tempdir().unwrap();
    let ws = cli_workspace(dir.path(), &servers);
    let w = path_str(&ws);
    // A fresh workspace has an empty log.
    assert_eq!(ok(&["sync", "log", w]), "");
    ok(&["sync", "checkout", w, "portal", "bts"]);

    let mut gpkg = GeoPackage::open(&ws).unwrap();
    let (a, b, c) = (
        fid_of(&gpkg, "BG0001"),
        fid_of(&gpkg, "BG0002"),
        fid_of(&gpkg, "BG0003"),
    );
    set_tower(&mut gpkg, a, "chieu_cao", FieldValue::Real(40.25));
    set_tower(&mut gpkg, b, "nha_mang", FieldValue::Text("VNPT".into()));
    let new_tower = tower(&gpkg, "BG9002", "Viettel", 33.0, X0 + 5.5, Y0 + 7.5);
    gpkg.edit("Thêm và xoá trạm", |e| {
        e.insert("bts", &new_tower)?;
        e.delete("bts", c)
    })
    .unwrap();
    drop(gpkg);
    ok(&["sync", "push", w, "portal"]);
    servers.psql("UPDATE bts SET chieu_cao = 50 WHERE ma_tram IN ('BG0010', 'BG0011', 'BG0012')");
    ok(&["sync", "pull", w, "portal"]);

    let entries = assert_log_prints(&ws, 20);
    let ops: Vec<&str> = entries.iter().map(|e| e.operation.as_str()).collect();
    assert_eq!(ops, ["pull", "push", "checkout bts"]);
    for e in &entries {
        assert_eq!(
            (
                e.user.as_str(),
                e.remote.as_str(),
                e.outcome.as_str(),
                e.errors.as_str()
            ),
            (USER, "portal", "ok", ""),
            "{e:?}"
        );
        assert!(e.requests > 0 && e.bytes_received > 0, "{e:?}");
    }
    let (pull, push, checkout) = (&entries[0], &entries[1], &entries[2]);
    assert_eq!(pull.counts, [0, 0, 0, 3, 0], "{pull:?}");
    assert_eq!(push.counts[..3], [1, 2, 1], "{push:?}");
    assert_eq!(push.counts[4], 0, "{push:?}");
    assert_eq!(checkout.counts, [0, 0, 0, 20, 0], "{checkout:?}");
    // A push sends the features; a pull only asks.
    assert!(push.bytes_sent > 300, "{push:?}");
    assert!(pull.bytes_received > 20 * 100, "{pull:?}");
    // --limit keeps the newest.
    assert_log_prints(&ws, 1);

    // The portal is unreachable (a port nobody listens on any more). No
    // CLI command moves a remote, so the workspace is told directly.
    let mut gpkg = GeoPackage::open(&ws).unwrap();
    let waiting = fid_of(&gpkg, "BG0015");
    set_tower(&mut gpkg, waiting, "chieu_cao", FieldValue::Real(61.5));
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let move_remote = |gpkg: &GeoPackage, url: &str| {
        gpkg.connection()
            .execute(
                "UPDATE tramgis_sync_remotes SET url = ?1 WHERE name = 'portal'",
                [url],
            )
            .unwrap()
    };
    let dead_url = format!("http://127.0.0.1:{closed}");
    move_remote(&gpkg, &dead_url);
    drop(gpkg);
    let before = workspace_state(&ws);
    let failed = tramgis(&["sync", "push", w, "portal", "--timeout", "5"]);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success(), "{stderr}");
    assert!(stderr.contains("the connection failed"), "{stderr}");
    assert_eq!(
        workspace_state(&ws),
        before,
        "a failed push changes nothing"
    );
    let entries = assert_log_prints(&ws, 20);
    assert_eq!(entries.len(), 4);
    let f = &entries[0];
    assert_eq!(
        (f.operation.as_str(), f.outcome.as_str(), f.user.as_str()),
        ("push", "failed", USER),
        "{f:?}"
    );
    assert_eq!(f.counts, [0; 5], "{f:?}");
    assert!(
        f.errors.contains(&dead_url) && f.errors.contains("the connection failed"),
        "{f:?}"
    );
    assert_eq!(status(&ws), bts_status(1, 0));

    // Back online, the edit goes.
    let gpkg = GeoPackage::open(&ws).unwrap();
    move_remote(&gpkg, servers.ogcapi_url());
    drop(gpkg);
    ok(&["sync", "push", w, "portal"]);
    assert_eq!(
        servers.psql("SELECT chieu_cao FROM bts WHERE ma_tram = 'BG0015'"),
        "61.5"
    );
    assert_eq!(log_in_file(&ws)[0].counts[..3], [0, 1, 0]);
}

fn polygon(points: &[(f64, f64)]) -> Geometry<f64> {
    let mut ring = points.to_vec();
    ring.push(points[0]);
    Geometry::Polygon(Polygon::new(LineString::from(ring), vec![]))
}

/// Tower codes of a local layer, sorted.
fn local_codes(ws: &Path, layer: &str) -> String {
    let gpkg = GeoPackage::open_read_only(ws).unwrap();
    let i = field(&gpkg, layer, "ma_tram");
    let mut codes: Vec<String> = gpkg
        .all_features(layer)
        .unwrap()
        .into_iter()
        .map(|f| match &f.values[i] {
            FieldValue::Text(t) => t.clone(),
            other => panic!("ma_tram is {other:?}"),
        })
        .collect();
    codes.sort();
    codes.join(",")
}

/// PostGIS's towers in a box, as the portal would select them.
fn server_codes_in(servers: &SyncServers, b: [f64; 4]) -> String {
    servers.psql(&format!(
        "SELECT string_agg(ma_tram, ',' ORDER BY ma_tram) FROM bts
         WHERE ST_Intersects(geom, ST_MakeEnvelope({}, {}, {}, {}, 9214))",
        b[0], b[1], b[2], b[3]
    ))
}

/// The towers numbered `expected` are those PostGIS holds within `b`, and
/// exactly those are in the local `layer`.
fn assert_checked_out(
    servers: &SyncServers,
    ws: &Path,
    layer: &str,
    b: [f64; 4],
    expected: std::ops::RangeInclusive<i32>,
) {
    let codes = server_codes_in(servers, b);
    let numbered: Vec<String> = expected.map(|i| format!("BG{i:04}")).collect();
    assert_eq!(codes, numbered.join(","));
    assert_eq!(local_codes(ws, layer), codes);
}

#[test]
fn checkout_by_commune_takes_only_that_communes_extent() {
    let servers = shared();
    seed(&servers);
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, _) = workspace(dir.path(), "xa_tan_dinh", servers.ogcapi_url());
    let ws = gpkg.path().to_path_buf();
    let schema = Schema::new(
        GeometryType::Polygon,
        9214,
        vec![
            Field::new("ma_xa", FieldType::Text),
            Field::new("ten_xa", FieldType::Text),
        ],
    );
    gpkg.create_layer("ranh_gioi_xa", &schema, &LayerMeta::default())
        .unwrap();
    // Towers stand at X0 + i·100.25, Y0 + i·50.5 (i = 1..20): the west
    // commune holds 1..10, the east one 11..20. Not rectangles, so the
    // extent comes from the corners. The east one is stored first: the
    // name has to pick, not the order.
    let west = [
        (559_900.0, 1_819_900.0),
        (561_050.0, 1_819_950.0),
        (561_060.0, 1_821_100.0),
        (559_950.0, 1_821_050.0),
    ];
    let west_box = [559_900.0, 1_819_900.0, 561_060.0, 1_821_100.0];
    let east = [
        (561_060.0, 1_819_950.0),
        (562_200.0, 1_819_900.0),
        (562_150.0, 1_821_200.0),
        (561_070.0, 1_821_100.0),
    ];
    let east_box = [561_060.0, 1_819_900.0, 562_200.0, 1_821_200.0];
    let (west_name, east_name) = ("Xã Tân Dĩnh", "Phường Hoàng Văn Thụ");
    for (code, name, ring) in [("07240", east_name, east), ("07246", west_name, west)] {
        let values = vec![FieldValue::Text(code.into()), FieldValue::Text(name.into())];
        gpkg.insert_feature("ranh_gioi_xa", &Feature::new(Some(polygon(&ring)), values))
            .unwrap();
    }
    drop(gpkg);
    let w = path_str(&ws);

    // An unknown commune: a clear error, and no layer made.
    let unknown = "Xã Không Có";
    let out = tramgis(&["sync", "checkout", w, "portal", "bts", "--commune", unknown]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "nothing named '{unknown}' in ranh_gioi_xa (ten_xa)"
        )),
        "{stderr}"
    );
    let gpkg = GeoPackage::open_read_only(&ws).unwrap();
    assert!(
        gpkg.layer("bts").is_err(),
        "no layer after a failed checkout"
    );
    assert_eq!(remote::layers(gpkg.connection(), "portal").unwrap(), vec![]);
    drop(gpkg);

    let out = ok(&[
        "sync",
        "checkout",
        w,
        "portal",
        "bts",
        "--commune",
        west_name,
    ]);
    assert!(out.contains(" 10 received"), "{out}");
    assert_checked_out(&servers, &ws, "bts", west_box, 1..=10);

    // Typed with combining marks (Unikey's "Unicode tổ hợp"), the name is
    // the same commune.
    let decomposed: String = east_name.nfd().collect();
    assert_ne!(decomposed, east_name);
    ok(&[
        "sync",
        "checkout",
        w,
        "portal",
        "bts",
        "--layer",
        "bts_hoang_van_thu",
        "--commune",
        &decomposed,
    ]);
    let expected = server_codes_in(&servers, east_box);
    assert_eq!(expected.split(',').count(), 10, "{expected}");
    assert_eq!(local_codes(&ws, "bts_hoang_van_thu"), expected);

    // Each layer remembers its extent, so pulls stay within the commune.
    let gpkg = GeoPackage::open_read_only(&ws).unwrap();
    let extent = |layer: &str| {
        remote::layer(gpkg.connection(), "portal", layer)
            .unwrap()
            .extent
    };
    assert_eq!(extent("bts"), Some(west_box));
    assert_eq!(extent("bts_hoang_van_thu"), Some(east_box));
    drop(gpkg);

    // A district in two parts (two rows of ranh_gioi_huyen with its name):
    // the box of both, towers 3 to 17.
    let mut gpkg = GeoPackage::open(&ws).unwrap();
    let schema = Schema::new(
        GeometryType::Polygon,
        9214,
        vec![Field::new("ten_huyen", FieldType::Text)],
    );
    gpkg.create_layer("ranh_gioi_huyen", &schema, &LayerMeta::default())
        .unwrap();
    let district = "Thành phố Bắc Giang";
    for (x0, y0, x1, y1) in [
        (560_290.0, 1_820_140.0, 560_610.0, 1_820_310.0),
        (561_495.0, 1_820_750.0, 561_710.0, 1_820_865.0),
    ] {
        let ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)];
        let values = vec![FieldValue::Text(district.into())];
        gpkg.insert_feature(
            "ranh_gioi_huyen",
            &Feature::new(Some(polygon(&ring)), values),
        )
        .unwrap();
    }
    drop(gpkg);
    let district_box = [560_290.0, 1_820_140.0, 561_710.0, 1_820_865.0];
    ok(&[
        "sync",
        "checkout",
        w,
        "portal",
        "bts",
        "--layer",
        "bts_tp",
        "--district",
        district,
    ]);
    assert_checked_out(&servers, &ws, "bts_tp", district_box, 3..=17);
}

/// `checkout --rename`: the local layer names the portal's `chieu_cao`
/// `do_cao`; an edit of `do_cao` reaches `chieu_cao` in PostGIS, a server
/// change of `chieu_cao` comes back into `do_cao`, and a rename of a
/// property the collection lacks is refused before any layer is made.
#[test]
fn checkout_with_a_field_renamed_syncs_it_under_the_servers_name() {
    let servers = shared();
    seed(&servers);
    let dir = tempfile::tempdir().unwrap();
    let ws = cli_workspace(dir.path(), &servers);
    let w = path_str(&ws);
    let refused = tramgis(&[
        "sync",
        "checkout",
        w,
        "portal",
        "bts",
        "--rename",
        "do_cao=cao_do",
    ]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("no property 'cao_do'"), "{message}");
    assert!(GeoPackage::open(&ws).unwrap().layer("bts").is_err());

    ok(&[
        "sync",
        "checkout",
        w,
        "portal",
        "bts",
        "--rename",
        "do_cao=chieu_cao",
    ]);
    let gpkg = GeoPackage::open(&ws).unwrap();
    let schema = gpkg.layer("bts").unwrap().schema;
    let names: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
    assert!(
        names.contains(&"do_cao") && !names.contains(&"chieu_cao"),
        "{names:?}"
    );
    drop(gpkg);
    // A field added here after the checkout (as QGIS adds one) stays local.
    let added = Command::new("ogrinfo")
        .args([w, "-q", "-sql", "ALTER TABLE bts ADD COLUMN ghi_chu TEXT"])
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    let mut gpkg = GeoPackage::open(&ws).unwrap();
    let fid = fid_of(&gpkg, "BG0001");
    set_tower(&mut gpkg, fid, "do_cao", FieldValue::Real(61.5));
    set_tower(
        &mut gpkg,
        fid,
        "ghi_chu",
        FieldValue::Text("cột nghiêng".into()),
    );
    drop(gpkg);
    let pushed = ok(&["sync", "push", w, "portal"]);
    assert!(pushed.contains("1 replaced"), "{pushed}");
    assert_eq!(
        servers.psql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'bts' AND column_name = 'ghi_chu'"),
        "0"
    );
    assert_eq!(
        servers.psql("SELECT chieu_cao FROM bts WHERE ma_tram = 'BG0001'"),
        "61.5"
    );

    servers.psql("UPDATE bts SET chieu_cao = 62.25 WHERE ma_tram = 'BG0002'");
    ok(&["sync", "pull", w, "portal"]);
    let gpkg = GeoPackage::open(&ws).unwrap();
    let f = gpkg
        .get_feature("bts", fid_of(&gpkg, "BG0002"))
        .unwrap()
        .unwrap();
    assert_eq!(
        f.values[field(&gpkg, "bts", "do_cao")],
        FieldValue::Real(62.25)
    );
}
