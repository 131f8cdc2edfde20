//! The state itself: everything a state holds, its settings, cursors,
//! days and open visits, and what is done to it as a whole (dropping old
//! days). How it is read and written is [`file`](super::file)'s part.

use serde::{Deserialize, Serialize};

use crate::enrich::zone::ReportZone;

use super::cursor::Cursor;
use super::day_map::DayMap;
use super::metrics;
use super::model::OpenVisitor;
use super::settings::Settings;

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

    /// Checks what was read.
    pub(super) fn after_load(&mut self) -> Result<(), String> {
        if let Some(zone) = &self.zone {
            ReportZone::parse(zone)?;
        }
        self.days.read_unsummed()?;
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
