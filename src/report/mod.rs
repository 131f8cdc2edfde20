//! The report: finished, sorted and cut tables built from the merged
//! figures (SPEC §6). Renderers only read it; nothing here prints.
//!
//! [`model`] is the report as renderers see it; [`build`] merges the
//! inputs' figures, has the visits computed and makes every table, with
//! the helpers of `tables.rs` (text, tables keyed by path), `rank.rs`,
//! `routes.rs` and `timeseries.rs`, and, for `--format prometheus`, the
//! series of [`metrics`]; [`incidents`] finds the stretches of time with a
//! 5xx rate well above normal. A new table is a field of the model and a few
//! lines here. Depends on [`scan`](crate::scan) for what each
//! input gave, on [`aggregate`](crate::aggregate) and
//! [`visits`] for the figures, on [`goals`](crate::goals) for the goal and
//! funnel sections, on [`enrich`](crate::enrich) for routes,
//! addresses and the report zone, and on [`text`](crate::text) for log
//! bytes as text.

pub mod goal_rows;
pub mod incidents;
pub mod metrics;
pub mod model;
mod rank;
mod routes;
mod tables;
mod timeseries;

use hashbrown::HashMap;

use crate::aggregate::pageviews::marks::SERVER_ERROR;
use crate::aggregate::Figures;
use crate::enrich::geoip::GeoDb;
use crate::enrich::privacy::{self, Redactor};
use crate::enrich::zone::{Bucket, ReportZone};
use crate::goals::GoalSet;
use crate::scan::{drop_in_background, ScannedInput, MAX_SAMPLES};
use crate::timings;
use crate::visits::{self, VisitOptions};
use metrics::MetricsInput;
use model::{
    BotRow, CampaignRow, ChannelRow, ClientRow, CountryRow, Counts, ExitRow, GeoipInfo, InputRow,
    LandingRow, LanguageRow, MalformedSample, MethodRow, PageRow, Period, ReferrerRow, StatusRow,
    Summary, TermRow, VhostRow,
};
pub use model::{Report, SCHEMA};
pub use rank::top_rows;
use routes::routes;
use tables::{name_visitors, PathTables};
pub use tables::{rate, text};
use timeseries::timeseries;

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
    /// Build the figures of `--format prometheus` (see [`metrics`]).
    pub metrics: bool,
    /// Goals and funnels, when some are given (with `visits` only).
    pub goals: Option<&'a GoalSet>,
}

/// Visit-level figures, clients and the redactor, when they were worked
/// out elsewhere (from a saved state) rather than by walking the page
/// views of the figures.
pub struct GivenVisits {
    pub visits: visits::VisitFigures,
    pub clients: Vec<ClientRow>,
    pub redactor: Redactor,
}

pub fn build(inputs: Vec<ScannedInput>, opts: &ReportOptions<'_>) -> Report {
    let zone = opts.zone.unwrap_or_else(|| {
        let written = inputs.iter().find_map(|i| i.scanned.first_offset);
        written
            .flatten()
            .map_or(ReportZone::UTC, ReportZone::from_offset_seconds)
    });

    // SPEC §5: the languages table exists when the layout logs the header.
    let logs_languages = inputs.iter().any(|i| i.format.logs_accept_language());
    let merging = timings::phase("report: merge of the inputs' figures");
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
            state: None,
        });
        figures.merge(s.figures);
    }
    samples.truncate(MAX_SAMPLES);
    merging.end();
    assemble(rows, samples, figures, zone, opts, logs_languages, None)
}

/// The report of `figures`: visit-level figures walked from its page
/// views, unless `given`.
pub fn assemble(
    rows: Vec<InputRow>,
    samples: Vec<MalformedSample>,
    mut figures: Figures,
    zone: ReportZone,
    opts: &ReportOptions<'_>,
    logs_languages: bool,
    given: Option<GivenVisits>,
) -> Report {
    let (given, given_rest) = match given {
        Some(g) => (Some(g.visits), Some((g.clients, g.redactor))),
        None => (None, None),
    };
    let total = figures.total;
    let period = Period {
        first: figures.first_time.map(|t| zone.format(t)),
        last: figures.last_time.map(|t| zone.format(t)),
    };
    let bucket = match (figures.first_time, figures.last_time) {
        (Some(first), Some(last)) => Bucket::for_period(first, last),
        _ => Bucket::Hour,
    };
    // Incidents come from the slots; the visit walk counts the visits and
    // visitors each reached.
    let finding = timings::phase("report: incidents found");
    let (found, normal_5xx) = incidents::find(&figures);
    finding.end();
    // Visits and the hit-level route table need nothing of each other:
    // one is worked out while the other is.
    let views = std::mem::take(&mut figures.views);
    let (mut v, ((routes, response_time), paths)) = rayon::join(
        || {
            let _walk = timings::phase("visits (wall, beside the path tables)");
            if let Some(given) = given {
                given
            } else if opts.visits {
                visits::compute(
                    &figures,
                    views,
                    &VisitOptions {
                        zone: &zone,
                        bucket,
                        sites: opts.sites,
                        geo: opts.geo,
                        metrics: opts.metrics,
                        goals: opts.goals,
                        tallies: true,
                        incidents: incidents::spans(&found),
                        observer: None,
                    },
                )
            } else {
                visits::VisitFigures::default()
            }
        },
        || {
            let _paths = timings::phase("report: path tables and routes");
            let paths = PathTables::new(&figures, opts.top);
            (routes(paths), paths)
        },
    );
    let tables = timings::phase("report: summary, incidents, clients, goals");
    let visits_with_errors = (v.marked.visits)
        .get(SERVER_ERROR as usize)
        .copied()
        .unwrap_or(0);
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
        visits_with_errors,
        visits_with_errors_rate: rate(visits_with_errors, v.visits),
    };
    let incidents = incidents::rows(
        &figures,
        &found,
        normal_5xx,
        opts.visits.then_some(&v.marked),
        &zone,
    );
    let top = opts.top;
    let (clients_table, redactor) = match given_rest {
        Some((clients, redactor)) => (clients, redactor),
        None => (
            if opts.clients {
                clients(&figures, &v, opts.show_ips, top)
            } else {
                Vec::new()
            },
            Redactor::new(std::mem::take(&mut v.client_ips), opts.show_ips),
        ),
    };
    let (goals, goal_channels, funnels) = match opts.goals {
        Some(set) => {
            let figures = v.goals.take().unwrap_or_default();
            let s = goal_rows::sections(set, &figures, v.visits, &v.channels);
            (Some(s.goals), Some(s.goal_channels), Some(s.funnels))
        }
        None => (None, None, None),
    };
    let languages = logs_languages.then(|| {
        let rows = (v.languages.iter())
            .map(|(language, &visitors)| LanguageRow {
                language: language.clone(),
                visitors,
            })
            .collect();
        top_rows(rows, top, |r| (r.visitors, r.language.clone()))
    });
    tables.end();
    let keyed = timings::phase("report: tables keyed by path (ranked, to text)");
    // The tables keyed by path turn each of tens of thousands of ids into
    // text: side by side, they are not the last thing a run waits for.
    let (mut pages, mut landing_pages, mut exit_pages) = (Vec::new(), Vec::new(), Vec::new());
    let (mut not_found, mut server_errors) = (Vec::new(), Vec::new());
    let mut metrics = None;
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
        if opts.metrics {
            s.spawn(|_| {
                let mut lines = Counts::default();
                for row in &rows {
                    lines.merge(&row.counts);
                }
                let input = MetricsInput {
                    visits: &v,
                    lines,
                    top,
                    redactor: &redactor,
                    previous: None,
                };
                metrics = Some(Box::new(metrics::build(&figures, &input)));
            });
        }
    });
    keyed.end();
    if let (Some(m), Some(g), Some(c), Some(f)) = (&mut metrics, &goals, &goal_channels, &funnels) {
        m.goals = Some(metrics::goals::from_rows(g, c, f));
    }
    let ranking = timings::phase("report: other tables (ranked), redaction");
    let mut report = Report {
        schema: SCHEMA,
        version: env!("CARGO_PKG_VERSION"),
        inputs: rows,
        malformed_samples: samples,
        period,
        summary,
        timeseries: timeseries(&figures, &zone, bucket, &v.buckets),
        incidents,
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
            lookup_errors: v.geoip_lookup_errors,
        }),
        devices: name_visitors(&v.devices, top),
        browsers: name_visitors(&v.browsers, top),
        os: name_visitors(&v.os, top),
        languages,
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
        goals,
        goal_channels,
        funnels,
        zone,
        own_hosts: (v.own_hosts, v.own_hosts_from),
        metrics,
    };
    redact(&mut report, &redactor);
    ranking.end();
    // The tables of the run, a few hundred thousand allocations on the
    // 1 GiB log, took 8 ms to free after the report was done.
    drop_in_background(figures);
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
    for incident in &mut r.incidents {
        incident.routes.iter_mut().for_each(|x| fix(&mut x.route));
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
