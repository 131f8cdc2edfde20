//! A saved state (`logstats report FILES --state PATH`): the figures of
//! every line read so far, kept between runs, so that each run reads only
//! what was added to its inputs and still reports on everything, exactly
//! as one run over all those lines would (byte-identical JSON but for
//! `inputs`, and, after a rotation, the name of the file a malformed
//! sample was found in: the name it had when it was read).
//!
//! # What is kept, and why it is exact
//!
//! Everything is kept **per day of the report zone** (the zone is decided
//! on the first run and stored), so `--keep-days N` drops whole days:
//!
//! - **Hit-level figures are sums**, and sums of disjoint sets of lines
//!   add up to the figures of their union: traffic per 15-minute slot,
//!   hits per status, method, path (with bytes, 404s, 5xx and the
//!   mergeable latency histogram of [`crate::aggregate::latency`], so percentiles
//!   merge exactly as across threads), static hits, hits per bot name
//!   (agents are classified as lines are absorbed), per virtual host,
//!   and, with `--clients`, per client as the table shows it.
//! - **Visitor-level figures need distinct (visitor, day) pairs**, and a
//!   day's pairs are kept as a set: each visitor of the day (a 128-bit
//!   SipHash, keyed by a random key of the state, of the client address,
//!   or of the client field when it holds none, and the user agent: no
//!   address is stored), its country and device/browser/OS (looked up as
//!   it is absorbed), the hours it viewed pages in and its page views,
//!   and the distinct (path, visitor) and (vhost, visitor) pairs with
//!   their page views. Visitors, page visitors, host visitors, hourly or
//!   daily visitors, countries and devices are then counts of these sets,
//!   whatever run each page view came in. The addresses of the day's
//!   clients are kept as keyed hashes too, so that an address inside a
//!   path or referrer is still recognised and anonymised.
//! - **Visits** need a visitor's page views in time order. A visit is
//!   closed once no later page view can touch it: with `newest` the
//!   latest time of any line absorbed, the next lines are expected at
//!   `newest - 30 min` or later (30 minutes of disorder, as servers that
//!   log at the end of a request produce), and a page view at t reaches a
//!   visit only if the visit's last view is at t - 30 min or later; so
//!   visits whose last view is before `newest - 60 min` are closed. A
//!   closed visit is folded into the sums of the day it began: visits,
//!   bounces, duration, landing and exit path, its entry (referrer as
//!   logged and landing query) and, per referrer host, its page views
//!   after the first. Visits still open keep their page views (time,
//!   path, referrer, query), and are walked with the next run's; but the
//!   views in the middle of a long open visit that are older than
//!   `newest - 60 min` can no longer move its start, end or breaks, and
//!   are folded into its first view (a count, the time of the last, and
//!   their referrer hosts): a visit that never pauses keeps about its
//!   first and last hour of page views, not all of them.
//! - **Languages** (SPEC §5): the day's (language, visitor) pairs, and
//!   which visitors had a page view of a layout without the header (an
//!   unknown language once some page view had one).
//! - **Server errors and goal hits** belong to visits without being page
//!   views: see [`marks`]. The day keeps the 5xx cells incidents are
//!   named from, the (visitor, slot) pairs and the slots of each closed
//!   visit's 5xx (incidents are found when the report is built), goal
//!   hits and goal visitors, and each closed visit's conversions and
//!   funnel steps; open visits carry their visitor's marked hits.
//! - **Sources** depend on the site's own hosts, which may be inferred
//!   from the whole log (SPEC §4): entries are kept as text with their
//!   visit counts and page views, and the counts of later page views per
//!   referrer host, so that channels, referrers, search terms, campaigns
//!   and page views by referrer and by channel are worked out when the
//!   report is built, from the own hosts of everything kept.
//!
//! **Late lines.** A page view older than `newest - 30 min` at the end of
//! the previous run is counted in every hit-level figure and in its day's
//! visitor sets like any other, and walked with its visitor's open page
//! views; but visits the state has closed are never reopened, so where
//! one run over all lines would have joined it to a closed visit, it
//! starts a visit of its own (or joins an open one within 30 minutes).
//! A late server error or goal hit joins an open visit whose span holds
//! it, or none.
//!
//! **Ties.** Page views of one visitor at the same second keep input
//! order: earlier runs first, and within a run, inputs continued from an
//! earlier run first (older content), then new inputs as named.
//!
//! **Days dropped** by `--keep-days N` (the last N days up to the day of
//! `newest`) take all their figures with them, and the visits that began
//! on them.
//!
//! **Settled days** (those before the day before the newest line's) are
//! also kept summed, as one block, which a run reads instead of them (see
//! [`settled`] and [`summed`]); the days stay, so that the block can be
//! made again whenever one of them changes or is dropped.
//!
//! # Inputs
//!
//! See [`cursor`]: inputs are recognised by a fingerprint of their first
//! bytes; each has a cursor (bytes counted, whether a compressed one was
//! read to its end). Renamed: continues; renamed and compressed: skipped
//! once read to its end (read from the cursor otherwise); a new file, or
//! one truncated in place (copytruncate) and written anew: new. A cursor
//! whose file is gone or replaced before its end was read gives a
//! warning naming it and the bytes never read. A last line without its
//! newline is left for the next run.
//!
//! Layouts: a continued input keeps the layout it was read with. A new
//! input is detected (or takes `--log-format`) as in one run, but once the
//! state has counted lines, a given layout is not checked again against
//! a new file's first lines, and a new file whose first lines fit no
//! layout (a rotated log may start with one malformed line) takes the
//! layout of the input read last, instead of stopping the run.
//!
//! # Safety
//!
//! See [`file`]: versioned, checksummed, written atomically, locked.
//! The settings that change figures are stored ([`settings`]); a run with
//! other ones is refused.
//!
//! # Library use
//!
//! [`run`] is the whole `report --state` run. Its steps are public for
//! other commands that keep a state: [`follow`] (lock and load, find each
//! input's cursor, move it on), [`State::absorb`], [`State::save`],
//! [`State::report`]. `logstats check --state` follows its inputs the same
//! way and keeps a state of its own (see [`crate::check`]).

pub mod absorb;
pub mod build;
pub mod cursor;
pub mod day_counts;
pub mod day_map;
pub mod day_visitors;
pub mod days;
pub mod entries;
pub mod file;
pub mod follow;
pub mod held_series;
pub mod lazy;
pub mod marks;
pub mod metrics;
pub mod model;
pub mod page_pairs;
pub mod referrers;
pub mod run;
pub mod saved;
pub mod settings;
pub mod settled;
pub mod show;
pub mod summed;

pub use run::{run, StateOptions};
pub use saved::{SavedSample, State};
