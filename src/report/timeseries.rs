//! The time series: the UTC slots with traffic folded into hours or days
//! of the report zone, with the page views and visitors of the walk.

use std::collections::BTreeMap;

use super::model::{TimeRow, Timeseries};
use crate::aggregate::{Figures, Traffic, SLOT_SECONDS};
use crate::enrich::zone::{Bucket, ReportZone};

/// A time series lists every bucket from the first to the last, empty ones
/// included, so that a chart of it has an even time axis, unless that
/// would make more rows than this (27 years of days): a log with a wrong
/// clock (a line of year 1 beside this year's) then lists only the buckets
/// with traffic, instead of a million empty rows.
pub const MAX_FILLED_BUCKETS: i64 = 10_000;

/// Folds the UTC slots with traffic into hours or days of the report zone.
/// `visits` holds page views and visitors per bucket start.
pub(super) fn timeseries(
    figures: &Figures,
    zone: &ReportZone,
    bucket: Bucket,
    visits: &std::collections::HashMap<i64, (u64, u64)>,
) -> Timeseries {
    let (Some(first), Some(last)) = (figures.first_time, figures.last_time) else {
        return Timeseries {
            bucket,
            rows: Vec::new(),
        };
    };
    let mut buckets: BTreeMap<i64, Traffic> = BTreeMap::new();
    for (slot, traffic) in figures.slots() {
        buckets
            .entry(zone.bucket_start(slot * SLOT_SECONDS, bucket))
            .or_default()
            .merge(&traffic);
    }
    if (last - first) / bucket.seconds() < MAX_FILLED_BUCKETS {
        let (mut start, end) = (
            zone.bucket_start(first, bucket),
            zone.bucket_start(last, bucket),
        );
        while start < end {
            buckets.entry(start).or_default();
            start = zone.next_bucket(start, bucket);
        }
    }
    let rows = buckets
        .into_iter()
        .map(|(start, t)| {
            let (pageviews, visitors) = visits.get(&start).copied().unwrap_or_default();
            TimeRow {
                start: zone.format(start),
                hits: t.hits,
                pageviews,
                visitors,
                bytes: t.bytes,
                status_2xx: t.status_2xx,
                status_3xx: t.status_3xx,
                status_4xx: t.status_4xx,
                status_5xx: t.status_5xx,
            }
        })
        .collect();
    Timeseries { bucket, rows }
}
