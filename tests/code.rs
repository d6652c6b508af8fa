//! Codes: alphabets, spec strength, unbiased generation and input normalisation,
//! through the public API only.

use std::collections::HashSet;

use proptest::prelude::*;
use rand::rand_core::UnwrapErr;
use rand::rngs::{StdRng, SysRng};
use rand::{Rng, SeedableRng};
use smsotp::code::{CodeSpecError, MAX_INPUT_BYTES, MAX_LENGTH, MIN_SPACE, Malformed};
use smsotp::{Alphabet, Code, CodeSpec};

const ALNUM: &str = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

// ---------------------------------------------------------------------------------------
// Statistics: a chi-square goodness-of-fit test with an exact p-value.
// ---------------------------------------------------------------------------------------

/// ln Γ(a) for a = df/2, a positive multiple of 1/2, from Γ(1) = 1, Γ(1/2) = √π and
/// Γ(a+1) = aΓ(a): exact up to rounding, no approximation formula needed.
fn ln_gamma_half(df: u32) -> f64 {
    let (mut a, mut acc) = if df.is_multiple_of(2) {
        (1.0, 0.0)
    } else {
        (0.5, 0.5 * std::f64::consts::PI.ln())
    };
    let target = f64::from(df) / 2.0;
    while a < target {
        acc += a.ln();
        a += 1.0;
    }
    acc
}

/// P(X ≥ x) for X ~ χ²(df): the regularised upper incomplete gamma Q(df/2, x/2), by its
/// power series below a+1 and by a continued fraction (modified Lentz) above.
fn chi_square_p_value(x: f64, df: u32) -> f64 {
    let a = f64::from(df) / 2.0;
    let x = x / 2.0;
    if x <= 0.0 {
        return 1.0;
    }
    let front = (-x + a * x.ln() - ln_gamma_half(df)).exp();
    if x < a + 1.0 {
        let (mut term, mut sum, mut n) = (1.0 / a, 1.0 / a, a);
        while term > sum * 1e-17 {
            n += 1.0;
            term *= x / n;
            sum += term;
        }
        1.0 - sum * front
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -f64::from(i) * (f64::from(i) - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        front * h
    }
}

/// The statistic above which a χ²(df) sample has probability `alpha`, by bisection.
fn chi_square_critical(df: u32, alpha: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 10.0 * f64::from(df) + 200.0);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if chi_square_p_value(mid, df) > alpha {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// Pearson's statistic for observed counts against expected probabilities.
fn chi_square(counts: &[u64], probs: &[f64]) -> f64 {
    let n: u64 = counts.iter().sum();
    counts
        .iter()
        .zip(probs)
        .map(|(&o, &p)| {
            let e = p * n as f64;
            (o as f64 - e).powi(2) / e
        })
        .sum()
}

/// The significance level: a correct generator fails one position once in a million.
const ALPHA: f64 = 1e-6;

/// Counts, per position, how often each symbol of an alphabet occurs in codes.
struct Tally {
    /// Symbol index by ASCII byte; `usize::MAX` for bytes outside the alphabet.
    index: [usize; 128],
    counts: Vec<Vec<u64>>,
}

impl Tally {
    fn new(alphabet: &str, length: usize) -> Self {
        let mut index = [usize::MAX; 128];
        for (i, b) in alphabet.bytes().enumerate() {
            index[usize::from(b)] = i;
        }
        Self {
            index,
            counts: vec![vec![0; alphabet.len()]; length],
        }
    }

    /// Panics on a code of the wrong length or with a symbol outside the alphabet.
    fn add(&mut self, code: &str) {
        assert_eq!(code.len(), self.counts.len(), "code of wrong length");
        for (pos, b) in code.bytes().enumerate() {
            let i = *self.index.get(usize::from(b)).unwrap_or(&usize::MAX);
            assert_ne!(
                i,
                usize::MAX,
                "symbol {:?} outside the alphabet",
                char::from(b)
            );
            self.counts[pos][i] += 1;
        }
    }

    /// Runs the per-position χ² test; returns the worst (smallest) p-value and its
    /// statistic. Used unchanged for the real generator and for the biased canary.
    fn worst_position(&self, probs: &[f64]) -> (f64, f64) {
        let df = u32::try_from(probs.len() - 1).unwrap();
        self.counts
            .iter()
            .map(|c| {
                let stat = chi_square(c, probs);
                (chi_square_p_value(stat, df), stat)
            })
            .fold((1.0, 0.0), |w, x| if x.0 < w.0 { x } else { w })
    }
}

/// Tallies `n` codes of `spec` from a seeded generator.
fn tally_codes(spec: &CodeSpec, seed: u64, n: usize) -> Tally {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tally = Tally::new(spec.alphabet().symbols(), spec.length());
    for _ in 0..n {
        tally.add(spec.generate_with(&mut rng).expose());
    }
    tally
}

fn uniform(k: usize) -> Vec<f64> {
    vec![1.0 / k as f64; k]
}

#[test]
fn p_value_function_matches_published_quantiles() {
    // Upper 0.1 % points from standard χ² tables.
    for (df, x) in [(9, 27.877), (10, 29.588), (30, 59.703)] {
        let p = chi_square_p_value(x, df);
        assert!((p / 1e-3 - 1.0).abs() < 0.01, "df {df}: p({x}) = {p}");
    }
    // The 1e-6 points the security reference quotes for df 9 and 31.
    for (df, x) in [(9, 44.81), (31, 83.64)] {
        let c = chi_square_critical(df, ALPHA);
        assert!((c - x).abs() < 0.05, "df {df}: critical {c}, reference {x}");
    }
    // Series and continued fraction agree where they meet, and the median of χ²(2) is 2 ln 2.
    assert!((chi_square_p_value(2.0 * 2f64.ln(), 2) - 0.5).abs() < 1e-12);
    let df = 960;
    let (below, above) = (
        chi_square_p_value(961.999, df),
        chi_square_p_value(962.001, df),
    );
    assert!((below - above).abs() < 1e-4 && below > above);
}

// ---------------------------------------------------------------------------------------
// Alphabets
// ---------------------------------------------------------------------------------------

#[test]
fn presets_hold_no_lookalikes_and_pass_their_own_checks() {
    let alnum = Alphabet::alphanumeric();
    let digits = Alphabet::digits();
    assert_eq!(alnum.symbols(), ALNUM);
    assert_eq!(alnum.symbols().len(), 31);
    assert_eq!(digits.symbols(), "23456789");
    for preset in [&alnum, &digits] {
        for bad in ['0', 'O', 'o', '1', 'I', 'i', 'l', 'L', '|'] {
            assert!(!preset.symbols().contains(bad), "{bad:?} in {preset:?}");
        }
        assert_eq!(Alphabet::new(preset.symbols()).as_ref(), Ok(preset));
    }
    // 5/S, 2/Z, 8/B, 6/G, U/V stay: distinct in common fonts.
    for pair in ["5S", "2Z", "8B", "6G", "UV", "QD"] {
        assert!(Alphabet::new(pair).is_ok(), "{pair}");
    }
}

#[test]
fn alphabet_validation_errors() {
    use CodeSpecError as E;
    let cases: &[(&str, CodeSpecError)] = &[
        ("", E::TooFewSymbols(0)),
        ("A", E::TooFewSymbols(1)),
        ("AB C", E::NotAsciiGraphic(' ')),
        ("AB\tC", E::NotAsciiGraphic('\t')),
        ("ABÇ", E::NotAsciiGraphic('Ç')),
        ("AB２", E::NotAsciiGraphic('２')),
        ("AB\u{7f}", E::NotAsciiGraphic('\u{7f}')),
        ("AB-C", E::Separator('-')),
        ("A.BC", E::Separator('.')),
        ("ABA", E::Duplicate('A')),
        ("2342", E::Duplicate('2')),
        ("ABa", E::BothCases('a')),
        ("xyzX", E::BothCases('X')),
        ("0O", E::Confusable('0', 'O')),
        ("O0", E::Confusable('0', 'O')),
        ("0o23", E::Confusable('0', 'o')),
        ("1I", E::Confusable('1', 'I')),
        ("1l", E::Confusable('1', 'l')),
        ("Li", E::Confusable('i', 'L')),
        ("1|", E::Confusable('1', '|')),
        ("I|", E::Confusable('I', '|')),
        ("Q0", E::Confusable('Q', '0')),
        ("oQ", E::Confusable('Q', 'o')),
        ("D0", E::Confusable('D', '0')),
        ("dO", E::Confusable('d', 'O')),
    ];
    for (symbols, want) in cases {
        assert_eq!(Alphabet::new(symbols).as_ref(), Err(want), "{symbols:?}");
    }
    // Decimal digits hold one member of each group: fine.
    assert!(Alphabet::new("0123456789").is_ok());
    // The explicit opt-in accepts look-alikes but nothing else that is wrong.
    let loose = Alphabet::new_allowing_confusables("0O1Il|QD23").unwrap();
    assert_eq!(loose.symbols(), "0O1Il|QD23");
    for (symbols, want) in &cases[..13] {
        assert_eq!(
            Alphabet::new_allowing_confusables(symbols).as_ref(),
            Err(want)
        );
    }
    // Error messages name the problem.
    let msg = Alphabet::new("0O").unwrap_err().to_string();
    assert!(
        msg.contains("look alike") && msg.contains("new_allowing_confusables"),
        "{msg}"
    );
}

/// Alphabets of `k` symbols for the mapping and uniformity tests.
fn alphabet_of(k: usize) -> Alphabet {
    const POOL: &str = "23456789ABCDEFGHJKMNPQRSTUVWXYZ#$%&*+=?@^_~<>";
    Alphabet::new(&POOL[..k]).unwrap()
}

#[test]
fn byte_to_symbol_mapping_has_equal_preimages() {
    for k in [2, 3, 7, 8, 10, 16, 30, 31, 32, 45] {
        let alphabet = alphabet_of(k);
        let symbols = alphabet.symbols();
        let mut preimages = vec![0u32; k];
        let mut rejected = Vec::new();
        for byte in 0..=255u8 {
            match alphabet.symbol_for_byte(byte) {
                Some(c) => preimages[symbols.find(c).expect("symbol in alphabet")] += 1,
                None => rejected.push(byte),
            }
        }
        let per_symbol = 256 / k as u32;
        assert!(
            preimages.iter().all(|&n| n == per_symbol),
            "k = {k}: pre-image counts {preimages:?}"
        );
        // Only the top 256 % k bytes are rejected: no more is thrown away than needed.
        let first_rejected = 256 - 256 % k;
        assert_eq!(rejected.len(), 256 % k, "k = {k}");
        assert!(
            rejected.iter().all(|&b| usize::from(b) >= first_rejected),
            "k = {k}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Specs and strength
// ---------------------------------------------------------------------------------------

/// k^n - (k-d)^n (or k^n), computed the direct way, independent of the library.
fn space(k: u128, d: u128, n: u32, require_digit: bool) -> u128 {
    if require_digit {
        k.pow(n) - (k - d).pow(n)
    } else {
        k.pow(n)
    }
}

#[test]
fn default_spec_is_six_alphanumerics_with_a_digit() {
    let spec = CodeSpec::default();
    assert_eq!(spec.length(), 6);
    assert!(spec.requires_digit());
    assert_eq!(spec.alphabet(), &Alphabet::alphanumeric());
    let bits = (space(31, 8, 6, true) as f64).log2();
    assert!(
        (spec.bits() - bits).abs() < 1e-9,
        "{} vs {bits}",
        spec.bits()
    );
    assert!(spec.bits() > 29.0);
    assert_eq!(CodeSpec::builder().build().unwrap(), spec);
}

#[test]
fn weak_specs_are_refused_unless_allowed() {
    let digits = Alphabet::digits();
    let decimal = Alphabet::new("0123456789").unwrap();
    let one_digit = Alphabet::new("2ABCDEFGHJKMNPQRSTUVWXYZ").unwrap();
    let build = |a: &Alphabet, n: usize, req: bool| {
        CodeSpec::builder()
            .alphabet(a.clone())
            .length(n)
            .require_digit(req)
            .build()
    };
    // (alphabet, k, digits, length, require_digit)
    let cases = [
        (&digits, 8, 8, 6, true),
        (&digits, 8, 8, 7, true),
        (&decimal, 10, 10, 5, false),
        (&decimal, 10, 10, 6, false), // exactly 10^6: the boundary passes
        (&one_digit, 24, 1, 4, true),
        (&one_digit, 24, 1, 5, true),
        (&one_digit, 24, 1, 4, false),
        (&Alphabet::alphanumeric(), 31, 8, 4, true),
        (&Alphabet::alphanumeric(), 31, 8, 5, true),
    ];
    for (alphabet, k, d, n, req) in cases {
        let want = space(k, d, n, req);
        let got = build(alphabet, n as usize, req);
        if want < u128::from(MIN_SPACE) {
            assert_eq!(
                got,
                Err(CodeSpecError::TooWeak {
                    space: u64::try_from(want).unwrap()
                }),
                "{alphabet:?} × {n}"
            );
            let weak = CodeSpec::builder()
                .alphabet(alphabet.clone())
                .length(n as usize)
                .require_digit(req)
                .allow_weak()
                .build()
                .unwrap();
            assert!(weak.bits() < 20.0);
        } else {
            let spec = got.unwrap_or_else(|e| panic!("{alphabet:?} × {n}: {e}"));
            assert!((spec.bits() - (want as f64).log2()).abs() < 1e-9);
        }
    }
    // Tiny specs are still usable once allowed, and generate what they promise.
    let tiny = CodeSpec::builder()
        .alphabet(Alphabet::new("2A").unwrap())
        .length(1)
        .allow_weak()
        .build()
        .unwrap();
    assert!(tiny.bits().abs() < 1e-12);
    assert_eq!(tiny.generate().expose(), "2");
}

#[test]
fn lengths_and_digits_are_checked() {
    for n in [0, MAX_LENGTH + 1, usize::MAX] {
        assert_eq!(
            CodeSpec::builder().length(n).build(),
            Err(CodeSpecError::Length(n))
        );
    }
    let long = CodeSpec::builder().length(MAX_LENGTH).build().unwrap();
    assert_eq!(long.generate().expose().len(), MAX_LENGTH);
    assert!(long.bits() > 158.0 && long.bits().is_finite());
    let letters = Alphabet::new("ABCDEFGHJKMNPQRSTUVWXYZ").unwrap();
    assert_eq!(
        CodeSpec::builder().alphabet(letters.clone()).build(),
        Err(CodeSpecError::NoDigit)
    );
    let spec = CodeSpec::builder()
        .alphabet(letters)
        .require_digit(false)
        .build()
        .unwrap();
    assert!(!spec.requires_digit());
}

// ---------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------

/// Codes per test in the statistical tests: 10^6 symbols per position.
const N_CODES: usize = 1_000_000;

#[test]
fn symbols_are_uniform_at_every_position() {
    for (alphabet, length, seed) in [(Alphabet::alphanumeric(), 6, 1), (alphabet_of(10), 6, 2)] {
        let k = alphabet.symbols().len();
        let spec = CodeSpec::builder()
            .alphabet(alphabet.clone())
            .length(length)
            .require_digit(false)
            .build()
            .unwrap();
        let tally = tally_codes(&spec, seed, N_CODES);
        for (pos, c) in tally.counts.iter().enumerate() {
            assert!(
                c.iter().all(|&n| n > 0),
                "k = {k}: a symbol never occurs at {pos}"
            );
        }
        let (p, stat) = tally.worst_position(&uniform(k));
        assert!(
            p >= ALPHA,
            "k = {k}: χ² = {stat:.1} (p = {p:.2e}) over critical {:.1}",
            chi_square_critical(k as u32 - 1, ALPHA)
        );
    }
}

#[test]
fn biased_canary_fails_the_same_test() {
    // `byte % k` without rejection: the bug of otp-generator and friends. k = 32 would
    // be unbiased (it divides 256), so the canary uses sizes that do not.
    for k in [10usize, 31] {
        let mut rng = StdRng::seed_from_u64(3);
        let symbols = &"23456789ABCDEFGHJKMNPQRSTUVWXYZ"[..k];
        let mut tally = Tally::new(symbols, 6);
        for _ in 0..N_CODES {
            let mut bytes = [0u8; 6];
            rng.fill_bytes(&mut bytes);
            for b in &mut bytes {
                *b = symbols.as_bytes()[usize::from(*b) % k];
            }
            tally.add(std::str::from_utf8(&bytes).unwrap());
        }
        // Every position must fail, not just the worst.
        for c in &tally.counts {
            let stat = chi_square(c, &uniform(k));
            let p = chi_square_p_value(stat, k as u32 - 1);
            assert!(
                p < ALPHA,
                "k = {k}: biased χ² = {stat:.1}, p = {p:.2e} passed"
            );
        }
    }
}

#[test]
fn adjacent_pairs_are_uniform() {
    let alphabet = Alphabet::alphanumeric();
    let k = alphabet.symbols().len();
    let spec = CodeSpec::builder().require_digit(false).build().unwrap();
    // Cells are (symbol at i, symbol at i + 1) for the five adjacent position pairs.
    let mut pairs = Tally {
        counts: vec![vec![0; k * k]; 5],
        ..Tally::new(ALNUM, 0)
    };
    let mut rng = StdRng::seed_from_u64(4);
    for _ in 0..N_CODES {
        let code = spec.generate_with(&mut rng);
        let idx: Vec<usize> = code
            .expose()
            .bytes()
            .map(|b| pairs.index[usize::from(b)])
            .collect();
        for pos in 0..5 {
            pairs.counts[pos][idx[pos] * k + idx[pos + 1]] += 1;
        }
    }
    let (p, stat) = pairs.worst_position(&uniform(k * k));
    assert!(p >= ALPHA, "pairs: χ² = {stat:.1}, p = {p:.2e}");
}

#[test]
fn digit_requirement_keeps_codes_uniform_over_valid_codes() {
    // Redrawing whole codes gives each position exact marginals: a digit with
    // probability k^(n-1)/V, a letter (k^(n-1) - (k-d)^(n-1))/V, V = k^n - (k-d)^n.
    // Patching a digit into a random position would not, and this test would see it.
    // With one digit in 24 symbols, four draws in five are thrown away: fewer codes.
    for (alphabet, length, seed, n_codes) in [
        (Alphabet::alphanumeric(), 6, 5, N_CODES),
        (
            Alphabet::new("2ABCDEFGHJKMNPQRSTUVWXYZ").unwrap(),
            5,
            6,
            N_CODES / 4,
        ),
    ] {
        let spec = CodeSpec::builder()
            .alphabet(alphabet.clone())
            .length(length)
            .build()
            .unwrap();
        let symbols = alphabet.symbols();
        let (k, n) = (symbols.len() as u128, length as u32);
        let d = symbols.chars().filter(char::is_ascii_digit).count() as u128;
        let v = space(k, d, n, true) as f64;
        let p_digit = k.pow(n - 1) as f64 / v;
        let p_letter = (k.pow(n - 1) - (k - d).pow(n - 1)) as f64 / v;
        let probs: Vec<f64> = symbols
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    p_digit
                } else {
                    p_letter
                }
            })
            .collect();
        assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-12);

        let mut rng = StdRng::seed_from_u64(seed);
        let mut tally = Tally::new(symbols, length);
        for _ in 0..n_codes {
            let code = spec.generate_with(&mut rng);
            assert!(
                code.expose().bytes().any(|b| b.is_ascii_digit()),
                "a code without a digit"
            );
            tally.add(code.expose());
        }
        let (p, stat) = tally.worst_position(&probs);
        assert!(p >= ALPHA, "{symbols}: χ² = {stat:.1}, p = {p:.2e}");
        // And the uniform hypothesis is clearly wrong for these specs: the test has power.
        let (p_uniform, _) = tally.worst_position(&uniform(symbols.len()));
        assert!(
            p_uniform < ALPHA,
            "{symbols}: marginals look uniform, p = {p_uniform:.2e}"
        );
    }
}

#[test]
fn os_rng_smoke() {
    let spec = CodeSpec::default();
    let mut sys = UnwrapErr(SysRng);
    let mut seen = HashSet::new();
    for i in 0..2000 {
        let code = if i % 2 == 0 {
            spec.generate()
        } else {
            spec.generate_with(&mut sys)
        };
        let text = code.expose();
        assert_eq!(text.len(), 6);
        assert!(text.chars().all(|c| ALNUM.contains(c)), "{text}");
        assert!(text.chars().any(|c| c.is_ascii_digit()), "{text}");
        seen.insert(text.to_owned());
    }
    // 2000 draws from ~7.4e8 codes: a handful of collisions at most.
    assert!(seen.len() > 1990, "only {} distinct codes", seen.len());
}

#[test]
fn code_debug_is_redacted() {
    let code = CodeSpec::default().normalise("ABC234").unwrap();
    let debug = format!("{code:?}");
    assert!(
        !debug.contains("ABC234") && debug.contains("REDACTED"),
        "{debug}"
    );
    let generated = CodeSpec::default().generate();
    assert!(!format!("{generated:?}").contains(generated.expose()));
    // Spec and alphabet debug output is useful (the alphabet is no secret).
    assert!(format!("{:?}", CodeSpec::default()).contains(ALNUM));
}

// ---------------------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------------------

fn norm(spec: &CodeSpec, input: &str) -> Result<String, Malformed> {
    spec.normalise(input).map(|c| c.expose().to_owned())
}

#[test]
fn typed_input_is_folded_onto_the_code() {
    let spec = CodeSpec::default();
    let ok = [
        "ABC234",
        "abc234",
        "aBc234",
        "ABC 234",
        " ABC234 ",
        "ABC\t234",
        "ABC-234",
        "A-B-C-2-3-4",
        "ABC.234",
        "AB C2.3-4",
        "ＡＢＣ２３４",
        "ａｂｃ２３４",
        "ABC２３４",
        "２３４-ABC",
        "ABC\u{3000}234",
        "ABC\u{00A0}234",
        "ABC\u{2007}234",
        "ABC\u{2009}234",
        "ABC\u{202F}234",
        "ABC－234",
        "ABC．234",
        "ABC\u{2010}234",
        "ABC\u{2011}234",
        "ABC\u{2012}234",
        "ABC\u{2013}234",
        "ABC\u{2014}234",
        "ABC\u{2015}234",
        "ABC\u{2212}234",
        "ABCー234",
        "ABCｰ234",
        "ABC。234",
        "ABC｡234",
    ];
    for input in ok {
        let want = if input.starts_with('２') {
            "234ABC"
        } else {
            "ABC234"
        };
        assert_eq!(norm(&spec, input).as_deref(), Ok(want), "{input:?}");
    }
}

#[test]
fn junk_is_malformed() {
    let spec = CodeSpec::default();
    let megabyte_of_symbols = "A2".repeat(1 << 19);
    let megabyte_of_spaces = format!("{}ABC234", " ".repeat(1 << 20));
    let just_over = format!("ABC234{}", " ".repeat(MAX_INPUT_BYTES - 5));
    let bad = [
        "",
        "   ",
        "ABC23",
        "ABC2345",
        "ABC23٣",
        "٣٣٣٣٣٣",
        "ABC23३",
        "ABC23😀",
        "ABC23\u{1F600}",
        "ABC\n234",
        "ABC\r234",
        "ABC234\n",
        "ABC\u{0}234",
        "ABC\u{200B}234",
        "ABC\u{FEFF}234",
        "ABC230",
        "ABC23O",
        "ABC23I",
        "ABC23l",
        "ABC23|",
        "ABC23!",
        "ABC_234",
        "ABC/234",
        "ABC,234",
        "ABC・234",
        "ABCDEF", // no digit
        "ＡＢＣＤＥＦ",
        "①②③④⑤⑥",
        "ｱｲｳｴｵｶ",
        "ABC2３4\u{301}",
        megabyte_of_symbols.as_str(),
        megabyte_of_spaces.as_str(),
        just_over.as_str(),
    ];
    for input in bad {
        let shown: String = input.chars().take(20).collect();
        assert_eq!(norm(&spec, input), Err(Malformed), "{shown:?}");
    }
    // The bound is exact: the same code with padding up to the limit is fine.
    let at_limit = format!("ABC234{}", " ".repeat(MAX_INPUT_BYTES - 6));
    assert_eq!(norm(&spec, &at_limit).as_deref(), Ok("ABC234"));
    // Without the digit requirement a letters-only code is well-formed.
    let letters_ok = CodeSpec::builder().require_digit(false).build().unwrap();
    assert_eq!(norm(&letters_ok, "abcdef").as_deref(), Ok("ABCDEF"));
}

#[test]
fn lookalikes_fold_onto_the_symbol_the_alphabet_holds() {
    let decimal = CodeSpec::builder()
        .alphabet(Alphabet::new("0123456789").unwrap())
        .build()
        .unwrap();
    assert_eq!(norm(&decimal, "O1l|Io").as_deref(), Ok("011110"));
    assert_eq!(norm(&decimal, "ＯＩ２３４ｌ").as_deref(), Ok("012341"));
    assert_eq!(norm(&decimal, "12345Q"), Err(Malformed));
    assert_eq!(norm(&decimal, "12345A"), Err(Malformed));

    // An alphabet that holds the letters gets digits folded the other way.
    let letters = CodeSpec::builder()
        .alphabet(Alphabet::new("OI23456789ABCEF").unwrap())
        .build()
        .unwrap();
    assert_eq!(norm(&letters, "0o1l|2").as_deref(), Ok("OOIII2"));
    assert_eq!(norm(&letters, "ｏ０ｉＬ１2").as_deref(), Ok("OOIII2"));
    assert_eq!(norm(&letters, "0o1l|I"), Err(Malformed)); // no digit left after folding

    // A lowercase alphabet receives lowercase.
    let lower = CodeSpec::builder()
        .alphabet(Alphabet::new("abcdefgh23456789").unwrap())
        .build()
        .unwrap();
    assert_eq!(norm(&lower, "ABCD23").as_deref(), Ok("abcd23"));
    assert_eq!(norm(&lower, "ａＢｃｄ-２３").as_deref(), Ok("abcd23"));

    // With both members held nothing is folded, so the third is not guessed at.
    let loose = CodeSpec::builder()
        .alphabet(Alphabet::new_allowing_confusables("0O1I2345").unwrap())
        .length(7)
        .build()
        .unwrap();
    assert_eq!(norm(&loose, "0oO1I23").as_deref(), Ok("0OO1I23"));
    assert_eq!(norm(&loose, "0oO1l23"), Err(Malformed));
    assert_eq!(norm(&loose, "0oO1|23"), Err(Malformed));

    // The alphanumeric preset holds no member of either group: nothing folds onto Q or D.
    assert_eq!(norm(&CodeSpec::default(), "ABC23O"), Err(Malformed));
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

fn specs() -> Vec<CodeSpec> {
    vec![
        CodeSpec::default(),
        CodeSpec::builder()
            .alphabet(Alphabet::digits())
            .length(8)
            .build()
            .unwrap(),
        CodeSpec::builder()
            .alphabet(Alphabet::new("0123456789").unwrap())
            .length(6)
            .build()
            .unwrap(),
        CodeSpec::builder()
            .alphabet(Alphabet::new("abcdefghjkmnpqrstuvwxyz").unwrap())
            .length(5)
            .require_digit(false)
            .build()
            .unwrap(),
        CodeSpec::builder()
            .alphabet(Alphabet::new("OI23456789#%@").unwrap())
            .length(MAX_LENGTH)
            .build()
            .unwrap(),
    ]
}

/// How a person might type one symbol: as is, other case, full-width.
fn retype(c: char, style: u8) -> String {
    match style % 4 {
        0 => c.to_string(),
        1 => c.to_ascii_lowercase().to_string(),
        2 => c.to_ascii_uppercase().to_string(),
        _ => char::from_u32(u32::from(c) + 0xFEE0).unwrap().to_string(),
    }
}

const SEPARATORS: &[&str] = &[
    "", "", "", " ", "-", ".", "\t", "\u{3000}", "ー", "\u{2013}", "\u{2212}", "。", "－",
];

/// Characters that are not in the default alphabet, not separators, and fold onto
/// nothing in it.
const JUNK: &[char] = &[
    '0',
    'O',
    'o',
    '1',
    'I',
    'i',
    'l',
    'L',
    '|',
    '!',
    '_',
    '/',
    ',',
    '\n',
    '\r',
    '\u{0}',
    '\u{7f}',
    '\u{200B}',
    '٣',
    '३',
    '৩',
    '໓',
    '😀',
    'é',
    'Ω',
    'я',
    'ア',
    'ｱ',
    '①',
    '０',
    'Ｏ',
    '＿',
    '\u{FFFD}',
    '\u{10FFFF}',
];

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_codes_round_trip(seed: u64, which in 0usize..5) {
        let spec = &specs()[which];
        let code: Code = spec.generate_with(&mut StdRng::seed_from_u64(seed));
        let symbols = spec.alphabet().symbols();
        prop_assert_eq!(code.expose().len(), spec.length());
        prop_assert!(code.expose().chars().all(|c| symbols.contains(c)));
        prop_assert_eq!(norm(spec, code.expose()), Ok(code.expose().to_owned()));
    }

    #[test]
    fn retyped_codes_normalise_to_the_code(
        seed: u64,
        which in 0usize..5,
        styles in proptest::collection::vec(any::<u8>(), MAX_LENGTH),
        seps in proptest::collection::vec(0..SEPARATORS.len(), MAX_LENGTH + 1),
    ) {
        let spec = &specs()[which];
        let code = spec.generate_with(&mut StdRng::seed_from_u64(seed));
        let mut typed = SEPARATORS[seps[0]].to_owned();
        for (i, c) in code.expose().chars().enumerate() {
            typed += &retype(c, styles[i]);
            typed += SEPARATORS[seps[i + 1]];
        }
        let got = norm(spec, &typed);
        if typed.len() <= MAX_INPUT_BYTES {
            prop_assert_eq!(got, Ok(code.expose().to_owned()), "typed {:?}", typed);
        } else {
            prop_assert_eq!(got, Err(Malformed));
        }
    }

    #[test]
    fn normalise_never_panics_and_is_idempotent(which in 0usize..5, input in any::<String>()) {
        let spec = &specs()[which];
        if let Ok(code) = spec.normalise(&input) {
            let again = norm(spec, code.expose());
            prop_assert_eq!(again, Ok(code.expose().to_owned()));
        }
    }

    #[test]
    fn near_codes_never_panic_and_are_idempotent(
        which in 0usize..5,
        input in "[0-9A-Za-z|\\- .．－ー。\u{3000}２３ＡａＯ٣😀]{0,40}",
    ) {
        let spec = &specs()[which];
        if let Ok(code) = spec.normalise(&input) {
            prop_assert_eq!(code.expose().len(), spec.length());
            let again = norm(spec, code.expose());
            prop_assert_eq!(again, Ok(code.expose().to_owned()));
        }
    }

    #[test]
    fn junk_only_is_malformed(junk in proptest::collection::vec(proptest::sample::select(JUNK), 0..40)) {
        let input: String = junk.into_iter().collect();
        prop_assert_eq!(norm(&CodeSpec::default(), &input), Err(Malformed));
    }

    #[test]
    fn one_junk_character_spoils_a_code(seed: u64, at in 0usize..7, j in proptest::sample::select(JUNK)) {
        let spec = CodeSpec::default();
        let code = spec.generate_with(&mut StdRng::seed_from_u64(seed));
        let mut typed: Vec<char> = code.expose().chars().collect();
        typed.insert(at, j);
        let typed: String = typed.into_iter().collect();
        prop_assert_eq!(norm(&spec, &typed), Err(Malformed));
    }
}
