//! The time slot hits are counted in, shared by the per-line figures and
//! the server errors.

/// Length of a time slot. Hits are counted per 5-minute slot of UTC; the
/// report folds slots into hours or days of the report zone afterwards,
/// and finds incidents among them. Every zone offset in use is a multiple
/// of 15 minutes, so a slot never straddles two local hours, and the hot
/// path does no zone arithmetic.
pub const SLOT_SECONDS: i64 = 300;
