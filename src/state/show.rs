//! `logstats state PATH`: what a state file holds, for a person.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use crate::enrich::zone::ReportZone;
use crate::error::Error;

use super::file;
use super::saved::State;

/// The description of the state at `path`.
pub fn describe(path: &Path) -> Result<String, Error> {
    let state = State::load(path)?.ok_or_else(|| Error::State {
        path: path.display().to_string(),
        message: "no such file; a report run with --state makes it".into(),
    })?;
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let zone = state.report_zone().unwrap_or(ReportZone::UTC);
    let time = |t: i64| zone.format(t);
    let mut out = String::new();
    let _ = writeln!(out, "state    {}", path.display());
    let _ = writeln!(
        out,
        "format   version {} ({size} bytes)",
        file::version_of(path)
    );
    let _ = writeln!(
        out,
        "runs     {} (first {}, last {})",
        state.runs,
        time(state.created),
        time(state.updated)
    );
    let _ = writeln!(
        out,
        "zone     {}",
        state.zone.as_deref().unwrap_or("not decided yet")
    );
    let _ = writeln!(
        out,
        "newest   {}",
        state.newest.map_or("no line yet".into(), time)
    );
    match (state.days.keys().next(), state.days.keys().last()) {
        (Some(&first), Some(&last)) => {
            let _ = writeln!(
                out,
                "days     {} kept, {} to {}",
                state.days.len(),
                &time(first)[..10],
                &time(last)[..10]
            );
        }
        _ => {
            let _ = writeln!(out, "days     none");
        }
    }
    let sum = |f: &dyn Fn(&super::model::Day) -> usize| state.days.values().map(f).sum::<usize>();
    let _ = writeln!(
        out,
        "keys     {} paths, {} visitors, {} (page, visitor) pairs, {} clients, {} entries (referrer, landing query), summed over days",
        sum(&|d| d.paths.len()),
        sum(&|d| d.visitors.len()),
        sum(&|d| d.page_pairs.len()),
        sum(&|d| d.client_hashes.len()),
        sum(&|d| d.visits.entries.len()),
    );
    let _ = writeln!(
        out,
        "marked   {} server-error cells (slot, path, method), {} (visitor, slot) pairs with a 5xx, {} goal visitors, summed over days",
        sum(&|d| d.marks.errors.len()),
        sum(&|d| d.marks.error_visitors.len()),
        sum(&|d| d.marks.goals.as_ref().map_or(0, |g| g.visitors.len())),
    );
    match state.days.summary() {
        Some(block) => {
            let days = match block.covers.len() {
                1 => "day".to_string(),
                n => format!("{n} days"),
            };
            let _ = writeln!(
                out,
                "summed   the first {days}, as one block of {} bytes (what a run reads instead of them)",
                block.bytes().len()
            );
        }
        None => {
            let _ = writeln!(out, "summed   no days (the next run sums the settled days)");
        }
    }
    (state.days.check_damage()).map_err(|why| file::content_error(path, &why))?;
    if let Some(k) = state.first_kept_day {
        let _ = writeln!(out, "dropped  days before {}", &time(k)[..10]);
    }
    let views: usize = state.open.iter().map(|o| o.views.len()).sum();
    let most = state.open.iter().map(|o| o.views.len()).max().unwrap_or(0);
    let marks: usize = state.open.iter().map(|o| o.marks.len()).sum();
    let _ = writeln!(
        out,
        "open     {} visitors with visits still open ({views} page views, at most {most} of one visitor; {marks} server errors and goal hits)",
        state.open.len()
    );
    let _ = writeln!(out, "settings");
    for (name, value) in &state.settings.0 {
        let _ = writeln!(out, "  {name:<15} {value}");
    }
    let _ = writeln!(out, "inputs");
    let mut cursors: Vec<_> = state.cursors.iter().collect();
    cursors.sort_by_key(|c| c.id);
    for c in cursors {
        let how = match (c.gzip, c.finished) {
            (true, true) => "gzip, read to its end".to_string(),
            (true, false) => format!("gzip, read to byte {} of its text", c.offset),
            (false, _) if c.seen > c.offset => format!(
                "read to byte {} of {} (the rest is a line without its newline yet)",
                c.offset, c.seen
            ),
            (false, _) => format!("read to byte {}", c.offset),
        };
        let first = if c.first_path != c.path {
            format!(", first read as {}", c.first_path)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {}: {how}, {} lines, {}{first}",
            c.path, c.counts.lines, c.format
        );
    }
    Ok(out)
}

/// Prints [`describe`] to standard output.
pub fn print(path: &Path) -> Result<(), Error> {
    let text = describe(path)?;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Output {
            path: "standard output".into(),
            reason: e.to_string(),
        }),
        _ => Ok(()),
    }
}
