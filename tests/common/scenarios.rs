//! Logs for alerting tests, built from real visitors of the corpus (their
//! addresses and browsers' user agents) and times, paths and statuses
//! chosen so that every figure can be counted by hand. Layout:
//! nginx-timed (combined, then `$request_time $upstream_response_time`).
//!
//! Each minute of ordinary traffic holds, at the second shown:
//! - `:00, :03, ..., :45`: 16 page views `GET /products/{100+k}` 200 by
//!   visitors A0..A15 (visitor A_k at second 3k);
//! - `:48, :51, :54, :57`: 4 `POST /api/checkout` 200 by A0..A3;
//!
//! every hit taking 0.080 s: 20 hits a minute, 100 per 5-minute slot.

use chrono::DateTime;

/// 2024-05-01T03:00:00Z.
pub const T3: i64 = 1_714_532_400;

/// A visitor: a client address and a browser's user agent.
#[derive(Clone)]
pub struct Visitor {
    pub client: String,
    pub agent: String,
}

/// Distinct visitors of the corpus with browsers' user agents, in the
/// order they first appear there.
pub fn visitors() -> Vec<Visitor> {
    let text = std::fs::read_to_string(super::corpus("apache/elastic_apache_logs.log")).unwrap();
    let mut out: Vec<Visitor> = Vec::new();
    for line in text.lines() {
        let quoted: Vec<&str> = line.split('"').collect();
        let (Some(client), Some(agent)) = (line.split(' ').next(), quoted.get(5)) else {
            continue;
        };
        let browser = agent.starts_with("Mozilla/5.0 (")
            && (agent.contains("Chrome/") || agent.contains("Firefox/"))
            && !agent.contains("compatible")
            && !agent.to_lowercase().contains("bot");
        if browser && !out.iter().any(|v| v.client == client) {
            out.push(Visitor {
                client: client.to_string(),
                agent: agent.to_string(),
            });
        }
    }
    assert!(
        out.len() >= 30,
        "the corpus has {} browser visitors",
        out.len()
    );
    out
}

/// One nginx-timed line.
pub fn line(v: &Visitor, t: i64, request: &str, status: u16, seconds: f64) -> String {
    let time = DateTime::from_timestamp(t, 0).unwrap();
    format!(
        "{} - - [{}] \"{request} HTTP/1.1\" {status} 512 \"-\" \"{}\" {seconds:.3} {seconds:.3}\n",
        v.client,
        time.format("%d/%b/%Y:%H:%M:%S +0000"),
        v.agent
    )
}

/// A minute of ordinary traffic from `start`, by visitors `a` (A0..A15);
/// `error_at` makes the page view at that second (a multiple of 3) a 500.
pub fn ordinary_minute(a: &[Visitor], start: i64, error_at: Option<i64>) -> Vec<(i64, String)> {
    let mut lines = Vec::new();
    for (k, visitor) in a[..16].iter().enumerate() {
        let t = start + 3 * k as i64;
        let status = if error_at == Some(3 * k as i64) {
            500
        } else {
            200
        };
        let path = format!("GET /products/{}", 100 + k);
        lines.push((t, line(visitor, t, &path, status, 0.080)));
    }
    for (k, visitor) in a[..4].iter().enumerate() {
        let t = start + 48 + 3 * k as i64;
        lines.push((t, line(visitor, t, "POST /api/checkout", 200, 0.080)));
    }
    lines
}

/// The lines in time order, as text.
pub fn text(mut lines: Vec<(i64, String)>) -> String {
    lines.sort_by_key(|(t, _)| *t);
    lines.into_iter().map(|(_, l)| l).collect()
}

/// From 01:55 to 03:05, ordinary traffic with one background error a
/// 5 minutes (A10's page view at hh:m2:30, m2 = 02, 07, ...). From 03:02 the
/// checkout fails: A0..A3's checkouts get 503, and 6 more visitors R0..R5
/// (no page view anywhere) post at :05, :12, :19, :26, :33, :40 and get
/// 500; A0..A3 still view their pages, so their errors fall in their
/// visits, R0..R5's in none.
///
/// The window 03:00-03:05: 80 page views (1 error, A10 at 03:02:30), 8
/// good checkouts (03:00, 03:01), 12 failed ones by A and 18 by R: 118
/// hits, 31 5xx (30 on POST /api/checkout), the first at 03:02:05. The
/// window 02:00-02:05: 100 hits, 1 5xx.
pub fn spike() -> String {
    let v = visitors();
    let (a, r) = (&v[..16], &v[16..22]);
    let mut lines = Vec::new();
    for minute in 0..70 {
        let start = T3 - 65 * 60 + minute * 60;
        let error_at = (minute % 5 == 2).then_some(30);
        let mut this = ordinary_minute(a, start, error_at);
        if start >= T3 + 120 {
            for (_, l) in this.iter_mut().filter(|(_, l)| l.contains("POST")) {
                *l = l.replace("\" 200 ", "\" 503 ");
            }
            for (j, rv) in r.iter().enumerate() {
                let t = start + 5 + 7 * j as i64;
                this.push((t, line(rv, t, "POST /api/checkout", 500, 0.080)));
            }
        }
        lines.extend(this);
    }
    text(lines)
}
