//! The SQL functions the GeoPackage spec requires of a writer (§3.1.2 and
//! the R-tree extension's triggers): every connection we open registers
//! them, so the spec's triggers work for our edits and for plain SQL.

use rusqlite::Connection;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;

use super::geom::{self, BlobError};

fn blob_arg<'a>(ctx: &'a Context<'_>) -> Option<&'a [u8]> {
    match ctx.get_raw(0) {
        ValueRef::Blob(b) => Some(b),
        _ => None,
    }
}

fn sql_err(e: BlobError) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(Box::new(e))
}

fn envelope_value(ctx: &Context<'_>, index: usize) -> rusqlite::Result<Option<f64>> {
    let Some(blob) = blob_arg(ctx) else {
        return Ok(None);
    };
    let Some(env) = geom::envelope(blob).map_err(sql_err)? else {
        return Ok(None);
    };
    let (min, max) = (env.min(), env.max());
    Ok(Some([min.x, max.x, min.y, max.y][index]))
}

pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    for (name, index) in [
        ("ST_MinX", 0),
        ("ST_MaxX", 1),
        ("ST_MinY", 2),
        ("ST_MaxY", 3),
    ] {
        conn.create_scalar_function(name, 1, flags, move |ctx| envelope_value(ctx, index))?;
    }
    conn.create_scalar_function("ST_IsEmpty", 1, flags, |ctx| {
        let Some(blob) = blob_arg(ctx) else {
            return Ok(None);
        };
        Ok(Some(geom::read_header(blob).map_err(sql_err)?.empty))
    })?;
    conn.create_scalar_function("ST_SRID", 1, flags, |ctx| {
        let Some(blob) = blob_arg(ctx) else {
            return Ok(None);
        };
        Ok(Some(geom::read_header(blob).map_err(sql_err)?.srs_id))
    })?;
    conn.create_scalar_function("ST_GeometryType", 1, flags, |ctx| {
        let Some(blob) = blob_arg(ctx) else {
            return Ok(None);
        };
        // The type as stored: a curve is a curve, not the chords it is drawn with.
        let (code, _) = geom::stored_type(blob).map_err(sql_err)?;
        Ok(crate::model::GeometryType::from_wkb_code(code).map(|t| t.name()))
    })?;
    conn.create_scalar_function("GPKG_IsAssignable", 2, flags, |ctx| {
        let expected: String = ctx.get(0)?;
        let actual: String = ctx.get(1)?;
        let (Some(e), Some(a)) = (
            crate::model::GeometryType::from_name(&expected),
            crate::model::GeometryType::from_name(&actual),
        ) else {
            return Ok(false);
        };
        Ok(e.accepts(a.wkb_code()))
    })?;
    Ok(())
}
