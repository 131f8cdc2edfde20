//! The walk: one visitor's page views, in time order, cut into visits and
//! visitor-days, and counted per path, host, language, bucket, country,
//! agent and entry; goal hits met on the way are given to their visits.

use super::calendar::Calendar;
use super::gap::{continues_visit, visit_spans};
use super::goal_walk::VisitTally;
use super::marks::{MarkTally, VisitMarks};
use super::order::WalkView;
use crate::aggregate::pageviews::marks::Mark;
use crate::aggregate::pageviews::NO_VHOST;

/// The paths a visitor viewed on one day. A person views a few: a vector
/// beats a hash set there. A scraper with a browser's user agent can view
/// tens of thousands, so past a few dozen it becomes a set, to stay linear.
#[derive(Default)]
pub(super) struct SmallSet {
    few: Vec<u32>,
    many: hashbrown::HashSet<u32>,
}

impl SmallSet {
    const FEW: usize = 32;

    /// Whether `x` is new.
    fn insert(&mut self, x: u32) -> bool {
        if self.many.is_empty() {
            if self.few.contains(&x) {
                return false;
            }
            if self.few.len() < Self::FEW {
                self.few.push(x);
                return true;
            }
            self.many.extend(self.few.drain(..));
        }
        self.many.insert(x)
    }

    fn clear(&mut self) {
        self.few.clear();
        self.many.clear();
    }
}

/// Page views and distinct visitor-days of a virtual host (or of a
/// language).
#[derive(Default, Clone, Copy)]
pub(super) struct HostTally {
    pub(super) pageviews: u64,
    pub(super) visitors: u64,
    /// The visitor-day (numbered as [`Tally::visitors`] counts them) that
    /// last counted here; 0 for none, as numbering starts at 1.
    counted_visitor_day: u64,
}

impl HostTally {
    /// A page view of the visitor-day numbered `visitor_day`.
    fn count(&mut self, visitor_day: u64) {
        self.pageviews += 1;
        // `Tally::visitors` numbers the current (visitor, day): a host
        // counts it once, with no set of hosts per day.
        if self.counted_visitor_day != visitor_day {
            self.counted_visitor_day = visitor_day;
            self.visitors += 1;
        }
    }
}

/// Counters of the walk, indexed by the ids of what they count.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) pageviews: u64,
    pub(super) visitors: u64,
    pub(super) visits: u64,
    pub(super) bounces: u64,
    pub(super) duration_s: i64,
    /// Per path id: page views, distinct visitor-days.
    pub(super) pages: Vec<(u64, u64)>,
    /// Per path id: visits landing there, and bounces.
    pub(super) landing: Vec<(u64, u64)>,
    pub(super) exits: Vec<u64>,
    /// Per vhost id.
    pub(super) vhosts: Vec<HostTally>,
    /// Per bucket number: page views, distinct visitors.
    pub(super) buckets: Vec<(u64, u64)>,
    /// Per country id: visitor-days, page views.
    pub(super) countries: Vec<(u64, u64)>,
    /// Per agent index: visitor-days.
    pub(super) agent_days: Vec<u64>,
    /// Per language number: visitor-days (and page views).
    pub(super) languages: Vec<HostTally>,
    /// Per entry id (referrer, query): page views that are not the first
    /// of their visit.
    pub(super) later_entries: Vec<u64>,
    /// Per entry id: visits it began.
    pub(super) entry_visits: Vec<u64>,
    /// Per entry id: page views of the visits it began; empty unless
    /// metrics are asked for.
    pub(super) visit_pageviews: Vec<u64>,
    /// The paths of the current visitor-day, kept here so that its memory
    /// serves every visitor.
    pub(super) pages_today: SmallSet,
    /// Goal conversions and funnel steps, when goals are given.
    pub(super) goals: VisitTally,
    /// Marked hits given to visits.
    pub(super) marks: MarkTally,
    /// Only `entry_visits` and `later_entries` are counted (see
    /// [`VisitOptions::tallies`](super::VisitOptions::tallies)).
    pub(super) entries_only: bool,
}

/// Adds `b` into `a`, element by element.
fn add_all<T: Copy>(a: &mut [T], b: &[T], add: impl Fn(&mut T, T)) {
    for (x, &y) in a.iter_mut().zip(b) {
        add(x, y);
    }
}

fn add_pair(a: &mut (u64, u64), b: (u64, u64)) {
    a.0 += b.0;
    a.1 += b.1;
}

impl Tally {
    /// Tallies of disjoint sets of visitors, summed.
    pub(super) fn merge(mut self, o: Tally) -> Tally {
        let add = |a: &mut u64, b: u64| *a += b;
        self.pageviews += o.pageviews;
        self.visitors += o.visitors;
        self.visits += o.visits;
        self.bounces += o.bounces;
        self.duration_s += o.duration_s;
        add_all(&mut self.pages, &o.pages, add_pair);
        add_all(&mut self.landing, &o.landing, add_pair);
        add_all(&mut self.exits, &o.exits, add);
        let add_host = |a: &mut HostTally, b: HostTally| {
            a.pageviews += b.pageviews;
            a.visitors += b.visitors;
        };
        add_all(&mut self.vhosts, &o.vhosts, add_host);
        add_all(&mut self.languages, &o.languages, add_host);
        self.goals = std::mem::take(&mut self.goals).merge(o.goals);
        add_all(&mut self.buckets, &o.buckets, add_pair);
        add_all(&mut self.countries, &o.countries, add_pair);
        add_all(&mut self.agent_days, &o.agent_days, add);
        add_all(&mut self.later_entries, &o.later_entries, add);
        add_all(&mut self.entry_visits, &o.entry_visits, add);
        add_all(&mut self.visit_pageviews, &o.visit_pageviews, add);
        self.marks = self.marks.merge(&o.marks);
        self
    }

    /// One visitor's page views, in time order: visits, visitor-days, pages.
    /// `vhosts` and `languages` are those of `views`, or empty for a
    /// layout without; `marks` are the visitor's marked hits, in time order.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn walk_visitor(
        &mut self,
        views: &[WalkView],
        vhosts: &[u32],
        languages: &[u32],
        marks: &[Mark],
        calendar: &Calendar,
        country: u32,
        agent: u32,
    ) {
        if self.entries_only {
            self.walk_entries(views);
            return;
        }
        let mut day = None;
        let mut bucket = None;
        let mut pages_today = std::mem::take(&mut self.pages_today);
        let mut visit_start = 0;
        let mut marks = VisitMarks::new(marks);
        self.pageviews += views.len() as u64;
        for (i, v) in views.iter().enumerate() {
            let (this_day, this_bucket) = calendar.at(v.time);
            if day != Some(this_day) {
                day = Some(this_day);
                pages_today.clear();
                self.visitors += 1;
                self.countries[country as usize].0 += 1;
                self.agent_days[agent as usize] += 1;
            }
            let bucket_counts = &mut self.buckets[this_bucket as usize];
            bucket_counts.0 += 1;
            if bucket != Some(this_bucket) {
                bucket = Some(this_bucket);
                bucket_counts.1 += 1;
            }
            let page = &mut self.pages[v.path as usize];
            page.0 += 1;
            if pages_today.insert(v.path) {
                page.1 += 1;
            }
            if let Some(&vhost) = vhosts.get(i).filter(|&&h| h != NO_VHOST) {
                self.vhosts[vhost as usize].count(self.visitors);
            }
            if let Some(&language) = languages.get(i) {
                self.languages[language as usize].count(self.visitors);
            }
            self.countries[country as usize].1 += 1;

            if i > visit_start && !continues_visit(views[i - 1].time, v.time) {
                self.end_visit(&views[visit_start..i], &mut marks);
                visit_start = i;
            }
            if i > visit_start {
                self.later_entries[v.entry as usize] += 1;
            }
        }
        self.end_visit(&views[visit_start..], &mut marks);
        self.pages_today = pages_today;
    }

    /// [`walk_visitor`](Self::walk_visitor) counting only the visits each
    /// entry began and the page views after a visit's first, split into
    /// visits alike.
    fn walk_entries(&mut self, views: &[WalkView]) {
        for visit in visit_spans(views, |v| v.time) {
            let (first, later) = (&views[visit.start], &views[visit.start + 1..visit.end]);
            self.entry_visits[first.entry as usize] += 1;
            for v in later {
                self.later_entries[v.entry as usize] += 1;
            }
        }
    }

    fn end_visit(&mut self, visit: &[WalkView], marks: &mut VisitMarks<'_>) {
        let (Some(first), Some(last)) = (visit.first(), visit.last()) else {
            return;
        };
        self.marks.visit(marks.in_visit(first.time, last.time));
        let bounce = visit.len() == 1;
        self.visits += 1;
        self.bounces += bounce as u64;
        self.duration_s += last.time - first.time;
        let landing = &mut self.landing[first.path as usize];
        landing.0 += 1;
        landing.1 += bounce as u64;
        self.exits[last.path as usize] += 1;
        self.entry_visits[first.entry as usize] += 1;
        if let Some(views) = self.visit_pageviews.get_mut(first.entry as usize) {
            *views += visit.len() as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_set_switches_to_a_set_and_stays_exact() {
        let mut s = SmallSet::default();
        for round in 0..2 {
            for x in 0..100 {
                assert_eq!(s.insert(x), round == 0, "{x}");
            }
        }
        s.clear();
        assert!(s.insert(7));
    }
}
