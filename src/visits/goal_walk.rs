//! Goal hits to visitors and visits, and funnels (SPEC §7), at the end of
//! a run.
//!
//! [`prepare`] drops the bots' goal hits (woothee has classified every
//! agent by then), counts hits and visitor-days per goal, and files the
//! rest by the visitor that sent them, as the visit walk numbers visitors.
//! The walk then hands each visitor's page views to
//! [`VisitTally::visitor`], which cuts them into visits as SPEC §3 does and
//! gives each goal hit to the visit whose span, from its first page view to
//! 30 minutes after its last, holds the hit's time. Goal hits change no
//! visit: they are only looked up against them.

use std::collections::HashMap;

use super::gap::VISIT_GAP_SECONDS;
use crate::aggregate::Figures;
use crate::enrich::sources::Channel;
use crate::goals::define::{GoalSet, Step};

type FastMap<K, V> = hashbrown::HashMap<K, V>;

/// A goal hit as a visitor's list holds it: when, and which patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedMask {
    pub time: i64,
    pub mask: u64,
}

/// One partition's goal hits, grouped by the walk's visitor number, each
/// visitor's in time order.
#[derive(Debug, Default)]
pub struct PartitionHits {
    /// Where each visitor number's hits start; empty: no hits at all.
    starts: Vec<u32>,
    hits: Vec<TimedMask>,
}

impl PartitionHits {
    /// The goal hits of visitor `number`, in time order.
    pub fn of(&self, number: u32) -> &[TimedMask] {
        match (
            self.starts.get(number as usize),
            self.starts.get(number as usize + 1),
        ) {
            (Some(&a), Some(&b)) => &self.hits[a as usize..b as usize],
            _ => &[],
        }
    }
}

/// What is known of the goal hits before the walk.
#[derive(Debug, Default)]
pub struct Prepared {
    /// Per goal: hits that are no bot's.
    hits: Vec<u64>,
    /// Per goal: distinct (visitor, day) pairs with a hit (SPEC §3).
    visitors: Vec<u64>,
    /// Per partition of the walk.
    pub partitions: Vec<PartitionHits>,
}

/// How the walk identifies visitors, for [`prepare`].
pub struct Visitors<'a> {
    /// Per client id: the id of the first spelling of its address.
    pub client_of: &'a [u32],
    /// Per visitor id of the figures: its number in its partition, or
    /// `u32::MAX` for a bot.
    pub number: &'a [u32],
    /// Per partition: how many visitors the walk numbered.
    pub per_partition: Vec<usize>,
}

/// Files the goal hits of `figures` for the walk. `is_bot` tells an agent
/// id (or [`NO_AGENT`](crate::aggregate::NO_AGENT)) of a bot; `day_of` the
/// day number of a time.
pub fn prepare(
    set: &GoalSet,
    figures: &Figures,
    visitors: &Visitors<'_>,
    is_bot: impl Fn(u32) -> bool,
    day_of: impl Fn(i64) -> u32,
) -> Prepared {
    let goals = set.goals().len();
    let goal_bits = if goals == 64 {
        u64::MAX
    } else {
        (1u64 << goals) - 1
    };
    // (unified client, agent) of every visitor with page views: its
    // partition and number.
    let mut walker: FastMap<(u32, u32), (u32, u32)> =
        FastMap::with_capacity(figures.visitors.len());
    for v in 0..figures.visitors.len() as u32 {
        let number = visitors.number[v as usize];
        if number == u32::MAX {
            continue;
        }
        let (client, agent) = figures.visitors.pair(v);
        let partition = figures.clients.value(client).partition;
        walker.insert(
            (visitors.client_of[client as usize], agent),
            (partition, number),
        );
    }
    let mut hits = vec![0u64; goals];
    let mut days: Vec<(u32, u32, u32, u64)> = Vec::new();
    let mut filed: Vec<Vec<(u32, TimedMask)>> = vec![Vec::new(); visitors.per_partition.len()];
    for h in &figures.goal_hits.hits {
        if is_bot(h.agent) {
            continue;
        }
        let client = visitors.client_of[h.client as usize];
        let goal_mask = h.mask & goal_bits;
        for (g, n) in hits.iter_mut().enumerate() {
            *n += goal_mask >> g & 1;
        }
        if goal_mask != 0 {
            days.push((client, h.agent, day_of(h.time), goal_mask));
        }
        if let Some(&(partition, number)) = walker.get(&(client, h.agent)) {
            let at = TimedMask {
                time: h.time,
                mask: h.mask,
            };
            filed[partition as usize].push((number, at));
        }
    }
    // A visitor-day counts once per goal, whatever its number of hits.
    days.sort_unstable();
    let mut goal_visitors = vec![0u64; goals];
    for group in days.chunk_by(|a, b| (a.0, a.1, a.2) == (b.0, b.1, b.2)) {
        let mask = group.iter().fold(0, |m, d| m | d.3);
        for (g, n) in goal_visitors.iter_mut().enumerate() {
            *n += mask >> g & 1;
        }
    }
    let partitions = filed
        .into_iter()
        .zip(&visitors.per_partition)
        .map(|(mut part, &numbered)| {
            if part.is_empty() {
                return PartitionHits::default();
            }
            part.sort_unstable_by_key(|&(number, at)| (number, at.time, at.mask));
            let mut starts = vec![0u32; numbered + 1];
            for &(number, _) in &part {
                starts[number as usize + 1] += 1;
            }
            for i in 1..starts.len() {
                starts[i] += starts[i - 1];
            }
            PartitionHits {
                starts,
                hits: part.into_iter().map(|(_, at)| at).collect(),
            }
        })
        .collect();
    Prepared {
        hits,
        visitors: goal_visitors,
        partitions,
    }
}

/// Conversions and funnel steps counted by the walk, per thread.
#[derive(Debug, Default)]
pub struct VisitTally {
    /// Per goal: visits with at least one of its hits.
    conversions: Vec<u64>,
    /// Per (goal, entry id of the visit): conversions, for the split by
    /// channel once channels are known.
    by_entry: FastMap<(u32, u32), u64>,
    /// Per funnel, per step: visits that reached it.
    reached: Vec<Vec<u64>>,
}

impl VisitTally {
    pub fn new(set: &GoalSet) -> VisitTally {
        VisitTally {
            conversions: vec![0; set.goals().len()],
            by_entry: FastMap::default(),
            reached: set
                .funnels()
                .iter()
                .map(|f| vec![0; f.steps.len()])
                .collect(),
        }
    }

    /// Tallies of disjoint sets of visitors, summed.
    pub fn merge(mut self, o: VisitTally) -> VisitTally {
        if self.conversions.is_empty() && self.reached.is_empty() {
            return o;
        }
        for (a, b) in self.conversions.iter_mut().zip(&o.conversions) {
            *a += b;
        }
        for (key, n) in o.by_entry {
            *self.by_entry.entry(key).or_default() += n;
        }
        for (a, b) in self.reached.iter_mut().zip(&o.reached) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        self
    }

    /// One visitor: `views` are its page views' (time, entry id) in time
    /// order, `hits` its goal hits in time order.
    pub fn visitor(
        &mut self,
        set: &GoalSet,
        views: impl IntoIterator<Item = (i64, u32)>,
        hits: &[TimedMask],
    ) {
        if hits.is_empty() {
            return;
        }
        let mut views = views.into_iter();
        let Some((first, entry)) = views.next() else {
            return;
        };
        // The visit being walked: first and last page-view time, entry.
        let mut visit = (first, first, entry);
        let mut next_hit = 0;
        for (time, entry) in views {
            if time - visit.1 > VISIT_GAP_SECONDS {
                next_hit = self.visit(set, visit, hits, next_hit);
                visit = (time, time, entry);
            } else {
                visit.1 = time;
            }
        }
        self.visit(set, visit, hits, next_hit);
    }

    /// One visit: takes its hits from `hits[from..]` and returns where the
    /// next visit's may start. Visits' spans never overlap (the next visit
    /// starts more than 30 minutes after this one's last page view), so
    /// "the later visit if two hold the hit" needs no test.
    fn visit(
        &mut self,
        set: &GoalSet,
        (first, last, entry): (i64, i64, u32),
        hits: &[TimedMask],
        from: usize,
    ) -> usize {
        let end_of_span = last.saturating_add(VISIT_GAP_SECONDS);
        // Hits before the first page view belong to no visit (or to the
        // visit before, which took them).
        let start = from + hits[from..].partition_point(|h| h.time < first);
        let end = start + hits[start..].partition_point(|h| h.time <= end_of_span);
        let held = &hits[start..end];
        if held.is_empty() {
            return end;
        }
        let mask = held.iter().fold(0, |m, h| m | h.mask);
        for (g, n) in self.conversions.iter_mut().enumerate() {
            if mask >> g & 1 == 1 {
                *n += 1;
                *self.by_entry.entry((g as u32, entry)).or_default() += 1;
            }
        }
        for (funnel, reached) in set.funnels().iter().zip(&mut self.reached) {
            let steps = steps_reached(&funnel.steps, held);
            for n in &mut reached[..steps] {
                *n += 1;
            }
        }
        end
    }

    /// The goals' figures, with each visit's entry id turned into its
    /// channel.
    pub fn finish(self, prepared: Prepared, channel_of: impl Fn(u32) -> Channel) -> GoalFigures {
        let mut by_channel: HashMap<(usize, Channel), u64> = HashMap::new();
        for ((goal, entry), n) in self.by_entry {
            *by_channel
                .entry((goal as usize, channel_of(entry)))
                .or_default() += n;
        }
        GoalFigures {
            hits: prepared.hits,
            visitors: prepared.visitors,
            conversions: self.conversions,
            by_channel,
            reached: self.reached,
        }
    }
}

/// The goal and funnel figures of a run, by goal and funnel index.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct GoalFigures {
    pub hits: Vec<u64>,
    pub visitors: Vec<u64>,
    pub conversions: Vec<u64>,
    /// Per (goal, channel): conversions.
    pub by_channel: HashMap<(usize, Channel), u64>,
    /// Per funnel, per step: visits that reached it.
    pub reached: Vec<Vec<u64>>,
}

/// How many steps of a funnel, from the first, a visit reaches with
/// `hits` (its goal hits, in time order): step k needs a hit of step k at
/// or after the time of the hit that took step k − 1, each hit taking one
/// step. Hits of one instant may take steps in any order, so each group of
/// equal times extends the funnel as far as its hits can; reaching a step
/// as early as possible never costs a later one.
pub fn steps_reached(steps: &[Step], hits: &[TimedMask]) -> usize {
    let mut reached = 0;
    for group in hits.chunk_by(|a, b| a.time == b.time) {
        if reached == steps.len() {
            break;
        }
        reached += steps_of_one_instant(&steps[reached..], group);
    }
    reached
}

/// How many of `steps`, from the first, distinct hits of `group` take: a
/// matching of steps to hits, grown one step at a time by augmenting paths
/// (a group is a hit or two; this is for the rare instant that has more).
fn steps_of_one_instant(steps: &[Step], group: &[TimedMask]) -> usize {
    let takes = |hit: usize, step: usize| group[hit].mask >> steps[step].pattern & 1 == 1;
    if let [_] = group {
        return usize::from(!steps.is_empty() && takes(0, 0));
    }
    // The step each hit took, if any.
    let mut step_of: Vec<Option<usize>> = vec![None; group.len()];
    let limit = steps.len().min(group.len());
    for step in 0..limit {
        let mut tried = vec![false; group.len()];
        if !augment(step, &takes, &mut step_of, &mut tried) {
            return step;
        }
    }
    limit
}

/// Finds a hit for `step`, moving steps already placed to other hits
/// where that frees one.
fn augment(
    step: usize,
    takes: &impl Fn(usize, usize) -> bool,
    step_of: &mut [Option<usize>],
    tried: &mut [bool],
) -> bool {
    for hit in 0..step_of.len() {
        if !tried[hit] && takes(hit, step) {
            tried[hit] = true;
            let free = match step_of[hit] {
                None => true,
                Some(other) => augment(other, takes, step_of, tried),
            };
            if free {
                step_of[hit] = Some(step);
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(patterns: &[usize]) -> Vec<Step> {
        patterns
            .iter()
            .map(|&pattern| Step {
                name: format!("p{pattern}"),
                pattern,
            })
            .collect()
    }

    fn hit(time: i64, patterns: &[usize]) -> TimedMask {
        TimedMask {
            time,
            mask: patterns.iter().fold(0, |m, &p| m | 1 << p),
        }
    }

    #[test]
    fn steps_in_time_order_each_hit_taking_one() {
        let s = steps(&[0, 1, 2]);
        assert_eq!(
            steps_reached(&s, &[hit(1, &[0]), hit(2, &[1]), hit(3, &[2])]),
            3
        );
        // Out of order in time: step 2 before step 1 does not count.
        assert_eq!(
            steps_reached(&s, &[hit(1, &[1]), hit(2, &[0]), hit(3, &[2])]),
            1
        );
        assert_eq!(
            steps_reached(
                &s,
                &[hit(1, &[1]), hit(2, &[0]), hit(3, &[1]), hit(4, &[2])]
            ),
            3
        );
        assert_eq!(steps_reached(&s, &[]), 0);
        assert_eq!(steps_reached(&s, &[hit(1, &[2])]), 0);
        // One hit matching two steps takes one of them.
        let twice = steps(&[0, 0]);
        assert_eq!(steps_reached(&twice, &[hit(1, &[0])]), 1);
        assert_eq!(steps_reached(&twice, &[hit(1, &[0]), hit(9, &[0])]), 2);
    }

    #[test]
    fn a_hit_belongs_to_the_visit_whose_span_holds_it() {
        use crate::goals::define::{FunnelDef, GoalDef};
        let set = GoalSet::build(
            vec![GoalDef::from_flag("g=/g").unwrap()],
            vec![FunnelDef::from_flag("f=/a,g").unwrap()],
        )
        .unwrap()
        .unwrap();
        let (g, a) = (0, 1);
        // Visit 1: page views at 0 and 100 (entry 7), its span to 1900.
        // Visit 2: from 5000 (entry 8), its span to 6800.
        let views = [(0, 7), (100, 7), (5000, 8)];
        let hits = [
            hit(-1, &[g]),   // before any page view: no visit
            hit(50, &[a]),   // visit 1, funnel step 1
            hit(1900, &[g]), // exactly 30 minutes after the last: visit 1
            hit(1901, &[g]), // one second more: no visit
            hit(4999, &[g]), // before visit 2 starts: no visit
            hit(6800, &[a]), // visit 2, but no goal hit after it
        ];
        let mut tally = VisitTally::new(&set);
        tally.visitor(&set, views, &hits);
        assert_eq!(tally.conversions, [1]);
        assert_eq!(tally.by_entry.get(&(0, 7)), Some(&1));
        assert_eq!(tally.by_entry.get(&(0, 8)), None);
        // Visit 1 reached /a then g; visit 2 /a only.
        assert_eq!(tally.reached, [vec![2, 1]]);
        // Merged with another thread's tally, figures add up.
        let mut other = VisitTally::new(&set);
        other.visitor(&set, [(0, 8)], &[hit(10, &[g])]);
        let merged = VisitTally::default().merge(tally).merge(other);
        assert_eq!(merged.conversions, [2]);
        assert_eq!(merged.reached, [vec![2, 1]]);
        assert_eq!(merged.by_entry.get(&(0, 8)), Some(&1));
    }

    #[test]
    fn hits_of_one_instant_take_steps_in_any_order() {
        let s = steps(&[0, 1, 2]);
        // Written step 2 first, at the same second: non-decreasing times.
        assert_eq!(
            steps_reached(&s, &[hit(5, &[1]), hit(5, &[0]), hit(6, &[2])]),
            3
        );
        // The hit matching both 0 and 1 must take step 1, the other step 0.
        let s = steps(&[0, 1]);
        assert_eq!(steps_reached(&s, &[hit(5, &[0, 1]), hit(5, &[0])]), 2);
        assert_eq!(steps_reached(&s, &[hit(5, &[0]), hit(5, &[0, 1])]), 2);
        assert_eq!(steps_reached(&s, &[hit(5, &[0]), hit(5, &[0])]), 1);
        // Three steps, two hits at once, the third later.
        let s = steps(&[0, 1, 0]);
        assert_eq!(
            steps_reached(&s, &[hit(5, &[0]), hit(5, &[1]), hit(7, &[0])]),
            3
        );
    }
}
