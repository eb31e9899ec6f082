//! Work over a slice on every core (2 on the province's machines), in
//! chunks taken from a shared counter so a slow chunk does not hold up the
//! others; results come back in input order.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::analysis::{AnalysisError, Result};
use crate::jobs::{Cancelled, Progress};

const CHUNK: usize = 512;

/// `f` over every item, in order. Advances `progress` by one per item when
/// `count` is set. Stops at the first error or on cancel.
pub(super) fn map<T: Sync, R: Send>(
    items: &[T],
    progress: &Progress,
    count: bool,
    f: impl Fn(&T) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    map_in_chunks(items, CHUNK, progress, count, f)
}

/// [`map`] with chunks of `chunk` items (1 for a few costly items).
pub(super) fn map_in_chunks<T: Sync, R: Send>(
    items: &[T],
    chunk_len: usize,
    progress: &Progress,
    count: bool,
    f: impl Fn(&T) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(items.len().div_ceil(chunk_len).max(1));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let failure: Mutex<Option<AnalysisError>> = Mutex::new(None);
    let done: Mutex<Vec<(usize, Vec<R>)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let chunk = next.fetch_add(1, Ordering::Relaxed);
                    let start = chunk * chunk_len;
                    if start >= items.len() || stop.load(Ordering::Relaxed) {
                        return;
                    }
                    if progress.is_cancelled() {
                        stop.store(true, Ordering::Relaxed);
                        failure.lock().unwrap().get_or_insert(Cancelled.into());
                        return;
                    }
                    let end = (start + chunk_len).min(items.len());
                    let mut out = Vec::with_capacity(end - start);
                    for item in &items[start..end] {
                        match f(item) {
                            Ok(r) => out.push(r),
                            Err(e) => {
                                stop.store(true, Ordering::Relaxed);
                                failure.lock().unwrap().get_or_insert(e);
                                return;
                            }
                        }
                    }
                    if count {
                        progress.advance((end - start) as u64);
                    }
                    done.lock().unwrap().push((chunk, out));
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().unwrap() {
        return Err(e);
    }
    let mut done = done.into_inner().unwrap();
    done.sort_unstable_by_key(|(chunk, _)| *chunk);
    Ok(done.into_iter().flat_map(|(_, out)| out).collect())
}
