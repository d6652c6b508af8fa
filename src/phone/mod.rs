//! Phone numbers in canonical E.164, parsed with a default region, masked in output.
//!
//! [`PhoneNumber::parse`] reads what people type: national numbers for Japan, the
//! North American Numbering Plan (US, Canada, ...), the UK and Germany, and
//! international numbers for every country written with `+` (or, in those regions,
//! with the local international prefix: `010` or `00` from Japan, `011` from North
//! America, `00` from the UK and Germany). Spaces, hyphens, dots, parentheses,
//! full-width digits and Japanese IME punctuation are accepted.
//!
//! For the four plans above, numbers that cannot receive an SMS code (landlines,
//! IP phones, M2M and pager ranges, freephone, premium rate) are refused with
//! [`PhoneError::NotSmsCapable`]; elsewhere only the E.164 shape and the calling code
//! are checked. With the `phonenumber` cargo feature,
//! [`PhoneNumber::parse_with_metadata`] screens every country with libphonenumber's
//! metadata instead.
//!
//! ```
//! use smsotp::phone::{NumberKind, PhoneError, PhoneNumber, Region};
//!
//! let n = PhoneNumber::parse("090-1234-5678", Region::JP)?;
//! assert_eq!(n.as_e164(), "+819012345678");
//! assert_eq!(n.calling_code(), 81);
//! assert_eq!(n.to_string(), "+81 90-****-5678");
//!
//! assert_eq!(
//!     PhoneNumber::parse("050-1234-5678", Region::JP),
//!     Err(PhoneError::NotSmsCapable { kind: NumberKind::IpPhone })
//! );
//! # Ok::<(), PhoneError>(())
//! ```

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::Arc;

#[cfg(feature = "phonenumber")]
mod metadata;
mod normalize;
mod plan;
mod region;

pub use region::{Region, RegionError};

use plan::Plan;

/// What kind of line a number belongs to, as far as its numbering plan tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NumberKind {
    /// A mobile number: receives SMS.
    Mobile,
    /// A number that may be mobile or fixed: the plan does not tell (NANP).
    FixedLineOrMobile,
    /// A landline.
    FixedLine,
    /// An IP-phone number (Japan `050`, UK `056`).
    IpPhone,
    /// A machine-to-machine or paging number (Japan `020`).
    M2m,
    /// A paging network (UK `076`, German `016x` outside the mobile blocks).
    Pager,
    /// Freephone (`0120`, `0800`, ...).
    TollFree,
    /// Premium rate.
    PremiumRate,
    /// Shared cost (Japan `0570`, UK `084`/`087`, Germany `0180`).
    SharedCost,
    /// Personal numbering (UK `070`, Germany `0700`).
    Personal,
    /// A special service range (corporate, information, voting, ...).
    Other,
    /// The number's plan is not screened by this crate.
    Unknown,
}

impl NumberKind {
    /// Whether a voice call can reach this kind of number: not machine-to-machine or
    /// paging numbers, nor freephone and premium ranges, which take no outbound calls
    /// a person answers. `Unknown` is allowed, as for SMS.
    #[must_use]
    pub fn takes_calls(self) -> bool {
        !matches!(
            self,
            Self::M2m | Self::Pager | Self::TollFree | Self::PremiumRate | Self::SharedCost
        )
    }

    /// Whether an SMS one-time code can be sent to this kind of number. `Unknown` is
    /// allowed: unscreened countries are taken as given.
    #[must_use]
    pub fn receives_sms(self) -> bool {
        matches!(
            self,
            NumberKind::Mobile | NumberKind::FixedLineOrMobile | NumberKind::Unknown
        )
    }

    fn describe(self) -> &'static str {
        match self {
            NumberKind::Mobile => "mobile",
            NumberKind::FixedLineOrMobile => "fixed-line or mobile",
            NumberKind::FixedLine => "landline",
            NumberKind::IpPhone => "IP-phone",
            NumberKind::M2m => "M2M/paging",
            NumberKind::Pager => "pager",
            NumberKind::TollFree => "freephone",
            NumberKind::PremiumRate => "premium-rate",
            NumberKind::SharedCost => "shared-cost",
            NumberKind::Personal => "personal-numbering",
            NumberKind::Other => "special-service",
            NumberKind::Unknown => "unknown",
        }
    }
}

impl fmt::Display for NumberKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Why a phone number was refused. Messages never contain the number's digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    /// No digits at all.
    #[error("no phone number was given")]
    Empty,
    /// Letters or symbols other than digits and layout characters (spaces, hyphens,
    /// dots, parentheses). Extensions and vanity letters are not accepted.
    #[error(
        "a phone number may contain only digits, a leading +, spaces, hyphens, dots and parentheses"
    )]
    InvalidCharacters,
    /// A `+` after a digit, or more than one `+`.
    #[error("a + may only come first in a phone number")]
    MisplacedPlus,
    /// Strict E.164 was required: `+` then digits, nothing else.
    #[error("not in E.164 form (+ then 2 to 15 digits, no spaces)")]
    NotE164,
    /// Too few digits for a number.
    #[error("the phone number is too short")]
    TooShort,
    /// Too many digits for a number.
    #[error("the phone number is too long")]
    TooLong,
    /// The digits after `+` do not start with an assigned country calling code.
    #[error("unknown country calling code")]
    UnknownCallingCode,
    /// The digits fit no number of the calling code's numbering plan (for example a
    /// US area code starting with 0 or 1, or a Japanese number without its leading 0).
    #[error("not a valid number in the +{calling_code} numbering plan")]
    InvalidNumber {
        /// The plan's calling code.
        calling_code: u16,
    },
    /// A real number, but of a kind that cannot receive an SMS code.
    #[error("{kind} numbers cannot receive SMS codes")]
    NotSmsCapable {
        /// What the number is.
        kind: NumberKind,
    },
    /// A number in national form for a region whose national numbers this crate does
    /// not read; write it in international form with `+`.
    #[error(
        "national numbers of region {region} are not supported; enter the number with + and the country code"
    )]
    UnsupportedRegion {
        /// The default region that was given.
        region: Region,
    },
}

/// A phone number in E.164 (`+819012345678`), ready to receive an SMS code.
///
/// `Display` and `Debug` show it masked (`+81 90-****-5678`); use
/// [`as_e164`](Self::as_e164) only to hand it to a provider, never to log it.
#[derive(Clone)]
pub struct PhoneNumber {
    /// Shared, not copied: a start clones the number into its SMS, and a heap copy
    /// there cost as much as the rest of composing it.
    e164: Arc<str>,
    /// Digits of the calling code (1 to 3).
    cc_len: u8,
    kind: NumberKind,
}

impl PhoneNumber {
    /// Parses strict E.164: `+`, then a calling code and the national number, 15
    /// digits at most, nothing else. Numbers of the screened plans (see the module
    /// docs) are also checked for SMS reachability, exactly as [`parse`](Self::parse)
    /// does, so a `PhoneNumber` is always a destination worth sending to.
    ///
    /// # Errors
    /// [`PhoneError::NotE164`] for anything but `+` and ASCII digits, and otherwise as
    /// [`parse`](Self::parse).
    pub fn parse_e164(input: &str) -> Result<Self, PhoneError> {
        if input.is_empty() {
            return Err(PhoneError::Empty);
        }
        let digits = input.strip_prefix('+').ok_or(PhoneError::NotE164)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneError::NotE164);
        }
        if digits.is_empty() {
            return Err(PhoneError::TooShort);
        }
        if digits.len() > 15 {
            return Err(PhoneError::TooLong);
        }
        if digits.starts_with('0') {
            return Err(PhoneError::UnknownCallingCode);
        }
        let (code, len) =
            region::split_calling_code(digits).ok_or(PhoneError::UnknownCallingCode)?;
        let nsn = digits.get(len..).ok_or(PhoneError::TooShort)?;
        Self::build(code, len, nsn)
    }

    /// Parses a number as a person typed it, reading national numbers by the rules of
    /// `default_region`.
    ///
    /// - International form is always accepted: `+81 90-1234-5678`, and in a region
    ///   with national rules also its international prefix (`0081 ...` or
    ///   `010 81 ...` from Japan, `011 ...` from North America, `00 ...` from the UK
    ///   and Germany). A trunk `0` kept after the calling code (`+81 090-...`,
    ///   `+44 07700 ...`, `+49 0151 ...`) is dropped, as people often write it.
    /// - National form is read for Japan, NANP regions (US, Canada, ...), the UK
    ///   (and Guernsey, Jersey, the Isle of Man) and Germany; for other regions it is
    ///   [`PhoneError::UnsupportedRegion`].
    /// - Full-width digits and `＋`, and any of `- . ( ) /`, spaces, dashes and their
    ///   full-width forms (`－ ー （ ）` ...) are accepted; nothing else is.
    ///
    /// # Errors
    /// A [`PhoneError`] saying what is wrong: characters, length, calling code, the
    /// plan's rules, or a number that cannot receive SMS (Japanese `050` IP phones,
    /// `020` M2M numbers and landlines, for example).
    pub fn parse(input: &str, default_region: Region) -> Result<Self, PhoneError> {
        let folded = normalize::fold(input)?;
        if folded.plus {
            return Self::from_international(&folded.digits);
        }
        let plan = Plan::for_region(default_region).ok_or(PhoneError::UnsupportedRegion {
            region: default_region,
        })?;
        if let Some(rest) = plan.strip_international_prefix(&folded.digits) {
            return Self::from_international(rest);
        }
        let nsn = plan.national_significant(&folded.digits)?;
        let code = plan.calling_code();
        Self::build(code, region::code_len(code), nsn)
    }

    /// Digits after the `+` or international prefix, with a kept trunk 0 forgiven.
    fn from_international(digits: &str) -> Result<Self, PhoneError> {
        if digits.starts_with('0') {
            return Err(PhoneError::UnknownCallingCode);
        }
        let (code, len) =
            region::split_calling_code(digits).ok_or(PhoneError::UnknownCallingCode)?;
        let mut nsn = digits.get(len..).ok_or(PhoneError::TooShort)?;
        if Plan::for_calling_code(code).is_some_and(Plan::has_trunk_zero) {
            nsn = nsn.strip_prefix('0').unwrap_or(nsn);
        }
        Self::build(code, len, nsn)
    }

    fn build(code: u16, cc_len: usize, nsn: &str) -> Result<Self, PhoneError> {
        // The shortest national numbers in service are 4 digits (Niue, St Helena).
        if nsn.len() < 4 {
            return Err(PhoneError::TooShort);
        }
        if cc_len + nsn.len() > 15 {
            return Err(PhoneError::TooLong);
        }
        let kind = match Plan::for_calling_code(code) {
            Some(plan) => plan.classify(nsn)?,
            None => NumberKind::Unknown,
        };
        if !kind.receives_sms() {
            return Err(PhoneError::NotSmsCapable { kind });
        }
        Ok(Self {
            e164: Arc::from(format!("+{code}{nsn}")),
            cc_len: u8::try_from(cc_len).map_err(|_| PhoneError::UnknownCallingCode)?,
            kind,
        })
    }

    /// The canonical E.164 form. Never log it; use `Display` (masked) instead.
    #[must_use]
    pub fn as_e164(&self) -> &str {
        &self.e164
    }

    /// The country calling code: `1`, `44`, `81`, `852`, ...
    #[must_use]
    pub fn calling_code(&self) -> u16 {
        self.e164
            .get(1..=usize::from(self.cc_len))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    /// The national significant number: the digits after the calling code, without
    /// any trunk prefix (`9012345678` for `+819012345678`).
    #[must_use]
    pub fn national_number(&self) -> &str {
        self.e164.get(1 + usize::from(self.cc_len)..).unwrap_or("")
    }

    /// The region, when the calling code belongs to one region only. Shared codes
    /// give `None`: `+1` (US, Canada and the Caribbean), `+7`, `+44` (UK and Crown
    /// Dependencies), `+47`, `+61`, ... — use [`calling_code`](Self::calling_code) to
    /// route by country.
    #[must_use]
    pub fn region(&self) -> Option<Region> {
        region::sole_region(self.calling_code())
    }

    /// The kind of line, for the plans this crate screens: `Mobile` for Japan, the UK
    /// and Germany, `FixedLineOrMobile` for NANP, `Unknown` elsewhere.
    #[must_use]
    pub fn kind(&self) -> NumberKind {
        self.kind
    }

    /// The E.164 form without its last four digits (`+81901234` for
    /// `+819012345678`): the block a number belongs to, to cap sends per block
    /// against SMS pumping (toll fraud through number ranges).
    #[must_use]
    pub fn destination_prefix(&self) -> &str {
        let keep = self.e164.len().saturating_sub(4);
        self.e164.get(..keep).unwrap_or("")
    }

    /// The number masked, fit to show and to log: the calling code, the first two
    /// national digits and the last four (`+81 90-****-5678`). Shorter national
    /// numbers show less, so at least three digits are always hidden.
    #[must_use]
    pub fn masked(&self) -> String {
        let nsn = self.national_number();
        let (head, tail) = match nsn.len() {
            9.. => (2, 4),
            7..=8 => (1, 3),
            n => (0, n.saturating_sub(3).min(2)),
        };
        let first = nsn.get(..head).unwrap_or("");
        let last = nsn.get(nsn.len().saturating_sub(tail)..).unwrap_or("");
        // The calling code's digits as written (they never start with 0), pushed piece
        // by piece: `format!` cost more than the rest of a start's bookkeeping.
        let code = self.e164.get(..=usize::from(self.cc_len)).unwrap_or("+");
        let mut out = String::with_capacity(code.len() + first.len() + last.len() + 7);
        out.push_str(code);
        out.push(' ');
        if !first.is_empty() {
            out.push_str(first);
            out.push('-');
        }
        out.push_str("****-");
        out.push_str(last);
        out
    }
}

impl PartialEq for PhoneNumber {
    fn eq(&self, other: &Self) -> bool {
        self.e164 == other.e164
    }
}

impl Eq for PhoneNumber {}

impl Hash for PhoneNumber {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.e164.hash(state);
    }
}

impl FromStr for PhoneNumber {
    type Err = PhoneError;
    /// Strict E.164, as [`PhoneNumber::parse_e164`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_e164(s)
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}
