//! Sync over OGC API – Features (pygeoapi 0.21 over PostGIS, real servers
//! on loopback): check out, edit through the edit API, push, and PostGIS,
//! queried directly, holds exactly the edits; two workspaces editing the
//! same features merge or conflict, and each resolution gives the
//! expected server state.

mod common;

use common::sync_data::*;
use common::sync_servers::shared;
use geo_types::{Geometry, LineString, Point, Polygon};
use tramgis::model::FieldValue;
use tramgis::sync::resolve::{Resolution, resolve};
use tramgis::sync::state::{self, ConflictKind};

#[test]
fn checkout_edit_push_and_postgis_holds_exactly_the_edits() {
    let servers = shared();
    seed(&servers);
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, remote) = workspace(dir.path(), "field", servers.ogcapi_url());
    assert_eq!(check_out(&mut gpkg, &remote, "bts"), 20);
    assert_eq!(check_out(&mut gpkg, &remote, "thua_dat"), 10);
    // What was checked out is what PostGIS has, coordinates exactly.
    assert_eq!(local_towers(&gpkg), server_towers(&servers));

    let raised = fid_of(&gpkg, "BG0001");
    let moved = fid_of(&gpkg, "BG0002");
    let removed = fid_of(&gpkg, "BG0003");
    let new_tower = tower(&gpkg, "BG9001", "Viettel", 36.0, 562_500.75, 1_822_250.25);
    let parcel = 4;
    let parcel_uuid = uuid_of(&gpkg, "thua_dat", parcel);
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
        let added = e.insert("bts", &new_tower)?;
        // An insert then an update is one create.
        e.set_value("bts", added, "chieu_cao", &FieldValue::Real(38.0))?;
        // An insert then a delete is nothing.
        let short_lived = e.insert("bts", &new_tower)?;
        e.delete("bts", short_lived)?;
        e.set_value(
            "thua_dat",
            parcel,
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
        (2, 3, 2, 0),
        "{report:?}"
    );
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    // PostGIS holds exactly the workspace's towers: the raised one, the
    // moved one, the new one (with its UUID), not the deleted one.
    let server = server_towers(&servers);
    assert_eq!(server.len(), 20);
    assert_eq!(local_towers(&gpkg), server);
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
    assert!(!server.values().any(|v| v.starts_with("BG0003|")));
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
    // The other parcels are untouched.
    assert_eq!(servers.psql("SELECT count(*) FROM thua_dat"), "10");

    // Nothing left to send: a second push sends nothing at all.
    let again = do_push(&mut gpkg, &remote);
    assert_eq!(
        (again.created, again.replaced, again.deleted),
        (0, 0, 0),
        "{again:?}"
    );
    assert_eq!(local_towers(&gpkg), server_towers(&servers));
    // The pushed features validate as a GeoPackage.
    drop(gpkg);
    let (ok, out, err) = common::tool(
        "ogrinfo",
        &["-q", dir.path().join("field.gpkg").to_str().unwrap()],
    );
    assert!(ok, "{out}{err}");
}

#[test]
fn two_workspaces_merge_different_fields_and_conflict_on_the_same_one() {
    let servers = shared();
    seed(&servers);
    let dir = tempfile::tempdir().unwrap();
    let (mut a, remote_a) = workspace(dir.path(), "an", servers.ogcapi_url());
    let (mut b, remote_b) = workspace(dir.path(), "binh", servers.ogcapi_url());
    check_out(&mut a, &remote_a, "bts");
    check_out(&mut b, &remote_b, "bts");

    // Different fields of one tower: they merge.
    let (a1, b1) = (fid_of(&a, "BG0001"), fid_of(&b, "BG0001"));
    set_tower(&mut a, a1, "chieu_cao", FieldValue::Real(60.0));
    set_tower(
        &mut b,
        b1,
        "nha_mang",
        FieldValue::Text("Vietnamobile".into()),
    );
    // The same field of another, differently: a conflict.
    let (a2, b2) = (fid_of(&a, "BG0002"), fid_of(&b, "BG0002"));
    set_tower(&mut a, a2, "chieu_cao", FieldValue::Real(41.0));
    set_tower(&mut b, b2, "chieu_cao", FieldValue::Real(52.0));
    // A third the same way, resolved the other way.
    let (a3, b3) = (fid_of(&a, "BG0003"), fid_of(&b, "BG0003"));
    set_tower(&mut a, a3, "chieu_cao", FieldValue::Real(43.0));
    set_tower(&mut b, b3, "chieu_cao", FieldValue::Real(53.0));
    // A deletes a tower that B edits: a conflict for B.
    let (a4, b4) = (fid_of(&a, "BG0004"), fid_of(&b, "BG0004"));
    let uuid4 = uuid_of(&a, "bts", a4);
    a.edit("A: xoá", |e| e.delete("bts", a4)).unwrap();
    set_tower(&mut b, b4, "chieu_cao", FieldValue::Real(70.0));
    // The geometry moved on both sides: a conflict.
    let (a5, b5) = (fid_of(&a, "BG0005"), fid_of(&b, "BG0005"));
    a.edit("A", |e| {
        set_geometry(
            e,
            "bts",
            a5,
            Geometry::Point(Point::new(X0 + 1.0, Y0 + 1.0)),
        );
        Ok(())
    })
    .unwrap();
    b.edit("B", |e| {
        set_geometry(
            e,
            "bts",
            b5,
            Geometry::Point(Point::new(X0 + 2.0, Y0 + 2.0)),
        );
        Ok(())
    })
    .unwrap();

    let pa = do_push(&mut a, &remote_a);
    assert_eq!((pa.replaced, pa.deleted, pa.conflicts), (4, 1, 0), "{pa:?}");
    let pb = do_push(&mut b, &remote_b);
    assert_eq!((pb.replaced, pb.conflicts), (1, 4), "{pb:?}");

    // Merged: the server and B have both edits.
    let tower1 =
        servers.psql("SELECT nha_mang || ' ' || chieu_cao FROM bts WHERE ma_tram = 'BG0001'");
    assert_eq!(tower1, "Vietnamobile 60");
    let local = local_towers(&b);
    assert!(
        local
            .values()
            .any(|v| v.starts_with("BG0001|Vietnamobile|60|")),
        "{local:?}"
    );
    // Conflicts: nothing overwritten, on either side.
    assert_eq!(
        servers.psql("SELECT chieu_cao FROM bts WHERE ma_tram = 'BG0002'"),
        "41"
    );
    assert_eq!(
        servers.psql("SELECT chieu_cao FROM bts WHERE ma_tram = 'BG0003'"),
        "43"
    );
    assert_eq!(
        servers.psql(&format!("SELECT count(*) FROM bts WHERE uuid = '{uuid4}'")),
        "0"
    );
    let conflicts = state::open_conflicts(b.connection(), None).unwrap();
    let by_code = |code: &str| {
        conflicts
            .iter()
            .find(|c| {
                c.mine
                    .as_ref()
                    .and_then(|m| m.properties.get("ma_tram"))
                    .and_then(|v| v.as_str())
                    == Some(code)
            })
            .unwrap_or_else(|| panic!("no conflict for {code}: {conflicts:?}"))
            .clone()
    };
    let c2 = by_code("BG0002");
    assert_eq!(
        (c2.kind, c2.fields.clone()),
        (ConflictKind::BothChanged, vec!["chieu_cao".to_string()])
    );
    assert_eq!(c2.theirs.as_ref().unwrap().properties["chieu_cao"], 41.0);
    assert_eq!(c2.mine.as_ref().unwrap().properties["chieu_cao"], 52.0);
    assert_eq!(c2.base.as_ref().unwrap().properties["chieu_cao"], 23.0);
    let c3 = by_code("BG0003");
    let c4 = by_code("BG0004");
    assert_eq!(c4.kind, ConflictKind::ChangedHereDeletedThere);
    let c5 = by_code("BG0005");
    assert_eq!(c5.fields, vec![tramgis::sync::record::GEOMETRY.to_string()]);

    // Each resolution gives the expected server state.
    resolve(&mut b, c2.id, &Resolution::TakeTheirs).unwrap();
    resolve(&mut b, c3.id, &Resolution::KeepMine).unwrap();
    resolve(&mut b, c4.id, &Resolution::KeepMine).unwrap();
    let mut merged = c5.mine.clone().unwrap();
    merged.geometry =
        Some(serde_json::json!({"type": "Point", "coordinates": [X0 + 1.5, Y0 + 1.5]}));
    resolve(&mut b, c5.id, &Resolution::Merged(merged)).unwrap();
    assert!(
        state::open_conflicts(b.connection(), None)
            .unwrap()
            .is_empty()
    );
    // A resolution is an edit: it is in the undo history.
    let steps = b
        .connection()
        .query_row(
            "SELECT count(*) FROM tramgis_history WHERE description LIKE 'Giải quyết xung đột%'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap();
    assert_eq!(steps, 4);

    let pb2 = do_push(&mut b, &remote_b);
    assert_eq!(
        (pb2.created, pb2.replaced, pb2.conflicts),
        (1, 2, 0),
        "{pb2:?}"
    );
    assert_eq!(
        servers.psql("SELECT chieu_cao FROM bts WHERE ma_tram = 'BG0002'"),
        "41"
    );
    assert_eq!(
        servers.psql("SELECT chieu_cao FROM bts WHERE ma_tram = 'BG0003'"),
        "53"
    );
    // Kept against a delete: created again under the same UUID.
    assert_eq!(
        servers.psql(&format!(
            "SELECT ma_tram || ' ' || chieu_cao FROM bts WHERE uuid = '{uuid4}'"
        )),
        "BG0004 70"
    );
    assert_eq!(
        servers.psql("SELECT ST_AsText(geom) FROM bts WHERE ma_tram = 'BG0005'"),
        format!("POINT({} {})", X0 + 1.5, Y0 + 1.5)
    );
    assert_eq!(local_towers(&b), server_towers(&servers));

    // A pulls it all: the workspaces agree with the server.
    let pulled = do_pull(&mut a, &remote_a);
    assert_eq!(
        (pulled.added, pulled.updated, pulled.conflicts),
        (1, 3, 0),
        "{pulled:?}"
    );
    assert_eq!(local_towers(&a), server_towers(&servers));
}

#[test]
fn pull_takes_server_changes_and_deletes_and_a_local_edit_against_a_server_delete_conflicts() {
    let servers = shared();
    seed(&servers);
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, remote) = workspace(dir.path(), "xa", servers.ogcapi_url());
    check_out(&mut gpkg, &remote, "bts");
    let edited_here = fid_of(&gpkg, "BG0007");
    set_tower(
        &mut gpkg,
        edited_here,
        "nha_mang",
        FieldValue::Text("Vietnamobile".into()),
    );
    let deleted_here = fid_of(&gpkg, "BG0009");
    gpkg.edit("Xoá", |e| e.delete("bts", deleted_here)).unwrap();
    // Others change the server directly.
    servers.psql("UPDATE bts SET chieu_cao = 99 WHERE ma_tram IN ('BG0006', 'BG0007', 'BG0009')");
    servers.psql("DELETE FROM bts WHERE ma_tram IN ('BG0008')");
    servers.psql("UPDATE bts SET nha_mang = 'MobiFone' WHERE ma_tram = 'BG0010'");
    servers.psql(&format!(
        "INSERT INTO bts (uuid, ma_tram, nha_mang, chieu_cao, geom) VALUES
         (gen_random_uuid()::text, 'BG0100', 'Viettel', 30, ST_SetSRID(ST_MakePoint({X0}, {Y0}), 9214))"
    ));
    let edited_there = fid_of(&gpkg, "BG0010");
    gpkg.edit("Xoá cái bên kia sửa", |e| {
        e.delete("bts", edited_there)
    })
    .unwrap();
    let r = do_pull(&mut gpkg, &remote);
    // BG0006 updated, BG0007 merged (height there, operator here), BG0008
    // deleted, BG0100 added; BG0009 deleted here and changed there, and
    // BG0010 likewise: conflicts.
    assert_eq!(
        (r.added, r.updated, r.merged, r.deleted, r.conflicts),
        (1, 1, 1, 1, 2),
        "{r:?}"
    );
    let local = local_towers(&gpkg);
    assert!(
        local
            .values()
            .any(|v| v.starts_with("BG0006|") && v.contains("|99|"))
    );
    assert!(
        local
            .values()
            .any(|v| v.starts_with("BG0007|Vietnamobile|99|")),
        "{local:?}"
    );
    assert!(!local.values().any(|v| v.starts_with("BG0008|")));
    assert!(local.values().any(|v| v.starts_with("BG0100|Viettel|30|")));
    let kinds: Vec<ConflictKind> = state::open_conflicts(gpkg.connection(), None)
        .unwrap()
        .iter()
        .map(|c| c.kind)
        .collect();
    assert_eq!(kinds, vec![ConflictKind::DeletedHereChangedThere; 2]);
    // The merge is pushed: the server gets the operator, keeps the height.
    let p = do_push(&mut gpkg, &remote);
    assert_eq!((p.replaced, p.conflicts), (1, 0), "{p:?}");
    assert_eq!(
        servers.psql("SELECT nha_mang || ' ' || chieu_cao FROM bts WHERE ma_tram = 'BG0007'"),
        "Vietnamobile 99"
    );
    // A second pull changes nothing.
    let again = do_pull(&mut gpkg, &remote);
    assert_eq!(
        (
            again.added,
            again.updated,
            again.merged,
            again.deleted,
            again.conflicts
        ),
        (0, 0, 0, 0, 0),
        "{again:?}"
    );
}
