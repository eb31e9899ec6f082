//! A damaged-file sweep: hundreds of copies of a workspace, and of a file
//! GDAL and the sqlite3 shell wrote (a PolygonZ layer with an unclosed
//! ring, curve layers, a view, an attribute table), with random byte runs
//! overwritten, or cut short, each through the store's open, a full read,
//! `validate`, `info`, `render` and `export`. None may panic, crash or
//! hang; each failure is one message that names the file.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tramgis::gpkg::GeoPackage;
use tramgis::gpkg::validate::validate;

/// Copies made of the sample workspace and of the foreign file; one in
/// `RENDER_EVERY` is also rendered (a render starts a GPU device, which
/// costs a second on lavapipe), one in `EXPORT_EVERY` exported.
const SAMPLE_COPIES: u64 = 200;
const FOREIGN_COPIES: u64 = 100;
const RENDER_EVERY: u64 = 10;
const EXPORT_EVERY: u64 = 5;

/// GDAL writes a PolygonZ layer (its ring not closed, as ogr2ogr keeps WKT),
/// curve layers and an attribute table; the sqlite3 shell adds a view.
const FOREIGN: &str = r#"
n = range(40)
layer('polygons_z', ogr.wkbPolygon25D, [
    'POLYGON Z ((%d 0 1,%d 0 2,%d 10 3,%d 10 4))' % (20 * i, 20 * i + 10, 20 * i + 10, 20 * i)
    for i in n])
layer('arcs', ogr.wkbCircularString, [
    'CIRCULARSTRING(%d 0,%d 50,%d 0)' % (200 * i, 200 * i + 50, 200 * i + 100) for i in n])
layer('curvepolygons', ogr.wkbCurvePolygon, [
    'CURVEPOLYGON(CIRCULARSTRING(%d 0,%d 0,%d 0))' % (300 * i, 300 * i + 100, 300 * i)
    for i in n])
owners = ds.CreateLayer('owners', geom_type=ogr.wkbNone)
owners.CreateField(ogr.FieldDefn('owner', ogr.OFTString))
for i in n:
    f = ogr.Feature(owners.GetLayerDefn())
    f.SetField('owner', 'Nguyễn Văn %d' % i)
    owners.CreateFeature(f)
ds = None
"#;
const FOREIGN_VIEW: &str = "
CREATE VIEW polygons_view AS SELECT fid, geom, name FROM polygons_z;
INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
  VALUES ('polygons_view', 'features', 'polygons_view', 9214);
INSERT INTO gpkg_geometry_columns
  VALUES ('polygons_view', 'geom', 'POLYGON', 9214, 1, 0);
";
const FOREIGN_LAYERS: [&str; 5] = [
    "polygons_z",
    "arcs",
    "curvepolygons",
    "polygons_view",
    "owners",
];

/// The foreign file, made by GDAL's Python bindings and the sqlite3 shell.
fn foreign_file(dir: &Path) -> PathBuf {
    let path = dir.join("foreign.gpkg");
    let script = dir.join("foreign.py");
    std::fs::write(&script, common::gdal_script("Thửa %s %d", FOREIGN)).unwrap();
    let args = [script.to_str().unwrap(), path.to_str().unwrap()];
    common::run_ok("/usr/bin/python3", &args, "");
    common::run_ok("sqlite3", &[path.to_str().unwrap()], FOREIGN_VIEW);
    path
}
/// Longer than any of these commands takes on a sound file: past it the
/// command is taken to hang.
const HANG: Duration = Duration::from_secs(60);

/// A small deterministic generator (xorshift64*), so a failing copy can be
/// made again from its number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Damage number `n`: a cut at a random length, or one to four runs of
/// random bytes at random places (a third of the runs within the first
/// pages, where SQLite's header, schema and the GeoPackage tables live).
fn damage(original: &[u8], n: u64) -> Vec<u8> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (n + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
    let mut bytes = original.to_vec();
    if n.is_multiple_of(5) {
        bytes.truncate(rng.below(original.len() as u64) as usize);
        return bytes;
    }
    for _ in 0..1 + rng.below(4) {
        let region = if rng.below(3) == 0 {
            (64 * 1024).min(bytes.len() as u64)
        } else {
            bytes.len() as u64
        };
        let at = rng.below(region) as usize;
        let len = (1 + rng.below(64) as usize).min(bytes.len() - at);
        for b in &mut bytes[at..at + len] {
            *b = rng.next() as u8;
        }
    }
    bytes
}

/// What a command did with one damaged copy.
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// The binary under test, hard-linked aside so that a rebuild of the
/// workspace's binary during the sweep (another cargo command) cannot pull
/// it away between runs.
fn binary() -> &'static Path {
    static BINARY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BINARY.get_or_init(|| {
        let built = PathBuf::from(env!("CARGO_BIN_EXE_tramgis"));
        let aside =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("tramgis-{}", std::process::id()));
        let _ = std::fs::remove_file(&aside);
        match std::fs::hard_link(&built, &aside) {
            Ok(()) => aside,
            Err(_) => built,
        }
    })
}

fn run_with_timeout(args: &[&str], file: &Path) -> Result<Outcome, String> {
    let mut child = Command::new(binary())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the tramgis binary runs");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "tramgis {} hangs on {} (killed after {HANG:?})",
                args.join(" "),
                file.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    Ok(Outcome {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Exit 0, or 1 with a message naming the file; never a signal or a panic
/// (Rust's exit code 101).
fn check_outcome(command: &str, file: &Path, o: &Outcome) -> Result<(), String> {
    let name = file.file_name().unwrap().to_str().unwrap();
    let said = format!("{}{}", o.stdout, o.stderr);
    if said.contains("panicked") {
        return Err(format!(
            "tramgis {command} panicked on {}:\n{}",
            file.display(),
            o.stderr
        ));
    }
    match o.code {
        Some(0) => Ok(()),
        Some(1) if said.contains(name) => Ok(()),
        Some(1) => Err(format!(
            "tramgis {command} failed on {} without naming it:\n{said}",
            file.display()
        )),
        other => Err(format!(
            "tramgis {command} on {} ended with {other:?} (a crash or a panic):\n{}",
            file.display(),
            o.stderr
        )),
    }
}

/// The store in this process: opening (read-only and for writing), listing
/// and reading every layer, validating give errors, never a panic; an error
/// names the file.
fn check_store(file: &Path) -> Result<(), String> {
    let name = file.file_name().unwrap().to_str().unwrap().to_string();
    let mut unnamed = Vec::new();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut named = |e: String| {
            if !e.contains(&name) {
                unnamed.push(e);
            }
        };
        match GeoPackage::open_read_only(file) {
            Ok(gpkg) => match gpkg.layers() {
                Ok(layers) => {
                    for layer in layers {
                        if let Err(e) = gpkg.all_features(&layer.name) {
                            named(e.to_string());
                        }
                    }
                }
                Err(e) => named(e.to_string()),
            },
            Err(e) => named(e.to_string()),
        }
        if let Err(e) = validate(file) {
            named(e.to_string());
        }
        if let Err(e) = GeoPackage::open(file) {
            named(e.to_string());
        }
    }));
    if result.is_err() {
        return Err(format!("the store panicked on {}", file.display()));
    }
    match unnamed.first() {
        Some(e) => Err(format!(
            "an error about {} does not name it: {e}",
            file.display()
        )),
        None => Ok(()),
    }
}

/// What a sweep of one file's copies found.
#[derive(Default)]
struct Sweep {
    failures: Vec<String>,
    /// Copies that `validate` refused.
    refused: u64,
}

/// Damages `copies` copies of `original`, numbered from `first`, and runs
/// each through the store and the commands; one in `EXPORT_EVERY` exports
/// one of `layers` (each in turn) to GeoJSON.
fn sweep(dir: &Path, original: &[u8], first: u64, copies: u64, layers: &[&str], out: &mut Sweep) {
    for n in first..first + copies {
        let file: PathBuf = dir.join(format!("damaged-{n:03}.gpkg"));
        std::fs::write(&file, damage(original, n)).unwrap();
        let f = file.to_str().unwrap();
        out.failures.extend(check_store(&file).err());
        // The store's writable open above may have rolled back a journal:
        // every command sees the same damaged bytes again.
        std::fs::write(&file, damage(original, n)).unwrap();
        let png = dir.join(format!("damaged-{n:03}.png"));
        let geojson = dir.join(format!("damaged-{n:03}.geojson"));
        let mut commands = vec![vec!["info", f], vec!["validate", f]];
        if n.is_multiple_of(RENDER_EVERY) {
            commands.push(vec![
                "render",
                f,
                "--size",
                "200x150",
                "--no-labels",
                "--out",
                png.to_str().unwrap(),
            ]);
        }
        if n % EXPORT_EVERY == 1 {
            let layer = layers[(n / EXPORT_EVERY) as usize % layers.len()];
            commands.push(vec![
                "export",
                f,
                "--layer",
                layer,
                "--out",
                geojson.to_str().unwrap(),
            ]);
        }
        for command in commands {
            match run_with_timeout(&command, &file) {
                Ok(o) => {
                    if command[0] == "validate" && o.code == Some(1) {
                        out.refused += 1;
                    }
                    out.failures
                        .extend(check_outcome(command[0], &file, &o).err());
                }
                Err(hang) => out.failures.push(hang),
            }
        }
        let _ = std::fs::remove_file(&file);
        let _ = std::fs::remove_file(&png);
        let _ = std::fs::remove_file(&geojson);
        for suffix in ["-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{f}{suffix}"));
        }
    }
}

#[test]
fn hundreds_of_damaged_copies_give_messages_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let sample_path = common::sample(dir.path(), 150);
    // One file, without its -wal, as a user would copy it.
    GeoPackage::open(&sample_path)
        .unwrap()
        .checkpoint()
        .unwrap();
    let sample = std::fs::read(&sample_path).unwrap();
    let foreign_path = foreign_file(dir.path());
    // The foreign file is sound: every layer is read and exported.
    for layer in FOREIGN_LAYERS {
        let geojson = dir.path().join(format!("{layer}.geojson"));
        let command = [
            "export",
            foreign_path.to_str().unwrap(),
            "--layer",
            layer,
            "--out",
            geojson.to_str().unwrap(),
        ];
        let o = run_with_timeout(&command, &foreign_path).unwrap();
        assert_eq!(o.code, Some(0), "export {layer}: {}", o.stderr);
    }
    let foreign = std::fs::read(&foreign_path).unwrap();
    let sample_layers = ["thua_dat", "duong_giao_thong", "thon_xom"];
    let mut found = [Sweep::default(), Sweep::default()];
    sweep(
        dir.path(),
        &sample,
        0,
        SAMPLE_COPIES,
        &sample_layers,
        &mut found[0],
    );
    sweep(
        dir.path(),
        &foreign,
        SAMPLE_COPIES,
        FOREIGN_COPIES,
        &FOREIGN_LAYERS,
        &mut found[1],
    );
    if binary() != Path::new(env!("CARGO_BIN_EXE_tramgis")) {
        let _ = std::fs::remove_file(binary());
    }
    let failures: Vec<&String> = found.iter().flat_map(|s| &s.failures).collect();
    let copies = SAMPLE_COPIES + FOREIGN_COPIES;
    assert!(
        failures.is_empty(),
        "{} failures in {copies} damaged copies; the first:\n{}",
        failures.len(),
        failures[..failures.len().min(8)]
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join("\n---\n")
    );
    // The sweep really damaged the files: most copies of the sample, and
    // a third of the small foreign file's (half of it was refused when
    // this was written: damage to slack space and SRS text is harmless),
    // must fail validation.
    for (sweep, (name, copies, share)) in found
        .iter()
        .zip([("sample", SAMPLE_COPIES, 2), ("foreign", FOREIGN_COPIES, 3)])
    {
        assert!(
            sweep.refused > copies / share,
            "only {} of {copies} damaged copies of the {name} file were found faulty",
            sweep.refused
        );
    }
}
