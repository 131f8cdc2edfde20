//! JSON-lines logs give the report of the same traffic written as combined
//! text. `fixtures/nginx-json.log` and `fixtures/caddy.log` hold the
//! requests of `fixtures/access.log`, line for line (the blank and the
//! garbage line too, and the CRLF of the last line):
//! - nginx-json.log is written by a typical `escape=json` layout (both
//!   `$time_local` and `$time_iso8601`, `$request` and its parts, `$msec`,
//!   upstream times); line 3 logs `$request_method $uri $args` instead of
//!   `$request`, line 5 has no `$remote_addr` but an `X-Forwarded-For`
//!   list, line 13 writes status and bytes as numbers;
//! - caddy.log is Caddy's default access log: Unix `ts` (UTC), the request
//!   as an object with header lists, a `tls` object on some lines, Go's
//!   escapes. A header that was not sent is missing, as `-` is in CLF.
//!
//! The formats differ in what they log beside the traffic, so the input's
//! format name and size and the response times are not compared.

mod common;

use common::{fixture, logstats, report_json, without_paths};
use serde_json::Value;

/// The report without what the layout changes: format name, bytes read,
/// response times and virtual hosts (combined logs have neither).
fn traffic(mut v: Value) -> Value {
    v = without_paths(v);
    for input in v["inputs"].as_array_mut().unwrap() {
        input["format"] = Value::Null;
        input["bytes"] = Value::Null;
    }
    for route in v["routes"].as_array_mut().unwrap() {
        route["p50_ms"] = Value::Null;
        route["p95_ms"] = Value::Null;
    }
    v["response_time"] = Value::Null;
    // JSON layouts log the host, which combined does not.
    v["vhosts"] = Value::Null;
    v
}

fn report(name: &str, args: &[&str]) -> Value {
    let path = fixture(name);
    let mut all = vec![path.to_str().unwrap()];
    all.extend_from_slice(args);
    report_json(&all)
}

#[test]
fn nginx_json_gives_the_report_of_the_combined_log() {
    // The first line's `$time_local` offset is the report zone, as in CLF.
    let combined = report("access.log", &[]);
    let json = report("nginx-json.log", &[]);
    assert_eq!(json["inputs"][0]["format"], "json");
    assert_eq!(json["period"]["first"], "2024-05-01T09:58:10+02:00");
    assert_eq!(traffic(json), traffic(combined));
}

#[test]
fn caddy_gives_the_report_of_the_combined_log_in_the_same_zone() {
    let combined = report("access.log", &["--tz", "+02:00"]);
    let caddy = report("caddy.log", &["--tz", "+02:00"]);
    assert_eq!(caddy["inputs"][0]["format"], "json");
    assert_eq!(traffic(caddy), traffic(combined));
}

#[test]
fn caddy_times_are_utc_by_default() {
    // `ts` is a Unix time with no offset: the report zone is UTC.
    let caddy = report("caddy.log", &[]);
    assert_eq!(caddy["period"]["first"], "2024-05-01T07:58:10+00:00");
    assert_eq!(caddy["period"]["last"], "2024-05-02T07:10:00+00:00");
}

#[test]
fn named_layout_gives_the_detected_report() {
    for name in ["nginx-json.log", "caddy.log"] {
        let detected = report(name, &[]);
        let named = report(name, &["--log-format", "json"]);
        assert_eq!(named, detected, "{name}");
        let counts = &named["inputs"][0];
        assert_eq!(
            (&counts["lines"], &counts["parsed"], &counts["malformed"]),
            (&Value::from(20), &Value::from(18), &Value::from(1)),
            "{name}"
        );
    }
}

#[test]
fn json_logs_split_anywhere_give_the_same_report() {
    for name in ["nginx-json.log", "caddy.log"] {
        let whole = report(name, &[]);
        let split = report(name, &["--chunk-bytes", "64", "--threads", "3"]);
        assert_eq!(split, whole, "{name}");
    }
}

#[test]
fn combined_lines_are_not_json() {
    // Read as JSON, a combined log fits no line: the run stops and names
    // the layout that does fit.
    let out = logstats()
        .args(["report", fixture("access.log").to_str().unwrap()])
        .args(["--log-format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("reads 0 of the first 19 lines")
            && stderr.contains("try --log-format combined"),
        "{stderr}"
    );
}
