//! The cheap path on a portal prepared with `tramgis sync server-sql`:
//! each table keeps a change time (`updated_at`, filtered by OGC API's
//! `datetime`) and deletes leave tombstones, so a pull reads only what
//! changed since the last one, and a push checks its edits against those
//! changes instead of reading the whole extent again.
//!
//! The layer mapping keeps a watermark: the newest change time the last
//! read saw, in the server's own clock (a laptop's clock is no reference).
//! Each read reaches back [`OVERLAP_MINUTES`] before it, so that a transaction
//! which began before that read (its `now()` earlier) but committed after
//! is still seen; what the overlap brings twice is the same as its base
//! and does nothing.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, SecondsFormat, Utc};

use super::error::Result;
use super::portal::Portal;
use super::record::Record;
use super::remote::LayerMapping;

/// What changed on the server since a time, in the whole collection.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// Features changed or added since, anywhere in the collection (a
    /// feature moved out of the checked-out extent is among them).
    pub changed: Vec<Record>,
    /// UUIDs of the features deleted since.
    pub deleted: HashSet<String>,
    /// The newest change time seen (the server's clock), as it wrote it.
    pub newest: Option<String>,
}

/// How far back of the watermark each read reaches.
pub const OVERLAP_MINUTES: i64 = 10;

/// The `datetime` start of a read after `watermark`, in UTC.
pub fn since(watermark: &str) -> Option<String> {
    let t = parse(watermark)? - Duration::minutes(OVERLAP_MINUTES);
    Some(t.to_rfc3339_opts(SecondsFormat::Micros, true))
}

/// The later of two change times; one that does not parse loses.
pub fn newer(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => match (parse(&a), parse(&b)) {
            (Some(ta), Some(tb)) if tb > ta => Some(b),
            (Some(_), _) => Some(a),
            (None, _) => Some(b),
        },
        (a, b) => a.or(b),
    }
}

fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The portal's changes since the mapping's watermark, when it keeps
/// them and the mapping has one.
pub fn since_watermark(portal: &mut dyn Portal, mapping: &LayerMapping) -> Result<Option<Changes>> {
    match mapping.changes_since.as_deref().and_then(since) {
        Some(start) => portal.changes(mapping, Some(&start)),
        None => Ok(None),
    }
}

/// The server's version now of each feature in `wanted` (base versions,
/// with their server ids): from the changes since the watermark where
/// the portal keeps them (a feature neither changed nor deleted since is
/// as its base), else read by [`Portal::fetch_these`]. A feature missing
/// from the answer is gone.
pub fn current_versions(
    portal: &mut dyn Portal,
    mapping: &LayerMapping,
    wanted: &[Record],
) -> Result<HashMap<String, Record>> {
    let Some(changes) = since_watermark(portal, mapping)? else {
        return portal.fetch_these(mapping, wanted);
    };
    let mut changed: HashMap<String, Record> = changes
        .changed
        .into_iter()
        .map(|r| (r.uuid.clone(), r))
        .collect();
    let current = wanted
        .iter()
        .filter_map(|w| match changed.remove(&w.uuid) {
            Some(now) => Some((w.uuid.clone(), now)),
            None if changes.deleted.contains(&w.uuid) => None,
            None => Some((w.uuid.clone(), w.clone())),
        })
        .collect();
    portal.remember_current(mapping, &current);
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_reaches_back_the_overlap_in_utc() {
        assert_eq!(
            since("2026-12-03T17:07:18.667775+07:00").as_deref(),
            Some("2026-12-03T09:57:18.667775Z")
        );
        assert_eq!(since("yesterday"), None);
    }

    #[test]
    fn the_newer_time_wins_whatever_its_zone() {
        let a = Some("2026-12-03T17:00:00+07:00".to_string());
        let b = Some("2026-12-03T10:30:00Z".to_string());
        assert_eq!(newer(a.clone(), b.clone()), b);
        assert_eq!(newer(b.clone(), a.clone()), b);
        assert_eq!(newer(None, a.clone()), a);
        assert_eq!(newer(Some("garbled".into()), a.clone()), a);
    }
}
