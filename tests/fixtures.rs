//! Hand-written fixtures whose figures were counted by hand and written
//! beside them (`fixtures/NAME.expected.json`).
//!
//! How `fixtures/access.log` was counted (20 lines, report zone +02:00):
//! - line 6 is blank, line 8 is not a log line: 18 parsed and kept;
//! - status 200 on lines 1-4, 12, 13, 14 (7); 404 on 5, 17, 18; one each of
//!   500 (7), 408 (9), 400 (10), 304 (11), 503 (15), 502 (16), 204 (19),
//!   301 (20): 4xx = 3 + 408 + 400 = 5, 5xx = 500 + 503 + 502 = 3;
//! - bytes: 5120+1024+8000+7000+153+157+3000+2048+120+120+153+153 = 27048
//!   (`-`, 0 and HEAD add nothing);
//! - GET on 13 lines, `-` for the `"-"` request and the TLS junk (9, 10);
//! - `/old\x22page` (nginx escape) and `/old\"page` (Apache escape) are the
//!   same path `/old"page`, 404 twice;
//! - routes: `/api/v1/items/77`, `/78` and the DELETE of `/77` make
//!   `/api/v1/items/:id` (3 hits, 2 of them 5xx, 120+120 bytes);
//!   `/blog/42?ref=home`, `/blog/43`, `/blog/42` make `/blog/:id`;
//! - hours from 09:00 on 1 May to 09:00 on 2 May: 25 buckets, empty ones
//!   included; line 11 at 23:59:59 and line 12 at 00:00:30 fall either side
//!   of midnight.

mod common;

use common::{assert_subset, fixture, logstats, report_json};
use serde_json::Value;

fn expected(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(&format!("{name}.expected.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn access_log_json_has_the_hand_counted_figures() {
    let path = fixture("access.log");
    let actual = report_json(&[path.to_str().unwrap()]);
    assert_subset(&expected("access.log"), &actual, "report");
    assert_eq!(actual["schema"], "logstats.report/1");
}

#[test]
fn access_log_csv_section_has_the_same_figures() {
    let out = logstats()
        .args([
            "report",
            fixture("access.log").to_str().unwrap(),
            "--format",
            "csv",
            "--section",
            "status_codes",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let want =
        "status,hits\n200,7\n404,3\n204,1\n301,1\n304,1\n400,1\n408,1\n500,1\n502,1\n503,1\n";
    assert_eq!(text, want);

    // A path with a quote in it is quoted by the CSV writer, its quote doubled.
    let out = logstats()
        .args([
            "report",
            fixture("access.log").to_str().unwrap(),
            "--format",
            "csv",
            "--section",
            "not_found",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "path,hits\n\"/old\"\"page\",2\n/wp-login.php,1\n"
    );
}

#[test]
fn access_log_tidy_csv() {
    let out = logstats()
        .args([
            "report",
            fixture("access.log").to_str().unwrap(),
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("section,key,metric,value\n"));
    for row in [
        "summary,,hits,18",
        "summary,,bytes,27048",
        "summary,,status_4xx,5",
        "methods,-,hits,2",
        "routes,/api/v1/items/:id,status_5xx,2",
        "routes,/api/v1/items/:id,p50_ms,",
        "timeseries,2024-05-02T08:00:00+02:00,hits,6",
        "malformed_samples,",
    ] {
        assert!(text.contains(row), "missing {row:?} in\n{text}");
    }
}

#[test]
fn access_log_table_shows_the_figures() {
    let out = logstats()
        .args(["report", fixture("access.log").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.contains("combined"), "{header}");
    assert!(
        header.contains("20 lines (18 kept, 1 malformed, 1 blank)"),
        "{header}"
    );
    assert!(text.contains("2024-05-01 09:58:10 → 2024-05-02 09:10:00 (+02:00)"));
    for title in [
        "Summary",
        "Traffic per hour",
        "Status codes",
        "Methods",
        "Not found (404)",
        "Server errors (5xx)",
        "Routes",
    ] {
        assert!(text.contains(title), "no {title} table");
    }
    assert!(text.contains("/api/v1/items/:id"));
    assert!(
        text.contains("27.8 %"),
        "4xx error rate 5/18 = 0.2778 shown as a percentage"
    );
}

#[test]
fn top_cuts_tables_and_zero_keeps_all() {
    let path = fixture("access.log");
    let p = path.to_str().unwrap();
    let all = report_json(&[p, "--top", "0"]);
    assert_eq!(all["routes"].as_array().unwrap().len(), 11);
    assert_eq!(all["routes"][10]["route"], "/wp-login.php");
    let two = report_json(&[p, "--top", "2"]);
    assert_eq!(two["routes"].as_array().unwrap().len(), 2);
    // The time series is never cut.
    assert_eq!(two["timeseries"]["rows"].as_array().unwrap().len(), 25);
}

#[test]
fn tz_moves_buckets_and_printed_times() {
    let path = fixture("access.log");
    let r = report_json(&[path.to_str().unwrap(), "--tz", "UTC"]);
    assert_eq!(r["period"]["first"], "2024-05-01T07:58:10+00:00");
    assert_eq!(
        r["timeseries"]["rows"][0]["start"],
        "2024-05-01T07:00:00+00:00"
    );
    let r = report_json(&[path.to_str().unwrap(), "--tz", "America/New_York"]);
    assert_eq!(r["period"]["last"], "2024-05-02T03:10:00-04:00");
}

#[test]
fn table_section_prints_only_that_table() {
    let out = logstats()
        .args([
            "report",
            fixture("access.log").to_str().unwrap(),
            "--section",
            "routes",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Routes") && text.contains("/api/v1/items/:id"),
        "{text}"
    );
    for other in [
        "Summary",
        "Status codes",
        "Landing pages",
        "Traffic per hour",
    ] {
        assert!(
            !text.contains(other),
            "{other} printed with --section routes"
        );
    }
}
