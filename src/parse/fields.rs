//! The field parsers the line layouts are built from: nom parsers over
//! `&[u8]` that return slices of the input, never copies.

use std::borrow::Cow;

use memchr::memchr;
use nom::bytes::complete::{tag, take_while1};
use nom::error::{Error, ErrorKind};
use nom::{Err, IResult};

fn fail<T>(input: &[u8]) -> IResult<&[u8], T> {
    Err(Err::Error(Error::new(input, ErrorKind::Verify)))
}

/// One or more spaces. Some servers pad fields with several.
#[inline]
pub fn spaces(input: &[u8]) -> IResult<&[u8], &[u8]> {
    // Nearly always exactly one: test that before counting.
    let n = match input {
        [b' ', b, ..] if *b != b' ' => 1,
        _ => input.iter().take_while(|&&b| b == b' ').count(),
    };
    if n == 0 {
        return fail(input);
    }
    Ok((&input[n..], &input[..n]))
}

/// A run of non-space bytes (`%l`, `%u`, a vhost). These are short (often
/// `-`): a plain loop beats the set-up of a vectorised search.
#[inline]
pub fn token(input: &[u8]) -> IResult<&[u8], &[u8]> {
    let end = input.iter().position(|&b| b == b' ').unwrap_or(input.len());
    if end == 0 {
        return fail(input);
    }
    Ok((&input[end..], &input[..end]))
}

/// The client field `%h`: one item, an empty string (gunicorn on a unix
/// socket), an `X-Forwarded-For` list `a, b, c`, or such a list in quotes.
/// Items are separated by commas, never by a bare space: a space ends the
/// field, so `vhost client` is two fields, and layouts with a vhost in front
/// are told apart from `combined` (SPEC §1 lists what servers write here).
#[inline]
pub fn client_field<'a>(
    input: &'a [u8],
    quotes: &mut impl FindQuote,
) -> IResult<&'a [u8], &'a [u8]> {
    if input.first() == Some(&b'"') {
        let (rest, q) = quoted_with(input, quotes)?;
        return Ok((rest, q.raw));
    }
    // The field ends at the first space not preceded by a comma.
    let mut end = 0;
    loop {
        end += first_space(&input[end..]);
        if end == 0 || input[end - 1] != b',' || end == input.len() {
            break;
        }
        while input.get(end) == Some(&b' ') {
            end += 1;
        }
    }
    Ok((&input[end..], &input[..end]))
}

/// Where the first space of `s` is, or its length. Eight bytes at a time:
/// a client field is up to 39 bytes (an IPv6 address), too short for the
/// set-up of a vectorised search to pay, too long for a byte loop.
#[inline]
fn first_space(s: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const SPACES: u64 = u64::from_ne_bytes([b' '; 8]);
    let mut at = 0;
    while let Some(word) = s.get(at..).and_then(|rest| rest.first_chunk::<8>()) {
        // A byte of `x` is zero where `s` has a space; the expression sets
        // the high bit of each such byte, and maybe of bytes after one (a
        // borrow), never of a byte before the first: its lowest set bit
        // is the first space.
        let x = u64::from_le_bytes(*word) ^ SPACES;
        let zero = x.wrapping_sub(ONES) & !x & HIGHS;
        if zero != 0 {
            return at + (zero.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + s[at..]
        .iter()
        .position(|&b| b == b' ')
        .unwrap_or(s.len() - at)
}

/// `[...]`: the text between the brackets.
#[inline]
pub fn bracketed(input: &[u8]) -> IResult<&[u8], &[u8]> {
    let (rest, _) = tag(b"[")(input)?;
    // `dd/Mon/yyyy:HH:MM:SS ±zzzz` is 26 bytes: look there first, when the
    // separators say it is that form (the time parser checks every byte).
    if rest.len() > 26 && rest[26] == b']' && rest[2] == b'/' && rest[6] == b'/' && rest[20] == b' '
    {
        return Ok((&rest[27..], &rest[..26]));
    }
    match memchr(b']', rest) {
        Some(close) => Ok((&rest[close + 1..], &rest[..close])),
        None => fail(input),
    }
}

/// A quoted field as the server wrote it, escapes and all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted<'a> {
    pub raw: &'a [u8],
}

impl<'a> Quoted<'a> {
    /// The field's text with its escapes decoded (see [`unescape`]). Borrowed unless
    /// the server escaped something, which is rare enough to allocate for.
    /// Decoding waits until a field is used: most lines never need their
    /// referrer or user agent as text.
    pub fn text(self) -> Cow<'a, [u8]> {
        if memchr(b'\\', self.raw).is_some() {
            Cow::Owned(unescape(self.raw))
        } else {
            Cow::Borrowed(self.raw)
        }
    }
}

/// `"..."`, where the text may hold `\"` (Apache, gunicorn) or `\x22`
/// (nginx) escapes. A backslash escapes the byte after it, so a quote ends
/// the field unless an odd number of backslashes stands right before it.
/// Searching for the quote alone is faster than for quote-or-backslash,
/// and escaped quotes are rare.
#[inline]
pub fn quoted(input: &[u8]) -> IResult<&[u8], Quoted<'_>> {
    quoted_with(input, &mut SearchQuotes)
}

/// [`quoted`], with the closing quote found by `quotes`.
#[inline(always)]
pub fn quoted_with<'a>(
    input: &'a [u8],
    quotes: &mut impl FindQuote,
) -> IResult<&'a [u8], Quoted<'a>> {
    let Some(body) = input.strip_prefix(b"\"") else {
        return fail(input);
    };
    // `"-"`, an absent referrer or agent, is common enough to skip the
    // set-up of a vectorised search for it.
    if let [b'-', b'"', ..] = body {
        return Ok((&body[2..], Quoted { raw: &body[..1] }));
    }
    match quotes.close(body) {
        Some(i) => Ok((&body[i + 1..], Quoted { raw: &body[..i] })),
        None => fail(input),
    }
}

/// How the quote that ends a quoted field is found.
pub trait FindQuote {
    /// Where in `body`, the text after an opening quote, the quote that
    /// closes it is: the first one that no backslash escapes.
    fn close(&mut self, body: &[u8]) -> Option<usize>;
    /// Whether the line is known to hold no backslash, and so no escapes.
    fn unescaped(&self) -> bool;
    /// Where the path of a request `target` (a slice of the line) ends:
    /// its first `?` or `#`, if it has one.
    fn path_end(&self, target: &[u8]) -> Option<usize>;
}

/// Closing quotes searched for in the text, escapes counted.
pub struct SearchQuotes;

impl FindQuote for SearchQuotes {
    #[inline(always)]
    fn close(&mut self, body: &[u8]) -> Option<usize> {
        let mut at = 0;
        while let Some(i) = memchr(b'"', &body[at..]) {
            let i = at + i;
            let backslashes = body[..i].iter().rev().take_while(|&&b| b == b'\\').count();
            if backslashes % 2 == 0 {
                return Some(i);
            }
            at = i + 1;
        }
        None
    }

    #[inline(always)]
    fn unescaped(&self) -> bool {
        false
    }

    #[inline(always)]
    fn path_end(&self, target: &[u8]) -> Option<usize> {
        super::request::path_end(target)
    }
}

/// Decodes the escapes servers write inside quoted fields: `\"`, `\\` and
/// `\xHH` (Apache, nginx), and JSON's `\/` and `\uXXXX` (surrogate pairs
/// too), the latter to UTF-8. Any other backslash sequence (`\n`, `\t`, a
/// lone surrogate) is kept as written, so that nothing is lost. Decoding
/// `\u` is safe for CLF logs too: servers never write it there.
pub fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' && i + 1 < raw.len() {
            match raw[i + 1] {
                b'"' | b'\\' | b'/' => {
                    out.push(raw[i + 1]);
                    i += 2;
                    continue;
                }
                b'x' if i + 3 < raw.len() => {
                    if let (Some(h), Some(l)) = (hex(raw[i + 2]), hex(raw[i + 3])) {
                        out.push(h << 4 | l);
                        i += 4;
                        continue;
                    }
                }
                b'u' => {
                    if let Some((c, len)) = json_char(&raw[i..]) {
                        let mut buf = [0; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        i += len;
                        continue;
                    }
                }
                _ => {}
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

/// The character of a `\uXXXX` escape at the start of `s`, or of a
/// `\uD8xx\uDCxx` surrogate pair, and how many bytes it took. `None` for
/// a lone surrogate or bad hex digits.
fn json_char(s: &[u8]) -> Option<(char, usize)> {
    let unit = |at: usize| -> Option<u32> {
        let esc = s.get(at..at + 6)?;
        if esc[0] != b'\\' || esc[1] != b'u' {
            return None;
        }
        esc[2..]
            .iter()
            .try_fold(0, |n, &b| Some(n << 4 | hex(b)? as u32))
    };
    let first = unit(0)?;
    match first {
        0xD800..=0xDBFF => {
            let low = unit(6).filter(|u| (0xDC00..=0xDFFF).contains(u))?;
            let c = char::from_u32(0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00))?;
            Some((c, 12))
        }
        0xDC00..=0xDFFF => None,
        _ => Some((char::from_u32(first)?, 6)),
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `%>s`: exactly three digits.
#[inline]
pub fn status(input: &[u8]) -> IResult<&[u8], u16> {
    match input {
        [a, b, c, rest @ ..]
            if a.is_ascii_digit()
                && b.is_ascii_digit()
                && c.is_ascii_digit()
                && !rest.first().is_some_and(u8::is_ascii_digit) =>
        {
            let n = (a - b'0') as u16 * 100 + (b - b'0') as u16 * 10 + (c - b'0') as u16;
            Ok((rest, n))
        }
        _ => fail(input),
    }
}

/// `%b` / `%O`: a byte count, where `-` means 0.
#[inline]
pub fn byte_count(input: &[u8]) -> IResult<&[u8], u64> {
    if let Some(rest) = input.strip_prefix(b"-") {
        return Ok((rest, 0));
    }
    let (rest, digits) = take_while1(|b: u8| b.is_ascii_digit())(input)?;
    let mut n: u64 = 0;
    for &d in digits {
        n = match n
            .checked_mul(10)
            .and_then(|n| n.checked_add((d - b'0') as u64))
        {
            Some(n) => n,
            None => return fail(input),
        };
    }
    Ok((rest, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_space_is_found_at_every_place_and_with_every_neighbour() {
        // Every length up to 3 words, the space at every place or absent,
        // with bytes around it that a borrow could mistake for a space
        // (0x21, 0x1f, 0xa0) and a second space after the first.
        for len in 0..24 {
            for place in 0..=len {
                for filler in [b'a', 0x21, 0x1f, 0xa0, 0x00] {
                    let mut s = vec![filler; len];
                    if place < len {
                        s[place] = b' ';
                        if place + 2 < len {
                            s[place + 2] = b' ';
                        }
                    }
                    let expected = s.iter().position(|&b| b == b' ').unwrap_or(len);
                    assert_eq!(first_space(&s), expected, "{s:?}");
                }
            }
        }
    }

    #[test]
    fn client_field_forms() {
        let cases: [(&[u8], &[u8], &[u8]); 7] = [
            (b"1.2.3.4 - - [", b"1.2.3.4", b" - - ["),
            (b"::1 - -", b"::1", b" - -"),
            (b" - - [", b"", b" - - ["),
            (
                b"10.0.0.2, 10.0.0.1, 127.0.0.1 - -",
                b"10.0.0.2, 10.0.0.1, 127.0.0.1",
                b" - -",
            ),
            (b"a,b - -", b"a,b", b" - -"),
            (
                b"\"10.5.102.222, 199.96.1.1\" 10.2.1.185",
                b"10.5.102.222, 199.96.1.1",
                b" 10.2.1.185",
            ),
            (
                b"example.com 10.0.0.2, 10.0.0.1",
                b"example.com",
                b" 10.0.0.2, 10.0.0.1",
            ),
        ];
        for (input, field, rest) in cases {
            let (r, f) = client_field(input, &mut SearchQuotes).unwrap();
            assert_eq!((f, r), (field, rest), "{}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn quoted_with_escapes() {
        let (rest, q) = quoted(br#""GET /a\"b HTTP/1.1" 200"#).unwrap();
        assert_eq!(rest, b" 200");
        assert_eq!(q.raw, br#"GET /a\"b HTTP/1.1"#);
        assert_eq!(&*q.text(), br#"GET /a"b HTTP/1.1"#);

        let (_, q) = quoted(br#""GET /a\x22b\\c HTTP/1.1""#).unwrap();
        assert_eq!(&*q.text(), br#"GET /a"b\c HTTP/1.1"#);

        let (rest, q) = quoted(br#""" x"#).unwrap();
        assert_eq!((q.raw, rest), (&b""[..], &b" x"[..]));
        assert!(matches!(q.text(), Cow::Borrowed(_)));

        // An escaped backslash before the quote does not escape the quote.
        let (rest, q) = quoted(br#""a\\" b"#).unwrap();
        assert_eq!((q.raw, rest), (&br"a\\"[..], &b" b"[..]));
        assert_eq!(&*q.text(), br"a\");
        let (rest, q) = quoted(br#""a\\\"b" c"#).unwrap();
        assert_eq!((q.raw, rest), (&br#"a\\\"b"#[..], &b" c"[..]));

        // A backslash before the closing quote escapes it: no end, no field.
        assert!(quoted(br#""abc\""#).is_err());
        assert!(quoted(b"\"unterminated").is_err());
        assert!(quoted(b"noquote").is_err());
    }

    #[test]
    fn unescape_json_escapes() {
        assert_eq!(unescape(br"a\u0026b\u003cc\u003E"), b"a&b<c>".to_vec());
        assert_eq!(unescape(br"\/x\/"), b"/x/".to_vec());
        assert_eq!(unescape(br"caf\u00e9"), "caf\u{e9}".as_bytes().to_vec());
        assert_eq!(unescape(br"\u20AC"), "\u{20ac}".as_bytes().to_vec());
        // A surrogate pair is one character: U+1F600.
        assert_eq!(
            unescape(br"\ud83d\ude00!"),
            "\u{1f600}!".as_bytes().to_vec()
        );
        assert_eq!(unescape(br"\u0016\u0000"), vec![0x16, 0]);
        assert_eq!(unescape(br#"say \"hi\""#), br#"say "hi""#.to_vec());
    }

    #[test]
    fn unescape_keeps_invalid_json_escapes() {
        for kept in [
            &br"\ud83d"[..],
            br"\ud83dx",
            br"\ude00\ud83d",
            br"\u12",
            br"\u12g4",
            br"\u",
            br"\U0041",
        ] {
            assert_eq!(unescape(kept), kept, "{}", String::from_utf8_lossy(kept));
        }
        // A lone high surrogate stays; the valid escape after it is decoded.
        assert_eq!(unescape(br"\ud83d\u0041"), br"\ud83dA");
    }

    #[test]
    fn unescape_keeps_unknown_sequences() {
        assert_eq!(unescape(br"a\nb\x2"), br"a\nb\x2".to_vec());
        assert_eq!(unescape(br"\x16\x03\x01"), vec![0x16, 0x03, 0x01]);
        assert_eq!(unescape(br"end\"), br"end\".to_vec());
    }

    #[test]
    fn status_is_three_digits() {
        assert_eq!(status(b"404 12").unwrap(), (&b" 12"[..], 404));
        assert_eq!(status(b"200").unwrap(), (&b""[..], 200));
        assert!(status(b"2000 1").is_err());
        assert!(status(b"20 1").is_err());
        assert!(status(b"-").is_err());
    }

    #[test]
    fn byte_counts() {
        assert_eq!(byte_count(b"- x").unwrap(), (&b" x"[..], 0));
        assert_eq!(byte_count(b"12345").unwrap(), (&b""[..], 12345));
        assert!(byte_count(b"x").is_err());
        assert!(byte_count(b"99999999999999999999999").is_err());
    }
}
