//! `--format html`: the report as one self-contained page, to open from
//! disk, a web server or an e-mail. Its style, charts (inline SVG) and
//! script are in the file; a Content-Security-Policy lets it load nothing,
//! and everything it shows is there with JavaScript off. The script only
//! adds sorting, tooltips and a time range, from the report's JSON
//! embedded in the page.
//!
//! Markup is written with maud, which escapes every value it splices into
//! element text or an attribute; log text is also shown with its control
//! and bidi characters made visible ([`escape::shown`]), and the embedded
//! JSON cannot end its script element ([`escape::script_json`]).

mod escape;
mod svg;
mod tables;
mod words;

use std::io::Write;

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::sections::{sections, Cell, Section};
use super::table::{human, note, short_time};
use crate::enrich::zone::Bucket;
use crate::report::model::{Counts, TimeRow};
use crate::report::Report;
use words::{heading, thousands};

const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("script.js");

pub fn write(report: &Report, out: &mut dyn Write) -> anyhow::Result<()> {
    let page = page(report)?;
    out.write_all(page.into_string().as_bytes())?;
    Ok(())
}

/// The Content-Security-Policy of the page: nothing may be loaded or sent
/// (`default-src 'none'`, no base URL, no form target), the one inline
/// script runs by its hash, and inline style is allowed: bars get their
/// width from `style` attributes, which a hash cannot allow, and style can
/// run no code (with nothing loadable, a `url()` in it fetches nothing).
fn content_security_policy() -> String {
    format!(
        "default-src 'none'; script-src {}; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
        escape::script_hash(SCRIPT)
    )
}

fn page(report: &Report) -> anyhow::Result<Markup> {
    let all = sections(report);
    let section = |name: &str| all.iter().find(|s| s.name == name);
    let data = escape::script_json(report)?;
    // The inputs by name, unless there are too many for a title.
    let title = match report.inputs.as_slice() {
        few @ [_, ..] if few.len() <= 3 => {
            let names: Vec<String> = few.iter().map(|i| escape::shown(&i.path)).collect();
            names.join(", ")
        }
        many => format!("{} files", many.len()),
    };
    Ok(html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(content_security_policy());
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                meta name="referrer" content="no-referrer";
                meta name="generator" content=(format!("logstats {}", report.version));
                title { (title) " · logstats" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                (header(report, &title))
                main {
                    @if let Some(summary) = section("summary") {
                        (tiles(summary, section("response_time")))
                    }
                    (traffic(report))
                    div class="grid" {
                        @for s in &all {
                            @if let Some(card) = card(report, s) { (card) }
                        }
                    }
                    @if let Some(series) = section("timeseries") {
                        details class="card wide" id="traffic-table" {
                            summary { h2 { (series.title) ", as a table" } }
                            div data-section="timeseries" { (tables::table(series)) }
                        }
                    }
                    (about(section("inputs"), section("malformed_samples")))
                }
                footer {
                    "Made by logstats " (report.version) " (" (report.schema) "). "
                    "The figures are defined in the logstats manual (man logstats). "
                    "The report's JSON is embedded in this page (the script element #report-data)."
                }
                script type="application/json" id="report-data" { (PreEscaped(data)) }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    })
}

/// What was read and over which period, in the report zone.
fn header(report: &Report, title: &str) -> Markup {
    let sum = |f: fn(&Counts) -> u64| -> u64 { report.inputs.iter().map(|i| f(&i.counts)).sum() };
    let mut formats: Vec<&str> = report.inputs.iter().map(|i| i.format).collect();
    formats.dedup();
    let time = |column: &'static str, at: &Option<String>| match at {
        Some(at) => html! { time data-col=(column) data-v=(at) datetime=(at) { (short_time(at)) } },
        None => html! { span hidden data-col=(column) data-v="" {} },
    };
    html! {
        header class="top" {
            p class="brand" { "logstats report" }
            h1 { (title) }
            p class="period" data-section="period" {
                span data-row {
                    @if report.period.first.is_some() {
                        (time("first", &report.period.first)) " → " (time("last", &report.period.last))
                        " (" (report.zone) ")"
                    } @else {
                        "No line with a time: nothing to report."
                        (time("first", &None)) (time("last", &None))
                    }
                }
            }
            p class="meta" {
                (formats.join(" + ")) " · "
                (thousands(sum(|c| c.lines))) " lines: "
                (thousands(sum(|c| c.kept))) " kept, "
                (thousands(sum(|c| c.filtered))) " filtered, "
                (thousands(sum(|c| c.malformed))) " malformed, "
                (thousands(sum(|c| c.blank))) " blank"
            }
        }
    }
}

/// A tile of the summary: its title, the figure it shows big, and a
/// figure that explains it, with the words after that figure.
struct Tile {
    title: &'static str,
    figure: &'static str,
    under: Option<(&'static str, &'static str)>,
}

const TILES: [Tile; 11] = {
    const fn tile(title: &'static str, figure: &'static str) -> Tile {
        Tile {
            title,
            figure,
            under: None,
        }
    }
    const fn with(
        title: &'static str,
        figure: &'static str,
        under: &'static str,
        words: &'static str,
    ) -> Tile {
        Tile {
            title,
            figure,
            under: Some((under, words)),
        }
    }
    [
        tile("Hits", "hits"),
        tile("Page views", "pageviews"),
        tile("Visitors", "visitors"),
        tile("Visits", "visits"),
        with("Bounce rate", "bounce_rate", "bounces", " bounces"),
        tile("Average visit", "avg_visit_duration_s"),
        tile("Data sent", "bytes"),
        tile("Bot hits", "bot_hits"),
        tile("Static hits", "static_hits"),
        with("4xx errors", "status_4xx", "error_rate_4xx", " of hits"),
        with("5xx errors", "status_5xx", "error_rate_5xx", " of hits"),
    ]
};

/// The summary as tiles: a figure each, with the one that explains it
/// (bounces under the bounce rate, error rates under error counts).
fn tiles(summary: &Section, response_time: Option<&Section>) -> Markup {
    let Some(row) = summary.rows.first() else {
        return html! {};
    };
    let value = |name: &str| {
        let c = summary.columns.iter().position(|&c| c == name)?;
        Some(figure(name, &row[c]))
    };
    // A summary figure not named above still gets a tile of its own.
    let placed = |name: &&str| {
        TILES
            .iter()
            .any(|t| t.figure == *name || t.under.is_some_and(|(under, _)| under == *name))
    };
    html! {
        section class="tiles" aria-label="Summary" {
            div class="contents" data-section="summary" data-row {
                @for tile in &TILES {
                    @if let Some(v) = value(tile.figure) {
                        div class="tile" {
                            div class="label" { (tile.title) }
                            div class="value" { (v) }
                            @if let Some((under, words)) = tile.under {
                                div class="sub" { (value(under).unwrap_or_default()) (words) }
                            }
                        }
                    }
                }
                @for name in summary.columns.iter().filter(|n| !placed(n)) {
                    div class="tile" {
                        div class="label" { (heading(name)) }
                        div class="value" { (value(name).unwrap_or_default()) }
                    }
                }
            }
            @if let Some(row) = response_time.and_then(|t| t.rows.first().map(|r| (t, r))) {
                @let (times, row) = row;
                div class="contents" data-section="response_time" data-row {
                    div class="tile wide-tile" {
                        div class="label" { "Response time" }
                        div class="value" { (figure(times.columns[0], &row[0])) " " span class="unit" { "p50" } }
                        div class="sub" {
                            @for (i, (name, cell)) in times.columns.iter().zip(row).enumerate().skip(1) {
                                @if i > 1 { " · " }
                                span { (heading(name)) " " (figure(name, cell)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A figure as a reader reads it, with its exact value for programs.
/// Rates under 1 % get two decimals: a 5xx rate of 0.03 % is not 0.0 %.
fn figure(column: &str, cell: &Cell) -> Markup {
    let shown = match cell {
        Cell::Rate(r) if *r > 0.0 && *r < 0.01 => format!("{:.2} %", r * 100.0),
        _ => human(cell),
    };
    html! { span data-col=(column) data-v=(cell.raw()) { (shown) } }
}

/// The time series as charts: page views and visitors as lines, hits
/// stacked by status class. With script, a range of buckets can be
/// chosen: the charts zoom to it and the figures of the range are summed.
fn traffic(report: &Report) -> Markup {
    let rows = &report.timeseries.rows;
    let hourly = report.timeseries.bucket == Bucket::Hour;
    let title = match report.timeseries.bucket {
        Bucket::Hour => "Traffic per hour",
        Bucket::Day => "Traffic per day",
    };
    let column = |f: fn(&TimeRow) -> u64| rows.iter().map(f).collect::<Vec<u64>>();
    let starts: Vec<String> = rows.iter().map(|r| r.start.clone()).collect();
    let (pageviews, visitors) = (column(|r| r.pageviews), column(|r| r.visitors));
    let (s2, s3, s4, s5) = (
        column(|r| r.status_2xx),
        column(|r| r.status_3xx),
        column(|r| r.status_4xx),
        column(|r| r.status_5xx),
    );
    // 1xx and codes past 599: what the four classes leave of the hits.
    let other = column(|r| {
        r.hits
            .saturating_sub(r.status_2xx + r.status_3xx + r.status_4xx + r.status_5xx)
    });
    use svg::Series;
    let mut classes = vec![Series::new("2xx", "s2", &s2), Series::new("3xx", "s3", &s3)];
    if other.iter().any(|&n| n > 0) {
        classes.push(Series::new("other", "s1", &other));
    }
    classes.extend([Series::new("4xx", "s4", &s4), Series::new("5xx", "s5", &s5)]);
    let lines = [
        Series::new("page views", "pv", &pageviews),
        Series::new("visitors", "vi", &visitors),
    ];
    html! {
        section class="card wide" id="traffic" {
            h2 { (title) }
            @if rows.is_empty() {
                p class="none" { "(no traffic)" }
            } @else {
                div class="range" hidden {
                    label { "From " select name="from" {} }
                    label { "to " select name="to" {} }
                    button type="button" name="all" { "Whole period" }
                    span class="hint" { "or drag across a chart" }
                    output class="range-figures" {}
                }
                (legend("Page views and visitors", &lines))
                (svg::time_chart("Page views and visitors", &starts, hourly, svg::Shape::Lines, &lines, "pageviews visitors"))
                (legend("Hits by status", &classes))
                (svg::time_chart("Hits by status class", &starts, hourly, svg::Shape::Stacked, &classes, "hits"))
            }
        }
    }
}

fn legend(title: &str, series: &[svg::Series<'_>]) -> Markup {
    html! {
        div class="legend" {
            h3 { (title) }
            @for s in series {
                span { i class=(format!("swatch {}", s.class)) {} (s.name) }
            }
        }
    }
}

/// A card for one table of the report, or `None` for those shown
/// elsewhere (summary, time series, inputs) or empty and optional.
fn card(report: &Report, s: &Section) -> Option<Markup> {
    let body = match s.name {
        "inputs" | "malformed_samples" | "period" | "summary" | "response_time" | "timeseries" => {
            return None
        }
        "vhosts" | "clients" if s.rows.is_empty() => return None,
        // Only when the layout logs Accept-Language, only when goals or
        // funnels are given (as in the terminal table).
        "languages" if report.languages.is_none() => return None,
        "goals" | "goal_channels" | "funnels" if report.goals.is_none() => return None,
        "channels" | "devices" => bars(s),
        _ => tables::table(s),
    };
    let wide = s.columns.len() > 4;
    Some(html! {
        section class=(if wide { "card wide" } else { "card" }) id=(s.name) data-section=(s.name) {
            h2 { (s.title) }
            (body)
            @if let Some(note) = note(report, s.name) {
                p class="note" { (escape::shown(&note)) }
            }
        }
    })
}

/// A table of a key and a count as a bar chart.
fn bars(s: &Section) -> Markup {
    let bars: Vec<svg::Bar> = s
        .rows
        .iter()
        .map(|row| {
            let n = match row.get(1) {
                Some(Cell::Count(n)) => *n,
                _ => 0,
            };
            svg::Bar {
                label: row.first().map(human).unwrap_or_default(),
                value: n,
                shown_value: thousands(n),
                share: s.share_of.map(|total| crate::report::rate(n, total)),
            }
        })
        .collect();
    svg::bar_chart(s.title, s.columns[0], s.columns[1], &bars)
}

/// Where the figures come from: the inputs and the first malformed lines.
fn about(inputs: Option<&Section>, malformed: Option<&Section>) -> Markup {
    html! {
        section class="card wide" id="inputs" data-section="inputs" {
            h2 { "Inputs" }
            @if let Some(inputs) = inputs { (tables::table(inputs)) }
        }
        @if let Some(m) = malformed.filter(|m| !m.rows.is_empty()) {
            section class="card wide" id="malformed_samples" data-section="malformed_samples" {
                h2 { (m.title) }
                (tables::table(m))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_cannot_end_its_element_early() {
        assert!(
            !SCRIPT.contains("</"),
            "</ in script.js would end the element"
        );
        assert!(
            !STYLE.contains("</"),
            "</ in style.css would end the element"
        );
    }
}
