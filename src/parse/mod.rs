//! Parsing: one log line in, one borrowed [`LogLine`] out (SPEC §1).
//!
//! Parsers never allocate for an ordinary line: every field is a slice of the
//! input, and only a field with escapes in it is decoded into a copy.

pub mod fields;
pub mod request;
pub mod time;

use std::borrow::Cow;
use std::fmt;

use nom::combinator::opt;
use nom::sequence::preceded;
use nom::IResult;

use fields::{bracketed, byte_count, client_field, quoted, spaces, status, token, Quoted};
pub use request::Request;
pub use time::{parse_log_time, LogTime};

/// How many non-blank lines of a file auto-detection looks at (SPEC §1).
pub const DETECT_LINES: usize = 200;

/// The predefined layouts, in the order auto-detection prefers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"` and anything after.
    Combined,
    /// `%v[:%p] %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"` and anything after.
    VCombined,
    /// `%h %l %u %t "%r" %>s %b`, nothing after.
    Common,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Combined, Format::VCombined, Format::Common];

    pub fn name(self) -> &'static str {
        match self {
            Format::Combined => "combined",
            Format::VCombined => "vcombined",
            Format::Common => "common",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn has_user_agent(self) -> bool {
        !matches!(self, Format::Common)
    }

    /// Parses one line (without its line terminator). `None`: malformed.
    pub fn parse(self, line: &[u8]) -> Option<LogLine<'_>> {
        let parsed = match self {
            Format::Combined => combined(line),
            Format::VCombined => vcombined(line),
            Format::Common => common(line),
        };
        parsed.ok().map(|(_, l)| l)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One parsed line. Fields borrow from the log text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine<'a> {
    /// The virtual host (`%v`), without `:port`, when the layout has one.
    pub vhost: Option<&'a [u8]>,
    /// The `%h` field as written: an address, a name, `-`, empty, or a list.
    pub client: &'a [u8],
    pub user: &'a [u8],
    pub time: LogTime,
    pub request: Request<'a>,
    pub status: u16,
    pub bytes: u64,
    pub referer: Option<Cow<'a, [u8]>>,
    pub user_agent: Option<Cow<'a, [u8]>>,
}

/// The part every layout shares: `%h %l %u [%t] "%r" %>s %b`.
fn clf_core(input: &[u8]) -> IResult<&[u8], LogLine<'_>> {
    let (input, client) = client_field(input)?;
    let (input, _) = preceded(spaces, token)(input)?; // %l
    let (input, user) = preceded(spaces, token)(input)?;
    let (input, time_text) = preceded(spaces, bracketed)(input)?;
    let time = match parse_log_time(time_text) {
        Some(t) => t,
        None => {
            return Err(nom::Err::Error(nom::error::Error::new(
                input,
                nom::error::ErrorKind::Verify,
            )))
        }
    };
    let (input, request) = preceded(spaces, quoted)(input)?;
    let (input, status) = preceded(spaces, status)(input)?;
    let (input, bytes) = preceded(spaces, byte_count)(input)?;
    let line = LogLine {
        vhost: None,
        client,
        user,
        time,
        request: Request::parse(request.text()),
        status,
        bytes,
        referer: None,
        user_agent: None,
    };
    Ok((input, line))
}

/// `"referer" "user agent"`, then the end or anything after a space.
fn referer_and_agent(input: &[u8]) -> IResult<&[u8], (Quoted<'_>, Quoted<'_>)> {
    let (input, referer) = preceded(spaces, quoted)(input)?;
    let (input, agent) = preceded(spaces, quoted)(input)?;
    let (input, _) = trailing_fields(input)?;
    Ok((input, (referer, agent)))
}

fn trailing_fields(input: &[u8]) -> IResult<&[u8], ()> {
    match input.first() {
        None => Ok((input, ())),
        Some(b' ' | b'\t') => Ok((&input[input.len()..], ())),
        Some(_) => Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::Eof,
        ))),
    }
}

fn combined(input: &[u8]) -> IResult<&[u8], LogLine<'_>> {
    let (input, mut line) = clf_core(input)?;
    let (input, (referer, agent)) = referer_and_agent(input)?;
    line.referer = Some(referer.text());
    line.user_agent = Some(agent.text());
    Ok((input, line))
}

fn vcombined(input: &[u8]) -> IResult<&[u8], LogLine<'_>> {
    let (input, vhost) = token(input)?;
    let (input, _) = spaces(input)?;
    let (input, mut line) = combined(input)?;
    line.vhost = Some(strip_port(vhost));
    Ok((input, line))
}

fn common(input: &[u8]) -> IResult<&[u8], LogLine<'_>> {
    let (input, line) = clf_core(input)?;
    let (input, _) = opt(nom::bytes::complete::take_while1(|b| {
        b == b' ' || b == b'\t'
    }))(input)?;
    if !input.is_empty() {
        return Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::Eof,
        )));
    }
    Ok((input, line))
}

/// `host:port` → `host` (Apache writes `%v:%p`).
fn strip_port(vhost: &[u8]) -> &[u8] {
    match memchr::memrchr(b':', vhost) {
        Some(colon)
            if colon + 1 < vhost.len()
                && vhost[colon + 1..].iter().all(u8::is_ascii_digit)
                && !vhost[..colon].contains(&b':') =>
        {
            &vhost[..colon]
        }
        _ => vhost,
    }
}

/// Whether a line counts as blank: empty or only white space (SPEC §1).
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// Picks the layout that parses most of the first [`DETECT_LINES`]
/// non-blank lines of `text`, ties to the earlier in [`Format::ALL`].
/// Returns the format and how many of the sampled lines it parsed.
pub fn detect(text: &[u8]) -> (Format, usize) {
    let sample: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !is_blank(l))
        .take(DETECT_LINES)
        .collect();
    let mut best = (Format::Combined, 0);
    for format in Format::ALL {
        let parsed = sample.iter().filter(|l| format.parse(l).is_some()).count();
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
            l.referer.as_deref(),
            Some(&b"http://semicomplete.com/presentations/logstash-monitorama-2013/"[..])
        );
        assert_eq!(
            l.user_agent.as_deref(),
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
        assert_eq!(l.user_agent.as_deref(), Some(&br#"say "hi""#[..]));
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
