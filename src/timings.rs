//! `--timings` (or `LOGSTATS_TIMINGS=1`): the wall time of each phase of
//! a run, printed to stderr once it is over, for those who want to know
//! where the time of a big log goes.
//!
//! A run records nothing unless [`enable`] was called: each phase costs one
//! relaxed load of a flag when off, two readings of the clock when on, and
//! no phase is per line (the scan notes when each chunk is done only when
//! on). Phases may run side by side (the visit walk beside the route
//! table), so each is printed with the time it started, counted from the
//! start of the run. Some are the sum over threads of what each thread
//! spent in them: those are marked as CPU time.
//!
//! Depends on nothing of the crate: every stage may record into it.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

static ON: AtomicBool = AtomicBool::new(false);
static START: OnceLock<Instant> = OnceLock::new();
static PHASES: Mutex<Vec<Recorded>> = Mutex::new(Vec::new());

/// One phase as it is printed.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub name: &'static str,
    /// From the start of the run; `None` for a sum over threads.
    pub start: Option<Duration>,
    pub wall: Duration,
}

/// Starts recording: the run's clock starts now.
pub fn enable() {
    let _ = START.get_or_init(Instant::now);
    ON.store(true, Ordering::Relaxed);
}

/// Whether phases are recorded.
#[inline]
pub fn enabled() -> bool {
    ON.load(Ordering::Relaxed)
}

/// What `LOGSTATS_TIMINGS` asks for: any value but empty and `0`.
pub fn asked_by_env() -> bool {
    std::env::var_os("LOGSTATS_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// A phase that is timed from now until it is dropped (or [`Phase::end`]).
#[must_use = "a phase is timed until it is dropped"]
pub struct Phase {
    name: &'static str,
    start: Option<Instant>,
}

/// Times a phase named `name`, from now until the value is dropped.
#[inline]
pub fn phase(name: &'static str) -> Phase {
    Phase {
        name,
        start: enabled().then(Instant::now),
    }
}

impl Phase {
    /// Ends the phase now (as dropping it does).
    pub fn end(self) {}
}

impl Drop for Phase {
    fn drop(&mut self) {
        if let Some(start) = self.start {
            record_span(self.name, start, Instant::now());
        }
    }
}

/// Records a phase that ran from `start` to `end`.
pub fn record_span(name: &'static str, start: Instant, end: Instant) {
    if !enabled() {
        return;
    }
    let origin = *START.get_or_init(|| start);
    push(Recorded {
        name,
        start: Some(start.saturating_duration_since(origin)),
        wall: end.saturating_duration_since(start),
    });
}

/// Records the time several threads spent in a phase, added up.
pub fn record_cpu(name: &'static str, total: Duration) {
    if enabled() {
        push(Recorded {
            name,
            start: None,
            wall: total,
        });
    }
}

fn push(r: Recorded) {
    if let Ok(mut phases) = PHASES.lock() {
        phases.push(r);
    }
}

/// Nanoseconds since the start of the run, for [`LastDone`].
fn since_start() -> u64 {
    let origin = *START.get_or_init(Instant::now);
    origin.elapsed().as_nanos() as u64
}

/// When the last of many parallel pieces of work was done: the scan's
/// chunks, whose last one ends the parallel part of the scan.
#[derive(Debug, Default)]
pub struct LastDone(AtomicU64);

impl LastDone {
    /// One piece is done now (nothing when timings are off).
    #[inline]
    pub fn done(&self) {
        if enabled() {
            self.0.fetch_max(since_start(), Ordering::Relaxed);
        }
    }

    /// The time the last piece was done; `None` when none was noted.
    pub fn at(&self) -> Option<Instant> {
        let nanos = self.0.load(Ordering::Relaxed);
        let origin = START.get()?;
        (nanos > 0).then(|| *origin + Duration::from_nanos(nanos))
    }
}

/// Time that many threads spend in one phase, added up (the sort and the
/// walk of the page views, done partition by partition).
#[derive(Debug, Default)]
pub struct Sum(AtomicU64);

impl Sum {
    /// A stretch of the phase starts now: `None` when timings are off.
    #[inline]
    pub fn start(&self) -> Option<Instant> {
        enabled().then(Instant::now)
    }

    /// The stretch started by [`Sum::start`] ends now.
    #[inline]
    pub fn add(&self, started: Option<Instant>) {
        if let Some(start) = started {
            self.0
                .fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        }
    }

    pub fn total(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::Relaxed))
    }
}

/// The phases recorded so far, taken out (in the order they ended).
pub fn take() -> Vec<Recorded> {
    PHASES
        .lock()
        .map(|mut p| std::mem::take(&mut *p))
        .unwrap_or_default()
}

/// Prints the recorded phases, then the total since [`enable`], to `out`.
pub fn print(out: &mut impl Write) -> io::Result<()> {
    let total = START.get().map(Instant::elapsed).unwrap_or_default();
    write_table(out, &take(), total)
}

/// The table of `--timings`: phases in the order they started (sums over
/// threads after them), start and wall in milliseconds, and each phase's
/// share of the total.
pub fn write_table(out: &mut impl Write, phases: &[Recorded], total: Duration) -> io::Result<()> {
    let mut rows: Vec<&Recorded> = phases.iter().collect();
    rows.sort_by_key(|r| (r.start.is_none(), r.start));
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let share = |d: Duration| {
        if total.is_zero() {
            0.0
        } else {
            100.0 * d.as_secs_f64() / total.as_secs_f64()
        }
    };
    writeln!(out, "logstats: timings (ms; phases side by side overlap)")?;
    writeln!(out, "{:>10} {:>10} {:>6}  phase", "start", "wall", "%")?;
    for r in rows {
        let start = match r.start {
            Some(s) => format!("{:.1}", ms(s)),
            None => "cpu".to_string(),
        };
        writeln!(
            out,
            "{start:>10} {:>10.1} {:>6.1}  {}",
            ms(r.wall),
            share(r.wall),
            r.name
        )?;
    }
    writeln!(out, "{:>10} {:>10.1} {:>6.1}  total", "", ms(total), 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_phases_by_start_then_sums_then_the_total() {
        let ms = Duration::from_millis;
        let phases = [
            Recorded {
                name: "walk",
                start: None,
                wall: ms(30),
            },
            Recorded {
                name: "merge",
                start: Some(ms(150)),
                wall: ms(25),
            },
            Recorded {
                name: "scan",
                start: Some(ms(0)),
                wall: ms(150),
            },
        ];
        let mut out = Vec::new();
        write_table(&mut out, &phases, ms(200)).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6, "{text}");
        // scan: 150 of 200 ms is 75 %; merge 12.5 %; the walk's 30 ms of
        // CPU is 15 % of the wall.
        assert_eq!(lines[2], "       0.0      150.0   75.0  scan");
        assert_eq!(lines[3], "     150.0       25.0   12.5  merge");
        assert_eq!(lines[4], "       cpu       30.0   15.0  walk");
        assert_eq!(lines[5], "                200.0  100.0  total");
    }

    #[test]
    fn nothing_is_recorded_when_off() {
        // The flag is process-wide; this test only reads it while off.
        if enabled() {
            return;
        }
        drop(phase("off"));
        record_cpu("off", Duration::from_millis(1));
        assert!(PHASES.lock().unwrap().iter().all(|r| r.name != "off"));
    }
}
