//! The visit of every hit, from the visit walk (SPEC §3, §7).
//!
//! The walk of the first reading puts each visitor's page views in time
//! order and splits them into visits; [`VisitCollector`] watches it and
//! keeps, per partition, the visit of each candidate page view by its
//! origin (its place among the partition's candidates in input order,
//! which the second reading finds again by counting), and each visitor's
//! visits by time. A hit that is not a page view belongs to the visit of
//! its visitor whose span, from its first page view to 30 minutes after
//! its last, holds the hit's time (the later one if two do), as SPEC §7
//! attributes goal hits; otherwise to none.
//!
//! Memory: four bytes per candidate page view and about thirty per visit,
//! where the walk's records took eight to sixteen per page view.

use std::sync::OnceLock;

use hashbrown::HashMap;
use rayon::prelude::*;

use crate::visits::{visit_spans, PartitionWalk, WalkObserver, VISIT_GAP_SECONDS};

/// The bits of a page view's entry in [`PartVisits::views`].
const ENTRY_BIT: u32 = 1 << 31;
const EXIT_BIT: u32 = 1 << 30;
const VISIT_BITS: u32 = EXIT_BIT - 1;
/// A candidate that turned out to be a bot's: in no visit.
const NO_VIEW: u32 = u32::MAX;

/// One visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visit {
    /// Times of its first and last page view.
    pub first: i64,
    pub last: i64,
    /// The entry (referrer, query) of its first page view: where it came
    /// from.
    pub entry: u32,
    /// Numbered from 1 in order of `first` (then of `visitor`): unique
    /// within an export.
    pub id: i64,
    /// The visitor's hash, which breaks ties of `first`.
    visitor: u64,
}

/// The visits of one partition.
#[derive(Debug, Default)]
struct PartVisits {
    /// Per origin: the visit's index in `visits`, with [`ENTRY_BIT`] and
    /// [`EXIT_BIT`]; [`NO_VIEW`] for a bot's candidate.
    views: Vec<u32>,
    visits: Vec<Visit>,
    /// (client, agent) to (first visit, end of visits) of each visitor:
    /// made while the partition is walked, in parallel with the others
    /// (made for all partitions at once afterwards, this map was the
    /// longest step between the two readings).
    visitors: HashMap<(u32, u32), (u32, u32)>,
}

/// Watches the walk. `visitor_hash(client, agent)` gives the hash that
/// orders visits that start at the same second.
pub struct VisitCollector<F> {
    parts: Vec<OnceLock<PartVisits>>,
    visitor_hash: F,
}

impl<F: Fn(u32, u32) -> u64 + Sync> VisitCollector<F> {
    pub fn new(partitions: usize, visitor_hash: F) -> Self {
        VisitCollector {
            parts: (0..partitions).map(|_| OnceLock::new()).collect(),
            visitor_hash,
        }
    }
}

impl<F: Fn(u32, u32) -> u64 + Sync> WalkObserver for VisitCollector<F> {
    fn partition(&self, walk: PartitionWalk<'_>) {
        let mut part = PartVisits {
            views: vec![NO_VIEW; walk.candidates as usize],
            visitors: HashMap::with_capacity(walk.visitor_count()),
            ..PartVisits::default()
        };
        for visitor in walk.visitors() {
            let hash = (self.visitor_hash)(visitor.client, visitor.agent);
            let first_visit = part.visits.len() as u32;
            let views = visitor.views;
            for visit in visit_spans(views, |v| v.time) {
                let (start, end) = (visit.start, visit.end);
                let index = part.visits.len() as u32;
                part.visits.push(Visit {
                    first: views[start].time,
                    last: views[end - 1].time,
                    entry: views[start].entry,
                    id: 0,
                    visitor: hash,
                });
                for (i, &origin) in visitor.origins[start..end].iter().enumerate() {
                    let mut code = index;
                    if i == 0 {
                        code |= ENTRY_BIT;
                    }
                    if start + i == end - 1 {
                        code |= EXIT_BIT;
                    }
                    if let Some(slot) = part.views.get_mut(origin as usize) {
                        *slot = code;
                    }
                }
            }
            part.visitors.insert(
                (visitor.client, visitor.agent),
                (first_visit, part.visits.len() as u32),
            );
        }
        let _ = self.parts[walk.partition].set(part);
    }
}

/// Where a page view stands in its visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageViewVisit<'a> {
    pub visit: &'a Visit,
    pub entry: bool,
    pub exit: bool,
}

/// Every visit, numbered, and how to find the visit of a hit.
#[derive(Debug, Default)]
pub struct VisitIndex {
    parts: Vec<PartVisits>,
}

impl VisitIndex {
    /// Numbers the visits the collector saw, in order of their first page
    /// view (ties by the visitor's hash: numbering does not depend on how
    /// the run was cut into threads).
    pub fn new<F>(collector: VisitCollector<F>) -> VisitIndex {
        let mut parts: Vec<PartVisits> = collector
            .parts
            .into_iter()
            .map(|p| p.into_inner().unwrap_or_default())
            .collect();
        let mut order: Vec<(i64, u64, u32, u32)> = parts
            .iter()
            .enumerate()
            .flat_map(|(p, part)| {
                (part.visits.iter().enumerate())
                    .map(move |(i, v)| (v.first, v.visitor, p as u32, i as u32))
            })
            .collect();
        order.par_sort_unstable();
        for (n, &(_, _, p, i)) in order.iter().enumerate() {
            parts[p as usize].visits[i as usize].id = n as i64 + 1;
        }
        VisitIndex { parts }
    }

    pub fn visits(&self) -> usize {
        self.parts.iter().map(|p| p.visits.len()).sum()
    }

    /// The visit of the candidate page view at `origin` of `partition`;
    /// `None` for a bot's.
    #[inline]
    pub fn page_view(&self, partition: u32, origin: u32) -> Option<PageViewVisit<'_>> {
        let part = self.parts.get(partition as usize)?;
        let code = *part.views.get(origin as usize)?;
        if code == NO_VIEW {
            return None;
        }
        Some(PageViewVisit {
            visit: &part.visits[(code & VISIT_BITS) as usize],
            entry: code & ENTRY_BIT != 0,
            exit: code & EXIT_BIT != 0,
        })
    }

    /// The visit of visitor (`client`, `agent`) of `partition` whose span
    /// holds `time`.
    #[cfg(test)]
    pub fn around(&self, partition: u32, client: u32, agent: u32, time: i64) -> Option<&Visit> {
        span_holding(self.visits_of(partition, client, agent), time)
    }

    /// The visits of visitor (`client`, `agent`), in time order; none for
    /// a visitor without page views. `partition`: its client's (a
    /// visitor's page views all go to its client's partition).
    #[inline]
    pub fn visits_of(&self, partition: u32, client: u32, agent: u32) -> &[Visit] {
        let Some(part) = self.parts.get(partition as usize) else {
            return &[];
        };
        match part.visitors.get(&(client, agent)) {
            Some(&(start, end)) => &part.visits[start as usize..end as usize],
            None => &[],
        }
    }
}

/// Whether `visit` is the one of its visitor's whose span holds `time`
/// (as [`span_holding`] finds it): it began at or before `time`, and
/// `time` is within the gap of its last page view, before which no later
/// visit of the visitor can have begun (visits are more than the gap
/// apart).
#[inline]
pub fn holds(visit: &Visit, time: i64) -> bool {
    visit.first <= time && time - visit.last <= VISIT_GAP_SECONDS
}

/// The visit of `visits` (one visitor's, in time order) whose span holds
/// `time`.
#[inline]
pub fn span_holding(visits: &[Visit], time: i64) -> Option<&Visit> {
    // The last visit that began at or before `time`: a later one began
    // after it, and so cannot hold it.
    let after = visits.partition_point(|v| v.first <= time);
    let visit = &visits[after.checked_sub(1)?];
    holds(visit, time).then_some(visit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Figures;
    use crate::enrich::zone::{Bucket, ReportZone};
    use crate::visits::{compute, VisitOptions};

    const UA: &[u8] = b"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";
    const T0: i64 = 1_714_550_400;

    /// The index of page views recorded one chunk each, in the order given.
    fn index(views: &[(i64, &[u8], &[u8])]) -> (Figures, VisitIndex) {
        let mut f = Figures::default();
        for (chunk, &(time, client, path)) in views.iter().enumerate() {
            f.add_view(time, chunk as u32, client, UA, path, b"-", b"");
        }
        let collector =
            VisitCollector::new(crate::aggregate::pageviews::PARTITIONS, |client, _| {
                client as u64
            });
        let zone = ReportZone::UTC;
        let v = std::mem::take(&mut f.views);
        compute(
            &f,
            v,
            &VisitOptions {
                zone: &zone,
                bucket: Bucket::Hour,
                sites: &[],
                geo: None,
                incidents: Default::default(),
                metrics: false,
                goals: None,
                tallies: false,
                observer: Some(&collector),
            },
        );
        (f, VisitIndex::new(collector))
    }

    fn place(f: &Figures, client: &[u8]) -> u32 {
        f.clients.get(client).unwrap().partition
    }

    #[test]
    fn page_views_know_their_visit_and_hits_their_span() {
        // One visitor: views at 0, 1800 (one visit), then at 3601 and 3601
        // again (a second), written out of time order.
        let (f, index) = index(&[
            (T0 + 3601, b"1.1.1.1", b"/c"),
            (T0, b"1.1.1.1", b"/a"),
            (T0 + 1800, b"1.1.1.1", b"/b"),
            (T0 + 3601, b"1.1.1.1", b"/d"),
        ]);
        assert_eq!(index.visits(), 2);
        let p = place(&f, b"1.1.1.1");
        let at = |origin| index.page_view(p, origin).unwrap();
        // Origins are input order: /c, /a, /b, /d.
        let (c, a, b, d) = (at(0), at(1), at(2), at(3));
        assert_eq!((a.visit.id, a.entry, a.exit), (1, true, false));
        assert_eq!((b.visit.id, b.entry, b.exit), (1, false, true));
        // Equal times keep input order: /c is the entry, /d the exit.
        assert_eq!((c.visit.id, c.entry, c.exit), (2, true, false));
        assert_eq!((d.visit.id, d.entry, d.exit), (2, false, true));
        assert_eq!(a.visit.first, T0);
        assert_eq!(a.visit.last, T0 + 1800);
        assert!(index.page_view(p, 4).is_none());

        let client = f.clients.id(b"1.1.1.1").unwrap();
        let agent = f.agents.id(UA).unwrap();
        let around = |t| index.around(p, client, agent, t).map(|v| v.id);
        // Before the first page view: no visit.
        assert_eq!(around(T0 - 1), None);
        assert_eq!(around(T0), Some(1));
        // Up to 30 minutes after the last page view of visit 1, then none
        // until visit 2 begins.
        assert_eq!(around(T0 + 3600), Some(1));
        assert_eq!(around(T0 + 1800 + 1801), Some(2));
        assert_eq!(around(T0 + 3601 + 1800), Some(2));
        assert_eq!(around(T0 + 3601 + 1801), None);
        assert_eq!(index.around(p, client + 1, agent, T0), None);
        // Not in another partition.
        let other = (p + 1) % crate::aggregate::pageviews::PARTITIONS as u32;
        assert_eq!(index.around(other, client, agent, T0), None);
    }

    #[test]
    fn visits_are_numbered_by_their_start() {
        let (f, index) = index(&[
            (T0 + 50, b"2.2.2.2", b"/x"),
            (T0 + 10, b"3.3.3.3", b"/y"),
            (T0 + 30, b"4.4.4.4", b"/z"),
        ]);
        let clients: [&[u8]; 3] = [b"2.2.2.2", b"3.3.3.3", b"4.4.4.4"];
        // A view's origin: the views before it in its partition.
        let id = |k: usize| {
            let p = place(&f, clients[k]);
            let origin = clients[..k].iter().filter(|c| place(&f, c) == p).count();
            index.page_view(p, origin as u32).unwrap().visit.id
        };
        assert_eq!([id(1), id(2), id(0)], [1, 2, 3]);
    }
}
