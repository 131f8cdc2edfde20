//! `--format prometheus --state`: page views by referrer host and by
//! channel, counted by hand on a few visits, across an append, a
//! rotation and a `--keep-days` drop; a visit that spans two runs, one
//! whose channel a later line changes; and a state of the format before
//! these figures, refused.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use common::exposition::{assert_counters_did_not_drop, promtool_check, samples, Series};
use common::logstats;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";

/// A page view in the combined layout on day `day` of March 2026 at
/// `hh:mm`, by a client of its own per visitor.
fn hit(client: &str, day: u32, hhmm: &str, path: &str, referrer: &str) -> String {
    format!(
        "{client} - - [{day:02}/Mar/2026:{hhmm}:00 +0000] \"GET {path} HTTP/1.1\" 200 10 \"{referrer}\" \"{FIREFOX}\""
    )
}

fn append(path: &Path, lines: &[String]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
}

/// The site's own host is given: which referrers are internal does not
/// depend on what was read. Every value kept (a value no day held any
/// more would leave the kept set when days are dropped).
const SITE: [&str; 4] = ["--site", "example.com", "--top", "0"];

fn report(files: &[PathBuf], args: &[&str]) -> String {
    let out = logstats()
        .arg("report")
        .args(files)
        .args(["--format", "prometheus"])
        .args(SITE)
        .args(args)
        .output()
        .unwrap();
    let text = common::successful_text(&out);
    promtool_check(&text);
    text
}

/// The series of family `name`, by the value of its one label.
fn family(s: &BTreeMap<Series, f64>, name: &str) -> BTreeMap<String, f64> {
    (s.iter())
        .filter(|((n, _), _)| n == name)
        .map(|((_, labels), &v)| (labels.values().next().unwrap().clone(), v))
        .collect()
}

fn by_referrer(s: &BTreeMap<Series, f64>) -> BTreeMap<String, f64> {
    family(s, "logstats_pageviews_by_referrer_total")
}

/// Page views by channel, the channels with none left out.
fn by_channel(s: &BTreeMap<Series, f64>) -> BTreeMap<String, f64> {
    let mut c = family(s, "logstats_pageviews_by_channel_total");
    c.retain(|_, v| *v > 0.0);
    c
}

fn counts(rows: &[(&str, f64)]) -> BTreeMap<String, f64> {
    rows.iter().map(|&(l, n)| (l.to_string(), n)).collect()
}

/// The logs of `dir` as the shell expands `access.log*`.
fn logs(dir: &Path) -> Vec<PathBuf> {
    common::files_starting(dir, "access.log")
}

#[test]
fn page_views_by_referrer_and_channel_counted_by_hand_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let live = d.join("access.log");
    let state = d.join("site.state");
    let state_arg = state.to_str().unwrap();
    let google = "https://www.google.com/search?q=logs";
    let mut before: BTreeMap<Series, f64> = BTreeMap::new();
    let mut all_lines: Vec<String> = Vec::new();
    // Each run: every counter at least what it was.
    let mut run = |lines: &[String], extra: &[&str], all: &mut Vec<String>| {
        append(&live, lines);
        all.extend_from_slice(lines);
        let mut args = vec!["--state", state_arg];
        args.extend_from_slice(extra);
        let now = samples(&report(&logs(d), &args));
        assert_counters_did_not_drop(&before, &now);
        before = now.clone();
        now
    };

    // Run 1, 2 March. A: from a Google search, then two clicks within the
    // site (internal). B: a newsletter link (utm_medium=email), no
    // referrer. C: from news.example, then a page with no referrer. D: a
    // direct visit at 23:50, still open when the run ends.
    let s = run(
        &[
            hit("1.1.1.1", 2, "10:00", "/", google),
            hit("1.1.1.1", 2, "10:05", "/b", "https://example.com/"),
            hit("1.1.1.1", 2, "10:10", "/c", "https://example.com/b"),
            hit(
                "2.2.2.2",
                2,
                "11:00",
                "/?utm_source=nl&utm_medium=email",
                "-",
            ),
            hit("3.3.3.3", 2, "12:00", "/", "https://news.example/x"),
            hit("3.3.3.3", 2, "12:20", "/d", "-"),
            hit("4.4.4.4", 2, "23:50", "/", "-"),
        ],
        &[],
        &mut all_lines,
    );
    // By referrer: google.com A's first; (internal) A's two clicks;
    // (none) B, C's second and D; news.example C's first.
    assert_eq!(
        by_referrer(&s),
        counts(&[
            ("(internal)", 2.0),
            ("(none)", 3.0),
            ("google.com", 1.0),
            ("news.example", 1.0)
        ])
    );
    // By channel: A's 3 Search, B's 1 Email, C's 2 Referral, D's 1 Direct.
    assert_eq!(
        by_channel(&s),
        counts(&[
            ("Direct", 1.0),
            ("Email", 1.0),
            ("Referral", 2.0),
            ("Search", 3.0)
        ])
    );

    // Run 2, appended, 3 March. D's open visit goes on past midnight
    // (20 minutes later, a click within the site): its channel is
    // Direct, and its second page view counts under Direct too. E: from
    // t.co (Social), then a page whose referrer is bing.com (a later page
    // view: its own referrer's host, its visit's channel). F: a direct
    // page view at 10:00, the newest line.
    let s = run(
        &[
            hit("4.4.4.4", 3, "00:10", "/e", "https://example.com/"),
            hit("5.5.5.5", 3, "09:00", "/", "https://t.co/abc"),
            hit(
                "5.5.5.5",
                3,
                "09:01",
                "/f",
                "https://www.bing.com/search?q=x",
            ),
            hit("6.6.6.6", 3, "10:00", "/g", "-"),
        ],
        &[],
        &mut all_lines,
    );
    assert_eq!(
        by_referrer(&s),
        counts(&[
            ("(internal)", 3.0),
            ("(none)", 4.0),
            ("bing.com", 1.0),
            ("google.com", 1.0),
            ("news.example", 1.0),
            ("t.co", 1.0)
        ])
    );
    assert_eq!(
        by_channel(&s),
        counts(&[
            ("Direct", 3.0),
            ("Email", 1.0),
            ("Referral", 2.0),
            ("Search", 3.0),
            ("Social", 2.0)
        ])
    );

    // Rotated: access.log is access.log.1, a new access.log. Run 3: a
    // line of F at 09:50, ten minutes before its open visit, from a
    // Google search: the visit now begins there and is Search (2 page
    // views), no longer Direct; G: from news.example.
    std::fs::rename(&live, d.join("access.log.1")).unwrap();
    let s = run(
        &[
            hit("6.6.6.6", 3, "09:50", "/", google),
            hit("7.7.7.7", 3, "10:20", "/", "https://news.example/y"),
        ],
        &[],
        &mut all_lines,
    );
    assert_eq!(
        by_referrer(&s),
        counts(&[
            ("(internal)", 3.0),
            ("(none)", 4.0),
            ("bing.com", 1.0),
            ("google.com", 2.0),
            ("news.example", 2.0),
            ("t.co", 1.0)
        ])
    );
    // Search 5 (A 3, F 2), Referral 3 (C 2, G 1). Direct is 2 now (D's
    // two page views): its counter holds at 3.
    assert_eq!(
        by_channel(&s),
        counts(&[
            ("Direct", 3.0),
            ("Email", 1.0),
            ("Referral", 3.0),
            ("Search", 5.0),
            ("Social", 2.0)
        ])
    );
    let whole = |lines: &[String]| {
        let path = d.join("whole.log");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        samples(&report(&[path], &[]))
    };
    // One run over the same lines says Direct 2; the rest is the same.
    let one = whole(&all_lines);
    assert_eq!(by_channel(&one)["Direct"], 2.0);
    let mut held = by_channel(&s);
    held.insert("Direct".into(), 2.0);
    assert_eq!(held, by_channel(&one));
    assert_eq!(by_referrer(&s), by_referrer(&one));

    // Run 4, 4 March, keeping 1 day: the 2nd and 3rd are dropped, with
    // every visit that began on them. H: a direct page view. Direct is
    // D's 2 and H's 1: 3, caught up with its counter; the counters of the
    // days dropped stay.
    let s = run(
        &[hit("8.8.8.8", 4, "08:00", "/", "-")],
        &["--keep-days", "1"],
        &mut all_lines,
    );
    assert_eq!(
        by_referrer(&s),
        counts(&[
            ("(internal)", 3.0),
            ("(none)", 5.0),
            ("bing.com", 1.0),
            ("google.com", 2.0),
            ("news.example", 2.0),
            ("t.co", 1.0)
        ])
    );
    assert_eq!(
        by_channel(&s),
        counts(&[
            ("Direct", 3.0),
            ("Email", 1.0),
            ("Referral", 3.0),
            ("Search", 5.0),
            ("Social", 2.0)
        ])
    );
    // Every value was kept all along: one run over every line agrees.
    let one = whole(&all_lines);
    assert_eq!(by_referrer(&s), by_referrer(&one));
    assert_eq!(by_channel(&s), by_channel(&one));
    // The state holds only the 4th: its own figures are H's one view.
    let json = logstats()
        .arg("report")
        .args(logs(d))
        .args(SITE)
        .args(["--format", "json", "--state", state_arg])
        .output()
        .unwrap();
    assert!(json.status.success());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["summary"]["pageviews"], 1);
}

#[test]
fn a_referrer_host_that_is_not_utf8_is_labelled_as_one_run_labels_it() {
    // The later page view of a visit, referred by a host with byte 0xe9:
    // kept by its host (U+FFFD) for the own-host rule, labelled `\xe9`.
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("access.log");
    let state = dir.path().join("s.state");
    let mut text = Vec::new();
    for (t, referrer) in [("10:00", &b"-"[..]), ("10:01", b"http://caf\xe9.example/")] {
        text.extend_from_slice(
            format!("1.1.1.1 - - [02/Mar/2026:{t}:00 +0000] \"GET /x HTTP/1.1\" 200 1 \"")
                .as_bytes(),
        );
        text.extend_from_slice(referrer);
        text.extend_from_slice(format!("\" \"{FIREFOX}\"\n").as_bytes());
    }
    // Visit and its second page view in two runs, the first closed by a
    // later line of another visitor; then the same in one run.
    std::fs::write(&live, &text).unwrap();
    let later = hit("2.2.2.2", 2, "12:00", "/", "-");
    let args = ["--state", state.to_str().unwrap()];
    report(std::slice::from_ref(&live), &args);
    append(&live, &[later]);
    let s = samples(&report(std::slice::from_ref(&live), &args));
    let one = samples(&report(&[live], &[]));
    // `\xe9` as the format escapes it (`samples` reads it as written).
    let want = counts(&[("(none)", 2.0), (r"caf\\xe9.example", 1.0)]);
    assert_eq!(by_referrer(&one), want);
    assert_eq!(by_referrer(&s), want);
}

#[test]
fn a_long_visit_folded_while_open_keeps_the_referrers_of_its_page_views() {
    // One visitor, a page view every 10 minutes from 08:00 to 11:00 (19,
    // one visit): referred by nothing, by the site, by news.example and by
    // a host with byte 0xe9, in turn. A state keeps only the last hour of
    // an open visit as page views; the older ones in its middle are folded
    // into its first, with their referrers. Read in three runs, the last
    // closing the visit, and after each equal to one run over the same
    // lines: at the end (none) 5 (the first view among them) and the
    // other visitor's 1, (internal) 5, news.example 5, caf\xe9.example 4;
    // all 20 Direct.
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("access.log");
    let state = dir.path().join("s.state");
    let referrers: [&[u8]; 4] = [
        b"-",
        b"https://example.com/a",
        b"https://news.example/",
        b"http://caf\xe9.example/",
    ];
    let view = |i: usize| {
        let (h, m) = (8 + i / 6, i % 6 * 10);
        let mut line = format!(
            "1.1.1.1 - - [02/Mar/2026:{h:02}:{m:02}:00 +0000] \"GET /p{i} HTTP/1.1\" 200 1 \""
        )
        .into_bytes();
        line.extend_from_slice(referrers[i % 4]);
        line.extend_from_slice(format!("\" \"{FIREFOX}\"\n").as_bytes());
        line
    };
    let args = ["--state", state.to_str().unwrap()];
    let mut text = Vec::new();
    let parts: [&[usize]; 3] = [
        &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
        &[13, 14, 15, 16, 17, 18],
        &[],
    ];
    for (run, part) in parts.iter().enumerate() {
        for &i in *part {
            text.extend(view(i));
        }
        if run == 2 {
            // Another visitor at 13:00: the long visit is closed.
            text.extend(hit("2.2.2.2", 2, "13:00", "/", "-").into_bytes());
            text.push(b'\n');
        }
        std::fs::write(&live, &text).unwrap();
        let s = samples(&report(std::slice::from_ref(&live), &args));
        let whole = dir.path().join("whole.log");
        std::fs::write(&whole, &text).unwrap();
        let one = samples(&report(&[whole], &[]));
        assert_eq!(by_referrer(&s), by_referrer(&one), "run {run}");
        assert_eq!(by_channel(&s), by_channel(&one), "run {run}");
    }
    let s = samples(&report(&[live], &args));
    let want = counts(&[
        ("(internal)", 5.0),
        ("(none)", 6.0),
        (r"caf\\xe9.example", 4.0),
        ("news.example", 5.0),
    ]);
    assert_eq!(by_referrer(&s), want);
    assert_eq!(by_channel(&s), counts(&[("Direct", 20.0)]));
}

#[test]
fn a_state_of_format_3_is_refused_with_how_to_start_over() {
    // Format 3 kept no page views per visit entry: it cannot be read as
    // format 4 or 5 (its bytes would be misread).
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("access.log");
    let state = dir.path().join("s.state");
    append(&live, &[hit("1.1.1.1", 2, "10:00", "/", "-")]);
    let args = ["--state", state.to_str().unwrap()];
    report(std::slice::from_ref(&live), &args);
    let mut bytes = std::fs::read(&state).unwrap();
    // The format version is the little-endian word at byte 8.
    assert_eq!(bytes[8..12], 5u32.to_le_bytes());
    bytes[8..12].copy_from_slice(&3u32.to_le_bytes());
    std::fs::write(&state, &bytes).unwrap();
    let out = logstats()
        .arg("report")
        .arg(&live)
        .args(["--format", "prometheus"])
        .args(SITE)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("older logstats (state format 3; this one reads formats 4 to 5)")
            && err.contains("mv "),
        "{err}"
    );
    assert_eq!(std::fs::read(&state).unwrap(), bytes);
}

#[test]
fn later_page_views_without_a_referrer_on_settled_days_are_counted() {
    // Five days, one a run; each day a visitor from news.example views
    // two more pages with no referrer. Counted by hand: 5 entries from
    // news.example, 10 later page views under (none); from the fourth
    // run on the first days are settled and read from their sums.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let live = d.join("access.log");
    let state = d.join("site.state");
    let args = ["--state", state.to_str().unwrap()];
    for day in 2..7 {
        let client = format!("9.9.9.{day}");
        append(
            &live,
            &[
                hit(&client, day, "10:00", "/", "https://news.example/a"),
                hit(&client, day, "10:01", "/b", "-"),
                hit(&client, day, "10:02", "/c", "-"),
            ],
        );
        report(&logs(d), &args);
    }
    assert!(common::state_description(&state).contains("summed   the first 3 days"));
    let s = samples(&report(&logs(d), &args));
    assert_eq!(
        by_referrer(&s),
        counts(&[("(none)", 10.0), ("news.example", 5.0)])
    );
}
