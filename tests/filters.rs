//! Filters: a filtered report must equal the report of the same log with
//! the excluded lines taken out beforehand, with `inputs[].filtered`
//! counting them; relative times count back from the clock. The
//! pre-filtering here is written independently of the filter code: fields
//! come from the library's parser, the decisions from plain Rust.

mod common;

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Timelike, Utc};
use logstats::parse::{Format, LogLine};
use serde_json::Value;

use common::{corpus, logstats, report_json, successful_json};

const ELASTIC: &str = "apache/elastic_apache_logs.log";

/// `src` without the parsed lines `keep` refuses (malformed and blank lines
/// stay), written to a file in `dir`; and how many lines were taken out.
fn prefilter(
    src: &Path,
    format: Format,
    dir: &Path,
    keep: impl Fn(&LogLine<'_>) -> bool,
) -> (PathBuf, u64) {
    let text = std::fs::read(src).unwrap();
    let mut out = Vec::with_capacity(text.len());
    let mut removed = 0;
    for raw in text.split_inclusive(|&b| b == b'\n') {
        let line = raw.strip_suffix(b"\n").unwrap_or(raw);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match format.parse(line) {
            Some(parsed) if !keep(&parsed) => removed += 1,
            _ => out.extend_from_slice(raw),
        }
    }
    let path = dir.join(src.file_name().unwrap());
    std::fs::write(&path, out).unwrap();
    (path, removed)
}

fn args_of<'a>(log: &'a Path, flags: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![log.to_str().unwrap()];
    args.extend_from_slice(flags);
    args
}

/// Runs `flags` on `log` and the unfiltered report on `prefiltered`, and
/// checks that they agree but for the accounting of the removed lines.
/// `common` flags go to both runs. Returns the filtered report.
fn assert_filtered_as_prefiltered(
    log: &Path,
    prefiltered: &Path,
    removed: u64,
    flags: &[&str],
    common: &[&str],
) -> Value {
    let mut filtered_flags = flags.to_vec();
    filtered_flags.extend_from_slice(common);
    let mut filtered = report_json(&args_of(log, &filtered_flags));
    let mut plain = report_json(&args_of(prefiltered, common));
    let (f, p) = (&filtered["inputs"][0], &plain["inputs"][0]);
    assert_eq!(f["filtered"], removed, "{flags:?}: filtered");
    assert_eq!(p["filtered"], 0, "{flags:?}");
    assert_eq!(f["kept"], p["kept"], "{flags:?}: kept");
    assert_eq!(
        f["parsed"].as_u64().unwrap(),
        f["kept"].as_u64().unwrap() + removed,
        "{flags:?}: parsed = kept + filtered"
    );
    assert_eq!(
        f["lines"].as_u64().unwrap(),
        p["lines"].as_u64().unwrap() + removed
    );
    assert_eq!(f["malformed"], p["malformed"]);
    assert_eq!(f["blank"], p["blank"]);
    // A test that keeps everything or nothing would prove little.
    assert!(removed > 0, "{flags:?}: the filter removed nothing");
    assert!(
        f["kept"].as_u64().unwrap() > 0,
        "{flags:?}: the filter kept nothing"
    );
    let kept_report = filtered.clone();
    for v in [&mut filtered, &mut plain] {
        v["inputs"] = Value::Null;
        // The removed lines shift the line numbers of malformed ones.
        for s in v["malformed_samples"].as_array_mut().unwrap() {
            s["path"] = Value::Null;
            s["line"] = Value::Null;
        }
    }
    assert_eq!(filtered, plain, "{flags:?}: the reports differ");
    kept_report
}

/// The common case: one corpus log, one filter, nothing else.
fn check(rel: &str, format: Format, flags: &[&str], keep: impl Fn(&LogLine<'_>) -> bool) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let log = corpus(rel);
    let (pre, removed) = prefilter(&log, format, dir.path(), keep);
    assert_filtered_as_prefiltered(&log, &pre, removed, flags, &[])
}

fn unix(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp()
}

fn client(line: &LogLine<'_>) -> Option<IpAddr> {
    std::str::from_utf8(line.client).ok()?.parse().ok()
}

fn in_v4_net(ip: Option<IpAddr>, net: [u8; 4], prefix: u32) -> bool {
    match ip {
        Some(IpAddr::V4(a)) => {
            let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            u32::from(a) & mask == u32::from_be_bytes(net) & mask
        }
        _ => false,
    }
}

#[test]
fn since_and_until_with_dates() {
    let (since, until) = (unix("2015-05-18T00:00:00Z"), unix("2015-05-20T00:00:00Z"));
    check(
        ELASTIC,
        Format::Combined,
        &["--since", "2015-05-18", "--until", "2015-05-20"],
        |l| l.time.unix >= since && l.time.unix < until,
    );
    check(ELASTIC, Format::Combined, &["--until", "2015-05-18"], |l| {
        l.time.unix < since
    });
}

#[test]
fn since_and_until_with_date_times_and_offsets() {
    let (since, until) = (
        unix("2015-05-18T12:00:00+02:00"),
        unix("2015-05-19T06:30:15-03:00"),
    );
    check(
        ELASTIC,
        Format::Combined,
        &[
            "--since",
            "2015-05-18T12:00+02:00",
            "--until",
            "2015-05-19T06:30:15-03:00",
        ],
        |l| l.time.unix >= since && l.time.unix < until,
    );
    // Without an offset, in the zone of the log's first line (+00:00 here).
    let since = unix("2015-05-19T17:45:00Z");
    check(
        ELASTIC,
        Format::Combined,
        &["--since", "2015-05-19T17:45"],
        |l| l.time.unix >= since,
    );
}

#[test]
fn times_without_an_offset_are_in_the_tz_zone() {
    // Paris midnight is 22:00 UTC the day before, in May.
    let since = unix("2015-05-18T00:00:00+02:00");
    let dir = tempfile::tempdir().unwrap();
    let log = corpus(ELASTIC);
    let (pre, removed) = prefilter(&log, Format::Combined, dir.path(), |l| l.time.unix >= since);
    let r = assert_filtered_as_prefiltered(
        &log,
        &pre,
        removed,
        &["--since", "2015-05-18"],
        &["--tz", "Europe/Paris"],
    );
    let first = r["period"]["first"].as_str().unwrap();
    assert!(
        first.starts_with("2015-05-18T00:") && first.ends_with("+02:00"),
        "{first}"
    );
}

#[test]
fn exclude_one_ip_a_network_and_a_file_of_them() {
    let busiest: IpAddr = "66.249.73.135".parse().unwrap();
    check(
        ELASTIC,
        Format::Combined,
        &["--exclude-ip", "66.249.73.135"],
        |l| client(l) != Some(busiest),
    );
    check(
        ELASTIC,
        Format::Combined,
        &["--exclude-ip", "66.249.0.0/16"],
        |l| !in_v4_net(client(l), [66, 249, 0, 0], 16),
    );
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("ips.txt");
    std::fs::write(
        &list,
        "# crawlers\n66.249.0.0/16\n\n46.105.14.53   # a busy one\n2001:db8::/32\n",
    )
    .unwrap();
    let flag = format!("@{}", list.display());
    let busy: IpAddr = "46.105.14.53".parse().unwrap();
    let r = check(
        ELASTIC,
        Format::Combined,
        &["--exclude-ip", &flag, "--exclude-ip", "130.237.218.86"],
        |l| {
            let ip = client(l);
            !in_v4_net(ip, [66, 249, 0, 0], 16)
                && ip != Some(busy)
                && ip != Some("130.237.218.86".parse().unwrap())
        },
    );
    assert!(r["inputs"][0]["filtered"].as_u64().unwrap() > 1000);
}

#[test]
fn exclude_ip_on_a_second_log() {
    check(
        "nginx/ddoser_access.log",
        Format::Combined,
        &["--exclude-ip", "192.236.192.0/22"],
        |l| !in_v4_net(client(l), [192, 236, 192, 0], 22),
    );
}

#[test]
fn include_and_exclude_paths() {
    check(
        ELASTIC,
        Format::Combined,
        &["--include-path", "/presentations/*"],
        |l| l.request.path().starts_with(b"/presentations/"),
    );
    // `*` crosses `/`: *.png is every PNG, however deep.
    check(
        ELASTIC,
        Format::Combined,
        &["--exclude-path", "*.png", "--exclude-path", "*.css"],
        |l| {
            let p = l.request.path();
            !p.ends_with(b".png") && !p.ends_with(b".css")
        },
    );
    check(
        ELASTIC,
        Format::Combined,
        &[
            "--include-path",
            "/blog/*",
            "--include-path",
            "/articles/*",
            "--exclude-path",
            "*.xml",
        ],
        |l| {
            let p = l.request.path();
            (p.starts_with(b"/blog/") || p.starts_with(b"/articles/")) && !p.ends_with(b".xml")
        },
    );
}

#[test]
fn status_classes_negations_and_ranges() {
    check(ELASTIC, Format::Combined, &["--status", "5xx"], |l| {
        (500..600).contains(&l.status)
    });
    check(ELASTIC, Format::Combined, &["--status", "!304"], |l| {
        l.status != 304
    });
    check(
        ELASTIC,
        Format::Combined,
        &["--status", "300-404,!301"],
        |l| (300..=404).contains(&l.status) && l.status != 301,
    );
}

#[test]
fn methods() {
    check(ELASTIC, Format::Combined, &["--method", "head,post"], |l| {
        matches!(l.request.method(), b"HEAD" | b"POST")
    });
    check(ELASTIC, Format::Combined, &["--method", "!GET"], |l| {
        l.request.method() != b"GET"
    });
}

#[test]
fn hosts_on_a_vhost_log() {
    let r = check(
        "vhost/goaccess_ci_vcombined.log",
        Format::VCombined,
        &["--host", "LocalHost", "--host", "bing.com"],
        |l| {
            l.vhost
                .is_some_and(|v| v.eq_ignore_ascii_case(b"localhost") || v == b"bing.com")
        },
    );
    assert_eq!(r["inputs"][0]["kept"], 2);
}

#[test]
fn host_on_a_layout_without_one_filters_all_and_warns() {
    let log = corpus(ELASTIC);
    let out = logstats()
        .args([
            "report",
            log.to_str().unwrap(),
            "--host",
            "example.com",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["inputs"][0]["kept"], 0);
    assert_eq!(r["inputs"][0]["filtered"], r["inputs"][0]["parsed"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "warning: {}: the combined layout logs no virtual host",
            log.display()
        )),
        "{err}"
    );
}

#[test]
fn no_bots_drops_bot_hits_everywhere() {
    let r = check(ELASTIC, Format::Combined, &["--no-bots"], |l| {
        !l.user_agent
            .is_some_and(|ua| logstats::enrich::classify::classify_agent(&ua.text()).is_bot)
    });
    assert_eq!(r["summary"]["bot_hits"], 0);
    assert_eq!(r["bots"], Value::Array(vec![]));
    let all = report_json(&[corpus(ELASTIC).to_str().unwrap()]);
    assert_eq!(
        r["inputs"][0]["filtered"], all["summary"]["bot_hits"],
        "every bot hit is filtered, and nothing else"
    );
}

#[test]
fn filters_combine_and_agree_across_chunkings_and_streams() {
    let log = corpus(ELASTIC);
    let flags = [
        "--since",
        "2015-05-18T06:00",
        "--exclude-ip",
        "66.249.0.0/16",
        "--status",
        "!404",
        "--exclude-path",
        "*.ico",
        "--no-bots",
        "--method",
        "GET",
    ];
    let (since, google) = (unix("2015-05-18T06:00:00Z"), [66, 249, 0, 0]);
    let dir = tempfile::tempdir().unwrap();
    let (pre, removed) = prefilter(&log, Format::Combined, dir.path(), |l| {
        l.time.unix >= since
            && !in_v4_net(client(l), google, 16)
            && l.status != 404
            && !l.request.path().ends_with(b".ico")
            && l.request.method() == b"GET"
            && !l
                .user_agent
                .is_some_and(|ua| logstats::enrich::classify::classify_agent(&ua.text()).is_bot)
    });
    let whole = assert_filtered_as_prefiltered(&log, &pre, removed, &flags, &[]);
    // Tiny chunks: every worker's caches start and end often.
    let mut chunked_args = args_of(&log, &flags);
    chunked_args.extend(["--chunk-bytes", "3000"]);
    assert_eq!(report_json(&chunked_args), whole);
    // A stream (gzip on standard input) is scanned by another path.
    let gz = dir.path().join("log.gz");
    std::fs::write(&gz, common::gzip(&std::fs::read(&log).unwrap(), 2)).unwrap();
    let mut stream_args = vec!["-"];
    stream_args.extend_from_slice(&flags);
    let out = logstats()
        .arg("report")
        .args(&stream_args)
        .args(["--format", "json", "--chunk-bytes", "5000"])
        .pipe_stdin(&gz)
        .unwrap()
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut streamed: Value = serde_json::from_slice(&out.stdout).unwrap();
    streamed["inputs"][0]["path"] = whole["inputs"][0]["path"].clone();
    streamed["malformed_samples"] = whole["malformed_samples"].clone();
    assert_eq!(streamed, whole);
}

/// A log line of `combined` at `t`, written in the offset `zone`.
fn line_at(t: DateTime<Utc>, zone: FixedOffset, path: &str) -> String {
    format!(
        "192.0.2.1 - - [{}] \"GET {path} HTTP/1.1\" 200 100 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0\"\n",
        t.with_timezone(&zone).format("%d/%b/%Y:%H:%M:%S %z")
    )
}

#[test]
fn relative_times_count_back_from_the_clock() {
    let now = Utc::now();
    // An offset that puts the log's clock near noon, so that 10 minutes,
    // 2 hours and 26 hours ago are today, today and yesterday there,
    // whatever the hour the test runs at.
    let zone = FixedOffset::east_opt((12 - now.hour() as i32) * 3600).unwrap();
    let ago = |secs: i64| now - chrono::Duration::seconds(secs);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("recent.log");
    let mut f = std::fs::File::create(&log).unwrap();
    for (secs, path) in [
        (3 * 86_400, "/3d"),
        (26 * 3600, "/26h"),
        (2 * 3600, "/2h"),
        (600, "/10m"),
    ] {
        f.write_all(line_at(ago(secs), zone, path).as_bytes())
            .unwrap();
    }
    drop(f);
    let kept = |flags: &[&str]| -> (u64, u64) {
        let r = report_json(&args_of(&log, flags));
        let i = &r["inputs"][0];
        (i["kept"].as_u64().unwrap(), i["filtered"].as_u64().unwrap())
    };
    assert_eq!(kept(&["--since", "1h"]), (1, 3));
    assert_eq!(kept(&["--since", "30m"]), (1, 3));
    assert_eq!(kept(&["--since", "90s"]), (0, 4));
    assert_eq!(kept(&["--since", "24h"]), (2, 2));
    assert_eq!(kept(&["--since", "7d"]), (4, 0));
    assert_eq!(kept(&["--since", "2w"]), (4, 0));
    assert_eq!(kept(&["--until", "1h"]), (3, 1));
    assert_eq!(kept(&["--since", "today"]), (2, 2));
    assert_eq!(kept(&["--since", "yesterday"]), (3, 1));
    assert_eq!(kept(&["--since", "yesterday", "--until", "today"]), (1, 3));
    // The days are the report zone's: 11 hours further west it is past
    // one in the morning, and of the four lines only the last is today.
    let west = FixedOffset::east_opt(zone.local_minus_utc() - 11 * 3600).unwrap();
    assert_eq!(
        kept(&["--since", "today", &format!("--tz={west}")]),
        (1, 3),
        "{west}"
    );
}

#[test]
fn the_zone_of_the_first_input_applies_to_every_input() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    let plus2 = FixedOffset::east_opt(2 * 3600).unwrap();
    let utc = FixedOffset::east_opt(0).unwrap();
    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    // In +02:00, 2024-05-02 starts at 2024-05-01T22:00Z.
    std::fs::write(
        &a,
        [
            line_at(at("2024-05-01T21:00:00Z"), plus2, "/a1"),
            line_at(at("2024-05-01T23:00:00Z"), plus2, "/a2"),
        ]
        .concat(),
    )
    .unwrap();
    std::fs::write(
        &b,
        [
            line_at(at("2024-05-01T21:30:00Z"), utc, "/b1"),
            line_at(at("2024-05-01T22:30:00Z"), utc, "/b2"),
        ]
        .concat(),
    )
    .unwrap();
    let r = report_json(&[
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--since",
        "2024-05-02",
    ]);
    let counts: Vec<(u64, u64)> = r["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["kept"].as_u64().unwrap(), i["filtered"].as_u64().unwrap()))
        .collect();
    assert_eq!(counts, [(1, 1), (1, 1)]);
    assert_eq!(r["period"]["first"], "2024-05-02T00:30:00+02:00");
    // The first line decides the zone even when a filter drops it.
    let c = dir.path().join("c.log");
    std::fs::write(
        &c,
        [
            line_at(at("2024-05-01T21:00:00Z"), plus2, "/c1"),
            line_at(at("2024-05-01T23:00:00Z"), utc, "/c2"),
        ]
        .concat(),
    )
    .unwrap();
    let r = report_json(&[c.to_str().unwrap(), "--exclude-path", "/c1"]);
    assert_eq!(r["period"]["first"], "2024-05-02T01:00:00+02:00");
}

#[test]
fn ipv6_and_mapped_clients() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("v6.log");
    let mk = |client: &str| {
        format!("{client} - - [01/May/2024:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"UA\"\n")
    };
    let text: String = [
        "2001:db8::1",
        "2001:DB8:0:0::2",
        "2001:db9::1",
        "::ffff:10.1.2.3",
        "10.1.2.4",
        "[2001:db8::3]:443",
        "proxy.internal",
        "-",
        "10.9.9.9, 192.0.2.1",
    ]
    .iter()
    .map(|c| mk(c))
    .collect();
    std::fs::write(&log, text).unwrap();
    let r = report_json(&[
        log.to_str().unwrap(),
        "--exclude-ip",
        "2001:db8::/32",
        "--exclude-ip",
        "10.0.0.0/8",
    ]);
    // Kept: 2001:db9::1, proxy.internal and `-` (no address, never excluded).
    assert_eq!(
        (
            r["inputs"][0]["kept"].as_u64(),
            r["inputs"][0]["filtered"].as_u64()
        ),
        (Some(3), Some(6))
    );
}

#[test]
fn bad_filter_values_are_usage_errors_that_say_what_is_accepted() {
    let log = corpus(ELASTIC);
    let log = log.to_str().unwrap();
    for (flag, value, says) in [
        (
            "--since",
            "last week",
            "a time before now (90s, 30m, 24h, 7d, 2w)",
        ),
        ("--until", "2015-05-32", "a date (2024-05-01)"),
        ("--exclude-ip", "10.0.0.0/40", "a network (10.0.0.0/8"),
        (
            "--exclude-ip",
            "@/no/such/ips.txt",
            "cannot read '/no/such/ips.txt'",
        ),
        ("--include-path", "/blog/[", "write one like /blog/*"),
        ("--status", "6xy", "classes (5xx)"),
        ("--method", "GET;POST", "!POST"),
        ("--host", "", "example.com"),
    ] {
        let out = logstats()
            .args(["report", log, flag, value])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(flag) && err.contains(says),
            "{flag} {value}: {err}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn an_empty_span_warns() {
    let log = corpus(ELASTIC);
    let out = logstats()
        .args([
            "report",
            log.to_str().unwrap(),
            "--since",
            "today",
            "--until",
            "yesterday",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not before --until"), "{err}");
}

mod config {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn run(args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
        let mut cmd = logstats();
        cmd.arg("report").args(args);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    #[test]
    fn keys_apply_and_flags_replace_them() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = write(
            dir.path(),
            "c.toml",
            "tz = \"+05:00\"\nexclude_ip = [\"66.249.0.0/16\"]\nsite = [\"logstash.net\"]\n",
        );
        let log = corpus(ELASTIC);
        let (log, cfg) = (log.to_str().unwrap(), cfg.to_str().unwrap());
        let with = successful_json(&run(&[log, "--config", cfg, "--format", "json"], &[]));
        assert!(with["period"]["first"]
            .as_str()
            .unwrap()
            .ends_with("+05:00"));
        assert_eq!(with["inputs"][0]["filtered"], 572);
        assert!(!with["referrers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["host"] == "logstash.net"));
        let without = successful_json(&run(&[log, "--format", "json"], &[]));
        assert!(without["referrers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["host"] == "logstash.net"));
        // Each flag replaces its key, lists included.
        let flags = successful_json(&run(
            &[
                log,
                "--config",
                cfg,
                "--format",
                "json",
                "--tz=-03:00",
                "--exclude-ip",
                "46.105.14.53",
                "--site",
                "example.org",
            ],
            &[],
        ));
        assert!(flags["period"]["first"]
            .as_str()
            .unwrap()
            .ends_with("-03:00"));
        assert_eq!(flags["inputs"][0]["filtered"], 364);
        assert!(flags["referrers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["host"] == "logstash.net"));
    }

    #[test]
    fn log_format_flag_then_environment_then_file() {
        let dir = tempfile::tempdir().unwrap();
        // `common` does not read a combined log: the run fails if it is used.
        let cfg = write(dir.path(), "c.toml", "log_format = \"common\"\n");
        let log = corpus(ELASTIC);
        let (log, cfg) = (log.to_str().unwrap(), cfg.to_str().unwrap());
        let out = run(&[log, "--config", cfg], &[]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("does not fit"));
        let env = [("LOGSTATS_LOG_FORMAT", "combined")];
        assert_eq!(
            successful_json(&run(&[log, "--config", cfg, "--format", "json"], &env))["inputs"][0]
                ["format"],
            "combined"
        );
        let out = run(
            &[
                log,
                "--config",
                cfg,
                "--format",
                "json",
                "--log-format",
                "combined",
            ],
            &[("LOGSTATS_LOG_FORMAT", "common")],
        );
        assert_eq!(successful_json(&out)["inputs"][0]["format"], "combined");
    }

    #[test]
    fn geoip_flag_then_environment_then_file() {
        let geo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/geo");
        let dbip = geo.join("dbip/dbip-country.mmdb");
        let maxmind = geo.join("maxmind-test/GeoLite2-Country-Test.mmdb");
        let dir = tempfile::tempdir().unwrap();
        // A relative path is taken from the file's directory.
        std::fs::copy(&dbip, dir.path().join("countries.mmdb")).unwrap();
        let cfg = write(dir.path(), "c.toml", "geoip = \"countries.mmdb\"\n");
        let log = corpus(ELASTIC);
        let (log, cfg) = (log.to_str().unwrap(), cfg.to_str().unwrap());
        let db = |out: std::process::Output| {
            successful_json(&out)["geoip"]["database"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let from_file = db(run(&[log, "--config", cfg, "--format", "json"], &[]));
        assert!(from_file.ends_with("countries.mmdb"), "{from_file}");
        let env = [("LOGSTATS_GEOIP", maxmind.to_str().unwrap())];
        assert!(db(run(&[log, "--config", cfg, "--format", "json"], &env))
            .ends_with("GeoLite2-Country-Test.mmdb"));
        assert!(db(run(
            &[
                log,
                "--config",
                cfg,
                "--format",
                "json",
                "--geoip",
                dbip.to_str().unwrap()
            ],
            &env
        ))
        .ends_with("dbip-country.mmdb"));
        // A broken path in the file is an error that names the file's key.
        let bad = write(dir.path(), "bad.toml", "geoip = \"missing.mmdb\"\n");
        let out = run(&[log, "--config", bad.to_str().unwrap()], &[]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("configuration file"));
    }

    #[test]
    fn default_locations() {
        let dir = tempfile::tempdir().unwrap();
        let log = corpus(ELASTIC);
        let log = log.to_str().unwrap();
        let xdg = dir.path().join("xdg");
        let home = dir.path().join("home");
        write(&xdg, "logstats/config.toml", "tz = \"+01:00\"\n");
        write(&home, ".config/logstats/config.toml", "tz = \"+07:00\"\n");
        let first = |envs: &[(&str, &str)]| {
            successful_json(&run(&[log, "--format", "json"], envs))["period"]["first"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let (xdg, home) = (xdg.to_str().unwrap(), home.to_str().unwrap());
        assert!(first(&[("XDG_CONFIG_HOME", xdg), ("HOME", home)]).ends_with("+01:00"));
        assert!(first(&[("XDG_CONFIG_HOME", ""), ("HOME", home)]).ends_with("+07:00"));
        // No file where it is looked for: nothing is set, nothing fails.
        let empty = dir.path().join("empty");
        assert!(
            first(&[("XDG_CONFIG_HOME", empty.to_str().unwrap()), ("HOME", home)])
                .ends_with("+00:00")
        );
        // --config replaces the default file.
        let other = write(dir.path(), "other.toml", "tz = \"-02:00\"\n");
        let r = successful_json(&run(
            &[log, "--format", "json", "--config", other.to_str().unwrap()],
            &[("XDG_CONFIG_HOME", xdg)],
        ));
        assert!(r["period"]["first"].as_str().unwrap().ends_with("-02:00"));
    }

    #[test]
    fn errors_name_the_file_and_key_and_exit_2() {
        let dir = tempfile::tempdir().unwrap();
        let log = corpus(ELASTIC);
        let log = log.to_str().unwrap();
        for (text, says) in [
            ("colour = \"auto\"\n", "unknown key 'colour'"),
            ("tz = \"Mars/Olympus\"\n", "key 'tz'"),
            (
                "exclude_ip = [\"10.0.0.0/8\", \"nope\"]\n",
                "key 'exclude_ip': 'nope'",
            ),
            ("log_format = 7\n", "key 'log_format': expected"),
            ("site = [\n", "TOML parse error"),
        ] {
            let cfg = write(dir.path(), "c.toml", text);
            let out = run(&[log, "--config", cfg.to_str().unwrap()], &[]);
            assert_eq!(out.status.code(), Some(2), "{text}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains(&format!("configuration file '{}'", cfg.display()))
                    && err.contains(says),
                "{text}: {err}"
            );
            assert!(out.stdout.is_empty());
        }
        let missing = dir.path().join("missing.toml");
        let out = run(&[log, "--config", missing.to_str().unwrap()], &[]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&missing.display().to_string()) && err.contains("no such file"),
            "{err}"
        );
        // A broken default file is an error too, not silently passed over.
        let xdg = dir.path().join("xdg");
        write(&xdg, "logstats/config.toml", "tz = 1\n");
        let out = run(&[log], &[("XDG_CONFIG_HOME", xdg.to_str().unwrap())]);
        assert_eq!(out.status.code(), Some(2));
    }
}
