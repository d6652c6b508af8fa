//! Recovery codes: generation, single use, forgiving input, hashed storage (NIST SP 800-63B
//! look-up secrets: salted password hash, salt of at least 32 bits).

use base64::Engine as _;
use smsotp::recovery::{RecoveryCodes, RecoveryError, RecoverySet, SALT_LEN};

const ALPHABET: &str = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// Argon2id at its smallest, so tests stay fast in debug builds.
fn cheap() -> RecoveryCodes {
    RecoveryCodes::new().argon2_params(8, 1, 1)
}

fn generate(settings: &RecoveryCodes) -> (Vec<String>, RecoverySet) {
    let (shown, set) = settings.generate().unwrap();
    (shown.expose().clone(), set)
}

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(u32::from(c) + 0xFEE0).unwrap(),
            other => other,
        })
        .collect()
}

#[test]
fn default_set_is_ten_grouped_codes_from_the_confusable_free_alphabet() {
    let (codes, set) = generate(&cheap());
    assert_eq!(codes.len(), 10);
    assert_eq!(set.remaining(), 10);
    assert_eq!(set.code_length(), 10);
    for code in &codes {
        let (a, b) = code.split_once('-').unwrap();
        assert_eq!((a.len(), b.len()), (5, 5), "{code}");
        assert!(
            a.chars().chain(b.chars()).all(|c| ALPHABET.contains(c)),
            "{code}"
        );
    }
    let mut unique = codes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 10);
}

#[test]
fn count_and_length_are_configurable_and_bounded() {
    let (codes, set) = generate(&cheap().count(3).length(12));
    assert_eq!(codes.len(), 3);
    assert_eq!(set.remaining(), 3);
    for code in &codes {
        assert_eq!(code.len(), 14, "{code}"); // 12 symbols in groups of 5: ABCDE-FGHJK-MN
        assert_eq!(code.matches('-').count(), 2);
    }
    for (settings, message) in [
        (cheap().count(0), "count"),
        (cheap().count(101), "count"),
        (cheap().length(7), "length"),
        (cheap().length(33), "length"),
        (RecoveryCodes::new().argon2_params(4, 1, 1), "Argon2"),
        (RecoveryCodes::new().argon2_params(64, 0, 1), "Argon2"),
        (RecoveryCodes::new().argon2_params(64, 1, 0), "Argon2"),
        // Above the ceilings a stored set may ask for.
        (
            RecoveryCodes::new().argon2_params((1 << 20) + 1, 1, 1),
            "Argon2",
        ),
        (RecoveryCodes::new().argon2_params(64, 17, 1), "Argon2"),
        (RecoveryCodes::new().argon2_params(1024, 1, 17), "Argon2"),
    ] {
        match settings.generate() {
            Err(RecoveryError::Config(reason)) => assert!(reason.contains(message), "{reason}"),
            other => panic!("expected a config error, got {other:?}"),
        }
    }
}

#[test]
fn symbols_are_spread_over_the_whole_alphabet() {
    let (codes, _) = generate(&cheap().count(100).length(32));
    let joined: String = codes.concat().replace('-', "");
    assert_eq!(joined.len(), 3200);
    for symbol in ALPHABET.chars() {
        let n = joined.chars().filter(|&c| c == symbol).count();
        // Expected about 103 each; a symbol never drawn, or drawn 3x as often, is a bug.
        assert!((40..=200).contains(&n), "{symbol}: {n}");
    }
}

#[test]
fn each_code_is_accepted_exactly_once() {
    let (codes, mut set) = generate(&cheap().count(4));
    for (i, code) in codes.iter().enumerate() {
        assert_eq!(set.redeem(code), Ok(3 - i));
        assert_eq!(set.redeem(code).unwrap_err(), {
            if i == 3 {
                RecoveryError::Exhausted
            } else {
                RecoveryError::NoMatch
            }
        });
    }
    assert!(set.is_empty());
    assert_eq!(set.redeem(&codes[0]), Err(RecoveryError::Exhausted));
}

#[test]
fn codes_are_redeemed_in_any_order() {
    let (codes, mut set) = generate(&cheap().count(3));
    assert_eq!(set.redeem(&codes[2]), Ok(2));
    assert_eq!(set.redeem(&codes[0]), Ok(1));
    assert_eq!(set.redeem(&codes[2]), Err(RecoveryError::NoMatch));
    assert_eq!(set.redeem(&codes[1]), Ok(0));
}

#[test]
fn a_code_of_another_set_is_refused() {
    let (_, mut set) = generate(&cheap().count(2));
    let (other, _) = generate(&cheap().count(1));
    assert_eq!(set.redeem(&other[0]), Err(RecoveryError::NoMatch));
    assert_eq!(set.remaining(), 2);
}

#[test]
fn typed_input_is_forgiven() {
    let (codes, set) = generate(&cheap().count(1));
    let stored = set.to_stored();
    let code = &codes[0];
    let bare = code.replace('-', "");
    for typed in [
        code.clone(),
        code.to_lowercase(),
        bare.clone(),
        format!(" {} ", code.replace('-', " ")),
        format!("{}\u{2010}{}", &bare[..5], &bare[5..]),
        full_width(code),
        full_width(&code.to_lowercase()).replace('\u{FF0D}', "\u{3000}"),
        bare.chars().flat_map(|c| [c, ' ']).collect(),
    ] {
        // A fresh copy each time: every accepted attempt consumes the code.
        let mut set = RecoverySet::from_stored(&stored).unwrap();
        assert_eq!(set.redeem(&typed), Ok(0), "{typed:?}");
    }
}

#[test]
fn malformed_input_is_refused_without_consuming_anything() {
    let (codes, mut set) = generate(&cheap().count(2));
    let bare = codes[0].replace('-', "");
    let mut confusable = bare.clone();
    confusable.replace_range(0..1, "O"); // O is not in the alphabet
    for typed in [
        String::new(),
        bare[..9].to_owned(), // too short
        format!("{bare}2"),   // too long, although it starts with the code
        confusable,
        bare.replacen(&bare[..1], "0", 1),
        bare.replacen(&bare[..1], "1", 1),
        format!("{bare}!"),
        format!("{}{bare}", " ".repeat(300)), // over the input size cap
    ] {
        assert_eq!(
            set.redeem(&typed),
            Err(RecoveryError::Malformed),
            "{typed:?}"
        );
    }
    assert_eq!(set.remaining(), 2);
    assert_eq!(set.redeem(&codes[0]), Ok(1));
}

#[test]
fn the_stored_form_holds_no_plaintext_and_salts_each_code() {
    let (codes, set) = generate(&cheap());
    let stored = set.to_stored();
    for code in &codes {
        let bare = code.replace('-', "");
        assert!(!stored.contains(code.as_str()));
        assert!(!stored.contains(&bare));
        assert!(!stored.to_uppercase().contains(&bare));
        assert!(!stored.contains(&bare[..5]) || !stored.contains(&bare[5..]));
    }
    let mut lines = stored.lines();
    assert_eq!(lines.next(), Some("smsotp-recovery/v1 length=10"));
    let mut salts = Vec::new();
    for line in lines {
        // $argon2id$v=19$m=8,t=1,p=1$<salt>$<hash>
        let fields: Vec<&str> = line.split('$').collect();
        assert_eq!(fields.len(), 6, "{line}");
        assert_eq!(fields[1], "argon2id");
        assert_eq!(fields[2], "v=19");
        assert_eq!(fields[3], "m=8,t=1,p=1");
        let salt = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(fields[4])
            .unwrap();
        assert_eq!(salt.len(), SALT_LEN);
        assert!(salt.len() * 8 >= 32, "NIST: at least a 32-bit salt");
        salts.push(salt);
    }
    assert_eq!(salts.len(), 10);
    salts.sort();
    salts.dedup();
    assert_eq!(salts.len(), 10, "every code has its own salt");
}

#[test]
fn default_argon2_parameters_are_owasp_minimums() {
    let (_, set) = RecoveryCodes::new().count(1).generate().unwrap();
    let stored = set.to_stored();
    assert!(
        stored.contains("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
}

#[test]
fn the_stored_form_round_trips_and_tracks_redemption() {
    let (codes, mut set) = generate(&cheap().count(3));
    let loaded = RecoverySet::from_stored(&set.to_stored()).unwrap();
    assert_eq!(loaded, set);
    assert_eq!(set.redeem(&codes[1]), Ok(2));
    let after = set.to_stored();
    let mut reloaded = RecoverySet::from_stored(&after).unwrap();
    assert_eq!(reloaded.remaining(), 2);
    assert_eq!(reloaded.redeem(&codes[1]), Err(RecoveryError::NoMatch));
    assert_eq!(reloaded.redeem(&codes[0]), Ok(1));
    assert_eq!(reloaded.redeem(&codes[2]), Ok(0));
    let empty = RecoverySet::from_stored(&reloaded.to_stored()).unwrap();
    assert!(empty.is_empty());
}

#[test]
fn sets_made_under_other_parameters_still_verify() {
    let (codes, set) = generate(&RecoveryCodes::new().count(1).argon2_params(16, 2, 2));
    let mut loaded = RecoverySet::from_stored(&set.to_stored()).unwrap();
    assert_eq!(loaded.redeem(&codes[0]), Ok(0));
}

#[test]
fn unreadable_stored_forms_are_refused() {
    let (_, set) = generate(&cheap().count(1));
    let stored = set.to_stored();
    let phc = stored.lines().nth(1).unwrap().to_owned();
    let short_salt = {
        let fields: Vec<&str> = phc.split('$').collect();
        format!(
            "${}${}${}$c2FsdHNhbHQ${}",
            fields[1], fields[2], fields[3], fields[5]
        )
    };
    for bad in [
        String::new(),
        "hello".to_owned(),
        "smsotp-recovery/v2 length=10".to_owned(),
        "smsotp-recovery/v1 length=7".to_owned(),
        "smsotp-recovery/v1 length=ten".to_owned(),
        format!(
            "smsotp-recovery/v1 length=10\n{}",
            phc.replace("argon2id", "argon2i")
        ),
        "smsotp-recovery/v1 length=10\nABCDE-FGH23".to_owned(),
        format!("smsotp-recovery/v1 length=10\n{short_salt}"),
        format!(
            "smsotp-recovery/v1 length=10\n{}",
            phc.replace("m=8", "m=1")
        ),
        format!(
            "smsotp-recovery/v1 length=10{}",
            format!("\n{phc}").repeat(101)
        ),
    ] {
        match RecoverySet::from_stored(&bad) {
            Err(RecoveryError::Stored(_)) => {}
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
}

#[test]
fn nothing_secret_is_printed() {
    let (shown, set) = cheap().count(2).generate().unwrap();
    let codes = shown.expose().clone();
    let printed = [
        format!("{shown:?}"),
        format!("{set:?}"),
        format!("{}", RecoveryError::NoMatch),
        format!("{:?}", RecoveryError::Malformed),
    ];
    for text in &printed {
        for code in &codes {
            assert!(!text.contains(code.as_str()), "{text}");
            assert!(!text.contains(&code[..5]), "{text}");
        }
        assert!(!text.contains("argon2"), "{text}");
    }
    assert_eq!(printed[0], "ShownOnce([REDACTED])");
    assert!(printed[1].contains("remaining: 2"), "{}", printed[1]);
}

/// Found while writing the `from_stored` fuzz target: the Argon2 costs come from the
/// stored text, and
/// Argon2 itself allows up to 4 TiB of memory per hash, which every redeem would then
/// try to allocate. A stored set asking for more than the ceilings is refused.
#[test]
fn stored_sets_cannot_ask_for_unbounded_memory() {
    let salt = "c2FsdHNhbHRzYWx0c2FsdA";
    let hash = "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
    let line = |m: u32, t: u32, p: u32| {
        format!("smsotp-recovery/v1 length=10\n$argon2id$v=19$m={m},t={t},p={p}${salt}${hash}")
    };
    assert!(RecoverySet::from_stored(&line(19 * 1024, 2, 1)).is_ok());
    assert!(RecoverySet::from_stored(&line(1 << 20, 16, 16)).is_ok());
    for (m, t, p) in [
        (u32::MAX, 1, 1),
        ((1 << 20) + 1, 1, 1),
        (64, 17, 1),
        (1024, 1, 17),
    ] {
        assert!(
            matches!(
                RecoverySet::from_stored(&line(m, t, p)),
                Err(RecoveryError::Stored(_))
            ),
            "m={m} t={t} p={p}"
        );
    }
}
