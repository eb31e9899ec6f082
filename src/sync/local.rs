//! The workspace side of a sync: one SQLite transaction (one journaled
//! edit) for local changes and the sync records that describe them, and
//! reads of local features as records.

use crate::gpkg::{Edit, GeoPackage, GpkgError};
use crate::model::{Feature, Schema};

use super::error::{Result, SyncError};
use super::record::{self, Record};
use super::remote::LayerMapping;

/// Runs `f` as one edit of the workspace: everything or nothing.
pub fn in_edit<T>(
    gpkg: &mut GeoPackage,
    description: &str,
    f: impl FnOnce(&mut Edit<'_>) -> Result<T>,
) -> Result<T> {
    let mut failure = None;
    let path = gpkg.path().to_path_buf();
    let outcome = gpkg.edit(description, |e| match f(e) {
        Ok(v) => Ok(v),
        Err(SyncError::Store(store)) => Err(store),
        Err(other) => {
            failure = Some(other);
            Err(GpkgError::Invalid {
                path: path.clone(),
                detail: "the sync step failed and was rolled back".into(),
            })
        }
    });
    match (outcome, failure) {
        (Ok(v), _) => Ok(v),
        (Err(_), Some(f)) => Err(f),
        (Err(e), None) => Err(e.into()),
    }
}

/// A local feature as a record, when it exists.
pub fn mine(
    e: &mut Edit<'_>,
    mapping: &LayerMapping,
    schema: &Schema,
    fid: i64,
) -> Result<Option<(Feature, Record)>> {
    Ok(e.get(&mapping.layer, fid)?.map(|f| {
        let r = record::from_feature(&f, schema, mapping);
        (f, r)
    }))
}

/// The local feature recorded under `fid`, when it still carries `uuid`
/// (SQLite may have given the fid to another feature since).
pub fn mine_with_uuid(
    e: &mut Edit<'_>,
    mapping: &LayerMapping,
    schema: &Schema,
    fid: Option<i64>,
    uuid: &str,
) -> Result<Option<(Feature, Record)>> {
    match fid {
        Some(fid) => Ok(mine(e, mapping, schema, fid)?.filter(|(_, m)| m.uuid == uuid)),
        None => Ok(None),
    }
}

/// Writes `record` as the local feature `fid` (None: a new one); the
/// fields the server does not carry keep their local values.
pub fn write(
    e: &mut Edit<'_>,
    mapping: &LayerMapping,
    schema: &Schema,
    existing: Option<&Feature>,
    record: &Record,
) -> Result<i64> {
    let feature = record::to_feature(record, schema, mapping, existing).map_err(|detail| {
        SyncError::Feature {
            url: String::new(),
            layer: mapping.layer.clone(),
            uuid: record.uuid.clone(),
            detail,
        }
    })?;
    match existing.and_then(|f| f.fid) {
        Some(fid) => {
            let mut feature = feature;
            feature.fid = Some(fid);
            e.update(&mapping.layer, &feature)?;
            Ok(fid)
        }
        None => Ok(e.insert(&mapping.layer, &feature)?),
    }
}

pub fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn is_uuid(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok()
}
