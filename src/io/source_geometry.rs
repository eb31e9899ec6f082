//! Geometries as GDAL reads them from a source, handed on as ISO WKB with
//! their Z and M ordinates. What the store cannot hold as such is converted
//! here and said so: curves become line segments, and TINs, triangles and
//! polyhedral surfaces become (multi)polygons of their faces.

use std::ffi::CStr;

use gdal_sys::{OGRGeometryH, OGRwkbGeometryType};

use crate::gpkg::geom::Dims;

/// How a source geometry was changed to fit the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conversion {
    /// A curve (arc) geometry, stored as line segments.
    Linearised,
    /// A surface type the store has no column for (named as GDAL names
    /// it, e.g. "TIN Z"), stored as a MultiPolygon of its faces.
    Faces(String),
}

impl Conversion {
    /// What the report says about `n` geometries converted this way.
    pub fn describe(&self, n: u64) -> String {
        match self {
            Conversion::Linearised => format!(
                "{n} curved geometr{} (arcs) stored as line segments",
                if n == 1 { "y" } else { "ies" }
            ),
            Conversion::Faces(name) if n == 1 => {
                format!("1 {name} geometry stored as a MultiPolygon of its faces")
            }
            Conversion::Faces(name) => {
                format!("{n} {name} geometries stored as MultiPolygons of their faces")
            }
        }
    }
}

/// A geometry's ISO WKB and how it was converted to get it.
pub type Wkb = (Vec<u8>, Option<Conversion>);

/// The Z and M flags of an OGR geometry type.
pub fn dims_of(ogr: OGRwkbGeometryType::Type) -> Dims {
    // SAFETY: pure functions of the type code.
    unsafe {
        Dims {
            z: gdal_sys::OGR_GT_HasZ(ogr) != 0,
            m: gdal_sys::OGR_GT_HasM(ogr) != 0,
        }
    }
}

/// GDAL's name of a geometry type ("3D Polygon", "TIN Z", ...).
pub fn type_name(ogr: OGRwkbGeometryType::Type) -> String {
    // SAFETY: GDAL returns a static string (or null) for any code.
    unsafe {
        let p = gdal_sys::OGRGeometryTypeToName(ogr);
        if p.is_null() {
            format!("geometry type {ogr}")
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    }
}

/// The ISO WKB of a feature's geometry, Z and M kept; None for a NULL or
/// empty geometry.
///
/// # Safety
/// `h` must be null or a geometry handle alive for the call.
pub unsafe fn iso_wkb(h: OGRGeometryH) -> Option<Result<Wkb, String>> {
    // SAFETY (whole body): `h` is live per the contract; the copies GDAL
    // makes are owned here and destroyed before returning.
    unsafe {
        if h.is_null() || gdal_sys::OGR_G_IsEmpty(h) != 0 {
            return None;
        }
        let ogr = gdal_sys::OGR_G_GetGeometryType(h);
        let flat = gdal_sys::OGR_GT_Flatten(ogr);
        let (owned, conversion) = if matches!(
            flat,
            OGRwkbGeometryType::wkbPolyhedralSurface
                | OGRwkbGeometryType::wkbTIN
                | OGRwkbGeometryType::wkbTriangle
        ) {
            // The 2D target type: GDAL keeps the Z and M of the faces (asked
            // for "MultiPolygon Z" it leaves a TIN as it is).
            let faces = gdal_sys::OGR_G_ForceTo(
                gdal_sys::OGR_G_Clone(h),
                OGRwkbGeometryType::wkbMultiPolygon,
                std::ptr::null_mut(),
            );
            (faces, Some(Conversion::Faces(type_name(ogr))))
        } else if gdal_sys::OGR_G_HasCurveGeometry(h, 1) != 0 {
            let linear = gdal_sys::OGR_G_GetLinearGeometry(h, 0.0, std::ptr::null_mut());
            (linear, Some(Conversion::Linearised))
        } else {
            (std::ptr::null_mut(), None)
        };
        if conversion.is_some()
            && (owned.is_null()
                || gdal_sys::OGR_GT_Flatten(gdal_sys::OGR_G_GetGeometryType(owned)) == flat)
        {
            if !owned.is_null() {
                gdal_sys::OGR_G_DestroyGeometry(owned);
            }
            return Some(Err(format!(
                "GDAL cannot convert this {} to a type tramgis stores",
                type_name(ogr)
            )));
        }
        let source = if owned.is_null() { h } else { owned };
        let size = gdal_sys::OGR_G_WkbSize(source).max(0) as usize;
        let mut buf = vec![0u8; size];
        let rc = gdal_sys::OGR_G_ExportToIsoWkb(
            source,
            gdal_sys::OGRwkbByteOrder::wkbNDR,
            buf.as_mut_ptr(),
        );
        if !owned.is_null() {
            gdal_sys::OGR_G_DestroyGeometry(owned);
        }
        Some(if rc == gdal_sys::OGRErr::OGRERR_NONE {
            Ok((buf, conversion))
        } else {
            Err(format!(
                "GDAL cannot export this {} (OGR error {rc})",
                type_name(ogr)
            ))
        })
    }
}

/// The Z and M a layer's geometries carry: its declared type's, or, when it
/// declares none (KML, DXF and GeoJSON layers of mixed types), those of the
/// first `sample` geometries.
pub fn layer_dims(layer: &mut gdal::vector::Layer<'_>, sample: usize) -> Dims {
    use gdal::vector::LayerAccess;
    let declared = layer
        .defn()
        .geom_fields()
        .next()
        .map(|g| g.field_type())
        .unwrap_or(OGRwkbGeometryType::wkbNone);
    let dims = dims_of(declared);
    // SAFETY: pure function of the type code.
    let flat = unsafe { gdal_sys::OGR_GT_Flatten(declared) };
    if flat != OGRwkbGeometryType::wkbUnknown || dims.z || dims.m {
        return dims;
    }
    let mut seen = Dims::default();
    for feature in layer.features().take(sample) {
        // SAFETY: the feature owns its geometry for this iteration.
        let h = unsafe { gdal_sys::OGR_F_GetGeometryRef(feature.c_feature()) };
        if !h.is_null() {
            let d = dims_of(unsafe { gdal_sys::OGR_G_GetGeometryType(h) });
            seen.z |= d.z;
            seen.m |= d.m;
        }
    }
    layer.reset_feature_reading();
    seen
}
