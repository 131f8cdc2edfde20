//! Prometheus' text format as the tests read it: its samples, and
//! promtool's verdict on it when promtool is installed (see
//! tests/prometheus.rs for the rule on a missing tool).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Series name and labels, as one key.
pub type Series = (String, BTreeMap<String, String>);

/// The samples of an exposition as logstats writes it (one line a
/// sample, label values without `,` `}` or escapes in these logs).
pub fn samples(text: &str) -> BTreeMap<Series, f64> {
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap();
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let labels = rest
                    .trim_end_matches('}')
                    .split("\",")
                    .map(|pair| {
                        let (k, v) = pair.split_once("=\"").unwrap();
                        (k.to_string(), v.trim_end_matches('"').to_string())
                    })
                    .collect();
                (name.to_string(), labels)
            }
            None => (series.to_string(), BTreeMap::new()),
        };
        out.insert((name, labels), value.parse().unwrap());
    }
    out
}

/// Every series of `before` is in `now`, at least as high: counters only
/// grow (the last-line gauge aside).
pub fn assert_counters_did_not_drop(before: &BTreeMap<Series, f64>, now: &BTreeMap<Series, f64>) {
    for (series, &was) in before {
        if series.0 == "logstats_last_log_timestamp_seconds" {
            continue;
        }
        let is = now.get(series).copied();
        assert!(
            is.is_some_and(|is| is >= was),
            "{series:?} was {was}, is {is:?}"
        );
    }
}

/// `promtool check metrics < text`, when promtool is installed.
pub fn promtool_check(text: &str) {
    let found = super::on_path(&["promtool"]);
    if !super::present_or_skip(found.is_some(), "promtool", "apt-get install prometheus") {
        return;
    }
    promtool_check_with(&found.unwrap(), text);
}

/// `promtool check metrics < text` with the promtool at `promtool`: it
/// must accept the text.
pub fn promtool_check_with(promtool: &Path, text: &str) {
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics:\n{}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
