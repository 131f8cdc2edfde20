//! `--format prometheus`: the report's figures in the Prometheus text
//! exposition format (0.0.4), for node_exporter's textfile collector
//! (`-o /var/lib/prometheus/node-exporter/logstats.prom`: `-o` writes a
//! temporary file and renames it, as the collector asks).
//!
//! Names follow the Prometheus naming guide and OpenTelemetry's HTTP
//! conventions: base units (seconds, bytes), counters end in `_total`,
//! every family has HELP and TYPE lines, and no sample has a timestamp
//! (the collector refuses them). Summing a family over all its labels
//! gives a meaningful total, so page views by path, by referrer and by
//! channel are three families, not one with three kinds of label.
//! Families with no series (no times in the log, no bots) are left out.
//! This file only writes: the figures and their label text are
//! [`crate::report::metrics`]'s.

use std::io::Write;

use crate::report::metrics::goals::GoalMetrics;
use crate::report::metrics::{Metrics, DURATION_BOUNDS_US};
use crate::report::Report;

pub const REQUESTS: &str = "logstats_http_requests_total";
pub const RESPONSE_BYTES: &str = "logstats_http_response_size_bytes_total";
pub const DURATION: &str = "logstats_http_request_duration_seconds";
pub const PAGEVIEWS: &str = "logstats_pageviews_total";
pub const PAGEVIEWS_BY_REFERRER: &str = "logstats_pageviews_by_referrer_total";
pub const PAGEVIEWS_BY_CHANNEL: &str = "logstats_pageviews_by_channel_total";
pub const VISITS: &str = "logstats_visits_total";
pub const VISITORS: &str = "logstats_visitors_total";
pub const BOUNCES: &str = "logstats_bounces_total";
pub const BOT_REQUESTS: &str = "logstats_bot_requests_total";
pub const LOG_LINES: &str = "logstats_log_lines_total";
pub const LAST_LOG_TIMESTAMP: &str = "logstats_last_log_timestamp_seconds";
pub const GOAL_HITS: &str = "logstats_goal_hits_total";
pub const GOAL_VISITORS: &str = "logstats_goal_visitors_total";
pub const GOAL_CONVERSIONS: &str = "logstats_goal_conversions_total";
pub const GOAL_CONVERSIONS_BY_CHANNEL: &str = "logstats_goal_conversions_by_channel_total";
pub const FUNNEL_STEP_VISITS: &str = "logstats_funnel_step_visits_total";

/// Writes the report's metrics. A report built without them (without
/// `metrics` in its options) is an error, not an empty file.
pub fn write(report: &Report, out: &mut dyn Write) -> anyhow::Result<()> {
    let Some(m) = report.metrics.as_deref() else {
        anyhow::bail!("this report was built without the figures of --format prometheus");
    };
    write_metrics(m, out)?;
    Ok(())
}

fn write_metrics(m: &Metrics, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = Exposition { out };
    if !m.requests.is_empty() {
        w.header(
            REQUESTS,
            "counter",
            "HTTP requests (every hit the report counts, bots and static files included) by virtual host, method, status class and route.",
        )?;
        for r in &m.requests {
            w.sample(REQUESTS, &r.labels(), r.requests)?;
        }
        w.header(
            RESPONSE_BYTES,
            "counter",
            "Bytes of the responses (as logged, e.g. $body_bytes_sent) by virtual host, method, status class and route.",
        )?;
        for r in &m.requests {
            w.sample(RESPONSE_BYTES, &r.labels(), r.bytes)?;
        }
    }
    if !m.durations.is_empty() {
        w.header(
            DURATION,
            "histogram",
            "Time to serve a request, by route, for hits whose line has one. Past 64 times per path, a time up to 1/128 over a bucket bound may count under it.",
        )?;
        let bucket = format!("{DURATION}_bucket");
        for d in &m.durations {
            for (bound, &n) in DURATION_BOUNDS_US.iter().zip(&d.buckets) {
                let le = seconds(*bound);
                w.sample(&bucket, &[("route", &d.route), ("le", &le)], n)?;
            }
            w.sample(&bucket, &[("route", &d.route), ("le", "+Inf")], d.count)?;
            w.sample(
                &format!("{DURATION}_sum"),
                &[("route", &d.route)],
                seconds(d.sum_us),
            )?;
            w.sample(
                &format!("{DURATION}_count"),
                &[("route", &d.route)],
                d.count,
            )?;
        }
    }
    w.by_label(
        PAGEVIEWS,
        "path",
        "Page views (hits that are no bot, not static, GET, status 2xx or 304) by path, without the query string.",
        &m.pageviews_by_path,
    )?;
    w.by_label(
        PAGEVIEWS_BY_REFERRER,
        "referrer_host",
        "Page views by the host of their referrer when it is external; (internal) when it is one of the site's own hosts, (none) when it has none.",
        &m.pageviews_by_referrer,
    )?;
    w.by_label(
        BOT_REQUESTS,
        "bot",
        "Requests from bots (hits whose user agent is a crawler, an HTTP library or empty) by bot name.",
        &m.bot_requests,
    )?;
    w.by_label(
        PAGEVIEWS_BY_CHANNEL,
        "channel",
        "Page views by the channel of the visit they are part of.",
        &m.pageviews_by_channel,
    )?;
    w.by_label(
        VISITS,
        "channel",
        "Visits (a visitor's page views with no gap over 30 minutes) by channel.",
        &m.visits_by_channel,
    )?;
    w.header(
        VISITORS,
        "counter",
        "Visitors (client and user agent pairs) counted once for each day they viewed a page.",
    )?;
    w.sample(VISITORS, &[], m.visitors)?;
    w.header(BOUNCES, "counter", "Visits of exactly one page view.")?;
    w.sample(BOUNCES, &[], m.bounces)?;
    w.header(
        LOG_LINES,
        "counter",
        "Lines read: kept (counted in every figure), filtered (excluded by a filter), malformed, blank.",
    )?;
    for (result, n) in m.lines {
        w.sample(LOG_LINES, &[("result", result)], n)?;
    }
    if let Some(g) = &m.goals {
        write_goals(g, &mut w)?;
    }
    if let Some(t) = m.last_log_time {
        w.header(
            LAST_LOG_TIMESTAMP,
            "gauge",
            "Time of the latest kept line, in seconds since the Unix epoch.",
        )?;
        w.sample(LAST_LOG_TIMESTAMP, &[], t)?;
    }
    Ok(())
}

/// The goal and funnel families (SPEC §7).
fn write_goals(g: &GoalMetrics, w: &mut Exposition<'_>) -> std::io::Result<()> {
    w.by_label(
        GOAL_HITS,
        "goal",
        "Hits that match the goal's pattern (no bot; static files and redirects count).",
        &g.hits,
    )?;
    w.by_label(
        GOAL_VISITORS,
        "goal",
        "Visitors with a hit of the goal, counted once for each day they had one.",
        &g.visitors,
    )?;
    w.by_label(
        GOAL_CONVERSIONS,
        "goal",
        "Conversions: visits with at least one hit of the goal.",
        &g.conversions,
    )?;
    if !g.conversions_by_channel.is_empty() {
        w.header(
            GOAL_CONVERSIONS_BY_CHANNEL,
            "counter",
            "Conversions by the channel of the visit.",
        )?;
        for (goal, channel, n) in &g.conversions_by_channel {
            w.sample(
                GOAL_CONVERSIONS_BY_CHANNEL,
                &[("goal", goal), ("channel", channel)],
                n,
            )?;
        }
    }
    if !g.funnel_steps.is_empty() {
        w.header(
            FUNNEL_STEP_VISITS,
            "counter",
            "Visits that reached the funnel's step: hits of step 1, then 2, ..., then this one, in time order.",
        )?;
        for s in &g.funnel_steps {
            w.sample(FUNNEL_STEP_VISITS, &s.labels(), s.visits)?;
        }
    }
    Ok(())
}

struct Exposition<'a> {
    out: &'a mut dyn Write,
}

impl Exposition<'_> {
    fn header(&mut self, name: &str, kind: &str, help: &str) -> std::io::Result<()> {
        writeln!(self.out, "# HELP {name} {}", escape_help(help))?;
        writeln!(self.out, "# TYPE {name} {kind}")
    }

    /// A counter of one label, left out when it has no series.
    fn by_label<V: AsRef<str>>(
        &mut self,
        name: &str,
        label: &str,
        help: &str,
        rows: &[(V, u64)],
    ) -> std::io::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        self.header(name, "counter", help)?;
        for (value, n) in rows {
            self.sample(name, &[(label, value.as_ref())], n)?;
        }
        Ok(())
    }

    fn sample(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        value: impl std::fmt::Display,
    ) -> std::io::Result<()> {
        write!(self.out, "{name}")?;
        for (i, (label, text)) in labels.iter().enumerate() {
            let open = if i == 0 { "{" } else { "," };
            write!(self.out, "{open}{label}=\"{}\"", escape_label_value(text))?;
        }
        if !labels.is_empty() {
            write!(self.out, "}}")?;
        }
        writeln!(self.out, " {value}")
    }
}

/// A label value as the format writes it: `\`, `"` and line feed escaped.
pub fn escape_label_value(text: &str) -> std::borrow::Cow<'_, str> {
    escape(text, true)
}

/// HELP text as the format writes it: `\` and line feed escaped.
pub fn escape_help(text: &str) -> std::borrow::Cow<'_, str> {
    escape(text, false)
}

fn escape(text: &str, quote: bool) -> std::borrow::Cow<'_, str> {
    let special = |c: char| c == '\\' || c == '\n' || (quote && c == '"');
    if !text.contains(special) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// µs as seconds, exactly, in the shortest decimal: `0.005`, `1`, `2.5`.
pub fn seconds(us: u64) -> String {
    let (whole, fraction) = (us / 1_000_000, us % 1_000_000);
    if fraction == 0 {
        return whole.to_string();
    }
    let digits = format!("{fraction:06}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_escape_backslash_quote_and_newline() {
        assert_eq!(escape_label_value("/plain"), "/plain");
        assert_eq!(escape_label_value("a\\b\"c\nd\te"), "a\\\\b\\\"c\\nd\te");
        // A label made of escapes (invalid UTF-8 as `\xff`) keeps them
        // readable: the backslash itself is escaped.
        assert_eq!(escape_label_value(r"/x\xff"), r"/x\\xff");
        assert_eq!(escape_help("a \"b\" \\ c\nd"), "a \"b\" \\\\ c\\nd");
    }

    #[test]
    fn seconds_are_exact_and_short() {
        let le: Vec<String> = DURATION_BOUNDS_US.iter().map(|&us| seconds(us)).collect();
        assert_eq!(
            le,
            [
                "0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1",
                "2.5", "5", "7.5", "10"
            ]
        );
        assert_eq!(seconds(0), "0");
        assert_eq!(seconds(1), "0.000001");
        assert_eq!(seconds(123_456_789), "123.456789");
    }

    #[test]
    fn samples_and_headers() {
        let mut out = Vec::new();
        let mut w = Exposition { out: &mut out };
        w.header("x_total", "counter", "Things.").unwrap();
        w.sample("x_total", &[], 3).unwrap();
        w.sample("x_total", &[("a", "1"), ("b", "q\"")], 4).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "# HELP x_total Things.\n# TYPE x_total counter\nx_total 3\nx_total{a=\"1\",b=\"q\\\"\"} 4\n"
        );
    }
}
