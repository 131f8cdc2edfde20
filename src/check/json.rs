//! The verdict as one JSON object (`--format json`), for scripts: the same
//! status, figures and judgements as the text, with rates as fractions,
//! times in ms and instants in RFC 3339.

use serde::Serialize;

use super::checked::Checked;
use super::condition::Metric;
use super::evaluate::{Figures, Judgement, Outcome, Scope};
use super::figures::RouteName;
use super::plugin;
use super::status::Status;

pub const SCHEMA: &str = "logstats.check/1";

#[derive(Serialize)]
struct Verdict<'a> {
    schema: &'static str,
    status: Status,
    exit_code: u8,
    /// The first line of the text output, between the state and `|`.
    summary: String,
    perfdata: String,
    scope: &'static str,
    /// `--route`'s glob.
    route_glob: Option<&'a str>,
    /// With `--each-route`, the worst route, which `figures` are of.
    subject: Option<Route<'a>>,
    window: Span,
    figures: &'a Figures,
    site: &'a Figures,
    baseline: Option<Baseline<'a>>,
    min_hits: u64,
    conditions: Vec<Condition<'a>>,
    mostly: Option<Mostly<'a>>,
    routes: Vec<RouteOver<'a>>,
    inputs: Vec<Input<'a>>,
    /// With `--state`.
    state: Option<StateJson<'a>>,
    message: Option<String>,
}

/// What a check with `--state` knew and did.
#[derive(Serialize)]
struct StateJson<'a> {
    path: &'a str,
    /// No state was there: the `--since` window was judged.
    first: bool,
    /// The newest line the last check read.
    after: Option<String>,
    warnings: &'a [String],
}

#[derive(Serialize)]
struct Route<'a> {
    method: &'a str,
    route: &'a str,
}

impl<'a> Route<'a> {
    fn of(name: &'a RouteName) -> Self {
        Route {
            method: &name.method,
            route: &name.route,
        }
    }
}

#[derive(Serialize)]
struct Span {
    since: String,
    until: Option<String>,
}

#[derive(Serialize)]
struct Baseline<'a> {
    window: Span,
    figures: &'a Figures,
}

#[derive(Serialize)]
struct Condition<'a> {
    level: &'static str,
    condition: &'a str,
    metric: &'static str,
    /// The figure and the limit: fractions for rates, ms for times.
    value: Option<f64>,
    limit: Option<f64>,
    outcome: &'static str,
    /// Why it was not judged.
    reason: Option<String>,
    /// With `--each-route`, the route judged (the worst).
    route: Option<Route<'a>>,
    since: Option<String>,
}

#[derive(Serialize)]
struct Mostly<'a> {
    method: &'a str,
    route: &'a str,
    status_5xx: u64,
}

#[derive(Serialize)]
struct RouteOver<'a> {
    method: &'a str,
    route: &'a str,
    status: Status,
    condition: &'a str,
    since: Option<String>,
    /// Its hits that are bad by that condition.
    offending: u64,
    figures: &'a Figures,
}

#[derive(Serialize)]
struct Input<'a> {
    path: &'a str,
    bytes_read: u64,
    size: Option<u64>,
    /// Whether the window was found by position rather than read whole.
    positioned: bool,
    /// With `--state`: `new`, `continued` or `finished`, and the bytes
    /// of log text counted before.
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    counted_before: Option<u64>,
}

/// In the unit JSON gives it: ms for times.
fn json_value(m: Metric, v: Option<f64>) -> Option<f64> {
    match m {
        Metric::P95 | Metric::P99 => v.map(|us| us / 1000.0),
        _ => v,
    }
}

fn condition<'a>(c: &'a Checked, j: &'a Judgement) -> Condition<'a> {
    let m = j.condition.metric;
    let (outcome, reason) = match &j.outcome {
        Outcome::Breached => ("breached", None),
        Outcome::Held => ("held", None),
        Outcome::TooFew { n, baseline } => (
            "not_judged",
            Some(format!(
                "{}{n} {}, under --min-hits {}",
                if *baseline { "the baseline has " } else { "" },
                if m == Metric::Malformed {
                    "lines"
                } else {
                    "hits"
                },
                c.rules.min_hits
            )),
        ),
        Outcome::NotJudged(why) => ("not_judged", Some(why.clone())),
    };
    Condition {
        level: match j.level {
            Status::Critical => "critical",
            _ => "warning",
        },
        condition: &j.condition.text,
        metric: m.name(),
        value: json_value(m, j.value),
        limit: json_value(m, j.limit),
        outcome,
        reason,
        route: j.route.as_ref().map(Route::of),
        since: j.since.map(|t| c.zone.format(t)),
    }
}

/// The verdict of a check, as one line of JSON.
pub fn render(c: &Checked) -> String {
    let v = &c.verdict;
    let span = |from: i64, until: Option<i64>| Span {
        since: c.zone.format(from),
        until: until.map(|u| c.zone.format(u)),
    };
    let verdict = Verdict {
        schema: SCHEMA,
        status: v.status,
        exit_code: v.status.exit_code(),
        summary: plugin::summary(c),
        perfdata: plugin::perfdata(c),
        scope: match c.rules.scope {
            Scope::Site => "site",
            Scope::Route(_) => "route",
            Scope::EachRoute => "each_route",
        },
        route_glob: match &c.rules.scope {
            Scope::Route(glob) => Some(glob),
            _ => None,
        },
        subject: v.subject.as_ref().map(Route::of),
        window: span(c.current.from, c.current.until),
        figures: &v.figures,
        site: &v.site,
        baseline: c
            .baseline
            .zip(v.baseline.as_ref())
            .map(|(w, figures)| Baseline {
                window: span(w.from, w.until),
                figures,
            }),
        min_hits: c.rules.min_hits,
        conditions: v.judgements.iter().map(|j| condition(c, j)).collect(),
        mostly: v.mostly.as_ref().map(|(name, n)| Mostly {
            method: &name.method,
            route: &name.route,
            status_5xx: *n,
        }),
        routes: (v.routes.iter())
            .map(|r| RouteOver {
                method: &r.name.method,
                route: &r.name.route,
                status: r.status,
                condition: &r.condition.text,
                since: r.since.map(|t| c.zone.format(t)),
                offending: r.offending,
                figures: &r.figures,
            })
            .collect(),
        inputs: (c.inputs.iter().enumerate())
            .map(|(i, (path, s))| {
                let cursor = c.followed.as_ref().and_then(|f| f.cursors.get(i));
                Input {
                    path,
                    bytes_read: s.bytes,
                    size: s.size,
                    positioned: s.positioned,
                    cursor: cursor.map(|c| c.0),
                    counted_before: cursor.map(|c| c.1),
                }
            })
            .collect(),
        state: c.followed.as_ref().map(|f| StateJson {
            path: &f.path,
            first: f.first,
            after: f.after.map(|t| c.zone.format(t)),
            warnings: &f.warnings,
        }),
        message: None,
    };
    let mut out = serde_json::to_string(&verdict).unwrap_or_else(|e| unknown_json(&e.to_string()));
    out.push('\n');
    out
}

/// An UNKNOWN verdict: no figures, a message.
pub fn unknown(message: &str) -> String {
    let mut out = unknown_json(message);
    out.push('\n');
    out
}

fn unknown_json(message: &str) -> String {
    serde_json::json!({
        "schema": SCHEMA,
        "status": Status::Unknown,
        "exit_code": Status::Unknown.exit_code(),
        "message": message,
    })
    .to_string()
}
