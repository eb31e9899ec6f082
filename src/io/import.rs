//! Importing a source layer into the workspace: the plan (encoding, CRS,
//! target layers, field mapping) is resolved first, so the dialog can show
//! it and a preview; then one bulk load, all or nothing. Rows that cannot be
//! stored are skipped and each one is reported with file, layer, row, field
//! and reason; nothing is dropped silently.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use geo_types::{Geometry, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};

use super::IoError;
use super::encoding::{self, Detection};
use super::gdal_messages::Capture;
use super::source::{
    self, RawFeature, RawValue, SourceCrs, SourceFieldKind, SourceInfo, SourceLayer, TextEncoding,
};
use super::text::{MojibakeFields, Replaced, TextDecoder, TextReport, mojibake_fields};
use super::values::{convert, convert_with, decode_text};
use super::zm_fit::ZmTally;
use crate::crs::{Crs, Transformer, VN2000_TM3_107, WGS84};
use crate::gpkg::geom::{Dims, ZmValues};
use crate::gpkg::{BulkWriter, GeoPackage, LayerMeta};
use crate::jobs::Progress;
use crate::model::landuse::landuse_code;
use crate::model::{Feature, Field, FieldType, FieldValue, GeometryType, Schema};

/// Where the features go.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A new layer (for CAD drawings: `NAME_points`, `NAME_lines`,
    /// `NAME_polygons`, each created when it gets its first feature).
    New {
        name: String,
        meta: LayerMeta,
    },
    Existing(String),
}

/// One source field into one target field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMap {
    pub source: String,
    pub target: String,
    /// The type of a new layer's field (ignored for existing layers).
    pub field_type: FieldType,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportOptions {
    pub source: PathBuf,
    /// Source layer; None for the first.
    pub layer: Option<String>,
    pub target: Target,
    /// Source CRS, overriding (or standing in for a missing) .prj.
    pub src_crs: Option<i32>,
    /// CRS of a new layer (existing layers keep theirs).
    pub target_crs: i32,
    /// Give a new layer the source's own CRS instead of `target_crs` (one
    /// without an EPSG code is stored as a custom gpkg_spatial_ref_sys row).
    pub keep_source_crs: bool,
    /// Text encoding; None to use the declared one or detect it.
    pub encoding: Option<TextEncoding>,
    /// Import even if decoding the text replaced characters with U+FFFD
    /// (they are counted in the report); otherwise such an import is refused.
    pub accept_replacements: bool,
    /// Repair Vietnamese mojibake (TCVN3/VNI text once read as Latin-1).
    pub repair_mojibake: bool,
    /// Field mapping; None maps every field by name.
    pub mapping: Option<Vec<FieldMap>>,
    /// X and Y (or longitude and latitude) fields of a table without
    /// geometry; None to look for the usual names.
    pub xy_fields: Option<(String, String)>,
}

impl ImportOptions {
    pub fn new(source: impl Into<PathBuf>, target: Target) -> Self {
        ImportOptions {
            source: source.into(),
            layer: None,
            target,
            src_crs: None,
            target_crs: VN2000_TM3_107,
            keep_source_crs: false,
            encoding: None,
            accept_replacements: false,
            repair_mojibake: true,
            mapping: None,
            xy_fields: None,
        }
    }
}

/// How the text encoding was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingChoice {
    Given,
    Declared,
    Detected,
    Default,
}

/// Everything decided before the first row is loaded.
#[derive(Debug, Clone)]
pub struct Plan {
    pub info: SourceInfo,
    pub layer: SourceLayer,
    pub encoding: TextEncoding,
    pub encoding_choice: EncodingChoice,
    /// How sure the detection was (detected encodings only).
    pub encoding_confidence: Option<f32>,
    /// Fields whose sampled text is mostly mojibake; None when not repairing.
    pub mojibake: Option<MojibakeFields>,
    /// The declared encoding GDAL converted the text from, to be undone
    /// before decoding with another (MapInfo with a chosen encoding).
    pub recoded_from: Option<TextEncoding>,
    /// None for sources without geometry.
    pub src_crs: Option<Crs>,
    pub target_crs: Crs,
    /// Source field indexes holding X and Y.
    pub xy: Option<(usize, usize)>,
    /// (source field index, target field name, type) per mapped field.
    pub mapping: Vec<(usize, String, FieldType)>,
    pub target_geometry: GeometryType,
}

/// A row that was not imported.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub file: String,
    pub layer: String,
    pub row: u64,
    pub field: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportReport {
    pub file: String,
    pub layer: String,
    pub encoding: TextEncoding,
    pub encoding_choice: EncodingChoice,
    pub encoding_confidence: Option<f32>,
    /// Replacement characters counted and mojibake repaired.
    pub text: TextReport,
    /// The source's EPSG code, when it has one.
    pub src_crs: Option<i32>,
    /// The source CRS as shown to the user (a custom one by its name).
    pub src_crs_label: Option<String>,
    /// Features loaded per target layer.
    pub loaded: Vec<(String, u64)>,
    pub rejected: Vec<Rejection>,
    /// What the user should know about an import that went through (data
    /// outside the target CRS's area of use, GDAL's warnings).
    pub warnings: Vec<String>,
}

impl ImportReport {
    pub fn imported(&self) -> u64 {
        self.loaded.iter().map(|(_, n)| n).sum()
    }

    /// The rejected rows as CSV (file, layer, row, field, reason).
    pub fn to_csv(&self) -> String {
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let mut out = String::from("file,layer,row,field,reason\n");
        for r in &self.rejected {
            out.push_str(&format!(
                "{},{},{},{},{}\n",
                quote(&r.file),
                quote(&r.layer),
                r.row,
                quote(&r.field),
                quote(&r.reason)
            ));
        }
        out
    }
}

const X_NAMES: [&str; 9] = [
    "x",
    "lon",
    "long",
    "lng",
    "longitude",
    "kinh_do",
    "kinhdo",
    "kinh độ",
    "easting",
];
const Y_NAMES: [&str; 7] = ["y", "lat", "latitude", "vi_do", "vido", "vĩ độ", "northing"];
const GEOGRAPHIC_NAMES: [&str; 10] = [
    "lon",
    "long",
    "lng",
    "longitude",
    "kinh_do",
    "kinhdo",
    "kinh độ",
    "lat",
    "latitude",
    "vĩ độ",
];

fn find_field(layer: &SourceLayer, names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| {
        layer
            .fields
            .iter()
            .position(|f| f.name.trim().to_lowercase() == *n)
    })
}

fn field_type_of(kind: SourceFieldKind) -> FieldType {
    match kind {
        SourceFieldKind::Integer => FieldType::Integer,
        SourceFieldKind::Real => FieldType::Real,
        SourceFieldKind::Text => FieldType::Text,
        SourceFieldKind::Date => FieldType::Date,
        SourceFieldKind::DateTime => FieldType::DateTime,
        SourceFieldKind::Binary => FieldType::Blob,
    }
}

/// The text of the first rows, per row and field (None for other values):
/// what detection and the mojibake check look at.
type TextSamples = Vec<Vec<Option<Vec<u8>>>>;

fn sample_text(path: &Path, layer: usize) -> Result<TextSamples, IoError> {
    let mut samples = Vec::new();
    source::read_layer(path, layer, |f| {
        samples.push(
            f.values
                .into_iter()
                .map(|v| match v {
                    RawValue::Text(b) => Some(b),
                    _ => None,
                })
                .collect(),
        );
        if f.row >= 500 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    Ok(samples)
}

/// Guesses the encoding from sampled text; None when all of it is ASCII.
fn detect_encoding(samples: &TextSamples) -> Option<Detection> {
    let texts: Vec<&[u8]> = samples
        .iter()
        .flatten()
        .flatten()
        .map(Vec::as_slice)
        .filter(|b| !b.is_ascii())
        .collect();
    encoding::detect(&texts)
}

/// Resolves encoding, CRS, geometry and field mapping for an import.
pub fn plan(gpkg: &GeoPackage, options: &ImportOptions) -> Result<Plan, IoError> {
    // GDAL's warnings go to the import's capture when there is one (they are
    // passed outwards), else nowhere: reading the file again reports them.
    let _capture = Capture::start();
    let path = &options.source;
    let info = source::inspect(path)?;
    let layer = match &options.layer {
        Some(name) => info.layer(name).cloned(),
        // A drawing's own entities, not its block definitions.
        None if info.is_cad() => info.layer("entities").or(info.layers.first()).cloned(),
        None => info.layers.first().cloned(),
    }
    .ok_or_else(|| IoError::NoSuchLayer {
        path: path.clone(),
        layer: options.layer.clone().unwrap_or_default(),
        available: info
            .layers
            .iter()
            .map(|l| l.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    let mapping_error = |detail: String| IoError::Mapping {
        path: path.clone(),
        layer: layer.name.clone(),
        detail,
    };

    let has_text = layer.fields.iter().any(|f| f.kind == SourceFieldKind::Text);
    let samples = if has_text {
        sample_text(path, layer.index)?
    } else {
        Vec::new()
    };
    // What the user chose, else what the file declares, else detection.
    let (encoding, encoding_choice, encoding_confidence) =
        match (options.encoding, info.declared_encoding) {
            (Some(e), _) => (e, EncodingChoice::Given, None),
            // GDAL applied the declared charset already.
            (None, _) if info.recoded_by_gdal => {
                (TextEncoding::Utf8, EncodingChoice::Declared, None)
            }
            (None, Some(e)) => (e, EncodingChoice::Declared, None),
            (None, None) => match detect_encoding(&samples) {
                Some(d) => (d.encoding, EncodingChoice::Detected, Some(d.confidence)),
                None => (TextEncoding::Utf8, EncodingChoice::Default, None),
            },
        };
    let field_names: Vec<String> = layer.fields.iter().map(|f| f.name.clone()).collect();
    // A chosen encoding on text GDAL converted is applied to the original
    // bytes, which converting back gives.
    let recoded_from = info
        .recoded_by_gdal
        .then_some(info.declared_encoding)
        .flatten()
        .filter(|_| encoding != TextEncoding::Utf8);
    let mojibake = options
        .repair_mojibake
        .then(|| mojibake_fields(encoding, recoded_from, &field_names, &samples));

    let has_geometry =
        layer.geometry_code.is_some() && !matches!(info.driver.as_str(), "CSV" | "XLSX" | "ODS");
    let xy = if has_geometry {
        None
    } else {
        let named = |n: &str| layer.fields.iter().position(|f| f.name == n);
        match &options.xy_fields {
            Some((x, y)) => Some((
                named(x).ok_or_else(|| mapping_error(format!("no X field '{x}'")))?,
                named(y).ok_or_else(|| mapping_error(format!("no Y field '{y}'")))?,
            )),
            None => find_field(&layer, &X_NAMES).zip(find_field(&layer, &Y_NAMES)),
        }
    };
    if !has_geometry && xy.is_none() {
        return Err(mapping_error(
            "has no geometry and no X/Y or longitude/latitude columns; name them with --xy X,Y"
                .into(),
        ));
    }
    let src_crs = match (options.src_crs, &layer.crs, xy) {
        (Some(c), _, _) => Crs::Epsg(c),
        (None, SourceCrs::Epsg(c), _) => Crs::Epsg(*c),
        // A complete CRS without an EPSG code (a custom MapInfo CoordSys):
        // PROJ transforms from the definition itself.
        (None, SourceCrs::Wkt(wkt), _) => {
            Crs::from_definition(wkt).ok_or_else(|| IoError::UnknownCrs {
                path: path.clone(),
                layer: layer.name.clone(),
            })?
        }
        (None, SourceCrs::Unknown, Some((x, _)))
            if GEOGRAPHIC_NAMES.contains(&layer.fields[x].name.trim().to_lowercase().as_str()) =>
        {
            Crs::Epsg(WGS84)
        }
        (None, SourceCrs::Unknown, _) => {
            return Err(IoError::NoCrs {
                path: path.clone(),
                layer: layer.name.clone(),
            });
        }
    };

    let (target_crs, target_geometry, existing) = match &options.target {
        Target::Existing(name) => {
            let l = gpkg.layer(name)?;
            (l.crs.clone(), l.schema.geometry_type, Some(l))
        }
        Target::New { .. } => {
            let g = if xy.is_some() {
                GeometryType::Point
            } else {
                match layer.geometry_code.unwrap_or(0) {
                    // Shapefiles mix single and multi parts under one type.
                    3 if info.driver == "ESRI Shapefile" => GeometryType::MultiPolygon,
                    2 if info.driver == "ESRI Shapefile" => GeometryType::MultiLineString,
                    c => GeometryType::ALL_CONCRETE
                        .iter()
                        .copied()
                        .find(|t| t.wkb_code() == c)
                        .unwrap_or(GeometryType::Geometry),
                }
            };
            let crs = if options.keep_source_crs {
                src_crs.clone()
            } else {
                Crs::Epsg(options.target_crs)
            };
            (crs, g, None)
        }
    };

    let source_index = |name: &str| {
        layer
            .fields
            .iter()
            .position(|f| f.name == name)
            .ok_or_else(|| mapping_error(format!("no source field '{name}'")))
    };
    let mapping = match (&options.mapping, &existing) {
        (Some(maps), _) => {
            let mut out = Vec::new();
            for m in maps {
                let field_type = match &existing {
                    Some(l) => l
                        .schema
                        .fields
                        .iter()
                        .find(|f| f.name == m.target)
                        .map(|f| f.field_type)
                        .ok_or_else(|| {
                            mapping_error(format!(
                                "target layer '{}' has no field '{}'",
                                l.name, m.target
                            ))
                        })?,
                    None => m.field_type,
                };
                out.push((source_index(&m.source)?, m.target.clone(), field_type));
            }
            out
        }
        (None, Some(l)) => l
            .schema
            .fields
            .iter()
            .filter_map(|t| {
                layer
                    .fields
                    .iter()
                    .position(|s| s.name.eq_ignore_ascii_case(&t.name))
                    .map(|i| (i, t.name.clone(), t.field_type))
            })
            .collect(),
        (None, None) => {
            let reserved = ["fid", "geom"];
            layer
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let name = if reserved.contains(&f.name.to_lowercase().as_str()) {
                        format!("{}_src", f.name)
                    } else {
                        f.name.clone()
                    };
                    (i, name, field_type_of(f.kind))
                })
                .collect()
        }
    };
    Ok(Plan {
        info,
        layer,
        encoding,
        encoding_choice,
        encoding_confidence,
        mojibake,
        recoded_from,
        src_crs: Some(src_crs),
        target_crs,
        xy,
        mapping,
        target_geometry,
    })
}

/// A CAD drawing's three target layers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CadKind {
    Points,
    Lines,
    Polygons,
}

impl CadKind {
    fn of(g: &Geometry<f64>) -> CadKind {
        match g {
            Geometry::Point(_) | Geometry::MultiPoint(_) => CadKind::Points,
            Geometry::LineString(_) | Geometry::MultiLineString(_) | Geometry::Line(_) => {
                CadKind::Lines
            }
            _ => CadKind::Polygons,
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            CadKind::Points => "points",
            CadKind::Lines => "lines",
            CadKind::Polygons => "polygons",
        }
    }

    fn geometry_type(self) -> GeometryType {
        match self {
            CadKind::Points => GeometryType::MultiPoint,
            CadKind::Lines => GeometryType::MultiLineString,
            CadKind::Polygons => GeometryType::MultiPolygon,
        }
    }
}

/// In drawings a closed polyline is an area: a parcel, a lot, a building.
fn close_polylines(g: Geometry<f64>) -> Geometry<f64> {
    match g {
        Geometry::LineString(l) if l.0.len() >= 4 && l.is_closed() => {
            Geometry::Polygon(Polygon::new(l, vec![]))
        }
        other => other,
    }
}

/// Makes a geometry fit the target column type, promoting single parts to
/// multi where the column asks for it.
fn fit(g: Geometry<f64>, target: GeometryType) -> Result<Geometry<f64>, String> {
    let code = crate::gpkg::geom::wkb_type_code(&g);
    if target.accepts(code) {
        return Ok(g);
    }
    Ok(match (g, target) {
        (Geometry::Point(p), GeometryType::MultiPoint) => Geometry::MultiPoint(MultiPoint(vec![p])),
        (Geometry::LineString(l), GeometryType::MultiLineString) => {
            Geometry::MultiLineString(MultiLineString(vec![l]))
        }
        (Geometry::Polygon(p), GeometryType::MultiPolygon) => {
            Geometry::MultiPolygon(MultiPolygon(vec![p]))
        }
        (_, t) => {
            let name = GeometryType::ALL_CONCRETE[code as usize - 1].name();
            return Err(format!("a {name} cannot be stored in a {} layer", t.name()));
        }
    })
}

/// Checks what a GeoPackage reader would choke on.
fn check_geometry(g: &Geometry<f64>) -> Result<(), String> {
    let mut bad = None;
    crate::gpkg::geom::visit_coords(g, &mut |c| {
        if bad.is_none() && !(c.x.is_finite() && c.y.is_finite()) {
            bad = Some(format!("coordinate ({}, {}) is not a number", c.x, c.y));
        }
    });
    if let Some(b) = bad {
        return Err(b);
    }
    let rings_ok = |p: &Polygon<f64>| {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .all(|r| r.0.len() >= 4)
    };
    let ok = match g {
        Geometry::Polygon(p) => rings_ok(p),
        Geometry::MultiPolygon(m) => m.0.iter().all(rings_ok),
        Geometry::LineString(l) => l.0.len() >= 2,
        Geometry::MultiLineString(m) => m.0.iter().all(|l| l.0.len() >= 2),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err("a polygon ring has fewer than 4 points or a line fewer than 2".into())
    }
}

/// A geometry with its Z and M values.
type GeometryZm = (Geometry<f64>, ZmValues);

/// A source value as the user would write it, for a rejection's reason.
fn shown(raw: &RawValue) -> String {
    match raw {
        RawValue::Null => "(empty)".into(),
        RawValue::Integer(i) => i.to_string(),
        RawValue::Real(r) => r.to_string(),
        RawValue::Text(b) => format!("'{}'", String::from_utf8_lossy(b)),
        RawValue::Date(d) | RawValue::DateTime(d) => format!("'{d}'"),
        RawValue::Binary(b) => format!("({} bytes)", b.len()),
    }
}

fn number(raw: &RawValue, encoding: TextEncoding) -> Option<f64> {
    match convert(raw, encoding, FieldType::Real) {
        Ok(FieldValue::Real(v)) if v.is_finite() => Some(v),
        _ => None,
    }
}

struct Loader<'p> {
    plan: &'p Plan,
    transformer: Option<Transformer>,
    /// The srs_id new layers are created with.
    srs_id: i32,
    /// `[minx, miny, maxx, maxy]` of the source coordinates read so far.
    source_bounds: std::cell::Cell<Option<geo_types::Rect<f64>>>,
    file: String,
    rejected: Vec<Rejection>,
    cad_slots: [Option<usize>; 3],
    text: TextDecoder,
    /// Z/M dropped or filled to fit the target, geometries converted.
    zm: ZmTally,
}

impl Loader<'_> {
    fn reject(&mut self, row: u64, field: &str, reason: impl Into<String>) {
        self.rejected.push(Rejection {
            file: self.file.clone(),
            layer: self.plan.layer.name.clone(),
            row,
            field: field.into(),
            reason: reason.into(),
        });
    }

    fn geometry(&self, f: &RawFeature) -> Result<Option<Geometry<f64>>, (String, String)> {
        Ok(self.geometry_zm(f)?.map(|(g, _)| g))
    }

    /// The row's geometry, reprojected, with its Z and M as read: the
    /// reprojection is horizontal, so heights and measures are kept as
    /// the source has them (a VN-2000 datum shift moves no height).
    fn geometry_zm(&self, f: &RawFeature) -> Result<Option<GeometryZm>, (String, String)> {
        let plan = self.plan;
        let g = if let Some((xi, yi)) = plan.xy {
            let (xf, yf) = (&plan.layer.fields[xi].name, &plan.layer.fields[yi].name);
            let x = number(&f.values[xi], plan.encoding).ok_or_else(|| {
                (
                    xf.clone(),
                    format!("X value {} is not a number", shown(&f.values[xi])),
                )
            })?;
            let y = number(&f.values[yi], plan.encoding).ok_or_else(|| {
                (
                    yf.clone(),
                    format!("Y value {} is not a number", shown(&f.values[yi])),
                )
            })?;
            Some((Geometry::Point(Point::new(x, y)), ZmValues::default()))
        } else {
            match &f.wkb {
                None => None,
                Some(Err(e)) => return Err(("geometry".into(), e.clone())),
                Some(Ok(wkb)) => Some(
                    crate::gpkg::geom::decode_wkb(wkb)
                        .map_err(|e| ("geometry".to_string(), e.to_string()))?,
                ),
            }
        };
        let Some((mut g, zm)) = g else {
            return Ok(None);
        };
        if plan.info.is_cad() {
            g = close_polylines(g);
        }
        check_geometry(&g).map_err(|e| ("geometry".to_string(), e))?;
        if let Some(b) = crate::gpkg::geom::bounds(&g) {
            let all = crate::gpkg::geom::union(self.source_bounds.get(), b);
            self.source_bounds.set(Some(all));
        }
        if let Some(t) = &self.transformer {
            t.transform_geometry(&mut g)
                .map_err(|e| ("geometry".to_string(), e.to_string()))?;
        }
        Ok(Some((g, zm)))
    }

    fn values(&self, f: &RawFeature) -> Result<Vec<FieldValue>, (String, String)> {
        let plan = self.plan;
        let mut out = Vec::with_capacity(plan.mapping.len());
        for (src, target, ty) in &plan.mapping {
            let source_name = &plan.layer.fields[*src].name;
            let v = convert_with(&f.values[*src], *ty, |bytes| {
                self.text.decode(f.row, source_name, bytes)
            })
            .map_err(|e| (source_name.clone(), e))?;
            // Land-use codes must be codes of the table (assets/landuse_colours.csv).
            if target == "ma_loai_dat"
                && let FieldValue::Text(code) = &v
                && landuse_code(code.trim()).is_none()
            {
                return Err((
                    source_name.clone(),
                    format!("'{code}' is not a land-use code of the code table"),
                ));
            }
            out.push(v);
        }
        Ok(out)
    }
}

fn new_schema(plan: &Plan, srs_id: i32, geometry: GeometryType) -> Schema {
    let mut schema = Schema::new(
        geometry,
        srs_id,
        plan.mapping
            .iter()
            .map(|(_, n, t)| Field::new(n, *t))
            .collect(),
    );
    // A new layer keeps the source's Z and M (points from X/Y columns have none).
    if plan.xy.is_none() {
        schema.has_z = plan.layer.dims.z;
        schema.has_m = plan.layer.dims.m;
    }
    schema
}

/// Runs an import as one transaction. Rejected rows are reported; an error
/// or a cancel (through `progress`) leaves the workspace unchanged.
pub fn import(
    gpkg: &mut GeoPackage,
    options: &ImportOptions,
    progress: &Progress,
) -> Result<ImportReport, IoError> {
    // GDAL's and PROJ's messages go into the report, not to stderr.
    let capture = Capture::start();
    let plan = plan(gpkg, options)?;
    let transformer = source_transformer(&plan)?;
    progress.set_total(plan.layer.feature_count.unwrap_or(0));
    let file = options.source.display().to_string();
    let description = format!("import {} ({})", file, plan.layer.name);
    let mut writer = gpkg.bulk_load(&description)?;
    let srs_id = match &plan.target_crs {
        Crs::Epsg(code) => *code,
        // Kept in the source's own CRS: its definition becomes a row of
        // the workspace's gpkg_spatial_ref_sys.
        Crs::Definition { name, text, .. } => {
            let name = if name.trim().is_empty() || name.eq_ignore_ascii_case("unnamed") {
                format!("{} (custom CRS of {})", plan.layer.name, file)
            } else {
                name.clone()
            };
            writer.custom_srs(&name, text)?
        }
        Crs::Undefined { geographic: true } => 0,
        Crs::Undefined { geographic: false } => -1,
    };
    let mut loader = Loader {
        plan: &plan,
        transformer,
        srs_id,
        source_bounds: Default::default(),
        file: file.clone(),
        rejected: Vec::new(),
        cad_slots: [None; 3],
        text: TextDecoder::new(plan.encoding, plan.recoded_from, plan.mojibake.clone()),
        zm: ZmTally::default(),
    };
    let single_slot = match &options.target {
        Target::Existing(name) => Some(writer.open_layer(name)?),
        Target::New { name, meta } if !plan.info.is_cad() => Some(writer.create_layer(
            name,
            &new_schema(&plan, srs_id, plan.target_geometry),
            meta,
        )?),
        Target::New { .. } => None,
    };
    let mut failure: Option<IoError> = None;
    let mut cancelled = false;
    source::read_layer(&options.source, plan.layer.index, |f| {
        progress.advance(1);
        if progress.is_cancelled() {
            cancelled = true;
            return ControlFlow::Break(());
        }
        match load_row(&mut loader, &mut writer, single_slot, &options.target, &f) {
            Ok(()) => ControlFlow::Continue(()),
            Err(RowError::Reject(field, reason)) => {
                loader.reject(f.row, &field, reason);
                ControlFlow::Continue(())
            }
            Err(RowError::Fatal(e)) => {
                failure = Some(e);
                ControlFlow::Break(())
            }
        }
    })?;
    if cancelled {
        return Err(IoError::Cancelled);
    }
    if let Some(e) = failure {
        return Err(e);
    }
    let slots: Vec<usize> = single_slot
        .into_iter()
        .chain(loader.cad_slots.iter().flatten().copied())
        .collect();
    let loaded: Vec<(String, u64)> = slots
        .iter()
        .map(|s| (writer.layer_info(*s).name.clone(), writer.count_in(*s)))
        .collect();
    let text = loader.text.report();
    if text.replaced_chars > 0
        && !options.accept_replacements
        && let Some(first) = text.replaced.first()
    {
        // The writer is dropped unfinished: nothing is stored.
        return Err(IoError::Replacements(Box::new(Replaced {
            path: options.source.clone(),
            layer: plan.layer.name.clone(),
            encoding: plan.encoding,
            count: text.replaced_chars,
            row: first.row,
            field: first.field.clone(),
            sample: first.text.clone(),
        })));
    }
    writer.finish()?;
    let context = format!("{file}, layer '{}'", plan.layer.name);
    let targets: Vec<&str> = loaded.iter().map(|(n, _)| n.as_str()).collect();
    let warnings = area_warning(&plan, &file, loader.source_bounds.get())
        .into_iter()
        .chain(plan.info.notes.iter().cloned())
        .chain(
            loader
                .zm
                .notes(&targets.join("', '"))
                .into_iter()
                .map(|n| format!("{context}: {n}")),
        )
        .chain(capture.lines(&context))
        .collect();
    Ok(ImportReport {
        file,
        layer: plan.layer.name.clone(),
        encoding: plan.encoding,
        encoding_choice: plan.encoding_choice,
        encoding_confidence: plan.encoding_confidence,
        text,
        src_crs: plan.src_crs.as_ref().and_then(Crs::epsg),
        src_crs_label: plan.src_crs.as_ref().map(Crs::label),
        loaded,
        warnings,
        rejected: loader.rejected,
    })
}

/// From the source CRS to the target's; None when they are the same.
fn source_transformer(plan: &Plan) -> Result<Option<Transformer>, IoError> {
    Ok(match &plan.src_crs {
        Some(src) if *src != plan.target_crs => Some(Transformer::between(src, &plan.target_crs)?),
        _ => None,
    })
}

/// A warning when the data lies outside the target CRS's area of use,
/// where its projection distorts (a Vietnamese zone for European data).
fn area_warning(plan: &Plan, file: &str, bounds: Option<geo_types::Rect<f64>>) -> Option<String> {
    let src = plan.src_crs.as_ref()?;
    let lonlat = crate::crs::lonlat_box(src, bounds?)?;
    let area = plan.target_crs.facts()?.area_of_use?;
    if crate::crs::covers(area, lonlat, crate::crs::AREA_MARGIN_DEG) {
        return None;
    }
    Some(format!(
        "{file}, layer '{}': the data (longitude {:.2} to {:.2}, latitude {:.2} to {:.2}) lies outside \
         the area of use of {} (longitude {:.2} to {:.2}, latitude {:.2} to {:.2}), where its \
         coordinates are distorted; import into a CRS that covers it (--target-crs)",
        plan.layer.name,
        lonlat.min().x,
        lonlat.max().x,
        lonlat.min().y,
        lonlat.max().y,
        plan.target_crs.label(),
        area[0],
        area[2],
        area[1],
        area[3],
    ))
}

enum RowError {
    Reject(String, String),
    Fatal(IoError),
}

fn load_row(
    loader: &mut Loader<'_>,
    writer: &mut BulkWriter<'_>,
    single_slot: Option<usize>,
    target: &Target,
    f: &RawFeature,
) -> Result<(), RowError> {
    let geometry = loader
        .geometry_zm(f)
        .map_err(|(field, reason)| RowError::Reject(field, reason))?;
    let values = loader
        .values(f)
        .map_err(|(field, reason)| RowError::Reject(field, reason))?;
    let (geometry, zm) = match geometry {
        Some((g, zm)) => (Some(g), zm),
        None => (None, ZmValues::default()),
    };
    let slot = match single_slot {
        Some(s) => s,
        None => {
            let Some(g) = &geometry else {
                return Err(RowError::Reject(
                    "geometry".into(),
                    "a drawing entity without geometry".into(),
                ));
            };
            let kind = CadKind::of(g);
            let index = kind as usize;
            match loader.cad_slots[index] {
                Some(s) => s,
                None => {
                    let Target::New { name, meta } = target else {
                        unreachable!("CAD targets are new layers")
                    };
                    let schema = new_schema(loader.plan, loader.srs_id, kind.geometry_type());
                    let s = writer
                        .create_layer(&format!("{name}_{}", kind.suffix()), &schema, meta)
                        .map_err(|e| RowError::Fatal(e.into()))?;
                    loader.cad_slots[index] = Some(s);
                    s
                }
            }
        }
    };
    let schema = &writer.layer_info(slot).schema;
    let values = in_field_order(&loader.plan.mapping, values, &schema.fields);
    let (column_type, column_dims) = (
        schema.geometry_type,
        Dims {
            z: schema.has_z,
            m: schema.has_m,
        },
    );
    let geometry = geometry
        .map(|g| fit(g, column_type))
        .transpose()
        .map_err(|e| RowError::Reject("geometry".into(), e))?;
    // Single parts made multi keep their coordinates, so Z/M still line up.
    let zm = match &geometry {
        Some(g) => {
            let mut coords = 0;
            crate::gpkg::geom::visit_coords(g, &mut |_| coords += 1);
            loader.zm.fit(zm, coords, column_dims)
        }
        None => ZmValues::default(),
    };
    writer
        .add_to(slot, Feature::with_zm(geometry, zm, values))
        .map_err(|e| RowError::Fatal(e.into()))?;
    if let Some(c) = &f.conversion {
        loader.zm.converted(c);
    }
    Ok(())
}

/// The mapped values in the order of the target layer's fields, NULL for a
/// field nothing maps to (an existing layer may have more fields than the
/// source, or a mapping list them in another order).
fn in_field_order(
    mapping: &[(usize, String, FieldType)],
    values: Vec<FieldValue>,
    fields: &[Field],
) -> Vec<FieldValue> {
    let aligned = fields.len() == mapping.len()
        && fields
            .iter()
            .zip(mapping)
            .all(|(f, (_, name, _))| f.name == *name);
    if aligned {
        return values;
    }
    let mut by_name: Vec<(&str, FieldValue)> = mapping
        .iter()
        .map(|(_, name, _)| name.as_str())
        .zip(values)
        .collect();
    fields
        .iter()
        .map(|f| {
            by_name
                .iter()
                .position(|(n, _)| n.eq_ignore_ascii_case(&f.name))
                .map_or(FieldValue::Null, |i| by_name.swap_remove(i).1)
        })
        .collect()
}

/// Preview rows: the cells a row would store, or why it would be rejected.
pub type PreviewRows = Vec<Result<Vec<String>, String>>;

/// The dialog's preview: the first rows and what decoding their text did.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub rows: PreviewRows,
    pub text: TextReport,
}

/// The first `rows` rows as the import would store them, or the reason a
/// row would be rejected (the dialog's preview).
pub fn preview(plan: &Plan, rows: u64) -> Result<Preview, IoError> {
    // GDAL's warnings come again in the import's report; not on stderr.
    let _quiet = Capture::start();
    let transformer = source_transformer(plan)?;
    let loader = Loader {
        plan,
        transformer,
        srs_id: 0,
        source_bounds: Default::default(),
        file: String::new(),
        rejected: vec![],
        cad_slots: [None; 3],
        text: TextDecoder::new(plan.encoding, plan.recoded_from, plan.mojibake.clone()),
        zm: ZmTally::default(),
    };
    let mut out = Vec::new();
    source::read_layer(&plan.info.path, plan.layer.index, |f| {
        let row = loader
            .values(&f)
            .and_then(|v| loader.geometry(&f).map(|g| (g, v)));
        out.push(match row {
            Ok((g, values)) => {
                let mut cells: Vec<String> = values.iter().map(|v| v.to_string()).collect();
                cells.push(
                    g.and_then(|g| crate::gpkg::geom::bounds(&g))
                        .map_or(String::new(), |b| {
                            format!("{:.2} {:.2}", b.min().x, b.min().y)
                        }),
                );
                Ok(cells)
            }
            Err((field, reason)) => Err(format!("{field}: {reason}")),
        });
        if f.row >= rows {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    Ok(Preview {
        rows: out,
        text: loader.text.report(),
    })
}

/// Decodes text with the plan's encoding (for showing source values).
pub fn decode_with(plan: &Plan, bytes: &[u8]) -> String {
    decode_text(bytes, plan.encoding).text
}
