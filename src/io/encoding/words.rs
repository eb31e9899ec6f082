//! Judging words: is a decoded word a Vietnamese syllable, or a plausible
//! word of another script? Detection and mojibake repair both weigh a
//! decoding by how many of its words these explain.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::compose;

pub(super) const TONE_MARKS: [char; 5] = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];
const INITIALS: [&str; 32] = [
    "", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh",
    "nh", "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x", "f", "j", "w", "z",
];
const FINALS: [&str; 9] = ["", "c", "ch", "m", "n", "ng", "nh", "p", "t"];
/// Vowel groups that end in a glide or are the open form of a diphthong: no final.
const OPEN_NUCLEI: [&str; 31] = [
    "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "iu", "oi", "ôi", "ơi", "ui", "ưi", "ưu", "ia",
    "ua", "ưa", "uơ", "iêu", "yêu", "oai", "oao", "oay", "oeo", "uây", "uôi", "ươi", "ươu", "uya",
    "uyu",
];
/// Vowel groups that occur only before a final consonant.
const CLOSED_NUCLEI: [&str; 9] = ["ă", "â", "iê", "yê", "uô", "ươ", "uyê", "oă", "uâ"];
/// Vowel groups that occur with or without a final consonant.
const FREE_NUCLEI: [&str; 14] = [
    "a", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "oa", "oe", "uê", "uy",
];

/// Whether `word` is one well-formed Vietnamese syllable: Vietnamese letters
/// only, cased like a word, at most one tone, and initial + vowel group + final
/// from the inventory, following the spelling rules (k/gh/ngh before i e ê y,
/// c/g/ng elsewhere) and with the stop finals -c -ch -p -t only under the sắc or
/// nặng tone. `capitals_lost` ignores the case of non-ASCII lowercase letters, as
/// TCVN3 spells capital toned letters with the lowercase bytes.
pub fn is_vietnamese_syllable(word: &str, capitals_lost: bool) -> bool {
    let word = word.trim_matches(|c: char| c == '\u{A0}' || ('\u{2010}'..='\u{203A}').contains(&c));
    let mut cased = word
        .chars()
        .filter(|c| !(capitals_lost && !c.is_ascii() && c.is_lowercase()));
    let first_upper = cased.next().is_some_and(char::is_uppercase);
    let rest: Vec<bool> = cased.map(char::is_uppercase).collect();
    let cased_like_a_word =
        rest.iter().all(|&upper| !upper) || (first_upper && rest.iter().all(|&upper| upper));
    if !cased_like_a_word {
        return false;
    }

    let mut letters = String::with_capacity(word.len());
    let mut tone = None;
    for c in word.to_lowercase().nfd() {
        if TONE_MARKS.contains(&c) {
            // A tone sits on a vowel ("ñ" is not n with the ngã tone).
            let on_vowel = letters
                .chars()
                .last()
                .is_some_and(|l| "aăâeêioôơuưy".contains(l));
            if !on_vowel || tone.replace(c).is_some() {
                return false;
            }
        } else if matches!(c, '\u{302}' | '\u{306}' | '\u{31B}') {
            match letters.pop().and_then(|base| compose(base, c)) {
                Some(m) if "ăâêôơư".contains(m) => letters.push(m),
                _ => return false,
            }
        } else if c.is_ascii_lowercase() || c == 'đ' {
            letters.push(c);
        } else {
            return false;
        }
    }

    let stop_tone_ok = matches!(tone, Some('\u{301}' | '\u{323}'));
    INITIALS.iter().any(|&initial| {
        let Some(rest) = letters.strip_prefix(initial) else {
            return false;
        };
        let front = rest.starts_with(['i', 'e', 'ê', 'y']);
        let spelled_right = match initial {
            "k" | "gh" | "ngh" => front,
            "c" | "ng" => !front,
            "g" => !rest.starts_with(['e', 'ê']),
            _ => true,
        };
        spelled_right
            && FINALS.iter().any(|&fin| {
                let Some(nucleus) = rest.strip_suffix(fin) else {
                    return false;
                };
                let fits = match (nucleus, fin) {
                    // Only in loans such as xoong, soóc.
                    ("oo", _) => fin == "ng" || fin == "c",
                    (_, "") => OPEN_NUCLEI.contains(&nucleus) || FREE_NUCLEI.contains(&nucleus),
                    _ => CLOSED_NUCLEI.contains(&nucleus) || FREE_NUCLEI.contains(&nucleus),
                };
                fits && (!matches!(fin, "c" | "ch" | "p" | "t") || stop_tone_ok)
            })
    })
}

/// The scripts a decoding can be judged as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    Latin,
    /// Chinese, Japanese and Korean.
    Cjk,
}

/// The words of a text that hold something other than ASCII. Words are split
/// at spaces and ASCII punctuation only: a legacy letter can decode to a
/// non-ASCII symbol (TCVN3's ư is Latin-1's soft hyphen), which must stay
/// inside its word.
pub fn non_ascii_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_ascii() && !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_ascii())
}

/// A U+FFFD or a control character: the decoding failed here.
pub fn is_broken(word: &str) -> bool {
    word.chars()
        .any(|c| c == char::REPLACEMENT_CHARACTER || (c.is_control() && c != '\t'))
}

/// Cased like a word: all lower case, all capitals, or capitalised.
fn cased_like_a_word(letters: &[char]) -> bool {
    let rest = letters.iter().skip(1);
    rest.clone().all(|c| !c.is_uppercase())
        || (letters.first().is_some_and(|c| c.is_uppercase())
            && rest.clone().all(|c| !c.is_lowercase()))
}

/// Signs that follow a number or unit in Latin-1 text (25°, 120 m², ½).
const MEASURES: &str = "°²³¹µ±½¼¾";

fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
        || (c.is_alphabetic() && ('\u{C0}'..='\u{24F}').contains(&c) && c != '×' && c != '÷')
        || ('\u{1E00}'..='\u{1EFF}').contains(&c)
}

/// Whether `word` reads as a word of `script` (it is not checked against a
/// dictionary: this only rules out what no language writes). A Latin word is
/// Latin letters, cased like a word, with at most one non-ASCII letter in a
/// row and no more of them than ASCII ones (México, Ñandú, Zürich; not the
/// "Th«n", "TiÕn", "nöôùc" that Vietnamese bytes read as Latin-1 give); a
/// number with a unit sign also passes. CJK words are ideographs with kana, or Hangul,
/// without other scripts' letters between them; half-width katakana (what
/// Shift_JIS makes of most Chinese bytes) does not pass.
pub fn is_plausible_word(word: &str, script: Script) -> bool {
    if word.is_empty() || is_broken(word) {
        return false;
    }
    if script == Script::Cjk {
        // ASCII letters may lead ("A栋", "B1区"), not follow CJK text.
        let first_cjk = word.find(|c: char| !c.is_ascii()).unwrap_or(0);
        if word[first_cjk..].chars().any(|c| c.is_ascii_alphabetic()) {
            return false;
        }
        let (mut han_kana, mut hangul) = (false, false);
        for c in word.chars().filter(|c| !c.is_ascii_alphanumeric()) {
            match c {
                '\u{3000}'..='\u{303F}' | '\u{FF01}'..='\u{FF60}' => {}
                '\u{3040}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}' => han_kana = true,
                '\u{AC00}'..='\u{D7AF}' => hangul = true,
                _ => return false,
            }
        }
        return han_kana != hangul;
    }
    if (word.chars().any(|c| c.is_ascii_digit()) || word.ends_with(['²', '³']))
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || MEASURES.contains(c))
        && word.chars().filter(|c| MEASURES.contains(*c)).count() == 1
    {
        return true;
    }
    let letters: Vec<char> = word.chars().filter(|c| !c.is_ascii_digit()).collect();
    if letters.is_empty() || !letters.iter().all(|&c| is_latin_letter(c)) {
        return false;
    }
    let foreign = letters.iter().filter(|c| !c.is_ascii()).count();
    let adjacent = letters
        .windows(2)
        .any(|p| !p[0].is_ascii() && !p[1].is_ascii());
    cased_like_a_word(&letters) && !adjacent && foreign * 2 <= letters.len().max(2)
}

/// How well a word reads as Latin: 1 for a plausible word, 0 for an
/// implausible one, and 0.5 for a plausible one with an ASCII vowel right
/// before an accented vowel ("taøn", "Nguyeãn"): real words have that
/// (país, João, où), but it is what VNI bytes read as Latin-1 look like.
pub fn latin_weight(word: &str) -> f32 {
    if !is_plausible_word(word, Script::Latin) {
        return 0.0;
    }
    let vowel = |c: char| {
        let mut base = None;
        unicode_normalization::char::decompose_canonical(c, |d| {
            base.get_or_insert(d);
        });
        base.is_some_and(|b| "aeiouyAEIOUYøØæÆœŒ".contains(b))
    };
    let chars: Vec<char> = word.chars().collect();
    let suspicious = chars
        .windows(2)
        .any(|p| p[0].is_ascii() && vowel(p[0]) && !p[1].is_ascii() && vowel(p[1]));
    if suspicious { 0.5 } else { 1.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables() {
        for word in [
            "Đất",
            "NGUYỄN",
            "khuỷu",
            "người",
            "quyết",
            "giữa",
            "xoong",
            "thuở",
            "kỹ",
            "“Hồ”",
        ] {
            assert!(is_vietnamese_syllable(word, false), "{word}");
        }
        for word in [
            "Vieọt", "ủaỏt", "laø", "Hµ", "ñan", "Ǹam", "lat", "ĭt", "\u{FFFD}", "oo", "nghúa",
            "HơÌ", "ĐấT", "ce", "ka", "ngi",
        ] {
            assert!(!is_vietnamese_syllable(word, false), "{word}");
        }
        // TCVN3 capitals decode as lowercase toned letters.
        assert!(is_vietnamese_syllable("ĐấT", true));
    }

    #[test]
    fn plausible_words() {
        for word in [
            "México", "Côte", "Ivoire", "Ñandú", "São", "Zürich", "Köln", "m²", "25°", "à",
        ] {
            assert!(is_plausible_word(word, Script::Latin), "{word}");
        }
        for word in [
            "Th«n",
            "V\u{AD}¬ng",
            "V¨n",
            "TiÕn",
            "n\u{AD}íc",
            "nöôùc",
            "§ång",
            "Tiªn",
            "Hµ",
            "±±¾©ÊÐ",
        ] {
            assert!(!is_plausible_word(word, Script::Latin), "{word}");
        }
        assert!(!is_plausible_word("Ελλάδα", Script::Latin));
        assert!(is_plausible_word("北京市", Script::Cjk));
        assert!(is_plausible_word("3号楼", Script::Cjk));
        assert!(is_plausible_word("서울", Script::Cjk));
        assert!(!is_plausible_word("ｱｱｾｩﾊﾐ", Script::Cjk));
        assert!(!is_plausible_word("北京\u{FFFD}", Script::Cjk));
        assert!(!is_plausible_word("Vi閱t", Script::Cjk));
        assert_eq!(latin_weight("México"), 1.0);
        assert_eq!(latin_weight("João"), 0.5);
        assert_eq!(latin_weight("taøn"), 0.5);
        assert_eq!(latin_weight("Th«n"), 0.0);
        assert_eq!(
            non_ascii_words("Thôn 3, xã Tân-Tiến (m²)").collect::<Vec<_>>(),
            ["Thôn", "xã", "Tân", "Tiến", "m²"]
        );
    }
}
