//! The simulator's own acceptance rules, written from `GATEWAYS.md` and the
//! official clients' request shapes, never from the SDK.
//!
//! Nothing here calls `pasarela-core`'s validation, parsing, message types
//! or field lists: a rule misread in the SDK must show up as the simulator
//! disagreeing with it, not be copied into the witness. The only things
//! taken from the core are cryptographic primitives (RSA verification with
//! the merchant's public key, in [`super::Inner::merchant_verifier`]); the
//! hashes, timestamps, base64 and every field rule are this module's.

pub(crate) mod monnet;
pub(crate) mod smilepayz;

use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;
use time::macros::offset;
use time::{Date, Month, OffsetDateTime, Time, UtcOffset};

/// Peru time, in which both gateways write their dates (UTC−5, no DST).
pub(crate) const PERU: UtcOffset = offset!(-5);

/// Lowercase hex of SHA-512 over `text`.
pub(crate) fn sha512_hex(text: &str) -> String {
    hex(&Sha512::digest(text.as_bytes()))
}

/// Lowercase hex of SHA-256 over `text`.
pub(crate) fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Whether `given` is the hex digest `expected`, ignoring the case of hex
/// letters, in time that does not depend on where they differ.
pub(crate) fn hex_matches(given: &str, expected: &str) -> bool {
    let given = given.trim().to_ascii_lowercase();
    let expected = expected.to_ascii_lowercase();
    bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// `X-TIMESTAMP` as the simulator writes it: `yyyy-MM-ddTHH:mm:ss-05:00`,
/// Peru time, second precision.
pub(crate) fn format_peru_timestamp(at: OffsetDateTime) -> String {
    let t = at.to_offset(PERU);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}-05:00",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Reads an RFC 3339 date-time as the gateway takes `X-TIMESTAMP`:
/// `yyyy-MM-ddTHH:mm:ss` followed by `Z` or `±HH:mm` (offset hours 0–23,
/// minutes 0–59). Refused: fractional seconds, a missing offset, a signed or
/// five-digit year, a space instead of `T`, impossible dates and times.
pub(crate) fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    let bytes = text.as_bytes();
    let (stamp, zone) = (bytes.get(..19)?, bytes.get(19..)?);
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = stamp.get(range)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if separators.iter().any(|(i, c)| stamp.get(*i) != Some(c)) {
        return None;
    }
    let year = i32::try_from(digits(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(digits(5..7)?).ok()?).ok()?;
    let day = u8::try_from(digits(8..10)?).ok()?;
    let hour = u8::try_from(digits(11..13)?).ok()?;
    let minute = u8::try_from(digits(14..16)?).ok()?;
    let second = u8::try_from(digits(17..19)?).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(hour, minute, second).ok()?;
    let offset = match zone {
        b"Z" => UtcOffset::UTC,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let two = |a: u8, b: u8| {
                (a.is_ascii_digit() && b.is_ascii_digit()).then(|| (a - b'0') * 10 + (b - b'0'))
            };
            let (hours, minutes) = (two(*h1, *h2)?, two(*m1, *m2)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let (h, m) = (i8::try_from(hours).ok()?, i8::try_from(minutes).ok()?);
            let sign = if *sign == b'-' { -1 } else { 1 };
            UtcOffset::from_hms(sign * h, sign * m, 0).ok()?
        }
        _ => return None,
    };
    Some(date.with_time(time).assume_offset(offset))
}

/// Reads `YYYY-MM-DD` (Monnet's status-query dates).
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let year = i32::try_from(num(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(num(5..7)?).ok()?).ok()?;
    let day = u8::try_from(num(8..10)?).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn timestamps_take_any_offset_and_z() {
        let at = datetime!(2024-12-30 18:30:36 UTC);
        for text in [
            "2024-12-30T18:30:36Z",
            "2024-12-30T13:30:36-05:00",
            "2024-12-31T01:30:36+07:00",
            "2024-12-30T18:30:36+00:00",
            "2024-12-31T18:29:36+23:59",
        ] {
            let parsed = parse_timestamp(text);
            if text.ends_with("+23:59") {
                assert!(parsed.is_some(), "{text}");
            } else {
                assert_eq!(parsed, Some(at), "{text}");
            }
        }
    }

    #[test]
    fn timestamps_refuse_what_the_format_excludes() {
        for text in [
            "2024-12-30T18:30:36",
            "2024-12-30T18:30:36.123Z",
            "2024-12-30T18:30:36.5-05:00",
            "+2024-12-30T18:30:36Z",
            "-2024-12-30T18:30:36Z",
            "12024-12-30T18:30:36Z",
            "2024-12-30 18:30:36-05:00",
            "2024-12-30T18:30:36+24:00",
            "2024-12-30T18:30:36+05:60",
            "2024-12-30T18:30:36-0500",
            "2024-02-30T18:30:36Z",
            "2024-12-30T24:00:00Z",
            "2024-12-30T18:30:60Z",
            "2024-12-30T18:30:36ZZ",
            "",
            "２024-12-30T18:30:36Z",
        ] {
            assert_eq!(parse_timestamp(text), None, "{text}");
        }
    }

    #[test]
    fn peru_timestamps_round_trip() {
        let at = datetime!(2020-12-17 15:55:00 UTC);
        let text = format_peru_timestamp(at);
        assert_eq!(text, "2020-12-17T10:55:00-05:00");
        assert_eq!(parse_timestamp(&text), Some(at));
    }

    #[test]
    fn digests_are_lowercase_hex_and_compare_ignoring_case() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(sha512_hex("abc").starts_with("ddaf35a193617aba"));
        let d = sha256_hex("x");
        assert!(hex_matches(&d.to_uppercase(), &d));
        assert!(!hex_matches(&d[1..], &d));
        assert!(!hex_matches("", &d));
    }

    #[test]
    fn dates() {
        assert!(parse_date("2025-01-31").is_some());
        for bad in ["2025/01/31", "2025-1-31", "2025-02-30", "+025-01-31", ""] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
