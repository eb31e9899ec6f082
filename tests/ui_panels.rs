//! The attribute form and the validation panel, driven headlessly with
//! egui_kittest (real clicks on their buttons); their writes go to the
//! workspace's editing thread as the window sends them. Each test checks
//! the GeoPackage afterwards (sqlite, ogrinfo, python3-gdal), not the window.
#![cfg(feature = "gui")]

mod common;

use std::path::Path;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use tramgis::edit::Applied;
use tramgis::edit::check::FindingKind;
use tramgis::gpkg::GeoPackage;
use tramgis::ui::AppCommand;
use tramgis::ui::edit::{EditFailure, Editing, Reply, Request};
use tramgis::ui::i18n::Lang;
use tramgis::ui::install_fonts;
use tramgis::ui::panels::attribute_form::AttributeForm;
use tramgis::ui::panels::validation::ValidationPanel;

use common::ui::{coded_values, edits};

fn text_of(path: &Path, sql: &str) -> String {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(sql, [], |r| r.get::<_, Option<String>>(0))
        .unwrap()
        .unwrap_or_default()
}

/// The workspace's editing thread, as the window runs it, with `layer`
/// in editing (the panels' writes need it, as in QGIS).
fn editing(path: &Path, layer: &str) -> Editing {
    let crs = GeoPackage::open_read_only(path)
        .unwrap()
        .layer(layer)
        .unwrap()
        .crs;
    let mut e = Editing::new(path, "kiểm thử".into(), crs);
    e.send(Request::Start(layer.into()));
    for r in e.wait() {
        if let Reply::Failed(err) = r {
            panic!("{err}");
        }
    }
    e
}

/// Sends the panels' writes to the editing thread, as the window does,
/// and waits for its answers.
fn route(e: &mut Editing, asked: &mut Vec<AppCommand>) -> Vec<Result<Applied, EditFailure>> {
    for c in asked.drain(..) {
        if let AppCommand::Write(origin, write) = c {
            e.send(Request::Write(origin, write));
        }
    }
    e.wait()
        .into_iter()
        .filter_map(|r| match r {
            Reply::Written(_, r) => Some(r.map(|c| c.applied)),
            _ => None,
        })
        .collect()
}

/// Routes the form's write and hands the answer back to it.
fn route_form(h: &mut Harness<'static, ((AttributeForm, Vec<AppCommand>), bool)>, e: &mut Editing) {
    let (form, asked) = &mut h.state_mut().0;
    let answers = route(e, asked);
    assert_eq!(answers.len(), 1, "one write sent");
    for r in answers {
        form.take_written(r);
    }
    h.run_steps(2);
}

/// A harness showing one panel; the first frame only installs the fonts.
fn harness_of<S: 'static>(
    state: S,
    mut ui: impl FnMut(&mut egui::Ui, &mut S) + 'static,
) -> Harness<'static, (S, bool)> {
    let mut h = Harness::builder().with_size([900.0, 700.0]).build_ui_state(
        move |u, (s, fonts): &mut (S, bool)| {
            if !*fonts {
                install_fonts(u.ctx());
                *fonts = true;
                return;
            }
            ui(u, s)
        },
        (state, false),
    );
    h.run_steps(3);
    h
}

#[test]
fn form_refuses_out_of_domain_code_then_writes_a_listed_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 50);
    let codes = coded_values(&path, "thua_dat", "ma_loai_dat");
    let before = text_of(&path, "SELECT ma_loai_dat FROM thua_dat WHERE fid = 1");
    let edits_before = edits(&path);
    let listed = codes.iter().find(|c| c.code != before).unwrap().clone();

    let mut e = editing(&path, "thua_dat");
    assert_eq!(edits(&path), edits_before, "starting to edit is no edit");
    let mut form = AttributeForm::load(&path, "thua_dat", Some(1), None).unwrap();
    form.set_text("ma_loai_dat", "XYZ");
    form.editable = true;
    let mut h = harness_of((form, Vec::new()), |ui, (form, asked)| {
        asked.extend(form.ui(ui, Lang::Vi));
    });
    h.get_by_label("Đồng ý").click();
    h.run_steps(2);
    // Refused before any write: the field and the reason are shown, the
    // typed value stays, the file is as it was.
    assert!(!h.state().0.0.is_busy());
    assert!(
        h.state().0.1.is_empty(),
        "nothing sent to the editing thread"
    );
    let shown = h.query_by_label_contains("ma_loai_dat: ");
    assert!(shown.is_some(), "the refused field is named next to it");
    assert_eq!(h.state().0.0.texts[0], "XYZ");
    assert!(h.state().0.0.open);
    assert_eq!(
        text_of(&path, "SELECT ma_loai_dat FROM thua_dat WHERE fid = 1"),
        before
    );
    assert_eq!(edits(&path), edits_before);

    // The pick list shows "code — name"; choose a listed code and retry.
    h.get_by_role(egui::accesskit::Role::ComboBox).click();
    h.run_steps(2);
    h.get_by_label(&format!("{} — {}", listed.code, listed.name))
        .click();
    h.run_steps(2);
    assert_eq!(h.state().0.0.texts[0], listed.code);
    h.get_by_label("Đồng ý").click();
    h.run_steps(1);
    assert!(h.state().0.0.is_busy(), "waiting for the editing thread");
    route_form(&mut h, &mut e);
    let form = &h.state().0.0;
    assert!(form.error.is_none(), "{:?}", form.error);
    assert!(!form.open, "the form closes once written");
    let applied = form.written.as_ref().expect("the edit was written");

    // The file (read by GDAL too) and the journal hold the edit.
    let (ok, out, err) = common::tool(
        "ogrinfo",
        &[
            "-q",
            path.to_str().unwrap(),
            "-sql",
            "SELECT ma_loai_dat FROM thua_dat WHERE fid = 1",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("ma_loai_dat (String) = {}", listed.code)),
        "{out}"
    );
    assert_eq!(edits(&path), edits_before + 1);
    assert_eq!(
        text_of(
            &path,
            &format!(
                "SELECT description FROM tramgis_edits WHERE edit_id = {}",
                applied.edit_id
            )
        ),
        "Sửa thuộc tính đối tượng 1 của lớp thua_dat"
    );
    assert_eq!(
        text_of(
            &path,
            &format!(
                "SELECT group_concat(op || ' ' || fid) FROM tramgis_changes \
                 WHERE edit_id = {} AND table_name = 'thua_dat'",
                applied.edit_id
            )
        ),
        "update 1"
    );
}

/// Three 10 m lots written by python3-gdal; lot 1 reaches 1 m into lot 2.
fn overlapping(dir: &Path) -> std::path::PathBuf {
    let (x, y) = (500_000.0, 2_300_000.0);
    let rect = |x0: f64, x1: f64| {
        format!(
            "'POLYGON(({a} {y},{b} {y},{b} {c},{a} {c},{a} {y}))'",
            a = x + x0,
            b = x + x1,
            c = y + 10.0
        )
    };
    let body = format!(
        "layer('quy_hoach', ogr.wkbPolygon, [{}, {}, {}])\nds = None\n",
        rect(0.0, 11.0),
        rect(10.0, 20.0),
        rect(20.0, 30.0)
    );
    let path = dir.join("overlap.gpkg");
    common::python(
        &common::gdal_script("%s %d", &body),
        &[path.to_str().unwrap()],
    );
    path
}

/// The summed pairwise overlap area of the layer, computed by GDAL/GEOS.
fn overlap_area(path: &Path) -> f64 {
    let script = "import sys
from osgeo import ogr
ds = ogr.Open(sys.argv[1])
geoms = [f.GetGeometryRef().Clone() for f in ds.GetLayer('quy_hoach')]
print(sum(a.Intersection(b).GetArea() for i, a in enumerate(geoms) for b in geoms[i + 1:]))";
    let (ok, out, err) = common::tool("/usr/bin/python3", &["-c", script, path.to_str().unwrap()]);
    assert!(ok, "{err}");
    out.trim().parse().unwrap()
}

#[test]
fn validation_panel_finds_a_planted_overlap_and_fixes_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = overlapping(dir.path());
    assert!((overlap_area(&path) - 10.0).abs() < 1e-6);

    let panel = ValidationPanel::new(&path, "quy_hoach");
    let layers = vec!["quy_hoach".to_string()];
    let mut h = harness_of((panel, Vec::new()), move |ui, (p, asked)| {
        asked.extend(p.ui(ui, Lang::Vi, &layers));
    });
    h.get_by_label("Kiểm tra").click();
    h.run_steps(1);
    h.state_mut().0.0.wait();
    h.run_steps(2);
    let report = h.state().0.0.report.clone().expect("the check finished");
    let overlaps: Vec<_> = report.of_kind(FindingKind::Overlap).collect();
    assert_eq!(overlaps.len(), 1, "{:?}", report.findings);
    assert!((overlaps[0].area - 10.0).abs() < 1e-6);
    assert!(h.query_by_label("overlap").is_some(), "listed in the panel");
    let k = report
        .findings
        .iter()
        .position(|f| f.kind == FindingKind::Overlap)
        .unwrap();

    // Not in editing: the fix is refused (as QGIS refuses edits then)
    // and the file is as it was.
    let crs = GeoPackage::open_read_only(&path)
        .unwrap()
        .layer("quy_hoach")
        .unwrap()
        .crs;
    let mut e = Editing::new(&path, "kiểm thử".into(), crs);
    h.get_all_by_label("Sửa").nth(k).unwrap().click();
    h.run_steps(1);
    {
        let (panel, asked) = &mut h.state_mut().0;
        for r in route(&mut e, asked) {
            panel.take_fix(r);
        }
    }
    h.run_steps(2);
    let refused = h.state().0.0.error.clone().expect("refused");
    assert!(refused.contains("start editing"), "{refused}");
    assert!((overlap_area(&path) - 10.0).abs() < 1e-6);

    e.send(Request::Start("quy_hoach".into()));
    e.wait();
    let edits_before = edits(&path);
    h.get_all_by_label("Sửa").nth(k).unwrap().click();
    h.run_steps(1);
    // The fix through the editing thread, then the check it starts again.
    {
        let (panel, asked) = &mut h.state_mut().0;
        for r in route(&mut e, asked) {
            panel.take_fix(r);
        }
        panel.wait();
    }
    h.run_steps(2);
    let panel = &h.state().0.0;
    assert!(panel.error.is_none(), "{:?}", panel.error);
    assert!(panel.fixed.is_some());
    let again = panel.report.as_ref().unwrap();
    assert_eq!(again.of_kind(FindingKind::Overlap).count(), 0);
    assert!(overlap_area(&path) < 1e-6, "GDAL sees no overlap left");
    assert_eq!(edits(&path), edits_before + 1, "the fix is one edit");
}

#[test]
fn form_stays_open_with_its_values_when_another_program_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 50);
    let before = text_of(&path, "SELECT ma_loai_dat FROM thua_dat WHERE fid = 1");
    let edits_before = edits(&path);
    let codes = coded_values(&path, "thua_dat", "ma_loai_dat");
    // Editing starts before the other program takes the lock.
    let mut e = editing(&path, "thua_dat");
    let edits_before = edits(&path).max(edits_before);
    let code = codes
        .iter()
        .find(|c| c.code != before)
        .unwrap()
        .code
        .clone();

    // The sqlite3 shell takes the write lock and keeps it.
    let lock = common::lock::WriteLock::hold(&path);

    let mut form = AttributeForm::load(&path, "thua_dat", Some(1), None).unwrap();
    form.set_text("ma_loai_dat", &code);
    form.editable = true;
    let mut h = harness_of((form, Vec::new()), |ui, (form, asked)| {
        asked.extend(form.ui(ui, Lang::Vi));
    });
    h.get_by_label("Đồng ý").click();
    h.run_steps(1);
    route_form(&mut h, &mut e);
    let form = &h.state().0.0;
    let error = form.error.clone().expect("the blocked write is reported");
    assert!(form.open, "the form stays for a retry");
    assert_eq!(form.texts[0], code, "with the typed value");
    assert!(h.query_by_label(&error).is_some(), "shown in the form");
    lock.release();
    assert_eq!(
        text_of(&path, "SELECT ma_loai_dat FROM thua_dat WHERE fid = 1"),
        before
    );
    assert_eq!(edits(&path), edits_before);

    // Once the lock is gone the same values go in.
    h.get_by_label("Đồng ý").click();
    h.run_steps(1);
    route_form(&mut h, &mut e);
    assert!(h.state().0.0.error.is_none(), "{:?}", h.state().0.0.error);
    assert_eq!(
        text_of(&path, "SELECT ma_loai_dat FROM thua_dat WHERE fid = 1"),
        code
    );
}

#[test]
fn gnss_panel_adds_a_tower_at_the_gpsd_fix_through_the_form() {
    use tramgis::ui::panels::gnss::GnssPanel;

    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 50);
    let (ok, _, err) = common::tool(
        "sqlite3",
        &[
            path.to_str().unwrap(),
            "ALTER TABLE tram_bts ADD COLUMN do_chinh_xac_m REAL;",
        ],
    );
    assert!(ok, "{err}");
    let port = common::gpsfake::free_port();
    let _gpsd = common::gpsfake::Gpsfake::start(port);

    let mut panel = GnssPanel::new(&path);
    panel.address = format!("127.0.0.1:{port}");
    panel.connect(None);
    let fix = panel
        .client()
        .unwrap()
        // The epoch's GST may come after its TPV: wait for the fix it
        // refined, as tests/gnss.rs does.
        .wait_for_fix_where(std::time::Duration::from_secs(30), |f| {
            f.accuracy_source == Some(tramgis::edit::gnss::AccuracySource::Gst)
        })
        .expect("a fix from gpsfake with the log's GST error");
    // The layer's description as the map caches it (read here, on the
    // test's thread, as the load job does).
    let tram_bts = GeoPackage::open_read_only(&path)
        .unwrap()
        .layer("tram_bts")
        .unwrap();
    panel.set_layer(tram_bts.clone());
    panel.fields.accuracy = Some("do_chinh_xac_m".into());
    // The fix as the map draws it (here in VN-2000 / EPSG:9214): at the
    // log's position, its accuracy circle's edge that many metres away.
    let mark = panel
        .fix_on_map(&tramgis::crs::Crs::Epsg(9214))
        .expect("the fix on the map");
    let v = common::transform(
        "cs2cs",
        &["-f", "%.4f", "EPSG:4326", "EPSG:9214"],
        &format!("{} {}", fix.lat, fix.lon),
    );
    assert!(
        (mark.at[0] - v[0]).abs() < 0.1 && (mark.at[1] - v[1]).abs() < 0.1,
        "{mark:?} {v:?}"
    );
    // The mark is of the latest fix, which may be of a newer epoch whose
    // GST has not come yet: its radius is its own fix's estimate, twice
    // the log's GST error or else gpsd's (eph, or epx and epy).
    let accuracy = mark.accuracy_m.expect("the log has an estimate");
    let estimates = [
        Some(2.0 * 1.5f64.hypot(1.3)),
        fix.eph,
        fix.epx.zip(fix.epy).map(|(x, y)| x.hypot(y)),
    ];
    assert!(
        estimates
            .iter()
            .flatten()
            .any(|a| (a - accuracy).abs() < 1e-9),
        "{accuracy} {fix:?}"
    );
    let edge = mark.accuracy_edge.unwrap();
    let radius = (edge[0] - mark.at[0]).hypot(edge[1] - mark.at[1]);
    assert!(
        (radius - accuracy).abs() < 0.01 * accuracy + 0.05,
        "{radius} vs {accuracy}"
    );

    let mut e = editing(&path, "tram_bts");
    let layers = vec![tram_bts];
    let mut h = harness_of((panel, Vec::new()), move |ui, (p, asked)| {
        asked.extend(p.ui(ui, Lang::Vi, &layers, None));
    });
    assert!(h.query_by_label("Đã kết nối").is_some());
    h.get_by_label("Thêm điểm tại vị trí hiện tại").click();
    h.run_steps(2);
    // The form (the layer's rules and defaults) is read in the background.
    h.state_mut().0.0.finish_new_point();
    assert!(h.state().0.0.error.is_none(), "{:?}", h.state().0.0.error);
    let mut form = h
        .state_mut()
        .0
        .0
        .new_point
        .take()
        .expect("the new point's form");
    // The user completes the required fields, then OK.
    form.set_text("ma_tram", "BGG-GNSS-2");
    form.set_text("nha_mang", "Viettel");
    form.set_text("loai_cot", "Cột tự đứng");
    form.set_text("chieu_cao", "36");
    let accuracy: f64 = form.texts[form.layer.schema.field_index("do_chinh_xac_m").unwrap()]
        .parse()
        .expect("the accuracy is filled in");
    let mut asked: Vec<AppCommand> = form.submit(Lang::Vi).into_iter().collect();
    assert_eq!(asked.len(), 1, "{:?}", form.field_errors);
    for r in route(&mut e, &mut asked) {
        form.take_written(r);
    }
    assert!(form.error.is_none(), "{:?}", form.error);
    let applied = form.written.expect("written");
    let fid = applied.layer("tram_bts").unwrap().inserted[0];

    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let tower = gpkg.get_feature("tram_bts", fid).unwrap().unwrap();
    let Some(geo_types::Geometry::Point(p)) = tower.geometry else {
        panic!("{tower:?}")
    };
    let v = common::transform(
        "cs2cs",
        &["-f", "%.4f", "EPSG:4326", "EPSG:9214"],
        &format!("{} {}", fix.lat, fix.lon),
    );
    assert!(
        (p.x() - v[0]).abs() < 0.1 && (p.y() - v[1]).abs() < 0.1,
        "{p:?} {v:?}"
    );
    let info = gpkg.layer("tram_bts").unwrap();
    assert_eq!(
        tower.values[info.schema.field_index("do_chinh_xac_m").unwrap()],
        tramgis::model::FieldValue::Real(accuracy)
    );

    // Moving another tower to the fix: one edit of the same thread.
    let other = gpkg
        .all_features("tram_bts")
        .unwrap()
        .into_iter()
        .filter_map(|f| f.fid)
        .find(|f| *f != fid)
        .unwrap();
    drop(gpkg);
    {
        let (panel, asked) = &mut h.state_mut().0;
        asked.extend(panel.write_fix(tramgis::ui::panels::gnss::Target::Move(other)));
        for r in route(&mut e, asked) {
            panel.take_written(r);
        }
        assert!(panel.error.is_none(), "{:?}", panel.error);
        assert!(panel.written.is_some());
    }
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let moved = gpkg.get_feature("tram_bts", other).unwrap().unwrap();
    let Some(geo_types::Geometry::Point(q)) = moved.geometry else {
        panic!("{moved:?}")
    };
    assert!((q.x() - v[0]).abs() < 0.1 && (q.y() - v[1]).abs() < 0.1);
}

/// The mojibake repair writes in the background: while another program
/// holds the write lock, frames go on (none waits on the store), the
/// refused write names the file, and Run again after the lock is gone
/// makes the one edit.
#[test]
fn repair_dialog_writes_in_the_background_while_another_program_holds_the_lock() {
    use tramgis::ui::panels::repair_text::RepairTextDialog;

    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 20);
    // Text once misread as Latin-1, as an old import left it (written by
    // GDAL, whose SQL has the GeoPackage's functions for its triggers).
    let (ok, _, err) = common::tool(
        "ogrinfo",
        &[
            path.to_str().unwrap(),
            "-sql",
            "UPDATE tram_bts SET giay_phep = 'Th«n Thanh Êm' WHERE fid = 1",
        ],
    );
    assert!(ok, "{err}");
    let info = GeoPackage::open_read_only(&path)
        .unwrap()
        .layer("tram_bts")
        .unwrap();
    let layers = vec![info];
    let ws = path.clone();
    let mut h = harness_of(RepairTextDialog::new(&layers), move |ui, d| {
        d.show(ui.ctx(), Lang::Vi, &ws, &layers);
    });
    h.get_by_label("Xem trước").click();
    h.run_steps(2);
    h.state_mut().0.finish_preview();
    h.run_steps(2);
    h.get_by_label("-> Thôn Thanh Ấm");

    let lock = common::lock::WriteLock::hold(&path);
    h.get_by_label("Thực hiện").click();
    // The write waits for the lock (its busy timeout); the frames, the
    // one that starts it included, do not.
    let start = std::time::Instant::now();
    h.run_steps(1);
    let took = start.elapsed();
    assert!(took < std::time::Duration::from_millis(500), "{took:?}");
    assert!(h.state().0.is_writing());
    for _ in 0..10 {
        let start = std::time::Instant::now();
        h.step();
        let took = start.elapsed();
        assert!(took < std::time::Duration::from_millis(500), "{took:?}");
    }
    assert!(h.query_by_label("Đang ghi…").is_some());
    h.state_mut().0.finish_write();
    h.run_steps(2);
    let file = path.file_name().unwrap().to_str().unwrap();
    h.get_by_label_contains(file);
    assert_eq!(
        text_of(&path, "SELECT giay_phep FROM tram_bts WHERE fid = 1"),
        "Th«n Thanh Êm",
        "nothing written under the lock"
    );

    lock.release();
    h.get_by_label("Thực hiện").click();
    h.run_steps(1);
    h.state_mut().0.finish_write();
    h.run_steps(2);
    h.get_by_label_contains("Đã sửa: 1");
    assert_eq!(
        text_of(&path, "SELECT giay_phep FROM tram_bts WHERE fid = 1"),
        "Thôn Thanh Ấm"
    );
    assert_eq!(
        text_of(
            &path,
            "SELECT CAST(count(*) AS TEXT) FROM tramgis_edits WHERE description = 'Sửa lỗi mã hóa: 1 giá trị'"
        ),
        "1"
    );
}
