//! `tramgis print`: a workspace's map as a printed sheet, PDF or PNG.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::jobs::Progress;
use crate::print::{self, Layout, Orientation, Paper};

#[derive(clap::Args, Debug)]
pub struct PrintArgs {
    /// The workspace GeoPackage.
    pub workspace: PathBuf,
    /// The file to write: .pdf (vector, searchable text) or .png.
    #[arg(long)]
    pub out: PathBuf,
    /// Paper: A4, A3, A2, A1 or A0.
    #[arg(long, default_value = "A4")]
    pub paper: Paper,
    /// Landscape instead of portrait.
    #[arg(long)]
    pub landscape: bool,
    /// The title (default: "Bản đồ hiện trạng sử dụng đất" and the commune
    /// under the map's centre).
    #[arg(long)]
    pub title: Option<String>,
    /// Area to show MINX,MINY,MAXX,MAXY in the map CRS (default: all layers);
    /// the map shows at least this, centred, at a round scale.
    #[arg(long, value_parser = parse_extent, allow_hyphen_values = true)]
    pub extent: Option<geo_types::Rect<f64>>,
    /// The scale's denominator, e.g. 10000 (default: the round scale that fits).
    #[arg(long)]
    pub scale: Option<f64>,
    /// Layers to print, bottom first (default: all, in the workspace's draw order).
    #[arg(long, value_delimiter = ',')]
    pub layers: Option<Vec<String>>,
    /// Resolution of a PNG.
    #[arg(long, default_value_t = 300.0)]
    pub dpi: f64,
    /// The source line (default: the workspace's file name).
    #[arg(long)]
    pub source: Option<String>,
    /// The date printed (default: today, dd/mm/yyyy).
    #[arg(long)]
    pub date: Option<String>,
    /// Margin in millimetres (default: 10 on A4, more on larger sheets).
    #[arg(long)]
    pub margin: Option<f64>,
}

fn parse_extent(s: &str) -> Result<geo_types::Rect<f64>, String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>().map_err(|e| format!("'{p}': {e}")))
        .collect::<Result<_, _>>()?;
    match v[..] {
        [x0, y0, x1, y1] if x1 > x0 && y1 > y0 => Ok(geo_types::Rect::new((x0, y0), (x1, y1))),
        [_, _, _, _] => Err("MAXX must exceed MINX and MAXY exceed MINY".into()),
        _ => Err("expected MINX,MINY,MAXX,MAXY (4 numbers separated by commas)".into()),
    }
}

pub fn run(args: &PrintArgs) -> Result<()> {
    if !(10.0..=1200.0).contains(&args.dpi) {
        anyhow::bail!("--dpi {}: expected 10 to 1200", args.dpi);
    }
    let layout = Layout {
        paper: args.paper,
        orientation: if args.landscape {
            Orientation::Landscape
        } else {
            Orientation::Portrait
        },
        margin_mm: args.margin,
        title: args.title.clone(),
        extent: args.extent,
        scale: args.scale,
        layers: args.layers.clone(),
        source: args.source.clone(),
        date: args.date.clone(),
        dpi: args.dpi,
        ..Layout::new(&args.workspace)
    };
    let start = Instant::now();
    let done = print::export(&layout, &args.out, &Progress::default()).with_context(|| {
        format!(
            "printing {} to {}",
            args.workspace.display(),
            args.out.display()
        )
    })?;
    let c = &done.composed;
    let e = c.view.extent;
    println!("{}", c.title);
    println!(
        "{} {:?}, tỷ lệ 1:{}, khung {:.0},{:.0},{:.0},{:.0} ({})",
        layout.paper,
        layout.orientation,
        print::layout::grouped(c.view.scale),
        e.min().x,
        e.min().y,
        e.max().x,
        e.max().y,
        c.map_crs.label()
    );
    for g in &c.legend {
        let labels: Vec<&str> = g.entries.iter().map(|e| e.label.as_str()).collect();
        println!(
            "  {}: {}",
            g.title.as_deref().unwrap_or("-"),
            labels.join("; ")
        );
    }
    let size = match done.pixels {
        Some((w, h)) => format!(", {w}×{h} px at {} dpi", layout.dpi),
        None => String::new(),
    };
    println!(
        "wrote {} ({} bytes{size}) in {:.2} s",
        done.path.display(),
        done.bytes,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
