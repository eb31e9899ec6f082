//! The window, driven headlessly with egui_kittest and rendered through
//! wgpu (lavapipe on machines without a GPU).
#![cfg(feature = "gui")]

mod common;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use geo::InteriorPoint;
use tramgis::gpkg::GeoPackage;
use tramgis::model::landuse::landuse_code;
use tramgis::ui::Tool;
use tramgis::ui::map::ScreenView;

use common::ui::{State, gpu_harness, harness};

/// The app zoomed to a rice parcel with no labels over it, and that
/// parcel: fid, land-use code and a point inside it. The directory holds
/// the workspace and must live as long as the harness.
struct AtParcel {
    /// Bind it (as `_dir`, not `_`) or the workspace is deleted at once.
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    h: Harness<'static, State>,
    fid: i64,
    code: String,
    inside: [f64; 2],
}

fn at_a_parcel(make: fn(std::path::PathBuf) -> Harness<'static, State>) -> AtParcel {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 800);
    let (fid, code, inside) = a_parcel(&path);
    let mut h = make(path.clone());
    zoom_to_parcel(&mut h, fid);
    AtParcel {
        _dir: dir,
        path,
        h,
        fid,
        code,
        inside,
    }
}

/// Turns the parcel numbers off (one would sit on the very pixel looked
/// at) and zooms to a parcel.
fn zoom_to_parcel(h: &mut Harness<'static, State>, fid: i64) {
    h.state_mut().0.set_label_field("thua_dat", None);
    h.state_mut().0.finish_loading();
    h.state_mut().0.zoom_to_feature("thua_dat", fid);
    h.run_steps(2);
}

/// Checks that the parcel is drawn in its land-use colour where `inside`
/// is on screen; returns that screen point and the colour.
fn parcel_in_its_colour(
    h: &mut Harness<'static, State>,
    code: &str,
    inside: [f64; 2],
) -> (egui::Pos2, [u8; 3]) {
    let at = screen_of(h, inside);
    let colour = landuse_code(code).unwrap().rgb;
    let drawn = pixel(&h.render().unwrap(), at);
    assert!(
        close(drawn, colour),
        "parcel drawn {drawn:?}, land-use colour {colour:?}"
    );
    (at, colour)
}

/// The layer's default style as saved in the workspace.
fn stored_style(path: &std::path::Path, layer: &str) -> tramgis::gpkg::styles::StoredStyle {
    GeoPackage::open_read_only(path)
        .unwrap()
        .default_style(layer)
        .unwrap()
        .unwrap_or_else(|| panic!("no default style for {layer}"))
}

/// A parcel, its land-use code, and a point inside it.
fn a_parcel(path: &std::path::Path) -> (i64, String, [f64; 2]) {
    let gpkg = GeoPackage::open_read_only(path).unwrap();
    let f = gpkg
        .all_features("thua_dat")
        .unwrap()
        .into_iter()
        .find(|f| f.values[0].to_string() == "LUC")
        .unwrap();
    let p = f.geometry.as_ref().unwrap().interior_point().unwrap();
    (f.fid.unwrap(), f.values[0].to_string(), [p.x(), p.y()])
}

fn screen_of(h: &Harness<'static, State>, p: [f64; 2]) -> egui::Pos2 {
    let app = &h.state().0;
    app.view().unwrap().to_screen(app.map_rect().unwrap(), p)
}

fn pixel(image: &image::RgbaImage, at: egui::Pos2) -> [u8; 3] {
    let p = image.get_pixel(at.x as u32, at.y as u32);
    [p[0], p[1], p[2]]
}

fn close(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| (i16::from(*x) - i16::from(y)).abs() <= 3)
}

#[test]
fn starts_on_the_workspace_and_lists_its_layers_by_theme() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 800);
    // Every block of the sample is at least one parcel: the file may hold
    // more parcels than asked for; the tree shows what it holds.
    let count = GeoPackage::open_read_only(&path)
        .unwrap()
        .count_features("thua_dat", None)
        .unwrap();
    assert!(count >= 800);
    let h = harness(path);
    h.get_by_label_contains(&format!("Thửa đất hiện trạng ({count} đối tượng)"));
    h.get_by_label("Sử dụng đất");
    h.get_by_label("BTS & viễn thông");
    assert_eq!(h.state().0.scene().unwrap().layers.len(), 10);
}

#[test]
fn toggling_a_layer_off_removes_it_from_the_map() {
    let AtParcel {
        _dir,
        mut h,
        code,
        inside,
        ..
    } = at_a_parcel(harness);
    let (at, colour) = parcel_in_its_colour(&mut h, &code, inside);
    h.get_by_label("Hiển thị: Thửa đất hiện trạng").click();
    h.run_steps(2);
    let after = pixel(&h.render().unwrap(), at);
    assert!(
        !close(after, colour),
        "the hidden layer still shows: {after:?}"
    );
}

#[test]
fn identify_shows_the_clicked_parcels_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 800);
    let (fid, _, inside) = a_parcel(&path);
    let mut h = harness(path.clone());
    h.state_mut().0.zoom_to_feature("thua_dat", fid);
    h.state_mut().0.set_tool(Tool::Identify);
    h.run_steps(2);
    let at = screen_of(&h, inside);
    h.hover_at(at);
    h.drag_at(at);
    h.drop_at(at);
    h.run_steps(1);
    // Identify reads the store in a job; its result shows in the next frames.
    h.state_mut().0.finish_jobs();
    h.run_steps(2);
    let found = h.state().0.identified();
    let parcel = found
        .iter()
        .find(|i| i.layer == "thua_dat")
        .expect("the parcel is identified");
    assert_eq!(parcel.fid, fid);
    h.get_by_label(&format!("thua_dat · fid {fid}"));
    let area = GeoPackage::open_read_only(&path)
        .unwrap()
        .get_feature("thua_dat", fid)
        .unwrap()
        .unwrap()
        .values[1]
        .to_string();
    h.get_by_label(&area);
}

#[test]
fn attribute_table_sorts_by_a_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 300);
    let mut h = harness(path.clone());
    h.state_mut().0.open_table("thua_dat");
    h.run_steps(2);
    h.get_by_label("dien_tich").click();
    h.run_steps(1);
    h.state_mut().0.tables[0].finish_query();
    h.run_steps(2);
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let areas: Vec<f64> = gpkg
        .attributes_of("thua_dat", h.state().0.tables[0].row_fids())
        .unwrap()
        .iter()
        .map(|f| f.values[1].as_f64().unwrap())
        .collect();
    let count = gpkg.count_features("thua_dat", None).unwrap();
    assert!(count >= 300);
    assert_eq!(areas.len() as u64, count);
    assert!(areas.windows(2).all(|w| w[0] <= w[1]), "not sorted by area");
    h.get_by_label("dien_tich (tăng dần)");
}

#[test]
fn switching_to_english_changes_the_labels() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(common::sample(dir.path(), 200));
    h.get_by_label("Tệp");
    h.get_by_label("Ngôn ngữ").click();
    h.run_steps(2);
    h.get_by_label("English").click();
    h.run_steps(2);
    h.get_by_label("File");
    h.get_by_label("Land use");
    assert!(h.query_by_label("Tệp").is_none());
}

#[test]
fn a_new_style_recolours_the_layer_and_zoom_to_selection_finds_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 800);
    let (fid, _, inside) = a_parcel(&path);
    let mut h = harness(path);
    let red = [200, 30, 30];
    {
        let app = &mut h.state_mut().0;
        app.set_label_field("thua_dat", None);
        app.finish_loading();
        app.set_style(
            "thua_dat",
            tramgis::render::LayerStyle::single([red[0], red[1], red[2], 255]),
        );
        app.finish_loading();
        app.selection
            .insert("thua_dat".into(), std::collections::BTreeSet::from([fid]));
    }
    h.run_steps(2);
    h.state_mut().0.zoom_to_selection();
    h.run_steps(2);
    let at = screen_of(&h, inside);
    let rect = h.state().0.map_rect().unwrap();
    assert!(rect.contains(at), "the selected parcel is in view");
    let got = pixel(&h.render().unwrap(), at);
    assert!(close(got, red), "restyled parcel is {got:?}, not {red:?}");
}

#[test]
fn a_polygon_drawn_by_clicks_selects_the_parcels_it_meets_in_the_active_layer() {
    let AtParcel {
        _dir,
        mut h,
        fid,
        inside,
        ..
    } = at_a_parcel(harness);
    // Clicking the layer's title makes it the one the tools act on.
    h.get_by_label_contains("Thửa đất hiện trạng (").click();
    h.run_steps(2);
    assert_eq!(h.state().0.active_layer.as_deref(), Some("thua_dat"));
    h.get_by_label("Chọn theo vùng").click();
    h.run_steps(2);
    // A small triangle around a point inside the parcel, then Enter.
    let at = screen_of(&h, inside);
    for d in [
        egui::vec2(-4.0, -4.0),
        egui::vec2(4.0, -4.0),
        egui::vec2(0.0, 4.0),
    ] {
        h.hover_at(at + d);
        h.drag_at(at + d);
        h.drop_at(at + d);
        h.run_steps(2);
    }
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    h.state_mut().0.finish_jobs();
    let selection = &h.state().0.selection;
    assert_eq!(
        selection
            .get("thua_dat")
            .map(|s| s.iter().copied().collect::<Vec<_>>()),
        Some(vec![fid]),
        "only the parcel under the triangle"
    );
    assert_eq!(
        selection.values().map(|s| s.len()).sum::<usize>(),
        1,
        "nothing in other layers: {selection:?}"
    );
}

#[test]
fn dragging_a_layer_onto_another_moves_it_and_the_order_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 300);
    let mut h = harness(path.clone());
    let order = |h: &Harness<'static, State>| -> Vec<String> {
        h.state()
            .0
            .scene()
            .unwrap()
            .layers
            .iter()
            .map(|l| l.info.name.clone())
            .collect()
    };
    let before = order(&h);
    let parcels = before.iter().position(|n| n == "thua_dat").unwrap();
    // Drag the parcels' handle onto the BTS towers' row (higher in the tree).
    let from = h.get_by_label_contains("Thửa đất hiện trạng (").rect();
    let to = h.get_by_label_contains("Trạm BTS (").rect();
    let handle = h
        .get_all_by_label("Kéo để đổi thứ tự lớp")
        .map(|n| n.rect().center())
        .find(|c| (c.y - from.center().y).abs() < from.height() / 2.0)
        .expect("the parcels' drag handle");
    h.hover_at(handle);
    h.drag_at(handle);
    h.run_steps(2);
    for k in 1..=5 {
        let t = k as f32 / 5.0;
        h.hover_at(handle + (egui::pos2(to.center().x, to.center().y) - handle) * t);
        h.run_steps(1);
    }
    h.drop_at(to.center());
    h.run_steps(3);
    // The new order is saved in a job.
    h.state_mut().0.finish_jobs();
    let after = order(&h);
    let towers = before.iter().position(|n| n == "tram_bts").unwrap();
    assert_eq!(
        after.iter().position(|n| n == "thua_dat"),
        Some(towers),
        "{after:?}"
    );
    assert_ne!(parcels, towers);
    let saved: Vec<String> = GeoPackage::open_read_only(&path)
        .unwrap()
        .layers()
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(saved, after, "the workspace keeps the new order");
}

#[test]
fn an_applied_style_is_saved_for_qgis_and_the_next_session() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 800);
    let (fid, _, inside) = a_parcel(&path);
    let teal = [20, 150, 140];
    {
        let mut h = harness(path.clone());
        let app = &mut h.state_mut().0;
        app.set_style(
            "thua_dat",
            tramgis::render::LayerStyle::single([teal[0], teal[1], teal[2], 255]),
        );
        app.finish_loading();
    }
    let stored = stored_style(&path, "thua_dat");
    assert!(stored.use_as_default);
    assert!(
        stored.qml.contains(r#"type="singleSymbol""#),
        "{}",
        stored.qml
    );
    assert!(stored.qml.contains("20,150,140,255"));
    // A new session draws the parcels in the saved colour.
    let mut h = harness(path);
    zoom_to_parcel(&mut h, fid);
    let got = pixel(&h.render().unwrap(), screen_of(&h, inside));
    assert!(
        close(got, teal),
        "parcel drawn {got:?}, saved style {teal:?}"
    );
}

#[test]
fn on_the_gpu_renderer_parcels_have_their_colour_and_the_selection_is_highlighted() {
    let AtParcel {
        _dir,
        mut h,
        fid,
        code,
        inside,
        ..
    } = at_a_parcel(gpu_harness);
    let (at, colour) = parcel_in_its_colour(&mut h, &code, inside);
    h.state_mut()
        .0
        .selection
        .insert("thua_dat".into(), std::collections::BTreeSet::from([fid]));
    // The highlight is built in a background job.
    let mut highlighted = colour;
    for _ in 0..50 {
        h.run_steps(1);
        highlighted = pixel(&h.render().unwrap(), at);
        if !close(highlighted, colour) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Yellow laid over the parcel's colour: more red and green than blue.
    assert!(!close(highlighted, colour), "no highlight over {colour:?}");
    assert!(
        highlighted[0] > highlighted[2] && highlighted[1] > highlighted[2],
        "{highlighted:?}"
    );
}

#[test]
fn a_freehand_lasso_selects_what_it_encloses() {
    let AtParcel {
        _dir,
        mut h,
        fid,
        inside,
        ..
    } = at_a_parcel(harness);
    h.state_mut().0.active_layer = Some("thua_dat".into());
    h.state_mut().0.set_tool(Tool::SelectPolygon);
    h.run_steps(2);
    let at = screen_of(&h, inside);
    // A small loop around the point, traced with the button held.
    let outline: Vec<egui::Pos2> = (0..=12)
        .map(|k| {
            let a = std::f32::consts::TAU * k as f32 / 12.0;
            at + egui::vec2(6.0 * a.cos(), 6.0 * a.sin())
        })
        .collect();
    common::ui::trace_map(&mut h, &outline);
    h.state_mut().0.finish_jobs();
    let selected = h
        .state()
        .0
        .selection
        .get("thua_dat")
        .cloned()
        .unwrap_or_default();
    assert!(selected.contains(&fid), "{selected:?}");
    assert!(
        selected.len() <= 2,
        "a 12 px loop meets one or two parcels: {selected:?}"
    );
}

#[test]
fn the_style_editor_from_the_layer_menu_restyles_and_saves_by_category() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 300);
    let mut h = harness(path.clone());
    h.get_by_label_contains("Trạm BTS (").click_secondary();
    h.run_steps(2);
    let item = h.get_by_label("Kiểu hiển thị…").rect().center();
    h.hover_at(item);
    h.drag_at(item);
    h.drop_at(item);
    h.run_steps(3);
    // Towers are coloured by operator: classify the operators anew.
    h.get_by_label("Phân loại").click();
    h.run_steps(2);
    if let Ok(dir) = std::env::var("TRAMGIS_SCREENSHOTS") {
        h.render()
            .unwrap()
            .save(std::path::Path::new(&dir).join("style-editor.png"))
            .unwrap();
    }
    let before = stored_style(&path, "tram_bts").qml;
    h.get_by_label("Áp dụng").click();
    h.run_steps(2);
    // The classes are read in the background; Apply applies them once in.
    h.state_mut().0.finish_reads();
    h.run_steps(2);
    h.state_mut().0.finish_loading();
    let stored = stored_style(&path, "tram_bts");
    // Classified anew: values outside the operators now get the grey of
    // "all other values", where the sample's style had orange.
    assert!(!before.contains("200,200,200,255"));
    assert!(
        stored.qml.contains("200,200,200,255"),
        "the new style is saved"
    );
    assert!(stored.qml.contains("bts_tower"), "the tower icon is kept");
    assert!(
        stored.qml.contains("238,0,51,255"),
        "Viettel keeps its red when classified anew"
    );
    let layer = h
        .state()
        .0
        .scene()
        .unwrap()
        .layers
        .iter()
        .find(|l| l.info.name == "tram_bts")
        .unwrap();
    assert_eq!(
        tramgis::render::qml::from_qml(
            &stored.qml,
            &layer.info.schema,
            tramgis::render::LayerStyle::single([0; 4])
        )
        .unwrap()
        .symbology,
        layer.style.symbology,
        "the workspace holds the style the map shows"
    );
}

#[test]
fn a_second_restyle_before_the_first_is_drawn_keeps_both() {
    let AtParcel {
        _dir,
        mut h,
        inside,
        ..
    } = at_a_parcel(harness);
    let red = [200, 30, 30];
    {
        let app = &mut h.state_mut().0;
        app.set_style(
            "thua_dat",
            tramgis::render::LayerStyle::single([red[0], red[1], red[2], 255]),
        );
        // Straight away, while the parcels are being read again.
        app.set_style(
            "o_quy_hoach",
            tramgis::render::LayerStyle::single([30, 30, 200, 0]),
        );
        app.finish_loading();
    }
    h.run_steps(2);
    let got = pixel(&h.render().unwrap(), screen_of(&h, inside));
    assert!(close(got, red), "parcel drawn {got:?}, restyled {red:?}");
}

#[test]
fn a_style_opacity_is_drawn_and_the_layer_menu_keeps_it() {
    let AtParcel {
        _dir,
        path,
        mut h,
        inside,
        ..
    } = at_a_parcel(harness);
    let red = [200, 30, 30];
    let mut half = tramgis::render::LayerStyle::single([red[0], red[1], red[2], 255]);
    half.opacity = 0.5;
    h.state_mut().0.set_style("thua_dat", half);
    h.state_mut().0.finish_loading();
    h.run_steps(2);
    let got = pixel(&h.render().unwrap(), screen_of(&h, inside));
    // Half red over the commune's pale fill: clearly red, clearly not opaque.
    assert!(!close(got, red), "drawn opaque: {got:?}");
    assert!(
        got[0] > got[1] + 60 && got[1] > 100,
        "half red over a pale fill, got {got:?}"
    );
    let layer = |h: &Harness<'static, State>| {
        h.state()
            .0
            .scene()
            .unwrap()
            .layers
            .iter()
            .find(|l| l.info.name == "thua_dat")
            .map(|l| l.opacity)
    };
    assert_eq!(layer(&h), Some(0.5));
    // The layer menu's opacity is saved with the style.
    h.get_by_label_contains("Thửa đất hiện trạng (")
        .click_secondary();
    h.run_steps(2);
    h.get_all_by_label("Độ mờ đục")
        .next()
        .unwrap()
        .set_value_accesskit(0.25);
    h.run_steps(2);
    h.state_mut().0.finish_jobs();
    assert_eq!(layer(&h), Some(0.25));
    let stored = stored_style(&path, "thua_dat");
    assert!(
        stored.qml.contains("<layerOpacity>0.25</layerOpacity>"),
        "{}",
        stored.qml
    );
}

#[test]
fn every_message_is_listed_with_its_time_until_dismissed() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(common::sample(dir.path(), 200));
    for name in ["missing-a.gpkg", "missing-b.gpkg"] {
        h.state_mut().0.open(dir.path().join(name));
        h.state_mut().0.finish_loading();
        h.run_steps(2);
    }
    // The status bar shows the newest; the list holds both.
    let texts: Vec<String> = h
        .state()
        .0
        .notifications()
        .items()
        .iter()
        .map(|n| n.text.clone())
        .collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    h.get_by_label("Thông báo (2)").click();
    // The click opens the list; a window is sized in its first frame.
    h.run_steps(4);
    assert!(h.state().0.notifications().open, "the list opens");
    for name in ["missing-a.gpkg", "missing-b.gpkg"] {
        assert!(texts.iter().any(|t| t.contains(name)), "{texts:?}");
        // The newest is in the status bar too.
        assert!(h.get_all_by_label_contains(name).next().is_some(), "{name}");
    }
    let clock = h.state().0.notifications().items()[0].clock();
    assert_eq!(clock.len(), 8, "HH:MM:SS, got {clock}");
    assert!(h.get_all_by_label_contains(&clock).next().is_some());
    h.get_all_by_label("Bỏ qua").next().unwrap().click();
    h.run_steps(2);
    let left: Vec<String> = h
        .state()
        .0
        .notifications()
        .items()
        .iter()
        .map(|n| n.text.clone())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    // The newest is listed first, so it went; the older one stays.
    assert!(left[0].contains("missing-a.gpkg"), "{left:?}");
}
