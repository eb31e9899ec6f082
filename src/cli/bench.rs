//! `tramgis bench`: store throughput on province-scale data, next to GDAL
//! doing the same work on the same machine. Numbers go to BENCHMARKS.md.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::gpkg::{GeoPackage, Query};
use crate::sample::{self, Rng};

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Number of parcels.
    #[arg(long, default_value_t = 1_000_000)]
    pub parcels: usize,
    /// Directory for the files written (default: a temporary directory).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Skip the GDAL comparison.
    #[arg(long)]
    pub no_gdal: bool,
}

fn rate(n: u64, seconds: f64) -> String {
    format!("{:>12.0} features/s ({seconds:.2} s)", n as f64 / seconds)
}

pub fn run(args: &BenchArgs) -> Result<()> {
    let tmp;
    let dir = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => {
            tmp = std::env::temp_dir().join(format!("tramgis-bench-{}", std::process::id()));
            std::fs::create_dir_all(&tmp)?;
            tmp.clone()
        }
    };
    let n = args.parcels;
    println!("tramgis bench: {n} parcels, files in {}", dir.display());

    let t = Instant::now();
    let parcels = sample::parcels_in_memory(n)?;
    println!(
        "generate (in memory)      {}",
        rate(n as u64, t.elapsed().as_secs_f64())
    );

    let path = dir.join("bench.gpkg");
    remove_gpkg(&path);
    let defs = sample::layer_definitions();
    let def = defs
        .iter()
        .find(|d| d.name == "thua_dat")
        .expect("parcel layer is defined");
    let t = Instant::now();
    {
        let mut gpkg = GeoPackage::create(&path)?;
        gpkg.create_layer(def.name, &def.schema, &def.meta)?;
        let mut w = gpkg.bulk_writer(def.name, "bench")?;
        for f in parcels {
            w.add(f)?;
        }
        w.finish()?;
        gpkg.checkpoint()?;
    }
    let write_s = t.elapsed().as_secs_f64();
    println!("write with R-tree         {}", rate(n as u64, write_s));

    let gpkg = GeoPackage::open_read_only(&path)?;
    for pass in 1..=3 {
        let t = Instant::now();
        let mut vertices = 0usize;
        let count = gpkg.read_features(def.name, &Query::default(), |f| {
            if let Some(g) = &f.geometry {
                crate::gpkg::geom::visit_coords(g, &mut |_| vertices += 1);
            }
            ControlFlow::Continue(())
        })?;
        if count != n as u64 {
            bail!("read {count} features, wrote {n}");
        }
        println!(
            "read all, pass {pass}         {}  [{vertices} vertices]",
            rate(count, t.elapsed().as_secs_f64())
        );
    }
    let [minx, miny, maxx, maxy] = sample::projected_extent()?;
    let mut rng = Rng::new(42);
    let (windows, mut hits) = (200, 0u64);
    let t = Instant::now();
    for _ in 0..windows {
        let (x, y) = (
            rng.range(minx, maxx - 2000.0),
            rng.range(miny, maxy - 1500.0),
        );
        hits += gpkg.read_features(def.name, &Query::bbox(x, y, x + 2000.0, y + 1500.0), |_| {
            ControlFlow::Continue(())
        })?;
    }
    let per = t.elapsed().as_secs_f64() / windows as f64;
    println!(
        "bbox 2 x 1.5 km           {:>9.2} ms per window, {} features per window",
        per * 1000.0,
        hits / windows
    );
    drop(gpkg);

    if args.no_gdal {
        return Ok(());
    }
    let seq = dir.join("parcels.geojsons");
    let _ = std::fs::remove_file(&seq);
    gdal(&[
        "-f",
        "GeoJSONSeq",
        seq.to_str().unwrap(),
        path.to_str().unwrap(),
        def.name,
    ])?;
    let gdal_out = dir.join("gdal.gpkg");
    remove_gpkg(&gdal_out);
    let t = Instant::now();
    gdal(&[
        "-f",
        "GPKG",
        "-a_srs",
        "EPSG:9214",
        "-nln",
        def.name,
        "-nlt",
        "POLYGON",
        gdal_out.to_str().unwrap(),
        seq.to_str().unwrap(),
    ])?;
    println!(
        "ogr2ogr GeoJSONSeq->GPKG  {}",
        rate(n as u64, t.elapsed().as_secs_f64())
    );
    let gdal_copy = dir.join("gdal-copy.gpkg");
    remove_gpkg(&gdal_copy);
    let t = Instant::now();
    gdal(&[
        "-f",
        "GPKG",
        gdal_copy.to_str().unwrap(),
        path.to_str().unwrap(),
        def.name,
    ])?;
    println!(
        "ogr2ogr GPKG->GPKG        {}",
        rate(n as u64, t.elapsed().as_secs_f64())
    );
    let t = Instant::now();
    gdal(&["-f", "Memory", "mem", path.to_str().unwrap(), def.name])?;
    println!(
        "ogr2ogr GPKG->Memory      {}",
        rate(n as u64, t.elapsed().as_secs_f64())
    );
    let t = Instant::now();
    gdal(&[
        "-f",
        "GeoJSONSeq",
        "/dev/null",
        path.to_str().unwrap(),
        def.name,
    ])?;
    println!(
        "ogr2ogr GPKG->/dev/null   {}  (GeoJSONSeq writer)",
        rate(n as u64, t.elapsed().as_secs_f64())
    );
    for p in [&seq, &gdal_out, &gdal_copy] {
        remove_gpkg(p);
    }
    bench_shapefile_import(&dir, &path, def.name, n as u64)
}

/// Importing a province-scale Shapefile (what consultants deliver) into a
/// workspace, next to ogr2ogr writing a GeoPackage from the same file.
fn bench_shapefile_import(dir: &Path, gpkg: &Path, layer: &str, n: u64) -> Result<()> {
    let shp_dir = dir.join("shp");
    let _ = std::fs::remove_dir_all(&shp_dir);
    std::fs::create_dir_all(&shp_dir)?;
    let shp = shp_dir.join("thua_dat.shp");
    gdal(&[
        "-lco",
        "ENCODING=UTF-8",
        shp.to_str().unwrap(),
        gpkg.to_str().unwrap(),
        layer,
    ])?;
    let target = dir.join("import.gpkg");
    remove_gpkg(&target);
    let t = Instant::now();
    {
        let mut ws = GeoPackage::create(&target)?;
        let options = crate::io::ImportOptions::new(
            &shp,
            crate::io::Target::New {
                name: layer.to_string(),
                meta: Default::default(),
            },
        );
        let report = crate::io::import(&mut ws, &options, &crate::jobs::Progress::default())?;
        if report.imported() != n || !report.rejected.is_empty() {
            bail!(
                "imported {} of {n}, {} rejected",
                report.imported(),
                report.rejected.len()
            );
        }
    }
    println!(
        "import Shapefile->GPKG    {}",
        rate(n, t.elapsed().as_secs_f64())
    );
    let gdal_out = dir.join("gdal-shp.gpkg");
    remove_gpkg(&gdal_out);
    let t = Instant::now();
    gdal(&[
        "-f",
        "GPKG",
        gdal_out.to_str().unwrap(),
        shp.to_str().unwrap(),
    ])?;
    println!(
        "ogr2ogr Shapefile->GPKG   {}",
        rate(n, t.elapsed().as_secs_f64())
    );
    remove_gpkg(&target);
    remove_gpkg(&gdal_out);
    let _ = std::fs::remove_dir_all(&shp_dir);
    Ok(())
}

fn gdal(args: &[&str]) -> Result<()> {
    let out = Command::new("ogr2ogr")
        .args(args)
        .output()
        .context("running ogr2ogr (install gdal-bin)")?;
    if !out.status.success() {
        bail!(
            "ogr2ogr {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

fn remove_gpkg(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}
