//! The inputs of a run, scanned one after the other: each one's layout
//! detected (or checked), the report zone decided from the first line that
//! has an offset and the filters resolved in it, then the input scanned.
//! What went wrong without stopping the run becomes a warning.

use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::chunks::{scan_slice, scan_stream};
use super::scanned::{ScanOptions, Scanned, ScannedInput};
use crate::enrich::zone::ReportZone;
use crate::error::Error;
use crate::filter::Filter;
use crate::goals::GoalSet;
use crate::input::chunk::LineBlocks;
use crate::input::{InputPath, Opened, Source};
use crate::parse::{self, check_fit, detect, Format};

/// The first block of a stream, from which its format is detected.
pub(crate) const DETECT_BLOCK_BYTES: usize = 1 << 20;

/// What scanning the inputs of a run needs to know.
pub struct InputsOptions<'a> {
    /// `None`: detected per input.
    pub format: Option<Format>,
    /// `--tz`; `None` takes the offset of the first line that has one.
    pub zone: Option<ReportZone>,
    pub strict: bool,
    pub chunk_bytes: usize,
    /// A progress bar is drawn when the inputs take at least this many
    /// bytes on disk; `None`: never.
    pub progress_from: Option<u64>,
    /// Record what visit-level tables need.
    pub visits: bool,
    /// Count hits per client (the clients table).
    pub clients: bool,
    /// Count what `--format prometheus` needs (see
    /// [`Record::metrics`](crate::aggregate::Record::metrics)).
    pub metrics: bool,
    /// Look for goal hits (only with `visits`).
    pub goals: Option<&'a GoalSet>,
}

/// Every input of a run, scanned.
pub struct ScannedInputs {
    pub inputs: Vec<ScannedInput>,
    /// The report zone: `--tz`, else the offset of the first line that has
    /// one; `None` when no line has one.
    pub zone: Option<ReportZone>,
    /// Problems worth a line on stderr that did not stop the run.
    pub warnings: Vec<String>,
    /// Some input could only be read in part.
    pub partial: bool,
}

/// Scans the opened inputs in the order given. An input whose layout does
/// not fit, and with `--strict` the first malformed line, end the run.
pub fn scan_inputs(
    opened: Vec<(&InputPath, Opened)>,
    opts: &InputsOptions<'_>,
    filter: Option<Filter>,
) -> Result<ScannedInputs, Error> {
    let mut zoning = Zoning {
        zone: opts.zone,
        filter,
    };
    let total_disk: u64 = opened.iter().filter_map(|(_, o)| o.disk_bytes).sum();
    let bar = progress_for(opts.progress_from, total_disk);

    let mut scanned = Vec::with_capacity(opened.len());
    let mut warnings = Vec::new();
    let mut partial = false;
    let mut chunk_base = 0u32;
    let how = InputScan {
        format: opts.format,
        continuing: false,
        days: false,
        fallback: None,
    };
    for (path, opened) in opened {
        let one = scan_one(
            path.display(),
            opened,
            &how,
            opts,
            &mut zoning,
            chunk_base,
            bar.as_ref(),
        )?;
        chunk_base = chunk_base.saturating_add(one.input.scanned.chunks);
        warnings.extend(one.warnings);
        partial |= one.partial;
        scanned.push(one.input);
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    warnings.extend(zoning.empty_span_warning());
    Ok(ScannedInputs {
        inputs: scanned,
        zone: zoning.zone,
        warnings,
        partial,
    })
}

/// How one input is scanned.
pub(crate) struct InputScan {
    /// The layout: given, or known from an earlier run; `None`: detected.
    pub format: Option<Format>,
    /// The input is read from where an earlier run stopped: the format
    /// known then is not checked against this part's first lines.
    pub continuing: bool,
    /// Count kept lines per day of the report zone (for a saved state).
    pub days: bool,
    /// For a state that has counted lines already, the layout of the
    /// input read last: a new input's first lines may be a few, even
    /// one malformed line, so a given layout is not checked against them
    /// again, and a detection that fits none of them takes this one.
    pub fallback: Option<Format>,
}

/// One input, scanned, with the warnings it gave and whether it could be
/// read only in part.
pub(crate) struct ScannedOne {
    pub input: ScannedInput,
    pub warnings: Vec<String>,
    pub partial: bool,
}

/// Scans one opened input named `name`: its format detected (unless
/// known), its read errors and suspicious counts turned into warnings.
pub(crate) fn scan_one(
    name: String,
    opened: Opened,
    how: &InputScan,
    opts: &InputsOptions,
    zoning: &mut Zoning,
    chunk_base: u32,
    bar: Option<&ProgressBar>,
) -> Result<ScannedOne, Error> {
    let mut warnings = Vec::new();
    let compressed_read = opened.compressed_read.clone();
    let (format, result) =
        scan_input(opened, how, opts, zoning, chunk_base, bar).map_err(|message| {
            Error::Format {
                path: name.clone(),
                message,
            }
        })?;
    let partial = check_scanned(
        &name,
        format,
        &result,
        compressed_read.as_deref(),
        opts.strict,
        &mut warnings,
    )?;
    Ok(ScannedOne {
        input: ScannedInput {
            path: name,
            format,
            scanned: result,
        },
        warnings,
        partial,
    })
}

/// A progress bar for inputs of `total_disk` bytes, when they take at
/// least `from` ([`InputsOptions::progress_from`]).
pub(crate) fn progress_for(from: Option<u64>, total_disk: u64) -> Option<ProgressBar> {
    let show = from.is_some_and(|from| total_disk >= from);
    show.then(|| progress_bar(total_disk))
}

/// What one scanned input tells the user: a read that failed part way
/// (then `Ok(true)`: the run covers part of the input), a layout that
/// reads none of it, lines `--host` dropped for having no virtual host.
/// With `strict`, its first malformed line ends the run.
pub(crate) fn check_scanned(
    name: &str,
    format: Format,
    result: &Scanned,
    compressed_read: Option<&AtomicU64>,
    strict: bool,
    warnings: &mut Vec<String>,
) -> Result<bool, Error> {
    if let Some(e) = &result.read_error {
        warnings.push(match compressed_read {
            Some(consumed) => format!(
                "{name}: truncated or corrupt gzip data at byte {} of the compressed file \
                 (after {} bytes of decompressed log text): {e}; the report covers what was read",
                consumed.load(Ordering::Relaxed),
                result.bytes
            ),
            None => format!(
                "{name}: read failed after {} bytes of log text: {e}; the report covers what was read",
                result.bytes
            ),
        });
    }
    if result.counts.parsed == 0 && result.counts.malformed > 0 && !strict {
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
    if strict {
        if let Some(first) = result.samples.first() {
            return Err(Error::Strict {
                path: name.to_string(),
                line: first.line,
                format: format.name(),
                text: crate::text::from_log(&first.text).into_owned(),
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
    pub zone: Option<ReportZone>,
    pub filter: Option<Filter>,
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
pub(crate) fn first_offset(start: &[u8], format: Format) -> Option<Option<i32>> {
    start
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !parse::is_blank(l))
        .take(parse::DETECT_LINES)
        .find_map(|l| format.parse(l))
        .map(|l| l.time.offset_s)
}

/// The format of an input that starts with `start`: `given` if it fits,
/// else the one detected. `Err`: the message of a format that does not fit.
pub(crate) fn choose_format(start: &[u8], given: Option<Format>) -> Result<Format, String> {
    Ok(match given {
        Some(given) => {
            check_fit(start, given, true)?;
            given
        }
        None => {
            // Detection has counted what fits; only a format that fits
            // nothing needs the check's message.
            let (detected, parsed) = detect(start);
            if parsed == 0 {
                check_fit(start, detected, false)?;
            }
            detected
        }
    })
}

/// Detects the format of one opened input (unless it was given), checks
/// that it fits the start of the input, and scans it. `Err`: the message
/// of a format that does not fit.
fn scan_input(
    opened: Opened,
    how: &InputScan,
    opts: &InputsOptions<'_>,
    zoning: &mut Zoning,
    chunk_base: u32,
    bar: Option<&ProgressBar>,
) -> Result<(Format, Scanned), String> {
    let mut choose = |start: &[u8]| -> Result<Format, String> {
        let format = match how.format {
            Some(known) if how.continuing || how.fallback.is_some() => known,
            Some(given) => {
                check_fit(start, given, true)?;
                given
            }
            None => {
                // Detection has counted what fits; only a format that
                // fits nothing needs the check's message.
                let (detected, parsed) = detect(start);
                match how.fallback {
                    Some(fallback) if parsed == 0 => fallback,
                    _ => {
                        if parsed == 0 {
                            check_fit(start, detected, false)?;
                        }
                        detected
                    }
                }
            }
        };
        zoning.before_scan(start, format);
        Ok(format)
    };
    let scan_opts = |format, filter, zone: Option<ReportZone>| ScanOptions {
        format,
        chunk_base,
        visits: opts.visits,
        tallies: true,
        clients: opts.clients,
        metrics: opts.metrics,
        goals: opts.goals,
        chunk_bytes: opts.chunk_bytes,
        strict: opts.strict,
        // Compressed input is counted as it is read, on the compressed side.
        progress: if opened.gzip { None } else { bar },
        filter,
        days: how.days.then(|| crate::state::days::DayCut {
            zone: zone.unwrap_or(ReportZone::UTC),
        }),
        line_ids: false,
        facts: None,
    };
    match opened.source {
        Source::Mapped(map) => {
            let format = choose(&map)?;
            let scanned = scan_slice(
                &map,
                &scan_opts(format, zoning.filter.as_ref(), zoning.zone),
            );
            // Unmapping a large file takes the kernel a while (17 ms for
            // 1 GiB).
            drop_in_background(map);
            Ok((format, scanned))
        }
        Source::Bytes(bytes) => {
            let format = choose(&bytes)?;
            Ok((
                format,
                scan_slice(
                    &bytes,
                    &scan_opts(format, zoning.filter.as_ref(), zoning.zone),
                ),
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
            let mut result = scan_stream(
                blocks,
                first,
                &scan_opts(format, zoning.filter.as_ref(), zoning.zone),
            );
            if early_error.is_some() {
                result.read_error = early_error;
            }
            Ok((format, result))
        }
    }
}

/// Drops `value` on a thread of its own, so that freeing a large structure
/// overlaps the work that is left instead of delaying it. (If no thread
/// can be started, it is dropped here all the same.)
pub fn drop_in_background<T: Send + 'static>(value: T) {
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
