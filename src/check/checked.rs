//! What a check that reached a verdict hands to its printers ([`plugin`](super::plugin),
//! [`json`](super::json)): the verdict, the windows read and, with a state,
//! what the state knew. It depends on the judging and reading modules; they
//! do not depend on it.

use crate::enrich::zone::ReportZone;

use super::evaluate::{Rules, Verdict};
use super::figures::Window;
use super::window::ReadStats;

/// A check that ran to a verdict, with what it read.
pub struct Checked {
    pub verdict: Verdict,
    pub rules: Rules,
    pub current: Window,
    pub baseline: Option<Window>,
    /// `--vs`, in seconds.
    pub vs: Option<i64>,
    pub zone: ReportZone,
    /// The time the window's relative times count from.
    pub now: i64,
    pub inputs: Vec<(String, ReadStats)>,
    /// The latest time of a line read, in the window or not.
    pub last_seen: Option<i64>,
    /// With `--state`: what the state knew and did.
    pub followed: Option<Followed>,
}

/// What a check with a state knew and did, for the output.
#[derive(Debug, Clone)]
pub struct Followed {
    pub path: String,
    /// No state was there: the `--since` window was judged.
    pub first: bool,
    /// The newest line the last check read.
    pub after: Option<i64>,
    /// The period the window stands for.
    pub period: Window,
    /// Per input: how its cursor stood (`new`, `continued`, `finished`)
    /// and the bytes counted before this check.
    pub cursors: Vec<(&'static str, u64)>,
    /// Cursors whose files are gone with lines never read, and the like.
    pub warnings: Vec<String>,
}
