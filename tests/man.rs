//! The man pages in man/ are generated from the clap definitions, so they
//! cannot drift from `--help`. This test fails when a committed page is
//! stale; `LOGSTATS_UPDATE_MAN=1 cargo test --test man` rewrites them.
//!
//! logstats.1 and logstats-report.1 also get DEFINITIONS and EXAMPLES sections, written
//! here rather than in `--help`: a terminal's help screen is for flags, a
//! man page is where people look up what a figure means. logstats-export.1
//! gets a COLUMNS section, read from the table of docs/export.md.

use std::path::Path;

use clap::CommandFactory;
use logstats::cli::Cli;
use roff::{bold, roman, Roff};

/// SPEC.md's definitions, condensed: term, then meaning.
const DEFINITIONS: &[(&str, &str)] = &[
    ("hit", "A parsed line that no filter excludes. Every figure comes from hits; inputs says how many lines were parsed, malformed, blank or filtered (lines = parsed + malformed + blank, parsed = kept + filtered)."),
    ("static", "A hit whose path (the target without its query string), lower-cased, ends in .css, .js, .mjs, .map, an image, font, audio or video extension, .txt or .xml."),
    ("bot", "A hit whose user agent is empty or -, a crawler or HTTP library to woothee, or contains bot, crawl, spider, slurp, curl, wget, python-requests, headlesschrome, ... (21 words). A layout without user agents has no bots."),
    ("page view", "A hit that is no bot, not static, method GET, status 200-299 or 304."),
    ("visitor", "A (client address, user agent) pair. visitors counts distinct (visitor, day) pairs with a page view, summed over days, as GoAccess and Plausible do. No cookie is involved."),
    ("visit", "A visitor's page views in time order with no gap over 30 minutes (exactly 1800 s continues it). Visits cross midnight and span files."),
    ("bounce", "A visit of exactly one page view; bounce_rate = bounces / visits."),
    ("visit duration", "Last page view time minus first; a one-page visit lasts 0 s."),
    ("landing page, exit page", "The path of a visit's first and last page view."),
    ("referrer", "The host of the referrer of a visit's first page view, when it is external: not one of the site's own hosts (--site, else the vhost field, else the host most later page views were referred by). Hosts compare lower-cased, without port and leading www."),
    ("channel", "Of a visit, the first that applies: utm_medium email, e-mail or newsletter: Email; cpc, ppc, paid or paidsearch: Paid; any other utm_ parameter: Campaign; no external referrer: Direct; a search engine: Search; a social network: Social; a webmail host: Email; else Referral."),
    ("search term", "The q (p for Yahoo, text for Yandex, wd or word for Baidu) parameter of a Search visit's referrer, decoded and lower-cased."),
    ("campaign", "The landing page's (utm_source, utm_medium, utm_campaign), - for a missing one."),
    ("country", "The client address looked up in a MaxMind-format database (--geoip); unknown without a database, an address or a match."),
    ("device, browser, os", "woothee's category, name and operating system of the user agent."),
    ("route", "The path with all-digit segments as :id, UUIDs as :uuid and 16 or more hex digits as :hex."),
    ("error rates", "error_rate_4xx and error_rate_5xx are the shares of all hits, bots and static files included, with status 4xx and 5xx. Rates are fractions in [0, 1]."),
    ("response time", "Nearest-rank percentiles (the value at rank ceil(q*n) of n sorted times) of every hit with a time, in ms; within 1 % past 64 times per route. null when no hit had one."),
    ("days and hours", "Those of the report zone: --tz, else the offset on the log's first line. The time series is per hour when the period spans under 3 days, else per day."),
    ("tables", "Sorted by their first figure, descending, then by key, and cut at --top. Hit tables (status codes, methods, 404s, 5xx, routes, bots) count every hit; visitor tables count page views only."),
];

/// What people do with a report: description, then command lines.
const EXAMPLES: &[(&str, &[&str])] = &[
    ("A report on the current and rotated logs, in the terminal:", &["logstats report /var/log/nginx/access.log*"]),
    ("From cron, yesterday's report as JSON each night, replaced atomically:", &["5 0 * * *  logstats report /var/log/nginx/access.log /var/log/nginx/access.log.1 --since yesterday --until today --format json -o /srv/reports/yesterday.json"]),
    ("With jq, the 5xx rate, and page views per path:", &["logstats report access.log --format json | jq .summary.error_rate_5xx", "logstats report access.log --format json | jq -r '.pages[] | \"\\(.pageviews)\\t\\(.path)\"'"]),
    ("Into SQLite, every table as rows of section,key,metric,value:", &["logstats report access.log --format csv > report.csv", "sqlite3 stats.db '.import --csv report.csv report'", "sqlite3 stats.db \"SELECT key, CAST(value AS INTEGER) AS views FROM report WHERE section = 'pages' AND metric = 'pageviews' ORDER BY views DESC\""]),
    ("Into DuckDB, the slowest routes (needs a layout with times):", &["logstats report access.log --log-format nginx-timed --format csv --section routes > routes.csv", "duckdb -c \"SELECT route, hits, p95_ms FROM 'routes.csv' ORDER BY p95_ms DESC NULLS LAST LIMIT 10\""]),
    ("Errors only, without bots, for the last day:", &["logstats report access.log --status 5xx --no-bots --since 24h"]),
    ("Shell completions for bash:", &["logstats completions bash > ~/.local/share/bash-completion/completions/logstats"]),
];

fn extra_sections() -> String {
    let mut r = Roff::new();
    r.control("SH", ["DEFINITIONS"]);
    for (term, meaning) in DEFINITIONS {
        r.control("TP", [])
            .text([bold(*term)])
            .text([roman(*meaning)]);
    }
    r.control("SH", ["EXAMPLES"]);
    for (what, lines) in EXAMPLES {
        r.control("PP", []).text([roman(*what)]);
        r.control("RS", []).control("nf", []);
        for line in *lines {
            r.text([roman(*line)]);
        }
        r.control("fi", []).control("RE", []);
    }
    // Without the preamble, which the page has already.
    let page = r.render();
    let start = page.find(".SH").unwrap();
    page[start..].to_string()
}

/// The COLUMNS section of logstats-export.1: each column with its
/// definition, read from the table of docs/export.md, which defines them.
fn columns_section() -> String {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/export.md"))
        .unwrap();
    let mut r = Roff::new();
    r.control("SH", ["COLUMNS"]);
    r.control("PP", []).text([roman(
        "One row per kept hit; docs/export.md has the same, with types.",
    )]);
    for (name, definition) in export_columns(&doc) {
        r.control("TP", [])
            .text([bold(name)])
            .text([roman(definition.replace('`', ""))]);
    }
    let page = r.render();
    let start = page.find(".SH").unwrap();
    page[start..].to_string()
}

/// (column, definition) of each row of the columns table of docs/export.md.
fn export_columns(doc: &str) -> Vec<(String, String)> {
    doc.lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| {
            let (name, rest) = l.split_once("` | ")?;
            let cells: Vec<&str> = rest.trim_end_matches(" |").split(" | ").collect();
            Some((name.to_string(), cells.last()?.to_string()))
        })
        .collect()
}

/// docs/export.md defines every column the program writes, in its order.
#[test]
fn the_export_documentation_lists_every_column_in_order() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/export.md"))
        .unwrap();
    let documented: Vec<String> = export_columns(&doc).into_iter().map(|(n, _)| n).collect();
    let written: Vec<&str> = logstats::export::columns(true)
        .iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(documented, written);
}

fn render(cmd: clap::Command) -> Vec<u8> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut out).unwrap();
    out
}

#[test]
fn man_pages_are_current() {
    let root = Cli::command().name("logstats");
    let report = root
        .find_subcommand("report")
        .unwrap()
        .clone()
        .name("logstats-report");
    let export = root
        .find_subcommand("export")
        .unwrap()
        .clone()
        .name("logstats-export");
    let completions = root
        .find_subcommand("completions")
        .unwrap()
        .clone()
        .name("logstats-completions");
    let mut report_page = render(report);
    report_page.extend_from_slice(extra_sections().as_bytes());
    // `man logstats` is where people look first: it answers too.
    let mut root_page = render(root.clone());
    root_page.extend_from_slice(extra_sections().as_bytes());
    let mut export_page = render(export);
    export_page.extend_from_slice(columns_section().as_bytes());
    let pages = [
        ("logstats.1", root_page),
        ("logstats-report.1", report_page),
        ("logstats-export.1", export_page),
        ("logstats-completions.1", render(completions)),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    for (name, page) in pages {
        let path = dir.join(name);
        if std::env::var_os("LOGSTATS_UPDATE_MAN").is_some() {
            std::fs::write(&path, &page).unwrap();
            continue;
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == page,
            "{} is stale: run `LOGSTATS_UPDATE_MAN=1 cargo test --test man` and commit it",
            path.display()
        );
    }
}
