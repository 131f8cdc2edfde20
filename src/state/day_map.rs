//! The days of a state, each saved as its own block of bytes.
//!
//! A run that finds a few new lines writes to one day, perhaps two (the
//! day of the new lines, the day a closed visit began on); the others it
//! only reads. So each day keeps the bytes it was read from, and a save
//! writes those bytes back unchanged instead of encoding the day again; a
//! day given out for writing ([`DayMap::get_mut`], [`DayMap::entry`])
//! forgets them, so what is saved is always what the day holds. Blocks
//! are decoded and encoded in parallel, one day a task, and decoded only
//! when needed: a load decodes the days the saved sums of the settled
//! days ([`Summary`], see [`super::settled`]) do not stand for, a run the
//! others only if it writes to them or the summary no longer holds.
//!
//! A state read by [`super::file`] lends the days the bytes it was read
//! from, its file's map ([`with_payload`]): a day's bytes are then a range
//! of it, not a copy (the copies were a second state's worth of memory to
//! fault in). Days read from a state are read for a report: their
//! (page, visitor) pairs and their visitors counted as they are decoded
//! ([`super::page_pairs`], [`super::day_visitors`]); a day given out for
//! writing is decoded again from its bytes, pairs and all.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use super::day_visitors::DayVisitors;
use super::model::Day;
use super::page_pairs::{self, PagePairs};

/// One day and, while it is unchanged since it was read or saved, its
/// bytes. A day read from a state is decoded on first use: a day that
/// the saved sums of the settled days ([`Summary`]) stand for is not
/// decoded at all by a run that only reports on it.
#[derive(Debug)]
struct Slot {
    day: OnceLock<Day>,
    saved: Option<Saved>,
    /// Whether the state's [`Summary`] counts the day as it is.
    summed: bool,
}

impl Default for Slot {
    fn default() -> Self {
        Slot {
            day: OnceLock::from(Day::default()),
            saved: None,
            summed: false,
        }
    }
}

impl Slot {
    /// The day, decoded from its bytes on first use as a report reads it
    /// (see [`super::page_pairs`]). Bytes that do not decode (which the
    /// state's checksum makes all but impossible) give an empty day and
    /// mark the map damaged: a run checks [`DayMap::damaged`] before it
    /// saves or reports.
    fn day(&self, damaged: &AtomicBool) -> &Day {
        self.day.get_or_init(
            || match self.saved.as_ref().map(|s| read_for_report(s.bytes())) {
                Some(Ok(day)) => day,
                _ => {
                    damaged.store(true, Ordering::Relaxed);
                    Day::default()
                }
            },
        )
    }

    /// The day, to write to: decoded (again) with its (page, visitor)
    /// pairs and visitors if it was not, or was read without them (see
    /// [`super::page_pairs`]), and without saved bytes from now on.
    fn for_writing(&mut self, damaged: &AtomicBool) -> &mut Day {
        let counted = self.day.get().is_none_or(|day| {
            matches!(day.page_pairs, PagePairs::Counted(_))
                || matches!(day.visitors, DayVisitors::Counted(_))
        });
        if counted {
            let day = match &self.saved {
                Some(saved) => postcard::from_bytes::<Day>(saved.bytes())
                    .map_err(|e| e.to_string())
                    .and_then(|day| day.validate().map(|()| day)),
                None => Err("a day without bytes".into()),
            };
            self.day = OnceLock::from(day.unwrap_or_else(|_| {
                damaged.store(true, Ordering::Relaxed);
                Day::default()
            }));
        }
        self.saved = None;
        self.summed = false;
        self.day.get_or_init(Day::default);
        match self.day.get_mut() {
            Some(day) => day,
            None => unreachable!("set just above"),
        }
    }
}

/// A day decoded to be reported on, and checked.
fn read_for_report(raw: &[u8]) -> Result<Day, String> {
    let day = page_pairs::counting(raw.len(), || postcard::from_bytes::<Day>(raw))
        .map_err(|e| e.to_string())?;
    day.validate()?;
    Ok(day)
}

/// The saved sums of the settled days (see [`super::settled`]): which
/// days they count and their bytes, kept as they were read until the
/// block is made anew.
#[derive(Debug)]
pub struct Summary {
    pub covers: Vec<i64>,
    bytes: Saved,
}

impl Summary {
    pub fn bytes(&self) -> &[u8] {
        self.bytes.bytes()
    }

    /// The bytes, to read on another thread (a range of the state's
    /// map, not a copy, for a summary read with the state).
    pub fn shared(&self) -> SharedBytes {
        SharedBytes(self.bytes.clone())
    }
}

/// Bytes of a state that another thread may read.
#[derive(Debug, Clone)]
pub struct SharedBytes(Saved);

impl SharedBytes {
    pub fn bytes(&self) -> &[u8] {
        self.0.bytes()
    }
}

/// The bytes a day was read from: its own, or a range of the buffer the
/// whole state was read into.
#[derive(Debug, Clone)]
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

/// Days by their start (Unix time of midnight in the report zone), and
/// the saved sums of the settled ones.
#[derive(Debug, Default)]
pub struct DayMap {
    slots: BTreeMap<i64, Slot>,
    summary: Option<Summary>,
    /// Set when a day's bytes did not decode (see [`Slot::day`]).
    damaged: AtomicBool,
}

impl DayMap {
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn get(&self, start: &i64) -> Option<&Day> {
        self.slots.get(start).map(|s| s.day(&self.damaged))
    }

    /// A day to write to: its saved bytes no longer describe it.
    pub fn get_mut(&mut self, start: &i64) -> Option<&mut Day> {
        let damaged = &self.damaged;
        self.slots.get_mut(start).map(|s| s.for_writing(damaged))
    }

    /// The day starting at `start`, made empty if new, to write to.
    pub fn entry(&mut self, start: i64) -> &mut Day {
        let damaged = &self.damaged;
        self.slots.entry(start).or_default().for_writing(damaged)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&i64, &Day)> {
        self.slots.iter().map(|(k, s)| (k, s.day(&self.damaged)))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &i64> {
        self.slots.keys()
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Day> {
        self.slots.values().map(|s| s.day(&self.damaged))
    }

    /// The days starting at `starts` (those there), decoded in parallel
    /// where they were not yet, in the order given.
    pub fn read(&self, starts: &[i64]) -> Vec<(i64, &Day)> {
        starts
            .par_iter()
            .filter_map(|s| Some((*s, self.slots.get(s)?.day(&self.damaged))))
            .collect()
    }

    /// Decodes, in parallel and checking each, the days that the saved
    /// sums do not stand for (all of them without a summary that still
    /// holds): what a load does, so that damage is found there.
    pub fn read_unsummed(&self) -> Result<(), String> {
        self.slots
            .par_iter()
            .filter(|(_, s)| !s.summed && s.day.get().is_none())
            .try_for_each(|(_, s)| {
                let saved = s.saved.as_ref().ok_or("a day without bytes")?;
                let day = read_for_report(saved.bytes())?;
                let _ = s.day.set(day);
                Ok(())
            })
    }

    /// Whether a day's bytes failed to decode since the state was read.
    pub fn damaged(&self) -> bool {
        self.damaged.load(Ordering::Relaxed)
    }

    /// An error if a day's bytes failed to decode since the state was
    /// read: nothing read from such a state may be saved or reported.
    pub fn check_damage(&self) -> Result<(), String> {
        match self.damaged() {
            true => Err("corrupt: a day's bytes do not read as a day".into()),
            false => Ok(()),
        }
    }

    /// Drops the days before `first`.
    pub fn drop_before(&mut self, first: i64) {
        self.slots = self.slots.split_off(&first);
    }

    /// How many days would be encoded anew by a save (for tests).
    pub fn changed(&self) -> usize {
        self.slots.values().filter(|s| s.saved.is_none()).count()
    }

    /// How many days are decoded (for tests).
    pub fn decoded(&self) -> usize {
        self.slots
            .values()
            .filter(|s| s.day.get().is_some())
            .count()
    }

    /// The saved sums, while every day they count is there as they
    /// counted it.
    pub fn summary(&self) -> Option<&Summary> {
        let summary = self.summary.as_ref()?;
        let holds = summary
            .covers
            .iter()
            .all(|start| self.slots.get(start).is_some_and(|s| s.summed));
        holds.then_some(summary)
    }

    /// New saved sums, of the days starting at `covers` as they are.
    pub fn set_summary(&mut self, covers: Vec<i64>, bytes: Vec<u8>) {
        self.mark_summed(&covers);
        self.summary = Some(Summary {
            covers,
            bytes: Saved::Own(bytes),
        });
    }

    /// No saved sums any more.
    pub fn drop_summary(&mut self) {
        self.mark_summed(&[]);
        self.summary = None;
    }

    /// The days starting at `covers`, and only those, counted by the
    /// summary as they are.
    fn mark_summed(&mut self, covers: &[i64]) {
        for slot in self.slots.values_mut() {
            slot.summed = false;
        }
        for start in covers {
            if let Some(slot) = self.slots.get_mut(start) {
                slot.summed = true;
            }
        }
    }

    /// The summary read with the days: the days it counts are marked
    /// summed (and left undecoded); a summary that names a day not there
    /// is dropped.
    fn attach(&mut self, summary: Option<Summary>) {
        let Some(summary) = summary else { return };
        if summary.covers.iter().all(|s| self.slots.contains_key(s)) {
            self.mark_summed(&summary.covers);
            self.summary = Some(summary);
        }
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
        self.slots[start].day(&self.damaged)
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

/// The days, in the order of their starts, each as its bytes.
struct Days<'a>(&'a DayMap);

impl Serialize for Days<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let slots = &self.0.slots;
        // Changed days are encoded first, in parallel; the others keep
        // the bytes they were read from.
        let fresh: Vec<(i64, Vec<u8>)> = slots
            .par_iter()
            .filter(|(_, slot)| slot.saved.is_none())
            .map(|(&start, slot)| {
                postcard::to_stdvec(slot.day(&self.0.damaged)).map(|b| (start, b))
            })
            .collect::<Result<_, _>>()
            .map_err(serde::ser::Error::custom)?;
        let mut fresh = fresh.into_iter().peekable();
        let mut seq = s.serialize_seq(Some(slots.len()))?;
        for (&start, slot) in slots {
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

impl Serialize for DayMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A summary is saved only while it still counts the days as they
        // are: one that a late line or a dropped day made stale is left
        // out, and the next run sums the days again.
        let summary = self.summary().map(|m| (&m.covers, Bytes(m.bytes())));
        (Days(self), summary).serialize(s)
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

thread_local! {
    /// The format of the state being read on this thread, while
    /// [`reading_format`] runs: format 4 saved no summary.
    static FORMAT: Cell<u32> = const { Cell::new(u32::MAX) };
}

/// Runs `read` (which decodes a state of format `version`).
pub fn reading_format<T>(version: u32, read: impl FnOnce() -> T) -> T {
    struct Reset(u32);
    impl Drop for Reset {
        fn drop(&mut self) {
            FORMAT.with(|f| f.set(self.0));
        }
    }
    let _reset = Reset(FORMAT.with(|f| f.replace(version)));
    read()
}

impl<'de> Deserialize<'de> for DayMap {
    /// The days' bytes, not decoded: a load decodes those it needs
    /// ([`DayMap::read_unsummed`]), a run others on first use.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        type Saved = (Vec<(i64, Block)>, Option<(Vec<i64>, Block)>);
        let (blocks, summary): Saved = if FORMAT.with(|f| f.get()) <= 4 {
            (Vec::deserialize(d)?, None)
        } else {
            Saved::deserialize(d)?
        };
        let len = blocks.len();
        let slots: BTreeMap<i64, Slot> = blocks
            .into_iter()
            .map(|(start, Block(bytes))| {
                let slot = Slot {
                    day: OnceLock::new(),
                    saved: Some(bytes),
                    summed: false,
                };
                (start, slot)
            })
            .collect();
        if slots.len() != len {
            return Err(de::Error::custom("a day is there twice"));
        }
        let mut map = DayMap {
            slots,
            ..DayMap::default()
        };
        map.attach(summary.map(|(covers, Block(bytes))| Summary { covers, bytes }));
        Ok(map)
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
        let none: Option<(Vec<i64>, Bytes)> = None;
        let twice = (vec![(DAY, Bytes(&day)), (DAY, Bytes(&day))], &none);
        let twice = postcard::to_stdvec(&twice).unwrap();
        assert!(postcard::from_bytes::<DayMap>(&twice).is_err());
        // Damage is found when the day is decoded: by a load's
        // `read_unsummed`, or, for a day a summary stood for, on first
        // use, which marks the map damaged.
        let damaged = (vec![(DAY, Bytes(&day[..day.len() / 2]))], &none);
        let damaged = postcard::to_stdvec(&damaged).unwrap();
        let map = postcard::from_bytes::<DayMap>(&damaged).unwrap();
        assert!(map.read_unsummed().is_err());
        assert!(!map.damaged());
        assert_eq!(map[&DAY].total.hits, 0);
        assert!(map.damaged());
    }

    #[test]
    fn days_a_summary_stands_for_are_decoded_only_when_used() {
        let mut map = DayMap::default();
        for i in 0..4 {
            *map.entry(DAY + i * 86_400) = day_with_hits(i as u64 + 1);
        }
        map.set_summary(vec![DAY, DAY + 86_400], b"sums".to_vec());
        let bytes = postcard::to_stdvec(&map).unwrap();
        let mut back: DayMap = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back.decoded(), 0);
        back.read_unsummed().unwrap();
        assert_eq!(back.decoded(), 2);
        assert_eq!(back.summary().unwrap().covers, [DAY, DAY + 86_400]);
        assert_eq!(back.summary().unwrap().bytes(), b"sums");
        // Saved again untouched: the same bytes, summary and all.
        assert_eq!(postcard::to_stdvec(&back).unwrap(), bytes);
        // Read for a report: decoded then, the summary still holds.
        assert_eq!(back[&DAY].total.hits, 1);
        assert!(back.summary().is_some());
        // Written to: the summary no longer counts that day as it is, and
        // is neither used nor saved.
        back.get_mut(&(DAY + 86_400)).unwrap().total.hits = 9;
        assert!(back.summary().is_none());
        let again: DayMap = postcard::from_bytes(&postcard::to_stdvec(&back).unwrap()).unwrap();
        assert!(again.summary().is_none());
        assert_eq!(again[&(DAY + 86_400)].total.hits, 9);
        // A day it counts dropped: the same.
        let mut dropped: DayMap = postcard::from_bytes(&bytes).unwrap();
        assert!(dropped.summary().is_some());
        dropped.drop_before(DAY + 86_400);
        assert!(dropped.summary().is_none());
    }

    #[test]
    fn a_format_4_day_map_has_no_summary() {
        let mut map = DayMap::default();
        *map.entry(DAY) = day_with_hits(3);
        let day = postcard::to_stdvec(&map[&DAY]).unwrap();
        let v4 = postcard::to_stdvec(&vec![(DAY, Bytes(&day))]).unwrap();
        let back: DayMap = reading_format(4, || postcard::from_bytes(&v4)).unwrap();
        assert!(back.summary().is_none());
        assert_eq!(back[&DAY].total.hits, 3);
        // Read as format 5, the same bytes are damage.
        assert!(postcard::from_bytes::<DayMap>(&v4).is_err());
    }
}
