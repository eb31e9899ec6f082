//! Where data lies on the Earth, and which map CRS fits it: a workspace
//! outside the default zone's area of use opens in a CRS that covers it.

use geo_types::{Coord, Rect};

use super::{Crs, Transformer, WGS84};

/// How far (degrees) data may reach beyond a CRS's area of use and still
/// be shown in it: a 3° zone is still good at its neighbour's edge.
pub const AREA_MARGIN_DEG: f64 = 1.0;

/// A box in `crs` as a box of WGS 84 degrees (x longitude, y latitude),
/// through a 5 x 5 grid of points, so a curved edge still lies inside.
/// None for an undefined CRS or when no point of the box transforms.
pub fn lonlat_box(crs: &Crs, bbox: Rect<f64>) -> Option<Rect<f64>> {
    if !crs.is_defined() {
        return None;
    }
    let t = Transformer::between(crs, &Crs::Epsg(WGS84)).ok()?;
    let mut out: Option<Rect<f64>> = None;
    for i in 0..5 {
        for j in 0..5 {
            let c = Coord {
                x: bbox.min().x + bbox.width() * f64::from(i) / 4.0,
                y: bbox.min().y + bbox.height() * f64::from(j) / 4.0,
            };
            let Ok(p) = t.transform(c) else { continue };
            out = Some(crate::gpkg::geom::union(out, Rect::new(p, p)));
        }
    }
    out
}

/// Whether `area` (west, south, east, north; west > east across the
/// antimeridian, so not a box) grown by `margin` degrees holds the box
/// `lonlat`.
pub fn covers(area: [f64; 4], lonlat: Rect<f64>, margin: f64) -> bool {
    let [w, s, mut e, n] = area;
    if lonlat.min().y < s - margin || lonlat.max().y > n + margin {
        return false;
    }
    let (mut a, mut b) = (lonlat.min().x, lonlat.max().x);
    if w > e {
        // Unwrap the area to [w, e + 360] and the box along with it.
        e += 360.0;
        if a < w - margin {
            a += 360.0;
            b += 360.0;
        }
    }
    a >= w - margin && b <= e + margin
}

/// Whether data in `lonlat` lies within `crs`'s area of use (margin
/// included). A CRS without a known area is given the benefit of the doubt.
pub fn fits(crs: &Crs, lonlat: Rect<f64>) -> bool {
    match crs.facts() {
        Some(f) => f
            .area_of_use
            .is_none_or(|area| covers(area, lonlat, AREA_MARGIN_DEG)),
        None => !crs.is_defined(),
    }
}

/// A layer as the choice of map CRS sees it.
#[derive(Debug, Clone)]
pub struct LayerPlace {
    pub crs: Crs,
    /// The layer's box in its CRS; None when empty.
    pub extent: Option<Rect<f64>>,
    pub features: u64,
}

/// The map CRS for a workspace: `preferred` (the province's zone) when
/// every layer with a CRS lies within its area of use; else the CRS of the
/// largest layer that covers all of them; else WGS 84. When no layer has a
/// CRS, the map has none either (each layer is drawn in its own units).
pub fn choose_map_crs(preferred: &Crs, layers: &[LayerPlace]) -> Crs {
    let defined: Vec<&LayerPlace> = layers.iter().filter(|l| l.crs.is_defined()).collect();
    if defined.is_empty() {
        return match layers.first() {
            Some(l) => l.crs.clone(),
            None => preferred.clone(),
        };
    }
    let Some(all) = defined
        .iter()
        .filter_map(|l| lonlat_box(&l.crs, l.extent?))
        .reduce(|a, b| crate::gpkg::geom::union(Some(a), b))
    else {
        return preferred.clone();
    };
    if preferred.is_defined() && fits(preferred, all) {
        return preferred.clone();
    }
    let mut by_size = defined.clone();
    by_size.sort_by_key(|l| std::cmp::Reverse(l.features));
    by_size
        .iter()
        .map(|l| &l.crs)
        .find(|c| fits(c, all))
        .cloned()
        .unwrap_or(Crs::Epsg(WGS84))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_across_the_antimeridian_cover_both_sides() {
        // NAD83 (EPSG:4269): 167.65 E to 40.73 W.
        let nad83 = [167.65, 14.92, -40.73, 86.45];
        assert!(covers(nad83, Rect::new((-125.0, 25.0), (-67.0, 49.0)), 0.0));
        assert!(covers(nad83, Rect::new((170.0, 50.0), (175.0, 55.0)), 0.0));
        assert!(!covers(nad83, Rect::new((100.0, 20.0), (108.0, 22.0)), 0.0));
    }

    #[test]
    fn the_province_keeps_its_zone_and_the_world_gets_its_own_crs() {
        let zone = Crs::Epsg(9214);
        let province = LayerPlace {
            crs: Crs::Epsg(4326),
            extent: Some(Rect::new((105.9, 21.1), (107.0, 21.6))),
            features: 10,
        };
        assert_eq!(choose_map_crs(&zone, &[province]), zone);
        let world = LayerPlace {
            crs: Crs::Epsg(3857),
            extent: Some(Rect::new((-2.0e7, -1.5e7), (2.0e7, 1.8e7))),
            features: 5,
        };
        assert_eq!(choose_map_crs(&zone, &[world]), Crs::Epsg(3857));
        let us = LayerPlace {
            crs: Crs::Epsg(4269),
            extent: Some(Rect::new((-124.0, 25.0), (-67.0, 49.0))),
            features: 5,
        };
        assert_eq!(choose_map_crs(&zone, &[us]), Crs::Epsg(4269));
        let undefined = LayerPlace {
            crs: Crs::Undefined { geographic: false },
            extent: Some(Rect::new((0.0, 0.0), (10.0, 10.0))),
            features: 5,
        };
        assert_eq!(
            choose_map_crs(&zone, std::slice::from_ref(&undefined)),
            undefined.crs
        );
    }
}
