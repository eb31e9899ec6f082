//! The database files this process has open through SQLite.
//!
//! POSIX advisory locks belong to the process and the file, not to the
//! descriptor: closing *any* descriptor of a file drops every lock SQLite
//! holds on it. Reading a workspace's header with `std::fs::File` while an
//! edit session has it open would let another program (QGIS, ogrinfo) take
//! the file as unused, checkpoint and delete the WAL under the live
//! connection. Code that reads a file's bytes outside SQLite asks here
//! first; SQLite itself keeps such descriptors open until its locks go.
//!
//! Windows locks belong to the handle, so there the question never arises.

use std::path::Path;

#[cfg(unix)]
mod registry {
    use std::collections::HashMap;
    use std::os::unix::fs::MetadataExt;
    use std::path::Path;
    use std::sync::{Mutex, OnceLock};

    /// (device, inode) → connections open on it.
    fn open() -> &'static Mutex<HashMap<(u64, u64), usize>> {
        static OPEN: OnceLock<Mutex<HashMap<(u64, u64), usize>>> = OnceLock::new();
        OPEN.get_or_init(Default::default)
    }

    /// `stat` opens no descriptor, so asking is itself safe.
    pub fn key(path: &Path) -> Option<(u64, u64)> {
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }

    pub fn add(key: (u64, u64)) {
        *open()
            .lock()
            .expect("open-file registry")
            .entry(key)
            .or_default() += 1;
    }

    pub fn remove(key: (u64, u64)) {
        let mut open = open().lock().expect("open-file registry");
        if let Some(n) = open.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                open.remove(&key);
            }
        }
    }

    pub fn contains(key: (u64, u64)) -> bool {
        open()
            .lock()
            .expect("open-file registry")
            .contains_key(&key)
    }
}

/// Held by each open connection; dropping it unregisters the connection.
#[derive(Debug)]
pub struct OpenFile {
    #[cfg(unix)]
    key: Option<(u64, u64)>,
}

impl OpenFile {
    pub fn register(path: &Path) -> OpenFile {
        #[cfg(unix)]
        {
            let key = registry::key(path);
            if let Some(k) = key {
                registry::add(k);
            }
            OpenFile { key }
        }
        #[cfg(not(unix))]
        {
            let _ = path;
            OpenFile {}
        }
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(k) = self.key {
            registry::remove(k);
        }
    }
}

/// Whether a connection of this process has `path` open: if so, its bytes
/// must not be read through a descriptor of our own.
pub fn is_open(path: &Path) -> bool {
    #[cfg(unix)]
    {
        registry::key(path).is_some_and(registry::contains)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_counts_as_open_until_its_last_connection_goes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.gpkg");
        std::fs::write(&path, b"x").unwrap();
        assert!(!is_open(&path));
        let a = OpenFile::register(&path);
        let b = OpenFile::register(&path);
        assert!(is_open(&path));
        drop(a);
        assert!(is_open(&path));
        drop(b);
        assert!(!is_open(&path));
    }
}
