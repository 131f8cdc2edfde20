//! Goals and funnels (SPEC §7): what a tracking script's "events" are for
//! (sign-ups, purchases, downloads), read from requests the server logs
//! anyway.
//!
//! The data path: [`define`] checks what the user defined (flags or the
//! [`config`] tables) and compiles the [`pattern`]s into a [`GoalSet`];
//! the scan tests each kept hit that is no self-named bot against it (a
//! [`prefilter`] leaves few globs to test) and the figures record the
//! matches as [`hits`] (only when goals or funnels are given: otherwise
//! nothing of this runs); at the end, the visit walk gives each goal hit to
//! its visitor and visit and walks the funnels
//! ([`visits::goal_walk`](crate::visits::goal_walk)), and the report makes
//! their sections (`report/goal_rows.rs`).
//!
//! This folder is what defines goals and funnels and what a goal hit is;
//! the stages that count, walk and report them use it. Depends on
//! [`filter`](crate::filter) for the status ranges a pattern shares with
//! `--status`, and on [`error`](crate::error) for what a bad definition
//! ends a run with.

pub mod config;
pub mod define;
pub mod hits;
pub mod pattern;
pub mod prefilter;

pub use define::{FunnelDef, GoalDef, GoalSet};
pub use hits::{GoalHit, GoalHits};
