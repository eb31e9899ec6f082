//! Opening a workspace and loading its layers onto the map: a background
//! job reads and tessellates the layers, smallest first, and sends each
//! as it is ready; the map shows them as they arrive.

use std::path::PathBuf;

use super::TramgisApp;
use crate::crs::{Crs, Transformer, VN2000_TM3_107, WGS84};
use crate::gpkg::{GeoPackage, LayerInfo};
use crate::ui::i18n::{Key, tr};
use crate::ui::jobs::{JobError, JobKind, JobOutput, JobResult};
use crate::ui::map::{self, Scene, Selection};

/// The map's CRS and the user's choices that every load carries.
pub(super) struct MapSettings {
    pub crs: Crs,
    /// The user chose the map CRS; otherwise each workspace opens in one
    /// that fits its data.
    pub crs_chosen: bool,
    /// Whether the map CRS is longitude/latitude (asked of PROJ once).
    pub geographic: bool,
    pub to_wgs84: Option<Transformer>,
    pub labels: map::LabelChoices,
    pub styles: map::StyleChoices,
}

impl MapSettings {
    pub fn new() -> Self {
        MapSettings {
            crs: Crs::Epsg(VN2000_TM3_107),
            crs_chosen: false,
            geographic: false,
            to_wgs84: Transformer::new(VN2000_TM3_107, WGS84).ok(),
            labels: map::LabelChoices::new(),
            styles: map::StyleChoices::new(),
        }
    }

    pub fn switch_crs(&mut self, crs: Crs) {
        self.to_wgs84 = Transformer::between(&crs, &Crs::Epsg(WGS84)).ok();
        self.geographic = crs.is_geographic();
        self.crs = crs;
    }
}

/// The load in progress.
#[derive(Default)]
pub(super) struct Loading {
    /// Layers arriving from the loading job, smallest first.
    pub incoming: Option<std::sync::mpsc::Receiver<map::Loaded>>,
    /// Whether the next layer to arrive starts a new scene (the old one
    /// stays on screen until then).
    pub fresh_scene: bool,
    /// The layers the load in progress reloads; None: the whole workspace.
    pub reloading: Option<Vec<String>>,
    /// The workspace's attribute tables and oddities, read by the loading
    /// job before its layers (a whole workspace only).
    pub contents: Option<std::sync::mpsc::Receiver<WorkspaceContents>>,
}

/// What the layer tree lists besides the map layers, and what the user is
/// told once about the file.
pub(super) struct WorkspaceContents {
    /// The attribute (aspatial) tables with their row counts.
    tables: Vec<(LayerInfo, u64)>,
    /// The file's oddities and each layer that cannot be read.
    notes: Vec<String>,
}

impl WorkspaceContents {
    /// Reads them (in the loading job: the UI thread never opens the store).
    fn read(path: &std::path::Path) -> Self {
        let mut tables = Vec::new();
        let mut notes = Vec::new();
        let reader = match GeoPackage::open_read_only(path) {
            Ok(r) => r,
            // The load itself reports a file it cannot open.
            Err(_) => return WorkspaceContents { tables, notes },
        };
        notes.extend(reader.warnings().iter().cloned());
        match reader.contents() {
            Ok(contents) => {
                for table in contents.tables {
                    match reader.count_features(&table.name, None) {
                        Ok(n) => tables.push((table, n)),
                        Err(e) => notes.push(e.to_string()),
                    }
                }
                notes.extend(contents.unreadable.iter().map(|u| u.error.to_string()));
            }
            Err(e) => notes.push(e.to_string()),
        }
        WorkspaceContents { tables, notes }
    }
}

impl TramgisApp {
    /// Loads a workspace (in the background).
    pub fn open(&mut self, path: PathBuf) {
        self.load(path, None);
    }

    /// Loads one layer again (after a restyle or a new label field); the
    /// rest of the map stays as it is. A reload still running is folded
    /// into this one rather than lost; while a whole workspace is still
    /// loading, that load starts over instead, as the layer may be in it.
    pub(super) fn reload_layer(&mut self, layer: &str) {
        let running = self.jobs.is_running(JobKind::Load);
        let mut layers = match (running, self.loading.reloading.take()) {
            (true, None) => return self.open(self.workspace.clone()),
            (true, Some(pending)) => pending,
            (false, _) => Vec::new(),
        };
        if !layers.iter().any(|l| l == layer) {
            layers.push(layer.to_string());
        }
        self.load(self.workspace.clone(), Some(layers));
    }

    fn load(&mut self, path: PathBuf, only: Option<Vec<String>>) {
        if path != self.workspace {
            // Nothing of the last workspace carries over, not even a
            // highlight still being built for it.
            self.selection.clear();
            self.tables.clear();
            self.attribute_tables.clear();
            self.panels.identify.results.clear();
            self.view = None;
            self.map.styles.clear();
            self.map.labels.clear();
            self.active_layer = None;
            self.highlighted = Selection::new();
            self.map.crs_chosen = false;
        }
        self.workspace = path.clone();
        if only.is_none() {
            self.notifications.set_mark();
            crate::ui::remember_recent(&path);
        }
        let device = self.gpu.as_ref().map(|g| g.device.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        let (contents_tx, contents_rx) = std::sync::mpsc::channel();
        let whole = only.is_none();
        self.loading = Loading {
            incoming: Some(rx),
            fresh_scene: whole,
            reloading: only.clone(),
            contents: whole.then_some(contents_rx),
        };
        let title = match &only {
            Some(layers) => layers.join(", "),
            None => path.display().to_string(),
        };
        // A whole workspace picks its map CRS for its data, unless the
        // user chose one.
        let choose_crs =
            (only.is_none() && !self.map.crs_chosen).then_some(Crs::Epsg(VN2000_TM3_107));
        let request = map::SceneRequest {
            path,
            map_crs: self.map.crs.clone(),
            choose_crs,
            labels: self.map.labels.clone(),
            styles: self.map.styles.clone(),
            only,
        };
        self.jobs
            .start(JobKind::Load, title, move |p| -> JobResult {
                if whole {
                    let _ = contents_tx.send(WorkspaceContents::read(&request.path));
                }
                let loaded = map::load_scene(&request, device.as_ref(), p, &|l| {
                    let _ = tx.send(l);
                })?;
                Ok(JobOutput::Loaded(loaded))
            });
    }

    /// Shows the map in another CRS: the layers are reprojected on load,
    /// and the view shows the same place at the same ground scale.
    pub fn set_map_crs(&mut self, crs: Crs) {
        self.map.crs_chosen = true;
        if crs == self.map.crs {
            return;
        }
        self.view = self
            .view
            .and_then(|v| map::view_in_crs(v, &self.map.crs, &crs));
        self.view_follows_data = self.view.is_none();
        self.switch_map_crs(crs);
        self.open(self.workspace.clone());
    }

    /// The map's CRS changes, and with it the coordinates the editing
    /// thread takes from the tools and gives back for the map.
    fn switch_map_crs(&mut self, crs: Crs) {
        if let Some(editing) = &mut self.editing {
            editing.send(crate::ui::edit::Request::SetMapCrs(crs.clone()));
        }
        self.map.switch_crs(crs);
    }

    /// Takes in the layers the loading job has finished; returns whether
    /// any arrived.
    pub(super) fn receive_layers(&mut self) -> bool {
        self.receive_contents();
        let Some(rx) = &self.loading.incoming else {
            return false;
        };
        let arrived: Vec<map::Loaded> = rx.try_iter().collect();
        let any = !arrived.is_empty();
        for loaded in arrived {
            let mut layer = loaded.layer;
            if self.loading.fresh_scene || self.scene.is_none() {
                if loaded.map_crs != self.map.crs {
                    // The data chose another CRS (a reload after an import):
                    // the view keeps its place in it.
                    self.view = self
                        .view
                        .and_then(|v| map::view_in_crs(v, &self.map.crs, &loaded.map_crs));
                    self.switch_map_crs(loaded.map_crs.clone());
                }
                // Keep the user's layer choices across a reload.
                let previous = self.scene.take();
                let mut scene = Scene::new(self.map.crs.clone());
                scene.previous = previous
                    .map(|old| {
                        old.layers
                            .into_iter()
                            .map(|l| (l.info.name, (l.visible, l.opacity)))
                            .collect()
                    })
                    .unwrap_or_default();
                self.scene = Some(scene);
                self.loading.fresh_scene = false;
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
                && self.loading.reloading.is_none()
            {
                self.notifications.warn(w.clone());
            }
            // An open table of the layer takes its description anew and
            // reads its rows again: the reload may follow a change.
            for table in &mut self.tables {
                if table.layer.name == layer.info.name {
                    table.refresh(layer.info.clone());
                }
            }
            scene.insert_or_replace(layer);
        }
        any
    }

    /// The load finished: the last layers are taken in, and what could not
    /// be loaded is reported.
    pub(super) fn loaded(&mut self, result: JobResult) {
        self.receive_layers();
        self.loading.incoming = None;
        match result {
            Ok(_) => {}
            Err(JobError::Panicked { .. }) => {
                let text = format!(
                    "{}: {}",
                    tr(self.lang, Key::OpenFailed),
                    self.workspace.display()
                );
                self.notifications.error(text);
            }
            Err(e) => {
                // With some layers on the map, the error is about the others.
                let partly = self.scene.as_ref().is_some_and(|s| !s.layers.is_empty());
                let key = if partly {
                    Key::LayersNotLoaded
                } else {
                    Key::OpenFailed
                };
                self.notifications
                    .error(format!("{}: {e}", tr(self.lang, key)));
            }
        }
    }

    /// Waits for the panels' reads of the workspace (tests: the window
    /// polls them each frame): the open tables' row order and rows, the
    /// form's feature, the style editor's classes. What was read is taken
    /// in by the next frame (the table's and the form's at once).
    pub fn finish_reads(&mut self) {
        for table in &mut self.tables {
            table.finish_query();
            table.finish_rows();
        }
        if let Some(form) = &mut self.panels.attribute_form {
            form.finish_loading();
        }
        if let Some(editor) = &mut self.panels.style_editor {
            editor.finish_classifying();
        }
    }

    /// Lists the attribute tables, and tells the user once about the
    /// file's oddities and each layer that cannot be read (the map loads
    /// the others).
    fn receive_contents(&mut self) {
        let Some(contents) = self
            .loading
            .contents
            .as_ref()
            .and_then(|rx| rx.try_recv().ok())
        else {
            return;
        };
        self.loading.contents = None;
        self.attribute_tables = contents.tables;
        for note in contents.notes {
            self.notifications.warn(note);
        }
    }
}
