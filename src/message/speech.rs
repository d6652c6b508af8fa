//! What a voice call says: the code read slowly, symbol by symbol, twice, in a way a
//! person can write down.
//!
//! Digits are read as digits. Letters are read with a word that cannot be misheard:
//! the NATO spelling alphabet in English ("K as in kilo"), and in Japanese the letter's
//! name after the same word in katakana ("キロのケー"), because letter names alone
//! rhyme (B, D, E, P, T, V in English; ビー and ピー in Japanese). The confusable-free
//! alphabet already leaves out 0, O, 1, I and L.

use std::fmt;
use std::fmt::Write as _;

use super::Locale;

/// One symbol as spoken: the words, and a pronunciation key (lowercase ASCII) that
/// tests compare to show no two symbols sound alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spoken {
    /// What is said.
    pub words: &'static str,
    /// How it sounds, romanised, for comparing symbols.
    pub sound: &'static str,
}

const fn spoken(words: &'static str, sound: &'static str) -> Spoken {
    Spoken { words, sound }
}

/// English: digits by name; letters by the NATO spelling alphabet.
fn english(symbol: char) -> Option<Spoken> {
    Some(match symbol {
        '2' => spoken("two", "tuu"),
        '3' => spoken("three", "thrii"),
        '4' => spoken("four", "foor"),
        '5' => spoken("five", "faiv"),
        '6' => spoken("six", "siks"),
        '7' => spoken("seven", "sevn"),
        '8' => spoken("eight", "eit"),
        '9' => spoken("nine", "nain"),
        'A' => spoken("A as in alfa", "ei az in alfa"),
        'B' => spoken("B as in bravo", "bii az in bravo"),
        'C' => spoken("C as in charlie", "sii az in charli"),
        'D' => spoken("D as in delta", "dii az in delta"),
        'E' => spoken("E as in echo", "ii az in eko"),
        'F' => spoken("F as in foxtrot", "ef az in fokstrot"),
        'G' => spoken("G as in golf", "jii az in golf"),
        'H' => spoken("H as in hotel", "eich az in hotel"),
        'J' => spoken("J as in juliett", "jei az in juliet"),
        'K' => spoken("K as in kilo", "kei az in kilo"),
        'M' => spoken("M as in mike", "em az in maik"),
        'N' => spoken("N as in november", "en az in november"),
        'P' => spoken("P as in papa", "pii az in papa"),
        'Q' => spoken("Q as in quebec", "kyuu az in kebek"),
        'R' => spoken("R as in romeo", "ar az in romio"),
        'S' => spoken("S as in sierra", "es az in siera"),
        'T' => spoken("T as in tango", "tii az in tango"),
        'U' => spoken("U as in uniform", "yuu az in yuniform"),
        'V' => spoken("V as in victor", "vii az in viktor"),
        'W' => spoken("W as in whiskey", "dabelyu az in wiski"),
        'X' => spoken("X as in x-ray", "eks az in eksrei"),
        'Y' => spoken("Y as in yankee", "wai az in yanki"),
        'Z' => spoken("Z as in zulu", "zii az in zuulu"),
        _ => return None,
    })
}

/// Japanese: digits by their usual phone readings (9 as キュウ; Q is said with its
/// word, so the two stay apart); letters as "<word>の<name>".
fn japanese(symbol: char) -> Option<Spoken> {
    Some(match symbol {
        '2' => spoken("ニ", "ni"),
        '3' => spoken("サン", "san"),
        '4' => spoken("ヨン", "yon"),
        '5' => spoken("ゴ", "go"),
        '6' => spoken("ロク", "roku"),
        '7' => spoken("ナナ", "nana"),
        '8' => spoken("ハチ", "hachi"),
        '9' => spoken("キュウ", "kyuu"),
        'A' => spoken("アルファのエー", "arufa no ee"),
        'B' => spoken("ブラボーのビー", "burabo no bii"),
        'C' => spoken("チャーリーのシー", "chaarii no shii"),
        'D' => spoken("デルタのディー", "deruta no dii"),
        'E' => spoken("エコーのイー", "ekoo no ii"),
        'F' => spoken("フォックストロットのエフ", "fokkusutorotto no efu"),
        'G' => spoken("ゴルフのジー", "gorufu no jii"),
        'H' => spoken("ホテルのエイチ", "hoteru no eichi"),
        'J' => spoken("ジュリエットのジェイ", "jurietto no jei"),
        'K' => spoken("キロのケー", "kiro no kee"),
        'M' => spoken("マイクのエム", "maiku no emu"),
        'N' => spoken("ノベンバーのエヌ", "nobenbaa no enu"),
        'P' => spoken("パパのピー", "papa no pii"),
        'Q' => spoken("ケベックのキュー", "kebekku no kyuu"),
        'R' => spoken("ロミオのアール", "romio no aaru"),
        'S' => spoken("シエラのエス", "shiera no esu"),
        'T' => spoken("タンゴのティー", "tango no tii"),
        'U' => spoken("ユニフォームのユー", "yunifoomu no yuu"),
        'V' => spoken("ビクターのブイ", "bikutaa no bui"),
        'W' => spoken("ウイスキーのダブリュー", "uisukii no daburyuu"),
        'X' => spoken("エックスレイのエックス", "ekkusurei no ekkusu"),
        'Y' => spoken("ヤンキーのワイ", "yankii no wai"),
        'Z' => spoken("ズールーのゼット", "zuuruu no zetto"),
        _ => return None,
    })
}

/// How `symbol` is said in `locale`; `None` for a symbol with no reading (the
/// built-in alphabets all have one).
#[must_use]
pub fn spoken_symbol(symbol: char, locale: Locale) -> Option<Spoken> {
    let symbol = symbol.to_ascii_uppercase();
    match locale {
        Locale::En => english(symbol),
        Locale::Ja => japanese(symbol),
    }
}

/// What a verification call says, as plain text and as SSML. It holds the code:
/// `Debug` is redacted and there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Speech {
    plain: String,
    ssml: String,
    locale: Locale,
}

impl fmt::Debug for Speech {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Speech")
            .field("locale", &self.locale)
            .finish_non_exhaustive()
    }
}

/// A symbol with no reading in the chosen language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a symbol of the code has no spoken form in this language")]
pub struct Unspeakable;

impl Speech {
    /// The call for `code` from `brand`, in `locale`: an introduction, the code symbol
    /// by symbol with pauses, then the code once more.
    ///
    /// # Errors
    /// [`Unspeakable`] when a symbol has no reading (custom alphabets only).
    pub fn render(code: &str, brand: &str, locale: Locale) -> Result<Self, Unspeakable> {
        let words: Vec<&str> = code
            .chars()
            .map(|c| spoken_symbol(c, locale).map(|s| s.words).ok_or(Unspeakable))
            .collect::<Result<_, _>>()?;
        let brand = brand_text(brand);
        let (intro, again, bye, separator) = match locale {
            Locale::En => (
                format!("This is {brand}. Your verification code is:"),
                "Once more:",
                "Goodbye.",
                ", ",
            ),
            Locale::Ja => (
                format!("{brand}です。認証コードをお知らせします。"),
                "もう一度繰り返します。",
                "以上です。",
                "、",
            ),
        };
        let code_plain = words.join(separator);
        let plain = match locale {
            Locale::En => format!("{intro} {code_plain}. {again} {code_plain}. {bye}"),
            // Japanese runs sentences together, each closed by "。", with no spaces.
            Locale::Ja => format!("{intro}{code_plain}。{again}{code_plain}。{bye}"),
        };
        let mut ssml = String::from("<speak>");
        let _ = write!(ssml, "{}<break time=\"700ms\"/>", xml_escape(&intro));
        for round in [None, Some(again)] {
            if let Some(again) = round {
                let _ = write!(ssml, "{}<break time=\"700ms\"/>", xml_escape(again));
            }
            ssml.push_str("<prosody rate=\"slow\">");
            for word in &words {
                let _ = write!(ssml, "{}<break time=\"600ms\"/>", xml_escape(word));
            }
            ssml.push_str("</prosody>");
        }
        let _ = write!(ssml, "{}</speak>", xml_escape(bye));
        Ok(Self {
            plain,
            ssml,
            locale,
        })
    }

    /// The words as plain text (for providers without SSML, and the console). Holds
    /// the code.
    #[must_use]
    pub fn expose_plain(&self) -> &str {
        &self.plain
    }

    /// The words as SSML: slow, with a pause after each symbol. Holds the code.
    #[must_use]
    pub fn expose_ssml(&self) -> &str {
        &self.ssml
    }

    /// The language spoken.
    #[must_use]
    pub fn locale(&self) -> Locale {
        self.locale
    }
}

/// The brand, without characters that would change the markup or the sentence.
fn brand_text(brand: &str) -> String {
    brand
        .chars()
        .filter(|c| !c.is_control())
        .take(32)
        .collect::<String>()
        .trim()
        .to_owned()
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}
