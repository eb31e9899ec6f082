//! A damaged-file sweep: hundreds of copies of a workspace with random byte
//! runs overwritten, or cut short, each through the store's open, a full
//! read, `validate`, `info` and `render`. None may panic, crash or hang;
//! each failure is one message that names the file.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tramgis::gpkg::GeoPackage;
use tramgis::gpkg::validate::validate;

/// Copies made; one in `RENDER_EVERY` is also rendered (a render starts a
/// GPU device, which costs a second on lavapipe).
const COPIES: u64 = 300;
const RENDER_EVERY: u64 = 10;
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
    if n % 5 == 0 {
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

#[test]
fn hundreds_of_damaged_copies_give_messages_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let original_path = common::sample(dir.path(), 150);
    // One file, without its -wal, as a user would copy it.
    GeoPackage::open(&original_path)
        .unwrap()
        .checkpoint()
        .unwrap();
    let original = std::fs::read(&original_path).unwrap();
    let mut refused = 0;
    let mut failures = Vec::new();
    for n in 0..COPIES {
        let file: PathBuf = dir.path().join(format!("damaged-{n:03}.gpkg"));
        std::fs::write(&file, damage(&original, n)).unwrap();
        let f = file.to_str().unwrap();
        failures.extend(check_store(&file).err());
        // The store's writable open above may have rolled back a journal:
        // every command sees the same damaged bytes again.
        std::fs::write(&file, damage(&original, n)).unwrap();
        let png = dir.path().join(format!("damaged-{n:03}.png"));
        let mut commands = vec![vec!["info", f], vec!["validate", f]];
        if n % RENDER_EVERY == 0 {
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
        for command in commands {
            match run_with_timeout(&command, &file) {
                Ok(o) => {
                    if command[0] == "validate" && o.code == Some(1) {
                        refused += 1;
                    }
                    failures.extend(check_outcome(command[0], &file, &o).err());
                }
                Err(hang) => failures.push(hang),
            }
        }
        let _ = std::fs::remove_file(&file);
        for suffix in ["-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{f}{suffix}"));
        }
    }
    if binary() != Path::new(env!("CARGO_BIN_EXE_tramgis")) {
        let _ = std::fs::remove_file(binary());
    }
    assert!(
        failures.is_empty(),
        "{} failures in {COPIES} damaged copies; the first:\n{}",
        failures.len(),
        failures[..failures.len().min(8)].join("\n---\n")
    );
    // The sweep really damaged the files: most copies must fail validation.
    assert!(
        refused > COPIES / 2,
        "only {refused} of {COPIES} damaged copies were found faulty"
    );
}
