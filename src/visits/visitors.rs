//! Who the visitors are: each distinct client's country, spellings of one
//! address made one client, (client, user agent) pairs numbered within
//! their partition, bots left out, and each distinct `Accept-Language`
//! header's language.

use std::net::IpAddr;

use rayon::prelude::*;

use super::figures::{FastMap, UNKNOWN_COUNTRY};
use crate::aggregate::bytes_map::BytesMap;
use crate::aggregate::pageviews::PARTITIONS;
use crate::aggregate::{Figures, NO_AGENT};
use crate::enrich::classify::AgentInfo;
use crate::enrich::geoip::{CountryCache, GeoDb, LookupFailed};
use crate::enrich::language::{preferred_language, UNKNOWN_INDEX, UNKNOWN_LANGUAGE};
use crate::parse::Quoted;

/// A visitor as the walk knows it: its client (spellings unified) and the
/// index of its classified agent.
#[derive(Debug, Clone, Copy)]
pub struct Visitor {
    pub(super) client: u32,
    pub(super) agent: u32,
}

/// Each distinct client field's country, looked up once, in parallel (its
/// address was worked out when it was first seen): the names of the
/// countries found, and the index of each client's among them. Lookups a
/// damaged database failed are unknown, and `failed` is set to the number
/// of distinct addresses they were of.
pub(super) fn countries_of_clients(
    figures: &Figures,
    geo: Option<&GeoDb>,
    failed: &mut u64,
) -> (Vec<String>, Vec<u32>) {
    let countries: Vec<Result<Option<&str>, LookupFailed>> = (0..figures.clients.len() as u32)
        .into_par_iter()
        .map_init(CountryCache::default, |cache, id| {
            match (figures.clients.value(id).ip, geo) {
                (Some(ip), Some(db)) => db.try_country_cached(ip, cache),
                _ => Ok(None),
            }
        })
        .collect();
    let mut failed_ips: Vec<IpAddr> = Vec::new();
    let mut country_names: Vec<String> = Vec::new();
    let mut country_ids: FastMap<&str, u32> = FastMap::default();
    let country_of_client: Vec<u32> = (0u32..)
        .zip(countries)
        .map(|(id, country)| {
            let country = country.unwrap_or_else(|LookupFailed| {
                failed_ips.extend(figures.clients.value(id).ip);
                None
            });
            let country = country.unwrap_or(UNKNOWN_COUNTRY);
            *country_ids.entry(country).or_insert_with(|| {
                country_names.push(country.to_owned());
                country_names.len() as u32 - 1
            })
        })
        .collect();
    // An address written two ways (`::ffff:1.2.3.4`) is one address.
    failed_ips.sort_unstable();
    failed_ips.dedup();
    *failed = failed_ips.len() as u64;
    (country_names, country_of_client)
}

/// For each client id, the id of the first spelling of its address (SPEC
/// §1: two spellings of one address are one client). Fields that hold no
/// address are distinct clients already: the table of fields has each
/// text once. All spellings of an address are in one partition, so each
/// partition is unified on its own, in parallel, with a map of its
/// addresses small enough for the cache.
pub(super) fn unify_clients(figures: &Figures) -> Vec<u32> {
    let mut in_partition: Vec<Vec<u32>> = vec![Vec::new(); PARTITIONS];
    for id in 0..figures.clients.len() as u32 {
        in_partition[figures.clients.value(id).partition as usize].push(id);
    }
    let firsts: Vec<Vec<u32>> = in_partition
        .par_iter()
        .map(|ids| {
            let mut first: FastMap<IpAddr, u32> =
                FastMap::with_capacity_and_hasher(ids.len(), Default::default());
            ids.iter()
                .map(|&id| match figures.clients.value(id).ip {
                    Some(ip) => *first.entry(ip).or_insert(id),
                    None => id,
                })
                .collect()
        })
        .collect();
    let mut client_of = vec![0u32; figures.clients.len()];
    for (ids, firsts) in in_partition.iter().zip(&firsts) {
        for (&id, &first) in ids.iter().zip(firsts) {
            client_of[id as usize] = first;
        }
    }
    client_of
}

/// A visitor is a (client, user agent) pair; two visitor ids are one
/// visitor when their clients are two spellings of one address. Each is
/// numbered within its partition (where all its page views are), in the
/// order of its first visitor id; bots are no visitors: u32::MAX. Returns
/// the visitors of each partition by number, and the number of each
/// visitor id. A partition's numbers depend on its visitor ids alone, so
/// partitions are numbered side by side, each with a map small enough for
/// the cache. `agents` has one more entry than the agents table, for
/// NO_AGENT.
pub(super) fn number_visitors(
    figures: &Figures,
    agents: &[AgentInfo],
    client_of: &[u32],
) -> (Vec<Vec<Visitor>>, Vec<u32>) {
    let no_agent = figures.agents.len() as u32;
    let visitors = figures.visitors.len() as u32;
    // The partition of each visitor id (its client's), looked up in
    // parallel, then the ids of each partition in increasing order.
    let partition: Vec<u8> = (0..visitors)
        .into_par_iter()
        .map(|v| figures.clients.value(figures.visitors.pair(v).0).partition as u8)
        .collect();
    let mut in_partition: Vec<Vec<u32>> = vec![Vec::new(); PARTITIONS];
    for (v, &p) in (0u32..).zip(&partition) {
        in_partition[p as usize].push(v);
    }
    drop(partition);
    let numbered: Vec<(Vec<Visitor>, Vec<u32>)> = in_partition
        .par_iter()
        .map(|ids| {
            let mut walkers: Vec<Visitor> = Vec::new();
            let mut number_of: FastMap<(u32, u32), u32> =
                FastMap::with_capacity_and_hasher(ids.len(), Default::default());
            let numbers = ids
                .iter()
                .map(|&v| {
                    let (client, agent) = figures.visitors.pair(v);
                    let agent = if agent == NO_AGENT { no_agent } else { agent };
                    if agents[agent as usize].is_bot {
                        return u32::MAX;
                    }
                    let client = client_of[client as usize];
                    *number_of.entry((client, agent)).or_insert_with(|| {
                        walkers.push(Visitor { client, agent });
                        walkers.len() as u32 - 1
                    })
                })
                .collect();
            (walkers, numbers)
        })
        .collect();
    let mut visitor_number = vec![u32::MAX; visitors as usize];
    let mut walkers = Vec::with_capacity(PARTITIONS);
    for (ids, (part, numbers)) in in_partition.iter().zip(numbered) {
        for (&v, n) in ids.iter().zip(numbers) {
            visitor_number[v as usize] = n;
        }
        walkers.push(part);
    }
    (walkers, visitor_number)
}

/// Each distinct header of `headers` (as logged, escapes and all) made a
/// language once, in parallel: the languages found, numbered (unknown
/// first, as [`UNKNOWN_INDEX`]), and the number of each header's.
pub(super) fn languages_of(headers: &BytesMap<()>) -> (Vec<String>, Vec<u32>) {
    let languages: Vec<String> = (0..headers.len() as u32)
        .into_par_iter()
        .map(|id| {
            preferred_language(
                &Quoted {
                    raw: headers.key(id),
                }
                .text(),
            )
        })
        .collect();
    let mut names = vec![UNKNOWN_LANGUAGE.to_string()];
    let mut numbers: hashbrown::HashMap<String, u32> =
        hashbrown::HashMap::from_iter([(UNKNOWN_LANGUAGE.to_string(), UNKNOWN_INDEX)]);
    let of_header = languages
        .into_iter()
        .map(|language| {
            *numbers.entry(language).or_insert_with_key(|language| {
                names.push(language.clone());
                names.len() as u32 - 1
            })
        })
        .collect();
    (names, of_header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_header_once_unknown_first() {
        let mut headers = BytesMap::default();
        for h in [&b"fr-CA,fr;q=0.9"[..], b"-", b"en", b"fr", b"de\x2dAT"] {
            headers.intern(h);
        }
        let (names, of) = languages_of(&headers);
        assert_eq!(names, ["unknown", "fr", "en", "de"]);
        assert_eq!(of, [1, 0, 2, 1, 3]);
        assert_eq!(languages_of(&BytesMap::default()).0, ["unknown"]);
    }
}
