//! What each fuzz target does with its input, shared by the targets in
//! `fuzz/fuzz_targets/` and by `tests/fuzz_regressions.rs`, which replays
//! the inputs kept in `tests/fuzz-regressions/<target>/`. Each function
//! must not panic, whatever the bytes.

// Each fuzz target uses one of the functions.
#![allow(dead_code)]

use logstats::input::lines::MarkedLines;
use logstats::parse::{check_fit, parse_log_time, time::parse_epoch, Format, LogLine};

/// Reads every field of a parsed line, decoding the quoted ones, so that
/// any lazy work on them runs too.
fn touch(line: &LogLine<'_>) {
    use std::hint::black_box;
    black_box((line.client, line.user, line.vhost));
    let request = &line.request;
    black_box((request.method(), request.target(), request.path()));
    black_box((request.query(), request.protocol(), request.is_valid()));
    black_box(line.referer.map(|q| q.text()));
    black_box(line.user_agent.map(|q| q.text()));
    black_box((line.status, line.bytes, line.response_time_us, line.time));
}

/// `parse_line`: the input as one line, in every predefined format; then
/// cut into lines as a scan cuts them, each parsed with its quotes taken
/// from the marks, which must give what searching for them gives (a
/// failed assertion is a crash to the fuzzer).
pub fn parse_line(data: &[u8]) {
    for format in Format::ALL {
        if let Some(line) = format.parse(data) {
            touch(&line);
        }
    }
    let mut cut = MarkedLines::new(data);
    while let Some(line) = cut.next_line() {
        let Some(quotes) = line.quotes else {
            continue;
        };
        for format in Format::ALL.into_iter().filter(|f| f.uses_quote_marks()) {
            let marked = format.parse_with(line.text, &mut { quotes });
            let searched = format.parse(line.text);
            assert_eq!(marked, searched, "{format}");
            if let (Some(m), Some(s)) = (marked, searched) {
                assert_eq!(m.request.path(), s.request.path(), "{format}");
                touch(&m);
            }
        }
    }
}

/// `log_format`: the first line of the input is a `--log-format` value
/// (read as UTF-8, lossily), the rest are log lines read with it.
pub fn log_format(data: &[u8]) {
    let (pattern, text) = match data.iter().position(|&b| b == b'\n') {
        Some(nl) => (&data[..nl], &data[nl + 1..]),
        None => (data, &b""[..]),
    };
    let pattern = String::from_utf8_lossy(pattern);
    let Ok(format) = Format::from_arg(&pattern) else {
        return;
    };
    for line in text.split(|&b| b == b'\n') {
        if let Some(parsed) = format.parse(line) {
            touch(&parsed);
        }
        if let Format::Custom(p) = format {
            std::hint::black_box(p.mismatch(line));
        }
    }
    std::hint::black_box(check_fit(text, format, true).err());
    std::hint::black_box(check_fit(text, format, false).err());
    if let Format::Custom(p) = format {
        // `from_arg` leaks the compiled pattern on purpose (it lives as long
        // as a run); here one is compiled per input, so it is given back.
        // SAFETY: `p` came from `Box::leak` in `Format::from_arg`, and
        // nothing holds `format` any more.
        drop(unsafe { Box::from_raw(std::ptr::from_ref(p).cast_mut()) });
    }
}

/// `log_time`: the input as a timestamp, bracketed and epoch.
pub fn log_time(data: &[u8]) {
    std::hint::black_box(parse_log_time(data));
    std::hint::black_box(parse_epoch(data));
}
