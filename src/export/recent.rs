//! What the second reading worked out for recent text of the log (a
//! referrer, a query string) or a recent visitor (client and agent ids),
//! kept in small direct-mapped tables that stay in the processor's cache.
//!
//! Lines repeat what lines shortly before them hold: a visitor's hits come
//! in bursts (a page, then its styles, scripts and images) interleaved with
//! other visitors' bursts, and a few pages and assets make most hits. On
//! the generated log only a quarter of the lines have the visitor of the
//! line before, but three in five have one seen in the last thousand
//! lines. Without this table each visitor would be hashed with SipHash
//! and looked up in the part's `visitor_id` dictionary and in the visit
//! index (a hash, then a probe that misses the cache), and each referrer
//! and query string looked up again.
//!
//! Each key has one slot, and a new key takes it over. The key's bytes are
//! kept in the slot (the text is short), so that a hit reads nothing
//! elsewhere; longer text is looked up every time.

use crate::aggregate::recent_keys::table_size;
pub use crate::aggregate::recent_keys::Recent;

use super::tables::ClientRow;
use super::visit_index::Visit;

/// A visitor (client and user agent), as a row needs it.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'c> {
    pub client: ClientRow,
    /// Its `visitor_id`'s number in the part's dictionary.
    pub visitor: u32,
    /// Its visits, in time order (none for a bot: bots make no visits and
    /// their hits belong to none).
    pub visits: &'c [Visit],
    /// The visit of its last page view: the hits after it (its images,
    /// scripts, styles) are nearly always in it, found without a search
    /// of `visits`, whose memory the page view did not touch.
    pub held: Option<&'c Visit>,
}

/// Values of recent pairs of numbers (a visitor's client and agent ids),
/// one slot a pair: the key is eight bytes, so a slot is small and a table
/// of several thousand stays in the processor's second-level cache.
pub struct RecentPairs<V> {
    slots: Vec<Option<(u64, V)>>,
    /// `64 - log2(slots)`.
    shift: u32,
}

impl<V: Copy> RecentPairs<V> {
    /// A table of `slots` (a power of two) slots.
    pub fn new(slots: usize) -> Self {
        let (slots, shift) = table_size(slots);
        RecentPairs {
            slots: vec![None; slots],
            shift,
        }
    }

    #[inline]
    fn slot_of(&self, a: u32, b: u32) -> (usize, u64) {
        let key = (a as u64) << 32 | b as u64;
        let at = (key ^ key >> 29).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift;
        (at as usize, key)
    }

    /// The value of (`a`, `b`), if it is still here.
    #[inline]
    pub fn get(&self, a: u32, b: u32) -> Option<V> {
        let (at, key) = self.slot_of(a, b);
        match self.slots[at] {
            Some((k, v)) if k == key => Some(v),
            _ => None,
        }
    }

    /// Asks the processor to fetch the slot of (`a`, `b`), which a line
    /// a few lines on will look up.
    #[inline]
    pub fn prefetch(&self, a: u32, b: u32) {
        let (at, _) = self.slot_of(a, b);
        if let Some(slot) = self.slots.get(at) {
            prefetch(slot);
        }
    }

    /// Keeps `value` for (`a`, `b`).
    #[inline]
    pub fn put(&mut self, a: u32, b: u32, value: V) {
        let (at, key) = self.slot_of(a, b);
        self.slots[at] = Some((key, value));
    }
}

/// Asks the processor to fetch the cache line holding `value` (a hint:
/// nothing happens where the instruction is not known).
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching reads no memory the program can see and cannot
    // fault; SSE, which has the instruction, is part of every x86_64.
    // Safe to call on newer compilers, hence the allowance.
    #[allow(unused_unsafe)]
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_is_found_only_as_itself() {
        let mut recent = RecentPairs::new(4096);
        for a in 0..3000u32 {
            recent.put(a, a % 7, a);
        }
        let mut found = 0;
        for a in 0..3000u32 {
            if let Some(v) = recent.get(a, a % 7) {
                assert_eq!(v, a);
                found += 1;
            }
            // Never put: another agent, another client.
            assert_eq!(recent.get(a, 100), None);
            assert_eq!(recent.get(a + 100_000, a % 7), None);
        }
        // Most of 3,000 pairs fit in 4,096 slots; each found is its own.
        assert!(found > 1500, "{found}");
    }
}
