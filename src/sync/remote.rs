//! Remotes: a portal's URL, its protocol, how to authenticate (never the
//! secret itself) and the layers mapped to its collections. Kept in the
//! workspace (`tramgis_sync_remotes`, `tramgis_sync_layers`), so a field
//! laptop carries its sync set-up with its data.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::error::{Result, SyncError};
use super::state;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    /// OGC API – Features, Part 1 (read) + Part 4 (create/replace/delete).
    OgcApiFeatures,
    /// WFS 1.1.0 with Transaction (WFS-T).
    WfsT,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::OgcApiFeatures => "ogcapi-features",
            Protocol::WfsT => "wfs-t",
        }
    }

    pub fn parse(text: &str) -> Option<Protocol> {
        match text {
            "ogcapi-features" | "ogcapi" | "oapif" => Some(Protocol::OgcApiFeatures),
            "wfs-t" | "wfst" | "wfs" => Some(Protocol::WfsT),
            _ => None,
        }
    }
}

/// How the portal wants to be authenticated. The secret (password or
/// token) is not here: it comes from the OS keyring or is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Auth {
    None,
    Basic { user: String },
    Bearer,
}

impl Auth {
    pub fn describe(&self) -> String {
        match self {
            Auth::None => "none".into(),
            Auth::Basic { user } => format!("basic ({user})"),
            Auth::Bearer => "bearer token".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Remote {
    pub name: String,
    pub url: String,
    pub protocol: Protocol,
    pub auth: Auth,
}

/// A local layer bound to a server's collection (or WFS feature type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerMapping {
    pub layer: String,
    pub collection: String,
    /// The column holding each feature's UUID, locally and on the server.
    pub uuid_field: String,
    /// Local field name → server property name, where they differ.
    #[serde(default)]
    pub renames: BTreeMap<String, String>,
    /// Local fields not sent (computed locally, or unknown to the server).
    #[serde(default)]
    pub local_only: Vec<String>,
    /// The server properties synced (the collection's fields that the
    /// local layer has); others the server sends are ignored.
    #[serde(default)]
    pub fields: Vec<String>,
    /// The server's feature id is the UUID itself (pygeoapi's
    /// `id_field: uuid`), not a number of its own.
    #[serde(default)]
    pub id_is_uuid: bool,
    /// EPSG code of the layer's (and the requests') CRS.
    pub epsg: i32,
    /// Coordinates closer than this are the same (the servers round).
    pub xy_tolerance: f64,
    /// The checked-out extent, in the layer's CRS.
    pub extent: Option<[f64; 4]>,
    /// The newest server change time the last read saw, where the portal
    /// keeps change times (see [`super::changes`]); None: pulls compare
    /// the whole extent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes_since: Option<String>,
}

impl LayerMapping {
    pub fn new(layer: &str, collection: &str, epsg: i32) -> Self {
        LayerMapping {
            layer: layer.into(),
            collection: collection.into(),
            uuid_field: "uuid".into(),
            renames: BTreeMap::new(),
            local_only: Vec::new(),
            fields: Vec::new(),
            id_is_uuid: false,
            epsg,
            xy_tolerance: if crate::crs::Crs::Epsg(epsg).is_geographic() {
                1e-8
            } else {
                1e-3
            },
            extent: None,
            changes_since: None,
        }
    }

    /// The server's name of a local field; None when it is not sent.
    pub fn remote_field<'a>(&'a self, local: &'a str) -> Option<&'a str> {
        if self.local_only.iter().any(|f| f == local) {
            return None;
        }
        Some(self.renames.get(local).map_or(local, String::as_str))
    }

    /// The local name of a server property.
    pub fn local_field<'a>(&'a self, remote: &'a str) -> &'a str {
        self.renames
            .iter()
            .find(|(_, r)| r.as_str() == remote)
            .map_or(remote, |(l, _)| l.as_str())
    }
}

pub fn add(conn: &Connection, remote: &Remote) -> Result<()> {
    state::ensure_tables(conn)?;
    let auth = serde_json::to_string(&remote.auth).expect("auth serializes");
    conn.execute(
        "INSERT INTO tramgis_sync_remotes (name, url, protocol, auth) VALUES (?1, ?2, ?3, ?4)",
        params![remote.name, remote.url, remote.protocol.name(), auth],
    )
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            SyncError::Config(format!("a remote named '{}' exists already", remote.name))
        }
        other => state::sql(other, "adding the remote"),
    })?;
    Ok(())
}

pub fn list(conn: &Connection) -> Result<Vec<Remote>> {
    if !state::has_tables(conn)? {
        return Ok(Vec::new());
    }
    let mut stmt = conn
        .prepare("SELECT name, url, protocol, auth FROM tramgis_sync_remotes ORDER BY name")
        .map_err(|e| state::sql(e, "reading the remotes"))?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .map_err(|e| state::sql(e, "reading the remotes"))?;
    let mut out = Vec::new();
    for row in rows {
        let (name, url, protocol, auth) = row.map_err(|e| state::sql(e, "reading the remotes"))?;
        out.push(Remote {
            protocol: Protocol::parse(&protocol).ok_or_else(|| {
                SyncError::Config(format!("remote '{name}': unknown protocol '{protocol}'"))
            })?,
            auth: serde_json::from_str(&auth).unwrap_or(Auth::None),
            name,
            url,
        });
    }
    Ok(out)
}

pub fn get(conn: &Connection, name: &str) -> Result<Remote> {
    list(conn)?
        .into_iter()
        .find(|r| r.name == name)
        .ok_or_else(|| SyncError::NoSuchRemote(name.into()))
}

/// Removes a remote with its layer mappings and sync state; the layers and
/// their data stay.
pub fn remove(conn: &Connection, name: &str) -> Result<()> {
    get(conn, name)?;
    for table in [
        "tramgis_sync_features",
        "tramgis_sync_layers",
        "tramgis_sync_conflicts",
    ] {
        conn.execute(&format!("DELETE FROM {table} WHERE remote = ?1"), [name])
            .map_err(|e| state::sql(e, "removing the remote"))?;
    }
    conn.execute("DELETE FROM tramgis_sync_remotes WHERE name = ?1", [name])
        .map_err(|e| state::sql(e, "removing the remote"))?;
    Ok(())
}

pub fn layers(conn: &Connection, remote: &str) -> Result<Vec<LayerMapping>> {
    if !state::has_tables(conn)? {
        return Ok(Vec::new());
    }
    let mut stmt = conn
        .prepare("SELECT mapping FROM tramgis_sync_layers WHERE remote = ?1 ORDER BY layer")
        .map_err(|e| state::sql(e, "reading the layer mappings"))?;
    let rows = stmt
        .query_map([remote], |r| r.get::<_, String>(0))
        .map_err(|e| state::sql(e, "reading the layer mappings"))?;
    let mut out = Vec::new();
    for row in rows {
        let text = row.map_err(|e| state::sql(e, "reading the layer mappings"))?;
        out.push(serde_json::from_str(&text).map_err(|e| {
            SyncError::Config(format!("remote '{remote}': a damaged layer mapping: {e}"))
        })?);
    }
    Ok(out)
}

pub fn layer(conn: &Connection, remote: &str, layer: &str) -> Result<LayerMapping> {
    layers(conn, remote)?
        .into_iter()
        .find(|m| m.layer == layer)
        .ok_or_else(|| SyncError::NotCheckedOut {
            remote: remote.into(),
            layer: layer.into(),
        })
}

pub fn save_layer(conn: &Connection, remote: &str, mapping: &LayerMapping) -> Result<()> {
    let text = serde_json::to_string(mapping).expect("mapping serializes");
    conn.execute(
        "INSERT INTO tramgis_sync_layers (remote, layer, mapping) VALUES (?1, ?2, ?3)
         ON CONFLICT (remote, layer) DO UPDATE SET mapping = excluded.mapping",
        params![remote, mapping.layer, text],
    )
    .map_err(|e| state::sql(e, "saving the layer mapping"))?;
    Ok(())
}

/// The journal position up to which a layer's edits are pushed.
pub fn synced_change_id(conn: &Connection, remote: &str, layer: &str) -> Result<i64> {
    conn.query_row(
        "SELECT synced_change_id FROM tramgis_sync_layers WHERE remote = ?1 AND layer = ?2",
        params![remote, layer],
        |r| r.get(0),
    )
    .optional()
    .map_err(|e| state::sql(e, "reading the sync position"))
    .map(|v| v.unwrap_or(0))
}

pub fn set_synced_change_id(conn: &Connection, remote: &str, layer: &str, id: i64) -> Result<()> {
    conn.execute(
        "UPDATE tramgis_sync_layers SET synced_change_id = ?3 WHERE remote = ?1 AND layer = ?2",
        params![remote, layer, id],
    )
    .map_err(|e| state::sql(e, "saving the sync position"))?;
    Ok(())
}
