//! What each analysis of the panel runs in its background job: the
//! library's `analysis::*::run` on a read-write connection of its own
//! (the UI thread never touches the store), and what the panel shows
//! afterwards: the result tables, the layers written, the features to
//! zoom to.

use std::path::PathBuf;

use geo_types::MultiPolygon;

use crate::analysis::coverage::CoverageConfig;
use crate::analysis::geoprocess::{self, Predicate, Tool};
use crate::analysis::indicators::{Indicator, IndicatorConfig};
use crate::analysis::landuse_stats::{self, StatsOptions};
use crate::analysis::table::ResultTable;
use crate::analysis::{AnalysisError, compare, compliance, coverage, indicators};
use crate::gpkg::GeoPackage;
use crate::jobs::{Cancelled, Job, Progress};

/// The analyses the panel offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    LandUse,
    Compare,
    Compliance,
    Coverage,
    Indicators,
    Geo(GeoTool),
}

/// What land-use statistics are counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsBy {
    Commune,
    District,
    /// The selected polygon (the first selected feature of a polygon layer).
    Selection,
    /// A polygon drawn on the map (the draw-area tool).
    Drawn,
}

/// The geoprocessing tools, each with its own form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeoTool {
    Buffer,
    Intersection,
    Difference,
    Union,
    Dissolve,
    Clip,
    SpatialJoin,
    Centroids,
}

impl GeoTool {
    pub const ALL: [GeoTool; 8] = [
        GeoTool::Buffer,
        GeoTool::Intersection,
        GeoTool::Difference,
        GeoTool::Union,
        GeoTool::Dissolve,
        GeoTool::Clip,
        GeoTool::SpatialJoin,
        GeoTool::Centroids,
    ];

    /// Whether the tool reads a second layer.
    pub fn has_overlay(self) -> bool {
        matches!(
            self,
            GeoTool::Intersection
                | GeoTool::Difference
                | GeoTool::Union
                | GeoTool::Clip
                | GeoTool::SpatialJoin
        )
    }

    /// The name of its output layer by default (`<layer>_<key>`).
    pub fn key(self) -> &'static str {
        match self {
            GeoTool::Buffer => "vung_dem",
            GeoTool::Intersection => "giao",
            GeoTool::Difference => "hieu",
            GeoTool::Union => "hop",
            GeoTool::Dissolve => "gop",
            GeoTool::Clip => "cat",
            GeoTool::SpatialJoin => "noi",
            GeoTool::Centroids => "tam",
        }
    }
}

/// What the user filled in. One struct for every analysis: switching
/// between them keeps what was typed.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The input layer of a tool, the project layer of compliance.
    pub layer: String,
    /// The second layer of a tool, the zoning layer of compliance.
    pub overlay: String,
    pub distance: f64,
    pub segments: u32,
    pub dissolve: bool,
    /// The dissolve field (None: all into one).
    pub field: Option<String>,
    pub predicate: Predicate,
    /// The output layer of a tool.
    pub output: String,
    pub stats_by: StatsBy,
    /// The polygon statistics are counted in: a selected feature (layer, fid).
    pub within: Option<(String, i64)>,
    /// The polygon statistics are counted in: drawn on the map.
    pub drawn: Option<MultiPolygon<f64>>,
    pub coverage: CoverageConfig,
    pub indicators: IndicatorConfig,
}

impl Default for Inputs {
    fn default() -> Self {
        Inputs {
            layer: String::new(),
            overlay: String::new(),
            distance: 100.0,
            segments: 8,
            dissolve: false,
            field: None,
            predicate: Predicate::Intersects,
            output: String::new(),
            stats_by: StatsBy::Commune,
            within: None,
            drawn: None,
            coverage: CoverageConfig::default(),
            indicators: IndicatorConfig::default(),
        }
    }
}

/// A feature the results point at (a violation, an uncovered village).
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub layer: String,
    pub fid: i64,
    pub text: String,
}

/// What a finished analysis hands to the panel.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub tables: Vec<ResultTable>,
    /// The layers written to the workspace (the map loads them).
    pub layers: Vec<String>,
    pub listed: Vec<Listed>,
    /// One line saying what was done.
    pub summary: String,
    /// The column the chart shows by default.
    pub chart_column: Option<String>,
    /// A chart of its own (label, value), shown instead of a table column.
    pub bars: Option<Vec<(String, f64)>>,
    /// Result tables kept in the workspace (attribute tables).
    pub saved: Vec<String>,
}

pub type Running = Job<Result<Outcome, AnalysisError>>;

/// Starts the analysis on the workspace at `path` in the background.
pub fn start(path: PathBuf, choice: Choice, inputs: Inputs, label: String) -> Running {
    Job::spawn(label, move |progress| {
        let mut gpkg = GeoPackage::open(&path)?;
        // Cancelled while the file opened: nothing is read or written.
        if progress.is_cancelled() {
            return Err(Cancelled.into());
        }
        run(&mut gpkg, choice, &inputs, progress)
    })
}

fn run(
    gpkg: &mut GeoPackage,
    choice: Choice,
    inputs: &Inputs,
    progress: &Progress,
) -> Result<Outcome, AnalysisError> {
    match choice {
        Choice::LandUse => land_use(gpkg, inputs, progress),
        Choice::Compare => {
            let options = compare::CompareOptions::new(&inputs.layer, &inputs.overlay);
            let result = compare::compare_layers(gpkg, &options, progress)?;
            if progress.is_cancelled() {
                return Err(Cancelled.into());
            }
            let layer = "bien_dong_su_dung_dat".to_string();
            compare::save_changes_layer(gpkg, &result, &layer)?;
            let matrix = result.matrix_table();
            let saved = vec!["ma_tran_chuyen_doi".to_string()];
            matrix.save(gpkg, &saved[0])?;
            let listed = (result.changes.iter())
                .map(|c| Listed {
                    layer: inputs.layer.clone(),
                    fid: c.from_fid,
                    text: format!(
                        "{}: {} → {} ({:.1} m²)",
                        c.from_fid, c.from_code, c.to_code, c.area
                    ),
                })
                .collect();
            Ok(Outcome {
                summary: format!("{:.1} m²", result.changed_area()),
                tables: vec![matrix, result.transitions_table(), result.changes_table()],
                layers: vec![layer],
                listed,
                saved,
                ..Outcome::default()
            })
        }
        Choice::Compliance => {
            let config = compliance::ComplianceConfig::new(&inputs.layer, &inputs.overlay);
            let result = compliance::run(gpkg, &config, progress)?;
            let listed = result
                .violations
                .iter()
                .map(|v| Listed {
                    layer: inputs.layer.clone(),
                    fid: v.fid,
                    text: format!(
                        "{} {}: {} ({} {} > {})",
                        v.fid,
                        v.lot_id,
                        v.rule.label_vi(),
                        v.rule.key(),
                        number(v.value),
                        number(v.limit)
                    ),
                })
                .collect();
            Ok(Outcome {
                summary: format!("{} / {}", result.violations.len(), result.features.len()),
                tables: vec![
                    result.violations_table(),
                    result.lots_table(),
                    result.functions_table(),
                ],
                layers: vec![result.violations_layer()],
                listed,
                ..Outcome::default()
            })
        }
        Choice::Coverage => {
            let config = &inputs.coverage;
            let result = coverage::run(gpkg, config, progress)?;
            let listed = result
                .uncovered_villages()
                .map(|v| Listed {
                    layer: config.villages_layer.clone(),
                    fid: v.fid,
                    text: v.name.clone(),
                })
                .collect();
            Ok(Outcome {
                summary: format!("{:.1} %", 100.0 * result.village_share()),
                tables: vec![
                    result.communes_table(),
                    result.villages_table(true),
                    result.groups_table(),
                    result.colocation_table(),
                ],
                layers: result.layer_names().to_vec(),
                listed,
                chart_column: Some("ty_le_dien_tich".into()),
                ..Outcome::default()
            })
        }
        Choice::Indicators => {
            let result = indicators::run(gpkg, &inputs.indicators, progress)?;
            Ok(Outcome {
                summary: format!("{}", result.communes.len()),
                tables: Indicator::ALL.iter().map(|i| result.table(*i)).collect(),
                layers: Indicator::ALL
                    .iter()
                    .map(|i| result.layer_name(*i))
                    .collect(),
                listed: Vec::new(),
                chart_column: Some("gia_tri".into()),
                ..Outcome::default()
            })
        }
        Choice::Geo(tool) => {
            let tool = geo_tool(tool, inputs);
            let summary = geoprocess::run(gpkg, &tool, &inputs.output, progress)?;
            Ok(Outcome {
                summary: format!(
                    "{}: {} ({})",
                    summary.output,
                    summary.features,
                    tool.label_vi()
                ),
                tables: Vec::new(),
                layers: vec![summary.output],
                listed: Vec::new(),
                ..Outcome::default()
            })
        }
    }
}

/// Land-use statistics by commune, by district or within a selected
/// polygon; the tables are kept in the workspace.
fn land_use(
    gpkg: &mut GeoPackage,
    inputs: &Inputs,
    progress: &Progress,
) -> Result<Outcome, AnalysisError> {
    let mut options = match (inputs.stats_by, &inputs.within) {
        (StatsBy::Selection, Some((layer, fid))) => {
            let geometry = gpkg
                .get_feature(layer, *fid)?
                .and_then(|f| f.geometry)
                .and_then(multi_polygon)
                .ok_or_else(|| AnalysisError::Layer {
                    layer: layer.clone(),
                    detail: format!("feature {fid} is not a polygon"),
                })?;
            StatsOptions::within(&format!("{layer} {fid}"), geometry)
        }
        (StatsBy::Selection, None) => {
            return Err(AnalysisError::Layer {
                layer: inputs.layer.clone(),
                detail: "no polygon is selected".into(),
            });
        }
        (StatsBy::Drawn, _) => match &inputs.drawn {
            Some(area) => StatsOptions::within("vùng vẽ", area.clone()),
            None => {
                return Err(AnalysisError::Layer {
                    layer: inputs.layer.clone(),
                    detail: "no area is drawn on the map".into(),
                });
            }
        },
        _ => StatsOptions::communes(),
    };
    options.parcels = inputs.layer.clone();
    let mut stats = landuse_stats::landuse_stats(gpkg, &options, progress)?;
    let name = match inputs.stats_by {
        StatsBy::Commune => "xa",
        StatsBy::District => {
            stats = stats.by_district();
            "huyen"
        }
        StatsBy::Selection => "vung_chon",
        StatsBy::Drawn => "vung_ve",
    };
    if progress.is_cancelled() {
        return Err(Cancelled.into());
    }
    let by_code = stats.by_code_table();
    let by_group = stats.by_group_table();
    let saved = vec![
        format!("thong_ke_loai_dat_{name}"),
        format!("thong_ke_nhom_dat_{name}"),
    ];
    by_code.save(gpkg, &saved[0])?;
    by_group.save(gpkg, &saved[1])?;
    // The chart: hectares of each land-use code over all the zones.
    let mut totals: std::collections::BTreeMap<String, f64> = Default::default();
    for z in &stats.zones {
        for (code, a) in &z.by_code {
            *totals.entry(code.clone()).or_insert(0.0) += a / 10_000.0;
        }
    }
    let mut bars: Vec<(String, f64)> = totals
        .into_iter()
        .map(|(code, ha)| (format!("{code} – {}", landuse_stats::code_name(&code)), ha))
        .collect();
    bars.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut tables = vec![by_code, by_group];
    if !stats.mismatches.is_empty() {
        tables.push(stats.mismatch_table());
    }
    let listed = (stats.mismatches.iter())
        .map(|m| Listed {
            layer: inputs.layer.clone(),
            fid: m.fid,
            text: format!("{}: {} ≠ {}", m.fid, m.attribute, m.overlay),
        })
        .collect();
    Ok(Outcome {
        summary: format!("{} / {}", stats.parcels, stats.zones.len()),
        listed,
        tables,
        bars: Some(bars),
        saved,
        ..Outcome::default()
    })
}

fn multi_polygon(g: geo_types::Geometry<f64>) -> Option<geo_types::MultiPolygon<f64>> {
    match g {
        geo_types::Geometry::Polygon(p) => Some(geo_types::MultiPolygon(vec![p])),
        geo_types::Geometry::MultiPolygon(m) => Some(m),
        _ => None,
    }
}

/// The library's tool with the form's parameters.
pub fn geo_tool(tool: GeoTool, i: &Inputs) -> Tool {
    let (input, overlay) = (i.layer.clone(), i.overlay.clone());
    match tool {
        GeoTool::Buffer => Tool::Buffer {
            layer: input,
            distance: i.distance,
            segments: i.segments,
            dissolve: i.dissolve,
        },
        GeoTool::Intersection => Tool::Intersection {
            input,
            overlay,
            overlay_prefix: "b_".into(),
        },
        GeoTool::Difference => Tool::Difference { input, overlay },
        GeoTool::Union => Tool::Union {
            input,
            overlay,
            overlay_prefix: "b_".into(),
        },
        GeoTool::Dissolve => Tool::Dissolve {
            layer: input,
            field: i.field.clone(),
        },
        GeoTool::Clip => Tool::Clip { input, overlay },
        GeoTool::SpatialJoin => Tool::SpatialJoin {
            input,
            join: overlay,
            predicate: i.predicate,
            prefix: "b_".into(),
        },
        GeoTool::Centroids => Tool::Centroids { layer: input },
    }
}

/// A value as people read it: whole numbers without decimals.
fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}
