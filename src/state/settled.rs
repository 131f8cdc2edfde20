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
            entries::add_groups(&visits, sums.entries.map());
            for part in visits {
                sums.visits.merge_without_entries(part);
            }
            // The saved block keeps each client once.
            sums.client_hashes.sort_unstable();
            sums.client_hashes.dedup();
            let bytes = postcard::to_stdvec(&sums).map_err(|e| e.to_string())?;
            self.days.set_summary(settled.clone(), bytes);
        }
        Ok((sums, settled.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::file;
    use crate::state::settings::Settings;

    const DAY: i64 = 86_400;
    const START: i64 = 1_714_521_600; // 2024-05-01T00:00:00Z

    /// A state of `days` days, one path a day with `day + 1` hits, the
    /// newest line on the last day.
    fn a_state(days: i64) -> State {
        let mut s = State::new(Settings(vec![("--site".into(), "none".into())]), 7);
        s.zone = Some("+00:00".into());
        s.newest = Some(START + (days - 1) * DAY + 3600);
        for d in 0..days {
            let day = s.days.entry(START + d * DAY);
            day.first = START + d * DAY;
            day.last = day.first + 10;
            day.total.hits = d as u64 + 1;
            day.paths.map().intern(format!("/day{d}").as_bytes()).1.hits = d as u64 + 1;
        }
        s
    }

    #[test]
    fn the_days_before_the_day_before_the_newest_are_summed_and_saved() {
        let mut s = a_state(5);
        let (sums, n) = s.settled_sums(None).unwrap();
        assert_eq!(n, 3);
        assert_eq!(sums.total.hits, 1 + 2 + 3);
        assert_eq!(sums.paths.len(), 3);
        // Saved and read back: the block holds, and the days it counts
        // are not decoded by a load.
        let bytes = file::encode(&s).unwrap();
        let payload = std::sync::Arc::new(super::super::day_map::Payload::Read(bytes));
        let mut back =
            super::super::day_map::with_payload(&payload, || file::decode(&payload)).unwrap();
        assert_eq!(back.days.summary().unwrap().covers.len(), 3);
        assert_eq!(back.days.decoded(), 2);
        let (sums, n) = back.settled_sums(None).unwrap();
        assert_eq!((n, sums.total.hits), (3, 6));
        assert_eq!(back.days.decoded(), 2);
        // Read early on a thread of its own: the same.
        let early = back.decode_sums_early();
        let (sums, _) = back.settled_sums(early).unwrap();
        assert_eq!(sums.total.hits, 6);
        // A day later, one more day is settled: added to the sums.
        back.newest = Some(START + 5 * DAY + 60);
        back.days.entry(START + 5 * DAY).total.hits = 6;
        let (sums, n) = back.settled_sums(None).unwrap();
        assert_eq!((n, sums.total.hits), (4, 10));
        assert_eq!(back.days.summary().unwrap().covers.len(), 4);
        // A settled day written to: summed again from the days.
        back.days.get_mut(&START).unwrap().total.hits = 100;
        assert!(back.days.summary().is_none());
        let (sums, _) = back.settled_sums(None).unwrap();
        assert_eq!(sums.total.hits, 100 + 2 + 3 + 4);
    }

    #[test]
    fn sums_that_do_not_read_are_an_error() {
        let mut s = a_state(5);
        s.settled_sums(None).unwrap();
        let covers = s.days.summary().unwrap().covers.clone();
        s.days.set_summary(covers.clone(), vec![0xff; 7]);
        assert!(s.settled_sums(None).unwrap_err().starts_with("corrupt"));
        // Sums whose numbers refer to nothing: an error too.
        let mut bad = Summed::default();
        bad.pages.push((1, 1));
        s.days
            .set_summary(covers, postcard::to_stdvec(&bad).unwrap());
        assert!(s.settled_sums(None).unwrap_err().starts_with("corrupt"));
    }
}
