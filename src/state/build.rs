//! The report over everything a state holds: its sums become the
//! hit-level [`Figures`] and the [`VisitFigures`] a one-shot run would
//! have computed, and [`report::assemble`] does the rest, so that both
//! kinds of run print through one path.

use std::mem::take;

use hashbrown::HashMap;

use crate::aggregate::server_errors::ErrorCell;
use crate::aggregate::Figures;
use crate::enrich::privacy::{HashedClients, Redactor};
use crate::enrich::sources::{self, Channel};
use crate::enrich::zone::{Bucket, ReportZone};
use crate::report::model::{ClientRow, InputRow, MalformedSample};
use crate::report::{self, GivenVisits, Report, ReportOptions};
use crate::visits::marks::{MarkTally, Spans};
use crate::visits::{OwnHostsFrom, VisitFigures};

use super::absorb::{add_visit, span, split_visits, HostCache, ViewRef};
use super::day_counts;
use super::entries::{self, EntryGroups};
use super::marks::{self, DayMarks};
use super::model::Visits;
use super::referrers::ReferrerViews;
use super::saved::State;
use super::summed::Summed;

impl State {
    /// The report over every day kept; `rows` are this run's inputs.
    pub fn report(&self, rows: Vec<InputRow>, opts: &ReportOptions<'_>) -> Report {
        self.report_with(Summed::default(), 0, rows, opts).0
    }

    /// The report over every day kept, from `sums`, the sums of the first
    /// `summed` days (see [`super::settled`]), and the days after them;
    /// with the clients it redacted as.
    pub fn report_with(
        &self,
        mut sums: Summed,
        summed: usize,
        rows: Vec<InputRow>,
        opts: &ReportOptions<'_>,
    ) -> (Report, HashedClients) {
        let zone = self.report_zone().or(opts.zone).unwrap_or(ReportZone::UTC);
        let starts: Vec<i64> = self.days.keys().skip(summed).copied().collect();
        let rest = self.days.read(&starts);
        sums.add_days(&rest);
        let mut figures = Figures::default();
        let mut v = VisitFigures::default();
        // Hit-level sums.
        if let Some((first, last)) = sums.hit_times {
            figures.first_time = Some(first);
            figures.last_time = Some(last);
        }
        figures.total.merge(&sums.total);
        for (&slot, traffic) in sums.slots.iter() {
            figures.count_slot(slot, traffic);
        }
        for (&status, &hits) in sums.status.iter() {
            figures.count_status(status, hits);
        }
        for (method, &hits) in sums.methods.iter() {
            figures.count_method(method, hits);
        }
        figures.paths = take(sums.paths.map());
        figures.static_hits = sums.static_hits;
        for (&(slot, path, ref method), &(count, first, last)) in sums.errors.iter() {
            let cell = ErrorCell { count, first, last };
            figures.server_errors.add_cell(slot, path, method, cell);
        }
        figures.vhosts = take(sums.vhosts.map());
        let mut totals = take(&mut sums.totals);
        v.bot_hits = sums.bots.iter().map(|(_, &n)| n).sum();
        v.bots = take(&mut sums.bots).collect();
        let clients: HashMap<String, u64> = take(&mut sums.clients).collect();
        let hashed = HashedClients::new(self.key, take(&mut sums.client_hashes));

        // Visitor-level counts.
        v.pageviews = sums.pageviews;
        v.visitors = sums.visitors;
        // SPEC §5: with the header logged, page views of a layout without
        // it are of an unknown language, once some page view had one.
        if self.logs_languages && sums.has_languages {
            v.languages = take(&mut sums.languages).collect();
        }
        v.countries = take(&mut sums.countries).collect();
        v.devices = take(&mut sums.devices).collect();
        v.browsers = take(&mut sums.browsers).collect();
        v.os = take(&mut sums.os).collect();
        let bucket = match sums.period {
            Some((first, last)) => Bucket::for_period(first, last),
            None => Bucket::Hour,
        };
        let buckets = match bucket {
            Bucket::Day => &mut sums.by_day,
            Bucket::Hour => &mut sums.by_hour,
        };
        v.buckets = take(buckets).collect();
        for (id, &(views, visitors)) in (0u32..).zip(&sums.pages) {
            if views > 0 {
                v.pages.insert(id, (views, visitors));
            }
        }
        for (id, &(views, visitors)) in (0u32..).zip(&sums.hosts) {
            if visitors > 0 {
                v.vhosts.insert(id, (views, visitors));
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
        let saved_entries = take(&mut sums.entries);
        let sums: Vec<&Visits> = std::iter::once(&sums.visits)
            .chain(rest.iter().map(|(_, d)| &d.visits))
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
        attribute_sources(&figures, opts.sites, &sums, &saved_entries, &mut v);
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
            redactor: Redactor::hashed(hashed.clone(), opts.show_ips),
        };
        let logs_languages = self.logs_languages;
        let report = report::assemble(
            rows,
            samples,
            figures,
            zone,
            opts,
            logs_languages,
            Some(given),
        );
        (report, hashed)
    }
}

/// Adds `n` to the count of `key` in `map`, the key copied only when new.
fn add_count(map: &mut std::collections::HashMap<String, u64>, key: &str, n: u64) {
    match map.get_mut(key) {
        Some(count) => *count += n,
        None => {
            map.insert(key.to_string(), n);
        }
    }
}

/// Own hosts (SPEC §4), then the referrer, channel, search term and
/// campaign of every visit, from its entry, as [`crate::visits`] does for
/// one run.
fn attribute_sources(
    figures: &Figures,
    sites: &[String],
    sums: &[&Visits],
    saved: &EntryGroups,
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
    // Entries grouped by what the report makes of them (their referrers
    // parsed once, in parallel), beside the groups saved for the settled
    // days; each group is counted from each (every figure is a sum).
    let metrics = out.metrics.is_some();
    let mut grouped = HashMap::new();
    entries::add_groups(sums, &mut grouped);
    let mut by_referrer = ReferrerViews::default();
    for (key, &(n, views)) in saved.iter().chain(grouped.iter()) {
        let host = key.host.as_deref();
        if metrics {
            by_referrer.entry(host, key.odd_label.as_deref(), &own, n, views);
        }
        let external = host.filter(|h| own.binary_search_by(|o| o.as_str().cmp(h)).is_err());
        let channel = sources::channel_given(key.tagged, external);
        *out.channels.entry(channel).or_default() += n;
        if let Some(m) = out.metrics.as_deref_mut() {
            // Page views by the channel of their visit.
            m.add_channel_pageviews(channel, views);
        }
        if let Some(name) = external {
            add_count(&mut out.referrers, name, n);
            if channel == Channel::Search {
                if let Some(term) = &key.search_term {
                    add_count(&mut out.search_terms, term, n);
                }
            }
        }
        if let Some(campaign) = &key.campaign {
            *out.campaigns.entry(campaign.clone()).or_default() += n;
        }
    }
    if let Some(m) = out.metrics.as_deref_mut() {
        // The later page views' labels: only for this format.
        by_referrer.later(sums, &own);
        m.referrer_pageviews = by_referrer.into_rows();
    }
    out.own_hosts = own;
    out.own_hosts_from = from;
}
