//! Importing a source layer into the workspace: the plan (encoding, CRS,
//! target layers, field mapping) is resolved first, so the dialog can show
//! it and a preview; then one bulk load, all or nothing. Rows that cannot be
//! stored are skipped and each one is reported with file, layer, row, field
//! and reason; nothing is dropped silently.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use geo_types::{Geometry, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};

use super::IoError;
use super::encoding;
use super::source::{
    self, RawFeature, RawValue, SourceCrs, SourceFieldKind, SourceInfo, SourceLayer, TextEncoding,
};
use super::values::{convert, decode_text};
use crate::crs::{Transformer, VN2000_TM3_107, WGS84};
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
    /// Text encoding; None to use the declared one or detect it.
    pub encoding: Option<TextEncoding>,
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
            encoding: None,
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
    /// None for sources without geometry.
    pub src_crs: Option<i32>,
    pub target_crs: i32,
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
    pub src_crs: Option<i32>,
    /// Features loaded per target layer.
    pub loaded: Vec<(String, u64)>,
    pub rejected: Vec<Rejection>,
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

/// Samples the first rows' text to choose an encoding.
fn detect_encoding(path: &Path, layer: usize) -> Result<Option<TextEncoding>, IoError> {
    let mut samples: Vec<Vec<u8>> = Vec::new();
    source::read_layer(path, layer, |f| {
        samples.extend(f.values.into_iter().filter_map(|v| match v {
            RawValue::Text(b) if !b.is_ascii() => Some(b),
            _ => None,
        }));
        if f.row >= 500 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    if samples.is_empty() {
        return Ok(None);
    }
    if samples.iter().all(|s| std::str::from_utf8(s).is_ok()) {
        return Ok(Some(TextEncoding::Utf8));
    }
    let refs: Vec<&[u8]> = samples.iter().map(Vec::as_slice).collect();
    Ok(encoding::detect(&refs).map(|(e, _)| TextEncoding::Legacy(e)))
}

/// Resolves encoding, CRS, geometry and field mapping for an import.
pub fn plan(gpkg: &GeoPackage, options: &ImportOptions) -> Result<Plan, IoError> {
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

    let (encoding, encoding_choice) = match (options.encoding, info.declared_encoding) {
        (Some(e), _) => (e, EncodingChoice::Given),
        (None, Some(e)) => (e, EncodingChoice::Declared),
        (None, None) => match detect_encoding(path, layer.index)? {
            Some(e) => (e, EncodingChoice::Detected),
            None => (TextEncoding::Utf8, EncodingChoice::Default),
        },
    };

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
        (Some(c), _, _) => c,
        (None, SourceCrs::Epsg(c), _) => *c,
        (None, SourceCrs::Wkt(_), _) => {
            return Err(IoError::UnknownCrs {
                path: path.clone(),
                layer: layer.name.clone(),
            });
        }
        (None, SourceCrs::Unknown, Some((x, _)))
            if GEOGRAPHIC_NAMES.contains(&layer.fields[x].name.trim().to_lowercase().as_str()) =>
        {
            WGS84
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
            (l.schema.srs_id, l.schema.geometry_type, Some(l))
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
            (options.target_crs, g, None)
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

fn number(raw: &RawValue, encoding: TextEncoding) -> Option<f64> {
    match convert(raw, encoding, FieldType::Real) {
        Ok(FieldValue::Real(v)) if v.is_finite() => Some(v),
        _ => None,
    }
}

struct Loader<'p> {
    plan: &'p Plan,
    transformer: Option<Transformer>,
    file: String,
    rejected: Vec<Rejection>,
    cad_slots: [Option<usize>; 3],
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
        let plan = self.plan;
        let g = if let Some((xi, yi)) = plan.xy {
            let (xf, yf) = (&plan.layer.fields[xi].name, &plan.layer.fields[yi].name);
            let x = number(&f.values[xi], plan.encoding).ok_or_else(|| {
                (
                    xf.clone(),
                    format!("X value {:?} is not a number", f.values[xi]),
                )
            })?;
            let y = number(&f.values[yi], plan.encoding).ok_or_else(|| {
                (
                    yf.clone(),
                    format!("Y value {:?} is not a number", f.values[yi]),
                )
            })?;
            Some(Geometry::Point(Point::new(x, y)))
        } else {
            match &f.wkb {
                None => None,
                Some(Err(e)) => return Err(("geometry".into(), e.clone())),
                Some(Ok(wkb)) => Some(
                    crate::gpkg::geom::decode_wkb(wkb)
                        .map_err(|e| ("geometry".to_string(), e.to_string()))?
                        .0,
                ),
            }
        };
        let Some(mut g) = g else { return Ok(None) };
        if plan.info.is_cad() {
            g = close_polylines(g);
        }
        check_geometry(&g).map_err(|e| ("geometry".to_string(), e))?;
        if let Some(t) = &self.transformer {
            t.transform_geometry(&mut g)
                .map_err(|e| ("geometry".to_string(), e.to_string()))?;
        }
        Ok(Some(g))
    }

    fn values(&self, f: &RawFeature) -> Result<Vec<FieldValue>, (String, String)> {
        let plan = self.plan;
        let mut out = Vec::with_capacity(plan.mapping.len());
        for (src, target, ty) in &plan.mapping {
            let source_name = &plan.layer.fields[*src].name;
            let v = convert(&f.values[*src], plan.encoding, *ty)
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

fn new_schema(plan: &Plan, geometry: GeometryType) -> Schema {
    Schema::new(
        geometry,
        plan.target_crs,
        plan.mapping
            .iter()
            .map(|(_, n, t)| Field::new(n, *t))
            .collect(),
    )
}

/// Runs an import as one transaction. Rejected rows are reported; an error
/// or a cancel (through `progress`) leaves the workspace unchanged.
pub fn import(
    gpkg: &mut GeoPackage,
    options: &ImportOptions,
    progress: &Progress,
) -> Result<ImportReport, IoError> {
    let plan = plan(gpkg, options)?;
    let transformer = match plan.src_crs {
        Some(src) if src != plan.target_crs => Some(Transformer::new(src, plan.target_crs)?),
        _ => None,
    };
    progress.set_total(plan.layer.feature_count.unwrap_or(0));
    let file = options.source.display().to_string();
    let mut loader = Loader {
        plan: &plan,
        transformer,
        file: file.clone(),
        rejected: Vec::new(),
        cad_slots: [None; 3],
    };
    let description = format!("import {} ({})", file, plan.layer.name);
    let mut writer = gpkg.bulk_load(&description)?;
    let single_slot = match &options.target {
        Target::Existing(name) => Some(writer.open_layer(name)?),
        Target::New { name, meta } if !plan.info.is_cad() => {
            Some(writer.create_layer(name, &new_schema(&plan, plan.target_geometry), meta)?)
        }
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
    writer.finish()?;
    Ok(ImportReport {
        file,
        layer: plan.layer.name.clone(),
        encoding: plan.encoding,
        encoding_choice: plan.encoding_choice,
        src_crs: plan.src_crs,
        loaded,
        rejected: loader.rejected,
    })
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
        .geometry(f)
        .map_err(|(field, reason)| RowError::Reject(field, reason))?;
    let values = loader
        .values(f)
        .map_err(|(field, reason)| RowError::Reject(field, reason))?;
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
                    let schema = new_schema(loader.plan, kind.geometry_type());
                    let s = writer
                        .create_layer(&format!("{name}_{}", kind.suffix()), &schema, meta)
                        .map_err(|e| RowError::Fatal(e.into()))?;
                    loader.cad_slots[index] = Some(s);
                    s
                }
            }
        }
    };
    let column_type = writer.layer_info(slot).schema.geometry_type;
    let geometry = geometry
        .map(|g| fit(g, column_type))
        .transpose()
        .map_err(|e| RowError::Reject("geometry".into(), e))?;
    writer
        .add_to(slot, Feature::new(geometry, values))
        .map_err(|e| RowError::Fatal(e.into()))?;
    Ok(())
}

/// Preview rows: the cells a row would store, or why it would be rejected.
pub type PreviewRows = Vec<Result<Vec<String>, String>>;

/// The first `rows` rows as the import would store them, or the reason a
/// row would be rejected (the dialog's preview).
pub fn preview(plan: &Plan, rows: u64) -> Result<PreviewRows, IoError> {
    let transformer = match plan.src_crs {
        Some(src) if src != plan.target_crs => Some(Transformer::new(src, plan.target_crs)?),
        _ => None,
    };
    let loader = Loader {
        plan,
        transformer,
        file: String::new(),
        rejected: vec![],
        cad_slots: [None; 3],
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
                        .map_or(String::new(), |b| format!("{:.2} {:.2}", b[0], b[2])),
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
    Ok(out)
}

/// Decodes text with the plan's encoding (for showing source values).
pub fn decode_with(plan: &Plan, bytes: &[u8]) -> String {
    decode_text(bytes, plan.encoding).unwrap_or_else(|e| e)
}
