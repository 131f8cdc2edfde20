//! `--include-path` and `--exclude-path`: globs over the request's path.

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

/// A `--include-path` / `--exclude-path` glob, where `*` also matches `/`.
pub fn parse_glob(s: &str) -> Result<Glob, String> {
    if s.is_empty() {
        return Err("an empty glob matches nothing: write one like /blog/* or *.php".into());
    }
    GlobBuilder::new(s)
        .literal_separator(false)
        .build()
        .map_err(|e| format!("'{s}' is not a glob ({e}): write one like /blog/* or *.php, where * also matches /"))
}

/// The globs of one option as one set; `None` when there are none.
pub(super) fn glob_set(globs: &[Glob]) -> Result<Option<GlobSet>, String> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(g.clone());
    }
    b.build().map(Some).map_err(|e| format!("path globs: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use globset::Candidate;

    #[test]
    fn globs_cross_slashes() {
        let set = |g: &str| {
            let mut b = GlobSetBuilder::new();
            b.add(parse_glob(g).unwrap());
            b.build().unwrap()
        };
        let blog = set("/blog/*");
        assert!(blog.is_match_candidate(&Candidate::from_bytes(b"/blog/2024/05/post")));
        assert!(!blog.is_match_candidate(&Candidate::from_bytes(b"/blog")));
        let php = set("*.php");
        assert!(php.is_match_candidate(&Candidate::from_bytes(b"/wp/admin/x.php")));
        assert!(!php.is_match_candidate(&Candidate::from_bytes(b"/x.php/y")));
        assert!(parse_glob("/a[").unwrap_err().contains("/blog/*"));
        assert!(parse_glob("").is_err());
    }
}
