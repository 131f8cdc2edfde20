//! `--log-format PATTERN`: a layout written in the server's own syntax
//! (nginx `log_format`, Apache `LogFormat`, gunicorn `access_log_format`),
//! compiled once into a list of literals and typed fields, then matched
//! against every line left to right without backtracking.
//!
//! Why a matcher of our own and not a regular expression: a field's extent
//! follows from what surrounds it (a quoted field ends at its unescaped
//! closing quote, a bracketed time at `]`, anything else at the first byte
//! of the literal after it), so one pass with `memchr` finds every field,
//! and the fields come out as slices of the line, as for the predefined
//! layouts. Fields logstats has no use for are matched and skipped.

use std::borrow::Cow;
use std::fmt;

use memchr::memchr;

use super::fields::{bracketed, byte_count, quoted, status, Quoted};
use super::request::Request;
use super::time::{parse_log_time, LogTime};
use super::{strip_port, LogLine};

/// Which server's syntax a pattern is written in, told by its look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Nginx,
    Apache,
    Gunicorn,
}

impl Syntax {
    fn name(self) -> &'static str {
        match self {
            Syntax::Nginx => "nginx log_format",
            Syntax::Apache => "Apache LogFormat",
            Syntax::Gunicorn => "gunicorn access_log_format",
        }
    }
}

/// Named layouts beyond SPEC's three, with their documented patterns.
pub const PRESETS: [(&str, &str); 2] = [
    (
        "nginx-timed",
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time"#,
    ),
    (
        "gunicorn-timed",
        r#"%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)s"#,
    ),
];

/// The unit a duration field is written in; decimals are allowed in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Seconds,
    Millis,
    Micros,
}

impl Unit {
    fn micros(self) -> u64 {
        match self {
            Unit::Seconds => 1_000_000,
            Unit::Millis => 1_000,
            Unit::Micros => 1,
        }
    }
}

/// What a field means to the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Client,
    /// `X-Forwarded-For`: the client only when the layout has no `%h`.
    ForwardedFor,
    User,
    /// A time as text: CLF (`$time_local`, `%t`) or ISO 8601.
    Time,
    /// Unix seconds with a fraction (`$msec`).
    EpochTime,
    /// The request line, `"GET /path HTTP/1.1"`.
    Request,
    Method,
    /// Path and query string (`$request_uri`).
    Target,
    /// The path alone (`$uri`, `%U`); a query field may follow it directly.
    Path,
    /// `$is_args`: `?` or nothing.
    QueryMark,
    /// The query string, with or without its `?` (`$args`, `%q`).
    Query,
    Status,
    Bytes,
    Referer,
    UserAgent,
    /// The `Accept-Language` request header.
    AcceptLanguage,
    Vhost,
    Duration(Unit),
    /// A field logstats does not use: matched, then ignored.
    Skip,
}

/// How far a field extends in the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `"..."` with `\"` and `\x22` escapes; the quotes belong to the field.
    Quoted,
    /// `[...]`; the brackets belong to the field.
    Bracketed,
    /// Up to the first `stop` byte (the first byte of the literal after the
    /// field), or to the end of the line for the last field. A space after
    /// a comma does not stop it: `X-Forwarded-For` lists and nginx's
    /// upstream lists (`0.010, 0.002`) are written that way.
    Until { stop: Option<u8>, at_query: bool },
    /// An optional `?`.
    Mark,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Text matched as written, except that a space matches a run of them.
    Literal(Box<[u8]>),
    Field {
        field: Field,
        shape: Shape,
        /// As written in the pattern, for messages.
        name: Box<str>,
    },
}

/// A compiled `--log-format` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    name: String,
    text: String,
    syntax: Syntax,
    items: Vec<Item>,
    has_client: bool,
    has_accept_language: bool,
}

/// Why a pattern cannot be used, in words meant for the person who wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PatternError {}

/// Where matching a line stopped, for the message of a pattern that does
/// not fit a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Byte offset in the line.
    pub at: usize,
    /// The item of the pattern that did not match, as written.
    pub expected: String,
}

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
    /// A preset by name, or a pattern in nginx, Apache or gunicorn syntax.
    /// Configuration lines pasted whole (`log_format main '...' '...';`,
    /// `LogFormat "..." combined`, `access_log_format = '...'`) are taken
    /// apart first.
    pub fn compile(given: &str) -> Result<Pattern, PatternError> {
        if let Some((name, text)) = PRESETS.iter().find(|(n, _)| *n == given) {
            let mut p = Pattern::compile(text)?;
            p.name = (*name).to_string();
            return Ok(p);
        }
        let text = unwrap_config(given.trim());
        let syntax = syntax_of(&text).ok_or_else(|| {
            PatternError(format!(
                "'{given}' is neither a format name nor a pattern: write the layout as in the \
                 server's configuration, e.g. nginx '$remote_addr [$time_local] \"$request\" \
                 $status', Apache '%h %t \"%r\" %>s' or gunicorn '%(h)s %(t)s \"%(r)s\" %(s)s', \
                 or name one of: {}",
                known_names()
            ))
        })?;
        let tokens = match syntax {
            Syntax::Nginx => tokens_nginx(&text),
            Syntax::Apache => tokens_apache(&text)?,
            Syntax::Gunicorn => tokens_gunicorn(&text)?,
        };
        let items = shape(tokens, &text)?;
        let fields: Vec<Field> = items
            .iter()
            .filter_map(|i| match i {
                Item::Field { field, .. } => Some(*field),
                Item::Literal(_) => None,
            })
            .collect();
        let has = |f: Field| fields.contains(&f);
        let missing = if !has(Field::Time) && !has(Field::EpochTime) {
            Some("time field ($time_local, $time_iso8601, $msec; %t; %(t)s)")
        } else if !has(Field::Status) {
            Some("status field ($status; %>s or %s; %(s)s)")
        } else if !has(Field::Request)
            && !(has(Field::Method) && (has(Field::Target) || has(Field::Path)))
        {
            Some("request field ($request, or $request_method with $request_uri; %r; %(r)s)")
        } else {
            None
        };
        if let Some(what) = missing {
            return Err(PatternError(format!(
                "the {} pattern '{text}' has no {what}; logstats needs a time, a status and a request",
                syntax.name()
            )));
        }
        Ok(Pattern {
            name: syntax.name().to_string(),
            has_client: has(Field::Client),
            has_accept_language: has(Field::AcceptLanguage),
            text,
            syntax,
            items,
        })
    }

    /// The preset's name, or which syntax the pattern is written in.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pattern as it is matched (a pasted configuration line unwrapped).
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn syntax(&self) -> Syntax {
        self.syntax
    }

    /// Whether the layout logs the `Accept-Language` header.
    pub fn logs_accept_language(&self) -> bool {
        self.has_accept_language
    }

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
}

impl Pattern {
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

/// Every name `--log-format` accepts, for messages.
pub fn known_names() -> String {
    let mut names: Vec<&str> = super::Format::ALL.iter().map(|f| f.name()).collect();
    names.extend(PRESETS.iter().map(|(n, _)| *n));
    names.join(", ")
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

/// A piece of a pattern before shapes are assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(Vec<u8>),
    Field { field: Field, name: String },
}

fn push_literal(tokens: &mut Vec<Token>, bytes: &[u8]) {
    if let Some(Token::Literal(l)) = tokens.last_mut() {
        l.extend_from_slice(bytes);
    } else {
        tokens.push(Token::Literal(bytes.to_vec()));
    }
}

/// Takes the pattern out of a pasted configuration line.
fn unwrap_config(s: &str) -> String {
    let s = s.trim().trim_end_matches(';').trim();
    // nginx: log_format NAME [escape=...] 'part' 'part'
    if let Some(rest) = s.strip_prefix("log_format") {
        let rest = rest.trim_start();
        let after_name = rest
            .find(|c: char| c.is_whitespace())
            .map_or("", |i| &rest[i..])
            .trim_start();
        let after_escape = match after_name.strip_prefix("escape=") {
            Some(e) => e
                .find(|c: char| c.is_whitespace())
                .map_or("", |i| &e[i..])
                .trim_start(),
            None => after_name,
        };
        return join_quoted(after_escape).unwrap_or_else(|| after_escape.to_string());
    }
    // Apache: LogFormat "..." [nickname]
    if let Some(rest) = s.strip_prefix("LogFormat") {
        let rest = rest.trim_start();
        if let Some(body) = rest.strip_prefix('"') {
            let mut end = None;
            let mut escaped = false;
            for (i, ch) in body.char_indices() {
                match ch {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            if let Some(end) = end {
                return body[..end].to_string();
            }
        }
        return rest.to_string();
    }
    // gunicorn: access_log_format = '...'
    if let Some(rest) = s.strip_prefix("access_log_format") {
        let rest = rest.trim_start().trim_start_matches('=').trim_start();
        return join_quoted(rest).unwrap_or_else(|| rest.to_string());
    }
    // nginx's multi-line form pasted without the directive: 'a' 'b'
    if s.starts_with('\'') {
        if let Some(joined) = join_quoted(s) {
            return joined;
        }
    }
    s.to_string()
}

/// `'part one ' 'part two'` (nginx concatenates adjacent strings) → the
/// parts joined; `None` unless the whole text is such strings.
fn join_quoted(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = s.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let body = &rest[1..];
        let end = body.find(quote)?;
        out.push_str(&body[..end]);
        rest = body[end + 1..].trim_start();
    }
    Some(out)
}

fn syntax_of(text: &str) -> Option<Syntax> {
    let b = text.as_bytes();
    if text.contains("%(") {
        return Some(Syntax::Gunicorn);
    }
    let nginx_var = b
        .windows(2)
        .any(|w| w[0] == b'$' && (w[1].is_ascii_alphabetic() || w[1] == b'_' || w[1] == b'{'));
    if nginx_var {
        return Some(Syntax::Nginx);
    }
    text.contains('%').then_some(Syntax::Apache)
}

/// What an nginx variable is to logstats. Any variable it does not use is
/// a field to skip: nginx has hundreds, and modules add more.
fn nginx_field(var: &str) -> Field {
    match var {
        "remote_addr" | "realip_remote_addr" => Field::Client,
        "http_x_forwarded_for" | "proxy_add_x_forwarded_for" => Field::ForwardedFor,
        "remote_user" => Field::User,
        "time_local" | "time_iso8601" => Field::Time,
        "msec" => Field::EpochTime,
        "request" => Field::Request,
        "request_method" => Field::Method,
        "request_uri" => Field::Target,
        "uri" | "document_uri" => Field::Path,
        "is_args" => Field::QueryMark,
        "args" | "query_string" => Field::Query,
        "status" => Field::Status,
        "body_bytes_sent" | "bytes_sent" => Field::Bytes,
        "http_referer" => Field::Referer,
        "http_user_agent" => Field::UserAgent,
        "http_accept_language" => Field::AcceptLanguage,
        "host" | "server_name" | "http_host" => Field::Vhost,
        "request_time" => Field::Duration(Unit::Seconds),
        _ => Field::Skip,
    }
}

fn tokens_nginx(text: &str) -> Vec<Token> {
    let b = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let (name, next) = if b.get(i + 1) == Some(&b'{') {
                match text[i + 2..].find('}') {
                    Some(close) => (&text[i + 2..i + 2 + close], i + 3 + close),
                    None => ("", i + 1),
                }
            } else {
                let len = b[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                (&text[i + 1..i + 1 + len], i + 1 + len)
            };
            if !name.is_empty() {
                tokens.push(Token::Field {
                    field: nginx_field(name),
                    name: format!("${name}"),
                });
                i = next;
                continue;
            }
        }
        push_literal(&mut tokens, &b[i..i + 1]);
        i += 1;
    }
    tokens
}

const APACHE_SUPPORTED: &str = "%h %a %l %u %t %r %m %U %q %H %>s %s %b %B %O %I %D %T %{ms}T \
     %{us}T %v %V %p %P %A %k %X %L %R %f %{Referer}i %{User-Agent}i %{X-Forwarded-For}i \
     %{Host}i %{...}i %{...}e %{...}o %{...}n %{...}C %{...}x %{...}p %{...}a %%";

fn apache_field(directive: char, arg: Option<&str>) -> Option<Field> {
    Some(match (directive, arg) {
        ('h', None) | ('a', _) => Field::Client,
        ('l', None) | ('H', None) | ('p', _) | ('P', _) | ('A', None) | ('k', None) => Field::Skip,
        ('X', None) | ('L', None) | ('R', None) | ('f', None) | ('I', None) | ('S', None) => {
            Field::Skip
        }
        ('u', None) => Field::User,
        ('t', None) => Field::Time,
        ('r', None) => Field::Request,
        ('m', None) => Field::Method,
        ('U', None) => Field::Path,
        ('q', None) => Field::Query,
        ('s', None) => Field::Status,
        ('b', None) | ('B', None) | ('O', None) => Field::Bytes,
        ('D', None) => Field::Duration(Unit::Micros),
        ('T', None) => Field::Duration(Unit::Seconds),
        ('T', Some(u)) => Field::Duration(match u {
            "s" => Unit::Seconds,
            "ms" => Unit::Millis,
            "us" => Unit::Micros,
            _ => return None,
        }),
        ('v', None) | ('V', None) => Field::Vhost,
        ('i', Some(h)) => header_field(h),
        ('e' | 'o' | 'n' | 'C' | 'x' | '^', Some(_)) => Field::Skip,
        _ => return None,
    })
}

/// A request header logged as a field.
fn header_field(header: &str) -> Field {
    match header.to_ascii_lowercase().as_str() {
        "referer" | "referrer" => Field::Referer,
        "user-agent" => Field::UserAgent,
        "accept-language" => Field::AcceptLanguage,
        "x-forwarded-for" => Field::ForwardedFor,
        "host" => Field::Vhost,
        _ => Field::Skip,
    }
}

fn tokens_apache(text: &str) -> Result<Vec<Token>, PatternError> {
    let unsupported = |what: &str| {
        PatternError(format!(
            "unsupported Apache directive '{what}' in '{text}'; supported: {APACHE_SUPPORTED}"
        ))
    };
    let b = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            // The pattern as written inside LogFormat's double quotes.
            b'\\' if matches!(b.get(i + 1), Some(b'"' | b'\\')) => {
                push_literal(&mut tokens, &b[i + 1..i + 2]);
                i += 2;
            }
            b'\\' if b.get(i + 1) == Some(&b't') => {
                push_literal(&mut tokens, b"\t");
                i += 2;
            }
            b'%' => {
                let start = i;
                i += 1;
                if b.get(i) == Some(&b'%') {
                    push_literal(&mut tokens, b"%");
                    i += 1;
                    continue;
                }
                // Status conditions (`%400,501{...}i`, `%!200s`) and the
                // original/final request modifiers (`%<s`, `%>s`).
                while i < b.len() && (b[i] == b'!' || b[i] == b',' || b[i].is_ascii_digit()) {
                    i += 1;
                }
                while matches!(b.get(i), Some(b'<' | b'>')) {
                    i += 1;
                }
                let mut arg = None;
                if b.get(i) == Some(&b'{') {
                    let close = text[i..]
                        .find('}')
                        .ok_or_else(|| unsupported(&text[start..]))?;
                    arg = Some(&text[i + 1..i + close]);
                    i += close + 1;
                }
                let Some(directive) = text[i..].chars().next() else {
                    return Err(unsupported(&text[start..]));
                };
                i += directive.len_utf8();
                let name = &text[start..i];
                let field = apache_field(directive, arg).ok_or_else(|| unsupported(name))?;
                tokens.push(Token::Field {
                    field,
                    name: name.to_string(),
                });
            }
            _ => {
                push_literal(&mut tokens, &b[i..i + 1]);
                i += 1;
            }
        }
    }
    Ok(tokens)
}

const GUNICORN_SUPPORTED: &str = "%(h)s %(l)s %(u)s %(t)s %(r)s %(m)s %(U)s %(q)s %(H)s \
     %(s)s %(b)s %(B)s %(f)s %(a)s %(T)s %(D)s %(M)s %(L)s %(p)s %({header}i)s %({header}o)s \
     %({variable}e)s";

fn gunicorn_field(atom: &str) -> Option<Field> {
    Some(match atom {
        "h" => Field::Client,
        "l" | "H" | "p" => Field::Skip,
        "u" => Field::User,
        "t" => Field::Time,
        "r" => Field::Request,
        "m" => Field::Method,
        "U" => Field::Path,
        "q" => Field::Query,
        "s" => Field::Status,
        "b" | "B" => Field::Bytes,
        "f" => Field::Referer,
        "a" => Field::UserAgent,
        "T" | "L" => Field::Duration(Unit::Seconds),
        "D" => Field::Duration(Unit::Micros),
        "M" => Field::Duration(Unit::Millis),
        _ => {
            let inner = atom.strip_prefix('{')?;
            let (name, kind) = inner.split_once('}')?;
            match kind {
                "i" => header_field(name),
                "o" | "e" => Field::Skip,
                _ => return None,
            }
        }
    })
}

fn tokens_gunicorn(text: &str) -> Result<Vec<Token>, PatternError> {
    let b = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && b.get(i + 1) == Some(&b'%') {
            push_literal(&mut tokens, b"%");
            i += 2;
            continue;
        }
        if b[i] == b'%' && b.get(i + 1) == Some(&b'(') {
            let close = text[i..].find(")s").map(|c| i + c);
            let Some(close) = close else {
                return Err(PatternError(format!(
                    "'{}' in '{text}' is not a gunicorn atom: atoms are written %(name)s",
                    &text[i..]
                )));
            };
            let atom = &text[i + 2..close];
            let name = &text[i..close + 2];
            let field = gunicorn_field(atom).ok_or_else(|| {
                PatternError(format!(
                    "unsupported gunicorn atom '{name}' in '{text}'; supported: {GUNICORN_SUPPORTED}"
                ))
            })?;
            tokens.push(Token::Field {
                field,
                name: name.to_string(),
            });
            i = close + 2;
            continue;
        }
        push_literal(&mut tokens, &b[i..i + 1]);
        i += 1;
    }
    Ok(tokens)
}

/// Gives every field its shape from the literals around it, keeps the
/// first of repeated fields (a second time or byte count is skipped), and
/// refuses what cannot be matched unambiguously.
fn shape(mut tokens: Vec<Token>, text: &str) -> Result<Vec<Item>, PatternError> {
    // Only the first field of a kind counts.
    let mut seen: Vec<Field> = Vec::new();
    for t in tokens.iter_mut() {
        if let Token::Field { field, .. } = t {
            let kind = match *field {
                Field::EpochTime => Field::Time,
                Field::Duration(_) => Field::Duration(Unit::Seconds),
                f => f,
            };
            if kind != Field::Skip && kind != Field::QueryMark && seen.contains(&kind) {
                *field = Field::Skip;
            } else {
                seen.push(kind);
            }
        }
    }

    let mut items = Vec::new();
    let n = tokens.len();
    // Literal bytes taken by a shape from the start of the next literal.
    let mut skip_next = 0;
    for i in 0..n {
        match &tokens[i] {
            Token::Literal(l) => {
                let mut l = &l[skip_next.min(l.len())..];
                // A quote or bracket that belongs to the next field.
                if let Some(Token::Field { .. }) = tokens.get(i + 1) {
                    if let Some(close) = opener_closed_after(&tokens, i) {
                        if l.last() == Some(&close.0) {
                            l = &l[..l.len() - 1];
                        }
                    }
                }
                if !l.is_empty() {
                    items.push(Item::Literal(collapse_spaces(l).into()));
                }
                skip_next = 0;
            }
            Token::Field { field, name } => {
                let prev = match i.checked_sub(1).map(|p| &tokens[p]) {
                    Some(Token::Literal(l)) => l.last().copied(),
                    _ => None,
                };
                let next = tokens.get(i + 1);
                let next_lit = match next {
                    Some(Token::Literal(l)) => Some(&l[..]),
                    _ => None,
                };
                let shape = match (prev, next_lit.and_then(|l| l.first().copied())) {
                    (Some(b'"'), Some(b'"')) => {
                        skip_next = 1;
                        Shape::Quoted
                    }
                    (Some(b'['), Some(b']')) => {
                        skip_next = 1;
                        Shape::Bracketed
                    }
                    // Also when a second time field is skipped: it is still
                    // bracketed, spaces and all.
                    _ if prev != Some(b'"') && is_bracketed_time(name) => Shape::Bracketed,
                    _ if *field == Field::QueryMark => Shape::Mark,
                    _ => {
                        if matches!(field, Field::Request) {
                            return Err(PatternError(format!(
                                "{name} must stand in double quotes in '{text}' (\"{name}\"): \
                                 a request line holds spaces"
                            )));
                        }
                        let at_query = *field == Field::Path;
                        match next {
                            Some(Token::Literal(l)) => Shape::Until {
                                stop: l.first().copied(),
                                at_query,
                            },
                            None => Shape::Until {
                                stop: None,
                                at_query,
                            },
                            Some(Token::Field {
                                field: f2,
                                name: n2,
                            }) => {
                                let query_follows =
                                    at_query && matches!(f2, Field::Query | Field::QueryMark);
                                if !query_follows {
                                    return Err(PatternError(format!(
                                        "{name} and {n2} stand side by side in '{text}' with \
                                         nothing between them, so where one ends cannot be told"
                                    )));
                                }
                                Shape::Until {
                                    stop: stop_after(&tokens, i + 1),
                                    at_query,
                                }
                            }
                        }
                    }
                };
                items.push(Item::Field {
                    field: *field,
                    shape,
                    name: name.as_str().into(),
                });
            }
        }
    }
    Ok(items)
}

/// A space in a literal matches a run of spaces, so a run in the pattern
/// is one space.
fn collapse_spaces(l: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(l.len());
    for &b in l {
        if !(b == b' ' && out.last() == Some(&b' ')) {
            out.push(b);
        }
    }
    out
}

/// `%t` and `%(t)s` print their own brackets; nginx's `$time_local` does not.
fn is_bracketed_time(name: &str) -> bool {
    name == "%t" || name == "%(t)s"
}

/// When the literal at `i` ends with `"` or `[` and the field after it is
/// closed by the matching byte, that opener belongs to the field.
fn opener_closed_after(tokens: &[Token], i: usize) -> Option<(u8, u8)> {
    let Token::Literal(l) = &tokens[i] else {
        return None;
    };
    let open = *l.last()?;
    let close = match open {
        b'"' => b'"',
        b'[' => b']',
        _ => return None,
    };
    match tokens.get(i + 2) {
        Some(Token::Literal(next)) if next.first() == Some(&close) => Some((open, close)),
        _ => None,
    }
}

/// The first byte of the first literal at or after token `i`: where a run
/// of adjacent fields ends.
fn stop_after(tokens: &[Token], i: usize) -> Option<u8> {
    tokens[i..].iter().find_map(|t| match t {
        Token::Literal(l) => l.first().copied(),
        Token::Field { .. } => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Format;

    const COMBINED_LINE: &[u8] = br#"83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/logstash/?a=1 HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1)""#;

    fn compile(p: &str) -> Pattern {
        Pattern::compile(p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    fn err(p: &str) -> String {
        Pattern::compile(p).unwrap_err().0
    }

    #[test]
    fn nginx_combined_equals_the_predefined_layout() {
        let p = compile(
            r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#,
        );
        assert_eq!(p.syntax(), Syntax::Nginx);
        assert_eq!(
            p.parse(COMBINED_LINE),
            Format::Combined.parse(COMBINED_LINE)
        );
    }

    #[test]
    fn apache_and_gunicorn_combined_equal_the_predefined_layout() {
        for pattern in [
            r#"%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\""#,
            r#"LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"" combined"#,
            r#"%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s""#,
        ] {
            let p = compile(pattern);
            assert_eq!(
                p.parse(COMBINED_LINE),
                Format::Combined.parse(COMBINED_LINE),
                "{pattern}"
            );
        }
    }

    #[test]
    fn pasted_nginx_configuration() {
        let p = compile(
            "log_format main '$remote_addr - $remote_user [$time_local] \"$request\" '\n    '$status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"';",
        );
        assert_eq!(
            p.parse(COMBINED_LINE),
            Format::Combined.parse(COMBINED_LINE)
        );
    }

    #[test]
    fn nginx_vhost_first_and_two_times() {
        let p = compile(
            r#"$host $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time"#,
        );
        let line = br#"example.com:443 10.0.0.1 - bob [17/May/2015:10:05:03 +0200] "GET /x HTTP/1.1" 200 5 "-" "UA" 0.250 0.010, 0.240"#;
        let l = p.parse(line).unwrap();
        assert_eq!(l.vhost, Some(&b"example.com"[..]));
        assert_eq!((l.client, l.user), (&b"10.0.0.1"[..], &b"bob"[..]));
        assert_eq!(l.time.unix, 1_431_849_903);
        assert_eq!(l.response_time_us, Some(250_000));
        let dash = br#"example.com 10.0.0.1 - - [17/May/2015:10:05:03 +0200] "GET /x HTTP/1.1" 200 5 "-" "UA" 0.000 -"#;
        assert_eq!(p.parse(dash).unwrap().response_time_us, Some(0));
    }

    #[test]
    fn iso_time_and_msec() {
        let p = compile(r#"$remote_addr [$time_iso8601] "$request" $status $body_bytes_sent"#);
        let l = p
            .parse(br#"::1 [2015-05-17T10:05:03+02:00] "GET / HTTP/1.1" 304 0"#)
            .unwrap();
        assert_eq!((l.time.unix, l.time.offset_s), (1_431_849_903, Some(7200)));
        let p = compile(r#"$msec $remote_addr "$request" $status"#);
        let l = p
            .parse(br#"1431849903.123 ::1 "GET / HTTP/1.1" 200"#)
            .unwrap();
        assert_eq!((l.time.unix, l.time.offset_s), (1_431_849_903, None));
    }

    #[test]
    fn apache_vhost_and_microseconds() {
        let p = compile(r#"%v %h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" %D"#);
        let line = br#"www.example.com 1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 "http://x/" "UA" 1532"#;
        let l = p.parse(line).unwrap();
        assert_eq!(l.vhost, Some(&b"www.example.com"[..]));
        assert_eq!(l.response_time_us, Some(1532));
        assert_eq!(l.request.path(), b"/a.gif");
        let p = compile(r#"%h %t "%r" %s %{ms}T"#);
        let l = p
            .parse(br#"1.2.3.4 [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 12"#)
            .unwrap();
        assert_eq!(l.response_time_us, Some(12_000));
    }

    #[test]
    fn apache_vhost_combined_with_port() {
        let p = compile(r#"%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\""#);
        let line = br#"localhost:80 192.168.0.1 - - [01/Jul/2013:06:20:38 -0500] "GET / HTTP/1.1" 200 3829 "-" "Mozilla/5.0""#;
        assert_eq!(p.parse(line), Format::VCombined.parse(line));
    }

    #[test]
    fn a_second_bracketed_time_is_skipped_whole() {
        let p = compile(r#"%h %t "%r" %>s %t"#);
        let l = p
            .parse(br#"1.2.3.4 [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 [10/Oct/2000:13:55:37 -0700]"#)
            .unwrap();
        assert_eq!(l.time.unix, 971_211_336);
    }

    #[test]
    fn gunicorn_timed_preset() {
        let p = compile("gunicorn-timed");
        assert_eq!(p.name(), "gunicorn-timed");
        let line = br#" - - [07/Dec/2016:11:05:07 +0100] "GET /x HTTP/1.1" 200 571 "-" "curl/7.1" 0.012345"#;
        let l = p.parse(line).unwrap();
        assert_eq!(l.client, b"");
        assert_eq!(l.response_time_us, Some(12_345));
    }

    #[test]
    fn separate_method_path_and_query() {
        let p = compile(r#"%h %t "%m %U%q %H" %>s %b"#);
        let l = p
            .parse(br#"1.2.3.4 [10/Oct/2000:13:55:36 -0700] "GET /a/b?x=1 HTTP/1.1" 200 5"#)
            .unwrap();
        assert_eq!(
            (l.request.method(), l.request.path(), l.request.query()),
            (&b"GET"[..], &b"/a/b"[..], Some(&b"x=1"[..]))
        );
        let l = p
            .parse(br#"1.2.3.4 [10/Oct/2000:13:55:36 -0700] "GET /a/b HTTP/1.1" 200 5"#)
            .unwrap();
        assert_eq!((l.request.path(), l.request.query()), (&b"/a/b"[..], None));

        let p =
            compile(r#"$remote_addr [$time_local] "$request_method $uri$is_args$args" $status"#);
        let l = p
            .parse(br#"1.2.3.4 [10/Oct/2000:13:55:36 -0700] "GET /p?utm_source=x" 200"#)
            .unwrap();
        assert_eq!(
            (l.request.path(), l.request.query()),
            (&b"/p"[..], Some(&b"utm_source=x"[..]))
        );
        let p = compile(r#"%(h)s %(t)s "%(m)s %(U)s?%(q)s" %(s)s"#);
        let l = p
            .parse(br#"1.2.3.4 [10/Oct/2000:13:55:36 -0700] "GET /p?" 200"#)
            .unwrap();
        assert_eq!(l.request.path(), b"/p");
    }

    #[test]
    fn json_shaped_nginx_layout() {
        let p = compile(
            r#"{"time":"$time_iso8601","ip":"$remote_addr","request":"$request","status":$status,"ua":"$http_user_agent","rt":$request_time}"#,
        );
        let l = p
            .parse(br#"{"time":"2024-05-01T12:00:00+00:00","ip":"1.2.3.4","request":"GET / HTTP/1.1","status":200,"ua":"say \"hi\"","rt":0.5}"#)
            .unwrap();
        assert_eq!(l.status, 200);
        assert_eq!(l.response_time_us, Some(500_000));
        assert_eq!(l.user_agent.unwrap().text().as_ref(), br#"say "hi""#);
    }

    #[test]
    fn forwarded_for_is_the_client_only_without_remote_addr() {
        let p = compile(r#"$http_x_forwarded_for - [$time_local] "$request" $status"#);
        let l = p
            .parse(br#"203.0.113.9, 10.0.0.1 - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200"#)
            .unwrap();
        assert_eq!(l.client, b"203.0.113.9, 10.0.0.1");
        let p = compile(r#"$remote_addr [$time_local] "$request" $status "$http_x_forwarded_for""#);
        let l = p
            .parse(br#"10.0.0.1 [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 "203.0.113.9""#)
            .unwrap();
        assert_eq!(l.client, b"10.0.0.1");
    }

    #[test]
    fn lines_that_do_not_fit() {
        let p = compile("nginx-timed");
        let good =
            br#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "UA" 0.001 -"#;
        assert!(p.parse(good).is_some());
        // Junk where the response time belongs.
        let junk =
            br#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "UA" fast -"#;
        assert!(p.parse(junk).is_none());
        // A plain combined line lacks the two time fields.
        let m = p.mismatch(COMBINED_LINE).unwrap();
        assert_eq!(m.at, COMBINED_LINE.len());
        assert_eq!(m.expected, "' ' and then $request_time");
        let m = p.mismatch(b"hello").unwrap();
        assert_eq!((m.at, m.expected.as_str()), (0, "$remote_addr"));
        assert_eq!(p.mismatch(good), None);
        // Unreadable time, status.
        assert!(p
            .parse(br#"1.2.3.4 - - [10/Foo/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "UA" 0.001 -"#)
            .is_none());
        assert!(p
            .parse(br#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 20x 5 "-" "UA" 0.001 -"#)
            .is_none());
    }

    #[test]
    fn junk_requests_are_parsed_lines() {
        let p = compile(r#"$remote_addr [$time_local] "$request" $status"#);
        let l = p
            .parse(br#"1.2.3.4 [10/Oct/2000:13:55:36 -0700] "\x16\x03\x01" 400"#)
            .unwrap();
        assert!(!l.request.is_valid());
    }

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

    #[test]
    fn errors_name_the_problem() {
        let e = err(r#"%h %t "%r" %>s %Z"#);
        assert!(e.contains("'%Z'") && e.contains("supported: %h"), "{e}");
        let e = err(r#"%(h)s %(t)s "%(r)s" %(s)s %(x)s"#);
        assert!(
            e.contains("'%(x)s'") && e.contains("supported: %(h)s"),
            "{e}"
        );
        let e = err("$remote_addr $status");
        assert!(e.contains("has no time field"), "{e}");
        let e = err(r#"$remote_addr [$time_local] $request $status"#);
        assert!(e.contains("double quotes"), "{e}");
        let e = err(r#"$remote_addr$remote_user [$time_local] "$request" $status"#);
        assert!(e.contains("side by side"), "{e}");
        let e = err("combind");
        assert!(
            e.contains("neither a format name nor a pattern") && e.contains("nginx-timed"),
            "{e}"
        );
    }

    /// Lines of random pieces of log syntax never make the matcher panic
    /// (an index past the end, a bad slice), whatever the pattern.
    #[test]
    fn random_lines_never_panic() {
        let patterns = [
            "nginx-timed",
            "gunicorn-timed",
            r#"%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\" %D"#,
            r#"$remote_addr [$time_iso8601] "$request_method $uri$is_args$args" $status $msec"#,
            r#"{"t":"$time_local","s":$status,"r":"$request","rt":$request_time}"#,
            r#"%h %t "%m %U%q %H" %>s %{ms}T"#,
        ];
        let pieces: [&[u8]; 22] = [
            b" ",
            b"  ",
            b"\"",
            b"\\\"",
            b"[",
            b"]",
            b"-",
            b"?",
            b",",
            b", ",
            b"{",
            b"}",
            b":",
            b"1.2.3.4",
            b"200",
            b"0.25",
            b"GET / HTTP/1.1",
            b"10/Oct/2000:13:55:36 -0700",
            b"2024-05-01T12:00:00+00:00",
            b"\xff",
            b"\x00",
            b"1431849903.5",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for pattern in patterns {
            let p = compile(pattern);
            for _ in 0..3000 {
                let mut line = Vec::new();
                for _ in 0..next() % 24 {
                    line.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
                }
                let parsed = p.parse(&line);
                assert_eq!(parsed.is_some(), p.mismatch(&line).is_none(), "{line:?}");
            }
        }
    }

    #[test]
    fn lenient_spaces_and_trailing_blanks() {
        let p = compile(
            r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent"#,
        );
        let line = br#"1.2.3.4  -  - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1"  200 5  "#;
        assert_eq!(p.parse(line).unwrap().bytes, 5);
    }
}
