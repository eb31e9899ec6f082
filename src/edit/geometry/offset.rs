//! Offset a line by a distance: a parallel copy, to the left of its
//! direction for a positive distance, to the right for a negative one.
//! Corners are mitred; a miter longer than `MITER_LIMIT` times the
//! distance (a sharp turn) is cut off with a bevel, as QGIS's Offset Curve
//! does by default.

use geo_types::{Coord, Geometry, LineString, MultiLineString};

use super::{GeometryError, dist};

const MITER_LIMIT: f64 = 3.0;

fn left_normal(a: Coord<f64>, b: Coord<f64>) -> Option<Coord<f64>> {
    let len = dist(a, b);
    (len > 0.0).then(|| Coord {
        x: -(b.y - a.y) / len,
        y: (b.x - a.x) / len,
    })
}

fn offset_coords(line: &[Coord<f64>], d: f64) -> Vec<Coord<f64>> {
    let mut pts: Vec<Coord<f64>> = line.to_vec();
    pts.dedup();
    if pts.len() < 2 {
        return pts;
    }
    let normals: Vec<Coord<f64>> = pts
        .windows(2)
        .map(|w| left_normal(w[0], w[1]).expect("duplicates removed"))
        .collect();
    let mut out = vec![pts[0] + normals[0] * d];
    for i in 1..pts.len() - 1 {
        let (n0, n1) = (normals[i - 1], normals[i]);
        // The miter point lies along the bisector of the two normals.
        let bisector = n0 + n1;
        let cos_half = (bisector.x * bisector.x + bisector.y * bisector.y).sqrt() / 2.0;
        if cos_half < 1e-9 {
            // A U-turn: bevel.
            out.push(pts[i] + n0 * d);
            out.push(pts[i] + n1 * d);
            continue;
        }
        let miter_len = d.abs() / cos_half;
        if miter_len > MITER_LIMIT * d.abs() {
            out.push(pts[i] + n0 * d);
            out.push(pts[i] + n1 * d);
        } else {
            let unit = bisector / (2.0 * cos_half);
            out.push(pts[i] + unit * (d / cos_half));
        }
    }
    out.push(pts[pts.len() - 1] + normals[normals.len() - 1] * d);
    out
}

/// A line or multiline offset by `distance` (in the layer's units).
pub fn offset_line(g: &Geometry<f64>, distance: f64) -> Result<Geometry<f64>, GeometryError> {
    if !distance.is_finite() || distance == 0.0 {
        return Err(GeometryError::BadDistance(distance));
    }
    match g {
        Geometry::LineString(l) => Ok(Geometry::LineString(LineString(offset_coords(
            &l.0, distance,
        )))),
        Geometry::MultiLineString(m) => Ok(Geometry::MultiLineString(MultiLineString(
            m.0.iter()
                .map(|l| LineString(offset_coords(&l.0, distance)))
                .collect(),
        ))),
        other => Err(GeometryError::Unsupported {
            tool: "offset",
            kind: super::kind_name(other),
        }),
    }
}

/// Offsets one stored line in place, as one edit.
pub fn offset_in(
    session: &mut crate::edit::EditSession,
    layer: &str,
    fid: i64,
    distance: f64,
) -> Result<crate::edit::Applied, crate::edit::EditError> {
    let description = format!("Dịch song song đường {fid} {distance} m");
    super::edit_geometry(session, layer, fid, &description, |g| {
        offset_line(g, distance)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Distance, Euclidean};

    #[test]
    fn every_vertex_of_a_right_angle_keeps_the_distance() {
        let line = Geometry::LineString(LineString::from(vec![(0., 0.), (10., 0.), (10., 10.)]));
        let Geometry::LineString(left) = offset_line(&line, 2.0).unwrap() else {
            panic!()
        };
        let near =
            |a: Coord<f64>, b: (f64, f64)| (a.x - b.0).abs() < 1e-9 && (a.y - b.1).abs() < 1e-9;
        assert_eq!(left.0.len(), 3);
        assert!(
            near(left.0[0], (0., 2.)) && near(left.0[1], (8., 2.)) && near(left.0[2], (8., 10.)),
            "{:?}",
            left.0
        );
        let Geometry::LineString(right) = offset_line(&line, -2.0).unwrap() else {
            panic!()
        };
        assert!(near(right.0[1], (12., -2.)), "{:?}", right.0);
        // Every offset segment lies 2 m from the original line.
        for c in &right.0 {
            let d = Euclidean.distance(&geo_types::Point(*c), &line);
            assert!((d - 2.0).abs() < 1e-9 || d > 2.0, "{c:?} {d}");
        }
    }

    #[test]
    fn sharp_turns_are_bevelled_and_bad_distances_refused() {
        let line = Geometry::LineString(LineString::from(vec![(0., 0.), (10., 0.), (0., 0.5)]));
        let Geometry::LineString(l) = offset_line(&line, 1.0).unwrap() else {
            panic!()
        };
        assert_eq!(l.0.len(), 4, "{:?}", l.0);
        assert!(offset_line(&line, 0.0).is_err());
        assert!(offset_line(&line, f64::NAN).is_err());
        let pt = Geometry::Point(geo_types::Point::new(0., 0.));
        assert!(matches!(
            offset_line(&pt, 1.0),
            Err(GeometryError::Unsupported { .. })
        ));
    }
}
