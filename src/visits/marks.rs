//! Marked hits in the walk: each visitor's marks (see
//! [`marks`](crate::aggregate::pageviews::marks)), read in time order
//! beside its page views, are given to a visit by the span rule of SPEC
//! §7: a hit belongs to the visit of the same visitor whose span, from its
//! first page view to 30 minutes after its last, holds the hit's time (the
//! later visit if two do, which the 30-minute gap that separates visits
//! rules out); a hit in no span belongs to no visit. So a server error on
//! a visitor's first request, with no page view before it nor in the 30
//! minutes before, is in no visit: it counts for the incident's visitors,
//! not for `visits_with_errors`.
//!
//! The walk pays one test of an empty slice per visit for a visitor
//! without marks.

use super::gap::VISIT_GAP_SECONDS;
use crate::aggregate::pageviews::marks::{Mark, KINDS, SERVER_ERROR};

/// Stretches of time `[start, end)`, sorted and disjoint (the report's
/// incidents), in which server errors are counted apart.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Spans(Vec<(i64, i64)>);

impl Spans {
    /// `spans` must be sorted and disjoint.
    pub fn new(spans: Vec<(i64, i64)>) -> Spans {
        debug_assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0));
        Spans(spans)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The index of the span holding `time`.
    pub fn of(&self, time: i64) -> Option<usize> {
        let i = self.0.partition_point(|&(_, end)| end <= time);
        self.0
            .get(i)
            .filter(|&&(start, _)| start <= time)
            .map(|_| i)
    }
}

/// A partition's marks grouped by the walk's visitor number, each group
/// in time order; marks of bots (number `u32::MAX`) left out.
pub struct ByVisitor {
    marks: Vec<Mark>,
    /// The first mark not yet handed out.
    next: usize,
}

impl ByVisitor {
    /// `number` gives the walk's number of each visitor number of the
    /// partition (`u32::MAX` for a bot).
    pub fn new(marks: Vec<Mark>, number: &[u32]) -> ByVisitor {
        let mut marks: Vec<Mark> = marks
            .into_iter()
            .filter_map(|m| {
                let n = number[m.visitor as usize];
                (n != u32::MAX).then_some(Mark { visitor: n, ..m })
            })
            .collect();
        marks.sort_unstable_by_key(|m| (m.visitor, m.time, m.kind));
        ByVisitor { marks, next: 0 }
    }

    /// The marks of visitor `visitor`; visitors are asked for in
    /// increasing order. The marks of visitors passed over (those without
    /// page views) are counted in `tally` as a visitor's, and so are these.
    pub fn take(&mut self, visitor: u32, tally: &mut MarkTally) -> &[Mark] {
        while let Some(m) = self.marks.get(self.next).filter(|m| m.visitor < visitor) {
            let group = self.group(m.visitor);
            tally.visitor(&self.marks[group]);
        }
        let group = self.group(visitor);
        let marks = &self.marks[group];
        tally.visitor(marks);
        marks
    }

    /// Counts the marks of the visitors left.
    pub fn finish(mut self, tally: &mut MarkTally) {
        while let Some(m) = self.marks.get(self.next) {
            let group = self.group(m.visitor);
            tally.visitor(&self.marks[group]);
        }
    }

    /// The range of the marks of `visitor` from `next` on, which it skips.
    fn group(&mut self, visitor: u32) -> std::ops::Range<usize> {
        let start = self.next;
        let len = self.marks[start..].partition_point(|m| m.visitor == visitor);
        self.next = start + len;
        start..self.next
    }
}

/// One visitor's marks, in time order, handed to its visits in turn.
pub struct VisitMarks<'m> {
    marks: &'m [Mark],
}

impl<'m> VisitMarks<'m> {
    pub fn new(marks: &'m [Mark]) -> Self {
        VisitMarks { marks }
    }

    /// The marks of the visit whose first and last page views are at
    /// `first` and `last`: those from `first` to `last` + 30 minutes.
    /// Visits are asked for in time order; marks before `first` that no
    /// earlier visit took are in no visit, and are passed over.
    #[inline]
    pub fn in_visit(&mut self, first: i64, last: i64) -> &'m [Mark] {
        if self.marks.is_empty() {
            return &[];
        }
        let start = self.marks.partition_point(|m| m.time < first);
        let end_time = last.saturating_add(VISIT_GAP_SECONDS);
        let len = self.marks[start..].partition_point(|m| m.time <= end_time);
        let held = &self.marks[start..start + len];
        self.marks = &self.marks[start + len..];
        held
    }
}

/// What the walk counts of marked hits. Tallies of disjoint sets of
/// visitors add up.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MarkTally {
    /// Per kind: visits holding at least one hit of it.
    pub visits: Vec<u64>,
    /// Per span: visits holding a server error in it.
    pub span_visits: Vec<u64>,
    /// Per span: visitors who got a server error in it, in a visit or not.
    pub span_visitors: Vec<u64>,
    spans: Spans,
    /// Scratch: the kinds or spans of one visit or visitor.
    seen: Vec<usize>,
}

impl MarkTally {
    pub fn new(spans: Spans) -> MarkTally {
        MarkTally {
            visits: vec![0; KINDS],
            span_visits: vec![0; spans.len()],
            span_visitors: vec![0; spans.len()],
            spans,
            seen: Vec::new(),
        }
    }

    /// The marks one visit holds: each kind, and each span one of its
    /// server errors fell in, counts the visit once.
    pub fn visit(&mut self, marks: &[Mark]) {
        if marks.is_empty() {
            return;
        }
        self.seen.clear();
        self.seen.extend(marks.iter().map(|m| m.kind as usize));
        for kind in distinct(&mut self.seen) {
            if let Some(n) = self.visits.get_mut(kind) {
                *n += 1;
            }
        }
        self.fill_spans(marks);
        for span in distinct(&mut self.seen) {
            self.span_visits[span] += 1;
        }
    }

    /// All the marks of one visitor: each span one of its server errors
    /// fell in counts the visitor once.
    fn visitor(&mut self, marks: &[Mark]) {
        if marks.is_empty() || self.spans.is_empty() {
            return;
        }
        self.fill_spans(marks);
        for span in distinct(&mut self.seen) {
            self.span_visitors[span] += 1;
        }
    }

    fn fill_spans(&mut self, marks: &[Mark]) {
        self.seen.clear();
        let spans = &self.spans;
        self.seen.extend(
            marks
                .iter()
                .filter(|m| m.kind == SERVER_ERROR)
                .filter_map(|m| spans.of(m.time)),
        );
    }

    pub fn merge(mut self, other: &MarkTally) -> MarkTally {
        for (a, b) in self.visits.iter_mut().zip(&other.visits) {
            *a += b;
        }
        for (a, b) in self.span_visits.iter_mut().zip(&other.span_visits) {
            *a += b;
        }
        for (a, b) in self.span_visitors.iter_mut().zip(&other.span_visitors) {
            *a += b;
        }
        self
    }
}

/// The distinct values of `values`, sorted.
fn distinct(values: &mut Vec<usize>) -> impl Iterator<Item = usize> + '_ {
    values.sort_unstable();
    values.dedup();
    values.iter().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(time: i64, visitor: u32) -> Mark {
        Mark {
            time,
            visitor,
            kind: SERVER_ERROR,
        }
    }

    #[test]
    fn a_mark_belongs_to_the_visit_whose_span_holds_it() {
        // Visits [100, 400] and [2300, 2300] (2300 - 400 > 1800).
        // 50: before any visit; 100: at the first page view; 2200: in the
        // first visit's span (400 + 1800); 2201..2299: in none; 4100: the
        // second visit's last second.
        let marks: Vec<Mark> = [50, 100, 2200, 2201, 2299, 2300, 4100, 4101]
            .into_iter()
            .map(|t| mark(t, 0))
            .collect();
        let mut visits = VisitMarks::new(&marks);
        let times = |ms: &[Mark]| ms.iter().map(|m| m.time).collect::<Vec<_>>();
        assert_eq!(times(visits.in_visit(100, 400)), [100, 2200]);
        assert_eq!(times(visits.in_visit(2300, 2300)), [2300, 4100]);
        assert!(VisitMarks::new(&[]).in_visit(0, 10).is_empty());
    }

    #[test]
    fn visits_and_visitors_count_once_per_kind_and_span() {
        let spans = Spans::new(vec![(1000, 1300), (2000, 2300)]);
        assert_eq!(
            [999, 1000, 1299, 1300, 2000].map(|t| spans.of(t)),
            [None, Some(0), Some(0), None, Some(1)]
        );
        let mut t = MarkTally::new(spans);
        // A visit with two errors in span 0 and one outside any span.
        t.visit(&[mark(1000, 0), mark(1100, 0), mark(1500, 0)]);
        // A visit with errors in both spans.
        t.visit(&[mark(1200, 1), mark(2100, 1)]);
        t.visit(&[]);
        assert_eq!(t.visits, [2]);
        assert_eq!(t.span_visits, [2, 1]);
        t.visitor(&[mark(1000, 0), mark(1100, 0), mark(2200, 0)]);
        assert_eq!(t.span_visitors, [1, 1]);
    }

    #[test]
    fn marks_are_grouped_by_visitor_and_bots_left_out() {
        // Partition numbers 0, 1, 2 are walk numbers 1, a bot, 0.
        let number = [1, u32::MAX, 0];
        let marks = vec![mark(1100, 0), mark(1000, 2), mark(1050, 1), mark(1000, 0)];
        let mut by = ByVisitor::new(marks, &number);
        let mut tally = MarkTally::new(Spans::new(vec![(0, 5000)]));
        // Visitor 0 has no page views: it is passed over, and counted as a
        // visitor all the same; visitor 1 has some.
        let taken = by
            .take(1, &mut tally)
            .iter()
            .map(|m| m.time)
            .collect::<Vec<_>>();
        assert_eq!(taken, [1000, 1100]);
        assert_eq!(tally.span_visitors, [2]);
        by.finish(&mut tally);
        assert_eq!(tally.span_visitors, [2]);
        // Visitor 0 alone, at the end.
        let by = ByVisitor::new(vec![mark(1000, 2)], &number);
        by.finish(&mut tally);
        assert_eq!(tally.span_visitors, [3]);
    }
}
