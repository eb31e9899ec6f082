//! The cheap path over WFS on a portal prepared with `tramgis sync
//! server-sql`: the feature type has the `updated_at` property and the
//! tombstones are published as the feature type `tramgis_tombstones`, so a
//! pull (and a push's check of the server's versions) reads only what
//! changed since the watermark (see [`crate::sync::changes`]).
//!
//! WFS 1.1 says how to ask (an OGC Filter `PropertyIsGreaterThanOrEqualTo`
//! on the time), but QGIS Server 3.22 answers such a filter on a
//! `timestamptz` column with no features at all, whatever form the literal
//! takes, while its own `EXP_FILTER` (a QGIS expression) compares
//! correctly. So a filter is used only once it has shown, on the server's
//! own newest change, that it finds what it must (that change) and nothing
//! it must not (changes after the year 2999): the OGC Filter first, then
//! QGIS's. A server where neither does keeps the extent comparison, and a
//! filter that silently matches nothing can never make a pull miss edits.

use std::collections::HashSet;

use roxmltree::Node;

use super::Wfs;
use crate::sync::changes::{self, Changes};
use crate::sync::error::{Result, SyncError};
use crate::sync::http::encode;
use crate::sync::remote::LayerMapping;
use crate::sync::server_sql::{CHANGE_TIME, TOMBSTONES};

/// The tombstones' time and key properties (`tramgis sync server-sql`).
const DELETED_AT: &str = "deleted_at";
const TOMBSTONE_KEY: &str = "id";
const PAGE: usize = super::PAGE;
/// A time no change can have yet: a filter must find nothing after it.
const FAR_FUTURE: &str = "2999-01-01T00:00:00Z";

/// How a time condition is put to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFilter {
    /// The standard OGC Filter (`FILTER=`).
    Ogc,
    /// QGIS Server's `EXP_FILTER=` vendor parameter.
    QgisExpression,
}

impl TimeFilter {
    /// The query parameter selecting features whose `field` is at or after
    /// `since` (RFC 3339, as [`changes::since`] writes it).
    pub fn at_or_after(self, field: &str, since: &str) -> String {
        match self {
            TimeFilter::Ogc => format!(
                "FILTER={}",
                encode(&format!(
                    "<ogc:Filter xmlns:ogc=\"http://www.opengis.net/ogc\"><ogc:PropertyIsGreaterThanOrEqualTo><ogc:PropertyName>{field}</ogc:PropertyName><ogc:Literal>{since}</ogc:Literal></ogc:PropertyIsGreaterThanOrEqualTo></ogc:Filter>"
                ))
            ),
            TimeFilter::QgisExpression => format!(
                "EXP_FILTER={}",
                encode(&format!("\"{field}\" >= to_datetime('{since}')"))
            ),
        }
    }
}

/// The text of `feature`'s property `name`; None when absent or nil.
pub fn property(feature: Node, name: &str) -> Option<String> {
    feature
        .children()
        .find(|p| p.is_element() && p.tag_name().name() == name)
        .and_then(|p| p.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

impl Wfs {
    /// The filter that reads this collection's changes, where the portal
    /// keeps change times and tombstones and one is honoured; decided once
    /// per collection (an empty collection is asked again next time).
    pub(super) fn time_filter(&mut self, mapping: &LayerMapping) -> Result<Option<TimeFilter>> {
        if let Some(known) = self.time_filters.get(&mapping.collection) {
            return Ok(*known);
        }
        let ft = self.feature_type(mapping)?;
        if ft.field_type(CHANGE_TIME).is_none() || !self.publishes_tombstones()? {
            self.time_filters.insert(mapping.collection.clone(), None);
            return Ok(None);
        }
        let Some(newest) = self.newest(&ft.name, CHANGE_TIME)? else {
            return Ok(None);
        };
        // The answer's times are rounded (QGIS: to the millisecond, up or
        // down), so the check reaches back as the reads do.
        let Some(since) = changes::since(&newest) else {
            self.time_filters.insert(mapping.collection.clone(), None);
            return Ok(None);
        };
        let mut chosen = None;
        for filter in [TimeFilter::Ogc, TimeFilter::QgisExpression] {
            if self.finds(&ft.name, filter, &since)? && !self.finds(&ft.name, filter, FAR_FUTURE)? {
                chosen = Some(filter);
                break;
            }
        }
        self.time_filters.insert(mapping.collection.clone(), chosen);
        Ok(chosen)
    }

    /// Whether the tombstones are a feature type with their UUID and time;
    /// a server that does not describe them does not publish them.
    fn publishes_tombstones(&mut self) -> Result<bool> {
        match self.described(TOMBSTONES) {
            Ok(ft) => Ok(ft.field_type(DELETED_AT).is_some() && ft.field_type("uuid").is_some()),
            Err(SyncError::BadResponse { .. } | SyncError::Status { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether any feature of `type_name` changed at or after `since` by
    /// `filter`; a filter the server refuses finds nothing.
    fn finds(&mut self, type_name: &str, filter: TimeFilter, since: &str) -> Result<bool> {
        let query = format!(
            "MAXFEATURES=1&PROPERTYNAME={CHANGE_TIME}&{}",
            filter.at_or_after(CHANGE_TIME, since)
        );
        let mut found = false;
        match self.get_members(type_name, &query, &mut |_| {
            found = true;
            Ok(())
        }) {
            Ok(_) => Ok(found),
            Err(SyncError::BadResponse { .. } | SyncError::Status { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The newest value of the time property `field` of `type_name`.
    fn newest(&mut self, type_name: &str, field: &str) -> Result<Option<String>> {
        let query = format!(
            "MAXFEATURES=1&PROPERTYNAME={field}&SORTBY={}",
            encode(&format!("{field} D"))
        );
        let mut newest = None;
        self.get_members(type_name, &query, &mut |feature| {
            newest = property(feature, field);
            Ok(())
        })?;
        Ok(newest)
    }

    /// What changed in the collection since `since` (None: only the newest
    /// change time), read with `filter`.
    pub(super) fn changes_by(
        &mut self,
        mapping: &LayerMapping,
        filter: TimeFilter,
        since: Option<&str>,
    ) -> Result<Changes> {
        let ft = self.feature_type(mapping)?;
        let Some(since) = since else {
            return Ok(Changes {
                newest: self.newest(&ft.name, CHANGE_TIME)?,
                ..Changes::default()
            });
        };
        let mut out = Changes::default();
        let condition = format!("&{}", filter.at_or_after(CHANGE_TIME, since));
        self.fetch_where(
            mapping,
            &condition,
            Some(CHANGE_TIME),
            &mut |records, newest| {
                out.newest = changes::newer(out.newest.take(), newest);
                out.changed.extend(records);
                Ok(())
            },
        )?;
        let (deleted, newest) = self.tombstones(filter, since)?;
        out.deleted = deleted;
        out.newest = changes::newer(out.newest.take(), newest);
        Ok(out)
    }

    /// The UUIDs deleted at or after `since` (in any table: UUIDs are
    /// unique), with the newest deletion time.
    fn tombstones(
        &mut self,
        filter: TimeFilter,
        since: &str,
    ) -> Result<(HashSet<String>, Option<String>)> {
        let mut deleted = HashSet::new();
        let mut newest = None;
        let mut ids = HashSet::new();
        let mut start = 0;
        loop {
            let query = format!(
                "MAXFEATURES={PAGE}&STARTINDEX={start}&SORTBY={TOMBSTONE_KEY}&PROPERTYNAME=uuid,{DELETED_AT}&{}",
                filter.at_or_after(DELETED_AT, since)
            );
            let (mut returned, mut fresh) = (0, 0);
            let url = self.get_members(TOMBSTONES, &query, &mut |t| {
                returned += 1;
                let uuid = property(t, "uuid");
                let id = t.attribute((super::gml::GML, "id")).map(str::to_string);
                fresh += usize::from(ids.insert(id.or_else(|| uuid.clone())));
                if let Some(uuid) = uuid {
                    deleted.insert(uuid);
                }
                newest = changes::newer(newest.take(), property(t, DELETED_AT));
                Ok(())
            })?;
            if returned > 0 && fresh == 0 {
                return Err(SyncError::BadResponse {
                    url,
                    expected: "paging",
                    detail: "the page repeats tombstones already read (STARTINDEX ignored?)".into(),
                });
            }
            if returned < PAGE {
                return Ok((deleted, newest));
            }
            start += returned;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_filter_asks_for_changes_at_or_after_the_time() {
        let qgis = TimeFilter::QgisExpression.at_or_after("updated_at", "2026-12-04T19:00:00Z");
        assert_eq!(
            qgis,
            format!(
                "EXP_FILTER={}",
                encode("\"updated_at\" >= to_datetime('2026-12-04T19:00:00Z')")
            )
        );
        let ogc = TimeFilter::Ogc.at_or_after("deleted_at", "2026-12-04T19:00:00Z");
        assert!(ogc.starts_with("FILTER="));
        assert!(ogc.contains(&encode(
            "<ogc:PropertyName>deleted_at</ogc:PropertyName><ogc:Literal>2026-12-04T19:00:00Z</ogc:Literal>"
        )));
    }

    #[test]
    fn a_property_is_its_trimmed_text_and_nil_is_none() {
        let doc = roxmltree::Document::parse(
            r#"<qgs:t xmlns:qgs="http://www.qgis.org/gml" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><qgs:uuid> a-b </qgs:uuid><qgs:deleted_at xsi:nil="true"/></qgs:t>"#,
        )
        .unwrap();
        let t = doc.root_element();
        assert_eq!(property(t, "uuid").as_deref(), Some("a-b"));
        assert_eq!(property(t, "deleted_at"), None);
        assert_eq!(property(t, "missing"), None);
    }
}
