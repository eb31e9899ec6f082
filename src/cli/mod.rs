//! Headless subcommands. Errors are reported through anyhow with the
//! store's messages, which name the file, layer and row.

pub mod bench;
pub mod render;
pub mod transfer;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
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
    /// Measure store throughput (and GDAL's for the same work) on N parcels.
    Bench(bench::BenchArgs),
    /// Draw a workspace's layers to a PNG (offscreen, no window needed).
    Render(render::RenderArgs),
    /// Measure the map renderer: tessellation, upload and frame times.
    BenchRender(render::BenchRenderArgs),
}

pub fn run(command: Command) -> Result<()> {
    match command {
        Command::Sample { parcels, out } => sample(parcels, &out),
        Command::Validate { file } => run_validate(&file),
        Command::Info { file } => info(&file),
        Command::Bench(args) => bench::run(&args),
        Command::Import(args) => transfer::import(&args),
        Command::Export(args) => transfer::export(&args),
        Command::Render(args) => render::run(&args),
        Command::BenchRender(args) => render::bench(&args),
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

fn info(file: &Path) -> Result<()> {
    let gpkg = GeoPackage::open_read_only(file)?;
    for layer in gpkg.layers()? {
        let count = gpkg
            .count_features(&layer.name, None)
            .with_context(|| format!("counting '{}'", layer.name))?;
        let extent = layer
            .extent
            .map(|e| format!("{:.1} {:.1} {:.1} {:.1}", e[0], e[2], e[1], e[3]))
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<20} {:<12} EPSG:{:<6} {:>9}  {}",
            layer.name,
            layer.schema.geometry_type.name(),
            layer.schema.srs_id,
            count,
            extent
        );
    }
    Ok(())
}
