//! `tramgis import` and `tramgis export`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

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
    /// CRS of a new layer (default EPSG:9214), or `source` to keep the
    /// file's own (one without an EPSG code is stored as a custom CRS).
    #[arg(long, default_value = "EPSG:9214")]
    pub target_crs: String,
    /// Text encoding: tcvn3, vni, cp1258, or any WHATWG label or code page
    /// (utf-8, windows-1252, latin1, gbk, 936, big5, shift_jis...); default:
    /// the one the file declares (.cpg, DBF language driver, MapInfo Charset),
    /// else detected.
    #[arg(long)]
    pub encoding: Option<String>,
    /// Import even if decoding replaces characters with U+FFFD (they are
    /// counted); without it such an import is refused.
    #[arg(long)]
    pub accept_replacements: bool,
    /// Keep Vietnamese mojibake (TCVN3/VNI text once read as Latin-1) as it is.
    #[arg(long)]
    pub no_repair: bool,
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
    /// Text encoding of a Shapefile for software that needs another than
    /// UTF-8: tcvn3, vni, cp1258, or any WHATWG label or code page (gbk, 1252).
    #[arg(long)]
    pub encoding: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct RepairTextArgs {
    /// The workspace GeoPackage.
    pub workspace: PathBuf,
    /// The layer whose text to repair.
    #[arg(long)]
    pub layer: String,
    /// Text fields to repair, comma-separated (default: every text field).
    #[arg(long)]
    pub fields: Option<String>,
    /// List what would change, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Reads an --encoding value.
fn parse_encoding(name: &str) -> Result<TextEncoding> {
    TextEncoding::from_name(name).with_context(|| {
        format!(
            "unknown encoding '{name}': use tcvn3, vni, cp1258, or a WHATWG label or code page \
             such as utf-8, windows-1252, gbk, 936, big5, shift_jis"
        )
    })
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
        None => {
            // GDAL's warnings on this first look come again, in the report.
            let _quiet = io::gdal_messages::Capture::start();
            io::inspect(&args.file)?
                .layers
                .first()
                .map(|l| l.name.clone())
                .with_context(|| format!("{}: the file has no layers", args.file.display()))?
        }
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
    if args.target_crs.trim().eq_ignore_ascii_case("source") {
        options.keep_source_crs = true;
    } else {
        options.target_crs = parse_epsg(&args.target_crs)?;
    }
    options.encoding = args.encoding.as_deref().map(parse_encoding).transpose()?;
    options.accept_replacements = args.accept_replacements;
    options.repair_mojibake = !args.no_repair;
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
    let confidence = report
        .encoding_confidence
        .map_or(String::new(), |c| format!(", confidence {:.0}%", c * 100.0));
    println!(
        "imported {} features from {} ({}) in {seconds:.2} s; text encoding {} ({:?}{confidence}); source CRS {}",
        report.imported(),
        report.file,
        report.layer,
        report.encoding.label(),
        report.encoding_choice,
        report.src_crs_label.as_deref().unwrap_or("-"),
    );
    for w in &report.warnings {
        println!("warning: {w}");
    }
    print_text_report(&report.text);
    if report.text.repaired_count > 0 {
        let mut name = args.file.file_name().unwrap_or_default().to_os_string();
        name.push(".text-repairs.csv");
        let path = args.file.with_file_name(name);
        std::fs::write(&path, report.text.repairs_csv())
            .with_context(|| format!("writing {}", path.display()))?;
        println!("repairs listed in {}", path.display());
    }
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

/// Replacement characters accepted and mojibake repaired, with examples.
fn print_text_report(text: &io::text::TextReport) {
    if text.replaced_chars > 0 {
        println!(
            "{} character(s) could not be decoded and were replaced with U+FFFD:",
            text.replaced_chars
        );
        for r in text.replaced.iter().take(10) {
            println!("  row {}, {}: {}", r.row, r.field, r.text);
        }
    }
    if text.repaired_count > 0 {
        println!(
            "{} value(s) repaired from Vietnamese mojibake (text once misread as Latin-1):",
            text.repaired_count
        );
        for r in text.repairs.iter().take(10) {
            println!(
                "  row {}, {}: {} → {} ({})",
                r.row,
                r.field,
                r.before,
                r.after,
                r.encoding.label()
            );
        }
    }
}

/// `tramgis repair-text`: repairs mojibake in a layer's text fields as one edit.
pub fn repair_text(args: &RepairTextArgs) -> Result<()> {
    let fields: Option<Vec<String>> = args.fields.as_ref().map(|list| {
        list.split(',')
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty())
            .collect()
    });
    let mut gpkg = if args.dry_run {
        GeoPackage::open_read_only(&args.workspace)?
    } else {
        GeoPackage::open(&args.workspace)?
    };
    let repairs = io::repair_text::find_repairs(&gpkg, &args.layer, fields.as_deref())?;
    for r in &repairs {
        println!(
            "fid {}, {}: {} → {} ({})",
            r.fid,
            r.field,
            r.before,
            r.after,
            r.encoding.label()
        );
    }
    if repairs.is_empty() {
        println!(
            "{}, layer '{}': nothing to repair",
            args.workspace.display(),
            args.layer
        );
        return Ok(());
    }
    if args.dry_run {
        println!(
            "{} value(s) would be repaired (dry run: nothing changed)",
            repairs.len()
        );
        return Ok(());
    }
    let edit = io::repair_text::apply_repairs(&mut gpkg, &args.layer, &repairs)?;
    println!(
        "repaired {} value(s) in layer '{}' as one edit{}",
        repairs.len(),
        args.layer,
        edit.map_or(String::new(), |id| format!(" (edit {id})"))
    );
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
    options.encoding = args
        .encoding
        .as_deref()
        .map(parse_encoding)
        .transpose()?
        .filter(|e| *e != TextEncoding::Utf8);
    let report = io::export_layer_report(&gpkg, &options, &Progress::default())?;
    println!(
        "wrote {} features of '{}' to {}",
        report.written,
        args.layer,
        args.out.display()
    );
    for w in &report.warnings {
        println!("warning: {w}");
    }
    Ok(())
}
