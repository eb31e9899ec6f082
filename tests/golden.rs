//! Golden images: whole-scene offscreen renders of the sample workspace
//! compared with reviewed PNGs in `tests/golden/`, so that a change to the
//! renderer, the default styles or label placement shows up as a diff.
//! A pixel counts as different when a channel is off by more than
//! [`CHANNEL_TOLERANCE`]; anti-aliasing may move a few edge pixels.
//!
//! After a deliberate change, look at the new images and bless them:
//! `TRAMGIS_BLESS=1 cargo test --test golden` (they are written next to
//! the old ones, which the diff in review then shows).

use std::path::{Path, PathBuf};

use tramgis::gpkg::GeoPackage;
use tramgis::jobs::Progress;
use tramgis::render::headless::{self, Gpu, Image};
use tramgis::render::{GpuLayer, Renderer, RendererOptions, View, scene, text};

const CHANNEL_TOLERANCE: u8 = 40;
/// Share of pixels that may differ (edges of anti-aliased shapes and text).
const MAX_DIFFERENT: f64 = 0.01;

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// The sample's layers in their stored styles, with labels, at `view`.
fn render(workspace: &Path, view: &View) -> Image {
    let gpkg = GeoPackage::open_read_only(workspace).unwrap();
    let layers = scene::pick_layers(&gpkg, None).unwrap();
    let styles = scene::stored_styles(&gpkg, &layers);
    let meshes = scene::load_layers(
        &gpkg,
        &layers,
        &styles,
        &tramgis::crs::Crs::Epsg(9214),
        &Progress::default(),
    )
    .unwrap();
    let gpu = Gpu::new().expect("a wgpu adapter (lavapipe will do)");
    let mut renderer = Renderer::new(
        &gpu.device,
        &gpu.queue,
        headless::FORMAT,
        RendererOptions {
            sample_count: 4,
            ..RendererOptions::default()
        },
    );
    let uploaded: Vec<GpuLayer> = meshes
        .iter()
        .map(|m| GpuLayer::upload(&gpu.device, m))
        .collect();
    let refs: Vec<&GpuLayer> = uploaded.iter().collect();
    let (mut image, _) = headless::render_image(&gpu, &mut renderer, view, &refs).unwrap();
    let labels: Vec<_> = meshes.iter().rev().map(|m| &m.labels).collect();
    text::draw_labels(&mut image, &labels, view);
    image
}

fn compare(name: &str, image: &Image) {
    let path = golden(name);
    if std::env::var_os("TRAMGIS_BLESS").is_some() {
        image.write_png(&path).unwrap();
        return;
    }
    let expected = image::open(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (bless with TRAMGIS_BLESS=1)", path.display()))
        .to_rgba8();
    assert_eq!(
        (expected.width(), expected.height()),
        (image.width, image.height),
        "{name}: size"
    );
    let different = expected
        .pixels()
        .zip(image.pixels.chunks_exact(4))
        .filter(|(e, got)| {
            e.0.iter()
                .zip(got.iter())
                .any(|(a, b)| a.abs_diff(*b) > CHANNEL_TOLERANCE)
        })
        .count();
    let share = different as f64 / f64::from(image.width * image.height);
    if share > MAX_DIFFERENT {
        let actual = std::env::temp_dir().join(format!("tramgis-actual-{name}"));
        image.write_png(&actual).unwrap();
        panic!(
            "{name}: {:.2} % of pixels differ from {} (this render: {})",
            share * 100.0,
            path.display(),
            actual.display()
        );
    }
}

#[test]
fn the_sample_workspace_looks_as_reviewed() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("sample.gpkg");
    tramgis::sample::generate(&workspace, 2000, |_, _| {}).unwrap();
    let gpkg = GeoPackage::open_read_only(&workspace).unwrap();
    // A town centre: the first district seat's neighbourhood, 3 km wide,
    // with parcels, roads, towers, cameras, poles and labels.
    let town = gpkg.all_features("thon_xom").unwrap()[0]
        .geometry
        .clone()
        .unwrap();
    let c = geo::InteriorPoint::interior_point(&town).unwrap();
    let town_view = View::fit(
        geo_types::Rect::new(
            (c.x() - 1500.0, c.y() - 1000.0),
            (c.x() + 1500.0, c.y() + 1000.0),
        ),
        480,
        320,
    );
    compare("town.png", &render(&workspace, &town_view));
    // The whole province: dots for sub-pixel parcels, district labels.
    let extent = gpkg.layer("ranh_gioi_huyen").unwrap().extent.unwrap();
    let province = View::fit(extent, 480, 320);
    compare("province.png", &render(&workspace, &province));
}
