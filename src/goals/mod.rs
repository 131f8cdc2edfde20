//! Goals and funnels (SPEC §7): what a tracking script's "events" are for
//! (sign-ups, purchases, downloads), read from requests the server logs
//! anyway.
//!
//! The data path: [`define`] checks what the user defined (flags or the
//! [`config`] tables) and compiles the [`pattern`]s into a [`GoalSet`];
//! the scan tests each kept hit that is no self-named bot against it (a
//! [`prefilter`] leaves few globs to test) and
//! records the matches as [`hits`] (only when goals or funnels are given:
//! otherwise nothing here runs). At the end the visit walk gives each goal
//! hit to its visitor and visit and walks the funnels
//! ([`visits::goal_walk`](crate::visits::goal_walk)), and the report makes
//! their sections ([`report::goal_rows`](crate::report::goal_rows)).
//!
//! Depends on [`aggregate`](crate::aggregate) for the figures, on
//! [`filter`](crate::filter) for the status ranges a pattern shares with
//! `--status`, and on [`error`](crate::error) for what a bad definition ends
//! a run with; the stages after the scan use it, never the other way.

pub mod config;
pub mod define;
pub mod hits;
pub mod pattern;
pub mod prefilter;

pub use define::{FunnelDef, GoalDef, GoalSet};
pub use hits::{GoalHit, GoalHits};
