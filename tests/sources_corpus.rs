//! The real referrers of ../shared/corpus/logs through `logstats::enrich::sources`:
//! none may panic, every one gives a host or None, and the hosts, channels
//! and search terms checked by eye come out as a reader of the logs expects.

use std::collections::BTreeMap;
use std::path::Path;

use logstats::enrich::sources::{channel, referrer_host, search_term, Channel};

/// The referrer of a combined-style line, as logged: the quoted field that
/// follows `" STATUS BYTES `, whatever stands before the request.
fn referrer(line: &[u8]) -> Option<&[u8]> {
    let mut at = 0;
    while let Some(i) = line[at..].iter().position(|&b| b == b'"') {
        let i = at + i;
        at = i + 1;
        let rest = &line[i + 1..];
        let Some(rest) = rest.strip_prefix(b" ") else {
            continue;
        };
        if rest.len() < 4 || !rest[..3].iter().all(u8::is_ascii_digit) || rest[3] != b' ' {
            continue;
        }
        let rest = &rest[4..];
        let Some(space) = rest.iter().position(|&b| b == b' ') else {
            continue;
        };
        let Some(body) = rest[space + 1..].strip_prefix(b"\"") else {
            continue;
        };
        let mut end = 0;
        while let Some(q) = body[end..].iter().position(|&b| b == b'"') {
            let q = end + q;
            let backslashes = body[..q].iter().rev().take_while(|&&b| b == b'\\').count();
            if backslashes % 2 == 0 {
                return Some(&body[..q]);
            }
            end = q + 1;
        }
    }
    None
}

/// `\xHH`, `\\` and `\"` decoded, as the parser hands referrers on: this
/// turns the corpus's escaped non-ASCII bytes into invalid UTF-8.
fn unescape(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' && i + 1 < raw.len() {
            if matches!(raw[i + 1], b'"' | b'\\') {
                out.push(raw[i + 1]);
                i += 2;
                continue;
            }
            if raw[i + 1] == b'x' && i + 3 < raw.len() {
                if let (Some(h), Some(l)) = (hex(raw[i + 2]), hex(raw[i + 3])) {
                    out.push(h << 4 | l);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

/// Every referrer of every corpus log, as logged.
fn corpus_referrers() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/logs");
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).expect("../shared/corpus/logs beside the repository") {
        for file in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            files.push(file.unwrap().path());
        }
    }
    files.sort();
    let mut referrers = Vec::new();
    for file in files {
        let text = std::fs::read(&file).unwrap();
        for line in text.split(|&b| b == b'\n') {
            if let Some(r) = referrer(line) {
                referrers.push(r.to_vec());
            }
        }
    }
    referrers
}

#[test]
fn every_corpus_referrer_gives_a_host_or_none() {
    let referrers = corpus_referrers();
    assert!(referrers.len() > 10_000, "found {}", referrers.len());
    let mut hosts: BTreeMap<String, u64> = BTreeMap::new();
    let mut none = 0;
    for raw in &referrers {
        for r in [raw.clone(), unescape(raw)] {
            match referrer_host(&r) {
                Some(host) => {
                    assert!(!host.is_empty());
                    assert_eq!(host, host.to_lowercase());
                    assert!(!host.starts_with("www."), "{host}");
                    assert!(!host.contains(['/', '?', '#', '@']), "{host}");
                    // Whatever the host, the other functions take it.
                    let _ = channel(None, Some(&host));
                    let _ = search_term(&r, &host);
                    *hosts.entry(host).or_default() += 1;
                }
                None => {
                    none += 1;
                    // Only `-` and empty referrers lack a host in this
                    // corpus: every other one is an absolute http(s) URL.
                    assert!(r.is_empty() || r == b"-", "{}", String::from_utf8_lossy(&r));
                }
            }
        }
    }
    assert!(none > 0);
    // Checked by eye against the logs.
    for (host, min) in [
        ("semicomplete.com", 1000),
        ("google.com", 100),
        ("google.de", 10),
        ("google.co.uk", 10),
        ("stackoverflow.com", 10),
        ("r.duckduckgo.com", 1),
        ("t.co", 1),
        ("localhost", 2),
        ("s-chassis.co.nz", 1),
        ("lessons.example.com", 1),
    ] {
        let n = hosts.get(host).copied().unwrap_or(0);
        assert!(n >= min, "{host}: {n} < {min}");
    }
    for absent in ["www.semicomplete.com", "www.google.com", "localhost:8080"] {
        assert!(!hosts.contains_key(absent), "{absent}");
    }
}

#[test]
fn corpus_channels_and_search_terms_by_eye() {
    let referrers = corpus_referrers();
    let find = |needle: &str| {
        referrers
            .iter()
            .find(|r| r.starts_with(needle.as_bytes()))
            .unwrap_or_else(|| panic!("no referrer starts with {needle}"))
            .clone()
    };
    let cases: [(&str, &str, Channel, Option<&str>); 9] = [
        (
            "http://www.bing.com/search?q=xdotool",
            "bing.com",
            Channel::Search,
            Some("xdotool"),
        ),
        (
            "http://www.bing.com/search?q=http+vs+https+latency",
            "bing.com",
            Channel::Search,
            Some("http vs https latency"),
        ),
        (
            "http://www.baidu.com/s?ie=utf-8&bs=60.191.124.236",
            "baidu.com",
            Channel::Search,
            Some("tsig error with server: tsig indicates error"),
        ),
        (
            "http://www.google.ca/search?client=safari",
            "google.ca",
            Channel::Search,
            Some("rage face"),
        ),
        // Google's result redirect sends an empty `q`.
        (
            "http://www.google.at/url?sa=t",
            "google.at",
            Channel::Search,
            None,
        ),
        // Not `yandex.` at the start: a referral by the letter of rule 3.
        (
            "http://images.yandex.ru/yandsearch",
            "images.yandex.ru",
            Channel::Referral,
            None,
        ),
        ("http://t.co/", "t.co", Channel::Social, None),
        (
            "http://stackoverflow.com/",
            "stackoverflow.com",
            Channel::Referral,
            None,
        ),
        (
            "http://www.semicomplete.com/",
            "semicomplete.com",
            Channel::Referral,
            None,
        ),
    ];
    for (prefix, want_host, want_channel, want_term) in cases {
        let r = find(prefix);
        let host = referrer_host(&r).unwrap();
        assert_eq!(host, want_host, "{prefix}");
        assert_eq!(channel(None, Some(&host)), want_channel, "{prefix}");
        assert_eq!(search_term(&r, &host).as_deref(), want_term, "{prefix}");
    }
}
