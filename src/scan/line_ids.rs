//! The ids of each kept line's path, user agent and client, kept by the
//! scan when [`ScanOptions::line_ids`](super::ScanOptions::line_ids) asks
//! (an export): its second reading then finds each line's path, agent and
//! visitor by number, without hashing and comparing the text again in
//! tables of a few hundred thousand keys.
//!
//! A worker numbers keys in its own partial result; merging two results
//! renumbers the second's keys. Rewriting every line's ids at each merge
//! would touch each line once per level of merging, so the ids stay as the
//! worker numbered them, with the chain of renumberings composed into one
//! table per worker's share ([`Share::remap`]), and are rewritten once, in
//! parallel, when the scan is finished. Twelve bytes a kept line.

use std::sync::Arc;

use rayon::prelude::*;

use crate::aggregate::{LineIds, Remaps, NO_ID};

/// The kept lines of one chunk, in input order: (chunk index, their ids).
pub type ChunkIds = (u32, Vec<LineIds>);

/// The lines of the chunks one worker scanned, in its numbering.
#[derive(Debug, Default)]
struct Share {
    chunks: Vec<ChunkIds>,
    /// From the worker's ids to those of the result this share is in now;
    /// `None`: the same.
    remap: Option<Arc<Remaps>>,
}

/// The line ids of a partial result.
#[derive(Debug, Default)]
pub struct LineIdLog {
    shares: Vec<Share>,
}

impl LineIdLog {
    /// Keeps the ids of a chunk's kept lines, numbered by this result.
    pub fn push(&mut self, chunk: u32, ids: Vec<LineIds>) {
        // The share in this result's own numbering: the one without remap.
        let own = match self.shares.iter().position(|s| s.remap.is_none()) {
            Some(i) => i,
            None => {
                self.shares.push(Share::default());
                self.shares.len() - 1
            }
        };
        self.shares[own].chunks.push((chunk, ids));
    }

    /// Takes in `other`'s lines, whose result was merged into this one's
    /// with `remaps` (`None`: its ids were kept as they were).
    pub fn merge(&mut self, other: LineIdLog, remaps: Option<Remaps>) {
        let remaps = remaps.map(Arc::new);
        for mut share in other.shares {
            share.remap = match (share.remap, &remaps) {
                (old, None) => old,
                (None, Some(r)) => Some(r.clone()),
                (Some(old), Some(r)) => Some(Arc::new(compose(&old, r))),
            };
            if share.remap.is_none() {
                // Same numbering as this result's own share: one share.
                if let Some(own) = self.shares.iter_mut().find(|s| s.remap.is_none()) {
                    own.chunks.extend(share.chunks);
                    continue;
                }
            }
            self.shares.push(share);
        }
    }

    /// Every chunk's ids in the final numbering, in chunk order.
    pub fn finish(self) -> Vec<ChunkIds> {
        let mut chunks: Vec<ChunkIds> = self
            .shares
            .into_par_iter()
            .flat_map_iter(|share| {
                let Share { mut chunks, remap } = share;
                if let Some(r) = remap {
                    renumber(&mut chunks, &r);
                }
                chunks
            })
            .collect();
        chunks.sort_unstable_by_key(|&(chunk, _)| chunk);
        chunks
    }
}

/// Rewrites the ids of `chunks` through `remaps`: for the lines of an
/// input whose result was merged into another's.
pub fn renumber(chunks: &mut [ChunkIds], remaps: &Remaps) {
    chunks
        .par_iter_mut()
        .for_each(|(_, ids)| ids.iter_mut().for_each(|l| *l = apply(remaps, *l)));
}

/// An id through a renumbering; [`NO_ID`] (and `NO_AGENT`, the same
/// number) stays. An id the table does not hold becomes [`NO_ID`] (it
/// cannot happen: every id of a merged result is in its remap).
#[inline]
fn through(table: &[u32], id: u32) -> u32 {
    if id == NO_ID {
        NO_ID
    } else {
        table.get(id as usize).copied().unwrap_or(NO_ID)
    }
}

#[inline]
fn apply(r: &Remaps, l: LineIds) -> LineIds {
    LineIds {
        path: through(&r.paths, l.path),
        agent: through(&r.agents, l.agent),
        client: through(&r.clients, l.client),
    }
}

/// `first`, then `then`.
fn compose(first: &Remaps, then: &Remaps) -> Remaps {
    let chain = |a: &[u32], b: &[u32]| a.iter().map(|&id| through(b, id)).collect();
    Remaps {
        paths: chain(&first.paths, &then.paths),
        agents: chain(&first.agents, &then.agents),
        clients: chain(&first.clients, &then.clients),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(path: u32, agent: u32, client: u32) -> LineIds {
        LineIds {
            path,
            agent,
            client,
        }
    }

    #[test]
    fn renumberings_compose_and_apply_once() {
        // Three workers: b merges into c (b's 0,1 become c's 1,0), then c
        // into a (c's 0,1 become a's 2,0).
        let mut a = LineIdLog::default();
        a.push(0, vec![ids(0, 0, 0)]);
        let mut b = LineIdLog::default();
        b.push(2, vec![ids(0, NO_ID, 1), ids(1, 0, 0)]);
        let mut c = LineIdLog::default();
        c.push(1, vec![ids(1, 1, 1)]);
        let r = |v: Vec<u32>| Remaps {
            paths: v.clone(),
            agents: v.clone(),
            clients: v,
        };
        c.merge(b, Some(r(vec![1, 0])));
        a.merge(c, Some(r(vec![2, 0])));
        let done = a.finish();
        assert_eq!(
            done,
            vec![
                (0, vec![ids(0, 0, 0)]),
                (1, vec![ids(0, 0, 0)]),
                // b's (0, -, 1): c's (1, -, 0), a's (0, -, 2); b's
                // (1, 0, 0): c's (0, 1, 1), a's (2, 0, 0).
                (2, vec![ids(0, NO_ID, 2), ids(2, 0, 0)]),
            ]
        );
    }

    #[test]
    fn a_result_merged_into_nothing_keeps_its_numbering() {
        let mut a = LineIdLog::default();
        let mut b = LineIdLog::default();
        b.push(3, vec![ids(5, 6, 7)]);
        a.merge(b, None);
        a.push(4, vec![ids(1, 1, 1)]);
        assert_eq!(a.shares.len(), 1);
        assert_eq!(
            a.finish(),
            vec![(3, vec![ids(5, 6, 7)]), (4, vec![ids(1, 1, 1)])]
        );
    }
}
