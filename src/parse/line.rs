//! The line every layout gives: [`LogLine`], its fields borrowed from the
//! log text.

use super::fields::Quoted;
use super::request::Request;
use super::time::LogTime;

/// One parsed line. Fields borrow from the log text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine<'a> {
    /// The virtual host (`%v`), without `:port`, when the layout has one.
    pub vhost: Option<&'a [u8]>,
    /// The `%h` field as written: an address, a name, `-`, empty, or a list.
    pub client: &'a [u8],
    pub user: &'a [u8],
    pub time: LogTime,
    pub request: Request<'a>,
    pub status: u16,
    pub bytes: u64,
    /// As written; [`Quoted::text`] decodes escapes.
    pub referer: Option<Quoted<'a>>,
    pub user_agent: Option<Quoted<'a>>,
    /// How long the server took, in microseconds, for layouts that log it
    /// (`$request_time`, `%D`, `%(L)s`, ...); `None` also for `-`.
    pub response_time_us: Option<u64>,
    /// The `Accept-Language` header as written, for layouts that log it
    /// (`$http_accept_language`, `%{Accept-Language}i`).
    pub accept_language: Option<Quoted<'a>>,
}

/// `host:port` → `host` (Apache writes `%v:%p`).
pub fn strip_port(vhost: &[u8]) -> &[u8] {
    match memchr::memrchr(b':', vhost) {
        Some(colon)
            if colon + 1 < vhost.len()
                && vhost[colon + 1..].iter().all(u8::is_ascii_digit)
                && !vhost[..colon].contains(&b':') =>
        {
            &vhost[..colon]
        }
        _ => vhost,
    }
}
