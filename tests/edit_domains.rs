//! Field domains in the GeoPackage Schema extension: the sample's domains
//! as GDAL lists them, domains written by GDAL as FieldRules reads them,
//! and a value outside its domain refused with nothing written.

mod common;

use std::path::Path;
use std::process::Command;

use common::{python, sample, tool, tramgis};
use tramgis::edit::domains::{self, DomainKind, Range};
use tramgis::edit::error::EditError;
use tramgis::edit::rules::{DefaultValue, FieldRules, ViolationReason};
use tramgis::edit::session::EditSession;
use tramgis::gpkg::GeoPackage;
use tramgis::model::{FieldValue, GeometryType};

fn ogrinfo(args: &[&str]) -> String {
    let (ok, out, err) = tool("ogrinfo", args);
    assert!(ok, "ogrinfo {args:?}: {err}");
    out
}

/// GDAL's description of one domain (`ogrinfo -fielddomain NAME`).
fn gdal_domain(path: &Path, name: &str) -> String {
    let out = ogrinfo(&["-ro", "-fielddomain", name, path.to_str().unwrap()]);
    let start = out
        .find(&format!("Domain {name}:"))
        .unwrap_or_else(|| panic!("GDAL does not list domain {name}:\n{out}"));
    out[start..].split("\n\n").next().unwrap().to_string()
}

fn has_line(block: &str, line: &str) -> bool {
    block.lines().any(|l| l.trim() == line)
}

#[test]
fn gdal_lists_the_sample_domains_with_their_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample(dir.path(), 300);

    let landuse = gdal_domain(&path, "ma_loai_dat");
    assert!(landuse.contains("Type: coded"), "{landuse}");
    assert!(landuse.contains("Field type: String"), "{landuse}");
    assert!(landuse.contains("Description: Mã loại đất"), "{landuse}");
    for line in [
        "LUC: Đất chuyên trồng lúa nước",
        "ODT: Đất ở tại đô thị",
        "TMD: Đất thương mại, dịch vụ",
    ] {
        assert!(landuse.contains(line), "{line} missing:\n{landuse}");
    }
    let codes = landuse.lines().filter(|l| l.starts_with("    ")).count();
    assert_eq!(codes, tramgis::model::landuse::landuse_codes().len());

    let operators = gdal_domain(&path, "nha_mang");
    for op in ["Viettel", "VNPT/VinaPhone", "MobiFone", "Vietnamobile"] {
        assert!(operators.contains(&format!("{op}: {op}")), "{operators}");
    }
    let functions = gdal_domain(&path, "chuc_nang_quy_hoach");
    assert!(
        functions.contains("Đất ở mới: Đất ở mới (OM)"),
        "{functions}"
    );
    assert!(gdal_domain(&path, "loai_cot").contains("Cột dây co: Cột dây co"));
    assert!(gdal_domain(&path, "cong_nghe").contains("4G/5G: 4G/5G"));

    let height = gdal_domain(&path, "chieu_cao_cot");
    assert!(height.contains("Type: range"), "{height}");
    assert!(has_line(&height, "Minimum value: 0 (excluded)"), "{height}");
    assert!(!height.contains("Maximum value"), "{height}");
    let percent = gdal_domain(&path, "ty_le_phan_tram");
    assert!(has_line(&percent, "Minimum value: 0"), "{percent}");
    assert!(has_line(&percent, "Maximum value: 100"), "{percent}");
    assert!(has_line(&gdal_domain(&path, "so_tang"), "Minimum value: 0"));
    assert!(has_line(
        &gdal_domain(&path, "he_so_sdd"),
        "Minimum value: 0"
    ));

    // The fields name their domains.
    let p = path.to_str().unwrap();
    let bts = ogrinfo(&["-ro", "-so", p, "tram_bts"]);
    for (field, domain) in [
        ("nha_mang", "nha_mang"),
        ("loai_cot", "loai_cot"),
        ("cong_nghe", "cong_nghe"),
        ("chieu_cao", "chieu_cao_cot"),
    ] {
        assert!(
            bts.lines().any(|l| l.starts_with(&format!("{field}:"))
                && l.ends_with(&format!("domain name={domain}"))),
            "{field} -> {domain}:\n{bts}"
        );
    }
    let lots = ogrinfo(&["-ro", "-so", p, "o_quy_hoach"]);
    assert!(
        lots.contains("tang_cao_max: Integer64 (0.0), domain name=so_tang"),
        "{lots}"
    );
    let parcels = ogrinfo(&["-ro", "-so", p, "thua_dat"]);
    assert!(
        parcels.contains("ma_loai_dat: String (0.0), domain name=ma_loai_dat"),
        "{parcels}"
    );

    // The extension is registered as F.9 says, and both validators agree.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let rows: Vec<(String, Option<String>, String)> = conn
        .prepare(
            "SELECT table_name, column_name, scope FROM gpkg_extensions
             WHERE extension_name = 'gpkg_schema' ORDER BY table_name",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        [
            (
                "gpkg_data_column_constraints".into(),
                None,
                "read-write".into()
            ),
            ("gpkg_data_columns".into(), None, "read-write".into()),
        ]
    );
    let (ok, out, err) = tramgis(&["validate", p]);
    assert!(ok, "tramgis validate:\n{out}{err}");
    let (ok, out, err) = tool("python3", &[&gdal_validator(), "-k", p]);
    assert!(ok, "GDAL's validate_gpkg.py:\n{out}{err}");
}

/// GDAL's GeoPackage validator (installed by packaging/install-deps.sh).
fn gdal_validator() -> String {
    let (ok, dir, err) = tool(
        "python3",
        &[
            "-c",
            "import osgeo_utils, os; print(os.path.dirname(osgeo_utils.__file__))",
        ],
    );
    assert!(
        ok,
        "gdal-utils is missing (packaging/install-deps.sh): {err}"
    );
    format!("{}/samples/validate_gpkg.py", dir.trim())
}

/// Every feature the generator wrote is inside its domains, so the lists
/// and ranges fit the data they describe.
#[test]
fn the_sample_data_obeys_its_domains() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample(dir.path(), 2000);
    let gpkg = GeoPackage::open(&path).unwrap();
    for layer in ["thua_dat", "o_quy_hoach", "tram_bts"] {
        let info = gpkg.layer(layer).unwrap();
        let rules = FieldRules::load(gpkg.connection(), &info).unwrap();
        assert!(!rules.is_empty(), "{layer} has no rules");
        let features = gpkg.all_features(layer).unwrap();
        assert!(!features.is_empty());
        for f in features {
            rules
                .check(&info, f.fid, &f.values)
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// The bundled sample carries the same domains as `tramgis sample` writes.
#[test]
fn the_bundled_sample_has_the_domains() {
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/bac-giang-sample.gpkg");
    let conn =
        rusqlite::Connection::open_with_flags(&bundled, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let (expected, columns) = tramgis::sample::domain_definitions();
    let found = domains::read_domains(&conn).unwrap();
    assert_eq!(found.len(), expected.len());
    for d in &expected {
        assert_eq!(found.get(&d.name), Some(d), "{}", d.name);
    }
    for (table, column, domain) in columns {
        let cols = domains::data_columns(&conn, table).unwrap();
        assert!(
            cols.iter()
                .any(|c| c.column == column && c.constraint_name.as_deref() == Some(domain)),
            "{table}.{column}"
        );
    }
    // Its data fits them (it was generated before they existed).
    let gpkg = GeoPackage::open_read_only(&bundled).unwrap();
    for layer in ["thua_dat", "o_quy_hoach", "tram_bts"] {
        let info = gpkg.layer(layer).unwrap();
        let rules = FieldRules::load(gpkg.connection(), &info).unwrap();
        for f in gpkg.all_features(layer).unwrap() {
            rules
                .check(&info, f.fid, &f.values)
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// A GeoPackage written by GDAL (python3-gdal's field domain API): coded
/// lists (text and integer), a half-open range, a glob, NOT NULL and
/// DEFAULT as GDAL writes them.
#[test]
fn field_rules_read_gdal_written_domains() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gdal.gpkg");
    python(
        "import sys
from osgeo import gdal, ogr, osr
gdal.UseExceptions()
ds = gdal.GetDriverByName('GPKG').Create(sys.argv[1], 0, 0, 0, gdal.GDT_Unknown)
srs = osr.SpatialReference(); srs.ImportFromEPSG(9214)
lyr = ds.CreateLayer('towers', srs, ogr.wkbPoint)
ds.AddFieldDomain(ogr.CreateCodedFieldDomain('ops', 'Nhà mạng', ogr.OFTString, ogr.OFSTNone,
                                             {'VT': 'Viettel', 'MB': 'MobiFone'}))
ds.AddFieldDomain(ogr.CreateCodedFieldDomain('levels', 'Cấp', ogr.OFTInteger, ogr.OFSTNone,
                                             {1: 'một', 2: 'hai'}))
ds.AddFieldDomain(ogr.CreateRangeFieldDomain('height', 'Chiều cao', ogr.OFTReal, ogr.OFSTNone,
                                             0.0, False, float('inf'), False))
ds.AddFieldDomain(ogr.CreateGlobFieldDomain('code', 'Mã trạm', ogr.OFTString, ogr.OFSTNone, 'BGG*'))
def field(name, t, domain, not_null=False, default=None):
    fd = ogr.FieldDefn(name, t)
    if domain: fd.SetDomainName(domain)
    fd.SetNullable(not not_null)
    if default is not None: fd.SetDefault(default)
    lyr.CreateField(fd)
field('ma', ogr.OFTString, 'code', not_null=True)
field('nha_mang', ogr.OFTString, 'ops', default=\"'VT'\")
field('cap', ogr.OFTInteger, 'levels')
field('chieu_cao', ogr.OFTReal, 'height', not_null=True, default='30')
field('ghi_chu', ogr.OFTString, None)
f = ogr.Feature(lyr.GetLayerDefn())
f.SetField('ma', 'BGG1'); f.SetField('chieu_cao', 40.0)
f.SetGeometry(ogr.CreateGeometryFromWkt('POINT (417000 2352000)'))
lyr.CreateFeature(f)
ds = None
",
        &[path.to_str().unwrap()],
    );
    let gpkg = GeoPackage::open_read_only(&path).unwrap();
    let info = gpkg.layer("towers").unwrap();
    assert_eq!(info.schema.geometry_type, GeometryType::Point);
    let rules = FieldRules::load(gpkg.connection(), &info).unwrap();

    let ops = rules.field("nha_mang").unwrap();
    let domain = ops.domain.as_ref().unwrap();
    assert_eq!(
        (domain.name.as_str(), domain.description.as_str()),
        ("ops", "Nhà mạng")
    );
    let DomainKind::Coded(list) = &domain.kind else {
        panic!("{domain:?}")
    };
    let mut pairs: Vec<(&str, &str)> = list
        .iter()
        .map(|c| (c.code.as_str(), c.name.as_str()))
        .collect();
    pairs.sort();
    assert_eq!(pairs, [("MB", "MobiFone"), ("VT", "Viettel")]);
    assert_eq!(
        ops.default,
        Some(DefaultValue::Value(FieldValue::Text("VT".into())))
    );
    let height = rules.field("chieu_cao").unwrap();
    assert!(height.required);
    assert_eq!(
        height.domain.as_ref().unwrap().kind,
        DomainKind::Range(Range {
            min: Some(0.0),
            min_inclusive: false,
            max: None,
            max_inclusive: false
        })
    );
    assert_eq!(height.domain.as_ref().unwrap().description, "Chiều cao");
    let code = rules.field("ma").unwrap();
    assert!(code.required);
    assert_eq!(
        code.domain.as_ref().unwrap().kind,
        DomainKind::Glob("BGG*".into())
    );
    assert!(rules.field("ghi_chu").unwrap().domain.is_none());

    // Defaults for a new feature's form, in field order.
    assert_eq!(
        rules.defaults(&info),
        [
            FieldValue::Null,
            FieldValue::Text("VT".into()),
            FieldValue::Null,
            FieldValue::Real(30.0),
            FieldValue::Null,
        ]
    );

    let values = |ma: &str, op: &str, cap: i64, h: f64| {
        vec![
            FieldValue::Text(ma.into()),
            FieldValue::Text(op.into()),
            FieldValue::Integer(cap),
            FieldValue::Real(h),
            FieldValue::Null,
        ]
    };
    // The feature GDAL wrote passes.
    let f = gpkg.get_feature("towers", 1).unwrap().unwrap();
    rules.check(&info, Some(1), &f.values).unwrap();
    rules
        .check(&info, None, &values("BGG7", "MB", 2, 0.5))
        .unwrap();
    let refused = |v: Vec<FieldValue>| rules.check(&info, Some(1), &v).unwrap_err();
    let e = refused(values("BGG7", "XX", 2, 10.0));
    assert_eq!(e.field, "nha_mang");
    assert!(matches!(e.reason, ViolationReason::NotInList { ref domain } if domain == "ops"));
    let e = refused(values("BGG7", "VT", 3, 10.0));
    assert_eq!((e.field.as_str(), e.value.as_str()), ("cap", "3"));
    let e = refused(values("BGG7", "VT", 1, 0.0));
    assert_eq!(e.field, "chieu_cao");
    assert!(e.to_string().contains("(0, ∞)"), "{e}");
    let e = refused(values("HN01", "VT", 1, 5.0));
    assert_eq!(e.field, "ma");
    let mut missing = values("BGG7", "VT", 1, 5.0);
    missing[3] = FieldValue::Null;
    let e = refused(missing);
    assert_eq!(
        (e.field.as_str(), &e.reason),
        ("chieu_cao", &ViolationReason::Required)
    );
    // The message names file, layer, fid, field, value and reason.
    let text = refused(values("BGG7", "VT", 1, -2.5)).to_string();
    for part in [
        "gdal.gpkg",
        "towers",
        "fid 1",
        "chieu_cao",
        "-2.5",
        "ngoài khoảng",
    ] {
        assert!(text.contains(part), "{part} missing in: {text}");
    }
}

/// What a file holds, to tell whether anything was written: every row
/// count, the journal, and SQLite's data_version seen by a second
/// connection.
fn state(path: &Path) -> (Vec<(String, i64)>, i64, String) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let counts = tables
        .into_iter()
        .map(|t| {
            let n = conn
                .query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))
                .unwrap();
            (t, n)
        })
        .collect();
    let edits = conn
        .query_row(
            "SELECT coalesce(max(edit_id), 0) FROM tramgis_edits",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // The towers' values, as a digest: the whole text would flood a failure.
    let bts: String = conn
        .query_row(
            "SELECT count(*) || ' ' || total(length(nha_mang)) || ' ' || total(chieu_cao) || ' ' ||
                    total(length(geom)) FROM tram_bts",
            [],
            |r| r.get(0),
        )
        .unwrap();
    (counts, edits, bts)
}

/// Through the edit session, as every tool writes: insert, update and
/// set_value of a value outside its domain are refused naming the field,
/// and nothing is written.
#[test]
fn a_value_outside_its_domain_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample(dir.path(), 300);
    let mut session = EditSession::open(&path, "Cán bộ địa chính").unwrap();
    session.start_editing("tram_bts").unwrap();
    let before = state(&path);
    let info = session.gpkg().layer("tram_bts").unwrap();
    let watcher = rusqlite::Connection::open(&path).unwrap();
    let version = |c: &rusqlite::Connection| -> i64 {
        c.query_row("PRAGMA data_version", [], |r| r.get(0))
            .unwrap()
    };
    let v0 = version(&watcher);

    let mut tower = session.gpkg().get_feature("tram_bts", 5).unwrap().unwrap();
    let height = info.schema.field_index("chieu_cao").unwrap();
    let operator = info.schema.field_index("nha_mang").unwrap();
    let refused = |err: EditError, field: &str, value: &FieldValue, fid: Option<i64>| {
        let text = err.to_string();
        let EditError::Domain(v) = err else {
            panic!("not a domain violation: {text}")
        };
        assert_eq!((v.field.as_str(), v.fid), (field, fid), "{text}");
        assert_eq!(v.value, value.to_string());
        assert!(text.contains(&format!("trường {field}")), "{text}");
        assert!(text.contains("tram_bts"), "{text}");
    };
    for (field, bad) in [
        (height, FieldValue::Real(-12.0)),
        (height, FieldValue::Real(0.0)),
        (operator, FieldValue::Text("Gtel".into())),
    ] {
        let name = info.schema.fields[field].name.clone();
        let mut changed = tower.clone();
        changed.values[field] = bad.clone();
        let err = session
            .apply("Sửa trạm BTS 5", |tx| tx.update("tram_bts", &changed))
            .unwrap_err();
        refused(err, &name, &bad, Some(5));
        let err = session
            .apply("Sửa trạm BTS 5", |tx| {
                tx.set_value("tram_bts", 5, &name, &bad)
            })
            .unwrap_err();
        refused(err, &name, &bad, Some(5));
        let mut new = changed.clone();
        new.fid = None;
        let err = session
            .apply("Thêm trạm BTS", |tx| tx.insert("tram_bts", &new))
            .unwrap_err();
        refused(err, &name, &bad, None);
    }
    assert_eq!(version(&watcher), v0, "the file changed");
    assert_eq!(state(&path), before);

    // The same edit within the domain goes through, journalled.
    tower.values[height] = FieldValue::Real(42.0);
    let ((), applied) = session
        .apply("Sửa chiều cao trạm BTS 5", |tx| {
            tx.update("tram_bts", &tower)
        })
        .unwrap();
    assert_eq!(applied.layer("tram_bts").unwrap().updated, [5]);
    drop(session);
    assert_ne!(state(&path), before);
    let out = Command::new("ogrinfo")
        .args(["-ro", "-q", "-fid", "5", path.to_str().unwrap(), "tram_bts"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(out.contains("chieu_cao (Real) = 42"), "{out}");
}
