//! A hash map keyed by byte strings from the log (paths, methods, user
//! agents, clients, referrers), built for the per-line lookup of the hot
//! path: the key is hashed once, the hash is kept in the entry (growing
//! the table or merging partial maps never hashes a key again), and keys
//! are compared inline rather than through a `memcmp` call, which cost
//! more than the comparison itself for the short keys of access logs.

use std::fmt;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use foldhash::fast::FixedState;
use hashbrown::hash_table::Entry as TableEntry;
use hashbrown::HashTable;

/// One seed for the whole process, so that the hashes stored in partial
/// maps built on different threads agree when the maps are merged. It is
/// random, so that a hostile log cannot be written to collide.
pub(crate) fn hasher() -> FixedState {
    static SEED: OnceLock<u64> = OnceLock::new();
    FixedState::with_seed(
        *SEED.get_or_init(|| std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64)),
    )
}

/// The hash every map of this crate keys byte strings by.
#[inline]
pub fn hash_of(key: &[u8]) -> u64 {
    hasher().hash_one(key)
}

#[derive(Clone)]
struct Entry<V> {
    hash: u64,
    key: Box<[u8]>,
    value: V,
}

/// Keys are numbered in insertion order: the id of a key is its index in
/// `entries`, so records can refer to a key by a `u32` instead of a copy,
/// and the hash table itself holds only ids (four bytes a slot, which keeps
/// it in cache while the log streams through).
#[derive(Clone)]
pub struct BytesMap<V> {
    index: HashTable<u32>,
    entries: Vec<Entry<V>>,
}

impl<V> Default for BytesMap<V> {
    fn default() -> Self {
        BytesMap {
            index: HashTable::new(),
            entries: Vec::new(),
        }
    }
}

impl<V> BytesMap<V> {
    /// The value of `key`, inserted as `V::default()` if it is new. The key
    /// is copied only then.
    #[inline]
    pub fn get_or_default(&mut self, key: &[u8]) -> &mut V
    where
        V: Default,
    {
        self.intern(key).1
    }

    /// The id and value of `key`, inserted as `V::default()` if it is new.
    #[inline]
    pub fn intern(&mut self, key: &[u8]) -> (u32, &mut V)
    where
        V: Default,
    {
        self.intern_hashed(hash_of(key), key)
    }

    /// [`intern`](Self::intern) with the key's [`hash_of`] already known
    /// (the page views of a chunk are first interned chunk by chunk, and
    /// the hash taken there serves here too).
    #[inline]
    pub fn intern_hashed(&mut self, hash: u64, key: &[u8]) -> (u32, &mut V)
    where
        V: Default,
    {
        let entries = &self.entries;
        let found = self.index.entry(hash, is_key(entries, hash, key), |&i| {
            entries[i as usize].hash
        });
        let id = match found {
            TableEntry::Occupied(o) => *o.get(),
            TableEntry::Vacant(v) => {
                let id = self.entries.len() as u32;
                self.entries.push(Entry {
                    hash,
                    key: key.into(),
                    value: V::default(),
                });
                v.insert(id);
                id
            }
        };
        (id, &mut self.entries[id as usize].value)
    }

    /// [`intern`](Self::intern), first trying the id in `last`, which it
    /// then updates: in a log, a field often repeats the line before's (a
    /// page and its assets share a user agent, a client, a referrer), and
    /// one comparison with a stored key is cheaper than hashing and probing
    /// a table that does not fit in cache. `last` starts as `u32::MAX`.
    #[inline]
    pub fn intern_after(&mut self, key: &[u8], last: &mut u32) -> (u32, &mut V)
    where
        V: Default,
    {
        if let Some(e) = self.entries.get(*last as usize) {
            if bytes_eq(&e.key, key) {
                return (*last, &mut self.entries[*last as usize].value);
            }
        }
        let (id, _) = self.intern(key);
        *last = id;
        (id, &mut self.entries[id as usize].value)
    }

    /// [`intern`](Self::intern) for long keys that take turns, such as
    /// user agents: a line's agent is the line before's only a third of the
    /// time, but nearly always one of the last few. `recent` remembers an
    /// id per [`fingerprint`] of a few bytes of the key, tried as
    /// [`intern_after`](Self::intern_after) tries its one: without hashing
    /// all of the key (150 bytes for a browser's agent) or probing the
    /// table. Equality is checked in full, so a fingerprint that two keys
    /// share costs time, never a wrong id.
    #[inline]
    pub fn intern_recent(&mut self, key: &[u8], recent: &mut RecentIds) -> (u32, &mut V)
    where
        V: Default,
    {
        self.intern_after(key, &mut recent.0[fingerprint(key)])
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        Some(&self.entries[self.id(key)? as usize].value)
    }

    /// The id of `key`, if it is in the map.
    #[inline]
    pub fn id(&self, key: &[u8]) -> Option<u32> {
        let hash = hash_of(key);
        self.index
            .find(hash, is_key(&self.entries, hash, key))
            .copied()
    }

    /// [`id`](Self::id), first trying `last`, as
    /// [`intern_after`](Self::intern_after) does: for a second reading of
    /// the log, once the map is complete.
    #[inline]
    pub fn id_after(&self, key: &[u8], last: &mut u32) -> Option<u32> {
        if let Some(e) = self.entries.get(*last as usize) {
            if bytes_eq(&e.key, key) {
                return Some(*last);
            }
        }
        let id = self.id(key)?;
        *last = id;
        Some(id)
    }

    /// [`id`](Self::id) for long keys that take turns, as
    /// [`intern_recent`](Self::intern_recent) finds them.
    #[inline]
    pub fn id_recent(&self, key: &[u8], recent: &mut RecentIds) -> Option<u32> {
        self.id_after(key, &mut recent.0[fingerprint(key)])
    }

    /// The key of an id this map gave out.
    pub fn key(&self, id: u32) -> &[u8] {
        &self.entries[id as usize].key
    }

    pub fn value(&self, id: u32) -> &V {
        &self.entries[id as usize].value
    }

    pub fn value_mut(&mut self, id: u32) -> &mut V {
        &mut self.entries[id as usize].value
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Keys and values in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.entries.iter().map(|e| (&e.key[..], &e.value))
    }

    /// Adds `other` into `self`, combining the values of keys in both.
    /// Returns, for each id of `other`, the id its key has in `self` now,
    /// so that records holding ids of `other` can be rewritten. Stored
    /// hashes spare rehashing `other`'s keys.
    pub fn merge(&mut self, other: BytesMap<V>, mut combine: impl FnMut(&mut V, V)) -> Vec<u32> {
        let mut remap = Vec::with_capacity(other.entries.len());
        for e in other.entries {
            let found = self
                .index
                .find(e.hash, is_key(&self.entries, e.hash, &e.key));
            let id = match found {
                Some(&id) => {
                    combine(&mut self.entries[id as usize].value, e.value);
                    id
                }
                None => {
                    let id = self.entries.len() as u32;
                    let hash = e.hash;
                    self.entries.push(e);
                    let entries = &self.entries;
                    self.index
                        .insert_unique(hash, id, |&i| entries[i as usize].hash);
                    id
                }
            };
            remap.push(id);
        }
        remap
    }
}

/// Ids of recently seen keys, by [`fingerprint`]: see
/// [`BytesMap::intern_recent`]. `u32::MAX` is no id.
#[derive(Debug, Clone)]
pub struct RecentIds([u32; RECENT_SLOTS]);

const RECENT_SLOTS: usize = 256;

impl Default for RecentIds {
    fn default() -> Self {
        RecentIds([u32::MAX; RECENT_SLOTS])
    }
}

/// A slot of [`RecentIds`] from the length and two words of the key: its
/// end and its middle, where user agents differ most (version numbers,
/// device names); their starts are nearly all `Mozilla/5.0 (`.
#[inline]
fn fingerprint(key: &[u8]) -> usize {
    let n = key.len();
    let word = |at: usize| u64::from_le_bytes(*key[at..].first_chunk::<8>().unwrap_or(&[0; 8]));
    let mixed = if n >= 16 {
        word(n - 8) ^ word(n / 2 - 4).rotate_left(29) ^ n as u64
    } else {
        key.iter().fold(n as u64, |h, &b| h << 5 ^ b as u64)
    };
    (mixed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - RECENT_SLOTS.trailing_zeros())) as usize
}

/// The probe of the index: does the id stand for `key`, whose hash is
/// `hash`? Comparing stored hashes first spares most key comparisons.
fn is_key<'a, V>(entries: &'a [Entry<V>], hash: u64, key: &'a [u8]) -> impl Fn(&u32) -> bool + 'a {
    move |&i| {
        let e = &entries[i as usize];
        e.hash == hash && bytes_eq(&e.key, key)
    }
}

/// Byte-string equality. Short keys (paths, addresses) are compared
/// inline, eight bytes at a time: a `memcmp` call cost more than the
/// comparison. Long ones (user agents) go to `memcmp`, which is vectorised.
#[inline(always)]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() > 32 {
        return a == b;
    }
    let (mut a, mut b) = (a, b);
    while let (Some((x, ra)), Some((y, rb))) =
        (a.split_first_chunk::<8>(), b.split_first_chunk::<8>())
    {
        if x != y {
            return false;
        }
        (a, b) = (ra, rb);
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

impl<V: PartialEq> PartialEq for BytesMap<V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<V: Eq> Eq for BytesMap<V> {}

impl<V: fmt::Debug> fmt::Debug for BytesMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, v)| (String::from_utf8_lossy(k), v)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_key() {
        let mut m: BytesMap<u64> = BytesMap::default();
        for k in [
            &b"/a"[..],
            b"/b",
            b"/a",
            b"",
            b"/a/long/path/over/sixteen/bytes",
            b"/a",
        ] {
            *m.get_or_default(k) += 1;
        }
        assert_eq!(m.len(), 4);
        assert_eq!(m.get(b"/a"), Some(&3));
        assert_eq!(m.get(b""), Some(&1));
        assert_eq!(m.get(b"/a/long/path/over/sixteen/bytes"), Some(&1));
        assert_eq!(m.get(b"/a/long/path/over/sixteen/bytez"), None);
        assert_eq!(m.get(b"/c"), None);
        // Ids are given in insertion order.
        assert_eq!(m.intern(b"/b").0, 1);
        assert_eq!(m.key(3), b"/a/long/path/over/sixteen/bytes");
    }

    #[test]
    fn merge_adds_and_keeps_both_sides() {
        let (mut a, mut b): (BytesMap<u64>, BytesMap<u64>) = Default::default();
        *a.get_or_default(b"x") += 1;
        *a.get_or_default(b"y") += 2;
        for k in [&b"y"[..], b"z", b"w"] {
            *b.get_or_default(k) += 10;
        }
        let remap = a.merge(b, |v, o| *v += o);
        // b's ids were y=0, z=1, w=2; y was a's id 1, z and w are new.
        assert_eq!(remap, vec![1, 2, 3]);
        assert_eq!((a.key(2), a.key(3)), (&b"z"[..], &b"w"[..]));
        let mut all: Vec<(Vec<u8>, u64)> = a.iter().map(|(k, v)| (k.to_vec(), *v)).collect();
        all.sort();
        assert_eq!(
            all,
            vec![
                (b"w".to_vec(), 10),
                (b"x".to_vec(), 1),
                (b"y".to_vec(), 12),
                (b"z".to_vec(), 10)
            ]
        );
    }

    #[test]
    fn recent_ids_give_the_id_of_the_key_whatever_its_slot_held() {
        let mut m: BytesMap<u64> = BytesMap::default();
        let mut recent = RecentIds::default();
        // Many more keys than slots, long and short, and keys that differ
        // only where the fingerprint does not look (their start).
        let keys: Vec<Vec<u8>> = (0..300)
            .map(|i| match i % 3 {
                0 => format!("{i:03}Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0").into_bytes(),
                1 => format!("a{i}").into_bytes(),
                _ => {
                    format!("Mozilla/5.0 (iPhone; CPU iPhone OS 17_{i} like Mac OS X)").into_bytes()
                }
            })
            .collect();
        for round in 0..3 {
            for (i, k) in keys.iter().enumerate().rev() {
                let (id, hits) = m.intern_recent(k, &mut recent);
                *hits += 1;
                assert_eq!(m.key(id), &k[..], "round {round} key {i}");
            }
        }
        assert_eq!(m.len(), keys.len());
        assert!(m.iter().all(|(_, &hits)| hits == 3));
    }

    #[test]
    fn equality_of_byte_strings() {
        let words: [&[u8]; 6] = [
            b"",
            b"a",
            b"abcdefgh",
            b"abcdefgi",
            b"abcdefghijklmnopq",
            b"abcdefghijklmnopr",
        ];
        for x in words {
            for y in words {
                assert_eq!(bytes_eq(x, y), x == y);
            }
        }
    }
}
