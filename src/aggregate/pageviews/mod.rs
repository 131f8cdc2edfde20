//! Candidate page views, from the scan to the visit walk: the page-view
//! store of the figures.
//!
//! A page view is kept as a small record of ids until the end of the run,
//! because visits need each visitor's page views in time order, which lines
//! in any order and rotated files in any order do not give. What keeps that
//! cheap:
//!
//! - Within a chunk, the client, referrer and query of a page view are
//!   interned in small tables keyed by slices of the chunk
//!   ([`ChunkViews`](chunk_views::ChunkViews)): they stay in cache, and the
//!   run-wide tables, which do not, are looked up once per distinct value of
//!   the chunk, not once per page view.
//! - A visitor (client, user agent) and an entry (referrer, query) are one
//!   id each ([`PairMap`](pairs::PairMap)), so a record holds time, visitor
//!   (numbered within its partition, see below), path and entry, stored by
//!   column in 16 or 32 bits as each needs; the time is seconds after its
//!   segment's earliest, and vhosts, which most layouts do not log, are
//!   kept apart ([`Segment`](segment::Segment)).
//! - Records go to one of [`PARTITIONS`] partitions by a hash of their
//!   client as SPEC §1 identifies it (the address, not its spelling), so a
//!   visitor's page views all land in one partition. Each chunk's records
//!   of a partition are one exactly sized segment: nothing is copied as
//!   records accumulate or partial results merge, and at the end each
//!   partition is put in order and walked on its own, in parallel, in a few
//!   hundred kilobytes of memory that stay in cache
//!   ([`Partitions`](partitions::Partitions)).
//! - Input order is the chunk number of a segment and the place of a record
//!   in it, so records carry no sequence number.
//! - Hits that are not page views but belong to visits (a visitor's server
//!   errors) are filed the same way, as [`marks`], beside the segments.
//!
//! The store knows ids, not what they stand for: it depends on the
//! interning of [`bytes_map`](crate::aggregate::bytes_map) and on the client
//! address of [`geoip`](crate::enrich::geoip), never on the figures that
//! hold it.

pub mod chunk_views;
pub mod marks;
pub mod pairs;
pub mod partitions;
pub mod segment;

use std::hash::BuildHasher;
use std::net::IpAddr;

use crate::aggregate::bytes_map::{hash_of, hasher};
use crate::enrich::geoip::client_ip;
use pairs::FirstPair;

/// How many partitions page views are spread over: enough that one fits in
/// a core's cache on logs of gigabytes, few enough that each chunk's share
/// of one is still dozens of records.
pub const PARTITIONS: usize = 32;

/// [`PageView::vhost`] of a line whose layout has no virtual host.
pub const NO_VHOST: u32 = u32::MAX;

/// [`PageView::language`] of a line whose layout has no `Accept-Language`.
pub const NO_LANGUAGE: u32 = u32::MAX;

/// A candidate page view: a page view unless its user agent turns out to
/// be a bot. Ids are those of the figures holding it. This is the form a
/// chunk collects and the visit walk reads; between the two, a
/// [`Segment`](segment::Segment) keeps it in about 8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageView {
    pub time: i64,
    /// Into [`PairMap`](pairs::PairMap) `visitors`: (client id, agent id);
    /// in a [`Segment`](segment::Segment), the visitor's number in its
    /// partition instead (see [`Partitions`](partitions::Partitions)).
    pub visitor: u32,
    pub path: u32,
    /// Into [`PairMap`](pairs::PairMap) `entries`: (referrer id, query id).
    pub entry: u32,
    /// [`NO_VHOST`] when the layout has none.
    pub vhost: u32,
    /// The id of its `Accept-Language` header; [`NO_LANGUAGE`] when the
    /// layout has none.
    pub language: u32,
}

impl Default for PageView {
    fn default() -> Self {
        PageView {
            time: 0,
            visitor: 0,
            path: 0,
            entry: 0,
            vhost: NO_VHOST,
            language: NO_LANGUAGE,
        }
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
    /// Its first visitor (with which agent), see [`PairMap`](pairs::PairMap).
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

/// A page view whose ids follow from its visitor: for the tests of
/// segments and partitions.
#[cfg(test)]
fn view(time: i64, visitor: u32, vhost: u32) -> PageView {
    PageView {
        time,
        visitor,
        path: visitor + 1,
        entry: visitor + 2,
        vhost,
        language: NO_LANGUAGE,
    }
}
