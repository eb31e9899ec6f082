//! Geoprocessing tools on any layer of the workspace, one file per tool as
//! QGIS Processing has one algorithm per class: buffer, intersection,
//! difference, union, dissolve, clip, spatial join (with counts and sums)
//! and centroids.
//!
//! Every tool reads its layers once, moves the overlay into the input's
//! CRS when they differ, finds candidate pairs through an R-tree (never all
//! pairs), works on every core, and writes its result as a new layer of the
//! workspace in one journaled transaction (a layer of the same name is
//! replaced). A cancelled or failed run writes nothing.

mod buffer;
mod centroids;
mod clip;
mod difference;
mod dissolve;
mod fields;
mod input;
mod intersection;
mod kinds;
mod parallel;
mod prepared;
mod spatial_join;
mod union;

use std::time::Instant;

use geo::Area;
use geo_types::{Geometry, MultiPolygon};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

use crate::analysis::{AnalysisError, Result};
use crate::gpkg::{GeoPackage, LayerMeta};
use crate::jobs::{Cancelled, Progress};
use crate::model::{Feature, Field, GeometryType, Schema};

pub use buffer::buffer_geometry;
pub use kinds::{Param, ParamKind, ToolKind};

/// How a feature of the join layer must relate to an input feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Predicate {
    /// They share at least one point.
    Intersects,
    /// The input feature contains the join feature.
    Contains,
    /// The input feature lies within the join feature.
    Within,
}

impl Predicate {
    pub const ALL: [Predicate; 3] = [
        Predicate::Intersects,
        Predicate::Contains,
        Predicate::Within,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Predicate::Intersects => "intersects",
            Predicate::Contains => "contains",
            Predicate::Within => "within",
        }
    }

    pub fn from_key(key: &str) -> Option<Predicate> {
        Predicate::ALL
            .into_iter()
            .find(|p| p.key().eq_ignore_ascii_case(key))
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Predicate::Intersects => "giao nhau",
            Predicate::Contains => "chứa",
            Predicate::Within => "nằm trong",
        }
    }
}

/// A geoprocessing tool with its parameters. Layer names are those of the
/// workspace; the result goes to the layer named in [`run`]'s `output`.
#[derive(Debug, Clone, PartialEq)]
pub enum Tool {
    /// Every feature grown by `distance` (layer units, metres in VN-2000),
    /// round joins and caps with `segments` per quarter circle (QGIS and
    /// GEOS: 5 by default, 8 in GEOS's own default); `dissolve` merges
    /// all buffers into one feature.
    Buffer {
        layer: String,
        distance: f64,
        segments: u32,
        dissolve: bool,
    },
    /// A ∩ B: one feature per overlapping pair, with the fields of both
    /// (an overlay field whose name is taken gets `overlay_prefix`, then _2).
    Intersection {
        input: String,
        overlay: String,
        overlay_prefix: String,
    },
    /// A − B: each input feature less every overlay feature.
    Difference { input: String, overlay: String },
    /// A ∪ B as QGIS's union: A ∩ B with both fields, A − B and B − A
    /// with the other side's fields empty.
    Union {
        input: String,
        overlay: String,
        overlay_prefix: String,
    },
    /// The features of one layer merged by the value of `field` (None: all
    /// into one).
    Dissolve {
        layer: String,
        field: Option<String>,
    },
    /// The input cut to the union of the overlay; the input's fields.
    Clip { input: String, overlay: String },
    /// Each input feature with the fields of the first `join` feature that
    /// meets `predicate`, their number (`join_count`) and the sums of the
    /// join layer's numeric fields (`<field>_sum`), as QGIS's "join
    /// attributes by location" and its summary. Input features without a
    /// match are kept with empty values.
    SpatialJoin {
        input: String,
        join: String,
        predicate: Predicate,
        prefix: String,
    },
    /// The centroid (centre of mass) of each feature, with its fields.
    Centroids { layer: String },
}

impl Tool {
    /// The tool's key in the CLI (`tramgis process <key>`).
    pub fn key(&self) -> &'static str {
        match self {
            Tool::Buffer { .. } => "buffer",
            Tool::Intersection { .. } => "intersection",
            Tool::Difference { .. } => "difference",
            Tool::Union { .. } => "union",
            Tool::Dissolve { .. } => "dissolve",
            Tool::Clip { .. } => "clip",
            Tool::SpatialJoin { .. } => "join",
            Tool::Centroids { .. } => "centroids",
        }
    }

    pub fn label_vi(&self) -> &'static str {
        match self {
            Tool::Buffer { .. } => "Vùng đệm",
            Tool::Intersection { .. } => "Giao",
            Tool::Difference { .. } => "Hiệu",
            Tool::Union { .. } => "Hợp",
            Tool::Dissolve { .. } => "Gộp theo trường",
            Tool::Clip { .. } => "Cắt",
            Tool::SpatialJoin { .. } => "Nối thuộc tính theo vị trí",
            Tool::Centroids { .. } => "Tâm",
        }
    }

    pub fn label_en(&self) -> &'static str {
        match self {
            Tool::Buffer { .. } => "Buffer",
            Tool::Intersection { .. } => "Intersection",
            Tool::Difference { .. } => "Difference",
            Tool::Union { .. } => "Union",
            Tool::Dissolve { .. } => "Dissolve",
            Tool::Clip { .. } => "Clip",
            Tool::SpatialJoin { .. } => "Join attributes by location",
            Tool::Centroids { .. } => "Centroids",
        }
    }

    /// The layers the tool reads (input first).
    pub fn inputs(&self) -> Vec<&str> {
        match self {
            Tool::Buffer { layer, .. }
            | Tool::Dissolve { layer, .. }
            | Tool::Centroids { layer } => {
                vec![layer]
            }
            Tool::Intersection { input, overlay, .. }
            | Tool::Difference { input, overlay }
            | Tool::Union { input, overlay, .. }
            | Tool::Clip { input, overlay } => vec![input, overlay],
            Tool::SpatialJoin { input, join, .. } => vec![input, join],
        }
    }

    /// The edit's description in the journal (tramgis_edits), Vietnamese.
    pub fn description_vi(&self, output: &str) -> String {
        let detail = match self {
            Tool::Buffer {
                layer, distance, ..
            } => format!("{layer}, {distance} m"),
            Tool::Dissolve { layer, field } => match field {
                Some(f) => format!("{layer} theo {f}"),
                None => layer.clone(),
            },
            Tool::Centroids { layer } => layer.clone(),
            Tool::SpatialJoin {
                input,
                join,
                predicate,
                ..
            } => {
                format!("{input} ← {join} ({})", predicate.label_vi())
            }
            _ => self.inputs().join(", "),
        };
        format!("{} ({detail}) → lớp {output}", self.label_vi())
    }
}

/// What a run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The layer written.
    pub output: String,
    pub features: u64,
    /// Invalid input polygons repaired before the overlay.
    pub repaired: u64,
    /// Whether the overlay layer was moved into the input's CRS.
    pub reprojected: bool,
    pub seconds: f64,
}

/// Runs `tool`, writing its result to the layer `output` (replaced if it
/// exists; it may not be one of the tool's inputs). On cancel returns
/// `Err(Cancelled)` and the workspace is unchanged.
pub fn run(
    gpkg: &mut GeoPackage,
    tool: &Tool,
    output: &str,
    progress: &Progress,
) -> Result<Summary> {
    let start = Instant::now();
    check_output(tool, output)?;
    let result = match tool {
        Tool::Buffer {
            layer,
            distance,
            segments,
            dissolve,
        } => buffer::run(gpkg, layer, *distance, *segments, *dissolve, progress)?,
        Tool::Intersection {
            input,
            overlay,
            overlay_prefix,
        } => intersection::run(gpkg, input, overlay, overlay_prefix, progress)?,
        Tool::Difference { input, overlay } => difference::run(gpkg, input, overlay, progress)?,
        Tool::Union {
            input,
            overlay,
            overlay_prefix,
        } => union::run(gpkg, input, overlay, overlay_prefix, progress)?,
        Tool::Dissolve { layer, field } => dissolve::run(gpkg, layer, field.as_deref(), progress)?,
        Tool::Clip { input, overlay } => clip::run(gpkg, input, overlay, progress)?,
        Tool::SpatialJoin {
            input,
            join,
            predicate,
            prefix,
        } => spatial_join::run(gpkg, input, join, *predicate, prefix, progress)?,
        Tool::Centroids { layer } => centroids::run(gpkg, layer, progress)?,
    };
    check_cancel(progress)?;
    let schema = Schema::new(result.geometry_type, result.srs_id, result.fields);
    let meta = LayerMeta {
        // gpkg_contents.identifier (the title) is unique: it names the output.
        title_vi: Some(format!(
            "{output}: {} ({})",
            tool.label_vi(),
            tool.inputs().join(", ")
        )),
        title_en: Some(format!(
            "{output}: {} ({})",
            tool.label_en(),
            tool.inputs().join(", ")
        )),
        ..LayerMeta::default()
    };
    let features = crate::analysis::table::replace_layer(
        gpkg,
        output,
        &schema,
        &meta,
        result.features,
        &tool.description_vi(output),
    )?;
    Ok(Summary {
        output: output.to_string(),
        features,
        repaired: result.repaired,
        reprojected: result.reprojected,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// A tool's result before it is written.
struct Output {
    geometry_type: GeometryType,
    srs_id: i32,
    fields: Vec<Field>,
    features: Vec<Feature>,
    repaired: u64,
    reprojected: bool,
}

fn check_output(tool: &Tool, output: &str) -> Result<()> {
    let bad = |detail: String| AnalysisError::Layer {
        layer: output.to_string(),
        detail,
    };
    if output.trim().is_empty() {
        return Err(bad("the output layer needs a name".into()));
    }
    if output.starts_with("gpkg_") || output.starts_with("rtree_") || output.starts_with("tramgis_")
    {
        return Err(bad("reserved name for an output layer".into()));
    }
    if tool.inputs().iter().any(|i| i.eq_ignore_ascii_case(output)) {
        return Err(bad(format!(
            "is an input of {}; choose another output name",
            tool.key()
        )));
    }
    Ok(())
}

fn check_cancel(progress: &Progress) -> Result<()> {
    if progress.is_cancelled() {
        Err(Cancelled.into())
    } else {
        Ok(())
    }
}

/// Bounding boxes of a layer's items, for candidate pairs.
type BoxIndex = RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>;

fn box_index(items: &[input::Item]) -> BoxIndex {
    RTree::bulk_load(
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let b = prepared::aabb(item.bbox);
                GeomWithData::new(Rectangle::from_aabb(b), i)
            })
            .collect(),
    )
}

/// The items of `index` whose box meets `item`'s, in layer order.
fn candidates(index: &BoxIndex, item: &input::Item) -> Vec<usize> {
    let mut found: Vec<usize> = index
        .locate_in_envelope_intersecting(&prepared::aabb(item.bbox))
        .map(|g| g.data)
        .collect();
    found.sort_unstable();
    found
}

/// A result's polygons without pieces of no area (a shared edge or
/// corner) and without slivers: the overlay rounds to a grid, and two
/// polygons sharing an edge can leave a strip a few nanometres wide along
/// it where GEOS leaves nothing. None when nothing is left.
fn polygonal(mp: MultiPolygon<f64>) -> Option<MultiPolygon<f64>> {
    let parts: Vec<_> = mp.0.into_iter().filter(|p| !is_sliver(p)).collect();
    (!parts.is_empty()).then_some(MultiPolygon(parts))
}

/// Whether a polygon has no area, or a mean width (area / perimeter) under
/// a millionth of its size: 0.1 mm across a 100 m strip.
fn is_sliver(p: &geo_types::Polygon<f64>) -> bool {
    use geo::BoundingRect;
    let area = p.unsigned_area();
    if area <= 0.0 {
        return true;
    }
    let perimeter: f64 = std::iter::once(p.exterior())
        .chain(p.interiors())
        .flat_map(|ring| ring.0.windows(2))
        .map(|w| (w[1].x - w[0].x).hypot(w[1].y - w[0].y))
        .sum();
    let size = p
        .bounding_rect()
        .map_or(0.0, |r| r.width().hypot(r.height()));
    area / perimeter < 1e-6 * size
}

/// Some vertex of a geometry (for point-in-polygon tests).
fn probe(g: &Geometry<f64>) -> geo_types::Coord<f64> {
    use geo::CoordsIter;
    g.coords_iter().next().unwrap_or_default()
}

/// A polygon result feature.
fn polygon_feature(mp: MultiPolygon<f64>, values: Vec<crate::model::FieldValue>) -> Feature {
    Feature::new(Some(Geometry::MultiPolygon(mp)), values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{LineString, Polygon};

    #[test]
    fn slivers_are_dropped_and_small_pieces_kept() {
        let rect = |w: f64, h: f64| {
            Polygon::new(
                LineString::from(vec![(0.0, 0.0), (w, 0.0), (w, h), (0.0, h), (0.0, 0.0)]),
                vec![],
            )
        };
        assert!(is_sliver(&rect(100.0, 1e-8)));
        assert!(!is_sliver(&rect(100.0, 1e-3)));
        assert!(!is_sliver(&rect(0.05, 0.1)));
        assert!(polygonal(MultiPolygon(vec![rect(100.0, 0.0)])).is_none());
    }
}
