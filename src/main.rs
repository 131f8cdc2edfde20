//! The `logstats` binary: arguments in, a report and an exit status out.
//! Exit status: 0 success, 1 `--strict` failure or an input read only in
//! part, 2 usage, input or output errors; `logstats check` has the
//! monitoring-plugin statuses instead (see [`logstats::check::Status`]).

// Input decides nothing by panicking: a value from a log, a file or the
// command line is handled, never unwrapped. Tests may unwrap.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use logstats::cli::{
    Cli, Command, ExportArgs, FilterArgs, InputArgs, ProgressMode, ReportArgs, SiteArgs, ZoneArg,
};
use logstats::error::Error;
use logstats::export::{run_export, ExportFormat, ExportOptions};
use logstats::filter::FilterSpec;
use logstats::input::InputPath;
use logstats::output::destination::write_to;
use logstats::output::{render_styled, OutputFormat, Style, HIT_LEVEL_SECTIONS};
use logstats::state::StateOptions;
use logstats::timings;
use logstats::{run_report, RunOptions};

/// mimalloc rather than the system's malloc: a run builds and frees many
/// small tables per chunk on every thread, and glibc's per-thread arenas
/// keep much of what is freed. On the 1 GiB generated log it made the full
/// report 7 % faster and, with [`tune_allocator`], the peak from a pipe
/// 7 % lower. It is built without transparent huge pages (the `no_thp`
/// feature in Cargo.toml): with them, touching a few bytes made 2 MiB
/// resident, and a 10-line report took 22 MiB instead of 9.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in the mimalloc.h (v3) that the pinned
/// libmimalloc-sys builds; its Rust constants do not name it.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc waits a second before giving freed memory back to the system,
/// which suits a long-lived server, not a run that frees a chunk's tables
/// while it builds the next: at once, the peak from a pipe on the 1 GiB
/// log is 85 MiB instead of 117.
fn tune_allocator() {
    purge_delay(0);
}

/// A run with `--state` reads a state, frees and rebuilds tables of the
/// same sizes many times over, and never holds a log's worth of memory:
/// giving freed memory back at once only makes it fault the same pages
/// in again. A second's delay (mimalloc's own default) keeps them. An
/// export too frees and rebuilds each part's tables and row buffers: on
/// the 1 GiB generated log keeping them made it about 5 % faster (0.1 s
/// less of system time) for 35 MB more at its peak (1.34 GB).
fn keep_freed_memory() {
    purge_delay(1000);
}

/// Once the run's work is done, freed memory is no longer given back:
/// the process is about to end and the kernel takes it all at once.
/// Without this, mimalloc's collection at exit gave it back 64 KiB at a
/// time (some 300 calls at the end of a `--state` run).
fn stop_returning_memory() {
    // A negative delay turns purging off.
    purge_delay(-1);
}

/// How long mimalloc waits, in milliseconds, before it gives freed memory
/// back to the system.
fn purge_delay(ms: std::ffi::c_long) {
    // SAFETY: an option may be set at any time; this one is read each
    // time memory is freed.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, ms) }
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return refused(e),
    };
    // `check` has no flag of its own for it: the variable alone.
    let timed = match &cli.command {
        Command::Report(args) => args.input.timings,
        Command::Export(args) => args.input.timings,
        Command::Check(_) => timings::asked_by_env(),
        _ => false,
    };
    if timed {
        timings::enable();
    }
    let result = match cli.command {
        Command::Report(args) => report(*args),
        Command::Export(args) => export(*args),
        Command::Check(args) => Ok(logstats::check::run(*args)),
        Command::State { path } => logstats::state::show::print(&path).map(|()| 0),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            shell.write(&mut out);
            match io::stdout().lock().write_all(&out) {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Error::Output {
                    path: "standard output".into(),
                    reason: e.to_string(),
                }),
                _ => Ok(0),
            }
        }
    };
    stop_returning_memory();
    if timed {
        let _ = timings::print(&mut io::stderr().lock());
    }
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("logstats: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// Arguments clap refused: its message and status (2), or for `logstats
/// check` an UNKNOWN verdict, since a monitor reads status 2 as CRITICAL.
/// Help and version requests exit as clap has them.
fn refused(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let is_check = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .is_some_and(|a| a == "check");
    let is_help = matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if is_check && !is_help {
        return ExitCode::from(logstats::check::refused(&e, &args));
    }
    e.exit()
}

fn report(args: ReportArgs) -> Result<u8, Error> {
    if args.section.is_some() && args.format == OutputFormat::Json {
        return Err(Error::Usage(
            "--section goes with --format csv or table; with JSON, pick a section with jq, e.g. jq .routes".into(),
        ));
    }
    if args.section.is_some() && args.format == OutputFormat::Prometheus {
        return Err(Error::Usage(
            "--section goes with --format csv or table; a Prometheus file holds every metric family, pick one in PromQL".into(),
        ));
    }
    if args.section.is_some() && args.format == OutputFormat::Html {
        return Err(Error::Usage(
            "--section goes with --format csv or table; the HTML page holds every table".into(),
        ));
    }
    // A page of markup is for a browser; checked before the run, not after.
    if args.format == OutputFormat::Html && args.output.is_none() && io::stdout().is_terminal() {
        return Err(Error::Usage(
            "--format html writes a web page: add -o report.html, or redirect it (> report.html)"
                .into(),
        ));
    }
    if args.csv_safe && args.format != OutputFormat::Csv {
        return Err(Error::Usage("--csv-safe goes with --format csv".into()));
    }
    let section = args.section.as_deref();
    let (mut opts, threads, config) = run_options(
        args.input,
        args.site,
        args.zone,
        args.filters,
        args.progress,
    )?;
    opts.top = args.top;
    opts.visits = !section.is_some_and(|s| HIT_LEVEL_SECTIONS.contains(&s));
    opts.show_ips = args.show_ips;
    opts.clients = args.clients || section == Some("clients");
    opts.metrics = args.format == OutputFormat::Prometheus;

    // Goals and funnels: the flags replace the file's tables, each whole;
    // a funnel may name the goals of either.
    let goal_defs = if args.goal.is_empty() {
        config.goals.unwrap_or_default()
    } else {
        args.goal
    };
    let funnel_defs = if args.funnel.is_empty() {
        config.funnels.unwrap_or_default()
    } else {
        args.funnel
    };
    opts.goals = logstats::goals::GoalSet::build(goal_defs, funnel_defs)?;

    let pool = threads.map(pool_of).transpose()?;
    if args.state.is_some() {
        keep_freed_memory();
    }
    let state = args.state.map(|path| StateOptions {
        path,
        keep_days: args.keep_days,
        wait: std::time::Duration::from_secs(args.state_wait),
    });
    let run = || match &state {
        Some(state) => logstats::state::run(&opts, state),
        None => run_report(&opts),
    };
    let outcome = match &pool {
        Some(pool) => pool.install(run)?,
        None => run()?,
    };
    for w in &outcome.warnings {
        eprintln!("logstats: warning: {w}");
    }

    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let color = args
        .color
        .enabled(to_terminal, std::env::var_os("NO_COLOR").as_deref());
    let style = Style {
        color,
        csv_safe: args.csv_safe,
    };
    let output = timings::phase("output: rendered and written");
    write_to(args.output.as_deref(), |out| {
        render_styled(&outcome.report, args.format, section, style, out)
    })?;
    output.end();
    Ok(if outcome.partial { 1 } else { 0 })
}

fn export(args: ExportArgs) -> Result<u8, Error> {
    if args.compression.is_some() && args.format != ExportFormat::Parquet {
        return Err(Error::Usage(
            "--compression is for --format parquet: NDJSON and CSV are written as plain text"
                .into(),
        ));
    }
    keep_freed_memory();
    let (opts, threads, _) = run_options(
        args.input,
        args.site,
        args.zone,
        args.filters,
        args.progress,
    )?;
    let export = ExportOptions {
        format: args.format,
        compression: args.compression.unwrap_or_default(),
        dir: args.output,
        id_key: args.id_key,
        show_ips: args.show_ips,
    };
    let outcome = in_pool(threads, || run_export(&opts, &export))?;
    for w in &outcome.warnings {
        eprintln!("logstats: warning: {w}");
    }
    Ok(if outcome.partial { 1 } else { 0 })
}

/// The options of a run that `report` and `export` take alike, the
/// number of threads asked for, and the rest of the configuration file
/// (its goals and funnels). A flag given replaces the configuration
/// file's value, lists included: a site's list of its own hosts or
/// networks is said whole, in one place or the other.
/// `$LOGSTATS_LOG_FORMAT` has reached `log_format` through clap already.
fn run_options(
    input: InputArgs,
    site: SiteArgs,
    zone: ZoneArg,
    filters: FilterArgs,
    progress: ProgressMode,
) -> Result<(RunOptions, Option<u16>, logstats::config::Config), Error> {
    let mut inputs: Vec<InputPath> = input.files.iter().map(|f| InputPath::from_arg(f)).collect();
    if inputs.is_empty() {
        if io::stdin().is_terminal() {
            return Err(Error::Usage(
                "no input: name log files (logstats report /var/log/nginx/access.log*) or pipe one in".into(),
            ));
        }
        inputs.push(InputPath::Stdin);
    }
    if inputs.iter().filter(|i| **i == InputPath::Stdin).count() > 1 {
        return Err(Error::Usage(
            "standard input (-) can be read only once".into(),
        ));
    }
    let mut config = logstats::config::load(input.config.as_deref())?;
    let sites = if site.site.is_empty() {
        config.site.take().unwrap_or_default()
    } else {
        site.site
    };
    let exclude_ip = if filters.exclude_ip.is_empty() {
        config.exclude_ip.take().unwrap_or_default()
    } else {
        filters.exclude_ip.into_iter().flat_map(|l| l.0).collect()
    };
    let filters = FilterSpec {
        since: filters.since,
        until: filters.until,
        exclude_ip,
        include_path: filters.include_path,
        exclude_path: filters.exclude_path,
        hosts: filters.hosts,
        status: filters.status,
        method: filters.method,
        no_bots: filters.no_bots,
    };
    // A bar only where a person watches: never in pipes or cron.
    let progress = match progress {
        ProgressMode::Auto if !io::stderr().is_terminal() => ProgressMode::Never,
        mode => mode,
    };
    let opts = RunOptions {
        inputs,
        format: input.log_format.or(config.log_format),
        zone: zone.tz.or(config.tz),
        strict: input.strict,
        mmap: !input.no_mmap,
        chunk_bytes: input
            .chunk_bytes
            .unwrap_or(logstats::input::chunk::DEFAULT_CHUNK_BYTES),
        progress,
        sites,
        geoip: site.geoip,
        geoip_config: config.geoip.take(),
        filters,
        ..RunOptions::default()
    };
    Ok((opts, input.threads, config))
}

/// A pool of `threads` threads.
fn pool_of(threads: u16) -> Result<rayon::ThreadPool, Error> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads as usize)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {threads} threads: {e}")))
}

/// Runs `work` on `threads` threads, or one per CPU.
fn in_pool<T: Send>(
    threads: Option<u16>,
    work: impl FnOnce() -> Result<T, Error> + Send,
) -> Result<T, Error> {
    match threads {
        Some(n) => pool_of(n)?.install(work),
        None => work(),
    }
}

#[cfg(test)]
mod tests {
    use libmimalloc_sys::mi_option_get;

    /// The option number of [`super::tune_allocator`] is the purge
    /// delay's: before the call it reads as that option's default, after
    /// it as set.
    #[test]
    fn allocator_option_is_the_one_meant() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reading an option has no precondition.
        let get = |o| unsafe { mi_option_get(o) };
        assert_eq!(get(15), 1000);
        super::tune_allocator();
        assert_eq!(get(15), 0);
    }
}
