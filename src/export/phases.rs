//! Where an export's time goes, printed to standard error when
//! `LOGSTATS_EXPORT_PHASES` is set (benches/export.sh reads it): the wall
//! and CPU time of each phase (CPU: all threads, from /proc/self/stat, in
//! hundredths of a second), and the time the second reading's threads
//! spent in the writers. Unset, it reads no clock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The variable that turns the phase times on.
pub const PHASES_ENV: &str = "LOGSTATS_EXPORT_PHASES";

/// The clock of one export.
pub struct Phases {
    /// `None`: off.
    last: Option<Instant>,
    start: Option<Instant>,
    /// CPU seconds of the process at the last mark.
    last_cpu: f64,
    /// Nanoseconds the parts spent in their writers (encoding, compressing,
    /// writing), all threads together.
    writing_ns: AtomicU64,
}

impl Phases {
    pub fn from_env() -> Phases {
        let now = std::env::var_os(PHASES_ENV).map(|_| Instant::now());
        Phases {
            last: now,
            start: now,
            last_cpu: now.map_or(0.0, |_| cpu_seconds()),
            writing_ns: AtomicU64::new(0),
        }
    }

    /// Prints the time since the last mark as `phase`.
    pub fn mark(&mut self, phase: &str) {
        if let Some(last) = self.last {
            let now = Instant::now();
            let cpu = cpu_seconds();
            eprintln!(
                "export phase {phase:<10} {:8.3} s wall {:8.2} s cpu",
                (now - last).as_secs_f64(),
                cpu - self.last_cpu
            );
            self.last = Some(now);
            self.last_cpu = cpu;
        }
    }

    /// Runs `write`, counting its time as writing.
    #[inline]
    pub fn writing<T>(&self, write: impl FnOnce() -> T) -> T {
        if self.last.is_none() {
            return write();
        }
        let start = Instant::now();
        let out = write();
        let ns = start.elapsed().as_nanos().min(u64::MAX as u128) as u64;
        self.writing_ns.fetch_add(ns, Ordering::Relaxed);
        out
    }

    /// Prints the total, and the writers' share of the second reading.
    pub fn finish(&mut self) {
        self.mark("finish");
        if let Some(start) = self.start {
            let writing = self.writing_ns.load(Ordering::Relaxed) as f64 / 1e9;
            eprintln!(
                "export phase {:<10} {:8.3} s wall {:8.2} s cpu",
                "total",
                start.elapsed().as_secs_f64(),
                cpu_seconds()
            );
            eprintln!(
                "  of which the rows phase's threads spent {writing:.3} s in the writers \
                 (encoding, compressing, writing)"
            );
        }
    }
}

/// User and system time of this process so far, all threads; 0 where
/// /proc is not there.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses and may hold
    // spaces): utime and stime are the 12th and 13th.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let ticks: u64 = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    // The kernel's USER_HZ, 100 on every Linux.
    ticks as f64 / 100.0
}
