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

/// Keys up to this long are kept.
const KEY_BYTES: usize = 62;

#[derive(Clone, Copy)]
struct Slot<V> {
    len: u8,
    key: [u8; KEY_BYTES],
    /// A number that is part of the key (a visitor's agent).
    tag: u32,
    value: V,
}

/// Values of recent keys: `(bytes, tag)` to `V`.
pub struct Recent<V> {
    slots: Vec<Option<Slot<V>>>,
    /// `64 - log2(slots)`.
    shift: u32,
}

impl<V: Copy> Recent<V> {
    /// A table of `slots` (a power of two) slots.
    pub fn new(slots: usize) -> Self {
        let slots = slots.next_power_of_two().max(2);
        Recent {
            slots: vec![None; slots],
            shift: 64 - slots.trailing_zeros(),
        }
    }

    /// The value of (`key`, `tag`), if it is still here.
    #[inline]
    pub fn get(&self, key: &[u8], tag: u32) -> Option<V> {
        if key.len() > KEY_BYTES {
            return None;
        }
        let slot = self.slots[self.slot_of(key, tag)].as_ref()?;
        (slot.len as usize == key.len() && slot.tag == tag && &slot.key[..key.len()] == key)
            .then_some(slot.value)
    }

    /// Keeps `value` for (`key`, `tag`).
    #[inline]
    pub fn put(&mut self, key: &[u8], tag: u32, value: V) {
        if key.len() > KEY_BYTES {
            return;
        }
        let mut bytes = [0u8; KEY_BYTES];
        bytes[..key.len()].copy_from_slice(key);
        let at = self.slot_of(key, tag);
        self.slots[at] = Some(Slot {
            len: key.len() as u8,
            key: bytes,
            tag,
            value,
        });
    }

    /// The slot of a key: a mix of its first, middle and last eight bytes
    /// (paths and addresses differ at both ends), its length and the tag.
    #[inline]
    fn slot_of(&self, key: &[u8], tag: u32) -> usize {
        let n = key.len();
        let word = |at: usize| u64::from_le_bytes(*key[at..].first_chunk::<8>().unwrap_or(&[0; 8]));
        let mixed = if n >= 8 {
            word(0) ^ word(n - 8).rotate_left(23) ^ word(n / 2 - 4).rotate_left(41)
        } else {
            key.iter().fold(0u64, |h, &b| h << 8 | b as u64)
        };
        let mixed = mixed ^ (n as u64) << 56 ^ (tag as u64).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        (mixed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }
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
        let slots = slots.next_power_of_two().max(2);
        RecentPairs {
            slots: vec![None; slots],
            shift: 64 - slots.trailing_zeros(),
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

    /// Keeps `value` for (`a`, `b`).
    #[inline]
    pub fn put(&mut self, a: u32, b: u32, value: V) {
        let (at, key) = self.slot_of(a, b);
        self.slots[at] = Some((key, value));
    }
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

    #[test]
    fn a_value_is_found_only_by_its_own_key_and_tag() {
        let mut recent = Recent::new(1024);
        let (a, b) = (
            &b"2a02:810d:3d72:9ebc:fa2c:84dc:cc49:4f1c"[..],
            &b"10.0.0.1"[..],
        );
        assert!(recent.get(a, 1).is_none());
        recent.put(a, 1, 7u32);
        recent.put(b, 1, 8);
        recent.put(b"", 2, 9);
        assert_eq!(recent.get(a, 1), Some(7));
        assert_eq!(recent.get(b, 1), Some(8));
        assert_eq!(recent.get(b"", 2), Some(9));
        // Another tag, a prefix, a longer key: not this one.
        assert!(recent.get(a, 2).is_none());
        assert!(recent.get(&a[..20], 1).is_none());
        assert!(recent.get(b"10.0.0.10", 1).is_none());
        assert!(recent.get(b"", 1).is_none());
        // A key too long to keep is never found; one just short enough is.
        let long = [b'x'; KEY_BYTES + 1];
        recent.put(&long, 1, 10);
        assert!(recent.get(&long, 1).is_none());
        recent.put(&long[1..], 1, 11);
        assert_eq!(recent.get(&long[1..], 1), Some(11));
    }

    #[test]
    fn a_new_key_takes_the_slot_over() {
        let mut recent = Recent::new(1000);
        assert_eq!(recent.slots.len(), 1024);
        // Enough keys that some share a slot: each is found right after it
        // is put, and whatever is found is the right one.
        let keys: Vec<String> = (0..5000)
            .map(|i| format!("/static/{}/{}.js", i / 256, i % 256))
            .collect();
        for (i, k) in keys.iter().enumerate() {
            recent.put(k.as_bytes(), 3, i);
            assert_eq!(recent.get(k.as_bytes(), 3), Some(i));
        }
        let found = (0..keys.len())
            .filter(|&i| match recent.get(keys[i].as_bytes(), 3) {
                Some(v) => {
                    assert_eq!(v, i);
                    true
                }
                None => false,
            })
            .count();
        assert!(found <= 1024, "{found}");
        assert!(found > 512, "{found}");
    }
}
