//! `tramgis import` and `tramgis export`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::gpkg::{GeoPackage, LayerMeta};
use crate::io::{self, ExportOptions, ImportOptions, Target, TextEncoding};
use crate::jobs::Progress;
use crate::model::LayerTheme;

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// File (Shapefile, MapInfo TAB/MIF, DXF, DGN, GeoJSON, KML/KMZ, CSV, XLSX, GeoPackage…) or `PG:` connection string.
    pub file: PathBuf,
    /// Source layer (default: the first).
    #[arg(long)]
    pub layer: Option<String>,
    /// The workspace GeoPackage to import into.
    #[arg(long)]
    pub into: PathBuf,
    /// Target layer: appended to if it exists, created if not (default: the source layer's name).
    #[arg(long)]
    pub to: Option<String>,
    /// Source CRS, e.g. EPSG:9214, when the file has no .prj or a wrong one.
    #[arg(long)]
    pub src_crs: Option<String>,
    /// CRS of a new layer (default EPSG:9214).
    #[arg(long, default_value = "EPSG:9214")]
    pub target_crs: String,
    /// Text encoding: utf-8, tcvn3, vni, cp1258 (default: declared or detected).
    #[arg(long)]
    pub encoding: Option<String>,
    /// X and Y (or longitude and latitude) columns of a table: --xy lon,lat
    #[arg(long)]
    pub xy: Option<String>,
    /// Theme of a new layer: land_use, planning, telecom, smart_city, infrastructure, base.
    #[arg(long)]
    pub theme: Option<String>,
    /// Where to write the report of rejected rows (CSV); default FILE.import-report.csv when rows were rejected.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// The workspace GeoPackage.
    pub workspace: PathBuf,
    /// Layer to export.
    #[arg(long)]
    pub layer: String,
    /// Output file; its extension picks the format (.gpkg .shp .geojson .kml .dxf .csv).
    #[arg(long)]
    pub out: PathBuf,
    /// CRS of the output (GeoJSON and KML are always EPSG:4326).
    #[arg(long)]
    pub crs: Option<String>,
    /// Only these feature ids (a selection), comma-separated.
    #[arg(long)]
    pub fids: Option<String>,
    /// Legacy text encoding for Shapefiles read by old software: tcvn3, vni, cp1258.
    #[arg(long)]
    pub encoding: Option<String>,
}

/// Reads `EPSG:9214` or `9214`.
pub fn parse_epsg(text: &str) -> Result<i32> {
    let code = text
        .trim()
        .trim_start_matches("EPSG:")
        .trim_start_matches("epsg:");
    code.parse()
        .with_context(|| format!("'{text}' is not an EPSG code such as EPSG:9214"))
}

pub fn import(args: &ImportArgs) -> Result<()> {
    let mut gpkg = GeoPackage::open(&args.into)?;
    let source_name = match &args.layer {
        Some(l) => l.clone(),
        None => io::inspect(&args.file)?
            .layers
            .first()
            .map(|l| l.name.clone())
            .context("the file has no layers")?,
    };
    let target_name = args.to.clone().unwrap_or_else(|| source_name.clone());
    let target = if gpkg.layers()?.iter().any(|l| l.name == target_name) {
        Target::Existing(target_name)
    } else {
        let theme = args
            .theme
            .as_deref()
            .map(|t| LayerTheme::from_key(t).with_context(|| format!("unknown theme '{t}'")))
            .transpose()?;
        Target::New {
            name: target_name,
            meta: LayerMeta {
                theme,
                title_vi: None,
                title_en: None,
                draw_order: 0,
            },
        }
    };
    let mut options = ImportOptions::new(&args.file, target);
    options.layer = Some(source_name);
    options.src_crs = args.src_crs.as_deref().map(parse_epsg).transpose()?;
    options.target_crs = parse_epsg(&args.target_crs)?;
    options.encoding = args
        .encoding
        .as_deref()
        .map(|e| {
            TextEncoding::from_name(e)
                .with_context(|| format!("unknown encoding '{e}' (utf-8, tcvn3, vni, cp1258)"))
        })
        .transpose()?;
    options.xy_fields = match &args.xy {
        Some(xy) => {
            let (x, y) = xy
                .split_once(',')
                .context("--xy takes two column names: X,Y")?;
            Some((x.trim().to_string(), y.trim().to_string()))
        }
        None => None,
    };
    let start = std::time::Instant::now();
    let report = io::import(&mut gpkg, &options, &Progress::default())?;
    let seconds = start.elapsed().as_secs_f64();
    for (layer, n) in &report.loaded {
        println!("{layer}: {n} features");
    }
    println!(
        "imported {} features from {} ({}) in {seconds:.2} s; text encoding {} ({:?}); source CRS {}",
        report.imported(),
        report.file,
        report.layer,
        report.encoding.label(),
        report.encoding_choice,
        report.src_crs.map_or("-".into(), |c| format!("EPSG:{c}")),
    );
    if !report.rejected.is_empty() {
        let path = args
            .report
            .clone()
            .unwrap_or_else(|| report_path(&args.file));
        std::fs::write(&path, report.to_csv())
            .with_context(|| format!("writing {}", path.display()))?;
        println!(
            "{} rows rejected, listed in {}",
            report.rejected.len(),
            path.display()
        );
        for r in report.rejected.iter().take(10) {
            println!("  row {}, {}: {}", r.row, r.field, r.reason);
        }
    }
    Ok(())
}

fn report_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".import-report.csv");
    file.with_file_name(name)
}

pub fn export(args: &ExportArgs) -> Result<()> {
    let gpkg = GeoPackage::open_read_only(&args.workspace)?;
    let mut options = ExportOptions::new(&args.layer, &args.out)?;
    options.target_crs = args.crs.as_deref().map(parse_epsg).transpose()?;
    options.fids = match &args.fids {
        Some(list) => Some(
            list.split(',')
                .map(|f| {
                    f.trim()
                        .parse::<i64>()
                        .with_context(|| format!("'{f}' is not a feature id"))
                })
                .collect::<Result<_>>()?,
        ),
        None => None,
    };
    options.encoding = match args.encoding.as_deref().map(TextEncoding::from_name) {
        None => None,
        Some(Some(TextEncoding::Legacy(l))) => Some(l),
        Some(Some(TextEncoding::Utf8)) => None,
        Some(None) => bail!(
            "unknown encoding '{}'",
            args.encoding.as_deref().unwrap_or("")
        ),
    };
    let n = io::export_layer(&gpkg, &options, &Progress::default())?;
    println!(
        "wrote {n} features of '{}' to {}",
        args.layer,
        args.out.display()
    );
    Ok(())
}
