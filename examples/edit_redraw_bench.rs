//! How long an edit takes to be on the GPU after its commit, on a big
//! layer: the touched feature is read back (as the editing thread does),
//! the chunks of its grid cell are re-read through the R-tree and
//! tessellated (`render::load::load_cells`), and uploaded. The layer is
//! never read again. For BENCHMARKS.md ("Edit redraw (issue 10)"):
//!
//! ```sh
//! cargo build --release --example edit_redraw_bench
//! target/release/examples/edit_redraw_bench /tmp/bench/1m.gpkg thua_dat
//! ```

use std::time::Instant;

use tramgis::gpkg::GeoPackage;
use tramgis::jobs::Progress;
use tramgis::render::{GpuChunk, headless, load};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (path, layer) = (&args[1], args.get(2).map_or("thua_dat", |s| s.as_str()));
    let gpkg = GeoPackage::open_read_only(path)?;
    let info = gpkg.layer(layer)?;
    let style = tramgis::render::qml::stored_or_default(&gpkg, &info, true);
    let map_crs = info.crs.clone();
    let gpu = headless::Gpu::new()?;
    println!("adapter: {}", gpu.describe());
    let t = Instant::now();
    let mesh = load::load_layer(&gpkg, &info, &style, &map_crs, &Progress::default())?;
    println!(
        "whole layer: {} features, {} chunks, {:.0} ms (for comparison)",
        mesh.features,
        mesh.chunks.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    let grid = mesh.grid.expect("a binned layer");
    let fids: Vec<i64> = mesh
        .envelopes
        .iter()
        .step_by(mesh.envelopes.len() / 20 + 1)
        .map(|e| e.0)
        .collect();
    let mut times = Vec::new();
    for fid in fids {
        let t = Instant::now();
        let f = gpkg.get_feature(layer, fid)?.expect("listed");
        let b = tramgis::gpkg::geom::bounds(f.geometry.as_ref().unwrap()).unwrap();
        let cell = grid.cell_of(b);
        let chunks = load::load_cells(&gpkg, &info, &style, &map_crs, grid, &[cell], b)?;
        let uploaded: Vec<GpuChunk> = chunks
            .iter()
            .filter_map(|c| GpuChunk::upload(&gpu.device, c))
            .collect();
        gpu.wait()?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        let n: u32 = chunks.iter().map(|c| c.features).sum();
        println!(
            "fid {fid}: cell {cell}, {n} features re-tessellated, {} chunks, {ms:.1} ms",
            uploaded.len()
        );
        times.push(ms);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "commit to uploaded: median {:.1} ms, max {:.1} ms over {} edits",
        times[times.len() / 2],
        times[times.len() - 1],
        times.len()
    );
    Ok(())
}
