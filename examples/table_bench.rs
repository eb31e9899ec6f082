//! The attribute table of a large layer, in a window driven headlessly:
//! the time from opening the table to its first rows shown, then frames
//! while jumping through the rows (each frame scrolls `JUMP` rows on, a
//! hard case: no row on screen was read before). Reports each frame's
//! time and how long a jump's rows take to show. With `--old-path`, also
//! times what a frame did before on the UI thread whenever it met a block
//! of rows not read yet: `attributes_of` for 200 fids at the same places.
//!
//! ```sh
//! cp /tmp/bench/1m.gpkg /tmp/t.gpkg
//! cargo run --release --example table_bench -- /tmp/t.gpkg thua_dat [--old-path]
//! ```

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use tramgis::gpkg::GeoPackage;
use tramgis::ui::i18n::Lang;
use tramgis::ui::panels::table::AttributeTable;

/// Rows scrolled on per frame while jumping.
const JUMP: usize = 9_973;
const JUMPS: usize = 60;

/// Another program holding an exclusive lock until its stdin closes.
const LOCK: &str = "import sqlite3, sys\n\
c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
c.execute('PRAGMA locking_mode = EXCLUSIVE')\n\
c.execute('BEGIN EXCLUSIVE')\n\
c.execute('SELECT count(*) FROM gpkg_contents').fetchone()\n\
print('locked', flush=True)\n\
sys.stdin.read()\n\
c.execute('COMMIT')\n";

fn all_read(t: &AttributeTable) -> bool {
    let screen = t.rows_on_screen();
    !t.is_reading()
        && !screen.is_empty()
        && t.row_fids()[screen]
            .iter()
            .all(|f| t.row_values(*f).is_some())
}

fn stats(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name}: {} samples, median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        v.len(),
        ms(v[v.len() / 2]),
        ms(v[v.len() * 95 / 100]),
        ms(*v.last().unwrap())
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let old_path = args.iter().any(|a| a == "--old-path");
    let mut args = args.into_iter().filter(|a| a != "--old-path");
    let path = std::path::PathBuf::from(args.next().expect("a workspace"));
    let layer = args.next().unwrap_or_else(|| "thua_dat".into());
    let info = GeoPackage::open_read_only(&path)
        .unwrap()
        .layer(&layer)
        .unwrap();

    let opened = Instant::now();
    let table = AttributeTable::new(path.clone(), info);
    let selected = BTreeSet::new();
    let mut fonts = false;
    let mut h = Harness::builder()
        .with_size([1200.0, 800.0])
        .build_ui_state(
            move |ui, table: &mut AttributeTable| {
                // Fonts apply from the next frame: the first only installs them.
                if !fonts {
                    tramgis::ui::install_fonts(ui.ctx());
                    fonts = true;
                    return;
                }
                table.show(ui.ctx(), Lang::Vi, &selected);
            },
            table,
        );
    let mut frames = Vec::new();
    let step = |h: &mut Harness<'_, AttributeTable>, frames: &mut Vec<Duration>| {
        let t = Instant::now();
        h.step();
        frames.push(t.elapsed());
    };
    while !all_read(h.state()) {
        step(&mut h, &mut frames);
        std::thread::sleep(Duration::from_millis(2));
    }
    let first = opened.elapsed();
    let rows = h.state().row_fids().len();
    println!(
        "{rows} rows: first rows shown {:.0} ms after opening ({} frames)",
        first.as_secs_f64() * 1000.0,
        frames.len()
    );
    stats("frames while opening", frames.clone());

    let mut jump_frames = Vec::new();
    let mut shown_after = Vec::new();
    let mut at = 0;
    for _ in 0..JUMPS {
        at = (at + JUMP) % rows.saturating_sub(50).max(1);
        h.state_mut().scroll_to_row(at);
        let jumped = Instant::now();
        step(&mut h, &mut jump_frames);
        while !all_read(h.state()) {
            step(&mut h, &mut jump_frames);
            std::thread::sleep(Duration::from_millis(1));
        }
        shown_after.push(jumped.elapsed());
    }
    stats("frames while jumping", jump_frames);
    stats("a jump's rows shown after", shown_after);

    if old_path {
        // What the old table did inside a frame at each new block.
        let gpkg = GeoPackage::open_read_only(&path).unwrap();
        let fids = h.state().row_fids().to_vec();
        let mut reads = Vec::new();
        let mut at = 0;
        for _ in 0..JUMPS {
            at = (at + JUMP) % rows.saturating_sub(50).max(1);
            let start = at - at % 200;
            let block = &fids[start..(start + 200).min(fids.len())];
            let t = Instant::now();
            let got = gpkg.attributes_of(&layer, block).unwrap();
            reads.push(t.elapsed());
            assert_eq!(got.len(), block.len());
        }
        stats("old path: a block read on the UI thread", reads);
        // While another program holds an exclusive lock: the old frame
        // waited in SQLite's busy handler; the table now keeps drawing.
        // (In WAL mode the lock can only be taken with no other
        // connection open.)
        drop(gpkg);
        let mut other = std::process::Command::new("/usr/bin/python3")
            .args(["-c", LOCK])
            .arg(&path)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(other.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        assert_eq!(line.trim(), "locked", "the other program holds the lock");
        let t = Instant::now();
        let refused = GeoPackage::open_read_only(&path)
            .and_then(|g| g.attributes_of(&layer, &fids[..200]))
            .is_err();
        println!(
            "old path under a lock: the frame waited {:.0} ms (refused: {refused})",
            t.elapsed().as_secs_f64() * 1000.0
        );
        let mut locked_frames = Vec::new();
        for _ in 0..10 {
            at = (at + JUMP) % rows.saturating_sub(50).max(1);
            h.state_mut().scroll_to_row(at);
            for _ in 0..5 {
                step(&mut h, &mut locked_frames);
            }
        }
        stats("new path under a lock: frames while jumping", locked_frames);
        drop(other.stdin.take());
        other.wait().unwrap();
    }
}
