//! What a state holds, as it is saved: per day of the report zone, the
//! hit-level sums, the distinct visitors and their (page, visitor) and
//! (host, visitor) pairs, and the sums of the visits that began that day
//! and are closed; beside the days, the page views of visits still open.

use hashbrown::HashMap;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use crate::aggregate::{PathStats, Traffic};
use crate::goals::GoalSet;

pub use super::day_visitors::{DayVisitor, DayVisitors};
use super::lazy::{Lazy, Table};
use super::marks::{DayMarks, OpenMark};
use super::page_pairs::PagePairs;

/// Device, browser and operating system of a user agent.
pub type AgentNames = (String, String, String);

/// Everything counted on one day of the report zone.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Day {
    // Hit-level figures: sums.
    pub first: i64,
    pub last: i64,
    pub total: Traffic,
    pub slots: Lazy<i64, Traffic>,
    pub status: Lazy<u16, u64>,
    pub methods: Lazy<Vec<u8>, u64>,
    pub paths: Table<PathStats>,
    pub static_hits: u64,
    /// Hits per bot name (bot hits are those of agents woothee or the bot
    /// words call bots).
    pub bots: Lazy<String, u64>,
    /// Hits per virtual host.
    pub vhosts: Table<u64>,
    /// Hits per client as the clients table shows it (anonymised unless
    /// `--show-ips` was a setting): only with `--clients`.
    pub clients: Lazy<String, u64>,
    /// Keyed hashes of the addresses of the day's clients, so that an
    /// address found in log text is recognised as a client's.
    pub client_hashes: Lazy<u128, ()>,

    // Visitor-level figures: distinct keys.
    pub visitors: DayVisitors,
    /// Built the first time the day is written to after a load.
    #[serde(skip)]
    pub visitor_index: Option<HashMap<u128, u32>>,
    pub countries: Vec<String>,
    pub agents: Vec<AgentNames>,
    /// The starts of the hours that had a page view, in order of sight.
    pub hours: Vec<i64>,
    /// Page views per entry of `hours`.
    pub hour_views: Vec<u64>,
    /// (path id, visitor index) → page views.
    pub page_pairs: PagePairs,
    /// (vhost id, visitor index) → page views.
    pub vhost_pairs: Lazy<(u32, u32), u64>,
    /// Languages of `Accept-Language` headers, in order of sight.
    pub languages: Vec<String>,
    /// (language index, visitor index) of the day's page views.
    pub language_pairs: Lazy<(u32, u32), ()>,

    /// Server errors and goal hits (see [`super::marks`]).
    pub marks: DayMarks,

    // Closed visits that began on this day: sums.
    pub visits: Visits,
}

/// The sums of a set of visits, keyed by text.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Visits {
    pub visits: u64,
    pub bounces: u64,
    pub duration_s: i64,
    /// Landing path → visits, bounces.
    pub landing: Lazy<Vec<u8>, (u64, u64)>,
    /// Exit path → visits.
    pub exits: Lazy<Vec<u8>, u64>,
    /// (referrer as logged, landing query) → visits, and their page
    /// views (page views by channel, for `--format prometheus`).
    pub entries: Lazy<(Vec<u8>, Vec<u8>), (u64, u64)>,
    /// Referrer host → page views that were not the first of their visit
    /// (what the own host is inferred from, SPEC §4).
    pub later_hosts: Lazy<String, u64>,
    /// (referrer host, label) → those of `later_hosts` whose label is not
    /// the host's text (see
    /// [`odd_label`](crate::visits::metrics::odd_label)): nearly always
    /// empty.
    pub later_labels: Lazy<(String, String), u64>,
}

impl Visits {
    /// Adds `o`, all but its entries: the saved sums of the settled days
    /// keep those grouped (see [`super::entries`]).
    pub fn merge_without_entries(&mut self, o: &Visits) {
        self.visits += o.visits;
        self.bounces += o.bounces;
        self.duration_s += o.duration_s;
        add_pairs(self.landing.map(), &o.landing);
        add_counts(self.exits.map(), &o.exits);
        add_counts(self.later_hosts.map(), &o.later_hosts);
        add_counts(self.later_labels.map(), &o.later_labels);
    }
}

/// Adds the pairs of counts of `from` to `into`, copying only keys new
/// to it.
fn add_pairs<K: Hash + Eq + Clone>(into: &mut HashMap<K, (u64, u64)>, from: &Lazy<K, (u64, u64)>) {
    into.reserve(from.len());
    for (k, v) in from.iter() {
        let e = match into.get_mut(k) {
            Some(e) => e,
            None => into.entry(k.clone()).or_default(),
        };
        e.0 += v.0;
        e.1 += v.1;
    }
}

/// Adds the counts of `from` to `into`, copying only keys new to it.
pub(super) fn add_counts<K: Hash + Eq + Clone>(into: &mut HashMap<K, u64>, from: &Lazy<K, u64>) {
    into.reserve(from.len());
    for (k, v) in from.iter() {
        match into.get_mut(k) {
            Some(n) => *n += v,
            None => {
                into.insert(k.clone(), *v);
            }
        }
    }
}

impl Day {
    /// The server errors and goal hits of one day of a run: sums and sets
    /// added to this day, and each visitor's marked hits (bots' left out) to
    /// `new`, for the walk. Returns the page views, whose partitions are
    /// taken apart for it.
    pub fn add_marks(
        &mut self,
        figures: &crate::aggregate::Figures,
        views: crate::aggregate::pageviews::partitions::Partitions,
        goals: Option<&GoalSet>,
        who: &mut impl FnMut(u32, u32) -> Option<u128>,
        new: &mut HashMap<u128, Vec<OpenMark>>,
    ) -> Vec<crate::aggregate::pageviews::partitions::Partition> {
        let mut paths: HashMap<u32, u32> = HashMap::new();
        for (slot, path, method, cell) in figures.server_errors.iter() {
            let id = *paths
                .entry(path)
                .or_insert_with(|| self.paths.map().intern(figures.paths.key(path)).0);
            self.marks.add_error_cell(slot, id, method, cell);
        }
        let mut parts = views.in_order();
        for part in &mut parts {
            for m in std::mem::take(&mut part.marks) {
                let (client, agent) = figures.visitors.pair(part.visitors[m.visitor as usize]);
                let Some(hash) = who(client, agent) else {
                    continue;
                };
                let slot = m.time.div_euclid(crate::aggregate::SLOT_SECONDS);
                self.marks.error_visitors.map().insert((hash, slot), ());
                new.entry(hash).or_default().push(OpenMark {
                    time: m.time,
                    error: true,
                    goals: 0,
                });
            }
        }
        if let Some(set) = goals {
            for h in &figures.goal_hits.hits {
                let Some(hash) = who(h.client, h.agent) else {
                    continue;
                };
                self.marks.add_goal_hit(set, hash, h.mask);
                new.entry(hash).or_default().push(OpenMark {
                    time: h.time,
                    error: false,
                    goals: h.mask,
                });
            }
        }
        parts
    }

    /// The index of a visitor of the day, added with `attributes()` if new.
    pub fn visitor(&mut self, hash: u128, attributes: impl FnOnce(&mut Day) -> (u32, u32)) -> u32 {
        let visitors = self.visitors.list();
        let index = self
            .visitor_index
            .get_or_insert_with(|| (0u32..).zip(&*visitors).map(|(i, v)| (v.hash, i)).collect());
        if let Some(&i) = index.get(&hash) {
            return i;
        }
        let (country, agent) = attributes(self);
        let i = self.visitors.len() as u32;
        self.visitors.list().push(DayVisitor {
            hash,
            country,
            agent,
            hours: 0,
            pageviews: 0,
            no_language: false,
        });
        if let Some(index) = &mut self.visitor_index {
            index.insert(hash, i);
        }
        i
    }

    /// The index of a name in a list of names, added if new.
    pub fn name_index<T: PartialEq>(list: &mut Vec<T>, name: T) -> u32 {
        match list.iter().position(|n| *n == name) {
            Some(i) => i as u32,
            None => {
                list.push(name);
                list.len() as u32 - 1
            }
        }
    }

    /// The bit of the hour starting at `start` (hours past the 32nd of a
    /// day, which no zone has, share the last bit).
    pub fn hour_bit(&mut self, start: i64) -> usize {
        let i = Day::name_index(&mut self.hours, start) as usize;
        if self.hour_views.len() < self.hours.len() {
            self.hour_views.resize(self.hours.len(), 0);
        }
        i
    }

    /// Checks what was read: every number refers to something there,
    /// every response-time histogram adds up.
    pub fn validate(&self) -> Result<(), String> {
        self.check()?;
        latencies_add_up(&self.paths)
    }

    /// Checks that every number refers to something there.
    pub fn check(&self) -> Result<(), String> {
        let (visitors, paths, hosts) = (self.visitors.len(), self.paths.len(), self.vhosts.len());
        let bad = !self.visitors.fits(self.countries.len(), self.agents.len())
            || self.hour_views.len() != self.hours.len()
            || !self.page_pairs.fits(paths, visitors)
            || self
                .vhost_pairs
                .iter()
                .any(|(&(h, v), _)| h as usize >= hosts || v as usize >= visitors)
            || self
                .language_pairs
                .iter()
                .any(|(&(l, v), _)| l as usize >= self.languages.len() || v as usize >= visitors);
        if bad {
            return Err("a day refers to something it does not hold".into());
        }
        self.marks.check(paths)
    }
}

/// Whether every response-time histogram of `paths` adds up.
pub(super) fn latencies_add_up(paths: &Table<PathStats>) -> Result<(), String> {
    let consistent =
        (paths.iter()).all(|(_, p)| p.latency.as_ref().is_none_or(|l| l.is_consistent()));
    if consistent {
        Ok(())
    } else {
        Err("a response-time histogram does not add up".into())
    }
}

/// A page view of a visit that may still grow.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpenView {
    pub time: i64,
    pub path: Vec<u8>,
    /// As logged (escapes undecoded).
    pub referrer: Vec<u8>,
    pub query: Vec<u8>,
    /// On the first view of a visit: the views after it that no later
    /// line can reach any more, folded into it.
    pub folded: Option<Box<Folded>>,
}

/// Page views in the middle of a long open visit, folded into its first:
/// older than any line a next run may bring, they can no longer change
/// where the visit begins, ends or breaks, only its count of page views
/// and the referrer hosts of its later views. So a visit that never
/// pauses for 30 minutes (a scraper with a browser's user agent) keeps
/// its first and last hour of page views, not all of them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Folded {
    pub views: u64,
    /// The time of the last view folded in.
    pub until: i64,
    /// Referrer host → folded views referred from it.
    pub hosts: Vec<(String, u64)>,
    /// (referrer host, label) → those of `hosts` labelled otherwise than
    /// the host reads (see [`odd_label`](crate::visits::metrics::odd_label)).
    pub labels: Vec<((String, String), u64)>,
}

/// One visitor's page views from the first visit not yet closed on, in
/// walk order (time, then input order).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpenVisitor {
    pub hash: u128,
    pub views: Vec<OpenView>,
    /// Its server errors and goal hits that an open visit may hold, in
    /// time order.
    pub marks: Vec<OpenMark>,
}
