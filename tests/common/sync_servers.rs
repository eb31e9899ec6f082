//! Real sync targets on loopback for the sync tests (issue 11): a
//! throw-away PostgreSQL/PostGIS cluster with the tables `bts` and
//! `thua_dat` (EPSG:9214), pygeoapi (OGC API - Features, Part 4) and
//! QGIS Server (WFS-T, and its OGC API at /wfs3) on them, started by
//! tests/sync_servers/start.sh. A test whose servers cannot start fails:
//! it never skips.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};

const SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sync_servers");

/// How pygeoapi is served. QGIS Server's front compresses either way.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Front {
    /// gunicorn alone: answers uncompressed, one connection per request.
    /// The fault tests cut and garble at byte offsets of the body as sent
    /// and count connections.
    Bare,
    /// As a province's portal serves it behind nginx, and as the link test
    /// runs it: compressed (`server.gzip: true`), connections kept alive.
    Portal,
}

pub struct SyncServers {
    dir: tempfile::TempDir,
    /// servers.env: PGHOST, PGPORT, PGUSER, PGDATABASE and the URLs.
    env: HashMap<String, String>,
}

impl SyncServers {
    /// Starts a set of servers of its own, stopped when dropped (and, should
    /// the test process die first, by start.sh's watchdog).
    pub fn start(front: Front) -> SyncServers {
        SyncServers::start_with(front, None)
    }

    /// Servers whose database had `server_sql` (the DDL of `tramgis sync
    /// server-sql`) applied before pygeoapi started, as an administrator
    /// prepares a portal for cheap pulls.
    pub fn start_prepared(front: Front, server_sql: &str) -> SyncServers {
        SyncServers::start_with(front, Some(server_sql))
    }

    fn start_with(front: Front, server_sql: Option<&str>) -> SyncServers {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let portal = matches!(front, Front::Portal);
        let mut command = Command::new("bash");
        command
            .arg(Path::new(SCRIPTS).join("start.sh"))
            .arg(dir.path())
            .arg(std::process::id().to_string())
            .env("PYGEOAPI_GZIP", portal.to_string())
            .env("PYGEOAPI_KEEPALIVE_S", if portal { "5" } else { "0" });
        if let Some(sql) = server_sql {
            let file = dir.path().join("server-sql.sql");
            std::fs::write(&file, sql).expect("the DDL is written");
            command.env("SYNC_SERVER_SQL", file);
        }
        let out = command
            .output()
            .unwrap_or_else(|e| panic!("cannot run bash for tests/sync_servers/start.sh: {e}"));
        assert!(
            out.status.success(),
            "the sync servers did not start ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(dir.path().join("servers.env"))
            .expect("start.sh wrote servers.env");
        let env = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SyncServers { dir, env }
    }

    /// A value of servers.env, e.g. `PGPORT`.
    pub fn var(&self, key: &str) -> &str {
        self.env
            .get(key)
            .unwrap_or_else(|| panic!("servers.env has no {key}"))
    }

    /// pygeoapi's root, `http://127.0.0.1:PORT`.
    pub fn ogcapi_url(&self) -> &str {
        self.var("OGCAPI_URL")
    }

    /// QGIS Server's WFS endpoint, `http://127.0.0.1:PORT/ows/`.
    pub fn wfs_url(&self) -> &str {
        self.var("WFS_URL")
    }

    /// QGIS Server's OGC API - Features root, `http://127.0.0.1:PORT/wfs3`.
    pub fn wfs3_url(&self) -> &str {
        self.var("WFS3_URL")
    }

    /// Runs `sql` in the database `tramgis`; returns what psql prints
    /// (unaligned, tuples only, no command tags) without its last newline.
    /// Panics on any error.
    pub fn psql(&self, sql: &str) -> String {
        let out = Command::new("psql")
            .args([
                "-X",
                "-qAt",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                "tramgis",
                "-c",
                sql,
            ])
            .envs(&self.env)
            .output()
            .unwrap_or_else(|e| panic!("cannot run psql (postgresql-15 installs it): {e}"));
        assert!(
            out.status.success(),
            "psql {sql:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("psql prints UTF-8");
        text.strip_suffix('\n').unwrap_or(&text).to_string()
    }

    /// Empties both tables (and the tombstones, where server-sql made
    /// them) and restarts their fid sequences.
    pub fn reset(&self) {
        self.psql("TRUNCATE bts, thua_dat RESTART IDENTITY");
        self.psql(
            "DO $$ BEGIN IF to_regclass('tramgis_tombstones') IS NOT NULL THEN \
             TRUNCATE tramgis_tombstones; END IF; END $$",
        );
    }
}

/// One set per test binary, started by the first caller. The guard makes
/// the binary's sync tests take turns on it; each should `reset()` first.
/// Statics are never dropped: start.sh's watchdog stops these servers when
/// the process ends.
pub fn shared() -> MutexGuard<'static, SyncServers> {
    shared_with(Front::Bare)
}

/// [`shared`], with pygeoapi served as asked: one choice per binary.
pub fn shared_with(front: Front) -> MutexGuard<'static, SyncServers> {
    static SHARED: OnceLock<(Front, Mutex<SyncServers>)> = OnceLock::new();
    let (started, servers) = SHARED.get_or_init(|| (front, Mutex::new(SyncServers::start(front))));
    assert_eq!(*started, front, "one test binary, one pygeoapi setting");
    servers
        .lock()
        // A test that failed while holding it leaves the servers usable.
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Servers whose database is prepared with `tramgis sync server-sql` for
/// both tables ([`SyncServers::start_prepared`]), one set per test binary,
/// taken in turns as [`shared`]'s.
pub fn shared_prepared(front: Front) -> MutexGuard<'static, SyncServers> {
    static PREPARED: OnceLock<(Front, Mutex<SyncServers>)> = OnceLock::new();
    let (started, servers) = PREPARED.get_or_init(|| {
        let ddl = tramgis::sync::server_sql::server_sql(&["bts".into(), "thua_dat".into()], "uuid");
        (front, Mutex::new(SyncServers::start_prepared(front, &ddl)))
    });
    assert_eq!(*started, front, "one test binary, one pygeoapi setting");
    servers
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Drop for SyncServers {
    fn drop(&mut self) {
        // Best effort: a failing stop must not turn a passing test into a
        // panic while unwinding another.
        let _ = Command::new("bash")
            .arg(Path::new(SCRIPTS).join("stop.sh"))
            .arg(self.dir.path())
            .status();
    }
}
