//! Where visits came from (SPEC §4, §5): the site's own hosts, then each
//! visit's referrer, channel, search term and campaign, from its entry.

use rayon::prelude::*;

use super::figures::{FastMap, OwnHostsFrom, VisitFigures, VisitOptions};
use crate::aggregate::Figures;
use crate::enrich::sources::{self, Channel};
use crate::parse::Quoted;

/// Own hosts (SPEC §4), then the referrer, channel, search term and
/// campaign of every visit, from its entry page view. Each distinct entry
/// (referrer, landing query) is worked out once. `visit_pageviews`, beside
/// `entries` when metrics are asked for (else empty), gives page views by
/// channel.
///
/// Returns where the visits of each entry came from, in the order of
/// `entries`.
pub(super) fn attribute_sources(
    figures: &Figures,
    opts: &VisitOptions<'_>,
    entries: &[((u32, u32), u64)],
    later_referrers: &[u64],
    visit_pageviews: &[u64],
    out: &mut VisitFigures,
) -> Vec<EntrySource> {
    let referrer_text = |id: u32| {
        Quoted {
            raw: figures.referrers.key(id),
        }
        .text()
    };
    // The host of every referrer that matters here, parsed once, in
    // parallel: those of later page views and of visit entries. Hosts are
    // numbered, and what follows counts by number: there are about as many
    // entries as referrers (50,000 on the generated 1 GB log), and a host
    // name copied per entry cost more than the rest of the work.
    let mut wanted: Vec<u32> = later_referrers
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .map(|(id, _)| id as u32)
        .collect();
    wanted.extend(entries.iter().map(|&((referrer, _), _)| referrer));
    wanted.sort_unstable();
    wanted.dedup();
    let parsed: Vec<Option<String>> = wanted
        .par_iter()
        .map(|&id| sources::referrer_host(&referrer_text(id)))
        .collect();
    const NO_HOST: u32 = u32::MAX;
    let mut host_of = vec![NO_HOST; figures.referrers.len()];
    let mut hosts: Vec<String> = Vec::new();
    let mut host_ids: FastMap<String, u32> = FastMap::default();
    for (&referrer, host) in wanted.iter().zip(parsed) {
        if let Some(host) = host {
            host_of[referrer as usize] = *host_ids.entry(host).or_insert_with_key(|host| {
                hosts.push(host.clone());
                hosts.len() as u32 - 1
            });
        }
    }
    drop(host_ids);

    let (own, from) = if !opts.sites.is_empty() {
        (
            opts.sites
                .iter()
                .map(|s| sources::normalize_host(s))
                .collect(),
            OwnHostsFrom::Site,
        )
    } else if !figures.vhosts.is_empty() {
        let vhosts = figures
            .vhosts
            .iter()
            .map(|(v, _)| sources::normalize_host(&crate::text::from_log(v)));
        (vhosts.collect(), OwnHostsFrom::Vhost)
    } else {
        let mut counts = vec![0u64; hosts.len()];
        for (referrer, &n) in later_referrers.iter().enumerate() {
            let host = host_of[referrer];
            if n > 0 && host != NO_HOST {
                counts[host as usize] += n;
            }
        }
        let counted = (hosts.iter().zip(counts)).filter(|&(_, n)| n > 0);
        match sources::majority_host(counted.map(|(h, n)| (h.as_str(), n))) {
            Some(host) => (vec![host], OwnHostsFrom::Referrers),
            None => (Vec::new(), OwnHostsFrom::None),
        }
    };
    let mut own: Vec<String> = own;
    own.sort();
    own.dedup();
    let external: Vec<bool> = hosts
        .iter()
        .map(|h| own.binary_search(h).is_err())
        .collect();

    // Each entry's channel, search term and campaign, in parallel; then
    // summed in one pass.
    let sourced: Vec<EntrySource> = entries
        .par_iter()
        .map(|&((referrer, query), _)| {
            let host = host_of[referrer as usize];
            let external = (host != NO_HOST && external[host as usize]).then_some(host);
            let external_name = external.map(|h| hosts[h as usize].as_str());
            let query_text = figures.queries.key(query);
            let landing_query = (!query_text.is_empty()).then_some(query_text);
            let channel = sources::channel(landing_query, external_name);
            let term = match external_name {
                Some(name) if channel == Channel::Search => {
                    sources::search_term(&referrer_text(referrer), name)
                }
                _ => None,
            };
            EntrySource {
                external,
                channel,
                term,
                campaign: sources::campaign(landing_query),
            }
        })
        .collect();
    let mut referrer_visits = vec![0u64; hosts.len()];
    for (i, (&(_, visits), source)) in entries.iter().zip(&sourced).enumerate() {
        *out.channels.entry(source.channel).or_default() += visits;
        if let (Some(m), Some(&views)) = (out.metrics.as_deref_mut(), visit_pageviews.get(i)) {
            m.add_channel_pageviews(source.channel, views);
        }
        if let Some(host) = source.external {
            referrer_visits[host as usize] += visits;
        }
        // A key is copied once per distinct term or campaign.
        if let Some(term) = &source.term {
            match out.search_terms.get_mut(term) {
                Some(n) => *n += visits,
                None => drop(out.search_terms.insert(term.clone(), visits)),
            }
        }
        if let Some(campaign) = &source.campaign {
            match out.campaigns.get_mut(campaign) {
                Some(n) => *n += visits,
                None => drop(out.campaigns.insert(campaign.clone(), visits)),
            }
        }
    }
    for (host, visits) in hosts.into_iter().zip(referrer_visits) {
        if visits > 0 {
            out.referrers.insert(host, visits);
        }
    }
    out.own_hosts = own;
    out.own_hosts_from = from;
    sourced
}

/// Where the visits of one entry (referrer, landing query) came from.
#[derive(Debug)]
pub struct EntrySource {
    /// The referrer's host number, when it is external.
    external: Option<u32>,
    pub channel: Channel,
    pub term: Option<String>,
    pub campaign: Option<(String, String, String)>,
}
