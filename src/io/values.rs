//! Converting source values to the target field's type. Every failure is a
//! sentence that goes into the import report next to the row and field.

use super::encoding::Decoded;
use super::source::{RawValue, TextEncoding};
use crate::model::{FieldType, FieldValue};

/// Decodes text in `encoding`; what does not decode becomes U+FFFD and is
/// counted, for the import to refuse unless told to accept it.
pub fn decode_text(bytes: &[u8], encoding: TextEncoding) -> Decoded {
    encoding.decode(bytes)
}

/// Reads a date the ways Vietnamese files write it: ISO `2024-05-01`,
/// `2024/05/01`, and day first `01/05/2024`, `1-5-2024`, `01.05.2024`.
pub fn parse_date(text: &str) -> Option<String> {
    let t = text.trim();
    let t = t.split(['T', ' ']).next()?;
    let parts: Vec<&str> = t.split(['-', '/', '.']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (y, m, d) = if a.len() == 4 { (a, b, c) } else { (c, b, a) };
    let (y, m, d): (i32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=9999).contains(&y) || !(1..=12).contains(&m) || d == 0 || d > days[m as usize - 1] {
        return None;
    }
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

fn parse_real(text: &str) -> Option<f64> {
    let t = text.trim();
    t.parse().ok().or_else(|| {
        // A decimal comma ("12,5"), as Vietnamese spreadsheets write it.
        (t.matches(',').count() == 1 && !t.contains('.'))
            .then(|| t.replace(',', ".").parse().ok())
            .flatten()
    })
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "1" | "true" | "t" | "yes" | "y" | "có" | "co" | "x" => Some(true),
        "0" | "false" | "f" | "no" | "n" | "không" | "khong" => Some(false),
        _ => None,
    }
}

/// Converts one value; `Err` says why it cannot be stored in the field.
pub fn convert(
    raw: &RawValue,
    encoding: TextEncoding,
    target: FieldType,
) -> Result<FieldValue, String> {
    convert_with(raw, target, |bytes| decode_text(bytes, encoding).text)
}

/// Converts one value, its text decoded by `decode` (the import's decoder,
/// which counts replacements and repairs mojibake).
pub fn convert_with(
    raw: &RawValue,
    target: FieldType,
    decode: impl FnOnce(&[u8]) -> String,
) -> Result<FieldValue, String> {
    use FieldType as T;
    Ok(match raw {
        RawValue::Null => FieldValue::Null,
        RawValue::Integer(i) => match target {
            T::Integer => FieldValue::Integer(*i),
            T::Real => FieldValue::Real(*i as f64),
            T::Text => FieldValue::Text(i.to_string()),
            T::Boolean => FieldValue::Boolean(*i != 0),
            _ => return Err(format!("the number {i} is not a {}", target.sql_name())),
        },
        RawValue::Real(r) => match target {
            T::Real => FieldValue::Real(*r),
            T::Integer if r.fract() == 0.0 && r.abs() < 9.0e15 => FieldValue::Integer(*r as i64),
            T::Text => FieldValue::Text(r.to_string()),
            _ => {
                return Err(format!(
                    "the number {r} is not a whole {}",
                    target.sql_name()
                ));
            }
        },
        RawValue::Date(d) => match target {
            T::Date => FieldValue::Date(d.clone()),
            T::DateTime => FieldValue::DateTime(format!("{d}T00:00:00.000Z")),
            T::Text => FieldValue::Text(d.clone()),
            _ => return Err(format!("the date {d} is not a {}", target.sql_name())),
        },
        RawValue::DateTime(d) => match target {
            T::DateTime => FieldValue::DateTime(d.clone()),
            T::Date => FieldValue::Date(d[..10].to_string()),
            T::Text => FieldValue::Text(d.clone()),
            _ => return Err(format!("the date-time {d} is not a {}", target.sql_name())),
        },
        RawValue::Binary(b) => match target {
            T::Blob => FieldValue::Blob(b.clone()),
            _ => {
                return Err(format!(
                    "binary data cannot be stored as {}",
                    target.sql_name()
                ));
            }
        },
        RawValue::Text(bytes) => {
            let text = decode(bytes);
            if text.trim().is_empty() && target != T::Text {
                return Ok(FieldValue::Null);
            }
            let fail = || format!("'{text}' is not a valid {}", target.sql_name());
            match target {
                T::Text => FieldValue::Text(text),
                T::Integer => FieldValue::Integer(text.trim().parse().map_err(|_| fail())?),
                T::Real => FieldValue::Real(parse_real(&text).ok_or_else(fail)?),
                T::Boolean => FieldValue::Boolean(parse_bool(&text).ok_or_else(fail)?),
                T::Date => FieldValue::Date(parse_date(&text).ok_or_else(fail)?),
                T::DateTime => {
                    let date = parse_date(&text).ok_or_else(fail)?;
                    let time = text
                        .trim()
                        .split(['T', ' '])
                        .nth(1)
                        .unwrap_or("00:00:00")
                        .trim_end_matches('Z');
                    FieldValue::DateTime(format!("{date}T{time}Z"))
                }
                T::Blob => FieldValue::Blob(bytes.clone()),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_vietnamese_and_iso_order() {
        assert_eq!(parse_date("2024-05-01").as_deref(), Some("2024-05-01"));
        assert_eq!(parse_date("01/05/2024").as_deref(), Some("2024-05-01"));
        assert_eq!(parse_date("1.5.2024").as_deref(), Some("2024-05-01"));
        assert_eq!(
            parse_date("2024/02/29 10:00").as_deref(),
            Some("2024-02-29")
        );
        assert_eq!(parse_date("29/02/2023"), None);
        assert_eq!(parse_date("hôm qua"), None);
    }

    #[test]
    fn conversions_and_their_errors() {
        let t = |s: &str| RawValue::Text(s.as_bytes().to_vec());
        assert_eq!(
            convert(&t("12,5"), TextEncoding::Utf8, FieldType::Real),
            Ok(FieldValue::Real(12.5))
        );
        assert_eq!(
            convert(&t(" 42 "), TextEncoding::Utf8, FieldType::Integer),
            Ok(FieldValue::Integer(42))
        );
        assert_eq!(
            convert(&t(""), TextEncoding::Utf8, FieldType::Integer),
            Ok(FieldValue::Null)
        );
        assert_eq!(
            convert(&t("có"), TextEncoding::Utf8, FieldType::Boolean),
            Ok(FieldValue::Boolean(true))
        );
        let err = convert(&t("ba mươi"), TextEncoding::Utf8, FieldType::Integer).unwrap_err();
        assert!(
            err.contains("'ba mươi'") && err.contains("INTEGER"),
            "{err}"
        );
        assert!(convert(&RawValue::Real(2.5), TextEncoding::Utf8, FieldType::Integer).is_err());
        // Bytes that are not UTF-8 become U+FFFD, counted by the decoder.
        assert_eq!(
            convert(
                &RawValue::Text(vec![0xB5, 0x20]),
                TextEncoding::Utf8,
                FieldType::Text
            ),
            Ok(FieldValue::Text("\u{FFFD} ".into()))
        );
        assert_eq!(decode_text(&[0xB5, 0x20], TextEncoding::Utf8).replaced, 1);
    }
}
