//! How many SMS parts a body takes, in GSM-7 or UCS-2 (3GPP TS 23.038 / 23.040).
//!
//! A single SMS carries 140 octets: 160 GSM-7 septets or 70 UCS-2 (UTF-16) units.
//! A concatenated message spends 6 octets of each part on the user data header,
//! leaving 153 septets or 67 units per part. Providers bill per part, so the count
//! must match theirs exactly: an escape pair (GSM-7 extension character) and a
//! surrogate pair (emoji and other astral characters) are never split across
//! parts, so a part may carry one unit less.

/// How the SMS body is encoded on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// The GSM 03.38 7-bit default alphabet with its extension table: 160 septets
    /// in a single SMS, 153 per part of a longer one.
    Gsm7,
    /// UCS-2 (UTF-16 on the air): 70 units in a single SMS, 67 per part. Any
    /// character outside GSM-7 forces it for the whole message.
    Ucs2,
}

impl Encoding {
    /// Units (septets or UTF-16 units) that fit a single, unsplit SMS.
    #[must_use]
    pub fn single_capacity(self) -> usize {
        match self {
            Encoding::Gsm7 => 160,
            Encoding::Ucs2 => 70,
        }
    }

    /// Units that fit each part of a concatenated SMS.
    #[must_use]
    pub fn part_capacity(self) -> usize {
        match self {
            Encoding::Gsm7 => 153,
            Encoding::Ucs2 => 67,
        }
    }
}

/// Encoding and part count of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segments {
    /// The encoding the whole body needs.
    pub encoding: Encoding,
    /// How many SMS parts it takes (what providers bill). An empty body is one
    /// (empty) SMS.
    pub count: u16,
}

/// Septets each byte of an ASCII body costs in GSM-7: 1, 2 for the extension table,
/// 0 for bytes outside the default alphabet (and every non-ASCII byte), from
/// [`gsm7_septets`].
const ASCII_SEPTETS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = match b as u8 {
            0x0C | b'^' | b'{' | b'}' | b'\\' | b'[' | b'~' | b']' | b'|' => 2,
            b'`' => 0,
            b' '..=b'~' | b'\n' | b'\r' => 1,
            _ => 0,
        };
        b += 1;
    }
    table
};

/// Works out the encoding and the number of parts of `body`.
#[must_use]
pub fn segments(body: &str) -> Segments {
    // Most codes go out in short ASCII bodies: cost them by a byte table, with no
    // branch per character, instead of the per-character match below.
    if body.len() <= Encoding::Gsm7.single_capacity() {
        let (mut septets, mut outside) = (0usize, 0u8);
        for b in body.bytes() {
            let cost = ASCII_SEPTETS[usize::from(b)];
            septets += usize::from(cost);
            outside |= u8::from(cost == 0);
        }
        if outside == 0 && septets <= Encoding::Gsm7.single_capacity() {
            return Segments {
                encoding: Encoding::Gsm7,
                count: 1,
            };
        }
    }
    by_table(body)
}

/// [`segments`] by the per-character table, for any body.
fn by_table(body: &str) -> Segments {
    // One pass for the totals; the part-by-part pass only runs for long bodies.
    let mut septets = Some(0usize);
    let mut units = 0usize;
    for c in body.chars() {
        septets = septets.and_then(|n| Some(n + gsm7_septets(c)?));
        units += c.len_utf16();
    }
    let (encoding, total) = match septets {
        Some(n) => (Encoding::Gsm7, n),
        None => (Encoding::Ucs2, units),
    };
    let count = if total <= encoding.single_capacity() {
        1
    } else if septets.is_some() {
        pack(
            body.chars().filter_map(gsm7_septets),
            encoding.part_capacity(),
        )
    } else {
        pack(body.chars().map(char::len_utf16), encoding.part_capacity())
    };
    Segments {
        encoding,
        count: u16::try_from(count).unwrap_or(u16::MAX),
    }
}

/// Units `body` takes in the encoding [`segments`] chooses: septets for GSM-7
/// (extension characters count 2), UTF-16 units for UCS-2.
#[must_use]
pub fn encoded_units(body: &str) -> usize {
    body.chars()
        .map(gsm7_septets)
        .sum::<Option<usize>>()
        .unwrap_or_else(|| body.encode_utf16().count())
}

/// Parts needed for characters of these costs in a concatenated message: greedy
/// filling, moving a character that does not fit whole to the next part.
fn pack(costs: impl Iterator<Item = usize>, per_part: usize) -> usize {
    let mut parts = 1;
    let mut used = 0;
    for cost in costs {
        if used + cost > per_part {
            parts += 1;
            used = 0;
        }
        used += cost;
    }
    parts
}

/// Septets `c` costs in GSM-7: 1 in the default alphabet, 2 in the extension table
/// (escape + character), `None` if GSM-7 cannot carry it.
#[must_use]
pub fn gsm7_septets(c: char) -> Option<usize> {
    match c {
        // Extension table: form feed, ^ { } \ [ ~ ] | and the euro sign.
        '\u{0C}' | '^' | '{' | '}' | '\\' | '[' | '~' | ']' | '|' | '€' => Some(2),
        // Every other printable ASCII character is in the default alphabet, except
        // the grave accent.
        '`' => None,
        ' '..='~' | '\n' | '\r' => Some(1),
        // The default alphabet's non-ASCII characters.
        '£' | '¥' | 'è' | 'é' | 'ù' | 'ì' | 'ò' | 'Ç' | 'Ø' | 'ø' | 'Å' | 'å' | 'Δ' | 'Φ' | 'Γ'
        | 'Λ' | 'Ω' | 'Π' | 'Ψ' | 'Σ' | 'Θ' | 'Ξ' | 'Æ' | 'æ' | 'ß' | 'É' | '¤' | '¡' | 'Ä'
        | 'Ö' | 'Ñ' | 'Ü' | '§' | '¿' | 'ä' | 'ö' | 'ñ' | 'ü' | 'à' => Some(1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{by_table, segments};

    #[test]
    fn the_ascii_fast_path_agrees_with_the_table() {
        // Every byte value alone, and pseudo-random ASCII bodies around the one-SMS
        // boundary, with and without extension characters.
        for b in 0u8..128 {
            let body = char::from(b).to_string();
            assert_eq!(segments(&body), by_table(&body), "byte {b}");
        }
        let mut x: u32 = 12345;
        for len in 150..=170 {
            for _ in 0..50 {
                let body: String = (0..len)
                    .map(|_| {
                        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                        let set = b" AZaz09{}[]~|^\\\n`\x0c";
                        char::from(set[(x >> 16) as usize % set.len()])
                    })
                    .collect();
                assert_eq!(segments(&body), by_table(&body), "{body:?}");
            }
        }
    }
}
