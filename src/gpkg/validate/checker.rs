//! The state shared by the checks: the connection, the file's own spec
//! version and the findings so far, with the small SQL helpers they use.

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OptionalExtension};

use super::report::{Place, Problem, Severity};

/// A GeoPackage version as the file declares it (`application_id` for 1.0
/// and 1.1, `user_version` from 1.2 on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// The newest version whose requirements are checked.
    pub const NEWEST: Version = Version(1, 4, 0);
    /// The first version whose requirements may differ from `NEWEST`'s.
    pub const UNKNOWN: Version = Version(1, 5, 0);
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// One row of `PRAGMA table_info`.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub decl_type: String,
    pub notnull: bool,
    pub default: Option<String>,
    pub pk: i64,
}

pub struct Checker<'a> {
    pub conn: &'a Connection,
    pub version: Version,
    found: Vec<Problem>,
}

/// Quotes an SQL identifier.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl<'a> Checker<'a> {
    pub fn new(conn: &'a Connection, version: Version) -> Self {
        Self {
            conn,
            version,
            found: Vec::new(),
        }
    }

    pub fn into_findings(self) -> Vec<Problem> {
        self.found
    }

    pub fn push(&mut self, problem: Problem) {
        self.found.push(problem);
    }

    pub fn error(
        &mut self,
        requirement: impl Into<Option<u32>>,
        place: Place,
        message: impl Into<String>,
    ) {
        self.found.push(Problem {
            severity: Severity::Error,
            requirement: requirement.into(),
            place,
            message: message.into(),
        });
    }

    pub fn warning(
        &mut self,
        requirement: impl Into<Option<u32>>,
        place: Place,
        message: impl Into<String>,
    ) {
        self.found.push(Problem {
            severity: Severity::Warning,
            requirement: requirement.into(),
            place,
            message: message.into(),
        });
    }

    /// Records a failed check as a finding about `place`, so that one
    /// unreadable table does not stop the checks of the others.
    pub fn guard(
        &mut self,
        requirement: impl Into<Option<u32>>,
        place: Place,
        check: impl FnOnce(&mut Self) -> rusqlite::Result<()>,
    ) {
        if let Err(e) = check(self) {
            self.error(
                requirement,
                place,
                format!("cannot be checked: {}", sqlite_message(&e)),
            );
        }
    }

    /// Whether a table, view or virtual table of this name exists
    /// (case-insensitively, as SQLite resolves names).
    pub fn exists(&self, name: &str) -> rusqlite::Result<bool> {
        self.conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE lower(name) = lower(?1) AND type IN ('table', 'view')",
                [name],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
    }

    /// `table` (exact name), `view` or `None`.
    pub fn kind(&self, name: &str) -> rusqlite::Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT type FROM sqlite_master WHERE name = ?1 AND type IN ('table', 'view')",
                [name],
                |r| r.get(0),
            )
            .optional()
    }

    pub fn table_info(&self, table: &str) -> rusqlite::Result<Vec<Column>> {
        let mut stmt = self
            .conn
            .prepare(&format!("PRAGMA table_info({})", ident(table)))?;
        let rows = stmt.query_map([], |r| {
            Ok(Column {
                name: r.get(1)?,
                decl_type: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                notnull: r.get::<_, i64>(3)? != 0,
                default: r.get(4)?,
                pk: r.get(5)?,
            })
        })?;
        rows.collect()
    }

    /// Whether `column` is a column of `table` (which must exist).
    pub fn column_exists(&self, table: &str, column: &str) -> bool {
        // A quoted name that is not a column would be read as a string
        // literal in a result column, so it is used where only a column fits.
        self.conn
            .prepare(&format!(
                "SELECT 1 FROM {} t ORDER BY t.{} LIMIT 0",
                ident(table),
                ident(column)
            ))
            .is_ok()
    }

    /// The rows of a query, as a vector.
    pub fn rows<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<Vec<T>> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map(params, map)?;
        rows.collect()
    }

    /// Whether the query returns a row.
    pub fn any(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<bool> {
        let mut stmt = self.conn.prepare(sql)?;
        stmt.exists(params)
    }

    /// Whether `gpkg_extensions` has a row `extension` for this table and
    /// column with this scope (false when the table is missing).
    pub fn has_extension(
        &self,
        extension: &str,
        table: &str,
        column: &str,
        scope: &str,
    ) -> rusqlite::Result<bool> {
        if !self.exists("gpkg_extensions")? {
            return Ok(false);
        }
        self.any(
            "SELECT 1 FROM gpkg_extensions WHERE extension_name = ?1 AND table_name = ?2 \
             AND column_name = ?3 AND scope = ?4",
            [extension, table, column, scope],
        )
    }
}

/// SQLite's own message, without rusqlite's wrapping.
pub fn sqlite_message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        other => other.to_string(),
    }
}

/// A column's value as stored. Unlike rusqlite's `Value` conversion, which
/// panics on text that is not UTF-8 (a damaged file has such text), bad
/// bytes come back replaced by U+FFFD.
pub fn stored_value(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Value> {
    Ok(match row.get_ref(index)? {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    })
}
