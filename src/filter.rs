//! Filters: which parsed lines a report covers (SPEC §1: `parsed = kept +
//! filtered`). The values of the command line are read here (each parser
//! is a clap value parser, so a bad value is a usage error that says what
//! is accepted), compiled once into a [`Filter`], and applied to every
//! parsed line by [`Filter::keep`], which allocates nothing.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use globset::{Candidate, Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use ipnet::{IpNet, Ipv4Net};

use crate::bytes_map::BytesMap;
use crate::classify::classify_agent;
use crate::geoip::client_ip;
use crate::parse::{LogLine, Quoted};
use crate::zone::{Bucket, ReportZone};

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

/// A `--status` list compiled into a table indexed by the code: a line's
/// status is checked with one load.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusSet(Box<[bool; 1000]>);

const STATUS_FORMS: &str = "write codes (404), classes (5xx) and ranges (400-499), \
     comma-separated, each negated with ! to drop it (!304)";

impl StatusSet {
    pub fn parse(s: &str) -> Result<StatusSet, String> {
        let mut keep = Box::new([false; 1000]);
        let mut drop = Vec::new();
        let mut any_kept = false;
        for item in s.split(',').map(str::trim) {
            let (negated, body) = match item.strip_prefix('!') {
                Some(b) => (true, b.trim()),
                None => (false, item),
            };
            let range = status_range(body).ok_or_else(|| {
                format!("{} is not a status: {STATUS_FORMS}", quote_item(item, s))
            })?;
            if negated {
                drop.push(range);
            } else {
                any_kept = true;
                keep[range.0..=range.1].fill(true);
            }
        }
        if !any_kept {
            keep.fill(true);
        }
        for (lo, hi) in drop {
            keep[lo..=hi].fill(false);
        }
        Ok(StatusSet(keep))
    }

    #[inline]
    pub fn contains(&self, status: u16) -> bool {
        self.0.get(usize::from(status)).copied().unwrap_or(false)
    }
}

/// An item of a list, for a message: with the list when there is more.
fn quote_item(item: &str, list: &str) -> String {
    if item == list.trim() {
        format!("'{item}'")
    } else {
        format!("'{item}' in '{list}'")
    }
}

/// `404`, `5xx` or `400-499` as an inclusive range of codes.
pub(crate) fn status_range(item: &str) -> Option<(usize, usize)> {
    let code = |s: &str| -> Option<usize> {
        (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if let Some((lo, hi)) = item.split_once('-') {
        let (lo, hi) = (code(lo.trim())?, code(hi.trim())?);
        return (lo <= hi).then_some((lo, hi));
    }
    let b = item.as_bytes();
    if b.len() == 3 && b[0].is_ascii_digit() && b[1..].eq_ignore_ascii_case(b"xx") {
        let class = usize::from(b[0] - b'0') * 100;
        return Some((class, class + 99));
    }
    code(item).map(|c| (c, c))
}

impl fmt::Debug for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let codes = self.0.iter().filter(|&&kept| kept).count();
        write!(f, "StatusSet({codes} codes)")
    }
}

/// A `--method` list: methods kept (any of them, when there are some) and
/// methods dropped, compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodSet {
    keep: Vec<Box<[u8]>>,
    drop: Vec<Box<[u8]>>,
}

impl MethodSet {
    pub fn parse(s: &str) -> Result<MethodSet, String> {
        let mut set = MethodSet {
            keep: Vec::new(),
            drop: Vec::new(),
        };
        for item in s.split(',').map(str::trim) {
            let (negated, name) = match item.strip_prefix('!') {
                Some(n) => (true, n.trim()),
                None => (false, item),
            };
            // Methods are letters; `-` is what an unreadable request has.
            if name.is_empty() || !(name == "-" || name.bytes().all(|b| b.is_ascii_alphabetic())) {
                return Err(format!(
                    "{} is not a method: write methods like GET,HEAD, comma-separated, \
                     each negated with ! to drop it (!POST)",
                    quote_item(item, s)
                ));
            }
            let name = name.to_ascii_uppercase().into_bytes().into_boxed_slice();
            if negated {
                set.drop.push(name);
            } else {
                set.keep.push(name);
            }
        }
        Ok(set)
    }

    #[inline]
    pub fn contains(&self, method: &[u8]) -> bool {
        (self.keep.is_empty() || self.keep.iter().any(|m| m.eq_ignore_ascii_case(method)))
            && !self.drop.iter().any(|m| m.eq_ignore_ascii_case(method))
    }
}

/// The networks of one `--exclude-ip` value: one, or those of an `@FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpList(pub Vec<IpNet>);

const NET_FORMS: &str =
    "write an address (192.0.2.7, 2001:db8::1) or a network (10.0.0.0/8, 2001:db8::/32)";

impl IpList {
    /// An address, a network, or `@FILE`: one per line, `#` comments.
    pub fn parse(s: &str) -> Result<IpList, String> {
        match s.strip_prefix('@') {
            Some(file) => IpList::read(Path::new(file)),
            None => parse_net(s)
                .map(|n| IpList(vec![n]))
                .ok_or_else(|| format!("'{s}' is not an IP address or network: {NET_FORMS}")),
        }
    }

    /// One address or network per line; `#` starts a comment, blank lines
    /// are skipped.
    pub fn read(path: &Path) -> Result<IpList, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read '{}': {e}", path.display()))?;
        let mut nets = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let entry = line.split('#').next().unwrap_or_default().trim();
            if entry.is_empty() {
                continue;
            }
            let net = parse_net(entry).ok_or_else(|| {
                format!(
                    "{}:{}: '{entry}' is not an IP address or network: {NET_FORMS}",
                    path.display(),
                    i + 1
                )
            })?;
            nets.push(net);
        }
        Ok(IpList(nets))
    }
}

fn parse_net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    let net = if s.contains('/') {
        IpNet::from_str(s).ok()?
    } else {
        IpNet::from(IpAddr::from_str(s).ok()?)
    };
    Some(canonical_net(net))
}

/// Clients are resolved to canonical addresses (`::ffff:1.2.3.4` is
/// `1.2.3.4`), so a network written in the IPv4-mapped range must be the
/// IPv4 network it maps to, or it would never match.
fn canonical_net(net: IpNet) -> IpNet {
    if let IpNet::V6(v6) = net {
        if let (Some(v4), true) = (v6.network().to_ipv4_mapped(), v6.prefix_len() >= 96) {
            if let Ok(n) = Ipv4Net::new(v4, v6.prefix_len() - 96) {
                return IpNet::V4(n);
            }
        }
    }
    net.trunc()
}

/// A `--include-path` / `--exclude-path` glob, where `*` also matches `/`.
pub fn parse_glob(s: &str) -> Result<Glob, String> {
    if s.is_empty() {
        return Err("an empty glob matches nothing: write one like /blog/* or *.php".into());
    }
    GlobBuilder::new(s)
        .literal_separator(false)
        .build()
        .map_err(|e| format!("'{s}' is not a glob ({e}): write one like /blog/* or *.php, where * also matches /"))
}

/// A `--host` name, compared case-insensitively with the logged host.
pub fn parse_host(s: &str) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() || t.contains(char::is_whitespace) {
        return Err(format!(
            "'{s}' is not a host name: write one as the server logs it, e.g. example.com"
        ));
    }
    Ok(t.to_owned())
}

/// Every filter of a run, as given; [`Filter::compile`] makes it usable.
#[derive(Debug, Clone, Default)]
pub struct FilterSpec {
    pub since: Option<TimeArg>,
    pub until: Option<TimeArg>,
    pub exclude_ip: Vec<IpNet>,
    pub include_path: Vec<Glob>,
    pub exclude_path: Vec<Glob>,
    pub hosts: Vec<String>,
    pub status: Option<StatusSet>,
    pub method: Option<MethodSet>,
    pub no_bots: bool,
}

impl FilterSpec {
    pub fn is_empty(&self) -> bool {
        self.since.is_none()
            && self.until.is_none()
            && self.exclude_ip.is_empty()
            && self.include_path.is_empty()
            && self.exclude_path.is_empty()
            && self.hosts.is_empty()
            && self.status.is_none()
            && self.method.is_none()
            && !self.no_bots
    }
}

/// Address ranges, sorted and merged, so that a client is looked up by
/// binary search however long an `@FILE` list is.
#[derive(Debug, Default)]
struct IpRanges {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl IpRanges {
    fn new(nets: &[IpNet]) -> IpRanges {
        let mut r = IpRanges::default();
        for net in nets {
            match net {
                IpNet::V4(n) => r.v4.push((n.network().into(), n.broadcast().into())),
                IpNet::V6(n) => r.v6.push((n.network().into(), n.broadcast().into())),
            }
        }
        merge_ranges(&mut r.v4);
        merge_ranges(&mut r.v6);
        r
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => in_ranges(&self.v4, u32::from(a)),
            IpAddr::V6(a) => in_ranges(&self.v6, u128::from(a)),
        }
    }
}

fn merge_ranges<T: Ord + Copy>(ranges: &mut Vec<(T, T)>) {
    ranges.sort_unstable();
    let mut merged: Vec<(T, T)> = Vec::with_capacity(ranges.len());
    for &(lo, hi) in ranges.iter() {
        match merged.last_mut() {
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    *ranges = merged;
}

fn in_ranges<T: Ord + Copy>(ranges: &[(T, T)], x: T) -> bool {
    let i = ranges.partition_point(|r| r.1 < x);
    ranges.get(i).is_some_and(|r| r.0 <= x)
}

/// The filters of a run, compiled. Shared by every worker; what a worker
/// remembers between lines is in its [`FilterCache`].
#[derive(Debug)]
pub struct Filter {
    since_arg: Option<TimeArg>,
    until_arg: Option<TimeArg>,
    now: i64,
    /// The instants of `--since` (inclusive) and `--until` (exclusive),
    /// once the report zone is known ([`Filter::set_zone`]).
    since: Option<i64>,
    until: Option<i64>,
    hosts: Vec<Box<[u8]>>,
    status: Option<StatusSet>,
    method: Option<MethodSet>,
    include_path: Option<GlobSet>,
    exclude_path: Option<GlobSet>,
    exclude_ip: Option<IpRanges>,
    no_bots: bool,
}

impl Filter {
    /// `None` when no filter is given: the scan then skips filtering
    /// altogether. `now` is the Unix time relative times count back from.
    pub fn compile(spec: &FilterSpec, now: i64) -> Result<Option<Filter>, String> {
        if spec.is_empty() {
            return Ok(None);
        }
        let globs = |globs: &[Glob]| -> Result<Option<GlobSet>, String> {
            if globs.is_empty() {
                return Ok(None);
            }
            let mut b = GlobSetBuilder::new();
            for g in globs {
                b.add(g.clone());
            }
            b.build().map(Some).map_err(|e| format!("path globs: {e}"))
        };
        let mut filter = Filter {
            since_arg: spec.since,
            until_arg: spec.until,
            now,
            since: None,
            until: None,
            hosts: spec
                .hosts
                .iter()
                .map(|h| h.as_bytes().to_ascii_lowercase().into_boxed_slice())
                .collect(),
            status: spec.status.clone(),
            method: spec.method.clone(),
            include_path: globs(&spec.include_path)?,
            exclude_path: globs(&spec.exclude_path)?,
            exclude_ip: (!spec.exclude_ip.is_empty()).then(|| IpRanges::new(&spec.exclude_ip)),
            no_bots: spec.no_bots,
        };
        filter.set_zone(&ReportZone::UTC);
        Ok(Some(filter))
    }

    /// Resolves `--since` and `--until` in the report zone.
    pub fn set_zone(&mut self, zone: &ReportZone) {
        self.since = self.since_arg.map(|t| t.resolve(zone, self.now));
        self.until = self.until_arg.map(|t| t.resolve(zone, self.now));
    }

    /// The instants of `--since` and `--until`, as last resolved.
    pub fn bounds(&self) -> (Option<i64>, Option<i64>) {
        (self.since, self.until)
    }

    /// Whether a parsed line is kept. The cheap tests come first; the
    /// client and user-agent tests remember their last answers in `cache`.
    #[inline(always)]
    pub fn keep(&self, line: &LogLine<'_>, cache: &mut FilterCache) -> bool {
        // The fields are handed over one by one: a reference to the whole
        // line, passed to code that is not inlined, made the scan keep every
        // parsed line in memory, which cost each line, filters or none.
        let fields = Fields {
            vhost: line.vhost,
            client: line.client,
            time: line.time.unix,
            status: line.status,
            method: match self.method {
                Some(_) => line.request.method(),
                None => b"",
            },
            path: match (&self.include_path, &self.exclude_path) {
                (None, None) => b"",
                _ => line.request.path(),
            },
            user_agent: line.user_agent,
        };
        self.keep_fields(&fields, cache)
    }

    fn keep_fields(&self, line: &Fields<'_>, cache: &mut FilterCache) -> bool {
        if !self.hosts.is_empty() {
            let Some(vhost) = line.vhost else {
                cache.no_vhost += 1;
                return false;
            };
            if !self.hosts.iter().any(|h| h.eq_ignore_ascii_case(vhost)) {
                return false;
            }
        }
        let t = line.time;
        if self.since.is_some_and(|s| t < s) || self.until.is_some_and(|u| t >= u) {
            return false;
        }
        if self
            .status
            .as_ref()
            .is_some_and(|s| !s.contains(line.status))
        {
            return false;
        }
        if self
            .method
            .as_ref()
            .is_some_and(|m| !m.contains(line.method))
        {
            return false;
        }
        if self.include_path.is_some() || self.exclude_path.is_some() {
            let path = Candidate::from_bytes(line.path);
            if self
                .include_path
                .as_ref()
                .is_some_and(|g| !g.is_match_candidate(&path))
                || self
                    .exclude_path
                    .as_ref()
                    .is_some_and(|g| g.is_match_candidate(&path))
            {
                return false;
            }
        }
        if let Some(ranges) = &self.exclude_ip {
            if cache.client_excluded(line.client, ranges) {
                return false;
            }
        }
        if self.no_bots {
            if let Some(agent) = line.user_agent {
                if cache.is_bot(agent) {
                    return false;
                }
            }
        }
        true
    }
}

/// What the filters read of a line; `method` and `path` are empty when no
/// filter needs them.
struct Fields<'a> {
    vhost: Option<&'a [u8]>,
    client: &'a [u8],
    time: i64,
    status: u16,
    method: &'a [u8],
    path: &'a [u8],
    user_agent: Option<Quoted<'a>>,
}

/// What one worker remembers between lines.
#[derive(Debug)]
pub struct FilterCache {
    /// The last client field tested against `--exclude-ip`, and the
    /// answer: consecutive lines often come from one client.
    last_client: Vec<u8>,
    last_client_excluded: Option<bool>,
    /// Whether each distinct user agent (as logged) is a bot: woothee runs
    /// once per agent and worker, never per line.
    agents: BytesMap<Option<bool>>,
    last_agent: u32,
    /// Lines `--host` filtered because they have no virtual host.
    pub no_vhost: u64,
}

impl Default for FilterCache {
    fn default() -> Self {
        FilterCache {
            last_client: Vec::new(),
            last_client_excluded: None,
            agents: BytesMap::default(),
            last_agent: u32::MAX,
            no_vhost: 0,
        }
    }
}

impl FilterCache {
    fn client_excluded(&mut self, field: &[u8], ranges: &IpRanges) -> bool {
        if let Some(excluded) = self.last_client_excluded {
            if self.last_client == field {
                return excluded;
            }
        }
        // A client that is no address (a host name, `-`) is never excluded.
        let excluded = client_ip(field).is_some_and(|ip| ranges.contains(ip));
        self.last_client.clear();
        self.last_client.extend_from_slice(field);
        self.last_client_excluded = Some(excluded);
        excluded
    }

    fn is_bot(&mut self, agent: Quoted<'_>) -> bool {
        let (_, known) = self.agents.intern_after(agent.raw, &mut self.last_agent);
        *known.get_or_insert_with(|| classify_agent(&agent.text()).is_bot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Format;
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

    #[test]
    fn status_lists() {
        let s = StatusSet::parse("5xx").unwrap();
        assert!(s.contains(500) && s.contains(599) && !s.contains(499) && !s.contains(600));
        let s = StatusSet::parse("!304").unwrap();
        assert!(s.contains(200) && !s.contains(304) && s.contains(0) && s.contains(999));
        let s = StatusSet::parse("400-404, 5XX, !500").unwrap();
        assert!(s.contains(400) && s.contains(404) && !s.contains(405));
        assert!(!s.contains(500) && s.contains(501));
        assert!(!s.contains(1000));
        for bad in [
            "", "4", "4x", "40x", "abc", "500-400", "1000", "!", "200,,", "5xx-6xx",
        ] {
            let e = StatusSet::parse(bad).unwrap_err();
            assert!(e.contains("5xx") && e.contains("!304"), "{bad}: {e}");
        }
    }

    #[test]
    fn method_lists() {
        let m = MethodSet::parse("get,Head").unwrap();
        assert!(m.contains(b"GET") && m.contains(b"HEAD") && !m.contains(b"POST"));
        let m = MethodSet::parse("!post").unwrap();
        assert!(m.contains(b"GET") && m.contains(b"-") && !m.contains(b"POST"));
        assert!(MethodSet::parse("-").unwrap().contains(b"-"));
        for bad in ["", "GET,", "G ET", "!", "GET/1"] {
            assert!(
                MethodSet::parse(bad).unwrap_err().contains("!POST"),
                "{bad}"
            );
        }
    }

    #[test]
    fn networks() {
        let nets: Vec<IpNet> = [
            "10.0.0.0/8",
            "192.0.2.7",
            "2001:db8::/32",
            "::ffff:172.16.0.0/108",
        ]
        .iter()
        .flat_map(|s| IpList::parse(s).unwrap().0)
        .collect();
        let r = IpRanges::new(&nets);
        for (ip, inside) in [
            ("10.1.2.3", true),
            ("11.0.0.0", false),
            ("192.0.2.7", true),
            ("192.0.2.8", false),
            ("2001:db8::1", true),
            ("2001:db9::1", false),
            ("172.16.5.5", true),
            ("172.32.0.1", false),
        ] {
            assert_eq!(r.contains(ip.parse().unwrap()), inside, "{ip}");
        }
        for bad in ["", "10.0.0.0/33", "example.com", "10.0.0", "1.2.3.4:80"] {
            assert!(
                IpList::parse(bad).unwrap_err().contains("10.0.0.0/8"),
                "{bad}"
            );
        }
        // Host bits set are ignored, as in a firewall rule.
        assert_eq!(parse_net("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
    }

    #[test]
    fn overlapping_ranges_merge() {
        let mut v = vec![(5u32, 9), (1, 3), (2, 6), (20, 30), (31, 31)];
        merge_ranges(&mut v);
        assert_eq!(v, vec![(1, 9), (20, 30), (31, 31)]);
        assert!(in_ranges(&v, 9) && !in_ranges(&v, 10) && in_ranges(&v, 31) && !in_ranges(&v, 0));
    }

    #[test]
    fn ip_list_file_names_the_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ips.txt");
        std::fs::write(
            &path,
            "# office\n10.0.0.0/8  # vpn\n\n   \n192.0.2.1\n2001:db8::/32\nnope\n",
        )
        .unwrap();
        let e = IpList::parse(&format!("@{}", path.display())).unwrap_err();
        assert!(
            e.contains(&format!("{}:7:", path.display())) && e.contains("'nope'"),
            "{e}"
        );
        std::fs::write(&path, "# office\n10.0.0.0/8  # vpn\n\n192.0.2.1\n").unwrap();
        assert_eq!(
            IpList::parse(&format!("@{}", path.display()))
                .unwrap()
                .0
                .len(),
            2
        );
        let e = IpList::parse("@/nonexistent/ips.txt").unwrap_err();
        assert!(e.contains("cannot read '/nonexistent/ips.txt'"), "{e}");
    }

    #[test]
    fn globs_cross_slashes() {
        let set = |g: &str| {
            let mut b = GlobSetBuilder::new();
            b.add(parse_glob(g).unwrap());
            b.build().unwrap()
        };
        let blog = set("/blog/*");
        assert!(blog.is_match_candidate(&Candidate::from_bytes(b"/blog/2024/05/post")));
        assert!(!blog.is_match_candidate(&Candidate::from_bytes(b"/blog")));
        let php = set("*.php");
        assert!(php.is_match_candidate(&Candidate::from_bytes(b"/wp/admin/x.php")));
        assert!(!php.is_match_candidate(&Candidate::from_bytes(b"/x.php/y")));
        assert!(parse_glob("/a[").unwrap_err().contains("/blog/*"));
        assert!(parse_glob("").is_err());
    }

    fn line(text: &str) -> LogLine<'_> {
        Format::Combined
            .parse(text.as_bytes())
            .or_else(|| Format::VCombined.parse(text.as_bytes()))
            .unwrap()
    }

    #[test]
    fn keep_applies_every_filter() {
        let now = unix("2024-05-10T12:00:00Z");
        let spec = FilterSpec {
            since: Some(TimeArg::parse("2024-05-01").unwrap()),
            until: Some(TimeArg::parse("2024-05-02").unwrap()),
            exclude_ip: IpList::parse("10.0.0.0/8").unwrap().0,
            include_path: vec![parse_glob("/blog/*").unwrap()],
            exclude_path: vec![parse_glob("*.php").unwrap()],
            status: Some(StatusSet::parse("2xx").unwrap()),
            method: Some(MethodSet::parse("GET").unwrap()),
            no_bots: true,
            ..FilterSpec::default()
        };
        let mut f = Filter::compile(&spec, now).unwrap().unwrap();
        f.set_zone(&ReportZone::parse("+02:00").unwrap());
        let mut cache = FilterCache::default();
        let ua = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";
        let mk = |client: &str, time: &str, req: &str, status: u16, agent: &str| {
            format!(r#"{client} - - [{time}] "{req}" {status} 5 "-" "{agent}""#)
        };
        let ok = mk(
            "192.0.2.1",
            "01/May/2024:10:00:00 +0200",
            "GET /blog/a HTTP/1.1",
            200,
            ua,
        );
        assert!(f.keep(&line(&ok), &mut cache));
        for (why, text) in [
            (
                "before",
                mk(
                    "192.0.2.1",
                    "30/Apr/2024:23:59:59 +0200",
                    "GET /blog/a HTTP/1.1",
                    200,
                    ua,
                ),
            ),
            (
                "until is exclusive",
                mk(
                    "192.0.2.1",
                    "02/May/2024:00:00:00 +0200",
                    "GET /blog/a HTTP/1.1",
                    200,
                    ua,
                ),
            ),
            (
                "excluded client",
                mk(
                    "10.9.9.9",
                    "01/May/2024:10:00:00 +0200",
                    "GET /blog/a HTTP/1.1",
                    200,
                    ua,
                ),
            ),
            (
                "mapped client",
                mk(
                    "::ffff:10.9.9.9",
                    "01/May/2024:10:00:00 +0200",
                    "GET /blog/a HTTP/1.1",
                    200,
                    ua,
                ),
            ),
            (
                "not included",
                mk(
                    "192.0.2.1",
                    "01/May/2024:10:00:00 +0200",
                    "GET /about HTTP/1.1",
                    200,
                    ua,
                ),
            ),
            (
                "excluded path",
                mk(
                    "192.0.2.1",
                    "01/May/2024:10:00:00 +0200",
                    "GET /blog/x.php?a=1 HTTP/1.1",
                    200,
                    ua,
                ),
            ),
            (
                "status",
                mk(
                    "192.0.2.1",
                    "01/May/2024:10:00:00 +0200",
                    "GET /blog/a HTTP/1.1",
                    404,
                    ua,
                ),
            ),
            (
                "method",
                mk(
                    "192.0.2.1",
                    "01/May/2024:10:00:00 +0200",
                    "POST /blog/a HTTP/1.1",
                    200,
                    ua,
                ),
            ),
            (
                "bot",
                mk(
                    "192.0.2.1",
                    "01/May/2024:10:00:00 +0200",
                    "GET /blog/a HTTP/1.1",
                    200,
                    "curl/8.0",
                ),
            ),
            (
                "empty agent",
                mk(
                    "192.0.2.1",
                    "01/May/2024:10:00:00 +0200",
                    "GET /blog/a HTTP/1.1",
                    200,
                    "-",
                ),
            ),
        ] {
            assert!(!f.keep(&line(&text), &mut cache), "{why}");
            // The cached answers stay right when the next line differs.
            assert!(f.keep(&line(&ok), &mut cache), "after {why}");
        }
        // A client that is no address is never excluded.
        let named = mk(
            "proxy.example",
            "01/May/2024:10:00:00 +0200",
            "GET /blog/a HTTP/1.1",
            200,
            ua,
        );
        assert!(f.keep(&line(&named), &mut cache));
    }

    #[test]
    fn hosts_compare_case_insensitively_and_count_lines_without_one() {
        let spec = FilterSpec {
            hosts: vec!["Example.COM".into()],
            ..FilterSpec::default()
        };
        let f = Filter::compile(&spec, 0).unwrap().unwrap();
        let mut cache = FilterCache::default();
        let v = |host: &str| {
            format!(
                r#"{host} 192.0.2.1 - - [01/May/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "UA""#
            )
        };
        assert!(f.keep(&line(&v("example.com:443")), &mut cache));
        assert!(f.keep(&line(&v("EXAMPLE.com")), &mut cache));
        assert!(!f.keep(&line(&v("www.example.com")), &mut cache));
        assert_eq!(cache.no_vhost, 0);
        let plain = r#"192.0.2.1 - - [01/May/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "UA""#;
        assert!(!f.keep(&line(plain), &mut cache));
        assert_eq!(cache.no_vhost, 1);
    }

    #[test]
    fn no_filter_compiles_to_none() {
        assert!(Filter::compile(&FilterSpec::default(), 0)
            .unwrap()
            .is_none());
    }
}
