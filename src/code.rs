//! Codes: confusable-free alphabets, unbiased generation, forgiving input.
//!
//! This module answers two questions: which codes may we send, and what did the person
//! mean to type?
//!
//! # Alphabets
//!
//! An [`Alphabet`] is a set of printable ASCII symbols. [`Alphabet::new`] refuses sets
//! that put two look-alikes side by side, because a person who reads `0` and types `O`
//! has not guessed wrong, the alphabet has. The look-alike groups are:
//!
//! | group | members | typed input folded onto the member the alphabet holds |
//! |---|---|---|
//! | round | `0` `O` (`o`) | yes |
//! | stroke | `1` `I` (`i`) `L` (`l`) `\|` | yes |
//! | round tail | `Q` against `0` or `O`, `D` against `0` or `O` | no (refused, never folded) |
//!
//! Letters count in both cases, so `o` and `0` are a pair too. An alphabet may hold at
//! most one member of the round group and one of the stroke group, and neither `Q` nor
//! `D` beside a member of the round group. `Q` and `D` together are fine: they only
//! look like `0`/`O` in small type, not like each other, and folding a typed `O` onto
//! either would be a coin toss, so they are refused next to `0`/`O` but never folded.
//!
//! The pairs `5`/`S`, `2`/`Z`, `8`/`B`, `6`/`G` and `U`/`V` are allowed: they are
//! distinct in the fonts phones use for SMS, and the [`Alphabet::alphanumeric`] preset
//! (digits 2-9 and the capitals without `I`, `L` and `O`) keeps them for its 31 symbols.
//! [`Alphabet::new_allowing_confusables`] skips the look-alike check for apps that must
//! keep a legacy set. Plain decimal `0123456789` needs no opt-in: it holds one member of
//! each group, so a typed `O` becomes `0` and a typed `l` becomes `1`.
//!
//! # Generation
//!
//! [`CodeSpec::generate`] draws from `rand::rng()`, a ChaCha12 generator seeded and
//! periodically reseeded from the operating system. Each random byte becomes a symbol
//! through [`Alphabet::symbol_for_byte`], which rejects the top `256 % k` byte values so
//! that every symbol has exactly `256 / k` pre-images: no modulo bias. A spec that needs
//! a digit draws whole codes again until one has a digit, which keeps the result
//! uniform over the codes that qualify (patching a digit in would not).
//!
//! # Normalisation
//!
//! [`CodeSpec::normalise`] turns what a person typed into the code they meant, or says
//! [`Malformed`] (which costs the person no attempt). In order, per character:
//!
//! 1. Full-width ASCII `U+FF01..=U+FF5E` becomes `U+0021..=U+007E` by subtraction, and
//!    the ideographic space `U+3000` becomes a space. Japanese keyboards type these.
//!    This is a fixed arithmetic mapping, not Unicode NFKC, so no other compatibility
//!    character (such as `①` or `ｱ`) sneaks in.
//! 2. Separators are dropped: spaces (space, tab, `U+00A0`, `U+2007`, `U+2009`,
//!    `U+202F`), hyphens and dashes (`-`, `U+2010..=U+2015`, `U+2212` minus, `U+30FC`
//!    `ー` and `U+FF70` `ｰ`, which a Japanese IME types for the `-` key) and dots (`.`,
//!    `U+3002` `。` and `U+FF61` `｡`, the IME's `.`).
//! 3. Letters are folded onto the case the alphabet holds, and look-alikes onto the one
//!    member of their group the alphabet holds (`o`, `O` to `0`; `i`, `I`, `l`, `L`,
//!    `|` to `1`, and the other way round for an alphabet holding `O` or `I`).
//! 4. Anything else is [`Malformed`]: other scripts' digits (`٣`, `३`), emoji, control
//!    characters (line breaks included), symbols outside the alphabet, the wrong number
//!    of symbols, a code of a spec that needs a digit with no digit in it, and any input
//!    over [`MAX_INPUT_BYTES`], which is refused before it is read.

use std::fmt;

use rand::CryptoRng;
use zeroize::Zeroizing;

/// The longest input, in bytes, that [`CodeSpec::normalise`] reads. Longer input is
/// [`Malformed`] at once, so a megabyte of junk costs no more than a short one.
///
/// It leaves room for the longest code ([`MAX_LENGTH`]) typed in full-width characters
/// with a separator after each (32 × 6 bytes), plus some spaces.
pub const MAX_INPUT_BYTES: usize = 256;

/// The longest code a [`CodeSpec`] allows. Longer codes are not typed by people.
pub const MAX_LENGTH: usize = 32;

/// The fewest distinct codes a [`CodeSpec`] may have without
/// [`allow_weak`](CodeSpecBuilder::allow_weak): 10^6, six decimal digits, about 20 bits
/// (NIST SP 800-63B "six decimal digits or equivalent", OWASP ASVS v5 6.5.4).
pub const MIN_SPACE: u64 = 1_000_000;

/// Why an [`Alphabet`] or a [`CodeSpec`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodeSpecError {
    /// A symbol is not printable ASCII (`!` to `~`).
    #[error("alphabet symbol {0:?} is not printable ASCII")]
    NotAsciiGraphic(char),
    /// A symbol is a separator that normalisation drops (`-` or `.`), so it could never
    /// be typed back.
    #[error("alphabet symbol {0:?} is a separator that input normalisation drops")]
    Separator(char),
    /// A symbol appears twice.
    #[error("alphabet symbol {0:?} appears twice")]
    Duplicate(char),
    /// A letter appears in both cases; input is case-folded, so they are one symbol.
    #[error("alphabet holds the letter {0:?} in both cases; input is case-folded")]
    BothCases(char),
    /// Two symbols are look-alikes (see the [module docs](self)).
    #[error(
        "alphabet symbols {0:?} and {1:?} look alike; use Alphabet::new_allowing_confusables to insist"
    )]
    Confusable(char, char),
    /// Fewer than two symbols.
    #[error("alphabet needs at least 2 symbols, got {0}")]
    TooFewSymbols(usize),
    /// The code length is 0 or over [`MAX_LENGTH`].
    #[error("code length must be 1 to 32, got {0}")]
    Length(usize),
    /// A digit is required but the alphabet has none.
    #[error("a digit is required but the alphabet has no digit; call require_digit(false)")]
    NoDigit,
    /// The spec has fewer than [`MIN_SPACE`] codes.
    #[error(
        "only {space} possible codes, under the 10^6 (20-bit) minimum; call allow_weak() to accept that"
    )]
    TooWeak {
        /// How many codes the spec has.
        space: u64,
    },
}

/// The input could not be a code of this spec. It never matches and costs no attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("input is not a well-formed code")]
pub struct Malformed;

/// Look-alike groups that are refused together and folded onto each other on input.
/// Upper case only: letters are matched without regard to case.
const FOLD_GROUPS: [&[u8]; 2] = [b"0O", b"1IL|"];

/// Pairs refused together but never folded (see the module docs for why).
const REFUSED_PAIRS: [(u8, u8); 4] = [(b'Q', b'0'), (b'Q', b'O'), (b'D', b'0'), (b'D', b'O')];

/// A set of code symbols, with the table that folds typed input onto them.
#[derive(Clone, PartialEq, Eq)]
pub struct Alphabet {
    symbols: Box<str>,
    /// For each ASCII byte a person may type: the symbol it stands for, or 0.
    fold: [u8; 128],
    /// For each random byte: the symbol it draws, or 0 when rejected (see
    /// [`symbol_for_byte`](Self::symbol_for_byte)). A table, because the two divisions
    /// by the alphabet's size per byte were about 40% of generating a code (4.9% of a
    /// native `start` profile before, 3.0% after).
    draw: [u8; 256],
    digits: usize,
}

impl Alphabet {
    /// Digits 2-9 and capitals without I, L and O: 31 symbols
    /// (`23456789ABCDEFGHJKMNPQRSTUVWXYZ`). Six of them with one digit at least give
    /// about 29.5 bits.
    #[must_use]
    pub fn alphanumeric() -> Self {
        Self::build("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
    }

    /// Digits 2-9 (`23456789`), for keypads. Seven of them give 21 bits.
    #[must_use]
    pub fn digits() -> Self {
        Self::build("23456789")
    }

    /// An alphabet of `symbols`, in the order given.
    ///
    /// # Errors
    /// [`CodeSpecError`] when a symbol is not printable ASCII, is `-` or `.`, repeats,
    /// is a letter also present in the other case, or looks like another symbol (see
    /// the [module docs](self)); or when there are fewer than two symbols.
    pub fn new(symbols: &str) -> Result<Self, CodeSpecError> {
        Self::check_basic(symbols)?;
        Self::check_confusables(symbols.as_bytes())?;
        Ok(Self::build(symbols))
    }

    /// Like [`Alphabet::new`], but look-alikes may stand side by side. Input is then
    /// folded only within groups where the alphabet holds a single member.
    ///
    /// # Errors
    /// [`CodeSpecError`] when a symbol is not printable ASCII, is `-` or `.`, repeats or
    /// is a letter also present in the other case; or when there are fewer than two.
    pub fn new_allowing_confusables(symbols: &str) -> Result<Self, CodeSpecError> {
        Self::check_basic(symbols)?;
        Ok(Self::build(symbols))
    }

    /// The symbols, in order.
    #[must_use]
    pub fn symbols(&self) -> &str {
        &self.symbols
    }

    /// Maps one uniformly random byte to a symbol, or `None` when the byte falls in
    /// the rejected top `256 % k` values (k = number of symbols) and the caller must
    /// draw another. Every symbol has exactly `256 / k` accepting bytes, so accepted
    /// output is uniform. This is the whole of the sampling step of
    /// [`CodeSpec::generate_with`], public so that claim can be checked exhaustively.
    #[must_use]
    pub fn symbol_for_byte(&self, byte: u8) -> Option<char> {
        let drawn = self.draw[usize::from(byte)];
        (drawn != 0).then(|| char::from(drawn))
    }

    /// The draw table: byte `b` below the zone draws symbol `b % k`; the top `256 % k`
    /// bytes draw nothing. Symbols are ASCII graphic, so 0 is never one.
    fn draw_table(symbols: &[u8]) -> [u8; 256] {
        let k = symbols.len();
        // k is 2..=94 by construction, so the zone is never 0.
        let zone = 256 - 256 % k;
        std::array::from_fn(|b| {
            if b < zone {
                symbols.get(b % k).copied().unwrap_or(0)
            } else {
                0
            }
        })
    }

    fn check_basic(symbols: &str) -> Result<(), CodeSpecError> {
        let mut seen = [false; 128];
        let mut count = 0usize;
        for c in symbols.chars() {
            if !c.is_ascii_graphic() {
                return Err(CodeSpecError::NotAsciiGraphic(c));
            }
            if c == '-' || c == '.' {
                return Err(CodeSpecError::Separator(c));
            }
            let b = c as u8;
            if seen[usize::from(b)] {
                return Err(CodeSpecError::Duplicate(c));
            }
            let other = if b.is_ascii_lowercase() {
                b.to_ascii_uppercase()
            } else {
                b.to_ascii_lowercase()
            };
            if other != b && seen[usize::from(other)] {
                return Err(CodeSpecError::BothCases(c));
            }
            seen[usize::from(b)] = true;
            count += 1;
        }
        if count < 2 {
            return Err(CodeSpecError::TooFewSymbols(count));
        }
        Ok(())
    }

    /// Assumes [`check_basic`](Self::check_basic) passed, so all bytes are ASCII.
    fn check_confusables(symbols: &[u8]) -> Result<(), CodeSpecError> {
        let find = |upper: u8| {
            symbols
                .iter()
                .find(|s| s.to_ascii_uppercase() == upper)
                .map(|&s| char::from(s))
        };
        for group in FOLD_GROUPS {
            let mut first: Option<char> = None;
            for &member in group {
                if let Some(held) = find(member) {
                    if let Some(f) = first {
                        return Err(CodeSpecError::Confusable(f, held));
                    }
                    first = Some(held);
                }
            }
        }
        for (a, b) in REFUSED_PAIRS {
            if let (Some(x), Some(y)) = (find(a), find(b)) {
                return Err(CodeSpecError::Confusable(x, y));
            }
        }
        Ok(())
    }

    /// Builds the fold table. `symbols` must have passed `check_basic`.
    fn build(symbols: &str) -> Self {
        let mut fold = [0u8; 128];
        let mut digits = 0;
        for &s in symbols.as_bytes() {
            if let Some(slot) = fold.get_mut(usize::from(s)) {
                *slot = s;
            }
            // The other case of a held letter is never held itself (check_basic).
            for other in [s.to_ascii_lowercase(), s.to_ascii_uppercase()] {
                if let Some(slot) = fold.get_mut(usize::from(other))
                    && *slot == 0
                {
                    *slot = s;
                }
            }
            if s.is_ascii_digit() {
                digits += 1;
            }
        }
        for group in FOLD_GROUPS {
            let mut held = group.iter().filter_map(|&m| {
                fold.get(usize::from(m))
                    .copied()
                    .filter(|&t| t != 0 && t.to_ascii_uppercase() == m)
            });
            let (Some(target), None) = (held.next(), held.next()) else {
                continue;
            };
            for &m in group {
                for typed in [m, m.to_ascii_lowercase()] {
                    if let Some(slot) = fold.get_mut(usize::from(typed))
                        && *slot == 0
                    {
                        *slot = target;
                    }
                }
            }
        }
        Self {
            symbols: symbols.into(),
            fold,
            draw: Self::draw_table(symbols.as_bytes()),
            digits,
        }
    }

    fn fold(&self, c: char) -> Option<u8> {
        if !c.is_ascii() {
            return None;
        }
        self.fold.get(c as usize).copied().filter(|&s| s != 0)
    }
}

impl fmt::Debug for Alphabet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Alphabet").field(&self.symbols).finish()
    }
}

/// The shape of codes: alphabet, length and whether a digit is required.
///
/// The default is 6 symbols of [`Alphabet::alphanumeric`] with at least one digit,
/// about 29.5 bits. The digit is there because browser autofill (WebOTP,
/// `autocomplete="one-time-code"`) and Android's SMS User Consent API look for a code
/// with a digit in it.
///
/// ```
/// use smsotp::{Alphabet, CodeSpec};
/// use smsotp::code::{CodeSpecError, Malformed};
///
/// // Eight digits for a keypad: 24 bits.
/// let keypad = CodeSpec::builder().alphabet(Alphabet::digits()).length(8).build()?;
/// assert!(keypad.bits() > 23.9);
///
/// // Six of those would be 8^6 = 262,144 codes: refused unless asked for.
/// let weak = CodeSpec::builder().alphabet(Alphabet::digits()).length(6).build();
/// assert_eq!(weak, Err(CodeSpecError::TooWeak { space: 262_144 }));
///
/// // What people type is forgiven where it is unambiguous.
/// let spec = CodeSpec::default();
/// assert_eq!(spec.normalise("ｋ７ｍ－２ｘｑ")?.expose(), "K7M2XQ");
/// assert_eq!(spec.normalise("k7m 2xq")?.expose(), "K7M2XQ");
/// assert_eq!(spec.normalise("K7M2X").map(|c| c.expose().to_owned()), Err(Malformed));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSpec {
    alphabet: Alphabet,
    length: usize,
    require_digit: bool,
}

impl Default for CodeSpec {
    fn default() -> Self {
        Self {
            alphabet: Alphabet::alphanumeric(),
            length: 6,
            require_digit: true,
        }
    }
}

impl CodeSpec {
    /// Starts from the default (6 of [`Alphabet::alphanumeric`], a digit required).
    pub fn builder() -> CodeSpecBuilder {
        CodeSpecBuilder {
            alphabet: Alphabet::alphanumeric(),
            length: 6,
            require_digit: true,
            allow_weak: false,
        }
    }

    /// Code length, in symbols.
    #[must_use]
    pub fn length(&self) -> usize {
        self.length
    }

    /// The code alphabet.
    #[must_use]
    pub fn alphabet(&self) -> &Alphabet {
        &self.alphabet
    }

    /// Whether every code has at least one digit.
    #[must_use]
    pub fn requires_digit(&self) -> bool {
        self.require_digit
    }

    /// log2 of the number of possible codes: `n·log2(k)`, or with a digit required
    /// `log2(k^n - (k-d)^n)` for `d` digits among `k` symbols. A guesser with `a` tries
    /// wins with odds `a / 2^bits`.
    #[must_use]
    pub fn bits(&self) -> f64 {
        let k = self.alphabet.symbols.len() as f64;
        let n = self.length as f64;
        let all = n * k.log2();
        if self.require_digit {
            let without = (k - self.alphabet.digits as f64) / k;
            // log2(k^n·(1 - ((k-d)/k)^n)), kept in logs so it never overflows.
            all + (-without.powf(n)).ln_1p() / std::f64::consts::LN_2
        } else {
            all
        }
    }

    /// The number of possible codes, or `u128::MAX` when there are more.
    fn space(&self) -> u128 {
        let k = self.alphabet.symbols.len() as u128;
        let d = self.alphabet.digits as u128;
        if !self.require_digit {
            return (0..self.length).fold(1u128, |acc, _| acc.saturating_mul(k));
        }
        // Codes with a digit, built one position at a time: a prefix that already has
        // a digit takes any symbol, one without takes a digit. Only saturating adds and
        // multiplies of non-negative numbers, so the result is exact or u128::MAX.
        let (mut with, mut without) = (0u128, 1u128);
        for _ in 0..self.length {
            with = with
                .saturating_mul(k)
                .saturating_add(without.saturating_mul(d));
            without = without.saturating_mul(k - d);
        }
        with
    }

    /// Generates a code from the thread-local CSPRNG (`rand::rng()`, ChaCha12 seeded
    /// from the operating system).
    ///
    /// # Panics
    /// If the operating system cannot supply a seed (see `rand::rng`): there is no
    /// weaker fallback.
    #[must_use]
    pub fn generate(&self) -> Code {
        self.generate_with(&mut rand::rng())
    }

    /// Generates a code from `rng`, uniformly over all codes of this spec.
    ///
    /// # Panics
    /// If `rng` is broken: a working generator needs more than 2^22 bytes for one code
    /// with odds far below 2^-1000, so a generator that stalls (say, one stuck on a
    /// byte that is always rejected) is refused rather than looped on forever.
    pub fn generate_with<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Code {
        const MAX_DRAWN: usize = 1 << 22;
        let mut bytes = Zeroizing::new([0u8; MAX_LENGTH]);
        let mut out = Code::empty();
        let mut has_digit = false;
        let mut drawn = 0;
        while drawn < MAX_DRAWN {
            // Draw only what the code still needs: one byte per symbol, plus more
            // rounds for the few that rejection sampling throws away.
            let want = self.length.saturating_sub(out.len()).clamp(1, MAX_LENGTH);
            let chunk = &mut bytes[..want];
            rng.fill_bytes(chunk);
            drawn += want;
            for &b in chunk.iter() {
                if let Some(c) = self.alphabet.symbol_for_byte(b) {
                    out.push(c);
                    has_digit |= c.is_ascii_digit();
                }
            }
            if out.len() == self.length {
                if has_digit || !self.require_digit {
                    return out;
                }
                // Draw a whole new code: keeps the output uniform over codes that
                // have a digit. `clear` keeps the capacity, so no copy is left behind.
                out.clear();
            }
        }
        panic!("the random number generator produced no usable output");
    }

    /// Turns typed input into the code it stands for (see the [module docs](self)).
    ///
    /// Runs in time bounded by [`MAX_INPUT_BYTES`] and allocates only the code.
    ///
    /// # Errors
    /// [`Malformed`] when the input cannot be a code of this spec.
    pub fn normalise(&self, input: &str) -> Result<Code, Malformed> {
        if input.len() > MAX_INPUT_BYTES {
            return Err(Malformed);
        }
        let mut out = Code::empty();
        let mut has_digit = false;
        if input.is_ascii() {
            // What nearly everyone types: ASCII symbols, maybe with spaces or hyphens.
            // Byte by byte, with the same separators and folding as the general loop.
            let mut n = 0;
            for b in input.bytes() {
                if matches!(b, b' ' | b'\t' | b'-' | b'.') {
                    continue;
                }
                // ASCII, so below 128: the fold table's index.
                let s = self.alphabet.fold[usize::from(b & 0x7f)];
                if s == 0 || n == self.length {
                    return Err(Malformed);
                }
                // n < length <= MAX_LENGTH, the array's size.
                out.symbols[n] = s;
                n += 1;
                has_digit |= s.is_ascii_digit();
            }
            if n != self.length || (self.require_digit && !has_digit) {
                return Err(Malformed);
            }
            out.len = u8::try_from(n).unwrap_or(0);
            return Ok(out);
        }
        for c in input.chars() {
            let c = fold_full_width(c);
            if is_separator(c) {
                continue;
            }
            let s = self.alphabet.fold(c).ok_or(Malformed)?;
            if out.len() == self.length {
                return Err(Malformed);
            }
            out.push(char::from(s));
            has_digit |= s.is_ascii_digit();
        }
        if out.len() != self.length || (self.require_digit && !has_digit) {
            return Err(Malformed);
        }
        Ok(out)
    }
}

/// Full-width ASCII to ASCII, ideographic space to space, by arithmetic.
fn fold_full_width(c: char) -> char {
    match u32::from(c) {
        u @ 0xFF01..=0xFF5E => char::from_u32(u - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    }
}

/// Characters people put between code symbols; see the module docs.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\u{00A0}' | '\u{2007}' | '\u{2009}' | '\u{202F}' | '-' | '\u{2010}'
            ..='\u{2015}' | '\u{2212}' | '\u{30FC}' | '\u{FF70}' | '.' | '\u{3002}' | '\u{FF61}'
    )
}

/// Builds a [`CodeSpec`]; from [`CodeSpec::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct CodeSpecBuilder {
    alphabet: Alphabet,
    length: usize,
    require_digit: bool,
    allow_weak: bool,
}

impl CodeSpecBuilder {
    /// The symbols codes are made of. Default: [`Alphabet::alphanumeric`].
    pub fn alphabet(mut self, alphabet: Alphabet) -> Self {
        self.alphabet = alphabet;
        self
    }

    /// Code length, 1 to [`MAX_LENGTH`]. Default: 6.
    pub fn length(mut self, length: usize) -> Self {
        self.length = length;
        self
    }

    /// Whether every code must hold a digit (for browser autofill and Android SMS User
    /// Consent). Default: true; an alphabet without digits needs `false` here.
    pub fn require_digit(mut self, require: bool) -> Self {
        self.require_digit = require;
        self
    }

    /// Accepts a spec with fewer than [`MIN_SPACE`] codes. Only for tests or for a
    /// second factor that is not the only one; NIST SP 800-63B asks for 10^6.
    pub fn allow_weak(mut self) -> Self {
        self.allow_weak = true;
        self
    }

    /// The spec.
    ///
    /// # Errors
    /// [`CodeSpecError::Length`] for a length outside 1 to [`MAX_LENGTH`],
    /// [`CodeSpecError::NoDigit`] when a digit is required and the alphabet has none,
    /// [`CodeSpecError::TooWeak`] under [`MIN_SPACE`] codes without
    /// [`allow_weak`](Self::allow_weak).
    pub fn build(self) -> Result<CodeSpec, CodeSpecError> {
        if self.length == 0 || self.length > MAX_LENGTH {
            return Err(CodeSpecError::Length(self.length));
        }
        if self.require_digit && self.alphabet.digits == 0 {
            return Err(CodeSpecError::NoDigit);
        }
        let spec = CodeSpec {
            alphabet: self.alphabet,
            length: self.length,
            require_digit: self.require_digit,
        };
        let space = spec.space();
        if space < u128::from(MIN_SPACE) && !self.allow_weak {
            // Under 10^6, so it fits.
            let space = u64::try_from(space).unwrap_or(u64::MAX);
            return Err(CodeSpecError::TooWeak { space });
        }
        Ok(spec)
    }
}

/// A one-time code. It has no `Display` and no `PartialEq` (compare digests, in
/// constant time, not codes), its `Debug` is redacted and its memory is zeroed on drop.
///
/// ```
/// let code = smsotp::CodeSpec::default().generate();
/// assert_eq!(format!("{code:?}"), "Code([REDACTED])");
/// assert_eq!(code.expose().len(), 6);
/// ```
///
/// A code cannot be printed by accident:
/// ```compile_fail
/// let code = smsotp::CodeSpec::default().generate();
/// println!("{code}");
/// ```
/// nor compared with `==`, which would not be constant-time:
/// ```compile_fail
/// let spec = smsotp::CodeSpec::default();
/// let same = spec.generate() == spec.generate();
/// ```
#[derive(Clone)]
pub struct Code {
    /// The symbols (ASCII, at most [`MAX_LENGTH`]), inline: a code is made on every
    /// start and check, and a heap string would cost an allocation each time.
    symbols: Zeroizing<[u8; MAX_LENGTH]>,
    len: u8,
}

impl Code {
    fn empty() -> Self {
        Self {
            symbols: Zeroizing::new([0; MAX_LENGTH]),
            len: 0,
        }
    }

    fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Appends an ASCII symbol; callers stop at the spec's length (at most
    /// [`MAX_LENGTH`]), and anything past the end is dropped rather than panicking.
    fn push(&mut self, c: char) {
        let at = self.len();
        if let (Some(slot), Ok(b)) = (self.symbols.get_mut(at), u8::try_from(c)) {
            *slot = b;
            self.len += 1;
        }
    }

    fn clear(&mut self) {
        self.symbols.fill(0);
        self.len = 0;
    }

    /// The code's symbols as bytes, for a keyed digest (no UTF-8 check needed).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.symbols[..self.len()]
    }

    /// The code's text, for putting into the SMS body or a keyed digest.
    #[must_use]
    pub fn expose(&self) -> &str {
        // Only ASCII symbols are ever pushed, so this never fails.
        std::str::from_utf8(&self.symbols[..self.len()]).unwrap_or("")
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code([REDACTED])")
    }
}
