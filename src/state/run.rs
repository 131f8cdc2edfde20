//! `logstats report FILES --state PATH`: lock, load, read what is new in
//! each input, absorb it, save, and report on everything.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::enrich::geoip;
use crate::error::Error;
use crate::input::InputPath;
use crate::parse::Format;
use crate::report::model::{Counted, InputRow, InputState};
use crate::report::ReportOptions;
use crate::scan::MAX_SAMPLES;
use crate::scan::{InputScan, InputsOptions, Zoning};
use crate::state::cursor::{self, Cursor, Probe};
use crate::state::days::DayFigures;
use crate::state::settings::Settings;
use crate::state::{absorb::AbsorbOptions, file, SavedSample, State};
use crate::{Outcome, RunOptions};

/// What `--state` adds to a report run.
pub struct StateOptions {
    pub path: PathBuf,
    /// `--keep-days N`: keep the last N days.
    pub keep_days: Option<u32>,
    /// How long to wait for another run holding the state.
    pub wait: Duration,
}

/// One named input and what to do with it.
struct Planned {
    probe: Probe,
    name: String,
    /// The cursor it continues, if any.
    cursor: Option<usize>,
}

/// The whole `report --state` run.
pub fn run(opts: &RunOptions, state_opts: &StateOptions) -> Result<Outcome, Error> {
    let path = &state_opts.path;
    let paths: Vec<&Path> = opts
        .inputs
        .iter()
        .map(|i| match i {
            InputPath::File(p) => Ok(p.as_path()),
            InputPath::Stdin => Err(Error::Usage(
                "--state follows log files by their content: name them (standard input has no place to continue from)"
                    .into(),
            )),
        })
        .collect::<Result<_, _>>()?;
    let geo = geoip::open_configured(opts.geoip.as_deref(), opts.geoip_config.as_deref())?;
    let now = opts.now.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    });
    let _lock = file::lock(path, state_opts.wait)?;
    let settings = Settings::of(opts);
    let mut state = match State::load(path)? {
        Some(state) => {
            let differences = state.settings.differences(&settings);
            if !differences.is_empty() {
                return Err(Error::State {
                    path: path.display().to_string(),
                    message: format!(
                        "it was made with other settings, and its figures cannot be added to figures of another kind: {}. \
                         Run with the settings it was made with, or start over: move it away (mv {1} {1}.old) and run again, \
                         which counts the inputs from their start",
                        differences.join("; "),
                        path.display()
                    ),
                });
            }
            state
        }
        None => State::new(settings, now),
    };

    let mut warnings = Vec::new();
    let mut planned = Vec::with_capacity(paths.len());
    for p in &paths {
        let probe = cursor::probe(p).map_err(|e| Error::input(p, &e))?;
        planned.push(Planned {
            name: p.display().to_string(),
            probe,
            cursor: None,
        });
    }
    match_cursors(&state, &mut planned);
    let (lost_warnings, lost) = lost_cursors(&state, &planned);
    warnings.extend(lost_warnings);
    // Continued inputs first, oldest first: older lines before newer ones.
    let mut order: Vec<usize> = (0..planned.len()).collect();
    order.sort_by_key(|&i| match planned[i].cursor {
        Some(c) => (0, state.cursors[c].id, i),
        None => (1, 0, i),
    });

    let filter = crate::filter::Filter::compile(&opts.filters, now).map_err(Error::Usage)?;
    let mut zoning = Zoning {
        zone: state.report_zone().or(opts.zone),
        filter,
    };
    // The per-hit cross-tab of `--format prometheus` is not kept in a
    // state: the scan does not count it.
    let scan_opts = InputsOptions {
        visits: opts.visits,
        clients: opts.clients,
        metrics: false,
        ..crate::inputs_options(opts)
    };
    let mut rows: Vec<(usize, InputRow)> = Vec::new();
    let mut days = DayFigures::default();
    let mut partial = false;
    let mut chunk_base = 0u32;
    let mut new_samples = Vec::new();
    // The layout of the input counted last, for new inputs whose first
    // lines fit none (see `InputScan::fallback`).
    let mut fallback: Option<Format> = state
        .newest
        .and_then(|_| state.cursors.iter().max_by_key(|c| c.id))
        .and_then(|c| opts.format.or_else(|| Format::from_name(&c.format)));
    for i in order {
        let plan = &planned[i];
        let cursor = plan.cursor.map(|c| state.cursors[c].clone());
        let before = cursor
            .as_ref()
            .map_or(Counted { bytes: 0, lines: 0 }, |c| Counted {
                bytes: c.offset,
                lines: c.counts.lines,
            });
        let known_format = cursor.as_ref().and_then(|c| match opts.format {
            Some(given) => Some(given),
            None => Format::from_name(&c.format),
        });
        if cursor.as_ref().is_some_and(|c| c.finished) {
            let c = cursor
                .as_ref()
                .map(|c| (c.first_path.clone(), c.format.clone()));
            let (first, format) = c.unwrap_or_default();
            rows.push((i, skipped_row(plan, &first, &format, before)));
            continue;
        }
        let from = cursor.as_ref().map_or(0, |c| c.offset);
        let opened = cursor::open_from(&plan.probe, from, opts.mmap)
            .map_err(|e| Error::input(&plan.probe.path, &e))?;
        let how = InputScan {
            format: known_format.or(opts.format),
            continuing: cursor.is_some(),
            days: true,
            fallback,
        };
        let mut one = crate::scan::scan_one(
            plan.name.clone(),
            opened,
            &how,
            &scan_opts,
            &mut zoning,
            chunk_base,
            None,
        )?;
        chunk_base = chunk_base.saturating_add(one.input.scanned.chunks);
        if one.input.scanned.counts.parsed > 0 {
            fallback = Some(one.input.format);
        }
        state.logs_languages |= one.input.format.logs_accept_language();
        warnings.append(&mut one.warnings);
        partial |= one.partial;
        let scanned = &mut one.input.scanned;
        for s in &scanned.samples {
            new_samples.push(SavedSample {
                path: plan.name.clone(),
                line: before.lines + s.line,
                text: s.text.clone(),
            });
        }
        days.merge(std::mem::take(&mut scanned.days));
        // The cursor, moved on.
        let key = state.key;
        let format = one.input.format.name().to_string();
        let read = scanned.bytes;
        let finished = plan.probe.gzip && scanned.read_error.is_none();
        let counts = scanned.counts;
        let c = match plan.cursor {
            Some(c) => c,
            None => {
                state.cursors.push(Cursor {
                    id: state.next_cursor,
                    path: plan.name.clone(),
                    first_path: plan.name.clone(),
                    head_len: 0,
                    head_hash: 0,
                    offset: 0,
                    seen: 0,
                    gzip: plan.probe.gzip,
                    finished: false,
                    dev: plan.probe.dev,
                    ino: plan.probe.ino,
                    format: format.clone(),
                    counts: Default::default(),
                });
                state.next_cursor += 1;
                state.cursors.len() - 1
            }
        };
        let c = &mut state.cursors[c];
        c.path = plan.name.clone();
        c.offset += read;
        c.seen = if plan.probe.gzip {
            c.offset
        } else {
            plan.probe.len.max(c.offset)
        };
        c.gzip = plan.probe.gzip;
        c.finished = finished;
        (c.dev, c.ino) = (plan.probe.dev, plan.probe.ino);
        c.format = format.clone();
        c.counts.merge(&counts);
        c.refingerprint(key, &plan.probe);
        rows.push((
            i,
            InputRow {
                path: plan.name.clone(),
                format: one.input.format.name(),
                bytes: read,
                counts,
                state: Some(InputState {
                    cursor: if plan.cursor.is_some() {
                        "continued"
                    } else {
                        "new"
                    },
                    first_seen_as: c.first_path.clone(),
                    counted_before: before,
                }),
            },
        ));
    }
    // Cursors of empty files fingerprint nothing: they are not kept.
    state
        .cursors
        .retain(|c| c.head_len > 0 && !lost.contains(&c.id));
    if state.zone.is_none() {
        state.zone = zoning.zone.map(|z| z.to_string());
    }
    warnings.extend(zoning.empty_span_warning());
    let zone = state
        .report_zone()
        .unwrap_or(crate::enrich::zone::ReportZone::UTC);
    state.absorb(
        days.days,
        &AbsorbOptions {
            zone,
            geo: geo.as_ref(),
            clients: opts.clients,
            show_ips: opts.show_ips,
            goals: opts.goals.as_ref(),
        },
    );
    if let Some(keep) = state_opts.keep_days {
        state.keep_days(keep);
    }
    for s in new_samples {
        if state.samples.len() < MAX_SAMPLES {
            state.samples.push(s);
        }
    }
    state.runs += 1;
    state.updated = now;
    state.save(path)?;

    rows.sort_by_key(|(i, _)| *i);
    let rows = rows.into_iter().map(|(_, r)| r).collect();
    let report = state.report(
        rows,
        &ReportOptions {
            top: opts.top,
            zone: Some(zone),
            sites: &opts.sites,
            geo: geo.as_ref(),
            goals: opts.goals.as_ref(),
            visits: true,
            show_ips: opts.show_ips,
            clients: opts.clients,
            metrics: opts.metrics,
        },
    );
    // Freeing every day's tables would delay the report.
    crate::scan::drop_in_background(state);
    Ok(Outcome {
        report,
        warnings,
        partial,
    })
}

/// The row of a compressed input read to its end by an earlier run.
fn skipped_row(plan: &Planned, first: &str, format: &str, before: Counted) -> InputRow {
    InputRow {
        path: plan.name.clone(),
        format: Format::from_name(format).map_or("custom", |f| f.name()),
        bytes: 0,
        counts: Default::default(),
        state: Some(InputState {
            cursor: "finished",
            first_seen_as: first.to_string(),
            counted_before: before,
        }),
    }
}

/// Gives each input the cursor whose fingerprint its start matches (the
/// longest fingerprint first; a cursor goes to one input). A plain input
/// shorter than what its cursor counted was truncated and written anew:
/// it is new.
fn match_cursors(state: &State, planned: &mut [Planned]) {
    let mut taken = vec![false; state.cursors.len()];
    for plan in planned.iter_mut() {
        let best = (0..state.cursors.len())
            .filter(|&c| !taken[c])
            .filter(|&c| {
                let cursor = &state.cursors[c];
                cursor.matches(state.key, &plan.probe)
                    && (plan.probe.gzip || plan.probe.len >= cursor.offset)
            })
            .max_by_key(|&c| {
                let cursor = &state.cursors[c];
                (
                    cursor.head_len,
                    (cursor.dev, cursor.ino) == (plan.probe.dev, plan.probe.ino),
                    cursor.id,
                )
            });
        if let Some(c) = best {
            taken[c] = true;
            plan.cursor = Some(c);
        }
    }
}

/// Cursors no input continued: kept while their file is still where it
/// was (it was not named this time) or was renamed beside it; else
/// dropped, with a warning when lines of it were never read. Returns the
/// warnings and the ids of the cursors to drop.
fn lost_cursors(state: &State, planned: &[Planned]) -> (Vec<String>, Vec<u64>) {
    let used: Vec<usize> = planned.iter().filter_map(|p| p.cursor).collect();
    let mut warnings = Vec::new();
    let key = state.key;
    let mut lost = Vec::new();
    for (i, c) in state.cursors.iter().enumerate() {
        if used.contains(&i) {
            continue;
        }
        let path = Path::new(&c.path);
        let in_place = cursor::probe(path).is_ok_and(|p| c.matches(key, &p));
        if in_place {
            continue;
        }
        if c.gzip && c.finished {
            lost.push(c.id);
            continue;
        }
        let renamed = cursor::renamed(path, c.dev, c.ino)
            .filter(|(now, _)| cursor::probe(now).is_ok_and(|p| c.matches(key, &p)));
        match renamed {
            Some((now, len)) if len > c.offset => {
                warnings.push(format!(
                    "{}: rotated to {} (not among the inputs), where {} bytes written since were not read; \
                     name the rotated files too (e.g. {}*) so that they are",
                    c.path,
                    now.display(),
                    len - c.offset,
                    c.path
                ));
            }
            Some(_) => {}
            None => {
                lost.push(c.id);
                let unread = c.seen.saturating_sub(c.offset);
                warnings.push(format!(
                    "{}: the file read up to byte {} by an earlier run is gone (rotated or deleted) and is not among the inputs; \
                     {} bytes of it seen then were never read, nor whatever was written to it after that run; \
                     name the rotated files too (e.g. {}*) so that nothing is lost",
                    c.path, c.offset, unread, c.path
                ));
            }
        }
    }
    (warnings, lost)
}
