//! The days of a state, each saved as its own block of bytes.
//!
//! A run that finds a few new lines writes to one day, perhaps two (the
//! day of the new lines, the day a closed visit began on); the others it
//! only reads. So each day keeps the bytes it was read from, and a save
//! writes those bytes back unchanged instead of encoding the day again; a
//! day given out for writing ([`DayMap::get_mut`], [`DayMap::entry`])
//! forgets them, so what is saved is always what the day holds. Blocks
//! are decoded and encoded in parallel, one day a task.
//!
//! A state read by [`super::file`] lends the days the bytes it was read
//! from, its file's map ([`with_payload`]): a day's bytes are then a range
//! of it, not a copy (the copies were a second state's worth of memory to
//! fault in). Days read from a state are read for a report: their
//! (page, visitor) pairs and their visitors counted as they are decoded
//! ([`super::page_pairs`], [`super::day_visitors`]); a day given out for
//! writing is decoded again from its bytes, pairs and all.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use super::day_visitors::DayVisitors;
use super::model::Day;
use super::page_pairs::{self, PagePairs};

/// One day and, while it is unchanged since it was read or saved, its
/// bytes.
#[derive(Debug, Default)]
struct Slot {
    day: Day,
    saved: Option<Saved>,
}

impl Slot {
    /// The day, to write to: decoded again with its (page, visitor) pairs
    /// and visitors if it was read without them (see
    /// [`super::page_pairs`]), and
    /// without saved bytes from now on.
    fn for_writing(&mut self) -> &mut Day {
        let counted = matches!(self.day.page_pairs, PagePairs::Counted(_))
            || matches!(self.day.visitors, DayVisitors::Counted(_));
        if let (true, Some(saved)) = (counted, &self.saved) {
            // The same bytes decoded before; pairs and visitors kept now.
            if let Ok(day) = postcard::from_bytes::<Day>(saved.bytes()) {
                self.day = day;
            }
        }
        self.saved = None;
        &mut self.day
    }
}

/// The bytes a day was read from: its own, or a range of the buffer the
/// whole state was read into.
#[derive(Debug)]
enum Saved {
    Own(Vec<u8>),
    Lent(Arc<Payload>, Range<usize>),
}

/// The bytes a whole state was read from: read into memory, or mapped.
#[derive(Debug)]
pub enum Payload {
    Read(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for Payload {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Payload::Read(bytes) => bytes,
            Payload::Mapped(map) => map,
        }
    }
}

impl Saved {
    fn bytes(&self) -> &[u8] {
        match self {
            Saved::Own(bytes) => bytes,
            Saved::Lent(buffer, range) => &buffer[range.clone()],
        }
    }
}

thread_local! {
    /// The buffer a state is being read from, while [`with_payload`] runs.
    static PAYLOAD: RefCell<Option<Arc<Payload>>> = const { RefCell::new(None) };
}

/// Runs `read` (which decodes from `payload`) with `payload` lent to the
/// days read on this thread: each keeps a range of it instead of a copy.
pub fn with_payload<T>(payload: &Arc<Payload>, read: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            PAYLOAD.with(|p| *p.borrow_mut() = None);
        }
    }
    PAYLOAD.with(|p| *p.borrow_mut() = Some(Arc::clone(payload)));
    let _reset = Reset;
    read()
}

/// `bytes` as a range of the lent buffer if they lie in it, else a copy.
fn keep(bytes: &[u8]) -> Saved {
    PAYLOAD.with(|p| {
        if let Some(buffer) = &*p.borrow() {
            // Where the bytes lie, by address: a slice that starts and
            // ends inside the buffer is that part of it.
            let base = buffer.as_ptr() as usize;
            let at = bytes.as_ptr() as usize;
            if at >= base && at + bytes.len() <= base + buffer.len() {
                let start = at - base;
                return Saved::Lent(Arc::clone(buffer), start..start + bytes.len());
            }
        }
        Saved::Own(bytes.to_vec())
    })
}

/// Days by their start (Unix time of midnight in the report zone).
#[derive(Debug, Default)]
pub struct DayMap {
    slots: BTreeMap<i64, Slot>,
}

impl DayMap {
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn get(&self, start: &i64) -> Option<&Day> {
        self.slots.get(start).map(|s| &s.day)
    }

    /// A day to write to: its saved bytes no longer describe it.
    pub fn get_mut(&mut self, start: &i64) -> Option<&mut Day> {
        self.slots.get_mut(start).map(Slot::for_writing)
    }

    /// The day starting at `start`, made empty if new, to write to.
    pub fn entry(&mut self, start: i64) -> &mut Day {
        self.slots.entry(start).or_default().for_writing()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&i64, &Day)> {
        self.slots.iter().map(|(k, s)| (k, &s.day))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &i64> {
        self.slots.keys()
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Day> {
        self.slots.values().map(|s| &s.day)
    }

    /// The days in parallel, in no particular order.
    pub fn par_values(&self) -> impl ParallelIterator<Item = &Day> {
        self.slots.par_iter().map(|(_, s)| &s.day)
    }

    /// Drops the days before `first`.
    pub fn drop_before(&mut self, first: i64) {
        self.slots = self.slots.split_off(&first);
    }

    /// How many days would be encoded anew by a save (for tests).
    pub fn changed(&self) -> usize {
        self.slots.values().filter(|s| s.saved.is_none()).count()
    }
}

impl<'a> IntoIterator for &'a DayMap {
    type Item = (&'a i64, &'a Day);
    type IntoIter = Box<dyn DoubleEndedIterator<Item = (&'a i64, &'a Day)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl std::ops::Index<&i64> for DayMap {
    type Output = Day;
    fn index(&self, start: &i64) -> &Day {
        &self.slots[start].day
    }
}

/// Bytes written as one postcard byte string (a length, then the bytes),
/// not as a sequence of numbers.
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

impl Serialize for DayMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Changed days are encoded first, in parallel; the others keep
        // the bytes they were read from.
        let fresh: Vec<(i64, Vec<u8>)> = self
            .slots
            .par_iter()
            .filter(|(_, slot)| slot.saved.is_none())
            .map(|(&start, slot)| postcard::to_stdvec(&slot.day).map(|b| (start, b)))
            .collect::<Result<_, _>>()
            .map_err(serde::ser::Error::custom)?;
        let mut fresh = fresh.into_iter().peekable();
        let mut seq = s.serialize_seq(Some(self.slots.len()))?;
        for (&start, slot) in &self.slots {
            let bytes: &[u8] = match &slot.saved {
                Some(saved) => saved.bytes(),
                None => match fresh.peek() {
                    Some((k, b)) if *k == start => b,
                    _ => return Err(serde::ser::Error::custom("a changed day was not encoded")),
                },
            };
            seq.serialize_element(&(start, Bytes(bytes)))?;
            if slot.saved.is_none() {
                fresh.next();
            }
        }
        seq.end()
    }
}

/// A byte string read back: borrowed from the input where it can be (a
/// range of a lent buffer), copied where not.
struct Block(Saved);

impl<'de> Deserialize<'de> for Block {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Block;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("the bytes of a day")
            }
            fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Block, E> {
                Ok(Block(keep(v)))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Block, E> {
                Ok(Block(Saved::Own(v.to_vec())))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Block, E> {
                Ok(Block(Saved::Own(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Block, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = seq.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(Block(Saved::Own(out)))
            }
        }
        d.deserialize_bytes(V)
    }
}

impl<'de> Deserialize<'de> for DayMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let blocks: Vec<(i64, Block)> = Vec::deserialize(d)?;
        let slots: Vec<(i64, Slot)> = blocks
            .into_par_iter()
            .map(|(start, Block(bytes))| {
                // Read to be reported on: see `Slot::for_writing`.
                let raw = bytes.bytes();
                page_pairs::counting(raw.len(), || postcard::from_bytes::<Day>(raw)).map(|day| {
                    (
                        start,
                        Slot {
                            day,
                            saved: Some(bytes),
                        },
                    )
                })
            })
            .collect::<Result<_, _>>()
            .map_err(de::Error::custom)?;
        let len = slots.len();
        let map: BTreeMap<i64, Slot> = slots.into_iter().collect();
        if map.len() != len {
            return Err(de::Error::custom("a day is there twice"));
        }
        Ok(DayMap { slots: map })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 1_714_521_600;

    fn day_with_hits(hits: u64) -> Day {
        let mut day = Day::default();
        day.total.hits = hits;
        day.first = DAY;
        day.last = DAY + 10;
        day
    }

    #[test]
    fn unchanged_days_are_saved_as_they_were_read() {
        let mut map = DayMap::default();
        *map.entry(DAY) = day_with_hits(3);
        *map.entry(DAY + 86_400) = day_with_hits(5);
        assert_eq!(map.changed(), 2);
        let bytes = postcard::to_stdvec(&map).unwrap();
        let mut back: DayMap = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back.changed(), 0);
        assert_eq!(back[&DAY].total.hits, 3);
        assert_eq!(back[&(DAY + 86_400)].total.hits, 5);
        // Saved again untouched: the same bytes.
        assert_eq!(postcard::to_stdvec(&back).unwrap(), bytes);
        // One day written to: only it is encoded anew, and what is saved
        // is what it now holds.
        back.get_mut(&(DAY + 86_400)).unwrap().total.hits = 8;
        assert_eq!(back.changed(), 1);
        let again: DayMap = postcard::from_bytes(&postcard::to_stdvec(&back).unwrap()).unwrap();
        assert_eq!(again[&DAY].total.hits, 3);
        assert_eq!(again[&(DAY + 86_400)].total.hits, 8);
        assert_eq!(
            again.keys().copied().collect::<Vec<_>>(),
            [DAY, DAY + 86_400]
        );
    }

    #[test]
    fn a_new_day_between_saved_ones_keeps_the_order() {
        let mut map = DayMap::default();
        *map.entry(DAY) = day_with_hits(1);
        *map.entry(DAY + 2 * 86_400) = day_with_hits(3);
        let mut back: DayMap = postcard::from_bytes(&postcard::to_stdvec(&map).unwrap()).unwrap();
        *back.entry(DAY + 86_400) = day_with_hits(2);
        let mut again: DayMap = postcard::from_bytes(&postcard::to_stdvec(&back).unwrap()).unwrap();
        let hits: Vec<u64> = again.values().map(|d| d.total.hits).collect();
        assert_eq!(hits, [1, 2, 3]);
        again.drop_before(DAY + 86_400);
        let hits: Vec<u64> = again.values().map(|d| d.total.hits).collect();
        assert_eq!(hits, [2, 3]);
    }

    #[test]
    fn days_read_from_a_lent_buffer_keep_ranges_of_it() {
        let mut map = DayMap::default();
        *map.entry(DAY) = day_with_hits(3);
        *map.entry(DAY + 86_400) = day_with_hits(5);
        let bytes = Arc::new(Payload::Read(postcard::to_stdvec(&map).unwrap()));
        let lent: DayMap = with_payload(&bytes, || postcard::from_bytes(&bytes)).unwrap();
        assert!(lent
            .slots
            .values()
            .all(|s| matches!(s.saved, Some(Saved::Lent(..)))));
        assert_eq!(postcard::to_stdvec(&lent).unwrap(), bytes[..]);
        // Lent no longer: read as copies.
        let copied: DayMap = postcard::from_bytes(&bytes).unwrap();
        assert!(copied
            .slots
            .values()
            .all(|s| matches!(s.saved, Some(Saved::Own(_)))));
        // Other bytes than the lent buffer's are copied too.
        let other = bytes.to_vec();
        let copied: DayMap = with_payload(&bytes, || postcard::from_bytes(&other)).unwrap();
        assert!(matches!(copied.slots[&DAY].saved, Some(Saved::Own(_))));
        assert_eq!(copied[&(DAY + 86_400)].total.hits, 5);
    }

    #[test]
    fn a_day_twice_or_damaged_is_an_error() {
        let day = postcard::to_stdvec(&day_with_hits(1)).unwrap();
        let twice = postcard::to_stdvec(&vec![(DAY, Bytes(&day)), (DAY, Bytes(&day))]).unwrap();
        assert!(postcard::from_bytes::<DayMap>(&twice).is_err());
        let damaged = postcard::to_stdvec(&vec![(DAY, Bytes(&day[..day.len() / 2]))]).unwrap();
        assert!(postcard::from_bytes::<DayMap>(&damaged).is_err());
    }
}
