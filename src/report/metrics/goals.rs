//! The goal and funnel families (SPEC §7), from the report's `goals`,
//! `goal_channels` and `funnels` rows: the figures a site owner reads in
//! Plausible's goal and funnel views, as counters. Goal and funnel names
//! are the user's own (flags or configuration), not log text: they are
//! not folded, and every goal has its series from the first run, zero or
//! not, so that a first conversion does not start a series.

use crate::enrich::sources::Channel;
use crate::report::goal_rows::{FunnelRow, GoalChannelRow, GoalRow};

/// The goal families of a report built with goals or funnels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GoalMetrics {
    /// `(goal, n)`, sorted by goal: hits that match the goal (SPEC §7).
    pub hits: Vec<(String, u64)>,
    /// `(goal, n)`: visitor-days with a goal hit.
    pub visitors: Vec<(String, u64)>,
    /// `(goal, n)`: visits with at least one of the goal's hits.
    pub conversions: Vec<(String, u64)>,
    /// `(goal, channel, n)`: the same by the visit's channel, every
    /// channel for every goal.
    pub conversions_by_channel: Vec<(String, &'static str, u64)>,
    /// Visits that reached each step of each funnel.
    pub funnel_steps: Vec<FunnelStepSeries>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelStepSeries {
    pub funnel: String,
    /// 1-based, as text: a label value.
    pub step: String,
    /// The step as written: a goal's name or a pattern.
    pub step_name: String,
    pub visits: u64,
}

impl FunnelStepSeries {
    pub fn labels(&self) -> [(&'static str, &str); 3] {
        [
            ("funnel", &self.funnel),
            ("step", &self.step),
            ("step_name", &self.step_name),
        ]
    }
}

/// The families of the report's goal sections.
pub fn from_rows(
    goals: &[GoalRow],
    goal_channels: &[GoalChannelRow],
    funnels: &[FunnelRow],
) -> GoalMetrics {
    let by_goal = |pick: fn(&GoalRow) -> u64| {
        let mut rows: Vec<(String, u64)> =
            goals.iter().map(|g| (g.goal.clone(), pick(g))).collect();
        rows.sort();
        rows
    };
    let mut conversions_by_channel = Vec::with_capacity(goals.len() * Channel::ALL.len());
    for g in goals {
        for c in Channel::ALL {
            let n = goal_channels
                .iter()
                .find(|r| r.goal == g.goal && r.channel == c.name())
                .map_or(0, |r| r.conversions);
            conversions_by_channel.push((g.goal.clone(), c.name(), n));
        }
    }
    conversions_by_channel.sort();
    let funnel_steps = funnels
        .iter()
        .map(|f| FunnelStepSeries {
            funnel: f.funnel.clone(),
            step: f.step.to_string(),
            step_name: f.name.clone(),
            visits: f.visits,
        })
        .collect();
    GoalMetrics {
        hits: by_goal(|g| g.hits),
        visitors: by_goal(|g| g.visitors),
        conversions: by_goal(|g| g.conversions),
        conversions_by_channel,
        funnel_steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_of_every_goal_and_the_steps_in_order() {
        let goal = |name: &str, conversions| GoalRow {
            goal: name.into(),
            hits: conversions * 2,
            visitors: conversions,
            conversions,
            conversion_rate: 0.0,
        };
        let goals = [goal("signup", 3), goal("buy", 1)];
        let channels = [GoalChannelRow {
            goal: "signup".into(),
            channel: "Search",
            visits: 10,
            conversions: 2,
            conversion_rate: 0.2,
        }];
        let step = |k: u64, visits| FunnelRow {
            funnel: "checkout".into(),
            step: k,
            name: format!("s{k}"),
            visits,
            share_of_first: 0.0,
            drop_off: 0.0,
        };
        let m = from_rows(&goals, &channels, &[step(1, 5), step(2, 2)]);
        assert_eq!(m.hits, [("buy".into(), 2), ("signup".into(), 6)]);
        assert_eq!(m.conversions, [("buy".into(), 1), ("signup".into(), 3)]);
        assert_eq!(m.conversions_by_channel.len(), 2 * Channel::ALL.len());
        let search: Vec<_> = (m.conversions_by_channel.iter())
            .filter(|(_, c, _)| *c == "Search")
            .collect();
        assert_eq!(
            search,
            [
                &("buy".to_string(), "Search", 0),
                &("signup".into(), "Search", 2)
            ]
        );
        assert_eq!(
            m.funnel_steps[1].labels(),
            [("funnel", "checkout"), ("step", "2"), ("step_name", "s2")]
        );
        assert_eq!(m.funnel_steps[1].visits, 2);
    }
}
