//! What `validate` reports: one finding per fault, with the spec
//! requirement it breaks and the table, row and column it is about.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Advice: the file is valid, but something is unusual or not checked,
    /// or its data are inconsistent in a way no requirement that GDAL's
    /// validator checks covers (a header envelope or an R-tree entry that
    /// does not match its geometry).
    Warning,
    /// The file breaks a requirement of the GeoPackage spec.
    Error,
}

/// Where a finding applies. All `None` is the file as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    pub table: Option<String>,
    pub row: Option<i64>,
    pub column: Option<String>,
}

impl Place {
    pub fn file() -> Self {
        Self::default()
    }

    pub fn table(table: &str) -> Self {
        Self {
            table: Some(table.to_string()),
            ..Self::default()
        }
    }

    pub fn column(table: &str, column: &str) -> Self {
        Self {
            column: Some(column.to_string()),
            ..Self::table(table)
        }
    }

    pub fn with_row(mut self, row: i64) -> Self {
        self.row = Some(row);
        self
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(t) = &self.table {
            parts.push(format!("table '{t}'"));
        }
        if let Some(r) = self.row {
            parts.push(format!("fid {r}"));
        }
        if let Some(c) = &self.column {
            parts.push(format!("column '{c}'"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// One finding: how bad, which requirement of the GeoPackage spec (its
/// number as in the 1.2+ spec and GDAL's validator; `None` for tramgis's own
/// consistency checks), where, and what.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub severity: Severity,
    pub requirement: Option<u32>,
    pub place: Place,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })?;
        if let Some(req) = self.requirement {
            write!(f, " (requirement {req})")?;
        }
        if self.place != Place::file() {
            write!(f, ": {}", self.place)?;
        }
        write!(f, ": {}", self.message)
    }
}
