//! `logstats check --state`: each check judges the lines added since the
//! last one, follows its inputs through rotation, and leaves the state
//! untouched when it reaches no verdict. Logs are built from corpus
//! visitors (tests/common/scenarios.rs): 20 hits a minute, 16 page views
//! and 4 checkouts, each in 0.080 s; every figure below is counted from
//! that by hand.

mod common;

use std::path::{Path, PathBuf};

use common::logstats;
use common::plugin::{perf, perfdata, status_and_output};
use common::scenarios::{ordinary_minute, text, visitors, Visitor, T3};
use serde_json::Value;

const MINUTE: i64 = 60;

/// Minutes `from..to` (counted from 03:00, may be negative) of ordinary
/// traffic; from `failing_from` on, the 4 checkouts a minute get 503.
fn minutes(a: &[Visitor], from: i64, to: i64, failing_from: Option<i64>) -> String {
    let mut lines = Vec::new();
    for m in from..to {
        let mut minute = ordinary_minute(a, T3 + m * MINUTE, None);
        if failing_from.is_some_and(|f| m >= f) {
            for (_, l) in minute.iter_mut().filter(|(_, l)| l.contains("POST")) {
                *l = l.replace("\" 200 ", "\" 503 ");
            }
        }
        lines.extend(minute);
    }
    text(lines)
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// Exit status and standard output of `logstats check FILES --state STATE ARGS`.
fn check(files: &[&Path], state: &Path, args: &[&str]) -> (i32, String) {
    status_and_output(
        logstats()
            .arg("check")
            .args(files)
            .arg("--state")
            .arg(state)
            .args(["--log-format", "nginx-timed"])
            .args(args),
    )
}

const LIMITS: [&str; 4] = ["--warn", "5xx>2%", "--crit", "5xx>5%"];

/// The first check of a log of 02:00-03:00, judging 02:55-03:00.
fn first_check(dir: &Path, a: &[Visitor]) -> (PathBuf, PathBuf, usize) {
    let log = dir.join("access.log");
    let head = minutes(a, -60, 0, None);
    append(&log, &head);
    let state = dir.join("check.state");
    let since = ["--since", "2024-05-01T02:55:00+00:00"];
    let (code, out) = check(&[&log], &state, &[&since[..], &LIMITS].concat());
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    // 5 minutes of 20 hits, no error.
    assert_eq!(
        lines[0],
        "LOGSTATS OK - 5xx 0.0% (0/100); p95 80ms | 'rate_5xx'=0%;2;5;0;100 'hits'=100c \
         'p95'=0.08s;;;0 'p99'=0.08s;;;0 'rate_4xx'=0%;;;0;100 'rate_malformed'=0%;;;0;100"
    );
    assert!(
        out.contains(
            "\nwindow: a first check with --state, 02:55:00 to 02:59:57 (+00:00): 100 hits, 100 lines, 0 malformed\n"
        ),
        "{out}"
    );
    // Read from a little before the window, found by position: the rest
    // of the file is counted as read.
    let read = lines.iter().find(|l| l.contains("new bytes read")).unwrap();
    assert!(read.ends_with("(new; 0 counted before)"), "{read}");
    let bytes: usize = read
        .split(": ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap();
    assert!(bytes < head.len() / 2, "{bytes} of {}", head.len());
    assert!(out.ends_with(&format!("state: {} (saved)\n", state.display())));
    (log, state, head.len())
}

#[test]
fn each_check_judges_only_the_lines_added_since_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let a = visitors();
    let (log, state, head) = first_check(dir.path(), &a);

    // 03:00-03:05 appended, the checkout failing throughout: 100 hits, 20
    // of them 5xx (20 %), the first at 03:00:48.
    let spike = minutes(&a, 0, 5, Some(0));
    append(&log, &spike);
    let (code, out) = check(&[&log], &state, &LIMITS);
    assert_eq!(code, 2, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "LOGSTATS CRITICAL - 5xx 20.0% (20/100) since 03:00, mostly POST /api/checkout (20); \
         p95 80ms | 'rate_5xx'=20%;2;5;0;100 'hits'=100c 'p95'=0.08s;;;0 'p99'=0.08s;;;0 \
         'rate_4xx'=0%;;;0;100 'rate_malformed'=0%;;;0;100"
    );
    let data = perfdata(lines[0]);
    assert_eq!(data[0], perf("rate_5xx", 20.0, "%", ["2", "5", "0", "100"]));
    assert_eq!(data[1], perf("hits", 100.0, "c", ["", "", "", ""]));
    assert_eq!(
        lines[1],
        "CRITICAL 5xx>5%: 20.0% since 03:00:48 (limit 5.0%)"
    );
    assert!(
        out.contains(
            "\n  CRITICAL POST /api/checkout (5xx>5%): 5xx 100.0% (20/20), p95 80ms, since 03:00:48\n"
        ),
        "{out}"
    );
    // The period: after 02:59:57, the newest line the first check read,
    // to 03:04:57.
    assert!(
        out.contains(
            "\nwindow: the lines new since the last check (its newest at 02:59:57), \
             02:59:57 to 03:04:57 (+00:00): 100 hits, 100 lines, 0 malformed\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            ": {} new bytes read (continued; {} counted before)\n",
            thousands(spike.len()),
            thousands(head)
        )),
        "{out}"
    );

    // 03:05-03:10 appended, all well: the spike is behind, not judged again.
    let calm = minutes(&a, 5, 10, None);
    append(&log, &calm);
    let (code, out) = check(
        &[&log],
        &state,
        &[&LIMITS[..], &["--format", "json"]].concat(),
    );
    assert_eq!(code, 0, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "OK");
    assert_eq!(v["figures"]["hits"], 100);
    assert_eq!(v["figures"]["status_5xx"], 0);
    assert_eq!(v["state"]["first"], false);
    assert_eq!(v["state"]["after"], "2024-05-01T03:04:57+00:00");
    assert_eq!(v["inputs"][0]["cursor"], "continued");
    assert_eq!(v["inputs"][0]["bytes_read"], calm.len());
    assert_eq!(v["inputs"][0]["counted_before"], head + spike.len());

    // Nothing added: no verdict, UNKNOWN, and the state as it was.
    let before = std::fs::read(&state).unwrap();
    let (code, out) = check(&[&log], &state, &LIMITS);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.starts_with(
            "LOGSTATS UNKNOWN - no new line since the last check, whose newest line was at 2024-05-01T03:09:57+00:00"
        ),
        "{out}"
    );
    assert_eq!(std::fs::read(&state).unwrap(), before);
}

#[test]
fn a_rotation_between_checks_loses_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = visitors();
    let (log, state, head) = first_check(dir.path(), &a);
    let limits = [&LIMITS[..], &["--min-hits", "10"]].concat();
    // 03:00-03:02 written, failing, just before logrotate renames
    // access.log to access.log.1 and creates an empty access.log.
    let before_rotation = minutes(&a, 0, 2, Some(0));
    append(&log, &before_rotation);
    let rotated = dir.path().join("access.log.1");
    std::fs::rename(&log, &rotated).unwrap();
    std::fs::write(&log, "").unwrap();
    // 40 hits, 8 of them 5xx (20 %): the lines of the renamed file.
    let (code, out) = check(&[&log, &rotated], &state, &limits);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.starts_with("LOGSTATS CRITICAL - 5xx 20.0% (8/40) since 03:00,"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "\n{}: 0 new bytes read (new; 0 counted before)\n{}: {} new bytes read (continued; {} counted before)\n",
            log.display(),
            rotated.display(),
            thousands(before_rotation.len()),
            thousands(head)
        )),
        "{out}"
    );
    // 03:02-03:05 in the new access.log, well: 60 hits, none judged twice.
    let after_rotation = minutes(&a, 2, 5, None);
    append(&log, &after_rotation);
    let (code, out) = check(&[&log, &rotated], &state, &limits);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("LOGSTATS OK - 5xx 0.0% (0/60);"), "{out}");
    assert!(
        out.contains(&format!(
            "\n{}: {} new bytes read (new; 0 counted before)\n{}: 0 new bytes read (continued;",
            log.display(),
            thousands(after_rotation.len()),
            rotated.display(),
        )),
        "{out}"
    );
    // access.log.1 compressed into access.log.2.gz: read to its end once
    // (nothing new), then skipped; access.log continues.
    let gz = dir.path().join("access.log.2.gz");
    std::fs::write(&gz, common::gzip(&std::fs::read(&rotated).unwrap(), 1)).unwrap();
    std::fs::remove_file(&rotated).unwrap();
    append(&log, &minutes(&a, 5, 6, Some(5)));
    // 03:05 failing: 20 hits, 4 of them 5xx; then 03:06, well.
    for (expected, summary, cursor) in [(2, "(4/20)", "continued"), (0, "(0/20)", "finished")] {
        let (code, out) = check(&[&log, &gz], &state, &limits);
        assert_eq!(code, expected, "{out}");
        assert!(out.contains(summary), "{out}");
        assert!(
            out.contains(&format!("{}: 0 new bytes read ({cursor};", gz.display())),
            "{out}"
        );
        append(&log, &minutes(&a, 6, 7, None));
    }
}

#[test]
fn an_unreadable_input_leaves_the_state_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let a = visitors();
    let (log, state, _) = first_check(dir.path(), &a);
    append(&log, &minutes(&a, 0, 5, Some(0)));
    let before = std::fs::read(&state).unwrap();
    // A file that is not there.
    let missing = dir.path().join("access.log.1");
    let (code, out) = check(&[&log, &missing], &state, &LIMITS);
    assert_eq!(code, 3, "{out}");
    assert!(out.starts_with("LOGSTATS UNKNOWN - "), "{out}");
    assert!(out.contains("access.log.1"), "{out}");
    assert_eq!(std::fs::read(&state).unwrap(), before);
    // A compressed file cut short: read in part, then an error.
    let whole = common::gzip(minutes(&a, -120, -60, None).as_bytes(), 1);
    let cut = dir.path().join("old.log.gz");
    std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
    let (code, out) = check(&[&log, &cut], &state, &LIMITS);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("old.log.gz"), "{out}");
    assert_eq!(std::fs::read(&state).unwrap(), before);
    // The lines are still new to the next check that can read its inputs.
    let (code, out) = check(&[&log], &state, &LIMITS);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("(20/100)"), "{out}");
}

#[test]
fn other_settings_and_a_report_state_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = visitors();
    let (log, state, _) = first_check(dir.path(), &a);
    append(&log, &minutes(&a, 0, 5, None));
    let before = std::fs::read(&state).unwrap();
    let out = logstats()
        .arg("check")
        .arg(&log)
        .arg("--state")
        .arg(&state)
        .args(["--log-format", "combined"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("--log-format is combined now but was $remote_addr"),
        "{text}"
    );
    assert_eq!(std::fs::read(&state).unwrap(), before);

    // A report's state is not a check's, nor the other way round.
    let out = logstats()
        .arg("report")
        .arg(&log)
        .arg("--state")
        .arg(&state)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("it is the state of logstats check, and this run is logstats report --state"),
        "{err}"
    );
    assert_eq!(std::fs::read(&state).unwrap(), before);
    let report_state = dir.path().join("report.state");
    let out = logstats()
        .arg("report")
        .arg(&log)
        .arg("--state")
        .arg(&report_state)
        .output()
        .unwrap();
    assert!(out.status.success());
    let (code, out) = check(&[&log], &report_state, &LIMITS);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("it is the state of logstats report --state, and this run is logstats check"),
        "{out}"
    );
}

#[test]
fn a_check_waits_for_another_run_that_holds_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let a = visitors();
    let (log, state, _) = first_check(dir.path(), &a);
    append(&log, &minutes(&a, 0, 5, Some(0)));
    let before = std::fs::read(&state).unwrap();
    let lock = logstats::state::file::lock(&state, std::time::Duration::ZERO).unwrap();
    let (code, out) = check(
        &[&log],
        &state,
        &[&LIMITS[..], &["--state-wait", "1"]].concat(),
    );
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("another logstats run holds it"), "{out}");
    assert_eq!(std::fs::read(&state).unwrap(), before);
    // Released while it waits: it goes on, and judges the new lines.
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(500));
        drop(lock);
    });
    let (code, out) = check(
        &[&log],
        &state,
        &[&LIMITS[..], &["--state-wait", "30"]].concat(),
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("(20/100)"), "{out}");
    release.join().unwrap();
}

#[test]
fn a_baseline_from_the_state_s_slots() {
    let dir = tempfile::tempdir().unwrap();
    let a = visitors();
    let log = dir.path().join("access.log");
    // 02:00-03:00 with one 5xx per 5 minutes (a page view at hh:m2:30).
    let mut lines = Vec::new();
    for m in -60i64..0 {
        let error_at = (m.rem_euclid(5) == 2).then_some(30);
        lines.extend(ordinary_minute(&a, T3 + m * MINUTE, error_at));
    }
    append(&log, &text(lines));
    let state = dir.path().join("check.state");
    let args = [
        "--vs",
        "1h",
        "--crit",
        "5xx>3x",
        "--warn",
        "hits<0.5x",
        "--min-hits",
        "50",
    ];
    // The first check reads from 01:55 (the baseline's slot) on.
    let since = ["--since", "2024-05-01T02:55:00+00:00"];
    let (code, out) = check(&[&log], &state, &[&since[..], &args].concat());
    // 02:55-03:00: 100 hits, 1 5xx (1 %); the baseline 01:55-02:00 holds
    // nothing: not judged.
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("not judged 5xx>3x: the baseline has 0 hits, under --min-hits 50"),
        "{out}"
    );
    append(&log, &minutes(&a, 0, 5, Some(0)));
    let (code, out) = check(&[&log], &state, &args);
    assert_eq!(code, 2, "{out}");
    // The period 02:59:57-03:04:58, an hour before: 3 s of the empty slot
    // 01:55 and 298 s of 02:00 (100 hits, 1 5xx): 99.33 hits, 0.99 5xx,
    // rounded 99 and 1. 3x of 1/99 is 3.03 %; half of 99 hits, 49.5.
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "LOGSTATS CRITICAL - 5xx 20.0% (20/100) since 03:00, mostly POST /api/checkout (20); \
         p95 80ms; hits 100 | 'rate_5xx'=20%;;3.03;0;100 'hits'=100c;49.5: 'p95'=0.08s;;;0 \
         'p99'=0.08s;;;0 'rate_4xx'=0%;;;0;100 'rate_malformed'=0%;;;0;100"
    );
    let data = perfdata(lines[0]);
    assert_eq!(
        data[0],
        perf("rate_5xx", 20.0, "%", ["", "3.03", "0", "100"])
    );
    assert_eq!(data[1], perf("hits", 100.0, "c", ["49.5:", "", "", ""]));
    assert!(
        lines.contains(&"CRITICAL 5xx>3x: 20.0% since 03:00:48 (limit 3.0%)"),
        "{out}"
    );
    assert!(lines.contains(&"ok hits<0.5x: 100 (limit 49.5)"), "{out}");
    assert!(
        lines.contains(&"baseline, 1h before: 01:59:57 to 02:04:58: 5xx 1.0% (1/99)"),
        "{out}"
    );

    // What the state does not keep per 5 minutes is refused, before the
    // state is touched.
    let before = std::fs::read(&state).unwrap();
    for (condition, why) in [
        ("p95>2x", "response times per path and day"),
        ("malformed>2x", "malformed lines"),
    ] {
        let (code, out) = check(&[&log], &state, &["--vs", "1h", "--crit", condition]);
        assert_eq!(code, 3, "{out}");
        assert!(out.contains(why), "{out}");
    }
    let (code, out) = check(
        &[&log],
        &state,
        &["--vs", "1h", "--each-route", "--crit", "5xx>3x"],
    );
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("--each-route"), "{out}");
    assert_eq!(std::fs::read(&state).unwrap(), before);
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
