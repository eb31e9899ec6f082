//! The app's side of editing: the editing commands, the editing thread's
//! replies (each committed edit redraws only the features it touched),
//! the editing panel and the snap marker.

use super::TramgisApp;
use crate::ui::command::AppCommand;
use crate::ui::edit::{Changed, Editing, Operation, Reply, Request};
use crate::ui::i18n::{Key, tr};
use crate::ui::panels::editing::EditingContext;
use crate::ui::tools::{MapEvent, MapPointer, ToolContext};

impl TramgisApp {
    /// The editing thread of the open workspace, started on first use
    /// (and again for another workspace).
    pub(super) fn editing_mut(&mut self) -> &mut Editing {
        if self
            .editing
            .as_ref()
            .is_none_or(|e| e.path() != self.workspace.as_path())
        {
            let user = crate::ui::user_name();
            let editing = Editing::new(&self.workspace, user, self.map.crs.clone());
            self.snapping
                .set_snapper(Box::new(crate::ui::edit::snapper::EditSnapper {
                    index: editing.snap_index.clone(),
                    settings: editing.snap.clone(),
                    mark: editing.snap_mark.clone(),
                }));
            self.snapping.layers.clear();
            self.editing = Some(editing);
        }
        self.editing.as_mut().expect("started above")
    }

    /// The layer an edit goes to: the one the tool named, else the active
    /// layer, else the only layer being edited.
    fn edited_layer(&self, named: &str) -> Option<String> {
        let editing = self.editing.as_ref()?;
        if !named.is_empty() {
            return Some(named.to_string());
        }
        match &self.active_layer {
            Some(a) if editing.is_editing(a) => Some(a.clone()),
            _ if editing.layers.len() == 1 => editing.layers.iter().next().cloned(),
            _ => None,
        }
    }

    pub(super) fn apply_edit(&mut self, command: AppCommand) {
        match command {
            AppCommand::StartEditing(layer) => {
                self.editing_mut().send(Request::Start(layer.clone()));
                self.active_layer = Some(layer);
            }
            AppCommand::StopEditing(layer) => {
                self.editing_mut().send(Request::Stop(layer.clone()));
                if self.tool.kind().edits() {
                    self.tool = crate::ui::Tool::Pan.make();
                }
            }
            AppCommand::Edit(mut op) => {
                let Some(layer) = self.edited_layer(op.layer()) else {
                    self.notifications
                        .warn(tr(self.lang, Key::ChooseEditedLayer).to_string());
                    // Not sent: the tool's sketch stays to finish again.
                    self.tool.edit_sent(None);
                    return;
                };
                op.set_layer(&layer);
                let topological = self.editing.as_ref().is_some_and(|e| e.topological);
                if let Operation::MoveVertices { topological: t, .. } = &mut op {
                    *t = topological;
                }
                // Dragging a selected feature moves (or turns) the whole
                // selection, as in QGIS.
                if let Operation::Translate { drag, .. } | Operation::Rotate { drag, .. } = &mut op
                {
                    drag.selected = self
                        .selection
                        .get(&layer)
                        .map(|s| s.iter().copied().collect())
                        .unwrap_or_default();
                }
                let avoid = self.editing.as_ref().and_then(|e| e.avoid_overlaps.clone());
                if let (Some(avoid), Operation::Add { layer, geometry }) = (avoid, &op)
                    && matches!(
                        geometry,
                        geo_types::Geometry::Polygon(_) | geo_types::Geometry::MultiPolygon(_)
                    )
                {
                    op = Operation::AddAvoidingOverlaps {
                        layer: layer.clone(),
                        geometry: geometry.clone(),
                        avoid,
                    };
                }
                // A tool's edit (the panel's paste is not one): the tool
                // keeps its sketch until this request's reply.
                let from_tool = !matches!(op, Operation::PasteText { .. });
                let editing = self.editing_mut();
                let ahead = editing.in_flight();
                editing.send(Request::Apply(op));
                let sent = editing.in_flight() > ahead;
                if from_tool {
                    self.tool.edit_sent(sent.then_some(ahead));
                }
            }
            AppCommand::Undo => self.editing_mut().send(Request::Undo),
            AppCommand::Redo => self.editing_mut().send(Request::Redo),
            AppCommand::DeleteSelected | AppCommand::MergeSelected => {
                let merge = matches!(command, AppCommand::MergeSelected);
                let Some(editing) = &self.editing else { return };
                let deletes: Vec<Operation> = self
                    .selection
                    .iter()
                    .filter(|(layer, fids)| editing.is_editing(layer) && !fids.is_empty())
                    .map(|(layer, fids)| {
                        let (layer, fids) = (layer.clone(), fids.iter().copied().collect());
                        if merge {
                            Operation::Merge { layer, fids }
                        } else {
                            Operation::Delete { layer, fids }
                        }
                    })
                    .collect();
                for op in deletes {
                    self.editing_mut().send(Request::Apply(op));
                }
            }
            AppCommand::SetSnapping { layers, settings } => {
                let editing = self.editing_mut();
                if let Ok(mut s) = editing.snap.write() {
                    *s = settings.clone();
                }
                editing.send(Request::SnapTo(layers.clone()));
                self.snapping.layers = layers;
                self.snapping.tolerance_px = settings.tolerance_px;
            }
            AppCommand::SetTopological(on) => self.editing_mut().topological = on,
            AppCommand::SetAvoidOverlaps(layers) => self.editing_mut().avoid_overlaps = layers,
            AppCommand::PasteSelectionInto(target) => {
                let copies: Vec<Operation> = self
                    .selection
                    .iter()
                    .filter(|(layer, fids)| **layer != target && !fids.is_empty())
                    .map(|(from, fids)| Operation::CopyFeatures {
                        layer: target.clone(),
                        from: from.clone(),
                        fids: fids.iter().copied().collect(),
                    })
                    .collect();
                if copies.is_empty() {
                    self.notifications
                        .warn(tr(self.lang, Key::NothingSelected).to_string());
                }
                for op in copies {
                    self.editing_mut().send(Request::Apply(op));
                }
            }
            AppCommand::OffsetSelected(distance) => {
                let Some(editing) = &self.editing else { return };
                // Metres need a projected layer: a geographic one is named
                // and left as it is.
                let mut refused = Vec::new();
                for layer in self.selection.keys().filter(|l| editing.is_editing(l)) {
                    let checked = self.layer(layer).map(|l| {
                        let edited = Some((layer.as_str(), &l.info.crs));
                        crate::ui::panels::editing::offset_crs_check(edited, self.lang)
                    });
                    if let Some(Err(e)) = checked {
                        refused.push((layer.clone(), e));
                    }
                }
                let offsets: Vec<Operation> = self
                    .selection
                    .iter()
                    .filter(|(layer, _)| editing.is_editing(layer))
                    .filter(|(layer, _)| !refused.iter().any(|(r, _)| r == *layer))
                    .flat_map(|(layer, fids)| {
                        fids.iter().map(|&fid| Operation::Offset {
                            layer: layer.clone(),
                            fid,
                            distance,
                        })
                    })
                    .collect();
                for (_, e) in &refused {
                    self.notifications.error(e.clone());
                }
                if offsets.is_empty() && refused.is_empty() {
                    self.notifications
                        .warn(tr(self.lang, Key::NothingSelected).to_string());
                }
                for op in offsets {
                    self.editing_mut().send(Request::Apply(op));
                }
            }
            AppCommand::SketchPoint(p) => self.sketch_point(p),
            AppCommand::SetUserName(name) => {
                if let Err(e) = crate::ui::remember_user_name(&name) {
                    self.notifications.warn(e.to_string());
                }
                if let Some(editing) = &mut self.editing {
                    editing.send(Request::SetUser(name.trim().to_string()));
                }
            }
            _ => {}
        }
    }

    /// A typed vertex: the active tool takes it as a click there.
    fn sketch_point(&mut self, p: [f64; 2]) {
        let (Some(view), Some(rect), Some(scene)) = (self.view, self.map_rect, &self.scene) else {
            return;
        };
        let cx = ToolContext {
            view: &view,
            rect,
            scene,
            active_layer: self.active_layer.as_deref(),
            shift: false,
        };
        let pointer = MapPointer {
            screen: crate::ui::map::ScreenView::to_screen(&view, rect, p),
            map: p,
            snapped: false,
        };
        let asked = self.tool.on_event(&MapEvent::Click(pointer), &cx);
        self.commands.extend(asked);
    }

    /// Takes in what the editing thread answered.
    pub(super) fn poll_editing(&mut self, ctx: Option<&egui::Context>) {
        let Some(editing) = &mut self.editing else {
            return;
        };
        if let Some(ctx) = ctx {
            editing.wake_with(ctx);
        }
        // The snapping index follows what the map shows.
        if let (Some(view), Some(rect)) = (self.view, self.map_rect) {
            editing.follow_view(crate::ui::map::ScreenView::screen_bounds(&view, rect));
        }
        for reply in editing.poll() {
            self.take_edit_reply(reply);
        }
        self.take_gpu_redraws(false);
        self.take_stop_checks(false);
    }

    /// Waits for the edits asked for so far and takes in the replies (tests).
    pub fn finish_editing(&mut self) {
        self.apply_all();
        let Some(editing) = &mut self.editing else {
            return;
        };
        for reply in editing.wait() {
            self.take_edit_reply(reply);
        }
        self.take_gpu_redraws(true);
        self.take_stop_checks(true);
    }

    /// The boundary layer chosen in the validation panel, if any.
    fn check_boundary(&self) -> Option<String> {
        self.panels.validation.as_ref()?.boundary.clone()
    }

    /// Shows what the checks run on stopping editing found (in the
    /// validation panel, with a notification of the count); with `wait`,
    /// waits for those still running.
    fn take_stop_checks(&mut self, wait: bool) {
        let Some(editing) = &mut self.editing else {
            return;
        };
        let mut done = Vec::new();
        for (layer, mut job) in std::mem::take(&mut editing.stop_checks) {
            if wait {
                done.push((layer, job.wait()));
                continue;
            }
            match job.poll() {
                crate::jobs::Poll::Running => editing.stop_checks.push((layer, job)),
                crate::jobs::Poll::Done(r) => done.push((layer, Some(r))),
                crate::jobs::Poll::Failed => done.push((layer, None)),
            }
        }
        for (layer, result) in done {
            match result {
                Some(Ok(report)) if !report.findings.is_empty() => {
                    self.notifications.warn(format!(
                        "{layer}: {} {}",
                        report.findings.len(),
                        tr(self.lang, Key::StopCheckFindings)
                    ));
                    let mut panel = crate::ui::panels::validation::ValidationPanel::new(
                        &self.workspace,
                        &layer,
                    );
                    panel.boundary = self.check_boundary();
                    panel.report = Some(report);
                    self.panels.validation = Some(panel);
                }
                Some(Err(e)) => {
                    self.notifications.error(e.to_string());
                }
                _ => {}
            }
        }
    }

    fn take_edit_reply(&mut self, reply: Reply) {
        let lang = self.lang;
        // Every reply, in order: the active tool counts down to its own
        // edit's, then clears its sketch (committed) or gives it back.
        self.tool.edit_replied(matches!(reply, Reply::Applied(_)));
        // The boundary the user checks this workspace against.
        let boundary = self.check_boundary();
        let Some(editing) = &mut self.editing else {
            return;
        };
        match reply {
            Reply::Started(layer) => {
                editing.layers.insert(layer.clone());
                // The layer being edited is snapped to.
                if !self.snapping.layers.contains(&layer) {
                    self.snapping.layers.push(layer);
                }
            }
            Reply::Stopped(layer, edited) => {
                editing.layers.remove(&layer);
                if let Some(area) = edited {
                    let mut options = crate::edit::check::CheckOptions::around(&layer, area);
                    options.boundary = boundary.clone();
                    let job = crate::edit::check::spawn_check(&self.workspace, options);
                    editing.stop_checks.push((layer.clone(), job));
                }
                self.snapping.layers.retain(|l| *l != layer);
            }
            Reply::History((undo, redo)) => {
                editing.can_undo = undo;
                editing.can_redo = redo;
            }
            Reply::Applied(changed) => self.redraw_edit(*changed),
            Reply::Written(origin, result) => {
                let result = result.map(|changed| {
                    let applied = changed.applied.clone();
                    self.redraw_edit(*changed);
                    applied
                });
                self.take_written(origin, result);
            }
            Reply::Failed(e) => {
                self.notifications
                    .error(format!("{}: {e}", tr(lang, Key::EditFailed)));
            }
            // The snapping index follows the view; the panel reads it.
            Reply::ViewIndexed => {}
        }
    }

    /// Redraws only what the edit touched: those features' drawing,
    /// envelopes and index entries; the layer is not read again.
    fn redraw_edit(&mut self, changed: Changed) {
        let Changed {
            applied,
            redraw,
            committed,
            can_undo,
            can_redo,
        } = changed;
        let mut reload = Vec::new();
        for r in &redraw {
            if let Some(sel) = self.selection.get_mut(&r.layer) {
                for fid in &r.removed {
                    if sel.contains(fid) {
                        // The highlight is built again with the new shape.
                        self.highlighted.clear();
                    }
                }
                let gone: Vec<i64> = r
                    .removed
                    .iter()
                    .filter(|f| !r.features.iter().any(|g| g.fid == Some(**f)))
                    .copied()
                    .collect();
                for fid in gone {
                    sel.remove(&fid);
                }
            }
            let on_gpu = self.gpu.is_some();
            let Some(scene) = &mut self.scene else {
                continue;
            };
            let Some(layer) = scene.layers.iter_mut().find(|l| l.info.name == r.layer) else {
                continue;
            };
            match layer.patch(&r.removed, &r.features, on_gpu) {
                // The painter draws the patched features at once; on the
                // GPU the chunks of their grid cells are built again.
                Ok(boxes) if on_gpu => reload.push((r.layer.clone(), boxes)),
                Ok(_) => {}
                Err(e) => {
                    self.notifications.error(e.to_string());
                }
            }
        }
        for (layer, boxes) in reload {
            self.rebuild_cells(&layer, &boxes, committed);
        }
        // Open attribute tables of the edited layers read their rows again
        // (in the background; the rows shown stay until the new ones come).
        for table in &mut self.tables {
            if applied.layer(&table.layer.name).is_some() {
                let info = table.layer.clone();
                table.refresh(info);
            }
        }
        let editing = self.editing.as_mut().expect("a reply came from it");
        editing.can_undo = can_undo;
        editing.can_redo = can_redo;
        editing.last_redraw_ms = Some(committed.elapsed().as_secs_f64() * 1000.0);
        editing.last_description = Some(applied.description.clone());
        if std::env::var_os("TRAMGIS_TIMING").is_some() {
            eprintln!(
                "tramgis timing: edit {} redrawn {:.1} ms after its commit",
                applied.edit_id,
                committed.elapsed().as_secs_f64() * 1000.0
            );
        }
    }

    /// Tessellates again, off the UI thread, the grid cells of a layer's
    /// GPU chunks that the edited features' old and new boxes lie in.
    fn rebuild_cells(
        &mut self,
        layer: &str,
        boxes: &[crate::ui::map::Bbox],
        committed: std::time::Instant,
    ) {
        let (Some(gpu), Some(l), Some(editing)) =
            (self.gpu.clone(), self.layer(layer), &self.editing)
        else {
            return;
        };
        let (Some(grid), Some(all)) = (
            gpu.grid(layer),
            boxes
                .iter()
                .copied()
                .reduce(|a, b| crate::gpkg::geom::union(Some(a), b)),
        ) else {
            // Not binned by a grid (a layer loaded before): drawn again whole.
            self.reload_layer(layer);
            return;
        };
        let mut cells: Vec<u32> = boxes.iter().map(|b| grid.cell_of(*b)).collect();
        cells.sort_unstable();
        cells.dedup();
        let (info, style) = (l.info.clone(), l.style.clone());
        let (path, map_crs) = (self.workspace.clone(), self.map.crs.clone());
        let send = editing.gpu_redraws.0.clone();
        if let Some(e) = &mut self.editing {
            e.gpu_pending += 1;
        }
        let layer = layer.to_string();
        std::thread::spawn(move || {
            let chunks = crate::gpkg::GeoPackage::open_read_only(&path)
                .map_err(crate::render::RenderError::from)
                .and_then(|gpkg| {
                    crate::render::load::load_cells(
                        &gpkg, &info, &style, &map_crs, grid, &cells, all,
                    )
                })
                .map(|chunks| {
                    chunks
                        .iter()
                        .filter_map(|c| crate::render::GpuChunk::upload(&gpu.device, c))
                        .collect()
                });
            let _ = send.send(crate::ui::edit::GpuRedraw {
                layer,
                cells,
                chunks,
                committed,
            });
        });
    }

    /// Puts rebuilt GPU chunks in place; with `wait`, waits for those
    /// still being built.
    fn take_gpu_redraws(&mut self, wait: bool) {
        let (Some(gpu), Some(editing)) = (&self.gpu, &mut self.editing) else {
            return;
        };
        let mut done = Vec::new();
        while wait && editing.gpu_pending > done.len() {
            match editing.gpu_redraws.1.recv() {
                Ok(r) => done.push(r),
                Err(_) => break,
            }
        }
        done.extend(editing.gpu_redraws.1.try_iter());
        editing.gpu_pending -= done.len().min(editing.gpu_pending);
        for r in done {
            match r.chunks {
                Ok(chunks) => {
                    gpu.replace_cells(&r.layer, &r.cells, chunks);
                    editing.last_redraw_ms = Some(r.committed.elapsed().as_secs_f64() * 1000.0);
                    if std::env::var_os("TRAMGIS_TIMING").is_some() {
                        eprintln!(
                            "tramgis timing: edit on the GPU {:.1} ms after its commit ({} cells)",
                            r.committed.elapsed().as_secs_f64() * 1000.0,
                            r.cells.len()
                        );
                    }
                }
                Err(e) => {
                    self.notifications.error(e.to_string());
                }
            }
        }
    }

    /// The editing panel (docked on the right).
    pub(super) fn editing_panel(&mut self, ui: &mut egui::Ui) {
        let layers: Vec<String> = self
            .scene
            .as_ref()
            .map(|s| s.layers.iter().map(|l| l.info.name.clone()).collect())
            .unwrap_or_default();
        let sketch = self.tool.sketch(self.cursor);
        let last_vertex = self
            .tool
            .sketch(None)
            .as_ref()
            .and_then(crate::ui::panels::editing::last_vertex);
        let edited = (self.edited_layer(""))
            .and_then(|l| Some((l.clone(), self.layer(&l)?.info.crs.clone())));
        let cx = EditingContext {
            lang: self.lang,
            layers: &layers,
            editing: self.editing.as_ref(),
            active_layer: self.active_layer.as_deref(),
            tool: self.tool.kind(),
            snap_layers: &self.snapping.layers,
            sketch: sketch.as_ref(),
            last_vertex,
            map_crs: &self.map.crs,
            edited: edited.as_ref().map(|(l, crs)| (l.as_str(), crs)),
        };
        let asked = self.panels.editing.ui(ui, &cx);
        self.commands.extend(asked);
        // Tracing follows the layers snapping is on for, in the index the
        // editing thread keeps (never the store).
        let tracer = (self.panels.editing.tracing)
            .then_some(self.editing.as_ref())
            .flatten()
            .map(|e| crate::ui::tools::trace::Tracer {
                index: e.snap_index.clone(),
                layers: self.snapping.layers.clone(),
            });
        self.tool.set_tracer(tracer);
    }

    /// The snap marker where the pointer snapped this frame.
    pub(super) fn paint_snap_marker(
        &self,
        painter: &egui::Painter,
        cx: &ToolContext,
        hover: Option<MapPointer>,
    ) {
        let Some(editing) = &self.editing else { return };
        let Some(h) = hover.filter(|h| h.snapped && self.tool.snaps()) else {
            return;
        };
        let mark = editing.snap_mark.lock().ok().and_then(|m| *m);
        if let Some((at, kind)) = mark.filter(|(at, _)| *at == h.map) {
            crate::ui::edit::snapper::paint_marker(painter, cx.to_screen(at), kind);
        }
    }
}
