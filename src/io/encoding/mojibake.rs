//! Repairing Vietnamese mojibake: TCVN3, VNI or Windows-1258 bytes that an
//! earlier program decoded as Windows-1252 (or ISO-8859-1) and saved as
//! UTF-8. "V­¬ng V¨n Hïng" is "Vương Văn Hùng" (the soft hyphen U+00AD is
//! TCVN3's ư), "Th«n Thanh Êm" is "Thôn Thanh Ấm", "§ång Quan Tiªn" is
//! "Đồng Quan Tiên".
//!
//! Such text holds only characters of Windows-1252 or Latin-1, so it turns
//! back into the original bytes; those are decoded with each Vietnamese
//! table. A repair is accepted only when the result is Vietnamese (most of
//! its words are syllables, none broken) and explains clearly more words
//! than the text as it stands, read as Latin words or as Vietnamese: México,
//! Zürich or "Lê Hà" are never touched. In a column where many values are
//! clearly mojibake, the rest are judged against Vietnamese alone (a value
//! like "tãn tán" is then the TCVN3 "tón tỏn", which on its own it might not
//! be).

use std::sync::LazyLock;

use super::LegacyEncoding;
use super::words::{is_broken, is_vietnamese_syllable, latin_weight, non_ascii_words};

/// A repaired value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    pub text: String,
    /// The encoding of the bytes behind the mojibake.
    pub encoding: LegacyEncoding,
}

/// Windows-1252's characters for 0x80..=0x9F (€ ‚ ƒ ...), from encoding_rs.
static CP1252_C1: LazyLock<Vec<(char, u8)>> = LazyLock::new(|| {
    (0x80u8..=0x9F)
        .filter_map(|b| {
            let byte = [b];
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
            let c = text.chars().next()?;
            (u32::from(c) > 0xFF).then_some((c, b))
        })
        .collect()
});

/// The bytes a Windows-1252 or ISO-8859-1 decoding made this text from, if
/// it could be such a decoding. U+0080..=U+00FF is the byte itself (so the
/// C1 controls of an ISO-8859-1 decoding and the soft hyphen come back), and
/// 1252's € ‚ ƒ ... their 0x80..=0x9F byte.
fn latin_bytes(text: &str) -> Option<Vec<u8>> {
    text.chars()
        .map(|c| match u8::try_from(u32::from(c)) {
            Ok(b) => Some(b),
            Err(_) => CP1252_C1.iter().find(|(k, _)| *k == c).map(|(_, b)| *b),
        })
        .collect()
}

/// How a text's words with non-ASCII letters read.
struct Judged {
    syllables: usize,
    /// Words read as Vietnamese or Latin (see [`latin_weight`]).
    explained: f32,
    /// Words that read as neither (a symbol inside, odd casing).
    implausible: usize,
    words: usize,
    broken: usize,
}

fn judge(text: &str, capitals_lost: bool) -> Judged {
    let mut j = Judged {
        syllables: 0,
        explained: 0.0,
        implausible: 0,
        words: 0,
        broken: 0,
    };
    for word in non_ascii_words(text) {
        j.words += 1;
        if is_broken(word) {
            j.broken += 1;
        } else if is_vietnamese_syllable(word, capitals_lost) {
            j.syllables += 1;
            j.explained += 1.0;
        } else {
            let latin = latin_weight(word);
            j.explained += latin;
            if latin == 0.0 {
                j.implausible += 1;
            }
        }
    }
    j
}

/// Repairs one value judged on its own (see the module docs).
pub fn repair(text: &str) -> Option<Repair> {
    repair_with(text, None)
}

/// Repairs one value. `column` is the encoding of a column where many values
/// were clearly mojibake: a value that is not clearly mojibake on its own is
/// then judged against that encoding and Vietnamese alone (more syllables
/// than it has as it stands).
pub fn repair_with(text: &str, column: Option<LegacyEncoding>) -> Option<Repair> {
    if text.is_ascii() {
        return None;
    }
    let bytes = latin_bytes(text)?;
    let original = judge(text, false);
    best_repair(text, &bytes, &original, &LegacyEncoding::ALL, false)
        .or_else(|| column.and_then(|e| best_repair(text, &bytes, &original, &[e], true)))
}

fn best_repair(
    text: &str,
    bytes: &[u8],
    original: &Judged,
    encodings: &[LegacyEncoding],
    in_column: bool,
) -> Option<Repair> {
    // Alone, one word that reads as Latin is too little to go on ("où" is
    // VNI's "ó").
    let evidence = original.words >= 2 || original.implausible > 0;
    let mut best: Option<(usize, Repair)> = None;
    for &encoding in encodings {
        let candidate = super::decode(bytes, encoding);
        if candidate == text || candidate.contains(char::REPLACEMENT_CHARACTER) {
            continue;
        }
        let j = judge(&candidate, encoding == LegacyEncoding::Tcvn3);
        if j.broken > 0 || j.words == 0 {
            continue;
        }
        let share = j.syllables as f32 / j.words as f32;
        let accepted = if in_column {
            share >= 0.8 && j.syllables > original.syllables
        } else {
            share >= 0.6 && evidence && j.syllables as f32 > original.explained
        };
        if accepted && best.as_ref().is_none_or(|(s, _)| j.syllables > *s) {
            best = Some((
                j.syllables,
                Repair {
                    text: candidate,
                    encoding,
                },
            ));
        }
    }
    best.map(|(_, r)| r)
}

/// The encoding behind a column's mojibake, when many of its values are
/// clearly mojibake: at least one, and a third of those with non-ASCII text.
/// The encoding is the one most of those repairs found.
pub fn mojibake_column<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<LegacyEncoding> {
    let (mut non_ascii, mut found) = (0, [0usize; 3]);
    for v in values.into_iter().filter(|v| !v.is_ascii()) {
        non_ascii += 1;
        if let Some(r) = repair(v) {
            let i = LegacyEncoding::ALL.iter().position(|e| *e == r.encoding);
            found[i.expect("an encoding of ALL")] += 1;
        }
    }
    let repaired: usize = found.iter().sum();
    if repaired == 0 || repaired * 3 < non_ascii {
        return None;
    }
    let most = (0..3)
        .rev()
        .max_by_key(|&i| found[i])
        .expect("three encodings");
    Some(LegacyEncoding::ALL[most])
}

/// Repairs a column: each value alone, or all against the column's
/// encoding when many are clearly mojibake.
pub fn repair_column(values: &[&str]) -> Vec<Option<Repair>> {
    let column = mojibake_column(values.iter().copied());
    values.iter().map(|v| repair_with(v, column)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::encoding::{decode, encode};
    use unicode_normalization::UnicodeNormalization;

    use LegacyEncoding::{Tcvn3, Vni, Windows1258};

    /// What a program that read the bytes as Windows-1252 saved.
    fn as_1252(bytes: &[u8]) -> String {
        encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned()
    }

    /// What a program that read the bytes as ISO-8859-1 saved.
    fn as_latin1(bytes: &[u8]) -> String {
        bytes.iter().map(|&b| char::from(b)).collect()
    }

    #[test]
    fn the_issue_examples() {
        for (mojibake, want) in [
            ("V\u{AD}¬ng V¨n Hïng", "Vương Văn Hùng"),
            ("Th«n Thanh Êm", "Thôn Thanh Ấm"),
            ("§ång Quan Tiªn", "Đồng Quan Tiên"),
            (
                "§Êt chuyªn trång lóa n\u{AD}íc",
                "Đất chuyên trồng lúa nước",
            ),
        ] {
            let r = repair(mojibake).unwrap_or_else(|| panic!("{mojibake} not repaired"));
            assert_eq!(r.text, want);
            assert_eq!(r.encoding, Tcvn3);
        }
        let vni = as_1252(&encode("Nguyễn Thị Hồng Nhung", Vni).unwrap());
        assert_eq!(repair(&vni).unwrap().text, "Nguyễn Thị Hồng Nhung");
        let cp1258 = as_1252(&encode("Đường Trần Phú", Windows1258).unwrap());
        assert_eq!(repair(&cp1258).unwrap().text, "Đường Trần Phú");
    }

    #[test]
    fn genuine_text_is_left_alone() {
        let more = [
            "Hé",
            "é",
            "où",
            "Lê Hà",
            "Phú Thái",
            "Hà Nội",
            "Đồng Quan Tiên",
            "120 m²",
            "ASCII only",
        ];
        for text in crate::io::encoding::LATIN1_NAMES.into_iter().chain(more) {
            assert_eq!(repair(text), None, "{text}");
        }
        let names = ["México", "Ñandú", "Zürich", "São Paulo", "Côte d'Ivoire"];
        assert_eq!(mojibake_column(names), None);
        assert!(repair_column(&names).iter().all(Option::is_none));
    }

    /// Every Vietnamese vowel with every tone, in lower case, capitals and
    /// capitalised words, as syllables (with and without an initial), plus
    /// đ/Đ: one value per vowel and case.
    fn every_letter() -> Vec<String> {
        let tones = ["", "\u{300}", "\u{301}", "\u{309}", "\u{303}", "\u{323}"];
        let mut values = Vec::new();
        for vowel in ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"] {
            for initial in ["t", ""] {
                let words: Vec<String> = tones
                    .iter()
                    .map(|t| format!("{initial}{vowel}{t}n").nfc().collect())
                    .collect();
                let lower = words.join(" ");
                let title: Vec<String> = words
                    .iter()
                    .map(|w| {
                        let mut c = w.chars();
                        c.next().unwrap().to_uppercase().chain(c).collect()
                    })
                    .collect();
                values.push(lower.clone());
                values.push(lower.to_uppercase());
                values.push(title.join(" "));
            }
        }
        values.extend(["đan Đan ĐAN".to_string(), "dân Dân DÂN".to_string()]);
        values
    }

    #[test]
    fn every_letter_with_every_tone_through_mojibake() {
        let values = every_letter();
        for encoding in [Tcvn3, Vni] {
            for misread in [as_1252, as_latin1] {
                let bytes: Vec<Vec<u8>> = values
                    .iter()
                    .map(|v| encode(v, encoding).unwrap())
                    .collect();
                let mojibake: Vec<String> = bytes.iter().map(|b| misread(b)).collect();
                let refs: Vec<&str> = mojibake.iter().map(String::as_str).collect();
                let repaired = repair_column(&refs);
                for ((value, bytes), (bad, fixed)) in values
                    .iter()
                    .zip(&bytes)
                    .zip(mojibake.iter().zip(&repaired))
                {
                    // TCVN3 cannot write every capital; what it can say is the
                    // text decoded from its bytes.
                    let want = decode(bytes, encoding);
                    if encoding == Vni {
                        assert_eq!(&want, value);
                    }
                    let fixed = fixed
                        .as_ref()
                        .unwrap_or_else(|| panic!("{encoding}: '{bad}' ({value}) not repaired"));
                    assert_eq!(fixed.text, want, "{encoding}: '{bad}'");
                    assert_eq!(fixed.encoding, encoding, "'{bad}'");
                }
            }
        }
    }

    #[test]
    fn tcvn3_capitals_come_back_where_the_text_says() {
        for text in ["TRỒNG LÚA", "Thôn Thanh Ấm", "ĐẤT Ở", "An Àn Án Ản Ãn Ạn"] {
            let bytes = encode(text, Tcvn3).unwrap();
            assert_eq!(repair(&as_1252(&bytes)).unwrap().text, text);
        }
    }

    #[test]
    fn c1_controls_of_a_latin1_decoding_map_back() {
        assert_eq!(latin_bytes("\u{81}\u{AD}€"), Some(vec![0x81, 0xAD, 0x80]));
        assert_eq!(latin_bytes("ộ"), None);
    }
}
