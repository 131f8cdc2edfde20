//! logstats: web analytics from access logs.
//!
//! The modules follow the data path: [`input`] opens what the command line
//! names, [`chunk`] cuts it into line-aligned pieces, [`parse`] turns lines
//! into borrowed records, [`scan`] accounts for every line and feeds
//! [`aggregate`] (interning keys with [`bytes_map`]), [`visits`] turns the
//! recorded page views into visitors, visits and sources (with the rules of
//! [`classify`], [`geoip`] and [`sources`]), [`report`] sorts and cuts the
//! figures, and [`output`] renders them.

pub mod aggregate;
pub mod bytes_map;
pub mod chunk;
pub mod classify;
pub mod cli;
pub mod error;
pub mod geoip;
pub mod input;
pub mod latency;
pub mod output;
pub mod parse;
pub mod privacy;
pub mod report;
pub mod route;
pub mod scan;
pub mod sources;
pub mod visits;
pub mod zone;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::chunk::{LineBlocks, DEFAULT_CHUNK_BYTES};
use crate::cli::ProgressMode;
use crate::error::Error;
use crate::input::{InputPath, Source};
use crate::parse::{check_fit, detect, Format};
use crate::report::{Report, ReportOptions, ScannedInput};
use crate::scan::{scan_slice, scan_stream, ScanOptions, Scanned};
use crate::zone::ReportZone;

/// The first block of a stream, from which its format is detected.
const DETECT_BLOCK_BYTES: usize = 1 << 20;

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
    /// `--geoip FILE`; without it `$LOGSTATS_GEOIP`, then the usual paths.
    pub geoip: Option<std::path::PathBuf>,
    /// Whether visit-level figures are wanted; a run that prints only a
    /// hit-level table records and computes none of them.
    pub visits: bool,
    /// `--show-ips`: client addresses as logged, not anonymised.
    pub show_ips: bool,
    /// `--clients`: count hits per client for the clients table.
    pub clients: bool,
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
            visits: true,
            show_ips: false,
            clients: false,
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
    // A wrong --geoip fails the run before any log is read.
    let geo = if opts.visits {
        geoip::open(opts.geoip.as_deref())?
    } else {
        None
    };
    let mut opened = Vec::with_capacity(opts.inputs.len());
    for path in &opts.inputs {
        opened.push((path, input::open(path, opts.mmap)?));
    }
    let total_disk: u64 = opened.iter().filter_map(|(_, o)| o.disk_bytes).sum();
    let show = match opts.progress {
        ProgressMode::Always => total_disk > 0,
        ProgressMode::Auto => total_disk >= PROGRESS_MIN_BYTES,
        ProgressMode::Never => false,
    };
    let bar = show.then(|| progress_bar(total_disk));

    let mut scanned = Vec::with_capacity(opened.len());
    let mut warnings = Vec::new();
    let mut partial = false;
    let mut chunk_base = 0u32;
    for (path, opened) in opened {
        let name = path.display();
        let (format, result) =
            scan_input(opened, opts, chunk_base, bar.as_ref()).map_err(|message| {
                Error::Format {
                    path: name.to_string(),
                    message,
                }
            })?;
        chunk_base = chunk_base.saturating_add(result.chunks);
        if let Some(e) = &result.read_error {
            partial = true;
            warnings.push(format!(
                "{name}: read failed after {} bytes of log text: {e}; the report covers what was read",
                result.bytes
            ));
        }
        if result.counts.parsed == 0 && result.counts.malformed > 0 && !opts.strict {
            warnings.push(format!(
                "{name}: no line matches the {format} layout; name the right one with --log-format"
            ));
        }
        if opts.strict {
            if let Some(first) = result.samples.first() {
                return Err(Error::Strict {
                    path: name,
                    line: first.line,
                    format: format.name(),
                    text: report::text(&first.text),
                });
            }
        }
        scanned.push(ScannedInput {
            path: name,
            format,
            scanned: result,
        });
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let report = report::build(
        scanned,
        &ReportOptions {
            top: opts.top,
            zone: opts.zone,
            sites: &opts.sites,
            geo: geo.as_ref(),
            visits: opts.visits,
            show_ips: opts.show_ips,
            clients: opts.clients && opts.visits,
        },
    );
    Ok(Outcome {
        report,
        warnings,
        partial,
    })
}

/// Detects the format of one opened input (unless it was given), checks
/// that it fits the start of the input, and scans it. `Err`: the message
/// of a format that does not fit.
fn scan_input(
    opened: input::Opened,
    opts: &RunOptions,
    chunk_base: u32,
    bar: Option<&ProgressBar>,
) -> Result<(Format, Scanned), String> {
    let choose = |start: &[u8]| -> Result<Format, String> {
        let format = opts.format.unwrap_or_else(|| detect(start).0);
        check_fit(start, format, opts.format.is_some())?;
        Ok(format)
    };
    let scan_opts = |format| ScanOptions {
        format,
        chunk_base,
        visits: opts.visits,
        clients: opts.clients && opts.visits,
        chunk_bytes: opts.chunk_bytes,
        strict: opts.strict,
        // Compressed input is counted as it is read, on the compressed side.
        progress: if opened.gzip { None } else { bar },
    };
    match opened.source {
        Source::Mapped(map) => {
            let format = choose(&map)?;
            Ok((format, scan_slice(&map, &scan_opts(format))))
        }
        Source::Bytes(bytes) => {
            let format = choose(&bytes)?;
            Ok((format, scan_slice(&bytes, &scan_opts(format))))
        }
        Source::Stream(reader) => {
            let reader: Box<dyn std::io::Read + Send> = match (bar, opened.gzip) {
                (Some(bar), true) => Box::new(bar.wrap_read(reader)),
                _ => reader,
            };
            // The first block is what detection samples: make it large
            // enough for 200 lines whatever the chunk size.
            let mut blocks = LineBlocks::new(reader, opts.chunk_bytes.max(DETECT_BLOCK_BYTES));
            let first = blocks.next_block();
            blocks.set_block_bytes(opts.chunk_bytes);
            let (first, early_error) = match first {
                Ok(b) => (b, None),
                Err(e) => (None, Some(e.to_string())),
            };
            let format = choose(first.as_deref().unwrap_or_default())?;
            let mut result = scan_stream(blocks, first, &scan_opts(format));
            if early_error.is_some() {
                result.read_error = early_error;
            }
            Ok((format, result))
        }
    }
}

fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}
