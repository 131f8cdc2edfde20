//! `logstats export`: rows counted by hand, the three formats holding the
//! same rows, no client address without `--show-ips`, ids that join only
//! with the key, and, with DuckDB, the queries of docs/sql/ giving the
//! report's figures exactly.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use common::{client_addresses, corpus, fixture, logstats, occurs, readable_corpus_logs};
use serde_json::Value;

/// Runs `logstats export ARGS -o DIR`, which must succeed.
fn export(args: &[&str], dir: &Path) {
    let out = logstats()
        .arg("export")
        .args(args)
        .arg("-o")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "export {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The files of an export, day folders and parts in order.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut days: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|d| d.unwrap().path())
        .collect();
    days.sort();
    let mut out = Vec::new();
    for day in days {
        assert!(
            day.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("date="),
            "{}",
            day.display()
        );
        let mut parts: Vec<PathBuf> = std::fs::read_dir(&day)
            .unwrap()
            .map(|f| f.unwrap().path())
            .collect();
        parts.sort();
        out.extend(parts);
    }
    out
}

/// The rows of an NDJSON export, in file order, each with its `date`.
fn ndjson_rows(dir: &Path) -> Vec<serde_json::Map<String, Value>> {
    let mut rows = Vec::new();
    for file in files(dir) {
        let date = file
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()[5..]
            .to_string();
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            let mut row: serde_json::Map<String, Value> = serde_json::from_str(line).unwrap();
            row.insert("date".into(), Value::String(date.clone()));
            rows.push(row);
        }
    }
    rows
}

/// Each row's values of `columns`, in that order.
fn projected(rows: &[serde_json::Map<String, Value>], columns: &[&str]) -> Vec<Value> {
    rows.iter()
        .map(|r| Value::Array(columns.iter().map(|c| r[*c].clone()).collect()))
        .collect()
}

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";
const SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";

fn line(
    client: &str,
    time: &str,
    request: &str,
    status: u16,
    referrer: &str,
    agent: &str,
) -> String {
    format!("{client} - - [01/May/2024:{time} +0000] \"{request} HTTP/1.1\" {status} 100 \"{referrer}\" \"{agent}\"\n")
}

/// Ten hits and a malformed line, whose visits are worked out by hand in
/// [`rows_counted_by_hand`].
fn hand_log() -> String {
    [
        line(
            "1.1.1.1",
            "10:00:00",
            "GET /",
            200,
            "https://www.google.com/search?q=Log+Stats",
            FIREFOX,
        ),
        line(
            "1.1.1.1",
            "10:00:01",
            "GET /app.css",
            200,
            "https://example.com/",
            FIREFOX,
        ),
        line(
            "1.1.1.1",
            "10:05:00",
            "POST /signup",
            302,
            "https://example.com/",
            FIREFOX,
        ),
        line(
            "1.1.1.1",
            "10:10:00",
            "GET /pricing",
            200,
            "https://example.com/",
            FIREFOX,
        ),
        line("1.1.1.1", "10:40:00", "GET /favicon.ico", 200, "-", FIREFOX),
        line("1.1.1.1", "10:40:01", "GET /x.css", 200, "-", FIREFOX),
        line(
            "2.2.2.2",
            "10:00:02",
            "GET /?utm_source=nl&utm_medium=email&utm_campaign=may",
            200,
            "-",
            SAFARI,
        ),
        line("2.2.2.2", "09:59:00", "GET /early.js", 200, "-", SAFARI),
        line("3.3.3.3", "10:00:00", "GET /", 200, "-", "curl/8.5.0"),
        line("1.1.1.1", "11:00:00", "GET /again", 200, "-", FIREFOX),
        "this is no log line\n".to_string(),
    ]
    .concat()
}

#[test]
fn rows_counted_by_hand() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("hand.log");
    std::fs::write(&log, hand_log()).unwrap();
    let out = tmp.path().join("out");
    export(&[log.to_str().unwrap(), "--format", "ndjson"], &out);
    let rows = ndjson_rows(&out);
    // The malformed line makes no row.
    assert_eq!(rows.len(), 10);
    let by_line: BTreeMap<i64, &serde_json::Map<String, Value>> = rows
        .iter()
        .map(|r| (r["input_line"].as_i64().unwrap(), r))
        .collect();
    assert_eq!(
        by_line.keys().copied().collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>()
    );
    // Visit 1 (1.1.1.1, from Google): page views at 10:00 and 10:10; the
    // stylesheet and the POST between belong to it, and so does the icon
    // at 10:40:00, 1800 s after its last page view; the stylesheet a
    // second later does not. Visit 2 (2.2.2.2, 10:00:02): one page view,
    // from a newsletter; its script at 09:59 came before it. Visit 3: the
    // page view of 1.1.1.1 at 11:00, 50 minutes after the last. curl is a
    // bot: no visit. Visits are numbered by their first page view.
    // (line, visit, entry, exit, page view, channel)
    let expected = [
        (1, Some(1), true, false, true, Some("Search")),
        (2, Some(1), false, false, false, Some("Search")),
        (3, Some(1), false, false, false, Some("Search")),
        (4, Some(1), false, true, true, Some("Search")),
        (5, Some(1), false, false, false, Some("Search")),
        (6, None, false, false, false, None),
        (7, Some(2), true, true, true, Some("Email")),
        (8, None, false, false, false, None),
        (9, None, false, false, false, None),
        (10, Some(3), true, true, true, Some("Direct")),
    ];
    for (n, visit, entry, exit, pageview, channel) in expected {
        let r = by_line[&n];
        let got = (
            r["visit_id"].as_i64(),
            r["is_entry"].as_bool().unwrap(),
            r["is_exit"].as_bool().unwrap(),
            r["is_pageview"].as_bool().unwrap(),
            r["channel"].as_str(),
        );
        assert_eq!(got, (visit, entry, exit, pageview, channel), "line {n}");
    }
    let r1 = by_line[&1];
    assert_eq!(r1["timestamp"], "2024-05-01T10:00:00.000000Z");
    assert_eq!(r1["date"], "2024-05-01");
    assert_eq!(r1["search_term"], "log stats");
    assert_eq!(r1["referrer_host"], "google.com");
    assert_eq!(
        (&r1["device"], &r1["browser"], &r1["os"]),
        (&"pc".into(), &"Firefox".into(), &"Linux".into())
    );
    assert_eq!(r1["client_country"], "unknown");
    assert_eq!(r1["http_server_request_duration"], Value::Null);
    assert_eq!(by_line[&2]["is_static"], true);
    assert_eq!(by_line[&2]["referrer_host"], "example.com");
    assert_eq!(by_line[&2]["search_term"], "log stats");
    assert_eq!(by_line[&3]["http_request_method"], "POST");
    let r7 = by_line[&7];
    assert_eq!(r7["url_path"], "/");
    assert_eq!(
        r7["url_query"],
        "utm_source=nl&utm_medium=email&utm_campaign=may"
    );
    assert_eq!(
        (&r7["utm_source"], &r7["utm_medium"], &r7["utm_campaign"]),
        (&"nl".into(), &"email".into(), &"may".into())
    );
    assert_eq!(by_line[&4]["utm_source"], Value::Null);
    let r9 = by_line[&9];
    assert_eq!(
        (&r9["is_bot"], &r9["bot_name"]),
        (&true.into(), &"curl".into())
    );
    assert_eq!(r1["bot_name"], Value::Null);
    // One visitor id per (client, agent), bots' too.
    let id = |n: i64| by_line[&n]["visitor_id"].as_str().unwrap().to_string();
    assert_eq!(id(1), id(10));
    assert_eq!(id(7), id(8));
    assert_ne!(id(1), id(7));
    assert_ne!(id(1), id(9));
    assert_eq!(id(1).len(), 16);
    assert!(rows.iter().all(|r| !r.contains_key("client_address")));
}

/// A log in the nginx-timed layout with what text formats must survive:
/// quotes, commas and control characters, invalid UTF-8, IPv6, a vhost
/// cannot be had in it (combined has none), times with and without.
fn awkward_log() -> Vec<u8> {
    let mut log = Vec::new();
    let lines: [&[u8]; 5] = [
        b"2001:db8::7 - - [01/May/2024:23:59:59 +0200] \"GET /caf\xc3\xa9?a=1,2 HTTP/1.1\" 200 512 \"-\" \"Agent, \\\"quoted\\\" \x1b[31m\" 0.125 0.120\n",
        b"198.51.100.4 - - [02/May/2024:00:00:01 +0200] \"GET /bad\xff\xfe HTTP/1.1\" 404 0 \"https://example.org/p?q=x\" \"Mozilla/5.0\" - -\n",
        b"198.51.100.4 - - [02/May/2024:00:00:02 +0200] \"GET /blog/2024/05/a HTTP/1.1\" 200 100 \"-\" \"Mozilla/5.0\" 1.5 1.5\n",
        b"198.51.100.5 - - [02/May/2024:00:10:00 +0200] \"-\" 400 0 \"-\" \"-\" 0.000 -\n",
        b"198.51.100.5 - - [02/May/2024:00:10:01 +0200] \"GET /x.js HTTP/1.1\" 200 100 \"-\" \"\" 0.001 0.001\n",
    ];
    for l in lines {
        log.extend_from_slice(l);
    }
    log
}

#[cfg(feature = "parquet")]
mod parquet_rows {
    use std::path::Path;

    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    use serde_json::Value;

    /// The rows of a Parquet export as read by the parquet crate's own
    /// reader: (column, value as JSON, with timestamps in microseconds).
    pub fn rows(dir: &Path) -> Vec<Vec<(String, Value)>> {
        let mut rows = Vec::new();
        for file in super::files(dir) {
            let reader = SerializedFileReader::new(std::fs::File::open(&file).unwrap()).unwrap();
            assert!(reader.metadata().num_row_groups() >= 1);
            for row in reader.get_row_iter(None).unwrap() {
                let row = row.unwrap();
                rows.push(
                    row.get_column_iter()
                        .map(|(name, field)| (name.clone(), json(field)))
                        .collect(),
                );
            }
        }
        rows
    }

    /// The codecs of every column chunk of an export, each named once.
    pub fn codecs(dir: &Path) -> Vec<String> {
        let mut codecs = std::collections::BTreeSet::new();
        for file in super::files(dir) {
            let reader = SerializedFileReader::new(std::fs::File::open(&file).unwrap()).unwrap();
            for group in reader.metadata().row_groups() {
                for column in group.columns() {
                    codecs.insert(format!("{:?}", column.compression()));
                }
            }
        }
        codecs.into_iter().collect()
    }

    fn json(field: &Field) -> Value {
        match field {
            Field::Null => Value::Null,
            Field::Bool(b) => Value::Bool(*b),
            Field::Int(n) => Value::from(*n),
            Field::Long(n) => Value::from(*n),
            Field::Double(x) => Value::from(*x),
            Field::Str(s) => Value::String(s.clone()),
            Field::TimestampMicros(us) => Value::from(*us),
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// Microseconds of the text formats' `timestamp`.
fn micros(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp_micros()
}

/// A layout whose fields are not all slices of the line (nginx's `$uri`
/// and `$args` logged apart are joined; an escaped request is decoded):
/// those lines are read again in the second reading, the others from what
/// the first kept, and every row has its line's values.
#[test]
fn lines_whose_fields_are_decoded_give_their_own_values() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("json.log");
    let lines = [
        // 1: `uri` and `args` apart: the target is a joined copy.
        r#"{"time_local":"01/May/2024:10:00:00 +0000","remote_addr":"203.0.113.5","request_method":"GET","uri":"/a","args":"x=1","status":"200","body_bytes_sent":"512","http_referer":"https://e.example/p","http_user_agent":"FIREFOX","request_time":"0.250"}"#,
        // 2: blank.
        "",
        // 3: the request as logged, without escapes: slices of the line.
        r#"{"time_local":"01/May/2024:09:59:58 +0000","remote_addr":"203.0.113.6","request":"POST /b?y=2 HTTP/1.1","status":"404","body_bytes_sent":"0","http_referer":"-","http_user_agent":"SAFARI","http_host":"shop.example"}"#,
        // 4: malformed.
        "not json",
        // 5: an escaped request: decoded into a copy.
        r#"{"time_local":"01/May/2024:10:00:05 +0000","remote_addr":"203.0.113.5","request":"GET /c\"d?z=3 HTTP/1.1","status":"500","body_bytes_sent":"7","http_referer":"https://search.example/?q=x","http_user_agent":"FIREFOX"}"#,
    ]
    .join("\n")
    .replace("FIREFOX", FIREFOX)
    .replace("SAFARI", SAFARI);
    std::fs::write(&log, lines).unwrap();
    let out = tmp.path().join("out");
    export(
        &[
            log.to_str().unwrap(),
            "--format",
            "ndjson",
            "--log-format",
            "json",
        ],
        &out,
    );
    let rows = ndjson_rows(&out);
    let columns = [
        "input_line",
        "http_request_method",
        "url_path",
        "url_query",
        "http_response_status_code",
        "http_response_body_size",
        "referrer_host",
        "server_address",
        "http_server_request_duration",
    ];
    let got = projected(&rows, &columns);
    use serde_json::json;
    assert_eq!(
        got,
        [
            json!([1, "GET", "/a", "x=1", 200, 512, "e.example", null, 0.25]),
            json!([3, "POST", "/b", "y=2", 404, 0, null, "shop.example", null]),
            json!([
                5,
                "GET",
                "/c\"d",
                "z=3",
                500,
                7,
                "search.example",
                null,
                null
            ]),
        ]
    );
    // In time order within the day: 09:59:58 comes after 10:00:00 in the
    // file, and rows keep the file's order.
    let times: Vec<&str> = rows
        .iter()
        .map(|r| r["timestamp"].as_str().unwrap())
        .collect();
    assert_eq!(
        times,
        [
            "2024-05-01T10:00:00.000000Z",
            "2024-05-01T09:59:58.000000Z",
            "2024-05-01T10:00:05.000000Z"
        ]
    );
}

#[test]
fn the_three_formats_hold_the_same_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let awkward = tmp.path().join("awkward.log");
    std::fs::write(&awkward, awkward_log()).unwrap();
    let key = tmp.path().join("id.key");
    let key = key.to_str().unwrap();
    let elastic = corpus("apache/elastic_apache_logs.log");
    let vcombined = corpus("vhost/goaccess_ci_vcombined.log");
    let cases: [(&str, Vec<&str>); 2] = [
        (
            "corpus",
            vec![elastic.to_str().unwrap(), vcombined.to_str().unwrap()],
        ),
        (
            "awkward",
            vec![awkward.to_str().unwrap(), "--log-format", "nginx-timed"],
        ),
    ];
    for (name, args) in cases {
        let dir = |format: &str| tmp.path().join(format!("{name}-{format}"));
        for format in ["ndjson", "csv", "parquet"] {
            if format == "parquet" && !cfg!(feature = "parquet") {
                continue;
            }
            export(
                &[&args[..], &["--format", format, "--id-key", key]].concat(),
                &dir(format),
            );
        }
        let json = ndjson_rows(&dir("ndjson"));
        assert!(!json.is_empty());
        let names = logstats::export::columns(false)
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>();
        // Every line has the columns as its keys, in order.
        for file in files(&dir("ndjson")) {
            for line in std::fs::read_to_string(file).unwrap().lines() {
                let at: Vec<usize> = names
                    .iter()
                    .map(|n| line.find(&format!("\"{n}\":")).unwrap())
                    .collect();
                assert!(at.is_sorted(), "{name}: NDJSON keys out of order: {line}");
            }
        }
        for row in &json {
            assert_eq!(row.len(), names.len() + 1, "{name}: NDJSON keys");
        }
        // CSV: the same header, and the same values written as text.
        let mut csv_rows = Vec::new();
        for file in files(&dir("csv")) {
            let mut reader = csv::Reader::from_path(&file).unwrap();
            let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
            assert_eq!(header, names, "{name}: CSV header");
            for record in reader.records() {
                csv_rows.push(record.unwrap());
            }
        }
        assert_eq!(csv_rows.len(), json.len(), "{name}");
        for (record, row) in csv_rows.iter().zip(&json) {
            for (i, column) in names.iter().enumerate() {
                let text = &record[i];
                let expected = match &row[*column] {
                    Value::Null => String::new(),
                    Value::String(s) if *column == "timestamp" => {
                        assert_eq!(micros(text), micros(s));
                        continue;
                    }
                    Value::String(s) => logstats::text::terminal_safe(s),
                    Value::Number(n) if n.is_f64() => {
                        assert_eq!(text.parse::<f64>().unwrap(), n.as_f64().unwrap());
                        continue;
                    }
                    other => other.to_string(),
                };
                assert_eq!(
                    text, expected,
                    "{name}: {column} of line {}",
                    row["input_line"]
                );
            }
        }
        #[cfg(feature = "parquet")]
        {
            let parquet = parquet_rows::rows(&dir("parquet"));
            assert_eq!(parquet.len(), json.len(), "{name}");
            // Snappy by default; zstd when asked, with the same rows.
            let zstd = tmp.path().join(format!("{name}-zstd"));
            export(
                &[&args[..], &["--id-key", key, "--compression", "zstd"]].concat(),
                &zstd,
            );
            assert_eq!(parquet_rows::codecs(&dir("parquet")), ["SNAPPY"]);
            assert_eq!(parquet_rows::codecs(&zstd), ["ZSTD(ZstdLevel(1))"]);
            assert_eq!(parquet_rows::rows(&zstd), parquet, "{name}: zstd");
            for (row, expected) in parquet.iter().zip(&json) {
                let columns: Vec<&str> = row.iter().map(|(c, _)| c.as_str()).collect();
                assert_eq!(columns, names, "{name}: Parquet columns");
                for (column, value) in row {
                    let want = &expected[column];
                    match (column.as_str(), value) {
                        ("timestamp", Value::Number(us)) => {
                            assert_eq!(us.as_i64().unwrap(), micros(want.as_str().unwrap()))
                        }
                        _ => assert_eq!(
                            value, want,
                            "{name}: {column} of line {}",
                            expected["input_line"]
                        ),
                    }
                }
            }
        }
    }
    // The awkward values themselves, by hand.
    let rows = ndjson_rows(&tmp.path().join("awkward-ndjson"));
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0]["url_path"], "/café");
    assert_eq!(rows[0]["url_query"], "a=1,2");
    assert_eq!(
        rows[0]["user_agent_original"],
        "Agent, \"quoted\" \u{1b}[31m"
    );
    assert_eq!(rows[0]["http_server_request_duration"], 0.125);
    // The report zone is +02:00, the offset of the first line: 23:59:59
    // is May 1st there, 00:00:01 May 2nd.
    assert_eq!(rows[0]["date"], "2024-05-01");
    assert_eq!(rows[0]["timestamp"], "2024-05-01T21:59:59.000000Z");
    assert_eq!(rows[1]["date"], "2024-05-02");
    assert_eq!(rows[1]["url_path"], "/bad\\xFF\\xFE");
    assert_eq!(rows[1]["http_server_request_duration"], Value::Null);
    assert_eq!(rows[1]["referrer_host"], "example.org");
    assert_eq!(rows[2]["http_route"], "/blog/:id/:id/a");
    assert_eq!(rows[3]["http_request_method"], "-");
    assert_eq!(rows[3]["url_path"], "(invalid)");
    assert_eq!(rows[3]["bot_name"], "(empty)");
    assert_eq!(rows[4]["is_static"], true);
    assert_eq!(rows[4]["is_bot"], true);
}

/// Every exported byte as text: NDJSON and CSV as written, Parquet as the
/// parquet crate reads its values.
fn exported_text(dir: &Path, format: &str) -> String {
    match format {
        #[cfg(feature = "parquet")]
        "parquet" => parquet_rows::rows(dir)
            .into_iter()
            .flatten()
            .map(|(_, v)| format!("{v}\n"))
            .collect(),
        _ => files(dir)
            .iter()
            .map(|f| String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned())
            .collect(),
    }
}

#[test]
fn no_client_address_in_an_export_without_show_ips() {
    let tmp = tempfile::tempdir().unwrap();
    // Addresses of clients inside paths, queries, referrers and agents.
    let inside = tmp.path().join("inside.log");
    std::fs::write(
        &inside,
        [
            line(
                "203.0.113.7",
                "10:00:00",
                "GET /ban/203.0.113.7?ip=2001:db8::9",
                200,
                "http://203.0.113.7:8080/x",
                "curl 203.0.113.7",
            ),
            line(
                "2001:db8::9",
                "10:00:01",
                "GET /from/203.0.113.7.",
                200,
                "-",
                FIREFOX,
            ),
        ]
        .concat(),
    )
    .unwrap();
    let mut logs = readable_corpus_logs();
    logs.push(fixture("access.log"));
    logs.push(inside.clone());
    let mut checked = 0;
    for (i, log) in logs.iter().enumerate() {
        let (addresses, parsed) = client_addresses(&std::fs::read(log).unwrap());
        for format in ["parquet", "ndjson", "csv"] {
            if format == "parquet" && !cfg!(feature = "parquet") {
                continue;
            }
            let dir = tmp.path().join(format!("{i}-{format}"));
            export(&[log.to_str().unwrap(), "--format", format], &dir);
            let text = exported_text(&dir, format);
            for addr in &addresses {
                let ip: std::net::IpAddr = addr.parse().unwrap();
                if logstats::enrich::privacy::anonymize(ip) == ip {
                    continue;
                }
                assert!(
                    !occurs(&text, addr),
                    "{addr} in the {format} export of {}",
                    log.display()
                );
                checked += 1;
            }
            // With --show-ips they are there: the search above would find them.
            let shown = tmp.path().join(format!("{i}-{format}-shown"));
            export(
                &[log.to_str().unwrap(), "--format", format, "--show-ips"],
                &shown,
            );
            let text = exported_text(&shown, format);
            for addr in &parsed {
                assert!(
                    occurs(&text, addr),
                    "{addr} not in the {format} export of {} with --show-ips",
                    log.display()
                );
            }
        }
    }
    assert!(checked > 1000, "{checked}");
    // The addresses inside the text are there, anonymised.
    let dir = tmp.path().join("inside");
    export(&[inside.to_str().unwrap(), "--format", "ndjson"], &dir);
    let rows = ndjson_rows(&dir);
    assert_eq!(rows[0]["url_path"], "/ban/203.0.113.0");
    assert_eq!(rows[0]["url_query"], "ip=2001:db8::");
    assert_eq!(rows[0]["referrer_host"], "203.0.113.0");
    assert_eq!(rows[0]["user_agent_original"], "curl 203.0.113.0");
    assert_eq!(rows[1]["url_path"], "/from/203.0.113.0.");
    let shown = tmp.path().join("inside-shown");
    export(
        &[inside.to_str().unwrap(), "--format", "ndjson", "--show-ips"],
        &shown,
    );
    let rows = ndjson_rows(&shown);
    assert_eq!(rows[0]["client_address"], "203.0.113.7");
    assert_eq!(rows[1]["client_address"], "2001:db8::9");
    assert_eq!(rows[0]["url_path"], "/ban/203.0.113.7");
}

#[test]
fn visitor_ids_join_only_with_the_same_key_and_exports_repeat_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let log = fixture("access.log");
    let log = log.to_str().unwrap();
    let key = tmp.path().join("keys/id.key");
    std::fs::create_dir(tmp.path().join("keys")).unwrap();
    let key = key.to_str().unwrap();
    for name in ["a", "b"] {
        export(&[log, "--id-key", key], &tmp.path().join(name));
    }
    export(&[log], &tmp.path().join("c"));
    export(&[log], &tmp.path().join("d"));
    let bytes = |name: &str| -> Vec<Vec<u8>> {
        files(&tmp.path().join(name))
            .iter()
            .map(|f| std::fs::read(f).unwrap())
            .collect()
    };
    // With one key file, the same input gives the same bytes.
    assert_eq!(bytes("a"), bytes("b"));
    // Without, each export draws a key: the files differ (in visitor_id).
    assert_ne!(bytes("c"), bytes("d"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Visitor ids: equal with the key file, different without.
    let ids = |name: &str, keyed: bool| -> Vec<String> {
        let dir = tmp.path().join(name);
        let mut args = vec![log, "--format", "ndjson"];
        if keyed {
            args.extend(["--id-key", key]);
        }
        export(&args, &dir);
        ndjson_rows(&dir)
            .iter()
            .map(|r| r["visitor_id"].as_str().unwrap().to_string())
            .collect()
    };
    let keyed = ids("keyed", true);
    assert_eq!(keyed, ids("keyed-again", true));
    let random = ids("random", false);
    assert_ne!(keyed, random);
    assert_ne!(random, ids("random-again", false));
    // Still one id per visitor within an export.
    let distinct = |ids: &[String]| ids.iter().collect::<std::collections::BTreeSet<_>>().len();
    assert_eq!(distinct(&keyed), distinct(&random));
}

#[test]
fn streams_tiny_chunks_and_many_parts_give_the_same_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let log = corpus("apache/elastic_apache_logs.log");
    let text = std::fs::read(&log).unwrap();
    let gz = tmp.path().join("log.gz");
    std::fs::write(&gz, common::gzip(&text, 3)).unwrap();
    let key = tmp.path().join("id.key");
    let key = key.to_str().unwrap();
    let rows = |dir: &Path| -> Vec<serde_json::Map<String, Value>> {
        let mut rows = ndjson_rows(dir);
        for r in &mut rows {
            r.remove("input_file");
        }
        rows
    };
    let mapped = tmp.path().join("mapped");
    export(
        &[log.to_str().unwrap(), "--format", "ndjson", "--id-key", key],
        &mapped,
    );
    let expected = rows(&mapped);
    assert_eq!(files(&mapped).len(), 4, "one file a day");
    for (name, args) in [
        ("gzip", vec![gz.to_str().unwrap()]),
        ("no-mmap", vec![log.to_str().unwrap(), "--no-mmap"]),
        // 2 KiB chunks: parts of 256 KiB, several files a day, and visits
        // whose page views are in different parts.
        (
            "chunks",
            vec![log.to_str().unwrap(), "--chunk-bytes", "2048"],
        ),
    ] {
        let dir = tmp.path().join(name);
        export(
            &[&args[..], &["--format", "ndjson", "--id-key", key]].concat(),
            &dir,
        );
        assert_eq!(rows(&dir), expected, "{name}");
        if name == "chunks" {
            assert!(files(&dir).len() > 4, "{}", files(&dir).len());
        }
    }
    // Standard input.
    let dir = tmp.path().join("stdin");
    let out = logstats()
        .args(["export", "-", "--format", "ndjson", "--id-key", key, "-o"])
        .arg(&dir)
        .write_stdin(text)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(rows(&dir), expected, "stdin");
    assert_eq!(ndjson_rows(&dir)[0]["input_file"], "-");
}

#[test]
fn an_export_never_mixes_with_files_already_there() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("mine.txt"), "keep").unwrap();
    let out = logstats()
        .args(["export", fixture("access.log").to_str().unwrap(), "-o"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    // A failed run leaves nothing: a log no layout reads.
    let bad = tmp.path().join("bad.log");
    std::fs::write(&bad, "nothing here\nat all\n").unwrap();
    let target = tmp.path().join("never");
    let out = logstats()
        .args(["export", bad.to_str().unwrap(), "-o"])
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!target.exists());
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        2,
        "no folder left behind"
    );
}

/// The log generator of the benchmarks, built if need be.
fn genlog() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_logstats"));
    let path = bin.parent().unwrap().join("examples/genlog");
    if !path.exists() {
        let status = Process::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", "genlog"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success());
    }
    path
}

/// Whether `python3` can import duckdb. Without it the test is skipped, but
/// not in CI (where `.ci/run` installs it).
fn duckdb() -> bool {
    let found = Process::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    common::present_or_skip(found, "python3's duckdb", "pip install duckdb")
}

#[test]
fn the_queries_of_docs_sql_give_the_report_figures() {
    if !duckdb() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // A generated log crossing midnight, and the same split between two
    // machines that took its lines in turn.
    let generated = tmp.path().join("generated.log");
    let status = Process::new(genlog())
        .args([
            "--lines",
            "30000",
            "--seed",
            "7",
            "--start",
            "2024-05-01T23:00:00Z",
            "-o",
        ])
        .arg(&generated)
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(&generated).unwrap();
    let (mut a, mut b) = (String::new(), String::new());
    for (i, l) in text.lines().enumerate() {
        let half = if i % 2 == 0 { &mut a } else { &mut b };
        half.push_str(l);
        half.push('\n');
    }
    let (machine_a, machine_b) = (tmp.path().join("a.log"), tmp.path().join("b.log"));
    std::fs::write(&machine_a, a).unwrap();
    std::fs::write(&machine_b, b).unwrap();
    let geo_test = corpus("../geo/maxmind-test/GeoIP2-Country-Test.mmdb");
    let dbip = corpus("../geo/dbip/dbip-country.mmdb");
    let logs: Vec<String> = [
        "apache/elastic_apache_logs.log",
        "nginx/beats_nginx_test-with-host.log",
        "nginx/ddoser_access.log",
        "nginx/beats_nginx_access.log",
        "apache/beats_apache_test.log",
    ]
    .iter()
    .map(|l| corpus(l).display().to_string())
    .collect();
    let vhost = corpus("vhost/goaccess_ci_vcombined.log")
        .display()
        .to_string();
    let path = |p: &Path| p.display().to_string();
    let cases = serde_json::json!([
        {"name": "corpus", "exports": [logs], "args": ["--geoip", path(&geo_test)]},
        {"name": "vhosts", "exports": [[vhost, corpus("apache/beats_apache_test-vhost.log").display().to_string()]]},
        {"name": "generated", "exports": [[path(&generated)]], "args": ["--geoip", path(&dbip)]},
        {"name": "two-machines", "exports": [[path(&machine_a)], [path(&machine_b)]],
         "args": ["--geoip", path(&dbip)],
         "export_args": ["--id-key", path(&tmp.path().join("id.key"))]},
    ]);
    let cases_file = tmp.path().join("cases.json");
    std::fs::write(&cases_file, cases.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/export_sql.py");
    let out = Process::new("python3")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_logstats"))
        .arg(tmp.path().join("work"))
        .arg(&cases_file)
        .env("XDG_CONFIG_HOME", tmp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for case in ["corpus", "vhosts", "generated", "two-machines"] {
        assert!(stdout.contains(&format!("ok: {case}:")), "{stdout}");
    }
    // The sessionization was needed: each machine alone cuts visits.
    let line = stdout
        .lines()
        .find(|l| l.starts_with("ok: two-machines:"))
        .unwrap();
    let number = |before: &str| -> u64 {
        let at = line.find(before).unwrap();
        let digits = line[..at]
            .rsplit(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap();
        digits.parse().unwrap()
    };
    let (visits, apart) = (number(" visits ("), number(" counted per export"));
    assert!(apart > visits + 100, "{line}");
}

/// `--compression` is about Parquet pages: with another format it is a
/// mistake, said before anything is written.
#[test]
fn compression_is_for_parquet_only() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let log = corpus("apache/elastic_apache_logs.log");
    let run = logstats()
        .args(["export", log.to_str().unwrap(), "--format", "csv"])
        .args(["--compression", "zstd", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("--compression is for --format parquet"),
        "{stderr}"
    );
    assert!(!out.exists());
}

/// An export needs temporary files: the facts the first reading keeps of
/// each line, and a copy of an input it cannot map (a stream, a file
/// written in the last minutes). Where none can be made, it stops at once,
/// blames the temporary directory (not the input), and writes nothing.
#[test]
fn no_room_for_temporary_files_is_said_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read(fixture("access.log")).unwrap();
    // Mapped: last written a day ago. Copied: just written.
    let (mapped, copied) = (tmp.path().join("old.log"), tmp.path().join("new.log"));
    std::fs::write(&mapped, &text).unwrap();
    std::fs::write(&copied, &text).unwrap();
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
    std::fs::File::options()
        .write(true)
        .open(&mapped)
        .unwrap()
        .set_modified(day_ago)
        .unwrap();
    let missing = tmp.path().join("no-such-dir");
    for (input, what) in [
        (&mapped, "a temporary file for the second reading"),
        (&copied, "a temporary copy of"),
    ] {
        let out = tmp.path().join("out");
        let run = logstats()
            .args(["export", input.to_str().unwrap(), "-o"])
            .arg(&out)
            .env("TMPDIR", &missing)
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(
            stderr.contains(what)
                && stderr.contains(&format!("{} (TMPDIR)", missing.display()))
                && stderr.contains("nothing was written there"),
            "{stderr}"
        );
        assert!(!out.exists());
    }
}

/// Filters choose the lines of the first reading, and the second reading
/// writes the rows of those lines only (from what the first kept of them):
/// a filtered export holds exactly the unfiltered export's rows that pass,
/// with their own line numbers and values.
#[test]
fn a_filtered_export_holds_the_rows_that_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let log = corpus("apache/elastic_apache_logs.log");
    let log = log.to_str().unwrap();
    let (all, some) = (tmp.path().join("all"), tmp.path().join("some"));
    export(&[log, "--format", "ndjson", "--chunk-bytes", "4096"], &all);
    export(
        &[
            log,
            "--format",
            "ndjson",
            "--chunk-bytes",
            "4096",
            "--status",
            "2xx,404",
            "--exclude-path",
            "*.css",
        ],
        &some,
    );
    let hit_columns = [
        "input_line",
        "timestamp",
        "http_request_method",
        "url_path",
        "url_query",
        "http_response_status_code",
        "http_response_body_size",
        "referrer_host",
        "user_agent_original",
    ];
    let hits = |rows: Vec<serde_json::Map<String, Value>>| -> Vec<Value> {
        let mut hits = projected(&rows, &hit_columns);
        hits.sort_by_key(|h| h[0].as_i64());
        hits
    };
    let all = hits(ndjson_rows(&all));
    let passing: Vec<Value> = all
        .iter()
        .filter(|h| {
            let status = h[5].as_i64().unwrap();
            let path = h[3].as_str().unwrap();
            ((200..300).contains(&status) || status == 404) && !path.ends_with(".css")
        })
        .cloned()
        .collect();
    let some = hits(ndjson_rows(&some));
    assert!(!passing.is_empty() && passing.len() < all.len());
    assert_eq!(some, passing);
}
