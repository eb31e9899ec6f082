//! The sample workspace's layers: their schemas, metadata and features.

use geo::{Area, BoundingRect};
use geo_types::{Coord, Geometry, LineString, Point, Polygon};

use super::province::{Commune, Province};
use super::rng::Rng;
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

/// A rotated, jittered lattice of parcels around a commune centre.
struct ParcelBlock {
    origin: Coord<f64>,
    cos: f64,
    sin: f64,
    cell: (f64, f64),
    cols: usize,
    seed: u64,
}

impl ParcelBlock {
    fn new(rng: &mut Rng, centre: Coord<f64>, count: usize, urban: bool) -> Self {
        let cell = if urban {
            (rng.range(12.0, 22.0), rng.range(18.0, 30.0))
        } else {
            (rng.range(20.0, 45.0), rng.range(25.0, 60.0))
        };
        let cols = ((count as f64 * cell.1 / cell.0).sqrt().ceil() as usize).max(1);
        let rows = count.div_ceil(cols);
        let angle: f64 = rng.range(-0.5, 0.5);
        let (w, h) = (cols as f64 * cell.0, rows as f64 * cell.1);
        let (cos, sin) = (angle.cos(), angle.sin());
        // Centre the block on the commune centre.
        let origin = Coord {
            x: centre.x - (w / 2.0 * cos - h / 2.0 * sin),
            y: centre.y - (w / 2.0 * sin + h / 2.0 * cos),
        };
        ParcelBlock {
            origin,
            cos,
            sin,
            cell,
            cols,
            seed: rng.next_u64(),
        }
    }

    fn local(&self, x: f64, y: f64) -> Coord<f64> {
        Coord {
            x: self.origin.x + x * self.cos - y * self.sin,
            y: self.origin.y + x * self.sin + y * self.cos,
        }
    }

    fn node(&self, i: usize, j: usize) -> Coord<f64> {
        let id = (j * (self.cols + 1) + i) as u64;
        let jx = super::rng::hash_unit(self.seed, id * 2) * 0.12;
        let jy = super::rng::hash_unit(self.seed, id * 2 + 1) * 0.12;
        self.local((i as f64 + jx) * self.cell.0, (j as f64 + jy) * self.cell.1)
    }

    fn parcel(&self, k: usize, with_hole: bool) -> Polygon<f64> {
        let (i, j) = (k % self.cols, k / self.cols);
        let ring = vec![
            self.node(i, j),
            self.node(i + 1, j),
            self.node(i + 1, j + 1),
            self.node(i, j + 1),
            self.node(i, j),
        ];
        let holes = if with_hole {
            let c = Coord {
                x: ring[..4].iter().map(|c| c.x).sum::<f64>() / 4.0,
                y: ring[..4].iter().map(|c| c.y).sum::<f64>() / 4.0,
            };
            // A pond, clockwise, a third of the parcel's size.
            let mut hole: Vec<Coord<f64>> = ring[..4]
                .iter()
                .rev()
                .map(|p| Coord {
                    x: c.x + (p.x - c.x) * 0.35,
                    y: c.y + (p.y - c.y) * 0.35,
                })
                .collect();
            hole.push(hole[0]);
            vec![LineString(hole)]
        } else {
            vec![]
        };
        Polygon::new(LineString(ring), holes)
    }
}

/// Land-use mix by distance from the settlement centre (0 centre, 1 edge).
fn landuse_code(rng: &mut Rng, c: &Commune, d: f64) -> &'static str {
    let table: &[(&'static str, f64)] = if c.urban && d < 0.5 {
        &[
            ("ODT", 60.0),
            ("TMD", 10.0),
            ("DGD", 5.0),
            ("DYT", 3.0),
            ("TSC", 4.0),
            ("DCH", 2.0),
            ("DVH", 3.0),
            ("SKC", 3.0),
            ("DGT", 10.0),
        ]
    } else if c.urban {
        &[
            ("ODT", 30.0),
            ("CLN", 10.0),
            ("LUC", 20.0),
            ("NTS", 10.0),
            ("SKK", 15.0),
            ("DGT", 10.0),
            ("DTL", 5.0),
        ]
    } else if d < 0.3 {
        &[
            ("ONT", 70.0),
            ("DGD", 5.0),
            ("TSC", 3.0),
            ("DCH", 3.0),
            ("TIN", 2.0),
            ("TON", 2.0),
            ("DGT", 10.0),
            ("DVH", 5.0),
        ]
    } else if d < 0.7 {
        &[
            ("LUC", 45.0),
            ("LUK", 20.0),
            ("BHK", 15.0),
            ("NTS", 10.0),
            ("DTL", 5.0),
            ("NTD", 5.0),
        ]
    } else if c.mountainous {
        &[
            ("RSX", 45.0),
            ("RPH", 20.0),
            ("CLN", 25.0),
            ("DCS", 5.0),
            ("SON", 5.0),
        ]
    } else {
        &[
            ("CLN", 40.0),
            ("RSX", 20.0),
            ("BHK", 25.0),
            ("SON", 5.0),
            ("BCS", 10.0),
        ]
    };
    let weights: Vec<f64> = table.iter().map(|e| e.1).collect();
    table[rng.weighted(&weights)].0
}

/// Streams `total` parcels, spread evenly over the communes, to `sink`.
pub fn parcels<E>(
    p: &Province,
    total: usize,
    rng: &mut Rng,
    mut sink: impl FnMut(Feature) -> Result<(), E>,
) -> Result<(), E> {
    let n = p.communes.len();
    for (k, c) in p.communes.iter().enumerate() {
        let count = total / n + usize::from(k < total % n);
        if count == 0 {
            continue;
        }
        let block = ParcelBlock::new(rng, c.centre, count, c.urban);
        let rows = count.div_ceil(block.cols);
        for idx in 0..count {
            let (i, j) = (idx % block.cols, idx / block.cols);
            let dx = (i as f64 + 0.5) / block.cols as f64 * 2.0 - 1.0;
            let dy = (j as f64 + 0.5) / rows as f64 * 2.0 - 1.0;
            let code = landuse_code(rng, c, dx.abs().max(dy.abs()));
            let polygon = block.parcel(idx, idx % 37 == 36);
            let area = round(polygon.unsigned_area(), 1);
            // Cadastral sheets cover 20 x 20 parcels.
            let sheet = 1 + (j / 20) * block.cols.div_ceil(20) + i / 20;
            sink(polygon_feature(
                polygon,
                vec![
                    t(code),
                    FieldValue::Real(area),
                    FieldValue::Integer(sheet as i64),
                    FieldValue::Integer(idx as i64 + 1),
                    t(&c.code),
                    FieldValue::Integer(2024),
                ],
            ))?;
        }
    }
    Ok(())
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

pub fn planning_lots(p: &Province, rng: &mut Rng) -> Vec<Feature> {
    let mut out = Vec::new();
    for (district, kind, name, decision, date) in PLANS {
        let centre = p.districts[district].centre;
        let (lot, road, cols, rows) = (rng.range(90.0, 130.0), 24.0, 12usize, 9usize);
        let angle: f64 = rng.range(-0.3, 0.3);
        let (cos, sin) = (angle.cos(), angle.sin());
        let step = lot + road;
        let mut counters = [0usize; FUNCTIONS.len()];
        for j in 0..rows {
            for i in 0..cols {
                let x0 = (i as f64 - cols as f64 / 2.0) * step;
                let y0 = (j as f64 - rows as f64 / 2.0) * step;
                let w = lot * rng.range(0.8, 1.0);
                let h = lot * rng.range(0.8, 1.0);
                let ring: Vec<Coord<f64>> = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h), (0.0, 0.0)]
                    .iter()
                    .map(|&(x, y)| Coord {
                        x: centre.x + (x0 + x) * cos - (y0 + y) * sin,
                        y: centre.y + (x0 + x) * sin + (y0 + y) * cos,
                    })
                    .collect();
                let polygon = Polygon::new(LineString(ring), vec![]);
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
                out.push(polygon_feature(
                    polygon.clone(),
                    vec![
                        t(&format!("{prefix}-{:02}", counters[fi])),
                        t(function),
                        FieldValue::Real(round(polygon.unsigned_area(), 1)),
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
    out
}

/// A road between two points, gently winding, with `segments` parts.
fn road_line(
    rng: &mut Rng,
    a: Coord<f64>,
    b: Coord<f64>,
    segments: usize,
    wiggle: f64,
) -> LineString<f64> {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    let (phase, waves) = (rng.range(0.0, std::f64::consts::TAU), rng.range(1.0, 3.0));
    LineString(
        (0..=segments)
            .map(|k| {
                let t = k as f64 / segments as f64;
                let off = (t * std::f64::consts::PI).sin()
                    * (phase + t * waves * std::f64::consts::TAU).sin()
                    * wiggle
                    * len;
                Coord {
                    x: a.x + dx * t - dy / len * off,
                    y: a.y + dy * t + dx / len * off,
                }
            })
            .collect(),
    )
}

pub fn roads(p: &Province, rng: &mut Rng) -> Vec<Feature> {
    let mut out = Vec::new();
    let city = p.districts[1].centre;
    let national = [
        "QL1", "QL17", "QL31", "QL37", "QL279", "QL17", "QL31", "QL37", "QL279",
    ];
    for (k, d) in p.districts.iter().enumerate().filter(|(k, _)| *k != 1) {
        let line = road_line(rng, city, d.centre, 40, 0.04);
        let name = national[(k + national.len() - 1) % national.len()];
        out.push(road(
            line,
            name,
            "Quốc lộ",
            rng.range(12.0, 24.0),
            "Bê tông nhựa",
        ));
    }
    for w in [0usize, 2, 3, 4]
        .windows(2)
        .chain([5usize, 6, 7, 8, 9].windows(2))
    {
        let line = road_line(
            rng,
            p.districts[w[0]].centre,
            p.districts[w[1]].centre,
            30,
            0.05,
        );
        out.push(road(
            line,
            &format!("ĐT {}", 284 + w[0] * 7),
            "Đường tỉnh",
            rng.range(7.0, 12.0),
            "Bê tông nhựa",
        ));
    }
    for c in &p.communes {
        let seat = p.districts[c.district].centre;
        if (seat.x - c.centre.x).abs() + (seat.y - c.centre.y).abs() < 1.0 {
            continue;
        }
        let line = road_line(rng, c.centre, seat, 12, 0.08);
        let surface = if rng.unit() < 0.7 {
            "Bê tông xi măng"
        } else {
            "Đá dăm láng nhựa"
        };
        out.push(road(
            line,
            &format!("ĐH {}", c.name.split(' ').next_back().unwrap_or("")),
            "Đường huyện",
            rng.range(4.0, 7.0),
            surface,
        ));
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

pub fn villages(p: &Province, rng: &mut Rng) -> Vec<Feature> {
    let mut out = Vec::new();
    for c in &p.communes {
        let bounds = c.polygon.bounding_rect().expect("communes are not empty");
        for k in 1..=4 {
            let at = Coord {
                x: c.centre.x + (bounds.width() * rng.range(-0.3, 0.3)),
                y: c.centre.y + (bounds.height() * rng.range(-0.3, 0.3)),
            };
            let name = if c.urban {
                format!("Tổ dân phố số {k}")
            } else {
                format!("Thôn {k}")
            };
            out.push(point_feature(
                at,
                vec![
                    t(&name),
                    t(&c.code),
                    FieldValue::Integer(c.population / 5 + rng.below(400) as i64),
                ],
            ));
        }
    }
    out
}

/// Points near communes, urban ones `urban_weight` times as likely.
fn scatter(p: &Province, rng: &mut Rng, urban_weight: f64, spread: f64) -> (Coord<f64>, usize) {
    let weights: Vec<f64> = p
        .communes
        .iter()
        .map(|c| if c.urban { urban_weight } else { 1.0 })
        .collect();
    let k = rng.weighted(&weights);
    let c = p.communes[k].centre;
    (
        Coord {
            x: c.x + rng.range(-spread, spread),
            y: c.y + rng.range(-spread, spread),
        },
        k,
    )
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

/// The planning functions (`chuc_nang` of o_quy_hoach): (symbol, name).
pub fn planning_functions() -> impl Iterator<Item = (&'static str, &'static str)> {
    FUNCTIONS.iter().map(|f| (f.prefix, f.name))
}

pub fn bts_towers(p: &Province, count: usize, rng: &mut Rng) -> Vec<Feature> {
    let operators = BTS_OPERATORS;
    let types = BTS_TOWER_TYPES;
    (0..count)
        .map(|i| {
            let (at, _) = scatter(p, rng, 4.0, 1500.0);
            let op = rng.weighted(&[40.0, 30.0, 25.0, 5.0]);
            let ty = rng.weighted(&[45.0, 20.0, 30.0, 5.0]);
            let tech = *rng.pick(&BTS_TECHNOLOGIES);
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
            point_feature(
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
            )
        })
        .collect()
}

/// The operations centre's 1,305 cameras: 22 smart, 125 traffic, 1,159 security.
pub fn cameras(p: &Province, rng: &mut Rng) -> Vec<Feature> {
    let kinds = [("Thông minh", 22), ("Giao thông", 125), ("An ninh", 1159)];
    let mut out = Vec::new();
    for (kind, n) in kinds {
        for _ in 0..n {
            let (at, k) = scatter(p, rng, 12.0, 1200.0);
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

pub fn sensors(p: &Province, rng: &mut Rng) -> Vec<Feature> {
    let kinds = [
        ("Không khí (PM2.5)", "µg/m³", (8.0, 90.0)),
        ("Nước mặt (pH)", "pH", (6.0, 8.5)),
        ("Tiếng ồn", "dBA", (45.0, 85.0)),
    ];
    (0..60)
        .map(|i| {
            let (at, _) = scatter(p, rng, 30.0, 2000.0);
            let (param, unit, range) = kinds[i % 3];
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

/// Lighting poles every 60 m along the roads within 1.5 km of a district seat.
pub fn lighting_poles(p: &Province, roads: &[Feature], rng: &mut Rng) -> Vec<Feature> {
    let mut out = Vec::new();
    for road in roads {
        let Some(Geometry::LineString(line)) = &road.geometry else {
            continue;
        };
        let name = road.values[0].to_string();
        let mut carry = 0.0;
        for seg in line.lines() {
            let (dx, dy) = (seg.end.x - seg.start.x, seg.end.y - seg.start.y);
            let len = (dx * dx + dy * dy).sqrt();
            let mut s = carry;
            while s < len {
                let at = Coord {
                    x: seg.start.x + dx * s / len,
                    y: seg.start.y + dy * s / len,
                };
                let near_seat = p
                    .districts
                    .iter()
                    .any(|d| (d.centre.x - at.x).hypot(d.centre.y - at.y) < 1500.0);
                if near_seat {
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
                            t(&name),
                            t(if rng.unit() < 0.96 {
                                "Hoạt động"
                            } else {
                                "Hỏng"
                            }),
                        ],
                    ));
                }
                s += 60.0;
            }
            carry = s - len;
        }
    }
    out
}
