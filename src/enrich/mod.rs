//! Enrichment: what a raw field of a log line means to the report. Whether
//! a user agent is a bot, and which browser, system and device it names
//! ([`classify`]); which country an address is in ([`geoip`]); which
//! channel, search term and campaign a referrer and landing query are
//! ([`sources`]); which route a path belongs to ([`route`]); which language
//! an `Accept-Language` header prefers ([`language`]); how an address
//! is anonymised ([`privacy`]); which day and hour of the report zone a
//! time falls in ([`zone`]).
//!
//! These are rules applied to single values, consulted by the stages that
//! filter, aggregate, walk visits and build the report. They depend on no
//! other module of the crate but [`text`](crate::text), for bot names as
//! printed.

pub mod classify;
pub mod geoip;
pub mod language;
pub mod privacy;
pub mod route;
pub mod sources;
pub mod zone;
