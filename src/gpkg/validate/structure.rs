//! Checks a table's columns against the definition the spec gives for it.

use super::checker::{Checker, Column};
use super::report::Place;

/// A column as the spec defines it.
pub struct Expected {
    pub name: &'static str,
    /// Accepted declared types. With one name, a declared type that is part
    /// of it also passes (`INT` for `INTEGER`), as GDAL's validator allows.
    pub types: &'static [&'static str],
    pub notnull: bool,
    pub default: Option<&'static str>,
    /// Position in the primary key (1-based), 0 when not part of it.
    pub pk: i64,
}

pub const fn col(
    name: &'static str,
    types: &'static [&'static str],
    notnull: bool,
    default: Option<&'static str>,
    pk: i64,
) -> Expected {
    Expected {
        name,
        types,
        notnull,
        default,
        pk,
    }
}

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

fn same_default(expected: Option<&str>, found: Option<&str>) -> bool {
    if expected == found {
        return true;
    }
    // CURRENT_TIMESTAMP for 'now' is accepted by the OGC test suite.
    match (expected, found) {
        (Some(NOW), Some(f)) => {
            let f = f.to_lowercase().replace(' ', "");
            f == NOW.to_lowercase() || f == "strftime('%y-%m-%dt%h:%m:%fz',current_timestamp)"
        }
        _ => false,
    }
}

/// Reports every difference between `columns` and `expected` under
/// `requirement`.
pub fn check(
    c: &mut Checker,
    requirement: u32,
    table: &str,
    columns: &[Column],
    expected: &[Expected],
) {
    if columns.len() != expected.len() {
        c.error(
            requirement,
            Place::table(table),
            format!(
                "has {} columns, the spec defines {}",
                columns.len(),
                expected.len()
            ),
        );
    }
    for e in expected {
        let Some(found) = columns.iter().find(|f| f.name == e.name) else {
            c.error(
                requirement,
                Place::column(table, e.name),
                "required column is missing",
            );
            continue;
        };
        let at = Place::column(table, e.name);
        let typ = found.decl_type.as_str();
        let type_ok = if e.types.len() == 1 {
            e.types[0].contains(typ)
        } else {
            e.types.contains(&typ)
        };
        if !type_ok {
            c.error(
                requirement,
                at.clone(),
                format!(
                    "declared type is '{typ}', expected {}",
                    e.types.join(" or ")
                ),
            );
        }
        // An INTEGER PRIMARY KEY is the rowid, never NULL, whether declared so or not.
        let expected_notnull = e.notnull || (e.types.contains(&"INTEGER") && e.pk > 0);
        let notnull = found.notnull || (typ == "INTEGER" && found.pk > 0);
        if notnull != expected_notnull {
            c.error(
                requirement,
                at.clone(),
                if expected_notnull {
                    "must be NOT NULL"
                } else {
                    "must not be NOT NULL"
                },
            );
        }
        if !same_default(e.default, found.default.as_deref()) {
            c.error(
                requirement,
                at.clone(),
                format!(
                    "default is {}, expected {}",
                    found.default.as_deref().unwrap_or("none"),
                    e.default.unwrap_or("none")
                ),
            );
        }
        if found.pk != e.pk {
            c.error(
                requirement,
                at,
                match e.pk {
                    0 => "must not be part of the primary key".to_string(),
                    n => format!("must be column {n} of the primary key"),
                },
            );
        }
    }
}

/// The data types the spec allows for the columns of user tables.
pub fn is_valid_data_type(typ: &str) -> bool {
    matches!(
        typ,
        "BOOLEAN"
            | "TINYINT"
            | "SMALLINT"
            | "MEDIUMINT"
            | "INT"
            | "INTEGER"
            | "FLOAT"
            | "DOUBLE"
            | "REAL"
            | "TEXT"
            | "BLOB"
            | "DATE"
            | "DATETIME"
    ) || typ.starts_with("TEXT(")
        || typ.starts_with("BLOB(")
}
