//! Cutting a chunk into lines, and finding the quotes of each line on the
//! way.
//!
//! A combined line has a newline and six quotes. Finding each with its own
//! vectorised search (`memchr`) cost a fifth of the run: each search sets
//! up again for a field of 50 to 150 bytes. Instead one pass over the text
//! marks every newline, quote and backslash 64 bytes at a time (one bit a
//! byte, as simdjson's first stage does), and the parser takes each field's
//! closing quote from the marks. A line with a backslash may escape a
//! quote: its quotes are left to the parser to search for, as before.
//! `?` and `#` are marked too: the first in the request's target ends its
//! path, which a search of its own cost 3 % of the run.
//!
//! The text is marked a window at a time, so that it is still in the cache
//! when its lines are parsed.

use crate::input::chunk::MAX_LINE_BYTES;
use crate::parse::fields::FindQuote;

/// How much text is marked at a time: about seventy combined lines, well
/// inside the cache of one core.
const WINDOW_BYTES: usize = 16 << 10;

/// One line of a chunk, without its `\n` (and a `\r` before it). The text
/// lives as long as the chunk, the marks until the next line is cut.
pub struct Line<'a, 'm> {
    pub text: &'a [u8],
    /// The line's marks (quotes, `?` and `#`), when it holds no backslash
    /// and was marked (not a line too long to be one, nor cut by
    /// [`PlainLines`]).
    pub quotes: Option<QuoteMarks<'a, 'm>>,
}

/// The marks of one line (its quotes, `?` and `#`), for the parser to take
/// closing quotes and the end of the request's path from.
#[derive(Clone, Copy)]
pub struct QuoteMarks<'a, 'm> {
    /// Places of the line's marks in the chunk, in order; those before
    /// the field being parsed are skipped as parsing goes on.
    at: &'m [usize],
    /// All of the line's marks.
    line: &'m [usize],
    /// The chunk, to place a field in it and read what a mark is.
    text: &'a [u8],
}

impl QuoteMarks<'_, '_> {
    /// Where `field`, a slice of the line, starts in the chunk.
    #[inline(always)]
    fn place(&self, field: &[u8]) -> usize {
        (field.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize)
    }
}

impl FindQuote for QuoteMarks<'_, '_> {
    #[inline(always)]
    fn close(&mut self, body: &[u8]) -> Option<usize> {
        let from = self.place(body);
        while let [first, rest @ ..] = self.at {
            if *first >= from && self.text[*first] == b'"' {
                break;
            }
            self.at = rest;
        }
        let (&quote, rest) = self.at.split_first()?;
        self.at = rest;
        // The line has no backslash: the first quote closes the field.
        let i = quote - from;
        (i < body.len()).then_some(i)
    }

    #[inline(always)]
    fn unescaped(&self) -> bool {
        true
    }

    #[inline(always)]
    fn path_end(&self, target: &[u8]) -> Option<usize> {
        let from = self.place(target);
        if from > self.text.len() {
            // Not a slice of the line after all: searched.
            return crate::parse::request::path_end(target);
        }
        // A target lies between the request's quotes, and the line has no
        // escapes: no quote is inside it, and any mark in it is a `?` or a
        // `#`. The first mark from its start on is that, or after it. A
        // line has a handful of marks and the target's come early (only
        // its opening quote before them): a forward scan ends in a step
        // or two, where a binary search mispredicted its branches.
        self.line
            .iter()
            .find(|&&m| m >= from)
            .map(|&m| m - from)
            .filter(|&at| at < target.len())
    }
}

/// A line cut at its `\n`, without the `\r` before it, if any.
fn without_cr(raw: &[u8]) -> &[u8] {
    raw.strip_suffix(b"\r").unwrap_or(raw)
}

/// The lines of a chunk, for the layouts that use quote marks.
pub struct MarkedLines<'a> {
    text: &'a [u8],
    /// Where the next line starts.
    start: usize,
    /// `text[..marked]` is marked.
    marked: usize,
    /// Places of newlines, quotes, backslashes, `?` and `#` in `text[..marked]`,
    /// from the start of the current line on.
    marks: Vec<usize>,
    /// The first mark of the next line.
    next: usize,
    window: usize,
}

impl<'a> MarkedLines<'a> {
    pub fn new(text: &'a [u8]) -> Self {
        Self::with_window(text, WINDOW_BYTES)
    }

    fn with_window(text: &'a [u8], window: usize) -> Self {
        MarkedLines {
            text,
            start: 0,
            marked: 0,
            marks: Vec::with_capacity(window / 16),
            next: 0,
            window: window.max(1),
        }
    }

    pub fn next_line(&mut self) -> Option<Line<'a, '_>> {
        if self.start >= self.text.len() {
            return None;
        }
        let mut escaped = false;
        let mut at = self.next;
        let end = loop {
            if let Some(&mark) = self.marks.get(at) {
                match self.text[mark] {
                    b'\n' => break mark,
                    b'\\' => escaped = true,
                    _ => {}
                }
                at += 1;
                continue;
            }
            if self.marked == self.text.len() {
                break self.text.len();
            }
            if self.marked - self.start > MAX_LINE_BYTES {
                // Longer than any log line: found without marks, whose
                // number would grow with the line.
                return Some(self.overlong_line());
            }
            // Marks of earlier lines are done with.
            self.marks.drain(..self.next);
            at -= self.next;
            self.next = 0;
            let to = self.marked.saturating_add(self.window).min(self.text.len());
            mark(&self.text[self.marked..to], self.marked, &mut self.marks);
            self.marked = to;
        };
        let first = self.next;
        self.next = at + 1;
        let line_start = self.start;
        self.start = end + 1;
        let chunk: &'a [u8] = self.text;
        let raw = &chunk[line_start..end];
        let quotes = (!escaped).then(|| QuoteMarks {
            at: &self.marks[first..at],
            line: &self.marks[first..at],
            text: chunk,
        });
        Some(Line {
            text: without_cr(raw),
            quotes,
        })
    }

    /// The rest of a line found too long to mark: cut at its newline,
    /// marking starts again after it.
    fn overlong_line(&mut self) -> Line<'a, 'static> {
        let end = memchr::memchr(b'\n', &self.text[self.marked..])
            .map_or(self.text.len(), |i| self.marked + i);
        let raw = &self.text[self.start..end];
        self.marks.clear();
        self.next = 0;
        self.start = end + 1;
        self.marked = self.start.min(self.text.len());
        Line {
            text: without_cr(raw),
            quotes: None,
        }
    }
}

/// The lines of a chunk, cut at newlines alone: for the layouts that find
/// their fields another way (JSON has many quotes a line; patterns search
/// for their own literals).
pub struct PlainLines<'a> {
    text: &'a [u8],
    start: usize,
    newlines: memchr::Memchr<'a>,
}

impl<'a> PlainLines<'a> {
    pub fn new(text: &'a [u8]) -> Self {
        PlainLines {
            text,
            start: 0,
            newlines: memchr::memchr_iter(b'\n', text),
        }
    }

    pub fn next_line(&mut self) -> Option<Line<'a, 'static>> {
        if self.start >= self.text.len() {
            return None;
        }
        let end = self.newlines.next().unwrap_or(self.text.len());
        let raw = &self.text[self.start..end];
        self.start = end + 1;
        Some(Line {
            text: without_cr(raw),
            quotes: None,
        })
    }
}

/// Either way of cutting lines, chosen once per chunk.
pub enum Lines<'a> {
    Marked(MarkedLines<'a>),
    Plain(PlainLines<'a>),
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a [u8], marked: bool) -> Self {
        if marked {
            Lines::Marked(MarkedLines::new(text))
        } else {
            Lines::Plain(PlainLines::new(text))
        }
    }

    #[inline]
    pub fn next_line(&mut self) -> Option<Line<'a, '_>> {
        match self {
            Lines::Marked(m) => m.next_line(),
            Lines::Plain(p) => p.next_line(),
        }
    }
}

/// Appends to `out` the places (counted from `offset`) of the newlines,
/// quotes, backslashes, `?` and `#` of `text`.
fn mark(text: &[u8], offset: usize, out: &mut Vec<usize>) {
    let mut blocks = text.chunks_exact(64);
    let mut base = offset;
    for block in &mut blocks {
        push_bits(block_marks(block), base, out);
        base += 64;
    }
    // The last bytes, padded with bytes that are never marked.
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let mut block = [0u8; 64];
        block[..tail.len()].copy_from_slice(tail);
        push_bits(block_marks(&block), base, out);
    }
}

#[inline(always)]
fn push_bits(mut bits: u64, base: usize, out: &mut Vec<usize>) {
    while bits != 0 {
        out.push(base + bits.trailing_zeros() as usize);
        bits &= bits - 1;
    }
}

/// One bit per byte of a 64-byte `block`: set for a newline, quote,
/// backslash, `?` or `#`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn block_marks(block: &[u8]) -> u64 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let mut bits = 0u64;
    for (i, lane) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of every x86_64 target, and the load reads
        // the 16 bytes of `lane`, which it may do unaligned.
        #[allow(unused_unsafe)]
        let mask = unsafe {
            let v = _mm_loadu_si128(lane.as_ptr().cast());
            let is = |b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
            let hit = _mm_or_si128(
                _mm_or_si128(_mm_or_si128(is(b'\n'), is(b'"')), is(b'\\')),
                _mm_or_si128(is(b'?'), is(b'#')),
            );
            _mm_movemask_epi8(hit) as u16
        };
        bits |= u64::from(mask) << (16 * i);
    }
    bits
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn block_marks(block: &[u8]) -> u64 {
    let mut bits = 0u64;
    for (i, &b) in block.iter().enumerate() {
        bits |= u64::from(matches!(b, b'\n' | b'"' | b'\\' | b'?' | b'#')) << i;
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line and its marks (quotes, `?`, `#`), as [`MarkedLines`]
    /// gives them.
    fn marked(text: &[u8], window: usize) -> Vec<(Vec<u8>, Option<Vec<usize>>)> {
        let mut lines = MarkedLines::with_window(text, window);
        let mut out = Vec::new();
        while let Some(line) = lines.next_line() {
            let start = line.text.as_ptr() as usize - text.as_ptr() as usize;
            let quotes = line
                .quotes
                .map(|q| q.at.iter().map(|&a| a - start).collect());
            out.push((line.text.to_vec(), quotes));
        }
        out
    }

    /// The same, worked out byte by byte.
    fn expected(text: &[u8]) -> Vec<(Vec<u8>, Option<Vec<usize>>)> {
        let mut out = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            let raw = &rest[..end];
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            let quotes = (!raw.contains(&b'\\')).then(|| {
                (0..line.len())
                    .filter(|&i| b"\"?#".contains(&line[i]))
                    .collect()
            });
            out.push((line.to_vec(), quotes));
            rest = &rest[(end + 1).min(rest.len())..];
        }
        out
    }

    #[test]
    fn lines_and_quotes_at_every_window_size() {
        let text = b"a \"b\" c\r\n\n\"\"\nx\\\"y\" z\n\"q\" 1\"2\"3?#\nlast \"no newline\"";
        for window in 1..=text.len() + 70 {
            assert_eq!(marked(text, window), expected(text), "window {window}");
        }
        let lines = marked(text, 64);
        assert_eq!(lines[0], (b"a \"b\" c".to_vec(), Some(vec![2, 4])));
        assert_eq!(lines[1], (Vec::new(), Some(vec![])));
        // A backslash: the quotes are left to be searched for.
        assert_eq!(lines[3], (b"x\\\"y\" z".to_vec(), None));
        assert_eq!(lines.len(), 6);
    }

    #[test]
    fn long_texts_across_blocks_and_windows() {
        // Marks at every place of a 64-byte block, lines of every length.
        let mut text = Vec::new();
        for n in 0..300usize {
            for i in 0..n {
                text.push(match (i * 7 + n) % 11 {
                    0 => b'"',
                    3 => b'?',
                    8 if n % 3 == 0 => b'#',
                    5 if n % 13 == 0 => b'\\',
                    _ => b'a' + (i % 26) as u8,
                });
            }
            text.push(b'\n');
        }
        for window in [1, 63, 64, 65, 1000, 16 << 10] {
            assert_eq!(marked(&text, window), expected(&text), "window {window}");
        }
    }

    #[test]
    fn an_overlong_line_is_cut_without_marks() {
        // Marking stops once a line is known to be too long: its marks
        // would be as many as its bytes.
        let mut text = vec![b'"'; 2 * MAX_LINE_BYTES + 100];
        text.extend_from_slice(b"\nnext \"q\"\n");
        let lines = marked(&text, 4096);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].0.len(), 2 * MAX_LINE_BYTES + 100);
        assert_eq!(lines[0].1, None);
        assert_eq!(lines[1], (b"next \"q\"".to_vec(), Some(vec![5, 7])));
    }

    #[test]
    fn closing_quotes_come_from_the_marks() {
        let text = b"x \"ab\" \"-\" \"c d\"";
        let mut lines = MarkedLines::new(text);
        let line = lines.next_line().unwrap();
        let mut q = line.quotes.unwrap();
        // After the first quote: `ab"...`, closed two bytes on.
        assert_eq!(q.close(&text[3..]), Some(2));
        // A field that starts after some quotes skips them.
        assert_eq!(q.close(&text[12..]), Some(3));
        assert_eq!(q.close(&text[16..]), None);
    }
}
