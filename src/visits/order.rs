//! Each partition's page views put in walking order: grouped by visitor,
//! each visitor's in time order, ties in input order.

use crate::aggregate::pageviews::segment::Segment;
use crate::aggregate::pageviews::{NO_LANGUAGE, NO_VHOST};
use crate::enrich::language::UNKNOWN_INDEX;

/// A page view as the walk reads it: its visitor is where it is, and its
/// virtual host, for the layouts that log one, is kept apart. 16 bytes
/// instead of 24, for every page view of two partitions at once: this is
/// the most memory a run takes that grows with the number of lines.
#[derive(Debug, Clone, Copy, Default)]
pub struct WalkView {
    pub time: i64,
    pub path: u32,
    /// Into the figures' `entries`: (referrer id, query id).
    pub entry: u32,
}

/// The page views of one partition grouped by visitor number, each
/// visitor's in time order, ties in input order; bots' left out. A
/// counting sort by visitor keeps input order (segments come in chunk
/// order), and a visitor's page views are nearly always in time order
/// already, so the stable sort by time that follows is mostly a check.
/// `languages` maps Accept-Language ids to language numbers, for layouts
/// that log the header. With `origins`, the place of each page view among
/// the partition's candidates in input order is kept beside it.
pub(super) fn by_visitor(
    segments: Vec<Segment>,
    visitors: usize,
    number: &[u32],
    vhosts: bool,
    languages: Option<&[u32]>,
    origins: bool,
) -> ByVisitor {
    let mut starts = vec![0u32; visitors + 1];
    for visitor in segments.iter().flat_map(|s| s.visitors()) {
        let n = number[visitor as usize];
        if n != u32::MAX {
            starts[n as usize + 1] += 1;
        }
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let total = starts[visitors] as usize;
    let mut views = vec![WalkView::default(); total];
    let mut hosts = vec![NO_VHOST; if vhosts { total } else { 0 }];
    let mut langs = vec![0u32; if languages.is_some() { total } else { 0 }];
    let mut places = vec![0u32; if origins { total } else { 0 }];
    let mut next = starts.clone();
    let mut origin = 0u32;
    // Segments are dropped as they are read: memory does not double.
    for segment in segments {
        for v in segment.iter() {
            let n = number[v.visitor as usize];
            if n != u32::MAX {
                let at = next[n as usize] as usize;
                views[at] = WalkView {
                    time: v.time,
                    path: v.path,
                    entry: v.entry,
                };
                if vhosts {
                    hosts[at] = v.vhost;
                }
                if let Some(language_of) = languages {
                    // A page view of a layout without the header (beside
                    // one with it) has no language: unknown.
                    langs[at] = match v.language {
                        NO_LANGUAGE => UNKNOWN_INDEX,
                        id => language_of[id as usize],
                    };
                }
                if origins {
                    places[at] = origin;
                }
                next[n as usize] += 1;
            }
            origin += 1;
        }
    }
    for w in starts.windows(2) {
        let range = w[0] as usize..w[1] as usize;
        let group = &mut views[range.clone()];
        if group.is_sorted_by_key(|v| v.time) {
            continue;
        }
        if vhosts || languages.is_some() || origins {
            // Every array in the order of a stable sort by time.
            let mut order: Vec<usize> = range.clone().collect();
            order.sort_by_key(|&i| views[i].time);
            let sorted: Vec<WalkView> = order.iter().map(|&i| views[i]).collect();
            views[range.clone()].copy_from_slice(&sorted);
            for side in [&mut hosts, &mut langs, &mut places] {
                if let Some(column) = side.get(range.clone()) {
                    let start = range.start;
                    let sorted: Vec<u32> = order.iter().map(|&i| column[i - start]).collect();
                    side[range.clone()].copy_from_slice(&sorted);
                }
            }
        } else {
            group.sort_by_key(|v| v.time);
        }
    }
    ByVisitor {
        views,
        vhosts: hosts,
        languages: langs,
        origins: places,
        starts,
        candidates: origin,
    }
}

pub(super) struct ByVisitor {
    views: Vec<WalkView>,
    /// The virtual host of each of `views`; empty when the layout has none.
    vhosts: Vec<u32>,
    /// The language number of each of `views`; empty when the layout logs
    /// no Accept-Language.
    languages: Vec<u32>,
    /// The origin of each of `views` (see
    /// [`PartitionWalk`](super::observer::PartitionWalk)); empty unless
    /// asked for.
    pub(super) origins: Vec<u32>,
    /// Where each visitor number's page views start in `views`.
    pub(super) starts: Vec<u32>,
    /// Candidate page views read, bots' included.
    pub(super) candidates: u32,
}

impl ByVisitor {
    /// (visitor number, page views, their virtual hosts or nothing, their
    /// languages or nothing) of each visitor with page views.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u32, &[WalkView], &[u32], &[u32])> + '_ {
        self.starts
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w[1] > w[0])
            .map(|(n, w)| {
                let range = w[0] as usize..w[1] as usize;
                let hosts = self.vhosts.get(range.clone()).unwrap_or_default();
                let languages = self.languages.get(range.clone()).unwrap_or_default();
                (n as u32, &self.views[range], hosts, languages)
            })
    }
}
