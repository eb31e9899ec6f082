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

/// The EPSG code of the CRS a WKT (OGC or ESRI flavour, as in a .prj file)
/// describes, when PROJ's database identifies it with confidence ≥ 70 %
/// and one candidate stands above the others.
pub fn identify_epsg(wkt: &str) -> Option<i32> {
    let text = CString::new(wkt).ok()?;
    let auth = CString::new("EPSG").unwrap();
    // SAFETY: private context; the candidate list and every object are
    // freed before returning; strings are copied out first.
    unsafe {
        let ctx = proj_sys::proj_context_create();
        let pj = proj_sys::proj_create(ctx, text.as_ptr());
        if pj.is_null() {
            proj_sys::proj_context_destroy(ctx);
            return None;
        }
        let mut confidence: *mut i32 = std::ptr::null_mut();
        let list =
            proj_sys::proj_identify(ctx, pj, auth.as_ptr(), std::ptr::null(), &mut confidence);
        let mut best: Vec<(i32, i32)> = Vec::new();
        if !list.is_null() {
            let n = proj_sys::proj_list_get_count(list);
            for i in 0..n {
                let candidate = proj_sys::proj_list_get(ctx, list, i);
                let code = proj_sys::proj_get_id_code(candidate, 0);
                if !code.is_null()
                    && let Ok(c) = CStr::from_ptr(code).to_string_lossy().parse::<i32>()
                {
                    best.push((*confidence.add(i as usize), c));
                }
                proj_sys::proj_destroy(candidate);
            }
            proj_sys::proj_list_destroy(list);
            proj_sys::proj_int_list_destroy(confidence);
        }
        proj_sys::proj_destroy(pj);
        proj_sys::proj_context_destroy(ctx);
        best.sort_by_key(|b| std::cmp::Reverse(b.0));
        match best.as_slice() {
            [(c, code), rest @ ..] if *c >= 70 && rest.first().is_none_or(|(c2, _)| c2 < c) => {
                Some(*code)
            }
            _ => None,
        }
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
    fn esri_prj_of_the_province_zone_is_identified() {
        // What ArcGIS writes for VN-2000 / TM-3 107-00 has no EPSG code.
        let wkt = epsg_definition(9214)
            .unwrap()
            .wkt
            .replace("AUTHORITY[\"EPSG\",\"9214\"]", "");
        assert_eq!(identify_epsg(&wkt), Some(9214));
        assert_eq!(identify_epsg("not a crs"), None);
    }

    #[test]
    fn unknown_code_is_an_error() {
        assert!(matches!(
            epsg_definition(999_999),
            Err(CrsError::Unknown { .. })
        ));
    }
}
