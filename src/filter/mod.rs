//! Filters: which parsed lines a report covers (SPEC §1: `parsed = kept +
//! filtered`). The values of the command line are read here (each parser
//! is a clap value parser, so a bad value is a usage error that says what
//! is accepted), compiled once into a [`Filter`], and applied to every
//! parsed line by [`Filter::keep`], which allocates nothing.
//!
//! One file per kind of filter reads its values: [`time`] (`--since`,
//! `--until`), [`status`], [`method`], [`ip`] (`--exclude-ip`) and [`path`]
//! (`--include-path`, `--exclude-path`); `--host` and `--no-bots` need no
//! more than a name and a flag. Depends on [`parse`](crate::parse) for the
//! line, on [`enrich`](crate::enrich) for bots, client addresses and the
//! report zone, and on the [`BytesMap`] of [`aggregate`](crate::aggregate)
//! for its cache of user agents.

pub mod ip;
mod list;
pub mod method;
pub mod path;
pub mod status;
pub mod time;

use globset::{Candidate, Glob, GlobSet};
use ipnet::IpNet;

use crate::aggregate::bytes_map::BytesMap;
use crate::enrich::classify::classify_agent;
use crate::enrich::geoip::client_ip;
use crate::enrich::zone::ReportZone;
use crate::parse::{LogLine, Quoted};
pub use ip::IpList;
use ip::IpRanges;
pub use method::MethodSet;
use path::glob_set;
pub use path::parse_glob;
pub use status::StatusSet;
pub use time::TimeArg;

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
            include_path: glob_set(&spec.include_path)?,
            exclude_path: glob_set(&spec.exclude_path)?,
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
