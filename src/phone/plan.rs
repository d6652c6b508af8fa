//! National numbering rules for the regions this crate reads national numbers for:
//! Japan, the North American Numbering Plan, the UK and Germany.
//!
//! Each plan knows its international prefix, its trunk prefix, and which number
//! ranges can receive an SMS. The screening is deliberately conservative: it refuses
//! ranges that cannot take an SMS one-time code (landlines, IP phones, M2M, pagers,
//! freephone and premium ranges) so that the app gets a clear error at input time
//! instead of paying for an SMS that never arrives.

use super::{NumberKind, PhoneError, Region};

/// A numbering plan with national rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Japan (+81).
    Jp,
    /// The North American Numbering Plan (+1): US, Canada and much of the Caribbean.
    Nanp,
    /// The UK numbering plan (+44), shared by the Crown Dependencies.
    Uk,
    /// Germany (+49).
    De,
}

impl Plan {
    /// The plan used to read national numbers typed in `region`.
    pub(crate) fn for_region(region: Region) -> Option<Plan> {
        match region.as_str() {
            "JP" => Some(Plan::Jp),
            "GB" | "GG" | "JE" | "IM" => Some(Plan::Uk),
            "DE" => Some(Plan::De),
            _ if region.calling_code() == Some(1) => Some(Plan::Nanp),
            _ => None,
        }
    }

    /// The plan whose rules numbers with this calling code follow.
    pub(crate) fn for_calling_code(code: u16) -> Option<Plan> {
        match code {
            81 => Some(Plan::Jp),
            1 => Some(Plan::Nanp),
            44 => Some(Plan::Uk),
            49 => Some(Plan::De),
            _ => None,
        }
    }

    pub(crate) fn calling_code(self) -> u16 {
        match self {
            Plan::Jp => 81,
            Plan::Nanp => 1,
            Plan::Uk => 44,
            Plan::De => 49,
        }
    }

    /// Removes the international call prefix (`010` from Japan, `011` from North
    /// America, `00` from the UK and Germany), if the digits start with it.
    ///
    /// Japan also takes `00`: no Japanese national number starts with `00`, and
    /// `0081 ...` is a common way to write a Japanese number for foreigners.
    pub(crate) fn strip_international_prefix(self, digits: &str) -> Option<&str> {
        let prefixes: &[&str] = match self {
            Plan::Jp => &["010", "00"],
            Plan::Nanp => &["011"],
            Plan::Uk | Plan::De => &["00"],
        };
        prefixes.iter().find_map(|p| digits.strip_prefix(p))
    }

    /// Whether people write this plan's trunk `0` after the calling code
    /// (`+81 090 ...`), which must then be dropped. NANP has no such `0`.
    pub(crate) fn has_trunk_zero(self) -> bool {
        !matches!(self, Plan::Nanp)
    }

    /// The national significant number from a number in national form.
    pub(crate) fn national_significant(self, digits: &str) -> Result<&str, PhoneError> {
        let invalid = PhoneError::InvalidNumber {
            calling_code: self.calling_code(),
        };
        match self {
            // National numbers here always carry the trunk prefix 0; without it the
            // digits may be a number of another country, so do not guess.
            Plan::Jp | Plan::Uk | Plan::De => digits.strip_prefix('0').ok_or(invalid),
            // "1" is the NANP long-distance prefix: 1-415-555-2671.
            Plan::Nanp => match digits.len() {
                11 => digits.strip_prefix('1').ok_or(invalid),
                _ => Ok(digits),
            },
        }
    }

    /// What kind of number `nsn` is, or why it cannot be a number of this plan.
    pub(crate) fn classify(self, nsn: &str) -> Result<NumberKind, PhoneError> {
        match self {
            Plan::Jp => classify_jp(nsn),
            Plan::Nanp => classify_nanp(nsn),
            Plan::Uk => classify_uk(nsn),
            Plan::De => classify_de(nsn),
        }
    }
}

fn length(nsn: &str, min: usize, max: usize) -> Result<(), PhoneError> {
    if nsn.len() < min {
        Err(PhoneError::TooShort)
    } else if nsn.len() > max {
        Err(PhoneError::TooLong)
    } else {
        Ok(())
    }
}

fn starts_with_any(nsn: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| nsn.starts_with(p))
}

/// Japan (MIC numbering plan). National numbers are 10 or 11 digits with the trunk 0,
/// so the NSN is 9 or 10 digits.
/// - `060`, `070`, `080`, `090` + 8 digits: mobile. 060 was opened for mobile by MIC;
///   carriers start issuing it in 2026.
/// - `050`: IP phone; `020`: M2M and paging. These numbers do not receive SMS from
///   the Japanese carriers' SMS interconnect, so they are refused.
/// - `0120`, `0800` (carved out of the `080` block): freephone; `0570`: shared-cost "navi dial"; `0990`: premium;
///   `0180`: telephone information and voting services.
/// - Any other `0` + 9 digits is a landline (`03-xxxx-xxxx` Tokyo, `06` Osaka,
///   `011` Sapporo, ...). Japanese landlines cannot receive SMS, so they are refused.
fn classify_jp(nsn: &str) -> Result<NumberKind, PhoneError> {
    if nsn.starts_with('0') {
        // A second trunk 0, or an international prefix: not a number.
        return Err(PhoneError::InvalidNumber { calling_code: 81 });
    }
    length(nsn, 9, 10)?;
    // 0800 freephone is checked before the 080 mobiles it overlaps.
    let kind = if starts_with_any(nsn, &["120", "800"]) {
        NumberKind::TollFree
    } else if starts_with_any(nsn, &["60", "70", "80", "90"]) {
        length(nsn, 10, 10)?;
        NumberKind::Mobile
    } else if nsn.starts_with("20") {
        NumberKind::M2m
    } else if nsn.starts_with("50") {
        NumberKind::IpPhone
    } else if nsn.starts_with("570") {
        NumberKind::SharedCost
    } else if nsn.starts_with("990") {
        NumberKind::PremiumRate
    } else if nsn.starts_with("180") {
        NumberKind::Other
    } else if nsn.starts_with("10") || nsn.len() != 9 {
        // 010 is the international prefix, never a number; landlines are 9 digits.
        return Err(PhoneError::InvalidNumber { calling_code: 81 });
    } else {
        NumberKind::FixedLine
    };
    Ok(kind)
}

/// NANP: NXX-NXX-XXXX, where N is 2-9, and the area code is not an N11 service code
/// (211, 411, 911, ...). Mobile and landline numbers share ranges and cannot be told
/// apart from the digits.
fn classify_nanp(nsn: &str) -> Result<NumberKind, PhoneError> {
    length(nsn, 10, 10)?;
    let n = |d: u8| (b'2'..=b'9').contains(&d);
    match nsn.as_bytes() {
        &[a, x, y, e, ..] if n(a) && n(e) && !(x == b'1' && y == b'1') => {
            Ok(NumberKind::FixedLineOrMobile)
        }
        _ => Err(PhoneError::InvalidNumber { calling_code: 1 }),
    }
}

/// UK (Ofcom National Telephone Numbering Plan). Mobiles are `071`-`075` and
/// `077`-`079` + 8 digits, and `07624` (Isle of Man). `070` is personal numbering and
/// `076` paging; `01`/`02` are geographic landlines, `03` non-geographic, `055`
/// corporate, `056` VoIP, `080` freephone, `084`/`087` shared cost, `09` premium.
fn classify_uk(nsn: &str) -> Result<NumberKind, PhoneError> {
    if nsn.starts_with('0') {
        // A second trunk 0, or an international prefix: not a number.
        return Err(PhoneError::InvalidNumber { calling_code: 44 });
    }
    length(nsn, 9, 10)?;
    let kind = if nsn.starts_with("70") {
        NumberKind::Personal
    } else if nsn.starts_with("76") && !nsn.starts_with("7624") {
        NumberKind::Pager
    } else if nsn.starts_with('7') {
        length(nsn, 10, 10)?;
        NumberKind::Mobile
    } else if starts_with_any(nsn, &["1", "2"]) {
        NumberKind::FixedLine
    } else if starts_with_any(nsn, &["3", "55"]) {
        NumberKind::Other
    } else if nsn.starts_with("56") {
        NumberKind::IpPhone
    } else if nsn.starts_with("80") {
        NumberKind::TollFree
    } else if starts_with_any(nsn, &["84", "87"]) {
        NumberKind::SharedCost
    } else if nsn.starts_with('9') {
        NumberKind::PremiumRate
    } else {
        return Err(PhoneError::InvalidNumber { calling_code: 44 });
    };
    Ok(kind)
}

/// Germany (BNetzA plan). Mobiles are `015x`, `0160`, `0162`, `0163` and `017x`, with
/// 10 or 11 digits after the trunk 0. Other `016x` blocks were paging networks. `032`
/// is location-independent national numbers, `0700` personal, `0800` freephone,
/// `0180` shared cost, `0900` premium, other `01x` service blocks; `02`-`09`
/// geographic landlines.
fn classify_de(nsn: &str) -> Result<NumberKind, PhoneError> {
    if nsn.starts_with('0') {
        // A second trunk 0, or an international prefix: not a number.
        return Err(PhoneError::InvalidNumber { calling_code: 49 });
    }
    length(nsn, 6, 13)?;
    let kind = if starts_with_any(nsn, &["15", "160", "162", "163", "17"]) {
        length(nsn, 10, 11)?;
        NumberKind::Mobile
    } else if nsn.starts_with("16") {
        NumberKind::Pager
    } else if nsn.starts_with("180") {
        NumberKind::SharedCost
    } else if nsn.starts_with('1') || nsn.starts_with("32") {
        NumberKind::Other
    } else if nsn.starts_with("700") {
        NumberKind::Personal
    } else if nsn.starts_with("800") {
        NumberKind::TollFree
    } else if nsn.starts_with("900") {
        NumberKind::PremiumRate
    } else {
        NumberKind::FixedLine
    };
    Ok(kind)
}
