//! Values of recent byte strings of the log (a client, a referrer, a
//! query string), kept in a small direct-mapped table that stays in the
//! processor's cache: lines repeat what lines shortly before them hold (a
//! visitor's hits come in bursts, interleaved with other visitors'), and a
//! hit here reads nothing elsewhere, where a lookup in a table of a few
//! hundred thousand keys waits for memory twice or three times (the
//! table, the entry, its key).
//!
//! Each key has one slot, and a new key takes it over. The key's bytes are
//! kept in the slot (the text is short); longer text is never kept.

/// Keys up to this long are kept.
const KEY_BYTES: usize = 62;

#[derive(Debug, Clone, Copy)]
struct Slot<V> {
    len: u8,
    key: [u8; KEY_BYTES],
    /// A number that is part of the key (a visitor's agent).
    tag: u32,
    value: V,
}

impl<V> Slot<V> {
    /// Whether the slot holds (`key`, `tag`).
    #[inline]
    fn holds(&self, key: &[u8], tag: u32) -> bool {
        self.len as usize == key.len() && self.tag == tag && &self.key[..key.len()] == key
    }
}

/// The size of a direct-mapped table asked for `slots` slots (the next
/// power of two, at least 2) and the shift that takes a 64-bit hash to a
/// slot: `64 - log2(size)`.
pub fn table_size(slots: usize) -> (usize, u32) {
    let slots = slots.next_power_of_two().max(2);
    (slots, 64 - slots.trailing_zeros())
}

/// Values of recent keys: `(bytes, tag)` to `V`.
#[derive(Clone)]
pub struct Recent<V> {
    slots: Vec<Option<Slot<V>>>,
    /// `64 - log2(slots)`.
    shift: u32,
}

impl<V: Copy> Recent<V> {
    /// A table of `slots` (a power of two) slots.
    pub fn new(slots: usize) -> Self {
        let (slots, shift) = table_size(slots);
        Recent {
            slots: vec![None; slots],
            shift,
        }
    }

    /// The value of (`key`, `tag`), if it is still here.
    #[inline]
    pub fn get(&self, key: &[u8], tag: u32) -> Option<V> {
        if key.len() > KEY_BYTES {
            return None;
        }
        let slot = self.slots[self.slot_of(key, tag)].as_ref()?;
        slot.holds(key, tag).then_some(slot.value)
    }

    /// The value of (`key`, `tag`), to change, if it is still here.
    #[inline]
    pub fn get_mut(&mut self, key: &[u8], tag: u32) -> Option<&mut V> {
        if key.len() > KEY_BYTES {
            return None;
        }
        let at = self.slot_of(key, tag);
        let slot = self.slots[at].as_mut()?;
        slot.holds(key, tag).then_some(&mut slot.value)
    }

    /// Keeps `value` for (`key`, `tag`); the value of the key whose slot
    /// it took over, if any.
    #[inline]
    pub fn put(&mut self, key: &[u8], tag: u32, value: V) -> Option<V> {
        if key.len() > KEY_BYTES {
            return None;
        }
        let mut bytes = [0u8; KEY_BYTES];
        bytes[..key.len()].copy_from_slice(key);
        let at = self.slot_of(key, tag);
        let old = self.slots[at].replace(Slot {
            len: key.len() as u8,
            key: bytes,
            tag,
            value,
        });
        old.map(|slot| slot.value)
    }

    /// Every value kept, to change.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.slots.iter_mut().flatten().map(|slot| &mut slot.value)
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

impl<V> std::fmt::Debug for Recent<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recent")
            .field("slots", &self.slots.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_value_changes_in_place_and_one_taken_over_is_given_back() {
        let mut recent = Recent::new(1);
        assert_eq!(recent.slots.len(), 2);
        assert_eq!(recent.put(b"10.0.0.1", 0, (1u32, 0u32)), None);
        *recent.get_mut(b"10.0.0.1", 0).unwrap() = (1, 5);
        assert!(recent.get_mut(b"10.0.0.2", 0).is_none());
        assert_eq!(recent.get(b"10.0.0.1", 0), Some((1, 5)));
        // Three keys in two slots: some key takes another's slot over and
        // gives its value back; every value is in a slot or given back.
        let mut given_back: Vec<(u32, u32)> = Vec::new();
        given_back.extend(recent.put(b"10.0.0.2", 0, (2, 0)));
        given_back.extend(recent.put(b"10.0.0.3", 0, (3, 0)));
        assert!(!given_back.is_empty());
        let mut all: Vec<(u32, u32)> = recent.values_mut().map(|v| *v).collect();
        all.extend(given_back);
        all.sort();
        assert_eq!(all, [(1, 5), (2, 0), (3, 0)]);
    }
}
