//! The conditions of `--warn` and `--crit`: `METRIC OP VALUE`.
//!
//! - METRIC: `5xx` and `4xx` (rates of hits), `p95` and `p99` (response
//!   time percentiles), `hits` (a count), `malformed` (a rate of lines);
//! - OP: `>` or `<`;
//! - VALUE: a percentage for rates (`2%`, `0.5%`), a duration for times
//!   (`800ms`, `2s`, `1.5s`), a count for hits (`10`); for any metric, a
//!   multiple of the same figure over the baseline period of `--vs`
//!   (`3x`, `0.5x`).

use std::fmt;

/// What a condition measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// The share of hits with a 5xx status.
    Rate5xx,
    Rate4xx,
    /// Nearest-rank percentiles of the response time.
    P95,
    P99,
    Hits,
    /// The share of lines in the window that do not match the layout.
    Malformed,
}

impl Metric {
    pub const ALL: [Metric; 6] = [
        Metric::Rate5xx,
        Metric::Rate4xx,
        Metric::P95,
        Metric::P99,
        Metric::Hits,
        Metric::Malformed,
    ];

    /// As written in a condition.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Rate5xx => "5xx",
            Metric::Rate4xx => "4xx",
            Metric::P95 => "p95",
            Metric::P99 => "p99",
            Metric::Hits => "hits",
            Metric::Malformed => "malformed",
        }
    }

    fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// Whether each hit is good or bad by it (a status, a time), so that
    /// it is judged per route.
    pub fn per_hit(self) -> bool {
        matches!(
            self,
            Metric::Rate5xx | Metric::Rate4xx | Metric::P95 | Metric::P99
        )
    }

    pub fn is_rate(self) -> bool {
        matches!(self, Metric::Rate5xx | Metric::Rate4xx | Metric::Malformed)
    }

    /// For a percentile, the share of hits allowed above it: 5 % for p95.
    pub fn above_share(self) -> Option<f64> {
        match self {
            Metric::P95 => Some(0.05),
            Metric::P99 => Some(0.01),
            _ => None,
        }
    }
}

/// How the figure compares with the limit when the condition holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Above,
    Below,
}

impl Op {
    pub fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Op::Above => value > limit,
            Op::Below => value < limit,
        }
    }

    pub fn symbol(self) -> char {
        match self {
            Op::Above => '>',
            Op::Below => '<',
        }
    }
}

/// The value a figure is compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// In the metric's unit: a fraction for rates, µs for times, hits.
    Absolute(f64),
    /// This many times the same figure over the baseline period.
    Baseline(f64),
}

/// One `--warn` or `--crit` value.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// As written, for messages.
    pub text: String,
    pub metric: Metric,
    pub op: Op,
    pub limit: Limit,
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

const FORMS: &str = "write METRIC>VALUE or METRIC<VALUE, e.g. 5xx>2%, p95>800ms, hits<10 \
     or, with --vs, 5xx>3x";

impl Condition {
    pub fn parse(s: &str) -> Result<Condition, String> {
        let text: String = s.split_whitespace().collect();
        let Some(at) = text.find(['>', '<', '=']) else {
            return Err(format!("'{s}' is not a condition: {FORMS}"));
        };
        let (name, rest) = text.split_at(at);
        let metric = Metric::from_name(name).ok_or_else(|| {
            format!(
                "'{s}': '{name}' is not a metric: use 5xx, 4xx (rates of hits), p95, p99 \
                 (response times), hits or malformed (a rate of lines)"
            )
        })?;
        let op = match rest.as_bytes()[0] {
            b'>' => Op::Above,
            b'<' => Op::Below,
            _ => return Err(format!("'{s}': compare with > or <, e.g. {name}>VALUE")),
        };
        let value = &rest[1..];
        if value.starts_with(['>', '<', '=']) {
            return Err(format!(
                "'{s}': one comparison, > or <, then a value: {FORMS}"
            ));
        }
        let limit = parse_limit(metric, value)
            .ok_or_else(|| format!("'{s}': {}", value_forms(metric, value)))?;
        Ok(Condition {
            text,
            metric,
            op,
            limit,
        })
    }

    pub fn is_relative(&self) -> bool {
        matches!(self.limit, Limit::Baseline(_))
    }
}

/// What a value of `metric` looks like, for the message about `value`.
fn value_forms(metric: Metric, value: &str) -> String {
    let value = if value.is_empty() { "nothing" } else { value };
    match metric {
        Metric::Rate5xx | Metric::Rate4xx | Metric::Malformed => format!(
            "'{value}' is not a rate: write a percentage like 2% or 0.5% (or, with --vs, a multiple of the baseline like 3x)"
        ),
        Metric::P95 | Metric::P99 => format!(
            "'{value}' is not a time: write it like 800ms or 2s (or, with --vs, a multiple of the baseline like 2x)"
        ),
        Metric::Hits => format!(
            "'{value}' is not a number of hits: write a count like 10 (or, with --vs, a multiple of the baseline like 0.5x)"
        ),
    }
}

fn parse_limit(metric: Metric, value: &str) -> Option<Limit> {
    if let Some(factor) = value.strip_suffix(['x', 'X']) {
        return number(factor).map(Limit::Baseline);
    }
    let absolute = match metric {
        Metric::Rate5xx | Metric::Rate4xx | Metric::Malformed => {
            let percent = number(value.strip_suffix('%')?)?;
            (percent <= 100.0).then_some(percent / 100.0)?
        }
        Metric::P95 | Metric::P99 => {
            let lower = value.to_ascii_lowercase();
            if let Some(ms) = lower.strip_suffix("ms") {
                number(ms)? * 1000.0
            } else if let Some(us) = lower.strip_suffix("us") {
                number(us)?
            } else {
                number(lower.strip_suffix('s')?)? * 1_000_000.0
            }
        }
        Metric::Hits => {
            let n = number(value)?;
            (n.fract() == 0.0).then_some(n)?
        }
    };
    Some(Limit::Absolute(absolute))
}

/// A plain decimal number, not negative: digits with at most one point.
fn number(s: &str) -> Option<f64> {
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    let points = s.bytes().filter(|&b| b == b'.').count();
    if digits == 0 || points > 1 || digits + points != s.len() {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> (Metric, Op, Limit) {
        let c = Condition::parse(s).unwrap();
        (c.metric, c.op, c.limit)
    }

    #[test]
    fn conditions_of_each_metric() {
        use Limit::*;
        assert_eq!(
            parse("5xx>2%"),
            (Metric::Rate5xx, Op::Above, Absolute(0.02))
        );
        assert_eq!(
            parse(" 4XX > 0.5% "),
            (Metric::Rate4xx, Op::Above, Absolute(0.005))
        );
        assert_eq!(
            parse("p95>800ms"),
            (Metric::P95, Op::Above, Absolute(800_000.0))
        );
        assert_eq!(
            parse("p99>2s"),
            (Metric::P99, Op::Above, Absolute(2_000_000.0))
        );
        assert_eq!(
            parse("p99>1.5S"),
            (Metric::P99, Op::Above, Absolute(1_500_000.0))
        );
        assert_eq!(parse("hits<10"), (Metric::Hits, Op::Below, Absolute(10.0)));
        assert_eq!(
            parse("malformed>1%"),
            (Metric::Malformed, Op::Above, Absolute(0.01))
        );
        assert_eq!(parse("5xx>3x"), (Metric::Rate5xx, Op::Above, Baseline(3.0)));
        assert_eq!(parse("hits<0.5x"), (Metric::Hits, Op::Below, Baseline(0.5)));
        assert_eq!(Condition::parse("5xx > 2 %").unwrap().text, "5xx>2%");
    }

    #[test]
    fn bad_conditions_say_what_is_wrong() {
        let err = |s: &str| Condition::parse(s).unwrap_err();
        assert!(
            err("5xx>>2").contains("one comparison, > or <"),
            "{}",
            err("5xx>>2")
        );
        assert!(
            err("p95>fast").contains("'fast' is not a time"),
            "{}",
            err("p95>fast")
        );
        assert!(
            err("5xx>2").contains("'2' is not a rate"),
            "{}",
            err("5xx>2")
        );
        assert!(err("5xx>=2%").contains("one comparison"));
        assert!(err("5xx=2%").contains("compare with > or <"));
        assert!(err("errors>2%").contains("'errors' is not a metric"));
        assert!(err("5xx").contains("is not a condition"));
        assert!(err("hits<ten").contains("not a number of hits"));
        assert!(err("hits<1.5").contains("not a number of hits"));
        assert!(err("5xx>").contains("'nothing' is not a rate"));
        assert!(err("5xx>120%").contains("not a rate"));
        for bad in [
            "5xx>-1%",
            "5xx>1e3%",
            "5xx>inf%",
            "5xx>1.2.3%",
            "p95>x",
            "p95>.s",
        ] {
            assert!(Condition::parse(bad).is_err(), "{bad}");
        }
    }
}
