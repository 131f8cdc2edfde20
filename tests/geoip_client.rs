//! SPEC §1 "Client" on the client fields of real logs: the first token that
//! is an IP address, else none.

use std::net::IpAddr;
use std::path::Path;

use logstats::enrich::geoip::client_ip;

fn log(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/logs/nginx")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The client field of a Filebeat test line: what comes before ` - - [`,
/// after the virtual host when the layout has one.
fn client_fields(text: &str, with_host: bool) -> Vec<&str> {
    text.lines()
        .map(|line| {
            let end = line.find(" - - [").expect("every test line has ` - - [`");
            let head = &line[..end];
            if with_host {
                head.split_once(' ').expect("host, then client").1
            } else {
                head
            }
        })
        .collect()
}

fn check(fields: &[&str], want: &[(&str, Option<&str>)]) {
    assert_eq!(fields.len(), want.len(), "one expectation per line");
    for (got_field, (field, ip)) in fields.iter().zip(want) {
        assert_eq!(got_field, field, "the table follows the log line by line");
        let want: Option<IpAddr> = ip.map(|s| s.parse().unwrap());
        assert_eq!(client_ip(field.as_bytes()), want, "field {field:?}");
    }
}

#[test]
fn beats_nginx_test_log() {
    let text = log("beats_nginx_test.log");
    check(
        &client_fields(&text, false),
        &[
            ("10.0.0.2, 10.0.0.1, 127.0.0.1", Some("10.0.0.2")),
            ("172.17.0.1", Some("172.17.0.1")),
            ("10.0.0.2, 10.0.0.1, 85.181.35.98", Some("10.0.0.2")),
            ("85.181.35.98", Some("85.181.35.98")),
            (
                "\"10.5.102.222, 199.96.1.1, 204.246.1.1\" 10.2.1.185",
                Some("10.5.102.222"),
            ),
            (
                "2a03:0000:10ff:f00f:0000:0000:0:8000, 10.225.192.17 10.2.2.121",
                Some("2a03:0:10ff:f00f::8000"),
            ),
            ("127.0.0.1", Some("127.0.0.1")),
        ],
    );
}

#[test]
fn beats_nginx_test_with_host_log() {
    let text = log("beats_nginx_test-with-host.log");
    check(
        &client_fields(&text, true),
        &[
            ("10.0.0.2, 10.0.0.1, 127.0.0.1", Some("10.0.0.2")),
            ("172.17.0.1", Some("172.17.0.1")),
            ("10.0.0.2, 10.0.0.1, 81.2.69.143", Some("10.0.0.2")),
            ("81.2.69.143", Some("81.2.69.143")),
            (
                "\"10.5.102.222, 175.16.199.1, 204.246.1.1\" 10.2.1.185",
                Some("10.5.102.222"),
            ),
            (
                "2a02:cf40:10ff:f00f:0000:0000:0:8000, 10.225.192.17 10.2.2.121",
                Some("2a02:cf40:10ff:f00f::8000"),
            ),
            ("127.0.0.1", Some("127.0.0.1")),
            ("unix:", None),
            ("localhost", None),
            ("localhost, localhost", None),
        ],
    );
}

#[test]
fn fields_outside_the_corpus() {
    let cases: &[(&str, Option<&str>)] = &[
        ("-", None),
        ("", None),
        ("::1", Some("::1")),
        // gunicorn on a unix socket, a quoted empty list.
        ("\"\"", None),
        ("\"-\"", None),
        // A forwarded list whose first hop a proxy could not name.
        ("unknown, 81.2.69.143", Some("81.2.69.143")),
        ("localhost, ::1", Some("::1")),
        // Node/morgan on a dual-stack socket.
        ("::ffff:81.2.69.143", Some("81.2.69.143")),
        // Azure Application Gateway's X-Forwarded-For, Go's RemoteAddr.
        ("81.2.69.143:50312, 10.0.0.4", Some("81.2.69.143")),
        ("[2a02:cf40::1]:50312", Some("2a02:cf40::1")),
        ("[2a02:cf40::1]", Some("2a02:cf40::1")),
    ];
    for (field, want) in cases {
        let want: Option<IpAddr> = want.map(|s| s.parse().unwrap());
        assert_eq!(client_ip(field.as_bytes()), want, "field {field:?}");
    }
}
