//! Phone numbers: parsing what people type, E.164, SMS screening, masking.

use proptest::prelude::*;
use smsotp::phone::{NumberKind, PhoneError, PhoneNumber, Region, RegionError};

fn e164(input: &str, region: Region) -> String {
    match PhoneNumber::parse(input, region) {
        Ok(n) => n.as_e164().to_owned(),
        Err(e) => panic!("{input:?} in {region}: {e}"),
    }
}

fn refused(input: &str, region: Region) -> PhoneError {
    match PhoneNumber::parse(input, region) {
        Ok(n) => panic!("{input:?} in {region} parsed as {n:?}"),
        Err(e) => e,
    }
}

fn not_sms(kind: NumberKind) -> PhoneError {
    PhoneError::NotSmsCapable { kind }
}

// ---- Japan ---------------------------------------------------------------------

#[test]
fn japanese_mobile_in_every_common_spelling() {
    for input in [
        "090-1234-5678",
        "09012345678",
        "090 1234 5678",
        "(090) 1234-5678",
        "090.1234.5678",
        "+81 90-1234-5678",
        "+819012345678",
        "0081 90 1234 5678",
        "010 81 90 1234 5678",
        "010-81-90-1234-5678",
        // the trunk 0 kept after the country code
        "+81 090-1234-5678",
        "+81 (0)90-1234-5678",
        "0081 090 1234 5678",
        // Japanese IME input: full-width digits, hyphens, plus, long-vowel mark, spaces
        "０９０－１２３４－５６７８",
        "０９０ー１２３４ー５６７８",
        "＋８１　９０－１２３４－５６７８",
        "（０９０）１２３４－５６７８",
        " 090\u{2010}1234\u{2013}5678 ",
    ] {
        assert_eq!(e164(input, Region::JP), "+819012345678", "{input:?}");
    }
}

#[test]
fn japanese_mobile_ranges_060_070_080_090() {
    for (input, expected) in [
        ("060-1234-5678", "+816012345678"),
        ("070-1234-5678", "+817012345678"),
        ("080-9876-5432", "+818098765432"),
        ("090-0000-0000", "+819000000000"),
    ] {
        let n = PhoneNumber::parse(input, Region::JP).unwrap();
        assert_eq!(n.as_e164(), expected);
        assert_eq!(n.kind(), NumberKind::Mobile);
        assert_eq!(n.calling_code(), 81);
        assert_eq!(n.region(), Some(Region::JP));
    }
}

#[test]
fn japanese_numbers_that_cannot_receive_sms_are_refused_by_kind() {
    for (input, kind) in [
        ("050-1234-5678", NumberKind::IpPhone),
        ("+81 50 1234 5678", NumberKind::IpPhone),
        ("020-1234-5678", NumberKind::M2m),
        ("03-1234-5678", NumberKind::FixedLine),
        ("06-6123-4567", NumberKind::FixedLine),
        ("011-123-4567", NumberKind::FixedLine),
        ("0466-12-3456", NumberKind::FixedLine),
        ("+81 3 1234 5678", NumberKind::FixedLine),
        ("0120-123-456", NumberKind::TollFree),
        ("0800-123-4567", NumberKind::TollFree),
        ("0570-123-456", NumberKind::SharedCost),
        ("0990-123-456", NumberKind::PremiumRate),
    ] {
        assert_eq!(refused(input, Region::JP), not_sms(kind), "{input:?}");
    }
    // strict E.164 is screened the same way: no way around the rule
    assert_eq!(
        PhoneNumber::parse_e164("+815012345678"),
        Err(not_sms(NumberKind::IpPhone))
    );
    assert_eq!(
        PhoneNumber::parse_e164("+81312345678"),
        Err(not_sms(NumberKind::FixedLine))
    );
}

#[test]
fn japanese_malformed_numbers() {
    assert_eq!(refused("090-1234-567", Region::JP), PhoneError::TooShort);
    assert_eq!(refused("090-1234-56789", Region::JP), PhoneError::TooLong);
    assert_eq!(refused("0901234", Region::JP), PhoneError::TooShort);
    // no trunk 0: might be another country's number, so no guessing
    assert_eq!(
        refused("9012345678", Region::JP),
        PhoneError::InvalidNumber { calling_code: 81 }
    );
    // two trunk zeros after the country code
    assert_eq!(
        refused("+81 0090 1234 5678", Region::JP),
        PhoneError::InvalidNumber { calling_code: 81 }
    );
    // a landline of the wrong length is not a landline
    assert_eq!(
        refused("03-1234-56789", Region::JP),
        PhoneError::InvalidNumber { calling_code: 81 }
    );
    assert_eq!(refused("03-1234-567", Region::JP), PhoneError::TooShort);
}

// ---- North America ---------------------------------------------------------------

#[test]
fn nanp_numbers() {
    for input in [
        "+1 (415) 555-2671",
        "1-415-555-2671",
        "(415) 555-2671",
        "415.555.2671",
        "4155552671",
        "+14155552671",
        "011 1 415 555 2671",
    ] {
        assert_eq!(e164(input, Region::US), "+14155552671", "{input:?}");
    }
    // Canada reads national numbers by the same plan
    assert_eq!(e164("416 555 0123", Region::CA), "+14165550123");
    let n = PhoneNumber::parse("(415) 555-2671", Region::US).unwrap();
    assert_eq!(n.calling_code(), 1);
    assert_eq!(n.national_number(), "4155552671");
    assert_eq!(n.kind(), NumberKind::FixedLineOrMobile);
    // +1 is shared by 25 regions: the code alone does not say which
    assert_eq!(n.region(), None);
}

#[test]
fn nanp_area_code_and_exchange_rules() {
    let invalid = PhoneError::InvalidNumber { calling_code: 1 };
    assert_eq!(refused("015 555 2671", Region::US), invalid);
    assert_eq!(refused("115 555 2671", Region::US), invalid);
    assert_eq!(refused("415 055 2671", Region::US), invalid);
    assert_eq!(refused("415 155 2671", Region::US), invalid);
    assert_eq!(refused("911 555 2671", Region::US), invalid);
    assert_eq!(refused("+1 211 555 2671", Region::JP), invalid);
    assert_eq!(refused("415 555 267", Region::US), PhoneError::TooShort);
    assert_eq!(refused("2-415-555-2671", Region::US), invalid);
}

#[test]
fn international_prefix_depends_on_the_region() {
    // 011 is North America's international prefix ...
    assert_eq!(e164("011 81 90 1234 5678", Region::US), "+819012345678");
    // ... and 010 Japan's, which in North America is no prefix at all
    assert!(PhoneNumber::parse("010 81 90 1234 5678", Region::US).is_err());
    // 00 from the UK and Germany
    assert_eq!(e164("00 81 90 1234 5678", Region::GB), "+819012345678");
    assert_eq!(e164("00 81 90 1234 5678", Region::DE), "+819012345678");
    assert_eq!(e164("00 1 415 555 2671", Region::DE), "+14155552671");
}

// ---- UK and Germany --------------------------------------------------------------

#[test]
fn uk_mobiles() {
    for input in [
        "07700 900123",
        "07700900123",
        "+44 7700 900123",
        "+44 (0)7700 900123",
        "0044 7700 900123",
    ] {
        assert_eq!(e164(input, Region::GB), "+447700900123", "{input:?}");
    }
    // Isle of Man mobiles are in the paging block's neighbourhood
    assert_eq!(e164("07624 123456", Region::GB), "+447624123456");
    // the Crown Dependencies read national numbers by the UK plan
    let isle_of_man = Region::from_code("im").unwrap();
    assert_eq!(e164("07624 123456", isle_of_man), "+447624123456");
}

#[test]
fn uk_non_mobiles_are_refused() {
    for (input, kind) in [
        ("020 7946 0018", NumberKind::FixedLine),
        ("0161 496 0000", NumberKind::FixedLine),
        ("070 1234 5678", NumberKind::Personal),
        ("07612 345678", NumberKind::Pager),
        ("0800 123 4567", NumberKind::TollFree),
        ("0845 123 4567", NumberKind::SharedCost),
        ("0909 123 4567", NumberKind::PremiumRate),
        ("056 1234 5678", NumberKind::IpPhone),
    ] {
        assert_eq!(refused(input, Region::GB), not_sms(kind), "{input:?}");
    }
    assert_eq!(refused("07700 90012", Region::GB), PhoneError::TooShort);
}

#[test]
fn german_mobiles() {
    for input in [
        "01512 3456789",
        "0151 23456789",
        "+49 1512 3456789",
        "+49 (0)151 23456789",
        "0049 1512 3456789",
    ] {
        assert_eq!(e164(input, Region::DE), "+4915123456789", "{input:?}");
    }
    assert_eq!(e164("0160 1234567", Region::DE), "+491601234567");
    assert_eq!(e164("0176 12345678", Region::DE), "+4917612345678");
    assert_eq!(
        PhoneNumber::parse("0171 1234567", Region::DE)
            .unwrap()
            .kind(),
        NumberKind::Mobile
    );
}

#[test]
fn german_non_mobiles_are_refused() {
    for (input, kind) in [
        ("030 12345678", NumberKind::FixedLine),
        ("089 1234567", NumberKind::FixedLine),
        ("0800 1234567", NumberKind::TollFree),
        ("0900 1234567", NumberKind::PremiumRate),
        ("0180 1234567", NumberKind::SharedCost),
        ("0700 12345678", NumberKind::Personal),
        ("0168 1234567", NumberKind::Pager),
    ] {
        assert_eq!(refused(input, Region::DE), not_sms(kind), "{input:?}");
    }
    assert_eq!(refused("0151 234", Region::DE), PhoneError::TooShort);
}

// ---- other regions ---------------------------------------------------------------

#[test]
fn other_regions_take_international_form_only() {
    assert_eq!(e164("+33 6 12 34 56 78", Region::FR), "+33612345678");
    assert_eq!(e164("+852 5123 4567", Region::JP), "+85251234567");
    assert_eq!(
        refused("06 12 34 56 78", Region::FR),
        PhoneError::UnsupportedRegion { region: Region::FR }
    );
    assert_eq!(
        refused("00 33 6 12 34 56 78", Region::FR),
        PhoneError::UnsupportedRegion { region: Region::FR }
    );
}

#[test]
fn calling_codes_of_one_two_and_three_digits() {
    for (number, code, national, region) in [
        ("+14155552671", 1, "4155552671", None),
        ("+79123456789", 7, "9123456789", None),
        ("+447700900123", 44, "7700900123", None),
        ("+4915123456789", 49, "15123456789", Some(Region::DE)),
        ("+819012345678", 81, "9012345678", Some(Region::JP)),
        ("+33612345678", 33, "612345678", Some(Region::FR)),
        ("+85251234567", 852, "51234567", Some(Region::HK)),
        ("+886912345678", 886, "912345678", Some(Region::TW)),
        (
            "+380501234567",
            380,
            "501234567",
            Region::from_code("UA").ok(),
        ),
        (
            "+971501234567",
            971,
            "501234567",
            Region::from_code("AE").ok(),
        ),
        ("+6831234", 683, "1234", Region::from_code("NU").ok()),
        ("+80012345678", 800, "12345678", None),
    ] {
        let n = PhoneNumber::parse_e164(number).unwrap();
        assert_eq!(n.calling_code(), code, "{number}");
        assert_eq!(n.national_number(), national, "{number}");
        assert_eq!(n.region(), region, "{number}");
        assert_eq!(n.as_e164(), number);
    }
}

#[test]
fn unassigned_calling_codes_are_refused() {
    for number in [
        "+2812345678",
        "+4221234567",
        "+8351234567",
        "+9991234567",
        "+2591234567",
    ] {
        assert_eq!(
            PhoneNumber::parse_e164(number),
            Err(PhoneError::UnknownCallingCode),
            "{number}"
        );
    }
    assert_eq!(
        refused("+0 90 1234 5678", Region::JP),
        PhoneError::UnknownCallingCode
    );
}

// ---- strict E.164 ----------------------------------------------------------------

#[test]
fn strict_e164() {
    assert_eq!(
        PhoneNumber::parse_e164("+819012345678").unwrap().as_e164(),
        "+819012345678"
    );
    assert_eq!(
        "+819012345678"
            .parse::<PhoneNumber>()
            .unwrap()
            .calling_code(),
        81
    );
    assert_eq!(PhoneNumber::parse_e164(""), Err(PhoneError::Empty));
    assert_eq!(PhoneNumber::parse_e164("+"), Err(PhoneError::TooShort));
    assert_eq!(
        PhoneNumber::parse_e164("819012345678"),
        Err(PhoneError::NotE164)
    );
    assert_eq!(
        PhoneNumber::parse_e164("+81 90 1234 5678"),
        Err(PhoneError::NotE164)
    );
    assert_eq!(
        PhoneNumber::parse_e164("+81-90-1234-5678"),
        Err(PhoneError::NotE164)
    );
    assert_eq!(
        PhoneNumber::parse_e164("＋819012345678"),
        Err(PhoneError::NotE164)
    );
    assert_eq!(
        PhoneNumber::parse_e164("+８１９０１２３４５６７８"),
        Err(PhoneError::NotE164)
    );
    assert_eq!(
        PhoneNumber::parse_e164("+0819012345678"),
        Err(PhoneError::UnknownCallingCode)
    );
    // 16 digits
    assert_eq!(
        PhoneNumber::parse_e164("+3312345678901234"),
        Err(PhoneError::TooLong)
    );
    // 15 digits is the limit
    assert!(PhoneNumber::parse_e164("+331234567890123").is_ok());
    assert_eq!(PhoneNumber::parse_e164("+33123"), Err(PhoneError::TooShort));
    // strict means no trunk 0 forgiveness
    assert_eq!(
        PhoneNumber::parse_e164("+8109012345678"),
        Err(PhoneError::InvalidNumber { calling_code: 81 })
    );
}

// ---- bad input -------------------------------------------------------------------

#[test]
fn bad_characters_and_shapes() {
    for input in ["", " ", "--", "()", "+", "＋"] {
        assert_eq!(refused(input, Region::JP), PhoneError::Empty, "{input:?}");
    }
    for input in [
        "090-1234-5678 ext. 12",
        "1-800-FLOWERS",
        "090*1234*5678",
        "090#12345678",
        "tel:+819012345678",
        "090_1234_5678",
        "\u{0}09012345678",
    ] {
        assert_eq!(
            refused(input, Region::JP),
            PhoneError::InvalidCharacters,
            "{input:?}"
        );
    }
    for input in ["81+9012345678", "++819012345678", "+81 +90 1234 5678"] {
        assert_eq!(
            refused(input, Region::JP),
            PhoneError::MisplacedPlus,
            "{input:?}"
        );
    }
    assert_eq!(refused(&"9".repeat(30), Region::JP), PhoneError::TooLong);
    assert_eq!(refused(&" ".repeat(500), Region::JP), PhoneError::TooLong);
    assert_eq!(
        refused("+81 90 1234 5678 9012 3456", Region::JP),
        PhoneError::TooLong
    );
}

#[test]
fn errors_never_echo_the_digits() {
    let inputs = [
        "090-1234-5678 ext. 12",
        "050-1234-5678",
        "03-1234-5678",
        "090-1234-567",
        "9012345678",
        "+9991234567",
        "06 12 34 56 78",
    ];
    for input in inputs {
        let e = refused(
            input,
            if input.starts_with("06 12") {
                Region::FR
            } else {
                Region::JP
            },
        );
        let text = format!("{e} {e:?}");
        assert!(!text.contains("1234"), "{text}");
        assert!(!text.contains("5678"), "{text}");
    }
}

// ---- regions ---------------------------------------------------------------------

#[test]
fn region_codes() {
    assert_eq!(Region::from_code("jp"), Ok(Region::JP));
    assert_eq!(Region::from_code("Jp"), Ok(Region::JP));
    assert_eq!("us".parse::<Region>(), Ok(Region::US));
    assert_eq!(Region::from_code("GB"), Ok(Region::GB));
    assert_eq!(Region::from_code("de"), Ok(Region::DE));
    assert_eq!(Region::from_code("JPN"), Err(RegionError::Malformed));
    assert_eq!(Region::from_code("J"), Err(RegionError::Malformed));
    assert_eq!(Region::from_code("J1"), Err(RegionError::Malformed));
    assert_eq!(Region::from_code("ＪＰ"), Err(RegionError::Malformed));
    assert_eq!(Region::from_code(""), Err(RegionError::Malformed));
    assert_eq!(Region::from_code("ZZ"), Err(RegionError::Unknown));
    assert_eq!(Region::from_code("UK"), Err(RegionError::Unknown));
    assert_eq!(Region::JP.to_string(), "JP");
    assert_eq!(format!("{:?}", Region::JP), "Region(JP)");
    assert_eq!(Region::JP.calling_code(), Some(81));
    assert_eq!(Region::CA.calling_code(), Some(1));
    assert_eq!(Region::GB.calling_code(), Some(44));
    assert_eq!(Region::from_code("je").unwrap().calling_code(), Some(44));
    assert_eq!(Region::HK.calling_code(), Some(852));
}

// ---- masking and prefixes --------------------------------------------------------

#[test]
fn masked_everywhere() {
    let n = PhoneNumber::parse("090-1234-5678", Region::JP).unwrap();
    assert_eq!(n.masked(), "+81 90-****-5678");
    assert_eq!(n.to_string(), "+81 90-****-5678");
    assert_eq!(format!("{n:?}"), "PhoneNumber(+81 90-****-5678)");
    let us = PhoneNumber::parse("+1 (415) 555-2671", Region::US).unwrap();
    assert_eq!(us.masked(), "+1 41-****-2671");
    let de = PhoneNumber::parse("01512 3456789", Region::DE).unwrap();
    assert_eq!(de.masked(), "+49 15-****-6789");
    let hk = PhoneNumber::parse_e164("+85251234567").unwrap();
    assert_eq!(hk.masked(), "+852 5-****-567");
    let niue = PhoneNumber::parse_e164("+6831234").unwrap();
    assert_eq!(niue.masked(), "+683 ****-4");
}

#[test]
fn destination_prefix_drops_the_last_four_digits() {
    let n = PhoneNumber::parse("090-1234-5678", Region::JP).unwrap();
    assert_eq!(n.destination_prefix(), "+81901234");
    let m = PhoneNumber::parse("090-1234-9999", Region::JP).unwrap();
    assert_eq!(n.destination_prefix(), m.destination_prefix());
    assert_ne!(n, m);
    let us = PhoneNumber::parse("415 555 2671", Region::US).unwrap();
    assert_eq!(us.destination_prefix(), "+1415555");
}

#[test]
fn equal_numbers_from_different_spellings_are_equal() {
    use std::collections::HashSet;
    let set: HashSet<PhoneNumber> = [
        "090-1234-5678",
        "+81 90 1234 5678",
        "０９０１２３４５６７８",
    ]
    .into_iter()
    .map(|s| PhoneNumber::parse(s, Region::JP).unwrap())
    .collect();
    assert_eq!(set.len(), 1);
}

// ---- properties ------------------------------------------------------------------

fn regions() -> impl Strategy<Value = Region> {
    prop::sample::select(vec![
        Region::JP,
        Region::US,
        Region::CA,
        Region::GB,
        Region::DE,
        Region::FR,
        Region::HK,
    ])
}

/// A Japanese mobile in one of the ways people write it.
fn jp_mobile_spellings() -> impl Strategy<Value = (String, String)> {
    (
        prop::sample::select(vec!["60", "70", "80", "90"]),
        // 080-0 is carved out for 0800 freephone; the other blocks start at 1 too.
        10_000_000u32..100_000_000,
        0usize..8,
    )
        .prop_map(|(block, rest, style)| {
            let digits = format!("{block}{rest:08}");
            let (a, b) = digits.split_at(2);
            let (b, c) = b.split_at(4);
            let text = match style {
                0 => format!("0{a}-{b}-{c}"),
                1 => format!("0{digits}"),
                2 => format!("+81 {a} {b} {c}"),
                3 => format!("+81 0{a}-{b}-{c}"),
                4 => format!("0081{digits}"),
                5 => format!("010-81-{a}-{b}-{c}"),
                6 => format!("0{a}-{b}-{c}")
                    .chars()
                    .map(|ch| match ch {
                        '0'..='9' => char::from_u32(u32::from(ch) - 0x30 + 0xFF10).unwrap(),
                        '-' => '－',
                        other => other,
                    })
                    .collect(),
                _ => format!("(0{a}) {b}.{c}"),
            };
            (text, format!("+81{digits}"))
        })
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics(input in any::<String>(), region in regions()) {
        let _ = PhoneNumber::parse(&input, region);
        let _ = PhoneNumber::parse_e164(&input);
    }

    #[test]
    fn parse_never_panics_on_phone_like_input(
        input in "[+＋]?[0-9０-９ ()\\-.ー－]{0,30}",
        region in regions(),
    ) {
        let _ = PhoneNumber::parse(&input, region);
    }

    #[test]
    fn every_japanese_mobile_spelling_normalises((input, expected) in jp_mobile_spellings()) {
        let n = PhoneNumber::parse(&input, Region::JP).unwrap();
        prop_assert_eq!(n.as_e164(), expected.as_str());
        prop_assert_eq!(n.kind(), NumberKind::Mobile);
    }

    #[test]
    fn accepted_numbers_are_valid_e164_and_round_trip(
        input in "[+]?[0-9 \\-]{4,20}",
        region in regions(),
    ) {
        if let Ok(n) = PhoneNumber::parse(&input, region) {
            let e = n.as_e164();
            prop_assert!(e.starts_with('+'));
            prop_assert!((3..=16).contains(&e.len()));
            prop_assert!(e[1..].bytes().all(|b| b.is_ascii_digit()));
            prop_assert!(!e[1..].starts_with('0'));
            let again = PhoneNumber::parse_e164(e).unwrap();
            prop_assert_eq!(&again, &n);
            prop_assert_eq!(again.calling_code(), n.calling_code());
            prop_assert_eq!(
                format!("+{}{}", n.calling_code(), n.national_number()),
                e.to_owned()
            );
        }
    }

    #[test]
    fn masks_hide_at_least_three_digits(input in "\\+[1-9][0-9]{5,14}") {
        if let Ok(n) = PhoneNumber::parse_e164(&input) {
            let masked = n.masked();
            let shown = masked.bytes().filter(u8::is_ascii_digit).count();
            let code_digits = n.calling_code().to_string().len();
            let national = n.national_number().len();
            prop_assert!(shown - code_digits + 3 <= national, "{masked} for {national} digits");
            prop_assert!(!masked.contains(n.national_number()));
            prop_assert_eq!(format!("{n}"), masked.clone());
            let debug = format!("{n:?}");
            prop_assert!(!debug.contains(n.national_number()));
            prop_assert_eq!(n.destination_prefix().len() + 4, n.as_e164().len());
        }
    }
}

// ---- libphonenumber metadata (feature `phonenumber`) -------------------------------

#[cfg(feature = "phonenumber")]
mod metadata {
    use super::*;

    #[test]
    fn metadata_parses_and_screens() {
        let n = PhoneNumber::parse_with_metadata("090-1234-5678", Region::JP).unwrap();
        assert_eq!(n.as_e164(), "+819012345678");
        assert_eq!(n.metadata_kind(), NumberKind::Mobile);
        assert_eq!(
            PhoneNumber::parse_with_metadata("03-1234-5678", Region::JP),
            Err(not_sms(NumberKind::FixedLine))
        );
        assert_eq!(
            PhoneNumber::parse_with_metadata("050-1234-5678", Region::JP),
            Err(not_sms(NumberKind::IpPhone))
        );
        // every country, not only the four with built-in rules
        let fr = PhoneNumber::parse_with_metadata("06 12 34 56 78", Region::FR).unwrap();
        assert_eq!(fr.as_e164(), "+33612345678");
        assert_eq!(
            PhoneNumber::parse_with_metadata("01 23 45 67 89", Region::FR),
            Err(not_sms(NumberKind::FixedLine))
        );
        let us = PhoneNumber::parse_with_metadata("(201) 555-0123", Region::US).unwrap();
        assert_eq!(us.as_e164(), "+12015550123");
        assert_eq!(us.metadata_kind(), NumberKind::FixedLineOrMobile);
        // the same international prefixes as the built-in parser
        for input in [
            "0081 90 1234 5678",
            "010 81 90 1234 5678",
            "+81 090-1234-5678",
        ] {
            let n = PhoneNumber::parse_with_metadata(input, Region::JP).unwrap();
            assert_eq!(n.as_e164(), "+819012345678", "{input:?}");
        }
        assert_eq!(
            PhoneNumber::parse_with_metadata("060-1234-5678", Region::JP)
                .unwrap()
                .as_e164(),
            "+816012345678"
        );
        assert_eq!(
            PhoneNumber::parse_with_metadata("090-1234-5678 ext. 12", Region::JP),
            Err(PhoneError::InvalidCharacters)
        );
    }
}
