//! `report --state`: a log fed in pieces, with the rotations logrotate
//! does between them, gives the report of one run over the whole log;
//! and every way a state can be unusable is an error that names the file
//! and leaves it untouched.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{corpus, logstats};
use serde_json::Value;

/// A deterministic log (splitmix64): visitors with visits of several
/// page views and their assets, gaps of exactly 30 minutes and one second
/// more, referrers from search, social, a newsletter and the site
/// itself, bots, errors, ties at the same second, a little disorder, and
/// a response time on each line (the nginx-timed layout). `step` is the
/// mean number of seconds between lines.
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
    let mut t: i64 = 1_714_600_000;
    let mut last_view = [i64::MIN / 2; 64];
    let mut out: Vec<String> = Vec::with_capacity(lines);
    while out.len() < lines {
        let r = next();
        t += match r % 200 {
            0 => 1800,
            1 => 1801,
            2 => 3 * 3600,
            3..=20 => 0,
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
        let status = match next() % 40 {
            0 => 404,
            1 => 500,
            2 => 304,
            _ => 200,
        };
        let method = if next() % 50 == 0 { "POST" } else { "GET" };
        let time = chrono::DateTime::from_timestamp(t, 0)
            .unwrap()
            .format("%d/%b/%Y:%H:%M:%S +0000");
        let rt = next() % 2000;
        out.push(format!(
            "{client} - - [{time}] \"{method} {target} HTTP/1.1\" {status} {} \"{referrer}\" \"{agent}\" {}.{:03} -",
            next() % 5000,
            rt / 1000,
            rt % 1000
        ));
        last_view[v] = t;
        if next() % 3 == 0 {
            out.push(format!(
                "{client} - - [{time}] \"GET /static/app.css HTTP/1.1\" 200 900 \"https://example.com{page}\" \"{agent}\" 0.002 -"
            ));
        }
        // A little disorder: two lines written the other way round.
        if next() % 25 == 0 && out.len() >= 2 {
            let n = out.len();
            out.swap(n - 1, n - 2);
        }
        if next() % 97 == 0 {
            out.push("this is not a log line".into());
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
        let mut logs: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("access"))
            })
            .collect();
        logs.sort();
        logs
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

/// 20 pieces, each kind of rotation between some of them.
fn twenty_pieces_with_rotations(log: &[u8], extra: &[&str]) {
    let cuts = cuts(log.len(), 20, 7);
    let rotations: Vec<Option<Rotation>> = (0..20)
        .map(|k| (k % 3 == 1).then(|| ROTATIONS[(k / 3) % 4]))
        .collect();
    let last = feed(log, &cuts, &rotations, |site| json(&run_state(site, extra)));
    let expected = one_shot(log, extra);
    assert_eq!(comparable(last), comparable(expected));
}

#[test]
fn a_corpus_log_in_twenty_rotated_pieces_gives_the_one_run_report() {
    let log = std::fs::read(corpus("apache/elastic_apache_logs.log")).unwrap();
    twenty_pieces_with_rotations(&log, &[]);
}

#[test]
fn a_generated_log_in_twenty_rotated_pieces_gives_the_one_run_report() {
    // About two days (hourly buckets), then about six (daily buckets).
    for (seed, step) in [(1, 40), (2, 160)] {
        let log = generated_log(3000, seed, step);
        twenty_pieces_with_rotations(&log, &["--log-format", "nginx-timed", "--clients"]);
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
    ];
    twenty_pieces_with_rotations(&log, &extra);
}
