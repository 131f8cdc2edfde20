//! Inputs that are not what a log should be: live files truncated while
//! they are read, cut or corrupt gzip, giant lines, NUL bytes, binaries.
//! Each run must end by itself (never killed by a signal) with the exit
//! status and message the README promises.

mod common;

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, SystemTime};

use common::{fixture, gzip, logstats, run_json_report};
use serde_json::Value;

fn line(i: usize) -> String {
    format!(
        "203.0.113.{} - - [01/May/2024:10:{:02}:{:02} +0200] \"GET /page/{} HTTP/1.1\" 200 {} \"-\" \"Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0\"\n",
        i % 250,
        (i / 60) % 60,
        i % 60,
        i % 97,
        100 + i
    )
}

fn log_of(lines: usize) -> String {
    (0..lines).map(line).collect()
}

fn run(args: &[&str]) -> Output {
    let out = run_json_report(args);
    assert_eq!(out.status.signal(), None, "killed: {}", stderr(&out));
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(out)))
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn age(path: &Path, secs: u64) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(secs))
        .unwrap();
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_live_file_is_read_not_mapped_and_reported_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    std::fs::copy(fixture("access.log"), &log).unwrap();
    let how = |log: &Path| {
        let out = logstats()
            .env("LOGSTATS_DEBUG_INPUT", "1")
            .args(["report", s(log), "--format", "json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        (json(&out), stderr(&out))
    };
    let (fresh, fresh_err) = how(&log);
    assert!(fresh_err.contains("access.log: stream"), "{fresh_err}");
    age(&log, 3600);
    let (old, old_err) = how(&log);
    assert!(old_err.contains("access.log: mapped"), "{old_err}");
    assert_eq!(fresh, old);
    // --no-mmap reads an old file too.
    let out = logstats()
        .env("LOGSTATS_DEBUG_INPUT", "1")
        .args(["report", s(&log), "--no-mmap", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("access.log: stream"),
        "{}",
        stderr(&out)
    );
    assert_eq!(json(&out), old);
}

#[test]
fn a_live_file_truncated_while_it_is_read_ends_the_run_normally() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.log");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let block = log_of(10_000);
        // About 40 MB: more than a debug build reads in 50 ms.
        for _ in 0..25 {
            f.write_all(block.as_bytes()).unwrap();
        }
    }
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_logstats"))
        .env("XDG_CONFIG_HOME", dir.path().join("no-config"))
        .args(["report", s(&path), "--format", "json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.signal(), None, "killed by a signal");
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "{:?}: {}",
        out.status,
        stderr(&out)
    );
}

#[test]
fn a_gzip_file_cut_in_the_middle_reports_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let full = gzip(log_of(20_000).as_bytes(), 1);
    let cut = full.len() / 2;
    let path = write(dir.path(), "cut.log.gz", &full[..cut]);
    let out = run(&[s(&path)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("cut.log.gz: truncated or corrupt gzip data"),
        "{err}"
    );
    assert!(
        err.contains(&format!("at byte {cut} of the compressed file")),
        "{err}"
    );
    assert!(err.contains("bytes of decompressed log text"), "{err}");
    let report = json(&out);
    let parsed = report["inputs"][0]["parsed"].as_u64().unwrap();
    assert!(parsed > 1000 && parsed < 20_000, "{parsed}");
    // At most the line the cut went through is malformed.
    assert!(report["inputs"][0]["malformed"].as_u64().unwrap() <= 1);
}

#[test]
fn garbage_after_a_gzip_file_is_reported_after_all_its_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = gzip(log_of(2_000).as_bytes(), 2);
    let end = bytes.len();
    bytes.extend_from_slice(b"this is not gzip at all\n");
    let path = write(dir.path(), "garbage.gz", &bytes);
    let out = run(&[s(&path)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("garbage.gz: truncated or corrupt gzip data"),
        "{err}"
    );
    // The decoder stops in the header that follows the last good member.
    let at: u64 = err
        .split("at byte ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{err}"));
    assert!(at >= end as u64 && at <= bytes.len() as u64, "{at}: {err}");
    let report = json(&out);
    assert_eq!(report["inputs"][0]["parsed"], 2_000);
    assert_eq!(report["inputs"][0]["malformed"], 0);
}

#[test]
fn a_file_of_only_the_gzip_magic_is_an_empty_partial_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "magic.gz", &[0x1f, 0x8b]);
    let out = run(&[s(&path)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("magic.gz: truncated or corrupt gzip data at byte"),
        "{err}"
    );
    assert_eq!(json(&out)["inputs"][0]["lines"], 0);
}

#[test]
fn a_line_of_megabytes_is_malformed_mapped_or_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = log_of(10).into_bytes();
    bytes.extend(std::iter::repeat_n(b'A', 3 << 20));
    bytes.push(b'\n');
    bytes.extend(log_of(5).into_bytes());
    // A valid line made longer than 1 MiB by its user agent.
    let long_ua = line(7).replace("Firefox", &"F".repeat(2 << 20));
    bytes.extend(long_ua.into_bytes());
    let path = write(dir.path(), "giant.log", &bytes);
    let mut reports = Vec::new();
    for (mapped, extra) in [(false, None), (false, Some("--no-mmap")), (true, None)] {
        if mapped {
            age(&path, 3600);
        }
        let mut args = vec![s(&path)];
        args.extend(extra);
        let out = run(&args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let report = json(&out);
        let input = &report["inputs"][0];
        assert_eq!(
            (&input["lines"], &input["parsed"], &input["malformed"]),
            (&17.into(), &15.into(), &2.into()),
            "mapped {mapped}"
        );
        assert_eq!(input["bytes"], bytes.len());
        let sample = report["malformed_samples"][0]["text"].as_str().unwrap();
        assert!(
            sample.len() <= 200 && sample.starts_with("AAAA"),
            "{sample}"
        );
        reports.push(report);
    }
    assert_eq!(reports[0], reports[1]);
    assert_eq!(reports[0], reports[2]);
}

#[test]
fn nul_bytes_and_crlf_lines() {
    let dir = tempfile::tempdir().unwrap();
    let lf = log_of(20);
    let crlf = lf.replace('\n', "\r\n");
    let a = write(dir.path(), "lf.log", lf.as_bytes());
    let b = write(dir.path(), "crlf.log", crlf.as_bytes());
    let (ra, rb) = (run(&[s(&a)]), run(&[s(&b)]));
    assert_eq!(rb.status.code(), Some(0), "{}", stderr(&rb));
    let (mut ja, mut jb) = (json(&ra), json(&rb));
    assert_eq!(jb["inputs"][0]["parsed"], 20);
    for j in [&mut ja, &mut jb] {
        j["inputs"][0]["path"] = Value::Null;
        j["inputs"][0]["bytes"] = Value::Null;
    }
    assert_eq!(ja, jb);

    let mut nul = log_of(3).into_bytes();
    nul.extend_from_slice(b"\0\0\0 binary \0 junk\n");
    nul.extend(line(4).replace("/page/", "/pa\0ge/").into_bytes());
    nul.extend(log_of(3).into_bytes());
    let c = write(dir.path(), "nul.log", &nul);
    let out = run(&[s(&c)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    let input = &report["inputs"][0];
    assert_eq!(input["lines"], 8);
    assert_eq!(
        input["parsed"].as_u64().unwrap() + input["malformed"].as_u64().unwrap(),
        8
    );
    assert!(input["malformed"].as_u64().unwrap() >= 1);
}

/// Invalid UTF-8 prints as `\xHH`: a path with the byte 0xff and a valid
/// path that reads as its text (a backslash, `xff`) must be one row, in
/// every path table and in routes, with their figures added; paths that
/// differ in their invalid bytes stay apart.
#[test]
fn paths_that_print_the_same_are_one_row() {
    let dir = tempfile::tempdir().unwrap();
    let line = |client: u8, second: u8, path: &[u8], status: u16| {
        let mut l =
            format!("1.1.1.{client} - - [01/May/2024:10:00:{second:02} +0000] \"GET ").into_bytes();
        l.extend_from_slice(path);
        l.extend(format!(" HTTP/1.1\" {status} 5 \"-\" \"Mozilla/5.0 Firefox/125.0\"\n").bytes());
        l
    };
    let log: Vec<u8> = [
        line(1, 0, b"/a\xff", 404),
        line(2, 1, b"/a\xfe", 404),
        // A backslash (escaped as Apache does) and `xff`: valid UTF-8 that
        // reads as the first.
        line(3, 2, br"/a\\xff", 404),
        // The route of the first is the path of the second.
        line(3, 3, b"/u/12/\xff", 500),
        line(3, 4, br"/u/:id/\\xff", 500),
        line(4, 5, b"/b", 200),
    ]
    .concat();
    let log = write(dir.path(), "utf8.log", &log);
    let report = json(&run(&[s(&log)]));
    let rows = |table: &str, key: &str, figure: &str| -> Vec<(String, u64)> {
        report[table]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let key = r[key].as_str().unwrap().to_owned();
                (key, r[figure].as_u64().unwrap())
            })
            .collect()
    };
    assert_eq!(
        rows("not_found", "path", "hits"),
        [(r"/a\xff".into(), 2), (r"/a\xfe".into(), 1)]
    );
    assert_eq!(
        rows("server_errors", "path", "hits"),
        [(r"/u/12/\xff".into(), 1), (r"/u/:id/\xff".into(), 1)]
    );
    assert_eq!(
        rows("routes", "route", "hits"),
        [
            (r"/a\xff".into(), 2),
            (r"/u/:id/\xff".into(), 2),
            (r"/a\xfe".into(), 1),
            ("/b".into(), 1)
        ]
    );
}

#[test]
fn an_empty_file_is_an_empty_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "empty.log", b"");
    for extra in [None, Some("--no-mmap")] {
        let mut args = vec![s(&path)];
        args.extend(extra);
        let out = run(&args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let report = json(&out);
        assert_eq!(report["inputs"][0]["lines"], 0);
        assert_eq!(report["summary"]["hits"], 0);
    }
}

#[test]
fn a_directory_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[s(dir.path())]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("it is a directory"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_binary_file_has_no_known_log_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ls");
    std::fs::copy("/bin/ls", &path).unwrap();
    for mapped in [false, true] {
        if mapped {
            age(&path, 3600);
        }
        let out = run(&[s(&path)]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("no known log format"),
            "{}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn csv_safe_defuses_formulas_and_keeps_rfc_4180_quoting() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::new();
    // Apache escapes the quotes of a request as \".
    for (i, target) in [r#"/=HYPERLINK(\"http://x\")"#, "=1+1", "@SUM(A1)", "/plain"]
        .iter()
        .enumerate()
    {
        log.push_str(&line(i).replace(&format!("/page/{i}"), target));
    }
    let path = write(dir.path(), "evil.log", log.as_bytes());
    let csv = |safe: bool| {
        let mut cmd = logstats();
        cmd.args(["report", s(&path), "--format", "csv", "--section", "pages"]);
        if safe {
            cmd.arg("--csv-safe");
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let mut reader = csv::Reader::from_reader(&out.stdout[..]);
        let mut paths: Vec<String> = reader
            .records()
            .map(|r| r.unwrap()[0].to_string())
            .collect();
        paths.sort();
        (String::from_utf8(out.stdout).unwrap(), paths)
    };
    let (raw, plain) = csv(false);
    // RFC 4180: the quotes of the path are doubled inside a quoted cell.
    assert!(raw.contains(r#""/=HYPERLINK(""http://x"")""#), "{raw}");
    assert_eq!(
        plain,
        ["/=HYPERLINK(\"http://x\")", "/plain", "=1+1", "@SUM(A1)"]
    );
    let (_, safe) = csv(true);
    assert_eq!(
        safe,
        ["'=1+1", "'@SUM(A1)", "/=HYPERLINK(\"http://x\")", "/plain"]
    );
    // Tidy rows too; numbers are left alone.
    let out = logstats()
        .args(["report", s(&path), "--format", "csv", "--csv-safe"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("pages,'=1+1,"), "{text}");
    assert!(!text.contains(",'0") && !text.contains(",'1"), "{text}");
    // Only with CSV.
    let out = run(&[s(&path), "--csv-safe"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--csv-safe goes with --format csv"));
}

/// SIGINT (Ctrl-C) stops a run, and a report named with `-o` is left as
/// it was: the new one is only written, to a temporary file then renamed,
/// once everything is computed. What is tested is the outcome (killed by
/// the signal, or finished; the old report intact): the bound on the wait
/// only catches a run that ignores the signal, with room for a machine
/// busy with other builds.
#[test]
fn sigint_stops_promptly_and_leaves_the_report_alone() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("big.log");
    // Large enough that the run is still going when it is interrupted.
    let chunk = log_of(20_000);
    let mut f = std::fs::File::create(&log).unwrap();
    for _ in 0..25 {
        f.write_all(chunk.as_bytes()).unwrap();
    }
    drop(f);
    let report = dir.path().join("report.json");
    std::fs::write(&report, "yesterday's report").unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("logstats"))
        .args([
            "report",
            log.to_str().unwrap(),
            "--threads",
            "1",
            "--format",
            "json",
            "-o",
        ])
        .arg(&report)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(150));
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let sent = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(30),
            "still running 30 s after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    // Either it was interrupted, or it had already finished its report.
    if status.signal() == Some(2) {
        assert_eq!(
            std::fs::read_to_string(&report).unwrap(),
            "yesterday's report"
        );
        let litter: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n != "big.log" && n != "report.json")
            .collect();
        assert!(litter.is_empty(), "left behind: {litter:?}");
    } else {
        assert!(status.success(), "{status:?}");
    }
}
