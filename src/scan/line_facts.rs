//! What an export's rows need of each kept line besides its ids (see
//! `line_ids.rs`): its time, status, size and duration, and where its
//! method, query string, referrer and virtual host lie in the text. The
//! first reading writes them as it parses; the second reads them back
//! instead of cutting and parsing every line again, which cost about an
//! eighth of an export's CPU.
//!
//! They go to a temporary file ([`FactSpill`]), a chunk at a time, not to
//! memory: an export holds no more per line than the twelve bytes of its
//! ids. A line takes about 18 bytes there: variable-length numbers, times
//! as the change from the line before, text as places in the line (the
//! second reading has the text mapped). A line whose fields are not all
//! slices of its text (a layout that decodes them) is only marked, and
//! parsed again.

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::parse::LogLine;

/// The temporary file of every chunk's facts, deleted when it is closed.
pub struct FactSpill {
    file: File,
    /// Where the next chunk's facts go.
    end: AtomicU64,
    #[cfg(not(unix))]
    lock: std::sync::Mutex<()>,
}

/// Where one chunk's facts lie in the spill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChunkFacts {
    /// The chunk's index in its input.
    pub chunk: u32,
    pub at: u64,
    pub len: u64,
}

impl FactSpill {
    pub fn new() -> io::Result<FactSpill> {
        Ok(FactSpill {
            file: tempfile::tempfile()?,
            end: AtomicU64::new(0),
            #[cfg(not(unix))]
            lock: std::sync::Mutex::new(()),
        })
    }

    /// Writes `bytes` after what was written before; where they start.
    /// Chunks are written by several threads at once, each to its own
    /// place.
    pub fn append(&self, bytes: &[u8]) -> io::Result<u64> {
        let at = self.end.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        self.write_at(bytes, at)?;
        Ok(at)
    }

    /// The facts of `chunk`, into `buf`.
    pub fn read(&self, chunk: &ChunkFacts, buf: &mut Vec<u8>) -> io::Result<()> {
        buf.clear();
        buf.resize(chunk.len as usize, 0);
        self.read_at(buf, chunk.at)
    }

    #[cfg(unix)]
    fn write_at(&self, bytes: &[u8], at: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::write_all_at(&self.file, bytes, at)
    }

    #[cfg(unix)]
    fn read_at(&self, buf: &mut [u8], at: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, at)
    }

    #[cfg(not(unix))]
    fn write_at(&self, bytes: &[u8], at: u64) -> io::Result<()> {
        use std::io::{Seek, SeekFrom, Write};
        let _held = self.lock.lock().map_err(|_| io::Error::other("lock"))?;
        let mut file = &self.file;
        file.seek(SeekFrom::Start(at))?;
        file.write_all(bytes)
    }

    #[cfg(not(unix))]
    fn read_at(&self, buf: &mut [u8], at: u64) -> io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        let _held = self.lock.lock().map_err(|_| io::Error::other("lock"))?;
        let mut file = &self.file;
        file.seek(SeekFrom::Start(at))?;
        file.read_exact(buf)
    }
}

/// What a row takes from its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowFields<'a> {
    pub time: i64,
    pub status: u16,
    pub bytes: u64,
    pub response_time_us: Option<u64>,
    pub method: &'a [u8],
    pub query: Option<&'a [u8]>,
    /// As written (see [`crate::parse::Quoted`]).
    pub referer: Option<&'a [u8]>,
    pub vhost: Option<&'a [u8]>,
}

impl<'a> RowFields<'a> {
    pub fn of(line: &'a LogLine<'_>) -> RowFields<'a> {
        RowFields {
            time: line.time.unix,
            status: line.status,
            bytes: line.bytes,
            response_time_us: line.response_time_us,
            method: line.request.method(),
            query: line.request.query(),
            referer: line.referer.map(|r| r.raw),
            vhost: line.vhost,
        }
    }
}

/// One line's facts, encoded in place at the end of the chunk's: a push
/// per number, with its check for room, cost a third more; encoding on the
/// stack and copying cost a clearing of the buffer and a copy per line.
struct Encoded<'b> {
    /// [`MAX_FACT_BYTES`] long.
    bytes: &'b mut [u8],
    len: usize,
}

/// The most a line's facts take: 15 numbers of at most 10 bytes.
const MAX_FACT_BYTES: usize = 150;

impl Encoded<'_> {
    #[inline(always)]
    fn put(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.bytes[self.len] = v as u8 | 0x80;
            self.len += 1;
            v >>= 7;
        }
        self.bytes[self.len] = v as u8;
        self.len += 1;
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    (v >> 1) as i64 ^ -((v & 1) as i64)
}

/// Where `field` lies in `line`, if it is a slice of it.
fn place(line: &[u8], field: &[u8]) -> Option<usize> {
    let at = (field.as_ptr() as usize).checked_sub(line.as_ptr() as usize)?;
    (at.checked_add(field.len())? <= line.len()).then_some(at)
}

/// Writes the facts of one chunk's kept lines, in order.
#[derive(Debug, Default)]
pub struct FactWriter {
    /// The facts written, then room for a line's (see [`Encoded`]).
    buf: Vec<u8>,
    len: usize,
    /// The last line written: its number in the chunk, where it starts,
    /// its time.
    line: u64,
    start: usize,
    time: i64,
}

impl FactWriter {
    /// Starts a chunk (keeping the buffer's room).
    pub fn clear(&mut self) {
        self.len = 0;
        (self.line, self.start, self.time) = (0, 0, 0);
    }

    /// The facts written since the chunk started.
    pub fn written(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Room for one line's facts after those written.
    #[inline]
    fn room(&mut self) -> Encoded<'_> {
        let end = self.len + MAX_FACT_BYTES;
        if self.buf.len() < end {
            self.buf.resize(end.max(2 * self.buf.len()), 0);
        }
        Encoded {
            bytes: &mut self.buf[self.len..end],
            len: 0,
        }
    }

    /// Kept line `number` (from 1) of `chunk`, whose text is `text` (a
    /// slice of `chunk`), parsed as `parsed`.
    pub fn add(&mut self, number: u64, chunk: &[u8], text: &[u8], parsed: &LogLine<'_>) {
        let start = place(chunk, text).unwrap_or(self.start);
        let fields = RowFields::of(parsed);
        let places = (|| {
            let opt = |f: Option<&[u8]>| match f {
                Some(f) => place(text, f).map(|at| Some((at, f.len()))),
                None => Some(None),
            };
            Some((
                place(text, fields.method).map(|at| (at, fields.method.len()))?,
                opt(fields.query)?,
                opt(fields.referer)?,
                opt(fields.vhost)?,
                match fields.response_time_us {
                    Some(us) => us.checked_add(1)?,
                    None => 0,
                },
            ))
        })();
        let gap = number.saturating_sub(self.line);
        let start_gap = start.saturating_sub(self.start) as u64;
        let time_gap = zigzag(fields.time.wrapping_sub(self.time));
        (self.line, self.start) = (number, start);
        if places.is_some() {
            self.time = fields.time;
        }
        let mut e = self.room();
        e.put(gap << 1 | places.is_none() as u64);
        e.put(start_gap);
        e.put(text.len() as u64);
        if let Some((method, query, referer, vhost, response)) = places {
            e.put(time_gap);
            e.put(fields.status as u64);
            e.put(fields.bytes);
            e.put(response);
            e.put(method.0 as u64);
            e.put(method.1 as u64);
            for field in [query, referer, vhost] {
                match field {
                    Some((at, len)) => {
                        e.put(at as u64 + 1);
                        e.put(len as u64);
                    }
                    None => e.put(0),
                }
            }
        }
        self.len += e.len;
    }
}

/// One kept line, read back.
#[derive(Debug, PartialEq, Eq)]
pub enum Fact<'a> {
    Fields(RowFields<'a>),
    /// The line's text, to parse again.
    Reparse(&'a [u8]),
}

/// Reads a byte of each cache line of `line`, in order. The row then reads
/// a few fields of the line (its referrer, its query), and reads of them
/// alone, a line apart, each waited for the memory; read in order, the
/// processor fetches the next lines ahead. On the generated 1 GiB log the
/// second reading took 1.65 s of CPU without it, 1.57 s finding each
/// line's end (which reads every byte), 1.50 s with it.
#[inline]
fn warm(line: &[u8]) {
    let mut seen = 0u8;
    for byte in line.iter().step_by(64) {
        seen ^= byte;
    }
    std::hint::black_box(seen);
}

/// The facts of one chunk, read back over the chunk's text.
pub struct FactReader<'f, 'a> {
    facts: &'f [u8],
    chunk: &'a [u8],
    line: u64,
    start: usize,
    time: i64,
}

/// Facts that do not fit the text: only an input changed between the two
/// readings (or a damaged temporary file) gives them.
#[derive(Debug, PartialEq, Eq)]
pub struct Mismatch;

impl<'f, 'a> FactReader<'f, 'a> {
    pub fn new(facts: &'f [u8], chunk: &'a [u8]) -> Self {
        FactReader {
            facts,
            chunk,
            line: 0,
            start: 0,
            time: 0,
        }
    }

    fn get(&mut self) -> Result<u64, Mismatch> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.facts.split_first().ok_or(Mismatch)?;
            self.facts = rest;
            v |= ((byte & 0x7f) as u64) << shift;
            if byte < 0x80 {
                return Ok(v);
            }
        }
        Err(Mismatch)
    }

    /// The next kept line: its number in the chunk (from 1) and its facts.
    pub fn next_fact(&mut self) -> Option<Result<(u64, Fact<'a>), Mismatch>> {
        if self.facts.is_empty() {
            return None;
        }
        Some(self.read_fact())
    }

    fn read_fact(&mut self) -> Result<(u64, Fact<'a>), Mismatch> {
        let head = self.get()?;
        self.line = self.line.checked_add(head >> 1).ok_or(Mismatch)?;
        let start = usize::try_from(self.get()?).map_err(|_| Mismatch)?;
        self.start = self.start.checked_add(start).ok_or(Mismatch)?;
        let len = usize::try_from(self.get()?).map_err(|_| Mismatch)?;
        let line = self
            .chunk
            .get(self.start..self.start.checked_add(len).ok_or(Mismatch)?)
            .ok_or(Mismatch)?;
        warm(line);
        if head & 1 == 1 {
            return Ok((self.line, Fact::Reparse(line)));
        }
        self.time = self.time.wrapping_add(unzigzag(self.get()?));
        let status = u16::try_from(self.get()?).map_err(|_| Mismatch)?;
        let bytes = self.get()?;
        let response_time_us = self.get()?.checked_sub(1);
        let slice = |at: u64, len: u64| {
            let at = usize::try_from(at).map_err(|_| Mismatch)?;
            let len = usize::try_from(len).map_err(|_| Mismatch)?;
            line.get(at..at.checked_add(len).ok_or(Mismatch)?)
                .ok_or(Mismatch)
        };
        let method = slice(self.get()?, self.get()?)?;
        let mut optional = || -> Result<Option<&'a [u8]>, Mismatch> {
            match self.get()? {
                0 => Ok(None),
                at => slice(at - 1, self.get()?).map(Some),
            }
        };
        let query = optional()?;
        let referer = optional()?;
        let vhost = optional()?;
        Ok((
            self.line,
            Fact::Fields(RowFields {
                time: self.time,
                status,
                bytes,
                response_time_us,
                method,
                query,
                referer,
                vhost,
            }),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::lines::Lines;
    use crate::parse::Format;
    use crate::scan::parse_line;

    const CHUNK: &[u8] = b"\
203.0.113.5 - - [01/May/2024:10:00:00 +0000] \"GET /a?x=1 HTTP/1.1\" 200 512 \"https://e.example/p\" \"UA one\"\n\
not a log line\n\
203.0.113.6 - - [01/May/2024:09:59:58 +0000] \"POST /b HTTP/1.1\" 404 0 \"-\" \"UA two\"\r\n\
\n\
203.0.113.7 - - [01/May/2024:10:00:05 +0000] \"GET /c HTTP/1.1\" 500 99999999999 \"-\" \"-\"";

    /// Every line of CHUNK that parses: (number from 1, text, parsed).
    fn parsed() -> Vec<(u64, &'static [u8], LogLine<'static>)> {
        let mut out = Vec::new();
        let mut lines = Lines::new(CHUNK, Format::Combined.uses_quote_marks());
        let mut n = 0;
        while let Some(line) = lines.next_line() {
            n += 1;
            let text = line.text;
            if let Some(p) = parse_line(Format::Combined, line) {
                out.push((n, text, p));
            }
        }
        out
    }

    #[test]
    fn facts_read_back_as_the_lines_parse() {
        let lines = parsed();
        assert_eq!(lines.len(), 3);
        let mut writer = FactWriter::default();
        for (n, text, p) in &lines {
            writer.add(*n, CHUNK, text, p);
        }
        let mut reader = FactReader::new(writer.written(), CHUNK);
        for (n, _, p) in &lines {
            let (number, fact) = reader.next_fact().unwrap().unwrap();
            assert_eq!(number, *n);
            assert_eq!(fact, Fact::Fields(RowFields::of(p)));
        }
        assert!(reader.next_fact().is_none());
        // The second line went back in time; the third is large.
        assert_eq!(RowFields::of(&lines[1].2).method, b"POST");
        assert_eq!(lines[2].2.bytes, 99_999_999_999);
    }

    #[test]
    fn a_line_whose_fields_are_not_its_own_text_is_parsed_again() {
        let lines = parsed();
        let (n, text, p) = &lines[1];
        let mut elsewhere = p.clone();
        let owned = b"GET".to_vec();
        elsewhere.request = crate::parse::Request::from_parts(
            std::borrow::Cow::Owned(owned),
            std::borrow::Cow::Borrowed(b"/b"),
        );
        let mut writer = FactWriter::default();
        writer.add(*n, CHUNK, text, &elsewhere);
        let mut reader = FactReader::new(writer.written(), CHUNK);
        let (number, fact) = reader.next_fact().unwrap().unwrap();
        assert_eq!(number, 3);
        // The line as the first reading cut it: up to its `\r\n`.
        assert_eq!(fact, Fact::Reparse(text));
        assert!(text.starts_with(b"203.0.113.6 ") && text.ends_with(b"\"UA two\""));
    }

    #[test]
    fn facts_beyond_the_text_are_a_mismatch() {
        let lines = parsed();
        let mut writer = FactWriter::default();
        for (n, text, p) in &lines {
            writer.add(*n, CHUNK, text, p);
        }
        let short = &CHUNK[..CHUNK.len() / 2];
        let mut reader = FactReader::new(writer.written(), short);
        let results: Vec<_> = std::iter::from_fn(|| reader.next_fact()).collect();
        assert!(results.iter().any(|r| r.is_err()));
        let mut truncated = FactReader::new(&writer.written()[..writer.written().len() - 1], CHUNK);
        let last = std::iter::from_fn(|| truncated.next_fact()).last().unwrap();
        assert_eq!(last, Err(Mismatch));
    }

    #[test]
    fn chunks_written_apart_read_back_where_they_were_put() {
        let spill = FactSpill::new().unwrap();
        let a = spill.append(b"first").unwrap();
        let b = spill.append(b"second chunk").unwrap();
        let mut buf = Vec::new();
        spill
            .read(
                &ChunkFacts {
                    chunk: 1,
                    at: b,
                    len: 12,
                },
                &mut buf,
            )
            .unwrap();
        assert_eq!(buf, b"second chunk");
        spill
            .read(
                &ChunkFacts {
                    chunk: 0,
                    at: a,
                    len: 5,
                },
                &mut buf,
            )
            .unwrap();
        assert_eq!(buf, b"first");
    }
}
