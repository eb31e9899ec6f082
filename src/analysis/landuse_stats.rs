//! Land-use statistics: area by land-use code and by land-law group
//! (agricultural NNP, non-agricultural PNN, unused CSD) in each commune,
//! each district, or inside a drawn or selected polygon.
//!
//! Areas come from the geometries in the projected CRS, never from the
//! parcels' `dien_tich` attribute, and the commune a parcel counts in comes
//! from the overlay with the commune boundaries, never from its `ma_xa`
//! attribute: a parcel straddling a boundary is split by area, and parcels
//! whose attribute disagrees with the map are listed. Each commune's rows
//! add up to the commune's area: what no parcel covers (roads and water
//! not surveyed as parcels) is a row of its own.
//!
//! Province scale (a million parcels, 209 communes): one read of each
//! layer, the communes cut along a grid ([`ZoneGrid`]) so a parcel is
//! measured only against the boundary pieces near it, and the parcels
//! shared among worker threads.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use geo::{Area, BoundingRect};
use geo_types::{MultiPolygon, Rect};

use super::overlay::{Clipper, Subject, ZoneGrid, oriented_rings, rings_area};
use super::read::{PolygonRow, read_polygons, text_key, working_crs};
use super::table::{Column, ResultTable};
use super::{AnalysisError, Result};
use crate::gpkg::GeoPackage;
use crate::jobs::{Cancelled, Progress};
use crate::model::landuse::{landuse_code, split_csv_line};
use crate::model::{FieldType, FieldValue};

/// The three land groups of the land law (Luật Đất đai), and "other" for
/// codes outside them (coastal water surface, an observation indicator)
/// or not in the code table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LandUseGroup {
    Agricultural,
    NonAgricultural,
    Unused,
    Other,
}

impl LandUseGroup {
    pub const ALL: [LandUseGroup; 4] = [
        LandUseGroup::Agricultural,
        LandUseGroup::NonAgricultural,
        LandUseGroup::Unused,
        LandUseGroup::Other,
    ];

    /// The group's code in the code table (empty for Other).
    pub fn code(self) -> &'static str {
        match self {
            LandUseGroup::Agricultural => "NNP",
            LandUseGroup::NonAgricultural => "PNN",
            LandUseGroup::Unused => "CSD",
            LandUseGroup::Other => "",
        }
    }

    pub fn name_vi(self) -> &'static str {
        match self {
            LandUseGroup::Agricultural => "Nhóm đất nông nghiệp",
            LandUseGroup::NonAgricultural => "Nhóm đất phi nông nghiệp",
            LandUseGroup::Unused => "Nhóm đất chưa sử dụng",
            LandUseGroup::Other => "Khác / không rõ mã",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            LandUseGroup::Agricultural => "Agricultural land",
            LandUseGroup::NonAgricultural => "Non-agricultural land",
            LandUseGroup::Unused => "Unused land",
            LandUseGroup::Other => "Other / unknown code",
        }
    }

    fn from_code(code: &str) -> LandUseGroup {
        match code {
            "NNP" => LandUseGroup::Agricultural,
            "PNN" => LandUseGroup::NonAgricultural,
            "CSD" => LandUseGroup::Unused,
            _ => LandUseGroup::Other,
        }
    }
}

const GROUPS_BUILT_IN: &str = include_str!("../../assets/landuse_groups.csv");

/// The group of a land-use code, from `assets/landuse_groups.csv` (a file
/// of that name in `TRAMGIS_ASSETS` overrides the built-in copy, as for the
/// colour table).
pub fn landuse_group(code: &str) -> LandUseGroup {
    static TABLE: OnceLock<HashMap<String, LandUseGroup>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let text = std::env::var_os("TRAMGIS_ASSETS")
            .map(|dir| std::path::Path::new(&dir).join("landuse_groups.csv"))
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_else(|| GROUPS_BUILT_IN.to_string());
        text.lines()
            .skip(1)
            .map(split_csv_line)
            .filter(|f| f.len() >= 2 && !f[0].trim().is_empty())
            .map(|f| {
                (
                    f[0].trim().to_string(),
                    LandUseGroup::from_code(f[1].trim()),
                )
            })
            .collect()
    });
    table
        .get(code.trim())
        .copied()
        .unwrap_or(LandUseGroup::Other)
}

/// The Vietnamese name of a code, or a note when it is not in the table.
pub fn code_name(code: &str) -> String {
    if code.is_empty() {
        return "(không có mã loại đất)".to_string();
    }
    landuse_code(code).map_or_else(
        || "(mã không có trong bảng mã)".to_string(),
        |c| c.name_vi.clone(),
    )
}

/// What the parcels are counted in.
#[derive(Debug, Clone)]
pub enum Zones {
    /// The polygons of a layer (communes, districts), identified by a code
    /// field, with an optional name field and the parent unit's code and
    /// name fields (a commune's district) for [`LanduseStats::by_parent`].
    Layer {
        layer: String,
        code_field: String,
        name_field: Option<String>,
        parent_code_field: Option<String>,
        parent_name_field: Option<String>,
    },
    /// One polygon (drawn, or a selected feature's geometry), in the
    /// parcels' CRS.
    Polygon {
        code: String,
        name: String,
        geometry: MultiPolygon<f64>,
    },
}

/// What to compute.
#[derive(Debug, Clone)]
pub struct StatsOptions {
    /// The parcel layer.
    pub parcels: String,
    /// Its land-use code field.
    pub code_field: String,
    /// The zones to count in.
    pub zones: Zones,
    /// A parcel field naming its zone (`ma_xa`), checked against the
    /// overlay; parcels whose value disagrees are listed.
    pub parcel_zone_field: Option<String>,
}

impl StatsOptions {
    /// `thua_dat` by `ma_loai_dat` in the communes of `ranh_gioi_xa`, with
    /// their districts, checking the parcels' `ma_xa`.
    pub fn communes() -> StatsOptions {
        StatsOptions {
            parcels: "thua_dat".to_string(),
            code_field: "ma_loai_dat".to_string(),
            zones: Zones::Layer {
                layer: "ranh_gioi_xa".to_string(),
                code_field: "ma_xa".to_string(),
                name_field: Some("ten_xa".to_string()),
                parent_code_field: Some("ma_huyen".to_string()),
                parent_name_field: Some("ten_huyen".to_string()),
            },
            parcel_zone_field: Some("ma_xa".to_string()),
        }
    }

    /// `thua_dat` by `ma_loai_dat` inside one polygon.
    pub fn within(name: &str, geometry: MultiPolygon<f64>) -> StatsOptions {
        StatsOptions {
            parcels: "thua_dat".to_string(),
            code_field: "ma_loai_dat".to_string(),
            zones: Zones::Polygon {
                code: String::new(),
                name: name.to_string(),
                geometry,
            },
            parcel_zone_field: None,
        }
    }
}

/// The land use of one zone.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneArea {
    pub code: String,
    pub name: String,
    pub parent_code: String,
    pub parent_name: String,
    /// The zone's area from its geometry, m².
    pub area: f64,
    /// Parcel area in the zone by land-use code, m² (codes with area only).
    pub by_code: BTreeMap<String, f64>,
}

impl ZoneArea {
    /// Area covered by parcels.
    pub fn parcel_area(&self) -> f64 {
        self.by_code.values().sum()
    }

    /// Area no parcel covers (roads, water not surveyed as parcels):
    /// what makes the rows add up to the zone's area.
    pub fn uncovered(&self) -> f64 {
        self.area - self.parcel_area()
    }

    pub fn by_group(&self) -> BTreeMap<LandUseGroup, f64> {
        let mut out = BTreeMap::new();
        for (code, a) in &self.by_code {
            *out.entry(landuse_group(code)).or_insert(0.0) += a;
        }
        out
    }
}

/// A parcel whose zone attribute disagrees with the overlay.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneMismatch {
    pub fid: i64,
    /// Its attribute value (`ma_xa`).
    pub attribute: String,
    /// The zone holding the largest part of it.
    pub overlay: String,
    /// That part's share of the parcel, 0–1.
    pub share: f64,
}

/// The statistics: per zone, parcel area by code.
#[derive(Debug, Clone, PartialEq)]
pub struct LanduseStats {
    /// The field the zones are identified by (`ma_xa`, `ma_huyen`), the
    /// first column of the tables.
    pub zone_column: String,
    pub zone_label_vi: String,
    pub zone_label_en: String,
    pub zones: Vec<ZoneArea>,
    /// Parcel area outside every zone, by code (for a zone layer: parcels
    /// beyond the boundaries; not counted for a single polygon).
    pub outside_by_code: BTreeMap<String, f64>,
    pub mismatches: Vec<ZoneMismatch>,
    /// Parcels read and measured.
    pub parcels: u64,
    /// Parcels without a geometry (not counted).
    pub without_geometry: u64,
}

impl LanduseStats {
    /// The zones rolled up to their parent units (communes to districts),
    /// in the order the parents first appear.
    pub fn by_parent(&self, column: &str, label_vi: &str, label_en: &str) -> LanduseStats {
        let mut order: Vec<String> = Vec::new();
        let mut merged: HashMap<String, ZoneArea> = HashMap::new();
        for z in &self.zones {
            let entry = merged.entry(z.parent_code.clone()).or_insert_with(|| {
                order.push(z.parent_code.clone());
                ZoneArea {
                    code: z.parent_code.clone(),
                    name: z.parent_name.clone(),
                    parent_code: String::new(),
                    parent_name: String::new(),
                    area: 0.0,
                    by_code: BTreeMap::new(),
                }
            });
            entry.area += z.area;
            for (code, a) in &z.by_code {
                *entry.by_code.entry(code.clone()).or_insert(0.0) += a;
            }
        }
        LanduseStats {
            zone_column: column.to_string(),
            zone_label_vi: label_vi.to_string(),
            zone_label_en: label_en.to_string(),
            zones: order
                .into_iter()
                .map(|c| merged.remove(&c).expect("each parent was added"))
                .collect(),
            outside_by_code: self.outside_by_code.clone(),
            mismatches: self.mismatches.clone(),
            parcels: self.parcels,
            without_geometry: self.without_geometry,
        }
    }

    /// Communes rolled up to districts (`ma_huyen`).
    pub fn by_district(&self) -> LanduseStats {
        self.by_parent("ma_huyen", "Mã huyện", "District code")
    }

    fn zone_columns(&self) -> Vec<Column> {
        vec![
            Column::new(
                &self.zone_column,
                &self.zone_label_vi,
                &self.zone_label_en,
                FieldType::Text,
            ),
            Column::new("ten", "Tên", "Name", FieldType::Text),
        ]
    }

    /// One row per zone and land-use code with area (m²) and share of the
    /// zone (%), then the zone's area no parcel covers (code empty): each
    /// zone's rows add up to its area.
    pub fn by_code_table(&self) -> ResultTable {
        let mut columns = self.zone_columns();
        columns.extend([
            Column::new(
                "ma_loai_dat",
                "Mã loại đất",
                "Land-use code",
                FieldType::Text,
            ),
            Column::new("ten_loai_dat", "Loại đất", "Land use", FieldType::Text),
            Column::new("nhom_dat", "Nhóm đất", "Group", FieldType::Text),
            Column::new(
                "dien_tich_m2",
                "Diện tích (m²)",
                "Area (m²)",
                FieldType::Real,
            ),
            Column::new("ty_le_pct", "Tỷ lệ (%)", "Share (%)", FieldType::Real),
        ]);
        let mut table = ResultTable::new("Diện tích theo loại đất", columns);
        for z in &self.zones {
            let share = |a: f64| {
                if z.area > 0.0 {
                    FieldValue::Real(100.0 * a / z.area)
                } else {
                    FieldValue::Null
                }
            };
            let mut codes: Vec<(&String, &f64)> = z.by_code.iter().collect();
            codes.sort_by_key(|(c, _)| (landuse_group(c), code_order(c), (*c).clone()));
            for (code, a) in codes {
                table.rows.push(vec![
                    FieldValue::Text(z.code.clone()),
                    FieldValue::Text(z.name.clone()),
                    FieldValue::Text(code.clone()),
                    FieldValue::Text(code_name(code)),
                    FieldValue::Text(landuse_group(code).code().to_string()),
                    FieldValue::Real(*a),
                    share(*a),
                ]);
            }
            let rest = z.uncovered();
            table.rows.push(vec![
                FieldValue::Text(z.code.clone()),
                FieldValue::Text(z.name.clone()),
                FieldValue::Text(String::new()),
                FieldValue::Text(UNCOVERED_VI.to_string()),
                FieldValue::Text(String::new()),
                FieldValue::Real(rest),
                share(rest),
            ]);
        }
        table
    }

    /// One row per zone: area of each land group, the area no parcel
    /// covers, and the zone's area (their sum); then a total row.
    pub fn by_group_table(&self) -> ResultTable {
        let mut columns = self.zone_columns();
        for g in LandUseGroup::ALL {
            let name = match g {
                LandUseGroup::Other => "dt_khac_m2".to_string(),
                _ => format!("dt_{}_m2", g.code().to_lowercase()),
            };
            columns.push(Column::new(
                &name,
                &format!("{} (m²)", g.name_vi()),
                &format!("{} (m²)", g.name_en()),
                FieldType::Real,
            ));
        }
        columns.push(Column::new(
            "dt_ngoai_thua_m2",
            "Ngoài thửa (m²)",
            "Not in parcels (m²)",
            FieldType::Real,
        ));
        columns.push(Column::new(
            "dien_tich_m2",
            "Tổng diện tích (m²)",
            "Total area (m²)",
            FieldType::Real,
        ));
        let mut table = ResultTable::new("Diện tích theo nhóm đất", columns);
        let mut totals = vec![0.0; LandUseGroup::ALL.len() + 2];
        for z in &self.zones {
            let groups = z.by_group();
            let mut row = vec![
                FieldValue::Text(z.code.clone()),
                FieldValue::Text(z.name.clone()),
            ];
            let mut values: Vec<f64> = LandUseGroup::ALL
                .iter()
                .map(|g| groups.get(g).copied().unwrap_or(0.0))
                .collect();
            values.push(z.uncovered());
            values.push(z.area);
            for (t, v) in totals.iter_mut().zip(&values) {
                *t += v;
            }
            row.extend(values.into_iter().map(FieldValue::Real));
            table.rows.push(row);
        }
        if self.zones.len() > 1 {
            let mut row = vec![
                FieldValue::Text(String::new()),
                FieldValue::Text("Tổng cộng".to_string()),
            ];
            row.extend(totals.into_iter().map(FieldValue::Real));
            table.rows.push(row);
        }
        table
    }

    /// The parcels whose zone attribute disagrees with the overlay.
    pub fn mismatch_table(&self) -> ResultTable {
        let columns = vec![
            Column::new("fid", "Mã đối tượng", "Feature id", FieldType::Integer),
            Column::new(
                "theo_thuoc_tinh",
                "Mã xã theo thuộc tính",
                "Commune by attribute",
                FieldType::Text,
            ),
            Column::new(
                "theo_ban_do",
                "Mã xã theo bản đồ",
                "Commune by map",
                FieldType::Text,
            ),
            Column::new(
                "ty_le_pct",
                "Tỷ lệ diện tích trong xã (%)",
                "Share in that commune (%)",
                FieldType::Real,
            ),
        ];
        let mut table = ResultTable::new("Thửa có mã xã khác bản đồ", columns);
        for m in &self.mismatches {
            table.rows.push(vec![
                FieldValue::Integer(m.fid),
                FieldValue::Text(m.attribute.clone()),
                FieldValue::Text(m.overlay.clone()),
                FieldValue::Real(100.0 * m.share),
            ]);
        }
        table
    }
}

const UNCOVERED_VI: &str = "Ngoài thửa (đường, mặt nước chưa lập thửa)";

/// Codes in the order of the code table (groups, then their members).
fn code_order(code: &str) -> usize {
    crate::model::landuse::landuse_codes()
        .iter()
        .position(|c| c.code == code)
        .unwrap_or(usize::MAX)
}

/// One zone as read.
struct ZoneRow {
    code: String,
    name: String,
    parent_code: String,
    parent_name: String,
    geometry: MultiPolygon<f64>,
}

/// Computes the statistics. Sets `progress` to twice the parcel count
/// (reading, then measuring) and returns `Cancelled` soon after it is
/// cancelled; nothing is written.
pub fn landuse_stats(
    gpkg: &GeoPackage,
    options: &StatsOptions,
    progress: &Progress,
) -> Result<LanduseStats> {
    if progress.is_cancelled() {
        return Err(Cancelled.into());
    }
    let info = gpkg.layer(&options.parcels)?;
    let crs = working_crs(&info);
    let (zones, zone_column, label_vi, label_en, bbox) = read_zones(gpkg, options, &crs)?;
    let total = gpkg.count_features(&options.parcels, bbox)?;
    progress.set_total(2 * total);
    let mut fields = vec![options.code_field.as_str()];
    if let Some(f) = &options.parcel_zone_field {
        fields.push(f);
    }
    let (parcels, without_geometry) =
        read_polygons(gpkg, &options.parcels, &fields, &crs, bbox, progress)?;
    let geometries: Vec<MultiPolygon<f64>> = zones.iter().map(|z| z.geometry.clone()).collect();
    let grid = ZoneGrid::new(&geometries, 256.0);
    let zone_codes: Vec<&str> = zones.iter().map(|z| z.code.as_str()).collect();
    let (codes, code_of) = intern_codes(&parcels);
    let tally = measure(
        &parcels,
        &code_of,
        codes.len(),
        &grid,
        &zone_codes,
        options.parcel_zone_field.is_some(),
        progress,
    )?;
    let single_polygon = matches!(options.zones, Zones::Polygon { .. });
    let zones_out = zones
        .iter()
        .enumerate()
        .map(|(z, row)| ZoneArea {
            code: row.code.clone(),
            name: row.name.clone(),
            parent_code: row.parent_code.clone(),
            parent_name: row.parent_name.clone(),
            area: grid.zone_area(z),
            by_code: nonzero(
                &codes,
                &tally.by_zone[z * codes.len()..(z + 1) * codes.len()],
            ),
        })
        .collect();
    Ok(LanduseStats {
        zone_column,
        zone_label_vi: label_vi,
        zone_label_en: label_en,
        zones: zones_out,
        outside_by_code: if single_polygon {
            BTreeMap::new()
        } else {
            nonzero(&codes, &tally.outside)
        },
        mismatches: tally.mismatches,
        parcels: parcels.len() as u64,
        without_geometry,
    })
}

type ZoneRead = (Vec<ZoneRow>, String, String, String, Option<Rect<f64>>);

fn read_zones(
    gpkg: &GeoPackage,
    options: &StatsOptions,
    crs: &crate::crs::Crs,
) -> Result<ZoneRead> {
    match &options.zones {
        Zones::Polygon {
            code,
            name,
            geometry,
        } => {
            let parcels = gpkg.layer(&options.parcels)?;
            // The parcels are read through the R-tree in the polygon's box
            // when no reprojection stands between them.
            let bbox = if parcels.crs == *crs {
                geometry.bounding_rect()
            } else {
                None
            };
            if geometry.unsigned_area() == 0.0 {
                return Err(AnalysisError::Layer {
                    layer: options.parcels.clone(),
                    detail: "the polygon to count in has no area".to_string(),
                });
            }
            Ok((
                vec![ZoneRow {
                    code: code.clone(),
                    name: name.clone(),
                    parent_code: String::new(),
                    parent_name: String::new(),
                    geometry: geometry.clone(),
                }],
                "vung".to_string(),
                "Vùng".to_string(),
                "Area".to_string(),
                bbox,
            ))
        }
        Zones::Layer {
            layer,
            code_field,
            name_field,
            parent_code_field,
            parent_name_field,
        } => {
            let mut fields = vec![code_field.as_str()];
            for f in [name_field, parent_code_field, parent_name_field]
                .into_iter()
                .flatten()
            {
                fields.push(f);
            }
            let (rows, _) = read_polygons(gpkg, layer, &fields, crs, None, &Progress::default())?;
            let zones = rows
                .into_iter()
                .map(|row| {
                    // The optional fields follow the code in `fields`.
                    let mut rest = row.values[1..].iter();
                    let mut next = |present: bool| {
                        if present {
                            rest.next().map(text_key).unwrap_or_default()
                        } else {
                            String::new()
                        }
                    };
                    let name = next(name_field.is_some());
                    let parent_code = next(parent_code_field.is_some());
                    let parent_name = next(parent_name_field.is_some());
                    ZoneRow {
                        code: text_key(&row.values[0]),
                        name,
                        parent_code,
                        parent_name,
                        geometry: row.geometry,
                    }
                })
                .collect();
            let (label_vi, label_en) = match code_field.as_str() {
                "ma_xa" => ("Mã xã", "Commune code"),
                "ma_huyen" => ("Mã huyện", "District code"),
                _ => ("Mã vùng", "Zone code"),
            };
            Ok((
                zones,
                code_field.clone(),
                label_vi.to_string(),
                label_en.to_string(),
                None,
            ))
        }
    }
}

/// Land-use codes as small integers: the distinct codes, and each
/// parcel's index into them.
fn intern_codes(parcels: &[PolygonRow]) -> (Vec<String>, Vec<u32>) {
    let mut codes: Vec<String> = Vec::new();
    let mut index: HashMap<String, u32> = HashMap::new();
    let code_of = parcels
        .iter()
        .map(|p| {
            let key = text_key(&p.values[0]);
            *index.entry(key).or_insert_with_key(|k| {
                codes.push(k.clone());
                (codes.len() - 1) as u32
            })
        })
        .collect();
    (codes, code_of)
}

fn nonzero(codes: &[String], areas: &[f64]) -> BTreeMap<String, f64> {
    codes
        .iter()
        .zip(areas)
        .filter(|(_, a)| **a != 0.0)
        .map(|(c, a)| (c.clone(), *a))
        .collect()
}

/// What the workers add up.
struct Tally {
    /// zone × code areas, row-major by zone.
    by_zone: Vec<f64>,
    outside: Vec<f64>,
    mismatches: Vec<ZoneMismatch>,
}

impl Tally {
    fn new(zones: usize, codes: usize) -> Tally {
        Tally {
            by_zone: vec![0.0; zones * codes],
            outside: vec![0.0; codes],
            mismatches: Vec::new(),
        }
    }

    fn merge(&mut self, other: Tally) {
        for (a, b) in self.by_zone.iter_mut().zip(other.by_zone) {
            *a += b;
        }
        for (a, b) in self.outside.iter_mut().zip(other.outside) {
            *a += b;
        }
        self.mismatches.extend(other.mismatches);
    }
}

const CHUNK: usize = 2048;

/// Measures every parcel against the zones on worker threads that take
/// chunks of parcels in turn.
fn measure(
    parcels: &[PolygonRow],
    code_of: &[u32],
    codes: usize,
    grid: &ZoneGrid,
    zone_codes: &[&str],
    check_attribute: bool,
    progress: &Progress,
) -> Result<Tally> {
    let next = AtomicUsize::new(0);
    let workers = worker_count();
    let results: Vec<Option<Tally>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut tally = Tally::new(zone_codes.len(), codes);
                    let mut clipper = Clipper::default();
                    let mut shares = Vec::new();
                    loop {
                        if progress.is_cancelled() {
                            return None;
                        }
                        let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                        if start >= parcels.len() {
                            return Some(tally);
                        }
                        let end = (start + CHUNK).min(parcels.len());
                        for i in start..end {
                            measure_one(
                                &parcels[i],
                                code_of[i] as usize,
                                codes,
                                grid,
                                zone_codes,
                                check_attribute,
                                &mut clipper,
                                &mut shares,
                                &mut tally,
                            );
                        }
                        progress.advance((end - start) as u64);
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a statistics worker panicked"))
            .collect()
    });
    let mut total = Tally::new(zone_codes.len(), codes);
    for r in results {
        total.merge(r.ok_or(Cancelled)?);
    }
    total.mismatches.sort_by_key(|m| m.fid);
    Ok(total)
}

/// Worker threads: as many as the machine has cores, at most 8.
pub(crate) fn worker_count() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 8))
}

#[allow(clippy::too_many_arguments)]
fn measure_one(
    parcel: &PolygonRow,
    code: usize,
    codes: usize,
    grid: &ZoneGrid,
    zone_codes: &[&str],
    check_attribute: bool,
    clipper: &mut Clipper,
    shares: &mut Vec<(u32, f64)>,
    tally: &mut Tally,
) {
    let rings = oriented_rings(&parcel.geometry);
    let area = rings_area(&rings);
    let Some(bbox) = super::overlay::rings_bbox(&rings) else {
        return;
    };
    let mut subject = Subject {
        rings: &rings,
        bbox,
        area,
        polygon: &parcel.geometry,
        pieces: None,
    };
    grid.shares(&mut subject, clipper, shares);
    let mut inside = 0.0;
    for &(z, a) in shares.iter() {
        tally.by_zone[z as usize * codes + code] += a;
        inside += a;
    }
    // Rounding leaves ~1e-9 of a parcel wholly inside; only a real
    // remainder is outside.
    let rest = area - inside;
    if rest.abs() > 1e-9 * area.abs().max(1.0) {
        tally.outside[code] += rest;
    }
    if check_attribute && area > 0.0 {
        let best = shares.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1));
        let attribute = text_key(&parcel.values[1]);
        if let Some((z, a)) = best
            && zone_codes[z as usize] != attribute
        {
            tally.mismatches.push(ZoneMismatch {
                fid: parcel.fid,
                attribute,
                overlay: zone_codes[z as usize].to_string(),
                share: a / area,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_fall_in_their_land_law_groups() {
        assert_eq!(landuse_group("LUC"), LandUseGroup::Agricultural);
        assert_eq!(landuse_group("RSX"), LandUseGroup::Agricultural);
        assert_eq!(landuse_group("ONT"), LandUseGroup::NonAgricultural);
        assert_eq!(landuse_group("DGT"), LandUseGroup::NonAgricultural);
        assert_eq!(landuse_group("BCS"), LandUseGroup::Unused);
        assert_eq!(landuse_group("NCS"), LandUseGroup::Unused);
        // Coastal water surface is an observation indicator, in no group.
        assert_eq!(landuse_group("MVB"), LandUseGroup::Other);
        assert_eq!(landuse_group("XYZ"), LandUseGroup::Other);
        // Every code of the colour table has a row in the group table.
        let groups = GROUPS_BUILT_IN.lines().count() - 1;
        assert_eq!(groups, crate::model::landuse::landuse_codes().len());
    }
}
