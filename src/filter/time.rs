//! `--since` and `--until`: times as written, resolved to instants once
//! the report zone and the clock are known.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::enrich::zone::{Bucket, ReportZone};

/// A `--since` / `--until` value, as written: what instant it names may
/// depend on the report zone and the clock, known only when the run starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeArg {
    /// A date-time with an offset.
    Instant(i64),
    /// A date (its first instant) or a date-time without an offset: a
    /// local time of the report zone.
    Local(NaiveDateTime),
    /// So many seconds before now.
    Ago(i64),
    /// The start of the current day in the report zone.
    Today,
    /// The start of the day before.
    Yesterday,
}

const TIME_FORMS: &str = "write a date (2024-05-01), a date-time (2024-05-01T12:00, \
     2024-05-01T12:00:30, 2024-05-01T12:00+02:00), a time before now (90s, 30m, 24h, 7d, 2w), \
     today or yesterday";

impl TimeArg {
    pub fn parse(s: &str) -> Result<TimeArg, String> {
        let t = s.trim();
        let bad = || format!("'{s}' is not a time: {TIME_FORMS}");
        if t.eq_ignore_ascii_case("today") {
            return Ok(TimeArg::Today);
        }
        if t.eq_ignore_ascii_case("yesterday") {
            return Ok(TimeArg::Yesterday);
        }
        if !t.is_ascii() || t.is_empty() {
            return Err(bad());
        }
        let (number, unit) = t.split_at(t.len() - 1);
        if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
            let unit_s = match unit {
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                "d" => 86_400,
                "w" => 7 * 86_400,
                _ => return Err(bad()),
            };
            return number
                .parse::<i64>()
                .ok()
                .and_then(|n| n.checked_mul(unit_s))
                // Beyond a few thousand years ago means nothing in a log.
                .filter(|&secs| secs <= 100_000 * 366 * 86_400)
                .map(TimeArg::Ago)
                .ok_or_else(bad);
        }
        let date = t
            .get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .ok_or_else(bad)?;
        let rest = &t[10..];
        if rest.is_empty() {
            return Ok(TimeArg::Local(date.and_time(NaiveTime::MIN)));
        }
        let Some(rest) = rest.strip_prefix(['T', 't', ' ']).filter(|r| !r.is_empty()) else {
            return Err(bad());
        };
        // The time is digits, colons and a fraction; an offset starts at
        // the first sign or `Z`.
        let split = rest.find(['+', '-', 'Z', 'z']).unwrap_or(rest.len());
        let (time, offset) = rest.split_at(split);
        let time = NaiveTime::parse_from_str(time, "%H:%M:%S%.f")
            .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M"))
            .map_err(|_| bad())?;
        let local = date.and_time(time);
        if offset.is_empty() {
            return Ok(TimeArg::Local(local));
        }
        match ReportZone::parse(offset) {
            Ok(zone @ ReportZone::Fixed(_)) => Ok(TimeArg::Instant(zone.instant_of_local(local))),
            _ => Err(bad()),
        }
    }

    /// The instant this names, in `zone` at Unix time `now`.
    pub fn resolve(self, zone: &ReportZone, now: i64) -> i64 {
        match self {
            TimeArg::Instant(t) => t,
            TimeArg::Local(local) => zone.instant_of_local(local),
            TimeArg::Ago(secs) => now.saturating_sub(secs),
            TimeArg::Today => zone.bucket_start(now, Bucket::Day),
            TimeArg::Yesterday => {
                zone.bucket_start(zone.bucket_start(now, Bucket::Day) - 1, Bucket::Day)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn unix(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    #[test]
    fn time_forms() {
        let utc = ReportZone::UTC;
        let paris = ReportZone::parse("Europe/Paris").unwrap();
        let now = unix("2024-05-10T15:20:00Z");
        let at = |s: &str, zone: &ReportZone| TimeArg::parse(s).unwrap().resolve(zone, now);
        assert_eq!(at("2024-05-01", &utc), unix("2024-05-01T00:00:00Z"));
        assert_eq!(at("2024-05-01", &paris), unix("2024-05-01T00:00:00+02:00"));
        assert_eq!(
            at("2024-05-01T12:00", &paris),
            unix("2024-05-01T12:00:00+02:00")
        );
        assert_eq!(
            at("2024-05-01 12:00:30", &utc),
            unix("2024-05-01T12:00:30Z")
        );
        assert_eq!(
            at("2024-05-01T12:00:30.5", &utc),
            unix("2024-05-01T12:00:30Z")
        );
        // An offset names an instant whatever the zone.
        for zone in [&utc, &paris] {
            assert_eq!(
                at("2024-05-01T12:00+05:30", zone),
                unix("2024-05-01T12:00:00+05:30")
            );
            assert_eq!(
                at("2024-05-01T12:00:30Z", zone),
                unix("2024-05-01T12:00:30Z")
            );
            assert_eq!(
                at("2024-05-01T12:00:30-0400", zone),
                unix("2024-05-01T12:00:30-04:00")
            );
        }
        assert_eq!(at("90s", &utc), now - 90);
        assert_eq!(at("30m", &utc), now - 1800);
        assert_eq!(at("24h", &utc), now - 86_400);
        assert_eq!(at("7d", &utc), now - 7 * 86_400);
        assert_eq!(at("2w", &utc), now - 14 * 86_400);
        assert_eq!(at("today", &utc), unix("2024-05-10T00:00:00Z"));
        assert_eq!(at("Yesterday", &utc), unix("2024-05-09T00:00:00Z"));
        assert_eq!(at("today", &paris), unix("2024-05-10T00:00:00+02:00"));
        let tokyo = ReportZone::parse("+09:00").unwrap();
        // 15:20 UTC is past midnight in Tokyo: today there is the 11th.
        assert_eq!(at("today", &tokyo), unix("2024-05-11T00:00:00+09:00"));
        // Yesterday across a change of clocks: 31 March 2024 was 23 hours long.
        let april = unix("2024-04-01T10:00:00+02:00");
        assert_eq!(
            TimeArg::Yesterday.resolve(&paris, april),
            unix("2024-03-31T00:00:00+01:00")
        );
    }

    #[test]
    fn bad_times_say_what_is_accepted() {
        for bad in [
            "",
            "5",
            "5y",
            "m",
            "-5m",
            "2024-13-01",
            "2024-05-01T",
            "2024-05-01T25:00",
            "2024-05-01T12",
            "2024-05-01T12:00+25:00",
            "2024-05-01T12:00 Europe/Paris",
            "1.5h",
            "tomorrow",
            "2024-05-01x",
            "é",
            "99999999999999999999d",
        ] {
            let e = TimeArg::parse(bad).unwrap_err();
            assert!(
                e.contains("2024-05-01T12:00") && e.contains("yesterday"),
                "{bad}: {e}"
            );
        }
    }
}
