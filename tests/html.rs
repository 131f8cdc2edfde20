//! `--format html`: the page read as text, and opened in headless Chromium
//! for a fixture and for a hostile log. In the browser: every figure in
//! the page equals the JSON report's, nothing injected becomes an element
//! or runs, no request leaves the page, the console stays empty, with
//! JavaScript on and off. Without Chromium the browser tests print a
//! "skipped" line, unless `$CI` is set: then they fail.
//!
//! `LOGSTATS_UPDATE_SCREENSHOTS=1 cargo test --test html` rewrites the
//! screenshots in docs/.

mod browser;
mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

use browser::{browser_or_skip, Browser, Tab};
use common::{fixture, logstats};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";

/// The HTML page and the JSON report of one run's arguments, both written
/// with -o into `dir`, which the run is started in.
fn page_and_json(dir: &Path, args: &[&str]) -> (PathBuf, String, Value) {
    page_and_json_from(dir, dir, args)
}

/// As [`page_and_json`], the run started in `cwd`.
fn page_and_json_from(cwd: &Path, dir: &Path, args: &[&str]) -> (PathBuf, String, Value) {
    let page = dir.join("report.html");
    let json = dir.join("report.json");
    for (format, out) in [("html", &page), ("json", &json)] {
        let run = logstats()
            .current_dir(cwd)
            .arg("report")
            .args(args)
            .args(["--format", format, "-o"])
            .arg(out)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    let html = std::fs::read_to_string(&page).unwrap();
    let json = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    (page, html, json)
}

fn fixture_page() -> (tempfile::TempDir, PathBuf, String, Value) {
    fixtures_page(&["access.log"])
}

fn fixtures_page(names: &[&str]) -> (tempfile::TempDir, PathBuf, String, Value) {
    let dir = tempfile::tempdir().unwrap();
    let logs: Vec<PathBuf> = names.iter().map(|n| fixture(n)).collect();
    let args: Vec<&str> = logs.iter().map(|l| l.to_str().unwrap()).collect();
    let (page, html, json) = page_and_json(dir.path(), &args);
    (dir, page, html, json)
}

/// A log written to break the page: markup, script and `javascript:` URLs
/// in every field that reaches it, bidi overrides, a control character,
/// U+2028, and a file name that is markup too.
const HOSTILE_FILE: &str = "\"><svg onload=window.pwned=13>.log";

fn hostile_log() -> String {
    let long = "a".repeat(80);
    [
        // A script in the path, which also closes the script element of
        // the embedded JSON if it is not escaped.
        format!(r#"203.0.113.7 - - [01/May/2024:10:00:00 +0000] "GET /</script><script>window.pwned=1</script> HTTP/1.1" 200 100 "-" "{FIREFOX}""#),
        // A search term that closes an attribute and adds an image.
        format!(r#"203.0.113.8 - - [01/May/2024:10:05:00 +0000] "GET /landing HTTP/1.1" 200 100 "https://www.google.com/search?q=%22%3E%3Cimg+src%3Dx+onerror%3Dwindow.pwned%3D2%3E" "{FIREFOX}""#),
        // The same as the referrer itself, its quote escaped as nginx does.
        format!(r#"203.0.113.9 - - [01/May/2024:10:06:00 +0000] "GET /ref HTTP/1.1" 200 100 "\x22><img src=x onerror=window.pwned=3>" "{FIREFOX}""#),
        // javascript: URLs as a target, a referrer and campaign values.
        format!(r#"203.0.113.10 - - [01/May/2024:10:07:00 +0000] "GET javascript:window.pwned=4 HTTP/1.1" 200 100 "javascript:window.pwned=5" "{FIREFOX}""#),
        format!(r#"203.0.113.11 - - [01/May/2024:10:08:00 +0000] "GET /?utm_source=javascript:window.pwned%3D6&utm_medium=%3Csvg%20onload%3Dwindow.pwned%3D7%3E HTTP/1.1" 200 100 "-" "{FIREFOX}""#),
        // </script> in the user agent.
        r#"203.0.113.12 - - [01/May/2024:10:09:00 +0000] "GET /robots HTTP/1.1" 404 10 "-" "</script><script>window.pwned=8</script> spider""#.to_string(),
        // Bidi overrides and an escape sequence in a path.
        format!("203.0.113.13 - - [01/May/2024:10:10:00 +0000] \"GET /invoice\u{202e}fdp.exe\u{2066}\x1b[31m HTTP/1.1\" 200 100 \"-\" \"{FIREFOX}\""),
        // A quote in a long path, which is shown in a title attribute too.
        format!(r#"203.0.113.14 - - [01/May/2024:10:11:00 +0000] "GET /\x22><img src=x onerror=window.pwned=9>/{long} HTTP/1.1" 500 100 "-" "{FIREFOX}""#),
        // A client field that is no address (the clients table shows it).
        format!(r#"<svg/onload=window.pwned=10> - - [01/May/2024:10:12:00 +0000] "GET /c HTTP/1.1" 200 100 "-" "{FIREFOX}""#),
        // A malformed line, shown as written.
        r#"<script>window.pwned=11</script> "><img src=x onerror=window.pwned=12>"#.to_string(),
        // U+2028: a line break to JavaScript before ES2019.
        format!("203.0.113.15 - - [01/May/2024:10:13:00 +0000] \"GET /line\u{2028}sep HTTP/1.1\" 200 100 \"-\" \"{FIREFOX}\""),
    ]
    .join("\n")
        + "\n"
}

fn hostile_page() -> (tempfile::TempDir, PathBuf, String, Value) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(HOSTILE_FILE), hostile_log()).unwrap();
    let (page, html, json) = page_and_json(
        dir.path(),
        &[
            HOSTILE_FILE,
            "--clients",
            "--log-format",
            "combined",
            "--site",
            "example.com",
        ],
    );
    (dir, page, html, json)
}

/// The report's JSON as embedded in the page.
fn embedded_json(html: &str) -> Value {
    let start = r#"<script type="application/json" id="report-data">"#;
    let at = html.find(start).expect("embedded JSON") + start.len();
    let end = at + html[at..].find("</script>").unwrap();
    serde_json::from_str(&html[at..end]).unwrap()
}

// ---- the page as text

#[test]
fn the_page_holds_everything_and_loads_nothing() {
    let (_dir, _page, html, json) = fixture_page();
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Nothing to fetch: no resource attribute, no CSS import or url().
    for outside in [
        " src=", " href=", "srcset=", "@import", "url(", "<link", "<iframe", "<img",
    ] {
        assert!(
            !html.contains(outside),
            "the page refers to something outside: {outside}"
        );
    }
    // The CSP allows nothing to load, and this page's script by its hash.
    let csp_start = r#"<meta http-equiv="Content-Security-Policy" content=""#;
    let at = html.find(csp_start).unwrap() + csp_start.len();
    let csp = &html[at..at + html[at..].find('"').unwrap()];
    assert!(csp.starts_with("default-src 'none'; "), "{csp}");
    let script_start = html.rfind("<script>").unwrap() + "<script>".len();
    let script =
        &html[script_start..script_start + html[script_start..].find("</script>").unwrap()];
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script));
    assert!(
        csp.contains(&format!("script-src 'sha256-{hash}'")),
        "{csp}"
    );
    // The embedded JSON is the JSON report.
    assert_eq!(embedded_json(&html), json);
}

#[test]
fn status_classes_per_bucket_counted_by_hand() {
    let (_dir, _page, html, _json) = fixture_page();
    // The fixture's hours in its zone (+02:00), from its lines: statuses
    // 200 200 at 09h; 200 200 404 500 at 10h; 408 400 at 11h; 304 at
    // 23h; 200 at 00h; 200 200 503 502 404 404 at 08h; 204 301 at 09h.
    for (hour, figures) in [
        (
            "2024-05-01 09:00",
            "hits: 2\n2xx: 2\n3xx: 0\n4xx: 0\n5xx: 0",
        ),
        (
            "2024-05-01 10:00",
            "hits: 4\n2xx: 2\n3xx: 0\n4xx: 1\n5xx: 1",
        ),
        (
            "2024-05-01 11:00",
            "hits: 2\n2xx: 0\n3xx: 0\n4xx: 2\n5xx: 0",
        ),
        (
            "2024-05-01 12:00",
            "hits: 0\n2xx: 0\n3xx: 0\n4xx: 0\n5xx: 0",
        ),
        (
            "2024-05-01 23:00",
            "hits: 1\n2xx: 0\n3xx: 1\n4xx: 0\n5xx: 0",
        ),
        (
            "2024-05-02 00:00",
            "hits: 1\n2xx: 1\n3xx: 0\n4xx: 0\n5xx: 0",
        ),
        (
            "2024-05-02 08:00",
            "hits: 6\n2xx: 2\n3xx: 0\n4xx: 2\n5xx: 2",
        ),
        (
            "2024-05-02 09:00",
            "hits: 2\n2xx: 1\n3xx: 1\n4xx: 0\n5xx: 0",
        ),
    ] {
        let title = format!("<title>{hour}\n{figures}</title>");
        assert!(html.contains(&title), "no bar of {hour} with {figures}");
    }
    // Page views and visitors of the same hours: / at 09:58 and /blog/42
    // and /blog/43 (two visitors) at 10h; /blog/42 (304) at 23h.
    assert!(html.contains("<title>2024-05-01 10:00\npage views: 2\nvisitors: 2</title>"));
    assert!(html.contains("<title>2024-05-01 23:00\npage views: 1\nvisitors: 1</title>"));
}

#[test]
fn hostile_text_stays_text_in_the_markup() {
    let (_dir, _page, html, json) = hostile_page();
    // Two script elements: the JSON and the page's own script.
    assert_eq!(html.matches("<script").count(), 2);
    assert_eq!(html.matches("</script>").count(), 2);
    for tag in ["<img", "<svg onload", "<svg/onload"] {
        assert!(!html.contains(tag), "{tag} reached the page as markup");
    }
    // Bidi controls reach the markup only as visible escapes; U+2028 is
    // escaped in the JSON (in element text it is harmless white space).
    assert!(html.contains('\u{202e}') && embedded_only(&html, '\u{202e}'));
    assert!(html.contains('\u{2028}') && !embedded_only(&html, '\u{2028}'));
    assert!(
        !in_embedded_json(&html, '\u{2028}'),
        "U+2028 left unescaped in the JSON"
    );
    // Escaped, the texts are still all there, and the JSON is the report.
    assert!(html.contains("/&lt;/script&gt;&lt;script&gt;window.pwned=1&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=window.pwned=2&gt;"));
    assert!(html.contains("/invoice\\u{202e}fdp.exe\\u{2066}\\x1b[31m"));
    assert_eq!(embedded_json(&html), json);
}

/// Where the embedded JSON is in the page.
fn embedded_json_span(html: &str) -> std::ops::Range<usize> {
    let start = html.find(r#"id="report-data">"#).unwrap();
    start..start + html[start..].find("</script>").unwrap()
}

/// Whether every occurrence of `c` is inside the embedded JSON (where
/// serde_json leaves bidi characters as they are, as data).
fn embedded_only(html: &str, c: char) -> bool {
    let json = embedded_json_span(html);
    html.match_indices(c).all(|(at, _)| json.contains(&at))
}

fn in_embedded_json(html: &str, c: char) -> bool {
    html[embedded_json_span(html)].contains(c)
}

#[test]
fn html_goes_to_a_file_or_a_pipe_and_holds_every_table() {
    let log = fixture("access.log");
    let out = logstats()
        .args(["report", log.to_str().unwrap(), "--format", "html"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.starts_with(b"<!DOCTYPE html>"));
    let out = logstats()
        .args([
            "report",
            log.to_str().unwrap(),
            "--format",
            "html",
            "--section",
            "pages",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--section goes with --format csv or table")
    );
}

#[test]
fn a_page_is_not_written_to_a_terminal() {
    // util-linux's script(1) runs the command with a terminal as its
    // standard output.
    let log = fixture("access.log");
    let command = format!(
        "'{}' report '{}' --format html",
        env!("CARGO_BIN_EXE_logstats"),
        log.display()
    );
    let Ok(out) = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .output()
    else {
        eprintln!("skipped: script(1) from util-linux is not installed");
        return;
    };
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("--format html writes a web page: add -o report.html"),
        "{said}"
    );
    assert!(!said.contains("<!DOCTYPE"), "{said}");
}

// ---- in the browser

fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for b in path.to_str().unwrap().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => {
                url.push(b as char)
            }
            _ => url.push_str(&format!("%{b:02X}")),
        }
    }
    url
}

/// Every element with `data-section`: its rows (`data-row`), each a map
/// of its `data-col` elements to their `data-v` and text.
const READ_FIGURES: &str = r#"(() => {
  const out = {};
  for (const section of document.querySelectorAll("[data-section]")) {
    const rows = section.matches("[data-row]") ? [section] : [...section.querySelectorAll("[data-row]")];
    out[section.dataset.section] = rows.map(row => {
      const cells = {};
      for (const c of row.querySelectorAll("[data-col]")) {
        cells[c.dataset.col] = { v: c.hasAttribute("data-v") ? c.dataset.v : null, text: c.textContent };
      }
      return cells;
    });
  }
  return out;
})()"#;

/// Log text as the page shows it: controls and bidi as escapes.
fn shown(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let bidi = matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if c.is_control() && (c as u32) < 0x100 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else if c.is_control() || bidi {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// A figure as the page writes it for people, read back: `1,234`,
/// `27.8 %`, `26.4 KiB`, `12.5 ms`, `1m 05s`; with how far it may be from
/// the exact value (the rounding of what is shown).
fn read_shown(text: &str) -> Option<(f64, f64)> {
    let plain = text.replace(',', "");
    if let Ok(n) = plain.parse::<f64>() {
        return Some((n, 0.0));
    }
    if let Some(p) = plain.strip_suffix(" %") {
        return Some((p.parse::<f64>().ok()? / 100.0, 0.0005 + 1e-9));
    }
    if let Some(ms) = plain.strip_suffix(" ms") {
        return Some((ms.parse().ok()?, 0.05 + 1e-9));
    }
    for (k, unit) in ["B", "KiB", "MiB", "GiB", "TiB"].iter().enumerate() {
        if let Some(v) = plain.strip_suffix(&format!(" {unit}")) {
            let scale = 1024f64.powi(k as i32);
            return Some((v.parse::<f64>().ok()? * scale, 0.05 * scale + 1e-9));
        }
    }
    // Durations: 45s, 1m 05s, 2h 03m.
    let mut seconds = 0.0;
    let mut slack = 0.5;
    for part in plain.split(' ') {
        let (n, unit) = part.split_at(part.len().checked_sub(1)?);
        let n: f64 = n.parse().ok()?;
        seconds += n * match unit {
            "s" => 1.0,
            "m" => 60.0,
            "h" => {
                slack = 30.0;
                3600.0
            }
            _ => return None,
        };
    }
    Some((seconds, slack))
}

/// The rows of a JSON section, as the page has them.
fn json_rows(report: &Value, name: &str) -> Vec<Value> {
    match (name, &report[name]) {
        ("timeseries", t) => t["rows"].as_array().unwrap().clone(),
        (_, Value::Array(rows)) => rows.clone(),
        (_, Value::Null) => Vec::new(),
        (_, one) => vec![one.clone()],
    }
}

/// Every table of the JSON report is in the page, row for row, and every
/// figure in it equals the JSON's, both as `data-v` and as the text a
/// reader sees.
fn assert_figures_match(dom: &Value, report: &Value) {
    for name in logstats::output::SECTION_NAMES {
        let expected = json_rows(report, name);
        let Some(rows) = dom.get(name) else {
            // Languages only when the layout logs Accept-Language, goals
            // and funnels only when some are given: absent from the JSON too.
            let optional = [
                "vhosts",
                "clients",
                "malformed_samples",
                "response_time",
                "languages",
                "goals",
                "goal_channels",
                "funnels",
            ];
            assert!(
                expected.is_empty() && optional.contains(&name),
                "section {name} is not in the page"
            );
            continue;
        };
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), expected.len(), "{name}: rows");
        for (i, (row, want)) in rows.iter().zip(&expected).enumerate() {
            let at = format!("{name}[{i}]");
            for (column, value) in want.as_object().unwrap() {
                let Some(cell) = row.get(column) else {
                    // Response-time columns are left out when no row has one.
                    assert!(value.is_null(), "{at}.{column} is not in the page");
                    continue;
                };
                assert_cell(&format!("{at}.{column}"), cell, value);
            }
            for column in row.as_object().unwrap().keys() {
                assert!(
                    want.get(column).is_some(),
                    "{at}.{column} is not the JSON's"
                );
            }
        }
    }
}

fn assert_cell(at: &str, cell: &Value, want: &Value) {
    let text = cell["text"].as_str().unwrap();
    match (want, cell["v"].as_str()) {
        (Value::String(s), None) => assert_eq!(text, shown(s), "{at}"),
        (Value::String(s), Some(v)) => assert_eq!(v, s, "{at}"),
        (Value::Null, v) => assert_eq!(v, Some(""), "{at}: null"),
        // A key that is a number (a status code) is shown as it is.
        (Value::Number(n), None) => assert_eq!(text, n.to_string(), "{at}"),
        (Value::Number(n), v) => {
            let n = n.as_f64().unwrap();
            let exact: f64 = v
                .unwrap_or_else(|| panic!("{at}: no data-v"))
                .parse()
                .unwrap();
            assert!(
                (exact - n).abs() <= 1e-9 * n.abs().max(1.0),
                "{at}: data-v {exact}, JSON {n}"
            );
            let (seen, slack) =
                read_shown(text).unwrap_or_else(|| panic!("{at}: cannot read {text:?}"));
            assert!(
                (seen - n).abs() <= slack.max(1e-9 * n.abs()),
                "{at}: shown {text:?}, JSON {n}"
            );
        }
        other => panic!("{at}: unexpected {other:?}"),
    }
}

/// Nothing but what the page is made of: elements and attributes of its
/// own kinds (no event handler, no `src` or `href`), its two scripts, and
/// no script of the log's ran.
fn assert_nothing_injected(b: &mut Browser, tab: &Tab) {
    let found = b.eval(
        tab,
        r#"(() => {
  const tags = new Set(["html","head","meta","title","style","body","header","main","footer","section","div","p","h1","h2","h3","span","time","details","summary","table","thead","tbody","tr","th","td","i","b","script","svg","g","line","text","tspan","path","rect","select","option","label","button","output"]);
  const attributes = new Set(["lang","charset","http-equiv","content","name","class","id","hidden","type","title","style","datetime","scope","open","role","aria-label","aria-sort","value","viewBox","x","y","x1","x2","y1","y2","dx","dy","width","height","rx","d","text-anchor","preserveAspectRatio","vector-effect"]);
  const odd = [];
  for (const e of document.querySelectorAll("*")) {
    if (!tags.has(e.localName)) odd.push("element " + e.localName);
    for (const a of e.attributes) {
      if (!attributes.has(a.name) && !a.name.startsWith("data-")) odd.push(e.localName + " @" + a.name);
    }
  }
  return { odd, scripts: document.scripts.length, pwned: window.pwned === undefined ? null : String(window.pwned), title: document.title };
})()"#,
    );
    assert_eq!(found["odd"], Value::Array(vec![]), "injected markup");
    assert_eq!(found["scripts"], 2);
    assert_eq!(found["pwned"], Value::Null, "a script from the log ran");
    assert!(found["title"].as_str().unwrap().ends_with(" · logstats"));
}

fn assert_clean(b: &mut Browser, tab: &Tab, url: &str) {
    let complaints = b.complaints(tab, url);
    assert!(
        complaints.is_empty(),
        "console, requests or errors: {complaints:#?}"
    );
}

#[test]
fn fixture_in_the_browser_shows_the_json_figures() {
    let Some(mut b) = browser_or_skip() else {
        return;
    };
    // The sample log; two logs with response times (the routes' p50 and
    // p95, the response-time tile); one with virtual hosts.
    for logs in [
        &["access.log"][..],
        &["caddy.log", "nginx-json.log"],
        &["vhost.log"],
    ] {
        let (_dir, page, _html, json) = fixtures_page(logs);
        let url = file_url(&page);
        for script in [true, false] {
            let tab = b.open(&url, 1280, false, script);
            let dom = b.eval(&tab, READ_FIGURES);
            assert_figures_match(&dom, &json);
            assert_nothing_injected(&mut b, &tab);
            assert_clean(&mut b, &tab, &url);
            // The range controls are there only when script runs.
            let controls = b.eval(&tab, r#"document.querySelector("div.range").hidden"#);
            assert_eq!(controls, Value::Bool(!script));
            b.close(tab);
        }
    }
}

#[test]
fn the_script_sorts_zooms_and_shows_exact_figures() {
    let Some(mut b) = browser_or_skip() else {
        return;
    };
    let (_dir, page, _html, json) = fixture_page();
    let url = file_url(&page);
    let tab = b.open(&url, 1280, false, true);

    // Sorting: pages by path, ascending, then by page views, descending
    // (ties keep the report's order).
    let order = |b: &mut Browser, column: usize| {
        b.eval(
            &tab,
            &format!(
                r#"(() => {{
  const table = document.querySelector('[data-section="pages"] table');
  table.tHead.rows[0].cells[{column}].querySelector("button").click();
  return [...table.tBodies[0].rows].map(r => r.cells[0].textContent);
}})()"#
            ),
        )
    };
    let by_path = order(&mut b, 0);
    let mut paths: Vec<String> = json["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap().to_string())
        .collect();
    let report_order = paths.clone();
    paths.sort();
    assert_eq!(by_path, serde_json::json!(paths));
    assert_eq!(order(&mut b, 1), serde_json::json!(report_order));

    // A range: from the third bucket to the last. The sums are the JSON
    // rows' (hours: no visitors, which do not add up over hours).
    let rows = json["timeseries"]["rows"].as_array().unwrap();
    let figures = b.eval(
        &tab,
        r#"(() => {
  const from = document.querySelector('select[name="from"]');
  from.value = "2";
  from.dispatchEvent(new Event("change"));
  return {
    text: document.querySelector("output.range-figures").textContent,
    hidden: document.querySelectorAll('[data-section="timeseries"] tbody tr[hidden]').length,
    viewBox: document.querySelector("svg.plot").getAttribute("viewBox"),
  };
})()"#,
    );
    let sum = |key: &str| -> u64 { rows[2..].iter().map(|r| r[key].as_u64().unwrap()).sum() };
    let text = figures["text"].as_str().unwrap();
    assert!(
        text.starts_with("2024-05-01 11:00 to 2024-05-02 09:00 (hours): "),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "hits {} · page views {} · 4xx {}",
            sum("hits"),
            sum("pageviews"),
            sum("status_4xx")
        )),
        "{text}"
    );
    assert!(!text.contains("visitors"), "{text}");
    assert_eq!(figures["hidden"], 2);
    // The plot shows buckets 2 to 24; their most page views in an hour
    // is 1, half the 2 of 10h that the whole axis is drawn for.
    assert_eq!(rows.len(), 25);
    assert_eq!(figures["viewBox"], "2 500 23 500");

    // A tooltip: the pointer at the middle of the first chart's plot is
    // over the bucket there, and the tip gives its exact figures.
    let plot = b.eval(
        &tab,
        r#"(() => {
  const plot = document.querySelector("svg.plot");
  const chart = plot.ownerSVGElement.getBoundingClientRect();
  const scale = chart.width / plot.ownerSVGElement.viewBox.baseVal.width;
  return ["x", "y", "width", "height"].map(a => plot.getAttribute(a) * scale)
    .map((v, i) => v + [chart.left, chart.top, 0, 0][i]);
})()"#,
    );
    let [left, top, width, height] = [0, 1, 2, 3].map(|i| plot[i].as_f64().unwrap());
    let x = left + width * 0.5;
    // The pointer comes in from the left, as a hand moves it, once the
    // zoomed chart has been drawn (input is hit-tested against the last
    // frame, and headless Chromium makes frames only on demand).
    b.eval(
        &tab,
        "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))",
    );
    b.mouse(&tab, "mouseMoved", x - 2.0, top + height / 2.0, false);
    b.mouse(&tab, "mouseMoved", x, top + height / 2.0, false);
    let shown_rows = rows.len() - 2;
    let bucket = 2 + ((x - left) / width * shown_rows as f64).floor() as usize;
    // Mouse moves reach the page with the next frame.
    let tip = b.eval(
        &tab,
        r#"new Promise(done => requestAnimationFrame(() => setTimeout(() => {
  const t = document.querySelector(".tip");
  done(t.hidden ? null : t.textContent);
}, 50)))"#,
    );
    let row = &rows[bucket];
    let start = row["start"].as_str().unwrap();
    let expected = format!(
        "{} {}\npage views: {}\nvisitors: {}\nhits: {}",
        &start[..10],
        &start[11..16],
        row["pageviews"],
        row["visitors"],
        row["hits"]
    );
    assert!(
        tip.as_str().unwrap().starts_with(&expected),
        "{tip} vs {expected}"
    );

    // Dragging across the first chart (the second is below the tab's
    // 900 pixels), from bucket 3 to bucket 6 of the whole period,
    // chooses that range for both.
    b.eval(
        &tab,
        r#"document.querySelector('button[name="all"]').click();
new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"#,
    );
    let first_plot = b.eval(
        &tab,
        r#"(() => {
  const plot = document.querySelector("svg.plot");
  const chart = plot.ownerSVGElement.getBoundingClientRect();
  const scale = chart.width / plot.ownerSVGElement.viewBox.baseVal.width;
  return [chart.left + plot.getAttribute("x") * scale, chart.top + plot.getAttribute("y") * scale,
          plot.getAttribute("width") * scale, plot.getAttribute("height") * scale];
})()"#,
    );
    let [left, top, width, height] = [0, 1, 2, 3].map(|i| first_plot[i].as_f64().unwrap());
    let at = |bucket: f64| left + (bucket + 0.5) / rows.len() as f64 * width;
    let y = top + height / 2.0;
    b.mouse(&tab, "mouseMoved", at(3.0), y, false);
    b.mouse(&tab, "mousePressed", at(3.0), y, true);
    b.mouse(&tab, "mouseMoved", at(5.0), y, true);
    b.mouse(&tab, "mouseReleased", at(6.0), y, false);
    let chosen = b.eval(
        &tab,
        r#"[document.querySelector('select[name="from"]').value, document.querySelector('select[name="to"]').value,
  document.querySelectorAll("svg.plot")[1].getAttribute("viewBox").split(" ")[0]]"#,
    );
    assert_eq!(chosen, serde_json::json!(["3", "6", "3"]));
    assert_clean(&mut b, &tab, &url);
}

#[test]
fn hostile_log_in_the_browser_runs_nothing_and_shows_its_text() {
    let Some(mut b) = browser_or_skip() else {
        return;
    };
    let (_dir, page, _html, json) = hostile_page();
    let url = file_url(&page);
    for script in [true, false] {
        let tab = b.open(&url, 1280, false, script);
        assert_nothing_injected(&mut b, &tab);
        assert_clean(&mut b, &tab, &url);
        let dom = b.eval(&tab, READ_FIGURES);
        assert_figures_match(&dom, &json);
        let text = b.eval(&tab, "document.body.innerText");
        let text = text.as_str().unwrap();
        for hostile in [
            "/</script><script>window.pwned=1</script>",
            "\"><img src=x onerror=window.pwned=2>",
            "javascript:window.pwned=4",
            "javascript:window.pwned=6",
            "<svg onload=window.pwned=7>",
            "/invoice\\u{202e}fdp.exe\\u{2066}\\x1b[31m",
            "<svg/onload=window.pwned=10>",
            "<script>window.pwned=11</script> \"><img src=x onerror=window.pwned=12>",
            HOSTILE_FILE,
        ] {
            assert!(text.contains(hostile), "{hostile:?} is not shown as text");
        }
        assert!(
            !text.contains('\u{202e}') && !text.contains('\u{2066}'),
            "a bidi control reached the reader"
        );
        b.close(tab);
    }
}

#[test]
fn screenshots_light_and_dark() {
    let Some(mut b) = browser_or_skip() else {
        return;
    };
    // A real log of four days (Elastic's Apache sample) as a reader sees it.
    let dir = tempfile::tempdir().unwrap();
    let log = common::corpus("apache/elastic_apache_logs.log");
    let (page, _html, _json) = page_and_json_from(
        log.parent().unwrap(),
        dir.path(),
        &["elastic_apache_logs.log"],
    );
    let url = file_url(&page);
    let update = std::env::var_os("LOGSTATS_UPDATE_SCREENSHOTS").is_some();
    for (dark, name, background) in [
        (false, "report-light.png", "rgb(244, 245, 247)"),
        (true, "report-dark.png", "rgb(17, 20, 25)"),
    ] {
        let tab = b.open(&url, 1200, dark, true);
        let shown = b.eval(&tab, "getComputedStyle(document.body).backgroundColor");
        assert_eq!(shown, background, "the page follows prefers-color-scheme");
        assert_clean(&mut b, &tab, &url);
        let png = b.screenshot(&tab, 1200, 1400);
        assert!(png.starts_with(b"\x89PNG"));
        let out = if update {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("docs")
                .join(name)
        } else {
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
        };
        std::fs::write(&out, png).unwrap();
        b.close(tab);
    }
}
