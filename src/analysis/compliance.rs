//! Plan compliance: a proposed project (or parcel) layer overlaid on a
//! zoning plan. For every feature: the zoning lots it falls in, the share
//! of its area in each function, and whether its proposed building
//! coverage, floors and floor-area ratio (FAR) keep each lot's limits
//! (mat_do_xd, tang_cao_min/tang_cao_max, he_so_sdd).
//!
//! Overlaps smaller than `min_share` of a feature are digitising slivers
//! along a shared lot edge, not a lot the feature "falls in": they are
//! neither listed nor checked. A limit or a proposed value that is NULL is
//! not checked (nothing to compare).

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use geo::{Area, BooleanOps, BoundingRect};
use geo_types::{Geometry, MultiPolygon};

use super::coverage::{
    PolygonIndex, check, column, field_index, field_of, multi_polygon_of, percent, projected_layer,
    round, same_crs, save_table, text_of,
};
use super::table::ResultTable;
use super::{AnalysisError, Result};
use crate::gpkg::{GeoPackage, LayerMeta, Query};
use crate::jobs::Progress;
use crate::model::{Feature, FieldType, FieldValue, GeometryType, LayerTheme, Schema};

/// What to compare. [`ComplianceConfig::new`] takes the two layers and
/// sets the sample workspace's field names: the zoning layer's ky_hieu_o,
/// chuc_nang, mat_do_xd (%), tang_cao_min, tang_cao_max (floors), he_so_sdd
/// (FAR); the project's proposed mat_do_xd, so_tang, he_so_sdd. A project
/// field set to None is not checked; one that is set must exist.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplianceConfig {
    pub project_layer: String,
    pub zoning_layer: String,
    pub lot_id_field: String,
    pub function_field: String,
    pub coverage_limit_field: String,
    pub floors_min_field: String,
    pub floors_max_field: String,
    pub far_limit_field: String,
    pub project_coverage_field: Option<String>,
    pub project_floors_field: Option<String>,
    pub project_far_field: Option<String>,
    /// 0..1; default 0.01.
    pub min_share: f64,
    /// Result layer `<prefix>_vi_pham`, tables `<prefix>_o`, `<prefix>_chuc_nang`.
    pub output_prefix: String,
}

impl ComplianceConfig {
    pub fn new(project_layer: &str, zoning_layer: &str) -> Self {
        ComplianceConfig {
            project_layer: project_layer.into(),
            zoning_layer: zoning_layer.into(),
            lot_id_field: "ky_hieu_o".into(),
            function_field: "chuc_nang".into(),
            coverage_limit_field: "mat_do_xd".into(),
            floors_min_field: "tang_cao_min".into(),
            floors_max_field: "tang_cao_max".into(),
            far_limit_field: "he_so_sdd".into(),
            project_coverage_field: Some("mat_do_xd".into()),
            project_floors_field: Some("so_tang".into()),
            project_far_field: Some("he_so_sdd".into()),
            min_share: 0.01,
            output_prefix: "tuan_thu".into(),
        }
    }
}

/// A limit of a zoning lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// Building coverage (%) above the lot's mat_do_xd.
    Coverage,
    /// More floors than tang_cao_max.
    FloorsMax,
    /// Fewer floors than tang_cao_min.
    FloorsMin,
    /// FAR above he_so_sdd.
    Far,
}

impl Rule {
    pub fn key(self) -> &'static str {
        match self {
            Rule::Coverage => "mat_do_xd",
            Rule::FloorsMax => "tang_cao_max",
            Rule::FloorsMin => "tang_cao_min",
            Rule::Far => "he_so_sdd",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Rule::Coverage => "Mật độ xây dựng vượt quy hoạch",
            Rule::FloorsMax => "Số tầng vượt tầng cao tối đa",
            Rule::FloorsMin => "Số tầng dưới tầng cao tối thiểu",
            Rule::Far => "Hệ số sử dụng đất vượt quy hoạch",
        }
    }

    fn broken(self, value: f64, limit: f64) -> bool {
        const EPS: f64 = 1e-9;
        match self {
            Rule::FloorsMin => value < limit - EPS,
            _ => value > limit + EPS,
        }
    }
}

/// The part of a feature in one zoning lot.
#[derive(Debug, Clone, PartialEq)]
pub struct LotOverlap {
    pub lot_fid: i64,
    pub lot_id: String,
    pub function: String,
    pub area_m2: f64,
    /// 0..1 of the feature's area.
    pub share: f64,
}

/// One project feature against the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureCompliance {
    pub fid: i64,
    pub area_m2: f64,
    pub lots: Vec<LotOverlap>,
    /// Area in no zoning lot.
    pub outside_m2: f64,
}

impl FeatureCompliance {
    /// Area and share (0..1) per function, by function name.
    pub fn functions(&self) -> BTreeMap<String, (f64, f64)> {
        let mut out: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        for lot in &self.lots {
            let e = out.entry(lot.function.clone()).or_default();
            e.0 += lot.area_m2;
            e.1 += lot.share;
        }
        out
    }
}

/// A broken limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub fid: i64,
    pub lot_fid: i64,
    pub lot_id: String,
    pub rule: Rule,
    pub value: f64,
    pub limit: f64,
    /// The feature's geometry (zoom-to, display).
    pub geometry: MultiPolygon<f64>,
}

#[derive(Debug, Clone)]
pub struct Compliance {
    pub srs_id: i32,
    pub features: Vec<FeatureCompliance>,
    pub violations: Vec<Violation>,
    pub output_prefix: String,
}

struct Lot {
    fid: i64,
    id: String,
    function: String,
    /// Per rule: the limit, None when NULL.
    limits: [(Rule, Option<f64>); 4],
}

/// Overlays the project layer on the zoning layer (reads only).
pub fn compute(
    gpkg: &GeoPackage,
    config: &ComplianceConfig,
    progress: &Progress,
) -> Result<Compliance> {
    let project = projected_layer(gpkg, &config.project_layer)?;
    let zoning = projected_layer(gpkg, &config.zoning_layer)?;
    same_crs(&zoning, &project)?;
    let lot_id = field_index(&zoning, &config.lot_id_field)?;
    let function = field_index(&zoning, &config.function_field)?;
    let limit_fields = [
        (
            Rule::Coverage,
            field_index(&zoning, &config.coverage_limit_field)?,
        ),
        (
            Rule::FloorsMax,
            field_index(&zoning, &config.floors_max_field)?,
        ),
        (
            Rule::FloorsMin,
            field_index(&zoning, &config.floors_min_field)?,
        ),
        (Rule::Far, field_index(&zoning, &config.far_limit_field)?),
    ];
    let optional = |f: &Option<String>| -> Result<Option<usize>> {
        f.as_ref().map(|f| field_index(&project, f)).transpose()
    };
    let proposed = [
        (Rule::Coverage, optional(&config.project_coverage_field)?),
        (Rule::FloorsMax, optional(&config.project_floors_field)?),
        (Rule::FloorsMin, optional(&config.project_floors_field)?),
        (Rule::Far, optional(&config.project_far_field)?),
    ];

    let mut lots = Vec::new();
    let mut shapes = Vec::new();
    for f in gpkg.all_features(&zoning.name)? {
        let Some(g) = multi_polygon_of(f.geometry) else {
            continue;
        };
        let v = &f.values;
        lots.push(Lot {
            fid: f.fid.unwrap_or_default(),
            id: text_of(&v[lot_id]),
            function: text_of(&v[function]),
            limits: limit_fields.map(|(rule, i)| (rule, v[i].as_f64())),
        });
        shapes.push(g);
    }
    let index = PolygonIndex::new(shapes);
    progress.set_total(gpkg.count_features(&project.name, None)?);

    let mut features = Vec::new();
    let mut violations = Vec::new();
    let mut failure: Option<AnalysisError> = None;
    gpkg.read_features(&project.name, &Query::default(), |f| {
        if progress.is_cancelled() {
            failure = Some(crate::jobs::Cancelled.into());
            return ControlFlow::Break(());
        }
        progress.advance(1);
        let fid = f.fid.unwrap_or_default();
        let Some(geometry) = multi_polygon_of(f.geometry) else {
            return ControlFlow::Continue(());
        };
        let area_m2 = geometry.unsigned_area();
        let mut overlaps = Vec::new();
        if let Some(bbox) = geometry.bounding_rect() {
            let mut near: Vec<usize> = index.candidates(bbox).collect();
            near.sort_unstable();
            for i in near {
                let a = index.polygons[i].intersection(&geometry).unsigned_area();
                let share = if area_m2 > 0.0 { a / area_m2 } else { 0.0 };
                if share >= config.min_share {
                    overlaps.push((i, a, share));
                }
            }
        }
        for &(i, _, _) in &overlaps {
            let lot = &lots[i];
            for ((rule, limit), (_, value)) in lot.limits.iter().zip(&proposed) {
                let (Some(limit), Some(value)) = (limit, value.and_then(|k| f.values[k].as_f64()))
                else {
                    continue;
                };
                if rule.broken(value, *limit) {
                    violations.push(Violation {
                        fid,
                        lot_fid: lot.fid,
                        lot_id: lot.id.clone(),
                        rule: *rule,
                        value,
                        limit: *limit,
                        geometry: geometry.clone(),
                    });
                }
            }
        }
        let inside: f64 = overlaps.iter().map(|o| o.1).sum();
        features.push(FeatureCompliance {
            fid,
            area_m2,
            outside_m2: (area_m2 - inside).max(0.0),
            lots: overlaps
                .into_iter()
                .map(|(i, a, share)| LotOverlap {
                    lot_fid: lots[i].fid,
                    lot_id: lots[i].id.clone(),
                    function: lots[i].function.clone(),
                    area_m2: a,
                    share,
                })
                .collect(),
        });
        ControlFlow::Continue(())
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(Compliance {
        srs_id: project.schema.srs_id,
        features,
        violations,
        output_prefix: config.output_prefix.clone(),
    })
}

/// Overlays and saves the violations layer and the tables.
pub fn run(
    gpkg: &mut GeoPackage,
    config: &ComplianceConfig,
    progress: &Progress,
) -> Result<Compliance> {
    let result = compute(gpkg, config, progress)?;
    check(progress)?;
    result.save(gpkg)?;
    Ok(result)
}

impl Compliance {
    /// Per feature and lot: the lot, its function, the area and share.
    pub fn lots_table(&self) -> ResultTable {
        ResultTable {
            title: "Ô quy hoạch mà công trình nằm trong".into(),
            columns: vec![
                column("fid_du_an", "FID dự án", "Project fid", FieldType::Integer),
                column("ky_hieu_o", "Ký hiệu ô", "Lot", FieldType::Text),
                column("chuc_nang", "Chức năng", "Function", FieldType::Text),
                column(
                    "dien_tich_m2",
                    "Diện tích (m²)",
                    "Area (m²)",
                    FieldType::Real,
                ),
                column(
                    "ty_le",
                    "Tỷ lệ diện tích (%)",
                    "Share of area (%)",
                    FieldType::Real,
                ),
            ],
            rows: self
                .features
                .iter()
                .flat_map(|f| {
                    f.lots.iter().map(|l| {
                        vec![
                            FieldValue::Integer(f.fid),
                            FieldValue::Text(l.lot_id.clone()),
                            FieldValue::Text(l.function.clone()),
                            FieldValue::Real(round(l.area_m2, 2)),
                            FieldValue::Real(round(100.0 * l.share, 2)),
                        ]
                    })
                })
                .collect(),
        }
    }

    /// Per feature and function (and the part outside the plan).
    pub fn functions_table(&self) -> ResultTable {
        let mut rows = Vec::new();
        for f in &self.features {
            let mut parts: Vec<(String, f64)> = f
                .functions()
                .into_iter()
                .map(|(k, (a, _))| (k, a))
                .collect();
            if f.outside_m2 > 0.01 {
                parts.push(("(ngoài quy hoạch)".into(), f.outside_m2));
            }
            for (function, area) in parts {
                rows.push(vec![
                    FieldValue::Integer(f.fid),
                    FieldValue::Text(function),
                    FieldValue::Real(round(area, 2)),
                    FieldValue::Real(round(percent(area, f.area_m2), 2)),
                ]);
            }
        }
        ResultTable {
            title: "Tỷ lệ diện tích theo chức năng quy hoạch".into(),
            columns: vec![
                column("fid_du_an", "FID dự án", "Project fid", FieldType::Integer),
                column("chuc_nang", "Chức năng", "Function", FieldType::Text),
                column(
                    "dien_tich_m2",
                    "Diện tích (m²)",
                    "Area (m²)",
                    FieldType::Real,
                ),
                column(
                    "ty_le",
                    "Tỷ lệ diện tích (%)",
                    "Share of area (%)",
                    FieldType::Real,
                ),
            ],
            rows,
        }
    }

    pub fn violations_table(&self) -> ResultTable {
        ResultTable {
            title: "Vi phạm chỉ tiêu quy hoạch".into(),
            columns: vec![
                column("fid_du_an", "FID dự án", "Project fid", FieldType::Integer),
                column("ky_hieu_o", "Ký hiệu ô", "Lot", FieldType::Text),
                column("quy_tac", "Chỉ tiêu", "Rule", FieldType::Text),
                column("noi_dung", "Nội dung", "Finding", FieldType::Text),
                column("gia_tri", "Giá trị đề xuất", "Proposed", FieldType::Real),
                column("gioi_han", "Giới hạn quy hoạch", "Limit", FieldType::Real),
            ],
            rows: self
                .violations
                .iter()
                .map(|v| {
                    vec![
                        FieldValue::Integer(v.fid),
                        FieldValue::Text(v.lot_id.clone()),
                        FieldValue::Text(v.rule.key().into()),
                        FieldValue::Text(v.rule.label_vi().into()),
                        FieldValue::Real(v.value),
                        FieldValue::Real(v.limit),
                    ]
                })
                .collect(),
        }
    }

    pub fn violations_layer(&self) -> String {
        format!("{}_vi_pham", self.output_prefix)
    }

    /// Writes the violations layer (the features' geometries with fid,
    /// rule, value and limit) and the lot and function tables.
    pub fn save(&self, gpkg: &mut GeoPackage) -> Result<Vec<String>> {
        let table = self.violations_table();
        let schema = Schema::new(
            GeometryType::MultiPolygon,
            self.srs_id,
            table.columns.iter().map(field_of).collect(),
        );
        let features = self.violations.iter().zip(table.rows).map(|(v, values)| {
            Feature::new(Some(Geometry::MultiPolygon(v.geometry.clone())), values)
        });
        let layer = self.violations_layer();
        let meta = LayerMeta {
            theme: Some(LayerTheme::Planning),
            title_vi: Some(format!("Vi phạm chỉ tiêu quy hoạch ({layer})")),
            title_en: Some(format!("Zoning violations ({layer})")),
            draw_order: 900,
        };
        super::table::replace_layer(
            gpkg,
            &layer,
            &schema,
            &meta,
            features,
            "Kiểm tra tuân thủ quy hoạch",
        )?;
        let p = &self.output_prefix;
        let lots = format!("{p}_o");
        let functions = format!("{p}_chuc_nang");
        save_table(gpkg, self.lots_table(), &lots)?;
        save_table(gpkg, self.functions_table(), &functions)?;
        Ok(vec![layer, lots, functions])
    }
}
