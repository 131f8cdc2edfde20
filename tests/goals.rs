//! Goals, funnels (SPEC §7) and languages (SPEC §5) on logs whose answers
//! were counted by hand.
//!
//! `fixtures/goals-a.log` and `goals-b.log` hold one day (1 May 2024, UTC),
//! lines spread over both files in no time order. The run defines
//! `signup=POST /accounts/signup 3xx`, `thanks=/checkout/done*`,
//! `video=/media/*.mp4`, and the funnels `checkout=/cart,/checkout,thanks`
//! and `upgrade=/pricing,signup`. Counted by hand:
//! - A (198.51.100.1, Firefox): visit A1 09:00 `/` from a Google search,
//!   09:05 `/media/demo.mp4` answered 206 (a static file: no page view, but
//!   a `video` hit in A1's span), 09:10 `/pricing`. Visit A2 (Direct):
//!   11:00 `/blog`, 11:03 POST `/accounts/signup` answered 302 (`signup`),
//!   11:05 `/cart`, 11:06 `/checkout`, 11:07 `/checkout/done?order=1`
//!   (`thanks`): A converts in its second visit, which reaches all three
//!   steps of `checkout`.
//! - B (198.51.100.2, Chrome): 12:00 `/` (B1, a bounce), its signup at
//!   12:29, 29 minutes after the last page view: B1 converts. 13:00
//!   `/pricing` (B2, a bounce), signup at 13:31, 31 minutes after: in no
//!   visit. Both hits count as hits, and B as one visitor.
//! - C (iPhone) and D (Firefox on Windows), two visitors behind
//!   203.0.113.5: C 14:00 `/cart`, 14:02 `/checkout`, 14:03 `/checkout/done`
//!   (all three steps); D from t.co (Social) 14:01 `/checkout`, 14:04
//!   `/cart`, 14:05 `/checkout/done`: steps out of order in time, D reaches
//!   step 1 only (its `/checkout` came before its `/cart`), yet converts.
//! - Googlebot (names itself) and BingPreview (a crawler to woothee only)
//!   "convert": `thanks` and `signup` hits, and BingPreview walks the
//!   checkout. None of it counts.
//! - F (198.51.100.6, Safari) from Facebook: 16:00 `/product`, 16:01
//!   `/media/demo.mp4` (206): a static goal hit, F converts on `video`;
//!   16:02 a POST `/accounts/signup` answered 422: no `signup` hit.
//! - G (198.51.100.7): a lone signup at 17:00, no page view: a hit and a
//!   visitor, no visit.
//!
//! So: 7 visits (A1, A2, B1, B2, C1, D1, F1): Direct 4 (A2, B1, B2, C1),
//! Social 2 (D1, F1), Search 1 (A1). thanks: 3 hits, 3 visitors, 3
//! conversions (A2, C1, D1: Direct 2, Social 1). signup: 4 hits (A, B twice,
//! G), 3 visitors, 2 conversions (A2, B1, both Direct). video: 2 hits, 2
//! visitors, 2 conversions (A1 Search, F1 Social). checkout: 3 visits reach
//! /cart (A2, C1, D1), 2 reach /checkout and thanks. upgrade: 2 visits
//! reach /pricing (A1, B2); none signs up in the same visit.
//!
//! `fixtures/languages.log` (one visitor an address, Firefox, 1–2 May):
//! `fr-CA,fr;q=0.9,en;q=0.8` (two page views) → fr; `en-US;q=0.5,
//! de-DE;q=0.7` → de; `*` and `-` → unknown; `pt-BR,pt;q=0.9` on both days →
//! pt twice; `de;q=0.8, en;q=0.8` → de (a tie goes to the first); a visitor
//! whose header changes from `en-GB` to `fr` within the day counts for en
//! and fr; `zh-Hant-TW;q=0.9, ja;q=0.3` → zh; Googlebot's `en`, a static
//! file's `ja` and a 404's `ko` are no page views. So de 2, fr 2, pt 2,
//! unknown 2, en 1, zh 1, over 9 visitor-days.

mod common;

use common::{assert_subset, fixture, logstats, report_json, run_json_report, without_paths};
use serde_json::Value;

const GOALS: [&str; 10] = [
    "--goal",
    "signup=POST /accounts/signup 3xx",
    "--goal",
    "thanks=/checkout/done*",
    "--goal",
    "video=/media/*.mp4",
    "--funnel",
    "checkout=/cart,/checkout,thanks",
    "--funnel",
    "upgrade=/pricing,signup",
];

fn path(name: &str) -> String {
    fixture(name).to_str().unwrap().to_string()
}

fn goals_report(files: &[&str], extra: &[&str]) -> Value {
    let paths: Vec<String> = files.iter().map(|f| path(f)).collect();
    let mut args: Vec<&str> = paths.iter().map(String::as_str).collect();
    args.extend(GOALS);
    args.extend(extra);
    report_json(&args)
}

fn expected(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

#[test]
fn hand_counted_goals_and_funnels() {
    let r = goals_report(&["goals-a.log", "goals-b.log"], &[]);
    assert_subset(&expected("goals.expected.json"), &r, "report");
    // The layout logs no Accept-Language: no languages table at all.
    assert!(r.get("languages").is_none());
}

#[test]
fn same_figures_from_files_in_any_order_threads_and_chunks() {
    let reference = without_paths(goals_report(&["goals-a.log", "goals-b.log"], &[]));
    let runs: [(&[&str], &[&str]); 5] = [
        (&["goals-b.log", "goals-a.log"], &[]),
        (&["goals-a.log", "goals-b.log"], &["--threads", "1"]),
        (&["goals-b.log", "goals-a.log"], &["--threads", "2"]),
        (
            &["goals-a.log", "goals-b.log"],
            &["--threads", "2", "--chunk-bytes", "1"],
        ),
        (
            &["goals-b.log", "goals-a.log"],
            &["--threads", "1", "--chunk-bytes", "64", "--no-mmap"],
        ),
    ];
    for (files, extra) in runs {
        let mut r = without_paths(goals_report(files, extra));
        // Only the list of inputs follows the order given.
        r["inputs"] = reference["inputs"].clone();
        assert_eq!(r, reference, "{files:?} {extra:?}");
    }
}

#[test]
fn goal_hits_change_no_visit_bounce_or_page_view() {
    let files = [path("goals-a.log"), path("goals-b.log")];
    let plain = report_json(&[&files[0], &files[1]]);
    let mut with_goals = goals_report(&["goals-a.log", "goals-b.log"], &[]);
    let obj = with_goals.as_object_mut().unwrap();
    for section in ["goals", "goal_channels", "funnels"] {
        assert!(obj.remove(section).is_some(), "{section}");
    }
    assert_eq!(with_goals, plain);
    // And without goals the sections are absent, not empty.
    assert!(plain.get("goals").is_none() && plain.get("funnels").is_none());
}

#[test]
fn sections_are_never_cut_by_top() {
    let r = goals_report(&["goals-a.log", "goals-b.log"], &["--top", "1"]);
    assert_eq!(r["goals"].as_array().unwrap().len(), 3);
    assert_eq!(r["goal_channels"].as_array().unwrap().len(), 9);
    assert_eq!(r["funnels"].as_array().unwrap().len(), 5);
    assert_eq!(r["channels"].as_array().unwrap().len(), 1);
}

#[test]
fn the_configuration_file_defines_them_too() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        r#"
[goals]
thanks = "/checkout/done*"
signup = "POST /accounts/signup 3xx"
video = "/media/*.mp4"

[funnels]
checkout = ["/cart", "/checkout", "thanks"]
upgrade = "/pricing, signup"
"#,
    )
    .unwrap();
    let (a, b) = (path("goals-a.log"), path("goals-b.log"));
    let from_file = report_json(&[&a, &b, "--config", config.to_str().unwrap()]);
    assert_subset(&expected("goals.expected.json"), &from_file, "report");
    // A funnel flag replaces the file's funnels and may name its goals.
    let r = report_json(&[
        &a,
        &b,
        "--config",
        config.to_str().unwrap(),
        "--funnel",
        "one=signup",
    ]);
    let funnels = r["funnels"].as_array().unwrap();
    assert_eq!(funnels.len(), 1);
    assert_eq!(
        (funnels[0]["name"].as_str(), funnels[0]["visits"].as_u64()),
        (Some("signup"), Some(2))
    );
}

fn failure(args: &[&str]) -> String {
    let out = run_json_report(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    assert!(out.stdout.is_empty());
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn definitions_that_cannot_be_used_exit_2_naming_where() {
    let a = path("goals-a.log");
    for (args, says) in [
        (
            &["--goal", "signup=POST accounts/signup"][..],
            vec!["--goal", "does not start with / or *"],
        ),
        (&["--goal", "signup"], vec!["--goal", "write NAME=PATTERN"]),
        (
            &["--goal", "s=/a 9x9"],
            vec!["--goal", "'9x9' is not a status"],
        ),
        (
            &["--goal", "a=/x", "--goal", "a=/y"],
            vec!["--goal 'a=/y'", "defined twice, first by --goal 'a=/x'"],
        ),
        (
            &["--goal", "thanks=/done", "--funnel", "f=/cart,thank"],
            vec![
                "--funnel 'f=/cart,thank'",
                "the step 'thank' names no goal (the goals are thanks) and is not a pattern",
            ],
        ),
        (
            &["--funnel", "f=/a", "--funnel", "f=/b"],
            vec!["--funnel 'f=/b'", "the funnel 'f' is defined twice"],
        ),
    ] {
        let mut all = vec![a.as_str()];
        all.extend(args);
        let e = failure(&all);
        for s in says {
            assert!(e.contains(s), "{args:?}: {e}");
        }
    }
    // In the configuration file: the file and the line.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    for (text, says) in [
        (
            "[goals]\nok = \"/a\"\nbad = \"/a 600-700x\"\n",
            "line 3: goal 'bad'",
        ),
        (
            "[goals]\nok = \"/a\"\n[funnels]\nf = [\"ok\", \"nope\"]\n",
            "line 4: funnel 'f': the step 'nope' names no goal (the goals are ok)",
        ),
    ] {
        std::fs::write(&config, text).unwrap();
        let e = failure(&[&a, "--config", config.to_str().unwrap()]);
        assert!(
            e.contains(config.to_str().unwrap()) && e.contains(says),
            "{text}: {e}"
        );
    }
}

#[test]
fn table_and_csv_show_the_goal_sections() {
    let (a, b) = (path("goals-a.log"), path("goals-b.log"));
    let mut args = vec!["report", a.as_str(), b.as_str()];
    args.extend(GOALS);
    let out = logstats().args(&args).output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    for want in [
        "Goals\n",
        "Goals by channel",
        "Funnels",
        "thanks",
        "/checkout/done*",
    ] {
        if want == "/checkout/done*" {
            // Patterns are definitions, not rows: only step names show.
            assert!(!table.contains(want), "{want}");
        } else {
            assert!(table.contains(want), "{want}\n{table}");
        }
    }
    assert!(!table.contains("Languages"));
    let out = logstats()
        .args(&args)
        .args(["--format", "csv", "--section", "funnels"])
        .output()
        .unwrap();
    let csv = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        csv.lines().take(3).collect::<Vec<_>>(),
        [
            "funnel,step,name,visits,share_of_first,drop_off",
            "checkout,1,/cart,3,1,0",
            "checkout,2,/checkout,2,0.6666666666666666,0.33333333333333337",
        ]
    );
    let out = logstats()
        .args(&args)
        .args(["--format", "csv"])
        .output()
        .unwrap();
    let tidy = String::from_utf8(out.stdout).unwrap();
    assert!(tidy.contains("goals,thanks,conversions,3\n"), "{tidy}");
    assert!(tidy.contains("goal_channels,video/Search,conversion_rate,1\n"));
    // Without goals: no such rows, no such tables.
    let out = logstats()
        .args(["report", &a, "--format", "csv"])
        .output()
        .unwrap();
    let tidy = String::from_utf8(out.stdout).unwrap();
    assert!(!tidy.contains("\ngoals,") && !tidy.contains("\nfunnels,"));
    let out = logstats().args(["report", &a]).output().unwrap();
    assert!(!String::from_utf8(out.stdout).unwrap().contains("Funnels"));
}

#[test]
fn goals_on_a_hit_level_section_cost_nothing_and_break_nothing() {
    let mut args = vec!["report".to_string(), path("goals-a.log")];
    args.extend(GOALS.iter().map(|s| s.to_string()));
    args.extend(["--format", "csv", "--section", "status_codes"].map(String::from));
    let out = logstats().args(&args).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("status,hits\n"));
}

const NGINX: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_accept_language""#;
const APACHE: &str =
    r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" "%{Accept-Language}i""#;
const GUNICORN: &str =
    r#"%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" "%({accept-language}i)s""#;

#[test]
fn hand_counted_languages_in_nginx_apache_and_gunicorn_layouts() {
    let log = path("languages.log");
    for layout in [NGINX, APACHE, GUNICORN] {
        let r = report_json(&[&log, "--log-format", layout]);
        assert_eq!(r["inputs"][0]["malformed"], 0, "{layout}");
        assert_subset(&expected("languages.expected.json"), &r, layout);
    }
    // Read as combined (the header is a trailing field it ignores): no
    // languages table, rather than one of unknowns.
    let r = report_json(&[&log]);
    assert_eq!(r["inputs"][0]["format"], "combined");
    assert!(r.get("languages").is_none());
    // Same figures whatever the chunks and threads.
    let a = report_json(&[
        &log,
        "--log-format",
        NGINX,
        "--chunk-bytes",
        "1",
        "--threads",
        "2",
    ]);
    assert_eq!(
        a["languages"],
        expected("languages.expected.json")["languages"]
    );
}

#[test]
fn languages_in_table_and_csv() {
    let log = path("languages.log");
    let out = logstats()
        .args(["report", &log, "--log-format", APACHE])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("Languages"), "{table}");
    let out = logstats()
        .args(["report", &log, "--log-format", APACHE, "--format", "csv"])
        .args(["--section", "languages"])
        .output()
        .unwrap();
    let csv = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        csv,
        "language,visitors\nde,2\nfr,2\npt,2\nunknown,2\nen,1\nzh,1\n"
    );
}
