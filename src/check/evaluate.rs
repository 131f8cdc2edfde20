//! Judging a check's conditions on the figures of its windows.
//!
//! [`evaluate`] is a function of figures: the current window's, the
//! baseline's, and the names of their routes. What lines they came from,
//! and how those were found, is no concern of it.

use serde::Serialize;

use super::condition::{Condition, Limit, Metric, Op};
use super::figures::{HitRecord, RouteName, Tally, WindowFigures, NO_TIME};
use super::Status;

/// Route verdicts listed in the details.
pub const DETAIL_ROUTES: usize = 5;

/// What is judged, and how.
#[derive(Debug, Clone)]
pub struct Rules {
    pub warn: Vec<Condition>,
    pub crit: Vec<Condition>,
    pub scope: Scope,
    /// Below this many hits, rates and percentiles are not judged.
    pub min_hits: u64,
}

/// Which hits the conditions are judged on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// All of them.
    Site,
    /// Those of the routes `--route GLOB` takes in.
    Route(String),
    /// Each route's on their own; the worst decides. `hits` and
    /// `malformed` are judged on all hits.
    EachRoute,
}

/// A subject's figures as conditions read them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Figures {
    pub hits: u64,
    pub status_4xx: u64,
    pub status_5xx: u64,
    pub rate_4xx: f64,
    pub rate_5xx: f64,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// The window's lines (hits and malformed lines), whatever the
    /// subject: a malformed line has no route.
    pub lines: u64,
    pub malformed: u64,
    pub rate_malformed: f64,
}

impl Figures {
    pub fn of(tally: &Tally, window: &WindowFigures) -> Figures {
        let rate = |part: u64, whole: u64| {
            if whole == 0 {
                0.0
            } else {
                part as f64 / whole as f64
            }
        };
        let ms = |q| tally.latency.quantile(q).map(|us| us as f64 / 1000.0);
        Figures {
            hits: tally.hits,
            status_4xx: tally.status_4xx,
            status_5xx: tally.status_5xx,
            rate_4xx: rate(tally.status_4xx, tally.hits),
            rate_5xx: rate(tally.status_5xx, tally.hits),
            p95_ms: ms(0.95),
            p99_ms: ms(0.99),
            lines: window.lines(),
            malformed: window.malformed,
            rate_malformed: rate(window.malformed, window.lines()),
        }
    }

    /// The figure a condition on `m` reads, in its unit (a fraction, µs,
    /// hits); `None` when there is none (a rate of no hits, a percentile
    /// of no times).
    pub fn value(&self, m: Metric) -> Option<f64> {
        match m {
            Metric::Rate5xx => (self.hits > 0).then_some(self.rate_5xx),
            Metric::Rate4xx => (self.hits > 0).then_some(self.rate_4xx),
            Metric::P95 => self.p95_ms.map(|ms| ms * 1000.0),
            Metric::P99 => self.p99_ms.map(|ms| ms * 1000.0),
            Metric::Hits => Some(self.hits as f64),
            Metric::Malformed => (self.lines > 0).then_some(self.rate_malformed),
        }
    }

    /// What `--min-hits` is compared with for a condition on `m`: hits,
    /// or lines for the malformed rate; `None` for `hits`, always judged.
    fn sample(&self, m: Metric) -> Option<u64> {
        match m {
            Metric::Hits => None,
            Metric::Malformed => Some(self.lines),
            _ => Some(self.hits),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Breached,
    Held,
    /// Under `--min-hits`: `n` hits (lines, for malformed) in the window,
    /// or in the baseline.
    TooFew {
        n: u64,
        baseline: bool,
    },
    /// Why not.
    NotJudged(String),
}

/// One condition, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// `Warning` for `--warn`, `Critical` for `--crit`.
    pub level: Status,
    pub condition: Condition,
    /// The figure and the limit, in the metric's unit.
    pub value: Option<f64>,
    pub limit: Option<f64>,
    pub outcome: Outcome,
    /// With `--each-route`, the route judged (the worst one).
    pub route: Option<RouteName>,
    /// When a breach began: the start of the stretch up to the window's
    /// end over which bad hits most exceeded what the limit allows.
    pub since: Option<i64>,
}

impl Judgement {
    pub fn breached(&self) -> bool {
        self.outcome == Outcome::Breached
    }

    /// How far over the limit: to pick the worst route.
    fn excess(&self) -> f64 {
        match (self.value, self.limit) {
            (Some(v), Some(l)) => match self.condition.op {
                Op::Above => v - l,
                Op::Below => l - v,
            },
            _ => f64::NEG_INFINITY,
        }
    }
}

/// A route in the details: over a limit.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteVerdict {
    pub name: RouteName,
    pub status: Status,
    pub figures: Figures,
    /// The condition it is over, and since when.
    pub condition: Condition,
    pub since: Option<i64>,
    /// Its hits that are bad by that condition (5xx, 4xx or slow ones).
    pub offending: u64,
}

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub status: Status,
    /// The figures judged: the scope's (with `--each-route`, the worst
    /// route's when one is over a limit, else all hits').
    pub figures: Figures,
    /// With `--each-route`, the route `figures` are of.
    pub subject: Option<RouteName>,
    /// All hits of the window.
    pub site: Figures,
    /// The scope's figures over the baseline period.
    pub baseline: Option<Figures>,
    pub judgements: Vec<Judgement>,
    /// The route with the most 5xx hits of the scope, and their number.
    pub mostly: Option<(RouteName, u64)>,
    /// Routes over a limit, the worst first.
    pub routes: Vec<RouteVerdict>,
}

/// Judges `rules` on the current window's figures, and the baseline's if
/// there is one; `names` are the routes both are indexed by.
pub fn evaluate(
    rules: &Rules,
    current: &WindowFigures,
    baseline: Option<&WindowFigures>,
    names: &[RouteName],
) -> Verdict {
    let conditions: Vec<(Status, &Condition)> = (rules.crit.iter())
        .map(|c| (Status::Critical, c))
        .chain(rules.warn.iter().map(|c| (Status::Warning, c)))
        .collect();
    let site = Figures::of(&current.all, current);
    let base_site = baseline.map(|b| Figures::of(&b.all, b));
    let records = current.records.as_deref().unwrap_or_default();
    let mut verdict = match &rules.scope {
        Scope::Site | Scope::Route(_) => {
            let in_scope = |id: u32| names.get(id as usize).is_some_and(|n| n.in_scope);
            let (tally, base) = match rules.scope {
                Scope::Site => (current.all.clone(), baseline.map(|b| b.all.clone())),
                _ => (current.in_scope(names), baseline.map(|b| b.in_scope(names))),
            };
            let figures = Figures::of(&tally, current);
            let base = baseline.zip(base).map(|(b, t)| Figures::of(&t, b));
            let mut judgements: Vec<Judgement> = (conditions.iter())
                .map(|&(level, c)| judge(level, c, &figures, base.as_ref(), rules.min_hits, None))
                .collect();
            for j in &mut judgements {
                j.since = since(j, records, current.window.from, &|r| in_scope(r.route));
            }
            let routes = routes_over(&judgements, current, names, records);
            Verdict {
                status: Status::Ok,
                figures,
                subject: None,
                site,
                baseline: base,
                judgements,
                mostly: mostly(current, names, &in_scope),
                routes,
            }
        }
        Scope::EachRoute => {
            let per_hit: Vec<(Status, &Condition)> = (conditions.iter())
                .filter(|(_, c)| c.metric.per_hit())
                .copied()
                .collect();
            let mut judgements: Vec<Judgement> = (conditions.iter())
                .filter(|(_, c)| !c.metric.per_hit())
                .map(|&(level, c)| judge(level, c, &site, base_site.as_ref(), rules.min_hits, None))
                .collect();
            // Each route with hits, judged on its own.
            let mut judged: Vec<(usize, Vec<Judgement>)> = Vec::new();
            let mut routes = Vec::new();
            for (id, tally) in current
                .routes
                .iter()
                .enumerate()
                .filter(|(_, t)| t.hits > 0)
            {
                let name = &names[id];
                let keep = |r: &HitRecord| r.route as usize == id;
                let figures = Figures::of(tally, current);
                let base =
                    baseline.map(|b| Figures::of(b.route(id).unwrap_or(&Tally::default()), b));
                let mine: Vec<Judgement> = (per_hit.iter())
                    .map(|&(level, c)| {
                        let mut j = judge(
                            level,
                            c,
                            &figures,
                            base.as_ref(),
                            rules.min_hits,
                            Some(name),
                        );
                        j.since = since(&j, records, current.window.from, &keep);
                        j
                    })
                    .collect();
                // Its worst breach: the most severe, the first given.
                let worst = (mine.iter().filter(|j| j.breached())).fold(
                    None,
                    |worst: Option<&Judgement>, j| match worst {
                        Some(w) if w.level >= j.level => Some(w),
                        _ => Some(j),
                    },
                );
                if let Some(j) = worst {
                    routes.push(RouteVerdict {
                        name: name.clone(),
                        status: j.level,
                        figures,
                        condition: j.condition.clone(),
                        since: j.since,
                        offending: offending(j, records, &keep),
                    });
                }
                judged.push((id, mine));
            }
            rank(&mut routes);
            let subject = routes.first().map(|r| (r.name.clone(), r.figures));
            match &subject {
                // The worst route decides: its judgements are the verdict's.
                Some((name, _)) => {
                    let mine = judged.into_iter().find(|(id, _)| &names[*id] == name);
                    judgements.extend(mine.map(|(_, js)| js).unwrap_or_default());
                }
                // None is over a limit: per condition, the route nearest
                // it, or, when no route could be judged, the busiest.
                None => {
                    let busiest = (judged.iter())
                        .enumerate()
                        .max_by_key(|(i, (id, _))| {
                            (current.routes[*id].hits, std::cmp::Reverse(*i))
                        })
                        .map(|(i, _)| i);
                    for (i, &(level, c)) in per_hit.iter().enumerate() {
                        let nearest = (judged.iter())
                            .map(|(_, js)| &js[i])
                            .filter(|j| j.outcome == Outcome::Held)
                            .max_by(|a, b| a.excess().total_cmp(&b.excess()));
                        let shown = nearest.or_else(|| busiest.map(|b| &judged[b].1[i]));
                        judgements.push(shown.cloned().unwrap_or_else(|| Judgement {
                            level,
                            condition: c.clone(),
                            value: None,
                            limit: None,
                            outcome: Outcome::NotJudged("no hits".into()),
                            route: None,
                            since: None,
                        }));
                    }
                }
            }
            let base = match &subject {
                Some((name, _)) => {
                    let id = names.iter().position(|n| n == name).unwrap_or(usize::MAX);
                    baseline.map(|b| Figures::of(b.route(id).unwrap_or(&Tally::default()), b))
                }
                None => base_site,
            };
            routes.truncate(DETAIL_ROUTES);
            Verdict {
                status: Status::Ok,
                figures: subject.as_ref().map_or(site, |s| s.1),
                subject: subject.map(|s| s.0),
                site,
                baseline: base,
                judgements,
                mostly: None,
                routes,
            }
        }
    };
    verdict.status = (verdict.judgements.iter())
        .filter(|j| j.breached())
        .map(|j| j.level)
        .max()
        .unwrap_or(Status::Ok);
    verdict
}

/// Judges one condition on a subject's figures (`base`: over the baseline
/// period).
fn judge(
    level: Status,
    condition: &Condition,
    figures: &Figures,
    base: Option<&Figures>,
    min_hits: u64,
    route: Option<&RouteName>,
) -> Judgement {
    let m = condition.metric;
    let value = figures.value(m);
    let mut limit = None;
    let outcome = (|| {
        if let Some(n) = figures.sample(m).filter(|&n| n < min_hits) {
            return Outcome::TooFew { n, baseline: false };
        }
        limit = match condition.limit {
            Limit::Absolute(l) => Some(l),
            Limit::Baseline(factor) => {
                let Some(base) = base else {
                    return Outcome::NotJudged("no baseline: give --vs".into());
                };
                if let Some(n) = base.sample(m).filter(|&n| n < min_hits) {
                    return Outcome::TooFew { n, baseline: true };
                }
                match base.value(m) {
                    Some(v) => Some(v * factor),
                    None => return Outcome::NotJudged(format!("the baseline has no {}", m.name())),
                }
            }
        };
        match (value, limit) {
            (Some(v), Some(l)) if condition.op.holds(v, l) => Outcome::Breached,
            (Some(_), Some(_)) => Outcome::Held,
            _ if condition.metric.above_share().is_some() => {
                Outcome::NotJudged("no response times".into())
            }
            _ => Outcome::NotJudged("no hits".into()),
        }
    })();
    Judgement {
        level,
        condition: condition.clone(),
        value,
        limit,
        outcome,
        route: route.cloned(),
        since: None,
    }
}

/// Whether a hit is bad by `j` (a 5xx, a 4xx, a time over the limit), or
/// `None` when the hit does not count for it (no time, for a percentile).
fn is_bad(j: &Judgement, r: &HitRecord) -> Option<bool> {
    match j.condition.metric {
        Metric::Rate5xx => Some((500..600).contains(&r.status)),
        Metric::Rate4xx => Some((400..500).contains(&r.status)),
        Metric::P95 | Metric::P99 => {
            let limit = j.limit?;
            (r.response_us != NO_TIME).then_some(r.response_us as f64 > limit)
        }
        Metric::Hits | Metric::Malformed => None,
    }
}

/// When the breach of `j` began, over the hits `keep` takes in: each hit
/// scores its badness less the share of bad hits the limit allows (the
/// rate itself; 5 % over a p95), and the stretch ending at the window's
/// end with the highest score starts at a bad hit: its time. A rate that
/// has been high all along gives the window's first bad hit; one that
/// rose at 03:02 gives 03:02, whatever the errors before. `None` for a
/// condition not breached, or not on a rate or a percentile.
fn since(
    j: &Judgement,
    records: &[HitRecord],
    from: i64,
    keep: &dyn Fn(&HitRecord) -> bool,
) -> Option<i64> {
    if !j.breached() || j.condition.op != Op::Above {
        return None;
    }
    let allowed = match j.condition.metric {
        Metric::Rate5xx | Metric::Rate4xx => j.limit?,
        m => m.above_share()?,
    };
    let mut hits: Vec<(u32, bool)> = records
        .iter()
        .filter(|r| keep(r))
        .filter_map(|r| Some((r.offset, is_bad(j, r)?)))
        .collect();
    // Nearly in time order already; a stable sort keeps the order read.
    hits.sort_by_key(|&(offset, _)| offset);
    let (mut score, mut best, mut at) = (0.0f64, 0.0f64, None);
    for (i, &(_, bad)) in hits.iter().enumerate().rev() {
        score += bad as u8 as f64 - allowed;
        if bad && score >= best && score > 0.0 {
            best = score;
            at = Some(i);
        }
    }
    at.map(|i| from + hits[i].0 as i64)
}

/// The hits `keep` takes in that are bad by `j`.
fn offending(j: &Judgement, records: &[HitRecord], keep: &dyn Fn(&HitRecord) -> bool) -> u64 {
    records
        .iter()
        .filter(|r| keep(r) && is_bad(j, r) == Some(true))
        .count() as u64
}

/// The routes of the scope over a breached limit on their own (a rate or
/// a percentile, held to the scope's limit; `--min-hits` does not apply:
/// these say where the trouble is), the worst first.
fn routes_over(
    judgements: &[Judgement],
    current: &WindowFigures,
    names: &[RouteName],
    records: &[HitRecord],
) -> Vec<RouteVerdict> {
    let mut routes = Vec::new();
    let breached: Vec<&Judgement> = judgements
        .iter()
        .filter(|j| j.breached() && j.condition.metric.per_hit() && j.condition.op == Op::Above)
        .collect();
    if breached.is_empty() {
        return routes;
    }
    for (id, tally) in current.routes.iter().enumerate() {
        let name = &names[id];
        if tally.hits == 0 || !name.in_scope {
            continue;
        }
        let figures = Figures::of(tally, current);
        let keep = |r: &HitRecord| r.route as usize == id;
        // The first breached condition (the most severe) it is over.
        let over = breached.iter().find(|j| {
            let value = figures.value(j.condition.metric);
            matches!((value, j.limit), (Some(v), Some(l)) if j.condition.op.holds(v, l))
        });
        if let Some(j) = over {
            let mine = Judgement {
                value: figures.value(j.condition.metric),
                ..(*j).clone()
            };
            routes.push(RouteVerdict {
                name: name.clone(),
                status: j.level,
                figures,
                condition: j.condition.clone(),
                since: since(&mine, records, current.window.from, &keep),
                offending: offending(&mine, records, &keep),
            });
        }
    }
    rank(&mut routes);
    routes.truncate(DETAIL_ROUTES);
    routes
}

/// The worst first: by status, bad hits, then name.
fn rank(routes: &mut [RouteVerdict]) {
    routes.sort_by(|a, b| {
        (b.status, b.offending)
            .cmp(&(a.status, a.offending))
            .then_with(|| (&a.name.route, &a.name.method).cmp(&(&b.name.route, &b.name.method)))
    });
}

/// The route of the scope with the most 5xx hits.
fn mostly(
    current: &WindowFigures,
    names: &[RouteName],
    in_scope: &dyn Fn(u32) -> bool,
) -> Option<(RouteName, u64)> {
    (current.routes.iter().enumerate())
        .filter(|&(id, t)| t.status_5xx > 0 && in_scope(id as u32))
        .max_by(|(a_id, a), (b_id, b)| {
            let (a_name, b_name) = (&names[*a_id], &names[*b_id]);
            a.status_5xx
                .cmp(&b.status_5xx)
                .then_with(|| (&b_name.route, &b_name.method).cmp(&(&a_name.route, &a_name.method)))
        })
        .map(|(id, t)| (names[id].clone(), t.status_5xx))
}
