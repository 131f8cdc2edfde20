//! Where one visit ends and the next begins (SPEC §3): the one rule every
//! phase of the visit computation shares, kept apart so that each of them
//! depends on it and on nothing else of the others.

/// A gap of exactly this many seconds continues a visit; one more ends it.
pub const VISIT_GAP_SECONDS: i64 = 1800;

/// Whether a visitor's page view at `next` continues the visit of its
/// page view at `prev`, the one before it in time (SPEC §3).
#[inline]
pub fn continues_visit(prev: i64, next: i64) -> bool {
    next - prev <= VISIT_GAP_SECONDS
}
