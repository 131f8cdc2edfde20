//! `logstats check`: an alert check for cron, systemd timers and
//! Nagios-style monitors, by the monitoring-plugin conventions: exit
//! status 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; a first line for the
//! pager with performance data, then details.
//!
//! The data path: [`args`] are read, [`condition`]s parsed; [`window`]
//! finds the windows in each input and reads them into [`figures`];
//! [`evaluate`] judges the conditions on the figures; [`plugin`] (text)
//! or [`json`] prints the verdict. The exit status is decided here, in
//! [`Status::exit_code`], and nowhere else.
//!
//! Beside [`output`](crate::output), it reads logs, not reports: it depends
//! on [`input`](crate::input), [`parse`](crate::parse), [`filter`](crate::filter)
//! and [`scan`](crate::scan) for finding and reading lines, on
//! [`aggregate`](crate::aggregate) for its keys and percentiles, on
//! [`enrich`](crate::enrich) for routes and the zone, and on
//! [`output`](crate::output)'s terminal text, with [`config`](crate::config)
//! and [`error`](crate::error) at the edges. [`cli`](crate::cli) names its
//! arguments, so it uses nothing of `cli`.

pub mod args;
pub mod checked;
pub mod condition;
pub mod evaluate;
pub mod figures;
pub mod json;
pub mod plugin;
pub mod state_baseline;
pub mod state_window;
pub mod status;
pub mod window;

use std::io::{IsTerminal, Write};

use globset::GlobSetBuilder;

pub use args::{CheckArgs, CheckFormat};
pub use checked::Checked;
use condition::{Condition, Metric};
use evaluate::{Rules, Scope};
use figures::{Collector, Window};
pub use status::Status;
use window::Input;

use crate::enrich::zone::ReportZone;
use crate::input::InputPath;

/// Runs a check, prints its verdict (or why there is none) on standard
/// output, and returns the exit status.
pub fn run(args: CheckArgs) -> u8 {
    let format = args.format;
    let outcome = check(args, None);
    let (status, text) = match (&outcome, format) {
        (Ok(c), CheckFormat::Text) => (c.verdict.status, plugin::render(c)),
        (Ok(c), CheckFormat::Json) => (c.verdict.status, json::render(c)),
        (Err(message), CheckFormat::Text) => (Status::Unknown, plugin::unknown(message)),
        (Err(message), CheckFormat::Json) => (Status::Unknown, json::unknown(message)),
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe or a full disk cannot be reported anywhere better.
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    status.exit_code()
}

/// What a check whose arguments clap refused prints, and its exit status:
/// UNKNOWN, as for any other argument that is wrong. `args` are those of
/// the command line, to see whether JSON was asked for.
pub fn refused(error: &clap::Error, args: &[String]) -> u8 {
    let rendered = error.render().to_string();
    let message = rendered
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("bad arguments")
        .trim_start_matches("error: ")
        .to_string();
    let json = args
        .windows(2)
        .any(|w| w[0] == "--format" && w[1] == "json")
        || args.iter().any(|a| a == "--format=json");
    let text = if json {
        json::unknown(&message)
    } else {
        plugin::unknown(&message)
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Status::Unknown.exit_code()
}

/// Runs a check; `Err` is what makes it UNKNOWN. `now` (Unix time) is for
/// tests; `None` reads the clock.
pub fn check(mut args: CheckArgs, now: Option<i64>) -> Result<Checked, String> {
    let now = now.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    });
    let (warn, crit) = if args.warn.is_empty() && args.crit.is_empty() {
        (default_condition("5xx>2%")?, default_condition("5xx>5%")?)
    } else {
        (
            std::mem::take(&mut args.warn),
            std::mem::take(&mut args.crit),
        )
    };
    if let Some(c) = warn.iter().chain(&crit).find(|c| c.is_relative()) {
        if args.vs.is_none() {
            return Err(format!(
                "{c} compares with a baseline: add --vs 1h (or 1d, 7d) to say which"
            ));
        }
    }
    let scope = match (&args.route, args.each_route) {
        (Some(glob), _) => Scope::Route(glob.glob().to_string()),
        (None, true) => Scope::EachRoute,
        (None, false) => Scope::Site,
    };
    let route_globs = match &args.route {
        Some(glob) => Some(
            GlobSetBuilder::new()
                .add(glob.clone())
                .build()
                .map_err(|e| format!("--route: {e}"))?,
        ),
        None => None,
    };
    let config = crate::config::load(args.config.as_deref()).map_err(|e| e.to_string())?;
    if args.state.is_some() {
        let judging = state_window::Judging {
            warn,
            crit,
            scope,
            route_globs,
            config,
            now,
        };
        return state_window::check(args, judging);
    }

    let mut paths: Vec<InputPath> = args.files.iter().map(|f| InputPath::from_arg(f)).collect();
    if paths.is_empty() {
        if std::io::stdin().is_terminal() {
            return Err("no input: name the log to check, e.g. /var/log/nginx/access.log".into());
        }
        paths.push(InputPath::Stdin);
    }
    if paths.iter().filter(|p| **p == InputPath::Stdin).count() > 1 {
        return Err("standard input (-) can be read only once".into());
    }
    // Every input is opened before any is read: a wrong path fails first.
    let format = args.log_format.or(config.log_format);
    let inputs = (paths.iter())
        .map(|p| Input::open(p, format))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let zone = args.tz.or(config.tz).unwrap_or_else(|| {
        let written = inputs.iter().find_map(|i| i.first_offset()).flatten();
        written.map_or(ReportZone::UTC, ReportZone::from_offset_seconds)
    });

    let since = (args.since)
        .unwrap_or(crate::filter::TimeArg::Ago(
            state_window::FIRST_WINDOW_SECONDS,
        ))
        .resolve(&zone, now);
    let until = args.until.map(|u| u.resolve(&zone, now));
    if until.is_some_and(|u| u <= since) {
        return Err(format!(
            "--since ({}) is not before --until ({}): the window is empty",
            zone.format(since),
            zone.format(until.unwrap_or(since))
        ));
    }
    let current = Window { from: since, until };
    let baseline = args.vs.map(|vs| Window {
        from: since - vs,
        until: Some(until.unwrap_or(now) - vs),
    });
    let windows: Vec<Window> = std::iter::once(current).chain(baseline).collect();
    let mut collector = Collector::new(&windows, route_globs);
    let mut read = Vec::with_capacity(inputs.len());
    for input in inputs {
        let name = input.path.display();
        let stats = input
            .read(&windows, &mut collector)
            .map_err(|e| e.to_string())?;
        read.push((name, stats));
    }

    let rules = Rules {
        warn,
        crit,
        scope,
        min_hits: args.min_hits,
    };
    let conditions = || rules.warn.iter().chain(&rules.crit);
    let now_figures = &collector.windows[0];
    if now_figures.lines() == 0 && !conditions().any(|c| c.metric == Metric::Hits) {
        let last = match collector.last_seen {
            Some(t) => format!("the last line read is at {}", zone.format(t)),
            None => "no line of the log has a time".to_string(),
        };
        return Err(format!(
            "no line in the window since {} ({last}); is the log still written to?",
            zone.format(since)
        ));
    }
    if let Some(c) = conditions().find(|c| c.metric.above_share().is_some()) {
        if now_figures.all.hits > 0 && now_figures.all.latency.count() == 0 {
            return Err(format!(
                "{c} needs response times, which no line of the window has: name a layout \
                 that logs them with --log-format (nginx-timed, gunicorn-timed, or your \
                 server's pattern with $request_time or %D)"
            ));
        }
    }
    let verdict = evaluate::evaluate(
        &rules,
        &collector.windows[0],
        collector.windows.get(1),
        &collector.routes,
    );
    Ok(Checked {
        verdict,
        rules,
        current,
        baseline,
        vs: args.vs,
        zone,
        now,
        inputs: read,
        last_seen: collector.last_seen,
        followed: None,
    })
}

fn default_condition(text: &str) -> Result<Vec<Condition>, String> {
    Condition::parse(text).map(|c| vec![c])
}
