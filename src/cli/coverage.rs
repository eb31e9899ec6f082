//! `tramgis compliance` (a project layer against the zoning plan),
//! `tramgis coverage` (BTS coverage per operator, communes and villages
//! covered, co-location candidates) and `tramgis indicators` (smart-city
//! indicators by commune as choropleth layers).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::analysis::compliance::{self, ComplianceConfig};
use crate::analysis::coverage::{self, CoverageConfig, Terrain};
use crate::analysis::indicators::{self, Indicator, IndicatorConfig};
use crate::analysis::table::ResultTable;
use crate::gpkg::GeoPackage;
use crate::jobs::Progress;

#[derive(clap::Args, Debug)]
pub struct ComplianceArgs {
    /// The workspace GeoPackage.
    pub workspace: PathBuf,
    /// The proposed project (or parcel) polygon layer.
    #[arg(long)]
    pub project: String,
    /// The zoning plan layer (ky_hieu_o, chuc_nang, mat_do_xd, tang_cao_min,
    /// tang_cao_max, he_so_sdd).
    #[arg(long, default_value = "o_quy_hoach")]
    pub zoning: String,
    /// The project's proposed building coverage (%) field; "-" skips the check.
    #[arg(long, default_value = "mat_do_xd")]
    pub coverage_field: String,
    /// The project's proposed floors field; "-" skips the check.
    #[arg(long, default_value = "so_tang")]
    pub floors_field: String,
    /// The project's proposed floor-area ratio field; "-" skips the check.
    #[arg(long, default_value = "he_so_sdd")]
    pub far_field: String,
    /// Overlaps below this share of a feature (0..1) are slivers, not lots.
    #[arg(long, default_value_t = 0.01)]
    pub min_share: f64,
    /// Prefix of the result layer and tables.
    #[arg(long, default_value = "tuan_thu")]
    pub prefix: String,
    /// Only print; write nothing to the workspace.
    #[arg(long)]
    pub no_save: bool,
    /// Write the violations table as CSV (UTF-8 with BOM).
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Column labels: vi or en.
    #[arg(long, default_value = "vi")]
    pub lang: String,
}

#[derive(clap::Args, Debug)]
pub struct CoverageArgs {
    /// The workspace GeoPackage.
    pub workspace: PathBuf,
    /// A technology's radius in metres, urban/rural (or one for both):
    /// `--radius 4G=1200/3500`; repeatable. Defaults: 2G 2000/6000, 3G
    /// 1500/4000, 4G 1000/3000, 5G 300/1000.
    #[arg(long, value_name = "TECH=URBAN[/RURAL]")]
    pub radius: Vec<String>,
    /// How the terrain class is decided: commune (ranh_gioi_xa.loai Phường
    /// or Thị trấn is urban), zoning (inside an o_quy_hoach lot is urban),
    /// urban or rural.
    #[arg(long, default_value = "commune")]
    pub terrain: String,
    /// Towers of different operators at most this far apart (m) are
    /// co-location candidates.
    #[arg(long, default_value_t = 100.0)]
    pub colocation_distance: f64,
    /// Segments per quarter circle of the coverage circles.
    #[arg(long, default_value_t = 30)]
    pub quadrant_segments: usize,
    /// Prefix of the result layers and tables.
    #[arg(long, default_value = "phu_song")]
    pub prefix: String,
    #[arg(long)]
    pub no_save: bool,
    /// Write the table by commune as CSV (UTF-8 with BOM).
    #[arg(long)]
    pub csv: Option<PathBuf>,
    #[arg(long, default_value = "vi")]
    pub lang: String,
}

#[derive(clap::Args, Debug)]
pub struct IndicatorsArgs {
    /// The workspace GeoPackage.
    pub workspace: PathBuf,
    /// How far an environmental monitoring station reaches (m).
    #[arg(long, default_value_t = 2000.0)]
    pub reach: f64,
    /// Land-use codes of industrial zones, comma-separated.
    #[arg(long, default_value = "SKK,SKN,SKC")]
    pub industrial: String,
    /// Land-use codes of urban areas, comma-separated.
    #[arg(long, default_value = "ODT")]
    pub urban: String,
    /// Prefix of the result layers.
    #[arg(long, default_value = "chi_so")]
    pub prefix: String,
    #[arg(long)]
    pub no_save: bool,
    /// Write each indicator's table as DIR/<layer>.csv.
    #[arg(long, value_name = "DIR")]
    pub csv_dir: Option<PathBuf>,
    #[arg(long, default_value = "vi")]
    pub lang: String,
}

fn optional_field(value: &str) -> Option<String> {
    (value != "-").then(|| value.to_string())
}

fn open(path: &PathBuf, save: bool) -> Result<GeoPackage> {
    let gpkg = if save {
        GeoPackage::open(path)
    } else {
        GeoPackage::open_read_only(path)
    };
    Ok(gpkg?)
}

fn print_tables(tables: &[ResultTable], lang: &str) {
    for t in tables {
        println!("{}", t.to_text(lang));
    }
}

pub fn compliance(args: &ComplianceArgs) -> Result<()> {
    let config = ComplianceConfig {
        project_coverage_field: optional_field(&args.coverage_field),
        project_floors_field: optional_field(&args.floors_field),
        project_far_field: optional_field(&args.far_field),
        min_share: args.min_share,
        output_prefix: args.prefix.clone(),
        ..ComplianceConfig::new(&args.project, &args.zoning)
    };
    let mut gpkg = open(&args.workspace, !args.no_save)?;
    let started = Instant::now();
    let context = || format!("{}: plan compliance", args.workspace.display());
    let result = compliance::compute(&gpkg, &config, &Progress::default()).with_context(context)?;
    let seconds = started.elapsed().as_secs_f64();
    print_tables(
        &[result.functions_table(), result.violations_table()],
        &args.lang,
    );
    if let Some(csv) = &args.csv {
        result.violations_table().write_csv(csv)?;
    }
    if !args.no_save {
        let written = result.save(&mut gpkg).with_context(context)?;
        eprintln!("saved: {}", written.join(", "));
    }
    eprintln!(
        "{} features of '{}' against '{}' in {seconds:.2} s: {} violation(s)",
        result.features.len(),
        args.project,
        args.zoning,
        result.violations.len()
    );
    Ok(())
}

/// `4G=1200/3500` or `5G=400`.
fn parse_radius(text: &str) -> Result<(String, f64, Option<f64>)> {
    let bad =
        || format!("--radius {text}: expected TECH=URBAN[/RURAL] in metres, e.g. 4G=1200/3500");
    let (tech, metres) = text.split_once('=').with_context(bad)?;
    let (urban, rural) = match metres.split_once('/') {
        Some((u, r)) => (u, Some(r)),
        None => (metres, None),
    };
    let number = |s: &str| -> Result<f64> {
        let v: f64 = s.trim().parse().with_context(bad)?;
        if !(v.is_finite() && v > 0.0) {
            bail!(bad());
        }
        Ok(v)
    };
    let rural = rural.map(number).transpose()?;
    Ok((tech.trim().to_string(), number(urban)?, rural))
}

pub fn coverage(args: &CoverageArgs) -> Result<()> {
    let mut config = CoverageConfig {
        colocation_distance_m: args.colocation_distance,
        quadrant_segments: args.quadrant_segments,
        output_prefix: args.prefix.clone(),
        ..CoverageConfig::default()
    };
    for r in &args.radius {
        let (tech, urban, rural) = parse_radius(r)?;
        config.set_radius(&tech, urban, rural);
    }
    config.terrain = match args.terrain.as_str() {
        "commune" | "xa" => config.terrain,
        "zoning" | "quy_hoach" => Terrain::ZoningLots {
            layer: "o_quy_hoach".into(),
        },
        "urban" => Terrain::AllUrban,
        "rural" => Terrain::AllRural,
        other => bail!("--terrain {other}: expected commune, zoning, urban or rural"),
    };
    let mut gpkg = open(&args.workspace, !args.no_save)?;
    let started = Instant::now();
    let context = || format!("{}: BTS coverage", args.workspace.display());
    let result = coverage::compute(&gpkg, &config, &Progress::default()).with_context(context)?;
    let seconds = started.elapsed().as_secs_f64();
    let communes = result.communes_table();
    print_tables(
        &[
            result.groups_table(),
            result.villages_table(true),
            result.colocation_table(),
        ],
        &args.lang,
    );
    if let Some(csv) = &args.csv {
        communes.write_csv(csv)?;
    }
    if !args.no_save {
        let written = result.save(&mut gpkg).with_context(context)?;
        eprintln!("saved: {}", written.join(", "));
    }
    eprintln!(
        "{} towers, {} communes, {} villages in {seconds:.2} s: {:.2} % of villages covered (target 100 %), {} co-location candidate(s)",
        result.towers.len(),
        result.communes.len(),
        result.villages.len(),
        100.0 * result.village_share(),
        result.colocations.len()
    );
    Ok(())
}

fn codes(list: &str) -> Vec<String> {
    list.split(',')
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

pub fn indicators(args: &IndicatorsArgs) -> Result<()> {
    let config = IndicatorConfig {
        reach_m: args.reach,
        industrial_codes: codes(&args.industrial),
        urban_codes: codes(&args.urban),
        output_prefix: args.prefix.clone(),
        ..IndicatorConfig::default()
    };
    let mut gpkg = open(&args.workspace, !args.no_save)?;
    let started = Instant::now();
    let context = || format!("{}: smart-city indicators", args.workspace.display());
    let result = indicators::compute(&gpkg, &config, &Progress::default()).with_context(context)?;
    let seconds = started.elapsed().as_secs_f64();
    for indicator in Indicator::ALL {
        let table = result.table(indicator);
        println!("{}", table.to_text(&args.lang));
        if let Some(dir) = &args.csv_dir {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create the folder", dir.display()))?;
            table.write_csv(&dir.join(format!("{}.csv", result.layer_name(indicator))))?;
        }
    }
    if !args.no_save {
        let written = result.save(&mut gpkg).with_context(context)?;
        eprintln!("saved: {}", written.join(", "));
    }
    eprintln!("{} communes in {seconds:.2} s", result.communes.len());
    Ok(())
}
