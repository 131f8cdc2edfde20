//! SPEC §5 country: both record layouts, the lookup order's errors, and
//! databases that are broken, of the wrong kind, or not databases at all.

use std::ffi::OsString;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use logstats::enrich::geoip::{open_with_env, CountryCache, GeoDb, GeoError};
use serde_json::Value;

fn geo(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/geo")
        .join(rel);
    assert!(p.exists(), "corpus file missing: {}", p.display());
    p
}

fn open(rel: &str) -> GeoDb {
    let p = geo(rel);
    match open_with_env(Some(&p), None) {
        Ok(Some(db)) => db,
        Ok(None) => panic!("{}: no database", p.display()),
        Err(e) => panic!("{e}"),
    }
}

fn open_err(path: &Path) -> GeoError {
    match open_with_env(Some(path), None) {
        Ok(_) => panic!("{} opened", path.display()),
        Err(e) => e,
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// The first and last address of a network written `a.b.c.d/n` or `x::/n`.
fn ends(network: &str) -> (IpAddr, IpAddr) {
    let (addr, len) = network.split_once('/').unwrap();
    let len: u32 = len.parse().unwrap();
    match ip(addr) {
        IpAddr::V4(a) => {
            let host = u32::MAX.checked_shr(len).unwrap_or(0);
            let first = u32::from(a) & !host;
            (IpAddr::V4(first.into()), IpAddr::V4((first | host).into()))
        }
        IpAddr::V6(a) => {
            let host = u128::MAX.checked_shr(len).unwrap_or(0);
            let first = u128::from(a) & !host;
            (IpAddr::V6(first.into()), IpAddr::V6((first | host).into()))
        }
    }
}

/// Every network of MaxMind's GeoLite2-Country test database, at both of
/// its ends, against the JSON it was built from.
#[test]
fn maxmind_layout_matches_its_source_json() {
    let db = open("maxmind-test/GeoLite2-Country-Test.mmdb");
    let source = std::fs::read(geo("maxmind-test/GeoLite2-Country-Test.json")).unwrap();
    let source: Value = serde_json::from_slice(&source).unwrap();
    let mut checked = 0;
    let mut without_country = 0;
    // One cache across every lookup: a record decoded for one network must
    // not answer for another's.
    let mut cache = CountryCache::default();
    for entry in source.as_array().unwrap() {
        for (network, record) in entry.as_object().unwrap() {
            let want = record["country"]["iso_code"].as_str().map(str::to_owned);
            without_country += usize::from(want.is_none());
            let (first, last) = ends(network);
            assert_eq!(db.country(first), want.as_deref(), "{network} first");
            assert_eq!(db.country(last), want.as_deref(), "{network} last");
            let cached = db.country_cached(last, &mut cache);
            assert_eq!(cached, want.as_deref(), "{network} cached");
            checked += 1;
        }
    }
    assert!(checked > 200, "{checked} networks");
    assert!(
        without_country > 0,
        "records with only a continent are covered"
    );
}

#[test]
fn maxmind_layout_known_addresses() {
    let db = open("maxmind-test/GeoLite2-Country-Test.mmdb");
    assert_eq!(db.database_type(), "GeoLite2-Country");
    // 81.2.69.142/31; its registered_country is US, which must not leak.
    assert_eq!(db.country(ip("81.2.69.143")), Some("GB"));
    // 2.125.160.216/29: GB located, FR registered.
    assert_eq!(db.country(ip("2.125.160.217")), Some("GB"));
    assert_eq!(db.country(ip("2a02:cf40::1")), Some("NO"));
    assert_eq!(db.country(ip("2001:218::1")), Some("JP"));
    // 2a02:d500::/29 has a continent and no country.
    assert_eq!(db.country(ip("2a02:d500::1")), None);
    // Not in the database.
    assert_eq!(db.country(ip("10.0.0.1")), None);
    assert_eq!(db.country(ip("127.0.0.1")), None);
    assert_eq!(db.country(ip("::1")), None);
}

/// The City databases hold `country.iso_code` too.
#[test]
fn city_databases_give_countries() {
    let db = open("maxmind-test/GeoIP2-City-Test.mmdb");
    assert_eq!(db.country(ip("81.2.69.160")), Some("GB"));
    assert_eq!(db.country(ip("175.16.199.1")), Some("CN"));
    let db = open("maxmind-test/GeoLite2-City-Test.mmdb");
    assert_eq!(db.country(ip("175.16.199.1")), Some("CN"));
}

#[test]
fn dbip_layout() {
    let db = open("dbip/dbip-country.mmdb");
    assert_eq!(db.path(), geo("dbip/dbip-country.mmdb"));
    for (addr, want) in [
        ("8.8.8.8", "US"),
        ("77.179.66.156", "DE"),
        ("81.2.69.143", "GB"),
        ("2001:638::1", "DE"),
        ("2a01:4f8::1", "DE"),
    ] {
        assert_eq!(db.country(ip(addr)), Some(want), "{addr}");
    }
    assert_eq!(db.country(ip("10.0.0.1")), None);
    assert_eq!(db.country(ip("::1")), None);
    // The same with one cache, each country twice and in turn with others.
    let mut cache = CountryCache::default();
    for (addr, want) in [
        ("8.8.8.8", Some("US")),
        ("77.179.66.156", Some("DE")),
        ("10.0.0.1", None),
        ("8.8.4.4", Some("US")),
        ("81.2.69.143", Some("GB")),
        ("2a01:4f8::1", Some("DE")),
        ("::1", None),
        ("81.2.69.143", Some("GB")),
    ] {
        assert_eq!(db.country_cached(ip(addr), &mut cache), want, "{addr}");
    }
}

#[test]
fn path_is_the_one_opened() {
    let p = geo("maxmind-test/GeoLite2-Country-Test.mmdb");
    let db = open("maxmind-test/GeoLite2-Country-Test.mmdb");
    assert_eq!(db.path(), p);
}

#[test]
fn geodb_can_be_shared_by_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<GeoDb>();
}

#[test]
fn ipv6_in_an_ipv4_database_is_none() {
    let db = open("maxmind-test/MaxMind-DB-test-ipv4-24.mmdb");
    assert_eq!(db.country(ip("2a02:cf40::1")), None);
    assert_eq!(db.country(ip("1.1.1.1")), None, "records without countries");
}

/// Whatever these files hold, opening them gives an error naming the file
/// or a database whose lookups answer, never a panic.
#[test]
fn broken_databases_never_panic() {
    let known = known_addresses();
    for name in [
        "MaxMind-DB-test-broken-pointers-24.mmdb",
        "MaxMind-DB-test-broken-search-tree-24.mmdb",
        "GeoIP2-City-Test-Invalid-Node-Count.mmdb",
        "MaxMind-DB-test-decoder.mmdb",
        "MaxMind-DB-no-ipv4-search-tree.mmdb",
        "MaxMind-DB-test-mixed-32.mmdb",
    ] {
        let p = geo(&format!("maxmind-test/{name}"));
        match open_with_env(Some(&p), None) {
            Ok(Some(db)) => eprintln!("{name}: opened, {} lookups answered", sweep(&db, &known)),
            Ok(None) => panic!("{name}: no database"),
            Err(e) => {
                eprintln!("{name}: refused: {e}");
                assert!(e.to_string().contains(name), "{e}");
            }
        }
    }
}

/// The first and last address of every network of the GeoLite2-Country
/// test database: lookups there reach records, not only the search tree.
fn known_addresses() -> Vec<IpAddr> {
    let source = std::fs::read(geo("maxmind-test/GeoLite2-Country-Test.json")).unwrap();
    let source: Value = serde_json::from_slice(&source).unwrap();
    let mut out = Vec::new();
    for entry in source.as_array().unwrap() {
        for network in entry.as_object().unwrap().keys() {
            let (first, last) = ends(network);
            out.extend([first, last]);
        }
    }
    out
}

/// Looks up addresses spread over both address spaces, and `known`; how
/// many had a country.
fn sweep(db: &GeoDb, known: &[IpAddr]) -> usize {
    let mut found = 0;
    for i in 0..=4096u32 {
        let v4 = IpAddr::V4(i.wrapping_mul(1_048_573).into());
        let v6 = IpAddr::V6(
            (u128::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)).into(),
        );
        found += usize::from(db.country(v4).is_some());
        found += usize::from(db.country(v6).is_some());
    }
    for s in ["1.1.1.1", "1.1.1.3", "1.1.1.16", "1.1.1.32", "::1.1.1.1"] {
        found += usize::from(db.country(ip(s)).is_some());
    }
    for &a in known {
        found += usize::from(db.country(a).is_some());
    }
    found
}

/// Broken pointers pass the checks made at open and fail at lookup: the
/// reader's errors (a search-tree pointer past the data, a record pointer
/// past the end) become None.
#[test]
fn lookup_errors_become_none() {
    let p = geo("maxmind-test/MaxMind-DB-test-broken-pointers-24.mmdb");
    let raw = maxminddb::Reader::open_readfile(&p).unwrap();
    assert!(
        raw.lookup(ip("1.1.1.32")).is_err(),
        "tree pointer past the data"
    );
    let record = raw.lookup(ip("1.1.1.16")).unwrap();
    assert!(
        record.decode::<Value>().is_err(),
        "record pointer past the end"
    );
    let db = open_with_env(Some(&p), None).unwrap().unwrap();
    for s in ["1.1.1.16", "1.1.1.31", "1.1.1.32"] {
        assert_eq!(db.country(ip(s)), None, "{s}");
    }
}

/// A real database with bytes overwritten here and there: every corruption
/// is an error at open or answers at lookup.
#[test]
fn corrupted_copies_never_panic() {
    let good = std::fs::read(geo("maxmind-test/GeoLite2-Country-Test.mmdb")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corrupt.mmdb");
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let known = known_addresses();
    let (mut opened, mut refused, mut answered) = (0, 0, 0);
    for _ in 0..200 {
        let mut bytes = good.clone();
        for _ in 0..(1 + next() % 16) {
            let at = (next() % bytes.len() as u64) as usize;
            bytes[at] = next() as u8;
        }
        std::fs::write(&path, &bytes).unwrap();
        match open_with_env(Some(&path), None) {
            Ok(Some(db)) => {
                answered += sweep(&db, &known);
                opened += 1;
            }
            Ok(None) => panic!("no database"),
            Err(e) => {
                assert!(e.to_string().contains("corrupt.mmdb"), "{e}");
                refused += 1;
            }
        }
    }
    eprintln!("opened {opened}, refused {refused}, answered {answered}");
    assert!(
        opened > 0 && refused > 0 && answered > 0,
        "opened {opened}, refused {refused}, answered {answered}"
    );
}

#[test]
fn truncated_database_is_refused() {
    let good = std::fs::read(geo("maxmind-test/GeoLite2-Country-Test.mmdb")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("half.mmdb");
    std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    let msg = open_err(&path).to_string();
    assert!(
        msg.contains("half.mmdb") && msg.contains("not a MaxMind DB"),
        "{msg}"
    );
}

#[test]
fn text_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("GeoLite2-Country.mmdb");
    std::fs::write(&path, "this is not a database\n").unwrap();
    let e = open_err(&path);
    assert!(matches!(e, GeoError::NotMmdb { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("not a MaxMind DB"), "{msg}");
    assert!(msg.contains("--geoip"), "says what to fix: {msg}");
}

#[test]
fn empty_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.mmdb");
    std::fs::write(&path, "").unwrap();
    let msg = open_err(&path).to_string();
    assert!(msg.contains("empty.mmdb") && msg.contains("empty"), "{msg}");
}

#[test]
fn gzip_file_says_to_unpack_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dbip-country-lite-2024-05.mmdb.gz");
    std::fs::write(&path, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]).unwrap();
    let msg = open_err(&path).to_string();
    assert!(msg.contains("gunzip"), "{msg}");
}

#[test]
fn directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_err(dir.path());
    assert!(matches!(e, GeoError::Unreadable { .. }), "{e:?}");
    assert!(e.to_string().contains("directory"), "{e}");
}

#[test]
fn missing_flag_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.mmdb");
    let e = open_err(&path);
    assert!(matches!(e, GeoError::NotFound { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("nope.mmdb") && msg.contains("--geoip"),
        "{msg}"
    );
}

#[test]
fn environment_is_used_when_no_flag() {
    let p = geo("dbip/dbip-country.mmdb");
    let db = open_with_env(None, Some(OsString::from(&p)))
        .unwrap()
        .unwrap();
    assert_eq!(db.path(), p);
    // The flag wins over the environment.
    let flag = geo("maxmind-test/GeoLite2-Country-Test.mmdb");
    let db = open_with_env(Some(&flag), Some(OsString::from(&p)))
        .unwrap()
        .unwrap();
    assert_eq!(db.path(), flag);
}

#[test]
fn broken_environment_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone.mmdb");
    let Err(e) = open_with_env(None, Some(missing.into_os_string())) else {
        panic!("a missing $LOGSTATS_GEOIP file opened");
    };
    let msg = e.to_string();
    assert!(
        msg.contains("gone.mmdb") && msg.contains("LOGSTATS_GEOIP"),
        "{msg}"
    );

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    let Err(e) = open_with_env(None, Some(text.into_os_string())) else {
        panic!("a text $LOGSTATS_GEOIP file opened");
    };
    assert!(e.to_string().contains("notes.txt"), "{e}");
}

#[test]
fn side_databases_are_refused() {
    for name in [
        "GeoLite2-ASN-Test.mmdb",
        "GeoIP2-ISP-Test.mmdb",
        "GeoIP2-Anonymous-IP-Test.mmdb",
    ] {
        let e = open_err(&geo(&format!("maxmind-test/{name}")));
        assert!(matches!(e, GeoError::NotCountry { .. }), "{e:?}");
        assert!(e.to_string().contains(name), "{e}");
    }
}
