//! Sync with a portal prepared by `tramgis sync server-sql` (real
//! PostgreSQL + PostGIS on loopback, the DDL applied as an administrator
//! would), over OGC API – Features (pygeoapi 0.21 publishing `updated_at`
//! as its time field and the tombstones as a collection) and over WFS-T
//! (QGIS Server 3.22 publishing the tombstones as a feature type): a pull
//! reads only what changed since the last one, deletes come from the
//! tombstones, the watermark follows the server's own clock, and a push
//! checks its edits against those changes. Other clients' edits are made
//! with psql.

mod common;

use std::collections::BTreeMap;
use std::sync::MutexGuard;

use common::sync_data::*;
use common::sync_servers::{Front, SyncServers, shared_prepared};
use tramgis::gpkg::GeoPackage;
use tramgis::jobs::Progress;
use tramgis::model::FieldValue;
use tramgis::sync::changes;
use tramgis::sync::checkout::{CheckoutRequest, checkout};
use tramgis::sync::remote::{self, Protocol, Remote};
use tramgis::sync::state::{self, ConflictKind};

/// Towers 1–15 of the seed; 16–20 lie outside.
const EXTENT: [f64; 4] = [X0, Y0, X0 + 1550.0, Y0 + 800.0];
const INSIDE: (f64, f64) = (X0 + 700.0, Y0 + 300.0);
const OUTSIDE: (f64, f64) = (X0 + 9000.0, Y0 + 9000.0);

fn prepared() -> MutexGuard<'static, SyncServers> {
    shared_prepared(Front::Bare)
}

/// A workspace with towers 1–15 checked out, the seed made over the day
/// before, an hour apart (a read reaches back the overlap before the
/// newest change it saw: a seed made at one time would all come again).
fn checked_out(
    servers: &SyncServers,
    dir: &std::path::Path,
    protocol: Protocol,
) -> (GeoPackage, Remote) {
    seed(servers);
    servers.psql(
        "ALTER TABLE bts DISABLE TRIGGER tramgis_touch;
         UPDATE bts SET updated_at = now() - interval '1 day' - (20 - fid) * interval '1 hour';
         ALTER TABLE bts ENABLE TRIGGER tramgis_touch;",
    );
    let url = match protocol {
        Protocol::WfsT => servers.wfs_url(),
        _ => servers.ogcapi_url(),
    };
    let (mut gpkg, remote) = workspace_for(dir, "field", url, protocol);
    let request = CheckoutRequest {
        collection: "bts".into(),
        layer: "bts".into(),
        extent: Some(EXTENT),
        epsg: 9214,
        uuid_field: "uuid".into(),
        renames: Default::default(),
    };
    let report = checkout(
        &mut gpkg,
        &remote,
        portal(&remote).as_mut(),
        &request,
        &Progress::default(),
    )
    .unwrap();
    assert_eq!(report.features, 15);
    (gpkg, remote)
}

fn watermark(gpkg: &GeoPackage) -> String {
    remote::layer(gpkg.connection(), "portal", "bts")
        .unwrap()
        .changes_since
        .expect("a prepared portal gives the checkout a watermark")
}

/// Whether `time` is the newest change PostGIS holds, update or delete,
/// as the server writes it: QGIS Server rounds times to the millisecond.
fn is_newest_change(servers: &SyncServers, time: &str) -> bool {
    servers.psql(&format!(
        "SELECT (abs(extract(epoch FROM '{time}'::timestamptz - greatest(
                   (SELECT max(updated_at) FROM bts),
                   (SELECT max(deleted_at) FROM tramgis_tombstones)))) <= 0.0005)::text"
    )) == "true"
}

fn point(x: f64, y: f64) -> String {
    format!("ST_SetSRID(ST_MakePoint({x}, {y}), 9214)")
}

#[test]
fn a_pull_reads_only_the_changes_and_the_tombstones_over_ogc_api() {
    a_pull_reads_only_the_changes_and_the_tombstones(Protocol::OgcApiFeatures);
}

#[test]
fn a_pull_reads_only_the_changes_and_the_tombstones_over_wfs_t() {
    a_pull_reads_only_the_changes_and_the_tombstones(Protocol::WfsT);
}

fn a_pull_reads_only_the_changes_and_the_tombstones(protocol: Protocol) {
    let servers = prepared();
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, remote) = checked_out(&servers, dir.path(), protocol);
    // The trigger's change time is the portal's, not a field to sync.
    let schema = gpkg.layer("bts").unwrap().schema;
    assert!(schema.field_index("updated_at").is_none(), "{schema:?}");
    assert!(is_newest_change(&servers, &watermark(&gpkg)));

    // Another client, inside and outside the checked-out extent.
    let (ix, iy) = INSIDE;
    let (ox, oy) = OUTSIDE;
    servers.psql(&format!(
        "UPDATE bts SET chieu_cao = 99 WHERE ma_tram = 'BG0001';
         DELETE FROM bts WHERE ma_tram = 'BG0002';
         UPDATE bts SET geom = {out} WHERE ma_tram = 'BG0003';
         UPDATE bts SET nha_mang = 'VNPT' WHERE ma_tram = 'BG0018';
         INSERT INTO bts (ma_tram, nha_mang, chieu_cao, geom)
           VALUES ('BG9001', 'Viettel', 30, {inside}), ('BG9002', 'VNPT', 31, {out2});",
        out = point(ox, oy),
        inside = point(ix, iy),
        out2 = point(ox + 10.0, oy),
    ));
    let report = do_pull(&mut gpkg, &remote);
    assert!(report.by_change_time, "{report:?}");
    // BG0001, the moved BG0003 (known wherever it is) and the new BG9001;
    // not the 12 unchanged towers, nor the changes outside.
    assert_eq!(report.read, 3, "{report:?}");
    assert_eq!(
        (
            report.added,
            report.updated,
            report.deleted,
            report.conflicts
        ),
        (1, 2, 1, 0),
        "{report:?}"
    );
    let outside = ["BG0016", "BG0017", "BG0018", "BG0019", "BG0020", "BG9002"];
    let expected: BTreeMap<String, String> = server_towers(&servers)
        .into_iter()
        .filter(|(_, t)| !outside.iter().any(|code| t.starts_with(code)))
        .collect();
    assert_eq!(local_towers(&gpkg), expected);
    assert!(
        local_towers(&gpkg)
            .values()
            .any(|t| t.starts_with("BG9001|Viettel|30|")),
        "the new tower has the UUID the server gave it"
    );
    assert!(is_newest_change(&servers, &watermark(&gpkg)));

    // The overlap brings the same changes again: they change nothing.
    let again = do_pull(&mut gpkg, &remote);
    assert!(again.by_change_time);
    assert_eq!(
        (again.added, again.updated, again.deleted, again.conflicts),
        (0, 0, 0, 0),
        "{again:?}"
    );
    assert_eq!(local_towers(&gpkg), expected);
    assert_validates(&gpkg);
}

#[test]
fn a_push_checks_its_edits_against_the_changes_over_ogc_api() {
    a_push_checks_its_edits_against_the_changes(Protocol::OgcApiFeatures);
}

#[test]
fn a_push_checks_its_edits_against_the_changes_over_wfs_t() {
    a_push_checks_its_edits_against_the_changes(Protocol::WfsT);
}

fn a_push_checks_its_edits_against_the_changes(protocol: Protocol) {
    let servers = prepared();
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, remote) = checked_out(&servers, dir.path(), protocol);
    for (code, height) in [
        ("BG0004", 55.0),
        ("BG0005", 56.0),
        ("BG0006", 57.0),
        ("BG0007", 58.0),
    ] {
        let fid = fid_of(&gpkg, code);
        set_tower(&mut gpkg, fid, "chieu_cao", FieldValue::Real(height));
    }
    servers.psql(
        "UPDATE bts SET nha_mang = 'Gtel' WHERE ma_tram = 'BG0004';
         UPDATE bts SET chieu_cao = 70 WHERE ma_tram = 'BG0005';
         DELETE FROM bts WHERE ma_tram = 'BG0006';",
    );
    // What the push compares with: the towers another client touched,
    // read by change time, and the newest of the seed (BG0020, outside
    // the extent), which the overlap brings again; deletes from the
    // tombstones.
    let mapping = remote::layer(gpkg.connection(), "portal", "bts").unwrap();
    let found = changes::since_watermark(portal(&remote).as_mut(), &mapping)
        .unwrap()
        .expect("the portal keeps change times");
    let uuids: BTreeMap<&str, String> = ["BG0004", "BG0005", "BG0006"]
        .into_iter()
        .map(|code| (code, uuid_of(&gpkg, "bts", fid_of(&gpkg, code))))
        .collect();
    let uuid = |code: &str| uuids[code].clone();
    let mut changed: Vec<String> = found.changed.iter().map(|r| r.uuid.clone()).collect();
    changed.sort();
    let mut expected = vec![
        uuid("BG0004"),
        uuid("BG0005"),
        servers.psql("SELECT uuid FROM bts WHERE ma_tram = 'BG0020'"),
    ];
    expected.sort();
    assert_eq!(changed, expected);
    assert_eq!(
        found.deleted.into_iter().collect::<Vec<_>>(),
        vec![uuid("BG0006")]
    );

    let report = do_push(&mut gpkg, &remote);
    // BG0004 merges (another field), BG0007 is replaced; BG0005 (the same
    // field) and BG0006 (deleted there) are conflicts, not overwrites.
    assert_eq!(report.replaced, 2, "{report:?}");
    assert_eq!(report.conflicts, 2, "{report:?}");
    let row = |code: &str| {
        servers.psql(&format!(
            "SELECT nha_mang || '|' || chieu_cao FROM bts WHERE ma_tram = '{code}'"
        ))
    };
    assert_eq!(row("BG0004"), "Gtel|55");
    assert_eq!(row("BG0005"), "MobiFone|70", "the server's edit stands");
    assert_eq!(row("BG0006"), "", "the delete stands");
    assert_eq!(row("BG0007"), "VNPT|58");
    let mut kinds: Vec<(String, ConflictKind)> = state::open_conflicts(gpkg.connection(), None)
        .unwrap()
        .into_iter()
        .map(|c| (c.uuid, c.kind))
        .collect();
    kinds.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected = vec![
        (uuid("BG0005"), ConflictKind::BothChanged),
        (uuid("BG0006"), ConflictKind::ChangedHereDeletedThere),
    ];
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(kinds, expected);
}
