//! The map panel of the window: layers prepared off the UI thread into
//! triangles, outlines and points in map coordinates, drawn each frame with
//! egui's painter after culling to the view.

use std::ops::ControlFlow;

use egui::epaint::{Mesh, Vertex, WHITE_UV};
use egui::{Color32, Pos2, Rect, Shape, Stroke};
use geo::TriangulateEarcut;
use geo_types::{Geometry, LineString, Polygon};

use crate::crs::Crs;
use crate::gpkg::{GeoPackage, LayerInfo, Query};
use crate::jobs::{Cancelled, Progress};
use crate::model::LayerTheme;
use crate::render::labels::{LabelSet, LabelSource, Screen, place};
use crate::ui::jobs::JobError;

/// One feature ready for the painter (when there is no GPU renderer), in
/// map coordinates.
struct Item {
    fid: i64,
    bbox: Bbox,
    color: Color32,
    /// Triangles of the fill: vertices (x, y) and index triples.
    fill: Option<(Vec<[f64; 2]>, Vec<u32>)>,
    /// Outlines and lines.
    lines: Vec<Vec<[f64; 2]>>,
    points: Vec<[f64; 2]>,
}

pub struct MapLayer {
    /// Place in the workspace's draw order (0 is drawn first).
    pub position: usize,
    pub info: LayerInfo,
    pub count: u64,
    pub visible: bool,
    /// Boundary layers drawn above others show their outlines only.
    pub outline_only: bool,
    /// 0 (invisible) to 1 (opaque).
    pub opacity: f32,
    /// Feature envelopes in map coordinates, for identify and selection.
    /// Shared with the identify and selection jobs.
    pub index: std::sync::Arc<crate::index::LayerIndex>,
    /// How the layer is drawn, its label field included.
    pub style: crate::render::LayerStyle,
    /// Each feature's id and map envelope, in fid order.
    envelopes: Vec<(i64, Bbox)>,
    /// The features' labels by the style's label field, in map coordinates.
    labels: LabelSet,
    /// What the painter draws; empty when the GPU renderer draws the layer.
    items: Vec<Item>,
    /// Why the layer is drawn without reprojection (it has no CRS), shown
    /// beside it in the layer tree.
    pub crs_warning: Option<String>,
}

pub struct Scene {
    /// In draw order: the first is drawn first (at the bottom).
    pub layers: Vec<MapLayer>,
    /// The box of all layers, in map coordinates.
    pub extent: Option<Bbox>,
    /// The map CRS every layer was reprojected to.
    pub map_crs: Crs,
    /// Visibility and opacity the user gave each layer before a reload.
    pub previous: std::collections::HashMap<String, (bool, f32)>,
}

impl Scene {
    pub fn new(map_crs: Crs) -> Self {
        Scene {
            layers: Vec::new(),
            extent: None,
            map_crs,
            previous: Default::default(),
        }
    }

    /// Puts a reloaded layer where the old one of the same name was, with
    /// the old one's visibility (its opacity is its new style's); a new
    /// layer goes by position.
    pub fn insert_or_replace(&mut self, mut layer: MapLayer) {
        let Some(k) = self
            .layers
            .iter()
            .position(|l| l.info.name == layer.info.name)
        else {
            return self.insert(layer);
        };
        let old = &self.layers[k];
        (layer.position, layer.visible) = (old.position, old.visible);
        self.layers[k] = layer;
        self.extent = self
            .layers
            .iter()
            .filter_map(MapLayer::extent)
            .reduce(|a, b| union_box(Some(a), b));
    }

    /// Puts a newly loaded layer in its place in the draw order.
    pub fn insert(&mut self, layer: MapLayer) {
        if let Some(e) = layer.extent() {
            self.extent = Some(union_box(self.extent, e));
        }
        let at = self.layers.partition_point(|l| l.position < layer.position);
        self.layers.insert(at, layer);
    }
}

impl MapLayer {
    /// The box of the layer in map coordinates.
    pub fn extent(&self) -> Option<Bbox> {
        self.envelopes
            .iter()
            .fold(None, |a, (_, b)| Some(union_box(a, *b)))
    }

    /// The features' labels (by the style's label field), as the map
    /// places them.
    pub fn labels(&self) -> &LabelSet {
        &self.labels
    }

    /// The map envelope of one feature. Envelopes are in fid order (as
    /// the table is read), so this is a binary search.
    pub fn bbox_of(&self, fid: i64) -> Option<Bbox> {
        match self.envelopes.binary_search_by_key(&fid, |e| e.0) {
            Ok(k) => Some(self.envelopes[k].1),
            Err(_) => self.envelopes.iter().find(|e| e.0 == fid).map(|e| e.1),
        }
    }
}

impl MapLayer {
    /// Redraws only the features an edit touched: the drawing, envelope
    /// and index entry of every `removed` fid go, and `features` (new or
    /// changed, in map coordinates) are drawn instead. The layer is not
    /// read again. `on_gpu`: the renderer draws the layer, so no painter
    /// shapes are made. Returns the map boxes of the old and new shapes
    /// (where the GPU chunks must be rebuilt). The features' labels are
    /// replaced too, from `features`, on either path.
    pub fn patch(
        &mut self,
        removed: &[i64],
        features: &[crate::model::Feature],
        on_gpu: bool,
    ) -> Result<Vec<Bbox>, JobError> {
        let classifier = self.style.classifier(&self.info.name, &self.info.schema)?;
        let index = std::sync::Arc::make_mut(&mut self.index);
        let mut old_boxes = Vec::with_capacity(removed.len());
        for fid in removed {
            if let Ok(k) = self.envelopes.binary_search_by_key(fid, |e| e.0) {
                let (_, b) = self.envelopes.remove(k);
                index.remove(*fid, b);
                old_boxes.push(b);
            }
        }
        if !on_gpu {
            self.items.retain(|i| !removed.contains(&i.fid));
        }
        let mut boxes = old_boxes;
        let label_index = self
            .style
            .label_field
            .as_deref()
            .and_then(|f| self.info.schema.field_index(f));
        let mut labels = Vec::new();
        for f in features {
            let (Some(fid), Some(g)) = (f.fid, &f.geometry) else {
                continue;
            };
            let Some(bbox) = crate::gpkg::geom::bounds(g) else {
                continue;
            };
            let k = self.envelopes.partition_point(|e| e.0 < fid);
            self.envelopes.insert(k, (fid, bbox));
            index.insert(fid, bbox);
            boxes.push(bbox);
            let text = label_index
                .and_then(|i| f.values.get(i))
                .map(|v| v.to_string());
            labels.extend(text.and_then(|t| LabelSource::within(fid, t, g, bbox)));
            if !on_gpu {
                let c = classifier.color(&f.values);
                let mut item = Item {
                    fid,
                    bbox,
                    color: Color32::from_rgba_unmultiplied(c[0], c[1], c[2], c[3]),
                    fill: None,
                    lines: vec![],
                    points: vec![],
                };
                prepare_geometry(&mut item, g);
                self.items.push(item);
            }
        }
        self.labels.patch(removed, labels);
        self.count = self.envelopes.len() as u64;
        Ok(boxes)
    }
}

fn ring(l: &LineString<f64>) -> Vec<[f64; 2]> {
    l.0.iter().map(|c| [c.x, c.y]).collect()
}

fn add_polygon(item: &mut Item, p: &Polygon<f64>) {
    item.lines.push(ring(p.exterior()));
    item.lines.extend(p.interiors().iter().map(ring));
    let tri = p.earcut_triangles_raw();
    let fill = item.fill.get_or_insert_with(|| (Vec::new(), Vec::new()));
    let base = fill.0.len() as u32;
    fill.0.extend(tri.vertices.iter().copied());
    fill.1
        .extend(tri.triangle_indices.iter().map(|i| base + *i as u32));
}

/// Outlines, points and fill triangles of a geometry.
fn prepare_geometry(item: &mut Item, g: &Geometry<f64>) {
    match g {
        Geometry::Point(p) => item.points.push([p.x(), p.y()]),
        Geometry::MultiPoint(m) => item.points.extend(m.0.iter().map(|p| [p.x(), p.y()])),
        Geometry::LineString(l) => item.lines.push(ring(l)),
        Geometry::MultiLineString(m) => item.lines.extend(m.0.iter().map(ring)),
        Geometry::Polygon(p) => add_polygon(item, p),
        Geometry::MultiPolygon(m) => m.0.iter().for_each(|p| add_polygon(item, p)),
        Geometry::GeometryCollection(c) => c.0.iter().for_each(|g| prepare_geometry(item, g)),
        other => prepare_geometry(
            item,
            &Geometry::Polygon(geo::BoundingRect::bounding_rect(other).map_or_else(
                || Polygon::new(LineString(vec![]), vec![]),
                |r| r.to_polygon(),
            )),
        ),
    }
}

/// Styles chosen by the user in the style editor, by layer name.
pub type StyleChoices = std::collections::HashMap<String, crate::render::LayerStyle>;

/// A box in map coordinates (egui's `Rect` is the screen's).
pub type Bbox = geo_types::Rect<f64>;

/// The union of two boxes (map coordinates).
pub fn union_box(a: Option<Bbox>, b: Bbox) -> Bbox {
    crate::gpkg::geom::union(a, b)
}

/// Label fields chosen by the user, by layer name (None: no labels).
pub type LabelChoices = std::collections::HashMap<String, Option<String>>;

/// One layer ready to show, sent by [`load_scene`] as soon as it is.
pub struct Loaded {
    pub layer: MapLayer,
    pub gpu: Option<crate::render::GpuLayer>,
    /// The map CRS it was drawn in (chosen by [`load_scene`] when asked).
    pub map_crs: Crs,
}

/// What to load: which workspace, in which map CRS, with the user's label
/// fields and styles; one layer only, or all of them.
pub struct SceneRequest {
    pub path: std::path::PathBuf,
    pub map_crs: Crs,
    /// Choose the map CRS for the data instead, preferring this one when
    /// the data lies within its area of use (see [`crate::render::map_crs`]).
    pub choose_crs: Option<Crs>,
    pub labels: LabelChoices,
    pub styles: StyleChoices,
    /// These layers only; None: every layer.
    pub only: Option<Vec<String>>,
}

/// Reads every layer of a workspace once, reprojected to the map CRS, with
/// its envelopes (for identify and selection) and labels (run in a job).
/// With a GPU device each layer is tessellated for the wgpu renderer and
/// uploaded here, off the UI thread; without one the painter's shapes are
/// prepared instead.
///
/// Layers go to `send` one by one, smallest first, so the map shows its
/// boundaries, roads and points within a second while a million parcels
/// are still being tessellated.
pub fn load_scene(
    request: &SceneRequest,
    gpu: Option<&eframe::wgpu::Device>,
    progress: &Progress,
    send: &dyn Fn(Loaded),
) -> Result<Result<(), Cancelled>, JobError> {
    let SceneRequest {
        path,
        map_crs,
        choose_crs,
        labels,
        styles,
        only,
    } = request;
    let gpkg = GeoPackage::open_read_only(path)?;
    let infos = gpkg.layers()?;
    let map_crs = &match choose_crs {
        Some(preferred) => crate::render::map_crs::choose(&gpkg, &infos, preferred),
        None => map_crs.clone(),
    };
    // Positions count in the whole workspace even when one layer reloads.
    let wanted = |i: usize| {
        only.as_ref()
            .is_none_or(|names| names.contains(&infos[i].name))
    };
    let mut counts = vec![0; infos.len()];
    for (i, info) in infos.iter().enumerate().filter(|(i, _)| wanted(*i)) {
        counts[i] = gpkg.count_features(&info.name, None)?;
    }
    let total: u64 = counts.iter().sum();
    let mut order: Vec<usize> = (0..infos.len()).filter(|&i| wanted(i)).collect();
    order.sort_by_key(|&i| counts[i]);
    progress.set_total(total);
    // A layer that cannot be read is reported once the others are loaded.
    let mut failed = Vec::new();
    for position in order {
        let info = infos[position].clone();
        let bottom = position == 0;
        // The user's style of this session, else the one stored in the
        // workspace, else the default look: one set of colours for both paths.
        let mut style = styles
            .get(&info.name)
            .cloned()
            .unwrap_or_else(|| crate::render::qml::stored_or_default(&gpkg, &info, bottom));
        if let Some(choice) = labels.get(&info.name) {
            style.label_field = choice.clone();
        }
        // With a GPU the renderer's single pass over the layer gives the
        // envelopes and labels too; the painter needs its own shapes.
        let (gpu_layer, envelopes, layer_labels, items) = match gpu {
            Some(device) => {
                let mut mesh = match crate::render::load::load_layer(
                    &gpkg, &info, &style, map_crs, progress,
                ) {
                    Ok(mesh) => mesh,
                    Err(crate::render::RenderError::Cancelled) => return Ok(Err(Cancelled)),
                    // The renderer's errors name the layer already.
                    Err(e) => {
                        failed.push(JobError::Render(e));
                        continue;
                    }
                };
                let envelopes = std::mem::take(&mut mesh.envelopes);
                let layer_labels = std::mem::take(&mut mesh.labels);
                let uploaded = crate::render::GpuLayer::upload(device, &mesh);
                (Some(uploaded), envelopes, layer_labels, Vec::new())
            }
            None => match painter_items(&gpkg, &info, &style, map_crs, progress) {
                Ok(Ok((items, envelopes, layer_labels))) => (None, envelopes, layer_labels, items),
                Ok(Err(Cancelled)) => return Ok(Err(Cancelled)),
                Err(e) => {
                    failed.push(e);
                    continue;
                }
            },
        };
        // Administrative boundaries over other layers must not hide them.
        let outline_only = info.meta.theme == Some(LayerTheme::Base) && !bottom;
        let index = std::sync::Arc::new(crate::index::LayerIndex::build(envelopes.iter().copied()));
        let crs_warning = crate::render::map_crs::crs_warning(&info, map_crs);
        let layer = MapLayer {
            crs_warning,
            position,
            info,
            count: envelopes.len() as u64,
            visible: true,
            outline_only,
            opacity: style.opacity,
            index,
            style,
            envelopes,
            labels: layer_labels,
            items,
        };
        send(Loaded {
            layer,
            gpu: gpu_layer,
            map_crs: map_crs.clone(),
        });
    }
    if failed.is_empty() {
        Ok(Ok(()))
    } else {
        Err(JobError::Layers(failed))
    }
}

/// What one layer gives the painter: its items, envelopes and labels.
type PainterLayer = (Vec<Item>, Vec<(i64, Bbox)>, LabelSet);

/// Reads a layer into the painter's items (fill triangles, outlines,
/// points), reprojected to the map CRS and coloured by its style.
fn painter_items(
    gpkg: &GeoPackage,
    info: &LayerInfo,
    style: &crate::render::LayerStyle,
    map_crs: &Crs,
    progress: &Progress,
) -> Result<Result<PainterLayer, Cancelled>, JobError> {
    let transformer =
        crate::crs::Transformer::between(&info.crs, map_crs).map_err(|source| JobError::Crs {
            layer: info.name.clone(),
            source,
        })?;
    let classifier = style.classifier(&info.name, &info.schema)?;
    let label_index = style
        .label_field
        .as_deref()
        .and_then(|f| info.schema.field_index(f));
    let (mut items, mut envelopes, mut labels) = (Vec::new(), Vec::new(), Vec::new());
    let mut cancelled = false;
    let mut bad = None;
    gpkg.read_features(&info.name, &Query::default(), |mut f| {
        if progress.is_cancelled() {
            cancelled = true;
            return ControlFlow::Break(());
        }
        progress.advance(1);
        let c = classifier.color(&f.values);
        let color = Color32::from_rgba_unmultiplied(c[0], c[1], c[2], c[3]);
        let fid = f.fid.unwrap_or(0);
        let Some(g) = &mut f.geometry else {
            return ControlFlow::Continue(());
        };
        if let Err(source) = transformer.transform_geometry(g) {
            bad = Some(JobError::Reproject {
                layer: info.name.clone(),
                fid,
                source,
            });
            return ControlFlow::Break(());
        }
        let Some(bbox) = crate::gpkg::geom::bounds(g) else {
            return ControlFlow::Continue(());
        };
        envelopes.push((fid, bbox));
        if let Some(label) =
            label_index.and_then(|i| LabelSource::of(fid, f.values[i].to_string(), g))
        {
            labels.push(label);
        }
        let mut item = Item {
            fid,
            bbox,
            color,
            fill: None,
            lines: vec![],
            points: vec![],
        };
        prepare_geometry(&mut item, g);
        items.push(item);
        ControlFlow::Continue(())
    })?;
    if cancelled {
        return Ok(Err(Cancelled));
    }
    if let Some(e) = bad {
        return Err(e);
    }
    Ok(Ok((items, envelopes, LabelSet::new(labels))))
}

/// Labels, placed by the renderer's rules (`render::labels::place`: top
/// layer first, areas before points, none overlapping) and drawn with
/// egui's text and a white halo.
fn paint_labels(painter: &egui::Painter, rect: Rect, view: &View, scene: &Scene) {
    let font = egui::FontId::proportional(12.0);
    let ink = Color32::from_gray(20);
    let layers: Vec<&LabelSet> = scene
        .layers
        .iter()
        .rev()
        .filter(|l| l.visible && l.style.label_field.is_some())
        .map(|l| &l.labels)
        .collect();
    let screen = Screen {
        centre: view.centre,
        resolution: view.resolution,
        size: [rect.width(), rect.height()],
    };
    let placed = place(&layers, screen, |text| {
        let size = painter
            .layout_no_wrap(text.to_string(), font.clone(), ink)
            .size();
        [size.x, size.y]
    });
    for label in placed {
        let anchor = rect.min + egui::vec2(label.top_left[0], label.top_left[1]);
        for d in [
            egui::vec2(-1.0, 0.0),
            egui::vec2(1.0, 0.0),
            egui::vec2(0.0, -1.0),
            egui::vec2(0.0, 1.0),
        ] {
            painter.text(
                anchor + d,
                egui::Align2::LEFT_TOP,
                label.text,
                font.clone(),
                Color32::WHITE,
            );
        }
        painter.text(
            anchor,
            egui::Align2::LEFT_TOP,
            label.text,
            font.clone(),
            ink,
        );
    }
}

/// What part of the map the panel shows: the renderer's view, in screen
/// points rather than pixels (the GPU callback converts).
pub use crate::render::View;

/// The view on the screen: the map panel's `rect` is where it is drawn.
pub trait ScreenView {
    /// The view that shows all of `extent` in `rect`, with a small margin.
    fn fit_screen(extent: Bbox, rect: Rect) -> View;
    fn to_screen(&self, rect: Rect, p: [f64; 2]) -> Pos2;
    fn screen_to_map(&self, rect: Rect, p: Pos2) -> [f64; 2];
    /// The map box the panel shows.
    fn screen_bounds(&self, rect: Rect) -> Bbox;
    /// Zooms by `factor` keeping the map point under `anchor` in place.
    fn zoom_at(&mut self, rect: Rect, anchor: Pos2, factor: f64);
}

impl ScreenView for View {
    fn fit_screen(extent: Bbox, rect: Rect) -> View {
        let (w, h) = (extent.width(), extent.height());
        let resolution = (w / rect.width() as f64)
            .max(h / rect.height() as f64)
            .max(1e-9)
            * 1.05;
        View {
            centre: [extent.center().x, extent.center().y],
            resolution,
            width: rect.width().round() as u32,
            height: rect.height().round() as u32,
        }
    }

    fn to_screen(&self, rect: Rect, p: [f64; 2]) -> Pos2 {
        let c = rect.center();
        Pos2::new(
            c.x + ((p[0] - self.centre[0]) / self.resolution) as f32,
            c.y - ((p[1] - self.centre[1]) / self.resolution) as f32,
        )
    }

    fn screen_to_map(&self, rect: Rect, p: Pos2) -> [f64; 2] {
        let c = rect.center();
        [
            self.centre[0] + f64::from(p.x - c.x) * self.resolution,
            self.centre[1] - f64::from(p.y - c.y) * self.resolution,
        ]
    }

    fn screen_bounds(&self, rect: Rect) -> Bbox {
        let (a, b) = (
            self.screen_to_map(rect, rect.left_bottom()),
            self.screen_to_map(rect, rect.right_top()),
        );
        Bbox::new((a[0], a[1]), (b[0], b[1]))
    }

    fn zoom_at(&mut self, rect: Rect, anchor: Pos2, factor: f64) {
        let before = self.screen_to_map(rect, anchor);
        self.resolution = (self.resolution / factor).clamp(0.001, 100_000.0);
        let after = self.screen_to_map(rect, anchor);
        self.centre[0] += before[0] - after[0];
        self.centre[1] += before[1] - after[1];
    }
}

/// Selected fids per layer name.
pub type Selection = std::collections::HashMap<String, std::collections::BTreeSet<i64>>;

/// Draws the visible layers, in draw order, culled to the view, then the
/// selected features on top. Features smaller than a point are drawn as a
/// dot of their colour.
pub fn paint(
    painter: &egui::Painter,
    rect: Rect,
    view: &View,
    scene: &Scene,
    selection: &Selection,
    layers_on_gpu: bool,
) {
    let b = view.screen_bounds(rect);
    let outline = Stroke::new(0.6, Color32::from_gray(110));
    let painted = scene
        .layers
        .iter()
        .filter(|l| !layers_on_gpu && l.visible && l.opacity > 0.0);
    for layer in painted {
        let mut faded = painter.clone();
        faded.multiply_opacity(layer.opacity);
        let painter = &faded;
        let mut mesh = Mesh::default();
        let mut shapes = Vec::new();
        let is_line_layer = layer
            .items
            .iter()
            .all(|i| i.fill.is_none() && i.points.is_empty());
        for item in &layer.items {
            let ib = item.bbox;
            if !crate::gpkg::geom::boxes_meet(ib, b) {
                continue;
            }
            let size = (ib.width().max(ib.height()) / view.resolution) as f32;
            if layer.outline_only && item.fill.is_some() {
                for line in &item.lines {
                    shapes.push(Shape::line(
                        line.iter().map(|p| view.to_screen(rect, *p)).collect(),
                        Stroke::new(1.6, Color32::from_rgb(120, 60, 120)),
                    ));
                }
            } else if let Some((verts, idx)) = &item.fill {
                if size < 1.5 {
                    shapes.push(Shape::circle_filled(
                        view.to_screen(rect, [ib.center().x, ib.center().y]),
                        0.8,
                        item.color,
                    ));
                    continue;
                }
                let base = mesh.vertices.len() as u32;
                mesh.vertices.extend(verts.iter().map(|v| Vertex {
                    pos: view.to_screen(rect, *v),
                    uv: WHITE_UV,
                    color: item.color,
                }));
                mesh.indices.extend(idx.iter().map(|i| base + i));
                if size > 8.0 {
                    for line in &item.lines {
                        shapes.push(Shape::line(
                            line.iter().map(|p| view.to_screen(rect, *p)).collect(),
                            outline,
                        ));
                    }
                }
            } else if is_line_layer {
                for line in &item.lines {
                    shapes.push(Shape::line(
                        line.iter().map(|p| view.to_screen(rect, *p)).collect(),
                        Stroke::new(1.5, item.color),
                    ));
                }
            }
            for p in &item.points {
                shapes.push(Shape::circle_filled(
                    view.to_screen(rect, *p),
                    3.0,
                    item.color,
                ));
                shapes.push(Shape::circle_stroke(
                    view.to_screen(rect, *p),
                    3.0,
                    Stroke::new(0.5, Color32::from_gray(40)),
                ));
            }
        }
        painter.add(Shape::mesh(mesh));
        painter.extend(shapes);
    }
    paint_labels(painter, rect, view, scene);
    let highlight = Stroke::new(2.5, Color32::from_rgb(255, 230, 0));
    for layer in scene.layers.iter().filter(|l| l.visible) {
        let Some(selected) = selection.get(&layer.info.name).filter(|s| !s.is_empty()) else {
            continue;
        };
        for item in layer.items.iter().filter(|i| selected.contains(&i.fid)) {
            for line in &item.lines {
                painter.add(Shape::line(
                    line.iter().map(|p| view.to_screen(rect, *p)).collect(),
                    highlight,
                ));
            }
            for p in &item.points {
                painter.add(Shape::circle_stroke(
                    view.to_screen(rect, *p),
                    5.0,
                    highlight,
                ));
            }
        }
    }
}

/// A scale bar length of 1, 2 or 5 × 10ⁿ metres close to `target_px` points.
/// The view in the CRS `to` that shows what `view` shows in `from`: the
/// same centre, and the same ground length per screen point along x (so
/// the scale bar reads the same). None when the centre has no place in
/// `to` (the view is then fitted to the data again).
pub fn view_in_crs(view: View, from: &Crs, to: &Crs) -> Option<View> {
    let t = crate::crs::Transformer::between(from, to).ok()?;
    let at = |dx: f64| {
        t.transform(geo_types::Coord {
            x: view.centre[0] + dx,
            y: view.centre[1],
        })
        .ok()
    };
    let (centre, east) = (at(0.0)?, at(100.0 * view.resolution)?);
    let resolution = (east.x - centre.x).hypot(east.y - centre.y) / 100.0;
    (resolution.is_finite() && resolution > 0.0).then_some(View {
        centre: [centre.x, centre.y],
        resolution,
        ..view
    })
}

pub fn scale_bar(resolution: f64, target_px: f64) -> (f64, f32) {
    let raw = resolution * target_px;
    let magnitude = 10f64.powf(raw.log10().floor());
    let nice = [10.0, 5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|v| *v <= raw)
        .unwrap_or(magnitude);
    (nice, (nice / resolution) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_keeps_the_point_under_the_cursor() {
        let rect = Rect::from_min_size(Pos2::ZERO, egui::vec2(800.0, 600.0));
        let mut view = View {
            centre: [400_000.0, 2_350_000.0],
            resolution: 10.0,
            width: 800,
            height: 600,
        };
        let anchor = Pos2::new(100.0, 500.0);
        let before = view.screen_to_map(rect, anchor);
        view.zoom_at(rect, anchor, 2.0);
        let after = view.screen_to_map(rect, anchor);
        assert!((before[0] - after[0]).abs() < 1e-6 && (before[1] - after[1]).abs() < 1e-6);
        assert_eq!(view.resolution, 5.0);
    }

    #[test]
    fn a_view_switched_to_another_crs_shows_the_same_place() {
        let view = View {
            centre: [416_802.265, 2_356_377.900],
            resolution: 10.0,
            width: 800,
            height: 600,
        };
        let wgs = view_in_crs(view, &Crs::Epsg(9214), &Crs::Epsg(4326)).unwrap();
        assert!((wgs.centre[0] - 106.2).abs() < 1e-6 && (wgs.centre[1] - 21.3).abs() < 1e-6);
        // 10 m along x at 21.3° N is 10 / (111 320 cos 21.3°) degrees.
        let expect = 10.0 / (111_320.0 * 21.3f64.to_radians().cos());
        assert!(
            (wgs.resolution / expect - 1.0).abs() < 0.01,
            "{}",
            wgs.resolution
        );
        let back = view_in_crs(wgs, &Crs::Epsg(4326), &Crs::Epsg(9214)).unwrap();
        assert!((back.centre[0] - view.centre[0]).abs() < 0.01);
        assert!((back.resolution / view.resolution - 1.0).abs() < 0.001);
    }

    #[test]
    fn scale_bar_uses_round_lengths() {
        assert_eq!(scale_bar(10.0, 120.0).0, 1000.0);
        assert_eq!(scale_bar(3.0, 120.0).0, 200.0);
    }
}
