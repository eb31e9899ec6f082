//! What the sync needs from a portal, whatever its protocol: read a
//! collection within an extent page by page, read given features, and
//! apply creates, replaces and deletes, reporting each one's outcome as
//! the server acknowledges it.

use std::collections::HashMap;

use super::changes::Changes;
use super::error::{Result, SyncError};
use super::http::Http;
use super::record::Record;
use super::remote::LayerMapping;
use crate::jobs::Progress;
use crate::model::{FieldType, GeometryType};

/// One write.
#[derive(Debug, Clone)]
pub enum Op {
    /// A new feature (its UUID set, no server id yet).
    Create(Record),
    /// A new version of a feature the server has (`server_id` set).
    Replace(Record),
    /// Delete the server's feature (the record as last agreed).
    Delete(Record),
}

impl Op {
    pub fn record(&self) -> &Record {
        match self {
            Op::Create(r) | Op::Replace(r) | Op::Delete(r) => r,
        }
    }
}

/// What the server said about one write.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Done; for a create, the server's id when it said it.
    Done { server_id: Option<String> },
    /// Refused: the server's reason. The feature is pushed again next time.
    Failed(String),
}

/// A collection's fields as the server describes them.
#[derive(Debug, Clone, PartialEq)]
pub struct Description {
    pub fields: Vec<(String, FieldType)>,
    pub geometry_type: Option<GeometryType>,
    /// The server's feature id is the UUID (pygeoapi with `id_field: uuid`).
    pub id_is_uuid: bool,
}

pub trait Portal {
    fn http(&mut self) -> &mut Http;

    /// The collection's schema, when the server publishes one.
    fn describe(&mut self, mapping: &LayerMapping) -> Result<Option<Description>>;

    /// Every feature meeting `bbox` (in the layer's CRS), page by page.
    fn fetch(
        &mut self,
        mapping: &LayerMapping,
        bbox: Option<[f64; 4]>,
        page: &mut dyn FnMut(Vec<Record>) -> Result<()>,
    ) -> Result<()>;

    /// The server's current version of each feature asked for (by its
    /// record: server id and UUID); one missing from the answer is gone.
    fn fetch_these(
        &mut self,
        mapping: &LayerMapping,
        wanted: &[Record],
    ) -> Result<HashMap<String, Record>>;

    /// Applies the writes; `done` is told each one the server answered, as
    /// it answers. A transport failure stops the batch with an error; the
    /// writes told before it stand.
    fn send(
        &mut self,
        mapping: &LayerMapping,
        ops: &[Op],
        done: &mut dyn FnMut(usize, Outcome) -> Result<()>,
    ) -> Result<()>;

    /// The most writes one [`Portal::send`] should be given. A protocol
    /// that answers a batch only at its end (a WFS Transaction) is handed
    /// a few hundred at a time, so each answer is recorded before the next
    /// is sent; one that answers each write as it comes (OGC API, one
    /// request per feature) is handed all, so its connections never idle
    /// waiting for a batch's slowest request.
    fn writes_per_send(&self) -> usize {
        usize::MAX
    }

    /// The coarsest step of the coordinates the server has answered, in
    /// the layer's units, where coarser than the layer's own: a server that
    /// answers only degrees to six decimals (QGIS Server's /wfs3) cannot
    /// tell a point moved by less than about 10 cm.
    fn coordinate_step(&self, mapping: &LayerMapping) -> Option<f64> {
        let _ = mapping;
        None
    }

    /// What changed in the whole collection since `since` (the server's
    /// time, RFC 3339), where the portal keeps change times and tombstones
    /// (`tramgis sync server-sql`); with `since` None, only the newest
    /// change time. None where it keeps none: the sync compares extents.
    fn changes(&mut self, mapping: &LayerMapping, since: Option<&str>) -> Result<Option<Changes>> {
        let _ = (mapping, since);
        Ok(None)
    }

    /// Told the server's current versions a push learnt from the changes
    /// (not from [`Portal::fetch_these`]) just before it sends: a protocol
    /// whose updates carry only the fields that differ (WFS-T) keeps them.
    fn remember_current(&mut self, mapping: &LayerMapping, current: &HashMap<String, Record>) {
        let _ = (mapping, current);
    }
}

/// Every feature meeting `bbox`, with progress per page; a cancel stops
/// the read between pages.
pub fn fetch_all(
    portal: &mut dyn Portal,
    mapping: &LayerMapping,
    bbox: Option<[f64; 4]>,
    progress: &Progress,
) -> Result<Vec<Record>> {
    let mut records = Vec::new();
    portal.fetch(mapping, bbox, &mut |page| {
        if progress.is_cancelled() {
            return Err(SyncError::Cancelled);
        }
        progress.advance(page.len() as u64);
        records.extend(page);
        Ok(())
    })?;
    Ok(records)
}
