//! `tramgis render` (a workspace to a PNG) and `tramgis bench-render`
//! (the renderer's timings on a workspace, for BENCHMARKS.md).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::crs::Crs;
use crate::gpkg::{GeoPackage, LayerInfo, OpenOptions};
use crate::jobs::Progress;
use crate::render::headless::{self, Gpu};
use crate::render::load::load_selection;
use crate::render::map_crs;
use crate::render::text::draw_labels;
use crate::render::{GpuLayer, LayerMesh, Renderer, RendererOptions, View, classify, scene};

#[derive(clap::Args, Debug)]
pub struct SceneArgs {
    /// The workspace GeoPackage.
    pub workspace: PathBuf,
    /// Layers to draw, bottom first (default: all, in the workspace's draw order).
    #[arg(long, value_delimiter = ',')]
    pub layers: Option<Vec<String>>,
    /// Image size, WIDTHxHEIGHT.
    #[arg(long, default_value = "2000x1500", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Map CRS, e.g. EPSG:3857; layers in other CRSs are reprojected to it.
    /// Default: the province's zone (EPSG:9214) when the data lies in its
    /// area of use, else the data's own CRS (or WGS 84).
    #[arg(long, visible_alias = "srs")]
    pub crs: Option<String>,
    /// Colour LAYER by FIELD: categories for text, N quantile classes
    /// (default 5) for numbers. May be repeated.
    #[arg(long = "style", value_name = "LAYER=FIELD[:N]")]
    pub styles: Vec<String>,
    /// Multisampling: 1 or 4.
    #[arg(long, default_value_t = 4, value_parser = parse_msaa)]
    pub msaa: u32,
    /// Label LAYER by FIELD (an empty FIELD: no labels on LAYER). Layers
    /// not named keep their stored or default label field. May be repeated.
    #[arg(long = "label", value_name = "LAYER=FIELD")]
    pub labels: Vec<String>,
    /// Draw no labels at all.
    #[arg(long)]
    pub no_labels: bool,
}

#[derive(clap::Args, Debug)]
pub struct RenderArgs {
    #[command(flatten)]
    pub scene: SceneArgs,
    /// Map area MINX,MINY,MAXX,MAXY in the map CRS (default: the layers' extent).
    #[arg(long, value_parser = parse_bbox, allow_hyphen_values = true)]
    pub bbox: Option<geo_types::Rect<f64>>,
    /// Highlight features: LAYER:FID[,FID...]. May be repeated.
    #[arg(long = "select", value_name = "LAYER:FIDS")]
    pub selections: Vec<String>,
    /// The PNG to write.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct BenchRenderArgs {
    #[command(flatten)]
    pub scene: SceneArgs,
    /// Frames drawn (and averaged) per view.
    #[arg(long, default_value_t = 10)]
    pub frames: u32,
    /// Width in metres of the street-scale window.
    #[arg(long, default_value_t = 1000.0)]
    pub street_window: f64,
    /// Centre X,Y of the street-scale window (default: the densest chunk).
    #[arg(long, value_parser = parse_point, allow_hyphen_values = true)]
    pub at: Option<[f64; 2]>,
    /// Frames drawn while panning at street scale (0: skip).
    #[arg(long, default_value_t = 120)]
    pub pan_frames: u32,
    /// Also write the full-extent and street-scale images to DIR.
    #[arg(long)]
    pub png_dir: Option<PathBuf>,
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or("expected WIDTHxHEIGHT, e.g. 2000x1500")?;
    let n = |v: &str| v.trim().parse::<u32>().map_err(|e| format!("'{v}': {e}"));
    Ok((n(w)?, n(h)?))
}

fn parse_msaa(s: &str) -> Result<u32, String> {
    match s {
        "1" => Ok(1),
        "4" => Ok(4),
        _ => Err("1 or 4 (the sample counts every device supports)".into()),
    }
}

fn parse_numbers<const N: usize>(s: &str, what: &str) -> Result<[f64; N], String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>().map_err(|e| format!("'{p}': {e}")))
        .collect::<Result<_, _>>()?;
    v.try_into()
        .map_err(|_| format!("expected {what} ({N} numbers separated by commas)"))
}

fn parse_bbox(s: &str) -> Result<geo_types::Rect<f64>, String> {
    let b = parse_numbers::<4>(s, "MINX,MINY,MAXX,MAXY")?;
    if b[2] <= b[0] || b[3] <= b[1] {
        return Err("MAXX must exceed MINX and MAXY exceed MINY".into());
    }
    Ok(geo_types::Rect::new((b[0], b[1]), (b[2], b[3])))
}

fn parse_point(s: &str) -> Result<[f64; 2], String> {
    parse_numbers::<2>(s, "X,Y")
}

fn open(path: &std::path::Path) -> Result<GeoPackage> {
    let gpkg = GeoPackage::open_with(
        path,
        &OpenOptions {
            read_only: true,
            ..OpenOptions::default()
        },
    )
    .with_context(|| format!("opening {}", path.display()))?;
    for warning in gpkg.warnings() {
        eprintln!("warning: {warning}");
    }
    Ok(gpkg)
}

/// The map CRS: the one asked for, else the one that fits the layers.
/// Layers drawn without reprojection are reported once each on stderr.
fn map_crs(gpkg: &GeoPackage, layers: &[LayerInfo], args: &SceneArgs) -> Result<Crs> {
    let crs = match &args.crs {
        Some(text) => Crs::Epsg(crate::cli::transfer::parse_epsg(text)?),
        None => map_crs::choose(gpkg, layers, &Crs::Epsg(crate::crs::VN2000_TM3_107)),
    };
    for info in layers {
        if let Some(w) = map_crs::crs_warning(info, &crs) {
            eprintln!("warning: {w}");
        }
    }
    Ok(crs)
}

/// Reads and tessellates the scene's layers with their styles, in the map
/// CRS it returns.
fn load(gpkg: &GeoPackage, args: &SceneArgs) -> Result<(Vec<LayerMesh>, Crs)> {
    // All layers: one listing gives both the readable ones and those to name.
    let layers = match args.layers.as_deref() {
        None => {
            let contents = gpkg.contents()?;
            for bad in &contents.unreadable {
                eprintln!("error: {} (not drawn)", bad.error);
            }
            contents.layers
        }
        names => scene::pick_layers(gpkg, names)?,
    };
    let crs = map_crs(gpkg, &layers, args)?;
    let mut styles = scene::stored_styles(gpkg, &layers);
    for spec in &args.styles {
        let (layer, rest) = spec
            .split_once('=')
            .with_context(|| format!("--style '{spec}': expected LAYER=FIELD[:N]"))?;
        let (field, classes) = match rest.split_once(':') {
            Some((f, n)) => (f, n.parse().with_context(|| format!("--style '{spec}'"))?),
            None => (rest, 5),
        };
        let Some(i) = layers.iter().position(|l| l.name == layer) else {
            bail!("--style '{spec}': layer '{layer}' is not among the layers drawn");
        };
        styles[i].symbology = classify::by_field(gpkg, &layers[i], field, classes)?;
    }
    for spec in &args.labels {
        let (layer, field) = spec
            .split_once('=')
            .with_context(|| format!("--label '{spec}': expected LAYER=FIELD"))?;
        let Some(i) = layers.iter().position(|l| l.name == layer) else {
            bail!("--label '{spec}': layer '{layer}' is not among the layers drawn");
        };
        styles[i].label_field = (!field.is_empty()).then(|| field.to_string());
    }
    if args.no_labels {
        for s in &mut styles {
            s.label_field = None;
        }
    }
    // A layer whose features cannot be read is named and left out; the
    // others are drawn.
    let progress = Progress::default();
    let mut meshes = Vec::with_capacity(layers.len());
    for (info, style) in layers.iter().zip(&styles) {
        match crate::render::load::load_layer(gpkg, info, style, &crs, &progress) {
            Ok(mesh) => meshes.push(mesh),
            Err(e) if args.layers.is_none() => eprintln!("error: {e} (not drawn)"),
            Err(e) => return Err(e.into()),
        }
    }
    Ok((meshes, crs))
}

fn renderer(gpu: &Gpu, args: &SceneArgs) -> Renderer {
    Renderer::new(
        &gpu.device,
        &gpu.queue,
        headless::FORMAT,
        RendererOptions {
            sample_count: args.msaa,
            ..RendererOptions::default()
        },
    )
}

pub fn run(args: &RenderArgs) -> Result<()> {
    let gpkg = open(&args.scene.workspace)?;
    let (meshes, crs) = load(&gpkg, &args.scene)?;
    let mut selected = Vec::new();
    for spec in &args.selections {
        let (layer, fids) = spec
            .split_once(':')
            .with_context(|| format!("--select '{spec}': expected LAYER:FID[,FID...]"))?;
        let fids: Vec<i64> = fids
            .split(',')
            .map(|f| f.trim().parse())
            .collect::<Result<_, _>>()
            .with_context(|| format!("--select '{spec}'"))?;
        selected.push(load_selection(&gpkg, &gpkg.layer(layer)?, &fids, &crs)?);
    }
    let bbox = match args.bbox {
        Some(b) => b,
        None => scene::extent(&meshes).context("the layers have no features to draw")?,
    };
    let (w, h) = args.scene.size;
    let view = View::fit(bbox, w, h);
    let gpu = Gpu::new()?;
    let mut renderer = renderer(&gpu, &args.scene);
    let uploaded: Vec<GpuLayer> = meshes
        .iter()
        .chain(&selected)
        .map(|m| GpuLayer::upload(&gpu.device, m))
        .collect();
    let layers: Vec<&GpuLayer> = uploaded.iter().collect();
    let (mut image, _) = headless::render_image(&gpu, &mut renderer, &view, &layers)?;
    let labels: Vec<_> = meshes.iter().rev().map(|m| &m.labels).collect();
    let placed = draw_labels(&mut image, &labels, &view);
    image.write_png(&args.out)?;
    if placed > 0 {
        println!("{placed} labels");
    }
    let resolution = if crs.is_geographic() {
        format!("{:.6}°/px", view.resolution)
    } else {
        format!("{:.3} m/px", view.resolution)
    };
    println!(
        "wrote {} ({w}x{h}, {resolution} in {}, on {})",
        args.out.display(),
        crs.label(),
        gpu.describe()
    );
    Ok(())
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// A place where the map is busiest, so a street-scale view there is a
/// demanding one: in the chunk holding the most features, the feature
/// nearest the chunk's centre of mass (so it lies on data, not in a gap).
fn densest(meshes: &[LayerMesh]) -> Option<[f64; 2]> {
    let chunk = meshes
        .iter()
        .flat_map(|m| &m.chunks)
        .max_by_key(|c| c.features)?;
    // Polygons and lines have a dot each, points a symbol.
    let positions: Vec<[f64; 2]> = chunk
        .dots
        .iter()
        .map(|d| d.pos)
        .chain(chunk.symbols.iter().map(|s| s.pos))
        .map(|p| p.map(f64::from))
        .collect();
    let n = positions.len() as f64;
    let mean = positions
        .iter()
        .fold([0.0, 0.0], |m, p| [m[0] + p[0] / n, m[1] + p[1] / n]);
    let distance = |p: &&[f64; 2]| (p[0] - mean[0]).hypot(p[1] - mean[1]);
    let nearest = positions
        .iter()
        .min_by(|a, b| distance(a).total_cmp(&distance(b)))?;
    Some([chunk.origin[0] + nearest[0], chunk.origin[1] + nearest[1]])
}

pub fn bench(args: &BenchRenderArgs) -> Result<()> {
    let s = &args.scene;
    let gpkg = open(&s.workspace)?;
    let layers = scene::pick_layers(&gpkg, s.layers.as_deref())?;
    let mut features = 0;
    for l in &layers {
        features += gpkg.count_features(&l.name, None)?;
    }
    println!(
        "tramgis bench-render: {} ({} layers, {features} features), {}x{}, MSAA {}",
        s.workspace.display(),
        layers.len(),
        s.size.0,
        s.size.1,
        s.msaa
    );

    // Reading alone, the floor under tessellation.
    let t = Instant::now();
    for l in &layers {
        gpkg.read_features(&l.name, &Default::default(), |_| {
            std::ops::ControlFlow::Continue(())
        })?;
    }
    println!("read features (decode only)      {:>9.0} ms", ms(t));

    let t = Instant::now();
    let (meshes, _) = load(&gpkg, s)?;
    let chunks: usize = meshes.iter().map(|m| m.chunks.len()).sum();
    let bytes: usize = meshes.iter().map(LayerMesh::gpu_bytes).sum();
    println!(
        "read + tessellate                {:>9.0} ms  ({chunks} chunks, {:.0} MiB)",
        ms(t),
        bytes as f64 / 1048576.0
    );

    let t = Instant::now();
    let gpu = Gpu::new()?;
    let mut renderer = renderer(&gpu, s);
    println!(
        "device + pipelines               {:>9.0} ms  ({})",
        ms(t),
        gpu.describe()
    );

    let t = Instant::now();
    let uploaded: Vec<GpuLayer> = meshes
        .iter()
        .map(|m| GpuLayer::upload(&gpu.device, m))
        .collect();
    gpu.wait()?;
    println!("upload                           {:>9.0} ms", ms(t));
    let layers: Vec<&GpuLayer> = uploaded.iter().collect();

    let extent = scene::extent(&meshes).context("the layers have no features to draw")?;
    let full = View::fit(extent, s.size.0, s.size.1);
    let at = args
        .at
        .or_else(|| densest(&meshes))
        .context("no chunk to centre on")?;
    let half = (
        args.street_window / 2.0,
        args.street_window / 2.0 * f64::from(s.size.1) / f64::from(s.size.0),
    );
    let street = View::fit(
        geo_types::Rect::new(
            (at[0] - half.0, at[1] - half.1),
            (at[0] + half.0, at[1] + half.1),
        ),
        s.size.0,
        s.size.1,
    );
    let target = gpu.target(s.size.0, s.size.1)?;
    let street_label = format!(
        "street, {:.0} m wide at {:.0},{:.0}",
        args.street_window, at[0], at[1]
    );
    for (name, file, view) in [
        ("full extent", "full.png", full),
        (street_label.as_str(), "street.png", street),
    ] {
        // The first frame warms caches (and lavapipe's shader JIT).
        renderer.render(&target, &view, &layers);
        gpu.wait()?;
        let t = Instant::now();
        let mut stats = Default::default();
        for _ in 0..args.frames {
            stats = renderer.render(&target, &view, &layers);
            gpu.wait()?;
        }
        let per_frame = ms(t) / f64::from(args.frames);
        println!("frame, {name}");
        println!(
            "  per frame                      {per_frame:>9.1} ms  ({:.2} m/px; {} chunks drawn, {} culled, {} draws: {} triangles, {} segments, {} dots, {} symbols)",
            view.resolution,
            stats.chunks_drawn,
            stats.chunks_culled,
            stats.draw_calls,
            stats.triangles,
            stats.segments,
            stats.dots,
            stats.symbols
        );
        let t = Instant::now();
        let image = gpu.read_back(&target)?;
        println!("  read back                      {:>9.1} ms", ms(t));
        if let Some(dir) = &args.png_dir {
            std::fs::create_dir_all(dir)?;
            let path = dir.join(file);
            image.write_png(&path)?;
            println!("  wrote {}", path.display());
        }
    }
    pan(
        &gpu,
        &target,
        &mut renderer,
        &layers,
        street,
        args.pan_frames,
    )
}

/// Frames drawn while the street-scale view is dragged sideways by 16 px
/// per frame (a brisk drag at 60 Hz): chunks enter and leave the view, so
/// culling and the per-frame uniforms are part of every figure.
fn pan(
    gpu: &Gpu,
    target: &wgpu::Texture,
    renderer: &mut Renderer,
    layers: &[&GpuLayer],
    start: View,
    frames: u32,
) -> Result<()> {
    if frames == 0 {
        return Ok(());
    }
    let step = 16.0 * start.resolution;
    let mut times = Vec::with_capacity(frames as usize);
    let mut view = start;
    for i in 0..frames {
        view.centre = [start.centre[0] + step * f64::from(i), start.centre[1]];
        let t = Instant::now();
        renderer.render(target, &view, layers);
        gpu.wait()?;
        times.push(ms(t));
    }
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
    println!("frame, panning at street scale ({frames} frames, 16 px each)");
    println!(
        "  per frame                      {mean:>9.1} ms  (median {:.1}, 95th percentile {p95:.1}, worst {:.1}; {:.0} frames/s)",
        times[times.len() / 2],
        times[times.len() - 1],
        1000.0 / mean
    );
    Ok(())
}
