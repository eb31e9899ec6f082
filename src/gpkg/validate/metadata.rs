//! The metadata extension (Annex F.8): `gpkg_metadata` and
//! `gpkg_metadata_reference`.

use super::checker::Checker;
use super::core_tables::is_timestamp;
use super::report::Place;
use super::structure::{self, col};

const METADATA: &str = "gpkg_metadata";
const REFERENCE: &str = "gpkg_metadata_reference";

const MD_SCOPES: &str = "'undefined', 'fieldSession', 'collectionSession', 'series', 'dataset', \
    'featureType', 'feature', 'attributeType', 'attribute', 'tile', 'model', 'catalog', 'schema', \
    'taxonomy', 'software', 'service', 'collectionHardware', 'nonGeographicDataset', 'dimensionGroup'";

pub fn check(c: &mut Checker) -> rusqlite::Result<()> {
    let declared = if c.exists("gpkg_extensions")? {
        let scopes = c.rows(
            "SELECT scope FROM gpkg_extensions WHERE extension_name = 'gpkg_metadata'",
            [],
            |r| r.get::<_, Option<String>>(0),
        )?;
        if let Some(scope) = scopes.first()
            && scope.as_deref() != Some("read-write")
        {
            c.error(
                140,
                Place::table("gpkg_extensions"),
                "gpkg_metadata must have scope read-write",
            );
        }
        !scopes.is_empty()
    } else {
        false
    };
    if !c.exists(METADATA)? {
        if declared {
            c.error(
                140,
                Place::table(METADATA),
                "gpkg_metadata is declared, but the table is missing",
            );
        }
        return Ok(());
    }
    let columns = c.table_info(METADATA)?;
    structure::check(
        c,
        93,
        METADATA,
        &columns,
        &[
            col("id", &["INTEGER"], true, None, 1),
            col("md_scope", &["TEXT"], true, Some("'dataset'"), 0),
            col("md_standard_uri", &["TEXT"], true, None, 0),
            col("mime_type", &["TEXT"], true, Some("'text/xml'"), 0),
            col("metadata", &["TEXT"], true, Some("''"), 0),
        ],
    );
    let scopes = c.rows(
        &format!("SELECT DISTINCT md_scope FROM {METADATA} WHERE md_scope NOT IN ({MD_SCOPES})"),
        [],
        |r| r.get::<_, Option<String>>(0),
    )?;
    for scope in scopes {
        c.error(
            94,
            Place::column(METADATA, "md_scope"),
            format!("'{}' is not a metadata scope", scope.unwrap_or_default()),
        );
    }
    if !c.exists(REFERENCE)? {
        c.error(
            95,
            Place::table(REFERENCE),
            "required with gpkg_metadata, but missing",
        );
        return Ok(());
    }
    let columns = c.table_info(REFERENCE)?;
    structure::check(
        c,
        95,
        REFERENCE,
        &columns,
        &[
            col("reference_scope", &["TEXT"], true, None, 0),
            col("table_name", &["TEXT"], false, None, 0),
            col("column_name", &["TEXT"], false, None, 0),
            col("row_id_value", &["INTEGER"], false, None, 0),
            col(
                "timestamp",
                &["DATETIME"],
                true,
                Some("strftime('%Y-%m-%dT%H:%M:%fZ','now')"),
                0,
            ),
            col("md_file_id", &["INTEGER"], true, None, 0),
            col("md_parent_id", &["INTEGER"], false, None, 0),
        ],
    );
    let rows = c.rows(
        &format!(
            "SELECT rowid, reference_scope, table_name, column_name, row_id_value, timestamp, \
             md_file_id, md_parent_id, md_file_id IN (SELECT id FROM {METADATA}), \
             md_parent_id IS NULL OR md_parent_id IN (SELECT id FROM {METADATA}) FROM {REFERENCE}"
        ),
        [],
        |r| {
            Ok(Reference {
                rowid: r.get(0)?,
                scope: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                table: r.get(2)?,
                column: r.get(3)?,
                row_id: r.get(4)?,
                timestamp: r.get::<_, Option<String>>(5).ok().flatten(),
                file_id: r.get(6)?,
                parent_id: r.get(7)?,
                file_exists: r.get(8)?,
                parent_exists: r.get(9)?,
            })
        },
    )?;
    for r in rows {
        check_reference(c, &r)?;
    }
    Ok(())
}

struct Reference {
    rowid: i64,
    scope: String,
    table: Option<String>,
    column: Option<String>,
    row_id: Option<i64>,
    timestamp: Option<String>,
    file_id: Option<i64>,
    parent_id: Option<i64>,
    file_exists: bool,
    parent_exists: bool,
}

fn check_reference(c: &mut Checker, r: &Reference) -> rusqlite::Result<()> {
    let at = Place::table(REFERENCE).with_row(r.rowid);
    let scope = r.scope.as_str();
    if !matches!(scope, "geopackage" | "table" | "column" | "row" | "row/col") {
        c.error(
            96,
            at.clone(),
            format!("'{scope}' is not a reference scope"),
        );
    }
    match (&r.table, scope) {
        (Some(_), "geopackage") => c.error(
            97,
            at.clone(),
            "a geopackage reference must have no table_name",
        ),
        (None, s) if s != "geopackage" => c.error(
            97,
            at.clone(),
            "a table, column or row reference needs a table_name",
        ),
        (Some(t), _) if !c.any("SELECT 1 FROM gpkg_contents WHERE table_name = ?1", [t])? => {
            c.error(
                97,
                at.clone(),
                format!("refers to table '{t}', which is not in gpkg_contents"),
            );
        }
        _ => {}
    }
    let wants_column = !matches!(scope, "geopackage" | "table" | "row");
    match (&r.column, wants_column) {
        (Some(_), false) => c.error(
            98,
            at.clone(),
            "only a column or row/col reference has a column_name",
        ),
        (None, true) => c.error(
            98,
            at.clone(),
            "a column or row/col reference needs a column_name",
        ),
        (Some(col), true) => {
            let t = r.table.as_deref().unwrap_or_default();
            if !c.column_exists(t, col) {
                c.error(
                    98,
                    at.clone(),
                    format!("refers to column '{col}' of '{t}', which does not exist"),
                );
            }
        }
        _ => {}
    }
    let wants_row = !matches!(scope, "geopackage" | "table" | "column");
    match (r.row_id, wants_row) {
        (Some(_), false) => c.error(
            99,
            at.clone(),
            "only a row or row/col reference has a row_id_value",
        ),
        (None, true) => c.error(
            99,
            at.clone(),
            "a row or row/col reference needs a row_id_value",
        ),
        (Some(id), true) => {
            let t = r.table.as_deref().unwrap_or_default();
            let exists = c
                .any(
                    &format!(
                        "SELECT 1 FROM {} WHERE ROWID = ?1",
                        super::checker::ident(t)
                    ),
                    [id],
                )
                .unwrap_or(false);
            if !exists {
                c.error(
                    99,
                    at.clone(),
                    format!("refers to row {id} of '{t}', which does not exist"),
                );
            }
        }
        _ => {}
    }
    if !r.timestamp.as_deref().is_some_and(is_timestamp) {
        c.error(
            100,
            at.clone(),
            "timestamp is not like 2024-01-31T12:00:00.000Z",
        );
    }
    if !r.file_exists {
        c.error(
            101,
            at.clone(),
            format!(
                "md_file_id {} is not in gpkg_metadata",
                r.file_id.unwrap_or_default()
            ),
        );
    }
    if !r.parent_exists {
        c.error(
            102,
            at.clone(),
            format!(
                "md_parent_id {} is not in gpkg_metadata",
                r.parent_id.unwrap_or_default()
            ),
        );
    }
    if r.parent_id.is_some() && r.parent_id == r.file_id {
        c.error(102, at, "md_parent_id must differ from md_file_id");
    }
    Ok(())
}
