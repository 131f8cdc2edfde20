//! One input scanned chunk by chunk in parallel: a mapped file cut into
//! line-aligned pieces up front, a stream read block by block as parsers
//! take them.

use std::io::Read;
use std::sync::atomic::AtomicU32;
use std::sync::mpsc;

use rayon::prelude::*;

use super::partial::Partial;
use super::scanned::{ScanOptions, Scanned};
use crate::input::chunk::{split_lines_evenly, LineBlocks};
use crate::timings::{self, LastDone};

/// Scans text that is entirely in memory (a memory-mapped file): it is cut
/// into line-aligned chunks that rayon scans in parallel.
pub fn scan_slice(text: &[u8], opts: &ScanOptions<'_>) -> Scanned {
    let first_bad = AtomicU32::new(u32::MAX);
    let started = timings::enabled().then(std::time::Instant::now);
    let last_chunk = LastDone::default();
    let chunks = split_lines_evenly(text, opts.chunk_bytes);
    // A few large partial results rather than many small ones: each merge
    // rewrites the ids of the page views it takes in, so fewer merges cost
    // less, while two per thread still balance the load (on 1 GiB, two per
    // thread took 0.96x the time of four, one per thread 0.99x of two).
    // One thread takes every chunk in one piece: there is nothing to
    // balance, and no merge to wait for at the end.
    let threads = rayon::current_num_threads();
    let min_len = if threads == 1 {
        chunks.len()
    } else {
        chunks.len() / (2 * threads)
    };
    let partial = chunks
        .into_par_iter()
        .with_min_len(min_len.max(1))
        .enumerate()
        .fold(Partial::default, |mut acc, (i, chunk)| {
            acc.scan_chunk(i as u32, chunk, opts, &first_bad);
            last_chunk.done();
            acc
        })
        .reduce(Partial::default, Partial::merge);
    let scanned = partial.finish(None);
    record_scan(started, &last_chunk);
    scanned
}

/// `--timings`: the scan until its last chunk was parsed, then the merges
/// and the finish that follow it.
fn record_scan(started: Option<std::time::Instant>, last_chunk: &LastDone) {
    if let (Some(start), Some(last)) = (started, last_chunk.at()) {
        let end = std::time::Instant::now();
        timings::record_span("scan: parse + aggregate (parallel)", start, last.max(start));
        timings::record_span("scan: merge of partial results", last.max(start), end);
    }
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
    let started = timings::enabled().then(std::time::Instant::now);
    let last_chunk = LastDone::default();
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
                last_chunk.done();
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
        record_scan(started, &last_chunk);
        scanned
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::Filter;
    use crate::parse::Format;

    const GOOD: &str =
        r#"1.1.1.1 - - [01/May/2024:10:00:00 +0200] "GET /a HTTP/1.1" 200 100 "-" "UA""#;

    fn opts(chunk_bytes: usize, strict: bool) -> ScanOptions<'static> {
        ScanOptions {
            format: Format::Combined,
            chunk_base: 0,
            visits: true,
            tallies: true,
            clients: true,
            metrics: true,
            goals: None,
            chunk_bytes,
            strict,
            progress: None,
            filter: None,
            days: None,
            line_ids: false,
            facts: None,
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
