//! The settings that change figures, stored in a state: a run with other
//! ones would add figures of another kind to the sums, so it is refused.
//! Goals and funnels are among them: hits are tested against the
//! patterns as they are read, so goals defined later would count only
//! the lines read from then on.

use serde::{Deserialize, Serialize};

use crate::parse::Format;
use crate::RunOptions;

/// Each setting by the flag that sets it, as text (the same text for the
/// same setting, so two runs compare by it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings(pub Vec<(String, String)>);

/// The text of a `--log-format` value.
pub fn format_text(format: Option<Format>) -> String {
    match format {
        None => "detected per file".into(),
        Some(Format::Custom(p)) => p.text().to_string(),
        Some(f) => f.name().into(),
    }
}

impl Settings {
    pub fn of(opts: &RunOptions) -> Settings {
        let f = &opts.filters;
        let list = |items: Vec<String>| {
            if items.is_empty() {
                "none".to_string()
            } else {
                items.join(", ")
            }
        };
        let opt = |v: Option<String>| v.unwrap_or_else(|| "none".into());
        let on = |b: bool| if b { "on" } else { "off" }.to_string();
        Settings(vec![
            ("--log-format".into(), format_text(opts.format)),
            ("--site".into(), list(opts.sites.clone())),
            (
                "--tz".into(),
                opts.zone
                    .map_or("the offset of the first line".into(), |z| z.to_string()),
            ),
            ("--since".into(), opt(f.since.map(|t| format!("{t:?}")))),
            ("--until".into(), opt(f.until.map(|t| format!("{t:?}")))),
            (
                "--exclude-ip".into(),
                list(f.exclude_ip.iter().map(|n| n.to_string()).collect()),
            ),
            (
                "--include-path".into(),
                list(
                    f.include_path
                        .iter()
                        .map(|g| g.glob().to_string())
                        .collect(),
                ),
            ),
            (
                "--exclude-path".into(),
                list(
                    f.exclude_path
                        .iter()
                        .map(|g| g.glob().to_string())
                        .collect(),
                ),
            ),
            ("--host".into(), list(f.hosts.clone())),
            (
                "--status".into(),
                opt(f.status.as_ref().map(|s| format!("{s:?}"))),
            ),
            (
                "--method".into(),
                opt(f.method.as_ref().map(|m| format!("{m:?}"))),
            ),
            ("--no-bots".into(), on(f.no_bots)),
            ("--clients".into(), on(opts.clients)),
            ("--show-ips".into(), on(opts.show_ips)),
            ("--goal".into(), list(goals_text(opts))),
            ("--funnel".into(), list(funnels_text(opts))),
        ])
    }

    /// The settings of `now` that differ from these, said for a person.
    pub fn differences(&self, now: &Settings) -> Vec<String> {
        let mut out = Vec::new();
        for (name, value) in &now.0 {
            let was = self
                .0
                .iter()
                .find(|(n, _)| n == name)
                .map_or("(not recorded)", |(_, v)| v.as_str());
            if was != value {
                out.push(format!("{name} is {value} now but was {was}"));
            }
        }
        out
    }
}

/// Each goal as `NAME=PATTERN`: goal hits are kept per goal, so the goals
/// (from `--goal` or the configuration file) are a setting.
fn goals_text(opts: &RunOptions) -> Vec<String> {
    let Some(set) = &opts.goals else {
        return Vec::new();
    };
    (set.goals().iter().zip(set.patterns()))
        .map(|(name, pattern)| format!("{name}={}", pattern.text()))
        .collect()
}

/// Each funnel as `NAME=STEP,STEP`.
fn funnels_text(opts: &RunOptions) -> Vec<String> {
    let Some(set) = &opts.goals else {
        return Vec::new();
    };
    (set.funnels().iter())
        .map(|f| {
            let steps: Vec<&str> = f.steps.iter().map(|s| s.name.as_str()).collect();
            format!("{}={}", f.name, steps.join(","))
        })
        .collect()
}
