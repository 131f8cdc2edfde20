//! Marked hits: hits that are not page views but belong to visits (SPEC
//! §7), such as the server errors a visitor got (`visits_with_errors`,
//! and the visits and visitors an incident reached). Goal hits are the
//! same kind of thing: a mark kind of their own would count them.
//!
//! A visit has no identity while lines are scanned (its page views come in
//! any order, from any file), so a marked hit is recorded like a page
//! view: its time and its visitor, interned through the chunk's tables
//! ([`ChunkViews::push_mark`](super::chunk_views::ChunkViews::push_mark))
//! and filed in the visitor's partition. The visit walk gives each to a
//! visit (see [`visits`](crate::visits)' `marks.rs`).
//!
//! Marked hits are few (a fraction of a percent of a log's lines): the
//! scan records nothing for other lines.

/// What a marked hit is: an index into the per-kind counters of the walk.
pub type MarkKind = u32;

/// A 5xx hit of a visitor (not a bot).
pub const SERVER_ERROR: MarkKind = 0;

/// How many kinds there are.
pub const KINDS: usize = 1;

/// A marked hit. `visitor` is a chunk-local visitor id while its chunk is
/// scanned, then the visitor's number in its partition, then, in the walk,
/// the number of the visitor as the walk knows it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub time: i64,
    pub visitor: u32,
    pub kind: MarkKind,
}
