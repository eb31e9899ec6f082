//! The map renderer drawn offscreen on a real wgpu device (lavapipe where
//! there is no GPU) and checked pixel by pixel against the store.

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::OnceLock;

use geo::{BoundingRect, Contains, InteriorPoint};
use geo_types::{Coord, Geometry, LineString, Point, Polygon, polygon};
use tramgis::crs::{Crs, Transformer};
use tramgis::gpkg::{GeoPackage, LayerMeta, Query};
use tramgis::jobs::Progress;
use tramgis::model::landuse::landuse_code;
use tramgis::model::{Feature, Field, FieldType, FieldValue, GeometryType, Schema};
use tramgis::render::headless::{self, Gpu, Image};
use tramgis::render::load::{load_layer, load_selection};
use tramgis::render::style::{OPERATORS, rgb};
use tramgis::render::{
    FrameStats, GpuLayer, LayerMesh, LayerStyle, Renderer, RendererOptions, Symbology, View,
};

const BACKGROUND: [u8; 4] = [255, 255, 255, 255];

fn gpu() -> &'static Gpu {
    static GPU: OnceLock<Gpu> = OnceLock::new();
    GPU.get_or_init(|| Gpu::new().expect("a wgpu adapter (lavapipe will do)"))
}

fn sample() -> &'static Path {
    // Generated once for all tests; the directory lives as long as the process.
    static SAMPLE: OnceLock<(tempfile::TempDir, std::path::PathBuf)> = OnceLock::new();
    let (_, path) = SAMPLE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.gpkg");
        tramgis::sample::generate(&path, 2000, |_, _| {}).unwrap();
        (dir, path)
    });
    path
}

fn load(gpkg: &GeoPackage, layer: &str, style: Option<LayerStyle>) -> LayerMesh {
    let info = gpkg.layer(layer).unwrap();
    let style = style.unwrap_or_else(|| LayerStyle::default_for(&info, true));
    load_layer(gpkg, &info, &style, &Crs::Epsg(9214), &Progress::default()).unwrap()
}

fn draw(meshes: &[&LayerMesh], view: &View, sample_count: u32) -> (Image, FrameStats) {
    let gpu = gpu();
    let mut renderer = Renderer::new(
        &gpu.device,
        &gpu.queue,
        headless::FORMAT,
        RendererOptions {
            sample_count,
            background: BACKGROUND,
        },
    );
    let layers: Vec<GpuLayer> = meshes
        .iter()
        .map(|m| GpuLayer::upload(&gpu.device, m))
        .collect();
    let refs: Vec<&GpuLayer> = layers.iter().collect();
    headless::render_image(gpu, &mut renderer, view, &refs).unwrap()
}

/// The pixel under a map point.
fn pixel_at(image: &Image, view: &View, p: Coord<f64>) -> [u8; 4] {
    let px = view.to_pixel([p.x, p.y]);
    image.pixel(px[0].floor() as u32, px[1].floor() as u32)
}

/// The pixel under the map point (`X0 + x`, `Y0 + y`).
fn pixel_near_origin(image: &Image, view: &View, x: f64, y: f64) -> [u8; 4] {
    pixel_at(
        image,
        view,
        Coord {
            x: X0 + x,
            y: Y0 + y,
        },
    )
}

fn around(c: Coord<f64>, half_width: f64, width: u32, height: u32) -> View {
    View {
        centre: [c.x, c.y],
        resolution: 2.0 * half_width / f64::from(width),
        width,
        height,
    }
}

fn close(a: [u8; 4], b: [u8; 4], tolerance: u8) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tolerance)
}

fn open(path: &Path) -> GeoPackage {
    GeoPackage::open_with(
        path,
        &tramgis::gpkg::OpenOptions {
            read_only: true,
            ..Default::default()
        },
    )
    .unwrap()
}

fn polygons_of(gpkg: &GeoPackage, layer: &str, query: &Query) -> Vec<(i64, Polygon<f64>, String)> {
    let code = gpkg.layer(layer).unwrap().schema.field_index("ma_loai_dat");
    let mut out = Vec::new();
    gpkg.read_features(layer, query, |f| {
        if let Some(Geometry::Polygon(p)) = f.geometry {
            let c = code
                .and_then(|i| f.values[i].as_str().map(str::to_string))
                .unwrap_or_default();
            out.push((f.fid.unwrap(), p, c));
        }
        ControlFlow::Continue(())
    })
    .unwrap();
    out
}

#[test]
fn a_parcel_interior_has_its_land_use_colour() {
    let gpkg = open(sample());
    let mesh = load(&gpkg, "thua_dat", None);
    let parcels = polygons_of(&gpkg, "thua_dat", &Query::default());
    let mut checked = 0;
    for (fid, parcel, code) in parcels.iter().step_by(97) {
        let inside = parcel.interior_point().unwrap().0;
        // Parcel blocks of neighbouring communes may overlap: only a point
        // no other parcel covers has a single right answer.
        if parcels
            .iter()
            .any(|(other, p, _)| other != fid && p.contains(&Point(inside)))
        {
            continue;
        }
        let view = around(inside, 60.0, 400, 300);
        let (image, stats) = draw(&[&mesh], &view, 4);
        assert!(stats.triangles > 0 && stats.chunks_drawn >= 1, "{stats:?}");
        let c = landuse_code(code).unwrap().rgb;
        assert_eq!(
            pixel_at(&image, &view, inside),
            rgb(c[0], c[1], c[2]),
            "parcel {fid} ({code}) at {inside:?}"
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} parcels checked");
}

#[test]
fn a_bts_tower_symbol_covers_its_position() {
    let gpkg = open(sample());
    let mesh = load(&gpkg, "tram_bts", None);
    let operator = gpkg
        .layer("tram_bts")
        .unwrap()
        .schema
        .field_index("nha_mang")
        .unwrap();
    let towers: Vec<(Coord<f64>, String)> = gpkg
        .all_features("tram_bts")
        .unwrap()
        .into_iter()
        .filter_map(|f| match f.geometry {
            Some(Geometry::Point(p)) => Some((p.0, f.values[operator].to_string())),
            _ => None,
        })
        .collect();
    let mut checked = 0;
    for (at, op) in towers.iter().step_by(23) {
        // A tower with a neighbour within 40 m may be drawn over.
        let crowded = towers
            .iter()
            .any(|(o, _)| o != at && (o.x - at.x).hypot(o.y - at.y) < 40.0);
        if crowded {
            continue;
        }
        let view = around(*at, 200.0, 400, 300); // 1 m/px, the symbol 20 px
        let (image, stats) = draw(&[&mesh], &view, 4);
        assert!(stats.symbols > 0);
        let expected = OPERATORS.iter().find(|(name, _)| name == op).unwrap().1;
        assert_eq!(
            pixel_at(&image, &view, *at),
            expected,
            "tower at {at:?} ({op})"
        );
        // 15 px to the side is past the symbol: background.
        let beside = Coord {
            x: at.x - 15.0,
            y: at.y,
        };
        assert_eq!(pixel_at(&image, &view, beside), BACKGROUND);
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} towers checked");
}

/// A new workspace with one layer of `features` in `srs`.
fn workspace(
    dir: &Path,
    name: &str,
    geometry: GeometryType,
    srs: i32,
    features: &[Geometry<f64>],
) -> GeoPackage {
    let path = dir.join(format!("{name}.gpkg"));
    let mut gpkg = GeoPackage::create(&path).unwrap();
    add_layer(&mut gpkg, name, geometry, srs, features);
    gpkg
}

fn add_layer(
    gpkg: &mut GeoPackage,
    name: &str,
    geometry: GeometryType,
    srs: i32,
    features: &[Geometry<f64>],
) {
    let schema = Schema::new(geometry, srs, vec![Field::new("ten", FieldType::Text)]);
    gpkg.create_layer(name, &schema, &LayerMeta::default())
        .unwrap();
    for g in features {
        gpkg.insert_feature(
            name,
            &Feature::new(Some(g.clone()), vec![FieldValue::Text(name.into())]),
        )
        .unwrap();
    }
}

fn single(color: [u8; 4]) -> LayerStyle {
    LayerStyle {
        outline: None,
        ..LayerStyle::single(color)
    }
}

const X0: f64 = 420_000.0;
const Y0: f64 = 2_360_000.0;

#[test]
fn the_hole_of_a_polygon_is_not_filled() {
    let dir = tempfile::tempdir().unwrap();
    let ring = |x0: f64, y0: f64, w: f64| {
        LineString::from(vec![
            (X0 + x0, Y0 + y0),
            (X0 + x0 + w, Y0 + y0),
            (X0 + x0 + w, Y0 + y0 + w),
            (X0 + x0, Y0 + y0 + w),
            (X0 + x0, Y0 + y0),
        ])
    };
    let with_pond = Polygon::new(ring(0.0, 0.0, 100.0), vec![ring(30.0, 30.0, 40.0)]);
    let island = Polygon::new(ring(200.0, 0.0, 50.0), vec![]);
    let multi = Geometry::MultiPolygon(geo_types::MultiPolygon(vec![with_pond, island]));
    let gpkg = workspace(dir.path(), "ao", GeometryType::MultiPolygon, 9214, &[multi]);
    let green = rgb(40, 160, 60);
    let mesh = load(&gpkg, "ao", Some(single(green)));
    let view = View::fit(
        geo_types::Rect::new((X0 - 20.0, Y0 - 20.0), (X0 + 280.0, Y0 + 120.0)),
        600,
        280,
    );
    let (image, _) = draw(&[&mesh], &view, 4);
    let at = |x: f64, y: f64| pixel_near_origin(&image, &view, x, y);
    assert_eq!(at(50.0, 50.0), BACKGROUND, "inside the pond");
    assert_eq!(at(15.0, 50.0), green, "between the pond and the edge");
    assert_eq!(at(85.0, 85.0), green);
    assert_eq!(
        at(225.0, 25.0),
        green,
        "the second part of the multipolygon"
    );
    assert_eq!(at(150.0, 50.0), BACKGROUND, "between the parts");
}

#[test]
fn an_srgb_target_gets_the_same_colours() {
    let dir = tempfile::tempdir().unwrap();
    let square = Geometry::Polygon(polygon![
        (x: X0, y: Y0), (x: X0 + 50.0, y: Y0), (x: X0 + 50.0, y: Y0 + 50.0), (x: X0, y: Y0 + 50.0), (x: X0, y: Y0),
    ]);
    let gpkg = workspace(dir.path(), "o", GeometryType::Polygon, 9214, &[square]);
    let colour = rgb(255, 190, 120);
    let mesh = load(&gpkg, "o", Some(single(colour)));
    let gpu = gpu();
    let format = wgpu::TextureFormat::Rgba8UnormSrgb;
    let mut renderer = Renderer::new(&gpu.device, &gpu.queue, format, RendererOptions::default());
    let layer = GpuLayer::upload(&gpu.device, &mesh);
    let view = View::fit(
        geo_types::Rect::new((X0 - 50.0, Y0 - 50.0), (X0 + 100.0, Y0 + 100.0)),
        150,
        150,
    );
    let target = gpu.target_with_format(150, 150, format).unwrap();
    renderer.render(&target, &view, &[&layer]);
    let image = gpu.read_back(&target).unwrap();
    let at = |x: f64, y: f64| pixel_near_origin(&image, &view, x, y);
    assert!(close(at(25.0, 25.0), colour, 1), "{:?}", at(25.0, 25.0));
    assert!(
        close(at(-25.0, 25.0), BACKGROUND, 1),
        "{:?}",
        at(-25.0, 25.0)
    );
}

/// Pixels of `image` that are not background: count and centroid.
fn coverage(image: &Image) -> (u32, [f64; 2]) {
    let (mut n, mut sx, mut sy) = (0u32, 0.0, 0.0);
    for y in 0..image.height {
        for x in 0..image.width {
            if image.pixel(x, y) != BACKGROUND {
                n += 1;
                sx += f64::from(x);
                sy += f64::from(y);
            }
        }
    }
    (n, [sx / f64::from(n), sy / f64::from(n)])
}

#[test]
fn a_layer_in_wgs84_lines_up_with_the_same_layer_in_vn2000() {
    let dir = tempfile::tempdir().unwrap();
    let projected: Vec<Geometry<f64>> = [(0.0, 0.0), (60.0, 10.0), (20.0, 70.0)]
        .iter()
        .map(|(dx, dy)| {
            Geometry::Polygon(polygon![
                (x: X0 + dx, y: Y0 + dy),
                (x: X0 + dx + 30.0, y: Y0 + dy + 3.0),
                (x: X0 + dx + 25.0, y: Y0 + dy + 22.0),
                (x: X0 + dx - 4.0, y: Y0 + dy + 18.0),
                (x: X0 + dx, y: Y0 + dy),
            ])
        })
        .collect();
    let to_wgs84 = Transformer::new(9214, 4326).unwrap();
    let geographic: Vec<Geometry<f64>> = projected
        .iter()
        .map(|g| {
            let Geometry::Polygon(p) = g else {
                unreachable!()
            };
            let ring: Vec<Coord<f64>> = p
                .exterior()
                .0
                .iter()
                .map(|c| to_wgs84.transform(*c).unwrap())
                .collect();
            assert!(
                ring[0].x > 105.0 && ring[0].x < 109.0,
                "lon first: {:?}",
                ring[0]
            );
            Geometry::Polygon(Polygon::new(LineString(ring), vec![]))
        })
        .collect();
    let mut gpkg = workspace(
        dir.path(),
        "vn2000",
        GeometryType::Polygon,
        9214,
        &projected,
    );
    add_layer(&mut gpkg, "wgs84", GeometryType::Polygon, 4326, &geographic);
    let red = rgb(200, 30, 30);
    let a = load(&gpkg, "vn2000", Some(single(red)));
    let b = load(&gpkg, "wgs84", Some(single(red)));
    // 0.2 m per pixel: one pixel is 20 cm on the ground.
    let view = View::fit(
        geo_types::Rect::new((X0 - 10.0, Y0 - 5.0), (X0 + 100.0, Y0 + 97.0)),
        550,
        510,
    );
    let (ia, _) = draw(&[&a], &view, 1);
    let (ib, _) = draw(&[&b], &view, 1);
    let (na, ca) = coverage(&ia);
    let (nb, cb) = coverage(&ib);
    assert!(na > 20_000, "{na}");
    // Same area to within a one-pixel rim, same place to well within a pixel.
    assert!(na.abs_diff(nb) < 200, "{na} vs {nb} pixels");
    assert!(
        (ca[0] - cb[0]).abs() < 0.5 && (ca[1] - cb[1]).abs() < 0.5,
        "{ca:?} vs {cb:?}"
    );
    // Every pixel that differs lies on the edge of the other's shape.
    for y in 1..ia.height - 1 {
        for x in 1..ia.width - 1 {
            if ia.pixel(x, y) != ib.pixel(x, y) {
                let near = [(0, 1), (2, 1), (1, 0), (1, 2)]
                    .iter()
                    .any(|(dx, dy)| ib.pixel(x + dx - 1, y + dy - 1) == ia.pixel(x, y));
                assert!(near, "pixel ({x}, {y}) differs by more than one pixel");
            }
        }
    }
}

/// Runs of line-coloured pixels down column `x`.
fn thickness(image: &Image, x: u32, line: [u8; 4]) -> Vec<u32> {
    let mut runs = Vec::new();
    let mut run = 0;
    for y in 0..image.height {
        if close(image.pixel(x, y), line, 100) {
            run += 1;
        } else if run > 0 {
            runs.push(run);
            run = 0;
        }
    }
    runs
}

#[test]
fn line_width_in_pixels_does_not_change_with_zoom() {
    let dir = tempfile::tempdir().unwrap();
    let road = Geometry::LineString(LineString::from(vec![(X0 - 5000.0, Y0), (X0 + 5000.0, Y0)]));
    let gpkg = workspace(dir.path(), "duong", GeometryType::LineString, 9214, &[road]);
    let blue = rgb(20, 40, 220);
    let style = LayerStyle {
        line_width_px: 4.0,
        ..single(blue)
    };
    let mesh = load(&gpkg, "duong", Some(style));
    let mut widths = Vec::new();
    for resolution in [0.05, 1.0, 20.0] {
        let view = View {
            // The line's axis on the boundary between two rows of pixels
            // (the image is 100 px high), so a 4 px line covers 4 rows fully.
            centre: [X0, Y0],
            resolution,
            width: 200,
            height: 100,
        };
        let (image, stats) = draw(&[&mesh], &view, 1);
        assert_eq!(stats.segments, 1);
        widths.push(thickness(&image, 100, blue));
    }
    assert_eq!(widths, vec![vec![4], vec![4], vec![4]]);
}

#[test]
fn selected_features_are_highlighted_over_their_layer() {
    let gpkg = open(sample());
    let mesh = load(&gpkg, "thua_dat", None);
    let info = gpkg.layer("thua_dat").unwrap();
    let parcels = polygons_of(&gpkg, "thua_dat", &Query::default());
    let (fid, parcel, code) = &parcels[500];
    let selection = load_selection(&gpkg, &info, &[*fid], &Crs::Epsg(9214)).unwrap();
    let inside = parcel.interior_point().unwrap().0;
    let view = around(inside, 60.0, 400, 300);
    let (plain, _) = draw(&[&mesh], &view, 4);
    let (marked, _) = draw(&[&mesh, &selection], &view, 4);
    let c = landuse_code(code).unwrap().rgb;
    assert_eq!(pixel_at(&plain, &view, inside), rgb(c[0], c[1], c[2]));
    let hi = pixel_at(&marked, &view, inside);
    assert_ne!(hi, pixel_at(&plain, &view, inside));
    // Translucent yellow over the land-use colour: more red+green than blue.
    assert!(
        u16::from(hi[0]) + u16::from(hi[1]) > 2 * u16::from(hi[2]) + 100,
        "{hi:?}"
    );
}

#[test]
fn features_smaller_than_a_pixel_are_dots_and_culling_skips_chunks() {
    let gpkg = open(sample());
    let mesh = load(&gpkg, "thua_dat", None);
    let extent = mesh.extent.unwrap();
    // Zoomed out until the largest parcel of the file (its box's longer
    // side, the size the renderer goes by) is one pixel: every parcel is
    // then below a pixel, the whole province in view.
    let parcels = polygons_of(&gpkg, "thua_dat", &Query::default());
    let largest = parcels
        .iter()
        .map(|(_, p, _)| {
            let b = p.bounding_rect().unwrap();
            b.width().max(b.height())
        })
        .fold(0.0, f64::max);
    // Just below the renderer's threshold of 1.5 pixels.
    let resolution = largest / 1.4;
    let (width, height) = (
        (extent.width() / resolution).ceil() as u32 + 4,
        (extent.height() / resolution).ceil() as u32 + 4,
    );
    let full = View {
        centre: [extent.center().x, extent.center().y],
        resolution,
        width,
        height,
    };
    let (image, stats) = draw(&[&mesh], &full, 1);
    assert_eq!(stats.triangles, 0, "{stats:?} at {resolution} m/px");
    assert_eq!(stats.segments, 0, "{stats:?} at {resolution} m/px");
    // One dot per occupied cell of a pixel or so (cells of 1 to 2 pixels):
    // far fewer dots than parcels, and the parcels still show as dots.
    let (n, _) = coverage(&image);
    assert!(
        stats.dots >= 10 && stats.dots < parcels.len() as u64 / 10,
        "{stats:?}, {} parcels",
        parcels.len()
    );
    assert!(
        u64::from(n) * 2 >= stats.dots,
        "{n} parcel pixels of {width} × {height}, {stats:?}"
    );
    // A window well outside the layer's extent draws nothing.
    let corner = around(
        Coord {
            x: extent.min().x - 10_000.0,
            y: extent.min().y - 10_000.0,
        },
        100.0,
        200,
        100,
    );
    let (_, stats) = draw(&[&mesh], &corner, 1);
    assert_eq!(stats.chunks_drawn, 0);
    assert!(stats.chunks_culled >= 1);
}

#[test]
fn the_render_command_writes_a_png_of_the_requested_size() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("map.png");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_tramgis"))
        .args(["render"])
        .arg(sample())
        .args([
            "--layers",
            "ranh_gioi_xa,thua_dat,duong_giao_thong,tram_bts",
        ])
        .args(["--size", "320x200", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&out).unwrap()));
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    assert_eq!((info.width, info.height), (320, 200));
    assert_eq!(info.color_type, png::ColorType::Rgba);
}

#[test]
fn styles_unknown_to_the_layer_are_refused_with_the_field_named() {
    let gpkg = open(sample());
    let info = gpkg.layer("tram_bts").unwrap();
    let style = LayerStyle {
        symbology: Symbology::Categorized {
            field: "khong_co".into(),
            categories: vec![],
            other: rgb(0, 0, 0),
        },
        ..LayerStyle::default_for(&info, false)
    };
    let err = load_layer(&gpkg, &info, &style, &Crs::Epsg(9214), &Progress::default()).unwrap_err();
    assert!(err.to_string().contains("khong_co"), "{err}");
}

#[test]
fn offscreen_renders_carry_labels_beside_points_with_vietnamese_marks() {
    let gpkg = open(sample());
    let labelled = load(&gpkg, "thon_xom", None);
    let village = labelled.labels.get(0).unwrap();
    assert!(!village.text.is_empty());
    let at = Coord {
        x: village.at[0],
        y: village.at[1],
    };
    let view = around(at, 200.0, 400, 200);
    let dark_right_of_point = |image: &Image| {
        let p = view.to_pixel(village.at);
        let (x0, y0) = (p[0] as u32 + 8, p[1] as u32 - 8);
        (x0..x0 + 40)
            .flat_map(|x| (y0..y0 + 16).map(move |y| (x, y)))
            .filter(|&(x, y)| image.pixel(x, y)[0] < 80)
            .count()
    };
    let (mut image, _) = draw(&[&labelled], &view, 4);
    assert_eq!(
        dark_right_of_point(&image),
        0,
        "nothing there before the labels"
    );
    let drawn = tramgis::render::text::draw_labels(&mut image, &[&labelled.labels], &view);
    assert!(drawn >= 1);
    assert!(
        dark_right_of_point(&image) > 20,
        "the label of '{}' is drawn beside its point",
        village.text
    );
    // Without a label field there is nothing to place.
    let mut unlabelled_style = LayerStyle::default_for(&gpkg.layer("thon_xom").unwrap(), true);
    unlabelled_style.label_field = None;
    assert!(
        load(&gpkg, "thon_xom", Some(unlabelled_style))
            .labels
            .is_empty()
    );
}

#[test]
fn zoomed_out_symbols_are_thinned_but_never_the_selection() {
    let dir = tempfile::tempdir().unwrap();
    // A 20 x 20 grid of towers 10 m apart.
    let towers: Vec<Geometry<f64>> = (0..400)
        .map(|i| {
            Geometry::Point(Point::new(
                X0 + f64::from(i % 20) * 10.0,
                Y0 + f64::from(i / 20) * 10.0,
            ))
        })
        .collect();
    let gpkg = workspace(dir.path(), "bts", GeometryType::Point, 9214, &towers);
    let mut style = single(rgb(238, 0, 51));
    style.point_size_px = 20.0;
    let mesh = load(&gpkg, "bts", Some(style.clone()));
    let centre = Coord {
        x: X0 + 95.0,
        y: Y0 + 95.0,
    };
    // At 5 m/px the towers are 2 px apart under 20 px symbols: thinned to
    // one per occupied cell of 10 to 20 px (the cells are powers of two:
    // here 64 m, so 3 x 3 of them over the 190 m grid).
    let (_, zoomed_out) = draw(&[&mesh], &around(centre, 500.0, 200, 200), 1);
    assert!(
        zoomed_out.symbols >= 9 && zoomed_out.symbols <= 36,
        "{zoomed_out:?}"
    );
    // At 0.5 m/px none overlap: every one is drawn.
    let (_, close_up) = draw(&[&mesh], &around(centre, 150.0, 600, 600), 1);
    assert_eq!(close_up.symbols, 400);
    // Turned off, or for the selection, nothing is left out.
    style.declutter = false;
    let all = load(&gpkg, "bts", Some(style));
    let (_, undecluttered) = draw(&[&all], &around(centre, 500.0, 200, 200), 1);
    assert_eq!(undecluttered.symbols, 400);
    let fids: Vec<i64> = (1..=400).collect();
    let selection =
        load_selection(&gpkg, &gpkg.layer("bts").unwrap(), &fids, &Crs::Epsg(9214)).unwrap();
    let (_, selected) = draw(&[&selection], &around(centre, 500.0, 200, 200), 1);
    assert_eq!(selected.symbols, 400);
}
