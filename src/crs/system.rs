//! What a layer's (or the map's) coordinate reference system is. A
//! GeoPackage's `srs_id` is only a key into its own `gpkg_spatial_ref_sys`:
//! the CRS is the row's organization and code when the organization is
//! EPSG, else its stored definition, and srs_id 0 and -1 are undefined.

use std::collections::HashMap;
use std::ffi::CString;
use std::sync::{Mutex, OnceLock};

use super::identify_epsg;

/// A coordinate reference system as the map and the transformers see it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Crs {
    /// A CRS of PROJ's EPSG database.
    Epsg(i32),
    /// A CRS given by a definition PROJ reads (WKT, or AUTHORITY:CODE of
    /// another authority). `identified` is the EPSG code PROJ's database
    /// matches it to, for labelling only: the definition is what is used.
    Definition {
        name: String,
        text: String,
        identified: Option<i32>,
    },
    /// No CRS (GeoPackage srs_id 0: geographic, -1: Cartesian): drawn in its
    /// own units, never reprojected.
    Undefined { geographic: bool },
}

/// What PROJ says about a CRS.
#[derive(Debug, Clone, PartialEq)]
pub struct CrsFacts {
    /// The name the definition gives it.
    pub name: String,
    /// Longitude and latitude (after normalisation for visualisation).
    pub geographic: bool,
    /// `[west, south, east, north]` in degrees; west > east when the area
    /// crosses the antimeridian.
    pub area_of_use: Option<[f64; 4]>,
}

impl Crs {
    /// The CRS a `gpkg_spatial_ref_sys` row describes.
    pub fn from_srs_row(
        srs_id: i32,
        name: &str,
        organization: &str,
        coordsys_id: i64,
        definition: &str,
    ) -> Crs {
        let definition = definition.trim();
        match srs_id {
            0 => return Crs::Undefined { geographic: true },
            -1 => return Crs::Undefined { geographic: false },
            _ => {}
        }
        if organization.eq_ignore_ascii_case("EPSG")
            && let Ok(code) = i32::try_from(coordsys_id)
            && facts_of(&format!("EPSG:{code}")).is_some()
        {
            return Crs::Epsg(code);
        }
        if !definition.is_empty()
            && !definition.eq_ignore_ascii_case("undefined")
            && facts_of(definition).is_some()
        {
            return Crs::Definition {
                name: name.to_string(),
                text: definition.to_string(),
                identified: identified(definition),
            };
        }
        // Another authority PROJ knows (ESRI, IGNF, ...), by its code.
        let by_code = format!("{organization}:{coordsys_id}");
        if !organization.eq_ignore_ascii_case("NONE")
            && !organization.is_empty()
            && facts_of(&by_code).is_some()
        {
            return Crs::Definition {
                name: name.to_string(),
                text: by_code,
                identified: None,
            };
        }
        Crs::Undefined {
            geographic: coordsys_id == 0,
        }
    }

    /// A CRS from a definition (WKT) alone, e.g. one GDAL read from a file,
    /// named as the definition names it. None when PROJ cannot read it.
    pub fn from_definition(text: &str) -> Option<Crs> {
        let facts = facts_of(text)?;
        Some(Crs::Definition {
            name: facts.name,
            text: text.to_string(),
            identified: identified(text),
        })
    }

    pub fn is_defined(&self) -> bool {
        !matches!(self, Crs::Undefined { .. })
    }

    /// The EPSG code of the CRS, or of the one PROJ identifies it with.
    pub fn epsg(&self) -> Option<i32> {
        match self {
            Crs::Epsg(c) => Some(*c),
            Crs::Definition { identified, .. } => *identified,
            Crs::Undefined { .. } => None,
        }
    }

    /// What PROJ is given for this CRS; None when it is undefined.
    pub fn proj_text(&self) -> Option<String> {
        match self {
            Crs::Epsg(c) => Some(format!("EPSG:{c}")),
            Crs::Definition { text, .. } => Some(text.clone()),
            Crs::Undefined { .. } => None,
        }
    }

    /// How the CRS is shown to the user.
    pub fn label(&self) -> String {
        match self {
            Crs::Epsg(c) => format!("EPSG:{c}"),
            Crs::Definition {
                name, identified, ..
            } => {
                let name = if name.trim().is_empty() {
                    "custom CRS"
                } else {
                    name.as_str()
                };
                match identified {
                    Some(c) => format!("{name} (as EPSG:{c})"),
                    None => name.to_string(),
                }
            }
            Crs::Undefined { geographic: true } => "undefined geographic CRS".into(),
            Crs::Undefined { geographic: false } => "undefined Cartesian CRS".into(),
        }
    }

    /// Its type and area of use from PROJ (None for an undefined CRS).
    pub fn facts(&self) -> Option<CrsFacts> {
        let mut facts = facts_of(&self.proj_text()?)?;
        if facts.area_of_use.is_none()
            && let Crs::Definition {
                identified: Some(c),
                ..
            } = self
        {
            facts.area_of_use = facts_of(&format!("EPSG:{c}")).and_then(|f| f.area_of_use);
        }
        Some(facts)
    }

    /// Whether coordinates are longitude and latitude in degrees.
    pub fn is_geographic(&self) -> bool {
        match self {
            Crs::Undefined { geographic } => *geographic,
            _ => self.facts().is_some_and(|f| f.geographic),
        }
    }
}

impl std::fmt::Display for Crs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

/// Asks PROJ what `text` (AUTHORITY:CODE, WKT, PROJ string) is; None when
/// it is not a CRS PROJ can read. Answers are kept for the process: every
/// layer read asks, and a database lookup costs milliseconds.
fn facts_of(text: &str) -> Option<CrsFacts> {
    static KNOWN: OnceLock<Mutex<HashMap<String, Option<CrsFacts>>>> = OnceLock::new();
    let known = KNOWN.get_or_init(Default::default);
    if let Some(f) = known.lock().ok().and_then(|k| k.get(text).cloned()) {
        return f;
    }
    let facts = ask_proj(text);
    if let Ok(mut k) = known.lock() {
        k.insert(text.to_string(), facts.clone());
    }
    facts
}

/// The EPSG code PROJ identifies a definition with, kept like [`facts_of`].
fn identified(text: &str) -> Option<i32> {
    static KNOWN: OnceLock<Mutex<HashMap<String, Option<i32>>>> = OnceLock::new();
    let known = KNOWN.get_or_init(Default::default);
    if let Some(c) = known.lock().ok().and_then(|k| k.get(text).copied()) {
        return c;
    }
    let code = identify_epsg(text);
    if let Ok(mut k) = known.lock() {
        k.insert(text.to_string(), code);
    }
    code
}

fn ask_proj(text: &str) -> Option<CrsFacts> {
    let c_text = CString::new(text).ok()?;
    // SAFETY: a private context; every object created here is destroyed
    // before returning, and nothing PROJ owns outlives it.
    unsafe {
        let ctx = proj_sys::proj_context_create();
        if ctx.is_null() {
            return None;
        }
        // PROJ logs a failed parse to stderr; the caller reports it.
        proj_sys::proj_log_level(ctx, proj_sys::PJ_LOG_LEVEL_PJ_LOG_NONE);
        let pj = proj_sys::proj_create(ctx, c_text.as_ptr());
        if pj.is_null() || proj_sys::proj_is_crs(pj) == 0 {
            if !pj.is_null() {
                proj_sys::proj_destroy(pj);
            }
            proj_sys::proj_context_destroy(ctx);
            return None;
        }
        let mut area = [0.0f64; 4];
        let mut name: *const std::os::raw::c_char = std::ptr::null();
        let has_area = proj_sys::proj_get_area_of_use(
            ctx,
            pj,
            &mut area[0],
            &mut area[1],
            &mut area[2],
            &mut area[3],
            &mut name,
        ) != 0
            && area.iter().all(|v| *v > -1000.0);
        let geographic = is_geographic_type(ctx, pj);
        let crs_name = proj_sys::proj_get_name(pj);
        let crs_name = if crs_name.is_null() {
            String::new()
        } else {
            std::ffi::CStr::from_ptr(crs_name)
                .to_string_lossy()
                .into_owned()
        };
        proj_sys::proj_destroy(pj);
        proj_sys::proj_context_destroy(ctx);
        Some(CrsFacts {
            name: crs_name,
            geographic,
            area_of_use: has_area.then_some(area),
        })
    }
}

/// A bound CRS (WKT 1 with TOWGS84) is looked through to its source CRS.
unsafe fn is_geographic_type(ctx: *mut proj_sys::PJ_CONTEXT, pj: *const proj_sys::PJ) -> bool {
    use proj_sys::*;
    // SAFETY: `pj` is a live CRS of `ctx`; the source CRS is destroyed here.
    unsafe {
        match proj_get_type(pj) {
            PJ_TYPE_PJ_TYPE_GEOGRAPHIC_2D_CRS
            | PJ_TYPE_PJ_TYPE_GEOGRAPHIC_3D_CRS
            | PJ_TYPE_PJ_TYPE_GEOGRAPHIC_CRS => true,
            PJ_TYPE_PJ_TYPE_BOUND_CRS => {
                let source = proj_get_source_crs(ctx, pj);
                if source.is_null() {
                    return false;
                }
                let geographic = is_geographic_type(ctx, source);
                proj_destroy(source);
                geographic
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srs_rows_resolve_by_organization_then_definition() {
        let bng = super::super::epsg_definition(27700).unwrap().wkt;
        assert_eq!(
            Crs::from_srs_row(4327, "BNG", "NONE", 4327, &bng).epsg(),
            Some(27700)
        );
        assert!(matches!(
            Crs::from_srs_row(4327, "BNG", "NONE", 4327, &bng),
            Crs::Definition { .. }
        ));
        assert_eq!(
            Crs::from_srs_row(9214, "x", "epsg", 9214, "undefined"),
            Crs::Epsg(9214)
        );
        assert_eq!(
            Crs::from_srs_row(0, "u", "NONE", 0, "undefined"),
            Crs::Undefined { geographic: true }
        );
        assert_eq!(
            Crs::from_srs_row(-1, "u", "NONE", -1, "undefined"),
            Crs::Undefined { geographic: false }
        );
        assert_eq!(
            Crs::from_srs_row(77, "u", "NONE", 77, "undefined"),
            Crs::Undefined { geographic: false }
        );
    }

    #[test]
    fn facts_give_type_and_area() {
        let f = Crs::Epsg(9214).facts().unwrap();
        assert!(!f.geographic);
        assert_eq!(f.area_of_use, Some([105.88, 15.99, 108.24, 21.63]));
        assert!(Crs::Epsg(4326).is_geographic());
        assert!(Crs::Epsg(4269).is_geographic());
        assert!(Crs::Undefined { geographic: true }.is_geographic());
        assert!(Crs::Undefined { geographic: true }.facts().is_none());
    }
}
