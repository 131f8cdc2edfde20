//! Goal patterns `[METHOD ]PATH_GLOB[ STATUS]` (SPEC §7):
//! `POST /accounts/signup 3xx`, `/checkout/done*`, `/files/*.pdf`.
//!
//! The glob is matched by hand rather than by a glob library: SPEC gives
//! `*` alone a meaning (any run of bytes, `/` included), so `?`, `[` and
//! `{`, which a library would take as syntax, are plain bytes of a path
//! here, and a match is a few comparisons and `memmem` searches with no
//! allocation, which is what a test on every hit of a run can afford.

use std::fmt;

use memchr::memmem;

/// The statuses a pattern without one matches: successes and redirects.
const DEFAULT_STATUS: (u16, u16) = (200, 399);

/// A compiled goal pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalPattern {
    /// `None`: any method.
    method: Option<Box<[u8]>>,
    glob: PathGlob,
    /// Inclusive.
    status: (u16, u16),
    /// As given, trimmed: how the pattern is named where it has no name.
    text: String,
}

/// A path glob, as the literals between its `*`s, laid out for the test:
/// it runs on every hit.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PathGlob {
    /// The literal before the first `*`; the whole glob when it has none.
    start: Box<[u8]>,
    /// The literal after the last `*`; `None` when the glob has no `*`.
    end: Option<Box<[u8]>>,
    /// The literals between the first and the last `*`, in order.
    middle: Box<[Box<[u8]>]>,
    /// The shortest path that can match.
    min_len: usize,
}

impl PathGlob {
    fn new(glob: &[u8]) -> PathGlob {
        let pieces: Vec<Box<[u8]>> = glob.split(|&b| b == b'*').map(Box::from).collect();
        let start = pieces[0].clone();
        let end = (pieces.len() > 1).then(|| pieces[pieces.len() - 1].clone());
        let middle: Box<[Box<[u8]>]> = match pieces.len() {
            0..=2 => Box::default(),
            n => pieces[1..n - 1].into(),
        };
        let min_len = pieces.iter().map(|p| p.len()).sum();
        PathGlob {
            start,
            end,
            middle,
            min_len,
        }
    }
}

/// What a goal pattern is, for messages.
pub const PATTERN_FORMS: &str = "a pattern is [METHOD ]PATH_GLOB[ STATUS], e.g. \
     'POST /accounts/signup 3xx', '/checkout/done*' or '/files/*.pdf': the glob starts with / \
     or *, where * matches anything, / included; STATUS is a code (302), a class (3xx) or a \
     range (200-399), 200-399 when left out";

impl GoalPattern {
    /// Reads a pattern; the error says what is wrong with it in words.
    pub fn parse(text: &str) -> Result<GoalPattern, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err(format!("the pattern is empty; {PATTERN_FORMS}"));
        }
        let mut rest = text;
        // A method: a first word of letters with more after it.
        let mut method = None;
        if let Some((first, after)) = rest.split_once(char::is_whitespace) {
            if first.bytes().all(|b| b.is_ascii_alphabetic()) {
                method = Some(first.to_ascii_uppercase().into_bytes().into_boxed_slice());
                rest = after.trim_start();
            }
        }
        // A status: a last word that reads as one.
        let mut status = DEFAULT_STATUS;
        if let Some((before, last)) = rest.rsplit_once(char::is_whitespace) {
            if let Some((lo, hi)) = crate::filter::status::status_range(last) {
                status = (lo as u16, hi as u16);
                rest = before.trim_end();
            } else if last.starts_with(|c: char| c.is_ascii_digit())
                && last
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b"xX-".contains(&b))
            {
                return Err(format!(
                    "'{last}' is not a status: write a code (302), a class (3xx) or a range \
                     (200-399)"
                ));
            }
        }
        let glob = rest;
        if !glob.starts_with(['/', '*']) {
            let what = if !glob.is_empty() && glob.bytes().all(|b| b.is_ascii_uppercase()) {
                format!("'{glob}' has no path glob after it")
            } else {
                format!("the path glob '{glob}' does not start with / or *")
            };
            return Err(format!("{what}; {PATTERN_FORMS}"));
        }
        if let Some(c) = glob.chars().find(|&c| c == '?' || c == '#') {
            return Err(format!(
                "the path glob '{glob}' holds '{c}', which no path does: the glob is matched \
                 against the path without its query string"
            ));
        }
        Ok(GoalPattern {
            method,
            glob: PathGlob::new(glob.as_bytes()),
            status,
            text: text.to_string(),
        })
    }

    /// The pattern as given, trimmed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether a hit of `method`, `path` and `status` matches.
    pub fn matches(&self, method: &[u8], path: &[u8], status: u16) -> bool {
        (self.status.0..=self.status.1).contains(&status)
            && self.method.as_deref().is_none_or(|m| same(m, method))
            && self.glob.matches(path)
    }

    /// Whether `path` matches the glob (status and method aside).
    #[inline]
    pub fn path_matches(&self, path: &[u8]) -> bool {
        self.glob.matches(path)
    }

    /// The statuses matched, inclusive.
    pub fn status(&self) -> (u16, u16) {
        self.status
    }

    /// The method matched; `None`: any.
    pub fn method(&self) -> Option<&[u8]> {
        self.method.as_deref()
    }

    /// The byte every matching path has at `i`, when the glob's literal
    /// start says.
    pub fn path_byte(&self, i: usize) -> Option<u8> {
        self.glob.start.get(i).copied()
    }

    /// The length of the shortest path that matches.
    pub fn min_path_len(&self) -> usize {
        self.glob.min_len
    }
}

impl fmt::Display for GoalPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PathGlob {
    #[inline]
    fn matches(&self, path: &[u8]) -> bool {
        let (start, end) = match &self.end {
            None => return same(path, &self.start),
            Some(end) => (&self.start[..], &end[..]),
        };
        if path.len() < self.min_len
            || !same(&path[path.len() - end.len()..], end)
            || !same(&path[..start.len()], start)
        {
            return false;
        }
        // The literals between, leftmost first: with `*` the only wildcard,
        // the earliest place for each leaves the most room for the others.
        let mut between = &path[start.len()..path.len() - end.len()];
        for piece in &self.middle {
            match memmem::find(between, piece) {
                Some(at) => between = &between[at + piece.len()..],
                None => return false,
            }
        }
        true
    }
}

/// Slice equality that looks at the last byte before calling `memcmp`:
/// paths nearly all start alike (`/`), and a call per pattern and hit cost
/// more than the rest of the test.
#[inline(always)]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.last() == b.last() && a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> GoalPattern {
        GoalPattern::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn the_three_parts() {
        let signup = p("POST /accounts/signup 3xx");
        assert!(signup.matches(b"POST", b"/accounts/signup", 302));
        assert!(!signup.matches(b"GET", b"/accounts/signup", 302));
        assert!(!signup.matches(b"POST", b"/accounts/signup", 200));
        assert!(!signup.matches(b"POST", b"/accounts/signup/x", 302));
        // No method: any; no status: 200-399.
        let thanks = p("/checkout/done*");
        for status in [200, 204, 302, 399] {
            assert!(thanks.matches(b"HEAD", b"/checkout/done", status));
        }
        assert!(!thanks.matches(b"GET", b"/checkout/done", 404));
        assert!(!thanks.matches(b"GET", b"/checkout/done", 199));
        assert!(thanks.matches(b"GET", b"/checkout/done/42", 200));
        // A range, and a lower-case method.
        let r = p("post /a 200-201");
        assert!(r.matches(b"POST", b"/a", 201) && !r.matches(b"POST", b"/a", 202));
        assert!(p("/a 404").matches(b"GET", b"/a", 404));
    }

    #[test]
    fn star_matches_any_run_slashes_included() {
        let pdf = p("/files/*.pdf");
        assert!(pdf.matches(b"GET", b"/files/a/b/report.pdf", 200));
        assert!(pdf.matches(b"GET", b"/files/.pdf", 200));
        assert!(pdf.matches(b"GET", b"/files/Quarterly Report 2024 (final).pdf", 200));
        assert!(!pdf.matches(b"GET", b"/files/a.pdf.zip", 200));
        assert!(!pdf.matches(b"GET", b"/files.pdf", 200));
        let mid = p("/a*b*c");
        assert!(mid.matches(b"GET", b"/abc", 200));
        assert!(mid.matches(b"GET", b"/a-b-b-c", 200));
        assert!(!mid.matches(b"GET", b"/acb", 200));
        // The end piece may not reuse the bytes of the start one.
        assert!(!p("/ab*b").matches(b"GET", b"/ab", 200));
        assert!(p("*").matches(b"GET", b"/anything", 200));
        assert!(p("*.mp4").matches(b"GET", b"/media/demo.mp4", 206));
        // Other glob syntax is plain text; case counts, as paths are logged.
        assert!(p("/[x]{y}").matches(b"GET", b"/[x]{y}", 200));
        assert!(!p("/About").matches(b"GET", b"/about", 200));
    }

    #[test]
    fn paths_with_spaces() {
        let spaced = p("GET /my page 200");
        assert!(spaced.matches(b"GET", b"/my page", 200));
        assert_eq!(spaced.text(), "GET /my page 200");
        // A last word that is no status is part of the glob.
        let report = p("/files/report 2024.pdf");
        assert!(report.matches(b"GET", b"/files/report 2024.pdf", 200));
    }

    #[test]
    fn what_cannot_be_read_is_said() {
        for (text, says) in [
            ("", "empty"),
            ("   ", "empty"),
            ("POST", "has no path glob"),
            ("thanks", "does not start with / or *"),
            ("checkout/done", "does not start with / or *"),
            ("POST checkout 302", "does not start with / or *"),
            ("/a 9x9", "'9x9' is not a status"),
            ("/a 200-100", "'200-100' is not a status"),
            ("/a 2000", "'2000' is not a status"),
            ("/search?q=*", "holds '?'"),
            ("/page#top", "holds '#'"),
        ] {
            let e = GoalPattern::parse(text).unwrap_err();
            assert!(e.contains(says), "{text:?}: {e}");
        }
    }
}
