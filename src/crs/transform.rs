use std::collections::HashMap;

use geo_types::Coord;
use proj::Proj;

use super::CrsError;

/// A PROJ transformation between two EPSG codes, normalised for
/// visualisation so that x is easting/longitude on both sides whatever
/// axis order the CRS declares.
pub struct Transformer {
    from: i32,
    to: i32,
    proj: Option<Proj>,
}

impl Transformer {
    pub fn new(from: i32, to: i32) -> Result<Self, CrsError> {
        if from == to {
            return Ok(Transformer {
                from,
                to,
                proj: None,
            });
        }
        let proj = Proj::new_known_crs(&format!("EPSG:{from}"), &format!("EPSG:{to}"), None)
            .map_err(|e| CrsError::Transformation {
                from,
                to,
                reason: e.to_string(),
            })?;
        Ok(Transformer {
            from,
            to,
            proj: Some(proj),
        })
    }

    pub fn transform(&self, c: Coord<f64>) -> Result<Coord<f64>, CrsError> {
        let Some(proj) = &self.proj else { return Ok(c) };
        let (x, y) = proj.convert((c.x, c.y)).map_err(|e| CrsError::Point {
            x: c.x,
            y: c.y,
            from: self.from,
            to: self.to,
            reason: e.to_string(),
        })?;
        if !x.is_finite() || !y.is_finite() {
            return Err(CrsError::Point {
                x: c.x,
                y: c.y,
                from: self.from,
                to: self.to,
                reason: "result is not finite (outside the CRS's area)".into(),
            });
        }
        Ok(Coord { x, y })
    }

    /// Transforms every coordinate of a geometry in place.
    pub fn transform_geometry(&self, g: &mut geo_types::Geometry<f64>) -> Result<(), CrsError> {
        if self.proj.is_none() {
            return Ok(());
        }
        let mut error = None;
        crate::gpkg::geom::visit_coords_mut(g, &mut |c| {
            if error.is_none() {
                match self.transform(*c) {
                    Ok(out) => *c = out,
                    Err(e) => error = Some(e),
                }
            }
        });
        error.map_or(Ok(()), Err)
    }

    /// Transforms a slice in place, in one call into PROJ.
    pub fn transform_in_place(&self, coords: &mut [Coord<f64>]) -> Result<(), CrsError> {
        let Some(proj) = &self.proj else {
            return Ok(());
        };
        proj.convert_array(coords)
            .map_err(|e| CrsError::Transformation {
                from: self.from,
                to: self.to,
                reason: e.to_string(),
            })?;
        Ok(())
    }

    pub fn from(&self) -> i32 {
        self.from
    }

    pub fn to(&self) -> i32 {
        self.to
    }
}

/// Transformers are costly to create (a database lookup each), so every
/// thread keeps one per (from, to) pair.
#[derive(Default)]
pub struct TransformerCache {
    cache: HashMap<(i32, i32), Transformer>,
}

impl TransformerCache {
    pub fn get(&mut self, from: i32, to: i32) -> Result<&Transformer, CrsError> {
        Ok(match self.cache.entry((from, to)) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => v.insert(Transformer::new(from, to)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check value of REFERENCE.md, from cs2cs.
    #[test]
    fn wgs84_to_vn2000_tm3_107_matches_cs2cs() {
        let t = Transformer::new(4326, 9214).unwrap();
        let c = t.transform(Coord { x: 106.2, y: 21.3 }).unwrap();
        assert!((c.x - 416_802.265).abs() < 0.001, "{c:?}");
        assert!((c.y - 2_356_377.900).abs() < 0.001, "{c:?}");
    }
}
