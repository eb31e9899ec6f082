//! Repairs for findings. Each fix reads the features it needs, computes
//! their new geometry (pure geometry, below) and writes it as ONE edit of
//! the [`EditSession`]: one transaction, one `tramgis_edits` row with a
//! Vietnamese description, one undo step.

use geo::orient::{Direction, Orient};
use geo::{Area, BooleanOps, BoundingRect, Validation};
use geo_types::{Geometry, MultiPolygon, Polygon, Rect};

use super::validity::clean;
use super::{CheckOptions, Finding, Fix, m2};
use crate::edit::{Applied, EditError, EditSession, EditTx};
use crate::gpkg::{GeoPackage, GpkgError, Query};
use crate::model::{Feature, GeometryType};

#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error("layer '{layer}': feature {fid} no longer exists")]
    Gone { layer: String, fid: i64 },
    #[error("layer '{layer}': feature {fid} has no polygon geometry")]
    NotPolygon { layer: String, fid: i64 },
    #[error("layer '{layer}': fixing feature {fid} would leave nothing of it")]
    NothingLeft { layer: String, fid: i64 },
    #[error("layer '{layer}': GEOS could not make feature {fid} valid: {detail}")]
    MakeValid {
        layer: String,
        fid: i64,
        detail: String,
    },
    #[error("this finding has no fix")]
    NoFix,
}

impl From<GpkgError> for FixError {
    fn from(e: GpkgError) -> Self {
        FixError::Edit(e.into())
    }
}

/// The new state of the features a fix touches.
struct Plan {
    description: String,
    /// Features with their new geometry (fid set).
    updates: Vec<Feature>,
    /// New features (parts a Polygon layer cannot hold in one row).
    inserts: Vec<Feature>,
}

/// Where a fix reads the features it needs: the workspace (to describe
/// the edit before it starts) or the edit's own transaction (to compute
/// what is written from the rows as they are inside it).
trait Source {
    fn get(&mut self, layer: &str, fid: i64) -> Result<Option<Feature>, FixError>;
    fn features_in(&mut self, layer: &str, area: Rect<f64>) -> Result<Vec<Feature>, FixError>;
    fn geometry_type(&mut self, layer: &str) -> Result<GeometryType, FixError>;
}

impl Source for &GeoPackage {
    fn get(&mut self, layer: &str, fid: i64) -> Result<Option<Feature>, FixError> {
        Ok(self.get_feature(layer, fid)?)
    }
    fn features_in(&mut self, layer: &str, area: Rect<f64>) -> Result<Vec<Feature>, FixError> {
        let mut out = Vec::new();
        let query = Query {
            bbox: Some(area),
            ..Query::default()
        };
        self.read_features(layer, &query, |f| {
            out.push(f);
            std::ops::ControlFlow::Continue(())
        })?;
        Ok(out)
    }
    fn geometry_type(&mut self, layer: &str) -> Result<GeometryType, FixError> {
        Ok(self.layer(layer)?.schema.geometry_type)
    }
}

impl Source for EditTx<'_> {
    fn get(&mut self, layer: &str, fid: i64) -> Result<Option<Feature>, FixError> {
        Ok(EditTx::get(self, layer, fid)?)
    }
    fn features_in(&mut self, layer: &str, area: Rect<f64>) -> Result<Vec<Feature>, FixError> {
        Ok(EditTx::features_in(self, layer, area)?)
    }
    fn geometry_type(&mut self, layer: &str) -> Result<GeometryType, FixError> {
        Ok(self.layer(layer)?.schema.geometry_type)
    }
}

/// Applies the finding's fix as one edit of the session (one transaction,
/// one tramgis_edits row, one undo step). The layer must be being edited.
pub fn apply_fix(
    session: &mut EditSession,
    finding: &Finding,
    options: &CheckOptions,
) -> Result<Applied, FixError> {
    let fix = finding.fix.as_ref().ok_or(FixError::NoFix)?;
    let layer = finding.layer.as_str();
    let description = plan(&mut session.gpkg(), layer, fix, finding.area, options)?.description;
    let mut failure = None;
    let result = session.apply(&description, |tx| {
        // Computed again from the rows inside the transaction: what is
        // written is what the fix makes of them as they are now.
        let plan = match plan(tx, layer, fix, finding.area, options) {
            Ok(plan) => plan,
            Err(FixError::Edit(e)) => return Err(e),
            Err(e) => {
                failure = Some(e);
                return Err(EditError::from(GpkgError::BadFeature {
                    path: tx.path().to_path_buf(),
                    layer: layer.to_string(),
                    detail: "the fix no longer applies".into(),
                }));
            }
        };
        for f in &plan.updates {
            tx.update(layer, f)?;
        }
        for f in &plan.inserts {
            tx.insert(layer, f)?;
        }
        Ok(())
    });
    match result {
        Ok(((), applied)) => Ok(applied),
        Err(e) => Err(failure.unwrap_or(FixError::Edit(e))),
    }
}

fn plan(
    source: &mut impl Source,
    layer: &str,
    fix: &Fix,
    area: f64,
    options: &CheckOptions,
) -> Result<Plan, FixError> {
    let mut read = |fid: i64| -> Result<(Feature, MultiPolygon<f64>), FixError> {
        let feature = source.get(layer, fid)?.ok_or_else(|| FixError::Gone {
            layer: layer.to_string(),
            fid,
        })?;
        let polygons = match &feature.geometry {
            Some(Geometry::Polygon(p)) => MultiPolygon(vec![p.clone()]),
            Some(Geometry::MultiPolygon(mp)) => mp.clone(),
            _ => {
                return Err(FixError::NotPolygon {
                    layer: layer.to_string(),
                    fid,
                });
            }
        };
        Ok((feature, polygons))
    };
    let (description, fid, feature, new) = match fix {
        Fix::MakeValid { fid } => {
            let (feature, polygons) = read(*fid)?;
            let new = make_valid(&polygons, options).map_err(|detail| FixError::MakeValid {
                layer: layer.to_string(),
                fid: *fid,
                detail,
            })?;
            let d = format!("Sửa hình học không hợp lệ của đối tượng {fid}");
            (d, *fid, feature, new)
        }
        Fix::CutOverlap { from, other } => {
            let (feature, a) = read(*from)?;
            let (_, b) = read(*other)?;
            let d = format!(
                "Xóa phần chồng lấn {} của đối tượng {from} với {other}",
                m2(area)
            );
            (d, *from, feature, a.difference(&b))
        }
        Fix::FillGap { into, gap } => {
            let (feature, a) = read(*into)?;
            let gap = MultiPolygon(vec![gap.clone().orient(Direction::Default)]);
            let d = format!("Lấp khe hở {} vào đối tượng {into}", m2(area));
            (d, *into, feature, a.union(&gap))
        }
        Fix::ClipToBoundary {
            fid,
            boundary_layer,
        } => {
            let (feature, a) = read(*fid)?;
            let inside = boundary_near(source, boundary_layer, &a)?;
            let d = format!("Cắt đối tượng {fid} theo ranh giới {boundary_layer}");
            (d, *fid, feature, a.intersection(&inside))
        }
    };
    let new = drop_dust(new, options.min_area);
    if new.0.is_empty() {
        return Err(FixError::NothingLeft {
            layer: layer.to_string(),
            fid,
        });
    }
    let single = source.geometry_type(layer)? == GeometryType::Polygon;
    Ok(into_features(description, feature, new, single))
}

/// The union of the boundary layer's polygons near `polygons`.
fn boundary_near(
    source: &mut impl Source,
    boundary_layer: &str,
    polygons: &MultiPolygon<f64>,
) -> Result<MultiPolygon<f64>, FixError> {
    let mut near: Vec<Polygon<f64>> = Vec::new();
    let Some(area) = polygons.bounding_rect() else {
        return Ok(MultiPolygon(vec![]));
    };
    for f in source.features_in(boundary_layer, area)? {
        match f.geometry {
            Some(Geometry::Polygon(p)) => near.push(p),
            Some(Geometry::MultiPolygon(mp)) => near.extend(mp.0),
            _ => {}
        }
    }
    Ok(geo::unary_union(&near))
}

/// Parts smaller than the check's noise level (left by rounding in the
/// boolean operations) are not kept.
fn drop_dust(polygons: MultiPolygon<f64>, min_area: f64) -> MultiPolygon<f64> {
    MultiPolygon(
        polygons
            .0
            .into_iter()
            .filter(|p| p.unsigned_area() > min_area)
            .collect(),
    )
}

/// The rows to write: the feature with its new geometry; in a Polygon
/// layer, a result of several parts keeps the largest and the others
/// become new features with the same attributes (nothing is thrown away).
fn into_features(
    description: String,
    feature: Feature,
    new: MultiPolygon<f64>,
    single: bool,
) -> Plan {
    if !single {
        let mut f = feature;
        f.geometry = Some(Geometry::MultiPolygon(new));
        f.zm = Default::default();
        return Plan {
            description,
            updates: vec![f],
            inserts: vec![],
        };
    }
    let mut parts = new.0;
    parts.sort_by(|a, b| b.unsigned_area().total_cmp(&a.unsigned_area()));
    let rest = parts.split_off(1);
    let mut updated = feature.clone();
    updated.geometry = Some(Geometry::Polygon(parts.remove(0)));
    updated.zm = Default::default();
    let inserts = rest
        .into_iter()
        .map(|p| Feature::new(Some(Geometry::Polygon(p)), feature.values.clone()))
        .collect::<Vec<_>>();
    let description = if inserts.is_empty() {
        description
    } else {
        format!("{description} (tách thành {} phần)", inserts.len() + 1)
    };
    Plan {
        description,
        updates: vec![updated],
        inserts,
    }
}

/// Duplicate and spike vertices removed; if that is not enough, GEOS
/// MakeValid (through GDAL, method STRUCTURE, collapsed parts dropped).
pub fn make_valid(
    polygons: &MultiPolygon<f64>,
    options: &CheckOptions,
) -> Result<MultiPolygon<f64>, String> {
    let cleaned = clean(
        polygons,
        options.duplicate_tolerance,
        options.spike_angle_deg,
    );
    let cleaned = MultiPolygon(
        cleaned
            .0
            .into_iter()
            .filter(|p| p.exterior().0.len() >= 4)
            .collect(),
    );
    if cleaned.is_valid() {
        return Ok(cleaned);
    }
    geos_make_valid(&cleaned)
}

fn geos_make_valid(polygons: &MultiPolygon<f64>) -> Result<MultiPolygon<f64>, String> {
    use gdal::cpl::CslStringList;
    use gdal::vector::ToGdal;
    let g = Geometry::MultiPolygon(polygons.clone())
        .to_gdal()
        .map_err(|e| e.to_string())?;
    let mut opts = CslStringList::new();
    opts.set_name_value("METHOD", "STRUCTURE")
        .map_err(|e| e.to_string())?;
    opts.set_name_value("KEEP_COLLAPSED", "NO")
        .map_err(|e| e.to_string())?;
    let valid = g.make_valid(&opts).map_err(|e| e.to_string())?;
    let valid = valid.to_geo().map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    collect_polygons(valid, &mut out);
    Ok(MultiPolygon(out))
}

fn collect_polygons(g: Geometry<f64>, out: &mut Vec<Polygon<f64>>) {
    match g {
        Geometry::Polygon(p) => out.push(p),
        Geometry::MultiPolygon(mp) => out.extend(mp.0),
        Geometry::GeometryCollection(gc) => {
            for g in gc.0 {
                collect_polygons(g, out);
            }
        }
        _ => {}
    }
}
