//! logstats: web analytics from access logs.
//!
//! The folders of `src/` are the stages of the data path, in the order
//! [`run_report`] runs them:
//!
//! - [`input`] opens what the command line names (mapped, read or
//!   decompressed), cuts it into line-aligned chunks and the chunks into
//!   lines;
//! - [`parse`] reads a line into a borrowed [`LogLine`](parse::LogLine) of
//!   its layout;
//! - [`filter`] says which parsed lines the report covers;
//! - [`aggregate`] adds each kept line to mergeable
//!   [`Figures`](aggregate::Figures), candidate page views to its
//!   page-view store;
//! - [`scan`] drives those four over every input, chunks in parallel, and
//!   accounts for every line;
//! - [`state`] keeps the figures between runs (`report --state`): the
//!   scan files kept lines by day, the state absorbs them, and the report
//!   is built from everything it holds;
//! - [`visits`] walks the page views into visitors, visits and sources;
//! - [`goals`] tests kept hits against the goal and funnel patterns given
//!   (during the scan, only when some are), and gives each match to its
//!   visit during the walk;
//! - [`report`] sorts and cuts every table into a [`Report`], and the
//!   series of `--format prometheus` (from what [`aggregate`] and
//!   [`visits`] count for them when that format is asked for);
//! - [`output`] renders the report, one format per file.
//! - [`check`] is the other command: it reads the last minutes of a log
//!   through [`input`], [`parse`] and [`scan`]'s line reading, judges them
//!   against thresholds and prints a monitoring-plugin verdict.
//! - [`export`] is the third: it writes every kept hit as a row (Parquet,
//!   NDJSON, CSV) instead of a report, from the same [`scan`] and a
//!   watched [`visits`] walk, then a second reading of the inputs.
//!
//! [`enrich`] holds the rules for single values that several stages apply
//! (bots, countries, channels, routes, languages, anonymised addresses,
//! the report zone), and [`text`] is the one conversion of log bytes to
//! printed text, made safe to show; [`timings`] records the phases of a
//! run for `--timings`.
//! At the edges, [`cli`] and [`config`] read the command line and the
//! configuration file, and [`error`] says what ends a run, with which exit
//! status. Each folder's module says what it may use; no two modules
//! use each other. A new stage gets a folder of its own: what else reads
//! a finished report (a check against thresholds) beside [`output`], and
//! what writes the kept lines elsewhere (a columnar export) is fed by
//! [`scan`].

// Input decides nothing by panicking: a value from a log, a file or the
// command line is handled, never unwrapped. Tests may unwrap.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod aggregate;
pub mod check;
pub mod cli;
pub mod config;
pub mod enrich;
pub mod error;
pub mod export;
pub mod filter;
pub mod goals;
pub mod input;
pub mod output;
pub mod parse;
pub mod report;
pub mod scan;
pub mod state;
pub mod text;
pub mod timings;
pub mod visits;

use crate::cli::ProgressMode;
use crate::enrich::geoip;
use crate::enrich::zone::ReportZone;
use crate::error::Error;
use crate::filter::{Filter, FilterSpec};
use crate::input::chunk::DEFAULT_CHUNK_BYTES;
use crate::input::InputPath;
use crate::parse::Format;
use crate::report::{Report, ReportOptions};
use crate::scan::InputsOptions;

/// Inputs this large get a progress bar when stderr is a terminal.
pub const PROGRESS_MIN_BYTES: u64 = 32 << 20;

/// Everything a report run needs.
pub struct RunOptions {
    pub inputs: Vec<InputPath>,
    /// `None`: detected per input.
    pub format: Option<Format>,
    pub zone: Option<ReportZone>,
    pub top: usize,
    pub strict: bool,
    pub mmap: bool,
    pub chunk_bytes: usize,
    /// `Auto` draws a bar for inputs of [`PROGRESS_MIN_BYTES`] or more.
    pub progress: ProgressMode,
    /// `--site`: the site's own hosts.
    pub sites: Vec<String>,
    /// `--geoip FILE`; without it `$LOGSTATS_GEOIP`, then `geoip_config`,
    /// then the usual paths.
    pub geoip: Option<std::path::PathBuf>,
    /// The `geoip` key of the configuration file.
    pub geoip_config: Option<std::path::PathBuf>,
    /// Which parsed lines the report covers.
    pub filters: FilterSpec,
    /// Unix time that relative `--since`/`--until` values count back from;
    /// `None` reads the clock when the run starts.
    pub now: Option<i64>,
    /// Whether visit-level figures are wanted; a run that prints only a
    /// hit-level table records and computes none of them.
    pub visits: bool,
    /// `--show-ips`: client addresses as logged, not anonymised.
    pub show_ips: bool,
    /// `--clients`: count hits per client for the clients table.
    pub clients: bool,
    /// `--format prometheus`: count and build its figures (see
    /// [`report::metrics`]). Counted per hit, so only when asked for.
    pub metrics: bool,
    /// `--goal` and `--funnel` (or the configuration's tables); `None`:
    /// no goal hit is looked for.
    pub goals: Option<goals::GoalSet>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            inputs: Vec::new(),
            format: None,
            zone: None,
            top: 10,
            strict: false,
            mmap: true,
            chunk_bytes: DEFAULT_CHUNK_BYTES,
            progress: ProgressMode::Never,
            sites: Vec::new(),
            geoip: None,
            geoip_config: None,
            filters: FilterSpec::default(),
            now: None,
            visits: true,
            show_ips: false,
            clients: false,
            metrics: false,
            goals: None,
        }
    }
}

/// A finished run: the report, and problems worth a line on stderr that did
/// not stop it. `partial` is set when some input could only be read in part
/// (the run then exits with status 1).
pub struct Outcome {
    pub report: Report,
    pub warnings: Vec<String>,
    pub partial: bool,
}

/// Reads every input and builds the report. Inputs are all opened first,
/// so that a wrong path fails the run before any work is done.
pub fn run_report(opts: &RunOptions) -> Result<Outcome, Error> {
    let opening = timings::phase("open inputs (and the GeoIP database)");
    let (geo, filter) = prepare(opts)?;
    let mut opened = Vec::with_capacity(opts.inputs.len());
    for path in &opts.inputs {
        opened.push((path, input::open(path, opts.mmap)?));
    }
    opening.end();
    let scanned = scan::scan_inputs(opened, &inputs_options(opts), filter)?;
    let report = report::build(
        scanned.inputs,
        &ReportOptions {
            top: opts.top,
            zone: scanned.zone,
            sites: &opts.sites,
            geo: geo.as_ref(),
            visits: opts.visits,
            show_ips: opts.show_ips,
            clients: opts.clients && opts.visits,
            metrics: opts.metrics && opts.visits,
            goals: opts.goals.as_ref().filter(|_| opts.visits),
        },
    );
    let mut warnings = scanned.warnings;
    if let Some(g) = &report.geoip {
        warnings.extend(geoip::lookup_warning(&g.database, g.lookup_errors));
    }
    Ok(Outcome {
        report,
        warnings,
        partial: scanned.partial,
    })
}

/// What a run settles before it reads a line: the GeoIP database (a wrong
/// --geoip fails the run before any log is read, and a run that computes
/// no visits opens none), and the filters.
pub(crate) fn prepare(opts: &RunOptions) -> Result<(Option<geoip::GeoDb>, Option<Filter>), Error> {
    let geo = if opts.visits {
        geoip::open_configured(opts.geoip.as_deref(), opts.geoip_config.as_deref())?
    } else {
        None
    };
    let filter = Filter::compile(&opts.filters, now(opts)).map_err(Error::Usage)?;
    Ok((geo, filter))
}

/// One reading of the clock for the whole run: `--since 1h` names the
/// same instant for every input.
fn now(opts: &RunOptions) -> i64 {
    opts.now.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    })
}

/// The size of the inputs from which `mode` draws a progress bar; `None`:
/// never.
pub(crate) fn progress_from(mode: ProgressMode) -> Option<u64> {
    match mode {
        ProgressMode::Always => Some(1),
        ProgressMode::Auto => Some(PROGRESS_MIN_BYTES),
        ProgressMode::Never => None,
    }
}

pub(crate) fn inputs_options(opts: &RunOptions) -> InputsOptions<'_> {
    InputsOptions {
        format: opts.format,
        zone: opts.zone,
        strict: opts.strict,
        chunk_bytes: opts.chunk_bytes,
        progress_from: progress_from(opts.progress),
        visits: opts.visits,
        clients: opts.clients && opts.visits,
        metrics: opts.metrics && opts.visits,
        goals: opts.goals.as_ref().filter(|_| opts.visits),
    }
}
