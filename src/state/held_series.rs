//! The Prometheus series over the days a state holds, and how a run
//! moves the running totals of [`metrics`](super::metrics) on from them:
//! the part of keeping series that needs the whole state (its report, its
//! days, its key), apart from the totals the state is made of.

use crate::aggregate::hit_metrics::class_label;
use crate::enrich::privacy::Redactor;
use crate::report::metrics::series::{self, Family, Flat};
use crate::report::model::InputRow;
use crate::report::{Report, ReportOptions};
use crate::scan::Counts;

use super::saved::State;
use super::summed::Summed;

/// The report over every day the state holds, every value unfolded, and
/// its series as a flat map (lines left out: they are no held figure).
/// `(sums, summed)`: the sums of the first `summed` days, as
/// [`State::settled_sums`] gave them (none: the report sums every day).
fn held(
    state: &State,
    (sums, summed): (Summed, usize),
    rows: Vec<InputRow>,
    opts: &ReportOptions<'_>,
) -> (Report, Held) {
    let all = ReportOptions {
        top: 0,
        metrics: true,
        ..*opts
    };
    let (mut report, hashed) = state.report_with(sums, summed, rows, &all);
    let m = report.metrics.take().map(|m| *m).unwrap_or_default();
    let mut flat = series::flatten(&m);
    flat.retain(|(f, _), _| *f != Family::LogLines);
    // The state's report has its bots as a table; its visit figures hold
    // no per-bot series.
    if !flat.keys().any(|(f, _)| *f == Family::BotRequests) {
        for b in &report.bots {
            *flat
                .entry((Family::BotRequests, vec![b.name.clone()]))
                .or_default() += b.hits;
        }
    }
    let redactor = Redactor::hashed(hashed, opts.show_ips);
    // The days' cells added up first, and each distinct host and route
    // redacted once.
    let mut cells: hashbrown::HashMap<(&str, &str, u8, &str), (u64, u64)> = Default::default();
    for day in state.metrics.cells.values() {
        for ((vhost, method, class, route), (hits, bytes)) in day {
            let sum = cells.entry((vhost, method, *class, route)).or_default();
            sum.0 += hits;
            sum.1 += bytes;
        }
    }
    let mut shown: hashbrown::HashMap<&str, String> = Default::default();
    for ((vhost, method, class, route), (hits, bytes)) in cells {
        let mut show = |text| {
            (shown.entry(text))
                .or_insert_with(|| redactor.redact(text))
                .clone()
        };
        let labels = vec![
            show(vhost),
            method.to_string(),
            class_label(class),
            show(route),
        ];
        for (family, n) in [(Family::Requests, hits), (Family::ResponseBytes, bytes)] {
            *flat.entry((family, labels.clone())).or_default() += n;
        }
    }
    let last_log_time = m.last_log_time;
    (
        report,
        Held {
            series: flat,
            last_log_time,
        },
    )
}

/// The series over the days a state holds.
pub struct Held {
    series: Flat,
    last_log_time: Option<i64>,
}

/// Before `--keep-days N` drops days: the held series, when some day
/// (of the state or of its cross-tab) is about to go.
pub fn before_drop(state: &State, keep: Option<u32>, opts: &ReportOptions<'_>) -> Option<Held> {
    let first = state.first_day_to_keep(keep?)?;
    let drops = state.days.keys().next().is_some_and(|&d| d < first)
        || state
            .metrics
            .cells
            .keys()
            .next()
            .is_some_and(|&d| d < first);
    drops.then(|| held(state, Default::default(), Vec::new(), opts).1)
}

/// Moves the running totals on, after days were dropped (`before`: from
/// [`before_drop`]), from the report over every day the state holds.
/// With `is_the_report` (the run's format is prometheus) that report,
/// whose `metrics` are the running totals, is the run's and takes `rows`;
/// else it is dropped and `rows` given back. `settled`: the sums of the
/// settled days and how many they are, as for [`held`].
pub fn report(
    state: &mut State,
    rows: Vec<InputRow>,
    is_the_report: bool,
    opts: &ReportOptions<'_>,
    before: Option<Held>,
    settled: Option<(Summed, usize)>,
) -> (Option<Report>, Vec<InputRow>) {
    if let Some(first) = state.first_kept_day {
        state.metrics.cells = state.metrics.cells.split_off(&first);
    }
    let mut lines = Counts::default();
    for row in &rows {
        lines.merge(&row.counts);
    }
    let (given, rows) = match is_the_report {
        true => (rows, Vec::new()),
        false => (Vec::new(), rows),
    };
    let (mut report, now) = held(state, settled.unwrap_or_default(), given, opts);
    let metrics = state.metrics.advance(
        &now.series,
        before.as_ref().map(|b| &b.series),
        lines,
        opts.top,
        now.last_log_time,
    );
    report.metrics = Some(Box::new(metrics));
    (is_the_report.then_some(report), rows)
}
