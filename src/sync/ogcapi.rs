//! OGC API – Features: Part 1 reads (paged `items`, `bbox`), Part 2 CRS
//! (`crs`, `bbox-crs`, `Content-Crs`) and Part 4 writes (POST, PUT,
//! DELETE), written for the servers a province runs (pygeoapi, QGIS
//! Server's /wfs3) and their quirks (see SYNC-SERVERS.md):
//! - reads name the layer's CRS (pygeoapi otherwise answers CRS84), and a
//!   page without `Content-Crs` is CRS84 and is reprojected here;
//! - writes are in the collection's `storageCrs` (pygeoapi stores the
//!   coordinates verbatim), with `Content-Type: application/geo+json`
//!   exactly (with a charset pygeoapi takes the body for a search);
//! - a PUT carries the id in the body (pygeoapi takes it from there);
//! - a `next` link comes even on the last page: an empty page ends;
//! - a status is not trusted alone: an error body in a 2xx is a failure,
//!   and a create's id comes from its `Location`;
//! - on a portal prepared with `server-sql`, changes are read by
//!   `datetime` on the change time and deletes from the tombstone
//!   collection ([`super::changes`]).
//!
//! Writes go out over a few connections at once: pygeoapi has no batch
//! endpoint and closes each connection, so on a 200 ms link one request at
//! a time would take minutes for what the bandwidth moves in seconds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use serde_json::{Map, Value, json};

use super::changes::{self, Changes};
use super::error::{Result, SyncError};
use super::geojson::{from_geojson, to_geojson};
use super::http::{Http, Response, encode, parallel};
use super::portal::{Description, Op, Outcome, Portal};
use super::record::Record;
use super::remote::LayerMapping;
use super::server_sql::{CHANGE_TIME, TOMBSTONES};
use crate::crs::{Crs, Transformer};
use crate::model::{FieldType, GeometryType};

const PART4: &str = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete";
const PAGE: usize = 1000;
/// Above this many features, `fetch_these` reads the extent page by page.
const MANY: usize = 100;

pub fn crs_uri(epsg: i32) -> String {
    format!("http://www.opengis.net/def/crs/EPSG/0/{epsg}")
}

/// How one collection takes coordinates.
#[derive(Debug, Clone)]
struct CollectionCrs {
    /// The server returns the layer's CRS when asked with `crs=`.
    reads_native: bool,
    /// The server stores what it is given in the layer's CRS.
    writes_native: bool,
}

pub struct OgcApi {
    base: String,
    http: Http,
    collections: HashMap<String, CollectionCrs>,
    /// Per collection: whether it keeps change times and tombstones.
    keeps_changes: HashMap<String, bool>,
    /// The most decimals a coordinate in degrees (CRS84, reprojected here)
    /// has had in the answers: what the server writes them to.
    degree_decimals: std::cell::Cell<Option<u32>>,
}

impl OgcApi {
    pub fn new(url: &str, http: Http) -> OgcApi {
        OgcApi {
            base: url.trim_end_matches('/').to_string(),
            http,
            collections: HashMap::new(),
            keeps_changes: HashMap::new(),
            degree_decimals: std::cell::Cell::new(None),
        }
    }

    /// Whether the landing page at `url` is an OGC API – Features one; the
    /// conformance classes it declares (Part 4 or not) come back.
    pub fn detect(url: &str, http: &mut Http) -> Result<Vec<String>> {
        let base = url.trim_end_matches('/');
        let landing = http.get(&format!("{base}/?f=json"), "application/json")?;
        if !landing.is_success() {
            return Err(landing.status_error());
        }
        let page = landing.json()?;
        if page.get("links").and_then(Value::as_array).is_none() {
            return Err(SyncError::BadResponse {
                url: landing.url,
                expected: "OGC API landing page",
                detail: "it has no \"links\"".into(),
            });
        }
        let conformance = http.get(&format!("{base}/conformance?f=json"), "application/json")?;
        if !conformance.is_success() {
            return Err(conformance.status_error());
        }
        let classes = conformance
            .json()?
            .get("conformsTo")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Ok(classes)
    }

    pub fn declares_writes(classes: &[String]) -> bool {
        classes.iter().any(|c| c == PART4)
    }

    fn items_url(&self, collection: &str) -> String {
        format!("{}/collections/{}/items", self.base, encode(collection))
    }

    fn item_url(&self, collection: &str, id: &str) -> String {
        format!("{}/{}", self.items_url(collection), encode(id))
    }

    fn collection_crs(&mut self, mapping: &LayerMapping) -> Result<CollectionCrs> {
        if let Some(c) = self.collections.get(&mapping.collection) {
            return Ok(c.clone());
        }
        let url = format!(
            "{}/collections/{}?f=json",
            self.base,
            encode(&mapping.collection)
        );
        // QGIS Server 3.22 answers a 500 from a process whose layer extent
        // is empty ("forward transform of (inf, inf)") and the description
        // from another; a GET may be asked again. No CRS is assumed on
        // failure: pygeoapi stores what it is sent verbatim.
        let mut response = self.http.get(&url, "application/json")?;
        for _ in 0..3 {
            if response.status < 500 {
                break;
            }
            response = self.http.get(&url, "application/json")?;
        }
        if !response.is_success() {
            return Err(response.status_error());
        }
        let info = response.json()?;
        let wanted = crs_uri(mapping.epsg);
        let listed = info
            .get("crs")
            .and_then(Value::as_array)
            .is_some_and(|list| list.iter().any(|c| c.as_str() == Some(wanted.as_str())));
        let storage = info.get("storageCrs").and_then(Value::as_str);
        let crs = CollectionCrs {
            reads_native: listed,
            writes_native: storage == Some(wanted.as_str()),
        };
        self.collections
            .insert(mapping.collection.clone(), crs.clone());
        Ok(crs)
    }

    /// Records of a page's features (`page` is `response` parsed);
    /// coordinates in CRS84 are reprojected.
    fn records(
        &self,
        mapping: &LayerMapping,
        response: &Response,
        page: &Value,
    ) -> Result<Vec<Record>> {
        let features = features_of(page, response)?;
        let transform = self.transform_from(mapping, response)?;
        if transform.is_some() {
            let decimals = features
                .iter()
                .filter_map(|f| f.get("geometry"))
                .map(max_decimals)
                .max();
            if let Some(d) = decimals {
                let coarsest = self.degree_decimals.get().map_or(d, |c| c.max(d));
                self.degree_decimals.set(Some(coarsest));
            }
        }
        let records = features
            .iter()
            .map(|f| record_of(mapping, f, transform.as_ref(), &response.url))
            .collect::<Result<Vec<_>>>()?;
        super::sanity::check_page(mapping, &records, &response.url)?;
        Ok(records)
    }

    /// Reads `url` and the pages its next links lead to, each parsed once;
    /// `each` takes a page and says how many features it held (none: the
    /// last page).
    fn read_pages(
        &mut self,
        mut url: String,
        each: &mut dyn FnMut(&OgcApi, &Response, &Value) -> Result<usize>,
    ) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        loop {
            if !seen.insert(url.clone()) {
                return Err(SyncError::BadResponse {
                    url,
                    expected: "paging",
                    detail: "the next link points back to a page already read".into(),
                });
            }
            let response = self
                .http
                .get(&url, "application/geo+json, application/json")?;
            let page = json_body(&response)?;
            let returned = each(self, &response, &page)?;
            match next_link(&page) {
                Some(next) if returned > 0 => url = with_json_format(&self.rebase(&next)),
                _ => return Ok(()),
            }
        }
    }

    /// Whether the collection filters by its change time and the portal
    /// publishes tombstones: a `datetime` in the far future must answer
    /// an empty page from both (a server that ignores the parameter
    /// answers features; one without the column, an error).
    fn keeps_changes(&mut self, collection: &str) -> Result<bool> {
        if let Some(known) = self.keeps_changes.get(collection) {
            return Ok(*known);
        }
        let mut keeps = true;
        for c in [collection, TOMBSTONES] {
            let url = format!(
                "{}?f=json&limit=1&datetime={}",
                self.items_url(c),
                encode("2999-01-01T00:00:00Z/..")
            );
            let response = self
                .http
                .get(&url, "application/geo+json, application/json")?;
            let empty = response.is_success()
                && response.json().ok().is_some_and(|page| {
                    page.get("features")
                        .and_then(Value::as_array)
                        .is_some_and(Vec::is_empty)
                });
            if !empty {
                // One request where the portal is not prepared.
                keeps = false;
                break;
            }
        }
        self.keeps_changes.insert(collection.to_string(), keeps);
        Ok(keeps)
    }

    /// A link the server wrote with its own idea of its address (pygeoapi
    /// writes its configured `server.url`): put on the URL this client
    /// talks to, so paging goes the same way as the first request (through
    /// a gateway or a proxy) rather than around it.
    fn rebase(&self, link: &str) -> String {
        let origin = |url: &str| -> (String, String) {
            let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
            let cut = rest.find('/').unwrap_or(rest.len());
            (
                format!("{scheme}://{}", &rest[..cut]),
                rest[cut..].to_string(),
            )
        };
        let (ours, our_path) = origin(&self.base);
        let (theirs, path) = origin(link);
        if theirs != ours && path.starts_with(&our_path) {
            format!("{ours}{path}")
        } else {
            link.to_string()
        }
    }

    /// A transformer to the layer's CRS when the answer is in CRS84.
    fn transform_from(
        &self,
        mapping: &LayerMapping,
        response: &Response,
    ) -> Result<Option<Transformer>> {
        let wanted = crs_uri(mapping.epsg);
        let in_wanted = response
            .content_crs
            .as_deref()
            .is_some_and(|c| c.trim_matches(['<', '>']) == wanted);
        if in_wanted {
            return Ok(None);
        }
        let t = Transformer::between(&Crs::Epsg(4326), &Crs::Epsg(mapping.epsg))
            .map_err(|e| SyncError::Config(format!("reprojecting from CRS84: {e}")))?;
        Ok(Some(t))
    }

    fn body_of(&self, mapping: &LayerMapping, record: &Record, native: bool) -> Result<Vec<u8>> {
        let mut properties = Map::new();
        for (k, v) in &record.properties {
            properties.insert(k.clone(), v.clone());
        }
        if !mapping.id_is_uuid {
            properties.insert(
                mapping.uuid_field.clone(),
                Value::String(record.uuid.clone()),
            );
        }
        let geometry = match (&record.geometry, native) {
            (Some(g), true) => g.clone(),
            (Some(g), false) => {
                let mut geometry = from_geojson(g)
                    .map_err(|e| SyncError::Config(format!("feature {}: {e}", record.uuid)))?
                    .expect("a geometry object");
                let t = Transformer::between(&Crs::Epsg(mapping.epsg), &Crs::Epsg(4326))
                    .map_err(|e| SyncError::Config(format!("reprojecting to CRS84: {e}")))?;
                t.transform_geometry(&mut geometry)
                    .map_err(|e| SyncError::Config(format!("feature {}: {e}", record.uuid)))?;
                to_geojson(&geometry)
            }
            (None, _) => Value::Null,
        };
        let mut feature =
            json!({"type": "Feature", "geometry": geometry, "properties": properties});
        let id = if mapping.id_is_uuid {
            Some(Value::String(record.uuid.clone()))
        } else {
            record.server_id.as_ref().map(|s| match s.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => Value::String(s.clone()),
            })
        };
        if let Some(id) = id {
            feature["id"] = id;
        }
        Ok(serde_json::to_vec(&feature).expect("a feature serializes"))
    }
}

/// A JSON body, refusing HTML error pages that come with 200.
fn json_body(response: &Response) -> Result<Value> {
    if !response.is_success() {
        return Err(response.status_error());
    }
    if response.content_type.contains("html") {
        return Err(SyncError::BadResponse {
            url: response.url.clone(),
            expected: "JSON",
            detail: format!("an HTML page came back: {}", response.snippet()),
        });
    }
    response.json()
}

/// A FeatureCollection page's features.
fn features_of<'a>(page: &'a Value, response: &Response) -> Result<&'a Vec<Value>> {
    page.get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| SyncError::BadResponse {
            url: response.url.clone(),
            expected: "GeoJSON FeatureCollection",
            detail: format!(
                "it has no \"features\"; it starts with {}",
                response.snippet()
            ),
        })
}

/// The most decimals among a GeoJSON geometry's coordinates (as written:
/// serde_json keeps the shortest text that reads back the same).
fn max_decimals(geometry: &Value) -> u32 {
    match geometry {
        Value::Number(n) => n.to_string().split_once('.').map_or(0, |(_, frac)| {
            frac.trim_end_matches(|c: char| !c.is_ascii_digit()).len() as u32
        }),
        Value::Array(items) => items.iter().map(max_decimals).max().unwrap_or(0),
        Value::Object(o) => o
            .get("coordinates")
            .or_else(|| o.get("geometries"))
            .map_or(0, max_decimals),
        _ => 0,
    }
}

/// The newest change time on a page's features, under `field`.
fn newest_on(page: &Value, field: &str) -> Option<String> {
    page.get("features")?
        .as_array()?
        .iter()
        .filter_map(|f| f.get("properties")?.get(field)?.as_str())
        .map(str::to_string)
        .fold(None, |newest, t| changes::newer(newest, Some(t)))
}

fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn record_of(
    mapping: &LayerMapping,
    feature: &Value,
    transform: Option<&Transformer>,
    url: &str,
) -> Result<Record> {
    let bad = |detail: String| SyncError::BadResponse {
        url: url.to_string(),
        expected: "GeoJSON Feature",
        detail,
    };
    let server_id = feature.get("id").and_then(id_text);
    let properties = feature
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let uuid = properties
        .get(&mapping.uuid_field)
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| server_id.clone().filter(|_| mapping.id_is_uuid))
        .unwrap_or_default();
    let mut geometry = feature.get("geometry").cloned().filter(|g| !g.is_null());
    if let Some(g) = &geometry {
        let parsed = from_geojson(g).map_err(|e| bad(format!("feature {uuid}: {e}")))?;
        if let (Some(mut parsed), Some(t)) = (parsed, transform) {
            t.transform_geometry(&mut parsed)
                .map_err(|e| bad(format!("feature {uuid}: {e}")))?;
            geometry = Some(to_geojson(&parsed));
        }
    }
    let keep = |name: &String| mapping.fields.is_empty() || mapping.fields.contains(name);
    Ok(Record {
        uuid,
        server_id,
        geometry,
        properties: properties
            .into_iter()
            .filter(|(k, _)| k != &mapping.uuid_field && keep(k))
            .collect(),
    })
}

fn next_link(page: &Value) -> Option<String> {
    page.get("links")?
        .as_array()?
        .iter()
        .find(|l| l.get("rel").and_then(Value::as_str) == Some("next"))?
        .get("href")?
        .as_str()
        .map(str::to_string)
}

fn with_json_format(url: &str) -> String {
    if url.contains("f=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&f=json")
    } else {
        format!("{url}?f=json")
    }
}

fn field_type(schema: &Value) -> Option<FieldType> {
    let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
    Some(match schema.get("type").and_then(Value::as_str)? {
        "integer" => FieldType::Integer,
        "number" => FieldType::Real,
        "boolean" => FieldType::Boolean,
        "string" if format == "date" => FieldType::Date,
        "string" if format == "date-time" => FieldType::DateTime,
        "string" => FieldType::Text,
        _ => return None,
    })
}

fn geometry_type(format: &str) -> Option<GeometryType> {
    Some(match format {
        "geometry-point" => GeometryType::Point,
        "geometry-multipoint" => GeometryType::MultiPoint,
        "geometry-linestring" => GeometryType::LineString,
        "geometry-multilinestring" => GeometryType::MultiLineString,
        "geometry-polygon" => GeometryType::Polygon,
        "geometry-multipolygon" => GeometryType::MultiPolygon,
        "geometry-any" => GeometryType::Geometry,
        _ => return None,
    })
}

impl Portal for OgcApi {
    fn http(&mut self) -> &mut Http {
        &mut self.http
    }

    fn describe(&mut self, mapping: &LayerMapping) -> Result<Option<Description>> {
        let url = format!(
            "{}/collections/{}/schema?f=json",
            self.base,
            encode(&mapping.collection)
        );
        let response = self.http.get(&url, "application/schema+json")?;
        if response.status == 404 {
            return Ok(None);
        }
        let schema = json_body(&response)?;
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            return Ok(None);
        };
        let mut description = Description {
            fields: Vec::new(),
            geometry_type: None,
            id_is_uuid: false,
        };
        for (name, p) in properties {
            let role = p.get("x-ogc-role").and_then(Value::as_str);
            let format = p.get("format").and_then(Value::as_str).unwrap_or("");
            if role == Some("primary-geometry") || format.starts_with("geometry-") {
                description.geometry_type = geometry_type(format);
                continue;
            }
            if role == Some("id") {
                description.id_is_uuid = name == &mapping.uuid_field;
                if description.id_is_uuid {
                    description.fields.push((name.clone(), FieldType::Text));
                }
                continue;
            }
            if let Some(t) = field_type(p) {
                description.fields.push((name.clone(), t));
            }
        }
        Ok(Some(description))
    }

    fn fetch(
        &mut self,
        mapping: &LayerMapping,
        bbox: Option<[f64; 4]>,
        page: &mut dyn FnMut(Vec<Record>) -> Result<()>,
    ) -> Result<()> {
        let crs = self.collection_crs(mapping)?;
        let mut url = format!(
            "{}?f=json&limit={PAGE}",
            self.items_url(&mapping.collection)
        );
        if crs.reads_native {
            url.push_str(&format!("&crs={}", encode(&crs_uri(mapping.epsg))));
        }
        if let Some(b) = bbox {
            if crs.reads_native {
                url.push_str(&format!(
                    "&bbox={},{},{},{}&bbox-crs={}",
                    b[0],
                    b[1],
                    b[2],
                    b[3],
                    encode(&crs_uri(mapping.epsg))
                ));
            } else {
                let ll = crate::crs::lonlat_box(
                    &Crs::Epsg(mapping.epsg),
                    geo_types::Rect::new((b[0], b[1]), (b[2], b[3])),
                )
                .ok_or_else(|| SyncError::Config("the extent cannot be put in CRS84".into()))?;
                url.push_str(&format!(
                    "&bbox={},{},{},{}",
                    ll.min().x,
                    ll.min().y,
                    ll.max().x,
                    ll.max().y
                ));
            }
        }
        self.read_pages(url, &mut |api, response, body| {
            let records = api.records(mapping, response, body)?;
            let returned = records.len();
            if returned > 0 {
                page(records)?;
            }
            Ok(returned)
        })
    }

    fn fetch_these(
        &mut self,
        mapping: &LayerMapping,
        wanted: &[Record],
    ) -> Result<HashMap<String, Record>> {
        let mut out = HashMap::new();
        let mut wanted: Vec<&Record> = wanted.iter().collect();
        if wanted.len() > MANY {
            // Many features: the checked-out extent in pages of a thousand
            // costs a few requests where one per feature costs thousands.
            let uuids: std::collections::HashSet<&str> =
                wanted.iter().map(|r| r.uuid.as_str()).collect();
            let mut found = HashMap::new();
            self.fetch(mapping, mapping.extent, &mut |page| {
                for r in page {
                    if uuids.contains(r.uuid.as_str()) {
                        found.insert(r.uuid.clone(), r);
                    }
                }
                Ok(())
            })?;
            wanted.retain(|r| !found.contains_key(&r.uuid));
            out.extend(found);
        }
        let crs = self.collection_crs(mapping)?;
        let suffix = if crs.reads_native {
            format!("?f=json&crs={}", encode(&crs_uri(mapping.epsg)))
        } else {
            "?f=json".into()
        };
        let urls: Vec<(String, String)> = wanted
            .iter()
            .map(|r| {
                let id = r.server_id.clone().unwrap_or_else(|| r.uuid.clone());
                (
                    r.uuid.clone(),
                    format!("{}{suffix}", self.item_url(&mapping.collection, &id)),
                )
            })
            .collect();
        let responses = parallel(&mut self.http, urls.len(), |http, i| {
            http.get(&urls[i].1, "application/geo+json, application/json")
        })?;
        for (i, response) in responses.into_iter().enumerate() {
            let response = response?;
            if response.status == 404 {
                continue;
            }
            let feature = json_body(&response)?;
            let transform = self.transform_from(mapping, &response)?;
            let mut record = record_of(mapping, &feature, transform.as_ref(), &response.url)?;
            if record.uuid.is_empty() {
                record.uuid = urls[i].0.clone();
            }
            if record.uuid == urls[i].0 {
                out.insert(record.uuid.clone(), record);
            }
        }
        Ok(out)
    }

    fn coordinate_step(&self, mapping: &LayerMapping) -> Option<f64> {
        // Only 8 decimals or more (about a millimetre) are a layer's own.
        let decimals = self.degree_decimals.get().filter(|d| *d < 8)?;
        let degrees = 10f64.powi(-(decimals as i32));
        Some(if Crs::Epsg(mapping.epsg).is_geographic() {
            degrees
        } else {
            // A degree of latitude, the longest a degree gets here.
            degrees * 111_320.0
        })
    }

    fn changes(&mut self, mapping: &LayerMapping, since: Option<&str>) -> Result<Option<Changes>> {
        if !self.keeps_changes(&mapping.collection)? {
            return Ok(None);
        }
        let items = self.items_url(&mapping.collection);
        let Some(since) = since else {
            let url = format!("{items}?f=json&limit=1&skipGeometry=true&sortby=-{CHANGE_TIME}");
            let response = self
                .http
                .get(&url, "application/geo+json, application/json")?;
            return Ok(Some(Changes {
                newest: newest_on(&json_body(&response)?, CHANGE_TIME),
                ..Changes::default()
            }));
        };
        let window = encode(&format!("{since}/.."));
        let crs = self.collection_crs(mapping)?;
        let mut url = format!("{items}?f=json&limit={PAGE}&datetime={window}");
        if crs.reads_native {
            url.push_str(&format!("&crs={}", encode(&crs_uri(mapping.epsg))));
        }
        let mut changes = Changes::default();
        self.read_pages(url, &mut |api, response, page| {
            let records = api.records(mapping, response, page)?;
            let newest = newest_on(page, CHANGE_TIME);
            changes.newest = changes::newer(changes.newest.take(), newest);
            let returned = records.len();
            changes.changed.extend(records);
            Ok(returned)
        })?;
        let url = format!(
            "{}?f=json&limit={PAGE}&skipGeometry=true&datetime={window}",
            self.items_url(TOMBSTONES)
        );
        self.read_pages(url, &mut |_, response, page| {
            let features = features_of(page, response)?;
            for f in features {
                if let Some(uuid) = f.pointer("/properties/uuid").and_then(Value::as_str) {
                    changes.deleted.insert(uuid.to_string());
                }
            }
            let newest = newest_on(page, "deleted_at");
            changes.newest = changes::newer(changes.newest.take(), newest);
            Ok(features.len())
        })?;
        Ok(Some(changes))
    }

    fn send(
        &mut self,
        mapping: &LayerMapping,
        ops: &[Op],
        done: &mut dyn FnMut(usize, Outcome) -> Result<()>,
    ) -> Result<()> {
        let native = self.collection_crs(mapping)?.writes_native;
        let crs_header = format!("<{}>", crs_uri(mapping.epsg));
        let mut requests = Vec::with_capacity(ops.len());
        for op in ops {
            let r = op.record();
            let request = match op {
                Op::Create(_) => (
                    "POST",
                    self.items_url(&mapping.collection),
                    Some(self.body_of(mapping, r, native)?),
                ),
                Op::Replace(_) | Op::Delete(_) => {
                    let id = if mapping.id_is_uuid {
                        r.uuid.clone()
                    } else {
                        r.server_id.clone().ok_or_else(|| {
                            SyncError::Config(format!("feature {} has no server id", r.uuid))
                        })?
                    };
                    let url = self.item_url(&mapping.collection, &id);
                    match op {
                        Op::Replace(_) => ("PUT", url, Some(self.body_of(mapping, r, native)?)),
                        _ => ("DELETE", url, None),
                    }
                }
            };
            requests.push(request);
        }
        let stop = AtomicBool::new(false);
        let (tx, rx) = mpsc::channel::<(usize, Result<Outcome>)>();
        let mut first_error = None;
        let workers = self.http.connections().min(ops.len()).max(1);
        let mut totals = (0, 0, 0);
        std::thread::scope(|scope| {
            let mut handles = Vec::new();
            for w in 0..workers {
                let tx = tx.clone();
                let mut http = self.http.fork();
                let requests = &requests;
                let stop = &stop;
                let crs_header = &crs_header;
                handles.push(scope.spawn(move || {
                    let mut i = w;
                    while i < requests.len() && !stop.load(Ordering::Relaxed) {
                        let (method, url, body) = &requests[i];
                        let mut headers = vec![("Accept", "application/json")];
                        if body.is_some() {
                            headers.push(("Content-Type", "application/geo+json"));
                            if native {
                                headers.push(("Content-Crs", crs_header.as_str()));
                            }
                        }
                        let outcome = http
                            .send(method, url, &headers, body.as_deref())
                            .map(|r| outcome_of(method, &r));
                        let failed = outcome.is_err();
                        if tx.send((i, outcome)).is_err() || failed {
                            break;
                        }
                        i += workers;
                    }
                    (http.bytes_sent, http.bytes_received, http.requests)
                }));
            }
            drop(tx);
            for (i, outcome) in rx {
                let result = outcome.and_then(|o| done(i, o));
                if let Err(e) = result {
                    stop.store(true, Ordering::Relaxed);
                    first_error.get_or_insert(e);
                }
            }
            for h in handles {
                let (s, r, n) = h.join().expect("a sync worker does not panic");
                totals.0 += s;
                totals.1 += r;
                totals.2 += n;
            }
        });
        self.http.add_counts(totals.0, totals.1, totals.2);
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// A write's answer, read rather than trusted.
fn outcome_of(method: &str, response: &Response) -> Outcome {
    if method == "DELETE" && response.status == 404 {
        // Already gone: what the delete wanted.
        return Outcome::Done { server_id: None };
    }
    if !response.is_success() {
        return Outcome::Failed(response.status_error().to_string());
    }
    if !response.body.is_empty()
        && let Ok(v) = serde_json::from_slice::<Value>(&response.body)
        && v.get("code").is_some()
        && v.get("type").is_none()
    {
        return Outcome::Failed(format!(
            "{}: HTTP {} but the body says {}",
            response.url,
            response.status,
            response.snippet()
        ));
    }
    let server_id = response
        .location
        .as_deref()
        .and_then(|l| l.trim_end_matches('/').rsplit('/').next())
        .map(|id| id.split(['?', '#']).next().unwrap_or(id).to_string());
    Outcome::Done { server_id }
}
