//! The window driven headlessly: the harness the UI tests share.

use egui_kittest::Harness;
use tramgis::ui::{TramgisApp, install_fonts};

pub type State = (TramgisApp, bool);

pub fn harness(path: std::path::PathBuf) -> Harness<'static, State> {
    let builder = Harness::builder().wgpu();
    harness_of(TramgisApp::new(path), builder)
}

/// The app with its map drawn by the wgpu renderer inside egui's pass, as
/// in the window (the other tests use the painter).
pub fn gpu_harness(path: std::path::PathBuf) -> Harness<'static, State> {
    use egui_kittest::wgpu::{WgpuTestRenderer, create_render_state, default_wgpu_setup};
    let render_state = create_render_state(
        default_wgpu_setup(),
        eframe::egui_wgpu::RendererOptions::PREDICTABLE,
    );
    let app = TramgisApp::on_gpu(path, &render_state, 1);
    let builder = Harness::builder().renderer(WgpuTestRenderer::from_render_state(render_state));
    harness_of(app, builder)
}

pub fn harness_of(
    mut app: TramgisApp,
    builder: egui_kittest::HarnessBuilder<State>,
) -> Harness<'static, State> {
    app.finish_loading();
    let mut h = builder.with_size([1200.0, 800.0]).build_ui_state(
        |ui, (app, fonts): &mut State| {
            // Fonts apply from the next frame; egui refuses to lay out a
            // glyph it has no font for, so the first frame only installs them.
            if !*fonts {
                install_fonts(ui.ctx());
                *fonts = true;
                return;
            }
            app.show(ui);
        },
        (TramgisApp::new(std::path::PathBuf::new()), false),
    );
    h.state_mut().0 = app;
    h.run_steps(3);
    h
}
