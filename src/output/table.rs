//! `--format table`: a header saying what was read, then one terminal table
//! per section, sized to the terminal by comfy-table.

use std::io::Write;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, CellAlignment, ContentArrangement, Table};

use super::sections::{sections, Cell, Section};
use crate::report::model::{Counts, OwnHostsFrom};
use crate::report::Report;
use crate::text::terminal_safe;

/// Widest bar of the time series, in block characters.
const BAR_WIDTH: usize = 30;

/// The header, then every section, or only `section` when one is named.
pub fn write(report: &Report, section: Option<&str>, out: &mut dyn Write) -> std::io::Result<()> {
    write_styled(report, section, false, out)
}

/// Bold titles and header rows, for a terminal.
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// As [`write`]; with `color`, section titles and header rows are bold.
/// Only these fixed sequences are styling: text from the log goes through
/// [`terminal_safe`] whatever `color` says.
pub fn write_styled(
    report: &Report,
    section: Option<&str>,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(out, "{}", header(report))?;
    for s in sections(report) {
        let shown = match (section, s.name) {
            (Some(wanted), name) => wanted == name,
            // Said in the header already, unless there are several inputs.
            (None, "inputs") => report.inputs.len() > 1,
            (None, "period") => false,
            (None, "malformed_samples" | "vhosts") => !s.rows.is_empty(),
            // Part of the summary.
            (None, "response_time") => false,
            // Only when the layout logs Accept-Language, only when goals
            // or funnels are given.
            (None, "languages") => report.languages.is_some(),
            (None, "goals" | "goal_channels" | "funnels") => report.goals.is_some(),
            (None, _) => true,
        };
        if !shown {
            continue;
        }
        writeln!(out)?;
        if color {
            writeln!(out, "{BOLD}{}{RESET}", s.title)?;
        } else {
            writeln!(out, "{}", s.title)?;
        }
        let mut table = match s.name {
            "summary" => summary_table(&s, report),
            "response_time" => key_value_table(&s, |name| name.trim_end_matches("_ms").into()),
            "timeseries" => with_bars(&s),
            "incidents" => plain_table(&with_short_times(&s)),
            _ => plain_table(&s),
        };
        if color {
            bold_header(&mut table);
        }
        writeln!(out, "{table}")?;
        if let Some(note) = note(report, s.name) {
            writeln!(out, "{}", terminal_safe(&note))?;
        }
    }
    Ok(())
}

/// What a reader needs to know to trust a table: where countries come
/// from, which hosts count as the site's own.
pub(crate) fn note(report: &Report, section: &str) -> Option<String> {
    match section {
        "countries" => Some(match &report.geoip {
            Some(g) => format!("countries from {}", g.database),
            None => crate::enrich::geoip::missing_database_hint(),
        }),
        "referrers" => {
            let (hosts, from) = &report.own_hosts;
            let how = match from {
                OwnHostsFrom::Site => "given with --site",
                OwnHostsFrom::Vhost => "the virtual hosts of the log",
                OwnHostsFrom::Referrers => {
                    "the host most later page views came from; set it with --site"
                }
                OwnHostsFrom::None => "none found; set it with --site",
            };
            Some(format!(
                "own hosts, not counted as referrers: {} ({how})",
                hosts.join(", ")
            ))
        }
        _ => None,
    }
}

/// One line on what was read: files, format, lines and where they went, period.
fn header(report: &Report) -> String {
    let files = report.inputs.len();
    let mut formats: Vec<&str> = report.inputs.iter().map(|i| i.format).collect();
    formats.dedup();
    let lines: u64 = report.inputs.iter().map(|i| i.counts.lines).sum();
    let sum = |f: fn(&Counts) -> u64| -> u64 { report.inputs.iter().map(|i| f(&i.counts)).sum() };
    let what = if files == 1 {
        terminal_safe(&report.inputs[0].path)
    } else {
        format!("{files} files")
    };
    let mut h = format!(
        "{what} · {} · {} lines ({} kept, {} malformed, {} blank",
        formats.join("+"),
        thousands(lines),
        thousands(sum(|c| c.kept)),
        thousands(sum(|c| c.malformed)),
        thousands(sum(|c| c.blank)),
    );
    let filtered = sum(|c| c.filtered);
    if filtered > 0 {
        h.push_str(&format!(", {} filtered", thousands(filtered)));
    }
    h.push(')');
    match (&report.period.first, &report.period.last) {
        (Some(first), Some(last)) => {
            h.push_str(&format!(
                "\n{} → {} ({})",
                short_time(first),
                short_time(last),
                report.zone
            ));
        }
        _ => h.push_str("\nno lines with a time: nothing to report"),
    }
    h
}

/// `2015-05-17T10:05:03+00:00` → `2015-05-17 10:05:03`; the zone is said once.
pub(crate) fn short_time(rfc3339: &str) -> String {
    rfc3339.get(..19).unwrap_or(rfc3339).replacen('T', " ", 1)
}

fn new_table() -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    t
}

pub(crate) fn human(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => terminal_safe(s),
        Cell::Count(n) => thousands(*n),
        Cell::Bytes(n) => human_bytes(*n),
        Cell::Rate(r) => percent(*r),
        Cell::Millis(Some(ms)) => format!("{ms:.1} ms"),
        Cell::Millis(None) => "–".into(),
        Cell::Seconds(secs) => duration(*secs),
    }
}

/// `75.4` → `1m 15s`: durations as a person reads them.
fn duration(secs: f64) -> String {
    let s = secs.round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

fn plain_table(s: &Section) -> Table {
    let mut t = new_table();
    if s.rows.is_empty() {
        t.add_row(vec!["(none)"]);
        return t;
    }
    // Response-time columns stay hidden until some row has a time.
    let shown: Vec<usize> = (0..s.columns.len())
        .filter(|&c| !s.rows.iter().all(|r| matches!(r[c], Cell::Millis(None))))
        .collect();
    let mut head: Vec<String> = shown
        .iter()
        .map(|&c| s.columns[c].replace('_', " "))
        .collect();
    if s.share_of.is_some() {
        head.insert(s.keys + 1, "share".into());
    }
    t.set_header(head);
    for row in &s.rows {
        let mut cells: Vec<String> = shown.iter().map(|&c| human(&row[c])).collect();
        if let (Some(total), Cell::Count(n)) = (s.share_of, &row[s.keys]) {
            cells.insert(s.keys + 1, percent(crate::report::rate(*n, total)));
        }
        t.add_row(cells);
    }
    // Figures are right-aligned, as numbers are read; text stays left.
    let mut numeric: Vec<bool> = shown
        .iter()
        .map(|&c| !matches!(s.rows[0][c], Cell::Text(_)))
        .collect();
    if s.share_of.is_some() {
        numeric.insert(s.keys + 1, true);
    }
    for (column, numeric) in t.column_iter_mut().zip(numeric) {
        if numeric {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// The summary, and the response times when some hit had one.
fn summary_table(s: &Section, report: &Report) -> Table {
    let mut t = key_value_table(s, |name| match name {
        "pageviews" => "page views".into(),
        "avg_visit_duration_s" => "avg visit duration".into(),
        other => other.replace('_', " "),
    });
    if let Some(times) = &report.response_time {
        for (label, ms) in [
            ("response time p50", times.p50_ms),
            ("response time p90", times.p90_ms),
            ("response time p99", times.p99_ms),
            ("response time max", times.max_ms),
        ] {
            t.add_row(vec![label.to_string(), human(&Cell::Millis(Some(ms)))]);
        }
    }
    t
}

/// A one-row section as a column of labelled values.
fn key_value_table(s: &Section, label: impl Fn(&str) -> String) -> Table {
    let mut t = new_table();
    let Some(row) = s.rows.first() else {
        t.add_row(vec!["(none)"]);
        return t;
    };
    for (name, value) in s.columns.iter().zip(row) {
        t.add_row(vec![label(name), human(value)]);
    }
    align_numbers(&mut t, 1);
    t
}

/// A copy of `s` with its text cells that hold times shortened, the zone
/// said once in the header.
fn with_short_times(s: &Section) -> Section {
    let rows = (s.rows.iter())
        .map(|row| {
            (row.iter().zip(&s.columns))
                .map(|(cell, column)| match cell {
                    Cell::Text(t) if matches!(*column, "start" | "end" | "first_error") => {
                        Cell::Text(short_time(t))
                    }
                    other => other.clone(),
                })
                .collect()
        })
        .collect();
    Section {
        name: s.name,
        title: s.title,
        columns: s.columns.clone(),
        keys: s.keys,
        rows,
        share_of: s.share_of,
    }
}

/// The time series with a bar of hits per row, scaled to the busiest.
fn with_bars(s: &Section) -> Table {
    let mut t = plain_table(s);
    let max = s
        .rows
        .iter()
        .filter_map(|r| match r[1] {
            Cell::Count(n) => Some(n),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    if max == 0 {
        return t;
    }
    let mut head: Vec<String> = s.columns.iter().map(|c| c.replace('_', " ")).collect();
    head.push(String::new());
    t = new_table();
    t.set_header(head);
    for row in &s.rows {
        let hits = match row[1] {
            Cell::Count(n) => n,
            _ => 0,
        };
        let mut cells: Vec<String> = row.iter().map(human).collect();
        cells[0] = short_time(&cells[0]);
        let width = (hits as f64 / max as f64 * BAR_WIDTH as f64).round() as usize;
        cells.push("█".repeat(width.max((hits > 0) as usize)));
        t.add_row(cells);
    }
    align_numbers(&mut t, 1);
    if let Some(c) = t.column_mut(s.columns.len()) {
        c.set_cell_alignment(CellAlignment::Left);
    }
    t
}

/// Makes the header row bold. comfy-table styles only when it sees a
/// terminal itself; the caller has decided already, so styling is enforced
/// (and without `color` no cell has a style, so a terminal shows it plain).
fn bold_header(t: &mut Table) {
    let Some(header) = t.header() else {
        return;
    };
    let cells: Vec<comfy_table::Cell> = header
        .cell_iter()
        .map(|c| comfy_table::Cell::new(c.content()).add_attribute(Attribute::Bold))
        .collect();
    t.set_header(cells);
    t.enforce_styling();
}

/// Columns after the keys hold figures: right-aligned, as numbers are read.
fn align_numbers(t: &mut Table, keys: usize) {
    for c in t.column_iter_mut().skip(keys) {
        c.set_cell_alignment(CellAlignment::Right);
    }
}

pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn percent(r: f64) -> String {
    format!("{:.1} %", r * 100.0)
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
        assert_eq!(percent(0.1234), "12.3 %");
        assert_eq!(
            short_time("2015-05-17T10:05:03+00:00"),
            "2015-05-17 10:05:03"
        );
    }
}
