//! What a report needs counted over each day's sets, counted one day a
//! task in parallel, by the day's own numbers of countries, agents, hours,
//! paths and hosts: the loops over a day's visitors and its (page,
//! visitor) pairs are most of the work of building a report from a state,
//! and days do not depend on each other. The report then adds these
//! counts up in day order, one lookup a name rather than one a visitor.

use rayon::prelude::*;

use crate::aggregate::bytes_map::BytesMap;
use crate::aggregate::PathStats;

use super::model::{Day, Visits};

/// The counts of one day, each indexed as the day's list it counts.
#[derive(Debug, Default)]
pub struct DayCounts {
    /// Page views of the day's visitors.
    pub pageviews: u64,
    /// Per entry of `Day::hours`: visitors with a page view in it.
    pub hour_visitors: Vec<u64>,
    /// Per entry of `Day::countries`: visitors and their page views.
    pub countries: Vec<(u64, u64)>,
    /// Per entry of `Day::agents`: visitors.
    pub agents: Vec<u64>,
    /// Per path number of the day: page views and visitors.
    pub pages: Vec<(u64, u64)>,
    /// Per host number of the day: page views and visitors.
    pub hosts: Vec<(u64, u64)>,
    /// The indices of the visitors with a page view of a layout without
    /// `Accept-Language`.
    pub no_language: Vec<u32>,
}

impl DayCounts {
    pub fn of(day: &Day) -> DayCounts {
        // Counted as the day was read, unless it was written to since.
        let counted = day
            .visitors
            .counts(day.countries.len(), day.agents.len(), day.hours.len());
        let mut hour_visitors = vec![0; day.hours.len()];
        for (n, &visitors) in hour_visitors.iter_mut().zip(&counted.hours) {
            *n = visitors;
        }
        let mut c = DayCounts {
            pageviews: counted.pageviews,
            hour_visitors,
            countries: counted.countries,
            agents: counted.agents,
            pages: vec![(0, 0); day.paths.len()],
            hosts: vec![(0, 0); day.vhosts.len()],
            no_language: counted.no_language,
        };
        // Counted as the day was read, unless it was written to since
        // (a load checked that every pair fits).
        if let Some(pages) = day.page_pairs.per_page(day.paths.len(), day.visitors.len()) {
            c.pages = pages;
        }
        for (&(host, _), &views) in day.vhost_pairs.iter() {
            let row = &mut c.hosts[host as usize];
            row.0 += views;
            row.1 += 1;
        }
        c
    }

    /// The counts of every day, in the order given.
    pub fn of_days(days: &[&Day]) -> Vec<DayCounts> {
        days.par_iter().map(|d| DayCounts::of(d)).collect()
    }
}

/// Visits, bounces and seconds of duration, summed over `sums`.
pub fn visit_totals(sums: &[&Visits]) -> (u64, u64, i64) {
    sums.iter().fold((0, 0, 0), |(v, b, d), s| {
        (v + s.visits, b + s.bounces, d + s.duration_s)
    })
}

/// Path id, visits, bounces.
pub type LandingRow = (u32, u64, u64);
/// Path id, visits.
pub type ExitRow = (u32, u64);

/// The landing rows (path id, visits, bounces) and exit rows (path id,
/// visits) of `sums`, one a path and part, paths looked up in `paths` in
/// parallel. Paths it does not hold are left out (every landing and exit
/// path was hit on a day kept). Each part's rows are looked up as kept:
/// merging the parts by text first would copy and hash every path once
/// more, for sums that come out the same.
pub fn landing_and_exits(
    sums: &[&Visits],
    paths: &BytesMap<PathStats>,
) -> (Vec<LandingRow>, Vec<ExitRow>) {
    let parts: Vec<_> = sums
        .par_iter()
        .map(|s| {
            let landing: Vec<_> = s
                .landing
                .iter()
                .filter_map(|(path, &(n, bounces))| Some((paths.id(path)?, n, bounces)))
                .collect();
            let exits: Vec<_> = s
                .exits
                .iter()
                .filter_map(|(path, &n)| Some((paths.id(path)?, n)))
                .collect();
            (landing, exits)
        })
        .collect();
    let mut landing = Vec::with_capacity(parts.iter().map(|p| p.0.len()).sum());
    let mut exits = Vec::with_capacity(parts.iter().map(|p| p.1.len()).sum());
    for (l, e) in parts {
        landing.extend(l);
        exits.extend(e);
    }
    (landing, exits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::model::DayVisitor;

    #[test]
    fn counts_a_day_by_its_own_numbers() {
        let mut day = Day {
            countries: vec!["fr".into(), "de".into()],
            agents: vec![("desktop".into(), "Firefox".into(), "Linux".into())],
            hours: vec![0, 3600],
            hour_views: vec![0, 0],
            ..Default::default()
        };
        let visitor = |hash, country, hours, pageviews| DayVisitor {
            hash,
            country,
            agent: 0,
            hours,
            pageviews,
            no_language: false,
        };
        // Visitor 0: fr, 3 views in both hours; visitor 1: de, 1 view in
        // the second hour; visitor 2: fr, 2 views in the first.
        day.visitors = vec![
            visitor(1, 0, 0b11, 3),
            visitor(2, 1, 0b10, 1),
            visitor(3, 0, 0b01, 2),
        ]
        .into();
        *day.paths.map().intern(b"/a").1 = Default::default();
        *day.paths.map().intern(b"/b").1 = Default::default();
        let pairs = day.page_pairs.map();
        pairs.insert((0, 0), 2);
        pairs.insert((1, 0), 1);
        pairs.insert((0, 2), 2);
        pairs.insert((1, 1), 1);
        let c = DayCounts::of(&day);
        assert_eq!(c.pageviews, 6);
        assert_eq!(c.countries, [(2, 5), (1, 1)]);
        assert_eq!(c.agents, [3]);
        assert_eq!(c.hour_visitors, [2, 2]);
        // /a: 4 views by visitors 0 and 2; /b: 2 views by 0 and 1.
        assert_eq!(c.pages, [(4, 2), (2, 2)]);
        assert!(c.hosts.is_empty());
    }

    #[test]
    fn visits_of_parts_add_up_by_path_id() {
        let mut paths = BytesMap::<PathStats>::default();
        paths.intern(b"/x");
        paths.intern(b"/");
        let mut a = Visits {
            visits: 2,
            bounces: 1,
            duration_s: 30,
            ..Default::default()
        };
        a.landing.map().insert(b"/".to_vec(), (2, 1));
        a.exits.map().insert(b"/x".to_vec(), 2);
        let mut b = Visits {
            visits: 3,
            duration_s: 12,
            ..Default::default()
        };
        b.landing.map().insert(b"/".to_vec(), (1, 0));
        b.landing.map().insert(b"/x".to_vec(), (2, 0));
        // A path the figures do not hold is left out.
        b.exits.map().insert(b"/gone".to_vec(), 1);
        let parts = [&a, &b, &Visits::default()];
        assert_eq!(visit_totals(&parts), (5, 1, 42));
        let (mut landing, exits) = landing_and_exits(&parts, &paths);
        landing.sort();
        assert_eq!(landing, [(0, 2, 0), (1, 1, 0), (1, 2, 1)]);
        assert_eq!(exits, [(0, 2)]);
    }
}
