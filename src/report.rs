//! The report: finished, sorted and cut tables built from the merged
//! figures (SPEC §6). Renderers only read it; nothing here prints.

use std::borrow::Cow;
use std::collections::BTreeMap;

use hashbrown::hash_map::Entry;
use hashbrown::HashMap;
use serde::Serialize;

use crate::aggregate::{Figures, Traffic, SLOT_SECONDS};
use crate::geoip::GeoDb;
use crate::latency::Latency;
use crate::parse::Format;
use crate::privacy::{self, Redactor};
use crate::route::route_of;
use crate::scan::{Counts, Scanned};
use crate::visits::{self, OwnHostsFrom, VisitOptions};
use crate::zone::{Bucket, ReportZone};

pub const SCHEMA: &str = "logstats.report/1";

/// One input, scanned.
pub struct ScannedInput {
    /// The name shown for it: the path as given, or `-` for standard input.
    pub path: String,
    pub format: Format,
    pub scanned: Scanned,
}

pub struct ReportOptions<'a> {
    /// Rows kept per table; 0 keeps all.
    pub top: usize,
    /// `--tz`; `None` takes the offset of the first parsed line.
    pub zone: Option<ReportZone>,
    /// `--site` hosts: the site's own, for referrers (SPEC §4).
    pub sites: &'a [String],
    pub geo: Option<&'a GeoDb>,
    /// Compute visit-level figures (false when only hit-level tables are
    /// printed; the scan then recorded nothing for them).
    pub visits: bool,
    /// `--show-ips`: print client addresses as logged.
    pub show_ips: bool,
    /// Whether hits per client were counted (the clients table).
    pub clients: bool,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub version: &'static str,
    pub inputs: Vec<InputRow>,
    pub malformed_samples: Vec<MalformedSample>,
    pub period: Period,
    pub summary: Summary,
    pub timeseries: Timeseries,
    pub pages: Vec<PageRow>,
    /// Per virtual host, for layouts that log one; empty otherwise.
    pub vhosts: Vec<VhostRow>,
    pub landing_pages: Vec<LandingRow>,
    pub exit_pages: Vec<ExitRow>,
    pub referrers: Vec<ReferrerRow>,
    pub channels: Vec<ChannelRow>,
    pub search_terms: Vec<TermRow>,
    pub campaigns: Vec<CampaignRow>,
    pub countries: Vec<CountryRow>,
    /// The GeoIP database countries were looked up in, or null.
    pub geoip: Option<GeoipInfo>,
    pub devices: Vec<NameVisitors>,
    pub browsers: Vec<NameVisitors>,
    pub os: Vec<NameVisitors>,
    pub bots: Vec<BotRow>,
    /// Hits per client, addresses anonymised unless `--show-ips`.
    pub clients: Vec<ClientRow>,
    pub status_codes: Vec<StatusRow>,
    pub methods: Vec<MethodRow>,
    pub not_found: Vec<PathHits>,
    pub server_errors: Vec<PathHits>,
    pub routes: Vec<RouteRow>,
    /// Null when no kept hit had a time (no predefined layout logs one).
    pub response_time: Option<ResponseTime>,
    /// The zone days, hours and times are given in.
    #[serde(skip)]
    pub zone: ReportZone,
    /// The hosts counted as the site's own, and from which rule.
    #[serde(skip)]
    pub own_hosts: (Vec<String>, OwnHostsFrom),
}

#[derive(Debug, Serialize)]
pub struct InputRow {
    pub path: String,
    pub format: &'static str,
    /// Bytes of log text read (after decompression for gzip input).
    pub bytes: u64,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Serialize)]
pub struct MalformedSample {
    pub path: String,
    pub line: u64,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct Period {
    pub first: Option<String>,
    pub last: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub hits: u64,
    pub pageviews: u64,
    pub visitors: u64,
    pub visits: u64,
    pub bounces: u64,
    pub bounce_rate: f64,
    pub avg_visit_duration_s: f64,
    pub bytes: u64,
    pub bot_hits: u64,
    pub static_hits: u64,
    pub status_4xx: u64,
    pub status_5xx: u64,
    pub error_rate_4xx: f64,
    pub error_rate_5xx: f64,
}

#[derive(Debug, Serialize)]
pub struct Timeseries {
    pub bucket: Bucket,
    pub rows: Vec<TimeRow>,
}

#[derive(Debug, Serialize)]
pub struct TimeRow {
    pub start: String,
    pub hits: u64,
    pub pageviews: u64,
    pub visitors: u64,
    pub bytes: u64,
    pub status_4xx: u64,
    pub status_5xx: u64,
}

#[derive(Debug, Serialize)]
pub struct PageRow {
    pub path: String,
    pub pageviews: u64,
    pub visitors: u64,
}

#[derive(Debug, Serialize)]
pub struct VhostRow {
    pub host: String,
    /// Every kept hit on the host, bots and static files included.
    pub hits: u64,
    pub pageviews: u64,
    pub visitors: u64,
}

#[derive(Debug, Serialize)]
pub struct LandingRow {
    pub path: String,
    pub visits: u64,
    pub bounces: u64,
    pub bounce_rate: f64,
}

#[derive(Debug, Serialize)]
pub struct ExitRow {
    pub path: String,
    pub visits: u64,
}

#[derive(Debug, Serialize)]
pub struct ReferrerRow {
    pub host: String,
    pub visits: u64,
}

#[derive(Debug, Serialize)]
pub struct ChannelRow {
    pub channel: &'static str,
    pub visits: u64,
}

#[derive(Debug, Serialize)]
pub struct TermRow {
    pub term: String,
    pub visits: u64,
}

#[derive(Debug, Serialize)]
pub struct CampaignRow {
    pub source: String,
    pub medium: String,
    pub campaign: String,
    pub visits: u64,
}

#[derive(Debug, Serialize)]
pub struct CountryRow {
    pub country: String,
    pub visitors: u64,
    pub pageviews: u64,
}

#[derive(Debug, Serialize)]
pub struct GeoipInfo {
    pub database: String,
}

#[derive(Debug, Serialize)]
pub struct NameVisitors {
    pub name: String,
    pub visitors: u64,
}

#[derive(Debug, Serialize)]
pub struct BotRow {
    pub name: String,
    pub hits: u64,
}

#[derive(Debug, Serialize)]
pub struct ClientRow {
    pub client: String,
    pub hits: u64,
}

#[derive(Debug, Serialize)]
pub struct StatusRow {
    pub status: u16,
    pub hits: u64,
}

#[derive(Debug, Serialize)]
pub struct MethodRow {
    pub method: String,
    pub hits: u64,
}

#[derive(Debug, Serialize)]
pub struct PathHits {
    pub path: String,
    pub hits: u64,
}

#[derive(Debug, Serialize)]
pub struct RouteRow {
    pub route: String,
    pub hits: u64,
    pub status_5xx: u64,
    pub bytes: u64,
    /// Null when none of the route's hits had a time.
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

/// Nearest-rank percentiles of every kept hit's time (SPEC §6), in ms.
#[derive(Debug, Serialize)]
pub struct ResponseTime {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl ResponseTime {
    fn of(times: &Latency) -> Option<ResponseTime> {
        let at = |q| times.quantile(q).map(ms);
        Some(ResponseTime {
            p50_ms: at(0.5)?,
            p90_ms: at(0.9)?,
            p99_ms: at(0.99)?,
            max_ms: ms(times.max()?),
        })
    }
}

/// µs to ms, keeping every µs: three decimals.
fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// Log text is bytes; reports are text. Invalid UTF-8 is replaced with
/// U+FFFD, the same way every time.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn build(inputs: Vec<ScannedInput>, opts: &ReportOptions<'_>) -> Report {
    let zone = opts.zone.unwrap_or_else(|| {
        let written = inputs.iter().find_map(|i| i.scanned.first_offset);
        written
            .flatten()
            .map_or(ReportZone::UTC, ReportZone::from_offset_seconds)
    });

    let mut figures = Figures::default();
    let mut rows = Vec::with_capacity(inputs.len());
    let mut samples = Vec::new();
    for input in inputs {
        let s = input.scanned;
        for sample in &s.samples {
            samples.push(MalformedSample {
                path: input.path.clone(),
                line: sample.line,
                text: text(&sample.text),
            });
        }
        rows.push(InputRow {
            path: input.path,
            format: input.format.name(),
            bytes: s.bytes,
            counts: s.counts,
        });
        figures.merge(s.figures);
    }
    samples.truncate(crate::scan::MAX_SAMPLES);

    let total = figures.total;
    let period = Period {
        first: figures.first_time.map(|t| zone.format(t)),
        last: figures.last_time.map(|t| zone.format(t)),
    };
    let bucket = match (figures.first_time, figures.last_time) {
        (Some(first), Some(last)) => Bucket::for_period(first, last),
        _ => Bucket::Hour,
    };
    // Visits and the hit-level route table need nothing of each other:
    // one is worked out while the other is.
    let views = std::mem::take(&mut figures.views);
    let (mut v, ((routes, response_time), paths)) = rayon::join(
        || {
            if opts.visits {
                visits::compute(
                    &figures,
                    views,
                    &VisitOptions {
                        zone: &zone,
                        bucket,
                        sites: opts.sites,
                        geo: opts.geo,
                        observer: None,
                    },
                )
            } else {
                visits::VisitFigures::default()
            }
        },
        || {
            let paths = PathTables::new(&figures, opts.top);
            (routes(paths), paths)
        },
    );
    let summary = Summary {
        hits: total.hits,
        pageviews: v.pageviews,
        visitors: v.visitors,
        visits: v.visits,
        bounces: v.bounces,
        bounce_rate: rate(v.bounces, v.visits),
        avg_visit_duration_s: if v.visits == 0 {
            0.0
        } else {
            v.duration_s as f64 / v.visits as f64
        },
        bytes: total.bytes,
        bot_hits: v.bot_hits,
        static_hits: figures.static_hits,
        status_4xx: total.status_4xx,
        status_5xx: total.status_5xx,
        error_rate_4xx: rate(total.status_4xx, total.hits),
        error_rate_5xx: rate(total.status_5xx, total.hits),
    };
    let top = opts.top;
    let clients_table = if opts.clients {
        clients(&figures, &v, opts.show_ips, top)
    } else {
        Vec::new()
    };
    let redactor = Redactor::new(std::mem::take(&mut v.client_ips), opts.show_ips);
    // The tables keyed by path turn each of tens of thousands of ids into
    // text: side by side, they are not the last thing a run waits for.
    let (mut pages, mut landing_pages, mut exit_pages) = (Vec::new(), Vec::new(), Vec::new());
    let (mut not_found, mut server_errors) = (Vec::new(), Vec::new());
    rayon::scope(|s| {
        s.spawn(|_| {
            let counts = v.pages.iter().map(|(&id, &c)| (id, c));
            pages = paths.rows(counts, |path, (pageviews, visitors)| PageRow {
                path,
                pageviews,
                visitors,
            });
        });
        s.spawn(|_| {
            let counts = v.landing.iter().map(|(&id, &c)| (id, c));
            landing_pages = paths.rows(counts, |path, (visits, bounces)| LandingRow {
                path,
                visits,
                bounces,
                bounce_rate: rate(bounces, visits),
            });
        });
        s.spawn(|_| {
            let counts = v.exits.iter().map(|(&id, &n)| (id, (n, 0)));
            exit_pages = paths.rows(counts, |path, (visits, _)| ExitRow { path, visits });
        });
        s.spawn(|_| not_found = paths.counter(|p| p.status_404));
        s.spawn(|_| server_errors = paths.counter(|p| p.status_5xx));
    });
    let mut report = Report {
        schema: SCHEMA,
        version: env!("CARGO_PKG_VERSION"),
        inputs: rows,
        malformed_samples: samples,
        period,
        summary,
        timeseries: timeseries(&figures, &zone, bucket, &v.buckets),
        pages,
        vhosts: vhosts(&figures, &v, top),
        landing_pages,
        exit_pages,
        referrers: top_rows(
            v.referrers
                .iter()
                .map(|(host, &visits)| ReferrerRow {
                    host: host.clone(),
                    visits,
                })
                .collect(),
            top,
            |r| (r.visits, r.host.clone()),
        ),
        channels: top_rows(
            v.channels
                .iter()
                .map(|(c, &visits)| ChannelRow {
                    channel: c.name(),
                    visits,
                })
                .collect(),
            top,
            |r| (r.visits, r.channel),
        ),
        search_terms: top_rows(
            v.search_terms
                .iter()
                .map(|(term, &visits)| TermRow {
                    term: term.clone(),
                    visits,
                })
                .collect(),
            top,
            |r| (r.visits, r.term.clone()),
        ),
        campaigns: top_rows(
            v.campaigns
                .iter()
                .map(|((source, medium, campaign), &visits)| CampaignRow {
                    source: source.clone(),
                    medium: medium.clone(),
                    campaign: campaign.clone(),
                    visits,
                })
                .collect(),
            top,
            |r| {
                (
                    r.visits,
                    (r.source.clone(), r.medium.clone(), r.campaign.clone()),
                )
            },
        ),
        countries: top_rows(
            v.countries
                .iter()
                .map(|(country, &(visitors, pageviews))| CountryRow {
                    country: country.clone(),
                    visitors,
                    pageviews,
                })
                .collect(),
            top,
            |r| (r.visitors, r.country.clone()),
        ),
        geoip: opts.geo.map(|db| GeoipInfo {
            database: db.path().display().to_string(),
        }),
        devices: name_visitors(&v.devices, top),
        browsers: name_visitors(&v.browsers, top),
        os: name_visitors(&v.os, top),
        clients: clients_table,
        bots: top_rows(
            v.bots
                .iter()
                .map(|(name, &hits)| BotRow {
                    name: name.clone(),
                    hits,
                })
                .collect(),
            top,
            |r| (r.hits, r.name.clone()),
        ),
        status_codes: top_rows(
            figures
                .status_codes()
                .map(|(status, hits)| StatusRow { status, hits })
                .collect(),
            top,
            |r| (r.hits, r.status),
        ),
        methods: top_rows(
            figures
                .methods()
                .map(|(m, hits)| MethodRow {
                    method: text(m),
                    hits,
                })
                .collect(),
            top,
            |r| (r.hits, r.method.clone()),
        ),
        not_found,
        server_errors,
        routes,
        response_time,
        zone,
        own_hosts: (v.own_hosts, v.own_hosts_from),
    };
    redact(&mut report, &redactor);
    // The tables of the run, a few hundred thousand allocations on the
    // 1 GiB log, took 8 ms to free after the report was done.
    crate::drop_in_background(figures);
    report
}

/// Hits per client as the report shows it: the address anonymised (unless
/// `show_ips`), so that clients of one network are one row; a client field
/// with no address as written.
fn clients(
    figures: &Figures,
    v: &visits::VisitFigures,
    show_ips: bool,
    top: usize,
) -> Vec<ClientRow> {
    let mut hits: HashMap<String, u64> = HashMap::new();
    for (id, (field, info)) in figures.clients.iter().enumerate() {
        let n = info.hits;
        if n == 0 {
            // A client of page views only, not counted per hit.
            continue;
        }
        let shown = match v.client_ips.get(id).copied().flatten() {
            Some(ip) if show_ips => ip.to_string(),
            Some(ip) => privacy::anonymize(ip).to_string(),
            None => text(field),
        };
        *hits.entry(shown).or_default() += n;
    }
    top_rows(
        hits.into_iter()
            .map(|(client, hits)| ClientRow { client, hits })
            .collect(),
        top,
        |r| (r.hits, r.client.clone()),
    )
}

/// Client addresses out of every text the report took from the log:
/// malformed lines lose every address (their client is unknown), other
/// text the addresses of the run's clients.
fn redact(r: &mut Report, redactor: &Redactor) {
    if redactor.is_off() {
        return;
    }
    let fix = |s: &mut String| *s = redactor.redact(s);
    for sample in &mut r.malformed_samples {
        sample.text = redactor.redact_any(&sample.text);
    }
    r.pages.iter_mut().for_each(|x| fix(&mut x.path));
    r.vhosts.iter_mut().for_each(|x| fix(&mut x.host));
    r.landing_pages.iter_mut().for_each(|x| fix(&mut x.path));
    r.exit_pages.iter_mut().for_each(|x| fix(&mut x.path));
    r.referrers.iter_mut().for_each(|x| fix(&mut x.host));
    r.search_terms.iter_mut().for_each(|x| fix(&mut x.term));
    for c in &mut r.campaigns {
        fix(&mut c.source);
        fix(&mut c.medium);
        fix(&mut c.campaign);
    }
    r.bots.iter_mut().for_each(|x| fix(&mut x.name));
    r.clients.iter_mut().for_each(|x| fix(&mut x.client));
    r.not_found.iter_mut().for_each(|x| fix(&mut x.path));
    r.server_errors.iter_mut().for_each(|x| fix(&mut x.path));
    r.routes.iter_mut().for_each(|x| fix(&mut x.route));
}

/// Rows keyed by bytes of the log, with the keys that print the same
/// made one row. Invalid UTF-8 prints as U+FFFD ([`text`]), so keys that
/// differ only there, or a valid key that reads as another's replaced
/// text, would show twice: their figures are combined by `merge`, under
/// the replaced text. `all_utf8` says that no key holds invalid UTF-8 (the
/// usual case, checked once per table of paths): the rows are then kept
/// as they are, since distinct valid keys print differently and order as
/// their text does. Either way no key is copied but those of the rows a
/// table keeps: turning a million paths into text cost more than the rest
/// of such a report.
fn by_text<'a, V>(
    rows: Vec<(Cow<'a, [u8]>, V)>,
    all_utf8: bool,
    mut merge: impl FnMut(&mut V, V),
) -> Vec<(Cow<'a, [u8]>, V)> {
    if all_utf8 {
        return rows;
    }
    let mut valid = Vec::with_capacity(rows.len());
    let mut replaced: HashMap<String, V> = HashMap::new();
    for (key, value) in rows {
        if std::str::from_utf8(&key).is_ok() {
            valid.push((key, value));
            continue;
        }
        match replaced.entry(text(&key)) {
            Entry::Occupied(mut row) => merge(row.get_mut(), value),
            Entry::Vacant(row) => {
                row.insert(value);
            }
        }
    }
    let mut rows = Vec::with_capacity(valid.len() + replaced.len());
    for (key, value) in valid {
        // Valid UTF-8: the lookup by text is a lookup by these bytes.
        match std::str::from_utf8(&key)
            .ok()
            .and_then(|k| replaced.get_mut(k))
        {
            Some(row) => merge(row, value),
            None => rows.push((key, value)),
        }
    }
    rows.extend(
        replaced
            .into_iter()
            .map(|(key, v)| (Cow::Owned(key.into_bytes()), v)),
    );
    rows
}

fn name_visitors(counts: &std::collections::HashMap<String, u64>, top: usize) -> Vec<NameVisitors> {
    let rows = counts
        .iter()
        .map(|(name, &visitors)| NameVisitors {
            name: name.clone(),
            visitors,
        })
        .collect();
    top_rows(rows, top, |r| (r.visitors, r.name.clone()))
}

pub fn rate(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Sorts by the main figure, descending, then by key, ascending, and keeps
/// the first `top` rows (all when `top` is 0).
pub fn top_rows<T, K: Ord>(
    rows: Vec<T>,
    top: usize,
    figure_and_key: impl Fn(&T) -> (u64, K),
) -> Vec<T> {
    type Ranked<K> = ((std::cmp::Reverse<u64>, K), usize);
    let ranked = |(i, r): (usize, &T)| -> Ranked<K> {
        let (figure, key) = figure_and_key(r);
        ((std::cmp::Reverse(figure), key), i)
    };
    let mut keyed: Vec<Ranked<K>> = if top > 0 && rows.len() > top {
        // The best `top` so far, the worst of them on top of the heap: a
        // row is compared with that one alone, where a selection among
        // all rows compared each several times (a path table can have a
        // million rows, nearly all of one hit, for ten shown).
        let mut best = std::collections::BinaryHeap::with_capacity(top + 1);
        for row in rows.iter().enumerate().map(ranked) {
            if best.len() < top {
                best.push(row);
            } else if best.peek().is_some_and(|worst| row < *worst) {
                best.pop();
                best.push(row);
            }
        }
        best.into_vec()
    } else {
        rows.iter().enumerate().map(ranked).collect()
    };
    keyed.sort_unstable();
    // The kept rows moved out in rank order, the others dropped where
    // they are: no copy of a table of a million rows.
    let mut rank = vec![usize::MAX; rows.len()];
    for (r, &(_, i)) in keyed.iter().enumerate() {
        rank[i] = r;
    }
    let mut kept: Vec<Option<T>> = keyed.iter().map(|_| None).collect();
    for (row, r) in rows.into_iter().zip(rank) {
        if let Some(slot) = kept.get_mut(r) {
            *slot = Some(row);
        }
    }
    kept.into_iter().flatten().collect()
}

/// What every table keyed by path is made from: the run's paths, whether
/// all of them are valid UTF-8 (checked once, see [`by_text`]), and how
/// many rows to keep.
#[derive(Clone, Copy)]
struct PathTables<'a> {
    figures: &'a Figures,
    utf8: bool,
    top: usize,
}

impl<'a> PathTables<'a> {
    fn new(figures: &'a Figures, top: usize) -> Self {
        let utf8 = (figures.paths.iter()).all(|(path, _)| std::str::from_utf8(path).is_ok());
        PathTables { figures, utf8, top }
    }

    /// The top rows of a table keyed by path: counts by path id, added up
    /// by path text (see [`by_text`]), ranked by their first count (then
    /// by path), made rows by `row`.
    fn rows<R>(
        self,
        counts: impl IntoIterator<Item = (u32, (u64, u64))>,
        row: impl Fn(String, (u64, u64)) -> R,
    ) -> Vec<R> {
        let by_path = counts
            .into_iter()
            .map(|(id, c)| (Cow::Borrowed(self.figures.paths.key(id)), c))
            .collect();
        let rows = by_text(by_path, self.utf8, |a, b| {
            a.0 += b.0;
            a.1 += b.1;
        });
        let ranked = top_rows(rows, self.top, |(path, c)| (c.0, path.clone()));
        ranked
            .into_iter()
            .map(|(path, c)| row(text(&path), c))
            .collect()
    }

    /// A table of one per-path counter, rows with a zero count left out.
    fn counter(self, count: impl Fn(&crate::aggregate::PathStats) -> u64) -> Vec<PathHits> {
        // Path ids are the positions in the map's id order.
        let counts = (self.figures.paths.iter().enumerate()).filter_map(|(id, (_, stats))| {
            let n = count(stats);
            (n > 0).then_some((id as u32, (n, 0)))
        });
        self.rows(counts, |path, (hits, _)| PathHits { path, hits })
    }
}

/// Hits per virtual host, with page views and visitor-days from the walk.
/// Hosts that differ only in invalid UTF-8 print the same and are added.
fn vhosts(figures: &Figures, v: &visits::VisitFigures, top: usize) -> Vec<VhostRow> {
    let mut by_text: HashMap<String, (u64, u64, u64)> = HashMap::new();
    for (id, (host, &hits)) in (0u32..).zip(figures.vhosts.iter()) {
        let (pageviews, visitors) = v.vhosts.get(&id).copied().unwrap_or_default();
        let row = by_text.entry(text(host)).or_default();
        row.0 += hits;
        row.1 += pageviews;
        row.2 += visitors;
    }
    let rows = by_text
        .into_iter()
        .map(|(host, (hits, pageviews, visitors))| VhostRow {
            host,
            hits,
            pageviews,
            visitors,
        })
        .collect();
    top_rows(rows, top, |r| (r.hits, r.host.clone()))
}

/// What a route adds up from its paths.
#[derive(Default)]
struct RouteFigures {
    hits: u64,
    status_5xx: u64,
    bytes: u64,
    times: Latency,
}

/// The routes table, and the response times of all hits: both merged from
/// the paths' histograms. Merging histograms into one overall histogram at
/// the end cost 8.8 million instructions on a 100 MB log with a time on
/// each of its 433,709 lines, where a second histogram recording every
/// line cost 16 million, in the hot loop.
fn routes(paths: PathTables<'_>) -> (Vec<RouteRow>, Option<ResponseTime>) {
    let figures = paths.figures;
    // Each path's route, numbered, and the hits of each route: all that
    // ranking needs. The other figures are added up afterwards for the
    // routes kept, so that a log of a million distinct paths (nearly as
    // many routes) costs 12 bytes a route, not a histogram.
    let mut index: HashMap<Cow<[u8]>, u32> = HashMap::with_capacity(figures.paths.len());
    let mut route_of_path: Vec<u32> = Vec::with_capacity(figures.paths.len());
    let mut hits: Vec<u64> = Vec::new();
    for (path, stats) in figures.paths.iter() {
        let next = hits.len() as u32;
        let route = *index.entry(route_of(path)).or_insert(next);
        if route == next {
            hits.push(0);
        }
        hits[route as usize] += stats.hits;
        route_of_path.push(route);
    }
    // A route's text is valid UTF-8 when its path's is: only whole
    // segments, split at `/`, are replaced, and by ASCII. Routes that
    // print the same are one row: `row_of` maps each to the one that
    // stands for them.
    let mut row_of: Vec<u32> = (0..hits.len() as u32).collect();
    let by_route = index
        .into_iter()
        .map(|(route, at)| (route, (hits[at as usize], at)))
        .collect();
    let by_route = by_text(by_route, paths.utf8, |a, b| {
        a.0 += b.0;
        row_of[b.1 as usize] = a.1;
    });
    let ranked = top_rows(by_route, paths.top, |(route, (hits, _))| {
        (*hits, route.clone())
    });
    let mut rank = vec![u32::MAX; row_of.len()];
    for (i, (_, (_, route))) in ranked.iter().enumerate() {
        rank[*route as usize] = i as u32;
    }
    let mut kept: Vec<RouteFigures> = ranked.iter().map(|_| RouteFigures::default()).collect();
    let mut all = Latency::default();
    for ((_, stats), &route) in figures.paths.iter().zip(&route_of_path) {
        if let Some(times) = &stats.latency {
            all.merge(times);
        }
        let Some(r) = kept.get_mut(rank[row_of[route as usize] as usize] as usize) else {
            continue;
        };
        r.hits += stats.hits;
        r.status_5xx += stats.status_5xx;
        r.bytes += stats.bytes;
        if let Some(times) = &stats.latency {
            r.times.merge(times);
        }
    }
    // Percentiles only for the rows that are printed.
    let rows = ranked
        .into_iter()
        .zip(kept)
        .map(|((route, _), r)| RouteRow {
            route: text(&route),
            hits: r.hits,
            status_5xx: r.status_5xx,
            bytes: r.bytes,
            p50_ms: r.times.quantile(0.5).map(ms),
            p95_ms: r.times.quantile(0.95).map(ms),
        })
        .collect();
    (rows, ResponseTime::of(&all))
}

/// A time series lists every bucket from the first to the last, empty ones
/// included, so that a chart of it has an even time axis, unless that
/// would make more rows than this (27 years of days): a log with a wrong
/// clock (a line of year 1 beside this year's) then lists only the buckets
/// with traffic, instead of a million empty rows.
pub const MAX_FILLED_BUCKETS: i64 = 10_000;

/// Folds the UTC slots with traffic into hours or days of the report zone.
/// `visits` holds page views and visitors per bucket start.
fn timeseries(
    figures: &Figures,
    zone: &ReportZone,
    bucket: Bucket,
    visits: &std::collections::HashMap<i64, (u64, u64)>,
) -> Timeseries {
    let (Some(first), Some(last)) = (figures.first_time, figures.last_time) else {
        return Timeseries {
            bucket,
            rows: Vec::new(),
        };
    };
    let mut buckets: BTreeMap<i64, Traffic> = BTreeMap::new();
    for (slot, traffic) in figures.slots() {
        buckets
            .entry(zone.bucket_start(slot * SLOT_SECONDS, bucket))
            .or_default()
            .merge(&traffic);
    }
    if (last - first) / bucket.seconds() < MAX_FILLED_BUCKETS {
        let (mut start, end) = (
            zone.bucket_start(first, bucket),
            zone.bucket_start(last, bucket),
        );
        while start < end {
            buckets.entry(start).or_default();
            start = zone.next_bucket(start, bucket);
        }
    }
    let rows = buckets
        .into_iter()
        .map(|(start, t)| {
            let (pageviews, visitors) = visits.get(&start).copied().unwrap_or_default();
            TimeRow {
                start: zone.format(start),
                hits: t.hits,
                pageviews,
                visitors,
                bytes: t.bytes,
                status_4xx: t.status_4xx,
                status_5xx: t.status_5xx,
            }
        })
        .collect();
    Timeseries { bucket, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_rows_sorts_by_figure_then_key_and_cuts() {
        let rows = vec![("b", 2), ("a", 2), ("c", 5), ("d", 1)];
        let sorted = top_rows(rows.clone(), 0, |r| (r.1, r.0));
        assert_eq!(sorted, vec![("c", 5), ("a", 2), ("b", 2), ("d", 1)]);
        assert_eq!(
            top_rows(rows.clone(), 2, |r| (r.1, r.0)),
            vec![("c", 5), ("a", 2)]
        );
        assert_eq!(
            top_rows(rows.clone(), 3, |r| (r.1, r.0)),
            vec![("c", 5), ("a", 2), ("b", 2)]
        );
        assert_eq!(top_rows(rows.clone(), 4, |r| (r.1, r.0)).len(), 4);
        assert_eq!(top_rows(rows, 9, |r| (r.1, r.0)).len(), 4);
    }

    #[test]
    fn the_top_of_many_rows_is_the_start_of_all_of_them_sorted() {
        // Many ties on the figure, as in a table of paths of one hit each,
        // and keys in no order.
        let mut x = 12345u64;
        let rows: Vec<(String, u64)> = (0..3000)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (format!("/p/{}", x >> 40), [1, 1, 1, 2, 7][i % 5])
            })
            .collect();
        let all = top_rows(rows.clone(), 0, |r| (r.1, r.0.clone()));
        assert!(all
            .windows(2)
            .all(|w| (w[1].1, &w[0].0) <= (w[0].1, &w[1].0)));
        for top in [1, 10, 599, 600, 601, 2999, 3000] {
            let best = top_rows(rows.clone(), top, |r| (r.1, r.0.clone()));
            assert_eq!(best, all[..top], "top {top}");
        }
    }

    #[test]
    fn rates() {
        assert_eq!(rate(1, 4), 0.25);
        assert_eq!(rate(0, 0), 0.0);
    }
}
