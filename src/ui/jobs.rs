//! The window's background work in one registry: loading the map, import
//! and export, the GPU highlight of the selection, identify and selection
//! queries, and every write to the workspace (styles, draw order, Save
//! As). The UI thread never opens or reads the store itself; it starts a
//! job, polls the registry once a frame, and applies what finished.
//!
//! Of the queries (load, highlight, identify, select) only the newest of
//! each kind counts: starting one cancels the one before. Writes queue and
//! run one after another, in the order they were asked for, so two style
//! saves of a layer land in order.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;

use super::command::SelectMode;
use super::i18n::{Key, Lang, tr};
use super::map::Selection;
use super::panels::identify::Identified;
use crate::jobs::{Cancelled, Job, Poll, Progress};

/// How often a running job's progress is redrawn. No spinner: an animated
/// widget repaints every frame, which on a software rasteriser takes the
/// CPU from the very job being waited for.
const PROGRESS_REFRESH: Duration = Duration::from_millis(1000);

/// How soon to look again for a query the user waits on (a click, a box).
const QUERY_REFRESH: Duration = Duration::from_millis(30);

/// Why a job failed. Each variant keeps its source's own error, which
/// names the file, layer, feature and field.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Store(#[from] crate::gpkg::GpkgError),
    #[error(transparent)]
    Transfer(#[from] crate::io::IoError),
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
    #[error(transparent)]
    Sync(#[from] crate::sync::SyncError),
    #[error("{layer}: {source}")]
    Crs {
        layer: String,
        source: crate::crs::CrsError,
    },
    #[error("{layer}, feature {fid}: {source}")]
    Reproject {
        layer: String,
        fid: i64,
        source: crate::crs::CrsError,
    },
    /// Layers that could not be loaded, each with its reason; the others are on the map.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Layers(Vec<JobError>),
    /// A panel's read refused for a reason of its own (a feature gone,
    /// a broken rule), in its own words.
    #[error("{0}")]
    Form(String),
    #[error("'{job}' stopped unexpectedly (a fault in tramgis; please report it)")]
    Panicked { job: String },
}

/// What kind of work a job does: the registry keeps one query of each
/// kind, and runs writes in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Load,
    Import,
    Export,
    Identify,
    Select,
    /// Changes the workspace file.
    Write,
    /// A Sync panel's task: talks to the portal and writes the workspace.
    Sync,
}

impl JobKind {
    /// Whether a newer job of the kind replaces a running one.
    fn newest_only(self) -> bool {
        matches!(self, JobKind::Load | JobKind::Identify | JobKind::Select)
    }
}

/// What a finished job hands back to the app.
pub enum JobOutput {
    /// The layers came through the load's channel; Err: cancelled.
    Loaded(Result<(), Cancelled>),
    Imported(Box<crate::io::ImportReport>),
    Exported {
        written: u64,
        path: PathBuf,
        warnings: Vec<String>,
    },
    Identified(Vec<Identified>),
    Selected {
        selection: Selection,
        mode: SelectMode,
    },
    StyleSaved,
    OrderSaved,
    SavedAs(PathBuf),
    /// A Sync panel's task finished (cancelled and failed ones too: they
    /// were logged, and the map reloads what they may have written).
    Synced(Box<super::panels::sync::Finished>),
}

pub type JobResult = Result<JobOutput, JobError>;

type Work = Box<dyn FnOnce(&Progress) -> JobResult + Send>;

pub struct Finished {
    pub kind: JobKind,
    pub label: String,
    pub result: JobResult,
}

struct Running {
    kind: JobKind,
    job: Job<JobResult>,
}

#[derive(Default)]
pub struct Jobs {
    running: Vec<Running>,
    writes: VecDeque<(String, Work)>,
}

impl Jobs {
    /// Starts a job (a write waits for the writes before it).
    pub fn start(
        &mut self,
        kind: JobKind,
        label: impl Into<String>,
        work: impl FnOnce(&Progress) -> JobResult + Send + 'static,
    ) {
        let label = label.into();
        if kind == JobKind::Write {
            self.writes.push_back((label, Box::new(work)));
            self.next_write();
            return;
        }
        if kind.newest_only() {
            self.cancel(kind);
        }
        self.running.push(Running {
            kind,
            job: Job::spawn(label, work),
        });
    }

    fn next_write(&mut self) {
        if self.is_running(JobKind::Write) {
            return;
        }
        if let Some((label, work)) = self.writes.pop_front() {
            self.running.push(Running {
                kind: JobKind::Write,
                job: Job::spawn(label, work),
            });
        }
    }

    /// Stops the jobs of a kind; their results are never applied.
    pub fn cancel(&mut self, kind: JobKind) {
        self.running.retain(|r| {
            if r.kind == kind {
                r.job.progress.cancel();
            }
            r.kind != kind
        });
    }

    pub fn is_running(&self, kind: JobKind) -> bool {
        self.running.iter().any(|r| r.kind == kind)
    }

    /// The label and progress of the running job of a kind.
    pub fn progress(&self, kind: JobKind) -> Option<(&str, &Progress)> {
        self.running
            .iter()
            .find(|r| r.kind == kind)
            .map(|r| (r.job.label.as_str(), &*r.job.progress))
    }

    /// The jobs that finished since the last poll; asks for a redraw while
    /// any is still running.
    pub fn poll(&mut self, ctx: Option<&egui::Context>) -> Vec<Finished> {
        let mut done = Vec::new();
        let mut k = 0;
        while k < self.running.len() {
            let result = match self.running[k].job.poll() {
                Poll::Running => {
                    k += 1;
                    continue;
                }
                Poll::Done(r) => r,
                Poll::Failed => Err(JobError::Panicked {
                    job: self.running[k].job.label.clone(),
                }),
            };
            let r = self.running.remove(k);
            done.push(Finished {
                kind: r.kind,
                label: r.job.label,
                result,
            });
        }
        self.next_write();
        if let Some(ctx) = ctx {
            if self
                .running
                .iter()
                .any(|r| r.kind.newest_only() && r.kind != JobKind::Load)
            {
                ctx.request_repaint_after(QUERY_REFRESH);
            } else if !self.running.is_empty() {
                ctx.request_repaint_after(PROGRESS_REFRESH);
            }
        }
        done
    }

    /// Waits for every job of these kinds, queued writes included (tests,
    /// and closing the window, which must not lose a write).
    pub fn wait(&mut self, kinds: &[JobKind]) -> Vec<Finished> {
        let mut done = Vec::new();
        while let Some(k) = self.running.iter().position(|r| kinds.contains(&r.kind)) {
            let r = self.running.remove(k);
            let label = r.job.label.clone();
            let result = r
                .job
                .wait()
                .unwrap_or(Err(JobError::Panicked { job: label.clone() }));
            done.push(Finished {
                kind: r.kind,
                label,
                result,
            });
            self.next_write();
        }
        done
    }

    /// The long jobs in the status bar: what, how far, and a cancel button.
    pub fn status(&self, ui: &mut egui::Ui, lang: Lang) -> bool {
        let mut any = false;
        for r in &self.running {
            let label = match r.kind {
                JobKind::Load => format!("{} {}", tr(lang, Key::Loading), r.job.label),
                JobKind::Import
                | JobKind::Export
                | JobKind::Select
                | JobKind::Write
                | JobKind::Sync => r.job.label.clone(),
                JobKind::Identify => continue,
            };
            any = true;
            ui.label(label);
            if let Some(f) = r.job.progress.fraction() {
                ui.add(
                    egui::ProgressBar::new(f)
                        .desired_width(160.0)
                        .show_percentage(),
                );
            }
            if r.kind != JobKind::Write && ui.button(tr(lang, Key::Cancel)).clicked() {
                r.job.progress.cancel();
            }
        }
        any
    }
}

/// How long one try of a panel's read waits for another program's lock,
/// and how long it sleeps before the next try.
const LOCK_TRY: Duration = Duration::from_millis(250);
const LOCK_RETRY: Duration = Duration::from_millis(50);

/// A read of the workspace that a panel owns (a window of table rows, a
/// form's feature, a style's classes): it runs on its own thread, is tried
/// again while another program (QGIS) holds the file's lock, wakes the
/// window when it is done, and is cancelled when dropped. The panel polls
/// it each frame; a frame never waits on the store.
pub struct StoreRead<T: Send + 'static> {
    job: Option<Job<Result<T, JobError>>>,
    /// The result, once waited for and not yet taken.
    ready: Option<Result<T, JobError>>,
    /// The window to wake once the result is in (set on the first poll).
    waker: std::sync::Arc<std::sync::OnceLock<egui::Context>>,
}

impl<T: Send + 'static> StoreRead<T> {
    /// Runs `read` on a read-only connection to `path` in the background.
    pub fn start(
        label: impl Into<String>,
        path: PathBuf,
        mut read: impl FnMut(&crate::gpkg::GeoPackage, &Progress) -> Result<T, JobError>
        + Send
        + 'static,
    ) -> Self {
        Self::spawn(label, move |p| read_retrying(&path, p, &mut read))
    }

    /// Runs `write` (one edit of the workspace) on a read-write connection
    /// to `path` in the background, like a read: the frame never waits.
    /// Unlike a read it runs once: another program's lock past the store's
    /// busy timeout is its error, shown to the user, who decides to retry.
    pub fn start_write(
        label: impl Into<String>,
        path: PathBuf,
        write: impl FnOnce(&mut crate::gpkg::GeoPackage, &Progress) -> Result<T, JobError>
        + Send
        + 'static,
    ) -> Self {
        Self::spawn(label, move |p| {
            let mut gpkg = crate::gpkg::GeoPackage::open(&path)?;
            write(&mut gpkg, p)
        })
    }

    /// Runs `work` on its own thread, waking the window when it is done.
    fn spawn(
        label: impl Into<String>,
        work: impl FnOnce(&Progress) -> Result<T, JobError> + Send + 'static,
    ) -> Self {
        let waker = std::sync::Arc::new(std::sync::OnceLock::<egui::Context>::new());
        let wake = waker.clone();
        let job = Job::spawn(label, move |p| {
            let result = work(p);
            if let Some(ctx) = wake.get() {
                ctx.request_repaint();
            }
            result
        });
        StoreRead {
            job: Some(job),
            ready: None,
            waker,
        }
    }

    /// The result once the read is done (once; None before and after).
    pub fn poll(&mut self, ctx: &egui::Context) -> Option<Result<T, JobError>> {
        let _ = self.waker.set(ctx.clone());
        let result = self.take();
        if result.is_none() && self.job.is_some() {
            // The job wakes the window itself; this is only a fallback.
            ctx.request_repaint_after(PROGRESS_REFRESH);
        }
        result
    }

    /// The result if the read is done, without a window to wake.
    pub fn take(&mut self) -> Option<Result<T, JobError>> {
        if let Some(result) = self.ready.take() {
            return Some(result);
        }
        let job = self.job.as_mut()?;
        let result = match job.poll() {
            Poll::Running => return None,
            Poll::Done(result) => result,
            Poll::Failed => Err(JobError::Panicked {
                job: job.label.clone(),
            }),
        };
        self.job = None;
        Some(result)
    }

    /// Waits until the read is done (tests); its result is then what the
    /// next poll gives.
    pub fn wait(&mut self) {
        if let Some(job) = self.job.take() {
            let label = job.label.clone();
            self.ready = Some(job.wait().unwrap_or(Err(JobError::Panicked { job: label })));
        }
    }

    /// Whether the result is yet to be taken.
    pub fn is_pending(&self) -> bool {
        self.job.is_some() || self.ready.is_some()
    }
}

impl<T: Send + 'static> Drop for StoreRead<T> {
    fn drop(&mut self) {
        if let Some(job) = &self.job {
            job.progress.cancel();
        }
    }
}

/// Opens the workspace read-only and runs `read`, again and again while
/// the file is locked by another program, until it gets through or the
/// read is cancelled (then the last lock error is returned, to no one).
fn read_retrying<T>(
    path: &std::path::Path,
    progress: &Progress,
    read: &mut impl FnMut(&crate::gpkg::GeoPackage, &Progress) -> Result<T, JobError>,
) -> Result<T, JobError> {
    use crate::gpkg::{GeoPackage, GpkgError, OpenOptions};
    let options = OpenOptions {
        read_only: true,
        busy_timeout: LOCK_TRY,
        ..OpenOptions::default()
    };
    loop {
        let result = GeoPackage::open_with(path, &options)
            .map_err(JobError::from)
            .and_then(|gpkg| read(&gpkg, progress));
        match result {
            Err(JobError::Store(GpkgError::Locked { .. })) if !progress.is_cancelled() => {
                std::thread::sleep(LOCK_RETRY);
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_run_in_order_and_a_newer_query_replaces_the_older() {
        let mut jobs = Jobs::default();
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        for k in 0..3 {
            let order = order.clone();
            jobs.start(JobKind::Write, format!("write {k}"), move |_| {
                std::thread::sleep(Duration::from_millis(10 * (3 - k)));
                order.lock().unwrap().push(k);
                Ok(JobOutput::OrderSaved)
            });
        }
        jobs.start(JobKind::Select, "old", |p| {
            while !p.is_cancelled() {
                std::thread::sleep(Duration::from_millis(1));
            }
            Ok(JobOutput::StyleSaved)
        });
        jobs.start(JobKind::Select, "new", |_| Ok(JobOutput::StyleSaved));
        let done = jobs.wait(&[JobKind::Write, JobKind::Select]);
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2]);
        let labels: Vec<&str> = done
            .iter()
            .filter(|f| f.kind == JobKind::Select)
            .map(|f| f.label.as_str())
            .collect();
        assert_eq!(labels, ["new"]);
    }
}
