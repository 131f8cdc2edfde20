//! `logstats report FILES --state PATH`: lock, load, read what is new in
//! each input, absorb it, save, and report on everything.

use std::path::PathBuf;
use std::time::Duration;

use crate::enrich::geoip;
use crate::error::Error;
use crate::parse::Format;
use crate::report::model::{Counted, InputRow, InputState};
use crate::report::ReportOptions;
use crate::scan::MAX_SAMPLES;
use crate::scan::{InputScan, InputsOptions, Zoning};
use crate::state::absorb::AbsorbOptions;
use crate::state::cursor;
use crate::state::days::DayFigures;
use crate::state::file::content_error;
use crate::state::follow::{self, Plan, Planned};
use crate::state::held_series;
use crate::state::saved::SavedSample;
use crate::state::settings::Settings;
use crate::timings;
use crate::{Outcome, RunOptions};

/// What `--state` adds to a report run.
pub struct StateOptions {
    pub path: PathBuf,
    /// `--keep-days N`: keep the last N days.
    pub keep_days: Option<u32>,
    /// How long to wait for another run holding the state.
    pub wait: Duration,
}

/// The whole `report --state` run.
pub fn run(opts: &RunOptions, state_opts: &StateOptions) -> Result<Outcome, Error> {
    let path = &state_opts.path;
    let paths = follow::file_paths(&opts.inputs)?;
    let geo = geoip::open_configured(opts.geoip.as_deref(), opts.geoip_config.as_deref())?;
    let now = opts.now.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    });
    let loading = timings::phase("state: locked and loaded");
    let (_lock, mut state) = follow::open(path, Settings::of(opts), state_opts.wait, now)?;
    loading.end();
    let early_sums = state.decode_sums_early();
    let Plan {
        inputs: planned,
        order,
        lost,
        mut warnings,
    } = follow::plan(&state, &paths)?;

    let filter = crate::filter::Filter::compile(&opts.filters, now).map_err(Error::Usage)?;
    let mut zoning = Zoning {
        zone: state.report_zone().or(opts.zone),
        filter,
    };
    // The per-hit cross-tab of `--format prometheus`, once the state
    // keeps its series (see [`metrics`]).
    let keeps_series = opts.metrics || state.metrics.is_kept();
    let scan_opts = InputsOptions {
        visits: opts.visits,
        clients: opts.clients,
        metrics: keeps_series,
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
    let scanning = timings::phase("state: new lines read");
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
        let c = state.advance(
            plan,
            &follow::Read {
                bytes: scanned.bytes,
                finished: plan.probe.gzip && scanned.read_error.is_none(),
                format: one.input.format.name(),
                counts: &scanned.counts,
            },
        );
        let (read, counts) = (scanned.bytes, scanned.counts);
        let c = &state.cursors[c];
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
    scanning.end();
    // Cursors of empty files fingerprint nothing: they are not kept.
    state.forget(&lost);
    if state.zone.is_none() {
        state.zone = zoning.zone.map(|z| z.to_string());
    }
    warnings.extend(zoning.empty_span_warning());
    let zone = state
        .report_zone()
        .unwrap_or(crate::enrich::zone::ReportZone::UTC);
    let absorbing = timings::phase("state: new lines filed into their days");
    if keeps_series {
        state.metrics.record_cells(&days.days);
    }
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
    let report_opts = ReportOptions {
        top: opts.top,
        zone: Some(zone),
        sites: &opts.sites,
        geo: geo.as_ref(),
        goals: opts.goals.as_ref(),
        visits: true,
        show_ips: opts.show_ips,
        clients: opts.clients,
        metrics: opts.metrics,
    };
    absorbing.end();
    let before_drop = keeps_series
        .then(|| held_series::before_drop(&state, state_opts.keep_days, &report_opts))
        .flatten();
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
    rows.sort_by_key(|(i, _)| *i);
    let rows: Vec<InputRow> = rows.into_iter().map(|(_, r)| r).collect();
    // The sums of the settled days, from the saved block (brought up to
    // date for the save) rather than from every day.
    let settling = timings::phase("state: settled days summed");
    let settled = state.settled_sums(early_sums);
    settling.end();
    let settled = settled.map_err(|why| content_error(path, &why))?;
    // The series' running totals move on before the state is saved; the
    // report that moves them is the run's with --format prometheus (which
    // then takes the settled days' sums; another format's report does).
    let (for_series, for_report) = match keeps_series && opts.metrics {
        true => (Some(settled), None),
        false => (None, Some(settled)),
    };
    let series = keeps_series.then(|| timings::phase("state: Prometheus series moved on"));
    let (with_series, rows) = match keeps_series {
        true => held_series::report(
            &mut state,
            rows,
            opts.metrics,
            &report_opts,
            before_drop,
            for_series,
        ),
        false => (None, rows),
    };
    drop(series);
    // Every day read so far decoded as a day (the report below reads only
    // those): nothing damaged is saved or reported on.
    (state.days.check_damage()).map_err(|why| content_error(path, &why))?;
    // The save waits on the disk (its fsync) more than on a core: the
    // report is built meanwhile. A save that fails still fails the run.
    let (saved, report) = rayon::join(
        || {
            let _saving = timings::phase("state: saved");
            state.save(path)
        },
        || {
            let _reporting = timings::phase("state: report over every day kept");
            match (with_series, for_report) {
                (Some(report), _) => report,
                (None, Some((sums, summed))) => {
                    state.report_with(sums, summed, rows, &report_opts).0
                }
                (None, None) => state.report(rows, &report_opts),
            }
        },
    );
    saved?;
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
