//! What is counted per key: traffic (hits, bytes, error statuses), the
//! figures of a path, the hits of a user agent, and the methods a server
//! nearly always sees.

use super::latency::Latency;

/// Hits, bytes and hits per status class: the figures a summary and a
/// time bucket share. 2xx and 3xx are for charts of the time series (the
/// HTML report stacks the four classes); the JSON shows 4xx and 5xx only.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Traffic {
    pub hits: u64,
    pub bytes: u64,
    pub status_2xx: u64,
    pub status_3xx: u64,
    pub status_4xx: u64,
    pub status_5xx: u64,
}

impl Traffic {
    pub(super) fn add(&mut self, status: u16, bytes: u64) {
        self.hits += 1;
        self.bytes += bytes;
        self.status_2xx += (200..300).contains(&status) as u64;
        self.status_3xx += (300..400).contains(&status) as u64;
        self.status_4xx += (400..500).contains(&status) as u64;
        self.status_5xx += (500..600).contains(&status) as u64;
    }

    pub fn merge(&mut self, other: &Traffic) {
        self.hits += other.hits;
        self.bytes += other.bytes;
        self.status_2xx += other.status_2xx;
        self.status_3xx += other.status_3xx;
        self.status_4xx += other.status_4xx;
        self.status_5xx += other.status_5xx;
    }
}

/// What is counted per distinct path. `not_found`, `server_errors`,
/// `routes` and `response_time` are all derived from it, so a line costs
/// one path lookup.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PathStats {
    pub hits: u64,
    pub bytes: u64,
    pub status_404: u64,
    pub status_5xx: u64,
    /// Response times of its hits that have one. Boxed and absent until
    /// the first: a layout without times pays eight bytes a path.
    pub latency: Option<Box<Latency>>,
}

impl PathStats {
    /// Out of line, so that layouts without times keep the hot loop as
    /// it was: one test of the line's time.
    #[inline(never)]
    pub(super) fn record_time(&mut self, us: u64) {
        self.latency.get_or_insert_default().record(us);
    }

    /// Adds what `other` counted, without taking it.
    pub fn merge_from(&mut self, other: &PathStats) {
        self.hits += other.hits;
        self.bytes += other.bytes;
        self.status_404 += other.status_404;
        self.status_5xx += other.status_5xx;
        match (&mut self.latency, &other.latency) {
            (Some(mine), Some(theirs)) => mine.merge(theirs),
            (mine @ None, Some(theirs)) => *mine = Some(theirs.clone()),
            (_, None) => {}
        }
    }

    pub fn merge(&mut self, other: PathStats) {
        self.hits += other.hits;
        self.bytes += other.bytes;
        self.status_404 += other.status_404;
        self.status_5xx += other.status_5xx;
        match (&mut self.latency, other.latency) {
            (Some(mine), Some(theirs)) => mine.merge(&theirs),
            (mine @ None, theirs) => *mine = theirs,
            (Some(_), None) => {}
        }
    }
}

/// Methods a server sees nearly always get a fixed counter, so the common
/// case is a comparison, not a hash.
pub(crate) const KNOWN_METHODS: [&[u8]; 10] = [
    b"GET", b"POST", b"HEAD", b"PUT", b"DELETE", b"OPTIONS", b"PATCH", b"-", b"CONNECT", b"TRACE",
];

/// The index of `method` in [`KNOWN_METHODS`]: a `match` compiles to a few
/// integer comparisons where a search would call `memcmp` for each entry.
pub(super) fn known_method_index(method: &[u8]) -> Option<usize> {
    Some(match method {
        b"GET" => 0,
        b"POST" => 1,
        b"HEAD" => 2,
        b"PUT" => 3,
        b"DELETE" => 4,
        b"OPTIONS" => 5,
        b"PATCH" => 6,
        b"-" => 7,
        b"CONNECT" => 8,
        b"TRACE" => 9,
        _ => return None,
    })
}
/// What is kept per distinct user agent while lines are scanned.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct AgentHits {
    pub hits: u64,
    /// [`is_bot_by_words`](crate::enrich::classify::is_bot_by_words), worked out the first time the agent
    /// is seen: those agents' lines are no candidate page views.
    pub(super) word_bot: Option<bool>,
}

impl AgentHits {
    /// Whether the agent's lines were left out of the candidate page views
    /// for naming a bot ([`is_bot_by_words`](crate::enrich::classify::is_bot_by_words)):
    /// what a second reading of the log must know to find the same candidates.
    pub fn word_bot(&self) -> bool {
        self.word_bot == Some(true)
    }

    pub(super) fn merge(&mut self, other: AgentHits) {
        self.hits += other.hits;
        self.word_bot = self.word_bot.or(other.word_bot);
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_methods_are_indexed_in_table_order() {
        for (i, m) in KNOWN_METHODS.iter().enumerate() {
            assert_eq!(known_method_index(m), Some(i));
        }
        assert_eq!(known_method_index(b"get"), None);
    }
}
