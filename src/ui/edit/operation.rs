//! The edits the window's tools ask for, in map coordinates, and how each
//! is carried out inside one `EditSession::apply` (layer coordinates,
//! through C's geometry functions).

use geo_types::{Coord, Geometry, LineString, Rect};

use crate::crs::Transformer;
use crate::edit::geometry::vertex::{
    delete_vertices, insert_vertices, move_vertices, nearest_segment, nearest_vertex,
};
use crate::edit::geometry::{self, GeometryError};
use crate::edit::{EditError, EditTx, topology};
use crate::model::{Feature, FieldValue};

/// One edit a tool asks for. Coordinates are the map's; the editing
/// thread converts them to the layer's CRS. A `fid` or `fids` left empty
/// means the feature under the tool's first point.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// A new feature with the layer's default values.
    Add {
        layer: String,
        geometry: Geometry<f64>,
    },
    /// Moves each vertex found within `tolerance` of a `from` to its `to`;
    /// with `topological`, neighbours sharing a moved vertex follow it.
    MoveVertices {
        layer: String,
        fid: Option<i64>,
        moves: Vec<([f64; 2], [f64; 2])>,
        topological: bool,
        tolerance: f64,
    },
    /// A new vertex on the edge nearest `at`.
    InsertVertex {
        layer: String,
        at: [f64; 2],
        tolerance: f64,
    },
    /// Deletes the vertices nearest these points (of one feature).
    DeleteVertices {
        layer: String,
        at: Vec<[f64; 2]>,
        tolerance: f64,
    },
    /// Moves features by `to - from`.
    Translate {
        layer: String,
        drag: Dragged,
    },
    /// Turns features about the centre of the one under `from` by the
    /// angle from `from` to `to`.
    Rotate {
        layer: String,
        drag: Dragged,
    },
    Delete {
        layer: String,
        fids: Vec<i64>,
    },
    /// Reshapes the boundary the drawn line crosses (the feature under its
    /// first point).
    Reshape {
        layer: String,
        line: Vec<[f64; 2]>,
        tolerance: f64,
    },
    /// A hole drawn inside a polygon; with `fill`, a new feature fills it.
    AddRing {
        layer: String,
        ring: Vec<[f64; 2]>,
        fill: bool,
    },
    /// Splits the polygons (or lines) the drawn line crosses (B's
    /// `edit::ops::split`, with the layer's field policies).
    Split {
        layer: String,
        line: Vec<[f64; 2]>,
    },
    /// Merges polygons into one (B's `edit::ops::merge`).
    Merge {
        layer: String,
        fids: Vec<i64>,
    },
    /// WKT (in the layer's CRS) or GeoJSON (WGS 84) text pasted as new
    /// features (`edit::ops::paste::paste_text`).
    PasteText {
        layer: String,
        text: String,
    },
    /// Features of another layer copied into `layer`, reprojected to its
    /// CRS (`edit::ops::paste::copy_features`).
    CopyFeatures {
        layer: String,
        from: String,
        fids: Vec<i64>,
    },
    /// A line moved sideways by `distance` layer units (metres in
    /// VN-2000), to the left for a positive one (`offset_in`).
    Offset {
        layer: String,
        fid: i64,
        distance: f64,
    },
    /// A new polygon cut against the polygons of `avoid` near it
    /// (`insert_avoiding_overlaps`).
    AddAvoidingOverlaps {
        layer: String,
        geometry: Geometry<f64>,
        avoid: Vec<String>,
    },
}

/// Features a tool dragged from `from` to `to`: `fids`, or when empty the
/// top feature under `from` (within `tolerance` map units), with the rest
/// of `selected` when it is one of them (as QGIS moves a selection).
#[derive(Debug, Clone, PartialEq)]
pub struct Dragged {
    pub fids: Vec<i64>,
    /// The layer's selection, which the window fills in.
    pub selected: Vec<i64>,
    pub from: [f64; 2],
    pub to: [f64; 2],
    pub tolerance: f64,
}

impl Dragged {
    /// The feature under `from`, dragged to `to`.
    pub fn under(from: [f64; 2], to: [f64; 2], tolerance: f64) -> Self {
        Dragged {
            fids: vec![],
            selected: vec![],
            from,
            to,
            tolerance,
        }
    }
}

/// The `layer` field of any operation (by reference or mutable reference,
/// as `$op` is), so the list of variants is written once.
macro_rules! layer_field {
    ($op:expr) => {
        match $op {
            Operation::Add { layer, .. }
            | Operation::MoveVertices { layer, .. }
            | Operation::InsertVertex { layer, .. }
            | Operation::DeleteVertices { layer, .. }
            | Operation::Translate { layer, .. }
            | Operation::Rotate { layer, .. }
            | Operation::Delete { layer, .. }
            | Operation::Reshape { layer, .. }
            | Operation::AddRing { layer, .. }
            | Operation::Split { layer, .. }
            | Operation::Merge { layer, .. }
            | Operation::PasteText { layer, .. }
            | Operation::CopyFeatures { layer, .. }
            | Operation::Offset { layer, .. }
            | Operation::AddAvoidingOverlaps { layer, .. } => layer,
        }
    };
}

impl Operation {
    pub fn layer(&self) -> &str {
        layer_field!(self)
    }

    /// Sets the layer when the tool left it empty.
    pub fn set_layer(&mut self, name: &str) {
        *layer_field!(self) = name.to_string();
    }

    /// The journal's description of the edit (Vietnamese: the journal is
    /// read by the land office).
    pub fn description(&self) -> String {
        match self {
            Operation::Add { layer, geometry } => {
                let what = match geometry {
                    Geometry::Point(_) | Geometry::MultiPoint(_) => "điểm",
                    Geometry::LineString(_) | Geometry::MultiLineString(_) => "đường",
                    _ => "vùng",
                };
                format!("Thêm {what} vào {layer}")
            }
            Operation::MoveVertices { layer, moves, .. } => {
                format!("Di chuyển {} đỉnh ({layer})", moves.len())
            }
            Operation::InsertVertex { layer, .. } => format!("Thêm đỉnh ({layer})"),
            Operation::DeleteVertices { layer, at, .. } => {
                format!("Xóa {} đỉnh ({layer})", at.len())
            }
            Operation::Translate { layer, .. } => format!("Di chuyển đối tượng ({layer})"),
            Operation::Rotate { layer, .. } => format!("Xoay đối tượng ({layer})"),
            Operation::Delete { layer, fids } => {
                format!("Xóa {} đối tượng ({layer})", fids.len())
            }
            Operation::Reshape { layer, .. } => format!("Sửa hình dạng ({layer})"),
            Operation::Split { layer, .. } => format!("Tách ({layer})"),
            Operation::Merge { layer, fids } => format!("Gộp {} thửa ({layer})", fids.len()),
            Operation::PasteText { layer, .. } => format!("Dán đối tượng vào {layer}"),
            Operation::CopyFeatures { layer, from, fids } => {
                format!("Dán {} đối tượng từ {from} vào {layer}", fids.len())
            }
            Operation::Offset { fid, distance, .. } => {
                format!("Dịch song song đường {fid} {distance} m")
            }
            Operation::AddAvoidingOverlaps { .. } => "Thêm vùng (tránh chồng lấn)".to_string(),
            Operation::AddRing { layer, fill, .. } => {
                if *fill {
                    format!("Lấp vòng ({layer})")
                } else {
                    format!("Thêm vòng ({layer})")
                }
            }
        }
    }
}

/// Map ↔ layer coordinates of one layer.
pub struct LayerCrs {
    pub to_layer: Transformer,
    pub to_map: Transformer,
}

impl LayerCrs {
    fn point(&self, p: [f64; 2]) -> Result<Coord<f64>, EditError> {
        Ok(self.to_layer.transform(Coord { x: p[0], y: p[1] })?)
    }

    fn line(&self, points: &[[f64; 2]]) -> Result<LineString<f64>, EditError> {
        points.iter().map(|p| self.point(*p)).collect()
    }

    fn geometry(&self, mut g: Geometry<f64>) -> Result<Geometry<f64>, EditError> {
        self.to_layer.transform_geometry(&mut g)?;
        Ok(g)
    }

    /// `d` map units at `at`, in layer units.
    fn distance(&self, at: [f64; 2], d: f64) -> Result<f64, EditError> {
        let a = self.point(at)?;
        let b = self.point([at[0] + d, at[1]])?;
        Ok(geometry::dist(a, b))
    }
}

/// A geometry tool's refusal, naming the feature.
fn refused(tx: &EditTx<'_>, layer: &str, fid: i64, e: GeometryError) -> EditError {
    EditError::Feature {
        path: tx.path().to_path_buf(),
        layer: layer.to_string(),
        fid,
        detail: e.to_string(),
    }
}

fn nothing_there(tx: &EditTx<'_>, layer: &str, p: Coord<f64>, what: &str) -> EditError {
    EditError::Layer {
        path: tx.path().to_path_buf(),
        layer: layer.to_string(),
        detail: format!(
            "không có {what} tại ({:.3}, {:.3}) (nothing there)",
            p.x, p.y
        ),
    }
}

/// A new feature's area fields set from its geometry (as
/// `geometry::write_geometry` keeps them for a changed one).
fn with_area(tx: &mut EditTx<'_>, layer: &str, f: &mut Feature) -> Result<(), EditError> {
    let info = tx.layer(layer)?;
    crate::edit::measure::set_area_fields(&info, f).map_err(|e| EditError::Layer {
        path: tx.path().to_path_buf(),
        layer: layer.to_string(),
        detail: e.to_string(),
    })
}

fn around(p: Coord<f64>, t: f64) -> Rect<f64> {
    Rect::new((p.x - t, p.y - t), (p.x + t, p.y + t))
}

/// Carries out `op` in one transaction; `defaults` are the layer's values
/// for a new feature.
pub fn run(
    tx: &mut EditTx<'_>,
    op: &Operation,
    crs: &LayerCrs,
    defaults: &[FieldValue],
) -> Result<(), EditError> {
    match op {
        Operation::Add { layer, geometry } => {
            let mut feature =
                Feature::new(Some(crs.geometry(geometry.clone())?), defaults.to_vec());
            with_area(tx, layer, &mut feature)?;
            tx.insert(layer, &feature)?;
        }
        Operation::MoveVertices {
            layer,
            fid,
            moves,
            topological,
            tolerance,
        } => move_feature_vertices(tx, layer, *fid, moves, *topological, *tolerance, crs)?,
        Operation::InsertVertex {
            layer,
            at,
            tolerance,
        } => {
            let (p, t) = (crs.point(*at)?, crs.distance(*at, *tolerance)?);
            let hit = tx
                .features_in(layer, around(p, t))?
                .into_iter()
                .find_map(|f| {
                    let g = f.geometry.as_ref()?;
                    nearest_segment(g, p, t).map(|(v, q)| (f.fid, g.clone(), v, q))
                });
            let Some((Some(fid), g, v, q)) = hit else {
                return Err(nothing_there(tx, layer, p, "cạnh"));
            };
            let g = insert_vertices(&g, &[(v, q)]).map_err(|e| refused(tx, layer, fid, e))?;
            geometry::write_geometry(tx, layer, fid, g)?;
        }
        Operation::DeleteVertices {
            layer,
            at,
            tolerance,
        } => {
            let Some(first) = at.first() else {
                return Ok(());
            };
            let (p, t) = (crs.point(*first)?, crs.distance(*first, *tolerance)?);
            let (fid, g) = feature_with_vertex(tx, layer, p, t)?;
            let mut ids = Vec::new();
            for q in at {
                if let Some((v, _)) = nearest_vertex(&g, crs.point(*q)?, t) {
                    ids.push(v);
                }
            }
            let g = delete_vertices(&g, &ids).map_err(|e| refused(tx, layer, fid, e))?;
            geometry::write_geometry(tx, layer, fid, g)?;
        }
        Operation::Translate { layer, drag } => {
            let LayerDrag {
                from: a,
                to: b,
                fids,
            } = dragged(tx, layer, drag, crs)?;
            for fid in fids {
                let mut f = tx.require(layer, fid)?;
                if let Some(g) = &mut f.geometry {
                    geo::Translate::translate_mut(g, b.x - a.x, b.y - a.y);
                }
                tx.update(layer, &f)?;
            }
        }
        Operation::Rotate { layer, drag } => {
            let LayerDrag {
                from: a,
                to: b,
                fids,
            } = dragged(tx, layer, drag, crs)?;
            let Some(centre) = tx
                .require(layer, fids[0])?
                .geometry
                .as_ref()
                .and_then(geo::Centroid::centroid)
            else {
                return Ok(());
            };
            let c = centre.0;
            let angle = ((b.y - c.y).atan2(b.x - c.x) - (a.y - c.y).atan2(a.x - c.x)).to_degrees();
            for fid in fids {
                let mut f = tx.require(layer, fid)?;
                if let Some(g) = &mut f.geometry {
                    geo::Rotate::rotate_around_point_mut(g, angle, centre);
                }
                tx.update(layer, &f)?;
            }
        }
        Operation::Delete { layer, fids } => {
            for fid in fids {
                tx.delete(layer, *fid)?;
            }
        }
        Operation::Reshape {
            layer,
            line,
            tolerance,
        } => {
            let drawn = crs.line(line)?;
            let start = crs.point(line[0])?;
            let t = crs.distance(line[0], *tolerance)?;
            let fid = chosen(tx, layer, &[], start, t)?[0];
            let f = tx.require(layer, fid)?;
            let g = f.geometry.as_ref().expect("picked by its geometry");
            let g =
                geometry::reshape::reshape(g, &drawn).map_err(|e| refused(tx, layer, fid, e))?;
            geometry::write_geometry(tx, layer, fid, g)?;
        }
        Operation::AddRing { layer, ring, fill } => {
            let drawn = crs.line(ring)?;
            let inside = crs.point(ring[0])?;
            let fid = chosen(tx, layer, &[], inside, 0.0)?[0];
            let f = tx.require(layer, fid)?;
            let g = f.geometry.as_ref().expect("picked by its geometry");
            if *fill {
                let (holed, filling) = geometry::rings::fill_ring(g, &drawn)
                    .map_err(|e| refused(tx, layer, fid, e))?;
                geometry::write_geometry(tx, layer, fid, holed)?;
                // The filling takes the parcel's attributes, with its own
                // area (QGIS's #29683 left the parcel's).
                let mut new = Feature::new(Some(Geometry::Polygon(filling)), f.values.clone());
                with_area(tx, layer, &mut new)?;
                tx.insert(layer, &new)?;
            } else {
                let (holed, _) =
                    geometry::rings::add_ring(g, &drawn).map_err(|e| refused(tx, layer, fid, e))?;
                geometry::write_geometry(tx, layer, fid, holed)?;
            }
        }
        // Operations of their own on the session (see `worker`).
        Operation::Split { .. }
        | Operation::Merge { .. }
        | Operation::PasteText { .. }
        | Operation::CopyFeatures { .. }
        | Operation::Offset { .. }
        | Operation::AddAvoidingOverlaps { .. } => {
            unreachable!("these run through edit::ops and edit::geometry")
        }
    }
    Ok(())
}

/// A drag in layer coordinates, with the features it moves.
struct LayerDrag {
    from: Coord<f64>,
    to: Coord<f64>,
    fids: Vec<i64>,
}

fn dragged(
    tx: &mut EditTx<'_>,
    layer: &str,
    drag: &Dragged,
    crs: &LayerCrs,
) -> Result<LayerDrag, EditError> {
    let (from, to) = (crs.point(drag.from)?, crs.point(drag.to)?);
    let t = crs.distance(drag.from, drag.tolerance)?;
    let mut fids = chosen(tx, layer, &drag.fids, from, t)?;
    if drag.fids.is_empty() && drag.selected.contains(&fids[0]) {
        // The one under the pointer first: a turn is about its centre.
        let hit = fids[0];
        fids.extend(drag.selected.iter().copied().filter(|f| *f != hit));
    }
    Ok(LayerDrag { from, to, fids })
}

/// The fids given, or else the top feature under `p` (within `t`).
fn chosen(
    tx: &mut EditTx<'_>,
    layer: &str,
    fids: &[i64],
    p: Coord<f64>,
    t: f64,
) -> Result<Vec<i64>, EditError> {
    if !fids.is_empty() {
        return Ok(fids.to_vec());
    }
    let box_ = around(p, t.max(1e-9));
    let hit = tx
        .features_in(layer, box_)?
        .into_iter()
        .filter(|f| {
            f.geometry
                .as_ref()
                .is_some_and(|g| crate::index::hits(g, p.x, p.y, t))
        })
        .filter_map(|f| f.fid)
        .max();
    match hit {
        Some(fid) => Ok(vec![fid]),
        None => Err(nothing_there(tx, layer, p, "đối tượng")),
    }
}

/// The feature with the vertex nearest `p` within `t`.
fn feature_with_vertex(
    tx: &mut EditTx<'_>,
    layer: &str,
    p: Coord<f64>,
    t: f64,
) -> Result<(i64, Geometry<f64>), EditError> {
    let best = tx
        .features_in(layer, around(p, t))?
        .into_iter()
        .filter_map(|f| {
            let g = f.geometry?;
            let (_, c) = nearest_vertex(&g, p, t)?;
            Some((geometry::dist(c, p), f.fid?, g))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, fid, g)) => Ok((fid, g)),
        None => Err(nothing_there(tx, layer, p, "đỉnh")),
    }
}

/// Moves vertices of one feature, and with `topological` the same
/// vertices of the neighbours that share them.
fn move_feature_vertices(
    tx: &mut EditTx<'_>,
    layer: &str,
    fid: Option<i64>,
    moves: &[([f64; 2], [f64; 2])],
    topological: bool,
    tolerance: f64,
    crs: &LayerCrs,
) -> Result<(), EditError> {
    let Some(first) = moves.first() else {
        return Ok(());
    };
    let t = crs.distance(first.0, tolerance)?;
    let (fid, g) = match fid {
        Some(fid) => {
            let f = tx.require(layer, fid)?;
            (
                fid,
                f.geometry
                    .unwrap_or(Geometry::GeometryCollection(Default::default())),
            )
        }
        None => feature_with_vertex(tx, layer, crs.point(first.0)?, t)?,
    };
    let mut ids = Vec::new();
    let mut pairs = Vec::new();
    for (from, to) in moves {
        let (old, new) = (crs.point(*from)?, crs.point(*to)?);
        let Some((id, at)) = nearest_vertex(&g, old, t) else {
            return Err(nothing_there(tx, layer, old, "đỉnh"));
        };
        ids.push((id, new));
        pairs.push((at, new));
    }
    let moved = move_vertices(&g, &ids).map_err(|e| refused(tx, layer, fid, e))?;
    geometry::write_geometry(tx, layer, fid, moved)?;
    if !topological {
        return Ok(());
    }
    // Shared vertices are equal to the millimetre in a clean layer.
    let join = 1e-3_f64.min(t);
    for (old, new) in pairs {
        let area = topology::search_area(old, new, join);
        for n in tx.features_in(layer, area)? {
            let (Some(nfid), Some(ng)) = (n.fid, &n.geometry) else {
                continue;
            };
            if nfid == fid {
                continue;
            }
            if let Some(followed) =
                topology::follow(ng, old, new, join).map_err(|e| refused(tx, layer, nfid, e))?
            {
                geometry::write_geometry(tx, layer, nfid, followed)?;
            }
        }
    }
    Ok(())
}
