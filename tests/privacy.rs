//! No client address in any output by default (the privacy promise of the
//! README): the addresses of every corpus log, looked for in the table,
//! JSON and CSV reports of it, are not found; with `--show-ips` they are.

mod common;

use common::{client_addresses, fixture, logstats, occurs, readable_corpus_logs};

fn output(log: &str, args: &[&str]) -> String {
    let out = logstats()
        .args(["report", log, "--top", "0"])
        .args(args)
        .output()
        .unwrap();
    common::successful_text(&out)
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
