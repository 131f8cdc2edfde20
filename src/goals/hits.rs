//! Goal hits as the scan records them.
//!
//! A goal hit is often no page view (a POST answered with a redirect, a
//! download, a static file), so it cannot ride on the page-view records:
//! the scan tests each kept hit whose agent does not name itself a bot
//! against the run's patterns, and keeps the few that match as a small
//! record. Who sent it is the run-wide client id and agent id; which visit
//! it belongs to is decided at the end, once visits are known.

/// One hit that matched at least one pattern of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoalHit {
    pub time: i64,
    /// Ids of the [`Figures`](crate::aggregate::Figures) holding the hit.
    pub client: u32,
    pub agent: u32,
    /// Bit `i`: pattern `i` of the [`GoalSet`](super::GoalSet) matched.
    pub mask: u64,
}

/// The goal hits of a partial result.
#[derive(Debug, Clone, Default)]
pub struct GoalHits {
    pub hits: Vec<GoalHit>,
}

impl GoalHits {
    #[inline]
    pub fn push(&mut self, hit: GoalHit) {
        self.hits.push(hit);
    }

    pub fn is_empty(&self) -> bool {
        self.hits.is_empty()
    }

    /// Takes in the hits of another partial result, whose client and
    /// agent ids become this one's by `client` and `agent`.
    pub fn merge(
        &mut self,
        other: GoalHits,
        client: impl Fn(u32) -> u32,
        agent: impl Fn(u32) -> u32,
    ) {
        self.hits.extend(other.hits.into_iter().map(|h| GoalHit {
            client: client(h.client),
            agent: agent(h.agent),
            ..h
        }));
    }

    /// The hits with ids replaced by what they stand for, in a fixed
    /// order: how two results built in different orders are compared.
    pub fn canonical<'a, K: Ord>(&self, key: impl Fn(&GoalHit) -> K + 'a) -> Vec<(i64, K, u64)> {
        let mut all: Vec<(i64, K, u64)> =
            self.hits.iter().map(|h| (h.time, key(h), h.mask)).collect();
        all.sort();
        all
    }
}
