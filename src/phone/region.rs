//! Regions (ISO 3166-1 alpha-2) and the table of assigned country calling codes.

use std::fmt;
use std::str::FromStr;

/// A country or region, by ISO 3166-1 alpha-2 code, used to read national numbers.
///
/// Only regions that have a country calling code are representable (every region in
/// the ITU-T E.164 assignment list, plus `AC` for Ascension and `XK` for Kosovo, which
/// hold calling codes but no regular ISO code).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region([u8; 2]);

/// A region code that is not a known ISO 3166-1 alpha-2 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegionError {
    /// Not two ASCII letters.
    #[error("a region code is two ASCII letters (ISO 3166-1 alpha-2, e.g. \"JP\")")]
    Malformed,
    /// Two letters, but no region with a calling code has them.
    #[error("unknown region code (no ISO 3166-1 region with a country calling code)")]
    Unknown,
}

impl Region {
    /// Japan (+81).
    pub const JP: Region = Region(*b"JP");
    /// United States (+1).
    pub const US: Region = Region(*b"US");
    /// Canada (+1).
    pub const CA: Region = Region(*b"CA");
    /// United Kingdom (+44).
    pub const GB: Region = Region(*b"GB");
    /// Germany (+49).
    pub const DE: Region = Region(*b"DE");
    /// France (+33).
    pub const FR: Region = Region(*b"FR");
    /// South Korea (+82).
    pub const KR: Region = Region(*b"KR");
    /// China (+86).
    pub const CN: Region = Region(*b"CN");
    /// Taiwan (+886).
    pub const TW: Region = Region(*b"TW");
    /// Hong Kong (+852).
    pub const HK: Region = Region(*b"HK");
    /// Singapore (+65).
    pub const SG: Region = Region(*b"SG");
    /// Australia (+61).
    pub const AU: Region = Region(*b"AU");
    /// India (+91).
    pub const IN: Region = Region(*b"IN");

    /// Reads a region code, in any letter case (`"jp"`, `"JP"`).
    ///
    /// # Errors
    /// [`RegionError::Malformed`] unless the input is two ASCII letters,
    /// [`RegionError::Unknown`] for letters that name no region with a calling code.
    pub fn from_code(code: &str) -> Result<Region, RegionError> {
        let &[a, b] = code.as_bytes() else {
            return Err(RegionError::Malformed);
        };
        if !a.is_ascii_alphabetic() || !b.is_ascii_alphabetic() {
            return Err(RegionError::Malformed);
        }
        let region = Region([a.to_ascii_uppercase(), b.to_ascii_uppercase()]);
        if region.calling_code().is_some() {
            Ok(region)
        } else {
            Err(RegionError::Unknown)
        }
    }

    /// The two upper-case letters.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII letters by construction; the fallback is unreachable.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// The region's country calling code (`81` for Japan, `1` for Canada).
    #[must_use]
    pub fn calling_code(self) -> Option<u16> {
        CALLING_CODES
            .iter()
            .find(|(_, regions)| regions.contains(&self.as_str()))
            .map(|&(code, _)| code)
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Region({})", self.as_str())
    }
}

impl FromStr for Region {
    type Err = RegionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Region::from_code(s)
    }
}

/// Splits the digits of an international number (no `+`) into its calling code and
/// the rest. Calling codes are a prefix code (no code is a prefix of another), so the
/// first match of length 1, 2 or 3 is the only one.
pub(crate) fn split_calling_code(digits: &str) -> Option<(u16, usize)> {
    if digits.starts_with('0') {
        return None;
    }
    (1..=3).find_map(|len| {
        let code: u16 = digits.get(..len)?.parse().ok()?;
        CALLING_CODES
            .iter()
            .any(|&(c, _)| c == code)
            .then_some((code, len))
    })
}

/// How many digits a calling code has.
pub(crate) fn code_len(code: u16) -> usize {
    match code {
        0..=9 => 1,
        10..=99 => 2,
        _ => 3,
    }
}

/// The only region a calling code belongs to, if it belongs to exactly one.
pub(crate) fn sole_region(code: u16) -> Option<Region> {
    let (_, regions) = CALLING_CODES.iter().find(|&&(c, _)| c == code)?;
    match regions {
        [only] => {
            let &[a, b] = only.as_bytes() else {
                return None;
            };
            Some(Region([a, b]))
        }
        _ => None,
    }
}

/// Assigned country calling codes (ITU-T E.164 list) and the regions using each.
/// Codes with no region are global services (international freephone, satellite
/// networks, ...). Where several regions share a code the first is the main one.
pub(crate) const CALLING_CODES: &[(u16, &[&str])] = &[
    (
        1,
        &[
            "US", "CA", "AG", "AI", "AS", "BB", "BM", "BS", "DM", "DO", "GD", "GU", "JM", "KN",
            "KY", "LC", "MP", "MS", "PR", "SX", "TC", "TT", "UM", "VC", "VG", "VI",
        ],
    ),
    (7, &["RU", "KZ"]),
    (20, &["EG"]),
    (27, &["ZA"]),
    (30, &["GR"]),
    (31, &["NL"]),
    (32, &["BE"]),
    (33, &["FR"]),
    (34, &["ES"]),
    (36, &["HU"]),
    (39, &["IT", "VA"]),
    (40, &["RO"]),
    (41, &["CH"]),
    (43, &["AT"]),
    (44, &["GB", "GG", "IM", "JE"]),
    (45, &["DK"]),
    (46, &["SE"]),
    (47, &["NO", "SJ"]),
    (48, &["PL"]),
    (49, &["DE"]),
    (51, &["PE"]),
    (52, &["MX"]),
    (53, &["CU"]),
    (54, &["AR"]),
    (55, &["BR"]),
    (56, &["CL"]),
    (57, &["CO"]),
    (58, &["VE"]),
    (60, &["MY"]),
    (61, &["AU", "CC", "CX"]),
    (62, &["ID"]),
    (63, &["PH"]),
    (64, &["NZ", "PN"]),
    (65, &["SG"]),
    (66, &["TH"]),
    (81, &["JP"]),
    (82, &["KR"]),
    (84, &["VN"]),
    (86, &["CN"]),
    (90, &["TR"]),
    (91, &["IN"]),
    (92, &["PK"]),
    (93, &["AF"]),
    (94, &["LK"]),
    (95, &["MM"]),
    (98, &["IR"]),
    (211, &["SS"]),
    (212, &["MA", "EH"]),
    (213, &["DZ"]),
    (216, &["TN"]),
    (218, &["LY"]),
    (220, &["GM"]),
    (221, &["SN"]),
    (222, &["MR"]),
    (223, &["ML"]),
    (224, &["GN"]),
    (225, &["CI"]),
    (226, &["BF"]),
    (227, &["NE"]),
    (228, &["TG"]),
    (229, &["BJ"]),
    (230, &["MU"]),
    (231, &["LR"]),
    (232, &["SL"]),
    (233, &["GH"]),
    (234, &["NG"]),
    (235, &["TD"]),
    (236, &["CF"]),
    (237, &["CM"]),
    (238, &["CV"]),
    (239, &["ST"]),
    (240, &["GQ"]),
    (241, &["GA"]),
    (242, &["CG"]),
    (243, &["CD"]),
    (244, &["AO"]),
    (245, &["GW"]),
    (246, &["IO"]),
    (247, &["AC"]),
    (248, &["SC"]),
    (249, &["SD"]),
    (250, &["RW"]),
    (251, &["ET"]),
    (252, &["SO"]),
    (253, &["DJ"]),
    (254, &["KE"]),
    (255, &["TZ"]),
    (256, &["UG"]),
    (257, &["BI"]),
    (258, &["MZ"]),
    (260, &["ZM"]),
    (261, &["MG"]),
    (262, &["RE", "YT"]),
    (263, &["ZW"]),
    (264, &["NA"]),
    (265, &["MW"]),
    (266, &["LS"]),
    (267, &["BW"]),
    (268, &["SZ"]),
    (269, &["KM"]),
    (290, &["SH"]),
    (291, &["ER"]),
    (297, &["AW"]),
    (298, &["FO"]),
    (299, &["GL"]),
    (350, &["GI"]),
    (351, &["PT"]),
    (352, &["LU"]),
    (353, &["IE"]),
    (354, &["IS"]),
    (355, &["AL"]),
    (356, &["MT"]),
    (357, &["CY"]),
    (358, &["FI", "AX"]),
    (359, &["BG"]),
    (370, &["LT"]),
    (371, &["LV"]),
    (372, &["EE"]),
    (373, &["MD"]),
    (374, &["AM"]),
    (375, &["BY"]),
    (376, &["AD"]),
    (377, &["MC"]),
    (378, &["SM"]),
    // Assigned to the Vatican, which in practice dials as +39 06 698.
    (379, &[]),
    (380, &["UA"]),
    (381, &["RS"]),
    (382, &["ME"]),
    (383, &["XK"]),
    (385, &["HR"]),
    (386, &["SI"]),
    (387, &["BA"]),
    (389, &["MK"]),
    (420, &["CZ"]),
    (421, &["SK"]),
    (423, &["LI"]),
    (500, &["FK", "GS"]),
    (501, &["BZ"]),
    (502, &["GT"]),
    (503, &["SV"]),
    (504, &["HN"]),
    (505, &["NI"]),
    (506, &["CR"]),
    (507, &["PA"]),
    (508, &["PM"]),
    (509, &["HT"]),
    (590, &["GP", "BL", "MF"]),
    (591, &["BO"]),
    (592, &["GY"]),
    (593, &["EC"]),
    (594, &["GF"]),
    (595, &["PY"]),
    (596, &["MQ"]),
    (597, &["SR"]),
    (598, &["UY"]),
    (599, &["CW", "BQ"]),
    (670, &["TL"]),
    (672, &["NF", "AQ"]),
    (673, &["BN"]),
    (674, &["NR"]),
    (675, &["PG"]),
    (676, &["TO"]),
    (677, &["SB"]),
    (678, &["VU"]),
    (679, &["FJ"]),
    (680, &["PW"]),
    (681, &["WF"]),
    (682, &["CK"]),
    (683, &["NU"]),
    (685, &["WS"]),
    (686, &["KI"]),
    (687, &["NC"]),
    (688, &["TV"]),
    (689, &["PF"]),
    (690, &["TK"]),
    (691, &["FM"]),
    (692, &["MH"]),
    // International freephone (UIFN).
    (800, &[]),
    // International shared-cost service.
    (808, &[]),
    (850, &["KP"]),
    (852, &["HK"]),
    (853, &["MO"]),
    (855, &["KH"]),
    (856, &["LA"]),
    // Inmarsat.
    (870, &[]),
    // Universal personal telecommunications.
    (878, &[]),
    (880, &["BD"]),
    // Global mobile satellite systems, international networks.
    (881, &[]),
    (882, &[]),
    (883, &[]),
    (886, &["TW"]),
    // Telecommunications for disaster relief (OCHA).
    (888, &[]),
    (960, &["MV"]),
    (961, &["LB"]),
    (962, &["JO"]),
    (963, &["SY"]),
    (964, &["IQ"]),
    (965, &["KW"]),
    (966, &["SA"]),
    (967, &["YE"]),
    (968, &["OM"]),
    (970, &["PS"]),
    (971, &["AE"]),
    (972, &["IL"]),
    (973, &["BH"]),
    (974, &["QA"]),
    (975, &["BT"]),
    (976, &["MN"]),
    (977, &["NP"]),
    // International premium-rate service.
    (979, &[]),
    (992, &["TJ"]),
    (993, &["TM"]),
    (994, &["AZ"]),
    (995, &["GE"]),
    (996, &["KG"]),
    (998, &["UZ"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    // The parser relies on the table being a prefix code; a typo in it would make
    // some numbers split at the wrong place.
    #[test]
    fn calling_codes_are_prefix_free_and_unique() {
        let codes: Vec<String> = CALLING_CODES.iter().map(|(c, _)| c.to_string()).collect();
        for (i, a) in codes.iter().enumerate() {
            for (j, b) in codes.iter().enumerate() {
                if i != j {
                    assert!(!b.starts_with(a.as_str()), "{a} is a prefix of {b}");
                }
            }
        }
        let mut regions: Vec<&str> = CALLING_CODES
            .iter()
            .flat_map(|(_, r)| r.iter().copied())
            .collect();
        let n = regions.len();
        regions.sort_unstable();
        regions.dedup();
        assert_eq!(regions.len(), n, "a region is listed under two codes");
    }
}
