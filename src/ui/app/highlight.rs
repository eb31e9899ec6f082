//! The selection drawn by the GPU renderer: when the selection changes,
//! the selected features are read and tessellated in the highlight style
//! in a background job, and the result replaces the previous highlight.
//! (Without a GPU the painter outlines the selection itself.)

use super::TramgisApp;
use crate::render::GpuLayer;
use crate::ui::jobs::{JobError, JobKind, JobOutput};

pub(super) use crate::render::load::SELECTION_SUFFIX;

impl TramgisApp {
    /// Starts rebuilding the highlight when the selection differs from the
    /// one shown (a rebuild still running for an older one is dropped).
    pub(super) fn update_highlight(&mut self) {
        let Some(gpu) = &self.gpu else { return };
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
        let map_crs = self.map.crs.clone();
        let device = gpu.device.clone();
        self.jobs.start(JobKind::Highlight, "selection", move |_| {
            let gpkg = crate::gpkg::GeoPackage::open_read_only(&path)?;
            let mut layers = Vec::new();
            for (layer, fids) in selection {
                let info = gpkg.layer(&layer)?;
                let mesh = crate::render::load::load_selection(&gpkg, &info, &fids, &map_crs)
                    .map_err(JobError::Render)?;
                layers.push(GpuLayer::upload(&device, &mesh));
            }
            Ok(JobOutput::Highlight(layers))
        });
    }
}
