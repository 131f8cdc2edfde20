//! `--log-format` patterns: the same traffic written in the layouts
//! servers are configured with gives the report of the plain combined log.
//!
//! The traffic is a real log of the corpus; each line is re-laid out here,
//! at test time, in nginx, Apache and gunicorn layouts, with a response
//! time made up for it in whole milliseconds (written in each layout's
//! unit), so every timed layout must give the same response-time figures.

mod common;

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, FixedOffset, TimeZone};
use common::{corpus, logstats, report_json};
use logstats::parse::Format;
use serde_json::Value;

/// The own host of the corpus log's site, given to every run: with a vhost
/// in the layout the own hosts would otherwise come from it (SPEC §4),
/// without one from the referrers.
const SITE: &str = "semicomplete.com";

/// One line of the source log, in pieces.
struct Fields {
    client: String,
    user: String,
    time: DateTime<FixedOffset>,
    request: String,
    /// The request's path, as the report sees it.
    path: Vec<u8>,
    status: u16,
    bytes: u64,
    referer: String,
    agent: String,
    /// Made up: whole milliseconds, 1 to 2,500.
    ms: u64,
}

fn source_lines() -> (Vec<u8>, Vec<Fields>) {
    let text = std::fs::read(corpus("apache/elastic_apache_logs.log")).unwrap();
    let mut fields = Vec::new();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        let Some(l) = Format::Combined.parse(line) else {
            continue;
        };
        if !l.request.is_valid() {
            continue;
        }
        let offset = FixedOffset::east_opt(l.time.offset_s.unwrap()).unwrap();
        let s = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
        let mut request = format!("{} {}", s(l.request.method()), s(l.request.target()));
        if let Some(p) = l.request.protocol() {
            request = format!("{request} {}", s(p));
        }
        fields.push(Fields {
            client: s(l.client),
            user: s(l.user),
            time: offset.timestamp_opt(l.time.unix, 0).unwrap(),
            request,
            path: l.request.path().to_vec(),
            status: l.status,
            bytes: l.bytes,
            referer: s(l.referer.unwrap().raw),
            agent: s(l.user_agent.unwrap().raw),
            ms: (i as u64 * 7919) % 2500 + 1,
        });
    }
    (text, fields)
}

fn clf_time(t: &DateTime<FixedOffset>) -> String {
    t.format("%d/%b/%Y:%H:%M:%S %z").to_string()
}

/// The layouts, each as (pattern given to --log-format, line writer).
type Writer = fn(&Fields) -> String;

impl Fields {
    /// The combined layout's fields, with the time written as given.
    fn combined_with_time(&self, time: &str) -> String {
        format!(
            "{} - {} [{time}] \"{}\" {} {} \"{}\" \"{}\"",
            self.client, self.user, self.request, self.status, self.bytes, self.referer, self.agent
        )
    }

    fn combined(&self) -> String {
        self.combined_with_time(&clf_time(&self.time))
    }

    /// The made-up response time in seconds, with `decimals` digits.
    fn seconds(&self, decimals: usize) -> String {
        let us = self.ms * 1000;
        format!(
            "{}.{:0decimals$}",
            us / 1_000_000,
            us % 1_000_000 / 10u64.pow(6 - decimals as u32)
        )
    }
}

fn layouts() -> Vec<(&'static str, Writer, bool)> {
    vec![
        ("combined", |f| f.combined(), false),
        (
            r#"$host $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time"#,
            |f| {
                // The upstream's own time: a list when nginx retried.
                let upstream = if f.ms % 3 == 0 { "0.001, 0.002" } else { "-" };
                format!(
                    "www.semicomplete.com {} {} {upstream}",
                    f.combined(),
                    f.seconds(3)
                )
            },
            true,
        ),
        (
            r#"log_format timed '$remote_addr - $remote_user [$time_local] "$request" ' '$status $body_bytes_sent "$http_referer" "$http_user_agent" [$time_iso8601] rt=$request_time';"#,
            |f| {
                format!(
                    "{} [{}] rt={}",
                    f.combined(),
                    f.time.to_rfc3339(),
                    f.seconds(3)
                )
            },
            true,
        ),
        (
            r#"%v %h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" %D"#,
            |f| format!("semicomplete.com {} {}", f.combined(), f.ms * 1000),
            true,
        ),
        (
            "gunicorn-timed",
            |f| format!("{} {}", f.combined(), f.seconds(6)),
            true,
        ),
        (
            r#"$remote_addr - $remote_user [$time_iso8601] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#,
            |f| f.combined_with_time(&f.time.to_rfc3339()),
            false,
        ),
        (
            r#"%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\""#,
            |f| format!("semicomplete.com:80 {}", f.combined()),
            false,
        ),
    ]
}

fn write_log(path: &Path, fields: &[Fields], writer: Writer) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for f in fields {
        writeln!(out, "{}", writer(f)).unwrap();
    }
}

/// What must be equal across layouts: everything but the input's format
/// name and size, the figures only a timed layout has, and the table only
/// a layout with a virtual host has.
fn comparable(mut v: Value) -> Value {
    let obj = v.as_object_mut().unwrap();
    obj.remove("inputs");
    obj.remove("response_time");
    obj.remove("vhosts");
    for route in obj["routes"].as_array_mut().unwrap() {
        route["p50_ms"] = Value::Null;
        route["p95_ms"] = Value::Null;
    }
    v
}

#[test]
fn every_layout_gives_the_report_of_the_combined_log() {
    let (_, fields) = source_lines();
    assert!(fields.len() > 9_900, "{}", fields.len());
    let dir = tempfile::tempdir().unwrap();
    let args = ["--top", "0", "--site", SITE];
    let mut reference = None;
    for (i, (pattern, writer, _)) in layouts().into_iter().enumerate() {
        let path = dir.path().join(format!("layout-{i}.log"));
        write_log(&path, &fields, writer);
        let p = path.to_str().unwrap();
        let mut run = vec![p, "--log-format", pattern];
        run.extend(args);
        let report = report_json(&run);
        assert_eq!(report["inputs"][0]["parsed"], fields.len(), "{pattern}");
        assert_eq!(report["inputs"][0]["malformed"], 0, "{pattern}");
        // A layout with a virtual host has one row per host; here one host
        // has every hit, page view and visitor.
        let vhosts = report["vhosts"].as_array().unwrap();
        if pattern.contains("$host") || pattern.contains("%v") {
            let s = &report["summary"];
            assert_eq!(vhosts.len(), 1, "{pattern}");
            assert_eq!(vhosts[0]["hits"], s["hits"], "{pattern}");
            assert_eq!(vhosts[0]["pageviews"], s["pageviews"], "{pattern}");
            assert_eq!(vhosts[0]["visitors"], s["visitors"], "{pattern}");
        } else {
            assert!(vhosts.is_empty(), "{pattern}");
        }
        let report = comparable(report);
        match &reference {
            None => reference = Some(report),
            Some(r) => assert!(report == *r, "{pattern}: report differs from combined"),
        }
    }
}

/// Nearest rank (SPEC §6): the ceil(q·n)-th smallest, 1-based.
fn nearest_rank(sorted: &[u64], q: f64) -> u64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
    sorted[rank - 1]
}

/// Within 1 % of the exact value, as SPEC §6 allows.
fn close(got: &Value, exact_ms: u64, what: &str) {
    let got = got.as_f64().unwrap_or_else(|| panic!("{what}: {got}"));
    let exact = exact_ms as f64;
    assert!(
        (got - exact).abs() <= exact * 0.01,
        "{what}: {got} ms, exactly {exact} ms"
    );
}

#[test]
fn response_times_are_the_same_in_every_timed_layout_and_right() {
    let (_, fields) = source_lines();
    let mut all: Vec<u64> = fields.iter().map(|f| f.ms).collect();
    all.sort_unstable();
    // Per route, for the routes of the most hit paths.
    let mut by_route: std::collections::HashMap<Vec<u8>, Vec<u64>> = Default::default();
    for f in &fields {
        by_route
            .entry(logstats::enrich::route::route_of(&f.path).into_owned())
            .or_default()
            .push(f.ms);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut reference: Option<Value> = None;
    for (i, (pattern, writer, timed)) in layouts().into_iter().enumerate() {
        let path = dir.path().join(format!("timed-{i}.log"));
        write_log(&path, &fields, writer);
        let r = report_json(&[
            path.to_str().unwrap(),
            "--log-format",
            pattern,
            "--top",
            "0",
        ]);
        if !timed {
            assert_eq!(r["response_time"], Value::Null, "{pattern}");
            assert!(r["routes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|x| x["p50_ms"].is_null()));
            continue;
        }
        let rt = &r["response_time"];
        close(&rt["p50_ms"], nearest_rank(&all, 0.5), "p50");
        close(&rt["p90_ms"], nearest_rank(&all, 0.9), "p90");
        close(&rt["p99_ms"], nearest_rank(&all, 0.99), "p99");
        assert_eq!(rt["max_ms"].as_f64(), Some(*all.last().unwrap() as f64));
        let routes = r["routes"].as_array().unwrap();
        assert_eq!(routes.len(), by_route.len());
        for row in routes {
            let mut times = by_route[row["route"].as_str().unwrap().as_bytes()].clone();
            times.sort_unstable();
            let what = format!("{pattern}: {}", row["route"]);
            close(&row["p50_ms"], nearest_rank(&times, 0.5), &what);
            close(&row["p95_ms"], nearest_rank(&times, 0.95), &what);
        }
        let figures = (rt.clone(), r["routes"].clone());
        match &reference {
            None => reference = Some(serde_json::json!([figures.0, figures.1])),
            Some(f) => assert_eq!(serde_json::json!([figures.0, figures.1]), *f, "{pattern}"),
        }
    }
}

#[test]
fn vhost_combined_is_detected_and_read_like_its_pattern() {
    let (_, fields) = source_lines();
    let dir = tempfile::tempdir().unwrap();
    let (pattern, writer, _) = layouts().pop().unwrap();
    let path = dir.path().join("vcombined.log");
    write_log(&path, &fields, writer);
    let p = path.to_str().unwrap();
    let detected = report_json(&[p]);
    assert_eq!(detected["inputs"][0]["format"], "vcombined");
    let given = report_json(&[p, "--log-format", pattern]);
    assert_eq!(given["inputs"][0]["format"], "Apache LogFormat");
    assert_eq!(comparable(detected), comparable(given));
}

#[test]
fn the_format_can_come_from_the_environment() {
    let (_, fields) = source_lines();
    let dir = tempfile::tempdir().unwrap();
    let (_, writer, _) = layouts().remove(4);
    let path = dir.path().join("gunicorn.log");
    write_log(&path, &fields[..50], writer);
    let out = logstats()
        .args(["report", path.to_str().unwrap(), "--format", "json"])
        .env("LOGSTATS_LOG_FORMAT", "gunicorn-timed")
        .output()
        .unwrap();
    assert!(out.status.success());
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["inputs"][0]["format"], "gunicorn-timed");
    assert_eq!(r["inputs"][0]["parsed"], 50);
    // The flag wins over the environment.
    let out = logstats()
        .args(["report", path.to_str().unwrap(), "--format", "json"])
        .args(["--log-format", "combined"])
        .env("LOGSTATS_LOG_FORMAT", "gunicorn-timed")
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["inputs"][0]["format"], "combined");
}

#[test]
fn a_pattern_that_does_not_fit_stops_the_run_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("combined.log");
    let (_, fields) = source_lines();
    write_log(&path, &fields[..20], layouts()[0].1);
    let out_file = dir.path().join("report.json");
    std::fs::write(&out_file, "previous report").unwrap();
    let out = logstats()
        .args([
            "report",
            path.to_str().unwrap(),
            "-o",
            out_file.to_str().unwrap(),
        ])
        .args(["--log-format", "nginx-timed"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap(),
        "previous report"
    );
    let first = layouts()[0].1(&fields[0]);
    for expected in [
        "combined.log: the log format does not fit: it reads 0 of the first 20 lines".to_string(),
        "pattern: $remote_addr - $remote_user [$time_local]".to_string(),
        // The part of the line where it stops fitting, the end here.
        format!("line 1: ...{}", &first[first.len() - 200..]),
        format!(
            "it stops fitting at byte {}, where the pattern expects ' ' and then $request_time",
            first.len() + 1
        ),
        "the predefined format combined reads 20 of them: try --log-format combined".to_string(),
    ] {
        assert!(
            stderr.contains(&expected),
            "{expected}\n--- in ---\n{stderr}"
        );
    }
}

#[test]
fn a_wrong_directive_is_named_with_what_is_supported() {
    let out = logstats()
        .args(["report", "-", "--log-format", r#"%h %t "%r" %>s %j"#])
        .write_stdin("")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("unsupported Apache directive '%j'") && stderr.contains("supported: %h %a"),
        "{stderr}"
    );
}
