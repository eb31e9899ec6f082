//! `tramgis check`: the validation report of a polygon layer as CSV.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::edit::check::{CheckOptions, spawn_check, write_csv};
use crate::jobs::Poll;

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The workspace GeoPackage.
    pub workspace: PathBuf,
    /// The polygon layer to check.
    #[arg(long)]
    pub layer: String,
    /// A polygon layer whose union is the administrative boundary
    /// (e.g. ranh_gioi_huyen); features outside it are reported.
    #[arg(long)]
    pub boundary: Option<String>,
    /// Write the CSV here instead of to standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Holes between polygons up to this area (m²) are gaps.
    #[arg(long, default_value_t = 10.0)]
    pub max_gap: f64,
    /// Overlaps and outside parts up to this area (m²) are ignored.
    #[arg(long, default_value_t = 0.01)]
    pub min_area: f64,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

/// Runs the check (progress on stderr when it takes a while), writes the
/// report; exit status 1 when there are findings.
pub fn run(args: &CheckArgs) -> Result<()> {
    let mut options = CheckOptions::new(&args.layer);
    options.boundary = args.boundary.clone();
    options.max_gap_area = args.max_gap;
    options.min_area = args.min_area;
    options.threads = args.threads;
    let start = Instant::now();
    let mut job = spawn_check(&args.workspace, options);
    let mut last = Instant::now();
    let report = loop {
        match job.poll() {
            Poll::Done(result) => break result?,
            Poll::Failed => bail!("the check of layer '{}' failed (a bug)", args.layer),
            Poll::Running => {
                std::thread::sleep(Duration::from_millis(20));
                if last.elapsed() > Duration::from_secs(2) {
                    if let Some(f) = job.progress.fraction() {
                        eprintln!("  {:.0} %", f * 100.0);
                    }
                    last = Instant::now();
                }
            }
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    match &args.out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            write_csv(&report, &mut out)
                .and_then(|()| out.flush())
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => {
            let stdout = std::io::stdout();
            write_csv(&report, &mut stdout.lock()).context("cannot write the report")?;
        }
    }
    eprintln!(
        "{}: layer '{}': {} features checked in {seconds:.2} s, {} finding(s)",
        args.workspace.display(),
        args.layer,
        report.checked,
        report.findings.len()
    );
    if !report.findings.is_empty() {
        bail!(
            "layer '{}' has {} finding(s)",
            args.layer,
            report.findings.len()
        );
    }
    Ok(())
}
