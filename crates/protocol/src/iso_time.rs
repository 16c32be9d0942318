//! Unix seconds to and from the ISO 8601 UTC form protocol v2 payloads carry
//! (`2026-04-20T00:00:00.000Z`), by the civil-calendar arithmetic of H. Hinnant's
//! `days_from_civil` (proleptic Gregorian, any year from 0 to 9999).

use std::fmt::Write as _;

use serde::de::{self, Deserializer, Visitor};

const SECONDS_PER_DAY: i64 = 86_400;

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `unix` as `YYYY-MM-DDTHH:MM:SS.000Z`; `None` outside years 0 to 9999.
pub fn format_unix(unix: i64) -> Option<String> {
    let (year, month, day) = civil_from_days(unix.div_euclid(SECONDS_PER_DAY));
    if !(0..=9999).contains(&year) {
        return None;
    }
    let secs = unix.rem_euclid(SECONDS_PER_DAY);
    let mut out = String::with_capacity(24);
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.000Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    Some(out)
}

/// The unix seconds of `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (the fraction is dropped).
pub fn parse_unix(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(range)?;
        digits.iter().try_fold(0i64, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        })
    };
    let punctuation = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if punctuation.iter().any(|&(at, c)| b.get(at) != Some(&c)) {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let rest = b.get(19..)?;
    let fraction = match rest.strip_prefix(b".") {
        Some(f) => f.strip_suffix(b"Z")?,
        None => rest.strip_suffix(b"Z").filter(|r| r.is_empty())?,
    };
    if !fraction.iter().all(u8::is_ascii_digit)
        || rest.first() == Some(&b'.') && fraction.is_empty()
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // A day past the month's end (e.g. 02-30) would roll over: refuse it.
    if civil_from_days(days) != (year, month, day) {
        return None;
    }
    Some(days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second)
}

/// Deserializes a payload `timestamp`: unix seconds (HMAC era) or an ISO 8601 string
/// (protocol v2), as unix seconds.
pub(crate) fn deserialize_timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct TimestampVisitor;
    impl Visitor<'_> for TimestampVisitor {
        type Value = i64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("unix seconds or an ISO 8601 UTC time")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
            parse_unix(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }
    d.deserialize_any(TimestampVisitor)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(parse_unix("2026-04-20T00:00:00.000Z"), Some(1_776_643_200));
        assert_eq!(parse_unix("2030-03-17T17:46:40Z"), Some(1_900_000_000));
        assert_eq!(
            format_unix(1_900_000_000).unwrap(),
            "2030-03-17T17:46:40.000Z"
        );
        assert_eq!(format_unix(0).unwrap(), "1970-01-01T00:00:00.000Z");
        for bad in [
            "",
            "2026-04-20",
            "2026-04-20T00:00:00",
            "2026-04-20T00:00:00.Z",
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-04-20T24:00:00Z",
            "2026-04-20 00:00:00Z",
            "2026-04-20T00:00:00+01:00",
            "+026-04-20T00:00:00Z",
        ] {
            assert_eq!(parse_unix(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn format_then_parse(unix in -62_167_219_200i64..253_402_300_800) {
            let text = format_unix(unix).unwrap();
            prop_assert_eq!(parse_unix(&text), Some(unix));
        }
    }
}
