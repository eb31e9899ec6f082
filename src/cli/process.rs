//! `tramgis process <tool>`: the geoprocessing tools (buffer, intersection,
//! difference, union, dissolve, clip, join, centroids) on a workspace's
//! layers, each writing a new layer of the workspace as one edit.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::analysis::geoprocess::{self, Predicate, Tool};
use crate::gpkg::GeoPackage;
use crate::jobs::Progress;

#[derive(clap::Args, Debug)]
pub struct ProcessArgs {
    #[command(subcommand)]
    pub tool: ProcessTool,
}

/// Options every tool takes.
#[derive(clap::Args, Debug)]
pub struct Common {
    /// The workspace GeoPackage.
    pub workspace: PathBuf,
    /// The layer to write (replaced if it exists).
    #[arg(long)]
    pub out: String,
}

/// Options of the two-layer tools.
#[derive(clap::Args, Debug)]
pub struct Overlay {
    #[command(flatten)]
    pub common: Common,
    /// The input layer (A).
    #[arg(long)]
    pub input: String,
    /// The overlay layer (B), reprojected to A's CRS if it is in another.
    #[arg(long)]
    pub overlay: String,
}

#[derive(clap::Subcommand, Debug)]
pub enum ProcessTool {
    /// Grow every feature by a distance (round joins and caps).
    Buffer {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        layer: String,
        /// Distance in the layer's units (metres in VN-2000).
        #[arg(long, allow_hyphen_values = true)]
        distance: f64,
        /// Segments per quarter circle (QGIS's default is 5).
        #[arg(long, default_value_t = 5)]
        segments: u32,
        /// Merge all buffers into one feature.
        #[arg(long)]
        dissolve: bool,
    },
    /// A ∩ B, one feature per overlapping pair with the fields of both.
    Intersection {
        #[command(flatten)]
        overlay: Overlay,
        /// Prefix for the overlay's field names.
        #[arg(long, default_value = "")]
        prefix: String,
    },
    /// A − B.
    Difference {
        #[command(flatten)]
        overlay: Overlay,
    },
    /// A ∪ B (overlaps with both fields, the rest with one side's).
    Union {
        #[command(flatten)]
        overlay: Overlay,
        #[arg(long, default_value = "")]
        prefix: String,
    },
    /// Merge the features of a layer by a field's value (or all into one).
    Dissolve {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        layer: String,
        /// The field whose value groups the features (default: all).
        #[arg(long)]
        field: Option<String>,
    },
    /// Cut the input to the union of the overlay's polygons.
    Clip {
        #[command(flatten)]
        overlay: Overlay,
    },
    /// Join the fields of the first matching feature of another layer, with
    /// their count (join_count) and the sums of its numeric fields.
    Join {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        input: String,
        /// The layer whose fields are joined.
        #[arg(long)]
        join: String,
        /// intersects, contains (input contains join) or within.
        #[arg(long, default_value = "intersects")]
        predicate: String,
        #[arg(long, default_value = "")]
        prefix: String,
    },
    /// The centroid of each feature.
    Centroids {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        layer: String,
    },
}

impl ProcessTool {
    fn into_tool(self) -> Result<(Common, Tool)> {
        Ok(match self {
            ProcessTool::Buffer {
                common,
                layer,
                distance,
                segments,
                dissolve,
            } => (
                common,
                Tool::Buffer {
                    layer,
                    distance,
                    segments,
                    dissolve,
                },
            ),
            ProcessTool::Intersection { overlay: o, prefix } => (
                o.common,
                Tool::Intersection {
                    input: o.input,
                    overlay: o.overlay,
                    overlay_prefix: prefix,
                },
            ),
            ProcessTool::Difference { overlay: o } => (
                o.common,
                Tool::Difference {
                    input: o.input,
                    overlay: o.overlay,
                },
            ),
            ProcessTool::Union { overlay: o, prefix } => (
                o.common,
                Tool::Union {
                    input: o.input,
                    overlay: o.overlay,
                    overlay_prefix: prefix,
                },
            ),
            ProcessTool::Dissolve {
                common,
                layer,
                field,
            } => (common, Tool::Dissolve { layer, field }),
            ProcessTool::Clip { overlay: o } => (
                o.common,
                Tool::Clip {
                    input: o.input,
                    overlay: o.overlay,
                },
            ),
            ProcessTool::Join {
                common,
                input,
                join,
                predicate,
                prefix,
            } => {
                let Some(predicate) = Predicate::from_key(&predicate) else {
                    bail!("--predicate '{predicate}': use intersects, contains or within");
                };
                (
                    common,
                    Tool::SpatialJoin {
                        input,
                        join,
                        predicate,
                        prefix,
                    },
                )
            }
            ProcessTool::Centroids { common, layer } => (common, Tool::Centroids { layer }),
        })
    }
}

/// Runs the tool (progress on stderr while it takes a while) and prints
/// what it wrote.
pub fn run(args: ProcessArgs) -> Result<()> {
    let (common, tool) = args.tool.into_tool()?;
    let mut gpkg = GeoPackage::open(&common.workspace)?;
    let progress = Progress::default();
    let finished = std::sync::atomic::AtomicBool::new(false);
    let start = Instant::now();
    let result = std::thread::scope(|s| {
        s.spawn(|| {
            let mut last = Instant::now();
            while !finished.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
                if last.elapsed() > Duration::from_secs(2) {
                    if let Some(f) = progress.fraction() {
                        eprintln!("  {:.0} %", f * 100.0);
                    }
                    last = Instant::now();
                }
            }
        });
        let result = geoprocess::run(&mut gpkg, &tool, &common.out, &progress);
        finished.store(true, std::sync::atomic::Ordering::Relaxed);
        result
    });
    let summary = result.with_context(|| {
        format!(
            "{} ({}) in {}",
            tool.key(),
            tool.inputs().join(", "),
            common.workspace.display()
        )
    })?;
    println!(
        "{}: {} đối tượng ghi vào lớp '{}' ({:.1} s)",
        tool.label_vi(),
        summary.features,
        summary.output,
        start.elapsed().as_secs_f64()
    );
    if summary.reprojected {
        println!(
            "  lớp {} được chuyển sang hệ tọa độ của lớp {}",
            tool.inputs()[1],
            tool.inputs()[0]
        );
    }
    if summary.repaired > 0 {
        println!(
            "  {} hình không hợp lệ đã được sửa trước khi xử lý",
            summary.repaired
        );
    }
    Ok(())
}
