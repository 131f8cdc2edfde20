//! Hits that belong to visits without being page views, kept in a state:
//! server errors (for `incidents` and `visits_with_errors`) and goal hits
//! (for `goals`, `goal_channels` and `funnels`).
//!
//! What one run over all lines would count, and how the state keeps it:
//!
//! - **Incidents** are found from the 5-minute slots of traffic, which the
//!   days keep already, and named from every 5xx cell (slot, path,
//!   method: count, first and last time): the days keep those cells as
//!   they are, so the routes, their errors during the incident and
//!   before it are exact whatever incidents the whole history gives.
//! - **Visits with errors, and the visits and visitors an incident
//!   reached**: which slots are incidents is known only when the report
//!   is built (adding lines moves the normal level), so the day keeps,
//!   for each closed visit that held a 5xx, the distinct slots of its
//!   5xx (visits with the same slots are one count), and each (visitor,
//!   slot) with a 5xx of that visitor, in a visit or not.
//! - **Goals**: per day, the hits of each goal that are no bot's and
//!   each visitor's goals (visitor-days per goal); per closed visit, the
//!   goals it converted (with its entry, whose channel is worked out when
//!   the report is built, as the own hosts may change) and how far it
//!   went in each funnel.
//!
//! A visit's marked hits are those from its first page view to 30
//! minutes after its last (SPEC §7): while a visit is open, the marked
//! hits that may still fall in its span are kept with its page views
//! ([`OpenMark`]), and given to it when it closes. A marked hit older
//! than what the state has closed (a late line) joins an open visit whose
//! span holds it, or none.

use hashbrown::HashMap;

use serde::{Deserialize, Serialize};

use crate::aggregate::server_errors::ErrorCell;
use crate::aggregate::SLOT_SECONDS;
use crate::goals::GoalSet;
use crate::visits::goal_walk::{steps_reached, GoalFigures, TimedMask};
use crate::visits::VISIT_GAP_SECONDS;

use super::lazy::Lazy;

/// A marked hit of a visitor whose visit is not closed yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenMark {
    pub time: i64,
    /// A server error (5xx) that is no page view.
    pub error: bool,
    /// Bits of the goal and funnel-step patterns the hit matched.
    pub goals: u64,
}

/// A 5xx cell: (slot, path number of the day, method).
pub type ErrorKey = (i64, u32, Vec<u8>);

/// What one day keeps of marked hits.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DayMarks {
    /// Every 5xx hit (bots' too) by (slot, path number of the day,
    /// method): count, first and last time.
    pub errors: Lazy<ErrorKey, (u64, i64, i64)>,
    /// (visitor, slot) of each 5xx of a visitor (no bot).
    pub error_visitors: Lazy<(u128, i64), ()>,
    /// Closed visits begun this day that held a 5xx, by the distinct
    /// slots of their 5xx.
    pub error_visits: Lazy<Vec<i64>, u64>,
    /// Only when goals or funnels are settings of the state.
    pub goals: Option<Box<DayGoals>>,
}

/// What one day keeps of goal hits.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DayGoals {
    /// Per goal: hits that are no bot's.
    pub hits: Vec<u64>,
    /// Visitor → the goals it hit that day (bits).
    pub visitors: Lazy<u128, u64>,
    /// Per goal: closed visits begun this day that converted.
    pub conversions: Vec<u64>,
    /// (goal, referrer as logged, landing query) of a converting visit →
    /// conversions.
    pub entries: Lazy<(u32, Vec<u8>, Vec<u8>), u64>,
    /// Per funnel, per step: closed visits that reached it.
    pub reached: Vec<Vec<u64>>,
}

impl DayGoals {
    fn sized(set: &GoalSet) -> DayGoals {
        DayGoals {
            hits: vec![0; set.goals().len()],
            conversions: vec![0; set.goals().len()],
            reached: set
                .funnels()
                .iter()
                .map(|f| vec![0; f.steps.len()])
                .collect(),
            ..DayGoals::default()
        }
    }

    fn merge(&mut self, o: &DayGoals) {
        add_all(&mut self.hits, &o.hits);
        add_all(&mut self.conversions, &o.conversions);
        for (a, b) in self.reached.iter_mut().zip(&o.reached) {
            add_all(a, b);
        }
        let entries = self.entries.map();
        for (k, &n) in o.entries.iter() {
            *entries.entry(k.clone()).or_default() += n;
        }
    }
}

fn add_all(a: &mut [u64], b: &[u64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

impl DayMarks {
    /// The day's goal figures, made on first use.
    pub fn goals(&mut self, set: &GoalSet) -> &mut DayGoals {
        self.goals
            .get_or_insert_with(|| Box::new(DayGoals::sized(set)))
    }

    /// Adds a 5xx cell of the path numbered `path` in the day.
    pub fn add_error_cell(&mut self, slot: i64, path: u32, method: &[u8], cell: ErrorCell) {
        let cells = self.errors.map();
        let key = (slot, path, method.to_vec());
        match cells.get_mut(&key) {
            Some(c) => {
                c.0 += cell.count;
                c.1 = c.1.min(cell.first);
                c.2 = c.2.max(cell.last);
            }
            None => {
                cells.insert(key, (cell.count, cell.first, cell.last));
            }
        }
    }

    /// A goal hit of `visitor` matching the patterns `mask`.
    pub fn add_goal_hit(&mut self, set: &GoalSet, visitor: u128, mask: u64) {
        let goals = set.goals().len();
        let goal_mask = if goals >= 64 {
            mask
        } else {
            mask & ((1u64 << goals) - 1)
        };
        if goal_mask == 0 {
            return;
        }
        let day = self.goals(set);
        for (g, n) in day.hits.iter_mut().enumerate() {
            *n += goal_mask >> g & 1;
        }
        *day.visitors.map().entry(visitor).or_default() |= goal_mask;
    }

    /// Checks what was read: paths are numbers of the day.
    pub fn check(&self, paths: usize) -> Result<(), String> {
        if self
            .errors
            .iter()
            .any(|((_, p, _), _)| *p as usize >= paths)
        {
            return Err("a day's server errors refer to a path it does not hold".into());
        }
        Ok(())
    }
}

/// What marked hits need of a visit: the times of its first and last
/// page views, and its entry (for the channel of a conversion).
#[derive(Debug, Clone, Copy)]
pub struct VisitSpan<'a> {
    pub first: i64,
    pub last: i64,
    pub referrer: &'a [u8],
    pub query: &'a [u8],
}

/// Gives one visit the marked hits of `marks` (its visitor's, in time
/// order) from `*next` on that its span holds, moves `*next` past them,
/// and adds what they say to `sums` (and nothing when `sums` is `None`:
/// a visit on a day dropped).
pub fn visit(
    visit: VisitSpan<'_>,
    marks: &[OpenMark],
    next: &mut usize,
    sums: Option<&mut DayMarks>,
    goals: Option<&GoalSet>,
) {
    let rest = &marks[(*next).min(marks.len())..];
    let start = rest.partition_point(|m| m.time < visit.first);
    let end_of_span = visit.last.saturating_add(VISIT_GAP_SECONDS);
    let len = rest[start..].partition_point(|m| m.time <= end_of_span);
    let held = &rest[start..start + len];
    *next += start + len;
    let Some(sums) = sums else {
        return;
    };
    let mut slots: Vec<i64> = (held.iter())
        .filter(|m| m.error)
        .map(|m| m.time.div_euclid(SLOT_SECONDS))
        .collect();
    if !slots.is_empty() {
        slots.sort_unstable();
        slots.dedup();
        *sums.error_visits.map().entry(slots).or_default() += 1;
    }
    let Some(set) = goals else {
        return;
    };
    let hits: Vec<TimedMask> = (held.iter())
        .filter(|m| m.goals != 0)
        .map(|m| TimedMask {
            time: m.time,
            mask: m.goals,
        })
        .collect();
    if hits.is_empty() {
        return;
    }
    let day = sums.goals(set);
    let mask = hits.iter().fold(0, |m, h| m | h.mask);
    for (g, n) in day.conversions.iter_mut().enumerate() {
        if mask >> g & 1 == 1 {
            *n += 1;
            let key = (g as u32, visit.referrer.to_vec(), visit.query.to_vec());
            *day.entries.map().entry(key).or_default() += 1;
        }
    }
    for (funnel, reached) in set.funnels().iter().zip(&mut day.reached) {
        let steps = steps_reached(&funnel.steps, &hits);
        for n in &mut reached[..steps] {
            *n += 1;
        }
    }
}

/// The marked hits to keep for a visitor after its closed visits took
/// theirs (`marks[next..]`): those from the first open page view on
/// (`first_open`), and those a page view of a next run may still reach
/// (at `close_before` or later).
pub fn still_open(
    marks: &[OpenMark],
    next: usize,
    first_open: Option<i64>,
    close_before: i64,
) -> Vec<OpenMark> {
    (marks[next.min(marks.len())..].iter())
        .filter(|m| m.time >= close_before || first_open.is_some_and(|t| m.time >= t))
        .copied()
        .collect()
}

/// The marked-hit figures of the whole state, summed as the report is
/// built (and saved with the sums of the settled days).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Totals {
    /// Distinct slots of a visit's 5xx → visits.
    pub error_visits: HashMap<Vec<i64>, u64>,
    /// Visitor → the slots it had a 5xx in.
    pub error_visitors: HashMap<u128, Vec<i64>>,
    pub goals: Option<DayGoals>,
    /// Per goal: visitor-days that hit it.
    pub goal_visitors: Vec<u64>,
}

impl Totals {
    /// Adds one day's (or the open visits') figures.
    pub fn add(&mut self, day: &DayMarks) {
        for (slots, &n) in day.error_visits.iter() {
            *self.error_visits.entry(slots.clone()).or_default() += n;
        }
        for (&(visitor, slot), _) in day.error_visitors.iter() {
            self.error_visitors.entry(visitor).or_default().push(slot);
        }
        if let Some(g) = &day.goals {
            let total = self.goals.get_or_insert_with(|| DayGoals {
                hits: vec![0; g.hits.len()],
                conversions: vec![0; g.conversions.len()],
                reached: g.reached.iter().map(|r| vec![0; r.len()]).collect(),
                ..DayGoals::default()
            });
            total.merge(g);
            if self.goal_visitors.len() < g.hits.len() {
                self.goal_visitors.resize(g.hits.len(), 0);
            }
            for (_, &mask) in g.visitors.iter() {
                for (i, n) in self.goal_visitors.iter_mut().enumerate() {
                    *n += mask >> i & 1;
                }
            }
        }
    }

    /// Visits that held a 5xx.
    pub fn visits_with_errors(&self) -> u64 {
        self.error_visits.values().sum()
    }

    /// Per span (`spans`, sorted, disjoint `[start, end)`): visits that
    /// held a 5xx in it, and visitors who got one in it.
    pub fn per_span(&self, spans: &[(i64, i64)]) -> (Vec<u64>, Vec<u64>) {
        let span_of = |slot: i64| {
            let t = slot * SLOT_SECONDS;
            let i = spans.partition_point(|&(_, end)| end <= t);
            spans.get(i).filter(|&&(start, _)| start <= t).map(|_| i)
        };
        let mut visits = vec![0u64; spans.len()];
        let mut visitors = vec![0u64; spans.len()];
        let mut seen = Vec::new();
        let mut count = |slots: &[i64], n: u64, into: &mut Vec<u64>| {
            seen.clear();
            seen.extend(slots.iter().filter_map(|&s| span_of(s)));
            seen.sort_unstable();
            seen.dedup();
            for &i in &seen {
                into[i] += n;
            }
        };
        if !spans.is_empty() {
            for (slots, &n) in &self.error_visits {
                count(slots, n, &mut visits);
            }
            for slots in self.error_visitors.values() {
                count(slots, 1, &mut visitors);
            }
        }
        (visits, visitors)
    }

    /// The goal figures, each conversion's entry given its channel by
    /// `channel`.
    pub fn goal_figures(
        &self,
        set: &GoalSet,
        mut channel: impl FnMut(&[u8], &[u8]) -> crate::enrich::sources::Channel,
    ) -> GoalFigures {
        let sized = DayGoals::sized(set);
        let g = self.goals.as_ref().unwrap_or(&sized);
        let mut by_channel = std::collections::HashMap::new();
        for ((goal, referrer, query), &n) in g.entries.iter() {
            *by_channel
                .entry((*goal as usize, channel(referrer, query)))
                .or_default() += n;
        }
        let mut visitors = self.goal_visitors.clone();
        visitors.resize(set.goals().len(), 0);
        GoalFigures {
            hits: g.hits.clone(),
            visitors,
            conversions: g.conversions.clone(),
            by_channel,
            reached: g.reached.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(time: i64) -> OpenMark {
        OpenMark {
            time,
            error: true,
            goals: 0,
        }
    }

    fn span(first: i64, last: i64) -> VisitSpan<'static> {
        VisitSpan {
            first,
            last,
            referrer: b"-",
            query: b"",
        }
    }

    #[test]
    fn a_visit_takes_the_marks_from_its_first_view_to_30_minutes_after_its_last() {
        // Visits [1000, 1300] and [4000, 4000]: 900 is in none, 1000 and
        // 3100 (1300 + 1800) in the first, 3101 in none, 5800 in the
        // second, 5801 in none.
        let marks: Vec<OpenMark> = [900, 1000, 3100, 3101, 5800, 5801]
            .into_iter()
            .map(error)
            .collect();
        let mut sums = DayMarks::default();
        let mut next = 0;
        visit(span(1000, 1300), &marks, &mut next, Some(&mut sums), None);
        assert_eq!(next, 3);
        visit(span(4000, 4000), &marks, &mut next, Some(&mut sums), None);
        assert_eq!(next, 5);
        // Slots of 300 s: 1000 and 3100 are slots 3 and 10; 5800 is 19.
        let mut visits: Vec<(Vec<i64>, u64)> = (sums.error_visits.iter())
            .map(|(k, &n)| (k.clone(), n))
            .collect();
        visits.sort();
        assert_eq!(visits, [(vec![3, 10], 1), (vec![19], 1)]);
        // The marks no visit took that a next run may still reach: from
        // `close_before` on.
        assert_eq!(still_open(&marks, next, None, 5000), [error(5801)]);
        assert_eq!(still_open(&marks, next, None, 6000), []);
    }

    #[test]
    fn visits_and_visitors_count_once_per_incident() {
        let mut day = DayMarks::default();
        *day.error_visits.map().entry(vec![3, 4, 10]).or_default() += 2;
        *day.error_visits.map().entry(vec![10]).or_default() += 1;
        for (visitor, slot) in [(1u128, 3), (1, 4), (2, 4), (2, 11)] {
            day.error_visitors.map().insert((visitor, slot), ());
        }
        let mut totals = Totals::default();
        totals.add(&day);
        assert_eq!(totals.visits_with_errors(), 3);
        // Incidents over slots 3-4 and 10.
        let spans = [(900, 1500), (3000, 3300)];
        let (visits, visitors) = totals.per_span(&spans);
        assert_eq!(visits, [2, 3]);
        assert_eq!(visitors, [2, 0]);
    }
}
