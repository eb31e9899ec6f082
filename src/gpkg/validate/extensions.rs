//! `gpkg_extensions` (spec 2.5), which is optional.

use super::checker::{Checker, Version};
use super::features::CURVE_TYPES;
use super::report::Place;
use super::structure::{self, col};

const EXTENSIONS: &str = "gpkg_extensions";

/// The `gpkg_` extensions the spec registers.
const KNOWN: [&str; 11] = [
    "gpkg_rtree_index",
    "gpkg_zoom_other",
    "gpkg_webp",
    "gpkg_metadata",
    "gpkg_schema",
    "gpkg_crs_wkt",
    "gpkg_crs_wkt_1_1",
    "gpkg_elevation_tiles",
    "gpkg_2d_gridded_coverage",
    "gpkg_related_tables",
    "related_tables",
];

fn is_known(name: &str, version: Version) -> bool {
    KNOWN.contains(&name)
        || name
            .strip_prefix("gpkg_geom_")
            .is_some_and(|t| CURVE_TYPES.contains(&t))
        // Registered in 1.0 and 1.1, withdrawn in 1.2.
        || (version < Version(1, 2, 0)
            && matches!(name, "gpkg_geometry_type_trigger" | "gpkg_srs_id_trigger"))
}

/// `<author>_<extension>`: letters and digits, then letters, digits and _.
fn is_well_formed(name: &str) -> bool {
    let Some((author, rest)) = name.split_once('_') else {
        return false;
    };
    author.chars().all(|ch| ch.is_ascii_alphanumeric())
        && rest
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

pub fn check(c: &mut Checker) -> rusqlite::Result<()> {
    if !c.exists(EXTENSIONS)? {
        return Ok(());
    }
    let columns = c.table_info(EXTENSIONS)?;
    structure::check(
        c,
        58,
        EXTENSIONS,
        &columns,
        &[
            col("table_name", &["TEXT"], false, None, 0),
            col("column_name", &["TEXT"], false, None, 0),
            col("extension_name", &["TEXT"], true, None, 0),
            col("definition", &["TEXT"], true, None, 0),
            col("scope", &["TEXT"], true, None, 0),
        ],
    );
    let rows = c.rows(
        "SELECT table_name, column_name, extension_name, scope FROM gpkg_extensions",
        [],
        |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                r.get::<_, Option<String>>(3)?,
            ))
        },
    )?;
    for (table, column, name, scope) in rows {
        let at = match (&table, &column) {
            (Some(t), Some(col)) => Place::column(t, col),
            (Some(t), None) => Place::table(t),
            _ => Place::table(EXTENSIONS),
        };
        if let (Some(t), Some(col)) = (&table, &column)
            && !c.column_exists(t, col)
        {
            c.error(
                61,
                at.clone(),
                format!("gpkg_extensions lists {name} for a column that does not exist"),
            );
        } else if let (Some(t), None) = (&table, &column)
            && !c.exists(t)?
        {
            c.warning(
                None,
                at.clone(),
                format!("gpkg_extensions lists {name} for a table that does not exist"),
            );
        }
        let valid_name = if name.starts_with("gpkg_") {
            is_known(&name, c.version)
        } else {
            is_well_formed(&name)
        };
        if !valid_name {
            c.error(
                62,
                at.clone(),
                format!("'{name}' is not a registered or well-formed extension name"),
            );
        }
        let scope = scope.unwrap_or_default();
        if scope != "read-write" && scope != "write-only" {
            c.error(
                64,
                at.clone(),
                format!(
                    "extension {name} has scope '{scope}'; it must be read-write or write-only"
                ),
            );
        }
        if name == "gpkg_rtree_index" {
            let features = c.any(
                "SELECT 1 FROM gpkg_contents WHERE lower(table_name) = lower(?1) AND data_type = 'features'",
                [table.as_deref().unwrap_or_default()],
            )?;
            if !features {
                c.error(
                    75,
                    at.clone(),
                    "gpkg_rtree_index is listed for a table that is not a feature table",
                );
            }
            if scope != "write-only" {
                c.error(
                    75,
                    at,
                    format!("gpkg_rtree_index must have scope write-only, not '{scope}'"),
                );
            }
        }
    }
    Ok(())
}
