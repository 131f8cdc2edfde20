//! The visit-level figures of `--format prometheus` that the report's
//! tables do not hold: page views by the channel of their visit and by
//! the host of their referrer, and bot hits under names shown as labels
//! are (`\xHH` for bytes that are not UTF-8). [`crate::visits::compute`]
//! fills them from what its walk counted, only when they are asked for.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::aggregate::Figures;
use crate::enrich::classify::{bot_name, AgentInfo};
use crate::enrich::sources::{self, Channel};
use crate::parse::Quoted;
use crate::text::label_text;

/// The referrer label of page views whose referrer has no host (none, `-`,
/// or text that is no URL).
pub const NO_REFERRER: &str = "(none)";
/// The referrer label of page views referred by one of the site's own
/// hosts (SPEC §4): moves within the site.
pub const INTERNAL_REFERRER: &str = "(internal)";

#[derive(Debug, Default, PartialEq, Eq)]
pub struct VisitMetrics {
    /// Page views per channel of the visit they are part of.
    pub channel_pageviews: HashMap<Channel, u64>,
    /// Page views per referrer label: the normalised host of the page
    /// view's own referrer when it is external, else [`INTERNAL_REFERRER`]
    /// or [`NO_REFERRER`]. One entry per label.
    pub referrer_pageviews: Vec<(String, u64)>,
    /// Bot hits per bot name (SPEC §5) as a label shows it. One entry per
    /// label.
    pub bots: Vec<(String, u64)>,
}

impl VisitMetrics {
    /// Counts the page views of the visits begun by entries whose channel
    /// is `channel`.
    pub fn add_channel_pageviews(&mut self, channel: Channel, pageviews: u64) {
        *self.channel_pageviews.entry(channel).or_default() += pageviews;
    }

    /// Bot hits by name. `agents` holds the classification of each agent
    /// of `figures`, by id. An agent that is valid UTF-8 is named as the
    /// bots table names it; one that is not is named from its text with
    /// `\xHH` escapes, where the table's name has U+FFFD.
    pub fn count_bots(&mut self, figures: &Figures, agents: &[AgentInfo]) {
        let mut by_name: HashMap<String, u64> = HashMap::new();
        for (id, info) in agents.iter().enumerate().take(figures.agents.len()) {
            let Some(name) = info.bot_name.as_ref().filter(|_| info.is_bot) else {
                continue;
            };
            let text = Quoted {
                raw: figures.agents.key(id as u32),
            }
            .text();
            let label = match std::str::from_utf8(&text) {
                Ok(_) => label_text(name.as_bytes()).into_owned(),
                Err(_) => {
                    let escaped = label_text(&text);
                    let named = bot_name(&escaped, false, &info.device, &info.browser);
                    label_text(named.as_bytes()).into_owned()
                }
            };
            *by_name.entry(label).or_default() += figures.agents.value(id as u32).hits;
        }
        self.bots = by_name.into_iter().collect();
    }

    /// Page views by referrer label. `entries` are the (referrer id, query
    /// id) pairs that began visits, with how many; `later_referrers` the
    /// page views per referrer id that were not the first of their visit:
    /// every page view is one or the other. `own` are the site's own
    /// hosts, sorted.
    pub fn count_referrers(
        &mut self,
        figures: &Figures,
        entries: &[((u32, u32), u64)],
        later_referrers: &[u64],
        own: &[String],
    ) {
        let mut pageviews = later_referrers.to_vec();
        for &((referrer, _), visits) in entries {
            pageviews[referrer as usize] += visits;
        }
        let viewed: Vec<(u32, u64)> = (0u32..).zip(pageviews).filter(|&(_, n)| n > 0).collect();
        // Each distinct referrer parsed once, in parallel.
        let labels: Vec<String> = viewed
            .par_iter()
            .map(|&(id, _)| {
                referrer_label(
                    &Quoted {
                        raw: figures.referrers.key(id),
                    }
                    .text(),
                    own,
                )
            })
            .collect();
        let mut by_label: HashMap<String, u64> = HashMap::new();
        for (label, (_, n)) in labels.into_iter().zip(viewed) {
            *by_label.entry(label).or_default() += n;
        }
        self.referrer_pageviews = by_label.into_iter().collect();
    }
}

/// The referrer label of a decoded referrer. Whether its host is the
/// site's own is decided on the host as the rest of the report sees it
/// (invalid UTF-8 as U+FFFD); the label shows it with `\xHH` escapes.
fn referrer_label(referrer: &[u8], own: &[String]) -> String {
    let Some(host) = sources::referrer_host(referrer) else {
        return NO_REFERRER.to_owned();
    };
    if own.binary_search(&host).is_ok() {
        return INTERNAL_REFERRER.to_owned();
    }
    shown_host(referrer, host)
}

/// The label of external referrer host `host` (of decoded `referrer`, as
/// the rest of the report sees it) when it is not the host's text as a
/// label shows it: a host with bytes that are not UTF-8 is shown with
/// `\xHH` where `host` has U+FFFD. Nearly always `None`.
pub fn odd_label(referrer: &[u8], host: &str) -> Option<String> {
    if let std::borrow::Cow::Borrowed(_) = label_text(referrer) {
        // Text a label shows as it is: the label is the host.
        return None;
    }
    let label = shown_host(referrer, host.to_string());
    (label != label_text(host.as_bytes())).then_some(label)
}

/// The label of an external referrer host: `host`, the host of
/// `referrer` (decoded) as the rest of the report sees it, shown as
/// labels are (see [`referrer_label`]).
fn shown_host(referrer: &[u8], host: String) -> String {
    match label_text(referrer) {
        std::borrow::Cow::Borrowed(_) => host,
        // The same host, its odd bytes escaped rather than replaced.
        std::borrow::Cow::Owned(shown) => {
            let host = sources::referrer_host(shown.as_bytes()).unwrap_or(host);
            label_text(host.as_bytes()).into_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referrer_labels() {
        let own = ["example.com".to_string()];
        let label = |r: &[u8]| referrer_label(r, &own);
        assert_eq!(label(b"-"), "(none)");
        assert_eq!(label(b""), "(none)");
        assert_eq!(label(b"example.com/page"), "(none)");
        assert_eq!(label(b"https://www.Example.com:443/a"), "(internal)");
        assert_eq!(label(b"https://www.Google.com/search?q=x"), "google.com");
        assert_eq!(label(b"http://caf\xe9.example/"), r"caf\xe9.example");
        assert_eq!(label(b"http://a\x1bb.example/"), r"a\x1bb.example");
    }
}
