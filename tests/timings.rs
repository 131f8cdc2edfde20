//! `--timings` and `LOGSTATS_TIMINGS`: the phases of a run on stderr, the
//! report itself unchanged. No figure here depends on how fast the
//! machine is: only which phases are printed, and how.

mod common;

use common::{fixture, logstats};

/// The phase names of the timings table in `stderr`, and its total line.
fn phases(stderr: &str) -> (Vec<String>, Option<String>) {
    let mut lines = stderr
        .lines()
        .skip_while(|l| !l.starts_with("logstats: timings"));
    assert!(lines.next().is_some(), "no timings table in {stderr:?}");
    let header = lines.next().unwrap_or_default();
    assert!(
        header.contains("start") && header.contains("wall"),
        "{header}"
    );
    let mut names = Vec::new();
    let mut total = None;
    for line in lines {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [wall, share, "total"] => {
                assert_eq!(*share, "100.0");
                total = Some(wall.to_string());
            }
            [start, wall, share, name @ ..] => {
                assert!(*start == "cpu" || start.parse::<f64>().is_ok(), "{line}");
                assert!(wall.parse::<f64>().unwrap() >= 0.0, "{line}");
                assert!(share.parse::<f64>().is_ok(), "{line}");
                names.push(name.join(" "));
            }
            _ => panic!("unexpected line {line:?}"),
        }
    }
    (names, total)
}

fn report(args: &[&str], env: Option<&str>) -> (Vec<u8>, String) {
    let mut cmd = logstats();
    cmd.arg("report").arg(fixture("access.log")).args(args);
    cmd.env_remove("LOGSTATS_TIMINGS");
    if let Some(value) = env {
        cmd.env("LOGSTATS_TIMINGS", value);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    (out.stdout, String::from_utf8(out.stderr).unwrap())
}

#[test]
fn the_flag_prints_every_phase_and_leaves_the_report_alone() {
    let (plain, quiet) = report(&["--format", "json"], None);
    assert_eq!(quiet, "", "nothing on stderr without the flag");
    let (timed, stderr) = report(&["--format", "json", "--timings"], None);
    assert_eq!(plain, timed, "the report is the same byte for byte");
    let (names, total) = phases(&stderr);
    assert!(total.is_some(), "{stderr}");
    for phase in [
        "open inputs (and the GeoIP database)",
        "scan: parse + aggregate (parallel)",
        "scan: merge of partial results",
        "visits: clients unified, visitors numbered",
        "visits: page views ordered and walked (parallel)",
        "visits: page views put in visitor order",
        "visits: visitors walked",
        "visits: tallies back to text, sources",
        "report: path tables and routes",
        "output: rendered and written",
    ] {
        assert!(
            names.iter().any(|n| n == phase),
            "{phase} missing: {names:?}"
        );
    }
}

#[test]
fn the_variable_asks_for_them_too_and_zero_does_not() {
    let (_, stderr) = report(&["--format", "csv", "--section", "routes"], Some("1"));
    let (names, _) = phases(&stderr);
    // A hit-level table walks no visits.
    assert!(names.iter().any(|n| n == "report: path tables and routes"));
    assert!(!names.iter().any(|n| n.starts_with("visits: page views")));
    for off in ["0", ""] {
        let (_, stderr) = report(&["--format", "json"], Some(off));
        assert_eq!(stderr, "", "LOGSTATS_TIMINGS={off:?}");
    }
}

#[test]
fn a_state_run_prints_the_state_s_phases() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("site.state");
    let state = state.to_str().unwrap();
    let (first, stderr) = report(&["--format", "json", "--state", state, "--timings"], None);
    let (names, _) = phases(&stderr);
    for phase in [
        "state: locked and loaded",
        "state: new lines read",
        "state: new lines filed into their days",
        "state: settled days summed",
        "state: saved",
        "state: report over every day kept",
    ] {
        assert!(
            names.iter().any(|n| n == phase),
            "{phase} missing: {names:?}"
        );
    }
    // Series are moved on only by a state that keeps them.
    assert!(!names.iter().any(|n| n.starts_with("state: Prometheus")));
    // The report of the run is the one a run without timings gives.
    let again = dir.path().join("again.state");
    let (plain, quiet) = report(
        &["--format", "json", "--state", again.to_str().unwrap()],
        None,
    );
    assert_eq!(quiet, "");
    let strip = |json: &[u8]| {
        let mut v: serde_json::Value = serde_json::from_slice(json).unwrap();
        v.as_object_mut().unwrap().remove("inputs");
        v
    };
    assert_eq!(strip(&first), strip(&plain));
}
