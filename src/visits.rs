//! Visitors, visits and where they come from (SPEC §3–§5), computed once
//! all lines are read.
//!
//! Why at the end and not per line: whether a hit is a page view depends on
//! its user agent being a bot, which woothee decides; visits need a
//! visitor's page views in time order, which unsorted lines and rotated
//! files given in any order do not provide; and the own host of the
//! referrer rule is decided from visits. So the scan records each candidate
//! page view as a small record of ids (filed by partition:
//! see [`crate::pageviews`]), and this module classifies every distinct
//! agent once, looks up every distinct client's country once, drops bots,
//! puts each partition's page views in (visitor, time, input order) and
//! walks each visitor's page views once, partitions in parallel.

use std::collections::HashMap;
use std::net::IpAddr;

use rayon::prelude::*;

use crate::aggregate::{Figures, NO_AGENT, NO_VHOST, SLOT_SECONDS};
use crate::classify::{classify_agent, AgentInfo};
use crate::geoip::{CountryCache, GeoDb};
use crate::pageviews::{FirstPair, PairMap, Partitions, Segment, PARTITIONS};
use crate::parse::Quoted;
use crate::sources::{self, Channel};
use crate::zone::{Bucket, ReportZone};

/// A gap of exactly this many seconds continues a visit; one more ends it.
pub const VISIT_GAP_SECONDS: i64 = 1800;

/// Whether a visitor's page view at `next` continues the visit of its
/// page view at `prev`, the one before it in time (SPEC §3).
#[inline]
pub fn continues_visit(prev: i64, next: i64) -> bool {
    next - prev <= VISIT_GAP_SECONDS
}

/// Country of clients with no address, no database or no match.
pub const UNKNOWN_COUNTRY: &str = "unknown";

/// What the end-of-run computation needs besides the figures.
pub struct VisitOptions<'a> {
    pub zone: &'a ReportZone,
    /// The time-series bucket of the report.
    pub bucket: Bucket,
    /// `--site` hosts, as given.
    pub sites: &'a [String],
    pub geo: Option<&'a GeoDb>,
    /// Shown every partition's page views in visit order, and then given
    /// what the walk worked out per agent, client and entry
    /// ([`VisitFigures::enrichment`]): for `logstats export`, which writes
    /// them on every hit. `None` costs nothing.
    pub observer: Option<&'a dyn WalkObserver>,
}

/// Sees the page views of each partition, grouped by visitor in time order,
/// as the walk does (on the thread that walks them).
pub trait WalkObserver: Sync {
    fn partition(&self, walk: PartitionWalk<'_>);
}

/// One partition's page views as the walk orders them.
pub struct PartitionWalk<'a> {
    pub partition: usize,
    /// The candidate page views recorded in the partition, bots' included:
    /// each has an origin below this, its place among them in input order.
    pub candidates: u32,
    walkers: &'a [Visitor],
    views: &'a ByVisitor,
}

/// One visitor's page views, in time order (ties in input order).
pub struct WalkedVisitor<'a> {
    /// The client id (the first spelling of its address) and the agent
    /// index (`figures.agents.len()` for a layout without agents).
    pub client: u32,
    pub agent: u32,
    pub views: &'a [WalkView],
    /// The origin of each of `views`.
    pub origins: &'a [u32],
}

impl<'a> PartitionWalk<'a> {
    pub fn visitors(&self) -> impl Iterator<Item = WalkedVisitor<'a>> + '_ {
        let (walkers, views) = (self.walkers, self.views);
        views.iter().map(move |(number, one_visitor, _)| {
            let visitor = walkers[number as usize];
            let start = views.starts[number as usize] as usize;
            WalkedVisitor {
                client: visitor.client,
                agent: visitor.agent,
                views: one_visitor,
                origins: &views.origins[start..start + one_visitor.len()],
            }
        })
    }
}

/// What the end of the run worked out per distinct value, kept for an
/// observer (see [`VisitOptions::observer`]).
#[derive(Debug)]
pub struct Enrichment {
    /// Per agent id, then one for a layout without agents.
    pub agents: Vec<AgentInfo>,
    /// Per client id, the id of the first spelling of its address.
    pub client_of: Vec<u32>,
    pub country_names: Vec<String>,
    /// Per client id, the index of its country in `country_names`.
    pub country_of_client: Vec<u32>,
    /// (entry id, where its visits came from) of each entry that began
    /// a visit.
    pub entry_sources: Vec<(u32, EntrySource)>,
}

/// Visit-level figures, keyed by ids of the [`Figures`] they came from
/// (paths) or by text (everything enriched).
#[derive(Debug, Default)]
pub struct VisitFigures {
    pub pageviews: u64,
    /// Distinct (visitor, day) pairs with a page view, summed over days.
    pub visitors: u64,
    pub visits: u64,
    pub bounces: u64,
    pub duration_s: i64,
    pub bot_hits: u64,
    /// Per time-series bucket start: page views, and distinct visitors.
    pub buckets: HashMap<i64, (u64, u64)>,
    /// Per path id: page views, and distinct (visitor, day) pairs. Keyed
    /// by id with a fast hash: a log can have a million paths viewed.
    pub pages: FastMap<u32, (u64, u64)>,
    /// Per landing path id: visits and bounces.
    pub landing: FastMap<u32, (u64, u64)>,
    /// Per exit path id: visits.
    pub exits: FastMap<u32, u64>,
    /// Per vhost id: page views, and distinct (visitor, day) pairs.
    pub vhosts: HashMap<u32, (u64, u64)>,
    pub referrers: HashMap<String, u64>,
    pub channels: HashMap<Channel, u64>,
    pub search_terms: HashMap<String, u64>,
    pub campaigns: HashMap<(String, String, String), u64>,
    /// Per country: visitors (visitor-days) and page views.
    pub countries: HashMap<String, (u64, u64)>,
    pub devices: HashMap<String, u64>,
    pub browsers: HashMap<String, u64>,
    pub os: HashMap<String, u64>,
    pub bots: HashMap<String, u64>,
    /// The hosts counted as the site's own, and which rule gave them.
    pub own_hosts: Vec<String>,
    pub own_hosts_from: OwnHostsFrom,
    /// Per client id of the figures: its address, if it has one.
    pub client_ips: Vec<Option<IpAddr>>,
    /// Only with an observer.
    pub enrichment: Option<Enrichment>,
}

/// Which rule of SPEC §4 named the own hosts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum OwnHostsFrom {
    Site,
    Vhost,
    Referrers,
    #[default]
    None,
}

/// A visitor as the walk knows it: its client (spellings unified) and the
/// index of its classified agent.
#[derive(Debug, Clone, Copy)]
pub struct Visitor {
    client: u32,
    agent: u32,
}

/// `views` are the candidate page views of `figures` (consumed here).
pub fn compute(figures: &Figures, views: Partitions, opts: &VisitOptions<'_>) -> VisitFigures {
    let mut out = VisitFigures::default();

    // Each distinct user agent, classified once, in parallel. A layout
    // without a user agent (NO_AGENT) gets the last index: never a bot.
    let mut agents: Vec<AgentInfo> = (0..figures.agents.len() as u32)
        .into_par_iter()
        .map(|id| {
            classify_agent(
                &Quoted {
                    raw: figures.agents.key(id),
                }
                .text(),
            )
        })
        .collect();
    for (id, info) in agents.iter().enumerate() {
        if let Some(name) = info.bot_name.as_ref().filter(|_| info.is_bot) {
            let hits = figures.agents.value(id as u32).hits;
            out.bot_hits += hits;
            *out.bots.entry(name.clone()).or_default() += hits;
        }
    }
    // NO_AGENT's entry, at the index `number_visitors` gives it.
    agents.push(AgentInfo {
        is_bot: false,
        device: "UNKNOWN".into(),
        browser: "UNKNOWN".into(),
        os: "UNKNOWN".into(),
        bot_name: None,
    });
    // Countries on one side; clients unified and visitors numbered on the
    // other, whose loops are serial: the lookups fill the idle core.
    let ((country_names, country_of_client), (client_ips, walkers, visitor_number, client_of)) =
        rayon::join(
            || countries_of_clients(figures, opts.geo),
            || {
                let client_ips = figures.clients.iter().map(|(_, info)| info.ip).collect();
                let client_of = unify_clients(figures);
                let (walkers, numbers) = number_visitors(figures, &agents, &client_of);
                (client_ips, walkers, numbers, client_of)
            },
        );
    out.client_ips = client_ips;

    let calendar = Calendar::new(figures, opts);
    let empty = || Tally {
        pages: vec![(0, 0); figures.paths.len()],
        landing: vec![(0, 0); figures.paths.len()],
        exits: vec![0; figures.paths.len()],
        vhosts: vec![HostTally::default(); figures.vhosts.len()],
        buckets: vec![(0, 0); calendar.bucket_starts.len()],
        countries: vec![(0, 0); country_names.len()],
        agent_days: vec![0; agents.len()],
        entry_visits: vec![0; figures.entries.len()],
        later_entries: vec![0; figures.entries.len()],
        ..Tally::default()
    };
    // Partitions are independent: each is put in visitor order and walked
    // on whichever thread takes it, and the tallies are summed.
    let parts = views.in_order();
    let has_vhosts = !figures.vhosts.is_empty();
    // One tally per thread, not per piece rayon would split the work into:
    // a tally has counters per path and per entry, tens of megabytes to
    // zero and to sum on a log of a million distinct paths. Partitions are
    // spread by a hash, so equal groups of them are equal work.
    let per_thread = parts.len().div_ceil(rayon::current_num_threads()).max(1);
    let tally = parts
        .into_par_iter()
        .zip(walkers.par_iter())
        .enumerate()
        .with_min_len(per_thread)
        .fold(empty, |mut tally, (partition, (part, walkers))| {
            // Segments hold numbers of the partition; walkers are numbered
            // anew, unified and without bots.
            let number: Vec<u32> = part
                .visitors
                .iter()
                .map(|&v| visitor_number[v as usize])
                .collect();
            let observer = opts.observer;
            let views = by_visitor(
                part.segments,
                walkers.len(),
                &number,
                has_vhosts,
                observer.is_some(),
            );
            for (number, one_visitor, vhosts) in views.iter() {
                let visitor = walkers[number as usize];
                tally.walk_visitor(
                    one_visitor,
                    vhosts,
                    &calendar,
                    country_of_client[visitor.client as usize],
                    visitor.agent,
                );
            }
            if let Some(observer) = observer {
                observer.partition(PartitionWalk {
                    partition,
                    candidates: views.candidates,
                    walkers,
                    views: &views,
                });
            }
            tally
        })
        .reduce_with(Tally::merge)
        .unwrap_or_else(empty);

    // From ids back to text, keeping only what occurred.
    out.pageviews = tally.pageviews;
    out.visitors = tally.visitors;
    out.visits = tally.visits;
    out.bounces = tally.bounces;
    out.duration_s = tally.duration_s;
    out.pages = occurred(&tally.pages, |c| c.0 > 0);
    out.landing = occurred(&tally.landing, |c| c.0 > 0);
    out.exits = occurred(&tally.exits, |&n| n > 0);
    out.vhosts = (0..)
        .zip(&tally.vhosts)
        .filter(|(_, h)| h.pageviews > 0)
        .map(|(id, h)| (id, (h.pageviews, h.visitors)))
        .collect();
    out.buckets = calendar
        .bucket_starts
        .iter()
        .zip(&tally.buckets)
        .filter(|(_, c)| c.0 > 0)
        .map(|(&s, &c)| (s, c))
        .collect();
    for (name, &counts) in country_names.iter().zip(&tally.countries) {
        if counts.0 > 0 {
            out.countries.insert(name.clone(), counts);
        }
    }
    for (info, &days) in agents.iter().zip(&tally.agent_days) {
        if days > 0 {
            *out.devices.entry(info.device.clone()).or_default() += days;
            *out.browsers.entry(info.browser.clone()).or_default() += days;
            *out.os.entry(info.os.clone()).or_default() += days;
        }
    }
    // Per entry (referrer, landing query) that began visits: their
    // number (an entry id is one pair: nothing to add up); per referrer:
    // page views that were not the first of their visit.
    let mut entries: Vec<((u32, u32), u64)> = Vec::new();
    let mut entry_ids: Vec<u32> = Vec::new();
    let mut later_referrers = vec![0u64; figures.referrers.len()];
    for (e, (&visits, &later)) in tally
        .entry_visits
        .iter()
        .zip(&tally.later_entries)
        .enumerate()
    {
        let (referrer, query) = figures.entries.pair(e as u32);
        if visits > 0 {
            entries.push(((referrer, query), visits));
            entry_ids.push(e as u32);
        }
        later_referrers[referrer as usize] += later;
    }
    let sourced = attribute_sources(figures, opts, &entries, &later_referrers, &mut out);
    if opts.observer.is_some() {
        out.enrichment = Some(Enrichment {
            agents,
            client_of,
            country_names,
            country_of_client,
            entry_sources: entry_ids.into_iter().zip(sourced).collect(),
        });
    }
    out
}

/// Each distinct client field's country, looked up once, in parallel (its
/// address was worked out when it was first seen): the names of the
/// countries found, and the index of each client's among them.
fn countries_of_clients(figures: &Figures, geo: Option<&GeoDb>) -> (Vec<String>, Vec<u32>) {
    let countries: Vec<Option<&str>> = (0..figures.clients.len() as u32)
        .into_par_iter()
        .map_init(CountryCache::default, |cache, id| {
            let ip = figures.clients.value(id).ip;
            ip.and_then(|ip| geo.and_then(|db| db.country_cached(ip, cache)))
        })
        .collect();
    let mut country_names: Vec<String> = Vec::new();
    let mut country_ids: FastMap<&str, u32> = FastMap::default();
    let country_of_client: Vec<u32> = countries
        .into_iter()
        .map(|country| {
            let country = country.unwrap_or(UNKNOWN_COUNTRY);
            *country_ids.entry(country).or_insert_with(|| {
                country_names.push(country.to_owned());
                country_names.len() as u32 - 1
            })
        })
        .collect();
    (country_names, country_of_client)
}

/// For each client id, the id of the first spelling of its address (SPEC
/// §1: two spellings of one address are one client). Fields that hold no
/// address are distinct clients already: the table of fields has each
/// text once. All spellings of an address are in one partition, so each
/// partition is unified on its own, in parallel, with a map of its
/// addresses small enough for the cache.
fn unify_clients(figures: &Figures) -> Vec<u32> {
    let mut in_partition: Vec<Vec<u32>> = vec![Vec::new(); PARTITIONS];
    for id in 0..figures.clients.len() as u32 {
        in_partition[figures.clients.value(id).partition as usize].push(id);
    }
    let firsts: Vec<Vec<u32>> = in_partition
        .par_iter()
        .map(|ids| {
            let mut first: FastMap<IpAddr, u32> =
                FastMap::with_capacity_and_hasher(ids.len(), Default::default());
            ids.iter()
                .map(|&id| match figures.clients.value(id).ip {
                    Some(ip) => *first.entry(ip).or_insert(id),
                    None => id,
                })
                .collect()
        })
        .collect();
    let mut client_of = vec![0u32; figures.clients.len()];
    for (ids, firsts) in in_partition.iter().zip(&firsts) {
        for (&id, &first) in ids.iter().zip(firsts) {
            client_of[id as usize] = first;
        }
    }
    client_of
}

/// A visitor is a (client, user agent) pair; two visitor ids are one
/// visitor when their clients are two spellings of one address. Each is
/// numbered within its partition (where all its page views are); bots are
/// no visitors: u32::MAX. Returns the visitors of each partition by
/// number, and the number of each visitor id. The unified pairs are a
/// `PairMap` too, with the first pair of each client kept by client id.
/// `agents` has one more entry than the agents table, for NO_AGENT.
fn number_visitors(
    figures: &Figures,
    agents: &[AgentInfo],
    client_of: &[u32],
) -> (Vec<Vec<Visitor>>, Vec<u32>) {
    let no_agent = figures.agents.len() as u32;
    let mut walkers: Vec<Vec<Visitor>> = vec![Vec::new(); PARTITIONS];
    let mut unified = PairMap::default();
    let mut firsts = vec![FirstPair::default(); figures.clients.len()];
    // Per unified visitor: its number in its partition.
    let mut number_of: Vec<u32> = Vec::new();
    let visitor_number: Vec<u32> = (0..figures.visitors.len() as u32)
        .map(|v| {
            let (client, agent) = figures.visitors.pair(v);
            let agent = if agent == NO_AGENT { no_agent } else { agent };
            if agents[agent as usize].is_bot {
                return u32::MAX;
            }
            let client_id = client_of[client as usize];
            let next = unified.len() as u32;
            let id = unified.intern((client_id, agent), &mut firsts[client_id as usize]);
            if id == next {
                let part = &mut walkers[figures.clients.value(client).partition as usize];
                part.push(Visitor {
                    client: client_id,
                    agent,
                });
                number_of.push(part.len() as u32 - 1);
            }
            number_of[id as usize]
        })
        .collect();
    (walkers, visitor_number)
}

/// A page view as the walk reads it: its visitor is where it is, and its
/// virtual host, for the layouts that log one, is kept apart. 16 bytes
/// instead of 24, for every page view of two partitions at once: this is
/// the most memory a run takes that grows with the number of lines.
#[derive(Debug, Clone, Copy, Default)]
pub struct WalkView {
    pub time: i64,
    pub path: u32,
    /// Into the figures' `entries`: (referrer id, query id).
    pub entry: u32,
}

/// The page views of one partition grouped by visitor number, each
/// visitor's in time order, ties in input order; bots' left out. A
/// counting sort by visitor keeps input order (segments come in chunk
/// order), and a visitor's page views are nearly always in time order
/// already, so the stable sort by time that follows is mostly a check.
/// With `origins`, the place of each page view among the partition's
/// candidates in input order is kept beside it.
fn by_visitor(
    segments: Vec<Segment>,
    visitors: usize,
    number: &[u32],
    vhosts: bool,
    origins: bool,
) -> ByVisitor {
    let mut starts = vec![0u32; visitors + 1];
    for visitor in segments.iter().flat_map(|s| s.visitors()) {
        let n = number[visitor as usize];
        if n != u32::MAX {
            starts[n as usize + 1] += 1;
        }
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let total = starts[visitors] as usize;
    let mut views = vec![WalkView::default(); total];
    let mut hosts = vec![NO_VHOST; if vhosts { total } else { 0 }];
    let mut places = vec![0u32; if origins { total } else { 0 }];
    let mut next = starts.clone();
    let mut origin = 0u32;
    // Segments are dropped as they are read: memory does not double.
    for segment in segments {
        for v in segment.iter() {
            let n = number[v.visitor as usize];
            if n != u32::MAX {
                let at = next[n as usize] as usize;
                views[at] = WalkView {
                    time: v.time,
                    path: v.path,
                    entry: v.entry,
                };
                if vhosts {
                    hosts[at] = v.vhost;
                }
                if origins {
                    places[at] = origin;
                }
                next[n as usize] += 1;
            }
            origin += 1;
        }
    }
    for w in starts.windows(2) {
        let range = w[0] as usize..w[1] as usize;
        let group = &mut views[range.clone()];
        if group.is_sorted_by_key(|v| v.time) {
            continue;
        }
        if vhosts || origins {
            // Every array in the order of a stable sort by time.
            let mut order: Vec<usize> = (0..group.len()).collect();
            order.sort_by_key(|&i| group[i].time);
            let sorted: Vec<WalkView> = order.iter().map(|&i| group[i]).collect();
            group.copy_from_slice(&sorted);
            for side in [&mut hosts, &mut places] {
                if let Some(side) = side.get_mut(range.clone()) {
                    let sorted: Vec<u32> = order.iter().map(|&i| side[i]).collect();
                    side.copy_from_slice(&sorted);
                }
            }
        } else {
            group.sort_by_key(|v| v.time);
        }
    }
    ByVisitor {
        views,
        vhosts: hosts,
        origins: places,
        starts,
        candidates: origin,
    }
}

struct ByVisitor {
    views: Vec<WalkView>,
    /// The virtual host of each of `views`; empty when the layout has none.
    vhosts: Vec<u32>,
    /// The origin of each of `views` (see [`PartitionWalk`]); empty unless
    /// asked for.
    origins: Vec<u32>,
    /// Where each visitor number's page views start in `views`.
    starts: Vec<u32>,
    /// Candidate page views read, bots' included.
    candidates: u32,
}

impl ByVisitor {
    /// (visitor number, page views, their virtual hosts or nothing) of
    /// each visitor with page views.
    fn iter(&self) -> impl Iterator<Item = (u32, &[WalkView], &[u32])> + '_ {
        self.starts
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w[1] > w[0])
            .map(|(n, w)| {
                let range = w[0] as usize..w[1] as usize;
                let hosts = self.vhosts.get(range.clone()).unwrap_or_default();
                (n as u32, &self.views[range], hosts)
            })
    }
}

/// The entries of a tally indexed by path id that counted something.
fn occurred<T: Copy>(tally: &[T], counted: impl Fn(&T) -> bool) -> FastMap<u32, T> {
    (0..tally.len() as u32)
        .zip(tally)
        .filter(|(_, c)| counted(c))
        .map(|(id, &c)| (id, c))
        .collect()
}

/// hashbrown's default hasher: these maps are keyed by ids and addresses
/// built here, not by log text, and SipHash showed in the profile.
type FastMap<K, V> = hashbrown::HashMap<K, V>;

/// Day and time-series bucket of each 15-minute slot that holds a hit,
/// worked out once: zone arithmetic per page view would cost more
/// than the walk itself for named zones. Days and buckets are numbered in
/// time order. Only slots that occur are kept, so a log whose clock jumps
/// by centuries costs no more than one that does not.
struct Calendar {
    /// The slots with hits, sorted, and (day number, bucket number)
    /// for each.
    slots: Vec<i64>,
    numbers: Vec<(u32, u32)>,
    bucket_starts: Vec<i64>,
    /// When the slots span at most [`Calendar::DENSE_SLOTS`] (a century
    /// of slots takes 27 MB; a year, 280 kB), the numbers of every slot
    /// from the first: an index instead of a binary search per page view.
    dense: Vec<(u32, u32)>,
}

impl Calendar {
    /// From the slots with hits, which include every page view's.
    fn new(figures: &Figures, opts: &VisitOptions<'_>) -> Calendar {
        let mut slots: Vec<i64> = figures.slots().map(|(slot, _)| slot).collect();
        slots.sort_unstable();
        slots.dedup();
        let mut day_starts: Vec<i64> = Vec::new();
        let mut bucket_starts: Vec<i64> = Vec::new();
        let numbers = slots
            .iter()
            .map(|&slot| {
                let t = slot * SLOT_SECONDS;
                let (day, bucket) = (
                    opts.zone.bucket_start(t, Bucket::Day),
                    opts.zone.bucket_start(t, opts.bucket),
                );
                if day_starts.last() != Some(&day) {
                    day_starts.push(day);
                }
                if bucket_starts.last() != Some(&bucket) {
                    bucket_starts.push(bucket);
                }
                (day_starts.len() as u32 - 1, bucket_starts.len() as u32 - 1)
            })
            .collect();
        let span = match (slots.first(), slots.last()) {
            (Some(first), Some(last)) => last.abs_diff(*first).saturating_add(1),
            _ => 0,
        };
        let mut dense = Vec::new();
        if span <= Self::DENSE_SLOTS {
            dense.reserve_exact(span as usize);
            // A slot without hits between two with hits takes the numbers
            // of the next: no page view falls in it.
            for (&slot, &n) in slots.iter().zip(&numbers) {
                dense.resize((slot - slots[0]) as usize, n);
                dense.push(n);
            }
        }
        Calendar {
            slots,
            numbers,
            bucket_starts,
            dense,
        }
    }

    const DENSE_SLOTS: u64 = 1 << 20;

    fn at(&self, time: i64) -> (u32, u32) {
        let slot = time.div_euclid(SLOT_SECONDS);
        if let Some(&first) = self.slots.first() {
            if let Some(&n) = usize::try_from(slot.wrapping_sub(first))
                .ok()
                .and_then(|i| self.dense.get(i))
            {
                return n;
            }
        }
        // Every page view's slot is in `slots`; the fallback never happens.
        let i = self
            .slots
            .binary_search(&slot)
            .unwrap_or_else(|i| i.min(self.slots.len().saturating_sub(1)));
        self.numbers.get(i).copied().unwrap_or_default()
    }
}

/// The paths a visitor viewed on one day. A person views a few: a vector
/// beats a hash set there. A scraper with a browser's user agent can view
/// tens of thousands, so past a few dozen it becomes a set, to stay linear.
#[derive(Default)]
struct SmallSet {
    few: Vec<u32>,
    many: hashbrown::HashSet<u32>,
}

impl SmallSet {
    const FEW: usize = 32;

    /// Whether `x` is new.
    fn insert(&mut self, x: u32) -> bool {
        if self.many.is_empty() {
            if self.few.contains(&x) {
                return false;
            }
            if self.few.len() < Self::FEW {
                self.few.push(x);
                return true;
            }
            self.many.extend(self.few.drain(..));
        }
        self.many.insert(x)
    }

    fn clear(&mut self) {
        self.few.clear();
        self.many.clear();
    }
}

/// Page views and distinct visitor-days of a virtual host.
#[derive(Default, Clone, Copy)]
struct HostTally {
    pageviews: u64,
    visitors: u64,
    /// The visitor-day (numbered as [`Tally::visitors`] counts them) that
    /// last counted here; 0 for none, as numbering starts at 1.
    counted_visitor_day: u64,
}

/// Counters of the walk, indexed by the ids of what they count.
#[derive(Default)]
struct Tally {
    pageviews: u64,
    visitors: u64,
    visits: u64,
    bounces: u64,
    duration_s: i64,
    /// Per path id: page views, distinct visitor-days.
    pages: Vec<(u64, u64)>,
    /// Per path id: visits landing there, and bounces.
    landing: Vec<(u64, u64)>,
    exits: Vec<u64>,
    /// Per vhost id.
    vhosts: Vec<HostTally>,
    /// Per bucket number: page views, distinct visitors.
    buckets: Vec<(u64, u64)>,
    /// Per country id: visitor-days, page views.
    countries: Vec<(u64, u64)>,
    /// Per agent index: visitor-days.
    agent_days: Vec<u64>,
    /// Per entry id (referrer, query): page views that are not the first
    /// of their visit.
    later_entries: Vec<u64>,
    /// Per entry id: visits it began.
    entry_visits: Vec<u64>,
    /// The paths of the current visitor-day, kept here so that its memory
    /// serves every visitor.
    pages_today: SmallSet,
}

/// Adds `b` into `a`, element by element.
fn add_all<T: Copy>(a: &mut [T], b: &[T], add: impl Fn(&mut T, T)) {
    for (x, &y) in a.iter_mut().zip(b) {
        add(x, y);
    }
}

fn add_pair(a: &mut (u64, u64), b: (u64, u64)) {
    a.0 += b.0;
    a.1 += b.1;
}

impl Tally {
    /// Tallies of disjoint sets of visitors, summed.
    fn merge(mut self, o: Tally) -> Tally {
        let add = |a: &mut u64, b: u64| *a += b;
        self.pageviews += o.pageviews;
        self.visitors += o.visitors;
        self.visits += o.visits;
        self.bounces += o.bounces;
        self.duration_s += o.duration_s;
        add_all(&mut self.pages, &o.pages, add_pair);
        add_all(&mut self.landing, &o.landing, add_pair);
        add_all(&mut self.exits, &o.exits, add);
        add_all(&mut self.vhosts, &o.vhosts, |a, b| {
            a.pageviews += b.pageviews;
            a.visitors += b.visitors;
        });
        add_all(&mut self.buckets, &o.buckets, add_pair);
        add_all(&mut self.countries, &o.countries, add_pair);
        add_all(&mut self.agent_days, &o.agent_days, add);
        add_all(&mut self.later_entries, &o.later_entries, add);
        add_all(&mut self.entry_visits, &o.entry_visits, add);
        self
    }

    /// One visitor's page views, in time order: visits, visitor-days, pages.
    /// `vhosts` are those of `views`, or empty for a layout without.
    fn walk_visitor(
        &mut self,
        views: &[WalkView],
        vhosts: &[u32],
        calendar: &Calendar,
        country: u32,
        agent: u32,
    ) {
        let mut day = None;
        let mut bucket = None;
        let mut pages_today = std::mem::take(&mut self.pages_today);
        let mut visit_start = 0;
        self.pageviews += views.len() as u64;
        for (i, v) in views.iter().enumerate() {
            let (this_day, this_bucket) = calendar.at(v.time);
            if day != Some(this_day) {
                day = Some(this_day);
                pages_today.clear();
                self.visitors += 1;
                self.countries[country as usize].0 += 1;
                self.agent_days[agent as usize] += 1;
            }
            let bucket_counts = &mut self.buckets[this_bucket as usize];
            bucket_counts.0 += 1;
            if bucket != Some(this_bucket) {
                bucket = Some(this_bucket);
                bucket_counts.1 += 1;
            }
            let page = &mut self.pages[v.path as usize];
            page.0 += 1;
            if pages_today.insert(v.path) {
                page.1 += 1;
            }
            if let Some(&vhost) = vhosts.get(i).filter(|&&h| h != NO_VHOST) {
                let host = &mut self.vhosts[vhost as usize];
                host.pageviews += 1;
                // `self.visitors` numbers the current (visitor, day): a
                // host counts it once, with no set of hosts per day.
                if host.counted_visitor_day != self.visitors {
                    host.counted_visitor_day = self.visitors;
                    host.visitors += 1;
                }
            }
            self.countries[country as usize].1 += 1;

            if i > visit_start && !continues_visit(views[i - 1].time, v.time) {
                self.end_visit(&views[visit_start..i]);
                visit_start = i;
            }
            if i > visit_start {
                self.later_entries[v.entry as usize] += 1;
            }
        }
        self.end_visit(&views[visit_start..]);
        self.pages_today = pages_today;
    }

    fn end_visit(&mut self, visit: &[WalkView]) {
        let (Some(first), Some(last)) = (visit.first(), visit.last()) else {
            return;
        };
        let bounce = visit.len() == 1;
        self.visits += 1;
        self.bounces += bounce as u64;
        self.duration_s += last.time - first.time;
        let landing = &mut self.landing[first.path as usize];
        landing.0 += 1;
        landing.1 += bounce as u64;
        self.exits[last.path as usize] += 1;
        self.entry_visits[first.entry as usize] += 1;
    }
}

/// Own hosts (SPEC §4), then the referrer, channel, search term and
/// campaign of every visit, from its entry page view. Each distinct entry
/// (referrer, landing query) is worked out once.
fn attribute_sources(
    figures: &Figures,
    opts: &VisitOptions<'_>,
    entries: &[((u32, u32), u64)],
    later_referrers: &[u64],
    out: &mut VisitFigures,
) -> Vec<EntrySource> {
    let referrer_text = |id: u32| {
        Quoted {
            raw: figures.referrers.key(id),
        }
        .text()
    };
    // The host of every referrer that matters here, parsed once, in
    // parallel: those of later page views and of visit entries. Hosts are
    // numbered, and what follows counts by number: there are about as many
    // entries as referrers (50,000 on the generated 1 GB log), and a host
    // name copied per entry cost more than the rest of the work.
    let mut wanted: Vec<u32> = later_referrers
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .map(|(id, _)| id as u32)
        .collect();
    wanted.extend(entries.iter().map(|&((referrer, _), _)| referrer));
    wanted.sort_unstable();
    wanted.dedup();
    let parsed: Vec<Option<String>> = wanted
        .par_iter()
        .map(|&id| sources::referrer_host(&referrer_text(id)))
        .collect();
    const NO_HOST: u32 = u32::MAX;
    let mut host_of = vec![NO_HOST; figures.referrers.len()];
    let mut hosts: Vec<String> = Vec::new();
    let mut host_ids: FastMap<String, u32> = FastMap::default();
    for (&referrer, host) in wanted.iter().zip(parsed) {
        if let Some(host) = host {
            host_of[referrer as usize] = *host_ids.entry(host).or_insert_with_key(|host| {
                hosts.push(host.clone());
                hosts.len() as u32 - 1
            });
        }
    }
    drop(host_ids);

    let (own, from) = if !opts.sites.is_empty() {
        (
            opts.sites
                .iter()
                .map(|s| sources::normalize_host(s))
                .collect(),
            OwnHostsFrom::Site,
        )
    } else if !figures.vhosts.is_empty() {
        let vhosts = figures
            .vhosts
            .iter()
            .map(|(v, _)| sources::normalize_host(&String::from_utf8_lossy(v)));
        (vhosts.collect(), OwnHostsFrom::Vhost)
    } else {
        let mut counts = vec![0u64; hosts.len()];
        for (referrer, &n) in later_referrers.iter().enumerate() {
            let host = host_of[referrer];
            if n > 0 && host != NO_HOST {
                counts[host as usize] += n;
            }
        }
        let counted = (hosts.iter().zip(counts)).filter(|&(_, n)| n > 0);
        match sources::majority_host(counted.map(|(h, n)| (h.as_str(), n))) {
            Some(host) => (vec![host], OwnHostsFrom::Referrers),
            None => (Vec::new(), OwnHostsFrom::None),
        }
    };
    let mut own: Vec<String> = own;
    own.sort();
    own.dedup();
    let external: Vec<bool> = hosts
        .iter()
        .map(|h| own.binary_search(h).is_err())
        .collect();

    // Each entry's channel, search term and campaign, in parallel; then
    // summed in one pass.
    let sourced: Vec<EntrySource> = entries
        .par_iter()
        .map(|&((referrer, query), _)| {
            let host = host_of[referrer as usize];
            let external = (host != NO_HOST && external[host as usize]).then_some(host);
            let external_name = external.map(|h| hosts[h as usize].as_str());
            let query_text = figures.queries.key(query);
            let landing_query = (!query_text.is_empty()).then_some(query_text);
            let channel = sources::channel(landing_query, external_name);
            let term = match external_name {
                Some(name) if channel == Channel::Search => {
                    sources::search_term(&referrer_text(referrer), name)
                }
                _ => None,
            };
            EntrySource {
                external,
                channel,
                term,
                campaign: sources::campaign(landing_query),
            }
        })
        .collect();
    let mut referrer_visits = vec![0u64; hosts.len()];
    for (&(_, visits), source) in entries.iter().zip(&sourced) {
        *out.channels.entry(source.channel).or_default() += visits;
        if let Some(host) = source.external {
            referrer_visits[host as usize] += visits;
        }
        // A key is copied once per distinct term or campaign.
        if let Some(term) = &source.term {
            match out.search_terms.get_mut(term) {
                Some(n) => *n += visits,
                None => drop(out.search_terms.insert(term.clone(), visits)),
            }
        }
        if let Some(campaign) = &source.campaign {
            match out.campaigns.get_mut(campaign) {
                Some(n) => *n += visits,
                None => drop(out.campaigns.insert(campaign.clone(), visits)),
            }
        }
    }
    for (host, visits) in hosts.into_iter().zip(referrer_visits) {
        if visits > 0 {
            out.referrers.insert(host, visits);
        }
    }
    out.own_hosts = own;
    out.own_hosts_from = from;
    sourced
}

/// Where the visits of one entry (referrer, landing query) came from.
#[derive(Debug)]
pub struct EntrySource {
    /// The referrer's host number, when it is external.
    external: Option<u32>,
    pub channel: Channel,
    pub term: Option<String>,
    pub campaign: Option<(String, String, String)>,
}

/// Candidate page views are recorded by the scan; this is how a test
/// builds them: `seq` is the chunk, which orders views of equal time.
#[cfg(test)]
#[allow(clippy::too_many_arguments)]
fn candidate(
    figures: &mut Figures,
    time: i64,
    seq: u64,
    client: &[u8],
    agent: &[u8],
    path: &[u8],
    referrer: &[u8],
    query: &[u8],
) {
    figures.add_view(time, seq as u32, client, agent, path, referrer, query);
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIREFOX: &[u8] =
        b"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";
    const T0: i64 = 1_714_550_400; // 2024-05-01T08:00:00Z

    fn run(figures: &Figures) -> VisitFigures {
        let zone = ReportZone::UTC;
        let opts = VisitOptions {
            zone: &zone,
            bucket: Bucket::Hour,
            sites: &[],
            geo: None,
            observer: None,
        };
        let mut figures = figures.clone();
        let views = std::mem::take(&mut figures.views);
        compute(&figures, views, &opts)
    }

    fn path_id(f: &Figures, p: &[u8]) -> u32 {
        (0..f.paths.len() as u32)
            .find(|&i| f.paths.key(i) == p)
            .unwrap()
    }

    #[test]
    fn a_gap_of_1800_s_continues_a_visit_and_1801_ends_it() {
        let mut f = Figures::default();
        candidate(&mut f, T0, 1, b"1.1.1.1", FIREFOX, b"/a", b"-", b"");
        candidate(&mut f, T0 + 1800, 2, b"1.1.1.1", FIREFOX, b"/b", b"-", b"");
        candidate(&mut f, T0 + 3601, 3, b"1.1.1.1", FIREFOX, b"/c", b"-", b"");
        let v = run(&f);
        assert_eq!(
            (v.pageviews, v.visits, v.bounces, v.duration_s),
            (3, 2, 1, 1800)
        );
        assert_eq!(v.landing[&path_id(&f, b"/a")], (1, 0));
        assert_eq!(v.landing[&path_id(&f, b"/c")], (1, 1));
        assert_eq!(v.exits[&path_id(&f, b"/b")], 1);
        assert_eq!(v.visitors, 1);
    }

    #[test]
    fn days_and_buckets_are_the_same_whether_slots_are_indexed_or_searched() {
        // Spans of a day and of 40 years: the second is past what the
        // calendar indexes, and is binary-searched instead.
        for span in [86_400, 40 * 365 * 86_400] {
            let mut f = Figures::default();
            let times = [T0, T0 + 600, T0 + 3600, T0 + span, T0 + span + 3601];
            for (chunk, &t) in times.iter().enumerate() {
                candidate(
                    &mut f,
                    t,
                    chunk as u64,
                    b"1.1.1.1",
                    FIREFOX,
                    b"/a",
                    b"-",
                    b"",
                );
            }
            let zone = ReportZone::UTC;
            let opts = VisitOptions {
                zone: &zone,
                bucket: Bucket::Hour,
                sites: &[],
                geo: None,
                observer: None,
            };
            let calendar = Calendar::new(&f, &opts);
            assert_eq!(calendar.dense.is_empty(), span > 86_400, "span {span}");
            // Days 0, 0, 0, 1, 1; hours 0, 0, 1, 2, 3.
            let numbers: Vec<(u32, u32)> = times.iter().map(|&t| calendar.at(t)).collect();
            assert_eq!(
                numbers,
                vec![(0, 0), (0, 0), (0, 1), (1, 2), (1, 3)],
                "span {span}"
            );
            let v = run(&f);
            assert_eq!((v.visitors, v.visits), (2, 4), "span {span}");
        }
    }

    #[test]
    fn order_of_recording_does_not_matter_and_ties_keep_input_order() {
        // Recorded out of time order; two views share a second: the one
        // earlier in the input is the landing page.
        let mut f = Figures::default();
        candidate(&mut f, T0 + 60, 9, b"1.1.1.1", FIREFOX, b"/late", b"-", b"");
        candidate(&mut f, T0, 5, b"1.1.1.1", FIREFOX, b"/second", b"-", b"");
        candidate(&mut f, T0, 4, b"1.1.1.1", FIREFOX, b"/first", b"-", b"");
        let v = run(&f);
        assert_eq!(v.visits, 1);
        assert_eq!(
            v.landing.keys().copied().collect::<Vec<_>>(),
            vec![path_id(&f, b"/first")]
        );
        assert_eq!(
            v.exits.keys().copied().collect::<Vec<_>>(),
            vec![path_id(&f, b"/late")]
        );
    }

    #[test]
    fn a_visit_across_midnight_is_one_visit_and_two_visitor_days() {
        let mut f = Figures::default();
        let midnight = T0 + 16 * 3600; // 2024-05-02T00:00:00Z
        candidate(
            &mut f,
            midnight - 600,
            1,
            b"1.1.1.1",
            FIREFOX,
            b"/a",
            b"-",
            b"",
        );
        candidate(
            &mut f,
            midnight + 600,
            2,
            b"1.1.1.1",
            FIREFOX,
            b"/a",
            b"-",
            b"",
        );
        let v = run(&f);
        assert_eq!(
            (v.visits, v.visitors, v.bounces, v.duration_s),
            (1, 2, 0, 1200)
        );
        // The page was seen by the visitor on two days: two visitor-days.
        assert_eq!(v.pages[&path_id(&f, b"/a")], (2, 2));
    }

    #[test]
    fn bots_are_no_visitors_but_their_hits_are_counted() {
        let mut f = Figures::default();
        candidate(&mut f, T0, 1, b"1.1.1.1", b"curl/8.5.0", b"/a", b"-", b"");
        f.agents.get_or_default(b"curl/8.5.0").hits += 3;
        candidate(&mut f, T0, 2, b"2.2.2.2", FIREFOX, b"/a", b"-", b"");
        let v = run(&f);
        assert_eq!((v.pageviews, v.visitors, v.visits), (1, 1, 1));
        assert_eq!(v.bot_hits, 3);
        assert_eq!(v.bots["curl"], 3);
    }

    #[test]
    fn a_visitor_with_many_pages_a_day_counts_each_once() {
        let mut f = Figures::default();
        for i in 0..200u64 {
            let path = format!("/p/{}", i % 50);
            candidate(
                &mut f,
                T0 + i as i64,
                i,
                b"1.1.1.1",
                FIREFOX,
                path.as_bytes(),
                b"-",
                b"",
            );
        }
        let v = run(&f);
        assert_eq!((v.pageviews, v.visits, v.visitors), (200, 1, 1));
        assert_eq!(v.pages.len(), 50);
        assert!(v
            .pages
            .values()
            .all(|&(views, visitors)| (views, visitors) == (4, 1)));
    }

    const DAY: i64 = 24 * 3600;

    /// Figures with the virtual hosts a.example and b.example, and their
    /// ids.
    fn two_vhosts() -> (Figures, u32, u32) {
        let mut f = Figures::default();
        let a = f.vhosts.intern(b"a.example").0;
        let b = f.vhosts.intern(b"b.example").0;
        (f, a, b)
    }

    /// Records (time, client, vhost) page views of `/` by Firefox, each
    /// a chunk of its own, in the order given.
    fn record_on_vhosts(f: &mut Figures, views: &[(i64, &[u8; 7], u32)]) {
        for (seq, &(time, client, vhost)) in views.iter().enumerate() {
            candidate(f, time, seq as u64, client, FIREFOX, b"/", b"-", b"");
            let segment = f.views.parts.iter_mut().flatten();
            let mut segment = segment.filter(|s| s.chunk == seq as u32);
            segment.next().unwrap().set_vhost(0, vhost);
        }
    }

    #[test]
    fn page_views_and_visitor_days_per_virtual_host() {
        let (mut f, a, b) = two_vhosts();
        // Visitor 1: two views on a and one on b on the first day, one on
        // a the next day. Visitor 2: one view on b on the first day.
        record_on_vhosts(
            &mut f,
            &[
                (T0, b"1.1.1.1", a),
                (T0 + 10, b"1.1.1.1", a),
                (T0 + 20, b"1.1.1.1", b),
                (T0 + DAY, b"1.1.1.1", a),
                (T0 + 30, b"2.2.2.2", b),
            ],
        );
        let v = run(&f);
        // a: 3 views, visitor-days (1, day 1) and (1, day 2); b: 2 views,
        // visitor-days (1, day 1) and (2, day 1).
        assert_eq!(v.vhosts[&a], (3, 2));
        assert_eq!(v.vhosts[&b], (2, 2));
        assert_eq!(v.visitors, 3);
    }

    #[test]
    fn virtual_hosts_follow_their_page_views_when_those_are_put_in_time_order() {
        let (mut f, a, b) = two_vhosts();
        // Recorded out of time order: sorted, b's two views are on the
        // first day and a's on the second. Were the hosts left in input
        // order, b would have a view on each day: two visitor-days.
        let client = b"1.1.1.1";
        record_on_vhosts(
            &mut f,
            &[(T0 + DAY, client, a), (T0, client, b), (T0 + 10, client, b)],
        );
        let v = run(&f);
        assert_eq!(v.vhosts[&a], (1, 1));
        assert_eq!(v.vhosts[&b], (2, 1));
    }

    #[test]
    fn small_set_switches_to_a_set_and_stays_exact() {
        let mut s = SmallSet::default();
        for round in 0..2 {
            for x in 0..100 {
                assert_eq!(s.insert(x), round == 0, "{x}");
            }
        }
        s.clear();
        assert!(s.insert(7));
    }

    #[test]
    fn spellings_of_one_address_are_one_visitor() {
        let mut f = Figures::default();
        candidate(
            &mut f,
            T0,
            1,
            b"2a03:0000:10ff::1, 10.0.0.1",
            FIREFOX,
            b"/a",
            b"-",
            b"",
        );
        candidate(
            &mut f,
            T0 + 10,
            2,
            b"2a03:0:10ff::1",
            FIREFOX,
            b"/b",
            b"-",
            b"",
        );
        let v = run(&f);
        assert_eq!((v.visitors, v.visits, v.bounces), (1, 1, 0));
    }

    #[test]
    fn sources_of_visits() {
        let mut f = Figures::default();
        // Visit 1: from Google search, then an internal click.
        candidate(
            &mut f,
            T0,
            1,
            b"1.1.1.1",
            FIREFOX,
            b"/",
            b"https://www.google.com/search?q=Log+Stats",
            b"",
        );
        candidate(
            &mut f,
            T0 + 5,
            2,
            b"1.1.1.1",
            FIREFOX,
            b"/b",
            b"https://example.com/",
            b"",
        );
        // Visit 2: a newsletter campaign with a referrer from the site itself.
        candidate(
            &mut f,
            T0,
            3,
            b"2.2.2.2",
            FIREFOX,
            b"/",
            b"https://example.com/x",
            b"utm_source=nl&utm_medium=email&utm_campaign=may",
        );
        candidate(
            &mut f,
            T0 + 9,
            4,
            b"2.2.2.2",
            FIREFOX,
            b"/c",
            b"https://example.com/",
            b"",
        );
        // Visit 3: direct.
        candidate(&mut f, T0, 5, b"3.3.3.3", FIREFOX, b"/", b"-", b"");
        let v = run(&f);
        // example.com referred both later page views: it is the own host.
        assert_eq!(
            (v.own_hosts.clone(), v.own_hosts_from),
            (vec!["example.com".to_string()], OwnHostsFrom::Referrers)
        );
        assert_eq!(v.channels[&Channel::Search], 1);
        assert_eq!(v.channels[&Channel::Email], 1);
        assert_eq!(v.channels[&Channel::Direct], 1);
        assert_eq!(v.referrers.len(), 1);
        assert_eq!(v.referrers["google.com"], 1);
        assert_eq!(v.search_terms["log stats"], 1);
        assert_eq!(v.campaigns[&("nl".into(), "email".into(), "may".into())], 1);
    }
}
