//! Matching a compiled pattern against a line: left to right, without
//! backtracking, each field's extent found from its shape and filled in
//! place, then assembled into the same [`LogLine`] a predefined layout
//! gives.

use std::borrow::Cow;

use memchr::memchr;

use super::{Field, Item, Mismatch, Pattern, Shape, Unit};
use crate::parse::fields::{bracketed, byte_count, quoted, status, Quoted};
use crate::parse::line::{strip_port, LogLine};
use crate::parse::request::Request;
use crate::parse::time::{parse_log_time, LogTime};

/// A field's extent in the line; `NONE` when the layout has no such field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

const NONE: Span = Span {
    start: u32::MAX,
    end: u32::MAX,
};

impl Span {
    fn get(self, line: &[u8]) -> Option<&[u8]> {
        (self != NONE).then(|| &line[self.start as usize..self.end as usize])
    }
}

/// The captured fields of one line. Kept small and filled in place: it is
/// built for every line.
struct Captures {
    client: Span,
    forwarded_for: Span,
    user: Span,
    request: Span,
    method: Span,
    target: Span,
    path: Span,
    query: Span,
    referer: Span,
    user_agent: Span,
    accept_language: Span,
    vhost: Span,
    time: Option<LogTime>,
    status: Option<u16>,
    bytes: Option<u64>,
    duration_us: Option<u64>,
}

impl Default for Captures {
    fn default() -> Self {
        Captures {
            client: NONE,
            forwarded_for: NONE,
            user: NONE,
            request: NONE,
            method: NONE,
            target: NONE,
            path: NONE,
            query: NONE,
            referer: NONE,
            user_agent: NONE,
            accept_language: NONE,
            vhost: NONE,
            time: None,
            status: None,
            bytes: None,
            duration_us: None,
        }
    }
}

impl Pattern {
    /// Parses one line (without its line terminator). `None`: malformed.
    #[inline]
    pub fn parse<'a>(&self, line: &'a [u8]) -> Option<LogLine<'a>> {
        // Offsets are kept in 32 bits; no line is 4 GiB long.
        if line.len() >= u32::MAX as usize {
            return None;
        }
        let mut caps = Captures::default();
        self.capture(line, &mut caps).ok()?;
        assemble(line, &caps, self.has_client)
    }

    /// Where `line` stops matching, or `None` when it matches.
    pub fn mismatch(&self, line: &[u8]) -> Option<Mismatch> {
        let mut caps = Captures::default();
        match self.capture(line, &mut caps) {
            Err(m) => Some(m),
            Ok(()) => assemble(line, &caps, self.has_client)
                .is_none()
                .then(|| Mismatch {
                    at: 0,
                    expected: "a request, status and time that can be read".into(),
                }),
        }
    }

    #[inline]
    fn capture(&self, line: &[u8], caps: &mut Captures) -> Result<(), Mismatch> {
        let mut pos = 0;
        for (i, item) in self.items.iter().enumerate() {
            let fail = |at: usize| Mismatch {
                at,
                expected: self.describe(i),
            };
            match item {
                Item::Literal(lit) => pos = literal(line, pos, lit).ok_or_else(|| fail(pos))?,
                Item::Field { field, shape, .. } => {
                    let (start, end, next) = extent(line, pos, *shape).ok_or_else(|| fail(pos))?;
                    store(caps, *field, line, start, end).ok_or_else(|| fail(start))?;
                    pos = next;
                }
            }
        }
        // Trailing white space is no field.
        if line[pos..].iter().all(|&b| b == b' ' || b == b'\t') {
            Ok(())
        } else {
            Err(Mismatch {
                at: pos,
                expected: "the end of the line".into(),
            })
        }
    }

    /// Item `i` in words: a field by its name, a literal with the field
    /// that follows it (a lone `' '` says little).
    fn describe(&self, i: usize) -> String {
        match &self.items[i] {
            Item::Field { name, .. } => name.to_string(),
            Item::Literal(l) => {
                let lit = format!("'{}'", String::from_utf8_lossy(l));
                let next = self.items[i + 1..].iter().find_map(|it| match it {
                    Item::Field { name, .. } => Some(name),
                    Item::Literal(_) => None,
                });
                match next {
                    Some(name) => format!("{lit} and then {name}"),
                    None => lit,
                }
            }
        }
    }
}
/// `lit` at `pos`; a space in it matches one or more spaces.
#[inline]
fn literal(line: &[u8], pos: usize, lit: &[u8]) -> Option<usize> {
    let rest = &line[pos..];
    // Single spaces, as servers write them: one comparison. (Runs of
    // spaces in a pattern's literals were collapsed when it was compiled.)
    if rest.starts_with(lit) && (lit.last() != Some(&b' ') || rest.get(lit.len()) != Some(&b' ')) {
        return Some(pos + lit.len());
    }
    let mut at = pos;
    for &b in lit {
        if line.get(at) != Some(&b) {
            return None;
        }
        at += 1;
        if b == b' ' {
            while line.get(at) == Some(&b' ') {
                at += 1;
            }
        }
    }
    Some(at)
}

/// The extent of a field at `pos`: its text's start and end, and where the
/// next item begins.
#[inline]
fn extent(line: &[u8], pos: usize, shape: Shape) -> Option<(usize, usize, usize)> {
    let rest = &line[pos..];
    match shape {
        Shape::Quoted => {
            let (after, q) = quoted(rest).ok()?;
            let start = pos + 1;
            Some((start, start + q.raw.len(), line.len() - after.len()))
        }
        Shape::Bracketed => {
            let (after, inner) = bracketed(rest).ok()?;
            let start = pos + 1;
            Some((start, start + inner.len(), line.len() - after.len()))
        }
        Shape::Mark => {
            let next = pos + (rest.first() == Some(&b'?')) as usize;
            Some((pos, next, next))
        }
        Shape::Until { stop, at_query } => {
            let mut end = match stop {
                None => rest.len(),
                Some(stop) => {
                    let mut end = 0;
                    loop {
                        // Tokens are short (`-`, an address, a status): a
                        // plain loop beats the set-up of a vectorised search.
                        end += rest[end..].iter().position(|&b| b == stop)?;
                        // `a, b`: a list goes on after a comma and spaces.
                        if stop == b' ' && end > 0 && rest[end - 1] == b',' {
                            while rest.get(end) == Some(&b' ') {
                                end += 1;
                            }
                            continue;
                        }
                        break;
                    }
                    end
                }
            };
            if at_query {
                if let Some(q) = memchr(b'?', &rest[..end]) {
                    end = q;
                }
            }
            if stop.is_none() {
                // The last field: trailing white space is not part of it.
                while end > 0 && matches!(rest[end - 1], b' ' | b'\t') {
                    end -= 1;
                }
            }
            Some((pos, pos + end, pos + end))
        }
    }
}

/// Records a field; `None` when its text cannot be what the field is.
#[inline]
fn store(caps: &mut Captures, field: Field, line: &[u8], start: usize, end: usize) -> Option<()> {
    let text = &line[start..end];
    let range = Span {
        start: start as u32,
        end: end as u32,
    };
    match field {
        Field::Client => caps.client = range,
        Field::ForwardedFor => caps.forwarded_for = range,
        Field::User => caps.user = range,
        Field::Time => caps.time = Some(parse_log_time(text)?),
        Field::EpochTime => caps.time = Some(epoch_time(text)?),
        Field::Request => caps.request = range,
        Field::Method => caps.method = range,
        Field::Target => caps.target = range,
        Field::Path => caps.path = range,
        Field::QueryMark => {}
        Field::Query => {
            let skip = (text.first() == Some(&b'?')) as u32;
            caps.query = Span {
                start: range.start + skip,
                end: range.end,
            };
        }
        Field::Status => {
            let (rest, s) = status(text).ok()?;
            if !rest.is_empty() {
                return None;
            }
            caps.status = Some(s);
        }
        Field::Bytes => {
            let (rest, b) = byte_count(text).ok()?;
            if !rest.is_empty() {
                return None;
            }
            caps.bytes = Some(b);
        }
        Field::Referer => caps.referer = range,
        Field::UserAgent => caps.user_agent = range,
        Field::AcceptLanguage => caps.accept_language = range,
        Field::Vhost => caps.vhost = range,
        Field::Duration(unit) => caps.duration_us = duration_us(text, unit)?,
        Field::Skip => {}
    }
    Some(())
}

/// `12.345` in `unit` as whole microseconds (rounded); `-` or nothing is
/// no time (`Some(None)`); anything else does not fit (`None`).
fn duration_us(text: &[u8], unit: Unit) -> Option<Option<u64>> {
    if text.is_empty() || text == b"-" {
        return Some(None);
    }
    let (int, frac) = match memchr(b'.', text) {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &b""[..]),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    if !digits(int) || !digits(frac) || int.len() > 12 {
        return None;
    }
    let per_unit = unit.micros();
    let whole = int
        .iter()
        .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'))
        .checked_mul(per_unit)?;
    // The fraction, scaled to microseconds and rounded half up.
    let mut fraction = 0u64;
    let mut scale = per_unit;
    let mut round = false;
    for &d in frac {
        let d = u64::from(d - b'0');
        if scale >= 10 {
            scale /= 10;
            fraction += d * scale;
        } else {
            round = d >= 5;
            break;
        }
    }
    Some(Some(whole + fraction + round as u64))
}

/// `$msec`: Unix seconds with a fraction, as UTC.
fn epoch_time(text: &[u8]) -> Option<LogTime> {
    let int = match memchr(b'.', text) {
        Some(dot) if text[dot + 1..].iter().all(u8::is_ascii_digit) => &text[..dot],
        Some(_) => return None,
        None => text,
    };
    if int.is_empty() || int.len() > 12 || !int.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let unix = int.iter().fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
    Some(LogTime {
        unix,
        offset_s: None,
    })
}

/// The line from its captures: the same [`LogLine`] a predefined layout
/// gives for the same request.
#[inline]
fn assemble<'a>(line: &'a [u8], c: &Captures, has_client: bool) -> Option<LogLine<'a>> {
    let quoted = |r: Span| r.get(line).map(|raw| Quoted { raw });
    let request = match (quoted(c.request), c.method.get(line)) {
        (Some(r), _) => Request::parse(r.text()),
        (None, Some(method)) => {
            let target = match (quoted(c.target), c.path != NONE) {
                (Some(t), _) => t.text(),
                (None, true) => path_and_query(line, c.path, c.query),
                (None, false) => return None,
            };
            Request::from_parts(Cow::Borrowed(method), target)
        }
        (None, None) => return None,
    };
    let client = if has_client {
        c.client
    } else {
        c.forwarded_for
    };
    Some(LogLine {
        vhost: c.vhost.get(line).map(strip_port),
        client: client.get(line).unwrap_or_default(),
        user: c.user.get(line).unwrap_or(b"-"),
        time: c.time?,
        request,
        status: c.status?,
        bytes: c.bytes.unwrap_or(0),
        referer: quoted(c.referer),
        user_agent: quoted(c.user_agent),
        response_time_us: c.duration_us,
        accept_language: quoted(c.accept_language),
    })
}

/// The target from a path and a query logged apart (`$uri?$args`,
/// `%U%q`). When they sit side by side in the line, separated by `?`, the
/// target is a slice of the line; otherwise it is pieced together.
fn path_and_query(line: &[u8], path: Span, query: Span) -> Cow<'_, [u8]> {
    let (ps, pe) = (path.start as usize, path.end as usize);
    let path_text = Quoted { raw: &line[ps..pe] }.text();
    match query.get(line) {
        Some(q) if !q.is_empty() => {
            let (qs, qe) = (query.start as usize, query.end as usize);
            if qs == pe + 1 && line[pe] == b'?' && matches!(path_text, Cow::Borrowed(_)) {
                Cow::Borrowed(&line[ps..qe])
            } else {
                let mut t = path_text.into_owned();
                t.push(b'?');
                t.extend_from_slice(q);
                Cow::Owned(t)
            }
        }
        _ => path_text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(duration_us(b"0.123", Unit::Seconds), Some(Some(123_000)));
        assert_eq!(duration_us(b"1.5", Unit::Seconds), Some(Some(1_500_000)));
        assert_eq!(duration_us(b"0.0000005", Unit::Seconds), Some(Some(1)));
        assert_eq!(duration_us(b"0.0000004", Unit::Seconds), Some(Some(0)));
        assert_eq!(duration_us(b"12", Unit::Millis), Some(Some(12_000)));
        assert_eq!(duration_us(b"1.25", Unit::Millis), Some(Some(1_250)));
        assert_eq!(duration_us(b"1532", Unit::Micros), Some(Some(1532)));
        assert_eq!(duration_us(b"-", Unit::Seconds), Some(None));
        assert_eq!(duration_us(b"", Unit::Seconds), Some(None));
        for junk in [&b"."[..], b"1.2.3", b"x", b"-1", b"0.1,"] {
            assert_eq!(duration_us(junk, Unit::Seconds), None, "{junk:?}");
        }
    }
}
