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
//!
//! `compile.rs` turns the text into items (with `syntax.rs` for each
//! server's syntax), `matching.rs` matches them against a line. Depends on
//! the rest of [`parse`](crate::parse) only: fields, requests and times are
//! read as the predefined layouts read them.

mod compile;
mod matching;
mod syntax;

use std::fmt;

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

impl Pattern {
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
}

/// Every name `--log-format` accepts, for messages: `layouts`, the names
/// of the layouts that are no pattern, then the presets.
fn known_names(layouts: &[&str]) -> String {
    let mut names = layouts.to_vec();
    names.extend(PRESETS.iter().map(|(n, _)| *n));
    names.join(", ")
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
