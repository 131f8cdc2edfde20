//! The baseline of `check --state --vs`, from the figures the state keeps
//! per 5-minute slot ([`crate::aggregate::SLOT_SECONDS`]): hits and hits
//! per status class. A baseline period is the slots it overlaps, each
//! weighed by the share of the slot the period covers (traffic is taken
//! as even within a slot); a period of whole slots adds them exactly.
//!
//! So `5xx`, `4xx` and `hits` can be judged against a baseline from the
//! state, over all hits. Not the others, which are refused: response
//! times are kept per path and day, not per slot (`p95`, `p99`); malformed
//! lines and routes are not kept per slot (`malformed`, `--route`,
//! `--each-route`).

use crate::aggregate::{Traffic, SLOT_SECONDS};
use crate::state::State;

use super::condition::{Condition, Metric};
use super::evaluate::Scope;
use super::figures::{Tally, Window, WindowFigures};

/// The days a check's state keeps, and so the longest `--vs` it serves
/// (less the day of the window and the day the period may start on).
pub const KEEP_DAYS: u32 = 35;
pub const LONGEST_VS_SECONDS: i64 = 28 * 86_400;

/// Why a condition cannot be judged against a baseline taken from a
/// state, if it cannot.
pub fn refused(c: &Condition, scope: &Scope) -> Option<String> {
    if !c.is_relative() {
        return None;
    }
    let why = match (c.metric, scope) {
        (Metric::P95 | Metric::P99, _) => {
            "the state keeps response times per path and day, not per 5 minutes"
        }
        (Metric::Malformed, _) => "the state does not keep malformed lines per 5 minutes",
        (_, Scope::Route(_)) => "with --route: the state keeps routes per day, not per 5 minutes",
        (_, Scope::EachRoute) => {
            "with --each-route: the state keeps routes per day, not per 5 minutes"
        }
        _ => return None,
    };
    Some(format!(
        "{c} cannot be judged against a baseline from --state: {why}. \
         With --state, a baseline (--vs) judges 5xx, 4xx and hits on all hits \
         (e.g. 5xx>3x, hits<0.5x); give absolute limits for the others (p95>800ms)"
    ))
}

/// The figures of `period` from the state's slots.
pub fn from_slots(state: &State, period: Window) -> WindowFigures {
    let (from, until) = (period.from, period.until.unwrap_or(period.from));
    let (first, last) = (
        from.div_euclid(SLOT_SECONDS),
        (until - 1).div_euclid(SLOT_SECONDS),
    );
    let mut sum = [0f64; 3];
    for day in state.days.values() {
        for (&slot, traffic) in day.slots.iter() {
            if slot < first || slot > last {
                continue;
            }
            let start = slot * SLOT_SECONDS;
            let covered = (start + SLOT_SECONDS).min(until) - start.max(from);
            let weight = covered.max(0) as f64 / SLOT_SECONDS as f64;
            add(&mut sum, traffic, weight);
        }
    }
    let mut figures = WindowFigures::new(period, false);
    figures.all = Tally {
        hits: sum[0].round() as u64,
        status_4xx: sum[1].round() as u64,
        status_5xx: sum[2].round() as u64,
        latency: Default::default(),
    };
    figures
}

fn add(sum: &mut [f64; 3], t: &Traffic, weight: f64) {
    sum[0] += t.hits as f64 * weight;
    sum[1] += t.status_4xx as f64 * weight;
    sum[2] += t.status_5xx as f64 * weight;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::settings::Settings;

    fn traffic(hits: u64, status_5xx: u64) -> Traffic {
        Traffic {
            hits,
            status_5xx,
            status_2xx: hits - status_5xx,
            ..Default::default()
        }
    }

    #[test]
    fn slots_are_weighed_by_the_share_the_period_covers() {
        let mut state = State::new(Settings(Vec::new()), 0);
        let t0 = 1_714_532_400; // 03:00, a slot's start
        let day = state.days.entry(t0 - 3 * 3600);
        // 02:55, 03:00, 03:05: 100 hits each, 10, 20 and 40 of them 5xx.
        for (k, errors) in [(-1, 10), (0, 20), (1, 40)] {
            day.slots
                .map()
                .insert(t0 / SLOT_SECONDS + k, traffic(100, errors));
        }
        let whole = |from: i64, until: i64| {
            let f = from_slots(
                &state,
                Window {
                    from,
                    until: Some(until),
                },
            );
            (f.all.hits, f.all.status_5xx)
        };
        // Whole slots add up exactly.
        assert_eq!(whole(t0, t0 + 300), (100, 20));
        assert_eq!(whole(t0 - 300, t0 + 600), (300, 70));
        // 03:02:30-03:07:30: half of 03:00 (50 hits, 10 5xx) and half of
        // 03:05 (50 hits, 20 5xx).
        assert_eq!(whole(t0 + 150, t0 + 450), (100, 30));
        // One minute of 03:05: a fifth of it.
        assert_eq!(whole(t0 + 300, t0 + 360), (20, 8));
        // Before anything kept: nothing.
        assert_eq!(whole(t0 - 7200, t0 - 3600), (0, 0));
    }

    #[test]
    fn only_rates_of_status_and_hits_over_all_hits_are_baselined() {
        let c = |s: &str| Condition::parse(s).unwrap();
        assert_eq!(refused(&c("5xx>3x"), &Scope::Site), None);
        assert_eq!(refused(&c("hits<0.5x"), &Scope::Site), None);
        assert_eq!(refused(&c("p95>2s"), &Scope::EachRoute), None);
        assert!(refused(&c("p95>2x"), &Scope::Site)
            .unwrap()
            .contains("response times per path and day"));
        assert!(refused(&c("malformed>2x"), &Scope::Site).is_some());
        assert!(refused(&c("5xx>3x"), &Scope::EachRoute)
            .unwrap()
            .contains("--each-route"));
        assert!(refused(&c("5xx>3x"), &Scope::Route("/api/*".into())).is_some());
    }
}
