//! Where an export's time goes, for `--timings` (or `LOGSTATS_TIMINGS=1`,
//! see [`timings`]): each phase's wall time, the CPU time of the whole
//! process in it (all threads, from /proc/self/stat, in hundredths of a
//! second), and the time the second reading's threads spent in the
//! writers. Off, it reads no clock.

use std::time::{Duration, Instant};

use crate::timings::{self, Sum};

/// The clock of one export.
pub struct Phases {
    /// When the last phase ended, and the process's CPU seconds then;
    /// `None`: off.
    last: Option<(Instant, f64)>,
    /// Time the parts spent in their writers (encoding, compressing,
    /// writing), all threads together.
    writing: Sum,
}

impl Phases {
    pub fn start() -> Phases {
        Phases {
            last: timings::enabled().then(|| (Instant::now(), cpu_seconds())),
            writing: Sum::default(),
        }
    }

    /// The phase `name` ends now: its wall time, and as `cpu_name` the CPU
    /// time of all threads in it.
    pub fn mark(&mut self, name: &'static str, cpu_name: &'static str) {
        if let Some((last, last_cpu)) = self.last {
            let (now, cpu) = (Instant::now(), cpu_seconds());
            timings::record_span(name, last, now);
            timings::record_cpu(cpu_name, Duration::from_secs_f64((cpu - last_cpu).max(0.0)));
            self.last = Some((now, cpu));
        }
    }

    /// Runs `write`, counting its time as writing.
    #[inline]
    pub fn writing<T>(&self, write: impl FnOnce() -> T) -> T {
        let start = self.writing.start();
        let out = write();
        self.writing.add(start);
        out
    }

    /// Records the writers' share of the second reading.
    pub fn finish(&self) {
        if self.last.is_some() {
            timings::record_cpu(
                "export: second reading, in the writers (wall of all threads)",
                self.writing.total(),
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
