//! Selecting by box in the window, on a large workspace: the window (the
//! real app, drawing on the GPU through wgpu; lavapipe where there is no
//! GPU) selects the parcels in a box covering `FRACTION` of the layer's
//! extent and keeps drawing frames meanwhile. Reports the time from the
//! command to the selection being applied, how many frames were drawn in
//! that time and the longest of them, then the time until the GPU
//! highlight of the selection is built.
//!
//! ```sh
//! cargo run --release --example select_bench -- /tmp/bench/1m.gpkg [FRACTION]
//! ```

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::wgpu::{WgpuTestRenderer, create_render_state, default_wgpu_setup};
use tramgis::ui::{AppCommand, TramgisApp, command::SelectMode, install_fonts};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = std::path::PathBuf::from(args.next().expect("a workspace"));
    let fraction: f64 = args.next().map_or(0.3, |f| f.parse().expect("a fraction"));
    let render_state = create_render_state(
        default_wgpu_setup(),
        eframe::egui_wgpu::RendererOptions::PREDICTABLE,
    );
    let t = Instant::now();
    let mut app = TramgisApp::on_gpu(path, &render_state, 1);
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
    // The highlight of the selection: built in its own job.
    let highlight = Instant::now();
    h.state_mut().0.finish_jobs();
    println!(
        "highlight of the selection built {:.2} s later (in the background)",
        highlight.elapsed().as_secs_f64()
    );
}
