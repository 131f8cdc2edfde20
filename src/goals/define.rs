//! Goals and funnels as the user defines them (`--goal NAME=PATTERN`,
//! `--funnel NAME=STEP,STEP,...`, or the `[goals]` and `[funnels]` tables
//! of the configuration file), checked and compiled into a [`GoalSet`].

use std::fmt;

use super::pattern::{GoalPattern, PATTERN_FORMS};
use super::prefilter::Prefilter;
use crate::error::Error;

/// How many distinct patterns (goals and funnel steps written as patterns)
/// a run may test: each is a bit of a goal hit's record.
pub const MAX_PATTERNS: usize = 64;

/// Where a definition was given, so that a message can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `--goal` or `--funnel`, and the value as given.
    Flag { flag: &'static str, value: String },
    /// A line of the configuration file.
    Config { path: String, line: usize },
}

impl Origin {
    /// The error of a definition from here: a usage error for a flag, a
    /// configuration error naming the line for the file.
    pub fn error(&self, what: &str, name: &str, message: impl fmt::Display) -> Error {
        match self {
            Origin::Flag { flag, value } => Error::Usage(format!("{flag} '{value}': {message}")),
            Origin::Config { path, line } => Error::Config {
                path: path.clone(),
                message: format!("line {line}: {what} '{name}': {message}"),
            },
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag { flag, value } => write!(f, "{flag} '{value}'"),
            Origin::Config { path, line } => write!(f, "line {line} of {path}"),
        }
    }
}

/// A goal as defined: a name and a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalDef {
    pub name: String,
    pub pattern: GoalPattern,
    pub origin: Origin,
}

/// A funnel as defined: a name and its steps, each a goal name or a
/// pattern, not yet told apart (the goals may be defined elsewhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelDef {
    pub name: String,
    pub steps: Vec<String>,
    pub origin: Origin,
}

/// `NAME=VALUE`, the name trimmed and checked.
fn name_and_value<'a>(text: &'a str, value_name: &str) -> Result<(&'a str, &'a str), String> {
    let Some((name, value)) = text.split_once('=') else {
        return Err(format!(
            "write NAME={value_name}, e.g. signup='POST /accounts/signup 3xx'"
        ));
    };
    let name = name.trim();
    check_name(name)?;
    Ok((name, value))
}

/// A name must be something a funnel step can refer to.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the name is empty: write NAME=..., e.g. signup=/accounts/signup".into());
    }
    if name.contains(',') {
        return Err(format!(
            "the name '{name}' holds a comma, which separates funnel steps"
        ));
    }
    Ok(())
}

impl GoalDef {
    /// A `--goal NAME=PATTERN` value (a clap value parser: the error names
    /// the flag).
    pub fn from_flag(text: &str) -> Result<GoalDef, String> {
        let (name, pattern) = name_and_value(text, "PATTERN")?;
        Ok(GoalDef {
            name: name.to_string(),
            pattern: GoalPattern::parse(pattern)?,
            origin: Origin::Flag {
                flag: "--goal",
                value: text.to_string(),
            },
        })
    }
}

impl FunnelDef {
    /// A `--funnel NAME=STEP,STEP,...` value.
    pub fn from_flag(text: &str) -> Result<FunnelDef, String> {
        let (name, steps) = name_and_value(text, "STEP,STEP,...")?;
        Ok(FunnelDef {
            name: name.to_string(),
            steps: split_steps(steps)?,
            origin: Origin::Flag {
                flag: "--funnel",
                value: text.to_string(),
            },
        })
    }
}

/// `a, /b ,c` → `a`, `/b`, `c`; an empty step is an error.
pub(crate) fn split_steps(text: &str) -> Result<Vec<String>, String> {
    let steps: Vec<String> = text.split(',').map(|s| s.trim().to_string()).collect();
    if steps.iter().any(String::is_empty) {
        return Err(format!(
            "'{}' has an empty step: write the steps separated by commas, e.g. \
             /cart,/checkout,thanks",
            text.trim()
        ));
    }
    Ok(steps)
}

/// A funnel step: what it is called in the report and which pattern it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub name: String,
    pub pattern: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Funnel {
    pub name: String,
    pub steps: Vec<Step>,
}

/// Every pattern a run tests, the goals (goal `i` is pattern `i`) and the
/// funnels (whose steps written as patterns come after the goals').
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalSet {
    patterns: Vec<GoalPattern>,
    goals: Vec<String>,
    funnels: Vec<Funnel>,
    /// Made once every pattern is known.
    prefilter: Prefilter,
}

impl GoalSet {
    /// Checks the definitions together: names are unique (goals among
    /// goals, funnels among funnels) and every funnel step names a goal or
    /// is a pattern. `None` when nothing is defined.
    pub fn build(goals: Vec<GoalDef>, funnels: Vec<FunnelDef>) -> Result<Option<GoalSet>, Error> {
        if goals.is_empty() && funnels.is_empty() {
            return Ok(None);
        }
        let mut set = GoalSet {
            patterns: Vec::new(),
            goals: Vec::new(),
            funnels: Vec::new(),
            prefilter: Prefilter::new(&[]),
        };
        for (i, goal) in goals.iter().enumerate() {
            if let Some(first) = goals[..i].iter().find(|g| g.name == goal.name) {
                return Err(goal.origin.error(
                    "goal",
                    &goal.name,
                    format!(
                        "the goal '{}' is defined twice, first by {}",
                        goal.name, first.origin
                    ),
                ));
            }
            set.goals.push(goal.name.clone());
            set.patterns.push(goal.pattern.clone());
        }
        for (i, funnel) in funnels.iter().enumerate() {
            let fail = |message: String| funnel.origin.error("funnel", &funnel.name, message);
            if let Some(first) = funnels[..i].iter().find(|f| f.name == funnel.name) {
                return Err(fail(format!(
                    "the funnel '{}' is defined twice, first by {}",
                    funnel.name, first.origin
                )));
            }
            if funnel.steps.is_empty() {
                return Err(fail("a funnel needs at least one step".into()));
            }
            let mut steps = Vec::with_capacity(funnel.steps.len());
            for step in &funnel.steps {
                let pattern = match set.goals.iter().position(|g| g == step) {
                    Some(goal) => goal,
                    None => {
                        let pattern = GoalPattern::parse(step)
                            .map_err(|why| fail(set.unknown_step(step, &why)))?;
                        set.pattern_index(pattern)
                    }
                };
                steps.push(Step {
                    name: step.clone(),
                    pattern,
                });
            }
            set.funnels.push(Funnel {
                name: funnel.name.clone(),
                steps,
            });
        }
        if set.patterns.len() > MAX_PATTERNS {
            // Said at the last definition: it is the one past the limit.
            let (origin, what, name) = match (funnels.last(), goals.last()) {
                (Some(f), _) => (&f.origin, "funnel", &f.name),
                (None, Some(g)) => (&g.origin, "goal", &g.name),
                (None, None) => return Ok(None),
            };
            return Err(origin.error(
                what,
                name,
                format!(
                    "{} goals and funnel-step patterns in all; at most {MAX_PATTERNS} can be tested",
                    set.patterns.len()
                ),
            ));
        }
        set.prefilter = Prefilter::new(&set.patterns);
        Ok(Some(set))
    }

    /// The message for a step that is neither a goal's name nor a pattern.
    fn unknown_step(&self, step: &str, why: &str) -> String {
        let goals = if self.goals.is_empty() {
            "no goal is defined".to_string()
        } else {
            format!("the goals are {}", self.goals.join(", "))
        };
        if step.starts_with(['/', '*']) || step.contains(' ') {
            format!("the step '{step}' names no goal ({goals}) and is not a pattern: {why}")
        } else {
            format!(
                "the step '{step}' names no goal ({goals}) and is not a pattern; {PATTERN_FORMS}"
            )
        }
    }

    /// The index of a step's pattern: the same text is one pattern.
    fn pattern_index(&mut self, pattern: GoalPattern) -> usize {
        match self
            .patterns
            .iter()
            .position(|p| p.text() == pattern.text())
        {
            Some(i) => i,
            None => {
                self.patterns.push(pattern);
                self.patterns.len() - 1
            }
        }
    }

    /// The patterns a hit matches, as bits of their indices; 0 for none.
    /// The prefilter has checked status and method: only the candidates'
    /// globs are left to test.
    #[inline]
    pub fn matching(&self, method: &[u8], path: &[u8], status: u16) -> u64 {
        let mut candidates = self.prefilter.candidates(method, path, status);
        let mut mask = 0;
        while candidates != 0 {
            let i = candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            if self.patterns[i].path_matches(path) {
                mask |= 1 << i;
            }
        }
        mask
    }

    /// The goals' names; goal `i` is pattern `i`.
    pub fn goals(&self) -> &[String] {
        &self.goals
    }

    pub fn funnels(&self) -> &[Funnel] {
        &self.funnels
    }

    pub fn patterns(&self) -> &[GoalPattern] {
        &self.patterns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goal(text: &str) -> GoalDef {
        GoalDef::from_flag(text).unwrap()
    }

    fn funnel(text: &str) -> FunnelDef {
        FunnelDef::from_flag(text).unwrap()
    }

    fn build(goals: &[&str], funnels: &[&str]) -> Result<GoalSet, String> {
        let goals = goals.iter().map(|g| goal(g)).collect();
        let funnels = funnels.iter().map(|f| funnel(f)).collect();
        GoalSet::build(goals, funnels)
            .map(Option::unwrap)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn steps_name_goals_or_are_patterns() {
        let set = build(
            &["thanks=/checkout/done*", "signup=POST /signup 3xx"],
            &["checkout=/cart, /checkout ,thanks", "again=/cart,signup"],
        )
        .unwrap();
        assert_eq!(set.goals(), ["thanks", "signup"]);
        let steps: Vec<(&str, usize)> = set.funnels()[0]
            .steps
            .iter()
            .map(|s| (s.name.as_str(), s.pattern))
            .collect();
        // /cart and /checkout are patterns 2 and 3; /cart again is 2.
        assert_eq!(steps, [("/cart", 2), ("/checkout", 3), ("thanks", 0)]);
        assert_eq!(set.funnels()[1].steps[0].pattern, 2);
        assert_eq!(set.patterns().len(), 4);
        assert_eq!(set.matching(b"GET", b"/checkout/done", 200), 0b0001);
        assert_eq!(set.matching(b"GET", b"/cart", 200), 0b0100);
        assert_eq!(set.matching(b"GET", b"/nothing", 200), 0);
        // A funnel alone, with no goal at all.
        let alone = build(&[], &["f=/a,/b"]).unwrap();
        assert!(alone.goals().is_empty());
        assert!(GoalSet::build(Vec::new(), Vec::new()).unwrap().is_none());
    }

    #[test]
    fn errors_name_the_flag_and_what_is_wrong() {
        for (goals, funnels, says) in [
            (
                &["a=/x", "a=/y"][..],
                &[][..],
                "--goal 'a=/y': the goal 'a' is defined twice, first by --goal 'a=/x'",
            ),
            (
                &["a=/x"],
                &["f=/x", "f=a"],
                "--funnel 'f=a': the funnel 'f' is defined twice",
            ),
            (
                &["thanks=/done"],
                &["f=/cart,thank"],
                "--funnel 'f=/cart,thank': the step 'thank' names no goal (the goals are thanks) and is not a pattern",
            ),
            (
                &[],
                &["f=/cart,/checkout 9x9"],
                "the step '/checkout 9x9' names no goal (no goal is defined) and is not a pattern: '9x9' is not a status",
            ),
        ] {
            let e = build(goals, funnels).unwrap_err();
            assert!(e.contains(says), "{e}");
        }
        for (text, says) in [
            ("signup", "write NAME=PATTERN"),
            ("=/x", "the name is empty"),
            ("a,b=/x", "holds a comma"),
            ("a=x/y", "does not start with / or *"),
        ] {
            let e = GoalDef::from_flag(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
        let e = FunnelDef::from_flag("f=/a,,/b").unwrap_err();
        assert!(e.contains("empty step"), "{e}");
    }

    #[test]
    fn the_prefilter_changes_no_answer() {
        let goals = [
            "a=POST /signup 3xx",
            "b=/pricing",
            "c=*.pdf",
            "d=/",
            "e=/p*",
            "f=GET /a 404",
            "g=*",
            "h=/a*b*c 200-299",
            "i=post /",
        ];
        let set = build(&goals, &[]).unwrap();
        for method in ["GET", "POST", "HEAD", "-"] {
            for path in [
                "",
                "/",
                "/a",
                "/abc",
                "/a/b/c",
                "/p",
                "/pricing",
                "/x.pdf",
                "/signup",
                "(invalid)",
            ] {
                for status in [0, 200, 204, 302, 399, 404, 500, 999] {
                    let naive = (set.patterns().iter().enumerate())
                        .filter(|(_, p)| p.matches(method.as_bytes(), path.as_bytes(), status))
                        .fold(0u64, |m, (i, _)| m | 1 << i);
                    let fast = set.matching(method.as_bytes(), path.as_bytes(), status);
                    assert_eq!(fast, naive, "{method} {path} {status}");
                }
            }
        }
    }

    #[test]
    fn at_most_64_patterns() {
        let goals: Vec<String> = (0..65).map(|i| format!("g{i}=/p{i}")).collect();
        let goals: Vec<&str> = goals.iter().map(String::as_str).collect();
        let e = build(&goals, &[]).unwrap_err();
        assert!(e.contains("65 goals and funnel-step patterns"), "{e}");
        assert!(build(&goals[..64], &[]).is_ok());
    }
}
