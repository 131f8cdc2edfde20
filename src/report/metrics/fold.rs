//! Bounded cardinality: every series is stored by Prometheus for as long
//! as it is retained, so a label whose values come from the log (route,
//! path, virtual host, referrer host, bot) must not take every value a
//! log holds. Each such label keeps its `--top` values with the largest
//! totals, ties to the alphabetically first (the order of the report's
//! tables, SPEC §6), and every other value is added into one series
//! labelled `other` (as prometheus-nginxlog-exporter relabels routes).
//! `--top 0` keeps every value.
//!
//! What holds run by run. Without a state, each file describes the logs
//! it was given and nothing else: the kept values are those of these
//! logs, so the same logs give the same file, and logs that grow keep
//! their set while the ranking at its edge stands. A value that gains on
//! the last kept one can swap places with it from one run to the next:
//! its series then stops, and `other` takes its counts.
//!
//! With a state (values kept by the previous run, fed to [`Fold::new`] as
//! `previous`), a kept value stays while it is still among the first
//! 2 × `--top`: the top `--top` always enter, and a value leaves only
//! when it falls well behind, so series do not come and go with each run
//! around the edge. At most 2 × `--top` values (plus the fixed ones) are
//! then kept. A state keeps running totals per series
//! ([`crate::state::metrics`] says how they move): a value that enters
//! the set starts its series at its total over the days the state holds,
//! `other` keeps what it counted for it, and no counter goes down.

use std::collections::BTreeSet;

use super::label::Labels;
use crate::report::rank::top_rows;

/// The label value that folded values are added into. A log value that
/// reads `other` is added there too: a series may occur once.
pub const OTHER: &str = "other";

/// The values kept for one label.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fold {
    kept: BTreeSet<String>,
    /// `--top 0`: every value is kept.
    all: bool,
}

impl Fold {
    /// The values of `labels` to keep: the `top` with the largest totals,
    /// and, of `previous`, those still among the first 2 × `top`. Values
    /// in `fixed` (`(none)`, the empty virtual host of a layout without
    /// one) are no log text: they are always kept and take no place.
    pub fn new(
        labels: &Labels<'_>,
        top: usize,
        previous: Option<&BTreeSet<String>>,
        fixed: &[&str],
    ) -> Fold {
        if top == 0 {
            return Fold {
                kept: BTreeSet::new(),
                all: true,
            };
        }
        let ranked: Vec<(&str, u64)> = labels.iter().filter(|(l, _)| !fixed.contains(l)).collect();
        let reach = if previous.is_some() { 2 * top } else { top };
        let ranked = top_rows(ranked, reach, |&(label, total)| (total, label));
        let mut kept: BTreeSet<String> = fixed.iter().map(|f| f.to_string()).collect();
        for (rank, (label, _)) in ranked.into_iter().enumerate() {
            if rank < top || previous.is_some_and(|p| p.contains(label)) {
                kept.insert(label.to_owned());
            }
        }
        Fold { kept, all: false }
    }

    /// What `label` is shown as: itself when it is kept, else [`OTHER`].
    pub fn show<'s>(&self, label: &'s str) -> &'s str {
        if self.all || self.kept.contains(label) {
            label
        } else {
            OTHER
        }
    }

    /// The values kept, for the next run's `previous`; empty when every
    /// value is kept.
    pub fn kept(&self) -> &BTreeSet<String> {
        &self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn labels(totals: &[(&'static str, u64)]) -> Labels<'static> {
        let mut l = Labels::default();
        for &(name, n) in totals {
            l.add(Cow::Borrowed(name), n);
        }
        l
    }

    fn shown(fold: &Fold, names: &[&'static str]) -> Vec<&'static str> {
        names.iter().map(|n| fold.show(n)).collect()
    }

    const TOTALS: [(&str, u64); 6] = [
        ("/e", 1),
        ("/b", 5),
        ("/a", 5),
        ("/c", 9),
        ("/d", 2),
        ("/f", 1),
    ];
    const NAMES: [&str; 6] = ["/a", "/b", "/c", "/d", "/e", "/f"];

    #[test]
    fn keeps_the_top_by_total_then_name() {
        let fold = Fold::new(&labels(&TOTALS), 2, None, &[]);
        // /c (9), then /a before /b at 5 each.
        assert_eq!(
            shown(&fold, &NAMES),
            ["/a", "other", "/c", "other", "other", "other"]
        );
        let fold = Fold::new(&labels(&TOTALS), 3, None, &[]);
        assert_eq!(
            shown(&fold, &NAMES),
            ["/a", "/b", "/c", "other", "other", "other"]
        );
    }

    #[test]
    fn top_zero_keeps_all() {
        let fold = Fold::new(&labels(&TOTALS), 0, None, &[]);
        assert_eq!(shown(&fold, &NAMES), NAMES);
        assert!(fold.kept().is_empty());
    }

    #[test]
    fn fixed_values_are_kept_and_take_no_place() {
        let totals = [("(none)", 100), ("/a", 1), ("/b", 2)];
        let fold = Fold::new(&labels(&totals), 1, None, &["(none)", "(internal)"]);
        assert_eq!(
            shown(&fold, &["(none)", "(internal)", "/a", "/b"]),
            ["(none)", "(internal)", "other", "/b"]
        );
    }

    #[test]
    fn a_previously_kept_value_stays_while_in_twice_the_top() {
        // Ranks: /c, /a, /b, /d, /e, /f. The last run kept /d and /f.
        let previous: BTreeSet<String> = ["/d", "/f"].map(String::from).into();
        let fold = Fold::new(&labels(&TOTALS), 2, Some(&previous), &[]);
        // /c and /a enter as the top 2; /d, 4th, is within 2 × 2 and
        // stays; /f, 6th, leaves.
        assert_eq!(
            shown(&fold, &NAMES),
            ["/a", "other", "/c", "/d", "other", "other"]
        );
        let kept: Vec<&str> = fold.kept().iter().map(|s| s.as_str()).collect();
        assert_eq!(kept, ["/a", "/c", "/d"]);
        // Fed its own kept set, the same totals keep the same values.
        let again = Fold::new(&labels(&TOTALS), 2, Some(fold.kept()), &[]);
        assert_eq!(again, fold);
    }

    #[test]
    fn at_most_twice_the_top_with_a_previous_set() {
        let previous: BTreeSet<String> = NAMES.map(String::from).into();
        let fold = Fold::new(&labels(&TOTALS), 2, Some(&previous), &[]);
        assert_eq!(fold.kept().len(), 4);
    }
}
