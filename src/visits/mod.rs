//! Visitors, visits and where they come from (SPEC §3–§5), computed once
//! all lines are read.
//!
//! Why at the end and not per line: whether a hit is a page view depends on
//! its user agent being a bot, which woothee decides; visits need a
//! visitor's page views in time order, which unsorted lines and rotated
//! files given in any order do not provide; and the own host of the
//! referrer rule is decided from visits. So the scan records each candidate
//! page view as a small record of ids (filed by partition: see
//! [`pageviews`](crate::aggregate::pageviews)), and [`compute`] runs the
//! phases in turn: every distinct agent classified once, every distinct
//! client's country looked up once and the visitors numbered, bots left
//! out, and each distinct `Accept-Language` header's language worked out
//! (`visitors.rs`); the days and buckets of the slots with hits
//! (`calendar.rs`); each partition's page views put in (visitor, time,
//! input order) (`order.rs`) and walked, visitor by visitor, partitions in
//! parallel (`walk.rs`); then the own hosts and the source of each visit
//! (`attribution.rs`). When goals are given, their hits are filed by
//! visitor before the walk and given to visits as it goes
//! ([`goals`](crate::goals)); the hits that are no page views but belong to
//! visits (a visitor's 5xx) are given to them during the walk ([`marks`]).
//! `figures.rs` holds what goes in and comes out, and [`metrics`] what the
//! walk adds for `--format prometheus`.
//!
//! Depends on [`aggregate`](crate::aggregate) for the figures and the
//! page-view store, on [`enrich`](crate::enrich) for the rules, on
//! [`goals`](crate::goals) for the goal hits' walk, and on
//! [`parse`](crate::parse) and [`text`](crate::text) for the text of
//! logged fields.

mod attribution;
mod calendar;
mod figures;
mod gap;
pub mod goal_walk;
pub mod marks;
pub mod metrics;
mod observer;
mod order;
mod visitors;
mod walk;

use rayon::prelude::*;

use crate::aggregate::pageviews::partitions::Partitions;
use crate::aggregate::{Figures, NO_AGENT};
use crate::enrich::classify::{classify_agent, AgentInfo};
use crate::enrich::sources::Channel;
use crate::parse::Quoted;
use crate::timings;
use attribution::attribute_sources;
pub use attribution::EntrySource;
use calendar::Calendar;
use figures::FastMap;
pub use figures::{OwnHostsFrom, VisitFigures, VisitOptions, UNKNOWN_COUNTRY};
pub use gap::{continues_visit, visit_spans, VISIT_GAP_SECONDS};
use goal_walk::{PartitionHits, VisitTally};
use marks::{ByVisitor, MarkTally};
pub use observer::{Enrichment, PartitionWalk, WalkObserver, WalkedVisitor};
use order::by_visitor;
pub use order::WalkView;
use visitors::{countries_of_clients, languages_of, number_visitors, unify_clients};
use walk::{HostTally, Tally};

/// `views` are the candidate page views of `figures` (consumed here).
pub fn compute(figures: &Figures, views: Partitions, opts: &VisitOptions<'_>) -> VisitFigures {
    let mut out = VisitFigures {
        metrics: opts.metrics.then(Box::default),
        ..VisitFigures::default()
    };

    let classifying = timings::phase("visits: user agents classified");
    // Each distinct user agent, classified once, in parallel. A layout
    // without a user agent (NO_AGENT) gets the last index: never a bot.
    let mut agents: Vec<AgentInfo> = (0..figures.agents.len() as u32)
        .into_par_iter()
        .map(|id| {
            classify_agent(
                &Quoted {
                    raw: figures.agents.key(id),
                }
                .text(),
            )
        })
        .collect();
    for (id, info) in agents.iter().enumerate() {
        if let Some(name) = info.bot_name.as_ref().filter(|_| info.is_bot) {
            let hits = figures.agents.value(id as u32).hits;
            out.bot_hits += hits;
            *out.bots.entry(name.clone()).or_default() += hits;
        }
    }
    if let Some(m) = out.metrics.as_deref_mut() {
        m.count_bots(figures, &agents);
    }
    // NO_AGENT's entry, at the index `number_visitors` gives it.
    agents.push(AgentInfo::none());
    classifying.end();
    // Countries on one side; clients unified and visitors numbered on the
    // other, whose loops are serial: the lookups fill the idle core.
    let failed_lookups = &mut out.geoip_lookup_errors;
    let ((country_names, country_of_client), (client_ips, client_of, walkers, visitor_number)) =
        rayon::join(
            || {
                let _countries = timings::phase("visits: countries of clients");
                countries_of_clients(figures, opts.geo, failed_lookups)
            },
            || {
                let _numbering = timings::phase("visits: clients unified, visitors numbered");
                let client_ips = figures.clients.iter().map(|(_, info)| info.ip).collect();
                let client_of = unify_clients(figures);
                let (walkers, numbers) = number_visitors(figures, &agents, &client_of);
                (client_ips, client_of, walkers, numbers)
            },
        );
    out.client_ips = client_ips;
    let preparing = timings::phase("visits: languages, calendar, goal hits filed");
    // Each distinct Accept-Language header's language, once.
    let (language_names, language_of) = languages_of(&figures.accept_languages);

    let calendar = Calendar::new(figures, opts);
    // Goal hits filed by the visitor the walk will meet them with.
    let mut goals_prepared = opts.goals.map(|set| {
        let visitors = goal_walk::Visitors {
            client_of: &client_of,
            number: &visitor_number,
            per_partition: walkers.iter().map(Vec::len).collect(),
        };
        let is_bot = |a: u32| a != NO_AGENT && agents[a as usize].is_bot;
        goal_walk::prepare(set, figures, &visitors, is_bot, |t| calendar.at(t).0)
    });
    let goal_parts: Vec<PartitionHits> = match &mut goals_prepared {
        Some(p) => std::mem::take(&mut p.partitions),
        None => walkers.iter().map(|_| PartitionHits::default()).collect(),
    };
    // Kept only for an observer.
    let client_of = opts.observer.map(|_| client_of);
    let empty = || Tally {
        pages: vec![(0, 0); figures.paths.len()],
        landing: vec![(0, 0); figures.paths.len()],
        exits: vec![0; figures.paths.len()],
        vhosts: vec![HostTally::default(); figures.vhosts.len()],
        buckets: vec![(0, 0); calendar.bucket_starts.len()],
        countries: vec![(0, 0); country_names.len()],
        agent_days: vec![0; agents.len()],
        entry_visits: vec![0; figures.entries.len()],
        later_entries: vec![0; figures.entries.len()],
        visit_pageviews: if opts.metrics {
            vec![0; figures.entries.len()]
        } else {
            Vec::new()
        },
        languages: vec![HostTally::default(); language_names.len()],
        goals: opts.goals.map(VisitTally::new).unwrap_or_default(),
        marks: MarkTally::new(opts.incidents.clone()),
        entries_only: !opts.tallies,
        ..Tally::default()
    };
    preparing.end();
    let walking = timings::phase("visits: page views ordered and walked (parallel)");
    let (sort_time, walk_time) = (timings::Sum::default(), timings::Sum::default());
    // Partitions are independent: each is put in visitor order and walked
    // on whichever thread takes it, and the tallies are summed.
    let parts = views.in_order();
    let has_vhosts = !figures.vhosts.is_empty();
    let languages = (!figures.accept_languages.is_empty()).then_some(&language_of[..]);
    // One tally per thread, not per piece rayon would split the work into:
    // a tally has counters per path and per entry, tens of megabytes to
    // zero and to sum on a log of a million distinct paths. Partitions are
    // spread by a hash, so equal groups of them are equal work.
    let per_thread = parts.len().div_ceil(rayon::current_num_threads()).max(1);
    let tally = parts
        .into_par_iter()
        .zip(walkers.par_iter())
        .zip(goal_parts.par_iter())
        .enumerate()
        .with_min_len(per_thread)
        .fold(
            empty,
            |mut tally, (partition, ((part, walkers), goal_hits))| {
                // Segments hold numbers of the partition; walkers are numbered
                // anew, unified and without bots.
                let number: Vec<u32> = part
                    .visitors
                    .iter()
                    .map(|&v| visitor_number[v as usize])
                    .collect();
                let observer = opts.observer;
                let sorting = sort_time.start();
                let views = by_visitor(
                    part.segments,
                    walkers.len(),
                    &number,
                    has_vhosts,
                    languages,
                    observer.is_some(),
                );
                sort_time.add(sorting);
                let walking = walk_time.start();
                let mut marked = ByVisitor::new(part.marks, &number);
                for (number, one_visitor, vhosts, languages) in views.iter() {
                    let visitor = walkers[number as usize];
                    let marks = marked.take(number, &mut tally.marks);
                    tally.walk_visitor(
                        one_visitor,
                        vhosts,
                        languages,
                        marks,
                        &calendar,
                        country_of_client[visitor.client as usize],
                        visitor.agent,
                    );
                    if let Some(set) = opts.goals {
                        let times = one_visitor.iter().map(|v| (v.time, v.entry));
                        tally.goals.visitor(set, times, goal_hits.of(number));
                    }
                }
                marked.finish(&mut tally.marks);
                walk_time.add(walking);
                if let Some(observer) = observer {
                    observer.partition(PartitionWalk {
                        partition,
                        candidates: views.candidates,
                        walkers,
                        views: &views,
                    });
                }
                tally
            },
        )
        .reduce_with(Tally::merge)
        .unwrap_or_else(empty);
    walking.end();
    timings::record_cpu("visits: page views put in visitor order", sort_time.total());
    timings::record_cpu("visits: visitors walked", walk_time.total());
    let gathering = timings::phase("visits: tallies back to text, sources");

    // From ids back to text, keeping only what occurred.
    out.pageviews = tally.pageviews;
    out.visitors = tally.visitors;
    out.visits = tally.visits;
    out.bounces = tally.bounces;
    out.duration_s = tally.duration_s;
    out.marked = tally.marks.clone();
    out.pages = occurred(&tally.pages, |c| c.0 > 0);
    out.landing = occurred(&tally.landing, |c| c.0 > 0);
    out.exits = occurred(&tally.exits, |&n| n > 0);
    out.vhosts = (0..)
        .zip(&tally.vhosts)
        .filter(|(_, h)| h.pageviews > 0)
        .map(|(id, h)| (id, (h.pageviews, h.visitors)))
        .collect();
    out.buckets = calendar
        .bucket_starts
        .iter()
        .zip(&tally.buckets)
        .filter(|(_, c)| c.0 > 0)
        .map(|(&s, &c)| (s, c))
        .collect();
    for (name, &counts) in country_names.iter().zip(&tally.countries) {
        if counts.0 > 0 {
            out.countries.insert(name.clone(), counts);
        }
    }
    for (name, counts) in language_names.iter().zip(&tally.languages) {
        if counts.visitors > 0 {
            out.languages.insert(name.clone(), counts.visitors);
        }
    }
    for (info, &days) in agents.iter().zip(&tally.agent_days) {
        if days > 0 {
            *out.devices.entry(info.device.clone()).or_default() += days;
            *out.browsers.entry(info.browser.clone()).or_default() += days;
            *out.os.entry(info.os.clone()).or_default() += days;
        }
    }
    // Per entry (referrer, landing query) that began visits: their
    // number (an entry id is one pair: nothing to add up); per referrer:
    // page views that were not the first of their visit.
    let mut entries: Vec<((u32, u32), u64)> = Vec::new();
    // With `entries`, the page views of the visits each began (metrics).
    let mut visit_pageviews: Vec<u64> = Vec::new();
    // Their ids, for goals' conversions by channel.
    let mut entry_ids: Vec<u32> = Vec::new();
    let mut later_referrers = vec![0u64; figures.referrers.len()];
    for (e, (&visits, &later)) in tally
        .entry_visits
        .iter()
        .zip(&tally.later_entries)
        .enumerate()
    {
        let (referrer, query) = figures.entries.pair(e as u32);
        if visits > 0 {
            entries.push(((referrer, query), visits));
            visit_pageviews.extend(tally.visit_pageviews.get(e));
            if opts.goals.is_some() || opts.observer.is_some() {
                entry_ids.push(e as u32);
            }
        }
        later_referrers[referrer as usize] += later;
    }
    let sourced = attribute_sources(
        figures,
        opts,
        &entries,
        &later_referrers,
        &visit_pageviews,
        &mut out,
    );
    if let Some(m) = out.metrics.as_deref_mut() {
        m.count_referrers(figures, &entries, &later_referrers, &out.own_hosts);
    }
    if let Some(prepared) = goals_prepared {
        let channel_of: FastMap<u32, Channel> = entry_ids
            .iter()
            .zip(&sourced)
            .map(|(&entry, source)| (entry, source.channel))
            .collect();
        let channel = |entry| channel_of.get(&entry).copied().unwrap_or(Channel::Direct);
        out.goals = Some(tally.goals.finish(prepared, channel));
    }
    gathering.end();
    if let Some(client_of) = client_of {
        out.enrichment = Some(Enrichment {
            agents,
            client_of,
            country_names,
            country_of_client,
            entry_sources: entry_ids.into_iter().zip(sourced).collect(),
        });
    }
    out
}

/// The entries of a tally indexed by path id that counted something.
fn occurred<T: Copy>(tally: &[T], counted: impl Fn(&T) -> bool) -> FastMap<u32, T> {
    (0..tally.len() as u32)
        .zip(tally)
        .filter(|(_, c)| counted(c))
        .map(|(id, &c)| (id, c))
        .collect()
}

/// Candidate page views are recorded by the scan; this is how a test
/// builds them: `seq` is the chunk, which orders views of equal time.
#[cfg(test)]
#[allow(clippy::too_many_arguments)]
fn candidate(
    figures: &mut Figures,
    time: i64,
    seq: u64,
    client: &[u8],
    agent: &[u8],
    path: &[u8],
    referrer: &[u8],
    query: &[u8],
) {
    figures.add_view(time, seq as u32, client, agent, path, referrer, query);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::sources::Channel;
    use crate::enrich::zone::{Bucket, ReportZone};
    use crate::visits::marks::Spans;

    const FIREFOX: &[u8] =
        b"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";
    const T0: i64 = 1_714_550_400; // 2024-05-01T08:00:00Z

    fn run(figures: &Figures) -> VisitFigures {
        let zone = ReportZone::UTC;
        let opts = VisitOptions {
            zone: &zone,
            bucket: Bucket::Hour,
            sites: &[],
            geo: None,
            metrics: true,
            goals: None,
            tallies: true,
            incidents: Spans::default(),
            observer: None,
        };
        let mut figures = figures.clone();
        let views = std::mem::take(&mut figures.views);
        compute(&figures, views, &opts)
    }

    fn path_id(f: &Figures, p: &[u8]) -> u32 {
        (0..f.paths.len() as u32)
            .find(|&i| f.paths.key(i) == p)
            .unwrap()
    }

    #[test]
    fn without_tallies_the_entries_sources_are_the_same() {
        struct Ignore;
        impl WalkObserver for Ignore {
            fn partition(&self, _: PartitionWalk<'_>) {}
        }
        let mut f = Figures::default();
        // No --site and no virtual host: the site's host is the one most
        // page views after a visit's first came from (the first visitor's
        // second and third). Then visits that begin on the site itself,
        // and elsewhere.
        let views = [
            (T0, "1.1.1.1", "/a", "https://www.google.com/", ""),
            (T0 + 60, "1.1.1.1", "/b", "https://example.com/a", ""),
            (T0 + 90, "1.1.1.1", "/c", "https://example.com/b", ""),
            (T0, "2.2.2.2", "/c", "https://example.com/b", ""),
            (T0, "3.3.3.3", "/d", "https://news.org/", "?utm_source=x"),
        ];
        for (seq, (time, client, path, referrer, query)) in views.into_iter().enumerate() {
            let (client, path) = (client.as_bytes(), path.as_bytes());
            let (referrer, query) = (referrer.as_bytes(), query.as_bytes());
            candidate(
                &mut f,
                time,
                seq as u64 + 1,
                client,
                FIREFOX,
                path,
                referrer,
                query,
            );
        }
        let walk = |tallies| {
            let zone = ReportZone::UTC;
            let opts = VisitOptions {
                zone: &zone,
                bucket: Bucket::Hour,
                sites: &[],
                geo: None,
                metrics: false,
                goals: None,
                tallies,
                incidents: Spans::default(),
                observer: Some(&Ignore),
            };
            let mut figures = f.clone();
            let views = std::mem::take(&mut figures.views);
            let v = compute(&figures, views, &opts);
            let sources = v.enrichment.map(|e| format!("{:?}", e.entry_sources));
            (sources, v.own_hosts)
        };
        let (counted, uncounted) = (walk(true), walk(false));
        assert_eq!(counted.1, ["example.com"]);
        assert!(counted.0.as_deref().is_some_and(|s| s.contains("Search")));
        assert_eq!(uncounted, counted);
    }

    #[test]
    fn a_gap_of_1800_s_continues_a_visit_and_1801_ends_it() {
        let mut f = Figures::default();
        candidate(&mut f, T0, 1, b"1.1.1.1", FIREFOX, b"/a", b"-", b"");
        candidate(&mut f, T0 + 1800, 2, b"1.1.1.1", FIREFOX, b"/b", b"-", b"");
        candidate(&mut f, T0 + 3601, 3, b"1.1.1.1", FIREFOX, b"/c", b"-", b"");
        let v = run(&f);
        assert_eq!(
            (v.pageviews, v.visits, v.bounces, v.duration_s),
            (3, 2, 1, 1800)
        );
        assert_eq!(v.landing[&path_id(&f, b"/a")], (1, 0));
        assert_eq!(v.landing[&path_id(&f, b"/c")], (1, 1));
        assert_eq!(v.exits[&path_id(&f, b"/b")], 1);
        assert_eq!(v.visitors, 1);
    }

    #[test]
    fn days_and_buckets_are_the_same_whether_slots_are_indexed_or_searched() {
        // Spans of a day and of 40 years: the second is past what the
        // calendar indexes, and is binary-searched instead.
        for span in [86_400, 40 * 365 * 86_400] {
            let mut f = Figures::default();
            let times = [T0, T0 + 600, T0 + 3600, T0 + span, T0 + span + 3601];
            for (chunk, &t) in times.iter().enumerate() {
                candidate(
                    &mut f,
                    t,
                    chunk as u64,
                    b"1.1.1.1",
                    FIREFOX,
                    b"/a",
                    b"-",
                    b"",
                );
            }
            let zone = ReportZone::UTC;
            let opts = VisitOptions {
                zone: &zone,
                bucket: Bucket::Hour,
                sites: &[],
                geo: None,
                metrics: false,
                goals: None,
                tallies: true,
                incidents: Spans::default(),
                observer: None,
            };
            let calendar = Calendar::new(&f, &opts);
            assert_eq!(calendar.dense.is_empty(), span > 86_400, "span {span}");
            // Days 0, 0, 0, 1, 1; hours 0, 0, 1, 2, 3.
            let numbers: Vec<(u32, u32)> = times.iter().map(|&t| calendar.at(t)).collect();
            assert_eq!(
                numbers,
                vec![(0, 0), (0, 0), (0, 1), (1, 2), (1, 3)],
                "span {span}"
            );
            let v = run(&f);
            assert_eq!((v.visitors, v.visits), (2, 4), "span {span}");
        }
    }

    #[test]
    fn order_of_recording_does_not_matter_and_ties_keep_input_order() {
        // Recorded out of time order; two views share a second: the one
        // earlier in the input is the landing page.
        let mut f = Figures::default();
        candidate(&mut f, T0 + 60, 9, b"1.1.1.1", FIREFOX, b"/late", b"-", b"");
        candidate(&mut f, T0, 5, b"1.1.1.1", FIREFOX, b"/second", b"-", b"");
        candidate(&mut f, T0, 4, b"1.1.1.1", FIREFOX, b"/first", b"-", b"");
        let v = run(&f);
        assert_eq!(v.visits, 1);
        assert_eq!(
            v.landing.keys().copied().collect::<Vec<_>>(),
            vec![path_id(&f, b"/first")]
        );
        assert_eq!(
            v.exits.keys().copied().collect::<Vec<_>>(),
            vec![path_id(&f, b"/late")]
        );
    }

    #[test]
    fn a_visit_across_midnight_is_one_visit_and_two_visitor_days() {
        let mut f = Figures::default();
        let midnight = T0 + 16 * 3600; // 2024-05-02T00:00:00Z
        candidate(
            &mut f,
            midnight - 600,
            1,
            b"1.1.1.1",
            FIREFOX,
            b"/a",
            b"-",
            b"",
        );
        candidate(
            &mut f,
            midnight + 600,
            2,
            b"1.1.1.1",
            FIREFOX,
            b"/a",
            b"-",
            b"",
        );
        let v = run(&f);
        assert_eq!(
            (v.visits, v.visitors, v.bounces, v.duration_s),
            (1, 2, 0, 1200)
        );
        // The page was seen by the visitor on two days: two visitor-days.
        assert_eq!(v.pages[&path_id(&f, b"/a")], (2, 2));
    }

    #[test]
    fn bots_are_no_visitors_but_their_hits_are_counted() {
        let mut f = Figures::default();
        candidate(&mut f, T0, 1, b"1.1.1.1", b"curl/8.5.0", b"/a", b"-", b"");
        f.agents.get_or_default(b"curl/8.5.0").hits += 3;
        candidate(&mut f, T0, 2, b"2.2.2.2", FIREFOX, b"/a", b"-", b"");
        let v = run(&f);
        assert_eq!((v.pageviews, v.visitors, v.visits), (1, 1, 1));
        assert_eq!(v.bot_hits, 3);
        assert_eq!(v.bots["curl"], 3);
    }

    #[test]
    fn a_visitor_with_many_pages_a_day_counts_each_once() {
        let mut f = Figures::default();
        for i in 0..200u64 {
            let path = format!("/p/{}", i % 50);
            candidate(
                &mut f,
                T0 + i as i64,
                i,
                b"1.1.1.1",
                FIREFOX,
                path.as_bytes(),
                b"-",
                b"",
            );
        }
        let v = run(&f);
        assert_eq!((v.pageviews, v.visits, v.visitors), (200, 1, 1));
        assert_eq!(v.pages.len(), 50);
        assert!(v
            .pages
            .values()
            .all(|&(views, visitors)| (views, visitors) == (4, 1)));
    }

    const DAY: i64 = 24 * 3600;

    /// Figures with the virtual hosts a.example and b.example, and their
    /// ids.
    fn two_vhosts() -> (Figures, u32, u32) {
        let mut f = Figures::default();
        let a = f.vhosts.intern(b"a.example").0;
        let b = f.vhosts.intern(b"b.example").0;
        (f, a, b)
    }

    /// Records (time, client, vhost) page views of `/` by Firefox, each
    /// a chunk of its own, in the order given.
    fn record_on_vhosts(f: &mut Figures, views: &[(i64, &[u8; 7], u32)]) {
        for (seq, &(time, client, vhost)) in views.iter().enumerate() {
            candidate(f, time, seq as u64, client, FIREFOX, b"/", b"-", b"");
            let segment = f.views.parts.iter_mut().flatten();
            let mut segment = segment.filter(|s| s.chunk == seq as u32);
            segment.next().unwrap().set_vhost(0, vhost);
        }
    }

    #[test]
    fn page_views_and_visitor_days_per_virtual_host() {
        let (mut f, a, b) = two_vhosts();
        // Visitor 1: two views on a and one on b on the first day, one on
        // a the next day. Visitor 2: one view on b on the first day.
        record_on_vhosts(
            &mut f,
            &[
                (T0, b"1.1.1.1", a),
                (T0 + 10, b"1.1.1.1", a),
                (T0 + 20, b"1.1.1.1", b),
                (T0 + DAY, b"1.1.1.1", a),
                (T0 + 30, b"2.2.2.2", b),
            ],
        );
        let v = run(&f);
        // a: 3 views, visitor-days (1, day 1) and (1, day 2); b: 2 views,
        // visitor-days (1, day 1) and (2, day 1).
        assert_eq!(v.vhosts[&a], (3, 2));
        assert_eq!(v.vhosts[&b], (2, 2));
        assert_eq!(v.visitors, 3);
    }

    #[test]
    fn virtual_hosts_follow_their_page_views_when_those_are_put_in_time_order() {
        let (mut f, a, b) = two_vhosts();
        // Recorded out of time order: sorted, b's two views are on the
        // first day and a's on the second. Were the hosts left in input
        // order, b would have a view on each day: two visitor-days.
        let client = b"1.1.1.1";
        record_on_vhosts(
            &mut f,
            &[(T0 + DAY, client, a), (T0, client, b), (T0 + 10, client, b)],
        );
        let v = run(&f);
        assert_eq!(v.vhosts[&a], (1, 1));
        assert_eq!(v.vhosts[&b], (2, 1));
    }

    #[test]
    fn spellings_of_one_address_are_one_visitor() {
        let mut f = Figures::default();
        candidate(
            &mut f,
            T0,
            1,
            b"2a03:0000:10ff::1, 10.0.0.1",
            FIREFOX,
            b"/a",
            b"-",
            b"",
        );
        candidate(
            &mut f,
            T0 + 10,
            2,
            b"2a03:0:10ff::1",
            FIREFOX,
            b"/b",
            b"-",
            b"",
        );
        let v = run(&f);
        assert_eq!((v.visitors, v.visits, v.bounces), (1, 1, 0));
    }

    #[test]
    fn sources_of_visits() {
        let mut f = Figures::default();
        // Visit 1: from Google search, then an internal click.
        candidate(
            &mut f,
            T0,
            1,
            b"1.1.1.1",
            FIREFOX,
            b"/",
            b"https://www.google.com/search?q=Log+Stats",
            b"",
        );
        candidate(
            &mut f,
            T0 + 5,
            2,
            b"1.1.1.1",
            FIREFOX,
            b"/b",
            b"https://example.com/",
            b"",
        );
        // Visit 2: a newsletter campaign with a referrer from the site itself.
        candidate(
            &mut f,
            T0,
            3,
            b"2.2.2.2",
            FIREFOX,
            b"/",
            b"https://example.com/x",
            b"utm_source=nl&utm_medium=email&utm_campaign=may",
        );
        candidate(
            &mut f,
            T0 + 9,
            4,
            b"2.2.2.2",
            FIREFOX,
            b"/c",
            b"https://example.com/",
            b"",
        );
        // Visit 3: direct.
        candidate(&mut f, T0, 5, b"3.3.3.3", FIREFOX, b"/", b"-", b"");
        let v = run(&f);
        // example.com referred both later page views: it is the own host.
        assert_eq!(
            (v.own_hosts.clone(), v.own_hosts_from),
            (vec!["example.com".to_string()], OwnHostsFrom::Referrers)
        );
        assert_eq!(v.channels[&Channel::Search], 1);
        assert_eq!(v.channels[&Channel::Email], 1);
        assert_eq!(v.channels[&Channel::Direct], 1);
        assert_eq!(v.referrers.len(), 1);
        assert_eq!(v.referrers["google.com"], 1);
        assert_eq!(v.search_terms["log stats"], 1);
        assert_eq!(v.campaigns[&("nl".into(), "email".into(), "may".into())], 1);
    }
}
