//! Response times: a mergeable quantile sketch, one per path (SPEC §6:
//! nearest-rank percentiles, within 1 % relative error).
//!
//! A histogram holds its first [`EXACT_MAX`] times as they are, so a path
//! hit a few times gets exact nearest-rank percentiles and costs about a
//! hundred bytes. Past that it switches to log-linear buckets: 128 linear
//! sub-buckets per power of two, so each bucket spans under 1/128 of its
//! lower bound, and the middle of the bucket is within 1/256 (0.39 %) of
//! any time in it. Times under 128 µs get a bucket each and stay exact.
//! The buckets are a dense vector of counters from the lowest bucket used
//! to the highest, so a path whose times lie between 2 and 50 ms holds
//! about 600 four-byte counters, not a table for every possible time.
//!
//! The state is a function of the multiset of recorded times alone:
//! below the threshold it is the times themselves (sorted when queried),
//! above it the bucket counts, which a merge adds whatever the order in
//! which each side saw its times. So a report does not depend on how the
//! input was cut into chunks or in which order partial results merge.
//!
//! Why not the `hdrhistogram` crate: its counter array starts at 2 KiB and
//! covers every bucket from zero up (for two significant figures, 128 u64
//! counters per power of two: about 14 KiB to reach 1 s in µs), and a site
//! can have 100,000 paths, most of them hit a few times. Its
//! `value_at_quantile` ranks by `ceil(q·n)` as here, but returns the
//! highest value equivalent to the bucket, so even three samples come back
//! rounded; here a rarely hit path gets the exact value.

use std::fmt;

/// How many times a histogram keeps as they are. Above this, 64 raw times
/// (512 bytes) cost about what the buckets of an octave or so do.
pub const EXACT_MAX: usize = 64;

/// log2 of the sub-buckets per power of two.
const SUB_BITS: u32 = 7;
const SUB: u64 = 1 << SUB_BITS;

/// The bucket of a time. Times below [`SUB`] are their own bucket; above,
/// the top `SUB_BITS + 1` bits of the time pick it, so a bucket's width is
/// at most 1/128 of its lower bound.
#[inline]
fn bucket_of(us: u64) -> u32 {
    if us < SUB {
        return us as u32;
    }
    let shift = 63 - us.leading_zeros() - SUB_BITS;
    (shift << SUB_BITS) + (us >> shift) as u32
}

/// The lowest time of a bucket and its width.
fn bucket_bounds(bucket: u32) -> (u64, u64) {
    if (bucket as u64) < SUB {
        return (bucket as u64, 1);
    }
    let shift = (bucket >> SUB_BITS) - 1;
    let top_bits = (bucket as u64 & (SUB - 1)) | SUB;
    (top_bits << shift, 1 << shift)
}

/// Counters of the buckets `lo .. lo + counts.len()`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Dense<T> {
    lo: u32,
    counts: Vec<T>,
}

impl<T: Copy + Default + Into<u64>> Dense<T> {
    /// A counter for `bucket`, growing the vector to reach it. Growth
    /// downwards goes at least half the current length further, so that
    /// times arriving in falling order do not move the vector each time.
    #[inline]
    fn slot(&mut self, bucket: u32) -> &mut T {
        if self.counts.is_empty() {
            self.lo = bucket;
        }
        if bucket < self.lo {
            let len = self.counts.len() as u32;
            let new_lo = bucket.min(self.lo.saturating_sub(len / 2));
            let extra = (self.lo - new_lo) as usize;
            self.counts
                .splice(0..0, std::iter::repeat_n(T::default(), extra));
            self.lo = new_lo;
        }
        let i = (bucket - self.lo) as usize;
        if i >= self.counts.len() {
            self.counts.resize(i + 1, T::default());
        }
        &mut self.counts[i]
    }

    /// `(bucket, count)` of the buckets that hold something, in order.
    fn iter(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        (self.lo..)
            .zip(&self.counts)
            .map(|(b, &n)| (b, n.into()))
            .filter(|&(_, n)| n > 0)
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
enum Store {
    /// Every time recorded, in arrival order.
    Exact(Vec<u64>),
    /// Four-byte counters: a bucket rarely holds four billion times.
    Narrow(Dense<u32>),
    /// What a [`Store::Narrow`] becomes when one of its counters would
    /// overflow.
    Wide(Dense<u64>),
}

/// Response times in µs: exact nearest-rank percentiles for up to
/// [`EXACT_MAX`] times, within 0.4 % above; always the exact maximum.
/// Serialised as it is held, for a saved state.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Latency {
    count: u64,
    min: u64,
    max: u64,
    store: Store,
}

impl Default for Latency {
    fn default() -> Self {
        Latency {
            count: 0,
            min: u64::MAX,
            max: 0,
            store: Store::Exact(Vec::new()),
        }
    }
}

impl Latency {
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The longest time recorded, exactly; `None` when there is none.
    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    #[inline]
    pub fn record(&mut self, us: u64) {
        self.count += 1;
        self.min = self.min.min(us);
        self.max = self.max.max(us);
        match &mut self.store {
            Store::Exact(times) if times.len() < EXACT_MAX => times.push(us),
            Store::Exact(_) => {
                self.switch_to_buckets();
                self.add_to_buckets(bucket_of(us), 1);
            }
            _ => self.add_to_buckets(bucket_of(us), 1),
        }
    }

    /// Adds `other`'s times. The result is what recording all of them in
    /// one histogram gives, in any order.
    pub fn merge(&mut self, other: &Latency) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = other.clone();
            return;
        }
        let count = self.count + other.count;
        let (min, max) = (self.min.min(other.min), self.max.max(other.max));
        match (&mut self.store, &other.store) {
            (Store::Exact(mine), Store::Exact(theirs)) if count <= EXACT_MAX as u64 => {
                mine.extend_from_slice(theirs);
            }
            (Store::Exact(mine), theirs) => {
                let mine = std::mem::take(mine);
                self.store = match theirs {
                    Store::Exact(_) => Store::Narrow(Dense::default()),
                    // Their buckets, usually the larger part, are copied
                    // and the few times of this side added to them.
                    buckets => buckets.clone(),
                };
                if let Store::Exact(theirs) = &other.store {
                    self.add_times(theirs);
                }
                self.add_times(&mine);
            }
            (_, Store::Exact(theirs)) => self.add_times(theirs),
            (_, Store::Narrow(d)) => self.add_dense(d),
            (_, Store::Wide(d)) => self.add_dense(d),
        }
        (self.count, self.min, self.max) = (count, min, max);
    }

    /// The nearest-rank `q`-quantile (`q` in [0, 1]): the time at 1-based
    /// rank `ceil(q·n)` (at least 1) of the sorted times, exactly while
    /// the histogram keeps its times, else within 0.4 %. `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = nearest_rank(q, self.count);
        let bucket = match &self.store {
            Store::Exact(times) => {
                let mut sorted = [0u64; EXACT_MAX];
                let sorted = &mut sorted[..times.len()];
                sorted.copy_from_slice(times);
                sorted.sort_unstable();
                return Some(sorted[rank as usize - 1]);
            }
            Store::Narrow(d) => rank_bucket(d.iter(), rank),
            Store::Wide(d) => rank_bucket(d.iter(), rank),
        };
        // The extremes are known exactly: the first and last ranks are
        // them, and they narrow the buckets they fall in, so that no
        // percentile is printed above the max or below the min.
        if rank == self.count {
            return Some(self.max);
        }
        if rank == 1 {
            return Some(self.min);
        }
        let (low, high) = self.bucket_range(bucket);
        Some(low + (high - low) / 2)
    }

    /// The times a bucket may hold: its range, within the minimum and
    /// maximum recorded.
    fn bucket_range(&self, bucket: u32) -> (u64, u64) {
        let (low, width) = bucket_bounds(bucket);
        (low.max(self.min), (low + (width - 1)).min(self.max))
    }

    /// Calls `f(low, high, how many)` over the recorded times: each time
    /// as `(t, t, 1)` while they are kept as they are, else each bucket
    /// that holds some, with the range its times lie in (under 1/128 of
    /// `low` wide). For a histogram of other bounds.
    pub fn for_each_range(&self, mut f: impl FnMut(u64, u64, u64)) {
        let mut bucket = |(b, n)| {
            let (low, high) = self.bucket_range(b);
            f(low, high, n)
        };
        match &self.store {
            Store::Exact(times) => times.iter().for_each(|&us| f(us, us, 1)),
            Store::Narrow(d) => d.iter().for_each(&mut bucket),
            Store::Wide(d) => d.iter().for_each(&mut bucket),
        }
    }

    /// Switches from times to buckets, keeping the times' counts.
    #[cold]
    fn switch_to_buckets(&mut self) {
        if let Store::Exact(times) = &mut self.store {
            let times = std::mem::take(times);
            let mut d = Dense::default();
            if let (Some(&lo), Some(&hi)) = (times.iter().min(), times.iter().max()) {
                // Sized once to the range the times span.
                d.lo = bucket_of(lo);
                d.counts = vec![0; (bucket_of(hi) - d.lo) as usize + 1];
            }
            self.store = Store::Narrow(d);
            self.add_times(&times);
        }
    }

    fn add_times(&mut self, times: &[u64]) {
        for &us in times {
            self.add_to_buckets(bucket_of(us), 1);
        }
    }

    fn add_dense<T: Copy + Default + Into<u64>>(&mut self, d: &Dense<T>) {
        // Reaching both ends first grows the vector at most twice.
        if let (Some((first, _)), Some((last, _))) = (d.iter().next(), d.iter().last()) {
            self.add_to_buckets(first, 0);
            self.add_to_buckets(last, 0);
        }
        for (bucket, n) in d.iter() {
            self.add_to_buckets(bucket, n);
        }
    }

    /// Adds `n` to a bucket's counter. Not for [`Store::Exact`]. The
    /// common case, a counter that exists and does not overflow, is a few
    /// instructions inline; growing and widening are not.
    #[inline]
    fn add_to_buckets(&mut self, bucket: u32, n: u64) {
        if let Store::Narrow(d) = &mut self.store {
            let i = bucket.wrapping_sub(d.lo) as usize;
            if let Some(c) = d.counts.get_mut(i) {
                if let Ok(sum) = u32::try_from(*c as u64 + n) {
                    *c = sum;
                    return;
                }
            }
        }
        self.grow_and_add(bucket, n);
    }

    /// [`add_to_buckets`](Self::add_to_buckets) when the vector must grow
    /// to reach the bucket, or its counters widen so as not to overflow.
    #[inline(never)]
    fn grow_and_add(&mut self, bucket: u32, n: u64) {
        if let Store::Narrow(d) = &mut self.store {
            let c = d.slot(bucket);
            match u32::try_from(*c as u64 + n) {
                Ok(sum) => {
                    *c = sum;
                    return;
                }
                Err(_) => {
                    let d = std::mem::take(d);
                    self.store = Store::Wide(Dense {
                        lo: d.lo,
                        counts: d.counts.into_iter().map(u64::from).collect(),
                    });
                }
            }
        }
        match &mut self.store {
            Store::Wide(d) => *d.slot(bucket) += n,
            _ => unreachable!("times are added to buckets only once converted"),
        }
    }

    /// The sorted times, or the non-empty buckets and their counts: the
    /// same for two histograms of the same times however they were built.
    fn canonical(&self) -> Canonical {
        match &self.store {
            Store::Exact(times) => {
                let mut sorted = times.clone();
                sorted.sort_unstable();
                Canonical::Times(sorted)
            }
            Store::Narrow(d) => Canonical::Buckets(d.iter().collect()),
            Store::Wide(d) => Canonical::Buckets(d.iter().collect()),
        }
    }

    /// Whether a histogram read back from a file is one recording could
    /// have made: its count is what its store holds.
    pub fn is_consistent(&self) -> bool {
        let held = match &self.store {
            Store::Exact(times) if times.len() <= EXACT_MAX => times.len() as u64,
            Store::Exact(_) => return false,
            Store::Narrow(d) => d.iter().map(|(_, n)| n).sum(),
            Store::Wide(d) => d.iter().map(|(_, n)| n).sum(),
        };
        held == self.count && (self.count == 0 || self.min <= self.max)
    }

    /// Heap bytes held, to keep an eye on the memory of many histograms.
    pub fn heap_bytes(&self) -> usize {
        match &self.store {
            Store::Exact(v) => v.capacity() * 8,
            Store::Narrow(d) => d.counts.capacity() * 4,
            Store::Wide(d) => d.counts.capacity() * 8,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Canonical {
    Times(Vec<u64>),
    Buckets(Vec<(u32, u64)>),
}

/// `ceil(q·n)`, at least 1 and at most `n`. `q` is taken to a millionth
/// and the rank computed in integers, so that 0.9 · 10 is 9, not the 10
/// that rounding in binary floating point can give.
pub fn nearest_rank(q: f64, n: u64) -> u64 {
    let millionths = (q.clamp(0.0, 1.0) * 1e6).round() as u128;
    let rank = (millionths * n as u128).div_ceil(1_000_000) as u64;
    rank.clamp(1, n)
}

/// The bucket that holds the time of rank `rank`.
fn rank_bucket(buckets: impl Iterator<Item = (u32, u64)>, rank: u64) -> u32 {
    let mut seen = 0u64;
    let mut last = 0;
    for (bucket, n) in buckets {
        seen += n;
        last = bucket;
        if seen >= rank {
            break;
        }
    }
    last
}

impl PartialEq for Latency {
    fn eq(&self, other: &Self) -> bool {
        (self.count, self.max) == (other.count, other.max)
            && (self.count == 0 || self.min == other.min)
            && self.canonical() == other.canonical()
    }
}

impl Eq for Latency {}

impl fmt::Debug for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Latency")
            .field("count", &self.count)
            .field("max", &self.max())
            .field("p50", &self.quantile(0.5))
            .field("p99", &self.quantile(0.99))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// splitmix64: tests need repeatable pseudo-random times, no crate.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        /// Uniform in [0, 1).
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    fn histogram(times: &[u64]) -> Latency {
        let mut h = Latency::default();
        for &t in times {
            h.record(t);
        }
        h
    }

    /// `for_each_range` as (low, high, count), sorted.
    fn ranges(h: &Latency) -> Vec<(u64, u64, u64)> {
        let mut v = Vec::new();
        h.for_each_range(|low, high, n| v.push((low, high, n)));
        v.sort_unstable();
        v
    }

    #[test]
    fn ranges_are_the_times_then_buckets_that_hold_them() {
        assert_eq!(ranges(&histogram(&[])), []);
        assert_eq!(
            ranges(&histogram(&[7, 3, 7])),
            [(3, 3, 1), (7, 7, 1), (7, 7, 1)]
        );
        // Past EXACT_MAX: 65 times of 5 ms and one of 20 ms. 5000 µs is in
        // the bucket 4992..=5023 and is the minimum: the range starts there.
        let mut times = vec![5000; EXACT_MAX + 1];
        times.push(20_000);
        assert_eq!(
            ranges(&histogram(&times)),
            [(5000, 5023, 65), (19_968, 20_000, 1)]
        );
        let mut rng = Rng(3);
        let times: Vec<u64> = (0..1000).map(|_| 1000 + rng.next() % 100_000).collect();
        let v = ranges(&histogram(&times));
        assert_eq!(v.iter().map(|&(_, _, n)| n).sum::<u64>(), 1000);
        for &(low, high, n) in &v {
            let held = times.iter().filter(|&&t| low <= t && t <= high).count();
            assert_eq!(held as u64, n, "{low}..={high}");
            assert!(((high - low) as f64) < low as f64 / 128.0);
        }
    }

    /// The definition itself: sort, take rank `ceil(q·n)`.
    fn exact(times: &[u64], q: f64) -> u64 {
        let mut sorted = times.to_vec();
        sorted.sort_unstable();
        sorted[nearest_rank(q, times.len() as u64) as usize - 1]
    }

    const QS: [f64; 10] = [0.0, 0.01, 0.1, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0];

    /// Times of several shapes, as servers log them.
    fn distributions(rng: &mut Rng, n: usize) -> Vec<(&'static str, Vec<u64>)> {
        let mut sample = |f: &mut dyn FnMut(&mut Rng) -> u64| (0..n).map(|_| f(rng)).collect();
        vec![
            ("uniform 0-2 ms", sample(&mut |r| r.next() % 2000)),
            // Heavy tail: Pareto with shape 1.1 from 1 ms, capped at 1 h.
            (
                "pareto",
                sample(&mut |r| (1000.0 / (1.0 - r.unit()).powf(1.0 / 1.1)).min(3.6e9) as u64),
            ),
            // Log-uniform over 10 µs .. 100 s.
            (
                "log-uniform",
                sample(&mut |r| 10f64.powf(1.0 + 7.0 * r.unit()) as u64),
            ),
            // nginx $request_time has millisecond resolution.
            ("whole ms", sample(&mut |r| (r.next() % 300) * 1000)),
            (
                "bimodal",
                sample(&mut |r| {
                    if r.next() % 10 == 0 {
                        2_000_000 + r.next() % 500_000
                    } else {
                        800 + r.next() % 400
                    }
                }),
            ),
            ("constant", sample(&mut |_| 4242)),
            (
                "huge",
                sample(&mut |r| u64::MAX - r.next() % (u64::MAX / 3)),
            ),
        ]
    }

    #[test]
    fn within_a_percent_of_exact_nearest_rank() {
        let mut rng = Rng(42);
        let mut worst: f64 = 0.0;
        for n in [
            1, 2, 3, 5, 10, 63, 64, 65, 100, 129, 1000, 4321, 10_000, 100_000,
        ] {
            for (name, times) in distributions(&mut rng, n) {
                let h = histogram(&times);
                assert_eq!(h.count(), n as u64);
                assert_eq!(h.max(), times.iter().copied().max(), "{name} n={n}");
                for q in QS {
                    let (want, got) = (exact(&times, q), h.quantile(q).unwrap());
                    if n <= EXACT_MAX {
                        assert_eq!(got, want, "{name} n={n} q={q}");
                    }
                    let error = (got as f64 - want as f64).abs() / (want as f64).max(1.0);
                    assert!(
                        error <= 0.01,
                        "{name} n={n} q={q}: {got} for {want}, {error}"
                    );
                    worst = worst.max(error);
                }
            }
        }
        // The design bound, with room for nothing: half a bucket of 1/128.
        assert!(worst <= 1.0 / 256.0, "worst relative error {worst}");
    }

    #[test]
    fn small_counts_are_exact_by_hand() {
        assert_eq!(Latency::default().quantile(0.5), None);
        assert_eq!(Latency::default().max(), None);
        // n = 1: every percentile is the one time.
        let one = histogram(&[7]);
        assert_eq!(QS.map(|q| one.quantile(q)), [Some(7); QS.len()], "one time");
        // n = 2, [10, 20]: p50 is rank ceil(1.0) = 1, p90 rank ceil(1.8) = 2.
        let two = histogram(&[20, 10]);
        assert_eq!(two.quantile(0.5), Some(10));
        assert_eq!(two.quantile(0.9), Some(20));
        // n = 3, sorted [1000, 3000, 5000]: p50 rank ceil(1.5) = 2, p0
        // rank 1, p99 rank ceil(2.97) = 3.
        let three = histogram(&[5000, 1000, 3000]);
        assert_eq!(three.quantile(0.5), Some(3000));
        assert_eq!(three.quantile(0.0), Some(1000));
        assert_eq!(three.quantile(0.99), Some(5000));
        assert_eq!(three.max(), Some(5000));
        // n = 10, 1..=10 ms: p90 is rank 9 (0.9 · 10 is 9 exactly here).
        let ten: Vec<u64> = (1..=10).map(|ms| ms * 1000).collect();
        let ten = histogram(&ten);
        assert_eq!(ten.quantile(0.9), Some(9000));
        assert_eq!(ten.quantile(0.95), Some(10_000));
    }

    #[test]
    fn ranks_are_computed_without_float_surprises() {
        assert_eq!(nearest_rank(0.9, 10), 9);
        assert_eq!(nearest_rank(0.99, 100), 99);
        assert_eq!(nearest_rank(0.95, 20), 19);
        assert_eq!(nearest_rank(0.5, 1), 1);
        assert_eq!(nearest_rank(0.0, 7), 1);
        assert_eq!(nearest_rank(1.0, 7), 7);
        assert_eq!(nearest_rank(0.5, 3), 2);
        assert_eq!(nearest_rank(0.999, u64::MAX / 2), 9_214_148_664_817_921_032);
    }

    #[test]
    fn buckets_are_contiguous_and_narrow() {
        let mut expected_next = 0;
        for bucket in 0..=bucket_of(u64::MAX) {
            let (low, width) = bucket_bounds(bucket);
            assert_eq!(low, expected_next, "bucket {bucket}");
            assert_eq!(bucket_of(low), bucket);
            assert_eq!(bucket_of(low + (width - 1)), bucket);
            assert!(width == 1 || width * 128 <= low, "bucket {bucket}");
            expected_next = low.wrapping_add(width);
        }
        assert_eq!(expected_next, 0, "the last bucket ends at u64::MAX");
    }

    #[test]
    fn any_split_merges_into_the_whole() {
        let mut rng = Rng(7);
        for n in [0, 1, 30, 64, 65, 128, 129, 3000] {
            for (name, times) in distributions(&mut rng, n) {
                let whole = histogram(&times);
                for _ in 0..4 {
                    // Cut at random points, merge the pieces in a random
                    // order, as a chain and as a tree.
                    let mut cuts: Vec<usize> = (0..rng.next() % 6)
                        .map(|_| (rng.next() % (n as u64 + 1)) as usize)
                        .collect();
                    cuts.extend([0, n]);
                    cuts.sort_unstable();
                    let mut pieces: Vec<Latency> = cuts
                        .windows(2)
                        .map(|w| histogram(&times[w[0]..w[1]]))
                        .collect();
                    for i in (1..pieces.len()).rev() {
                        pieces.swap(i, (rng.next() % (i as u64 + 1)) as usize);
                    }
                    let mut chain = Latency::default();
                    for p in &pieces {
                        chain.merge(p);
                    }
                    while pieces.len() > 1 {
                        let right = pieces.pop().unwrap();
                        let left = pieces.pop().unwrap();
                        let mut merged = right;
                        merged.merge(&left);
                        pieces.insert(0, merged);
                    }
                    let tree = pieces.pop().unwrap();
                    for merged in [&chain, &tree] {
                        assert_eq!(merged, &whole, "{name} n={n} cuts={cuts:?}");
                        for q in QS {
                            assert_eq!(merged.quantile(q), whole.quantile(q), "{name} q={q}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn memory_stays_small() {
        assert_eq!(std::mem::size_of::<Option<Box<Latency>>>(), 8);
        // A path with one time holds the box and a vector of four times.
        assert!(std::mem::size_of::<Latency>() <= 64);
        let mut h = Latency::default();
        assert_eq!(h.heap_bytes(), 0);
        for t in 0..EXACT_MAX as u64 {
            h.record(20_000 + t);
        }
        assert!(h.heap_bytes() <= EXACT_MAX * 8);
        // Times between 10 and 40 ms span two powers of two: 257 counters
        // (with the vector's spare capacity, under 4 KiB), however many
        // times there are.
        let mut rng = Rng(1);
        for _ in 0..100_000 {
            h.record(10_000 + rng.next() % 30_000);
        }
        assert!(h.heap_bytes() <= 4096, "{}", h.heap_bytes());
        // Falling times grow the vector downwards without quadratic moves.
        let mut falling = Latency::default();
        for t in (1..200_000u64).rev() {
            falling.record(t * 50);
        }
        assert_eq!(falling.quantile(1.0), Some(199_999 * 50));
        assert_eq!(falling.quantile(0.0), Some(50));
    }

    #[test]
    fn counters_widen_instead_of_overflowing() {
        let mut h = histogram(&(0..100).collect::<Vec<_>>());
        let mut big = Latency::default();
        big.record(5);
        big.switch_to_buckets();
        big.add_to_buckets(bucket_of(5), u32::MAX as u64 - 1);
        big.count = u32::MAX as u64;
        h.merge(&big);
        h.merge(&big);
        assert_eq!(h.count(), 100 + 2 * u32::MAX as u64);
        assert!(matches!(h.store, Store::Wide(_)));
        assert_eq!(h.quantile(0.5), Some(5));
        assert_eq!(h.quantile(1.0), Some(99));
        h.record(5);
        let Canonical::Buckets(buckets) = h.canonical() else {
            panic!("100 times are kept in buckets");
        };
        assert_eq!(buckets[5], (5, 2 * u32::MAX as u64 + 2));
    }
}
