//! Another program holding a GeoPackage's write lock: the sqlite3 shell
//! in `BEGIN IMMEDIATE`, as QGIS holds it while it saves.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

pub struct WriteLock {
    shell: Child,
    stdin: Option<ChildStdin>,
}

impl WriteLock {
    /// Returns once the shell holds the lock.
    pub fn hold(path: &Path) -> WriteLock {
        let mut shell = Command::new("sqlite3")
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run sqlite3 (installed by .ci/run): {e}"));
        let mut stdin = shell.stdin.take().unwrap();
        writeln!(stdin, "BEGIN IMMEDIATE;\nSELECT 'held';").unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        BufReader::new(shell.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "held", "sqlite3 took the write lock");
        WriteLock {
            shell,
            stdin: Some(stdin),
        }
    }

    /// Rolls back and lets the shell end (also when dropped).
    pub fn release(mut self) {
        self.end();
    }

    fn end(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = writeln!(stdin, "ROLLBACK;\n.quit");
            drop(stdin);
            let _ = self.shell.wait();
        }
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        self.end();
    }
}
