//! Sync over QGIS Server 3.22's OGC API – Features at `/wfs3` (the same
//! WFS-T project as the WFS tests, over PostGIS, real servers on
//! loopback). Its quirks differ from pygeoapi's (SYNC-SERVERS.md): it
//! declares no Part 4 yet takes POST/PUT/DELETE, answers only CRS84 (it
//! ignores `crs=`), and reprojects what it is given into the table's
//! EPSG:9214, but writes coordinates to six decimals of a degree. Writes
//! go in full: PostGIS, queried directly, holds the edits to the
//! millimetre; reads come rounded to about 0.11 m.

mod common;

use common::sync_data::*;
use common::sync_servers::shared;
use tramgis::sync::remote::{self, Protocol};

/// The tower `code` in PostGIS: "operator|height|x|y", x and y to the mm.
fn server_tower(servers: &common::sync_servers::SyncServers, code: &str) -> String {
    servers.psql(&format!(
        "SELECT nha_mang || '|' || chieu_cao || '|' || round(ST_X(geom)::numeric, 3)
                || '|' || round(ST_Y(geom)::numeric, 3)
         FROM bts WHERE ma_tram = '{code}'"
    ))
}

#[test]
fn checkout_edit_push_and_pull_through_qgis_servers_ogc_api() {
    let servers = shared();
    seed(&servers);
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, remote) = workspace_for(
        dir.path(),
        "field",
        servers.wfs3_url(),
        Protocol::OgcApiFeatures,
    );
    assert_eq!(check_out(&mut gpkg, &remote, "bts"), 20);
    // It writes degrees to six decimals (about 0.11 m): the checkout says
    // so, and compares geometries at that step.
    let mapping = remote::layer(gpkg.connection(), "portal", "bts").unwrap();
    assert!(
        (0.1..0.12).contains(&mapping.xy_tolerance),
        "{}",
        mapping.xy_tolerance
    );
    // Read in CRS84 and reprojected here: the towers are where PostGIS
    // has them, to that step.
    let local = local_towers(&gpkg);
    for (uuid, tower) in server_towers(&servers) {
        let mine = &local[&uuid];
        let coords = |t: &str| -> (f64, f64) {
            let inner = t.split("POINT(").nth(1).unwrap().trim_end_matches(')');
            let (x, y) = inner.split_once(' ').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        };
        let ((x0, y0), (x1, y1)) = (coords(&tower), coords(mine));
        let step = mapping.xy_tolerance;
        assert!(
            (x0 - x1).abs() < step && (y0 - y1).abs() < step,
            "{tower} / {mine}"
        );
        assert_eq!(
            tower.rsplit_once('|').unwrap().0,
            mine.rsplit_once('|').unwrap().0
        );
    }

    let raised = fid_of(&gpkg, "BG0001");
    let moved = fid_of(&gpkg, "BG0002");
    let removed = fid_of(&gpkg, "BG0003");
    let new_tower = tower(&gpkg, "BG9001", "Viettel", 36.0, 562_500.75, 1_822_250.25);
    gpkg.edit("Sửa ngoài thực địa", |e| {
        raise_and_move(e, raised, moved)?;
        e.delete("bts", removed)?;
        e.insert("bts", &new_tower)?;
        Ok(())
    })
    .unwrap();
    let report = do_push(&mut gpkg, &remote);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(
        (
            report.created,
            report.replaced,
            report.deleted,
            report.conflicts
        ),
        (1, 2, 1, 0),
        "{report:?}"
    );
    assert_eq!(servers.psql("SELECT count(*) FROM bts"), "20");
    assert!(server_tower(&servers, "BG0001").starts_with("VNPT|45.5|"));
    assert!(server_tower(&servers, "BG0002").ends_with("|561234.125|1821000.500"));
    assert_eq!(server_tower(&servers, "BG0003"), "");
    assert_eq!(
        server_tower(&servers, "BG9001"),
        "Viettel|36|562500.750|1822250.250"
    );
    let new_uuid = servers.psql("SELECT uuid FROM bts WHERE ma_tram = 'BG9001'");
    assert_eq!(new_uuid, uuid_of(&gpkg, "bts", fid_of(&gpkg, "BG9001")));
    // The round trip through CRS84 is within the tolerance: nothing more
    // to send.
    let again = do_push(&mut gpkg, &remote);
    assert_eq!(
        (again.created, again.replaced, again.deleted),
        (0, 0, 0),
        "{again:?}"
    );

    // Another client's edit comes back with a pull.
    servers.psql("UPDATE bts SET nha_mang = 'Gtel' WHERE ma_tram = 'BG0004'");
    let pulled = do_pull(&mut gpkg, &remote);
    assert_eq!(
        (
            pulled.updated,
            pulled.added,
            pulled.deleted,
            pulled.conflicts
        ),
        (1, 0, 0, 0),
        "{pulled:?}"
    );
    let local = local_towers(&gpkg);
    assert!(
        local.values().any(|t| t.starts_with("BG0004|Gtel|")),
        "{local:?}"
    );
}
