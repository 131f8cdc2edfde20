//! Candidate page views, from the scan to the visit walk.
//!
//! A page view is kept as a small record of ids until the end of the run,
//! because visits need each visitor's page views in time order, which lines
//! in any order and rotated files in any order do not give. What keeps that
//! cheap:
//!
//! - Within a chunk, the client, referrer and query of a page view are
//!   interned in small tables keyed by slices of the chunk ([`ChunkViews`]):
//!   they stay in cache, and the run-wide tables, which do not, are looked
//!   up once per distinct value of the chunk, not once per page view.
//! - A visitor (client, user agent) and an entry (referrer, query) are one
//!   id each, so a record holds time, visitor (numbered within its
//!   partition, see below), path and entry, stored by column in 16 or 32
//!   bits as each needs; the time is seconds after its
//!   segment's earliest, and vhosts, which most layouts do not log, are
//!   kept apart ([`Segment`]).
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
use rayon::prelude::*;

use crate::aggregate::NO_VHOST;
use crate::bytes_map::{bytes_eq, hash_of, hasher};
use crate::geoip::client_ip;
use crate::marks::{Mark, MarkKind};
use std::hash::BuildHasher;

/// How many partitions page views are spread over: enough that one fits in
/// a core's cache on logs of gigabytes, few enough that each chunk's share
/// of one is still dozens of records.
pub const PARTITIONS: usize = 32;

/// A candidate page view: a page view unless its user agent turns out to
/// be a bot. Ids are those of the [`Figures`](crate::aggregate::Figures)
/// holding it. This is the form a chunk collects and the visit walk reads;
/// between the two, a [`Segment`] keeps it in about 8 bytes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PageView {
    pub time: i64,
    /// Into [`PairMap`] `visitors`: (client id, agent id); in a
    /// [`Segment`], the visitor's number in its partition instead (see
    /// [`Partitions`]).
    pub visitor: u32,
    pub path: u32,
    /// Into [`PairMap`] `entries`: (referrer id, query id).
    pub entry: u32,
    /// [`NO_VHOST`] when the layout has none.
    pub vhost: u32,
}

/// The columns of a [`Segment`], in the order they are laid out.
const TIME: usize = 0;
const VISITOR: usize = 1;
const PATH: usize = 2;
const ENTRY: usize = 3;
const COLUMNS: usize = 4;

/// The page views of one chunk that fell in one partition, in line order.
///
/// Stored by column, each column 16 or 32 bits wide as its largest value
/// needs: seconds after the segment's earliest time (a chunk of a log
/// spans minutes, not days), then the visitor's number in its partition,
/// and path and entry ids (ids are numbered in order of appearance, so the
/// busiest often fit in 16 bits). A page view takes 8 to 16 bytes, 8 on a
/// typical log; these records are what makes memory grow with the length
/// of a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The chunk's number in the run: orders segments as the input does.
    pub chunk: u32,
    len: u32,
    /// Bit `c` set: column `c` is 32 bits wide, as two `u16`, low first.
    wide: u8,
    /// The earliest time of the segment's page views.
    base: i64,
    data: Box<[u16]>,
    /// What most logs never need, out of the way.
    rare: Option<Box<RareFields>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RareFields {
    /// Times, when the segment's span does not fit 32 bits (more than 136
    /// years: only a log with absurd dates has one). The time column then
    /// holds zeros.
    times: Option<Box<[i64]>>,
    /// Vhost ids, when the layout logs one.
    vhosts: Option<Box<[u32]>>,
}

impl Segment {
    /// Stores `views`, all of one chunk and partition, in line order.
    pub fn new(chunk: u32, views: impl ExactSizeIterator<Item = PageView> + Clone) -> Segment {
        let len = views.len();
        let (mut first, mut last) = (i64::MAX, i64::MIN);
        let mut largest = [0u32; COLUMNS];
        let mut has_vhosts = false;
        for v in views.clone() {
            first = first.min(v.time);
            last = last.max(v.time);
            largest[VISITOR] = largest[VISITOR].max(v.visitor);
            largest[PATH] = largest[PATH].max(v.path);
            largest[ENTRY] = largest[ENTRY].max(v.entry);
            has_vhosts |= v.vhost != NO_VHOST;
        }
        // No page views span nothing: an empty segment allocates nothing.
        let span = match len {
            0 => Some(0),
            _ => last.checked_sub(first).and_then(|s| u32::try_from(s).ok()),
        };
        largest[TIME] = span.unwrap_or(0);
        let mut wide = 0u8;
        for (c, &max) in largest.iter().enumerate() {
            if max > u16::MAX as u32 {
                wide |= 1 << c;
            }
        }
        let mut segment = Segment {
            chunk,
            len: len as u32,
            wide,
            base: first,
            data: Box::default(),
            rare: None,
        };
        let size = (0..COLUMNS).map(|c| segment.width(c) * len).sum();
        let mut data = vec![0u16; size];
        let mut at = [0usize; COLUMNS];
        for c in 1..COLUMNS {
            at[c] = at[c - 1] + segment.width(c - 1) * len;
        }
        for v in views.clone() {
            let since = if span.is_some() {
                (v.time - first) as u32
            } else {
                0
            };
            for (c, value) in [since, v.visitor, v.path, v.entry].into_iter().enumerate() {
                data[at[c]] = value as u16;
                if wide & 1 << c != 0 {
                    data[at[c] + 1] = (value >> 16) as u16;
                    at[c] += 2;
                } else {
                    at[c] += 1;
                }
            }
        }
        segment.data = data.into_boxed_slice();
        let rare = RareFields {
            times: span
                .is_none()
                .then(|| views.clone().map(|v| v.time).collect()),
            vhosts: has_vhosts.then(|| views.map(|v| v.vhost).collect()),
        };
        if rare != RareFields::default() {
            segment.rare = Some(Box::new(rare));
        }
        segment
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// In `u16`s: 1 or 2.
    fn width(&self, c: usize) -> usize {
        1 + (self.wide >> c & 1) as usize
    }

    /// The values of column `c`, in order.
    fn column(&self, c: usize) -> impl Iterator<Item = u32> + '_ {
        let start: usize = (0..c).map(|k| self.width(k) * self.len()).sum();
        let width = self.width(c);
        self.data[start..start + width * self.len()]
            .chunks_exact(width)
            .map(|v| v[0] as u32 | v.get(1).map_or(0, |&hi| (hi as u32) << 16))
    }

    /// The visitor of each page view, in order.
    pub fn visitors(&self) -> impl Iterator<Item = u32> + '_ {
        self.column(VISITOR)
    }

    /// The page views, in order.
    pub fn iter(&self) -> impl Iterator<Item = PageView> + '_ {
        let times = self.rare.as_ref().and_then(|r| r.times.as_deref());
        let vhosts = self.rare.as_ref().and_then(|r| r.vhosts.as_deref());
        let columns = self.column(TIME).zip(self.column(VISITOR));
        let columns = columns.zip(self.column(PATH).zip(self.column(ENTRY)));
        columns
            .enumerate()
            .map(move |(i, ((since, visitor), (path, entry)))| PageView {
                time: times.map_or(self.base + since as i64, |t| t[i]),
                visitor,
                path,
                entry,
                vhost: vhosts.map_or(NO_VHOST, |h| h[i]),
            })
    }

    /// Rewrites the ids of every page view: new ids may need wider
    /// columns, so the segment is stored anew.
    fn rewrite(&mut self, rewrite: &impl Fn(&mut PageView)) {
        self.edit(|views| views.iter_mut().for_each(rewrite));
    }

    /// Sets the vhost of page view `i`: for tests.
    #[cfg(test)]
    pub fn set_vhost(&mut self, i: usize, vhost: u32) {
        self.edit(|views| views[i].vhost = vhost);
    }

    /// Stores the page views anew after `change`.
    fn edit(&mut self, change: impl FnOnce(&mut [PageView])) {
        let mut views: Vec<PageView> = self.iter().collect();
        change(&mut views);
        *self = Segment::new(self.chunk, views.into_iter());
    }
}

/// Page views by partition.
///
/// Segments hold a visitor's number in its partition, not its run-wide
/// id: a partition has a thirty-second of the visitors, so the number
/// fits the 16-bit column where the id, past 65,535 visitors, would not.
/// On a log of a quarter of a million visitors that is 2 bytes less a
/// page view, the largest share of what grows with the length of a log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Partitions {
    pub parts: Vec<Vec<Segment>>,
    /// Per partition, the visitor id of each number.
    visitors: Vec<Vec<u32>>,
    /// Per visitor id, its number in its partition; `u32::MAX`: none yet.
    numbers: Vec<u32>,
    /// Per partition, its marked hits (see [`crate::marks`]), visitors
    /// by number.
    marks: Vec<Vec<Mark>>,
}

/// One partition's page views, in input order, and the visitor id of
/// each visitor number they hold.
#[derive(Debug, Default)]
pub struct Partition {
    pub segments: Vec<Segment>,
    pub visitors: Vec<u32>,
    /// Its marked hits, in no particular order.
    pub marks: Vec<Mark>,
}

impl Partitions {
    /// Makes the segment and visitor lists of every partition, both at
    /// once, on first use: one that never gets a page view allocates
    /// nothing.
    fn lists(&mut self) {
        if self.parts.is_empty() {
            self.parts.resize_with(PARTITIONS, Vec::new);
            self.visitors.resize_with(PARTITIONS, Vec::new);
            self.marks.resize_with(PARTITIONS, Vec::new);
        }
    }

    fn part(&mut self, p: usize) -> &mut Vec<Segment> {
        self.lists();
        &mut self.parts[p]
    }

    /// The number of visitor id `visitor` in partition `p`, the next one if
    /// it has none yet. A visitor is in one partition only.
    pub fn number(&mut self, p: usize, visitor: u32) -> u32 {
        self.lists();
        let i = visitor as usize;
        if i >= self.numbers.len() {
            self.numbers.resize(i + 1, u32::MAX);
        }
        if self.numbers[i] == u32::MAX {
            self.numbers[i] = self.visitors[p].len() as u32;
            self.visitors[p].push(visitor);
        }
        self.numbers[i]
    }

    /// The visitor id of number `n` of partition `p`.
    #[cfg(test)]
    pub fn visitor(&self, p: usize, n: u32) -> u32 {
        self.visitors[p][n as usize]
    }

    /// Files one segment of partition `p`.
    pub fn add(&mut self, p: usize, segment: Segment) {
        if !segment.is_empty() {
            self.part(p).push(segment);
        }
    }

    /// Files a marked hit of partition `p`, its visitor by number.
    pub fn add_mark(&mut self, p: usize, mark: Mark) {
        self.lists();
        self.marks[p].push(mark);
    }

    /// Moves `other`'s segments in: visitor numbers become `self`'s for
    /// the visitor ids `visitors` gives for `other`'s, and the other ids
    /// are rewritten by `rewrite`, partitions in parallel.
    pub fn merge(
        &mut self,
        other: Partitions,
        visitors: &[u32],
        rewrite: impl Fn(&mut PageView) + Sync,
    ) {
        if other.parts.is_empty() {
            return;
        }
        self.lists();
        // Numbers are given out serially: they share one table.
        let numbers: Vec<Vec<u32>> = (other.visitors.iter().enumerate())
            .map(|(p, theirs)| {
                theirs
                    .iter()
                    .map(|&v| self.number(p, visitors[v as usize]))
                    .collect()
            })
            .collect();
        for ((mine, theirs), numbers) in self.marks.iter_mut().zip(other.marks).zip(&numbers) {
            mine.extend(theirs.into_iter().map(|m| Mark {
                visitor: numbers[m.visitor as usize],
                ..m
            }));
        }
        self.parts
            .par_iter_mut()
            .zip(other.parts)
            .zip(&numbers)
            .for_each(|((mine, theirs), numbers)| {
                let rewrite = |v: &mut PageView| {
                    v.visitor = numbers[v.visitor as usize];
                    rewrite(v);
                };
                for mut segment in theirs {
                    segment.rewrite(&rewrite);
                    mine.push(segment);
                }
            });
    }

    /// Each partition's page views in input order (segments by chunk).
    pub fn in_order(self) -> Vec<Partition> {
        self.parts
            .into_iter()
            .zip(self.visitors)
            .zip(self.marks)
            .map(|((mut segments, visitors), marks)| {
                segments.sort_unstable_by_key(|s| s.chunk);
                Partition {
                    segments,
                    visitors,
                    marks,
                }
            })
            .collect()
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
    /// Its first visitor (with which agent), see [`PairMap`].
    pub visitor: FirstPair,
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
///
/// Nearly every client is seen with one user agent, and nearly every
/// referrer with one query (none): the first pair of each first id is kept
/// beside that id's own record (a [`FirstPair`] in the client's or the
/// referrer's entry, which the caller has just looked up anyway), and only
/// later pairs go to the hash map. That spares most pairs a probe of a
/// table too large for the cache.
#[derive(Debug, Clone, Default)]
pub struct PairMap {
    /// Pairs that are not the first of their first id.
    ids: HashMap<u64, u32>,
    pairs: Vec<(u32, u32)>,
}

/// The first pair a first id was interned with: its second id and the
/// pair's id. `id` is `u32::MAX` until then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstPair {
    second: u32,
    id: u32,
}

impl Default for FirstPair {
    fn default() -> Self {
        FirstPair {
            second: u32::MAX,
            id: u32::MAX,
        }
    }
}

impl PairMap {
    fn with_capacity(n: usize) -> Self {
        PairMap {
            ids: HashMap::with_capacity(n / 8),
            pairs: Vec::with_capacity(n),
        }
    }

    /// The id of `pair`, numbered anew if it is new. `first` must be the
    /// [`FirstPair`] of `pair.0`, the same one every time: every pair of
    /// a map is interned this way.
    #[inline]
    pub fn intern(&mut self, pair: (u32, u32), first: &mut FirstPair) -> u32 {
        if first.second == pair.1 && first.id != u32::MAX {
            return first.id;
        }
        let next = self.pairs.len() as u32;
        if first.id == u32::MAX {
            *first = FirstPair {
                second: pair.1,
                id: next,
            };
            self.pairs.push(pair);
            return next;
        }
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
        });
    }

    /// Records a marked hit (see [`crate::marks`]) of the visitor
    /// (`client`, `agent`); `agent` is a run-wide id.
    #[cold]
    #[inline(never)]
    pub fn push_mark(&mut self, time: i64, client: &'t [u8], agent: u32, kind: MarkKind) {
        let client = self.clients.intern(Cow::Borrowed(client));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_numbered_once_whether_first_of_their_first_id_or_not() {
        let mut map = PairMap::default();
        let mut firsts = [FirstPair::default(); 3];
        let pairs = [
            (1, 5),
            (1, 5),
            (1, 6),
            (2, 5),
            (1, 6),
            (2, 7),
            (1, 5),
            (2, 7),
        ];
        let ids: Vec<u32> = pairs
            .iter()
            .map(|&p| map.intern(p, &mut firsts[p.0 as usize]))
            .collect();
        assert_eq!(ids, vec![0, 0, 1, 2, 1, 3, 0, 3]);
        assert_eq!(map.len(), 4);
        for (&p, &id) in pairs.iter().zip(&ids) {
            assert_eq!(map.pair(id), p);
        }
    }

    fn view(time: i64, visitor: u32, vhost: u32) -> PageView {
        PageView {
            time,
            visitor,
            path: visitor + 1,
            entry: visitor + 2,
            vhost,
        }
    }

    fn round_trip(views: &[PageView]) -> Segment {
        let segment = Segment::new(7, views.iter().copied());
        assert_eq!(segment.len(), views.len());
        assert_eq!(segment.iter().collect::<Vec<_>>(), views);
        assert_eq!(
            segment.visitors().collect::<Vec<_>>(),
            views.iter().map(|v| v.visitor).collect::<Vec<_>>()
        );
        segment
    }

    #[test]
    fn segments_give_back_what_they_were_given() {
        // Out of order, as unsorted logs are: the base is the earliest.
        // Small ids and a short span: every column 16 bits, 8 bytes a view.
        let narrow = round_trip(&[
            view(1_700_000_100, 1, NO_VHOST),
            view(1_700_000_000, 2, NO_VHOST),
        ]);
        assert_eq!(
            (narrow.wide, narrow.data.len(), narrow.rare.is_none()),
            (0, 8, true)
        );
        // Each column as wide as its largest value needs.
        // Time span 65536 s, entry id 65536: those two columns 32 bits.
        let wide = round_trip(&[
            view(1_700_000_000 + u16::MAX as i64 + 1, 1, NO_VHOST),
            view(1_700_000_000, u16::MAX as u32 - 1, NO_VHOST),
        ]);
        assert_eq!(wide.wide, 1 << TIME | 1 << ENTRY);
        let wide = round_trip(&[
            view(0, 1, NO_VHOST),
            view(u16::MAX as i64 + 1, u32::MAX - 2, NO_VHOST),
        ]);
        assert_eq!(wide.wide, 0b1111);
        assert_eq!(wide.data.len(), 16);
        // A span of u32::MAX seconds still fits; one more keeps whole times.
        let span = round_trip(&[
            view(-5, 1, NO_VHOST),
            view(u32::MAX as i64 - 5, 2, NO_VHOST),
        ]);
        assert!(span.rare.is_none());
        let times = round_trip(&[
            view(-5, 1, NO_VHOST),
            view(u32::MAX as i64 - 4, 2, NO_VHOST),
        ]);
        assert!(times.rare.as_ref().is_some_and(|r| r.times.is_some()));
        let extremes = round_trip(&[view(i64::MIN, 1, NO_VHOST), view(i64::MAX, 2, NO_VHOST)]);
        assert!(extremes.rare.is_some());
        // Vhosts, some lines without one.
        let hosts = round_trip(&[view(10, 1, 4), view(11, 2, NO_VHOST), view(12, 1, 0)]);
        assert!(hosts.rare.as_ref().is_some_and(|r| r.times.is_none()));
        assert_eq!(round_trip(&[]).rare, None);
    }

    #[test]
    fn merge_rewrites_ids_and_widens_columns() {
        let mut a = Partitions::default();
        let mut b = Partitions::default();
        // Visitor id 4 of `a` is number 0 of partition 3; ids 0 and 1 of
        // `b` are its numbers 0 and 1 there, and ids 9 and 4 of `a`.
        assert_eq!(a.number(3, 4), 0);
        a.add(3, Segment::new(0, [view(10, 0, NO_VHOST)].into_iter()));
        assert_eq!((b.number(3, 0), b.number(3, 1), b.number(3, 0)), (0, 1, 0));
        b.add(
            3,
            Segment::new(1, [view(20, 0, 1), view(21, 1, NO_VHOST)].into_iter()),
        );
        b.add(5, Segment::new(1, std::iter::empty()));
        // Paths past 16 bits: their column widens.
        a.merge(b, &[9, 4], |v| {
            v.path += 100_000;
            if v.vhost != NO_VHOST {
                v.vhost += 100
            }
        });
        // Id 9 is new to `a`: its next number, 1. Id 4 keeps its 0.
        assert_eq!((a.visitor(3, 0), a.visitor(3, 1)), (4, 9));
        let parts = a.in_order();
        assert!(parts[5].segments.is_empty());
        assert_eq!(parts[3].visitors, [4, 9]);
        // The moved segment's paths are 32 bits wide now, its visitors not.
        let moved_in = &parts[3].segments[1];
        assert_eq!((moved_in.width(PATH), moved_in.width(VISITOR)), (2, 1));
        let views: Vec<PageView> = parts[3].segments.iter().flat_map(|s| s.iter()).collect();
        let moved = |v: PageView, visitor: u32| PageView {
            visitor,
            path: v.path + 100_000,
            ..v
        };
        assert_eq!(
            views,
            [
                view(10, 0, NO_VHOST),
                moved(view(20, 0, 101), 1),
                moved(view(21, 1, NO_VHOST), 0)
            ]
        );
    }
}
