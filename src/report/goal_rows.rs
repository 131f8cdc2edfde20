//! The `goals`, `goal_channels` and `funnels` sections (SPEC §7): rows in
//! the order SPEC gives, never cut by `--top`.

use std::collections::HashMap;

use serde::Serialize;

use super::tables::rate;
use crate::enrich::sources::Channel;
use crate::goals::GoalSet;
use crate::visits::goal_walk::GoalFigures;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoalRow {
    pub goal: String,
    pub hits: u64,
    pub visitors: u64,
    pub conversions: u64,
    pub conversion_rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoalChannelRow {
    pub goal: String,
    pub channel: &'static str,
    pub visits: u64,
    pub conversions: u64,
    pub conversion_rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunnelRow {
    pub funnel: String,
    /// 1-based.
    pub step: u64,
    /// The step as written: a goal's name or a pattern.
    pub name: String,
    pub visits: u64,
    pub share_of_first: f64,
    pub drop_off: f64,
}

/// The three sections.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GoalSections {
    pub goals: Vec<GoalRow>,
    pub goal_channels: Vec<GoalChannelRow>,
    pub funnels: Vec<FunnelRow>,
}

/// The rows of a run: `visits` is the number of all visits, and
/// `channel_visits` that of each channel.
pub fn sections(
    set: &GoalSet,
    figures: &GoalFigures,
    visits: u64,
    channel_visits: &HashMap<Channel, u64>,
) -> GoalSections {
    let at = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    let mut goals: Vec<(usize, GoalRow)> = set
        .goals()
        .iter()
        .enumerate()
        .map(|(g, name)| {
            let conversions = at(&figures.conversions, g);
            let row = GoalRow {
                goal: name.clone(),
                hits: at(&figures.hits, g),
                visitors: at(&figures.visitors, g),
                conversions,
                conversion_rate: rate(conversions, visits),
            };
            (g, row)
        })
        .collect();
    goals.sort_by(|(_, a), (_, b)| {
        (b.conversions.cmp(&a.conversions)).then_with(|| a.goal.cmp(&b.goal))
    });

    // Every channel that has visits, for every goal: a channel that
    // brings visits and no conversion is worth a row.
    let mut channels: Vec<(Channel, u64)> = channel_visits
        .iter()
        .filter(|(_, &n)| n > 0)
        .map(|(&c, &n)| (c, n))
        .collect();
    channels.sort_by_key(|&(c, _)| c.name());
    let mut goal_channels = Vec::new();
    for (g, row) in &goals {
        let mut rows: Vec<GoalChannelRow> = channels
            .iter()
            .map(|&(channel, visits)| {
                let conversions = figures.by_channel.get(&(*g, channel)).copied().unwrap_or(0);
                GoalChannelRow {
                    goal: row.goal.clone(),
                    channel: channel.name(),
                    visits,
                    conversions,
                    conversion_rate: rate(conversions, visits),
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            (b.conversions.cmp(&a.conversions)).then_with(|| a.channel.cmp(b.channel))
        });
        goal_channels.extend(rows);
    }

    let mut funnels = Vec::new();
    for (f, funnel) in set.funnels().iter().enumerate() {
        let reached = figures.reached.get(f).map(Vec::as_slice).unwrap_or(&[]);
        let first = at(reached, 0);
        for (k, step) in funnel.steps.iter().enumerate() {
            let visits = at(reached, k);
            let before = if k == 0 { 0 } else { at(reached, k - 1) };
            funnels.push(FunnelRow {
                funnel: funnel.name.clone(),
                step: k as u64 + 1,
                name: step.name.clone(),
                visits,
                share_of_first: rate(visits, first),
                // 0 for the first step and after a step no visit reached.
                drop_off: if before == 0 {
                    0.0
                } else {
                    1.0 - rate(visits, before)
                },
            });
        }
    }
    GoalSections {
        goals: goals.into_iter().map(|(_, row)| row).collect(),
        goal_channels,
        funnels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::goals::define::{FunnelDef, GoalDef};

    #[test]
    fn order_rates_and_drop_off() {
        let set = GoalSet::build(
            vec![
                GoalDef::from_flag("b=/b").unwrap(),
                GoalDef::from_flag("a=/a").unwrap(),
                GoalDef::from_flag("c=/c").unwrap(),
            ],
            vec![FunnelDef::from_flag("f=/x,a,b,c").unwrap()],
        )
        .unwrap()
        .unwrap();
        let figures = GoalFigures {
            hits: vec![5, 2, 0],
            visitors: vec![3, 2, 0],
            conversions: vec![2, 2, 0],
            by_channel: HashMap::from([((0, Channel::Search), 2), ((1, Channel::Direct), 2)]),
            reached: vec![vec![4, 3, 0, 0]],
        };
        let visits = HashMap::from([(Channel::Search, 5), (Channel::Direct, 3)]);
        let s = sections(&set, &figures, 8, &visits);
        let goals: Vec<(&str, u64, f64)> = s
            .goals
            .iter()
            .map(|r| (r.goal.as_str(), r.conversions, r.conversion_rate))
            .collect();
        // Equal conversions: by name.
        assert_eq!(goals, [("a", 2, 0.25), ("b", 2, 0.25), ("c", 0, 0.0)]);
        let channels: Vec<(&str, &str, u64, u64)> = s
            .goal_channels
            .iter()
            .map(|r| (r.goal.as_str(), r.channel, r.visits, r.conversions))
            .collect();
        assert_eq!(
            channels,
            [
                ("a", "Direct", 3, 2),
                ("a", "Search", 5, 0),
                ("b", "Search", 5, 2),
                ("b", "Direct", 3, 0),
                ("c", "Direct", 3, 0),
                ("c", "Search", 5, 0),
            ]
        );
        let steps: Vec<(u64, &str, u64, f64, f64)> = s
            .funnels
            .iter()
            .map(|r| {
                (
                    r.step,
                    r.name.as_str(),
                    r.visits,
                    r.share_of_first,
                    r.drop_off,
                )
            })
            .collect();
        assert_eq!(
            steps,
            [
                (1, "/x", 4, 1.0, 0.0),
                (2, "a", 3, 0.75, 0.25),
                (3, "b", 0, 0.0, 1.0),
                (4, "c", 0, 0.0, 0.0),
            ]
        );
    }
}
