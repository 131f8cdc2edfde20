//! No client address in any output by default (the privacy promise of the
//! README): the addresses of every corpus log, looked for in the table,
//! JSON and CSV reports of it, are not found; with `--show-ips` they are.

mod common;

use std::collections::BTreeSet;

use common::{fixture, logstats, readable_corpus_logs};
use logstats::enrich::geoip::client_ip;
use logstats::parse::{detect, Format};

/// Every client address of a log as written in it (and in its canonical
/// spelling), and the first field of lines that are no log line, when it
/// is an address and the layout starts with the client; and the canonical
/// addresses of parsed lines alone.
fn client_addresses(text: &[u8]) -> (BTreeSet<String>, BTreeSet<String>) {
    let (format, _) = detect(text);
    let mut out = BTreeSet::new();
    let mut parsed = BTreeSet::new();
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let field = match format.parse(line) {
            Some(l) => {
                if let Some(ip) = client_ip(l.client) {
                    parsed.insert(ip.to_string());
                }
                l.client
            }
            // In vcombined the first field is the server's virtual host.
            None if format == Format::VCombined => continue,
            None => line.split(|&b| b == b' ').next().unwrap_or_default(),
        };
        if let Some(ip) = client_ip(field) {
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
fn occurs(text: &str, addr: &str) -> bool {
    let is_addr = |c: char| c.is_ascii_hexdigit() || c == '.' || c == ':';
    text.match_indices(addr).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + addr.len()..].chars().next();
        !before.is_some_and(is_addr) && !after.is_some_and(is_addr)
    })
}

fn output(log: &str, args: &[&str]) -> String {
    let out = logstats()
        .args(["report", log, "--top", "0"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn no_client_address_in_any_output() {
    let mut logs = readable_corpus_logs();
    logs.push(fixture("access.log"));
    logs.push(fixture("visits-a.log"));
    let mut checked = 0;
    for log in logs {
        let (addresses, parsed) = client_addresses(&std::fs::read(&log).unwrap());
        let p = log.to_str().unwrap();
        for format in [
            &["--format", "table"][..],
            &["--format", "json"],
            &["--format", "csv"],
        ] {
            let text = output(p, &[format, &["--clients"]].concat());
            for addr in &addresses {
                // An address that is its own anonymised form (`a.b.c.0`)
                // is the network every client of it is shown as.
                let ip: std::net::IpAddr = addr.parse().unwrap();
                if logstats::enrich::privacy::anonymize(ip) == ip {
                    continue;
                }
                assert!(!occurs(&text, addr), "{addr} in {p} {format:?}:\n{text}");
                checked += 1;
            }
        }
        // The clients table shows them with --show-ips: the search above
        // would have found them.
        let shown = output(
            p,
            &["--format", "csv", "--section", "clients", "--show-ips"],
        );
        for addr in &parsed {
            assert!(
                occurs(&shown, addr),
                "{addr} not shown by --show-ips in {p}"
            );
        }
    }
    assert!(checked > 1000, "{checked}");
}

#[test]
fn clients_are_grouped_by_anonymised_address() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("clients.log");
    let line = |ip: &str| {
        format!("{ip} - - [01/May/2024:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0\"\n")
    };
    let text: String = [
        "198.51.100.7",
        "198.51.100.9",
        "198.51.100.9",
        "2001:db8:1:2:3:4:5:6",
        "2001:db8:1:ffff::1",
        "203.0.113.1",
    ]
    .iter()
    .map(|ip| line(ip))
    .collect();
    std::fs::write(&log, text).unwrap();
    let csv = output(
        log.to_str().unwrap(),
        &["--format", "csv", "--section", "clients"],
    );
    // 198.51.100.7 and .9 are one /24; the two IPv6 addresses share their
    // first 48 bits.
    assert_eq!(
        csv,
        "client,hits\n198.51.100.0,3\n2001:db8:1::,2\n203.0.113.0,1\n"
    );
    let shown = output(
        log.to_str().unwrap(),
        &["--format", "csv", "--section", "clients", "--show-ips"],
    );
    assert_eq!(
        shown,
        "client,hits\n198.51.100.9,2\n198.51.100.7,1\n2001:db8:1:2:3:4:5:6,1\n2001:db8:1:ffff::1,1\n203.0.113.1,1\n"
    );
}
