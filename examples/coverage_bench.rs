//! Benchmark of the BTS coverage analysis (see BENCHMARKS.md, "BTS
//! coverage").
//!
//! ```text
//! cargo run --release --no-default-features --example coverage_bench -- WORKSPACE RADII.csv
//! QT_QPA_PLATFORM=offscreen /usr/bin/python3 bench/qgis_coverage.py WORKSPACE RADII.csv
//! ```
//! Times `coverage::compute` with the default configuration (reading
//! included: towers, communes, villages; circles of 30 segments per
//! quarter; unions per operator and for all; each commune's covered area
//! and villages; co-location candidates), three runs, and writes the radius
//! each counted tower got to RADII.csv, so the QGIS script buffers the same
//! towers by the same distances. Prints the areas the QGIS script prints.

use std::io::Write;
use std::time::Instant;

use tramgis::analysis::coverage::{self, ALL_OPERATORS, CoverageConfig};
use tramgis::gpkg::GeoPackage;
use tramgis::jobs::Progress;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = || anyhow::anyhow!("usage: coverage_bench WORKSPACE RADII.csv");
    let path = args.next().ok_or_else(usage)?;
    let radii = args.next().ok_or_else(usage)?;
    let gpkg = GeoPackage::open_read_only(&path)?;
    let config = CoverageConfig::default();
    let mut best = f64::INFINITY;
    let mut result = None;
    for _ in 0..3 {
        let start = Instant::now();
        let r = coverage::compute(&gpkg, &config, &Progress::default())?;
        best = best.min(start.elapsed().as_secs_f64());
        result = Some(r);
    }
    let result = result.expect("three runs");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&radii)?);
    writeln!(out, "ma_tram,ban_kinh_m")?;
    for t in &result.towers {
        writeln!(out, "{},{}", t.id, t.radius_m)?;
    }
    out.flush()?;
    println!(
        "{path}: {} towers, {} communes, {} villages",
        result.towers.len(),
        result.communes.len(),
        result.villages.len()
    );
    for g in &result.groups {
        let in_communes: f64 = result
            .commune_coverage
            .iter()
            .filter(|c| c.operator == g.operator)
            .map(|c| c.covered_m2)
            .sum();
        let key = if g.operator == ALL_OPERATORS {
            "*"
        } else {
            g.operator.as_str()
        };
        println!(
            "  {key:<16} union {:14.2} ha   in communes {:14.2} ha",
            g.area_m2 / 1e4,
            in_communes / 1e4
        );
    }
    println!("tramgis coverage::compute (best of 3): {best:.2} s");
    Ok(())
}
