//! Coordinate reference systems through PROJ: CRS definitions from PROJ's
//! EPSG database (for `gpkg_spatial_ref_sys`), the VN-2000 presets, and
//! cached transformers that always take x = easting/longitude.

mod area;
mod definition;
mod scale;
mod system;
mod transform;

pub use area::{AREA_MARGIN_DEG, LayerPlace, choose_map_crs, covers, fits, lonlat_box};
pub use definition::{SrsDefinition, epsg_definition, identify_epsg};
pub use scale::metres_per_unit;
pub use system::{Crs, CrsFacts};
pub use transform::{Transformer, TransformerCache};

/// The province's local zone, the default map CRS.
pub const VN2000_TM3_107: i32 = 9214;
/// VN-2000 / UTM zone 48N.
pub const VN2000_UTM48N: i32 = 3405;
pub const WGS84: i32 = 4326;
pub const VN2000_GEOGRAPHIC: i32 = 4756;

/// A CRS offered in pickers, in the order users meet them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrsPreset {
    pub epsg: i32,
    pub label: &'static str,
}

/// The VN-2000 3° zones (EPSG 9205–9218), UTM 48N and WGS 84. The province's
/// own zone comes first because files without a .prj are most often in it.
pub const PRESETS: &[CrsPreset] = &[
    CrsPreset {
        epsg: 9214,
        label: "VN-2000 / TM-3 107-00",
    },
    CrsPreset {
        epsg: 3405,
        label: "VN-2000 / UTM zone 48N",
    },
    CrsPreset {
        epsg: 4326,
        label: "WGS 84",
    },
    CrsPreset {
        epsg: 4756,
        label: "VN-2000",
    },
    CrsPreset {
        epsg: 9205,
        label: "VN-2000 / TM-3 103-00",
    },
    CrsPreset {
        epsg: 9206,
        label: "VN-2000 / TM-3 104-00",
    },
    CrsPreset {
        epsg: 9207,
        label: "VN-2000 / TM-3 104-30",
    },
    CrsPreset {
        epsg: 9208,
        label: "VN-2000 / TM-3 104-45",
    },
    CrsPreset {
        epsg: 9209,
        label: "VN-2000 / TM-3 105-30",
    },
    CrsPreset {
        epsg: 9210,
        label: "VN-2000 / TM-3 105-45",
    },
    CrsPreset {
        epsg: 9211,
        label: "VN-2000 / TM-3 106-00",
    },
    CrsPreset {
        epsg: 9212,
        label: "VN-2000 / TM-3 106-15",
    },
    CrsPreset {
        epsg: 9213,
        label: "VN-2000 / TM-3 106-30",
    },
    CrsPreset {
        epsg: 9215,
        label: "VN-2000 / TM-3 107-45",
    },
    CrsPreset {
        epsg: 9216,
        label: "VN-2000 / TM-3 108-00",
    },
    CrsPreset {
        epsg: 9217,
        label: "VN-2000 / TM-3 108-15",
    },
    CrsPreset {
        epsg: 9218,
        label: "VN-2000 / TM-3 108-30",
    },
];

#[derive(Debug, thiserror::Error)]
pub enum CrsError {
    #[error("PROJ does not know EPSG:{code}: {reason}")]
    Unknown { code: i32, reason: String },
    #[error("cannot build a transformation from {from} to {to}: {reason}")]
    Transformation {
        from: String,
        to: String,
        reason: String,
    },
    #[error("cannot transform ({x}, {y}) from {from} to {to}: {reason}")]
    Point {
        x: f64,
        y: f64,
        from: String,
        to: String,
        reason: String,
    },
}
