//! The window: an eframe (wgpu) app around the map, the layer tree and the
//! status bar. Its structure: `app` wires the workspace, view, panels,
//! active tool, `jobs` and `notifications` together; everything that
//! changes state is a `command::AppCommand`; `panels` and `tools` (one
//! file each) only send commands.

mod app;
pub mod command;
pub mod edit;
mod gpu;
pub mod i18n;
pub mod jobs;
pub mod map;
pub mod notifications;
pub mod panels;
pub mod tools;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub use app::TramgisApp;
pub use command::AppCommand;
pub use panels::identify::Identified;
pub use tools::Tool;

/// The bundled sample workspace, written to the user's data directory on
/// first start so that edits never touch the copy inside the program.
const SAMPLE: &[u8] = include_bytes!("../../sample-data/bac-giang-sample.gpkg");
const SAMPLE_NAME: &str = "bac-giang-sample.gpkg";

fn data_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/share")))
        .unwrap_or_else(std::env::temp_dir)
        .join("tramgis")
}

/// The path of the user's copy of the sample workspace, created if missing.
pub fn sample_workspace() -> Result<PathBuf> {
    let dir = data_dir();
    let path = dir.join(SAMPLE_NAME);
    if !path.exists() {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let partial = dir.join(format!("{SAMPLE_NAME}.partial"));
        std::fs::write(&partial, SAMPLE)
            .with_context(|| format!("writing {}", partial.display()))?;
        std::fs::rename(&partial, &path).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(path)
}

/// The workspaces opened last, newest first (kept in the data directory).
pub fn recent_files() -> Vec<PathBuf> {
    std::fs::read_to_string(data_dir().join("recent.txt"))
        .unwrap_or_default()
        .lines()
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .collect()
}

/// Puts a workspace at the top of the recent files.
pub fn remember_recent(path: &Path) {
    let mut list = recent_files();
    list.retain(|p| p != path);
    list.insert(0, path.to_path_buf());
    list.truncate(10);
    let text: String = list.iter().map(|p| format!("{}\n", p.display())).collect();
    let _ = std::fs::create_dir_all(data_dir());
    let _ = std::fs::write(data_dir().join("recent.txt"), text);
}

/// The editor's name the journal records: the preference kept in the
/// data directory, else the login name.
pub fn user_name() -> String {
    std::fs::read_to_string(data_dir().join("user.txt"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "tramgis".to_string())
}

/// Keeps the editor's name (written whole: a temp file, then a rename).
pub fn remember_user_name(name: &str) -> std::io::Result<()> {
    let dir = data_dir();
    std::fs::create_dir_all(&dir)?;
    let partial = dir.join("user.txt.partial");
    std::fs::write(&partial, format!("{}\n", name.trim()))?;
    std::fs::rename(&partial, dir.join("user.txt"))
}

/// Egui's default fonts lack most Vietnamese letters (ạ, ử, ấ …); Noto Sans
/// (OFL, assets/) covers them all and goes first.
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert(
        "noto-sans".into(),
        std::sync::Arc::new(egui::FontData::from_static(crate::render::text::NOTO_SANS)),
    );
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts
            .families
            .entry(family)
            .or_default()
            .insert(0, "noto-sans".into());
    }
    ctx.set_fonts(fonts);
}

/// egui's wgpu setup, choosing the adapter as the offscreen renderer does
/// (hardware first, native APIs before OpenGL) among those that can draw
/// into the window, and taking the first whose device opens: on a machine
/// where DX12 is listed but fails (old drivers; Wine), Vulkan or OpenGL
/// draws the window instead of it not starting.
fn wgpu_options() -> eframe::egui_wgpu::WgpuConfiguration {
    use eframe::egui_wgpu::{WgpuSetup, WgpuSetupCreateNew};
    let mut setup = WgpuSetupCreateNew::without_display_handle();
    setup.native_adapter_selector = Some(std::sync::Arc::new(|adapters, surface| {
        let mut usable: Vec<_> = adapters
            .iter()
            .filter(|a| surface.is_none_or(|s| a.is_surface_supported(s)))
            .cloned()
            .collect();
        crate::render::headless::sort_by_preference(&mut usable);
        crate::render::headless::first_that_opens(usable, |_| Default::default())
            .map(|(adapter, _, _)| adapter)
    }));
    eframe::egui_wgpu::WgpuConfiguration {
        wgpu_setup: WgpuSetup::CreateNew(setup),
        ..Default::default()
    }
}

pub fn run(workspace: Option<PathBuf>) -> Result<()> {
    let started = std::time::Instant::now();
    let path = match workspace {
        Some(p) => p,
        None => sample_workspace()?,
    };
    let options = eframe::NativeOptions {
        renderer: eframe::Renderer::Wgpu,
        viewport: egui::ViewportBuilder::default()
            .with_title("tramgis")
            .with_inner_size([1280.0, 800.0]),
        multisampling: gpu::MSAA,
        wgpu_options: wgpu_options(),
        ..Default::default()
    };
    eframe::run_native(
        "tramgis",
        options,
        Box::new(move |cc| {
            install_fonts(&cc.egui_ctx);
            // For checks of the real window: a letter no font can draw stops
            // the program instead of showing a box.
            if std::env::var_os("TRAMGIS_STRICT_GLYPHS").is_some() {
                cc.egui_ctx
                    .set_missing_glyph_policy(egui::MissingGlyphPolicy::Panic);
            }
            let gpu = cc.wgpu_render_state.as_ref().map(gpu::Gpu::new);
            let mut app = TramgisApp::with_gpu(path, gpu);
            app.started_at(started);
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot start the window: {e}"))
}
