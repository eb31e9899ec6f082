//! Map labels: which field labels a layer, where in a feature its label
//! goes, and which labels are drawn in a view. Placement is greedy in
//! screen space, top layer first and areas before points, so labels never
//! pile up; the window (egui text) and offscreen renders (`text`) measure
//! and draw the text their own way but place it by the same rules.

use geo_types::Geometry;

use crate::gpkg::LayerInfo;

/// Fields that label a layer unless the user picks another: lot codes,
/// place names, parcel numbers.
const LABEL_FIELDS: [&str; 5] = ["ky_hieu_o", "ten_thon", "ten_xa", "ten_huyen", "so_thua"];

/// Point features are labelled from this scale on (metres per pixel).
pub const POINT_LABEL_MAX_RESOLUTION: f64 = 15.0;
/// An area's label is drawn only if the area is at least this share of
/// the label's width on screen.
const AREA_FIT: f32 = 0.8;
/// No label fits an area narrower than this (pixels).
const MIN_AREA_LABEL_PX: f32 = 8.0;
/// Free space kept around each label (pixels).
const LABEL_MARGIN: f32 = 2.0;
/// At most this many labels in one view.
const BUDGET: usize = 2000;

pub fn default_label_field(info: &LayerInfo) -> Option<String> {
    LABEL_FIELDS
        .iter()
        .find(|f| info.schema.field_index(f).is_some())
        .map(|f| f.to_string())
}

/// One feature's label, in map coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelSource {
    /// The feature it labels: an edit replaces the labels of its features.
    pub fid: i64,
    pub text: String,
    pub at: [f64; 2],
    /// Width of the feature's envelope in map units (0 for points).
    pub width: f64,
    /// Areas carry their label inside; points and lines beside.
    pub area: bool,
}

impl LabelSource {
    /// The label of a feature (in the map CRS), if it has text and a
    /// place for it.
    pub fn of(fid: i64, text: String, g: &Geometry<f64>) -> Option<Self> {
        Self::within(fid, text, g, crate::gpkg::geom::bounds(g)?)
    }

    /// The same, for a feature whose bounds are known already.
    pub fn within(
        fid: i64,
        text: String,
        g: &Geometry<f64>,
        bounds: geo_types::Rect<f64>,
    ) -> Option<Self> {
        if text.is_empty() {
            return None;
        }
        let area = matches!(g, Geometry::Polygon(_) | Geometry::MultiPolygon(_));
        Some(LabelSource {
            fid,
            text,
            at: point_within(g, bounds)?,
            width: if area { bounds.width() } else { 0.0 },
            area,
        })
    }
}

/// A layer's labels with a grid over them, so that placing the labels of
/// a view looks only at those in it: a million parcel numbers cost
/// microseconds per frame at street scale instead of milliseconds.
///
/// An edit patches the labels of the features it touched ([`LabelSet::patch`]):
/// a removed label leaves an empty slot (no text, in no cell), so the
/// other labels keep their places and order.
#[derive(Debug, Clone, Default)]
pub struct LabelSet {
    /// In reading order; a slot with no text is a removed label.
    labels: Vec<LabelSource>,
    /// Labels with text.
    live: usize,
    /// Whether the slots are in increasing fid order (as a layer is read),
    /// so a fid's slot is found by binary search.
    sorted: bool,
    /// `[minx, miny, maxx, maxy]` of the label points.
    extent: [f64; 4],
    /// Cells per side.
    side: usize,
    /// Per cell, row by row, the indexes of its labels in order.
    cells: Vec<Vec<u32>>,
    /// The widest area's width: no area label fits below a scale.
    widest_area: f64,
    /// Whether any label is of a point or line (placed in the second pass).
    has_points: bool,
}

/// Labels per grid cell aimed at.
const LABELS_PER_CELL: usize = 64;

impl LabelSet {
    pub fn new(labels: Vec<LabelSource>) -> Self {
        let extent = labels.iter().fold(
            [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
            |e, l| {
                [
                    e[0].min(l.at[0]),
                    e[1].min(l.at[1]),
                    e[2].max(l.at[0]),
                    e[3].max(l.at[1]),
                ]
            },
        );
        let side = ((labels.len() / LABELS_PER_CELL) as f64)
            .sqrt()
            .ceil()
            .clamp(1.0, 512.0) as usize;
        let mut set = LabelSet {
            live: labels.len(),
            sorted: labels.windows(2).all(|w| w[0].fid < w[1].fid),
            has_points: labels.iter().any(|l| !l.area),
            widest_area: labels
                .iter()
                .filter(|l| l.area)
                .map(|l| l.width)
                .fold(0.0, f64::max),
            labels,
            extent,
            side,
            cells: vec![Vec::new(); side * side],
        };
        for (i, l) in set.labels.iter().enumerate() {
            let (cx, cy) = set.cell(l.at);
            set.cells[cy * side + cx].push(i as u32);
        }
        set
    }

    /// How many labels there are (removed ones not counted).
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The `i`th label in reading order (removed ones not counted).
    pub fn get(&self, i: usize) -> Option<&LabelSource> {
        self.iter().nth(i)
    }

    /// The labels, in reading order.
    pub fn iter(&self) -> impl Iterator<Item = &LabelSource> {
        self.labels.iter().filter(|l| !l.text.is_empty())
    }

    /// The label of feature `fid`, if it has one.
    pub fn of_fid(&self, fid: i64) -> Option<&LabelSource> {
        self.slot_of(fid)
            .map(|k| &self.labels[k])
            .filter(|l| !l.text.is_empty())
    }

    /// Where feature `fid`'s label is or was.
    fn slot_of(&self, fid: i64) -> Option<usize> {
        if self.sorted {
            self.labels.binary_search_by_key(&fid, |l| l.fid).ok()
        } else {
            self.labels.iter().position(|l| l.fid == fid)
        }
    }

    /// Applies an edit: the labels of `removed` fids go and `added` ones
    /// (new or changed features) come in, a changed feature's in its old
    /// slot; only their grid cells change. A label beyond the grid (or a
    /// set that had none) builds the set again, from the labels it holds.
    pub fn patch(&mut self, removed: &[i64], added: Vec<LabelSource>) {
        let e = self.extent;
        let on_grid = |l: &LabelSource| {
            l.at[0] >= e[0] && l.at[0] <= e[2] && l.at[1] >= e[1] && l.at[1] <= e[3]
        };
        if self.cells.is_empty() || !added.iter().all(on_grid) {
            let replaced = |fid: i64| removed.contains(&fid) || added.iter().any(|l| l.fid == fid);
            let mut all: Vec<LabelSource> = std::mem::take(&mut self.labels)
                .into_iter()
                .filter(|l| !l.text.is_empty() && !replaced(l.fid))
                .collect();
            all.extend(added);
            all.sort_by_key(|l| l.fid);
            *self = LabelSet::new(all);
            return;
        }
        for &fid in removed {
            if let Some(k) = self.slot_of(fid) {
                self.unlink(k);
            }
        }
        for label in added {
            let k = match self.slot_of(label.fid) {
                Some(k) => {
                    self.unlink(k);
                    self.labels[k] = label;
                    k
                }
                None => {
                    self.sorted &= self.labels.last().is_none_or(|l| l.fid < label.fid);
                    self.labels.push(label);
                    self.labels.len() - 1
                }
            };
            let l = &self.labels[k];
            self.has_points |= !l.area;
            if l.area {
                self.widest_area = self.widest_area.max(l.width);
            }
            let (cx, cy) = self.cell(l.at);
            self.cells[cy * self.side + cx].push(k as u32);
            self.live += 1;
        }
    }

    /// Takes slot `k`'s label out of its cell and leaves the slot empty.
    fn unlink(&mut self, k: usize) {
        if self.labels[k].text.is_empty() {
            return;
        }
        let (cx, cy) = self.cell(self.labels[k].at);
        self.cells[cy * self.side + cx].retain(|&i| i as usize != k);
        self.labels[k].text = String::new();
        self.live -= 1;
    }

    fn cell(&self, p: [f64; 2]) -> (usize, usize) {
        let e = self.extent;
        let at = |v: f64, lo: f64, hi: f64| {
            let t = (v - lo) / (hi - lo).max(1e-9);
            ((t * self.side as f64).floor().max(0.0) as usize).min(self.side - 1)
        };
        (at(p[0], e[0], e[2]), at(p[1], e[1], e[3]))
    }

    /// The labels whose point may lie in `b` (`[minx, miny, maxx, maxy]`),
    /// in their original order.
    fn in_box(&self, b: [f64; 4]) -> Vec<&LabelSource> {
        let e = self.extent;
        if self.labels.is_empty() || b[2] < e[0] || b[0] > e[2] || b[3] < e[1] || b[1] > e[3] {
            return Vec::new();
        }
        let (x0, y0) = self.cell([b[0], b[1]]);
        let (x1, y1) = self.cell([b[2], b[3]]);
        let mut found: Vec<u32> = (y0..=y1)
            .flat_map(|y| {
                (x0..=x1).flat_map(move |x| self.cells[y * self.side + x].iter().copied())
            })
            .collect();
        found.sort_unstable();
        found.iter().map(|&i| &self.labels[i as usize]).collect()
    }
}

/// A good point for a feature's label (within bounds `b`): the middle of
/// a line, a point inside an area.
fn point_within(g: &Geometry<f64>, b: geo_types::Rect<f64>) -> Option<[f64; 2]> {
    use geo::{Euclidean, InteriorPoint, InterpolatableLine};
    match g {
        Geometry::LineString(l) => l
            .point_at_ratio_from_start(&Euclidean, 0.5)
            .map(|p| [p.x(), p.y()]),
        // The envelope's centre when it is inside (most parcels and lots):
        // a crossing test is far cheaper than the general interior point,
        // and this runs for every parcel of the province.
        Geometry::Polygon(_) | Geometry::MultiPolygon(_) => {
            let centre = [b.center().x, b.center().y];
            let polygons: &[geo_types::Polygon<f64>] = match g {
                Geometry::Polygon(p) => std::slice::from_ref(p),
                Geometry::MultiPolygon(m) => &m.0,
                _ => unreachable!(),
            };
            if polygons.iter().any(|p| inside(p, centre)) {
                Some(centre)
            } else {
                g.interior_point().map(|p| [p.x(), p.y()])
            }
        }
        other => other.interior_point().map(|p| [p.x(), p.y()]),
    }
}

/// Whether a point is inside a polygon (even-odd rule over all rings, so
/// a hole's inside is outside).
fn inside(polygon: &geo_types::Polygon<f64>, p: [f64; 2]) -> bool {
    let mut odd = false;
    for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
        for w in ring.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            if (a.y > p[1]) != (b.y > p[1]) && p[0] < a.x + (p[1] - a.y) * (b.x - a.x) / (b.y - a.y)
            {
                odd = !odd;
            }
        }
    }
    odd
}

/// A label that fits: where its text's top-left corner goes, in pixels
/// from the image's top-left, and the text's size.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed<'a> {
    pub text: &'a str,
    pub top_left: [f32; 2],
    pub size: [f32; 2],
}

/// The screen a view shows: map point at the centre, map units per pixel,
/// size in pixels.
#[derive(Debug, Clone, Copy)]
pub struct Screen {
    pub centre: [f64; 2],
    pub resolution: f64,
    pub size: [f32; 2],
}

impl Screen {
    fn to_pixel(self, p: [f64; 2]) -> [f32; 2] {
        [
            self.size[0] / 2.0 + ((p[0] - self.centre[0]) / self.resolution) as f32,
            self.size[1] / 2.0 - ((p[1] - self.centre[1]) / self.resolution) as f32,
        ]
    }
}

/// Chooses the labels to draw: layers top first, all areas before any
/// point, each label only where it is inside the screen and clear of those
/// already placed. `measure` gives a text's size in pixels.
pub fn place<'a>(
    layers_top_first: &[&'a LabelSet],
    screen: Screen,
    mut measure: impl FnMut(&str) -> [f32; 2],
) -> Vec<Placed<'a>> {
    let mut placed: Vec<Placed<'a>> = Vec::new();
    let mut taken: Vec<[f32; 4]> = Vec::new();
    let half = [
        f64::from(screen.size[0]) / 2.0 * screen.resolution,
        f64::from(screen.size[1]) / 2.0 * screen.resolution,
    ];
    let view = [
        screen.centre[0] - half[0],
        screen.centre[1] - half[1],
        screen.centre[0] + half[0],
        screen.centre[1] + half[1],
    ];
    for areas in [true, false] {
        if !areas && screen.resolution > POINT_LABEL_MAX_RESOLUTION {
            continue;
        }
        let candidates = layers_top_first.iter().flat_map(|set| {
            // Zoomed out past the point where the widest area of the layer
            // could carry a label: none of its areas is looked at; nor are
            // a layer of areas' labels in the points' pass.
            let hopeless = if areas {
                ((set.widest_area / screen.resolution) as f32) < MIN_AREA_LABEL_PX
            } else {
                !set.has_points
            };
            if hopeless {
                Vec::new()
            } else {
                set.in_box(view)
            }
        });
        for label in candidates.filter(|l| l.area == areas) {
            let p = screen.to_pixel(label.at);
            if p[0] < 0.0 || p[1] < 0.0 || p[0] > screen.size[0] || p[1] > screen.size[1] {
                continue;
            }
            // Most parcels at a province view: far too small for any text,
            // known before the text is measured.
            let width_px = (label.width / screen.resolution) as f32;
            if areas && width_px < MIN_AREA_LABEL_PX {
                continue;
            }
            let size = measure(&label.text);
            if areas && width_px < size[0] * AREA_FIT {
                continue;
            }
            let top_left = if areas {
                [p[0] - size[0] / 2.0, p[1] - size[1] / 2.0]
            } else {
                [p[0] + 5.0, p[1] - size[1] / 2.0]
            };
            let m = LABEL_MARGIN;
            let r = [
                top_left[0] - m,
                top_left[1] - m,
                top_left[0] + size[0] + m,
                top_left[1] + size[1] + m,
            ];
            let inside =
                r[0] >= 0.0 && r[1] >= 0.0 && r[2] <= screen.size[0] && r[3] <= screen.size[1];
            let clear = || {
                !taken
                    .iter()
                    .any(|t| r[0] < t[2] && t[0] < r[2] && r[1] < t[3] && t[1] < r[3])
            };
            if !inside || !clear() {
                continue;
            }
            taken.push(r);
            placed.push(Placed {
                text: &label.text,
                top_left,
                size,
            });
            if placed.len() == BUDGET {
                return placed;
            }
        }
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(text: &str, x: f64, y: f64) -> LabelSource {
        LabelSource {
            fid: 0,
            text: text.into(),
            at: [x, y],
            width: 0.0,
            area: false,
        }
    }

    fn screen(resolution: f64) -> Screen {
        Screen {
            centre: [0.0, 0.0],
            resolution,
            size: [200.0, 100.0],
        }
    }

    /// Every character 7 px wide, 12 px high.
    fn measure(t: &str) -> [f32; 2] {
        [7.0 * t.chars().count() as f32, 12.0]
    }

    #[test]
    fn overlapping_labels_give_way_to_the_layer_above() {
        let top = LabelSet::new(vec![point("Thôn Đông", 0.0, 0.0)]);
        let below = LabelSet::new(vec![point("Thôn Tây", 1.0, 1.0), point("Xa", 0.0, -40.0)]);
        let placed = place(&[&top, &below], screen(1.0), measure);
        let texts: Vec<&str> = placed.iter().map(|p| p.text).collect();
        assert_eq!(texts, ["Thôn Đông", "Xa"]);
        // Beside the point: 5 px right of it, centred vertically.
        assert_eq!(placed[0].top_left, [105.0, 44.0]);
    }

    #[test]
    fn areas_need_room_and_points_wait_for_a_close_scale() {
        let narrow = LabelSource {
            fid: 1,
            text: "1234".into(),
            at: [0.0, 0.0],
            width: 20.0,
            area: true,
        };
        let wide = LabelSource {
            width: 40.0,
            ..narrow.clone()
        };
        assert!(place(&[&LabelSet::new(vec![narrow])], screen(1.0), measure).is_empty());
        assert_eq!(
            place(&[&LabelSet::new(vec![wide])], screen(1.0), measure).len(),
            1
        );
        let village = LabelSet::new(vec![point("Thôn", 0.0, 0.0)]);
        assert!(
            place(
                &[&village],
                screen(POINT_LABEL_MAX_RESOLUTION * 2.0),
                measure
            )
            .is_empty()
        );
    }

    #[test]
    fn the_grid_finds_the_labels_in_view_in_their_order() {
        let labels: Vec<LabelSource> = (0..10_000)
            .map(|i| {
                point(
                    &i.to_string(),
                    f64::from(i % 100) * 10.0,
                    f64::from(i / 100) * 10.0,
                )
            })
            .collect();
        let set = LabelSet::new(labels.clone());
        assert!(set.side > 1);
        let b = [195.0, 395.0, 305.0, 505.0];
        let expected: Vec<&LabelSource> = labels
            .iter()
            .filter(|l| l.at[0] >= b[0] && l.at[0] <= b[2] && l.at[1] >= b[1] && l.at[1] <= b[3])
            .collect();
        let found: Vec<&LabelSource> = set
            .in_box(b)
            .into_iter()
            .filter(|l| l.at[0] >= b[0] && l.at[0] <= b[2] && l.at[1] >= b[1] && l.at[1] <= b[3])
            .collect();
        assert_eq!(found, expected);
        assert!(set.in_box(b).len() < 1000, "only nearby cells are read");
        assert!(set.in_box([5000.0, 5000.0, 6000.0, 6000.0]).is_empty());
    }

    #[test]
    fn an_area_label_sits_inside_even_when_the_centre_is_in_a_hole_or_a_notch() {
        use geo::Contains;
        let square = |x0: f64, y0: f64, s: f64| {
            geo_types::LineString::from(vec![
                (x0, y0),
                (x0 + s, y0),
                (x0 + s, y0 + s),
                (x0, y0 + s),
                (x0, y0),
            ])
        };
        let holed = geo_types::Polygon::new(square(0.0, 0.0, 10.0), vec![square(4.0, 4.0, 2.0)]);
        let u_shape = geo_types::Polygon::new(
            geo_types::LineString::from(vec![
                (0.0, 0.0),
                (9.0, 0.0),
                (9.0, 9.0),
                (6.0, 9.0),
                (6.0, 3.0),
                (3.0, 3.0),
                (3.0, 9.0),
                (0.0, 9.0),
                (0.0, 0.0),
            ]),
            vec![],
        );
        let plain = geo_types::Polygon::new(square(0.0, 0.0, 10.0), vec![]);
        let label_point = |g: Geometry<f64>| LabelSource::of(1, "x".into(), &g).map(|l| l.at);
        assert_eq!(label_point(Geometry::Polygon(plain)), Some([5.0, 5.0]));
        for p in [holed, u_shape] {
            let at = label_point(Geometry::Polygon(p.clone())).unwrap();
            assert!(p.contains(&geo_types::Point::new(at[0], at[1])), "{at:?}");
        }
    }

    #[test]
    fn a_patch_replaces_removes_and_adds_labels_by_fid_in_their_cells() {
        let labels: Vec<LabelSource> = (0..1000)
            .map(|i| LabelSource {
                fid: i64::from(i) + 1,
                ..point(
                    &i.to_string(),
                    f64::from(i % 40) * 10.0,
                    f64::from(i / 40) * 10.0,
                )
            })
            .collect();
        let mut set = LabelSet::new(labels);
        let moved = LabelSource {
            text: "mới".into(),
            ..set.of_fid(5).unwrap().clone()
        };
        let moved = LabelSource {
            at: [300.0, 200.0],
            ..moved
        };
        let added = LabelSource {
            fid: 2000,
            ..point("thêm", 5.0, 5.0)
        };
        set.patch(&[5, 9], vec![moved.clone(), added.clone()]);
        assert_eq!(set.len(), 1000);
        assert_eq!(set.of_fid(5), Some(&moved));
        assert_eq!(set.of_fid(9), None);
        assert_eq!(set.of_fid(2000), Some(&added));
        assert_eq!(set.get(4), Some(&moved), "a changed label keeps its place");
        let around = |at: [f64; 2]| [at[0] - 1.0, at[1] - 1.0, at[0] + 1.0, at[1] + 1.0];
        let texts = |b| {
            set.in_box(b)
                .iter()
                .map(|l| l.text.clone())
                .collect::<Vec<_>>()
        };
        assert!(texts(around([300.0, 200.0])).contains(&"mới".to_string()));
        assert!(!texts(around([40.0, 0.0])).contains(&"4".to_string()));
        assert!(!texts(around([80.0, 0.0])).contains(&"8".to_string()));
        assert!(texts(around([5.0, 5.0])).contains(&"thêm".to_string()));
        // Beyond the grid: the set is built again, with the same labels.
        let far = LabelSource {
            fid: 3000,
            ..point("xa", 9000.0, 9000.0)
        };
        set.patch(&[], vec![far.clone()]);
        assert_eq!(set.len(), 1001);
        assert_eq!(set.of_fid(3000), Some(&far));
        assert_eq!(set.of_fid(5), Some(&moved));
        assert_eq!(set.in_box(around([9000.0, 9000.0])).len(), 1);
    }

    #[test]
    fn labels_off_the_screen_or_over_its_edge_are_left_out() {
        let labels = LabelSet::new(vec![
            point("Ngoài", 500.0, 0.0),
            point("Mép phải", 95.0, 0.0),
        ]);
        assert!(place(&[&labels], screen(1.0), measure).is_empty());
    }
}
