//! The charts of the page, drawn as inline SVG so that they need no script
//! and no network: the time series (page views and visitors as lines, hits
//! stacked by status class) and horizontal bars for shares.
//!
//! A time chart has an outer SVG of fixed pixel size (axes, labels) and a
//! nested `svg.plot` whose `viewBox` is in data units: x is the bucket
//! index, y runs from 0 at the top of the axis to [`Y_UNITS`] at zero. The
//! page's script zooms to a range of buckets by changing that `viewBox` and
//! redrawing the axes: the shapes themselves are drawn here only.

use maud::{html, Markup};

use super::words::{percent, thousands};

/// Size of a time chart in CSS pixels (it scales to the page's width).
const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 230.0;
/// Margins around the plot: room for the y labels (left) and the x
/// labels (bottom, right: the last label is centred on its bucket).
const LEFT: f64 = 56.0;
const RIGHT: f64 = 40.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 26.0;
/// Height of the plot in data units.
pub const Y_UNITS: f64 = 1000.0;
/// At most this many labels on the time axis.
const X_LABELS: usize = 8;

/// One figure per bucket, drawn in the CSS class `class`.
pub struct Series<'a> {
    pub name: &'static str,
    pub class: &'static str,
    pub values: &'a [u64],
}

impl<'a> Series<'a> {
    pub fn new(name: &'static str, class: &'static str, values: &'a [u64]) -> Self {
        Series {
            name,
            class,
            values,
        }
    }
}

/// How a time chart draws its series.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Each series a line; the first also shaded down to zero.
    Lines,
    /// Bars, the series stacked in order from the bottom.
    Stacked,
}

/// A chart of the time series. `starts` are the buckets' RFC 3339 starts,
/// `hourly` whether buckets are hours, `scale_keys` the JSON fields of a
/// time-series row whose largest value per bucket is the top of the
/// stack or of the highest line (the script rescales from them).
pub fn time_chart(
    label: &str,
    starts: &[String],
    hourly: bool,
    shape: Shape,
    series: &[Series<'_>],
    scale_keys: &str,
) -> Markup {
    let n = starts.len();
    let height_of = |i: usize| -> u64 {
        match shape {
            Shape::Stacked => series.iter().map(|s| s.values[i]).sum(),
            Shape::Lines => series.iter().map(|s| s.values[i]).max().unwrap_or(0),
        }
    };
    let max = (0..n).map(height_of).max().unwrap_or(0);
    let (top, step) = nice_scale(max);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let y = |v: u64| Y_UNITS - v as f64 / top as f64 * Y_UNITS;
    html! {
        svg class="chart" viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-label=(label) {
            g class="y-axis" {
                @for tick in (0..=top).step_by(step as usize) {
                    @let py = TOP + plot_h - tick as f64 / top as f64 * plot_h;
                    line x1=(LEFT) x2=(WIDTH - RIGHT) y1=(px(py)) y2=(px(py)) {}
                    text x=(LEFT - 6.0) y=(px(py)) dy="0.32em" text-anchor="end" { (compact(tick)) }
                }
            }
            g class="x-axis" {
                @for i in label_indices(0, n) {
                    text x=(px(LEFT + (i as f64 + 0.5) / n as f64 * plot_w)) y=(HEIGHT - 8.0) text-anchor="middle" {
                        (axis_label(&starts[i], hourly))
                    }
                }
            }
            svg class="plot" x=(LEFT) y=(TOP) width=(plot_w) height=(plot_h)
                viewBox=(format!("0 0 {} {Y_UNITS}", n.max(1))) preserveAspectRatio="none"
                data-top=(top) data-keys=(scale_keys) data-hourly=(hourly) {
                @match shape {
                    Shape::Lines => {
                        @for (k, s) in series.iter().enumerate() {
                            @if k == 0 {
                                path class=(format!("area {}", s.class)) d=(area_path(s.values, &y)) {}
                            }
                            path class=(format!("line {}", s.class)) d=(line_path(s.values, &y))
                                vector-effect="non-scaling-stroke" {}
                        }
                    }
                    Shape::Stacked => {
                        @for (k, s) in series.iter().enumerate() {
                            path class=(format!("stack {}", s.class)) d=(stack_path(series, k, &y)) {}
                        }
                    }
                }
                // One column per bucket: the tooltip (an SVG title, shown
                // without script), and what the script's hover and range
                // selection respond to.
                @for i in 0..n {
                    rect class="hover" data-i=(i) x=(i) y="0" width="1" height=(Y_UNITS) {
                        title { (tooltip(&starts[i], hourly, shape, series, i)) }
                    }
                }
            }
            line class="baseline" x1=(LEFT) x2=(WIDTH - RIGHT) y1=(TOP + plot_h) y2=(TOP + plot_h) {}
        }
    }
}

/// A point in pixels, with one decimal.
fn px(v: f64) -> String {
    format!("{v:.1}")
}

/// The line through the centres of the buckets. A single bucket is a
/// level line across it.
fn line_path(values: &[u64], y: &impl Fn(u64) -> f64) -> String {
    if let [only] = values {
        return format!("M0 {:.1}H1", y(*only));
    }
    let mut d = String::with_capacity(values.len() * 12);
    for (i, &v) in values.iter().enumerate() {
        d.push(if i == 0 { 'M' } else { 'L' });
        d.push_str(&format!("{i}.5 {:.1}", y(v)));
    }
    d
}

/// The line closed down to zero: the shaded area under it.
fn area_path(values: &[u64], y: &impl Fn(u64) -> f64) -> String {
    match values {
        [] => String::new(),
        [only] => format!("M0 {Y_UNITS}V{:.1}H1V{Y_UNITS}Z", y(*only)),
        _ => format!(
            "M0.5 {Y_UNITS}{}L{}.5 {Y_UNITS}Z",
            line_path(values, y).replacen('M', "L", 1),
            values.len() - 1
        ),
    }
}

/// Past this many buckets, bars touch: gaps of a pixel or less between
/// hundreds of bars only make a moiré.
const BARS_WITH_GAPS: usize = 120;

/// The bars of series `k`, each standing on the series before it.
fn stack_path(series: &[Series<'_>], k: usize, y: &impl Fn(u64) -> f64) -> String {
    let values = series[k].values;
    let (left, width) = if values.len() > BARS_WITH_GAPS {
        ("", "1")
    } else {
        (".1", ".8")
    };
    let mut d = String::with_capacity(values.len() * 24);
    for (i, &v) in values.iter().enumerate() {
        if v == 0 {
            continue;
        }
        let below: u64 = series[..k].iter().map(|s| s.values[i]).sum();
        d.push_str(&format!(
            "M{i}{left} {:.1}h{width}V{:.1}h-{width}z",
            y(below),
            y(below + v)
        ));
    }
    d
}

/// The exact figures of bucket `i`, one per line.
fn tooltip(start: &str, hourly: bool, shape: Shape, series: &[Series<'_>], i: usize) -> String {
    let mut t = bucket_label(start, hourly);
    if shape == Shape::Stacked {
        let total: u64 = series.iter().map(|s| s.values[i]).sum();
        t.push_str(&format!("\nhits: {}", thousands(total)));
    }
    for s in series {
        t.push_str(&format!("\n{}: {}", s.name, thousands(s.values[i])));
    }
    t
}

/// A bucket as a reader names it: `2024-05-01 10:00` or `2024-05-01`.
pub fn bucket_label(start: &str, hourly: bool) -> String {
    let day = start.get(..10).unwrap_or(start);
    match (hourly, start.get(11..16)) {
        (true, Some(hour)) => format!("{day} {hour}"),
        _ => day.to_string(),
    }
}

/// A bucket on the time axis, shorter: `05-01 10:00` or `2024-05-01`.
fn axis_label(start: &str, hourly: bool) -> String {
    let label = bucket_label(start, hourly);
    if hourly {
        label.get(5..).unwrap_or(&label).to_string()
    } else {
        label
    }
}

/// The buckets of `from..to` that get a label on the time axis: evenly
/// spaced, at most [`X_LABELS`].
fn label_indices(from: usize, to: usize) -> impl Iterator<Item = usize> {
    let step = (to - from).div_ceil(X_LABELS).max(1);
    (from..to).step_by(step)
}

/// The top of the y axis and the step between its lines: the step is 1,
/// 2 or 5 times a power of ten, at most five steps reach the top, and the
/// top is the first multiple of the step at or above `max`.
pub fn nice_scale(max: u64) -> (u64, u64) {
    if max == 0 {
        return (1, 1);
    }
    let raw = (max as f64 / 5.0).max(1.0);
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * magnitude)
        .round() as u64;
    let step = step.max(1);
    (max.div_ceil(step) * step, step)
}

/// An axis figure in few characters: `950`, `1.5k`, `12M`.
pub fn compact(n: u64) -> String {
    let (value, unit) = match n {
        0..1_000 => return n.to_string(),
        1_000..1_000_000 => (n as f64 / 1e3, "k"),
        1_000_000..1_000_000_000 => (n as f64 / 1e6, "M"),
        _ => (n as f64 / 1e9, "G"),
    };
    let text = format!("{value:.1}");
    format!("{}{unit}", text.trim_end_matches(".0"))
}

/// One bar of a [`bar_chart`]: its label, figure and share of the total.
pub struct Bar {
    pub label: String,
    pub value: u64,
    pub shown_value: String,
    pub share: Option<f64>,
}

const BAR_WIDTH: f64 = 460.0;
const BAR_ROW: f64 = 26.0;
const BAR_LABEL: f64 = 112.0;
const BAR_TRACK: f64 = 230.0;

/// Horizontal bars, one row per item, each as long as its share of the
/// total (or of the largest item when there is no total). Rows carry
/// `data-row`, the key and figure `data-col`, as table rows do.
pub fn bar_chart(label: &str, key_column: &str, value_column: &str, bars: &[Bar]) -> Markup {
    if bars.is_empty() {
        return html! { p class="none" { "(none)" } };
    }
    let largest = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let height = BAR_ROW * bars.len() as f64 + 4.0;
    html! {
        svg class="bars" viewBox=(format!("0 0 {BAR_WIDTH} {height}")) role="img" aria-label=(label) {
            @for (i, b) in bars.iter().enumerate() {
                @let top = 4.0 + i as f64 * BAR_ROW;
                @let fraction = b.share.unwrap_or(b.value as f64 / largest as f64);
                g data-row {
                    title { (b.label) ": " (b.shown_value)
                        @if let Some(share) = b.share { " (" (percent(share)) ")" } }
                    text class="label" x="0" y=(px(top + 13.0)) data-col=(key_column) { (b.label) }
                    rect class="track" x=(BAR_LABEL) y=(px(top + 3.0)) width=(BAR_TRACK) height="14" rx="2" {}
                    rect class=(format!("bar c{}", i % 8)) x=(BAR_LABEL) y=(px(top + 3.0))
                        width=(px(fraction.clamp(0.0, 1.0) * BAR_TRACK)) height="14" rx="2" {}
                    text class="value" x=(BAR_LABEL + BAR_TRACK + 8.0) y=(px(top + 13.0)) {
                        tspan data-col=(value_column) data-v=(b.value) { (b.shown_value) }
                        @if let Some(share) = b.share {
                            tspan class="share" { " · " (percent(share)) }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_are_round_and_hold_the_largest_value() {
        assert_eq!(nice_scale(0), (1, 1));
        assert_eq!(nice_scale(1), (1, 1));
        assert_eq!(nice_scale(3), (3, 1));
        assert_eq!(nice_scale(7), (8, 2));
        assert_eq!(nice_scale(873), (1000, 200));
        assert_eq!(nice_scale(1000), (1000, 200));
        assert_eq!(nice_scale(1001), (1500, 500));
        assert_eq!(nice_scale(46_210), (50_000, 10_000));
    }

    #[test]
    fn compact_figures() {
        assert_eq!(compact(0), "0");
        assert_eq!(compact(999), "999");
        assert_eq!(compact(1000), "1k");
        assert_eq!(compact(1500), "1.5k");
        assert_eq!(compact(12_000_000), "12M");
        assert_eq!(compact(3_400_000_000), "3.4G");
    }

    #[test]
    fn labels() {
        let start = "2024-05-01T10:00:00+02:00";
        assert_eq!(bucket_label(start, true), "2024-05-01 10:00");
        assert_eq!(bucket_label(start, false), "2024-05-01");
        assert_eq!(axis_label(start, true), "05-01 10:00");
        assert_eq!(label_indices(0, 3).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(
            label_indices(0, 24).collect::<Vec<_>>(),
            [0, 3, 6, 9, 12, 15, 18, 21]
        );
        assert_eq!(label_indices(0, 25).count(), 7);
    }

    #[test]
    fn paths_in_data_units() {
        let y = |v: u64| Y_UNITS - v as f64 * 100.0;
        assert_eq!(line_path(&[1, 3], &y), "M0.5 900.0L1.5 700.0");
        assert_eq!(line_path(&[2], &y), "M0 800.0H1");
        assert_eq!(
            area_path(&[1, 3], &y),
            "M0.5 1000L0.5 900.0L1.5 700.0L1.5 1000Z"
        );
        let (a, b) = ([1, 0], [2, 4]);
        let series = [Series::new("2xx", "s2", &a), Series::new("4xx", "s4", &b)];
        assert_eq!(stack_path(&series, 0, &y), "M0.1 1000.0h.8V900.0h-.8z");
        assert_eq!(
            stack_path(&series, 1, &y),
            "M0.1 900.0h.8V700.0h-.8zM1.1 1000.0h.8V600.0h-.8z"
        );
        // Many buckets: bars without gaps.
        let many = [1; BARS_WITH_GAPS + 1];
        let one = [Series::new("2xx", "s2", &many)];
        assert!(stack_path(&one, 0, &y).starts_with("M0 1000.0h1V900.0h-1zM1 1000.0h1"));
        assert_eq!(
            tooltip(
                "2024-05-01T00:00:00+00:00",
                false,
                Shape::Stacked,
                &series,
                1
            ),
            "2024-05-01\nhits: 4\n2xx: 0\n4xx: 4"
        );
    }
}
