//! BTS coverage: a circle around every tower (its radius from the
//! tower's technologies and terrain), unioned per operator and for all
//! operators; the share of each commune's area and of its villages inside;
//! the villages no operator covers; towers of different operators close
//! enough to share a site (co-location candidates).
//!
//! Circles are regular polygons with 4 × `quadrant_segments` vertices at the
//! angles GEOS uses for a point buffer, so the areas agree with GDAL's
//! `Buffer(r, quadsegs)` + `UnionCascaded`. A village counts as covered when
//! it lies within a covering tower's radius (the exact circle).
//!
//! Speed: the union of every group is one sweep (`geo::unary_union`), and
//! each commune's covered area is the operator's union cut to the
//! commune's box (ring clipping, linear) and then overlaid with the
//! commune, so the overlay meets only the arcs near it, never the whole
//! province's boundary nor the circles again. A commune one operator
//! covers whole is covered for all, with no union of the operators'
//! pieces.

use std::collections::BTreeMap;

use geo::{Area, BooleanOps, BoundingRect, Distance, Euclidean, Intersects, unary_union};
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::overlay::{Clipper, overlap_area};
use super::table::{Column, ResultTable};
use super::{AnalysisError, Result};
use crate::gpkg::{GeoPackage, LayerInfo, LayerMeta};
use crate::jobs::{Cancelled, Progress};
use crate::model::{Feature, Field, FieldType, FieldValue, GeometryType, LayerTheme, Schema};

/// The coverage radius of one technology, in metres.
#[derive(Debug, Clone, PartialEq)]
pub struct TechRadius {
    /// As written in the technology field (`2G`, `3G`, `4G`, `5G`).
    pub technology: String,
    pub urban_m: f64,
    pub rural_m: f64,
}

/// How a tower's terrain class (urban or rural) is decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Terrain {
    /// By a field of the commune the tower stands in: urban when its value
    /// is one of `urban_values` (default: `loai` in Phường, Thị trấn).
    CommuneType {
        field: String,
        urban_values: Vec<String>,
    },
    /// Urban when the tower stands inside a lot of this zoning layer.
    ZoningLots {
        layer: String,
    },
    AllUrban,
    AllRural,
}

/// What the coverage analysis reads and how. [`Default`] is the sample
/// workspace's layers with these radii (metres, urban / rural): 2G 2,000 /
/// 6,000; 3G 1,500 / 4,000; 4G 1,000 / 3,000; 5G 300 / 1,000 — typical
/// planning ranges of macro cells (denser urban clutter, lower masts in
/// town). A tower listing several technologies (`2G/3G/4G`) gets the
/// largest radius among them. Towers whose status is in `excluded_status`
/// (dismantled, only planned) cover nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageConfig {
    pub towers_layer: String,
    pub tower_id_field: String,
    pub operator_field: String,
    pub technology_field: String,
    /// None: every tower counts.
    pub status_field: Option<String>,
    pub excluded_status: Vec<String>,
    pub radii: Vec<TechRadius>,
    pub terrain: Terrain,
    pub communes_layer: String,
    pub commune_id_field: String,
    pub commune_name_field: String,
    pub villages_layer: String,
    pub village_name_field: String,
    /// Towers of different operators at most this far apart are listed as
    /// co-location candidates.
    pub colocation_distance_m: f64,
    /// Segments per quarter circle (GDAL's and GEOS's default: 30).
    pub quadrant_segments: usize,
    /// Prefix of the result layers and tables (`phu_song` → phu_song,
    /// phu_song_xa, phu_song_thon_chua_phu, phu_song_dung_chung).
    pub output_prefix: String,
}

impl Default for CoverageConfig {
    fn default() -> Self {
        let radius = |t: &str, urban_m, rural_m| TechRadius {
            technology: t.into(),
            urban_m,
            rural_m,
        };
        CoverageConfig {
            towers_layer: "tram_bts".into(),
            tower_id_field: "ma_tram".into(),
            operator_field: "nha_mang".into(),
            technology_field: "cong_nghe".into(),
            status_field: Some("trang_thai".into()),
            excluded_status: vec!["Đã tháo dỡ".into(), "Quy hoạch".into()],
            radii: vec![
                radius("2G", 2000.0, 6000.0),
                radius("3G", 1500.0, 4000.0),
                radius("4G", 1000.0, 3000.0),
                radius("5G", 300.0, 1000.0),
            ],
            terrain: Terrain::CommuneType {
                field: "loai".into(),
                urban_values: vec!["Phường".into(), "Thị trấn".into()],
            },
            communes_layer: "ranh_gioi_xa".into(),
            commune_id_field: "ma_xa".into(),
            commune_name_field: "ten_xa".into(),
            villages_layer: "thon_xom".into(),
            village_name_field: "ten_thon".into(),
            colocation_distance_m: 100.0,
            quadrant_segments: 30,
            output_prefix: "phu_song".into(),
        }
    }
}

impl CoverageConfig {
    /// Sets the radius of a technology (both terrains when `rural_m` is
    /// None), adding the technology when it is new: `--radius 4G=1200/3500`.
    pub fn set_radius(&mut self, technology: &str, urban_m: f64, rural_m: Option<f64>) {
        let rural_m = rural_m.unwrap_or(urban_m);
        match self
            .radii
            .iter_mut()
            .find(|r| r.technology.eq_ignore_ascii_case(technology))
        {
            Some(r) => {
                r.urban_m = urban_m;
                r.rural_m = rural_m;
            }
            None => self.radii.push(TechRadius {
                technology: technology.into(),
                urban_m,
                rural_m,
            }),
        }
    }
}

/// One tower that covers something.
#[derive(Debug, Clone, PartialEq)]
pub struct Tower {
    pub fid: i64,
    pub id: String,
    pub operator: String,
    pub position: Point<f64>,
    pub urban: bool,
    pub radius_m: f64,
}

/// The union of one group's circles.
#[derive(Debug, Clone)]
pub struct GroupCoverage {
    /// The operator, or [`ALL_OPERATORS`].
    pub operator: String,
    pub towers: usize,
    pub area_m2: f64,
    pub geometry: MultiPolygon<f64>,
}

/// The group name of the union of every operator's coverage.
pub const ALL_OPERATORS: &str = "Tất cả nhà mạng";

/// A village and who covers it.
#[derive(Debug, Clone, PartialEq)]
pub struct VillageCoverage {
    pub fid: i64,
    pub name: String,
    pub commune: Option<usize>,
    pub position: Point<f64>,
    /// Operators whose towers cover it, sorted.
    pub operators: Vec<String>,
    /// The nearest counted tower and its distance.
    pub nearest_tower: Option<(String, f64)>,
}

/// A commune's covered area and villages for one group.
#[derive(Debug, Clone, PartialEq)]
pub struct CommuneCoverage {
    pub commune: usize,
    pub operator: String,
    pub covered_m2: f64,
    pub villages: usize,
    pub villages_covered: usize,
}

/// A commune as read.
#[derive(Debug, Clone)]
pub struct Commune {
    pub fid: i64,
    pub id: String,
    pub name: String,
    pub area_m2: f64,
    pub geometry: MultiPolygon<f64>,
}

/// Two towers of different operators close enough to share a site.
#[derive(Debug, Clone, PartialEq)]
pub struct Colocation {
    pub a: usize,
    pub b: usize,
    pub distance_m: f64,
}

/// Everything the analysis found; nothing is written until [`Coverage::save`].
#[derive(Debug, Clone)]
pub struct Coverage {
    pub srs_id: i32,
    pub towers: Vec<Tower>,
    /// Per operator (by name), then [`ALL_OPERATORS`] last.
    pub groups: Vec<GroupCoverage>,
    pub communes: Vec<Commune>,
    /// Per commune, one row per group in the order of `groups`.
    pub commune_coverage: Vec<CommuneCoverage>,
    pub villages: Vec<VillageCoverage>,
    pub colocations: Vec<Colocation>,
    pub output_prefix: String,
}

/// Computes the coverage (reads only).
pub fn compute(
    gpkg: &GeoPackage,
    config: &CoverageConfig,
    progress: &Progress,
) -> Result<Coverage> {
    let towers_info = projected_layer(gpkg, &config.towers_layer)?;
    let communes_info = projected_layer(gpkg, &config.communes_layer)?;
    let villages_info = projected_layer(gpkg, &config.villages_layer)?;
    same_crs(&towers_info, &communes_info)?;
    same_crs(&towers_info, &villages_info)?;
    let communes = read_communes(
        gpkg,
        &communes_info,
        &config.commune_id_field,
        &config.commune_name_field,
    )?;
    let commune_index = PolygonIndex::new(communes.iter().map(|c| c.geometry.clone()).collect());
    let zoning = match &config.terrain {
        Terrain::ZoningLots { layer } => {
            let info = projected_layer(gpkg, layer)?;
            same_crs(&towers_info, &info)?;
            let lots = polygons_of(gpkg, &info)?;
            Some(PolygonIndex::new(
                lots.into_iter().map(|(_, p, _)| p).collect(),
            ))
        }
        _ => None,
    };
    let urban_communes: Vec<bool> = match &config.terrain {
        Terrain::CommuneType {
            field,
            urban_values,
        } => {
            let i = field_index(&communes_info, field)?;
            let mut flags = vec![false; communes.len()];
            let features = gpkg.all_features(&communes_info.name)?;
            let by_fid: BTreeMap<i64, usize> = communes
                .iter()
                .enumerate()
                .map(|(k, c)| (c.fid, k))
                .collect();
            for f in features {
                if let Some(&k) = f.fid.and_then(|fid| by_fid.get(&fid)) {
                    let v = text_of(&f.values[i]);
                    flags[k] = urban_values.iter().any(|u| u == &v);
                }
            }
            flags
        }
        _ => Vec::new(),
    };
    let is_urban = |p: &Point<f64>| -> bool {
        match &config.terrain {
            Terrain::AllUrban => true,
            Terrain::AllRural => false,
            Terrain::ZoningLots { .. } => {
                zoning.as_ref().is_some_and(|z| z.containing(p).is_some())
            }
            Terrain::CommuneType { .. } => commune_index
                .containing(p)
                .is_some_and(|k| urban_communes[k]),
        }
    };
    let towers = read_towers(gpkg, &towers_info, config, is_urban)?;

    let mut operators: Vec<String> = towers.iter().map(|t| t.operator.clone()).collect();
    operators.sort();
    operators.dedup();
    let group_names: Vec<String> = operators
        .iter()
        .cloned()
        .chain(std::iter::once(ALL_OPERATORS.to_string()))
        .collect();
    progress.set_total((group_names.len() + communes.len() + 1) as u64);

    let circles: Vec<Polygon<f64>> = towers
        .iter()
        .map(|t| circle(t.position, t.radius_m, config.quadrant_segments))
        .collect();
    // Each operator's union on its own thread (two at a time); then all
    // operators as the union of those, which have far fewer vertices than
    // the circles (their insides are gone).
    let operator_unions: Vec<MultiPolygon<f64>> = parallel_map(&operators, progress, |op| {
        let members = towers
            .iter()
            .zip(&circles)
            .filter(|(t, _)| &t.operator == op)
            .map(|(_, c)| c);
        unary_union(members)
    })?;
    check(progress)?;
    let all = unary_union(operator_unions.iter());
    progress.advance(1);
    let mut groups: Vec<GroupCoverage> = operators
        .iter()
        .zip(operator_unions)
        .map(|(op, geometry)| GroupCoverage {
            operator: op.clone(),
            towers: towers.iter().filter(|t| &t.operator == op).count(),
            area_m2: geometry.unsigned_area(),
            geometry,
        })
        .collect();
    groups.push(GroupCoverage {
        operator: ALL_OPERATORS.into(),
        towers: towers.len(),
        area_m2: all.unsigned_area(),
        geometry: all,
    });

    // Villages: covered by a group when within a member tower's radius.
    let tower_tree = RTree::bulk_load(
        towers
            .iter()
            .enumerate()
            .map(|(i, t)| GeomWithData::new([t.position.x(), t.position.y()], i))
            .collect(),
    );
    let max_radius = towers.iter().map(|t| t.radius_m).fold(0.0, f64::max);
    let villages = read_villages(gpkg, &villages_info, &config.village_name_field)?
        .into_iter()
        .map(|(fid, name, position)| {
            let xy = [position.x(), position.y()];
            let mut ops: Vec<String> = tower_tree
                .locate_within_distance(xy, max_radius * max_radius)
                .filter(|n| {
                    let t = &towers[n.data];
                    Euclidean.distance(t.position, position) <= t.radius_m
                })
                .map(|n| towers[n.data].operator.clone())
                .collect();
            ops.sort();
            ops.dedup();
            let nearest_tower = tower_tree.nearest_neighbor(&xy).map(|n| {
                let t = &towers[n.data];
                (t.id.clone(), Euclidean.distance(t.position, position))
            });
            VillageCoverage {
                fid,
                name,
                commune: commune_index.containing(&position),
                position,
                operators: ops,
                nearest_tower,
            }
        })
        .collect::<Vec<_>>();

    // Communes: each operator's union cut to the commune's box, then
    // clipped to the commune (only the arcs near it take part).
    let union_boxes: Vec<Vec<Option<Rect<f64>>>> = groups
        .iter()
        .map(|g| g.geometry.0.iter().map(|p| p.bounding_rect()).collect())
        .collect();
    let circle_index = PolygonIndex::new(
        circles
            .iter()
            .map(|c| MultiPolygon::new(vec![c.clone()]))
            .collect(),
    );
    let ks: Vec<usize> = (0..communes.len()).collect();
    let pieces = parallel_map(&ks, progress, |&k| {
        let commune = &communes[k];
        let near: Vec<usize> = match commune.geometry.bounding_rect() {
            Some(bbox) => circle_index.candidates(bbox).collect(),
            None => Vec::new(),
        };
        let mut by_operator: Vec<MultiPolygon<f64>> = operators
            .iter()
            .enumerate()
            .map(|(g, op)| {
                let members: Vec<usize> = near
                    .iter()
                    .copied()
                    .filter(|&i| &towers[i].operator == op)
                    .collect();
                covered_part(
                    commune,
                    &members,
                    &towers,
                    config.quadrant_segments,
                    (&groups[g].geometry, &union_boxes[g]),
                )
            })
            .collect();
        let mut areas: Vec<f64> = by_operator.iter().map(|m| m.unsigned_area()).collect();
        // One operator covering the whole commune covers it for all (most
        // communes, and the union of the operators' pieces is the costly
        // part of this loop).
        let whole = areas
            .iter()
            .copied()
            .find(|&a| a >= commune.area_m2 * (1.0 - 1e-9));
        let all = match whole {
            Some(a) => a,
            None => {
                by_operator.retain(|m| !m.0.is_empty());
                match by_operator.len() {
                    0 => 0.0,
                    1 => by_operator[0].unsigned_area(),
                    _ => unary_union(by_operator.iter()).unsigned_area(),
                }
            }
        };
        areas.push(all);
        areas
    })?;
    let mut commune_coverage = Vec::new();
    for (k, areas) in pieces.into_iter().enumerate() {
        let here: Vec<&VillageCoverage> =
            villages.iter().filter(|v| v.commune == Some(k)).collect();
        for (g, covered_m2) in group_names.iter().zip(areas) {
            let villages_covered = here
                .iter()
                .filter(|v| {
                    if g == ALL_OPERATORS {
                        !v.operators.is_empty()
                    } else {
                        v.operators.iter().any(|o| o == g)
                    }
                })
                .count();
            commune_coverage.push(CommuneCoverage {
                commune: k,
                operator: g.clone(),
                covered_m2,
                villages: here.len(),
                villages_covered,
            });
        }
    }

    check(progress)?;
    let colocations = colocation_candidates(&towers, &tower_tree, config.colocation_distance_m);
    progress.advance(1);
    Ok(Coverage {
        srs_id: towers_info.schema.srs_id,
        towers,
        groups,
        communes,
        commune_coverage,
        villages,
        colocations,
        output_prefix: config.output_prefix.clone(),
    })
}

/// Computes the coverage and saves its layers and tables in the workspace.
pub fn run(
    gpkg: &mut GeoPackage,
    config: &CoverageConfig,
    progress: &Progress,
) -> Result<Coverage> {
    let coverage = compute(gpkg, config, progress)?;
    check(progress)?;
    coverage.save(gpkg)?;
    Ok(coverage)
}

/// The part of a commune inside an operator's coverage (`union`, with the
/// boxes of its polygons). A circle of `members` (indices of towers) whose
/// inscribed polygon holds the commune's whole bounding box covers it all
/// (no overlay needed). Otherwise the union's rings are cut to the box
/// first, so the overlay with the commune meets only the arcs near it,
/// never the whole province's.
fn covered_part(
    commune: &Commune,
    members: &[usize],
    towers: &[Tower],
    quadrant_segments: usize,
    (union, boxes): (&MultiPolygon<f64>, &[Option<Rect<f64>>]),
) -> MultiPolygon<f64> {
    let Some(bbox) = commune.geometry.bounding_rect() else {
        return MultiPolygon::new(vec![]);
    };
    let inscribed = (std::f64::consts::PI / (4 * quadrant_segments.max(1)) as f64).cos();
    let corners = [
        bbox.min(),
        bbox.max(),
        Coord {
            x: bbox.min().x,
            y: bbox.max().y,
        },
        Coord {
            x: bbox.max().x,
            y: bbox.min().y,
        },
    ];
    for &i in members {
        let t = &towers[i];
        let c = t.position.0;
        let within = |p: &Coord<f64>| (p.x - c.x).hypot(p.y - c.y) <= t.radius_m * inscribed;
        if corners.iter().all(within) {
            return commune.geometry.clone();
        }
    }
    // A metre of margin keeps the cut's edges off the commune's own.
    let window = Rect::new(
        Coord {
            x: bbox.min().x - 1.0,
            y: bbox.min().y - 1.0,
        },
        Coord {
            x: bbox.max().x + 1.0,
            y: bbox.max().y + 1.0,
        },
    );
    let mut clipper = Clipper::default();
    let mut cut = Vec::new();
    for (polygon, b) in union.0.iter().zip(boxes) {
        if !b.is_some_and(|b| overlap_area(b, window) > 0.0) {
            continue;
        }
        let exterior = clipper.clip_to_rect(&polygon.exterior().0, window);
        if exterior.is_empty() {
            continue;
        }
        let holes = polygon
            .interiors()
            .iter()
            .map(|h| clipper.clip_to_rect(&h.0, window))
            .filter(|h| !h.is_empty())
            .map(LineString::new)
            .collect();
        cut.push(Polygon::new(LineString::new(exterior), holes));
    }
    if cut.is_empty() {
        return MultiPolygon::new(vec![]);
    }
    // The cut rings may run back and forth along the window's edges; the
    // even-odd overlay cancels those zero-width parts.
    MultiPolygon::new(cut).intersection(&commune.geometry)
}

/// `f` over `items` on two threads (the target machine's cores), results
/// in the order of `items`; stops early when the progress is cancelled.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    progress: &Progress,
    f: impl Fn(&T) -> R + Sync,
) -> Result<Vec<R>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let results = std::sync::Mutex::new(&mut slots);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    if progress.is_cancelled() {
                        return;
                    }
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(item) = items.get(i) else {
                        return;
                    };
                    let r = f(item);
                    progress.advance(1);
                    if let Ok(mut slots) = results.lock() {
                        slots[i] = Some(r);
                    }
                }
            });
        }
    });
    check(progress)?;
    Ok(slots.into_iter().flatten().collect())
}

/// Pairs of towers of different operators at most `distance` apart, each
/// pair once (lower index first), nearest first.
fn colocation_candidates(
    towers: &[Tower],
    tree: &RTree<GeomWithData<[f64; 2], usize>>,
    distance: f64,
) -> Vec<Colocation> {
    let mut pairs = Vec::new();
    for (a, t) in towers.iter().enumerate() {
        let xy = [t.position.x(), t.position.y()];
        for n in tree.locate_within_distance(xy, distance * distance) {
            let b = n.data;
            if b > a && towers[b].operator != t.operator {
                pairs.push(Colocation {
                    a,
                    b,
                    distance_m: Euclidean.distance(t.position, towers[b].position),
                });
            }
        }
    }
    pairs.sort_by(|x, y| {
        x.distance_m
            .total_cmp(&y.distance_m)
            .then(x.a.cmp(&y.a))
            .then(x.b.cmp(&y.b))
    });
    pairs
}

impl Coverage {
    pub fn group(&self, operator: &str) -> Option<&GroupCoverage> {
        self.groups.iter().find(|g| g.operator == operator)
    }

    /// The villages that no operator covers (the province's target: none).
    pub fn uncovered_villages(&self) -> impl Iterator<Item = &VillageCoverage> {
        self.villages.iter().filter(|v| v.operators.is_empty())
    }

    /// Share (0..1) of the villages covered by any operator.
    pub fn village_share(&self) -> f64 {
        if self.villages.is_empty() {
            return 1.0;
        }
        let covered = self
            .villages
            .iter()
            .filter(|v| !v.operators.is_empty())
            .count();
        covered as f64 / self.villages.len() as f64
    }

    /// The union of every group: operator, towers, covered area (ha).
    pub fn groups_table(&self) -> ResultTable {
        ResultTable {
            title: "Vùng phủ sóng BTS theo nhà mạng".into(),
            columns: vec![
                column("nha_mang", "Nhà mạng", "Operator", FieldType::Text),
                column("so_tram", "Số trạm", "Towers", FieldType::Integer),
                column(
                    "dien_tich_ha",
                    "Diện tích phủ sóng (ha)",
                    "Covered area (ha)",
                    FieldType::Real,
                ),
            ],
            rows: self
                .groups
                .iter()
                .map(|g| {
                    vec![
                        FieldValue::Text(g.operator.clone()),
                        FieldValue::Integer(g.towers as i64),
                        FieldValue::Real(round(g.area_m2 / 10_000.0, 4)),
                    ]
                })
                .collect(),
        }
    }

    /// Per commune and group: area, covered area, shares of area and villages.
    pub fn communes_table(&self) -> ResultTable {
        ResultTable {
            title: "Tỷ lệ phủ sóng theo xã".into(),
            columns: vec![
                column("ma_xa", "Mã xã", "Commune code", FieldType::Text),
                column("ten_xa", "Tên xã", "Commune", FieldType::Text),
                column("nha_mang", "Nhà mạng", "Operator", FieldType::Text),
                column(
                    "dien_tich_ha",
                    "Diện tích xã (ha)",
                    "Commune area (ha)",
                    FieldType::Real,
                ),
                column(
                    "phu_song_ha",
                    "Diện tích phủ sóng (ha)",
                    "Covered (ha)",
                    FieldType::Real,
                ),
                column(
                    "ty_le_dien_tich",
                    "Tỷ lệ diện tích phủ sóng (%)",
                    "Area covered (%)",
                    FieldType::Real,
                ),
                column("so_thon", "Số thôn", "Villages", FieldType::Integer),
                column(
                    "so_thon_phu_song",
                    "Số thôn được phủ sóng",
                    "Villages covered",
                    FieldType::Integer,
                ),
                column(
                    "ty_le_thon",
                    "Tỷ lệ thôn phủ sóng (%)",
                    "Villages covered (%)",
                    FieldType::Real,
                ),
            ],
            rows: self
                .commune_coverage
                .iter()
                .map(|c| {
                    let commune = &self.communes[c.commune];
                    vec![
                        FieldValue::Text(commune.id.clone()),
                        FieldValue::Text(commune.name.clone()),
                        FieldValue::Text(c.operator.clone()),
                        FieldValue::Real(round(commune.area_m2 / 10_000.0, 4)),
                        FieldValue::Real(round(c.covered_m2 / 10_000.0, 4)),
                        FieldValue::Real(round(percent(c.covered_m2, commune.area_m2), 2)),
                        FieldValue::Integer(c.villages as i64),
                        FieldValue::Integer(c.villages_covered as i64),
                        share_value(c.villages_covered, c.villages),
                    ]
                })
                .collect(),
        }
    }

    /// Every village with the operators covering it and its nearest tower.
    pub fn villages_table(&self, uncovered_only: bool) -> ResultTable {
        let title = if uncovered_only {
            "Thôn chưa được phủ sóng"
        } else {
            "Phủ sóng theo thôn"
        };
        ResultTable {
            title: title.into(),
            columns: vec![
                column("fid_thon", "FID thôn", "Village fid", FieldType::Integer),
                column("ten_thon", "Tên thôn", "Village", FieldType::Text),
                column("ma_xa", "Mã xã", "Commune code", FieldType::Text),
                column("ten_xa", "Tên xã", "Commune", FieldType::Text),
                column(
                    "nha_mang",
                    "Nhà mạng phủ sóng",
                    "Operators covering",
                    FieldType::Text,
                ),
                column(
                    "tram_gan_nhat",
                    "Trạm gần nhất",
                    "Nearest tower",
                    FieldType::Text,
                ),
                column(
                    "khoang_cach_m",
                    "Khoảng cách (m)",
                    "Distance (m)",
                    FieldType::Real,
                ),
            ],
            rows: self
                .villages
                .iter()
                .filter(|v| !uncovered_only || v.operators.is_empty())
                .map(|v| self.village_row(v))
                .collect(),
        }
    }

    fn village_row(&self, v: &VillageCoverage) -> Vec<FieldValue> {
        let commune = v.commune.map(|k| &self.communes[k]);
        vec![
            FieldValue::Integer(v.fid),
            FieldValue::Text(v.name.clone()),
            text_or_null(commune.map(|c| c.id.as_str())),
            text_or_null(commune.map(|c| c.name.as_str())),
            FieldValue::Text(v.operators.join(", ")),
            text_or_null(v.nearest_tower.as_ref().map(|(id, _)| id.as_str())),
            v.nearest_tower
                .as_ref()
                .map_or(FieldValue::Null, |(_, d)| FieldValue::Real(round(*d, 1))),
        ]
    }

    pub fn colocation_table(&self) -> ResultTable {
        ResultTable {
            title: "Trạm có thể dùng chung hạ tầng".into(),
            columns: vec![
                column("ma_tram_1", "Mã trạm 1", "Tower 1", FieldType::Text),
                column("nha_mang_1", "Nhà mạng 1", "Operator 1", FieldType::Text),
                column("ma_tram_2", "Mã trạm 2", "Tower 2", FieldType::Text),
                column("nha_mang_2", "Nhà mạng 2", "Operator 2", FieldType::Text),
                column(
                    "khoang_cach_m",
                    "Khoảng cách (m)",
                    "Distance (m)",
                    FieldType::Real,
                ),
            ],
            rows: self
                .colocations
                .iter()
                .map(|c| self.colocation_row(c))
                .collect(),
        }
    }

    fn colocation_row(&self, c: &Colocation) -> Vec<FieldValue> {
        let (a, b) = (&self.towers[c.a], &self.towers[c.b]);
        vec![
            FieldValue::Text(a.id.clone()),
            FieldValue::Text(a.operator.clone()),
            FieldValue::Text(b.id.clone()),
            FieldValue::Text(b.operator.clone()),
            FieldValue::Real(round(c.distance_m, 2)),
        ]
    }

    /// The names of the layers [`Coverage::save`] writes.
    pub fn layer_names(&self) -> [String; 4] {
        let p = &self.output_prefix;
        [
            p.clone(),
            format!("{p}_xa"),
            format!("{p}_thon_chua_phu"),
            format!("{p}_dung_chung"),
        ]
    }

    /// Writes the result layers (replacing earlier ones of the same names):
    /// the coverage areas per group, the communes with their share covered
    /// by all operators (a graduated default style), the uncovered villages
    /// and the co-location pairs as lines; and the tables `<prefix>_bang_xa`
    /// and `<prefix>_bang_thon` as attribute tables.
    pub fn save(&self, gpkg: &mut GeoPackage) -> Result<Vec<String>> {
        let [areas, communes, uncovered, shared] = self.layer_names();
        // Titles are gpkg_contents identifiers, unique in a file: the
        // layer's name keeps those of runs with other prefixes apart.
        let meta = |vi: &str, en: &str, name: &str| LayerMeta {
            theme: Some(LayerTheme::Telecom),
            title_vi: Some(format!("{vi} ({name})")),
            title_en: Some(format!("{en} ({name})")),
            draw_order: 900,
        };
        let srs = self.srs_id;

        let schema = Schema::new(
            GeometryType::MultiPolygon,
            srs,
            self.groups_table().columns.iter().map(field_of).collect(),
        );
        let rows = self.groups_table().rows;
        let features = self.groups.iter().zip(rows).map(|(g, values)| {
            Feature::new(Some(Geometry::MultiPolygon(g.geometry.clone())), values)
        });
        super::table::replace_layer(
            gpkg,
            &areas,
            &schema,
            &meta("Vùng phủ sóng BTS", "BTS coverage", &areas),
            features,
            "Tính vùng phủ sóng BTS",
        )?;

        // Communes: the all-operators rows, one polygon each.
        let table = self.communes_table();
        let schema = Schema::new(
            GeometryType::MultiPolygon,
            srs,
            table.columns.iter().map(field_of).collect(),
        );
        let features = self
            .commune_coverage
            .iter()
            .zip(table.rows)
            .filter(|(c, _)| c.operator == ALL_OPERATORS)
            .map(|(c, values)| {
                let g = self.communes[c.commune].geometry.clone();
                Feature::new(Some(Geometry::MultiPolygon(g)), values)
            });
        super::table::replace_layer(
            gpkg,
            &communes,
            &schema,
            &meta("Tỷ lệ phủ sóng theo xã", "Coverage by commune", &communes),
            features,
            "Tính tỷ lệ phủ sóng theo xã",
        )?;
        super::indicators::save_choropleth(gpkg, &communes, "ty_le_dien_tich")?;

        let table = self.villages_table(true);
        let schema = Schema::new(
            GeometryType::Point,
            srs,
            table.columns.iter().map(field_of).collect(),
        );
        let features = self
            .uncovered_villages()
            .zip(table.rows)
            .map(|(v, values)| Feature::new(Some(Geometry::Point(v.position)), values));
        super::table::replace_layer(
            gpkg,
            &uncovered,
            &schema,
            &meta(
                "Thôn chưa được phủ sóng",
                "Villages without coverage",
                &uncovered,
            ),
            features,
            "Liệt kê thôn chưa được phủ sóng",
        )?;

        let table = self.colocation_table();
        let schema = Schema::new(
            GeometryType::LineString,
            srs,
            table.columns.iter().map(field_of).collect(),
        );
        let features = self.colocations.iter().zip(table.rows).map(|(c, values)| {
            let line = LineString::from(vec![
                self.towers[c.a].position.0,
                self.towers[c.b].position.0,
            ]);
            Feature::new(Some(Geometry::LineString(line)), values)
        });
        super::table::replace_layer(
            gpkg,
            &shared,
            &schema,
            &meta(
                "Trạm có thể dùng chung hạ tầng",
                "Co-location candidates",
                &shared,
            ),
            features,
            "Liệt kê trạm có thể dùng chung hạ tầng",
        )?;

        let p = &self.output_prefix;
        save_table(gpkg, self.communes_table(), &format!("{p}_bang_xa"))?;
        save_table(gpkg, self.villages_table(false), &format!("{p}_bang_thon"))?;
        Ok(vec![
            areas,
            communes,
            uncovered,
            shared,
            format!("{p}_bang_xa"),
            format!("{p}_bang_thon"),
        ])
    }
}

fn read_towers(
    gpkg: &GeoPackage,
    info: &LayerInfo,
    config: &CoverageConfig,
    is_urban: impl Fn(&Point<f64>) -> bool,
) -> Result<Vec<Tower>> {
    let id = field_index(info, &config.tower_id_field)?;
    let operator = field_index(info, &config.operator_field)?;
    let technology = field_index(info, &config.technology_field)?;
    let status = match &config.status_field {
        Some(f) => Some(field_index(info, f)?),
        None => None,
    };
    let mut towers = Vec::new();
    for f in gpkg.all_features(&info.name)? {
        let fid = f.fid.unwrap_or_default();
        if let Some(s) = status
            && config.excluded_status.contains(&text_of(&f.values[s]))
        {
            continue;
        }
        let Some(position) = point_of(f.geometry.as_ref()) else {
            continue;
        };
        let tech = text_of(&f.values[technology]);
        let urban = is_urban(&position);
        let radius_m = tech
            .split(['/', ',', ';', ' ', '+'])
            .filter_map(|t| {
                config
                    .radii
                    .iter()
                    .find(|r| r.technology.eq_ignore_ascii_case(t.trim()))
            })
            .map(|r| if urban { r.urban_m } else { r.rural_m })
            .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r))));
        let Some(radius_m) = radius_m else {
            let known: Vec<&str> = config.radii.iter().map(|r| r.technology.as_str()).collect();
            return Err(AnalysisError::Layer {
                layer: info.name.clone(),
                detail: format!(
                    "fid {fid}: {} '{tech}' names no technology with a radius (known: {})",
                    config.technology_field,
                    known.join(", ")
                ),
            });
        };
        towers.push(Tower {
            fid,
            id: text_of(&f.values[id]),
            operator: text_of(&f.values[operator]),
            position,
            urban,
            radius_m,
        });
    }
    Ok(towers)
}

fn read_villages(
    gpkg: &GeoPackage,
    info: &LayerInfo,
    name_field: &str,
) -> Result<Vec<(i64, String, Point<f64>)>> {
    let name = field_index(info, name_field)?;
    Ok(gpkg
        .all_features(&info.name)?
        .into_iter()
        .filter_map(|f| {
            let p = point_of(f.geometry.as_ref())?;
            Some((f.fid.unwrap_or_default(), text_of(&f.values[name]), p))
        })
        .collect())
}

/// Reads a commune layer: id, name, area (m²) and geometry of each polygon.
pub(crate) fn read_communes(
    gpkg: &GeoPackage,
    info: &LayerInfo,
    id_field: &str,
    name_field: &str,
) -> Result<Vec<Commune>> {
    let id = field_index(info, id_field)?;
    let name = field_index(info, name_field)?;
    Ok(polygons_of(gpkg, info)?
        .into_iter()
        .map(|(fid, geometry, values)| Commune {
            fid,
            id: text_of(&values[id]),
            name: text_of(&values[name]),
            area_m2: geometry.unsigned_area(),
            geometry,
        })
        .collect())
}

// ---- Shared by compliance and indicators -------------------------------

/// The layer, refused when its CRS is geographic: areas and distances are
/// measured in the layer's own units, which must be metres.
pub(crate) fn projected_layer(gpkg: &GeoPackage, name: &str) -> Result<LayerInfo> {
    let info = gpkg.layer(name)?;
    if info.is_attributes() {
        return Err(AnalysisError::Layer {
            layer: name.into(),
            detail: "is an attribute table without geometries".into(),
        });
    }
    if info.crs.is_geographic() {
        return Err(AnalysisError::Layer {
            layer: name.into(),
            detail: format!(
                "is in a geographic CRS ({}); areas and distances need a projected CRS in metres — reproject it to the workspace's VN-2000 first (ogr2ogr -t_srs EPSG:9214)",
                info.crs.label()
            ),
        });
    }
    Ok(info)
}

/// Refuses two layers in different CRSs (their coordinates cannot be mixed).
pub(crate) fn same_crs(a: &LayerInfo, b: &LayerInfo) -> Result<()> {
    if a.schema.srs_id != b.schema.srs_id && a.crs != b.crs {
        return Err(AnalysisError::Layer {
            layer: b.name.clone(),
            detail: format!(
                "is in {} but {} is in {}; reproject one of them first",
                b.crs.label(),
                a.name,
                a.crs.label()
            ),
        });
    }
    Ok(())
}

pub(crate) fn field_index(info: &LayerInfo, field: &str) -> Result<usize> {
    info.schema
        .field_index(field)
        .ok_or_else(|| AnalysisError::NoField {
            layer: info.name.clone(),
            field: field.into(),
        })
}

/// A polygon feature: its fid, geometry and attribute values.
pub(crate) type PolygonFeature = (i64, MultiPolygon<f64>, Vec<FieldValue>);

/// Every polygon feature of a layer; features without a polygon geometry
/// are skipped.
pub(crate) fn polygons_of(gpkg: &GeoPackage, info: &LayerInfo) -> Result<Vec<PolygonFeature>> {
    Ok(gpkg
        .all_features(&info.name)?
        .into_iter()
        .filter_map(|f| {
            let g = multi_polygon_of(f.geometry)?;
            Some((f.fid.unwrap_or_default(), g, f.values))
        })
        .collect())
}

pub(crate) fn multi_polygon_of(g: Option<Geometry<f64>>) -> Option<MultiPolygon<f64>> {
    match g? {
        Geometry::Polygon(p) => Some(MultiPolygon::new(vec![p])),
        Geometry::MultiPolygon(m) => Some(m),
        Geometry::Rect(r) => Some(MultiPolygon::new(vec![r.to_polygon()])),
        Geometry::GeometryCollection(c) => {
            let polys: Vec<Polygon<f64>> =
                c.0.into_iter()
                    .filter_map(|g| multi_polygon_of(Some(g)))
                    .flat_map(|m| m.0)
                    .collect();
            (!polys.is_empty()).then(|| MultiPolygon::new(polys))
        }
        _ => None,
    }
}

pub(crate) fn point_of(g: Option<&Geometry<f64>>) -> Option<Point<f64>> {
    match g? {
        Geometry::Point(p) => Some(*p),
        Geometry::MultiPoint(m) => m.0.first().copied(),
        _ => None,
    }
}

/// A value as text (NULL as empty).
pub(crate) fn text_of(v: &FieldValue) -> String {
    match v {
        FieldValue::Null => String::new(),
        other => other.to_string(),
    }
}

fn text_or_null(v: Option<&str>) -> FieldValue {
    v.map_or(FieldValue::Null, |s| FieldValue::Text(s.into()))
}

pub(crate) fn check(progress: &Progress) -> Result<()> {
    if progress.is_cancelled() {
        return Err(Cancelled.into());
    }
    Ok(())
}

pub(crate) fn column(name: &str, vi: &str, en: &str, field_type: FieldType) -> Column {
    Column {
        name: name.into(),
        label_vi: vi.into(),
        label_en: en.into(),
        field_type,
    }
}

/// Saves a result table under `name`, its title followed by the name:
/// the title is the table's gpkg_contents identifier, unique in a file.
pub(crate) fn save_table(gpkg: &mut GeoPackage, mut table: ResultTable, name: &str) -> Result<()> {
    table.title = format!("{} ({name})", table.title);
    table.save(gpkg, name)
}

pub(crate) fn field_of(c: &Column) -> Field {
    Field::new(&c.name, c.field_type)
}

pub(crate) fn round(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

pub(crate) fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        100.0 * part / whole
    } else {
        0.0
    }
}

fn share_value(part: usize, whole: usize) -> FieldValue {
    if whole == 0 {
        FieldValue::Null
    } else {
        FieldValue::Real(round(100.0 * part as f64 / whole as f64, 2))
    }
}

/// A circle as GEOS buffers a point: 4 × `quadrant_segments` vertices at
/// angles k·2π/n from the +x axis (counter-clockwise here; the set of
/// vertices, hence the area and every union, is the same).
pub fn circle(center: Point<f64>, radius: f64, quadrant_segments: usize) -> Polygon<f64> {
    let n = 4 * quadrant_segments.max(1);
    let mut ring: Vec<Coord<f64>> = (0..n)
        .map(|k| {
            let a = std::f64::consts::TAU * k as f64 / n as f64;
            Coord {
                x: center.x() + radius * a.cos(),
                y: center.y() + radius * a.sin(),
            }
        })
        .collect();
    ring.push(ring[0]);
    Polygon::new(LineString::new(ring), vec![])
}

/// Polygons with an R-tree of their bounding boxes.
pub(crate) struct PolygonIndex {
    pub polygons: Vec<MultiPolygon<f64>>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

impl PolygonIndex {
    pub fn new(polygons: Vec<MultiPolygon<f64>>) -> Self {
        let tree = RTree::bulk_load(
            polygons
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    let r = p.bounding_rect()?;
                    Some(GeomWithData::new(
                        Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                        i,
                    ))
                })
                .collect(),
        );
        PolygonIndex { polygons, tree }
    }

    /// The polygons whose bounding box meets `area`.
    pub fn candidates(&self, area: Rect<f64>) -> impl Iterator<Item = usize> + '_ {
        let envelope =
            AABB::from_corners([area.min().x, area.min().y], [area.max().x, area.max().y]);
        self.tree
            .locate_in_envelope_intersecting(&envelope)
            .map(|n| n.data)
    }

    /// The first polygon containing the point (lowest index on a shared edge).
    pub fn containing(&self, p: &Point<f64>) -> Option<usize> {
        let xy = [p.x(), p.y()];
        self.tree
            .locate_all_at_point(&xy)
            .map(|n| n.data)
            .filter(|&i| self.polygons[i].intersects(p))
            .min()
    }
}
