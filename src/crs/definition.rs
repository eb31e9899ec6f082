use std::ffi::{CStr, CString};

use super::CrsError;

/// A row for `gpkg_spatial_ref_sys`.
#[derive(Debug, Clone, PartialEq)]
pub struct SrsDefinition {
    pub srs_id: i32,
    pub name: String,
    pub organization: String,
    pub organization_coordsys_id: i32,
    /// OGC WKT 1 (GDAL flavour), which every GeoPackage reader understands.
    pub wkt: String,
    pub description: String,
}

/// Looks an EPSG code up in PROJ's database.
pub fn epsg_definition(code: i32) -> Result<SrsDefinition, CrsError> {
    let unknown = |reason: &str| CrsError::Unknown {
        code,
        reason: reason.to_string(),
    };
    let auth = CString::new("EPSG").unwrap();
    let code_text = CString::new(code.to_string()).unwrap();
    // SAFETY: a private context is created and destroyed here; every pointer
    // PROJ returns is checked for NULL and copied before the object it
    // belongs to is destroyed.
    unsafe {
        let ctx = proj_sys::proj_context_create();
        if ctx.is_null() {
            return Err(unknown("cannot create a PROJ context"));
        }
        let pj = proj_sys::proj_create_from_database(
            ctx,
            auth.as_ptr(),
            code_text.as_ptr(),
            proj_sys::PJ_CATEGORY_PJ_CATEGORY_CRS,
            0,
            std::ptr::null(),
        );
        if pj.is_null() {
            proj_sys::proj_context_destroy(ctx);
            return Err(unknown("not in PROJ's EPSG database"));
        }
        let text = |p: *const std::os::raw::c_char| {
            (!p.is_null()).then(|| CStr::from_ptr(p).to_string_lossy().into_owned())
        };
        let name = text(proj_sys::proj_get_name(pj)).unwrap_or_default();
        let options = [c"MULTILINE=NO".as_ptr(), std::ptr::null()];
        let wkt = text(proj_sys::proj_as_wkt(
            ctx,
            pj,
            proj_sys::PJ_WKT_TYPE_PJ_WKT1_GDAL,
            options.as_ptr(),
        ));
        let scope = text(proj_sys::proj_get_scope(pj));
        proj_sys::proj_destroy(pj);
        proj_sys::proj_context_destroy(ctx);
        let wkt = wkt.ok_or_else(|| unknown("PROJ cannot write it as WKT 1"))?;
        Ok(SrsDefinition {
            srs_id: code,
            name,
            organization: "EPSG".to_string(),
            organization_coordsys_id: code,
            wkt,
            description: scope.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vn2000_tm3_107_comes_from_proj() {
        let def = epsg_definition(9214).unwrap();
        assert_eq!(def.name, "VN-2000 / TM-3 107-00");
        assert!(
            def.wkt.starts_with("PROJCS[\"VN-2000 / TM-3 107-00\""),
            "{}",
            def.wkt
        );
        assert!(def.wkt.contains("\"central_meridian\",107"), "{}", def.wkt);
    }

    #[test]
    fn unknown_code_is_an_error() {
        assert!(matches!(
            epsg_definition(999_999),
            Err(CrsError::Unknown { .. })
        ));
    }
}
