//! Attribute (aspatial) tables and views (spec 2.4).

use super::checker::Checker;
use super::features::{check_plain_column, check_view_key};
use super::report::Place;

pub fn check(c: &mut Checker) -> rusqlite::Result<()> {
    let tables = c.rows(
        "SELECT table_name FROM gpkg_contents WHERE data_type = 'attributes'",
        [],
        |r| r.get::<_, String>(0),
    )?;
    for table in &tables {
        c.guard(None, Place::table(table), |c| check_table(c, table));
    }
    Ok(())
}

fn check_table(c: &mut Checker, table: &str) -> rusqlite::Result<()> {
    let kind = c.kind(table)?;
    if kind.is_none() && !c.exists(table)? {
        // Reported with gpkg_contents.
        return Ok(());
    }
    let columns = c.table_info(table)?;
    let mut keys = 0;
    for column in &columns {
        let at = Place::column(table, &column.name);
        if column.pk == 1 {
            keys += 1;
        }
        check_plain_column(c, 119, at, column);
    }
    if kind.as_deref() == Some("table") {
        if keys != 1 {
            c.error(
                119,
                Place::table(table),
                "an attribute table must have an INTEGER PRIMARY KEY",
            );
        }
    } else {
        check_view_key(c, 151, table, &columns)?;
    }
    Ok(())
}
