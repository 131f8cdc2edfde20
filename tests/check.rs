//! `logstats check` on logs built from corpus visitors (see
//! tests/common/scenarios.rs): a spike, a slow spell, a quiet spell and a
//! normal night give the status, first line and performance data counted
//! by hand; bad input gives UNKNOWN with a message that names the problem.

mod common;

use std::path::{Path, PathBuf};

use common::logstats;
use common::plugin::{perf, perfdata, status_and_output, Perf};
use common::scenarios::{line, ordinary_minute, spike, text, visitors, Visitor, T3};
use serde_json::Value;

/// The window 03:00-03:05, in a layout that logs response times.
const WINDOW: [&str; 6] = [
    "--since",
    "2024-05-01T03:00:00+00:00",
    "--until",
    "2024-05-01T03:05:00+00:00",
    "--log-format",
    "nginx-timed",
];

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Exit status and standard output of `logstats check LOG ARGS`.
fn check(log: &Path, args: &[&str]) -> (i32, String) {
    status_and_output(logstats().arg("check").arg(log).args(args))
}

fn check_json(log: &Path, args: &[&str]) -> (i32, Value) {
    let (code, out) = check(log, &[args, &["--format", "json"]].concat());
    (code, serde_json::from_str(&out).unwrap())
}

/// The performance data every check prints, besides rate_5xx and hits:
/// times of 80 ms, no 4xx, no malformed line.
fn quiet_rest() -> Vec<Perf> {
    vec![
        perf("p95", 0.08, "s", ["", "", "0", ""]),
        perf("p99", 0.08, "s", ["", "", "0", ""]),
        perf("rate_4xx", 0.0, "%", ["", "", "0", "100"]),
        perf("rate_malformed", 0.0, "%", ["", "", "0", "100"]),
    ]
}

fn spike_log(dir: &Path) -> PathBuf {
    write(dir, "spike.log", &spike())
}

#[test]
fn a_spike_is_critical_from_the_minute_it_began() {
    let dir = tempfile::tempdir().unwrap();
    let log = spike_log(dir.path());
    let (code, out) = check(
        &log,
        &[&WINDOW[..], &["--warn", "5xx>2%", "--crit", "5xx>5%"]].concat(),
    );
    assert_eq!(code, 2, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    // 31 of 118 hits are 5xx (26.27 %); the first at 03:02:05.
    assert_eq!(
        lines[0],
        "LOGSTATS CRITICAL - 5xx 26.3% (31/118) since 03:02, mostly POST /api/checkout (30); \
         p95 80ms | 'rate_5xx'=26.27%;2;5;0;100 'hits'=118c 'p95'=0.08s;;;0 'p99'=0.08s;;;0 \
         'rate_4xx'=0%;;;0;100 'rate_malformed'=0%;;;0;100"
    );
    let mut expected = vec![
        perf("rate_5xx", 26.27, "%", ["2", "5", "0", "100"]),
        perf("hits", 118.0, "c", ["", "", "", ""]),
    ];
    expected.extend(quiet_rest());
    assert_eq!(perfdata(lines[0]), expected);
    assert_eq!(
        lines[1],
        "CRITICAL 5xx>5%: 26.3% since 03:02:05 (limit 5.0%)"
    );
    assert_eq!(
        lines[2],
        "WARNING 5xx>2%: 26.3% since 03:02:05 (limit 2.0%)"
    );
    // The checkout: 8 good, then 30 failed; the product pages' 1 error in
    // 80 (1.25 %) is under both limits.
    assert_eq!(lines[3], "routes over a limit, the worst first:");
    assert_eq!(
        lines[4],
        "  CRITICAL POST /api/checkout (5xx>5%): 5xx 78.9% (30/38), p95 80ms, since 03:02:05"
    );
    assert!(
        lines[5]
            .starts_with("window: 03:00:00 to 03:05:00 (+00:00): 118 hits, 118 lines, 0 malformed"),
        "{}",
        lines[5]
    );
    assert!(
        lines[6].contains("(the window found by position)"),
        "{}",
        lines[6]
    );
}

#[test]
fn each_route_the_worst_route_decides() {
    let dir = tempfile::tempdir().unwrap();
    let log = spike_log(dir.path());
    let args = [&WINDOW[..], &["--each-route", "--min-hits", "20"]].concat();
    let (code, out) = check(&log, &args);
    assert_eq!(code, 2, "{out}");
    let first = out.lines().next().unwrap();
    // With no condition given, the defaults: 5xx>2% and 5xx>5%.
    assert_eq!(
        first,
        "LOGSTATS CRITICAL - POST /api/checkout: 5xx 78.9% (30/38) since 03:02; p95 80ms \
         (all routes: 5xx 26.3% of 118 hits) | 'rate_5xx'=26.27%;;;0;100 'hits'=118c \
         'p95'=0.08s;;;0 'p99'=0.08s;;;0 'rate_4xx'=0%;;;0;100 'rate_malformed'=0%;;;0;100"
    );
    assert!(out.contains("CRITICAL 5xx>5%: 78.9% on POST /api/checkout since 03:02:05"));
    // hits are judged on all of them: 118, under 200.
    let args = [
        &WINDOW[..],
        &[
            "--each-route",
            "--min-hits",
            "20",
            "--crit",
            "5xx>5%",
            "--warn",
            "hits<200",
        ],
    ]
    .concat();
    let (code, out) = check(&log, &args);
    assert_eq!(code, 2, "{out}");
    assert!(out.starts_with("LOGSTATS CRITICAL - POST /api/checkout: 5xx 78.9% (30/38) since 03:02; p95 80ms; hits 118 (all routes"), "{out}");
    assert!(
        out.contains("\nWARNING hits<200: 118 (limit 200)\n"),
        "{out}"
    );
    // Each route needs --min-hits: the checkout's 38 hits are too few by
    // default, and the page views (1.25 %) are within the limits.
    let (code, out) = check(&log, &[&WINDOW[..], &["--each-route"]].concat());
    assert_eq!(code, 0, "{out}");
    assert!(
        out.lines()
            .next()
            .unwrap()
            .contains("; rates not judged under --min-hits 100 |"),
        "{out}"
    );
    assert!(
        out.contains("\nnot judged 5xx>5%: 80 hits on GET /products/:id, under --min-hits 100\n"),
        "{out}"
    );
}

#[test]
fn a_baseline_an_hour_before() {
    let dir = tempfile::tempdir().unwrap();
    let log = spike_log(dir.path());
    // 02:00-02:05: 100 hits, 1 5xx: 1 %. 3x is 3 %; half the hits, 50.
    let args = [
        &WINDOW[..],
        &["--vs", "1h", "--crit", "5xx>3x", "--warn", "hits<0.5x"],
    ]
    .concat();
    let (code, out) = check(&log, &args);
    assert_eq!(code, 2, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "LOGSTATS CRITICAL - 5xx 26.3% (31/118) since 03:02, mostly POST /api/checkout (30); \
         p95 80ms; hits 118 | 'rate_5xx'=26.27%;;3;0;100 'hits'=118c;50: 'p95'=0.08s;;;0 \
         'p99'=0.08s;;;0 'rate_4xx'=0%;;;0;100 'rate_malformed'=0%;;;0;100"
    );
    assert!(
        lines.contains(&"CRITICAL 5xx>3x: 26.3% since 03:02:05 (limit 3.0%)"),
        "{out}"
    );
    assert!(lines.contains(&"ok hits<0.5x: 118 (limit 50)"), "{out}");
    assert!(
        lines.contains(&"baseline, 1h before: 02:00:00 to 02:05:00: 5xx 1.0% (1/100), p95 80ms"),
        "{out}"
    );
    // The baseline window itself, as the current one: under 3x of 1h
    // before (01:00-01:05, no line): not judged, said so.
    let early = [
        "--since",
        "2024-05-01T02:00:00+00:00",
        "--until",
        "2024-05-01T02:05:00+00:00",
        "--vs",
        "1h",
        "--crit",
        "5xx>3x",
        "--log-format",
        "nginx-timed",
    ];
    let (code, out) = check(&log, &early);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("not judged 5xx>3x: the baseline has 0 hits, under --min-hits 100"),
        "{out}"
    );
}

/// 02:55-03:05, 12 hits a minute: A0..A9's page views at :00, :03, ...,
/// :27, A0 and A1's checkouts at :50 and :55, all in 0.080 s. From 03:03
/// the checkouts take 2.6 s, and the page view at :00 2.4 s. The window
/// 03:00-03:05: 60 hits; sorted times 48 x 80 ms, 6 x 80 ms (checkouts),
/// 2 x 2.4 s, 4 x 2.6 s: p95 (rank 57) and p99 (rank 60) are 2.6 s.
fn slow_spell(a: &[Visitor]) -> String {
    let mut lines = Vec::new();
    for minute in 0..10 {
        let start = T3 - 300 + minute * 60;
        let slow = start >= T3 + 180;
        for (k, visitor) in a[..10].iter().enumerate() {
            let t = start + 3 * k as i64;
            let secs = if slow && k == 0 { 2.4 } else { 0.080 };
            lines.push((
                t,
                line(visitor, t, &format!("GET /products/{k}"), 200, secs),
            ));
        }
        for (k, at) in [(0, 50), (1, 55)] {
            let t = start + at;
            let secs = if slow { 2.6 } else { 0.080 };
            lines.push((t, line(&a[k], t, "POST /api/checkout", 200, secs)));
        }
    }
    text(lines)
}

#[test]
fn a_slow_spell_is_critical_on_p95() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "slow.log", &slow_spell(&visitors()));
    let args = [
        &WINDOW[..],
        &[
            "--warn",
            "p95>800ms",
            "--crit",
            "p95>2s",
            "--min-hits",
            "50",
        ],
    ]
    .concat();
    let (code, out) = check(&log, &args);
    assert_eq!(code, 2, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "LOGSTATS CRITICAL - 5xx 0.0% (0/60); p95 2.6s since 03:03 | 'rate_5xx'=0%;;;0;100 \
         'hits'=60c 'p95'=2.6s;0.8;2;0 'p99'=2.6s;;;0 'rate_4xx'=0%;;;0;100 \
         'rate_malformed'=0%;;;0;100"
    );
    let p95 = &perfdata(lines[0])[2];
    assert_eq!(
        (p95.value, p95.warn.as_str(), p95.crit.as_str()),
        (2.6, "0.8", "2")
    );
    assert_eq!(lines[1], "CRITICAL p95>2s: 2.6s since 03:03:00 (limit 2s)");
    assert_eq!(
        lines[2],
        "WARNING p95>800ms: 2.6s since 03:03:00 (limit 800ms)"
    );
    // The checkout's 10 hits: 4 of 2.6 s, p95 2.6 s; the pages' 50: 2
    // slow ones, p95 80 ms.
    assert_eq!(
        lines[4],
        "  CRITICAL POST /api/checkout (p95>2s): 5xx 0.0% (0/10), p95 2.6s, since 03:03:50"
    );
    assert!(lines[5].starts_with("window:"), "{out}");
}

/// Ordinary traffic until 02:59:57, then 4 hits in 03:00-03:05: page
/// views at 03:00:10 (200), 03:01:20 (500), 03:02:30 (200), a checkout at
/// 03:04:40 (200).
fn quiet_spell(a: &[Visitor]) -> String {
    let mut lines = Vec::new();
    for minute in 0..10 {
        lines.extend(ordinary_minute(a, T3 - 600 + minute * 60, None));
    }
    for (k, (at, request, status)) in [
        (10, "GET /products/1", 200),
        (80, "GET /products/2", 500),
        (150, "GET /products/3", 200),
        (280, "POST /api/checkout", 200),
    ]
    .into_iter()
    .enumerate()
    {
        lines.push((T3 + at, line(&a[k], T3 + at, request, status, 0.080)));
    }
    text(lines)
}

#[test]
fn a_quiet_spell_is_critical_on_hits_and_rates_wait_for_min_hits() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "quiet.log", &quiet_spell(&visitors()));
    let args = [
        &WINDOW[..],
        &["--warn", "5xx>2%", "--crit", "5xx>5%", "--crit", "hits<10"],
    ]
    .concat();
    let (code, out) = check(&log, &args);
    assert_eq!(code, 2, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "LOGSTATS CRITICAL - 5xx 25.0% (1/4), mostly GET /products/:id (1); p95 80ms; hits 4; \
         rates not judged under --min-hits 100 | 'rate_5xx'=25%;2;5;0;100 'hits'=4c;;10: \
         'p95'=0.08s;;;0 'p99'=0.08s;;;0 'rate_4xx'=0%;;;0;100 'rate_malformed'=0%;;;0;100"
    );
    assert_eq!(
        perfdata(lines[0])[1],
        perf("hits", 4.0, "c", ["", "10:", "", ""])
    );
    assert_eq!(lines[1], "CRITICAL hits<10: 4 (limit 10)");
    assert!(
        lines.contains(&"not judged 5xx>5%: 4 hits, under --min-hits 100"),
        "{out}"
    );
    // The API alone: 1 hit.
    let args = [&WINDOW[..], &["--route", "/api/*", "--crit", "hits<10"]].concat();
    let (code, out) = check(&log, &args);
    assert_eq!(code, 2, "{out}");
    assert_eq!(
        out.lines().next().unwrap(),
        "LOGSTATS CRITICAL - /api/*: 5xx 0.0% (0/1); p95 80ms; hits 1 | 'rate_5xx'=0%;;;0;100 \
         'hits'=1c;;10: 'p95'=0.08s;;;0 'p99'=0.08s;;;0 'rate_4xx'=0%;;;0;100 \
         'rate_malformed'=0%;;;0;100"
    );
    // No line at all in a window, with a hits condition: judged, 0 hits.
    let empty = [
        "--since",
        "2024-05-01T03:05:00+00:00",
        "--log-format",
        "nginx-timed",
        "--crit",
        "hits<10",
    ];
    let (code, out) = check(&log, &empty);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.starts_with("LOGSTATS CRITICAL - 5xx 0.0% (0/0); hits 0 |"),
        "{out}"
    );
}

/// 40 hits a minute from 02:50 to 03:10 by 32 visitors, all in 0.080 s;
/// in the window 03:00-03:05 two page views fail (03:01:09, 03:03:22)
/// and two lines are malformed (after 03:02:15 and 03:03:30): 200 hits,
/// 2 5xx (1 %), 202 lines, 2 malformed (0.99 %). And a blank line.
fn normal_night(v: &[Visitor]) -> String {
    let (a, b) = (&v[..16], &v[16..32]);
    let mut lines = Vec::new();
    for minute in 0..20 {
        let start = T3 - 600 + minute * 60;
        let error_a = (start == T3 + 60).then_some(9);
        let error_b = (start == T3 + 180).then_some(21);
        lines.extend(ordinary_minute(a, start, error_a));
        lines.extend(ordinary_minute(b, start + 1, error_b));
        if start == T3 + 120 || start == T3 + 180 {
            let at = if start == T3 + 120 { 15 } else { 30 };
            lines.push((start + at, "garbage that is no log line\n".to_string()));
            lines.push((start + at, "   \n".to_string()));
        }
    }
    text(lines)
}

#[test]
fn a_normal_night_is_ok() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "night.log", &normal_night(&visitors()));
    let args = [
        &WINDOW[..],
        &[
            "--warn",
            "5xx>2%",
            "--crit",
            "5xx>5%",
            "--warn",
            "malformed>5%",
        ],
    ]
    .concat();
    let (code, out) = check(&log, &args);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "LOGSTATS OK - 5xx 1.0% (2/200), mostly GET /products/:id (2); p95 80ms; \
         malformed 1.0% (2/202) | 'rate_5xx'=1%;2;5;0;100 'hits'=200c 'p95'=0.08s;;;0 \
         'p99'=0.08s;;;0 'rate_4xx'=0%;;;0;100 'rate_malformed'=0.99%;5;;0;100"
    );
    assert!(lines.contains(&"ok 5xx>5%: 1.0% (limit 5.0%)"), "{out}");
    assert!(
        lines.contains(&"ok malformed>5%: 1.0% (limit 5.0%)"),
        "{out}"
    );
    assert!(!out.contains("routes over a limit"), "{out}");
}

#[test]
fn json_gives_the_same_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let log = spike_log(dir.path());
    let (code, v) = check_json(
        &log,
        &[&WINDOW[..], &["--warn", "5xx>2%", "--crit", "5xx>5%"]].concat(),
    );
    assert_eq!(code, 2);
    assert_eq!(v["schema"], "logstats.check/1");
    assert_eq!(
        (v["status"].as_str(), v["exit_code"].as_u64()),
        (Some("CRITICAL"), Some(2))
    );
    assert_eq!(v["figures"]["hits"], 118);
    assert_eq!(v["figures"]["status_5xx"], 31);
    assert_eq!(v["figures"]["p95_ms"], 80.0);
    let crit = &v["conditions"][0];
    assert_eq!(crit["condition"], "5xx>5%");
    assert_eq!(crit["outcome"], "breached");
    assert_eq!(crit["limit"], 0.05);
    assert_eq!(crit["since"], "2024-05-01T03:02:05+00:00");
    assert_eq!(v["mostly"]["route"], "/api/checkout");
    assert_eq!(v["mostly"]["status_5xx"], 30);
    assert_eq!(v["routes"][0]["method"], "POST");
    assert_eq!(v["routes"][0]["offending"], 30);
    assert_eq!(v["window"]["since"], "2024-05-01T03:00:00+00:00");
    assert!(v["summary"]
        .as_str()
        .unwrap()
        .starts_with("5xx 26.3% (31/118) since 03:02"));
}

/// The spike log after a day of ordinary traffic, with two lines out of
/// order (a buffered writer's): one of 02:59:50 written among 03:01's
/// lines (not in the window), one of 03:00:04 written among 02:57's (in
/// it). Read by position, only a few probes and minutes of lines are
/// read, and the verdict is that of reading it whole (gzip).
#[test]
fn only_the_window_is_read_and_it_is_what_a_whole_read_finds() {
    let dir = tempfile::tempdir().unwrap();
    let a = &visitors()[..16];
    let mut lines: Vec<String> = Vec::new();
    for minute in 0..24 * 60 {
        let start = T3 - 65 * 60 - 86_400 + minute * 60;
        lines.extend(ordinary_minute(a, start, None).into_iter().map(|(_, l)| l));
    }
    let mut spike: Vec<String> = spike().lines().map(|l| format!("{l}\n")).collect();
    let late = spike
        .iter()
        .position(|l| l.contains("01/May/2024:02:59:51"))
        .unwrap();
    let moved = spike.remove(late).replace("02:59:51", "02:59:50");
    let at = spike
        .iter()
        .position(|l| l.contains("01/May/2024:03:01:30"))
        .unwrap();
    spike.insert(at, moved);
    let early = spike
        .iter()
        .position(|l| l.contains("01/May/2024:03:00:03"))
        .unwrap();
    let moved = spike.remove(early).replace("03:00:03", "03:00:04");
    let at = spike
        .iter()
        .position(|l| l.contains("01/May/2024:02:57:00"))
        .unwrap();
    spike.insert(at, moved);
    lines.extend(spike);
    let text: String = lines.concat();
    let plain = write(dir.path(), "access.log", &text);
    let gz = dir.path().join("access.log.gz");
    std::fs::write(&gz, common::gzip(text.as_bytes(), 1)).unwrap();

    let args = [&WINDOW[..], &["--warn", "5xx>2%", "--crit", "5xx>5%"]].concat();
    let (code, positioned) = check_json(&plain, &args);
    let (gz_code, whole) = check_json(&gz, &args);
    assert_eq!((code, gz_code), (2, 2));
    for field in [
        "figures",
        "conditions",
        "routes",
        "mostly",
        "summary",
        "perfdata",
    ] {
        assert_eq!(positioned[field], whole[field], "{field}");
    }
    assert_eq!(positioned["figures"]["hits"], 118);
    let input = &positioned["inputs"][0];
    let (read, size) = (
        input["bytes_read"].as_u64().unwrap(),
        input["size"].as_u64().unwrap(),
    );
    assert_eq!(input["positioned"], true);
    assert_eq!(whole["inputs"][0]["positioned"], false);
    assert!(size > 5_000_000, "{size}");
    // The first 256 kB (to detect the layout), probes of 4 kB, 15
    // minutes of lines (the window and 5 minutes either side, about 70 kB)
    // and up to 64 kB either side where the search stopped.
    assert!(read < 700_000, "{read} of {size} bytes read");
}

#[test]
fn the_default_window_is_the_last_5_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let a = visitors();
    // A line every 2 s from 10 minutes ago to 10 s ago: the last 5
    // minutes hold those from 300 s ago on, give or take the second the
    // check starts in.
    let lines: Vec<(i64, String)> = (0..296)
        .map(|i| {
            let t = now - 600 + 2 * i;
            (t, line(&a[i as usize % 16], t, "GET /", 200, 0.01))
        })
        .collect();
    let log = write(dir.path(), "live.log", &text(lines));
    let (code, v) = check_json(&log, &["--crit", "hits<10", "--log-format", "nginx-timed"]);
    assert_eq!(code, 0);
    let hits = v["figures"]["hits"].as_u64().unwrap();
    assert!((144..=146).contains(&hits), "{hits}");
}

/// A window that starts on an earlier day than it ends names both days:
/// one that is not the day of the check must not end on a day left
/// unsaid.
#[test]
fn a_window_over_two_days_names_both() {
    let dir = tempfile::tempdir().unwrap();
    let a = visitors();
    // 2024-05-01 23:00 to 2024-05-02 01:00, a line a minute.
    let start = 1_714_604_400;
    let lines: Vec<(i64, String)> = (0..120)
        .map(|i| {
            let t = start + 60 * i;
            (t, line(&a[i as usize % 16], t, "GET /", 200, 0.01))
        })
        .collect();
    let log = write(dir.path(), "night.log", &text(lines));
    let args = ["--log-format", "nginx-timed", "--crit", "hits<10"];
    let (code, out) = check(
        &log,
        &[
            &args[..],
            &[
                "--since",
                "2024-05-01T23:30:00+00:00",
                "--until",
                "2024-05-02T00:30:00+00:00",
            ],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("\nwindow: 2024-05-01 23:30:00 to 2024-05-02 00:30:00 (+00:00): 60 hits, 60 lines, 0 malformed\n"),
        "{out}"
    );
    // Within one day, the times alone.
    let (_, out) = check(
        &log,
        &[
            &args[..],
            &[
                "--since",
                "2024-05-01T23:10:00+00:00",
                "--until",
                "2024-05-01T23:40:00+00:00",
            ],
        ]
        .concat(),
    );
    assert!(
        out.contains("\nwindow: 23:10:00 to 23:40:00 (+00:00): 30 hits,"),
        "{out}"
    );
}

/// The first line of an UNKNOWN verdict, and its status.
fn unknown(args: &[&str]) -> String {
    let out = logstats().arg("check").args(args).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.starts_with("LOGSTATS UNKNOWN - "), "{stdout}");
    stdout.lines().next().unwrap().to_string()
}

#[test]
fn bad_input_is_unknown_and_says_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let log = spike_log(dir.path());
    let log = log.to_str().unwrap();
    let missing = dir.path().join("missing.log");
    let line = unknown(&[missing.to_str().unwrap()]);
    assert!(line.contains("missing.log': no such file"), "{line}");
    let line = unknown(&[dir.path().to_str().unwrap()]);
    assert!(line.contains("it is a directory"), "{line}");
    let line = unknown(&[log, "--crit", "5xx>>2"]);
    assert!(
        line.contains("'5xx>>2': one comparison, > or <, then a value"),
        "{line}"
    );
    let line = unknown(&[log, "--warn", "p95>fast"]);
    assert!(line.contains("'p95>fast': 'fast' is not a time"), "{line}");
    let line = unknown(&[log, "--crit", "5xx>3x"]);
    assert!(
        line.contains("5xx>3x compares with a baseline: add --vs"),
        "{line}"
    );
    let line = unknown(&[log, "--vs", "yesterday"]);
    assert!(line.contains("'yesterday' is not a duration"), "{line}");
    let line = unknown(&[log, "--frobnicate"]);
    assert!(line.contains("--frobnicate"), "{line}");
    // A window with no line: the log stopped, or the clock is wrong.
    let line = unknown(&[log, "--since", "2024-05-01T05:00:00+00:00"]);
    assert_eq!(
        line,
        "LOGSTATS UNKNOWN - no line in the window since 2024-05-01T05:00:00+00:00 (the last \
         line read is at 2024-05-01T03:04:57+00:00); is the log still written to?"
    );
    // Response times from a layout without them.
    let combined = common::corpus("nginx/beats_nginx_access.log");
    let line = unknown(&[
        combined.to_str().unwrap(),
        "--since",
        "2016-01-01",
        "--crit",
        "p95>1s",
    ]);
    assert!(line.contains("p95>1s needs response times"), "{line}");
    // JSON, when asked for, even for arguments clap refuses.
    let out = logstats()
        .args(["check", log, "--format", "json", "--crit", "p95>fast"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "UNKNOWN");
    assert!(v["message"]
        .as_str()
        .unwrap()
        .contains("'fast' is not a time"));
    // Help is no error.
    let out = logstats().args(["check", "--help"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}
