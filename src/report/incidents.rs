//! Incidents: stretches of time in which the 5xx rate stood well above the
//! report's normal level, with the routes that failed, from when, and how
//! many visits and visitors the failure reached.
//!
//! The rule, over the report's 5-minute slots of UTC
//! ([`SLOT_SECONDS`]) that hold a kept hit:
//!
//! - the report's normal level is the median 5xx rate of those slots
//!   (nearest rank: the rate at rank ceil(n/2) of the n rates sorted);
//! - a slot is failing when it holds at least [`MIN_ERRORS`] 5xx hits and
//!   its 5xx rate is at least [`FACTOR`] times the normal level and above
//!   [`MIN_RATE`];
//! - failing slots that follow each other make one incident, from the
//!   start of its first slot to the end of its last.
//!
//! Each incident names the routes (method and route, SPEC §5) with the
//! most of its 5xx hits, their share of them, and how many 5xx hits each
//! had in the report before the incident: none marks a new failure, the
//! sign of a bad deploy. Its `visitors` are the visitors (SPEC §3, bots
//! excluded) who got a 5xx during it, in a visit or not; its `visits` the
//! visits holding such a hit by the rule of SPEC §7 (see [`marks`](crate::visits::marks)).

use std::borrow::Cow;

use hashbrown::HashMap;
use serde::Serialize;

use super::tables::{rate, text};
use crate::aggregate::{Figures, Traffic, SLOT_SECONDS};
use crate::enrich::route::route_of;
use crate::enrich::zone::ReportZone;
use crate::visits::marks::{MarkTally, Spans};

/// The fewest 5xx hits a failing slot holds.
pub const MIN_ERRORS: u64 = 5;
/// How many times the normal 5xx rate a failing slot's is, at least.
pub const FACTOR: f64 = 3.0;
/// The 5xx rate a failing slot is above, whatever the normal level.
pub const MIN_RATE: f64 = 0.01;
/// Routes named per incident.
pub const TOP_ROUTES: usize = 3;

/// An incident as the slots give it, before the visit walk says how many
/// visits and visitors it reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Its first and last slot, keyed by `unix / SLOT_SECONDS`.
    pub first_slot: i64,
    pub last_slot: i64,
    pub traffic: Traffic,
}

impl Found {
    pub fn start(&self) -> i64 {
        self.first_slot * SLOT_SECONDS
    }

    /// The end of its last slot (exclusive).
    pub fn end(&self) -> i64 {
        (self.last_slot + 1) * SLOT_SECONDS
    }
}

/// The incidents of `figures`, in time order, and the normal 5xx rate
/// they stand out from.
pub fn find(figures: &Figures) -> (Vec<Found>, f64) {
    let mut slots: Vec<(i64, Traffic)> = figures.slots().filter(|(_, t)| t.hits > 0).collect();
    slots.sort_unstable_by_key(|&(slot, _)| slot);
    let mut rates: Vec<f64> = slots
        .iter()
        .map(|(_, t)| rate(t.status_5xx, t.hits))
        .collect();
    rates.sort_unstable_by(f64::total_cmp);
    let normal = match rates.len() {
        0 => 0.0,
        n => rates[n.div_ceil(2) - 1],
    };
    let failing = |t: &Traffic| {
        let r = rate(t.status_5xx, t.hits);
        t.status_5xx >= MIN_ERRORS && r >= FACTOR * normal && r > MIN_RATE
    };
    let mut found: Vec<Found> = Vec::new();
    for (slot, traffic) in slots.into_iter().filter(|(_, t)| failing(t)) {
        match found.last_mut() {
            Some(last) if last.last_slot + 1 == slot => {
                last.last_slot = slot;
                last.traffic.merge(&traffic);
            }
            _ => found.push(Found {
                first_slot: slot,
                last_slot: slot,
                traffic,
            }),
        }
    }
    (found, normal)
}

/// The time spans of the incidents, for the visit walk.
pub fn spans(found: &[Found]) -> Spans {
    Spans::new(found.iter().map(|f| (f.start(), f.end())).collect())
}

#[derive(Debug, Serialize)]
pub struct IncidentRow {
    /// Start of the first failing slot, end of the last (exclusive).
    pub start: String,
    pub end: String,
    pub hits: u64,
    pub status_5xx: u64,
    pub error_rate_5xx: f64,
    /// The report's normal level: the median 5xx rate of its slots.
    pub normal_error_rate_5xx: f64,
    /// The time of the incident's first 5xx hit.
    pub first_error: String,
    /// Visitors who got a 5xx during it, and visits holding one.
    pub visitors: u64,
    pub visits: u64,
    pub routes: Vec<IncidentRoute>,
}

#[derive(Debug, Serialize)]
pub struct IncidentRoute {
    pub method: String,
    pub route: String,
    /// Its 5xx hits during the incident, and their share of the
    /// incident's.
    pub status_5xx: u64,
    pub share: f64,
    /// Its 5xx hits in the report before the incident started.
    pub errors_before: u64,
    /// No 5xx before: a new failure.
    pub new_failure: bool,
}

/// The 5xx hits of one (method, route) in one slot.
struct RouteCell {
    slot: i64,
    count: u64,
    first: i64,
}

/// The rows of the incidents `found` (with `normal`, as [`find`] gave
/// them); `marked` is the visit walk's tally, whose spans were
/// [`spans`]`(found)`, or `None` when visits were not computed.
pub fn rows(
    figures: &Figures,
    found: &[Found],
    normal: f64,
    marked: Option<&MarkTally>,
    zone: &ReportZone,
) -> Vec<IncidentRow> {
    if found.is_empty() {
        return Vec::new();
    }
    // The 5xx cells by (method, route), each key's in slot order. Routes
    // are worked out once per path.
    let mut routes: HashMap<u32, Cow<[u8]>> = HashMap::new();
    let mut keys: HashMap<(&[u8], Cow<[u8]>), usize> = HashMap::new();
    let mut cells: Vec<Vec<RouteCell>> = Vec::new();
    for (slot, path, method, cell) in figures.server_errors.iter() {
        let route = routes
            .entry(path)
            .or_insert_with(|| route_of(figures.paths.key(path)))
            .clone();
        let next = cells.len();
        let k = *keys.entry((method, route)).or_insert(next);
        if k == next {
            cells.push(Vec::new());
        }
        cells[k].push(RouteCell {
            slot,
            count: cell.count,
            first: cell.first,
        });
    }
    let mut names: Vec<(&[u8], Cow<[u8]>)> = vec![(&[][..], Cow::Borrowed(&[][..])); cells.len()];
    for (key, k) in keys {
        names[k] = key;
    }
    // Per incident: 5xx and first 5xx time per key, and the first 5xx.
    let mut during: Vec<HashMap<usize, u64>> = vec![HashMap::new(); found.len()];
    let mut first_error: Vec<Option<i64>> = vec![None; found.len()];
    for (k, key_cells) in cells.iter_mut().enumerate() {
        key_cells.sort_unstable_by_key(|c| c.slot);
        for c in key_cells.iter() {
            let i = found.partition_point(|f| f.last_slot < c.slot);
            if found.get(i).is_some_and(|f| f.first_slot <= c.slot) {
                *during[i].entry(k).or_default() += c.count;
                let first = &mut first_error[i];
                *first = Some(first.map_or(c.first, |t| t.min(c.first)));
            }
        }
    }
    found
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let t = &f.traffic;
            let mut top: Vec<(usize, u64)> = during[i].iter().map(|(&k, &n)| (k, n)).collect();
            top.sort_unstable_by(|a, b| {
                b.1.cmp(&a.1)
                    .then_with(|| (&names[a.0].1, names[a.0].0).cmp(&(&names[b.0].1, names[b.0].0)))
            });
            top.truncate(TOP_ROUTES);
            let routes = top
                .into_iter()
                .map(|(k, n)| {
                    let before: u64 = cells[k]
                        .iter()
                        .take_while(|c| c.slot < f.first_slot)
                        .map(|c| c.count)
                        .sum();
                    IncidentRoute {
                        method: text(names[k].0),
                        route: text(&names[k].1),
                        status_5xx: n,
                        share: rate(n, t.status_5xx),
                        errors_before: before,
                        new_failure: before == 0,
                    }
                })
                .collect();
            IncidentRow {
                start: zone.format(f.start()),
                end: zone.format(f.end()),
                hits: t.hits,
                status_5xx: t.status_5xx,
                error_rate_5xx: rate(t.status_5xx, t.hits),
                normal_error_rate_5xx: normal,
                first_error: zone.format(first_error[i].unwrap_or(f.start())),
                visitors: marked.map_or(0, |m| m.span_visitors.get(i).copied().unwrap_or(0)),
                visits: marked.map_or(0, |m| m.span_visits.get(i).copied().unwrap_or(0)),
                routes,
            }
        })
        .collect()
}

/// An incident's routes as one cell of a table or CSV row:
/// `POST /api/checkout 141 (89.2 %, new); GET /x 3 (1.9 %)`.
pub fn routes_text(routes: &[IncidentRoute]) -> String {
    let route = |r: &IncidentRoute| {
        let new = if r.new_failure { ", new" } else { "" };
        format!(
            "{} {} {} ({:.1} %{new})",
            r.method,
            r.route,
            r.status_5xx,
            r.share * 100.0
        )
    };
    routes.iter().map(route).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Record;
    use crate::parse::Format;

    const T0: i64 = 1_714_532_400; // 2024-05-01T03:00:00Z, a slot start

    fn add(f: &mut Figures, t: i64, method: &str, path: &str, status: u16) {
        let time = chrono::DateTime::from_timestamp(t, 0).unwrap();
        let line = format!(
            r#"10.0.0.1 - - [{}] "{method} {path} HTTP/1.1" {status} 10 "-" "curl/8""#,
            time.format("%d/%b/%Y:%H:%M:%S +0000")
        );
        let parsed = Format::Combined.parse(line.as_bytes()).unwrap();
        f.add_line(&parsed, 0, Record::ALL);
    }

    /// An hour of 100 hits per slot, 1 error each (a normal rate of 1 %);
    /// from 03:20 to 03:30, 20 more errors per slot on POST /api/pay/N;
    /// an error of it at 02:00 too, before everything else.
    fn figures() -> Figures {
        let mut f = Figures::default();
        add(&mut f, T0 - 3600, "POST", "/api/pay/1", 502);
        for slot in 0..12 {
            let start = T0 + slot * SLOT_SECONDS;
            for i in 0..99 {
                add(&mut f, start + i, "GET", "/", 200);
            }
            add(&mut f, start + 99, "GET", "/old", 500);
            if (4..6).contains(&slot) {
                for i in 0..20 {
                    add(
                        &mut f,
                        start + 120 + i,
                        "POST",
                        &format!("/api/pay/{i}"),
                        503,
                    );
                }
            }
        }
        f
    }

    #[test]
    fn failing_slots_that_follow_each_other_are_one_incident() {
        let f = figures();
        let (found, normal) = find(&f);
        // 13 slots with hits: the lone one at 02:00 (rate 1), 10 at 1 %,
        // 2 at 21/120. The median (rank 7 of 13) is 1 %.
        assert_eq!(normal, 0.01);
        assert_eq!(found.len(), 1);
        let i = &found[0];
        assert_eq!((i.start(), i.end()), (T0 + 1200, T0 + 1800));
        assert_eq!((i.traffic.hits, i.traffic.status_5xx), (240, 42));
        let rows = rows(&f, &found, normal, None, &ReportZone::UTC);
        let r = &rows[0];
        assert_eq!(r.start, "2024-05-01T03:20:00+00:00");
        assert_eq!(r.end, "2024-05-01T03:30:00+00:00");
        // The incident's first 5xx is /old's at 03:21:39.
        assert_eq!(r.first_error, "2024-05-01T03:21:39+00:00");
        let routes: Vec<(&str, &str, u64, bool)> = r
            .routes
            .iter()
            .map(|x| {
                (
                    x.method.as_str(),
                    x.route.as_str(),
                    x.status_5xx,
                    x.new_failure,
                )
            })
            .collect();
        assert_eq!(
            routes,
            [
                ("POST", "/api/pay/:id", 40, false),
                ("GET", "/old", 2, false)
            ]
        );
        assert_eq!(r.routes[0].errors_before, 1);
        assert_eq!(r.routes[1].errors_before, 4);
        assert!((r.routes[0].share - 40.0 / 42.0).abs() < 1e-12);
        assert_eq!(
            routes_text(&r.routes),
            "POST /api/pay/:id 40 (95.2 %); GET /old 2 (4.8 %)"
        );
    }

    #[test]
    fn a_steady_rate_is_no_incident() {
        let mut f = Figures::default();
        for slot in 0..4 {
            for i in 0..10 {
                // Half the hits fail everywhere: that is the normal level.
                let status = if i % 2 == 0 { 500 } else { 200 };
                add(&mut f, T0 + slot * SLOT_SECONDS + i, "GET", "/", status);
            }
        }
        let (found, normal) = find(&f);
        assert_eq!((found.len(), normal), (0, 0.5));
        assert_eq!(find(&Figures::default()), (Vec::new(), 0.0));
    }
}
