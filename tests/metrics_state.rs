//! `--format prometheus --state`: counters only grow, across appends,
//! rotations (rename, rename and gzip) and days dropped by `--keep-days`,
//! and the hit-level ones end where one run over every line puts them.
//! Every file written is also judged by promtool when it is installed
//! (see tests/prometheus.rs for the rule on a missing tool).

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use common::exposition::{assert_counters_did_not_drop, promtool_check, samples, Series};
use common::logstats;

/// A virtual host first, a request time last (as fixtures/prometheus.log).
const FORMAT: &str = r#"$host $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time"#;

/// Families counted per hit: after the last run, equal to one run over
/// every line (with every value kept).
const HIT_LEVEL: [&str; 8] = [
    "logstats_http_requests_total",
    "logstats_http_response_size_bytes_total",
    "logstats_http_request_duration_seconds_bucket",
    "logstats_http_request_duration_seconds_count",
    "logstats_pageviews_total",
    "logstats_bot_requests_total",
    "logstats_log_lines_total",
    "logstats_visitors_total",
];

/// Page views by referrer host and by channel: visit-level, and after
/// the last run equal to one run over every line in these logs (no visit
/// of theirs changes its channel across runs).
const PAGEVIEWS_BY: [&str; 2] = [
    "logstats_pageviews_by_referrer_total",
    "logstats_pageviews_by_channel_total",
];

/// `per_day` lines on each of `days` days from 2026-03-02, spread over
/// the day: several hosts, methods, statuses, paths (one much more often
/// than the rest), referrers, a bot, times from 3 ms to 3 s, and a
/// malformed line now and then.
fn log(days: u32, per_day: u32, first_day: u32) -> Vec<String> {
    const PATHS: [&str; 6] = [
        "/",
        "/blog/a",
        "/blog/b",
        "/pricing",
        "/docs/12/x",
        "/app.css",
    ];
    const AGENTS: [&str; 3] = [
        "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    ];
    const REFERRERS: [&str; 3] = ["-", "https://www.google.com/", "https://news.example/x"];
    let mut out = Vec::new();
    for d in first_day..first_day + days {
        for i in 0..per_day {
            let s = i * (86_000 / per_day);
            let time = format!(
                "{:02}/Mar/2026:{:02}:{:02}:{:02} +0000",
                2 + d,
                s / 3600,
                s / 60 % 60,
                s % 60
            );
            let k = (i * 7 + d * 3) as usize;
            let path = if i % 3 == 0 {
                "/"
            } else {
                PATHS[k % PATHS.len()]
            };
            let (method, status) = match k % 11 {
                0 => ("POST", 302),
                1 => ("GET", 404),
                2 => ("GET", 503),
                _ => ("GET", 200),
            };
            let host = ["a.example", "b.example"][k % 2];
            out.push(format!(
                "{host} 10.0.{}.{} - - [{time}] \"{method} {path} HTTP/1.1\" {status} {} \"{}\" \"{}\" {}.{:03}",
                k % 3,
                k % 5,
                100 + k,
                REFERRERS[k % 3],
                AGENTS[k % 3],
                k % 4,
                (k * 37) % 1000 + 3
            ));
            if i % 40 == 39 {
                out.push("not a log line".into());
            }
        }
    }
    out
}

fn text(lines: &[String]) -> Vec<u8> {
    let mut t = lines.join("\n");
    t.push('\n');
    t.into_bytes()
}

fn append(path: &Path, lines: &[String]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(&text(lines)).unwrap();
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// `logstats report FILES --format prometheus ARGS`.
fn prometheus(files: &[PathBuf], args: &[&str]) -> String {
    let out = logstats()
        .arg("report")
        .args(files)
        .args(["--format", "prometheus", "--log-format", FORMAT])
        .args(args)
        .output()
        .unwrap();
    common::successful_text(&out)
}

/// The logs of `dir` as the shell expands `access.log*`.
fn logs(dir: &Path) -> Vec<PathBuf> {
    common::files_starting(dir, "access.log")
}

/// Runs the state over the logs of `dir`: the samples, checked to be at
/// least those of the run before for every counter (the gauge aside).
fn run(dir: &Path, args: &[&str], before: &BTreeMap<Series, f64>) -> BTreeMap<Series, f64> {
    let state = dir.join("site.state");
    let mut all = vec!["--state", state.to_str().unwrap()];
    all.extend_from_slice(args);
    let text = prometheus(&logs(dir), &all);
    promtool_check(&text);
    let now = samples(&text);
    assert_counters_did_not_drop(before, &now);
    now
}

/// The hit-level series and the page views by referrer and by channel
/// of `s` are those of one run over `lines` (written to `dir`).
fn assert_one_run_totals(dir: &Path, s: &BTreeMap<Series, f64>, lines: &[String], args: &[&str]) {
    let whole = dir.join("whole.log");
    std::fs::write(&whole, text(lines)).unwrap();
    let one = samples(&prometheus(&[whole], args));
    assert_eq!(only(s, &HIT_LEVEL), only(&one, &HIT_LEVEL));
    let by = only(s, &PAGEVIEWS_BY);
    assert!(by.len() > 8, "{by:?}");
    assert_eq!(by, only(&one, &PAGEVIEWS_BY));
}

/// The series of `families` in `s`.
fn only(s: &BTreeMap<Series, f64>, families: &[&str]) -> BTreeMap<Series, f64> {
    s.iter()
        .filter(|((name, _), _)| families.contains(&name.as_str()))
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

#[test]
fn appends_and_rotations_only_raise_counters_and_end_at_the_one_run_totals() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lines = log(3, 120, 0);
    let parts: Vec<&[String]> = lines.chunks(lines.len() / 5 + 1).collect();
    let live = d.join("access.log");
    let args = ["--top", "0"];
    // 1: a first part.
    append(&live, parts[0]);
    let mut s = run(d, &args, &BTreeMap::new());
    // 2: appended.
    append(&live, parts[1]);
    s = run(d, &args, &s);
    // 3: renamed (logrotate with delaycompress), a new live file.
    std::fs::rename(&live, d.join("access.log.1")).unwrap();
    append(&live, parts[2]);
    s = run(d, &args, &s);
    // 4: the renamed one compressed under a new name, the live one
    // renamed, a new live file.
    let old = std::fs::read(d.join("access.log.1")).unwrap();
    std::fs::write(d.join("access.log.2.gz"), gzip(&old)).unwrap();
    std::fs::remove_file(d.join("access.log.1")).unwrap();
    std::fs::rename(&live, d.join("access.log.1")).unwrap();
    append(&live, parts[3]);
    s = run(d, &args, &s);
    // 5: renamed and compressed at once.
    let old = std::fs::read(&live).unwrap();
    std::fs::write(d.join("access.log.0.gz"), gzip(&old)).unwrap();
    std::fs::remove_file(&live).unwrap();
    append(&live, parts[4]);
    s = run(d, &args, &s);
    // Once more with nothing new: the same file.
    let again = run(d, &args, &s);
    assert_eq!(again, s);

    assert_one_run_totals(d, &s, &lines, &args);
    // By hand: 360 lines and 9 malformed ones.
    let lines_by = |result: &str| {
        s[&(
            "logstats_log_lines_total".to_string(),
            [("result".to_string(), result.to_string())].into(),
        )]
    };
    assert_eq!((lines_by("kept"), lines_by("malformed")), (360.0, 9.0));
}

#[test]
fn a_day_at_a_time_over_settled_days_ends_at_the_one_run_totals() {
    // Six days added one a run: from the fourth, the first days are
    // settled and their sums read instead of them.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let live = d.join("access.log");
    let args = ["--top", "0"];
    let mut all = Vec::new();
    let mut s = BTreeMap::new();
    for day in 0..6 {
        let lines = log(1, 60, day);
        append(&live, &lines);
        all.extend(lines);
        s = run(d, &args, &s);
    }
    let described = common::state_description(&d.join("site.state"));
    assert!(
        described.contains("summed   the first 4 days"),
        "{described}"
    );
    assert_one_run_totals(d, &s, &all, &args);
}

#[test]
fn with_keep_days_1_counters_still_do_not_go_down() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let live = d.join("access.log");
    let args = ["--top", "0", "--keep-days", "1"];
    let mut s = BTreeMap::new();
    let mut all = Vec::new();
    let state = d.join("site.state");
    let json_run = || {
        let out = logstats()
            .arg("report")
            .arg(&live)
            .args([
                "--log-format",
                FORMAT,
                "--format",
                "json",
                "--keep-days",
                "1",
            ])
            .arg("--state")
            .arg(&state)
            .output()
            .unwrap();
        assert!(out.status.success());
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    for day in 0..5 {
        let lines = log(1, 60, day);
        append(&live, &lines);
        all.extend(lines);
        if day == 2 {
            // A run of another format drops a day too: it keeps the
            // series up all the same.
            json_run();
        } else {
            s = run(d, &args, &s);
        }
    }
    // Every day but the last was dropped; the hit-level counters still
    // hold every line.
    let whole = d.join("whole.log");
    std::fs::write(&whole, text(&all)).unwrap();
    let one = samples(&prometheus(&[whole], &["--top", "0"]));
    assert_eq!(only(&s, &HIT_LEVEL), only(&one, &HIT_LEVEL));
    assert_eq!(only(&s, &PAGEVIEWS_BY), only(&one, &PAGEVIEWS_BY));
    let pageviews = |s: &BTreeMap<Series, f64>| -> f64 {
        (s.iter())
            .filter(|((n, _), _)| n == "logstats_pageviews_total")
            .map(|(_, v)| v)
            .sum()
    };
    // The JSON report of the state holds only the last day.
    let report = json_run();
    let held = report["summary"]["pageviews"].as_f64().unwrap();
    assert!(
        held < pageviews(&s),
        "{held} held, {} counted",
        pageviews(&s)
    );
}

/// A line of the combined layout (no host, no time) for `path` at second
/// `s` of 2026-03-02, by a client of its own.
fn page(path: &str, s: u32) -> String {
    format!(
        "10.1.{}.{} - - [02/Mar/2026:10:{:02}:{:02} +0000] \"GET {path} HTTP/1.1\" 200 10 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0\"",
        s / 250,
        s % 250,
        s / 60,
        s % 60
    )
}

#[test]
fn a_path_that_rises_into_the_top_later_follows_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let live = d.join("access.log");
    let state = d.join("site.state");
    let pageviews = |text: &str| -> BTreeMap<String, f64> {
        samples(text)
            .into_iter()
            .filter(|((n, _), _)| n == "logstats_pageviews_total")
            .map(|((_, l), v)| (l["path"].clone(), v))
            .collect()
    };
    let run = || {
        let out = logstats()
            .arg("report")
            .arg(&live)
            .args(["--format", "prometheus", "--top", "1", "--state"])
            .arg(&state)
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        promtool_check(&text);
        pageviews(&text)
    };
    let pv = |rows: &[(&str, f64)]| -> BTreeMap<String, f64> {
        rows.iter().map(|(p, n)| (p.to_string(), *n)).collect()
    };
    // Run 1: /a 5 page views, /b 2: /a is kept, /b is other.
    let mut s = 0;
    let mut views = |path: &str, n: u32| -> Vec<String> {
        (0..n)
            .map(|_| {
                s += 1;
                page(path, s)
            })
            .collect()
    };
    append(&live, &[views("/a", 5), views("/b", 2)].concat());
    assert_eq!(run(), pv(&[("/a", 5.0), ("other", 2.0)]));
    // Run 2: 6 more of /b (8 in all) pass /a: /b enters at its total, 8;
    // other keeps what it counted for /b, this run's 6 included: 8; /a,
    // second, stays within twice the top.
    append(&live, &views("/b", 6));
    assert_eq!(run(), pv(&[("/a", 5.0), ("/b", 8.0), ("other", 8.0)]));
    // Run 3: /b counts in its own series, a new /c raises other by 1.
    append(&live, &[views("/b", 1), views("/c", 1)].concat());
    assert_eq!(run(), pv(&[("/a", 5.0), ("/b", 9.0), ("other", 9.0)]));
    // Run 4: /c passes both (12): it enters at 12, and other keeps the 1
    // it counted for /c before and this run's 11: 20. /a, third, is no
    // longer within twice the top: its series ends, and its 5 move into
    // other without raising it. /b stays.
    append(&live, &views("/c", 11));
    assert_eq!(run(), pv(&[("/b", 9.0), ("/c", 12.0), ("other", 20.0)]));
    // Run 5: a page view of /a raises other.
    append(&live, &views("/a", 1));
    assert_eq!(run(), pv(&[("/b", 9.0), ("/c", 12.0), ("other", 21.0)]));
}

/// Goal and funnel families, kept by the state as the state report gives
/// its goal rows.
const GOALS: [&str; 5] = [
    "logstats_goal_hits_total",
    "logstats_goal_visitors_total",
    "logstats_goal_conversions_total",
    "logstats_goal_conversions_by_channel_total",
    "logstats_funnel_step_visits_total",
];

#[test]
fn goal_counters_grow_with_the_state_and_end_at_the_one_run_figures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lines = log(2, 150, 0);
    let live = d.join("access.log");
    let goals = [
        "--goal",
        "pricing=/pricing",
        "--goal",
        "signup=POST / 3xx",
        "--funnel",
        "buy=/,pricing",
    ];
    let mut s = BTreeMap::new();
    for (i, part) in lines.chunks(lines.len() / 3 + 1).enumerate() {
        append(&live, part);
        if i == 1 {
            std::fs::rename(&live, d.join("access.log.1")).unwrap();
        }
        s = run(d, &goals, &s);
    }
    let whole = d.join("whole.log");
    std::fs::write(&whole, text(&lines)).unwrap();
    let one = samples(&prometheus(&[whole], &goals));
    let kept = only(&s, &GOALS);
    assert!(kept.len() > 10, "{kept:?}");
    assert_eq!(kept, only(&one, &GOALS));
    // By hand, from the generator: line k = 7i + 3d is a POST answered
    // 302 when k % 11 == 0; its path is / when i % 3 == 0 or k % 6 == 0;
    // its agent is Googlebot (no goal hit) when k % 3 == 2.
    let posts = (0..2u32)
        .flat_map(|d| (0..150u32).map(move |i| (i, i * 7 + d * 3)))
        .filter(|&(i, k)| k % 11 == 0 && (i % 3 == 0 || k % 6 == 0) && k % 3 != 2)
        .count();
    assert_eq!(posts, 10);
    let hits = s[&(
        "logstats_goal_hits_total".to_string(),
        [("goal".to_string(), "signup".to_string())].into(),
    )];
    assert_eq!(hits, posts as f64);
}
