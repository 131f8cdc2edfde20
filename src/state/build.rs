//! The report over everything a state holds: its sums become the
//! hit-level [`Figures`] and the [`VisitFigures`] a one-shot run would
//! have computed, and [`report::assemble`] does the rest, so that both
//! kinds of run print through one path.

use hashbrown::HashMap;
use rayon::prelude::*;

use crate::aggregate::server_errors::ErrorCell;
use crate::aggregate::Figures;
use crate::enrich::privacy::{HashedClients, Redactor};
use crate::enrich::sources::{self, Channel};
use crate::enrich::zone::{Bucket, ReportZone};
use crate::report::model::{ClientRow, InputRow, MalformedSample};
use crate::report::{self, GivenVisits, Report, ReportOptions};
use crate::visits::marks::{MarkTally, Spans};
use crate::visits::metrics::odd_label;
use crate::visits::{OwnHostsFrom, VisitFigures};

use super::absorb::{add_visit, span, split_visits, HostCache, ViewRef};
use super::day_counts::{self, DayCounts};
use super::marks::{self, DayMarks, Totals};
use super::model::{Day, Visits};
use super::referrers::ReferrerViews;
use super::saved::State;

impl State {
    /// The report over every day kept; `rows` are this run's inputs.
    pub fn report(&self, rows: Vec<InputRow>, opts: &ReportOptions<'_>) -> Report {
        let zone = self.report_zone().or(opts.zone).unwrap_or(ReportZone::UTC);
        let mut figures = Figures::default();
        let mut v = VisitFigures::default();
        let mut clients: HashMap<String, u64> = HashMap::new();
        let mut hashed = HashedClients {
            key: self.key,
            set: Default::default(),
        };
        let (first, last) = (
            self.days.values().map(|d| d.first).min(),
            self.days.values().map(|d| d.last).max(),
        );
        let mut totals = Totals::default();
        // SPEC §5: with the header logged, page views of a layout without
        // it are of an unknown language, once some page view had one.
        let languages =
            self.logs_languages && self.days.values().any(|d| !d.language_pairs.is_empty());
        let bucket = match (first, last) {
            (Some(f), Some(l)) => Bucket::for_period(f, l),
            _ => Bucket::Hour,
        };
        let days: Vec<(i64, &Day)> = self.days.iter().map(|(&s, d)| (s, d)).collect();
        // At most every day's clients: one table, never grown and rehashed.
        hashed
            .set
            .reserve(days.iter().map(|(_, d)| d.client_hashes.len()).sum());
        let day_list: Vec<&Day> = days.iter().map(|&(_, d)| d).collect();
        let counted = DayCounts::of_days(&day_list);
        for (&(start, day), counts) in days.iter().zip(&counted) {
            // Hit-level sums.
            if day.total.hits > 0 {
                figures.first_time =
                    Some(figures.first_time.map_or(day.first, |f| f.min(day.first)));
                figures.last_time = Some(figures.last_time.map_or(day.last, |l| l.max(day.last)));
            }
            figures.total.merge(&day.total);
            for (&slot, traffic) in day.slots.iter() {
                figures.count_slot(slot, traffic);
            }
            for (&status, &hits) in day.status.iter() {
                figures.count_status(status, hits);
            }
            for (method, &hits) in day.methods.iter() {
                figures.count_method(method, hits);
            }
            let path_ids: Vec<u32> = day
                .paths
                .iter()
                .map(|(path, stats)| {
                    let (id, mine) = figures.paths.intern(path);
                    mine.merge_from(stats);
                    id
                })
                .collect();
            figures.static_hits += day.static_hits;
            for (&(slot, path, ref method), &(count, first, last)) in day.marks.errors.iter() {
                let cell = ErrorCell { count, first, last };
                figures
                    .server_errors
                    .add_cell(slot, path_ids[path as usize], method, cell);
            }
            totals.add(&day.marks);
            if languages {
                count_languages(day, counts, &mut v);
            }
            let host_ids: Vec<u32> = day
                .vhosts
                .iter()
                .map(|(host, &hits)| {
                    let (id, mine) = figures.vhosts.intern(host);
                    *mine += hits;
                    id
                })
                .collect();
            for (name, &hits) in day.bots.iter() {
                v.bot_hits += hits;
                *v.bots.entry(name.clone()).or_default() += hits;
            }
            for (client, &hits) in day.clients.iter() {
                *clients.entry(client.clone()).or_default() += hits;
            }
            hashed.set.extend(day.client_hashes.iter().map(|(&h, _)| h));

            // Visitor-level counts of the day's sets, counted by the day's
            // numbers (see `DayCounts`): one lookup a name here.
            v.pageviews += counts.pageviews;
            v.visitors += day.visitors.len() as u64;
            for (name, &(visitors, views)) in day.countries.iter().zip(&counts.countries) {
                if visitors > 0 {
                    let country = v.countries.entry(name.clone()).or_default();
                    country.0 += visitors;
                    country.1 += views;
                }
            }
            for ((device, browser, os), &n) in day.agents.iter().zip(&counts.agents) {
                if n > 0 {
                    *v.devices.entry(device.clone()).or_default() += n;
                    *v.browsers.entry(browser.clone()).or_default() += n;
                    *v.os.entry(os.clone()).or_default() += n;
                }
            }
            match bucket {
                Bucket::Day => {
                    let pageviews: u64 = day.hour_views.iter().sum();
                    if pageviews > 0 {
                        let b = v.buckets.entry(start).or_default();
                        b.0 += pageviews;
                        b.1 += day.visitors.len() as u64;
                    }
                }
                Bucket::Hour => {
                    for ((&hour, &views), &visitors) in day
                        .hours
                        .iter()
                        .zip(&day.hour_views)
                        .zip(&counts.hour_visitors)
                    {
                        let b = v.buckets.entry(hour).or_default();
                        b.0 += views;
                        b.1 += visitors;
                    }
                }
            }
            for (&id, &(views, visitors)) in path_ids.iter().zip(&counts.pages) {
                if views > 0 {
                    let page = v.pages.entry(id).or_default();
                    page.0 += views;
                    page.1 += visitors;
                }
            }
            for (&id, &(views, visitors)) in host_ids.iter().zip(&counts.hosts) {
                if visitors > 0 {
                    let row = v.vhosts.entry(id).or_default();
                    row.0 += views;
                    row.1 += visitors;
                }
            }
        }

        // Open visits count as they stand, summed apart from the days'.
        let mut open_visits = Visits::default();
        let mut hosts = HostCache::default();
        let mut open_marks = DayMarks::default();
        for visitor in &self.open {
            let views: Vec<ViewRef<'_>> = visitor.views.iter().map(ViewRef::from).collect();
            let mut next = 0;
            for visit in split_visits(&views) {
                let day = zone.bucket_start(visit[0].time, Bucket::Day);
                if self.first_kept_day.is_none_or(|k| day >= k) {
                    add_visit(&mut open_visits, visit, &mut hosts);
                    let sums = Some(&mut open_marks);
                    marks::visit(span(visit), &visitor.marks, &mut next, sums, opts.goals);
                } else {
                    marks::visit(span(visit), &visitor.marks, &mut next, None, opts.goals);
                }
            }
        }
        totals.add(&open_marks);
        // Which slots are incidents depends on every slot kept: the visits
        // and visitors each reached are counted now.
        let (found, _) = report::incidents::find(&figures);
        let spans: Vec<(i64, i64)> = found.iter().map(|f| (f.start(), f.end())).collect();
        let (span_visits, span_visitors) = totals.per_span(&spans);
        v.marked = MarkTally::new(Spans::new(spans));
        v.marked.visits = vec![totals.visits_with_errors()];
        v.marked.span_visits = span_visits;
        v.marked.span_visitors = span_visitors;
        // The closed visits of every day and the open ones: sums, so they
        // are added up where they are consumed, each part keyed as it is
        // kept, rather than merged into one map by text first.
        let sums: Vec<&Visits> = day_list
            .iter()
            .map(|d| &d.visits)
            .chain(std::iter::once(&open_visits))
            .collect();
        (v.visits, v.bounces, v.duration_s) = day_counts::visit_totals(&sums);
        let (landing, exits) = day_counts::landing_and_exits(&sums, &figures.paths);
        for (id, n, bounces) in landing {
            let row = v.landing.entry(id).or_default();
            row.0 += n;
            row.1 += bounces;
        }
        for (id, n) in exits {
            *v.exits.entry(id).or_default() += n;
        }
        // Page views by referrer and by channel, for --format prometheus.
        v.metrics = opts.metrics.then(Box::default);
        attribute_sources(&figures, opts.sites, &sums, &mut v);
        if let Some(set) = opts.goals {
            let own = v.own_hosts.clone();
            let channel = |referrer: &[u8], query: &[u8]| {
                let host = hosts.host(referrer).map(str::to_string);
                let external = host.filter(|h| own.binary_search(h).is_err());
                let landing_query = (!query.is_empty()).then_some(query);
                sources::channel(landing_query, external.as_deref())
            };
            v.goals = Some(totals.goal_figures(set, channel));
        }

        let clients = report::top_rows(
            clients
                .into_iter()
                .map(|(client, hits)| ClientRow { client, hits })
                .collect(),
            opts.top,
            |r| (r.hits, r.client.clone()),
        );
        let samples = self
            .samples
            .iter()
            .map(|s| MalformedSample {
                path: s.path.clone(),
                line: s.line,
                text: report::text(&s.text),
            })
            .collect();
        let given = GivenVisits {
            visits: v,
            clients: if opts.clients { clients } else { Vec::new() },
            redactor: Redactor::hashed(hashed, opts.show_ips),
        };
        let logs_languages = self.logs_languages;
        report::assemble(
            rows,
            samples,
            figures,
            zone,
            opts,
            logs_languages,
            Some(given),
        )
    }
}

/// Own hosts (SPEC §4), then the referrer, channel, search term and
/// campaign of every visit, from its entry, as [`crate::visits`] does for
/// one run.
fn attribute_sources(
    figures: &Figures,
    sites: &[String],
    sums: &[&Visits],
    out: &mut VisitFigures,
) {
    let (mut own, from) = if !sites.is_empty() {
        (
            sites.iter().map(|s| sources::normalize_host(s)).collect(),
            OwnHostsFrom::Site,
        )
    } else if !figures.vhosts.is_empty() {
        let vhosts = figures
            .vhosts
            .iter()
            .map(|(v, _)| sources::normalize_host(&String::from_utf8_lossy(v)));
        (vhosts.collect::<Vec<_>>(), OwnHostsFrom::Vhost)
    } else {
        // `majority_host` sums a host given more than once.
        let counted = sums
            .iter()
            .flat_map(|s| s.later_hosts.iter())
            .filter(|(_, &n)| n > 0)
            .map(|(h, &n)| (h.as_str(), n));
        match sources::majority_host(counted) {
            Some(host) => (vec![host], OwnHostsFrom::Referrers),
            None => (Vec::new(), OwnHostsFrom::None),
        }
    };
    own.sort();
    own.dedup();
    // Entries are mostly distinct referrers, from day to day too: their
    // hosts are parsed in parallel, then counted in order; an entry kept
    // on several days is counted from each (every figure is a sum). With
    // metrics, each with its label when that is not the host's text.
    let metrics = out.metrics.is_some();
    let entries: Vec<_> = sums.iter().flat_map(|s| s.entries.iter()).collect();
    let entry_hosts: Vec<(Option<String>, Option<String>)> = entries
        .par_iter()
        .map(|((referrer, _), _)| {
            let text = crate::parse::Quoted { raw: referrer }.text();
            let host = sources::referrer_host(&text);
            let odd = match &host {
                Some(h) if metrics => odd_label(&text, h),
                _ => None,
            };
            (host, odd)
        })
        .collect();
    let mut by_referrer = ReferrerViews::default();
    for (((referrer, query), &(n, views)), (host, odd)) in entries.into_iter().zip(entry_hosts) {
        if metrics {
            by_referrer.entry(host.as_deref(), odd.as_deref(), &own, n);
        }
        let external = host.filter(|h| own.binary_search(h).is_err());
        let landing_query = (!query.is_empty()).then_some(&query[..]);
        let channel = sources::channel(landing_query, external.as_deref());
        *out.channels.entry(channel).or_default() += n;
        if let Some(m) = out.metrics.as_deref_mut() {
            // Page views by the channel of their visit.
            m.add_channel_pageviews(channel, views);
        }
        if let Some(name) = &external {
            *out.referrers.entry(name.clone()).or_default() += n;
            if channel == Channel::Search {
                let text = crate::parse::Quoted { raw: referrer }.text();
                if let Some(term) = sources::search_term(&text, name) {
                    *out.search_terms.entry(term).or_default() += n;
                }
            }
        }
        if let Some(campaign) = sources::campaign(landing_query) {
            *out.campaigns.entry(campaign).or_default() += n;
        }
    }
    if let Some(m) = out.metrics.as_deref_mut() {
        // The later page views' labels from the visits merged by text, as
        // over one run's: only for this format.
        let mut visits = Visits::default();
        for part in sums {
            visits.merge(part);
        }
        by_referrer.later(&visits, &own);
        m.referrer_pageviews = by_referrer.into_rows();
    }
    out.own_hosts = own;
    out.own_hosts_from = from;
}

/// Adds one day's visitor-days per language (SPEC §5) to `v`.
fn count_languages(day: &Day, day_counts: &DayCounts, v: &mut VisitFigures) {
    use crate::enrich::language::UNKNOWN_LANGUAGE;
    let unknown = day.languages.iter().position(|l| l == UNKNOWN_LANGUAGE);
    let mut counts = vec![0u64; day.languages.len()];
    // Visitors of the day whose language is unknown: by a header, or by a
    // page view of a layout without one; each counts once.
    let mut unknown_visitors = vec![false; day.visitors.len()];
    for &i in &day_counts.no_language {
        unknown_visitors[i as usize] = true;
    }
    for (&(language, visitor), _) in day.language_pairs.iter() {
        if Some(language as usize) == unknown {
            unknown_visitors[visitor as usize] = true;
        } else {
            counts[language as usize] += 1;
        }
    }
    for (name, &n) in day.languages.iter().zip(&counts) {
        if n > 0 {
            *v.languages.entry(name.clone()).or_default() += n;
        }
    }
    let n = unknown_visitors.iter().filter(|&&u| u).count() as u64;
    if n > 0 {
        *v.languages.entry(UNKNOWN_LANGUAGE.to_string()).or_default() += n;
    }
}
