//! The real-world logs of ../shared/corpus: figures checked against counts
//! made another way, and the same report whichever way the text is read.

mod common;

use common::{
    corpus, corpus_logs, gzip, logstats, readable_corpus_logs, report_json, successful_json,
    without_paths, UNREADABLE,
};
use serde_json::{json, Value};

fn report_stdin(bytes: Vec<u8>, extra: &[&str]) -> Value {
    let out = logstats()
        .args(["report", "-", "--format", "json"])
        .args(extra)
        .write_stdin(bytes)
        .output()
        .unwrap();
    successful_json(&out)
}

#[test]
fn a_file_no_format_reads_is_an_error_not_a_report_of_zeros() {
    for file in UNREADABLE {
        let path = corpus(file);
        let out = logstats()
            .args(["report", path.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(out.stdout.is_empty());
        assert!(
            stderr.contains(file)
                && stderr.contains("no known log format fits")
                && stderr.contains("line 1: [10/Aug/2018:09:45:56 +0200] 172.30.0.119 TLSv1.2")
                && stderr.contains("--log-format 'PATTERN'"),
            "{stderr}"
        );
        // Its own layout has no status, which the pattern compiler says.
        let out = logstats()
            .args(["report", path.to_str().unwrap(), "--log-format"])
            .arg(r#"%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x \"%r\" %b"#)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("has no status field"), "{stderr}");
    }
}

/// A corpus file and where its lines went, read off the file by eye:
/// (file, format, lines, parsed, malformed, first malformed lines).
type Accounting = (&'static str, &'static str, u64, u64, u64, &'static [u64]);

#[test]
fn every_corpus_file_is_accounted_for() {
    let cases: &[Accounting] = &[
        (
            "apache/beats_apache_darwin-2.4.23.log",
            "common",
            6,
            6,
            0,
            &[],
        ),
        // One line, no final newline, vhost without port.
        (
            "apache/beats_apache_test-vhost.log",
            "vcombined",
            1,
            1,
            0,
            &[],
        ),
        // Lines 1 and 3 are CLF, line 7 has a vhost in front: combined wins 4 to 2.
        (
            "apache/beats_apache_test.log",
            "combined",
            7,
            4,
            3,
            &[1, 3, 7],
        ),
        // Line 8899 was cut in the middle of its user agent.
        (
            "apache/elastic_apache_logs.log",
            "combined",
            10000,
            9999,
            1,
            &[8899],
        ),
        // 1, 2, 5 (doubled spaces) and 7 are combined; 3, 4 are another tool's
        // layout, 6 has a vhost, 8 and 9 have no referrer and user agent.
        (
            "apache/lnav_access_log_format_samples.txt",
            "combined",
            9,
            4,
            5,
            &[3, 4, 6, 8, 9],
        ),
        ("apache/lnav_logfile_access_log.0", "combined", 3, 3, 0, &[]),
        ("apache/lnav_logfile_access_log.1", "combined", 1, 1, 0, &[]),
        // Line 2 lacks the %l and %u fields.
        (
            "apache/lnav_logfile_bad_access_log.0",
            "combined",
            3,
            2,
            1,
            &[2],
        ),
        (
            "apache/lnav_logfile_regexp_access_log.0",
            "vcombined",
            2,
            2,
            0,
            &[],
        ),
        // The last line has a $host in front.
        ("nginx/beats_nginx_access.log", "combined", 13, 12, 1, &[13]),
        // Lines 5 and 6 put a quoted X-Forwarded-For list, or a list and a
        // second address, before %l: not a layout SPEC §1 names.
        (
            "nginx/beats_nginx_test-with-host.log",
            "vcombined",
            10,
            8,
            2,
            &[5, 6],
        ),
        ("nginx/beats_nginx_test.log", "combined", 7, 5, 2, &[5, 6]),
        ("nginx/ddoser_access.log", "combined", 858, 858, 0, &[]),
        ("vhost/goaccess_ci_vcombined.log", "vcombined", 4, 4, 0, &[]),
    ];
    assert_eq!(
        cases.len() + UNREADABLE.len(),
        corpus_logs().len(),
        "a corpus file has no case here"
    );
    for &(file, format, lines, parsed, malformed, samples) in cases {
        let r = report_json(&[corpus(file).to_str().unwrap()]);
        let input = &r["inputs"][0];
        let got = (
            input["format"].as_str().unwrap(),
            input["lines"].as_u64().unwrap(),
            input["parsed"].as_u64().unwrap(),
            input["malformed"].as_u64().unwrap(),
        );
        assert_eq!(got, (format, lines, parsed, malformed), "{file}");
        assert_eq!(input["kept"], input["parsed"], "{file}");
        let sample_lines: Vec<u64> = r["malformed_samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["line"].as_u64().unwrap())
            .collect();
        assert_eq!(sample_lines, samples, "{file}");
        assert_eq!(r["summary"]["hits"], input["kept"], "{file}");
    }
}

/// Figures of the largest corpus log, counted with awk and Python over the
/// file without its one broken line (see the issue notes for the commands).
#[test]
fn elastic_apache_log_figures() {
    let r = report_json(&[
        corpus("apache/elastic_apache_logs.log").to_str().unwrap(),
        "--top",
        "0",
    ]);
    assert_eq!(r["summary"]["hits"], 9999);
    assert_eq!(r["summary"]["bytes"], 2_747_282_505u64);
    assert_eq!(r["summary"]["status_4xx"], 217);
    assert_eq!(r["summary"]["status_5xx"], 3);
    assert_eq!(
        r["status_codes"],
        json!([
            {"status": 200, "hits": 9125}, {"status": 304, "hits": 445}, {"status": 404, "hits": 213},
            {"status": 301, "hits": 164}, {"status": 206, "hits": 45}, {"status": 500, "hits": 3},
            {"status": 403, "hits": 2}, {"status": 416, "hits": 2}
        ])
    );
    assert_eq!(
        r["methods"],
        json!([{"method": "GET", "hits": 9951}, {"method": "HEAD", "hits": 42}, {"method": "POST", "hits": 5}, {"method": "OPTIONS", "hits": 1}])
    );
    assert_eq!(
        r["not_found"][0],
        json!({"path": "/files/logstash/logstash-1.3.2-monolithic.jar", "hits": 61})
    );
    assert_eq!(
        r["server_errors"],
        json!([{"path": "/misc/Title.php.txt", "hits": 2}, {"path": "/projects/xdotool/", "hits": 1}])
    );
    // 17 to 20 May 2015 is more than three days: one row per day, lines per
    // day counted with `cut -c2-12 | uniq -c` on the time field.
    assert_eq!(r["timeseries"]["bucket"], "day");
    let hits: Vec<u64> = r["timeseries"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["hits"].as_u64().unwrap())
        .collect();
    assert_eq!(hits, vec![1632, 2893, 2896, 2578]);
    assert_eq!(
        r["period"],
        json!({"first": "2015-05-17T10:05:00+00:00", "last": "2015-05-20T21:05:59+00:00"})
    );
}

#[test]
fn ddoser_log_is_all_client_closed_requests() {
    let r = report_json(&[corpus("nginx/ddoser_access.log").to_str().unwrap()]);
    assert_eq!(r["status_codes"], json!([{"status": 499, "hits": 858}]));
    assert_eq!(r["summary"]["bytes"], 0);
    // 13:44:16 to 13:44:19 on one day: a single hour bucket.
    assert_eq!(r["timeseries"]["bucket"], "hour");
    assert_eq!(r["timeseries"]["rows"].as_array().unwrap().len(), 1);
}

/// Threads, chunk sizes, mmap or not, gzip (several members) or plain, file
/// or stdin: the same report for every corpus log.
#[test]
fn same_report_however_the_log_is_read() {
    let dir = tempfile::tempdir().unwrap();
    for log in readable_corpus_logs() {
        let p = log.to_str().unwrap();
        let reference = without_paths(report_json(&[p]));
        let text = std::fs::read(&log).unwrap();
        let gz = dir.path().join("log.gz");
        std::fs::write(&gz, gzip(&text, 3)).unwrap();
        let gz = gz.to_str().unwrap();
        let variants = [
            (
                "--threads 1",
                without_paths(report_json(&[p, "--threads", "1"])),
            ),
            (
                "tiny chunks",
                without_paths(report_json(&[p, "--chunk-bytes", "64"])),
            ),
            (
                "one-byte chunks, 1 thread",
                without_paths(report_json(&[p, "--chunk-bytes", "1", "--threads", "1"])),
            ),
            (
                "--no-mmap",
                without_paths(report_json(&[p, "--no-mmap", "--chunk-bytes", "100"])),
            ),
            ("gzip", without_paths(report_json(&[gz]))),
            (
                "gzip, tiny blocks",
                without_paths(report_json(&[gz, "--chunk-bytes", "64"])),
            ),
            ("stdin", without_paths(report_stdin(text.clone(), &[]))),
            (
                "gzip on stdin",
                without_paths(report_stdin(gzip(&text, 2), &["--chunk-bytes", "300"])),
            ),
        ];
        for (how, report) in variants {
            assert_eq!(report, reference, "{} read with {how}", log.display());
        }
    }
}

#[test]
fn rotated_set_in_one_run_adds_up() {
    // Two files in one run: inputs in the order given, figures summed.
    let a = corpus("nginx/ddoser_access.log");
    let b = corpus("apache/lnav_logfile_access_log.0");
    let r = report_json(&[a.to_str().unwrap(), b.to_str().unwrap()]);
    let paths: Vec<&str> = r["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec![a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(r["summary"]["hits"], 858 + 3);
    // The report zone is the offset of the first line of the first file.
    assert!(r["period"]["first"].as_str().unwrap().ends_with("+00:00"));
}

/// A run that prints only a hit-level table records nothing about visits;
/// its table must be the one the full report has.
#[test]
fn hit_level_sections_alone_match_the_full_report() {
    for log in [
        corpus("apache/elastic_apache_logs.log"),
        common::fixture("access.log"),
    ] {
        let p = log.to_str().unwrap();
        let full = report_json(&[p, "--top", "0"]);
        for (section, key, figure) in [
            ("routes", "route", "hits"),
            ("status_codes", "status", "hits"),
            ("not_found", "path", "hits"),
        ] {
            let out = logstats()
                .args([
                    "report",
                    p,
                    "--top",
                    "0",
                    "--format",
                    "csv",
                    "--section",
                    section,
                ])
                .output()
                .unwrap();
            assert!(out.status.success());
            let mut reader = csv::Reader::from_reader(&out.stdout[..]);
            let headers = reader.headers().unwrap().clone();
            let (k, f) = (
                headers.iter().position(|h| h == key).unwrap(),
                headers.iter().position(|h| h == figure).unwrap(),
            );
            let from_csv: Vec<(String, u64)> = reader
                .records()
                .map(|r| r.unwrap())
                .map(|r| (r[k].to_string(), r[f].parse().unwrap()))
                .collect();
            let from_json: Vec<(String, u64)> = full[section]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| {
                    (
                        row[key].to_string().trim_matches('"').replace("\\\"", "\""),
                        row[figure].as_u64().unwrap(),
                    )
                })
                .collect();
            assert_eq!(from_csv, from_json, "{} {section}", log.display());
        }
    }
}
