//! Orders a chunk's dots so that, at any scale, a prefix of them holds one
//! dot per occupied cell of about a pixel: zoomed out, a million parcels
//! need only as many dots as there are pixels they fall in, and drawing
//! the prefix costs a fraction of drawing them all (each point is a
//! rasteriser setup, the dominant cost on a software rasteriser). Point
//! symbols are ordered the same way, so that zoomed out a prefix holds one
//! symbol per cell of half a symbol's size (decluttering).
//!
//! Dots are sorted along a Z-order (Morton) curve over a grid of
//! [`QUANTUM`]-metre steps. On that curve every cell of side
//! `QUANTUM * 2^L` is one contiguous run, so a dot starts a new cell of
//! level `L` exactly when its key differs from the previous dot's in a bit
//! at position `2L` or above. Its level is the highest such `L`; dots are
//! then stably grouped by descending level, and the dots of level `L` or
//! more are one per occupied level-`L` cell.

/// The finest grid step, map units.
pub const QUANTUM: f64 = 0.125;
/// Levels 0..=LEVELS; level `L` cells are `QUANTUM * 2^L` wide.
pub const LEVELS: usize = 32;

/// Spreads the low 32 bits of `v` to the even bits of a u64.
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    x = (x | (x << 1)) & 0x5555_5555_5555_5555;
    x
}

/// Reorders `dots` (anything with a position) and returns `ends`, where
/// `ends[L]` is the number of leading dots that are one per occupied cell
/// of level `L`, for `L` > 0; `ends[0]` is all of them (dots sharing the
/// finest cell included).
pub fn order<T: Copy>(dots: &mut Vec<T>, pos: impl Fn(&T) -> [f32; 2]) -> Vec<u32> {
    if dots.is_empty() {
        return vec![0; LEVELS + 1];
    }
    let min = dots.iter().fold([f32::INFINITY; 2], |m, d| {
        let p = pos(d);
        [m[0].min(p[0]), m[1].min(p[1])]
    });
    let cell = |v: f32, lo: f32| ((f64::from(v) - f64::from(lo)) / QUANTUM) as u32;
    let mut keyed: Vec<(u64, T)> = dots
        .iter()
        .map(|d| {
            let p = pos(d);
            let key = spread(cell(p[0], min[0])) | spread(cell(p[1], min[1])) << 1;
            (key, *d)
        })
        .collect();
    keyed.sort_unstable_by_key(|(k, _)| *k);
    let mut by_level: Vec<Vec<T>> = vec![Vec::new(); LEVELS + 1];
    let mut previous: Option<u64> = None;
    for (key, dot) in keyed {
        let level = match previous {
            None => LEVELS,
            Some(p) if p == key => 0,
            Some(p) => ((63 - (p ^ key).leading_zeros()) / 2) as usize,
        };
        by_level[level.min(LEVELS)].push(dot);
        previous = Some(key);
    }
    dots.clear();
    let mut ends = vec![0; LEVELS + 1];
    for level in (0..=LEVELS).rev() {
        dots.extend_from_slice(&by_level[level]);
        ends[level] = dots.len() as u32;
    }
    ends
}

/// The level whose cells are the smallest at least `resolution` wide.
pub fn level_for(resolution: f64) -> usize {
    let steps = (resolution / QUANTUM).max(1.0);
    (steps.log2().ceil() as usize).min(LEVELS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tessellate::Dot;
    use std::collections::HashSet;

    fn dot(x: f32, y: f32) -> Dot {
        Dot {
            pos: [x, y],
            color: [0, 0, 0, 255],
            feature_size: 1.0,
            feature: 0,
        }
    }

    #[test]
    fn each_prefix_has_one_dot_per_occupied_cell() {
        // A jittered lattice of 40 x 40 "parcels" 3 m apart.
        let mut dots: Vec<Dot> = (0..1600)
            .map(|i| {
                let (a, b) = ((i % 40) as f32, (i / 40) as f32);
                dot(
                    a * 3.0 + (i % 7) as f32 * 0.3,
                    b * 3.0 + (i % 5) as f32 * 0.4,
                )
            })
            .collect();
        let before: HashSet<[u32; 2]> = dots.iter().map(|d| d.pos.map(f32::to_bits)).collect();
        let ends = order(&mut dots, |d| d.pos);
        let after: HashSet<[u32; 2]> = dots.iter().map(|d| d.pos.map(f32::to_bits)).collect();
        assert_eq!(before, after, "the same dots, reordered");
        assert_eq!(ends[0], 1600);
        assert!(ends.windows(2).all(|w| w[0] >= w[1]));
        let min = dots.iter().fold([f32::INFINITY; 2], |m, d| {
            [m[0].min(d.pos[0]), m[1].min(d.pos[1])]
        });
        for level in [3, 5, 6, 7, 8, 10] {
            let size = QUANTUM * f64::from(1u32 << level);
            let cell_of = |d: &Dot| {
                [
                    ((f64::from(d.pos[0]) - f64::from(min[0])) / QUANTUM) as u64 >> level,
                    ((f64::from(d.pos[1]) - f64::from(min[1])) / QUANTUM) as u64 >> level,
                ]
            };
            let prefix: Vec<_> = dots[..ends[level] as usize].iter().map(cell_of).collect();
            let occupied: HashSet<_> = dots.iter().map(cell_of).collect();
            let distinct: HashSet<_> = prefix.iter().copied().collect();
            assert_eq!(
                prefix.len(),
                distinct.len(),
                "level {level} ({size} m) repeats a cell"
            );
            assert_eq!(distinct, occupied, "level {level} ({size} m) misses a cell");
        }
    }

    #[test]
    fn levels_follow_the_resolution() {
        assert_eq!(level_for(0.01), 0);
        assert_eq!(level_for(0.125), 0);
        assert_eq!(level_for(1.0), 3);
        assert_eq!(level_for(59.5), 9); // 64 m cells
        assert_eq!(level_for(1e12), LEVELS);
    }
}
