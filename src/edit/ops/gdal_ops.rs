//! The few GEOS operations (through GDAL's OGR API) that geo lacks or
//! does less robustly: noding union and polygonize.

use gdal::vector::{Geometry as OgrGeometry, ToGdal};
use geo_types::Geometry;

/// geo → OGR.
pub fn to_ogr(g: &Geometry<f64>) -> Result<OgrGeometry, String> {
    g.to_gdal().map_err(|e| e.to_string())
}

/// The union of two geometries (lines are noded where they cross).
pub fn union(a: &OgrGeometry, b: &OgrGeometry) -> Result<OgrGeometry, String> {
    a.union(b)
        .ok_or_else(|| "GEOS could not compute the union".to_string())
}

/// The polygons a set of noded lines encloses (OGR_G_Polygonize).
pub fn polygonize(lines: &OgrGeometry) -> Result<Geometry<f64>, String> {
    // SAFETY: the handle is valid for `lines`' lifetime; the result is a
    // new geometry we own, copied out as WKB and destroyed here.
    unsafe {
        let h = gdal_sys::OGR_G_Polygonize(lines.c_geometry());
        if h.is_null() {
            return Err("GEOS could not polygonize the lines".into());
        }
        let size = gdal_sys::OGR_G_WkbSizeEx(h);
        let mut wkb = vec![0u8; size];
        let err =
            gdal_sys::OGR_G_ExportToWkb(h, gdal_sys::OGRwkbByteOrder::wkbNDR, wkb.as_mut_ptr());
        gdal_sys::OGR_G_DestroyGeometry(h);
        if err != gdal_sys::OGRErr::OGRERR_NONE {
            return Err("cannot read the polygonized result".into());
        }
        OgrGeometry::from_wkb(&wkb)
            .and_then(|g| g.to_geo())
            .map_err(|e| e.to_string())
    }
}
