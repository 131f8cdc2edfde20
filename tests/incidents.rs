//! The report's incidents and visits_with_errors, on the spike log of
//! tests/common/scenarios.rs, counted by hand.

mod common;

use common::scenarios::spike;
use common::{assert_subset, logstats, report_json};
use serde_json::json;

#[test]
fn the_spike_is_one_incident_with_its_routes_visits_and_visitors() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("spike.log");
    std::fs::write(&log, spike()).unwrap();
    let r = report_json(&[log.to_str().unwrap(), "--log-format", "nginx-timed"]);
    // 14 slots from 01:55 to 03:00: 13 of 100 hits with 1 error (1 %),
    // the last of 118 hits with 31 (26.3 %). The median, 1 %: only the
    // last is failing. Its first error is R0's at 03:02:05. The checkout
    // never failed before; the product pages failed once a slot, 13 times.
    // Visitors with a 5xx in it: A0..A3 and A10 (page views all along,
    // one visit each) and R0..R5 (no page view: in no visit): 11
    // visitors, 5 visits.
    let expected = json!([{
        "start": "2024-05-01T03:00:00+00:00",
        "end": "2024-05-01T03:05:00+00:00",
        "hits": 118,
        "status_5xx": 31,
        "error_rate_5xx": 31.0 / 118.0,
        "normal_error_rate_5xx": 0.01,
        "first_error": "2024-05-01T03:02:05+00:00",
        "visitors": 11,
        "visits": 5,
        "routes": [
            {"method": "POST", "route": "/api/checkout", "status_5xx": 30,
             "share": 30.0 / 31.0, "errors_before": 0, "new_failure": true},
            {"method": "GET", "route": "/products/:id", "status_5xx": 1,
             "share": 1.0 / 31.0, "errors_before": 13, "new_failure": false},
        ],
    }]);
    assert_subset(&expected, &r["incidents"], "incidents");
    // A0..A15 make one visit each, all 70 minutes long; A0..A3's failed
    // checkouts and A10's errors (one every 5 minutes) fall in theirs.
    let summary = json!({
        "visits": 16,
        "status_5xx": 44,
        "visits_with_errors": 5,
        "visits_with_errors_rate": 5.0 / 16.0,
    });
    assert_subset(&summary, &r["summary"], "summary");
}

#[test]
fn incidents_as_a_table_and_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("spike.log");
    std::fs::write(&log, spike()).unwrap();
    let run = |format: &str| {
        let out = logstats()
            .args([
                "report",
                log.to_str().unwrap(),
                "--section",
                "incidents",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let csv = run("csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("start,end,hits,status_5xx,error_rate_5xx,normal_error_rate_5xx,first_error,visitors,visits,routes")
    );
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("2024-05-01T03:00:00+00:00,2024-05-01T03:05:00+00:00,118,31,"),
        "{row}"
    );
    assert!(
        row.ends_with(
            ",2024-05-01T03:02:05+00:00,11,5,\"POST /api/checkout 30 (96.8 %, new); GET /products/:id 1 (3.2 %)\""
        ),
        "{row}"
    );
    assert_eq!(lines.next(), None);
    let table = run("table");
    assert!(table.contains("2024-05-01 03:00:00"), "{table}");
    assert!(
        table.contains("POST /api/checkout 30 (96.8 %, new)"),
        "{table}"
    );
}

#[test]
fn incidents_and_visits_with_errors_on_the_html_page() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("spike.log");
    std::fs::write(&log, spike()).unwrap();
    let out = logstats()
        .args(["report", log.to_str().unwrap(), "--format", "html"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    // The incident of the test above, as a card of its own with its one
    // row, and the summary's two new figures as tiles.
    let card = page
        .split(r#"<section class="card wide" id="incidents" data-section="incidents">"#)
        .nth(1)
        .expect("an incidents card")
        .split("</section>")
        .next()
        .unwrap();
    assert_eq!(card.matches("<tr data-row>").count(), 1, "{card}");
    assert!(
        card.contains(r#"data-col="first_error"><span>2024-05-01T03:02:05+00:00</span>"#),
        "{card}"
    );
    assert!(
        card.contains("POST /api/checkout 30 (96.8 %, new); GET /products/:id 1 (3.2 %)"),
        "{card}"
    );
    assert!(page.contains(r#"data-col="visits_with_errors" data-v="5""#));
    assert!(page.contains(r#"data-col="visits_with_errors_rate" data-v="0.3125""#));
}

#[test]
fn a_log_without_a_failing_slot_has_no_incident() {
    // Three 5xx hits, in three slots: none holds 5. 192.0.2.44's 503 and
    // 502 come a minute and two after its page view of /search: in its
    // visit, the one of the 4 with errors; curl's 500 is a bot's.
    let r = report_json(&[common::fixture("access.log").to_str().unwrap()]);
    assert_eq!(r["incidents"], json!([]));
    assert_eq!(r["summary"]["visits_with_errors"], 1);
    assert_eq!(r["summary"]["visits_with_errors_rate"], 0.25);
}
