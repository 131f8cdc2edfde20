//! Judging a check's conditions on the figures of its windows.
//!
//! [`evaluate`] is a function of figures: the current window's, the
//! baseline's, and the names of their routes. What lines they came from,
//! and how those were found, is no concern of it.

use serde::Serialize;

use super::condition::{Condition, Limit, Metric, Op};
use super::figures::{HitRecord, RouteName, Tally, WindowFigures, NO_TIME};
use super::status::Status;

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
    let mut verdict = match rules.scope {
        Scope::EachRoute => each_route(rules, &conditions, current, baseline, names),
        Scope::Site | Scope::Route(_) => as_one(rules, &conditions, current, baseline, names),
    };
    verdict.status = (verdict.judgements.iter())
        .filter(|j| j.breached())
        .map(|j| j.level)
        .max()
        .unwrap_or(Status::Ok);
    verdict
}

/// All hits, or those `--route` takes in, judged as one subject.
fn as_one(
    rules: &Rules,
    conditions: &[(Status, &Condition)],
    current: &WindowFigures,
    baseline: Option<&WindowFigures>,
    names: &[RouteName],
) -> Verdict {
    let site = Figures::of(&current.all, current);
    let records = current.records.as_deref().unwrap_or_default();
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
        j.since = since(j, records, current.base, &|r| in_scope(r.route));
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

/// Each route judged on its own (`hits` and `malformed` on all hits): the
/// worst route is the subject.
fn each_route(
    rules: &Rules,
    conditions: &[(Status, &Condition)],
    current: &WindowFigures,
    baseline: Option<&WindowFigures>,
    names: &[RouteName],
) -> Verdict {
    let site = Figures::of(&current.all, current);
    let base_site = baseline.map(|b| Figures::of(&b.all, b));
    let records = current.records.as_deref().unwrap_or_default();
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
        let base = baseline.map(|b| Figures::of(b.route(id).unwrap_or(&Tally::default()), b));
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
                j.since = since(&j, records, current.base, &keep);
                j
            })
            .collect();
        // Its worst breach: the most severe, the first given.
        let worst =
            (mine.iter().filter(|j| j.breached())).fold(None, |worst: Option<&Judgement>, j| {
                match worst {
                    Some(w) if w.level >= j.level => Some(w),
                    _ => Some(j),
                }
            });
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
                .max_by_key(|(i, (id, _))| (current.routes[*id].hits, std::cmp::Reverse(*i)))
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
                since: since(&mine, records, current.base, &keep),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::figures::{Collector, Window};
    use crate::parse::Format;

    const T0: i64 = 1_714_532_400; // 2024-05-01T03:00:00Z

    fn record(offset: u32, status: u16) -> HitRecord {
        HitRecord {
            offset,
            route: 0,
            response_us: NO_TIME,
            status,
        }
    }

    fn breached(text: &str, limit: f64) -> Judgement {
        Judgement {
            level: Status::Critical,
            condition: Condition::parse(text).unwrap(),
            value: Some(1.0),
            limit: Some(limit),
            outcome: Outcome::Breached,
            route: None,
            since: None,
        }
    }

    #[test]
    fn since_is_where_errors_rose_whatever_came_before() {
        // 100 hits, 2 scattered 5xx (at 10 s and 50 s); then from 100 s on
        // every third hit fails, the first at 100 s.
        let mut records: Vec<HitRecord> = (0..100)
            .map(|i| record(i, if i == 10 || i == 50 { 500 } else { 200 }))
            .collect();
        records.extend((100..200).map(|i| record(i, if i % 3 == 1 { 503 } else { 200 })));
        // Read out of order: the time decides.
        records.swap(120, 130);
        let j = breached("5xx>5%", 0.05);
        assert_eq!(since(&j, &records, T0, &|_| true), Some(T0 + 100));
        // Errors all along at 50 %: the first error of the window.
        let steady: Vec<HitRecord> = (0..100)
            .map(|i| record(i, [200, 500][i as usize % 2]))
            .collect();
        assert_eq!(since(&j, &steady, T0, &|_| true), Some(T0 + 1));
        // Not breached, or no bad hit: no time.
        let held = Judgement {
            outcome: Outcome::Held,
            ..j.clone()
        };
        assert_eq!(since(&held, &records, T0, &|_| true), None);
        let clean: Vec<HitRecord> = (0..10).map(|i| record(i, 200)).collect();
        assert_eq!(since(&j, &clean, T0, &|_| true), None);
    }

    fn collect(lines: &[(i64, u16)], windows: &[Window]) -> Collector {
        let mut c = Collector::new(windows, None);
        for &(t, status) in lines {
            let time = chrono::DateTime::from_timestamp(t, 0).unwrap();
            let line = format!(
                r#"10.0.0.1 - - [{}] "GET /x HTTP/1.1" {status} 5 "-" "UA""#,
                time.format("%d/%b/%Y:%H:%M:%S +0000")
            );
            c.parsed(&Format::Combined.parse(line.as_bytes()).unwrap());
        }
        c
    }

    fn rules(warn: &[&str], crit: &[&str], min_hits: u64) -> Rules {
        let parse = |cs: &[&str]| cs.iter().map(|c| Condition::parse(c).unwrap()).collect();
        Rules {
            warn: parse(warn),
            crit: parse(crit),
            scope: Scope::Site,
            min_hits,
        }
    }

    #[test]
    fn min_hits_and_baselines() {
        let now = Window {
            from: T0,
            until: None,
        };
        let before = Window {
            from: T0 - 3600,
            until: Some(T0 - 3300),
        };
        // The baseline: 100 hits, 1 5xx (1 %). The window: 10 hits, 1 5xx.
        let mut lines: Vec<(i64, u16)> = (0..100)
            .map(|i| (T0 - 3600 + i, if i == 7 { 500 } else { 200 }))
            .collect();
        lines.extend((0..10).map(|i| (T0 + i, if i == 3 { 502 } else { 200 })));
        let c = collect(&lines, &[now, before]);
        let (current, base) = (&c.windows[0], &c.windows[1]);
        // 10 % over 5 %, but 10 hits are under --min-hits 100.
        let v = evaluate(
            &rules(&[], &["5xx>5%"], 100),
            current,
            Some(base),
            &c.routes,
        );
        assert_eq!(v.status, Status::Ok);
        assert_eq!(
            v.judgements[0].outcome,
            Outcome::TooFew {
                n: 10,
                baseline: false
            }
        );
        let v = evaluate(&rules(&[], &["5xx>5%"], 10), current, Some(base), &c.routes);
        assert_eq!(v.status, Status::Critical);
        // 3x the baseline's 1 %: a limit of 3 %.
        let v = evaluate(&rules(&["5xx>3x"], &[], 10), current, Some(base), &c.routes);
        assert_eq!(v.status, Status::Warning);
        assert!((v.judgements[0].limit.unwrap() - 0.03).abs() < 1e-12);
        assert_eq!(v.judgements[0].since, Some(T0 + 3));
        // The baseline itself under --min-hits (the windows swapped):
        // not judged, said so.
        let v = evaluate(&rules(&["5xx>3x"], &[], 11), base, Some(current), &c.routes);
        assert_eq!(
            v.judgements[0].outcome,
            Outcome::TooFew {
                n: 10,
                baseline: true
            }
        );
        // hits is judged whatever --min-hits: 10 < half of 100.
        let v = evaluate(
            &rules(&[], &["hits<0.5x"], 1000),
            current,
            Some(base),
            &c.routes,
        );
        assert_eq!(
            (v.status, v.judgements[0].limit),
            (Status::Critical, Some(50.0))
        );
        // Breaches are the worst level's: both levels breached, CRITICAL.
        let v = evaluate(
            &rules(&["5xx>1%"], &["5xx>5%"], 10),
            current,
            Some(base),
            &c.routes,
        );
        assert_eq!(v.status, Status::Critical);
        assert_eq!(
            v.mostly.as_ref().map(|(r, n)| (r.to_string(), *n)),
            Some(("GET /x".into(), 1))
        );
    }
}
