use std::collections::BTreeSet;
use std::path::PathBuf;

use egui::{Color32, Pos2, Rect, Sense, Stroke};

use super::i18n::{Key, Lang, tr};
use super::map::{self, Scene, Selection, View};
use super::table::{AttributeTable, TableAction};
use super::transfer::{ExportDialog, ImportDialog, ReportWindow, Request};
use crate::crs::{Crs, PRESETS, Transformer, TransformerCache, VN2000_TM3_107, WGS84};
use crate::gpkg::GeoPackage;
use crate::jobs::{Cancelled, Job, Poll};
use crate::model::FieldValue;

mod highlight;
mod layer_tree;

type LoadResult = Result<Result<(), Cancelled>, String>;

/// What a finished import or export job returns.
enum TransferResult {
    /// Boxed: a report is far larger than an export's result.
    Import(Box<Result<crate::io::ImportReport, String>>),
    /// Features written, the file, and GDAL's warnings.
    Export(Result<(u64, PathBuf, Vec<String>), String>),
}

/// What a click or drag on the map does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Pan,
    ZoomBox,
    Identify,
    Select,
    /// Select by a polygon: clicked corners or a freehand outline.
    SelectPolygon,
}

/// One feature found under the cursor.
pub struct Identified {
    pub layer: String,
    pub fid: i64,
    pub values: Vec<(String, FieldValue)>,
}

/// How often a running job's progress is redrawn. No spinner: an animated
/// widget repaints every frame, which on a software rasteriser takes the
/// CPU from the very job being waited for.
const PROGRESS_REFRESH: std::time::Duration = std::time::Duration::from_millis(1000);

/// Screen points around a click that still count as a hit.
const HIT_TOLERANCE_PX: f64 = 4.0;

pub struct TramgisApp {
    pub lang: Lang,
    pub tool: Tool,
    pub selection: Selection,
    pub identified: Vec<Identified>,
    pub tables: Vec<AttributeTable>,
    workspace: PathBuf,
    map_crs: Crs,
    /// The user chose the map CRS; otherwise each workspace opens in one
    /// that fits its data.
    map_crs_chosen: bool,
    /// Whether the map CRS is longitude/latitude (asked of PROJ once).
    map_geographic: bool,
    labels: map::LabelChoices,
    styles: map::StyleChoices,
    style_editor: Option<super::style_editor::StyleEditor>,
    scene: Option<Scene>,
    /// A read-only connection for identify and the attribute tables.
    reader: Option<GeoPackage>,
    view: Option<View>,
    map_rect: Option<Rect>,
    loading: Option<Job<LoadResult>>,
    /// Layers arriving from the loading job, smallest first.
    incoming: Option<std::sync::mpsc::Receiver<map::Loaded>>,
    /// Whether the next layer to arrive starts a new scene (the old one
    /// stays on screen until then).
    fresh_scene: bool,
    /// The layers the load in progress reloads; None: the whole workspace.
    reloading: Option<Vec<String>>,
    /// The view was fitted to the data, not chosen by the user.
    view_follows_data: bool,
    message: Option<String>,
    /// The workspace's attribute (aspatial) tables: listed in the layer
    /// tree, opened in the attribute table, never drawn.
    /// With their row counts.
    pub attribute_tables: Vec<(crate::gpkg::LayerInfo, u64)>,
    to_wgs84: Option<Transformer>,
    transformers: TransformerCache,
    cursor: Option<[f64; 2]>,
    drag_start: Option<Pos2>,
    lasso: super::lasso::Lasso,
    /// The layer the selection tools act on; None: every visible layer.
    pub active_layer: Option<String>,
    /// The selection the GPU highlight shows, and the job rebuilding it.
    highlighted: Selection,
    highlight_job: Option<highlight::HighlightJob>,
    import_dialog: Option<ImportDialog>,
    export_dialog: Option<ExportDialog>,
    repair_dialog: Option<super::repair_text::RepairTextDialog>,
    report: Option<ReportWindow>,
    transfer: Option<Job<TransferResult>>,
    /// The window's GPU; None in headless tests, which draw with the painter.
    gpu: Option<super::gpu::Gpu>,
    /// With TRAMGIS_TIMING set: when the app started, for start-up figures.
    timing: Option<(std::time::Instant, bool, bool, bool)>,
}

impl TramgisApp {
    pub fn new(workspace: PathBuf) -> Self {
        Self::with_gpu(workspace, None)
    }

    /// An app drawing its map with the wgpu renderer on `render_state`,
    /// whose render pass has `samples` per pixel (for headless tests; the
    /// window makes its own in `ui::run`).
    pub fn on_gpu(
        workspace: PathBuf,
        render_state: &eframe::egui_wgpu::RenderState,
        samples: u32,
    ) -> Self {
        let gpu = super::gpu::Gpu::with_samples(render_state, samples);
        Self::with_gpu(workspace, Some(gpu))
    }

    /// An app whose map layers are drawn by the wgpu renderer.
    pub(super) fn with_gpu(workspace: PathBuf, gpu: Option<super::gpu::Gpu>) -> Self {
        let mut app = TramgisApp {
            lang: Lang::Vi,
            tool: Tool::Pan,
            selection: Selection::new(),
            identified: vec![],
            tables: vec![],
            workspace: workspace.clone(),
            map_crs: Crs::Epsg(VN2000_TM3_107),
            map_crs_chosen: false,
            map_geographic: false,
            labels: map::LabelChoices::new(),
            styles: map::StyleChoices::new(),
            style_editor: None,
            scene: None,
            reader: None,
            view: None,
            map_rect: None,
            loading: None,
            incoming: None,
            fresh_scene: false,
            reloading: None,
            view_follows_data: false,
            message: None,
            attribute_tables: Vec::new(),
            to_wgs84: Transformer::new(VN2000_TM3_107, WGS84).ok(),
            transformers: TransformerCache::default(),
            cursor: None,
            drag_start: None,
            lasso: Default::default(),
            active_layer: None,
            highlighted: Selection::new(),
            highlight_job: None,
            import_dialog: None,
            export_dialog: None,
            repair_dialog: None,
            report: None,
            transfer: None,
            gpu,
            timing: std::env::var_os("TRAMGIS_TIMING")
                .map(|_| (std::time::Instant::now(), false, false, false)),
        };
        app.open(workspace);
        app
    }

    /// Loads a workspace (in the background).
    pub fn open(&mut self, path: PathBuf) {
        self.load(path, None);
    }

    /// Loads one layer again (after a restyle or a new label field); the
    /// rest of the map stays as it is. A reload still running is folded
    /// into this one rather than lost; while a whole workspace is still
    /// loading, that load starts over instead, as the layer may be in it.
    fn reload_layer(&mut self, layer: &str) {
        let mut layers = match (&self.loading, self.reloading.take()) {
            (Some(_), None) => return self.open(self.workspace.clone()),
            (Some(_), Some(pending)) => pending,
            (None, _) => Vec::new(),
        };
        if !layers.iter().any(|l| l == layer) {
            layers.push(layer.to_string());
        }
        self.load(self.workspace.clone(), Some(layers));
    }

    fn load(&mut self, path: PathBuf, only: Option<Vec<String>>) {
        if let Some(job) = &self.loading {
            job.progress.cancel();
        }
        if path != self.workspace {
            // Nothing of the last workspace carries over, not even a
            // highlight still being built for it.
            self.selection.clear();
            self.tables.clear();
            self.identified.clear();
            self.view = None;
            self.styles.clear();
            self.labels.clear();
            self.active_layer = None;
            self.highlight_job = None;
            self.highlighted = Selection::new();
            self.map_crs_chosen = false;
        }
        self.workspace = path.clone();
        if only.is_none() {
            self.message = None;
        }
        super::remember_recent(&path);
        self.reader = GeoPackage::open_read_only(&path).ok();
        if only.is_none() {
            self.take_contents();
        }
        let device = self.gpu.as_ref().map(|g| g.device.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        self.incoming = Some(rx);
        self.fresh_scene = only.is_none();
        self.reloading = only.clone();
        let title = match &only {
            Some(layers) => layers.join(", "),
            None => path.display().to_string(),
        };
        // A whole workspace picks its map CRS for its data, unless the
        // user chose one.
        let choose_crs =
            (only.is_none() && !self.map_crs_chosen).then_some(Crs::Epsg(VN2000_TM3_107));
        let request = map::SceneRequest {
            path,
            map_crs: self.map_crs.clone(),
            choose_crs,
            labels: self.labels.clone(),
            styles: self.styles.clone(),
            only,
        };
        self.loading = Some(Job::spawn(title, move |p| {
            map::load_scene(&request, device.as_ref(), p, &|l| {
                let _ = tx.send(l);
            })
        }));
    }

    /// Shows the map in another CRS: the layers are reprojected on load,
    /// and the view shows the same place at the same ground scale.
    pub fn set_map_crs(&mut self, crs: Crs) {
        self.map_crs_chosen = true;
        if crs == self.map_crs {
            return;
        }
        self.view = self
            .view
            .and_then(|v| map::view_in_crs(v, &self.map_crs, &crs));
        self.view_follows_data = self.view.is_none();
        self.switch_crs(crs);
        self.open(self.workspace.clone());
    }

    fn switch_crs(&mut self, crs: Crs) {
        self.to_wgs84 = Transformer::between(&crs, &Crs::Epsg(WGS84)).ok();
        self.map_geographic = crs.is_geographic();
        self.map_crs = crs;
    }

    /// Start-up figures count from `start` (the program's start).
    pub(super) fn started_at(&mut self, start: std::time::Instant) {
        if let Some(t) = &mut self.timing {
            t.0 = start;
        }
    }

    /// Labels a layer with a field (None: no labels) and reloads it. The
    /// label field is part of the layer's style, saved with it.
    pub fn set_label_field(&mut self, layer: &str, field: Option<String>) {
        // The newest style: one applied may still be on its way to the map.
        let current = self.styles.get(layer).cloned().or_else(|| {
            self.scene
                .as_ref()
                .and_then(|s| s.layers.iter().find(|l| l.info.name == layer))
                .map(|l| l.style.clone())
        });
        match current {
            Some(mut style) => {
                style.label_field = field;
                self.set_style(layer, style);
            }
            // Not loaded yet: the load in progress picks the choice up.
            None => {
                self.labels.insert(layer.to_string(), field);
                self.reload_layer(layer);
            }
        }
    }

    pub fn map_crs(&self) -> &Crs {
        &self.map_crs
    }

    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }

    pub fn scene(&self) -> Option<&Scene> {
        self.scene.as_ref()
    }

    pub fn scene_mut(&mut self) -> Option<&mut Scene> {
        self.scene.as_mut()
    }

    pub fn view(&self) -> Option<View> {
        self.view
    }

    /// Where the map was drawn in the last frame.
    pub fn map_rect(&self) -> Option<Rect> {
        self.map_rect
    }

    /// Waits for the load in progress (tests).
    pub fn finish_loading(&mut self) {
        if let Some(job) = self.loading.take() {
            let result = job.wait();
            self.receive_layers();
            self.accept(result);
        }
    }

    /// Takes in the layers the loading job has finished; returns whether
    /// any arrived.
    fn receive_layers(&mut self) -> bool {
        let Some(rx) = &self.incoming else {
            return false;
        };
        let arrived: Vec<map::Loaded> = rx.try_iter().collect();
        let any = !arrived.is_empty();
        for loaded in arrived {
            let mut layer = loaded.layer;
            if self.fresh_scene || self.scene.is_none() {
                if loaded.map_crs != self.map_crs {
                    // The data chose another CRS (a reload after an import):
                    // the view keeps its place in it.
                    self.view = self
                        .view
                        .and_then(|v| map::view_in_crs(v, &self.map_crs, &loaded.map_crs));
                    self.switch_crs(loaded.map_crs.clone());
                }
                // Keep the user's layer choices across a reload.
                let previous = self.scene.take();
                let mut scene = Scene::new(self.map_crs.clone());
                scene.previous = previous
                    .map(|old| {
                        old.layers
                            .into_iter()
                            .map(|l| (l.info.name, (l.visible, l.opacity)))
                            .collect()
                    })
                    .unwrap_or_default();
                self.scene = Some(scene);
                self.fresh_scene = false;
                if let Some(gpu) = &self.gpu {
                    gpu.set_layers(Vec::new());
                    // The highlight went with the layers: build it again.
                    self.highlighted = Selection::new();
                }
            }
            let scene = self.scene.as_mut().expect("made above");
            if let Some((visible, opacity)) = scene.previous.get(&layer.info.name) {
                layer.visible = *visible;
                layer.opacity = *opacity;
            }
            if let (Some(gpu), Some(g)) = (&self.gpu, loaded.gpu) {
                gpu.add_layer(g);
            }
            if let Some(w) = &layer.crs_warning
                && self.message.is_none()
            {
                self.message = Some(w.clone());
            }
            scene.insert_or_replace(layer);
        }
        any
    }

    fn accept(&mut self, result: Option<LoadResult>) {
        self.incoming = None;
        match result {
            Some(Ok(Ok(()))) => {}
            Some(Ok(Err(Cancelled))) => {}
            Some(Err(e)) => {
                // With some layers on the map, the error is about the others.
                let partly = self.scene.as_ref().is_some_and(|s| !s.layers.is_empty());
                let key = if partly {
                    Key::LayersNotLoaded
                } else {
                    Key::OpenFailed
                };
                let line = format!("{}: {e}", tr(self.lang, key));
                // Keep what the file's contents said when it was opened.
                self.message = Some(match self.message.take() {
                    Some(before) => format!("{before}\n{line}"),
                    None => line,
                });
            }
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
        if self.receive_layers() {
            ctx.request_repaint();
        }
        let Some(job) = &mut self.loading else { return };
        match job.poll() {
            Poll::Running => ctx.request_repaint_after(PROGRESS_REFRESH),
            Poll::Done(result) => {
                self.loading = None;
                self.receive_layers();
                self.accept(Some(result));
            }
            Poll::Failed => {
                self.loading = None;
                self.accept(None);
            }
        }
    }

    /// Features under a map point, top layer first, with their attributes.
    pub fn identify_at(&mut self, x: f64, y: f64, tolerance: f64) -> Vec<Identified> {
        let (Some(scene), Some(reader)) = (&self.scene, &self.reader) else {
            return vec![];
        };
        let mut found = Vec::new();
        for layer in scene.layers.iter().rev().filter(|l| l.visible) {
            for fid in layer.index.near(x, y, tolerance) {
                let Ok(Some(mut f)) = reader.get_feature(&layer.info.name, fid) else {
                    continue;
                };
                let Some(g) = f.geometry.as_mut() else {
                    continue;
                };
                let in_map_crs = self
                    .transformers
                    .get(&layer.info.crs, &scene.map_crs)
                    .is_ok_and(|t| t.transform_geometry(g).is_ok());
                if in_map_crs && crate::index::hits(g, x, y, tolerance) {
                    let values = layer
                        .info
                        .schema
                        .fields
                        .iter()
                        .map(|fd| fd.name.clone())
                        .zip(f.values)
                        .collect();
                    found.push(Identified {
                        layer: layer.info.name.clone(),
                        fid,
                        values,
                    });
                }
            }
        }
        found
    }

    /// Selects the features whose geometry meets a map rectangle.
    pub fn select_box(&mut self, b: map::Bbox, add: bool) {
        let rect = geo_types::Geometry::Rect(b);
        self.select_meeting(&rect, add);
    }

    /// Selects the features whose geometry meets a polygon (a ring of map
    /// points, closed or not), as QGIS's "select by polygon" does.
    pub fn select_polygon(&mut self, ring: &[[f64; 2]], add: bool) {
        let ring: Vec<geo_types::Coord<f64>> = ring
            .iter()
            .map(|p| geo_types::coord! { x: p[0], y: p[1] })
            .collect();
        let polygon = geo_types::Geometry::Polygon(geo_types::Polygon::new(ring.into(), vec![]));
        self.select_meeting(&polygon, add);
    }

    /// Selects, in every visible layer, the features that intersect `area`
    /// (map coordinates): the R-tree finds candidates by envelope, the
    /// exact test runs on each candidate's geometry in the map CRS.
    fn select_meeting(&mut self, area: &geo_types::Geometry<f64>, add: bool) {
        let (Some(scene), Some(reader)) = (&self.scene, &self.reader) else {
            return;
        };
        if !add {
            self.selection.clear();
        }
        let Some(b) = crate::gpkg::geom::bounds(area) else {
            return;
        };
        let targets = scene
            .layers
            .iter()
            .filter(|l| l.visible && self.active_layer.as_ref().is_none_or(|a| *a == l.info.name));
        for layer in targets {
            let Ok(t) = self.transformers.get(&layer.info.crs, &scene.map_crs) else {
                continue;
            };
            for fid in layer.index.within(b) {
                let Ok(Some(mut f)) = reader.get_feature(&layer.info.name, fid) else {
                    continue;
                };
                let Some(g) = f.geometry.as_mut() else {
                    continue;
                };
                if t.transform_geometry(g).is_ok() && geo::Intersects::intersects(g, area) {
                    self.selection
                        .entry(layer.info.name.clone())
                        .or_default()
                        .insert(fid);
                }
            }
        }
    }

    /// Lists the attribute tables, and tells the user once about the
    /// file's oddities and each layer that cannot be read (the map loads
    /// the others).
    fn take_contents(&mut self) {
        self.attribute_tables.clear();
        let Some(reader) = &self.reader else { return };
        let mut notes: Vec<String> = reader.warnings().to_vec();
        match reader.contents() {
            Ok(contents) => {
                for table in contents.tables {
                    match reader.count_features(&table.name, None) {
                        Ok(n) => self.attribute_tables.push((table, n)),
                        Err(e) => notes.push(e.to_string()),
                    }
                }
                notes.extend(contents.unreadable.iter().map(|u| u.error.to_string()));
            }
            Err(e) => notes.push(e.to_string()),
        }
        if !notes.is_empty() {
            self.message = Some(notes.join("\n"));
        }
    }

    /// What the status bar says: an error or warning for the user, if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Opens the attribute table of a map layer or of an attribute table.
    pub fn open_table(&mut self, layer: &str) {
        if self.tables.iter().any(|t| t.layer.name == layer) {
            return;
        }
        let info = self
            .scene
            .as_ref()
            .and_then(|s| s.layers.iter().find(|l| l.info.name == layer))
            .map(|l| &l.info)
            .or_else(|| {
                self.attribute_tables
                    .iter()
                    .map(|(t, _)| t)
                    .find(|t| t.name == layer)
            });
        if let Some(info) = info {
            self.tables
                .push(AttributeTable::new(self.workspace.clone(), info.clone()));
        }
    }

    fn zoom_to(&mut self, b: map::Bbox) {
        let Some(rect) = self.map_rect else { return };
        self.view_follows_data = false;
        // A point or a tiny feature: show 200 m around it.
        let pad = (b.width().max(b.height()) * 0.1).max(100.0);
        let (lo, hi) = (b.min(), b.max());
        self.view = Some(View::fit(
            map::Bbox::new((lo.x - pad, lo.y - pad), (hi.x + pad, hi.y + pad)),
            rect,
        ));
    }

    /// Zooms to the envelope of every selected feature.
    pub fn zoom_to_selection(&mut self) {
        let Some(scene) = &self.scene else { return };
        let mut b: Option<map::Bbox> = None;
        for layer in &scene.layers {
            for fid in self.selection.get(&layer.info.name).into_iter().flatten() {
                if let Some(e) = layer.bbox_of(*fid) {
                    b = Some(map::union_box(b, e));
                }
            }
        }
        if let Some(b) = b {
            self.zoom_to(b);
        }
    }

    /// Restyles a layer and redraws it.
    /// The style is also saved in the workspace as the layer's default
    /// QGIS style, so it is there next time, and in QGIS.
    pub fn set_style(&mut self, layer: &str, style: crate::render::LayerStyle) {
        let saved = self.save_style(layer, &style);
        // The style's label field is the layer's from now on.
        self.labels
            .insert(layer.to_string(), style.label_field.clone());
        self.styles.insert(layer.to_string(), style);
        self.reload_layer(layer);
        if let Err(e) = saved {
            self.message = Some(format!("{}: {e}", tr(self.lang, Key::StyleNotSaved)));
        }
    }

    fn save_style(
        &self,
        layer: &str,
        style: &crate::render::LayerStyle,
    ) -> Result<(), crate::gpkg::GpkgError> {
        let mut gpkg = GeoPackage::open(&self.workspace)?;
        let geometry = gpkg.layer(layer)?.schema.geometry_type;
        gpkg.save_style(
            layer,
            &crate::gpkg::styles::StoredStyle {
                name: format!("{layer} (tramgis)"),
                qml: crate::render::qml::to_qml(style, geometry),
                sld: String::new(),
                use_as_default: true,
                description: format!("tramgis, {}", gpkg.user()),
            },
        )?;
        Ok(())
    }

    fn zoom_to_layer(&mut self, layer: &str) {
        if let Some(e) = self
            .scene
            .as_ref()
            .and_then(|s| s.layers.iter().find(|l| l.info.name == layer))
            .and_then(|l| l.extent())
        {
            self.zoom_to(e);
        }
    }

    pub fn zoom_to_feature(&mut self, layer: &str, fid: i64) {
        if let Some(b) = self
            .scene
            .as_ref()
            .and_then(|s| s.layers.iter().find(|l| l.info.name == layer))
            .and_then(|l| l.bbox_of(fid))
        {
            self.zoom_to(b);
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
                ui.menu_button(tr(lang, Key::Recent), |ui| {
                    for path in super::recent_files() {
                        if ui.button(path.display().to_string()).clicked() {
                            ui.close();
                            self.open(path);
                        }
                    }
                });
                if ui.button(tr(lang, Key::SaveAs)).clicked() {
                    ui.close();
                    if let Some(path) = rfd::FileDialog::new()
                        .add_filter("GeoPackage", &["gpkg"])
                        .save_file()
                    {
                        match GeoPackage::open_read_only(&self.workspace)
                            .and_then(|g| g.save_as(&path))
                        {
                            Ok(()) => self.open(path),
                            Err(e) => {
                                self.message = Some(format!("{}: {e}", tr(lang, Key::Failed)))
                            }
                        }
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
                        self.open_import(path);
                    }
                }
                if ui.button(tr(lang, Key::Export)).clicked() {
                    ui.close();
                    self.export_dialog = Some(ExportDialog::new(&self.layer_infos()));
                }
                let repair = match lang {
                    Lang::Vi => "Sửa lỗi mã hóa…",
                    Lang::En => "Repair mojibake…",
                };
                if ui.button(repair).clicked() {
                    ui.close();
                    self.repair_dialog = Some(super::repair_text::RepairTextDialog::new(
                        &self.layer_infos(),
                    ));
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
                if ui.button(tr(lang, Key::ZoomToSelection)).clicked() {
                    self.zoom_to_selection();
                    ui.close();
                }
                if ui.button(tr(lang, Key::ClearSelection)).clicked() {
                    self.selection.clear();
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
                    let result = GeoPackage::open(&workspace)
                        .map_err(|e| e.to_string())
                        .and_then(|mut gpkg| {
                            crate::io::import(&mut gpkg, &options, p).map_err(|e| e.to_string())
                        });
                    TransferResult::Import(Box::new(result))
                })
            }
            Request::Export(options) => Job::spawn(options.out.display().to_string(), move |p| {
                let result = GeoPackage::open_read_only(&workspace)
                    .map_err(|e| e.to_string())
                    .and_then(|gpkg| {
                        crate::io::export_layer_report(&gpkg, &options, p)
                            .map_err(|e| e.to_string())
                    })
                    .map(|r| (r.written, options.out.clone(), r.warnings));
                TransferResult::Export(result)
            }),
        });
    }

    /// Opens the import dialog on a file, as File → Import does once the
    /// file is picked.
    pub fn open_import(&mut self, path: PathBuf) {
        self.import_dialog = Some(ImportDialog::new(path, &self.layer_infos()));
    }

    /// Waits for a running import or export and takes in its result (the
    /// window polls instead; tests and scripts wait).
    pub fn finish_transfer(&mut self) {
        if let Some(job) = self.transfer.take() {
            let result = job.wait().unwrap_or_else(|| {
                TransferResult::Import(Box::new(Err(tr(self.lang, Key::Failed).to_string())))
            });
            self.take_transfer_result(result);
        }
    }

    /// The last import's outcome: the report, or the error message.
    pub fn import_outcome(&self) -> Option<&Result<crate::io::ImportReport, String>> {
        self.report.as_ref().map(|w| &w.report)
    }

    fn poll_transfer(&mut self, ctx: &egui::Context) {
        let Some(job) = &mut self.transfer else {
            return;
        };
        let result = match job.poll() {
            Poll::Running => {
                ctx.request_repaint_after(PROGRESS_REFRESH);
                return;
            }
            Poll::Done(r) => r,
            Poll::Failed => {
                TransferResult::Import(Box::new(Err(tr(self.lang, Key::Failed).to_string())))
            }
        };
        self.transfer = None;
        self.take_transfer_result(result);
    }

    fn take_transfer_result(&mut self, result: TransferResult) {
        match result {
            TransferResult::Import(report) => {
                let report = *report;
                if report.is_ok() {
                    self.open(self.workspace.clone());
                }
                self.report = Some(ReportWindow { open: true, report });
            }
            TransferResult::Export(Ok((n, path, warnings))) => {
                let mut message =
                    format!("{}: {n} → {}", tr(self.lang, Key::Exported), path.display());
                // GDAL's warnings (a value too wide for a DBF field, ...).
                for w in warnings {
                    message.push('\n');
                    message.push_str(&w);
                }
                self.message = Some(message)
            }
            TransferResult::Export(Err(e)) => {
                self.message = Some(format!("{}: {e}", tr(self.lang, Key::Failed)))
            }
        }
    }

    fn windows(&mut self, ctx: &egui::Context) {
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
        if let Some(d) = &mut self.repair_dialog {
            let changed = d.show(ctx, self.lang, &workspace, &layers);
            if !d.open {
                self.repair_dialog = None;
            }
            if changed {
                // The repaired values show in the map labels and the table.
                self.open(workspace.clone());
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
        let mut actions = Vec::new();
        if let Some(reader) = &self.reader {
            for table in &mut self.tables {
                let selected = self
                    .selection
                    .get(&table.layer.name)
                    .cloned()
                    .unwrap_or_default();
                if let Some(a) = table.show(ctx, self.lang, reader, &selected) {
                    actions.push((table.layer.name.clone(), a));
                }
            }
        }
        self.tables.retain(|t| t.open);
        let mut restyle = None;
        if let (Some(editor), Some(reader)) = (&mut self.style_editor, &self.reader) {
            if let Some(style) = editor.show(ctx, self.lang, reader) {
                restyle = Some((editor.layer.name.clone(), style));
            }
            if !editor.open {
                self.style_editor = None;
            }
        }
        if let Some((layer, style)) = restyle {
            self.set_style(&layer, style);
        }
        for (layer, action) in actions {
            match action {
                TableAction::ZoomTo(fid) => {
                    self.selection.insert(layer.clone(), BTreeSet::from([fid]));
                    self.zoom_to_feature(&layer, fid);
                }
                TableAction::Select(fids) => {
                    self.selection.insert(layer, fids.into_iter().collect());
                }
            }
        }
    }

    fn identify_panel(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang;
        ui.heading(tr(lang, Key::IdentifyResults));
        let mut zoom = None;
        egui::ScrollArea::vertical().show(ui, |ui| {
            for (k, item) in self.identified.iter().enumerate() {
                egui::CollapsingHeader::new(format!("{} · fid {}", item.layer, item.fid))
                    .id_salt(("identify", k))
                    .default_open(true)
                    .show(ui, |ui| {
                        egui::Grid::new(("identify-grid", k))
                            .striped(true)
                            .show(ui, |ui| {
                                for (name, value) in &item.values {
                                    ui.label(name);
                                    ui.label(value.to_string());
                                    ui.end_row();
                                }
                            });
                        if ui.button(tr(lang, Key::ZoomTo)).clicked() {
                            zoom = Some((item.layer.clone(), item.fid));
                        }
                    });
            }
        });
        if let Some((layer, fid)) = zoom {
            self.zoom_to_feature(&layer, fid);
        }
    }

    fn status_bar(&mut self, ui: &mut egui::Ui, cursor: Option<[f64; 2]>) {
        let lang = self.lang;
        ui.horizontal(|ui| {
            if let Some(job) = &self.transfer {
                job_status(ui, lang, job.label.clone(), &job.progress);
            } else if let Some(job) = &self.loading {
                job_status(
                    ui,
                    lang,
                    format!("{} {}", tr(lang, Key::Loading), job.label),
                    &job.progress,
                );
            } else if let Some(m) = &self.message {
                ui.colored_label(Color32::from_rgb(200, 40, 40), m);
            } else {
                ui.label(tr(lang, Key::Ready));
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let mut crs = self.map_crs.clone();
                let preset_label = |c: &Crs| {
                    PRESETS
                        .iter()
                        .find(|p| Some(p.epsg) == c.epsg() && matches!(c, Crs::Epsg(_)))
                        .map_or_else(|| c.label(), |p| p.label.to_string())
                };
                egui::ComboBox::from_label(tr(lang, Key::MapCrs))
                    .selected_text(preset_label(&crs))
                    .show_ui(ui, |ui| {
                        // The data's own CRS, when the map opened in it.
                        if !PRESETS.iter().any(|p| Crs::Epsg(p.epsg) == self.map_crs) {
                            let current = self.map_crs.clone();
                            let label = current.label();
                            ui.selectable_value(&mut crs, current, label);
                        }
                        for p in PRESETS
                            .iter()
                            .filter(|p| p.epsg != crate::crs::VN2000_GEOGRAPHIC)
                        {
                            ui.selectable_value(
                                &mut crs,
                                Crs::Epsg(p.epsg),
                                format!("{} (EPSG:{})", p.label, p.epsg),
                            );
                        }
                    });
                if crs != self.map_crs {
                    self.set_map_crs(crs);
                }
                if let Some(c) = cursor {
                    let wgs = self
                        .to_wgs84
                        .as_ref()
                        .and_then(|t| t.transform(geo_types::Coord { x: c[0], y: c[1] }).ok());
                    if let Some(w) = wgs {
                        ui.label(format!("WGS 84: {:.6}° E {:.6}° N", w.x, w.y));
                    }
                    ui.label(format!("{:.2} {:.2}", c[0], c[1]));
                }
            });
        });
    }

    fn toolbar(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang;
        ui.horizontal(|ui| {
            for (tool, key) in [
                (Tool::Pan, Key::ToolPan),
                (Tool::ZoomBox, Key::ToolZoomBox),
                (Tool::Identify, Key::ToolIdentify),
                (Tool::Select, Key::ToolSelect),
                (Tool::SelectPolygon, Key::ToolSelectPolygon),
            ] {
                ui.selectable_value(&mut self.tool, tool, tr(lang, key));
            }
            ui.separator();
            let zoom = |app: &mut Self, factor: f64| {
                app.view_follows_data = false;
                if let (Some(v), Some(r)) = (&mut app.view, app.map_rect) {
                    v.zoom_at(r, r.center(), factor);
                }
            };
            if ui.button("+").on_hover_text("Zoom in").clicked() {
                zoom(self, 2.0);
            }
            if ui.button("−").on_hover_text("Zoom out").clicked() {
                zoom(self, 0.5);
            }
            if ui.button(tr(lang, Key::ZoomFull)).clicked() {
                self.view = None;
            }
            if ui.button(tr(lang, Key::ClearSelection)).clicked() {
                self.selection.clear();
            }
        });
    }

    fn map_panel(&mut self, ui: &mut egui::Ui) -> Option<[f64; 2]> {
        self.toolbar(ui);
        let (response, painter) = ui.allocate_painter(ui.available_size(), Sense::click_and_drag());
        let rect = response.rect;
        self.map_rect = Some(rect);
        painter.rect_filled(rect, 0.0, Color32::from_rgb(232, 238, 242));
        let scene = self.scene.as_ref()?;
        // Until the user moves the map, it follows the extent of the layers
        // as they arrive.
        if (self.view.is_none() || (self.view_follows_data && self.loading.is_some()))
            && let Some(e) = scene.extent
        {
            self.view = Some(View::fit(e, rect));
            self.view_follows_data = true;
        }
        let mut view = self.view.unwrap_or(View {
            centre: [450_000.0, 2_360_000.0],
            resolution: 100.0,
        });
        let before = view;
        let box_tool = matches!(self.tool, Tool::ZoomBox | Tool::Select);
        if response.drag_started() {
            self.drag_start = response.interact_pointer_pos();
        }
        let lasso_tool = self.tool == Tool::SelectPolygon;
        if self.tool != Tool::SelectPolygon && !self.lasso.is_empty() {
            self.lasso = Default::default();
        }
        if response.dragged() && !box_tool && !lasso_tool {
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
        let mut box_done = None;
        if box_tool
            && let (Some(start), Some(now)) = (self.drag_start, response.interact_pointer_pos())
        {
            let r = Rect::from_two_pos(start, now);
            if response.drag_stopped() {
                box_done = Some(r);
                self.drag_start = None;
            }
        }
        if self.gpu.is_some() {
            // The layers go through the wgpu renderer in egui's render pass;
            // the painter adds labels, the selection and the overlays.
            let ppp = f64::from(ui.ctx().pixels_per_point());
            let callback = super::gpu::MapCallback {
                view: crate::render::View {
                    centre: view.centre,
                    resolution: view.resolution / ppp,
                    width: (f64::from(rect.width()) * ppp).round() as u32,
                    height: (f64::from(rect.height()) * ppp).round() as u32,
                },
                layers: scene
                    .layers
                    .iter()
                    .map(|l| (l.info.name.clone(), l.visible, l.opacity))
                    .chain(scene.layers.iter().filter(|l| l.visible).map(|l| {
                        (
                            format!("{}{}", l.info.name, highlight::SELECTION_SUFFIX),
                            true,
                            1.0,
                        )
                    }))
                    .collect(),
            };
            painter.add(eframe::egui_wgpu::Callback::new_paint_callback(
                rect, callback,
            ));
        }
        map::paint(
            &painter.with_clip_rect(rect),
            rect,
            &view,
            scene,
            &self.selection,
            self.gpu.is_some(),
        );
        if box_tool
            && response.dragged()
            && let (Some(start), Some(now)) = (self.drag_start, response.interact_pointer_pos())
        {
            painter.rect_stroke(
                Rect::from_two_pos(start, now),
                0.0,
                Stroke::new(1.5, Color32::from_rgb(30, 90, 200)),
                egui::StrokeKind::Middle,
            );
        }
        let lasso_done = if lasso_tool {
            let ring = self.lasso.update(&response, &view, rect);
            self.lasso.paint(&painter, &view, rect, hover);
            ring
        } else {
            None
        };
        // Ground metres per screen point at the view's centre: degrees in
        // a geographic CRS, stretched metres in Web Mercator.
        let metres_per_unit = self
            .to_wgs84
            .as_ref()
            .and_then(|t| {
                crate::crs::metres_per_unit(t, self.map_geographic, view.centre, view.resolution)
            })
            .unwrap_or(1.0);
        scale_bar(
            &painter,
            rect,
            view.resolution * metres_per_unit,
            tr(self.lang, Key::Scale),
        );
        north_arrow(&painter, rect);
        if view != before {
            self.view_follows_data = false;
        }
        self.view = Some(view);
        if let Some(ring) = lasso_done {
            let add = ui.input(|i| i.modifiers.shift);
            self.select_polygon(&ring, add);
        }
        if let Some(r) = box_done.filter(|r| r.width() > 3.0 && r.height() > 3.0) {
            let (a, b) = (
                view.to_map(rect, r.left_bottom()),
                view.to_map(rect, r.right_top()),
            );
            match self.tool {
                Tool::ZoomBox => {
                    self.view = Some(View::fit(map::Bbox::new((a[0], a[1]), (b[0], b[1])), rect));
                    self.view_follows_data = false;
                }
                _ => {
                    let add = ui.input(|i| i.modifiers.shift);
                    self.select_box(map::Bbox::new((a[0], a[1]), (b[0], b[1])), add);
                }
            }
        }
        if response.clicked()
            && let Some(pos) = response.interact_pointer_pos()
        {
            let p = view.to_map(rect, pos);
            let tolerance = HIT_TOLERANCE_PX * view.resolution;
            match self.tool {
                Tool::Identify => self.identified = self.identify_at(p[0], p[1], tolerance),
                Tool::Select => {
                    let hits = self.identify_at(p[0], p[1], tolerance);
                    if !ui.input(|i| i.modifiers.shift) {
                        self.selection.clear();
                    }
                    let top = hits
                        .iter()
                        .find(|h| self.active_layer.as_ref().is_none_or(|a| *a == h.layer));
                    if let Some(top) = top {
                        self.selection
                            .entry(top.layer.clone())
                            .or_default()
                            .insert(top.fid);
                    }
                }
                _ => {}
            }
        }
        hover.map(|p| view.to_map(rect, p))
    }
}

/// A running job in the status bar: what, how far, and a cancel button.
fn job_status(ui: &mut egui::Ui, lang: Lang, label: String, progress: &crate::jobs::Progress) {
    ui.label(label);
    if let Some(f) = progress.fraction() {
        ui.add(
            egui::ProgressBar::new(f)
                .desired_width(160.0)
                .show_percentage(),
        );
    }
    if ui.button(tr(lang, Key::Cancel)).clicked() {
        progress.cancel();
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
        self.show(ui);
    }
}

impl TramgisApp {
    /// One frame of the whole window (also what the UI tests drive).
    pub fn show(&mut self, ui: &mut egui::Ui) {
        if let Some((start, first, map, all)) = &mut self.timing {
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            let has_layers = self.scene.as_ref().is_some_and(|s| !s.layers.is_empty());
            for (done, now, what) in [
                (first, true, "first frame"),
                (map, has_layers, "map drawn"),
                (
                    all,
                    has_layers && self.loading.is_none(),
                    "all layers drawn",
                ),
            ] {
                if !*done && now {
                    *done = true;
                    eprintln!("tramgis timing: {what} {ms:.0} ms");
                }
            }
        }
        self.poll_loading(ui.ctx());
        self.poll_transfer(ui.ctx());
        self.update_highlight(ui.ctx());
        self.windows(ui.ctx());
        egui::Panel::top("menu").show(ui, |ui| self.menu(ui));
        // The status bar is laid out before the map, so it shows the cursor
        // position of the previous frame.
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui, self.cursor));
        egui::Panel::left("layers")
            .default_size(280.0)
            .resizable(true)
            .show(ui, |ui| self.layer_tree(ui));
        if !self.identified.is_empty() {
            egui::Panel::right("identify")
                .default_size(260.0)
                .resizable(true)
                .show(ui, |ui| self.identify_panel(ui));
        }
        egui::CentralPanel::default().show(ui, |ui| self.cursor = self.map_panel(ui));
    }
}
