//! The report: finished, sorted and cut tables built from the merged
//! figures (SPEC §6). Renderers only read it; nothing here prints.

use std::collections::BTreeMap;

use hashbrown::HashMap;
use serde::Serialize;

use crate::aggregate::{Figures, Traffic, SLOT_SECONDS};
use crate::parse::Format;
use crate::route::route_of;
use crate::scan::{Counts, Scanned};
use crate::zone::{Bucket, ReportZone};

pub const SCHEMA: &str = "logstats.report/1";

/// One input, scanned.
pub struct ScannedInput {
    /// The name shown for it: the path as given, or `-` for standard input.
    pub path: String,
    pub format: Format,
    pub scanned: Scanned,
}

pub struct ReportOptions {
    /// Rows kept per table; 0 keeps all.
    pub top: usize,
    /// `--tz`; `None` takes the offset of the first parsed line.
    pub zone: Option<ReportZone>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub version: &'static str,
    pub inputs: Vec<InputRow>,
    pub malformed_samples: Vec<MalformedSample>,
    pub period: Period,
    pub summary: Summary,
    pub timeseries: Timeseries,
    pub status_codes: Vec<StatusRow>,
    pub methods: Vec<MethodRow>,
    pub not_found: Vec<PathHits>,
    pub server_errors: Vec<PathHits>,
    pub routes: Vec<RouteRow>,
    /// No predefined layout carries a request time; layouts that do come
    /// with custom formats.
    pub response_time: Option<ResponseTime>,
    /// The zone days, hours and times are given in.
    #[serde(skip)]
    pub zone: ReportZone,
}

#[derive(Debug, Serialize)]
pub struct InputRow {
    pub path: String,
    pub format: &'static str,
    /// Bytes of log text read (after decompression for gzip input).
    pub bytes: u64,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Serialize)]
pub struct MalformedSample {
    pub path: String,
    pub line: u64,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct Period {
    pub first: Option<String>,
    pub last: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub hits: u64,
    pub bytes: u64,
    pub status_4xx: u64,
    pub status_5xx: u64,
    pub error_rate_4xx: f64,
    pub error_rate_5xx: f64,
}

#[derive(Debug, Serialize)]
pub struct Timeseries {
    pub bucket: Bucket,
    pub rows: Vec<TimeRow>,
}

#[derive(Debug, Serialize)]
pub struct TimeRow {
    pub start: String,
    pub hits: u64,
    pub bytes: u64,
    pub status_4xx: u64,
    pub status_5xx: u64,
}

#[derive(Debug, Serialize)]
pub struct StatusRow {
    pub status: u16,
    pub hits: u64,
}

#[derive(Debug, Serialize)]
pub struct MethodRow {
    pub method: String,
    pub hits: u64,
}

#[derive(Debug, Serialize)]
pub struct PathHits {
    pub path: String,
    pub hits: u64,
}

#[derive(Debug, Serialize)]
pub struct RouteRow {
    pub route: String,
    pub hits: u64,
    pub status_5xx: u64,
    pub bytes: u64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct ResponseTime {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Log text is bytes; reports are text. Invalid UTF-8 is replaced with
/// U+FFFD, the same way every time.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn build(inputs: Vec<ScannedInput>, opts: &ReportOptions) -> Report {
    let zone = opts.zone.unwrap_or_else(|| {
        let written = inputs.iter().find_map(|i| i.scanned.first_offset);
        written
            .flatten()
            .map_or(ReportZone::UTC, ReportZone::from_offset_seconds)
    });

    let mut figures = Figures::default();
    let mut rows = Vec::with_capacity(inputs.len());
    let mut samples = Vec::new();
    for input in inputs {
        let s = input.scanned;
        for sample in &s.samples {
            samples.push(MalformedSample {
                path: input.path.clone(),
                line: sample.line,
                text: text(&sample.text),
            });
        }
        rows.push(InputRow {
            path: input.path,
            format: input.format.name(),
            bytes: s.bytes,
            counts: s.counts,
        });
        figures.merge(s.figures);
    }
    samples.truncate(crate::scan::MAX_SAMPLES);

    let total = figures.total;
    let period = Period {
        first: figures.first_time.map(|t| zone.format(t)),
        last: figures.last_time.map(|t| zone.format(t)),
    };
    let summary = Summary {
        hits: total.hits,
        bytes: total.bytes,
        status_4xx: total.status_4xx,
        status_5xx: total.status_5xx,
        error_rate_4xx: rate(total.status_4xx, total.hits),
        error_rate_5xx: rate(total.status_5xx, total.hits),
    };
    let top = opts.top;
    Report {
        schema: SCHEMA,
        version: env!("CARGO_PKG_VERSION"),
        inputs: rows,
        malformed_samples: samples,
        period,
        summary,
        timeseries: timeseries(&figures, &zone),
        status_codes: top_rows(
            figures
                .status_codes()
                .map(|(status, hits)| StatusRow { status, hits })
                .collect(),
            top,
            |r| (r.hits, r.status),
        ),
        methods: top_rows(
            figures
                .methods()
                .map(|(m, hits)| MethodRow {
                    method: text(m),
                    hits,
                })
                .collect(),
            top,
            |r| (r.hits, r.method.clone()),
        ),
        not_found: path_table(&figures, top, |p| p.status_404),
        server_errors: path_table(&figures, top, |p| p.status_5xx),
        routes: routes(&figures, top),
        response_time: None,
        zone,
    }
}

pub fn rate(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Sorts by the main figure, descending, then by key, ascending, and keeps
/// the first `top` rows (all when `top` is 0).
pub fn top_rows<T, K: Ord>(
    mut rows: Vec<T>,
    top: usize,
    figure_and_key: impl Fn(&T) -> (u64, K),
) -> Vec<T> {
    rows.sort_by_cached_key(|r| {
        let (figure, key) = figure_and_key(r);
        (std::cmp::Reverse(figure), key)
    });
    if top > 0 {
        rows.truncate(top);
    }
    rows
}

/// A path table of one per-path counter, rows with a zero count left out.
/// Paths that differ only in invalid UTF-8 bytes print the same; they are
/// added together so that no key appears twice.
fn path_table(
    figures: &Figures,
    top: usize,
    count: impl Fn(&crate::aggregate::PathStats) -> u64,
) -> Vec<PathHits> {
    let mut by_text: HashMap<String, u64> = HashMap::new();
    for (path, stats) in figures.paths.iter() {
        let n = count(stats);
        if n > 0 {
            *by_text.entry(text(path)).or_default() += n;
        }
    }
    let rows = by_text
        .into_iter()
        .map(|(path, hits)| PathHits { path, hits })
        .collect();
    top_rows(rows, top, |r| (r.hits, r.path.clone()))
}

fn routes(figures: &Figures, top: usize) -> Vec<RouteRow> {
    let mut by_route: HashMap<String, (u64, u64, u64)> = HashMap::new();
    for (path, stats) in figures.paths.iter() {
        let r = by_route.entry(text(&route_of(path))).or_default();
        r.0 += stats.hits;
        r.1 += stats.status_5xx;
        r.2 += stats.bytes;
    }
    let rows = by_route
        .into_iter()
        .map(|(route, (hits, status_5xx, bytes))| RouteRow {
            route,
            hits,
            status_5xx,
            bytes,
            p50_ms: None,
            p95_ms: None,
        })
        .collect();
    top_rows(rows, top, |r| (r.hits, r.route.clone()))
}

/// Folds the UTC slots into hours or days of the report zone, every bucket
/// from the first to the last, empty ones included, so that a chart of the
/// rows has an even time axis.
fn timeseries(figures: &Figures, zone: &ReportZone) -> Timeseries {
    let (Some(first), Some(last)) = (figures.first_time, figures.last_time) else {
        return Timeseries {
            bucket: Bucket::Hour,
            rows: Vec::new(),
        };
    };
    let bucket = Bucket::for_period(first, last);
    let mut buckets: BTreeMap<i64, Traffic> = BTreeMap::new();
    let (first_slot, last_slot) = (
        first.div_euclid(SLOT_SECONDS),
        last.div_euclid(SLOT_SECONDS),
    );
    let mut previous = None;
    for slot in first_slot..=last_slot {
        let start = zone.bucket_start(slot * SLOT_SECONDS, bucket);
        if previous != Some(start) {
            buckets.entry(start).or_default();
            previous = Some(start);
        }
        if let Some(t) = figures.slot(slot) {
            buckets.entry(start).or_default().merge(&t);
        }
    }
    let rows = buckets
        .into_iter()
        .map(|(start, t)| TimeRow {
            start: zone.format(start),
            hits: t.hits,
            bytes: t.bytes,
            status_4xx: t.status_4xx,
            status_5xx: t.status_5xx,
        })
        .collect();
    Timeseries { bucket, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_rows_sorts_by_figure_then_key_and_cuts() {
        let rows = vec![("b", 2), ("a", 2), ("c", 5), ("d", 1)];
        let sorted = top_rows(rows.clone(), 0, |r| (r.1, r.0));
        assert_eq!(sorted, vec![("c", 5), ("a", 2), ("b", 2), ("d", 1)]);
        assert_eq!(top_rows(rows, 2, |r| (r.1, r.0)), vec![("c", 5), ("a", 2)]);
    }

    #[test]
    fn rates() {
        assert_eq!(rate(1, 4), 0.25);
        assert_eq!(rate(0, 0), 0.0);
    }
}
