//! Throughput of each stage of the pipeline, in bytes of log per second.
//!
//! Input: the real Apache log of the shared corpus, repeated to 8 MB (it
//! must be beside the repository, as for the tests). Run `cargo bench`;
//! for the whole program on a generated gigabyte, see the README.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use logstats::aggregate::{Figures, Record};
use logstats::input::chunk::split_lines_evenly;
use logstats::input::lines::{MarkedLines, PlainLines};
use logstats::parse::Format;
use logstats::report::{build, ReportOptions};
use logstats::scan::{scan_slice, ScanOptions, Scanned, ScannedInput};

fn corpus_log() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/logs/apache/elastic_apache_logs.log");
    let one = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = Vec::with_capacity(8 << 20);
    while text.len() < 8 << 20 {
        text.extend_from_slice(&one);
    }
    text
}

fn stages(c: &mut Criterion) {
    let text = corpus_log();
    let lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut g = c.benchmark_group("stages");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(20);

    g.bench_function("chunking", |b| {
        b.iter(|| split_lines_evenly(black_box(&text), 1 << 20).len())
    });
    for format in [Format::Combined, Format::Common] {
        g.bench_function(format!("parse {format}"), |b| {
            b.iter(|| lines.iter().filter(|l| format.parse(l).is_some()).count())
        });
    }
    // Lines cut and parsed the way a scan does: every quote searched for
    // in turn, or taken from the marks of one pass over the text.
    g.bench_function("cut + parse combined, searched", |b| {
        b.iter(|| {
            let mut cut = PlainLines::new(black_box(&text));
            let mut n = 0;
            while let Some(line) = cut.next_line() {
                n += usize::from(Format::Combined.parse(line.text).is_some());
            }
            n
        })
    });
    g.bench_function("cut + parse combined, marked", |b| {
        b.iter(|| {
            let mut cut = MarkedLines::new(black_box(&text));
            let mut n = 0;
            while let Some(line) = cut.next_line() {
                let parsed = match line.quotes {
                    Some(mut quotes) => Format::Combined.parse_with(line.text, &mut quotes),
                    None => Format::Combined.parse(line.text),
                };
                n += usize::from(parsed.is_some());
            }
            n
        })
    });
    let parsed: Vec<_> = lines
        .iter()
        .filter_map(|l| Format::Combined.parse(l))
        .collect();
    g.bench_function("aggregation", |b| {
        b.iter(|| {
            let mut f = Figures::default();
            let mut views = f.chunk_views(0);
            for line in &parsed {
                let record = Record {
                    visits: true,
                    tallies: true,
                    clients: false,
                    client_ids: false,
                    metrics: false,
                    goals: None,
                };
                f.add(line, &mut views, record);
            }
            f.flush_chunk(views);
            f.total.hits
        })
    });
    let opts = ScanOptions {
        format: Format::Combined,
        chunk_base: 0,
        visits: true,
        tallies: true,
        clients: false,
        metrics: false,
        goals: None,
        chunk_bytes: 1 << 20,
        strict: false,
        progress: None,
        filter: None,
        days: None,
        line_ids: false,
        facts: None,
    };
    g.bench_function("scan (parse + aggregate, parallel)", |b| {
        b.iter(|| scan_slice(black_box(&text), &opts).counts.kept)
    });
    let scanned = scan_slice(&text, &opts);
    g.bench_function("visits (sessions, sources, enrichment)", |b| {
        b.iter(|| {
            let zone = logstats::enrich::zone::ReportZone::UTC;
            let visit_opts = logstats::visits::VisitOptions {
                zone: &zone,
                bucket: logstats::enrich::zone::Bucket::Day,
                sites: &[],
                geo: None,
                observer: None,
                metrics: false,
                goals: None,
                tallies: true,
                incidents: logstats::visits::marks::Spans::default(),
            };
            let mut figures = scanned.figures.clone();
            let views = std::mem::take(&mut figures.views);
            logstats::visits::compute(&figures, views, &visit_opts).visits
        })
    });
    g.bench_function("report + json", |b| {
        b.iter(|| report_json(scan_slice(&text, &opts)))
    });
    // The same log with every request's path made its own (a log of
    // scanners, or of ids in paths): the report's work grows with the
    // number of paths, and must stay in proportion.
    // Only the report is timed: the scan is done for each run beforehand.
    let distinct = with_distinct_paths(&text);
    g.bench_function("report + json, every path distinct", |b| {
        let scan = || scan_slice(&distinct, &opts);
        b.iter_batched(scan, report_json, BatchSize::LargeInput)
    });
    g.finish();
}

/// The full report of one scanned combined log, written as JSON: its
/// length.
fn report_json(scanned: Scanned) -> usize {
    let input = ScannedInput {
        path: "bench".into(),
        format: Format::Combined,
        scanned,
    };
    let report = build(
        vec![input],
        &ReportOptions {
            top: 10,
            zone: None,
            sites: &[],
            geo: None,
            visits: true,
            show_ips: false,
            clients: false,
            metrics: false,
            goals: None,
        },
    );
    let mut out = Vec::new();
    logstats::output::json::write(&report, &mut out).unwrap();
    out.len()
}

/// `text` with `/u` and the line's number appended to each request's
/// target, before ` HTTP/`.
fn with_distinct_paths(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 20);
    for (i, line) in text.split_inclusive(|&b| b == b'\n').enumerate() {
        match line.windows(6).position(|w| w == b" HTTP/") {
            Some(at) => {
                out.extend_from_slice(&line[..at]);
                out.extend_from_slice(format!("/u{i}").as_bytes());
                out.extend_from_slice(&line[at..]);
            }
            None => out.extend_from_slice(line),
        }
    }
    out
}

/// User agents are classified once per distinct agent, at the end of a
/// run; this is what each costs, on 1,600 real agents of the uap-core set.
fn agents(c: &mut Criterion) {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/ua/uap-core/test_ua.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let agents: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- user_agent_string: "))
        .map(|v| v.trim_matches(|c| c == '\'' || c == '"').to_string())
        .collect();
    let mut g = c.benchmark_group("agents");
    g.throughput(Throughput::Elements(agents.len() as u64));
    g.sample_size(10);
    g.bench_function("classify (woothee + bot rules)", |b| {
        b.iter(|| {
            agents
                .iter()
                .filter(|a| logstats::enrich::classify::classify_agent(a.as_bytes()).is_bot)
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, stages, agents);
criterion_main!(benches);
