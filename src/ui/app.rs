use std::path::PathBuf;

use egui::{Color32, Pos2, Rect, Sense, Stroke};

use super::i18n::{Key, Lang, tr};
use super::map::{self, Scene, View};
use super::transfer::{ExportDialog, ImportDialog, ReportWindow, Request};
use crate::crs::{Transformer, VN2000_TM3_107, WGS84};
use crate::jobs::{Cancelled, Job, Poll};

type LoadResult = Result<Result<Scene, Cancelled>, String>;

/// What a finished import or export job returns.
enum TransferResult {
    Import(Result<crate::io::ImportReport, String>),
    Export(Result<(u64, PathBuf), String>),
}

pub struct TramgisApp {
    pub lang: Lang,
    workspace: PathBuf,
    scene: Option<Scene>,
    view: Option<View>,
    loading: Option<Job<LoadResult>>,
    message: Option<String>,
    to_wgs84: Option<Transformer>,
    cursor: Option<[f64; 2]>,
    import_dialog: Option<ImportDialog>,
    export_dialog: Option<ExportDialog>,
    report: Option<ReportWindow>,
    transfer: Option<Job<TransferResult>>,
}

impl TramgisApp {
    pub fn new(workspace: PathBuf) -> Self {
        let mut app = TramgisApp {
            lang: Lang::Vi,
            workspace: workspace.clone(),
            scene: None,
            view: None,
            loading: None,
            message: None,
            to_wgs84: Transformer::new(VN2000_TM3_107, WGS84).ok(),
            cursor: None,
            import_dialog: None,
            export_dialog: None,
            report: None,
            transfer: None,
        };
        app.open(workspace);
        app
    }

    pub fn open(&mut self, path: PathBuf) {
        if let Some(job) = &self.loading {
            job.progress.cancel();
        }
        self.workspace = path.clone();
        self.message = None;
        self.loading = Some(Job::spawn(path.display().to_string(), move |p| {
            map::load_scene(&path, p)
        }));
    }

    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }

    pub fn scene(&self) -> Option<&Scene> {
        self.scene.as_ref()
    }

    /// Waits for the load in progress (tests).
    pub fn finish_loading(&mut self) {
        if let Some(job) = self.loading.take() {
            let result = job.wait();
            self.accept(result);
        }
    }

    fn accept(&mut self, result: Option<LoadResult>) {
        match result {
            Some(Ok(Ok(scene))) => {
                self.scene = Some(scene);
                self.view = None;
            }
            Some(Ok(Err(Cancelled))) => {}
            Some(Err(e)) => self.message = Some(format!("{}: {e}", tr(self.lang, Key::OpenFailed))),
            None => {
                self.message = Some(format!(
                    "{}: {}",
                    tr(self.lang, Key::OpenFailed),
                    self.workspace.display()
                ))
            }
        }
    }

    fn poll_loading(&mut self, ctx: &egui::Context) {
        let Some(job) = &mut self.loading else { return };
        match job.poll() {
            Poll::Running => ctx.request_repaint_after(std::time::Duration::from_millis(50)),
            Poll::Done(result) => {
                self.loading = None;
                self.accept(Some(result));
            }
            Poll::Failed => {
                self.loading = None;
                self.accept(None);
            }
        }
    }

    fn menu(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang;
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button(tr(lang, Key::File), |ui| {
                if ui.button(tr(lang, Key::Open)).clicked() {
                    ui.close();
                    if let Some(path) = rfd::FileDialog::new()
                        .add_filter("GeoPackage", &["gpkg"])
                        .pick_file()
                    {
                        self.open(path);
                    }
                }
                if ui.button(tr(lang, Key::Import)).clicked() {
                    ui.close();
                    if let Some(path) = rfd::FileDialog::new()
                        .add_filter(
                            "GIS",
                            &[
                                "shp", "tab", "mif", "dxf", "dgn", "geojson", "json", "kml", "kmz",
                                "csv", "xlsx", "gpkg",
                            ],
                        )
                        .pick_file()
                    {
                        self.import_dialog = Some(ImportDialog::new(path, &self.layer_infos()));
                    }
                }
                if ui.button(tr(lang, Key::Export)).clicked() {
                    ui.close();
                    self.export_dialog = Some(ExportDialog::new(&self.layer_infos()));
                }
                if ui.button(tr(lang, Key::Quit)).clicked() {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button(tr(lang, Key::View), |ui| {
                if ui.button(tr(lang, Key::ZoomFull)).clicked() {
                    self.view = None;
                    ui.close();
                }
            });
            ui.menu_button(tr(lang, Key::Language), |ui| {
                ui.radio_value(&mut self.lang, Lang::Vi, "Tiếng Việt");
                ui.radio_value(&mut self.lang, Lang::En, "English");
            });
        });
    }

    fn layer_infos(&self) -> Vec<crate::gpkg::LayerInfo> {
        self.scene
            .as_ref()
            .map(|s| s.layers.iter().map(|l| l.info.clone()).collect())
            .unwrap_or_default()
    }

    /// Starts an import or export as a background job.
    fn start_transfer(&mut self, request: Request) {
        let workspace = self.workspace.clone();
        self.transfer = Some(match request {
            Request::Import(options) => {
                Job::spawn(options.source.display().to_string(), move |p| {
                    let result = crate::gpkg::GeoPackage::open(&workspace)
                        .map_err(|e| e.to_string())
                        .and_then(|mut gpkg| {
                            crate::io::import(&mut gpkg, &options, p).map_err(|e| e.to_string())
                        });
                    TransferResult::Import(result)
                })
            }
            Request::Export(options) => Job::spawn(options.out.display().to_string(), move |p| {
                let result = crate::gpkg::GeoPackage::open_read_only(&workspace)
                    .map_err(|e| e.to_string())
                    .and_then(|gpkg| {
                        crate::io::export_layer(&gpkg, &options, p).map_err(|e| e.to_string())
                    })
                    .map(|n| (n, options.out.clone()));
                TransferResult::Export(result)
            }),
        });
    }

    fn poll_transfer(&mut self, ctx: &egui::Context) {
        let Some(job) = &mut self.transfer else {
            return;
        };
        let result = match job.poll() {
            Poll::Running => {
                ctx.request_repaint_after(std::time::Duration::from_millis(100));
                return;
            }
            Poll::Done(r) => r,
            Poll::Failed => TransferResult::Import(Err(tr(self.lang, Key::Failed).to_string())),
        };
        self.transfer = None;
        match result {
            TransferResult::Import(report) => {
                if report.is_ok() {
                    self.open(self.workspace.clone());
                }
                self.report = Some(ReportWindow { open: true, report });
            }
            TransferResult::Export(Ok((n, path))) => {
                self.message = Some(format!(
                    "{}: {n} → {}",
                    tr(self.lang, Key::Exported),
                    path.display()
                ))
            }
            TransferResult::Export(Err(e)) => {
                self.message = Some(format!("{}: {e}", tr(self.lang, Key::Failed)))
            }
        }
    }

    fn dialogs(&mut self, ctx: &egui::Context) {
        let layers = self.layer_infos();
        let workspace = self.workspace.clone();
        let mut request = None;
        if let Some(d) = &mut self.import_dialog {
            request = d.show(ctx, self.lang, &workspace, &layers);
            if !d.open {
                self.import_dialog = None;
            }
        }
        if let Some(d) = &mut self.export_dialog {
            request = request.or(d.show(ctx, self.lang, &layers));
            if !d.open {
                self.export_dialog = None;
            }
        }
        if let Some(r) = request {
            self.start_transfer(r);
        }
        if let Some(w) = &mut self.report {
            w.show(ctx, self.lang);
            if !w.open {
                self.report = None;
            }
        }
    }

    fn layer_tree(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang;
        ui.heading(tr(lang, Key::Layers));
        let Some(scene) = &mut self.scene else { return };
        let mut themes: Vec<Option<crate::model::LayerTheme>> = crate::model::LayerTheme::ALL
            .iter()
            .copied()
            .map(Some)
            .collect();
        themes.push(None);
        egui::ScrollArea::vertical().show(ui, |ui| {
            for theme in themes {
                // Top of the tree is drawn last: show in reverse draw order.
                let members: Vec<usize> = (0..scene.layers.len())
                    .rev()
                    .filter(|&i| scene.layers[i].info.meta.theme == theme)
                    .collect();
                if members.is_empty() {
                    continue;
                }
                let title = theme.map_or(tr(lang, Key::NoTheme), |t| tr(lang, Key::Theme(t)));
                egui::CollapsingHeader::new(title)
                    .default_open(true)
                    .show(ui, |ui| {
                        for i in members {
                            let layer = &mut scene.layers[i];
                            let title = match lang {
                                Lang::Vi => layer.info.meta.title_vi.clone(),
                                Lang::En => layer.info.meta.title_en.clone(),
                            }
                            .unwrap_or_else(|| layer.info.name.clone());
                            ui.checkbox(
                                &mut layer.visible,
                                format!("{title} ({} {})", layer.count, tr(lang, Key::Features)),
                            );
                        }
                    });
            }
        });
    }

    fn status_bar(&mut self, ui: &mut egui::Ui, cursor: Option<[f64; 2]>) {
        let lang = self.lang;
        ui.horizontal(|ui| {
            if let Some(job) = &self.transfer {
                ui.spinner();
                ui.label(&job.label);
                if let Some(f) = job.progress.fraction() {
                    ui.add(
                        egui::ProgressBar::new(f)
                            .desired_width(160.0)
                            .show_percentage(),
                    );
                }
                if ui.button(tr(lang, Key::Cancel)).clicked() {
                    job.progress.cancel();
                }
            } else if let Some(job) = &self.loading {
                ui.spinner();
                ui.label(format!("{} {}", tr(lang, Key::Loading), job.label));
                if let Some(f) = job.progress.fraction() {
                    ui.add(
                        egui::ProgressBar::new(f)
                            .desired_width(160.0)
                            .show_percentage(),
                    );
                }
                if ui.button(tr(lang, Key::Cancel)).clicked() {
                    job.progress.cancel();
                }
            } else if let Some(m) = &self.message {
                ui.colored_label(Color32::from_rgb(200, 40, 40), m);
            } else {
                ui.label(tr(lang, Key::Ready));
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if let Some(c) = cursor {
                    let wgs = self
                        .to_wgs84
                        .as_ref()
                        .and_then(|t| t.transform(geo_types::Coord { x: c[0], y: c[1] }).ok());
                    if let Some(w) = wgs {
                        ui.label(format!("WGS 84: {:.6}° E {:.6}° N", w.x, w.y));
                    }
                    ui.label(format!("VN-2000 / TM-3 107-00: {:.2} {:.2}", c[0], c[1]));
                }
            });
        });
    }

    fn map_panel(&mut self, ui: &mut egui::Ui) -> Option<[f64; 2]> {
        let (response, painter) = ui.allocate_painter(ui.available_size(), Sense::click_and_drag());
        let rect = response.rect;
        painter.rect_filled(rect, 0.0, Color32::from_rgb(232, 238, 242));
        let scene = self.scene.as_ref()?;
        let view = self.view.get_or_insert_with(|| {
            scene.extent.map_or(
                View {
                    centre: [450_000.0, 2_360_000.0],
                    resolution: 100.0,
                },
                |e| View::fit(e, rect),
            )
        });
        if response.dragged() {
            let d = response.drag_delta();
            view.centre[0] -= f64::from(d.x) * view.resolution;
            view.centre[1] += f64::from(d.y) * view.resolution;
        }
        let hover = response.hover_pos();
        if let Some(pos) = hover {
            let scroll = ui.input(|i| i.smooth_scroll_delta.y);
            if scroll != 0.0 {
                view.zoom_at(rect, pos, (f64::from(scroll) / 200.0).exp());
            }
        }
        map::paint(&painter.with_clip_rect(rect), rect, view, scene);
        scale_bar(&painter, rect, view.resolution, tr(self.lang, Key::Scale));
        north_arrow(&painter, rect);
        hover.map(|p| view.to_map(rect, p))
    }
}

fn scale_bar(painter: &egui::Painter, rect: Rect, resolution: f64, label: &str) {
    let (metres, px) = map::scale_bar(resolution, 120.0);
    let origin = rect.left_bottom() + egui::vec2(16.0, -20.0);
    let end = origin + egui::vec2(px, 0.0);
    let stroke = Stroke::new(2.0, Color32::BLACK);
    painter.line_segment([origin, end], stroke);
    painter.line_segment([origin, origin - egui::vec2(0.0, 6.0)], stroke);
    painter.line_segment([end, end - egui::vec2(0.0, 6.0)], stroke);
    let text = if metres >= 1000.0 {
        format!("{label}: {} km", metres / 1000.0)
    } else {
        format!("{label}: {metres} m")
    };
    painter.text(
        origin - egui::vec2(0.0, 8.0),
        egui::Align2::LEFT_BOTTOM,
        text,
        egui::FontId::proportional(12.0),
        Color32::BLACK,
    );
}

fn north_arrow(painter: &egui::Painter, rect: Rect) {
    let tip = Pos2::new(rect.right() - 30.0, rect.top() + 16.0);
    let points = vec![
        tip,
        tip + egui::vec2(8.0, 24.0),
        tip + egui::vec2(0.0, 18.0),
        tip + egui::vec2(-8.0, 24.0),
    ];
    painter.add(egui::Shape::convex_polygon(
        points,
        Color32::from_gray(30),
        Stroke::NONE,
    ));
    painter.text(
        tip + egui::vec2(0.0, 28.0),
        egui::Align2::CENTER_TOP,
        "B",
        egui::FontId::proportional(13.0),
        Color32::from_gray(30),
    );
}

impl eframe::App for TramgisApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.poll_loading(ui.ctx());
        self.poll_transfer(ui.ctx());
        self.dialogs(ui.ctx());
        egui::Panel::top("menu").show(ui, |ui| self.menu(ui));
        // The status bar is laid out before the map, so it shows the cursor
        // position of the previous frame.
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui, self.cursor));
        egui::Panel::left("layers")
            .default_size(280.0)
            .resizable(true)
            .show(ui, |ui| self.layer_tree(ui));
        egui::CentralPanel::default().show(ui, |ui| self.cursor = self.map_panel(ui));
    }
}
