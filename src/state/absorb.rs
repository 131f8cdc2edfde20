//! The absorb step: a run's figures, counted per day, added to the state.
//!
//! Hit-level figures are added as sums. Each page view is counted at once
//! in the per-day sets (visitor, page and host pairs, hours), which are
//! exact whatever comes later; then each visitor's new page views join
//! its open ones, are walked into visits, and the visits no later line
//! can change are closed into sums (see the module doc of
//! [`crate::state`]).

use hashbrown::HashMap;
use std::net::IpAddr;

use crate::aggregate::pageviews::{NO_LANGUAGE, NO_VHOST};
use crate::aggregate::{Figures, NO_AGENT};
use crate::enrich::classify::{classify_agent, AgentInfo};
use crate::enrich::geoip::GeoDb;
use crate::enrich::language::preferred_language;
use crate::enrich::privacy::{address_hash, anonymize};
use crate::enrich::sources;
use crate::enrich::zone::{Bucket, ReportZone};
use crate::goals::GoalSet;
use crate::parse::Quoted;
use crate::visits::metrics::odd_label;
use crate::visits::{UNKNOWN_COUNTRY, VISIT_GAP_SECONDS};

use super::marks::{self, OpenMark, VisitSpan};
use super::model::{AgentNames, Day, Folded, OpenView, OpenVisitor, Visits};
use super::saved::State;

/// What the absorb step needs besides the figures.
pub struct AbsorbOptions<'a> {
    pub zone: ReportZone,
    pub geo: Option<&'a GeoDb>,
    /// `--clients`: hits per client kept for the clients table.
    pub clients: bool,
    /// `--show-ips`: the clients table keeps addresses as logged.
    pub show_ips: bool,
    /// Goals and funnels, when they are settings of the state.
    pub goals: Option<&'a GoalSet>,
}

/// A new page view of this run, in walk order by (time, chunk, place):
/// ids into the figures of its day (`day`, an index into the run's days),
/// so that a run over a whole log holds no text per page view.
struct NewView {
    time: i64,
    order: (u32, u32),
    day: u32,
    path: u32,
    entry: u32,
}

/// A page view as a visit is walked: its text borrowed from where it is
/// kept (an open view of the state, or the figures of this run).
#[derive(Clone, Copy)]
pub struct ViewRef<'a> {
    pub time: i64,
    pub path: &'a [u8],
    pub referrer: &'a [u8],
    pub query: &'a [u8],
    pub folded: Option<&'a Folded>,
}

impl<'a> From<&'a OpenView> for ViewRef<'a> {
    fn from(v: &'a OpenView) -> Self {
        ViewRef {
            time: v.time,
            path: &v.path,
            referrer: &v.referrer,
            query: &v.query,
            folded: v.folded.as_deref(),
        }
    }
}

impl ViewRef<'_> {
    fn to_open(self) -> OpenView {
        OpenView {
            time: self.time,
            path: self.path.to_vec(),
            referrer: self.referrer.to_vec(),
            query: self.query.to_vec(),
            folded: self.folded.map(|f| Box::new(f.clone())),
        }
    }

    /// The time of the last page view it stands for.
    fn end(&self) -> i64 {
        self.folded.map_or(self.time, |f| f.until.max(self.time))
    }

    /// The page views it stands for.
    fn views(&self) -> u64 {
        1 + self.folded.map_or(0, |f| f.views)
    }
}

/// Classifications of the user agents of one run, by agent as logged.
#[derive(Default)]
struct Agents(HashMap<Vec<u8>, AgentInfo>);

impl Agents {
    fn of(&mut self, raw: &[u8]) -> &AgentInfo {
        self.0
            .entry(raw.to_vec())
            .or_insert_with(|| classify_agent(&Quoted { raw }.text()))
    }
}

impl State {
    /// Adds the figures of one run, per day (by the instant each day
    /// starts), and walks the visits.
    pub fn absorb(&mut self, mut days: Vec<(i64, Figures)>, opts: &AbsorbOptions<'_>) {
        let mut agents = Agents::default();
        let mut new_views: HashMap<u128, Vec<NewView>> = HashMap::new();
        let mut new_marks: HashMap<u128, Vec<OpenMark>> = HashMap::new();
        let mut newest = self.newest;
        for (day_index, (start, figures)) in days.iter_mut().enumerate() {
            if let Some(last) = figures.last_time {
                newest = Some(newest.map_or(last, |n| n.max(last)));
            }
            let views = std::mem::take(&mut figures.views);
            let figures = &*figures;
            let day = self.days.entry(*start);
            add_hits(day, figures, &mut agents, opts, self.key);
            let key = self.key;
            let mut who =
                |client: u32, agent: u32| visitor_of(key, figures, &mut agents, client, agent);
            let views = day.add_marks(figures, views, opts.goals, &mut who, &mut new_marks);
            // The day's number of each Accept-Language id of the figures.
            let mut language_ids: Vec<u32> = vec![u32::MAX; figures.accept_languages.len()];
            // Page views: counted in the day's sets, and kept for the walk.
            // Per visitor id of the figures, worked out at its first page
            // view: its hash and number in the day, or `None` for a bot.
            let mut known: Vec<Option<Option<(u128, u32)>>> = vec![None; figures.visitors.len()];
            // The day's number of each path id of the figures.
            let mut path_ids: Vec<u32> = vec![u32::MAX; figures.paths.len()];
            // The last page view's hour: its start and bit.
            let mut hour: Option<(i64, usize)> = None;
            for part in views {
                for segment in &part.segments {
                    for (place, v) in segment.iter().enumerate() {
                        let visitor = part.visitors[v.visitor as usize];
                        let seen = *known[visitor as usize].get_or_insert_with(|| {
                            let (client, agent) = figures.visitors.pair(visitor);
                            let info = if agent == NO_AGENT {
                                None
                            } else {
                                Some(agents.of(figures.agents.key(agent)))
                            };
                            if info.is_some_and(|i| i.is_bot) {
                                return None;
                            }
                            let info = info.cloned();
                            let ip = figures.clients.value(client).ip;
                            let agent_raw = (agent != NO_AGENT).then(|| figures.agents.key(agent));
                            let hash =
                                visitor_hash(self.key, ip, figures.clients.key(client), agent_raw);
                            let index = day.visitor(hash, |day| {
                                let country = ip
                                    .and_then(|ip| opts.geo.and_then(|db| db.country(ip)))
                                    .unwrap_or(UNKNOWN_COUNTRY)
                                    .to_string();
                                let info = info.unwrap_or_else(AgentInfo::none);
                                let names: AgentNames = (info.device, info.browser, info.os);
                                (
                                    Day::name_index(&mut day.countries, country),
                                    Day::name_index(&mut day.agents, names),
                                )
                            });
                            Some((hash, index))
                        });
                        let Some((hash, index)) = seen else {
                            continue;
                        };
                        let bit = match hour {
                            Some((start, bit)) if (start..start + 3600).contains(&v.time) => bit,
                            _ => {
                                let start = opts.zone.bucket_start(v.time, Bucket::Hour);
                                let bit = day.hour_bit(start);
                                hour = Some((start, bit));
                                bit
                            }
                        };
                        day.hour_views[bit] += 1;
                        let dv = &mut day.visitors[index as usize];
                        dv.hours |= 1 << bit.min(31);
                        dv.pageviews += 1;
                        let path_id = &mut path_ids[v.path as usize];
                        if *path_id == u32::MAX {
                            *path_id = day.paths.map().intern(figures.paths.key(v.path)).0;
                        }
                        let path_id = *path_id;
                        *day.page_pairs.map().entry((path_id, index)).or_default() += 1;
                        if v.vhost != NO_VHOST {
                            let host = day.vhosts.map().intern(figures.vhosts.key(v.vhost)).0;
                            *day.vhost_pairs.map().entry((host, index)).or_default() += 1;
                        }
                        if v.language == NO_LANGUAGE {
                            day.visitors[index as usize].no_language = true;
                        } else {
                            let language = &mut language_ids[v.language as usize];
                            if *language == u32::MAX {
                                let header = figures.accept_languages.key(v.language);
                                let name = preferred_language(&Quoted { raw: header }.text());
                                *language = Day::name_index(&mut day.languages, name);
                            }
                            day.language_pairs.map().insert((*language, index), ());
                        }
                        new_views.entry(hash).or_default().push(NewView {
                            time: v.time,
                            order: (segment.chunk, place as u32),
                            day: day_index as u32,
                            path: v.path,
                            entry: v.entry,
                        });
                    }
                }
            }
        }
        self.newest = newest;
        self.walk_visits(new_views, new_marks, &days, opts);
        crate::scan::drop_in_background(days);
    }

    /// Joins each visitor's new page views to its open ones, and closes
    /// the visits that no page view within 30 minutes of the newest line
    /// can change.
    fn walk_visits(
        &mut self,
        mut new_views: HashMap<u128, Vec<NewView>>,
        mut new_marks: HashMap<u128, Vec<OpenMark>>,
        days: &[(i64, Figures)],
        opts: &AbsorbOptions<'_>,
    ) {
        let (zone, goals) = (opts.zone, opts.goals);
        let Some(newest) = self.newest else {
            return;
        };
        // A view at t >= newest - 1800 (the next run's lines, allowing 30
        // minutes of disorder) reaches a visit only if its last view is at
        // t - 1800 or later.
        let close_before = newest - 2 * VISIT_GAP_SECONDS;
        let resolve = |v: &NewView| {
            let figures = &days[v.day as usize].1;
            let (referrer, query) = figures.entries.pair(v.entry);
            ViewRef {
                time: v.time,
                path: figures.paths.key(v.path),
                referrer: figures.referrers.key(referrer),
                query: figures.queries.key(query),
                folded: None,
            }
        };
        let old = std::mem::take(&mut self.open);
        let mut hosts = HostCache::default();
        let mut open = Vec::with_capacity(old.len());
        let mut views: Vec<ViewRef<'_>> = Vec::new();
        let mut marks: Vec<OpenMark> = Vec::new();
        let mut walk =
            |hash: u128, views: &[ViewRef<'_>], marks: &[OpenMark], state: &mut State| {
                let mut closed = 0;
                let mut next_mark = 0;
                for visit in split_visits(views) {
                    if visit[visit.len() - 1].time >= close_before {
                        // This visit and every later one may still grow.
                        break;
                    }
                    closed += visit.len();
                    let day = zone.bucket_start(visit[0].time, Bucket::Day);
                    if state.first_kept_day.is_none_or(|k| day >= k) {
                        let day = state.days.entry(day);
                        add_visit(&mut day.visits, visit, &mut hosts);
                        marks::visit(
                            span(visit),
                            marks,
                            &mut next_mark,
                            Some(&mut day.marks),
                            goals,
                        );
                    } else {
                        marks::visit(span(visit), marks, &mut next_mark, None, goals);
                    }
                }
                let first_open = views.get(closed).map(|v| v.time);
                let marks = marks::still_open(marks, next_mark, first_open, close_before);
                if closed < views.len() || !marks.is_empty() {
                    let mut kept = Vec::new();
                    for visit in split_visits(&views[closed..]) {
                        fold_visit(visit, close_before, &mut hosts, &mut kept);
                    }
                    open.push(OpenVisitor {
                        hash,
                        views: kept,
                        marks,
                    });
                }
            };
        for visitor in &old {
            let new = new_views.remove(&visitor.hash).unwrap_or_default();
            merge_views(&mut views, &visitor.views, new, &resolve);
            merge_marks(&mut marks, &visitor.marks, new_marks.remove(&visitor.hash));
            walk(visitor.hash, &views, &marks, self);
        }
        for (hash, new) in new_views {
            merge_views(&mut views, &[], new, &resolve);
            merge_marks(&mut marks, &[], new_marks.remove(&hash));
            walk(hash, &views, &marks, self);
        }
        // Visitors with marked hits and no page view yet.
        for (hash, new) in new_marks {
            merge_marks(&mut marks, &[], Some(new));
            walk(hash, &[], &marks, self);
        }
        self.open = open;
    }
}

/// A visitor's page views in walk order: its open ones (in walk order
/// already) and its new ones, by time; at equal times the open ones,
/// which an earlier run read, come first, and new ones keep input order.
fn merge_views<'a>(
    out: &mut Vec<ViewRef<'a>>,
    old: &'a [OpenView],
    mut new: Vec<NewView>,
    resolve: &impl Fn(&NewView) -> ViewRef<'a>,
) {
    new.sort_by_key(|v| (v.time, v.order));
    out.clear();
    out.extend(old.iter().map(ViewRef::from));
    out.extend(new.iter().map(resolve));
    // Stable: equal times keep the order just built.
    out.sort_by_key(|v| v.time);
}

/// A visitor's marked hits in time order: its open ones and its new ones.
fn merge_marks(out: &mut Vec<OpenMark>, old: &[OpenMark], new: Option<Vec<OpenMark>>) {
    out.clear();
    out.extend_from_slice(old);
    out.extend(new.unwrap_or_default());
    out.sort_by_key(|m| m.time);
}

/// Referrer hosts, parsed once per distinct referrer, with their label
/// when it is not the host's text (see [`odd_label`]).
#[derive(Default)]
pub struct HostCache(HashMap<Vec<u8>, (Option<String>, Option<String>)>);

impl HostCache {
    pub fn host(&mut self, referrer: &[u8]) -> Option<&str> {
        self.host_and_label(referrer).0
    }

    /// The host of `referrer` (as logged), and its label when that is
    /// not the host's text.
    pub fn host_and_label(&mut self, referrer: &[u8]) -> (Option<&str>, Option<&str>) {
        if !self.0.contains_key(referrer) {
            let text = Quoted { raw: referrer }.text();
            let host = sources::referrer_host(&text);
            let label = host.as_deref().and_then(|h| odd_label(&text, h));
            self.0.insert(referrer.to_vec(), (host, label));
        }
        match self.0.get(referrer) {
            Some((host, label)) => (host.as_deref(), label.as_deref()),
            None => (None, None),
        }
    }
}

/// Keeps an open visit for the next run: its first view, with the views
/// before `before` that follow it folded in (see [`Folded`]), and the
/// views from `before` on as they are.
fn fold_visit(visit: &[ViewRef<'_>], before: i64, hosts: &mut HostCache, kept: &mut Vec<OpenView>) {
    let Some(first) = visit.first() else {
        return;
    };
    let mut head = first.to_open();
    let old = visit[1..].iter().take_while(|v| v.time < before);
    let mut folded = head.folded.take().map(|f| *f).unwrap_or_default();
    let mut n = 0;
    for v in old {
        n += 1;
        folded.views += v.views();
        folded.until = folded.until.max(v.end());
        if let Some(f) = v.folded {
            add_hosts(
                &mut folded.hosts,
                f.hosts.iter().map(|(h, n)| (h.as_str(), *n)),
            );
            add_hosts(&mut folded.labels, f.labels.iter().map(|(k, n)| (k, *n)));
        }
        if let (Some(host), label) = hosts.host_and_label(v.referrer) {
            add_hosts(&mut folded.hosts, [(host, 1)]);
            if let Some(label) = label {
                let key = (host.to_string(), label.to_string());
                add_hosts(&mut folded.labels, [(&key, 1)]);
            }
        }
    }
    if folded.views > 0 {
        folded.until = folded.until.max(head.time);
        head.folded = Some(Box::new(folded));
    }
    kept.push(head);
    kept.extend(visit[1 + n..].iter().map(|v| v.to_open()));
}

/// Adds counts by key to a short list of them.
fn add_hosts<'h, K, Q>(into: &mut Vec<(K, u64)>, hosts: impl IntoIterator<Item = (&'h Q, u64)>)
where
    K: std::borrow::Borrow<Q>,
    Q: ToOwned<Owned = K> + PartialEq + ?Sized + 'h,
{
    for (host, n) in hosts {
        match into.iter_mut().find(|(h, _)| h.borrow() == host) {
            Some((_, m)) => *m += n,
            None => into.push((host.to_owned(), n)),
        }
    }
}

/// What marked hits need of one visit (its page views in walk order).
pub fn span<'a>(visit: &[ViewRef<'a>]) -> VisitSpan<'a> {
    let first = visit
        .first()
        .map_or((0, &b""[..], &b""[..]), |v| (v.time, v.referrer, v.query));
    VisitSpan {
        first: first.0,
        last: visit.iter().map(|v| v.end()).max().unwrap_or(first.0),
        referrer: first.1,
        query: first.2,
    }
}

/// Adds one visit (its page views in walk order) to `sums`.
pub fn add_visit(sums: &mut Visits, visit: &[ViewRef<'_>], hosts: &mut HostCache) {
    let (Some(first), Some(last)) = (visit.first(), visit.iter().max_by_key(|v| v.end())) else {
        return;
    };
    let views: u64 = visit.iter().map(|v| v.views()).sum();
    let bounce = views == 1;
    sums.visits += 1;
    sums.bounces += bounce as u64;
    sums.duration_s += last.end() - first.time;
    let landing = sums.landing.map();
    let landing = match landing.get_mut(first.path) {
        Some(row) => row,
        None => landing.entry(first.path.to_vec()).or_default(),
    };
    landing.0 += 1;
    landing.1 += bounce as u64;
    let exits = sums.exits.map();
    match exits.get_mut(last.path) {
        Some(n) => *n += 1,
        None => {
            exits.insert(last.path.to_vec(), 1);
        }
    }
    let entry = sums
        .entries
        .map()
        .entry((first.referrer.to_vec(), first.query.to_vec()))
        .or_default();
    entry.0 += 1;
    entry.1 += views;
    for f in visit.iter().filter_map(|v| v.folded) {
        for (host, n) in &f.hosts {
            *sums.later_hosts.map().entry(host.clone()).or_default() += n;
        }
        for (key, n) in &f.labels {
            *sums.later_labels.map().entry(key.clone()).or_default() += n;
        }
    }
    for later in &visit[1..] {
        if let (Some(host), label) = hosts.host_and_label(later.referrer) {
            let later = sums.later_hosts.map();
            match later.get_mut(host) {
                Some(n) => *n += 1,
                None => {
                    later.insert(host.to_string(), 1);
                }
            }
            if let Some(label) = label {
                let key = (host.to_string(), label.to_string());
                *sums.later_labels.map().entry(key).or_default() += 1;
            }
        }
    }
}

/// One visitor's page views, in walk order, cut into visits: a view more
/// than 30 minutes after the last one before it (folded ones included)
/// begins a visit.
pub fn split_visits<'v, 'a>(views: &'v [ViewRef<'a>]) -> impl Iterator<Item = &'v [ViewRef<'a>]> {
    let mut rest = views;
    std::iter::from_fn(move || {
        let first = rest.first()?;
        let mut end = first.end();
        let mut len = 1;
        for v in &rest[1..] {
            if v.time - end > VISIT_GAP_SECONDS {
                break;
            }
            end = end.max(v.end());
            len += 1;
        }
        let (visit, after) = rest.split_at(len);
        rest = after;
        Some(visit)
    })
}

/// The hit-level figures of one day of a run, added to the state's day.
fn add_hits(
    day: &mut Day,
    figures: &Figures,
    agents: &mut Agents,
    opts: &AbsorbOptions<'_>,
    key: [u64; 2],
) {
    if let (Some(first), Some(last)) = (figures.first_time, figures.last_time) {
        if day.total.hits == 0 {
            (day.first, day.last) = (first, last);
        } else {
            day.first = day.first.min(first);
            day.last = day.last.max(last);
        }
    }
    day.total.merge(&figures.total);
    for (slot, traffic) in figures.slots() {
        day.slots.map().entry(slot).or_default().merge(&traffic);
    }
    for (status, hits) in figures.status_codes() {
        *day.status.map().entry(status).or_default() += hits;
    }
    for (method, hits) in figures.methods() {
        *day.methods.map().entry(method.to_vec()).or_default() += hits;
    }
    for (path, stats) in figures.paths.iter() {
        day.paths.map().intern(path).1.merge(stats.clone());
    }
    day.static_hits += figures.static_hits;
    for (raw, hits) in figures.agents.iter() {
        let info = agents.of(raw);
        if let Some(name) = info.bot_name.as_ref().filter(|_| info.is_bot) {
            *day.bots.map().entry(name.clone()).or_default() += hits.hits;
        }
    }
    for (host, &hits) in figures.vhosts.iter() {
        *day.vhosts.map().intern(host).1 += hits;
    }
    for (field, info) in figures.clients.iter() {
        if let Some(ip) = info.ip {
            day.client_hashes.map().insert(address_hash(key, &ip), ());
        }
        if opts.clients && info.hits > 0 {
            let shown = match info.ip {
                Some(ip) if opts.show_ips => ip.to_string(),
                Some(ip) => anonymize(ip).to_string(),
                None => crate::report::text(field),
            };
            *day.clients.map().entry(shown).or_default() += info.hits;
        }
    }
}

/// The keyed hash of visitor (client id, agent id) of `figures`, or
/// `None` for a bot's.
fn visitor_of(
    key: [u64; 2],
    figures: &Figures,
    agents: &mut Agents,
    client: u32,
    agent: u32,
) -> Option<u128> {
    let raw = (agent != NO_AGENT).then(|| figures.agents.key(agent));
    if raw.is_some_and(|raw| agents.of(raw).is_bot) {
        return None;
    }
    let ip = figures.clients.value(client).ip;
    Some(visitor_hash(key, ip, figures.clients.key(client), raw))
}

/// The keyed hash of a visitor (SPEC §3: client and user agent; two
/// spellings of one address are one client).
fn visitor_hash(key: [u64; 2], ip: Option<IpAddr>, field: &[u8], agent: Option<&[u8]>) -> u128 {
    use siphasher::sip128::{Hasher128, SipHasher13};
    use std::hash::Hasher;
    let mut h = SipHasher13::new_with_keys(key[0], key[1]);
    crate::enrich::privacy::hash_client(&mut h, ip, field);
    match agent {
        Some(agent) => {
            h.write_u8(1);
            h.write(agent);
        }
        None => h.write_u8(0),
    }
    h.finish128().as_u128()
}
