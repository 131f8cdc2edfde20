//! The `[goals]` and `[funnels]` tables of the configuration file:
//!
//! ```toml
//! [goals]
//! signup = "POST /accounts/signup 3xx"
//! thanks = "/checkout/done*"
//!
//! [funnels]
//! checkout = ["/cart", "/checkout", "thanks"]   # or "/cart,/checkout,thanks"
//! ```
//!
//! Read with the position of every value, so that a message names the line,
//! and funnels keep the order they are written in.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::{Spanned, Value};

use super::define::{check_name, split_steps, FunnelDef, GoalDef, Origin};
use super::pattern::GoalPattern;
use crate::error::Error;

#[derive(Deserialize)]
struct Tables {
    goals: Option<BTreeMap<String, Spanned<Value>>>,
    funnels: Option<BTreeMap<String, Spanned<Value>>>,
}

/// The goals and funnels of a configuration file; `None` for a table it
/// does not have.
pub type Defined = (Option<Vec<GoalDef>>, Option<Vec<FunnelDef>>);

/// The goals and funnels a configuration file defines, in the order
/// written.
pub fn read(text: &str, path: &Path) -> Result<Defined, Error> {
    let file = path.display().to_string();
    let fail = |message: String| Error::Config {
        path: file.clone(),
        message,
    };
    let tables: Tables = toml::from_str(text).map_err(|e| {
        let message = e.to_string();
        fail(format!(
            "{}; write [goals] NAME = \"PATTERN\" and [funnels] NAME = [\"STEP\", ...]",
            message.trim_end()
        ))
    })?;
    // Each entry of a table in the order written, with its line; the name
    // checked as a flag's would be.
    let file = &file;
    let entries = |table: BTreeMap<String, Spanned<Value>>, what: &'static str| {
        let mut entries: Vec<(String, Spanned<Value>)> = table.into_iter().collect();
        entries.sort_by_key(|(_, v)| v.span().start);
        entries.into_iter().map(move |(name, value)| {
            let start = value.span().start.min(text.len());
            let origin = Origin::Config {
                path: file.clone(),
                line: text[..start].matches('\n').count() + 1,
            };
            match check_name(&name) {
                Ok(()) => Ok((name, value.into_inner(), origin)),
                Err(why) => Err(origin.error(what, &name, why)),
            }
        })
    };
    let goals = match tables.goals {
        None => None,
        Some(table) => {
            let mut goals = Vec::new();
            for entry in entries(table, "goal") {
                let (name, value, origin) = entry?;
                let bad = |why: String| origin.error("goal", &name, why);
                let Value::String(pattern) = value else {
                    return Err(bad(
                        "expected a pattern, like signup = \"POST /signup 3xx\"".into(),
                    ));
                };
                goals.push(GoalDef {
                    pattern: GoalPattern::parse(&pattern).map_err(bad)?,
                    name,
                    origin,
                });
            }
            Some(goals)
        }
    };
    let funnels = match tables.funnels {
        None => None,
        Some(table) => {
            let mut funnels = Vec::new();
            for entry in entries(table, "funnel") {
                let (name, value, origin) = entry?;
                let bad = |why: String| origin.error("funnel", &name, why);
                let steps = match value {
                    Value::String(s) => split_steps(&s).map_err(bad)?,
                    Value::Array(items) => {
                        let mut steps = Vec::with_capacity(items.len());
                        for item in items {
                            let Value::String(s) = item else {
                                return Err(bad("every step must be a string".into()));
                            };
                            steps.extend(split_steps(&s).map_err(bad)?);
                        }
                        steps
                    }
                    _ => {
                        return Err(bad(
                            "expected a list of steps, like checkout = [\"/cart\", \"thanks\"]"
                                .into(),
                        ))
                    }
                };
                funnels.push(FunnelDef {
                    name,
                    steps,
                    origin,
                });
            }
            Some(funnels)
        }
    };
    Ok((goals, funnels))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "/etc/logstats/config.toml";

    fn read_text(text: &str) -> Result<Defined, String> {
        read(text, Path::new(PATH)).map_err(|e| e.to_string())
    }

    #[test]
    fn tables_in_file_order_with_their_lines() {
        let (goals, funnels) = read_text(
            "tz = \"UTC\"\n[goals]\nthanks = \"/checkout/done*\"\nsignup = \"POST /signup 3xx\"\n\n\
             [funnels]\nz = [\"/cart\", \"thanks\"]\na = \"/x, signup\"\n",
        )
        .unwrap();
        let goals = goals.unwrap();
        let names: Vec<(&str, &Origin)> =
            goals.iter().map(|g| (g.name.as_str(), &g.origin)).collect();
        let at = |line| Origin::Config {
            path: PATH.into(),
            line,
        };
        assert_eq!(names, [("thanks", &at(3)), ("signup", &at(4))]);
        let funnels = funnels.unwrap();
        assert_eq!(funnels[0].name, "z");
        assert_eq!(funnels[0].steps, ["/cart", "thanks"]);
        assert_eq!(
            (funnels[1].name.as_str(), &funnels[1].origin),
            ("a", &at(8))
        );
        assert_eq!(funnels[1].steps, ["/x", "signup"]);
        assert_eq!(read_text("site = \"x\"").unwrap(), (None, None));
    }

    #[test]
    fn errors_name_the_file_and_line() {
        for (text, says) in [
            (
                "[goals]\n\nbad = \"checkout\"",
                "line 3: goal 'bad': the path glob 'checkout'",
            ),
            ("[goals]\nn = 3", "line 2: goal 'n': expected a pattern"),
            (
                "[funnels]\nf = 3",
                "line 2: funnel 'f': expected a list of steps",
            ),
            (
                "[funnels]\nf = [\"/a\", 1]",
                "line 2: funnel 'f': every step must be a string",
            ),
            (
                "[funnels]\nf = \"/a,,/b\"",
                "line 2: funnel 'f': '/a,,/b' has an empty step",
            ),
            (
                "[goals]\n\"a,b\" = \"/x\"",
                "line 2: goal 'a,b': the name 'a,b' holds a comma",
            ),
            ("goals = \"/x\"", "[goals] NAME"),
        ] {
            let e = read_text(text).unwrap_err();
            assert!(e.contains(PATH) && e.contains(says), "{text}: {e}");
        }
    }
}
