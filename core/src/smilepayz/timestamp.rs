//! `X-TIMESTAMP` values: `yyyy-MM-ddTHH:mm:ss±HH:mm`, second precision,
//! explicit offset. Requests are stamped in Peru time (`-05:00`).

use time::format_description::FormatItem;
use time::macros::{format_description, offset};
use time::{OffsetDateTime, UtcOffset};

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

/// Parses an `X-TIMESTAMP` (any explicit offset). `None` when it does not
/// have exactly the `yyyy-MM-ddTHH:mm:ss±HH:mm` shape.
///
/// ```
/// use pasarela_core::smilepayz::parse_timestamp;
/// let t = parse_timestamp("2020-12-17T10:55:00-05:00").unwrap();
/// assert_eq!(t.unix_timestamp(), 1608220500);
/// assert!(parse_timestamp("2020-12-17 10:55:00").is_none());
/// ```
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, FORMAT).ok()
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
    fn parses_only_the_exact_shape() {
        assert!(parse_timestamp("2020-12-17T10:55:00+08:00").is_some());
        for bad in [
            "",
            "2020-12-17T10:55:00",
            "2020-12-17T10:55:00Z",
            "2020-12-17T10:55:00.123-05:00",
            "2020-12-17T10:55-05:00",
            "2020-13-17T10:55:00-05:00",
            "2020-12-17T10:55:00-0500",
            " 2020-12-17T10:55:00-05:00",
        ] {
            assert!(parse_timestamp(bad).is_none(), "{bad}");
        }
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

    #[test]
    fn round_trips() {
        let t = datetime!(2025-04-21 03:42:47 -5);
        assert_eq!(parse_timestamp(&format_timestamp(t)), Some(t));
    }
}
