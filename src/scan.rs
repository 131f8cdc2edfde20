//! Scanning one input: lines are cut out of chunks, parsed, accounted for
//! (SPEC §1: `lines = parsed + malformed + blank`, `parsed = kept + filtered`)
//! and aggregated, chunk by chunk in parallel.

use std::io::Read;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;

use indicatif::ProgressBar;
use rayon::prelude::*;

use crate::aggregate::{Figures, Record};
use crate::chunk::{split_lines_evenly, LineBlocks, MAX_LINE_BYTES};
use crate::filter::{Filter, FilterCache};
use crate::lines::{Line, Lines};
use crate::parse::{is_blank, Format, LogLine};

/// How many malformed lines are kept as samples (SPEC §1).
pub const MAX_SAMPLES: usize = 5;
/// How much of a malformed line a sample keeps.
pub const SAMPLE_BYTES: usize = 200;

/// Where the lines of one input went.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub lines: u64,
    pub parsed: u64,
    pub malformed: u64,
    pub blank: u64,
    pub filtered: u64,
    pub kept: u64,
}

impl Counts {
    fn merge(&mut self, o: &Counts) {
        self.lines += o.lines;
        self.parsed += o.parsed;
        self.malformed += o.malformed;
        self.blank += o.blank;
        self.filtered += o.filtered;
        self.kept += o.kept;
    }
}

/// A malformed line, located by chunk until line numbers are known.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct PendingSample {
    chunk: u32,
    line_in_chunk: u64,
    text: Vec<u8>,
}

/// A malformed line with its 1-based line number in its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub line: u64,
    pub text: Vec<u8>,
}

/// The settings a scan needs, shared by every chunk.
pub struct ScanOptions<'a> {
    pub format: Format,
    /// The number of the input's first chunk: chunks are numbered across
    /// all inputs, so that (chunk, line) orders every line of a run.
    pub chunk_base: u32,
    /// Record what visit-level tables need (see [`Figures::add`]).
    pub visits: bool,
    /// Count hits per client (the clients table).
    pub clients: bool,
    pub chunk_bytes: usize,
    /// With `--strict`, chunks after the first one found to hold a
    /// malformed line are skipped: the result is only used for the error.
    pub strict: bool,
    pub progress: Option<&'a ProgressBar>,
    /// `None` when no filter is given: every parsed line is kept.
    pub filter: Option<&'a Filter>,
}

/// Parses one line cut by [`Lines`]. `None`: malformed (or blank).
#[inline]
pub(crate) fn parse_line<'a>(format: Format, line: Line<'a, '_>) -> Option<LogLine<'a>> {
    let Line { text, quotes } = line;
    // Longer than any log line: malformed, however it looks.
    if text.len() > MAX_LINE_BYTES {
        None
    } else if let Some(mut quotes) = quotes {
        format.parse_with(text, &mut quotes)
    } else {
        format.parse(text)
    }
}

/// The partial result of some chunks of one input.
#[derive(Debug, Default)]
struct Partial {
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
}

impl Partial {
    fn scan_chunk(
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
        let mut cut = Lines::new(text, opts.format.uses_quote_marks());
        while let Some(cut_line) = cut.next_line() {
            lines += 1;
            let line = cut_line.text;
            match parse_line(opts.format, cut_line) {
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
                        clients: opts.clients,
                    };
                    self.figures.add(parsed, &mut views, record);
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
        self.figures.flush_chunk(views);
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

    fn merge(mut self, other: Partial) -> Partial {
        self.counts.merge(&other.counts);
        self.bytes += other.bytes;
        self.figures.merge(other.figures);
        self.chunk_lines.extend(other.chunk_lines);
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

    fn finish(mut self, read_error: Option<String>) -> Scanned {
        self.chunk_lines.sort_unstable();
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
            samples,
            first_offset: self.first_offset.map(|(_, o)| o),
            no_vhost: self.filter_cache.no_vhost,
            read_error,
        }
    }
}

/// The result of scanning one input.
#[derive(Debug)]
pub struct Scanned {
    /// How many chunks the input was cut into.
    pub chunks: u32,
    /// (chunk index, lines) of each chunk scanned, in chunk order: where a
    /// second reading of the input finds its line numbers.
    pub chunk_lines: Vec<(u32, u64)>,
    pub counts: Counts,
    /// Bytes of log text read (after decompression).
    pub bytes: u64,
    pub figures: Figures,
    /// The first malformed lines, in line order.
    pub samples: Vec<Sample>,
    /// The offset written on the first parsed line, if it had one.
    /// `None` also when no line parsed.
    pub first_offset: Option<Option<i32>>,
    /// Lines `--host` filtered for having no virtual host.
    pub no_vhost: u64,
    /// A stream that failed part way (a truncated gzip file): what was read
    /// before is counted, and the error is reported.
    pub read_error: Option<String>,
}

/// Scans text that is entirely in memory (a memory-mapped file): it is cut
/// into line-aligned chunks that rayon scans in parallel.
pub fn scan_slice(text: &[u8], opts: &ScanOptions<'_>) -> Scanned {
    let first_bad = AtomicU32::new(u32::MAX);
    let chunks = split_lines_evenly(text, opts.chunk_bytes);
    // A few large partial results rather than many small ones: each merge
    // rewrites the ids of the page views it takes in, so fewer merges cost
    // less, while two per thread still balance the load (on 1 GiB, two per
    // thread took 0.96x the time of four, one per thread 0.99x of two).
    let min_len = chunks.len() / (2 * rayon::current_num_threads()).max(1);
    chunks
        .into_par_iter()
        .with_min_len(min_len.max(1))
        .enumerate()
        .fold(Partial::default, |mut acc, (i, chunk)| {
            acc.scan_chunk(i as u32, chunk, opts, &first_bad);
            acc
        })
        .reduce(Partial::default, Partial::merge)
        .finish(None)
}

/// Scans a stream (gzip, stdin, `--no-mmap`): one thread reads line-aligned
/// blocks, the others parse them as they come. `first_block` is what was
/// already read for format detection.
pub fn scan_stream<R: Read + Send>(
    mut blocks: LineBlocks<R>,
    first_block: Option<Vec<u8>>,
    opts: &ScanOptions<'_>,
) -> Scanned {
    let first_bad = AtomicU32::new(u32::MAX);
    // A few blocks in flight keep the parsers fed without holding the file.
    let (tx, rx) = mpsc::sync_channel::<(u32, Vec<u8>)>(4);
    // Parsed blocks go back to the reader to be filled again.
    let (done_tx, done_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        // The reader's answer: the error that ended the stream, if any, and
        // the bytes of overlong lines it dropped.
        let reader = scope.spawn(move || -> (Option<String>, u64) {
            let mut pending = first_block;
            let mut index = 0u32;
            loop {
                while let Ok(block) = done_rx.try_recv() {
                    blocks.recycle(block);
                }
                let next = match pending.take() {
                    Some(block) => Ok(Some(block)),
                    None => blocks.next_block(),
                };
                let block = match next {
                    Ok(Some(block)) => block,
                    Ok(None) => return (None, blocks.skipped()),
                    Err(e) => return (Some(e.to_string()), blocks.skipped()),
                };
                // A closed channel: the parsers stopped; nothing to report.
                if tx.send((index, block)).is_err() {
                    return (None, blocks.skipped());
                }
                index += 1;
            }
        });
        let partial = rx
            .into_iter()
            .par_bridge()
            .fold(Partial::default, |mut acc, (i, block)| {
                acc.scan_chunk(i, &block, opts, &first_bad);
                // The reader may be gone (it stops at the end); then the
                // block is simply freed.
                let _ = done_tx.send(block);
                acc
            })
            .reduce(Partial::default, Partial::merge);
        let (read_error, skipped) = reader
            .join()
            .unwrap_or_else(|_| (Some("the reading thread failed".into()), 0));
        let mut scanned = partial.finish(read_error);
        scanned.bytes += skipped;
        scanned
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str =
        r#"1.1.1.1 - - [01/May/2024:10:00:00 +0200] "GET /a HTTP/1.1" 200 100 "-" "UA""#;

    fn opts(chunk_bytes: usize, strict: bool) -> ScanOptions<'static> {
        ScanOptions {
            format: Format::Combined,
            chunk_base: 0,
            visits: true,
            clients: true,
            chunk_bytes,
            strict,
            progress: None,
            filter: None,
        }
    }

    fn sample_log() -> String {
        // Lines 3, 6 and 9 are malformed, 4 and 8 blank; no final newline.
        let mut s = String::new();
        for i in 1..=10 {
            match i {
                3 | 6 | 9 => s.push_str(&format!("garbage {i}")),
                4 => s.push_str("   "),
                8 => {}
                _ => s.push_str(GOOD),
            }
            if i < 10 {
                s.push_str(if i == 2 { "\r\n" } else { "\n" });
            }
        }
        s
    }

    #[test]
    fn every_line_lands_in_one_bucket_and_samples_have_line_numbers() {
        let log = sample_log();
        for chunk_bytes in [1, 7, 64, 1 << 20] {
            let s = scan_slice(log.as_bytes(), &opts(chunk_bytes, false));
            let c = s.counts;
            assert_eq!(
                (c.lines, c.parsed, c.malformed, c.blank, c.kept),
                (10, 5, 3, 2, 5),
                "chunk {chunk_bytes}"
            );
            let lines: Vec<u64> = s.samples.iter().map(|s| s.line).collect();
            assert_eq!(lines, vec![3, 6, 9], "chunk {chunk_bytes}");
            assert_eq!(s.samples[1].text, b"garbage 6");
            assert_eq!(s.first_offset, Some(Some(7200)));
            assert_eq!(s.bytes, log.len() as u64);
        }
    }

    #[test]
    fn stream_and_slice_agree() {
        let log = sample_log();
        for block in [1, 5, 100, 1 << 20] {
            let blocks = LineBlocks::new(log.as_bytes(), block);
            let s = scan_stream(blocks, None, &opts(block, false));
            let m = scan_slice(log.as_bytes(), &opts(block, false));
            assert_eq!(s.counts, m.counts);
            assert_eq!(s.figures, m.figures);
            assert_eq!(s.samples, m.samples);
            assert_eq!(s.read_error, None);
        }
    }

    #[test]
    fn filtered_lines_are_parsed_but_not_kept() {
        let log = sample_log().replace("GET /a", "GET /b") + "\n" + GOOD;
        let spec = crate::filter::FilterSpec {
            include_path: vec![crate::filter::parse_glob("/a").unwrap()],
            ..Default::default()
        };
        let filter = Filter::compile(&spec, 0).unwrap().unwrap();
        for chunk_bytes in [1, 7, 64, 1 << 20] {
            let opts = ScanOptions {
                filter: Some(&filter),
                ..opts(chunk_bytes, false)
            };
            let s = scan_slice(log.as_bytes(), &opts);
            let c = s.counts;
            assert_eq!(
                (c.lines, c.parsed, c.malformed, c.blank, c.filtered, c.kept),
                (11, 6, 3, 2, 5, 1),
                "chunk {chunk_bytes}"
            );
            assert_eq!(s.figures.total.hits, 1);
            // The first parsed line names the zone, filtered or not.
            assert_eq!(s.first_offset, Some(Some(7200)));
            let stream = scan_stream(LineBlocks::new(log.as_bytes(), chunk_bytes), None, &opts);
            assert_eq!((stream.counts, stream.figures), (s.counts, s.figures));
        }
    }

    #[test]
    fn strict_finds_the_first_malformed_line() {
        let log = sample_log();
        for chunk_bytes in [1, 64, 1 << 20] {
            let s = scan_slice(log.as_bytes(), &opts(chunk_bytes, true));
            assert_eq!(s.samples[0].line, 3, "chunk {chunk_bytes}");
        }
    }

    #[test]
    fn at_most_five_samples_the_first_ones() {
        let log: String = (1..=50).map(|i| format!("bad {i}\n")).collect();
        for chunk_bytes in [1, 30, 1 << 20] {
            let s = scan_slice(log.as_bytes(), &opts(chunk_bytes, false));
            let lines: Vec<u64> = s.samples.iter().map(|s| s.line).collect();
            assert_eq!(lines, vec![1, 2, 3, 4, 5]);
            assert_eq!(s.counts.malformed, 50);
        }
    }
}
