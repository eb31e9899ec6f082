//! FieldRules: what a layer's fields accept, read once per layer — the
//! domain of each field (Schema extension, see `domains`), whether it is
//! required (NOT NULL) and its default (the table's DEFAULT clause).
//! Every write checks its values here first, so a value outside its domain
//! is refused before anything reaches the file; attribute forms use the
//! same rules for pick lists, ranges, required marks and defaults.

use std::collections::HashMap;

use rusqlite::Connection;

use super::domains::{self, DomainError, FieldDomain, OutsideDomain, Range};
use crate::gpkg::LayerInfo;
use crate::model::{FieldType, FieldValue};

/// A DEFAULT clause as the form fills it in.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    Value(FieldValue),
    /// `CURRENT_DATE`, or `strftime(...)` on a DATE column.
    CurrentDate,
    /// `CURRENT_TIMESTAMP`, or `strftime(...)` on a DATETIME column.
    CurrentTimestamp,
    /// An expression we do not evaluate: the form leaves the field empty
    /// and SQLite does not apply it either (every column is written).
    Expression(String),
}

/// One field's rules.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRule {
    pub name: String,
    pub field_type: FieldType,
    pub required: bool,
    pub default: Option<DefaultValue>,
    pub domain: Option<FieldDomain>,
    /// From gpkg_data_columns, for the form's label and tooltip.
    pub title: Option<String>,
    pub description: Option<String>,
}

impl FieldRule {
    /// Checks one value.
    pub fn check(&self, value: &FieldValue) -> Result<(), ViolationReason> {
        if value.is_null() {
            return if self.required {
                Err(ViolationReason::Required)
            } else {
                Ok(())
            };
        }
        let Some(domain) = &self.domain else {
            return Ok(());
        };
        domain.check(value).map_err(|outside| {
            let domain = domain.name.clone();
            match outside {
                OutsideDomain::NotInList => ViolationReason::NotInList { domain },
                OutsideDomain::OutOfRange(range) => ViolationReason::OutOfRange { domain, range },
                OutsideDomain::NoMatch(pattern) => ViolationReason::NoMatch { domain, pattern },
                OutsideDomain::NotANumber => ViolationReason::NotANumber { domain },
            }
        })
    }
}

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum ViolationReason {
    Required,
    NotInList { domain: String },
    OutOfRange { domain: String, range: Range },
    NoMatch { domain: String, pattern: String },
    NotANumber { domain: String },
    FieldCount { expected: usize, got: usize },
}

impl std::fmt::Display for ViolationReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ViolationReason::Required => {
                f.write_str("trường bắt buộc, không được để trống (required field)")
            }
            ViolationReason::NotInList { domain } => write!(
                f,
                "không có trong danh sách giá trị «{domain}» (not in the list)"
            ),
            ViolationReason::OutOfRange { domain, range } => write!(
                f,
                "nằm ngoài khoảng {range} của miền «{domain}» (out of range)"
            ),
            ViolationReason::NoMatch { domain, pattern } => write!(
                f,
                "không khớp mẫu «{pattern}» của miền «{domain}» (does not match)"
            ),
            ViolationReason::NotANumber { domain } => write!(
                f,
                "không phải là số, miền «{domain}» là một khoảng số (not a number)"
            ),
            ViolationReason::FieldCount { expected, got } => write!(
                f,
                "có {got} giá trị nhưng lớp có {expected} trường (wrong number of values)"
            ),
        }
    }
}

/// A refused value: file, layer, feature, field, value and reason.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: lớp {layer}, {}, trường {field}: giá trị «{value}» bị từ chối — {reason}",
        fid.map_or("đối tượng mới".to_string(), |f| format!("đối tượng fid {f}")))]
pub struct DomainViolation {
    pub file: String,
    pub layer: String,
    pub fid: Option<i64>,
    pub field: String,
    /// The value as text (empty for NULL).
    pub value: String,
    pub reason: ViolationReason,
}

/// The rules of one layer's fields, in the layer's field order.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRules {
    file: String,
    layer: String,
    fields: Vec<FieldRule>,
}

impl FieldRules {
    /// Reads the rules of `layer`: `pragma table_info` for NOT NULL and
    /// DEFAULT, `gpkg_data_columns` for titles and domain names, and the
    /// domains used. Three queries; keep the result while the layer is
    /// being edited.
    pub fn load(conn: &Connection, layer: &LayerInfo) -> Result<FieldRules, DomainError> {
        let file = domains::file_of(conn);
        let err = |source| DomainError::Sql {
            file: file.clone(),
            context: format!("reading the columns of {}", layer.name),
            source,
        };
        let mut table: HashMap<String, (bool, Option<String>)> = HashMap::new();
        {
            let mut stmt = conn
                .prepare("SELECT name, \"notnull\", dflt_value FROM pragma_table_info(?1)")
                .map_err(err)?;
            let rows = stmt
                .query_map([&layer.name], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, bool>(1)?,
                        r.get::<_, Option<String>>(2)?,
                    ))
                })
                .map_err(err)?;
            for row in rows {
                let (name, not_null, default) = row.map_err(err)?;
                table.insert(name.to_lowercase(), (not_null, default));
            }
        }
        let described: HashMap<String, domains::DataColumn> =
            domains::data_columns(conn, &layer.name)?
                .into_iter()
                .map(|c| (c.column.to_lowercase(), c))
                .collect();
        let all_domains = if described.values().any(|c| c.constraint_name.is_some()) {
            domains::read_domains(conn)?
        } else {
            HashMap::new()
        };
        let fields = layer
            .schema
            .fields
            .iter()
            .map(|f| {
                let key = f.name.to_lowercase();
                let (not_null, default) = table.get(&key).cloned().unwrap_or_default();
                let column = described.get(&key);
                FieldRule {
                    name: f.name.clone(),
                    field_type: f.field_type,
                    required: f.not_null || not_null,
                    default: default.and_then(|d| parse_default(&d, f.field_type)),
                    // A name without its constraint rows constrains nothing
                    // (the validator warns about it).
                    domain: column
                        .and_then(|c| c.constraint_name.as_ref())
                        .and_then(|n| all_domains.get(n).cloned()),
                    title: column.and_then(|c| c.title.clone()),
                    description: column.and_then(|c| c.description.clone()),
                }
            })
            .collect();
        Ok(FieldRules {
            file,
            layer: layer.name.clone(),
            fields,
        })
    }

    pub fn fields(&self) -> &[FieldRule] {
        &self.fields
    }

    pub fn field(&self, name: &str) -> Option<&FieldRule> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// Whether any field has a rule to check (a plain layer costs nothing).
    pub fn is_empty(&self) -> bool {
        self.fields
            .iter()
            .all(|f| !f.required && f.domain.is_none())
    }

    /// Checks a feature's values (in the layer's field order); the first
    /// refused value is the error. Nothing is written either way.
    // A violation names everything the user needs (file, layer, fid,
    // field, value, reason); it is rare, and the Ok path carries nothing.
    #[allow(clippy::result_large_err)]
    pub fn check(
        &self,
        layer: &LayerInfo,
        fid: Option<i64>,
        values: &[FieldValue],
    ) -> Result<(), DomainViolation> {
        match self.violations(layer, fid, values).into_iter().next() {
            Some(v) => Err(v),
            None => Ok(()),
        }
    }

    /// Every refused value of a feature, for a form that marks them all.
    pub fn violations(
        &self,
        layer: &LayerInfo,
        fid: Option<i64>,
        values: &[FieldValue],
    ) -> Vec<DomainViolation> {
        if values.len() != self.fields.len() {
            return vec![self.violation(
                layer,
                fid,
                "",
                &FieldValue::Null,
                ViolationReason::FieldCount {
                    expected: self.fields.len(),
                    got: values.len(),
                },
            )];
        }
        self.fields
            .iter()
            .zip(values)
            .filter_map(|(rule, v)| {
                rule.check(v)
                    .err()
                    .map(|reason| self.violation(layer, fid, &rule.name, v, reason))
            })
            .collect()
    }

    /// Checks one field's new value (set_value). An unknown field passes:
    /// the store names it.
    #[allow(clippy::result_large_err)]
    pub fn check_value(
        &self,
        layer: &LayerInfo,
        fid: Option<i64>,
        field: &str,
        value: &FieldValue,
    ) -> Result<(), DomainViolation> {
        match self.field(field) {
            Some(rule) => rule
                .check(value)
                .map_err(|reason| self.violation(layer, fid, &rule.name, value, reason)),
            None => Ok(()),
        }
    }

    fn violation(
        &self,
        layer: &LayerInfo,
        fid: Option<i64>,
        field: &str,
        value: &FieldValue,
        reason: ViolationReason,
    ) -> DomainViolation {
        DomainViolation {
            file: self.file.clone(),
            layer: if layer.name.is_empty() {
                self.layer.clone()
            } else {
                layer.name.clone()
            },
            fid,
            field: field.to_string(),
            value: value.to_string(),
            reason,
        }
    }

    /// The values a new feature's form starts with: each field's default,
    /// NULL where it has none. CURRENT_DATE/TIMESTAMP are today, in UTC.
    pub fn defaults(&self, _layer: &LayerInfo) -> Vec<FieldValue> {
        self.fields
            .iter()
            .map(|f| match &f.default {
                Some(DefaultValue::Value(v)) => v.clone(),
                Some(DefaultValue::CurrentDate) => FieldValue::Date(utc_now()[..10].to_string()),
                Some(DefaultValue::CurrentTimestamp) => FieldValue::DateTime(utc_now()),
                Some(DefaultValue::Expression(_)) | None => FieldValue::Null,
            })
            .collect()
    }
}

/// Reads a `dflt_value` of pragma table_info: an SQL literal or expression.
pub fn parse_default(sql: &str, field_type: FieldType) -> Option<DefaultValue> {
    let mut s = sql.trim();
    while s.starts_with('(') && s.ends_with(')') {
        s = s[1..s.len() - 1].trim();
    }
    let upper = s.to_ascii_uppercase();
    match upper.as_str() {
        "NULL" => return None,
        "CURRENT_DATE" => return Some(DefaultValue::CurrentDate),
        "CURRENT_TIMESTAMP" => return Some(DefaultValue::CurrentTimestamp),
        "TRUE" if field_type == FieldType::Boolean => {
            return Some(DefaultValue::Value(FieldValue::Boolean(true)));
        }
        "FALSE" if field_type == FieldType::Boolean => {
            return Some(DefaultValue::Value(FieldValue::Boolean(false)));
        }
        _ => {}
    }
    if upper.starts_with("STRFTIME(") && upper.contains("'NOW'") {
        return Some(match field_type {
            FieldType::Date => DefaultValue::CurrentDate,
            _ => DefaultValue::CurrentTimestamp,
        });
    }
    let text = if s.len() >= 2 && s.starts_with('\'') && s.ends_with('\'') {
        Some(s[1..s.len() - 1].replace("''", "'"))
    } else {
        None
    };
    let literal = text.as_deref().unwrap_or(s);
    let value = match field_type {
        FieldType::Integer => literal.parse().ok().map(FieldValue::Integer),
        FieldType::Real => literal.parse().ok().map(FieldValue::Real),
        FieldType::Boolean => match literal {
            "1" => Some(FieldValue::Boolean(true)),
            "0" => Some(FieldValue::Boolean(false)),
            _ => None,
        },
        FieldType::Date => text.clone().map(FieldValue::Date),
        FieldType::DateTime => text.clone().map(FieldValue::DateTime),
        FieldType::Text => text
            .clone()
            .or_else(|| literal.parse::<f64>().ok().map(|_| literal.to_string()))
            .map(FieldValue::Text),
        FieldType::Blob => None,
    };
    Some(match value {
        Some(v) => DefaultValue::Value(v),
        None => DefaultValue::Expression(sql.to_string()),
    })
}

/// Now in UTC as the GeoPackage stores a DATETIME: `YYYY-MM-DDTHH:MM:SS.SSSZ`.
pub fn utc_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        now.subsec_millis()
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_as_gdal_and_sqlite_write_them() {
        use DefaultValue as D;
        use FieldValue as V;
        assert_eq!(
            parse_default("5", FieldType::Real),
            Some(D::Value(V::Real(5.0)))
        );
        assert_eq!(
            parse_default("'Đang hoạt động'", FieldType::Text),
            Some(D::Value(V::Text("Đang hoạt động".into())))
        );
        assert_eq!(
            parse_default("'it''s'", FieldType::Text),
            Some(D::Value(V::Text("it's".into())))
        );
        assert_eq!(
            parse_default(
                "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
                FieldType::DateTime
            ),
            Some(D::CurrentTimestamp)
        );
        assert_eq!(
            parse_default("CURRENT_DATE", FieldType::Date),
            Some(D::CurrentDate)
        );
        assert_eq!(
            parse_default("'2024-05-01'", FieldType::Date),
            Some(D::Value(V::Date("2024-05-01".into())))
        );
        assert_eq!(parse_default("NULL", FieldType::Integer), None);
        assert_eq!(
            parse_default("1", FieldType::Boolean),
            Some(D::Value(V::Boolean(true)))
        );
        assert_eq!(
            parse_default("abs(-1)", FieldType::Integer),
            Some(D::Expression("abs(-1)".into()))
        );
    }

    #[test]
    fn utc_dates_from_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_844), (2024, 5, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        let now = utc_now();
        assert_eq!(now.len(), 24, "{now}");
        assert!(now.ends_with('Z'));
    }
}
