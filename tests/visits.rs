//! Visitors, visits, sources, countries and devices (SPEC §2–§6) on logs
//! whose answers were counted by hand, and the invariants that tie the
//! visit-level tables together on every corpus log.
//!
//! `fixtures/visits-a.log` and `visits-b.log`, counted by hand (all times
//! UTC on 10–11 May 2024):
//! - visitor A (81.2.69.143, Firefox): 23:50 `/` from a Google search for
//!   "Privacy Analytics" (file b), 00:10 `/pricing` and 00:40 `/docs` (file a,
//!   written in reverse order), 01:10:01 `/blog` (file b). 00:10 → 00:40 is
//!   exactly 1800 s: same visit, which crosses midnight and spans both files
//!   (3000 s). 00:40:00 → 01:10:01 is 1801 s: a new visit, a bounce, whose
//!   referrer is the site itself: Direct.
//! - visitor B (89.160.20.115, iPhone Safari): 09:00 `/?utm_...medium=email`
//!   then 09:05 `/pricing`: one visit of 300 s, channel Email, a campaign.
//!   Its `/app.css` at 09:00:01 is a static hit, no page view.
//! - visitor C (the same address, Chrome): 09:00 `/blog` from t.co: Social,
//!   a bounce. Same address, other agent: another visitor.
//! - Googlebot at 09:01: a bot hit, no page view.
//! - Own host: the referrers of the page views that are not the first of
//!   their visit (A's 00:10 and 00:40, B's 09:05) are all shop.example.org.
//!
//! So: 9 hits, 7 page views, 4 visits, 2 bounces, mean duration
//! (3000 + 0 + 300 + 0) / 4 = 825 s, 4 visitor-days (A on both days, B, C),
//! countries GB (A: 2 visitor-days, 4 page views) and SE (B and C: 2, 3).

mod common;

use common::{
    assert_subset, corpus, fixture, logstats, readable_corpus_logs, report_json, without_paths,
};
use serde_json::Value;

const GEO_TEST_DB: &str = "../shared/corpus/geo/maxmind-test/GeoLite2-Country-Test.mmdb";
const DBIP: &str = "../shared/corpus/geo/dbip/dbip-country.mmdb";

fn geo(path: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .to_str()
        .unwrap()
        .to_string()
}

fn visits_report(files: &[&str], extra: &[&str]) -> Value {
    let paths: Vec<String> = files
        .iter()
        .map(|f| fixture(f).to_str().unwrap().to_string())
        .collect();
    let db = geo(GEO_TEST_DB);
    let mut args: Vec<&str> = paths.iter().map(String::as_str).collect();
    args.extend(["--geoip", db.as_str()]);
    args.extend(extra);
    report_json(&args)
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("visits.expected.json")).unwrap())
        .unwrap()
}

#[test]
fn hand_counted_visits_across_two_files() {
    let r = visits_report(&["visits-a.log", "visits-b.log"], &[]);
    assert_subset(&expected(), &r, "report");
    assert!(r["geoip"]["database"]
        .as_str()
        .unwrap()
        .ends_with("GeoLite2-Country-Test.mmdb"));
}

#[test]
fn same_report_whatever_the_order_of_files() {
    let ab = without_paths(visits_report(&["visits-a.log", "visits-b.log"], &[]));
    let mut ba = without_paths(visits_report(&["visits-b.log", "visits-a.log"], &[]));
    // Only the list of inputs follows the order given.
    ba["inputs"] = ab["inputs"].clone();
    assert_eq!(ab, ba);
}

#[test]
fn one_concatenated_file_gives_the_same_visits() {
    let dir = tempfile::tempdir().unwrap();
    let both = dir.path().join("both.log");
    let text = [
        std::fs::read(fixture("visits-b.log")).unwrap(),
        std::fs::read(fixture("visits-a.log")).unwrap(),
    ]
    .concat();
    std::fs::write(&both, text).unwrap();
    let db = geo(GEO_TEST_DB);
    let r = report_json(&[both.to_str().unwrap(), "--geoip", &db]);
    assert_subset(&expected(), &r, "report");
}

#[test]
fn site_option_names_the_own_host() {
    // With another host named as the site, shop.example.org is external:
    // A's second visit (entered from it) is a Referral.
    let r = visits_report(
        &["visits-a.log", "visits-b.log"],
        &["--site", "www.other.example"],
    );
    let channels: Vec<(&str, u64)> = r["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["channel"].as_str().unwrap(),
                c["visits"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        channels,
        vec![("Email", 1), ("Referral", 1), ("Search", 1), ("Social", 1)]
    );
    assert!(r["referrers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["host"] == "shop.example.org"));
    // Naming it explicitly gives the same as the majority rule found.
    let named = visits_report(
        &["visits-a.log", "visits-b.log"],
        &["--site", "Shop.Example.org:443"],
    );
    assert_eq!(named["channels"], expected()["channels"]);
}

#[test]
fn table_and_csv_show_the_visit_figures() {
    let db = geo(GEO_TEST_DB);
    let (a, b) = (fixture("visits-a.log"), fixture("visits-b.log"));
    let out = logstats()
        .args([
            "report",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--geoip",
            &db,
        ])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    for want in [
        "Landing pages",
        "Channels",
        "Countries",
        "privacy analytics",
        "13m 45s",
        "50.0 %",
        "shop.example.org",
    ] {
        assert!(
            table.contains(want),
            "{want:?} missing from the table report"
        );
    }
    let out = logstats()
        .args([
            "report",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--geoip",
            &db,
            "--format",
            "csv",
            "--section",
            "campaigns",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "source,medium,campaign,visits\nnewsletter,email,may,1\n"
    );
}

/// Tables that split the same total must add up to it, on every real log.
#[test]
fn visit_tables_add_up_on_every_corpus_log() {
    let db = geo(DBIP);
    for log in readable_corpus_logs() {
        let r = report_json(&[log.to_str().unwrap(), "--top", "0", "--geoip", &db]);
        let s = &r["summary"];
        let sum = |table: &str, field: &str| -> u64 {
            r[table]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x[field].as_u64().unwrap())
                .sum()
        };
        let name = log.display();
        let visits = s["visits"].as_u64().unwrap();
        for table in ["landing_pages", "exit_pages", "channels"] {
            assert_eq!(sum(table, "visits"), visits, "{name}: {table}");
        }
        assert_eq!(
            sum("landing_pages", "bounces"),
            s["bounces"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            sum("pages", "pageviews"),
            s["pageviews"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            sum("countries", "pageviews"),
            s["pageviews"].as_u64().unwrap(),
            "{name}"
        );
        let visitors = s["visitors"].as_u64().unwrap();
        for table in ["countries", "devices", "browsers", "os"] {
            assert_eq!(sum(table, "visitors"), visitors, "{name}: {table}");
        }
        assert_eq!(
            sum("bots", "hits"),
            s["bot_hits"].as_u64().unwrap(),
            "{name}"
        );
        let rows = r["timeseries"]["rows"].as_array().unwrap();
        let pageviews: u64 = rows.iter().map(|x| x["pageviews"].as_u64().unwrap()).sum();
        assert_eq!(pageviews, s["pageviews"].as_u64().unwrap(), "{name}");
        assert!(
            visits <= s["pageviews"].as_u64().unwrap() && s["bounces"].as_u64().unwrap() <= visits,
            "{name}"
        );
        assert!(
            s["pageviews"].as_u64().unwrap() + s["bot_hits"].as_u64().unwrap()
                <= s["hits"].as_u64().unwrap(),
            "{name}"
        );
    }
}

/// The largest corpus log cut into three rotated files, given in every
/// order, and with its lines shuffled: the same visits.
#[test]
fn rotated_pieces_in_any_order_and_shuffled_lines() {
    let text = std::fs::read(corpus("apache/elastic_apache_logs.log")).unwrap();
    let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    let dir = tempfile::tempdir().unwrap();
    let mut pieces = Vec::new();
    for (i, part) in lines.chunks(lines.len().div_ceil(3)).enumerate() {
        let p = dir.path().join(format!("access.log.{i}"));
        std::fs::write(&p, part.concat()).unwrap();
        pieces.push(p.to_str().unwrap().to_string());
    }
    let whole = report_json(&[
        corpus("apache/elastic_apache_logs.log").to_str().unwrap(),
        "--top",
        "0",
    ]);
    let figures = |r: &Value| {
        let mut r = without_paths(r.clone());
        r["inputs"] = Value::Null;
        r["malformed_samples"] = Value::Null;
        r
    };
    for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
        let args: Vec<&str> = order
            .iter()
            .map(|&i| pieces[i].as_str())
            .chain(["--top", "0"])
            .collect();
        assert_eq!(
            figures(&report_json(&args)),
            figures(&whole),
            "order {order:?}"
        );
    }

    // Shuffled lines (a fixed permutation): order-independent figures stay.
    let mut shuffled = lines.clone();
    let mut state = 0x9e37_79b9_u64;
    for i in (1..shuffled.len()).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        shuffled.swap(i, (state >> 33) as usize % (i + 1));
    }
    let p = dir.path().join("shuffled.log");
    let mut body = shuffled.concat();
    if !body.ends_with(b"\n") {
        body.push(b'\n');
    }
    std::fs::write(&p, body).unwrap();
    let mixed = report_json(&[p.to_str().unwrap(), "--top", "0"]);
    for key in [
        "hits",
        "pageviews",
        "visitors",
        "visits",
        "bounces",
        "avg_visit_duration_s",
        "bot_hits",
        "static_hits",
    ] {
        assert_eq!(mixed["summary"][key], whole["summary"][key], "{key}");
    }
    assert_eq!(mixed["channels"], whole["channels"]);
    assert_eq!(mixed["referrers"], whole["referrers"]);
}

#[test]
fn geoip_errors_name_the_file() {
    let log = fixture("visits-a.log");
    let out = logstats()
        .args([
            "report",
            log.to_str().unwrap(),
            "--geoip",
            "no/such/db.mmdb",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no/such/db.mmdb"), "{err}");
    assert!(out.stdout.is_empty());

    let out = logstats()
        .args(["report", log.to_str().unwrap()])
        .env("LOGSTATS_GEOIP", log.to_str().unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("visits-a.log"));
}

#[test]
fn dbip_database_gives_countries_on_real_traffic() {
    // The elastic log's visitors come from many countries; the exact split
    // depends on the database's edition, so only its shape is checked here
    // (the exact lookups are checked in tests/geoip_db.rs).
    let db = geo(DBIP);
    let r = report_json(&[
        corpus("apache/elastic_apache_logs.log").to_str().unwrap(),
        "--geoip",
        &db,
        "--top",
        "0",
    ]);
    assert!(r["geoip"]["database"]
        .as_str()
        .unwrap()
        .ends_with("dbip-country.mmdb"));
    let countries = r["countries"].as_array().unwrap();
    assert!(
        countries.len() > 50,
        "a real log reaches many countries: {}",
        countries.len()
    );
    let us = countries.iter().find(|c| c["country"] == "US").unwrap();
    assert!(us["visitors"].as_u64().unwrap() > 100);
    let unknown = countries
        .iter()
        .find(|c| c["country"] == "unknown")
        .map_or(0, |c| c["visitors"].as_u64().unwrap());
    assert!(
        unknown * 100 < r["summary"]["visitors"].as_u64().unwrap(),
        "almost every address is in DB-IP"
    );
}

/// A layout without a user agent (`common`): no hit is a bot, not even a
/// `"-"` request; visitors are clients alone; devices are unknown.
/// beats_apache_darwin-2.4.23.log, read by eye: `GET /` 200 from ::1 and
/// from 77.179.66.156 are the only page views (404s are not, favicon.ico is
/// static): 2 visitors, 2 one-page visits.
#[test]
fn common_layout_has_no_bots_and_clients_as_visitors() {
    let r = report_json(&[corpus("apache/beats_apache_darwin-2.4.23.log")
        .to_str()
        .unwrap()]);
    let s = &r["summary"];
    let got: Vec<u64> = [
        "hits",
        "pageviews",
        "visitors",
        "visits",
        "bounces",
        "bot_hits",
        "static_hits",
    ]
    .iter()
    .map(|k| s[k].as_u64().unwrap())
    .collect();
    assert_eq!(got, vec![6, 2, 2, 2, 2, 0, 1]);
    assert_eq!(r["bots"], serde_json::json!([]));
    assert_eq!(
        r["devices"],
        serde_json::json!([{"name": "UNKNOWN", "visitors": 2}])
    );
}

/// With a vhost in the layout, the virtual hosts are the own hosts (SPEC §4
/// rule 2): a referrer from www.Example.com is internal even though no later
/// page view would have named it by the majority rule.
#[test]
fn vhosts_are_own_hosts() {
    let r = report_json(&[fixture("vhost.log").to_str().unwrap()]);
    assert_eq!(r["inputs"][0]["format"], "vcombined");
    assert_eq!(
        r["channels"],
        serde_json::json!([{"channel": "Direct", "visits": 1}, {"channel": "Referral", "visits": 1}])
    );
    assert_eq!(
        r["referrers"],
        serde_json::json!([{"host": "other.org", "visits": 1}])
    );
    // Both lines are on example.com (port dropped), page views of two
    // clients: two visitors.
    assert_eq!(
        r["vhosts"],
        serde_json::json!([{"host": "example.com", "hits": 2, "pageviews": 2, "visitors": 2}])
    );
}
