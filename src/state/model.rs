//! What a state holds, as it is saved: per day of the report zone, the
//! hit-level sums, the distinct visitors and their (page, visitor) and
//! (host, visitor) pairs, and the sums of the visits that began that day
//! and are closed; beside the days, the page views of visits still open.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::aggregate::{BytesMap, PathStats, Traffic};

/// Byte strings from the log (paths, hosts) numbered in order of first
/// sight, so that pairs can refer to them by number. Saved as the list of
/// keys and values; the hash index is rebuilt on load.
#[derive(Default)]
pub struct Table<V>(pub BytesMap<V>);

impl<V: Serialize> Serialize for Table<V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter())
    }
}

impl<'de, V: Deserialize<'de> + Default> Deserialize<'de> for Table<V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let entries: Vec<(Vec<u8>, V)> = Vec::deserialize(d)?;
        let mut map = BytesMap::default();
        for (key, value) in entries {
            *map.intern(&key).1 = value;
        }
        Ok(Table(map))
    }
}

impl<V> std::fmt::Debug for Table<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Table({} keys)", self.0.len())
    }
}

/// A visitor of one day: the keyed hash of (client address or field, user
/// agent), never the address, and what the report needs of it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct DayVisitor {
    pub hash: u128,
    /// Into [`Day::countries`].
    pub country: u32,
    /// Into [`Day::agents`].
    pub agent: u32,
    /// Bit `i`: a page view in the hour starting at `Day::hours[i]`.
    pub hours: u32,
    pub pageviews: u64,
}

/// Device, browser and operating system of a user agent.
pub type AgentNames = (String, String, String);

/// Everything counted on one day of the report zone.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Day {
    // Hit-level figures: sums.
    pub first: i64,
    pub last: i64,
    pub total: Traffic,
    pub slots: HashMap<i64, Traffic>,
    pub status: HashMap<u16, u64>,
    pub methods: HashMap<Vec<u8>, u64>,
    pub paths: Table<PathStats>,
    pub static_hits: u64,
    /// Hits per bot name (bot hits are those of agents woothee or the bot
    /// words call bots).
    pub bots: HashMap<String, u64>,
    /// Hits per virtual host.
    pub vhosts: Table<u64>,
    /// Hits per client as the clients table shows it (anonymised unless
    /// `--show-ips` was a setting): only with `--clients`.
    pub clients: HashMap<String, u64>,
    /// Keyed hashes of the addresses of the day's clients, so that an
    /// address found in log text is recognised as a client's.
    pub client_hashes: HashSet<u128>,

    // Visitor-level figures: distinct keys.
    pub visitors: Vec<DayVisitor>,
    #[serde(skip)]
    pub visitor_index: HashMap<u128, u32>,
    pub countries: Vec<String>,
    pub agents: Vec<AgentNames>,
    /// The starts of the hours that had a page view, in order of sight.
    pub hours: Vec<i64>,
    /// Page views per entry of `hours`.
    pub hour_views: Vec<u64>,
    /// (path id, visitor index) → page views.
    pub page_pairs: HashMap<(u32, u32), u64>,
    /// (vhost id, visitor index) → page views.
    pub vhost_pairs: HashMap<(u32, u32), u64>,

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
    pub landing: HashMap<Vec<u8>, (u64, u64)>,
    /// Exit path → visits.
    pub exits: HashMap<Vec<u8>, u64>,
    /// (referrer as logged, landing query) → visits.
    pub entries: HashMap<(Vec<u8>, Vec<u8>), u64>,
    /// Referrer host → page views that were not the first of their visit
    /// (what the own host is inferred from, SPEC §4).
    pub later_hosts: HashMap<String, u64>,
}

impl Visits {
    pub fn merge(&mut self, o: &Visits) {
        self.visits += o.visits;
        self.bounces += o.bounces;
        self.duration_s += o.duration_s;
        for (k, v) in &o.landing {
            let e = self.landing.entry(k.clone()).or_default();
            e.0 += v.0;
            e.1 += v.1;
        }
        for (k, v) in &o.exits {
            *self.exits.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.entries {
            *self.entries.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.later_hosts {
            *self.later_hosts.entry(k.clone()).or_default() += v;
        }
    }
}

impl Day {
    /// The index of a visitor of the day, added with `attributes()` if new.
    pub fn visitor(&mut self, hash: u128, attributes: impl FnOnce(&mut Day) -> (u32, u32)) -> u32 {
        if let Some(&i) = self.visitor_index.get(&hash) {
            return i;
        }
        let (country, agent) = attributes(self);
        let i = self.visitors.len() as u32;
        self.visitors.push(DayVisitor {
            hash,
            country,
            agent,
            hours: 0,
            pageviews: 0,
        });
        self.visitor_index.insert(hash, i);
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

    /// Rebuilds what is not saved.
    pub fn after_load(&mut self) {
        self.visitor_index = (0u32..)
            .zip(&self.visitors)
            .map(|(i, v)| (v.hash, i))
            .collect();
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
}

/// One visitor's page views from the first visit not yet closed on, in
/// walk order (time, then input order).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpenVisitor {
    pub hash: u128,
    pub views: Vec<OpenView>,
}
