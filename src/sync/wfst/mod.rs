//! WFS 1.1.0 with Transaction (WFS-T), written for QGIS Server 3.22, the
//! WFS-T a province can run from Debian, and its quirks (SYNC-SERVERS.md):
//! - reads are GetFeature in GML 3 with `SRSNAME=EPSG:n` (x,y order; the
//!   URN form would give lat,lon), paged by `MAXFEATURES`/`STARTINDEX`
//!   and sorted (`SORTBY`), since without a sort the order is the heap's;
//! - the schema (DescribeFeatureType) gives the values' types and the
//!   geometry element's name;
//! - writes are one POSTed XML Transaction per batch, never a KVP
//!   Transaction (QGIS grows without bound on one), answers are read per
//!   write by handle, and a count that falls short is checked by reading
//!   the features back rather than trusted.

mod change_times;
mod gml;
mod schema;
mod transaction;

use std::collections::{HashMap, HashSet};

use roxmltree::{Document, Node};

use super::changes::{self, Changes};
use super::error::{Result, SyncError};
use super::http::{Http, Response, encode, parallel};
use super::portal::{Description, Op, Outcome, Portal};
use super::record::Record;
use super::remote::LayerMapping;
use change_times::{TimeFilter, property};
use schema::FeatureType;

const PAGE: usize = 1000;
/// Above this many features, `fetch_these` reads the extent page by page.
const MANY: usize = 100;
/// Server ids per GetFeature by FEATUREID.
const IDS_PER_REQUEST: usize = 100;
/// UUIDs per GetFeature by FILTER: the filter travels in the URL, which a
/// server behind Apache cuts at 8 KB.
const UUIDS_PER_REQUEST: usize = 20;
/// Writes per Transaction at the least, however many connections.
const MIN_PER_TRANSACTION: usize = 50;
/// Writes per send: a few Transactions of at least [`MIN_PER_TRANSACTION`],
/// answered (and recorded by the push) before the next are sent.
const WRITES_PER_SEND: usize = 200;

pub struct Wfs {
    base: String,
    http: Http,
    types: HashMap<String, FeatureType>,
    /// The server's versions `fetch_these` read (by collection and UUID):
    /// push reads them just before it sends, so an Update can carry only
    /// the fields that differ.
    seen: HashMap<(String, String), Record>,
    /// How each collection's changes are read (None: by extent), once known.
    time_filters: HashMap<String, Option<TimeFilter>>,
}

/// The message of an OWS or WMS-style exception document, if `root` is one.
fn exception(root: Node) -> Option<String> {
    if !matches!(
        root.tag_name().name(),
        "ExceptionReport" | "ServiceExceptionReport"
    ) {
        return None;
    }
    let text: Vec<String> = root
        .descendants()
        .filter(|n| matches!(n.tag_name().name(), "ExceptionText" | "ServiceException"))
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .collect();
    Some(if text.is_empty() {
        "an exception report without a message".into()
    } else {
        text.join("; ")
    })
}

/// A successful answer as text, refusing HTML error pages and exception
/// reports whatever their status.
fn xml_text(response: &Response) -> Result<String> {
    if !response.is_success() {
        let mut e = response.status_error();
        if let SyncError::Status { message, .. } = &mut e
            && let Ok(doc) = Document::parse(&response.text())
            && let Some(m) = exception(doc.root_element())
        {
            *message = m;
        }
        return Err(e);
    }
    let text = String::from_utf8(response.body.clone()).map_err(|_| SyncError::BadResponse {
        url: response.url.clone(),
        expected: "XML",
        detail: "the answer is not UTF-8".into(),
    })?;
    if response.content_type.contains("html") || text.trim_start().starts_with("<!DOCTYPE html") {
        return Err(SyncError::BadResponse {
            url: response.url.clone(),
            expected: "XML",
            detail: format!("an HTML page came back: {}", response.snippet()),
        });
    }
    Ok(text)
}

impl Wfs {
    pub fn new(url: &str, http: Http) -> Wfs {
        Wfs {
            base: url.to_string(),
            http,
            types: HashMap::new(),
            seen: HashMap::new(),
            time_filters: HashMap::new(),
        }
    }

    fn url(&self, query: &str) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}SERVICE=WFS&VERSION=1.1.0&{query}", self.base)
    }

    /// Whether `url` is a WFS whose capabilities offer Transaction; an
    /// error when it is no WFS at all.
    pub fn detect(url: &str, http: &mut Http) -> Result<bool> {
        let wfs = Wfs::new(url, http.fork());
        let response = http.get(&wfs.url("REQUEST=GetCapabilities"), "text/xml")?;
        let text = xml_text(&response)?;
        let bad = |detail: String| SyncError::BadResponse {
            url: response.url.clone(),
            expected: "WFS GetCapabilities",
            detail,
        };
        let doc = Document::parse(&text).map_err(|e| bad(format!("it is not XML ({e})")))?;
        let root = doc.root_element();
        if let Some(m) = exception(root) {
            return Err(bad(m));
        }
        if root.tag_name().name() != "WFS_Capabilities" {
            return Err(bad(format!("it is a {} document", root.tag_name().name())));
        }
        // 1.1.0: ows:Operation name="Transaction"; 1.0.0: Request/Transaction.
        Ok(root.descendants().any(|n| {
            (n.tag_name().name() == "Operation" && n.attribute("name") == Some("Transaction"))
                || (n.tag_name().name() == "Transaction"
                    && n.parent().is_some_and(|p| p.tag_name().name() == "Request"))
        }))
    }

    fn feature_type(&mut self, mapping: &LayerMapping) -> Result<FeatureType> {
        self.described(&mapping.collection)
    }

    /// The feature type `name` as DescribeFeatureType gives it, asked once.
    fn described(&mut self, name: &str) -> Result<FeatureType> {
        if let Some(ft) = self.types.get(name) {
            return Ok(ft.clone());
        }
        let url = self.url(&format!(
            "REQUEST=DescribeFeatureType&TYPENAME={}",
            encode(name)
        ));
        let response = self.http.get(&url, "text/xml")?;
        let ft = schema::parse(&url, &xml_text(&response)?, name)?;
        self.types.insert(name.to_string(), ft.clone());
        Ok(ft)
    }

    /// Calls `visit` with each feature element of one GetFeature answer
    /// (`query` after the type name); returns the request's URL.
    fn get_members(
        &mut self,
        type_name: &str,
        query: &str,
        visit: &mut dyn FnMut(Node) -> std::result::Result<(), String>,
    ) -> Result<String> {
        let url = self.url(&format!(
            "REQUEST=GetFeature&TYPENAME={}&{query}",
            encode(type_name)
        ));
        let response = self.http.get(&url, "text/xml")?;
        let text = xml_text(&response)?;
        let bad = |detail: String| SyncError::BadResponse {
            url: url.clone(),
            expected: "WFS FeatureCollection (GML 3)",
            detail,
        };
        let doc = Document::parse(&text).map_err(|e| {
            bad(format!(
                "it is not XML ({e}): {}",
                transaction::snippet(&text)
            ))
        })?;
        let root = doc.root_element();
        if let Some(m) = exception(root) {
            return Err(bad(m));
        }
        if root.tag_name().name() != "FeatureCollection" {
            return Err(bad(format!("it is a {} document", root.tag_name().name())));
        }
        let members = root
            .children()
            .filter(|n| matches!(n.tag_name().name(), "featureMember" | "featureMembers"))
            .flat_map(|m| m.children().filter(Node::is_element));
        for feature in members {
            if feature.tag_name().name() != type_name {
                return Err(bad(format!(
                    "a {} feature among the {type_name} asked for",
                    feature.tag_name().name(),
                )));
            }
            visit(feature).map_err(bad)?;
        }
        Ok(url)
    }

    /// The features of one GetFeature answer, with the newest value of the
    /// property `time` among them where one is named.
    fn get_features_timed(
        &mut self,
        ft: &FeatureType,
        mapping: &LayerMapping,
        query: &str,
        time: Option<&str>,
    ) -> Result<(Vec<Record>, Option<String>)> {
        let mut records = Vec::new();
        let mut newest = None;
        let query = format!("SRSNAME=EPSG:{}&{query}", mapping.epsg);
        let url = self.get_members(&ft.name, &query, &mut |feature| {
            if let Some(time) = time {
                newest = changes::newer(newest.take(), property(feature, time));
            }
            records.push(schema::record(ft, mapping, feature)?);
            Ok(())
        })?;
        super::sanity::check_page(mapping, &records, &url)?;
        Ok((records, newest))
    }

    /// The features of one GetFeature answer.
    fn get_features(
        &mut self,
        ft: &FeatureType,
        mapping: &LayerMapping,
        query: &str,
    ) -> Result<Vec<Record>> {
        Ok(self.get_features_timed(ft, mapping, query, None)?.0)
    }

    /// Every feature meeting `condition` (query parameters: a BBOX, a
    /// FILTER), page by page, with each page's newest `time`.
    fn fetch_where(
        &mut self,
        mapping: &LayerMapping,
        condition: &str,
        time: Option<&str>,
        page: &mut dyn FnMut(Vec<Record>, Option<String>) -> Result<()>,
    ) -> Result<()> {
        let ft = self.feature_type(mapping)?;
        let sort = encode(ft.sort_key(mapping));
        let mut seen = HashSet::new();
        let mut start = 0;
        loop {
            let query = format!("MAXFEATURES={PAGE}&STARTINDEX={start}&SORTBY={sort}{condition}");
            let (records, newest) = self.get_features_timed(&ft, mapping, &query, time)?;
            let returned = records.len();
            let fresh = records
                .iter()
                .filter(|r| {
                    r.server_id
                        .as_ref()
                        .is_none_or(|id| seen.insert(id.clone()))
                })
                .count();
            if returned > 0 && fresh == 0 {
                return Err(SyncError::BadResponse {
                    url: self.url(&query),
                    expected: "paging",
                    detail: "the page repeats features already read (STARTINDEX ignored?)".into(),
                });
            }
            if returned > 0 {
                page(records, newest)?;
            }
            if returned < PAGE {
                return Ok(());
            }
            start += returned;
        }
    }

    /// The features with these UUIDs, by a filter on the UUID property.
    fn by_uuid(
        &mut self,
        ft: &FeatureType,
        mapping: &LayerMapping,
        uuids: &[&str],
    ) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        for chunk in uuids.chunks(UUIDS_PER_REQUEST) {
            let filter = transaction::uuid_filter(&mapping.uuid_field, chunk, true);
            out.extend(self.get_features(ft, mapping, &format!("FILTER={}", encode(&filter)))?);
        }
        Ok(out)
    }
}

impl Portal for Wfs {
    fn writes_per_send(&self) -> usize {
        WRITES_PER_SEND
    }

    fn http(&mut self) -> &mut Http {
        &mut self.http
    }

    fn describe(&mut self, mapping: &LayerMapping) -> Result<Option<Description>> {
        let ft = self.feature_type(mapping)?;
        Ok(Some(Description {
            fields: ft.fields.clone(),
            geometry_type: ft.geometry_type,
            id_is_uuid: false,
        }))
    }

    fn fetch(
        &mut self,
        mapping: &LayerMapping,
        bbox: Option<[f64; 4]>,
        page: &mut dyn FnMut(Vec<Record>) -> Result<()>,
    ) -> Result<()> {
        // The box is read in SRSNAME's CRS (QGIS ignores a 5th element).
        let bbox = bbox.map_or(String::new(), |b| {
            format!("&BBOX={},{},{},{}", b[0], b[1], b[2], b[3])
        });
        self.fetch_where(mapping, &bbox, None, &mut |records, _| page(records))
    }

    fn fetch_these(
        &mut self,
        mapping: &LayerMapping,
        wanted: &[Record],
    ) -> Result<HashMap<String, Record>> {
        let ft = self.feature_type(mapping)?;
        let mut out = HashMap::new();
        if wanted.len() > MANY {
            // Many features: the checked-out extent in pages of a thousand
            // costs a few requests where filters cost hundreds.
            let uuids: HashSet<&str> = wanted.iter().map(|r| r.uuid.as_str()).collect();
            self.fetch(mapping, mapping.extent, &mut |page| {
                for r in page {
                    if uuids.contains(r.uuid.as_str()) {
                        out.insert(r.uuid.clone(), r);
                    }
                }
                Ok(())
            })?;
        }
        let by_id: Vec<&Record> = wanted
            .iter()
            .filter(|r| r.server_id.is_some() && !out.contains_key(&r.uuid))
            .collect();
        // Features another client added without a UUID: the one given here
        // (checkout, pull) stands for it until a push writes it.
        let mut unnamed = HashSet::new();
        for chunk in by_id.chunks(IDS_PER_REQUEST) {
            let ids: Vec<String> = chunk.iter().filter_map(|r| r.server_id.clone()).collect();
            let query = format!("FEATUREID={}", encode(&ids.join(",")));
            for mut r in self.get_features(&ft, mapping, &query)? {
                if r.uuid.is_empty()
                    && let Some(w) = chunk.iter().find(|w| w.server_id == r.server_id)
                {
                    r.uuid = w.uuid.clone();
                    unnamed.insert(r.uuid.clone());
                }
                // A server id now on another feature (renumbered) is no
                // answer: the UUID decides.
                if chunk.iter().any(|w| w.uuid == r.uuid) {
                    out.insert(r.uuid.clone(), r);
                }
            }
        }
        let rest: Vec<&str> = wanted
            .iter()
            .filter(|r| !out.contains_key(&r.uuid) && !r.uuid.is_empty())
            .map(|r| r.uuid.as_str())
            .collect();
        if !rest.is_empty() {
            for r in self.by_uuid(&ft, mapping, &rest)? {
                out.insert(r.uuid.clone(), r);
            }
        }
        for (uuid, r) in &out {
            let mut as_on_server = r.clone();
            if unnamed.contains(uuid) {
                as_on_server.uuid.clear();
            }
            self.seen
                .insert((mapping.collection.clone(), uuid.clone()), as_on_server);
        }
        Ok(out)
    }

    fn changes(&mut self, mapping: &LayerMapping, since: Option<&str>) -> Result<Option<Changes>> {
        match self.time_filter(mapping)? {
            Some(filter) => self.changes_by(mapping, filter, since).map(Some),
            None => Ok(None),
        }
    }

    fn remember_current(&mut self, mapping: &LayerMapping, current: &HashMap<String, Record>) {
        for (uuid, r) in current {
            self.seen
                .insert((mapping.collection.clone(), uuid.clone()), r.clone());
        }
    }

    fn send(
        &mut self,
        mapping: &LayerMapping,
        ops: &[Op],
        done: &mut dyn FnMut(usize, Outcome) -> Result<()>,
    ) -> Result<()> {
        if ops.is_empty() {
            return Ok(());
        }
        let ft = self.feature_type(mapping)?;
        // Deletes go by the server's id as it is now.
        let unknown: Vec<Record> = ops
            .iter()
            .filter(|op| matches!(op, Op::Delete(r) if r.server_id.is_none()))
            .map(|op| op.record().clone())
            .collect();
        let found = if unknown.is_empty() {
            HashMap::new()
        } else {
            self.fetch_these(mapping, &unknown)?
        };
        let mut sent = Vec::with_capacity(ops.len());
        // Writes with nothing left to do: a delete of what is already gone, a
        // replace the server already has.
        let mut settled = HashSet::new();
        let mut changed = HashMap::new();
        let mut unnamed = HashSet::new();
        for op in ops {
            if let Op::Replace(r) = op
                && let Some(theirs) = self.seen.get(&(mapping.collection.clone(), r.uuid.clone()))
            {
                let fields = r.changed_fields(theirs, mapping.xy_tolerance);
                if theirs.uuid.is_empty() {
                    // The server has not got its UUID yet: this update gives it.
                    unnamed.insert(r.uuid.clone());
                } else if fields.is_empty() {
                    // The server has it already (sent before, answer lost).
                    settled.insert(r.uuid.clone());
                    continue;
                }
                changed.insert(r.uuid.clone(), fields);
            }
            match op {
                Op::Delete(r) if r.server_id.is_none() => match found.get(&r.uuid) {
                    Some(theirs) => {
                        let mut r = r.clone();
                        r.server_id = theirs.server_id.clone();
                        sent.push(Op::Delete(r));
                    }
                    None => {
                        settled.insert(r.uuid.clone());
                    }
                },
                op => sent.push(op.clone()),
            }
        }
        if sent.is_empty() {
            for i in 0..ops.len() {
                done(i, Outcome::Done { server_id: None })?;
            }
            return Ok(());
        }
        // A few Transactions at once: a portal runs several QGIS processes,
        // and one uploads while another is processed.
        let url = self.url("REQUEST=Transaction");
        let part_size = sent
            .len()
            .div_ceil(self.http.connections())
            .max(MIN_PER_TRANSACTION);
        let parts: Vec<&[Op]> = sent.chunks(part_size).collect();
        let bodies = parts
            .iter()
            .map(|part| transaction::document(&ft, mapping, part, &changed, &unnamed))
            .collect::<Result<Vec<_>>>()?;
        // As many workers as parts, one Transaction each: no part is left
        // unmade, so each has its own result.
        let results = parallel(&mut self.http, bodies.len(), |http, i| {
            post(http, &url, &bodies[i])
        })?;
        // One answer for all parts; a part's failure without a locator is
        // its own writes' failure; a part lost in transit tells nothing.
        let mut answer = transaction::Answer::default();
        let mut untold = HashSet::new();
        let mut lost = None;
        for (part, result) in parts.iter().zip(results) {
            match result {
                Ok(Ok(a)) => {
                    answer.inserted += a.inserted;
                    answer.updated += a.updated;
                    answer.deleted += a.deleted;
                    answer.insert_ids.extend(a.insert_ids);
                    let general = a.failed.get("").cloned();
                    for op in part.iter() {
                        let uuid = &op.record().uuid;
                        if let Some(m) = a.failed.get(uuid).or(general.as_ref()) {
                            answer.failed.insert(uuid.clone(), m.clone());
                        }
                    }
                }
                Ok(Err(message)) => {
                    for op in part.iter() {
                        answer
                            .failed
                            .insert(op.record().uuid.clone(), message.clone());
                    }
                }
                Err(e) => {
                    untold.extend(part.iter().map(|op| op.record().uuid.clone()));
                    lost.get_or_insert(e);
                }
            }
        }
        let failed = |uuid: &str| answer.failed.get(uuid).cloned();
        // Updates and deletes carry no per-feature result: when the totals
        // fall short of what was asked, read the features back.
        let told = sent.iter().filter(|op| !untold.contains(&op.record().uuid));
        let (replaces, deletes) = told.clone().fold((0, 0), |(u, d), op| match op {
            Op::Replace(r) if failed(&r.uuid).is_none() => (u + 1, d),
            Op::Delete(r) if failed(&r.uuid).is_none() => (u, d + 1),
            _ => (u, d),
        });
        let check: Vec<Record> = told
            .filter(|op| match op {
                Op::Replace(_) => answer.updated < replaces,
                Op::Delete(_) => answer.deleted < deletes,
                Op::Create(_) => false,
            })
            .map(|op| op.record().clone())
            .collect();
        let now = if check.is_empty() {
            HashMap::new()
        } else {
            self.fetch_these(mapping, &check)?
        };
        for (i, op) in ops.iter().enumerate() {
            let r = op.record();
            if untold.contains(&r.uuid) {
                continue;
            }
            let outcome = if settled.contains(&r.uuid) {
                Outcome::Done { server_id: None }
            } else if let Some(message) = failed(&r.uuid) {
                Outcome::Failed(format!("{url}: {message}"))
            } else {
                match op {
                    Op::Create(_) => match answer.insert_ids.get(&r.uuid) {
                        Some(id) => Outcome::Done {
                            server_id: Some(id.clone()),
                        },
                        None => Outcome::Failed(format!(
                            "{url}: the answer has no InsertResult for {}",
                            r.uuid
                        )),
                    },
                    Op::Replace(_) if answer.updated < replaces => match now.get(&r.uuid) {
                        Some(theirs) if theirs.same_as(r, mapping.xy_tolerance) => {
                            Outcome::Done { server_id: None }
                        }
                        Some(_) => {
                            Outcome::Failed(format!("{url}: the server did not apply the update"))
                        }
                        None => {
                            Outcome::Failed(format!("{url}: the feature is gone from the server"))
                        }
                    },
                    Op::Delete(_) if answer.deleted < deletes && now.contains_key(&r.uuid) => {
                        Outcome::Failed(format!("{url}: the server did not delete the feature"))
                    }
                    _ => Outcome::Done { server_id: None },
                }
            };
            done(i, outcome)?;
        }
        match lost {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// POSTs one Transaction: its answer, a refusal of all its writes (a
/// status that is no passing trouble), or an error when nothing can be
/// known (the link, a garbled or cut answer: the writes are then checked
/// next time, creates by UUID, never assumed).
fn post(
    http: &mut Http,
    url: &str,
    body: &str,
) -> Result<std::result::Result<transaction::Answer, String>> {
    let response = http.send(
        "POST",
        url,
        &[("Content-Type", "text/xml"), ("Accept", "text/xml")],
        Some(body.as_bytes()),
    )?;
    if response.is_success() {
        return Ok(Ok(transaction::answer(url, &response.body)?));
    }
    let e = match xml_text(&response) {
        Err(e) => e,
        Ok(_) => response.status_error(),
    };
    if e.is_transient() {
        return Err(e);
    }
    Ok(Err(e.to_string()))
}
