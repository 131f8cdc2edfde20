//! The figures of `--format prometheus`, ready to print: each metric
//! family as series of label values and numbers, with the label values
//! shown as text ([`label_text`]), numbered ([`label`]), bounded
//! ([`fold`]), cleared of client addresses, and sorted. Most come from the
//! report's own figures; those the tables do not hold are counted only
//! when this format is asked for: requests and bytes by (virtual host,
//! method, status class, route) while lines are scanned
//! ([`hit_metrics`]), page views by channel and by referrer host during
//! the visit walk ([`visits::metrics`](crate::visits::metrics)). Built by
//! the report, which carries them to the renderer; depends on what
//! [`report`](crate::report) depends on.

pub mod fold;
pub mod goals;
pub mod label;
pub mod series;

use std::borrow::Cow;
use std::collections::BTreeSet;

use hashbrown::HashMap;

use crate::aggregate::hit_metrics;
use crate::aggregate::pageviews::NO_VHOST;
use crate::aggregate::Figures;
use crate::enrich::privacy::Redactor;
use crate::enrich::route::route_of;
use crate::enrich::sources::Channel;
use crate::scan::Counts as LineCounts;
use crate::text::{label_of, label_text};
use crate::visits::metrics::{INTERNAL_REFERRER, NO_REFERRER};
use crate::visits::VisitFigures;
use fold::{Fold, OTHER};
use label::Labels;

/// OpenTelemetry's buckets for `http.server.request.duration`, in µs.
pub const DURATION_BOUNDS_US: [u64; 14] = [
    5_000, 10_000, 25_000, 50_000, 75_000, 100_000, 250_000, 500_000, 750_000, 1_000_000,
    2_500_000, 5_000_000, 7_500_000, 10_000_000,
];

/// The figures of every family. Label values are final text (the
/// renderer only escapes them for the format); series are sorted by
/// their label values, and no two of a family have the same ones.
#[derive(Debug, Default, PartialEq)]
pub struct Metrics {
    /// Requests and bytes by virtual host, method, status class and route.
    pub requests: Vec<RequestSeries>,
    /// Response times per route; empty when no hit had a time.
    pub durations: Vec<DurationSeries>,
    pub pageviews_by_path: Vec<(String, u64)>,
    pub pageviews_by_referrer: Vec<(String, u64)>,
    pub pageviews_by_channel: Vec<(&'static str, u64)>,
    pub visits_by_channel: Vec<(&'static str, u64)>,
    /// Visitor-days: the summary's `visitors` (SPEC §3).
    pub visitors: u64,
    pub bounces: u64,
    pub bot_requests: Vec<(String, u64)>,
    /// Lines by where they went (SPEC §1): kept, filtered, malformed,
    /// blank. They add up to all lines.
    pub lines: [(&'static str, u64); 4],
    /// The latest time of a kept line, Unix seconds.
    pub last_log_time: Option<i64>,
    /// The values each folded label kept, for the next run (see [`fold`]).
    pub kept: KeptLabels,
    /// Goals and funnels, when some are given (see [`goals`]).
    pub goals: Option<goals::GoalMetrics>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSeries {
    /// Empty for a line whose layout logs no virtual host.
    pub vhost: String,
    pub method: &'static str,
    pub status_class: String,
    pub route: String,
    pub requests: u64,
    pub bytes: u64,
}

impl RequestSeries {
    /// `(label, value)` of each label, in the order they are written.
    pub fn labels(&self) -> [(&'static str, &str); 4] {
        [
            ("vhost", &self.vhost),
            ("method", self.method),
            ("status_class", &self.status_class),
            ("route", &self.route),
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationSeries {
    pub route: String,
    /// Hits with a time of at most each of [`DURATION_BOUNDS_US`]:
    /// cumulative, as the format's `le` buckets are.
    pub buckets: [u64; DURATION_BOUNDS_US.len()],
    pub count: u64,
    pub sum_us: u64,
}

/// The values kept by each folded label: what a state would hand the
/// next run as `previous` (see [`fold`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeptLabels {
    pub routes: BTreeSet<String>,
    pub vhosts: BTreeSet<String>,
    pub paths: BTreeSet<String>,
    pub referrer_hosts: BTreeSet<String>,
    pub bots: BTreeSet<String>,
}

/// What [`build`] reads besides the figures.
pub struct MetricsInput<'a> {
    pub visits: &'a VisitFigures,
    /// The lines of every input, added up.
    pub lines: LineCounts,
    /// `--top`: values kept per folded label; 0 keeps all.
    pub top: usize,
    pub redactor: &'a Redactor,
    /// The values kept by the previous run (from a state), if any.
    pub previous: Option<&'a KeptLabels>,
}

/// Every family, from the merged figures of the run and its visit
/// figures (built with their `metrics` options, or their families are
/// empty).
pub fn build(figures: &Figures, input: &MetricsInput<'_>) -> Metrics {
    let v = input.visits;
    let shown = Shown {
        top: input.top,
        redactor: input.redactor,
    };
    let previous = |pick: fn(&KeptLabels) -> &BTreeSet<String>| input.previous.map(pick);
    let mut kept = KeptLabels::default();

    // Routes rank by hits, as the routes table does.
    let mut routes = Labels::default();
    let route_of_path: Vec<u32> = (figures.paths.iter())
        .map(|(path, stats)| routes.add(label_of(route_of(path)), stats.hits))
        .collect();
    let (route_shown, route_names) =
        shown.fold(&routes, previous(|k| &k.routes), &[], &mut kept.routes);
    let route_of_path: Vec<u32> = route_of_path
        .into_iter()
        .map(|r| route_shown[r as usize])
        .collect();

    let visit_metrics = v.metrics.as_deref();
    let one_label = |pairs: &mut dyn ExactSizeIterator<Item = (Cow<'_, str>, u64)>,
                     previous: Option<&BTreeSet<String>>,
                     fixed: &[&str],
                     kept: &mut BTreeSet<String>| {
        let mut labels = Labels::with_capacity(pairs.len());
        for (label, n) in pairs {
            labels.add(label, n);
        }
        shown.sum_by_label(&labels, previous, fixed, kept)
    };
    let pageviews_by_path = one_label(
        &mut v
            .pages
            .iter()
            .map(|(&id, &(pageviews, _))| (label_text(figures.paths.key(id)), pageviews)),
        previous(|k| &k.paths),
        &[],
        &mut kept.paths,
    );
    let (referrers, bots) = match visit_metrics {
        Some(m) => (&m.referrer_pageviews[..], &m.bots[..]),
        None => (&[][..], &[][..]),
    };
    let pageviews_by_referrer = one_label(
        &mut referrers
            .iter()
            .map(|(l, n)| (Cow::Borrowed(l.as_str()), *n)),
        previous(|k| &k.referrer_hosts),
        &[NO_REFERRER, INTERNAL_REFERRER],
        &mut kept.referrer_hosts,
    );
    let bot_requests = one_label(
        &mut bots.iter().map(|(l, n)| (Cow::Borrowed(l.as_str()), *n)),
        previous(|k| &k.bots),
        &[],
        &mut kept.bots,
    );
    let by_channel = |counts: &dyn Fn(Channel) -> u64| -> Vec<(&'static str, u64)> {
        let mut rows: Vec<_> = Channel::ALL
            .iter()
            .map(|&c| (c.name(), counts(c)))
            .collect();
        rows.sort();
        rows
    };
    let lines = input.lines;
    Metrics {
        requests: requests(
            figures,
            &shown,
            &route_of_path,
            &route_names,
            previous(|k| &k.vhosts),
            &mut kept.vhosts,
        ),
        durations: durations(figures, &route_of_path, &route_names),
        pageviews_by_path,
        pageviews_by_referrer,
        pageviews_by_channel: by_channel(&|c| {
            visit_metrics.map_or(0, |m| m.channel_pageviews.get(&c).copied().unwrap_or(0))
        }),
        visits_by_channel: by_channel(&|c| v.channels.get(&c).copied().unwrap_or(0)),
        visitors: v.visitors,
        bounces: v.bounces,
        bot_requests,
        lines: [
            ("blank", lines.blank),
            ("filtered", lines.filtered),
            ("kept", lines.kept),
            ("malformed", lines.malformed),
        ],
        last_log_time: figures.last_time,
        kept,
        goals: None,
    }
}

/// How folded labels are shown: the rule of [`fold`] with `--top`, then
/// client addresses anonymised (as the report's tables are).
struct Shown<'a> {
    top: usize,
    redactor: &'a Redactor,
}

impl Shown<'_> {
    /// Folds `labels` and numbers what each is shown as: the number of
    /// each label's shown text, and those texts. Only kept labels are
    /// redacted, a few dozen however many the log has. The kept values
    /// are put in `kept`.
    fn fold(
        &self,
        labels: &Labels<'_>,
        previous: Option<&BTreeSet<String>>,
        fixed: &[&str],
        kept: &mut BTreeSet<String>,
    ) -> (Vec<u32>, Vec<String>) {
        let fold = Fold::new(labels, self.top, previous, fixed);
        let mut names: Vec<String> = Vec::new();
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut other = None;
        let shown = (labels.iter())
            .map(|(label, _)| {
                let show = fold.show(label);
                if show == OTHER {
                    if let Some(id) = other {
                        return id;
                    }
                }
                let text = self.redactor.redact(show);
                let next = names.len() as u32;
                let id = *ids.entry(text).or_insert_with_key(|t| {
                    names.push(t.clone());
                    next
                });
                if show == OTHER {
                    other = Some(id);
                }
                id
            })
            .collect();
        kept.clone_from(fold.kept());
        (shown, names)
    }

    /// A family of one folded label whose values are the labels' totals:
    /// `(shown text, total)`, sorted by text.
    fn sum_by_label(
        &self,
        labels: &Labels<'_>,
        previous: Option<&BTreeSet<String>>,
        fixed: &[&str],
        kept: &mut BTreeSet<String>,
    ) -> Vec<(String, u64)> {
        let (shown, names) = self.fold(labels, previous, fixed, kept);
        let mut sums = vec![0u64; names.len()];
        for (&id, (_, total)) in shown.iter().zip(labels.iter()) {
            sums[id as usize] += total;
        }
        let mut rows: Vec<(String, u64)> = names.into_iter().zip(sums).collect();
        rows.sort();
        rows
    }
}

/// Requests and bytes by (virtual host, method, status class, route)
/// from the cross-tab counted per hit; none when it was not counted.
fn requests(
    figures: &Figures,
    shown: &Shown<'_>,
    route_of_path: &[u32],
    route_names: &[String],
    previous: Option<&BTreeSet<String>>,
    kept: &mut BTreeSet<String>,
) -> Vec<RequestSeries> {
    let Some(cells) = figures.metrics.as_deref() else {
        return Vec::new();
    };
    // Virtual hosts rank by hits, as the vhosts table does. A layout
    // without one shows an empty value, which Prometheus reads as no label.
    let mut vhosts = Labels::default();
    let vhost_label: Vec<u32> = (figures.vhosts.iter())
        .map(|(host, &hits)| vhosts.add(label_text(host), hits))
        .collect();
    let no_vhost = vhosts.add(Cow::Borrowed(""), 0);
    let (vhost_shown, vhost_names) = shown.fold(&vhosts, previous, &[""], kept);
    // Keyed by the method's label: `-` and the methods outside the nine
    // are one `_OTHER`.
    let mut series: HashMap<(u32, &'static str, u8, u32), hit_metrics::Counts> = HashMap::new();
    for (cell, counts) in cells.iter() {
        let vhost = match cell.vhost {
            NO_VHOST => no_vhost,
            id => vhost_label[id as usize],
        };
        let key = (
            vhost_shown[vhost as usize],
            cell.method_label(),
            cell.class,
            route_of_path[cell.path as usize],
        );
        let sum = series.entry(key).or_default();
        sum.hits += counts.hits;
        sum.bytes += counts.bytes;
    }
    let mut rows: Vec<RequestSeries> = series
        .into_iter()
        .map(|((vhost, method, class, route), counts)| RequestSeries {
            vhost: vhost_names[vhost as usize].clone(),
            method,
            status_class: hit_metrics::class_label(class),
            route: route_names[route as usize].clone(),
            requests: counts.hits,
            bytes: counts.bytes,
        })
        .collect();
    rows.sort_by(|a, b| a.labels().cmp(&b.labels()));
    rows
}

/// The response times of each shown route, from its paths' histograms.
fn durations(
    figures: &Figures,
    route_of_path: &[u32],
    route_names: &[String],
) -> Vec<DurationSeries> {
    let mut by_route: Vec<Option<DurationSeries>> = vec![None; route_names.len()];
    for ((_, stats), &route) in figures.paths.iter().zip(route_of_path) {
        let Some(times) = &stats.latency else {
            continue;
        };
        let series = by_route[route as usize].get_or_insert_with(|| DurationSeries {
            route: route_names[route as usize].clone(),
            buckets: [0; DURATION_BOUNDS_US.len()],
            count: 0,
            sum_us: 0,
        });
        // A path's histogram holds its first 64 times as they are, then
        // buckets under 1/128 wide: a bucket is placed by its lowest time,
        // so that one holding a bound counts under it. Times in whole
        // milliseconds (nginx's $request_time) are then placed exactly up
        // to the 0.25 s bound, where a bucket holds at most one of them;
        // past it, and for finer times, a time at most 1/128 over a bound
        // may count under it. The sum takes each bucket's middle.
        times.for_each_range(|low, high, n| {
            let first = DURATION_BOUNDS_US.partition_point(|&bound| bound < low);
            if let Some(bucket) = series.buckets.get_mut(first) {
                *bucket += n;
            }
            series.count += n;
            let middle = low + (high - low) / 2;
            series.sum_us = series.sum_us.saturating_add(middle.saturating_mul(n));
        });
    }
    let mut rows: Vec<DurationSeries> = by_route.into_iter().flatten().collect();
    for series in &mut rows {
        for i in 1..series.buckets.len() {
            series.buckets[i] += series.buckets[i - 1];
        }
    }
    rows.sort_by(|a, b| a.route.cmp(&b.route));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::latency::Latency;

    /// The duration series of one path with `times` (µs), counted as the
    /// format's `le` buckets are by definition: times at most each bound.
    fn one_path(times: &[u64]) -> (DurationSeries, Vec<u64>) {
        let mut figures = Figures::default();
        let mut latency = Latency::default();
        times.iter().for_each(|&t| latency.record(t));
        figures.paths.intern(b"/x").1.latency = Some(Box::new(latency));
        let series = durations(&figures, &[0], &["/x".to_string()]);
        let exact = DURATION_BOUNDS_US
            .iter()
            .map(|&b| times.iter().filter(|&&t| t <= b).count() as u64)
            .collect();
        (series.into_iter().next().unwrap(), exact)
    }

    #[test]
    fn whole_milliseconds_are_counted_exactly_up_to_a_quarter_second() {
        // Times in whole ms (nginx's $request_time) at, below and above
        // each bound up to 0.25 s: far more than a histogram keeps as
        // they are.
        let mut times = Vec::new();
        for &bound in &DURATION_BOUNDS_US[..7] {
            for t in [bound - 1000, bound, bound + 1000] {
                times.extend(std::iter::repeat_n(t, 30));
            }
        }
        let (series, exact) = one_path(&times);
        assert_eq!(series.buckets[..7], exact[..7]);
        assert_eq!(series.count, times.len() as u64);
        // The sum takes the middle of each bucket: within 1/256.
        let sum: u64 = times.iter().sum();
        assert!(series.sum_us.abs_diff(sum) as f64 <= sum as f64 / 256.0);
    }

    #[test]
    fn other_times_are_off_by_at_most_those_within_1_128_over_a_bound() {
        let mut x = 7u64;
        let times: Vec<u64> = (0..20_000)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                1000 + (x >> 33) % 12_000_000
            })
            .collect();
        let (series, exact) = one_path(&times);
        for (i, &bound) in DURATION_BOUNDS_US.iter().enumerate() {
            let near = times
                .iter()
                .filter(|&&t| t > bound && t <= bound + bound / 128)
                .count() as u64;
            let got = series.buckets[i];
            assert!(
                exact[i] <= got && got <= exact[i] + near,
                "le {bound}: {got}, exactly {}",
                exact[i]
            );
        }
        let sum: u64 = times.iter().sum();
        assert!(series.sum_us.abs_diff(sum) as f64 <= sum as f64 / 256.0);
    }
}
