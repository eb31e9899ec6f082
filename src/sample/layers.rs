//! The sample workspace's layers: their schemas, metadata and features.

use geo::Area;
use geo_types::{Coord, Geometry, LineString, Point, Polygon};

use super::network::Network;
use super::parcels::split_piece;
use super::plan::CommunePlan;
use super::province::Province;
use super::rng::Rng;
use super::split::{closed, signed_area};
use crate::crs::VN2000_TM3_107;
use crate::gpkg::LayerMeta;
use crate::model::{Feature, Field, FieldType, FieldValue, GeometryType, LayerTheme, Schema};

pub struct LayerDef {
    pub name: &'static str,
    pub schema: Schema,
    pub meta: LayerMeta,
}

fn def(
    name: &'static str,
    geometry: GeometryType,
    theme: LayerTheme,
    order: i64,
    titles: (&str, &str),
    fields: &[(&str, FieldType)],
) -> LayerDef {
    LayerDef {
        name,
        schema: Schema::new(
            geometry,
            VN2000_TM3_107,
            fields.iter().map(|(n, t)| Field::new(n, *t)).collect(),
        ),
        meta: LayerMeta {
            theme: Some(theme),
            title_vi: Some(titles.0.to_string()),
            title_en: Some(titles.1.to_string()),
            draw_order: order,
        },
    }
}

use FieldType::{Date, Integer as Int, Real, Text};

pub fn definitions() -> Vec<LayerDef> {
    vec![
        def(
            "ranh_gioi_xa",
            GeometryType::Polygon,
            LayerTheme::Base,
            10,
            ("Ranh giới xã", "Commune boundaries"),
            &[
                ("ma_xa", Text),
                ("ten_xa", Text),
                ("loai", Text),
                ("ma_huyen", Text),
                ("ten_huyen", Text),
                ("dan_so", Int),
                ("dien_tich_ha", Real),
            ],
        ),
        def(
            "thua_dat",
            GeometryType::Polygon,
            LayerTheme::LandUse,
            20,
            ("Thửa đất hiện trạng", "Land parcels (current use)"),
            &[
                ("ma_loai_dat", Text),
                ("dien_tich", Real),
                ("so_to", Int),
                ("so_thua", Int),
                ("ma_xa", Text),
                ("nam", Int),
            ],
        ),
        def(
            "o_quy_hoach",
            GeometryType::Polygon,
            LayerTheme::Planning,
            30,
            ("Ô quy hoạch", "Planning lots"),
            &[
                ("ky_hieu_o", Text),
                ("chuc_nang", Text),
                ("dien_tich", Real),
                ("mat_do_xd", Real),
                ("tang_cao_min", Int),
                ("tang_cao_max", Int),
                ("he_so_sdd", Real),
                ("loai_quy_hoach", Text),
                ("ten_do_an", Text),
                ("qd_phe_duyet", Text),
                ("ngay_phe_duyet", Date),
            ],
        ),
        def(
            "duong_giao_thong",
            GeometryType::LineString,
            LayerTheme::Infrastructure,
            40,
            ("Đường giao thông", "Roads"),
            &[
                ("ten_duong", Text),
                ("cap_duong", Text),
                ("be_rong_m", Real),
                ("ket_cau", Text),
                ("chieu_dai_m", Real),
            ],
        ),
        def(
            "ranh_gioi_huyen",
            GeometryType::Polygon,
            LayerTheme::Base,
            50,
            ("Ranh giới huyện", "District boundaries"),
            &[
                ("ma_huyen", Text),
                ("ten_huyen", Text),
                ("loai", Text),
                ("dien_tich_ha", Real),
            ],
        ),
        def(
            "thon_xom",
            GeometryType::Point,
            LayerTheme::Base,
            60,
            ("Thôn, xóm", "Villages"),
            &[("ten_thon", Text), ("ma_xa", Text), ("dan_so", Int)],
        ),
        def(
            "cot_den",
            GeometryType::Point,
            LayerTheme::SmartCity,
            70,
            ("Cột đèn chiếu sáng", "Street lighting poles"),
            &[
                ("ma_cot", Text),
                ("loai_den", Text),
                ("cong_suat_w", Int),
                ("tuyen_duong", Text),
                ("trang_thai", Text),
            ],
        ),
        def(
            "cam_bien",
            GeometryType::Point,
            LayerTheme::SmartCity,
            80,
            ("Cảm biến môi trường", "Environmental sensors"),
            &[
                ("ma_cam_bien", Text),
                ("thong_so", Text),
                ("don_vi_quan_ly", Text),
                ("trang_thai", Text),
                ("gia_tri", Real),
                ("don_vi_do", Text),
            ],
        ),
        def(
            "camera",
            GeometryType::Point,
            LayerTheme::SmartCity,
            90,
            ("Camera giám sát", "Surveillance cameras"),
            &[
                ("ma_camera", Text),
                ("loai", Text),
                ("don_vi_quan_ly", Text),
                ("trang_thai", Text),
                ("ngay_lap_dat", Date),
            ],
        ),
        def(
            "tram_bts",
            GeometryType::Point,
            LayerTheme::Telecom,
            100,
            ("Trạm BTS", "BTS towers"),
            &[
                ("ma_tram", Text),
                ("nha_mang", Text),
                ("loai_cot", Text),
                ("chieu_cao", Real),
                ("cong_nghe", Text),
                ("dung_chung", Text),
                ("giay_phep", Text),
                ("trang_thai", Text),
                ("ngay_lap_dat", Date),
            ],
        ),
    ]
}

fn t(s: &str) -> FieldValue {
    FieldValue::Text(s.to_string())
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

fn date(rng: &mut Rng, from_year: i32, to_year: i32) -> FieldValue {
    let year = from_year + rng.below((to_year - from_year + 1) as usize) as i32;
    FieldValue::Date(format!(
        "{year}-{:02}-{:02}",
        1 + rng.below(12),
        1 + rng.below(28)
    ))
}

fn polygon_feature(p: Polygon<f64>, values: Vec<FieldValue>) -> Feature {
    Feature::new(Some(Geometry::Polygon(p)), values)
}

fn point_feature(c: Coord<f64>, values: Vec<FieldValue>) -> Feature {
    Feature::new(Some(Geometry::Point(Point(c))), values)
}

pub fn communes(p: &Province) -> Vec<Feature> {
    p.communes
        .iter()
        .map(|c| {
            let d = &p.districts[c.district];
            polygon_feature(
                c.polygon.clone(),
                vec![
                    t(&c.code),
                    t(&c.name),
                    t(c.kind),
                    t(&d.code),
                    t(&d.name),
                    FieldValue::Integer(c.population),
                    FieldValue::Real(round(c.polygon.unsigned_area() / 10_000.0, 2)),
                ],
            )
        })
        .collect()
}

pub fn districts(p: &Province) -> Vec<Feature> {
    p.districts
        .iter()
        .map(|d| {
            polygon_feature(
                d.polygon.clone(),
                vec![
                    t(&d.code),
                    t(&format!("{} {}", d.kind, d.name)),
                    t(d.kind),
                    FieldValue::Real(round(d.polygon.unsigned_area() / 10_000.0, 2)),
                ],
            )
        })
        .collect()
}

/// A land-use function of a planning lot.
struct PlanFunction {
    prefix: &'static str,
    name: &'static str,
    weight: f64,
    /// Building coverage range, %.
    coverage: (f64, f64),
    /// Floors range.
    floors: (i64, i64),
}

const fn function(
    prefix: &'static str,
    name: &'static str,
    weight: f64,
    coverage: (f64, f64),
    floors: (i64, i64),
) -> PlanFunction {
    PlanFunction {
        prefix,
        name,
        weight,
        coverage,
        floors,
    }
}

const FUNCTIONS: [PlanFunction; 10] = [
    function("OM", "Đất ở mới", 25.0, (60.0, 90.0), (3, 5)),
    function(
        "OHT",
        "Đất ở hiện trạng cải tạo",
        15.0,
        (60.0, 90.0),
        (2, 5),
    ),
    function("CX", "Đất cây xanh, công viên", 12.0, (0.0, 5.0), (0, 1)),
    function("CC", "Đất công cộng", 6.0, (30.0, 40.0), (2, 9)),
    function("GD", "Đất giáo dục", 6.0, (30.0, 40.0), (2, 4)),
    function("YT", "Đất y tế", 3.0, (30.0, 40.0), (2, 9)),
    function("HH", "Đất hỗn hợp", 10.0, (40.0, 70.0), (5, 25)),
    function("TM", "Đất thương mại, dịch vụ", 10.0, (40.0, 70.0), (3, 15)),
    function("CN", "Đất công nghiệp, kho tàng", 8.0, (50.0, 70.0), (1, 3)),
    function("HT", "Đất hạ tầng kỹ thuật", 5.0, (20.0, 40.0), (1, 2)),
];

/// Plan areas: (district index, plan kind, plan name, decision).
const PLANS: [(usize, &str, &str, &str, &str); 3] = [
    (
        1,
        "Quy hoạch phân khu",
        "Quy hoạch phân khu số 1 thành phố Bắc Giang",
        "Quyết định số 1132/QĐ-UBND",
        "2023-06-15",
    ),
    (
        0,
        "Quy hoạch chung",
        "Quy hoạch chung đô thị Việt Yên đến năm 2040",
        "Quyết định số 245/QĐ-UBND",
        "2024-03-28",
    ),
    (
        9,
        "Quy hoạch chung",
        "Quy hoạch chung đô thị Chũ đến năm 2045",
        "Quyết định số 716/QĐ-UBND",
        "2024-09-10",
    ),
];

/// The planning lots of the three plans: the street blocks of each plan's
/// town (its seat, and for the city the wards around it), each block
/// divided into one to six lots. Lots follow the blocks: streets are not in
/// any lot.
pub fn planning_lots(p: &Province, plans: &[CommunePlan], rng: &mut Rng) -> Vec<Feature> {
    let mut out = Vec::new();
    for (district, kind, name, decision, date) in PLANS {
        let seat = p.districts[district].seat;
        let (si, sj) = p.communes[seat].cell;
        let towns: Vec<usize> = (0..p.communes.len())
            .filter(|&k| {
                let c = &p.communes[k];
                k == seat
                    || (district == 1
                        && c.district == district
                        && c.cell.0.abs_diff(si) + c.cell.1.abs_diff(sj) == 1)
            })
            .collect();
        let mut counters = [0usize; FUNCTIONS.len()];
        for k in towns {
            for block in plans[k].blocks.iter().filter(|b| b.town) {
                let area = signed_area(&block.ring);
                let want = ((area / 12_000.0).round() as usize).clamp(1, 6);
                let mut lots = vec![block.ring.clone()];
                while lots.len() < want {
                    lots.sort_by(|a, b| signed_area(a).total_cmp(&signed_area(b)));
                    let Some(parts) = split_piece(lots.last().unwrap(), rng, want - lots.len())
                    else {
                        break;
                    };
                    lots.pop();
                    lots.extend(parts);
                }
                for ring in lots {
                    let weights: Vec<f64> = FUNCTIONS.iter().map(|f| f.weight).collect();
                    let fi = rng.weighted(&weights);
                    let PlanFunction {
                        prefix,
                        name: function,
                        coverage,
                        floors,
                        ..
                    } = FUNCTIONS[fi];
                    counters[fi] += 1;
                    let mat_do = round(rng.range(coverage.0, coverage.1), 0);
                    let tmin = floors.0;
                    let tmax = floors.0 + rng.below((floors.1 - floors.0 + 1) as usize) as i64;
                    let area = signed_area(&ring);
                    out.push(polygon_feature(
                        Polygon::new(closed(&ring), vec![]),
                        vec![
                            t(&format!("{prefix}-{:02}", counters[fi])),
                            t(function),
                            FieldValue::Real(round(area, 1)),
                            FieldValue::Real(mat_do),
                            FieldValue::Integer(tmin),
                            FieldValue::Integer(tmax),
                            FieldValue::Real(round(mat_do / 100.0 * tmax as f64, 2)),
                            t(kind),
                            t(name),
                            t(decision),
                            FieldValue::Date(date.to_string()),
                        ],
                    ));
                }
            }
        }
    }
    out
}
/// A road centre line inside a commune, with what the poles need.
struct RoadSegment<'a> {
    from: Coord<f64>,
    to: Coord<f64>,
    name: &'a str,
    width: f64,
}

fn commune_roads<'a>(net: &'a Network, plan: &'a CommunePlan, k: usize) -> Vec<RoadSegment<'a>> {
    let mut out: Vec<RoadSegment> = net.chords[k]
        .iter()
        .filter(|ch| !net.corridors[ch.corridor].water)
        .map(|ch| RoadSegment {
            from: ch.from,
            to: ch.to,
            name: &net.corridors[ch.corridor].name,
            width: net.corridors[ch.corridor].width,
        })
        .collect();
    out.extend(plan.local_roads.iter().map(|r| RoadSegment {
        from: r.from,
        to: r.to,
        name: &r.name,
        width: r.width,
    }));
    out
}

/// The road layer: the network's roads through the communes they cross,
/// then each commune's own roads and streets.
pub fn roads(net: &Network, plans: &[CommunePlan]) -> Vec<Feature> {
    let mut out: Vec<Feature> = net
        .corridors
        .iter()
        .filter(|c| !c.water)
        .map(|c| {
            road(
                LineString(c.points.clone()),
                &c.name,
                c.class,
                c.width,
                c.surface,
            )
        })
        .collect();
    for plan in plans {
        for r in &plan.local_roads {
            out.push(road(
                LineString(vec![r.from, r.to]),
                &r.name,
                r.class,
                r.width,
                r.surface,
            ));
        }
    }
    out
}

fn road(line: LineString<f64>, name: &str, class: &str, width: f64, surface: &str) -> Feature {
    use geo::{Euclidean, Length};
    let length = round(Euclidean.length(&line), 1);
    Feature::new(
        Some(Geometry::LineString(line)),
        vec![
            t(name),
            t(class),
            FieldValue::Real(round(width, 1)),
            t(surface),
            FieldValue::Real(length),
        ],
    )
}

pub fn villages(p: &Province, plans: &[CommunePlan], rng: &mut Rng) -> Vec<Feature> {
    let mut out = Vec::new();
    for (c, plan) in p.communes.iter().zip(plans) {
        let n = plan.villages.len() as i64;
        for (k, at) in plan.villages.iter().enumerate() {
            let name = if c.urban {
                format!("Tổ dân phố số {}", k + 1)
            } else {
                format!("Thôn {}", k + 1)
            };
            out.push(point_feature(
                *at,
                vec![
                    t(&name),
                    t(&c.code),
                    FieldValue::Integer(c.population / n.max(1) + rng.below(400) as i64),
                ],
            ));
        }
    }
    out
}

/// BTS operators (`nha_mang`), as stored.
pub const BTS_OPERATORS: [&str; 4] = ["Viettel", "VNPT/VinaPhone", "MobiFone", "Vietnamobile"];
/// Tower types (`loai_cot`) with their height range, m.
pub const BTS_TOWER_TYPES: [(&str, (f64, f64)); 4] = [
    ("Cột tự đứng", (30.0, 60.0)),
    ("Cột dây co", (30.0, 50.0)),
    ("Cột trên mái nhà", (6.0, 18.0)),
    ("Cột ngụy trang", (15.0, 25.0)),
];
/// Technologies (`cong_nghe`) the generator writes.
pub const BTS_TECHNOLOGIES: [&str; 4] = ["4G", "4G/5G", "2G/3G/4G", "3G/4G"];

/// Least distance between two towers of one operator with this
/// technology, m, in town (in the country it is three times as far): the
/// higher the band, the smaller the cell.
fn bts_spacing(tech: &str) -> f64 {
    match tech {
        "4G/5G" => 350.0,
        "4G" => 550.0,
        "3G/4G" => 800.0,
        _ => 1200.0,
    }
}

/// The planning functions (`chuc_nang` of o_quy_hoach): (symbol, name).
pub fn planning_functions() -> impl Iterator<Item = (&'static str, &'static str)> {
    FUNCTIONS.iter().map(|f| (f.prefix, f.name))
}

/// A place near a village or along a road of a commune picked by weight.
fn site(
    p: &Province,
    net: &Network,
    plans: &[CommunePlan],
    weights: &[f64],
    rng: &mut Rng,
) -> (Coord<f64>, usize) {
    let k = rng.weighted(weights);
    let plan = &plans[k];
    let roads = commune_roads(net, plan, k);
    if rng.unit() < 0.5 || roads.is_empty() {
        let v = plan.villages[rng.below(plan.villages.len())];
        return (
            Coord {
                x: v.x + rng.range(-150.0, 150.0),
                y: v.y + rng.range(-150.0, 150.0),
            },
            k,
        );
    }
    let r = &roads[rng.below(roads.len())];
    let f = rng.unit();
    let (dx, dy) = (r.to.x - r.from.x, r.to.y - r.from.y);
    let len = dx.hypot(dy).max(1.0);
    let off = (r.width / 2.0 + rng.range(15.0, 60.0)) * if rng.unit() < 0.5 { -1.0 } else { 1.0 };
    let _ = p;
    (
        Coord {
            x: r.from.x + dx * f - dy / len * off,
            y: r.from.y + dy * f + dx / len * off,
        },
        k,
    )
}

pub fn bts_towers(
    p: &Province,
    net: &Network,
    plans: &[CommunePlan],
    count: usize,
    rng: &mut Rng,
) -> Vec<Feature> {
    use std::collections::HashMap;
    let operators = BTS_OPERATORS;
    let types = BTS_TOWER_TYPES;
    let weights: Vec<f64> = p
        .communes
        .iter()
        .map(|c| if c.urban { 4.0 } else { 1.0 })
        .collect();
    // Towers placed so far, by operator and 1 km square.
    let mut placed: HashMap<(usize, i64, i64), Vec<Coord<f64>>> = HashMap::new();
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let op = rng.weighted(&[40.0, 30.0, 25.0, 5.0]);
        let tech = *rng.pick(&BTS_TECHNOLOGIES);
        let mut at = Coord { x: 0.0, y: 0.0 };
        let mut urban = false;
        for attempt in 0..30 {
            let (cand, k) = site(p, net, plans, &weights, rng);
            let town = p.communes[k].urban;
            let gap = bts_spacing(tech) * if town { 1.0 } else { 3.0 } / (1 + attempt / 10) as f64;
            let (gx, gy) = (
                (cand.x / 1000.0).floor() as i64,
                (cand.y / 1000.0).floor() as i64,
            );
            let reach = (gap / 1000.0).ceil() as i64;
            let clear = (-reach..=reach).all(|dx| {
                (-reach..=reach).all(|dy| {
                    placed
                        .get(&(op, gx + dx, gy + dy))
                        .is_none_or(|v| v.iter().all(|q| (q.x - cand.x).hypot(q.y - cand.y) >= gap))
                })
            });
            at = cand;
            urban = town;
            if clear {
                break;
            }
        }
        placed
            .entry((
                op,
                (at.x / 1000.0).floor() as i64,
                (at.y / 1000.0).floor() as i64,
            ))
            .or_default()
            .push(at);
        // Rooftop and camouflaged masts are town towers.
        let ty = if urban {
            rng.weighted(&[20.0, 5.0, 60.0, 15.0])
        } else {
            rng.weighted(&[60.0, 30.0, 7.0, 3.0])
        };
        let shared = if rng.unit() < 0.25 {
            operators[(op + 1 + rng.below(3)) % 4]
        } else {
            ""
        };
        let permit = if rng.unit() < 0.85 {
            format!("GP-{:04}/{}", rng.below(9000) + 100, 2015 + rng.below(10))
        } else {
            String::new()
        };
        let status =
            ["Đang hoạt động", "Quy hoạch", "Đã tháo dỡ"][rng.weighted(&[85.0, 12.0, 3.0])];
        out.push(point_feature(
            at,
            vec![
                t(&format!("BGG{:05}", i + 1)),
                t(operators[op]),
                t(types[ty].0),
                FieldValue::Real(round(rng.range(types[ty].1.0, types[ty].1.1), 1)),
                t(tech),
                t(shared),
                t(&permit),
                t(status),
                date(rng, 2008, 2025),
            ],
        ));
    }
    out
}

/// A junction of commune `k`'s roads (or its centre where it has none).
fn junction(plans: &[CommunePlan], k: usize, rng: &mut Rng) -> Coord<f64> {
    let plan = &plans[k];
    let j = if plan.junctions.is_empty() {
        plan.centre
    } else {
        plan.junctions[rng.below(plan.junctions.len())]
    };
    Coord {
        x: j.x + rng.range(-12.0, 12.0),
        y: j.y + rng.range(-12.0, 12.0),
    }
}

/// The operations centre's 1,305 cameras at road junctions: 22 smart and
/// 125 traffic cameras in the towns, 1,159 security cameras, mostly in the
/// towns, the rest at village junctions.
pub fn cameras(p: &Province, plans: &[CommunePlan], rng: &mut Rng) -> Vec<Feature> {
    let kinds = [
        ("Thông minh", 22, 0.0),
        ("Giao thông", 125, 0.05),
        ("An ninh", 1159, 0.15),
    ];
    let mut out = Vec::new();
    for (kind, n, rural) in kinds {
        let weights: Vec<f64> = p
            .communes
            .iter()
            .map(|c| {
                if c.seat {
                    3.0
                } else if c.urban {
                    1.0
                } else {
                    rural
                }
            })
            .collect();
        for _ in 0..n {
            let k = rng.weighted(&weights);
            let at = junction(plans, k, rng);
            let owner = match kind {
                "An ninh" if rng.unit() < 0.6 => format!("UBND {}", p.communes[k].name),
                "An ninh" => "Công an tỉnh".to_string(),
                "Giao thông" => "Sở Xây dựng".to_string(),
                _ => "Trung tâm IOC".to_string(),
            };
            let status = if rng.unit() < 0.93 {
                "Đang hoạt động"
            } else {
                "Mất kết nối"
            };
            out.push(point_feature(
                at,
                vec![
                    t(&format!("CAM{:05}", out.len() + 1)),
                    t(kind),
                    t(&owner),
                    t(status),
                    date(rng, 2019, 2025),
                ],
            ));
        }
    }
    out
}

/// 60 monitoring stations: air quality and noise at town junctions, surface
/// water on the rivers.
pub fn sensors(p: &Province, net: &Network, plans: &[CommunePlan], rng: &mut Rng) -> Vec<Feature> {
    let kinds = [
        ("Không khí (PM2.5)", "µg/m³", (8.0, 90.0)),
        ("Nước mặt (pH)", "pH", (6.0, 8.5)),
        ("Tiếng ồn", "dBA", (45.0, 85.0)),
    ];
    let towns: Vec<f64> = p
        .communes
        .iter()
        .map(|c| if c.urban { 1.0 } else { 0.0 })
        .collect();
    let river_cells: Vec<f64> = (0..p.communes.len())
        .map(|k| {
            let wet = net.chords[k]
                .iter()
                .any(|ch| net.corridors[ch.corridor].water);
            if wet { 1.0 } else { 0.0 }
        })
        .collect();
    (0..60)
        .map(|i| {
            let (param, unit, range) = kinds[i % 3];
            let at = if i % 3 == 1 {
                let k = rng.weighted(&river_cells);
                let seg = plans[k].water_segments[0];
                let f = rng.range(0.2, 0.8);
                Coord {
                    x: seg.0.x + (seg.1.x - seg.0.x) * f,
                    y: seg.0.y + (seg.1.y - seg.0.y) * f,
                }
            } else {
                junction(plans, rng.weighted(&towns), rng)
            };
            point_feature(
                at,
                vec![
                    t(&format!("IOT{:04}", i + 1)),
                    t(param),
                    t("Sở Nông nghiệp và Môi trường"),
                    t(if rng.unit() < 0.9 {
                        "Đang hoạt động"
                    } else {
                        "Bảo trì"
                    }),
                    FieldValue::Real(round(rng.range(range.0, range.1), 1)),
                    t(unit),
                ],
            )
        })
        .collect()
}

/// Whether a point of a road is lit (near a town centre or a village).
type LitTest = dyn Fn(Coord<f64>) -> bool;

/// Lighting poles at the road's edge, alternating sides: every 60 m on
/// the roads within 700 m of a town centre, every 70 m on the roads
/// through a village (within 200 m of it).
pub fn lighting_poles(
    p: &Province,
    net: &Network,
    plans: &[CommunePlan],
    rng: &mut Rng,
) -> Vec<Feature> {
    let mut out = Vec::new();
    for (k, c) in p.communes.iter().enumerate() {
        let plan = &plans[k];
        let (spacing, lit): (f64, Box<LitTest>) = if c.urban {
            let centre = plan.centre;
            (
                60.0,
                Box::new(move |q: Coord<f64>| (q.x - centre.x).hypot(q.y - centre.y) < 700.0),
            )
        } else {
            let villages = plan.villages.clone();
            (
                70.0,
                Box::new(move |q: Coord<f64>| {
                    villages
                        .iter()
                        .any(|v| (v.x - q.x).hypot(v.y - q.y) < 200.0)
                }),
            )
        };
        for r in commune_roads(net, plan, k) {
            let (dx, dy) = (r.to.x - r.from.x, r.to.y - r.from.y);
            let len = dx.hypot(dy);
            if len < 1.0 {
                continue;
            }
            let (nx, ny) = (-dy / len, dx / len);
            let mut s = spacing / 2.0;
            let mut side = 1.0;
            while s < len {
                let centre = Coord {
                    x: r.from.x + dx * s / len,
                    y: r.from.y + dy * s / len,
                };
                if lit(centre) {
                    let off = (r.width / 2.0 - 0.5).max(0.5) * side;
                    let at = Coord {
                        x: centre.x + nx * off,
                        y: centre.y + ny * off,
                    };
                    let led = rng.unit() < 0.7;
                    out.push(point_feature(
                        at,
                        vec![
                            t(&format!("CD{:06}", out.len() + 1)),
                            t(if led { "LED" } else { "Sodium cao áp" }),
                            FieldValue::Integer(if led {
                                *rng.pick(&[60, 90, 120])
                            } else {
                                *rng.pick(&[150, 250])
                            }),
                            t(r.name),
                            t(if rng.unit() < 0.96 {
                                "Hoạt động"
                            } else {
                                "Hỏng"
                            }),
                        ],
                    ));
                    side = -side;
                }
                s += spacing;
            }
        }
    }
    out
}
