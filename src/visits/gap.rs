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

/// The visits of one visitor's page views `views`, in time order (`time`
/// gives each one's), as ranges of their indices, in order.
pub fn visit_spans<'v, T>(
    views: &'v [T],
    time: impl Fn(&T) -> i64 + 'v,
) -> impl Iterator<Item = std::ops::Range<usize>> + 'v {
    let mut start = 0;
    (1..=views.len()).filter_map(move |end| {
        if end < views.len() && continues_visit(time(&views[end - 1]), time(&views[end])) {
            return None;
        }
        let span = start..end;
        start = end;
        Some(span)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visit_ends_after_a_gap_of_more_than_1800_s() {
        // 0 and 1800 one visit; 3601 (1801 later) a second; 5402 (1801
        // after 3601) a third.
        let times = [0, 1800, 3601, 5402];
        let spans: Vec<_> = visit_spans(&times, |&t| t).collect();
        assert_eq!(spans, [0..2, 2..3, 3..4]);
        assert_eq!(visit_spans(&[] as &[i64], |&t| t).count(), 0);
        let one: Vec<_> = visit_spans(&[7i64], |&t| t).collect();
        assert_eq!((one.len(), one[0].clone()), (1, 0..1));
    }
}
