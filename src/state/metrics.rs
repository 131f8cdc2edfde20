//! The series of `--format prometheus` kept in a state, so that counters
//! only grow across runs, rotations and `--keep-days`.
//!
//! # What is kept
//!
//! - Per day, the requests and bytes by (virtual host, method, status
//!   class, route) of the day's lines: the per-hit cross-tab the day
//!   figures do not hold, dropped with its day.
//! - The values each folded label kept (route, virtual host, path,
//!   referrer host, bot), for the next run's fold (see
//!   [`fold`](crate::report::metrics::fold)).
//! - Per series written: the value written last, and its offset from
//!   what the days the state holds add up to for it.
//!
//! # How a series moves on
//!
//! Each run works out every series over the days the state holds (the
//! *held* figure, every label value unfolded), then writes for each
//! series its offset plus its held figure, and never less than it wrote
//! before:
//!
//! - **New lines** raise the held figures, so the series by as much.
//! - **Days dropped** by `--keep-days` take their figures out of the held
//!   ones; what they held moves into the offsets, so no counter goes down.
//! - **A value that enters the kept set** (it is among the `--top` with
//!   the largest totals over the held days) starts its series at its
//!   held figure: its total over the days the state holds. `other` keeps
//!   what it counted for it (its offset takes the value's held figure),
//!   so `other` does not go down either. The state keeps no figures per
//!   folded value between runs, so it cannot tell the counts of the run
//!   in which the value entered from those before: they stay in `other`
//!   too. Summed over a family, such a value's counts up to its entry
//!   are in both; `increase()` summed over the family stays exact, since
//!   Prometheus takes no increase from a series' first sample.
//! - **A value that leaves** (no longer among the first 2 × `--top`) ends
//!   its series; its held figure moves into `other` without raising it,
//!   and its later counts raise `other`. If it enters again it starts
//!   again at its held figure.
//! - **Visit-level series** (visits by channel, bounces, visitors, goal
//!   conversions and visitors, funnel steps, page views by referrer host
//!   and by channel) are worked out from the held days like the rest,
//!   open visits as they stand: page views by referrer host count each
//!   page view of the visits held by its own referrer
//!   ([`crate::state::referrers`]), those by channel count them under
//!   their visit's channel as it stands. A later line can lower such a
//!   figure (an open one-page visit that gets a second page view is no
//!   longer a bounce; a line earlier than an open visit's first page view
//!   becomes its entry and may give it another channel; the site's own
//!   hosts, when inferred from the log, can change and move page views
//!   between `(internal)` and a host): the series then holds its value
//!   until the figure has caught up, and is never lowered.
//! - **Lines** (`logstats_log_lines_total`) are counted per run, from
//!   the inputs' counts, and only added to.
//!
//! A state starts keeping series on its first `--format prometheus` run;
//! from then on every run keeps them up (other formats too), since a run
//! that dropped days without moving them into the offsets would lower a
//! counter. Requests and bytes by (virtual host, method, status class,
//! route) count the lines read from that first run on: a state made
//! earlier without them has no cross-tab of its older lines.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aggregate::pageviews::NO_VHOST;
use crate::aggregate::Figures;
use crate::enrich::route::route_of;
use crate::report::metrics::fold::Fold;
use crate::report::metrics::label::Labels;
use crate::report::metrics::series::{self, Family, Flat, Folded, Key};
use crate::report::metrics::{KeptLabels, Metrics};
use crate::scan::Counts;
use crate::text::{label_of, label_text};

/// (virtual host, method, status class, route) as label text.
type CellKey = (String, String, u8, String);

/// A day's requests and bytes per cell. A list, not a map: a state is
/// read on every run, and reading a map of text keys compares them (a
/// third of a run that finds 1 MiB on the generated log); only the days
/// a run adds to are made a map again.
type DayCells = Vec<(CellKey, (u64, u64))>;

/// What a state keeps of the series (see the module's documentation).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct MetricTotals {
    /// Per day (its start): requests and bytes per cell.
    pub(super) cells: BTreeMap<i64, DayCells>,
    /// The kept values of each folded label; `None` until the first run
    /// that writes series.
    kept: Option<KeptLabels>,
    /// `--top 0` at the last run: every value kept.
    all: bool,
    series: BTreeMap<Key, Running>,
}

/// One series' running total.
#[derive(Debug, Default, Clone, Copy, Serialize, Deserialize)]
struct Running {
    /// Added to the held figure: what dropped days and moved values took.
    offset: i64,
    /// The value written last.
    written: u64,
}

impl MetricTotals {
    /// Whether the state keeps series: every run then keeps them up.
    pub fn is_kept(&self) -> bool {
        self.kept.is_some()
    }

    /// Files the cross-tab of the new lines (counted by the scan) with
    /// their days, before the day figures are absorbed.
    pub fn record_cells(&mut self, days: &[(i64, Figures)]) {
        for (day, figures) in days {
            let Some(cells) = figures.metrics.as_deref() else {
                continue;
            };
            let day = self.cells.entry(*day).or_default();
            let mut mine: hashbrown::HashMap<CellKey, (u64, u64)> =
                std::mem::take(day).into_iter().collect();
            for (cell, counts) in cells.iter() {
                let key: CellKey = (
                    match cell.vhost {
                        NO_VHOST => String::new(),
                        id => label_text(figures.vhosts.key(id)).into_owned(),
                    },
                    cell.method_label().to_string(),
                    cell.class,
                    label_of(route_of(figures.paths.key(cell.path))).into_owned(),
                );
                let sum = mine.entry(key).or_default();
                sum.0 += counts.hits;
                sum.1 += counts.bytes;
            }
            *day = mine.into_iter().collect();
        }
    }

    /// The kept sets to fold by: `None` keeps every value.
    fn fold_by(&self) -> Option<&KeptLabels> {
        if self.all {
            None
        } else {
            self.kept.as_ref()
        }
    }

    /// Moves every series on from `held` (the held figures after days were
    /// dropped) and `before` (before, when days were dropped), adds the
    /// run's `lines`, and gives the series to write.
    pub(super) fn advance(
        &mut self,
        held: &Flat,
        before: Option<&Flat>,
        lines: Counts,
        top: usize,
        last_log_time: Option<i64>,
    ) -> Metrics {
        let started = self.is_kept();
        let old = self.fold_by().cloned();
        if let (true, Some(before)) = (started, before) {
            for (key, &was) in before {
                let now = held.get(key).copied().unwrap_or(0);
                if was > now {
                    let folded = series::fold_key(key, old.as_ref());
                    self.series.entry(folded).or_default().offset += (was - now) as i64;
                }
            }
        }
        let new = (top > 0).then(|| rank(held, top, old.as_ref().filter(|_| started)));
        if started {
            for (key, &n) in held {
                if series::folds_apart(key, old.as_ref(), new.as_ref()) {
                    let from = series::fold_key(key, old.as_ref());
                    let to = series::fold_key(key, new.as_ref());
                    if let Some(r) = self.series.get_mut(&from) {
                        r.offset += n as i64;
                    }
                    if let Some(r) = self.series.get_mut(&to) {
                        r.offset -= n as i64;
                    }
                }
            }
        }
        for (result, n) in [
            ("blank", lines.blank),
            ("filtered", lines.filtered),
            ("kept", lines.kept),
            ("malformed", lines.malformed),
        ] {
            let key = (Family::LogLines, vec![result.to_string()]);
            self.series.entry(key).or_default().offset += n as i64;
        }

        let mut sums = Flat::new();
        for (key, &n) in held {
            *sums.entry(series::fold_key(key, new.as_ref())).or_default() += n;
        }
        // Series of the new fold: those with held figures, and those
        // written before whose values are still kept.
        let old_keys: Vec<Key> = (self.series.keys())
            .filter(|k| series::fold_key(k, new.as_ref()) == **k)
            .cloned()
            .collect();
        let mut out: BTreeMap<Key, u64> = BTreeMap::new();
        let mut keys: Vec<Key> = sums.keys().cloned().chain(old_keys).collect();
        keys.sort_unstable();
        for key in keys {
            if out.contains_key(&key) {
                continue;
            }
            let held = sums.get(&key).copied().unwrap_or(0);
            let r = self.series.entry(key.clone()).or_default();
            let value = (r.offset as i128 + held as i128).clamp(0, u64::MAX as i128) as u64;
            r.written = r.written.max(value);
            out.insert(key, r.written);
        }
        self.series.retain(|k, _| out.contains_key(k));
        self.all = new.is_none();
        let kept = new.unwrap_or_default();
        self.kept = Some(kept.clone());
        series::unflatten(&out, last_log_time, kept)
    }
}

/// The kept values of each folded label over the held figures: the rule
/// of [`Fold::new`], with the last run's sets as `previous`.
fn rank(held: &Flat, top: usize, previous: Option<&KeptLabels>) -> KeptLabels {
    let mut kept = KeptLabels::default();
    for label in Folded::ALL {
        let (family, at) = label.ranked_by();
        let mut labels = Labels::default();
        for ((f, values), &n) in held {
            if *f != family {
                continue;
            }
            if let Some(v) = values.get(at) {
                labels.add(Cow::Borrowed(v.as_str()), n);
            }
        }
        let fold = Fold::new(&labels, top, previous.map(|p| label.set(p)), label.fixed());
        label.set_mut(&mut kept).clone_from(fold.kept());
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str, n: u64) -> (Key, u64) {
        ((Family::Pageviews, vec![p.to_string()]), n)
    }

    fn written(m: &Metrics) -> BTreeMap<String, u64> {
        m.pageviews_by_path.iter().cloned().collect()
    }

    fn run(t: &mut MetricTotals, held: &[(Key, u64)], before: Option<&[(Key, u64)]>) -> Metrics {
        let held: Flat = held.iter().cloned().collect();
        let before: Option<Flat> = before.map(|b| b.iter().cloned().collect());
        t.advance(&held, before.as_ref(), Counts::default(), 1, None)
    }

    #[test]
    fn a_value_that_enters_starts_at_its_held_total_and_other_keeps_its_part() {
        let mut t = MetricTotals::default();
        // Run 1: /a is the top 1; /b is other.
        let m = run(&mut t, &[path("/a", 5), path("/b", 2)], None);
        assert_eq!(written(&m), [("/a".into(), 5), ("other".into(), 2)].into());
        // Run 2: /b gains 6 (8 in all) and passes /a (6): it enters at 8;
        // other keeps what it counted for /b, this run's 6 included: 8.
        // /a stays (within 2 × top).
        let m = run(&mut t, &[path("/a", 6), path("/b", 8)], None);
        assert_eq!(
            written(&m),
            [("/a".into(), 6), ("/b".into(), 8), ("other".into(), 8)].into()
        );
        // Run 3: /b gains 1 in its own series; a third path raises other
        // by its 1 only.
        let m = run(&mut t, &[path("/a", 6), path("/b", 9), path("/c", 1)], None);
        assert_eq!(
            written(&m),
            [("/a".into(), 6), ("/b".into(), 9), ("other".into(), 9)].into()
        );
    }

    #[test]
    fn dropped_days_do_not_lower_a_counter() {
        let mut t = MetricTotals::default();
        run(&mut t, &[path("/a", 5), path("/b", 1)], None);
        // The day that held 4 of /a and the /b hit goes; 2 more come.
        let m = run(
            &mut t,
            &[path("/a", 3)],
            Some(&[path("/a", 7), path("/b", 1)]),
        );
        assert_eq!(written(&m), [("/a".into(), 7), ("other".into(), 1)].into());
    }

    #[test]
    fn referrer_hosts_fold_by_the_same_rule_and_fixed_labels_take_no_place() {
        let mut t = MetricTotals::default();
        let host = |h: &str, n| ((Family::PageviewsByReferrer, vec![h.to_string()]), n);
        let written = |m: &Metrics| -> BTreeMap<String, u64> {
            m.pageviews_by_referrer.iter().cloned().collect()
        };
        let want = |rows: &[(&str, u64)]| -> BTreeMap<String, u64> {
            rows.iter().map(|&(l, n)| (l.to_string(), n)).collect()
        };
        // Run 1: a.example is the top 1, b.example is other; (none) and
        // (internal) are always kept.
        let fixed = [host("(none)", 9), host("(internal)", 4)];
        let m = run(
            &mut t,
            &[&fixed[..], &[host("a.example", 3), host("b.example", 1)]].concat(),
            None,
        );
        let rows = [("(internal)", 4), ("(none)", 9), ("a.example", 3)];
        assert_eq!(written(&m), want(&[&rows[..], &[("other", 1)]].concat()));
        // Run 2: b.example passes a.example: it enters at 5, other keeps
        // the 5 it counted for it; a.example, second, stays.
        let m = run(
            &mut t,
            &[&fixed[..], &[host("a.example", 3), host("b.example", 5)]].concat(),
            None,
        );
        let more = [("b.example", 5), ("other", 5)];
        assert_eq!(written(&m), want(&[&rows[..], &more].concat()));
    }

    #[test]
    fn a_lower_visit_figure_holds_the_counter() {
        let mut t = MetricTotals::default();
        let bounces = |n| ((Family::Bounces, vec![]), n);
        assert_eq!(run(&mut t, &[bounces(3)], None).bounces, 3);
        assert_eq!(run(&mut t, &[bounces(2)], None).bounces, 3);
        assert_eq!(run(&mut t, &[bounces(4)], None).bounces, 4);
    }
}
