//! Reading a layer into a [`LayerMesh`]: features are read, reprojected to
//! the map CRS and coloured on the calling thread while a second thread
//! tessellates them, so reading and triangulating overlap. Features are
//! binned by where they lie into a grid of cells, and each cell fills
//! chunks of at most [`CHUNK_FEATURES`], so a chunk covers a small area
//! and the renderer can cull it as a whole.

use std::ops::ControlFlow;
use std::sync::mpsc::sync_channel;

use geo_types::{Coord, Geometry, Rect};

use crate::crs::{Crs, Transformer};
use crate::gpkg::{GeoPackage, LayerInfo, Query};
use crate::jobs::Progress;
use crate::model::GeometryType;

use super::RenderError;
use super::labels::{LabelSet, LabelSource};
use super::reproject::reproject;
use super::style::{LayerStyle, Rgba, Shape, Symbology};
use super::tessellate::{Chunk, ChunkBuilder, FeaturePaint};

/// Most features in one chunk: enough that a province is a few hundred
/// draw calls, few enough that culling at street scale skips nearly all.
pub const CHUNK_FEATURES: u32 = 32_768;
/// Features per grid cell aimed at when choosing the grid (for an even
/// spread; real data clusters). Measured on the 1M-parcel sample on
/// lavapipe: 16k per cell drew a 1 km street view in 82 ms, 4k in 64 ms,
/// with no cost at full extent; 1k was no better.
const FEATURES_PER_CELL: u64 = 4096;
/// Features handed from the reading thread to the tessellating one at once.
const BATCH: usize = 2048;

/// What the GPU needs of a layer's style besides the per-feature colours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawParams {
    pub opacity: f32,
    /// Width of this layer's segments: outline width for polygon layers,
    /// line width otherwise.
    pub segment_width_px: f32,
    /// Segments of features smaller than this on screen are skipped.
    pub segment_min_px: f32,
    pub point_shape: Shape,
    pub point_size_px: f32,
    pub point_outline: Rgba,
    /// Zoomed out, symbols closer than half their size to one already
    /// drawn are left out.
    pub declutter: bool,
}

impl DrawParams {
    pub fn new(style: &LayerStyle, geometry: GeometryType) -> Self {
        let polygons = polygonal(geometry);
        DrawParams {
            opacity: style.opacity,
            segment_width_px: if polygons {
                style.outline_width_px
            } else {
                style.line_width_px
            },
            segment_min_px: if polygons { style.outline_min_px } else { 0.0 },
            point_shape: style.point_shape,
            point_size_px: style.point_size_px,
            point_outline: style.point_outline,
            declutter: style.declutter,
        }
    }
}

/// How a layer's selected features are drawn over everything (the
/// renderer's highlight pass over the layer's own chunks): the sizes and
/// colours of [`LayerStyle::highlight`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HighlightLook {
    pub params: DrawParams,
    /// Of fills, dots and point symbols.
    pub fill: Rgba,
    /// Of polygon outlines and of lines.
    pub segments: Rgba,
}

impl HighlightLook {
    pub fn new(geometry: GeometryType) -> Self {
        let style = LayerStyle::highlight();
        let fill = match style.symbology {
            Symbology::Single(c) => c,
            _ => style.point_outline,
        };
        HighlightLook {
            params: DrawParams::new(&style, geometry),
            fill,
            segments: match style.outline {
                Some(o) if polygonal(geometry) => o,
                _ => fill,
            },
        }
    }
}

/// Whether a layer of `geometry` is drawn as polygons (curve polygons and
/// multi-surfaces are).
fn polygonal(geometry: GeometryType) -> bool {
    matches!(
        geometry.linear(),
        GeometryType::Polygon | GeometryType::MultiPolygon
    )
}

/// A layer tessellated and ready to upload.
#[derive(Debug, Clone)]
pub struct LayerMesh {
    pub name: String,
    pub params: DrawParams,
    pub chunks: Vec<Chunk>,
    pub features: u64,
    /// The layer's box in the map CRS.
    pub extent: Option<Rect<f64>>,
    /// The features' labels (by the style's label field), in reading order.
    pub labels: LabelSet,
    /// Each feature's id and box in the map CRS, in reading (fid) order:
    /// what identify and selection index.
    pub envelopes: Vec<(i64, Rect<f64>)>,
    /// The grid the chunks are binned by.
    pub grid: Option<Grid>,
    /// How its selected features are drawn.
    pub highlight: HighlightLook,
}

impl LayerMesh {
    pub fn gpu_bytes(&self) -> usize {
        self.chunks.iter().map(Chunk::gpu_bytes).sum()
    }
}

/// Reads, reprojects to `map_crs`, styles and tessellates a whole layer
/// (a layer without a CRS is drawn untransformed, in its own units).
/// Advances `progress` by one per feature and stops with
/// [`RenderError::Cancelled`] when it is cancelled.
pub fn load_layer(
    gpkg: &GeoPackage,
    info: &LayerInfo,
    style: &LayerStyle,
    map_crs: &Crs,
    progress: &Progress,
) -> Result<LayerMesh, RenderError> {
    let transformer = transformer(info, map_crs)?;
    let count = gpkg.count_features(&info.name, None)?;
    let grid = Grid::new(map_extent(gpkg, info, &transformer)?, count);
    let classifier = style.classifier(&info.name, &info.schema)?;
    let paint_of = |values: &[crate::model::FieldValue]| FeaturePaint {
        color: classifier.color(values),
        fill: style.fill,
        outline: style.outline,
    };

    // A label field the layer lacks (a style made for another copy of
    // it) labels nothing; the colours are what must not be wrong.
    let label_index = style
        .label_field
        .as_deref()
        .and_then(|f| info.schema.field_index(f));
    let (tx, rx) = sync_channel::<Vec<Styled>>(4);
    let (chunks, found) = std::thread::scope(|s| {
        // Envelopes and label points are worked out beside the
        // tessellation, so the reading thread (the busier) only reads.
        let tessellator = s.spawn(move || {
            let mut bins = Bins::new(grid);
            let mut found = Found::default();
            for batch in rx {
                for f in batch {
                    let Some(b) = crate::gpkg::geom::bounds(&f.geometry) else {
                        continue;
                    };
                    found.envelopes.push((f.fid, b));
                    if let Some(label) = f
                        .label
                        .and_then(|t| LabelSource::within(f.fid, t, &f.geometry, b))
                    {
                        found.labels.push(label);
                    }
                    bins.add(f.fid, &f.geometry, &f.paint);
                }
            }
            (bins.finish(), found)
        });
        let read = read_styled(
            gpkg,
            info,
            &transformer,
            progress,
            paint_of,
            label_index,
            |batch| {
                // The tessellator only hangs up by panicking; join reports it.
                let _ = tx.send(batch);
            },
        );
        drop(tx);
        let done = tessellator
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        read.map(|()| done)
    })?;
    let mut mesh = mesh(info, style, chunks);
    mesh.labels = LabelSet::new(found.labels);
    mesh.envelopes = found.envelopes;
    mesh.grid = Some(grid);
    Ok(mesh)
}

/// Ends the name of a layer's selection mesh.
pub const SELECTION_SUFFIX: &str = " (selection)";

/// The selected features of a layer, tessellated in the highlight style,
/// to draw over everything else.
pub fn load_selection(
    gpkg: &GeoPackage,
    info: &LayerInfo,
    fids: &[i64],
    map_crs: &Crs,
) -> Result<LayerMesh, RenderError> {
    let style = LayerStyle::highlight();
    let transformer = transformer(info, map_crs)?;
    // The highlight is one colour whatever the feature's values.
    let paint = FeaturePaint {
        color: style.classifier(&info.name, &info.schema)?.color(&[]),
        fill: style.fill,
        outline: style.outline,
    };
    let mut builder: Option<ChunkBuilder> = None;
    let mut scratch = Vec::new();
    for &fid in fids {
        let Some(mut g) = gpkg.get_feature(&info.name, fid)?.and_then(|f| f.geometry) else {
            continue;
        };
        reproject(&mut g, &transformer, &mut scratch).map_err(|source| RenderError::Crs {
            layer: info.name.clone(),
            source,
        })?;
        let Some(b) = crate::gpkg::geom::bounds(&g) else {
            continue;
        };
        builder
            .get_or_insert_with(|| ChunkBuilder::new([b.min().x, b.min().y]))
            .add(fid, &g, &paint);
    }
    let chunks = builder.map(ChunkBuilder::finish).into_iter().collect();
    let mut mesh = mesh(info, &style, chunks);
    mesh.name = format!("{}{SELECTION_SUFFIX}", info.name);
    Ok(mesh)
}

fn mesh(info: &LayerInfo, style: &LayerStyle, chunks: Vec<Chunk>) -> LayerMesh {
    let extent = chunks
        .iter()
        .filter_map(|c| c.bbox)
        .reduce(|a, b| crate::gpkg::geom::union(Some(a), b));
    LayerMesh {
        name: info.name.clone(),
        params: DrawParams::new(style, info.schema.geometry_type),
        features: chunks.iter().map(|c| u64::from(c.features)).sum(),
        chunks,
        extent,
        labels: LabelSet::default(),
        envelopes: Vec::new(),
        grid: None,
        highlight: HighlightLook::new(info.schema.geometry_type),
    }
}

fn transformer(info: &LayerInfo, map_crs: &Crs) -> Result<Transformer, RenderError> {
    Transformer::between(&info.crs, map_crs).map_err(|source| RenderError::Crs {
        layer: info.name.clone(),
        source,
    })
}

/// One feature on its way to the tessellator, in the map CRS.
struct Styled {
    fid: i64,
    geometry: Geometry<f64>,
    paint: FeaturePaint,
    /// The label field's text.
    label: Option<String>,
}

/// What a layer gives besides its chunks: envelopes and labels.
#[derive(Default)]
struct Found {
    labels: Vec<LabelSource>,
    envelopes: Vec<(i64, Rect<f64>)>,
}

/// Streams the layer's features, in the map CRS and with their paint, to
/// `send` in batches.
fn read_styled(
    gpkg: &GeoPackage,
    info: &LayerInfo,
    transformer: &Transformer,
    progress: &Progress,
    paint_of: impl Fn(&[crate::model::FieldValue]) -> FeaturePaint,
    label_index: Option<usize>,
    mut send: impl FnMut(Vec<Styled>),
) -> Result<(), RenderError> {
    let mut batch = Vec::with_capacity(BATCH);
    let mut scratch = Vec::new();
    let mut failure = None;
    gpkg.read_features(&info.name, &Query::default(), |f| {
        if progress.is_cancelled() {
            failure = Some(RenderError::Cancelled);
            return ControlFlow::Break(());
        }
        progress.advance(1);
        let Some(mut g) = f.geometry else {
            return ControlFlow::Continue(());
        };
        if let Err(source) = reproject(&mut g, transformer, &mut scratch) {
            failure = Some(RenderError::Crs {
                layer: info.name.clone(),
                source,
            });
            return ControlFlow::Break(());
        }
        batch.push(Styled {
            fid: f.fid.unwrap_or(0),
            paint: paint_of(&f.values),
            label: label_index.map(|i| f.values[i].to_string()),
            geometry: g,
        });
        if batch.len() == BATCH {
            send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
        }
        ControlFlow::Continue(())
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    if !batch.is_empty() {
        send(batch);
    }
    Ok(())
}

/// The layer's extent in the map CRS: its recorded (or computed) extent,
/// reprojected through a 5 x 5 grid of points so a curved edge in the map
/// CRS still lies inside. Only used to choose bins, so close is enough.
fn map_extent(
    gpkg: &GeoPackage,
    info: &LayerInfo,
    t: &Transformer,
) -> Result<Option<Rect<f64>>, RenderError> {
    let Some(e) = info.extent.or(gpkg.compute_extent(info)?) else {
        return Ok(None);
    };
    let (minx, maxx, miny, maxy) = (e.min().x, e.max().x, e.min().y, e.max().y);
    let mut out: Option<Rect<f64>> = None;
    for i in 0..5 {
        for j in 0..5 {
            let c = Coord {
                x: minx + (maxx - minx) * f64::from(i) / 4.0,
                y: miny + (maxy - miny) * f64::from(j) / 4.0,
            };
            let Ok(p) = t.transform(c) else { continue };
            out = Some(crate::gpkg::geom::union(out, Rect::new(p, p)));
        }
    }
    Ok(out)
}

/// A square-celled grid over the layer's extent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    extent: Option<Rect<f64>>,
    n: usize,
}

impl Grid {
    fn new(extent: Option<Rect<f64>>, features: u64) -> Self {
        let n = ((features as f64 / FEATURES_PER_CELL as f64).sqrt().ceil() as usize).clamp(1, 32);
        Grid { extent, n }
    }

    /// The cell a feature with map box `b` is binned in.
    pub fn cell_of(&self, b: Rect<f64>) -> u32 {
        self.cell([b.center().x, b.center().y]).0 as u32
    }

    /// The cell of a point (points outside the extent go to the nearest
    /// edge cell) and that cell's centre.
    fn cell(&self, p: [f64; 2]) -> (usize, [f64; 2]) {
        let Some(e) = self.extent else {
            return (0, p);
        };
        let n = self.n;
        let lo = e.min();
        let w = (e.width() / n as f64).max(1e-9);
        let h = (e.height() / n as f64).max(1e-9);
        let i = (((p[0] - lo.x) / w).floor().max(0.0) as usize).min(n - 1);
        let j = (((p[1] - lo.y) / h).floor().max(0.0) as usize).min(n - 1);
        (
            j * n + i,
            [lo.x + (i as f64 + 0.5) * w, lo.y + (j as f64 + 0.5) * h],
        )
    }
}

/// One open chunk per grid cell; full chunks are set aside.
struct Bins {
    grid: Grid,
    open: Vec<Option<ChunkBuilder>>,
    done: Vec<Chunk>,
}

impl Bins {
    fn new(grid: Grid) -> Self {
        Bins {
            grid,
            open: (0..grid.n * grid.n).map(|_| None).collect(),
            done: Vec::new(),
        }
    }

    fn add(&mut self, fid: i64, g: &Geometry<f64>, paint: &FeaturePaint) {
        let Some(b) = crate::gpkg::geom::bounds(g) else {
            return;
        };
        let (cell, centre) = self.grid.cell([b.center().x, b.center().y]);
        let builder = self.open[cell].get_or_insert_with(|| {
            let mut b = ChunkBuilder::new(centre);
            b.set_cell(cell as u32);
            b
        });
        builder.add(fid, g, paint);
        if builder.features() >= CHUNK_FEATURES
            && let Some(full) = self.open[cell].take()
        {
            self.done.push(full.finish());
        }
    }

    fn finish(mut self) -> Vec<Chunk> {
        for b in self.open.into_iter().flatten() {
            self.done.push(b.finish());
        }
        self.done.retain(|c| !c.is_empty());
        self.done
    }
}

/// Tessellates again the chunks of grid cells `cells` of a layer: the
/// features binned there are read through the R-tree (the cells' box, not
/// the layer) — what an edit redraws on the GPU.
pub fn load_cells(
    gpkg: &GeoPackage,
    info: &LayerInfo,
    style: &LayerStyle,
    map_crs: &Crs,
    grid: Grid,
    cells: &[u32],
    boxes: Rect<f64>,
) -> Result<Vec<Chunk>, RenderError> {
    let transformer = transformer(info, map_crs)?;
    let back = Transformer::between(map_crs, &info.crs).map_err(|source| RenderError::Crs {
        layer: info.name.clone(),
        source,
    })?;
    let classifier = style.classifier(&info.name, &info.schema)?;
    // A feature in a cell meets the cell's box; the cells' box is widened
    // by the edited features' boxes (their centre is in a cell, their shape
    // may reach out of it).
    let Some(e) = grid.extent else {
        return Ok(vec![]);
    };
    let n = grid.n;
    let (w, h) = (e.width() / n as f64, e.height() / n as f64);
    let mut area = boxes;
    for &c in cells {
        let (i, j) = (c as usize % n, c as usize / n);
        let lo = (e.min().x + i as f64 * w, e.min().y + j as f64 * h);
        area = crate::gpkg::geom::union(Some(area), Rect::new(lo, (lo.0 + w, lo.1 + h)));
    }
    let mut corners = None;
    for c in [
        area.min(),
        area.max(),
        Coord {
            x: area.min().x,
            y: area.max().y,
        },
        Coord {
            x: area.max().x,
            y: area.min().y,
        },
    ] {
        let p = back.transform(c).map_err(|source| RenderError::Crs {
            layer: info.name.clone(),
            source,
        })?;
        corners = Some(crate::gpkg::geom::union(corners, Rect::new(p, p)));
    }
    let query = Query {
        bbox: corners,
        ..Query::default()
    };
    let mut bins = Bins::new(grid);
    let mut scratch = Vec::new();
    let mut failure = None;
    gpkg.read_features(&info.name, &query, |f| {
        let Some(mut g) = f.geometry else {
            return ControlFlow::Continue(());
        };
        if let Err(source) = reproject(&mut g, &transformer, &mut scratch) {
            failure = Some(RenderError::Crs {
                layer: info.name.clone(),
                source,
            });
            return ControlFlow::Break(());
        }
        if let Some(b) = crate::gpkg::geom::bounds(&g)
            && cells.contains(&grid.cell_of(b))
        {
            let paint = FeaturePaint {
                color: classifier.color(&f.values),
                fill: style.fill,
                outline: style.outline,
            };
            bins.add(f.fid.unwrap_or(0), &g, &paint);
        }
        ControlFlow::Continue(())
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(bins.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_cells_cover_the_extent_and_clamp_outside_points() {
        let g = Grid::new(
            Some(Rect::new((0.0, 0.0), (100.0, 100.0))),
            4 * FEATURES_PER_CELL,
        );
        assert_eq!(g.n, 2);
        assert_eq!(g.cell([10.0, 10.0]), (0, [25.0, 25.0]));
        assert_eq!(g.cell([60.0, 10.0]), (1, [75.0, 25.0]));
        assert_eq!(g.cell([60.0, 60.0]), (3, [75.0, 75.0]));
        assert_eq!(g.cell([-5.0, 500.0]).0, 2);
    }
}
