//! Page views by referrer label, for `--format prometheus`, over the
//! visits a state holds (the closed ones of the days kept, the open ones
//! as they stand), labelled as one run labels them
//! ([`crate::visits::metrics`]): each page view by the host of its own
//! referrer, `(internal)` when that is one of the site's own hosts,
//! `(none)` when it has none.
//!
//! A visit's first page view is its entry, kept as logged with the
//! visit's count and page views: labelled from its text, as one run does.
//! Its later page views are kept per referrer host (what the own host is
//! inferred from, SPEC §4), with, apart, the few whose label is not the
//! host's text (bytes that are not UTF-8 in the host); those without a
//! host are the rest of the visit's page views.

use hashbrown::HashMap;

use crate::text::label_text;
use crate::visits::metrics::{INTERNAL_REFERRER, NO_REFERRER};

use super::model::Visits;

/// Page views per referrer label, counted up.
#[derive(Debug, Default)]
pub struct ReferrerViews {
    by_label: HashMap<String, u64>,
    /// The visits of the entries given, and all their page views: the
    /// later page views are the difference.
    first_views: u64,
    all_views: u64,
}

impl ReferrerViews {
    fn add(&mut self, label: &str, n: u64) {
        if n == 0 {
            return;
        }
        match self.by_label.get_mut(label) {
            Some(m) => *m += n,
            None => drop(self.by_label.insert(label.to_string(), n)),
        }
    }

    /// The first page views of the `visits` of one entry, which had
    /// `views` page views in all: `host` is its referrer's host as the
    /// report sees it, `odd` its label when that is not the host's text
    /// ([`crate::visits::metrics::odd_label`]); `own` the site's own
    /// hosts, sorted.
    pub fn entry(
        &mut self,
        host: Option<&str>,
        odd: Option<&str>,
        own: &[String],
        visits: u64,
        views: u64,
    ) {
        self.first_views += visits;
        self.all_views += views;
        match host {
            None => self.add(NO_REFERRER, visits),
            Some(h) if own.binary_search_by(|o| o.as_str().cmp(h)).is_ok() => {
                self.add(INTERNAL_REFERRER, visits)
            }
            Some(h) => match odd {
                Some(label) => self.add(label, visits),
                None => self.add(&label_text(h.as_bytes()), visits),
            },
        }
    }

    /// The later page views of the visits whose entries were given, from
    /// the later referrer hosts of `parts` (closed visits of days, open
    /// ones): those without a host are the rest of the visits' page views.
    pub fn later(&mut self, parts: &[&Visits], own: &[String]) {
        let is_own = |h: &str| own.binary_search_by(|o| o.as_str().cmp(h)).is_ok();
        let mut with_host = 0u64;
        for (host, &n) in parts.iter().flat_map(|p| p.later_hosts.iter()) {
            with_host += n;
            if is_own(host) {
                self.add(INTERNAL_REFERRER, n);
            } else {
                self.add(&label_text(host.as_bytes()), n);
            }
        }
        // Labels other than the host's text, summed over the parts first:
        // each moves views from its host's label once.
        let mut odd: HashMap<&(String, String), u64> = HashMap::new();
        for (key, &n) in parts.iter().flat_map(|p| p.later_labels.iter()) {
            *odd.entry(key).or_default() += n;
        }
        for ((host, label), n) in odd {
            if !is_own(host) {
                let text = label_text(host.as_bytes());
                if let Some(m) = self.by_label.get_mut(text.as_ref()) {
                    *m -= n.min(*m);
                }
                self.add(label, n);
            }
        }
        let later = self.all_views.saturating_sub(self.first_views);
        self.add(NO_REFERRER, later.saturating_sub(with_host));
        self.by_label.retain(|_, n| *n > 0);
    }

    /// One entry per label.
    pub fn into_rows(self) -> Vec<(String, u64)> {
        self.by_label.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_views_by_host_own_host_odd_label_and_none() {
        let own = vec!["example.com".to_string()];
        let mut v = Visits::default();
        v.later_hosts.map().insert("example.com".into(), 2);
        v.later_hosts.map().insert("caf\u{fffd}.example".into(), 2);
        // One of those two was logged with byte 0xe9, shown `\xe9`.
        let odd = (
            "caf\u{fffd}.example".to_string(),
            r"caf\xe9.example".to_string(),
        );
        v.later_labels.map().insert(odd, 1);
        let mut r = ReferrerViews::default();
        // Two visits: 7 page views, 5 of them later ones.
        r.entry(None, None, &own, 1, 3);
        r.entry(Some("google.com"), None, &own, 1, 4);
        r.later(&[&v], &own);
        let mut rows = r.into_rows();
        rows.sort();
        let want: Vec<(String, u64)> = [
            ("(internal)", 2),
            ("(none)", 2),
            (r"caf\xe9.example", 1),
            ("caf\u{fffd}.example", 1),
            ("google.com", 1),
        ]
        .map(|(l, n)| (l.to_string(), n))
        .into();
        assert_eq!(rows, want);
    }
}
