//! A WFS 1.1.0 Transaction document and what its answer says, per write.
//!
//! QGIS Server (the province's WFS-T) sets the rules here: one feature per
//! `wfs:Insert` (two in one are refused), each write with a `handle` (the
//! feature's UUID) because the answers come in reverse order and are only
//! tied to writes by it, Delete by `ogc:FeatureId` only (property filters
//! delete nothing), and an HTTP 200 that carries a `Message` for the
//! writes that failed while the others stay committed (not atomic).
//! Non-ASCII text goes as numeric character references: QGIS's own
//! `qgis_mapserver` hangs on a UTF-8 byte in a POST body.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use roxmltree::{Document, Node};
use serde_json::Value;

use super::gml;
use super::schema::FeatureType;
use crate::sync::error::{Result, SyncError};
use crate::sync::geojson::from_geojson;
use crate::sync::portal::Op;
use crate::sync::record::{GEOMETRY, Record};
use crate::sync::remote::LayerMapping;

const WFS: &str = "http://www.opengis.net/wfs";
const OGC: &str = "http://www.opengis.net/ogc";

/// XML text or attribute value: markup escaped, non-ASCII as `&#N;`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_ascii() => out.push(c),
            c => {
                let _ = write!(out, "&#{};", c as u32);
            }
        }
    }
    out
}

/// A property value as element text; None for null.
fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

/// A filter on the feature's UUID: survives a server that renumbered its
/// ids. `declare` binds the `ogc` prefix, for a filter standing alone (in
/// a GetFeature URL) rather than inside a Transaction that binds it.
pub fn uuid_filter(uuid_field: &str, uuids: &[&str], declare: bool) -> String {
    let one = |u: &str| {
        format!(
            "<ogc:PropertyIsEqualTo><ogc:PropertyName>{}</ogc:PropertyName><ogc:Literal>{}</ogc:Literal></ogc:PropertyIsEqualTo>",
            escape(uuid_field),
            escape(u)
        )
    };
    let inner = match uuids {
        [u] => one(u),
        _ => format!(
            "<ogc:Or>{}</ogc:Or>",
            uuids.iter().map(|u| one(u)).collect::<String>()
        ),
    };
    let xmlns = if declare {
        format!(" xmlns:ogc=\"{OGC}\"")
    } else {
        String::new()
    };
    format!("<ogc:Filter{xmlns}>{inner}</ogc:Filter>")
}

/// The Transaction for `ops` (Deletes need the server id). An Update
/// carries only the fields `changed` lists for its UUID (the geometry as
/// [`GEOMETRY`]), every synced field when it lists none: a WFS Update is
/// partial, so what the server changed meanwhile elsewhere stays.
pub fn document(
    ft: &FeatureType,
    mapping: &LayerMapping,
    ops: &[Op],
    changed: &HashMap<String, Vec<String>>,
    unnamed: &HashSet<String>,
) -> Result<String> {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <wfs:Transaction service=\"WFS\" version=\"1.1.0\" xmlns:wfs=\"{WFS}\" \
         xmlns:gml=\"{}\" xmlns:ogc=\"{OGC}\" xmlns:f=\"{}\">",
        gml::GML,
        escape(&ft.namespace)
    );
    let type_name = format!("f:{}", escape(&ft.name));
    for op in ops {
        let r = op.record();
        let handle = escape(&r.uuid);
        match op {
            Op::Create(_) => {
                let _ = write!(out, "<wfs:Insert handle=\"{handle}\"><{type_name}>");
                for name in &ft.order {
                    if let Some(text) = insert_value(ft, mapping, r, name)? {
                        let _ = write!(out, "<f:{0}>{text}</f:{0}>", escape(name));
                    }
                }
                let _ = write!(out, "</{type_name}></wfs:Insert>");
            }
            Op::Replace(_) => {
                let _ = write!(
                    out,
                    "<wfs:Update typeName=\"{type_name}\" handle=\"{handle}\">"
                );
                let only = changed.get(&r.uuid);
                for name in &ft.order {
                    let geometry = Some(name.as_str()) == ft.geometry.as_deref();
                    if name == &mapping.uuid_field || !(geometry || ft.is_synced(mapping, name)) {
                        continue;
                    }
                    let key = if geometry { GEOMETRY } else { name.as_str() };
                    if only.is_some_and(|fields| !fields.iter().any(|f| f == key)) {
                        continue;
                    }
                    let _ = write!(out, "<wfs:Property><wfs:Name>{}</wfs:Name>", escape(name));
                    if let Some(text) = insert_value(ft, mapping, r, name)? {
                        let _ = write!(out, "<wfs:Value>{text}</wfs:Value>");
                    }
                    out.push_str("</wfs:Property>");
                }
                match r.server_id.as_deref().filter(|_| unnamed.contains(&r.uuid)) {
                    // Without a UUID on the server: found by its id, given its UUID.
                    Some(id) => {
                        let _ = write!(
                            out,
                            "<wfs:Property><wfs:Name>{}</wfs:Name><wfs:Value>{handle}</wfs:Value></wfs:Property>\
                             <ogc:Filter><ogc:FeatureId fid=\"{}\"/></ogc:Filter>",
                            escape(&mapping.uuid_field),
                            escape(id)
                        );
                    }
                    None => out.push_str(&uuid_filter(&mapping.uuid_field, &[&r.uuid], false)),
                }
                out.push_str("</wfs:Update>");
            }
            Op::Delete(_) => {
                let id = r.server_id.as_deref().ok_or_else(|| {
                    SyncError::Config(format!("feature {}: no server id to delete by", r.uuid))
                })?;
                let _ = write!(
                    out,
                    "<wfs:Delete typeName=\"{type_name}\" handle=\"{handle}\"><ogc:Filter><ogc:FeatureId fid=\"{}\"/></ogc:Filter></wfs:Delete>",
                    escape(id)
                );
            }
        }
    }
    out.push_str("</wfs:Transaction>");
    Ok(out)
}

/// An element's text for the record (escaped; the geometry as GML).
fn insert_value(
    ft: &FeatureType,
    mapping: &LayerMapping,
    r: &Record,
    name: &str,
) -> Result<Option<String>> {
    if Some(name) == ft.geometry.as_deref() {
        let Some(g) = &r.geometry else {
            return Ok(None);
        };
        let geometry = from_geojson(g)
            .map_err(|e| SyncError::Config(format!("feature {}: {e}", r.uuid)))?
            .expect("a geometry object");
        return Ok(Some(gml::write(&geometry, mapping.epsg)));
    }
    if name == mapping.uuid_field {
        return Ok(Some(escape(&r.uuid)));
    }
    if !ft.is_synced(mapping, name) {
        return Ok(None);
    }
    Ok(r.properties
        .get(name)
        .and_then(value_text)
        .map(|t| escape(&t)))
}

/// What a TransactionResponse said.
#[derive(Debug, Default, PartialEq)]
pub struct Answer {
    pub inserted: usize,
    pub updated: usize,
    pub deleted: usize,
    /// Server ids of the inserts, by handle.
    pub insert_ids: HashMap<String, String>,
    /// Failure messages, by handle (`Action locator`); a message without a
    /// locator under "".
    pub failed: HashMap<String, String>,
}

/// Reads a TransactionResponse (1.1.0) or WFS_TransactionResponse (1.0.0);
/// an exception report or any other document is an error naming `url`.
pub fn answer(url: &str, body: &[u8]) -> Result<Answer> {
    let bad = |detail: String| SyncError::BadResponse {
        url: url.to_string(),
        expected: "WFS TransactionResponse",
        detail,
    };
    let text = std::str::from_utf8(body).map_err(|_| bad("it is not UTF-8".into()))?;
    let doc = Document::parse(text)
        .map_err(|e| bad(format!("it is not XML ({e}): {}", snippet(text))))?;
    let root = doc.root_element();
    if let Some(message) = super::exception(root) {
        return Err(bad(format!(
            "the server refused the transaction: {message}"
        )));
    }
    if !matches!(
        root.tag_name().name(),
        "TransactionResponse" | "WFS_TransactionResponse"
    ) {
        return Err(bad(format!("it is a {} document", root.tag_name().name())));
    }
    let mut a = Answer::default();
    let count = |name: &str| -> usize {
        descendant(root, name)
            .and_then(|n| n.text())
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0)
    };
    a.inserted = count("totalInserted");
    a.updated = count("totalUpdated");
    a.deleted = count("totalDeleted");
    for n in root.descendants().filter(|n| n.is_element()) {
        match n.tag_name().name() {
            // 1.1.0: InsertResults/Feature[@handle]/ogc:FeatureId; 1.0.0:
            // InsertResult[@handle]/ogc:FeatureId.
            "Feature" | "InsertResult" => {
                let handle = n.attribute("handle").unwrap_or("").to_string();
                if let Some(id) = n
                    .descendants()
                    .find(|c| c.tag_name().name() == "FeatureId")
                    .and_then(|c| c.attribute("fid"))
                {
                    a.insert_ids.insert(handle, id.to_string());
                }
            }
            "Action" => {
                let locator = n.attribute("locator").unwrap_or("").to_string();
                let message = descendant(n, "Message")
                    .and_then(|m| m.text())
                    .unwrap_or("the server reported a failure")
                    .trim()
                    .to_string();
                a.failed.insert(locator, message);
            }
            // 1.0.0: TransactionResult/Status/FAILED with a Message.
            "FAILED" => {
                let message = descendant(root, "Message")
                    .and_then(|m| m.text())
                    .unwrap_or("FAILED");
                a.failed
                    .entry(String::new())
                    .or_insert_with(|| message.trim().to_string());
            }
            _ => {}
        }
    }
    Ok(a)
}

fn descendant<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.descendants()
        .find(|n| n.is_element() && n.tag_name().name() == name)
}

pub fn snippet(text: &str) -> String {
    let t: String = text.chars().take(200).collect();
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_goes_as_character_references() {
        assert_eq!(
            escape("Trạm <1> & \"Huế\""),
            "Tr&#7841;m &lt;1&gt; &amp; &quot;Hu&#7871;&quot;"
        );
    }

    #[test]
    fn a_qgis_answer_is_read_per_handle() {
        // As QGIS Server 3.22 answered an Insert that broke a UNIQUE
        // constraint next to one that landed (see SYNC-SERVERS.md).
        let body = br#"<TransactionResponse xmlns="http://www.opengis.net/wfs" version="1.1.0" xmlns:ogc="http://www.opengis.net/ogc">
 <TransactionSummary><totalInserted>1</totalInserted><totalUpdated>0</totalUpdated><totalDeleted>0</totalDeleted></TransactionSummary>
 <TransactionResults><Action locator="u1"><Message>Insert features failed on layer 'bts'</Message></Action></TransactionResults>
 <InsertResults><Feature handle="u3"><ogc:FeatureId fid="bts.4"/></Feature></InsertResults>
</TransactionResponse>"#;
        let a = answer("http://x/ows", body).unwrap();
        assert_eq!(a.inserted, 1);
        assert_eq!(a.insert_ids.get("u3").map(String::as_str), Some("bts.4"));
        assert!(a.failed["u1"].contains("Insert features failed"));
    }

    #[test]
    fn an_exception_report_is_an_error_naming_the_server() {
        let body = br#"<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows" version="1.0.0"><ows:Exception exceptionCode="InvalidParameterValue"><ows:ExceptionText>Insert action element must have one or more child node</ows:ExceptionText></ows:Exception></ows:ExceptionReport>"#;
        let e = answer("http://x/ows", body).unwrap_err().to_string();
        assert!(
            e.contains("http://x/ows") && e.contains("one or more child node"),
            "{e}"
        );
        assert!(answer("http://x/ows", b"<html><body>oops</body></html>").is_err());
        assert!(answer("http://x/ows", b"{\"json\": 1}").is_err());
    }
}
