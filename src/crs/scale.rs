//! Ground distance per map unit, for scale bars: a degree of longitude is
//! 111 km at the equator and 0 at the poles, and Web Mercator's metres
//! stretch with latitude, so the map's units alone do not give the scale.

use geo::{Distance, Geodesic, Point};
use geo_types::Coord;

use super::Transformer;

/// Metres on the ground per map unit along x at `centre`, measured over
/// `step` map units on either side (the geodesic between the two points
/// in WGS 84). `to_wgs84` takes map coordinates to longitude/latitude;
/// when it is the identity the map is either WGS 84 itself or has no CRS
/// (`geographic` tells which; an undefined Cartesian CRS counts as metres).
pub fn metres_per_unit(
    to_wgs84: &Transformer,
    geographic: bool,
    centre: [f64; 2],
    step: f64,
) -> Option<f64> {
    if to_wgs84.is_identity() && !geographic {
        return Some(1.0);
    }
    let step = step.abs().max(1e-12);
    let at = |dx: f64| {
        to_wgs84
            .transform(Coord {
                x: centre[0] + dx,
                y: centre[1],
            })
            .ok()
            .filter(|c| c.y.abs() <= 90.0)
            .map(|c| Point::new(c.x, c.y))
    };
    let (a, b) = (at(-step)?, at(step)?);
    let metres = Geodesic.distance(a, b);
    (metres.is_finite() && metres > 0.0).then(|| metres / (2.0 * step))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::Crs;

    #[test]
    fn a_degree_shrinks_with_latitude_and_mercator_metres_stretch() {
        let wgs = Transformer::new(4326, 4326).unwrap();
        let equator = metres_per_unit(&wgs, true, [0.0, 0.0], 0.01).unwrap();
        assert!((equator - 111_319.5).abs() < 1.0, "{equator}");
        let sixty = metres_per_unit(&wgs, true, [10.0, 60.0], 0.01).unwrap();
        assert!((sixty - 55_800.0).abs() < 100.0, "{sixty}");
        // At 60° N a Web Mercator metre is half a metre on the ground.
        let merc = Transformer::new(3857, 4326).unwrap();
        let y60 = Transformer::new(4326, 3857)
            .unwrap()
            .transform(Coord { x: 10.0, y: 60.0 })
            .unwrap();
        let m = metres_per_unit(&merc, false, [y60.x, y60.y], 100.0).unwrap();
        assert!((m - 0.5).abs() < 0.01, "{m}");
        let tm = Transformer::new(9214, 4326).unwrap();
        let k = metres_per_unit(&tm, false, [500_000.0, 2_356_000.0], 100.0).unwrap();
        assert!((k - 1.0).abs() < 0.001, "{k}");
        let none =
            Transformer::between(&Crs::Undefined { geographic: false }, &Crs::Epsg(4326)).unwrap();
        assert_eq!(metres_per_unit(&none, false, [5.0, 5.0], 1.0), Some(1.0));
    }
}
