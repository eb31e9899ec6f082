//! Numeric entry as Vietnamese surveyors give it.
//!
//! VN-2000 coordinates are written X first: X is the northing (about
//! 1,000,000–2,600,000 m across Vietnam), Y the easting (500,000 m at the
//! zone's central meridian, a province within about ±170 km of it). Map
//! coordinates in this program are the other way round (x = easting), so
//! the order is detected by range and a swap is reported for the user to
//! confirm. Bearings are clockwise from grid north, in degrees, minutes and
//! seconds or decimal degrees. Decimal commas ("2345678,12") are read.

use geo_types::{Coord, LineString, Polygon};

/// Northings of VN-2000 TM-3 zones over Vietnam (8.3°N – 23.5°N), metres.
pub const NORTHING_RANGE: std::ops::RangeInclusive<f64> = 800_000.0..=2_700_000.0;
/// Eastings of a 3° zone (false easting 500,000 m), with room for
/// provinces reaching beyond their zone.
pub const EASTING_RANGE: std::ops::RangeInclusive<f64> = 150_000.0..=850_000.0;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NumericError {
    #[error("line {line}: '{text}': {reason}")]
    Line {
        line: usize,
        text: String,
        reason: String,
    },
    #[error("'{text}': {reason}")]
    Value { text: String, reason: String },
    #[error("a parcel needs at least 3 distinct corners (the list has {0})")]
    TooFewCorners(usize),
    #[error("the corners do not make a valid parcel: {0}")]
    InvalidParcel(String),
    #[error(
        "line {line}: the corner is in {this} order but the list's first corner is in {first} order; write all corners in one order"
    )]
    MixedOrder {
        line: usize,
        this: &'static str,
        first: &'static str,
    },
}

fn value_error(text: &str, reason: impl Into<String>) -> NumericError {
    NumericError::Value {
        text: text.to_string(),
        reason: reason.into(),
    }
}

/// A typed VN-2000 point in map order (x = easting, y = northing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurveyPoint {
    pub coord: Coord<f64>,
    /// The two numbers were typed easting first (not X = northing first):
    /// the UI should ask the user to confirm.
    pub swapped: bool,
    /// Both orders fit the ranges; the surveyor's X-first order was taken.
    pub ambiguous: bool,
}

/// Reads one number, with a decimal point or comma, and thousands
/// separators of the other kind ("2.345.678,12", "2,345,678.12") removed.
pub fn parse_number(text: &str) -> Result<f64, NumericError> {
    let t = text.trim().replace([' ', '\u{a0}'], "");
    let normal = match (t.rfind('.'), t.rfind(',')) {
        (Some(d), Some(c)) if c > d => t.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => t.replace(',', ""),
        (None, Some(_)) if t.matches(',').count() == 1 => t.replace(',', "."),
        (None, Some(_)) => t.replace(',', ""),
        (Some(_), None) if t.matches('.').count() > 1 => t.replace('.', ""),
        _ => t.clone(),
    };
    normal
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| value_error(text, "not a number"))
}

/// Splits a line into its fields: on ';' or tabs when it has them, else on
/// whitespace (a comma stuck to a number being a separator), else on
/// commas when a decimal point shows they cannot be decimal commas.
pub fn split_fields(line: &str) -> Vec<String> {
    let line = line.trim();
    let fields: Vec<String> = if line.contains(';') || line.contains('\t') {
        line.split([';', '\t'])
            .map(|f| f.trim().to_string())
            .collect()
    } else if line.split_whitespace().count() > 1 {
        line.split_whitespace()
            .map(|f| f.trim_matches(',').to_string())
            .filter(|f| !f.is_empty())
            .collect()
    } else if line.contains('.') {
        line.split(',').map(|f| f.trim().to_string()).collect()
    } else {
        vec![line.to_string()]
    };
    fields.into_iter().filter(|f| !f.is_empty()).collect()
}

/// Orders two typed numbers (surveyor's X, Y) as easting, northing.
pub fn order_xy(first: f64, second: f64, text: &str) -> Result<SurveyPoint, NumericError> {
    let as_typed = NORTHING_RANGE.contains(&first) && EASTING_RANGE.contains(&second);
    let reversed = EASTING_RANGE.contains(&first) && NORTHING_RANGE.contains(&second);
    match (as_typed, reversed) {
        (true, rev) => Ok(SurveyPoint {
            coord: Coord {
                x: second,
                y: first,
            },
            swapped: false,
            ambiguous: rev,
        }),
        (false, true) => Ok(SurveyPoint {
            coord: Coord {
                x: first,
                y: second,
            },
            swapped: true,
            ambiguous: false,
        }),
        (false, false) => Err(value_error(
            text,
            format!(
                "not VN-2000 X/Y in metres: X (northing) lies in {:.0}–{:.0}, Y (easting) in {:.0}–{:.0}",
                NORTHING_RANGE.start(),
                NORTHING_RANGE.end(),
                EASTING_RANGE.start(),
                EASTING_RANGE.end()
            ),
        )),
    }
}

/// Reads "X Y" (or "X, Y", "X;Y", decimal commas) as a surveyor types a
/// vertex.
pub fn parse_xy(text: &str) -> Result<SurveyPoint, NumericError> {
    let fields = split_fields(text);
    if fields.len() != 2 {
        return Err(value_error(
            text,
            format!("expected two numbers, X and Y (found {})", fields.len()),
        ));
    }
    let x = parse_number(&fields[0])?;
    let y = parse_number(&fields[1])?;
    order_xy(x, y, text)
}

/// Reads a bearing: decimal degrees ("123.5", "123,5"), or degrees, minutes
/// and seconds ("123°30'15\"", "123 30 15", "123-30-15", "123d30m15s").
/// Returns decimal degrees in 0..360.
pub fn parse_bearing(text: &str) -> Result<f64, NumericError> {
    let t = text.trim();
    let parts: Vec<&str> = t
        .split(|c: char| {
            matches!(
                c,
                '°' | '\'' | '"' | '′' | '″' | ' ' | '-' | ':' | 'd' | 'm' | 's'
            )
        })
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() || parts.len() > 3 {
        return Err(value_error(
            text,
            "expected a bearing in degrees, or degrees minutes seconds",
        ));
    }
    let nums = parts
        .iter()
        .map(|p| parse_number(p))
        .collect::<Result<Vec<_>, _>>()?;
    let (deg, min, sec) = (
        nums[0],
        nums.get(1).copied().unwrap_or(0.0),
        nums.get(2).copied().unwrap_or(0.0),
    );
    if nums.len() > 1
        && (deg.fract() != 0.0
            || !(0.0..60.0).contains(&min)
            || (nums.len() > 2 && min.fract() != 0.0))
    {
        return Err(value_error(
            text,
            "minutes and seconds must be below 60, degrees whole",
        ));
    }
    if !(0.0..60.0).contains(&sec) {
        return Err(value_error(text, "seconds must be below 60"));
    }
    let b = deg + min / 60.0 + sec / 3600.0;
    if !(0.0..=360.0).contains(&b) {
        return Err(value_error(text, "a bearing lies between 0° and 360°"));
    }
    Ok(b % 360.0)
}

/// COGO: the point `distance` metres from `from` on `bearing` degrees
/// clockwise from grid north.
pub fn cogo_next(from: Coord<f64>, distance: f64, bearing_deg: f64) -> Coord<f64> {
    let b = bearing_deg.to_radians();
    Coord {
        x: from.x + distance * b.sin(),
        y: from.y + distance * b.cos(),
    }
}

/// The distance and bearing (degrees clockwise from grid north) from `a`
/// to `b`, the inverse of [`cogo_next`].
pub fn distance_bearing(a: Coord<f64>, b: Coord<f64>) -> (f64, f64) {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let bearing = dx.atan2(dy).to_degrees();
    (
        (dx * dx + dy * dy).sqrt(),
        if bearing < 0.0 {
            bearing + 360.0
        } else {
            bearing
        },
    )
}

/// Degrees as "123°30'15.0\"".
pub fn format_dms(deg: f64) -> String {
    let total = (deg * 36_000.0).round() as i64; // tenths of seconds
    let (d, rest) = (total / 36_000, total % 36_000);
    format!(
        "{d}°{:02}'{:04.1}\"",
        rest / 600,
        (rest % 600) as f64 / 10.0
    )
}

/// One corner of a parcel list.
#[derive(Debug, Clone, PartialEq)]
pub struct Corner {
    /// The point's number as written ("1", "M3"), if the line had one.
    pub number: Option<String>,
    pub coord: Coord<f64>,
    /// The line of the text it came from (1-based).
    pub line: usize,
}

/// A corner list read from text.
#[derive(Debug, Clone, PartialEq)]
pub struct CornerList {
    pub corners: Vec<Corner>,
    /// The list was written easting first: ask the user to confirm.
    pub swapped: bool,
}

/// Reads "tọa độ góc ranh thửa": one corner a line, `number, X, Y` or
/// `X Y`, separated by commas, semicolons, tabs or spaces, decimal commas
/// allowed. Blank lines, `#` comments and a header line (no digits, or a
/// first line that is not numbers) are skipped. Errors name the line.
pub fn parse_corners(text: &str) -> Result<CornerList, NumericError> {
    let mut corners = Vec::new();
    let mut order: Option<bool> = None;
    let mut swapped_any = false;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim().trim_start_matches('\u{feff}');
        if trimmed.is_empty()
            || trimmed.starts_with('#')
            || !trimmed.chars().any(|c| c.is_ascii_digit())
        {
            continue;
        }
        let err = |reason: String| NumericError::Line {
            line,
            text: raw.to_string(),
            reason,
        };
        let fields = split_fields(trimmed);
        let (number, xs) = match fields.len() {
            2 => (None, &fields[..]),
            3 | 4 => (Some(fields[0].clone()), &fields[1..3]),
            n => {
                if corners.is_empty() && fields.iter().any(|f| parse_number(f).is_err()) {
                    continue; // a header such as "STT, X (m), Y (m)"
                }
                return Err(err(format!(
                    "expected 'X Y' or 'number, X, Y' ({n} field(s) found)"
                )));
            }
        };
        let parsed: Result<Vec<f64>, _> = xs.iter().map(|f| parse_number(f)).collect();
        let Ok(nums) = parsed else {
            if corners.is_empty() {
                continue; // a header line
            }
            return Err(err(format!("'{}' or '{}' is not a number", xs[0], xs[1])));
        };
        let p = order_xy(nums[0], nums[1], trimmed).map_err(|e| match e {
            NumericError::Value { reason, .. } => err(reason),
            other => other,
        })?;
        let name = |s: bool| {
            if s {
                "Y, X (easting first)"
            } else {
                "X, Y (northing first)"
            }
        };
        if !p.ambiguous {
            match order {
                None => order = Some(p.swapped),
                Some(first) if first != p.swapped => {
                    return Err(NumericError::MixedOrder {
                        line,
                        this: name(p.swapped),
                        first: name(first),
                    });
                }
                _ => {}
            }
            swapped_any |= p.swapped;
        }
        corners.push(Corner {
            number,
            coord: p.coord,
            line,
        });
    }
    Ok(CornerList {
        corners,
        swapped: swapped_any,
    })
}

/// A parcel from a corner list: the ring closed (a repeated first corner
/// at the end is accepted), counter-clockwise, checked valid.
pub fn parcel_from_corners(list: &CornerList) -> Result<Polygon<f64>, NumericError> {
    let mut pts: Vec<Coord<f64>> = list.corners.iter().map(|c| c.coord).collect();
    pts.dedup();
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    if pts.len() < 3 {
        return Err(NumericError::TooFewCorners(pts.len()));
    }
    if super::geometry::ring_signed_area(&pts) < 0.0 {
        pts.reverse();
    }
    let polygon = Polygon::new(super::geometry::close_ring(pts), vec![]);
    use geo::Validation;
    polygon
        .check_validation()
        .map_err(|e| NumericError::InvalidParcel(e.to_string()))?;
    Ok(polygon)
}

/// The line of a COGO traverse: from `start`, each leg (distance, bearing).
pub fn traverse(start: Coord<f64>, legs: &[(f64, f64)]) -> LineString<f64> {
    let mut pts = vec![start];
    for &(d, b) in legs {
        let last = *pts.last().unwrap();
        pts.push(cogo_next(last, d, b));
    }
    LineString(pts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;

    #[test]
    fn numbers_with_decimal_commas_and_thousands() {
        assert_eq!(parse_number("2345678,12").unwrap(), 2_345_678.12);
        assert_eq!(parse_number("2.345.678,12").unwrap(), 2_345_678.12);
        assert_eq!(parse_number("2,345,678.12").unwrap(), 2_345_678.12);
        assert_eq!(parse_number(" 456789.01 ").unwrap(), 456_789.01);
        assert!(parse_number("12a").is_err());
    }

    #[test]
    fn x_northing_first_is_the_norm_and_a_swap_is_reported() {
        let p = parse_xy("2345678.12 456789.01").unwrap();
        assert_eq!(
            p.coord,
            Coord {
                x: 456_789.01,
                y: 2_345_678.12
            }
        );
        assert!(!p.swapped && !p.ambiguous);
        let q = parse_xy("456789,01; 2345678,12").unwrap();
        assert_eq!(q.coord, p.coord);
        assert!(q.swapped);
        assert!(parse_xy("2345678.12, 456789.01").is_ok());
        let err = parse_xy("12 34").unwrap_err();
        assert!(err.to_string().contains("northing"), "{err}");
        assert!(parse_xy("2345678.12").is_err());
        // Both in 800-850 km (far south): taken as typed, flagged ambiguous.
        let a = parse_xy("820000 810000").unwrap();
        assert!(a.ambiguous && !a.swapped);
    }

    #[test]
    fn bearings_in_dms_and_decimal() {
        assert_eq!(parse_bearing("45").unwrap(), 45.0);
        assert_eq!(parse_bearing("45,5").unwrap(), 45.5);
        assert!((parse_bearing("123°30'36\"").unwrap() - 123.51).abs() < 1e-12);
        assert!((parse_bearing("123 30 36").unwrap() - 123.51).abs() < 1e-12);
        assert!((parse_bearing("123-30-36").unwrap() - 123.51).abs() < 1e-12);
        assert!(parse_bearing("12 75 00").is_err());
        assert!(parse_bearing("400").is_err());
        assert_eq!(format_dms(123.51), "123°30'36.0\"");
    }

    #[test]
    fn cogo_legs_follow_grid_bearings() {
        let o = Coord {
            x: 500_000.0,
            y: 2_300_000.0,
        };
        let e = cogo_next(o, 100.0, 90.0);
        assert!((e.x - 500_100.0).abs() < 1e-9 && (e.y - o.y).abs() < 1e-9);
        let s = cogo_next(o, 50.0, 180.0);
        assert!((s.y - 2_299_950.0).abs() < 1e-9);
        let (d, b) = distance_bearing(o, cogo_next(o, 70.0, 315.25));
        assert!((d - 70.0).abs() < 1e-9 && (b - 315.25).abs() < 1e-9);
        // A closed square traverse returns to its start.
        let t = traverse(
            o,
            &[(20.0, 0.0), (20.0, 90.0), (20.0, 180.0), (20.0, 270.0)],
        );
        let end = t.0.last().unwrap();
        assert!((end.x - o.x).abs() < 1e-9 && (end.y - o.y).abs() < 1e-9);
    }

    #[test]
    fn corner_lists_in_the_usual_forms() {
        let text = "STT, X (m), Y (m)\n1, 2345678.12, 456789.01\n2; 2345678,12; 456809,01\n3\t2345698.12\t456809.01\n\n2345698.12 456789.01\n";
        let list = parse_corners(text).unwrap();
        assert_eq!(list.corners.len(), 4);
        assert!(!list.swapped);
        assert_eq!(list.corners[0].number.as_deref(), Some("1"));
        assert_eq!(list.corners[3].number, None);
        assert_eq!(list.corners[3].line, 6);
        let parcel = parcel_from_corners(&list).unwrap();
        assert!((parcel.unsigned_area() - 400.0).abs() < 1e-6);
        assert!(parcel.signed_area() > 0.0);
    }

    #[test]
    fn corner_errors_name_the_line() {
        let err = parse_corners("1, 2345678.12, 456789.01\n2, 2345678.12, abc\n").unwrap_err();
        assert!(matches!(err, NumericError::Line { line: 2, .. }), "{err}");
        assert!(err.to_string().starts_with("line 2:"), "{err}");
        let err =
            parse_corners("1, 2345678.12, 456789.01\n2, 456809.01, 2345678.12\n").unwrap_err();
        assert!(
            matches!(err, NumericError::MixedOrder { line: 2, .. }),
            "{err}"
        );
        let err = parse_corners("1, 2345678.12, 456789.01\n2, 12, 13\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        let two = parse_corners("2345678 456789\n2345679 456789\n").unwrap();
        assert_eq!(
            parcel_from_corners(&two).unwrap_err(),
            NumericError::TooFewCorners(2)
        );
        // A bow tie is no parcel.
        let bow = parse_corners("2345600 456700\n2345610 456710\n2345600 456710\n2345610 456700\n")
            .unwrap();
        assert!(matches!(
            parcel_from_corners(&bow),
            Err(NumericError::InvalidParcel(_))
        ));
    }
}
