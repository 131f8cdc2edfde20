//! The report zone: the zone in which days and hours are counted and times
//! are printed (SPEC §1): `--tz` (an offset or an IANA name), else the offset
//! written on the first parsed line of the first input, else UTC.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, SecondsFormat, TimeZone};
use chrono_tz::Tz;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReportZone {
    Fixed(FixedOffset),
    Named(Tz),
}

impl ReportZone {
    pub const UTC: ReportZone = ReportZone::Fixed(match FixedOffset::east_opt(0) {
        Some(z) => z,
        None => unreachable!(),
    });

    /// Reads `--tz`: `+02:00`, `-0530`, `+2`, `Z`, `UTC`, or an IANA name.
    pub fn parse(s: &str) -> Result<ReportZone, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") {
            return Ok(ReportZone::UTC);
        }
        if let Some(rest) = t
            .strip_prefix('+')
            .map(|r| (1, r))
            .or_else(|| t.strip_prefix('-').map(|r| (-1, r)))
        {
            return parse_offset(rest.0, rest.1)
                .map(ReportZone::Fixed)
                .ok_or_else(|| {
                    format!("'{s}' is not a UTC offset; write it like +02:00 or -0530")
                });
        }
        t.parse::<Tz>().map(ReportZone::Named).map_err(|_| {
            format!("'{s}' is neither a UTC offset (+02:00) nor a time zone name (Europe/Paris, America/New_York)")
        })
    }

    /// The zone of a written offset in seconds east of UTC.
    pub fn from_offset_seconds(secs: i32) -> ReportZone {
        FixedOffset::east_opt(secs).map_or(ReportZone::UTC, ReportZone::Fixed)
    }

    /// The offset in force at an instant.
    pub fn offset_at(&self, unix: i64) -> FixedOffset {
        match self {
            ReportZone::Fixed(o) => *o,
            ReportZone::Named(tz) => match DateTime::from_timestamp(unix, 0) {
                Some(utc) => tz.offset_from_utc_datetime(&utc.naive_utc()).fix(),
                None => FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!()),
            },
        }
    }

    /// An instant as RFC 3339 in this zone, to the second.
    pub fn format(&self, unix: i64) -> String {
        self.datetime(unix)
            .to_rfc3339_opts(SecondsFormat::Secs, false)
    }

    pub fn datetime(&self, unix: i64) -> DateTime<FixedOffset> {
        let offset = self.offset_at(unix);
        DateTime::from_timestamp(unix, 0)
            .unwrap_or_default()
            .with_timezone(&offset)
    }

    /// The instant the local hour or day holding `unix` starts.
    pub fn bucket_start(&self, unix: i64, bucket: Bucket) -> i64 {
        let offset = self.offset_at(unix).local_minus_utc() as i64;
        let local = unix + offset;
        let into_bucket = local.rem_euclid(bucket.seconds());
        match (self, bucket) {
            // Zones change offset on the hour, so the local hour began
            // `into_bucket` seconds ago, also on the day clocks go back.
            (_, Bucket::Hour) | (ReportZone::Fixed(_), Bucket::Day) => unix - into_bucket,
            // A local day can be 23 or 25 hours long: ask the zone when it began.
            (ReportZone::Named(tz), Bucket::Day) => first_instant_of_local(tz, local - into_bucket),
        }
    }
}

impl ReportZone {
    /// The instant a local date and time of this zone names. When clocks
    /// go back it names two: the earlier counts. When they go forward it
    /// names none: it is read with the offset in force before the change,
    /// which lands as far after the gap as it is into it (02:30 in a gap
    /// from 02:00 to 03:00 is 03:30), as RFC 5545 and JavaScript's Temporal
    /// read such times.
    pub fn instant_of_local(&self, local: NaiveDateTime) -> i64 {
        let naive = local.and_utc().timestamp();
        match self {
            ReportZone::Fixed(o) => naive - o.local_minus_utc() as i64,
            ReportZone::Named(tz) => match tz.from_local_datetime(&local).earliest() {
                Some(dt) => dt.timestamp(),
                None => {
                    // Zones change at most once a day: a day earlier, the
                    // offset before the gap is in force.
                    let before = self.offset_at(naive - 86_400).local_minus_utc() as i64;
                    naive - before
                }
            },
        }
    }

    /// The start of the bucket after the one starting at `start`. Hours
    /// are 3600 s everywhere (zones change offset on the hour); a day can
    /// be 23 or 25 hours, so the next one is found from the middle of the
    /// day after.
    pub fn next_bucket(&self, start: i64, bucket: Bucket) -> i64 {
        match bucket {
            Bucket::Hour => start + 3600,
            Bucket::Day => self.bucket_start(start + 36 * 3600, Bucket::Day),
        }
    }
}

/// The first instant whose local time in `tz` is at or after the local
/// time `local` (Unix seconds of a naive time). Local midnight can fall in a
/// DST gap; the day then starts at the first local time that exists.
fn first_instant_of_local(tz: &Tz, local: i64) -> i64 {
    let Some(naive) = DateTime::from_timestamp(local, 0).map(|d| d.naive_utc()) else {
        return local;
    };
    for step in 0..=8 {
        let candidate: NaiveDateTime = naive + chrono::Duration::minutes(15 * step);
        if let Some(dt) = tz.from_local_datetime(&candidate).earliest() {
            return dt.timestamp();
        }
    }
    local
}

fn parse_offset(sign: i32, rest: &str) -> Option<FixedOffset> {
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

impl fmt::Display for ReportZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportZone::Fixed(o) => write!(f, "{o}"),
            ReportZone::Named(tz) => write!(f, "{}", tz.name()),
        }
    }
}

/// The length of a time-series bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    Hour,
    Day,
}

impl Bucket {
    pub fn seconds(self) -> i64 {
        match self {
            Bucket::Hour => 3600,
            Bucket::Day => 86_400,
        }
    }

    /// Hours when the period spans less than three days (SPEC §6).
    pub fn for_period(first: i64, last: i64) -> Bucket {
        if last - first < 3 * 86_400 {
            Bucket::Hour
        } else {
            Bucket::Day
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    #[test]
    fn parses_offsets_and_names() {
        assert_eq!(ReportZone::parse("+02:00").unwrap().to_string(), "+02:00");
        assert_eq!(ReportZone::parse("-0530").unwrap().to_string(), "-05:30");
        assert_eq!(ReportZone::parse("+5").unwrap().to_string(), "+05:00");
        assert_eq!(ReportZone::parse("UTC").unwrap(), ReportZone::UTC);
        assert_eq!(
            ReportZone::parse("Europe/Paris").unwrap().to_string(),
            "Europe/Paris"
        );
        for bad in ["+25:00", "+1:2:3", "Mars/Olympus", "", "+ab"] {
            assert!(ReportZone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fixed_offset_buckets() {
        let z = ReportZone::parse("+05:30").unwrap();
        // 2024-05-01T23:10:00+05:30 is in the local day that started at 00:00+05:30.
        let t = unix("2024-05-01T23:10:00+05:30");
        assert_eq!(
            z.bucket_start(t, Bucket::Day),
            unix("2024-05-01T00:00:00+05:30")
        );
        assert_eq!(
            z.bucket_start(t, Bucket::Hour),
            unix("2024-05-01T23:00:00+05:30")
        );
        assert_eq!(z.format(t), "2024-05-01T23:10:00+05:30");
    }

    #[test]
    fn named_zone_follows_dst() {
        let z = ReportZone::parse("Europe/Paris").unwrap();
        // Summer: +02:00, winter: +01:00.
        assert_eq!(
            z.format(unix("2024-07-01T12:00:00Z")),
            "2024-07-01T14:00:00+02:00"
        );
        assert_eq!(
            z.format(unix("2024-01-01T12:00:00Z")),
            "2024-01-01T13:00:00+01:00"
        );
        // The day of the spring change (31 March 2024) is 23 hours long and
        // starts at midnight +01:00.
        let t = unix("2024-03-31T20:00:00+02:00");
        assert_eq!(
            z.bucket_start(t, Bucket::Day),
            unix("2024-03-31T00:00:00+01:00")
        );
        // The hour clocks go back (03:00 → 02:00) is two buckets, not one.
        let first = z.bucket_start(unix("2024-10-27T02:30:00+02:00"), Bucket::Hour);
        let second = z.bucket_start(unix("2024-10-27T02:30:00+01:00"), Bucket::Hour);
        assert_eq!(first, unix("2024-10-27T02:00:00+02:00"));
        assert_eq!(second, unix("2024-10-27T02:00:00+01:00"));
    }

    #[test]
    fn day_starting_in_a_dst_gap() {
        // Havana moved clocks from 00:00 to 01:00 on 2024-03-10.
        let z = ReportZone::parse("America/Havana").unwrap();
        let t = unix("2024-03-10T12:00:00-04:00");
        assert_eq!(
            z.bucket_start(t, Bucket::Day),
            unix("2024-03-10T01:00:00-04:00")
        );
    }

    #[test]
    fn next_bucket_across_dst_days() {
        let z = ReportZone::parse("Europe/Paris").unwrap();
        // 31 March 2024 has 23 hours, 27 October 25.
        let spring = unix("2024-03-31T00:00:00+01:00");
        assert_eq!(
            z.next_bucket(spring, Bucket::Day),
            unix("2024-04-01T00:00:00+02:00")
        );
        let autumn = unix("2024-10-27T00:00:00+02:00");
        assert_eq!(
            z.next_bucket(autumn, Bucket::Day),
            unix("2024-10-28T00:00:00+01:00")
        );
        assert_eq!(z.next_bucket(autumn, Bucket::Hour), autumn + 3600);
    }

    #[test]
    fn local_times_to_instants() {
        let local = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").unwrap();
        let fixed = ReportZone::parse("+05:30").unwrap();
        assert_eq!(
            fixed.instant_of_local(local("2024-05-01T00:00:00")),
            unix("2024-05-01T00:00:00+05:30")
        );
        let paris = ReportZone::parse("Europe/Paris").unwrap();
        assert_eq!(
            paris.instant_of_local(local("2024-07-01T12:00:00")),
            unix("2024-07-01T12:00:00+02:00")
        );
        // 02:30 happens twice on 27 October 2024: the first one counts.
        assert_eq!(
            paris.instant_of_local(local("2024-10-27T02:30:00")),
            unix("2024-10-27T02:30:00+02:00")
        );
        // 02:30 never happens on 31 March 2024: read with +01:00.
        assert_eq!(
            paris.instant_of_local(local("2024-03-31T02:30:00")),
            unix("2024-03-31T02:30:00+01:00")
        );
    }

    #[test]
    fn bucket_choice() {
        assert_eq!(Bucket::for_period(0, 3 * 86_400 - 1), Bucket::Hour);
        assert_eq!(Bucket::for_period(0, 3 * 86_400), Bucket::Day);
    }
}
