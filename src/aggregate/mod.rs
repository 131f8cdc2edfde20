//! Aggregation: the figures of kept lines, as mergeable partial results.
//!
//! [`Figures`] is what one worker adds its lines to ([`Figures::add`]) and
//! what partial results merge into (`merge.rs`): `Default` is the identity
//! and `merge` is associative, so rayon's `fold` + `reduce` builds one per
//! worker and combines them without locks, and the result does not depend
//! on how the input was cut. Beside it: the counters per key
//! (`counters.rs`), the interning of byte strings ([`bytes_map`]), response
//! time histograms ([`latency`]), the 5xx hits by slot, path and method that
//! the report's incidents are found from ([`server_errors`]), the store
//! of candidate page views that the visit walk reads at the end
//! ([`pageviews`]), and the per-hit cross-tab of `--format prometheus`
//! ([`hit_metrics`]).
//!
//! Keys are owned (`Box<[u8]>`), but a line only allocates when its key is
//! new to the partial result it lands in: [`BytesMap`] hashes the borrowed
//! slice once and copies it only on insertion.
//!
//! Depends on [`parse`](crate::parse) for the line and on
//! [`enrich`](crate::enrich) for the cheap part of the page-view rule.
//! Figures use the page-view store; the store knows nothing of figures.

pub mod bytes_map;
mod counters;
pub mod hit_metrics;
pub mod latency;
mod merge;
pub mod pageviews;
pub mod recent_keys;
pub mod server_errors;
mod slot;

use hashbrown::HashMap;

use crate::enrich::classify;
use crate::goals::{GoalHit, GoalHits, GoalSet};
use crate::parse::LogLine;
use bytes_map::{BytesMap, RecentIds};
use counters::known_method_index;
pub(crate) use counters::KNOWN_METHODS;
pub use counters::{AgentHits, PathStats, Traffic};
use hit_metrics::{Cell, HitMetrics};
use pageviews::chunk_views::{ChunkSizes, ChunkViews};
use pageviews::marks;
use pageviews::pairs::{FirstPair, PairMap};
use pageviews::partitions::Partitions;
use pageviews::segment::Segment;
use pageviews::{ClientInfo, PageView, NO_LANGUAGE, NO_VHOST, PARTITIONS};
use recent_keys::Recent;
use server_errors::ServerErrors;

pub use slot::SLOT_SECONDS;

/// The agent id of a line whose layout has no user agent field.
pub const NO_AGENT: u32 = u32::MAX;

/// No id: a map [`Figures::add`] was not asked to fill ([`NO_AGENT`] for
/// the agent of a layout without one).
pub const NO_ID: u32 = u32::MAX;

/// The ids of one line's path, user agent and client in the maps of the
/// result it was added to: what an export's second reading would
/// otherwise look the line's text up for again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineIds {
    pub path: u32,
    /// [`NO_AGENT`] for a layout without agents, [`NO_ID`] without
    /// `Record::visits`.
    pub agent: u32,
    /// [`NO_ID`] without `Record::clients` or `Record::client_ids`; with
    /// `Record::client_ids`, the chunk's own number until
    /// [`ChunkClients::renumber`] gives the run-wide one.
    pub client: u32,
}

/// The id in the figures' clients of each client a chunk numbered (see
/// [`ChunkViews::client`]), with its partition, by the chunk's number:
/// what [`Figures::flush_chunk`] gives back.
#[derive(Debug, Default)]
pub struct ChunkClients(Vec<(u32, u32)>);

impl ChunkClients {
    /// Gives the chunk's line ids, whose clients the chunk numbered, the
    /// clients' ids in the figures.
    pub fn renumber(&self, ids: &mut [LineIds]) {
        for line in ids {
            if let Some(&(id, _)) = self.0.get(line.client as usize) {
                line.client = id;
            }
        }
    }
}

/// For each id of a merged-in result's paths, agents and clients, its id
/// in the result it was merged into (see [`Figures::merge`]).
#[derive(Debug, Clone, Default)]
pub struct Remaps {
    pub paths: Vec<u32>,
    pub agents: Vec<u32>,
    pub clients: Vec<u32>,
}

/// The figures of a set of kept lines: hit-level counts, and what the
/// visit-level report is computed from at the end.
#[derive(Debug, Clone)]
pub struct Figures {
    pub total: Traffic,
    /// Hits per status code, indexed by the code (three digits: 0..1000).
    status: Vec<u64>,
    known_methods: [u64; KNOWN_METHODS.len()],
    other_methods: BytesMap<u64>,
    pub paths: BytesMap<PathStats>,
    /// Traffic per [`SLOT_SECONDS`] slot, keyed by `unix / SLOT_SECONDS`.
    slots: HashMap<i64, Traffic>,
    /// The slot of the last line, counted apart: logs are written in time
    /// order, so most lines land in the same slot as the line before and
    /// need no map lookup. Folded into `slots` on merge.
    current_slot: Option<(i64, Traffic)>,
    pub first_time: Option<i64>,
    pub last_time: Option<i64>,
    pub static_hits: u64,
    /// Hits per user agent as logged (escapes undecoded).
    pub agents: BytesMap<AgentHits>,
    /// Client fields of candidate page views (of every line when the
    /// clients table is asked for, with hits); referrers and query strings
    /// of candidate page views.
    pub clients: BytesMap<ClientInfo>,
    /// Each referrer's first entry, see [`PairMap`].
    pub referrers: BytesMap<FirstPair>,
    pub queries: BytesMap<()>,
    /// (client id, agent id) of each visitor of a candidate page view.
    pub visitors: PairMap,
    /// (referrer id, query id) of each candidate page view.
    pub entries: PairMap,
    /// Hits per virtual host, for layouts that log one.
    pub vhosts: BytesMap<u64>,
    /// `Accept-Language` headers of candidate page views, as logged, for
    /// layouts that log them.
    pub accept_languages: BytesMap<()>,
    /// Candidate page views: a page view unless its agent is a bot's.
    /// Marked hits (server errors of visitors) are filed with them.
    pub views: Partitions,
    /// Hits that matched a goal or funnel-step pattern (only when some
    /// are given).
    pub goal_hits: GoalHits,
    /// Every 5xx hit, by slot, path and method: for incidents.
    pub server_errors: ServerErrors,
    /// Ids of the fields of the last line added, tried first.
    last: LastIds,
    /// Ids of recent user agents, tried first.
    recent_agents: RecentIds,
    /// Ids of recent clients, and hits not yet added to the client's
    /// (when the slot is taken over, and at the end of each chunk). Made
    /// on the first client counted: most runs count none, and figures are
    /// made per partial result and per day.
    recent_clients: Option<Box<Recent<(u32, u32)>>>,
    /// Ids of recent `Accept-Language` headers, tried first.
    recent_languages: RecentIds,
    /// Table sizes of the last chunk, to size the next one's.
    chunk_sizes: ChunkSizes,
    /// What `--format prometheus` counts per hit; `None` unless
    /// [`Record::metrics`] asked for it.
    pub metrics: Option<Box<HitMetrics>>,
}

/// The id of `client` in `clients`, added if it is new, with its address
/// and partition worked out the first time.
#[inline]
fn intern_client<'m>(
    clients: &'m mut BytesMap<ClientInfo>,
    client: &[u8],
) -> (u32, &'m mut ClientInfo) {
    let (id, info) = clients.intern(client);
    info.resolve(client);
    (id, info)
}

/// Slots of the table of recent clients (see [`Figures::client_hit`]), of
/// about 80 bytes each.
const RECENT_CLIENTS: usize = 1024;

/// The ids [`BytesMap::intern_after`] tries first; `u32::MAX` for none.
#[derive(Debug, Clone, Copy)]
struct LastIds {
    vhost: u32,
}

impl Default for LastIds {
    fn default() -> Self {
        LastIds { vhost: u32::MAX }
    }
}

impl Default for Figures {
    fn default() -> Self {
        Figures {
            total: Traffic::default(),
            status: vec![0; 1000],
            known_methods: [0; KNOWN_METHODS.len()],
            other_methods: BytesMap::default(),
            paths: BytesMap::default(),
            slots: HashMap::default(),
            current_slot: None,
            first_time: None,
            last_time: None,
            static_hits: 0,
            agents: BytesMap::default(),
            clients: BytesMap::default(),
            referrers: BytesMap::default(),
            queries: BytesMap::default(),
            visitors: PairMap::default(),
            entries: PairMap::default(),
            vhosts: BytesMap::default(),
            accept_languages: BytesMap::default(),
            views: Partitions::default(),
            goal_hits: GoalHits::default(),
            server_errors: ServerErrors::default(),
            last: LastIds::default(),
            recent_agents: RecentIds::default(),
            recent_clients: None,
            recent_languages: RecentIds::default(),
            chunk_sizes: ChunkSizes::default(),
            metrics: None,
        }
    }
}

/// What [`Figures::add`] records beyond the hit-level figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'g> {
    /// What visit-level tables need: agents, vhosts, candidate page views.
    pub visits: bool,
    /// The report's counts of hits: in all, by status code and method,
    /// per path (hits, bytes, 404s, 5xx, response times), per user agent
    /// and virtual host, server errors, static hits. An export writes the
    /// hits themselves and counts none of them: 3 % of its first reading.
    /// Paths, agents and virtual hosts are numbered either way.
    pub tallies: bool,
    /// Hits per client for the clients table. Interning the client of
    /// every line (not only of page views) costs about 9 % of a full
    /// report, so it is done only when the table is asked for.
    pub clients: bool,
    /// Without `clients`: every line's client id, its hits not counted
    /// (an export's rows need the id, not the count).
    pub client_ids: bool,
    /// Requests and bytes by (path, virtual host, method, status class)
    /// for `--format prometheus`: a hash lookup per hit, so only when that
    /// format is asked for. Needs `visits` (the virtual host's id).
    pub metrics: bool,
    /// Goal and funnel-step patterns to test each hit against (with
    /// `visits` only); `None`, the usual case, tests nothing.
    pub goals: Option<&'g GoalSet>,
}

impl Record<'static> {
    pub const ALL: Record<'static> = Record {
        visits: true,
        tallies: true,
        clients: true,
        client_ids: false,
        metrics: true,
        goals: None,
    };
}

impl Figures {
    /// A chunk's table of candidate page views, sized like the last one's.
    pub fn chunk_views<'t>(&self, chunk: u32) -> ChunkViews<'t> {
        ChunkViews::new(chunk, self.chunk_sizes)
    }

    /// Counts one kept line of the chunk `views` was made for. Without
    /// `record.visits`, only hit-level figures are kept: nothing a
    /// visit-level table needs is recorded.
    ///
    /// Returns the line's ids in this result's maps ([`LineIds`]), for an
    /// export's second reading; [`NO_ID`] where a map was not asked for.
    #[inline]
    pub fn add<'t>(
        &mut self,
        line: &LogLine<'t>,
        views: &mut ChunkViews<'t>,
        record: Record<'_>,
    ) -> LineIds {
        let (visits, tallies) = (record.visits, record.tallies);
        let (status, bytes) = (line.status, line.bytes);
        let method = line.request.method();
        let known_method = (tallies || record.metrics)
            .then(|| known_method_index(method))
            .flatten();
        if tallies {
            self.total.add(status, bytes);
            self.status[status as usize % 1000] += 1;
            match known_method {
                Some(i) => self.known_methods[i] += 1,
                None => *self.other_methods.get_or_default(method) += 1,
            }
        }

        let path_text = line.request.path();
        let server_error = (500..600).contains(&status);
        let (path_id, path) = self.paths.intern(path_text);
        if tallies {
            path.hits += 1;
            path.bytes += bytes;
            path.status_404 += (status == 404) as u64;
            path.status_5xx += server_error as u64;
            if let Some(us) = line.response_time_us {
                path.record_time(us);
            }
            if server_error {
                self.server_errors.record(line.time.unix, path_id, method);
            }
        }

        let t = line.time.unix;
        let slot = t.div_euclid(SLOT_SECONDS);
        match &mut self.current_slot {
            Some((current, traffic)) if *current == slot => traffic.add(status, bytes),
            _ => {
                self.flush_slot();
                let mut traffic = Traffic::default();
                traffic.add(status, bytes);
                self.current_slot = Some((slot, traffic));
            }
        }
        self.first_time = Some(self.first_time.map_or(t, |f| f.min(t)));
        self.last_time = Some(self.last_time.map_or(t, |l| l.max(t)));
        let mut ids = LineIds {
            path: path_id,
            agent: NO_ID,
            client: NO_ID,
        };
        if !visits {
            return ids;
        }

        // A layout without a user agent has no bots.
        let (agent, word_bot) = match line.user_agent {
            Some(ua) => {
                let (id, a) = self.agents.intern_recent(ua.raw, &mut self.recent_agents);
                a.hits += tallies as u64;
                let bot = *a.word_bot.get_or_insert_with(|| {
                    classify::is_bot_by_words(&String::from_utf8_lossy(&ua.text()))
                });
                (id, bot)
            }
            None => (NO_AGENT, false),
        };
        let vhost = match line.vhost {
            Some(vhost) => {
                let (id, hits) = self.vhosts.intern_after(vhost, &mut self.last.vhost);
                *hits += tallies as u64;
                id
            }
            None => NO_VHOST,
        };
        if record.metrics {
            self.count_for_metrics(path_id, vhost, known_method, status, bytes);
        }
        ids.agent = agent;
        if record.clients {
            ids.client = self.client_hit(line.client);
        }
        // The chunk's number of the client, taken once for the line's id
        // and its page view.
        let mut chunk_client = None;
        if record.client_ids {
            let client = views.client(line.client);
            chunk_client = Some(client);
            ids.client = client;
        }
        if let Some(goals) = record.goals.filter(|_| !word_bot) {
            self.record_goal_hit(goals, line, method, path_text, agent);
        }
        let is_static = classify::is_static(path_text);
        self.static_hits += (tallies && is_static) as u64;
        // The page-view rule with the bot test's cheap part: the rest of
        // it waits for the end, as it needs woothee, run once per distinct
        // agent. Most bots name themselves, and are not recorded at all.
        if classify::is_pageview(word_bot, is_static, method, status) {
            let language = match line.accept_language {
                Some(header) => {
                    let recent = &mut self.recent_languages;
                    self.accept_languages.intern_recent(header.raw, recent).0
                }
                None => NO_LANGUAGE,
            };
            let client = chunk_client.unwrap_or_else(|| views.client(line.client));
            views.push(
                t,
                client,
                agent,
                path_id,
                line.referer.map_or(&b""[..], |r| r.raw),
                line.request.query_of_log().unwrap_or_default(),
                vhost,
                language,
            );
        } else if server_error && !word_bot {
            // Never a page view; attributed to a visit at the end.
            let client = chunk_client.unwrap_or_else(|| views.client(line.client));
            views.push_mark(t, client, agent, marks::SERVER_ERROR);
        }
        ids
    }

    /// The id of a hit's client, whose hits are counted. Recent clients
    /// are found in [`Recent`], their hits counted there and added to the
    /// client's own when its slot is taken over or the chunk ends: an
    /// export interns every line's client, and a lookup in a table of a
    /// few hundred thousand clients, then in the client's entry, waited
    /// for memory on most lines.
    #[inline]
    fn client_hit(&mut self, client: &[u8]) -> u32 {
        let recent = self
            .recent_clients
            .get_or_insert_with(|| Box::new(Recent::new(RECENT_CLIENTS)));
        if let Some((id, hits)) = recent.get_mut(client, 0) {
            *hits += 1;
            return *id;
        }
        let (id, info) = intern_client(&mut self.clients, client);
        info.hits += 1;
        if let Some((old, hits)) = recent.put(client, 0, (id, 0)) {
            self.clients.value_mut(old).hits += hits as u64;
        }
        id
    }

    /// Adds the hits [`client_hit`](Self::client_hit) counted in recent
    /// clients' slots to the clients'.
    fn flush_client_hits(&mut self) {
        let Some(recent) = &mut self.recent_clients else {
            return;
        };
        for (id, hits) in recent.values_mut() {
            if *hits > 0 {
                self.clients.value_mut(*id).hits += *hits as u64;
                *hits = 0;
            }
        }
    }

    /// Out of line, like [`PathStats::record_time`]: a run without
    /// `--format prometheus` keeps the hot loop as it was.
    #[inline(never)]
    fn count_for_metrics(
        &mut self,
        path: u32,
        vhost: u32,
        known_method: Option<usize>,
        status: u16,
        bytes: u64,
    ) {
        let cell = Cell::new(path, vhost, known_method, status);
        self.metrics.get_or_insert_default().add(cell, bytes);
    }

    /// Keeps the line as a goal hit when it matches a pattern of `goals`.
    /// Out of line: runs without goals keep the hot loop as it was.
    #[inline(never)]
    fn record_goal_hit(
        &mut self,
        goals: &GoalSet,
        line: &LogLine<'_>,
        method: &[u8],
        path: &[u8],
        agent: u32,
    ) {
        let mask = goals.matching(method, path, line.status);
        if mask == 0 {
            return;
        }
        let client = intern_client(&mut self.clients, line.client).0;
        self.goal_hits.push(GoalHit {
            time: line.time.unix,
            client,
            agent,
            mask,
        });
    }

    /// Resolves the chunk-local ids of a chunk's candidate page views to
    /// this result's, and files them by partition.
    pub fn flush_chunk(&mut self, views: ChunkViews<'_>) -> ChunkClients {
        self.flush_client_hits();
        // Every client the chunk numbered: those of its page views and
        // marked hits, and with `Record::client_ids` those of all its
        // lines.
        let clients: Vec<(u32, u32)> = views
            .clients()
            .map(|(hash, key)| {
                let (id, info) = self.clients.intern_hashed(hash, key);
                info.resolve(key);
                (id, info.partition)
            })
            .collect();
        if views.is_empty() {
            return ChunkClients(clients);
        }
        self.chunk_sizes = views.sizes();
        let referrers: Vec<u32> = views
            .referrers()
            .map(|(hash, key)| self.referrers.intern_hashed(hash, key).0)
            .collect();
        let queries: Vec<u32> = views
            .queries()
            .map(|(hash, key)| self.queries.intern_hashed(hash, key).0)
            .collect();
        let visitors: Vec<(u32, u32)> = views
            .visitors()
            .iter()
            .map(|&(client, agent)| {
                let (client, partition) = clients[client as usize];
                let visitor = intern_visitor(&mut self.visitors, &mut self.clients, client, agent);
                (self.views.number(partition as usize, visitor), partition)
            })
            .collect();
        let entries: Vec<u32> = views
            .entries()
            .iter()
            .map(|&(r, q)| {
                let (referrer, query) = (referrers[r as usize], queries[q as usize]);
                intern_entry(&mut self.entries, &mut self.referrers, referrer, query)
            })
            .collect();
        // Each partition's page views of the chunk, with run-wide ids (but
        // visitor numbers of the partition), make one segment: put in
        // partition order by a counting sort first.
        let mut starts = [0usize; PARTITIONS + 1];
        for v in views.views() {
            starts[visitors[v.visitor as usize].1 as usize + 1] += 1;
        }
        for p in 0..PARTITIONS {
            starts[p + 1] += starts[p];
        }
        let mut next = starts;
        let mut sorted = vec![PageView::default(); views.views().len()];
        for v in views.views() {
            let (visitor, partition) = visitors[v.visitor as usize];
            sorted[next[partition as usize]] = PageView {
                visitor,
                entry: entries[v.entry as usize],
                ..*v
            };
            next[partition as usize] += 1;
        }
        for p in 0..PARTITIONS {
            let part = &sorted[starts[p]..starts[p + 1]];
            self.views
                .add(p, Segment::new(views.chunk, part.iter().copied()));
        }
        for &mark in views.marks() {
            let (visitor, partition) = visitors[mark.visitor as usize];
            self.views
                .add_mark(partition as usize, marks::Mark { visitor, ..mark });
        }
        ChunkClients(clients)
    }

    /// Records a candidate page view as a chunk of its own numbered
    /// `chunk`, and a hit in its slot: for tests of the visit walk.
    #[cfg(test)]
    #[allow(clippy::too_many_arguments)]
    pub fn add_view(
        &mut self,
        time: i64,
        chunk: u32,
        client: &[u8],
        agent: &[u8],
        path: &[u8],
        referrer: &[u8],
        query: &[u8],
    ) {
        let agent = self.agents.intern(agent).0;
        let path = self.paths.intern(path).0;
        self.flush_slot();
        self.slots
            .entry(time.div_euclid(SLOT_SECONDS))
            .or_default()
            .hits += 1;
        let mut views = self.chunk_views(chunk);
        let client = views.client(client);
        views.push(
            time,
            client,
            agent,
            path,
            referrer,
            std::borrow::Cow::Borrowed(query),
            NO_VHOST,
            NO_LANGUAGE,
        );
        self.flush_chunk(views);
    }

    /// Counts one line as a chunk of its own numbered `chunk`: for tests.
    #[cfg(test)]
    pub fn add_line(&mut self, line: &LogLine<'_>, chunk: u32, record: Record<'_>) {
        let mut views = self.chunk_views(chunk);
        self.add(line, &mut views, record);
        self.flush_chunk(views);
    }

    fn flush_slot(&mut self) {
        if let Some((slot, traffic)) = self.current_slot.take() {
            self.slots.entry(slot).or_default().merge(&traffic);
        }
    }

    /// Every slot with traffic, in no particular order.
    pub fn slots(&self) -> impl Iterator<Item = (i64, Traffic)> + '_ {
        let current = self
            .current_slot
            .filter(|(slot, _)| !self.slots.contains_key(slot));
        let stored = self
            .slots
            .iter()
            .map(|(&slot, &traffic)| match self.current_slot {
                Some((current, extra)) if current == slot => {
                    let mut sum = traffic;
                    sum.merge(&extra);
                    (slot, sum)
                }
                _ => (slot, traffic),
            });
        stored.chain(current)
    }

    /// The traffic of one [`SLOT_SECONDS`] slot.
    pub fn slot(&self, slot: i64) -> Option<Traffic> {
        let mut t = self.slots.get(&slot).copied();
        if let Some((current, traffic)) = &self.current_slot {
            if *current == slot {
                t.get_or_insert_with(Traffic::default).merge(traffic);
            }
        }
        t
    }

    /// Adds hits counted elsewhere (a saved state's) to a status code.
    pub fn count_status(&mut self, status: u16, hits: u64) {
        self.status[status as usize % 1000] += hits;
    }

    /// Adds hits counted elsewhere to a method.
    pub fn count_method(&mut self, method: &[u8], hits: u64) {
        match known_method_index(method) {
            Some(i) => self.known_methods[i] += hits,
            None => *self.other_methods.get_or_default(method) += hits,
        }
    }

    /// Adds traffic counted elsewhere to a [`SLOT_SECONDS`] slot.
    pub fn count_slot(&mut self, slot: i64, traffic: &Traffic) {
        self.flush_slot();
        self.slots.entry(slot).or_default().merge(traffic);
    }

    /// `(status, hits)` for every status code seen.
    pub fn status_codes(&self) -> impl Iterator<Item = (u16, u64)> + '_ {
        self.status
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(s, &n)| (s as u16, n))
    }

    /// `(method, hits)` for every method seen.
    pub fn methods(&self) -> impl Iterator<Item = (&[u8], u64)> + '_ {
        let known = KNOWN_METHODS
            .iter()
            .zip(self.known_methods)
            .filter(|(_, n)| *n > 0)
            .map(|(m, n)| (*m, n));
        known.chain(self.other_methods.iter().map(|(m, &n)| (m, n)))
    }
}

/// The id of visitor (client, agent), a pair whose first of each client
/// is kept in the client's record.
fn intern_visitor(
    visitors: &mut PairMap,
    clients: &mut BytesMap<ClientInfo>,
    client: u32,
    agent: u32,
) -> u32 {
    visitors.intern((client, agent), &mut clients.value_mut(client).visitor)
}

/// The id of entry (referrer, query), a pair whose first of each referrer
/// is the referrer's value.
fn intern_entry(
    entries: &mut PairMap,
    referrers: &mut BytesMap<FirstPair>,
    referrer: u32,
    query: u32,
) -> u32 {
    entries.intern((referrer, query), referrers.value_mut(referrer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Format;

    fn line(s: &str) -> LogLine<'_> {
        Format::Combined.parse(s.as_bytes()).unwrap()
    }

    const L1: &str =
        r#"1.1.1.1 - - [01/May/2024:10:00:00 +0000] "GET /a HTTP/1.1" 200 100 "-" "UA""#;
    const L2: &str =
        r#"1.1.1.1 - - [01/May/2024:10:20:00 +0000] "GET /a?x HTTP/1.1" 404 10 "-" "UA""#;
    const L3: &str =
        r#"1.1.1.1 - - [01/May/2024:09:59:59 +0000] "PURGE /b HTTP/1.1" 503 1 "-" "UA""#;

    #[test]
    fn bots_that_name_themselves_are_no_candidates() {
        let mut f = Figures::default();
        let bot = r#"1.1.1.1 - - [01/May/2024:10:00:00 +0000] "GET /a HTTP/1.1" 200 1 "-" "Mozilla/5.0 (compatible; Googlebot/2.1)""#;
        let dash = r#"1.1.1.2 - - [01/May/2024:10:00:00 +0000] "GET /a HTTP/1.1" 200 1 "-" "-""#;
        // Woothee's crawler list, no bot word: only the end can tell.
        let quiet = r#"1.1.1.3 - - [01/May/2024:10:00:00 +0000] "GET /a HTTP/1.1" 200 1 "-" "Yeti/1.0 (NHN Corp.)""#;
        for l in [bot, dash, L1, quiet] {
            f.add_line(&line(l), 0, Record::ALL);
        }
        let views: usize = f.views.parts.iter().flatten().map(|s| s.len()).sum();
        assert_eq!(views, 2);
        // Their hits still count, for the bots table.
        assert_eq!(f.agents.len(), 4);
        assert!(f.agents.iter().all(|(_, a)| a.hits == 1));
    }

    #[test]
    fn every_line_gets_its_client_id_through_the_chunks_numbers() {
        let mut f = Figures::default();
        // As an export asks: every line's client, no hits counted.
        let record = Record {
            clients: false,
            client_ids: true,
            ..Record::ALL
        };
        let on = |client: &str, path: &str| {
            format!(
                r#"{client} - - [01/May/2024:10:00:00 +0000] "GET {path} HTTP/1.1" 200 1 "-" "UA""#
            )
        };
        // Two chunks; an asset (no page view), a page view, the first
        // client again after another: the second chunk numbers its
        // clients from 0 again.
        let chunks = [
            vec![
                on("10.0.0.1", "/a.css"),
                on("10.0.0.2", "/"),
                on("10.0.0.1", "/"),
            ],
            vec![on("10.0.0.3", "/b.js"), on("10.0.0.2", "/b.js")],
        ];
        let mut ids = Vec::new();
        for (n, lines) in chunks.iter().enumerate() {
            let parsed: Vec<LogLine<'_>> = lines.iter().map(|l| line(l)).collect();
            let mut views = f.chunk_views(n as u32);
            let mut chunk_ids: Vec<LineIds> = parsed
                .iter()
                .map(|l| f.add(l, &mut views, record))
                .collect();
            let local: Vec<u32> = chunk_ids.iter().map(|i| i.client).collect();
            assert_eq!(local, if n == 0 { vec![0, 1, 0] } else { vec![0, 1] });
            f.flush_chunk(views).renumber(&mut chunk_ids);
            ids.extend(chunk_ids.iter().map(|i| f.clients.key(i.client).to_vec()));
        }
        let want = ["10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.3", "10.0.0.2"];
        assert_eq!(ids, want.map(|c| c.as_bytes().to_vec()));
        // Each client once, whether or not it viewed a page.
        assert_eq!(f.clients.len(), 3);
        // Hits per client are counted only for the clients table.
        assert!(f.clients.iter().all(|(_, c)| c.hits == 0));
    }

    #[test]
    fn without_tallies_lines_are_numbered_and_not_counted() {
        let (mut counted, mut numbered) = (Figures::default(), Figures::default());
        let uncounted = Record {
            tallies: false,
            ..Record::ALL
        };
        for l in [L1, L2, L3] {
            counted.add_line(&line(l), 0, Record::ALL);
            numbered.add_line(&line(l), 0, uncounted);
        }
        assert_eq!(counted.total.hits, 3);
        assert_eq!(numbered.total.hits, 0);
        assert_eq!(numbered.status_codes().count(), 0);
        assert_eq!(numbered.methods().count(), 0);
        assert!(numbered.server_errors.is_empty());
        assert!(numbered.agents.iter().all(|(_, a)| a.hits == 0));
        // The same paths, agents and page views, numbered alike.
        let keys = |f: &Figures| f.paths.iter().map(|(k, _)| k.to_vec()).collect::<Vec<_>>();
        assert_eq!(keys(&numbered), keys(&counted));
        assert_eq!(numbered.agents.len(), counted.agents.len());
        let views = |f: &Figures| {
            f.views
                .parts
                .iter()
                .flatten()
                .map(|s| s.len())
                .sum::<usize>()
        };
        assert_eq!((views(&numbered), views(&counted)), (1, 1));
        assert_eq!(
            (numbered.first_time, numbered.last_time),
            (counted.first_time, counted.last_time)
        );
    }

    #[test]
    fn counts_by_hand() {
        let mut f = Figures::default();
        for l in [L1, L2, L3] {
            f.add_line(&line(l), 0, Record::ALL);
        }
        assert_eq!(
            f.total,
            Traffic {
                hits: 3,
                bytes: 111,
                status_2xx: 1,
                status_3xx: 0,
                status_4xx: 1,
                status_5xx: 1
            }
        );
        assert_eq!(
            f.status_codes().collect::<Vec<_>>(),
            vec![(200, 1), (404, 1), (503, 1)]
        );
        let mut methods: Vec<_> = f.methods().collect();
        methods.sort();
        assert_eq!(methods, vec![(&b"GET"[..], 2), (&b"PURGE"[..], 1)]);
        assert_eq!(
            f.paths.get(b"/a").cloned().unwrap(),
            PathStats {
                hits: 2,
                bytes: 110,
                status_404: 1,
                status_5xx: 0,
                latency: None,
            }
        );
        assert_eq!(f.paths.get(b"/b").unwrap().status_5xx, 1);
        // 10:00:00 and 10:20:00 fall in different quarter-hour slots, 09:59:59 in a third.
        let slot = |t: i64| f.slot(t.div_euclid(SLOT_SECONDS)).map(|t| t.hits);
        let t1 = line(L1).time.unix;
        let hits = (slot(t1), slot(t1 + 20 * 60), slot(t1 - 1), slot(t1 + 3600));
        assert_eq!(hits, (Some(1), Some(1), Some(1), None));
        let t0 = line(L3).time.unix;
        assert_eq!(
            (f.first_time, f.last_time),
            (Some(t0), Some(t0 + 20 * 60 + 1))
        );
    }

    #[test]
    fn merge_equals_adding_everything_to_one() {
        let mut one = Figures::default();
        for (seq, l) in [L1, L2, L3].into_iter().enumerate() {
            one.add_line(&line(l), seq as u32 + 1, Record::ALL);
        }
        let (mut a, mut b) = (Figures::default(), Figures::default());
        a.add_line(&line(L1), 1, Record::ALL);
        b.add_line(&line(L2), 2, Record::ALL);
        b.add_line(&line(L3), 3, Record::ALL);
        a.merge(b);
        // Merging folds the current slot into the map: compare merged forms.
        let mut one_merged = Figures::default();
        one_merged.merge(one);
        assert_eq!(a, one_merged);
        let mut empty = Figures::default();
        empty.merge(a.clone());
        assert_eq!(empty, one_merged);
    }

    /// Lines as a layout with a request time gives them.
    fn timed(s: &str, us: Option<u64>) -> LogLine<'_> {
        LogLine {
            response_time_us: us,
            ..line(s)
        }
    }

    #[test]
    fn response_times_are_kept_per_path_and_merged() {
        let mut one = Figures::default();
        let (mut a, mut b) = (Figures::default(), Figures::default());
        let lines = [
            (L1, Some(3000)),
            (L2, Some(1000)),
            (L1, None),
            (L3, None),
            (L2, Some(2000)),
        ];
        for (seq, &(l, us)) in lines.iter().enumerate() {
            one.add_line(&timed(l, us), seq as u32, Record::ALL);
            let part = if seq < 2 { &mut a } else { &mut b };
            part.add_line(&timed(l, us), seq as u32, Record::ALL);
        }
        let a_times = one.paths.get(b"/a").unwrap().latency.as_deref().unwrap();
        // /a got 3000, 1000 and 2000 µs (one hit had none): p50 is the 2nd.
        assert_eq!(
            (a_times.count(), a_times.quantile(0.5), a_times.max()),
            (3, Some(2000), Some(3000))
        );
        // A path whose hits had no time has no histogram at all.
        assert_eq!(one.paths.get(b"/b").unwrap().latency, None);
        a.merge(b);
        let mut one_merged = Figures::default();
        one_merged.merge(one);
        assert_eq!(a, one_merged);
    }

    #[test]
    fn vhost_ids_of_candidates_survive_a_merge() {
        let v = |host: &str| format!("{host} {L1}");
        let (l1, l2) = (v("a.example"), v("b.example"));
        let (l1, l2) = (
            Format::VCombined.parse(l1.as_bytes()).unwrap(),
            Format::VCombined.parse(l2.as_bytes()).unwrap(),
        );
        let (mut a, mut b) = (Figures::default(), Figures::default());
        a.add_line(&l1, 1, Record::ALL);
        b.add_line(&l2, 2, Record::ALL);
        b.add_line(&l1, 3, Record::ALL);
        a.merge(b);
        let parts = a.views.clone().in_order().into_iter();
        let views = parts.flat_map(|p| p.segments);
        let views: Vec<PageView> = views.flat_map(|s| s.iter().collect::<Vec<_>>()).collect();
        let hosts: Vec<&[u8]> = views.iter().map(|v| a.vhosts.key(v.vhost)).collect();
        assert_eq!(hosts, [&b"a.example"[..], b"b.example", b"a.example"]);
        assert_eq!(a.vhosts.get(b"a.example"), Some(&2));
        let mut no_vhost = Figures::default();
        no_vhost.add_line(&line(L1), 1, Record::ALL);
        let part = no_vhost.views.parts.iter().flatten().next().unwrap();
        assert_eq!(part.iter().next().unwrap().vhost, NO_VHOST);
    }
}
