//! The schema extension (Annex F.9): `gpkg_data_columns` and
//! `gpkg_data_column_constraints`.

use super::checker::{Checker, Version, ident};
use super::report::Place;
use super::structure::{self, col};

const DATA_COLUMNS: &str = "gpkg_data_columns";
const CONSTRAINTS: &str = "gpkg_data_column_constraints";

pub fn check(c: &mut Checker) -> rusqlite::Result<()> {
    let declared = declared_scope_rows(c)?;
    if !c.exists(DATA_COLUMNS)? {
        if declared {
            c.error(
                141,
                Place::table(DATA_COLUMNS),
                "gpkg_schema is declared, but the table is missing",
            );
        }
        return Ok(());
    }
    let columns = c.table_info(DATA_COLUMNS)?;
    structure::check(
        c,
        103,
        DATA_COLUMNS,
        &columns,
        &[
            col("table_name", &["TEXT"], true, None, 1),
            col("column_name", &["TEXT"], true, None, 2),
            col("name", &["TEXT"], false, None, 0),
            col("title", &["TEXT"], false, None, 0),
            col("description", &["TEXT"], false, None, 0),
            col("mime_type", &["TEXT"], false, None, 0),
            col("constraint_name", &["TEXT"], false, None, 0),
        ],
    );
    let has_constraints = c.exists(CONSTRAINTS)?;
    let rows = c.rows(
        "SELECT table_name, column_name, mime_type, constraint_name FROM gpkg_data_columns",
        [],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        },
    )?;
    let has_extensions = c.exists("gpkg_extensions")?;
    for (table, column, mime_type, constraint) in rows {
        let at = Place::column(&table, &column);
        let listed = c.any(
            "SELECT 1 FROM gpkg_contents WHERE table_name = ?1",
            [&table],
        )? || has_extensions
            && c.any(
                "SELECT 1 FROM gpkg_extensions WHERE table_name = ?1",
                [&table],
            )?;
        if !listed {
            c.error(
                104,
                at.clone(),
                "gpkg_data_columns describes a table that is in neither gpkg_contents nor gpkg_extensions",
            );
        }
        if !c.column_exists(&table, &column) {
            c.error(
                105,
                at.clone(),
                "gpkg_data_columns describes a column that does not exist",
            );
            continue;
        }
        // The OGC test suite checks these two; GDAL's validator does not,
        // so they are advice here.
        if let Some(mime) = mime_type {
            let typ = c
                .table_info(&table)?
                .into_iter()
                .find(|col| col.name == column)
                .map(|col| col.decl_type)
                .unwrap_or_default();
            if !typ.starts_with("BLOB") {
                c.warning(
                    None,
                    at.clone(),
                    format!("gpkg_data_columns gives MIME type '{mime}' for a {typ} column; only BLOB columns have one"),
                );
            }
        }
        if let Some(name) = constraint {
            let exists = has_constraints
                && c.any(
                    "SELECT 1 FROM gpkg_data_column_constraints WHERE constraint_name = ?1",
                    [&name],
                )?;
            if !exists {
                c.warning(
                    None,
                    at,
                    format!("gpkg_data_columns names constraint '{name}', which is not in gpkg_data_column_constraints"),
                );
            }
        }
    }
    if !has_constraints {
        c.error(
            141,
            Place::table(CONSTRAINTS),
            "required with gpkg_data_columns, but missing",
        );
        return Ok(());
    }
    check_constraints(c)
}

/// Checks the gpkg_schema rows of gpkg_extensions; returns whether the
/// extension is declared.
fn declared_scope_rows(c: &mut Checker) -> rusqlite::Result<bool> {
    if !c.exists("gpkg_extensions")? {
        return Ok(false);
    }
    let rows = c.rows(
        "SELECT scope, column_name FROM gpkg_extensions WHERE extension_name = 'gpkg_schema'",
        [],
        |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, Option<String>>(1)?,
            ))
        },
    )?;
    let Some((scope, _)) = rows.first() else {
        return Ok(false);
    };
    let at = Place::table("gpkg_extensions");
    if scope.as_deref() != Some("read-write") {
        c.error(141, at.clone(), "gpkg_schema must have scope read-write");
    }
    if c.version >= Version(1, 2, 1) && rows.len() != 2 {
        c.error(
            141,
            at.clone(),
            format!("gpkg_schema must have 2 rows, it has {}", rows.len()),
        );
    }
    if rows.iter().any(|(_, column)| column.is_some()) {
        c.error(141, at, "gpkg_schema rows must have no column_name");
    }
    Ok(true)
}

fn check_constraints(c: &mut Checker) -> rusqlite::Result<()> {
    // GeoPackage 1.0 spelled these minIsInclusive and maxIsInclusive.
    let (min_inc, max_inc) = if c.version >= Version(1, 1, 0) {
        ("min_is_inclusive", "max_is_inclusive")
    } else {
        ("minIsInclusive", "maxIsInclusive")
    };
    let columns = c.table_info(CONSTRAINTS)?;
    structure::check(
        c,
        107,
        CONSTRAINTS,
        &columns,
        &[
            col("constraint_name", &["TEXT"], true, None, 0),
            col("constraint_type", &["TEXT"], true, None, 0),
            col("value", &["TEXT"], false, None, 0),
            col("min", &["NUMERIC"], false, None, 0),
            col(min_inc, &["BOOLEAN"], false, None, 0),
            col("max", &["NUMERIC"], false, None, 0),
            col(max_inc, &["BOOLEAN"], false, None, 0),
            col("description", &["TEXT"], false, None, 0),
        ],
    );
    // Qualified, so that a missing column is an error rather than a string
    // literal (SQLite reads an unknown "name" as one); the rules on a column
    // that is missing are left out, its absence being Req 107 above.
    let flag = |name: &str| {
        c.column_exists(CONSTRAINTS, name)
            .then(|| format!("t.{}", ident(name)))
    };
    let (mi, ma) = (flag(min_inc), flag(max_inc));
    let mut rules: Vec<(u32, String, &str)> = vec![
        (
            108,
            "constraint_type NOT IN ('range', 'enum', 'glob')".into(),
            "constraint_type must be range, enum or glob",
        ),
        (
            109,
            "constraint_type IN ('range', 'glob') AND constraint_name IN (SELECT constraint_name \
             FROM gpkg_data_column_constraints WHERE constraint_type IN ('range', 'glob') \
             GROUP BY constraint_name HAVING count(*) > 1)"
                .into(),
            "a range or glob constraint_name must be unique",
        ),
        (
            110,
            "constraint_type = 'range' AND value IS NOT NULL".into(),
            "a range must have a NULL value",
        ),
        (
            111,
            "constraint_type = 'range' AND min IS NULL".into(),
            "a range must have a min",
        ),
        (
            111,
            "constraint_type = 'range' AND max IS NULL".into(),
            "a range must have a max",
        ),
        (
            111,
            "constraint_type = 'range' AND min >= max".into(),
            "a range's min must be less than its max",
        ),
        (
            114,
            "constraint_type = 'enum' AND value IS NULL".into(),
            "an enum must have a value",
        ),
    ];
    if let Some(mi) = &mi {
        rules.push((
            112,
            format!("constraint_type = 'range' AND {mi} NOT IN (0, 1)"),
            "min_is_inclusive must be 0 or 1",
        ));
    }
    if let Some(ma) = &ma {
        rules.push((
            112,
            format!("constraint_type = 'range' AND {ma} NOT IN (0, 1)"),
            "max_is_inclusive must be 0 or 1",
        ));
    }
    let set: Vec<String> = ["t.min", "t.max"]
        .into_iter()
        .map(String::from)
        .chain(mi)
        .chain(ma)
        .map(|col| format!("{col} IS NOT NULL"))
        .collect();
    rules.push((
        113,
        format!(
            "constraint_type IN ('enum', 'glob') AND ({})",
            set.join(" OR ")
        ),
        "an enum or glob must have NULL min, max and inclusive flags",
    ));
    for (requirement, condition, message) in rules {
        let names = c.rows(
            &format!("SELECT DISTINCT constraint_name FROM {CONSTRAINTS} t WHERE {condition}"),
            [],
            |r| r.get::<_, Option<String>>(0),
        )?;
        for name in names {
            c.error(
                requirement,
                Place::table(CONSTRAINTS),
                format!("constraint '{}': {message}", name.unwrap_or_default()),
            );
        }
    }
    Ok(())
}
