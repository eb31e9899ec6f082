//! Guessing the encoding of text a file does not declare.
//!
//! Each candidate decodes the samples, and each word with non-ASCII text
//! counts for the candidate that explains it: a Vietnamese table by a valid
//! Vietnamese syllable, Windows-1252 by a plausible Latin word (or a
//! syllable: Latin-1 holds some), the CJK encodings (tried when the bytes
//! have runs of high bytes) by ideographs, kana or Hangul. A word the
//! decoding breaks (U+FFFD, a control character) counts against it. Other
//! scripts' code pages (Cyrillic, Greek, ...) are not guessed: their bytes
//! also read as plausible Vietnamese-table or Latin-1 text too often; such
//! files declare them (.cpg, LDID) or the user chooses.
//!
//! A legacy Vietnamese table wins only when it explains clearly more words
//! than the best other candidate (more, and by a quarter): Latin-1 names
//! like México, Côte d'Ivoire or Ñandú decode under TCVN3 to non-syllables
//! (Mộxico, Cụte, ẹandỳ) and stay Latin-1. Ties go to the candidate listed
//! first: Windows-1252, then GBK, Big5, Shift_JIS, EUC-KR; among the
//! Vietnamese tables TCVN3, VNI, Windows-1258.

use super::words::{
    Script, is_broken, is_plausible_word, is_vietnamese_syllable, latin_weight, non_ascii_words,
};
use super::{LegacyEncoding, TextEncoding};

/// The outcome of [`detect`].
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub encoding: TextEncoding,
    /// 0..=1: how much of the text the winner explains, and by how much it
    /// leads the runner-up.
    pub confidence: f32,
    /// Words with non-ASCII text in the samples (as the winner decodes them).
    pub words: usize,
    /// Every candidate tried with its score (words explained, minus broken).
    pub scores: Vec<(TextEncoding, f32)>,
}

/// What a candidate's words are judged as.
#[derive(Clone, Copy, PartialEq)]
enum Judge {
    Vietnamese { capitals_lost: bool },
    Script(Script),
}

fn candidates(cjk: bool) -> Vec<(TextEncoding, Judge)> {
    let mut out = vec![(TextEncoding::WINDOWS_1252, Judge::Script(Script::Latin))];
    if cjk {
        for e in [
            encoding_rs::GBK,
            encoding_rs::BIG5,
            encoding_rs::SHIFT_JIS,
            encoding_rs::EUC_KR,
        ] {
            out.push((TextEncoding::Whatwg(e), Judge::Script(Script::Cjk)));
        }
    }

    for l in LegacyEncoding::ALL {
        let capitals_lost = l == LegacyEncoding::Tcvn3;
        out.push((TextEncoding::Legacy(l), Judge::Vietnamese { capitals_lost }));
    }
    out
}

/// Words explained minus words broken, and the number of words. None for
/// a CJK encoding that cannot decode every byte: text really in it has no
/// invalid sequences, while other text (Vietnamese, Latin-1) almost always has.
fn score(samples: &[&[u8]], encoding: TextEncoding, judge: Judge) -> Option<(f32, usize)> {
    let (mut score, mut words) = (0.0, 0);
    for sample in samples {
        let decoded = encoding.decode(sample);
        if decoded.replaced > 0 && judge == Judge::Script(Script::Cjk) {
            return None;
        }
        let text = decoded.text;
        for word in non_ascii_words(&text) {
            words += 1;
            let explained = |yes: bool| if yes { 1.0 } else { 0.0 };
            score += match judge {
                _ if is_broken(word) => -1.0,
                Judge::Vietnamese { capitals_lost } => {
                    explained(is_vietnamese_syllable(word, capitals_lost))
                }
                Judge::Script(Script::Latin) if is_vietnamese_syllable(word, false) => 1.0,
                Judge::Script(Script::Latin) => latin_weight(word),
                Judge::Script(script) => explained(is_plausible_word(word, script)),
            };
        }
    }
    Some((score, words))
}

/// Whether a Vietnamese table's score beats another's clearly.
pub(super) fn clearly_more(vietnamese: f32, other: f32) -> bool {
    vietnamese > other && vietnamese >= 1.25 * other
}

/// Guesses the encoding of raw attribute text. None when every sample is
/// ASCII. Valid UTF-8 is taken as UTF-8: legacy bytes practically never form
/// valid multi-byte sequences by accident.
pub fn detect(samples: &[&[u8]]) -> Option<Detection> {
    if samples.iter().all(|s| s.is_ascii()) {
        return None;
    }
    if samples.iter().all(|s| std::str::from_utf8(s).is_ok()) {
        return Some(Detection {
            encoding: TextEncoding::Utf8,
            confidence: 1.0,
            words: samples
                .iter()
                .map(|s| non_ascii_words(std::str::from_utf8(s).unwrap_or("")).count())
                .sum(),
            scores: vec![],
        });
    }
    // Double-byte CJK text has runs of high bytes; Latin-1 rarely does.
    let cjk = samples
        .iter()
        .any(|s| s.windows(2).any(|w| w[0] >= 0x81 && w[1] >= 0x81));
    let scored: Vec<(TextEncoding, Judge, f32, usize)> = candidates(cjk)
        .into_iter()
        .filter_map(|(e, j)| {
            let (s, n) = score(samples, e, j)?;
            Some((e, j, s, n))
        })
        .collect();
    let best = |vietnamese: bool| {
        scored
            .iter()
            .filter(|c| matches!(c.1, Judge::Vietnamese { .. }) == vietnamese)
            // Stable: the first of equal scores wins.
            .fold(
                None,
                |best: Option<&(TextEncoding, Judge, f32, usize)>, c| match best {
                    Some(b) if b.2 >= c.2 => Some(b),
                    _ => Some(c),
                },
            )
            .expect("both groups have candidates")
    };
    let (vietnamese, other) = (best(true), best(false));
    let winner = if clearly_more(vietnamese.2, other.2) {
        vietnamese
    } else {
        other
    };
    let runner_up = scored
        .iter()
        .filter(|c| c.0 != winner.0)
        .map(|c| c.2)
        .fold(0.0f32, f32::max);
    let share = winner.2.max(0.0) / winner.3.max(1) as f32;
    let lead = if winner.2 > 0.0 {
        (winner.2 - runner_up) / winner.2
    } else {
        0.0
    };
    Some(Detection {
        encoding: winner.0,
        confidence: ((share + lead) / 2.0).clamp(0.0, 1.0),
        words: winner.3,
        scores: scored.iter().map(|c| (c.0, c.2)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::encoding::encode;

    const SENTENCES: [&str; 5] = [
        "Đất chuyên trồng lúa nước",
        "Ủy ban nhân dân xã Tân Tiến",
        "Cột ngụy trang",
        "Thửa đất số 15, tờ bản đồ số 3",
        "Đường Nguyễn Văn Cừ, phường Hồng Hải",
    ];

    fn detected(samples: &[Vec<u8>]) -> Detection {
        let refs: Vec<&[u8]> = samples.iter().map(Vec::as_slice).collect();
        detect(&refs).expect("non-ASCII samples")
    }

    #[test]
    fn vietnamese_tables_are_found() {
        for l in LegacyEncoding::ALL {
            let samples: Vec<Vec<u8>> = SENTENCES.iter().map(|s| encode(s, l).unwrap()).collect();
            let d = detected(&samples);
            assert_eq!(d.encoding, TextEncoding::Legacy(l), "{d:?}");
            assert!(d.confidence > 0.5, "{l}: {d:?}");
        }
        // All-capital TCVN3 (typed in .VnTimeH) and 1258 with a decomposed á.
        let capitals = encode("ĐẤT TRỒNG LÚA NƯỚC", LegacyEncoding::Tcvn3).unwrap();
        assert_eq!(
            detected(&[capitals]).encoding,
            TextEncoding::Legacy(LegacyEncoding::Tcvn3)
        );
        let decomposed = b"\xD0\xE2\xECt chuy\xEAn tr\xF4\xCCng lu\xECa".to_vec();
        assert_eq!(
            detected(&[decomposed]).encoding,
            TextEncoding::Legacy(LegacyEncoding::Windows1258)
        );
    }

    #[test]
    fn latin1_names_stay_latin1() {
        let samples: Vec<Vec<u8>> = crate::io::encoding::LATIN1_NAMES
            .iter()
            .map(|n| TextEncoding::WINDOWS_1252.encode(n).unwrap())
            .collect();
        let d = detected(&samples);
        assert_eq!(d.encoding, TextEncoding::WINDOWS_1252, "{d:?}");
        for one in &samples {
            assert_eq!(
                detected(std::slice::from_ref(one)).encoding,
                TextEncoding::WINDOWS_1252,
                "{}",
                TextEncoding::WINDOWS_1252.decode(one).text
            );
        }
    }

    #[test]
    fn chinese() {
        let gbk = TextEncoding::Whatwg(encoding_rs::GBK);
        let samples = ["北京市", "上海市浦东新区", "广州市天河区"].map(|s| gbk.encode(s).unwrap());
        assert_eq!(detected(&samples).encoding, gbk);
    }

    #[test]
    fn ascii_and_utf8() {
        assert_eq!(detect(&[]), None);
        assert_eq!(detect(&[b"Thua dat so 15", b"", b"LUA"]), None);
        let utf8: Vec<&[u8]> = SENTENCES.iter().map(|s| s.as_bytes()).collect();
        assert_eq!(detect(&utf8).unwrap().encoding, TextEncoding::Utf8);
        assert_eq!(
            detect(&["Diện tích 120 m²".as_bytes()]).unwrap().encoding,
            TextEncoding::Utf8
        );
    }
}
