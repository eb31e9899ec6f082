//! Features to GPU-ready data: polygon fills as triangles (earcut, holes
//! and multipolygons included), outlines and lines as segments that the
//! line shader widens on screen, points as symbol instances, and one dot
//! per polygon or line for when it is smaller than a pixel.
//!
//! Coordinates stay f64 until here; a chunk stores them as f32 offsets from
//! its own origin, so a chunk a few kilometres wide keeps millimetres where
//! absolute VN-2000 coordinates (y ≈ 2,350,000 m) in f32 would be off by
//! a quarter of a metre.
//!
//! Every vertex and instance carries the index of its feature in the chunk
//! ([`Chunk::fids`] maps it to the fid), so the renderer highlights a
//! selection by flags the shader reads, with no geometry built again.

use bytemuck::{Pod, Zeroable};
use geo::TriangulateEarcut;
use geo_types::{Coord, Geometry, LineString, Polygon};

use super::style::Rgba;

/// A fill vertex: position relative to the chunk origin, sRGB colour.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct FillVertex {
    pub pos: [f32; 2],
    pub color: Rgba,
    /// The feature's index in the chunk.
    pub feature: u32,
}

/// A line segment (one instance of the line shader's quad).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct Segment {
    pub a: [f32; 2],
    pub b: [f32; 2],
    pub color: Rgba,
    /// The extent of the feature the segment belongs to, map units: the
    /// shader skips outlines of features too small to show one.
    pub feature_size: f32,
    /// The feature's index in the chunk.
    pub feature: u32,
}

/// A point symbol instance.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct Symbol {
    pub pos: [f32; 2],
    pub color: Rgba,
    /// The feature's index in the chunk.
    pub feature: u32,
}

/// A polygon or line drawn as a single pixel when it is smaller than one.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct Dot {
    pub pos: [f32; 2],
    pub color: Rgba,
    pub feature_size: f32,
    /// The feature's index in the chunk.
    pub feature: u32,
}

/// How one feature is painted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeaturePaint {
    /// Fill of polygons, colour of lines and points.
    pub color: Rgba,
    pub fill: bool,
    /// Polygon outline colour, if outlined.
    pub outline: Option<Rgba>,
}

/// A batch of features drawn together and culled together.
#[derive(Debug, Clone, Default)]
pub struct Chunk {
    pub origin: [f64; 2],
    /// The box of the features; `None` while empty.
    pub bbox: Option<geo_types::Rect<f64>>,
    pub features: u32,
    /// The fid of each feature, by its index in the chunk (the `feature`
    /// of its vertices).
    pub fids: Vec<i64>,
    /// Smallest and largest extent of a polygon or line feature (map
    /// units): whether the chunk needs fills, dots or both at a scale.
    pub min_size: f64,
    pub max_size: f64,
    pub fill_vertices: Vec<FillVertex>,
    pub fill_indices: Vec<u32>,
    pub segments: Vec<Segment>,
    pub symbols: Vec<Symbol>,
    pub dots: Vec<Dot>,
    /// How many leading dots to draw at each level of detail (see
    /// `dot_levels`): one per occupied cell of that level.
    pub dot_levels: Vec<u32>,
    /// The grid cell of the layer the chunk's features lie in (see
    /// `load::Grid`): an edit rebuilds the chunks of its cells only.
    pub cell: u32,
    /// The same for the symbols, for decluttering.
    pub symbol_levels: Vec<u32>,
}

impl Chunk {
    pub fn is_empty(&self) -> bool {
        self.features == 0
    }

    /// Bytes of vertex and index data.
    pub fn gpu_bytes(&self) -> usize {
        self.fill_vertices.len() * size_of::<FillVertex>()
            + self.fill_indices.len() * 4
            + self.segments.len() * size_of::<Segment>()
            + self.symbols.len() * size_of::<Symbol>()
            + self.dots.len() * size_of::<Dot>()
    }
}

/// Builds one chunk feature by feature.
pub struct ChunkBuilder {
    chunk: Chunk,
}

impl ChunkBuilder {
    pub fn new(origin: [f64; 2]) -> Self {
        ChunkBuilder {
            chunk: Chunk {
                origin,
                min_size: f64::INFINITY,
                max_size: 0.0,
                ..Chunk::default()
            },
        }
    }

    pub fn features(&self) -> u32 {
        self.chunk.features
    }

    /// The grid cell the chunk's features are binned in.
    pub fn set_cell(&mut self, cell: u32) {
        self.chunk.cell = cell;
    }

    fn local(&self, c: Coord<f64>) -> [f32; 2] {
        [
            (c.x - self.chunk.origin[0]) as f32,
            (c.y - self.chunk.origin[1]) as f32,
        ]
    }

    /// Adds feature `fid`. Empty geometries add nothing.
    pub fn add(&mut self, fid: i64, geometry: &Geometry<f64>, paint: &FeaturePaint) {
        let Some(bbox) = crate::gpkg::geom::bounds(geometry) else {
            return;
        };
        let c = &mut self.chunk;
        c.bbox = Some(crate::gpkg::geom::union(c.bbox, bbox));
        let feature = c.features;
        c.features += 1;
        c.fids.push(fid);
        let size = bbox.width().max(bbox.height());
        self.add_geometry(
            geometry,
            &Painting {
                paint,
                size: size as f32,
                feature,
            },
        );
        // Polygons and lines get a dot; point features are symbols at every
        // scale and take no part in the size range.
        if has_extent(geometry) {
            let centre = bbox.center();
            // An unfilled polygon shows as its outline, so its dot does too.
            let color = match (paint.fill, paint.outline) {
                (false, Some(o)) => o,
                _ => paint.color,
            };
            let dot = Dot {
                pos: self.local(centre),
                color,
                feature_size: size as f32,
                feature,
            };
            let c = &mut self.chunk;
            c.dots.push(dot);
            c.min_size = c.min_size.min(size);
            c.max_size = c.max_size.max(size);
        }
    }

    fn add_geometry(&mut self, g: &Geometry<f64>, p: &Painting) {
        let color = p.paint.color;
        match g {
            Geometry::Point(pt) => self.add_symbol(pt.0, color, p.feature),
            Geometry::MultiPoint(m) => {
                m.0.iter()
                    .for_each(|pt| self.add_symbol(pt.0, color, p.feature))
            }
            Geometry::LineString(l) => self.add_line(l, color, p),
            Geometry::MultiLineString(m) => m.0.iter().for_each(|l| self.add_line(l, color, p)),
            Geometry::Polygon(poly) => self.add_polygon(poly, p),
            Geometry::MultiPolygon(m) => m.0.iter().for_each(|poly| self.add_polygon(poly, p)),
            Geometry::GeometryCollection(gc) => gc.0.iter().for_each(|g| self.add_geometry(g, p)),
            Geometry::Line(l) => self.add_line(&LineString(vec![l.start, l.end]), color, p),
            Geometry::Rect(r) => self.add_polygon(&r.to_polygon(), p),
            Geometry::Triangle(t) => self.add_polygon(&t.to_polygon(), p),
        }
    }

    fn add_symbol(&mut self, c: Coord<f64>, color: Rgba, feature: u32) {
        let pos = self.local(c);
        self.chunk.symbols.push(Symbol {
            pos,
            color,
            feature,
        });
    }

    fn add_line(&mut self, l: &LineString<f64>, color: Rgba, p: &Painting) {
        for w in l.0.windows(2) {
            if w[0] == w[1] {
                continue;
            }
            let (a, b) = (self.local(w[0]), self.local(w[1]));
            self.chunk.segments.push(Segment {
                a,
                b,
                color,
                feature_size: p.size,
                feature: p.feature,
            });
        }
    }

    fn add_polygon(&mut self, poly: &Polygon<f64>, p: &Painting) {
        let paint = p.paint;
        if paint.fill {
            let tri = poly.earcut_triangles_raw();
            let base = self.chunk.fill_vertices.len() as u32;
            let verts: Vec<FillVertex> = tri
                .vertices
                .iter()
                .map(|v| FillVertex {
                    pos: self.local(Coord { x: v[0], y: v[1] }),
                    color: paint.color,
                    feature: p.feature,
                })
                .collect();
            let c = &mut self.chunk;
            c.fill_vertices.extend(verts);
            c.fill_indices
                .extend(tri.triangle_indices.iter().map(|i| base + *i as u32));
        }
        let outline = match (paint.outline, paint.fill) {
            (Some(o), _) => Some(o),
            (None, false) => Some(paint.color),
            (None, true) => None,
        };
        if let Some(color) = outline {
            self.add_line(poly.exterior(), color, p);
            for hole in poly.interiors() {
                self.add_line(hole, color, p);
            }
        }
    }

    pub fn finish(self) -> Chunk {
        let mut c = self.chunk;
        if c.dots.is_empty() {
            c.min_size = 0.0;
        }
        c.dot_levels = super::dot_levels::order(&mut c.dots, |d| d.pos);
        c.symbol_levels = super::dot_levels::order(&mut c.symbols, |s| s.pos);
        c
    }
}

/// One feature's paint, size and index while it is tessellated.
struct Painting<'a> {
    paint: &'a FeaturePaint,
    size: f32,
    feature: u32,
}

fn has_extent(g: &Geometry<f64>) -> bool {
    match g {
        Geometry::Point(_) | Geometry::MultiPoint(_) => false,
        Geometry::GeometryCollection(gc) => gc.0.iter().any(has_extent),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;
    use geo_types::{MultiPolygon, polygon};

    const PAINT: FeaturePaint = FeaturePaint {
        color: [10, 20, 30, 255],
        fill: true,
        outline: Some([0, 0, 0, 255]),
    };

    fn triangle_area(c: &Chunk) -> f64 {
        c.fill_indices
            .chunks(3)
            .map(|t| {
                let p = |i: u32| {
                    let v = c.fill_vertices[i as usize].pos;
                    (f64::from(v[0]), f64::from(v[1]))
                };
                let (a, b, d) = (p(t[0]), p(t[1]), p(t[2]));
                ((b.0 - a.0) * (d.1 - a.1) - (d.0 - a.0) * (b.1 - a.1)).abs() / 2.0
            })
            .sum()
    }

    fn parcel_with_pond() -> Polygon<f64> {
        polygon!(
            exterior: [
                (x: 400_000.0, y: 2_350_000.0),
                (x: 400_040.0, y: 2_350_000.0),
                (x: 400_040.0, y: 2_350_030.0),
                (x: 400_000.0, y: 2_350_030.0),
                (x: 400_000.0, y: 2_350_000.0),
            ],
            interiors: [[
                (x: 400_010.0, y: 2_350_010.0),
                (x: 400_010.0, y: 2_350_020.0),
                (x: 400_020.0, y: 2_350_020.0),
                (x: 400_020.0, y: 2_350_010.0),
                (x: 400_010.0, y: 2_350_010.0),
            ]],
        )
    }

    #[test]
    fn triangles_cover_the_polygon_without_its_hole() {
        let p = parcel_with_pond();
        let mut b = ChunkBuilder::new([400_000.0, 2_350_000.0]);
        b.add(1, &Geometry::Polygon(p.clone()), &PAINT);
        let c = b.finish();
        assert_eq!(p.unsigned_area(), 1100.0);
        assert!(
            (triangle_area(&c) - 1100.0).abs() < 1e-6,
            "{}",
            triangle_area(&c)
        );
        // Four edges of the parcel and four of the pond.
        assert_eq!(c.segments.len(), 8);
        assert_eq!(c.dots.len(), 1);
        assert_eq!(c.features, 1);
        assert_eq!(c.max_size, 40.0);
    }

    #[test]
    fn multipolygon_parts_are_all_filled() {
        let a = parcel_with_pond();
        let b2 = polygon![
            (x: 401_000.0, y: 2_350_000.0),
            (x: 401_010.0, y: 2_350_000.0),
            (x: 401_010.0, y: 2_350_010.0),
            (x: 401_000.0, y: 2_350_000.0),
        ];
        let mp = MultiPolygon(vec![a, b2]);
        let mut b = ChunkBuilder::new([400_500.0, 2_350_000.0]);
        b.add(1, &Geometry::MultiPolygon(mp.clone()), &PAINT);
        let c = b.finish();
        assert!((triangle_area(&c) - mp.unsigned_area()).abs() < 1e-6);
        assert_eq!(c.dots.len(), 1, "one dot per feature, not per part");
        assert_eq!(
            c.bbox,
            Some(geo_types::Rect::new(
                (400_000.0, 2_350_000.0),
                (401_010.0, 2_350_030.0)
            ))
        );
    }

    #[test]
    fn local_coordinates_keep_millimetres_at_province_scale() {
        let p = parcel_with_pond();
        let origin = [402_345.678, 2_351_234.567];
        let mut b = ChunkBuilder::new(origin);
        b.add(1, &Geometry::Polygon(p.clone()), &PAINT);
        let c = b.finish();
        for v in &c.fill_vertices {
            let x = origin[0] + f64::from(v.pos[0]);
            let y = origin[1] + f64::from(v.pos[1]);
            let nearest = p
                .exterior()
                .0
                .iter()
                .chain(p.interiors()[0].0.iter())
                .map(|c| (c.x - x).hypot(c.y - y))
                .fold(f64::INFINITY, f64::min);
            assert!(nearest < 0.001, "{nearest}");
        }
        // Absolute f32 would not do: the spacing of f32 at 2.35e6 is 0.25 m.
        let y: f64 = 2_351_234.567;
        assert!((f64::from(y as f32) - y).abs() > 0.01);
    }

    #[test]
    fn points_are_symbols_and_unfilled_polygons_are_outlines() {
        let mut b = ChunkBuilder::new([0.0, 0.0]);
        b.add(1, &Geometry::Point(geo_types::Point::new(5.0, 6.0)), &PAINT);
        let outline_only = FeaturePaint {
            fill: false,
            outline: None,
            ..PAINT
        };
        b.add(7, &Geometry::Polygon(parcel_with_pond()), &outline_only);
        let c = b.finish();
        assert_eq!(
            c.symbols,
            vec![Symbol {
                pos: [5.0, 6.0],
                color: PAINT.color,
                feature: 0,
            }]
        );
        assert!(c.fill_indices.is_empty());
        assert_eq!(c.segments.len(), 8);
        assert!(c.segments.iter().all(|s| s.color == PAINT.color));
        assert_eq!(c.dots.len(), 1);
        assert_eq!(c.features, 2);
        // Each vertex names its feature: the polygon is the second.
        assert_eq!(c.fids, vec![1, 7]);
        assert!(c.segments.iter().all(|s| s.feature == 1));
        assert_eq!(c.dots[0].feature, 1);
    }
}
