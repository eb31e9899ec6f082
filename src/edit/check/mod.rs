//! Validation of an edited polygon layer (land use, zoning, parcels):
//! invalid geometries, overlaps and gaps between the layer's polygons, and
//! features outside an administrative boundary. Each [`Finding`] says where
//! it is (for zoom-to), how big it is, what is wrong in Vietnamese and
//! English, and which [`Fix`] repairs it (see [`fixes`]).
//!
//! The check reads the layer once, then works on geometries in memory: an
//! R-tree gives candidate pairs by envelope, exact geometry is computed only
//! for those, and the work is split over the machine's cores. It runs as a
//! [`crate::jobs::Job`] with progress and cancel ([`spawn_check`]).

mod boundary;
pub mod fixes;
mod gaps;
mod load;
mod overlaps;
pub mod report;
mod validity;

use std::path::{Path, PathBuf};

use geo_types::{Coord, Polygon, Rect};

use crate::gpkg::{GeoPackage, GpkgError};
use crate::jobs::{Cancelled, Job, Progress};

pub use fixes::{FixError, apply_fix};
pub use report::write_csv;

/// What to check and with which tolerances (areas in the layer's CRS
/// units squared: m² for VN-2000 layers).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOptions {
    pub layer: String,
    /// A polygon layer whose union is the administrative boundary
    /// (e.g. `ranh_gioi_huyen`); None: no boundary check.
    pub boundary: Option<String>,
    /// Overlaps (and parts outside the boundary) smaller than this are
    /// rounding noise, not findings.
    pub min_area: f64,
    /// Holes in the layer's union up to this area are gaps (slivers between
    /// neighbours); larger holes are taken to be meant (a lake, a road).
    pub max_gap_area: f64,
    /// Consecutive vertices closer than this are duplicates.
    pub duplicate_tolerance: f64,
    /// A vertex where the boundary turns back by more than 180° minus this
    /// angle (degrees) is a spike.
    pub spike_angle_deg: f64,
    /// Worker threads (0: as many as the machine has cores).
    pub threads: usize,
    /// Check only around here (on save: the box of the features an edit
    /// touched): the features whose envelope meets it, their overlaps and
    /// boundary, and the gaps lying wholly inside it. None: the layer.
    pub area: Option<Rect<f64>>,
}

impl CheckOptions {
    pub fn new(layer: &str) -> Self {
        CheckOptions {
            layer: layer.to_string(),
            boundary: None,
            min_area: 0.01,
            max_gap_area: 10.0,
            duplicate_tolerance: 0.001,
            spike_angle_deg: 1.0,
            threads: 0,
            area: None,
        }
    }

    /// Options for checking only around `area` (see [`CheckOptions::area`]).
    pub fn around(layer: &str, area: Rect<f64>) -> Self {
        CheckOptions {
            area: Some(area),
            ..CheckOptions::new(layer)
        }
    }

    fn thread_count(&self) -> usize {
        if self.threads > 0 {
            return self.threads;
        }
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// What is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FindingKind {
    /// A ring crosses or touches itself along a line (a bow-tie).
    SelfIntersection,
    /// A ring does not end where it starts (as stored in the file).
    UnclosedRing,
    /// A ring has fewer than 3 distinct vertices.
    TooShortRing,
    /// Consecutive vertices at the same place.
    DuplicateVertex,
    /// A vertex where the boundary goes out and straight back.
    Spike,
    /// Holes outside the shell, rings crossing each other, parts of a
    /// multipolygon overlapping, non-finite coordinates.
    InvalidRings,
    /// Two polygons of the layer cover the same area.
    Overlap,
    /// A small hole between polygons of the layer.
    Gap,
    /// A polygon (partly) outside the administrative boundary.
    OutsideBoundary,
}

impl FindingKind {
    /// The name in the CSV report.
    pub fn key(self) -> &'static str {
        match self {
            FindingKind::SelfIntersection => "self_intersection",
            FindingKind::UnclosedRing => "unclosed_ring",
            FindingKind::TooShortRing => "too_short_ring",
            FindingKind::DuplicateVertex => "duplicate_vertex",
            FindingKind::Spike => "spike",
            FindingKind::InvalidRings => "invalid_rings",
            FindingKind::Overlap => "overlap",
            FindingKind::Gap => "gap",
            FindingKind::OutsideBoundary => "outside_boundary",
        }
    }

    pub fn is_invalid_geometry(self) -> bool {
        !matches!(
            self,
            FindingKind::Overlap | FindingKind::Gap | FindingKind::OutsideBoundary
        )
    }
}

/// A repair for a finding; each is applied as one edit ([`apply_fix`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Fix {
    /// Remove duplicate and spike vertices, then (if still invalid) GEOS
    /// MakeValid; parts a Polygon layer cannot hold become new features
    /// with the same attributes.
    MakeValid { fid: i64 },
    /// Cut the overlap of `from` and `other` out of `from`.
    CutOverlap { from: i64, other: i64 },
    /// Give the gap to the neighbour `into` (the one sharing the longest
    /// edge with it).
    FillGap { into: i64, gap: Polygon<f64> },
    /// Cut the part of `fid` outside the union of `boundary_layer`.
    ClipToBoundary { fid: i64, boundary_layer: String },
}

/// One problem found.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: FindingKind,
    pub layer: String,
    /// The feature at fault; None for a gap (it belongs to no feature).
    pub fid: Option<i64>,
    /// The other feature of an overlap; a gap's neighbours.
    pub other_fids: Vec<i64>,
    /// A point on the problem (marker).
    pub location: Coord<f64>,
    /// Its box (zoom-to).
    pub bounds: Rect<f64>,
    /// Area of the overlap, gap or outside part (m²); 0 for invalid
    /// geometries.
    pub area: f64,
    pub message_vi: String,
    pub message_en: String,
    pub fix: Option<Fix>,
}

/// Everything a check found, in a stable order (kind, fid, other fids).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub layer: String,
    /// Features read (with a polygon geometry).
    pub checked: usize,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn of_kind(&self, kind: FindingKind) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.kind == kind)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Gpkg(#[from] GpkgError),
    #[error(
        "{path}: layer '{layer}' holds {geometry_type} geometries; only polygon layers can be checked"
    )]
    NotPolygons {
        path: PathBuf,
        layer: String,
        geometry_type: String,
    },
    #[error("the check was cancelled")]
    Cancelled,
}

impl From<Cancelled> for CheckError {
    fn from(_: Cancelled) -> Self {
        CheckError::Cancelled
    }
}

/// Checks a layer of an open workspace. `progress` counts features through
/// the phases (read, geometry, overlaps, gaps, boundary); cancelling it
/// stops the check with [`CheckError::Cancelled`].
pub fn check_layer(
    gpkg: &GeoPackage,
    options: &CheckOptions,
    progress: &Progress,
) -> Result<Report, CheckError> {
    // Around an edit: the features meeting the area, and their neighbours
    // (the features meeting those), so that their overlaps are seen.
    let area = match options.area {
        Some(a) => Some(
            load::load(gpkg, &options.layer, Some(a), progress)?
                .shapes
                .iter()
                .fold(a, |b, s| crate::gpkg::geom::union(Some(b), s.bounds)),
        ),
        None => None,
    };
    let layer = load::load(gpkg, &options.layer, area, progress)?;
    let n = layer.shapes.len() as u64;
    let phases = if options.boundary.is_some() { 5 } else { 4 };
    progress.set_total(n * phases);
    let threads = options.thread_count();
    let mut findings = validity::check(&layer, options, threads, progress)?;
    // Overlaps and gaps are computed from valid geometries only: an
    // invalid one has no well-defined area until it is made valid.
    let usable: Vec<bool> = layer
        .shapes
        .iter()
        .map(|s| {
            !findings.iter().any(|f| {
                f.fid == Some(s.fid)
                    && matches!(
                        f.kind,
                        FindingKind::SelfIntersection
                            | FindingKind::TooShortRing
                            | FindingKind::InvalidRings
                    )
            })
        })
        .collect();
    let index = load::ShapeIndex::new(&layer.shapes);
    findings.extend(overlaps::check(
        &layer, &index, &usable, options, threads, progress,
    )?);
    findings.extend(gaps::check(&layer, &index, &usable, options, progress)?);
    if let Some(boundary_layer) = &options.boundary {
        let boundary = load::load(gpkg, boundary_layer, None, &Progress::default())?;
        findings.extend(boundary::check(
            &layer, &boundary, options, threads, progress,
        )?);
    }
    findings.sort_by(|a, b| {
        (a.kind, a.fid, &a.other_fids)
            .cmp(&(b.kind, b.fid, &b.other_fids))
            .then(a.location.x.total_cmp(&b.location.x))
    });
    Ok(Report {
        layer: options.layer.clone(),
        checked: layer.shapes.len(),
        findings,
    })
}

/// Runs [`check_layer`] in the background on the workspace at `path`
/// (opened read-only in the job: the UI's connection is not shared).
pub fn spawn_check(path: &Path, options: CheckOptions) -> Job<Result<Report, CheckError>> {
    let path = path.to_path_buf();
    let label = format!("Kiểm tra lớp {}", options.layer);
    Job::spawn(label, move |progress| {
        let gpkg = GeoPackage::open_read_only(&path)?;
        check_layer(&gpkg, &options, progress)
    })
}

/// Runs `visit(i, &mut findings)` for every feature index below `n` on
/// `threads` threads, advancing `progress` and stopping when cancelled.
/// Interleaved rather than in blocks: neighbours in the file are often
/// neighbours on the map, and dense areas then spread over the threads.
/// (The report is sorted afterwards, so the order here does not matter.)
fn in_parallel(
    n: usize,
    threads: usize,
    progress: &Progress,
    visit: impl Fn(usize, &mut Vec<Finding>) + Sync,
) -> Result<Vec<Finding>, CheckError> {
    let threads = threads.max(1);
    let visit = &visit;
    let parts: Vec<Result<Vec<Finding>, CheckError>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mut out = Vec::new();
                    let mut done = 0u64;
                    for i in (t..n).step_by(threads) {
                        done += 1;
                        if done.is_multiple_of(1024) {
                            progress.advance(1024);
                            keep_going(progress)?;
                        }
                        visit(i, &mut out);
                    }
                    progress.advance(done % 1024);
                    Ok(out)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a check thread does not panic"))
            .collect()
    });
    let mut findings = Vec::new();
    for part in parts {
        findings.extend(part?);
    }
    Ok(findings)
}

/// Fails with Cancelled if the user cancelled.
fn keep_going(progress: &Progress) -> Result<(), CheckError> {
    if progress.is_cancelled() {
        return Err(CheckError::Cancelled);
    }
    Ok(())
}

/// Formats an area for messages: m² with 2 decimals.
fn m2(area: f64) -> String {
    format!("{area:.2} m²")
}

/// A comma-separated fid list for messages.
fn fid_list(fids: &[i64]) -> String {
    fids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
