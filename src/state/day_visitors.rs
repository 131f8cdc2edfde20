//! A day's visitors, as written to or as a report reads them.
//!
//! A report needs of a day's visitors only counts: how many, their page
//! views, and visitors per country, per device/browser/OS, per hour, and
//! which had a page view of a layout without `Accept-Language`. A day read
//! to be reported on ([`super::page_pairs::counting`]) counts its visitors
//! as they are decoded, as it counts its (page, visitor) pairs, and keeps
//! only those counts; a day given out for writing is decoded again, with
//! its visitors, from its saved bytes.

use std::ops::{Index, IndexMut};

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::page_pairs;

/// A visitor of one day: the keyed hash of (client address or field, user
/// agent), never the address, and what the report needs of it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct DayVisitor {
    pub hash: u128,
    /// Into [`Day::countries`](super::model::Day::countries).
    pub country: u32,
    /// Into [`Day::agents`](super::model::Day::agents).
    pub agent: u32,
    /// Bit `i`: a page view in the hour starting at `Day::hours[i]`.
    pub hours: u32,
    pub pageviews: u64,
    /// A page view of a layout without `Accept-Language` (its language
    /// is unknown, once some layout logs the header).
    pub no_language: bool,
}

#[derive(Debug)]
pub enum DayVisitors {
    List(Vec<DayVisitor>),
    /// Read to be reported on: the visitors stay in the day's saved bytes.
    Counted(Box<VisitorCounts>),
}

/// The visitors of a day, counted.
#[derive(Debug, Default, Clone)]
pub struct VisitorCounts {
    pub len: usize,
    pub pageviews: u64,
    /// Per country index: visitors and their page views.
    pub countries: Vec<(u64, u64)>,
    /// Per agent index: visitors.
    pub agents: Vec<u64>,
    /// Per hour bit: visitors with a page view in that hour.
    pub hours: [u64; 32],
    /// The indices of the visitors with a page view of a layout without
    /// `Accept-Language`.
    pub no_language: Vec<u32>,
}

impl Default for DayVisitors {
    fn default() -> Self {
        DayVisitors::List(Vec::new())
    }
}

impl From<Vec<DayVisitor>> for DayVisitors {
    fn from(list: Vec<DayVisitor>) -> Self {
        DayVisitors::List(list)
    }
}

impl DayVisitors {
    pub fn len(&self) -> usize {
        match self {
            DayVisitors::List(list) => list.len(),
            DayVisitors::Counted(c) => c.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The list, to write to. Only a day decoded with its visitors is
    /// given out for writing ([`super::day_map::DayMap::get_mut`]).
    pub fn list(&mut self) -> &mut Vec<DayVisitor> {
        match self {
            DayVisitors::List(list) => list,
            DayVisitors::Counted(_) => {
                unreachable!("a day is decoded with its visitors before it is written to")
            }
        }
    }

    /// The visitors, counted (by the day's numbers of countries, agents
    /// and hours).
    pub fn counts(&self, countries: usize, agents: usize, hours: usize) -> VisitorCounts {
        match self {
            DayVisitors::List(list) => {
                let mut c = VisitorCounts {
                    countries: vec![(0, 0); countries],
                    agents: vec![0; agents],
                    ..Default::default()
                };
                for (i, dv) in list.iter().enumerate() {
                    c.add(i, dv);
                }
                c
            }
            DayVisitors::Counted(counted) => {
                let mut c = VisitorCounts::clone(counted);
                c.countries.resize(countries.max(c.countries.len()), (0, 0));
                c.agents.resize(agents.max(c.agents.len()), 0);
                c
            }
        }
        .within(hours)
    }

    /// Whether every visitor's country and agent is one of the day's.
    pub fn fits(&self, countries: usize, agents: usize) -> bool {
        match self {
            DayVisitors::List(list) => list
                .iter()
                .all(|v| (v.country as usize) < countries && (v.agent as usize) < agents),
            DayVisitors::Counted(c) => c.countries.len() <= countries && c.agents.len() <= agents,
        }
    }
}

impl VisitorCounts {
    /// Counts the visitor at `index`; its country and agent are known to
    /// have a place.
    fn add(&mut self, index: usize, dv: &DayVisitor) {
        self.len += 1;
        self.pageviews += dv.pageviews;
        if let Some(country) = self.countries.get_mut(dv.country as usize) {
            country.0 += 1;
            country.1 += dv.pageviews;
        }
        if let Some(agent) = self.agents.get_mut(dv.agent as usize) {
            *agent += 1;
        }
        let mut hours = dv.hours;
        while hours != 0 {
            self.hours[hours.trailing_zeros() as usize] += 1;
            hours &= hours - 1;
        }
        if dv.no_language {
            self.no_language.push(index as u32);
        }
    }

    /// Only the hours the day has.
    fn within(mut self, hours: usize) -> VisitorCounts {
        for n in self.hours.iter_mut().skip(hours) {
            *n = 0;
        }
        self
    }
}

impl Index<usize> for DayVisitors {
    type Output = DayVisitor;
    fn index(&self, i: usize) -> &DayVisitor {
        match self {
            DayVisitors::List(list) => &list[i],
            DayVisitors::Counted(_) => {
                unreachable!("a counted day's visitors are not read one by one")
            }
        }
    }
}

impl IndexMut<usize> for DayVisitors {
    fn index_mut(&mut self, i: usize) -> &mut DayVisitor {
        &mut self.list()[i]
    }
}

impl Serialize for DayVisitors {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            DayVisitors::List(list) => list.serialize(s),
            // A counted day is saved from its bytes, never encoded.
            DayVisitors::Counted(_) => Err(serde::ser::Error::custom(
                "a day read for a report cannot be encoded",
            )),
        }
    }
}

impl<'de> Deserialize<'de> for DayVisitors {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Some(limit) = page_pairs::counting_limit() else {
            return Ok(DayVisitors::List(Vec::deserialize(d)?));
        };
        struct Count(usize);
        impl<'de> Visitor<'de> for Count {
            type Value = VisitorCounts;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("the visitors of a day")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<VisitorCounts, A::Error> {
                let mut c = VisitorCounts::default();
                while let Some(dv) = seq.next_element::<DayVisitor>()? {
                    // A day holds fewer countries and agents than it has
                    // bytes: a greater index is damage.
                    let (country, agent) = (dv.country as usize, dv.agent as usize);
                    if country >= self.0 || agent >= self.0 {
                        return Err(de::Error::custom("a visitor refers to no country or agent"));
                    }
                    if country >= c.countries.len() {
                        c.countries.resize(country + 1, (0, 0));
                    }
                    if agent >= c.agents.len() {
                        c.agents.resize(agent + 1, 0);
                    }
                    c.add(c.len, &dv);
                }
                Ok(c)
            }
        }
        d.deserialize_seq(Count(limit))
            .map(|c| DayVisitors::Counted(Box::new(c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visitor(
        country: u32,
        agent: u32,
        hours: u32,
        pageviews: u64,
        no_language: bool,
    ) -> DayVisitor {
        DayVisitor {
            hash: u128::from(country) << 64 | u128::from(hours),
            country,
            agent,
            hours,
            pageviews,
            no_language,
        }
    }

    fn list() -> DayVisitors {
        DayVisitors::List(vec![
            visitor(0, 1, 0b11, 3, false),
            visitor(1, 0, 0b10, 1, true),
            visitor(0, 0, 0b01, 2, false),
            visitor(0, 0, 1 << 31, 1, true),
        ])
    }

    #[test]
    fn counted_as_read_or_from_the_list_alike() {
        let bytes = postcard::to_stdvec(&list()).unwrap();
        let counted: DayVisitors =
            page_pairs::counting(bytes.len(), || postcard::from_bytes(&bytes)).unwrap();
        assert!(matches!(counted, DayVisitors::Counted(_)));
        assert_eq!(counted.len(), 4);
        for v in [&counted, &list()] {
            // Two countries, two agents, a day of 2 hours (the visitor in
            // the 32nd hour counts in none).
            let c = v.counts(2, 2, 2);
            assert_eq!((c.len, c.pageviews), (4, 7));
            assert_eq!(c.countries, [(3, 6), (1, 1)]);
            assert_eq!(c.agents, [3, 1]);
            assert_eq!(&c.hours[..3], [2, 2, 0]);
            assert_eq!(c.hours[31], 0);
            assert_eq!(c.no_language, [1, 3]);
            assert!(v.fits(2, 2) && !v.fits(1, 2) && !v.fits(2, 1));
        }
        assert!(postcard::to_stdvec(&counted).is_err());
        let back: DayVisitors = postcard::from_bytes(&bytes).unwrap();
        assert!(matches!(back, DayVisitors::List(_)));
    }

    #[test]
    fn an_index_past_the_bytes_is_damage() {
        let v = DayVisitors::List(vec![visitor(1_000_000, 0, 1, 1, false)]);
        let bytes = postcard::to_stdvec(&v).unwrap();
        let read =
            page_pairs::counting(bytes.len(), || postcard::from_bytes::<DayVisitors>(&bytes));
        assert!(read.is_err());
    }
}
