//! Paper sizes (ISO 216 A series) and orientation.

use std::fmt;
use std::str::FromStr;

/// An ISO 216 A-series sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    A4,
    A3,
    A2,
    A1,
    A0,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Orientation {
    #[default]
    Portrait,
    Landscape,
}

impl Paper {
    pub const ALL: [Paper; 5] = [Paper::A4, Paper::A3, Paper::A2, Paper::A1, Paper::A0];

    /// Width and height in millimetres, portrait.
    pub fn portrait_mm(self) -> (f64, f64) {
        match self {
            Paper::A4 => (210.0, 297.0),
            Paper::A3 => (297.0, 420.0),
            Paper::A2 => (420.0, 594.0),
            Paper::A1 => (594.0, 841.0),
            Paper::A0 => (841.0, 1189.0),
        }
    }

    /// Width and height in millimetres as the sheet is turned.
    pub fn size_mm(self, orientation: Orientation) -> (f64, f64) {
        let (w, h) = self.portrait_mm();
        match orientation {
            Orientation::Portrait => (w, h),
            Orientation::Landscape => (h, w),
        }
    }

    /// How much bigger than A4 the sheet is along a side (A3: √2, A0: 4):
    /// text, lines and furniture grow with it so a sheet looks the same
    /// from its own viewing distance.
    pub fn growth(self) -> f64 {
        self.portrait_mm().0 / 210.0
    }

    /// The margin a sheet gets unless one is given.
    pub fn default_margin_mm(self) -> f64 {
        (10.0 * self.growth().sqrt()).round()
    }
}

impl fmt::Display for Paper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl FromStr for Paper {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Paper::ALL
            .into_iter()
            .find(|p| p.to_string().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown paper '{s}': A4, A3, A2, A1 or A0"))
    }
}

/// Pixels for `mm` at `dpi`, rounded (A4 at 300 dpi: 2480 × 3508).
pub fn pixels(mm: f64, dpi: f64) -> u32 {
    (mm / 25.4 * dpi).round().max(1.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a4_at_300_dpi_is_2480_by_3508() {
        let (w, h) = Paper::A4.size_mm(Orientation::Portrait);
        assert_eq!((pixels(w, 300.0), pixels(h, 300.0)), (2480, 3508));
        assert_eq!(Paper::A0.size_mm(Orientation::Landscape), (1189.0, 841.0));
        assert_eq!("a3".parse::<Paper>(), Ok(Paper::A3));
        assert!("B5".parse::<Paper>().is_err());
    }
}
