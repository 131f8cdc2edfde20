//! Page views filed by partition: segments added as chunks finish, moved
//! in as partial results merge, and put in input order at the end.

use rayon::prelude::*;

use super::marks::Mark;
use super::segment::Segment;
use super::{PageView, PARTITIONS};

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
    /// Per partition, its marked hits (see [`marks`](super::marks)),
    /// visitors by number.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::pageviews::segment::{PATH, VISITOR};
    use crate::aggregate::pageviews::{view, NO_VHOST};

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
