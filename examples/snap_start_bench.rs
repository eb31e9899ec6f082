//! Start editing on a big layer through the window's editing thread
//! (`ui::edit::Editing`, the same code the window runs): how long until
//! the layer is editable and snappable, and how much the snapping index
//! holds. Run under `/usr/bin/time -v` for the peak memory. For
//! BENCHMARKS.md ("Snapping (issue 10)"):
//!
//! ```sh
//! cargo build --release --example snap_start_bench
//! cp /tmp/bench/1m.gpkg /tmp/x/1m.gpkg   # start editing adopts the layer
//! /usr/bin/time -v target/release/examples/snap_start_bench /tmp/x/1m.gpkg thua_dat
//! ```

use std::time::Instant;

use tramgis::gpkg::GeoPackage;
use tramgis::ui::edit::{Editing, Request};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = std::path::PathBuf::from(&args[1]);
    let layer = args.get(2).map_or("thua_dat", |s| s.as_str()).to_string();
    let map_crs = {
        let gpkg = GeoPackage::open_read_only(&path)?;
        gpkg.layer(&layer)?.crs.clone()
    };
    let mut editing = Editing::new(&path, "bench".into(), map_crs);
    let t = Instant::now();
    editing.send(Request::Start(layer.clone()));
    editing.wait();
    let started = t.elapsed().as_secs_f64();
    let indexed = editing
        .snap_index
        .read()
        .ok()
        .and_then(|s| s.layer(&layer).map(|l| l.len()))
        .unwrap_or(0);
    println!("start editing '{layer}': {started:.2} s, {indexed} features in the snapping index");
    Ok(())
}
