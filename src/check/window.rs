//! Reading the windows of a check, and only them.
//!
//! Access logs are written in time order, nearly: a server writes a
//! request's line when it ends, and buffers lines per worker (nginx
//! `buffer=`/`flush=`, Apache `BufferedLogs`), so a line can come after
//! lines a little later in time. On a regular, uncompressed file the start
//! of a window is found by a binary search over line starts, for a time
//! [`DISORDER_SECONDS`] before the window's start; lines are read from
//! there and kept by their exact time. A check every minute on a log of
//! gigabytes reads a few dozen probes of 64 KiB and the window itself. A
//! line later than that margin allows, written before the place found, is
//! missed; nothing else is. The file is read by position, not mapped, up to
//! the size it had when it was opened, so that a log rotated or truncated
//! meanwhile cannot end the process.
//!
//! A log read front to back (gzip, standard input, a pipe) is read whole,
//! each line kept by its time.

use std::fs::File;
use std::io::{self, Read};

use crate::error::Error;
use crate::input::chunk::LineBlocks;
use crate::input::lines::Lines;
use crate::input::{self, InputPath, Source};
use crate::parse::{is_blank, Format};
use crate::scan::parse_line;

use super::figures::{Collector, Window};

/// How much earlier than a window's start reading starts, to find lines
/// written out of order.
pub const DISORDER_SECONDS: i64 = 300;

/// The precision the binary search stops at: what is read beyond the
/// window, at most, on each side.
const PROBE_BYTES: u64 = 64 << 10;

/// Bytes read at a time by a probe: a few lines.
const READ_BYTES: u64 = 4 << 10;

/// Bytes of a window read at a time.
const RANGE_BLOCK_BYTES: usize = 4 << 20;

/// The start of a file read by position, from which its format is
/// detected: the 200 lines detection samples, unless they are longer than
/// 1.3 kB on average.
const HEAD_BYTES: u64 = 256 << 10;

/// An input, opened, its format known.
pub struct Input {
    pub path: InputPath,
    pub format: Format,
    how: How,
    /// The start of the input, from which the format was detected.
    head: Vec<u8>,
}

enum How {
    /// A regular, uncompressed file, read by position up to `len`.
    Positioned { file: File, len: u64 },
    /// Read front to back; `head` is its first block.
    Stream(LineBlocks<Box<dyn Read + Send>>),
}

/// What reading an input took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadStats {
    /// Bytes read: the start, probes and windows, or the whole stream.
    pub bytes: u64,
    /// The input's size, when known.
    pub size: Option<u64>,
    /// Whether the windows were found by position (else read whole).
    pub positioned: bool,
}

impl Input {
    /// Opens `path` and finds its format (`given`, if it fits).
    pub fn open(path: &InputPath, given: Option<Format>) -> Result<Input, Error> {
        let name = path.display();
        let (how, head) = match positioned(path)? {
            Some((file, len)) => {
                let head =
                    read_range(&file, 0, len.min(HEAD_BYTES)).map_err(|e| read_error(path, &e))?;
                (How::Positioned { file, len }, head)
            }
            None => {
                let reader: Box<dyn Read + Send> = match input::open(path, false)?.source {
                    Source::Stream(reader) => reader,
                    Source::Bytes(bytes) => Box::new(io::Cursor::new(bytes)),
                    Source::Mapped(map) => Box::new(io::Cursor::new(map.to_vec())),
                };
                let mut blocks = LineBlocks::new(reader, crate::scan::DETECT_BLOCK_BYTES);
                let head = blocks
                    .next_block()
                    .map_err(|e| read_error(path, &e))?
                    .unwrap_or_default();
                (How::Stream(blocks), head)
            }
        };
        let format = crate::scan::choose_format(&head, given).map_err(|message| Error::Format {
            path: name,
            message,
        })?;
        Ok(Input {
            path: path.clone(),
            format,
            how,
            head,
        })
    }

    /// The offset written on the first line that parses, if any: what the
    /// report zone defaults to.
    pub fn first_offset(&self) -> Option<Option<i32>> {
        crate::scan::first_offset(&self.head, self.format)
    }

    /// Reads what may fall in `windows` into `collector`.
    pub fn read(self, windows: &[Window], collector: &mut Collector) -> Result<ReadStats, Error> {
        collector.start_input();
        let fail = |e: io::Error| read_error(&self.path, &e);
        match self.how {
            How::Positioned { file, len } => {
                let mut bytes = self.head.len() as u64;
                let mut ranges = Vec::with_capacity(windows.len());
                for w in windows {
                    let from = w.from.saturating_sub(DISORDER_SECONDS);
                    let (start, _, probed) = locate(&file, len, self.format, from).map_err(fail)?;
                    bytes += probed;
                    let end = match w.until {
                        None => len,
                        Some(until) => {
                            let to = until.saturating_add(DISORDER_SECONDS);
                            let (_, hi, probed) =
                                locate(&file, len, self.format, to).map_err(fail)?;
                            bytes += probed;
                            next_line_start(&file, hi, len).map_err(fail)?
                        }
                    };
                    if start < end {
                        ranges.push((start, end));
                    }
                }
                if std::env::var_os(input::DEBUG_ENV).is_some() {
                    eprintln!(
                        "logstats: input {}: read by position, bytes {ranges:?} of {len}",
                        self.path.display()
                    );
                }
                // The whole lines of the start already read serve again.
                let head_end = memchr::memrchr(b'\n', &self.head).map_or(0, |nl| nl as u64 + 1);
                for (start, end) in merged(ranges) {
                    let mut at = start;
                    if at < head_end {
                        let upto = end.min(head_end);
                        feed(
                            &self.head[at as usize..upto as usize],
                            self.format,
                            collector,
                        );
                        at = upto;
                    }
                    if at >= end {
                        continue;
                    }
                    // In blocks of whole lines: a window of days is read in
                    // bounded memory.
                    let range = RangeReader {
                        file: &file,
                        at,
                        end,
                    };
                    let mut blocks = LineBlocks::new(range, RANGE_BLOCK_BYTES);
                    while let Some(block) = blocks.next_block().map_err(fail)? {
                        bytes += block.len() as u64;
                        feed(&block, self.format, collector);
                        blocks.recycle(block);
                    }
                }
                Ok(ReadStats {
                    bytes,
                    size: Some(len),
                    positioned: true,
                })
            }
            How::Stream(mut blocks) => {
                let mut bytes = self.head.len() as u64;
                feed(&self.head, self.format, collector);
                while let Some(block) = blocks.next_block().map_err(fail)? {
                    bytes += block.len() as u64;
                    feed(&block, self.format, collector);
                    blocks.recycle(block);
                }
                Ok(ReadStats {
                    bytes: bytes + blocks.skipped(),
                    size: None,
                    positioned: false,
                })
            }
        }
    }
}

/// A regular file that is not gzip, and its size: read by position.
/// `None`: read it as a stream.
fn positioned(path: &InputPath) -> Result<Option<(File, u64)>, Error> {
    let InputPath::File(p) = path else {
        return Ok(None);
    };
    if !cfg!(unix) {
        return Ok(None);
    }
    let file = File::open(p).map_err(|e| Error::input(p, &e))?;
    let meta = file.metadata().map_err(|e| Error::input(p, &e))?;
    if !meta.is_file() {
        // A directory is refused with its own message; a pipe is streamed.
        return if meta.is_dir() {
            Err(Error::input(
                p,
                &io::Error::from(io::ErrorKind::IsADirectory),
            ))
        } else {
            Ok(None)
        };
    }
    let len = meta.len();
    let magic = read_range(&file, 0, 2.min(len)).map_err(|e| Error::input(p, &e))?;
    if magic == [0x1f, 0x8b] {
        return Ok(None);
    }
    Ok(Some((file, len)))
}

fn read_error(path: &InputPath, e: &io::Error) -> Error {
    match path {
        InputPath::File(p) => Error::input(p, e),
        InputPath::Stdin => Error::input(std::path::Path::new("-"), e),
    }
}

/// Parses every line of `text` into `collector`.
fn feed(text: &[u8], format: Format, collector: &mut Collector) {
    let mut lines = Lines::new(text, format.uses_quote_marks());
    while let Some(line) = lines.next_line() {
        let raw = line.text;
        match parse_line(format, line) {
            Some(parsed) => collector.parsed(&parsed),
            None if is_blank(raw) => {}
            None => collector.malformed(),
        }
    }
}

/// Byte ranges, sorted, overlapping ones joined: a line is read once.
fn merged(mut ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    ranges.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

/// Bytes `at..end` of a file, read by position.
struct RangeReader<'f> {
    file: &'f File,
    at: u64,
    end: u64,
}

impl Read for RangeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf
            .len()
            .min(usize::try_from(self.end - self.at).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = read_at(self.file, &mut buf[..want], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// Reads `len` bytes at `offset`, fewer if the file ends first (it may
/// have been truncated since it was opened).
fn read_range(file: &File, offset: u64, len: u64) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)];
    let mut filled = 0;
    while filled < buf.len() {
        match read_at(file, &mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_at(_: &File, _: &mut [u8], _: u64) -> io::Result<usize> {
    // Never called: files are streamed where positioned reads are not
    // available.
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Where lines stop being earlier than `target`, found by a binary search
/// over the first `len` bytes of `file`: `(lo, hi, bytes read)`. Every line
/// before `lo` (a line start) comes before a line earlier than `target`;
/// the first line that parses after `hi` is at `target` or later (when
/// `hi < len`). `hi - lo` is at most [`PROBE_BYTES`] and the end of a line.
/// A log sorted within `DISORDER_SECONDS` has no line at `target +
/// DISORDER_SECONDS` or later before `lo`, nor one before `target -
/// DISORDER_SECONDS` past the first line after `hi`.
pub(super) fn locate(
    file: &File,
    len: u64,
    format: Format,
    target: i64,
) -> io::Result<(u64, u64, u64)> {
    let (mut lo, mut hi) = (0u64, len);
    let mut read = 0;
    while hi - lo > PROBE_BYTES {
        let mid = lo + (hi - lo) / 2;
        let (found, bytes) = probe(file, mid, hi, len, format)?;
        read += bytes;
        match found {
            Some((line_end, t)) if t < target => {
                lo = line_end;
                hi = hi.max(lo);
            }
            _ => hi = mid,
        }
    }
    Ok((lo, hi, read))
}

/// The first line that starts after `at` (past the next newline) and
/// before `limit`, and parses: where it ends (the next line's start) and
/// its time. Also the bytes read.
fn probe(
    file: &File,
    at: u64,
    limit: u64,
    len: u64,
    format: Format,
) -> io::Result<(Option<(u64, i64)>, u64)> {
    let mut reader = Positioned::new(file, len);
    let mut start = match reader.newline(at)? {
        Some(nl) => nl + 1,
        None => return Ok((None, reader.read)),
    };
    while start < limit {
        let (line, end) = reader.line(start)?;
        if let Some(parsed) = line.and_then(|l| format.parse(l)) {
            return Ok((Some((end, parsed.time.unix)), reader.read));
        }
        start = end;
    }
    Ok((None, reader.read))
}

/// The start of the line after the one holding byte `at` (or `len`).
fn next_line_start(file: &File, at: u64, len: u64) -> io::Result<u64> {
    Ok(Positioned::new(file, len)
        .newline(at)?
        .map_or(len, |nl| nl + 1))
}

/// A file read by position through a buffer of a block or a line.
struct Positioned<'f> {
    file: &'f File,
    len: u64,
    /// The file's bytes from `start`.
    start: u64,
    buf: Vec<u8>,
    /// Bytes read so far.
    read: u64,
}

impl<'f> Positioned<'f> {
    fn new(file: &'f File, len: u64) -> Self {
        Positioned {
            file,
            len,
            start: 0,
            buf: Vec::new(),
            read: 0,
        }
    }

    /// The file from `from` on: at least `want` bytes of it, or all that
    /// is left; empty at the end.
    fn bytes(&mut self, from: u64, want: usize) -> io::Result<&[u8]> {
        let have = self.start + self.buf.len() as u64;
        if from < self.start || (from + want as u64 > have && have < self.len) {
            let n = (want as u64)
                .max(READ_BYTES)
                .min(self.len.saturating_sub(from));
            self.buf = read_range(self.file, from, n)?;
            self.start = from;
            self.read += self.buf.len() as u64;
        }
        let skip = usize::try_from(from - self.start).unwrap_or(usize::MAX);
        Ok(self.buf.get(skip..).unwrap_or_default())
    }

    /// The place of the first newline at or after `from`.
    fn newline(&mut self, mut from: u64) -> io::Result<Option<u64>> {
        loop {
            let block = self.bytes(from, 1)?;
            if block.is_empty() {
                return Ok(None);
            }
            if let Some(nl) = memchr::memchr(b'\n', block) {
                return Ok(Some(from + nl as u64));
            }
            from += block.len() as u64;
        }
    }

    /// The line that starts at `start` (without its `\r\n`), or `None`
    /// when it is longer than any log line; and the next line's start.
    fn line(&mut self, start: u64) -> io::Result<(Option<&[u8]>, u64)> {
        // What is buffered may hold the line already.
        let mut want = 1;
        loop {
            let len = self.len;
            let block = self.bytes(start, want)?;
            let found = memchr::memchr(b'\n', block);
            let got = block.len();
            if got == 0 {
                // The file was truncated since it was opened: no more lines.
                return Ok((None, len));
            }
            let at_end = start + got as u64 >= len;
            if found.is_none() && !at_end && got <= crate::input::chunk::MAX_LINE_BYTES {
                want = got.saturating_mul(2).max(READ_BYTES as usize);
                continue;
            }
            let line_len = found.unwrap_or(got);
            if line_len > crate::input::chunk::MAX_LINE_BYTES {
                let end = self.newline(start)?.map_or(len, |nl| nl + 1);
                return Ok((None, end));
            }
            let end = start + found.map_or(got as u64, |nl| nl as u64 + 1);
            let block = self.bytes(start, line_len)?;
            let line = &block[..line_len];
            return Ok((Some(line.strip_suffix(b"\r").unwrap_or(line)), end));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A log of one line every 10 s from `t0`, each line's time moved back
    /// by up to `disorder` seconds (a pseudo-random amount), with a
    /// malformed line every 50.
    fn log(lines: usize, disorder: i64) -> (Vec<u8>, Vec<i64>) {
        let t0 = 1_714_521_600; // 2024-05-01T00:00:00Z
        let mut text = Vec::new();
        let mut times = Vec::new();
        let mut x = 7u64;
        for i in 0..lines {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let back = if disorder > 0 {
                (x >> 33) as i64 % (disorder + 1)
            } else {
                0
            };
            let t = t0 + 10 * i as i64 - back;
            let time = chrono::DateTime::from_timestamp(t, 0).unwrap();
            text.extend_from_slice(
                format!(
                    "10.0.0.{} - - [{}] \"GET /p/{i} HTTP/1.1\" 200 5 \"-\" \"UA\"\n",
                    i % 250,
                    time.format("%d/%b/%Y:%H:%M:%S +0000")
                )
                .as_bytes(),
            );
            times.push(t);
            if i % 50 == 49 {
                text.extend_from_slice(b"garbage line\n");
            }
        }
        (text, times)
    }

    fn temp_log(text: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    /// The hits a window gets, read by position and read whole.
    fn hits_both_ways(path: &std::path::Path, window: Window) -> (u64, u64, u64) {
        let input = InputPath::File(path.to_path_buf());
        let mut positioned = Collector::new(&[window], None);
        let stats = Input::open(&input, None)
            .unwrap()
            .read(&[window], &mut positioned)
            .unwrap();
        assert!(stats.positioned);
        let text = std::fs::read(path).unwrap();
        let mut whole = Collector::new(&[window], None);
        feed(&text, Format::Combined, &mut whole);
        (
            positioned.windows[0].all.hits,
            whole.windows[0].all.hits,
            stats.bytes,
        )
    }

    #[test]
    fn a_window_read_by_position_has_the_lines_of_a_whole_read() {
        // 50,000 lines, 5.8 days, about 4.4 MB; lines up to 4 minutes out
        // of order.
        let (text, times) = log(50_000, 240);
        let (_dir, path) = temp_log(&text);
        let t0 = times[0];
        for (from, until) in [
            (t0 + 300_000, None),
            (t0 + 300_000, Some(t0 + 300_300)),
            (t0 - 100, Some(t0 + 50)),
            (t0 + 10 * 49_990, None),
            (t0 + 10 * 60_000, None),
            (t0 + 123_457, Some(t0 + 200_001)),
        ] {
            let window = Window { from, until };
            let expected = times.iter().filter(|&&t| window.holds(t)).count() as u64;
            let (positioned, whole, bytes) = hits_both_ways(&path, window);
            assert_eq!((positioned, whole), (expected, expected), "{window:?}");
            if until.is_some_and(|u| u - from < 1000) {
                // A few probes and a few minutes of lines, not the file.
                assert!(bytes < 1 << 20, "{window:?}: {bytes} bytes read");
            }
        }
    }

    #[test]
    fn probes_pass_over_malformed_stretches_and_long_lines() {
        let (mut text, _) = log(20, 0);
        // 300 kB of garbage in the middle, one line of it 200 kB long.
        let mut garbage = vec![b'x'; 200_000];
        garbage.push(b'\n');
        for _ in 0..1000 {
            garbage.extend_from_slice(&[b'y'; 99]);
            garbage.push(b'\n');
        }
        let (tail, _) = log(20, 0);
        let tail = String::from_utf8(tail)
            .unwrap()
            .replace("01/May/2024:00", "01/May/2024:01");
        text.extend_from_slice(&garbage);
        text.extend_from_slice(tail.as_bytes());
        let (_dir, path) = temp_log(&text);
        let t1 = 1_714_521_600 + 3600;
        let window = Window {
            from: t1 + 100,
            until: None,
        };
        let (positioned, whole, _) = hits_both_ways(&path, window);
        assert_eq!((positioned, whole), (10, 10));
        // A window before everything, and one after.
        for (from, n) in [(0, 40), (t1 + 10_000, 0)] {
            let (positioned, whole, _) = hits_both_ways(&path, Window { from, until: None });
            assert_eq!((positioned, whole), (n, n));
        }
    }

    #[test]
    fn overlapping_ranges_are_read_once() {
        assert_eq!(
            merged(vec![(50, 90), (0, 10), (5, 20), (20, 30)]),
            vec![(0, 30), (50, 90)]
        );
    }
}
