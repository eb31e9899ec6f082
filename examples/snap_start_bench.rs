//! Start editing on a big layer through the window's editing thread
//! (`ui::edit::Editing`, the same code the window runs): how long until
//! the layer is editable and snappable, how much the snapping index
//! holds, then a pan (the index follows the view), a zoom out past the
//! scale limit, and snapping queries on what is indexed. Run under
//! `/usr/bin/time -v` for the peak memory. For BENCHMARKS.md
//! ("Snapping (issue 10)"):
//!
//! ```sh
//! cargo build --release --example snap_start_bench
//! cp /tmp/bench/1m.gpkg /tmp/x/1m.gpkg   # start editing adopts the layer
//! /usr/bin/time -v target/release/examples/snap_start_bench /tmp/x/1m.gpkg thua_dat
//! ```
//!
//! The view is that of a 1200 × 800 px map at 0.5 m/px (600 m × 400 m)
//! around the layer's middle fid, as when the user zooms to a parcel to
//! edit it.

use std::time::Instant;

use geo_types::{Coord, Rect};
use tramgis::edit::snap::SnapOptions;
use tramgis::gpkg::GeoPackage;
use tramgis::sample::Rng;
use tramgis::ui::edit::{Editing, Reply, Request};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Sends one request, waits for its reply; fails on an error reply.
fn timed(editing: &mut Editing, request: Request) -> anyhow::Result<f64> {
    let t = Instant::now();
    editing.send(request);
    for reply in editing.wait() {
        if let Reply::Failed(e) = reply {
            anyhow::bail!("{e}");
        }
    }
    Ok(t.elapsed().as_secs_f64())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = std::path::PathBuf::from(&args[1]);
    let layer = args.get(2).map_or("thua_dat", |s| s.as_str()).to_string();
    let (map_crs, centre, max_features) = {
        let gpkg = GeoPackage::open_read_only(&path)?;
        let info = gpkg.layer(&layer)?;
        let n = gpkg.count_features(&layer, None)?;
        let mut fid = None;
        gpkg.read_features(
            &layer,
            &tramgis::gpkg::Query {
                limit: Some(n / 2 + 1),
                skip_geometry: true,
                ..Default::default()
            },
            |f| {
                fid = f.fid;
                std::ops::ControlFlow::Continue(())
            },
        )?;
        let g = gpkg
            .get_feature(&layer, fid.expect("a feature"))?
            .and_then(|f| f.geometry)
            .expect("a geometry");
        let b = geo::BoundingRect::bounding_rect(&g).expect("not empty");
        (
            info.crs.clone(),
            b.center(),
            tramgis::ui::edit::SnapSettings::default().max_features,
        )
    };
    let view_at = |c: Coord<f64>, half_w: f64, half_h: f64| {
        Rect::new((c.x - half_w, c.y - half_h), (c.x + half_w, c.y + half_h))
    };
    let view = view_at(centre, 300.0, 200.0);
    let mut editing = Editing::new(&path, "bench".into(), map_crs);
    // The window tells the thread its view as soon as the thread starts.
    editing.send(Request::View {
        area: view,
        max_features,
    });
    let started = timed(&mut editing, Request::Start(layer.clone()))?;
    let indexed = |e: &Editing| {
        e.snap_index
            .read()
            .ok()
            .and_then(|s| s.layer(&layer).map(|l| (l.len(), l.too_many())))
            .unwrap_or((0, None))
    };
    println!(
        "start editing '{layer}': {started:.3} s, {:?} features in the snapping index (view 600 m x 400 m)",
        indexed(&editing).0
    );
    // Pans of one view width east, each outside the loaded margin.
    for k in 1..=3 {
        let c = Coord {
            x: centre.x + 600.0 * k as f64,
            y: centre.y,
        };
        let t = timed(
            &mut editing,
            Request::View {
                area: view_at(c, 300.0, 200.0),
                max_features,
            },
        )?;
        println!(
            "pan {k} view widths east: {:.1} ms, {} indexed",
            t * 1000.0,
            indexed(&editing).0
        );
    }
    // Zoomed out to 60 km x 40 km: past the limit, snapping off.
    let t = timed(
        &mut editing,
        Request::View {
            area: view_at(centre, 30_000.0, 20_000.0),
            max_features,
        },
    )?;
    println!(
        "zoom out to 60 km x 40 km: {:.1} ms, off at this scale: {:?}",
        t * 1000.0,
        indexed(&editing).1
    );
    let t = timed(
        &mut editing,
        Request::View {
            area: view,
            max_features,
        },
    )?;
    println!(
        "back to the first view: {:.1} ms, {:?}",
        t * 1000.0,
        indexed(&editing)
    );

    // Snapping queries over the indexed parcels (10 px at 0.5 m/px = 5 m
    // tolerance; and 2 m as in bench-snap).
    let index = editing.snap_index.read().expect("not poisoned");
    let l = index.layer(&layer).expect("indexed");
    let mut fids: Vec<i64> = l.fids().collect();
    fids.sort_unstable();
    let mut rng = Rng::new(10);
    let cursors: Vec<Coord<f64>> = (0..10_000)
        .map(|_| {
            let b = l.envelope(fids[rng.below(fids.len())]).expect("indexed");
            Coord {
                x: rng.range(b.min().x, b.max().x),
                y: rng.range(b.min().y, b.max().y),
            }
        })
        .collect();
    for tolerance in [2.0, 5.0] {
        let mut times: Vec<f64> = cursors
            .iter()
            .map(|&p| {
                let t = Instant::now();
                std::hint::black_box(index.snap(p, tolerance, &SnapOptions::default(), None));
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!(
            "snap query, {tolerance} m tolerance, cursor over parcels: median {:.4} ms, p99 {:.4} ms, max {:.3} ms",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            times[times.len() - 1]
        );
    }
    Ok(())
}
