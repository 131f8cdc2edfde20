//! What every distinct path, agent, client, virtual host and visit entry of
//! the run becomes in the export, worked out once each (in parallel where
//! there are many), so that a row only looks numbers up.
//!
//! Text from the log is written as SPEC §1 prints it ([`log_text`]), with
//! the run's client addresses inside it anonymised unless `--show-ips`, as
//! the report does ([`Redactor`]).

use std::borrow::Cow;

use rayon::prelude::*;

use super::rows::{log_text, Dict, NULL};
use super::visitor_id::VisitorIds;
use crate::aggregate::Figures;
use crate::enrich::classify::{self, AgentInfo};
use crate::enrich::privacy::Redactor;
use crate::enrich::route::route_of;
use crate::parse::Quoted;
use crate::visits::{Enrichment, UNKNOWN_COUNTRY};

/// A path, as a row needs it.
#[derive(Debug, Clone, Copy)]
pub struct PathRow {
    /// Its number in the `url_path` and `http_route` dictionaries.
    pub text: u32,
    pub route: u32,
    pub is_static: bool,
}

/// What a row needs of its user agent.
#[derive(Debug, Clone, Copy)]
pub struct AgentRow {
    /// The agent as text; [`NULL`] for a layout without one.
    pub text: u32,
    pub bot: bool,
    /// Whether its lines were no candidate page views (see
    /// [`AgentHits::word_bot`](crate::aggregate::AgentHits::word_bot)).
    pub word_bot: bool,
    /// [`NULL`] unless `bot`.
    pub bot_name: u32,
    pub device: u32,
    pub browser: u32,
    pub os: u32,
    /// Its part of the visitor hash.
    pub hash: u64,
}

/// What a row needs of its client.
#[derive(Debug, Clone, Copy)]
pub struct ClientRow {
    /// The client id of the first spelling of its address.
    pub unified: u32,
    pub partition: u32,
    pub country: u32,
    pub hash: u64,
    /// The client as `client_address` shows it (with `--show-ips`).
    pub address: u32,
}

/// What a row needs of its visit's entry.
#[derive(Debug, Clone, Copy)]
pub struct EntryRow {
    pub channel: u32,
    pub term: u32,
    pub campaign: [u32; 3],
}

const NO_ENTRY: EntryRow = EntryRow {
    channel: NULL,
    term: NULL,
    campaign: [NULL; 3],
};

/// The dictionaries of the columns whose values come from the run's
/// tables, and what each id of those tables stands for.
#[derive(Debug, Default)]
pub struct Tables {
    pub paths: Dict,
    pub routes: Dict,
    pub agents: Dict,
    pub vhosts: Dict,
    pub bot_names: Dict,
    pub devices: Dict,
    pub browsers: Dict,
    pub os: Dict,
    pub countries: Dict,
    pub channels: Dict,
    pub terms: Dict,
    pub utm_sources: Dict,
    pub utm_mediums: Dict,
    pub utm_campaigns: Dict,
    pub input_files: Dict,
    pub addresses: Dict,
    /// Per input, its number in `input_files`.
    pub input_file_ids: Vec<u32>,
    /// Per path id: its text, its route, whether it is static (one
    /// place in memory for all three: a row reads one).
    pub path_rows: Vec<PathRow>,
    /// Per vhost id.
    pub vhost_text: Vec<u32>,
    /// Per agent index (the agent id, then one for a layout without).
    pub agent_rows: Vec<AgentRow>,
    pub client_rows: Vec<ClientRow>,
    /// Per entry id.
    pub entry_rows: Vec<EntryRow>,
}

/// What the tables are built from.
pub struct Sources<'a> {
    pub figures: &'a Figures,
    pub enrichment: &'a Enrichment,
    pub redactor: &'a Redactor,
    pub ids: &'a VisitorIds,
    pub show_ips: bool,
    pub input_names: &'a [String],
}

impl Tables {
    pub fn build(s: &Sources<'_>) -> Tables {
        let f = s.figures;
        let clean = |text: Cow<'_, str>| -> String { redact(s.redactor, &text) };
        let mut t = Tables::default();

        // Paths and their routes: there can be a million.
        let texts: Vec<(String, String, bool)> = (0..f.paths.len() as u32)
            .into_par_iter()
            .map(|id| {
                let path = f.paths.key(id);
                let (text, route) = (clean(log_text(path)), clean(log_text(&route_of(path))));
                (text, route, classify::is_static(path))
            })
            .collect();
        let path_text;
        let path_route;
        (t.paths, path_text) = Dict::of(texts.iter().map(|(p, _, _)| Cow::Borrowed(p.as_str())));
        (t.routes, path_route) = Dict::of(texts.iter().map(|(_, r, _)| Cow::Borrowed(r.as_str())));
        t.path_rows = (texts.iter().zip(path_text).zip(path_route))
            .map(|(((_, _, is_static), text), route)| PathRow {
                text,
                route,
                is_static: *is_static,
            })
            .collect();
        drop(texts);

        (t.vhosts, t.vhost_text) = Dict::of(
            (0..f.vhosts.len() as u32).map(|id| Cow::Owned(clean(log_text(f.vhosts.key(id))))),
        );

        t.agent_rows = agent_rows(s, &mut t);
        t.client_rows = client_rows(s, &mut t);
        t.entry_rows = entry_rows(s, &mut t);
        t.input_file_ids = s
            .input_names
            .iter()
            .map(|n| t.input_files.intern(n))
            .collect();
        t
    }
}

/// `text` with the run's client addresses in it anonymised. Only text that
/// could hold an address is searched: a digit, a dot and a digit (IPv4)
/// or two colons (IPv6).
pub(super) fn redact(redactor: &Redactor, text: &str) -> String {
    let b = text.as_bytes();
    let v4 = b
        .windows(3)
        .any(|w| w[0].is_ascii_digit() && w[1] == b'.' && w[2].is_ascii_digit());
    let v6 = b.iter().filter(|&&c| c == b':').count() >= 2;
    if redactor.is_off() || !(v4 || v6) {
        text.to_string()
    } else {
        redactor.redact(text)
    }
}

fn agent_rows(s: &Sources<'_>, t: &mut Tables) -> Vec<AgentRow> {
    let f = s.figures;
    let agents = &s.enrichment.agents;
    let texts: Vec<(String, u64)> = (0..f.agents.len() as u32)
        .into_par_iter()
        .map(|id| {
            let raw = f.agents.key(id);
            let text = Quoted { raw }.text();
            (redact(s.redactor, &log_text(&text)), s.ids.agent(Some(raw)))
        })
        .collect();
    let mut rows = Vec::with_capacity(agents.len());
    for (index, info) in agents.iter().enumerate() {
        // The one past the agents table is a layout's without agents.
        let (text, word_bot, hash) = match texts.get(index) {
            Some((text, hash)) => (
                t.agents.intern(text),
                f.agents.value(index as u32).word_bot(),
                *hash,
            ),
            None => (NULL, false, s.ids.agent(None)),
        };
        rows.push(agent_row(s, t, info, text, word_bot, hash));
    }
    rows
}

fn agent_row(
    s: &Sources<'_>,
    t: &mut Tables,
    info: &AgentInfo,
    text: u32,
    word_bot: bool,
    hash: u64,
) -> AgentRow {
    let bot_name = match (&info.bot_name, info.is_bot) {
        (Some(name), true) => t.bot_names.intern(&redact(s.redactor, name)),
        _ => NULL,
    };
    AgentRow {
        text,
        bot: info.is_bot,
        word_bot,
        bot_name,
        device: t.devices.intern(&info.device),
        browser: t.browsers.intern(&info.browser),
        os: t.os.intern(&info.os),
        hash,
    }
}

fn client_rows(s: &Sources<'_>, t: &mut Tables) -> Vec<ClientRow> {
    let f = s.figures;
    let e = s.enrichment;
    let countries: Vec<u32> = e
        .country_names
        .iter()
        .map(|c| t.countries.intern(c))
        .collect();
    let unknown = t.countries.intern(UNKNOWN_COUNTRY);
    let hashes: Vec<(u64, Option<String>)> = (0..f.clients.len() as u32)
        .into_par_iter()
        .map(|id| {
            let (field, info) = (f.clients.key(id), f.clients.value(id));
            let shown = s.show_ips.then(|| match info.ip {
                Some(ip) => ip.to_string(),
                None => log_text(field).into_owned(),
            });
            (s.ids.client(info.ip, field), shown)
        })
        .collect();
    hashes
        .into_iter()
        .enumerate()
        .map(|(id, (hash, shown))| ClientRow {
            unified: e.client_of.get(id).copied().unwrap_or(id as u32),
            partition: f.clients.value(id as u32).partition,
            country: e
                .country_of_client
                .get(id)
                .and_then(|&c| countries.get(c as usize))
                .copied()
                .unwrap_or(unknown),
            hash,
            address: shown.map_or(NULL, |a| t.addresses.intern(&a)),
        })
        .collect()
}

fn entry_rows(s: &Sources<'_>, t: &mut Tables) -> Vec<EntryRow> {
    let mut rows = vec![NO_ENTRY; s.figures.entries.len()];
    for (entry, source) in &s.enrichment.entry_sources {
        let clean = |dict: &mut Dict, text: &str| dict.intern(&redact(s.redactor, text));
        let campaign = match &source.campaign {
            Some((source, medium, campaign)) => [
                clean(&mut t.utm_sources, source),
                clean(&mut t.utm_mediums, medium),
                clean(&mut t.utm_campaigns, campaign),
            ],
            None => [NULL; 3],
        };
        let row = EntryRow {
            channel: t.channels.intern(source.channel.name()),
            term: source
                .term
                .as_deref()
                .map_or(NULL, |term| clean(&mut t.terms, term)),
            campaign,
        };
        if let Some(slot) = rows.get_mut(*entry as usize) {
            *slot = row;
        }
    }
    rows
}
