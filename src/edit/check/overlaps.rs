//! Overlaps between polygons of one layer: candidate pairs from the
//! R-tree by envelope, the exact intersection only for those.

use geo::{Area, BooleanOps, BoundingRect, Centroid};
use geo_types::MultiPolygon;

use super::load::{Layer, Shape, ShapeIndex};
use super::{CheckError, CheckOptions, Finding, FindingKind, Fix, fid_list, in_parallel, m2};
use crate::jobs::Progress;

pub fn check(
    layer: &Layer,
    index: &ShapeIndex,
    usable: &[bool],
    options: &CheckOptions,
    threads: usize,
    progress: &Progress,
) -> Result<Vec<Finding>, CheckError> {
    let shapes = &layer.shapes;
    in_parallel(shapes.len(), threads, progress, |i, out| {
        if !usable[i] {
            return;
        }
        for j in index.meeting(shapes[i].bounds, 0.0) {
            if j <= i || !usable[j] {
                continue;
            }
            if let Some(f) = overlap(&layer.name, &shapes[i], &shapes[j], options) {
                out.push(f);
            }
        }
    })
}

fn overlap(layer: &str, a: &Shape, b: &Shape, options: &CheckOptions) -> Option<Finding> {
    let common: MultiPolygon<f64> = a.polygons.intersection(&b.polygons);
    let area = common.unsigned_area();
    if area <= options.min_area {
        return None;
    }
    // The overlap is cut from the larger polygon: the smaller change.
    let (from, other) = if a.polygons.unsigned_area() >= b.polygons.unsigned_area() {
        (a.fid, b.fid)
    } else {
        (b.fid, a.fid)
    };
    let location = common
        .centroid()
        .map(|p| p.0)
        .unwrap_or_else(|| a.bounds.center());
    let bounds = common.bounding_rect().unwrap_or(a.bounds);
    let pair = [a.fid, b.fid];
    Some(Finding {
        kind: FindingKind::Overlap,
        layer: layer.to_string(),
        fid: Some(a.fid),
        other_fids: vec![b.fid],
        location,
        bounds,
        area,
        message_vi: format!("Đối tượng {} chồng lấn nhau {}", fid_list(&pair), m2(area)),
        message_en: format!("Features {} overlap by {}", fid_list(&pair), m2(area)),
        fix: Some(Fix::CutOverlap { from, other }),
    })
}
