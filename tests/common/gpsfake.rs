//! A real gpsd fed by `gpsfake` (gpsd-clients) replaying the NMEA log of
//! a receiver at 21.27 N 106.19 E, for the GNSS tests.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The replayed log.
pub fn log() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bac_giang_fix.nmea")
}

/// A TCP port nothing listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// gpsfake and the gpsd it runs, in a process group of their own so that
/// both are stopped together (when dropped).
pub struct Gpsfake(Option<Child>);

impl Gpsfake {
    /// Replays the log to a gpsd on `port`, a sentence each 0.1 s, over
    /// and over.
    pub fn start(port: u16) -> Gpsfake {
        let child = Command::new("gpsfake")
            .args(["-q", "-c", "0.1", "-P", &port.to_string()])
            .arg(log())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run gpsfake (packaging/install-deps.sh installs gpsd-clients): {e}")
            });
        Gpsfake(Some(child))
    }

    pub fn stop(&mut self) {
        let Some(mut child) = self.0.take() else {
            return;
        };
        let group = format!("-{}", child.id());
        let kill = |signal: &str| {
            let _ = Command::new("kill")
                .args([signal, "--", &group])
                .stderr(Stdio::null())
                .status();
        };
        kill("-TERM");
        let _ = child.wait();
        // gpsd may outlive gpsfake by a moment; make sure the group is gone.
        kill("-KILL");
    }
}

impl Drop for Gpsfake {
    fn drop(&mut self) {
        self.stop();
    }
}
