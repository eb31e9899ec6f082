//! The Sync panel driven headlessly with egui_kittest against the real
//! servers (pygeoapi over PostGIS on loopback): a workspace checked out
//! from the portal, edited here while another client edits the server,
//! is synced from the panel's button; the conflict on the same field
//! of the same tower is listed side by side and resolved from the panel
//! (take theirs, keep mine, a field-by-field merge), and after another
//! Sync PostGIS and the workspace agree; the log lists the runs; the map
//! shows what the pull brought; a push cancelled from the panel leaves
//! nothing half-sent; remotes are added (protocol detected), checked out
//! within a box and removed from the panel.
#![cfg(feature = "gui")]

mod common;

use std::path::{Path, PathBuf};

use common::sync_data::*;
use common::sync_servers::{SyncServers, shared};
use common::ui::{AppHarness, harness, press, zoom_around};
use egui_kittest::kittest::Queryable;
use tramgis::gpkg::GeoPackage;
use tramgis::model::FieldValue;
use tramgis::sync::state;
use tramgis::ui::panels::sync::{Outcome, Side, SyncPanel};

/// A checked-out workspace (bts from the portal) where BG0002's height
/// was set to 41 here and to 52 on the server, and the server has one
/// more tower; returns its path and BG0002's UUID.
fn conflicting_workspace(servers: &SyncServers, dir: &Path) -> (PathBuf, String) {
    seed(servers);
    let (mut gpkg, remote) = workspace(dir, "xa", servers.ogcapi_url());
    assert_eq!(check_out(&mut gpkg, &remote, "bts"), 20);
    let fid = fid_of(&gpkg, "BG0002");
    set_tower(&mut gpkg, fid, "chieu_cao", FieldValue::Real(41.0));
    servers.psql("UPDATE bts SET chieu_cao = 52 WHERE ma_tram = 'BG0002'");
    servers.psql(&format!(
        "INSERT INTO bts (uuid, ma_tram, nha_mang, chieu_cao, geom) VALUES
         (gen_random_uuid()::text, 'BG0100', 'Viettel', 30, ST_SetSRID(ST_MakePoint({X0}, {Y0}), 9214))"
    ));
    (gpkg.path().to_path_buf(), uuid_of(&gpkg, "bts", fid))
}

fn panel(h: &mut AppHarness) -> &mut SyncPanel {
    h.state_mut()
        .0
        .sync_panel_mut()
        .expect("the Sync panel is open")
}

/// Opens the panel from its menu and waits for its overview.
fn open_sync(h: &mut AppHarness) {
    press(h, "Đồng bộ");
    press(h, "Đồng bộ với cổng dữ liệu…");
    h.state_mut().0.finish_sync();
    h.run_steps(2);
}

/// Clicks the panel's button of this label (the menu may have one of
/// the same name: the panel's comes after it).
fn press_in_panel(h: &mut AppHarness, label: &str) {
    h.get_all_by_label(label)
        .last()
        .unwrap_or_else(|| panic!("no button '{label}'"))
        .click_accesskit();
    h.run_steps(2);
}

/// Presses a button that starts a job and waits for it, the map's reload
/// and the panel's overview.
fn press_and_wait(h: &mut AppHarness, label: &str) {
    press_in_panel(h, label);
    h.state_mut().0.finish_sync();
    h.run_steps(3);
}

/// The last job's log entry; it must have gone through.
fn last_run(h: &mut AppHarness) -> state::LogEntry {
    let p = panel(h);
    match &p.last {
        Some(Outcome::Done(Some(entry))) => entry.clone(),
        other => panic!("the run did not finish: {other:?} ({:?})", p.error),
    }
}

fn bts_count_on_map(h: &AppHarness) -> u64 {
    let scene = h.state().0.scene().expect("a scene");
    scene
        .layers
        .iter()
        .find(|l| l.info.name == "bts")
        .expect("bts on the map")
        .count
}

fn local_height(path: &Path, uuid: &str) -> String {
    let gpkg = GeoPackage::open_read_only(path).unwrap();
    local_towers(&gpkg)[uuid]
        .split('|')
        .nth(2)
        .unwrap()
        .to_string()
}

#[test]
fn sync_lists_the_conflict_take_theirs_resolves_it_and_the_log_shows_the_runs() {
    let servers = shared();
    let dir = tempfile::tempdir().unwrap();
    let (path, uuid) = conflicting_workspace(&servers, dir.path());
    let mut h = harness(path.clone());
    assert_eq!(bts_count_on_map(&h), 20);
    open_sync(&mut h);

    // The remote and its mapping, with the one local change waiting.
    h.get_by_label(servers.ogcapi_url());
    let overview = panel(&mut h).overview.clone().expect("the overview");
    assert_eq!(overview.remotes.len(), 1);
    let layers = &overview.remotes[0].layers;
    assert_eq!(
        layers
            .iter()
            .map(|l| (l.mapping.layer.as_str(), l.pending, l.conflicts))
            .collect::<Vec<_>>(),
        vec![("bts", 1, 0)]
    );
    // Another program edits one more tower: the shown panel counts it
    // within its refresh time, without a click.
    let mut other = GeoPackage::open(&path).unwrap();
    let fid = fid_of(&other, "BG0005");
    set_tower(&mut other, fid, "nha_mang", FieldValue::Text("VNPT".into()));
    drop(other);
    std::thread::sleep(std::time::Duration::from_millis(5200));
    h.run_steps(2);
    h.state_mut().0.finish_sync();
    let overview = panel(&mut h).overview.clone().unwrap();
    assert_eq!(overview.remotes[0].layers[0].pending, 2);

    press_and_wait(&mut h, "Đồng bộ");
    let run = last_run(&mut h);
    assert_eq!(
        (run.operation.as_str(), run.outcome.as_str()),
        ("sync", "ok")
    );
    assert_eq!(run.conflicts, 1, "{run:?}");
    // The pull's new tower is on the map.
    assert_eq!(bts_count_on_map(&h), 21);
    // Nothing overwritten: the server keeps 52, the workspace 41.
    assert_eq!(
        servers.psql("SELECT chieu_cao FROM bts WHERE ma_tram = 'BG0002'"),
        "52"
    );
    assert_eq!(local_height(&path, &uuid), "41");

    // The conflict page: one conflict, its fields side by side.
    press_in_panel(&mut h, "Xung đột (1)");
    let conflicts = panel(&mut h).overview.clone().unwrap().conflicts;
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].uuid, uuid);
    assert_eq!(conflicts[0].fields, vec!["chieu_cao".to_string()]);
    // Base, mine and theirs of the height, as the server's JSON has them.
    for value in ["23.0", "41.0", "52.0"] {
        assert_eq!(
            h.query_all_by_label(value).count(),
            1,
            "{value} is shown once"
        );
    }

    press_and_wait(&mut h, "Lấy bản máy chủ");
    assert!(panel(&mut h).error.is_none(), "{:?}", panel(&mut h).error);
    assert!(
        panel(&mut h)
            .overview
            .as_ref()
            .unwrap()
            .conflicts
            .is_empty()
    );
    h.get_by_label("Không có xung đột nào.");
    assert_eq!(local_height(&path, &uuid), "52");
    // The resolution is an edit of the workspace's history (undoable).
    let (description, rows) = common::ui::last_edit(&path);
    assert!(
        description.starts_with("Giải quyết xung đột"),
        "{description}"
    );
    assert_eq!(rows.len(), 1, "{rows:?}");

    // Another Sync: the server and the workspace agree, 52 everywhere.
    press_in_panel(&mut h, "Nguồn đồng bộ");
    press_and_wait(&mut h, "Đồng bộ");
    let run = last_run(&mut h);
    assert_eq!((run.outcome.as_str(), run.conflicts), ("ok", 0), "{run:?}");
    assert_eq!(
        servers.psql("SELECT chieu_cao FROM bts WHERE ma_tram = 'BG0002'"),
        "52"
    );
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    assert_eq!(local_towers(&gpkg), server_towers(&servers));
    drop(gpkg);

    // The log: both runs, newest first, by this user, with their counts.
    press_in_panel(&mut h, "Nhật ký đồng bộ");
    let log = panel(&mut h).overview.clone().unwrap().log;
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(
        log.iter()
            .all(|e| e.operation == "sync" && e.remote == "portal")
    );
    assert_eq!((log[1].conflicts, log[0].conflicts), (1, 0));
    assert!(log[1].bytes_received > 0 && log[1].requests > 0, "{log:?}");
    assert_eq!(h.query_all_by_label("sync").count(), 2);
    assert_eq!(h.query_all_by_label("thành công").count(), 2);
}

#[test]
fn a_field_by_field_merge_keeping_mine_reaches_postgis() {
    let servers = shared();
    let dir = tempfile::tempdir().unwrap();
    let (path, uuid) = conflicting_workspace(&servers, dir.path());
    let mut h = harness(path.clone());
    open_sync(&mut h);
    press_and_wait(&mut h, "Đồng bộ");
    assert_eq!(last_run(&mut h).conflicts, 1);
    press_in_panel(&mut h, "Xung đột (1)");
    press_in_panel(&mut h, "Gộp từng trường…");
    // The merge starts from the side that changed each field: the height,
    // changed on both sides, from mine; chosen again here by the panel's
    // own choice (the radio buttons of every row share their labels).
    let choices = panel(&mut h).conflicts.merging.clone().expect("merging");
    assert_eq!(choices.get("chieu_cao"), Some(&Side::Mine), "{choices:?}");
    assert_eq!(choices.get("nha_mang"), Some(&Side::Theirs), "{choices:?}");
    press_and_wait(&mut h, "Áp dụng bản gộp");
    assert!(
        panel(&mut h)
            .overview
            .as_ref()
            .unwrap()
            .conflicts
            .is_empty()
    );
    assert_eq!(local_height(&path, &uuid), "41");

    press_in_panel(&mut h, "Nguồn đồng bộ");
    press_and_wait(&mut h, "Đồng bộ");
    let run = last_run(&mut h);
    assert_eq!((run.outcome.as_str(), run.replaced), ("ok", 1), "{run:?}");
    assert_eq!(
        servers.psql("SELECT chieu_cao FROM bts WHERE ma_tram = 'BG0002'"),
        "41"
    );
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    assert_eq!(local_towers(&gpkg), server_towers(&servers));
}

#[test]
fn a_push_cancelled_from_the_panel_sends_nothing_twice_and_the_next_push_completes() {
    let servers = shared();
    seed(&servers);
    let dir = tempfile::tempdir().unwrap();
    let (mut gpkg, remote) = workspace(dir.path(), "xa", servers.ogcapi_url());
    check_out(&mut gpkg, &remote, "bts");
    // Enough new towers that the push is still sending when Cancel is pressed.
    const NEW: usize = 600;
    let towers: Vec<_> = (0..NEW)
        .map(|i| {
            let (x, y) = (X0 + 3000.0 + i as f64, Y0 + 3000.0 + i as f64 * 0.5);
            tower(&gpkg, &format!("BN{i:04}"), "VNPT", 30.0, x, y)
        })
        .collect();
    gpkg.edit("Thêm trạm", |e| {
        for t in &towers {
            e.insert("bts", t)?;
        }
        Ok(())
    })
    .unwrap();
    let path = gpkg.path().to_path_buf();
    drop(gpkg);
    let mut h = harness(path.clone());
    open_sync(&mut h);

    press_in_panel(&mut h, "Gửi lên");
    // Cancel once the first answers are in, from the panel's button.
    let started = std::time::Instant::now();
    loop {
        let progress = h.state().0.sync_progress();
        match progress {
            Some((done, _)) if done > 0 => break,
            Some(_) if started.elapsed().as_secs() < 60 => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            other => panic!("the push did not start sending: {other:?}"),
        }
    }
    h.run_steps(1);
    // The job shows in the panel (and in the status bar).
    assert!(h.query_all_by_label("Đang gửi lên portal").count() >= 1);
    press_in_panel(&mut h, "Hủy");
    h.state_mut().0.finish_sync();
    h.run_steps(3);
    assert_eq!(panel(&mut h).last, Some(Outcome::Cancelled));
    let log = panel(&mut h).overview.clone().unwrap().log;
    assert_eq!(
        (log[0].operation.as_str(), log[0].outcome.as_str()),
        ("push", "cancelled")
    );
    // Part was sent, never twice; what was not is still waiting.
    let sent: usize = servers
        .psql("SELECT count(*) FROM bts WHERE ma_tram LIKE 'BN%'")
        .parse()
        .unwrap();
    assert!(sent < NEW, "the push was cancelled after {sent} of {NEW}");
    assert_eq!(
        servers.psql("SELECT count(DISTINCT uuid) = count(*) FROM bts"),
        "t"
    );
    let pending = panel(&mut h).overview.clone().unwrap().remotes[0].layers[0].pending;
    assert!(pending > 0, "nothing left to push after a cancel");

    // The next push sends the rest: PostGIS and the workspace agree.
    press_and_wait(&mut h, "Gửi lên");
    let run = last_run(&mut h);
    assert_eq!(run.outcome, "ok", "{run:?}");
    assert_eq!(
        servers.psql("SELECT count(*) FROM bts WHERE ma_tram LIKE 'BN%'"),
        NEW.to_string()
    );
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    assert_eq!(local_towers(&gpkg), server_towers(&servers));
    assert_eq!(
        panel(&mut h).overview.clone().unwrap().remotes[0].layers[0].pending,
        0
    );
}

/// A new workspace whose boundary layer holds one commune, the box `b`.
fn with_commune(path: &Path, name: &str, b: [f64; 4]) {
    use tramgis::model::{Feature, Field, FieldType, GeometryType, Schema};
    let mut gpkg = GeoPackage::create(path).unwrap();
    let schema = Schema::new(
        GeometryType::Polygon,
        9214,
        vec![Field::new("ten_xa", FieldType::Text)],
    );
    gpkg.create_layer("ranh_gioi_xa", &schema, &Default::default())
        .unwrap();
    let ring = geo_types::LineString::from(vec![
        (b[0], b[1]),
        (b[2], b[1]),
        (b[2], b[3]),
        (b[0], b[3]),
        (b[0], b[1]),
    ]);
    let outline = geo_types::Geometry::Polygon(geo_types::Polygon::new(ring, vec![]));
    gpkg.insert_feature(
        "ranh_gioi_xa",
        &Feature::new(Some(outline), vec![FieldValue::Text(name.into())]),
    )
    .unwrap();
}

#[test]
fn remotes_are_added_with_their_protocol_detected_checked_out_within_a_box_and_removed() {
    let servers = shared();
    seed(&servers);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("moi.gpkg");
    let commune = [X0 - 50.0, Y0 - 20.0, X0 + 420.5, Y0 + 260.25];
    with_commune(&path, "Xã Dĩnh Trì", commune);
    let mut h = harness(path.clone());
    open_sync(&mut h);
    h.get_by_label("Chưa có nguồn đồng bộ nào: thêm cổng dữ liệu ở dưới.");

    // Two remotes, the protocol left to detection: pygeoapi answers as
    // an OGC API, QGIS Server's WFS endpoint as a WFS-T.
    for (name, url) in [
        ("portal", servers.ogcapi_url()),
        ("qgis", servers.wfs_url()),
    ] {
        let form = &mut panel(&mut h).remotes.add;
        form.name = name.into();
        form.url = url.into();
        h.run_steps(1);
        press_and_wait(&mut h, "Thêm");
        assert!(panel(&mut h).error.is_none(), "{:?}", panel(&mut h).error);
    }
    let remotes = panel(&mut h).overview.clone().unwrap().remotes;
    let described: Vec<_> = remotes
        .iter()
        .map(|r| (r.remote.name.as_str(), r.remote.protocol))
        .collect();
    use tramgis::sync::remote::Protocol;
    assert_eq!(
        described,
        vec![
            ("portal", Protocol::OgcApiFeatures),
            ("qgis", Protocol::WfsT)
        ]
    );
    h.get_by_label("WFS-T");

    // Check out the towers within a box from the first, as a new layer
    // that the map then shows: BG0001 to BG0009 lie in it.
    h.get_all_by_label("Tải lớp về…")
        .next()
        .unwrap()
        .click_accesskit();
    h.run_steps(2);
    // "Map view" takes the box the map shows (the map's CRS is the
    // layer's EPSG:9214 here).
    zoom_around(&mut h, [X0 + 500.0, Y0 + 300.0], 400.0);
    press_in_panel(&mut h, "Khung nhìn bản đồ");
    let shown = h.state().0.view().expect("a view").bounds();
    let form = panel(&mut h).remotes.checkout.as_mut().expect("the form");
    let typed: Vec<f64> = form
        .bbox
        .split(',')
        .map(|n| n.trim().parse().unwrap())
        .collect();
    let (lo, hi) = (shown.min(), shown.max());
    for (got, want) in typed.iter().zip([lo.x, lo.y, hi.x, hi.y]) {
        assert!((got - want).abs() <= 0.005, "{typed:?} vs {shown:?}");
    }
    assert!(hi.x - lo.x >= 800.0 && hi.y - lo.y >= 800.0, "{shown:?}");
    // "Draw on the map" starts the draw-area tool, and what it draws (the
    // tool itself is tested with the analysis panel) becomes the box.
    press_in_panel(&mut h, "Vẽ trên bản đồ");
    assert_eq!(h.state().0.tool(), tramgis::ui::tools::Tool::DrawArea);
    let drawn = geo_types::Polygon::new(
        geo_types::LineString::from(vec![
            (X0 + 10.0, Y0 + 20.0),
            (X0 + 300.5, Y0 + 5.0),
            (X0 + 250.0, Y0 + 410.25),
            (X0 + 10.0, Y0 + 20.0),
        ]),
        vec![],
    );
    h.state_mut()
        .0
        .apply(tramgis::ui::AppCommand::SetAnalysisArea(drawn));
    h.run_steps(2);
    let form = panel(&mut h).remotes.checkout.as_mut().expect("the form");
    assert_eq!(
        form.bbox,
        format!(
            "{:.2}, {:.2}, {:.2}, {:.2}",
            X0 + 10.0,
            Y0 + 5.0,
            X0 + 300.5,
            Y0 + 410.25
        )
    );
    assert!(!panel(&mut h).remotes.drawing_box);

    // A commune of the workspace's ranh_gioi_xa gives its box.
    let known = panel(&mut h).overview.as_ref().unwrap().boundaries.clone();
    assert_eq!(known.len(), 1, "{known:?}");
    press_in_panel(&mut h, "Theo xã / huyện");
    press_in_panel(&mut h, "Xã Dĩnh Trì");
    let form = panel(&mut h).remotes.checkout.as_mut().expect("the form");
    assert_eq!(
        form.bbox,
        format!(
            "{:.2}, {:.2}, {:.2}, {:.2}",
            commune[0], commune[1], commune[2], commune[3]
        )
    );
    assert_eq!(form.remote, "portal");
    form.collection = "bts".into();
    form.layer = "tram_bts".into();
    form.bbox = format!("{X0}, {Y0}, {}, {}", X0 + 1000.0, Y0 + 600.0);
    h.run_steps(1);
    press_and_wait(&mut h, "Tải về lớp mới");
    let run = last_run(&mut h);
    assert_eq!(
        (run.operation.as_str(), run.received),
        ("checkout bts", 9),
        "{run:?}"
    );
    let scene = h.state().0.scene().unwrap();
    let layer = scene.layers.iter().find(|l| l.info.name == "tram_bts");
    assert_eq!(layer.map(|l| l.count), Some(9));
    let remotes = panel(&mut h).overview.clone().unwrap().remotes;
    let mapping = &remotes[0].layers[0];
    assert_eq!(
        (mapping.mapping.collection.as_str(), mapping.pending),
        ("bts", 0)
    );

    // Removing asks first; "never mind" keeps it.
    h.get_all_by_label("Xoá nguồn")
        .last()
        .unwrap()
        .click_accesskit();
    h.run_steps(2);
    h.get_by_label(
        "Xoá nguồn đồng bộ, ánh xạ lớp và xung đột của nó (dữ liệu các lớp vẫn giữ) 'qgis'?",
    );
    press_in_panel(&mut h, "Thôi");
    assert_eq!(panel(&mut h).overview.as_ref().unwrap().remotes.len(), 2);
    h.get_all_by_label("Xoá nguồn")
        .last()
        .unwrap()
        .click_accesskit();
    h.run_steps(2);
    press_and_wait(&mut h, "Xoá");
    let names: Vec<String> = (panel(&mut h).overview.clone().unwrap().remotes)
        .iter()
        .map(|r| r.remote.name.clone())
        .collect();
    assert_eq!(names, vec!["portal".to_string()]);
    // The layer checked out stays, with its data.
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    assert_eq!(gpkg.all_features("tram_bts").unwrap().len(), 9);

    // In English, through the same keys.
    h.state_mut().0.send(tramgis::ui::AppCommand::SetLanguage(
        tramgis::ui::i18n::Lang::En,
    ));
    h.run_steps(3);
    for label in [
        "Sync with the SDI portal",
        "Remotes",
        "Push",
        "Pull",
        "Check out…",
    ] {
        h.get_by_label(label);
    }
    assert_eq!(h.query_all_by_label("Đồng bộ").count(), 0);
}

#[test]
fn a_resolution_is_undone_like_any_edit_and_the_undo_is_pushed_next() {
    let servers = shared();
    let dir = tempfile::tempdir().unwrap();
    let (path, uuid) = conflicting_workspace(&servers, dir.path());
    let mut h = harness(path.clone());
    open_sync(&mut h);
    press_and_wait(&mut h, "Đồng bộ");
    press_in_panel(&mut h, "Xung đột (1)");
    press_and_wait(&mut h, "Lấy bản máy chủ");
    assert_eq!(local_height(&path, &uuid), "52");

    // Undo (the window's, as after any edit) puts mine back ...
    h.state_mut().0.send(tramgis::ui::AppCommand::Undo);
    h.run_steps(2);
    h.state_mut().0.finish_editing();
    h.run_steps(2);
    assert_eq!(local_height(&path, &uuid), "41");
    // ... as a local change the next sync sends.
    press_in_panel(&mut h, "Làm mới");
    h.state_mut().0.finish_sync();
    let layers = panel(&mut h).overview.clone().unwrap().remotes[0]
        .layers
        .clone();
    assert_eq!((layers[0].pending, layers[0].conflicts), (1, 0));
    press_in_panel(&mut h, "Nguồn đồng bộ");
    press_and_wait(&mut h, "Đồng bộ");
    let run = last_run(&mut h);
    assert_eq!(
        (run.outcome.as_str(), run.replaced, run.conflicts),
        ("ok", 1, 0),
        "{run:?}"
    );
    assert_eq!(
        servers.psql("SELECT chieu_cao FROM bts WHERE ma_tram = 'BG0002'"),
        "41"
    );
}

#[test]
fn keep_mine_then_sync_sends_mine_to_postgis() {
    let servers = shared();
    let dir = tempfile::tempdir().unwrap();
    let (path, uuid) = conflicting_workspace(&servers, dir.path());
    let mut h = harness(path.clone());
    open_sync(&mut h);
    press_and_wait(&mut h, "Đồng bộ");
    press_in_panel(&mut h, "Xung đột (1)");
    press_and_wait(&mut h, "Giữ bản của tôi");
    assert!(
        panel(&mut h)
            .overview
            .as_ref()
            .unwrap()
            .conflicts
            .is_empty()
    );
    assert_eq!(local_height(&path, &uuid), "41");
    press_in_panel(&mut h, "Nguồn đồng bộ");
    press_and_wait(&mut h, "Đồng bộ");
    let run = last_run(&mut h);
    assert_eq!(
        (run.outcome.as_str(), run.replaced, run.conflicts),
        ("ok", 1, 0),
        "{run:?}"
    );
    assert_eq!(
        servers.psql("SELECT chieu_cao FROM bts WHERE ma_tram = 'BG0002'"),
        "41"
    );
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    assert_eq!(local_towers(&gpkg), server_towers(&servers));
}
