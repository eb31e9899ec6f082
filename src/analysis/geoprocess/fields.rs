//! Output fields of a two-layer tool: the input's, then the overlay's, an
//! overlay name that clashes taking the prefix and then "_2", "_3", ... as
//! QGIS's overlay tools do.

use crate::model::Field;

/// The input's fields followed by the overlay's, renamed where they clash.
pub(super) fn combine(input: &[Field], overlay: &[Field], prefix: &str) -> Vec<Field> {
    let mut out: Vec<Field> = input.iter().map(unconstrained).collect();
    for f in overlay {
        let base = format!("{prefix}{}", f.name);
        let mut name = base.clone();
        let mut n = 2;
        while taken(&out, &name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        out.push(Field {
            name,
            ..unconstrained(f)
        });
    }
    out
}

/// Appends a field, renamed as in [`combine`] if its name is taken.
pub(super) fn push_unique(out: &mut Vec<Field>, field: Field) {
    let mut name = field.name.clone();
    let mut n = 2;
    while taken(out, &name) {
        name = format!("{}_{n}", field.name);
        n += 1;
    }
    out.push(Field { name, ..field });
}

fn taken(fields: &[Field], name: &str) -> bool {
    name.eq_ignore_ascii_case("fid")
        || name.eq_ignore_ascii_case("geom")
        || fields.iter().any(|f| f.name.eq_ignore_ascii_case(name))
}

/// Results may leave a value empty (a union's piece outside the overlay).
fn unconstrained(f: &Field) -> Field {
    Field {
        not_null: false,
        ..f.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FieldType;

    #[test]
    fn clashing_overlay_fields_are_renamed() {
        let a = [
            Field::new("ma_xa", FieldType::Text),
            Field::new("ten", FieldType::Text),
        ];
        let b = [
            Field::new("ma_xa", FieldType::Text),
            Field::new("dan_so", FieldType::Integer),
        ];
        let names: Vec<String> = combine(&a, &b, "").into_iter().map(|f| f.name).collect();
        assert_eq!(names, ["ma_xa", "ten", "ma_xa_2", "dan_so"]);
        let names: Vec<String> = combine(&a, &b, "xa_").into_iter().map(|f| f.name).collect();
        assert_eq!(names, ["ma_xa", "ten", "xa_ma_xa", "xa_dan_so"]);
    }
}
