//! Candidate page views, from the scan to the visit walk.
//!
//! A page view is kept as a 24-byte record of ids until the end of the run,
//! because visits need each visitor's page views in time order, which lines
//! in any order and rotated files in any order do not give. What keeps that
//! cheap:
//!
//! - Within a chunk, the client, referrer and query of a page view are
//!   interned in small tables keyed by slices of the chunk ([`ChunkViews`]):
//!   they stay in cache, and the run-wide tables, which do not, are looked
//!   up once per distinct value of the chunk, not once per page view.
//! - A visitor (client, user agent) and an entry (referrer, query) are one
//!   id each, so a record holds time, visitor, path, entry and vhost.
//! - Records go to one of [`PARTITIONS`] partitions by a hash of their
//!   client as SPEC §1 identifies it (the address, not its spelling), so a
//!   visitor's page views all land in one partition. Each chunk's records
//!   of a partition are one exactly sized [`Segment`]: nothing is copied as
//!   records accumulate or partial results merge, and at the end each
//!   partition is put in order and walked on its own, in parallel, in a few
//!   hundred kilobytes of memory that stay in cache.
//! - Input order is the chunk number of a segment and the place of a record
//!   in it, so records carry no sequence number.

use std::borrow::Cow;
use std::net::IpAddr;

use hashbrown::{HashMap, HashTable};

use crate::bytes_map::{bytes_eq, hash_of, hasher};
use crate::geoip::client_ip;
use std::hash::BuildHasher;

/// How many partitions page views are spread over: enough that one fits in
/// a core's cache on logs of gigabytes, few enough that each chunk's share
/// of one is still dozens of records.
pub const PARTITIONS: usize = 32;

/// A candidate page view: a page view unless its user agent turns out to
/// be a bot. Ids are those of the [`Figures`](crate::aggregate::Figures)
/// holding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageView {
    pub time: i64,
    /// Into [`PairMap`] `visitors`: (client id, agent id).
    pub visitor: u32,
    pub path: u32,
    /// Into [`PairMap`] `entries`: (referrer id, query id).
    pub entry: u32,
    /// [`NO_VHOST`](crate::aggregate::NO_VHOST) when the layout has none.
    pub vhost: u32,
}

// One per page view: the largest thing in memory.
const _: () = assert!(std::mem::size_of::<PageView>() == 24);

/// The page views of one chunk that fell in one partition, in line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The chunk's number in the run: orders segments as the input does.
    pub chunk: u32,
    pub views: Box<[PageView]>,
}

/// Page views by partition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Partitions {
    pub parts: Vec<Vec<Segment>>,
}

impl Partitions {
    fn part(&mut self, p: usize) -> &mut Vec<Segment> {
        if self.parts.is_empty() {
            self.parts.resize_with(PARTITIONS, Vec::new);
        }
        &mut self.parts[p]
    }

    /// Files the segments of one chunk, one per partition.
    pub fn add_chunk(&mut self, chunk: u32, segments: Vec<Vec<PageView>>) {
        for (p, views) in segments.into_iter().enumerate() {
            if !views.is_empty() {
                self.part(p).push(Segment {
                    chunk,
                    views: views.into_boxed_slice(),
                });
            }
        }
    }

    /// Moves `other`'s segments in, with their ids rewritten by `rewrite`.
    pub fn merge(&mut self, other: Partitions, mut rewrite: impl FnMut(&mut PageView)) {
        for (p, segments) in other.parts.into_iter().enumerate() {
            for mut segment in segments {
                segment.views.iter_mut().for_each(&mut rewrite);
                self.part(p).push(segment);
            }
        }
    }

    /// Each partition's page views in input order (segments by chunk).
    pub fn in_order(self) -> Vec<Vec<Segment>> {
        let mut parts = self.parts;
        for part in &mut parts {
            part.sort_unstable_by_key(|s| s.chunk);
        }
        parts
    }
}

/// The partition of a client: a hash of the address when the field holds
/// one (so that `::ffff:1.2.3.4` and `1.2.3.4` agree), else of the text.
pub fn partition_of(client: Option<IpAddr>, field: &[u8]) -> u32 {
    let hash = match client {
        Some(ip) => hasher().hash_one(ip),
        None => hash_of(field),
    };
    // The high bits: the low ones also pick the slot of hash tables.
    (hash >> 58) as u32 % PARTITIONS as u32
}

/// What is kept per distinct client field.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ClientInfo {
    /// Hits, when the clients table is asked for (else 0).
    pub hits: u64,
    /// The address in the field, worked out once.
    pub ip: Option<IpAddr>,
    pub partition: u32,
    resolved: bool,
}

impl ClientInfo {
    /// Fills in address and partition the first time the client is seen.
    #[inline]
    pub fn resolve(&mut self, field: &[u8]) {
        if !self.resolved {
            self.ip = client_ip(field);
            self.partition = partition_of(self.ip, field);
            self.resolved = true;
        }
    }

    pub fn merge(&mut self, other: ClientInfo) {
        self.hits += other.hits;
    }
}

/// Pairs of ids numbered in insertion order: visitors (client, agent) and
/// entries (referrer, query), run-wide or of one chunk.
#[derive(Debug, Clone, Default)]
pub struct PairMap {
    ids: HashMap<u64, u32>,
    pairs: Vec<(u32, u32)>,
}

impl PairMap {
    fn with_capacity(n: usize) -> Self {
        PairMap {
            ids: HashMap::with_capacity(n),
            pairs: Vec::with_capacity(n),
        }
    }

    #[inline]
    pub fn intern(&mut self, pair: (u32, u32)) -> u32 {
        let next = self.pairs.len() as u32;
        let id = *self
            .ids
            .entry((pair.0 as u64) << 32 | pair.1 as u64)
            .or_insert(next);
        if id == next {
            self.pairs.push(pair);
        }
        id
    }

    pub fn pair(&self, id: u32) -> (u32, u32) {
        self.pairs[id as usize]
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

impl PartialEq for PairMap {
    fn eq(&self, o: &Self) -> bool {
        self.pairs == o.pairs
    }
}

impl Eq for PairMap {}

/// Byte strings of one chunk, numbered in order of appearance. Keys are
/// slices of the chunk: nothing is copied (but for a query decoded from
/// escapes, which is rare).
struct LocalKeys<'t> {
    index: HashTable<u32>,
    keys: Vec<(u64, Cow<'t, [u8]>)>,
}

impl<'t> LocalKeys<'t> {
    fn with_capacity(n: usize) -> Self {
        LocalKeys {
            index: HashTable::with_capacity(n),
            keys: Vec::with_capacity(n),
        }
    }

    #[inline]
    fn intern(&mut self, key: Cow<'t, [u8]>) -> u32 {
        let hash = hash_of(&key);
        let keys = &self.keys;
        let found = self.index.find(hash, |&i| {
            let (h, k) = &keys[i as usize];
            *h == hash && bytes_eq(k, &key)
        });
        match found {
            Some(&id) => id,
            None => {
                let id = self.keys.len() as u32;
                self.keys.push((hash, key));
                let keys = &self.keys;
                self.index.insert_unique(hash, id, |&i| keys[i as usize].0);
                id
            }
        }
    }
}

/// The candidate page views of one chunk, with chunk-local ids, until the
/// chunk is done and [`Figures::flush_chunk`](crate::aggregate::Figures::flush_chunk)
/// resolves them against the run-wide tables.
pub struct ChunkViews<'t> {
    pub(crate) chunk: u32,
    clients: LocalKeys<'t>,
    referrers: LocalKeys<'t>,
    queries: LocalKeys<'t>,
    /// (local client, agent id).
    visitors: PairMap,
    /// (local referrer, local query).
    entries: PairMap,
    /// Visitor and entry fields hold local ids.
    views: Vec<PageView>,
}

/// Sizes of the tables of the chunk before, to start with: a chunk is like
/// the one before it, and growing tables rehashes.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChunkSizes {
    clients: usize,
    referrers: usize,
    views: usize,
}

impl<'t> ChunkViews<'t> {
    pub fn new(chunk: u32, sizes: ChunkSizes) -> Self {
        ChunkViews {
            chunk,
            clients: LocalKeys::with_capacity(sizes.clients),
            referrers: LocalKeys::with_capacity(sizes.referrers),
            queries: LocalKeys::with_capacity(4),
            visitors: PairMap::with_capacity(sizes.clients),
            entries: PairMap::with_capacity(sizes.referrers),
            views: Vec::with_capacity(sizes.views),
        }
    }

    pub fn sizes(&self) -> ChunkSizes {
        ChunkSizes {
            clients: self.clients.keys.len(),
            referrers: self.referrers.keys.len(),
            views: self.views.len(),
        }
    }

    /// Records a candidate page view; `agent` and `path` are run-wide ids.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        time: i64,
        client: &'t [u8],
        agent: u32,
        path: u32,
        referrer: &'t [u8],
        query: Cow<'t, [u8]>,
        vhost: u32,
    ) {
        let client = self.clients.intern(Cow::Borrowed(client));
        let visitor = self.visitors.intern((client, agent));
        let referrer = self.referrers.intern(Cow::Borrowed(referrer));
        let entry = self.entries.intern((referrer, self.queries.intern(query)));
        self.views.push(PageView {
            time,
            visitor,
            path,
            entry,
            vhost,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.views.is_empty()
    }

    /// Local client keys with their hashes, for the run-wide interning.
    pub(crate) fn clients(&self) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        self.clients.keys.iter().map(|(h, k)| (*h, &k[..]))
    }

    pub(crate) fn referrers(&self) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        self.referrers.keys.iter().map(|(h, k)| (*h, &k[..]))
    }

    pub(crate) fn queries(&self) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        self.queries.keys.iter().map(|(h, k)| (*h, &k[..]))
    }

    /// (local client, agent) of each local visitor.
    pub(crate) fn visitors(&self) -> &[(u32, u32)] {
        &self.visitors.pairs
    }

    /// (local referrer, local query) of each local entry.
    pub(crate) fn entries(&self) -> &[(u32, u32)] {
        &self.entries.pairs
    }

    pub(crate) fn views(&self) -> &[PageView] {
        &self.views
    }
}
