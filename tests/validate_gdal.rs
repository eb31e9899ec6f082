//! `tramgis validate` against GDAL's own validator (`validate_gpkg.py` of
//! the PyPI package gdal-utils 3.13, installed by packaging/install-deps.sh):
//! on files that ogr2ogr writes for GeoPackage 1.0 to 1.3, on tramgis's own
//! 1.4 workspace, and on copies of them that each break one requirement,
//! both must call the file valid, or both must flag the same requirements.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use tramgis::gpkg::validate::{Problem, Severity, validate};

/// GDAL's validator script, found in the Python that runs it.
fn gdal_validator() -> &'static Path {
    static SCRIPT: OnceLock<PathBuf> = OnceLock::new();
    SCRIPT.get_or_init(|| {
        let out = Command::new("python3")
            .args([
                "-c",
                "import importlib.metadata as m, osgeo_utils, os; \
                 assert m.version('gdal-utils') >= '3.13', m.version('gdal-utils'); \
                 print(os.path.dirname(osgeo_utils.__file__))",
            ])
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "GDAL's validator is not installed (packaging/install-deps.sh installs gdal-utils): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let dir = String::from_utf8(out.stdout).unwrap();
        let script = Path::new(dir.trim()).join("samples/validate_gpkg.py");
        assert!(script.exists(), "{} is missing", script.display());
        script
    })
}

/// What GDAL's validator says: the requirement numbers of its errors, and
/// its whole output (it reports some faults by raising an exception).
struct GdalVerdict {
    requirements: BTreeSet<u32>,
    output: String,
    valid: bool,
}

fn gdal(path: &Path) -> GdalVerdict {
    let out = Command::new("python3")
        .arg(gdal_validator())
        .arg("-k")
        .arg(path)
        .output()
        .expect("python3 runs");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let requirements = output
        .lines()
        .filter_map(|l| l.strip_prefix("Req ")?.split(':').next()?.parse().ok())
        .collect();
    GdalVerdict {
        requirements,
        valid: out.status.success(),
        output,
    }
}

/// Our findings; validate must neither fail nor panic on any fixture.
fn ours(path: &Path) -> (BTreeSet<u32>, Vec<Problem>) {
    let problems = validate(path).unwrap_or_else(|e| panic!("validate failed: {e}"));
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| {
            p.requirement
                .unwrap_or_else(|| panic!("an error without a requirement: {p}"))
        })
        .collect();
    (errors, problems)
}

/// Both validators agree on `path`; returns the requirements flagged.
fn agree(path: &Path) -> BTreeSet<u32> {
    let g = gdal(path);
    let (mine, problems) = ours(path);
    let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        g.requirements,
        mine,
        "{}: GDAL says\n{}\ntramgis says\n{}",
        path.display(),
        g.output,
        shown.join("\n")
    );
    assert_eq!(g.valid, mine.is_empty(), "{}: {}", path.display(), g.output);
    mine
}

fn run(program: &str, args: &[&str]) {
    let (ok, stdout, stderr) = common::tool(program, args);
    assert!(ok, "{program} {args:?} failed:\n{stdout}\n{stderr}");
}

fn sql(path: &Path, statements: &str) {
    run("sqlite3", &[path.to_str().unwrap(), statements]);
}

fn copy(dir: &Path, from: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(from, &to).unwrap();
    to
}

/// Writes a CSV of WKT geometries (an empty one is a NULL geometry) and
/// adds it to `gpkg` as layer `name` with ogr2ogr.
fn add_layer(
    gpkg: &Path,
    version: &str,
    name: &str,
    nlt: &str,
    srs: &str,
    wkts: &[&str],
    extra: &[&str],
) {
    let dir = gpkg.parent().unwrap();
    let csv = dir.join(format!("{name}.csv"));
    let mut text = String::from("name,wkt\n");
    for (i, w) in wkts.iter().enumerate() {
        text.push_str(&format!("n{i},\"{w}\"\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let mut args = vec!["-f", "GPKG"];
    if gpkg.exists() {
        args.push("-update");
    } else {
        args.extend(["-dsco", version]);
    }
    args.extend([
        gpkg.to_str().unwrap(),
        csv.to_str().unwrap(),
        "-nln",
        name,
        "-nlt",
        nlt,
        "-oo",
        "GEOM_POSSIBLE_NAMES=wkt",
        "-oo",
        "KEEP_GEOM_COLUMNS=NO",
    ]);
    if !srs.is_empty() {
        args.extend(["-a_srs", srs]);
    }
    args.extend(extra);
    run("ogr2ogr", &args);
}

/// Writes `csv` next to `gpkg` and adds it to `gpkg` as the attributes
/// table `name` with ogr2ogr.
fn add_attributes(gpkg: &Path, name: &str, csv: &str) {
    let file = gpkg.parent().unwrap().join(format!("{name}.csv"));
    std::fs::write(&file, csv).unwrap();
    run(
        "ogr2ogr",
        &[
            "-f",
            "GPKG",
            "-update",
            gpkg.to_str().unwrap(),
            file.to_str().unwrap(),
            "-nln",
            name,
        ],
    );
}

const VERSIONS: [&str; 4] = ["VERSION=1.0", "VERSION=1.1", "VERSION=1.2", "VERSION=1.3"];

const NO_INDEX: &[&str] = &["-lco", "SPATIAL_INDEX=NO"];

/// A file of every kind ogr2ogr writes: points with a NULL geometry,
/// polygons, the five curve types, an attributes table, a view, and
/// layers with srs_id 0 and -1.
fn everything(dir: &Path, version: &str) -> PathBuf {
    let path = dir.join(format!("all_{}.gpkg", &version[8..]));
    add_layer(
        &path,
        version,
        "pts",
        "POINT",
        "EPSG:4326",
        &["POINT (105.9 21.2)", "POINT (106 21.3)", ""],
        &[],
    );
    add_layer(
        &path,
        version,
        "parcels",
        "POLYGON",
        "EPSG:3405",
        &[
            "POLYGON ((0 0,10 0,10 10,0 10,0 0),(2 2,2 3,3 3,2 2))",
            "POLYGON ((20 0,30 0,30 5,20 0))",
        ],
        &[],
    );
    let curves: [(&str, &str); 5] = [
        ("CIRCULARSTRING", "CIRCULARSTRING (0 0,1 1,2 0)"),
        (
            "COMPOUNDCURVE",
            "COMPOUNDCURVE (CIRCULARSTRING (0 0,1 1,2 0),(2 0,3 0))",
        ),
        (
            "CURVEPOLYGON",
            "CURVEPOLYGON (CIRCULARSTRING (0 0,2 0,0 0))",
        ),
        (
            "MULTICURVE",
            "MULTICURVE ((0 0,1 0),CIRCULARSTRING (0 0,1 1,2 0))",
        ),
        (
            "MULTISURFACE",
            "MULTISURFACE (CURVEPOLYGON (CIRCULARSTRING (0 0,2 0,0 0)),((5 5,6 5,6 6,5 5)))",
        ),
    ];
    for (nlt, wkt) in curves {
        add_layer(
            &path,
            version,
            &nlt.to_lowercase(),
            nlt,
            "EPSG:3405",
            &[wkt, ""],
            &[],
        );
    }
    // ogr2ogr gives a layer without a CRS srs_id 0.
    add_layer(
        &path,
        version,
        "undefined_geographic",
        "POINT",
        "",
        &["POINT (1 2)"],
        &[],
    );
    add_layer(
        &path,
        version,
        "undefined_cartesian",
        "LINESTRING",
        "",
        &["LINESTRING (1 2,3 4)"],
        NO_INDEX,
    );
    // srs_id -1 in the catalogue and in each blob's header.
    sql(
        &path,
        "UPDATE gpkg_geometry_columns SET srs_id = -1 WHERE table_name = 'undefined_cartesian';
         UPDATE gpkg_contents SET srs_id = -1 WHERE table_name = 'undefined_cartesian';
         UPDATE undefined_cartesian SET geom = CAST(substr(geom, 1, 4) || X'FFFFFFFF' || substr(geom, 9) AS BLOB);",
    );
    add_attributes(&path, "codes", "code,label\n1,đất ở\n2,đất lúa\n");
    // A view registered as GDAL registers one.
    sql(
        &path,
        "CREATE VIEW pts_view AS SELECT fid AS OGC_FID, geom, name FROM pts;
         INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
           VALUES ('pts_view', 'features', 'pts_view', 4326);
         INSERT INTO gpkg_geometry_columns VALUES ('pts_view', 'geom', 'POINT', 4326, 0, 0);",
    );
    path
}

#[test]
fn files_written_by_ogr2ogr_are_valid_for_both() {
    let dir = tempfile::tempdir().unwrap();
    for version in VERSIONS {
        let path = everything(dir.path(), version);
        assert_eq!(agree(&path), BTreeSet::new(), "{version}");
        let (_, problems) = ours(&path);
        assert!(
            problems.iter().all(|p| p.severity == Severity::Warning),
            "{problems:#?}"
        );
    }
}

#[test]
fn packages_without_optional_tables_are_valid() {
    let dir = tempfile::tempdir().unwrap();
    // Only attributes: no geometry columns table needed.
    let attrs = dir.path().join("attrs.csv");
    std::fs::write(&attrs, "code,label\n1,a\n").unwrap();
    let only_attributes = dir.path().join("attributes.gpkg");
    run(
        "ogr2ogr",
        &[
            "-f",
            "GPKG",
            "-dsco",
            "VERSION=1.2",
            only_attributes.to_str().unwrap(),
            attrs.to_str().unwrap(),
        ],
    );
    sql(&only_attributes, "DROP TABLE gpkg_geometry_columns;");
    // Features without an index and without gpkg_extensions.
    let no_extensions = dir.path().join("no_extensions.gpkg");
    add_layer(
        &no_extensions,
        "VERSION=1.3",
        "pts",
        "POINT",
        "EPSG:4326",
        &["POINT (1 2)"],
        NO_INDEX,
    );
    sql(&no_extensions, "DROP TABLE IF EXISTS gpkg_extensions;");
    for path in [only_attributes, no_extensions] {
        assert_eq!(agree(&path), BTreeSet::new());
    }
}

#[test]
fn a_tramgis_workspace_is_valid_for_both() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample(dir.path(), 50);
    assert_eq!(agree(&path), BTreeSet::new());
}

/// A base file, one change that breaks it, and what must be flagged.
struct Break {
    name: &'static str,
    sql: &'static str,
    requirements: &'static [u32],
}

/// Copies of a valid 1.2 file (a point layer with a spatial index `pts`,
/// layers without one `bare`, `lines` and `polys`, a curve layer `arcs`, an
/// attributes table `codes` described in gpkg_data_columns), each with one
/// fault. (Faults that make GDAL's script stop with a Python exception are in
/// `faults_that_stop_gdal_are_findings`.)
#[test]
fn broken_copies_are_flagged_by_both() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.gpkg");
    add_layer(
        &base,
        "VERSION=1.2",
        "pts",
        "POINT",
        "EPSG:4326",
        &["POINT (1 2)", "POINT (3 4)"],
        // ogr2ogr writes this to gpkg_metadata.
        &["-mo", "SOURCE=survey"],
    );
    add_layer(
        &base,
        "VERSION=1.2",
        "bare",
        "POINT",
        "EPSG:4326",
        &["POINT (1 2)", "POINT (3 4)", ""],
        NO_INDEX,
    );
    add_layer(
        &base,
        "VERSION=1.2",
        "lines",
        "LINESTRING",
        "EPSG:4326",
        &["LINESTRING (1 2,3 4)"],
        NO_INDEX,
    );
    add_layer(
        &base,
        "VERSION=1.2",
        "polys",
        "POLYGON",
        "EPSG:4326",
        &["POLYGON ((0 0,1 0,1 1,0 0))"],
        NO_INDEX,
    );
    add_layer(
        &base,
        "VERSION=1.2",
        "arcs",
        "CIRCULARSTRING",
        "EPSG:3405",
        &["CIRCULARSTRING (0 0,1 1,2 0)"],
        &[],
    );
    add_attributes(&base, "codes", "code,label\n1,a\n");
    sql(
        &base,
        "CREATE TABLE gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
           name TEXT, title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT,
           CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
           CONSTRAINT gdc_tn UNIQUE (table_name, name));
         CREATE TABLE gpkg_data_column_constraints (constraint_name TEXT NOT NULL,
           constraint_type TEXT NOT NULL, value TEXT, min NUMERIC, min_is_inclusive BOOLEAN,
           max NUMERIC, max_is_inclusive BOOLEAN, description TEXT,
           CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value));
         INSERT INTO gpkg_data_column_constraints VALUES ('codes', 'enum', '1', NULL, NULL, NULL, NULL, 'one');
         INSERT INTO gpkg_data_columns VALUES ('codes', 'code', 'code', 'Code', NULL, NULL, 'codes');",
    );
    assert_eq!(agree(&base), BTreeSet::new());

    let breaks = [
        Break { name: "missing_trigger", sql: "DROP TRIGGER rtree_pts_geom_update1;", requirements: &[75] },
        Break {
            name: "trigger_of_1_4_in_1_2",
            sql: "CREATE TRIGGER rtree_pts_geom_update5 AFTER UPDATE ON pts BEGIN SELECT 1; END;",
            requirements: &[75],
        },
        Break { name: "srs_reference", sql: "UPDATE gpkg_contents SET srs_id = 4327 WHERE table_name = 'pts';", requirements: &[7, 14, 146] },
        Break { name: "missing_srs_row", sql: "DELETE FROM gpkg_spatial_ref_sys WHERE srs_id = -1;", requirements: &[11] },
        Break { name: "srs_row_value", sql: "UPDATE gpkg_spatial_ref_sys SET organization = 'EPSG' WHERE srs_id = -1;", requirements: &[11] },
        Break {
            name: "data_columns_column",
            sql: "INSERT INTO gpkg_data_columns VALUES ('codes', 'nope', NULL, NULL, NULL, NULL, NULL);",
            requirements: &[105],
        },
        Break {
            name: "data_columns_table",
            sql: "INSERT INTO gpkg_data_columns VALUES ('nowhere', 'code', NULL, NULL, NULL, NULL, NULL);",
            requirements: &[104, 105],
        },
        Break {
            name: "constraint_range",
            sql: "INSERT INTO gpkg_data_column_constraints VALUES ('r', 'range', NULL, 5, 1, 1, 1, NULL);",
            requirements: &[111],
        },
        Break { name: "blob_magic", sql: "UPDATE bare SET geom = CAST(X'5858' || substr(geom, 3) AS BLOB) WHERE fid = 1;", requirements: &[19] },
        Break {
            name: "blob_version",
            sql: "UPDATE polys SET geom = CAST(X'475001' || substr(geom, 4) AS BLOB);",
            requirements: &[19],
        },
        Break { name: "blob_srs", sql: "UPDATE bare SET geom = CAST(substr(geom, 1, 4) || X'E7030000' || substr(geom, 9) AS BLOB) WHERE fid = 1;", requirements: &[33] },
        Break {
            name: "wrong_geometry_type",
            sql: "UPDATE bare SET geom = (SELECT geom FROM lines) WHERE fid = 1;",
            requirements: &[32],
        },
        Break {
            name: "z_flag",
            sql: "UPDATE gpkg_geometry_columns SET z = 3 WHERE table_name = 'bare';",
            requirements: &[27],
        },
        Break {
            name: "z_required",
            sql: "UPDATE gpkg_geometry_columns SET z = 1 WHERE table_name = 'bare';",
            requirements: &[19],
        },
        Break {
            name: "column_type",
            sql: "UPDATE gpkg_geometry_columns SET geometry_type_name = 'MULTIPOINT' WHERE table_name = 'bare';",
            requirements: &[31, 32],
        },
        Break {
            name: "curve_extension",
            sql: "DELETE FROM gpkg_extensions WHERE extension_name = 'gpkg_geom_CIRCULARSTRING';",
            requirements: &[68],
        },
        Break {
            name: "extension_scope",
            sql: "UPDATE gpkg_extensions SET scope = 'read' WHERE table_name = 'pts';",
            requirements: &[64, 75, 78],
        },
        Break {
            name: "extension_column",
            sql: "INSERT INTO gpkg_extensions VALUES ('pts', 'nope', 'acme_thing', 'x', 'read-write');",
            requirements: &[61],
        },
        Break {
            name: "extension_name",
            sql: "INSERT INTO gpkg_extensions VALUES (NULL, NULL, 'gpkg_magic', 'x', 'read-write');",
            requirements: &[62],
        },
        Break { name: "data_type", sql: "UPDATE gpkg_contents SET data_type = 'feature' WHERE table_name = 'pts';", requirements: &[17, 23, 75] },
        Break {
            name: "last_change",
            sql: "UPDATE gpkg_contents SET last_change = '2024-01-31' WHERE table_name = 'codes';",
            requirements: &[15],
        },
        Break {
            name: "feature_table_without_key",
            sql: "CREATE TABLE nokey (id INTEGER, geom POINT, name TEXT);
                  INSERT INTO nokey SELECT fid, geom, name FROM bare;
                  INSERT INTO gpkg_contents (table_name, data_type, srs_id) VALUES ('nokey', 'features', 4326);
                  INSERT INTO gpkg_geometry_columns VALUES ('nokey', 'geom', 'POINT', 4326, 0, 0);",
            requirements: &[29],
        },
        Break {
            name: "attribute_table_without_key",
            sql: "CREATE TABLE loose (code INTEGER, label TEXT);
                  INSERT INTO gpkg_contents (table_name, data_type) VALUES ('loose', 'attributes');",
            requirements: &[119],
        },
        Break {
            name: "column_data_type",
            sql: "CREATE TABLE odd (id INTEGER PRIMARY KEY, label VARCHAR(10));
                  INSERT INTO gpkg_contents (table_name, data_type) VALUES ('odd', 'attributes');",
            requirements: &[5],
        },
        Break {
            name: "view_key_repeats",
            sql: "CREATE VIEW twice AS SELECT p.fid AS fid, p.geom FROM pts p, bare q;
                  INSERT INTO gpkg_contents (table_name, data_type, srs_id) VALUES ('twice', 'features', 4326);
                  INSERT INTO gpkg_geometry_columns VALUES ('twice', 'geom', 'POINT', 4326, 0, 0);",
            requirements: &[150],
        },
        Break {
            name: "metadata_scope",
            sql: "UPDATE gpkg_metadata SET md_scope = 'everything';",
            requirements: &[94],
        },
        Break {
            name: "metadata_reference_scope",
            sql: "UPDATE gpkg_metadata_reference SET reference_scope = 'table';",
            requirements: &[97],
        },
        Break {
            name: "metadata_file_id",
            sql: "UPDATE gpkg_metadata_reference SET md_file_id = 99;",
            requirements: &[7, 101],
        },
        // Faults the OGC test suite reports and GDAL's validator does not
        // check: advice from tramgis, valid for both.
        Break {
            name: "unknown_constraint",
            sql: "UPDATE gpkg_data_columns SET constraint_name = 'nope';",
            requirements: &[],
        },
        Break {
            name: "mime_type_on_text",
            sql: "UPDATE gpkg_data_columns SET mime_type = 'image/png';",
            requirements: &[],
        },
    ];
    for (name, text) in [
        ("unknown_constraint", "constraint 'nope', which is not in"),
        (
            "mime_type_on_text",
            "MIME type 'image/png' for a TEXT column",
        ),
    ] {
        let path = copy(dir.path(), &base, &format!("{name}_advice.gpkg"));
        sql(&path, breaks.iter().find(|b| b.name == name).unwrap().sql);
        let (_, problems) = ours(&path);
        let advice: Vec<&Problem> = problems
            .iter()
            .filter(|p| p.severity == Severity::Warning && p.message.contains(text))
            .collect();
        assert_eq!(advice.len(), 1, "{name}: {problems:#?}");
        assert_eq!(advice[0].place.table.as_deref(), Some("codes"));
        assert_eq!(advice[0].place.column.as_deref(), Some("code"));
    }
    let mut failures = Vec::new();
    for b in &breaks {
        let path = copy(dir.path(), &base, &format!("{}.gpkg", b.name));
        sql(&path, b.sql);
        let result = std::panic::catch_unwind(|| agree(&path));
        match result {
            Ok(found) => {
                let wanted: BTreeSet<u32> = b.requirements.iter().copied().collect();
                if found != wanted {
                    failures.push(format!(
                        "{}: both flag {found:?}, expected {wanted:?}",
                        b.name
                    ));
                }
            }
            Err(e) => failures.push(format!(
                "{}: {}",
                b.name,
                e.downcast_ref::<String>().cloned().unwrap_or_default()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn broken_workspaces_of_1_4() {
    let dir = tempfile::tempdir().unwrap();
    let base = common::sample(dir.path(), 20);
    // A 1.4 file must have update5-7 instead of update1 and update3.
    let (layer, column): (String, String) = rusqlite::Connection::open(&base)
        .unwrap()
        .query_row(
            "SELECT table_name, column_name FROM gpkg_geometry_columns ORDER BY table_name LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let old_trigger = copy(dir.path(), &base, "old_trigger.gpkg");
    sql(
        &old_trigger,
        &format!(
            "CREATE TRIGGER \"rtree_{layer}_{column}_update1\" AFTER UPDATE ON \"{layer}\" BEGIN SELECT 1; END;
             DROP TRIGGER \"rtree_{layer}_{column}_update5\";"
        ),
    );
    assert_eq!(agree(&old_trigger), BTreeSet::from([75]));
    let app_id = copy(dir.path(), &base, "app_id.gpkg");
    sql(&app_id, "PRAGMA application_id = 0;");
    assert_eq!(agree(&app_id), BTreeSet::from([2]));
}

/// An R-tree whose shadow tables are gone: GDAL's validator stops with
/// SQLite's error; tramgis names the index and goes on with the rest.
#[test]
fn an_rtree_without_its_shadow_tables_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shadow.gpkg");
    add_layer(
        &path,
        "VERSION=1.3",
        "pts",
        "POINT",
        "EPSG:4326",
        &["POINT (1 2)"],
        &[],
    );
    add_layer(
        &path,
        "VERSION=1.3",
        "bare",
        "POINT",
        "EPSG:4326",
        &["POINT (1 2)"],
        NO_INDEX,
    );
    sql(&path, "DROP TABLE rtree_pts_geom_node;");
    // And a fault in the other layer, which must still be found.
    sql(
        &path,
        "UPDATE bare SET geom = CAST(X'5858' || substr(geom, 3) AS BLOB);",
    );
    let g = gdal(&path);
    assert!(!g.valid);
    assert!(
        g.output.contains("no such table: main.rtree_pts_geom_node"),
        "{}",
        g.output
    );
    let (errors, problems) = ours(&path);
    assert_eq!(errors, BTreeSet::from([19, 77]), "{problems:#?}");
    let index = problems.iter().find(|p| p.requirement == Some(77)).unwrap();
    assert_eq!(index.place.table.as_deref(), Some("rtree_pts_geom"));
    assert!(index.message.contains("rtree_pts_geom_node"), "{index}");
}

/// Faults on which GDAL's script stops with a Python exception (it reads
/// past the blob, indexes an empty list): tramgis reports each as a finding
/// of the requirement it breaks and checks the rest.
#[test]
fn faults_that_stop_gdal_are_findings() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.gpkg");
    add_layer(
        &base,
        "VERSION=1.3",
        "polys",
        "POLYGON",
        "EPSG:4326",
        &["POLYGON ((0 0,1 0,1 1,0 0))"],
        NO_INDEX,
    );
    add_layer(
        &base,
        "VERSION=1.3",
        "pts",
        "POINT",
        "EPSG:4326",
        &["POINT (1 2)"],
        NO_INDEX,
    );
    assert_eq!(agree(&base), BTreeSet::new());
    let cases: [(&str, &str, &[u32]); 4] = [
        (
            "envelope_indicator",
            "UPDATE polys SET geom = CAST(X'4750000F' || substr(geom, 5) AS BLOB);",
            &[19],
        ),
        (
            "missing_table",
            "INSERT INTO gpkg_contents (table_name, data_type) VALUES ('ghost', 'attributes');",
            &[14],
        ),
        (
            "unregistered_geometry_table",
            "DELETE FROM gpkg_geometry_columns WHERE table_name = 'pts';",
            &[22],
        ),
        (
            "text_geometry",
            "UPDATE pts SET geom = 'POINT (1 2)';",
            &[19],
        ),
    ];
    for (name, statements, wanted) in cases {
        let path = copy(dir.path(), &base, &format!("{name}.gpkg"));
        sql(&path, statements);
        let g = gdal(&path);
        assert!(
            !g.valid && g.output.contains("Traceback"),
            "{name}: {}",
            g.output
        );
        let (errors, problems) = ours(&path);
        let wanted: BTreeSet<u32> = wanted.iter().copied().collect();
        assert_eq!(errors, wanted, "{name}: {problems:#?}");
    }
}

#[test]
fn the_cli_prints_each_finding_once_and_sets_the_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let valid = dir.path().join("valid.gpkg");
    add_layer(
        &valid,
        "VERSION=1.2",
        "pts",
        "POINT",
        "EPSG:4326",
        &["POINT (1 2)", "POINT (3 4)"],
        &[],
    );
    let broken = copy(dir.path(), &valid, "broken.gpkg");
    sql(
        &broken,
        "DROP TRIGGER rtree_pts_geom_update3; UPDATE gpkg_geometry_columns SET z = 7;",
    );
    let tramgis = env!("CARGO_BIN_EXE_tramgis");

    let out = Command::new(tramgis)
        .arg("validate")
        .arg(&valid)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("valid GeoPackage"), "{stdout}");

    let out = Command::new(tramgis)
        .arg("validate")
        .arg(&broken)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    let trigger: Vec<&&str> = lines.iter().filter(|l| l.contains("update3")).collect();
    assert_eq!(trigger.len(), 1, "{stdout}");
    assert_eq!(
        *trigger[0],
        "error (requirement 75): table 'pts', column 'geom': \
         spatial index trigger rtree_pts_geom_update3 is missing"
    );
    let z: Vec<&&str> = lines.iter().filter(|l| l.contains("z = 7")).collect();
    assert_eq!(z.len(), 1, "{stdout}");
    assert!(
        z[0].starts_with("error (requirement 27): table 'pts': "),
        "{stdout}"
    );
    for line in &lines {
        assert_eq!(line.matches("'pts'").count(), 1, "{line}");
    }
    assert!(
        stderr.contains("broken.gpkg") && stderr.contains("2 error(s)"),
        "{stderr}"
    );
}

/// Runs `tramgis validate`; returns the exit code and stdout.
fn cli_validate(path: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tramgis"))
        .arg("validate")
        .arg(path)
        .output()
        .unwrap();
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A copy's name, its statements, the text of the warning they cause, and
/// the warning's table, fid and column.
type ConsistencyCase = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<i64>,
    Option<&'static str>,
);

/// Header envelopes and R-tree entries that disagree with the geometries
/// break no requirement GDAL's validator checks: tramgis reports them as
/// warnings naming table, fid and column, and the file stays valid.
#[test]
fn consistency_faults_gdal_does_not_check_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.gpkg");
    add_layer(
        &base,
        "VERSION=1.2",
        "polys",
        "POLYGON",
        "EPSG:4326",
        &["POLYGON ((0 0,10 0,10 10,0 10,0 0))"],
        NO_INDEX,
    );
    add_layer(
        &base,
        "VERSION=1.2",
        "pts",
        "POINT",
        "EPSG:4326",
        &["POINT (1 2)", "POINT (3 4)"],
        &[],
    );
    assert_eq!(agree(&base), BTreeSet::new());
    let cases: [ConsistencyCase; 4] = [
        (
            "envelope_min_x",
            // The header's min x (bytes 9-16, little-endian) from 0 to 1.
            "UPDATE polys SET geom = CAST(substr(geom, 1, 8) || X'000000000000F03F' \
             || substr(geom, 17) AS BLOB) WHERE fid = 1;",
            "header envelope",
            "polys",
            Some(1),
            Some("geom"),
        ),
        (
            "stale_index_box",
            "UPDATE rtree_pts_geom SET minx = 50, maxx = 60 WHERE id = 1;",
            "spatial index box",
            "pts",
            Some(1),
            Some("geom"),
        ),
        (
            "missing_index_entry",
            "DELETE FROM rtree_pts_geom WHERE id = 2;",
            "missing from the spatial index",
            "pts",
            Some(2),
            Some("geom"),
        ),
        (
            "extra_index_entry",
            "INSERT INTO rtree_pts_geom VALUES (99, 0, 1, 0, 1);",
            "spatial index has 3 entries",
            "rtree_pts_geom",
            None,
            None,
        ),
    ];
    for (name, statements, text, table, fid, column) in cases {
        let path = copy(dir.path(), &base, &format!("{name}.gpkg"));
        sql(&path, statements);
        assert_eq!(agree(&path), BTreeSet::new(), "{name}");
        let (_, problems) = ours(&path);
        let found: Vec<&Problem> = problems
            .iter()
            .filter(|p| p.message.contains(text))
            .collect();
        assert_eq!(found.len(), 1, "{name}: {problems:#?}");
        let p = found[0];
        assert_eq!(p.severity, Severity::Warning, "{name}: {p}");
        assert_eq!(
            (
                p.place.table.as_deref(),
                p.place.row,
                p.place.column.as_deref()
            ),
            (Some(table), fid, column),
            "{name}: {p}"
        );
        let (code, output) = cli_validate(&path);
        assert_eq!(code, Some(0), "{name}: {output}");
        assert!(
            output.contains(&format!("warning: {}", p.place)) && output.contains(text),
            "{name}: {output}"
        );
    }
}

/// A GPKG file whose user_version is below 10200 is checked as GDAL checks
/// it, by the version the number gives (0 is older than 1.4, so the 1.0-1.3
/// triggers are expected); only 1.5 and later are newer than the checks.
#[test]
fn the_version_checked_is_the_one_gdal_computes() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.gpkg");
    add_layer(
        &base,
        "VERSION=1.2",
        "pts",
        "POINT",
        "EPSG:4326",
        &["POINT (1 2)"],
        &[],
    );
    let zero = copy(dir.path(), &base, "user_version_0.gpkg");
    sql(&zero, "PRAGMA user_version = 0;");
    assert_eq!(agree(&zero), BTreeSet::from([2]));

    let workspace = common::sample(dir.path(), 5);
    let newer = |v: u32| {
        let path = copy(dir.path(), &workspace, &format!("v{v}.gpkg"));
        sql(&path, &format!("PRAGMA user_version = {v};"));
        assert_eq!(agree(&path), BTreeSet::new(), "{v}");
        let g = gdal(&path);
        let (_, problems) = ours(&path);
        let ours_warns = problems.iter().any(|p| p.message.contains("newer than"));
        let gdal_warns = g.output.contains("not handled by this script");
        (gdal_warns, ours_warns)
    };
    assert_eq!(newer(10401), (false, false));
    assert_eq!(newer(10500), (true, true));
}

/// A 1.2 file whose constraints table has 1.0's column names: the structure
/// is the fault (Req 107), and the rules on the missing min_is_inclusive and
/// max_is_inclusive columns are not applied to a string literal of their
/// names. (GDAL's script stops with "no such column" here.)
#[test]
fn constraints_with_the_other_versions_column_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("constraints.gpkg");
    add_layer(
        &path,
        "VERSION=1.2",
        "pts",
        "POINT",
        "EPSG:4326",
        &["POINT (1 2)"],
        NO_INDEX,
    );
    sql(
        &path,
        "CREATE TABLE gpkg_data_column_constraints (constraint_name TEXT NOT NULL,
           constraint_type TEXT NOT NULL, value TEXT, min NUMERIC, minIsInclusive BOOLEAN,
           max NUMERIC, maxIsInclusive BOOLEAN, description TEXT,
           CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value));
         CREATE TABLE gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
           name TEXT, title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT,
           CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
           CONSTRAINT gdc_tn UNIQUE (table_name, name));
         INSERT INTO gpkg_data_column_constraints VALUES ('percent', 'range', NULL, 0, 1, 100, 1, NULL);
         INSERT INTO gpkg_data_column_constraints VALUES ('codes', 'enum', 'a', NULL, NULL, NULL, NULL, NULL);
         INSERT INTO gpkg_data_columns VALUES ('pts', 'name', 'name', NULL, NULL, NULL, 'codes');",
    );
    let g = gdal(&path);
    assert!(
        !g.valid && g.output.contains("no such column: min_is_inclusive"),
        "{}",
        g.output
    );
    let (errors, problems) = ours(&path);
    assert_eq!(errors, BTreeSet::from([107]), "{problems:#?}");
}

/// A trigger whose name is not UTF-8 (another program wrote it) neither
/// stops the trigger check nor counts as a spatial index trigger.
#[test]
fn a_trigger_name_that_is_not_utf8_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("names.gpkg");
    add_layer(
        &path,
        "VERSION=1.2",
        "pts",
        "POINT",
        "EPSG:4326",
        &["POINT (1 2)"],
        &[],
    );
    let mut statements = b"CREATE TRIGGER \"log_\xff\" AFTER DELETE ON pts BEGIN SELECT 1; END;\n\
        CREATE TRIGGER \"rtree_pts_geom_\xfe\" AFTER DELETE ON pts BEGIN SELECT 1; END;\n"
        .to_vec();
    statements.extend_from_slice(
        b"SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND hex(name) IN \
          ('6C6F675FFF', '72747265655F7074735F67656F6D5FFE');\n",
    );
    let mut shell = Command::new("sqlite3")
        .arg(&path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    shell.stdin.take().unwrap().write_all(&statements).unwrap();
    let out = shell.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2");
    assert_eq!(agree(&path), BTreeSet::new());
}

/// tramgis writing into a GDAL 1.2 file gives a new layer the triggers of
/// 1.2 (insert, update1-4, delete), so both validators still accept it.
#[test]
fn a_layer_tramgis_imports_into_a_gdal_1_2_file_is_valid_for_both() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f12.gpkg");
    add_layer(
        &path,
        "VERSION=1.2",
        "pts",
        "POINT",
        "EPSG:4326",
        &["POINT (105.8 21.0)"],
        &[],
    );
    assert_eq!(agree(&path), BTreeSet::new());
    let geojson = dir.path().join("more.geojson");
    std::fs::write(
        &geojson,
        r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"name":"a"},"geometry":{"type":"Point","coordinates":[105.85,21.03]}},
          {"type":"Feature","properties":{"name":"b"},"geometry":{"type":"Point","coordinates":[105.9,21.1]}}]}"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tramgis"))
        .args(["import", geojson.to_str().unwrap(), "--into"])
        .arg(&path)
        .args(["--to", "pts2", "--target-crs", "EPSG:4326"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let triggers: Vec<String> = rusqlite::Connection::open(&path)
        .unwrap()
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'pts2' AND name LIKE 'rtree%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let want: Vec<String> = [
        "delete", "insert", "update1", "update2", "update3", "update4",
    ]
    .iter()
    .map(|s| format!("rtree_pts2_geom_{s}"))
    .collect();
    assert_eq!(triggers, want);
    assert_eq!(agree(&path), BTreeSet::new());
}
