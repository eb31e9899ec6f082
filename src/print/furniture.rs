//! What surrounds the map on the sheet: title, legend, scale, scale bar,
//! north arrow, the coordinate grid with its labels, source and date.

use crate::render::Rgba;
use crate::render::legend::{LegendEntry, SwatchKind};
use crate::render::style::Shape;

use super::font::font;
use super::layout::{Area, grouped, nice_below, nice_step};
use super::map::{MapView, symbol};
use super::page::{Anchor, Item, Mm, Page, PathItem, TextItem};

const BLACK: Rgba = [0, 0, 0, 255];
const WHITE: Rgba = [255, 255, 255, 255];

/// A layer's part of the legend: its title over its entries (a
/// single-symbol layer is one entry labelled with its title, no heading).
#[derive(Debug, Clone, PartialEq)]
pub struct LegendGroup {
    pub title: Option<String>,
    pub entries: Vec<LegendEntry>,
}

/// Text of em size `size` that fits `width`: `size`, or smaller.
fn fit(text: &str, size: f64, width: f64) -> f64 {
    let w = font().width(text, 1.0);
    if w <= 0.0 { size } else { size.min(width / w) }
}

fn text(page: &mut Page, text: &str, at: Mm, size: f64, anchor: Anchor, angle: f64) {
    page.items.push(Item::Text(TextItem {
        text: text.to_string(),
        at,
        size,
        color: BLACK,
        anchor,
        angle,
    }));
}

/// The title, centred in its band.
pub fn title(page: &mut Page, area: Area, title: &str, u: f64) {
    let size = fit(title, 6.5 * u, area.width() * 0.95);
    let at = [
        (area.min[0] + area.max[0]) / 2.0,
        area.min[1] + area.height() * 0.5 + size * 0.36,
    ];
    text(page, title, at, size, Anchor::Center, 0.0);
}

/// The neat line around the sheet and the rules between its parts.
pub fn borders(page: &mut Page, neatline: Area, title: Area, panel_rule: [Mm; 2], u: f64) {
    page.rect(neatline.min, neatline.max, None, Some((BLACK, 0.5 * u)));
    page.line(
        vec![
            [neatline.min[0], title.max[1]],
            [neatline.max[0], title.max[1]],
        ],
        BLACK,
        0.25 * u,
    );
    page.line(panel_rule.to_vec(), BLACK, 0.25 * u);
}

enum Row<'a> {
    Heading(&'a str),
    Entry(&'a LegendEntry),
}

/// The legend: "CHÚ GIẢI" over the groups, flowed down columns; the
/// number of columns is the one that lets the text be largest.
pub fn legend(page: &mut Page, area: Area, groups: &[LegendGroup], u: f64) {
    let head = 3.4 * u;
    text(
        page,
        "CHÚ GIẢI",
        [(area.min[0] + area.max[0]) / 2.0, area.min[1] + head],
        head,
        Anchor::Center,
        0.0,
    );
    let mut rows = Vec::new();
    for g in groups {
        if let Some(t) = &g.title {
            rows.push(Row::Heading(t));
        }
        rows.extend(g.entries.iter().map(Row::Entry));
    }
    if rows.is_empty() {
        return;
    }
    let top = area.min[1] + head * 1.8;
    let avail_h = area.max[1] - top;
    // Sizes in em: a row is 1.9 em high; a swatch 2.4 × 1.3 em, then a gap.
    let (row_em, sw_w, sw_h, gap) = (1.9, 2.4, 1.3, 0.7);
    let widest = |rows: &[Row]| {
        rows.iter()
            .map(|r| match r {
                Row::Heading(t) => font().width(t, 1.05),
                Row::Entry(e) => sw_w + gap + font().width(&e.label, 1.0),
            })
            .fold(0.0, f64::max)
    };
    let base = 2.3 * u;
    let mut best = (0.0, 1);
    for cols in 1..=4usize {
        let per_col = rows.len().div_ceil(cols);
        let col_w = area.width() / cols as f64;
        let col_gap = 2.0 * u;
        let by_height = avail_h / (per_col as f64 * row_em);
        let by_width = (col_w - col_gap) / widest(&rows).max(1e-6);
        let f = base.min(by_height).min(by_width);
        if f > best.0 * 1.0001 {
            best = (f, cols);
        }
    }
    let (f, cols) = best;
    let per_col = rows.len().div_ceil(cols);
    let col_w = area.width() / cols as f64;
    for (i, row) in rows.iter().enumerate() {
        let (c, r) = (i / per_col, i % per_col);
        let x = area.min[0] + c as f64 * col_w;
        let y = top + r as f64 * row_em * f;
        match row {
            Row::Heading(t) => text(page, t, [x, y + f * 1.05], f * 1.05, Anchor::Left, 0.0),
            Row::Entry(e) => {
                let (min, max) = ([x, y + 0.2 * f], [x + sw_w * f, y + (0.2 + sw_h) * f]);
                swatch(page, e, min, max, u);
                text(
                    page,
                    &e.label,
                    [max[0] + gap * f, y + 1.25 * f],
                    f,
                    Anchor::Left,
                    0.0,
                );
            }
        }
    }
}

fn swatch(page: &mut Page, e: &LegendEntry, min: Mm, max: Mm, u: f64) {
    match e.kind {
        SwatchKind::Fill => page.rect(
            min,
            max,
            (e.fill[3] > 0).then_some(e.fill),
            Some((e.stroke, 0.15 * u)),
        ),
        SwatchKind::Line => {
            let y = (min[1] + max[1]) / 2.0;
            page.line(vec![[min[0], y], [max[0], y]], e.stroke, 0.5 * u);
        }
        SwatchKind::Point => {
            let c = [(min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0];
            page.path(PathItem {
                parts: vec![symbol(Shape::Circle, c, (max[1] - min[1]) * 0.45)],
                closed: true,
                fill: Some(e.fill),
                stroke: Some((e.stroke, 0.15 * u)),
            });
        }
    }
}

/// The scale bar's length in metres for a bar at most `max_mm` long.
pub fn scale_bar_length(scale: f64, max_mm: f64) -> f64 {
    nice_below(max_mm * scale / 1000.0)
}

/// "0,5" km or "500" m: a length as the scale bar labels it.
pub fn bar_label(metres: f64, km: bool) -> String {
    let v = if km { metres / 1000.0 } else { metres };
    let s = if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    };
    s.replace('.', ",")
}

/// North arrow, the scale as a ratio, the scale bar and the lines of the
/// source block, top to bottom in `area`.
pub fn info(page: &mut Page, area: Area, view: &MapView, lines: &[String], u: f64) {
    // North arrow at the top right: black and white halves, "B" (Bắc) above.
    let cx = area.max[0] - 5.0 * u;
    let tip = [cx, area.min[1] + 5.0 * u];
    let (half, len) = (2.6 * u, 10.0 * u);
    let left = [cx - half, tip[1] + len];
    let right = [cx + half, tip[1] + len];
    let notch = [cx, tip[1] + len * 0.72];
    let outline = Some((BLACK, 0.15 * u));
    page.path(PathItem {
        parts: vec![vec![tip, left, notch]],
        closed: true,
        fill: Some(BLACK),
        stroke: outline,
    });
    page.path(PathItem {
        parts: vec![vec![tip, notch, right]],
        closed: true,
        fill: Some(WHITE),
        stroke: outline,
    });
    text(
        page,
        "B",
        [cx, tip[1] - 0.8 * u],
        3.2 * u,
        Anchor::Center,
        0.0,
    );

    let ratio = format!("Tỷ lệ 1:{}", grouped(view.scale));
    let ratio_size = fit(&ratio, 3.4 * u, area.width() - 14.0 * u);
    text(
        page,
        &ratio,
        [area.min[0], area.min[1] + 7.0 * u],
        ratio_size,
        Anchor::Left,
        0.0,
    );

    // The scale bar: four segments, black and white, labelled at 0, the
    // middle and the end; the unit after the end.
    let unit_size = 2.3 * u;
    let max_mm = area.width() - font().width(" km", unit_size) - 4.0 * u;
    let metres = scale_bar_length(view.scale, max_mm);
    let bar_mm = metres / view.scale * 1000.0;
    let km = metres >= 1000.0;
    let x0 = area.min[0] + 1.5 * u;
    let y0 = area.min[1] + 20.0 * u;
    let h = 1.6 * u;
    for i in 0..4 {
        let a = x0 + bar_mm * i as f64 / 4.0;
        let b = x0 + bar_mm * (i + 1) as f64 / 4.0;
        let fill = if i % 2 == 0 { BLACK } else { WHITE };
        page.rect([a, y0], [b, y0 + h], Some(fill), Some((BLACK, 0.1 * u)));
    }
    for (i, m) in [0.0, metres / 2.0, metres].into_iter().enumerate() {
        let x = x0 + bar_mm * i as f64 / 2.0;
        text(
            page,
            &bar_label(m, km),
            [x, y0 - 1.0 * u],
            unit_size,
            Anchor::Center,
            0.0,
        );
    }
    text(
        page,
        if km { "km" } else { "m" },
        [x0 + bar_mm + 1.5 * u, y0 + h],
        unit_size,
        Anchor::Left,
        0.0,
    );

    let line_size = 2.2 * u;
    let mut y = y0 + h + 7.0 * u;
    for l in lines {
        let size = fit(l, line_size, area.width());
        text(page, l, [area.min[0], y], size, Anchor::Left, 0.0);
        y += line_size * 1.6;
    }
}

/// The grid interval for a map: about five lines along its longer side.
pub fn grid_interval(view: &MapView) -> f64 {
    let (w, h) = (view.extent.width(), view.extent.height());
    nice_step(w.max(h) / 6.0)
}

/// The coordinate grid: lines across the map (to draw inside its clip).
pub fn grid_lines(page: &mut Page, view: &MapView, interval: f64, u: f64) {
    let (a, b) = (view.extent.min(), view.extent.max());
    let mut parts = Vec::new();
    for x in steps(a.x, b.x, interval) {
        parts.push(vec![view.to_paper(x, a.y), view.to_paper(x, b.y)]);
    }
    for y in steps(a.y, b.y, interval) {
        parts.push(vec![view.to_paper(a.x, y), view.to_paper(b.x, y)]);
    }
    page.path(PathItem {
        parts,
        closed: false,
        fill: None,
        stroke: Some(([30, 30, 30, 170], 0.12 * u)),
    });
}

/// The frame around the map, the grid's ticks outside it and their
/// coordinate labels (eastings above and below, northings beside, turned).
pub fn frame_and_labels(page: &mut Page, view: &MapView, interval: f64, u: f64) {
    let f = view.frame;
    page.rect(f.min, f.max, None, Some((BLACK, 0.35 * u)));
    let (a, b) = (view.extent.min(), view.extent.max());
    let size = 2.1 * u;
    let tick = 1.5 * u;
    let keep_clear = size * 2.5;
    let mut ticks = Vec::new();
    for x in steps(a.x, b.x, interval) {
        let px = view.to_paper(x, a.y)[0];
        ticks.push(vec![[px, f.min[1]], [px, f.min[1] - tick]]);
        ticks.push(vec![[px, f.max[1]], [px, f.max[1] + tick]]);
        if px - f.min[0] < keep_clear || f.max[0] - px < keep_clear {
            continue;
        }
        let label = format!("{}", x.round() as i64);
        text(
            page,
            &label,
            [px, f.min[1] - tick - 0.8 * u],
            size,
            Anchor::Center,
            0.0,
        );
        text(
            page,
            &label,
            [px, f.max[1] + tick + 0.8 * u + size * 0.75],
            size,
            Anchor::Center,
            0.0,
        );
    }
    for y in steps(a.y, b.y, interval) {
        let py = view.to_paper(a.x, y)[1];
        ticks.push(vec![[f.min[0], py], [f.min[0] - tick, py]]);
        ticks.push(vec![[f.max[0], py], [f.max[0] + tick, py]]);
        if py - f.min[1] < keep_clear || f.max[1] - py < keep_clear {
            continue;
        }
        let label = format!("{}", y.round() as i64);
        text(
            page,
            &label,
            [f.min[0] - tick - 0.8 * u, py],
            size,
            Anchor::Center,
            90.0,
        );
        text(
            page,
            &label,
            [f.max[0] + tick + 0.8 * u + size * 0.75, py],
            size,
            Anchor::Center,
            90.0,
        );
    }
    page.path(PathItem {
        parts: ticks,
        closed: false,
        fill: None,
        stroke: Some((BLACK, 0.2 * u)),
    });
}

/// The multiples of `step` strictly inside (lo, hi).
fn steps(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let mut v = Vec::new();
    let mut k = (lo / step).floor() + 1.0;
    while k * step < hi {
        v.push(k * step);
        k += 1.0;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_bar_is_a_round_length_that_fits() {
        // 60 mm at 1:25 000 is 1 500 m: the bar is 1 km, 40 mm.
        assert_eq!(scale_bar_length(25_000.0, 60.0), 1_000.0);
        assert_eq!(scale_bar_length(10_000.0, 60.0), 500.0);
        assert_eq!(bar_label(500.0, true), "0,5");
        assert_eq!(bar_label(2_000.0, true), "2");
        assert_eq!(bar_label(250.0, false), "250");
        assert_eq!(steps(0.5, 3.0, 1.0), vec![1.0, 2.0]);
        assert_eq!(steps(1.0, 3.0, 1.0), vec![2.0]);
    }
}
