//! The map inside the frame: each layer's features in the printed extent,
//! read through the R-tree, coloured by the layer's style, simplified to
//! what the paper can show, as display-list paths.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

use geo::Intersects;
use geo_types::{Coord, Geometry, LineString, Polygon, Rect};

use crate::crs::{Crs, Transformer};
use crate::gpkg::{GeoPackage, LayerInfo, Query};
use crate::jobs::Progress;
use crate::model::FieldValue;
use crate::render::style::{Classifier, Shape};
use crate::render::{LayerStyle, Rgba, Symbology};

use super::layout::Area;
use super::page::{Mm, Page, PathItem};
use super::{PrintError, Result};

/// Millimetres on paper for one screen pixel of a style (line widths,
/// point sizes) on an A4 sheet; larger sheets multiply it by their growth.
pub const PX_MM: f64 = 0.25;

/// The map's place on the sheet: which part of the world, at what scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapView {
    /// The area shown, in the map CRS; its shape is the frame's.
    pub extent: Rect<f64>,
    pub frame: Area,
    /// The scale's denominator (25 000 for 1:25 000).
    pub scale: f64,
}

impl MapView {
    /// Centres `wanted` in `frame` at `scale`, or at the round scale that
    /// shows all of it when `scale` is None.
    pub fn fit(wanted: Rect<f64>, frame: Area, scale: Option<f64>) -> Self {
        let (w, h) = (wanted.width().max(1e-6), wanted.height().max(1e-6));
        let fit = (w / frame.width()).max(h / frame.height()) * 1000.0;
        let scale = scale.unwrap_or_else(|| super::layout::round_scale(fit));
        let half_w = frame.width() * scale / 1000.0 / 2.0;
        let half_h = frame.height() * scale / 1000.0 / 2.0;
        let c = wanted.center();
        MapView {
            extent: Rect::new((c.x - half_w, c.y - half_h), (c.x + half_w, c.y + half_h)),
            frame,
            scale,
        }
    }

    /// Paper millimetres per map unit (metre).
    pub fn mm_per_unit(&self) -> f64 {
        1000.0 / self.scale
    }

    pub fn to_paper(&self, x: f64, y: f64) -> Mm {
        let k = self.mm_per_unit();
        [
            self.frame.min[0] + (x - self.extent.min().x) * k,
            self.frame.min[1] + (self.extent.max().y - y) * k,
        ]
    }
}

/// Which of a style's legend entries the features in view use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Present {
    /// Features in view.
    pub features: u64,
    /// Categorized: the values seen that the style lists.
    pub values: BTreeSet<String>,
    /// Graduated: the classes seen.
    pub classes: BTreeSet<usize>,
    /// Values the style does not list (drawn in its `other` colour).
    pub other: bool,
}

/// What one layer adds to the page, before it is added.
#[derive(Default)]
struct Buckets {
    fills: BTreeMap<Rgba, Vec<Vec<Mm>>>,
    outlines: Vec<Vec<Mm>>,
    lines: BTreeMap<Rgba, Vec<Vec<Mm>>>,
    points: BTreeMap<Rgba, Vec<Vec<Mm>>>,
}

/// Draws one layer's features in `view` onto `page` and says which legend
/// entries they use. `unit` is the sheet's growth (line widths and symbol
/// sizes scale with it).
#[allow(clippy::too_many_arguments)]
pub fn draw_layer(
    gpkg: &GeoPackage,
    info: &LayerInfo,
    style: &LayerStyle,
    map_crs: &Crs,
    view: &MapView,
    simplify_mm: f64,
    unit: f64,
    page: &mut Page,
    progress: &Progress,
) -> Result<Present> {
    let crs_err = |source| PrintError::Crs {
        layer: info.name.clone(),
        source,
    };
    let to_map = Transformer::between(&info.crs, map_crs).map_err(crs_err)?;
    let bbox = layer_box(view.extent, &info.crs, map_crs).map_err(crs_err)?;
    let classifier = style
        .classifier(&info.name, &info.schema)
        .map_err(PrintError::Render)?;
    let field_index = match &style.symbology {
        Symbology::Single(_) => None,
        Symbology::Categorized { field, .. } | Symbology::Graduated { field, .. } => {
            info.schema.field_index(field)
        }
    };
    let px = PX_MM * unit;
    let extent_poly = view.extent.to_polygon();
    let mut present = Present::default();
    let mut buckets = Buckets::default();
    let mut error = None;
    let mut since_check = 0u64;
    gpkg.read_features(
        &info.name,
        &Query {
            bbox: Some(bbox),
            ..Query::default()
        },
        |feature| {
            since_check += 1;
            if since_check >= 256 {
                progress.advance(since_check);
                since_check = 0;
                if progress.is_cancelled() {
                    error = Some(PrintError::Cancelled);
                    return ControlFlow::Break(());
                }
            }
            let Some(mut geometry) = feature.geometry else {
                return ControlFlow::Continue(());
            };
            if !to_map.is_identity() {
                let mut failed = None;
                for_each_coord(&mut geometry, &mut |c| match to_map.transform(*c) {
                    Ok(t) => *c = t,
                    Err(e) => failed = failed.take().or(Some(e)),
                });
                if let Some(e) = failed {
                    error = Some(crs_err(e));
                    return ControlFlow::Break(());
                }
            }
            if !geometry.intersects(&extent_poly) {
                return ControlFlow::Continue(());
            }
            present.features += 1;
            note_class(
                &style.symbology,
                &classifier,
                field_index,
                &feature.values,
                &mut present,
            );
            let color = with_opacity(classifier.color(&feature.values), style.opacity);
            add_geometry(&geometry, color, style, view, simplify_mm, px, &mut buckets);
            ControlFlow::Continue(())
        },
    )?;
    progress.advance(since_check);
    if let Some(e) = error {
        return Err(e);
    }
    emit(buckets, style, px, page);
    Ok(present)
}

/// Calls `f` on every coordinate of `g`, in place.
fn for_each_coord(g: &mut Geometry<f64>, f: &mut dyn FnMut(&mut Coord<f64>)) {
    let line =
        |l: &mut LineString<f64>, f: &mut dyn FnMut(&mut Coord<f64>)| l.0.iter_mut().for_each(f);
    let polygon = |p: &mut Polygon<f64>, f: &mut dyn FnMut(&mut Coord<f64>)| {
        p.exterior_mut(|l| l.0.iter_mut().for_each(&mut *f));
        p.interiors_mut(|rings| {
            rings
                .iter_mut()
                .for_each(|l| l.0.iter_mut().for_each(&mut *f))
        });
    };
    match g {
        Geometry::Point(p) => f(&mut p.0),
        Geometry::MultiPoint(m) => m.0.iter_mut().for_each(|p| f(&mut p.0)),
        Geometry::Line(l) => {
            f(&mut l.start);
            f(&mut l.end);
        }
        Geometry::LineString(l) => line(l, f),
        Geometry::MultiLineString(m) => m.0.iter_mut().for_each(|l| line(l, f)),
        Geometry::Polygon(p) => polygon(p, f),
        Geometry::MultiPolygon(m) => m.0.iter_mut().for_each(|p| polygon(p, f)),
        Geometry::GeometryCollection(c) => c.0.iter_mut().for_each(|g| for_each_coord(g, f)),
        Geometry::Rect(r) => {
            let mut p = r.to_polygon();
            polygon(&mut p, f);
            *g = Geometry::Polygon(p);
        }
        Geometry::Triangle(t) => {
            let mut p = t.to_polygon();
            polygon(&mut p, f);
            *g = Geometry::Polygon(p);
        }
    }
}

/// The printed extent in the layer's CRS (a box around the extent's
/// corners and edge midpoints there), for the R-tree query.
fn layer_box(
    extent: Rect<f64>,
    layer_crs: &Crs,
    map_crs: &Crs,
) -> std::result::Result<Rect<f64>, crate::crs::CrsError> {
    let t = Transformer::between(map_crs, layer_crs)?;
    if t.is_identity() {
        return Ok(extent);
    }
    let (a, b) = (extent.min(), extent.max());
    let mut out: Option<Rect<f64>> = None;
    for fx in [0.0, 0.5, 1.0] {
        for fy in [0.0, 0.5, 1.0] {
            let c = t.transform(Coord {
                x: a.x + (b.x - a.x) * fx,
                y: a.y + (b.y - a.y) * fy,
            })?;
            out = Some(crate::gpkg::geom::union(out, Rect::new(c, c)));
        }
    }
    Ok(out.unwrap_or(extent))
}

/// Notes which legend entry a feature's values fall in, as the
/// classifier decides its colour.
fn note_class(
    symbology: &Symbology,
    classifier: &Classifier,
    index: Option<usize>,
    values: &[FieldValue],
    present: &mut Present,
) {
    let value = index.and_then(|i| values.get(i));
    match (symbology, classifier) {
        (Symbology::Categorized { .. }, Classifier::Categorized { map, .. }) => {
            let key = match value {
                None | Some(FieldValue::Null) => None,
                Some(v) => Some(v.as_str().map_or_else(|| v.to_string(), str::to_string)),
            };
            match key {
                Some(k) if map.contains_key(&k) => {
                    present.values.insert(k);
                }
                _ => present.other = true,
            }
        }
        (Symbology::Graduated { breaks, colors, .. }, _) => {
            match value.and_then(FieldValue::as_f64).filter(|v| v.is_finite()) {
                Some(v) => {
                    let class = breaks.partition_point(|b| *b < v);
                    if class < colors.len() {
                        present.classes.insert(class);
                    } else {
                        present.other = true;
                    }
                }
                None => present.other = true,
            }
        }
        _ => {}
    }
}

fn with_opacity(c: Rgba, opacity: f32) -> Rgba {
    [
        c[0],
        c[1],
        c[2],
        (c[3] as f32 * opacity.clamp(0.0, 1.0)).round() as u8,
    ]
}

fn add_geometry(
    g: &Geometry<f64>,
    color: Rgba,
    style: &LayerStyle,
    view: &MapView,
    tol: f64,
    px: f64,
    out: &mut Buckets,
) {
    match g {
        Geometry::Polygon(p) => add_polygon(p, color, style, view, tol, px, out),
        Geometry::MultiPolygon(m) => {
            for p in &m.0 {
                add_polygon(p, color, style, view, tol, px, out);
            }
        }
        Geometry::Rect(r) => add_polygon(&r.to_polygon(), color, style, view, tol, px, out),
        Geometry::Triangle(t) => add_polygon(&t.to_polygon(), color, style, view, tol, px, out),
        Geometry::LineString(l) => add_line(l, color, view, tol, out),
        Geometry::Line(l) => add_line(
            &LineString::from(vec![l.start, l.end]),
            color,
            view,
            tol,
            out,
        ),
        Geometry::MultiLineString(m) => {
            for l in &m.0 {
                add_line(l, color, view, tol, out);
            }
        }
        Geometry::Point(p) => add_point(p.0, color, style, view, px, out),
        Geometry::MultiPoint(m) => {
            for p in &m.0 {
                add_point(p.0, color, style, view, px, out);
            }
        }
        Geometry::GeometryCollection(c) => {
            for g in &c.0 {
                add_geometry(g, color, style, view, tol, px, out);
            }
        }
    }
}

fn add_polygon(
    p: &Polygon<f64>,
    color: Rgba,
    style: &LayerStyle,
    view: &MapView,
    tol: f64,
    px: f64,
    out: &mut Buckets,
) {
    let Some(exterior) = paper_ring(p.exterior(), view, tol, true) else {
        return;
    };
    let (w, h) = ring_size(&exterior);
    let mut rings = vec![exterior];
    // Holes smaller than the simplification cannot be seen.
    if w > tol && h > tol {
        rings.extend(
            p.interiors()
                .iter()
                .filter_map(|r| paper_ring(r, view, tol, false)),
        );
    }
    let outlined = w.max(h) >= style.outline_min_px as f64 * px;
    let outline = style.outline.or((!style.fill).then_some(color));
    if outline.is_some() && (outlined || !style.fill) {
        out.outlines.extend(rings.iter().cloned());
    }
    if style.fill {
        out.fills.entry(color).or_default().extend(rings);
    }
}

fn add_line(l: &LineString<f64>, color: Rgba, view: &MapView, tol: f64, out: &mut Buckets) {
    let pts: Vec<Mm> = l.0.iter().map(|c| view.to_paper(c.x, c.y)).collect();
    let simplified = simplify(&pts, tol);
    if simplified.len() >= 2 {
        out.lines.entry(color).or_default().push(simplified);
    }
}

fn add_point(
    c: Coord<f64>,
    color: Rgba,
    style: &LayerStyle,
    view: &MapView,
    px: f64,
    out: &mut Buckets,
) {
    let at = view.to_paper(c.x, c.y);
    // Symbols sized for a screen are too heavy on paper at the same size.
    let r = style.point_size_px as f64 * px * 0.45 / 2.0;
    out.points
        .entry(color)
        .or_default()
        .push(symbol(style.point_shape, at, r));
}

/// A point symbol's outline around `at`, radius `r` millimetres.
pub fn symbol(shape: Shape, at: Mm, r: f64) -> Vec<Mm> {
    let polygon = |n: usize, start: f64| -> Vec<Mm> {
        (0..n)
            .map(|i| {
                let a = start + i as f64 * std::f64::consts::TAU / n as f64;
                [at[0] + r * a.cos(), at[1] - r * a.sin()]
            })
            .collect()
    };
    match shape {
        Shape::Circle => polygon(24, 0.0),
        Shape::Square | Shape::Camera => {
            let s = r * 0.85;
            super::page::rect_ring([at[0] - s, at[1] - s], [at[0] + s, at[1] + s])
        }
        Shape::Triangle | Shape::BtsTower => polygon(3, std::f64::consts::FRAC_PI_2),
    }
}

/// A ring in paper millimetres, simplified, wound so the non-zero rule
/// fills exteriors and leaves holes (exteriors clockwise on the y-down
/// sheet, holes the other way). None when nothing is left of it.
fn paper_ring(ring: &LineString<f64>, view: &MapView, tol: f64, exterior: bool) -> Option<Vec<Mm>> {
    let pts: Vec<Mm> = ring.0.iter().map(|c| view.to_paper(c.x, c.y)).collect();
    let mut s = simplify(&pts, tol);
    if s.len() > 1 && s.first() == s.last() {
        s.pop();
    }
    if s.len() < 3 {
        // A polygon smaller than the tolerance stays a speck, not a gap.
        s = pts;
        s.dedup();
        if s.len() > 1 && s.first() == s.last() {
            s.pop();
        }
        if s.len() < 3 {
            return None;
        }
    }
    if (signed_area(&s) > 0.0) != exterior {
        s.reverse();
    }
    Some(s)
}

/// Twice the signed area: positive for clockwise rings on the y-down sheet.
fn signed_area(r: &[Mm]) -> f64 {
    let n = r.len();
    (0..n)
        .map(|i| {
            let (a, b) = (r[i], r[(i + 1) % n]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum()
}

fn ring_size(r: &[Mm]) -> (f64, f64) {
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in r {
        x0 = x0.min(p[0]);
        y0 = y0.min(p[1]);
        x1 = x1.max(p[0]);
        y1 = y1.max(p[1]);
    }
    (x1 - x0, y1 - y0)
}

/// Douglas–Peucker: drops points within `tol` of the line between the
/// points kept around them. The ends stay.
pub fn simplify(pts: &[Mm], tol: f64) -> Vec<Mm> {
    if pts.len() <= 2 {
        return pts.to_vec();
    }
    let mut keep = vec![false; pts.len()];
    keep[0] = true;
    keep[pts.len() - 1] = true;
    let mut stack = vec![(0, pts.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        let (mut far, mut far_d) = (0, 0.0);
        for i in a + 1..b {
            let d = distance_to_segment(pts[i], pts[a], pts[b]);
            if d > far_d {
                far = i;
                far_d = d;
            }
        }
        if far_d > tol {
            keep[far] = true;
            stack.push((a, far));
            stack.push((far, b));
        }
    }
    pts.iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(*p))
        .collect()
}

fn distance_to_segment(p: Mm, a: Mm, b: Mm) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (qx, qy) = (a[0] + t * dx, a[1] + t * dy);
    ((p[0] - qx).powi(2) + (p[1] - qy).powi(2)).sqrt()
}

/// Adds a layer's buckets to the page: fills, then outlines over them,
/// lines, points on top.
fn emit(b: Buckets, style: &LayerStyle, px: f64, page: &mut Page) {
    for (color, parts) in b.fills {
        page.path(PathItem {
            parts,
            closed: true,
            fill: Some(color),
            stroke: None,
        });
    }
    if !b.outlines.is_empty() {
        let color = style.outline.unwrap_or(match &style.symbology {
            Symbology::Single(c) => *c,
            _ => [90, 90, 90, 255],
        });
        page.path(PathItem {
            parts: b.outlines,
            closed: true,
            fill: None,
            stroke: Some((
                with_opacity(color, style.opacity),
                style.outline_width_px as f64 * px,
            )),
        });
    }
    for (color, parts) in b.lines {
        page.path(PathItem {
            parts,
            closed: false,
            fill: None,
            stroke: Some((color, style.line_width_px as f64 * px)),
        });
    }
    for (color, parts) in b.points {
        page.path(PathItem {
            parts,
            closed: true,
            fill: Some(color),
            stroke: Some((with_opacity(style.point_outline, style.opacity), 0.6 * px)),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplification_keeps_corners_and_drops_noise() {
        let pts = vec![[0.0, 0.0], [5.0, 0.01], [10.0, 0.0], [10.0, 10.0]];
        assert_eq!(
            simplify(&pts, 0.05),
            vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]]
        );
        assert_eq!(simplify(&pts, 0.001).len(), 4);
    }

    #[test]
    fn the_view_keeps_the_scale_exact() {
        let frame = Area::new(20.0, 30.0, 220.0, 130.0);
        let v = MapView::fit(
            Rect::new((400_000.0, 2_350_000.0), (404_000.0, 2_351_000.0)),
            frame,
            None,
        );
        // 4 km into 200 mm: 1:20 000 exactly.
        assert_eq!(v.scale, 20_000.0);
        let a = v.to_paper(401_000.0, 2_350_500.0);
        let b = v.to_paper(402_000.0, 2_350_500.0);
        assert!((b[0] - a[0] - 50.0).abs() < 1e-9);
        assert!((v.to_paper(v.extent.min().x, v.extent.max().y)[0] - 20.0).abs() < 1e-9);
    }

    #[test]
    fn rings_are_wound_for_the_nonzero_rule() {
        let view = MapView::fit(
            Rect::new((0.0, 0.0), (100.0, 100.0)),
            Area::new(0.0, 0.0, 100.0, 100.0),
            Some(1000.0),
        );
        let sq = LineString::from(vec![
            (10.0, 10.0),
            (90.0, 10.0),
            (90.0, 90.0),
            (10.0, 90.0),
            (10.0, 10.0),
        ]);
        let ext = paper_ring(&sq, &view, 0.05, true).unwrap();
        let hole = paper_ring(&sq, &view, 0.05, false).unwrap();
        assert!(signed_area(&ext) > 0.0 && signed_area(&hole) < 0.0);
    }
}
