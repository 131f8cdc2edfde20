//! The candidate page views of one chunk, interned in tables of their own
//! until the chunk is done.

use std::borrow::Cow;

use hashbrown::HashTable;

use super::marks::{Mark, MarkKind};
use super::pairs::{FirstPair, PairMap};
use super::PageView;
use crate::aggregate::bytes_map::{bytes_eq, hash_of};

/// Byte strings of one chunk, numbered in order of appearance. Keys are
/// slices of the chunk: nothing is copied (but for a query decoded from
/// escapes, which is rare).
struct LocalKeys<'t> {
    index: HashTable<u32>,
    keys: Vec<(u64, Cow<'t, [u8]>)>,
    /// The first pair of each key, for the chunk's [`PairMap`] whose
    /// pairs start with these keys' ids.
    first: Vec<FirstPair>,
    /// The id of the empty key, once it is in: most page views have no
    /// query, and need no hash for it.
    empty: Option<u32>,
}

impl<'t> LocalKeys<'t> {
    fn with_capacity(n: usize) -> Self {
        LocalKeys {
            index: HashTable::with_capacity(n),
            keys: Vec::with_capacity(n),
            first: Vec::with_capacity(n),
            empty: None,
        }
    }

    #[inline]
    fn intern(&mut self, key: Cow<'t, [u8]>) -> u32 {
        let key_is_empty = key.is_empty();
        if key_is_empty {
            if let Some(id) = self.empty {
                return id;
            }
        }
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
                self.first.push(FirstPair::default());
                if key_is_empty {
                    self.empty = Some(id);
                }
                let keys = &self.keys;
                self.index.insert_unique(hash, id, |&i| keys[i as usize].0);
                id
            }
        }
    }
}

/// The candidate page views of one chunk, with chunk-local ids, until the
/// chunk is done and the figures (`Figures::flush_chunk`) resolve them
/// against the run-wide tables.
pub struct ChunkViews<'t> {
    pub(crate) chunk: u32,
    clients: LocalKeys<'t>,
    /// The last client numbered, and its number: a line's client is the
    /// line before's about one time in four (a page and its assets).
    last_client: Option<(&'t [u8], u32)>,
    referrers: LocalKeys<'t>,
    queries: LocalKeys<'t>,
    /// (local client, agent id).
    visitors: PairMap,
    /// (local referrer, local query).
    entries: PairMap,
    /// Visitor and entry fields hold local ids.
    views: Vec<PageView>,
    /// Marked hits, visitors by local id.
    marks: Vec<Mark>,
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
            last_client: None,
            referrers: LocalKeys::with_capacity(sizes.referrers),
            queries: LocalKeys::with_capacity(4),
            visitors: PairMap::with_capacity(sizes.clients),
            entries: PairMap::with_capacity(sizes.referrers),
            views: Vec::with_capacity(sizes.views),
            marks: Vec::new(),
        }
    }

    pub fn sizes(&self) -> ChunkSizes {
        ChunkSizes {
            clients: self.clients.keys.len(),
            referrers: self.referrers.keys.len(),
            views: self.views.len(),
        }
    }

    /// The chunk's own number of `client`, for [`push`](Self::push) and
    /// [`push_mark`](Self::push_mark), and for an export's line ids until
    /// [`Figures::flush_chunk`](crate::aggregate::Figures::flush_chunk)
    /// gives the run-wide ones. The chunk's table of clients stays in
    /// cache; a lookup in the run's table of all clients waited for
    /// memory two or three times, on about one line in thirteen.
    #[inline]
    pub fn client(&mut self, client: &'t [u8]) -> u32 {
        if let Some((last, id)) = self.last_client {
            if bytes_eq(last, client) {
                return id;
            }
        }
        let id = self.clients.intern(Cow::Borrowed(client));
        self.last_client = Some((client, id));
        id
    }

    /// Records a candidate page view; `client` is the chunk's number (see
    /// [`client`](Self::client)), `agent` and `path` are run-wide ids.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        time: i64,
        client: u32,
        agent: u32,
        path: u32,
        referrer: &'t [u8],
        query: Cow<'t, [u8]>,
        vhost: u32,
        language: u32,
    ) {
        let visitor = self
            .visitors
            .intern((client, agent), &mut self.clients.first[client as usize]);
        let referrer = self.referrers.intern(Cow::Borrowed(referrer));
        let query = self.queries.intern(query);
        let entry = self.entries.intern(
            (referrer, query),
            &mut self.referrers.first[referrer as usize],
        );
        self.views.push(PageView {
            time,
            visitor,
            path,
            entry,
            vhost,
            language,
        });
    }

    /// Records a marked hit (see [`marks`](super::marks)) of the visitor
    /// (`client`, `agent`); `client` is the chunk's number, `agent` a
    /// run-wide id.
    #[cold]
    #[inline(never)]
    pub fn push_mark(&mut self, time: i64, client: u32, agent: u32, kind: MarkKind) {
        let visitor = self
            .visitors
            .intern((client, agent), &mut self.clients.first[client as usize]);
        self.marks.push(Mark {
            time,
            visitor,
            kind,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.views.is_empty() && self.marks.is_empty()
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

    /// The marked hits, visitors by local id.
    pub(crate) fn marks(&self) -> &[Mark] {
        &self.marks
    }
}
