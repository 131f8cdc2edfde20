//! The day and time-series bucket of each 5-minute slot with hits,
//! worked out once for the walk.

use super::figures::VisitOptions;
use crate::aggregate::{Figures, SLOT_SECONDS};
use crate::enrich::zone::Bucket;

/// Day and time-series bucket of each 5-minute slot that holds a hit,
/// worked out once: zone arithmetic per page view would cost more
/// than the walk itself for named zones. Days and buckets are numbered in
/// time order. Only slots that occur are kept, so a log whose clock jumps
/// by centuries costs no more than one that does not.
pub(super) struct Calendar {
    /// The slots with hits, sorted, and (day number, bucket number)
    /// for each.
    slots: Vec<i64>,
    numbers: Vec<(u32, u32)>,
    pub(super) bucket_starts: Vec<i64>,
    /// When the slots span at most [`Calendar::DENSE_SLOTS`] (ten years
    /// of slots take 8 MB; a year, 840 kB), the numbers of every slot
    /// from the first: an index instead of a binary search per page view.
    pub(super) dense: Vec<(u32, u32)>,
}

impl Calendar {
    /// From the slots with hits, which include every page view's.
    pub(super) fn new(figures: &Figures, opts: &VisitOptions<'_>) -> Calendar {
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

    pub(super) fn at(&self, time: i64) -> (u32, u32) {
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
