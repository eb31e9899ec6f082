//! The sync tests' servers (tests/common/sync_servers.rs) are real and
//! answer: pygeoapi serves what psql wrote, in the stored EPSG:9214
//! coordinates; QGIS Server offers WFS-T on the same tables; and nothing
//! is left listening once a set is dropped or its test process is gone.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use common::sync_servers::{Front, SyncServers, shared};

/// A GET over a fresh connection (HTTP/1.1, `Connection: close`);
/// returns the status and the body.
fn get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = TcpStream::connect(authority).unwrap_or_else(|e| panic!("{url}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).expect("a UTF-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("a header block");
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{url}: chunked responses are not expected here:\n{head}"
    );
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{url}: no status in {head:?}"));
    (status, body.to_string())
}

fn json(url: &str) -> serde_json::Value {
    let (status, body) = get(url);
    assert_eq!(status, 200, "{url}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{url}: {e}: {body}"))
}

/// The loopback TCP ports a set listens on: PostgreSQL's, pygeoapi's and
/// QGIS Server's.
fn ports(servers: &SyncServers) -> Vec<String> {
    vec![
        servers.var("PGPORT").to_string(),
        port_of(servers.ogcapi_url()),
        port_of(servers.wfs_url()),
    ]
}

/// `http://127.0.0.1:PORT/...` -> PORT.
fn port_of(url: &str) -> String {
    let after = url.rsplit_once(':').expect("a URL with a port").1;
    after.split('/').next().unwrap().to_string()
}

/// Waits up to `secs` for every port to refuse connections; returns those
/// still open.
fn still_open(ports: &[String], secs: u64) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let open: Vec<String> = ports
            .iter()
            .filter(|p| TcpStream::connect(format!("127.0.0.1:{p}")).is_ok())
            .cloned()
            .collect();
        if open.is_empty() || Instant::now() > deadline {
            return open;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn pygeoapi_serves_rows_written_by_psql_in_the_stored_crs() {
    let servers = shared();
    servers.reset();

    let landing = json(&format!("{}/?f=json", servers.ogcapi_url()));
    let conformance_link = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| {
            l["rel"] == "conformance" || l["rel"].as_str().unwrap_or("").ends_with("/conformance")
        })
        .unwrap_or_else(|| panic!("the landing page links its conformance: {landing}"));
    assert!(
        conformance_link["href"]
            .as_str()
            .unwrap()
            .starts_with(servers.ogcapi_url())
    );
    let conformance = json(&format!("{}/conformance?f=json", servers.ogcapi_url()));
    let classes: Vec<&str> = conformance["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        classes
            .iter()
            .any(|c| c.ends_with("/conf/create-replace-delete")),
        "pygeoapi declares Part 4 writes: {classes:?}"
    );

    let fid = servers.psql(
        "INSERT INTO bts (uuid, ma_tram, nha_mang, chieu_cao, geom) \
         VALUES ('5b0c1e6a-0001', 'HUE_Trạm_7', 'Viettel', 42.5, \
         ST_SetSRID(ST_MakePoint(561234.125, 1822345.5), 9214)) RETURNING fid",
    );
    assert_eq!(fid, "1", "reset restarted the fid sequence");
    let items = json(&format!(
        "{}/collections/bts/items?f=json&crs=http://www.opengis.net/def/crs/EPSG/0/9214",
        servers.ogcapi_url()
    ));
    let features = items["features"].as_array().unwrap();
    assert_eq!(features.len(), 1, "{items}");
    let feature = &features[0];
    assert_eq!(feature["id"], "5b0c1e6a-0001", "uuid is the id");
    assert_eq!(feature["properties"]["ma_tram"], "HUE_Trạm_7");
    assert_eq!(
        feature["geometry"]["coordinates"],
        serde_json::json!([561234.125, 1822345.5]),
        "E,N as stored"
    );
}

#[test]
fn qgis_server_offers_wfs_transactions_on_both_tables() {
    let servers = shared();
    let url = format!(
        "{}?SERVICE=WFS&VERSION=1.1.0&REQUEST=GetCapabilities",
        servers.wfs_url()
    );
    let (status, body) = get(&url);
    assert_eq!(status, 200, "{body}");
    let doc = roxmltree::Document::parse(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let types: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("FeatureType"))
        .filter_map(|t| t.children().find(|c| c.has_tag_name("Name")))
        .filter_map(|n| n.text())
        .collect();
    assert!(
        types.contains(&"bts") && types.contains(&"thua_dat"),
        "{types:?}"
    );
    assert!(
        doc.descendants()
            .any(|n| n.has_tag_name("Operation") && n.attribute("name") == Some("Transaction")),
        "WFS-T is on: {body}"
    );
}

#[test]
fn a_dropped_set_leaves_no_port_open() {
    let servers = SyncServers::start(Front::Bare);
    let ports = ports(&servers);
    let (status, _) = get(&format!(
        "{}/collections/thua_dat/items?f=json",
        servers.ogcapi_url()
    ));
    assert_eq!(status, 200);
    assert_eq!(servers.psql("SELECT count(*) FROM thua_dat"), "0");
    drop(servers);
    // stop.sh has waited for the servers already; no grace needed.
    assert_eq!(still_open(&ports, 0), Vec::<String>::new(), "of {ports:?}");
}

#[test]
fn the_watchdog_stops_a_set_when_its_process_ends() {
    // The watched process here is a sleep, ended at will; in the other
    // tests it is the test binary itself.
    let mut sleeper = Command::new("sleep").arg("600").spawn().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/sync_servers/start.sh"
        ))
        .arg(dir.path())
        .arg(sleeper.id().to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env = std::fs::read_to_string(dir.path().join("servers.env")).unwrap();
    let ports: Vec<String> = env
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter_map(|(k, v)| match k {
            "PGPORT" => Some(v.to_string()),
            "OGCAPI_URL" | "WFS_URL" => Some(port_of(v)),
            _ => None,
        })
        .collect();
    assert_eq!(ports.len(), 3, "{env}");
    assert_eq!(still_open(&ports, 0).len(), 3, "all up before: {ports:?}");

    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    // The watchdog looks once a second; stopping takes a few more.
    assert_eq!(still_open(&ports, 30), Vec::<String>::new(), "of {ports:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while dir.path().exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(!dir.path().exists(), "the watchdog removed its directory");
}
