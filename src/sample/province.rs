//! The synthetic province: a jittered grid of 209 communes grouped in 10
//! districts over the real extent of the former Bắc Giang province, in
//! VN-2000 / TM-3 107-00. Neighbouring units share their boundary points
//! exactly, so the layers are topologically clean.

use geo_types::{Coord, LineString, Polygon};

use super::rng::{Rng, hash_unit};
use crate::crs::{CrsError, Transformer, VN2000_TM3_107, WGS84};

pub const COLS: usize = 19;
pub const ROWS: usize = 11;
/// Extent of the former Bắc Giang province (REFERENCE.md).
pub const EXTENT_LONLAT: [f64; 4] = [105.88, 21.12, 107.03, 21.62];

/// District blocks of the commune grid: columns [start, end) and rows.
const DISTRICT_COLUMNS: [(usize, usize); 5] = [(0, 4), (4, 8), (8, 12), (12, 16), (16, 19)];
const DISTRICT_ROWS: [(usize, usize); 2] = [(0, 6), (6, 11)];

/// (code, name, kind) of the ten district-level units, south row west to
/// east, then north row (GSO codes of Bắc Giang's districts).
const DISTRICTS: [(&str, &str, &str); 10] = [
    ("222", "Việt Yên", "Thị xã"),
    ("213", "Bắc Giang", "Thành phố"),
    ("221", "Yên Dũng", "Huyện"),
    ("218", "Lục Nam", "Huyện"),
    ("220", "Sơn Động", "Huyện"),
    ("223", "Hiệp Hòa", "Huyện"),
    ("216", "Tân Yên", "Huyện"),
    ("215", "Yên Thế", "Huyện"),
    ("217", "Lạng Giang", "Huyện"),
    ("219", "Lục Ngạn", "Huyện"),
];

const NAME_FIRST: [&str; 20] = [
    "Tân", "Hương", "Đông", "Nghĩa", "Quang", "Phúc", "Hòa", "Bình", "An", "Xuân", "Hồng", "Trung",
    "Mỹ", "Thanh", "Lam", "Cẩm", "Đồng", "Ngọc", "Vân", "Hợp",
];
const NAME_SECOND: [&str; 20] = [
    "Sơn",
    "Lộc",
    "Hưng",
    "Thịnh",
    "Phú",
    "Minh",
    "Tiến",
    "Thắng",
    "Lý",
    "Đức",
    "Yên",
    "Lạc",
    "Xương",
    "Mai",
    "Hà",
    "Khê",
    "Vượng",
    "Trường",
    "Quý",
    "Dũng",
];

#[derive(Debug, Clone)]
pub struct District {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub polygon: Polygon<f64>,
    pub centre: Coord<f64>,
}

#[derive(Debug, Clone)]
pub struct Commune {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub district: usize,
    pub polygon: Polygon<f64>,
    pub centre: Coord<f64>,
    /// The district's seat: urban land use, where cameras and plans are.
    pub urban: bool,
    pub mountainous: bool,
    pub population: i64,
}

pub struct Province {
    pub districts: Vec<District>,
    pub communes: Vec<Commune>,
}

struct Grid {
    origin: Coord<f64>,
    cell: Coord<f64>,
}

impl Grid {
    fn node_id(i: usize, j: usize) -> u64 {
        (j * (COLS + 1) + i) as u64
    }

    fn node(&self, i: usize, j: usize) -> Coord<f64> {
        let id = Self::node_id(i, j);
        let (jx, jy) = (hash_unit(id, 1) * 0.28, hash_unit(id, 2) * 0.28);
        Coord {
            x: self.origin.x + (i as f64 + jx) * self.cell.x,
            y: self.origin.y + (j as f64 + jy) * self.cell.y,
        }
    }

    /// The points of the grid edge from node a to node b, a included and b
    /// not, bent the same way whichever direction it is walked.
    fn edge(&self, a: (usize, usize), b: (usize, usize), out: &mut Vec<Coord<f64>>) {
        let (ida, idb) = (Self::node_id(a.0, a.1), Self::node_id(b.0, b.1));
        let (lo, hi, reversed) = if ida < idb {
            (a, b, false)
        } else {
            (b, a, true)
        };
        let (p, q) = (self.node(lo.0, lo.1), self.node(hi.0, hi.1));
        let (dx, dy) = (q.x - p.x, q.y - p.y);
        let mut inner: Vec<Coord<f64>> = (1..6)
            .map(|k| {
                let t = k as f64 / 6.0;
                let bend = hash_unit(ida.min(idb) * 7919 + ida.max(idb), k) * 0.05;
                Coord {
                    x: p.x + dx * t - dy * bend,
                    y: p.y + dy * t + dx * bend,
                }
            })
            .collect();
        if reversed {
            inner.reverse();
        }
        out.push(self.node(a.0, a.1));
        out.extend(inner);
    }

    /// The counter-clockwise outline of the block of cells [c0, c1) × [r0, r1).
    fn block(&self, c0: usize, c1: usize, r0: usize, r1: usize) -> Polygon<f64> {
        let mut ring = Vec::new();
        for i in c0..c1 {
            self.edge((i, r0), (i + 1, r0), &mut ring);
        }
        for j in r0..r1 {
            self.edge((c1, j), (c1, j + 1), &mut ring);
        }
        for i in (c0 + 1..=c1).rev() {
            self.edge((i, r1), (i - 1, r1), &mut ring);
        }
        for j in (r0 + 1..=r1).rev() {
            self.edge((c0, j), (c0, j - 1), &mut ring);
        }
        ring.push(ring[0]);
        Polygon::new(LineString(ring), vec![])
    }

    fn centre(&self, c0: usize, c1: usize, r0: usize, r1: usize) -> Coord<f64> {
        let corners = [
            self.node(c0, r0),
            self.node(c1, r0),
            self.node(c1, r1),
            self.node(c0, r1),
        ];
        Coord {
            x: corners.iter().map(|c| c.x).sum::<f64>() / 4.0,
            y: corners.iter().map(|c| c.y).sum::<f64>() / 4.0,
        }
    }
}

/// The province's bounding box in EPSG:9214, from PROJ.
pub fn projected_extent() -> Result<[f64; 4], CrsError> {
    let t = Transformer::new(WGS84, VN2000_TM3_107)?;
    let [w, s, e, n] = EXTENT_LONLAT;
    let mut bbox = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for k in 0..=10 {
        let f = k as f64 / 10.0;
        for (x, y) in [
            (w + (e - w) * f, s),
            (w + (e - w) * f, n),
            (w, s + (n - s) * f),
            (e, s + (n - s) * f),
        ] {
            let c = t.transform(Coord { x, y })?;
            bbox = [
                bbox[0].min(c.x),
                bbox[1].min(c.y),
                bbox[2].max(c.x),
                bbox[3].max(c.y),
            ];
        }
    }
    Ok(bbox)
}

pub fn build(rng: &mut Rng) -> Result<Province, CrsError> {
    let bbox = projected_extent()?;
    // Keep node jitter inside the extent: the grid is inset by a third of a cell.
    let cell = Coord {
        x: (bbox[2] - bbox[0]) / (COLS as f64 + 0.6),
        y: (bbox[3] - bbox[1]) / (ROWS as f64 + 0.6),
    };
    let grid = Grid {
        origin: Coord {
            x: bbox[0] + 0.3 * cell.x,
            y: bbox[1] + 0.3 * cell.y,
        },
        cell,
    };
    let mut districts = Vec::new();
    for (k, &(code, name, kind)) in DISTRICTS.iter().enumerate() {
        let (c0, c1) = DISTRICT_COLUMNS[k % 5];
        let (r0, r1) = DISTRICT_ROWS[k / 5];
        districts.push(District {
            code: code.to_string(),
            name: name.to_string(),
            kind,
            polygon: grid.block(c0, c1, r0, r1),
            centre: grid.centre(c0, c1, r0, r1),
        });
    }
    let mut name_order: Vec<usize> = (0..NAME_FIRST.len() * NAME_SECOND.len()).collect();
    for i in (1..name_order.len()).rev() {
        name_order.swap(i, rng.below(i + 1));
    }
    let mut communes = Vec::new();
    for j in 0..ROWS {
        for i in 0..COLS {
            let district = DISTRICT_ROWS
                .iter()
                .position(|&(a, b)| (a..b).contains(&j))
                .unwrap()
                * 5
                + DISTRICT_COLUMNS
                    .iter()
                    .position(|&(a, b)| (a..b).contains(&i))
                    .unwrap();
            let (c0, c1) = DISTRICT_COLUMNS[district % 5];
            let (r0, r1) = DISTRICT_ROWS[district / 5];
            let seat = (i == (c0 + c1) / 2) && (j == (r0 + r1) / 2);
            let city = DISTRICTS[district].2 != "Huyện";
            let n = name_order[communes.len()];
            let name = format!(
                "{} {}",
                NAME_FIRST[n / NAME_SECOND.len()],
                NAME_SECOND[n % NAME_SECOND.len()]
            );
            let kind = match (seat, city) {
                (_, true) => "Phường",
                (true, false) => "Thị trấn",
                _ => "Xã",
            };
            let urban = seat || city;
            communes.push(Commune {
                // Commune codes of the province run from 07201 up.
                code: format!("{:05}", 7201 + communes.len() * 3),
                name: format!("{kind} {name}"),
                kind,
                district,
                polygon: grid.block(i, i + 1, j, j + 1),
                centre: grid.centre(i, i + 1, j, j + 1),
                urban,
                mountainous: i >= 12 || j >= 8,
                population: if urban {
                    18_000 + rng.below(22_000) as i64
                } else {
                    5_000 + rng.below(9_000) as i64
                },
            });
        }
    }
    Ok(Province {
        districts,
        communes,
    })
}
