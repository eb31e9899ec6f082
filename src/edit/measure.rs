//! Live measurement while drawing and in the form: area (m², ha) and
//! length (m) in the layer's CRS when it is projected, else in VN-2000 /
//! TM-3 107-00 (EPSG:9214), the province's own zone, through PROJ.

use geo::{Area, Euclidean, Length};
use geo_types::Geometry;

use crate::crs::{Crs, CrsError, Transformer, VN2000_TM3_107};

#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    #[error("cannot measure in VN-2000 / TM-3 107-00: {0}")]
    Crs(#[from] CrsError),
}

/// Area and length of a geometry, in square metres and metres.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Measurement {
    /// 0 for points and lines.
    pub area_m2: f64,
    /// A line's length, or a polygon's perimeter (holes included).
    pub length_m: f64,
}

impl Measurement {
    pub fn hectares(&self) -> f64 {
        self.area_m2 / 10_000.0
    }
}

/// Measures geometries of one layer; build it once per layer (a PROJ
/// transformer is costly to make) and call [`Measurer::measure`] per frame.
pub struct Measurer {
    /// None when the layer's coordinates are metres already.
    to_metres: Option<Transformer>,
}

impl Measurer {
    /// For a layer in `crs`: a projected CRS (or an undefined Cartesian
    /// one) is measured as it is; geographic coordinates are projected to
    /// EPSG:9214 first.
    pub fn new(crs: &Crs) -> Result<Measurer, MeasureError> {
        let to_metres = if crs.is_geographic() {
            Some(Transformer::between(crs, &Crs::Epsg(VN2000_TM3_107))?)
        } else {
            None
        };
        Ok(Measurer { to_metres })
    }

    /// The CRS the numbers are in: the layer's own, or EPSG:9214.
    pub fn projected(&self) -> bool {
        self.to_metres.is_none()
    }

    pub fn measure(&self, g: &Geometry<f64>) -> Result<Measurement, MeasureError> {
        let projected;
        let g = match &self.to_metres {
            Some(t) => {
                let mut copy = g.clone();
                t.transform_geometry(&mut copy)?;
                projected = copy;
                &projected
            }
            None => g,
        };
        Ok(Measurement {
            area_m2: g.unsigned_area(),
            length_m: length(g),
        })
    }
}

fn length(g: &Geometry<f64>) -> f64 {
    match g {
        Geometry::Line(l) => Euclidean.length(l),
        Geometry::LineString(l) => Euclidean.length(l),
        Geometry::MultiLineString(m) => Euclidean.length(m),
        Geometry::Polygon(p) => std::iter::once(p.exterior())
            .chain(p.interiors())
            .map(|r| Euclidean.length(r))
            .sum(),
        Geometry::MultiPolygon(m) => {
            m.0.iter()
                .map(|p| length(&Geometry::Polygon(p.clone())))
                .sum()
        }
        Geometry::Rect(r) => length(&Geometry::Polygon(r.to_polygon())),
        Geometry::Triangle(t) => length(&Geometry::Polygon(t.to_polygon())),
        Geometry::GeometryCollection(c) => c.0.iter().map(length).sum(),
        Geometry::Point(_) | Geometry::MultiPoint(_) => 0.0,
    }
}

/// Language of formatted numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberStyle {
    /// 1.234,56 (Vietnamese: dot groups thousands, comma before decimals)
    Vietnamese,
    /// 1,234.56
    English,
}

/// `value` with `decimals` decimals and grouped thousands.
pub fn format_number(value: f64, decimals: usize, style: NumberStyle) -> String {
    let (group, point) = match style {
        NumberStyle::Vietnamese => ('.', ','),
        NumberStyle::English => (',', '.'),
    };
    let text = format!("{:.*}", decimals, value.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    if value < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

/// "1.234,56 m² (0,1235 ha)".
pub fn format_area(m2: f64, style: NumberStyle) -> String {
    format!(
        "{} m² ({} ha)",
        format_number(m2, 2, style),
        format_number(m2 / 10_000.0, 4, style)
    )
}

/// "1.234,56 m".
pub fn format_length(m: f64, style: NumberStyle) -> String {
    format!("{} m", format_number(m, 2, style))
}

/// The status line while drawing: area and perimeter of a polygon, length
/// of a line.
pub fn format_measurement(m: &Measurement, style: NumberStyle) -> String {
    let (area, length, perimeter) = match style {
        NumberStyle::Vietnamese => ("Diện tích", "Chiều dài", "Chu vi"),
        NumberStyle::English => ("Area", "Length", "Perimeter"),
    };
    if m.area_m2 > 0.0 {
        format!(
            "{area}: {} · {perimeter}: {}",
            format_area(m.area_m2, style),
            format_length(m.length_m, style)
        )
    } else {
        format!("{length}: {}", format_length(m.length_m, style))
    }
}

/// Fields that hold a feature's area in m² (the sample's and common
/// cadastral names), kept equal to the geometry's area after an edit until
/// the layer's field policies (edit::policy) say otherwise.
/// The one list: split and merge policies (edit::policy) use it too.
pub const AREA_FIELDS: &[&str] = &[
    "dien_tich",
    "dientich",
    "dien_tich_m2",
    "area_m2",
    "shape_area",
];

/// Whether a field holds an area in m² (see [`AREA_FIELDS`]).
pub fn is_area_field(name: &str) -> bool {
    AREA_FIELDS.iter().any(|n| name.eq_ignore_ascii_case(n))
}

/// Sets the feature's area fields (see [`AREA_FIELDS`]) to its geometry's
/// area in m², to 0.1 m² as cadastral records give it.
pub fn set_area_fields(
    info: &crate::gpkg::LayerInfo,
    feature: &mut crate::model::Feature,
) -> Result<(), MeasureError> {
    let Some(g @ (Geometry::Polygon(_) | Geometry::MultiPolygon(_))) = &feature.geometry else {
        return Ok(());
    };
    let slots: Vec<usize> = info
        .schema
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| is_area_field(&f.name))
        .map(|(i, _)| i)
        .collect();
    if slots.is_empty() {
        return Ok(());
    }
    let area = Measurer::new(&info.crs)?.measure(g)?.area_m2;
    for i in slots {
        if let Some(v) = feature.values.get_mut(i) {
            *v = crate::model::FieldValue::Real((area * 10.0).round() / 10.0);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{LineString, Rect};

    #[test]
    fn projected_layers_are_measured_in_their_own_metres() {
        let m = Measurer::new(&Crs::Epsg(VN2000_TM3_107)).unwrap();
        assert!(m.projected());
        let parcel = Geometry::Polygon(
            Rect::new((500_000., 2_300_000.), (500_020., 2_300_030.)).to_polygon(),
        );
        let r = m.measure(&parcel).unwrap();
        assert!((r.area_m2 - 600.0).abs() < 1e-6 && (r.length_m - 100.0).abs() < 1e-6);
        assert!((r.hectares() - 0.06).abs() < 1e-12);
    }

    /// A square of WGS 84 degrees, projected with PROJ: its TM-3 corners
    /// from the transformer (checked against cs2cs in crs::transform's
    /// tests) give the area.
    #[test]
    fn geographic_layers_are_measured_in_vn2000_tm3() {
        let m = Measurer::new(&Crs::Epsg(crate::crs::WGS84)).unwrap();
        assert!(!m.projected());
        let line = Geometry::LineString(LineString::from(vec![(107.0, 21.0), (107.0, 21.001)]));
        let r = m.measure(&line).unwrap();
        // 0.001° of latitude at 21°N is about 110.7 m on the ground.
        assert!((r.length_m - 110.7).abs() < 0.3, "{}", r.length_m);
        let sq = Geometry::Polygon(Rect::new((107.0, 21.0), (107.001, 21.001)).to_polygon());
        let a = m.measure(&sq).unwrap().area_m2;
        assert!((a - 110.7 * 103.9).abs() < 60.0, "{a}");
    }

    #[test]
    fn numbers_read_as_each_language_writes_them() {
        assert_eq!(
            format_number(1_234_567.891, 2, NumberStyle::Vietnamese),
            "1.234.567,89"
        );
        assert_eq!(
            format_number(1_234_567.891, 2, NumberStyle::English),
            "1,234,567.89"
        );
        assert_eq!(format_number(-12.5, 1, NumberStyle::English), "-12.5");
        assert_eq!(
            format_area(1234.5, NumberStyle::Vietnamese),
            "1.234,50 m² (0,1235 ha)"
        );
        assert_eq!(format_length(99.0, NumberStyle::English), "99.00 m");
        let m = Measurement {
            area_m2: 600.0,
            length_m: 100.0,
        };
        assert_eq!(
            format_measurement(&m, NumberStyle::Vietnamese),
            "Diện tích: 600,00 m² (0,0600 ha) · Chu vi: 100,00 m"
        );
    }
}
