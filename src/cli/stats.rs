//! `tramgis stats` (land-use areas by code and group per commune,
//! district or polygon) and `tramgis compare` (the transition matrix of two
//! land-use layers, and the changing pieces as a layer).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use geo_types::{Geometry, MultiPolygon};

use crate::analysis::compare::{CompareOptions, Comparison, compare_layers, save_changes_layer};
use crate::analysis::landuse_stats::{LanduseStats, StatsOptions, Zones, landuse_stats};
use crate::analysis::table::ResultTable;
use crate::gpkg::GeoPackage;
use crate::jobs::{Job, Poll};

#[derive(clap::Args, Debug)]
pub struct StatsArgs {
    /// The workspace GeoPackage.
    pub workspace: PathBuf,
    /// The parcel layer.
    #[arg(long, default_value = "thua_dat")]
    pub layer: String,
    /// Its land-use code field.
    #[arg(long, default_value = "ma_loai_dat")]
    pub field: String,
    /// Count by commune (ma_xa, from ranh_gioi_xa) or district (huyen:
    /// the communes rolled up by their ma_huyen).
    #[arg(long, default_value = "ma_xa")]
    pub by: String,
    /// Count inside one polygon instead: LAYER:FID (e.g. o_quy_hoach:12).
    #[arg(long)]
    pub within: Option<String>,
    /// The table exported and saved: code (area by land-use code), group
    /// (by land group, one row per commune) or mismatch (parcels whose
    /// ma_xa disagrees with the map).
    #[arg(long, default_value = "code")]
    pub table: String,
    /// Write the table as CSV (UTF-8 with BOM).
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Write the table as an Excel workbook.
    #[arg(long)]
    pub xlsx: Option<PathBuf>,
    /// Keep the table in the workspace as this attributes table.
    #[arg(long)]
    pub save: Option<String>,
    /// Column labels: vi or en.
    #[arg(long, default_value = "vi")]
    pub lang: String,
}

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// The workspace GeoPackage.
    pub workspace: PathBuf,
    /// The first layer (current land use).
    #[arg(long)]
    pub from: String,
    /// The second layer (the land-use plan).
    #[arg(long)]
    pub to: String,
    /// The code field of the first layer.
    #[arg(long, default_value = "ma_loai_dat")]
    pub field: String,
    /// The code field of the second layer (default: the same as --field).
    #[arg(long)]
    pub to_field: Option<String>,
    /// The table exported and saved: matrix, list (one row per pair) or
    /// changes (the changing pieces).
    #[arg(long, default_value = "matrix")]
    pub table: String,
    #[arg(long)]
    pub csv: Option<PathBuf>,
    #[arg(long)]
    pub xlsx: Option<PathBuf>,
    /// Keep the table in the workspace as this attributes table.
    #[arg(long)]
    pub save: Option<String>,
    /// Write the changing pieces as this polygon layer of the workspace.
    #[arg(long)]
    pub changes: Option<String>,
    /// Changing pieces below this area (m²) are not listed.
    #[arg(long, default_value_t = 0.01)]
    pub min_area: f64,
    /// Column labels: vi or en.
    #[arg(long, default_value = "vi")]
    pub lang: String,
}

/// Runs `work` as a job, printing its progress on stderr every 2 s.
fn with_progress<T: Send + 'static>(
    label: &str,
    work: impl FnOnce(&crate::jobs::Progress) -> T + Send + 'static,
) -> Result<T> {
    let mut job = Job::spawn(label, work);
    let mut last = Instant::now();
    loop {
        match job.poll() {
            Poll::Done(v) => return Ok(v),
            Poll::Failed => bail!("{label} failed (a bug)"),
            Poll::Running => {
                std::thread::sleep(Duration::from_millis(20));
                if last.elapsed() > Duration::from_secs(2) {
                    if let Some(f) = job.progress.fraction() {
                        eprintln!("  {label}: {:.0} %", f * 100.0);
                    }
                    last = Instant::now();
                }
            }
        }
    }
}

fn export(table: &ResultTable, csv: &Option<PathBuf>, xlsx: &Option<PathBuf>) -> Result<()> {
    if let Some(path) = csv {
        table.write_csv(path)?;
        eprintln!("wrote {}", path.display());
    }
    if let Some(path) = xlsx {
        table.write_xlsx(path)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn save(workspace: &Path, table: &ResultTable, name: &Option<String>) -> Result<()> {
    if let Some(name) = name {
        let mut gpkg = GeoPackage::open(workspace)?;
        table.save(&mut gpkg, name)?;
        eprintln!("{}: saved table '{name}'", workspace.display());
    }
    Ok(())
}

/// The polygon of `LAYER:FID`, in its layer's CRS.
fn polygon_of(gpkg: &GeoPackage, spec: &str) -> Result<(String, MultiPolygon<f64>)> {
    let (layer, fid) = spec
        .rsplit_once(':')
        .ok_or_else(|| anyhow!("--within {spec}: expected LAYER:FID, e.g. o_quy_hoach:12"))?;
    let fid: i64 = fid
        .parse()
        .map_err(|_| anyhow!("--within {spec}: '{fid}' is not a feature id"))?;
    let feature = gpkg.get_feature(layer, fid)?.ok_or_else(|| {
        anyhow!(
            "{}: layer '{layer}' has no feature {fid}",
            gpkg.path().display()
        )
    })?;
    let geometry = match feature.geometry {
        Some(Geometry::Polygon(p)) => MultiPolygon(vec![p]),
        Some(Geometry::MultiPolygon(mp)) => mp,
        _ => bail!(
            "{}: layer '{layer}', feature {fid}: not a polygon",
            gpkg.path().display()
        ),
    };
    Ok((format!("{layer} {fid}"), geometry))
}

pub fn stats(args: &StatsArgs) -> Result<()> {
    let gpkg = GeoPackage::open_read_only(&args.workspace)?;
    let mut options = StatsOptions::communes();
    options.parcels = args.layer.clone();
    options.code_field = args.field.clone();
    if let Some(spec) = &args.within {
        let (name, geometry) = polygon_of(&gpkg, spec)?;
        let parcels = gpkg.layer(&args.layer)?;
        let zone_layer = spec.rsplit_once(':').map_or("", |(l, _)| l);
        if gpkg.layer(zone_layer)?.crs != parcels.crs {
            bail!(
                "{}: --within {spec}: layer '{zone_layer}' is not in the CRS of '{}'",
                args.workspace.display(),
                args.layer
            );
        }
        options.zones = Zones::Polygon {
            code: spec.clone(),
            name,
            geometry,
        };
        options.parcel_zone_field = None;
    } else if gpkg
        .layer(&args.layer)?
        .schema
        .field_index("ma_xa")
        .is_none()
    {
        options.parcel_zone_field = None;
    }
    drop(gpkg);
    let district = match args.by.as_str() {
        "ma_xa" | "xa" | "commune" => false,
        "huyen" | "ma_huyen" | "district" => true,
        other => bail!("--by {other}: expected ma_xa (communes) or huyen (districts)"),
    };
    let path = args.workspace.clone();
    let started = Instant::now();
    let result = with_progress("stats", move |p| {
        let gpkg = GeoPackage::open_read_only(&path)?;
        landuse_stats(&gpkg, &options, p)
    })?;
    let mut stats: LanduseStats =
        result.with_context(|| format!("{}: land-use statistics", args.workspace.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    if district && args.within.is_none() {
        stats = stats.by_district();
    }
    let group = stats.by_group_table();
    println!("{}", group.to_text(&args.lang));
    let chosen = match args.table.as_str() {
        "code" => stats.by_code_table(),
        "group" => group,
        "mismatch" => stats.mismatch_table(),
        other => bail!("--table {other}: expected code, group or mismatch"),
    };
    if args.table != "group" {
        println!("{}", chosen.to_text(&args.lang));
    }
    let outside: f64 = stats.outside_by_code.values().sum();
    eprintln!(
        "{}: {} parcels of '{}' measured in {seconds:.2} s{}",
        args.workspace.display(),
        stats.parcels,
        args.layer,
        if stats.without_geometry > 0 {
            format!(", {} without geometry skipped", stats.without_geometry)
        } else {
            String::new()
        }
    );
    if outside > 0.005 {
        eprintln!("  {outside:.2} m² of parcels lie outside every commune");
    }
    if !stats.mismatches.is_empty() {
        eprintln!(
            "  {} parcel(s) whose ma_xa disagrees with the commune map (see --table mismatch)",
            stats.mismatches.len()
        );
    }
    export(&chosen, &args.csv, &args.xlsx)?;
    save(&args.workspace, &chosen, &args.save)
}

pub fn compare(args: &CompareArgs) -> Result<()> {
    let mut options = CompareOptions::new(&args.from, &args.to);
    options.from_field = args.field.clone();
    options.to_field = args.to_field.clone().unwrap_or_else(|| args.field.clone());
    options.min_change_area = args.min_area;
    let path = args.workspace.clone();
    let started = Instant::now();
    let result = with_progress("compare", move |p| {
        let gpkg = GeoPackage::open_read_only(&path)?;
        compare_layers(&gpkg, &options, p)
    })?;
    let comparison: Comparison = result.with_context(|| {
        format!(
            "{}: comparing '{}' with '{}'",
            args.workspace.display(),
            args.from,
            args.to
        )
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let chosen = match args.table.as_str() {
        "matrix" => comparison.matrix_table(),
        "list" => comparison.transitions_table(),
        "changes" => comparison.changes_table(),
        other => bail!("--table {other}: expected matrix, list or changes"),
    };
    println!("{}", chosen.to_text(&args.lang));
    eprintln!(
        "{}: '{}' → '{}' compared in {seconds:.2} s: {:.2} m² change code in {} piece(s)",
        args.workspace.display(),
        args.from,
        args.to,
        comparison.changed_area(),
        comparison.changes.len()
    );
    export(&chosen, &args.csv, &args.xlsx)?;
    save(&args.workspace, &chosen, &args.save)?;
    if let Some(name) = &args.changes {
        let mut gpkg = GeoPackage::open(&args.workspace)?;
        let n = save_changes_layer(&mut gpkg, &comparison, name)?;
        eprintln!(
            "{}: wrote {n} changing piece(s) to layer '{name}'",
            args.workspace.display()
        );
    }
    Ok(())
}
