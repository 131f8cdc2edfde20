//! Where an export's time goes, for `--timings` (or `LOGSTATS_TIMINGS=1`,
//! see [`timings`]): each phase's wall time, the CPU time of the whole
//! process in it (all threads), and the CPU time the second reading's threads spent in the
//! writers (each thread's own clock: on a busy machine, wall time would
//! count the time a thread waited for a core). Off, it reads no clock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::timings;

/// The clock of one export.
pub struct Phases {
    /// When the last phase ended, and the process's CPU seconds then;
    /// `None`: off.
    last: Option<(Instant, f64)>,
    /// CPU nanoseconds the parts spent in their writers (encoding,
    /// compressing, writing), all threads together.
    writing: AtomicU64,
}

impl Phases {
    pub fn start() -> Phases {
        Phases {
            last: timings::enabled().then(|| (Instant::now(), cpu_seconds())),
            writing: AtomicU64::new(0),
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
        if self.last.is_none() {
            return write();
        }
        let start = thread_cpu_ns();
        let out = write();
        let spent = thread_cpu_ns().saturating_sub(start);
        self.writing.fetch_add(spent, Ordering::Relaxed);
        out
    }

    /// Records the writers' share of the second reading.
    pub fn finish(&self) {
        if self.last.is_some() {
            timings::record_cpu(
                "export: second reading, in the writers (CPU, all threads)",
                Duration::from_nanos(self.writing.load(Ordering::Relaxed)),
            );
        }
    }
}

/// The CPU time of the calling thread, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    #[cfg(unix)]
    return clock_ns(libc::CLOCK_THREAD_CPUTIME_ID);
    #[cfg(not(unix))]
    0
}

/// User and system time of this process so far, all threads.
fn cpu_seconds() -> f64 {
    #[cfg(unix)]
    return clock_ns(libc::CLOCK_PROCESS_CPUTIME_ID) as f64 / 1e9;
    #[cfg(not(unix))]
    0.0
}

/// The time of a CPU clock in nanoseconds; 0 where it cannot be read.
#[cfg(unix)]
fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to fill.
    if unsafe { libc::clock_gettime(clock, &mut t) } != 0 {
        return 0;
    }
    (t.tv_sec as u64).saturating_mul(1_000_000_000) + t.tv_nsec as u64
}
