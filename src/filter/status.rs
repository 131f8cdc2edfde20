//! `--status`: which status codes are kept.

use std::fmt;

use super::list::{items, quote_item};

/// A `--status` list compiled into a table indexed by the code: a line's
/// status is checked with one load.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusSet(Box<[bool; 1000]>);

const STATUS_FORMS: &str = "write codes (404), classes (5xx) and ranges (400-499), \
     comma-separated, each negated with ! to drop it (!304)";

impl StatusSet {
    pub fn parse(s: &str) -> Result<StatusSet, String> {
        let mut keep = Box::new([false; 1000]);
        let mut drop = Vec::new();
        let mut any_kept = false;
        for item in items(s) {
            let range = status_range(item.name).ok_or_else(|| {
                format!(
                    "{} is not a status: {STATUS_FORMS}",
                    quote_item(item.written, s)
                )
            })?;
            if item.negated {
                drop.push(range);
            } else {
                any_kept = true;
                keep[range.0..=range.1].fill(true);
            }
        }
        if !any_kept {
            keep.fill(true);
        }
        for (lo, hi) in drop {
            keep[lo..=hi].fill(false);
        }
        Ok(StatusSet(keep))
    }

    #[inline]
    pub fn contains(&self, status: u16) -> bool {
        self.0.get(usize::from(status)).copied().unwrap_or(false)
    }
}

/// `404`, `5xx` or `400-499` as an inclusive range of codes.
pub(crate) fn status_range(item: &str) -> Option<(usize, usize)> {
    let code = |s: &str| -> Option<usize> {
        (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if let Some((lo, hi)) = item.split_once('-') {
        let (lo, hi) = (code(lo.trim())?, code(hi.trim())?);
        return (lo <= hi).then_some((lo, hi));
    }
    let b = item.as_bytes();
    if b.len() == 3 && b[0].is_ascii_digit() && b[1..].eq_ignore_ascii_case(b"xx") {
        let class = usize::from(b[0] - b'0') * 100;
        return Some((class, class + 99));
    }
    code(item).map(|c| (c, c))
}

impl fmt::Debug for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let codes = self.0.iter().filter(|&&kept| kept).count();
        write!(f, "StatusSet({codes} codes)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lists() {
        let s = StatusSet::parse("5xx").unwrap();
        assert!(s.contains(500) && s.contains(599) && !s.contains(499) && !s.contains(600));
        let s = StatusSet::parse("!304").unwrap();
        assert!(s.contains(200) && !s.contains(304) && s.contains(0) && s.contains(999));
        let s = StatusSet::parse("400-404, 5XX, !500").unwrap();
        assert!(s.contains(400) && s.contains(404) && !s.contains(405));
        assert!(!s.contains(500) && s.contains(501));
        assert!(!s.contains(1000));
        for bad in [
            "", "4", "4x", "40x", "abc", "500-400", "1000", "!", "200,,", "5xx-6xx",
        ] {
            let e = StatusSet::parse(bad).unwrap_err();
            assert!(e.contains("5xx") && e.contains("!304"), "{bad}: {e}");
        }
    }
}
