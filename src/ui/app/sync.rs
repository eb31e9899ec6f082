//! The Sync panel's side of the app: opening it, running its tasks in
//! the job registry (one at a time, with progress and Cancel in the panel
//! and the status bar) and handing each result back to it, so the map
//! reloads what a pull or a resolution changed.

use super::TramgisApp;
use crate::ui::i18n::{Lang, SyncKey};
use crate::ui::jobs::{JobKind, JobOutput};
use crate::ui::panels::sync::{self, Finished, Outcome, SyncPanel, Task};

impl TramgisApp {
    pub(super) fn open_sync(&mut self) {
        match &mut self.panels.sync {
            // Reopened: what changed since is read again.
            Some(panel) => panel.refresh(),
            None => self.panels.sync = Some(SyncPanel::new(&self.workspace)),
        }
    }

    /// Starts a panel's task unless one is running (the panel's buttons
    /// are off meanwhile; two syncs of one workspace would only wait on
    /// each other's lock).
    pub(super) fn start_sync(&mut self, label: String, task: Task) {
        if self.jobs.is_running(JobKind::Sync) {
            return;
        }
        let path = self.workspace.clone();
        self.jobs.start(JobKind::Sync, label, move |progress| {
            Ok(JobOutput::Synced(Box::new(sync::tasks::run(
                &path, task, progress,
            ))))
        });
    }

    /// A task finished: to the panel, or (closed meanwhile) a notification.
    pub(super) fn synced(&mut self, finished: Finished) {
        let asked = match &mut self.panels.sync {
            Some(panel) => panel.finished(finished),
            None => {
                let text = match &finished.outcome {
                    Outcome::Failed(e) => e.clone(),
                    _ => {
                        crate::ui::i18n::tr(self.lang, crate::ui::i18n::Key::Sync(SyncKey::NoPanel))
                            .to_string()
                    }
                };
                self.notifications.info(text);
                sync::reload_commands(finished.reload)
            }
        };
        self.commands.extend(asked);
    }

    /// An area drawn with the draw-area tool goes to the panel that asked
    /// for it: the Sync panel's checkout (as its box), else the analysis.
    pub(super) fn area_drawn(&mut self, area: geo_types::Polygon<f64>) {
        if let Some(panel) = &mut self.panels.sync
            && panel.remotes.take_drawn_box(&area, self.map.crs.epsg())
        {
            return;
        }
        if let Some(panel) = &mut self.panels.analysis {
            panel.set_drawn_area(area);
        }
    }

    /// The panel as a window, with the sync job in progress.
    pub(super) fn sync_window(&mut self, ctx: &egui::Context, lang: Lang) {
        let running = self.jobs.progress(JobKind::Sync);
        if let Some(panel) = &mut self.panels.sync {
            panel.remotes.map_view = self.view.map(|v| {
                let b = v.bounds();
                let (lo, hi) = (b.min(), b.max());
                ([lo.x, lo.y, hi.x, hi.y], self.map.crs.epsg())
            });
            let asked = panel.show(ctx, lang, running);
            self.commands.extend(asked);
            if !panel.open {
                self.panels.sync = None;
            }
        }
    }

    /// (done, total) of the sync job in progress (tests).
    pub fn sync_progress(&self) -> Option<(u64, u64)> {
        self.jobs.progress(JobKind::Sync).map(|(_, p)| p.get())
    }

    /// The Sync panel, when it is open (tests).
    pub fn sync_panel_mut(&mut self) -> Option<&mut SyncPanel> {
        self.panels.sync.as_mut()
    }

    /// Waits for the panel's task, applies what it asks (the map reloads)
    /// and waits for that and for the panel's overview (tests).
    pub fn finish_sync(&mut self) {
        for f in self.jobs.wait(&[JobKind::Sync]) {
            self.take_finished(f);
        }
        self.apply_all();
        self.finish_loading();
        if let Some(panel) = &mut self.panels.sync {
            panel.wait_overview();
        }
    }
}
