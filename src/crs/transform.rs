use std::collections::HashMap;

use geo_types::Coord;
use proj::Proj;

use super::{Crs, CrsError};

/// A PROJ transformation between two CRSs, normalised for visualisation so
/// that x is easting/longitude on both sides whatever axis order the CRS
/// declares. Between a CRS and an undefined one (or itself) it is the
/// identity: coordinates without a CRS are drawn in their own units.
pub struct Transformer {
    from: Crs,
    to: Crs,
    proj: Option<Proj>,
}

impl Transformer {
    /// Between two EPSG codes.
    pub fn new(from: i32, to: i32) -> Result<Self, CrsError> {
        Self::between(&Crs::Epsg(from), &Crs::Epsg(to))
    }

    pub fn between(from: &Crs, to: &Crs) -> Result<Self, CrsError> {
        let proj = match (from.proj_text(), to.proj_text()) {
            (Some(a), Some(b)) if from != to => Some(Proj::new_known_crs(&a, &b, None).map_err(
                |e| CrsError::Transformation {
                    from: from.label(),
                    to: to.label(),
                    reason: e.to_string(),
                },
            )?),
            _ => None,
        };
        Ok(Transformer {
            from: from.clone(),
            to: to.clone(),
            proj,
        })
    }

    /// Whether coordinates pass unchanged.
    pub fn is_identity(&self) -> bool {
        self.proj.is_none()
    }

    pub fn transform(&self, c: Coord<f64>) -> Result<Coord<f64>, CrsError> {
        let Some(proj) = &self.proj else { return Ok(c) };
        let (x, y) = proj
            .convert((c.x, c.y))
            .map_err(|e| self.point_error(c, e))?;
        if !x.is_finite() || !y.is_finite() {
            return Err(self.point_error(c, "result is not finite (outside the CRS's area)"));
        }
        Ok(Coord { x, y })
    }

    /// The error for a point that did not transform.
    pub fn point_error(&self, c: Coord<f64>, reason: impl ToString) -> CrsError {
        CrsError::Point {
            x: c.x,
            y: c.y,
            from: self.from.label(),
            to: self.to.label(),
            reason: reason.to_string(),
        }
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
                from: self.from.label(),
                to: self.to.label(),
                reason: e.to_string(),
            })?;
        Ok(())
    }

    pub fn from(&self) -> &Crs {
        &self.from
    }

    pub fn to(&self) -> &Crs {
        &self.to
    }
}

/// Transformers are costly to create (a database lookup each), so every
/// thread keeps one per (from, to) pair.
#[derive(Default)]
pub struct TransformerCache {
    cache: HashMap<(Crs, Crs), Transformer>,
}

impl TransformerCache {
    pub fn get(&mut self, from: &Crs, to: &Crs) -> Result<&Transformer, CrsError> {
        Ok(match self.cache.entry((from.clone(), to.clone())) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(Transformer::between(from, to)?)
            }
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

    /// A WKT definition transforms like its EPSG code, in x = easting order.
    #[test]
    fn definitions_transform_like_their_code() {
        let wkt = super::super::epsg_definition(9214).unwrap().wkt;
        let def = Crs::from_definition(&wkt).unwrap();
        let t = Transformer::between(&Crs::Epsg(4326), &def).unwrap();
        let c = t.transform(Coord { x: 106.2, y: 21.3 }).unwrap();
        assert!((c.x - 416_802.265).abs() < 0.001, "{c:?}");
        assert!((c.y - 2_356_377.900).abs() < 0.001, "{c:?}");
    }

    #[test]
    fn undefined_crs_passes_coordinates_unchanged() {
        let u = Crs::Undefined { geographic: false };
        let t = Transformer::between(&u, &Crs::Epsg(9214)).unwrap();
        assert!(t.is_identity());
        let c = Coord { x: 12.5, y: -3.0 };
        assert_eq!(t.transform(c).unwrap(), c);
    }
}
