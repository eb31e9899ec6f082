//! The renderer benchmark with nothing of GDAL linked in, for a machine
//! that has a GPU driver but no GIS libraries (such as a lent GPU box):
//!
//! ```sh
//! cargo build --release --no-default-features --example gpu_bench
//! gpu_bench sample --parcels 1000000 --out /tmp/p1m.gpkg
//! gpu_bench bench-render /tmp/p1m.gpkg --layers thua_dat
//! ```
//!
//! The subcommands are `tramgis sample` and `tramgis bench-render`, the same
//! code; only the link differs (the linker drops libgdal when nothing here
//! reaches it; PROJ stays, for the workspace's CRS definitions).

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use tramgis::cli;

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Sample {
        #[arg(long)]
        parcels: usize,
        #[arg(long)]
        out: PathBuf,
    },
    BenchRender(cli::render::BenchRenderArgs),
}

fn main() -> anyhow::Result<()> {
    match Args::parse().command {
        Command::Sample { parcels, out } => cli::sample(parcels, &out),
        Command::BenchRender(args) => cli::render::bench(&args),
    }
}
