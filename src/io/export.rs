//! Exporting a layer (or a selection of it) to the formats other programs
//! and agencies ask for, reprojected on the way. Files are written in a
//! temporary directory beside the destination and moved into place only
//! when complete, so a failed export leaves no half-written file.

use std::ffi::CString;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use gdal::DriverManager;
use gdal::spatial_ref::SpatialRef;
use gdal::vector::{
    Feature as GdalFeature, FieldDefn, Geometry as GdalGeometry, LayerAccess, LayerOptions,
    OGRFieldType,
};

use super::IoError;
use super::encoding::TextEncoding;
use crate::crs::{Crs, Transformer, WGS84};
use crate::gpkg::{GeoPackage, Query};
use crate::jobs::Progress;
use crate::model::{Feature, FieldType, FieldValue, GeometryType, Schema};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    GeoPackage,
    Shapefile,
    /// RFC 7946: always WGS 84 longitude/latitude.
    GeoJson,
    Kml,
    Dxf,
    Csv,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 6] = [
        ExportFormat::GeoPackage,
        ExportFormat::Shapefile,
        ExportFormat::GeoJson,
        ExportFormat::Kml,
        ExportFormat::Dxf,
        ExportFormat::Csv,
    ];

    fn driver(self) -> &'static str {
        match self {
            ExportFormat::GeoPackage => "GPKG",
            ExportFormat::Shapefile => "ESRI Shapefile",
            ExportFormat::GeoJson => "GeoJSON",
            ExportFormat::Kml => "KML",
            ExportFormat::Dxf => "DXF",
            ExportFormat::Csv => "CSV",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::GeoPackage => "gpkg",
            ExportFormat::Shapefile => "shp",
            ExportFormat::GeoJson => "geojson",
            ExportFormat::Kml => "kml",
            ExportFormat::Dxf => "dxf",
            ExportFormat::Csv => "csv",
        }
    }

    /// The format a file name asks for.
    pub fn from_path(path: &Path) -> Option<ExportFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        ExportFormat::ALL
            .into_iter()
            .find(|f| f.extension() == ext || (ext == "json" && *f == ExportFormat::GeoJson))
    }

    /// Formats whose specification fixes the CRS.
    fn fixed_crs(self) -> Option<i32> {
        matches!(self, ExportFormat::GeoJson | ExportFormat::Kml).then_some(WGS84)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExportOptions {
    pub layer: String,
    pub out: PathBuf,
    pub format: ExportFormat,
    /// CRS of the output; None keeps the layer's (GeoJSON and KML are
    /// always WGS 84).
    pub target_crs: Option<i32>,
    /// Only these features (a selection); None for all.
    pub fids: Option<Vec<i64>>,
    /// For Shapefiles read by old software: text in another encoding than
    /// UTF-8: TCVN3, VNI, Windows-1258 (no .cpg is written, as old software
    /// wrote none) or any WHATWG one (its name goes into the .cpg).
    pub encoding: Option<TextEncoding>,
}

impl ExportOptions {
    pub fn new(layer: &str, out: impl Into<PathBuf>) -> Result<Self, IoError> {
        let out = out.into();
        let format = ExportFormat::from_path(&out).ok_or_else(|| IoError::Write {
            path: out.clone(),
            reason: "unknown file type; use .gpkg, .shp, .geojson, .kml, .dxf or .csv".into(),
        })?;
        Ok(ExportOptions {
            layer: layer.to_string(),
            out,
            format,
            target_crs: None,
            fids: None,
            encoding: None,
        })
    }
}

fn write_error(path: &Path, e: impl std::fmt::Display) -> IoError {
    IoError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// What an export wrote, and what GDAL had to say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportReport {
    pub written: u64,
    /// GDAL's and PROJ's warnings, each naming the output file once.
    pub warnings: Vec<String>,
}

/// Exports; returns the number of features written (GDAL's warnings, if
/// any, are in [`export_layer_report`]'s report).
pub fn export_layer(
    gpkg: &GeoPackage,
    options: &ExportOptions,
    progress: &Progress,
) -> Result<u64, IoError> {
    export_layer_report(gpkg, options, progress).map(|r| r.written)
}

/// Exports; GDAL's messages go into the report instead of stderr.
pub fn export_layer_report(
    gpkg: &GeoPackage,
    options: &ExportOptions,
    progress: &Progress,
) -> Result<ExportReport, IoError> {
    let capture = super::gdal_messages::Capture::start();
    let written = export_to_file(gpkg, options, progress)?;
    let context = format!("{}, layer '{}'", options.out.display(), options.layer);
    Ok(ExportReport {
        written,
        warnings: capture.lines(&context),
    })
}

fn export_to_file(
    gpkg: &GeoPackage,
    options: &ExportOptions,
    progress: &Progress,
) -> Result<u64, IoError> {
    let info = gpkg.layer(&options.layer)?;
    // The layer's own CRS (its srs_id is only a key into the workspace's
    // gpkg_spatial_ref_sys), unless the format or the user asks for another.
    let crs = match options.format.fixed_crs().or(options.target_crs) {
        Some(code) => Crs::Epsg(code),
        None => info.crs.clone(),
    };
    let transformer = (crs != info.crs)
        .then(|| Transformer::between(&info.crs, &crs))
        .transpose()?;
    let out = &options.out;
    if out.exists() {
        return Err(write_error(
            out,
            "the file exists; choose another name or delete it first",
        ));
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let staging = parent.join(format!(".tramgis-export-{}", std::process::id()));
    std::fs::create_dir_all(&staging).map_err(|e| write_error(out, e))?;
    let staged = staging.join(
        out.file_name()
            .ok_or_else(|| write_error(out, "no file name"))?,
    );
    progress.set_total(match &options.fids {
        Some(f) => f.len() as u64,
        None => gpkg.count_features(&options.layer, None)?,
    });
    let result = write(
        gpkg,
        options,
        &info.schema,
        &crs,
        transformer.as_ref(),
        &staged,
        progress,
    )
    .and_then(|n| {
        // Move every file the driver wrote (a Shapefile is several).
        for entry in std::fs::read_dir(&staging).map_err(|e| write_error(out, e))? {
            let entry = entry.map_err(|e| write_error(out, e))?;
            std::fs::rename(entry.path(), parent.join(entry.file_name()))
                .map_err(|e| write_error(out, e))?;
        }
        Ok(n)
    });
    let _ = std::fs::remove_dir_all(&staging);
    result
}

/// Streams the features to export, reprojected, to `sink`.
fn each_feature(
    gpkg: &GeoPackage,
    options: &ExportOptions,
    transformer: Option<&Transformer>,
    progress: &Progress,
    mut sink: impl FnMut(Feature) -> Result<(), IoError>,
) -> Result<u64, IoError> {
    let mut failure = None;
    let mut count = 0;
    let mut handle = |mut f: Feature| -> ControlFlow<()> {
        if progress.is_cancelled() {
            failure = Some(IoError::Cancelled);
            return ControlFlow::Break(());
        }
        if let (Some(t), Some(g)) = (transformer, f.geometry.as_mut())
            && let Err(e) = t.transform_geometry(g)
        {
            let fid = f.fid.map_or_else(|| "?".to_string(), |n| n.to_string());
            failure = Some(IoError::Mapping {
                path: gpkg.path().to_path_buf(),
                layer: options.layer.clone(),
                detail: format!("feature {fid}: {e}"),
            });
            return ControlFlow::Break(());
        }
        progress.advance(1);
        count += 1;
        match sink(f) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failure = Some(e);
                ControlFlow::Break(())
            }
        }
    };
    match &options.fids {
        Some(fids) => {
            for fid in fids {
                let f = gpkg.get_feature(&options.layer, *fid)?.ok_or_else(|| {
                    crate::gpkg::GpkgError::NoSuchFeature {
                        path: gpkg.path().to_path_buf(),
                        layer: options.layer.clone(),
                        fid: *fid,
                    }
                })?;
                if handle(f).is_break() {
                    break;
                }
            }
        }
        None => {
            gpkg.read_features(&options.layer, &Query::default(), handle)?;
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(count),
    }
}

fn write(
    gpkg: &GeoPackage,
    options: &ExportOptions,
    schema: &Schema,
    crs: &Crs,
    transformer: Option<&Transformer>,
    staged: &Path,
    progress: &Progress,
) -> Result<u64, IoError> {
    if options.format == ExportFormat::GeoPackage {
        return write_geopackage(gpkg, options, schema, crs, transformer, staged, progress);
    }
    let driver = DriverManager::get_driver_by_name(options.format.driver())
        .map_err(|e| write_error(staged, e))?;
    let mut ds = driver
        .create_vector_only(staged)
        .map_err(|e| write_error(staged, e))?;
    // A CRS without an EPSG code goes out as its definition (a .prj of its
    // WKT); a layer without a CRS, without one.
    let srs = match crs {
        Crs::Epsg(code) => Some(SpatialRef::from_epsg(*code as u32)),
        Crs::Definition { text, .. } => Some(SpatialRef::from_definition(text)),
        Crs::Undefined { .. } => None,
    }
    .transpose()
    .map_err(|e| write_error(staged, e))?;
    let mut srs = srs;
    if let Some(srs) = &mut srs {
        // Axis order as stored: x = easting/longitude, as GeoJSON and KML expect.
        srs.set_axis_mapping_strategy(gdal::spatial_ref::AxisMappingStrategy::TraditionalGisOrder);
    }
    // RFC 7946 and KML have no M: measures stay in the workspace.
    let keep_m = !matches!(options.format, ExportFormat::GeoJson | ExportFormat::Kml);
    let base_type = match schema.geometry_type {
        GeometryType::Geometry => gdal_sys::OGRwkbGeometryType::wkbUnknown,
        // Curves are written as the chords tramgis reads them as.
        t => t.linear().wkb_code(),
    };
    // SAFETY: a pure function of the type code.
    let ogr_type = unsafe {
        gdal_sys::OGR_GT_SetModifier(
            base_type,
            i32::from(schema.has_z),
            i32::from(schema.has_m && keep_m),
        )
    };
    let layer_options: Vec<&str> = match options.format {
        ExportFormat::Shapefile if options.encoding.is_some_and(|e| e != TextEncoding::Utf8) => {
            vec!["ENCODING="]
        }
        ExportFormat::Shapefile => vec!["ENCODING=UTF-8"],
        // 7 decimals of a degree: within 1 cm (RFC 7946's default, stated
        // so no other default can round a parcel corner further).
        ExportFormat::GeoJson => vec!["RFC7946=YES", "COORDINATE_PRECISION=7"],
        ExportFormat::Csv if schema.geometry_type == GeometryType::Point => vec!["GEOMETRY=AS_XY"],
        ExportFormat::Csv => vec!["GEOMETRY=AS_WKT"],
        _ => vec![],
    };
    let name = options
        .out
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(&options.layer)
        .to_string();
    let layer = ds
        .create_layer(LayerOptions {
            name: &name,
            srs: srs.as_ref(),
            ty: ogr_type,
            options: Some(&layer_options),
        })
        .map_err(|e| write_error(staged, e))?;
    // DXF carries no attribute table; the other formats get every field
    // they can hold.
    let fields: Vec<(usize, FieldType)> = if options.format == ExportFormat::Dxf {
        vec![]
    } else {
        schema
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                !(f.field_type == FieldType::Blob && options.format == ExportFormat::Shapefile)
            })
            .map(|(i, f)| (i, f.field_type))
            .collect()
    };
    for (i, ty) in &fields {
        let ogr = match ty {
            FieldType::Integer | FieldType::Boolean => OGRFieldType::OFTInteger64,
            FieldType::Real => OGRFieldType::OFTReal,
            FieldType::Text => OGRFieldType::OFTString,
            FieldType::Date => OGRFieldType::OFTDate,
            FieldType::DateTime => OGRFieldType::OFTDateTime,
            FieldType::Blob => OGRFieldType::OFTBinary,
        };
        let defn =
            FieldDefn::new(&schema.fields[*i].name, ogr).map_err(|e| write_error(staged, e))?;
        if options.format == ExportFormat::Shapefile && *ty == FieldType::Text {
            defn.set_width(254);
        }
        defn.add_to_layer(&layer)
            .map_err(|e| write_error(staged, e))?;
    }
    let count = each_feature(gpkg, options, transformer, progress, |f| {
        let mut out = GdalFeature::new(layer.defn()).map_err(|e| write_error(staged, e))?;
        if let Some(g) = &f.geometry {
            let mut blob = Vec::new();
            let mut zm = f.zm.clone();
            if !keep_m {
                zm.dims.m = false;
                zm.m.clear();
            }
            crate::gpkg::geom::encode_zm(g, 0, &zm, &mut blob).map_err(|e| {
                let fid = f.fid.map_or_else(|| "?".to_string(), |n| n.to_string());
                write_error(staged, format!("feature {fid}: {e}"))
            })?;
            let header =
                crate::gpkg::geom::read_header(&blob).expect("a blob we just wrote parses");
            let gdal_geometry =
                GdalGeometry::from_wkb(&blob[header.len..]).map_err(|e| write_error(staged, e))?;
            out.set_geometry(gdal_geometry)
                .map_err(|e| write_error(staged, e))?;
        }
        for (k, (i, _)) in fields.iter().enumerate() {
            set_value(&out, k, &f.values[*i], options.encoding)
                .map_err(|e| write_error(staged, e))?;
        }
        out.create(&layer).map_err(|e| write_error(staged, e))
    })?;
    ds.close().map_err(|e| write_error(staged, e))?;
    if options.format == ExportFormat::Shapefile
        && let Some(TextEncoding::Whatwg(e)) = options.encoding
    {
        let cpg = staged.with_extension("cpg");
        std::fs::write(&cpg, e.name()).map_err(|err| write_error(&cpg, err))?;
    }
    Ok(count)
}

/// Sets one field through the C API: text goes in as bytes (UTF-8, or a
/// legacy encoding for old Shapefile readers), dates without a time zone
/// conversion.
fn set_value(
    feature: &GdalFeature<'_>,
    index: usize,
    value: &FieldValue,
    encoding: Option<TextEncoding>,
) -> Result<(), String> {
    let i = index as i32;
    // SAFETY: the feature handle is live and `index` is a field of its
    // definition; the CString outlives the call, which copies it.
    unsafe {
        let h = feature.c_feature();
        match value {
            FieldValue::Null => gdal_sys::OGR_F_SetFieldNull(h, i),
            FieldValue::Integer(v) => gdal_sys::OGR_F_SetFieldInteger64(h, i, *v),
            FieldValue::Boolean(b) => gdal_sys::OGR_F_SetFieldInteger64(h, i, i64::from(*b)),
            FieldValue::Real(v) => gdal_sys::OGR_F_SetFieldDouble(h, i, *v),
            FieldValue::Text(s) => {
                let bytes = match encoding {
                    Some(enc) => enc.encode(s)?,
                    None => s.as_bytes().to_vec(),
                };
                let c = CString::new(bytes)
                    .map_err(|_| format!("text {s:?} contains a NUL character"))?;
                gdal_sys::OGR_F_SetFieldString(h, i, c.as_ptr());
            }
            FieldValue::Date(d) | FieldValue::DateTime(d) => {
                let n = |a: usize, b: usize| {
                    d.get(a..b).and_then(|s| s.parse::<i32>().ok()).unwrap_or(0)
                };
                let seconds = d
                    .get(17..)
                    .map(|s| s.trim_end_matches('Z'))
                    .and_then(|s| s.parse::<f32>().ok())
                    .unwrap_or(0.0);
                let tz = if matches!(value, FieldValue::DateTime(_)) {
                    100
                } else {
                    0
                };
                gdal_sys::OGR_F_SetFieldDateTimeEx(
                    h,
                    i,
                    n(0, 4),
                    n(5, 7),
                    n(8, 10),
                    n(11, 13),
                    n(14, 16),
                    seconds,
                    tz,
                );
            }
            FieldValue::Blob(b) => {
                gdal_sys::OGR_F_SetFieldBinary(h, i, b.len() as i32, b.as_ptr() as *const _)
            }
        }
    }
    Ok(())
}

/// GeoPackage goes through our own store: the same spec-exact file, with
/// spatial index, styles table and journal, as the workspace.
fn write_geopackage(
    gpkg: &GeoPackage,
    options: &ExportOptions,
    schema: &Schema,
    crs: &Crs,
    transformer: Option<&Transformer>,
    staged: &Path,
    progress: &Progress,
) -> Result<u64, IoError> {
    let info = gpkg.layer(&options.layer)?;
    let mut out = GeoPackage::create(staged)?;
    let mut out_schema = schema.clone();
    let mut writer = out.bulk_load("export")?;
    out_schema.srs_id = match crs {
        Crs::Epsg(code) => *code,
        Crs::Definition { name, text, .. } => writer.custom_srs(name, text)?,
        Crs::Undefined { geographic: true } => 0,
        Crs::Undefined { geographic: false } => -1,
    };
    writer.create_layer(&options.layer, &out_schema, &info.meta)?;
    let mut failure = None;
    let count = each_feature(gpkg, options, transformer, progress, |mut f| {
        f.fid = None;
        writer.add(f).map(|_| ()).map_err(|e| {
            let msg = e.to_string();
            failure.get_or_insert(e);
            write_error(staged, msg)
        })
    })?;
    writer.finish()?;
    if let Some(style) = gpkg.default_style(&options.layer)? {
        out.save_style(&options.layer, &style)?;
    }
    out.checkpoint()?;
    Ok(count)
}
