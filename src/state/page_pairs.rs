//! A day's (page, visitor) pairs, as written to or as a report reads them.
//!
//! The pairs are the largest table of a day (nearly a million over the 12
//! days of the generated 1 GiB log) and a report needs only their counts
//! per page: page views and visitors. A day read to be reported on, not
//! written to ([`super::day_map`] reads every day so), counts its pairs
//! per page as they are decoded and keeps only those counts: no table of
//! pairs to allocate, fault in and walk again. A day given out for
//! writing is decoded again from its saved bytes, with its pairs.

use std::cell::Cell;

use hashbrown::HashMap;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::lazy::Lazy;

/// (path id, visitor index) → page views.
#[derive(Debug)]
pub enum PagePairs {
    Pairs(Lazy<(u32, u32), u64>),
    /// Read to be reported on: the pairs stay in the day's saved bytes.
    Counted(PageCounts),
}

/// The pairs of a day, counted per page.
#[derive(Debug, Default, Clone)]
pub struct PageCounts {
    /// Per path id: page views, visitors (pairs).
    pub pages: Vec<(u64, u64)>,
    /// How many pairs there were.
    pub pairs: usize,
    /// The greatest visitor index of a pair plus one (0 without pairs).
    pub visitors: usize,
}

impl Default for PagePairs {
    fn default() -> Self {
        PagePairs::Pairs(Lazy::default())
    }
}

impl PagePairs {
    /// The map, to write to. Only a day decoded with its pairs is given
    /// out for writing ([`super::day_map::DayMap::get_mut`]).
    pub fn map(&mut self) -> &mut HashMap<(u32, u32), u64> {
        match self {
            PagePairs::Pairs(pairs) => pairs.map(),
            PagePairs::Counted(_) => {
                unreachable!("a day is decoded with its pairs before it is written to")
            }
        }
    }

    pub fn len(&self) -> usize {
        match self {
            PagePairs::Pairs(pairs) => pairs.len(),
            PagePairs::Counted(counted) => counted.pairs,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every pair refers to one of `paths` paths and `visitors`
    /// visitors.
    pub fn fits(&self, paths: usize, visitors: usize) -> bool {
        match self {
            PagePairs::Pairs(pairs) => pairs
                .iter()
                .all(|(&(p, v), _)| (p as usize) < paths && (v as usize) < visitors),
            PagePairs::Counted(c) => c.pages.len() <= paths && c.visitors <= visitors,
        }
    }

    /// Page views and visitors per path id, for `paths` paths; `None` if
    /// a pair refers to a path or visitor the day does not hold.
    pub fn per_page(&self, paths: usize, visitors: usize) -> Option<Vec<(u64, u64)>> {
        match self {
            PagePairs::Pairs(pairs) => {
                let mut pages = vec![(0, 0); paths];
                for (&(path, visitor), &views) in pairs.iter() {
                    if visitor as usize >= visitors {
                        return None;
                    }
                    let page = pages.get_mut(path as usize)?;
                    page.0 += views;
                    page.1 += 1;
                }
                Some(pages)
            }
            PagePairs::Counted(c) => {
                if c.pages.len() > paths || c.visitors > visitors {
                    return None;
                }
                let mut pages = c.pages.clone();
                pages.resize(paths, (0, 0));
                Some(pages)
            }
        }
    }
}

thread_local! {
    /// While [`counting`] runs on this thread: the length of the bytes
    /// being decoded, which bounds any path id a valid day holds.
    static COUNTING: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Runs `decode` (a day from `len` bytes) so that the day's pairs are
/// counted per page rather than kept.
pub fn counting<T>(len: usize, decode: impl FnOnce() -> T) -> T {
    struct Reset(Option<usize>);
    impl Drop for Reset {
        fn drop(&mut self) {
            COUNTING.with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(COUNTING.with(|c| c.replace(Some(len))));
    decode()
}

/// The bound [`counting`] set on this thread, while it runs.
pub fn counting_limit() -> Option<usize> {
    COUNTING.with(|c| c.get())
}

impl Serialize for PagePairs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PagePairs::Pairs(pairs) => pairs.serialize(s),
            // A counted day is saved from its bytes, never encoded.
            PagePairs::Counted(_) => Err(serde::ser::Error::custom(
                "a day read for a report cannot be encoded",
            )),
        }
    }
}

impl<'de> Deserialize<'de> for PagePairs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Some(limit) = counting_limit() else {
            return Ok(PagePairs::Pairs(Lazy::deserialize(d)?));
        };
        struct Count(usize);
        impl<'de> Visitor<'de> for Count {
            type Value = PageCounts;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("(page, visitor) pairs")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PageCounts, A::Error> {
                let mut c = PageCounts::default();
                while let Some(((path, visitor), views)) =
                    seq.next_element::<((u32, u32), u64)>()?
                {
                    let path = path as usize;
                    // A day holds fewer paths than it has bytes: a greater
                    // id is damage, not a table to make that long.
                    if path >= self.0 {
                        return Err(de::Error::custom("a page pair refers to no path"));
                    }
                    if path >= c.pages.len() {
                        c.pages.resize(path + 1, (0, 0));
                    }
                    let page = &mut c.pages[path];
                    page.0 += views;
                    page.1 += 1;
                    c.pairs += 1;
                    c.visitors = c.visitors.max(visitor as usize + 1);
                }
                Ok(c)
            }
        }
        d.deserialize_seq(Count(limit)).map(PagePairs::Counted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs() -> PagePairs {
        let mut p = PagePairs::default();
        let map = p.map();
        map.insert((0, 0), 2);
        map.insert((1, 0), 1);
        map.insert((0, 2), 2);
        map.insert((1, 1), 1);
        p
    }

    #[test]
    fn counted_as_read_or_from_the_pairs_alike() {
        let bytes = postcard::to_stdvec(&pairs()).unwrap();
        let counted: PagePairs = counting(bytes.len(), || postcard::from_bytes(&bytes)).unwrap();
        assert!(matches!(counted, PagePairs::Counted(_)));
        assert_eq!(counted.len(), 4);
        // /0: 4 views by visitors 0 and 2; /1: 2 views by 0 and 1; a
        // third path without pairs.
        let expected = vec![(4, 2), (2, 2), (0, 0)];
        assert_eq!(counted.per_page(3, 3), Some(expected.clone()));
        assert_eq!(pairs().per_page(3, 3), Some(expected));
        // Numbers the day does not hold, either way.
        assert_eq!(counted.per_page(1, 3), None);
        assert_eq!(counted.per_page(3, 2), None);
        assert_eq!(pairs().per_page(1, 3), None);
        assert_eq!(pairs().per_page(3, 2), None);
        for p in [&counted, &pairs()] {
            assert!(p.fits(2, 3) && !p.fits(1, 3) && !p.fits(2, 2));
        }
        // Outside `counting`: the pairs themselves.
        let back: PagePairs = postcard::from_bytes(&bytes).unwrap();
        assert!(matches!(back, PagePairs::Pairs(_)));
        assert!(postcard::to_stdvec(&counted).is_err());
    }

    #[test]
    fn a_path_id_past_the_bytes_is_damage() {
        let mut p = PagePairs::default();
        p.map().insert((1_000_000, 0), 1);
        let bytes = postcard::to_stdvec(&p).unwrap();
        let read = counting(bytes.len(), || postcard::from_bytes::<PagePairs>(&bytes));
        assert!(read.is_err());
    }
}
