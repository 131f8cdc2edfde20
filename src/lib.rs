//! logstats: web analytics from access logs.
//!
//! The modules follow the data path: [`input`] opens what the command line
//! names, [`chunk`] cuts it into line-aligned pieces, [`parse`] turns lines
//! into borrowed records, [`scan`] accounts for every line, leaves out
//! those a [`filter`] excludes and feeds [`aggregate`] (interning keys with
//! [`bytes_map`]), [`visits`] turns the recorded page views into visitors,
//! visits and sources (with the rules of [`classify`], [`geoip`] and
//! [`sources`]), [`report`] sorts and cuts the figures, and [`output`]
//! renders them. [`config`] reads the settings a site always uses.

// Input decides nothing by panicking: a value from a log, a file or the
// command line is handled, never unwrapped. Tests may unwrap.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod aggregate;
pub mod bytes_map;
pub mod chunk;
pub mod classify;
pub mod cli;
pub mod config;
pub mod error;
pub mod export;
pub mod filter;
pub mod geoip;
pub mod input;
pub mod latency;
pub mod lines;
pub mod output;
pub mod pageviews;
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
use crate::filter::{Filter, FilterSpec};
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
    let (geo, mut zoning) = prepare(opts)?;
    let mut opened = Vec::with_capacity(opts.inputs.len());
    for path in &opts.inputs {
        opened.push((path, input::open(path, opts.mmap)?));
    }
    let total_disk: u64 = opened.iter().filter_map(|(_, o)| o.disk_bytes).sum();
    let bar = progress_for(opts.progress, total_disk);

    let mut scanned = Vec::with_capacity(opened.len());
    let mut warnings = Vec::new();
    let mut partial = false;
    let mut chunk_base = 0u32;
    for (path, opened) in opened {
        let name = path.display();
        let compressed_read = opened.compressed_read.clone();
        let (format, result) = scan_input(opened, opts, &mut zoning, chunk_base, bar.as_ref())
            .map_err(|message| Error::Format {
                path: name.to_string(),
                message,
            })?;
        chunk_base = chunk_base.saturating_add(result.chunks);
        partial |= check_scanned(&name, format, &result, compressed_read, opts, &mut warnings)?;
        scanned.push(ScannedInput {
            path: name,
            format,
            scanned: result,
        });
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    warnings.extend(zoning.empty_span_warning());
    let report = report::build(
        scanned,
        &ReportOptions {
            top: opts.top,
            zone: zoning.zone,
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

/// What a run settles before it reads a line: the GeoIP database (a wrong
/// --geoip fails the run before any log is read, and a run that computes
/// no visits opens none), and the filters with the rule for the zone.
pub(crate) fn prepare(opts: &RunOptions) -> Result<(Option<geoip::GeoDb>, Zoning), Error> {
    let geo = if opts.visits {
        geoip::open_configured(opts.geoip.as_deref(), opts.geoip_config.as_deref())?
    } else {
        None
    };
    // One reading of the clock for the whole run: `--since 1h` names the
    // same instant for every input.
    let now = opts.now.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    });
    let filter = Filter::compile(&opts.filters, now).map_err(Error::Usage)?;
    Ok((
        geo,
        Zoning {
            zone: opts.zone,
            filter,
        },
    ))
}

/// A progress bar for inputs of `total_disk` bytes, if `mode` wants one.
pub(crate) fn progress_for(mode: ProgressMode, total_disk: u64) -> Option<ProgressBar> {
    let show = match mode {
        ProgressMode::Always => total_disk > 0,
        ProgressMode::Auto => total_disk >= PROGRESS_MIN_BYTES,
        ProgressMode::Never => false,
    };
    show.then(|| progress_bar(total_disk))
}

/// What one scanned input tells the user: a read that failed part way
/// (then `Ok(true)`: the run covers part of the input), a layout that
/// reads none of it, lines `--host` dropped for having no virtual host.
/// With `--strict`, its first malformed line ends the run.
pub(crate) fn check_scanned(
    name: &str,
    format: Format,
    result: &Scanned,
    compressed_read: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    opts: &RunOptions,
    warnings: &mut Vec<String>,
) -> Result<bool, Error> {
    if let Some(e) = &result.read_error {
        warnings.push(match &compressed_read {
            Some(consumed) => format!(
                "{name}: truncated or corrupt gzip data at byte {} of the compressed file \
                 (after {} bytes of decompressed log text): {e}; the report covers what was read",
                consumed.load(std::sync::atomic::Ordering::Relaxed),
                result.bytes
            ),
            None => format!(
                "{name}: read failed after {} bytes of log text: {e}; the report covers what was read",
                result.bytes
            ),
        });
    }
    if result.counts.parsed == 0 && result.counts.malformed > 0 && !opts.strict {
        warnings.push(format!(
            "{name}: no line matches the {format} layout; name the right one with --log-format"
        ));
    }
    if result.no_vhost > 0 {
        warnings.push(if result.no_vhost == result.counts.parsed {
            format!(
                "{name}: the {format} layout logs no virtual host, so --host filtered every line"
            )
        } else {
            format!(
                "{name}: {} lines have no virtual host, so --host filtered them",
                result.no_vhost
            )
        });
    }
    if opts.strict {
        if let Some(first) = result.samples.first() {
            return Err(Error::Strict {
                path: name.to_string(),
                line: first.line,
                format: format.name(),
                text: report::text(&first.text),
            });
        }
    }
    Ok(result.read_error.is_some())
}

/// The report zone, decided before any line is filtered, and the filters
/// resolved in it. SPEC §1: `--tz`, else the offset written on the first
/// parsed line of the first input with one. The scan would find that line
/// too, but only after filtering with times that depend on it; so it is
/// looked for in the sample format detection reads, where the check that
/// the format fits puts it whenever the input has a line that is not blank.
pub(crate) struct Zoning {
    pub(crate) zone: Option<ReportZone>,
    pub(crate) filter: Option<Filter>,
}

impl Zoning {
    /// Called with the start of each input, before it is scanned.
    pub(crate) fn before_scan(&mut self, start: &[u8], format: Format) {
        if self.zone.is_none() {
            self.zone = first_offset(start, format)
                .map(|offset| offset.map_or(ReportZone::UTC, ReportZone::from_offset_seconds));
        }
        // Undecided, the zone matters to no line of this input: it has none
        // that parses.
        let zone = self.zone.unwrap_or(ReportZone::UTC);
        if let Some(f) = &mut self.filter {
            f.set_zone(&zone);
        }
    }

    /// `--since` at or after `--until` keeps nothing, which is rarely what
    /// was meant (`--since today --until yesterday`).
    pub(crate) fn empty_span_warning(&self) -> Option<String> {
        let (Some(since), Some(until)) = self.filter.as_ref()?.bounds() else {
            return None;
        };
        if since < until {
            return None;
        }
        let zone = self.zone.unwrap_or(ReportZone::UTC);
        Some(format!(
            "--since ({}) is not before --until ({}): every line is filtered",
            zone.format(since),
            zone.format(until)
        ))
    }
}

/// The written offset of the first line of `start` that parses, among
/// the lines format detection samples; `None` when none does.
fn first_offset(start: &[u8], format: Format) -> Option<Option<i32>> {
    start
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !parse::is_blank(l))
        .take(parse::DETECT_LINES)
        .find_map(|l| format.parse(l))
        .map(|l| l.time.offset_s)
}

/// Detects the format of one opened input (unless it was given), checks
/// that it fits the start of the input, and scans it. `Err`: the message
/// of a format that does not fit.
fn scan_input(
    opened: input::Opened,
    opts: &RunOptions,
    zoning: &mut Zoning,
    chunk_base: u32,
    bar: Option<&ProgressBar>,
) -> Result<(Format, Scanned), String> {
    let mut choose = |start: &[u8]| choose_format(start, opts.format, zoning);
    let scan_opts = |format, filter| ScanOptions {
        format,
        chunk_base,
        visits: opts.visits,
        clients: opts.clients && opts.visits,
        chunk_bytes: opts.chunk_bytes,
        strict: opts.strict,
        // Compressed input is counted as it is read, on the compressed side.
        progress: if opened.gzip { None } else { bar },
        filter,
    };
    match opened.source {
        Source::Mapped(map) => {
            let format = choose(&map)?;
            let scanned = scan_slice(&map, &scan_opts(format, zoning.filter.as_ref()));
            // Unmapping a large file takes the kernel a while (17 ms for
            // 1 GiB).
            drop_in_background(map);
            Ok((format, scanned))
        }
        Source::Bytes(bytes) => {
            let format = choose(&bytes)?;
            Ok((
                format,
                scan_slice(&bytes, &scan_opts(format, zoning.filter.as_ref())),
            ))
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
            let (mut first, mut early_error) = match first {
                Ok(b) => (b, None),
                Err(e) => (None, Some(e.to_string())),
            };
            // A stream that opens with a block of blank lines is read on to
            // its first text, so that detection and the zone see a line.
            while let Some(block) = first.as_mut().filter(|b| parse::is_blank(b)) {
                match blocks.next_block() {
                    Ok(Some(more)) => block.extend_from_slice(&more),
                    Ok(None) => break,
                    Err(e) => {
                        early_error = Some(e.to_string());
                        break;
                    }
                }
            }
            let format = choose(first.as_deref().unwrap_or_default())?;
            let mut result = scan_stream(blocks, first, &scan_opts(format, zoning.filter.as_ref()));
            if early_error.is_some() {
                result.read_error = early_error;
            }
            Ok((format, result))
        }
    }
}

/// The format of an input whose text starts with `start`: `given`
/// (checked to fit) or detected; the zone is settled with it. `Err`: the
/// message of a format that does not fit.
pub(crate) fn choose_format(
    start: &[u8],
    given: Option<Format>,
    zoning: &mut Zoning,
) -> Result<Format, String> {
    let format = match given {
        Some(given) => {
            check_fit(start, given, true)?;
            given
        }
        None => {
            // Detection has counted what fits; only a format that
            // fits nothing needs the check's message.
            let (detected, parsed) = detect(start);
            if parsed == 0 {
                check_fit(start, detected, false)?;
            }
            detected
        }
    };
    zoning.before_scan(start, format);
    Ok(format)
}

/// Drops `value` on a thread of its own, so that freeing a large structure
/// overlaps the work that is left instead of delaying it. (If no thread
/// can be started, it is dropped here all the same.)
pub(crate) fn drop_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new().spawn(move || drop(value));
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
