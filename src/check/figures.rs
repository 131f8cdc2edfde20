//! The figures of a check's windows, from the lines read for them.
//!
//! A check reads a few thousand lines, not gigabytes: one thread takes them
//! in order, parsed by the report's parser ([`crate::scan::parse_line`]).
//! A line is kept in every window its time falls in; a malformed line has
//! no time, and goes to the windows of the parsed line before it in its
//! input (of the one after it, at the start of an input), so that the
//! malformed rate of a window counts the lines written during it.
//! [`WindowFigures`] is all that conditions are judged on: figures from
//! another source (a state of earlier runs) can be judged the same way.

use globset::{Candidate, GlobSet};
use hashbrown::HashMap;

use crate::aggregate::bytes_map::BytesMap;
use crate::aggregate::latency::Latency;
use crate::enrich::route::route_of;
use crate::parse::LogLine;

/// A stretch of time `[from, until)`; no `until`: to the end of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub until: Option<i64>,
}

impl Window {
    #[inline]
    pub fn holds(&self, t: i64) -> bool {
        t >= self.from && self.until.is_none_or(|u| t < u)
    }
}

/// The hit-level figures of one subject: a whole window or a route.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub hits: u64,
    pub status_4xx: u64,
    pub status_5xx: u64,
    /// Response times of the hits that have one, in µs.
    pub latency: Latency,
}

impl Tally {
    #[inline]
    fn add(&mut self, status: u16, response_us: Option<u64>) {
        self.hits += 1;
        self.status_4xx += (400..500).contains(&status) as u64;
        self.status_5xx += (500..600).contains(&status) as u64;
        if let Some(us) = response_us {
            self.latency.record(us);
        }
    }

    pub fn merge(&mut self, other: &Tally) {
        self.hits += other.hits;
        self.status_4xx += other.status_4xx;
        self.status_5xx += other.status_5xx;
        self.latency.merge(&other.latency);
    }
}

/// A route as a check names it: the method and the route of the path
/// (SPEC §5), e.g. `POST /api/orders/:id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteName {
    pub method: String,
    pub route: String,
    /// Whether `--route` takes it in (always, without `--route`).
    pub in_scope: bool,
}

impl std::fmt::Display for RouteName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.route)
    }
}

/// A hit of the current window, kept to tell since when a figure has
/// been bad. 16 bytes: a window of 10,000 lines keeps 160 kB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HitRecord {
    /// Seconds after [`WindowFigures::base`].
    pub offset: u32,
    pub route: u32,
    /// µs, at most `u32::MAX - 1` (71 minutes); [`NO_TIME`] for none.
    pub response_us: u32,
    pub status: u16,
}

/// [`HitRecord::response_us`] of a hit without a time.
pub const NO_TIME: u32 = u32::MAX;

/// The figures of one window.
#[derive(Debug, Clone)]
pub struct WindowFigures {
    pub window: Window,
    /// Every hit of the window.
    pub all: Tally,
    /// Per route id of the [`Collector`]: the route's hits.
    pub routes: Vec<Tally>,
    /// Malformed lines (see the module's comment for which).
    pub malformed: u64,
    pub first_time: Option<i64>,
    pub last_time: Option<i64>,
    /// The hits in the order read; kept for the current window only.
    pub records: Option<Vec<HitRecord>>,
    /// The time the offsets of `records` count from: the window's start,
    /// or, for a window without one (the lines new since the last check
    /// of a state), a time early enough for every line.
    pub base: i64,
}

impl WindowFigures {
    pub fn new(window: Window, keep_records: bool) -> Self {
        WindowFigures {
            window,
            all: Tally::default(),
            routes: Vec::new(),
            malformed: 0,
            first_time: None,
            last_time: None,
            records: keep_records.then(Vec::new),
            base: window.from,
        }
    }

    /// Hits and malformed lines.
    pub fn lines(&self) -> u64 {
        self.all.hits + self.malformed
    }

    /// The hits of route `id`: none when it has no hit here.
    pub fn route(&self, id: usize) -> Option<&Tally> {
        self.routes.get(id).filter(|t| t.hits > 0)
    }

    /// The routes of `names` that `--route` takes in, summed.
    pub fn in_scope(&self, names: &[RouteName]) -> Tally {
        let mut sum = Tally::default();
        for (tally, name) in self.routes.iter().zip(names) {
            if name.in_scope {
                sum.merge(tally);
            }
        }
        sum
    }

    fn add(&mut self, t: i64, route: u32, status: u16, response_us: Option<u64>) {
        self.all.add(status, response_us);
        let r = route as usize;
        if r >= self.routes.len() {
            self.routes.resize_with(r + 1, Tally::default);
        }
        self.routes[r].add(status, response_us);
        self.first_time = Some(self.first_time.map_or(t, |f| f.min(t)));
        self.last_time = Some(self.last_time.map_or(t, |l| l.max(t)));
        if let Some(records) = &mut self.records {
            records.push(HitRecord {
                offset: u32::try_from(t.saturating_sub(self.base)).unwrap_or(u32::MAX),
                route,
                response_us: response_us.map_or(NO_TIME, |us| us.min(NO_TIME as u64 - 1) as u32),
                status,
            });
        }
    }
}

/// Takes the lines read for a check and fills the figures of its windows.
pub struct Collector {
    pub windows: Vec<WindowFigures>,
    /// Per (method, path) as logged: its route id.
    paths: BytesMap<u32>,
    route_ids: HashMap<(String, String), u32>,
    pub routes: Vec<RouteName>,
    /// `--route`: paths or routes taken in.
    scope: Option<GlobSet>,
    /// The method and path of the line being added, reused.
    key: Vec<u8>,
    /// The time of the last parsed line of the input, for the malformed
    /// lines after it; malformed lines before the first parsed line.
    context: Option<i64>,
    pending_malformed: u64,
    /// The latest time of any line read, in a window or not.
    pub last_seen: Option<i64>,
}

impl Collector {
    /// `windows[0]` is the current window, whose hits are recorded.
    pub fn new(windows: &[Window], scope: Option<GlobSet>) -> Self {
        Collector {
            windows: (windows.iter().enumerate())
                .map(|(i, &w)| WindowFigures::new(w, i == 0))
                .collect(),
            paths: BytesMap::default(),
            route_ids: HashMap::new(),
            routes: Vec::new(),
            scope,
            key: Vec::new(),
            context: None,
            pending_malformed: 0,
            last_seen: None,
        }
    }

    /// A new input starts: malformed lines take times from its own lines.
    pub fn start_input(&mut self) {
        self.context = None;
        self.pending_malformed = 0;
    }

    /// A line that parsed.
    #[inline]
    pub fn parsed(&mut self, line: &LogLine<'_>) {
        let t = line.time.unix;
        self.last_seen = Some(self.last_seen.map_or(t, |l| l.max(t)));
        self.context = Some(t);
        if self.pending_malformed > 0 {
            let n = std::mem::take(&mut self.pending_malformed);
            self.malformed_at(t, n);
        }
        if !self.windows.iter().any(|w| w.window.holds(t)) {
            return;
        }
        let route = self.route_id(line.request.method(), line.request.path());
        for w in self.windows.iter_mut().filter(|w| w.window.holds(t)) {
            w.add(t, route, line.status, line.response_time_us);
        }
    }

    /// A line that did not parse (not a blank one).
    pub fn malformed(&mut self) {
        match self.context {
            Some(t) => self.malformed_at(t, 1),
            None => self.pending_malformed += 1,
        }
    }

    fn malformed_at(&mut self, t: i64, n: u64) {
        for w in self.windows.iter_mut().filter(|w| w.window.holds(t)) {
            w.malformed += n;
        }
    }

    /// The route id of (method, path), worked out once per distinct pair.
    fn route_id(&mut self, method: &[u8], path: &[u8]) -> u32 {
        self.key.clear();
        self.key.extend_from_slice(method);
        self.key.push(b' ');
        self.key.extend_from_slice(path);
        let (_, id) = self.paths.intern(&self.key);
        if *id != 0 {
            return *id - 1;
        }
        let route = route_of(path);
        let in_scope = self.scope.as_ref().is_none_or(|globs| {
            globs.is_match_candidate(&Candidate::from_bytes(path))
                || globs.is_match_candidate(&Candidate::from_bytes(&route))
        });
        let name = (text(method), text(&route));
        let next = self.routes.len() as u32;
        let route_id = *self.route_ids.entry(name.clone()).or_insert(next);
        if route_id == next {
            self.routes.push(RouteName {
                method: name.0,
                route: name.1,
                in_scope,
            });
        }
        // A route is in scope when any of its paths is.
        self.routes[route_id as usize].in_scope |= in_scope;
        // Ids are stored plus one: 0 is the default of a new entry.
        let (_, id) = self.paths.intern(&self.key);
        *id = route_id + 1;
        route_id
    }
}

/// Text from the log, as SPEC §1 prints it: invalid UTF-8 as `\xHH`.
pub fn text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Format;

    fn line(t: &str, request: &str, status: u16) -> String {
        format!(r#"10.0.0.1 - - [01/May/2024:{t} +0000] "{request} HTTP/1.1" {status} 10 "-" "UA""#)
    }

    #[test]
    fn lines_go_to_the_windows_their_time_falls_in() {
        let t0 = 1_714_532_400; // 03:00:00
        let current = Window {
            from: t0,
            until: None,
        };
        let baseline = Window {
            from: t0 - 3600,
            until: Some(t0 - 3300),
        };
        let mut c = Collector::new(&[current, baseline], None);
        let lines = [
            line("02:00:00", "GET /a/1", 200),
            line("02:04:59", "GET /a/2", 500),
            line("02:05:00", "GET /a/3", 500),
            line("03:00:00", "POST /a/4", 503),
            line("03:01:00", "GET /b", 404),
        ];
        for (i, l) in lines.iter().enumerate() {
            c.parsed(&Format::Combined.parse(l.as_bytes()).unwrap());
            if i == 3 {
                c.malformed();
            }
        }
        let (now, before) = (&c.windows[0], &c.windows[1]);
        assert_eq!(
            (now.all.hits, now.all.status_5xx, now.all.status_4xx),
            (2, 1, 1)
        );
        assert_eq!((before.all.hits, before.all.status_5xx), (2, 1));
        assert_eq!((now.malformed, before.malformed), (1, 0));
        // GET /a/1 and GET /a/2 are one route; POST /a/4 another.
        let names: Vec<String> = c.routes.iter().map(|r| r.to_string()).collect();
        assert_eq!(names, ["GET /a/:id", "POST /a/:id", "GET /b"]);
        assert_eq!(before.routes[0].hits, 2);
        assert_eq!(now.route(1).map(|t| t.status_5xx), Some(1));
        let records = now.records.as_ref().unwrap();
        assert_eq!(
            records
                .iter()
                .map(|r| (r.offset, r.route))
                .collect::<Vec<_>>(),
            [(0, 1), (60, 2)]
        );
        assert!(before.records.is_none());
        assert_eq!(c.last_seen, Some(t0 + 60));
    }

    #[test]
    fn malformed_lines_at_the_start_take_the_next_time() {
        let t0 = 1_714_532_400;
        let mut c = Collector::new(
            &[Window {
                from: t0,
                until: None,
            }],
            None,
        );
        c.malformed();
        c.malformed();
        c.parsed(
            &Format::Combined
                .parse(line("03:00:01", "GET /", 200).as_bytes())
                .unwrap(),
        );
        c.start_input();
        c.malformed();
        assert_eq!(c.windows[0].malformed, 2);
    }

    #[test]
    fn invalid_utf8_prints_as_escapes() {
        assert_eq!(text(b"/a\xff\xfeb"), "/a\\xff\\xfeb");
        assert_eq!(text("/é".as_bytes()), "/é");
    }
}
