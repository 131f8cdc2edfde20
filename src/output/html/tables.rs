//! Report tables as HTML tables: a row per report row, figures right-aligned
//! with their exact value in `data-v` (what sorting compares, and what a
//! test reads back), and a bar in the share column.

use maud::{html, Markup};

use super::words::{heading, percent, thousands};
use crate::output::sections::{Cell, Section};
use crate::output::table::human;

/// Whether column `c` is shown: response times only when some row has one.
fn shown_column(s: &Section, c: usize) -> bool {
    !s.rows.iter().all(|r| matches!(r[c], Cell::Millis(None)))
}

/// The routes table shows each route's p50 to p95 as a bar too, against
/// the slowest p95 of the table: the column index of p95 and that scale.
fn latency_scale(s: &Section) -> Option<(usize, usize, f64)> {
    let p50 = s.columns.iter().position(|&c| c == "p50_ms")?;
    let p95 = s.columns.iter().position(|&c| c == "p95_ms")?;
    let slowest = s
        .rows
        .iter()
        .filter_map(|r| match r[p95] {
            Cell::Millis(Some(ms)) => Some(ms),
            _ => None,
        })
        .fold(0.0, f64::max);
    (slowest > 0.0).then_some((p50, p95, slowest))
}

/// A section as a sortable table.
pub fn table(s: &Section) -> Markup {
    if s.rows.is_empty() {
        return html! { p class="none" { "(none)" } };
    }
    let columns: Vec<usize> = (0..s.columns.len())
        .filter(|&c| shown_column(s, c))
        .collect();
    let latency = latency_scale(s);
    html! {
        div class="scroll" {
            table class="sortable" {
                thead {
                    tr {
                        @for &c in &columns {
                            @let numeric = !matches!(s.rows[0][c], Cell::Text(_));
                            th scope="col" class=[numeric.then_some("num")] data-type=(if numeric { "num" } else { "text" }) {
                                (heading(s.columns[c]))
                            }
                            @if s.share_of.is_some() && c == s.keys {
                                th scope="col" class="num share" data-type="num" { "share" }
                            }
                        }
                        @if latency.is_some() {
                            th scope="col" class="latency" data-type="num" { "p50 – p95" }
                        }
                    }
                }
                tbody {
                    @for row in &s.rows {
                        tr data-row {
                            @for &c in &columns {
                                (cell(s.columns[c], &row[c], c < s.keys))
                                @if let (Some(total), true) = (s.share_of, c == s.keys) {
                                    (share_cell(&row[c], total))
                                }
                            }
                            @if let Some((p50, p95, slowest)) = latency {
                                (latency_cell(&row[p50], &row[p95], slowest))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One cell: text keys as the page shows log text, figures with their
/// exact value in `data-v`.
fn cell(column: &str, value: &Cell, key: bool) -> Markup {
    match value {
        Cell::Text(_) => {
            let shown = human(value);
            // The whole text in a tooltip, for keys cut short by the style
            // (an empty key is shown as "(empty)" by the style alone).
            html! {
                td class=(if key { "key" } else { "text" }) data-col=(column) {
                    span title=[(shown.len() > 60).then_some(&shown)] { (shown) }
                }
            }
        }
        Cell::Bytes(n) => html! {
            td class="num" data-col=(column) data-v=(n) title=(format!("{} bytes", thousands(*n))) {
                (human(value))
            }
        },
        Cell::Millis(None) => {
            html! { td class="num" data-col=(column) data-v="" { (human(value)) } }
        }
        _ => html! { td class="num" data-col=(column) data-v=(value.raw()) { (human(value)) } },
    }
}

/// The row's main figure as a share of the section's total, with a bar.
fn share_cell(value: &Cell, total: u64) -> Markup {
    let n = match value {
        Cell::Count(n) | Cell::Bytes(n) => *n,
        _ => 0,
    };
    let share = crate::report::rate(n, total);
    html! {
        td class="num share" data-v=(share) {
            span class="meter" { i style=(format!("width:{:.1}%", share * 100.0)) {} }
            (percent(share))
        }
    }
}

/// A bar from p50 to p95, scaled to the slowest p95 of the table.
fn latency_cell(p50: &Cell, p95: &Cell, slowest: f64) -> Markup {
    let (Cell::Millis(Some(p50)), Cell::Millis(Some(p95))) = (p50, p95) else {
        return html! { td class="latency" data-v="" {} };
    };
    let at = |ms: f64| ms / slowest * 100.0;
    html! {
        td class="latency" data-v=(p95) title=(format!("p50 {p50:.1} ms, p95 {p95:.1} ms")) {
            span class="p-range" {
                i style=(format!("left:{:.1}%;width:{:.1}%", at(*p50), (at(*p95) - at(*p50)).max(0.5))) {}
            }
        }
    }
}
