//! One chunk's page views of one partition, stored by column in as few
//! bits as their values need.

use super::{PageView, NO_LANGUAGE, NO_VHOST};

/// The columns of a [`Segment`], in the order they are laid out.
const TIME: usize = 0;
pub(super) const VISITOR: usize = 1;
pub(super) const PATH: usize = 2;
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
    /// `Accept-Language` ids, when the layout logs the header.
    languages: Option<Box<[u32]>>,
}

impl Segment {
    /// Stores `views`, all of one chunk and partition, in line order.
    pub fn new(chunk: u32, views: impl ExactSizeIterator<Item = PageView> + Clone) -> Segment {
        let len = views.len();
        let (mut first, mut last) = (i64::MAX, i64::MIN);
        let mut largest = [0u32; COLUMNS];
        let mut has_vhosts = false;
        let mut has_languages = false;
        for v in views.clone() {
            first = first.min(v.time);
            last = last.max(v.time);
            largest[VISITOR] = largest[VISITOR].max(v.visitor);
            largest[PATH] = largest[PATH].max(v.path);
            largest[ENTRY] = largest[ENTRY].max(v.entry);
            has_vhosts |= v.vhost != NO_VHOST;
            has_languages |= v.language != NO_LANGUAGE;
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
            vhosts: has_vhosts.then(|| views.clone().map(|v| v.vhost).collect()),
            languages: has_languages.then(|| views.map(|v| v.language).collect()),
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
    pub(super) fn width(&self, c: usize) -> usize {
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
        let languages = self.rare.as_ref().and_then(|r| r.languages.as_deref());
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
                language: languages.map_or(NO_LANGUAGE, |l| l[i]),
            })
    }

    /// Rewrites the ids of every page view: new ids may need wider
    /// columns, so the segment is stored anew.
    pub(super) fn rewrite(&mut self, rewrite: &impl Fn(&mut PageView)) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::pageviews::view;

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
}
