//! `tramgis sample`: a deterministic sample workspace for the province. The
//! same code makes the bundled sample (10,000 parcels) and the
//! province-scale files (1,000,000 parcels) that the benchmarks use.
//!
//! The province is built the way land is: communes of irregular outline
//! sharing their boundaries exactly ([`province`]), a network of roads and
//! rivers crossing them ([`network`]), each commune's own roads, town
//! streets and villages ([`plan`]), and parcels that split the blocks
//! between the roads until the commune holds its share ([`parcels`]). The
//! road and river land inside a commune are parcels too (DGT, SON), so a
//! commune's parcels cover it exactly, with no gap and no overlap.

mod domains;
mod layers;
mod network;
mod parcels;
mod plan;
mod province;
mod rng;
mod split;

use std::path::{Path, PathBuf};

use crate::gpkg::styles::StoredStyle;
use crate::gpkg::{GeoPackage, GpkgError, Result};
use crate::model::Feature;
use rstar::RTree;

pub use domains::{definitions as domain_definitions, write as write_domains};
pub use layers::definitions as layer_definitions;
pub use province::{EXTENT_LONLAT, projected_extent};
pub use rng::Rng;

/// Parcels in the sample bundled with the app.
pub const BUNDLED_PARCELS: usize = 10_000;
const SEED: u64 = 0x0074_7261_6D67_6973; // "tramgis"

/// Feature counts per layer of a generated workspace.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub layers: Vec<(String, u64)>,
}

/// Writes a new sample workspace to `out` (which must not exist). The file
/// is built under a temporary name and renamed when complete, so an
/// interrupted run never leaves a half-written workspace at `out`.
pub fn generate(
    out: &Path,
    parcels: usize,
    mut progress: impl FnMut(&str, u64),
) -> Result<Summary> {
    if out.exists() {
        return Err(GpkgError::AlreadyExists {
            path: out.to_path_buf(),
        });
    }
    let partial = partial_path(out);
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = partial.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    let summary = write_all(&partial, parcels, &mut progress)?;
    std::fs::rename(&partial, out).map_err(|source| GpkgError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    Ok(summary)
}

fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    out.with_file_name(name)
}

/// Everything but the parcels: the same for any parcel count.
struct Layout {
    province: province::Province,
    network: network::Network,
    plans: Vec<plan::CommunePlan>,
}

fn layout() -> Result<Layout> {
    let mut rng = Rng::new(SEED);
    let province = province::build(&mut rng)?;
    let network = network::build(&province, &mut rng);
    let plans = (0..province.communes.len())
        .map(|k| {
            plan::build(
                &province,
                &network,
                k,
                &mut Rng::new(SEED ^ ((k as u64 + 1) * 0x9E37)),
            )
        })
        .collect();
    Ok(Layout {
        province,
        network,
        plans,
    })
}

/// Streams `total` parcels (or, below the least the blocks and corridors
/// need, that least) commune by commune. `boundary`: the vertices parcels
/// put on commune boundaries (see [`boundary_vertices`]), inserted into
/// the neighbours' edges.
fn each_parcel<E>(
    l: &Layout,
    total: usize,
    boundary: &RTree<[f64; 2]>,
    mut sink: impl FnMut(Feature) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let quotas = parcels::quotas(&l.province, &l.plans, total);
    for (k, plan) in l.plans.iter().enumerate() {
        let mut rng = Rng::new(SEED.wrapping_mul(k as u64 + 7));
        parcels::commune_parcels(
            &l.province,
            plan,
            k,
            quotas[k],
            &mut rng,
            boundary,
            &mut sink,
        )?;
    }
    Ok(())
}

/// A first pass over the parcels: the vertices they put on a commune
/// boundary (where a cut of one commune's block meets it). The second pass
/// inserts them into the neighbouring commune's parcels and into the
/// commune and district outlines, so that no corner of a parcel lies on an
/// edge of another without being its vertex too (no hairline gap where an
/// overlay snaps to a grid).
fn boundary_vertices(l: &Layout, total: usize) -> RTree<[f64; 2]> {
    use rstar::primitives::Line as Segment;
    let segments: Vec<Segment<[f64; 2]>> = l
        .province
        .communes
        .iter()
        .flat_map(|c| {
            c.polygon
                .exterior()
                .lines()
                .map(|s| Segment::new([s.start.x, s.start.y], [s.end.x, s.end.y]))
                .collect::<Vec<_>>()
        })
        .collect();
    let outlines = RTree::bulk_load(segments);
    let mut points: Vec<[f64; 2]> = Vec::new();
    let none = RTree::new();
    let _ = each_parcel(l, total, &none, |f| {
        if let Some(geo_types::Geometry::Polygon(p)) = &f.geometry {
            for q in &p.exterior().0 {
                let q = [q.x, q.y];
                if outlines.locate_within_distance(q, 1e-12).next().is_some() {
                    points.push(q);
                }
            }
        }
        Ok::<(), ()>(())
    });
    points.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    points.dedup();
    RTree::bulk_load(points)
}

/// The commune and district outlines with the parcels' boundary vertices.
fn add_boundary_vertices(p: &mut province::Province, boundary: &RTree<[f64; 2]>) {
    let with = |polygon: &geo_types::Polygon<f64>| {
        let v = &polygon.exterior().0;
        let ring = parcels::with_points_on_edges(&v[..v.len() - 1], &[boundary]);
        geo_types::Polygon::new(split::closed(&ring), vec![])
    };
    for c in &mut p.communes {
        c.polygon = with(&c.polygon);
    }
    for d in &mut p.districts {
        d.polygon = with(&d.polygon);
    }
}

fn write_all(path: &Path, parcels: usize, progress: &mut impl FnMut(&str, u64)) -> Result<Summary> {
    let mut l = layout()?;
    let boundary = boundary_vertices(&l, parcels);
    add_boundary_vertices(&mut l.province, &boundary);
    let (p, net, plans) = (&l.province, &l.network, &l.plans);
    let mut rng = Rng::new(SEED ^ 0x5EED);
    let mut gpkg = GeoPackage::create(path)?;
    gpkg.set_user("tramgis sample");
    let defs = layers::definitions();
    for d in &defs {
        gpkg.create_layer(d.name, &d.schema, &d.meta)?;
    }
    domains::write(gpkg.connection()).map_err(|e| GpkgError::Invalid {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    let mut summary = Summary::default();
    let mut load = |gpkg: &mut GeoPackage, name: &str, features: Vec<Feature>| -> Result<()> {
        let mut writer = gpkg.bulk_writer(name, "sample data")?;
        for f in features {
            writer.add(f)?;
        }
        let n = writer.finish()?;
        summary.layers.push((name.to_string(), n));
        Ok(())
    };
    load(&mut gpkg, "ranh_gioi_huyen", layers::districts(p))?;
    load(&mut gpkg, "ranh_gioi_xa", layers::communes(p))?;
    load(&mut gpkg, "duong_giao_thong", layers::roads(net, plans))?;
    load(
        &mut gpkg,
        "cot_den",
        layers::lighting_poles(p, net, plans, &mut rng),
    )?;
    load(&mut gpkg, "thon_xom", layers::villages(p, plans, &mut rng))?;
    load(
        &mut gpkg,
        "o_quy_hoach",
        layers::planning_lots(p, plans, &mut rng),
    )?;
    load(
        &mut gpkg,
        "tram_bts",
        layers::bts_towers(p, net, plans, (parcels / 40).max(300), &mut rng),
    )?;
    load(&mut gpkg, "camera", layers::cameras(p, plans, &mut rng))?;
    load(
        &mut gpkg,
        "cam_bien",
        layers::sensors(p, net, plans, &mut rng),
    )?;
    {
        let mut writer = gpkg.bulk_writer("thua_dat", "sample data")?;
        let step = (parcels as u64 / 100).max(1);
        each_parcel(&l, parcels, &boundary, |f| {
            writer.add(f)?;
            if writer.count() % step == 0 {
                progress("thua_dat", writer.count());
            }
            Ok::<(), GpkgError>(())
        })?;
        let n = writer.finish()?;
        summary.layers.push(("thua_dat".to_string(), n));
    }
    save_default_styles(&mut gpkg)?;
    gpkg.checkpoint()?;
    Ok(summary)
}

/// Each layer's default look saved as its QGIS default style, so QGIS
/// shows the workspace as tramgis does (land use in the standard colours,
/// planning lots by function, BTS towers by operator).
fn save_default_styles(gpkg: &mut GeoPackage) -> Result<()> {
    let layers = gpkg.layers()?;
    for (i, info) in layers.iter().enumerate() {
        let style = crate::render::LayerStyle::default_for(info, i == 0);
        gpkg.save_style(
            &info.name,
            &StoredStyle {
                name: format!("{} (tramgis)", info.name),
                qml: crate::render::qml::to_qml(&style, info.schema.geometry_type),
                sld: String::new(),
                use_as_default: true,
                description: "Kiểu hiển thị mặc định của tramgis".into(),
            },
        )?;
    }
    Ok(())
}

/// Generates parcels in memory (for benchmarks that time the writing alone).
pub fn parcels_in_memory(count: usize) -> Result<Vec<Feature>> {
    let mut l = layout()?;
    let boundary = boundary_vertices(&l, count);
    add_boundary_vertices(&mut l.province, &boundary);
    let mut out = Vec::with_capacity(count);
    each_parcel(&l, count, &boundary, |f| {
        out.push(f);
        Ok::<(), GpkgError>(())
    })?;
    Ok(out)
}
