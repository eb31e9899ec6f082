//! Decoding the text of an import: the chosen encoding, what it could not
//! decode (counted, so the import can refuse it), and the mojibake it
//! repaired (listed in the report).

use std::cell::RefCell;

use super::encoding::mojibake;
use super::encoding::{LegacyEncoding, TextEncoding};

/// The report keeps this many examples of each kind; the counts are complete.
const KEPT: usize = 1000;

/// An import refused because decoding replaced characters with U+FFFD.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "{path}, layer '{layer}': decoding the text as {encoding} replaced {count} character(s) \
     with U+FFFD (first in row {row}, field '{field}': '{sample}'); choose the file's \
     encoding (--encoding), or accept the replacements (--accept-replacements)"
)]
pub struct Replaced {
    pub path: std::path::PathBuf,
    pub layer: String,
    pub encoding: TextEncoding,
    pub count: u64,
    pub row: u64,
    pub field: String,
    pub sample: String,
}

/// A value decoded with replacement characters.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplacedValue {
    pub row: u64,
    pub field: String,
    pub text: String,
}

/// A value whose mojibake was repaired.
#[derive(Debug, Clone, PartialEq)]
pub struct TextRepair {
    pub row: u64,
    pub field: String,
    pub before: String,
    pub after: String,
    /// The encoding of the bytes behind the mojibake.
    pub encoding: LegacyEncoding,
}

/// What decoding the text of an import did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextReport {
    /// Replacement characters (U+FFFD) the decoding produced, in all values.
    pub replaced_chars: u64,
    /// The first values holding them.
    pub replaced: Vec<ReplacedValue>,
    /// Values repaired from mojibake.
    pub repaired_count: u64,
    /// The first repairs.
    pub repairs: Vec<TextRepair>,
}

impl TextReport {
    /// The repairs as CSV (row, field, before, after, encoding).
    pub fn repairs_csv(&self) -> String {
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let mut out = String::from("row,field,before,after,encoding\n");
        for r in &self.repairs {
            out.push_str(&format!(
                "{},{},{},{},{}\n",
                r.row,
                quote(&r.field),
                quote(&r.before),
                quote(&r.after),
                r.encoding.label()
            ));
        }
        out
    }
}

/// Decodes text values, counting and repairing as it goes.
pub struct TextDecoder {
    pub encoding: TextEncoding,
    /// The encoding GDAL converted the text from, to convert back first.
    recoded_from: Option<TextEncoding>,
    /// Repair mojibake; None when the import was asked not to.
    repair: Option<MojibakeFields>,
    report: RefCell<TextReport>,
}

/// The source fields (by name) whose sampled values were mostly mojibake,
/// with the encoding behind it: their other values are judged against that
/// encoding and Vietnamese alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MojibakeFields(pub Vec<(String, LegacyEncoding)>);

impl TextDecoder {
    pub fn new(
        encoding: TextEncoding,
        recoded_from: Option<TextEncoding>,
        repair: Option<MojibakeFields>,
    ) -> Self {
        TextDecoder {
            encoding,
            recoded_from,
            repair,
            report: RefCell::new(TextReport::default()),
        }
    }

    /// The text of one value of `field` in `row`.
    pub fn decode(&self, row: u64, field: &str, bytes: &[u8]) -> String {
        let decoded = decode(self.encoding, self.recoded_from, bytes);
        let mut report = self.report.borrow_mut();
        if decoded.replaced > 0 {
            report.replaced_chars += decoded.replaced as u64;
            if report.replaced.len() < KEPT {
                report.replaced.push(ReplacedValue {
                    row,
                    field: field.to_string(),
                    text: decoded.text.clone(),
                });
            }
            return decoded.text;
        }
        let Some(fields) = &self.repair else {
            return decoded.text;
        };
        let column = fields.0.iter().find(|(f, _)| f == field).map(|(_, e)| *e);
        match mojibake::repair_with(&decoded.text, column) {
            Some(r) => {
                report.repaired_count += 1;
                if report.repairs.len() < KEPT {
                    report.repairs.push(TextRepair {
                        row,
                        field: field.to_string(),
                        before: decoded.text,
                        after: r.text.clone(),
                        encoding: r.encoding,
                    });
                }
                r.text
            }
            None => decoded.text,
        }
    }

    pub fn report(&self) -> TextReport {
        self.report.borrow().clone()
    }
}

/// Decodes, first converting text GDAL recoded back to its original bytes.
fn decode(
    encoding: TextEncoding,
    recoded_from: Option<TextEncoding>,
    bytes: &[u8],
) -> super::encoding::Decoded {
    let original = recoded_from.and_then(|from| from.encode(std::str::from_utf8(bytes).ok()?).ok());
    encoding.decode(original.as_deref().unwrap_or(bytes))
}

/// The text fields of sampled rows whose values are mostly mojibake once
/// decoded with `encoding`.
pub fn mojibake_fields(
    encoding: TextEncoding,
    recoded_from: Option<TextEncoding>,
    fields: &[String],
    samples: &[Vec<Option<Vec<u8>>>],
) -> MojibakeFields {
    let mut out = Vec::new();
    for (i, name) in fields.iter().enumerate() {
        let texts: Vec<String> = samples
            .iter()
            .filter_map(|row| row.get(i).cloned().flatten())
            .map(|b| decode(encoding, recoded_from, &b).text)
            .collect();
        if let Some(e) = mojibake::mojibake_column(texts.iter().map(String::as_str)) {
            out.push((name.clone(), e));
        }
    }
    MojibakeFields(out)
}
