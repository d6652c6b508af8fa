//! Parsing with libphonenumber's metadata (cargo feature `phonenumber`).
//!
//! The built-in rules screen four numbering plans; libphonenumber's metadata knows
//! every country's ranges and number types. This is an alternate constructor: the
//! input is folded and international prefixes are read as in
//! [`PhoneNumber::parse`], libphonenumber then validates and types the number, and
//! the same SMS screening as [`PhoneNumber::parse_e164`] applies on top. The
//! metadata is stricter in places: for example it refuses the UK's reserved
//! drama range `07700 900xxx`, which the built-in rules accept.

use phonenumber::{Mode, Type, country};

use super::{NumberKind, PhoneError, PhoneNumber, Region, normalize};

impl PhoneNumber {
    /// Parses `input` with libphonenumber's metadata, reading national numbers by the
    /// rules of `default_region` (any region libphonenumber knows), and refuses
    /// numbers whose metadata type cannot receive SMS: only `Mobile` and
    /// `FixedLineOrMobile` pass.
    ///
    /// Metadata lags numbering changes; the bundled copy is libphonenumber's as
    /// pinned by the `phonenumber` crate version (it already knows Japan's `060`).
    ///
    /// # Errors
    /// As [`parse`](Self::parse), plus [`PhoneError::InvalidNumber`] when the
    /// metadata says the number is not valid for its country, and
    /// [`PhoneError::NotSmsCapable`] with the metadata's number type.
    #[cfg_attr(docsrs, doc(cfg(feature = "phonenumber")))]
    pub fn parse_with_metadata(input: &str, default_region: Region) -> Result<Self, PhoneError> {
        let folded = normalize::fold(input)?;
        // Our reading of international prefixes (Japan's `00` as well as `010`) is
        // applied first, so both constructors agree on which country is meant.
        let international = super::Plan::for_region(default_region)
            .and_then(|plan| plan.strip_international_prefix(&folded.digits));
        let text = match international {
            Some(rest) => format!("+{rest}"),
            None if folded.plus => format!("+{}", folded.digits),
            None => folded.digits,
        };
        let id: Option<country::Id> = default_region.as_str().parse().ok();
        let parsed = phonenumber::parse(id, &text).map_err(parse_error)?;
        let calling_code = parsed.code().value();
        if !parsed.is_valid() {
            return Err(PhoneError::InvalidNumber { calling_code });
        }
        let kind = kind_of(parsed.number_type(&phonenumber::metadata::DATABASE));
        if !matches!(kind, NumberKind::Mobile | NumberKind::FixedLineOrMobile) {
            return Err(PhoneError::NotSmsCapable { kind });
        }
        Self::parse_e164(&parsed.format().mode(Mode::E164).to_string())
    }

    /// The number's type by libphonenumber's metadata (`Unknown` when the metadata
    /// does not place it in any range).
    #[must_use]
    pub fn metadata_kind(&self) -> NumberKind {
        match phonenumber::parse(None, self.as_e164()) {
            Ok(n) => kind_of(n.number_type(&phonenumber::metadata::DATABASE)),
            Err(_) => NumberKind::Unknown,
        }
    }
}

fn parse_error(e: phonenumber::ParseError) -> PhoneError {
    match e {
        phonenumber::ParseError::InvalidCountryCode => PhoneError::UnknownCallingCode,
        phonenumber::ParseError::TooShortAfterIdd
        | phonenumber::ParseError::TooShortNsn
        | phonenumber::ParseError::NoNumber => PhoneError::TooShort,
        // An integer part that does not fit is a number with too many digits.
        phonenumber::ParseError::TooLong | phonenumber::ParseError::MalformedInteger(_) => {
            PhoneError::TooLong
        }
    }
}

fn kind_of(t: Type) -> NumberKind {
    match t {
        Type::Mobile => NumberKind::Mobile,
        Type::FixedLineOrMobile => NumberKind::FixedLineOrMobile,
        Type::FixedLine => NumberKind::FixedLine,
        Type::TollFree => NumberKind::TollFree,
        Type::PremiumRate => NumberKind::PremiumRate,
        Type::SharedCost => NumberKind::SharedCost,
        Type::PersonalNumber => NumberKind::Personal,
        Type::Voip => NumberKind::IpPhone,
        Type::Pager => NumberKind::Pager,
        Type::Unknown => NumberKind::Unknown,
        _ => NumberKind::Other,
    }
}
