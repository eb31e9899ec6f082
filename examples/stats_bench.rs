//! Benchmark of land-use statistics and the transition matrix (see
//! BENCHMARKS.md, "Land-use statistics and transition matrix").
//!
//! ```text
//! cargo run --release --example stats_bench -- WORKSPACE [PLAN_LAYER...]
//! ```
//! Times `landuse_stats` of `thua_dat` by the communes of `ranh_gioi_xa`
//! (reading included), then `compare_layers` of `thua_dat` against each
//! plan layer named, and prints the totals the QGIS script
//! (bench/qgis_stats.py) prints, so the two can be checked against each
//! other.

use std::time::Instant;

use tramgis::analysis::compare::{CompareOptions, compare_layers};
use tramgis::analysis::landuse_stats::{StatsOptions, landuse_stats};
use tramgis::gpkg::GeoPackage;
use tramgis::jobs::Progress;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: stats_bench WORKSPACE [PLAN_LAYER...]"))?;
    let plans: Vec<String> = args.collect();
    let gpkg = GeoPackage::open_read_only(&path)?;
    let parcels = gpkg.count_features("thua_dat", None)?;
    let communes = gpkg.count_features("ranh_gioi_xa", None)?;
    println!(
        "{path}: {parcels} parcels, {communes} communes, {} worker threads",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let start = Instant::now();
    let stats = landuse_stats(&gpkg, &StatsOptions::communes(), &Progress::default())?;
    let seconds = start.elapsed().as_secs_f64();
    let parcel_area: f64 = stats.zones.iter().map(|z| z.parcel_area()).sum();
    let commune_area: f64 = stats.zones.iter().map(|z| z.area).sum();
    let rows: usize = stats.zones.iter().map(|z| z.by_code.len()).sum();
    println!(
        "stats: {seconds:.2} s; {rows} (commune, code) rows; parcel area in communes {parcel_area:.2} m² \
         of {commune_area:.2} m²; {} mismatched ma_xa",
        stats.mismatches.len()
    );

    for plan in plans {
        let start = Instant::now();
        let comparison = compare_layers(
            &gpkg,
            &CompareOptions::new("thua_dat", &plan),
            &Progress::default(),
        )?;
        let seconds = start.elapsed().as_secs_f64();
        let total: f64 = comparison.matrix.values().sum();
        println!(
            "compare thua_dat → {plan}: {seconds:.2} s; {} (from, to) pairs; overlap {total:.2} m², \
             changed {:.2} m² in {} pieces",
            comparison.matrix.len(),
            comparison.changed_area(),
            comparison.changes.len()
        );
    }
    Ok(())
}
