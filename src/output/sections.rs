//! The report as a list of tables of cells: what the table and CSV
//! renderers lay out, each in its own way. JSON serialises the report
//! itself.

use crate::enrich::zone::Bucket;
use crate::report::incidents;
use crate::report::Report;

/// A value in a table row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Count(u64),
    Bytes(u64),
    /// A fraction in [0, 1].
    Rate(f64),
    Millis(Option<f64>),
    Seconds(f64),
}

impl Cell {
    /// The value as a machine reads it (CSV): plain numbers, empty for none.
    pub fn raw(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Count(n) | Cell::Bytes(n) => n.to_string(),
            Cell::Rate(r) | Cell::Seconds(r) => r.to_string(),
            Cell::Millis(m) => m.map(|m| m.to_string()).unwrap_or_default(),
        }
    }
}

/// One table of the report: its JSON name, a title for people, the column
/// names (the first `keys` of them identify a row) and the rows.
#[derive(Debug)]
pub struct Section {
    pub name: &'static str,
    pub title: &'static str,
    pub columns: Vec<&'static str>,
    pub keys: usize,
    pub rows: Vec<Vec<Cell>>,
    /// For tables of hits: the total that a share column is a fraction of.
    pub share_of: Option<u64>,
}

/// A table with a row of cells per item of `items`.
fn table<T>(
    name: &'static str,
    title: &'static str,
    columns: &[&'static str],
    keys: usize,
    items: impl IntoIterator<Item = T>,
    row: impl Fn(T) -> Vec<Cell>,
    share_of: Option<u64>,
) -> Section {
    Section {
        name,
        title,
        columns: columns.to_vec(),
        keys,
        rows: items.into_iter().map(row).collect(),
        share_of,
    }
}

/// A table of one text key and one count: most tables of the report.
fn key_count<T>(
    name: &'static str,
    title: &'static str,
    columns: [&'static str; 2],
    rows: &[T],
    row: impl Fn(&T) -> (String, u64),
    share_of: Option<u64>,
) -> Section {
    let cells = |r| {
        let (key, n) = row(r);
        vec![Cell::Text(key), Cell::Count(n)]
    };
    table(name, title, &columns, 1, rows, cells, share_of)
}

/// Every section, in report order. The names are those of the JSON fields.
pub fn sections(report: &Report) -> Vec<Section> {
    use Cell::*;
    let sm = &report.summary;
    let (hits, pageviews, visitors, visits) = (sm.hits, sm.pageviews, sm.visitors, sm.visits);
    let mut all = vec![
        table(
            "inputs",
            "Inputs",
            &[
                "path",
                "format",
                "bytes",
                "lines",
                "parsed",
                "malformed",
                "blank",
                "filtered",
                "kept",
            ],
            1,
            &report.inputs,
            |i| {
                let c = &i.counts;
                vec![
                    Text(i.path.clone()),
                    Text(i.format.to_string()),
                    Bytes(i.bytes),
                    Count(c.lines),
                    Count(c.parsed),
                    Count(c.malformed),
                    Count(c.blank),
                    Count(c.filtered),
                    Count(c.kept),
                ]
            },
            None,
        ),
        table(
            "malformed_samples",
            "Malformed lines (first 5)",
            &["path", "line", "text"],
            2,
            &report.malformed_samples,
            |m| vec![Text(m.path.clone()), Count(m.line), Text(m.text.clone())],
            None,
        ),
        table(
            "period",
            "Period",
            &["first", "last"],
            0,
            [&report.period],
            |p| {
                vec![
                    Text(p.first.clone().unwrap_or_default()),
                    Text(p.last.clone().unwrap_or_default()),
                ]
            },
            None,
        ),
        table(
            "summary",
            "Summary",
            &[
                "hits",
                "pageviews",
                "visitors",
                "visits",
                "bounces",
                "bounce_rate",
                "avg_visit_duration_s",
                "bytes",
                "bot_hits",
                "static_hits",
                "status_4xx",
                "status_5xx",
                "error_rate_4xx",
                "error_rate_5xx",
                "visits_with_errors",
                "visits_with_errors_rate",
            ],
            0,
            [sm],
            |sm| {
                vec![
                    Count(sm.hits),
                    Count(sm.pageviews),
                    Count(sm.visitors),
                    Count(sm.visits),
                    Count(sm.bounces),
                    Rate(sm.bounce_rate),
                    Seconds(sm.avg_visit_duration_s),
                    Bytes(sm.bytes),
                    Count(sm.bot_hits),
                    Count(sm.static_hits),
                    Count(sm.status_4xx),
                    Count(sm.status_5xx),
                    Rate(sm.error_rate_4xx),
                    Rate(sm.error_rate_5xx),
                    Count(sm.visits_with_errors),
                    Rate(sm.visits_with_errors_rate),
                ]
            },
            None,
        ),
        table(
            "timeseries",
            match report.timeseries.bucket {
                Bucket::Hour => "Traffic per hour",
                Bucket::Day => "Traffic per day",
            },
            &[
                "start",
                "hits",
                "pageviews",
                "visitors",
                "bytes",
                "status_4xx",
                "status_5xx",
            ],
            1,
            &report.timeseries.rows,
            |r| {
                vec![
                    Text(r.start.clone()),
                    Count(r.hits),
                    Count(r.pageviews),
                    Count(r.visitors),
                    Bytes(r.bytes),
                    Count(r.status_4xx),
                    Count(r.status_5xx),
                ]
            },
            None,
        ),
        table(
            "incidents",
            "Incidents (5xx rate well above normal)",
            &[
                "start",
                "end",
                "hits",
                "status_5xx",
                "error_rate_5xx",
                "normal_error_rate_5xx",
                "first_error",
                "visitors",
                "visits",
                "routes",
            ],
            1,
            &report.incidents,
            |r| {
                vec![
                    Text(r.start.clone()),
                    Text(r.end.clone()),
                    Count(r.hits),
                    Count(r.status_5xx),
                    Rate(r.error_rate_5xx),
                    Rate(r.normal_error_rate_5xx),
                    Text(r.first_error.clone()),
                    Count(r.visitors),
                    Count(r.visits),
                    Text(incidents::routes_text(&r.routes)),
                ]
            },
            None,
        ),
        table(
            "pages",
            "Pages",
            &["path", "pageviews", "visitors"],
            1,
            &report.pages,
            |r| vec![Text(r.path.clone()), Count(r.pageviews), Count(r.visitors)],
            Some(pageviews),
        ),
        table(
            "vhosts",
            "Virtual hosts",
            &["host", "hits", "pageviews", "visitors"],
            1,
            &report.vhosts,
            |r| {
                vec![
                    Text(r.host.clone()),
                    Count(r.hits),
                    Count(r.pageviews),
                    Count(r.visitors),
                ]
            },
            Some(hits),
        ),
        table(
            "landing_pages",
            "Landing pages",
            &["path", "visits", "bounces", "bounce_rate"],
            1,
            &report.landing_pages,
            |r| {
                vec![
                    Text(r.path.clone()),
                    Count(r.visits),
                    Count(r.bounces),
                    Rate(r.bounce_rate),
                ]
            },
            Some(visits),
        ),
        key_count(
            "exit_pages",
            "Exit pages",
            ["path", "visits"],
            &report.exit_pages,
            |r| (r.path.clone(), r.visits),
            Some(visits),
        ),
        key_count(
            "referrers",
            "Referrers",
            ["host", "visits"],
            &report.referrers,
            |r| (r.host.clone(), r.visits),
            Some(visits),
        ),
        key_count(
            "channels",
            "Channels",
            ["channel", "visits"],
            &report.channels,
            |r| (r.channel.to_string(), r.visits),
            Some(visits),
        ),
        key_count(
            "search_terms",
            "Search terms",
            ["term", "visits"],
            &report.search_terms,
            |r| (r.term.clone(), r.visits),
            None,
        ),
        table(
            "campaigns",
            "Campaigns",
            &["source", "medium", "campaign", "visits"],
            3,
            &report.campaigns,
            |r| {
                vec![
                    Text(r.source.clone()),
                    Text(r.medium.clone()),
                    Text(r.campaign.clone()),
                    Count(r.visits),
                ]
            },
            None,
        ),
        table(
            "countries",
            "Countries",
            &["country", "visitors", "pageviews"],
            1,
            &report.countries,
            |r| {
                vec![
                    Text(r.country.clone()),
                    Count(r.visitors),
                    Count(r.pageviews),
                ]
            },
            Some(visitors),
        ),
    ];
    for (name, title, rows) in [
        ("devices", "Devices", &report.devices),
        ("browsers", "Browsers", &report.browsers),
        ("os", "Operating systems", &report.os),
    ] {
        all.push(key_count(
            name,
            title,
            ["name", "visitors"],
            rows,
            |r| (r.name.clone(), r.visitors),
            Some(visitors),
        ));
    }
    // Present only when the layout logs Accept-Language; empty otherwise.
    all.push(key_count(
        "languages",
        "Languages",
        ["language", "visitors"],
        report.languages.as_deref().unwrap_or_default(),
        |r| (r.language.clone(), r.visitors),
        Some(visitors),
    ));
    all.extend([
        key_count(
            "bots",
            "Bots",
            ["name", "hits"],
            &report.bots,
            |r| (r.name.clone(), r.hits),
            Some(hits),
        ),
        key_count(
            "clients",
            "Clients",
            ["client", "hits"],
            &report.clients,
            |r| (r.client.clone(), r.hits),
            Some(hits),
        ),
        key_count(
            "status_codes",
            "Status codes",
            ["status", "hits"],
            &report.status_codes,
            |r| (r.status.to_string(), r.hits),
            Some(hits),
        ),
        key_count(
            "methods",
            "Methods",
            ["method", "hits"],
            &report.methods,
            |r| (r.method.clone(), r.hits),
            Some(hits),
        ),
        key_count(
            "not_found",
            "Not found (404)",
            ["path", "hits"],
            &report.not_found,
            |r| (r.path.clone(), r.hits),
            None,
        ),
        key_count(
            "server_errors",
            "Server errors (5xx)",
            ["path", "hits"],
            &report.server_errors,
            |r| (r.path.clone(), r.hits),
            None,
        ),
        table(
            "routes",
            "Routes",
            &["route", "hits", "status_5xx", "bytes", "p50_ms", "p95_ms"],
            1,
            &report.routes,
            |r| {
                vec![
                    Text(r.route.clone()),
                    Count(r.hits),
                    Count(r.status_5xx),
                    Bytes(r.bytes),
                    Millis(r.p50_ms),
                    Millis(r.p95_ms),
                ]
            },
            Some(hits),
        ),
        // One row, or none when no hit had a time.
        table(
            "response_time",
            "Response time",
            &["p50_ms", "p90_ms", "p99_ms", "max_ms"],
            0,
            &report.response_time,
            |t| {
                [t.p50_ms, t.p90_ms, t.p99_ms, t.max_ms]
                    .map(|ms| Millis(Some(ms)))
                    .to_vec()
            },
            None,
        ),
    ]);
    all.extend(goal_sections(report));
    all
}

/// The goals, goal_channels and funnels sections (SPEC §7), empty when no
/// goal or funnel was given.
fn goal_sections(report: &Report) -> [Section; 3] {
    use Cell::*;
    [
        table(
            "goals",
            "Goals",
            &["goal", "hits", "visitors", "conversions", "conversion_rate"],
            1,
            report.goals.as_deref().unwrap_or_default(),
            |r| {
                vec![
                    Text(r.goal.clone()),
                    Count(r.hits),
                    Count(r.visitors),
                    Count(r.conversions),
                    Rate(r.conversion_rate),
                ]
            },
            None,
        ),
        table(
            "goal_channels",
            "Goals by channel",
            &[
                "goal",
                "channel",
                "visits",
                "conversions",
                "conversion_rate",
            ],
            2,
            report.goal_channels.as_deref().unwrap_or_default(),
            |r| {
                vec![
                    Text(r.goal.clone()),
                    Text(r.channel.to_string()),
                    Count(r.visits),
                    Count(r.conversions),
                    Rate(r.conversion_rate),
                ]
            },
            None,
        ),
        table(
            "funnels",
            "Funnels",
            &[
                "funnel",
                "step",
                "name",
                "visits",
                "share_of_first",
                "drop_off",
            ],
            2,
            report.funnels.as_deref().unwrap_or_default(),
            |r| {
                vec![
                    Text(r.funnel.clone()),
                    Count(r.step),
                    Text(r.name.clone()),
                    Count(r.visits),
                    Rate(r.share_of_first),
                    Rate(r.drop_off),
                ]
            },
            None,
        ),
    ]
}

/// Sections whose figures are all hit-level: a run printing only one of
/// them need not record or compute anything about visits.
pub const HIT_LEVEL_SECTIONS: [&str; 9] = [
    "inputs",
    "malformed_samples",
    "period",
    "status_codes",
    "methods",
    "not_found",
    "server_errors",
    "routes",
    "response_time",
];

/// The section names `--section` accepts, in report order.
pub const SECTION_NAMES: [&str; 30] = [
    "inputs",
    "malformed_samples",
    "period",
    "summary",
    "timeseries",
    "incidents",
    "pages",
    "vhosts",
    "landing_pages",
    "exit_pages",
    "referrers",
    "channels",
    "search_terms",
    "campaigns",
    "countries",
    "devices",
    "browsers",
    "os",
    "languages",
    "bots",
    "clients",
    "status_codes",
    "methods",
    "not_found",
    "server_errors",
    "routes",
    "response_time",
    "goals",
    "goal_channels",
    "funnels",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_names_are_those_rendered() {
        let report = crate::report::build(
            Vec::new(),
            &crate::report::ReportOptions {
                top: 10,
                zone: None,
                sites: &[],
                geo: None,
                visits: true,
                show_ips: false,
                clients: true,
                metrics: false,
                goals: None,
            },
        );
        let names: Vec<&str> = sections(&report).iter().map(|s| s.name).collect();
        assert_eq!(names, SECTION_NAMES.to_vec());
    }
}
