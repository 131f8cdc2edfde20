//! Merging partial results: `Default` is the identity and `merge` is
//! associative, so the result does not depend on how the input was cut.

use hashbrown::HashMap;

use super::bytes_map::BytesMap;
use super::hit_metrics::HitMetrics;
use super::pageviews::marks::MarkKind;
use super::pageviews::pairs::FirstPair;
use super::pageviews::{ClientInfo, NO_LANGUAGE, NO_VHOST};
use super::{intern_entry, intern_visitor, Figures, Remaps, NO_AGENT};

impl Figures {
    /// Adds `other` into `self`. Returns what became of `other`'s path,
    /// agent and client ids (`None`: they stay as they were), for those
    /// who kept ids of `other` ([`LineIds`](super::LineIds)).
    pub fn merge(&mut self, mut other: Figures) -> Option<Remaps> {
        self.flush_slot();
        other.flush_slot();
        // Ids of `self` stay valid through a merge, and so do `self.last`.
        // Merging into nothing is a move: no id of `other` needs rewriting.
        if self.total.hits == 0 && self.paths.is_empty() {
            *self = other;
            return None;
        }
        let other_metrics = other.metrics.take();
        self.total.merge(&other.total);
        for (a, b) in self.status.iter_mut().zip(&other.status) {
            *a += b;
        }
        for (a, b) in self.known_methods.iter_mut().zip(&other.known_methods) {
            *a += b;
        }
        self.other_methods
            .merge(other.other_methods, |a, b| *a += b);
        merge_maps(&mut self.slots, other.slots, |a, b| a.merge(&b));
        self.first_time = min_opt(self.first_time, other.first_time);
        self.last_time = max_opt(self.last_time, other.last_time);
        self.static_hits += other.static_hits;
        // Ids in `other`'s page views are rewritten to the merged maps' ids.
        // The last merges of a run are its tail, when the other threads may
        // have nothing left to do: the maps that do not depend on each other
        // are merged side by side, then the pairs, then the page views
        // partition by partition.
        let (mut vhosts, mut paths, mut agents) = (Vec::new(), Vec::new(), Vec::new());
        let (mut clients, mut referrers, mut queries) = (Vec::new(), Vec::new(), Vec::new());
        let mut languages = Vec::new();
        rayon::scope(|s| {
            s.spawn(|_| vhosts = self.vhosts.merge(other.vhosts, |a, b| *a += b));
            s.spawn(|_| {
                languages = self
                    .accept_languages
                    .merge(other.accept_languages, |_, _| {})
            });
            s.spawn(|_| paths = self.paths.merge(other.paths, |a, b| a.merge(b)));
            s.spawn(|_| agents = self.agents.merge(other.agents, |a, b| a.merge(b)));
            s.spawn(|_| {
                clients = merge_forgetting_first_pairs(
                    &mut self.clients,
                    other.clients,
                    ClientInfo::merge,
                    |c| &mut c.visitor,
                )
            });
            s.spawn(|_| {
                referrers = merge_forgetting_first_pairs(
                    &mut self.referrers,
                    other.referrers,
                    |_, _| {},
                    |r| r,
                )
            });
            s.spawn(|_| queries = self.queries.merge(other.queries, |_, _| {}));
        });
        let agent = |a: u32| {
            if a == NO_AGENT {
                NO_AGENT
            } else {
                agents[a as usize]
            }
        };
        let (self_clients, self_visitors) = (&mut self.clients, &mut self.visitors);
        let (self_referrers, self_entries) = (&mut self.referrers, &mut self.entries);
        let (other_visitors, other_entries) = (&other.visitors, &other.entries);
        let (visitors, entries): (Vec<u32>, Vec<u32>) = rayon::join(
            || {
                (0..other_visitors.len() as u32)
                    .map(|v| {
                        let (client, a) = other_visitors.pair(v);
                        let client = clients[client as usize];
                        intern_visitor(self_visitors, self_clients, client, agent(a))
                    })
                    .collect()
            },
            || {
                (0..other_entries.len() as u32)
                    .map(|e| {
                        let (r, q) = other_entries.pair(e);
                        let (referrer, query) = (referrers[r as usize], queries[q as usize]);
                        intern_entry(self_entries, self_referrers, referrer, query)
                    })
                    .collect()
            },
        );
        if let Some(theirs) = other_metrics {
            let mine = self.metrics.get_or_insert_default();
            mine.merge(*theirs, &paths, &vhosts);
        }
        self.server_errors.merge(other.server_errors, &paths);
        self.views.merge(other.views, &visitors, |v| {
            v.path = paths[v.path as usize];
            v.entry = entries[v.entry as usize];
            if v.vhost != NO_VHOST {
                v.vhost = vhosts[v.vhost as usize];
            }
            if v.language != NO_LANGUAGE {
                v.language = languages[v.language as usize];
            }
        });
        self.goal_hits
            .merge(other.goal_hits, |c| clients[c as usize], agent);
        Some(Remaps {
            paths,
            agents,
            clients,
        })
    }

    /// The candidate page views of each partition in input order, with
    /// ids replaced by the text they stand for: how two `Figures` built in
    /// different orders (and so with different ids) are compared.
    fn canonical_views(&self) -> Vec<Vec<CanonicalView<'_>>> {
        self.views
            .clone()
            .in_order()
            .iter()
            .map(|part| {
                part.segments
                    .iter()
                    .flat_map(|s| s.iter())
                    .map(|v| {
                        let visitor = part.visitors[v.visitor as usize];
                        let (client, agent) = self.visitors.pair(visitor);
                        let (referrer, query) = self.entries.pair(v.entry);
                        (
                            v.time,
                            self.clients.key(client),
                            (agent != NO_AGENT).then(|| self.agents.key(agent)),
                            self.paths.key(v.path),
                            self.referrers.key(referrer),
                            self.queries.key(query),
                            (v.vhost != NO_VHOST).then(|| self.vhosts.key(v.vhost)),
                            (v.language != NO_LANGUAGE)
                                .then(|| self.accept_languages.key(v.language)),
                        )
                    })
                    .collect()
            })
            .collect()
    }

    /// The goal hits with their client and agent as text.
    fn canonical_goal_hits(&self) -> Vec<(i64, Sender<'_>, u64)> {
        self.goal_hits.canonical(|h| {
            let agent = (h.agent != NO_AGENT).then(|| self.agents.key(h.agent));
            (self.clients.key(h.client), agent)
        })
    }

    /// The marked hits with visitors as text, sorted.
    fn canonical_marks(&self) -> Vec<CanonicalMark<'_>> {
        let parts = self.views.clone().in_order();
        let mut all: Vec<_> = parts
            .iter()
            .flat_map(|part| {
                part.marks.iter().map(|m| {
                    let (client, agent) = self.visitors.pair(part.visitors[m.visitor as usize]);
                    (
                        m.time,
                        self.clients.key(client),
                        (agent != NO_AGENT).then(|| self.agents.key(agent)),
                        m.kind,
                    )
                })
            })
            .collect();
        all.sort_unstable();
        all
    }
}

/// Who sent a goal hit, as text: (client, agent).
type Sender<'a> = (&'a [u8], Option<&'a [u8]>);

/// A marked hit as text: (time, client, agent, kind).
type CanonicalMark<'a> = (i64, &'a [u8], Option<&'a [u8]>, MarkKind);

/// A candidate page view as text: (time, client, agent, path, referrer,
/// query, vhost, Accept-Language).
type CanonicalView<'a> = (
    i64,
    &'a [u8],
    Option<&'a [u8]>,
    &'a [u8],
    &'a [u8],
    &'a [u8],
    Option<&'a [u8]>,
    Option<&'a [u8]>,
);

impl PartialEq for Figures {
    fn eq(&self, o: &Self) -> bool {
        self.total == o.total
            && self.status == o.status
            && self.known_methods == o.known_methods
            && self.other_methods == o.other_methods
            && self.paths == o.paths
            && self.slots == o.slots
            && self.current_slot == o.current_slot
            && (self.first_time, self.last_time, self.static_hits)
                == (o.first_time, o.last_time, o.static_hits)
            && self.agents == o.agents
            && self.vhosts == o.vhosts
            && self.accept_languages == o.accept_languages
            && self.canonical_views() == o.canonical_views()
            && self.canonical_marks() == o.canonical_marks()
            && self.server_errors.canonical(|p| self.paths.key(p))
                == o.server_errors.canonical(|p| o.paths.key(p))
            && HitMetrics::canonical(self.metrics.as_deref(), &self.paths, &self.vhosts)
                == HitMetrics::canonical(o.metrics.as_deref(), &o.paths, &o.vhosts)
            && self.canonical_goal_hits() == o.canonical_goal_hits()
    }
}

impl Eq for Figures {}

/// [`BytesMap::merge`] of a map whose values hold the [`FirstPair`] of a
/// [`PairMap`]: those of the keys new to `into` hold `from`'s pair ids, so
/// they are forgotten, to be made again as `from`'s pairs are merged.
fn merge_forgetting_first_pairs<V>(
    into: &mut BytesMap<V>,
    from: BytesMap<V>,
    combine: impl FnMut(&mut V, V),
    first: impl Fn(&mut V) -> &mut FirstPair,
) -> Vec<u32> {
    let old = into.len();
    let remap = into.merge(from, combine);
    for id in old..into.len() {
        *first(into.value_mut(id as u32)) = FirstPair::default();
    }
    remap
}

/// Merges `from` into `into`, moving the larger map's entries as little as
/// possible: the smaller map is walked, the larger one kept.
fn merge_maps<K, V, F>(into: &mut HashMap<K, V>, mut from: HashMap<K, V>, mut combine: F)
where
    K: std::hash::Hash + Eq,
    F: FnMut(&mut V, V),
{
    if from.len() > into.len() {
        std::mem::swap(into, &mut from);
        // `combine` need not be commutative in general, but every use here
        // adds counters, for which the order of the operands is irrelevant.
    }
    for (k, v) in from {
        match into.entry(k) {
            hashbrown::hash_map::Entry::Occupied(mut e) => combine(e.get_mut(), v),
            hashbrown::hash_map::Entry::Vacant(e) => {
                e.insert(v);
            }
        }
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}
