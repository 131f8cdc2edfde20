//! Every series of [`Metrics`] as one flat map from (family, label
//! values) to a number, and back: the form in which a saved state keeps
//! running totals and folds label values by its own kept sets
//! ([`crate::state::metrics`]). A histogram is its cumulative buckets
//! (label `le` as the bound's index), its sum in µs and its count, each a
//! counter. The gauge (`last_log_time`) is no series here.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::fold::OTHER;
use super::goals::{FunnelStepSeries, GoalMetrics};
use super::{DurationSeries, KeptLabels, Metrics, RequestSeries, DURATION_BOUNDS_US};
use crate::aggregate::hit_metrics::METHOD_LABELS;
use crate::enrich::sources::Channel;
use crate::visits::metrics::{INTERNAL_REFERRER, NO_REFERRER};

/// A family, as a state stores it: variants are only ever added at the
/// end (their index is in saved states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Family {
    Requests,
    ResponseBytes,
    DurationBucket,
    DurationSumUs,
    DurationCount,
    Pageviews,
    PageviewsByReferrer,
    PageviewsByChannel,
    Visits,
    Visitors,
    Bounces,
    BotRequests,
    LogLines,
    GoalHits,
    GoalVisitors,
    GoalConversions,
    GoalConversionsByChannel,
    FunnelStepVisits,
}

/// A series: its family and label values, in the order written.
pub type Key = (Family, Vec<String>);

/// A label whose values come from the log, and the kept set it is
/// folded by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folded {
    Route,
    Vhost,
    Path,
    ReferrerHost,
    Bot,
}

impl Folded {
    pub const ALL: [Folded; 5] = [
        Folded::Route,
        Folded::Vhost,
        Folded::Path,
        Folded::ReferrerHost,
        Folded::Bot,
    ];

    pub fn set(self, kept: &KeptLabels) -> &BTreeSet<String> {
        match self {
            Folded::Route => &kept.routes,
            Folded::Vhost => &kept.vhosts,
            Folded::Path => &kept.paths,
            Folded::ReferrerHost => &kept.referrer_hosts,
            Folded::Bot => &kept.bots,
        }
    }

    pub fn set_mut(self, kept: &mut KeptLabels) -> &mut BTreeSet<String> {
        match self {
            Folded::Route => &mut kept.routes,
            Folded::Vhost => &mut kept.vhosts,
            Folded::Path => &mut kept.paths,
            Folded::ReferrerHost => &mut kept.referrer_hosts,
            Folded::Bot => &mut kept.bots,
        }
    }

    /// Values that are no log text: always kept, taking no place.
    pub fn fixed(self) -> &'static [&'static str] {
        match self {
            Folded::Vhost => &[""],
            Folded::ReferrerHost => &[NO_REFERRER, INTERNAL_REFERRER],
            _ => &[],
        }
    }

    /// The family and label position whose totals rank this label's
    /// values, as [`super::build`] ranks them: routes and virtual hosts by
    /// requests, paths and referrer hosts by page views, bots by requests.
    pub fn ranked_by(self) -> (Family, usize) {
        match self {
            Folded::Route => (Family::Requests, 3),
            Folded::Vhost => (Family::Requests, 0),
            Folded::Path => (Family::Pageviews, 0),
            Folded::ReferrerHost => (Family::PageviewsByReferrer, 0),
            Folded::Bot => (Family::BotRequests, 0),
        }
    }
}

impl Family {
    /// The folded labels of the family: (position, label).
    pub fn folded(self) -> &'static [(usize, Folded)] {
        match self {
            Family::Requests | Family::ResponseBytes => &[(0, Folded::Vhost), (3, Folded::Route)],
            Family::DurationBucket | Family::DurationSumUs | Family::DurationCount => {
                &[(0, Folded::Route)]
            }
            Family::Pageviews => &[(0, Folded::Path)],
            Family::PageviewsByReferrer => &[(0, Folded::ReferrerHost)],
            Family::BotRequests => &[(0, Folded::Bot)],
            _ => &[],
        }
    }
}

/// `key` with every folded label not in `kept` (nor fixed) shown as
/// [`OTHER`]; `None` for `kept` keeps every value (`--top 0`).
pub fn fold_key(key: &Key, kept: Option<&KeptLabels>) -> Key {
    let Some(kept) = kept else {
        return key.clone();
    };
    let mut labels = key.1.clone();
    for &(at, label) in key.0.folded() {
        if let Some(value) = labels.get_mut(at) {
            if !label.fixed().contains(&value.as_str()) && !label.set(kept).contains(value) {
                *value = OTHER.to_string();
            }
        }
    }
    (key.0, labels)
}

/// Series and their numbers, in no order.
pub type Flat = hashbrown::HashMap<Key, u64>;

/// Whether `key` is one series under `a` and another under `b` (as
/// [`fold_key`] folds it), without making either.
pub fn folds_apart(key: &Key, a: Option<&KeptLabels>, b: Option<&KeptLabels>) -> bool {
    let shown = |kept: Option<&KeptLabels>, label: Folded, value: &String| match kept {
        None => true,
        Some(k) => label.fixed().contains(&value.as_str()) || label.set(k).contains(value),
    };
    key.0.folded().iter().any(|&(at, label)| {
        key.1
            .get(at)
            .is_some_and(|v| v != OTHER && shown(a, label, v) != shown(b, label, v))
    })
}

/// Every series of `m` but the gauge.
pub fn flatten(m: &Metrics) -> Flat {
    let mut out = Flat::new();
    let mut put = |family: Family, labels: &[&str], n: u64| {
        let key = (family, labels.iter().map(|l| l.to_string()).collect());
        *out.entry(key).or_insert(0) += n;
    };
    for r in &m.requests {
        let labels = r.labels().map(|(_, v)| v);
        put(Family::Requests, &labels, r.requests);
        put(Family::ResponseBytes, &labels, r.bytes);
    }
    for d in &m.durations {
        for (i, &n) in d.buckets.iter().enumerate() {
            put(Family::DurationBucket, &[&d.route, &i.to_string()], n);
        }
        put(Family::DurationSumUs, &[&d.route], d.sum_us);
        put(Family::DurationCount, &[&d.route], d.count);
    }
    let one = |rows: &[(String, u64)], family, put: &mut dyn FnMut(Family, &[&str], u64)| {
        for (label, n) in rows {
            put(family, &[label], *n);
        }
    };
    one(&m.pageviews_by_path, Family::Pageviews, &mut put);
    one(
        &m.pageviews_by_referrer,
        Family::PageviewsByReferrer,
        &mut put,
    );
    one(&m.bot_requests, Family::BotRequests, &mut put);
    for &(channel, n) in &m.pageviews_by_channel {
        put(Family::PageviewsByChannel, &[channel], n);
    }
    for &(channel, n) in &m.visits_by_channel {
        put(Family::Visits, &[channel], n);
    }
    put(Family::Visitors, &[], m.visitors);
    put(Family::Bounces, &[], m.bounces);
    for (result, n) in m.lines {
        put(Family::LogLines, &[result], n);
    }
    if let Some(g) = &m.goals {
        one(&g.hits, Family::GoalHits, &mut put);
        one(&g.visitors, Family::GoalVisitors, &mut put);
        one(&g.conversions, Family::GoalConversions, &mut put);
        for (goal, channel, n) in &g.conversions_by_channel {
            put(Family::GoalConversionsByChannel, &[goal, channel], *n);
        }
        for s in &g.funnel_steps {
            put(
                Family::FunnelStepVisits,
                &[&s.funnel, &s.step, &s.step_name],
                s.visits,
            );
        }
    }
    out
}

/// The [`Metrics`] of `series` (as [`flatten`] makes them), with the
/// gauge and kept sets given.
pub fn unflatten(
    series: &BTreeMap<Key, u64>,
    last_log_time: Option<i64>,
    kept: KeptLabels,
) -> Metrics {
    let mut m = Metrics {
        last_log_time,
        kept,
        ..Metrics::default()
    };
    let mut requests: BTreeMap<&[String], (u64, u64)> = BTreeMap::new();
    let mut durations: BTreeMap<&str, DurationSeries> = BTreeMap::new();
    let mut lines: BTreeMap<&str, u64> = BTreeMap::new();
    let mut goals = GoalMetrics::default();
    let mut has_goals = false;
    for ((family, labels), &n) in series {
        let at = |i: usize| labels.get(i).cloned().unwrap_or_default();
        let route = labels.first().map_or("", String::as_str);
        match family {
            Family::Requests => requests.entry(labels).or_default().0 += n,
            Family::ResponseBytes => requests.entry(labels).or_default().1 += n,
            Family::DurationBucket => {
                let bucket = labels.get(1).and_then(|i| i.parse::<usize>().ok());
                if let Some(b) =
                    bucket.and_then(|b| duration_of(&mut durations, route).buckets.get_mut(b))
                {
                    *b += n;
                }
            }
            Family::DurationSumUs => duration_of(&mut durations, route).sum_us += n,
            Family::DurationCount => duration_of(&mut durations, route).count += n,
            Family::Pageviews => m.pageviews_by_path.push((at(0), n)),
            Family::PageviewsByReferrer => m.pageviews_by_referrer.push((at(0), n)),
            Family::PageviewsByChannel => m.pageviews_by_channel.push((channel_name(&at(0)), n)),
            Family::Visits => m.visits_by_channel.push((channel_name(&at(0)), n)),
            Family::Visitors => m.visitors += n,
            Family::Bounces => m.bounces += n,
            Family::BotRequests => m.bot_requests.push((at(0), n)),
            Family::LogLines => *lines.entry(route).or_default() += n,
            Family::GoalHits => goals.hits.push((at(0), n)),
            Family::GoalVisitors => goals.visitors.push((at(0), n)),
            Family::GoalConversions => goals.conversions.push((at(0), n)),
            Family::GoalConversionsByChannel => {
                (goals.conversions_by_channel).push((at(0), channel_name(&at(1)), n))
            }
            Family::FunnelStepVisits => goals.funnel_steps.push(FunnelStepSeries {
                funnel: at(0),
                step: at(1),
                step_name: at(2),
                visits: n,
            }),
        }
        has_goals |= *family >= Family::GoalHits && *family <= Family::FunnelStepVisits;
    }
    m.requests = requests
        .into_iter()
        .map(|(labels, (requests, bytes))| {
            let at = |i: usize| labels.get(i).cloned().unwrap_or_default();
            RequestSeries {
                vhost: at(0),
                method: static_label(&at(1), &METHOD_LABELS),
                status_class: at(2),
                route: at(3),
                requests,
                bytes,
            }
        })
        .collect();
    m.requests.sort_by(|a, b| a.labels().cmp(&b.labels()));
    m.durations = durations.into_values().collect();
    m.lines = ["blank", "filtered", "kept", "malformed"]
        .map(|result| (result, lines.get(result).copied().unwrap_or(0)));
    // Steps in the order of their funnel, by number.
    goals.funnel_steps.sort_by(|a, b| {
        (&a.funnel, a.step.len(), &a.step).cmp(&(&b.funnel, b.step.len(), &b.step))
    });
    m.goals = has_goals.then_some(goals);
    m
}

/// The duration series of `route`, made empty if it is not there yet.
fn duration_of<'a, 'm>(
    durations: &'m mut BTreeMap<&'a str, DurationSeries>,
    route: &'a str,
) -> &'m mut DurationSeries {
    durations.entry(route).or_insert_with(|| DurationSeries {
        route: route.to_string(),
        buckets: [0; DURATION_BOUNDS_US.len()],
        count: 0,
        sum_us: 0,
    })
}

/// The channel named `name`, as the `'static` text of [`Channel::ALL`].
fn channel_name(name: &str) -> &'static str {
    let names = Channel::ALL.map(|c| c.name());
    static_label(name, &names)
}

/// `text` as the `'static` one of `known` it equals; `_OTHER` (no
/// channel or method of this build: a state written by another) if none.
fn static_label(text: &str, known: &[&'static str]) -> &'static str {
    known
        .iter()
        .copied()
        .find(|k| *k == text)
        .unwrap_or("_OTHER")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flatten_then_unflatten_gives_the_metrics_back() {
        let m = Metrics {
            requests: vec![RequestSeries {
                vhost: "a.example".into(),
                method: "GET",
                status_class: "2xx".into(),
                route: "/x".into(),
                requests: 3,
                bytes: 300,
            }],
            durations: vec![DurationSeries {
                route: "/x".into(),
                buckets: [1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3],
                count: 3,
                sum_us: 270_000,
            }],
            pageviews_by_path: vec![("/x".into(), 2)],
            pageviews_by_referrer: vec![("(none)".into(), 2)],
            pageviews_by_channel: vec![("Direct", 2)],
            visits_by_channel: vec![("Direct", 1), ("Search", 0)],
            visitors: 1,
            bounces: 0,
            bot_requests: vec![("curl".into(), 1)],
            lines: [("blank", 0), ("filtered", 1), ("kept", 4), ("malformed", 2)],
            last_log_time: Some(7),
            kept: KeptLabels::default(),
            goals: Some(GoalMetrics {
                hits: vec![("g".into(), 1)],
                visitors: vec![("g".into(), 1)],
                conversions: vec![("g".into(), 1)],
                conversions_by_channel: vec![("g".into(), "Direct", 1)],
                funnel_steps: (1..=10)
                    .map(|k| FunnelStepSeries {
                        funnel: "f".into(),
                        step: k.to_string(),
                        step_name: "g".into(),
                        visits: 11 - k,
                    })
                    .collect(),
            }),
        };
        let flat = flatten(&m);
        assert_eq!(
            flat[&(Family::DurationBucket, vec!["/x".into(), "6".into()])],
            3
        );
        let sorted: BTreeMap<Key, u64> = flat.into_iter().collect();
        assert_eq!(unflatten(&sorted, Some(7), KeptLabels::default()), m);
    }

    #[test]
    fn folding_keeps_the_kept_and_fixed_values() {
        let mut kept = KeptLabels::default();
        kept.routes.insert("/a".into());
        let key = |vhost: &str, route: &str| {
            (
                Family::Requests,
                vec![vhost.into(), "GET".into(), "2xx".into(), route.into()],
            )
        };
        assert_eq!(fold_key(&key("", "/a"), Some(&kept)), key("", "/a"));
        assert_eq!(fold_key(&key("h", "/b"), Some(&kept)), key(OTHER, OTHER));
        assert_eq!(fold_key(&key("h", "/b"), None), key("h", "/b"));
        // folds_apart says what comparing the folds would.
        let mut other = KeptLabels::default();
        other.vhosts.insert("h".into());
        for k in [
            key("", "/a"),
            key("h", "/b"),
            key("h", "/a"),
            key("x", OTHER),
        ] {
            for (a, b) in [
                (Some(&kept), None),
                (Some(&kept), Some(&other)),
                (None, None),
            ] {
                assert_eq!(
                    folds_apart(&k, a, b),
                    fold_key(&k, a) != fold_key(&k, b),
                    "{k:?}"
                );
            }
        }
    }
}
