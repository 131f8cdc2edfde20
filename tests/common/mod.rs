//! Helpers shared by the integration tests: running the binary, finding
//! the shared corpus, and comparing a report with expected figures.
#![allow(dead_code)]

pub mod exposition;
pub mod plugin;
pub mod scenarios;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The files of `dir` whose names start with `prefix`, sorted: what the
/// shell expands `dir/prefix*` to.
pub fn files_starting(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .collect();
    files.sort();
    files
}

/// The binary, blind to a configuration file of whoever runs the tests.
pub fn logstats() -> Command {
    let mut cmd = Command::cargo_bin("logstats").unwrap();
    cmd.env(
        "XDG_CONFIG_HOME",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-config"),
    );
    cmd
}

/// A file of the real-world corpus, which lives beside the repository.
pub fn corpus(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/logs")
        .join(rel);
    assert!(
        p.exists(),
        "corpus file missing: {} (../shared must be beside the repository)",
        p.display()
    );
    p
}

/// Every log of the corpus.
pub fn corpus_logs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/logs");
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).expect("../shared/corpus/logs") {
        for f in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            files.push(f.unwrap().path());
        }
    }
    files.sort();
    assert!(
        files.len() >= 10,
        "expected the corpus logs, found {}",
        files.len()
    );
    files
}

/// Corpus files no layout reads. mod_ssl's request log has no status:
/// not an access log, and a run on it stops with exit status 2.
pub const UNREADABLE: [&str; 1] = ["apache/beats_apache_ssl-request.log"];

/// Every log of the corpus that gives a report.
pub fn readable_corpus_logs() -> Vec<PathBuf> {
    corpus_logs()
        .into_iter()
        .filter(|log| !UNREADABLE.iter().any(|u| log.ends_with(u)))
        .collect()
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Runs `logstats report ARGS --format json`, whatever its outcome.
pub fn run_json_report(args: &[&str]) -> std::process::Output {
    logstats()
        .arg("report")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap()
}

/// Runs `logstats report ARGS --format json`, expects success, parses it.
pub fn report_json(args: &[&str]) -> Value {
    successful_json(&run_json_report(args))
}

/// The JSON report a run printed, which must have succeeded.
pub fn successful_json(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "logstats failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What a run printed, as text; the run must have succeeded.
pub fn successful_text(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "logstats failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// What `logstats state PATH` says of a state, which must be readable.
pub fn state_description(path: &Path) -> String {
    successful_text(&logstats().arg("state").arg(path).output().unwrap())
}

/// The report without what legitimately differs between runs over the same
/// log text read different ways: the input names.
pub fn without_paths(mut v: Value) -> Value {
    for input in v["inputs"].as_array_mut().unwrap() {
        input["path"] = Value::Null;
    }
    for s in v["malformed_samples"].as_array_mut().unwrap() {
        s["path"] = Value::Null;
    }
    v
}

/// Asserts that every field of `expected` is in `actual` with that value
/// (arrays must match in length); fields `expected` lacks are not checked.
pub fn assert_subset(expected: &Value, actual: &Value, at: &str) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                let got = a.get(k).unwrap_or_else(|| panic!("{at}.{k}: missing"));
                assert_subset(v, got, &format!("{at}.{k}"));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            assert_eq!(e.len(), a.len(), "{at}: length");
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                assert_subset(x, y, &format!("{at}[{i}]"));
            }
        }
        (Value::Number(e), Value::Number(a)) if e.is_f64() || a.is_f64() => {
            let (e, a) = (e.as_f64().unwrap(), a.as_f64().unwrap());
            assert!(
                (e - a).abs() <= 1e-12 * e.abs().max(1.0),
                "{at}: expected {e}, got {a}"
            );
        }
        _ => assert_eq!(expected, actual, "{at}"),
    }
}

/// `bytes` gzip-compressed as `members` gzip members, as logrotate with
/// `delaycompress` and appends can leave them.
pub fn gzip(bytes: &[u8], members: usize) -> Vec<u8> {
    use std::io::Write;
    let mut out = Vec::new();
    let step = bytes.len().div_ceil(members.max(1)).max(1);
    for part in bytes.chunks(step) {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(part).unwrap();
        out.extend(enc.finish().unwrap());
    }
    out
}

/// Every client address of a log as written in it (and in its canonical
/// spelling), and the first field of lines that are no log line, when it
/// is an address and the layout starts with the client; and the canonical
/// addresses of parsed lines alone.
pub fn client_addresses(
    text: &[u8],
) -> (
    std::collections::BTreeSet<String>,
    std::collections::BTreeSet<String>,
) {
    let (format, _) = logstats::parse::detect(text);
    let mut out = std::collections::BTreeSet::new();
    let mut parsed = std::collections::BTreeSet::new();
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let field = match format.parse(line) {
            Some(l) => {
                if let Some(ip) = logstats::enrich::geoip::client_ip(l.client) {
                    parsed.insert(ip.to_string());
                }
                l.client
            }
            // In vcombined the first field is the server's virtual host.
            None if format == logstats::parse::Format::VCombined => continue,
            None => line.split(|&b| b == b' ').next().unwrap_or_default(),
        };
        if let Some(ip) = logstats::enrich::geoip::client_ip(field) {
            out.insert(ip.to_string());
            for token in String::from_utf8_lossy(field).split([',', ' ', '"']) {
                if token.parse::<std::net::IpAddr>().is_ok() {
                    out.insert(token.to_string());
                }
            }
        }
    }
    (out, parsed)
}

/// Whether `addr` occurs in `text` as a whole token (not inside a longer
/// run of address characters), as `grep -w` would find it.
pub fn occurs(text: &str, addr: &str) -> bool {
    let is_addr = |c: char| c.is_ascii_hexdigit() || c == '.' || c == ':';
    text.match_indices(addr).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + addr.len()..].chars().next();
        !before.is_some_and(is_addr) && !after.is_some_and(is_addr)
    })
}

/// The first of `names` found on `PATH`.
pub fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// Whether a test may run, given whether the outside `tool` it needs was
/// `found`. Missing, the test fails under CI (where `.ci/run` installs it
/// with `install`) and is skipped elsewhere, with a line saying so.
pub fn present_or_skip(found: bool, tool: &str, install: &str) -> bool {
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} not found, and CI is set: .ci/run installs it ({install})"
        );
        eprintln!("skipped: {install} ({tool} not found)");
    }
    found
}
