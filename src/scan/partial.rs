//! A worker's share of one input: the chunks it scanned, line by line,
//! and how two shares merge and finish into the input's result.

use std::sync::atomic::{AtomicU32, Ordering};

use super::line_facts::{ChunkFacts, FactWriter};
use super::line_ids::LineIdLog;
use super::scanned::{Counts, Sample, ScanOptions, Scanned, MAX_SAMPLES, SAMPLE_BYTES};
use crate::aggregate::{Figures, Record};
use crate::filter::FilterCache;
use crate::input::chunk::MAX_LINE_BYTES;
use crate::input::lines::{Line, Lines};
use crate::parse::{is_blank, Format, LogLine};
use crate::state::days::{DayChunk, DayFigures};

/// One line as the scan reads it; `None` when it is blank or malformed
/// ([`is_blank`] tells which). A line longer than [`MAX_LINE_BYTES`] is
/// malformed, however it looks.
#[inline(always)]
pub fn parse_line<'a>(format: Format, line: Line<'a, '_>) -> Option<LogLine<'a>> {
    if line.text.len() > MAX_LINE_BYTES {
        None
    } else if let Some(mut quotes) = line.quotes {
        format.parse_with(line.text, &mut quotes)
    } else {
        format.parse(line.text)
    }
}

/// A malformed line, located by chunk until line numbers are known.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct PendingSample {
    chunk: u32,
    line_in_chunk: u64,
    text: Vec<u8>,
}

/// The partial result of some chunks of one input.
#[derive(Debug, Default)]
pub(super) struct Partial {
    counts: Counts,
    bytes: u64,
    figures: Figures,
    /// Lines per chunk index, to turn chunk-relative line numbers into
    /// file line numbers once all chunks are done.
    chunk_lines: Vec<(u32, u64)>,
    samples: Vec<PendingSample>,
    /// The chunk index and written offset of the first parsed line seen.
    first_offset: Option<(u32, Option<i32>)>,
    filter_cache: FilterCache,
    days: DayFigures,
    /// Each kept line's ids, when [`ScanOptions::line_ids`] asks.
    line_ids: LineIdLog,
    /// The most kept lines of a chunk so far: the room a chunk's ids are
    /// given, so that they are not copied as they grow.
    ids_room: usize,
    /// Where each chunk's facts went, when [`ScanOptions::facts`] asks.
    facts: Vec<ChunkFacts>,
    fact_writer: FactWriter,
    facts_error: Option<String>,
}

impl Partial {
    pub(super) fn scan_chunk(
        &mut self,
        index: u32,
        text: &[u8],
        opts: &ScanOptions<'_>,
        first_bad: &AtomicU32,
    ) {
        if opts.strict && index > first_bad.load(Ordering::Relaxed) {
            return;
        }
        let mut lines = 0u64;
        let mut first_offset = None;
        let chunk = opts.chunk_base.saturating_add(index);
        let mut views = self.figures.chunk_views(chunk);
        let mut by_day = opts.days.map(|cut| DayChunk::new(cut, chunk));
        let keep_ids = opts.line_ids && by_day.is_none();
        let mut ids = if keep_ids {
            Vec::with_capacity(self.ids_room)
        } else {
            Vec::new()
        };
        let facts = opts.facts.filter(|_| keep_ids);
        self.fact_writer.clear();
        let mut cut = Lines::new(text, opts.format.uses_quote_marks());
        while let Some(next) = cut.next_line() {
            let line = next.text;
            lines += 1;
            let parsed = parse_line(opts.format, next);
            match parsed {
                // By reference: moved out, with a filter to hand it to,
                // every parsed line was copied once more, filters or none.
                Some(ref parsed) => {
                    self.counts.parsed += 1;
                    if first_offset.is_none() {
                        first_offset = Some(parsed.time.offset_s);
                    }
                    if let Some(filter) = opts.filter {
                        if !filter.keep(parsed, &mut self.filter_cache) {
                            self.counts.filtered += 1;
                            continue;
                        }
                    }
                    self.counts.kept += 1;
                    let record = Record {
                        visits: opts.visits,
                        tallies: opts.tallies,
                        clients: opts.clients,
                        client_ids: keep_ids,
                        metrics: opts.metrics,
                        goals: opts.goals,
                    };
                    match &mut by_day {
                        Some(by_day) => by_day.add(&mut self.days, parsed, record),
                        None => {
                            let line_ids = self.figures.add(parsed, &mut views, record);
                            if keep_ids {
                                ids.push(line_ids);
                            }
                            if facts.is_some() {
                                self.fact_writer.add(lines, text, line, parsed);
                            }
                        }
                    }
                }
                None if is_blank(line) => self.counts.blank += 1,
                None => {
                    self.counts.malformed += 1;
                    self.keep_sample(index, lines - 1, line);
                    if opts.strict {
                        first_bad.fetch_min(index, Ordering::Relaxed);
                        break;
                    }
                }
            }
        }
        let clients = self.figures.flush_chunk(views);
        if keep_ids {
            clients.renumber(&mut ids);
            self.ids_room = self.ids_room.max(ids.len());
            self.line_ids.push(index, ids);
        }
        if let Some(spill) = facts.filter(|_| !self.fact_writer.written().is_empty()) {
            let bytes = self.fact_writer.written();
            match spill.append(bytes) {
                Ok(at) => self.facts.push(ChunkFacts {
                    chunk: index,
                    at,
                    len: bytes.len() as u64,
                }),
                Err(e) => {
                    self.facts_error.get_or_insert(e.to_string());
                }
            }
        }
        if let Some(by_day) = by_day {
            by_day.flush(&mut self.days);
        }
        self.counts.lines += lines;
        self.bytes += text.len() as u64;
        self.chunk_lines.push((index, lines));
        if let Some(offset) = first_offset {
            if self.first_offset.is_none_or(|(i, _)| index < i) {
                self.first_offset = Some((index, offset));
            }
        }
        if let Some(p) = opts.progress {
            p.inc(text.len() as u64);
        }
    }

    fn keep_sample(&mut self, chunk: u32, line_in_chunk: u64, line: &[u8]) {
        // Samples within a chunk arrive in order; only a place among the
        // first few of this partial result is worth a copy.
        let sample_key = (chunk, line_in_chunk);
        if self.samples.len() >= MAX_SAMPLES
            && self
                .samples
                .iter()
                .all(|s| (s.chunk, s.line_in_chunk) < sample_key)
        {
            return;
        }
        let text = line[..line.len().min(SAMPLE_BYTES)].to_vec();
        self.samples.push(PendingSample {
            chunk,
            line_in_chunk,
            text,
        });
        self.samples.sort();
        self.samples.truncate(MAX_SAMPLES);
    }

    pub(super) fn merge(mut self, other: Partial) -> Partial {
        self.counts.merge(&other.counts);
        self.bytes += other.bytes;
        let remaps = self.figures.merge(other.figures);
        self.line_ids.merge(other.line_ids, remaps);
        self.days.merge(other.days);
        self.chunk_lines.extend(other.chunk_lines);
        self.facts.extend(other.facts);
        self.facts_error = self.facts_error.or(other.facts_error);
        self.samples.extend(other.samples);
        self.samples.sort();
        self.samples.truncate(MAX_SAMPLES);
        self.first_offset = match (self.first_offset, other.first_offset) {
            (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
            (a, b) => a.or(b),
        };
        self.filter_cache.no_vhost += other.filter_cache.no_vhost;
        self
    }

    pub(super) fn finish(mut self, read_error: Option<String>) -> Scanned {
        self.chunk_lines.sort_unstable();
        self.facts.sort_unstable();
        let mut lines_before = Vec::with_capacity(self.chunk_lines.len());
        let mut total = 0;
        for &(index, lines) in &self.chunk_lines {
            lines_before.push((index, total));
            total += lines;
        }
        let samples = self
            .samples
            .into_iter()
            .map(|s| {
                let i = lines_before.partition_point(|&(index, _)| index < s.chunk);
                let before = lines_before.get(i).map_or(0, |&(_, b)| b);
                Sample {
                    line: before + s.line_in_chunk + 1,
                    text: s.text,
                }
            })
            .collect();
        Scanned {
            chunks: self.chunk_lines.last().map_or(0, |&(index, _)| index + 1),
            chunk_lines: self.chunk_lines,
            counts: self.counts,
            bytes: self.bytes,
            figures: self.figures,
            days: self.days,
            samples,
            first_offset: self.first_offset.map(|(_, o)| o),
            no_vhost: self.filter_cache.no_vhost,
            line_ids: self.line_ids.finish(),
            facts: self.facts,
            facts_error: self.facts_error,
            read_error,
        }
    }
}
