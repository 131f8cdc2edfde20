//! Where an export's time goes, printed to standard error when
//! `LOGSTATS_EXPORT_PHASES` is set (benches/export.sh reads it): the wall
//! time of each phase, and the CPU time the second reading spent writing
//! files. Unset, it reads no clock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The variable that turns the phase times on.
pub const PHASES_ENV: &str = "LOGSTATS_EXPORT_PHASES";

/// The clock of one export.
pub struct Phases {
    /// `None`: off.
    last: Option<Instant>,
    start: Option<Instant>,
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
            writing_ns: AtomicU64::new(0),
        }
    }

    /// Prints the time since the last mark as `phase`.
    pub fn mark(&mut self, phase: &str) {
        if let Some(last) = self.last {
            let now = Instant::now();
            eprintln!(
                "export phase {phase:<10} {:8.3} s",
                (now - last).as_secs_f64()
            );
            self.last = Some(now);
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
                "export phase {:<10} {writing:8.3} s (cpu, in the rows phase)",
                "writers"
            );
            eprintln!(
                "export phase {:<10} {:8.3} s",
                "total",
                start.elapsed().as_secs_f64()
            );
        }
    }
}
