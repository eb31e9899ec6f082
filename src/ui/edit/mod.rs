//! The window's editing state. One editing thread per open workspace owns
//! the writable connection ([`worker`]); the window sends it
//! [`Request`]s and takes its [`Reply`]s each frame, so an edit's commit
//! never blocks drawing. A committed edit comes back as [`Changed`]: the
//! fids it inserted, updated and deleted per layer, and those features
//! read back in map coordinates, which is all the map redraws.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Instant;

use crate::crs::Crs;
use crate::edit::snap::{SnapIndex, SnapKind, SnapOptions};
use crate::model::Feature;

pub mod operation;
pub mod snapper;
mod worker;

pub use operation::Operation;

/// Why an edit was not made. The file is as it was before it.
#[derive(Debug, thiserror::Error)]
pub enum EditFailure {
    #[error(transparent)]
    Edit(#[from] crate::edit::EditError),
    #[error(transparent)]
    Store(#[from] crate::gpkg::GpkgError),
    #[error(transparent)]
    Crs(#[from] crate::crs::CrsError),
    #[error(transparent)]
    Rules(#[from] crate::edit::domains::DomainError),
    #[error(transparent)]
    Fix(#[from] crate::edit::check::FixError),
    #[error(transparent)]
    Gnss(#[from] crate::edit::gnss::GnssError),
    #[error(transparent)]
    Snap(#[from] crate::edit::snap::SnapError),
    #[error(transparent)]
    Refused(Box<crate::edit::rules::DomainViolation>),
    #[error("{layer}: feature {fid} is not in the layer")]
    Missing { layer: String, fid: i64 },
    #[error("the editing thread has stopped")]
    Gone,
}

/// The panel that asked for a [`Write`]: its reply goes back there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    AttributeForm,
    Validation,
    Gnss,
}

/// A panel's write, in the layer's coordinates (the panels read features
/// through the store). Like a tool's edit, it needs the layer in editing.
#[derive(Debug, Clone)]
pub enum Write {
    /// The attribute form: an existing feature's values (the fid set), or
    /// a new feature with its values and geometry (no fid).
    Feature {
        layer: String,
        feature: Feature,
        description: String,
    },
    /// The validation panel's fix of one finding.
    Fix {
        finding: Box<crate::edit::check::Finding>,
        options: crate::edit::check::CheckOptions,
    },
    /// The GNSS panel: moves a feature to the fix, writing its accuracy
    /// and time into the chosen fields.
    MoveToFix {
        layer: String,
        fid: i64,
        fix: crate::edit::gnss::Fix,
        fields: crate::edit::gnss::FixFields,
    },
}

/// What the window asks the editing thread.
#[derive(Debug, Clone)]
pub enum Request {
    Start(String),
    Stop(String),
    SetMapCrs(Crs),
    /// Index these layers for snapping (in map coordinates).
    SnapTo(Vec<String>),
    /// The map box the window shows: the snapping index follows it (the
    /// view and a margin), off for a layer whose area holds more than
    /// `max_features`. Only the latest queued one is read.
    View {
        area: geo_types::Rect<f64>,
        max_features: u64,
    },
    Apply(Operation),
    Undo,
    Redo,
    Write(Origin, Write),
    /// The editor's name for the next edits' journal rows.
    SetUser(String),
}

/// The features of one layer to draw again: the old drawing of every
/// `removed` fid goes; `features` (map coordinates) are drawn instead.
#[derive(Debug, Clone)]
pub struct Redraw {
    pub layer: String,
    pub removed: Vec<i64>,
    pub features: Vec<Feature>,
}

/// A committed edit (or undo, or redo).
#[derive(Debug, Clone)]
pub struct Changed {
    /// B's record of the edit: its id, description and fids per layer.
    pub applied: crate::edit::Applied,
    pub redraw: Vec<Redraw>,
    /// When the commit and the read-back were done (for the redraw figure).
    pub committed: Instant,
    pub can_undo: bool,
    pub can_redo: bool,
}

pub enum Reply {
    Started(String),
    /// With the box of the polygons edited meanwhile (layer coordinates).
    Stopped(String, Option<geo_types::Rect<f64>>),
    Applied(Box<Changed>),
    /// Whether undo and redo have something to do.
    History((bool, bool)),
    Failed(EditFailure),
    /// A panel's write: committed (redrawn like any edit) or refused.
    Written(Origin, Result<Box<Changed>, EditFailure>),
    /// A [`Request::View`] was taken in (the index follows the view; a
    /// layer off at this scale says so through `SnapLayer::too_many`).
    ViewIndexed,
}

/// The snapping settings the editing panel changes.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapSettings {
    pub options: SnapOptions,
    pub tolerance_px: f64,
    /// Snapping to a layer is off while the view and its margin hold more
    /// of its features than this (zoomed out too far).
    pub max_features: u64,
}

impl Default for SnapSettings {
    fn default() -> Self {
        SnapSettings {
            options: SnapOptions::default(),
            tolerance_px: 10.0,
            max_features: crate::edit::snap::AreaLimits::default().max_features,
        }
    }
}

/// The last snap, for the marker drawn over the map.
pub type SnapMark = Arc<Mutex<Option<([f64; 2], SnapKind)>>>;

/// The editing thread of the open workspace and what the window knows of it.
pub struct Editing {
    path: PathBuf,
    requests: Sender<Request>,
    replies: Receiver<Reply>,
    wake: Arc<OnceLock<egui::Context>>,
    /// Requests sent and not answered yet.
    in_flight: usize,
    /// The layers being edited.
    pub layers: BTreeSet<String>,
    pub can_undo: bool,
    pub can_redo: bool,
    /// Moving a vertex moves it in the neighbours that share it.
    pub topological: bool,
    /// With layers, a new polygon is cut against their polygons.
    pub avoid_overlaps: Option<Vec<String>>,
    pub snap_index: Arc<RwLock<SnapIndex>>,
    pub snap: Arc<RwLock<SnapSettings>>,
    pub snap_mark: SnapMark,
    /// Milliseconds from the last edit's commit to its features being
    /// rebuilt for the map.
    pub last_redraw_ms: Option<f64>,
    pub last_description: Option<String>,
    /// GPU chunks rebuilt for an edit, from the thread that built them.
    pub gpu_redraws: (Sender<GpuRedraw>, Receiver<GpuRedraw>),
    /// GPU rebuilds started and not put in place yet.
    pub gpu_pending: usize,
    /// The checks of layers whose editing stopped (layer, job).
    pub stop_checks: Vec<(String, StopCheck)>,
    /// The last view box sent for snapping, with its feature limit.
    snap_view: Option<(geo_types::Rect<f64>, u64)>,
    /// The editing thread, joined on drop.
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Editing {
    /// Closes the editing thread's inbox and waits for it: the edits it
    /// was sent are committed, and its connections and PROJ contexts are
    /// closed, before the window (and perhaps the process) goes. A thread
    /// left running raced the process's exit handlers over PROJ's and
    /// SQLite's teardown and corrupted the heap ("malloc_consolidate()").
    fn drop(&mut self) {
        drop(std::mem::replace(&mut self.requests, channel().0));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The validation run around a layer's edits when its editing stops.
pub type StopCheck =
    crate::jobs::Job<Result<crate::edit::check::Report, crate::edit::check::CheckError>>;

/// The chunks of some grid cells of a layer, tessellated again and
/// uploaded after an edit.
pub struct GpuRedraw {
    pub layer: String,
    pub cells: Vec<u32>,
    pub chunks: Result<Vec<crate::render::GpuChunk>, crate::render::RenderError>,
    pub committed: Instant,
}

impl Editing {
    /// Starts the editing thread of a workspace; nothing is opened for
    /// writing until a layer's editing starts.
    pub fn new(path: &Path, user: String, map_crs: Crs) -> Self {
        let (requests, inbox) = channel();
        let (outbox, replies) = channel();
        let wake: Arc<OnceLock<egui::Context>> = Arc::new(OnceLock::new());
        let snap_index = Arc::new(RwLock::new(SnapIndex::default()));
        let (p, w, s) = (path.to_path_buf(), wake.clone(), snap_index.clone());
        let thread = std::thread::Builder::new()
            .name("tramgis-edit".into())
            .spawn(move || {
                worker::run(p, user, map_crs, s, inbox, outbox, move || {
                    if let Some(ctx) = w.get() {
                        ctx.request_repaint();
                    }
                })
            })
            .expect("spawning the editing thread");
        Editing {
            path: path.to_path_buf(),
            requests,
            replies,
            wake,
            in_flight: 0,
            layers: BTreeSet::new(),
            can_undo: false,
            can_redo: false,
            topological: true,
            avoid_overlaps: None,
            snap_index,
            snap: Arc::new(RwLock::new(SnapSettings::default())),
            snap_mark: Arc::new(Mutex::new(None)),
            last_redraw_ms: None,
            last_description: None,
            gpu_redraws: channel(),
            gpu_pending: 0,
            stop_checks: Vec::new(),
            snap_view: None,
            thread: Some(thread),
        }
    }

    /// Tells the editing thread the map box shown, when it changed: the
    /// snapping index follows the view (the thread coalesces a pan's boxes).
    pub fn follow_view(&mut self, area: geo_types::Rect<f64>) {
        let max_features = self
            .snap
            .read()
            .map_or(crate::edit::snap::AreaLimits::default().max_features, |s| {
                s.max_features
            });
        if self.snap_view == Some((area, max_features)) {
            return;
        }
        self.snap_view = Some((area, max_features));
        self.send(Request::View { area, max_features });
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Repaints the window when a reply arrives.
    pub fn wake_with(&self, ctx: &egui::Context) {
        let _ = self.wake.set(ctx.clone());
    }

    pub fn is_editing(&self, layer: &str) -> bool {
        self.layers.contains(layer)
    }

    pub fn is_busy(&self) -> bool {
        self.in_flight > 0
    }

    /// Requests sent and not answered yet: the thread answers each
    /// request once, in order, so a request sent now is answered after
    /// this many replies (a tool keeps its sketch until then).
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    pub fn send(&mut self, request: Request) {
        // The thread forgets the view with the old map CRS: send it again.
        if matches!(request, Request::SetMapCrs(_)) {
            self.snap_view = None;
        }
        if self.requests.send(request).is_ok() {
            self.in_flight += 1;
        }
    }

    /// The replies that have arrived (each frame).
    pub fn poll(&mut self) -> Vec<Reply> {
        let replies: Vec<Reply> = self.replies.try_iter().collect();
        self.in_flight -= replies.len().min(self.in_flight);
        replies
    }

    /// Waits for every request sent so far (tests, closing).
    pub fn wait(&mut self) -> Vec<Reply> {
        let mut out = Vec::new();
        while self.in_flight > 0 {
            match self.replies.recv() {
                Ok(r) => {
                    self.in_flight -= 1;
                    out.push(r);
                }
                Err(_) => {
                    self.in_flight = 0;
                    out.push(Reply::Failed(EditFailure::Gone));
                }
            }
        }
        out
    }
}
