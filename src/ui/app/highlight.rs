//! The selection drawn by the GPU renderer: when the selection changes,
//! the layers on the GPU get new selection flags, and the renderer's
//! highlight pass draws the flagged features of their own chunks over
//! everything (no feature is read or tessellated again; see
//! `render::selection`). Without a GPU the painter outlines the selection
//! itself.

use super::TramgisApp;

impl TramgisApp {
    /// Shows the selection on the GPU when it differs from the one shown.
    pub(super) fn update_highlight(&mut self) {
        let Some(gpu) = &self.gpu else { return };
        if self.highlighted == self.selection || self.scene.is_none() {
            return;
        }
        let started = std::time::Instant::now();
        gpu.select(&self.selection);
        self.highlighted = self.selection.clone();
        if std::env::var_os("TRAMGIS_TIMING").is_some() {
            eprintln!(
                "tramgis timing: selection flags set in {:.1} ms",
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
}
