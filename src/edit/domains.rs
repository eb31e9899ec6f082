//! Field domains in the GeoPackage Schema extension (OGC GeoPackage 1.4,
//! Annex F.9, `gpkg_schema`): `gpkg_data_columns` ties a column to a named
//! constraint of `gpkg_data_column_constraints` — a coded list (`enum` rows:
//! value and description), a numeric `range` or a `glob` pattern.
//!
//! GDAL reads these as field domains (`ogrinfo -fielddomain NAME`) and QGIS
//! shows them as value lists and ranges. We follow GDAL's two conventions so
//! that the files read back the same in both: an open range bound is stored
//! as ±infinity (the spec makes `min` and `max` mandatory), and a coded
//! list's own description is an extra row named `_NAME_domain_description`.

use std::collections::HashMap;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};

use crate::model::FieldValue;

const DATA_COLUMNS: &str = "gpkg_data_columns";
const CONSTRAINTS: &str = "gpkg_data_column_constraints";
const EXTENSION: &str = "gpkg_schema";
const DEFINITION: &str = "http://www.geopackage.org/spec/#extension_schema";

/// The spec's tables (Annex F.9, tables 20 and 22, and their DDL).
const SCHEMA_SQL: &str = "
CREATE TABLE IF NOT EXISTS gpkg_data_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  name TEXT,
  title TEXT,
  description TEXT,
  mime_type TEXT,
  constraint_name TEXT,
  CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
  CONSTRAINT gdc_tn UNIQUE (table_name, name)
);
CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (
  constraint_name TEXT NOT NULL,
  constraint_type TEXT NOT NULL,
  value TEXT,
  min NUMERIC,
  min_is_inclusive BOOLEAN,
  max NUMERIC,
  max_is_inclusive BOOLEAN,
  description TEXT,
  CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value)
);";

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("{file}: {context}: {source}")]
    Sql {
        file: String,
        context: String,
        source: rusqlite::Error,
    },
    #[error("{file}: miền giá trị '{domain}' (field domain): {detail}")]
    Bad {
        file: String,
        domain: String,
        detail: String,
    },
}

/// A named set of allowed values.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDomain {
    pub name: String,
    pub description: String,
    pub kind: DomainKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DomainKind {
    /// A pick list: stored code and its (Vietnamese) name, in list order.
    Coded(Vec<CodedValue>),
    Range(Range),
    /// An SQLite GLOB pattern (`*`, `?`, `[a-z]`, `[^0-9]`; case-sensitive).
    Glob(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct CodedValue {
    pub code: String,
    pub name: String,
}

/// A numeric interval; `None` is an open end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub min: Option<f64>,
    pub min_inclusive: bool,
    pub max: Option<f64>,
    pub max_inclusive: bool,
}

/// Why a value is outside its domain.
#[derive(Debug, Clone, PartialEq)]
pub enum OutsideDomain {
    NotInList,
    OutOfRange(Range),
    NoMatch(String),
    NotANumber,
}

impl Range {
    /// `min < x` (`min <= x` when inclusive) and likewise for max.
    pub fn contains(&self, x: f64) -> bool {
        let above = match self.min {
            None => true,
            Some(m) if self.min_inclusive => x >= m,
            Some(m) => x > m,
        };
        let below = match self.max {
            None => true,
            Some(m) if self.max_inclusive => x <= m,
            Some(m) => x < m,
        };
        above && below && !x.is_nan()
    }
}

impl std::fmt::Display for Range {
    /// Interval notation: `(0, ∞)`, `[0, 100]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let open = if self.min_inclusive && self.min.is_some() {
            '['
        } else {
            '('
        };
        let close = if self.max_inclusive && self.max.is_some() {
            ']'
        } else {
            ')'
        };
        let min = self.min.map_or("-∞".to_string(), |m| m.to_string());
        let max = self.max.map_or("∞".to_string(), |m| m.to_string());
        write!(f, "{open}{min}, {max}{close}")
    }
}

impl FieldDomain {
    pub fn coded(name: &str, description: &str, values: &[(&str, &str)]) -> Self {
        FieldDomain {
            name: name.to_string(),
            description: description.to_string(),
            kind: DomainKind::Coded(
                values
                    .iter()
                    .map(|(code, name)| CodedValue {
                        code: code.to_string(),
                        name: name.to_string(),
                    })
                    .collect(),
            ),
        }
    }

    pub fn range(name: &str, description: &str, range: Range) -> Self {
        FieldDomain {
            name: name.to_string(),
            description: description.to_string(),
            kind: DomainKind::Range(range),
        }
    }

    /// Whether a value is allowed. NULL always is: whether a field may be
    /// empty is its NOT NULL constraint's business, not its domain's.
    pub fn check(&self, value: &FieldValue) -> Result<(), OutsideDomain> {
        if value.is_null() {
            return Ok(());
        }
        match &self.kind {
            DomainKind::Coded(values) => {
                let text = code_text(value);
                match text {
                    Some(t) if values.iter().any(|v| v.code == t) => Ok(()),
                    _ => Err(OutsideDomain::NotInList),
                }
            }
            DomainKind::Range(range) => {
                let x = value
                    .as_f64()
                    .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
                    .ok_or(OutsideDomain::NotANumber)?;
                if range.contains(x) {
                    Ok(())
                } else {
                    Err(OutsideDomain::OutOfRange(*range))
                }
            }
            DomainKind::Glob(pattern) => match code_text(value) {
                Some(t) if glob_match(pattern, &t) => Ok(()),
                _ => Err(OutsideDomain::NoMatch(pattern.clone())),
            },
        }
    }

    /// The name shown for a stored code (a coded list's description).
    pub fn label_of(&self, code: &str) -> Option<&str> {
        match &self.kind {
            DomainKind::Coded(values) => values
                .iter()
                .find(|v| v.code == code)
                .map(|v| v.name.as_str()),
            _ => None,
        }
    }
}

/// A value as a coded list stores it: the text SQLite would compare.
fn code_text(value: &FieldValue) -> Option<String> {
    match value {
        FieldValue::Integer(i) => Some(i.to_string()),
        FieldValue::Real(r) => Some(r.to_string()),
        FieldValue::Boolean(b) => Some(u8::from(*b).to_string()),
        FieldValue::Text(s) | FieldValue::Date(s) | FieldValue::DateTime(s) => Some(s.clone()),
        FieldValue::Null | FieldValue::Blob(_) => None,
    }
}

/// SQLite's GLOB: `*` any run, `?` one character, `[...]` a class with
/// ranges, `[^...]` its complement. Case-sensitive.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    glob_at(&p, &t)
}

fn glob_at(p: &[char], t: &[char]) -> bool {
    match p.first() {
        None => t.is_empty(),
        Some('*') => (0..=t.len()).any(|skip| glob_at(&p[1..], &t[skip..])),
        Some('?') => !t.is_empty() && glob_at(&p[1..], &t[1..]),
        Some('[') => {
            let Some((&c, rest)) = t.split_first() else {
                return false;
            };
            match class_match(&p[1..], c) {
                Some((matched, after)) => matched && glob_at(&p[1 + after..], rest),
                // No closing bracket: SQLite matches nothing.
                None => false,
            }
        }
        Some(&c) => t.first() == Some(&c) && glob_at(&p[1..], &t[1..]),
    }
}

/// Matches `c` against a class body (after `[`); returns the result and
/// how many pattern characters the class used, closing `]` included.
fn class_match(p: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 0;
    let negate = p.first() == Some(&'^');
    if negate {
        i += 1;
    }
    let mut found = false;
    let mut first = true;
    while i < p.len() {
        // A `]` right after `[` or `[^` is a literal.
        if p[i] == ']' && !first {
            return Some((found != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            found |= p[i] <= c && c <= p[i + 2];
            i += 3;
        } else {
            found |= p[i] == c;
            i += 1;
        }
    }
    None
}

/// The file a connection is on, for messages.
pub fn file_of(conn: &Connection) -> String {
    match conn.path() {
        Some(p) if !p.is_empty() => p.to_string(),
        _ => "(cơ sở dữ liệu trong bộ nhớ)".to_string(),
    }
}

fn sql<C: Into<String>>(
    conn: &Connection,
    context: C,
) -> impl Fn(rusqlite::Error) -> DomainError + use<C> {
    let file = file_of(conn);
    let context = context.into();
    move |source| DomainError::Sql {
        file: file.clone(),
        context: context.clone(),
        source,
    }
}

fn table_exists(conn: &Connection, name: &str) -> Result<bool, DomainError> {
    conn.query_row(
        "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?1",
        [name],
        |_| Ok(()),
    )
    .optional()
    .map(|r| r.is_some())
    .map_err(sql(conn, "looking for the schema extension's tables"))
}

/// Whether the file has the Schema extension's tables.
pub fn has_schema_extension(conn: &Connection) -> Result<bool, DomainError> {
    Ok(table_exists(conn, DATA_COLUMNS)? && table_exists(conn, CONSTRAINTS)?)
}

/// Creates the two tables when missing and registers the extension for
/// each, as F.9 requires: `(table, NULL, 'gpkg_schema', definition,
/// 'read-write')`.
pub fn ensure_schema_extension(conn: &Connection) -> Result<(), DomainError> {
    let err = sql(conn, "creating the schema extension's tables");
    conn.execute_batch(SCHEMA_SQL).map_err(&err)?;
    for table in [DATA_COLUMNS, CONSTRAINTS] {
        // UNIQUE does not catch a second row: column_name is NULL.
        conn.execute(
            "INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
             SELECT ?1, NULL, ?2, ?3, 'read-write'
             WHERE NOT EXISTS (SELECT 1 FROM gpkg_extensions
                               WHERE table_name = ?1 AND column_name IS NULL AND extension_name = ?2)",
            params![table, EXTENSION, DEFINITION],
        )
        .map_err(&err)?;
    }
    Ok(())
}

fn description_row(name: &str) -> String {
    format!("_{name}_domain_description")
}

/// Writes (or replaces) a domain's constraint rows. Run it inside the
/// caller's transaction, or use [`write_domains`].
pub fn write_domain(conn: &Connection, domain: &FieldDomain) -> Result<(), DomainError> {
    ensure_schema_extension(conn)?;
    let err = sql(conn, format!("writing field domain '{}'", domain.name));
    conn.execute(
        "DELETE FROM gpkg_data_column_constraints WHERE constraint_name IN (?1, ?2)",
        params![domain.name, description_row(&domain.name)],
    )
    .map_err(&err)?;
    let description = (!domain.description.is_empty()).then_some(domain.description.as_str());
    let insert = "INSERT INTO gpkg_data_column_constraints
        (constraint_name, constraint_type, value, min, min_is_inclusive, max, max_is_inclusive, description)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    match &domain.kind {
        DomainKind::Coded(values) => {
            if values.is_empty() {
                return Err(DomainError::Bad {
                    file: file_of(conn),
                    domain: domain.name.clone(),
                    detail: "danh sách mã trống (a coded list needs at least one value)".into(),
                });
            }
            if let Some(d) = description {
                conn.execute(
                    insert,
                    params![
                        description_row(&domain.name),
                        "enum",
                        "",
                        None::<f64>,
                        None::<bool>,
                        None::<f64>,
                        None::<bool>,
                        d
                    ],
                )
                .map_err(&err)?;
            }
            for v in values {
                conn.execute(
                    insert,
                    params![
                        domain.name,
                        "enum",
                        v.code,
                        None::<f64>,
                        None::<bool>,
                        None::<f64>,
                        None::<bool>,
                        v.name
                    ],
                )
                .map_err(&err)?;
            }
        }
        DomainKind::Range(r) => {
            let min = r.min.unwrap_or(f64::NEG_INFINITY);
            let max = r.max.unwrap_or(f64::INFINITY);
            if min >= max {
                return Err(DomainError::Bad {
                    file: file_of(conn),
                    domain: domain.name.clone(),
                    detail: format!("khoảng rỗng {r} (min must be less than max)"),
                });
            }
            conn.execute(
                insert,
                params![
                    domain.name,
                    "range",
                    None::<String>,
                    min,
                    r.min_inclusive && r.min.is_some(),
                    max,
                    r.max_inclusive && r.max.is_some(),
                    description
                ],
            )
            .map_err(&err)?;
        }
        DomainKind::Glob(pattern) => {
            conn.execute(
                insert,
                params![
                    domain.name,
                    "glob",
                    pattern,
                    None::<f64>,
                    None::<bool>,
                    None::<f64>,
                    None::<bool>,
                    description
                ],
            )
            .map_err(&err)?;
        }
    }
    Ok(())
}

/// Ties `table.column` to a domain (or, with `None`, unties it, keeping the
/// column's title and description).
pub fn set_column_domain(
    conn: &Connection,
    table: &str,
    column: &str,
    domain: Option<&str>,
) -> Result<(), DomainError> {
    ensure_schema_extension(conn)?;
    conn.execute(
        "INSERT INTO gpkg_data_columns (table_name, column_name, constraint_name) VALUES (?1, ?2, ?3)
         ON CONFLICT (table_name, column_name) DO UPDATE SET constraint_name = excluded.constraint_name",
        params![table, column, domain],
    )
    .map_err(sql(conn, format!("tying {table}.{column} to a field domain")))?;
    Ok(())
}

/// A column tied to a domain: (table, column, domain name).
pub type Assignment<'a> = (&'a str, &'a str, &'a str);

/// Writes several domains and ties columns to them, all or nothing (a
/// savepoint, so it also works inside the caller's transaction).
pub fn write_domains(
    conn: &Connection,
    domains: &[FieldDomain],
    columns: &[Assignment<'_>],
) -> Result<(), DomainError> {
    let err = sql(conn, "writing field domains");
    conn.execute_batch("SAVEPOINT tramgis_domains")
        .map_err(&err)?;
    let result = (|| {
        for d in domains {
            write_domain(conn, d)?;
        }
        for (table, column, domain) in columns {
            set_column_domain(conn, table, column, Some(domain))?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => conn.execute_batch("RELEASE tramgis_domains").map_err(&err),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK TO tramgis_domains; RELEASE tramgis_domains");
            Err(e)
        }
    }
}

/// One `gpkg_data_columns` row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DataColumn {
    pub column: String,
    pub name: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub mime_type: Option<String>,
    pub constraint_name: Option<String>,
}

/// The `gpkg_data_columns` rows of a table (none without the extension).
pub fn data_columns(conn: &Connection, table: &str) -> Result<Vec<DataColumn>, DomainError> {
    if !table_exists(conn, DATA_COLUMNS)? {
        return Ok(Vec::new());
    }
    let err = sql(conn, format!("reading gpkg_data_columns for {table}"));
    let mut stmt = conn
        .prepare(
            "SELECT column_name, name, title, description, mime_type, constraint_name
             FROM gpkg_data_columns WHERE table_name = ?1",
        )
        .map_err(&err)?;
    let rows = stmt
        .query_map([table], |r| {
            Ok(DataColumn {
                column: r.get(0)?,
                name: r.get(1)?,
                title: r.get(2)?,
                description: r.get(3)?,
                mime_type: r.get(4)?,
                constraint_name: r.get(5)?,
            })
        })
        .map_err(&err)?;
    rows.collect::<Result<_, _>>().map_err(&err)
}

/// A NUMERIC bound as stored: integer, real, numeric text; ±∞ is open.
fn bound(v: &Value) -> Option<f64> {
    let x = match v {
        Value::Integer(i) => *i as f64,
        Value::Real(r) => *r,
        Value::Text(t) => t.trim().parse().ok()?,
        _ => return None,
    };
    x.is_finite().then_some(x)
}

fn flag(v: &Value) -> bool {
    match v {
        Value::Integer(i) => *i != 0,
        Value::Real(r) => *r != 0.0,
        Value::Text(t) => matches!(t.trim(), "1" | "true" | "TRUE"),
        _ => false,
    }
}

/// Every domain of the file, by name (empty without the extension).
/// Rows of an unknown constraint_type are skipped, as GDAL does.
pub fn read_domains(conn: &Connection) -> Result<HashMap<String, FieldDomain>, DomainError> {
    let mut out: HashMap<String, FieldDomain> = HashMap::new();
    if !table_exists(conn, CONSTRAINTS)? {
        return Ok(out);
    }
    let err = sql(conn, "reading gpkg_data_column_constraints");
    let mut stmt = conn
        .prepare(
            "SELECT constraint_name, constraint_type, value, min, min_is_inclusive, max,
                    max_is_inclusive, description
             FROM gpkg_data_column_constraints ORDER BY rowid",
        )
        .map_err(&err)?;
    let mut rows = stmt.query([]).map_err(&err)?;
    let mut descriptions: Vec<(String, String)> = Vec::new();
    while let Some(r) = rows.next().map_err(&err)? {
        let get = |i| r.get::<_, Value>(i).map_err(&err);
        let text = |v: Value| match v {
            Value::Text(t) => Some(t),
            Value::Integer(i) => Some(i.to_string()),
            Value::Real(x) => Some(x.to_string()),
            _ => None,
        };
        let Some(name) = text(get(0)?) else { continue };
        let kind = text(get(1)?).unwrap_or_default().to_ascii_lowercase();
        let value = text(get(2)?);
        let description = text(get(7)?).unwrap_or_default();
        // GDAL's row for a coded list's own description (value '').
        let described = name
            .strip_prefix('_')
            .and_then(|n| n.strip_suffix("_domain_description"));
        if let (Some(of), "enum") = (described, kind.as_str()) {
            descriptions.push((of.to_string(), description));
            continue;
        }
        match kind.as_str() {
            "enum" => {
                let entry = out.entry(name.clone()).or_insert_with(|| FieldDomain {
                    name,
                    description: String::new(),
                    kind: DomainKind::Coded(Vec::new()),
                });
                if let DomainKind::Coded(values) = &mut entry.kind {
                    values.push(CodedValue {
                        code: value.unwrap_or_default(),
                        name: description,
                    });
                }
            }
            "range" => {
                let range = Range {
                    min: bound(&get(3)?),
                    min_inclusive: flag(&get(4)?),
                    max: bound(&get(5)?),
                    max_inclusive: flag(&get(6)?),
                };
                out.insert(name.clone(), FieldDomain::range(&name, &description, range));
            }
            "glob" => {
                out.insert(
                    name.clone(),
                    FieldDomain {
                        name,
                        description,
                        kind: DomainKind::Glob(value.unwrap_or_default()),
                    },
                );
            }
            _ => {}
        }
    }
    for (of, description) in descriptions {
        if let Some(d) = out.get_mut(&of) {
            d.description = description;
        }
    }
    Ok(out)
}

/// One domain by name.
pub fn read_domain(conn: &Connection, name: &str) -> Result<Option<FieldDomain>, DomainError> {
    Ok(read_domains(conn)?.remove(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_follows_sqlite() {
        let conn = Connection::open_in_memory().unwrap();
        let cases = [
            ("BGG*", "BGG00012"),
            ("BGG*", "bgg1"),
            ("BGG?????", "BGG00012"),
            ("BGG?????", "BGG0001"),
            ("[A-C]*", "B1"),
            ("[^A-C]*", "B1"),
            ("[]x]", "]"),
            ("a[0-9]b", "a5b"),
            ("a[0-9]b", "a-b"),
            ("*.*", "ab"),
            ("", ""),
            ("[abc", "a"),
        ];
        for (p, t) in cases {
            let sqlite: bool = conn
                .query_row("SELECT ?2 GLOB ?1", [p, t], |r| r.get(0))
                .unwrap();
            assert_eq!(glob_match(p, t), sqlite, "{t:?} GLOB {p:?}");
        }
    }

    #[test]
    fn ranges_keep_their_open_and_closed_ends() {
        let positive = Range {
            min: Some(0.0),
            min_inclusive: false,
            max: None,
            max_inclusive: false,
        };
        assert!(!positive.contains(0.0) && positive.contains(0.1) && positive.contains(1e9));
        assert_eq!(positive.to_string(), "(0, ∞)");
        let percent = Range {
            min: Some(0.0),
            min_inclusive: true,
            max: Some(100.0),
            max_inclusive: true,
        };
        assert!(percent.contains(0.0) && percent.contains(100.0) && !percent.contains(100.5));
        assert_eq!(percent.to_string(), "[0, 100]");
        assert!(!percent.contains(f64::NAN));
    }

    #[test]
    fn domains_round_trip_through_the_tables() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT,
             extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL,
             CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))",
        )
        .unwrap();
        let list = FieldDomain::coded("op", "Nhà mạng", &[("VT", "Viettel"), ("MB", "MobiFone")]);
        let range = FieldDomain::range(
            "h",
            "",
            Range {
                min: Some(0.0),
                min_inclusive: false,
                max: None,
                max_inclusive: false,
            },
        );
        write_domains(&conn, &[list.clone(), range.clone()], &[("t", "a", "op")]).unwrap();
        // Writing again replaces, and registers the extension only once.
        write_domains(
            &conn,
            std::slice::from_ref(&list),
            &[("t", "a", "op"), ("t", "b", "h")],
        )
        .unwrap();
        let all = read_domains(&conn).unwrap();
        assert_eq!(all["op"], list);
        assert_eq!(all["h"], range);
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_schema'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 2);
        let cols = data_columns(&conn, "t").unwrap();
        assert_eq!(cols.len(), 2);
        assert_eq!(list.check(&FieldValue::Text("VT".into())), Ok(()));
        assert_eq!(
            list.check(&FieldValue::Text("XX".into())),
            Err(OutsideDomain::NotInList)
        );
        assert_eq!(list.label_of("MB"), Some("MobiFone"));
        assert!(range.check(&FieldValue::Real(-1.0)).is_err());
        assert_eq!(
            range.check(&FieldValue::Text("abc".into())),
            Err(OutsideDomain::NotANumber)
        );
    }
}
