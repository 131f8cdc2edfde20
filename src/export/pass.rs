//! The second reading of the input: every kept line becomes a row.
//!
//! The input is cut into the same chunks as in the first reading (so that
//! each chunk's candidate page views are found again in the same order,
//! see [`VisitIndex`]), and consecutive chunks into parts of
//! [`PART_CHUNKS`] chunks' bytes, read in parallel. Each part writes its own file for each
//! day it holds, in the input's order, a row group at a time: memory holds
//! the rows of the row groups being filled, never the whole input.

use std::io;
use std::sync::Mutex;

use hashbrown::HashMap;
use indicatif::ProgressBar;
use rayon::prelude::*;

use super::columns::{Column, Flag, Text, TEXT_COLUMNS};
use super::format::{part_writer, Compression, ExportFormat, ROW_GROUP_ROWS};
use super::output::{ExportDir, PartWriter};
use super::recent::{prefetch, Recent, RecentPairs, Seen};
use super::rows::{log_text, Dict, Dicts, RowSources, Rows, NO_VISIT, NULL};
use super::tables::Tables;
use super::visit_index::{holds, span_holding, Visit, VisitIndex};
use super::visitor_id::{hex, VisitorIds};
use crate::aggregate::pageviews::partitions::Partitions;
use crate::aggregate::pageviews::PARTITIONS;
use crate::aggregate::{LineIds, NO_AGENT};
use crate::enrich::classify;
use crate::enrich::privacy::Redactor;
use crate::enrich::sources;
use crate::enrich::zone::{Bucket, ReportZone};
use crate::input::chunk::split_lines_evenly;
use crate::input::lines::Line;
use crate::parse::{Format, Quoted};
use crate::scan::{parse_line, ChunkFacts, ChunkIds, Fact, FactReader, FactSpill, RowFields};

/// How many chunks one part reads (128 MiB with the usual chunks, and so
/// at most that much input in one file of a day): large enough for files
/// of a good size, small enough that two or more cores share the work of a
/// log of a gigabyte. Tests make parts small with tiny chunks.
pub const PART_CHUNKS: usize = 128;

/// Rows buffered by a part, over all its days, before the fullest day is
/// written out early: a log whose lines jump between many days still
/// takes bounded memory.
const MAX_BUFFERED_ROWS: usize = 2 * ROW_GROUP_ROWS;

/// Slots of the tables of recent visitors (see [`RecentPairs`], about 64
/// bytes each), referrers and query strings (see [`Recent`], about 70).
/// With 1,024 slots, one line in eleven of the generated log missed its
/// referrer there (a third as many in a table of 8,192), and went to
/// a table of all of them, out of the processor's cache.
const RECENT_VISITORS: usize = 8192;
const RECENT_REFERRERS: usize = 8192;
const RECENT_QUERIES: usize = 4096;

/// How many lines ahead [`PartRows::prefetch`] asks for a row's data.
const PREFETCH_LINES: usize = 16;

/// Caches of raw text to a value's number are emptied past this size.
const MAX_CACHED: usize = 1 << 18;

/// One input, as the first reading read it.
pub struct PassInput<'a> {
    pub text: &'a [u8],
    pub format: Format,
    /// The run-wide number of its first chunk.
    pub chunk_base: u32,
    /// (chunk index, lines) of each of its chunks.
    pub chunk_lines: &'a [(u32, u64)],
    /// (chunk index, ids of its kept lines) of each of its chunks.
    pub line_ids: &'a [ChunkIds],
    /// Where the facts of each chunk with kept lines are, in chunk order.
    pub facts: &'a [ChunkFacts],
    /// Its number in the `input_file` dictionary.
    pub file: u32,
    /// `text` is a mapping of a file (not memory of the process's own):
    /// each part's pages of it are given back once the part is read (see
    /// [`release`]).
    pub mapped: bool,
}

/// The candidate page views of each partition that come before a chunk.
pub struct Candidates {
    /// Per partition: (chunk, candidates of the partition in chunks before
    /// it) of each chunk with some, in chunk order.
    parts: Vec<Vec<(u32, u32)>>,
    /// Per partition: all its candidates.
    totals: Vec<u32>,
}

impl Candidates {
    /// Counted from the first reading's page views, before the walk.
    pub fn of(views: &Partitions) -> Candidates {
        let mut totals = Vec::new();
        let parts = views
            .parts
            .iter()
            .map(|segments| {
                let mut counts: Vec<(u32, u32)> =
                    segments.iter().map(|s| (s.chunk, s.len() as u32)).collect();
                counts.sort_unstable();
                let mut before = 0;
                for (_, n) in &mut counts {
                    (*n, before) = (before, before + *n);
                }
                totals.push(before);
                counts
            })
            .collect();
        Candidates { parts, totals }
    }

    /// Candidates of `partition` in chunks before `chunk`.
    fn before(&self, partition: usize, chunk: u32) -> u32 {
        let Some(counts) = self.parts.get(partition) else {
            return 0;
        };
        let i = counts.partition_point(|&(c, _)| c < chunk);
        match counts.get(i) {
            Some(&(_, before)) => before,
            None => self.totals[partition],
        }
    }
}

/// What every part reads.
pub struct Context<'a> {
    pub figures: &'a crate::aggregate::Figures,
    pub tables: &'a Tables,
    pub visits: &'a VisitIndex,
    pub candidates: &'a Candidates,
    pub ids: &'a VisitorIds,
    pub redactor: &'a Redactor,
    /// The facts of each kept line, from the first reading.
    pub facts: &'a FactSpill,
    pub zone: ReportZone,
    pub columns: &'static [Column],
    pub show_ips: bool,
    pub format: ExportFormat,
    pub compression: Compression,
    pub dir: &'a ExportDir,
    pub chunk_bytes: usize,
    pub progress: Option<&'a ProgressBar>,
    /// Row buffers of parts that are done, for the next ones: a buffer of
    /// a row group is 15 MB, which the system would otherwise have to map
    /// and zero again for every part and day.
    pub spare_rows: &'a Mutex<Vec<Rows>>,
    pub phases: &'a super::phases::Phases,
}

/// A part of one input: consecutive chunks.
struct Part<'a> {
    number: usize,
    input: &'a PassInput<'a>,
    /// Run-wide number of the first chunk.
    first_chunk: u32,
    /// The input's number of the first chunk.
    first_index: u32,
    chunks: Vec<&'a [u8]>,
    /// Lines of the input before the first chunk.
    lines_before: u64,
}

/// Writes every kept line of `inputs`; the number of rows written.
pub fn write_rows(inputs: &[PassInput<'_>], ctx: &Context<'_>) -> io::Result<u64> {
    let mut parts = Vec::new();
    let part_bytes = ctx.chunk_bytes.saturating_mul(PART_CHUNKS);
    for input in inputs {
        let chunks = split_lines_evenly(input.text, ctx.chunk_bytes);
        let mut lines = input.chunk_lines.iter().map(|&(_, n)| n);
        let (mut start, mut bytes, mut lines_before) = (0, 0, 0u64);
        let mut lines_in_part = 0u64;
        for (i, chunk) in chunks.iter().enumerate() {
            bytes += chunk.len();
            lines_in_part += lines.next().unwrap_or(0);
            if bytes >= part_bytes || i + 1 == chunks.len() {
                parts.push(Part {
                    number: parts.len(),
                    input,
                    first_chunk: input.chunk_base.saturating_add(start as u32),
                    first_index: start as u32,
                    chunks: chunks[start..=i].to_vec(),
                    lines_before,
                });
                lines_before += lines_in_part;
                (start, bytes, lines_in_part) = (i + 1, 0, 0);
            }
        }
    }
    // Each thread takes the next part when it is free (a split of the
    // list in halves gave one thread the parts of the busier days, and
    // the other sat idle at the end); the files are named by part, so
    // the order of work changes no output.
    let rows = parts
        .into_iter()
        .par_bridge()
        .map(|part| {
            let rows = PartRows::new(ctx, &part).read(&part)?;
            if part.input.mapped {
                release(&part.chunks);
            }
            Ok(rows)
        })
        .collect::<io::Result<Vec<u64>>>()?;
    Ok(rows.into_iter().sum())
}

/// Gives back the page tables of the mapped text of `chunks` (consecutive
/// slices of one mapping), which no part reads again. Unmapping a
/// gigabyte's pages at exit took the process about 40 ms on one core while
/// the other sat idle; dropped part by part, the work is shared out while
/// the other parts are read. Only the pages the chunks hold whole are
/// dropped: a page at either end may hold a neighbour's text.
fn release(chunks: &[&[u8]]) {
    #[cfg(unix)]
    {
        let (Some(first), Some(last)) = (chunks.first(), chunks.last()) else {
            return;
        };
        // SAFETY: sysconf has no preconditions.
        let page = match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
            n if n > 0 => n as usize,
            _ => return,
        };
        let start = (first.as_ptr() as usize).next_multiple_of(page);
        let end = (last.as_ptr() as usize + last.len()) / page * page;
        if end > start {
            // SAFETY: [start, end) lies within one read-only mapping of a
            // file that nothing writes through; MADV_DONTNEED drops its
            // page-table entries only, and a later read of any byte in it
            // faults the same bytes in from the file again, so every slice
            // into it stays valid. Failure changes nothing: not checked.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
            }
        }
    }
    #[cfg(not(unix))]
    let _ = chunks;
}

/// The dictionaries a part fills itself: values it works out per row.
#[derive(Default)]
struct PartDicts {
    methods: Dict,
    queries: Dict,
    referrer_hosts: Dict,
    visitor_ids: Dict,
}

/// Each text column's dictionary, and the run's tables the columns that
/// follow from a row's path, agent and entry are read from.
fn dicts<'a>(t: &'a Tables, own: &'a PartDicts) -> Dicts<'a> {
    let mut d = [&t.paths; TEXT_COLUMNS];
    d[Text::ServerAddress as usize] = &t.vhosts;
    d[Text::Method as usize] = &own.methods;
    d[Text::UrlPath as usize] = &t.paths;
    d[Text::UrlQuery as usize] = &own.queries;
    d[Text::Route as usize] = &t.routes;
    d[Text::UserAgent as usize] = &t.agents;
    d[Text::ReferrerHost as usize] = &own.referrer_hosts;
    d[Text::BotName as usize] = &t.bot_names;
    d[Text::Device as usize] = &t.devices;
    d[Text::Browser as usize] = &t.browsers;
    d[Text::Os as usize] = &t.os;
    d[Text::Country as usize] = &t.countries;
    d[Text::VisitorId as usize] = &own.visitor_ids;
    d[Text::Channel as usize] = &t.channels;
    d[Text::SearchTerm as usize] = &t.terms;
    d[Text::UtmSource as usize] = &t.utm_sources;
    d[Text::UtmMedium as usize] = &t.utm_mediums;
    d[Text::UtmCampaign as usize] = &t.utm_campaigns;
    d[Text::InputFile as usize] = &t.input_files;
    d[Text::ClientAddress as usize] = &t.addresses;
    Dicts {
        text: d,
        sources: RowSources {
            paths: &t.path_rows,
            agents: &t.agent_rows,
            entries: &t.entry_rows,
        },
    }
}

/// The rows of one day, and its file once the first row group is out.
struct Day {
    start: i64,
    date: String,
    rows: Rows,
    writer: Option<Box<dyn PartWriter>>,
}

/// The state of one part while it reads its chunks.
struct PartRows<'c> {
    ctx: &'c Context<'c>,
    number: usize,
    file: u32,
    own: PartDicts,
    queries: HashMap<Box<[u8]>, u32>,
    referrers: HashMap<Box<[u8]>, u32>,
    /// Each visitor's keyed hash to its `visitor_id`'s number.
    visitors: HashMap<u64, u32>,
    /// The last method, and its number: a line often has the one before's.
    last_method: (Vec<u8>, u32),
    /// Recent visitors (client id, agent), referrers and query strings.
    seen: RecentPairs<Seen<'c>>,
    recent_referrers: Recent<u32>,
    recent_queries: Recent<u32>,
    last_vhost: u32,
    /// Per partition, the origin of the next candidate page view.
    origins: [u32; PARTITIONS],
    days: Vec<Day>,
    /// The day of the last row: (start, end, index in `days`).
    day: (i64, i64, usize),
    buffered: usize,
    rows: u64,
}

/// Why a line could not be made a row: the first reading did not see it as
/// the second does. Only an input changed in between could cause it.
fn changed(what: &str) -> io::Error {
    io::Error::other(format!(
        "the input changed while it was read ({what} not seen the first time); run the export again"
    ))
}

impl<'c> PartRows<'c> {
    fn new(ctx: &'c Context<'c>, part: &Part<'_>) -> Self {
        let mut origins = [0u32; PARTITIONS];
        for (p, origin) in origins.iter_mut().enumerate() {
            *origin = ctx.candidates.before(p, part.first_chunk);
        }
        PartRows {
            ctx,
            number: part.number,
            file: part.input.file,
            own: PartDicts::default(),
            queries: HashMap::new(),
            referrers: HashMap::new(),
            visitors: HashMap::new(),
            // No method is empty.
            last_method: (Vec::new(), NULL),
            seen: RecentPairs::new(RECENT_VISITORS),
            recent_referrers: Recent::new(RECENT_REFERRERS),
            recent_queries: Recent::new(RECENT_QUERIES),
            last_vhost: u32::MAX,
            origins,
            days: Vec::new(),
            day: (i64::MAX, i64::MIN, 0),
            buffered: 0,
            rows: 0,
        }
    }

    fn read(mut self, part: &Part<'_>) -> io::Result<u64> {
        let format = part.input.format;
        let mut lines_before = part.lines_before;
        let (all_ids, all_facts) = (part.input.line_ids, part.input.facts);
        let mut chunk_lines = part.input.chunk_lines.iter().peekable();
        let mut buf = Vec::new();
        for (k, chunk) in part.chunks.iter().enumerate() {
            let index = part.first_index.saturating_add(k as u32);
            // The ids and facts the first reading kept of this chunk's
            // kept lines.
            let ids = match all_ids.binary_search_by_key(&index, |&(c, _)| c) {
                Ok(i) => &all_ids[i].1[..],
                Err(_) => &[],
            };
            match all_facts.binary_search_by_key(&index, |f| f.chunk) {
                Ok(i) => self.ctx.facts.read(&all_facts[i], &mut buf)?,
                Err(_) => buf.clear(),
            }
            let mut next = 0;
            let mut facts = FactReader::new(&buf, chunk);
            while let Some(fact) = facts.next_fact() {
                let (line, fact) = fact.map_err(|_| changed("a line"))?;
                let line_ids = *ids.get(next).ok_or_else(|| changed("a line"))?;
                if let Some(ahead) = ids.get(next + PREFETCH_LINES) {
                    self.prefetch(ahead);
                }
                next += 1;
                let parsed;
                let fields = match fact {
                    Fact::Fields(fields) => fields,
                    Fact::Reparse(text) => {
                        let line = Line { text, quotes: None };
                        parsed = parse_line(format, line).ok_or_else(|| changed("a line"))?;
                        RowFields::of(&parsed)
                    }
                };
                self.add(&fields, line_ids, lines_before + line)?;
            }
            if next != ids.len() {
                return Err(changed("a line"));
            }
            while let Some(&&(c, n)) = chunk_lines.peek() {
                if c > index {
                    break;
                }
                if c == index {
                    lines_before += n;
                }
                chunk_lines.next();
            }
            if let Some(bar) = self.ctx.progress {
                bar.inc(chunk.len() as u64);
            }
        }
        for i in 0..self.days.len() {
            self.flush(i)?;
        }
        for mut day in std::mem::take(&mut self.days) {
            if let Some(writer) = day.writer {
                (self.ctx.phases).writing(|| writer.finish())?;
            }
            day.rows.clear();
            if let Ok(mut spare) = self.ctx.spare_rows.lock() {
                spare.push(day.rows);
            }
        }
        Ok(self.rows)
    }

    fn spare_rows(&self) -> Rows {
        let spare = self.ctx.spare_rows.lock().ok().and_then(|mut s| s.pop());
        spare.unwrap_or_else(|| Rows::with_capacity(ROW_GROUP_ROWS))
    }

    /// Asks for what the row of a line a few lines ahead will read first:
    /// its visitor's slot among the recent ones and its client's row (read
    /// when the visitor is not there, a load that missed the cache).
    #[inline]
    fn prefetch(&self, ids: &LineIds) {
        let t = self.ctx.tables;
        self.seen
            .prefetch(ids.client, self.agent_index(ids.agent) as u32);
        if let Some(row) = t.client_rows.get(ids.client as usize) {
            prefetch(row);
        }
    }

    /// A line's agent id as an index of the agent rows: the one past the
    /// agents table for a line without an agent.
    #[inline]
    fn agent_index(&self, agent: u32) -> usize {
        match agent {
            NO_AGENT => self.ctx.figures.agents.len(),
            id => id as usize,
        }
    }

    /// The index in `days` of the day (of the report zone) holding `time`.
    fn day_of(&mut self, time: i64) -> usize {
        let (start, end, index) = self.day;
        if (start..end).contains(&time) {
            return index;
        }
        let zone = self.ctx.zone;
        let start = zone.bucket_start(time, Bucket::Day);
        let end = zone.next_bucket(start, Bucket::Day).max(time + 1);
        let index = match self.days.iter().position(|d| d.start == start) {
            Some(i) => i,
            None => {
                self.days.push(Day {
                    start,
                    date: zone.datetime(start).format("%Y-%m-%d").to_string(),
                    rows: Rows {
                        file: self.file,
                        ..self.spare_rows()
                    },
                    writer: None,
                });
                self.days.len() - 1
            }
        };
        self.day = (start, end, index);
        index
    }

    /// One kept line as a row; `ids`: its path, agent and client as the
    /// first reading numbered them.
    fn add(&mut self, line: &RowFields<'_>, ids: LineIds, line_number: u64) -> io::Result<()> {
        let ctx = self.ctx;
        let (f, t) = (ctx.figures, ctx.tables);
        let time = line.time;
        let path_row = *t
            .path_rows
            .get(ids.path as usize)
            .ok_or_else(|| changed("a path"))?;
        let agent_index = self.agent_index(ids.agent);
        let agent = t
            .agent_rows
            .get(agent_index)
            .ok_or_else(|| changed("a user agent"))?;
        let seen = match self.seen.get(ids.client, agent_index as u32) {
            Some(seen) => seen,
            None => {
                let client = *t
                    .client_rows
                    .get(ids.client as usize)
                    .ok_or_else(|| changed("a client"))?;
                let seen = Seen {
                    client,
                    visitor: self.visitor_id(ctx.ids.visitor(client.hash, agent.hash)),
                    // Only hits of visitors that are not bots belong to
                    // visits.
                    visits: if agent.bot {
                        &[]
                    } else {
                        let agent = agent_index as u32;
                        ctx.visits
                            .visits_of(client.partition, client.unified, agent)
                    },
                    held: None,
                };
                self.seen.put(ids.client, agent_index as u32, seen);
                seen
            }
        };
        let client = &seen.client;
        let method = line.method;
        let status = line.status;
        let is_static = path_row.is_static;
        let is_pageview = classify::is_pageview(agent.bot, is_static, method, status);

        // The visit: a page view's own (found by its place among the
        // candidates of its partition), else the one whose span holds the
        // hit; bots have none.
        let mut place = (false, false);
        let visit: Option<&Visit> =
            if classify::is_pageview(agent.word_bot, is_static, method, status) {
                let p = client.partition as usize;
                let origin = self.origins[p];
                self.origins[p] += 1;
                let visit = ctx.visits.page_view(p as u32, origin).map(|v| {
                    place = (v.entry, v.exit);
                    v.visit
                });
                if visit.is_some() {
                    let held = Seen {
                        held: visit,
                        ..seen
                    };
                    self.seen.put(ids.client, agent_index as u32, held);
                }
                visit
            } else if !agent.bot {
                match seen.held {
                    Some(v) if holds(v, time) => Some(v),
                    _ => span_holding(seen.visits, time),
                }
            } else {
                None
            };

        let vhost = match line.vhost {
            Some(v) => {
                let id = f
                    .vhosts
                    .id_after(v, &mut self.last_vhost)
                    .ok_or_else(|| changed("a virtual host"))?;
                t.vhost_text[id as usize]
            }
            None => NULL,
        };
        let method = self.method(method);
        let query = match line.query {
            Some(q) => self.query(q),
            None => NULL,
        };
        let referrer_host = match line.referer {
            Some(raw) => self.referrer_host(raw),
            None => NULL,
        };
        let visitor = seen.visitor;

        let day = self.day_of(time);
        let rows = &mut self.days[day].rows;
        rows.timestamp.push(time.saturating_mul(1_000_000));
        let text = &mut rows.text;
        text[Text::ServerAddress as usize].push(vhost);
        text[Text::Method as usize].push(method);
        text[Text::UrlQuery as usize].push(query);
        text[Text::ReferrerHost as usize].push(referrer_host);
        text[Text::Country as usize].push(client.country);
        text[Text::VisitorId as usize].push(visitor);
        // The columns of the path, the agent and the visit's entry follow
        // from them (see `Derived`).
        rows.path.push(ids.path);
        rows.agent.push(agent_index as u32);
        rows.entry.push(visit.map_or(NULL, |v| v.entry));
        if ctx.show_ips {
            text[Text::ClientAddress as usize].push(client.address);
        }
        rows.status.push(status as i32);
        rows.body_size.push(line.bytes.min(i64::MAX as u64) as i64);
        rows.duration
            .push(line.response_time_us.map_or(f64::NAN, |us| us as f64 / 1e6));
        let flags = &mut rows.flags;
        flags[Flag::Pageview as usize].push(is_pageview);
        flags[Flag::Entry as usize].push(place.0);
        flags[Flag::Exit as usize].push(place.1);
        rows.visit_id.push(visit.map_or(NO_VISIT, |v| v.id));
        rows.input_line.push(line_number as i64);

        self.rows += 1;
        self.buffered += 1;
        if self.days[day].rows.len() >= ROW_GROUP_ROWS {
            self.flush(day)?;
        } else if self.buffered >= MAX_BUFFERED_ROWS {
            let fullest = (0..self.days.len())
                .max_by_key(|&i| self.days[i].rows.len())
                .unwrap_or(day);
            self.flush(fullest)?;
        }
        Ok(())
    }

    /// Writes the rows of day `i` out.
    fn flush(&mut self, i: usize) -> io::Result<()> {
        let day = &mut self.days[i];
        if day.rows.is_empty() {
            return Ok(());
        }
        let writer = match &mut day.writer {
            Some(w) => w,
            None => {
                let ctx = self.ctx;
                let file = ctx
                    .dir
                    .part_file(&day.date, self.number, ctx.format.extension())?;
                day.writer
                    .insert(part_writer(ctx.format, ctx.compression, file, ctx.columns)?)
            }
        };
        let dicts = dicts(self.ctx.tables, &self.own);
        (self.ctx.phases).writing(|| writer.write(&day.rows, &dicts))?;
        self.buffered -= day.rows.len();
        day.rows.clear();
        Ok(())
    }

    fn method(&mut self, method: &[u8]) -> u32 {
        if self.last_method.0 != method || self.last_method.1 == NULL {
            let id = self.own.methods.intern(&log_text(method));
            self.last_method = (method.to_vec(), id);
        }
        self.last_method.1
    }

    fn query(&mut self, raw: &[u8]) -> u32 {
        if let Some(id) = self.recent_queries.get(raw, 0) {
            return id;
        }
        let id = self.query_of(raw);
        self.recent_queries.put(raw, 0, id);
        id
    }

    fn query_of(&mut self, raw: &[u8]) -> u32 {
        if let Some(&id) = self.queries.get(raw) {
            return id;
        }
        let text = super::tables::redact(self.ctx.redactor, &log_text(raw));
        let id = self.own.queries.intern(&text);
        cache(&mut self.queries, raw, id);
        id
    }

    fn referrer_host(&mut self, raw: &[u8]) -> u32 {
        if let Some(id) = self.recent_referrers.get(raw, 0) {
            return id;
        }
        let id = self.referrer_host_of(raw);
        self.recent_referrers.put(raw, 0, id);
        id
    }

    fn referrer_host_of(&mut self, raw: &[u8]) -> u32 {
        if let Some(&id) = self.referrers.get(raw) {
            return id;
        }
        let id = match sources::referrer_host(&Quoted { raw }.text()) {
            Some(host) => self
                .own
                .referrer_hosts
                .intern(&super::tables::redact(self.ctx.redactor, &host)),
            None => NULL,
        };
        cache(&mut self.referrers, raw, id);
        id
    }

    /// The number of a visitor's `visitor_id` in the part's dictionary.
    /// `visitors` is that dictionary's only index, and is never emptied
    /// (the dictionary holds every id anyway): each id goes in once.
    fn visitor_id(&mut self, hash: u64) -> u32 {
        let dict = &mut self.own.visitor_ids;
        *self
            .visitors
            .entry(hash)
            .or_insert_with(|| dict.push_distinct_ascii(&hex(hash)))
    }
}

fn cache(map: &mut HashMap<Box<[u8]>, u32>, raw: &[u8], id: u32) {
    if map.len() >= MAX_CACHED {
        map.clear();
    }
    map.insert(raw.into(), id);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn released_text_reads_the_same_again() {
        // Three pages and a bit of a file, mapped as the export maps its
        // input, cut into chunks that do not start on pages.
        let text: Vec<u8> = (0..3 * 4096 + 100).map(|i| (i % 251) as u8).collect();
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &text).unwrap();
        // SAFETY: the file is the test's own, unlinked: nothing else
        // changes it while it is mapped.
        let map = unsafe { memmap2::Mmap::map(&file) }.unwrap();
        let chunks: Vec<&[u8]> = vec![&map[10..5000], &map[5000..9000], &map[9000..]];
        // Read once, so that there are pages to give back.
        assert_eq!(&map[..], &text[..]);
        release(&chunks);
        assert_eq!(&map[..], &text[..]);
        // A slice taken before is still valid, and so is releasing again.
        assert_eq!(chunks[1], &text[5000..9000]);
        release(&chunks);
        release(&[]);
        assert_eq!(&map[..], &text[..]);
    }
}
