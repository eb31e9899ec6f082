//! What a printed map is made of (the sheet, the map's extent and scale,
//! the title, the layers and their styles, the source line) and where each
//! part goes on the sheet.

use std::path::PathBuf;

use geo_types::Rect;

use crate::crs::Crs;
use crate::render::LayerStyle;

use super::page::Mm;
use super::paper::{Orientation, Paper};

/// Everything that decides a printed map. Plain data, so the window can
/// keep one per print panel and hand it to a background job.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The workspace GeoPackage the map is read from.
    pub workspace: PathBuf,
    pub paper: Paper,
    pub orientation: Orientation,
    /// None: the paper's default margin.
    pub margin_mm: Option<f64>,
    /// None: "Bản đồ hiện trạng sử dụng đất" and the commune the map is
    /// centred on, read from the commune boundaries.
    pub title: Option<String>,
    /// The area to show, in the map CRS; None: all the layers. The map
    /// shows at least this area, centred, at a round scale.
    pub extent: Option<Rect<f64>>,
    /// The scale's denominator; None: the round scale that fits the extent.
    pub scale: Option<f64>,
    /// The layers to draw, bottom first; None: every layer in the
    /// workspace's draw order.
    pub layers: Option<Vec<String>>,
    /// Styles to use instead of the layers' stored or default ones (the
    /// window's current styles), by layer name.
    pub styles: Vec<(String, LayerStyle)>,
    /// None: the province's zone (VN-2000 / TM-3 107°) when the data lies
    /// in it, else a CRS that fits the data (as the window chooses).
    pub map_crs: Option<Crs>,
    /// The source line; None: the workspace's file name.
    pub source: Option<String>,
    /// The date printed; None: today (UTC), dd/mm/yyyy.
    pub date: Option<String>,
    /// Resolution of the PNG back end.
    pub dpi: f64,
    /// Detail finer than this (millimetres on paper) is simplified away.
    pub simplify_mm: f64,
}

impl Layout {
    pub fn new(workspace: impl Into<PathBuf>) -> Self {
        Layout {
            workspace: workspace.into(),
            paper: Paper::A4,
            orientation: Orientation::Portrait,
            margin_mm: None,
            title: None,
            extent: None,
            scale: None,
            layers: None,
            styles: Vec::new(),
            map_crs: None,
            source: None,
            date: None,
            dpi: 300.0,
            simplify_mm: 0.05,
        }
    }

    pub fn size_mm(&self) -> (f64, f64) {
        self.paper.size_mm(self.orientation)
    }
}

/// A box on the sheet, millimetres, y down.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub min: Mm,
    pub max: Mm,
}

impl Area {
    pub fn new(x0: f64, y0: f64, x1: f64, y1: f64) -> Self {
        Area {
            min: [x0, y0],
            max: [x1, y1],
        }
    }
    pub fn width(&self) -> f64 {
        self.max[0] - self.min[0]
    }
    pub fn height(&self) -> f64 {
        self.max[1] - self.min[1]
    }
    pub fn inset(&self, d: f64) -> Area {
        Area::new(
            self.min[0] + d,
            self.min[1] + d,
            self.max[0] - d,
            self.max[1] - d,
        )
    }
    pub fn contains(&self, p: Mm) -> bool {
        (self.min[0]..=self.max[0]).contains(&p[0]) && (self.min[1]..=self.max[1]).contains(&p[1])
    }
}

/// Where the parts of the map go on the sheet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sheet {
    pub width: f64,
    pub height: f64,
    /// The outer border.
    pub neatline: Area,
    pub title: Area,
    /// The map itself; its grid labels go in the band around it.
    pub map: Area,
    pub legend: Area,
    /// North arrow, scale and scale bar, source and date.
    pub info: Area,
    /// The sheet's growth over A4 (see [`Paper::growth`]): every size of
    /// text and furniture is a multiple of it.
    pub unit: f64,
}

/// Lays the sheet out: the title across the top; the map with a band for
/// its grid labels; the legend and information block below the map on a
/// portrait sheet, in a column to its right on a landscape one.
pub fn sheet(paper: Paper, orientation: Orientation, margin_mm: Option<f64>) -> Sheet {
    let (width, height) = paper.size_mm(orientation);
    let u = paper.growth();
    let m = margin_mm.unwrap_or_else(|| paper.default_margin_mm());
    let neatline = Area::new(m, m, width - m, height - m);
    let title = Area::new(m, m, width - m, m + 16.0 * u);
    let body = Area::new(m, title.max[1], width - m, height - m);
    let band = 8.0 * u;
    let (map_box, panel) = match orientation {
        Orientation::Portrait => {
            let panel_h = (body.height() * 0.27).max(55.0 * u);
            let split = body.max[1] - panel_h;
            (
                Area::new(body.min[0], body.min[1], body.max[0], split),
                Area::new(body.min[0], split, body.max[0], body.max[1]),
            )
        }
        Orientation::Landscape => {
            let panel_w = (body.width() * 0.27).max(62.0 * u);
            let split = body.max[0] - panel_w;
            (
                Area::new(body.min[0], body.min[1], split, body.max[1]),
                Area::new(split, body.min[1], body.max[0], body.max[1]),
            )
        }
    };
    let pad = 3.0 * u;
    let panel = panel.inset(pad);
    let (legend, info) = match orientation {
        Orientation::Portrait => {
            let split = panel.min[0] + panel.width() * 0.6;
            (
                Area::new(panel.min[0], panel.min[1], split - pad, panel.max[1]),
                Area::new(split + pad, panel.min[1], panel.max[0], panel.max[1]),
            )
        }
        Orientation::Landscape => {
            let info_h = 62.0 * u;
            let split = panel.max[1] - info_h;
            (
                Area::new(panel.min[0], panel.min[1], panel.max[0], split - pad),
                Area::new(panel.min[0], split + pad, panel.max[0], panel.max[1]),
            )
        }
    };
    Sheet {
        width,
        height,
        neatline,
        title,
        map: map_box.inset(band),
        legend,
        info,
        unit: u,
    }
}

/// The first round number (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 7.5 × 10ⁿ) at
/// or above `x`: scales people recognise (1:25 000, 1:50 000), close
/// enough together that the map fills most of its frame.
pub fn round_scale(x: f64) -> f64 {
    let e = 10f64.powf(x.log10().floor());
    for m in [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5, 10.0] {
        if m * e >= x * (1.0 - 1e-9) {
            return m * e;
        }
    }
    10.0 * e
}

/// The first 1, 2 or 5 × 10ⁿ at or above `x` (grid intervals).
pub fn nice_step(x: f64) -> f64 {
    let e = 10f64.powf(x.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * e >= x * (1.0 - 1e-9) {
            return m * e;
        }
    }
    10.0 * e
}

/// The largest 1, 2 or 5 × 10ⁿ at or below `x` (scale bar lengths).
pub fn nice_below(x: f64) -> f64 {
    let e = 10f64.powf(x.log10().floor());
    for m in [5.0, 2.0, 1.0] {
        if m * e <= x * (1.0 + 1e-9) {
            return m * e;
        }
    }
    e
}

/// "25 000": a number with spaces between groups of three digits, as
/// Vietnamese maps write scales.
pub fn grouped(n: f64) -> String {
    let digits = format!("{}", n.round() as i64);
    let (sign, digits) = digits
        .strip_prefix('-')
        .map_or(("", digits.as_str()), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

/// Today's date (UTC) as dd/mm/yyyy.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    format!("{d:02}/{m:02}/{y}")
}

/// The proleptic Gregorian date of a day count since 1970-01-01
/// (Howard Hinnant's days-to-civil algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_numbers() {
        assert_eq!(round_scale(21_000.0), 25_000.0);
        assert_eq!(round_scale(25_000.0), 25_000.0);
        assert_eq!(round_scale(26_000.0), 30_000.0);
        assert_eq!(round_scale(53_000.0), 60_000.0);
        assert_eq!(round_scale(130_000.0), 150_000.0);
        assert_eq!(nice_step(1_300.0), 2_000.0);
        assert_eq!(nice_below(1_300.0), 1_000.0);
        assert_eq!(nice_below(4_999.0), 2_000.0);
        assert_eq!(grouped(2_355_000.0), "2 355 000");
        assert_eq!(grouped(500.0), "500");
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_789), (2026, 12, 2));
    }

    #[test]
    fn parts_of_the_sheet_do_not_overlap() {
        for paper in Paper::ALL {
            for o in [Orientation::Portrait, Orientation::Landscape] {
                let s = sheet(paper, o, None);
                for a in [s.title, s.map, s.legend, s.info] {
                    assert!(a.width() > 0.0 && a.height() > 0.0, "{paper} {o:?} {a:?}");
                    assert!(s.neatline.contains(a.min) && s.neatline.contains(a.max));
                }
                let apart = |a: Area, b: Area| {
                    a.max[0] <= b.min[0]
                        || b.max[0] <= a.min[0]
                        || a.max[1] <= b.min[1]
                        || b.max[1] <= a.min[1]
                };
                assert!(apart(s.map, s.legend) && apart(s.map, s.info) && apart(s.legend, s.info));
                assert!(apart(s.title, s.map));
            }
        }
    }
}
