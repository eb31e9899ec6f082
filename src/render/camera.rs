//! What part of the map an image shows, and how map coordinates become
//! pixels. All of it in f64: only offsets relative to a chunk's origin are
//! ever narrowed to f32 (see [`View::offset`]).

use geo_types::Rect;

/// A view: the map point at the image centre, the map units per pixel and
/// the image size in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    pub centre: [f64; 2],
    /// Map units (metres) per pixel.
    pub resolution: f64,
    pub width: u32,
    pub height: u32,
}

impl View {
    /// The view that shows all of `bbox`, centred, with square pixels.
    pub fn fit(bbox: Rect<f64>, width: u32, height: u32) -> View {
        let (w, h) = (bbox.width(), bbox.height());
        let resolution = (w / f64::from(width.max(1)))
            .max(h / f64::from(height.max(1)))
            .max(1e-9);
        View {
            centre: [bbox.center().x, bbox.center().y],
            resolution,
            width,
            height,
        }
    }

    /// The map area in the image.
    pub fn bounds(&self) -> Rect<f64> {
        let hw = f64::from(self.width) * self.resolution / 2.0;
        let hh = f64::from(self.height) * self.resolution / 2.0;
        Rect::new(
            (self.centre[0] - hw, self.centre[1] - hh),
            (self.centre[0] + hw, self.centre[1] + hh),
        )
    }

    /// Image coordinates of a map point: x right, y down, (0, 0) the
    /// top-left corner of the image, pixel (i, j) spanning [i, i+1) x [j, j+1).
    pub fn to_pixel(&self, p: [f64; 2]) -> [f64; 2] {
        [
            f64::from(self.width) / 2.0 + (p[0] - self.centre[0]) / self.resolution,
            f64::from(self.height) / 2.0 - (p[1] - self.centre[1]) / self.resolution,
        ]
    }

    /// The map point at image coordinates `px` (the inverse of `to_pixel`).
    pub fn to_map(&self, px: [f64; 2]) -> [f64; 2] {
        [
            self.centre[0] + (px[0] - f64::from(self.width) / 2.0) * self.resolution,
            self.centre[1] - (px[1] - f64::from(self.height) / 2.0) * self.resolution,
        ]
    }

    /// The vector from the view centre to `origin`, in map units. Computed
    /// in f64 and only then narrowed: near the view it is small and exact,
    /// far away its error is far below a pixel.
    pub fn offset(&self, origin: [f64; 2]) -> [f32; 2] {
        [
            (origin[0] - self.centre[0]) as f32,
            (origin[1] - self.centre[1]) as f32,
        ]
    }

    /// Whether `bbox` meets the view grown by `margin_px` on each side
    /// (for line widths and symbols reaching beyond their coordinates).
    pub fn meets(&self, bbox: Rect<f64>, margin_px: f64) -> bool {
        let (lo, hi) = (self.bounds().min(), self.bounds().max());
        let m = margin_px * self.resolution;
        bbox.min().x <= hi.x + m
            && bbox.max().x >= lo.x - m
            && bbox.min().y <= hi.y + m
            && bbox.max().y >= lo.y - m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixels_and_map_points_round_trip() {
        let b = Rect::new((400_000.0, 2_350_000.0), (402_000.0, 2_351_500.0));
        let v = View::fit(b, 2000, 1500);
        assert_eq!(v.resolution, 1.0);
        assert_eq!(v.to_pixel([400_000.0, 2_351_500.0]), [0.0, 0.0]);
        assert_eq!(v.to_pixel([402_000.0, 2_350_000.0]), [2000.0, 1500.0]);
        let p = v.to_map([123.5, 456.25]);
        let back = v.to_pixel(p);
        assert!((back[0] - 123.5).abs() < 1e-9 && (back[1] - 456.25).abs() < 1e-9);
        assert_eq!(v.bounds(), b);
    }

    #[test]
    fn culling_respects_the_margin() {
        let v = View::fit(Rect::new((0.0, 0.0), (100.0, 100.0)), 100, 100);
        assert!(v.meets(Rect::new((50.0, 50.0), (60.0, 60.0)), 0.0));
        let beyond = Rect::new((103.0, 0.0), (110.0, 10.0));
        assert!(!v.meets(beyond, 2.0));
        assert!(v.meets(beyond, 4.0));
    }
}
