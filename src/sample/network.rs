//! The province's roads and rivers that run from commune to commune:
//! national, provincial and district roads, and three rivers. Each runs
//! along a path of neighbouring communes, crossing each shared boundary at
//! a point on it; inside a commune it is the straight chord from where it
//! enters to where it leaves. The corridor (the chord's width) is cut out
//! of the commune before the blocks are split into parcels.

use std::collections::HashMap;

use geo_types::Coord;

use super::province::{COLS, Province, ROWS};
use super::rng::{Rng, hash_unit};

/// A road or river of the network.
#[derive(Debug, Clone)]
pub struct Corridor {
    pub name: String,
    /// cap_duong of a road ("Quốc lộ", "Đường tỉnh", "Đường huyện");
    /// "Sông" for a river.
    pub class: &'static str,
    /// Width of the road's land (be_rong_m) or of the river, m.
    pub width: f64,
    pub surface: &'static str,
    pub water: bool,
    /// The centre line, through its boundary crossings.
    pub points: Vec<Coord<f64>>,
}

/// A corridor's stretch inside one commune.
#[derive(Debug, Clone, Copy)]
pub struct Chord {
    pub corridor: usize,
    pub from: Coord<f64>,
    pub to: Coord<f64>,
}

pub struct Network {
    pub corridors: Vec<Corridor>,
    /// The chords inside each commune (rivers first, then roads by rank).
    pub chords: Vec<Vec<Chord>>,
}

type Cell = (usize, usize);

/// A path of 4-neighbouring cells through the waypoints, no cell twice.
fn path(rng: &mut Rng, waypoints: &[Cell]) -> Vec<Cell> {
    let mut cells = vec![waypoints[0]];
    for w in waypoints.windows(2) {
        let (mut i, mut j) = (w[0].0 as i64, w[0].1 as i64);
        let (ti, tj) = (w[1].0 as i64, w[1].1 as i64);
        while (i, j) != (ti, tj) {
            let (ri, rj) = ((ti - i).abs(), (tj - j).abs());
            // Step towards the target, in x with the odds of the x still to go.
            if rng.unit() * ((ri + rj) as f64) < ri as f64 {
                i += (ti - i).signum();
            } else {
                j += (tj - j).signum();
            }
            let c = (i as usize, j as usize);
            if let Some(at) = cells.iter().position(|x| *x == c) {
                cells.truncate(at + 1);
            } else {
                cells.push(c);
            }
        }
    }
    cells
}

/// The grid edge (two nodes) between a cell and its neighbour in
/// direction (di, dj).
fn side(c: Cell, di: i64, dj: i64) -> (Cell, Cell) {
    let (i, j) = c;
    match (di, dj) {
        (1, 0) => ((i + 1, j), (i + 1, j + 1)),
        (-1, 0) => ((i, j), (i, j + 1)),
        (0, 1) => ((i, j + 1), (i + 1, j + 1)),
        _ => ((i, j), (i + 1, j)),
    }
}

struct Crossings<'a> {
    province: &'a Province,
    /// The segments of each edge already crossed, so no two corridors
    /// cross an edge at the same place.
    used: HashMap<(Cell, Cell), Vec<usize>>,
}

impl Crossings<'_> {
    fn point(&mut self, edge: (Cell, Cell), corridor: usize) -> Coord<f64> {
        let key = if edge.0 <= edge.1 {
            edge
        } else {
            (edge.1, edge.0)
        };
        let pts = self.province.grid.edge_points(key.0, key.1);
        let used = self.used.entry(key).or_default();
        let seed = (key.0.0 * 1000 + key.0.1 * 31 + key.1.0 * 7 + key.1.1) as u64;
        // Segments 3..=9 of the 13: away from the corners.
        let mut k = 3 + ((hash_unit(seed, corridor as u64) + 1.0) * 3.5) as usize;
        for _ in 0..7 {
            if !used.contains(&k) {
                break;
            }
            k = 3 + (k - 2) % 7;
        }
        used.push(k);
        let t = 0.3 + 0.4 * (hash_unit(seed, 1000 + corridor as u64) + 1.0) / 2.0;
        let (a, b) = (pts[k], pts[k + 1]);
        Coord {
            x: a.x + (b.x - a.x) * t,
            y: a.y + (b.y - a.y) * t,
        }
    }
}

struct Spec {
    name: String,
    class: &'static str,
    width: f64,
    surface: &'static str,
    water: bool,
    waypoints: Vec<Cell>,
}

fn spec(name: &str, class: &'static str, width: f64, surface: &'static str, w: Vec<Cell>) -> Spec {
    Spec {
        name: name.to_string(),
        class,
        width,
        surface,
        water: class == "Sông",
        waypoints: w,
    }
}

pub fn build(p: &Province, rng: &mut Rng) -> Network {
    let seat = |d: usize| p.communes[p.districts[d].seat].cell;
    let s1 = seat(1);
    let (e, n) = (COLS - 1, ROWS - 1);
    let asphalt = "Bê tông nhựa";
    let mut specs = vec![
        // Rivers: the Thương through the city, the Lục Nam from the
        // eastern hills, the Cầu along the south-west.
        spec(
            "Sông Thương",
            "Sông",
            90.0,
            "",
            vec![(0, 8), (s1.0, s1.1 + 1), (e, 1)],
        ),
        spec(
            "Sông Lục Nam",
            "Sông",
            70.0,
            "",
            vec![(e, 8), (s1.0 + 2, 2)],
        ),
        spec("Sông Cầu", "Sông", 110.0, "", vec![(0, 6), (2, 1), (6, 0)]),
        spec("QL1", "Quốc lộ", 24.0, asphalt, vec![(0, 0), s1, (11, n)]),
        spec(
            "QL17",
            "Quốc lộ",
            16.0,
            asphalt,
            vec![(s1.0 + 1, 0), s1, (3, n)],
        ),
        spec(
            "QL31",
            "Quốc lộ",
            18.0,
            asphalt,
            vec![s1, seat(3), seat(4), (e, seat(4).1)],
        ),
        spec(
            "QL37",
            "Quốc lộ",
            14.0,
            asphalt,
            vec![(0, 7), seat(6), seat(8), seat(9), (e, 9)],
        ),
        spec(
            "QL279",
            "Quốc lộ",
            12.0,
            asphalt,
            vec![(12, n), seat(9), (15, 0)],
        ),
        spec(
            "ĐT 295",
            "Đường tỉnh",
            10.0,
            asphalt,
            vec![seat(5), seat(0), seat(2), seat(3)],
        ),
        spec(
            "ĐT 398",
            "Đường tỉnh",
            9.0,
            asphalt,
            vec![seat(5), seat(6), seat(7), seat(8)],
        ),
    ];
    for d in 0..p.districts.len() {
        let from = seat(d);
        let mine: Vec<Cell> = p
            .communes
            .iter()
            .filter(|c| c.district == d)
            .map(|c| c.cell)
            .collect();
        let dist = |a: Cell, b: Cell| a.0.abs_diff(b.0) + a.1.abs_diff(b.1);
        let far = *mine.iter().max_by_key(|c| dist(**c, from)).unwrap();
        let far2 = *mine
            .iter()
            .max_by_key(|c| dist(**c, from).min(dist(**c, far)))
            .unwrap();
        for (k, to) in [far, far2].into_iter().enumerate() {
            if to != from {
                let surface = if k == 0 {
                    "Bê tông xi măng"
                } else {
                    "Đá dăm láng nhựa"
                };
                specs.push(spec(
                    &format!("ĐH {}", 10 * (d + 1) + k + 1),
                    "Đường huyện",
                    6.0,
                    surface,
                    vec![from, to],
                ));
            }
        }
    }
    let mut crossings = Crossings {
        province: p,
        used: HashMap::new(),
    };
    let mut corridors = Vec::new();
    let mut chords = vec![Vec::new(); p.communes.len()];
    for s in specs {
        let cells = path(rng, &s.waypoints);
        if cells.len() < 2 {
            continue;
        }
        let id = corridors.len();
        let dir = |a: Cell, b: Cell| (b.0 as i64 - a.0 as i64, b.1 as i64 - a.1 as i64);
        let m = cells.len();
        let mut points = Vec::with_capacity(m + 1);
        let (di, dj) = dir(cells[1], cells[0]);
        points.push(crossings.point(side(cells[0], di, dj), id));
        for k in 0..m - 1 {
            let (di, dj) = dir(cells[k], cells[k + 1]);
            points.push(crossings.point(side(cells[k], di, dj), id));
        }
        let (di, dj) = dir(cells[m - 2], cells[m - 1]);
        points.push(crossings.point(side(cells[m - 1], di, dj), id));
        for (k, c) in cells.iter().enumerate() {
            chords[p.commune_at(c.0, c.1)].push(Chord {
                corridor: id,
                from: points[k],
                to: points[k + 1],
            });
        }
        corridors.push(Corridor {
            name: s.name,
            class: s.class,
            width: s.width,
            surface: s.surface,
            water: s.water,
            points,
        });
    }
    Network { corridors, chords }
}
