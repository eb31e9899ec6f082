//! Operations on features, each one `EditSession::apply` (one transaction,
//! one journal edit, one undo step). The geometry work that needs no store
//! is in pure functions next to each operation, tested on their own.

pub mod delete;
pub mod merge;
pub mod paste;
pub mod split;
pub mod transform;

mod gdal_ops;

use geo_types::Geometry;

use super::error::EditError;
use crate::gpkg::LayerInfo;
use crate::gpkg::geom::wkb_type_code;
use crate::model::GeometryType;

/// A geometry as the layer's column can hold it: a single part goes into
/// a MULTI column as a one-part collection, a one-part collection into a
/// single column as its part. None when it cannot.
pub fn fit_to_column(g: Geometry<f64>, column: GeometryType) -> Option<Geometry<f64>> {
    use geo_types::{MultiLineString, MultiPoint, MultiPolygon};
    if column.accepts(wkb_type_code(&g)) {
        return Some(g);
    }
    let fitted = match g {
        Geometry::Point(p) => Geometry::MultiPoint(MultiPoint(vec![p])),
        Geometry::LineString(l) => Geometry::MultiLineString(MultiLineString(vec![l])),
        Geometry::Polygon(p) => Geometry::MultiPolygon(MultiPolygon(vec![p])),
        Geometry::MultiPoint(mut m) if m.0.len() == 1 => Geometry::Point(m.0.remove(0)),
        Geometry::MultiLineString(mut m) if m.0.len() == 1 => Geometry::LineString(m.0.remove(0)),
        Geometry::MultiPolygon(mut m) if m.0.len() == 1 => Geometry::Polygon(m.0.remove(0)),
        _ => return None,
    };
    column.accepts(wkb_type_code(&fitted)).then_some(fitted)
}

/// The area in m² of a geometry in the layer's projected CRS (geographic
/// layers are measured in VN-2000).
pub(crate) fn area_m2(
    layer: &LayerInfo,
    path: &std::path::Path,
    g: &Geometry<f64>,
) -> Result<f64, EditError> {
    let fail = |e: super::measure::MeasureError| EditError::Layer {
        path: path.to_path_buf(),
        layer: layer.name.clone(),
        detail: e.to_string(),
    };
    let measurer = super::measure::Measurer::new(&layer.crs).map_err(fail)?;
    Ok(measurer.measure(g).map_err(fail)?.area_m2)
}

/// How a feature is called in descriptions: "thửa 123" by its so_thua
/// (parcel number) when the layer has one, else by fid.
pub(crate) fn feature_label(layer: &LayerInfo, feature: &crate::model::Feature) -> String {
    let by_number = layer
        .schema
        .field_index("so_thua")
        .and_then(|i| feature.values.get(i))
        .filter(|v| !v.is_null())
        .map(|v| v.to_string());
    by_number.unwrap_or_else(|| feature.fid.map_or(String::new(), |f| f.to_string()))
}

/// "thửa" for polygon layers, "đối tượng" (feature) for the others.
pub(crate) fn noun(layer: &LayerInfo) -> &'static str {
    match layer.schema.geometry_type {
        GeometryType::Polygon | GeometryType::MultiPolygon => "thửa",
        _ => "đối tượng",
    }
}

/// Inside the operation's transaction: refuses when the feature read
/// before it (to plan the operation) has been changed since by another
/// program, so a plan made on old rows never overwrites newer ones.
pub(crate) fn still_as_read(
    tx: &mut super::EditTx<'_>,
    layer: &str,
    read: &crate::model::Feature,
) -> Result<(), EditError> {
    let fid = read.fid.unwrap_or_default();
    let now = tx.require(layer, fid)?;
    if now.geometry != read.geometry || now.values != read.values {
        return Err(EditError::Feature {
            path: tx.path().to_path_buf(),
            layer: layer.to_string(),
            fid,
            detail: "was changed by another program meanwhile; nothing was written, try again"
                .into(),
        });
    }
    Ok(())
}
