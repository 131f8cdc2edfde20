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

    /// The pairs, taken, into any collection of pairs.
    pub fn collect<C: FromIterator<(K, V)>>(self) -> C {
        match self {
            Lazy::List(list) => list.into_iter().collect(),
            Lazy::Map(map) => map.into_iter().collect(),
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

/// A table read straight into its map, for tables always written to once
/// read: each key is borrowed from the input and copied once, into the
/// map, rather than into a list first.
pub fn table_as_map<'de, D, V>(d: D) -> Result<Table<V>, D::Error>
where
    D: serde::Deserializer<'de>,
    V: Deserialize<'de> + Default,
{
    use serde::de::{SeqAccess, Visitor};
    struct Entries<V>(std::marker::PhantomData<V>);
    impl<'de, V: Deserialize<'de> + Default> Visitor<'de> for Entries<V> {
        type Value = Table<V>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a table of keys and values")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Table<V>, A::Error> {
            let mut map = BytesMap::default();
            while let Some((KeyBytes(key), value)) = seq.next_element::<(KeyBytes<'de>, V)>()? {
                let before = map.len();
                let (id, slot) = map.intern(&key);
                *slot = value;
                // A key twice would renumber the keys after it: damage.
                if id as usize != before {
                    return Err(serde::de::Error::custom("a key is there twice"));
                }
            }
            Ok(Table::Map(map))
        }
    }
    d.deserialize_seq(Entries(std::marker::PhantomData))
}

/// A key saved as a list of bytes (postcard writes a byte list and a byte
/// string alike), borrowed where the input allows.
struct KeyBytes<'a>(std::borrow::Cow<'a, [u8]>);

impl<'de> Deserialize<'de> for KeyBytes<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{SeqAccess, Visitor};
        use std::borrow::Cow;
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyBytes<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<KeyBytes<'de>, E> {
                Ok(KeyBytes(Cow::Borrowed(v)))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<KeyBytes<'de>, E> {
                Ok(KeyBytes(Cow::Owned(v.to_vec())))
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<KeyBytes<'de>, E> {
                Ok(KeyBytes(Cow::Owned(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyBytes<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = seq.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(KeyBytes(Cow::Owned(out)))
            }
        }
        d.deserialize_bytes(V)
    }
}

impl<V> std::fmt::Debug for Table<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Table({} keys)", self.len())
    }
}
