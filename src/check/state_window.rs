//! `logstats check FILES --state PATH`: judge the lines added since the
//! last check.
//!
//! The inputs are followed through the state's cursors exactly as
//! `report --state` follows them ([`crate::state::follow`]): recognised by
//! their first bytes, continued where the last check stopped, through
//! renames and compression; a last line without its newline waits for the
//! next check. The bytes no earlier check read are read once, front to
//! back, by one thread (a check every minute reads a minute of lines).
//!
//! **The window** is those lines; `--since`, when given, narrows it (the
//! lines before it are counted in the state but not judged). A first check
//! (no state yet) judges the `--since` window (default 5m) as a check
//! without a state does, found by position on a plain file; what lies
//! before it is passed over, and only the lines from the start of the
//! baseline period of `--vs` on are read and kept.
//!
//! **The period** the window stands for, which a baseline mirrors, runs
//! from the newest line the last check read (on a first check, from
//! `--since`) to the newest line read now, in the log's own times.
//!
//! **The state** is the check's own (a report's state is refused, and a
//! report refuses a check's): the cursors, and per day the hits, bytes and
//! status classes per 5-minute slot ([`super::state_baseline`]), for the
//! last [`KEEP_DAYS`] days. It is saved, atomically, only once a verdict is
//! reached: a check that ends UNKNOWN (an unreadable input, no new line, a
//! refused condition) leaves the state as it was, and the next check reads
//! the same lines again.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use globset::GlobSet;
use hashbrown::HashMap;

use crate::aggregate::{Traffic, SLOT_SECONDS};
use crate::config::Config;
use crate::enrich::zone::{Bucket, ReportZone};
use crate::input::chunk::LineBlocks;
use crate::input::lines::Lines;
use crate::input::{InputPath, Source};
use crate::parse::{is_blank, Format};
use crate::scan::{parse_line, Counts};
use crate::state::cursor;
use crate::state::follow::{self, Planned, KEPT_BY};
use crate::state::settings::{format_text, Settings};
use crate::state::State;

use super::args::CheckArgs;
use super::checked::{Checked, Followed};
use super::condition::{Condition, Metric};
use super::evaluate::{self, Rules, Scope};
use super::figures::{Collector, Window};
use super::state_baseline::{self, KEEP_DAYS, LONGEST_VS_SECONDS};
use super::window::{self, ReadStats, DISORDER_SECONDS};

/// The window of a check when `--since` is not given: the last 5 minutes
/// (with a state, on its first check only).
pub const FIRST_WINDOW_SECONDS: i64 = 300;

/// Bytes read at a time.
const BLOCK_BYTES: usize = 1 << 20;

/// What a check with a state needs beside its arguments.
pub struct Judging {
    pub warn: Vec<Condition>,
    pub crit: Vec<Condition>,
    pub scope: Scope,
    pub route_globs: Option<GlobSet>,
    pub config: Config,
    pub now: i64,
}

/// Runs a check with a state; `Err` is what makes it UNKNOWN, and leaves
/// the state as it was.
pub fn check(args: CheckArgs, j: Judging) -> Result<Checked, String> {
    let Some(state_path) = args.state.clone() else {
        return Err("no --state".into());
    };
    if let Some(vs) = args.vs {
        if vs > LONGEST_VS_SECONDS {
            return Err(format!(
                "--vs reaches back {} days, and the state of a check keeps {KEEP_DAYS}: \
                 with --state, give --vs 28d or less",
                vs / 86_400
            ));
        }
        if let Some(why) =
            (j.warn.iter().chain(&j.crit)).find_map(|c| state_baseline::refused(c, &j.scope))
        {
            return Err(why);
        }
    }
    let paths: Vec<InputPath> = args.files.iter().map(|f| InputPath::from_arg(f)).collect();
    if paths.is_empty() {
        return Err("--state follows log files by their content: name them, e.g. /var/log/nginx/access.log*".into());
    }
    let paths = follow::file_paths(&paths).map_err(|e| e.to_string())?;
    let given = args.log_format.or(j.config.log_format);
    let tz = args.tz.or(j.config.tz);
    let settings = Settings(vec![
        (KEPT_BY.into(), "logstats check".into()),
        ("--log-format".into(), format_text(given)),
        (
            "--tz".into(),
            tz.map_or("the offset of the first line".into(), |z| z.to_string()),
        ),
    ]);
    let now = j.now;
    let wait = Duration::from_secs(args.state_wait);
    let (_lock, mut state) =
        follow::open(&state_path, settings, wait, now).map_err(|e| e.to_string())?;
    let plan = follow::plan(&state, &paths).map_err(|e| e.to_string())?;
    let first = state.runs == 0;
    let after = state.newest;

    // The layout of each input: given, the one it was read with, or
    // detected from its start; for a new file whose first lines fit none
    // (a rotated log may start with a malformed line), or that is empty
    // yet, the layout of the input read last, as report --state does.
    let fallback =
        (state.cursors.iter().max_by_key(|c| c.id)).and_then(|c| Format::from_name(&c.format));
    let mut formats = Vec::with_capacity(plan.inputs.len());
    for p in &plan.inputs {
        let known = p
            .cursor
            .and_then(|c| Format::from_name(&state.cursors[c].format));
        let format = match given.or(known) {
            Some(f) => f,
            None => match crate::scan::choose_format(&p.probe.head, None) {
                Ok(f) => f,
                Err(_) if p.probe.head.is_empty() => fallback.unwrap_or(Format::Combined),
                Err(message) => fallback.ok_or_else(|| {
                    crate::error::Error::Format {
                        path: p.name.clone(),
                        message,
                    }
                    .to_string()
                })?,
            },
        };
        formats.push(format);
    }
    let zone = state.report_zone().or(tz).unwrap_or_else(|| {
        let written = (plan.inputs.iter().zip(&formats))
            .find_map(|(p, &f)| crate::scan::first_offset(&p.probe.head, f))
            .flatten();
        written.map_or(ReportZone::UTC, ReportZone::from_offset_seconds)
    });

    // The window, and the lines kept in the state's slots.
    let since = match (first, args.since) {
        (_, Some(s)) => Some(s.resolve(&zone, now)),
        (true, None) => Some(now - FIRST_WINDOW_SECONDS),
        (false, None) => None,
    };
    let current = Window {
        from: since.unwrap_or(i64::MIN),
        until: None,
    };
    let kept_from = match (first, since) {
        (true, Some(s)) => (s - args.vs.unwrap_or(0)).div_euclid(SLOT_SECONDS) * SLOT_SECONDS,
        _ => i64::MIN,
    };
    let mut collector = Collector::new(&[current], j.route_globs);
    // Without a start, the hits' times are kept as seconds after a base
    // 2^31 s (68 years) before now: any line's time fits.
    collector.windows[0].base = since.unwrap_or(now - (1 << 31));
    let mut slots = Slots::new(kept_from);
    let mut read = Vec::with_capacity(plan.inputs.len());
    let mut cursors = Vec::with_capacity(plan.inputs.len());
    let mut moved: Vec<(usize, u64, bool, Counts)> = Vec::new();
    for &i in &plan.order {
        let p = &plan.inputs[i];
        let format = formats[i];
        let cursor = p.cursor.map(|c| &state.cursors[c]);
        let before = cursor.map_or(0, |c| c.offset);
        cursors.push((
            i,
            match cursor {
                Some(c) if c.finished => "finished",
                Some(_) => "continued",
                None => "new",
            },
            before,
        ));
        if cursor.is_some_and(|c| c.finished) {
            read.push((i, p.name.clone(), stats(0, p)));
            continue;
        }
        // A first check passes over what lies before its window (and the
        // baseline's start) in a plain file.
        let from = match cursor {
            Some(c) => c.offset,
            None if first && !p.probe.gzip && kept_from > i64::MIN => {
                start_of(p, format, kept_from.saturating_sub(DISORDER_SECONDS))?
            }
            None => 0,
        };
        let opened =
            cursor::open_from(&p.probe, from, false).map_err(|e| input_error(&p.probe.path, &e))?;
        collector.start_input();
        let reader: Box<dyn Read + Send> = match opened.source {
            Source::Stream(r) => r,
            Source::Bytes(b) => Box::new(std::io::Cursor::new(b)),
            Source::Mapped(m) => Box::new(std::io::Cursor::new(m.to_vec())),
        };
        let mut blocks = LineBlocks::new(reader, BLOCK_BYTES);
        let mut counts = Counts::default();
        let mut bytes = 0u64;
        while let Some(block) = blocks
            .next_block()
            .map_err(|e| input_error(&p.probe.path, &e))?
        {
            bytes += block.len() as u64;
            feed(&block, format, &mut collector, &mut slots, &mut counts);
            blocks.recycle(block);
        }
        bytes += blocks.skipped();
        // Bytes passed over by a first check count as read.
        let counted = from - before + bytes;
        read.push((i, p.name.clone(), stats(bytes, p)));
        moved.push((i, counted, p.probe.gzip, counts));
    }

    let figures = &collector.windows[0];
    let conditions = || j.warn.iter().chain(&j.crit);
    if figures.lines() == 0 && !conditions().any(|c| c.metric == Metric::Hits) {
        let last = match (after, since) {
            (Some(t), _) if !first => format!(
                "since the last check, whose newest line was at {}",
                zone.format(t)
            ),
            (_, Some(s)) => format!("since {}", zone.format(s)),
            _ => "in the inputs".into(),
        };
        return Err(format!(
            "no new line {last}; is the log still written to? (the state is left as it was)"
        ));
    }
    if let Some(c) = conditions().find(|c| c.metric.above_share().is_some()) {
        if figures.all.hits > 0 && figures.all.latency.count() == 0 {
            return Err(format!(
                "{c} needs response times, which no new line has: name a layout that logs them \
                 with --log-format (nginx-timed, gunicorn-timed, or your server's pattern with \
                 $request_time or %D)"
            ));
        }
    }

    // The verdict is reached: the state moves on.
    for (i, counted, gzip, counts) in &moved {
        let p: &Planned = &plan.inputs[*i];
        state.advance(
            p,
            &follow::Read {
                bytes: *counted,
                finished: *gzip,
                format: formats[*i].name(),
                counts,
            },
        );
    }
    state.forget(&plan.lost);
    if state.zone.is_none() {
        state.zone = Some(zone.to_string());
    }
    let newest_read = slots.newest;
    slots.absorb(&mut state, zone);
    state.keep_days(KEEP_DAYS);

    let period_from = match (first, after) {
        (false, Some(a)) => since.map_or(a, |s| s.max(a)),
        _ => since.or(figures.first_time).unwrap_or(now),
    };
    let period_until = newest_read.map_or(period_from, |n| (n + 1).max(period_from));
    let period = Window {
        from: period_from,
        until: Some(period_until),
    };
    let baseline = args.vs.map(|vs| Window {
        from: period.from - vs,
        until: Some(period_until - vs),
    });
    let base_figures = baseline.map(|b| state_baseline::from_slots(&state, b));
    let rules = Rules {
        warn: j.warn,
        crit: j.crit,
        scope: j.scope,
        min_hits: args.min_hits,
    };
    let verdict = evaluate::evaluate(
        &rules,
        &collector.windows[0],
        base_figures.as_ref(),
        &collector.routes,
    );
    state.runs += 1;
    state.updated = now;
    state.save(&state_path).map_err(|e| e.to_string())?;

    read.sort_by_key(|(i, _, _)| *i);
    cursors.sort_by_key(|(i, _, _)| *i);
    Ok(Checked {
        verdict,
        rules,
        current: period,
        baseline,
        vs: args.vs,
        zone,
        now,
        inputs: read.into_iter().map(|(_, n, s)| (n, s)).collect(),
        last_seen: collector.last_seen,
        followed: Some(Followed {
            path: state_path.display().to_string(),
            first,
            after: if first { None } else { after },
            period,
            cursors: cursors.into_iter().map(|(_, c, b)| (c, b)).collect(),
            warnings: plan.warnings,
        }),
    })
}

fn stats(bytes: u64, p: &Planned) -> ReadStats {
    ReadStats {
        bytes,
        size: (!p.probe.gzip).then_some(p.probe.len),
        positioned: false,
    }
}

fn input_error(path: &Path, e: &std::io::Error) -> String {
    crate::error::Error::input(path, e).to_string()
}

/// Where a plain file's lines from `target` on begin, found by position.
fn start_of(p: &Planned, format: Format, target: i64) -> Result<u64, String> {
    let file = File::open(&p.probe.path).map_err(|e| input_error(&p.probe.path, &e))?;
    window::locate(&file, p.probe.len, format, target)
        .map(|(lo, _, _)| lo)
        .map_err(|e| input_error(&p.probe.path, &e))
}

/// Parses every line of `text` into the window's figures and the slots.
fn feed(
    text: &[u8],
    format: Format,
    collector: &mut Collector,
    slots: &mut Slots,
    counts: &mut Counts,
) {
    let mut lines = Lines::new(text, format.uses_quote_marks());
    while let Some(line) = lines.next_line() {
        let raw = line.text;
        counts.lines += 1;
        match parse_line(format, line) {
            Some(parsed) => {
                counts.parsed += 1;
                counts.kept += 1;
                slots.add(parsed.time.unix, parsed.status, parsed.bytes);
                collector.parsed(&parsed);
            }
            None if is_blank(raw) => counts.blank += 1,
            None => {
                counts.malformed += 1;
                collector.malformed();
            }
        }
    }
}

/// The traffic of the lines read, per 5-minute slot, for the state.
struct Slots {
    /// Lines before this are not kept (a first check's margin).
    from: i64,
    slots: HashMap<i64, Traffic>,
    /// The newest line read (kept or not).
    newest: Option<i64>,
    /// The slot of the line before, and where its traffic is added.
    last: Option<(i64, Traffic)>,
}

impl Slots {
    fn new(from: i64) -> Self {
        Slots {
            from,
            slots: HashMap::new(),
            newest: None,
            last: None,
        }
    }

    #[inline]
    fn add(&mut self, t: i64, status: u16, bytes: u64) {
        self.newest = Some(self.newest.map_or(t, |n| n.max(t)));
        if t < self.from {
            return;
        }
        let slot = t.div_euclid(SLOT_SECONDS);
        if self.last.is_none_or(|(s, _)| s != slot) {
            self.flush();
            self.last = Some((slot, Traffic::default()));
        }
        if let Some((_, traffic)) = &mut self.last {
            traffic.add(status, bytes);
        }
    }

    fn flush(&mut self) {
        if let Some((slot, traffic)) = self.last.take() {
            self.slots.entry(slot).or_default().merge(&traffic);
        }
    }

    /// Adds the slots to the days of the state, and its newest line.
    fn absorb(mut self, state: &mut State, zone: ReportZone) {
        self.flush();
        for (slot, traffic) in self.slots {
            let start = slot * SLOT_SECONDS;
            let day = state.days.entry(zone.bucket_start(start, Bucket::Day));
            let last = start + SLOT_SECONDS - 1;
            if day.total.hits == 0 {
                (day.first, day.last) = (start, last);
            } else {
                (day.first, day.last) = (day.first.min(start), day.last.max(last));
            }
            day.total.merge(&traffic);
            day.slots.map().entry(slot).or_default().merge(&traffic);
        }
        if let Some(n) = self.newest {
            state.newest = Some(state.newest.map_or(n, |m| m.max(n)));
        }
    }
}
