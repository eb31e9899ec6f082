//! The selection drawn by the GPU renderer: when the selection changes,
//! the selected features are read and tessellated in the highlight style
//! in a background job, and the result replaces the previous highlight.
//! (Without a GPU the painter outlines the selection itself.)

use super::TramgisApp;
use crate::jobs::{Job, Poll};
use crate::render::GpuLayer;

pub(super) use crate::render::load::SELECTION_SUFFIX;

pub(super) type HighlightJob = Job<Result<Vec<GpuLayer>, String>>;

impl TramgisApp {
    /// Starts rebuilding the highlight when the selection differs from the
    /// one shown, and takes in a finished rebuild.
    pub(super) fn update_highlight(&mut self, ctx: &egui::Context) {
        let Some(gpu) = &self.gpu else { return };
        if let Some(job) = &mut self.highlight_job {
            match job.poll() {
                Poll::Running => {
                    ctx.request_repaint_after(std::time::Duration::from_millis(50));
                    return;
                }
                Poll::Done(Ok(layers)) => gpu.set_highlight(layers),
                Poll::Done(Err(e)) => self.message = Some(e),
                Poll::Failed => {}
            }
            self.highlight_job = None;
            ctx.request_repaint();
        }
        if self.highlighted == self.selection || self.scene.is_none() {
            return;
        }
        self.highlighted = self.selection.clone();
        let selection: Vec<(String, Vec<i64>)> = self
            .selection
            .iter()
            .filter(|(_, fids)| !fids.is_empty())
            .map(|(layer, fids)| (layer.clone(), fids.iter().copied().collect()))
            .collect();
        let path = self.workspace.clone();
        let map_crs = self.map_crs.clone();
        let device = gpu.device.clone();
        self.highlight_job = Some(Job::spawn("selection", move |_| {
            let gpkg = crate::gpkg::GeoPackage::open_read_only(&path).map_err(|e| e.to_string())?;
            let mut layers = Vec::new();
            for (layer, fids) in selection {
                let info = gpkg.layer(&layer).map_err(|e| e.to_string())?;
                let mesh = crate::render::load::load_selection(&gpkg, &info, &fids, &map_crs)
                    .map_err(|e| format!("{layer}: {e}"))?;
                layers.push(GpuLayer::upload(&device, &mesh));
            }
            Ok(layers)
        }));
        ctx.request_repaint();
    }
}
