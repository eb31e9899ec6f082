//! `TramgisApp` wires the window together: the open workspace (scene,
//! selection, read-only queries), the view, the panels, the active map
//! tool, the jobs registry and the notifications. Each frame the panels
//! and the tool are drawn and return commands; finished jobs are taken
//! in; then every command is applied in one place (`apply.rs`).

use std::path::PathBuf;

use egui::Rect;

use super::command::AppCommand;
use super::i18n::Lang;
use super::jobs::{JobKind, Jobs};
use super::map::{Scene, Selection, View};
use super::notifications::Notifications;
use super::panels::Panels;
use super::panels::identify::Identified;
use super::panels::table::AttributeTable;
use super::tools::{MapTool, Snapping, Tool};

mod apply;
mod chrome;
mod editing;
mod field_panels;
mod highlight;
mod loading;
mod map_panel;
mod queries;
mod sync;

/// Every kind of job (waiting for them all).
const ALL_JOBS: [JobKind; 7] = [
    JobKind::Load,
    JobKind::Import,
    JobKind::Export,
    JobKind::Identify,
    JobKind::Select,
    JobKind::Write,
    JobKind::Sync,
];

pub struct TramgisApp {
    pub lang: Lang,
    // The open workspace.
    workspace: PathBuf,
    scene: Option<Scene>,
    pub selection: Selection,
    /// The layer the selection tools act on; None: every visible layer.
    pub active_layer: Option<String>,
    /// The workspace's attribute (aspatial) tables: listed in the layer
    /// tree, opened in the attribute table, never drawn. With their row counts.
    pub attribute_tables: Vec<(crate::gpkg::LayerInfo, u64)>,
    map: loading::MapSettings,
    loading: loading::Loading,
    // The view.
    view: Option<View>,
    /// The view was fitted to the data, not chosen by the user.
    view_follows_data: bool,
    map_rect: Option<Rect>,
    cursor: Option<[f64; 2]>,
    // Panels, tools, jobs and messages.
    panels: Panels,
    pub tables: Vec<AttributeTable>,
    tool: Box<dyn MapTool>,
    snapping: Snapping,
    /// The editing thread of the open workspace, once editing started.
    editing: Option<super::edit::Editing>,
    jobs: Jobs,
    notifications: Notifications,
    /// Commands sent this frame, applied at its end.
    commands: Vec<AppCommand>,
    /// The user asked to close the window.
    quit: bool,
    /// The selection the GPU highlight shows (or is being built for).
    highlighted: Selection,
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
            workspace: workspace.clone(),
            scene: None,
            selection: Selection::new(),
            active_layer: None,
            attribute_tables: Vec::new(),
            map: loading::MapSettings::new(),
            loading: Default::default(),
            view: None,
            view_follows_data: false,
            map_rect: None,
            cursor: None,
            panels: Panels::default(),
            tables: vec![],
            tool: Tool::Pan.make(),
            snapping: Snapping::default(),
            editing: None,
            jobs: Jobs::default(),
            notifications: Notifications::default(),
            commands: Vec::new(),
            quit: false,
            highlighted: Selection::new(),
            gpu,
            timing: std::env::var_os("TRAMGIS_TIMING")
                .map(|_| (std::time::Instant::now(), false, false, false)),
        };
        app.open(workspace);
        app
    }

    /// Start-up figures count from `start` (the program's start).
    pub(super) fn started_at(&mut self, start: std::time::Instant) {
        if let Some(t) = &mut self.timing {
            t.0 = start;
        }
    }

    /// Asks for a change; it is applied at the end of the frame.
    pub fn send(&mut self, command: AppCommand) {
        self.commands.push(command);
    }

    pub fn map_crs(&self) -> &crate::crs::Crs {
        &self.map.crs
    }

    pub fn is_loading(&self) -> bool {
        self.jobs.is_running(JobKind::Load)
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

    pub fn tool(&self) -> Tool {
        self.tool.kind()
    }

    /// The snapping settings the digitizing tools use.
    pub fn snapping_mut(&mut self) -> &mut Snapping {
        &mut self.snapping
    }

    /// What identify found last, top layer first.
    pub fn identified(&self) -> &[Identified] {
        &self.panels.identify.results
    }

    /// The validation panel, when it is open.
    pub fn validation_panel_mut(
        &mut self,
    ) -> Option<&mut crate::ui::panels::validation::ValidationPanel> {
        self.panels.validation.as_mut()
    }

    pub fn notifications(&self) -> &Notifications {
        &self.notifications
    }

    /// What the status bar has said since the workspace was opened
    /// (errors and warnings, one a line), if anything.
    pub fn message(&self) -> Option<String> {
        let lines: Vec<&str> = self
            .notifications
            .since_mark()
            .map(|n| n.text.as_str())
            .collect();
        (!lines.is_empty()).then(|| lines.join("\n"))
    }

    /// The last import's outcome: the report, or the error message.
    pub fn import_outcome(&self) -> Option<&Result<crate::io::ImportReport, String>> {
        self.panels.report.as_ref().map(|w| &w.report)
    }

    /// Waits for the load in progress and for the workspace writes asked
    /// for so far (tests).
    pub fn finish_loading(&mut self) {
        self.finish(&[JobKind::Load, JobKind::Write]);
    }

    /// Waits for a running import or export and takes in its result (the
    /// window polls instead; tests and scripts wait).
    pub fn finish_transfer(&mut self) {
        self.finish(&[JobKind::Import, JobKind::Export]);
    }

    /// Waits until no job is left (tests): each finished job is applied,
    /// and what it starts in turn is waited for too.
    pub fn finish_jobs(&mut self) {
        loop {
            self.finish_editing();
            self.finish_reads();
            let done = self.jobs.wait(&ALL_JOBS);
            let asked = !self.commands.is_empty();
            if done.is_empty() && !asked {
                break;
            }
            for f in done {
                self.take_finished(f);
            }
            self.apply_all();
            self.update_highlight();
        }
    }

    fn finish(&mut self, kinds: &[JobKind]) {
        for f in self.jobs.wait(kinds) {
            self.take_finished(f);
        }
        self.apply_all();
    }

    /// One frame of the whole window (also what the UI tests drive).
    pub fn show(&mut self, ui: &mut egui::Ui) {
        self.report_timing();
        let ctx = ui.ctx().clone();
        if self.receive_layers() {
            ctx.request_repaint();
        }
        for f in self.jobs.poll(Some(&ctx)) {
            self.take_finished(f);
        }
        self.poll_editing(Some(&ctx));
        self.update_highlight();
        self.windows(&ctx);
        self.field_panels(&ctx);
        egui::Panel::top("menu").show(ui, |ui| self.menu(ui));
        // The status bar is laid out before the map, so it shows the cursor
        // position of the previous frame.
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui));
        egui::Panel::left("layers")
            .default_size(280.0)
            .resizable(true)
            .show(ui, |ui| {
                let cx = super::panels::PanelContext {
                    lang: self.lang,
                    scene: self.scene.as_ref(),
                    selection: &self.selection,
                    active_layer: self.active_layer.as_deref(),
                    attribute_tables: &self.attribute_tables,
                    editing: self.editing.as_ref().map(|e| &e.layers),
                };
                let asked = self.panels.layer_tree.ui(ui, &cx);
                self.commands.extend(asked);
            });
        egui::Panel::right("editing")
            .default_size(250.0)
            .min_size(240.0)
            .resizable(true)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("editing-scroll")
                    .show(ui, |ui| self.editing_panel(ui));
            });
        if !self.panels.identify.is_empty() {
            egui::Panel::right("identify")
                .default_size(260.0)
                .resizable(true)
                .show(ui, |ui| {
                    let asked = self.panels.identify.ui(ui, self.lang);
                    self.commands.extend(asked);
                });
        }
        egui::CentralPanel::default().show(ui, |ui| self.cursor = self.map_panel(ui));
        if !self.commands.is_empty() {
            self.apply_all();
            ctx.request_repaint();
        }
        if self.quit {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    fn report_timing(&mut self) {
        let loading = self.is_loading();
        let has_layers = self.scene.as_ref().is_some_and(|s| !s.layers.is_empty());
        let Some((start, first, map, all)) = &mut self.timing else {
            return;
        };
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        for (done, now, what) in [
            (first, true, "first frame"),
            (map, has_layers, "map drawn"),
            (all, has_layers && !loading, "all layers drawn"),
        ] {
            if !*done && now {
                *done = true;
                eprintln!("tramgis timing: {what} {ms:.0} ms");
            }
        }
    }
}

impl Drop for TramgisApp {
    /// A write asked for is finished before the window goes: a style or
    /// the layer order the user set is never lost on closing.
    fn drop(&mut self) {
        self.jobs.wait(&[JobKind::Write]);
    }
}

impl eframe::App for TramgisApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }
}
