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
pub(super) struct WalkView {
    pub(super) time: i64,
    pub(super) path: u32,
    pub(super) entry: u32,
}

/// The page views of one partition grouped by visitor number, each
/// visitor's in time order, ties in input order; bots' left out. A
/// counting sort by visitor keeps input order (segments come in chunk
/// order), and a visitor's page views are nearly always in time order
/// already, so the stable sort by time that follows is mostly a check.
/// `languages` maps Accept-Language ids to language numbers, for layouts
/// that log the header.
pub(super) fn by_visitor(
    segments: Vec<Segment>,
    visitors: usize,
    number: &[u32],
    vhosts: bool,
    languages: Option<&[u32]>,
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
    let mut next = starts.clone();
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
                next[n as usize] += 1;
            }
        }
    }
    for w in starts.windows(2) {
        let range = w[0] as usize..w[1] as usize;
        let group = &mut views[range.clone()];
        if group.is_sorted_by_key(|v| v.time) {
            continue;
        }
        if vhosts || languages.is_some() {
            // Every array in the order of a stable sort by time.
            let side = |column: &[u32], i: usize| column.get(i).copied().unwrap_or_default();
            let mut sorted: Vec<(WalkView, u32, u32)> = range
                .clone()
                .map(|i| (views[i], side(&hosts, i), side(&langs, i)))
                .collect();
            sorted.sort_by_key(|(view, _, _)| view.time);
            for (i, (view, host, lang)) in range.zip(sorted) {
                views[i] = view;
                if let Some(h) = hosts.get_mut(i) {
                    *h = host;
                }
                if let Some(l) = langs.get_mut(i) {
                    *l = lang;
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
        starts,
    }
}

pub(super) struct ByVisitor {
    views: Vec<WalkView>,
    /// The virtual host of each of `views`; empty when the layout has none.
    vhosts: Vec<u32>,
    /// The language number of each of `views`; empty when the layout logs
    /// no Accept-Language.
    languages: Vec<u32>,
    /// Where each visitor number's page views start in `views`.
    starts: Vec<u32>,
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
