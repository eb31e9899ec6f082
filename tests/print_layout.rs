//! Printed maps of the bundled sample, checked with other programs:
//! poppler's pdftotext finds the Vietnamese title and every legend entry of
//! the categories in view (the set computed with ogr2ogr over the printed
//! extent), pdftoppm renders the page, and its pixels show the map in the
//! land-use colours, a swatch for every category in view and a scale bar
//! whose length matches its label and the map's scale.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use tramgis::jobs::Progress;
use tramgis::print::layout::sheet;
use tramgis::print::{self, Layout, Orientation, Paper, PrintError};

const LAYERS: &str = "ranh_gioi_xa,thua_dat,duong_giao_thong,tram_bts";

fn sample_copy(dir: &Path) -> PathBuf {
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/bac-giang-sample.gpkg");
    let copy = dir.join("sample.gpkg");
    std::fs::copy(&bundled, &copy).unwrap();
    copy
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn sqlite(db: &Path, sql: &str) -> String {
    run("sqlite3", &[db.to_str().unwrap(), sql])
        .trim()
        .to_string()
}

/// The commune with the most parcels (from the sqlite3 shell): its name
/// and the box of its parcels.
fn busiest_commune(db: &Path) -> (String, [f64; 4]) {
    let code = sqlite(
        db,
        "SELECT ma_xa FROM thua_dat GROUP BY ma_xa ORDER BY count(*) DESC, ma_xa LIMIT 1",
    );
    let name = sqlite(
        db,
        &format!("SELECT ten_xa FROM ranh_gioi_xa WHERE ma_xa = '{code}' LIMIT 1"),
    );
    let b = sqlite(
        db,
        &format!(
            "SELECT min(r.minx), min(r.miny), max(r.maxx), max(r.maxy) FROM rtree_thua_dat_geom r \
             JOIN thua_dat t ON t.fid = r.id WHERE t.ma_xa = '{code}'"
        ),
    );
    let v: Vec<f64> = b.split('|').map(|s| s.parse().unwrap()).collect();
    (name, [v[0], v[1], v[2], v[3]])
}

/// The distinct values of `field` among `layer`'s features that meet the
/// box, as GDAL's spatial filter finds them.
fn values_in_view(db: &Path, layer: &str, field: &str, e: [f64; 4]) -> BTreeSet<String> {
    let coords: Vec<String> = e.iter().map(|v| format!("{v}")).collect();
    let csv = run(
        "ogr2ogr",
        &[
            "-f",
            "CSV",
            "/vsistdout/",
            db.to_str().unwrap(),
            layer,
            "-select",
            field,
            "-spat",
            &coords[0],
            &coords[1],
            &coords[2],
            &coords[3],
        ],
    );
    csv.lines()
        .skip(1)
        .map(|l| l.trim().trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

/// code → (Vietnamese name, colour), read from the shipped CSV.
fn landuse_table() -> BTreeMap<String, (String, [u8; 3])> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/landuse_colours.csv"),
    )
    .unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let mut fields = Vec::new();
        let (mut cur, mut quoted) = (String::new(), false);
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            }
        }
        fields.push(cur);
        let n = |i: usize| fields[i].trim().parse::<u8>().unwrap();
        out.insert(
            fields[0].trim().to_string(),
            (fields[1].trim().to_string(), [n(2), n(3), n(4)]),
        );
    }
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A word pdftotext -bbox found: its box in points, y down.
#[derive(Debug, Clone)]
struct Word {
    text: String,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

fn words(pdf: &Path) -> Vec<Word> {
    let html = run("pdftotext", &["-bbox", pdf.to_str().unwrap(), "-"]);
    let attr = |line: &str, name: &str| -> f64 {
        let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let end = start + line[start..].find('"').unwrap();
        line[start..end].parse().unwrap()
    };
    html.lines()
        .filter(|l| l.trim_start().starts_with("<word"))
        .map(|l| {
            let text = l[l.find('>').unwrap() + 1..l.rfind("</word>").unwrap()].to_string();
            Word {
                text: text.replace("&amp;", "&"),
                x0: attr(l, "xMin"),
                y0: attr(l, "yMin"),
                x1: attr(l, "xMax"),
                y1: attr(l, "yMax"),
            }
        })
        .collect()
}

fn render_page(pdf: &Path, dpi: u32) -> image::RgbImage {
    let prefix = pdf.with_extension("");
    run(
        "pdftoppm",
        &[
            "-r",
            &dpi.to_string(),
            "-png",
            "-singlefile",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    image::open(prefix.with_extension("png")).unwrap().to_rgb8()
}

fn near(a: [u8; 3], b: [u8; 3], tol: i32) -> bool {
    (0..3).all(|i| (a[i] as i32 - b[i] as i32).abs() <= tol)
}

/// The pixels of `img` inside a box given in millimetres.
fn pixels_in(img: &image::RgbImage, dpi: f64, min: [f64; 2], max: [f64; 2]) -> Vec<[u8; 3]> {
    let px = |mm: f64| (mm / 25.4 * dpi).round() as u32;
    let mut out = Vec::new();
    for y in px(min[1])..px(max[1]).min(img.height()) {
        for x in px(min[0])..px(max[0]).min(img.width()) {
            out.push(img.get_pixel(x, y).0);
        }
    }
    out
}

/// "khung MINX,MINY,MAXX,MAXY" and "tỷ lệ 1:25 000" from the CLI's report.
fn reported(stdout: &str) -> ([f64; 4], f64) {
    let after = &stdout[stdout.find("khung ").unwrap() + 6..];
    let b: Vec<f64> = after
        .split_whitespace()
        .next()
        .unwrap()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    let s = &stdout[stdout.find("tỷ lệ 1:").unwrap() + "tỷ lệ 1:".len()..];
    let scale: String = s
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ' ')
        .collect();
    (
        [b[0], b[1], b[2], b[3]],
        scale.replace(' ', "").parse().unwrap(),
    )
}

#[test]
fn pdf_has_the_title_the_legend_in_view_the_map_and_a_true_scale_bar() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_copy(dir.path());
    let (commune, parcels) = busiest_commune(&db);
    let title = format!(
        "Bản đồ hiện trạng sử dụng đất {}",
        commune.replacen("Xã ", "xã ", 1)
    );
    let pdf = dir.path().join("map.pdf");
    let extent = parcels.map(|v| v.to_string()).join(",");
    let stdout = run(
        env!("CARGO_BIN_EXE_tramgis"),
        &[
            "print",
            db.to_str().unwrap(),
            "--out",
            pdf.to_str().unwrap(),
            "--paper",
            "A4",
            "--title",
            &title,
            "--extent",
            &extent,
            "--layers",
            LAYERS,
            "--source",
            "Sở Tài nguyên và Môi trường tỉnh Bắc Giang",
        ],
    );
    let (frame, scale) = reported(&stdout);
    // The frame shows at least what was asked for.
    assert!(frame[0] <= parcels[0] && frame[1] <= parcels[1]);
    assert!(frame[2] >= parcels[2] && frame[3] >= parcels[3]);

    // Searchable text: the title and every legend entry of what is in view.
    let text = one_line(&run("pdftotext", &[pdf.to_str().unwrap(), "-"]));
    assert!(text.contains(&title), "title '{title}' not in: {text}");
    assert!(
        text.contains("CHÚ GIẢI") && text.contains("Sở Tài nguyên và Môi trường tỉnh Bắc Giang")
    );
    let table = landuse_table();
    let codes = values_in_view(&db, "thua_dat", "ma_loai_dat", frame);
    assert!(
        codes.len() >= 3,
        "too few land-use codes in view: {codes:?}"
    );
    for code in &codes {
        let label = format!("{code} – {}", table[code].0);
        assert!(
            text.contains(&label),
            "legend entry '{label}' not in: {text}"
        );
    }
    // Only the categories in view.
    for code in table.keys().filter(|c| !codes.contains(*c)) {
        assert!(
            !text.contains(&format!("{code} – ")),
            "{code} is not in view but in the legend"
        );
    }
    for operator in values_in_view(&db, "tram_bts", "nha_mang", frame) {
        assert!(
            text.contains(&operator),
            "operator {operator} not in the legend"
        );
    }

    // The page as pdftoppm draws it.
    let dpi = 150.0;
    let img = render_page(&pdf, 150);
    let s = sheet(Paper::A4, Orientation::Portrait, None);
    // pdftoppm rounds the page's 1240.2 × 1753.9 pixels up or down.
    assert!(img.width().abs_diff(1240) <= 1 && img.height().abs_diff(1754) <= 1);
    let map = pixels_in(&img, dpi, s.map.min, s.map.max);
    let colours: Vec<[u8; 3]> = codes.iter().map(|c| table[c].1).collect();
    let coloured = map
        .iter()
        .filter(|p| colours.iter().any(|c| near(**p, *c, 3)))
        .count();
    assert!(
        coloured * 20 > map.len(),
        "only {coloured} of {} map pixels in land-use colours",
        map.len()
    );
    let legend = pixels_in(&img, dpi, s.legend.min, s.legend.max);
    for (code, c) in codes.iter().zip(&colours) {
        assert!(
            legend.iter().filter(|p| near(**p, *c, 2)).count() >= 20,
            "no swatch of {code} {c:?} in the legend"
        );
    }

    // The scale: the ratio printed is the one reported, and grid labels
    // sit as far apart on paper as the ratio says.
    assert!(text.contains(&format!("Tỷ lệ 1:{}", grouped(scale))));
    let words = words(&pdf);
    let pt = 25.4 / 72.0;
    let top_labels: Vec<&Word> = words
        .iter()
        .filter(|w| w.text.len() == 6 && w.text.chars().all(|c| c.is_ascii_digit()))
        .filter(|w| w.y1 * pt < s.map.min[1])
        .collect();
    assert!(
        top_labels.len() >= 2,
        "grid labels above the map: {top_labels:?}"
    );
    let (a, b) = (top_labels[0], top_labels[1]);
    let metres = (b.text.parse::<f64>().unwrap() - a.text.parse::<f64>().unwrap()).abs();
    let mm = ((b.x0 + b.x1) / 2.0 - (a.x0 + a.x1) / 2.0).abs() * pt;
    let expected = metres / scale * 1000.0;
    assert!(
        (mm - expected).abs() / expected < 0.01,
        "grid: {mm} mm for {metres} m at 1:{scale}"
    );

    // The scale bar: "0" starts the row of its labels in the information
    // block, the last number ends it, the unit follows.
    let info = |w: &&Word| s.info.contains([w.x0 * pt, w.y0 * pt]);
    let zero = words
        .iter()
        .filter(info)
        .find(|w| w.text == "0")
        .expect("the scale bar's 0");
    let row: Vec<&Word> = words
        .iter()
        .filter(info)
        .filter(|w| (w.y0 - zero.y0).abs() < 0.5)
        .collect();
    let last = row.iter().max_by(|a, b| a.x0.total_cmp(&b.x0)).unwrap();
    let unit = words
        .iter()
        .filter(info)
        .find(|w| (w.text == "km" || w.text == "m") && w.x0 > last.x1)
        .expect("the scale bar's unit");
    let value: f64 = last.text.replace(',', ".").parse().unwrap();
    let bar_metres = if unit.text == "km" {
        value * 1000.0
    } else {
        value
    };
    let expected_mm = bar_metres / scale * 1000.0;
    // Measure the bar: the row of the page below the labels with the most
    // dark pixels, from its first dark pixel to its last.
    let to_px = |p: f64| (p / 72.0 * dpi).round() as i64;
    let (x_lo, x_hi) = (to_px(zero.x0) - 20, to_px(unit.x0));
    let mut best = (0, 0, 0);
    for y in to_px(zero.y1)..to_px(zero.y1) + 25 {
        let dark: Vec<i64> = (x_lo..x_hi)
            .filter(|&x| {
                let p = img.get_pixel(x as u32, y as u32).0;
                (p[0] as u32 + p[1] as u32 + p[2] as u32) < 200
            })
            .collect();
        if dark.len() > best.0 {
            best = (dark.len(), dark[0], *dark.last().unwrap());
        }
    }
    let measured_mm = (best.2 - best.1 + 1) as f64 / dpi * 25.4;
    assert!(
        (measured_mm - expected_mm).abs() / expected_mm < 0.01,
        "scale bar {measured_mm:.2} mm, its label {bar_metres} m at 1:{scale} is {expected_mm:.2} mm"
    );
}

fn grouped(n: f64) -> String {
    let d = format!("{}", n as i64);
    let mut out = String::new();
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn layout(db: &Path) -> Layout {
    let (_, parcels) = busiest_commune(db);
    Layout {
        extent: Some(geo_types::Rect::new(
            (parcels[0], parcels[1]),
            (parcels[2], parcels[3]),
        )),
        layers: Some(LAYERS.split(',').map(str::to_string).collect()),
        ..Layout::new(db)
    }
}

#[test]
fn png_at_300_dpi_has_the_paper_size_and_shows_the_map() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_copy(dir.path());
    let png = dir.path().join("map.png");
    let done = print::export(&layout(&db), &png, &Progress::default()).unwrap();
    let img = image::open(&png).unwrap().to_rgb8();
    assert_eq!((img.width(), img.height()), (2480, 3508));
    assert_eq!(done.pixels, Some((2480, 3508)));
    let s = sheet(Paper::A4, Orientation::Portrait, None);
    let table = landuse_table();
    let in_legend: Vec<[u8; 3]> = done
        .composed
        .legend
        .iter()
        .flat_map(|g| &g.entries)
        .filter_map(|e| e.value.as_ref().and_then(|v| table.get(v)))
        .map(|(_, c)| *c)
        .collect();
    assert!(!in_legend.is_empty());
    let map = pixels_in(&img, 300.0, s.map.min, s.map.max);
    let coloured = map
        .iter()
        .filter(|p| in_legend.iter().any(|c| near(**p, *c, 3)))
        .count();
    assert!(coloured * 20 > map.len(), "{coloured} of {}", map.len());
    // The title's ink: dark pixels in the title band.
    let title = pixels_in(&img, 300.0, s.title.min, s.title.max);
    assert!(title.iter().filter(|p| p[0] < 100).count() > 5_000);
}

#[test]
fn a0_landscape_prints_to_pdf_and_png() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_copy(dir.path());
    let mut l = layout(&db);
    l.paper = Paper::A0;
    l.orientation = Orientation::Landscape;
    l.dpi = 40.0;
    l.extent = None;
    let pdf = dir.path().join("a0.pdf");
    let done = print::export(&l, &pdf, &Progress::default()).unwrap();
    let info = one_line(&run("pdfinfo", &[pdf.to_str().unwrap()]));
    // 1189 × 841 mm in points.
    assert!(info.contains("Page size: 3370.39 x 2383.94 pts"), "{info}");
    assert!(done.bytes < 8_000_000, "{} bytes", done.bytes);
    let text = one_line(&run("pdftotext", &[pdf.to_str().unwrap(), "-"]));
    assert!(text.contains("Bản đồ hiện trạng sử dụng đất"), "{text}");
    let png = dir.path().join("a0.png");
    print::export(&l, &png, &Progress::default()).unwrap();
    let img = image::open(&png).unwrap();
    assert_eq!((img.width(), img.height()), (1872, 1324));
    // The print panel's preview: the same sheet, small.
    let (w, h, rgba) = print::preview(&l, 20.0, &Progress::default()).unwrap();
    assert_eq!((w, h), (936, 662));
    assert_eq!(rgba.len(), (w * h * 4) as usize);
    assert!(rgba.chunks_exact(4).any(|p| p[0] < 100 && p[3] == 255));
}

#[test]
fn cancelled_print_writes_nothing_and_bad_input_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_copy(dir.path());
    let progress = Progress::default();
    progress.cancel();
    let pdf = dir.path().join("never.pdf");
    let err = print::export(&layout(&db), &pdf, &progress).unwrap_err();
    assert!(matches!(err, PrintError::Cancelled), "{err}");
    assert!(!pdf.exists());

    let err = print::export(
        &layout(&db),
        &dir.path().join("map.svg"),
        &Progress::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("map.svg"), "{err}");

    let out = Command::new(env!("CARGO_BIN_EXE_tramgis"))
        .args(["print", db.to_str().unwrap(), "--out"])
        .arg(dir.path().join("x.pdf"))
        .args(["--layers", "thua_dat,khong_co"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("khong_co"), "{err}");
}
