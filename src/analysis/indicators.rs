//! Smart-city indicators by commune: cameras per km² and per km of road,
//! lighting poles per km of road, and the share of the industrial and the
//! urban land within reach of an environmental monitoring station. Each is
//! a [`ResultTable`] and a choropleth layer (the commune polygons with the
//! value, a graduated default style that tramgis and QGIS both show).
//!
//! Roads are clipped to each commune, so a road crossing communes counts
//! in each for its length there. Land zones are the parcels whose
//! land-use code is in the configured lists (SKK, SKN, SKC industrial; ODT
//! urban), each counted in the commune holding its centroid; "within
//! reach" is the part of their area inside a circle of `reach_m` around a
//! station.

use geo::{Area, BooleanOps, BoundingRect, Centroid, Euclidean, Length, unary_union};
use geo_types::{Geometry, MultiLineString, MultiPolygon, Polygon};

use super::coverage::{
    Commune, PolygonIndex, check, circle, column, field_index, field_of, multi_polygon_of,
    point_of, projected_layer, read_communes, round, same_crs,
};
use super::table::ResultTable;
use super::{AnalysisError, Result};
use crate::gpkg::styles::StoredStyle;
use crate::gpkg::{GeoPackage, GpkgError, LayerMeta, quote};
use crate::jobs::Progress;
use crate::model::{Feature, FieldType, FieldValue, GeometryType, LayerTheme, Schema};
use crate::render::LayerStyle;
use crate::render::style::{YELLOW_RED, graduated};

/// What the indicators read. [`Default`]: the sample workspace's layers,
/// industrial codes SKK, SKN, SKC, urban code ODT, a reach of 2 km.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorConfig {
    pub communes_layer: String,
    pub commune_id_field: String,
    pub commune_name_field: String,
    pub roads_layer: String,
    pub cameras_layer: String,
    pub poles_layer: String,
    pub stations_layer: String,
    pub land_layer: String,
    pub land_code_field: String,
    pub industrial_codes: Vec<String>,
    pub urban_codes: Vec<String>,
    /// How far a monitoring station reaches (metres).
    pub reach_m: f64,
    pub quadrant_segments: usize,
    /// Result layers are `<prefix>_<indicator key>`.
    pub output_prefix: String,
}

impl Default for IndicatorConfig {
    fn default() -> Self {
        IndicatorConfig {
            communes_layer: "ranh_gioi_xa".into(),
            commune_id_field: "ma_xa".into(),
            commune_name_field: "ten_xa".into(),
            roads_layer: "duong_giao_thong".into(),
            cameras_layer: "camera".into(),
            poles_layer: "cot_den".into(),
            stations_layer: "cam_bien".into(),
            land_layer: "thua_dat".into(),
            land_code_field: "ma_loai_dat".into(),
            industrial_codes: vec!["SKK".into(), "SKN".into(), "SKC".into()],
            urban_codes: vec!["ODT".into()],
            reach_m: 2000.0,
            quadrant_segments: 30,
            output_prefix: "chi_so".into(),
        }
    }
}

/// The indicators, each a table and a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indicator {
    CamerasPerKm2,
    CamerasPerKmRoad,
    PolesPerKmRoad,
    IndustrialNearStation,
    UrbanNearStation,
}

impl Indicator {
    pub const ALL: [Indicator; 5] = [
        Indicator::CamerasPerKm2,
        Indicator::CamerasPerKmRoad,
        Indicator::PolesPerKmRoad,
        Indicator::IndustrialNearStation,
        Indicator::UrbanNearStation,
    ];

    /// The layer name suffix.
    pub fn key(self) -> &'static str {
        match self {
            Indicator::CamerasPerKm2 => "camera_km2",
            Indicator::CamerasPerKmRoad => "camera_km_duong",
            Indicator::PolesPerKmRoad => "cot_den_km_duong",
            Indicator::IndustrialNearStation => "kcn_gan_quan_trac",
            Indicator::UrbanNearStation => "do_thi_gan_quan_trac",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Indicator::CamerasPerKm2 => "Số camera trên km²",
            Indicator::CamerasPerKmRoad => "Số camera trên km đường",
            Indicator::PolesPerKmRoad => "Số cột đèn chiếu sáng trên km đường",
            Indicator::IndustrialNearStation => {
                "Tỷ lệ đất công nghiệp trong tầm trạm quan trắc (%)"
            }
            Indicator::UrbanNearStation => "Tỷ lệ đất đô thị trong tầm trạm quan trắc (%)",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Indicator::CamerasPerKm2 => "Cameras per km²",
            Indicator::CamerasPerKmRoad => "Cameras per km of road",
            Indicator::PolesPerKmRoad => "Lighting poles per km of road",
            Indicator::IndustrialNearStation => "Industrial land within reach of a station (%)",
            Indicator::UrbanNearStation => "Urban land within reach of a station (%)",
        }
    }

    /// (numerator, denominator) labels and values; the value is their
    /// ratio (×100 for shares), None when the denominator is 0.
    fn parts(self, c: &CommuneIndicators) -> (f64, f64, Option<f64>) {
        let ratio = |n: f64, d: f64, k: f64| (n, d, (d > 0.0).then(|| k * n / d));
        match self {
            Indicator::CamerasPerKm2 => ratio(c.cameras as f64, c.area_m2 / 1e6, 1.0),
            Indicator::CamerasPerKmRoad => ratio(c.cameras as f64, c.road_m / 1000.0, 1.0),
            Indicator::PolesPerKmRoad => ratio(c.poles as f64, c.road_m / 1000.0, 1.0),
            Indicator::IndustrialNearStation => {
                ratio(c.industrial_reached_m2 / 1e4, c.industrial_m2 / 1e4, 100.0)
            }
            Indicator::UrbanNearStation => ratio(c.urban_reached_m2 / 1e4, c.urban_m2 / 1e4, 100.0),
        }
    }

    fn part_columns(self) -> [(&'static str, &'static str, &'static str); 2] {
        match self {
            Indicator::CamerasPerKm2 => [
                ("so_camera", "Số camera", "Cameras"),
                ("dien_tich_km2", "Diện tích (km²)", "Area (km²)"),
            ],
            Indicator::CamerasPerKmRoad => [
                ("so_camera", "Số camera", "Cameras"),
                ("duong_km", "Chiều dài đường (km)", "Road length (km)"),
            ],
            Indicator::PolesPerKmRoad => [
                ("so_cot_den", "Số cột đèn", "Lighting poles"),
                ("duong_km", "Chiều dài đường (km)", "Road length (km)"),
            ],
            Indicator::IndustrialNearStation => [
                (
                    "trong_tam_ha",
                    "Trong tầm quan trắc (ha)",
                    "Within reach (ha)",
                ),
                (
                    "dat_cong_nghiep_ha",
                    "Đất công nghiệp (ha)",
                    "Industrial land (ha)",
                ),
            ],
            Indicator::UrbanNearStation => [
                (
                    "trong_tam_ha",
                    "Trong tầm quan trắc (ha)",
                    "Within reach (ha)",
                ),
                ("dat_do_thi_ha", "Đất đô thị (ha)", "Urban land (ha)"),
            ],
        }
    }
}

/// The measured quantities of one commune.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommuneIndicators {
    pub area_m2: f64,
    pub road_m: f64,
    pub cameras: u64,
    pub poles: u64,
    pub industrial_m2: f64,
    pub industrial_reached_m2: f64,
    pub urban_m2: f64,
    pub urban_reached_m2: f64,
}

#[derive(Debug, Clone)]
pub struct Indicators {
    pub srs_id: i32,
    pub communes: Vec<Commune>,
    /// In the order of `communes`.
    pub values: Vec<CommuneIndicators>,
    pub output_prefix: String,
}

/// Computes every indicator (reads only).
pub fn compute(
    gpkg: &GeoPackage,
    config: &IndicatorConfig,
    progress: &Progress,
) -> Result<Indicators> {
    let communes_info = projected_layer(gpkg, &config.communes_layer)?;
    let infos = [
        &config.roads_layer,
        &config.cameras_layer,
        &config.poles_layer,
        &config.stations_layer,
        &config.land_layer,
    ]
    .map(|name| projected_layer(gpkg, name));
    let [
        roads_info,
        cameras_info,
        poles_info,
        stations_info,
        land_info,
    ] = infos;
    let (roads_info, cameras_info, poles_info, stations_info, land_info) = (
        roads_info?,
        cameras_info?,
        poles_info?,
        stations_info?,
        land_info?,
    );
    for other in [
        &roads_info,
        &cameras_info,
        &poles_info,
        &stations_info,
        &land_info,
    ] {
        same_crs(&communes_info, other)?;
    }
    let code = field_index(&land_info, &config.land_code_field)?;
    let communes = read_communes(
        gpkg,
        &communes_info,
        &config.commune_id_field,
        &config.commune_name_field,
    )?;
    progress.set_total(communes.len() as u64 + 4);
    let index = PolygonIndex::new(communes.iter().map(|c| c.geometry.clone()).collect());
    let mut values: Vec<CommuneIndicators> = communes
        .iter()
        .map(|c| CommuneIndicators {
            area_m2: c.area_m2,
            ..Default::default()
        })
        .collect();

    // Points: each in the commune containing it.
    for (layer, is_camera) in [(&cameras_info.name, true), (&poles_info.name, false)] {
        check(progress)?;
        for f in gpkg.all_features(layer)? {
            if let Some(k) = point_of(f.geometry.as_ref()).and_then(|p| index.containing(&p)) {
                if is_camera {
                    values[k].cameras += 1;
                } else {
                    values[k].poles += 1;
                }
            }
        }
        progress.advance(1);
    }

    // Roads: clipped to each commune.
    let roads: Vec<MultiLineString<f64>> = gpkg
        .all_features(&roads_info.name)?
        .into_iter()
        .filter_map(|f| lines_of(f.geometry?))
        .collect();
    let road_boxes = PolygonIndex::new(
        roads
            .iter()
            .filter_map(|r| {
                r.bounding_rect()
                    .map(|b| MultiPolygon::new(vec![b.to_polygon()]))
            })
            .collect(),
    );
    let road_of_box: Vec<usize> = roads
        .iter()
        .enumerate()
        .filter(|(_, r)| r.bounding_rect().is_some())
        .map(|(i, _)| i)
        .collect();
    for (k, commune) in communes.iter().enumerate() {
        check(progress)?;
        if let Some(bbox) = commune.geometry.bounding_rect() {
            let near: Vec<_> = road_boxes
                .candidates(bbox)
                .flat_map(|i| roads[road_of_box[i]].0.iter().cloned())
                .collect();
            if !near.is_empty() {
                let inside = commune.geometry.clip(&MultiLineString::new(near), false);
                values[k].road_m = Euclidean.length(&inside);
            }
        }
        progress.advance(1);
    }

    // Land within reach of a station.
    check(progress)?;
    let stations: Vec<Polygon<f64>> = gpkg
        .all_features(&stations_info.name)?
        .into_iter()
        .filter_map(|f| point_of(f.geometry.as_ref()))
        .map(|p| circle(p, config.reach_m, config.quadrant_segments))
        .collect();
    let station_index = PolygonIndex::new(
        stations
            .iter()
            .map(|c| MultiPolygon::new(vec![c.clone()]))
            .collect(),
    );
    progress.advance(1);
    let code_name = &land_info.schema.fields[code].name;
    for (codes, industrial) in [
        (&config.industrial_codes, true),
        (&config.urban_codes, false),
    ] {
        check(progress)?;
        if codes.is_empty() {
            progress.advance(1);
            continue;
        }
        let list: Vec<String> = codes
            .iter()
            .map(|c| format!("'{}'", c.replace('\'', "''")))
            .collect();
        let filter = format!("{} IN ({})", quote(code_name), list.join(", "));
        for zone in zones_where(gpkg, &land_info, &filter)? {
            let Some(k) = zone.centroid().and_then(|c| index.containing(&c)) else {
                continue;
            };
            let area = zone.unsigned_area();
            let reached = reached_area(&zone, &stations, &station_index);
            let v = &mut values[k];
            if industrial {
                v.industrial_m2 += area;
                v.industrial_reached_m2 += reached;
            } else {
                v.urban_m2 += area;
                v.urban_reached_m2 += reached;
            }
        }
        progress.advance(1);
    }
    Ok(Indicators {
        srs_id: communes_info.schema.srs_id,
        communes,
        values,
        output_prefix: config.output_prefix.clone(),
    })
}

/// Computes the indicators and saves their layers and tables.
pub fn run(
    gpkg: &mut GeoPackage,
    config: &IndicatorConfig,
    progress: &Progress,
) -> Result<Indicators> {
    let indicators = compute(gpkg, config, progress)?;
    check(progress)?;
    indicators.save(gpkg)?;
    Ok(indicators)
}

/// The polygons of the features matching an SQL filter: only those rows
/// are read and decoded (a few percent of a province's parcels).
fn zones_where(
    gpkg: &GeoPackage,
    info: &crate::gpkg::LayerInfo,
    filter: &str,
) -> Result<Vec<MultiPolygon<f64>>> {
    let path = gpkg.path().to_path_buf();
    let sql_error = |source| {
        AnalysisError::from(GpkgError::Sqlite {
            path: path.clone(),
            context: format!("reading layer '{}'", info.name),
            source,
        })
    };
    let sql = format!(
        "SELECT {}, {} FROM {} WHERE {filter}",
        quote(&info.schema.fid_column),
        quote(&info.schema.geometry_column),
        quote(&info.name)
    );
    let mut stmt = gpkg.connection().prepare(&sql).map_err(sql_error)?;
    let mut rows = stmt.query([]).map_err(sql_error)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(sql_error)? {
        let fid: i64 = row.get(0).map_err(sql_error)?;
        let Some(blob) = row
            .get_ref(1)
            .map_err(sql_error)?
            .as_blob_or_null()
            .ok()
            .flatten()
        else {
            continue;
        };
        let decoded = crate::gpkg::geom::decode(blob).map_err(|source| GpkgError::BadGeometry {
            path: path.clone(),
            layer: info.name.clone(),
            fid,
            column: info.schema.geometry_column.clone(),
            source,
        })?;
        out.extend(multi_polygon_of(Some(decoded.geometry)));
    }
    Ok(out)
}

/// The area of `zone` inside the union of the station circles near it.
fn reached_area(zone: &MultiPolygon<f64>, circles: &[Polygon<f64>], index: &PolygonIndex) -> f64 {
    let Some(bbox) = zone.bounding_rect() else {
        return 0.0;
    };
    let near: Vec<&Polygon<f64>> = index.candidates(bbox).map(|i| &circles[i]).collect();
    if near.is_empty() {
        return 0.0;
    }
    unary_union(near).intersection(zone).unsigned_area()
}

fn lines_of(g: Geometry<f64>) -> Option<MultiLineString<f64>> {
    match g {
        Geometry::LineString(l) => Some(MultiLineString::new(vec![l])),
        Geometry::MultiLineString(m) => Some(m),
        Geometry::Line(l) => Some(MultiLineString::new(vec![l.into()])),
        _ => None,
    }
}

impl Indicators {
    pub fn value(&self, indicator: Indicator, commune: usize) -> Option<f64> {
        indicator.parts(&self.values[commune]).2
    }

    /// One row per commune: code, name, numerator, denominator, value.
    pub fn table(&self, indicator: Indicator) -> ResultTable {
        let [n, d] = indicator.part_columns();
        ResultTable {
            title: indicator.label_vi().into(),
            columns: vec![
                column("ma_xa", "Mã xã", "Commune code", FieldType::Text),
                column("ten_xa", "Tên xã", "Commune", FieldType::Text),
                column(n.0, n.1, n.2, FieldType::Real),
                column(d.0, d.1, d.2, FieldType::Real),
                column(
                    "gia_tri",
                    indicator.label_vi(),
                    indicator.label_en(),
                    FieldType::Real,
                ),
            ],
            rows: self
                .communes
                .iter()
                .zip(&self.values)
                .map(|(c, v)| {
                    let (num, den, value) = indicator.parts(v);
                    vec![
                        FieldValue::Text(c.id.clone()),
                        FieldValue::Text(c.name.clone()),
                        FieldValue::Real(round(num, 4)),
                        FieldValue::Real(round(den, 4)),
                        value.map_or(FieldValue::Null, |x| FieldValue::Real(round(x, 4))),
                    ]
                })
                .collect(),
        }
    }

    pub fn layer_name(&self, indicator: Indicator) -> String {
        format!("{}_{}", self.output_prefix, indicator.key())
    }

    /// Writes one choropleth layer per indicator (commune polygons with the
    /// table's fields, a graduated default style on `gia_tri`); returns
    /// their names.
    pub fn save(&self, gpkg: &mut GeoPackage) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for indicator in Indicator::ALL {
            let table = self.table(indicator);
            let name = self.layer_name(indicator);
            let schema = Schema::new(
                GeometryType::MultiPolygon,
                self.srs_id,
                table.columns.iter().map(field_of).collect(),
            );
            let features = self.communes.iter().zip(table.rows).map(|(c, values)| {
                Feature::new(Some(Geometry::MultiPolygon(c.geometry.clone())), values)
            });
            let meta = LayerMeta {
                theme: Some(LayerTheme::SmartCity),
                title_vi: Some(format!("{} ({name})", indicator.label_vi())),
                title_en: Some(format!("{} ({name})", indicator.label_en())),
                draw_order: 900,
            };
            super::table::replace_layer(
                gpkg,
                &name,
                &schema,
                &meta,
                features,
                &format!("Tính chỉ số: {}", indicator.label_vi()),
            )?;
            save_choropleth(gpkg, &name, "gia_tri")?;
            names.push(name);
        }
        Ok(names)
    }
}

/// Saves a graduated default style on `field` (five quantile classes,
/// yellow to dark red) for a result layer, so the window and QGIS show it
/// as a choropleth.
pub fn save_choropleth(gpkg: &mut GeoPackage, layer: &str, field: &str) -> Result<()> {
    let info = gpkg.layer(layer)?;
    let i = field_index(&info, field)?;
    let mut values: Vec<f64> = gpkg
        .all_features(layer)?
        .iter()
        .filter_map(|f| f.values[i].as_f64())
        .collect();
    let breaks = crate::render::classify::quantile_breaks(&mut values, 5);
    let style = LayerStyle {
        symbology: graduated(field, breaks, &YELLOW_RED),
        opacity: 0.85,
        ..LayerStyle::single(YELLOW_RED[0])
    };
    gpkg.save_style(
        layer,
        &StoredStyle {
            name: format!("{layer} (tramgis)"),
            qml: crate::render::qml::to_qml(&style, info.schema.geometry_type),
            sld: String::new(),
            use_as_default: true,
            description: "Bản đồ chuyên đề phân cấp (tramgis)".into(),
        },
    )
    .map_err(AnalysisError::from)?;
    Ok(())
}
