//! The command line, as clap reads it. The doc comments are the `--help`
//! text (and the man page), so they say defaults and give examples.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use globset::Glob;

use crate::enrich::zone::ReportZone;
use crate::export::{Compression, ExportFormat};
use crate::filter::{parse_glob, parse_host, IpList, MethodSet, StatusSet, TimeArg};
use crate::goals::{FunnelDef, GoalDef};
use crate::output::{OutputFormat, SECTION_NAMES};
use crate::parse::Format;

/// Web analytics from the access logs your server already writes.
///
/// logstats reads nginx, Apache and gunicorn access logs (plain, rotated or
/// gzipped) and reports traffic, errors and routes as terminal tables, JSON,
/// CSV or an HTML page. No cookies, no JavaScript on your site.
#[derive(Debug, Parser)]
#[command(name = "logstats", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Report on access logs.
    ///
    /// Examples:
    ///   logstats report /var/log/nginx/access.log*
    ///   logstats report access.log --format json -o /srv/reports/today.json
    ///   logstats report /var/log/nginx/access.log* --format html -o /var/www/stats/index.html
    ///   logstats report access.log --format csv --section routes | sort -t, -k2 -n
    ///   logstats report access.log --since yesterday --until today --no-bots
    ///   zcat access.log.*.gz | logstats report -
    #[command(verbatim_doc_comment)]
    Report(Box<ReportArgs>),

    /// Write every kept hit as a row, enriched (page view, bot, device,
    /// country, visitor, visit, channel, ...), for DuckDB, ClickHouse, Spark
    /// or Trino: Parquet (or NDJSON, CSV) in one folder a day.
    ///
    /// Examples:
    ///   logstats export /var/log/nginx/access.log* -o /srv/exports/web1
    ///   logstats export access.log --id-key /etc/logstats/id.key -o out/host=web1
    ///   duckdb -c "SELECT channel, count(*) FROM read_parquet('out/**/*.parquet', hive_partitioning = true) WHERE is_entry GROUP BY ALL"
    ///   logstats export access.log --format ndjson -o out-json
    #[command(verbatim_doc_comment)]
    Export(Box<ExportArgs>),

    /// Alert when errors, slowness or silence pass a limit: a check for
    /// cron, systemd timers, Nagios and Icinga.
    ///
    /// Judges the last minutes of a log against conditions and exits with
    /// the monitoring-plugin status: 0 OK, 1 WARNING, 2 CRITICAL, 3
    /// UNKNOWN (an unreadable log, bad arguments, no line in the window).
    /// It prints one status line for the pager, with performance data,
    /// then details: the routes over a limit and since when. On a plain
    /// log it reads only the window, found by position: a check every
    /// minute on gigabytes costs milliseconds. With --state, it judges the
    /// lines added since the last check instead, following the log
    /// through rotations.
    ///
    /// Examples:
    ///   logstats check /var/log/nginx/access.log --since 5m --warn '5xx>2%' --crit '5xx>5%'
    ///   logstats check access.log --log-format nginx-timed --crit 'p95>2s' --each-route
    ///   logstats check access.log --route '/api/*' --crit 'hits<10'
    ///   logstats check access.log --since 10m --vs 1d --crit '5xx>3x' --warn 'hits<0.5x'
    ///   logstats check access.log --format json | jq .status
    ///   logstats check access.log* --state /var/lib/logstats/check.state --crit '5xx>5%'
    #[command(verbatim_doc_comment)]
    Check(Box<crate::check::CheckArgs>),
    /// Print what a state file (of report --state or check --state)
    /// holds: its inputs and where each was read up to, the days kept, the
    /// settings, its size and format version.
    ///
    /// Examples:
    ///   logstats state /var/lib/logstats/site.state
    #[command(verbatim_doc_comment)]
    State {
        /// The state file.
        #[arg(value_name = "PATH")]
        path: PathBuf,
    },

    /// Print a shell completion script to standard output.
    ///
    /// Examples:
    ///   logstats completions bash > ~/.local/share/bash-completion/completions/logstats
    ///   logstats completions zsh > ~/.zfunc/_logstats    # with fpath+=~/.zfunc in .zshrc
    ///   logstats completions fish > ~/.config/fish/completions/logstats.fish
    #[command(verbatim_doc_comment)]
    Completions {
        /// The shell to complete for: bash, zsh or fish.
        #[arg(value_enum)]
        shell: CompletionShell,
    },
}

/// The shells a completion script is printed for: those people install
/// logstats beside ripgrep, fd and jq with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

impl CompletionShell {
    /// Writes the completion script for this shell, generated from the same
    /// definitions as `--help`, so it cannot miss a flag.
    pub fn write(self, out: &mut dyn std::io::Write) {
        use clap::CommandFactory;
        use clap_complete::{generate, Shell};
        let shell = match self {
            CompletionShell::Bash => Shell::Bash,
            CompletionShell::Zsh => Shell::Zsh,
            CompletionShell::Fish => Shell::Fish,
        };
        generate(shell, &mut Cli::command(), "logstats", out);
    }
}

/// How `report` and `export` read their input: the files, their layout,
/// and how they are read.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Log files, read in the order given; gzip files are recognised by
    /// their content. `-`, or no file when input is piped, reads standard
    /// input.
    #[arg(value_name = "FILE", help_heading = "Input")]
    pub files: Vec<PathBuf>,

    /// The log layout: a name, or the pattern from the server's
    /// configuration. Names: combined (nginx and gunicorn default, Apache
    /// combined), vcombined (Apache vhost_combined), common (NCSA CLF),
    /// json (JSON lines: nginx escape=json, Caddy), nginx-timed (combined,
    /// then $request_time $upstream_response_time), gunicorn-timed (the
    /// default, then %(L)s). A pattern is written in nginx log_format syntax
    /// ('$remote_addr - $remote_user [$time_local] "$request" $status
    /// $body_bytes_sent "$http_referer" "$http_user_agent" $request_time'),
    /// Apache LogFormat syntax ('%v %h %l %u %t "%r" %>s %b
    /// "%{Referer}i" "%{User-Agent}i" %D') or gunicorn access_log_format
    /// syntax ('%(h)s %(t)s "%(r)s" %(s)s %(b)s %(L)s'); a pasted
    /// configuration line works too. A file whose first 200 lines it does
    /// not mostly read stops the run (exit status 2). Default: detected for
    /// each file from its first 200 lines.
    #[arg(
        long,
        value_name = "FORMAT",
        value_parser = Format::from_arg,
        env = "LOGSTATS_LOG_FORMAT",
        help_heading = "Input"
    )]
    pub log_format: Option<Format>,

    /// Stop at the first malformed line, with exit status 1 and its
    /// file:line. Default: malformed lines are counted and the first five
    /// shown.
    #[arg(long, help_heading = "Input")]
    pub strict: bool,

    /// Read every file instead of memory-mapping it. Without it, files
    /// modified in the last 10 minutes are already read, not mapped, since
    /// logrotate copytruncate may truncate them during the run (a mapped
    /// file that shrinks ends the run with SIGBUS); use it when older files
    /// may be truncated too. Any file is read up to the size it had when
    /// the run opened it.
    #[arg(long, help_heading = "Input")]
    pub no_mmap: bool,

    /// Threads that parse, e.g. --threads 1 beside a busy server. Default:
    /// one per CPU.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..), help_heading = "Input")]
    pub threads: Option<u16>,

    /// After the run, print to stderr the wall time of each phase (opening
    /// the inputs, the parallel parse, the merge, then each step that runs
    /// once every line is read: visitors, the page-view sort and walk,
    /// sources, tables, output; with --state, loading the state, filing
    /// the new lines, the save and the report over every day kept) and the
    /// total, to see where the time of a big log goes. Costs nothing when
    /// off.
    #[arg(long, env = "LOGSTATS_TIMINGS", value_parser = clap::builder::FalseyValueParser::new(), help_heading = "Input")]
    pub timings: bool,

    /// Bytes per parallel chunk (for testing: tiny chunks exercise every
    /// chunk boundary).
    #[arg(long, value_name = "BYTES", hide = true)]
    pub chunk_bytes: Option<usize>,

    /// Configuration file (TOML) with the settings a site always uses:
    /// site, geoip, exclude_ip, log_format, tz, e.g. tz = "Europe/Paris",
    /// and [goals] and [funnels] tables (signup = "POST /signup 3xx",
    /// checkout = ["/cart", "signup"]).
    /// Flags and environment variables override it. Default:
    /// $XDG_CONFIG_HOME/logstats/config.toml, else
    /// ~/.config/logstats/config.toml, if it exists.
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub config: Option<PathBuf>,
}

/// What the site is: its own hosts, and where its visitors are.
#[derive(Debug, Args)]
pub struct SiteArgs {
    /// A host name of the site, e.g. example.com (repeatable): referrers
    /// from it are internal, not sources. Default: the vhost field when the
    /// layout has one, else the host most later page views were referred by.
    #[arg(long, value_name = "HOST", help_heading = "Analysis")]
    pub site: Vec<String>,

    /// MaxMind-format country database (GeoLite2-Country or DB-IP Lite
    /// .mmdb). Default: $LOGSTATS_GEOIP, then /usr/share/GeoIP and
    /// /var/lib/GeoIP; without one, countries are "unknown".
    #[arg(long, value_name = "FILE", help_heading = "Analysis")]
    pub geoip: Option<PathBuf>,
}

/// The zone of days and hours.
#[derive(Debug, Args)]
pub struct ZoneArg {
    /// Zone for days, hours and printed times (and the date= folders of an
    /// export): an offset (+02:00) or a name (Europe/Paris). Default: the
    /// offset written on the first line.
    #[arg(long, value_name = "ZONE", value_parser = ReportZone::parse, help_heading = "Output")]
    pub tz: Option<ReportZone>,
}

/// Which parsed lines a run keeps.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Only lines at or after TIME: a date (2024-05-01), a date-time
    /// (2024-05-01T12:00, 2024-05-01T12:00:30+02:00), a time before now
    /// (90s, 30m, 24h, 7d, 2w), today or yesterday (the start of the day).
    /// Times without an offset are in the report zone (--tz). Default: from
    /// the first line.
    #[arg(long, value_name = "TIME", value_parser = TimeArg::parse, help_heading = "Filters")]
    pub since: Option<TimeArg>,

    /// Only lines before TIME (written as for --since), e.g. --since
    /// yesterday --until today for the whole of yesterday. Default: to the
    /// last line.
    #[arg(long, value_name = "TIME", value_parser = TimeArg::parse, help_heading = "Filters")]
    pub until: Option<TimeArg>,

    /// Drop lines from a client address in NET (repeatable): an address
    /// (192.0.2.7, 2001:db8::1), a network (10.0.0.0/8, 2001:db8::/32) or
    /// @FILE with one a line (# comments). Clients that are no address are
    /// kept. Default: none dropped.
    #[arg(long, value_name = "NET", value_parser = IpList::parse, help_heading = "Filters")]
    pub exclude_ip: Vec<IpList>,

    /// Only lines whose path (without query string) matches GLOB
    /// (repeatable: any of them), where * also matches /, e.g. '/blog/*'.
    /// Default: every path.
    #[arg(long, value_name = "GLOB", value_parser = parse_glob, help_heading = "Filters")]
    pub include_path: Vec<Glob>,

    /// Drop lines whose path matches GLOB (repeatable), e.g. '*.php'
    /// or '/admin/*'. Default: none dropped.
    #[arg(long, value_name = "GLOB", value_parser = parse_glob, help_heading = "Filters")]
    pub exclude_path: Vec<Glob>,

    /// Only lines of the virtual host NAME, compared case-insensitively
    /// without the port (repeatable: any of them), e.g. example.com. Needs
    /// a layout that logs the host (vcombined, $host, %v). Default: every
    /// host.
    #[arg(long = "host", value_name = "NAME", value_parser = parse_host, help_heading = "Filters")]
    pub hosts: Vec<String>,

    /// Only lines whose status is in LIST: codes, classes and ranges,
    /// comma-separated; ! drops, e.g. 5xx, 404,410, 400-499 or !304.
    /// Default: every status.
    #[arg(long, value_name = "LIST", value_parser = StatusSet::parse, help_heading = "Filters")]
    pub status: Option<StatusSet>,

    /// Only lines whose method is in LIST, comma-separated, any case; !
    /// drops, e.g. GET,HEAD or !POST. Default: every method.
    #[arg(long, value_name = "LIST", value_parser = MethodSet::parse, help_heading = "Filters")]
    pub method: Option<MethodSet>,

    /// Drop bot hits (empty user agents, crawlers, HTTP libraries, ...)
    /// from every table, hit-level ones too. Default: bots are counted in
    /// hit-level tables and the bots table.
    #[arg(long, help_heading = "Filters")]
    pub no_bots: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub site: SiteArgs,

    /// A goal: NAME=PATTERN (repeatable), where PATTERN is [METHOD
    /// ]PATH_GLOB[ STATUS], e.g. --goal 'signup=POST /accounts/signup 3xx',
    /// --goal 'thanks=/checkout/done*', --goal 'pdf=/files/*.pdf'. The glob
    /// matches the path without its query string, * matching anything, /
    /// included; METHOD is any when left out; STATUS is a code (302), a
    /// class (3xx) or a range (200-399), 200-399 when left out. Every hit
    /// that is no bot's and matches counts, static files and redirects
    /// included; it belongs to the visit of its visitor whose span, from the
    /// first page view to 30 minutes after the last, holds it. Adds the
    /// goals and goal_channels sections. Default: the [goals] table of the
    /// configuration file; none.
    #[arg(long, value_name = "NAME=PATTERN", value_parser = GoalDef::from_flag, help_heading = "Analysis")]
    pub goal: Vec<GoalDef>,

    /// A funnel: NAME=STEP,STEP,... (repeatable), each step a goal's name
    /// or a goal pattern, e.g. --funnel 'checkout=/cart,/checkout,thanks'.
    /// A visit reaches step k when it holds goal hits of steps 1 to k in
    /// that order (times may be equal). Adds the funnels section: visits per
    /// step, share of the first step, drop-off. Default: the [funnels] table
    /// of the configuration file; none.
    #[arg(long, value_name = "NAME=STEP,...", value_parser = FunnelDef::from_flag, help_heading = "Analysis")]
    pub funnel: Vec<FunnelDef>,

    /// Output format: table (for people), json (for programs), csv (for
    /// pipes), html (one page with charts, for a browser: a file that
    /// holds its style and data and loads nothing, to open from disk, a web
    /// server or an e-mail; written with -o FILE or into a redirection,
    /// never to a terminal), prometheus (metrics for node_exporter's
    /// textfile collector, e.g. -o
    /// /var/lib/prometheus/node-exporter/logstats.prom). A Prometheus label
    /// whose values come from the log (route, path, vhost, referrer_host,
    /// bot) keeps its --top values with the largest totals and adds the rest
    /// up under "other". With --state its counters only grow, across runs,
    /// rotations and --keep-days.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table, help_heading = "Output")]
    pub format: OutputFormat,

    /// With --format csv or table: print only this table, e.g. pages,
    /// referrers, routes. Hit-level tables alone (status_codes, methods,
    /// not_found, server_errors, routes, response_time) skip all visit
    /// work: about twice as fast.
    #[arg(long, value_name = "NAME", value_parser = SECTION_NAMES, help_heading = "Output")]
    pub section: Option<String>,

    /// With --format csv: put a ' before text cells that a spreadsheet
    /// would run as a formula (those starting with = + - or @), as OWASP
    /// recommends for CSV opened in Excel or LibreOffice. Log data is
    /// written by whoever sends the requests; control characters in it are
    /// escaped (\x1b) with or without this.
    #[arg(long, help_heading = "Output")]
    pub csv_safe: bool,

    /// Rows per table, 0 for all, e.g. --top 25.
    #[arg(long, value_name = "N", default_value_t = 10, help_heading = "Output")]
    pub top: usize,

    /// Write the report to FILE instead of standard output, e.g. -o
    /// /srv/reports/today.json. The file is replaced atomically: a failed
    /// run leaves the old one in place. Default: standard output.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        help_heading = "Output"
    )]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub zone: ZoneArg,

    /// Print client addresses as logged, e.g. with --clients to block
    /// abusers. Default: no address appears in
    /// any output; the clients table shows them anonymised (IPv4 last
    /// octet, IPv6 last 80 bits zeroed) and addresses inside log text
    /// (malformed lines, paths, referrers) are anonymised the same way.
    #[arg(long, help_heading = "Output")]
    pub show_ips: bool,

    /// Add the clients table: hits per client address (anonymised unless
    /// --show-ips), to spot abusive clients. Counting every line's client
    /// costs about a tenth more time, so it is off by default; --section
    /// clients turns it on.
    #[arg(long, help_heading = "Output")]
    pub clients: bool,

    /// Colour in table output: auto colours when standard output is a
    /// terminal and NO_COLOR is unset or empty; always colours even in a
    /// pipe (e.g. into less -R); never does not. JSON and CSV are never
    /// coloured.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorMode::Auto, help_heading = "Output")]
    pub color: ColorMode,

    /// Progress bar on stderr: auto shows it for large inputs when stderr
    /// is a terminal, never in pipes or cron.
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto, help_heading = "Output")]
    pub progress: ProgressMode,

    #[command(flatten)]
    pub filters: FilterArgs,

    /// Keep the figures between runs in FILE, so that each run reads only
    /// the lines added since the last one and reports on everything read
    /// so far, exactly as one run over all those lines would. Inputs are
    /// recognised by their first bytes, not their names: a rotated file
    /// (access.log.1, access.log.2.gz) continues where it stopped or is
    /// skipped; a last line without its newline waits for the next run.
    /// The settings that change figures (--log-format, --site, --tz,
    /// filters, --clients, --show-ips, --goal, --funnel) are stored, and a
    /// run with others stops (exit status 2). The file is replaced atomically, never left
    /// half-written; its directory must exist. E.g. from cron: logstats
    /// report /var/log/nginx/access.log* --state
    /// /var/lib/logstats/site.state --format json -o /srv/stats.json
    #[arg(long, value_name = "FILE", help_heading = "State")]
    pub state: Option<PathBuf>,

    /// With --state: keep the last N days (of the report zone, counted
    /// back from the day of the newest line) and drop older days from the
    /// state and the report, e.g. --keep-days 400. Default: keep all.
    #[arg(long, value_name = "N", requires = "state", value_parser = clap::value_parser!(u32).range(1..), help_heading = "State")]
    pub keep_days: Option<u32>,

    /// With --state: how long to wait for another run that holds the
    /// state before giving up (exit status 2).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 60,
        help_heading = "State"
    )]
    pub state_wait: u64,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub site: SiteArgs,

    /// Output format: parquet (columnar, compressed; DuckDB, ClickHouse,
    /// Spark, Trino, pandas read it), ndjson (one JSON object a line) or csv
    /// (a header row, then one row a hit). Each has the same columns.
    #[arg(long, value_enum, default_value_t = ExportFormat::Parquet, help_heading = "Output")]
    pub format: ExportFormat,

    /// How Parquet pages are compressed: snappy (fast; what Spark, DuckDB
    /// and pyarrow write by default) or zstd (about a fifth smaller, slower
    /// to write). Only with --format parquet.
    #[arg(long, value_enum, value_name = "CODEC", help_heading = "Output")]
    pub compression: Option<Compression>,

    /// The directory to write, one folder a day (in the report zone) in
    /// Hive style: DIR/date=2024-05-01/part-0000.parquet. It must not exist
    /// or be empty; it appears whole when the export is done, or not at all.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "DIR",
        help_heading = "Output"
    )]
    pub output: PathBuf,

    #[command(flatten)]
    pub zone: ZoneArg,

    /// The key of visitor_id, a keyed hash of client and user agent, kept in
    /// FILE: created (mode 0600) with a random key the first time, read
    /// after, so that the ids of exports made with one key join. Without
    /// it, each export draws a key of its own and forgets it: its ids match
    /// no other export's. Whoever holds the key can test a guess of an
    /// address and agent against an id; keep it as private as the logs.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub id_key: Option<PathBuf>,

    /// Add the client_address column: the client as logged (its address
    /// when it has one). Default: no address appears in any column, and
    /// client addresses inside log text (paths, queries, referrers, user
    /// agents) are anonymised (IPv4 last octet, IPv6 last 80 bits zeroed).
    #[arg(long, help_heading = "Output")]
    pub show_ips: bool,
    /// Progress bar on stderr: auto shows it for large inputs when stderr
    /// is a terminal, never in pipes or cron.
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto, help_heading = "Output")]
    pub progress: ProgressMode,

    #[command(flatten)]
    pub filters: FilterArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressMode {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorMode {
    Auto,
    Always,
    Never,
}

impl ColorMode {
    /// Whether to colour, given whether the report goes to a terminal and
    /// the value of `NO_COLOR` (https://no-color.org: set and non-empty
    /// means no colour unless asked for explicitly).
    pub fn enabled(self, to_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
        match self {
            ColorMode::Always => true,
            ColorMode::Never => false,
            ColorMode::Auto => to_terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn colour_follows_the_terminal_and_no_color() {
        let set = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        assert!(ColorMode::Auto.enabled(true, None));
        assert!(ColorMode::Auto.enabled(true, empty));
        assert!(!ColorMode::Auto.enabled(true, set));
        assert!(!ColorMode::Auto.enabled(false, None));
        assert!(ColorMode::Always.enabled(false, set));
        assert!(!ColorMode::Never.enabled(true, None));
    }
}
