//! What a watcher of the walk is shown (`logstats export`): each
//! partition's page views in visit order, and then what the walk worked
//! out per agent, client and entry.

use super::attribution::EntrySource;
use super::order::{ByVisitor, WalkView};
use super::visitors::Visitor;
use crate::enrich::classify::AgentInfo;

/// Sees the page views of each partition, grouped by visitor in time order,
/// as the walk does (on the thread that walks them).
pub trait WalkObserver: Sync {
    fn partition(&self, walk: PartitionWalk<'_>);
}

/// One partition's page views as the walk orders them.
pub struct PartitionWalk<'a> {
    pub partition: usize,
    /// The candidate page views recorded in the partition, bots' included:
    /// each has an origin below this, its place among them in input order.
    pub candidates: u32,
    pub(super) walkers: &'a [Visitor],
    pub(super) views: &'a ByVisitor,
}

/// One visitor's page views, in time order (ties in input order).
pub struct WalkedVisitor<'a> {
    /// The client id (the first spelling of its address) and the agent
    /// index (`figures.agents.len()` for a layout without agents).
    pub client: u32,
    pub agent: u32,
    pub views: &'a [WalkView],
    /// The origin of each of `views`.
    pub origins: &'a [u32],
}

impl<'a> PartitionWalk<'a> {
    /// The partition's visitors (at most as many as [`visitors`] walks):
    /// room to reserve.
    ///
    /// [`visitors`]: PartitionWalk::visitors
    pub fn visitor_count(&self) -> usize {
        self.walkers.len()
    }

    pub fn visitors(&self) -> impl Iterator<Item = WalkedVisitor<'a>> + '_ {
        let (walkers, views) = (self.walkers, self.views);
        views.iter().map(move |(number, one_visitor, _, _)| {
            let visitor = walkers[number as usize];
            let start = views.starts[number as usize] as usize;
            WalkedVisitor {
                client: visitor.client,
                agent: visitor.agent,
                views: one_visitor,
                origins: &views.origins[start..start + one_visitor.len()],
            }
        })
    }
}

/// What the end of the run worked out per distinct value, kept for an
/// observer (see [`VisitOptions::observer`](super::VisitOptions::observer)).
#[derive(Debug)]
pub struct Enrichment {
    /// Per agent id, then one for a layout without agents.
    pub agents: Vec<AgentInfo>,
    /// Per client id, the id of the first spelling of its address.
    pub client_of: Vec<u32>,
    pub country_names: Vec<String>,
    /// Per client id, the index of its country in `country_names`.
    pub country_of_client: Vec<u32>,
    /// (entry id, where its visits came from) of each entry that began
    /// a visit.
    pub entry_sources: Vec<(u32, EntrySource)>,
}
