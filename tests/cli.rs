//! The binary's contract with its caller: exit statuses, messages that name
//! the file, atomic `-o`, standard input, `--strict`, closed pipes.

mod common;

use std::io::Read;
use std::process::{Command as StdCommand, Stdio};

use common::{fixture, logstats, report_json};

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn missing_file_exits_2_naming_it() {
    let out = logstats()
        .args(["report", "no/such/access.log"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains("cannot read 'no/such/access.log': no such file"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn directory_exits_2_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let out = logstats()
        .args(["report", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("it is a directory; name the log files in it"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn a_missing_file_among_good_ones_fails_before_any_output() {
    let good = fixture("access.log");
    let out = logstats()
        .args(["report", good.to_str().unwrap(), "missing.log"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_options_exit_2() {
    for args in [
        &["report", "x.log", "--format", "xml"][..],
        &["report", "x.log", "--log-format", "fancy"],
        &["report", "x.log", "--tz", "Mars/Olympus"],
        &["report", "x.log", "--threads", "0"],
        &["report", "x.log", "--section", "nope"],
        &["report", "x.log", "--format", "json", "--section", "routes"],
        &["report", "x.log", "--frobnicate"],
    ] {
        let out = logstats().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr_of(&out));
        assert!(!stderr_of(&out).is_empty());
    }
    let out = logstats()
        .args(["report", "x.log", "--log-format", "fancy"])
        .output()
        .unwrap();
    assert!(
        stderr_of(&out).contains("neither a format name nor a pattern")
            && stderr_of(&out).contains("combined, vcombined, common, json, nginx-timed"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn strict_stops_at_the_first_malformed_line_with_status_1() {
    let path = fixture("access.log");
    let out = logstats()
        .args(["report", "--strict", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains("fixtures/access.log:8: malformed line"),
        "{err}"
    );
    assert!(err.contains("garbage line"), "{err}");
    assert!(out.stdout.is_empty(), "no report after a strict failure");
    // A clean log passes --strict.
    let clean = common::corpus("apache/lnav_logfile_access_log.0");
    logstats()
        .args(["report", "--strict", clean.to_str().unwrap()])
        .assert()
        .success();
}

#[test]
fn stdin_is_read_with_dash_or_when_piped() {
    let text = std::fs::read(fixture("access.log")).unwrap();
    for args in [
        &["report", "-", "--format", "json"][..],
        &["report", "--format", "json"],
    ] {
        let out = logstats()
            .args(args)
            .write_stdin(text.clone())
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["summary"]["hits"], 18);
        assert_eq!(r["inputs"][0]["path"], "-");
    }
}

#[test]
fn empty_input_is_an_empty_report() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, b"").unwrap();
    let r = report_json(&[empty.to_str().unwrap()]);
    assert_eq!(r["inputs"][0]["lines"], 0);
    assert_eq!(r["summary"]["hits"], 0);
    assert_eq!(r["period"]["first"], serde_json::Value::Null);
    assert_eq!(r["timeseries"]["rows"], serde_json::json!([]));
    logstats()
        .args(["report", empty.to_str().unwrap()])
        .assert()
        .success();
}

#[test]
fn output_file_is_written_whole_and_replaced_only_on_success() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.json");
    std::fs::write(&target, b"previous report").unwrap();

    // A failing run leaves the previous report alone.
    let out = logstats()
        .args([
            "report",
            "missing.log",
            "--format",
            "json",
            "-o",
            target.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(&target).unwrap(), b"previous report");

    // A good run replaces it with the same bytes stdout would have had.
    let log = fixture("access.log");
    logstats()
        .args([
            "report",
            log.to_str().unwrap(),
            "--format",
            "json",
            "-o",
            target.to_str().unwrap(),
        ])
        .assert()
        .success()
        .stdout("");
    let on_stdout = logstats()
        .args(["report", log.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap()
        .stdout;
    assert_eq!(std::fs::read(&target).unwrap(), on_stdout);
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn output_into_a_missing_directory_exits_2() {
    let log = fixture("access.log");
    let out = logstats()
        .args([
            "report",
            log.to_str().unwrap(),
            "-o",
            "/nonexistent/dir/r.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("cannot write '/nonexistent/dir/r.json'"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn same_input_same_bytes() {
    let log = fixture("access.log");
    for format in ["table", "json", "csv"] {
        let run = || {
            logstats()
                .args(["report", log.to_str().unwrap(), "--format", format])
                .output()
                .unwrap()
                .stdout
        };
        assert_eq!(run(), run(), "{format}");
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // Many rows, so that the report outgrows the pipe after the reader left.
    let log = common::corpus("apache/elastic_apache_logs.log");
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("logstats"))
        .args([
            "report",
            log.to_str().unwrap(),
            "--format",
            "csv",
            "--top",
            "0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap(); // then dropped: closed
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn truncated_gzip_reports_what_was_read_and_exits_1() {
    let text = std::fs::read(common::corpus("apache/elastic_apache_logs.log")).unwrap();
    let gz = common::gzip(&text, 1);
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.log.gz");
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
    let out = logstats()
        .args(["report", cut.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("cut.log.gz: truncated or corrupt gzip data at byte"),
        "{}",
        stderr_of(&out)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hits = r["summary"]["hits"].as_u64().unwrap();
    assert!(hits > 1000 && hits < 9999, "about half the lines: {hits}");
}

#[test]
fn version_and_help() {
    let out = logstats().arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("logstats {}\n", env!("CARGO_PKG_VERSION"))
    );
    let out = logstats().args(["report", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for heading in [
        "Input:",
        "Filters:",
        "Output:",
        "--color",
        "--log-format",
        "--strict",
        "--no-mmap",
        "--tz",
        "--top",
    ] {
        assert!(help.contains(heading), "{heading} missing from --help");
    }
    assert!(
        !help.contains("--chunk-bytes"),
        "testing option stays hidden"
    );
}

#[cfg(unix)]
#[test]
fn output_file_has_an_ordinary_mode_and_keeps_an_existing_one() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let log = fixture("access.log");
    // What this process's umask makes of a new file.
    let plain = dir.path().join("plain");
    std::fs::write(&plain, b"").unwrap();
    let ordinary = std::fs::metadata(&plain).unwrap().permissions().mode() & 0o777;

    // Writes the report to `out` and answers the mode it then has.
    let mode_after_report = |out: &std::path::Path| {
        logstats()
            .args(["report", log.to_str().unwrap(), "--format", "json", "-o"])
            .arg(out)
            .assert()
            .success();
        std::fs::metadata(out).unwrap().permissions().mode() & 0o777
    };

    let report = dir.path().join("new.json");
    assert_eq!(mode_after_report(&report), ordinary);

    let existing = dir.path().join("existing.json");
    std::fs::write(&existing, b"old").unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(mode_after_report(&existing), 0o640);
    assert_ne!(std::fs::read(&existing).unwrap(), b"old");
}

/// A log whose clock jumps by millennia (a line of year 1, one of 2024,
/// one of 9999) must not make a row, or a calendar slot, per empty day in
/// between: only buckets with traffic are listed then.
#[test]
fn a_wrong_clock_does_not_explode_the_time_series() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("clock.log");
    let ua = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";
    let lines: String = [
        "01/Jan/0001:00:00:00",
        "01/May/2024:10:00:00",
        "31/Dec/9999:23:59:59",
    ]
    .iter()
    .map(|t| format!("1.1.1.1 - - [{t} +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"{ua}\"\n"))
    .collect();
    std::fs::write(&log, lines).unwrap();
    // The outcome, not the time taken: a run that filled the ten thousand
    // years would list millions of rows.
    let r = report_json(&[log.to_str().unwrap()]);
    let starts: Vec<&str> = r["timeseries"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["start"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        vec![
            "0001-01-01T00:00:00+00:00",
            "2024-05-01T00:00:00+00:00",
            "9999-12-31T00:00:00+00:00"
        ]
    );
    assert_eq!(
        (
            r["summary"]["visits"].as_u64(),
            r["summary"]["visitors"].as_u64()
        ),
        (Some(3), Some(3))
    );
}

#[test]
fn a_hostile_log_prints_a_clean_table() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("hostile.log");
    // Escape sequences, BEL, a C1 control and a bidi override in path,
    // referrer and user agent; invalid UTF-8; a malformed line with an ESC.
    let mut text = Vec::new();
    for _ in 0..3 {
        text.extend_from_slice(
            b"1.2.3.4 - - [01/May/2024:10:00:00 +0000] \"GET /a\x1b]0;pwned\x07x HTTP/1.1\" 404 5 \"http://evil.example/\x1b[2J\" \"Bot\x1b[31m \xe2\x80\xae \xc2\x9b \xff\xfe\"\n",
        );
    }
    text.extend_from_slice(b"garbage \x1b[5m blink\n");
    std::fs::write(&log, text).unwrap();
    let out = logstats()
        .args(["report", log.to_str().unwrap(), "--clients"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let stdout = String::from_utf8(out.stdout).expect("table output is UTF-8");
    for bad in ['\x1b', '\x07', '\u{9b}', '\u{202e}'] {
        assert!(
            !stdout.contains(bad),
            "{bad:?} reached the terminal:\n{stdout}"
        );
    }
    assert!(stdout.contains(r"/a\x1b]0;pwned\x07x"), "{stdout}");
    assert!(stdout.contains(r"garbage \x1b[5m blink"), "{stdout}");
}
