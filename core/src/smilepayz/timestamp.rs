//! Timestamps: what the SDK sends and what it accepts.
//!
//! - **Sent** (`X-TIMESTAMP` of requests): `yyyy-MM-ddTHH:mm:ss-05:00`,
//!   second precision, Peru time — the documented form.
//! - **Read** (a response's `X-TIMESTAMP` through
//!   [`response_timestamp`](super::response_timestamp), a callback's
//!   `X-TIMESTAMP`, `transactionTime`):
//!   any RFC 3339 offset, `Z` included (the docs' own signature example uses
//!   `Z`, the Java demo sends `Z`, the PHP demo `+07:00`), with hours ≤ 23 and
//!   minutes ≤ 59. Refused: fractional seconds, a missing offset, a signed or
//!   short year (`+2020-…`), anything around the text. A callback's
//!   `transactionTime` may come without an offset (a documented example
//!   reads `2024-07-03T08:56:33`): [`parse_peru_local_time`] reads it as Peru
//!   time.

use time::macros::{format_description, offset};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use time::format_description::FormatItem;

/// Peru's offset from UTC (no daylight saving time).
pub const PERU_OFFSET: UtcOffset = offset!(-5);

const FORMAT: &[FormatItem<'static>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
);

/// Renders `instant` as an `X-TIMESTAMP` in Peru time, whatever its offset:
/// `2020-12-17T15:55:00Z` becomes `2020-12-17T10:55:00-05:00`. Sub-second
/// precision is dropped.
///
/// ```
/// use pasarela_core::smilepayz::format_timestamp;
/// let t = time::macros::datetime!(2020-12-17 15:55:00.75 UTC);
/// assert_eq!(format_timestamp(t), "2020-12-17T10:55:00-05:00");
/// ```
pub fn format_timestamp(instant: OffsetDateTime) -> String {
    let peru = instant.to_offset(PERU_OFFSET);
    // Formatting a four-digit year with this description cannot fail; years
    // outside 0..=9999 render with a sign and are still a timestamp.
    peru.format(FORMAT).unwrap_or_else(|_| {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}-05:00",
            peru.year(),
            u8::from(peru.month()),
            peru.day(),
            peru.hour(),
            peru.minute(),
            peru.second()
        )
    })
}

/// Parses a timestamp the SDK reads: `yyyy-MM-ddTHH:mm:ss` and an RFC 3339
/// offset (`Z`, `+07:00`, `-05:00`; at most ±23:59). `None` for anything
/// else: fractional seconds, no offset, a signed year, surrounding space.
///
/// ```
/// use pasarela_core::smilepayz::parse_timestamp;
/// let peru = parse_timestamp("2020-12-17T10:55:00-05:00").unwrap();
/// assert_eq!(peru.unix_timestamp(), 1608220500);
/// assert_eq!(parse_timestamp("2020-12-17T15:55:00Z"), Some(peru));
/// assert!(parse_timestamp("2020-12-17T10:55:00").is_none());
/// assert!(parse_timestamp("2020-12-17T10:55:00.5Z").is_none());
/// assert!(parse_timestamp("+2020-12-17T10:55:00Z").is_none());
/// ```
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    let (local, rest) = parse_local(text)?;
    Some(local.assume_offset(parse_offset(rest)?))
}

/// Parses a callback's `transactionTime`: like [`parse_timestamp`], and a
/// time without an offset is Peru time (`2024-07-03T08:56:33` is
/// `2024-07-03T08:56:33-05:00`).
///
/// ```
/// use pasarela_core::smilepayz::{parse_peru_local_time, parse_timestamp};
/// assert_eq!(
///     parse_peru_local_time("2024-07-03T08:56:33"),
///     parse_timestamp("2024-07-03T08:56:33-05:00"),
/// );
/// ```
pub fn parse_peru_local_time(text: &str) -> Option<OffsetDateTime> {
    let (local, rest) = parse_local(text)?;
    if rest.is_empty() {
        Some(local.assume_offset(PERU_OFFSET))
    } else {
        Some(local.assume_offset(parse_offset(rest)?))
    }
}

/// `yyyy-MM-ddTHH:mm:ss` at the start of `text`, and what follows.
fn parse_local(text: &str) -> Option<(PrimitiveDateTime, &str)> {
    let b = text.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u16> {
        let digits = b.get(range)?;
        let mut n = 0u16;
        for &d in digits {
            if !d.is_ascii_digit() {
                return None;
            }
            n = n * 10 + u16::from(d - b'0');
        }
        Some(n)
    };
    let seps = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if seps.iter().any(|&(i, c)| b[i] != c) || !matches!(b[10], b'T' | b't') {
        return None;
    }
    let year = i32::from(num(0..4)?);
    let month = Month::try_from(u8::try_from(num(5..7)?).ok()?).ok()?;
    let day = u8::try_from(num(8..10)?).ok()?;
    let hour = u8::try_from(num(11..13)?).ok()?;
    let minute = u8::try_from(num(14..16)?).ok()?;
    let second = u8::try_from(num(17..19)?).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some((PrimitiveDateTime::new(date, time), text.get(19..)?))
}

/// `Z` or `±HH:mm` (HH ≤ 23, mm ≤ 59), and nothing after it.
fn parse_offset(text: &str) -> Option<UtcOffset> {
    match text.as_bytes() {
        [b'Z' | b'z'] => Some(UtcOffset::UTC),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let two = |a: u8, b: u8| -> Option<i8> {
                (a.is_ascii_digit() && b.is_ascii_digit())
                    .then(|| i8::try_from((a - b'0') * 10 + (b - b'0')).ok())?
            };
            let hours = two(*h1, *h2)?;
            let minutes = two(*m1, *m2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let s = if *sign == b'-' { -1 } else { 1 };
            UtcOffset::from_hms(s * hours, s * minutes, 0).ok()
        }
        _ => None,
    }
}

/// Checks that a signed `X-TIMESTAMP` is within `tolerance` of `now`, either
/// way: the gateway's ±5-minute window on requests, the merchant's on
/// callbacks.
pub fn check_timestamp_window(
    signed_at: OffsetDateTime,
    now: OffsetDateTime,
    tolerance: time::Duration,
) -> Result<(), crate::VerifyError> {
    let skew = signed_at - now;
    if skew.abs() > tolerance.abs() {
        Err(crate::VerifyError::TimestampOutsideTolerance {
            skew_secs: skew.whole_seconds(),
            tolerance_secs: tolerance.abs().whole_seconds().unsigned_abs(),
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    #[test]
    fn renders_peru_time_from_any_offset() {
        let utc = datetime!(2020-12-17 15:55:00 UTC);
        let tokyo = utc.to_offset(offset!(+9));
        assert_eq!(format_timestamp(utc), "2020-12-17T10:55:00-05:00");
        assert_eq!(format_timestamp(tokyo), "2020-12-17T10:55:00-05:00");
        // crossing midnight backwards
        assert_eq!(
            format_timestamp(datetime!(2021-01-01 02:00:00 UTC)),
            "2020-12-31T21:00:00-05:00"
        );
    }

    #[test]
    fn reads_any_rfc3339_offset() {
        let t = datetime!(2020-12-17 15:55:00 UTC);
        for ok in [
            "2020-12-17T10:55:00-05:00",
            "2020-12-17T15:55:00Z",
            "2020-12-17T15:55:00z",
            "2020-12-17t15:55:00Z",
            "2020-12-17T22:55:00+07:00",
            "2020-12-17T15:55:00+00:00",
            "2020-12-17T15:55:00-00:00",
            "2020-12-18T15:54:00+23:59",
        ] {
            assert_eq!(parse_timestamp(ok), Some(t), "{ok}");
        }
    }

    #[test]
    fn refuses_what_rfc3339_seconds_do_not_allow() {
        for bad in [
            "",
            "2020-12-17T10:55:00",
            "2020-12-17T10:55:00.123-05:00",
            "2020-12-17T10:55:00.1Z",
            "2020-12-17T10:55-05:00",
            "2020-13-17T10:55:00-05:00",
            "2021-02-29T10:55:00-05:00",
            "2020-12-17T24:00:00-05:00",
            "2020-12-17T10:55:60-05:00",
            "2020-12-17T10:55:00-0500",
            "2020-12-17T10:55:00-05",
            "2020-12-17T10:55:00+24:00",
            "2020-12-17T10:55:00+25:00",
            "2020-12-17T10:55:00+05:60",
            "2020-12-17T10:55:00+05:00:00",
            "+2020-12-17T10:55:00-05:00",
            "-2020-12-17T10:55:00-05:00",
            "+02020-12-17T10:55:00Z",
            "20-12-17T10:55:00Z",
            "2020-12-17 10:55:00-05:00",
            " 2020-12-17T10:55:00-05:00",
            "2020-12-17T10:55:00-05:00 ",
            "２020-12-17T10:55:00Z",
        ] {
            assert!(parse_timestamp(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn transaction_time_without_offset_is_peru_time() {
        assert_eq!(
            parse_peru_local_time("2024-07-03T08:56:33"),
            Some(datetime!(2024-07-03 08:56:33 -5))
        );
        assert_eq!(
            parse_peru_local_time("2024-07-03T13:56:33Z"),
            Some(datetime!(2024-07-03 08:56:33 -5))
        );
        for bad in [
            "2024-07-03T08:56:33.5",
            "2024-07-03T08:56:33+24:00",
            "+2024-07-03T08:56:33",
            "2024-07-03",
        ] {
            assert!(parse_peru_local_time(bad).is_none(), "{bad}");
        }
        // Headers never get this leniency.
        assert!(parse_timestamp("2024-07-03T08:56:33").is_none());
    }

    #[test]
    fn window_is_inclusive_both_ways() {
        let t = datetime!(2020-12-17 15:55:00 UTC);
        let five = time::Duration::minutes(5);
        assert!(check_timestamp_window(t, t + five, five).is_ok());
        assert!(check_timestamp_window(t, t - five, five).is_ok());
        assert!(check_timestamp_window(t, t + five + time::Duration::SECOND, five).is_err());
        assert!(check_timestamp_window(t, t - five - time::Duration::SECOND, five).is_err());
    }

    fn instant() -> impl Strategy<Value = OffsetDateTime> {
        // 0001-01-02 .. 9999-12-30, so every offset keeps a four-digit year.
        (-62_135_510_400i64..253_402_128_000).prop_map(|s| {
            OffsetDateTime::from_unix_timestamp(s).unwrap_or(OffsetDateTime::UNIX_EPOCH)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn sent_form_reads_back(t in instant()) {
            let text = format_timestamp(t);
            prop_assert!(text.ends_with("-05:00"));
            prop_assert_eq!(parse_timestamp(&text), Some(t));
        }

        #[test]
        fn every_offset_within_a_day_reads(t in instant(), hours in -23i8..=23, minutes in 0i8..=59) {
            let minutes = if hours < 0 { -minutes } else { minutes };
            let offset = UtcOffset::from_hms(hours, minutes, 0).unwrap();
            let text = t.to_offset(offset).format(FORMAT).unwrap();
            prop_assert_eq!(parse_timestamp(&text), Some(t));
            let zulu = format!("{}Z", &t.to_offset(UtcOffset::UTC).format(FORMAT).unwrap()[..19]);
            prop_assert_eq!(parse_timestamp(&zulu), Some(t));
        }

        #[test]
        fn fractions_signed_years_and_wide_offsets_are_refused(t in instant(), frac in 1u32..999_999, hours in 24u8..=99) {
            let text = format_timestamp(t);
            let (local, offset) = text.split_at(19);
            let fractional = format!("{local}.{frac}{offset}");
            prop_assert!(parse_timestamp(&fractional).is_none());
            prop_assert!(parse_peru_local_time(&fractional).is_none());
            let signed = format!("+{text}");
            prop_assert!(parse_timestamp(&signed).is_none());
            let wide = format!("{local}+{hours:02}:00");
            prop_assert!(parse_timestamp(&wide).is_none());
            prop_assert!(parse_timestamp(local).is_none());
            prop_assert_eq!(parse_peru_local_time(local), parse_timestamp(&format!("{local}-05:00")));
        }

        #[test]
        fn never_panics(text in "\\PC{0,40}") {
            let _ = parse_timestamp(&text);
            let _ = parse_peru_local_time(&text);
        }
    }
}
