//! The Sync panel (menu "Đồng bộ", issue 11): the workspace's remotes
//! (add with the protocol asked of the server, remove), per remote its
//! layer mappings with the local changes waiting and the open conflicts,
//! Sync / Push / Pull / Checkout as background jobs with progress and
//! Cancel, the open conflicts side by side (mine / theirs / base, and
//! the three geometries) with Keep mine, Take theirs and a field-by-field
//! merge, and the sync log.
//!
//! The panel never opens the store on the UI thread: its overview is a
//! read of its own (`StoreRead`), and everything that writes is a
//! [`tasks::Task`] the app runs in its job registry
//! (`AppCommand::StartSync`), handing the result back through
//! [`SyncPanel::finished`]. Passwords and tokens typed here live in the
//! panel for this session only; the workspace never sees them.

mod conflicts;
mod geometry;
mod log;
mod remotes;
pub mod tasks;

use std::path::{Path, PathBuf};

use crate::jobs::Progress;
use crate::ui::command::AppCommand;
use crate::ui::i18n::{Key, Lang, SyncKey, tr};
use crate::ui::jobs::StoreRead;
pub use conflicts::{ConflictsView, Side};
pub use remotes::{AddForm, CheckoutForm, RemotesView};
pub use tasks::{Finished, Outcome, Overview, Reload, Task};

/// How often the shown panel reads its overview again.
const REFRESH: std::time::Duration = std::time::Duration::from_secs(5);

/// The panel's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Remotes,
    Conflicts,
    Log,
}

pub struct SyncPanel {
    path: PathBuf,
    pub open: bool,
    pub tab: Tab,
    /// The overview being read (after opening, after each task, and
    /// every [`REFRESH`] while shown, so edits show in the counts).
    read: Option<StoreRead<Overview>>,
    /// When the last overview read started.
    read_at: std::time::Instant,
    /// The last overview read.
    pub overview: Option<Overview>,
    /// Why the last read or task failed.
    pub error: Option<String>,
    /// What the last task came to.
    pub last: Option<Outcome>,
    pub remotes: RemotesView,
    pub conflicts: ConflictsView,
}

/// A label of the panel in the window's language.
pub(crate) fn t(lang: Lang, key: SyncKey) -> &'static str {
    tr(lang, Key::Sync(key))
}

impl SyncPanel {
    pub fn new(path: &Path) -> Self {
        let mut panel = SyncPanel {
            path: path.to_path_buf(),
            open: true,
            tab: Tab::Remotes,
            read: None,
            read_at: std::time::Instant::now(),
            overview: None,
            error: None,
            last: None,
            remotes: RemotesView::default(),
            conflicts: ConflictsView::default(),
        };
        panel.refresh();
        panel
    }

    /// Reads the overview again (in the background).
    pub fn refresh(&mut self) {
        self.read_at = std::time::Instant::now();
        self.read = Some(StoreRead::start(
            "sync overview",
            self.path.clone(),
            |gpkg, _| Ok(tasks::overview(gpkg)?),
        ));
    }

    /// Waits for the overview being read and takes it in (tests).
    pub fn wait_overview(&mut self) {
        if let Some(read) = &mut self.read {
            read.wait();
            let result = read.take();
            self.read = None;
            if let Some(r) = result {
                self.take_overview(r);
            }
        }
    }

    fn take_overview(&mut self, r: Result<Overview, crate::ui::jobs::JobError>) {
        match r {
            Ok(o) => {
                self.conflicts.keep_valid(&o.conflicts);
                self.overview = Some(o);
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// A task of the panel finished (the app hands it over): the outcome
    /// shows, the overview is read again and the map reloads what the
    /// task may have changed.
    pub fn finished(&mut self, f: Finished) -> Vec<AppCommand> {
        self.error = match &f.outcome {
            Outcome::Failed(e) => Some(e.clone()),
            _ => None,
        };
        self.last = Some(f.outcome);
        self.refresh();
        reload_commands(f.reload)
    }

    /// The panel as a window; `running` is the sync job in progress.
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        lang: Lang,
        running: Option<(&str, &Progress)>,
    ) -> Vec<AppCommand> {
        let mut asked = Vec::new();
        let mut open = self.open;
        egui::Window::new(t(lang, SyncKey::Title))
            .id(egui::Id::unique("sync-panel"))
            .open(&mut open)
            .default_size([720.0, 560.0])
            .vscroll(true)
            .show(ctx, |ui| asked = self.ui(ui, lang, running));
        self.open &= open;
        asked
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        running: Option<(&str, &Progress)>,
    ) -> Vec<AppCommand> {
        if let Some(read) = &mut self.read
            && let Some(r) = read.poll(ui.ctx())
        {
            self.read = None;
            self.take_overview(r);
        }
        // Edits made meanwhile change the counts of changes waiting.
        if self.read.is_none() && running.is_none() {
            if self.read_at.elapsed() >= REFRESH {
                self.refresh();
            } else {
                ui.ctx().request_repaint_after(REFRESH);
            }
        }
        let mut asked = Vec::new();
        ui.horizontal(|ui| {
            let open_conflicts = self.overview.as_ref().map_or(0, |o| o.conflicts.len());
            let conflicts = format!("{} ({open_conflicts})", t(lang, SyncKey::Conflicts));
            ui.selectable_value(&mut self.tab, Tab::Remotes, t(lang, SyncKey::Remotes));
            ui.selectable_value(&mut self.tab, Tab::Conflicts, conflicts);
            ui.selectable_value(&mut self.tab, Tab::Log, t(lang, SyncKey::Log));
            ui.separator();
            if ui.button(t(lang, SyncKey::Refresh)).clicked() {
                self.refresh();
            }
        });
        self.job_row(ui, lang, running);
        ui.separator();
        let busy = running.is_some();
        let Some(overview) = &self.overview else {
            ui.label(tr(lang, Key::Loading));
            return asked;
        };
        match self.tab {
            Tab::Remotes => self.remotes.ui(ui, lang, overview, busy, &mut asked),
            Tab::Conflicts => self.conflicts.ui(ui, lang, overview, busy, &mut asked),
            Tab::Log => log::ui(ui, lang, &overview.log),
        }
        asked
    }

    /// The running job (progress, Cancel) or the last one's outcome.
    fn job_row(&self, ui: &mut egui::Ui, lang: Lang, running: Option<(&str, &Progress)>) {
        ui.horizontal_wrapped(|ui| {
            if let Some((label, progress)) = running {
                ui.label(label);
                let (done, total) = progress.get();
                let bar =
                    egui::ProgressBar::new(progress.fraction().unwrap_or(0.0)).desired_width(200.0);
                ui.add(if total > 0 {
                    bar.text(format!("{done} / {total}"))
                } else {
                    bar
                });
                if progress.is_cancelled() {
                    ui.label(t(lang, SyncKey::Cancelling));
                } else if ui.button(tr(lang, Key::Cancel)).clicked() {
                    // The operation stops at its next step, logs itself
                    // as cancelled and keeps what it had made whole.
                    progress.cancel();
                }
                return;
            }
            match &self.last {
                Some(Outcome::Done(Some(s))) => {
                    ui.label(format!(
                        "{}: {} — {}",
                        s.operation,
                        log::outcome_label(lang, &s.outcome),
                        log::counts(lang, s)
                    ));
                }
                Some(Outcome::Done(None)) => {
                    ui.label(t(lang, SyncKey::Done));
                }
                Some(Outcome::Cancelled) => {
                    ui.label(tr(lang, Key::Cancelled));
                }
                Some(Outcome::Failed(_)) | None => {}
            }
        });
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
    }
}

/// What the map reloads after a task.
pub fn reload_commands(reload: Reload) -> Vec<AppCommand> {
    match reload {
        Reload::Nothing => Vec::new(),
        Reload::Layers(layers) if layers.is_empty() => Vec::new(),
        Reload::Layers(layers) => vec![AppCommand::LoadLayers(layers)],
        Reload::Workspace => vec![AppCommand::ReloadWorkspace],
    }
}

/// The command that runs a task in the app's job registry.
fn start(label: String, task: Task) -> AppCommand {
    AppCommand::StartSync {
        label,
        task: Box::new(task),
    }
}
