//! Symbologies built from a layer's data: categories from the distinct
//! values of a text field, quantile classes of a number.

use crate::gpkg::{GeoPackage, GpkgError, LayerInfo, quote};
use crate::model::FieldType;

use super::RenderError;
use super::style::{Rgba, Symbology, YELLOW_RED, graduated, ramp, rgb};

/// Categorized for text fields (one colour per distinct value, at most 64;
/// land-use codes, operators and planning functions in their standard
/// colours), graduated in `classes`
/// quantile classes for numbers.
pub fn by_field(
    gpkg: &GeoPackage,
    info: &LayerInfo,
    field: &str,
    classes: usize,
) -> Result<Symbology, RenderError> {
    let f = info
        .schema
        .fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(field))
        .ok_or_else(|| RenderError::NoSuchField {
            layer: info.name.clone(),
            field: field.to_string(),
        })?;
    if field.eq_ignore_ascii_case("ma_loai_dat") {
        return Ok(super::style::landuse_symbology(&f.name));
    }
    match f.field_type {
        FieldType::Integer | FieldType::Real => {
            let mut values = column_values::<f64>(gpkg, info, &f.name)?;
            values.retain(|v| v.is_finite());
            Ok(graduated(
                &f.name,
                quantile_breaks(&mut values, classes),
                &YELLOW_RED,
            ))
        }
        _ => {
            let values = gpkg.distinct_values(&info.name, &f.name, Some(64))?;
            let n = values.len();
            // Operators and planning functions keep the colours every map
            // of the province uses; other values get hues around the wheel.
            let known = |v: &str| {
                super::style::OPERATORS
                    .iter()
                    .chain(&super::style::PLANNING_FUNCTIONS)
                    .find(|(k, _)| *k == v)
                    .map(|(_, c)| *c)
            };
            Ok(Symbology::Categorized {
                field: f.name.clone(),
                categories: values
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let c = known(&v).unwrap_or_else(|| hue(i, n));
                        (v, c)
                    })
                    .collect(),
                other: rgb(200, 200, 200),
            })
        }
    }
}

/// Breaks that put about as many values in each of `classes` classes;
/// repeated breaks (many equal values) are merged.
pub fn quantile_breaks(values: &mut [f64], classes: usize) -> Vec<f64> {
    if values.is_empty() || classes < 2 {
        return Vec::new();
    }
    values.sort_by(f64::total_cmp);
    let mut breaks: Vec<f64> = (1..classes)
        .map(|i| values[(i * values.len() / classes).min(values.len() - 1)])
        .collect();
    breaks.dedup();
    breaks
}

/// Evenly spaced hues, for categories without standard colours.
fn hue(i: usize, n: usize) -> Rgba {
    const WHEEL: [Rgba; 7] = [
        rgb(228, 26, 28),
        rgb(255, 127, 0),
        rgb(255, 255, 51),
        rgb(77, 175, 74),
        rgb(55, 126, 184),
        rgb(152, 78, 163),
        rgb(228, 26, 28),
    ];
    ramp(&WHEEL, i as f64 / n.max(1) as f64)
}

fn sql_err(gpkg: &GeoPackage, e: rusqlite::Error) -> RenderError {
    RenderError::Store(GpkgError::Sqlite {
        path: gpkg.path().to_path_buf(),
        context: "reading values to classify".into(),
        source: e,
    })
}

fn column_values<T: rusqlite::types::FromSql>(
    gpkg: &GeoPackage,
    info: &LayerInfo,
    field: &str,
) -> Result<Vec<T>, RenderError> {
    let sql = format!(
        "SELECT {f} FROM {t} WHERE {f} IS NOT NULL",
        f = quote(field),
        t = quote(&info.name)
    );
    let mut stmt = gpkg
        .connection()
        .prepare(&sql)
        .map_err(|e| sql_err(gpkg, e))?;
    stmt.query_map([], |r| r.get(0))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<T>>>())
        .map_err(|e| sql_err(gpkg, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_split_evenly_and_merge_repeats() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile_breaks(&mut v, 4), vec![26.0, 51.0, 76.0]);
        let mut same = vec![5.0; 10];
        assert_eq!(quantile_breaks(&mut same, 4), vec![5.0]);
        assert!(quantile_breaks(&mut [], 4).is_empty());
    }
}
