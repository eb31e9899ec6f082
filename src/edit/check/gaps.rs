//! Gaps: holes in the union of the layer's polygons (their shells, so a
//! parcel's own pond is not one) up to a size; a larger hole is taken to
//! be meant. Each gap names its neighbours and is given, when fixed, to
//! the one sharing the longest edge with it.

use geo::orient::{Direction, Orient};
use geo::{Area, BoundingRect, Centroid, Distance, Euclidean};
use geo_types::{LineString, Point, Polygon};

use super::load::{Layer, ShapeIndex};
use super::{CheckError, CheckOptions, Finding, FindingKind, Fix, fid_list, keep_going, m2};
use crate::jobs::Progress;

pub fn check(
    layer: &Layer,
    index: &ShapeIndex,
    usable: &[bool],
    options: &CheckOptions,
    progress: &Progress,
) -> Result<Vec<Finding>, CheckError> {
    let shells: Vec<Polygon<f64>> = layer
        .shapes
        .iter()
        .zip(usable)
        .filter(|(_, ok)| **ok)
        .flat_map(|(s, _)| &s.polygons.0)
        .map(|p| Polygon::new(p.exterior().clone(), vec![]).orient(Direction::Default))
        .collect();
    keep_going(progress)?;
    let union = geo::unary_union(&shells);
    keep_going(progress)?;
    let mut findings = Vec::new();
    for hole in union.0.iter().flat_map(|p| p.interiors()) {
        let gap = Polygon::new(hole.clone(), vec![]).orient(Direction::Default);
        let area = gap.unsigned_area();
        if area <= options.min_area || area > options.max_gap_area {
            continue;
        }
        // Around an edit only the neighbours inside the area were read: a
        // hole reaching out of it may be covered by a feature not read.
        if let Some(around) = options.area
            && !hole.0.iter().all(|c| {
                (around.min().x..=around.max().x).contains(&c.x)
                    && (around.min().y..=around.max().y).contains(&c.y)
            })
        {
            continue;
        }
        let neighbours = neighbours(layer, index, hole);
        let Some(&(into, _)) = neighbours
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        else {
            continue;
        };
        let mut fids: Vec<i64> = neighbours.iter().map(|n| n.0).collect();
        fids.sort_unstable();
        let location = gap.centroid().map(|p| p.0).unwrap_or_else(|| hole.0[0]);
        let bounds = gap.bounding_rect().expect("a gap with an area has bounds");
        findings.push(Finding {
            kind: FindingKind::Gap,
            layer: layer.name.clone(),
            fid: None,
            other_fids: fids.clone(),
            location,
            bounds,
            area,
            message_vi: format!("Khe hở {} giữa các đối tượng {}", m2(area), fid_list(&fids)),
            message_en: format!("Gap of {} between features {}", m2(area), fid_list(&fids)),
            fix: Some(Fix::FillGap { into, gap }),
        });
    }
    progress.advance(layer.shapes.len() as u64);
    Ok(findings)
}

/// The features around a gap, each with the length of the gap's edge it
/// shares (edges whose midpoint lies on the feature's boundary).
fn neighbours(layer: &Layer, index: &ShapeIndex, hole: &LineString<f64>) -> Vec<(i64, f64)> {
    let bounds = hole
        .bounding_rect()
        .expect("a ring with an area has bounds");
    let scale = bounds.width().max(bounds.height()).max(1.0);
    let tolerance = scale * 1e-9 + 1e-6;
    let near: Vec<usize> = index.meeting(bounds, tolerance).collect();
    let mut shared: Vec<(i64, f64)> = Vec::new();
    for line in hole.lines() {
        let mid = Point::from((line.start + line.end) / 2.0);
        let length = (line.end - line.start).x.hypot((line.end - line.start).y);
        for &i in &near {
            let shape = &layer.shapes[i];
            let on_boundary = shape.polygons.0.iter().any(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .any(|r| Euclidean.distance(&mid, r) <= tolerance)
            });
            if on_boundary {
                match shared.iter_mut().find(|s| s.0 == shape.fid) {
                    Some(s) => s.1 += length,
                    None => shared.push((shape.fid, length)),
                }
            }
        }
    }
    shared
}
