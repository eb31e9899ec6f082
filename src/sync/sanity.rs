//! What a server's features must be before they touch the workspace: in
//! the layer's CRS (coordinates inside its area of use; a server that
//! swapped the axes or sent degrees is caught here) and of the layer's
//! geometry type. A page that fails changes nothing: checkout and pull
//! write only after every page passed.

use geo_types::{Coord, Rect};
use serde_json::Value;

use super::error::{Result, SyncError};
use super::record::Record;
use super::remote::LayerMapping;
use crate::crs::{Crs, covers, lonlat_box};
use crate::model::GeometryType;

/// Degrees of slack around the CRS's area of use.
const MARGIN: f64 = 1.0;

pub fn check_page(mapping: &LayerMapping, records: &[Record], url: &str) -> Result<()> {
    let mut bbox: Option<Rect<f64>> = None;
    for r in records {
        if let Some(g) = &r.geometry {
            extend(&mut bbox, g.get("coordinates").unwrap_or(g));
        }
    }
    let Some(bbox) = bbox else { return Ok(()) };
    let crs = Crs::Epsg(mapping.epsg);
    let Some(area) = crs.facts().and_then(|f| f.area_of_use) else {
        return Ok(());
    };
    let inside = lonlat_box(&crs, bbox).is_some_and(|ll| covers(area, ll, MARGIN));
    if inside {
        return Ok(());
    }
    Err(SyncError::BadResponse {
        url: url.to_string(),
        expected: "coordinates in the layer's CRS",
        detail: format!(
            "the features span x {:.3}…{:.3}, y {:.3}…{:.3}, outside the area of EPSG:{} \
             (lon {:.1}…{:.1}, lat {:.1}…{:.1}); the server may have swapped the axes \
             (lat,lon) or sent another CRS. Nothing was changed.",
            bbox.min().x,
            bbox.max().x,
            bbox.min().y,
            bbox.max().y,
            mapping.epsg,
            area[0],
            area[2],
            area[1],
            area[3]
        ),
    })
}

/// A server feature whose geometry the layer cannot hold.
pub fn check_type(
    mapping: &LayerMapping,
    layer_type: GeometryType,
    record: &Record,
    url: &str,
) -> Result<()> {
    let Some(kind) = record
        .geometry
        .as_ref()
        .and_then(|g| g.get("type"))
        .and_then(Value::as_str)
    else {
        return Ok(());
    };
    let fits = match layer_type.linear() {
        GeometryType::Geometry => true,
        GeometryType::Point => kind == "Point",
        GeometryType::LineString => kind == "LineString",
        GeometryType::Polygon => kind == "Polygon",
        GeometryType::MultiPoint => matches!(kind, "MultiPoint" | "Point"),
        GeometryType::MultiLineString => matches!(kind, "MultiLineString" | "LineString"),
        GeometryType::MultiPolygon => matches!(kind, "MultiPolygon" | "Polygon"),
        GeometryType::GeometryCollection => kind == "GeometryCollection",
        _ => true,
    };
    if fits {
        Ok(())
    } else {
        Err(SyncError::Feature {
            url: url.to_string(),
            layer: mapping.layer.clone(),
            uuid: record.uuid.clone(),
            detail: format!(
                "the server sent a {kind} for a layer of {}; nothing was changed",
                layer_type.name()
            ),
        })
    }
}

fn extend(bbox: &mut Option<Rect<f64>>, coordinates: &Value) {
    let Some(items) = coordinates.as_array() else {
        return;
    };
    if let (Some(x), Some(y)) = (
        items.first().and_then(Value::as_f64),
        items.get(1).and_then(Value::as_f64),
    ) {
        let c = Coord { x, y };
        *bbox = Some(crate::gpkg::geom::union(*bbox, Rect::new(c, c)));
        return;
    }
    for item in items {
        extend(bbox, item);
    }
}
