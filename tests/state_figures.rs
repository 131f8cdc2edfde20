//! `report --state` keeps the figures that come from hits other than page
//! views and from headers: server errors (visits with errors,
//! incidents), goal hits (goals, goal channels, funnels) and languages,
//! exactly as one run over the same lines counts them; and goals are a
//! setting of the state.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Output;

use common::logstats;
use serde_json::{json, Value};

/// Combined with `Accept-Language` after the user agent.
const LAYOUT: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_accept_language""#;

const T0: i64 = 1_714_550_400; // 2024-05-01T08:00:00Z

const GOALS: [&str; 4] = [
    "--goal",
    "signup=POST /signup",
    "--funnel",
    "join=/a,signup",
];

fn line(client: &str, t: i64, request: &str, status: u16, language: &str) -> String {
    let time = chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%d/%b/%Y:%H:%M:%S +0000");
    format!(
        "{client} - - [{time}] \"{request} HTTP/1.1\" {status} 10 \"-\" \"Mozilla/5.0 Firefox/125.0\" \"{language}\"\n"
    )
}

fn append(log: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(log)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn report(inputs: &[&Path], extra: &[&str]) -> Output {
    logstats()
        .arg("report")
        .args(inputs)
        .args(["--log-format", LAYOUT, "--format", "json", "--top", "0"])
        .args(extra)
        .output()
        .unwrap()
}

/// The report from the state at `state` after adding `text` to `log`.
fn state_run(log: &Path, state: &Path, text: &str) -> Value {
    append(log, text);
    let mut extra = vec!["--state".to_string(), state.display().to_string()];
    extra.extend(GOALS.iter().map(|s| s.to_string()));
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let out = report(&[log], &extra);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::successful_json(&out)
}

/// One run over `text` with the same flags.
fn one_shot(text: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("whole.log");
    std::fs::write(&log, text).unwrap();
    common::successful_json(&report(&[&log], &GOALS))
}

fn without_inputs(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("inputs");
    v
}

#[test]
fn a_visit_in_two_runs_keeps_its_server_error_and_converts_with_a_later_goal_hit() {
    // Run 1: A views /a and gets a 503 on a POST a minute later (no page
    // view); B views /x. Both visits are open at the end of the run.
    let first = [
        line("10.0.0.1", T0, "GET /a", 200, "fr-CA;q=0.9, en;q=0.5"),
        line(
            "10.0.0.1",
            T0 + 60,
            "POST /api/save",
            503,
            "fr-CA;q=0.9, en;q=0.5",
        ),
        line("10.0.0.2", T0 + 100, "GET /x", 200, "de"),
    ]
    .concat();
    // Run 2: A views /b (9 minutes after /a: the same visit) and signs
    // up (a POST answered 302: a goal hit, no page view); C views /c
    // without a language.
    let second = [
        line("10.0.0.1", T0 + 600, "GET /b", 200, "fr-CA;q=0.9, en;q=0.5"),
        line(
            "10.0.0.1",
            T0 + 700,
            "POST /signup",
            302,
            "fr-CA;q=0.9, en;q=0.5",
        ),
        line("10.0.0.3", T0 + 800, "GET /c", 200, "-"),
    ]
    .concat();
    // Run 3: D, hours later: every visit before it is closed.
    let third = line("10.0.0.4", T0 + 10_000, "GET /d", 200, "en");

    let dir = tempfile::tempdir().unwrap();
    let (log, state) = (dir.path().join("access.log"), dir.path().join("s.state"));
    state_run(&log, &state, &first);
    let open = state_run(&log, &state, &second);
    let closed = state_run(&log, &state, &third);
    assert_eq!(
        without_inputs(open.clone()),
        without_inputs(one_shot(&format!("{first}{second}")))
    );
    assert_eq!(
        without_inputs(closed.clone()),
        without_inputs(one_shot(&format!("{first}{second}{third}")))
    );

    // Counted by hand, after run 2 (A's visit open) and after run 3 (it
    // is closed): A's one visit (/a, /b) holds the 503 (60 s after its
    // first view) and the sign-up (100 s after its last); B and C
    // bounce; D bounces.
    for (report, visits) in [(&open, 3), (&closed, 4)] {
        let s = &report["summary"];
        assert_eq!(s["visits"], visits);
        assert_eq!(s["bounces"], visits - 1);
        assert_eq!(s["status_5xx"], 1);
        assert_eq!(s["visits_with_errors"], 1);
        assert_eq!(s["visits_with_errors_rate"], 1.0 / visits as f64);
        assert_eq!(
            report["goals"],
            json!([{"goal": "signup", "hits": 1, "visitors": 1, "conversions": 1,
                    "conversion_rate": 1.0 / visits as f64}])
        );
        // Every visit came without a referrer: all direct.
        assert_eq!(
            report["goal_channels"],
            json!([{"goal": "signup", "channel": "Direct", "visits": visits,
                    "conversions": 1, "conversion_rate": 1.0 / visits as f64}])
        );
        // Step 1 is the hit on /a in run 1, step 2 the sign-up in run 2.
        let steps: Vec<(u64, u64)> = report["funnels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["step"].as_u64().unwrap(), r["visits"].as_u64().unwrap()))
            .collect();
        assert_eq!(steps, [(1, 1), (2, 1)]);
        // One incident needs 5 server errors in a slot: none here.
        assert_eq!(report["incidents"], json!([]));
    }
    let languages = |v: &Value| {
        let mut rows: Vec<(String, u64)> = v["languages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["language"].as_str().unwrap().to_string(),
                    r["visitors"].as_u64().unwrap(),
                )
            })
            .collect();
        rows.sort();
        rows
    };
    let row = |l: &str, n: u64| (l.to_string(), n);
    assert_eq!(
        languages(&open),
        [row("de", 1), row("fr", 1), row("unknown", 1)]
    );
    assert_eq!(
        languages(&closed),
        [row("de", 1), row("en", 1), row("fr", 1), row("unknown", 1)]
    );
}

#[test]
fn goals_are_a_setting_of_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let (log, state) = (dir.path().join("access.log"), dir.path().join("s.state"));
    state_run(&log, &state, &line("10.0.0.1", T0, "GET /a", 200, "en"));
    let saved = std::fs::read(&state).unwrap();
    let state_arg = state.display().to_string();
    for extra in [
        vec!["--goal", "signup=POST /join", "--funnel", "join=/a,signup"],
        vec!["--goal", "signup=POST /signup"],
        vec![],
    ] {
        let mut args = vec!["--state", state_arg.as_str()];
        args.extend(extra);
        let out = report(&[&log], &args);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--goal") || err.contains("--funnel"), "{err}");
        assert!(err.contains("mv "), "{err}");
        assert_eq!(std::fs::read(&state).unwrap(), saved);
    }
}

#[test]
fn a_state_of_the_previous_format_is_refused_with_how_to_start_over() {
    let dir = tempfile::tempdir().unwrap();
    let (log, state) = (dir.path().join("access.log"), dir.path().join("s.state"));
    state_run(&log, &state, &line("10.0.0.1", T0, "GET /a", 200, "en"));
    // The format version is the little-endian word at byte 8.
    let mut bytes = std::fs::read(&state).unwrap();
    bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
    std::fs::write(&state, &bytes).unwrap();
    let state_arg = state.display().to_string();
    let mut args = vec!["--state", state_arg.as_str()];
    args.extend(GOALS);
    let out = report(&[&log], &args);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("older logstats") && err.contains("mv "),
        "{err}"
    );
    assert_eq!(std::fs::read(&state).unwrap(), bytes);
}

#[test]
fn malformed_samples_have_the_line_numbers_of_one_run_when_nothing_was_rotated() {
    let mut pieces = Vec::new();
    for k in 0..4i64 {
        pieces.push(format!(
            "{}not a log line {k}\n{}",
            line("10.0.0.1", T0 + k * 100, "GET /a", 200, "en"),
            line("10.0.0.2", T0 + k * 100 + 5, "GET /b", 200, "en"),
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let (log, state) = (dir.path().join("access.log"), dir.path().join("s.state"));
    let mut last = Value::Null;
    for piece in &pieces {
        last = state_run(&log, &state, piece);
    }
    // One run over the same file, as it now is.
    let one = common::successful_json(&report(&[&log], &GOALS));
    // Lines 2, 5, 8, 11 of the one file, named as the state run named it.
    let lines: Vec<u64> = last["malformed_samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 5, 8, 11]);
    assert_eq!(last["malformed_samples"], one["malformed_samples"]);
}

#[test]
fn a_late_server_error_joins_no_visit_the_state_has_closed() {
    // Run 1: A views /a at T0; B's traffic runs to T0 + 7200, so A's
    // visit (last view before T0 + 3600) is closed.
    let first = [
        line("10.0.0.1", T0, "GET /a", 200, "en"),
        line("10.0.0.2", T0 + 7200, "GET /b", 200, "en"),
    ]
    .concat();
    // Run 2: A's 503 at T0 + 60 comes late: one run would give it to A's
    // visit (within 30 minutes of its view); the state has closed that
    // visit, so it is in none. B's 503 at T0 + 7300 joins B's open visit.
    let second = [
        line("10.0.0.1", T0 + 60, "POST /api/save", 503, "en"),
        line("10.0.0.2", T0 + 7300, "POST /api/save", 503, "en"),
    ]
    .concat();
    let dir = tempfile::tempdir().unwrap();
    let (log, state) = (dir.path().join("access.log"), dir.path().join("s.state"));
    state_run(&log, &state, &first);
    let late = state_run(&log, &state, &second);
    let whole = one_shot(&format!("{first}{second}"));
    let s = |v: &Value, k: &str| v["summary"][k].as_u64().unwrap();
    // By hand: 4 hits, two of them 5xx, 2 visits; one run puts a 5xx in
    // each visit, the state in B's only.
    for v in [&late, &whole] {
        assert_eq!(
            (s(v, "hits"), s(v, "status_5xx"), s(v, "visits")),
            (4, 2, 2)
        );
    }
    assert_eq!(s(&whole, "visits_with_errors"), 2);
    assert_eq!(s(&late, "visits_with_errors"), 1);
}
