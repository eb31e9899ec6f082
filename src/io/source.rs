//! Reading any vector source GDAL opens, with the attribute text kept as raw
//! bytes: legacy Vietnamese encodings (TCVN3, VNI) are unknown to GDAL, so
//! text is decoded here, not by GDAL's recoding.

use std::ffi::CStr;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use gdal::vector::{Geometry as GdalGeometry, LayerAccess, OGRFieldType};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags, Metadata};

use super::IoError;
use super::encoding::LegacyEncoding;

/// How attribute text is encoded in a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Legacy(LegacyEncoding),
}

impl TextEncoding {
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Legacy(l) => l.label(),
        }
    }

    /// Reads a name as given on the command line or in a .cpg file.
    pub fn from_name(name: &str) -> Option<TextEncoding> {
        let n = name.trim().to_ascii_lowercase().replace(['-', '_'], "");
        if n == "utf8" || n == "65001" {
            return Some(TextEncoding::Utf8);
        }
        LegacyEncoding::from_name(name.trim()).map(TextEncoding::Legacy)
    }
}

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
    pub feature_count: Option<u64>,
    pub fields: Vec<SourceField>,
    pub crs: SourceCrs,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceInfo {
    pub path: PathBuf,
    pub driver: String,
    pub layers: Vec<SourceLayer>,
    /// From a .cpg file or a MapInfo `!charset` line, when there is one.
    pub declared_encoding: Option<TextEncoding>,
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

/// One source row: its 1-based position, its geometry as ISO WKB (curves
/// already linearised; an error when GDAL could not export it) and its
/// values in field order.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFeature {
    pub row: u64,
    pub wkb: Option<Result<Vec<u8>, String>>,
    pub values: Vec<RawValue>,
}

fn is_connection_string(path: &Path) -> bool {
    path.to_str()
        .is_some_and(|s| s.starts_with("PG:") || s.starts_with("MySQL:") || s.starts_with("ODBC:"))
}

/// Opens a source for reading. Drivers that can recode text are asked not
/// to, so the bytes reach us as stored.
fn open(path: &Path) -> Result<Dataset, IoError> {
    if !is_connection_string(path) && !path.exists() {
        return Err(IoError::NotFound {
            path: path.to_path_buf(),
        });
    }
    // Block references of a drawing come in as points carrying the block
    // name (a tree, a pole symbol), not exploded into their line work.
    let _ = gdal::config::set_thread_local_config_option("DXF_INLINE_BLOCKS", "FALSE");
    let probe = Dataset::open_ex(
        path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR,
            ..Default::default()
        },
    )
    .map_err(|e| IoError::Open {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
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
    Dataset::open_ex(
        path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR,
            open_options: Some(&open_options),
            ..Default::default()
        },
    )
    .map_err(|e| IoError::Open {
        path: path.to_path_buf(),
        reason: e.to_string(),
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

/// The encoding a file declares beside itself: `x.cpg` for a Shapefile,
/// the `!charset` line of a MapInfo .tab/.mif.
fn declared_encoding(path: &Path) -> Option<TextEncoding> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "shp" | "dbf" => {
            let cpg = std::fs::read_to_string(path.with_extension("cpg"))
                .or_else(|_| std::fs::read_to_string(path.with_extension("CPG")))
                .ok()?;
            TextEncoding::from_name(cpg.trim())
        }
        "tab" | "mif" => {
            let bytes = std::fs::read(path).ok()?;
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).into_owned();
            let line = text
                .lines()
                .find(|l| l.trim_start().to_ascii_lowercase().starts_with("!charset"))?;
            let charset = line.split_whitespace().nth(1)?.trim_matches('"');
            match charset.to_ascii_lowercase().as_str() {
                "utf-8" | "utf8" => Some(TextEncoding::Utf8),
                "windowsvietnamese" => Some(TextEncoding::Legacy(LegacyEncoding::Windows1258)),
                other => TextEncoding::from_name(other),
            }
        }
        _ => None,
    }
}

/// Lists the layers of a source with their fields, CRS and counts.
pub fn inspect(path: &Path) -> Result<SourceInfo, IoError> {
    let ds = open(path)?;
    let driver = ds.driver().short_name();
    let mut layers = Vec::new();
    for (index, layer) in ds.layers().enumerate() {
        let defn = layer.defn();
        let fields = defn
            .fields()
            .map(|f| SourceField {
                name: f.name(),
                kind: field_kind(f.field_type()),
            })
            .collect();
        let geometry_code = defn.geom_fields().next().map(|g| base_code(g.field_type()));
        layers.push(SourceLayer {
            index,
            name: layer.name(),
            geometry_code,
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
    })
}

/// ISO WKB of a GDAL geometry, curves turned into line segments first.
fn iso_wkb(g: &GdalGeometry) -> Result<Vec<u8>, String> {
    // SAFETY: the handle belongs to `g`, alive for this call; the linear copy
    // GDAL makes is owned here and destroyed after export.
    unsafe {
        let h = g.c_geometry();
        if gdal_sys::OGR_G_HasCurveGeometry(h, 1) != 0 {
            let linear = gdal_sys::OGR_G_GetLinearGeometry(h, 0.0, std::ptr::null_mut());
            if linear.is_null() {
                return Err("GDAL cannot turn its curves into lines".into());
            }
            let size = gdal_sys::OGR_G_WkbSize(linear) as usize;
            let mut buf = vec![0u8; size];
            let rc = gdal_sys::OGR_G_ExportToIsoWkb(
                linear,
                gdal_sys::OGRwkbByteOrder::wkbNDR,
                buf.as_mut_ptr(),
            );
            gdal_sys::OGR_G_DestroyGeometry(linear);
            return if rc == gdal_sys::OGRErr::OGRERR_NONE {
                Ok(buf)
            } else {
                Err(format!("GDAL cannot export the geometry (error {rc})"))
            };
        }
    }
    g.iso_wkb().map_err(|e| e.to_string())
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
    let ds = open(path)?;
    let mut layer = ds.layer(layer_index).map_err(|e| IoError::Open {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let kinds: Vec<SourceFieldKind> = layer
        .defn()
        .fields()
        .map(|f| field_kind(f.field_type()))
        .collect();
    for (row, feature) in layer.features().enumerate() {
        let wkb = feature.geometry().filter(|g| !g.is_empty()).map(iso_wkb);
        let values = kinds
            .iter()
            .enumerate()
            .map(|(i, k)| raw_value(&feature, i, *k))
            .collect();
        if visit(RawFeature {
            row: row as u64 + 1,
            wkb,
            values,
        })
        .is_break()
        {
            break;
        }
    }
    Ok(())
}
