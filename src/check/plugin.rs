//! The verdict as a monitoring plugin prints it: a first line for the
//! pager, `LOGSTATS STATE - summary | perfdata`, then details. Performance
//! data follows the plugin guidelines: `'label'=value[UOM];[warn];[crit];
//! [min];[max]`, thresholds as ranges (`5` alerts above 5, `10:` below 10).
//!
//! Route names come from the log: control characters are escaped, and so
//! is `|`, which would start the performance data.

use super::checked::{Checked, Followed};
use super::condition::{Condition, Limit, Metric, Op};
use super::evaluate::{Figures, Judgement, Outcome, Scope};
use super::figures::RouteName;
use super::status::Status;
use crate::output::table::thousands;
use crate::text::terminal_safe;

/// `LOGSTATS UNKNOWN - message`, for a check that could not judge; the
/// lines of a longer message follow as details.
pub fn unknown(message: &str) -> String {
    let mut lines = message.lines();
    let mut out = format!(
        "LOGSTATS UNKNOWN - {}\n",
        plugin_safe(lines.next().unwrap_or_default())
    );
    for line in lines {
        out.push_str(&plugin_safe(line));
        out.push('\n');
    }
    out
}

/// The first line, then the details.
pub fn render(c: &Checked) -> String {
    let mut out = format!(
        "LOGSTATS {} - {} | {}\n",
        c.verdict.status.name(),
        summary(c),
        perfdata(c)
    );
    for line in details(c) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The first line without its state and performance data.
pub fn summary(c: &Checked) -> String {
    let v = &c.verdict;
    let f = &v.figures;
    let conditions: Vec<&Condition> = c.rules.warn.iter().chain(&c.rules.crit).collect();
    let has = |m: Metric| conditions.iter().any(|x| x.metric == m);
    let since = |m: Metric| {
        (v.judgements.iter())
            .filter(|j| j.condition.metric == m && j.breached() && j.route == v.subject)
            .find_map(|j| j.since)
            .map(|t| format!(" since {}", clock(c, t, false)))
            .unwrap_or_default()
    };
    let mut parts = Vec::new();
    let mut errors = format!(
        "5xx {} ({}/{}){}",
        percent(f.rate_5xx),
        f.status_5xx,
        f.hits,
        since(Metric::Rate5xx)
    );
    if let Some((name, n)) = &v.mostly {
        errors.push_str(&format!(", mostly {} ({n})", route(name)));
    }
    parts.push(errors);
    if has(Metric::Rate4xx) {
        parts.push(format!(
            "4xx {} ({}/{}){}",
            percent(f.rate_4xx),
            f.status_4xx,
            f.hits,
            since(Metric::Rate4xx)
        ));
    }
    if let Some(ms) = f.p95_ms {
        parts.push(format!("p95 {}{}", duration(ms), since(Metric::P95)));
    }
    if let Some(ms) = f.p99_ms.filter(|_| has(Metric::P99)) {
        parts.push(format!("p99 {}{}", duration(ms), since(Metric::P99)));
    }
    if has(Metric::Hits) {
        // With --each-route, hits are judged on all of them.
        let hits = match c.rules.scope {
            Scope::EachRoute => v.site.hits,
            _ => f.hits,
        };
        parts.push(format!("hits {}", thousands(hits)));
    }
    if has(Metric::Malformed) {
        parts.push(format!(
            "malformed {} ({}/{})",
            percent(f.rate_malformed),
            f.malformed,
            f.lines
        ));
    }
    let few = (v.judgements.iter()).any(|j| {
        matches!(
            j.outcome,
            Outcome::TooFew {
                baseline: false,
                ..
            }
        )
    });
    if few {
        parts.push(format!(
            "rates not judged under --min-hits {}",
            c.rules.min_hits
        ));
    }
    let lead = match (&v.subject, &c.rules.scope) {
        (Some(name), _) => format!("{}: ", route(name)),
        (None, Scope::Route(glob)) => format!("{}: ", plugin_safe(glob)),
        (None, _) => String::new(),
    };
    let mut line = lead + &parts.join("; ");
    if v.subject.is_some() {
        let s = &v.site;
        line.push_str(&format!(
            " (all routes: 5xx {} of {} hits)",
            percent(s.rate_5xx),
            thousands(s.hits)
        ));
    }
    line
}

/// Performance data: the figures of the scope (of all hits with
/// `--each-route`), with the limits of the conditions judged on them.
pub fn perfdata(c: &Checked) -> String {
    let v = &c.verdict;
    let f = match c.rules.scope {
        Scope::EachRoute => &v.site,
        _ => &v.figures,
    };
    // With --each-route, limits on rates and times are each route's.
    let judged_here = |j: &&Judgement| j.route.is_none();
    let limit = |m: Metric, level: Status, unit: f64| -> String {
        (v.judgements.iter())
            .filter(judged_here)
            .find(|j| j.condition.metric == m && j.level == level)
            .and_then(|j| {
                let l = j.limit.or(match j.condition.limit {
                    Limit::Absolute(l) => Some(l),
                    Limit::Baseline(_) => None,
                })?;
                let n = number(l * unit, 3);
                Some(match j.condition.op {
                    Op::Above => n,
                    Op::Below => format!("{n}:"),
                })
            })
            .unwrap_or_default()
    };
    let item = |label: &str, value: String, m: Metric, unit: f64, range: &str| {
        let fields = [
            value,
            limit(m, Status::Warning, unit),
            limit(m, Status::Critical, unit),
            range.split(';').next().unwrap_or_default().to_string(),
            range.split(';').nth(1).unwrap_or_default().to_string(),
        ];
        let kept = fields
            .iter()
            .rposition(|f| !f.is_empty())
            .map_or(1, |i| i + 1);
        format!("'{label}'={}", fields[..kept].join(";"))
    };
    let mut items = vec![
        item(
            "rate_5xx",
            format!("{}%", number(f.rate_5xx * 100.0, 2)),
            Metric::Rate5xx,
            100.0,
            "0;100",
        ),
        item("hits", format!("{}c", f.hits), Metric::Hits, 1.0, ""),
    ];
    for (label, ms, m) in [
        ("p95", f.p95_ms, Metric::P95),
        ("p99", f.p99_ms, Metric::P99),
    ] {
        if let Some(ms) = ms {
            let value = format!("{}s", number(ms / 1000.0, 3));
            items.push(item(label, value, m, 1e-6, "0"));
        }
    }
    items.push(item(
        "rate_4xx",
        format!("{}%", number(f.rate_4xx * 100.0, 2)),
        Metric::Rate4xx,
        100.0,
        "0;100",
    ));
    items.push(item(
        "rate_malformed",
        format!("{}%", number(f.rate_malformed * 100.0, 2)),
        Metric::Malformed,
        100.0,
        "0;100",
    ));
    items.join(" ")
}

/// The lines after the first: each condition as judged, the routes over
/// a limit, the window, the baseline, what was read.
pub fn details(c: &Checked) -> Vec<String> {
    let v = &c.verdict;
    let mut lines = Vec::new();
    let mut judged: Vec<&Judgement> = v.judgements.iter().collect();
    // Breaches first, the worst first; then the rest as given.
    judged.sort_by_key(|j| (!j.breached(), std::cmp::Reverse(j.level)));
    for j in judged {
        let on = j
            .route
            .as_ref()
            .map(|r| format!(" on {}", route(r)))
            .unwrap_or_default();
        let line = match &j.outcome {
            Outcome::Breached => format!(
                "{} {}: {}{}{} (limit {})",
                j.level.name(),
                j.condition,
                value(j.condition.metric, j.value),
                on,
                j.since
                    .map(|t| format!(" since {}", clock(c, t, true)))
                    .unwrap_or_default(),
                value(j.condition.metric, j.limit)
            ),
            Outcome::Held => format!(
                "ok {}: {}{} (limit {})",
                j.condition,
                value(j.condition.metric, j.value),
                on,
                value(j.condition.metric, j.limit)
            ),
            Outcome::TooFew { n, baseline } => format!(
                "not judged {}: {}{n} {}{on}, under --min-hits {}",
                j.condition,
                if *baseline { "the baseline has " } else { "" },
                if j.condition.metric == Metric::Malformed {
                    "lines"
                } else {
                    "hits"
                },
                c.rules.min_hits
            ),
            Outcome::NotJudged(why) => format!("not judged {}: {why}{on}", j.condition),
        };
        lines.push(line);
    }
    if !v.routes.is_empty() {
        lines.push("routes over a limit, the worst first:".into());
        for r in &v.routes {
            lines.push(format!(
                "  {} {} ({}): {}{}",
                r.status.name(),
                route(&r.name),
                r.condition,
                figures_text(&r.figures),
                r.since
                    .map(|t| format!(", since {}", clock(c, t, true)))
                    .unwrap_or_default()
            ));
        }
    }
    let s = &v.site;
    let counts = format!(
        "{} hits, {} lines, {} malformed",
        thousands(s.hits),
        thousands(s.lines),
        thousands(s.malformed)
    );
    match &c.followed {
        Some(f) => lines.push(followed_window(c, f, &counts)),
        None => lines.push(format!(
            "window: {} ({}): {counts}",
            c.current.until.map_or_else(
                || format!("{} to the end of the log", clock(c, c.current.from, true)),
                |u| span_text(c, c.current.from, u)
            ),
            c.zone,
        )),
    }
    if let (Some(b), Some(f), Some(vs)) = (c.baseline, &v.baseline, c.vs) {
        lines.push(format!(
            "baseline, {} before: {} to {}: {}",
            span(vs),
            clock(c, b.from, true),
            clock(c, b.until.unwrap_or(b.from), true),
            figures_text(f)
        ));
    }
    if let Some(f) = &c.followed {
        for ((name, stats), (cursor, before)) in c.inputs.iter().zip(&f.cursors) {
            lines.push(format!(
                "{}: {} new bytes read ({cursor}; {} counted before)",
                plugin_safe(name),
                thousands(stats.bytes),
                thousands(*before)
            ));
        }
        for w in &f.warnings {
            lines.push(format!("warning: {}", plugin_safe(w)));
        }
        lines.push(format!("state: {} (saved)", plugin_safe(&f.path)));
        return lines;
    }
    for (name, stats) in &c.inputs {
        let how = match (stats.positioned, stats.size) {
            (true, Some(size)) => format!(
                "{} of {} bytes read (the window found by position)",
                thousands(stats.bytes),
                thousands(size)
            ),
            _ => format!("{} bytes read (whole)", thousands(stats.bytes)),
        };
        lines.push(format!("{}: {how}", plugin_safe(name)));
    }
    lines
}

/// The window line of a check with a state: the lines new since the
/// last check, and the period they stand for.
fn followed_window(c: &Checked, f: &Followed, counts: &str) -> String {
    let end = f
        .period
        .until
        .map_or(f.period.from, |u| (u - 1).max(f.period.from));
    let what = if f.first {
        "a first check with --state".to_string()
    } else {
        match f.after {
            Some(t) => format!(
                "the lines new since the last check (its newest at {})",
                clock(c, t, true)
            ),
            None => "the lines new since the last check".to_string(),
        }
    };
    format!(
        "window: {what}, {} ({}): {counts}",
        span_text(c, f.period.from, end),
        c.zone
    )
}

/// `from to until`, each as [`clock`] writes it, but with the date of
/// `until` too when `from` has one: a window that starts on an earlier
/// day than the check's would otherwise end on a day it does not name.
fn span_text(c: &Checked, from: i64, until: i64) -> String {
    let start_dated = on_another_day(c, from);
    let day = |t| c.zone.datetime(t).date_naive();
    let end_dated = on_another_day(c, until) || (start_dated && day(from) != day(until));
    format!(
        "{} to {}",
        clock_dated(c, from, true, start_dated),
        clock_dated(c, until, true, end_dated)
    )
}

/// `5xx 30.2% (141/467), p95 2.4s`.
fn figures_text(f: &Figures) -> String {
    let mut s = format!(
        "5xx {} ({}/{})",
        percent(f.rate_5xx),
        f.status_5xx,
        thousands(f.hits)
    );
    if f.status_4xx > 0 {
        s.push_str(&format!(", 4xx {}", percent(f.rate_4xx)));
    }
    if let Some(ms) = f.p95_ms {
        s.push_str(&format!(", p95 {}", duration(ms)));
    }
    s
}

/// A figure or a limit of `m`, as people read it.
fn value(m: Metric, v: Option<f64>) -> String {
    let Some(v) = v else {
        return "none".into();
    };
    match m {
        Metric::Rate5xx | Metric::Rate4xx | Metric::Malformed => percent(v),
        Metric::P95 | Metric::P99 => duration(v / 1000.0),
        Metric::Hits => number(v, 1),
    }
}

fn route(name: &RouteName) -> String {
    plugin_safe(&name.to_string())
}

/// Log text as a status line may carry it.
fn plugin_safe(s: &str) -> String {
    terminal_safe(s).replace('|', "\\x7c")
}

/// `0.079` → `7.9%`.
fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// Milliseconds as people read them: `850ms`, `2.4s`, `1.2ms`.
pub fn duration(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{}s", number(ms / 1000.0, 1))
    } else if ms >= 10.0 {
        format!("{ms:.0}ms")
    } else {
        format!("{}ms", number(ms, 1))
    }
}

/// A number with at most `decimals` decimals, trailing zeros dropped.
pub fn number(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// `1h`, `1d`, `7d`, `90m`, `45s`.
fn span(secs: i64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// A time of the check in its zone: `03:02` (or `03:02:07` with
/// `seconds`), with the date when it is not the day the window ends.
fn clock(c: &Checked, t: i64, seconds: bool) -> String {
    clock_dated(c, t, seconds, on_another_day(c, t))
}

/// Whether `t` falls on another day than the window's end: its date is
/// then written.
fn on_another_day(c: &Checked, t: i64) -> bool {
    let end = c.current.until.unwrap_or(c.now).max(t);
    c.zone.datetime(t).date_naive() != c.zone.datetime(end).date_naive()
}

/// `t` as [`clock`] writes it, with its date when `dated`.
fn clock_dated(c: &Checked, t: i64, seconds: bool, dated: bool) -> String {
    let at = c.zone.datetime(t);
    let time = if seconds {
        at.format("%H:%M:%S")
    } else {
        at.format("%H:%M")
    };
    if dated {
        format!("{} {time}", at.format("%Y-%m-%d"))
    } else {
        time.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_durations() {
        assert_eq!(number(7.899_999, 2), "7.9");
        assert_eq!(number(5.0, 3), "5");
        assert_eq!(number(0.05, 2), "0.05");
        assert_eq!(duration(2400.0), "2.4s");
        assert_eq!(duration(2000.0), "2s");
        assert_eq!(duration(850.4), "850ms");
        assert_eq!(duration(1.25), "1.2ms");
        assert_eq!(span(3600), "1h");
        assert_eq!(span(7 * 86_400), "7d");
        assert_eq!(span(5400), "90m");
        assert_eq!(plugin_safe("/a|b\x1b"), "/a\\x7cb\\x1b");
    }
}
