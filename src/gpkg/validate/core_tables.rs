//! `gpkg_spatial_ref_sys` and `gpkg_contents` (spec clauses 1.1.2, 1.1.3).

use rusqlite::types::Value;

use super::checker::{Checker, stored_value};
use super::report::Place;
use super::structure::{self, Expected, col};

const SRS: &str = "gpkg_spatial_ref_sys";
const CONTENTS: &str = "gpkg_contents";

pub fn check_spatial_ref_sys(c: &mut Checker) -> rusqlite::Result<()> {
    if !c.exists(SRS)? {
        c.error(10, Place::table(SRS), "required table is missing");
        return Ok(());
    }
    let columns = c.table_info(SRS)?;
    let has = |n: &str| columns.iter().any(|col| col.name == n);
    let (has_12_063, has_epoch) = (has("definition_12_063"), has("epoch"));

    let crs_wkt = if c.exists("gpkg_extensions")? {
        c.rows(
            "SELECT scope, extension_name FROM gpkg_extensions \
             WHERE extension_name IN ('gpkg_crs_wkt', 'gpkg_crs_wkt_1_1')",
            [],
            |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, String>(1)?)),
        )?
        .into_iter()
        .next()
    } else {
        None
    };
    match crs_wkt {
        Some((scope, name)) => {
            let at = Place::table("gpkg_extensions");
            if scope.as_deref() != Some("read-write") {
                c.error(
                    145,
                    at.clone(),
                    format!("scope of {name} must be read-write"),
                );
            }
            if !has_12_063 {
                c.error(
                    145,
                    Place::table(SRS),
                    format!("has no definition_12_063 column although {name} is declared"),
                );
            }
            if has_epoch && name != "gpkg_crs_wkt_1_1" {
                c.error(
                    145,
                    at,
                    "has an epoch column, so gpkg_crs_wkt_1_1 must be declared",
                );
            }
        }
        None => {
            if has_12_063 {
                c.error(
                    145,
                    Place::column(SRS, "definition_12_063"),
                    "present, but gpkg_extensions does not declare gpkg_crs_wkt",
                );
            }
            if has_epoch {
                c.error(
                    145,
                    Place::column(SRS, "epoch"),
                    "present, but gpkg_extensions does not declare gpkg_crs_wkt_1_1",
                );
            }
        }
    }

    let mut expected: Vec<Expected> = vec![
        col("srs_name", &["TEXT"], true, None, 0),
        col("srs_id", &["INTEGER"], true, None, 1),
        col("organization", &["TEXT"], true, None, 0),
        col("organization_coordsys_id", &["INTEGER"], true, None, 0),
        col("definition", &["TEXT"], true, None, 0),
        col("description", &["TEXT"], false, None, 0),
    ];
    let mut columns = columns;
    if has_12_063 {
        expected.push(col("definition_12_063", &["TEXT"], true, None, 0));
        if has_epoch {
            expected.push(col("epoch", &["DOUBLE"], false, None, 0));
        }
        // Earlier drafts of the extension gave both definitions a default
        // of ''; the spec says readers should expect it.
        for column in &mut columns {
            if (column.name == "definition" || column.name == "definition_12_063")
                && column.default.as_deref() == Some("''")
            {
                column.default = None;
            }
        }
    }
    structure::check(c, 10, SRS, &columns, &expected);

    let sql = format!(
        "SELECT srs_id, organization, organization_coordsys_id, definition, {} \
         FROM gpkg_spatial_ref_sys WHERE srs_id IN (-1, 0, 4326) ORDER BY srs_id",
        if has_12_063 {
            "definition_12_063"
        } else {
            "NULL"
        }
    );
    let rows = c.rows(&sql, [], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            stored_value(r, 1)?,
            stored_value(r, 2)?,
            stored_value(r, 3)?,
            stored_value(r, 4)?,
        ))
    })?;
    for (srs_id, name) in [
        (-1, "undefined Cartesian"),
        (0, "undefined geographic"),
        (4326, "WGS 84"),
    ] {
        let Some((_, org, code, def, def_12_063)) = rows.iter().find(|r| r.0 == srs_id) else {
            c.error(
                11,
                Place::table(SRS),
                format!("the required {name} row (srs_id {srs_id}) is missing"),
            );
            continue;
        };
        let at = Place::table(SRS).with_row(srs_id);
        let text = |v: &Value| match v {
            Value::Text(t) => Some(t.clone()),
            _ => None,
        };
        let org_ok = match srs_id {
            4326 => text(org).is_some_and(|o| o.eq_ignore_ascii_case("epsg")),
            _ => text(org).as_deref() == Some("NONE"),
        };
        if !org_ok {
            let want = if srs_id == 4326 { "EPSG" } else { "NONE" };
            c.error(11, at.clone(), format!("organization must be {want}"));
        }
        if *code != Value::Integer(srs_id) {
            c.error(
                11,
                at.clone(),
                format!("organization_coordsys_id must be {srs_id}"),
            );
        }
        let undefined = |v: &Value| text(v).as_deref() == Some("undefined");
        if (srs_id == 4326) == undefined(def) {
            let want = if srs_id == 4326 {
                "a CRS definition"
            } else {
                "'undefined'"
            };
            c.error(11, at.clone(), format!("definition must be {want}"));
        }
        if has_12_063 && (srs_id == 4326) == undefined(def_12_063) {
            let want = if srs_id == 4326 {
                "a CRS definition"
            } else {
                "'undefined'"
            };
            c.error(116, at, format!("definition_12_063 must be {want}"));
        }
    }
    if has_12_063 {
        let undefined = c.rows(
            "SELECT srs_id FROM gpkg_spatial_ref_sys WHERE srs_id NOT IN (0, -1) \
             AND definition = 'undefined' AND definition_12_063 = 'undefined'",
            [],
            |r| r.get::<_, i64>(0),
        )?;
        for srs_id in undefined {
            c.error(
                117,
                Place::table(SRS).with_row(srs_id),
                "both definition and definition_12_063 are 'undefined'",
            );
        }
    }
    Ok(())
}

/// The data types of `gpkg_contents` the spec and its registered
/// extensions define.
pub const DATA_TYPES: [&str; 4] = ["features", "tiles", "attributes", "2d-gridded-coverage"];

/// Returns false when there is no `gpkg_contents` to check the layers by.
pub fn check_contents(c: &mut Checker) -> rusqlite::Result<bool> {
    if !c.exists(CONTENTS)? {
        c.error(13, Place::table(CONTENTS), "required table is missing");
        return Ok(false);
    }
    let columns = c.table_info(CONTENTS)?;
    structure::check(
        c,
        13,
        CONTENTS,
        &columns,
        &[
            col("table_name", &["TEXT"], true, None, 1),
            col("data_type", &["TEXT"], true, None, 0),
            col("identifier", &["TEXT"], false, None, 0),
            col("description", &["TEXT"], false, Some("''"), 0),
            col(
                "last_change",
                &["DATETIME"],
                true,
                Some("strftime('%Y-%m-%dT%H:%M:%fZ','now')"),
                0,
            ),
            col("min_x", &["DOUBLE"], false, None, 0),
            col("min_y", &["DOUBLE"], false, None, 0),
            col("max_x", &["DOUBLE"], false, None, 0),
            col("max_y", &["DOUBLE"], false, None, 0),
            col("srs_id", &["INTEGER"], false, None, 0),
        ],
    );
    let rows = c.rows(
        "SELECT table_name, data_type, last_change, srs_id FROM gpkg_contents",
        [],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                stored_value(r, 2)?,
                stored_value(r, 3)?,
            ))
        },
    )?;
    for (table, data_type, last_change, srs_id) in rows {
        let at = Place::table(&table);
        let data_type = data_type.unwrap_or_default();
        if !DATA_TYPES.contains(&data_type.as_str()) {
            c.error(
                17,
                at.clone(),
                format!(
                    "gpkg_contents gives data_type '{data_type}'; expected one of {}",
                    DATA_TYPES.join(", ")
                ),
            );
        }
        if !c.exists(&table)? {
            c.error(
                14,
                at.clone(),
                "listed in gpkg_contents but is not a table or view",
            );
        }
        let valid_time = matches!(&last_change, Value::Text(t) if is_timestamp(t));
        if !valid_time {
            c.error(
                15,
                at.clone(),
                format!(
                    "gpkg_contents last_change {} is not a timestamp like 2024-01-31T12:00:00.000Z",
                    show(&last_change)
                ),
            );
        }
        match srs_id {
            Value::Null => {}
            Value::Integer(id) => {
                if !c.any("SELECT 1 FROM gpkg_spatial_ref_sys WHERE srs_id = ?1", [id])? {
                    c.error(
                        14,
                        at,
                        format!(
                            "gpkg_contents gives srs_id {id}, which is not in gpkg_spatial_ref_sys"
                        ),
                    );
                }
            }
            other => c.error(
                14,
                at,
                format!(
                    "gpkg_contents gives srs_id {}, not an integer",
                    show(&other)
                ),
            ),
        }
    }
    Ok(true)
}

pub fn show(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(t) => format!("'{t}'"),
        Value::Blob(b) => format!("a {}-byte blob", b.len()),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.sssZ`: the spec's timestamp, with 1 to 6 digits of
/// fractional seconds.
pub fn is_timestamp(t: &str) -> bool {
    let Some(rest) = t.strip_suffix('Z') else {
        return false;
    };
    let Some((date, time)) = rest.split_once('T') else {
        return false;
    };
    let Some((hms, frac)) = time.split_once('.') else {
        return false;
    };
    let num = |s: &str, digits: std::ops::RangeInclusive<usize>| -> Option<u32> {
        (digits.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let d: Vec<&str> = date.split('-').collect();
    let h: Vec<&str> = hms.split(':').collect();
    if d.len() != 3 || h.len() != 3 || num(frac, 1..=6).is_none() {
        return false;
    }
    let (Some(year), Some(month), Some(day)) =
        (num(d[0], 4..=4), num(d[1], 1..=2), num(d[2], 1..=2))
    else {
        return false;
    };
    let (Some(hour), Some(min), Some(sec)) = (num(h[0], 1..=2), num(h[1], 1..=2), num(h[2], 1..=2))
    else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day) && hour < 24 && min < 60 && sec < 62
}

#[cfg(test)]
mod tests {
    use super::is_timestamp;

    #[test]
    fn timestamps() {
        assert!(is_timestamp("2024-02-29T23:59:59.123Z"));
        assert!(is_timestamp("2024-1-5T1:2:3.5Z"));
        assert!(!is_timestamp("2023-02-29T00:00:00.000Z"));
        assert!(!is_timestamp("2024-01-31T12:00:00Z"));
        assert!(!is_timestamp("2024-01-31 12:00:00.000Z"));
        assert!(!is_timestamp("2024-13-01T00:00:00.000Z"));
    }
}
