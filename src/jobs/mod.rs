//! Background work with progress and cancellation. The UI starts a job,
//! polls it each frame and shows its progress; nothing heavy runs on the UI
//! thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::thread::JoinHandle;

/// Shared between a job and whoever watches it.
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicU64,
    total: AtomicU64,
    cancelled: AtomicBool,
}

impl Progress {
    pub fn set_total(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }

    pub fn advance(&self, by: u64) {
        self.done.fetch_add(by, Ordering::Relaxed);
    }

    /// (done, total); total is 0 while unknown.
    pub fn get(&self) -> (u64, u64) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }

    pub fn fraction(&self) -> Option<f32> {
        let (done, total) = self.get();
        (total > 0).then(|| (done as f64 / total as f64).min(1.0) as f32)
    }

    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}

/// A job returned this instead of a value because it was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;

/// A running job producing `T`.
pub struct Job<T> {
    pub label: String,
    pub progress: Arc<Progress>,
    result: Receiver<T>,
    handle: Option<JoinHandle<()>>,
}

pub enum Poll<T> {
    Running,
    Done(T),
    /// The job's thread panicked: a bug, reported rather than hidden.
    Failed,
}

impl<T: Send + 'static> Job<T> {
    pub fn spawn(
        label: impl Into<String>,
        work: impl FnOnce(&Progress) -> T + Send + 'static,
    ) -> Self {
        let progress = Arc::new(Progress::default());
        let (tx, rx) = channel();
        let p = progress.clone();
        let handle = std::thread::Builder::new()
            .name("tramgis-job".into())
            .spawn(move || {
                let _ = tx.send(work(&p));
            })
            .expect("a thread can be started");
        Job {
            label: label.into(),
            progress,
            result: rx,
            handle: Some(handle),
        }
    }

    pub fn poll(&mut self) -> Poll<T> {
        match self.result.try_recv() {
            Ok(v) => {
                if let Some(h) = self.handle.take() {
                    let _ = h.join();
                }
                Poll::Done(v)
            }
            Err(TryRecvError::Empty) => Poll::Running,
            Err(TryRecvError::Disconnected) => Poll::Failed,
        }
    }

    /// Waits for the result (tests and the CLI).
    pub fn wait(mut self) -> Option<T> {
        let v = self.result.recv().ok();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_reports_progress_and_can_be_cancelled() {
        let job = Job::spawn("count", |p| {
            p.set_total(1_000_000);
            for i in 0..1_000_000u64 {
                if p.is_cancelled() {
                    return Err(Cancelled);
                }
                p.advance(1);
                if i == 10 {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
            }
            Ok(())
        });
        std::thread::sleep(std::time::Duration::from_millis(10));
        job.progress.cancel();
        assert_eq!(job.wait(), Some(Err(Cancelled)));
    }
}
