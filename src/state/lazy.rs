//! The containers a state's days are made of: saved as lists and read
//! back as lists, made hash maps only when their day is written to
//! again. A run that finds a few new lines writes to one day; the other
//! days it only reads, and rebuilding their hash maps would cost more
//! than the rest of the run.

use hashbrown::HashMap;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use crate::aggregate::bytes_map::BytesMap;

/// A map saved as a list of pairs and read back as that list: it is made
/// a hash map only when its day is written to again. A run that finds a
/// few new lines writes to one day; the other days it only reads, and
/// rebuilding their hash maps would cost more than the rest of the run.
pub enum Lazy<K, V> {
    List(Vec<(K, V)>),
    Map(HashMap<K, V>),
}

impl<K, V> Default for Lazy<K, V> {
    fn default() -> Self {
        Lazy::List(Vec::new())
    }
}

impl<K: Hash + Eq, V> Lazy<K, V> {
    /// The map, to write to.
    pub fn map(&mut self) -> &mut HashMap<K, V> {
        if let Lazy::List(list) = self {
            *self = Lazy::Map(std::mem::take(list).into_iter().collect());
        }
        match self {
            Lazy::Map(map) => map,
            Lazy::List(_) => unreachable!("made a map just above"),
        }
    }

    /// The pairs, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        let (list, map) = match self {
            Lazy::List(list) => (Some(list.iter().map(|(k, v)| (k, v))), None),
            Lazy::Map(map) => (None, Some(map.iter())),
        };
        list.into_iter().flatten().chain(map.into_iter().flatten())
    }

    pub fn len(&self) -> usize {
        match self {
            Lazy::List(list) => list.len(),
            Lazy::Map(map) => map.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K: Serialize + Hash + Eq, V: Serialize> Serialize for Lazy<K, V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        sized_seq(s, self.len(), self.iter())
    }
}

/// A sequence of `len` items: postcard writes the length first, so it
/// must be known (a chain of iterators does not say it exactly).
fn sized_seq<S: serde::Serializer, T: Serialize>(
    s: S,
    len: usize,
    items: impl Iterator<Item = T>,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(len))?;
    for item in items {
        seq.serialize_element(&item)?;
    }
    seq.end()
}

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Lazy<K, V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Lazy::List(Vec::deserialize(d)?))
    }
}

impl<K, V> std::fmt::Debug for Lazy<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = match self {
            Lazy::List(l) => l.len(),
            Lazy::Map(m) => m.len(),
        };
        write!(f, "Lazy({n} pairs)")
    }
}

/// Byte strings from the log (paths, hosts) numbered in order of first
/// sight, so that pairs can refer to them by number. Saved as the list of
/// keys and values, read back as that list (a key's number is its place
/// in it), and indexed by hash only when its day is written to again.
pub enum Table<V> {
    List(Vec<(Vec<u8>, V)>),
    Map(BytesMap<V>),
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Table::List(Vec::new())
    }
}

impl<V: Default> Table<V> {
    /// The map, to write to; numbers stay as they were.
    pub fn map(&mut self) -> &mut BytesMap<V> {
        if let Table::List(list) = self {
            let mut map = BytesMap::default();
            for (key, value) in std::mem::take(list) {
                *map.intern(&key).1 = value;
            }
            *self = Table::Map(map);
        }
        match self {
            Table::Map(map) => map,
            Table::List(_) => unreachable!("made a map just above"),
        }
    }
}

impl<V> Table<V> {
    /// Keys and values in the order of their numbers.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        let (list, map) = match self {
            Table::List(list) => (Some(list.iter().map(|(k, v)| (&k[..], v))), None),
            Table::Map(map) => (None, Some(map.iter())),
        };
        list.into_iter().flatten().chain(map.into_iter().flatten())
    }

    pub fn len(&self) -> usize {
        match self {
            Table::List(list) => list.len(),
            Table::Map(map) => map.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<V: Serialize> Serialize for Table<V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        sized_seq(s, self.len(), self.iter())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Table<V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Table::List(Vec::deserialize(d)?))
    }
}

impl<V> std::fmt::Debug for Table<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Table({} keys)", self.len())
    }
}
