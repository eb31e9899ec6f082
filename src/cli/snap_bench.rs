//! `tramgis bench-snap`: snapping on a province layer — the index build
//! and one snapping query per mouse move, at random cursor positions.
//! Numbers go to BENCHMARKS.md ("Snapping (issue 10)").

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use geo_types::Coord;

use crate::edit::snap::{SnapIndex, SnapLayer, SnapOptions};
use crate::gpkg::GeoPackage;
use crate::sample::Rng;

#[derive(clap::Args, Debug)]
pub struct SnapBenchArgs {
    /// The workspace (e.g. made by `tramgis sample --parcels 1000000`).
    pub workspace: PathBuf,
    /// The layer to snap to.
    #[arg(long, default_value = "thua_dat")]
    pub layer: String,
    /// Number of cursor positions.
    #[arg(long, default_value_t = 10_000)]
    pub queries: usize,
    /// Snapping tolerance in screen pixels.
    #[arg(long, default_value_t = 10.0)]
    pub pixels: f64,
    /// Map metres per screen pixel (0.2: a parcel of 20 m is 100 px wide).
    #[arg(long, default_value_t = 0.2)]
    pub metres_per_pixel: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn resident_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Times `queries` snaps at the given positions; prints median, p99, max.
fn time_queries(index: &SnapIndex, label: &str, positions: &[Coord<f64>], tolerance: f64) {
    let options = SnapOptions::default();
    let mut times = Vec::with_capacity(positions.len());
    let mut snapped = [0usize; 3];
    for &p in positions {
        let t = Instant::now();
        let r = index.snap(p, tolerance, &options, None);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if let Some(r) = r {
            snapped[r.kind as usize] += 1;
        }
    }
    times.sort_by(f64::total_cmp);
    let median = percentile(&times, 0.5);
    let p99 = percentile(&times, 0.99);
    println!(
        "{label:<34} median {median:.4} ms  p99 {p99:.4} ms  max {:.3} ms  (2 ms target: p99 x{:.4}); snapped {} vertex, {} segment, {} intersection, {} nothing",
        times[times.len() - 1],
        p99 / 2.0,
        snapped[0],
        snapped[1],
        snapped[2],
        positions.len() - snapped.iter().sum::<usize>()
    );
}

pub fn run(args: &SnapBenchArgs) -> Result<()> {
    let gpkg = GeoPackage::open_read_only(&args.workspace)
        .with_context(|| format!("opening {}", args.workspace.display()))?;
    let before = resident_mib();
    let t = Instant::now();
    let layer = SnapLayer::load(&gpkg, &args.layer, None)?;
    let build = t.elapsed().as_secs_f64();
    if layer.is_empty() {
        bail!(
            "{}: layer '{}' has no features to snap to",
            args.workspace.display(),
            args.layer
        );
    }
    let memory = match (before, resident_mib()) {
        (Some(a), Some(b)) => format!(", {:.0} MiB resident for the index", b - a),
        _ => String::new(),
    };
    println!(
        "index of '{}': {} features read and indexed in {build:.2} s{memory}",
        args.layer,
        layer.len()
    );
    let tolerance = args.pixels * args.metres_per_pixel;
    println!(
        "tolerance {} px x {} m/px = {tolerance} m",
        args.pixels, args.metres_per_pixel
    );

    // Cursors over parcels: a random feature, a random point of its box.
    let mut rng = Rng::new(10);
    let mut fids: Vec<i64> = layer.fids().collect();
    fids.sort_unstable();
    let over: Vec<Coord<f64>> = (0..args.queries)
        .map(|_| {
            let b = layer
                .envelope(fids[rng.below(fids.len())])
                .expect("indexed");
            Coord {
                x: rng.range(b.min().x, b.max().x),
                y: rng.range(b.min().y, b.max().y),
            }
        })
        .collect();
    // Cursors anywhere in the layer's extent (mostly between settlements).
    let all = layer.bounds().expect("not empty");
    let anywhere: Vec<Coord<f64>> = (0..args.queries)
        .map(|_| Coord {
            x: rng.range(all.min().x, all.max().x),
            y: rng.range(all.min().y, all.max().y),
        })
        .collect();
    let mut index = SnapIndex::default();
    index.set_layer(&args.layer, layer);
    time_queries(&index, "cursor over parcels", &over, tolerance);
    time_queries(
        &index,
        "cursor anywhere in the extent",
        &anywhere,
        tolerance,
    );

    // An edit replaces one feature's entry, not the index.
    let layer = index.layer_mut(&args.layer).expect("just set");
    let fid = fids[fids.len() / 2];
    let g = gpkg
        .get_feature(&args.layer, fid)?
        .and_then(|f| f.geometry)
        .context("the feature has a geometry")?;
    let t = Instant::now();
    for _ in 0..1000 {
        layer.insert(fid, &g);
    }
    println!(
        "update of one edited fid (remove + insert): {:.4} ms",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
