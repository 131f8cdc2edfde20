//! A saved state (`logstats report FILES --state PATH`): the figures of
//! every line read so far, kept between runs, so that each run reads only
//! what was added to its inputs and still reports on everything, exactly
//! as one run over all those lines would (byte-identical JSON but for
//! `inputs`, and, after a rotation, the name of the file a malformed
//! sample was found in: the name it had when it was read).
//!
//! # What is kept, and why it is exact
//!
//! Everything is kept **per day of the report zone** (the zone is decided
//! on the first run and stored), so `--keep-days N` drops whole days:
//!
//! - **Hit-level figures are sums**, and sums of disjoint sets of lines
//!   add up to the figures of their union: traffic per 15-minute slot,
//!   hits per status, method, path (with bytes, 404s, 5xx and the
//!   mergeable latency histogram of [`crate::aggregate::latency`], so percentiles
//!   merge exactly as across threads), static hits, hits per bot name
//!   (agents are classified as lines are absorbed), per virtual host,
//!   and, with `--clients`, per client as the table shows it.
//! - **Visitor-level figures need distinct (visitor, day) pairs**, and a
//!   day's pairs are kept as a set: each visitor of the day (a 128-bit
//!   SipHash, keyed by a random key of the state, of the client address,
//!   or of the client field when it holds none, and the user agent: no
//!   address is stored), its country and device/browser/OS (looked up as
//!   it is absorbed), the hours it viewed pages in and its page views,
//!   and the distinct (path, visitor) and (vhost, visitor) pairs with
//!   their page views. Visitors, page visitors, host visitors, hourly or
//!   daily visitors, countries and devices are then counts of these sets,
//!   whatever run each page view came in. The addresses of the day's
//!   clients are kept as keyed hashes too, so that an address inside a
//!   path or referrer is still recognised and anonymised.
//! - **Visits** need a visitor's page views in time order. A visit is
//!   closed once no later page view can touch it: with `newest` the
//!   latest time of any line absorbed, the next lines are expected at
//!   `newest - 30 min` or later (30 minutes of disorder, as servers that
//!   log at the end of a request produce), and a page view at t reaches a
//!   visit only if the visit's last view is at t - 30 min or later; so
//!   visits whose last view is before `newest - 60 min` are closed. A
//!   closed visit is folded into the sums of the day it began: visits,
//!   bounces, duration, landing and exit path, its entry (referrer as
//!   logged and landing query) and, per referrer host, its page views
//!   after the first. Visits still open keep their page views (time,
//!   path, referrer, query), and are walked with the next run's; but the
//!   views in the middle of a long open visit that are older than
//!   `newest - 60 min` can no longer move its start, end or breaks, and
//!   are folded into its first view (a count, the time of the last, and
//!   their referrer hosts): a visit that never pauses keeps about its
//!   first and last hour of page views, not all of them.
//! - **Languages** (SPEC §5): the day's (language, visitor) pairs, and
//!   which visitors had a page view of a layout without the header (an
//!   unknown language once some page view had one).
//! - **Server errors and goal hits** belong to visits without being page
//!   views: see [`marks`]. The day keeps the 5xx cells incidents are
//!   named from, the (visitor, slot) pairs and the slots of each closed
//!   visit's 5xx (incidents are found when the report is built), goal
//!   hits and goal visitors, and each closed visit's conversions and
//!   funnel steps; open visits carry their visitor's marked hits.
//! - **Sources** depend on the site's own hosts, which may be inferred
//!   from the whole log (SPEC §4): entries are kept as text with their
//!   visit counts and page views, and the counts of later page views per
//!   referrer host, so that channels, referrers, search terms, campaigns
//!   and page views by referrer and by channel are worked out when the
//!   report is built, from the own hosts of everything kept.
//!
//! **Late lines.** A page view older than `newest - 30 min` at the end of
//! the previous run is counted in every hit-level figure and in its day's
//! visitor sets like any other, and walked with its visitor's open page
//! views; but visits the state has closed are never reopened, so where
//! one run over all lines would have joined it to a closed visit, it
//! starts a visit of its own (or joins an open one within 30 minutes).
//! A late server error or goal hit joins an open visit whose span holds
//! it, or none.
//!
//! **Ties.** Page views of one visitor at the same second keep input
//! order: earlier runs first, and within a run, inputs continued from an
//! earlier run first (older content), then new inputs as named.
//!
//! **Days dropped** by `--keep-days N` (the last N days up to the day of
//! `newest`) take all their figures with them, and the visits that began
//! on them.
//!
//! # Inputs
//!
//! See [`cursor`]: inputs are recognised by a fingerprint of their first
//! bytes; each has a cursor (bytes counted, whether a compressed one was
//! read to its end). Renamed: continues; renamed and compressed: skipped
//! once read to its end (read from the cursor otherwise); a new file, or
//! one truncated in place (copytruncate) and written anew: new. A cursor
//! whose file is gone or replaced before its end was read gives a
//! warning naming it and the bytes never read. A last line without its
//! newline is left for the next run.
//!
//! Layouts: a continued input keeps the layout it was read with. A new
//! input is detected (or takes `--log-format`) as in one run, but once the
//! state has counted lines, a given layout is not checked again against
//! a new file's first lines, and a new file whose first lines fit no
//! layout (a rotated log may start with one malformed line) takes the
//! layout of the input read last, instead of stopping the run.
//!
//! # Safety
//!
//! See [`file`]: versioned, checksummed, written atomically, locked.
//! The settings that change figures are stored ([`settings`]); a run with
//! other ones is refused.
//!
//! # Library use
//!
//! [`run`] is the whole `report --state` run. Its steps are public for
//! other commands that keep a state: [`follow`] (lock and load, find each
//! input's cursor, move it on), [`State::absorb`], [`State::save`],
//! [`State::report`]. `logstats check --state` follows its inputs the same
//! way and keeps a state of its own (see [`crate::check`]).

pub mod absorb;
pub mod build;
pub mod cursor;
pub mod day_counts;
pub mod day_map;
pub mod days;
pub mod file;
pub mod follow;
pub mod marks;
pub mod metrics;
pub mod model;
pub mod referrers;
pub mod run;
pub mod settings;
pub mod show;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::enrich::zone::ReportZone;
use crate::error::Error;

pub use run::{run, StateOptions};

use cursor::Cursor;
use day_map::DayMap;
use model::OpenVisitor;
use settings::Settings;

/// A malformed line kept as a sample, where it was found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedSample {
    pub path: String,
    pub line: u64,
    pub text: Vec<u8>,
}

/// Everything a state holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct State {
    pub settings: Settings,
    /// The key of every hash the state keeps (visitors, client addresses,
    /// fingerprints), random per state.
    pub key: [u64; 2],
    /// The report zone, once decided.
    pub zone: Option<String>,
    pub cursors: Vec<Cursor>,
    pub next_cursor: u64,
    /// The latest time of a kept line.
    pub newest: Option<i64>,
    /// Days before this one were dropped (`--keep-days`).
    pub first_kept_day: Option<i64>,
    pub days: DayMap,
    pub open: Vec<OpenVisitor>,
    /// Whether an input's layout logs `Accept-Language` (the report then
    /// has a `languages` section, SPEC §5).
    pub logs_languages: bool,
    /// The first malformed lines ever read.
    pub samples: Vec<SavedSample>,
    /// Runs that saved this state.
    pub runs: u64,
    /// Unix time of the first and the last run.
    pub created: i64,
    pub updated: i64,
    /// The series of `--format prometheus`, once a run wrote them.
    pub metrics: metrics::MetricTotals,
}

impl State {
    pub fn new(settings: Settings, now: i64) -> State {
        State {
            settings,
            key: random_key(),
            zone: None,
            cursors: Vec::new(),
            next_cursor: 0,
            newest: None,
            first_kept_day: None,
            days: DayMap::default(),
            open: Vec::new(),
            logs_languages: false,
            samples: Vec::new(),
            runs: 0,
            created: now,
            updated: now,
            metrics: Default::default(),
        }
    }

    /// Reads the state at `path`; `None` if there is none yet.
    pub fn load(path: &Path) -> Result<Option<State>, Error> {
        file::load(path)
    }

    /// Writes the state to `path` atomically; returns its size.
    pub fn save(&self, path: &Path) -> Result<u64, Error> {
        file::save(path, self)
    }

    /// Checks what was read.
    fn after_load(&mut self) -> Result<(), String> {
        if let Some(zone) = &self.zone {
            ReportZone::parse(zone)?;
        }
        for day in self.days.values() {
            day.check()?;
            if !day
                .paths
                .iter()
                .all(|(_, p)| p.latency.as_ref().is_none_or(|l| l.is_consistent()))
            {
                return Err("a response-time histogram does not add up".into());
            }
        }
        Ok(())
    }

    /// The stored report zone.
    pub fn report_zone(&self) -> Option<ReportZone> {
        self.zone.as_deref().and_then(|z| ReportZone::parse(z).ok())
    }

    /// Drops the days before the last `keep` (counted back from the day of
    /// the newest line), and what began on them.
    pub fn keep_days(&mut self, keep: u32) {
        let Some(first) = self.first_day_to_keep(keep) else {
            return;
        };
        self.days.drop_before(first);
        self.first_kept_day = Some(self.first_kept_day.map_or(first, |k| k.max(first)));
    }

    /// The start of the first of the last `keep` days, counted back from
    /// the day of the newest line.
    pub fn first_day_to_keep(&self, keep: u32) -> Option<i64> {
        let (newest, zone) = (self.newest?, self.report_zone()?);
        use crate::enrich::zone::Bucket;
        let mut first = zone.bucket_start(newest, Bucket::Day);
        for _ in 1..keep.max(1) {
            first = zone.bucket_start(first - 1, Bucket::Day);
        }
        Some(first)
    }
}

/// A random key, from the standard library's per-process random hasher
/// keys and the clock.
fn random_key() -> [u64; 2] {
    use std::hash::{BuildHasher, Hasher};
    let mut out = [0u64; 2];
    for (i, k) in out.iter_mut().enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.write_u32(std::process::id());
        *k = h.finish();
    }
    out
}
