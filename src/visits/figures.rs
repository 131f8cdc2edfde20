//! What the visit computation takes and gives: its options, and the
//! visit-level figures the report is built from.

use std::collections::HashMap;
use std::net::IpAddr;

use super::goal_walk::GoalFigures;
use super::marks::{MarkTally, Spans};
use super::metrics::VisitMetrics;
use super::observer::{Enrichment, WalkObserver};
use crate::enrich::geoip::GeoDb;
use crate::enrich::sources::Channel;
use crate::enrich::zone::{Bucket, ReportZone};
use crate::goals::GoalSet;

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
    /// Stretches of time whose server errors are counted apart: the
    /// report's incidents.
    pub incidents: Spans,
    /// Count what `--format prometheus` needs beyond the tables.
    pub metrics: bool,
    /// Goals and funnels, when some are given.
    pub goals: Option<&'a GoalSet>,
    /// The report's tallies of the walk: page views, visitors, bounces
    /// and durations, per page, landing page, exit, host, bucket,
    /// country, device and language. Without them (an export, which
    /// writes each hit's visit instead), the walk only counts the visits
    /// each entry began and the later page views it led to, which the
    /// entries' channels are worked out from.
    pub tallies: bool,
    /// Shown every partition's page views in visit order, and then given
    /// what the walk worked out per agent, client and entry
    /// ([`VisitFigures::enrichment`]): for `logstats export`, which writes
    /// them on every hit. `None` costs nothing.
    pub observer: Option<&'a dyn WalkObserver>,
}

/// Visit-level figures, keyed by ids of the [`Figures`](crate::aggregate::Figures) they came from
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
    /// Per preferred language: visitors (visitor-days), for layouts that
    /// log `Accept-Language`.
    pub languages: HashMap<String, u64>,
    pub bots: HashMap<String, u64>,
    /// The hosts counted as the site's own, and which rule gave them.
    pub own_hosts: Vec<String>,
    pub own_hosts_from: OwnHostsFrom,
    /// Per client id of the figures: its address, if it has one.
    pub client_ips: Vec<Option<IpAddr>>,
    /// Visits holding marked hits (server errors), and the visits and
    /// visitors each incident reached.
    pub marked: MarkTally,
    /// Distinct client addresses the GeoIP database failed to look up.
    pub geoip_lookup_errors: u64,
    /// What `--format prometheus` needs beyond the tables; `None` unless
    /// [`VisitOptions::metrics`] asked for it.
    pub metrics: Option<Box<VisitMetrics>>,
    /// Goals and funnels, when some were given.
    pub goals: Option<GoalFigures>,
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

/// hashbrown's default hasher: these maps are keyed by ids and addresses
/// built here, not by log text, and SipHash showed in the profile.
pub(super) type FastMap<K, V> = hashbrown::HashMap<K, V>;
