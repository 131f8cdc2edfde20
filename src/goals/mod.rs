//! Goals and funnels (SPEC §7): what a tracking script's "events" are for
//! (sign-ups, purchases, downloads), read from requests the server logs
//! anyway.
//!
//! The data path: [`define`] checks what the user defined (flags or the
//! [`config`] tables) and compiles the [`pattern`]s into a [`GoalSet`];
//! the scan tests each kept hit that is no self-named bot against it (a
//! [`prefilter`] leaves few globs to test) and
//! records the matches as [`hits`] (only when goals or funnels are given:
//! otherwise nothing here runs); at the end, [`attribute`] gives each goal
//! hit to its visitor and visit and walks the funnels; [`rows`] makes the
//! report sections.
//!
//! A stage beside the visit walk rather than after it: [`aggregate`](crate::aggregate)
//! keeps the goal hits, [`visits`](crate::visits) walks
//! them with the page views and [`report`](crate::report) places the rows.
//! Depends on [`aggregate`](crate::aggregate) for the figures, on
//! [`filter`](crate::filter) for the status ranges a pattern shares with
//! `--status`, on [`enrich`](crate::enrich) for channels, on the visit gap
//! of [`visits`](crate::visits) and the rates of [`report`](crate::report),
//! and on [`error`](crate::error) for what a bad definition ends a run with.

#[path = "../visits/goal_walk.rs"]
pub mod attribute;
pub mod config;
pub mod define;
pub mod hits;
pub mod pattern;
pub mod prefilter;
#[path = "../report/goal_rows.rs"]
pub mod rows;

pub use attribute::GoalFigures;
pub use define::{FunnelDef, GoalDef, GoalSet};
pub use hits::{GoalHit, GoalHits};
