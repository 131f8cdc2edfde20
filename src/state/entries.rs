//! The entries of visits (referrer as logged, landing query) grouped by
//! what the report makes of them: the referrer's host (and its label when
//! that is not the host's text), the channel the landing query's `utm_`
//! parameters give, the campaign, the search term. None of these depends
//! on which hosts are the site's own, which only the whole history
//! decides (SPEC §4); the channel and the referrers table, which do, are
//! worked out per group when the report is built.
//!
//! The settled days' sums keep their entries so grouped: tens of
//! thousands of distinct referrers and queries become the few thousand
//! combinations a report counts, and no referrer is parsed again.

use hashbrown::HashMap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enrich::sources::{self, Channel};
use crate::visits::metrics::odd_label;

use super::lazy::Lazy;
use super::model::Visits;

/// What a report makes of an entry, apart from the site's own hosts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EntryKey {
    /// The referrer's host.
    pub host: Option<String>,
    /// Its label, when that is not the host's text (page views by
    /// referrer, `--format prometheus`).
    pub odd_label: Option<String>,
    /// The channel the landing query's `utm_` parameters give.
    pub tagged: Option<Channel>,
    /// `utm_source`, `utm_medium`, `utm_campaign`.
    pub campaign: Option<(String, String, String)>,
    /// The search term in the referrer, if its host is a search
    /// engine's (counted only for visits whose channel is Search).
    pub search_term: Option<String>,
}

/// Entry groups → visits and their page views.
pub type EntryGroups = Lazy<EntryKey, (u64, u64)>;

/// Adds the entries of `sums`, grouped, to `groups`; their referrers
/// parsed in parallel.
pub fn add_groups(sums: &[&Visits], groups: &mut HashMap<EntryKey, (u64, u64)>) {
    let entries: Vec<_> = sums.iter().flat_map(|s| s.entries.iter()).collect();
    let keys: Vec<EntryKey> = entries
        .par_iter()
        .map(|((referrer, query), _)| key_of(referrer, query))
        .collect();
    for (key, (_, &(visits, views))) in keys.into_iter().zip(entries) {
        let group = groups.entry(key).or_default();
        group.0 += visits;
        group.1 += views;
    }
}

/// What a report makes of one entry.
fn key_of(referrer: &[u8], query: &[u8]) -> EntryKey {
    let text = crate::parse::Quoted { raw: referrer }.text();
    let host = sources::referrer_host(&text);
    let landing_query = (!query.is_empty()).then_some(query);
    let (odd_label, search_term) = match &host {
        Some(h) => (odd_label(&text, h), sources::search_term(&text, h)),
        None => (None, None),
    };
    EntryKey {
        tagged: sources::tagged_channel(landing_query),
        campaign: sources::campaign(landing_query),
        host,
        odd_label,
        search_term,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_that_count_alike_are_one_group() {
        let mut a = Visits::default();
        let entries = a.entries.map();
        // Two search queries on one engine, with and without a term the
        // report would count differently: two groups.
        let google = |q: &str| format!("https://www.google.com/search?q={q}").into_bytes();
        entries.insert((google("shoes"), Vec::new()), (2, 5));
        entries.insert((google("shoes&hl=en"), Vec::new()), (1, 1));
        entries.insert((google("boots"), Vec::new()), (1, 3));
        // A newsletter's tagged landing, twice from different pages.
        let tagged = b"utm_source=news&utm_medium=email&utm_campaign=may".to_vec();
        entries.insert((b"-".to_vec(), tagged.clone()), (3, 3));
        let mut b = Visits::default();
        b.entries.map().insert((b"-".to_vec(), tagged), (1, 2));
        b.entries.map().insert((b"-".to_vec(), Vec::new()), (4, 4));
        let mut groups = HashMap::new();
        add_groups(&[&a, &b], &mut groups);
        let find = |host: Option<&str>, term: Option<&str>, tagged: Option<Channel>| {
            groups
                .iter()
                .find(|(k, _)| {
                    k.host.as_deref() == host
                        && k.search_term.as_deref() == term
                        && k.tagged == tagged
                })
                .map(|(_, &n)| n)
        };
        assert_eq!(groups.len(), 4);
        assert_eq!(find(Some("google.com"), Some("shoes"), None), Some((3, 6)));
        assert_eq!(find(Some("google.com"), Some("boots"), None), Some((1, 3)));
        assert_eq!(find(None, None, Some(Channel::Email)), Some((4, 5)));
        assert_eq!(find(None, None, None), Some((4, 4)));
    }
}
