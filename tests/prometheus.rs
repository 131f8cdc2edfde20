//! `--format prometheus`, judged by the real components: promtool (from
//! Debian's `prometheus`) must accept every file written here, and
//! node_exporter (`prometheus-node-exporter`) must serve one from its
//! textfile collector with the figures of the JSON report. Without those
//! tools the tests that need them say "skipped: install prometheus" and
//! pass, unless `CI` is set: CI installs them (.ci/run), so there a missing
//! tool fails.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::exposition::promtool_check_with;
use common::{fixture, logstats, readable_corpus_logs, report_json};
use serde_json::Value;

/// The layout of fixtures/prometheus.log: a virtual host first, a request
/// time last.
const FIXTURE_FORMAT: &str = r#"$host $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time"#;

fn fixture_args() -> Vec<String> {
    vec![
        fixture("prometheus.log").display().to_string(),
        "--log-format".into(),
        FIXTURE_FORMAT.into(),
    ]
}

/// The file `logstats report ARGS --format prometheus` prints.
fn prometheus(args: &[String]) -> String {
    let out = logstats()
        .arg("report")
        .args(args)
        .args(["--format", "prometheus"])
        .output()
        .unwrap();
    common::successful_text(&out)
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// A tool of the Prometheus packages, looked for on PATH under its names.
/// Missing, it fails the test under CI and skips it elsewhere.
fn tool(names: &[&str]) -> Option<PathBuf> {
    let found = common::on_path(names);
    common::present_or_skip(
        found.is_some(),
        &names.join(" or "),
        "apt-get install prometheus prometheus-node-exporter",
    );
    found
}

fn promtool() -> Option<PathBuf> {
    tool(&["promtool"])
}

/// A sample of an exposition: its name, labels and value.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The samples of a text exposition (comments skipped), label values
/// unescaped. Enough of the format for what logstats and node_exporter
/// write; anything else fails the test.
fn samples(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name_end = line.find(['{', ' ']).expect(line);
        let name = line[..name_end].to_string();
        let mut rest = &line[name_end..];
        let mut labels = BTreeMap::new();
        if let Some(inner) = rest.strip_prefix('{') {
            let mut chars = inner.char_indices();
            let mut key = String::new();
            loop {
                let (i, c) = chars.next().expect(line);
                match c {
                    '}' => {
                        rest = &inner[i + 1..];
                        break;
                    }
                    ',' => {}
                    '=' => {
                        assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "{line}");
                        let mut value = String::new();
                        loop {
                            match chars.next().expect(line).1 {
                                '"' => break,
                                '\\' => match chars.next().expect(line).1 {
                                    'n' => value.push('\n'),
                                    c @ ('\\' | '"') => value.push(c),
                                    c => panic!("bad escape \\{c} in {line}"),
                                },
                                c => value.push(c),
                            }
                        }
                        labels.insert(std::mem::take(&mut key), value);
                    }
                    c => key.push(c),
                }
            }
        }
        let value = rest.trim();
        assert!(!value.contains(' '), "a timestamp in {line}");
        let value = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().expect(line),
        };
        out.push(Sample {
            name,
            labels,
            value,
        });
    }
    out
}

/// The sum of the samples named `name` whose labels include `with`.
fn total(samples: &[Sample], name: &str, with: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            with.iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

/// `(label value, value)` of the samples named `name`.
fn by_label(samples: &[Sample], name: &str, label: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for s in samples.iter().filter(|s| s.name == name) {
        *out.entry(s.labels[label].clone()).or_default() += s.value;
    }
    out
}

#[test]
fn the_fixture_gives_the_file_counted_by_hand() {
    // fixtures/prometheus.expected.prom was written from the log by hand:
    // 16 hits on two virtual hosts, 7 page views in 4 visits (3 bounces),
    // 2 Googlebot and 2 curl requests, times in whole milliseconds.
    let got = prometheus(&fixture_args());
    let expected = std::fs::read_to_string(fixture("prometheus.expected.prom")).unwrap();
    assert_eq!(got, expected);
}

#[test]
fn labels_from_the_log_keep_the_top_values_and_fold_the_rest() {
    let mut args = fixture_args();
    args.extend(strings(&["--top", "2"]));
    let s = samples(&prometheus(&args));
    // Routes by hits: /blog/:id 5, / 4; /api/items/:id and /cart (2 each),
    // /api/items, /missing and /style.css (1 each) are other.
    let routes = by_label(&s, "logstats_http_requests_total", "route");
    assert_eq!(
        routes,
        BTreeMap::from([
            ("/".into(), 4.0),
            ("/blog/:id".into(), 5.0),
            ("other".into(), 7.0)
        ])
    );
    // Bytes of the folded routes: 500 + 150 + 200 + 50 + 8000.
    let bytes = by_label(&s, "logstats_http_response_size_bytes_total", "route");
    assert_eq!(bytes["other"], 8900.0);
    // Paths by page views: /, /blog/1 and /cart tie at 2; the first two
    // by name stay, /cart and /blog/2 are other.
    let pages = by_label(&s, "logstats_pageviews_total", "path");
    assert_eq!(
        pages,
        BTreeMap::from([
            ("/".into(), 2.0),
            ("/blog/1".into(), 2.0),
            ("other".into(), 3.0)
        ])
    );
    // The histogram of other: 0.25 s, 1.5 s, 7.5 s, 75 ms, 50 ms, 2 ms, 1 ms.
    let other = [("route", "other")];
    let bucket = "logstats_http_request_duration_seconds_bucket";
    let le = |b: &str| total(&s, bucket, &[("route", "other"), ("le", b)]);
    assert_eq!(
        [
            le("0.005"),
            le("0.05"),
            le("0.075"),
            le("0.25"),
            le("2.5"),
            le("7.5"),
            le("+Inf")
        ],
        [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 7.0]
    );
    assert_eq!(
        total(&s, "logstats_http_request_duration_seconds_count", &other),
        7.0
    );
    let sum = total(&s, "logstats_http_request_duration_seconds_sum", &other);
    assert!((sum - 9.378).abs() < 1e-9, "{sum}");
    // (none) and (internal) are no hosts: they take no place.
    let referrers = by_label(&s, "logstats_pageviews_by_referrer_total", "referrer_host");
    assert_eq!(referrers.len(), 4, "{referrers:?}");
}

/// A log written by whoever sends requests: quotes, backslashes, newlines
/// and an escape sequence through nginx's `\xHH` escapes, bytes that are
/// not UTF-8, markup, a bidi override, a path that reads `other`, and a
/// client address inside a path.
fn hostile_log(dir: &Path) -> PathBuf {
    let line = |path: &str, referrer: &str, agent: &str| {
        format!(
            "192.0.2.7 - - [01/May/2024:10:00:00 +0000] \"GET {path} HTTP/1.1\" 200 10 \"{referrer}\" \"{agent}\"\n"
        )
    };
    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";
    let mut text = String::new();
    text += &line(
        r"/a\x22b\x5cc\x0ad</script>",
        r"http://evil\x22.example/\x5c\x0a</script>",
        FIREFOX,
    );
    text += &line(r"/caf\xE9/\xFF", r"http://caf\xE9.example/", FIREFOX);
    // The same text as the line above shows, written as text.
    text += &line(r"/caf\x5cxe9/\x5cxff", "-", FIREFOX);
    text += &line(
        r"/x\x1B[31m\xE2\x80\xAE",
        r"http://bidi\xE2\x80\xAE.example/",
        FIREFOX,
    );
    text += &line("other", "-", FIREFOX);
    text += &line("/ban/192.0.2.7", "-", FIREFOX);
    text += &line("/", "-", r"Evil\x22Bot\x5c/1.0 </script>");
    text += &line("/", "-", r"\xFFspider/2");
    text +=
        "192.0.2.7 - - [01/May/2024:10:00:01 +0000] \"FOO\\x0A / HTTP/1.1\" 400 0 \"-\" \"-\"\n";
    let log = dir.join("hostile.log");
    std::fs::write(&log, text).unwrap();
    log
}

#[test]
fn hostile_text_is_shown_and_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let log = hostile_log(dir.path()).display().to_string();
    // The site is named: which hosts are its own is then no guess from
    // the referrers of this one visitor.
    let site = strings(&["--site", "example.com"]);
    let text = prometheus(&[vec![log.clone()], site.clone(), strings(&["--top", "0"])].concat());
    assert!(!text.contains(['\x1b', '\u{202e}', '\r']), "{text}");
    let has = |line: &str| assert!(text.lines().any(|l| l == line), "no {line} in:\n{text}");
    // The quote and the backslash escaped by the format; the newline shown
    // as the tables show it, its backslash escaped in turn.
    has(r#"logstats_pageviews_total{path="/a\"b\\c\\x0ad</script>"} 1"#);
    // Bytes that are not UTF-8 as \xHH (SPEC §1); the same text written
    // as text is the same label, one series.
    has(r#"logstats_pageviews_total{path="/caf\\xe9/\\xff"} 2"#);
    has(r#"logstats_pageviews_total{path="/x\\x1b[31m\\u{202e}"} 1"#);
    // The client address inside a path is anonymised, as in the tables.
    has(r#"logstats_pageviews_total{path="/ban/192.0.2.0"} 1"#);
    assert!(!text.contains("192.0.2.7"), "{text}");
    has(r#"logstats_pageviews_by_referrer_total{referrer_host="evil\".example"} 1"#);
    has(r#"logstats_pageviews_by_referrer_total{referrer_host="caf\\xe9.example"} 1"#);
    has(r#"logstats_pageviews_by_referrer_total{referrer_host="bidi\\u{202e}.example"} 1"#);
    has(r#"logstats_bot_requests_total{bot="Evil\"Bot\\"} 1"#);
    has(r#"logstats_bot_requests_total{bot="\\xffspider"} 1"#);
    // A method of the log is one of nine or _OTHER.
    assert!(
        text.contains(r#"method="_OTHER",status_class="4xx""#),
        "{text}"
    );

    // A path that reads `other` and the folded ones are one series.
    let folded = prometheus(&[vec![log], site, strings(&["--top", "1"])].concat());
    let other = folded
        .lines()
        .filter(|l| l.starts_with(r#"logstats_pageviews_total{path="other"}"#))
        .collect::<Vec<_>>();
    // 6 page views (the last three lines are bots'): /caf\xe9/\xff (2) is
    // kept, the other 4, `other` among them, are other.
    assert_eq!(other, [r#"logstats_pageviews_total{path="other"} 4"#]);

    if let Some(promtool) = promtool() {
        promtool_check_with(&promtool, &text);
        promtool_check_with(&promtool, &folded);
    }
}

#[test]
fn promtool_accepts_every_file() {
    let Some(promtool) = promtool() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut runs: Vec<Vec<String>> = vec![
        fixture_args(),
        [fixture_args(), strings(&["--top", "1"])].concat(),
        [fixture_args(), strings(&["--status", "5xx"])].concat(),
        vec![hostile_log(dir.path()).display().to_string()],
        vec![fixture("access.log").display().to_string()],
        vec![fixture("vhost.log").display().to_string()],
        vec![fixture("caddy.log").display().to_string()],
    ];
    for log in readable_corpus_logs() {
        runs.push(vec![log.display().to_string()]);
    }
    for args in &runs {
        promtool_check_with(&promtool, &prometheus(args));
    }
    // An empty input still says how many lines it read.
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, "").unwrap();
    let text = prometheus(&[empty.display().to_string()]);
    assert!(text.contains("logstats_log_lines_total{result=\"kept\"} 0"));
    promtool_check_with(&promtool, &text);
}

/// The figures of `--format prometheus` are those of the JSON report:
/// hits, 5xx, page views per path, visits, bounces, visitors, bots, lines.
fn assert_agrees_with_json(s: &[Sample], r: &Value, what: &str) {
    let sm = &r["summary"];
    let n = |v: &Value| v.as_u64().unwrap() as f64;
    let requests = "logstats_http_requests_total";
    assert_eq!(total(s, requests, &[]), n(&sm["hits"]), "{what}: hits");
    assert_eq!(
        total(s, requests, &[("status_class", "5xx")]),
        n(&sm["status_5xx"]),
        "{what}: 5xx"
    );
    assert_eq!(
        total(s, requests, &[("status_class", "4xx")]),
        n(&sm["status_4xx"]),
        "{what}: 4xx"
    );
    assert_eq!(
        total(s, "logstats_http_response_size_bytes_total", &[]),
        n(&sm["bytes"]),
        "{what}: bytes"
    );
    for family in [
        "logstats_pageviews_total",
        "logstats_pageviews_by_referrer_total",
        "logstats_pageviews_by_channel_total",
    ] {
        assert_eq!(
            total(s, family, &[]),
            n(&sm["pageviews"]),
            "{what}: {family}"
        );
    }
    assert_eq!(
        total(s, "logstats_visits_total", &[]),
        n(&sm["visits"]),
        "{what}: visits"
    );
    assert_eq!(total(s, "logstats_bounces_total", &[]), n(&sm["bounces"]));
    assert_eq!(total(s, "logstats_visitors_total", &[]), n(&sm["visitors"]));
    assert_eq!(
        total(s, "logstats_bot_requests_total", &[]),
        n(&sm["bot_hits"]),
        "{what}: bots"
    );
    // Every row of the tables the families share a ranking with, for logs
    // whose text is plain UTF-8 (the tables show U+FFFD, the labels \xHH).
    let pages = by_label(s, "logstats_pageviews_total", "path");
    for row in r["pages"].as_array().unwrap() {
        let path = row["path"].as_str().unwrap();
        if !path.contains('\u{fffd}') && !path.contains(char::is_control) {
            assert_eq!(
                pages.get(path),
                Some(&n(&row["pageviews"])),
                "{what}: {path}"
            );
        }
    }
    let visits = by_label(s, "logstats_visits_total", "channel");
    for row in r["channels"].as_array().unwrap() {
        let channel = row["channel"].as_str().unwrap();
        assert_eq!(visits[channel], n(&row["visits"]), "{what}: {channel}");
    }
    let bots = by_label(s, "logstats_bot_requests_total", "bot");
    for row in r["bots"].as_array().unwrap() {
        let name = row["name"].as_str().unwrap();
        if !name.contains('\u{fffd}') && !name.contains(char::is_control) {
            assert_eq!(bots.get(name), Some(&n(&row["hits"])), "{what}: bot {name}");
        }
    }
    let routes = by_label(s, "logstats_http_requests_total", "route");
    for row in r["routes"].as_array().unwrap() {
        let route = row["route"].as_str().unwrap();
        if !route.contains('\u{fffd}') && !route.contains(char::is_control) && route != "other" {
            assert_eq!(routes.get(route), Some(&n(&row["hits"])), "{what}: {route}");
        }
    }
    let lines = by_label(s, "logstats_log_lines_total", "result");
    for (result, field) in [
        ("kept", "kept"),
        ("filtered", "filtered"),
        ("malformed", "malformed"),
        ("blank", "blank"),
    ] {
        let sum: f64 = (r["inputs"].as_array().unwrap().iter())
            .map(|i| n(&i[field]))
            .sum();
        assert_eq!(lines[result], sum, "{what}: {result} lines");
    }
}

#[test]
fn figures_agree_with_the_json_report() {
    let mut runs: Vec<Vec<String>> = vec![
        fixture_args(),
        [fixture_args(), strings(&["--top", "1"])].concat(),
        vec![fixture("access.log").display().to_string()],
        vec![
            fixture("visits-a.log").display().to_string(),
            fixture("visits-b.log").display().to_string(),
        ],
    ];
    for log in readable_corpus_logs() {
        runs.push(vec![log.display().to_string()]);
    }
    for args in &runs {
        let what = args.join(" ");
        let s = samples(&prometheus(args));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_agrees_with_json(&s, &report_json(&refs), &what);
    }
}

#[test]
fn section_does_not_go_with_prometheus() {
    let out = logstats()
        .args(["report", fixture("access.log").to_str().unwrap()])
        .args(["--format", "prometheus", "--section", "pages"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--section goes with"));
}

/// node_exporter started on a free loopback port, killed when dropped,
/// whatever the test did.
struct Exporter {
    child: Child,
    port: u16,
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Exporter {
    /// Serves the textfile collector alone, reading `dir`. A port taken
    /// between finding it free and binding it is tried again.
    fn start(binary: &Path, dir: &Path) -> Exporter {
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let child = Command::new(binary)
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .args(["--collector.disable-defaults", "--collector.textfile"])
                .arg(format!("--collector.textfile.directory={}", dir.display()))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut exporter = Exporter { child, port };
            // Generous: a loaded machine is slow, and no test may fail
            // for that.
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if exporter.child.try_wait().unwrap().is_some() {
                    break;
                }
                if exporter.get("/metrics").is_some() {
                    return exporter;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        panic!("node_exporter did not start on a loopback port");
    }

    /// The body of `GET path`, if the exporter answered 200.
    fn get(&mut self, path: &str) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .ok()?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).ok()?;
        let response = String::from_utf8(response).ok()?;
        let (head, body) = response.split_once("\r\n\r\n")?;
        head.starts_with("HTTP/1.0 200")
            .then(|| body.to_string())
            .or_else(|| head.starts_with("HTTP/1.1 200").then(|| body.to_string()))
    }

    fn scrape(&mut self) -> Vec<Sample> {
        let body = self.get("/metrics").expect("node_exporter answers");
        let s = samples(&body);
        // The collector read the file without an error.
        let errors: Vec<f64> = (s.iter())
            .filter(|x| x.name == "node_textfile_scrape_error")
            .map(|x| x.value)
            .collect();
        assert_eq!(errors, [0.0], "the textfile collector failed:\n{body}");
        s
    }
}

#[test]
fn node_exporter_serves_the_figures_of_the_json_report() {
    let Some(binary) = tool(&["prometheus-node-exporter", "node_exporter"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut exporter = Exporter::start(&binary, dir.path());
    let prom = dir.path().join("logstats.prom");
    let write = |args: &[String]| {
        let out = logstats()
            .arg("report")
            .args(args)
            .args(["--format", "prometheus", "-o"])
            .arg(&prom)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };

    write(&fixture_args());
    let s = exporter.scrape();
    let refs: Vec<String> = fixture_args();
    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
    let r = report_json(&refs);
    assert_agrees_with_json(&s, &r, "fixture through node_exporter");
    // The hand-counted figures, as Prometheus will store them.
    let requests = "logstats_http_requests_total";
    assert_eq!(total(&s, requests, &[]), 16.0);
    assert_eq!(total(&s, requests, &[("status_class", "5xx")]), 2.0);
    assert_eq!(
        total(
            &s,
            requests,
            &[("vhost", "shop.example.com"), ("route", "/cart")]
        ),
        2.0
    );
    assert_eq!(
        total(&s, "logstats_pageviews_total", &[("path", "/blog/1")]),
        2.0
    );
    assert_eq!(
        total(
            &s,
            "logstats_http_request_duration_seconds_bucket",
            &[("route", "/blog/:id"), ("le", "0.025")]
        ),
        3.0
    );
    assert_eq!(
        total(&s, "logstats_last_log_timestamp_seconds", &[]),
        1714559580.0
    );

    // Rewritten from a hostile log: still read without an error, and the
    // labels come through as written.
    let hostile = hostile_log(dir.path()).display().to_string();
    write(&[hostile, "--top".into(), "0".into()]);
    let s = exporter.scrape();
    let pages = by_label(&s, "logstats_pageviews_total", "path");
    assert_eq!(pages.get(r"/caf\xe9/\xff"), Some(&2.0), "{pages:?}");
    assert_eq!(
        pages.get("/a\"b\\c\\x0ad</script>"),
        Some(&1.0),
        "{pages:?}"
    );
    let bots = by_label(&s, "logstats_bot_requests_total", "bot");
    assert_eq!(bots.get(r"\xffspider"), Some(&1.0), "{bots:?}");
    assert_eq!(bots.get("Evil\"Bot\\"), Some(&1.0), "{bots:?}");
}

/// The PromQL of the README and of the Grafana dashboard, with Grafana's
/// variables given values: each must parse (promtool checks a recording
/// rule of each) and name only families logstats writes.
#[test]
fn the_documented_queries_are_valid_promql_on_families_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("docs/grafana-dashboard.json")).unwrap(),
    )
    .expect("the dashboard is JSON");
    // Importable: every panel has a place, a title and queries on the
    // data source picked at import, which the dashboard asks for.
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    assert!(variables
        .iter()
        .any(|v| v["name"] == "datasource" && v["type"] == "datasource"));
    let panels = dashboard["panels"].as_array().unwrap();
    for p in panels {
        let title = p["title"].as_str().unwrap();
        assert!(p["gridPos"]["w"].as_u64().unwrap() > 0, "{title}");
        assert_eq!(p["datasource"]["uid"], "${datasource}", "{title}");
        assert!(!p["targets"].as_array().unwrap().is_empty(), "{title}");
    }
    let titles: Vec<&str> = panels
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    for wanted in [
        "Page views and visitors",
        "Top pages",
        "Referrers",
        "Channels",
        "4xx and 5xx rate",
        "Response time by route",
    ] {
        assert!(titles.contains(&wanted), "no panel {wanted}: {titles:?}");
    }
    let mut queries = Vec::new();
    collect_exprs(&dashboard, &mut queries);
    assert!(queries.len() >= 6, "{queries:?}");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut in_promql = false;
    let mut from_readme = 0;
    for line in readme.lines() {
        match line.trim() {
            "```promql" => in_promql = true,
            "```" => in_promql = false,
            l if in_promql && !l.is_empty() && !l.starts_with('#') => {
                queries.push(l.to_string());
                from_readme += 1;
            }
            _ => {}
        }
    }
    assert!(from_readme >= 4, "the README's PromQL examples");

    // With a goal and a funnel, so that their families are written too.
    let mut args = fixture_args();
    args.extend(strings(&["--goal", "home=/", "--funnel", "f=home,/about"]));
    let written = prometheus(&args);
    let families: Vec<String> = samples(&written).into_iter().map(|s| s.name).collect();
    for q in &queries {
        let mut rest = q.as_str();
        while let Some(at) = rest.find("logstats_") {
            let name: String = rest[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(families.contains(&name), "{name} in {q} is no family");
            rest = &rest[at + name.len()..];
        }
    }

    let Some(promtool) = promtool() else {
        return;
    };
    let mut rules = String::from("groups:\n  - name: documented\n    rules:\n");
    for (i, q) in queries.iter().enumerate() {
        let q = q
            .replace("$__rate_interval", "5m")
            .replace("$__interval", "5m")
            .replace("$__range", "1d")
            .replace("$instance", "localhost:9100")
            .replace("$route", ".*");
        rules += &format!(
            "      - record: documented:query_{i}\n        expr: {}\n",
            serde_json::to_string(&q).unwrap()
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.yml");
    std::fs::write(&file, &rules).unwrap();
    let out = Command::new(promtool)
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool check rules:\n{}{}\n{rules}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every `"expr"` of the dashboard's panels.
fn collect_exprs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("expr", Value::String(q)) => out.push(q.clone()),
                    _ => collect_exprs(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_exprs(v, out)),
        _ => {}
    }
}

#[test]
fn goals_and_funnels_are_counters_counted_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("goals.log");
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";
    let line = |client: &str, time: &str, request: &str, status: u16, agent: &str| {
        format!("{client} - - [02/Mar/2026:{time} +0000] \"{request} HTTP/1.1\" {status} 10 \"-\" \"{agent}\"\n")
    };
    let text = [
        // A views / and signs up 5 minutes later (a POST answered 302):
        // one visit that reaches both steps and converts.
        line("10.0.0.1", "10:00:00", "GET /", 200, firefox),
        line("10.0.0.1", "10:05:00", "POST /signup", 302, firefox),
        // B views / only: step 1.
        line("10.0.0.2", "10:00:00", "GET /", 200, firefox),
        // A bot that "signs up": no goal hit.
        line("10.0.0.3", "10:01:00", "POST /signup", 302, "curl/8.5.0"),
    ]
    .concat();
    std::fs::write(&log, text).unwrap();
    let written = prometheus(&strings(&[
        log.to_str().unwrap(),
        "--goal",
        "signup=POST /signup 3xx",
        "--funnel",
        "join=/,signup",
    ]));
    let s = samples(&written);
    let goal = [("goal", "signup")];
    assert_eq!(total(&s, "logstats_goal_hits_total", &goal), 1.0);
    assert_eq!(total(&s, "logstats_goal_visitors_total", &goal), 1.0);
    assert_eq!(total(&s, "logstats_goal_conversions_total", &goal), 1.0);
    let by_channel = by_label(&s, "logstats_goal_conversions_by_channel_total", "channel");
    assert_eq!(by_channel.len(), 7, "every channel: {by_channel:?}");
    assert_eq!(by_channel["Direct"], 1.0);
    assert_eq!(by_channel.values().sum::<f64>(), 1.0);
    let steps = by_label(&s, "logstats_funnel_step_visits_total", "step");
    assert_eq!(steps, [("1".into(), 2.0), ("2".into(), 1.0)].into());
    assert_eq!(
        total(
            &s,
            "logstats_funnel_step_visits_total",
            &[("funnel", "join"), ("step", "2"), ("step_name", "signup")]
        ),
        1.0
    );
    if let Some(promtool) = promtool() {
        promtool_check_with(&promtool, &written);
    }
    // Without goals, no goal family.
    let plain = prometheus(&strings(&[log.to_str().unwrap()]));
    assert!(!plain.contains("logstats_goal"), "{plain}");
}
