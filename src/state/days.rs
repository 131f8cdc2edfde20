//! Kept lines filed by the day of the report zone they fall on, for a
//! saved state: `--keep-days` drops whole days, so every figure the state
//! keeps is kept per day. The scan hands each line to the [`Figures`] of
//! its day instead of the run's one; lines come in time order, so the day
//! of a line is nearly always the day of the line before, and costs one
//! comparison.

use crate::aggregate::pageviews::chunk_views::ChunkViews;
use crate::aggregate::{Figures, Record};
use crate::enrich::zone::{Bucket, ReportZone};
use crate::parse::LogLine;

/// How a scan cuts lines into days: the report zone.
#[derive(Debug, Clone, Copy)]
pub struct DayCut {
    pub zone: ReportZone,
}

/// The figures of each day a scan met, by the instant the day starts.
#[derive(Debug, Default)]
pub struct DayFigures {
    pub days: Vec<(i64, Figures)>,
}

impl DayFigures {
    fn index(&mut self, start: i64) -> usize {
        match self.days.iter().position(|(s, _)| *s == start) {
            Some(i) => i,
            None => {
                self.days.push((start, Figures::default()));
                self.days.len() - 1
            }
        }
    }

    /// Adds another partial result's days.
    pub fn merge(&mut self, other: DayFigures) {
        for (start, figures) in other.days {
            let i = self.index(start);
            self.days[i].1.merge(figures);
        }
    }
}

/// One chunk's page views per day, and the day of the last line.
pub struct DayChunk<'t> {
    cut: DayCut,
    chunk: u32,
    /// (index into [`DayFigures::days`], the chunk's page views of it).
    views: Vec<(usize, ChunkViews<'t>)>,
    /// The last line's day: `[start, end)` and where its views are.
    last: Option<(i64, i64, usize)>,
}

impl<'t> DayChunk<'t> {
    pub fn new(cut: DayCut, chunk: u32) -> Self {
        DayChunk {
            cut,
            chunk,
            views: Vec::new(),
            last: None,
        }
    }

    /// Counts one kept line in the figures of its day.
    pub fn add(&mut self, days: &mut DayFigures, line: &LogLine<'t>, record: Record) {
        let t = line.time.unix;
        let at = match self.last {
            Some((start, end, at)) if (start..end).contains(&t) => at,
            _ => {
                let start = self.cut.zone.bucket_start(t, Bucket::Day);
                let end = self.cut.zone.next_bucket(start, Bucket::Day);
                let day = days.index(start);
                let at = match self.views.iter().position(|(d, _)| *d == day) {
                    Some(at) => at,
                    None => {
                        let views = days.days[day].1.chunk_views(self.chunk);
                        self.views.push((day, views));
                        self.views.len() - 1
                    }
                };
                self.last = Some((start, end, at));
                at
            }
        };
        let (day, views) = &mut self.views[at];
        days.days[*day].1.add(line, views, record);
    }

    /// Files the chunk's page views with their days' figures.
    pub fn flush(self, days: &mut DayFigures) {
        for (day, views) in self.views {
            days.days[day].1.flush_chunk(views);
        }
    }
}
