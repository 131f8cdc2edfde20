//! The arguments of `logstats check`, as clap reads them. The doc comments
//! are the `--help` text and the man page.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use globset::Glob;

use super::condition::Condition;
use crate::enrich::zone::ReportZone;
use crate::filter::{parse_glob, TimeArg};
use crate::parse::Format;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Log files, e.g. /var/log/nginx/access.log (add the rotated file,
    /// access.log.1, when a window may reach back past a rotation). A
    /// plain file is searched by position, reading only the window; gzip
    /// files and standard input (-, or no file when input is piped) are
    /// read whole.
    #[arg(value_name = "FILE", help_heading = "Input")]
    pub files: Vec<PathBuf>,

    /// The window judged: lines at or after TIME, a time before now (90s,
    /// 5m, 1h) or a date-time (2024-05-01T03:00, with an offset or in the
    /// report zone). Default: 5m. With --state, the lines new since the
    /// last check are judged, and --since, when given, narrows them.
    #[arg(long, value_name = "TIME", value_parser = TimeArg::parse, help_heading = "Window")]
    pub since: Option<TimeArg>,

    /// The end of the window (exclusive), written as for --since. Default:
    /// the end of the log.
    #[arg(long, value_name = "TIME", value_parser = TimeArg::parse, conflicts_with = "state", help_heading = "Window")]
    pub until: Option<TimeArg>,

    /// Compare with the same window this long before (1h, 1d, 7d, or any
    /// duration such as 30m), in the same logs (with --state, in the
    /// state's figures per 5 minutes): conditions like 5xx>3x or hits<0.5x
    /// judge the window against that baseline.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Window")]
    pub vs: Option<i64>,

    /// A condition for WARNING (repeatable): METRIC>VALUE or METRIC<VALUE.
    /// Metrics: 5xx, 4xx (rates of hits), p95, p99 (response times, for a
    /// layout that logs them), hits, malformed (a rate of lines). Values: a
    /// percentage for rates (2%), a duration for times (800ms, 2s), a count
    /// for hits (10), or with --vs a multiple of the baseline (3x, 0.5x).
    /// Default, when no --warn and no --crit is given: 5xx>2%.
    #[arg(long, value_name = "COND", value_parser = Condition::parse, help_heading = "Conditions")]
    pub warn: Vec<Condition>,

    /// A condition for CRITICAL (repeatable), written as for --warn, e.g.
    /// --crit '5xx>5%' --crit 'p95>2s'. Default, when no --warn and no
    /// --crit is given: 5xx>5%.
    #[arg(long, value_name = "COND", value_parser = Condition::parse, help_heading = "Conditions")]
    pub crit: Vec<Condition>,

    /// Judge only the hits of a route or path matching GLOB, where *
    /// also matches /, e.g. '/api/*' or '/users/:id' (routes as in the
    /// report's routes table).
    #[arg(long, value_name = "GLOB", value_parser = parse_glob, conflicts_with = "each_route", help_heading = "Conditions")]
    pub route: Option<Glob>,

    /// Judge each route (method and route, e.g. POST /api/orders/:id) on
    /// its own: the worst decides. hits and malformed are judged on all
    /// hits.
    #[arg(long, help_heading = "Conditions")]
    pub each_route: bool,

    /// Below N hits (lines, for malformed), rates and percentiles are not
    /// judged, and the output says so: 1 error in 2 requests at night is
    /// no incident. Applies to each route with --each-route, and to the
    /// baseline of conditions like 5xx>3x.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 100,
        help_heading = "Conditions"
    )]
    pub min_hits: u64,

    /// text: a status line with performance data, then details (the
    /// monitoring-plugin format that Nagios, Icinga, Sensu and cron mail
    /// read); json: the same verdict as one object.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text, help_heading = "Output")]
    pub format: CheckFormat,

    /// The log layout, as for logstats report (a name such as combined or
    /// nginx-timed, or the server's log_format pattern). Default: detected
    /// from the start of each file.
    #[arg(long, value_name = "FORMAT", value_parser = Format::from_arg, env = "LOGSTATS_LOG_FORMAT", help_heading = "Input")]
    pub log_format: Option<Format>,

    /// Zone of the times printed and of --since/--until written without
    /// an offset. Default: the offset written on the first line.
    #[arg(long, value_name = "ZONE", value_parser = ReportZone::parse, help_heading = "Output")]
    pub tz: Option<ReportZone>,

    /// Configuration file (TOML); its log_format and tz are used. Default:
    /// $XDG_CONFIG_HOME/logstats/config.toml, else
    /// ~/.config/logstats/config.toml, if it exists.
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub config: Option<PathBuf>,

    /// Judge the lines added since the last check instead of the last
    /// minutes, keeping where each input was read up to, and figures per
    /// 5 minutes for --vs, in FILE: a state of the check's own, not the
    /// one of logstats report --state (see STATE OF A CHECK). Inputs are
    /// followed by content, through rotations, as report --state does; the
    /// file is saved only once a verdict is reached. E.g. logstats check
    /// /var/log/nginx/access.log* --state /var/lib/logstats/check.state
    #[arg(long, value_name = "FILE", help_heading = "State")]
    pub state: Option<PathBuf>,

    /// With --state: how long to wait for another run that holds the
    /// state before giving up (UNKNOWN).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 60,
        requires = "state",
        help_heading = "State"
    )]
    pub state_wait: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
}

/// A `--vs` duration in seconds: 90s, 30m, 1h, 1d, 7d, 2w.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    match TimeArg::parse(s) {
        Ok(TimeArg::Ago(secs)) if secs > 0 => Ok(secs),
        _ => Err(format!(
            "'{s}' is not a duration: write one like 1h, 1d or 7d (or 30m, 2w)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h"), Ok(3600));
        assert_eq!(parse_duration("7d"), Ok(7 * 86_400));
        assert!(parse_duration("0h").is_err());
        assert!(parse_duration("today")
            .unwrap_err()
            .contains("not a duration"));
    }
}
