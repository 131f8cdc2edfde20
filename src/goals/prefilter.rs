//! Which patterns a hit can match, from three table lookups.
//!
//! Every kept hit of a run with goals is tested. Testing each pattern in
//! turn cost about 30 instructions a pattern and a hit, most of them
//! branches a log's mix of statuses and paths makes hard to predict.
//! Instead each pattern is filed by the statuses it takes, by its method,
//! and by the second byte of the paths it can match (the first is nearly
//! always `/`): a hit's candidates are the patterns all three allow, a
//! bit mask that is 0 for most hits, and only the candidates' globs are
//! tested.

use std::fmt;

use super::pattern::{same, GoalPattern};

#[derive(Clone, PartialEq, Eq)]
pub struct Prefilter {
    /// Per status code (0..1000): the patterns that take it.
    by_status: Box<[u64]>,
    /// Patterns that take any method.
    any_method: u64,
    /// Each method some pattern names, and those patterns.
    methods: Vec<(Box<[u8]>, u64)>,
    /// Per second byte of the path: the patterns whose paths can have it.
    by_second_byte: Box<[u64]>,
    /// Patterns that a path of fewer than two bytes can match.
    short: u64,
}

impl Prefilter {
    pub fn new(patterns: &[GoalPattern]) -> Prefilter {
        let mut by_status = vec![0u64; 1000];
        let mut any_method = 0;
        let mut methods: Vec<(Box<[u8]>, u64)> = Vec::new();
        let mut by_second_byte = vec![0u64; 256];
        let mut short = 0;
        for (i, p) in patterns.iter().enumerate() {
            let bit = 1u64 << i;
            let (lo, hi) = p.status();
            for slot in &mut by_status[usize::from(lo).min(1000)..=usize::from(hi).min(999)] {
                *slot |= bit;
            }
            match p.method() {
                None => any_method |= bit,
                Some(m) => match methods.iter_mut().find(|(name, _)| &name[..] == m) {
                    Some((_, bits)) => *bits |= bit,
                    None => methods.push((m.into(), bit)),
                },
            }
            match p.path_byte(1) {
                Some(b) => by_second_byte[usize::from(b)] |= bit,
                None => by_second_byte.iter_mut().for_each(|slot| *slot |= bit),
            }
            if p.min_path_len() < 2 {
                short |= bit;
            }
        }
        Prefilter {
            by_status: by_status.into(),
            any_method,
            methods,
            by_second_byte: by_second_byte.into(),
            short,
        }
    }

    /// The patterns whose status and method a hit has, and whose glob its
    /// path may match.
    #[inline]
    pub fn candidates(&self, method: &[u8], path: &[u8], status: u16) -> u64 {
        let by_status = self
            .by_status
            .get(usize::from(status))
            .copied()
            .unwrap_or(0);
        let by_path = match path.get(1) {
            Some(&b) => self.by_second_byte[usize::from(b)],
            None => self.short,
        };
        let mut by_method = self.any_method;
        for (name, bits) in &self.methods {
            if same(name, method) {
                by_method |= bits;
            }
        }
        by_status & by_path & by_method
    }
}

impl fmt::Debug for Prefilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prefilter")
            .field("methods", &self.methods.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_what_status_method_and_second_byte_allow() {
        let patterns: Vec<GoalPattern> = [
            "POST /signup 3xx",
            "/pricing",
            "*.pdf",
            "/",
            "/p*",
            "GET /a 404",
        ]
        .iter()
        .map(|p| GoalPattern::parse(p).unwrap())
        .collect();
        let f = Prefilter::new(&patterns);
        let c = |m: &str, path: &str, s| f.candidates(m.as_bytes(), path.as_bytes(), s);
        // The globs *.pdf and / say nothing of a second byte: always
        // candidates for a path of two bytes or more.
        assert_eq!(c("POST", "/signup", 302), 0b001101);
        assert_eq!(c("GET", "/signup", 302), 0b001100);
        assert_eq!(c("GET", "/pricing", 200), 0b011110);
        // Shorter paths: only the globs that match one of under 2 bytes.
        assert_eq!(c("GET", "/", 200), 0b001000);
        assert_eq!(c("GET", "", 200), 0b001000);
        assert_eq!(c("GET", "/a", 404), 0b100000);
        assert_eq!(c("HEAD", "/a", 404), 0);
        assert_eq!(c("GET", "/x.pdf", 500), 0);
        assert_eq!(c("GET", "/x.pdf", 999), 0);
        // Every pattern that matches is a candidate.
        for (m, path, s) in [
            ("POST", "/signup", 302),
            ("GET", "/pricing", 204),
            ("GET", "/", 304),
        ] {
            let cands = c(m, path, s);
            for (i, p) in patterns.iter().enumerate() {
                if p.matches(m.as_bytes(), path.as_bytes(), s) {
                    assert_ne!(cands & 1 << i, 0, "{m} {path} {s}: {}", p.text());
                }
            }
        }
    }
}
