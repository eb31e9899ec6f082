//! Comparing two land-use layers (the current state and the land-use
//! plan, or two years): the transition matrix — the area going from each
//! code of the first layer to each code of the second — and the pieces
//! that change, kept as a result layer to show on the map.
//!
//! Each parcel of the first layer is measured against the parcels of the
//! second that its box meets (an R-tree over the second layer's boxes):
//! exact intersection areas through the parcel's convex pieces
//! ([`super::overlay`]), with a shortcut for a parcel that is the same
//! polygon in both layers, which is what a plan drawn on the cadastral map
//! mostly is.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};

use geo::BooleanOps;
use geo_types::{Geometry, MultiPolygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::landuse_stats::{code_name, worker_count};
use super::overlay::{
    Clipper, convex_pieces, oriented_rings, overlap_area, rings_area, rings_bbox,
};
use super::read::{PolygonRow, read_polygons, text_key, working_crs};
use super::table::{Column, ResultTable, replace_layer};
use super::{AnalysisError, Result};
use crate::gpkg::{GeoPackage, LayerMeta};
use crate::jobs::{Cancelled, Progress};
use crate::model::{Feature, Field, FieldType, FieldValue, GeometryType, LayerTheme, Schema};

/// The two layers and their code fields.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    pub from_layer: String,
    pub from_field: String,
    pub to_layer: String,
    pub to_field: String,
    /// Changed pieces smaller than this (m²) are slivers of digitising and
    /// are not listed (they still count in the matrix).
    pub min_change_area: f64,
}

impl CompareOptions {
    /// Both layers by `ma_loai_dat`; slivers under 0.01 m² not listed.
    pub fn new(from_layer: &str, to_layer: &str) -> CompareOptions {
        CompareOptions {
            from_layer: from_layer.to_string(),
            from_field: "ma_loai_dat".to_string(),
            to_layer: to_layer.to_string(),
            to_field: "ma_loai_dat".to_string(),
            min_change_area: 0.01,
        }
    }
}

/// One piece that changes code: the part of a first-layer parcel lying in
/// a second-layer parcel of another code.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub from_fid: i64,
    pub to_fid: i64,
    pub from_code: String,
    pub to_code: String,
    /// m².
    pub area: f64,
    /// The piece itself (the intersection of the two parcels).
    pub geometry: MultiPolygon<f64>,
}

/// The result of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub from_layer: String,
    pub to_layer: String,
    /// Area (m²) by (from code, to code), the diagonal included.
    pub matrix: BTreeMap<(String, String), f64>,
    /// Area of each first-layer code that no second-layer parcel covers.
    pub not_covered: BTreeMap<String, f64>,
    /// The changing pieces, by first-layer fid.
    pub changes: Vec<Change>,
}

impl Comparison {
    /// Codes of the first layer (rows), in code-table order.
    pub fn from_codes(&self) -> Vec<String> {
        let mut codes: Vec<String> = self.matrix.keys().map(|(f, _)| f.clone()).collect();
        codes.extend(self.not_covered.keys().cloned());
        sort_codes(codes)
    }

    /// Codes of the second layer (columns), in code-table order.
    pub fn to_codes(&self) -> Vec<String> {
        sort_codes(self.matrix.keys().map(|(_, t)| t.clone()).collect())
    }

    /// The area from `from` to `to` (m²; 0 when none).
    pub fn area(&self, from: &str, to: &str) -> f64 {
        self.matrix
            .get(&(from.to_string(), to.to_string()))
            .copied()
            .unwrap_or(0.0)
    }

    /// Total area that changes code.
    pub fn changed_area(&self) -> f64 {
        self.matrix
            .iter()
            .filter(|((f, t), _)| f != t)
            .map(|(_, a)| a)
            .sum()
    }

    /// The matrix: a row per first-layer code, a column per second-layer
    /// code, then the area not covered by the second layer and the row
    /// total (the code's area in the first layer); a last row of column
    /// totals.
    pub fn matrix_table(&self) -> ResultTable {
        let rows = self.from_codes();
        let cols = self.to_codes();
        let mut columns = vec![Column::new(
            "ma_loai_dat",
            "Từ loại đất \\ sang",
            "From \\ to",
            FieldType::Text,
        )];
        for c in &cols {
            columns.push(Column::new(&column_name(c), c, c, FieldType::Real));
        }
        columns.push(Column::new(
            "khong_phu",
            "Không có trong lớp so sánh",
            "Not in the second layer",
            FieldType::Real,
        ));
        columns.push(Column::new("tong", "Tổng", "Total", FieldType::Real));
        let mut table = ResultTable::new(
            &format!(
                "Ma trận chuyển đổi {} → {} (m²)",
                self.from_layer, self.to_layer
            ),
            columns,
        );
        let mut col_totals = vec![0.0; cols.len() + 2];
        for r in &rows {
            let mut values: Vec<f64> = cols.iter().map(|c| self.area(r, c)).collect();
            values.push(self.not_covered.get(r).copied().unwrap_or(0.0));
            values.push(values.iter().sum());
            for (t, v) in col_totals.iter_mut().zip(&values) {
                *t += v;
            }
            let mut row = vec![FieldValue::Text(r.clone())];
            row.extend(values.into_iter().map(FieldValue::Real));
            table.rows.push(row);
        }
        let mut row = vec![FieldValue::Text("Tổng".to_string())];
        row.extend(col_totals.into_iter().map(FieldValue::Real));
        table.rows.push(row);
        table
    }

    /// The matrix as a list: one row per (from, to) pair with area.
    pub fn transitions_table(&self) -> ResultTable {
        let columns = vec![
            Column::new("tu_ma", "Từ mã", "From code", FieldType::Text),
            Column::new("tu_loai_dat", "Từ loại đất", "From", FieldType::Text),
            Column::new("sang_ma", "Sang mã", "To code", FieldType::Text),
            Column::new("sang_loai_dat", "Sang loại đất", "To", FieldType::Text),
            Column::new(
                "dien_tich_m2",
                "Diện tích (m²)",
                "Area (m²)",
                FieldType::Real,
            ),
            Column::new("thay_doi", "Thay đổi", "Changed", FieldType::Boolean),
        ];
        let mut table = ResultTable::new(
            &format!(
                "Chuyển đổi loại đất {} → {}",
                self.from_layer, self.to_layer
            ),
            columns,
        );
        for ((f, t), a) in &self.matrix {
            table.rows.push(vec![
                FieldValue::Text(f.clone()),
                FieldValue::Text(code_name(f)),
                FieldValue::Text(t.clone()),
                FieldValue::Text(code_name(t)),
                FieldValue::Real(*a),
                FieldValue::Boolean(f != t),
            ]);
        }
        table
    }

    /// The changing pieces as a table (without geometry).
    pub fn changes_table(&self) -> ResultTable {
        let columns = vec![
            Column::new(
                "fid_tu",
                "Thửa (lớp hiện trạng)",
                "From parcel",
                FieldType::Integer,
            ),
            Column::new(
                "fid_sang",
                "Thửa (lớp so sánh)",
                "To parcel",
                FieldType::Integer,
            ),
            Column::new("tu_ma", "Từ mã", "From code", FieldType::Text),
            Column::new("sang_ma", "Sang mã", "To code", FieldType::Text),
            Column::new(
                "dien_tich_m2",
                "Diện tích thay đổi (m²)",
                "Changed area (m²)",
                FieldType::Real,
            ),
        ];
        let mut table = ResultTable::new("Các phần thửa thay đổi loại đất", columns);
        for c in &self.changes {
            table.rows.push(vec![
                FieldValue::Integer(c.from_fid),
                FieldValue::Integer(c.to_fid),
                FieldValue::Text(c.from_code.clone()),
                FieldValue::Text(c.to_code.clone()),
                FieldValue::Real(c.area),
            ]);
        }
        table
    }
}

/// A column name for a code: the code in lower case when it is a plain
/// identifier, else `ma_<n>`-style escaping of other characters.
fn column_name(code: &str) -> String {
    if code.is_empty() {
        return "khong_ma".to_string();
    }
    let name: String = code
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("den_{name}")
}

fn sort_codes(mut codes: Vec<String>) -> Vec<String> {
    codes.sort_by_key(|c| {
        let order = crate::model::landuse::landuse_codes()
            .iter()
            .position(|x| x.code == *c)
            .unwrap_or(usize::MAX);
        (order, c.clone())
    });
    codes.dedup();
    codes
}

/// Computes the comparison. `progress` counts both layers' features
/// (reading) and the first layer's again (measuring); a cancelled progress
/// returns `Cancelled` and nothing is written.
pub fn compare_layers(
    gpkg: &GeoPackage,
    options: &CompareOptions,
    progress: &Progress,
) -> Result<Comparison> {
    if progress.is_cancelled() {
        return Err(Cancelled.into());
    }
    let from_info = gpkg.layer(&options.from_layer)?;
    let crs = working_crs(&from_info);
    let n_from = gpkg.count_features(&options.from_layer, None)?;
    let n_to = gpkg.count_features(&options.to_layer, None)?;
    progress.set_total(2 * n_from + n_to);
    let (from, _) = read_polygons(
        gpkg,
        &options.from_layer,
        &[options.from_field.as_str()],
        &crs,
        None,
        progress,
    )?;
    let (to, _) = read_polygons(
        gpkg,
        &options.to_layer,
        &[options.to_field.as_str()],
        &crs,
        None,
        progress,
    )?;
    let mut codes: Vec<String> = Vec::new();
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut intern = |row: &PolygonRow| -> u32 {
        let key = text_key(&row.values[0]);
        *index.entry(key).or_insert_with_key(|k| {
            codes.push(k.clone());
            (codes.len() - 1) as u32
        })
    };
    let from_codes: Vec<u32> = from.iter().map(&mut intern).collect();
    let to_codes: Vec<u32> = to.iter().map(&mut intern).collect();
    let to_boxes: Vec<Option<Rect<f64>>> = to
        .iter()
        .map(|r| geo::BoundingRect::bounding_rect(&r.geometry))
        .collect();
    let tree: RTree<GeomWithData<Rectangle<[f64; 2]>, u32>> = RTree::bulk_load(
        to_boxes
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                b.map(|b| {
                    GeomWithData::new(
                        Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]),
                        i as u32,
                    )
                })
            })
            .collect(),
    );
    let shared = Shared {
        from: &from,
        to: &to,
        from_codes: &from_codes,
        to_codes: &to_codes,
        to_boxes: &to_boxes,
        tree: &tree,
        min_change_area: options.min_change_area,
    };
    let tally = run_workers(&shared, progress)?;
    let name = |i: u32| codes[i as usize].clone();
    let mut matrix = BTreeMap::new();
    for ((f, t), a) in tally.matrix {
        *matrix.entry((name(f), name(t))).or_insert(0.0) += a;
    }
    let not_covered = tally
        .not_covered
        .into_iter()
        .map(|(f, a)| (name(f), a))
        .collect();
    let mut changes: Vec<Change> = tally
        .changes
        .into_iter()
        .map(|p| Change {
            from_fid: from[p.from].fid,
            to_fid: to[p.to].fid,
            from_code: name(from_codes[p.from]),
            to_code: name(to_codes[p.to]),
            area: p.area,
            geometry: p.geometry,
        })
        .collect();
    changes.sort_by_key(|c| (c.from_fid, c.to_fid));
    Ok(Comparison {
        from_layer: options.from_layer.clone(),
        to_layer: options.to_layer.clone(),
        matrix,
        not_covered,
        changes,
    })
}

struct Shared<'a> {
    from: &'a [PolygonRow],
    to: &'a [PolygonRow],
    from_codes: &'a [u32],
    to_codes: &'a [u32],
    to_boxes: &'a [Option<Rect<f64>>],
    tree: &'a RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>,
    min_change_area: f64,
}

struct Piece {
    from: usize,
    to: usize,
    area: f64,
    geometry: MultiPolygon<f64>,
}

#[derive(Default)]
struct Tally {
    matrix: HashMap<(u32, u32), f64>,
    not_covered: HashMap<u32, f64>,
    changes: Vec<Piece>,
}

const CHUNK: usize = 2048;

fn run_workers(shared: &Shared<'_>, progress: &Progress) -> Result<Tally> {
    let next = AtomicUsize::new(0);
    let results: Vec<Option<Tally>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..worker_count())
            .map(|_| {
                s.spawn(|| {
                    let mut tally = Tally::default();
                    let mut clipper = Clipper::default();
                    loop {
                        if progress.is_cancelled() {
                            return None;
                        }
                        let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                        if start >= shared.from.len() {
                            return Some(tally);
                        }
                        let end = (start + CHUNK).min(shared.from.len());
                        for i in start..end {
                            measure_one(shared, i, &mut clipper, &mut tally);
                        }
                        progress.advance((end - start) as u64);
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a comparison worker panicked"))
            .collect()
    });
    let mut total = Tally::default();
    for r in results {
        let r = r.ok_or(Cancelled)?;
        for (k, a) in r.matrix {
            *total.matrix.entry(k).or_insert(0.0) += a;
        }
        for (k, a) in r.not_covered {
            *total.not_covered.entry(k).or_insert(0.0) += a;
        }
        total.changes.extend(r.changes);
    }
    Ok(total)
}

fn measure_one(shared: &Shared<'_>, i: usize, clipper: &mut Clipper, tally: &mut Tally) {
    let a = &shared.from[i];
    let code_a = shared.from_codes[i];
    let rings_a = oriented_rings(&a.geometry);
    let area_a = rings_area(&rings_a);
    let Some(box_a) = rings_bbox(&rings_a) else {
        return;
    };
    let mut pieces_a: Option<Vec<super::overlay::Ring>> = None;
    let envelope = AABB::from_corners(
        [box_a.min().x, box_a.min().y],
        [box_a.max().x, box_a.max().y],
    );
    let mut covered = 0.0;
    for hit in shared.tree.locate_in_envelope_intersecting(&envelope) {
        let j = hit.data as usize;
        let Some(box_b) = shared.to_boxes[j] else {
            continue;
        };
        if overlap_area(box_a, box_b) == 0.0 {
            continue;
        }
        let b = &shared.to[j];
        let same = box_a == box_b && a.geometry == b.geometry;
        let area = if same {
            area_a
        } else {
            let rings_b = oriented_rings(&b.geometry);
            let pieces = pieces_a.get_or_insert_with(|| convex_pieces(&a.geometry));
            clipper.area_in_pieces(&rings_b, pieces)
        };
        // Neighbours sharing an edge meet in rounding noise only.
        if area <= 1e-9 * area_a.max(1.0) {
            continue;
        }
        covered += area;
        let code_b = shared.to_codes[j];
        *tally.matrix.entry((code_a, code_b)).or_insert(0.0) += area;
        if code_a != code_b && area >= shared.min_change_area {
            let geometry = if same {
                a.geometry.clone()
            } else {
                a.geometry.intersection(&b.geometry)
            };
            tally.changes.push(Piece {
                from: i,
                to: j,
                area,
                geometry,
            });
        }
    }
    let rest = area_a - covered;
    if rest > 1e-9 * area_a.max(1.0) {
        *tally.not_covered.entry(code_a).or_insert(0.0) += rest;
    }
}

/// Writes the changing pieces as the polygon layer `name` (replacing an
/// earlier one) with the parcels' fids, both codes and the changed area;
/// one transaction recorded in tramgis_edits. Returns the number written.
pub fn save_changes_layer(
    gpkg: &mut GeoPackage,
    comparison: &Comparison,
    name: &str,
) -> Result<u64> {
    let from = gpkg.layer(&comparison.from_layer)?;
    let srs_id = from.schema.srs_id;
    if from.crs.is_geographic() {
        return Err(AnalysisError::Layer {
            layer: comparison.from_layer.clone(),
            detail: "the changes are measured in VN-2000; save them from a projected layer"
                .to_string(),
        });
    }
    let schema = Schema::new(
        GeometryType::MultiPolygon,
        srs_id,
        vec![
            Field::new("fid_tu", FieldType::Integer),
            Field::new("fid_sang", FieldType::Integer),
            Field::new("tu_ma", FieldType::Text),
            Field::new("sang_ma", FieldType::Text),
            Field::new("dien_tich_thay_doi", FieldType::Real),
        ],
    );
    let meta = LayerMeta {
        theme: Some(LayerTheme::LandUse),
        title_vi: Some(format!(
            "Biến động {} → {}",
            comparison.from_layer, comparison.to_layer
        )),
        title_en: Some(format!(
            "Changes {} → {}",
            comparison.from_layer, comparison.to_layer
        )),
        draw_order: 1000,
    };
    let features = comparison.changes.iter().map(|c| {
        Feature::new(
            Some(Geometry::MultiPolygon(c.geometry.clone())),
            vec![
                FieldValue::Integer(c.from_fid),
                FieldValue::Integer(c.to_fid),
                FieldValue::Text(c.from_code.clone()),
                FieldValue::Text(c.to_code.clone()),
                FieldValue::Real(c.area),
            ],
        )
    });
    replace_layer(
        gpkg,
        name,
        &schema,
        &meta,
        features,
        &format!(
            "Biến động loại đất {} → {} ({} phần thửa)",
            comparison.from_layer,
            comparison.to_layer,
            comparison.changes.len()
        ),
    )
}
