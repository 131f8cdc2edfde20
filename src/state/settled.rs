//! The settled days of a state and their saved sums.
//!
//! A run that finds a few new lines writes to the day of the newest line
//! and perhaps the one before (a visit that began before midnight and
//! closed since); the days before those it only reads, and a report over
//! them needs only their sums ([`Summed`]). So a state saves those sums
//! beside the days, as one block, and a run decodes that block and the
//! last days instead of every day (on the generated 1 GiB log, 12 days
//! decoded became 1 block and 2 days).
//!
//! The rule that keeps the block exact: it names the days it counts, and
//! it counts each of them as it is. A day given out for writing (a late
//! line, a visit closing on an older day) is no longer counted as it is,
//! and a day dropped by `--keep-days` is no longer there: either makes
//! the block stale, and a stale block is never used or saved; the run
//! sums the settled days again from their own bytes and saves that. The
//! days are kept as they were, so that this is always possible.
//!
//! A day is settled when it is older than the day before the newest
//! line's day (in the report zone).

use std::thread::JoinHandle;

use crate::enrich::zone::Bucket;

use super::entries;
use super::model::Visits;
use super::saved::State;
use super::summed::Summed;

/// The saved sums as read, decoded on a thread of their own while a run
/// reads and files its new lines ([`State::decode_sums_early`]).
pub struct EarlySums {
    covers: Vec<i64>,
    sums: Result<Summed, String>,
}

/// Sums read back and checked.
fn decode(bytes: &[u8]) -> Result<Summed, String> {
    let sums: Summed = postcard::from_bytes(bytes)
        .map_err(|e| format!("corrupt: the sums of the settled days: {e}"))?;
    sums.check().map_err(|e| format!("corrupt: {e}"))?;
    Ok(sums)
}

impl State {
    /// Starts decoding the saved sums on a thread of their own: nearly
    /// always they still hold once the run has filed its lines, and
    /// [`State::settled_sums`] then takes them from here.
    pub fn decode_sums_early(&self) -> Option<JoinHandle<EarlySums>> {
        let block = self.days.summary()?;
        let (covers, bytes) = (block.covers.clone(), block.shared());
        std::thread::Builder::new()
            .spawn(move || EarlySums {
                covers,
                sums: decode(bytes.bytes()),
            })
            .ok()
    }

    /// The start of the first day that is not settled: the day before the
    /// newest line's day; `None` before any line.
    fn unsettled_from(&self) -> Option<i64> {
        let (newest, zone) = (self.newest?, self.report_zone()?);
        let today = zone.bucket_start(newest, Bucket::Day);
        Some(zone.bucket_start(today - 1, Bucket::Day))
    }

    /// The sums of the settled days and how many days they are (the
    /// first of the state's days): read from the saved block where it
    /// still holds, with the days settled since added, or summed from the
    /// days; the block is made anew from them for the save whenever it
    /// changed. An error when the saved block cannot be read.
    pub fn settled_sums(
        &mut self,
        early: Option<JoinHandle<EarlySums>>,
    ) -> Result<(Summed, usize), String> {
        let early = early.and_then(|thread| thread.join().ok());
        let Some(from) = self.unsettled_from() else {
            return Ok((Summed::default(), 0));
        };
        let settled: Vec<i64> = self
            .days
            .keys()
            .copied()
            .take_while(|&s| s < from)
            .collect();
        let saved = match self.days.summary() {
            Some(block) if settled.starts_with(&block.covers) => {
                // The block is made anew only below: the same covers, the
                // same bytes.
                let sums = match early {
                    Some(early) if early.covers == block.covers => early.sums,
                    _ => decode(block.bytes()),
                };
                Some((block.covers.len(), sums?))
            }
            _ => None,
        };
        let (counted, mut sums) = saved.unwrap_or_default();
        if settled.is_empty() {
            self.days.drop_summary();
        } else if counted < settled.len() {
            let adding = self.days.read(&settled[counted..]);
            sums.add_days(&adding);
            let visits: Vec<&Visits> = adding.iter().map(|(_, d)| &d.visits).collect();
            let grouped = entries::group(&visits);
            let groups = sums.entries.map();
            for (key, (n, views)) in grouped {
                let group = groups.entry(key).or_default();
                group.0 += n;
                group.1 += views;
            }
            for part in visits {
                sums.visits.merge(part);
            }
            // Kept grouped, not by text.
            sums.visits.entries = Default::default();
            // The saved block keeps each client once.
            sums.client_hashes.sort_unstable();
            sums.client_hashes.dedup();
            let bytes = postcard::to_stdvec(&sums).map_err(|e| e.to_string())?;
            self.days.set_summary(settled.clone(), bytes);
        }
        Ok((sums, settled.len()))
    }
}
