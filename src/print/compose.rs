//! A layout made into one display list: the workspace's layers read in
//! the printed extent, the legend from what is in view, the furniture.

use std::ops::ControlFlow;

use geo::Contains;
use geo_types::{Geometry, Point, Rect};

use crate::crs::{Crs, PRESETS, Transformer, VN2000_TM3_107};
use crate::gpkg::{GeoPackage, LayerInfo, Query};
use crate::jobs::Progress;
use crate::model::GeometryType;
use crate::render::legend::{LegendEntry, entries};
use crate::render::{LayerStyle, Symbology, map_crs, scene};

use super::furniture::{self, LegendGroup};
use super::layout::{Layout, Sheet, sheet, today};
use super::map::{MapView, Present, draw_layer};
use super::page::{Item, Page};
use super::{PrintError, Result};

/// A composed sheet and what it was made from.
#[derive(Debug, Clone)]
pub struct Composed {
    pub page: Page,
    pub sheet: Sheet,
    pub view: MapView,
    pub map_crs: Crs,
    /// The legend as printed: the visible layers' entries in view.
    pub legend: Vec<LegendGroup>,
    pub grid_interval: f64,
    pub title: String,
}

/// Reads the layout's workspace and lays out the sheet.
pub fn compose(layout: &Layout, progress: &Progress) -> Result<Composed> {
    let gpkg = GeoPackage::open_read_only(&layout.workspace)?;
    let layers: Vec<LayerInfo> = scene::pick_layers(&gpkg, layout.layers.as_deref())
        .map_err(PrintError::Render)?
        .into_iter()
        .filter(|l| !l.is_attributes())
        .collect();
    if layers.is_empty() {
        return Err(PrintError::NoLayers {
            path: layout.workspace.clone(),
        });
    }
    let map_crs = layout
        .map_crs
        .clone()
        .unwrap_or_else(|| map_crs::choose(&gpkg, &layers, &Crs::Epsg(VN2000_TM3_107)));
    if map_crs.is_geographic() {
        return Err(PrintError::Geographic {
            crs: map_crs.label(),
        });
    }
    let mut styles = scene::stored_styles(&gpkg, &layers);
    for (name, style) in &layout.styles {
        if let Some(i) = layers.iter().position(|l| &l.name == name) {
            styles[i] = style.clone();
        }
    }
    let wanted = match layout.extent {
        Some(e) => e,
        None => layers_extent(&gpkg, &layers, &map_crs)?.ok_or_else(|| PrintError::NoLayers {
            path: layout.workspace.clone(),
        })?,
    };
    let sheet = sheet(layout.paper, layout.orientation, layout.margin_mm);
    let u = sheet.unit;
    let view = MapView::fit(wanted, sheet.map, layout.scale);
    let title = match &layout.title {
        Some(t) => t.clone(),
        None => default_title(&gpkg, &layers, &map_crs, wanted)?,
    };
    let mut page = Page {
        width_mm: sheet.width,
        height_mm: sheet.height,
        items: Vec::new(),
        title: title.clone(),
    };

    let mut total = 0;
    for l in &layers {
        total += gpkg.count_features(&l.name, None)?;
    }
    progress.set_total(total);
    page.items
        .push(Item::BeginClip(view.frame.min, view.frame.max));
    let mut legend = Vec::new();
    for (info, style) in layers.iter().zip(&styles) {
        let present = draw_layer(
            &gpkg,
            info,
            style,
            &map_crs,
            &view,
            layout.simplify_mm,
            u,
            &mut page,
            progress,
        )?;
        if let Some(group) = legend_group(info, style, &present) {
            legend.push(group);
        }
    }
    let grid_interval = furniture::grid_interval(&view);
    furniture::grid_lines(&mut page, &view, grid_interval, u);
    page.items.push(Item::EndClip);
    furniture::frame_and_labels(&mut page, &view, grid_interval, u);

    furniture::title(&mut page, sheet.title, &title, u);
    // The legend reads top-down with the layers drawn on top first.
    legend.reverse();
    furniture::legend(&mut page, sheet.legend, &legend, u);
    let source = layout.source.clone().unwrap_or_else(|| {
        layout
            .workspace
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    });
    let lines = vec![
        format!("Nguồn: {source}"),
        format!("Hệ tọa độ: {}", crs_name(&map_crs)),
        format!("Lưới tọa độ: {} m", super::layout::grouped(grid_interval)),
        format!("Ngày in: {}", layout.date.clone().unwrap_or_else(today)),
    ];
    furniture::info(&mut page, sheet.info, &view, &lines, u);
    let rule = match layout.orientation {
        super::Orientation::Portrait => [
            [sheet.neatline.min[0], sheet.legend.min[1] - 3.0 * u],
            [sheet.neatline.max[0], sheet.legend.min[1] - 3.0 * u],
        ],
        super::Orientation::Landscape => [
            [sheet.legend.min[0] - 3.0 * u, sheet.title.max[1]],
            [sheet.legend.min[0] - 3.0 * u, sheet.neatline.max[1]],
        ],
    };
    furniture::borders(&mut page, sheet.neatline, sheet.title, rule, u);
    Ok(Composed {
        page,
        sheet,
        view,
        map_crs,
        legend,
        grid_interval,
        title,
    })
}

/// "VN-2000 / TM-3 107-00 (EPSG:9214)".
fn crs_name(crs: &Crs) -> String {
    match crs
        .epsg()
        .and_then(|c| PRESETS.iter().find(|p| p.epsg == c))
    {
        Some(p) => format!("{} (EPSG:{})", p.label, p.epsg),
        None => crs.label(),
    }
}

/// A layer's legend: its style's entries that features in view use (and
/// "Khác" for values the style does not list); None when nothing of the
/// layer is in view.
pub fn legend_group(
    info: &LayerInfo,
    style: &LayerStyle,
    present: &Present,
) -> Option<LegendGroup> {
    if present.features == 0 {
        return None;
    }
    let all = entries(style, info);
    let layer_title = info
        .meta
        .title_vi
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| info.name.clone());
    let mut shown: Vec<LegendEntry> = match &style.symbology {
        Symbology::Single(_) => {
            return Some(LegendGroup {
                title: None,
                entries: all,
            });
        }
        Symbology::Categorized { .. } => all
            .into_iter()
            .filter(|e| e.value.as_ref().is_some_and(|v| present.values.contains(v)))
            .collect(),
        Symbology::Graduated { .. } => all
            .into_iter()
            .enumerate()
            .filter(|(i, _)| present.classes.contains(i))
            .map(|(_, e)| e)
            .collect(),
    };
    if present.other {
        let other = match &style.symbology {
            Symbology::Categorized { other, .. } | Symbology::Graduated { other, .. } => *other,
            Symbology::Single(c) => *c,
        };
        let mut e = entries(
            &LayerStyle {
                symbology: Symbology::Single(other),
                ..style.clone()
            },
            info,
        )
        .remove(0);
        e.label = "Khác".into();
        e.value = None;
        shown.push(e);
    }
    Some(LegendGroup {
        title: Some(layer_title),
        entries: shown,
    })
}

/// The layers' extent in the map CRS.
fn layers_extent(
    gpkg: &GeoPackage,
    layers: &[LayerInfo],
    map_crs: &Crs,
) -> Result<Option<Rect<f64>>> {
    let mut out = None;
    for l in layers {
        let Some(e) = l.extent.or(gpkg.compute_extent(l)?) else {
            continue;
        };
        let t = Transformer::between(&l.crs, map_crs).map_err(|source| PrintError::Crs {
            layer: l.name.clone(),
            source,
        })?;
        for c in [
            e.min(),
            e.max(),
            (e.min().x, e.max().y).into(),
            (e.max().x, e.min().y).into(),
        ] {
            let c = t.transform(c).map_err(|source| PrintError::Crs {
                layer: l.name.clone(),
                source,
            })?;
            out = Some(crate::gpkg::geom::union(out, Rect::new(c, c)));
        }
    }
    Ok(out)
}

/// "Bản đồ hiện trạng sử dụng đất xã Tân Sỏi": the commune under the
/// centre of the area asked for, from a polygon layer with a `ten_xa`
/// field in the map CRS, when the commune is a good part of that area (a
/// map of a whole district is not titled after one of its communes).
pub fn default_title(
    gpkg: &GeoPackage,
    layers: &[LayerInfo],
    map_crs: &Crs,
    wanted: Rect<f64>,
) -> Result<String> {
    let base = "Bản đồ hiện trạng sử dụng đất";
    let centre = wanted.center();
    let candidates = gpkg.layers()?;
    let communes = layers.iter().chain(&candidates).find(|l| {
        l.schema.field_index("ten_xa").is_some()
            && &l.crs == map_crs
            && matches!(
                l.schema.geometry_type.linear(),
                GeometryType::Polygon | GeometryType::MultiPolygon
            )
    });
    let Some(info) = communes else {
        return Ok(base.to_string());
    };
    let index = info.schema.field_index("ten_xa").unwrap_or(0);
    let mut name = None;
    let p = Point::from(centre);
    gpkg.read_features(
        &info.name,
        &Query::bbox(centre.x, centre.y, centre.x, centre.y),
        |f| {
            let inside = match &f.geometry {
                Some(Geometry::Polygon(g)) => g.contains(&p),
                Some(Geometry::MultiPolygon(g)) => g.contains(&p),
                _ => false,
            };
            let big_enough = f
                .geometry
                .as_ref()
                .and_then(crate::gpkg::geom::bounds)
                .is_some_and(|b| b.width() * b.height() >= 0.25 * wanted.width() * wanted.height());
            if inside {
                name = f
                    .values
                    .get(index)
                    .filter(|_| big_enough)
                    .and_then(|v| v.as_str())
                    .map(str::to_string);
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        },
    )?;
    Ok(match name {
        Some(n) => format!("{base} {}", commune_phrase(&n)),
        None => base.to_string(),
    })
}

/// "Xã Tân Sỏi" → "xã Tân Sỏi"; a bare name becomes "xã <name>".
fn commune_phrase(name: &str) -> String {
    for kind in ["Xã ", "Phường ", "Thị trấn "] {
        if let Some(rest) = name.strip_prefix(kind) {
            return format!("{} {rest}", kind.trim().to_lowercase());
        }
    }
    format!("xã {name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commune_names_read_in_a_title() {
        assert_eq!(commune_phrase("Xã Tân Sỏi"), "xã Tân Sỏi");
        assert_eq!(commune_phrase("Phường Hương Lộc"), "phường Hương Lộc");
        assert_eq!(commune_phrase("Thị trấn Nhã Nam"), "thị trấn Nhã Nam");
        assert_eq!(commune_phrase("Đồng Lạc"), "xã Đồng Lạc");
    }
}
