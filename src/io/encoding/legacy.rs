//! TCVN3, VNI and Windows-1258: the pre-Unicode Vietnamese encodings.
//!
//! TCVN3 and VNI are not in the WHATWG set, so their charts are here, written
//! from the published charts (TCVN 5712:1993 VN3, the VNI-Windows font chart).
//! Windows-1258 and the Windows-1252 rows VNI keeps come from `encoding_rs`;
//! they are listed beside TCVN3 and VNI because 1258 spells most toned letters
//! as base + combining mark, which only this encoder writes. A byte with no
//! entry decodes to U+FFFD instead of a guess: a wrong letter in a land record
//! is worse than a visible hole.

use std::fmt;
use std::sync::LazyLock;

use super::words::TONE_MARKS;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{
    canonical_combining_class, compose, decompose_canonical, is_combining_mark,
};

/// A pre-Unicode Vietnamese text encoding. UTF-8 is not listed: callers handle it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegacyEncoding {
    /// TCVN 5712:1993 "VN3", as used by the ABC fonts (.VnTime, .VnTimeH).
    Tcvn3,
    /// VNI-Windows, as used by the VNI fonts (VNI-Times, ...).
    Vni,
    /// Microsoft code page 1258.
    Windows1258,
}

impl LegacyEncoding {
    /// All encodings; `detect` breaks ties in this order (TCVN3 was the
    /// government standard, so it is the most common in official data).
    pub const ALL: [LegacyEncoding; 3] = [Self::Tcvn3, Self::Vni, Self::Windows1258];

    pub fn label(self) -> &'static str {
        match self {
            Self::Tcvn3 => "TCVN3 (ABC)",
            Self::Vni => "VNI-Windows",
            Self::Windows1258 => "Windows-1258",
        }
    }

    /// Parses a name from the command line, a `.cpg` file or a MapInfo `!charset`.
    pub fn from_name(name: &str) -> Option<Self> {
        // Spellings differ only in case and punctuation ("Windows-1258", "CP_1258",
        // "TCVN 5712:1993"), so only letters and digits are compared.
        let key: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match key.as_str() {
            "tcvn3" | "tcvn" | "abc" | "vn3" | "tcvn3abc" | "tcvn5712" | "tcvn57121993"
            | "vntime" | "vntimeh" => Some(Self::Tcvn3),
            "vni" | "vniwindows" | "vniwin" | "vnitimes" => Some(Self::Vni),
            "1258" | "cp1258" | "windows1258" | "win1258" | "ansi1258" | "ms1258"
            | "windowsvietnamese" => Some(Self::Windows1258),
            _ => None,
        }
    }
}

impl fmt::Display for LegacyEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A character that the target encoding cannot represent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError {
    pub character: char,
    /// Index in chars of the NFC form of the input (the input itself when it is NFC).
    pub index: usize,
    pub encoding: LegacyEncoding,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "character '{}' (U+{:04X}) at index {} cannot be encoded in {}",
            self.character,
            u32::from(self.character),
            self.index,
            self.encoding.label()
        )
    }
}

impl std::error::Error for EncodeError {}

/// Marks a byte that has no character in the chart.
const NA: char = char::REPLACEMENT_CHARACTER;

/// TCVN3 bytes 0x80..=0xFF; 0x00..=0x7F is ASCII.
///
/// VN3 holds only the lowercase toned letters plus the untoned capitals
/// Ă Â Ê Ô Ơ Ư Đ. Capital toned letters were typed with the .VnTimeH font, which
/// draws these same bytes as capitals; the bytes themselves do not say which font
/// was used, so they decode to the lowercase letters. The unlisted bytes
/// (0x80..=0x9F and the gaps between letters) carry capital toned letters in the
/// full TCVN 5712 "VN1" set, which the ABC fonts do not follow: left unmapped.
#[rustfmt::skip]
const TCVN3: [char; 128] = [
    // 0x80
    NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
    // 0x90
    NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
    // 0xA0: no-break space, the untoned special letters, capitals then lowercase
    '\u{A0}', 'Ă', 'Â', 'Ê', 'Ô', 'Ơ', 'Ư', 'Đ', 'ă', 'â', 'ê', 'ô', 'ơ', 'ư', 'đ', NA,
    // 0xB0: from here on each vowel has its tones in the order huyền hỏi ngã sắc nặng
    NA, NA, NA, NA, NA, 'à', 'ả', 'ã', 'á', 'ạ', NA, 'ằ', 'ẳ', 'ẵ', 'ắ', NA,
    // 0xC0
    NA, NA, NA, NA, NA, NA, 'ặ', 'ầ', 'ẩ', 'ẫ', 'ấ', 'ậ', 'è', NA, 'ẻ', 'ẽ',
    // 0xD0
    'é', 'ẹ', 'ề', 'ể', 'ễ', 'ế', 'ệ', 'ì', 'ỉ', NA, NA, NA, 'ĩ', 'í', 'ị', 'ò',
    // 0xE0
    NA, 'ỏ', 'õ', 'ó', 'ọ', 'ồ', 'ổ', 'ỗ', 'ố', 'ộ', 'ờ', 'ở', 'ỡ', 'ớ', 'ợ', 'ù',
    // 0xF0
    NA, 'ủ', 'ũ', 'ú', 'ụ', 'ừ', 'ử', 'ữ', 'ứ', 'ự', 'ỳ', 'ỷ', 'ỹ', 'ý', 'ỵ', NA,
];

/// The 128 high bytes of a single-byte WHATWG encoding. The C1 controls that
/// WHATWG gives the bytes Microsoft leaves undefined become U+FFFD here.
fn high_half(encoding: &'static encoding_rs::Encoding) -> [char; 128] {
    std::array::from_fn(|i| {
        let byte = [0x80 + i as u8];
        let (text, _) = encoding.decode_without_bom_handling(&byte);
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if !('\u{80}'..='\u{9F}').contains(&c) => c,
            _ => NA,
        }
    })
}

/// Windows-1258 bytes 0x80..=0xFF. Only the base letters with a modifier
/// (ă â ê ô ơ ư đ) and a few Latin-1 toned letters are precomposed; other
/// tones are the combining marks at 0xCC, 0xD2, 0xDE, 0xEC and 0xF2, written
/// after the letter.
static CP1258: LazyLock<[char; 128]> = LazyLock::new(|| high_half(encoding_rs::WINDOWS_1258));

/// Windows-1252 bytes 0x80..=0xFF: VNI keeps its punctuation rows 0x80..=0xBF.
static CP1252: LazyLock<[char; 128]> = LazyLock::new(|| high_half(encoding_rs::WINDOWS_1252));

/// VNI-Windows bytes 0xC0..=0xFF.
///
/// The VNI fonts redraw the Latin-1 letter rows as zero-width marks that sit on
/// the preceding ASCII vowel: one byte carries the modifier and the tone
/// together (a + 0xE1 = ấ). Marks come in two sizes, for capitals (0xC0..=0xDF)
/// and for lowercase (0xE0..=0xFF), 0x20 apart. Letters that an overlaid mark
/// cannot draw are whole glyphs: đ, ơ and ư (which then take tone marks like an
/// ASCII vowel), the toned i (the tone replaces the dot) and ỵ (the dot sits
/// under the descender). Mark sequences are written in canonical order (dot
/// below before circumflex/breve), as NFD produces them.
#[rustfmt::skip]
const VNI: [&str; 64] = [
    // 0xC0: capital marks
    "\u{302}\u{300}", "\u{302}\u{301}", "\u{302}", "\u{302}\u{303}",
    "\u{323}\u{302}", "\u{302}\u{309}", "Ỉ", "\u{FFFD}",
    "\u{306}\u{300}", "\u{306}\u{301}", "\u{306}", "\u{323}\u{306}",
    "Ì", "Í", "Ỵ", "\u{323}",
    // 0xD0
    "\u{FFFD}", "Đ", "Ị", "Ĩ",
    "Ơ", "\u{303}", "Ư", "\u{FFFD}",
    "\u{300}", "\u{301}", "\u{306}\u{309}", "\u{309}",
    "\u{306}\u{303}", "\u{FFFD}", "\u{FFFD}", "\u{FFFD}",
    // 0xE0: lowercase marks, same layout
    "\u{302}\u{300}", "\u{302}\u{301}", "\u{302}", "\u{302}\u{303}",
    "\u{323}\u{302}", "\u{302}\u{309}", "ỉ", "\u{FFFD}",
    "\u{306}\u{300}", "\u{306}\u{301}", "\u{306}", "\u{323}\u{306}",
    "ì", "í", "ỵ", "\u{323}",
    // 0xF0
    "\u{FFFD}", "đ", "ị", "ĩ",
    "ơ", "\u{303}", "ư", "\u{FFFD}",
    "\u{300}", "\u{301}", "\u{306}\u{309}", "\u{309}",
    "\u{306}\u{303}", "\u{FFFD}", "\u{FFFD}", "\u{FFFD}",
];

/// VNI bytes 0x80..=0xBF: the Windows-1252 punctuation and symbol rows.
fn vni_ansi(b: u8) -> char {
    CP1252[usize::from(b - 0x80)]
}

/// Legacy bytes -> Unicode NFC. Never fails: bytes with no mapping become U+FFFD.
pub fn decode(bytes: &[u8], encoding: LegacyEncoding) -> String {
    let mut raw = String::with_capacity(bytes.len() * 3 / 2);
    for &b in bytes {
        if b.is_ascii() {
            raw.push(char::from(b));
            continue;
        }
        match encoding {
            LegacyEncoding::Tcvn3 => raw.push(TCVN3[usize::from(b - 0x80)]),
            LegacyEncoding::Windows1258 => raw.push(CP1258[usize::from(b - 0x80)]),
            LegacyEncoding::Vni if b >= 0xC0 => raw.push_str(VNI[usize::from(b - 0xC0)]),
            LegacyEncoding::Vni => raw.push(vni_ansi(b)),
        }
    }
    // VNI and 1258 spell a letter as base + marks; NFC makes it the precomposed
    // letter. A mark with nothing to attach to stays a combining character.
    let text: String = raw.nfc().collect();
    if encoding == LegacyEncoding::Tcvn3 {
        restore_tcvn3_capitals(&text)
    } else {
        text
    }
}

/// A toned lowercase letter: TCVN3 writes its capital with the same byte.
fn capital_lost(c: char) -> bool {
    !c.is_ascii() && c.is_lowercase() && !"ăâêôơưđ".contains(c)
}

/// Gives back the capitals TCVN3 cannot write where the text around them says
/// they were capitals: every letter of an all-capitals text ("TRồNG LúA" is
/// "TRỒNG LÚA"), the rest of a word whose other letters are capitals ("ĐấT"),
/// and the first letter of a word in a text whose every other word is
/// capitalised ("Thôn Thanh ấm" is "Thôn Thanh Ấm"). Anything else stays as
/// the bytes say.
fn restore_tcvn3_capitals(text: &str) -> String {
    if !text.chars().any(capital_lost) {
        return text.to_string();
    }
    let words: Vec<&str> = text.split(' ').collect();
    // The cased letters TCVN3 can write in both cases.
    let kept = |w: &str| -> Vec<char> {
        w.chars()
            .filter(|&c| c.is_alphabetic() && !capital_lost(c))
            .collect()
    };
    let all_capitals = words
        .iter()
        .all(|w| kept(w).iter().all(|c| c.is_uppercase()))
        && words.iter().any(|w| kept(w).len() >= 2);
    let title_case = words
        .iter()
        .any(|w| w.chars().next().is_some_and(char::is_uppercase))
        && words.iter().all(|w| {
            w.chars()
                .find(|c| c.is_alphabetic())
                .is_none_or(|c| c.is_uppercase() || capital_lost(c))
        });
    let mut out = String::with_capacity(text.len());
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let letters = kept(word);
        let capitals =
            all_capitals || (letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase()));
        let mut first = true;
        for c in word.chars() {
            if capital_lost(c) && (capitals || (first && title_case)) {
                out.extend(c.to_uppercase());
            } else {
                out.push(c);
            }
            if c.is_alphabetic() {
                first = false;
            }
        }
    }
    out
}

/// Unicode -> legacy bytes. The input is NFC-normalised first; `EncodeError::index`
/// counts chars of that normalised text.
///
/// TCVN3 has no capital toned letters: they are written as the lowercase byte,
/// exactly as TCVN3 documents set in .VnTimeH store them, so decoding gives the
/// lowercase letter back (lossy in case only). Windows-1258 uses a precomposed byte
/// when the whole letter has one (á = 0xE1) and otherwise base + combining tone
/// (ấ = â 0xE2 + 0xEC), as Windows and iconv do.
pub fn encode(text: &str, encoding: LegacyEncoding) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(text.len());
    for (index, character) in text.nfc().enumerate() {
        if !encode_char(character, encoding, &mut out) {
            return Err(EncodeError {
                character,
                index,
                encoding,
            });
        }
    }
    Ok(out)
}

fn encode_char(c: char, encoding: LegacyEncoding, out: &mut Vec<u8>) -> bool {
    if let Some(b) = letter_byte(c, encoding) {
        out.push(b);
        return true;
    }
    // A mark NFC could not attach (e.g. after a consonant) is kept as a mark.
    if let Some(b) = mark_byte(&[c], false, encoding) {
        out.push(b);
        return true;
    }
    if encoding == LegacyEncoding::Tcvn3 {
        let mut lower = c.to_lowercase();
        return match (lower.next(), lower.next()) {
            (Some(l), None) if l != c => encode_char(l, encoding, out),
            _ => false,
        };
    }
    // Find the fullest base the encoding has as one byte (ệ: ê in 1258, e in VNI)
    // and spell the remaining marks with mark bytes. Tones go last, so that the
    // modifier is tried on the base even though NFD puts a dot below before it.
    let mut parts = decomposition(c);
    parts[1..].sort_by_key(|m| TONE_MARKS.contains(m));
    for split in (1..parts.len()).rev() {
        let Some(base) = compose_all(&parts[..split]) else {
            continue;
        };
        let Some(base_byte) = letter_byte(base, encoding) else {
            continue;
        };
        let mut marks = parts[split..].to_vec();
        marks.sort_by_key(|&m| canonical_combining_class(m));
        let start = out.len();
        out.push(base_byte);
        if push_marks(&marks, base.is_uppercase(), encoding, out) {
            return true;
        }
        out.truncate(start);
    }
    false
}

/// The byte that encodes `c` on its own (ASCII or a precomposed letter/symbol).
fn letter_byte(c: char, encoding: LegacyEncoding) -> Option<u8> {
    if c.is_ascii() {
        return u8::try_from(c).ok();
    }
    if c == NA || is_combining_mark(c) {
        return None;
    }
    let single = |b: u8| -> Option<char> {
        match encoding {
            LegacyEncoding::Tcvn3 => Some(TCVN3[usize::from(b - 0x80)]),
            LegacyEncoding::Windows1258 => Some(CP1258[usize::from(b - 0x80)]),
            LegacyEncoding::Vni if b >= 0xC0 => {
                let mut chars = VNI[usize::from(b - 0xC0)].chars();
                chars.next().filter(|_| chars.next().is_none())
            }
            LegacyEncoding::Vni => Some(vni_ansi(b)),
        }
    };
    (0x80..=0xFF).find(|&b| single(b) == Some(c))
}

/// The one byte that spells exactly this run of combining marks.
fn mark_byte(marks: &[char], uppercase: bool, encoding: LegacyEncoding) -> Option<u8> {
    match (encoding, marks) {
        (LegacyEncoding::Tcvn3, _) => None,
        (LegacyEncoding::Windows1258, &[mark]) if is_combining_mark(mark) => {
            (0x80..=0xFF).find(|&b| CP1258[usize::from(b - 0x80)] == mark)
        }
        (LegacyEncoding::Windows1258, _) => None,
        (LegacyEncoding::Vni, _) => {
            let first = if uppercase { 0xC0 } else { 0xE0 };
            (first..=first + 0x1F).find(|&b| {
                let entry = VNI[usize::from(b - 0xC0)];
                entry.starts_with(is_combining_mark) && entry.chars().eq(marks.iter().copied())
            })
        }
    }
}

/// Spells `marks` with as few mark bytes as possible (VNI has two-mark bytes).
fn push_marks(
    mut marks: &[char],
    uppercase: bool,
    encoding: LegacyEncoding,
    out: &mut Vec<u8>,
) -> bool {
    while !marks.is_empty() {
        let found = (1..=marks.len().min(2))
            .rev()
            .find_map(|n| mark_byte(&marks[..n], uppercase, encoding).map(|b| (n, b)));
        let Some((n, b)) = found else {
            return false;
        };
        out.push(b);
        marks = &marks[n..];
    }
    true
}

fn decomposition(c: char) -> Vec<char> {
    let mut parts = Vec::with_capacity(3);
    decompose_canonical(c, |d| parts.push(d));
    parts
}

fn compose_all(parts: &[char]) -> Option<char> {
    let (&first, rest) = parts.split_first()?;
    rest.iter().try_fold(first, |acc, &mark| compose(acc, mark))
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::is_nfc;

    use LegacyEncoding::{Tcvn3, Vni, Windows1258};

    const VOWELS: [char; 12] = ['a', 'ă', 'â', 'e', 'ê', 'i', 'o', 'ô', 'ơ', 'u', 'ư', 'y'];
    const TONES: [&str; 6] = ["", "\u{300}", "\u{301}", "\u{309}", "\u{303}", "\u{323}"];

    /// Every Vietnamese letter, lowercase and capital.
    fn all_letters() -> Vec<char> {
        let mut letters = vec!['d', 'đ', 'D', 'Đ'];
        for vowel in VOWELS {
            for tone in TONES {
                let s: String = format!("{vowel}{tone}").nfc().collect();
                let mut chars = s.chars();
                let lower = chars.next().unwrap();
                assert!(chars.next().is_none(), "{s} is not precomposed");
                letters.push(lower);
                letters.extend(lower.to_uppercase());
            }
        }
        letters
    }

    const SENTENCES: [&str; 4] = [
        "Đất chuyên trồng lúa nước",
        "Ủy ban nhân dân xã Tân Tiến",
        "Cột ngụy trang",
        "Thửa đất số 15, tờ bản đồ số 3",
    ];

    /// The sentences above, byte by byte from the charts.
    const TCVN3_SENTENCES: [&[u8]; 4] = [
        b"\xA7\xCAt chuy\xAAn tr\xE5ng l\xF3a n\xAD\xEDc",
        b"\xF1y ban nh\xA9n d\xA9n x\xB7 T\xA9n Ti\xD5n",
        b"C\xE9t ng\xF4y trang",
        b"Th\xF6a \xAE\xCAt s\xE8 15, t\xEA b\xB6n \xAE\xE5 s\xE8 3",
    ];
    const VNI_SENTENCES: [&[u8]; 4] = [
        b"\xD1a\xE1t chuye\xE2n tro\xE0ng lu\xF9a n\xF6\xF4\xF9c",
        b"U\xDBy ban nha\xE2n da\xE2n xa\xF5 Ta\xE2n Tie\xE1n",
        b"Co\xE4t ngu\xEFy trang",
        b"Th\xF6\xFBa \xF1a\xE1t so\xE1 15, t\xF4\xF8 ba\xFBn \xF1o\xE0 so\xE1 3",
    ];
    const CP1258_SENTENCES: [&[u8]; 4] = [
        b"\xD0\xE2\xECt chuy\xEAn tr\xF4\xCCng l\xFAa n\xFD\xF5\xECc",
        b"U\xD2y ban nh\xE2n d\xE2n xa\xDE T\xE2n Ti\xEA\xECn",
        b"C\xF4\xF2t ngu\xF2y trang",
        b"Th\xFD\xD2a \xF0\xE2\xECt s\xF4\xEC 15, t\xF5\xCC ba\xD2n \xF0\xF4\xCC s\xF4\xEC 3",
    ];

    fn sentences(encoding: LegacyEncoding) -> [&'static [u8]; 4] {
        match encoding {
            Tcvn3 => TCVN3_SENTENCES,
            Vni => VNI_SENTENCES,
            Windows1258 => CP1258_SENTENCES,
        }
    }

    #[test]
    fn every_letter_round_trips() {
        for encoding in LegacyEncoding::ALL {
            for letter in all_letters() {
                let text = letter.to_string();
                let bytes = encode(&text, encoding).unwrap();
                // TCVN3 has only the untoned capitals; toned ones come back lowercase.
                let tcvn3_capital = letter.is_ascii() || "ĂÂÊÔƠƯĐ".contains(letter);
                let expected = if encoding == Tcvn3 && !tcvn3_capital {
                    text.to_lowercase()
                } else {
                    text.clone()
                };
                assert_eq!(decode(&bytes, encoding), expected, "{letter} in {encoding}");
                if encoding == Tcvn3 {
                    assert_eq!(bytes.len(), 1, "{letter} in TCVN3 is one byte");
                }
            }
        }
    }

    fn assert_decodes(encoding: LegacyEncoding, cases: &[(&[u8], &str)]) {
        for &(bytes, text) in cases {
            assert_eq!(decode(bytes, encoding), text, "{bytes:02X?} in {encoding}");
            assert_eq!(
                encode(text, encoding).unwrap(),
                bytes,
                "{text} in {encoding}"
            );
        }
    }

    #[test]
    fn tcvn3_chart() {
        assert_decodes(
            Tcvn3,
            &[
                (b"\xB9", "ạ"),
                (b"\xF6", "ử"),
                (b"\xCA", "ấ"),
                (b"\xAE", "đ"),
                (b"\xA7", "Đ"),
                (b"\xAD", "ư"),
                (b"\xA5", "Ơ"),
                (b"\xA1", "Ă"),
                (b"\xBE", "ắ"),
                (b"\xC6", "ặ"),
                (b"\xDC", "ĩ"),
                (b"\xDF", "ò"),
                (b"\xEE", "ợ"),
                (b"\xFE", "ỵ"),
                (b"H\xB5 N\xE9i", "Hà Nội"),
                (b"Vi\xD6t Nam", "Việt Nam"),
                (b"B\xBEc Giang", "Bắc Giang"),
            ],
        );
    }

    #[test]
    fn vni_chart() {
        assert_decodes(
            Vni,
            &[
                (b"Ba\xE9c Giang", "Bắc Giang"),
                (b"Vie\xE4t Nam", "Việt Nam"),
                (b"VIE\xC4T NAM", "VIỆT NAM"),
                (b"\xD1a\xE1t", "Đất"),
                (b"\xD1A\xC1T", "ĐẤT"),
                (b"n\xF6\xF4\xF9c", "nước"),
                (b"L\xF2ch s\xF6\xFB", "Lịch sử"),
                (b"ngh\xF3a", "nghĩa"),
                (b"Ch\xE6", "Chỉ"),
                (b"H\xEC", "Hì"),
                (b"\xEE \xCE", "ỵ Ỵ"),
                (b"\xD4\xD9", "Ớ"),
                (b"a\xE8 a\xFC a\xFA a\xEB a\xEA", "ằ ẵ ẳ ặ ă"),
                (b"a\xE5 a\xE3 a\xE2 o\xE4", "ẩ ẫ â ộ"),
                (b"A\xC8 A\xDC A\xDA A\xCB A\xCA", "Ằ Ẵ Ẳ Ặ Ă"),
                (b"y\xF5 Y\xD5 u\xFB U\xDB", "ỹ Ỹ ủ Ủ"),
            ],
        );
        // Real files mix mark sizes; both decode the same.
        assert_eq!(decode(b"A\xF9 a\xD9", Vni), "Á á");
    }

    #[test]
    fn windows_1258_chart() {
        assert_decodes(
            Windows1258,
            &[
                (b"Vi\xEA\xF2t Nam", "Việt Nam"),
                (b"\xF0 \xD0", "đ Đ"),
                (b"\xFD \xDD \xF5 \xD5", "ư Ư ơ Ơ"),
                (b"\xE3 \xC3", "ă Ă"),
                (b"\xE1 a\xD2 a\xDE a\xF2", "á ả ã ạ"),
                (b"\xF5\xCC", "ờ"),
                (b"\xC2\xEC", "Ấ"),
                (b"y\xEC Y\xCC", "ý Ỳ"),
                (b"\xFE", "₫"),
                (b"\x80", "€"),
            ],
        );
        // Some writers decompose letters that have a precomposed byte.
        assert_eq!(decode(b"a\xEC", Windows1258), "á");
    }

    #[test]
    fn sentences_decode_and_encode() {
        for encoding in LegacyEncoding::ALL {
            for (text, bytes) in SENTENCES.iter().zip(sentences(encoding)) {
                let expected = if encoding == Tcvn3 {
                    text.replace('Ủ', "ủ")
                } else {
                    text.to_string()
                };
                assert_eq!(decode(bytes, encoding), expected, "{encoding}");
                assert_eq!(
                    encode(text, encoding).unwrap(),
                    bytes,
                    "{text} in {encoding}"
                );
            }
        }
    }

    #[test]
    fn decode_output_is_nfc() {
        let cases: [(&[u8], LegacyEncoding); 5] = [
            (b"a\xE2\xF9", Vni),       // circumflex and tone as two bytes
            (b"a\xEF\xE2 x\xF9", Vni), // dot below first; a mark on a consonant
            (b"a\xF2\xE2 \xE2\xF2", Windows1258),
            (b"\xEC\xCCa", Windows1258), // marks with no base
            (b"\xB5\xA9\xCA", Tcvn3),
        ];
        for (bytes, encoding) in cases {
            let text = decode(bytes, encoding);
            assert!(is_nfc(&text), "{text:?}");
            assert_eq!(text, text.nfc().collect::<String>());
        }
        assert_eq!(decode(b"a\xEF\xE2", Vni), "ậ");
        assert_eq!(decode(b"\xE2\xF2", Windows1258), "ậ");
    }

    #[test]
    fn unmapped_bytes_become_replacement_characters() {
        assert_eq!(decode(b"a\x80b\xFF", Tcvn3), "a\u{FFFD}b\u{FFFD}");
        assert_eq!(decode(b"\xD0\xF7", Vni), "\u{FFFD}\u{FFFD}");
        assert_eq!(decode(b"\x81\x8A", Windows1258), "\u{FFFD}\u{FFFD}");
        assert_eq!(decode(b"\x93x\x94 \x8A", Vni), "“x” Š");
    }

    #[test]
    fn vni_marks_are_in_canonical_order() {
        for entry in VNI.iter().filter(|e| e.starts_with(is_combining_mark)) {
            assert_eq!(entry.nfd().collect::<String>(), *entry, "{entry:?}");
        }
    }

    #[test]
    fn input_is_normalised_before_encoding() {
        let decomposed = "Vie\u{323}\u{302}t";
        assert_eq!(encode(decomposed, Tcvn3).unwrap(), b"Vi\xD6t");
        assert_eq!(encode(decomposed, Vni).unwrap(), b"Vie\xE4t");
        assert_eq!(encode(decomposed, Windows1258).unwrap(), b"Vi\xEA\xF2t");
    }

    #[test]
    fn unencodable_characters_are_errors() {
        let err = encode("Zürich", Tcvn3).unwrap_err();
        assert_eq!(
            err,
            EncodeError {
                character: 'ü',
                index: 1,
                encoding: Tcvn3
            }
        );
        let message = err.to_string();
        assert!(
            message.contains('ü') && message.contains("index 1"),
            "{message}"
        );
        assert!(message.contains("TCVN3 (ABC)"), "{message}");
        assert_eq!(encode("Zürich", Windows1258).unwrap(), b"Z\xFCrich");
        assert_eq!(encode("Zürich", Vni).unwrap_err().index, 1);
        assert_eq!(encode("ab€", Tcvn3).unwrap_err().character, '€');
        assert_eq!(encode("Hà Nội 河内", Windows1258).unwrap_err().index, 7);
        assert_eq!(encode("\u{FFFD}", Windows1258).unwrap_err().index, 0);
        // A tone on a letter that has no Vietnamese form.
        assert_eq!(encode("ǹ", Tcvn3).unwrap_err().character, 'ǹ');
    }

    #[test]
    fn names_and_labels() {
        for (name, encoding) in [
            ("tcvn3", Tcvn3),
            ("ABC", Tcvn3),
            ("VN3", Tcvn3),
            ("TCVN 5712:1993", Tcvn3),
            ("vni", Vni),
            ("VNI-Windows", Vni),
            ("cp1258", Windows1258),
            ("Windows-1258", Windows1258),
            ("1258", Windows1258),
            (" CP_1258\n", Windows1258),
            ("WindowsVietnamese", Windows1258),
        ] {
            assert_eq!(LegacyEncoding::from_name(name), Some(encoding), "{name}");
        }
        for name in ["utf-8", "", "1252", "latin1"] {
            assert_eq!(LegacyEncoding::from_name(name), None, "{name}");
        }
        assert_eq!(Tcvn3.label(), "TCVN3 (ABC)");
        assert_eq!(Vni.label(), "VNI-Windows");
        assert_eq!(Windows1258.label(), "Windows-1258");
    }
}
