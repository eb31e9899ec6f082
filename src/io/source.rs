//! Reading any vector source GDAL opens, with the attribute text kept as raw
//! bytes: legacy Vietnamese encodings (TCVN3, VNI) are unknown to GDAL, so
//! text is decoded here, not by GDAL's recoding.

use std::ffi::CStr;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use gdal::vector::{LayerAccess, OGRFieldType};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags, Metadata};

use super::IoError;
use super::gdal_messages;
use super::shx_restore::{self, RestoredCopy};
pub use super::source_geometry::Conversion;
use super::source_geometry::{iso_wkb, layer_dims};
use crate::gpkg::geom::Dims;

pub use super::encoding::TextEncoding;

/// The kind of a source field, as GDAL reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFieldKind {
    Integer,
    Real,
    Text,
    Date,
    DateTime,
    Binary,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceField {
    pub name: String,
    pub kind: SourceFieldKind,
}

/// The CRS a source layer declares.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceCrs {
    Epsg(i32),
    /// A definition without an EPSG code PROJ could identify.
    Wkt(String),
    /// No .prj, no CRS: the user must choose (the province's zone first).
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceLayer {
    pub index: usize,
    pub name: String,
    /// WKB base type code (1..7), 0 for mixed/unknown, None for no geometry.
    pub geometry_code: Option<u32>,
    /// The Z and M its geometries carry.
    pub dims: Dims,
    pub feature_count: Option<u64>,
    pub fields: Vec<SourceField>,
    pub crs: SourceCrs,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceInfo {
    pub path: PathBuf,
    pub driver: String,
    pub layers: Vec<SourceLayer>,
    /// From a .cpg file, a DBF language-driver id or a MapInfo charset.
    pub declared_encoding: Option<TextEncoding>,
    /// GDAL hands the text over as UTF-8, converted from the declared
    /// encoding (MapInfo, whose driver cannot be told not to).
    pub recoded_by_gdal: bool,
    /// What reading had to do that the report must say (a rebuilt .shx).
    pub notes: Vec<String>,
}

impl SourceInfo {
    pub fn is_cad(&self) -> bool {
        matches!(self.driver.as_str(), "DXF" | "DGN" | "DGNV8" | "DWG")
    }

    pub fn layer(&self, name: &str) -> Option<&SourceLayer> {
        self.layers.iter().find(|l| l.name == name)
    }
}

/// One attribute value as read, text still undecoded.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(Vec<u8>),
    Date(String),
    DateTime(String),
    Binary(Vec<u8>),
}

/// One source row: its 1-based position, its geometry as ISO WKB with its
/// Z and M (curves already linearised; an error when GDAL could not export
/// it), how that geometry was converted, and its values in field order.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFeature {
    pub row: u64,
    pub wkb: Option<Result<Vec<u8>, String>>,
    pub conversion: Option<Conversion>,
    pub values: Vec<RawValue>,
}

/// An open source; a Shapefile that lacked its .shx is read from a
/// temporary copy, which lives as long as the dataset (and is dropped
/// after it: fields drop in order).
struct Opened {
    ds: Dataset,
    _copy: Option<RestoredCopy>,
}

fn is_connection_string(path: &Path) -> bool {
    path.to_str()
        .is_some_and(|s| s.starts_with("PG:") || s.starts_with("MySQL:") || s.starts_with("ODBC:"))
}

/// Opens a source for reading. Drivers that can recode text are asked not
/// to, so the bytes reach us as stored.
fn open(path: &Path) -> Result<Opened, IoError> {
    if !is_connection_string(path) && !path.exists() {
        return Err(IoError::NotFound {
            path: path.to_path_buf(),
        });
    }
    let open_error = |e: gdal::errors::GdalError| IoError::Open {
        path: path.to_path_buf(),
        reason: gdal_messages::without_path(
            &gdal_messages::reason(&e, "GDAL does not recognise it as a file it reads"),
            path,
        ),
    };
    let copy = if shx_restore::is_missing_shx(path) {
        Some(
            shx_restore::copy_for_restore(path).map_err(|e| IoError::Open {
                path: path.to_path_buf(),
                reason: format!(
                    "its .shx is missing and a temporary copy to rebuild it failed: {e}"
                ),
            })?,
        )
    } else {
        None
    };
    let read_path = copy.as_ref().map_or(path, |c| c.shp.as_path());
    // Block references of a drawing come in as points carrying the block
    // name (a tree, a pole symbol), not exploded into their line work.
    let _ = gdal::config::set_thread_local_config_option("DXF_INLINE_BLOCKS", "FALSE");
    // Only ever set for the temporary copy: GDAL writes the rebuilt .shx.
    let restore = if copy.is_some() { "YES" } else { "NO" };
    let _ = gdal::config::set_thread_local_config_option("SHAPE_RESTORE_SHX", restore);
    let open_ex = |open_options: Option<&[&str]>| {
        Dataset::open_ex(
            read_path,
            DatasetOptions {
                // Verbose: an unrecognised file gets GDAL's reason, not "".
                open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_VERBOSE_ERROR,
                open_options,
                ..Default::default()
            },
        )
    };
    let opened = open_ex(None).map_err(open_error).and_then(|probe| {
        let driver = probe.driver();
        let mut open_options = Vec::new();
        if driver
            .metadata_item("DMD_OPENOPTIONLIST", "")
            .is_some_and(|list| list.contains("name='ENCODING'"))
        {
            open_options.push("ENCODING=");
        }
        if driver.short_name() == "CSV" {
            // Numbers and dates as such, not as text.
            open_options.push("AUTODETECT_TYPE=YES");
        }
        if open_options.is_empty() {
            return Ok(probe);
        }
        drop(probe);
        open_ex(Some(&open_options)).map_err(open_error)
    });
    let _ = gdal::config::clear_thread_local_config_option("SHAPE_RESTORE_SHX");
    Ok(Opened {
        ds: opened?,
        _copy: copy,
    })
}

fn field_kind(t: OGRFieldType::Type) -> SourceFieldKind {
    match t {
        OGRFieldType::OFTInteger | OGRFieldType::OFTInteger64 => SourceFieldKind::Integer,
        OGRFieldType::OFTReal => SourceFieldKind::Real,
        OGRFieldType::OFTDate => SourceFieldKind::Date,
        OGRFieldType::OFTDateTime => SourceFieldKind::DateTime,
        OGRFieldType::OFTBinary => SourceFieldKind::Binary,
        _ => SourceFieldKind::Text,
    }
}

/// The base WKB type of an OGR type code, ignoring Z/M and curve variants.
fn base_code(ogr: u32) -> u32 {
    let flat = unsafe { gdal_sys::OGR_GT_Flatten(ogr) };
    // Surfaces of faces are read as MultiPolygons (see source_geometry).
    if matches!(
        flat,
        gdal_sys::OGRwkbGeometryType::wkbPolyhedralSurface
            | gdal_sys::OGRwkbGeometryType::wkbTIN
            | gdal_sys::OGRwkbGeometryType::wkbTriangle
    ) {
        return 6;
    }
    let linear = unsafe { gdal_sys::OGR_GT_GetLinear(flat) };
    if (1..=7).contains(&linear) { linear } else { 0 }
}

fn layer_crs(layer: &gdal::vector::Layer<'_>) -> SourceCrs {
    let Some(srs) = layer.spatial_ref() else {
        return SourceCrs::Unknown;
    };
    if let Ok(code) = srs.auth_code()
        && srs
            .auth_name()
            .is_some_and(|a| a.eq_ignore_ascii_case("EPSG"))
    {
        return SourceCrs::Epsg(code);
    }
    // A .prj written by ArcGIS or MapInfo rarely carries its EPSG code: let
    // PROJ's database find the CRS it describes.
    let wkt = srs.to_wkt().unwrap_or_default();
    match crate::crs::identify_epsg(&wkt) {
        Some(code) => SourceCrs::Epsg(code),
        None if wkt.is_empty() => SourceCrs::Unknown,
        None => SourceCrs::Wkt(wkt),
    }
}

/// The encoding a file declares: for a Shapefile or DBF its `.cpg` file,
/// else the language-driver id at byte 29 of the DBF header; for MapInfo the
/// `!charset` line of a .tab or the `Charset` line of a .mif.
fn declared_encoding(path: &Path) -> Option<TextEncoding> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "shp" | "dbf" => {
            let beside = |ext: &str| {
                [ext.to_string(), ext.to_ascii_uppercase()]
                    .iter()
                    .map(|e| path.with_extension(e))
                    .find(|p| p.exists())
            };
            // A .cpg naming a code page WHATWG lacks (437, OEM) falls back to the LDID.
            let cpg = beside("cpg").and_then(|p| std::fs::read(p).ok());
            if let Some(e) = cpg.and_then(|t| TextEncoding::from_name(&String::from_utf8_lossy(&t)))
            {
                return Some(e);
            }
            let mut header = [0u8; 32];
            let mut dbf = std::fs::File::open(beside("dbf")?).ok()?;
            std::io::Read::read_exact(&mut dbf, &mut header).ok()?;
            TextEncoding::from_ldid(header[29])
        }
        "tab" | "mif" => {
            let bytes = std::fs::read(path).ok()?;
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).into_owned();
            let charset = text.lines().find_map(|l| {
                let l = l.trim_start();
                let lower = l.to_ascii_lowercase();
                (lower.starts_with("!charset") || lower.starts_with("charset "))
                    .then(|| l.split_whitespace().nth(1))
                    .flatten()
            })?;
            TextEncoding::from_mapinfo_charset(charset)
        }
        _ => None,
    }
}

/// Lists the layers of a source with their fields, CRS and counts.
pub fn inspect(path: &Path) -> Result<SourceInfo, IoError> {
    let opened = open(path)?;
    let ds = &opened.ds;
    let driver = ds.driver().short_name();
    let mut layers = Vec::new();
    let mut recoded_by_gdal = false;
    for (index, mut layer) in ds.layers().enumerate() {
        // SAFETY: the layer handle is live for this call; the name is a C literal.
        recoded_by_gdal |= driver == "MapInfo File"
            && unsafe {
                gdal_sys::OGR_L_TestCapability(layer.c_layer(), c"StringsAsUTF8".as_ptr())
            } != 0;
        let defn = layer.defn();
        let fields = defn
            .fields()
            .map(|f| SourceField {
                name: f.name(),
                kind: field_kind(f.field_type()),
            })
            .collect();
        let geometry_code = defn.geom_fields().next().map(|g| base_code(g.field_type()));
        let dims = layer_dims(&mut layer, 1000);
        layers.push(SourceLayer {
            index,
            name: layer.name(),
            geometry_code,
            dims,
            feature_count: layer.try_feature_count(),
            fields,
            crs: layer_crs(&layer),
        });
    }
    Ok(SourceInfo {
        path: path.to_path_buf(),
        driver,
        layers,
        declared_encoding: declared_encoding(path),
        recoded_by_gdal,
        notes: opened
            ._copy
            .as_ref()
            .map(|_| shx_restore::note(path))
            .into_iter()
            .collect(),
    })
}

/// Reads one value of a feature without any recoding of text.
fn raw_value(feature: &gdal::vector::Feature<'_>, index: usize, kind: SourceFieldKind) -> RawValue {
    let i = index as i32;
    // SAFETY: `feature` owns a live OGRFeatureH and `index` is below its
    // field count; strings GDAL returns are copied before the next call.
    unsafe {
        let h = feature.c_feature();
        if gdal_sys::OGR_F_IsFieldSetAndNotNull(h, i) == 0 {
            return RawValue::Null;
        }
        match kind {
            SourceFieldKind::Integer => {
                RawValue::Integer(gdal_sys::OGR_F_GetFieldAsInteger64(h, i))
            }
            SourceFieldKind::Real => RawValue::Real(gdal_sys::OGR_F_GetFieldAsDouble(h, i)),
            SourceFieldKind::Date | SourceFieldKind::DateTime => {
                let (mut y, mut m, mut d, mut hh, mut mm, mut tz) = (0, 0, 0, 0, 0, 0);
                let mut ss = 0f32;
                if gdal_sys::OGR_F_GetFieldAsDateTimeEx(
                    h, i, &mut y, &mut m, &mut d, &mut hh, &mut mm, &mut ss, &mut tz,
                ) == 0
                {
                    return RawValue::Null;
                }
                if kind == SourceFieldKind::Date {
                    RawValue::Date(format!("{y:04}-{m:02}-{d:02}"))
                } else {
                    RawValue::DateTime(format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:06.3}Z"))
                }
            }
            SourceFieldKind::Binary => {
                let mut n = 0;
                let p = gdal_sys::OGR_F_GetFieldAsBinary(h, i, &mut n);
                RawValue::Binary(if p.is_null() {
                    vec![]
                } else {
                    std::slice::from_raw_parts(p, n as usize).to_vec()
                })
            }
            SourceFieldKind::Text => {
                let p = gdal_sys::OGR_F_GetFieldAsString(h, i);
                RawValue::Text(if p.is_null() {
                    vec![]
                } else {
                    CStr::from_ptr(p).to_bytes().to_vec()
                })
            }
        }
    }
}

/// Streams the rows of one layer of a source.
pub fn read_layer(
    path: &Path,
    layer_index: usize,
    mut visit: impl FnMut(RawFeature) -> ControlFlow<()>,
) -> Result<(), IoError> {
    let opened = open(path)?;
    let mut layer = opened.ds.layer(layer_index).map_err(|e| IoError::Open {
        path: path.to_path_buf(),
        reason: gdal_messages::reason(&e, "the layer cannot be read"),
    })?;
    let kinds: Vec<SourceFieldKind> = layer
        .defn()
        .fields()
        .map(|f| field_kind(f.field_type()))
        .collect();
    let mut features = layer.features();
    let mut row = 0u64;
    // GDAL's messages while a row is read and loaded name that row.
    let result = loop {
        row += 1;
        gdal_messages::at_row(Some(row));
        let Some(feature) = features.next() else {
            break Ok(());
        };
        // SAFETY: the feature owns its geometry, alive for this iteration.
        let geometry = unsafe { iso_wkb(gdal_sys::OGR_F_GetGeometryRef(feature.c_feature())) };
        let (wkb, conversion) = match geometry {
            None => (None, None),
            Some(Ok((wkb, conversion))) => (Some(Ok(wkb)), conversion),
            Some(Err(e)) => (Some(Err(e)), None),
        };
        let values = kinds
            .iter()
            .enumerate()
            .map(|(i, k)| raw_value(&feature, i, *k))
            .collect();
        if visit(RawFeature {
            row,
            wkb,
            conversion,
            values,
        })
        .is_break()
        {
            break Ok(());
        }
    };
    gdal_messages::at_row(None);
    result
}
