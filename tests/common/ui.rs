//! The window driven headlessly: the harness the UI tests share.

use egui_kittest::Harness;
use tramgis::ui::{TramgisApp, install_fonts};

pub type State = (TramgisApp, bool);

pub fn harness(path: std::path::PathBuf) -> Harness<'static, State> {
    let builder = Harness::builder().wgpu();
    harness_of(TramgisApp::new(path), builder)
}

/// The app with its map drawn by the wgpu renderer inside egui's pass, as
/// in the window (the other tests use the painter).
pub fn gpu_harness(path: std::path::PathBuf) -> Harness<'static, State> {
    use egui_kittest::wgpu::{WgpuTestRenderer, create_render_state, default_wgpu_setup};
    let render_state = create_render_state(
        default_wgpu_setup(),
        eframe::egui_wgpu::RendererOptions::PREDICTABLE,
    );
    let app = TramgisApp::on_gpu(path, &render_state, 1);
    let builder = Harness::builder().renderer(WgpuTestRenderer::from_render_state(render_state));
    harness_of(app, builder)
}

pub fn harness_of(
    mut app: TramgisApp,
    builder: egui_kittest::HarnessBuilder<State>,
) -> Harness<'static, State> {
    app.finish_loading();
    let mut h = builder.with_size([1200.0, 800.0]).build_ui_state(
        |ui, (app, fonts): &mut State| {
            // Fonts apply from the next frame; egui refuses to lay out a
            // glyph it has no font for, so the first frame only installs them.
            if !*fonts {
                install_fonts(ui.ctx());
                *fonts = true;
                return;
            }
            app.show(ui);
        },
        (TramgisApp::new(std::path::PathBuf::new()), false),
    );
    h.state_mut().0 = app;
    h.run_steps(3);
    h
}

// ---- Driving the window: the map, the editing panel, the journal ----

use egui_kittest::kittest::Queryable;
use geo_types::Geometry;
use std::path::Path;
use tramgis::gpkg::GeoPackage;
use tramgis::ui::map::ScreenView;

pub type AppHarness = Harness<'static, State>;

/// The map centred on `p`, `half` metres around it (the toolbar can
/// widen the map's rect under the editing panel: the middle is clear).
pub fn zoom_around(h: &mut AppHarness, p: [f64; 2], half: f64) {
    let b = tramgis::ui::map::Bbox::new((p[0] - half, p[1] - half), (p[0] + half, p[1] + half));
    h.state_mut().0.apply(tramgis::ui::AppCommand::ZoomToBox(b));
    h.run_steps(2);
}

/// A connection to read the workspace beside the window's editing thread
/// (which keeps it in WAL mode); it changes nothing.
pub fn reader(path: &Path) -> GeoPackage {
    GeoPackage::open_with(
        path,
        &tramgis::gpkg::OpenOptions {
            adopt: false,
            ..Default::default()
        },
    )
    .unwrap()
}

pub fn screen_of(h: &AppHarness, p: [f64; 2]) -> egui::Pos2 {
    let app = &h.state().0;
    app.view().unwrap().to_screen(app.map_rect().unwrap(), p)
}

pub fn map_of(h: &AppHarness, p: egui::Pos2) -> [f64; 2] {
    let app = &h.state().0;
    app.view()
        .unwrap()
        .screen_to_map(app.map_rect().unwrap(), p)
}

/// Metres per screen point.
pub fn resolution(h: &AppHarness) -> f64 {
    h.state().0.view().unwrap().resolution
}

/// A press and release at one spot: egui's click.
pub fn click_map(h: &mut AppHarness, at: egui::Pos2) {
    h.hover_at(at);
    h.drag_at(at);
    h.drop_at(at);
    h.run_steps(2);
}

/// Presses at `from`, moves in steps and lets go at `to`: egui's drag.
pub fn drag_map(h: &mut AppHarness, from: egui::Pos2, to: egui::Pos2) {
    h.hover_at(from);
    h.drag_at(from);
    h.run_steps(1);
    for k in 1..=4 {
        let t = k as f32 / 4.0;
        h.hover_at(from + (to - from) * t);
        h.run_steps(1);
    }
    h.drop_at(to);
    h.run_steps(2);
}

/// Every polygon feature of a layer: (fid, polygon).
pub fn polygons(path: &Path, layer: &str) -> Vec<(i64, geo_types::Polygon<f64>)> {
    GeoPackage::open_read_only(path)
        .unwrap()
        .all_features(layer)
        .unwrap()
        .into_iter()
        .filter_map(|f| match f.geometry {
            Some(Geometry::Polygon(p)) => Some((f.fid?, p)),
            _ => None,
        })
        .collect()
}

/// Presses at the first point, moves through the others a frame each and
/// lets go at the last: a freehand trace.
pub fn trace_map(h: &mut AppHarness, outline: &[egui::Pos2]) {
    h.hover_at(outline[0]);
    h.drag_at(outline[0]);
    h.run_steps(1);
    for p in &outline[1..] {
        h.hover_at(*p);
        h.run_steps(1);
    }
    h.drop_at(*outline.last().unwrap());
    h.run_steps(2);
}

/// Holds Shift (or lets it go) for the frames that follow.
pub fn shift(h: &mut AppHarness, down: bool) {
    let m = if down {
        egui::Modifiers::SHIFT
    } else {
        egui::Modifiers::NONE
    };
    h.event(egui::Event::ModifiersChanged(m));
    h.run_steps(1);
}

/// Ticks the editing panel's "Editing: layer" box and waits for the
/// editing thread.
pub fn start_editing(h: &mut AppHarness, layer: &str) {
    h.get_by_label(&format!("Chỉnh sửa: {layer}")).click();
    h.run_steps(2);
    h.state_mut().0.finish_editing();
    h.run_steps(1);
}

/// Clicks a widget of the panel by its label, through accesskit (it may
/// lie below the panel's fold).
pub fn press(h: &mut AppHarness, label: &str) {
    h.get_by_label(label).click_accesskit();
    h.run_steps(2);
}

/// Opens a collapsed section of the panel, past its opening animation
/// (so its widgets stay put).
pub fn open_section(h: &mut AppHarness, label: &str) {
    h.get_by_label(label).click_accesskit();
    h.run_steps(15);
}

/// The panel's "more edits" section.
pub fn open_more(h: &mut AppHarness) {
    open_section(h, "Dán, dịch song song, tránh chồng lấn");
}

/// Snapping off (vertices, segments and intersections unticked in the
/// editing panel's snapping settings), so the clicked position is the
/// written one.
pub fn snapping_off(h: &mut AppHarness) {
    open_section(h, "Bắt điểm");
    for what in ["Đỉnh", "Cạnh", "Giao điểm"] {
        press(h, what);
    }
    h.state_mut().0.finish_editing();
    let at = h.state().0.view().unwrap().centre;
    let p = tramgis::ui::tools::MapPointer {
        screen: egui::pos2(0.0, 0.0),
        map: at,
        snapped: false,
    };
    assert!(!h.state_mut().0.snapping_mut().adjust(p, 1000.0).snapped);
}

/// Focuses the panel's (first) text field of `role` and types `text`.
pub fn type_into(h: &mut AppHarness, role: egui::accesskit::Role, text: &str) {
    h.get_by_role(role).focus();
    h.run_steps(2);
    h.get_by_role(role).type_text(text);
    h.run_steps(2);
}

/// Types `text` into the `k`th text field of the window, replacing what
/// it held.
pub fn type_in_field(h: &mut AppHarness, k: usize, text: &str) {
    let field = egui::accesskit::Role::TextInput;
    h.get_all_by_role(field).nth(k).unwrap().focus();
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_steps(1);
    h.get_all_by_role(field).nth(k).unwrap().type_text(text);
    h.run_steps(2);
}

/// Lets the editing thread answer and the window take its reply; the
/// window must not have reported a problem.
pub fn finish(h: &mut AppHarness) {
    h.run_steps(2);
    h.state_mut().0.finish_editing();
    h.run_steps(2);
    let message = h.state().0.message();
    assert!(
        message.is_none(),
        "the window reported a problem: {message:?}"
    );
}

/// Selects `fids` of `layer` and deletes them with the editing panel's
/// command, then waits for the edit (see [`finish`]).
pub fn delete_features(h: &mut AppHarness, layer: &str, fids: &[i64]) {
    h.state_mut()
        .0
        .apply(tramgis::ui::AppCommand::SelectFeatures {
            layer: layer.into(),
            fids: fids.to_vec(),
        });
    h.run_steps(2);
    h.state_mut()
        .0
        .apply(tramgis::ui::AppCommand::DeleteSelected);
    finish(h);
}

/// The newest edit in the journal: its description, and its change rows
/// (table, fid, op).
pub fn last_edit(path: &Path) -> (String, Vec<(String, i64, String)>) {
    let gpkg = reader(path);
    let conn = gpkg.connection();
    let (id, description): (i64, String) = conn
        .query_row(
            "SELECT edit_id, description FROM tramgis_edits ORDER BY edit_id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let mut stmt = conn
        .prepare("SELECT table_name, fid, op FROM tramgis_changes WHERE edit_id = ?1")
        .unwrap();
    let rows = stmt
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    (description, rows)
}

/// How many edits the journal holds (0 before it exists).
pub fn edits(path: &Path) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("SELECT count(*) FROM tramgis_edits", [], |r| r.get(0))
        .unwrap_or(0)
}

/// GDAL's reading of one feature (ogrinfo's text).
pub fn ogrinfo_feature(path: &Path, layer: &str, fid: i64) -> String {
    let (ok, out, err) = super::tool(
        "ogrinfo",
        &[
            "-ro",
            "-q",
            path.to_str().unwrap(),
            layer,
            "-fid",
            &fid.to_string(),
        ],
    );
    assert!(ok, "ogrinfo failed: {err}");
    out
}

/// The numbers in a WKT text, in order.
pub fn wkt_numbers(text: &str) -> Vec<f64> {
    let start = text.find('(').unwrap();
    text[start..]
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect()
}

pub fn fids(path: &Path, layer: &str) -> Vec<i64> {
    let mut v: Vec<i64> = reader(path)
        .all_features(layer)
        .unwrap()
        .iter()
        .filter_map(|f| f.fid)
        .collect();
    v.sort();
    v
}

/// The one fid of `layer` that was not there `before`.
pub fn new_fid(path: &Path, layer: &str, before: &[i64]) -> i64 {
    let after = fids(path, layer);
    assert_eq!(after.len(), before.len() + 1, "one feature more in {layer}");
    *after.iter().find(|f| !before.contains(f)).unwrap()
}

pub fn geometry(path: &Path, layer: &str, fid: i64) -> Option<Geometry<f64>> {
    reader(path)
        .get_feature(layer, fid)
        .unwrap()
        .and_then(|f| f.geometry)
}

/// The stored row of a feature, column by column, as SQLite holds it
/// (the geometry blob included): to check that undo restores it exactly.
pub fn row(path: &Path, layer: &str, fid: i64) -> Option<Vec<rusqlite::types::Value>> {
    let gpkg = reader(path);
    let conn = gpkg.connection();
    let sql = format!("SELECT * FROM \"{layer}\" WHERE fid = ?1");
    let mut stmt = conn.prepare(&sql).unwrap();
    let n = stmt.column_count();
    let mut rows = stmt.query([fid]).unwrap();
    let r = rows.next().unwrap()?;
    Some((0..n).map(|i| r.get(i).unwrap()).collect())
}

/// The coded values of a field's domain (the sample gives `ma_loai_dat`
/// one).
pub fn coded_values(
    path: &Path,
    layer: &str,
    field: &str,
) -> Vec<tramgis::edit::domains::CodedValue> {
    use tramgis::edit::domains::DomainKind;
    let gpkg = reader(path);
    let info = gpkg.layer(layer).unwrap();
    let rules = tramgis::edit::rules::FieldRules::load(gpkg.connection(), &info).unwrap();
    match rules
        .field(field)
        .and_then(|r| r.domain.as_ref())
        .map(|d| d.kind.clone())
    {
        Some(DomainKind::Coded(codes)) => codes,
        other => panic!("{layer}.{field} has no coded domain: {other:?}"),
    }
}

/// The newest edit is `description`, with exactly these change rows
/// (table, fid, op), in any order.
pub fn assert_last_edit(path: &Path, description: &str, rows: &[(&str, i64, &str)]) {
    let (got, mut got_rows) = last_edit(path);
    got_rows.sort();
    let mut want: Vec<(String, i64, String)> = rows
        .iter()
        .map(|(t, f, op)| (t.to_string(), *f, op.to_string()))
        .collect();
    want.sort();
    assert_eq!((got.as_str(), got_rows), (description, want), "the journal");
}

/// The window on the workspace, zoomed to a feature, labels of its layer
/// off (they would cover the map where the tests click).
pub fn harness_at(path: &Path, layer: &str, fid: i64) -> AppHarness {
    let mut h = harness(path.to_path_buf());
    h.state_mut().0.set_label_field(layer, None);
    h.state_mut().0.finish_loading();
    h.state_mut().0.zoom_to_feature(layer, fid);
    h.run_steps(2);
    h
}
