//! Timestamps of access logs, turned into instants (Unix seconds) plus the
//! offset the server wrote, which names the default report zone (SPEC §1).
//!
//! The common `dd/Mon/yyyy:HH:MM:SS ±zzzz` form is decoded by hand at fixed
//! positions: it is on every line, and going through a general parser made it
//! the largest item of the profile. So is ISO 8601 with an offset, the time
//! of most JSON layouts. Everything else (missing offsets, other layouts)
//! falls back to chrono.

use std::cell::Cell;

use chrono::{DateTime, NaiveDateTime};

/// A log timestamp: the instant, and the UTC offset written beside it
/// (`None` when the log wrote none, which SPEC §1 reads as UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogTime {
    pub unix: i64,
    pub offset_s: Option<i32>,
}

/// Parses the text between `[` and `]` of a log line.
pub fn parse_log_time(s: &[u8]) -> Option<LogTime> {
    fast_clf(s).or_else(|| fast_iso(s)).or_else(|| slow_path(s))
}

/// `10/Oct/2000:13:55:36 -0700`, exactly 26 bytes.
fn fast_clf(s: &[u8]) -> Option<LogTime> {
    if s.len() != 26 || s[2] != b'/' || s[6] != b'/' || s[11] != b':' || s[20] != b' ' {
        return None;
    }
    let days = days_of_date(s[..11].try_into().ok()?)?;
    let hour = two_digits(&s[12..14])?;
    let minute = two_digits(&s[15..17])?;
    let second = two_digits(&s[18..20])?;
    if s[14] != b':' || s[17] != b':' {
        return None;
    }
    let sign: i32 = match s[21] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let off_h = two_digits(&s[22..24])? as i32;
    let off_m = two_digits(&s[24..26])? as i32;
    // 60 is a leap second as some servers print it; chrono accepts it too.
    if hour > 23 || minute > 59 || second > 60 || off_h > 23 || off_m > 59 {
        return None;
    }
    let offset_s = sign * (off_h * 3600 + off_m * 60);
    let local = days * 86_400 + hour as i64 * 3600 + minute as i64 * 60 + second as i64;
    Some(LogTime {
        unix: local - offset_s as i64,
        offset_s: Some(offset_s),
    })
}

/// `2000-10-10T13:55:36-07:00`, nginx's `$time_iso8601` and the time of
/// many JSON layouts, also with `Z`, a fraction of a second or a `-0700`
/// offset. It is on every line of such logs: chrono took 950 instructions
/// for one, this takes 280.
fn fast_iso(s: &[u8]) -> Option<LogTime> {
    if s.len() < 20
        || s[4] != b'-'
        || s[7] != b'-'
        || s[10] != b'T'
        || s[13] != b':'
        || s[16] != b':'
    {
        return None;
    }
    let year = four_digits(&s[0..4])?;
    let month = two_digits(&s[5..7])?;
    let day = two_digits(&s[8..10])?;
    let hour = two_digits(&s[11..13])?;
    let minute = two_digits(&s[14..16])?;
    let second = two_digits(&s[17..19])?;
    if !(1..=12).contains(&month)
        || !(1..=days_in_month(year, month)).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut zone = &s[19..];
    if let Some(fraction) = zone.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        zone = &fraction[digits..];
    }
    let offset_s = match zone {
        b"Z" => 0,
        [sign, h1, h2, b':', m1, m2] | [sign, h1, h2, m1, m2] => {
            let sign = match sign {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (h, m) = (two_digits(&[*h1, *h2])?, two_digits(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 3600 + m * 60) as i32
        }
        _ => return None,
    };
    let days = days_from_civil(year as i64, month, day);
    let local = days * 86_400 + hour as i64 * 3600 + minute as i64 * 60 + second as i64;
    Some(LogTime {
        unix: local - offset_s as i64,
        offset_s: Some(offset_s),
    })
}

thread_local! {
    /// The last `dd/Mon/yyyy` decoded on this thread and its day number:
    /// consecutive lines nearly always share their date.
    static LAST_DATE: Cell<([u8; 11], i64)> = const { Cell::new(([0; 11], 0)) };
}

/// Days since 1970-01-01 of `dd/Mon/yyyy`, `None` for an impossible date.
fn days_of_date(date: [u8; 11]) -> Option<i64> {
    let (last, days) = LAST_DATE.with(Cell::get);
    if last == date {
        return Some(days);
    }
    let day = two_digits(&date[0..2])?;
    let month = month_number(&date[3..6])?;
    let year = four_digits(&date[7..11])?;
    if !(1..=days_in_month(year, month)).contains(&day) {
        return None;
    }
    let days = days_from_civil(year as i64, month, day);
    LAST_DATE.with(|c| c.set((date, days)));
    Some(days)
}

/// Every other accepted form, through chrono. Rare enough that the cost of
/// a UTF-8 check and a format interpreter does not matter.
fn slow_path(s: &[u8]) -> Option<LogTime> {
    let s = std::str::from_utf8(s).ok()?.trim();
    // CLF with an offset but another length (a one-digit day, say).
    if let Ok(t) = DateTime::parse_from_str(s, "%d/%b/%Y:%H:%M:%S %z") {
        return Some(with_offset(t));
    }
    // ISO 8601 / RFC 3339 (`$time_iso8601`, `%{%Y-%m-%dT%H:%M:%S%z}t`).
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(with_offset(t));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%.f%:z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(with_offset(t));
        }
    }
    // No offset written: the instant is taken as UTC (SPEC §1). The second
    // CLF form is what Python's http.server and Werkzeug write.
    for fmt in [
        "%d/%b/%Y:%H:%M:%S",
        "%d/%b/%Y %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(LogTime {
                unix: t.and_utc().timestamp(),
                offset_s: None,
            });
        }
    }
    None
}

/// Unix time as JSON loggers write it, as a number or a string: seconds
/// with an optional fraction (Caddy's `ts`, nginx's `$msec`), or whole
/// milliseconds, microseconds or nanoseconds (Caddy's other `time_format`s,
/// Node loggers). The unit is told by the size: 12 or more digits before the
/// point are too many seconds for any log (beyond the year 5000). Fractions
/// of a second are dropped; an epoch carries no offset (UTC, SPEC §1).
pub fn parse_epoch(s: &[u8]) -> Option<LogTime> {
    let int_len = s.iter().position(|&b| b == b'.').unwrap_or(s.len());
    let (int, frac) = s.split_at(int_len);
    let valid = !int.is_empty()
        && int.len() <= 19
        && int.iter().all(u8::is_ascii_digit)
        && frac.iter().skip(1).all(u8::is_ascii_digit);
    let unix = if valid {
        let n: u64 = int.iter().fold(0, |n, &d| n * 10 + (d - b'0') as u64);
        let divisor = match int.len() {
            ..=11 => 1,
            12..=14 => 1_000,
            15..=17 => 1_000_000,
            _ => 1_000_000_000,
        };
        (n / divisor) as i64
    } else {
        // An exponent (`1.7e9`): rare, worth a float parse.
        if !s.first().is_some_and(u8::is_ascii_digit) || !s.iter().any(|&b| b | 0x20 == b'e') {
            return None;
        }
        let f: f64 = std::str::from_utf8(s).ok()?.parse().ok()?;
        if !(0.0..1e20).contains(&f) {
            return None;
        }
        let divisor = match f {
            f if f < 1e11 => 1.0,
            f if f < 1e14 => 1e3,
            f if f < 1e17 => 1e6,
            _ => 1e9,
        };
        (f / divisor) as i64
    };
    Some(LogTime {
        unix,
        offset_s: None,
    })
}

fn with_offset(t: DateTime<chrono::FixedOffset>) -> LogTime {
    LogTime {
        unix: t.timestamp(),
        offset_s: Some(t.offset().local_minus_utc()),
    }
}

fn two_digits(b: &[u8]) -> Option<u32> {
    let (a, c) = (b[0].wrapping_sub(b'0'), b[1].wrapping_sub(b'0'));
    (a < 10 && c < 10).then(|| (a * 10 + c) as u32)
}

fn four_digits(b: &[u8]) -> Option<i32> {
    Some((two_digits(&b[0..2])? * 100 + two_digits(&b[2..4])?) as i32)
}

fn month_number(b: &[u8]) -> Option<u32> {
    // Servers write the English abbreviation with this exact case.
    Some(match b {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    })
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`), exact for every year a log can hold.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};

    fn unix(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .unwrap()
            .timestamp()
    }

    #[test]
    fn clf_with_negative_offset() {
        // 13:55:36 at -07:00 is 20:55:36 UTC.
        let t = parse_log_time(b"10/Oct/2000:13:55:36 -0700").unwrap();
        assert_eq!(t.unix, unix(2000, 10, 10, 20, 55, 36));
        assert_eq!(t.offset_s, Some(-7 * 3600));
    }

    #[test]
    fn clf_with_half_hour_offset_crossing_midnight() {
        let t = parse_log_time(b"01/Jan/2024:02:00:00 +0530").unwrap();
        assert_eq!(t.unix, unix(2023, 12, 31, 20, 30, 0));
        assert_eq!(t.offset_s, Some(5 * 3600 + 1800));
    }

    #[test]
    fn fast_path_agrees_with_chrono_on_every_day_of_some_years() {
        for year in [1995, 2000, 2016, 2024, 2100] {
            let mut date = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
            while date.year_ce().1 == year as u32 {
                let text = format!("{} 23:59:58 +0100", date.format("%d/%b/%Y"));
                let text = text.replacen(' ', ":", 1);
                let fast = fast_clf(text.as_bytes()).unwrap();
                let slow = DateTime::parse_from_str(&text, "%d/%b/%Y:%H:%M:%S %z").unwrap();
                assert_eq!(fast.unix, slow.timestamp(), "{text}");
                date = date.succ_opt().unwrap();
            }
        }
    }

    use chrono::Datelike;

    #[test]
    fn impossible_dates_and_times_are_rejected() {
        for bad in [
            &b"31/Feb/2024:10:00:00 +0000"[..],
            b"29/Feb/2023:10:00:00 +0000",
            b"10/Foo/2024:10:00:00 +0000",
            b"10/Oct/2024:24:00:00 +0000",
            b"10/Oct/2024:10:61:00 +0000",
            b"10/Oct/2024:10:00:00 *0000",
            b"",
            b"yesterday",
        ] {
            assert_eq!(
                parse_log_time(bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(parse_log_time(b"29/Feb/2024:10:00:00 +0000").is_some());
    }

    #[test]
    fn missing_offset_is_utc() {
        let t = parse_log_time(b"10/Oct/2000:13:55:36").unwrap();
        assert_eq!(t.unix, unix(2000, 10, 10, 13, 55, 36));
        assert_eq!(t.offset_s, None);
        let t = parse_log_time(b"29/Aug/2023 22:02:58").unwrap();
        assert_eq!(t.unix, unix(2023, 8, 29, 22, 2, 58));
    }

    #[test]
    fn iso_fast_path_agrees_with_chrono() {
        for year in [1999, 2000, 2024, 2100] {
            let mut date = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
            while date.year_ce().1 == year as u32 {
                for (time, zone) in [
                    ("23:59:58", "+01:00"),
                    ("00:00:00", "Z"),
                    ("12:30:05.123456", "-0930"),
                    ("07:00:00.5", "+05:45"),
                ] {
                    let text = format!("{}T{time}{zone}", date.format("%Y-%m-%d"));
                    let fast = fast_iso(text.as_bytes()).unwrap();
                    let slow = slow_path(text.as_bytes()).unwrap();
                    assert_eq!(fast, slow, "{text}");
                }
                date = date.succ_opt().unwrap();
            }
        }
        for bad in [
            &b"2024-02-30T10:00:00Z"[..],
            b"2024-13-01T10:00:00Z",
            b"2024-05-01T24:00:00Z",
            b"2024-05-01T10:00:00",
            b"2024-05-01T10:00:00.Z",
            b"2024-05-01T10:00:00+2:00",
            b"2024-05-01T10:00:00*02:00",
            b"2024-05-01 10:00:00Z",
        ] {
            assert_eq!(fast_iso(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn epochs_in_every_unit() {
        let at = unix(2022, 3, 9, 21, 30, 1);
        for text in [
            &b"1646861401"[..],
            b"1646861401.52",
            b"1646861401.999999",
            b"1646861401520",
            b"1646861401520.5",
            b"1646861401520123",
            b"1646861401520123456",
            b"1.64686140152e9",
            b"1.64686140152E12",
        ] {
            let t = parse_epoch(text).unwrap();
            assert_eq!(
                (t.unix, t.offset_s),
                (at, None),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        assert_eq!(parse_epoch(b"0").map(|t| t.unix), Some(0));
        for bad in [
            &b""[..],
            b".5",
            b"-1",
            b"12a",
            b"1.2.3",
            b"1e400",
            b"-1e3",
            b"NaN",
            b"99999999999999999999",
        ] {
            assert_eq!(parse_epoch(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn iso_8601_forms() {
        let t = parse_log_time(b"2024-05-01T12:00:00+02:00").unwrap();
        assert_eq!(t.unix, unix(2024, 5, 1, 10, 0, 0));
        assert_eq!(t.offset_s, Some(7200));
        let t = parse_log_time(b"2024-05-01T12:00:00Z").unwrap();
        assert_eq!((t.unix, t.offset_s), (unix(2024, 5, 1, 12, 0, 0), Some(0)));
        let t = parse_log_time(b"2024-05-01T12:00:00.250-0130").unwrap();
        assert_eq!(t.unix, unix(2024, 5, 1, 13, 30, 0));
        let t = parse_log_time(b"2013-02-11T06:43:36").unwrap();
        assert_eq!((t.unix, t.offset_s), (unix(2013, 2, 11, 6, 43, 36), None));
    }
}
