//! Shared pieces of the sync tests: seed PostGIS as another client would,
//! make workspaces with a remote, run the operations, and compare the
//! workspace's towers with PostGIS's.

use std::collections::BTreeMap;
use std::path::Path;

use super::sync_servers::SyncServers;
use geo_types::{Geometry, Point};
use tramgis::gpkg::GeoPackage;
use tramgis::jobs::Progress;
use tramgis::model::{Feature, FieldValue};
use tramgis::sync::SyncError;
use tramgis::sync::checkout::{CheckoutRequest, checkout};
use tramgis::sync::connect::connect;
use tramgis::sync::http::{Credentials, Limits};
use tramgis::sync::pull::{PullReport, pull};
use tramgis::sync::push::{PushReport, push};
use tramgis::sync::remote::{self, Auth, Protocol, Remote};

pub const X0: f64 = 560_000.0;
pub const Y0: f64 = 1_820_000.0;

/// 20 towers and 10 parcels, put in PostGIS as another client would.
pub fn seed(servers: &SyncServers) {
    servers.reset();
    servers.psql(&format!(
        "INSERT INTO bts (uuid, ma_tram, nha_mang, chieu_cao, geom)
         SELECT gen_random_uuid()::text, 'BG' || lpad(i::text, 4, '0'),
                (ARRAY['Viettel','VNPT','MobiFone'])[1 + i % 3], 20 + i * 1.5,
                ST_SetSRID(ST_MakePoint({X0} + i * 100.25, {Y0} + i * 50.5), 9214)
         FROM generate_series(1, 20) i"
    ));
    servers.psql(&format!(
        "INSERT INTO thua_dat (uuid, ma_loai_dat, dien_tich, so_thua, geom)
         SELECT gen_random_uuid()::text, (ARRAY['LUC','ONT','CLN'])[1 + i % 3], 2500, i,
                ST_SetSRID(ST_MakeEnvelope({X0} + i * 50, {Y0}, {X0} + i * 50 + 50, {Y0} + 50), 9214)
         FROM generate_series(1, 10) i"
    ));
}

pub fn workspace(dir: &Path, name: &str, url: &str) -> (GeoPackage, Remote) {
    let mut gpkg = GeoPackage::create(dir.join(format!("{name}.gpkg"))).unwrap();
    gpkg.set_user(name);
    let remote = Remote {
        name: "portal".into(),
        url: url.into(),
        protocol: Protocol::OgcApiFeatures,
        auth: Auth::None,
    };
    remote::add(gpkg.connection(), &remote).unwrap();
    (gpkg, remote)
}

pub fn portal(remote: &Remote) -> Box<dyn tramgis::sync::portal::Portal> {
    portal_with(remote, Limits::default())
}

pub fn portal_with(remote: &Remote, limits: Limits) -> Box<dyn tramgis::sync::portal::Portal> {
    connect(remote, Credentials::None, limits)
}

pub fn check_out(gpkg: &mut GeoPackage, remote: &Remote, collection: &str) -> u64 {
    let request = CheckoutRequest {
        collection: collection.into(),
        layer: collection.into(),
        extent: None,
        epsg: 9214,
        uuid_field: "uuid".into(),
        renames: Default::default(),
    };
    checkout(
        gpkg,
        remote,
        portal(remote).as_mut(),
        &request,
        &Progress::default(),
    )
    .unwrap()
    .features
}

pub fn try_push(
    gpkg: &mut GeoPackage,
    remote: &Remote,
    limits: Limits,
) -> Result<PushReport, SyncError> {
    push(
        gpkg,
        remote,
        portal_with(remote, limits).as_mut(),
        &Progress::default(),
    )
}

pub fn try_pull(
    gpkg: &mut GeoPackage,
    remote: &Remote,
    limits: Limits,
) -> Result<PullReport, SyncError> {
    pull(
        gpkg,
        remote,
        portal_with(remote, limits).as_mut(),
        &Progress::default(),
    )
}

pub fn do_push(gpkg: &mut GeoPackage, remote: &Remote) -> PushReport {
    try_push(gpkg, remote, Limits::default()).unwrap()
}

pub fn do_pull(gpkg: &mut GeoPackage, remote: &Remote) -> PullReport {
    try_pull(gpkg, remote, Limits::default()).unwrap()
}

/// Sets one field of one tower, as one edit.
pub fn set_tower(gpkg: &mut GeoPackage, fid: i64, field: &str, value: FieldValue) {
    gpkg.edit(&format!("Sửa {field} của trạm {fid}"), |e| {
        e.set_value("bts", fid, field, &value)
    })
    .unwrap();
}

pub fn field(gpkg: &GeoPackage, layer: &str, name: &str) -> usize {
    gpkg.layer(layer).unwrap().schema.field_index(name).unwrap()
}

/// fid of the local feature with this tower code.
pub fn fid_of(gpkg: &GeoPackage, code: &str) -> i64 {
    let i = field(gpkg, "bts", "ma_tram");
    gpkg.all_features("bts")
        .unwrap()
        .into_iter()
        .find(|f| f.values[i] == FieldValue::Text(code.into()))
        .and_then(|f| f.fid)
        .unwrap_or_else(|| panic!("no local tower {code}"))
}

pub fn uuid_of(gpkg: &GeoPackage, layer: &str, fid: i64) -> String {
    let i = field(gpkg, layer, "uuid");
    match &gpkg.get_feature(layer, fid).unwrap().unwrap().values[i] {
        FieldValue::Text(t) => t.clone(),
        other => panic!("uuid is {other:?}"),
    }
}

/// The server's towers: uuid → "code|operator|height|WKT".
pub fn server_towers(servers: &SyncServers) -> BTreeMap<String, String> {
    servers
        .psql("SELECT uuid, ma_tram || '|' || nha_mang || '|' || chieu_cao || '|' || ST_AsText(geom) FROM bts")
        .lines()
        .filter_map(|l| l.split_once('|'))
        .map(|(u, rest)| (u.to_string(), rest.to_string()))
        .collect()
}

/// The workspace's towers in the same form.
pub fn local_towers(gpkg: &GeoPackage) -> BTreeMap<String, String> {
    let schema = gpkg.layer("bts").unwrap().schema;
    let i = |n: &str| schema.field_index(n).unwrap();
    let text = |v: &FieldValue| match v {
        FieldValue::Text(t) => t.clone(),
        FieldValue::Real(r) => r.to_string(),
        FieldValue::Integer(n) => n.to_string(),
        other => format!("{other:?}"),
    };
    gpkg.all_features("bts")
        .unwrap()
        .into_iter()
        .map(|f| {
            let Some(Geometry::Point(p)) = f.geometry else {
                panic!("a tower is a point")
            };
            (
                text(&f.values[i("uuid")]),
                format!(
                    "{}|{}|{}|POINT({} {})",
                    text(&f.values[i("ma_tram")]),
                    text(&f.values[i("nha_mang")]),
                    text(&f.values[i("chieu_cao")]),
                    p.x(),
                    p.y()
                ),
            )
        })
        .collect()
}

pub fn tower(
    gpkg: &GeoPackage,
    code: &str,
    operator: &str,
    height: f64,
    x: f64,
    y: f64,
) -> Feature {
    let schema = gpkg.layer("bts").unwrap().schema;
    let mut values = vec![FieldValue::Null; schema.fields.len()];
    values[schema.field_index("ma_tram").unwrap()] = FieldValue::Text(code.into());
    values[schema.field_index("nha_mang").unwrap()] = FieldValue::Text(operator.into());
    values[schema.field_index("chieu_cao").unwrap()] = FieldValue::Real(height);
    Feature::new(Some(Geometry::Point(Point::new(x, y))), values)
}

pub fn set_geometry(e: &mut tramgis::gpkg::Edit<'_>, layer: &str, fid: i64, g: Geometry<f64>) {
    let mut f = e.get(layer, fid).unwrap().unwrap();
    f.geometry = Some(g);
    e.update(layer, &f).unwrap();
}

/// A workspace whose remote speaks `protocol` at `url`.
pub fn workspace_for(
    dir: &Path,
    name: &str,
    url: &str,
    protocol: Protocol,
) -> (GeoPackage, Remote) {
    let (gpkg, mut remote) = workspace(dir, name, url);
    remote::remove(gpkg.connection(), &remote.name).unwrap();
    remote.protocol = protocol;
    remote::add(gpkg.connection(), &remote).unwrap();
    (gpkg, remote)
}

/// The workspace validates as a GeoPackage: no error-level finding.
pub fn assert_validates(gpkg: &GeoPackage) {
    let errors: Vec<_> = tramgis::gpkg::validate::validate(gpkg.path())
        .unwrap()
        .into_iter()
        .filter(|p| p.severity == tramgis::gpkg::validate::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

/// The field edits each protocol's test makes: `raised` to 45.5 m high,
/// `moved` to (561 234.125, 1 821 000.5).
pub fn raise_and_move(
    e: &mut tramgis::gpkg::Edit<'_>,
    raised: i64,
    moved: i64,
) -> tramgis::gpkg::Result<()> {
    e.set_value("bts", raised, "chieu_cao", &FieldValue::Real(45.5))?;
    set_geometry(
        e,
        "bts",
        moved,
        Geometry::Point(Point::new(561_234.125, 1_821_000.5)),
    );
    Ok(())
}
