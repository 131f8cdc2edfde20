//! Days added up as the report adds them: hit-level sums, the counts of
//! each day's distinct sets (visitors, (page, visitor) pairs...) summed
//! over days as SPEC's visitor-days are, and the sums of the visits. What
//! [`State::report`](super::saved::State) builds its figures from, and,
//! saved, what stands for the settled days ([`super::settled`]): a run
//! then decodes these sums instead of every day.

use hashbrown::HashMap;

use serde::{Deserialize, Serialize};

use crate::aggregate::{PathStats, Traffic};

use super::day_counts::DayCounts;
use super::entries::EntryGroups;
use super::lazy::{table_as_map, Lazy, Table};
use super::marks::{ErrorKey, Totals};
use super::model::{add_counts, latencies_add_up, Day, Visits};

/// The sums of a run of days, in the order of their starts.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Summed {
    /// The earliest first and latest last time of the days (which the
    /// report's buckets are chosen by).
    pub period: Option<(i64, i64)>,
    /// The first and last time of a hit, over days that had hits.
    pub hit_times: Option<(i64, i64)>,
    pub total: Traffic,
    pub slots: Lazy<i64, Traffic>,
    pub status: Lazy<u16, u64>,
    pub methods: Lazy<Vec<u8>, u64>,
    /// Paths numbered in order of first sight over the days (read back
    /// as a map: a run adds its days to them).
    #[serde(deserialize_with = "table_as_map")]
    pub paths: Table<PathStats>,
    /// Per path number: page views and visitor-days.
    pub pages: Vec<(u64, u64)>,
    pub static_hits: u64,
    /// Every 5xx cell, by (slot, path number here, method).
    pub errors: Lazy<ErrorKey, (u64, i64, i64)>,
    #[serde(deserialize_with = "table_as_map")]
    pub vhosts: Table<u64>,
    /// Per host number: page views and visitor-days.
    pub hosts: Vec<(u64, u64)>,
    pub bots: Lazy<String, u64>,
    pub clients: Lazy<String, u64>,
    /// The keyed hashes of the clients' addresses (a client of several
    /// days may be there more than once).
    pub client_hashes: Vec<u128>,
    pub pageviews: u64,
    /// Visitor-days.
    pub visitors: u64,
    /// Per country: visitor-days and page views.
    pub countries: Lazy<String, (u64, u64)>,
    pub devices: Lazy<String, u64>,
    pub browsers: Lazy<String, u64>,
    pub os: Lazy<String, u64>,
    /// Page views and visitors per day (start) and per hour: the report
    /// takes one or the other by the length of its period.
    pub by_day: Lazy<i64, (u64, u64)>,
    pub by_hour: Lazy<i64, (u64, u64)>,
    /// Whether a day kept a page view's language (SPEC §5).
    pub has_languages: bool,
    /// Visitor-days per language.
    pub languages: Lazy<String, u64>,
    /// Server errors and goal hits of visits and visitors.
    pub totals: Totals,
    /// The closed visits begun on the days, merged by text, without their
    /// entries: only in saved sums (a report takes each day's visits as
    /// they are kept).
    pub visits: Visits,
    /// Their entries, grouped (see [`super::entries`]).
    pub entries: EntryGroups,
}

impl Summed {
    /// Adds `days` (in the order of their starts, after those summed
    /// already): their sets are counted in parallel, then added in order.
    /// Their visits are not: see [`Summed::visits`].
    pub fn add_days(&mut self, days: &[(i64, &Day)]) {
        let list: Vec<&Day> = days.iter().map(|&(_, d)| d).collect();
        let counted = DayCounts::of_days(&list);
        for (&(start, day), counts) in days.iter().zip(&counted) {
            self.add_day(start, day, counts);
        }
    }

    fn add_day(&mut self, start: i64, day: &Day, counts: &DayCounts) {
        // Hit-level sums.
        let span = (day.first, day.last);
        self.period = Some(widened(self.period, span));
        if day.total.hits > 0 {
            self.hit_times = Some(widened(self.hit_times, span));
        }
        self.total.merge(&day.total);
        let slots = self.slots.map();
        for (&slot, traffic) in day.slots.iter() {
            slots.entry(slot).or_default().merge(traffic);
        }
        add_counts(self.status.map(), &day.status);
        add_counts(self.methods.map(), &day.methods);
        let paths = self.paths.map();
        let path_ids: Vec<u32> = day
            .paths
            .iter()
            .map(|(path, stats)| {
                let (id, mine) = paths.intern(path);
                mine.merge_from(stats);
                id
            })
            .collect();
        self.pages.resize(paths.len(), (0, 0));
        self.static_hits += day.static_hits;
        let errors = self.errors.map();
        for ((slot, path, method), &(count, first, last)) in day.marks.errors.iter() {
            let key = (*slot, path_ids[*path as usize], method.clone());
            let cell = errors.entry(key).or_insert((0, first, last));
            cell.0 += count;
            cell.1 = cell.1.min(first);
            cell.2 = cell.2.max(last);
        }
        self.totals.add(&day.marks);
        self.has_languages |= !day.language_pairs.is_empty();
        count_languages(day, counts, self.languages.map());
        let vhosts = self.vhosts.map();
        let host_ids: Vec<u32> = day
            .vhosts
            .iter()
            .map(|(host, &hits)| {
                let (id, mine) = vhosts.intern(host);
                *mine += hits;
                id
            })
            .collect();
        self.hosts.resize(vhosts.len(), (0, 0));
        add_counts(self.bots.map(), &day.bots);
        add_counts(self.clients.map(), &day.clients);
        (self.client_hashes).extend(day.client_hashes.iter().map(|(&h, _)| h));

        // Visitor-level counts of the day's sets, counted by the day's
        // numbers (see `DayCounts`): one lookup a name here.
        self.pageviews += counts.pageviews;
        self.visitors += day.visitors.len() as u64;
        let countries = self.countries.map();
        for (name, &(visitors, views)) in day.countries.iter().zip(&counts.countries) {
            if visitors > 0 {
                let country = countries.entry_ref(name).or_default();
                country.0 += visitors;
                country.1 += views;
            }
        }
        let (devices, browsers, os) = (self.devices.map(), self.browsers.map(), self.os.map());
        for ((device, browser, system), &n) in day.agents.iter().zip(&counts.agents) {
            if n > 0 {
                *devices.entry_ref(device).or_default() += n;
                *browsers.entry_ref(browser).or_default() += n;
                *os.entry_ref(system).or_default() += n;
            }
        }
        let pageviews: u64 = day.hour_views.iter().sum();
        if pageviews > 0 {
            let b = self.by_day.map().entry(start).or_default();
            b.0 += pageviews;
            b.1 += day.visitors.len() as u64;
        }
        let by_hour = self.by_hour.map();
        for ((&hour, &views), &visitors) in day
            .hours
            .iter()
            .zip(&day.hour_views)
            .zip(&counts.hour_visitors)
        {
            let b = by_hour.entry(hour).or_default();
            b.0 += views;
            b.1 += visitors;
        }
        for (&id, &(views, visitors)) in path_ids.iter().zip(&counts.pages) {
            if views > 0 {
                let page = &mut self.pages[id as usize];
                page.0 += views;
                page.1 += visitors;
            }
        }
        for (&id, &(views, visitors)) in host_ids.iter().zip(&counts.hosts) {
            if visitors > 0 {
                let row = &mut self.hosts[id as usize];
                row.0 += views;
                row.1 += visitors;
            }
        }
    }

    /// Checks sums read back: every number refers to something there.
    pub fn check(&self) -> Result<(), String> {
        let paths = self.paths.len();
        let fits = self.pages.len() == paths
            && self.hosts.len() == self.vhosts.len()
            && self
                .errors
                .iter()
                .all(|((_, p, _), _)| (*p as usize) < paths);
        if !fits {
            return Err("the sums of the settled days refer to something they do not hold".into());
        }
        latencies_add_up(&self.paths)
    }
}

/// The span from the earlier first to the later last of `span` and `by`.
fn widened(span: Option<(i64, i64)>, by: (i64, i64)) -> (i64, i64) {
    match span {
        Some((first, last)) => (first.min(by.0), last.max(by.1)),
        None => by,
    }
}

/// Adds one day's visitor-days per language (SPEC §5) to `into`.
fn count_languages(day: &Day, day_counts: &DayCounts, into: &mut HashMap<String, u64>) {
    use crate::enrich::language::UNKNOWN_LANGUAGE;
    let unknown = day.languages.iter().position(|l| l == UNKNOWN_LANGUAGE);
    let mut counts = vec![0u64; day.languages.len()];
    // Visitors of the day whose language is unknown: by a header, or by a
    // page view of a layout without one; each counts once.
    let mut unknown_visitors = vec![false; day.visitors.len()];
    for &i in &day_counts.no_language {
        unknown_visitors[i as usize] = true;
    }
    for (&(language, visitor), _) in day.language_pairs.iter() {
        if Some(language as usize) == unknown {
            unknown_visitors[visitor as usize] = true;
        } else {
            counts[language as usize] += 1;
        }
    }
    for (name, &n) in day.languages.iter().zip(&counts) {
        if n > 0 {
            *into.entry_ref(name).or_default() += n;
        }
    }
    let n = unknown_visitors.iter().filter(|&&u| u).count() as u64;
    if n > 0 {
        *into.entry(UNKNOWN_LANGUAGE.to_string()).or_default() += n;
    }
}
