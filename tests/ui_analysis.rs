//! The analysis and print panels and the layer tree's legend, driven
//! headlessly with egui_kittest (real clicks on the menus and buttons):
//! land-use statistics whose table adds up to the communes' area as GDAL
//! measures it, CSV export, a buffer whose layer lands in the layer tree
//! (and ogrinfo reads), a cancelled run that writes nothing, the legend
//! swatches of thua_dat in their style's colours, and a printed PDF whose
//! title pdftotext finds.
#![cfg(feature = "gui")]

mod common;

use std::path::Path;

use egui_kittest::kittest::Queryable;
use tramgis::analysis::landuse_stats::{StatsOptions, landuse_stats};
use tramgis::gpkg::GeoPackage;
use tramgis::render::{LayerStyle, Symbology};
use tramgis::ui::AppCommand;
use tramgis::ui::panels::analysis::{Choice, GeoTool};

use common::ui::{AppHarness, harness, press};

/// Opens the analysis panel from its menu.
fn open_analysis(h: &mut AppHarness) {
    press(h, "Phân tích");
    press(h, "Phân tích và xử lý không gian…");
    h.run_steps(2);
    assert!(
        h.state_mut().0.analysis_panel_mut().is_some(),
        "the panel opened"
    );
}

/// Picks an analysis in the panel (the combo box's entries are egui
/// popups; the panel's own method is what they call).
fn choose(h: &mut AppHarness, choice: Choice) {
    h.state_mut().0.analysis_panel_mut().unwrap().choose(choice);
    h.run_steps(2);
}

/// Clicks Run, waits for the job and for the map to load what it wrote.
fn run_and_wait(h: &mut AppHarness) {
    press(h, "Chạy");
    h.state_mut().0.finish_analysis();
    h.run_steps(3);
}

/// The sum of the shown result table's area column (the run succeeded).
fn shown_area_total(h: &mut AppHarness) -> f64 {
    let panel = h.state_mut().0.analysis_panel_mut().unwrap();
    assert!(panel.error.is_none(), "{:?}", panel.error);
    let table = panel.shown().expect("a result table");
    let area = table.column_index("dien_tich_m2").unwrap();
    table.rows.iter().filter_map(|r| r[area].as_f64()).sum()
}

/// The layer names of gpkg_contents (what GDAL lists).
fn contents(path: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT table_name FROM gpkg_contents")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn land_use_statistics_add_up_to_the_communes_and_export_to_csv() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 300);
    let mut h = harness(path.clone());
    open_analysis(&mut h);
    // Land-use statistics by commune is the panel's first analysis.
    run_and_wait(&mut h);
    let total = shown_area_total(&mut h);
    let rows = h
        .state_mut()
        .0
        .analysis_panel_mut()
        .unwrap()
        .shown()
        .unwrap()
        .rows
        .len();

    // The library on its own, and GDAL's areas of the communes: each
    // commune's rows add up to its area.
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let progress = tramgis::jobs::Progress::default();
    let stats = landuse_stats(&gpkg, &StatsOptions::communes(), &progress).unwrap();
    let library: f64 = stats.zones.iter().map(|z| z.area).sum();
    assert!(
        (total - library).abs() < 0.01,
        "{total} m² in the table, {library} m² from the library"
    );
    let (ok, out, err) = common::tool(
        "ogrinfo",
        &[
            "-ro",
            "-q",
            "-dialect",
            "SQLite",
            "-sql",
            "SELECT SUM(ST_Area(geom)) AS a FROM ranh_gioi_xa",
            path.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    let gdal: f64 = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("a (Real) = "))
        .expect("ogrinfo's sum")
        .parse()
        .unwrap();
    assert!(
        (total - gdal).abs() / gdal < 1e-4,
        "{total} m² in the table, {gdal} m² by GDAL"
    );
    // The table and its chart are on screen, and kept in the workspace.
    h.get_by_label("Diện tích (m²)");
    assert!(h.query_all_by_label_contains("bar: ").count() > 0);
    assert!(contents(&path).contains(&"thong_ke_loai_dat_xa".to_string()));

    // Export CSV to the path the field holds (the Browse button fills it
    // from the save dialog).
    let csv = dir.path().join("thong_ke.csv");
    h.state_mut().0.analysis_panel_mut().unwrap().export_path = csv.display().to_string();
    h.run_steps(2);
    press(&mut h, "Xuất CSV");
    h.state_mut().0.finish_analysis();
    h.run_steps(2);
    let panel = h.state_mut().0.analysis_panel_mut().unwrap();
    assert_eq!(
        panel.exported.as_deref(),
        Some(csv.as_path()),
        "{:?}",
        panel.error
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with('\u{feff}'), "UTF-8 with a byte-order mark");
    assert!(text.contains("Diện tích (m²)"));
    assert_eq!(text.lines().count(), rows + 1, "a header and the rows");

    // And XLSX, which GDAL reads back with every row.
    press(&mut h, "Xuất XLSX");
    h.state_mut().0.finish_analysis();
    h.run_steps(2);
    let xlsx = csv.with_extension("xlsx");
    let panel = h.state_mut().0.analysis_panel_mut().unwrap();
    assert_eq!(
        panel.exported.as_deref(),
        Some(xlsx.as_path()),
        "{:?}",
        panel.error
    );
    let (ok, out, err) = common::tool("ogrinfo", &["-ro", "-al", "-so", xlsx.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("Feature Count: {rows}")), "{out}");
}

#[test]
fn a_buffer_lands_in_the_layer_tree_and_a_cancelled_one_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 300);
    let parcels = common::ui::fids(&path, "thua_dat").len();
    let mut h = harness(path.clone());
    open_analysis(&mut h);
    choose(&mut h, Choice::Geo(GeoTool::Buffer));
    {
        let panel = h.state_mut().0.analysis_panel_mut().unwrap();
        assert_eq!(panel.inputs.layer, "thua_dat");
        assert_eq!(panel.inputs.output, "thua_dat_vung_dem");
        panel.inputs.distance = 5.0;
    }
    run_and_wait(&mut h);
    let panel = h.state_mut().0.analysis_panel_mut().unwrap();
    assert!(panel.error.is_none(), "{:?}", panel.error);
    // On the map and in the layer tree, and GDAL reads it.
    let app = &h.state().0;
    let layer = app.scene().unwrap().layers.iter();
    assert!(layer.clone().any(|l| l.info.name == "thua_dat_vung_dem"));
    assert!(
        h.query_all_by_label_contains("Vùng đệm (thua_dat)").count() > 0,
        "the layer tree lists the buffer layer"
    );
    let (ok, out, err) = common::tool(
        "ogrinfo",
        &["-ro", "-so", path.to_str().unwrap(), "thua_dat_vung_dem"],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("Feature Count: {parcels}")),
        "one buffer per parcel: {out}"
    );

    // Cancelled at once: no layer, and the panel says so.
    h.state_mut().0.analysis_panel_mut().unwrap().inputs.output = "thua_dat_huy".into();
    press(&mut h, "Chạy");
    h.state_mut().0.analysis_panel_mut().unwrap().cancel();
    h.state_mut().0.finish_analysis();
    h.run_steps(2);
    assert!(h.state_mut().0.analysis_panel_mut().unwrap().cancelled);
    assert!(!contents(&path).contains(&"thua_dat_huy".to_string()));
    h.get_by_label("Đã hủy, không ghi gì vào không gian làm việc");
}

/// The colour drawn at the middle of a widget, from a render of the window.
fn colour_at(h: &mut AppHarness, rect: egui::Rect) -> [u8; 3] {
    let image = h.render().expect("the window renders");
    let ppp = h.ctx.pixels_per_point();
    let c = rect.center();
    let p = image.get_pixel((c.x * ppp) as u32, (c.y * ppp) as u32);
    [p[0], p[1], p[2]]
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| (i32::from(*x) - i32::from(y)).abs() <= 3)
}

#[test]
fn the_layer_tree_shows_the_legend_of_thua_dat_and_follows_its_style() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 300);
    let mut h = harness(path);
    let style = h
        .state()
        .0
        .scene()
        .unwrap()
        .layers
        .iter()
        .find(|l| l.info.name == "thua_dat")
        .unwrap()
        .style
        .clone();
    let Symbology::Categorized { categories, .. } = &style.symbology else {
        panic!("thua_dat is styled by land-use code");
    };
    // Folded until asked for, as a long land-use legend would be.
    assert!(h.query_by_label_contains("swatch: LUC").is_none());
    press(&mut h, "Chú giải: thua_dat");
    h.run_steps(15);
    let (code, colour) = categories
        .iter()
        .find(|(c, _)| c == "LUC")
        .expect("rice land has a category");
    let swatch = h
        .get_by_label_contains(&format!("swatch: {code} – "))
        .rect();
    assert!(
        h.query_all_by_label_contains("swatch: ").count() >= categories.len(),
        "a swatch per category"
    );
    let drawn = colour_at(&mut h, swatch);
    let want = [colour[0], colour[1], colour[2]];
    assert!(near(drawn, want), "LUC drawn {drawn:?}, styled {want:?}");

    // A new style shows in the legend: one colour, one swatch beside the name.
    let mut single = LayerStyle::single([200, 30, 160, 255]);
    single.opacity = 1.0;
    h.state_mut().0.apply(AppCommand::SetStyle {
        layer: "thua_dat".into(),
        style: single,
    });
    h.state_mut().0.finish_loading();
    h.run_steps(4);
    assert!(h.query_by_label_contains("swatch: LUC").is_none());
    let title = h
        .state()
        .0
        .scene()
        .unwrap()
        .layers
        .iter()
        .find(|l| l.info.name == "thua_dat")
        .unwrap()
        .info
        .meta
        .title_vi
        .clone()
        .unwrap();
    let swatch = h.get_by_label(&format!("swatch: {title}")).rect();
    let drawn = colour_at(&mut h, swatch);
    assert!(near(drawn, [200, 30, 160]), "single symbol drawn {drawn:?}");
}

#[test]
fn the_print_panel_writes_a_pdf_of_the_view_with_its_title() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 300);
    let mut h = harness(path);
    press(&mut h, "Phân tích");
    press(&mut h, "In bản đồ…");
    let pdf = dir.path().join("ban_do.pdf");
    let title = "Bản đồ hiện trạng xã Đồng Tâm";
    {
        let panel = h
            .state_mut()
            .0
            .print_panel_mut()
            .expect("the print panel opened");
        panel.title = title.into();
        panel.output = pdf.display().to_string();
    }
    h.run_steps(2);
    // The layout is the view on screen and its visible layers.
    let layout = h.state().0.print_layout().unwrap();
    let app = &h.state().0;
    let visible: Vec<String> = (app.scene().unwrap().layers.iter())
        .filter(|l| l.visible)
        .map(|l| l.info.name.clone())
        .collect();
    assert_eq!(layout.layers.as_ref(), Some(&visible));
    assert!(layout.extent.is_some());
    press(&mut h, "In ra tệp");
    h.state_mut().0.finish_print();
    h.run_steps(2);
    let panel = h.state_mut().0.print_panel_mut().unwrap();
    assert_eq!(
        panel.written.as_deref(),
        Some(pdf.as_path()),
        "{:?}",
        panel.error
    );
    let told = h
        .state()
        .0
        .notifications()
        .items()
        .iter()
        .any(|n| n.text.contains("ban_do.pdf"));
    assert!(told, "the notification names the file");
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let (ok, text, _) = common::tool("pdftotext", &[pdf.to_str().unwrap(), "-"]);
    if ok {
        assert!(text.contains(title), "pdftotext finds the title: {text}");
    } else {
        eprintln!("pdftotext is not installed (poppler-utils): title not checked");
    }
}

#[test]
fn uncovered_villages_are_listed_and_a_click_zooms_to_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 300);
    let villages = common::ui::fids(&path, "thon_xom").len();
    let mut h = harness(path.clone());
    open_analysis(&mut h);
    choose(&mut h, Choice::Coverage);
    // Towers that reach one metre cover no village.
    for r in &mut h
        .state_mut()
        .0
        .analysis_panel_mut()
        .unwrap()
        .inputs
        .coverage
        .radii
    {
        r.urban_m = 1.0;
        r.rural_m = 1.0;
    }
    run_and_wait(&mut h);
    let panel = h.state_mut().0.analysis_panel_mut().unwrap();
    assert!(panel.error.is_none(), "{:?}", panel.error);
    let listed = panel.outcome.as_ref().unwrap().listed.clone();
    assert_eq!(
        listed.len(),
        villages,
        "every village is listed as uncovered"
    );
    assert!(contents(&path).contains(&"phu_song_thon_chua_phu".to_string()));

    let first = &listed[0];
    assert_eq!(first.layer, "thon_xom");
    h.get_all_by_label(&first.text)
        .next()
        .unwrap()
        .click_accesskit();
    h.run_steps(3);
    let app = &h.state().0;
    assert!(
        app.selection
            .get("thon_xom")
            .is_some_and(|s| s.contains(&first.fid))
    );
    let Some(geo_types::Geometry::Point(p)) = common::ui::geometry(&path, "thon_xom", first.fid)
    else {
        panic!("villages are points");
    };
    let centre = app.view().unwrap().centre;
    assert!(
        (centre[0] - p.x()).abs() < 1.0 && (centre[1] - p.y()).abs() < 1.0,
        "the map is centred on the village: {centre:?} vs {p:?}"
    );
}

#[test]
fn statistics_count_within_a_polygon_drawn_on_the_map() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 300);
    let mut h = harness(path.clone());
    open_analysis(&mut h);
    press(&mut h, "Trong vùng vẽ");
    press(&mut h, "Vẽ vùng thống kê");
    // A freehand square of 80 points a side in the half of the map the
    // panel (a window over the map) leaves free.
    let map = h.state().0.map_rect().unwrap();
    let panel_x = h.get_by_label("Chạy").rect().center().x;
    let x = if panel_x > map.center().x {
        map.left() + map.width() * 0.25
    } else {
        map.left() + map.width() * 0.75
    };
    let middle = egui::pos2(x, map.center().y);
    let corners = [
        (-40.0, -40.0),
        (40.0, -40.0),
        (40.0, 40.0),
        (-40.0, 40.0),
        (-40.0, -40.0),
    ];
    let mut outline = Vec::new();
    for w in corners.windows(2) {
        for k in 0..8 {
            let t = k as f32 / 8.0;
            let (x, y) = (
                w[0].0 + (w[1].0 - w[0].0) * t,
                w[0].1 + (w[1].1 - w[0].1) * t,
            );
            outline.push(middle + egui::vec2(x, y));
        }
    }
    common::ui::trace_map(&mut h, &outline);
    let side = 80.0 * common::ui::resolution(&h);
    let drawn = h
        .state_mut()
        .0
        .analysis_panel_mut()
        .unwrap()
        .inputs
        .drawn
        .clone()
        .expect("the drawn polygon reached the panel");
    let drawn_area = geo::Area::unsigned_area(&drawn);
    assert!(
        (drawn_area / (side * side) - 1.0).abs() < 0.1,
        "{drawn_area} m² drawn for a square of {side} m"
    );
    h.get_by_label_contains(" ha");

    run_and_wait(&mut h);
    let total = shown_area_total(&mut h);
    // The library within the same polygon, and the polygon itself (the
    // sample's parcels tile the province, so they fill it).
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let options = StatsOptions::within("vùng vẽ", drawn.clone());
    let stats = landuse_stats(&gpkg, &options, &tramgis::jobs::Progress::default()).unwrap();
    let library: f64 = stats.zones.iter().map(|z| z.parcel_area()).sum();
    assert!(
        (total - library).abs() < 0.01,
        "{total} m² in the table, {library} m² from the library"
    );
    assert!(
        (library - drawn_area).abs() / drawn_area < 1e-4,
        "{library} m² of parcels in a drawn polygon of {drawn_area} m²"
    );
    assert!(contents(&path).contains(&"thong_ke_loai_dat_vung_ve".to_string()));
}
