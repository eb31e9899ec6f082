//! Check-out: a collection of the portal, within an extent, becomes a
//! local layer; every feature is stored with its base version (what the
//! server had) for later three-way merges. One transaction: a dropped link
//! or a cancel leaves no half-made layer.

use std::collections::BTreeMap;

use serde_json::Value;

use super::error::{Result, SyncError};
use super::local::{self, in_edit};
use super::portal::{Description, Portal, fetch_all};
use super::record::Record;
use super::remote::{self, LayerMapping, Remote};
use super::state::{self, RowState, SyncRow};
use crate::gpkg::{GeoPackage, LayerMeta};
use crate::jobs::Progress;
use crate::model::{Field, FieldType, GeometryType, Schema};

#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    pub collection: String,
    /// The local layer to create (default: the collection's name).
    pub layer: String,
    /// The extent, in the layer's CRS; None: the whole collection.
    pub extent: Option<[f64; 4]>,
    pub epsg: i32,
    /// The server property (and local column) holding the UUID.
    pub uuid_field: String,
    /// Local field name → server property name, where the local layer
    /// names a field its own way (`do_cao` for the portal's `height`).
    pub renames: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckoutReport {
    pub features: u64,
    /// Server features without a UUID: given one here, pushed next.
    pub given_uuids: u64,
    pub bytes_received: u64,
}

pub fn checkout(
    gpkg: &mut GeoPackage,
    remote: &Remote,
    portal: &mut dyn Portal,
    request: &CheckoutRequest,
    progress: &Progress,
) -> Result<CheckoutReport> {
    state::ensure_tables(gpkg.connection())?;
    if gpkg.layer(&request.layer).is_ok() {
        return Err(SyncError::Config(format!(
            "{}: layer '{}' exists already; choose another name for the checkout",
            gpkg.path().display(),
            request.layer
        )));
    }
    let mut mapping = LayerMapping::new(&request.layer, &request.collection, request.epsg);
    mapping.uuid_field = request.uuid_field.clone();
    mapping.extent = request.extent;
    // Before the read: what changes during it comes at the first pull.
    let keeps_changes = portal.changes(&mapping, None)?;
    mapping.changes_since = keeps_changes.as_ref().and_then(|c| c.newest.clone());
    mapping.renames = request.renames.clone();
    let description = portal.describe(&mapping)?;
    mapping.id_is_uuid = description.as_ref().is_some_and(|d| d.id_is_uuid);
    let mut records = fetch_all(portal, &mapping, request.extent, progress)?;
    // A server that rounds its answers: compare geometries at its step, or
    // each pull would find every feature moved.
    if let Some(step) = portal.coordinate_step(&mapping) {
        mapping.xy_tolerance = mapping.xy_tolerance.max(step);
    }
    if description.is_none() && !records.is_empty() {
        // Without a schema: the server's ids are the UUIDs when no
        // feature carries the UUID property and every id is one.
        mapping.id_is_uuid = records.iter().all(|r| {
            !r.properties.contains_key(&mapping.uuid_field)
                && r.server_id.as_deref().is_some_and(local::is_uuid)
        });
        if mapping.id_is_uuid {
            for r in &mut records {
                r.uuid = r.server_id.clone().unwrap_or_default();
            }
        }
    }
    let (mut fields, geometry_type) = layout(description.as_ref(), &records, &mapping);
    // A server property named like the local key or geometry column is
    // the server's own row key (pygeoapi shows the serial `fid` when the
    // UUID is the id): it is not synced, the server assigns it.
    fields.retain(|f| !["fid", "geom", "geometry"].contains(&f.name.to_lowercase().as_str()));
    // Nor is the change time a portal keeps by trigger: every push would
    // come back as a change of it.
    if keeps_changes.is_some() {
        fields.retain(|f| f.name != super::server_sql::CHANGE_TIME);
    }
    // The layout names fields locally; the mapping keeps the server's names.
    mapping.fields = fields
        .iter()
        .filter(|f| f.name != mapping.uuid_field)
        .filter_map(|f| mapping.remote_field(&f.name).map(str::to_string))
        .collect();
    for server_name in request.renames.values() {
        if !mapping.fields.contains(server_name) {
            return Err(SyncError::Config(format!(
                "{}: collection '{}' has no property '{server_name}' to rename (it has: {})",
                remote.url,
                request.collection,
                mapping.fields.join(", ")
            )));
        }
    }
    let mut schema_fields = vec![Field::new(&mapping.uuid_field, FieldType::Text)];
    schema_fields.extend(fields.into_iter().filter(|f| f.name != mapping.uuid_field));
    let schema = Schema::new(geometry_type, request.epsg, schema_fields);
    for r in &records {
        super::sanity::check_type(&mapping, geometry_type, r, &remote.url)?;
    }
    for r in &mut records {
        r.properties.retain(|k, _| mapping.fields.contains(k));
    }
    // The title is gpkg_contents.identifier, which is UNIQUE: a second
    // checkout of the collection (another commune, another layer) names
    // its layer too.
    let title = if request.layer == request.collection {
        format!("{} ({})", request.collection, remote.name)
    } else {
        format!(
            "{} ({}, {})",
            request.collection, remote.name, request.layer
        )
    };
    let meta = LayerMeta {
        title_vi: Some(title.clone()),
        title_en: Some(title),
        ..LayerMeta::default()
    };
    let bytes_received = portal.http().bytes_received;
    let description_text = format!("Lấy dữ liệu '{}' từ {}", request.collection, remote.name);
    let (features, given) = in_edit(gpkg, &description_text, |e| {
        e.create_layer(&request.layer, &schema, &meta)?;
        let info = e.layer_info(&request.layer)?;
        let mut given = 0;
        for mut record in records {
            let state = if record.uuid.is_empty() {
                record.uuid = local::new_uuid();
                given += 1;
                RowState::Dirty
            } else {
                RowState::Synced
            };
            let fid = local::write(e, &mapping, &info.schema, None, &record)?;
            state::put_row(
                e.connection(),
                &remote.name,
                &mapping.layer,
                &SyncRow {
                    uuid: record.uuid.clone(),
                    fid: Some(fid),
                    server_id: record.server_id.clone(),
                    base: Some(record),
                    state,
                },
            )?;
        }
        remote::save_layer(e.connection(), &remote.name, &mapping)?;
        let newest: i64 = e
            .connection()
            .query_row(
                "SELECT coalesce(max(change_id), 0) FROM tramgis_changes",
                [],
                |r| r.get(0),
            )
            .map_err(|e| state::sql(e, "reading the journal position"))?;
        remote::set_synced_change_id(e.connection(), &remote.name, &mapping.layer, newest)?;
        let count: i64 = e
            .connection()
            .query_row(
                &format!(
                    "SELECT count(*) FROM {}",
                    crate::gpkg::quote(&request.layer)
                ),
                [],
                |r| r.get(0),
            )
            .map_err(|e| state::sql(e, "counting the checked-out features"))?;
        Ok((count as u64, given))
    })?;
    gpkg.update_extent(&request.layer)?;
    Ok(CheckoutReport {
        features,
        given_uuids: given,
        bytes_received,
    })
}

/// The local layer's fields and geometry type: the server's schema where
/// it publishes one, else what the features carry.
fn layout(
    description: Option<&Description>,
    records: &[Record],
    mapping: &LayerMapping,
) -> (Vec<Field>, GeometryType) {
    let geometry_from_data = || {
        let kinds: Vec<&str> = records
            .iter()
            .filter_map(|r| r.geometry.as_ref()?.get("type")?.as_str())
            .collect();
        match kinds.first() {
            Some(first) if kinds.iter().all(|k| k == first) => geometry_type_named(first),
            _ => GeometryType::Geometry,
        }
    };
    if let Some(d) = description
        && !d.fields.is_empty()
    {
        let fields = d
            .fields
            .iter()
            .map(|(n, t)| Field::new(mapping.local_field(n), *t))
            .collect();
        // pygeoapi says "geometry-any" for every PostGIS column: the
        // features then tell the type (a layer of points stays points).
        let geometry = match d.geometry_type {
            Some(t) if t != GeometryType::Geometry => t,
            _ => geometry_from_data(),
        };
        return (fields, geometry);
    }
    let mut types: BTreeMap<String, FieldType> = BTreeMap::new();
    for r in records {
        for (name, value) in &r.properties {
            let seen = match value {
                Value::Bool(_) => FieldType::Boolean,
                Value::Number(n) if n.is_i64() || n.is_u64() => FieldType::Integer,
                Value::Number(_) => FieldType::Real,
                Value::Null => continue,
                _ => FieldType::Text,
            };
            let entry = types.entry(name.clone()).or_insert(seen);
            *entry = match (*entry, seen) {
                (a, b) if a == b => a,
                (FieldType::Integer, FieldType::Real) | (FieldType::Real, FieldType::Integer) => {
                    FieldType::Real
                }
                _ => FieldType::Text,
            };
        }
        for name in r.properties.keys() {
            types.entry(name.clone()).or_insert(FieldType::Text);
        }
    }
    let fields = types
        .into_iter()
        .map(|(n, t)| Field::new(mapping.local_field(&n), t))
        .collect();
    (fields, geometry_from_data())
}

fn geometry_type_named(name: &str) -> GeometryType {
    match name {
        "Point" => GeometryType::Point,
        "MultiPoint" => GeometryType::MultiPoint,
        "LineString" => GeometryType::LineString,
        "MultiLineString" => GeometryType::MultiLineString,
        "Polygon" => GeometryType::Polygon,
        "MultiPolygon" => GeometryType::MultiPolygon,
        _ => GeometryType::Geometry,
    }
}
