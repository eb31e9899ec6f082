//! Z and M of imported geometries fitted to the target layer: a new layer
//! takes the source's Z and M; a layer without them drops them, and a 2D
//! geometry going into a layer with Z or M gets 0 for them. Each is counted
//! and said once in the report, never per row and never silently.

use super::source::Conversion;
use crate::gpkg::geom::{Dims, ZmValues};

#[derive(Debug, Default)]
pub struct ZmTally {
    z_dropped: u64,
    m_dropped: u64,
    z_filled: u64,
    m_filled: u64,
    conversions: Vec<(Conversion, u64)>,
}

impl ZmTally {
    /// The values a geometry of `coords` coordinates is stored with in a
    /// layer whose columns have `target`'s ordinates.
    pub fn fit(&mut self, zm: ZmValues, coords: usize, target: Dims) -> ZmValues {
        let (z, z_change) = fit_one(zm.dims.z, zm.z, coords, target.z);
        let (m, m_change) = fit_one(zm.dims.m, zm.m, coords, target.m);
        self.count(z_change, true);
        self.count(m_change, false);
        ZmValues { dims: target, z, m }
    }

    fn count(&mut self, change: Change, z: bool) {
        let counter = match (change, z) {
            (Change::None, _) => return,
            (Change::Dropped, true) => &mut self.z_dropped,
            (Change::Dropped, false) => &mut self.m_dropped,
            (Change::Filled, true) => &mut self.z_filled,
            (Change::Filled, false) => &mut self.m_filled,
        };
        *counter += 1;
    }

    /// Counts a geometry that was converted on reading.
    pub fn converted(&mut self, c: &Conversion) {
        match self.conversions.iter_mut().find(|(k, _)| k == c) {
            Some((_, n)) => *n += 1,
            None => self.conversions.push((c.clone(), 1)),
        }
    }

    /// One line per kind of change, for the report.
    pub fn notes(&self, layer_name: &str) -> Vec<String> {
        let plural = |n: u64| if n == 1 { "geometry" } else { "geometries" };
        let mut out = Vec::new();
        for (n, what) in [(self.z_dropped, "Z"), (self.m_dropped, "M")] {
            if n > 0 {
                out.push(format!(
                    "{n} {} had {what} values, which layer '{layer_name}' has no column for: {what} was dropped",
                    plural(n)
                ));
            }
        }
        for (n, what) in [(self.z_filled, "Z"), (self.m_filled, "M")] {
            if n > 0 {
                out.push(format!(
                    "{n} {} had no {what} values; layer '{layer_name}' has {what}, stored as 0",
                    plural(n)
                ));
            }
        }
        out.extend(self.conversions.iter().map(|(c, n)| c.describe(*n)));
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    None,
    Dropped,
    Filled,
}

fn fit_one(present: bool, values: Vec<f64>, coords: usize, wanted: bool) -> (Vec<f64>, Change) {
    match (present, wanted) {
        (true, true) => (values, Change::None),
        (false, false) => (Vec::new(), Change::None),
        (true, false) => (Vec::new(), Change::Dropped),
        (false, true) => (vec![0.0; coords], Change::Filled),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn z_is_kept_dropped_or_filled_and_counted() {
        let mut t = ZmTally::default();
        let zm = ZmValues {
            dims: Dims { z: true, m: false },
            z: vec![1.0, 2.0],
            m: vec![],
        };
        let both = Dims { z: true, m: true };
        let kept = t.fit(zm.clone(), 2, both);
        assert_eq!((kept.z, kept.m), (vec![1.0, 2.0], vec![0.0, 0.0]));
        let flat = t.fit(zm, 2, Dims::default());
        assert!(flat.z.is_empty() && !flat.dims.z);
        assert_eq!(
            t.notes("roads"),
            vec![
                "1 geometry had Z values, which layer 'roads' has no column for: Z was dropped"
                    .to_string(),
                "1 geometry had no M values; layer 'roads' has M, stored as 0".to_string()
            ]
        );
    }
}
