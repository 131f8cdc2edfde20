//! Pairs of ids numbered once: visitors (client, agent) and entries
//! (referrer, query).

use hashbrown::HashMap;

/// Pairs of ids numbered in insertion order: visitors (client, agent) and
/// entries (referrer, query), run-wide or of one chunk.
///
/// Nearly every client is seen with one user agent, and nearly every
/// referrer with one query (none): the first pair of each first id is kept
/// beside that id's own record (a [`FirstPair`] in the client's or the
/// referrer's entry, which the caller has just looked up anyway), and only
/// later pairs go to the hash map. That spares most pairs a probe of a
/// table too large for the cache.
#[derive(Debug, Clone, Default)]
pub struct PairMap {
    /// Pairs that are not the first of their first id.
    ids: HashMap<u64, u32>,
    pub(super) pairs: Vec<(u32, u32)>,
}

/// The first pair a first id was interned with: its second id and the
/// pair's id. `id` is `u32::MAX` until then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstPair {
    second: u32,
    id: u32,
}

impl Default for FirstPair {
    fn default() -> Self {
        FirstPair {
            second: u32::MAX,
            id: u32::MAX,
        }
    }
}

impl PairMap {
    pub(super) fn with_capacity(n: usize) -> Self {
        PairMap {
            ids: HashMap::with_capacity(n / 8),
            pairs: Vec::with_capacity(n),
        }
    }

    /// The id of `pair`, numbered anew if it is new. `first` must be the
    /// [`FirstPair`] of `pair.0`, the same one every time: every pair of
    /// a map is interned this way.
    #[inline]
    pub fn intern(&mut self, pair: (u32, u32), first: &mut FirstPair) -> u32 {
        if first.second == pair.1 && first.id != u32::MAX {
            return first.id;
        }
        let next = self.pairs.len() as u32;
        if first.id == u32::MAX {
            *first = FirstPair {
                second: pair.1,
                id: next,
            };
            self.pairs.push(pair);
            return next;
        }
        let id = *self
            .ids
            .entry((pair.0 as u64) << 32 | pair.1 as u64)
            .or_insert(next);
        if id == next {
            self.pairs.push(pair);
        }
        id
    }

    pub fn pair(&self, id: u32) -> (u32, u32) {
        self.pairs[id as usize]
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

impl PartialEq for PairMap {
    fn eq(&self, o: &Self) -> bool {
        self.pairs == o.pairs
    }
}

impl Eq for PairMap {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_numbered_once_whether_first_of_their_first_id_or_not() {
        let mut map = PairMap::default();
        let mut firsts = [FirstPair::default(); 3];
        let pairs = [
            (1, 5),
            (1, 5),
            (1, 6),
            (2, 5),
            (1, 6),
            (2, 7),
            (1, 5),
            (2, 7),
        ];
        let ids: Vec<u32> = pairs
            .iter()
            .map(|&p| map.intern(p, &mut firsts[p.0 as usize]))
            .collect();
        assert_eq!(ids, vec![0, 0, 1, 2, 1, 3, 0, 3]);
        assert_eq!(map.len(), 4);
        for (&p, &id) in pairs.iter().zip(&ids) {
            assert_eq!(map.pair(id), p);
        }
    }
}
