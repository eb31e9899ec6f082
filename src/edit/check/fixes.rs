//! Repairs for findings. Each fix reads the features it needs, computes
//! their new geometry (pure geometry, below) and writes it as ONE edit:
//! one transaction, one `tramgis_edits` row with a Vietnamese description.

use geo::orient::{Direction, Orient};
use geo::{Area, BooleanOps, Validation};
use geo_types::{Geometry, MultiPolygon, Polygon};

use super::validity::clean;
use super::{CheckOptions, Finding, Fix, m2};
use crate::gpkg::{GeoPackage, GpkgError, Query};
use crate::model::{Feature, GeometryType};

#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error(transparent)]
    Gpkg(#[from] GpkgError),
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

/// What a fix wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct FixOutcome {
    /// The tramgis_edits row (None in a file without the journal).
    pub edit_id: Option<i64>,
    pub description: String,
    pub updated: Vec<i64>,
    pub inserted: Vec<i64>,
}

/// The new state of the features a fix touches.
struct Plan {
    description: String,
    /// Features with their new geometry (fid set).
    updates: Vec<Feature>,
    /// New features (parts a Polygon layer cannot hold in one row).
    inserts: Vec<Feature>,
}

/// Applies the finding's fix as one edit of `gpkg`.
pub fn apply_fix(
    gpkg: &mut GeoPackage,
    finding: &Finding,
    options: &CheckOptions,
) -> Result<FixOutcome, FixError> {
    let fix = finding.fix.as_ref().ok_or(FixError::NoFix)?;
    let plan = plan(gpkg, &finding.layer, fix, finding.area, options)?;
    let layer = finding.layer.as_str();
    let (edit_id, inserted) = gpkg.edit(&plan.description, |e| {
        for f in &plan.updates {
            e.update(layer, f)?;
        }
        let mut inserted = Vec::new();
        for f in &plan.inserts {
            inserted.push(e.insert(layer, f)?);
        }
        Ok((e.edit_id(), inserted))
    })?;
    Ok(FixOutcome {
        edit_id,
        description: plan.description,
        updated: plan.updates.iter().filter_map(|f| f.fid).collect(),
        inserted,
    })
}

fn plan(
    gpkg: &GeoPackage,
    layer: &str,
    fix: &Fix,
    area: f64,
    options: &CheckOptions,
) -> Result<Plan, FixError> {
    let read = |fid: i64| -> Result<(Feature, MultiPolygon<f64>), FixError> {
        let feature = gpkg
            .get_feature(layer, fid)?
            .ok_or_else(|| FixError::Gone {
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
    let single = gpkg.layer(layer)?.schema.geometry_type == GeometryType::Polygon;
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
            let inside = boundary_near(gpkg, boundary_layer, &a)?;
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
    Ok(into_features(description, feature, new, single))
}

/// The union of the boundary layer's polygons near `polygons`.
fn boundary_near(
    gpkg: &GeoPackage,
    boundary_layer: &str,
    polygons: &MultiPolygon<f64>,
) -> Result<MultiPolygon<f64>, FixError> {
    use geo::BoundingRect;
    let mut near: Vec<Polygon<f64>> = Vec::new();
    let query = Query {
        bbox: polygons.bounding_rect(),
        ..Query::default()
    };
    gpkg.read_features(boundary_layer, &query, |f| {
        match f.geometry {
            Some(Geometry::Polygon(p)) => near.push(p),
            Some(Geometry::MultiPolygon(mp)) => near.extend(mp.0),
            _ => {}
        }
        std::ops::ControlFlow::Continue(())
    })?;
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
