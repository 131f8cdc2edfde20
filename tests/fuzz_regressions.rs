//! Replays the inputs kept from fuzzing (`tests/fuzz-regressions/<target>/`,
//! one file an input) through the same code as the fuzz target of that
//! name (`fuzz/fuzz_targets/<target>.rs`): none may panic. See "Fuzzing"
//! in the README.

mod fuzz_harness;

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: no inputs", dir.display());
    for file in files {
        let data = std::fs::read(&file).unwrap();
        if std::panic::catch_unwind(|| run(&data)).is_err() {
            panic!("{} panics", file.display());
        }
    }
}

#[test]
fn parse_line_inputs() {
    replay("parse_line", fuzz_harness::parse_line);
}

#[test]
fn log_format_inputs() {
    replay("log_format", fuzz_harness::log_format);
}

#[test]
fn log_time_inputs() {
    replay("log_time", fuzz_harness::log_time);
}
