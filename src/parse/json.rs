//! JSON-lines access logs: one object a line, as nginx writes them with a
//! `log_format ... escape=json` layout and Caddy writes them by default.
//!
//! A hand-written scanner rather than a JSON library: lines come by the
//! million and the parsed line must borrow from the log. A string is kept as
//! the raw text between its quotes, escapes and all, and decoded only when it
//! is used ([`Quoted::text`]); a number is kept as its text. Members nobody
//! reads are skipped whatever they hold, by matching brackets rather than
//! checking their grammar.

use std::borrow::Cow;

use memchr::memchr;

use super::fields::Quoted;
use super::line::{strip_port, LogLine};
use super::request::Request;
use super::time::{parse_epoch, parse_log_time, LogTime};

/// How deep objects and arrays may nest: a line of a million `[` is a
/// malformed line, not a deep recursion.
const MAX_DEPTH: u32 = 32;

/// What the members of a line are read into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Client,
    Forwarded,
    User,
    Time,
    Method,
    Target,
    Args,
    Status,
    Bytes,
    Referer,
    Agent,
    Vhost,
    Duration,
}

const FIELDS: usize = Field::Duration as usize + 1;

/// Where a top-level member goes: its field, and the rank of its name among
/// the field's names. The lowest rank wins wherever it stands in the line:
/// layouts often log both `$remote_addr` and `$http_x_forwarded_for`, or a
/// request time and an upstream time.
fn top_level(key: &[u8]) -> Option<(Field, u8)> {
    use Field::*;
    Some(match key {
        b"remote_addr" => (Client, 0),
        b"client" => (Client, 1),
        b"client_ip" => (Client, 2),
        b"ip" => (Client, 3),
        b"remote_ip" => (Client, 4),
        b"http_x_forwarded_for" => (Forwarded, 0),
        b"x_forwarded_for" => (Forwarded, 1),
        b"remote_user" => (User, 0),
        b"time_local" => (Time, 0),
        b"time_iso8601" => (Time, 1),
        b"time" => (Time, 2),
        b"timestamp" => (Time, 3),
        b"@timestamp" => (Time, 4),
        b"msec" => (Time, 5),
        b"ts" => (Time, 6),
        b"request_method" => (Method, 0),
        b"method" => (Method, 1),
        b"request_uri" => (Target, 0),
        b"uri" => (Target, 1),
        b"url" => (Target, 2),
        b"path" => (Target, 3),
        b"args" => (Args, 0),
        b"query_string" => (Args, 1),
        b"status" => (Status, 0),
        b"body_bytes_sent" => (Bytes, 0),
        b"bytes_sent" => (Bytes, 1),
        b"size" => (Bytes, 2),
        b"bytes" => (Bytes, 3),
        b"http_referer" => (Referer, 0),
        b"http_referrer" => (Referer, 1),
        b"referer" => (Referer, 2),
        b"referrer" => (Referer, 3),
        b"http_user_agent" => (Agent, 0),
        b"user_agent" => (Agent, 1),
        b"agent" => (Agent, 2),
        b"host" => (Vhost, 0),
        b"server_name" => (Vhost, 1),
        b"http_host" => (Vhost, 2),
        b"vhost" => (Vhost, 3),
        b"request_time" => (Duration, 0),
        b"duration" => (Duration, 1),
        b"duration_ms" => (Duration, 2),
        b"response_time_ms" => (Duration, 3),
        b"request_time_us" => (Duration, 4),
        b"duration_us" => (Duration, 5),
        b"upstream_response_time" => (Duration, 6),
        _ => return None,
    })
}

/// For each rank of [`Field::Duration`]: the power of ten that turns its
/// unit into microseconds (seconds, milliseconds, microseconds).
const DURATION_DECIMALS: [u32; 7] = [6, 6, 3, 3, 0, 0, 6];

/// A member of Caddy's `request` object. Ranked after the top-level names:
/// a layout that logs a client at the top means that one. Caddy before 2.5
/// logged `remote_addr` as `ip:port` (see [`without_port`]).
fn in_request(key: &[u8]) -> Option<(Field, u8)> {
    use Field::*;
    Some(match key {
        b"client_ip" => (Client, 10),
        b"remote_ip" => (Client, 11),
        b"remote_addr" => (Client, OLD_CADDY_ADDR),
        b"method" => (Method, 10),
        b"uri" => (Target, 10),
        b"host" => (Vhost, 10),
        _ => return None,
    })
}

/// The rank of Caddy's `request.remote_addr`, an address with its port.
const OLD_CADDY_ADDR: u8 = 12;

/// `1.2.3.4:5678` → `1.2.3.4`, `[2001:db8::1]:5678` → `2001:db8::1`: a
/// visitor is a client address, and the port changes with every connection.
fn without_port(addr: &[u8]) -> &[u8] {
    if let Some(v6) = addr.strip_prefix(b"[") {
        return match memchr(b']', v6) {
            Some(end) => &v6[..end],
            None => addr,
        };
    }
    match memchr(b':', addr) {
        Some(colon) if memchr(b':', &addr[colon + 1..]).is_none() => &addr[..colon],
        _ => addr,
    }
}

/// A header of Caddy's `request.headers`; header names ignore case.
fn header(key: &[u8]) -> Option<(Field, u8)> {
    if key.eq_ignore_ascii_case(b"user-agent") {
        Some((Field::Agent, 10))
    } else if key.eq_ignore_ascii_case(b"referer") {
        Some((Field::Referer, 10))
    } else {
        None
    }
}

/// Parses one JSON object line. `None`: malformed (not an object, or no
/// usable time, status or request).
pub fn parse_line(line: &[u8]) -> Option<LogLine<'_>> {
    let mut p = Parser {
        s: line,
        i: 0,
        slots: [None; FIELDS],
        request_line: None,
        headers: false,
    };
    p.ws();
    p.object(1, Parser::top_member)?;
    p.ws();
    if p.i != line.len() {
        return None;
    }
    p.finish()
}

/// A scalar value as written: a string's text between its quotes, or a
/// number's text. Objects, arrays, booleans and null are `Other`.
#[derive(Debug, Clone, Copy)]
enum Value<'a> {
    Str(&'a [u8]),
    Num(&'a [u8]),
    Other,
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    /// For each [`Field`], the best-ranked value so far and its rank.
    slots: [Option<(u8, &'a [u8])>; FIELDS],
    /// nginx's `$request`, the whole request line.
    request_line: Option<&'a [u8]>,
    /// Whether the line logs request headers as an object (Caddy): then a
    /// header missing from it was not sent.
    headers: bool,
}

impl<'a> Parser<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        if self.peek() != Some(b) {
            return None;
        }
        self.i += 1;
        Some(())
    }

    /// An object at nesting level `depth`, each member's value read by
    /// `member` (given the key and the object's level).
    fn object(
        &mut self,
        depth: u32,
        member: impl Fn(&mut Self, &'a [u8], u32) -> Option<()>,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.expect(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Some(());
        }
        loop {
            self.ws();
            let key = self.string()?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            member(self, key, depth)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `"..."`: the raw text between the quotes. As in CLF fields, a quote
    /// ends the string unless an odd number of backslashes precede it.
    // Called for every key and most values: the call would cost more than
    // the search in a short string.
    #[inline(always)]
    fn string(&mut self) -> Option<&'a [u8]> {
        let s: &'a [u8] = self.s;
        let body = s.get(self.i..)?.strip_prefix(b"\"")?;
        let mut at = 0;
        loop {
            let q = at + find_quote(body.get(at..)?)?;
            let escaped = q > 0
                && body[q - 1] == b'\\'
                && body[..q].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1;
            if !escaped {
                self.i += q + 2;
                return Some(&body[..q]);
            }
            at = q + 1;
        }
    }

    /// Any value inside a container of level `depth`.
    #[inline]
    fn value(&mut self, depth: u32) -> Option<Value<'a>> {
        Some(match self.peek()? {
            b'"' => Value::Str(self.string()?),
            b'{' | b'[' => {
                self.skip_container(depth)?;
                Value::Other
            }
            b't' => self.literal(b"true")?,
            b'f' => self.literal(b"false")?,
            b'n' => self.literal(b"null")?,
            b'-' | b'0'..=b'9' => {
                let start = self.i;
                while let Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') = self.peek() {
                    self.i += 1;
                }
                Value::Num(&self.s[start..self.i])
            }
            _ => return None,
        })
    }

    fn literal(&mut self, word: &[u8]) -> Option<Value<'a>> {
        if !self.s.get(self.i..)?.starts_with(word) {
            return None;
        }
        self.i += word.len();
        Some(Value::Other)
    }

    /// Skips the object or array that starts here, inside a container of
    /// level `depth`. Only brackets are matched (one bit a level says which
    /// kind is open) and strings jumped over.
    fn skip_container(&mut self, depth: u32) -> Option<()> {
        let mut arrays: u64 = 0;
        let mut level = depth;
        loop {
            let b = self.peek()?;
            match b {
                b'"' => {
                    self.string()?;
                    continue;
                }
                b'{' | b'[' => {
                    level += 1;
                    if level > MAX_DEPTH {
                        return None;
                    }
                    arrays = arrays << 1 | (b == b'[') as u64;
                }
                b'}' | b']' => {
                    if (arrays & 1 == 1) != (b == b']') {
                        return None;
                    }
                    arrays >>= 1;
                    level -= 1;
                    if level == depth {
                        self.i += 1;
                        return Some(());
                    }
                }
                _ => {}
            }
            self.i += 1;
        }
    }

    /// Reads a member's value into `to`, or skips it.
    #[inline]
    fn member(&mut self, to: Option<(Field, u8)>, depth: u32) -> Option<()> {
        let value = self.value(depth)?;
        if let (Some((field, rank)), Value::Str(raw) | Value::Num(raw)) = (to, value) {
            self.offer(field, rank, raw);
        }
        Some(())
    }

    fn offer(&mut self, field: Field, rank: u8, raw: &'a [u8]) {
        // nginx writes an unset variable as "" in JSON, and "-" elsewhere.
        // Both are absent, but a request logged as "" is still a request
        // (an invalid one, as in CLF), and an empty user agent or referrer
        // keeps its meaning.
        let keeps_empty = matches!(
            field,
            Field::Method | Field::Target | Field::Referer | Field::Agent
        );
        if !keeps_empty && (raw.is_empty() || raw == b"-") {
            return;
        }
        let slot = &mut self.slots[field as usize];
        if slot.is_none_or(|(r, _)| rank < r) {
            *slot = Some((rank, raw));
        }
    }

    fn top_member(&mut self, key: &'a [u8], depth: u32) -> Option<()> {
        if key == b"request" {
            // Caddy: an object of the request's parts. nginx: `$request`.
            if self.peek() == Some(b'{') {
                return self.object(depth + 1, Parser::request_member);
            }
            if let Value::Str(raw) = self.value(depth)? {
                self.request_line.get_or_insert(raw);
            }
            return Some(());
        }
        self.member(top_level(key), depth)
    }

    fn request_member(&mut self, key: &'a [u8], depth: u32) -> Option<()> {
        if key == b"headers" && self.peek() == Some(b'{') {
            self.headers = true;
            return self.object(depth + 1, Parser::header_member);
        }
        self.member(in_request(key), depth)
    }

    fn header_member(&mut self, key: &'a [u8], depth: u32) -> Option<()> {
        let to = header(key);
        if to.is_none() || self.peek() != Some(b'[') {
            return self.member(to, depth);
        }
        // Go's http.Header holds a list of values a name: the first is the
        // header as sent (repeats are rare).
        let start = self.i;
        self.i += 1;
        self.ws();
        let first = match self.peek()? {
            b']' => Value::Other,
            _ => self.value(depth + 1)?,
        };
        self.i = start;
        self.skip_container(depth)?;
        if let (Some((field, rank)), Value::Str(raw)) = (to, first) {
            self.offer(field, rank, raw);
        }
        Some(())
    }

    fn get(&self, field: Field) -> Option<&'a [u8]> {
        self.slots[field as usize].map(|(_, raw)| raw)
    }

    fn finish(&self) -> Option<LogLine<'a>> {
        use Field::*;
        let status = three_digits(self.get(Status)?)?;
        let time = log_time(self.get(Time)?)?;
        let request = match self.request_line {
            Some(line) => Request::parse(Quoted { raw: line }.text()),
            None => {
                let target = Quoted {
                    raw: self.get(Target)?,
                }
                .text();
                let method = Quoted {
                    raw: self.get(Method)?,
                }
                .text();
                Request::from_parts(method, with_query(target, self.get(Args)))
            }
        };
        let bytes = match self.get(Bytes) {
            Some(raw) => count(raw)?,
            None => 0,
        };
        // A header object without the header: the request had none, which
        // is an empty agent (a bot), not a layout without agents.
        let agent = self
            .get(Agent)
            .or(self.headers.then_some(&b""[..]))
            .map(|raw| Quoted { raw });
        let response_time_us = self.slots[Duration as usize]
            .and_then(|(rank, raw)| scaled(raw, *DURATION_DECIMALS.get(rank as usize)?));
        Some(LogLine {
            vhost: self.get(Vhost).map(strip_port),
            client: match self.slots[Client as usize] {
                Some((OLD_CADDY_ADDR, addr)) => without_port(addr),
                Some((_, client)) => client,
                None => self.get(Forwarded).unwrap_or(b""),
            },
            user: self.get(User).unwrap_or(b"-"),
            time,
            request,
            status,
            bytes,
            referer: self.get(Referer).map(|raw| Quoted { raw }),
            user_agent: agent,
            response_time_us,
            accept_language: None,
        })
    }
}

/// Where the first `"` of `s` is. Most strings of a line are short (keys,
/// numbers, addresses): eight bytes at a time finds their end before
/// memchr would have set up; the long ones (user agents) go on with it.
#[inline]
fn find_quote(s: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    const QUOTES: u64 = u64::from_le_bytes([b'"'; 8]);
    let mut at = 0;
    while at < 32 {
        let Some(word) = s.get(at..at + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) else {
            break;
        };
        // A quote byte is a zero byte of the xor; the lowest flagged byte
        // is exact (borrows only run upwards).
        let x = u64::from_le_bytes(word) ^ QUOTES;
        let zeros = x.wrapping_sub(ONES) & !x & HIGHS;
        if zeros != 0 {
            return Some(at + (zeros.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    memchr(b'"', s.get(at..)?).map(|i| at + i)
}

/// nginx's `$uri` comes without the query string, which is in `$args`.
/// Joining them copies, but only layouts that log them apart pay for it.
fn with_query<'a>(target: Cow<'a, [u8]>, args: Option<&'a [u8]>) -> Cow<'a, [u8]> {
    match args {
        Some(args) if memchr(b'?', &target).is_none() => {
            let args = Quoted { raw: args }.text();
            let mut joined = Vec::with_capacity(target.len() + 1 + args.len());
            joined.extend_from_slice(&target);
            joined.push(b'?');
            joined.extend_from_slice(&args);
            Cow::Owned(joined)
        }
        _ => target,
    }
}

/// Text (CLF, ISO 8601) or a Unix time, as a string or a number.
fn log_time(raw: &[u8]) -> Option<LogTime> {
    let numeric = raw
        .iter()
        .all(|&b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if numeric {
        parse_epoch(raw)
    } else {
        parse_log_time(raw)
    }
}

/// A status, as `200` or `"200"`: exactly three digits (SPEC §1).
fn three_digits(raw: &[u8]) -> Option<u16> {
    match raw {
        [a, b, c] if raw.iter().all(u8::is_ascii_digit) => {
            Some((a - b'0') as u16 * 100 + (b - b'0') as u16 * 10 + (c - b'0') as u16)
        }
        _ => None,
    }
}

/// A byte count: digits only, as a byte count in CLF must be.
fn count(raw: &[u8]) -> Option<u64> {
    if raw.is_empty() {
        return None;
    }
    raw.iter().try_fold(0u64, |n, &d| {
        if !d.is_ascii_digit() {
            return None;
        }
        n.checked_mul(10)?.checked_add((d - b'0') as u64)
    })
}

/// A non-negative decimal times 10^`decimals`, rounded to the nearest
/// whole number (halves up). Worked on the digits: exact, and no float
/// parse for every line; only an exponent (`1e-05`) takes the float path.
fn scaled(raw: &[u8], decimals: u32) -> Option<u64> {
    if !raw.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    if raw.iter().any(|&b| b | 0x20 == b'e') {
        let f: f64 = std::str::from_utf8(raw).ok()?.parse().ok()?;
        let v = (f * 10f64.powi(decimals as i32)).round();
        return (0.0..1.8e19).contains(&v).then_some(v as u64);
    }
    let (int, frac) = match memchr(b'.', raw) {
        Some(dot) => (&raw[..dot], &raw[dot + 1..]),
        None => (raw, &b""[..]),
    };
    if !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: u64 = 0;
    for &d in int {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    for i in 0..decimals as usize {
        let d = frac.get(i).map_or(0, |d| d - b'0');
        n = n.checked_mul(10)?.checked_add(d as u64)?;
    }
    let round_up = frac.get(decimals as usize).is_some_and(|&d| d >= b'5');
    n.checked_add(round_up as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NGINX: &[u8] = br#"{"time_local":"01/May/2024:09:58:10 +0200","remote_addr":"203.0.113.5","remote_user":"","request":"GET /blog/42?ref=home HTTP/1.1","status": "200","body_bytes_sent":"8000","request_time":"0.004","http_referrer":"https://example.com/","http_user_agent":"Mozilla/5.0 (X11; Linux x86_64)","http_x_forwarded_for":"","host":"example.com:8080"}"#;

    const CADDY: &[u8] = br#"{"level":"info","ts":1646861401.52,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"127.0.0.1","remote_port":"41342","client_ip":"127.0.0.2","proto":"HTTP/1.1","method":"GET","host":"localhost","uri":"/?a=1\u0026b=\u003cx\u003e","headers":{"User-Agent":["curl/7.82.0"],"Accept":["*/*"],"referer":["https://x/","https://y/"]}},"bytes_read":0,"user_id":"","duration":0.000929675,"size":10900,"status":200,"resp_headers":{"Server":["Caddy"],"Content-Type":["text/html; charset=utf-8"]}}"#;

    fn text(q: Option<Quoted<'_>>) -> Option<Vec<u8>> {
        q.map(|q| q.text().into_owned())
    }

    #[test]
    fn nginx_line() {
        let l = parse_line(NGINX).unwrap();
        assert_eq!(l.client, b"203.0.113.5");
        assert_eq!(l.user, b"-");
        assert_eq!(
            l.time,
            parse_log_time(b"01/May/2024:09:58:10 +0200").unwrap()
        );
        assert_eq!(l.time.offset_s, Some(7200));
        assert_eq!(
            (l.request.method(), l.request.path(), l.request.query()),
            (&b"GET"[..], &b"/blog/42"[..], Some(&b"ref=home"[..]))
        );
        assert_eq!(l.request.protocol(), Some(&b"HTTP/1.1"[..]));
        assert_eq!((l.status, l.bytes), (200, 8000));
        assert_eq!(l.response_time_us, Some(4000));
        assert_eq!(
            text(l.referer).as_deref(),
            Some(&b"https://example.com/"[..])
        );
        assert_eq!(
            text(l.user_agent).as_deref(),
            Some(&b"Mozilla/5.0 (X11; Linux x86_64)"[..])
        );
        assert_eq!(l.vhost, Some(&b"example.com"[..]));
    }

    #[test]
    fn caddy_line() {
        let l = parse_line(CADDY).unwrap();
        assert_eq!(l.client, b"127.0.0.2", "client_ip before remote_ip");
        assert_eq!(l.time.unix, 1646861401);
        assert_eq!(l.time.offset_s, None);
        assert_eq!(l.request.method(), b"GET");
        assert_eq!(l.request.target(), b"/?a=1&b=<x>");
        assert_eq!(l.request.query(), Some(&b"a=1&b=<x>"[..]));
        assert_eq!((l.status, l.bytes), (200, 10900));
        assert_eq!(l.response_time_us, Some(930));
        assert_eq!(text(l.user_agent).as_deref(), Some(&b"curl/7.82.0"[..]));
        assert_eq!(text(l.referer).as_deref(), Some(&b"https://x/"[..]));
        assert_eq!(l.vhost, Some(&b"localhost"[..]));
        assert_eq!(l.user, b"-");
    }

    #[test]
    fn caddy_without_agent_header_has_an_empty_agent() {
        let line = br#"{"ts":1646861401,"request":{"remote_ip":"::1","method":"GET","uri":"/","headers":{}},"status":200}"#;
        let l = parse_line(line).unwrap();
        assert_eq!(l.user_agent, Some(Quoted { raw: b"" }));
        assert_eq!(l.referer, None);
        assert_eq!(l.client, b"::1");
        // Caddy before 2.5: the address with its port; an empty client_ip
        // (no trusted proxy) is absent.
        let line = br#"{"ts":1646861401,"request":{"client_ip":"","remote_addr":"[::1]:5000","method":"GET","uri":"/"},"status":200}"#;
        assert_eq!(parse_line(line).unwrap().client, b"::1");
        let line = br#"{"ts":1646861401,"request":{"remote_addr":"66.214.199.16:63555","method":"GET","uri":"/"},"status":200}"#;
        assert_eq!(parse_line(line).unwrap().client, b"66.214.199.16");
        assert_eq!(without_port(b"::1"), b"::1");
        assert_eq!(without_port(b"host"), b"host");
        // No header object at all: the layout has no agent.
        let line = br#"{"ts":1646861401,"method":"GET","uri":"/","status":200}"#;
        assert_eq!(parse_line(line).unwrap().user_agent, None);
    }

    #[test]
    fn escapes_in_strings() {
        let line = br#"{"time":"2024-05-01T12:00:00+02:00","ip":"1.2.3.4","request":"GET /a\"b\\c\/d HTTP/1.1","status":404,"user_agent":"say \"hi\" \u00e9"}"#;
        let l = parse_line(line).unwrap();
        assert_eq!(l.request.path(), br#"/a"b\c/d"#);
        assert_eq!(
            text(l.user_agent).as_deref(),
            Some("say \"hi\" \u{e9}".as_bytes())
        );
        assert_eq!(l.time.offset_s, Some(7200));
        // A quote after an escaped backslash ends the string.
        let line = br#"{"ts":1,"request":"GET /x\\","status":200,"agent":"\\"}"#;
        let l = parse_line(line).unwrap();
        assert_eq!(l.request.path(), br"/x\");
        assert_eq!(text(l.user_agent).as_deref(), Some(&br"\"[..]));
    }

    #[test]
    fn method_and_target_with_args() {
        let line = br#"{"msec":"1714550290.123","request_method":"POST","uri":"/search","args":"q=a\u0026b=c","status":"201"}"#;
        let l = parse_line(line).unwrap();
        assert_eq!(l.request.method(), b"POST");
        assert_eq!(l.request.target(), b"/search?q=a&b=c");
        assert_eq!(l.time.unix, 1714550290);
        assert_eq!(l.time.offset_s, None);
        // A target that has its query already does not get the args again.
        let line = br#"{"msec":"1714550290","method":"GET","request_uri":"/s?q=1","args":"q=1","status":"200"}"#;
        assert_eq!(parse_line(line).unwrap().request.target(), b"/s?q=1");
        // Empty args add nothing.
        let line = br#"{"msec":"1714550290","method":"GET","uri":"/s","args":"","status":"200"}"#;
        assert_eq!(parse_line(line).unwrap().request.target(), b"/s");
        // A request logged as empty parts is a request, an invalid one.
        let line = br#"{"msec":"1714550290","method":"","uri":"","status":"400"}"#;
        let l = parse_line(line).unwrap();
        assert!(!l.request.is_valid());
        let line = br#"{"msec":"1714550290","request":"","status":"400"}"#;
        assert!(!parse_line(line).unwrap().request.is_valid());
    }

    #[test]
    fn best_ranked_name_wins_wherever_it_stands() {
        let line = br#"{"client":"10.0.0.9","ts":1,"remote_addr":"10.0.0.1","http_x_forwarded_for":"1.1.1.1, 10.0.0.1","request":"GET / HTTP/1.1","status":200,"upstream_response_time":"0.5","request_time":"0.25","remote_addr":"10.0.0.2"}"#;
        let l = parse_line(line).unwrap();
        assert_eq!(l.client, b"10.0.0.1");
        assert_eq!(l.response_time_us, Some(250_000));
        // Without a client, the forwarded list is the client; an empty
        // client is absent.
        let line = br#"{"remote_addr":"","ts":1,"x_forwarded_for":"1.1.1.1, 10.0.0.1","request":"GET / HTTP/1.1","status":200,"upstream_response_time":"0.1, 0.2"}"#;
        let l = parse_line(line).unwrap();
        assert_eq!(l.client, b"1.1.1.1, 10.0.0.1");
        assert_eq!(l.response_time_us, None, "a list of upstream times");
        let line = br#"{"ts":1,"request":"GET / HTTP/1.1","status":200,"body_bytes_sent":"-"}"#;
        let l = parse_line(line).unwrap();
        assert_eq!((l.client, l.bytes, l.vhost), (&b""[..], 0, None));
    }

    #[test]
    fn response_time_units() {
        for (key, value, us) in [
            ("request_time", "\"1.5\"", 1_500_000),
            ("duration", "0.0000015", 2),
            ("duration", "0.0000014", 1),
            ("duration", "2", 2_000_000),
            ("duration", "1e-05", 10),
            ("duration", "1.5E+1", 15_000_000),
            ("duration_ms", "12.3456", 12_346),
            ("response_time_ms", "\"7\"", 7_000),
            ("request_time_us", "250", 250),
            ("duration_us", "\"99.5\"", 100),
        ] {
            let line = format!(r#"{{"ts":1,"request":"GET /","status":200,"{key}":{value}}}"#);
            let l = parse_line(line.as_bytes()).unwrap();
            assert_eq!(l.response_time_us, Some(us), "{line}");
        }
        for bad in [
            "\"-\"",
            "\"\"",
            "-1",
            "\"abc\"",
            "null",
            "\"0.1, 0.2\"",
            "\".5\"",
        ] {
            let line = format!(r#"{{"ts":1,"request":"GET /","status":200,"request_time":{bad}}}"#);
            assert_eq!(
                parse_line(line.as_bytes()).unwrap().response_time_us,
                None,
                "{line}"
            );
        }
    }

    #[test]
    fn numbers_with_exponents_and_other_values_are_skipped() {
        let line = br#"{"a":-1.5e+10,"b":[1,[2,{"c":"]}"}],3E-2],"d":{"e":{"f":[]}},"g":true,"h":false,"i":null,"ts":1.646861401e9,"request":"GET / HTTP/1.1","status":200}"#;
        let l = parse_line(line).unwrap();
        assert_eq!(l.time.unix, 1646861401);
        // Whitespace anywhere JSON allows it.
        let line = b" { \"ts\" : 1 ,\t\"request\" : \"GET / HTTP/1.1\" , \"status\" : 200 } \r";
        assert!(parse_line(line).is_some());
    }

    #[test]
    fn unusable_member_values_count_as_absent() {
        // A status or time that is null, an object or a list is none.
        for line in [
            &br#"{"ts":1,"request":"GET /","status":null}"#[..],
            br#"{"ts":[1],"request":"GET /","status":200}"#,
            br#"{"ts":1,"request":"GET /","status":{"code":200}}"#,
        ] {
            assert!(
                parse_line(line).is_none(),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn malformed_lines() {
        let cases: [&[u8]; 22] = [
            b"",
            b"[1,2]",
            b"\"text\"",
            br#"1.2.3.4 - - [01/May/2024:09:58:10 +0200] "GET / HTTP/1.1" 200 1 "-" "-""#,
            br#"{"ts":1,"request":"GET / HTTP/1.1","status":200"#,
            br#"{"ts":1,"request":"GET / HTTP/1.1","status":200,"#,
            br#"{"ts":1,"request":"GET / HTTP/1.1","status":20"#,
            br#"{"ts":1,"request":"GET / HTTP/1.1","status":200,"x":{"y":[1,2}}"#,
            br#"{"ts":1,"request":"GET / HTTP/1.1","status":200,"x":"open}"#,
            br#"{"ts":1,"request":"GET / HTTP/1.1","status":200} trailing"#,
            br#"{"ts":1,"request":"GET / HTTP/1.1","status":200}{}"#,
            br#"{"ts":1,"request":"GET / HTTP/1.1" "status":200}"#,
            br#"{"ts":1,"request":"GET / HTTP/1.1","status":tru}"#,
            br#"{ts:1,"request":"GET / HTTP/1.1","status":200}"#,
            // Missing time, status or request.
            br#"{"request":"GET / HTTP/1.1","status":200}"#,
            br#"{"ts":1,"status":200}"#,
            br#"{"ts":1,"method":"GET","status":200}"#,
            br#"{"ts":1,"uri":"/","status":200}"#,
            br#"{"ts":1,"request":"GET / HTTP/1.1"}"#,
            // Unreadable time, status or bytes.
            br#"{"time_local":"31/Feb/2024:10:00:00 +0000","request":"GET /","status":200}"#,
            br#"{"ts":1,"request":"GET /","status":2000}"#,
            br#"{"ts":1,"request":"GET /","status":200,"bytes_sent":"12k"}"#,
        ];
        for line in cases {
            assert!(
                parse_line(line).is_none(),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn quotes_found_at_every_position() {
        for len in 0..80 {
            let mut s = vec![b'a'; len];
            assert_eq!(find_quote(&s), None);
            s.push(b'"');
            s.extend_from_slice(b"xx\"");
            assert_eq!(find_quote(&s), Some(len), "{len}");
        }
        // Bytes that borrow in the word arithmetic do not fake a quote.
        assert_eq!(find_quote(b"\x01\x23\x21\xff\"\x22"), Some(4));
        assert_eq!(find_quote(b"##!!##!!\x23\x21\""), Some(10));
    }

    #[test]
    fn depth_is_bounded() {
        let nested = |n: usize| {
            let mut line = br#"{"ts":1,"request":"GET /","status":200,"x":"#.to_vec();
            line.extend(std::iter::repeat_n(b'[', n));
            line.extend(std::iter::repeat_n(b']', n));
            line.push(b'}');
            line
        };
        assert!(parse_line(&nested(31)).is_some());
        assert!(parse_line(&nested(32)).is_none());
        assert!(parse_line(&nested(1_000_000)).is_none());
        let mut objects = Vec::new();
        for _ in 0..100_000 {
            objects.extend_from_slice(br#"{"request":"#);
        }
        assert!(parse_line(&objects).is_none());
    }

    #[test]
    fn never_panics_on_any_prefix() {
        for line in [NGINX, CADDY] {
            for end in 0..line.len() {
                let _ = parse_line(&line[..end]);
            }
            for cut in 0..line.len() {
                let mut bent = line.to_vec();
                bent[cut] = b'"';
                let _ = parse_line(&bent);
                bent[cut] = b'\\';
                let _ = parse_line(&bent);
            }
        }
        // Random bytes dropped into real lines (xorshift: reproducible).
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet = b"{}[]\",:-0123456789.eEtrufalsn\\u \t";
        for _ in 0..20_000 {
            let mut bent = if next() % 2 == 0 { NGINX } else { CADDY }.to_vec();
            for _ in 0..=next() % 4 {
                let at = next() as usize % bent.len();
                bent[at] = alphabet[next() as usize % alphabet.len()];
            }
            let _ = parse_line(&bent);
        }
    }
}
