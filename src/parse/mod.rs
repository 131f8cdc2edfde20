//! Parsing: one log line in, one borrowed [`LogLine`] out (SPEC §1).
//!
//! Parsers never allocate for an ordinary line: every field is a slice of the
//! input, and only a field with escapes in it is decoded into a copy.
//!
//! Here: the predefined layouts, their detection and the check that a
//! layout fits a file. Beside them: [`line`](mod@line) (the [`LogLine`]
//! every layout gives), [`fields`] (the field parsers layouts are built
//! from), [`request`] and [`time`] (a request line and a timestamp taken
//! apart), [`json`] (JSON lines) and [`pattern`] (a layout given in a
//! server's own syntax). Depends on no other module of the crate but
//! [`text`](crate::text), for a line shown in a message: parsing never
//! formats, counts or enriches.

pub mod fields;
pub mod json;
pub mod line;
pub mod pattern;
pub mod request;
pub mod time;

use std::borrow::Cow;
use std::fmt;

use nom::error::ErrorKind;
use nom::IResult;

pub use fields::Quoted;
use fields::{
    bracketed, byte_count, client_field, quoted_with, spaces, status, token, FindQuote,
    SearchQuotes,
};
use line::strip_port;
pub use line::LogLine;
pub use pattern::Pattern;
pub use request::Request;
pub use time::{parse_log_time, LogTime};

/// How many non-blank lines of a file auto-detection looks at (SPEC §1).
pub const DETECT_LINES: usize = 200;

/// The predefined layouts, in the order auto-detection prefers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"` and anything after.
    Combined,
    /// `%v[:%p] %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"` and anything after.
    VCombined,
    /// `%h %l %u %t "%r" %>s %b`, nothing after.
    Common,
    /// One JSON object a line (nginx `escape=json` layouts, Caddy), fields
    /// found by their usual names.
    Json,
    /// A `--log-format` pattern or preset, compiled once for the whole run
    /// (and so kept for the life of the process, which lets `Format` stay
    /// a `Copy` value handed to every worker).
    Custom(&'static Pattern),
}

impl Format {
    pub const ALL: [Format; 4] = [
        Format::Combined,
        Format::VCombined,
        Format::Common,
        Format::Json,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Custom(p) => p.name(),
            Format::Combined => "combined",
            Format::VCombined => "vcombined",
            Format::Common => "common",
            Format::Json => "json",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// What `--log-format` names: a predefined layout, a preset or a
    /// pattern in the server's own syntax.
    pub fn from_arg(arg: &str) -> Result<Format, pattern::PatternError> {
        if let Some(f) = Format::from_name(arg.trim()) {
            return Ok(f);
        }
        let p = Pattern::compile_among(arg, &Format::ALL.map(Format::name))?;
        Ok(Format::Custom(Box::leak(Box::new(p))))
    }

    /// Parses one line (without its line terminator). `None`: malformed.
    #[inline]
    pub fn parse(self, line: &[u8]) -> Option<LogLine<'_>> {
        self.parse_with(line, &mut SearchQuotes)
    }

    /// Whether lines of this layout carry the `Accept-Language` header
    /// (SPEC §5: the languages table exists only then).
    pub fn logs_accept_language(self) -> bool {
        matches!(self, Format::Custom(p) if p.logs_accept_language())
    }

    /// Whether [`parse_with`](Self::parse_with) uses what it is told of
    /// quotes: the layouts whose quoted fields are found by position.
    pub fn uses_quote_marks(self) -> bool {
        matches!(self, Format::Combined | Format::VCombined | Format::Common)
    }

    /// [`parse`](Self::parse), with the closing quotes of the CLF layouts,
    /// and the end of the request's path, found by `quotes` (a line's
    /// marks, see [`crate::input::lines`]).
    #[inline]
    pub fn parse_with<'a>(
        self,
        line: &'a [u8],
        quotes: &mut impl FindQuote,
    ) -> Option<LogLine<'a>> {
        let parsed = match self {
            Format::Combined => combined_with(line, None, quotes),
            Format::VCombined => vcombined(line, quotes),
            Format::Common => common(line, quotes),
            Format::Json => return json::parse_line(line),
            Format::Custom(p) => return p.parse(line),
        };
        parsed.ok().map(|(_, l)| l)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
/// The fields every layout shares, `%h %l %u [%t] "%r" %>s %b`, with the
/// request not yet split: the line is assembled once, at the end, so the
/// large `LogLine` is not moved from layer to layer.
struct ClfFields<'a> {
    client: &'a [u8],
    user: &'a [u8],
    time: LogTime,
    request: Quoted<'a>,
    status: u16,
    bytes: u64,
}

/// Spaces, then `field`. (nom's `preceded` does the same, but its closure
/// did not inline on the hot path.)
#[inline(always)]
fn spaced<'a, T>(
    input: &'a [u8],
    mut field: impl FnMut(&'a [u8]) -> IResult<&'a [u8], T>,
) -> IResult<&'a [u8], T> {
    let (input, _) = spaces(input)?;
    field(input)
}

fn mismatch<T>(input: &[u8], kind: ErrorKind) -> IResult<&[u8], T> {
    Err(nom::Err::Error(nom::error::Error::new(input, kind)))
}

#[inline(always)]
fn clf_fields<'a>(input: &'a [u8], q: &mut impl FindQuote) -> IResult<&'a [u8], ClfFields<'a>> {
    let (input, client) = client_field(input, q)?;
    let (input, _ident) = spaced(input, token)?;
    let (input, user) = spaced(input, token)?;
    let (input, time_text) = spaced(input, bracketed)?;
    let Some(time) = parse_log_time(time_text) else {
        return mismatch(input, ErrorKind::Verify);
    };
    let (input, request) = spaced(input, |i| quoted_with(i, q))?;
    let (input, status) = spaced(input, status)?;
    let (input, bytes) = spaced(input, byte_count)?;
    Ok((
        input,
        ClfFields {
            client,
            user,
            time,
            request,
            status,
            bytes,
        },
    ))
}

/// Anything after the last field must be separated from it by white space.
#[inline(always)]
fn trailing_fields(input: &[u8]) -> IResult<&[u8], ()> {
    match input.first() {
        None => Ok((input, ())),
        Some(b' ' | b'\t') => Ok((&input[input.len()..], ())),
        Some(_) => mismatch(input, ErrorKind::Eof),
    }
}

#[inline(always)]
fn assemble<'a>(
    vhost: Option<&'a [u8]>,
    f: ClfFields<'a>,
    referer: Option<Quoted<'a>>,
    agent: Option<Quoted<'a>>,
    q: &impl FindQuote,
) -> LogLine<'a> {
    // A line known to hold no backslash needs no search for escapes.
    let request = if q.unescaped() {
        Cow::Borrowed(f.request.raw)
    } else {
        f.request.text()
    };
    let mut request = Request::parse(request);
    request.set_path_end(|target| q.path_end(target));
    LogLine {
        vhost,
        client: f.client,
        user: f.user,
        time: f.time,
        request,
        status: f.status,
        bytes: f.bytes,
        referer,
        user_agent: agent,
        response_time_us: None,
        accept_language: None,
    }
}

/// `... "referer" "user agent"` and anything after a space.
#[inline(always)]
fn combined_with<'a>(
    input: &'a [u8],
    vhost: Option<&'a [u8]>,
    q: &mut impl FindQuote,
) -> IResult<&'a [u8], LogLine<'a>> {
    let (input, fields) = clf_fields(input, q)?;
    let (input, referer) = spaced(input, |i| quoted_with(i, q))?;
    let (input, agent) = spaced(input, |i| quoted_with(i, q))?;
    let (input, ()) = trailing_fields(input)?;
    let line = assemble(vhost, fields, Some(referer), Some(agent), q);
    Ok((input, line))
}

#[inline]
fn vcombined<'a>(input: &'a [u8], q: &mut impl FindQuote) -> IResult<&'a [u8], LogLine<'a>> {
    let (input, vhost) = token(input)?;
    let (input, _) = spaces(input)?;
    combined_with(input, Some(strip_port(vhost)), q)
}

#[inline]
fn common<'a>(input: &'a [u8], q: &mut impl FindQuote) -> IResult<&'a [u8], LogLine<'a>> {
    let (input, fields) = clf_fields(input, q)?;
    if !input.iter().all(|&b| b == b' ' || b == b'\t') {
        return mismatch(input, ErrorKind::Eof);
    }
    let line = assemble(None, fields, None, None, q);
    Ok((&input[input.len()..], line))
}

/// Whether a line counts as blank: empty or only white space (SPEC §1).
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// The first [`DETECT_LINES`] non-blank lines of `text`, with 1-based
/// line numbers.
fn sample(text: &[u8]) -> Vec<(u64, &[u8])> {
    text.split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.strip_suffix(b"\r").unwrap_or(l)))
        .filter(|(_, l)| !is_blank(l))
        .take(DETECT_LINES)
        .collect()
}

/// Checks that a format the user named (`given`) reads at least half of
/// the first [`DETECT_LINES`] non-blank lines of `text` (the start of a
/// file), and that a detected one reads any; otherwise says, in words for
/// the user, which line does not fit, where, and which predefined format
/// would. A file whose layout is wrong gives an error, never a report of
/// zeros. (Detection is held to less: a file of mixed layouts still gets
/// the report of what could be read, its other lines counted malformed.)
pub fn check_fit(text: &[u8], format: Format, given: bool) -> Result<(), String> {
    let lines = sample(text);
    let parsed = lines
        .iter()
        .filter(|(_, l)| format.parse(l).is_some())
        .count();
    let fits = if given {
        parsed * 2 >= lines.len()
    } else {
        parsed > 0 || lines.is_empty()
    };
    if fits {
        return Ok(());
    }
    let (number, line) = lines
        .iter()
        .find(|(_, l)| format.parse(l).is_none())
        .copied()
        .unwrap_or_default();
    let mut msg = if given {
        format!(
            "the log format does not fit: it reads {parsed} of the first {} lines",
            lines.len()
        )
    } else {
        format!(
            "no known log format fits: the best, {format}, reads {parsed} of the first {} lines",
            lines.len()
        )
    };
    let mismatch = match format {
        Format::Custom(p) => p.mismatch(line),
        _ => None,
    };
    if let Format::Custom(p) = format {
        msg.push_str(&format!("\n  pattern: {}", p.text()));
    } else if given {
        msg.push_str(&format!("\n  format:  {format}"));
    }
    let shown = display_line(line, mismatch.as_ref().map_or(0, |m| m.at));
    msg.push_str(&format!("\n  line {number}: {shown}"));
    if let Some(m) = mismatch {
        msg.push_str(&format!(
            "\n  it stops fitting at byte {}, where the pattern expects {}",
            m.at + 1,
            m.expected
        ));
    }
    let (best, best_parsed) = detect(text);
    if given && best != format && best_parsed * 2 >= lines.len() && best_parsed > 0 {
        msg.push_str(&format!(
            "\n  the predefined format {best} reads {best_parsed} of them: try --log-format {best}"
        ));
    } else {
        msg.push_str(
            "\n  give the layout from the server's configuration with --log-format 'PATTERN' \
             (nginx log_format, Apache LogFormat or gunicorn access_log_format)",
        );
    }
    Err(msg)
}

/// A log line as it can be shown in a message: at most 200 bytes of it,
/// around byte `focus` (where it stops fitting), invalid UTF-8 (as `\xHH`)
/// and control characters made visible.
fn display_line(line: &[u8], focus: usize) -> String {
    const WIDTH: usize = 200;
    let start = if focus < WIDTH - 40 {
        0
    } else {
        (focus + 40).min(line.len()).saturating_sub(WIDTH)
    };
    let end = (start + WIDTH).min(line.len());
    let mut s = String::new();
    if start > 0 {
        s.push_str("...");
    }
    s.extend(crate::text::from_log(&line[start..end]).chars().map(|c| {
        if c.is_control() {
            '\u{fffd}'
        } else {
            c
        }
    }));
    if end < line.len() {
        s.push_str("...");
    }
    s
}

/// Picks the layout that parses most of the first [`DETECT_LINES`]
/// non-blank lines of `text`, ties to the earlier in [`Format::ALL`].
/// Returns the format and how many of the sampled lines it parsed.
pub fn detect(text: &[u8]) -> (Format, usize) {
    let sample = sample(text);
    let mut best = (Format::Combined, 0);
    for format in Format::ALL {
        let parsed = sample
            .iter()
            .filter(|(_, l)| format.parse(l).is_some())
            .count();
        if parsed > best.1 {
            best = (format, parsed);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMBINED: &[u8] = br#"83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/logstash-monitorama-2013/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1)""#;

    #[test]
    fn combined_line_fields() {
        let l = Format::Combined.parse(COMBINED).unwrap();
        assert_eq!(l.client, b"83.149.9.216");
        assert_eq!(l.user, b"-");
        assert_eq!(l.time.offset_s, Some(0));
        assert_eq!(l.request.method(), b"GET");
        assert_eq!(
            l.request.path(),
            b"/presentations/logstash-monitorama-2013/images/kibana-search.png"
        );
        assert_eq!((l.status, l.bytes), (200, 203023));
        assert_eq!(
            l.referer.map(|r| r.raw),
            Some(&b"http://semicomplete.com/presentations/logstash-monitorama-2013/"[..])
        );
        assert_eq!(
            l.user_agent.map(|a| a.text()).as_deref(),
            Some(&b"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1)"[..])
        );
        assert_eq!(l.vhost, None);
    }

    #[test]
    fn combined_allows_trailing_fields_but_common_does_not() {
        let line = br#"172.17.0.1 - - [29/May/2017:19:02:48 +0000] "GET /stringpatch HTTP/1.1" 404 612 "-" "Mozilla/5.0" "-""#;
        assert!(Format::Combined.parse(line).is_some());
        let clf = br#"::1 - - [26/Dec/2016:16:16:29 +0200] "GET /favicon.ico HTTP/1.1" 404 209"#;
        assert!(Format::Common.parse(clf).is_some());
        assert!(Format::Common.parse(&[clf, &b"  "[..]].concat()).is_some());
        assert!(Format::Common
            .parse(&[clf, &b" \"-\""[..]].concat())
            .is_none());
        assert!(Format::Combined.parse(clf).is_none());
        // Something glued to the closing quote of the user agent is not a field.
        let glued = br#"1.2.3.4 - - [29/May/2017:19:02:48 +0000] "GET / HTTP/1.1" 200 1 "-" "ua"x"#;
        assert!(Format::Combined.parse(glued).is_none());
    }

    #[test]
    fn request_dash_with_dash_bytes() {
        let l = Format::Common
            .parse(br#"::1 - - [26/Dec/2016:16:16:48 +0200] "-" 408 -"#)
            .unwrap();
        assert_eq!(
            (l.request.method(), l.request.path()),
            (&b"-"[..], &b"(invalid)"[..])
        );
        assert_eq!((l.status, l.bytes), (408, 0));
    }

    #[test]
    fn xff_list_and_empty_client() {
        let l = Format::Combined
            .parse(br#"10.0.0.2, 10.0.0.1, 127.0.0.1 - - [07/Dec/2016:11:05:07 +0100] "GET /ocelot HTTP/1.1" 200 571 "-" "UA""#)
            .unwrap();
        assert_eq!(l.client, b"10.0.0.2, 10.0.0.1, 127.0.0.1");
        let l = Format::Combined
            .parse(br#" - - [07/Dec/2016:11:05:07 +0100] "GET / HTTP/1.1" 200 571 "-" "gunicorn""#)
            .unwrap();
        assert_eq!(l.client, b"");
    }

    #[test]
    fn escaped_quotes_in_fields() {
        let l = Format::Combined
            .parse(br#"1.2.3.4 - - [07/Dec/2016:11:05:07 +0100] "GET /a\"b HTTP/1.1" 200 5 "-" "say \x22hi\x22""#)
            .unwrap();
        assert_eq!(l.request.path(), br#"/a"b"#);
        assert_eq!(
            l.user_agent.map(|a| a.text()).as_deref(),
            Some(&br#"say "hi""#[..])
        );
    }

    #[test]
    fn vcombined_with_and_without_port() {
        let l = Format::VCombined
            .parse(br#"localhost:80 192.168.0.1 - - [01/Jul/2013:06:20:38 -0500] "GET / HTTP/1.1" 200 3829 "-" "Mozilla/5.0""#)
            .unwrap();
        assert_eq!(
            (l.vhost, l.client),
            (Some(&b"localhost"[..]), &b"192.168.0.1"[..])
        );
        let l = Format::VCombined
            .parse(br#"vhost1.domaine.fr 123.123.123.123 - - [04/Jul/2019:09:20:46 +0200] "GET / HTTP/1.1" 200 32953 "-" "Mozilla/5.0""#)
            .unwrap();
        assert_eq!(l.vhost, Some(&b"vhost1.domaine.fr"[..]));
        // A plain combined line is not vcombined, and the reverse.
        assert!(Format::VCombined.parse(COMBINED).is_none());
        assert!(Format::Combined
            .parse(br#"localhost:80 192.168.0.1 - - [01/Jul/2013:06:20:38 -0500] "GET / HTTP/1.1" 200 3829 "-" "Mozilla/5.0""#)
            .is_none());
    }

    #[test]
    fn strip_port_keeps_ipv6() {
        assert_eq!(strip_port(b"example.com:8080"), b"example.com");
        assert_eq!(strip_port(b"example.com"), b"example.com");
        assert_eq!(strip_port(b"::1"), b"::1");
        assert_eq!(strip_port(b"host:"), b"host:");
    }

    #[test]
    fn unreadable_time_is_malformed() {
        assert!(Format::Combined
            .parse(br#"1.2.3.4 - - [31/Feb/2016:11:05:07 +0100] "GET / HTTP/1.1" 200 5 "-" "UA""#)
            .is_none());
    }

    #[test]
    fn missing_ident_is_malformed() {
        let line = br#"192.168.202.254 [20/Jul/2009:22:59:29 +0000] "GET /vmkboot.gz HTTP/1.0" 404 46210 "-" "gPXE/0.9.7""#;
        for f in Format::ALL {
            assert!(f.parse(line).is_none(), "{f}");
        }
    }

    #[test]
    fn detection_prefers_most_parsed_then_list_order() {
        let combined = [COMBINED, b"\n", COMBINED, b"\n"].concat();
        assert_eq!(detect(&combined), (Format::Combined, 2));
        let clf = b"::1 - - [26/Dec/2016:16:16:29 +0200] \"GET / HTTP/1.1\" 404 209\n\n  \n";
        assert_eq!(detect(clf), (Format::Common, 1));
        assert_eq!(detect(b"not a log\n"), (Format::Combined, 0));
    }
}
