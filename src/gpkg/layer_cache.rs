//! Layer descriptions kept between calls: reading one costs about ten
//! statements and a CRS lookup, and every feature read by id or by box
//! (identify, the attribute table, each bbox query) starts by reading it.
//!
//! A kept description is used only while the file is as it was when it was
//! read: the same schema (`PRAGMA schema_version`), no commit by another
//! connection (`PRAGMA data_version`) and no row written through this one
//! (`total_changes`), so an edit here or in QGIS is seen at once.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use rusqlite::Connection;

use super::error::{Result, SqlContext};
use super::store::LayerInfo;

/// What a kept description depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileState {
    schema_version: i64,
    data_version: i64,
    total_changes: u64,
}

impl FileState {
    fn now(conn: &Connection, path: &Path) -> Result<FileState> {
        let pragma = |name: &str| -> Result<i64> {
            conn.pragma_query_value(None, name, |r| r.get(0))
                .ctx(path, "reading the file's version counters")
        };
        Ok(FileState {
            schema_version: pragma("schema_version")?,
            data_version: pragma("data_version")?,
            total_changes: conn.total_changes(),
        })
    }
}

#[derive(Default)]
pub struct LayerCache {
    kept: RefCell<Option<(FileState, HashMap<String, LayerInfo>)>>,
}

impl LayerCache {
    /// The layer's description, read with `read` unless a kept one is
    /// still right.
    pub fn get(
        &self,
        conn: &Connection,
        path: &Path,
        name: &str,
        read: impl FnOnce() -> Result<LayerInfo>,
    ) -> Result<LayerInfo> {
        let state = FileState::now(conn, path)?;
        if let Some((kept_state, layers)) = &*self.kept.borrow()
            && *kept_state == state
            && let Some(info) = layers.get(name)
        {
            return Ok(info.clone());
        }
        let info = read()?;
        let mut kept = self.kept.borrow_mut();
        match &mut *kept {
            Some((kept_state, layers)) if *kept_state == state => {
                layers.insert(name.to_string(), info.clone());
            }
            _ => *kept = Some((state, HashMap::from([(name.to_string(), info.clone())]))),
        }
        Ok(info)
    }
}
