//! Selecting by box in the window, on a large workspace: the window (the
//! real app, drawing on the GPU through wgpu; lavapipe where there is no
//! GPU) selects the parcels in a box covering `FRACTION` of the layer's
//! extent and keeps drawing frames meanwhile. Reports the time from the
//! command to the selection being applied, how many frames were drawn in
//! that time and the longest of them, then the time until a frame with
//! the selection highlighted is drawn (the selection flags set and one
//! frame rendered to an image), next to a frame without a selection.
//! With `--old-path`, also times the highlight as it was built before
//! (each selected feature read by fid, tessellated again in the highlight
//! style, uploaded), step by step.
//!
//! ```sh
//! cargo run --release --example select_bench -- /tmp/bench/1m.gpkg [FRACTION] [--old-path]
//! ```

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::wgpu::{WgpuTestRenderer, create_render_state, default_wgpu_setup};
use tramgis::ui::{AppCommand, TramgisApp, command::SelectMode, install_fonts};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let old_path = args.iter().any(|a| a == "--old-path");
    let mut args = args.into_iter().filter(|a| a != "--old-path");
    let path = std::path::PathBuf::from(args.next().expect("a workspace"));
    let fraction: f64 = args.next().map_or(0.3, |f| f.parse().expect("a fraction"));
    let render_state = create_render_state(
        default_wgpu_setup(),
        eframe::egui_wgpu::RendererOptions::PREDICTABLE,
    );
    let device = render_state.device.clone();
    let t = Instant::now();
    let mut app = TramgisApp::on_gpu(path.clone(), &render_state, 1);
    app.finish_loading();
    eprintln!("loaded in {:.1} s", t.elapsed().as_secs_f64());
    let builder = Harness::builder().renderer(WgpuTestRenderer::from_render_state(render_state));
    let mut h = builder.with_size([1280.0, 800.0]).build_ui_state(
        |ui, (app, fonts): &mut (TramgisApp, bool)| {
            if !*fonts {
                install_fonts(ui.ctx());
                *fonts = true;
                return;
            }
            app.show(ui);
        },
        (app, false),
    );
    h.run_steps(3);
    // The first frame compiles the pipelines; the next ones are timed.
    h.render().expect("a frame");
    let plain = frame_time(&mut h);
    let layer = h
        .state()
        .0
        .scene()
        .unwrap()
        .layers
        .iter()
        .find(|l| l.info.name == "thua_dat")
        .unwrap();
    let e = layer.extent().unwrap();
    let total = layer.count;
    let side = fraction.sqrt();
    let (c, w, hgt) = (e.center(), e.width() * side, e.height() * side);
    let area = geo_types::Rect::new(
        (c.x - w / 2.0, c.y - hgt / 2.0),
        (c.x + w / 2.0, c.y + hgt / 2.0),
    );
    h.state_mut().0.active_layer = Some("thua_dat".into());
    let start = Instant::now();
    h.state_mut().0.send(AppCommand::SelectIn {
        area: geo_types::Geometry::Rect(area),
        mode: SelectMode::Replace,
    });
    let (mut frames, mut longest) = (0u32, Duration::ZERO);
    let selected = loop {
        let f = Instant::now();
        h.run_steps(1);
        frames += 1;
        longest = longest.max(f.elapsed());
        let n: usize = h.state().0.selection.values().map(|s| s.len()).sum();
        if n > 0 {
            break n;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no selection");
    };
    let selected_in = start.elapsed();
    println!(
        "selected {selected} of {total} parcels in {:.3} s; {frames} frames drawn meanwhile, the longest {:.0} ms",
        selected_in.as_secs_f64(),
        longest.as_secs_f64() * 1000.0
    );
    // The highlight: the selection flags are set on the next frame, which
    // is then drawn with it.
    let highlight = Instant::now();
    h.run_steps(1);
    let stepped = highlight.elapsed();
    h.render().expect("a frame");
    let drawn = highlight.elapsed();
    println!(
        "highlight drawn {:.3} s after the selection ({:.3} s the window's frame that sets \
         the flags, then the map rendered); a frame without selection {:.3} s, with it {:.3} s",
        drawn.as_secs_f64(),
        stepped.as_secs_f64(),
        plain.as_secs_f64(),
        frame_time(&mut h).as_secs_f64()
    );
    if old_path {
        let fids: Vec<i64> = h.state().0.selection["thua_dat"].iter().copied().collect();
        time_old_path(&path, &fids, &device);
    }
}

/// The median time of three frames of the map rendered to an image.
fn frame_time<S>(h: &mut Harness<'_, S>) -> Duration {
    let mut times: Vec<Duration> = (0..3)
        .map(|_| {
            // A new frame of the window, or the image of the last is kept.
            h.run_steps(1);
            let t = Instant::now();
            h.render().expect("a frame");
            t.elapsed()
        })
        .collect();
    times.sort();
    times[1]
}

/// The highlight as it was built before: per selected fid a read of the
/// feature, then its tessellation in the highlight style, then upload.
fn time_old_path(path: &std::path::Path, fids: &[i64], device: &eframe::wgpu::Device) {
    let gpkg = tramgis::gpkg::GeoPackage::open_read_only(path).unwrap();
    let info = gpkg.layer("thua_dat").unwrap();
    let crs = tramgis::crs::Crs::Epsg(9214);
    let read = Instant::now();
    for &fid in fids {
        std::hint::black_box(gpkg.get_feature("thua_dat", fid).unwrap());
    }
    let read = read.elapsed();
    let built = Instant::now();
    let mesh = tramgis::render::load::load_selection(&gpkg, &info, fids, &crs).unwrap();
    let built = built.elapsed();
    let upload = Instant::now();
    let layer = tramgis::render::GpuLayer::upload(device, &mesh);
    let upload = upload.elapsed();
    println!(
        "old path for {} features: read by fid {:.2} s; read + reproject + tessellate {:.2} s \
         (so tessellation {:.2} s); upload {:.3} s ({} MB)",
        fids.len(),
        read.as_secs_f64(),
        built.as_secs_f64(),
        (built.saturating_sub(read)).as_secs_f64(),
        upload.as_secs_f64(),
        layer.bytes / 1_000_000
    );
}
