//! Headless subcommands. Errors are reported through anyhow with the
//! store's messages, which name the file, layer and row.

pub mod bench;
pub mod check;
pub mod coverage;
pub mod edit;
pub mod history;
pub mod print;
pub mod process;
pub mod render;
pub mod snap_bench;
pub mod stats;
pub mod sync;
pub mod transfer;

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};

use crate::gpkg::{
    GeoPackage,
    validate::{Severity, validate},
};

#[derive(Parser, Debug)]
#[command(
    name = "tramgis",
    version,
    about = "Desktop GIS and planning workstation (GeoPackage workspace, VN-2000)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Workspace to open in the window (default: the bundled sample).
    pub workspace: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Generate a deterministic sample workspace for the province.
    Sample {
        /// Number of land parcels.
        #[arg(long, default_value_t = crate::sample::BUNDLED_PARCELS)]
        parcels: usize,
        /// The GeoPackage to write (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a GeoPackage against the spec; exit status 1 if it has errors.
    Validate { file: PathBuf },
    /// List the layers of a GeoPackage with their feature counts and extents.
    Info { file: PathBuf },
    /// Import a layer of any GDAL vector format into a workspace.
    Import(transfer::ImportArgs),
    /// Export a workspace layer (or some of its features) to another format.
    Export(transfer::ExportArgs),
    /// Repair Vietnamese mojibake (TCVN3/VNI text once misread as Latin-1) in a layer's text fields, as one edit.
    RepairText(transfer::RepairTextArgs),
    /// Set fields of one feature, as one edit (values read by field type).
    Edit(edit::EditArgs),
    /// Undo an edit of a workspace (default: the last step of the undo
    /// history, else the last edit of the journal), as a new edit.
    Undo {
        workspace: PathBuf,
        /// The edit to undo (its id in tramgis_edits).
        #[arg(long)]
        edit: Option<i64>,
    },
    /// Redo the step of the undo history undone last, as a new edit.
    Redo { workspace: PathBuf },
    /// One feature's changes from the edit journal (tramgis, sync and
    /// other programs), oldest first, with the fields each changed.
    History(history::HistoryArgs),
    /// Measure editing: one edit committed, its undo, a split, its undo.
    BenchEdit(edit::BenchEditArgs),
    /// Validate a polygon layer (invalid geometries, overlaps, gaps, outside
    /// the boundary); the report as CSV, exit status 1 if it has findings.
    Check(check::CheckArgs),
    /// Measure store throughput (and GDAL's for the same work) on N parcels.
    Bench(bench::BenchArgs),
    /// Draw a workspace's layers to a PNG (offscreen, no window needed).
    Render(render::RenderArgs),
    /// Measure the map renderer: tessellation, upload and frame times.
    BenchRender(render::BenchRenderArgs),
    /// Measure snapping: index build and one query per mouse move, on a layer.
    BenchSnap(snap_bench::SnapBenchArgs),
    /// Geoprocessing: buffer, intersection, difference, union, dissolve,
    /// clip, join (by location, with counts and sums), centroids; the
    /// result is a new layer of the workspace.
    Process(process::ProcessArgs),
    /// Print the map to a PDF (vector, searchable text) or PNG sheet, A4-A0:
    /// title, legend of what is in view, scale bar, north arrow, VN-2000 grid.
    Print(print::PrintArgs),
    /// Land-use statistics: area by land-use code and land group per
    /// commune (overlay with ranh_gioi_xa), district, or inside a polygon.
    Stats(stats::StatsArgs),
    /// Sync with the provincial SDI portal (OGC API – Features, WFS-T).
    #[command(subcommand)]
    Sync(sync::SyncCommand),
    /// Compare two land-use layers: the transition matrix (area from each
    /// code to each other) and the changing pieces.
    Compare(stats::CompareArgs),
    /// Check a project (or parcel) layer against the zoning plan: lots it
    /// falls in, share per function, coverage / floors / FAR over the limits.
    Compliance(coverage::ComplianceArgs),
    /// BTS coverage per operator and for all: communes' and villages'
    /// shares covered, uncovered villages, co-location candidates.
    Coverage(coverage::CoverageArgs),
    /// Smart-city indicators by commune (cameras per km² and per km of
    /// road, poles per km of road, land near monitoring stations), as
    /// choropleth layers.
    Indicators(coverage::IndicatorsArgs),
}

pub fn run(command: Command) -> Result<()> {
    match command {
        Command::Sample { parcels, out } => sample(parcels, &out),
        Command::Validate { file } => run_validate(&file),
        Command::Info { file } => info(&file),
        Command::Bench(args) => bench::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Import(args) => transfer::import(&args),
        Command::Export(args) => transfer::export(&args),
        Command::RepairText(args) => transfer::repair_text(&args),
        Command::Edit(args) => edit::edit(&args),
        Command::Undo { workspace, edit } => edit::undo(&workspace, edit),
        Command::Redo { workspace } => edit::redo(&workspace),
        Command::History(args) => history::run(&args),
        Command::BenchEdit(args) => edit::bench(&args),
        Command::Render(args) => render::run(&args),
        Command::BenchRender(args) => render::bench(&args),
        Command::BenchSnap(args) => snap_bench::run(&args),
        Command::Process(args) => process::run(args),
        Command::Print(args) => print::run(&args),
        Command::Stats(args) => stats::stats(&args),
        Command::Sync(command) => sync::run(&command),
        Command::Compare(args) => stats::compare(&args),
        Command::Compliance(args) => coverage::compliance(&args),
        Command::Coverage(args) => coverage::coverage(&args),
        Command::Indicators(args) => coverage::indicators(&args),
    }
}

pub fn sample(parcels: usize, out: &Path) -> Result<()> {
    let start = std::time::Instant::now();
    let mut last = std::time::Instant::now();
    let summary = crate::sample::generate(out, parcels, |layer, n| {
        if last.elapsed().as_secs_f64() > 1.0 {
            eprintln!("  {layer}: {n} / {parcels}");
            last = std::time::Instant::now();
        }
    })?;
    for (layer, n) in &summary.layers {
        println!("{layer:<20} {n:>9}");
    }
    println!(
        "wrote {} in {:.1} s",
        out.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn run_validate(file: &Path) -> Result<()> {
    let problems = validate(file)?;
    for p in &problems {
        println!("{p}");
    }
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    if errors > 0 {
        bail!(
            "{}: {errors} error(s), {} warning(s)",
            file.display(),
            problems.len() - errors
        );
    }
    println!(
        "{}: valid GeoPackage ({} warning(s))",
        file.display(),
        problems.len()
    );
    Ok(())
}

/// Lists every layer and attribute table: geometry type with Z/M, CRS as
/// the file declares it, feature count and extent (computed when
/// gpkg_contents does not store it). A layer that cannot be read is named
/// on stderr with the reason, and the others are listed.
fn info(file: &Path) -> Result<()> {
    let gpkg = GeoPackage::open_read_only(file)?;
    for warning in gpkg.warnings() {
        eprintln!("warning: {warning}");
    }
    let contents = gpkg.contents()?;
    if contents.layers.is_empty() && contents.tables.is_empty() && contents.unreadable.is_empty() {
        println!("{}: no layers (an empty GeoPackage)", file.display());
        return Ok(());
    }
    // One layer or table whose rows cannot be read is named, the others
    // listed; then info fails, naming the file.
    let mut unreadable = contents.unreadable.len();
    for layer in &contents.layers {
        match layer_line(&gpkg, layer) {
            Ok(line) => println!("{line}"),
            Err(e) => {
                eprintln!("error: {e}");
                unreadable += 1;
            }
        }
    }
    for table in &contents.tables {
        let count = match gpkg.count_features(&table.name, None) {
            Ok(count) => count,
            Err(e) => {
                eprintln!("error: {e}");
                unreadable += 1;
                continue;
            }
        };
        let read_only = table
            .read_only
            .map(|r| format!("  (read-only: {r})"))
            .unwrap_or_default();
        println!(
            "{:<20} {:<18} {:<14} {:>9}{read_only}",
            table.name, "ATTRIBUTES", "-", count
        );
    }
    for bad in &contents.unreadable {
        eprintln!("error: {}", bad.error);
    }
    if unreadable > 0 {
        let layers = if unreadable == 1 { "layer" } else { "layers" };
        bail!(
            "{}: {unreadable} {layers} cannot be read (named above)",
            file.display()
        );
    }
    Ok(())
}

/// A feature layer's line in `tramgis info`.
fn layer_line(gpkg: &GeoPackage, layer: &crate::gpkg::LayerInfo) -> crate::gpkg::Result<String> {
    let count = gpkg.count_features(&layer.name, None)?;
    let extent = match layer.extent {
        Some(e) => Some(e),
        None => gpkg.compute_extent(layer)?,
    };
    let decimals = if layer.crs.is_geographic() { 6 } else { 1 };
    let extent = extent
        .map(|e| {
            format!(
                "{:.d$} {:.d$} {:.d$} {:.d$}",
                e.min().x,
                e.min().y,
                e.max().x,
                e.max().y,
                d = decimals
            )
        })
        .unwrap_or_else(|| "(no features with a geometry)".into());
    let read_only = layer
        .read_only
        .map(|r| format!("  (read-only: {r})"))
        .unwrap_or_default();
    Ok(format!(
        "{:<20} {:<18} {:<14} {:>9}  {extent}{read_only}",
        layer.name,
        layer
            .schema
            .geometry_type
            .name_with_dims(layer.schema.has_z, layer.schema.has_m),
        layer.crs.label(),
        count,
    ))
}
