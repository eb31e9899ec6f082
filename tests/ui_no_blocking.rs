//! A frame never waits on the store: while another program holds an
//! exclusive lock on the workspace, the user opens the attribute table,
//! scrolls it, opens a feature's form and the style editor and classifies,
//! and every frame still returns at once; when the lock is let go, the
//! rows, the form's values and the classes arrive.
#![cfg(feature = "gui")]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use tramgis::gpkg::{GeoPackage, GpkgError, OpenOptions};
use tramgis::ui::AppCommand;
use tramgis::ui::panels::table::PLACEHOLDER;

use common::ui::{State, harness};

/// The longest a frame may take (debug build, software rasteriser, a
/// shared machine): well under what a user feels as a freeze, and far
/// under the 250 ms one try of a locked read waits.
const FRAME_LIMIT: Duration = Duration::from_millis(100);

/// Another program (Python's sqlite3, as QGIS would through SQLite) holding
/// an exclusive lock on the file until told to let go.
struct OtherProgram {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl OtherProgram {
    fn lock(path: &std::path::Path) -> Self {
        let script = "import sqlite3, sys\n\
             c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
             c.execute('PRAGMA locking_mode = EXCLUSIVE')\n\
             c.execute('BEGIN EXCLUSIVE')\n\
             c.execute('SELECT count(*) FROM gpkg_contents').fetchone()\n\
             print('locked', flush=True)\n\
             sys.stdin.read()\n\
             c.execute('COMMIT')\n\
             c.close()\n";
        let mut child = Command::new("/usr/bin/python3")
            .args(["-c", script])
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "locked", "the other program holds the lock");
        let stdin = child.stdin.take();
        OtherProgram { child, stdin }
    }

    fn release(mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"done\n");
        }
        assert!(self.child.wait().unwrap().success());
    }
}

impl Drop for OtherProgram {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The time this thread has spent runnable but waiting for a CPU
/// (`/proc/thread-self/schedstat`, second field): on a shared 2-core
/// machine other programs' work stretches a frame by that much. A frame
/// that waits on a lock sleeps and is not on the run queue, so that wait
/// is still counted against the frame.
fn run_queue_wait() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns = stat
        .split_whitespace()
        .nth(1)
        .and_then(|f| f.parse().ok())
        .unwrap_or(0);
    Duration::from_nanos(ns)
}

/// Each frame: what the user did, its wall time, and that less the time
/// the frame stood in the CPU queue behind other programs.
#[derive(Default)]
struct Frames(Vec<(String, Duration, Duration)>);

impl Frames {
    fn step(&mut self, h: &mut Harness<'static, State>, what: &str) {
        let (start, queued) = (Instant::now(), run_queue_wait());
        h.step();
        let wall = start.elapsed();
        let own = wall.saturating_sub(run_queue_wait().saturating_sub(queued));
        self.0.push((what.to_string(), wall, own));
    }

    fn steps(&mut self, h: &mut Harness<'static, State>, what: &str, n: usize) {
        for _ in 0..n {
            self.step(h, what);
        }
    }

    /// Steps until `done` (a frame every 20 ms), at most 20 s.
    fn until(
        &mut self,
        h: &mut Harness<'static, State>,
        what: &str,
        done: impl Fn(&mut Harness<'static, State>) -> bool,
    ) {
        let start = Instant::now();
        while !done(h) {
            assert!(start.elapsed() < Duration::from_secs(20), "{what}: never");
            self.step(h, what);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every frame took under the limit of its own time (the longest wall
    /// time is printed: it depends on what else the machine runs).
    fn check(&self) {
        let slow: Vec<_> = self
            .0
            .iter()
            .filter(|(_, _, own)| *own >= FRAME_LIMIT)
            .collect();
        let longest = self.0.iter().map(|f| f.1).max().unwrap_or_default();
        eprintln!("{} frames, the longest {longest:?} (wall)", self.0.len());
        assert!(
            slow.is_empty(),
            "frames over {FRAME_LIMIT:?} of {}: {slow:?}",
            self.0.len()
        );
    }
}

fn wheel(h: &mut Harness<'static, State>, at: egui::Pos2, dy: f32) {
    h.hover_at(at);
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, dy),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers: egui::Modifiers::NONE,
    });
}

/// Whether the first table has read every row on screen.
fn rows_shown(h: &mut Harness<'static, State>) -> bool {
    h.state().0.tables.first().is_some_and(all_read)
}

fn all_read(table: &tramgis::ui::panels::table::AttributeTable) -> bool {
    let screen = table.rows_on_screen();
    !table.is_reading()
        && !screen.is_empty()
        && table.row_fids()[screen]
            .iter()
            .all(|f| table.row_values(*f).is_some())
}

#[test]
fn frames_never_wait_for_a_workspace_another_program_has_locked() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 600);
    let (fid, values) = {
        let gpkg = GeoPackage::open_read_only(&path).unwrap();
        let fids = gpkg.fids_where("thua_dat", None, None).unwrap();
        let fid = fids[fids.len() / 2];
        let f = gpkg.get_feature("thua_dat", fid).unwrap().unwrap();
        (fid, f.values)
    };
    let mut h = harness(path.clone());
    h.state_mut().0.set_label_field("thua_dat", None);
    h.state_mut().0.finish_loading();
    h.run_steps(3);

    let mut frames = Frames::default();
    // The table opens on its first rows.
    h.state_mut()
        .0
        .send(AppCommand::OpenTable("thua_dat".into()));
    frames.until(&mut h, "the first rows", rows_shown);

    let other = OtherProgram::lock(&path);
    // The lock is real: a reader of our own is refused.
    let quick = OpenOptions {
        read_only: true,
        busy_timeout: Duration::from_millis(100),
        ..OpenOptions::default()
    };
    let refused =
        GeoPackage::open_with(&path, &quick).and_then(|g| g.count_features("thua_dat", None));
    assert!(
        matches!(refused, Err(GpkgError::Locked { .. })),
        "{refused:?}"
    );

    // Scrolled down, the rows there wait for the lock and show "…".
    let header = h.get_by_label("dien_tich").rect();
    // Past the rows read around the first screen (20 px a row).
    for _ in 0..8 {
        wheel(&mut h, header.center() + egui::vec2(0.0, 120.0), -1000.0);
        frames.steps(&mut h, "scroll the table", 2);
    }
    let screen = h.state().0.tables[0].rows_on_screen();
    assert!(screen.start > 0, "the wheel scrolled the table: {screen:?}");
    assert!(h.state().0.tables[0].is_reading());
    assert!(h.query_all_by_label(PLACEHOLDER).next().is_some());
    // A table opened now waits for its row order.
    h.state_mut()
        .0
        .send(AppCommand::OpenTable("tram_bts".into()));
    frames.steps(&mut h, "open a second table", 3);
    assert!(h.state().0.tables[1].is_reading());
    assert!(h.state().0.tables[1].row_fids().is_empty());
    h.state_mut().0.send(AppCommand::OpenAttributeForm {
        layer: "thua_dat".into(),
        fid: Some(fid),
    });
    frames.steps(&mut h, "open the form", 3);
    h.get_by_label(tramgis::ui::panels::attribute_form::LOADING);
    assert!(h.state_mut().0.attribute_form_mut().unwrap().is_loading());
    // The towers' style (a short legend, by operator).
    h.state_mut()
        .0
        .send(AppCommand::OpenStyleEditor("tram_bts".into()));
    frames.steps(&mut h, "open the style editor", 3);
    if h.query_by_label("Phân loại").is_none() {
        h.get_by_label("Theo trường (phân loại, phân cấp)").click();
        frames.steps(&mut h, "colour by field", 2);
    }
    let classify = h.get_by_label("Phân loại").rect();
    h.get_by_label("Phân loại").click();
    frames.steps(&mut h, "classify", 3);
    // The style editor's Apply (the table has one for its filter): the
    // one below Classify.
    h.query_all_by_label("Áp dụng")
        .filter(|n| n.rect().top() > classify.top())
        .min_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
        .expect("the style editor's Apply")
        .click();
    frames.steps(&mut h, "apply the style", 3);
    // Nothing could be read while the lock is held.
    assert!(h.state_mut().0.attribute_form_mut().unwrap().is_loading());
    let held = Instant::now();
    frames.steps(&mut h, "while locked", 10);
    assert!(
        held.elapsed() < Duration::from_secs(2),
        "frames kept coming"
    );

    other.release();
    frames.until(&mut h, "the rows arrive", rows_shown);
    frames.until(&mut h, "the form fills", |h| {
        !h.state_mut().0.attribute_form_mut().unwrap().is_loading()
    });
    frames.until(&mut h, "the second table's rows", |h| {
        let t = &h.state().0.tables[1];
        !t.is_reading() && !t.row_fids().is_empty()
    });
    // The classes were made once the lock went, and the style applied
    // and saved (through the write queue) while the frames went on.
    let ours = |path: &std::path::Path| {
        GeoPackage::open_read_only(path)
            .unwrap()
            .default_style("tram_bts")
            .unwrap()
            .is_some_and(|s| s.description.starts_with("tramgis, "))
    };
    frames.until(&mut h, "the style is saved", |_| ours(&path));
    // The wheel's scrolling may still glide on, and the restyled layer's
    // reload refreshes its table: every row on screen is read in the end.
    frames.until(&mut h, "the rows settle", |h| {
        !h.state().0.is_loading() && h.state().0.tables.iter().all(all_read)
    });
    frames.steps(&mut h, "after the reads", 3);
    frames.check();

    // The table scrolled away from the top, and its cells show the values.
    let table = &h.state().0.tables[0];
    let screen = table.rows_on_screen();
    assert!(screen.start > 0, "still scrolled down: {screen:?}");
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let first = table.row_fids()[screen.start + 1];
    let area = gpkg.get_feature("thua_dat", first).unwrap().unwrap().values[1].to_string();
    assert_eq!(table.row_values(first).unwrap()[1].to_string(), area);
    assert!(h.query_all_by_label(&area).next().is_some(), "{area} shown");
    assert!(
        h.query_all_by_label(PLACEHOLDER).next().is_none(),
        "no cell is left waiting"
    );
    // The form holds the feature's values.
    let form = h.state_mut().0.attribute_form_mut().unwrap();
    let texts: Vec<String> = values.iter().map(ToString::to_string).collect();
    assert_eq!(form.texts, texts);
}
