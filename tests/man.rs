//! The man pages in man/ are generated from the clap definitions, so they
//! cannot drift from `--help`. This test fails when a committed page is
//! stale; `LOGSTATS_UPDATE_MAN=1 cargo test --test man` rewrites them.
//!
//! logstats.1 and logstats-report.1 also get DEFINITIONS and EXAMPLES sections, written
//! here rather than in `--help`: a terminal's help screen is for flags, a
//! man page is where people look up what a figure means. logstats-check.1
//! gets its own: how a check judges, what it prints, and how cron, systemd
//! and Nagios run it. logstats-export.1 gets a COLUMNS section, read from
//! the table of docs/export.md.

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
    ("campaign", "The landing page's (utm_source, utm_medium, utm_campaign), decoded with + as a space, - for a missing one."),
    ("country", "The client address looked up in a MaxMind-format database (--geoip); unknown without a database, an address or a match. Lookups that fail in a damaged database count as unknown too: a warning names the file, and geoip.lookup_errors in JSON counts the addresses."),
    ("device, browser, os", "woothee's category, name and operating system of the user agent."),
    ("language", "For layouts that log Accept-Language (nginx $http_accept_language, Apache %{Accept-Language}i, gunicorn %({accept-language}i)s): the language range with the highest q (ties to the first written), its primary subtag lower-cased (fr-CA;q=0.9 gives fr); *, empty or - gives unknown. Counted in visitors from page views. No languages table when the layout has no such field."),
    ("goal", "A name and a pattern [METHOD ]PATH_GLOB[ STATUS] (--goal, or [goals] in the configuration file): signup=POST /accounts/signup 3xx, thanks=/checkout/done*, pdf=/files/*.pdf. The glob matches the path without its query string, * matching any run of characters, / included; METHOD is any when left out; STATUS is a code, a class (3xx) or a range (200-399), 200-399 when left out."),
    ("goal hit, conversion", "A goal hit is a kept hit that is no bot's and matches the pattern (static files, POSTs and redirects count). It belongs to the visit of the same visitor whose span, from its first page view to 30 minutes after its last, holds its time; otherwise to no visit. Goal hits change no visit, bounce or page view. goals gives per goal its hits, visitors ((visitor, day) pairs with a hit), conversions (visits with a hit) and conversion_rate (over all visits); goal_channels splits them by the visit's channel (rate over that channel's visits)."),
    ("funnel", "A name and ordered steps, each a goal's name or a pattern (--funnel, or [funnels] in the configuration file): checkout=/cart,/checkout,thanks. A visit reaches step k when it holds goal hits of step 1, then step 2, ..., then step k, at non-decreasing times, each hit taking one step. funnels gives per step the visits that reached it, share_of_first = visits(k)/visits(1) and drop_off = 1 - visits(k)/visits(k-1) (0 for the first step and after a step no visit reached). The goal sections are never cut by --top."),
    ("route", "The path with all-digit segments as :id, UUIDs as :uuid and 16 or more hex digits as :hex."),
    ("error rates", "error_rate_4xx and error_rate_5xx are the shares of all hits, bots and static files included, with status 4xx and 5xx. Rates are fractions in [0, 1]."),
    ("response time", "Nearest-rank percentiles (the value at rank ceil(q*n) of n sorted times) of every hit with a time, in ms; within 1 % past 64 times per route. null when no hit had one."),
    ("days and hours", "Those of the report zone: --tz, else the offset on the log's first line. The time series is per hour when the period spans under 3 days, else per day."),
    ("state", "With --state, the figures of every line read so far, kept between runs: per day, sums of hit-level figures, the day's distinct visitors (as keyed hashes, never addresses) with the pages they viewed and their languages, the visits that ended, the server errors (per 5-minute slot, path and method, and the visitors and visits that got one) and the goal hits (per goal, and the visits they converted); a visit still open carries its server errors and goal hits to the next run. A report from a state equals one run over the same lines, except for a line more than 30 minutes older than the newest line of an earlier run, which cannot join a visit that run closed: it starts a visit of its own (a late server error or goal hit joins an open visit whose span holds it, or none). Goals and funnels are settings of the state: a run with other --goal or --funnel definitions (or none) is refused with exit status 2, naming the difference; to count new goals, move the state away and start over from the logs on disk. After a rotation, a malformed sample's path is the name its file had when it was read; its line number is that of one run. The settled days (all but the newest line's and the one before) are also kept summed as one block, which a run reads instead of decoding them; a late line on one of them, or one dropped by --keep-days, makes the block stale and that run sums the days again (the report is the same either way). A state of format 4 is read and saved as format 5."),
    ("text from the log", "Bytes that are not UTF-8 print as \\xHH, one escape a byte; escaped UTF-8 (\\xD0\\x9F) prints as its character. Tables and CSV show control characters and bidi overrides as escapes (\\x1b, \\u{202e}); JSON escapes them by its own rules."),
    ("tables", "Sorted by their first figure, descending, then by key (as printed), and cut at --top. Hit tables (status codes, methods, 404s, 5xx, routes, bots) count every hit; visitor tables count page views only."),
    ("hits of a visit", "A hit that is no page view (a 5xx) belongs to the visit of its visitor whose span, from its first page view to 30 minutes after its last, holds the hit's time; a hit in no such span (a visitor whose first request failed, with no page view in the 30 minutes before) belongs to no visit."),
    ("visits_with_errors", "Visits holding a 5xx hit of their visitor (by the rule above); visits_with_errors_rate = visits_with_errors / visits: how many people a failure reached."),
    ("incident", "A stretch of 5-minute slots (of UTC) each with at least 5 hits of status 5xx and a 5xx rate at least 3 times the report's normal level (the median 5xx rate of its slots with hits, nearest rank) and above 1 %, neighbouring slots joined; from the start of the first slot to the end of the last. For each: hits, 5xx and rate, the time of the first 5xx, the visitors (bots excluded) who got a 5xx in it, in a visit or not, and the visits holding one; the 3 routes (method and route) with the most of its 5xx hits, their share, and their 5xx hits before it (none: a new failure)."),
    ("prometheus labels", "With --format prometheus, a label whose values come from the log (route, path, vhost, referrer_host, bot) keeps the --top values with the largest totals (requests for routes, vhosts and bots, page views for paths and referrer hosts), ties to the alphabetically first, and adds the others up under the value other; --top 0 keeps every value. (none), (internal) and an empty vhost are always kept and take no place. Values that show the same (invalid UTF-8 as \\xHH, control characters as \\x1b) are one series. Without --state, each run ranks the logs it is given: the same logs give the same labels. With --state, a value joins when it is among the --top over the days the state holds and stays while it is among the first 2 x --top, so that series do not come and go with each run."),
    ("prometheus counters", "Without --state, each file describes the logs it was given: its counters grow with the log and drop when logrotate starts a new one, which Prometheus reads as a counter reset. Give the current log alone, without --since. With --state, the state keeps a running total per series and counters only grow, across appends, rotations and days dropped by --keep-days; the hit-level ones (requests, bytes, times, page views by path, bots, visitors, lines) equal one run over every line read, for every value kept all along. A value that joins the kept labels starts its series at its total over the days held, while other keeps what it counted for it; one that leaves ends its series and its later counts raise other. Visits, bounces, visitors, goal figures and page views by referrer host and by channel count open visits as they stand (a page view under its own referrer's host and its visit's channel), and a counter holds when a later line lowers the figure (a line before an open visit's first page view becomes its entry and gives it another channel) until the figure catches up."),
    ("prometheus goals", "With --goal and --funnel: logstats_goal_hits_total, logstats_goal_visitors_total and logstats_goal_conversions_total by goal, logstats_goal_conversions_by_channel_total by goal and channel (every channel of every goal), logstats_funnel_step_visits_total by funnel, step (its number) and step_name; as the goals and funnels sections define them."),
];

/// How `logstats check` judges, condensed: term, then meaning.
const CHECK_DEFINITIONS: &[(&str, &str)] = &[
    ("window", "The lines from --since (default 5m before now) to --until (default: the end of the log), by their time. On a plain file the window's start is found by a binary search over line starts, 5 minutes earlier for lines written out of order, and only the window is read; gzip files and standard input are read whole."),
    ("conditions", "METRIC>VALUE or METRIC<VALUE. 5xx and 4xx: the share of hits with that status class; p95 and p99: nearest-rank percentiles of the response time; hits: the number of hits; malformed: the share of the window's lines that do not match the layout (a malformed line belongs to the window of the line before it). Without --warn and --crit: --warn 5xx>2% --crit 5xx>5%."),
    ("--min-hits", "Under N hits (lines, for malformed) rates and percentiles are not judged, and the first line says so; a condition on a baseline also needs N hits in the baseline. hits is always judged."),
    ("baseline", "With --vs D, the same window D earlier in the same logs. A VALUE like 3x is that many times the same figure over the baseline (of the same route, with --each-route)."),
    ("scope", "All hits; with --route GLOB, the hits of routes or paths matching it; with --each-route, each route (method and route) on its own, the worst deciding (the most severe breach, then the most hits that breach it): hits and malformed are then judged on all hits."),
    ("since", "When a breach began: the hits of the scope in time order each score 1 if bad (a 5xx for 5xx, over the limit for p95) less the share the limit allows (the rate itself; 5 % for p95, 1 % for p99); the stretch ending at the window's end with the highest score starts at a bad hit, whose time is given."),
    ("routes over a limit", "The routes of the scope whose own figure breaches a breached condition (without --min-hits: they show where the trouble is), by severity, then by their bad hits; 5 at most."),
    ("performance data", "'rate_5xx'=P%;W;C;0;100 'hits'=Nc 'p95'=Ss;W;C;0 'p99'=Ss;W;C;0 'rate_4xx'=P% 'rate_malformed'=P%, of the scope (all hits with --each-route), with the limits of the conditions judged on them as threshold ranges (N: alert above N; N: with a colon, alert below N). p95 and p99 only when the window has times."),
];

/// What `check --state` judges and keeps: term, then meaning.
const CHECK_STATE_TERMS: &[(&str, &str)] = &[
    ("window", "With --state FILE, the lines added to the inputs since the last check: for each input, the bytes no earlier check read, followed by content through rotations exactly as report --state follows them (a renamed file continues, a compressed one read to its end is skipped, a new or truncated one is new, a last line without its newline waits). --since, when given, narrows them: the lines before it are counted in the state but not judged. --until is refused. Name the same files each time (access.log*): a file named for the first time is new, all of it."),
    ("first check", "With no state yet, the --since window (default 5m) is judged, as without --state; on a plain file it is found by position and what lies before it is passed over (counted as read, not judged); the lines from the start of the --vs baseline's 5-minute slot on are read and kept for later baselines."),
    ("period", "What the window stands for, and what a baseline mirrors: from the newest line the last check read (on a first check, --since) to the newest line read now, in the log's own times."),
    ("baseline from the state", "With --vs D, the period D earlier, from the hits and status classes the state keeps per 5-minute slot: each slot the period overlaps, weighed by the share of it covered (traffic taken as even within a slot), the sums rounded. So 5xx, 4xx and hits can be judged against a baseline (5xx>3x, hits<0.5x), on all hits. Refused with UNKNOWN: p95 and p99 against a baseline (the state keeps times per path and day, not per slot), malformed against a baseline, a baseline with --route or --each-route (routes are not kept per slot), and --vs over 28d (the state keeps 35 days). A baseline reaches back no further than the first check."),
    ("a state of its own", "The check keeps its own state file, not the one of report --state: a report run would otherwise take lines (and a spike in them) from the next check, which would never judge them; and a report's state, with each day's visitors, pages and visits, is far bigger than a check needs to load every minute (that of a 1 GiB log is 29 MB). A check's state holds the cursors and, for the last 35 days, the traffic per 5-minute slot: about 4.5 kB a day. A report refuses a check's state and a check a report's (UNKNOWN), each saying so."),
    ("safety", "The same file format, lock (--state-wait SECONDS, default 60) and settings rule as report --state: the settings that change figures (--log-format, --tz, and the configuration file's values for them) are stored and a check with others is refused (UNKNOWN, naming them). The state is saved atomically only once a verdict is reached: a check that ends UNKNOWN (an unreadable input, no new line, a refused condition, a lock held too long) leaves it as it was, and the next check judges the same lines."),
];

/// What a check's output is, and its exit status.
const CHECK_OUTPUT: &[(&str, &str)] = &[
    ("first line", "LOGSTATS STATE - summary | performance data, e.g. LOGSTATS CRITICAL - 5xx 7.9% (158/2000) since 03:02, mostly POST /api/checkout (141); p95 2.4s | 'rate_5xx'=7.9%;2;5;0;100 'hits'=2000c 'p95'=2.4s;;;0 ..."),
    ("details", "Each condition as judged (breached, ok, or not judged and why), the routes over a limit with their figures and since when, the window, the baseline, and how much of each input was read."),
    ("--format json", "The same verdict as one object, schema logstats.check/1: status, exit_code, summary, perfdata, figures, site, baseline, conditions, mostly, routes, inputs (with --state, each input's cursor and counted_before), state (with --state: path, first, after, warnings); or status UNKNOWN with a message."),
    ("exit status", "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN: an input that cannot be read, a bad argument or condition, no line in the window (unless a hits condition judges it), response-time conditions on a layout without times."),
];

const CHECK_EXAMPLES: &[(&str, &[&str])] = &[
    ("From cron, a mail (to MAILTO) only when a check is not OK; % is special to cron:", &["MAILTO=oncall@example.com", "* * * * *  out=$(logstats check /var/log/nginx/access.log --since 5m --warn '5xx>2\\%' --crit '5xx>5\\%') || echo \"$out\""]),
    ("A systemd service that fails when the check does, run by a timer (% is written %% in units):", &["# logstats-check.service", "[Service]", "Type=oneshot", "ExecStart=/usr/local/bin/logstats check /var/log/nginx/access.log --since 5m --crit 5xx>5%%", "# logstats-check.timer", "[Timer]", "OnCalendar=*-*-* *:*:00", "[Install]", "WantedBy=timers.target"]),
    ("A Nagios or Icinga command and service:", &["define command {", "    command_name  check_logstats", "    command_line  /usr/local/bin/logstats check $ARG1$ --since 5m --warn '5xx>$ARG2$' --crit '5xx>$ARG3$'", "}", "define service {", "    use                  generic-service", "    host_name            web1", "    service_description  HTTP 5xx", "    check_command        check_logstats!/var/log/nginx/access.log!2%!5%", "}"]),
    ("Each route, slow ones too, for a layout with times:", &["logstats check access.log --log-format nginx-timed --each-route --crit '5xx>5%' --crit 'p95>2s'"]),
    ("Against the same minutes yesterday: three times the error rate, or half the traffic:", &["logstats check access.log --since 10m --vs 1d --crit '5xx>3x' --warn 'hits<0.5x'"]),
    ("Every minute, the lines added since the last check, through log rotations, against the same period a day before:", &["* * * * *  out=$(logstats check /var/log/nginx/access.log* --state /var/lib/logstats/check.state --crit '5xx>5\\%' --crit '5xx>3x' --vs 1d) || echo \"$out\""]),
];

/// What people do with a report: description, then command lines.
const EXAMPLES: &[(&str, &[&str])] = &[
    ("A report on the current and rotated logs, in the terminal:", &["logstats report /var/log/nginx/access.log*"]),
    ("From cron, yesterday's report as JSON each night, replaced atomically:", &["5 0 * * *  logstats report /var/log/nginx/access.log /var/log/nginx/access.log.1 --since yesterday --until today --format json -o /srv/reports/yesterday.json"]),
    ("From cron, a page with charts for a browser, rebuilt every hour, replaced atomically (it loads nothing: a web server, a file or an e-mail attachment shows it alike):", &["0 * * * *  logstats report /var/log/nginx/access.log /var/log/nginx/access.log.1 --format html -o /var/www/stats/index.html"]),
    ("With jq, the 5xx rate, and page views per path:", &["logstats report access.log --format json | jq .summary.error_rate_5xx", "logstats report access.log --format json | jq -r '.pages[] | \"\\(.pageviews)\\t\\(.path)\"'"]),
    ("Into SQLite, every table as rows of section,key,metric,value:", &["logstats report access.log --format csv > report.csv", "sqlite3 stats.db '.import --csv report.csv report'", "sqlite3 stats.db \"SELECT key, CAST(value AS INTEGER) AS views FROM report WHERE section = 'pages' AND metric = 'pageviews' ORDER BY views DESC\""]),
    ("Into DuckDB, the slowest routes (needs a layout with times):", &["logstats report access.log --log-format nginx-timed --format csv --section routes > routes.csv", "duckdb -c \"SELECT route, hits, p95_ms FROM 'routes.csv' ORDER BY p95_ms DESC NULLS LAST LIMIT 10\""]),
    ("Goals and a checkout funnel: conversions per goal and channel, visits per step:", &["logstats report access.log --goal 'signup=POST /accounts/signup 3xx' --goal 'thanks=/checkout/done*' --funnel 'checkout=/cart,/checkout,thanks'"]),
    ("From cron every 5 minutes, a report on everything since the first run, kept in a state across log rotations; each run reads only the new lines:", &["*/5 * * * *  logstats report /var/log/nginx/access.log* --state /var/lib/logstats/site.state --keep-days 400 --format json -o /srv/reports/all.json", "logstats state /var/lib/logstats/site.state"]),
    ("Errors only, without bots, for the last day:", &["logstats report access.log --status 5xx --no-bots --since 24h"]),
    ("Where the time of a big log goes, phase by phase, on 1 thread and on all of them (on stderr):", &["logstats report big.log --format json -o /dev/null --threads 1 --timings", "LOGSTATS_TIMINGS=1 logstats report big.log --format json -o /dev/null"]),
    ("Metrics for Prometheus, every five minutes from cron, for node_exporter's textfile collector (--collector.textfile.directory):", &["*/5 * * * *  logstats report /var/log/nginx/access.log --format prometheus -o /var/lib/prometheus/node-exporter/logstats.prom"]),
    ("Metrics for Prometheus whose counters only grow, kept in a state:", &["*/5 * * * *  logstats report /var/log/nginx/access.log* --state /var/lib/logstats/site.state --format prometheus -o /var/lib/prometheus/node-exporter/logstats.prom"]),
    ("Shell completions for bash:", &["logstats completions bash > ~/.local/share/bash-completion/completions/logstats"]),
];

fn extra_sections() -> String {
    sections(&[("DEFINITIONS", DEFINITIONS)], EXAMPLES)
}

fn check_sections() -> String {
    sections(
        &[
            ("DEFINITIONS", CHECK_DEFINITIONS),
            ("VERDICT", CHECK_OUTPUT),
            ("STATE OF A CHECK", CHECK_STATE_TERMS),
        ],
        CHECK_EXAMPLES,
    )
}

/// Sections of terms and meanings, then EXAMPLES.
fn sections(terms: &[(&str, &[(&str, &str)])], examples: &[(&str, &[&str])]) -> String {
    let mut r = Roff::new();
    for (title, terms) in terms {
        r.control("SH", [*title]);
        for (term, meaning) in *terms {
            r.control("TP", [])
                .text([bold(*term)])
                .text([roman(*meaning)]);
        }
    }
    r.control("SH", ["EXAMPLES"]);
    for (what, lines) in examples {
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
    let check = root
        .find_subcommand("check")
        .unwrap()
        .clone()
        .name("logstats-check");
    let completions = root
        .find_subcommand("completions")
        .unwrap()
        .clone()
        .name("logstats-completions");
    let state = root
        .find_subcommand("state")
        .unwrap()
        .clone()
        .name("logstats-state");
    let mut report_page = render(report);
    report_page.extend_from_slice(extra_sections().as_bytes());
    // `man logstats` is where people look first: it answers too.
    let mut root_page = render(root.clone());
    root_page.extend_from_slice(extra_sections().as_bytes());
    let mut export_page = render(export);
    export_page.extend_from_slice(columns_section().as_bytes());
    let mut check_page = render(check);
    check_page.extend_from_slice(check_sections().as_bytes());
    let pages = [
        ("logstats.1", root_page),
        ("logstats-report.1", report_page),
        ("logstats-export.1", export_page),
        ("logstats-check.1", check_page),
        ("logstats-completions.1", render(completions)),
        ("logstats-state.1", render(state)),
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
