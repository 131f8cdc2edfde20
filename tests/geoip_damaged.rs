//! A GeoIP database that opens but is damaged where some lookups go: the
//! run goes on, those clients have no country, and one warning says so.

mod common;

use std::path::{Path, PathBuf};

use common::{logstats, successful_json};

fn geo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/geo/maxmind-test")
        .join(rel)
}

/// One page view from each client, a minute apart.
fn log_of(dir: &Path, clients: &[&str]) -> PathBuf {
    let text: String = clients
        .iter()
        .enumerate()
        .map(|(i, client)| {
            format!(
                "{client} - - [01/May/2024:10:0{i}:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \
                 \"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0\"\n"
            )
        })
        .collect();
    let path = dir.join("access.log");
    std::fs::write(&path, text).unwrap();
    path
}

fn report(log: &Path, db: &Path, format: &str) -> std::process::Output {
    logstats()
        .args(["report", "--format", format, "--geoip"])
        .args([db, log])
        .output()
        .unwrap()
}

/// In MaxMind's broken-pointers test database, 1.1.1.16 leads to a record
/// pointer past the end of the data section and 1.1.1.32 to a search-tree
/// pointer past the data; 1.1.1.1 and 1.1.1.2 have records (without a
/// country).
#[test]
fn failed_lookups_are_counted_and_named_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_of(dir.path(), &["1.1.1.1", "1.1.1.16", "1.1.1.32", "1.1.1.2"]);
    let db = geo("MaxMind-DB-test-broken-pointers-24.mmdb");
    let out = report(&log, &db, "json");
    let r = successful_json(&out);
    assert_eq!(r["geoip"]["lookup_errors"], 2);
    assert_eq!(r["geoip"]["database"], db.to_str().unwrap());
    // The run went on: every client counted, none with a country.
    assert_eq!(r["summary"]["visitors"], 4);
    assert_eq!(r["countries"][0]["country"], "unknown");
    assert_eq!(r["countries"][0]["visitors"], 4);

    let stderr = String::from_utf8(out.stderr).unwrap();
    let warnings: Vec<&str> = stderr.lines().collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    let w = warnings[0];
    assert!(w.starts_with("logstats: warning: "), "{w}");
    assert!(w.contains(db.to_str().unwrap()), "names the file: {w}");
    assert!(w.contains(" 2 "), "says how many: {w}");
    assert!(w.contains("damaged") && w.contains("download"), "{w}");

    // Table output: the same warning, the report still printed.
    let out = report(&log, &db, "table");
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stderr).unwrap(), stderr);
    assert!(String::from_utf8(out.stdout).unwrap().contains("unknown"));
}

/// An address written two ways is one failed address; a sound database
/// has no errors and gives no warning.
#[test]
fn lookups_of_a_sound_database_report_none() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_of(dir.path(), &["1.1.1.16", "::ffff:1.1.1.16", "1.1.1.3"]);
    let out = report(
        &log,
        &geo("MaxMind-DB-test-broken-pointers-24.mmdb"),
        "json",
    );
    assert_eq!(successful_json(&out)["geoip"]["lookup_errors"], 1);

    let log = log_of(dir.path(), &["81.2.69.143", "1.1.1.16", "10.0.0.1"]);
    let out = report(&log, &geo("GeoLite2-Country-Test.mmdb"), "json");
    let r = successful_json(&out);
    assert_eq!(r["geoip"]["lookup_errors"], 0);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 81.2.69.143 is in GB in MaxMind's test data; the others in no network.
    assert_eq!(r["countries"][0]["country"], "unknown");
    assert_eq!(r["countries"][0]["visitors"], 2);
    assert_eq!(r["countries"][1]["country"], "GB");
}

/// Only damage is a failure: an address in no network, a record without a
/// country, or an IPv6 address asked of an IPv4-only database is none.
#[test]
fn failures_are_told_from_addresses_without_a_country() {
    use logstats::enrich::geoip::{open_with_env, CountryCache, LookupFailed};
    let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
    let broken = open_with_env(Some(&geo("MaxMind-DB-test-broken-pointers-24.mmdb")), None)
        .unwrap()
        .unwrap();
    let mut cache = CountryCache::default();
    for (addr, want) in [
        ("1.1.1.16", Err(LookupFailed)),
        ("1.1.1.32", Err(LookupFailed)),
        ("1.1.1.1", Ok(None)),
        ("1.1.1.2", Ok(None)),
        ("1.1.1.64", Ok(None)),
        ("2001:db8::1", Ok(None)),
        // Again, from the cache this time.
        ("1.1.1.16", Err(LookupFailed)),
    ] {
        assert_eq!(broken.try_country(ip(addr)), want, "{addr}");
        assert_eq!(
            broken.try_country_cached(ip(addr), &mut cache),
            want,
            "{addr}"
        );
        assert_eq!(broken.country(ip(addr)), None, "{addr}");
    }
    let sound = open_with_env(Some(&geo("GeoLite2-Country-Test.mmdb")), None)
        .unwrap()
        .unwrap();
    assert_eq!(sound.try_country(ip("81.2.69.143")), Ok(Some("GB")));
    assert_eq!(sound.try_country(ip("10.0.0.1")), Ok(None));
}

#[test]
fn one_failed_address_is_said_in_the_singular() {
    let w = logstats::enrich::geoip::lookup_warning("/x/GeoLite2-Country.mmdb", 1).unwrap();
    assert_eq!(
        w,
        "GeoIP database '/x/GeoLite2-Country.mmdb': the lookup of 1 client address failed, so it \
         is counted as unknown; the file looks damaged: download it again"
    );
    assert_eq!(
        logstats::enrich::geoip::lookup_warning("/x/db.mmdb", 0),
        None
    );
}
