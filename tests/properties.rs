//! Properties of any log, checked on random ones: the report (its
//! Prometheus figures included) does not depend on how the text is cut
//! into chunks, on the number of threads or on mapping versus reading, and
//! every line lands in exactly one bucket (SPEC §1).

use std::path::Path;
use std::time::{Duration, SystemTime};

use logstats::filter::{parse_glob, FilterSpec};
use logstats::goals::{FunnelDef, GoalDef, GoalSet};
use logstats::input::InputPath;
use logstats::{run_report, RunOptions};
use proptest::prelude::*;
use serde_json::Value;

/// Lines a log is made of: good ones of several clients, pages and
/// statuses, and the broken kinds found in real logs.
fn a_line() -> impl Strategy<Value = String> {
    let good = (0u8..4, 0u32..120, 0usize..4, 0usize..3, any::<bool>()).prop_map(
        |(ip, second, path, status, crlf)| {
            let path = ["/", "/a/page", "/b.css", "/a/other?q=1"][path];
            let status = [200, 404, 500][status];
            format!(
                "10.0.0.{ip} - - [01/May/2024:10:{:02}:{:02} +0200] \"GET {path} HTTP/1.1\" {status} 10 \"-\" \"Mozilla/5.0 Firefox/125.0\"{}",
                second / 60,
                second % 60,
                if crlf { "\r" } else { "" }
            )
        },
    );
    let broken = prop_oneof![
        Just(String::new()),
        Just("   \t".to_string()),
        Just("garbage".to_string()),
        Just("10.0.0.1 - - [01/May/2024:10:00:00 +0200] \"GET /cut".to_string()),
        Just(
            "10.0.0.1 - - [99/Xyz/2024:10:00:00 +0200] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\""
                .to_string()
        ),
        Just("\0\u{1b}[31m\u{202e}".to_string()),
    ];
    prop_oneof![3 => good, 1 => broken]
}

fn a_log() -> impl Strategy<Value = (Vec<String>, bool)> {
    (proptest::collection::vec(a_line(), 0..60), any::<bool>())
}

fn report(path: &Path, threads: usize, chunk_bytes: usize, mmap: bool) -> Value {
    let opts = RunOptions {
        inputs: vec![InputPath::File(path.to_path_buf())],
        chunk_bytes,
        mmap,
        now: Some(1_714_600_000),
        metrics: true,
        filters: FilterSpec {
            include_path: vec![parse_glob("/a/*").unwrap()],
            ..FilterSpec::default()
        },
        // Goal hits are recorded per chunk and merged too.
        goals: GoalSet::build(
            vec![GoalDef::from_flag("page=/a/page").unwrap()],
            vec![FunnelDef::from_flag("f=/a/*,page,/a/other 2xx").unwrap()],
        )
        .unwrap(),
        ..RunOptions::default()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let outcome = pool.install(|| run_report(&opts)).unwrap();
    assert!(!outcome.partial);
    let mut value = serde_json::to_value(&outcome.report).unwrap();
    // The Prometheus figures too: their cross-tab is merged from chunks.
    let mut metrics = Vec::new();
    logstats::output::render(
        &outcome.report,
        logstats::output::OutputFormat::Prometheus,
        None,
        &mut metrics,
    )
    .unwrap();
    value["prometheus"] = Value::String(String::from_utf8(metrics).unwrap());
    value
}

proptest! {
    // The saved cases are read from where cargo runs the test (the
    // default looks for a lib.rs or main.rs beside the test, finds none in
    // tests/, and reads nothing).
    #![proptest_config(ProptestConfig {
        cases: 24,
        failure_persistence: Some(Box::new(prop::test_runner::FileFailurePersistence::Direct(
            "tests/properties.proptest-regressions"
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_report_does_not_depend_on_chunks_threads_or_mapping(
        (lines, final_newline) in a_log()
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        // The first line is good, so that the format is found and fits.
        let first = "10.0.0.9 - - [01/May/2024:09:59:00 +0200] \"GET /a/x HTTP/1.1\" 200 5 \"-\" \"curl/8.0\"";
        let mut text = std::iter::once(first.to_string()).chain(lines.iter().cloned()).collect::<Vec<_>>().join("\n");
        if final_newline {
            text.push('\n');
        }
        std::fs::write(&path, &text).unwrap();
        // Fresh: read through the stream.
        let streamed = report(&path, 1, 1 << 20, true);
        let tiny = report(&path, 2, 7, false);
        // Old: mapped.
        std::fs::File::options().write(true).open(&path).unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(3600)).unwrap();
        let mapped = report(&path, 1, 1 << 20, true);
        let mapped_tiny = report(&path, 2, 13, true);
        prop_assert_eq!(&streamed, &mapped);
        prop_assert_eq!(&streamed, &tiny);
        prop_assert_eq!(&streamed, &mapped_tiny);

        let c = &mapped["inputs"][0];
        let n = |k: &str| c[k].as_u64().unwrap();
        // A text ending in a newline (also when the last line drawn is
        // empty and no final newline was asked for) has no line after it.
        let expected_lines = text.split('\n').count() as u64 - u64::from(text.ends_with('\n'));
        prop_assert_eq!(n("lines"), expected_lines);
        prop_assert_eq!(n("lines"), n("parsed") + n("malformed") + n("blank"));
        prop_assert_eq!(n("parsed"), n("kept") + n("filtered"));
        prop_assert_eq!(n("kept"), mapped["summary"]["hits"].as_u64().unwrap());
    }
}
