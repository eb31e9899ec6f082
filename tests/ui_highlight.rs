//! The selection highlighted by the wgpu renderer (lavapipe where there is
//! no GPU) from per-feature flags over the layer's own chunks: offscreen
//! through the renderer, and in the window after a box selection and after
//! an edit rebuilt the chunks. Checked pixel by pixel: the highlight colour
//! over selected parcels, the parcel's own colour over the others.

mod common;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use geo::InteriorPoint;
use geo_types::{Geometry, Rect};
use tramgis::crs::Crs;
use tramgis::gpkg::GeoPackage;
use tramgis::jobs::Progress;
use tramgis::render::headless::{self, Gpu, Image};
use tramgis::render::load::load_layer;
use tramgis::render::selection::FidSet;
use tramgis::render::{GpuLayer, LayerStyle, Renderer, RendererOptions, Symbology, View};

/// The highlight's fill (translucent yellow) laid over `under`.
fn highlighted(under: [u8; 3]) -> [u8; 3] {
    let Symbology::Single(h) = LayerStyle::highlight().symbology else {
        panic!("the highlight is one colour");
    };
    let a = f64::from(h[3]) / 255.0;
    std::array::from_fn(|i| (f64::from(under[i]) * (1.0 - a) + f64::from(h[i]) * a).round() as u8)
}

fn close(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 3)
}

/// The middle quarter of a box.
fn middle(e: Rect<f64>) -> Rect<f64> {
    let (c, w, h) = (e.center(), e.width() / 4.0, e.height() / 4.0);
    Rect::new((c.x - w, c.y - h), (c.x + w, c.y + h))
}

fn inside(outer: Rect<f64>, inner: Rect<f64>) -> bool {
    outer.min().x <= inner.min().x
        && outer.min().y <= inner.min().y
        && inner.max().x <= outer.max().x
        && inner.max().y <= outer.max().y
}

fn apart(a: Rect<f64>, b: Rect<f64>) -> bool {
    a.max().x < b.min().x || b.max().x < a.min().x || a.max().y < b.min().y || b.max().y < a.min().y
}

/// Each parcel: fid, box and a point inside it (layer CRS = map CRS).
fn parcels(path: &std::path::Path) -> Vec<(i64, Rect<f64>, [f64; 2])> {
    GeoPackage::open_read_only(path)
        .unwrap()
        .all_features("thua_dat")
        .unwrap()
        .into_iter()
        .filter_map(|f| {
            let g = f.geometry?;
            let p = g.interior_point()?;
            Some((
                f.fid?,
                geo::BoundingRect::bounding_rect(&g)?,
                [p.x(), p.y()],
            ))
        })
        .collect()
}

fn gpu() -> &'static Gpu {
    static GPU: OnceLock<Gpu> = OnceLock::new();
    GPU.get_or_init(|| Gpu::new().expect("a wgpu adapter (lavapipe will do)"))
}

/// The pixel at the centre of a 200 x 200 view 60 m wide around `p`.
fn centre_pixel(renderer: &mut Renderer, layer: &GpuLayer, p: [f64; 2]) -> [u8; 3] {
    let view = View {
        centre: p,
        resolution: 0.3,
        width: 200,
        height: 200,
    };
    let (image, _): (Image, _) = headless::render_image(gpu(), renderer, &view, &[layer]).unwrap();
    let px = image.pixel(100, 100);
    [px[0], px[1], px[2]]
}

#[test]
fn selection_flags_highlight_the_selected_features_of_every_chunk_and_no_other() {
    let dir = tempfile::tempdir().unwrap();
    // Enough parcels for a grid of several cells, so several chunks.
    let path = common::sample(dir.path(), 6000);
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let info = gpkg.layer("thua_dat").unwrap();
    let style = LayerStyle::default_for(&info, true);
    let mesh = load_layer(&gpkg, &info, &style, &Crs::Epsg(9214), &Progress::default()).unwrap();
    let gpu = gpu();
    let mut layer = GpuLayer::upload(&gpu.device, &mesh);
    assert!(layer.chunks.len() >= 4, "{} chunks", layer.chunks.len());
    let mut renderer = Renderer::new(
        &gpu.device,
        &gpu.queue,
        headless::FORMAT,
        RendererOptions {
            sample_count: 1,
            ..RendererOptions::default()
        },
    );
    // The parcels lying inside the middle quarter of the layer are selected.
    let all = parcels(&path);
    let area = middle(mesh.extent.unwrap());
    let selected: BTreeSet<i64> = all
        .iter()
        .filter(|(_, b, _)| inside(area, *b))
        .map(|(f, _, _)| *f)
        .collect();
    // A selected and an unselected parcel of each chunk that has them.
    let mut probes = Vec::new();
    for chunk in &layer.chunks {
        let of_chunk = |want: bool| {
            all.iter().find(|(f, b, _)| {
                chunk.fids.contains(f)
                    && if want {
                        selected.contains(f)
                    } else {
                        apart(area, *b)
                    }
            })
        };
        for want in [true, false] {
            if let Some((fid, _, p)) = of_chunk(want) {
                probes.push((*fid, *p, want));
            }
        }
    }
    let chunks_with_selected = layer
        .chunks
        .iter()
        .filter(|c| c.fids.iter().any(|f| selected.contains(f)))
        .count();
    assert!(chunks_with_selected >= 2, "the box spans several chunks");
    let plain: Vec<[u8; 3]> = probes
        .iter()
        .map(|(_, p, _)| centre_pixel(&mut renderer, &layer, *p))
        .collect();

    renderer.select(&mut layer, &FidSet::new(&selected));
    let flagged = layer
        .chunks
        .iter()
        .filter(|c| c.selection_base.is_some())
        .count();
    assert_eq!(flagged, chunks_with_selected);
    for ((fid, p, selected), before) in probes.iter().zip(&plain) {
        let got = centre_pixel(&mut renderer, &layer, *p);
        let want = if *selected {
            highlighted(*before)
        } else {
            *before
        };
        assert!(
            close(got, want),
            "parcel {fid} (selected: {selected}) drawn {got:?}, expected {want:?}"
        );
    }
    // An empty selection takes the highlight away.
    renderer.select(&mut layer, &FidSet::new(&BTreeSet::new()));
    assert!(layer.selection.is_none());
    for ((_, p, _), before) in probes.iter().zip(&plain) {
        assert!(close(centre_pixel(&mut renderer, &layer, *p), *before));
    }
}

#[cfg(feature = "gui")]
mod window {
    use super::*;
    use common::ui::{
        State, click_map, fids, finish, gpu_harness, snapping_off, start_editing, zoom_around,
    };
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use tramgis::ui::AppCommand;
    use tramgis::ui::command::SelectMode;
    use tramgis::ui::map::ScreenView;

    struct Probe {
        fid: i64,
        at: [f64; 2],
        plain: [u8; 3],
    }

    /// The window's pixel over map point `p`, zoomed around it.
    fn pixel_over(h: &mut Harness<'static, State>, p: [f64; 2]) -> [u8; 3] {
        zoom_around(h, p, 40.0);
        let at = {
            let app = &h.state().0;
            app.view().unwrap().to_screen(app.map_rect().unwrap(), p)
        };
        let image = h.render().unwrap();
        let px = image.get_pixel(at.x as u32, at.y as u32);
        [px[0], px[1], px[2]]
    }

    /// The sample in the window on the GPU renderer (labels off), a box
    /// over the middle of the parcels, a parcel inside it and one away
    /// from it, with their colours before any selection.
    fn setup(
        dir: &std::path::Path,
    ) -> (
        Harness<'static, State>,
        std::path::PathBuf,
        Rect<f64>,
        Probe,
        Probe,
    ) {
        let path = common::sample(dir, 800);
        let all = parcels(&path);
        let extent = all
            .iter()
            .map(|(_, b, _)| *b)
            .reduce(|a, b| tramgis::gpkg::geom::union(Some(a), b))
            .unwrap();
        let area = middle(extent);
        let pick = |want: bool| {
            let (fid, _, at) = *all
                .iter()
                .find(|(_, b, _)| {
                    if want {
                        inside(area, *b)
                    } else {
                        apart(area, *b)
                    }
                })
                .unwrap();
            (fid, at)
        };
        let mut h = gpu_harness(path.clone());
        h.state_mut().0.set_label_field("thua_dat", None);
        h.state_mut().0.finish_loading();
        h.run_steps(2);
        let mut probe = |(fid, at): (i64, [f64; 2])| Probe {
            fid,
            at,
            plain: pixel_over(&mut h, at),
        };
        let (sel, unsel) = (probe(pick(true)), probe(pick(false)));
        (h, path, area, sel, unsel)
    }

    fn select_box(h: &mut Harness<'static, State>, area: Rect<f64>) {
        h.state_mut().0.active_layer = Some("thua_dat".into());
        h.state_mut().0.send(AppCommand::SelectIn {
            area: Geometry::Rect(area),
            mode: SelectMode::Replace,
        });
        h.state_mut().0.finish_jobs();
        h.run_steps(2);
    }

    fn check(h: &mut Harness<'static, State>, sel: &Probe, unsel: &Probe) {
        let selection = &h.state().0.selection["thua_dat"];
        assert!(selection.contains(&sel.fid) && !selection.contains(&unsel.fid));
        let got = pixel_over(h, sel.at);
        let want = highlighted(sel.plain);
        assert!(
            close(got, want),
            "selected parcel {} drawn {got:?}, highlight {want:?}",
            sel.fid
        );
        let got = pixel_over(h, unsel.at);
        assert!(
            close(got, unsel.plain),
            "unselected parcel {} drawn {got:?}, its colour {:?}",
            unsel.fid,
            unsel.plain
        );
    }

    #[test]
    fn a_box_selection_is_highlighted_over_the_selected_parcels_only() {
        let dir = tempfile::tempdir().unwrap();
        let (mut h, _, area, sel, unsel) = setup(dir.path());
        select_box(&mut h, area);
        check(&mut h, &sel, &unsel);
        // Cleared, the highlight goes.
        h.state_mut().0.selection.clear();
        h.run_steps(2);
        assert!(close(pixel_over(&mut h, sel.at), sel.plain));
    }

    #[test]
    fn after_an_edit_rebuilds_the_chunks_the_highlight_stays_on_the_selected_parcels() {
        let dir = tempfile::tempdir().unwrap();
        let (mut h, path, area, sel, unsel) = setup(dir.path());
        select_box(&mut h, area);
        check(&mut h, &sel, &unsel);
        let before = fids(&path, "thua_dat").len();
        // A parcel drawn elsewhere: its cell's chunks are tessellated again
        // (read in another order, with one feature more) and replaced.
        zoom_around(&mut h, [area.min().x, area.max().y], 100.0);
        start_editing(&mut h, "thua_dat");
        snapping_off(&mut h);
        h.get_by_label("Thêm vùng").click();
        h.run_steps(2);
        let centre = h.state().0.map_rect().unwrap().center();
        // Left of the centre: the map's rect reaches under the editing panel.
        for d in [(-90.0, -20.0), (-30.0, -20.0), (-30.0, 20.0), (-90.0, 20.0)] {
            click_map(&mut h, centre + egui::vec2(d.0, d.1));
        }
        // A right click finishes it (Enter does too, when the map has
        // the keyboard).
        let last = centre + egui::vec2(-90.0, 20.0);
        for pressed in [true, false] {
            h.event(egui::Event::PointerButton {
                pos: last,
                button: egui::PointerButton::Secondary,
                pressed,
                modifiers: egui::Modifiers::NONE,
            });
            h.run_steps(1);
        }
        finish(&mut h);
        h.run_steps(2);
        assert_eq!(
            fids(&path, "thua_dat").len(),
            before + 1,
            "the parcel is added"
        );
        check(&mut h, &sel, &unsel);
    }
}
