//! Response times and the virtual-host table, counted by hand, through the
//! library: lines are parsed with a predefined layout and given a time the
//! way a layout with `$request_time` or `%D` would, aggregated, built into
//! a report and rendered.

use logstats::aggregate::{Figures, Record};
use logstats::output::{render, OutputFormat};
use logstats::parse::{Format, LogLine};
use logstats::report::{build, Report, ReportOptions};
use logstats::scan::{Counts, Scanned, ScannedInput};
use serde_json::{json, Value};

/// A combined line for `path` at 10:MM:00 from `client`.
fn combined(client: &str, minute: u32, path: &str, agent: &str) -> String {
    format!(
        r#"{client} - - [01/May/2024:10:{minute:02}:00 +0000] "GET {path} HTTP/1.1" 200 100 "-" "{agent}""#
    )
}

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";

/// One input of `(line, time in µs)`, as a scan would have left it.
fn input(format: Format, lines: &[(String, Option<u64>)]) -> ScannedInput {
    let mut figures = Figures::default();
    let mut views = figures.chunk_views(0);
    for (text, us) in lines {
        let line = LogLine {
            response_time_us: *us,
            ..format.parse(text.as_bytes()).expect(text)
        };
        figures.add(&line, &mut views, Record::ALL);
    }
    figures.flush_chunk(views);
    let n = lines.len() as u64;
    ScannedInput {
        path: "test.log".into(),
        format,
        scanned: Scanned {
            chunks: 1,
            chunk_lines: vec![(0, n)],
            counts: Counts {
                lines: n,
                parsed: n,
                kept: n,
                ..Counts::default()
            },
            bytes: lines.iter().map(|(l, _)| l.len() as u64 + 1).sum(),
            figures,
            days: Default::default(),
            samples: Vec::new(),
            first_offset: Some(Some(0)),
            read_error: None,
            no_vhost: 0,
            line_ids: Vec::new(),
            facts: Vec::new(),
            facts_error: None,
        },
    }
}

fn report(inputs: Vec<ScannedInput>, top: usize) -> Report {
    build(
        inputs,
        &ReportOptions {
            top,
            zone: None,
            sites: &[],
            geo: None,
            visits: true,
            show_ips: false,
            clients: true,
            metrics: false,
            goals: None,
        },
    )
}

fn json(r: &Report) -> Value {
    serde_json::to_value(r).unwrap()
}

fn rendered(r: &Report, format: OutputFormat, section: Option<&str>) -> String {
    let mut out = Vec::new();
    render(r, format, section, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Ten timed hits on `/` and two without a time. Sorted, the times are
/// 700, 3 300, 4 500, 6 100, 8 800, 9 500, 12 345, 15 000, 30 001 and
/// 2 000 000 µs: p50 is rank ceil(0.5·10) = 5, 8 800 µs; p90 rank 9,
/// 30 001 µs; p99 rank ceil(9.9) = 10, the max, 2 000 000 µs. The untimed
/// hits count for nothing here.
fn ten_timed() -> Vec<(String, Option<u64>)> {
    let times = [
        12_345, 4_500, 30_001, 700, 8_800, 15_000, 2_000_000, 6_100, 9_500, 3_300,
    ];
    let mut lines: Vec<_> = times
        .iter()
        .enumerate()
        .map(|(i, &us)| (combined("1.1.1.1", i as u32, "/", FIREFOX), Some(us)))
        .collect();
    lines.push((combined("1.1.1.1", 20, "/", FIREFOX), None));
    lines.push((combined("1.1.1.1", 21, "/", FIREFOX), None));
    lines
}

#[test]
fn summary_response_time_is_nearest_rank_in_ms() {
    let r = report(vec![input(Format::Combined, &ten_timed())], 10);
    let v = json(&r);
    assert_eq!(
        v["response_time"],
        json!({"p50_ms": 8.8, "p90_ms": 30.001, "p99_ms": 2000.0, "max_ms": 2000.0})
    );
    // `/` is its own route: its p95 is rank ceil(9.5) = 10.
    assert_eq!(v["routes"][0]["p50_ms"], json!(8.8));
    assert_eq!(v["routes"][0]["p95_ms"], json!(2000.0));
    assert_eq!(v["routes"][0]["hits"], json!(12));
}

#[test]
fn route_percentiles_merge_its_paths_and_untimed_routes_are_null() {
    let ms = |n: u64| Some(n * 1000);
    let lines = vec![
        // /users/1 and /users/2 make /users/:id: 10, 20, 30 ms and 40,
        // 50 ms. Sorted 10..50: p50 is rank ceil(2.5) = 3, 30 ms; p95 rank
        // ceil(4.75) = 5, 50 ms. /users/3 has a hit without a time.
        (combined("1.1.1.1", 0, "/users/1", FIREFOX), ms(30)),
        (combined("1.1.1.1", 1, "/users/2", FIREFOX), ms(50)),
        (combined("1.1.1.1", 2, "/users/1", FIREFOX), ms(10)),
        (combined("1.1.1.1", 3, "/users/2", FIREFOX), ms(40)),
        (combined("1.1.1.1", 4, "/users/1", FIREFOX), ms(20)),
        (combined("1.1.1.1", 5, "/users/3", FIREFOX), None),
        // /about: hits, none of them timed.
        (combined("2.2.2.2", 6, "/about", FIREFOX), None),
        (combined("2.2.2.2", 7, "/about", FIREFOX), None),
    ];
    let r = report(vec![input(Format::Combined, &lines)], 10);
    let v = json(&r);
    assert_eq!(
        v["routes"],
        json!([
            {"route": "/users/:id", "hits": 6, "status_5xx": 0, "bytes": 600,
             "p50_ms": 30.0, "p95_ms": 50.0},
            {"route": "/about", "hits": 2, "status_5xx": 0, "bytes": 200,
             "p50_ms": null, "p95_ms": null},
        ])
    );
    // Over all five timed hits: p90 rank ceil(4.5) = 5, p99 rank 5.
    assert_eq!(
        v["response_time"],
        json!({"p50_ms": 30.0, "p90_ms": 50.0, "p99_ms": 50.0, "max_ms": 50.0})
    );

    // The same lines cut into two inputs give the same figures.
    let (a, b) = lines.split_at(3);
    let split = report(
        vec![input(Format::Combined, a), input(Format::Combined, b)],
        10,
    );
    let split = json(&split);
    assert_eq!(split["routes"], v["routes"]);
    assert_eq!(split["response_time"], v["response_time"]);
}

#[test]
fn many_times_are_within_a_percent_and_the_max_is_exact() {
    // 1 000 hits taking 1, 2, ..., 1 000 ms: p50 is rank 500, 500 ms, p95
    // rank 950, p99 rank 990. Past 64 times the histogram buckets them,
    // so within 1 %; the max stays exact.
    let lines: Vec<_> = (1..=1000u64)
        .map(|n| {
            let path = format!("/items/{}", n % 7);
            (combined("1.1.1.1", 0, &path, FIREFOX), Some(n * 1000))
        })
        .collect();
    let r = report(vec![input(Format::Combined, &lines)], 10);
    let t = r.response_time.as_ref().unwrap();
    for (got, want) in [(t.p50_ms, 500.0), (t.p90_ms, 900.0), (t.p99_ms, 990.0)] {
        assert!((got - want).abs() <= want * 0.01, "{got} for {want}");
    }
    assert_eq!(t.max_ms, 1000.0);
    let route = &r.routes[0];
    assert_eq!(route.route, "/items/:id");
    let p95 = route.p95_ms.unwrap();
    assert!((p95 - 950.0).abs() <= 9.5, "{p95}");
}

#[test]
fn no_times_give_null_and_no_time_columns() {
    let lines: Vec<_> = ten_timed().into_iter().map(|(l, _)| (l, None)).collect();
    let r = report(vec![input(Format::Combined, &lines)], 10);
    let v = json(&r);
    assert_eq!(v["response_time"], Value::Null);
    assert_eq!(v["routes"][0]["p50_ms"], Value::Null);
    assert_eq!(v["vhosts"], json!([]));
    let table = rendered(&r, OutputFormat::Table, None);
    assert!(!table.contains("p50"), "{table}");
    assert!(!table.contains("response time"), "{table}");
    assert!(!table.contains("Virtual hosts"), "{table}");
    assert_eq!(
        rendered(&r, OutputFormat::Csv, Some("response_time")),
        "p50_ms,p90_ms,p99_ms,max_ms\n"
    );
}

#[test]
fn response_times_in_table_and_csv() {
    let r = report(vec![input(Format::Combined, &ten_timed())], 10);
    let table = rendered(&r, OutputFormat::Table, None);
    // One decimal for people; JSON and CSV keep the µs.
    for (label, value) in [
        ("response time p50", "8.8 ms"),
        ("response time p90", "30.0 ms"),
        ("response time max", "2000.0 ms"),
    ] {
        assert!(
            table
                .lines()
                .any(|l| l.contains(label) && l.contains(value)),
            "no {label} of {value} in\n{table}"
        );
    }
    // The routes table gets its time columns once a route has times.
    assert!(table.contains("p50 ms"), "{table}");
    assert!(table.contains("p95 ms"), "{table}");

    assert_eq!(
        rendered(&r, OutputFormat::Csv, Some("response_time")),
        "p50_ms,p90_ms,p99_ms,max_ms\n8.8,30.001,2000,2000\n"
    );
    let tidy = rendered(&r, OutputFormat::Csv, None);
    for row in [
        "response_time,,p50_ms,8.8\n",
        "response_time,,max_ms,2000\n",
        "routes,/,p95_ms,2000\n",
    ] {
        assert!(tidy.contains(row), "no {row:?} in\n{tidy}");
    }
}

/// Six hits on two virtual hosts. a.example: 1.1.1.1 views / and loads a
/// stylesheet (a hit, no page view); 3.3.3.3 views /x and /y. b.example:
/// 1.1.1.1 views /, curl fetches / (a bot: a hit, no page view). So
/// a.example has 4 hits, 3 page views and 2 visitors (1.1.1.1 and
/// 3.3.3.3 on one day); b.example 2 hits, 1 page view, 1 visitor.
/// 1.1.1.1 is a visitor of both hosts, and once in the summary.
fn two_hosts() -> Vec<(String, Option<u64>)> {
    let v = |host: &str, client: &str, minute: u32, path: &str, agent: &str| {
        (
            format!("{host}:443 {}", combined(client, minute, path, agent)),
            None,
        )
    };
    vec![
        v("a.example", "1.1.1.1", 0, "/", FIREFOX),
        v("a.example", "1.1.1.1", 0, "/style.css", FIREFOX),
        v("b.example", "1.1.1.1", 1, "/", FIREFOX),
        v("b.example", "2.2.2.2", 1, "/", "curl/8.5.0"),
        v("a.example", "3.3.3.3", 2, "/x", FIREFOX),
        v("a.example", "3.3.3.3", 3, "/y", FIREFOX),
    ]
}

#[test]
fn vhosts_count_hits_page_views_and_visitors_per_host() {
    let r = report(vec![input(Format::VCombined, &two_hosts())], 10);
    let v = json(&r);
    assert_eq!(
        v["vhosts"],
        json!([
            {"host": "a.example", "hits": 4, "pageviews": 3, "visitors": 2},
            {"host": "b.example", "hits": 2, "pageviews": 1, "visitors": 1},
        ])
    );
    assert_eq!(
        (&v["summary"]["pageviews"], &v["summary"]["visitors"]),
        (&json!(4), &json!(2))
    );
    // Cut at --top like every table.
    let r1 = report(vec![input(Format::VCombined, &two_hosts())], 1);
    assert_eq!(json(&r1)["vhosts"].as_array().unwrap().len(), 1);

    // Host names are those of the own-host rule too: no referrer here,
    // but the vhost rule names them.
    assert_eq!(r.own_hosts.0, vec!["a.example", "b.example"]);

    assert_eq!(
        rendered(&r, OutputFormat::Csv, Some("vhosts")),
        "host,hits,pageviews,visitors\na.example,4,3,2\nb.example,2,1,1\n"
    );
    let tidy = rendered(&r, OutputFormat::Csv, None);
    assert!(tidy.contains("vhosts,b.example,visitors,1\n"), "{tidy}");
    let table = rendered(&r, OutputFormat::Table, None);
    assert!(table.contains("Virtual hosts"), "{table}");
    // 4 of 6 hits.
    assert!(table.contains("66.7 %"), "{table}");
}

#[test]
fn vhosts_do_not_depend_on_how_the_lines_were_cut() {
    let lines = two_hosts();
    let whole = json(&report(vec![input(Format::VCombined, &lines)], 10));
    for cut in 1..lines.len() {
        let (a, b) = lines.split_at(cut);
        let split = report(
            vec![input(Format::VCombined, a), input(Format::VCombined, b)],
            10,
        );
        assert_eq!(json(&split)["vhosts"], whole["vhosts"], "cut at {cut}");
    }
}
