//! The `logstats` binary: arguments in, a report and an exit status out.
//! Exit status: 0 success, 1 `--strict` failure or an input read only in
//! part, 2 usage, input or output errors.

// Input decides nothing by panicking: a value from a log, a file or the
// command line is handled, never unwrapped. Tests may unwrap.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use logstats::cli::{
    Cli, Command, ExportArgs, FilterArgs, InputArgs, ProgressMode, ReportArgs, SiteArgs, ZoneArg,
};
use logstats::error::Error;
use logstats::export::{run_export, ExportOptions};
use logstats::filter::FilterSpec;
use logstats::input::InputPath;
use logstats::output::{render_styled, OutputFormat, Style, HIT_LEVEL_SECTIONS};
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

/// mimalloc waits a second before giving freed memory back to the system,
/// which suits a long-lived server, not a run that frees a chunk's tables
/// while it builds the next: at once, the peak from a pipe on the 1 GiB
/// log is 85 MiB instead of 117.
fn tune_allocator() {
    use libmimalloc_sys::{mi_option_set, mi_option_t};
    // `mi_option_purge_delay` in the mimalloc.h (v3) that the pinned
    // libmimalloc-sys builds; its Rust constants do not name it.
    const PURGE_DELAY: mi_option_t = 15;
    // SAFETY: an option may be set at any time; this one is read each
    // time memory is freed.
    unsafe { mi_option_set(PURGE_DELAY, 0) }
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Report(args) => report(*args),
        Command::Export(args) => export(*args),
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
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("logstats: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn report(args: ReportArgs) -> Result<u8, Error> {
    if args.section.is_some() && args.format == OutputFormat::Json {
        return Err(Error::Usage(
            "--section goes with --format csv or table; with JSON, pick a section with jq, e.g. jq .routes".into(),
        ));
    }
    if args.csv_safe && args.format != OutputFormat::Csv {
        return Err(Error::Usage("--csv-safe goes with --format csv".into()));
    }
    let section = args.section.as_deref();
    let (mut opts, threads) = run_options(
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
    let outcome = in_pool(threads, || run_report(&opts))?;
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
    match &args.output {
        Some(path) => write_atomically(path, |out| {
            render_styled(&outcome.report, args.format, section, style, out)
        })?,
        None => {
            let stdout = io::stdout();
            let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
            let written = render_styled(&outcome.report, args.format, section, style, &mut out)
                .and_then(|()| out.flush().map_err(Into::into));
            if let Err(e) = written {
                // `logstats report ... | head` closes the pipe early: not an error.
                if !is_broken_pipe(&e) {
                    return Err(Error::Output {
                        path: "standard output".into(),
                        reason: e.to_string(),
                    });
                }
            }
        }
    }
    Ok(if outcome.partial { 1 } else { 0 })
}

fn export(args: ExportArgs) -> Result<u8, Error> {
    let (opts, threads) = run_options(
        args.input,
        args.site,
        args.zone,
        args.filters,
        args.progress,
    )?;
    let export = ExportOptions {
        format: args.format,
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

/// The options of a run that `report` and `export` take alike, and the
/// number of threads asked for. A flag given replaces the configuration
/// file's value, lists included: a site's list of its own hosts or
/// networks is said whole, in one place or the other.
/// `$LOGSTATS_LOG_FORMAT` has reached `log_format` through clap already.
fn run_options(
    input: InputArgs,
    site: SiteArgs,
    zone: ZoneArg,
    filters: FilterArgs,
    progress: ProgressMode,
) -> Result<(RunOptions, Option<u16>), Error> {
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
    let config = logstats::config::load(input.config.as_deref())?;
    let sites = if site.site.is_empty() {
        config.site.unwrap_or_default()
    } else {
        site.site
    };
    let exclude_ip = if filters.exclude_ip.is_empty() {
        config.exclude_ip.unwrap_or_default()
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
            .unwrap_or(logstats::chunk::DEFAULT_CHUNK_BYTES),
        progress,
        sites,
        geoip: site.geoip,
        geoip_config: config.geoip,
        filters,
        ..RunOptions::default()
    };
    Ok((opts, input.threads))
}

/// Runs `work` on `threads` threads, or one per CPU.
fn in_pool<T: Send>(
    threads: Option<u16>,
    work: impl FnOnce() -> Result<T, Error> + Send,
) -> Result<T, Error> {
    match threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n as usize)
            .build()
            .map_err(|e| Error::Usage(format!("cannot start {n} threads: {e}")))?
            .install(work),
        None => work(),
    }
}

/// Writes to a temporary file beside `path`, flushes it to disk and renames
/// it into place, so that `path` is either the old file or the whole new one.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> Result<(), Error> {
    let fail = |reason: String| Error::Output {
        path: path.display().to_string(),
        reason,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // The temporary file would be private (0600); the report gets the mode
    // an ordinary new file has (0666 less the umask), or keeps the mode of
    // the report it replaces, so that a web server can still read it.
    let mut builder = tempfile::Builder::new();
    builder.prefix(".logstats-");
    #[cfg(unix)]
    let permissions = {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(existing) => existing.permissions(),
            Err(_) => std::fs::Permissions::from_mode(0o666),
        }
    };
    #[cfg(unix)]
    builder.permissions(permissions.clone());
    let mut tmp = builder.tempfile_in(dir).map_err(|e| fail(e.to_string()))?;
    // The mode given at creation was cut by the umask; an existing report's
    // mode is restored exactly.
    #[cfg(unix)]
    if std::fs::metadata(path).is_ok() {
        tmp.as_file()
            .set_permissions(permissions)
            .map_err(|e| fail(e.to_string()))?;
    }
    {
        let mut out = io::BufWriter::new(tmp.as_file_mut());
        write(&mut out).map_err(|e| fail(e.to_string()))?;
        out.flush().map_err(|e| fail(e.to_string()))?;
    }
    tmp.as_file().sync_all().map_err(|e| fail(e.to_string()))?;
    tmp.persist(path).map_err(|e| fail(e.error.to_string()))?;
    Ok(())
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<csv::Error>()
                .is_some_and(|c| matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == io::ErrorKind::BrokenPipe))
    })
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
