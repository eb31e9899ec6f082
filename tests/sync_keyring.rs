//! A remote's secret in a real Secret Service: a private D-Bus session bus
//! with GNOME Keyring (unlocked headless by a password on its standard
//! input) in a throw-away HOME. The `tramgis` binary runs as a child with
//! that bus in its environment; `secret-tool` (libsecret) reads back what
//! it kept, and a loopback listener records the Authorization header that
//! `tramgis sync checkout` sends. Without a keyring (no bus, a bus without
//! a Secret Service, a socket that never answers) the secret is asked for
//! again, within the keyring's 2 s.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tramgis::gpkg::GeoPackage;

/// A session bus of our own whose config names no service directories,
/// so nothing on the machine is started by D-Bus activation behind our back.
struct Bus {
    daemon: Child,
    address: String,
}

impl Bus {
    fn start(dir: &Path) -> Bus {
        let config = dir.join("session.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                dir.join("bus").display()
            ),
        )
        .unwrap();
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            // As root it says it cannot raise its fd limit; harmless here.
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (package dbus-daemon, installed by packaging/install-deps.sh)");
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_string();
        assert!(address.starts_with("unix:"), "dbus-daemon said {address:?}");
        Bus { daemon, address }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// GNOME Keyring's Secret Service on a [`Bus`], its login keyring created
/// and unlocked with a password given on standard input.
struct Keyring {
    daemon: Child,
    home: PathBuf,
    bus: Bus,
}

impl Keyring {
    fn start(dir: &Path) -> Keyring {
        let bus = Bus::start(dir);
        let home = dir.join("home");
        std::fs::create_dir_all(&home).unwrap();
        let mut command = Command::new("gnome-keyring-daemon");
        command
            .args(["--foreground", "--unlock", "--components=secrets"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        session_env(&mut command, &home, &bus.address);
        let mut daemon = command.spawn().expect(
            "gnome-keyring-daemon (package gnome-keyring, installed by packaging/install-deps.sh)",
        );
        // The keyring's password; EOF ends it.
        daemon
            .stdin
            .take()
            .unwrap()
            .write_all(b"mat-khau-keyring")
            .unwrap();
        let keyring = Keyring { daemon, home, bus };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !keyring.serves_secrets() {
            assert!(
                Instant::now() < deadline,
                "gnome-keyring-daemon did not take org.freedesktop.secrets within 20 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        keyring
    }

    fn serves_secrets(&self) -> bool {
        let out = Command::new("dbus-send")
            .args([
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus.address)
            .output()
            .expect("dbus-send (package dbus-bin)");
        String::from_utf8_lossy(&out.stdout).contains("boolean true")
    }

    /// What libsecret's own client finds for these attributes.
    fn lookup(&self, attributes: &[&str]) -> Option<String> {
        let mut command = Command::new("secret-tool");
        command.arg("lookup").args(attributes);
        session_env(&mut command, &self.home, &self.bus.address);
        let out = command
            .output()
            .expect("secret-tool (package libsecret-tools)");
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap())
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// A desktop session's environment for a child: its HOME, XDG dirs and
/// bus; no secret in the environment and no display for prompts.
fn session_env(command: &mut Command, home: &Path, bus: &str) {
    let run = home.join("run");
    std::fs::create_dir_all(&run).unwrap();
    command
        .env("HOME", home)
        .env("XDG_RUNTIME_DIR", &run)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("TRAMGIS_SYNC_PASSWORD")
        .env_remove("TRAMGIS_SYNC_TOKEN");
}

/// Runs `tramgis` in that session with `stdin` piped in (or none).
fn tramgis(
    home: &Path,
    bus: &str,
    args: &[&str],
    stdin: Option<&str>,
    env: &[(&str, &str)],
) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tramgis"));
    command
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    session_env(&mut command, home, bus);
    command.envs(env.iter().copied());
    let mut child = command.spawn().unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    // A hang (a keyring waited for without a deadline) fails the test
    // rather than stalling CI.
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("tramgis {args:?} still ran after 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Listens on loopback and records each request's Authorization header,
/// answering 401 (the portal refusing is all the test needs to see what
/// was offered to it).
struct Portal {
    url: String,
    seen: Arc<Mutex<Vec<Option<String>>>>,
}

impl Portal {
    fn start() -> Portal {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/ogc", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(100) {
                let Ok(mut stream) = stream else { continue };
                stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let auth = head.lines().find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("authorization")
                        .then(|| value.trim().to_string())
                });
                log.lock().unwrap().push(auth);
                let _ = stream.write_all(
                    b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        Portal { url, seen }
    }

    fn last(&self) -> Option<String> {
        self.seen.lock().unwrap().last().cloned().flatten()
    }

    fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

/// `Basic base64(user:password)`, by coreutils' base64 rather than ours.
fn basic(user: &str, password: &str) -> String {
    let mut child = Command::new("base64")
        .arg("-w0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{user}:{password}").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    format!("Basic {}", String::from_utf8(out.stdout).unwrap())
}

fn workspace(dir: &Path) -> PathBuf {
    let path = dir.join("workspace.gpkg");
    GeoPackage::create(&path).unwrap();
    path
}

/// The workspace and any SQLite side files beside it, as bytes.
fn workspace_bytes(path: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-journal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if let Ok(b) = std::fs::read(&file) {
            bytes.extend(b);
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_secret_kept_in_the_keyring_is_used_by_sync_and_never_written_to_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = Keyring::start(dir.path());
    let (home, bus) = (keyring.home.clone(), keyring.bus.address.clone());
    let portal = Portal::start();
    let ws = workspace(dir.path());
    let ws = ws.to_str().unwrap();
    let run = |args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]| {
        tramgis(&home, &bus, args, stdin, env)
    };
    let password = "mật-khẩu Ω 42";

    // Asked once (here on a pipe) and kept; the protocol given, so
    // adding talks to no server.
    let added = run(
        &[
            "sync",
            "remote",
            "add",
            ws,
            "portal",
            &portal.url,
            "--protocol",
            "ogcapi-features",
            "--user",
            "canbo",
            "--save-secret",
        ],
        Some(&format!("{password}\n")),
        &[],
    );
    assert!(added.status.success(), "{}", text(&added));
    assert_eq!(
        keyring
            .lookup(&[
                "application",
                "tramgis",
                "url",
                &portal.url,
                "user",
                "canbo"
            ])
            .as_deref(),
        Some(password),
        "libsecret reads back what tramgis kept"
    );

    // A later session is not asked (no terminal, no variable): the
    // keyring's password goes to the portal.
    let checkout = run(&["sync", "checkout", ws, "portal", "thua_dat"], None, &[]);
    assert!(
        portal.requests() > 0,
        "no request reached the portal: {}",
        text(&checkout)
    );
    assert_eq!(
        portal.last(),
        Some(basic("canbo", password)),
        "{}",
        text(&checkout)
    );

    // The environment comes first.
    let checkout = run(
        &["sync", "checkout", ws, "portal", "thua_dat"],
        None,
        &[("TRAMGIS_SYNC_PASSWORD", "from-the-environment")],
    );
    assert_eq!(
        portal.last(),
        Some(basic("canbo", "from-the-environment")),
        "{}",
        text(&checkout)
    );

    let bytes = workspace_bytes(Path::new(ws));
    assert!(bytes.len() > 1000, "the workspace was read");
    assert!(
        !contains(&bytes, password.as_bytes()),
        "the password is in the workspace"
    );
    assert!(
        !contains(&bytes, basic("canbo", password).as_bytes()),
        "the Authorization header is in the workspace"
    );

    // logout forgets it: the next session has to ask, and without a
    // terminal says how to give it.
    let logout = run(&["sync", "logout", ws, "portal"], None, &[]);
    assert!(logout.status.success(), "{}", text(&logout));
    assert_eq!(
        keyring.lookup(&[
            "application",
            "tramgis",
            "url",
            &portal.url,
            "user",
            "canbo"
        ]),
        None
    );
    let before = portal.requests();
    let asked = run(&["sync", "checkout", ws, "portal", "thua_dat"], None, &[]);
    assert!(!asked.status.success());
    assert!(
        String::from_utf8_lossy(&asked.stderr).contains("TRAMGIS_SYNC_PASSWORD"),
        "{}",
        text(&asked)
    );
    assert_eq!(
        portal.requests(),
        before,
        "nothing was sent without a secret"
    );

    // A bearer token is a separate entry (kind=token, no user); login
    // keeps it, and removing the remote deletes it from the keyring.
    let token_remote = run(
        &[
            "sync",
            "remote",
            "add",
            ws,
            "tram",
            &portal.url,
            "--protocol",
            "ogcapi-features",
            "--bearer",
        ],
        None,
        &[],
    );
    assert!(token_remote.status.success(), "{}", text(&token_remote));
    let login = run(&["sync", "login", ws, "tram"], Some("tok-123\n"), &[]);
    assert!(login.status.success(), "{}", text(&login));
    let token = [
        "application",
        "tramgis",
        "kind",
        "token",
        "url",
        &portal.url,
    ];
    assert_eq!(keyring.lookup(&token).as_deref(), Some("tok-123"));
    run(&["sync", "checkout", ws, "tram", "thua_dat"], None, &[]);
    assert_eq!(portal.last().as_deref(), Some("Bearer tok-123"));
    let removed = run(&["sync", "remote", "remove", ws, "tram"], None, &[]);
    assert!(removed.status.success(), "{}", text(&removed));
    assert_eq!(
        keyring.lookup(&token),
        None,
        "remote remove left the token in the keyring"
    );
}

/// Runs a checkout that needs a password against `bus`; it must fall back
/// to asking (and, without a terminal, say how) within the keyring's 2 s
/// plus the program's start, saying nothing about D-Bus.
fn falls_back_quickly(dir: &Path, bus: &str) -> Duration {
    let home = dir.join("home");
    let ws = workspace(dir);
    let ws = ws.to_str().unwrap();
    let added = tramgis(
        &home,
        bus,
        &[
            "sync",
            "remote",
            "add",
            ws,
            "portal",
            "http://127.0.0.1:9/ogc",
            "--protocol",
            "ogcapi-features",
            "--user",
            "canbo",
        ],
        None,
        &[],
    );
    assert!(added.status.success(), "{}", text(&added));
    let started = Instant::now();
    let out = tramgis(
        &home,
        bus,
        &["sync", "checkout", ws, "portal", "x"],
        None,
        &[],
    );
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("needs a secret"), "{}", text(&out));
    assert!(
        !stderr.contains("zbus") && !stderr.contains("Secret Service"),
        "noise about the keyring: {stderr}"
    );
    assert!(took < Duration::from_secs(5), "fell back after {took:?}");

    // Keeping a secret where there is no keyring is a clear error.
    let login = tramgis(
        &home,
        bus,
        &["sync", "login", ws, "portal"],
        Some("pw\n"),
        &[],
    );
    assert!(!login.status.success());
    assert!(
        String::from_utf8_lossy(&login.stderr).contains("no OS keyring"),
        "{}",
        text(&login)
    );
    took
}

#[test]
fn without_a_bus_the_secret_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let bus = format!("unix:path={}", dir.path().join("no-bus").display());
    falls_back_quickly(dir.path(), &bus);
}

#[test]
fn on_a_bus_without_a_secret_service_the_secret_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let bus = Bus::start(dir.path());
    falls_back_quickly(dir.path(), &bus.address.clone());
}

#[test]
fn a_bus_that_never_answers_costs_two_seconds_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("silent");
    // Connections queue in the backlog and are never read: D-Bus's
    // handshake waits forever for an answer.
    let _silent = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let took = falls_back_quickly(dir.path(), &format!("unix:path={}", path.display()));
    // It was the keyring's deadline that ended the wait, not a refusal.
    assert!(
        took >= Duration::from_millis(1900),
        "gave up after {took:?}"
    );
}
