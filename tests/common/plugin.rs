//! The monitoring-plugin output of `logstats check`, parsed strictly by
//! the plugin guidelines' grammar, for the tests of the check.

/// The exit status and standard output of a check `cmd` runs, which
/// prints nothing on standard error.
pub fn status_and_output(cmd: &mut assert_cmd::Command) -> (i32, String) {
    let out = cmd.output().unwrap();
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// One item of performance data, as the monitoring-plugin guidelines
/// write it: `'label'=value[UOM];[warn];[crit];[min];[max]`.
#[derive(Debug, PartialEq)]
pub struct Perf {
    pub label: String,
    pub value: f64,
    pub uom: String,
    pub warn: String,
    pub crit: String,
    pub min: String,
    pub max: String,
}

/// The performance data of a first line, parsed strictly by that grammar.
pub fn perfdata(first_line: &str) -> Vec<Perf> {
    let (_, data) = first_line.split_once(" | ").expect("a | before the data");
    let number = |s: &str| {
        assert!(
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-'),
            "not a number: {s:?}"
        );
        s.parse::<f64>().unwrap()
    };
    let range = |s: &str| {
        // A threshold range: [@][~|N]:[N] or N, or nothing.
        let body = s.trim_start_matches('@');
        for part in body.split(':') {
            assert!(
                part.is_empty() || part == "~" || part.parse::<f64>().is_ok(),
                "not a range: {s:?}"
            );
        }
        assert!(body.matches(':').count() <= 1, "not a range: {s:?}");
        s.to_string()
    };
    data.split(' ')
        .map(|item| {
            let rest = item.strip_prefix('\'').expect("a quoted label");
            let (label, rest) = rest.split_once("'=").expect("'label'=");
            assert!(!label.is_empty() && !label.contains(['\'', '=']));
            let fields: Vec<&str> = rest.split(';').collect();
            assert!((1..=5).contains(&fields.len()), "{item}");
            let unit_at = fields[0]
                .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
                .unwrap_or(fields[0].len());
            let (value, uom) = fields[0].split_at(unit_at);
            assert!(
                ["", "s", "ms", "us", "%", "B", "KB", "MB", "TB", "c"].contains(&uom),
                "unit {uom:?}"
            );
            let field = |i: usize| fields.get(i).copied().unwrap_or_default();
            for m in [field(3), field(4)] {
                if !m.is_empty() {
                    number(m);
                }
            }
            Perf {
                label: label.to_string(),
                value: number(value),
                uom: uom.to_string(),
                warn: range(field(1)),
                crit: range(field(2)),
                min: field(3).to_string(),
                max: field(4).to_string(),
            }
        })
        .collect()
}

pub fn perf(label: &str, value: f64, uom: &str, limits: [&str; 4]) -> Perf {
    let [warn, crit, min, max] = limits.map(String::from);
    Perf {
        label: label.into(),
        value,
        uom: uom.into(),
        warn,
        crit,
        min,
        max,
    }
}
