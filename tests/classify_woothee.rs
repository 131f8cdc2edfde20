//! Checks `classify_agent` against Project Woothee's shared test sets, read in
//! place from the corpus next to the repository (they are not ours to copy).
//!
//! The files are a narrow, regular subset of YAML: a list of flat mappings,
//! each opened by `- target: ...`, with scalar values that are plain,
//! single-quoted or `~`. A dozen lines of parsing cover it without a YAML
//! dependency; anything outside that subset fails the test loudly rather than
//! being skipped.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use logstats::enrich::classify::classify_agent;

struct Entry {
    file: String,
    line: usize,
    /// `None` for YAML `~`.
    target: Option<String>,
    fields: HashMap<String, String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/ua/woothee")
}

/// One YAML scalar: `'...'` with `''` for a quote, `"..."` without escapes
/// (none occur), `~` as null, anything else plain.
fn scalar(raw: &str, file: &str, line: usize) -> Option<String> {
    let raw = raw.trim();
    if raw == "~" {
        return None;
    }
    if let Some(inner) = raw.strip_prefix('\'') {
        let inner = inner
            .strip_suffix('\'')
            .unwrap_or_else(|| panic!("{file}:{line}: unterminated quote"));
        return Some(inner.replace("''", "'"));
    }
    if let Some(inner) = raw.strip_prefix('"') {
        let inner = inner
            .strip_suffix('"')
            .unwrap_or_else(|| panic!("{file}:{line}: unterminated quote"));
        assert!(!inner.contains('\\'), "{file}:{line}: escapes not handled");
        return Some(inner.to_owned());
    }
    Some(raw.to_owned())
}

fn parse_file(path: &Path) -> Vec<Entry> {
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let text = fs::read_to_string(path).unwrap();
    let mut entries: Vec<Entry> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("- target:") {
            entries.push(Entry {
                file: file.clone(),
                line: n,
                target: scalar(rest, &file, n),
                fields: HashMap::new(),
            });
        } else if let Some(rest) = line.strip_prefix("  ") {
            let (key, value) = rest
                .split_once(':')
                .unwrap_or_else(|| panic!("{file}:{n}: not `key: value`: {line}"));
            let entry = entries
                .last_mut()
                .unwrap_or_else(|| panic!("{file}:{n}: field before any target"));
            let value = scalar(value, &file, n).unwrap_or_else(|| "~".to_owned());
            entry.fields.insert(key.trim().to_owned(), value);
        } else {
            panic!("{file}:{n}: unexpected line: {line}");
        }
    }
    entries
}

fn all_entries() -> Vec<Entry> {
    let dir = corpus_dir();
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no test sets in {}", dir.display());
    paths.iter().flat_map(|p| parse_file(p)).collect()
}

#[test]
fn woothee_test_sets_match() {
    let entries = all_entries();
    let mut failures = Vec::new();
    let (mut checked, mut os_checked, mut crawler_files) = (0, 0, 0);
    for e in &entries {
        let info = classify_agent(e.target.as_deref().unwrap_or("").as_bytes());
        let mut expect = |key: &str, got: &str| {
            // The test sets leave out keys they do not pin down (a few omit
            // `os`); woothee's own runners skip those, and so do we.
            if let Some(want) = e.fields.get(key) {
                if want != got {
                    failures.push(format!(
                        "{}:{} {:?}: {key} = {got:?}, want {want:?}",
                        e.file, e.line, e.target
                    ));
                }
                true
            } else {
                false
            }
        };
        assert!(
            expect("category", &info.device),
            "{}:{}: no category",
            e.file,
            e.line
        );
        assert!(
            expect("name", &info.browser),
            "{}:{}: no name",
            e.file,
            e.line
        );
        if expect("os", &info.os) {
            os_checked += 1;
        }
        if e.file.starts_with("crawler") {
            crawler_files += 1;
            if !info.is_bot {
                failures.push(format!("{}:{} {:?}: not a bot", e.file, e.line, e.target));
            }
        }
        checked += 1;
    }
    eprintln!(
        "woothee test sets: {checked} entries checked (category and name on all, os on {os_checked}), {crawler_files} crawler entries checked as bots"
    );
    // Guards against the parser silently reading nothing: the corpus held
    // 253 entries when this was written.
    assert!(checked >= 250, "only {checked} entries read");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn blank_test_set_is_bot_with_empty_name() {
    // `blank.yaml` holds the three spellings of "no agent": '', ~ and '-'.
    let path = corpus_dir().join("blank.yaml");
    let entries = parse_file(&path);
    assert_eq!(entries.len(), 3);
    for e in entries {
        let info = classify_agent(e.target.as_deref().unwrap_or("").as_bytes());
        assert!(info.is_bot, "{:?}", e.target);
        assert_eq!(info.bot_name.as_deref(), Some("(empty)"), "{:?}", e.target);
    }
}
