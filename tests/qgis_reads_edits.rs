//! QGIS 3.22 (python3-qgis, headless) opens a workspace after editing: the
//! field domains of the GeoPackage Schema extension become its value lists
//! (ValueMap) and ranges (Range), and the split parcels are there.

mod common;

use geo_types::{Geometry, LineString};
use tramgis::edit::EditSession;
use tramgis::edit::ops::split::split;

const QGIS_SCRIPT: &str = r#"
import os, sys, json
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
out = {}
for name, field in [("thua_dat", "ma_loai_dat"), ("tram_bts", "nha_mang"), ("tram_bts", "chieu_cao")]:
    layer = QgsVectorLayer(sys.argv[1] + "|layername=" + name, name, "ogr")
    assert layer.isValid(), name
    setup = layer.editorWidgetSetup(layer.fields().indexOf(field))
    config = setup.config()
    codes = [v for entry in config.get("map", []) for v in entry.values()]
    out[field] = {"widget": setup.type(), "codes": codes, "min": config.get("Min"),
                  "count": layer.featureCount()}
print(json.dumps(out), flush=True)
# QGIS 3.22 may crash in its own teardown (exitQgis); the answer is out.
os._exit(0)
"#;

#[test]
fn qgis_shows_our_domains_as_value_lists_and_ranges_after_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 300);
    let mut session = EditSession::open(&path, "kiem_tra").unwrap();
    session.start_editing("thua_dat").unwrap();
    let parcel = session.gpkg().all_features("thua_dat").unwrap().remove(0);
    let Some(Geometry::Polygon(p)) = &parcel.geometry else {
        panic!("parcel without a polygon")
    };
    let xs: Vec<f64> = p.exterior().coords().map(|c| c.x).collect();
    let ys: Vec<f64> = p.exterior().coords().map(|c| c.y).collect();
    let mid = (xs.iter().cloned().fold(f64::MAX, f64::min)
        + xs.iter().cloned().fold(f64::MIN, f64::max))
        / 2.0;
    let (y0, y1) = (
        ys.iter().cloned().fold(f64::MAX, f64::min) - 1.0,
        ys.iter().cloned().fold(f64::MIN, f64::max) + 1.0,
    );
    let cut = LineString::from(vec![(mid, y0), (mid, y1)]);
    split(&mut session, "thua_dat", &[parcel.fid.unwrap()], &cut).unwrap();
    let parcels = session.gpkg().count_features("thua_dat", None).unwrap();
    drop(session);

    let (ok, out, err) = common::tool(
        "env",
        &[
            "QT_QPA_PLATFORM=offscreen",
            "/usr/bin/python3",
            "-c",
            QGIS_SCRIPT,
            path.to_str().unwrap(),
        ],
    );
    assert!(ok, "QGIS could not read the workspace: {err}");
    let line = out.lines().last().unwrap_or_default();
    let seen: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| {
        panic!("QGIS printed no JSON ({e}):\n{out}\n{err}");
    });

    let landuse = &seen["ma_loai_dat"];
    assert_eq!(landuse["widget"], "ValueMap", "{landuse}");
    let codes = landuse["codes"].as_array().unwrap();
    assert_eq!(
        codes.len(),
        tramgis::model::landuse::landuse_codes().len(),
        "{landuse}"
    );
    assert!(codes.iter().any(|c| c == "LUC"), "{landuse}");
    assert_eq!(landuse["count"].as_u64(), Some(parcels), "{landuse}");

    let operators = &seen["nha_mang"];
    assert_eq!(operators["widget"], "ValueMap", "{operators}");
    assert!(
        operators["codes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "Viettel"),
        "{operators}"
    );
    let height = &seen["chieu_cao"];
    assert_eq!(height["widget"], "Range", "{height}");
    assert_eq!(height["min"].as_f64(), Some(0.0), "{height}");
}
