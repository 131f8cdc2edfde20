//! How figures and column names read on the page: numbers as the
//! terminal tables write them, and a heading per column.

use crate::output::sections::Cell;
use crate::output::table::{self, human};

/// A column name as a heading: `pageviews` → `page views`.
pub(super) fn heading(column: &str) -> String {
    match column {
        "pageviews" => "page views".into(),
        "avg_visit_duration_s" => "avg visit duration".into(),
        "p50_ms" | "p90_ms" | "p95_ms" | "p99_ms" | "max_ms" => {
            column.trim_end_matches("_ms").into()
        }
        "status_4xx" => "4xx".into(),
        "status_5xx" => "5xx".into(),
        other => other.replace('_', " "),
    }
}

pub(super) fn thousands(n: u64) -> String {
    table::thousands(n)
}

pub(super) fn percent(rate: f64) -> String {
    human(&Cell::Rate(rate))
}
