//! Text encodings of attribute text.
//!
//! Shapefiles (.dbf) and MapInfo tables often predate Unicode: their text is
//! in a code page the file declares (a `.cpg` file, the DBF language-driver
//! byte, a MapInfo `Charset`), or in TCVN3, VNI-Windows or Windows-1258, which
//! Vietnamese agencies used without declaring anything. Every WHATWG encoding
//! comes from `encoding_rs`; TCVN3 and VNI, which it lacks, from the charts in
//! [`legacy`]. [`detect`] guesses an undeclared encoding by how many decoded
//! words are Vietnamese syllables or plausible words of another script, and
//! [`mojibake`] repairs Vietnamese text that an earlier program read as
//! Latin-1 and saved as UTF-8.

pub mod detect;
pub mod legacy;
pub mod mojibake;
pub mod words;

use encoding_rs::Encoding;
use unicode_normalization::UnicodeNormalization;

pub use detect::{Detection, detect};
pub use legacy::{EncodeError, LegacyEncoding, decode, encode};
pub use mojibake::{Repair, repair};

/// How attribute text is encoded in a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextEncoding {
    Utf8,
    /// TCVN3, VNI or Windows-1258 (whose toned letters need our encoder).
    Legacy(LegacyEncoding),
    /// Any other WHATWG encoding: Windows-1252, GBK, Big5, Shift_JIS, ...
    Whatwg(&'static Encoding),
}

/// Decoded text and how many characters could not be decoded (U+FFFD).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub replaced: usize,
}

/// The WHATWG encodings offered besides UTF-8 and the legacy Vietnamese ones.
/// UTF-16 is left out (DBF and MapInfo text is read as NUL-terminated bytes,
/// which UTF-16 cannot be), and so is "replacement", which decodes nothing.
const WHATWG: [&Encoding; 35] = [
    encoding_rs::WINDOWS_1252,
    encoding_rs::WINDOWS_1250,
    encoding_rs::WINDOWS_1251,
    encoding_rs::WINDOWS_1253,
    encoding_rs::WINDOWS_1254,
    encoding_rs::WINDOWS_1255,
    encoding_rs::WINDOWS_1256,
    encoding_rs::WINDOWS_1257,
    encoding_rs::WINDOWS_874,
    encoding_rs::GBK,
    encoding_rs::GB18030,
    encoding_rs::BIG5,
    encoding_rs::SHIFT_JIS,
    encoding_rs::EUC_JP,
    encoding_rs::ISO_2022_JP,
    encoding_rs::EUC_KR,
    encoding_rs::ISO_8859_2,
    encoding_rs::ISO_8859_3,
    encoding_rs::ISO_8859_4,
    encoding_rs::ISO_8859_5,
    encoding_rs::ISO_8859_6,
    encoding_rs::ISO_8859_7,
    encoding_rs::ISO_8859_8,
    encoding_rs::ISO_8859_8_I,
    encoding_rs::ISO_8859_10,
    encoding_rs::ISO_8859_13,
    encoding_rs::ISO_8859_14,
    encoding_rs::ISO_8859_15,
    encoding_rs::ISO_8859_16,
    encoding_rs::KOI8_R,
    encoding_rs::KOI8_U,
    encoding_rs::IBM866,
    encoding_rs::MACINTOSH,
    encoding_rs::X_MAC_CYRILLIC,
    encoding_rs::X_USER_DEFINED,
];

impl TextEncoding {
    pub const WINDOWS_1252: TextEncoding = TextEncoding::Whatwg(encoding_rs::WINDOWS_1252);

    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Legacy(l) => l.label(),
            TextEncoding::Whatwg(e) => e.name(),
        }
    }

    /// Every encoding a user can choose, UTF-8 and the Vietnamese ones first.
    pub fn all() -> Vec<TextEncoding> {
        let mut all = vec![TextEncoding::Utf8];
        all.extend(LegacyEncoding::ALL.map(TextEncoding::Legacy));
        all.extend(WHATWG.map(TextEncoding::Whatwg));
        all
    }

    /// Reads a name as given on the command line or in a `.cpg` file: any
    /// WHATWG label ("latin1", "gbk", "shift_jis"), a Windows code page number
    /// ("1252", "CP936", "ANSI 1251", "65001"), "8859-1"/"88591", or a legacy
    /// Vietnamese name (tcvn3, vni, cp1258).
    pub fn from_name(name: &str) -> Option<TextEncoding> {
        let name = name.trim().trim_matches('"');
        let key: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if key.is_empty() {
            return None;
        }
        if let Some(legacy) = LegacyEncoding::from_name(name) {
            return Some(TextEncoding::Legacy(legacy));
        }
        // ESRI writes "8859-1" and "88591" for ISO-8859-1.
        if let Some(part) = key
            .strip_prefix("iso8859")
            .or_else(|| key.strip_prefix("8859"))
            && let Ok(n) = part.parse::<u32>()
        {
            return Self::from_label(&format!("iso-8859-{n}"));
        }
        // "CP936", "ANSI 1252", "windows1251", "MS932": a code page number.
        let digits = key.trim_start_matches(|c: char| c.is_ascii_alphabetic());
        let prefix = &key[..key.len() - digits.len()];
        if !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit())
            && ["", "cp", "ansi", "windows", "win", "ms", "codepage", "ldid"].contains(&prefix)
            && let Ok(n) = digits.parse()
        {
            return if prefix == "ldid" {
                u8::try_from(n).ok().and_then(Self::from_ldid)
            } else {
                Self::from_code_page(n)
            };
        }
        Self::from_label(name)
    }

    /// A WHATWG label.
    fn from_label(label: &str) -> Option<TextEncoding> {
        let encoding = Encoding::for_label(label.trim().as_bytes())?;
        Some(Self::of(encoding)).filter(|e| match e {
            TextEncoding::Whatwg(e) => WHATWG.contains(e),
            _ => true,
        })
    }

    fn of(encoding: &'static Encoding) -> TextEncoding {
        if encoding == encoding_rs::UTF_8 {
            TextEncoding::Utf8
        } else if encoding == encoding_rs::WINDOWS_1258 {
            TextEncoding::Legacy(LegacyEncoding::Windows1258)
        } else {
            TextEncoding::Whatwg(encoding)
        }
    }

    /// A Windows code page number, as `.cpg` files write them.
    pub fn from_code_page(code_page: u32) -> Option<TextEncoding> {
        let label = match code_page {
            65001 => "utf-8".to_string(),
            874 => "windows-874".into(),
            932 => "shift_jis".into(),
            936 | 20936 => "gbk".into(),
            949 | 51949 => "euc-kr".into(),
            950 => "big5".into(),
            866 => "ibm866".into(),
            1250..=1258 => format!("windows-{code_page}"),
            10000 => "macintosh".into(),
            10007 => "x-mac-cyrillic".into(),
            20866 => "koi8-r".into(),
            21866 => "koi8-u".into(),
            20932 | 51932 => "euc-jp".into(),
            50220..=50222 => "iso-2022-jp".into(),
            54936 => "gb18030".into(),
            28591..=28606 => format!("iso-8859-{}", code_page - 28590),
            38598 => "iso-8859-8-i".into(),
            _ => return None,
        };
        Self::from_label(&label)
    }

    /// The language-driver id at byte 29 of a DBF header (dBASE/ESRI table),
    /// where it names a code page WHATWG has. 0 means "not said"; the DOS
    /// code pages (437, 850, ...) have no WHATWG decoder and give None.
    pub fn from_ldid(ldid: u8) -> Option<TextEncoding> {
        let code_page = match ldid {
            0x03 | 0x57 | 0x58 | 0x59 => 1252,
            0x04 => 10000,
            0x13 | 0x7B => 932,
            0x26 | 0x65 => 866,
            0x4D | 0x7A => 936,
            0x4E | 0x79 => 949,
            0x4F | 0x78 => 950,
            0x50 | 0x7C => 874,
            0x96 => 10007,
            0xC8 => 1250,
            0xC9 => 1251,
            0xCA => 1254,
            0xCB => 1253,
            0xCC => 1257,
            _ => return None,
        };
        Self::from_code_page(code_page)
    }

    /// A MapInfo `Charset` name ("WindowsLatin1", "WindowsSimpChinese",
    /// "ISO8859_1", "UTF-8"). "Neutral" declares nothing: None.
    pub fn from_mapinfo_charset(name: &str) -> Option<TextEncoding> {
        let key = name.trim().trim_matches('"').to_ascii_lowercase();
        let code_page = match key.as_str() {
            "neutral" | "" => return None,
            "windowslatin1" => 1252,
            "windowslatin2" => 1250,
            "windowscyrillic" => 1251,
            "windowsgreek" => 1253,
            "windowsturkish" => 1254,
            "windowshebrew" => 1255,
            "windowsarabic" => 1256,
            "windowsbalticrim" => 1257,
            "windowsvietnamese" => 1258,
            "windowsthai" => 874,
            "windowsjapanese" => 932,
            "windowssimpchinese" => 936,
            "windowskorean" => 949,
            "windowstradchinese" => 950,
            "macroman" => 10000,
            "packedeucjapanese" => 20932,
            other => {
                if let Some(n) = other.strip_prefix("codepage")
                    && let Ok(n) = n.parse()
                {
                    return Self::from_code_page(n);
                }
                return Self::from_name(&other.replace('_', "-"));
            }
        };
        Self::from_code_page(code_page)
    }

    /// Bytes -> NFC text; bytes that do not decode become U+FFFD and are counted.
    pub fn decode(self, bytes: &[u8]) -> Decoded {
        let text: String = match self {
            TextEncoding::Utf8 => match std::str::from_utf8(bytes) {
                Ok(s) => s.nfc().collect(),
                Err(_) => {
                    let lossy = String::from_utf8_lossy(bytes);
                    // A U+FFFD stored as such was not made by this decoding.
                    let stored = bytes.windows(3).filter(|w| w == b"\xEF\xBF\xBD").count();
                    let text: String = lossy.nfc().collect();
                    let replaced = count_replacements(&text) - stored;
                    return Decoded { text, replaced };
                }
            },
            TextEncoding::Legacy(l) => decode(bytes, l),
            TextEncoding::Whatwg(e) => e.decode_without_bom_handling(bytes).0.nfc().collect(),
        };
        let replaced = if self == TextEncoding::Utf8 {
            0
        } else {
            count_replacements(&text)
        };
        Decoded { text, replaced }
    }

    /// Text -> bytes; the error names the first character the encoding lacks.
    pub fn encode(self, text: &str) -> Result<Vec<u8>, String> {
        match self {
            TextEncoding::Utf8 => Ok(text.as_bytes().to_vec()),
            TextEncoding::Legacy(l) => encode(text, l).map_err(|e| e.to_string()),
            TextEncoding::Whatwg(e) => {
                let text: String = text.nfc().collect();
                let mut encoder = e.new_encoder();
                let capacity = encoder
                    .max_buffer_length_from_utf8_without_replacement(text.len())
                    .unwrap_or(text.len() * 4 + 16);
                let mut out = Vec::with_capacity(capacity);
                let (result, _) =
                    encoder.encode_from_utf8_to_vec_without_replacement(&text, &mut out, true);
                match result {
                    encoding_rs::EncoderResult::Unmappable(c) => Err(format!(
                        "character '{c}' (U+{:04X}) cannot be encoded in {}",
                        u32::from(c),
                        e.name()
                    )),
                    _ => Ok(out),
                }
            }
        }
    }
}

fn count_replacements(text: &str) -> usize {
    text.chars()
        .filter(|&c| c == char::REPLACEMENT_CHARACTER)
        .count()
}

impl std::fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Latin-1 place names that neither detection nor the mojibake repair may
/// take for Vietnamese.
#[cfg(test)]
pub(crate) const LATIN1_NAMES: [&str; 8] = [
    "México",
    "Côte d'Ivoire",
    "Ñandú",
    "São Paulo",
    "Zürich",
    "Málaga",
    "Hôtel de Ville",
    "Café à la carte",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> Option<&'static str> {
        TextEncoding::from_name(n).map(TextEncoding::label)
    }

    #[test]
    fn cpg_and_command_line_names() {
        for (given, want) in [
            ("UTF-8", "UTF-8"),
            ("utf8", "UTF-8"),
            ("65001", "UTF-8"),
            ("1252", "windows-1252"),
            ("ANSI 1252", "windows-1252"),
            ("ISO-8859-1", "windows-1252"),
            ("88591", "windows-1252"),
            ("8859-1", "windows-1252"),
            ("latin1", "windows-1252"),
            ("936", "GBK"),
            ("CP936", "GBK"),
            ("GBK", "GBK"),
            ("gb2312", "GBK"),
            ("big5", "Big5"),
            ("950", "Big5"),
            ("Shift_JIS", "Shift_JIS"),
            ("949", "EUC-KR"),
            ("1251", "windows-1251"),
            ("windows-1251", "windows-1251"),
            ("8859-2", "ISO-8859-2"),
            ("koi8-r", "KOI8-R"),
            ("LDID/77", "GBK"),
            ("1258", "Windows-1258"),
            ("windows-1258", "Windows-1258"),
            ("tcvn3", "TCVN3 (ABC)"),
            ("VNI", "VNI-Windows"),
        ] {
            assert_eq!(name(given), Some(want), "{given}");
        }
        for given in ["", "utf-16", "UTF-16LE", "replacement", "437", "klingon"] {
            assert_eq!(name(given), None, "{given}");
        }
    }

    #[test]
    fn ldid_and_mapinfo_names() {
        let ldid = |b| TextEncoding::from_ldid(b).map(TextEncoding::label);
        assert_eq!(ldid(0x57), Some("windows-1252"));
        assert_eq!(ldid(0x4D), Some("GBK"));
        assert_eq!(ldid(0xC9), Some("windows-1251"));
        assert_eq!(ldid(0x00), None);
        assert_eq!(ldid(0x01), None, "DOS 437 has no WHATWG decoder");
        let mi = |n| TextEncoding::from_mapinfo_charset(n).map(TextEncoding::label);
        assert_eq!(mi("WindowsLatin1"), Some("windows-1252"));
        assert_eq!(mi("\"WindowsSimpChinese\""), Some("GBK"));
        assert_eq!(mi("WindowsVietnamese"), Some("Windows-1258"));
        assert_eq!(mi("ISO8859_1"), Some("windows-1252"));
        assert_eq!(mi("UTF-8"), Some("UTF-8"));
        assert_eq!(mi("Neutral"), None);
    }

    #[test]
    fn every_encoding_is_listed_once_and_decodes() {
        let all = TextEncoding::all();
        for (i, e) in all.iter().enumerate() {
            assert!(!all[..i].contains(e), "{e} twice");
            assert_eq!(TextEncoding::from_name(e.label()), Some(*e), "{e}");
        }
        assert_eq!(
            TextEncoding::Whatwg(encoding_rs::GBK).decode(b"\xB1\xB1\xBE\xA9\xCA\xD0"),
            Decoded {
                text: "北京市".into(),
                replaced: 0
            }
        );
        assert_eq!(
            TextEncoding::WINDOWS_1252.decode(b"M\xE9xico").text,
            "México"
        );
    }

    #[test]
    fn replacements_are_counted() {
        assert_eq!(TextEncoding::Utf8.decode(b"a\xFFb\xFE").replaced, 2);
        assert_eq!(
            TextEncoding::Utf8.decode("a\u{FFFD}".as_bytes()).replaced,
            0
        );
        let tcvn3 = TextEncoding::Legacy(LegacyEncoding::Tcvn3);
        // UTF-8 read as TCVN3: ü is C3 BC, and 0xC3 has no TCVN3 letter.
        let d = tcvn3.decode("Zürich".as_bytes());
        assert_eq!(d.replaced, 1, "{}", d.text);
        assert_eq!(
            TextEncoding::Whatwg(encoding_rs::GBK)
                .decode(b"\x81")
                .replaced,
            1
        );
    }

    #[test]
    fn encodes_with_encoding_rs() {
        let gbk = TextEncoding::Whatwg(encoding_rs::GBK);
        assert_eq!(gbk.encode("北京市").unwrap(), b"\xB1\xB1\xBE\xA9\xCA\xD0");
        let err = TextEncoding::WINDOWS_1252.encode("Hà Nội").unwrap_err();
        assert!(err.contains("'ộ'") && err.contains("windows-1252"), "{err}");
        assert_eq!(
            TextEncoding::Legacy(LegacyEncoding::Windows1258)
                .encode("Việt")
                .unwrap(),
            b"Vi\xEA\xF2t"
        );
    }
}
