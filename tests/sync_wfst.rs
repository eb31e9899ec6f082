//! Sync over WFS-T 1.1 (QGIS Server 3.22 over PostGIS, real servers on
//! loopback): check out, edit through the edit API, push, and PostGIS,
//! queried directly, holds exactly the edits (Vietnamese text included);
//! two workspaces merge or conflict; a Transaction answered with HTTP 200
//! and a failure message fails those features only.

mod common;

use common::sync_data::*;
use common::sync_servers::shared;
use geo_types::{Geometry, LineString, Polygon};
use tramgis::model::FieldValue;
use tramgis::sync::connect::detect;
use tramgis::sync::http::Credentials;
use tramgis::sync::remote::Protocol;
use tramgis::sync::resolve::{Resolution, resolve};
use tramgis::sync::state::{self, ConflictKind};

#[test]
fn the_protocol_is_detected_from_get_capabilities() {
    let servers = shared();
    assert_eq!(
        detect(servers.wfs_url(), Credentials::None).unwrap(),
        Protocol::WfsT
    );
    assert_eq!(
        detect(servers.ogcapi_url(), Credentials::None).unwrap(),
        Protocol::OgcApiFeatures
    );
}

#[test]
fn checkout_edit_push_over_wfs_t_and_postgis_holds_exactly_the_edits() {
    let servers = shared();
    seed(&servers);
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, remote) = workspace_for(dir.path(), "field", servers.wfs_url(), Protocol::WfsT);
    assert_eq!(check_out(&mut gpkg, &remote, "bts"), 20);
    assert_eq!(check_out(&mut gpkg, &remote, "thua_dat"), 10);
    assert_eq!(local_towers(&gpkg), server_towers(&servers));
    // QGIS publishes the key `fid`; it is the server's, not a field here.
    let fields: Vec<String> = gpkg
        .layer("bts")
        .unwrap()
        .schema
        .fields
        .iter()
        .map(|f| f.name.clone())
        .collect();
    assert_eq!(fields, ["uuid", "ma_tram", "nha_mang", "chieu_cao"]);

    let raised = fid_of(&gpkg, "BG0001");
    let moved = fid_of(&gpkg, "BG0002");
    let removed = fid_of(&gpkg, "BG0003");
    let renamed = fid_of(&gpkg, "BG0004");
    let new_tower = tower(&gpkg, "BG9001", "Viettel", 36.0, 562_500.75, 1_822_250.25);
    let parcel_uuid = uuid_of(&gpkg, "thua_dat", 4);
    let gone_parcel_uuid = uuid_of(&gpkg, "thua_dat", 5);
    let parcel_schema = gpkg.layer("thua_dat").unwrap().schema;
    let mut new_parcel = gpkg.get_feature("thua_dat", 1).unwrap().unwrap();
    new_parcel.fid = None;
    new_parcel.values[parcel_schema.field_index("uuid").unwrap()] = FieldValue::Null;
    new_parcel.values[parcel_schema.field_index("so_thua").unwrap()] = FieldValue::Integer(777);
    new_parcel.geometry = Some(Geometry::Polygon(Polygon::new(
        LineString::from(vec![
            (X0, Y0 + 100.0),
            (X0 + 30.5, Y0 + 100.0),
            (X0 + 30.5, Y0 + 140.25),
            (X0, Y0 + 100.0),
        ]),
        vec![],
    )));
    gpkg.edit("Sửa ngoài thực địa", |e| {
        raise_and_move(e, raised, moved)?;
        e.delete("bts", removed)?;
        e.set_value(
            "bts",
            renamed,
            "ma_tram",
            &FieldValue::Text("Trạm Huế & <Bắc Giang>".into()),
        )?;
        e.set_value("bts", renamed, "nha_mang", &FieldValue::Null)?;
        let added = e.insert("bts", &new_tower)?;
        e.set_value("bts", added, "chieu_cao", &FieldValue::Real(38.0))?;
        let short_lived = e.insert("bts", &new_tower)?;
        e.delete("bts", short_lived)?;
        e.set_value(
            "thua_dat",
            4,
            "ma_loai_dat",
            &FieldValue::Text("ODT".into()),
        )?;
        e.delete("thua_dat", 5)?;
        e.insert("thua_dat", &new_parcel)?;
        Ok(())
    })
    .unwrap();

    let report = do_push(&mut gpkg, &remote);
    assert_eq!(
        (
            report.created,
            report.replaced,
            report.deleted,
            report.conflicts
        ),
        (2, 4, 2, 0),
        "{report:?}"
    );
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let server = server_towers(&servers);
    assert_eq!(server.len(), 20, "{server:?}");
    assert_eq!(local_towers(&gpkg).len(), 20);
    assert!(
        server
            .values()
            .any(|v| v == "BG9001|Viettel|38|POINT(562500.75 1822250.25)"),
        "{server:?}"
    );
    assert!(
        server
            .values()
            .any(|v| v.starts_with("BG0001|") && v.contains("|45.5|"))
    );
    assert!(
        server
            .values()
            .any(|v| v.starts_with("BG0002|") && v.ends_with("|POINT(561234.125 1821000.5)")),
        "{server:?}"
    );
    assert!(!server.values().any(|v| v.starts_with("BG0003|")));
    assert_eq!(
        servers.psql("SELECT ma_tram || '/' || coalesce(nha_mang, 'NULL') FROM bts WHERE ma_tram LIKE 'Trạm%'"),
        "Trạm Huế & <Bắc Giang>/NULL"
    );
    // The new tower carries its UUID; the server gave it a key of its own.
    let new_uuid = servers.psql("SELECT uuid FROM bts WHERE ma_tram = 'BG9001'");
    assert_eq!(uuid_of(&gpkg, "bts", fid_of(&gpkg, "BG9001")), new_uuid);
    assert_eq!(
        servers.psql(&format!(
            "SELECT ma_loai_dat FROM thua_dat WHERE uuid = '{parcel_uuid}'"
        )),
        "ODT"
    );
    assert_eq!(
        servers.psql(&format!(
            "SELECT count(*) FROM thua_dat WHERE uuid = '{gone_parcel_uuid}'"
        )),
        "0"
    );
    assert_eq!(
        servers.psql("SELECT count(*) || ' ' || ST_AsText(geom) FROM thua_dat WHERE so_thua = 777 GROUP BY geom"),
        format!("1 POLYGON(({X0} {y0},{x1} {y0},{x1} {y1},{X0} {y0}))", y0 = Y0 + 100.0, x1 = X0 + 30.5, y1 = Y0 + 140.25)
    );
    assert_eq!(servers.psql("SELECT count(*) FROM thua_dat"), "10");

    let again = do_push(&mut gpkg, &remote);
    assert_eq!(
        (again.created, again.replaced, again.deleted),
        (0, 0, 0),
        "{again:?}"
    );
    // A pull after one's own push brings nothing back as a change.
    let pulled = do_pull(&mut gpkg, &remote);
    assert_eq!(
        (
            pulled.added,
            pulled.updated,
            pulled.deleted,
            pulled.conflicts
        ),
        (0, 0, 0, 0),
        "{pulled:?}"
    );
    drop(gpkg);
    let (ok, out, err) = common::tool(
        "ogrinfo",
        &["-q", dir.path().join("field.gpkg").to_str().unwrap()],
    );
    assert!(ok, "{out}{err}");
}

#[test]
fn two_workspaces_merge_and_conflict_over_wfs_t() {
    let servers = shared();
    seed(&servers);
    let dir = tempfile::tempdir().unwrap();
    let (mut a, remote_a) = workspace_for(dir.path(), "an", servers.wfs_url(), Protocol::WfsT);
    let (mut b, remote_b) = workspace_for(dir.path(), "binh", servers.wfs_url(), Protocol::WfsT);
    check_out(&mut a, &remote_a, "bts");
    check_out(&mut b, &remote_b, "bts");
    let (a1, b1) = (fid_of(&a, "BG0001"), fid_of(&b, "BG0001"));
    set_tower(&mut a, a1, "chieu_cao", FieldValue::Real(60.0));
    set_tower(
        &mut b,
        b1,
        "nha_mang",
        FieldValue::Text("Vietnamobile".into()),
    );
    let (a2, b2) = (fid_of(&a, "BG0002"), fid_of(&b, "BG0002"));
    set_tower(&mut a, a2, "chieu_cao", FieldValue::Real(41.0));
    set_tower(&mut b, b2, "chieu_cao", FieldValue::Real(52.0));
    let (a4, b4) = (fid_of(&a, "BG0004"), fid_of(&b, "BG0004"));
    a.edit("A: xoá", |e| e.delete("bts", a4)).unwrap();
    set_tower(&mut b, b4, "chieu_cao", FieldValue::Real(70.0));

    let pa = do_push(&mut a, &remote_a);
    assert_eq!((pa.replaced, pa.deleted, pa.conflicts), (2, 1, 0), "{pa:?}");
    let pb = do_push(&mut b, &remote_b);
    assert_eq!((pb.replaced, pb.conflicts), (1, 2), "{pb:?}");
    assert_eq!(
        servers.psql("SELECT nha_mang || ' ' || chieu_cao FROM bts WHERE ma_tram = 'BG0001'"),
        "Vietnamobile 60"
    );
    assert_eq!(
        servers.psql("SELECT chieu_cao FROM bts WHERE ma_tram = 'BG0002'"),
        "41"
    );

    let conflicts = state::open_conflicts(b.connection(), None).unwrap();
    assert_eq!(conflicts.len(), 2, "{conflicts:?}");
    for c in conflicts {
        match c.kind {
            ConflictKind::BothChanged => resolve(&mut b, c.id, &Resolution::KeepMine).unwrap(),
            ConflictKind::ChangedHereDeletedThere => {
                resolve(&mut b, c.id, &Resolution::KeepMine).unwrap()
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let pb = do_push(&mut b, &remote_b);
    assert!(pb.failed.is_empty() && pb.conflicts == 0, "{pb:?}");
    // Mine kept: B's height on the server; the tower A deleted is back,
    // with B's edit and its UUID.
    assert_eq!(
        servers.psql("SELECT chieu_cao FROM bts WHERE ma_tram = 'BG0002'"),
        "52"
    );
    assert_eq!(
        servers.psql("SELECT chieu_cao FROM bts WHERE ma_tram = 'BG0004'"),
        "70"
    );
    assert_eq!(local_towers(&b), server_towers(&servers));
    // A pulls and has it all.
    do_pull(&mut a, &remote_a);
    assert_eq!(local_towers(&a), server_towers(&servers));
}

#[test]
fn a_transaction_answered_200_with_a_failure_fails_only_those_features() {
    let servers = shared();
    seed(&servers);
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, remote) = workspace_for(dir.path(), "field", servers.wfs_url(), Protocol::WfsT);
    check_out(&mut gpkg, &remote, "bts");
    // The portal's rule (unknown here): towers are under 200 m.
    servers.psql("ALTER TABLE bts ADD CONSTRAINT tall CHECK (chieu_cao < 200)");
    let (ok, bad) = (fid_of(&gpkg, "BG0001"), fid_of(&gpkg, "BG0002"));
    let bad_uuid = uuid_of(&gpkg, "bts", bad);
    set_tower(&mut gpkg, ok, "chieu_cao", FieldValue::Real(50.0));
    set_tower(&mut gpkg, bad, "chieu_cao", FieldValue::Real(500.0));
    let too_tall = tower(&gpkg, "BG9002", "VNPT", 900.0, X0 + 5.0, Y0 + 5.0);
    let fine = tower(&gpkg, "BG9003", "VNPT", 30.0, X0 + 6.0, Y0 + 6.0);
    gpkg.edit("Thêm", |e| {
        e.insert("bts", &too_tall)?;
        e.insert("bts", &fine)?;
        Ok(())
    })
    .unwrap();
    let report = do_push(&mut gpkg, &remote);
    servers.psql("ALTER TABLE bts DROP CONSTRAINT tall");
    assert_eq!((report.created, report.replaced), (1, 1), "{report:?}");
    assert_eq!(report.failed.len(), 2, "{:?}", report.failed);
    assert!(
        report
            .failed
            .iter()
            .all(|f| f.contains("Transaction") && f.contains("bts")),
        "{:?}",
        report.failed
    );
    assert_eq!(
        servers.psql("SELECT chieu_cao FROM bts WHERE ma_tram = 'BG0001'"),
        "50"
    );
    assert_eq!(
        servers.psql(&format!(
            "SELECT chieu_cao FROM bts WHERE uuid = '{bad_uuid}'"
        )),
        "23"
    );
    assert_eq!(
        servers.psql("SELECT count(*) FROM bts WHERE ma_tram IN ('BG9002', 'BG9003')"),
        "1"
    );
    // Once the rule is gone, the next push sends exactly the two that failed.
    let again = do_push(&mut gpkg, &remote);
    assert_eq!(
        (again.created, again.replaced, again.deleted),
        (1, 1, 0),
        "{again:?}"
    );
    assert!(again.failed.is_empty(), "{:?}", again.failed);
    assert_eq!(
        servers.psql("SELECT count(*) FROM bts WHERE ma_tram = 'BG9002'"),
        "1"
    );
    assert_eq!(local_towers(&gpkg), server_towers(&servers));
}

/// Another client's towers without a UUID, found at checkout and at a
/// pull: each is given one here, and the next push writes it to the
/// server, by the feature's id, without touching its other fields.
#[test]
fn features_added_without_a_uuid_are_given_one_and_the_server_keeps_it() {
    let servers = shared();
    seed(&servers);
    servers.psql(&format!(
        "INSERT INTO bts (uuid, ma_tram, nha_mang, chieu_cao, geom)
         VALUES (NULL, 'BG7001', 'VNPT', 31, ST_SetSRID(ST_MakePoint({X0} + 10, {Y0} + 10), 9214))"
    ));
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, remote) = workspace_for(dir.path(), "field", servers.wfs_url(), Protocol::WfsT);
    assert_eq!(check_out(&mut gpkg, &remote, "bts"), 21);
    servers.psql(&format!(
        "INSERT INTO bts (uuid, ma_tram, nha_mang, chieu_cao, geom)
         VALUES (NULL, 'BG7002', 'Viettel', 32, ST_SetSRID(ST_MakePoint({X0} + 20, {Y0} + 20), 9214))"
    ));
    let pulled = do_pull(&mut gpkg, &remote);
    assert_eq!((pulled.added, pulled.conflicts), (1, 0), "{pulled:?}");
    let given: Vec<String> = ["BG7001", "BG7002"]
        .iter()
        .map(|code| uuid_of(&gpkg, "bts", fid_of(&gpkg, code)))
        .collect();
    assert!(given.iter().all(|u| u.len() == 36), "{given:?}");
    let pushed = do_push(&mut gpkg, &remote);
    assert_eq!(
        (
            pushed.created,
            pushed.replaced,
            pushed.deleted,
            pushed.conflicts
        ),
        (0, 2, 0, 0),
        "{pushed:?}"
    );
    assert!(pushed.failed.is_empty(), "{:?}", pushed.failed);
    assert_eq!(
        servers.psql(
            "SELECT string_agg(ma_tram || '=' || coalesce(uuid, 'NULL') || '/' || chieu_cao, ',' ORDER BY ma_tram)
             FROM bts WHERE ma_tram LIKE 'BG70%'"
        ),
        format!("BG7001={}/31,BG7002={}/32", given[0], given[1])
    );
    assert_eq!(servers.psql("SELECT count(*) FROM bts"), "22");
    // Settled: nothing more to send, nothing new to take.
    let again = do_push(&mut gpkg, &remote);
    assert_eq!((again.created, again.replaced), (0, 0), "{again:?}");
    let pulled = do_pull(&mut gpkg, &remote);
    assert_eq!((pulled.added, pulled.updated), (0, 0), "{pulled:?}");
    assert_eq!(local_towers(&gpkg), server_towers(&servers));
}
