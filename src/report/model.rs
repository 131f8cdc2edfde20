//! The report as renderers read it: every table, sorted and cut, in the
//! shape of the JSON document (SPEC §6, docs/report.schema.json).

use serde::Serialize;

use super::goal_rows::{FunnelRow, GoalChannelRow, GoalRow};
use super::incidents::IncidentRow;
use super::metrics::Metrics;
use crate::enrich::zone::{Bucket, ReportZone};
pub use crate::scan::Counts;
pub use crate::visits::OwnHostsFrom;

pub const SCHEMA: &str = "logstats.report/1";

#[derive(Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub version: &'static str,
    pub inputs: Vec<InputRow>,
    pub malformed_samples: Vec<MalformedSample>,
    pub period: Period,
    pub summary: Summary,
    pub timeseries: Timeseries,
    /// Stretches of time with a 5xx rate well above the normal level.
    pub incidents: Vec<IncidentRow>,
    pub pages: Vec<PageRow>,
    /// Per virtual host, for layouts that log one; empty otherwise.
    pub vhosts: Vec<VhostRow>,
    pub landing_pages: Vec<LandingRow>,
    pub exit_pages: Vec<ExitRow>,
    pub referrers: Vec<ReferrerRow>,
    pub channels: Vec<ChannelRow>,
    pub search_terms: Vec<TermRow>,
    pub campaigns: Vec<CampaignRow>,
    pub countries: Vec<CountryRow>,
    /// The GeoIP database countries were looked up in, or null.
    pub geoip: Option<GeoipInfo>,
    pub devices: Vec<NameVisitors>,
    pub browsers: Vec<NameVisitors>,
    pub os: Vec<NameVisitors>,
    /// Only when a layout of the run logs `Accept-Language` (SPEC §5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub languages: Option<Vec<LanguageRow>>,
    pub bots: Vec<BotRow>,
    /// Hits per client, addresses anonymised unless `--show-ips`.
    pub clients: Vec<ClientRow>,
    pub status_codes: Vec<StatusRow>,
    pub methods: Vec<MethodRow>,
    pub not_found: Vec<PathHits>,
    pub server_errors: Vec<PathHits>,
    pub routes: Vec<RouteRow>,
    /// Null when no kept hit had a time (no predefined layout logs one).
    pub response_time: Option<ResponseTime>,
    /// SPEC §7, only when goals or funnels are given; never cut by --top.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goals: Option<Vec<GoalRow>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goal_channels: Option<Vec<GoalChannelRow>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funnels: Option<Vec<FunnelRow>>,
    /// The zone days, hours and times are given in.
    #[serde(skip)]
    pub zone: ReportZone,
    /// The hosts counted as the site's own, and from which rule.
    #[serde(skip)]
    pub own_hosts: (Vec<String>, OwnHostsFrom),
    /// The figures of `--format prometheus`, when they were asked for: no
    /// part of the report's other formats.
    #[serde(skip)]
    pub metrics: Option<Box<Metrics>>,
}

#[derive(Debug, Serialize)]
pub struct InputRow {
    pub path: String,
    pub format: &'static str,
    /// Bytes of log text read (after decompression for gzip input).
    pub bytes: u64,
    #[serde(flatten)]
    pub counts: Counts,
    /// With `--state`: what the state knew of the input before this run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<InputState>,
}

/// What the state knew of an input, in the report's `inputs`.
#[derive(Debug, Clone, Serialize)]
pub struct InputState {
    /// `new`, `continued` (read from where an earlier run stopped) or
    /// `finished` (a compressed input read to its end before: skipped).
    pub cursor: &'static str,
    /// The name it had when it was first counted.
    pub first_seen_as: String,
    /// Log text counted before this run: bytes and lines.
    pub counted_before: Counted,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Counted {
    pub bytes: u64,
    pub lines: u64,
}

#[derive(Debug, Serialize)]
pub struct MalformedSample {
    pub path: String,
    pub line: u64,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct Period {
    pub first: Option<String>,
    pub last: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub hits: u64,
    pub pageviews: u64,
    pub visitors: u64,
    pub visits: u64,
    pub bounces: u64,
    pub bounce_rate: f64,
    pub avg_visit_duration_s: f64,
    pub bytes: u64,
    pub bot_hits: u64,
    pub static_hits: u64,
    pub status_4xx: u64,
    pub status_5xx: u64,
    pub error_rate_4xx: f64,
    pub error_rate_5xx: f64,
    /// Visits holding a 5xx hit (SPEC §7's rule for hits that are not
    /// page views), and their share of all visits.
    pub visits_with_errors: u64,
    pub visits_with_errors_rate: f64,
}

#[derive(Debug, Serialize)]
pub struct Timeseries {
    pub bucket: Bucket,
    pub rows: Vec<TimeRow>,
}

#[derive(Debug, Serialize)]
pub struct TimeRow {
    pub start: String,
    pub hits: u64,
    pub pageviews: u64,
    pub visitors: u64,
    pub bytes: u64,
    /// Hits of status 2xx and 3xx, for charts (the HTML report); not part
    /// of the JSON contract, nor of the tables and CSV.
    #[serde(skip)]
    pub status_2xx: u64,
    #[serde(skip)]
    pub status_3xx: u64,
    pub status_4xx: u64,
    pub status_5xx: u64,
}

#[derive(Debug, Serialize)]
pub struct PageRow {
    pub path: String,
    pub pageviews: u64,
    pub visitors: u64,
}

#[derive(Debug, Serialize)]
pub struct VhostRow {
    pub host: String,
    /// Every kept hit on the host, bots and static files included.
    pub hits: u64,
    pub pageviews: u64,
    pub visitors: u64,
}

#[derive(Debug, Serialize)]
pub struct LandingRow {
    pub path: String,
    pub visits: u64,
    pub bounces: u64,
    pub bounce_rate: f64,
}

#[derive(Debug, Serialize)]
pub struct ExitRow {
    pub path: String,
    pub visits: u64,
}

#[derive(Debug, Serialize)]
pub struct ReferrerRow {
    pub host: String,
    pub visits: u64,
}

#[derive(Debug, Serialize)]
pub struct ChannelRow {
    pub channel: &'static str,
    pub visits: u64,
}

#[derive(Debug, Serialize)]
pub struct TermRow {
    pub term: String,
    pub visits: u64,
}

#[derive(Debug, Serialize)]
pub struct CampaignRow {
    pub source: String,
    pub medium: String,
    pub campaign: String,
    pub visits: u64,
}

#[derive(Debug, Serialize)]
pub struct CountryRow {
    pub country: String,
    pub visitors: u64,
    pub pageviews: u64,
}

#[derive(Debug, Serialize)]
pub struct GeoipInfo {
    pub database: String,
    /// Distinct client addresses whose lookup failed because the database
    /// is damaged there (they count as `unknown`).
    pub lookup_errors: u64,
}

#[derive(Debug, Serialize)]
pub struct NameVisitors {
    pub name: String,
    pub visitors: u64,
}

#[derive(Debug, Serialize)]
pub struct LanguageRow {
    pub language: String,
    pub visitors: u64,
}

#[derive(Debug, Serialize)]
pub struct BotRow {
    pub name: String,
    pub hits: u64,
}

#[derive(Debug, Serialize)]
pub struct ClientRow {
    pub client: String,
    pub hits: u64,
}

#[derive(Debug, Serialize)]
pub struct StatusRow {
    pub status: u16,
    pub hits: u64,
}

#[derive(Debug, Serialize)]
pub struct MethodRow {
    pub method: String,
    pub hits: u64,
}

#[derive(Debug, Serialize)]
pub struct PathHits {
    pub path: String,
    pub hits: u64,
}

#[derive(Debug, Serialize)]
pub struct RouteRow {
    pub route: String,
    pub hits: u64,
    pub status_5xx: u64,
    pub bytes: u64,
    /// Null when none of the route's hits had a time.
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

/// Nearest-rank percentiles of every kept hit's time (SPEC §6), in ms.
#[derive(Debug, Serialize)]
pub struct ResponseTime {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}
