//! The synthetic province: 209 communes over the real extent of the former
//! Bắc Giang province, in VN-2000 / TM-3 107-00, grouped in 10 districts of
//! irregular outline. Communes are the cells of a strongly jittered grid
//! whose edges wind (a sum of sines); every edge is generated once from its
//! two end nodes, so neighbouring communes, and the districts made of them,
//! use the very same boundary coordinates.

use geo_types::{Coord, LineString, Polygon};

use super::rng::{Rng, hash_unit};
use crate::crs::{CrsError, Transformer, VN2000_TM3_107, WGS84};

pub const COLS: usize = 19;
pub const ROWS: usize = 11;
/// Extent of the former Bắc Giang province (REFERENCE.md).
pub const EXTENT_LONLAT: [f64; 4] = [105.88, 21.12, 107.03, 21.62];

/// Column cuts between the five districts of each row band, before the
/// per-row wander that makes district outlines irregular.
const DISTRICT_CUTS: [usize; 6] = [0, 4, 8, 12, 16, 19];

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
    /// Index of the seat commune (thị trấn or the city's central ward).
    pub seat: usize,
}

#[derive(Debug, Clone)]
pub struct Commune {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub district: usize,
    pub polygon: Polygon<f64>,
    /// The cell of the commune grid: (column, row), row 0 in the south.
    pub cell: (usize, usize),
    pub centre: Coord<f64>,
    /// A ward or the district's seat: urban land use, streets, cameras, plans.
    pub urban: bool,
    /// A district seat (thị trấn, or the central ward of a city).
    pub seat: bool,
    pub mountainous: bool,
    pub population: i64,
}

impl Commune {
    /// The outline as an open counter-clockwise ring.
    pub fn ring(&self) -> Vec<Coord<f64>> {
        let v = &self.polygon.exterior().0;
        v[..v.len() - 1].to_vec()
    }
}

pub struct Province {
    pub districts: Vec<District>,
    pub communes: Vec<Commune>,
    pub grid: Grid,
    pub bbox: [f64; 4],
}

impl Province {
    /// The commune in cell (i, j).
    pub fn commune_at(&self, i: usize, j: usize) -> usize {
        j * COLS + i
    }

    /// Hilliness at `p`, 0 (delta plain) to 1 (mountain): the province
    /// rises to the north and east (Yên Thế, Lục Ngạn, Sơn Động), with
    /// ridges and valleys on top.
    pub fn terrain(&self, p: Coord<f64>) -> f64 {
        let u = (p.x - self.bbox[0]) / (self.bbox[2] - self.bbox[0]);
        let v = (p.y - self.bbox[1]) / (self.bbox[3] - self.bbox[1]);
        let base = 1.15 * u + 0.55 * v - 0.75;
        let ridges = 0.18 * (u * 17.0 + v * 5.0).sin() * (v * 11.0 - u * 3.0).cos()
            + 0.08 * (u * 41.0 - v * 23.0).sin();
        (base + ridges).clamp(0.0, 1.0)
    }
}

/// The commune grid's nodes and winding edges.
pub struct Grid {
    origin: Coord<f64>,
    cell: Coord<f64>,
}

/// Points inside each grid edge (besides its two nodes).
const EDGE_INNER: usize = 12;

impl Grid {
    fn node_id(i: usize, j: usize) -> u64 {
        (j * (COLS + 1) + i) as u64
    }

    pub fn node(&self, i: usize, j: usize) -> Coord<f64> {
        let id = Self::node_id(i, j);
        // Nodes on the province border stay on it, so the outline is the
        // extent's rectangle bent only by its edges' winding.
        let fx = if i == 0 || i == COLS { 0.0 } else { 0.3 };
        let fy = if j == 0 || j == ROWS { 0.0 } else { 0.3 };
        let (jx, jy) = (hash_unit(id, 1) * fx, hash_unit(id, 2) * fy);
        Coord {
            x: self.origin.x + (i as f64 + jx) * self.cell.x,
            y: self.origin.y + (j as f64 + jy) * self.cell.y,
        }
    }

    /// All points of the edge from node a to node b, both included, the
    /// same coordinates whichever way it is walked.
    pub fn edge_points(&self, a: (usize, usize), b: (usize, usize)) -> Vec<Coord<f64>> {
        let (ida, idb) = (Self::node_id(a.0, a.1), Self::node_id(b.0, b.1));
        let (lo, hi) = if ida < idb { (a, b) } else { (b, a) };
        let (p, q) = (self.node(lo.0, lo.1), self.node(hi.0, hi.1));
        let (dx, dy) = (q.x - p.x, q.y - p.y);
        let key = ida.min(idb) * 7919 + ida.max(idb);
        // A sum of three sines vanishing at both ends: a winding boundary
        // that leaves the nodes at a moderate angle.
        let amp = [
            hash_unit(key, 1) * 0.05,
            hash_unit(key, 2) * 0.02,
            hash_unit(key, 3) * 0.012,
        ];
        let mut pts = vec![p];
        for k in 1..=EDGE_INNER {
            let t = k as f64 / (EDGE_INNER + 1) as f64;
            let bend: f64 = amp
                .iter()
                .enumerate()
                .map(|(m, a)| a * ((m + 1) as f64 * std::f64::consts::PI * t).sin())
                .sum();
            pts.push(Coord {
                x: p.x + dx * t - dy * bend,
                y: p.y + dy * t + dx * bend,
            });
        }
        pts.push(q);
        if ida > idb {
            pts.reverse();
        }
        pts
    }

    /// Appends the edge from a to b, a included and b not.
    fn edge(&self, a: (usize, usize), b: (usize, usize), out: &mut Vec<Coord<f64>>) {
        let pts = self.edge_points(a, b);
        out.extend_from_slice(&pts[..pts.len() - 1]);
    }

    fn cell_polygon(&self, i: usize, j: usize) -> Polygon<f64> {
        let mut ring = Vec::new();
        for (a, b) in cell_edges(i, j) {
            self.edge(a, b, &mut ring);
        }
        ring.push(ring[0]);
        Polygon::new(LineString(ring), vec![])
    }

    fn cell_centre(&self, i: usize, j: usize) -> Coord<f64> {
        let corners = [
            self.node(i, j),
            self.node(i + 1, j),
            self.node(i + 1, j + 1),
            self.node(i, j + 1),
        ];
        Coord {
            x: corners.iter().map(|c| c.x).sum::<f64>() / 4.0,
            y: corners.iter().map(|c| c.y).sum::<f64>() / 4.0,
        }
    }
}

/// The four node-to-node edges of a cell, counter-clockwise: south, east,
/// north, west.
pub fn cell_edges(i: usize, j: usize) -> [((usize, usize), (usize, usize)); 4] {
    [
        ((i, j), (i + 1, j)),
        ((i + 1, j), (i + 1, j + 1)),
        ((i + 1, j + 1), (i, j + 1)),
        ((i, j + 1), (i, j)),
    ]
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

/// A step of -1, 0 or +1 kept within `lo..=hi`.
fn wander(rng: &mut Rng, v: i64, lo: i64, hi: i64) -> i64 {
    let step = [-1, 0, 0, 1][rng.below(4)];
    (v + step).clamp(lo, hi)
}

/// The district of each cell (row-major): a south and a north band split
/// by a wandering row, each cut in five by wandering columns. Where two
/// districts would touch only at a corner, one cell changes hands, so
/// every district outline is one simple ring.
fn assign_districts(rng: &mut Rng) -> Vec<usize> {
    let mut split_row = Vec::with_capacity(COLS);
    let mut r = 6i64;
    for _ in 0..COLS {
        r = wander(rng, r, 5, 7);
        split_row.push(r as usize);
    }
    let mut band_cuts = [[[0usize; 6]; ROWS]; 2];
    for band in band_cuts.iter_mut() {
        let mut off = [0i64; 6];
        for row in band.iter_mut() {
            for o in &mut off[1..5] {
                *o = wander(rng, *o, -1, 1);
            }
            for b in 0..6 {
                row[b] = (DISTRICT_CUTS[b] as i64 + off[b]) as usize;
            }
        }
    }
    let mut cells = vec![0usize; COLS * ROWS];
    for j in 0..ROWS {
        for i in 0..COLS {
            let band = usize::from(j >= split_row[i]);
            let cuts = &band_cuts[band][j];
            let col = (0..5).find(|&b| i < cuts[b + 1]).unwrap_or(4);
            cells[j * COLS + i] = band * 5 + col;
        }
    }
    loop {
        let mut changed = false;
        for j in 1..ROWS {
            for i in 1..COLS {
                let (a, b) = (cells[(j - 1) * COLS + i - 1], cells[(j - 1) * COLS + i]);
                let (c, d) = (cells[j * COLS + i - 1], cells[j * COLS + i]);
                if a == d && b == c && a != b {
                    cells[(j - 1) * COLS + i] = a;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    cells
}

/// The outline of a set of cells, walked counter-clockwise along their
/// boundary edges (the set is connected and touches itself nowhere).
fn trace(grid: &Grid, cells: &[usize], district: usize) -> Polygon<f64> {
    use std::collections::HashMap;
    let inside = |i: i64, j: i64| {
        i >= 0
            && j >= 0
            && (i as usize) < COLS
            && (j as usize) < ROWS
            && cells[j as usize * COLS + i as usize] == district
    };
    let mut next: HashMap<(usize, usize), (usize, usize)> = HashMap::new();
    for j in 0..ROWS {
        for i in 0..COLS {
            if cells[j * COLS + i] != district {
                continue;
            }
            let (ii, jj) = (i as i64, j as i64);
            let across = [(ii, jj - 1), (ii + 1, jj), (ii, jj + 1), (ii - 1, jj)];
            for (e, (ni, nj)) in cell_edges(i, j).into_iter().zip(across) {
                if !inside(ni, nj) {
                    next.insert(e.0, e.1);
                }
            }
        }
    }
    let mut rings: Vec<Vec<Coord<f64>>> = Vec::new();
    while let Some(&start) = next.keys().min() {
        let mut ring = Vec::new();
        let mut at = start;
        loop {
            let to = next.remove(&at).expect("district outlines are closed");
            grid.edge(at, to, &mut ring);
            at = to;
            if at == start {
                break;
            }
        }
        ring.push(ring[0]);
        rings.push(ring);
    }
    // The shell turns counter-clockwise; any other ring would be a hole.
    let area = |r: &Vec<Coord<f64>>| super::split::signed_area(&r[..r.len() - 1]);
    rings.sort_by(|a, b| area(b).total_cmp(&area(a)));
    let shell = LineString(rings.remove(0));
    Polygon::new(shell, rings.into_iter().map(LineString).collect())
}

pub fn build(rng: &mut Rng) -> Result<Province, CrsError> {
    let bbox = projected_extent()?;
    let cell = Coord {
        x: (bbox[2] - bbox[0]) / COLS as f64,
        y: (bbox[3] - bbox[1]) / ROWS as f64,
    };
    // The outline winds by up to ~7 % of a cell: inset so it stays inside
    // the extent.
    let inset = Coord {
        x: cell.x * 0.08,
        y: cell.y * 0.08,
    };
    let cell = Coord {
        x: (bbox[2] - bbox[0] - 2.0 * inset.x) / COLS as f64,
        y: (bbox[3] - bbox[1] - 2.0 * inset.y) / ROWS as f64,
    };
    let grid = Grid {
        origin: Coord {
            x: bbox[0] + inset.x,
            y: bbox[1] + inset.y,
        },
        cell,
    };
    let cells = assign_districts(rng);
    // Each district's seat: its cell nearest the middle of its cells.
    let seats: Vec<usize> = (0..DISTRICTS.len())
        .map(|d| {
            let mine: Vec<usize> = (0..cells.len()).filter(|&k| cells[k] == d).collect();
            let n = mine.len() as f64;
            let mi = mine.iter().map(|k| (k % COLS) as f64).sum::<f64>() / n;
            let mj = mine.iter().map(|k| (k / COLS) as f64).sum::<f64>() / n;
            *mine
                .iter()
                .min_by(|a, b| {
                    let da = ((*a % COLS) as f64 - mi).powi(2) + ((*a / COLS) as f64 - mj).powi(2);
                    let db = ((*b % COLS) as f64 - mi).powi(2) + ((*b / COLS) as f64 - mj).powi(2);
                    da.total_cmp(&db)
                })
                .expect("every district has cells")
        })
        .collect();
    let mut name_order: Vec<usize> = (0..NAME_FIRST.len() * NAME_SECOND.len()).collect();
    for i in (1..name_order.len()).rev() {
        name_order.swap(i, rng.below(i + 1));
    }
    let mut communes = Vec::new();
    for j in 0..ROWS {
        for i in 0..COLS {
            let k = j * COLS + i;
            let district = cells[k];
            let seat = seats[district] == k;
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
            let centre = grid.cell_centre(i, j);
            communes.push(Commune {
                // Commune codes of the province run from 07201 up.
                code: format!("{:05}", 7201 + communes.len() * 3),
                name: format!("{kind} {name}"),
                kind,
                district,
                polygon: grid.cell_polygon(i, j),
                cell: (i, j),
                centre,
                urban,
                seat,
                mountainous: false,
                population: if urban {
                    18_000 + rng.below(22_000) as i64
                } else {
                    5_000 + rng.below(9_000) as i64
                },
            });
        }
    }
    let districts = DISTRICTS
        .iter()
        .enumerate()
        .map(|(d, &(code, name, kind))| District {
            code: code.to_string(),
            name: name.to_string(),
            kind,
            polygon: trace(&grid, &cells, d),
            seat: seats[d],
        })
        .collect();
    let mut province = Province {
        districts,
        communes,
        grid,
        bbox,
    };
    for k in 0..province.communes.len() {
        let h = province.terrain(province.communes[k].centre);
        province.communes[k].mountainous = h > 0.45;
    }
    Ok(province)
}
