//! `report --state`: a log fed in pieces, with the rotations logrotate
//! does between them, gives the report of one run over the whole log;
//! and every way a state can be unusable is an error that names the file
//! and leaves it untouched.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::Output;

use common::{corpus, logstats};
use serde_json::Value;

/// The layout of [`generated_log`]: nginx-timed with `Accept-Language`.
pub const LAYOUT: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time "$http_accept_language""#;

/// Goals and a funnel on the paths of [`generated_log`]: page views, a
/// POST, static files (no page views), and a funnel whose steps are a
/// goal and a pattern.
pub const GOALS: [&str; 10] = [
    "--goal",
    "blog=/blog/*",
    "--goal",
    "pricing=GET /pricing",
    "--goal",
    "post=POST /*",
    "--goal",
    "asset=/static/*",
    "--funnel",
    "read=blog,/pricing",
];

/// A deterministic log (splitmix64): visitors with visits of several
/// page views and their assets, gaps of exactly 30 minutes and one second
/// more, referrers from search, social, a newsletter and the site
/// itself, bots, errors and bursts of 5xx (incidents), ties at the same
/// second, a little disorder, a response time and an `Accept-Language`
/// header on each line ([`LAYOUT`]). `step` is the mean number of
/// seconds between lines.
pub fn generated_log(lines: usize, seed: u64, step: u64) -> Vec<u8> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    const AGENTS: [&str; 5] = [
        "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "curl/8.5.0",
    ];
    const PAGES: [&str; 8] = [
        "/",
        "/blog/",
        "/blog/post-1",
        "/blog/post-2",
        "/pricing",
        "/docs/123/setup",
        "/about?ref=nav",
        "/search?q=10.0.0.7",
    ];
    const REFERRERS: [&str; 6] = [
        "-",
        "https://www.google.com/search?q=log+stats",
        "https://t.co/abc",
        "https://duckduckgo.com/?q=privacy%20analytics",
        "https://news.ycombinator.com/item?id=1",
        "-",
    ];
    const LANGUAGES: [&str; 6] = [
        "en-US,en;q=0.9",
        "fr-CA;q=0.9, en;q=0.5",
        "-",
        "*",
        "de",
        "pt-BR",
    ];
    let mut t: i64 = 1_714_600_000;
    // Lines left in a burst of server errors.
    let mut burst = 0;
    let mut last_view = [i64::MIN / 2; 64];
    let mut out: Vec<String> = Vec::with_capacity(lines);
    // The time of each line of `out` (of a malformed one: the line's before).
    let mut times: Vec<i64> = Vec::with_capacity(lines);
    while out.len() < lines {
        let r = next();
        t += match r % 200 {
            0 => 1800,
            1 => 1801,
            2 => 3 * 3600,
            3 => {
                burst = 30;
                0
            }
            4..=20 => 0,
            // A burst comes thick and fast.
            _ if burst > 0 => (next() % 8) as i64,
            _ => (next() % (2 * step)) as i64,
        };
        let v = (next() % 40) as usize;
        let agent = AGENTS[if v % 13 == 0 { 3 + v % 2 } else { v % 3 }];
        let client = if v % 17 == 0 {
            format!("2001:db8::{v:x}")
        } else {
            format!("10.0.{}.{}", v / 10, v % 10 + 1)
        };
        let page = PAGES[(next() % PAGES.len() as u64) as usize];
        let referrer = if t - last_view[v] <= 1800 {
            "https://example.com/blog/".to_string()
        } else if next() % 6 == 0 {
            "https://mail.google.com/".to_string()
        } else {
            REFERRERS[(next() % REFERRERS.len() as u64) as usize].to_string()
        };
        let target = if referrer == "-" && next() % 5 == 0 {
            format!(
                "{page}?utm_source=nl&utm_medium=email&utm_campaign=may{}",
                v % 3
            )
        } else {
            page.to_string()
        };
        let mut status = match next() % 40 {
            0 => 404,
            1 => 500,
            2 => 304,
            _ => 200,
        };
        if burst > 0 {
            burst -= 1;
            if next() % 4 != 0 {
                status = 502 + (next() % 2) as u16;
            }
        }
        // Mostly one header per visitor, sometimes another.
        let language = LANGUAGES[(v + (next() % 8 == 0) as usize) % LANGUAGES.len()];
        let method = if next() % 50 == 0 { "POST" } else { "GET" };
        let time = chrono::DateTime::from_timestamp(t, 0)
            .unwrap()
            .format("%d/%b/%Y:%H:%M:%S +0000");
        let rt = next() % 2000;
        out.push(format!(
            "{client} - - [{time}] \"{method} {target} HTTP/1.1\" {status} {} \"{referrer}\" \"{agent}\" {}.{:03} - \"{language}\"",
            next() % 5000,
            rt / 1000,
            rt % 1000
        ));
        last_view[v] = t;
        if next() % 3 == 0 {
            out.push(format!(
                "{client} - - [{time}] \"GET /static/app.css HTTP/1.1\" 200 900 \"https://example.com{page}\" \"{agent}\" 0.002 - \"{language}\""
            ));
        }
        times.resize(out.len(), t);
        // A little disorder: two lines written the other way round when
        // they are 30 minutes apart or less, as a state allows: a line
        // later than that cannot join a visit an earlier run closed (see
        // `a_late_goal_hit_joins_no_visit_a_run_closed`), and the report
        // would differ from one run's.
        if next() % 25 == 0 && out.len() >= 2 && t - times[out.len() - 2] <= 1800 {
            let n = out.len();
            out.swap(n - 1, n - 2);
            times.swap(n - 1, n - 2);
        }
        if next() % 97 == 0 {
            out.push("this is not a log line".into());
            times.push(t);
        }
    }
    let mut text = out.join("\n");
    text.push('\n');
    text.into_bytes()
}

/// How the live log is rotated between two runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// Renamed (logrotate with delaycompress): older renamed ones are
    /// compressed now.
    Rename,
    /// Renamed and compressed at once.
    RenameGzip,
    /// Copied, then truncated in place (copytruncate).
    CopyTruncate,
    /// Left as it is; new lines go to a new file.
    NewFile,
}

/// A directory where a log is written, rotated and reported on.
pub struct Site {
    pub dir: tempfile::TempDir,
    live: PathBuf,
    rotated: usize,
    /// Renamed plain files not compressed yet.
    plain: Vec<PathBuf>,
}

impl Default for Site {
    fn default() -> Self {
        Site::new()
    }
}

impl Site {
    pub fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("access.log");
        std::fs::write(&live, b"").unwrap();
        Site {
            dir,
            live,
            rotated: 0,
            plain: Vec::new(),
        }
    }

    pub fn state(&self) -> PathBuf {
        self.dir.path().join("site.state")
    }

    pub fn append(&self, bytes: &[u8]) {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.live)
            .unwrap();
        f.write_all(bytes).unwrap();
    }

    /// The logs, as the shell expands `access*`.
    pub fn logs(&self) -> Vec<PathBuf> {
        common::files_starting(self.dir.path(), "access")
    }

    pub fn rotate(&mut self, how: Rotation) {
        self.rotated += 1;
        let n = self.rotated;
        let dir = self.dir.path().to_path_buf();
        match how {
            Rotation::Rename => {
                for old in std::mem::take(&mut self.plain) {
                    let bytes = std::fs::read(&old).unwrap();
                    let mut gz = old.clone().into_os_string();
                    gz.push(".gz");
                    std::fs::write(&gz, gzip(&bytes)).unwrap();
                    std::fs::remove_file(&old).unwrap();
                }
                let to = dir.join(format!("access.log.{n}"));
                std::fs::rename(&self.live, &to).unwrap();
                self.plain.push(to);
                self.live = dir.join("access.log");
                std::fs::write(&self.live, b"").unwrap();
            }
            Rotation::RenameGzip => {
                let bytes = std::fs::read(&self.live).unwrap();
                std::fs::write(dir.join(format!("access.log.{n}.gz")), gzip(&bytes)).unwrap();
                std::fs::remove_file(&self.live).unwrap();
                self.live = dir.join("access.log");
                std::fs::write(&self.live, b"").unwrap();
            }
            Rotation::CopyTruncate => {
                std::fs::copy(&self.live, dir.join(format!("access.log.{n}"))).unwrap();
                std::fs::OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(&self.live)
                    .unwrap();
            }
            Rotation::NewFile => {
                self.live = dir.join(format!("access.log-new{n}"));
                std::fs::write(&self.live, b"").unwrap();
            }
        }
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// `report --state` over the site's logs: the output.
fn run_state(site: &Site, extra: &[&str]) -> Output {
    let mut cmd = logstats();
    cmd.arg("report")
        .args(site.logs())
        .arg("--state")
        .arg(site.state())
        .args(["--format", "json", "--top", "0"])
        .args(extra);
    cmd.output().unwrap()
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A report with what may differ between a state run and one run over
/// the same lines left out: `inputs`, and where the malformed samples
/// were found (file and line number), not their text.
pub fn comparable(mut v: Value) -> Value {
    let o = v.as_object_mut().unwrap();
    o.remove("inputs");
    if let Some(Value::Array(samples)) = o.get_mut("malformed_samples") {
        for s in samples {
            let s = s.as_object_mut().unwrap();
            s.remove("path");
            s.remove("line");
        }
    }
    v
}

/// Where the pieces of a log end: `pieces` cuts at byte positions spread
/// by `seed`, some inside a line.
pub fn cuts(len: usize, pieces: usize, seed: u64) -> Vec<usize> {
    let mut x = seed;
    let mut cuts: Vec<usize> = (1..pieces)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as usize % len.max(1)
        })
        .collect();
    cuts.push(len);
    cuts.sort_unstable();
    cuts
}

/// The end of the line that holds byte `at` (just after its newline).
pub fn line_end(log: &[u8], at: usize) -> usize {
    if at == 0 || log[at - 1] == b'\n' {
        return at;
    }
    log[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(log.len(), |i| at + i + 1)
}

/// Feeds `log` to a site in pieces ending at `cuts`, running `run` after
/// each; after piece k, `rotations[k]` (if any) rotates the live log,
/// once the line being written is finished and a few more lines were
/// written that no run saw before the rotation.
pub fn feed<R>(
    log: &[u8],
    cuts: &[usize],
    rotations: &[Option<Rotation>],
    mut run: impl FnMut(&Site) -> R,
) -> R {
    let mut site = Site::new();
    let mut pos = 0;
    let mut last = None;
    for (k, &cut) in cuts.iter().enumerate() {
        let cut = cut.max(pos);
        site.append(&log[pos..cut]);
        pos = cut;
        last = Some(run(&site));
        if let Some(how) = rotations.get(k).copied().flatten() {
            let next = cuts.get(k + 1).copied().unwrap_or(log.len()).max(pos);
            let end = line_end(
                log,
                line_end(log, pos)
                    .max(pos + (next - pos) / 2)
                    .min(log.len()),
            );
            site.append(&log[pos..end]);
            pos = end;
            site.rotate(how);
        }
    }
    if pos < log.len() {
        site.append(&log[pos..]);
        last = Some(run(&site));
    }
    last.unwrap()
}

fn one_shot(log: &[u8], extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("whole.log");
    std::fs::write(&path, log).unwrap();
    let out = logstats()
        .arg("report")
        .arg(&path)
        .args(["--format", "json", "--top", "0"])
        .args(extra)
        .output()
        .unwrap();
    json(&out)
}

const ROTATIONS: [Rotation; 4] = [
    Rotation::Rename,
    Rotation::RenameGzip,
    Rotation::CopyTruncate,
    Rotation::NewFile,
];

/// 20 pieces, each kind of rotation between some of them; returns the
/// last report.
fn twenty_pieces_with_rotations(log: &[u8], extra: &[&str]) -> Value {
    let cuts = cuts(log.len(), 20, 7);
    let rotations: Vec<Option<Rotation>> = (0..20)
        .map(|k| (k % 3 == 1).then(|| ROTATIONS[(k / 3) % 4]))
        .collect();
    let last = feed(log, &cuts, &rotations, |site| json(&run_state(site, extra)));
    let expected = one_shot(log, extra);
    assert_eq!(comparable(last.clone()), comparable(expected));
    last
}

#[test]
fn a_corpus_log_in_twenty_rotated_pieces_gives_the_one_run_report() {
    let log = std::fs::read(corpus("apache/elastic_apache_logs.log")).unwrap();
    let goals = [
        "--goal",
        "xdotool=/projects/xdotool/*",
        "--goal",
        "image=/images/*",
        "--funnel",
        "tool=/,xdotool",
    ];
    let report = twenty_pieces_with_rotations(&log, &goals);
    assert!(report["goals"][0]["conversions"].as_u64().unwrap() > 0);
    assert!(report["funnels"][1]["visits"].as_u64().unwrap() > 0);
}

#[test]
fn a_generated_log_in_twenty_rotated_pieces_gives_the_one_run_report() {
    // About two days (hourly buckets), then about six (daily buckets).
    for (seed, step) in [(1, 40), (2, 160)] {
        let log = generated_log(3000, seed, step);
        let mut extra = vec!["--log-format", LAYOUT, "--clients"];
        extra.extend(GOALS);
        let report = twenty_pieces_with_rotations(&log, &extra);
        // What the comparison covers is there.
        assert!(!report["incidents"].as_array().unwrap().is_empty());
        assert!(report["summary"]["visits_with_errors"].as_u64().unwrap() > 0);
        assert!(report["languages"].as_array().unwrap().len() > 3);
        let goals = report["goals"].as_array().unwrap();
        assert_eq!(goals.len(), 4);
        assert!(goals.iter().all(|g| g["conversions"].as_u64().unwrap() > 0));
        assert!(report["funnels"][1]["visits"].as_u64().unwrap() > 0);
    }
}

#[test]
fn settings_that_change_figures_are_kept_and_sources_from_sites() {
    let log = generated_log(1500, 3, 60);
    let extra = [
        "--site",
        "example.com",
        "--no-bots",
        "--exclude-path",
        "/static/*",
        "--tz",
        "Europe/Paris",
        "--log-format",
        LAYOUT,
    ];
    twenty_pieces_with_rotations(&log, &extra);
}

// ---------------------------------------------------------------- rules

/// A combined line of `client` viewing `path` at `t` (Unix seconds).
fn line(client: &str, t: i64, path: &str) -> String {
    let time = chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%d/%b/%Y:%H:%M:%S +0000");
    format!("{client} - - [{time}] \"GET {path} HTTP/1.1\" 200 10 \"-\" \"Mozilla/5.0 Firefox/125.0\"\n")
}

const T0: i64 = 1_714_550_400; // 2024-05-01T08:00:00Z

/// The report of a state fed `first`, then `second` (two runs), and that
/// of one run over both; `extra`: options of all three.
fn two_runs_and_one(first: &str, second: &str, extra: &[&str]) -> (Value, Value) {
    let site = Site::new();
    site.append(first.as_bytes());
    json(&run_state(&site, extra));
    site.append(second.as_bytes());
    let state = json(&run_state(&site, extra));
    let whole = one_shot(format!("{first}{second}").as_bytes(), extra);
    (state, whole)
}

#[test]
fn a_line_older_than_the_closed_visits_starts_a_visit_of_its_own() {
    // Run 1: A views two pages at T0, B one at T0 + 4000; other traffic
    // runs to T0 + 7200, so visits whose last view is before T0 + 3600
    // are closed: A's, not B's.
    let first = [
        line("10.0.0.1", T0, "/a1"),
        line("10.0.0.1", T0 + 60, "/a2"),
        line("10.0.0.2", T0 + 4000, "/b1"),
        line("10.0.0.3", T0 + 7200, "/c"),
    ]
    .concat();
    // Run 2: A at T0 + 600, older than the newest line less 30 minutes:
    // late, and A's visit is closed. B at T0 + 5500, out of order but
    // within 30 minutes of the newest: joins B's open visit exactly.
    let second = [
        line("10.0.0.1", T0 + 600, "/a3"),
        line("10.0.0.2", T0 + 5500, "/b2"),
    ]
    .concat();
    let (state, whole) = two_runs_and_one(&first, &second, &[]);
    let s = |v: &Value, k: &str| v["summary"][k].as_u64().unwrap();
    // Counted by hand. One run: A one visit of 3 views, B one of 2, C a
    // bounce: 3 visits, 1 bounce. The state: A's late view is a visit of
    // its own, a bounce: 4 visits, 2 bounces.
    assert_eq!((s(&whole, "visits"), s(&whole, "bounces")), (3, 1));
    assert_eq!((s(&state, "visits"), s(&state, "bounces")), (4, 2));
    // Everything else counts it as any line.
    for k in ["hits", "pageviews", "visitors"] {
        assert_eq!(s(&state, k), s(&whole, k), "{k}");
    }
    assert_eq!(state["pages"], whole["pages"]);
    let landing = |v: &Value, p: &str| {
        v["landing_pages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"] == p)
            .map(|r| r["visits"].as_u64().unwrap())
    };
    assert_eq!(landing(&state, "/a3"), Some(1));
    assert_eq!(landing(&whole, "/a3"), None);
    assert_eq!(landing(&state, "/b1"), Some(1));
    assert_eq!(landing(&state, "/b2"), None);
}

#[test]
fn a_late_goal_hit_joins_no_visit_a_run_closed() {
    // As a late page view: run 1 reads A's page view at T0, B's at
    // T0 + 6000 and C's at T0 + 7200, and closes A's visit. Run 2 reads
    // A's asset at T0 (two hours late: its visit is closed) and B's at
    // T0 + 6100 (late, but within 30 minutes of the newest line).
    let first = [
        line("10.0.0.1", T0, "/a"),
        line("10.0.0.2", T0 + 6000, "/b"),
        line("10.0.0.3", T0 + 7200, "/c"),
    ]
    .concat();
    let second = [
        line("10.0.0.1", T0, "/static/app.css"),
        line("10.0.0.2", T0 + 6100, "/static/app.css"),
    ]
    .concat();
    let (state, whole) = two_runs_and_one(&first, &second, &["--goal", "asset=/static/*"]);
    let g = |v: &Value, k: &str| v["goals"][0][k].as_u64().unwrap();
    // One run: both visits converted. The state: B's, which was open;
    // A's late hit is counted, but in no visit.
    assert_eq!(g(&whole, "conversions"), 2);
    assert_eq!(g(&state, "conversions"), 1);
    for k in ["hits", "visitors"] {
        assert_eq!(g(&state, k), g(&whole, k), "{k}");
    }
    assert_eq!(state["summary"], whole["summary"]);
}

const DAY: i64 = 86_400;

/// Day `d` after T0's: 10.0.0.1 views /x then /y, 10.0.0.2 views /z.
fn two_visitors_on_day(d: i64) -> String {
    [
        line("10.0.0.1", T0 + d * DAY, "/x"),
        line("10.0.0.1", T0 + d * DAY + 100, "/y"),
        line("10.0.0.2", T0 + d * DAY + 200, "/z"),
    ]
    .concat()
}

#[test]
fn keep_days_drops_older_days_and_what_began_on_them() {
    let lines = two_visitors_on_day;
    let site = Site::new();
    for d in 0..4 {
        site.append(lines(d).as_bytes());
        json(&run_state(&site, &["--keep-days", "2"]));
    }
    let kept = json(&run_state(&site, &["--keep-days", "2"]));
    let expected = one_shot(format!("{}{}", lines(2), lines(3)).as_bytes(), &[]);
    assert_eq!(comparable(kept.clone()), comparable(expected));
    assert_eq!(kept["summary"]["visits"], 4);
    assert_eq!(kept["period"]["first"], "2024-05-03T08:00:00+00:00");
}

/// What `logstats state` says of the site's state.
fn described(site: &Site) -> String {
    common::state_description(&site.state())
}

#[test]
fn the_settled_days_are_read_from_their_sums_and_summed_again_when_one_changes() {
    // One day at a time, three visitors a day: the days before the day
    // before the newest line's are settled, and summed in one block.
    let lines = |d: i64| {
        let newcomer = line(&format!("10.0.1.{d}"), T0 + d * DAY + 300, "/x");
        two_visitors_on_day(d) + &newcomer
    };
    let site = Site::new();
    let mut all = String::new();
    for d in 0..5 {
        site.append(lines(d).as_bytes());
        all.push_str(&lines(d));
        let report = json(&run_state(&site, &[]));
        assert_eq!(
            comparable(report),
            comparable(one_shot(all.as_bytes(), &[]))
        );
    }
    // Newest line on day 4: days 0 to 2 are settled.
    assert!(described(&site).contains("summed   the first 3 days"));
    // A late line on day 1, of a new visitor: the sums no longer count
    // day 1 as it is; the run sums the settled days again, exactly.
    let late = line("10.0.2.1", T0 + DAY + 500, "/late");
    site.append(late.as_bytes());
    all.push_str(&late);
    let report = json(&run_state(&site, &[]));
    assert_eq!(
        comparable(report.clone()),
        comparable(one_shot(all.as_bytes(), &[]))
    );
    // Counted by hand: 5 days of 3 visitors, and the late one.
    assert_eq!(report["summary"]["visitors"], 16);
    assert_eq!(report["summary"]["pageviews"], 21);
    assert!(described(&site).contains("summed   the first 3 days"));
    // A line on a day before every day kept: a new first day.
    let earlier = line("10.0.3.1", T0 - 2 * DAY, "/early");
    site.append(earlier.as_bytes());
    all.push_str(&earlier);
    let report = json(&run_state(&site, &[]));
    assert_eq!(
        comparable(report.clone()),
        comparable(one_shot(all.as_bytes(), &[]))
    );
    assert_eq!(report["summary"]["visitors"], 17);
    assert!(described(&site).contains("summed   the first 4 days"));
    // The next day settles day 3 too: added to the sums.
    site.append(lines(5).as_bytes());
    all.push_str(&lines(5));
    let report = json(&run_state(&site, &[]));
    assert_eq!(
        comparable(report),
        comparable(one_shot(all.as_bytes(), &[]))
    );
    assert!(described(&site).contains("summed   the first 5 days"));
}

#[test]
fn keep_days_over_settled_days_sums_what_is_kept() {
    let lines = |d: i64| {
        [
            line("10.0.0.1", T0 + d * DAY, "/x"),
            line(
                &format!("10.0.1.{d}"),
                T0 + d * DAY + 300,
                &format!("/day{d}"),
            ),
        ]
        .concat()
    };
    let site = Site::new();
    for d in 0..7 {
        site.append(lines(d).as_bytes());
        json(&run_state(&site, &["--keep-days", "4"]));
    }
    // Days 3 to 6 kept; 3 and 4 settled.
    assert!(described(&site).contains("summed   the first 2 days"));
    let kept = json(&run_state(&site, &["--keep-days", "4"]));
    let expected: String = (3..7).map(lines).collect();
    assert_eq!(
        comparable(kept.clone()),
        comparable(one_shot(expected.as_bytes(), &[]))
    );
    assert_eq!(kept["summary"]["visitors"], 8);
}

// ---------------------------------------------------------------- inputs

#[test]
fn a_rotated_file_that_is_not_named_is_a_warning_with_the_bytes_never_read() {
    let site = Site::new();
    site.append(line("10.0.0.1", T0, "/a").as_bytes());
    let live = site.dir.path().join("access.log");
    let only_live = |site: &Site| {
        logstats()
            .arg("report")
            .arg(&live)
            .arg("--state")
            .arg(site.state())
            .args(["--format", "json"])
            .output()
            .unwrap()
    };
    json(&only_live(&site));
    // Written after the run, then rotated; the user names access.log only.
    let unread = line("10.0.0.1", T0 + 10, "/b");
    site.append(unread.as_bytes());
    std::fs::rename(&live, site.dir.path().join("access.log.1")).unwrap();
    std::fs::write(&live, line("10.0.0.2", T0 + 20, "/c")).unwrap();
    let out = only_live(&site);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("access.log.1")
            && stderr.contains(&format!(
                "{} bytes written since were not read",
                unread.len()
            )),
        "{stderr}"
    );
    assert_eq!(json(&out)["summary"]["hits"], 2);
    // Gone altogether: said once, with what is known.
    std::fs::remove_file(site.dir.path().join("access.log.1")).unwrap();
    let out = only_live(&site);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is gone"), "{stderr}");
    let again = only_live(&site);
    assert!(
        again.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn a_last_line_without_its_newline_waits_for_the_next_run() {
    let site = Site::new();
    let whole = line("10.0.0.1", T0, "/a");
    site.append(&whole.as_bytes()[..30]);
    let first = json(&run_state(&site, &[]));
    assert_eq!(first["summary"]["hits"], 0);
    assert_eq!(first["inputs"][0]["lines"], 0);
    site.append(&whole.as_bytes()[30..]);
    let second = json(&run_state(&site, &[]));
    assert_eq!(second["summary"]["hits"], 1);
    assert_eq!(second["summary"]["visitors"], 1);
    assert_eq!(second["inputs"][0]["state"]["counted_before"]["bytes"], 0);
    // Read twice, counted once.
    let third = json(&run_state(&site, &[]));
    assert_eq!(third["summary"]["hits"], 1);
    assert_eq!(third["inputs"][0]["bytes"], 0);
    assert_eq!(third["inputs"][0]["state"]["cursor"], "continued");
}

// ---------------------------------------------------------------- safety

/// A site with a state made by one run, and lines added since.
fn site_with_state() -> (Site, Vec<u8>) {
    let site = Site::new();
    site.append(line("10.0.0.1", T0, "/a").as_bytes());
    json(&run_state(&site, &[]));
    site.append(line("10.0.0.2", T0 + 10, "/b").as_bytes());
    let saved = std::fs::read(site.state()).unwrap();
    (site, saved)
}

/// Runs on the site expecting exit status 2, a message naming the state
/// file and saying `says`, and the state as it was.
fn refused(site: &Site, saved: &[u8], extra: &[&str], says: &str) -> String {
    let out = run_state(site, extra);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&site.state().display().to_string()),
        "{stderr}"
    );
    assert!(stderr.contains(says), "{stderr}");
    assert_eq!(
        std::fs::read(site.state()).unwrap(),
        saved,
        "the state was changed"
    );
    assert!(out.stdout.is_empty());
    stderr
}

#[test]
fn a_corrupt_truncated_foreign_or_newer_state_is_refused_and_left_alone() {
    let (site, saved) = site_with_state();
    type Spoil = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: [(&str, Spoil, &str); 4] = [
        (
            "corrupt",
            Box::new(|b: &mut Vec<u8>| {
                let n = b.len();
                b[n - 3] ^= 0x55;
            }),
            "corrupt: its checksum",
        ),
        (
            "truncated",
            Box::new(|b: &mut Vec<u8>| b.truncate(b.len() - 10)),
            "truncated",
        ),
        (
            "foreign",
            Box::new(|b: &mut Vec<u8>| *b = b"{\"not\": \"a state\"}".to_vec()),
            "not a logstats state file",
        ),
        (
            "newer",
            Box::new(|b: &mut Vec<u8>| b[8] = 99),
            "written by a newer logstats",
        ),
    ];
    for (what, spoil, says) in cases {
        let mut bytes = saved.clone();
        spoil(&mut bytes);
        std::fs::write(site.state(), &bytes).unwrap();
        let stderr = refused(&site, &bytes, &[], says);
        assert!(stderr.contains("to start over"), "{what}: {stderr}");
    }
    // Shown the same way by `logstats state`.
    let out = logstats().arg("state").arg(site.state()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(site.state(), &saved).unwrap();
    assert_eq!(json(&run_state(&site, &[]))["summary"]["hits"], 2);
}

#[test]
fn other_settings_are_refused_with_the_difference_and_how_to_start_over() {
    let (site, saved) = site_with_state();
    let stderr = refused(
        &site,
        &saved,
        &["--site", "example.com", "--no-bots"],
        "other settings",
    );
    assert!(
        stderr.contains("--site is example.com now but was none"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--no-bots is on now but was off"),
        "{stderr}"
    );
    assert!(stderr.contains(".old"), "{stderr}");
    // Presentation is no setting: --top, --format, -o change nothing.
    let out = logstats()
        .arg("report")
        .args(site.logs())
        .arg("--state")
        .arg(site.state())
        .args(["--top", "1", "--format", "csv", "--section", "pages"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&run_state(&site, &[]))["summary"]["hits"], 2);
}

#[test]
fn a_missing_directory_or_input_is_refused_and_the_state_left_alone() {
    let (site, saved) = site_with_state();
    let out = logstats()
        .arg("report")
        .args(site.logs())
        .arg("--state")
        .arg(site.dir.path().join("no/such/dir/site.state"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("no/such/dir") && stderr.contains("mkdir -p"),
        "{stderr}"
    );
    // An input that cannot be read stops the run before anything is saved.
    let out = logstats()
        .arg("report")
        .args(site.logs())
        .arg(site.dir.path().join("missing.log"))
        .arg("--state")
        .arg(site.state())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(site.state()).unwrap(), saved);
}

#[test]
fn an_unwritable_directory_is_refused() {
    // /proc takes no new files, not even from root.
    let out = logstats()
        .arg("report")
        .arg(corpus("apache/elastic_apache_logs.log"))
        .args(["--state", "/proc/logstats.state"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("/proc/logstats.state") && stderr.contains("writable"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn a_full_disk_during_the_save_leaves_the_old_state() {
    use std::os::unix::process::CommandExt;
    let (site, saved) = site_with_state();
    // Files this process writes may not exceed the old state's size:
    // the new, larger one cannot be written, as on a full disk.
    let limit = saved.len() as u64;
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("logstats"));
    cmd.arg("report")
        .args(site.logs())
        .arg("--state")
        .arg(site.state());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let lim = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &lim);
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("the state was not changed"), "{stderr}");
    assert_eq!(std::fs::read(site.state()).unwrap(), saved);
    let leftovers = std::fs::read_dir(site.dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert_eq!(leftovers, 0, "a temporary file was left behind");
}

#[cfg(unix)]
#[test]
fn an_interrupt_during_the_save_leaves_the_old_state() {
    let (site, saved) = site_with_state();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("logstats"))
        .arg("report")
        .args(site.logs())
        .arg("--state")
        .arg(site.state())
        .env("LOGSTATS_TEST_STATE_PAUSE_MS", "20000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the new state to be written beside the old one.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let temporary = || {
        std::fs::read_dir(site.dir.path())
            .unwrap()
            .any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".tmp"))
    };
    while !temporary() {
        assert!(
            std::time::Instant::now() < deadline,
            "no temporary state appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SAFETY: a signal to a child of this process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert_eq!(std::fs::read(site.state()).unwrap(), saved);
    // The next run counts the new line once.
    assert_eq!(json(&run_state(&site, &[]))["summary"]["hits"], 2);
}

#[test]
fn a_second_run_waits_for_the_first_or_says_it_holds_the_state() {
    let (site, saved) = site_with_state();
    let lock = logstats::state::file::lock(&site.state(), std::time::Duration::ZERO).unwrap();
    let stderr = refused(
        &site,
        &saved,
        &["--state-wait", "1"],
        "another logstats run holds it",
    );
    assert!(stderr.contains("--state-wait"), "{stderr}");
    // Released while the second waits: it goes on.
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(500));
        drop(lock);
    });
    assert_eq!(
        json(&run_state(&site, &["--state-wait", "30"]))["summary"]["hits"],
        2
    );
    release.join().unwrap();
}

#[test]
fn the_state_command_says_what_a_state_holds() {
    let (site, _) = site_with_state();
    json(&run_state(&site, &[]));
    let text = described(&site);
    for expected in [
        "format   version 5",
        "summed   no days",
        "runs     2",
        "days     1 kept, 2024-05-01 to 2024-05-01",
        "access.log: read to byte",
        "2 lines",
        "--no-bots       off",
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
    let missing = logstats()
        .arg("state")
        .arg(site.dir.path().join("nope"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

// ---------------------------------------------------------------- property

mod property {
    use super::*;
    use logstats::input::InputPath;
    use logstats::state::StateOptions;
    use logstats::{run_report, RunOptions};
    use proptest::prelude::*;

    fn options(inputs: Vec<PathBuf>) -> RunOptions {
        RunOptions {
            inputs: inputs.into_iter().map(InputPath::File).collect(),
            top: 0,
            now: Some(1_714_600_000),
            format: Some(logstats::parse::Format::from_arg(LAYOUT).unwrap()),
            chunk_bytes: 512,
            goals: goals(),
            ..RunOptions::default()
        }
    }

    fn goals() -> Option<logstats::goals::GoalSet> {
        use logstats::goals::{FunnelDef, GoalDef, GoalSet};
        let (mut goals, mut funnels) = (Vec::new(), Vec::new());
        for pair in GOALS.chunks(2) {
            match pair[0] {
                "--goal" => goals.push(GoalDef::from_flag(pair[1]).unwrap()),
                _ => funnels.push(FunnelDef::from_flag(pair[1]).unwrap()),
            }
        }
        GoalSet::build(goals, funnels).unwrap()
    }

    fn report(v: &logstats::report::Report) -> Value {
        comparable(serde_json::to_value(v).unwrap())
    }

    proptest! {
        // The saved cases are read from where cargo runs the test (the
        // default looks for a lib.rs or main.rs beside the test, finds none in
        // tests/, and reads nothing).
        #![proptest_config(ProptestConfig {
            cases: 20,
            failure_persistence: Some(Box::new(prop::test_runner::FileFailurePersistence::Direct(
                "tests/state.proptest-regressions"
            ))),
            ..ProptestConfig::default()
        })]

        #[test]
        fn any_cuts_and_rotations_give_the_one_run_report(
            seed in 0u64..1000,
            pieces in 2usize..16,
            cut_seed in any::<u64>(),
            rotations in proptest::collection::vec(proptest::option::of(0usize..4), 16),
            // About 10 hours, or about 5 days: then most runs find some
            // days settled and read their saved sums.
            step in prop_oneof![Just(90u64), Just(1200u64)],
        ) {
            let log = generated_log(400, seed, step);
            let cuts = cuts(log.len(), pieces, cut_seed);
            let rotations: Vec<Option<Rotation>> =
                rotations.iter().map(|r| r.map(|i| ROTATIONS[i])).collect();
            let last = feed(&log, &cuts, &rotations, |site: &Site| {
                let state = StateOptions {
                    path: site.state(),
                    keep_days: None,
                    wait: std::time::Duration::from_secs(5),
                };
                let outcome = logstats::state::run(&options(site.logs()), &state).unwrap();
                report(&outcome.report)
            });
            let dir = tempfile::tempdir().unwrap();
            let whole = dir.path().join("whole.log");
            std::fs::write(&whole, &log).unwrap();
            let expected = run_report(&options(vec![whole])).unwrap();
            prop_assert_eq!(last, report(&expected.report));
        }
    }
}

#[test]
fn a_visit_that_never_pauses_keeps_its_first_and_last_hour_not_every_view() {
    // One visitor views a page every minute for 10 hours (one visit),
    // with referrers from the site itself and from elsewhere; another
    // comes and goes. Ten runs, one an hour.
    let mut runs: Vec<String> = vec![String::new(); 10];
    for minute in 0..600i64 {
        let t = T0 + minute * 60;
        let referrer = if minute % 7 == 0 {
            "https://other.example/"
        } else {
            "https://example.com/"
        };
        let page = format!("/p{}", minute % 13);
        let time = chrono::DateTime::from_timestamp(t, 0)
            .unwrap()
            .format("%d/%b/%Y:%H:%M:%S +0000");
        runs[(minute / 60) as usize].push_str(&format!(
            "10.0.0.1 - - [{time}] \"GET {page} HTTP/1.1\" 200 10 \"{referrer}\" \"Mozilla/5.0 Firefox/125.0\"\n"
        ));
        if minute % 45 == 0 {
            runs[(minute / 60) as usize].push_str(&line("10.0.0.2", t + 5, "/other"));
        }
    }
    let site = Site::new();
    for run in &runs {
        site.append(run.as_bytes());
        json(&run_state(&site, &[]));
    }
    let state = json(&run_state(&site, &[]));
    assert_eq!(
        comparable(state.clone()),
        comparable(one_shot(runs.concat().as_bytes(), &[]))
    );
    assert_eq!(state["summary"]["pageviews"], 614);
    // 600 views of one visitor, but the state keeps about its first and
    // last hour of them.
    let text = described(&site);
    let most: usize = text
        .split("at most ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(most <= 62, "{most} open page views of one visitor:\n{text}");
}
