//! The request line `"GET /path?q HTTP/1.1"`, split as SPEC §1 says.

use std::borrow::Cow;
use std::ops::Range;

/// The method and path reported for a request that is `-`, empty or junk.
pub const INVALID_METHOD: &[u8] = b"-";
pub const INVALID_PATH: &[u8] = b"(invalid)";

/// A request, from a request line (`$request`, `%r`) or from a method and
/// a target logged as fields of their own (`$request_method $request_uri`,
/// JSON logs). Either way it borrows from the log, or owns its text when
/// escapes had to be decoded.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    text: Cow<'a, [u8]>,
    /// `None` for a request that is `-`, empty or junk.
    parts: Option<Parts>,
    /// The method, when it was its own field: `text` is then the target.
    method: Option<Cow<'a, [u8]>>,
    /// The length of [`path`](Self::path) when the parser knew it (see
    /// [`set_path_end`](Self::set_path_end)); else it is searched for.
    path_len: Option<usize>,
}

/// Equal requests are the same text split the same way; whether the end
/// of the path was found by the parser or is still to be searched for is
/// no part of it.
impl PartialEq for Request<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text && self.parts == other.parts && self.method == other.method
    }
}

impl Eq for Request<'_> {}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Parts {
    method: Range<usize>,
    target: Range<usize>,
    protocol: Option<Range<usize>>,
}

impl<'a> Request<'a> {
    pub fn parse(text: Cow<'a, [u8]>) -> Self {
        let parts = split(&text);
        Request {
            text,
            parts,
            method: None,
            path_len: None,
        }
    }

    /// A request logged as separate method and target fields. The rules of
    /// a request line apply to the parts: the method is upper-case ASCII
    /// letters and the target is not empty, else the request is invalid.
    pub fn from_parts(method: Cow<'a, [u8]>, target: Cow<'a, [u8]>) -> Self {
        let valid =
            !method.is_empty() && method.iter().all(u8::is_ascii_uppercase) && !target.is_empty();
        if !valid {
            return Request {
                text: Cow::Borrowed(b""),
                parts: None,
                method: None,
                path_len: None,
            };
        }
        let parts = Some(Parts {
            method: 0..0,
            target: 0..target.len(),
            protocol: None,
        });
        Request {
            text: target,
            parts,
            method: Some(method),
            path_len: None,
        }
    }

    pub fn is_valid(&self) -> bool {
        self.parts.is_some()
    }

    pub fn method(&self) -> &[u8] {
        match (&self.parts, &self.method) {
            (Some(_), Some(method)) => method,
            (Some(p), None) => &self.text[p.method.clone()],
            (None, _) => INVALID_METHOD,
        }
    }

    /// The request target as logged, query string included.
    pub fn target(&self) -> &[u8] {
        match &self.parts {
            Some(p) => &self.text[p.target.clone()],
            None => INVALID_PATH,
        }
    }

    /// The target without query string and fragment, not percent-decoded.
    pub fn path(&self) -> &[u8] {
        let target = self.target();
        if let Some(len) = self.path_len {
            return &target[..len];
        }
        path_end(target).map(|cut| &target[..cut]).unwrap_or(target)
    }

    /// Fixes where the path ends, as `path_end` finds it in the target
    /// (`None`: the target is all path), for a parser that knows where the
    /// target's `?` and `#` are without searching. Nothing for a request
    /// without a target.
    #[inline]
    pub fn set_path_end(&mut self, path_end: impl FnOnce(&[u8]) -> Option<usize>) {
        if self.parts.is_some() {
            let target = self.target();
            let len = path_end(target).unwrap_or(target.len()).min(target.len());
            self.path_len = Some(len);
        }
    }

    /// The query string (after `?`, before any `#`), if there is one.
    pub fn query(&self) -> Option<&[u8]> {
        query_in(self.after_path(self.target()))
    }

    /// [`query`](Self::query), borrowed from the log for as long as the
    /// log text lives, unless decoding escapes made the request a copy.
    pub fn query_of_log(&self) -> Option<Cow<'a, [u8]>> {
        match &self.text {
            Cow::Borrowed(text) => {
                let target = &text[self.parts.as_ref()?.target.clone()];
                query_in(self.after_path(target)).map(Cow::Borrowed)
            }
            Cow::Owned(_) => self.query().map(|q| Cow::Owned(q.to_vec())),
        }
    }

    /// `target` from the path's end on, when the parser fixed it: no `?`
    /// comes before, and for the many targets without a query nothing is
    /// left to search.
    fn after_path<'t>(&self, target: &'t [u8]) -> &'t [u8] {
        &target[self.path_len.unwrap_or(0).min(target.len())..]
    }

    pub fn protocol(&self) -> Option<&[u8]> {
        let p = self.parts.as_ref()?;
        p.protocol.clone().map(|r| &self.text[r])
    }
}

/// Where the path of a request target ends: at its first `?` or `#`.
pub fn path_end(target: &[u8]) -> Option<usize> {
    memchr::memchr2(b'?', b'#', target)
}

/// The query string of a request target.
fn query_in(target: &[u8]) -> Option<&[u8]> {
    let start = memchr::memchr(b'?', target)? + 1;
    let end = memchr::memchr(b'#', &target[start..]).map_or(target.len(), |e| start + e);
    Some(&target[start..end])
}

/// The method is the text before the first space and must be upper-case
/// ASCII letters; a trailing ` HTTP/<version>` is the protocol and the target
/// is what lies between, spaces and all; without it the whole rest is the
/// target (HTTP/0.9).
fn split(text: &[u8]) -> Option<Parts> {
    // Nearly every request is a GET: skip the method scan for it.
    let space = if text.starts_with(b"GET ") {
        3
    } else {
        // Methods are a few letters: a plain loop beats a vectorised search.
        let space = text.iter().position(|&b| b == b' ')?;
        if space == 0 || !text[..space].iter().all(u8::is_ascii_uppercase) {
            return None;
        }
        space
    };
    let method = 0..space;
    let rest = space + 1..text.len();
    let (target, protocol) = match protocol_start(&text[rest.clone()]) {
        Some(p) => (
            rest.start..rest.start + p,
            Some(rest.start + p + 1..rest.end),
        ),
        None => (rest, None),
    };
    if target.is_empty() {
        return None;
    }
    Some(Parts {
        method,
        target,
        protocol,
    })
}

/// Where ` HTTP/<version>` starts at the end of `rest`, if it does. The
/// version holds no space, so it can only follow the last space.
fn protocol_start(rest: &[u8]) -> Option<usize> {
    // The versions servers write nearly always, compared whole.
    for common in [&b" HTTP/1.1"[..], b" HTTP/2.0", b" HTTP/1.0"] {
        if rest.ends_with(common) {
            return Some(rest.len() - common.len());
        }
    }
    let at = rest.iter().rposition(|&b| b == b' ')?;
    let version = rest[at + 1..].strip_prefix(b"HTTP/")?;
    let is_version = !version.is_empty()
        && version.iter().all(|&b| b.is_ascii_digit() || b == b'.')
        && version[0].is_ascii_digit();
    is_version.then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_after_the_path_is_the_query() {
        // The query is after the first `?`, to a `#` after it: even a `?`
        // after a fragment starts one, as `query` has it.
        for (target, query) in [
            (&b"/a"[..], None),
            (b"/a?x=1", Some(&b"x=1"[..])),
            (b"/a?x=1#f", Some(b"x=1")),
            (b"/a#f?x=1", Some(b"x=1")),
            (b"/?", Some(b"")),
            (b"/a#", None),
            (b"/a??b", Some(b"?b")),
        ] {
            let line = [&b"GET "[..], target, b" HTTP/1.1"].concat();
            let searched = req(&line);
            let mut after = req(&line);
            after.set_path_end(path_end);
            let text = String::from_utf8_lossy(target);
            assert_eq!(after.query_of_log().as_deref(), query, "{text}");
            assert_eq!(after.query(), query, "{text}");
            assert_eq!(after.query_of_log(), searched.query_of_log(), "{text}");
        }
    }

    fn req(s: &[u8]) -> Request<'_> {
        Request::parse(Cow::Borrowed(s))
    }

    #[test]
    fn ordinary_request() {
        let r = req(b"GET /a/b?x=1&y=2#frag HTTP/1.1");
        assert_eq!(r.method(), b"GET");
        assert_eq!(r.target(), b"/a/b?x=1&y=2#frag");
        assert_eq!(r.path(), b"/a/b");
        assert_eq!(r.query(), Some(&b"x=1&y=2"[..]));
        assert_eq!(r.protocol(), Some(&b"HTTP/1.1"[..]));
    }

    #[test]
    fn http2_and_fragment_only() {
        let r = req(b"POST /x#top HTTP/2.0");
        assert_eq!(
            (r.method(), r.path(), r.query()),
            (&b"POST"[..], &b"/x"[..], None)
        );
        assert_eq!(r.protocol(), Some(&b"HTTP/2.0"[..]));
        assert_eq!(req(b"GET / HTTP/2").protocol(), Some(&b"HTTP/2"[..]));
    }

    #[test]
    fn target_with_spaces_keeps_them() {
        let r = req(b"GET /my file.html HTTP/1.0");
        assert_eq!(r.path(), b"/my file.html");
        assert_eq!(r.protocol(), Some(&b"HTTP/1.0"[..]));
    }

    #[test]
    fn http_0_9_has_no_protocol() {
        let r = req(b"GET /~scottp/publish.html");
        assert_eq!(r.path(), b"/~scottp/publish.html");
        assert_eq!(r.protocol(), None);
        // Not a protocol: the version must be digits.
        let r = req(b"GET /a HTTP/x");
        assert_eq!(r.path(), b"/a HTTP/x");
    }

    #[test]
    fn junk_is_invalid() {
        for junk in [
            &b"-"[..],
            b"",
            b"\x16\x03\x01\x00\xa5\x01\x00",
            b"hello",
            b"get / HTTP/1.1",
            b"GET",
            b"GET ",
            b"G3T / HTTP/1.1",
            b" / HTTP/1.1",
        ] {
            let r = req(junk);
            assert!(!r.is_valid(), "{:?}", String::from_utf8_lossy(junk));
            assert_eq!((r.method(), r.path()), (INVALID_METHOD, INVALID_PATH));
        }
    }

    #[test]
    fn separate_method_and_target() {
        let r = Request::from_parts(Cow::Borrowed(b"GET"), Cow::Borrowed(b"/a?b=1"));
        assert!(r.is_valid());
        assert_eq!(
            (r.method(), r.path(), r.query()),
            (&b"GET"[..], &b"/a"[..], Some(&b"b=1"[..]))
        );
        assert_eq!(r.protocol(), None);
        for (method, target) in [
            (&b"get"[..], &b"/"[..]),
            (b"-", b"/"),
            (b"GET", b""),
            (b"", b"/"),
        ] {
            let r = Request::from_parts(Cow::Borrowed(method), Cow::Borrowed(target));
            assert!(!r.is_valid());
            assert_eq!((r.method(), r.path()), (INVALID_METHOD, INVALID_PATH));
        }
    }

    #[test]
    fn odd_but_valid_requests() {
        let r = req(b"OPTIONS * HTTP/1.0");
        assert_eq!((r.method(), r.path()), (&b"OPTIONS"[..], &b"*"[..]));
        // The target is everything between method and protocol: here the
        // protocol itself, since nothing else is there.
        let r = req(b"GET HTTP/1.1");
        assert_eq!(r.path(), b"HTTP/1.1");
    }
}
