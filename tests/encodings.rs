//! Text encodings on import: what a file declares (.cpg, DBF language-driver
//! id, MapInfo Charset) wins; undeclared text is detected without taking
//! Latin-1 for TCVN3; a decoding that replaces characters is refused unless
//! accepted; Vietnamese mojibake is repaired on import and by the layer tool
//! as one edit. Fixtures are Shapefiles ogr2ogr writes from raw bytes and
//! MapInfo MIF/MID files written here byte by byte.

mod common;

use std::path::{Path, PathBuf};

use common::{new_layer, raw_text_shapefile, texts, tool, tramgis};
use tramgis::gpkg::GeoPackage;
use tramgis::io::encoding::{LegacyEncoding, encode};
use tramgis::io::import::EncodingChoice;
use tramgis::io::{self, ImportOptions, IoError, TextEncoding};
use tramgis::jobs::Progress;

const LATIN: [&str; 5] = ["México", "Côte d'Ivoire", "Ñandú", "São Paulo", "Zürich"];
const CHINESE: [&str; 3] = ["北京市", "上海市浦东新区", "广州市天河区"];
const VIETNAMESE: [&str; 4] = [
    "Đất chuyên trồng lúa nước",
    "Ủy ban nhân dân xã Tân Tiến",
    "Thửa đất số 15, tờ bản đồ số 3",
    "Đường Nguyễn Văn Cừ, phường Hồng Hải",
];

fn gbk() -> TextEncoding {
    TextEncoding::from_name("gbk").unwrap()
}

/// A point Shapefile whose `ten` field holds exactly these bytes: no .cpg,
/// language-driver id 0 (ogr2ogr with ENCODING="" passes bytes through).
fn shapefile(dir: &Path, name: &str, rows: &[Vec<u8>]) -> PathBuf {
    let shp = raw_text_shapefile(dir, name, rows);
    let dbf = std::fs::read(shp.with_extension("dbf")).unwrap();
    assert_eq!(dbf[29], 0, "ogr2ogr wrote no language-driver id");
    // ogr2ogr leaves an empty .cpg: the file declares nothing until a test
    // writes one.
    let cpg = shp.with_extension("cpg");
    assert_eq!(std::fs::read(&cpg).unwrap_or_default(), b"");
    let _ = std::fs::remove_file(cpg);
    shp
}

/// A Shapefile of `texts` in UTF-8 that says so in its .cpg.
fn utf8_shapefile(dir: &Path, name: &str, texts: &[impl AsRef<str>]) -> PathBuf {
    let rows: Vec<Vec<u8>> = texts
        .iter()
        .map(|t| t.as_ref().as_bytes().to_vec())
        .collect();
    let shp = shapefile(dir, name, &rows);
    std::fs::write(shp.with_extension("cpg"), "UTF-8").unwrap();
    shp
}

fn encoded(texts: &[&str], encoding: TextEncoding) -> Vec<Vec<u8>> {
    texts.iter().map(|t| encoding.encode(t).unwrap()).collect()
}

fn import(
    dir: &Path,
    source: &Path,
    layer: &str,
    options: impl FnOnce(&mut ImportOptions),
) -> Result<(GeoPackage, io::ImportReport), IoError> {
    let path = dir.join("ws.gpkg");
    let mut gpkg = if path.exists() {
        GeoPackage::open(&path).unwrap()
    } else {
        GeoPackage::create(&path).unwrap()
    };
    let mut o = ImportOptions::new(source, new_layer(layer));
    options(&mut o);
    let report = io::import(&mut gpkg, &o, &Progress::default())?;
    Ok((gpkg, report))
}

#[test]
fn a_cpg_file_names_the_encoding() {
    let cases: [(&str, TextEncoding, &[&str]); 5] = [
        ("ISO-8859-1", TextEncoding::WINDOWS_1252, &LATIN),
        ("1252", TextEncoding::WINDOWS_1252, &LATIN),
        ("936", gbk(), &CHINESE),
        ("GBK", gbk(), &CHINESE),
        ("UTF-8", TextEncoding::Utf8, &VIETNAMESE),
    ];
    for (i, (cpg, encoding, names)) in cases.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let shp = shapefile(dir.path(), "t", &encoded(names, encoding));
        std::fs::write(shp.with_extension("cpg"), cpg).unwrap();
        let (gpkg, report) = import(dir.path(), &shp, "t", |_| {}).unwrap();
        assert_eq!(report.encoding, encoding, "case {i}: .cpg {cpg}");
        assert_eq!(report.encoding_choice, EncodingChoice::Declared, "{cpg}");
        assert_eq!(texts(&gpkg, "t"), names.to_vec(), ".cpg {cpg}");
        assert_eq!(report.text.replaced_chars, 0);
        assert_eq!(report.text.repaired_count, 0, "{:?}", report.text.repairs);
    }
}

#[test]
fn a_dbf_language_driver_id_names_the_encoding() {
    for (ldid, encoding, names) in [
        (0x57u8, TextEncoding::WINDOWS_1252, &LATIN[..]),
        (0x4D, gbk(), &CHINESE[..]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let shp = shapefile(dir.path(), "t", &encoded(names, encoding));
        let dbf = shp.with_extension("dbf");
        let mut bytes = std::fs::read(&dbf).unwrap();
        bytes[29] = ldid;
        std::fs::write(&dbf, bytes).unwrap();
        let (gpkg, report) = import(dir.path(), &shp, "t", |_| {}).unwrap();
        assert_eq!(report.encoding, encoding, "LDID {ldid:#04x}");
        assert_eq!(report.encoding_choice, EncodingChoice::Declared);
        assert_eq!(texts(&gpkg, "t"), names.to_vec(), "LDID {ldid:#04x}");
    }
}

/// A MIF/MID pair with one text column, the MID text in `encoding`.
fn mif(dir: &Path, charset: &str, names: &[&str], encoding: TextEncoding) -> PathBuf {
    let mut header = format!(
        "Version 300\nCharset \"{charset}\"\nDelimiter \",\"\nCoordSys Earth Projection 1, 104\n\
         Columns 1\n  ten Char(60)\nData\n\n"
    );
    let mut mid = Vec::new();
    for (i, name) in names.iter().enumerate() {
        header.push_str(&format!("Point {} 21.0\n", 105.0 + i as f64 * 0.01));
        mid.push(b'"');
        mid.extend(encoding.encode(name).unwrap());
        mid.extend(b"\"\n");
    }
    let path = dir.join(format!("{charset}.mif"));
    std::fs::write(&path, header).unwrap();
    std::fs::write(path.with_extension("mid"), mid).unwrap();
    path
}

#[test]
fn a_mapinfo_charset_names_the_encoding() {
    for (charset, encoding, names) in [
        ("WindowsLatin1", TextEncoding::WINDOWS_1252, &LATIN[..]),
        ("WindowsSimpChinese", gbk(), &CHINESE[..]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = mif(dir.path(), charset, names, encoding);
        let info = io::inspect(&path).unwrap();
        assert_eq!(info.declared_encoding, Some(encoding), "{charset}");
        let (gpkg, report) = import(dir.path(), &path, "t", |_| {}).unwrap();
        assert_eq!(report.encoding_choice, EncodingChoice::Declared);
        assert_eq!(texts(&gpkg, "t"), names.to_vec(), "{charset}");
    }
    // "Neutral" declares nothing: the bytes are detected.
    let dir = tempfile::tempdir().unwrap();
    let path = mif(dir.path(), "Neutral", &LATIN, TextEncoding::WINDOWS_1252);
    let (gpkg, report) = import(dir.path(), &path, "t", |_| {}).unwrap();
    assert_eq!(report.encoding, TextEncoding::WINDOWS_1252);
    assert_eq!(report.encoding_choice, EncodingChoice::Detected);
    assert_eq!(texts(&gpkg, "t"), LATIN.to_vec());
}

#[test]
fn undeclared_latin1_stays_latin1_and_vietnamese_tables_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let shp = shapefile(
        dir.path(),
        "latin",
        &encoded(&LATIN, TextEncoding::WINDOWS_1252),
    );
    let (gpkg, report) = import(dir.path(), &shp, "latin", |_| {}).unwrap();
    assert_eq!(report.encoding, TextEncoding::WINDOWS_1252);
    assert_eq!(report.encoding_choice, EncodingChoice::Detected);
    assert!(report.encoding_confidence.unwrap() > 0.5);
    assert_eq!(texts(&gpkg, "latin"), LATIN.to_vec());
    drop(gpkg);
    for legacy in [LegacyEncoding::Tcvn3, LegacyEncoding::Vni] {
        let name = format!("{legacy:?}").to_lowercase();
        let rows: Vec<Vec<u8>> = VIETNAMESE
            .iter()
            .map(|t| encode(t, legacy).unwrap())
            .collect();
        let shp = shapefile(dir.path(), &name, &rows);
        let (gpkg, report) = import(dir.path(), &shp, &name, |_| {}).unwrap();
        assert_eq!(report.encoding, TextEncoding::Legacy(legacy));
        assert_eq!(report.encoding_choice, EncodingChoice::Detected);
        let want: Vec<String> = if legacy == LegacyEncoding::Tcvn3 {
            // TCVN3 has no capital Ủ.
            VIETNAMESE.iter().map(|t| t.replace('Ủ', "ủ")).collect()
        } else {
            VIETNAMESE.iter().map(|t| t.to_string()).collect()
        };
        assert_eq!(texts(&gpkg, &name), want, "{legacy}");
    }
}

#[test]
fn a_decoding_that_replaces_characters_is_refused_unless_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let shp = utf8_shapefile(dir.path(), "utf8", &VIETNAMESE);
    let tcvn3 = Some(TextEncoding::Legacy(LegacyEncoding::Tcvn3));
    let Err(err) = import(dir.path(), &shp, "t", |o| o.encoding = tcvn3) else {
        panic!("--encoding tcvn3 on UTF-8 text was not refused")
    };
    let IoError::Replacements(refused) = &err else {
        panic!("not refused for replacements: {err}")
    };
    let count = &refused.count;
    assert!(*count > 10, "{err}");
    assert_eq!((refused.row, refused.field.as_str()), (1, "ten"));
    let message = err.to_string();
    assert!(
        message.contains("utf8.shp")
            && message.contains("TCVN3")
            && message.contains("--accept-replacements"),
        "{message}"
    );
    let gpkg = GeoPackage::open(dir.path().join("ws.gpkg")).unwrap();
    assert!(gpkg.layers().unwrap().is_empty(), "nothing was stored");
    drop(gpkg);

    let (gpkg, report) = import(dir.path(), &shp, "t", |o| {
        o.encoding = tcvn3;
        o.accept_replacements = true;
    })
    .unwrap();
    assert_eq!(report.text.replaced_chars, *count);
    assert_eq!(report.imported(), VIETNAMESE.len() as u64);
    assert!(texts(&gpkg, "t")[0].contains('\u{FFFD}'));
    drop(gpkg);

    // The same on the command line: refused (exit status 1), then accepted.
    let ws = dir.path().join("cli.gpkg");
    GeoPackage::create(&ws).unwrap();
    let (file, ws_arg) = (shp.to_str().unwrap(), ws.to_str().unwrap());
    let args = ["import", file, "--into", ws_arg, "--encoding", "tcvn3"];
    let (ok, stdout, stderr) = tramgis(&args);
    assert!(!ok, "{stdout}");
    assert!(
        stderr.contains(&format!("replaced {count} character")),
        "{stderr}"
    );
    let (ok, stdout, stderr) = tramgis(&[&args[..], &["--accept-replacements"]].concat());
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(&format!("{count} character(s) could not be decoded")),
        "{stdout}"
    );
    // Any WHATWG label is accepted, an unknown one named.
    let (ok, _, stderr) = tramgis(&["import", file, "--into", ws_arg, "--encoding", "klingon"]);
    assert!(
        !ok && stderr.contains("unknown encoding 'klingon'"),
        "{stderr}"
    );
}

/// Vietnamese text in TCVN3 or VNI bytes that a program read as
/// Windows-1252 and saved as UTF-8.
fn mojibake(text: &str, legacy: LegacyEncoding) -> String {
    TextEncoding::WINDOWS_1252
        .decode(&encode(text, legacy).unwrap())
        .text
}

/// The examples and more, with a Latin-1 name that must stay.
fn mojibake_rows() -> (Vec<String>, Vec<String>) {
    let mut bad = vec![
        "V\u{AD}¬ng V¨n Hïng".to_string(),
        "Th«n Thanh Êm".to_string(),
        "§ång Quan Tiªn".to_string(),
    ];
    let mut good = vec![
        "Vương Văn Hùng".to_string(),
        "Thôn Thanh Ấm".to_string(),
        "Đồng Quan Tiên".to_string(),
    ];
    for (text, legacy) in [
        ("Nguyễn Thị Hồng Nhung", LegacyEncoding::Vni),
        ("Đất trồng cây lâu năm", LegacyEncoding::Tcvn3),
        ("Phường Trần Phú", LegacyEncoding::Vni),
        ("Xã Tân Tiến, huyện Yên Thế", LegacyEncoding::Tcvn3),
    ] {
        bad.push(mojibake(text, legacy));
        good.push(text.to_string());
    }
    bad.push("México".into());
    good.push("México".into());
    (bad, good)
}

#[test]
fn mojibake_is_repaired_on_import() {
    let dir = tempfile::tempdir().unwrap();
    let (bad, good) = mojibake_rows();
    let shp = utf8_shapefile(dir.path(), "moji", &bad);
    let (gpkg, report) = import(dir.path(), &shp, "moji", |_| {}).unwrap();
    assert_eq!(report.encoding, TextEncoding::Utf8);
    assert_eq!(texts(&gpkg, "moji"), good);
    assert_eq!(report.text.repaired_count, (good.len() - 1) as u64);
    let first = &report.text.repairs[0];
    assert_eq!(
        (
            first.row,
            first.field.as_str(),
            first.before.as_str(),
            first.after.as_str()
        ),
        (1, "ten", bad[0].as_str(), "Vương Văn Hùng")
    );
    assert_eq!(first.encoding, LegacyEncoding::Tcvn3);
    assert!(report.text.repairs.iter().all(|r| r.before != "México"));
    drop(gpkg);
    // Asked not to, the import keeps the text as it is.
    let (gpkg, report) = import(dir.path(), &shp, "kept", |o| o.repair_mojibake = false).unwrap();
    assert_eq!(texts(&gpkg, "kept"), bad);
    assert_eq!(report.text.repaired_count, 0);
    drop(gpkg);
    // The command line lists the repairs.
    let ws = dir.path().join("cli.gpkg");
    GeoPackage::create(&ws).unwrap();
    let (ok, stdout, stderr) = tramgis(&[
        "import",
        shp.to_str().unwrap(),
        "--into",
        ws.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(&format!("{} value(s) repaired", good.len() - 1))
            && stdout.contains("→ Vương Văn Hùng (TCVN3 (ABC))"),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(dir.path().join("moji.shp.text-repairs.csv")).unwrap();
    assert_eq!(
        csv.lines().count(),
        good.len(),
        "a header and one line per repair"
    );
    assert!(
        csv.contains("1,\"ten\",\"V\u{AD}¬ng V¨n Hïng\",\"Vương Văn Hùng\",TCVN3 (ABC)"),
        "{csv}"
    );
}

#[test]
fn the_repair_tool_fixes_a_layer_in_one_edit() {
    let dir = tempfile::tempdir().unwrap();
    let (bad, good) = mojibake_rows();
    let shp = utf8_shapefile(dir.path(), "moji", &bad);
    let (gpkg, _) = import(dir.path(), &shp, "thua", |o| o.repair_mojibake = false).unwrap();
    let edits = |gpkg: &GeoPackage| -> Vec<(i64, String)> {
        let conn = gpkg.connection();
        let mut stmt = conn
            .prepare("SELECT edit_id, description FROM tramgis_edits ORDER BY edit_id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let before = edits(&gpkg);
    let since = gpkg
        .changes_since(0)
        .unwrap()
        .last()
        .map_or(0, |c| c.change_id);
    drop(gpkg);
    let ws = dir.path().join("ws.gpkg");
    let ws_arg = ws.to_str().unwrap();

    // A dry run lists before → after and changes nothing.
    let (ok, stdout, stderr) = tramgis(&["repair-text", ws_arg, "--layer", "thua", "--dry-run"]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(&format!("{} → Vương Văn Hùng", bad[0])),
        "{stdout}"
    );
    let gpkg = GeoPackage::open(&ws).unwrap();
    assert_eq!(texts(&gpkg, "thua"), bad);
    assert_eq!(edits(&gpkg), before);
    drop(gpkg);

    let (ok, stdout, stderr) =
        tramgis(&["repair-text", ws_arg, "--layer", "thua", "--fields", "ten"]);
    assert!(ok, "{stderr}");
    let n = good.len() - 1;
    assert!(
        stdout.contains(&format!("repaired {n} value(s)")),
        "{stdout}"
    );
    let gpkg = GeoPackage::open(&ws).unwrap();
    assert_eq!(texts(&gpkg, "thua"), good);
    let after = edits(&gpkg);
    assert_eq!(after.len(), before.len() + 1, "one edit");
    let (edit_id, description) = after.last().unwrap();
    assert_eq!(description, &format!("Sửa lỗi mã hóa: {n} giá trị"));
    let changes = gpkg.changes_since(since).unwrap();
    assert_eq!(changes.len(), n, "one journal row per value");
    assert!(
        changes
            .iter()
            .all(|c| c.edit_id == Some(*edit_id) && c.op == "update" && c.table_name == "thua"),
        "{changes:?}"
    );
    drop(gpkg);

    // Nothing is left to repair.
    let (ok, stdout, _) = tramgis(&["repair-text", ws_arg, "--layer", "thua"]);
    assert!(ok && stdout.contains("nothing to repair"), "{stdout}");
    let gpkg = GeoPackage::open(&ws).unwrap();
    assert_eq!(edits(&gpkg), after);
    drop(gpkg);
    // A field that is not a text field of the layer is named.
    let (ok, _, stderr) = tramgis(&["repair-text", ws_arg, "--layer", "thua", "--fields", "nope"]);
    assert!(!ok && stderr.contains("no text field 'nope'"), "{stderr}");
}

#[test]
fn export_writes_any_whatwg_encoding_with_its_cpg() {
    let dir = tempfile::tempdir().unwrap();
    let shp = utf8_shapefile(dir.path(), "cn", &CHINESE);
    let (gpkg, _) = import(dir.path(), &shp, "cn", |_| {}).unwrap();
    let out = dir.path().join("out.shp");
    let options = io::ExportOptions {
        encoding: Some(gbk()),
        ..io::ExportOptions::new("cn", &out).unwrap()
    };
    io::export_layer(&gpkg, &options, &Progress::default()).unwrap();
    drop(gpkg);
    assert_eq!(
        std::fs::read_to_string(out.with_extension("cpg")).unwrap(),
        "GBK"
    );
    let dbf = std::fs::read(out.with_extension("dbf")).unwrap();
    let beijing = gbk().encode("北京市").unwrap();
    assert!(
        dbf.windows(beijing.len()).any(|w| w == beijing),
        "GBK bytes in the DBF"
    );
    // GDAL reads the .cpg it did not write the same way.
    let (ok, stdout, stderr) = tool("ogrinfo", &["-al", "-q", out.to_str().unwrap()]);
    assert!(ok && stdout.contains("上海市浦东新区"), "{stdout}{stderr}");
    let (gpkg, report) = import(dir.path(), &out, "again", |_| {}).unwrap();
    assert_eq!(report.encoding, gbk());
    assert_eq!(report.encoding_choice, EncodingChoice::Declared);
    assert_eq!(texts(&gpkg, "again"), CHINESE.to_vec());
    // A character the encoding lacks names itself.
    let out = dir.path().join("latin.shp");
    let options = io::ExportOptions {
        encoding: Some(TextEncoding::WINDOWS_1252),
        ..io::ExportOptions::new("cn", &out).unwrap()
    };
    let err = io::export_layer(&gpkg, &options, &Progress::default()).unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot be encoded in windows-1252"),
        "{err}"
    );
}

/// MapInfo files from Vietnamese agencies often say WindowsLatin1 and hold
/// TCVN3: GDAL converts them as Latin-1, which is mojibake the import
/// repairs; chosen as TCVN3, GDAL's conversion is undone first.
#[test]
fn mapinfo_latin1_holding_tcvn3() {
    let dir = tempfile::tempdir().unwrap();
    let names = ["Thôn Thanh Ấm", "Đồng Quan Tiên", "Vương Văn Hùng"];
    let tcvn3 = TextEncoding::Legacy(LegacyEncoding::Tcvn3);
    let path = mif(dir.path(), "WindowsLatin1", &names, tcvn3);
    let (gpkg, report) = import(dir.path(), &path, "repaired", |_| {}).unwrap();
    assert_eq!(texts(&gpkg, "repaired"), names.to_vec());
    assert_eq!(report.text.repaired_count, 3);
    drop(gpkg);
    let (gpkg, report) = import(dir.path(), &path, "chosen", |o| o.encoding = Some(tcvn3)).unwrap();
    assert_eq!(texts(&gpkg, "chosen"), names.to_vec());
    assert_eq!(
        (report.text.repaired_count, report.text.replaced_chars),
        (0, 0)
    );
}
