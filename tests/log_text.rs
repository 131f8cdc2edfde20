//! Text from the log as every output prints it (SPEC §1, §4, §6): bytes
//! that are not UTF-8 as `\xHH`, escaped valid UTF-8 as its characters,
//! `+` as a space in campaign values, and no control character or bidi
//! override in tables or CSV.

mod common;

use std::path::Path;

use common::{corpus, logstats, report_json};
use serde_json::Value;

/// The referrer host of line 5851 of the elastic log (and of lines 5853
/// and 5860, three clients with one page view each): Apache wrote the
/// cp1251 bytes of a Cyrillic name as `\xHH`, none of them valid UTF-8.
const CP1251_HOST: &str = r"\xe4\xe5\xe3\xf2\xff\xf0\xed\xee\xe5-\xec\xfb\xeb\xee.\xf0\xf4";

/// `utm_campaign=Feed:+semicomplete/main+(semicomplete.com+-+Jordan+Sissel)`
/// (and its `%3A+...%28...` spelling) on the elastic log's landing pages.
const FEED_CAMPAIGN: &str = "Feed: semicomplete/main (semicomplete.com - Jordan Sissel)";

fn elastic() -> String {
    corpus("apache/elastic_apache_logs.log")
        .to_str()
        .unwrap()
        .to_owned()
}

/// `logstats report ARGS`, which must succeed; its standard output.
fn stdout(args: &[&str]) -> String {
    let out = logstats().arg("report").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("output is UTF-8")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn bytes_that_are_not_utf8_print_as_hex_escapes_in_every_format() {
    let log = elastic();
    let r = report_json(&[&log, "--top", "0"]);
    let referrers = r["referrers"].as_array().unwrap();
    let row = referrers
        .iter()
        .find(|x| x["host"] == CP1251_HOST)
        .unwrap_or_else(|| panic!("no referrer {CP1251_HOST}: {referrers:#?}"));
    assert_eq!(row["visits"], 3);
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains('\u{fffd}'), "U+FFFD in the JSON report");

    let table = stdout(&[&log, "--top", "0", "--section", "referrers"]);
    let line = table
        .lines()
        .find(|l| l.contains(CP1251_HOST))
        .unwrap_or_else(|| panic!("no row of {CP1251_HOST}:\n{table}"));
    assert!(line.contains(" 3 "), "{line}");
    assert!(!table.contains('\u{fffd}'), "{table}");

    let csv = stdout(&[&log, "--top", "0", "--format", "csv"]);
    assert!(
        csv.contains(&format!("referrers,{CP1251_HOST},visits,3\n")),
        "{csv}"
    );
    let csv = stdout(&[
        &log,
        "--top",
        "0",
        "--format",
        "csv",
        "--section",
        "referrers",
    ]);
    assert!(csv.contains(&format!("\n{CP1251_HOST},3\n")), "{csv}");
    assert!(!csv.contains('\u{fffd}'));
}

/// nginx escapes every byte above 0x7e as `\xHH`: decoded, those that make
/// UTF-8 are characters, the others print as they were logged (lower-case
/// hex). Tables sort by the printed text: `/\xff` (a backslash, 0x5c)
/// comes before `/a`, though its byte 0xff would come after.
#[test]
fn escaped_utf8_is_text_and_rows_sort_by_the_printed_text() {
    let dir = tempfile::tempdir().unwrap();
    let line = |client: u8, path: &str| {
        format!(
            "10.0.0.{client} - - [01/May/2024:10:00:0{client} +0000] \"GET {path} HTTP/1.1\" 404 5 \
             \"-\" \"Mozilla/5.0 Firefox/125.0\"\n"
        )
    };
    let log = [
        line(1, r"/\xD0\x9F"),
        line(2, r"/\xD0\x9F\xFF"),
        line(3, "/a"),
        line(4, r"/\xFF"),
    ]
    .concat();
    let log = write(dir.path(), "nginx.log", log.as_bytes());
    let r = report_json(&[&log]);
    let paths: Vec<&str> = r["not_found"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["path"].as_str().unwrap())
        .collect();
    // Byte order of the printed text: `\` (0x5c) < `a` (0x61) < `П` (0xd0).
    assert_eq!(paths, ["/\\xff", "/a", "/П", "/П\\xff"]);

    let csv = stdout(&[&log, "--format", "csv", "--section", "not_found"]);
    assert_eq!(csv, "path,hits\n/\\xff,1\n/a,1\n/П,1\n/П\\xff,1\n");

    let table = stdout(&[&log, "--section", "not_found"]);
    let rows: Vec<&str> = table
        .lines()
        .filter_map(|l| l.strip_prefix("│ "))
        .filter_map(|l| l.split(' ').next())
        .filter(|k| k.starts_with('/'))
        .collect();
    assert_eq!(rows, ["/\\xff", "/a", "/П", "/П\\xff"], "{table}");
}

/// A malformed line keeps its bytes too: the sample shows `\xff`, not U+FFFD.
#[test]
fn malformed_samples_print_invalid_bytes_as_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(
        dir.path(),
        "bad.log",
        b"10.0.0.1 - - [01/May/2024:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"x\"\n\
          garbage \xff\xfe caf\xc3\xa9\n",
    );
    let r = report_json(&[&log]);
    assert_eq!(r["malformed_samples"][0]["text"], "garbage \\xff\\xfe café");
    let csv = stdout(&[&log, "--format", "csv", "--section", "malformed_samples"]);
    assert!(csv.contains(",2,garbage \\xff\\xfe café\n"), "{csv}");
}

/// SPEC §4: campaign values are decoded as any query string is, `+` as a
/// space, in every format.
#[test]
fn plus_is_a_space_in_campaign_values() {
    let log = elastic();
    let r = report_json(&[&log, "--top", "0"]);
    let campaigns = r["campaigns"].as_array().unwrap();
    let feed: Vec<&Value> = campaigns
        .iter()
        .filter(|c| c["source"] == "feedburner")
        .collect();
    assert_eq!(feed.len(), 1, "{campaigns:#?}");
    assert_eq!(feed[0]["medium"], "feed");
    assert_eq!(feed[0]["campaign"], FEED_CAMPAIGN);
    for c in campaigns {
        for field in ["source", "medium", "campaign"] {
            assert!(!c[field].as_str().unwrap().contains('+'), "{c}");
        }
    }

    let table = stdout(&[&log, "--section", "campaigns"]);
    assert!(table.contains(FEED_CAMPAIGN), "{table}");
    let csv = stdout(&[&log, "--format", "csv", "--section", "campaigns"]);
    assert!(
        csv.contains(&format!("feedburner,feed,{FEED_CAMPAIGN},")),
        "{csv}"
    );
    let csv = stdout(&[&log, "--format", "csv"]);
    assert!(
        csv.contains(&format!(
            "campaigns,feedburner/feed/{FEED_CAMPAIGN},visits,"
        )),
        "{csv}"
    );
}

/// Escape sequences, BEL, CR, a tab, a C1 control and bidi overrides in
/// path, referrer, user agent (a bot, so that its name is printed) and a
/// malformed line.
fn hostile_log(dir: &Path) -> String {
    let mut text = Vec::new();
    for _ in 0..3 {
        text.extend_from_slice(
            b"1.2.3.4 - - [01/May/2024:10:00:00 +0000] \"GET /a\x1b]0;pwned\x07x\tb\rc HTTP/1.1\" \
              404 5 \"http://evil.example/\x1b[2J\xe2\x80\xae\" \
              \"Bot\x1b[31m\xc2\x9b\xe2\x81\xa6 \xff\xfe\"\n",
        );
        text.extend_from_slice(
            b"1.2.3.5 - - [01/May/2024:10:00:00 +0000] \"GET /?utm_source=\x1b[2J\
              &utm_medium=%3D1%2B1%1B&utm_campaign=%1B%07%E2%80%AE HTTP/1.1\" 200 5 \
              \"https://\x1b]2;x\x07.example/\" \"Mozilla/5.0 Firefox/125.0\"\n",
        );
    }
    text.extend_from_slice(b"garbage \x1b[5m blink\x07 \xc2\x85 \xe2\x80\xae\n");
    write(dir, "hostile.log", &text)
}

/// The hostile log's own host: its referrers are all external.
const SITE: &str = "--site=site.example";

/// What a terminal would act on: C0 controls but the line end, DEL, C1
/// controls, bidi overrides and isolates.
fn assert_inert(output: &str, what: &str) {
    for c in output.chars() {
        let control = (c < ' ' && c != '\n') || ('\u{7f}'..='\u{9f}').contains(&c);
        let bidi = matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        );
        assert!(!control && !bidi, "{what}: {c:?} in\n{output}");
    }
}

#[test]
fn a_hostile_log_prints_a_clean_csv() {
    let dir = tempfile::tempdir().unwrap();
    let log = hostile_log(dir.path());
    let all = stdout(&[&log, SITE, "--format", "csv", "--clients"]);
    assert_inert(&all, "tidy CSV");
    assert!(
        all.contains(r"not_found,/a\x1b]0;pwned\x07x\x09b\x0dc,hits,3"),
        "{all}"
    );
    assert!(
        all.contains(r"referrers,\x1b]2;x\x07.example,visits,1"),
        "{all}"
    );
    assert!(
        all.contains(r"garbage \x1b[5m blink\x07 \x85 \u{202e}"),
        "{all}"
    );
    assert!(all.contains(r"\x1b[31m\x9b\u{2066}"), "{all}");
    assert!(all.contains(r"\x1b\x07\u{202e}"), "{all}");
    let safe = stdout(&[&log, SITE, "--format", "csv", "--clients", "--csv-safe"]);
    assert_inert(&safe, "--csv-safe");
    // --csv-safe defuses the escaped text: a formula start stays one.
    let safe = stdout(&[
        &log,
        SITE,
        "--format",
        "csv",
        "--section",
        "campaigns",
        "--csv-safe",
    ]);
    assert_eq!(
        safe,
        "source,medium,campaign,visits\n\\x1b[2J,'=1+1\\x1b,\\x1b\\x07\\u{202e},1\n"
    );
    for section in [
        "malformed_samples",
        "pages",
        "landing_pages",
        "referrers",
        "campaigns",
        "bots",
        "not_found",
        "routes",
    ] {
        let csv = stdout(&[&log, SITE, "--format", "csv", "--section", section]);
        assert_inert(&csv, section);
        assert!(csv.lines().count() > 1, "{section}: no row:\n{csv}");
    }
    // The same report as JSON keeps the text, escaped as JSON escapes it.
    let r = report_json(&[&log]);
    assert_eq!(r["not_found"][0]["path"], "/a\x1b]0;pwned\x07x\tb\rc");
}

/// The table output already escaped controls; bidi isolates and the C1
/// NEL are held to the same rule.
#[test]
fn a_hostile_log_prints_a_clean_table() {
    let dir = tempfile::tempdir().unwrap();
    let log = hostile_log(dir.path());
    let table = stdout(&[&log, SITE, "--clients", "--top", "0"]);
    assert_inert(&table, "table");
    assert!(table.contains(r"/a\x1b]0;pwned\x07x\x09b\x0dc"), "{table}");
}
