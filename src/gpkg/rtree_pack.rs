//! Packed loading of an empty SQLite R*Tree: instead of one insert per
//! entry (each a descent, and a split every few dozen entries), the
//! Hilbert-sorted entries are cut into full leaves, the leaves into parents,
//! and the nodes are written straight into the virtual table's shadow tables
//! (`_node`, `_rowid`, `_parent`) in the format of SQLite's rtree.c:
//! a node is a blob of the table's node size holding a 2-byte tree depth
//! (root only), a 2-byte cell count, then cells of an 8-byte id and four
//! 4-byte floats (minx, maxx, miny, maxy), all big-endian. SQLite's
//! `rtreecheck()` verifies the result in the tests.

use std::path::Path;

use rusqlite::{Connection, params};

use super::core::quote;
use super::error::{Result, SqlContext};

/// Bytes per cell of a 2D R*Tree: id + 4 floats.
const CELL_BYTES: usize = 8 + 4 * 4;

/// The largest f32 not above `v`: the R*Tree's lower bounds must not grow.
fn down(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) > v { f.next_down() } else { f }
}

/// The smallest f32 not below `v`.
fn up(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) < v { f.next_up() } else { f }
}

struct Node {
    /// (id, [minx, maxx, miny, maxy]): fids in leaves, node numbers above.
    cells: Vec<(i64, [f32; 4])>,
}

impl Node {
    fn bounds(&self) -> [f32; 4] {
        self.cells.iter().fold(
            [
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::INFINITY,
                f32::NEG_INFINITY,
            ],
            |b, (_, c)| {
                [
                    b[0].min(c[0]),
                    b[1].max(c[1]),
                    b[2].min(c[2]),
                    b[3].max(c[3]),
                ]
            },
        )
    }

    fn blob(&self, size: usize, depth: Option<u16>) -> Vec<u8> {
        let mut data = vec![0u8; size];
        data[0..2].copy_from_slice(&depth.unwrap_or(0).to_be_bytes());
        data[2..4].copy_from_slice(&(self.cells.len() as u16).to_be_bytes());
        for (i, (id, b)) in self.cells.iter().enumerate() {
            let at = 4 + i * CELL_BYTES;
            data[at..at + 8].copy_from_slice(&id.to_be_bytes());
            for (k, v) in b.iter().enumerate() {
                data[at + 8 + k * 4..at + 12 + k * 4].copy_from_slice(&v.to_bits().to_be_bytes());
            }
        }
        data
    }
}

/// Loads `entries` (already in Hilbert order) into the empty R*Tree `rtree`.
/// Returns false, writing nothing, when the tree is not empty.
pub fn load_empty(
    conn: &Connection,
    path: &Path,
    rtree: &str,
    entries: &[(i64, geo_types::Rect<f64>)],
) -> Result<bool> {
    let (node_t, rowid_t, parent_t) = (
        quote(&format!("{rtree}_node")),
        quote(&format!("{rtree}_rowid")),
        quote(&format!("{rtree}_parent")),
    );
    let ctx = "loading the spatial index";
    let has_rows: bool = conn
        .query_row(
            &format!("SELECT EXISTS(SELECT 1 FROM {rowid_t})"),
            [],
            |r| r.get(0),
        )
        .ctx(path, ctx)?;
    if has_rows || entries.is_empty() {
        return Ok(entries.is_empty() && !has_rows);
    }
    let node_size: usize = conn
        .query_row(
            &format!("SELECT length(data) FROM {node_t} WHERE nodeno = 1"),
            [],
            |r| r.get::<_, i64>(0),
        )
        .ctx(path, ctx)? as usize;
    let capacity = (node_size - 4) / CELL_BYTES;

    // Levels bottom-up; level 0 holds the leaves.
    let mut levels: Vec<Vec<Node>> = vec![
        entries
            .chunks(capacity)
            .map(|chunk| Node {
                cells: chunk
                    .iter()
                    .map(|(id, e)| {
                        let (lo, hi) = (e.min(), e.max());
                        (*id, [down(lo.x), up(hi.x), down(lo.y), up(hi.y)])
                    })
                    .collect(),
            })
            .collect(),
    ];
    while levels.last().unwrap().len() > 1 {
        let below = levels.last().unwrap();
        // Child ids are filled in once the nodes are numbered.
        let parents = below
            .chunks(capacity)
            .map(|chunk| Node {
                cells: chunk.iter().map(|n| (0, n.bounds())).collect(),
            })
            .collect();
        levels.push(parents);
    }
    // Number the nodes: the root is 1, then level by level downwards.
    let mut numbers: Vec<Vec<i64>> = levels.iter().map(|l| vec![0; l.len()]).collect();
    let mut next = 2i64;
    let top = levels.len() - 1;
    numbers[top][0] = 1;
    for level in (0..top).rev() {
        for n in numbers[level].iter_mut() {
            *n = next;
            next += 1;
        }
    }
    for level in 1..levels.len() {
        for (i, node) in levels[level].iter_mut().enumerate() {
            for (j, cell) in node.cells.iter_mut().enumerate() {
                cell.0 = numbers[level - 1][i * capacity + j];
            }
        }
    }

    let mut put_node = conn
        .prepare(&format!(
            "INSERT OR REPLACE INTO {node_t} (nodeno, data) VALUES (?1, ?2)"
        ))
        .ctx(path, ctx)?;
    let mut put_parent = conn
        .prepare(&format!(
            "INSERT INTO {parent_t} (nodeno, parentnode) VALUES (?1, ?2)"
        ))
        .ctx(path, ctx)?;
    for (level, nodes) in levels.iter().enumerate() {
        for (i, node) in nodes.iter().enumerate() {
            let depth = (level == top).then_some(top as u16);
            put_node
                .execute(params![numbers[level][i], node.blob(node_size, depth)])
                .ctx(path, ctx)?;
            if level < top {
                put_parent
                    .execute(params![numbers[level][i], numbers[level + 1][i / capacity]])
                    .ctx(path, ctx)?;
            }
        }
    }
    let mut put_rowid = conn
        .prepare(&format!(
            "INSERT INTO {rowid_t} (rowid, nodeno) VALUES (?1, ?2)"
        ))
        .ctx(path, ctx)?;
    for (i, (id, _)) in entries.iter().enumerate() {
        put_rowid
            .execute(params![id, numbers[0][i / capacity]])
            .ctx(path, ctx)?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_never_shrinks_a_box() {
        for v in [
            0.1f64,
            -0.1,
            416_802.265,
            2_356_377.9,
            -2_356_377.9,
            1e-40,
            0.0,
        ] {
            assert!(f64::from(down(v)) <= v && f64::from(up(v)) >= v, "{v}");
        }
    }

    /// Trees of one leaf, two levels and three levels pass SQLite's own
    /// structural check and answer queries like an R*Tree filled by inserts.
    #[test]
    fn packed_trees_pass_rtreecheck_and_answer_queries() {
        for n in [1usize, 40, 51, 52, 2_700, 140_000] {
            let conn = Connection::open_in_memory().unwrap();
            conn.execute_batch("CREATE VIRTUAL TABLE rt USING rtree(id, minx, maxx, miny, maxy)")
                .unwrap();
            let entries: Vec<(i64, geo_types::Rect<f64>)> = (0..n)
                .map(|i| {
                    let (x, y) = ((i % 400) as f64 * 10.3, (i / 400) as f64 * 7.1);
                    let r = geo_types::Rect::new((x, y), (x + 5.05, y + 4.4));
                    (i as i64 * 3 + 1, r)
                })
                .collect();
            assert!(load_empty(&conn, Path::new(":memory:"), "rt", &entries).unwrap());
            let check: String = conn
                .query_row("SELECT rtreecheck('rt')", [], |r| r.get(0))
                .unwrap();
            assert_eq!(check, "ok", "n = {n}");
            let count: i64 = conn
                .query_row("SELECT count(*) FROM rt", [], |r| r.get(0))
                .unwrap();
            assert_eq!(count as usize, n);
            let hits: i64 = conn
                .query_row("SELECT count(*) FROM rt WHERE minx <= 100 AND maxx >= 50 AND miny <= 20 AND maxy >= 10", [], |r| r.get(0))
                .unwrap();
            let expected = entries
                .iter()
                .filter(|(_, e)| {
                    let (lo, hi) = (e.min(), e.max());
                    lo.x <= 100.0 && hi.x >= 50.0 && lo.y <= 20.0 && hi.y >= 10.0
                })
                .count();
            assert_eq!(hits as usize, expected, "n = {n}");
            // The tree stays a working R*Tree: later edits keep it valid.
            conn.execute_batch(
                "DELETE FROM rt WHERE id % 2 = 0; INSERT INTO rt VALUES (1000000, 1, 2, 3, 4);",
            )
            .unwrap();
            let check: String = conn
                .query_row("SELECT rtreecheck('rt')", [], |r| r.get(0))
                .unwrap();
            assert_eq!(check, "ok", "after edits, n = {n}");
        }
    }

    #[test]
    fn a_tree_with_entries_is_left_alone() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE VIRTUAL TABLE rt USING rtree(id, minx, maxx, miny, maxy); INSERT INTO rt VALUES (1, 0, 1, 0, 1);").unwrap();
        assert!(
            !load_empty(
                &conn,
                Path::new(":memory:"),
                "rt",
                &[(2, geo_types::Rect::new((0.0, 0.0), (1.0, 1.0)))]
            )
            .unwrap()
        );
    }
}
