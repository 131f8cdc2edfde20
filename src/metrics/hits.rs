//! Requests and bytes by (path, virtual host, method, status class): the
//! cross-tab that `logstats_http_requests_total` and
//! `logstats_http_response_size_bytes_total` are labelled from. It is
//! counted per hit, so [`crate::aggregate::Figures`] keeps it only when
//! `--format prometheus` asks for it; paths become routes at the end,
//! once per distinct path.

use std::collections::BTreeMap;

use hashbrown::HashMap;

use crate::aggregate::bytes_map::BytesMap;
use crate::aggregate::pageviews::NO_VHOST;
use crate::aggregate::{PathStats, KNOWN_METHODS};

/// The method label of each index of [`KNOWN_METHODS`], then of any other
/// method. OpenTelemetry's HTTP conventions name the nine methods of RFC
/// 9110 and 5789 and fold every other into `_OTHER`, which bounds a label
/// that whoever sends a request can write; `-` (a request that is `-` or
/// junk, SPEC §1) is one of those others.
pub const METHOD_LABELS: [&str; KNOWN_METHODS.len() + 1] = [
    "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "_OTHER", "CONNECT", "TRACE",
    "_OTHER",
];

/// One cell of the cross-tab: ids of the [`crate::aggregate::Figures`]
/// it belongs to, the method's index in [`METHOD_LABELS`] and the status
/// class (the status's first digit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cell {
    pub path: u32,
    /// [`NO_VHOST`] for a layout without a virtual host.
    pub vhost: u32,
    pub method: u8,
    pub class: u8,
}

impl Cell {
    /// `known_method`: the method's index in [`KNOWN_METHODS`], if it is
    /// one of them.
    #[inline]
    pub fn new(path: u32, vhost: u32, known_method: Option<usize>, status: u16) -> Cell {
        Cell {
            path,
            vhost,
            method: known_method.unwrap_or(KNOWN_METHODS.len()) as u8,
            // Status is three digits: 0 to 999.
            class: (status / 100 % 10) as u8,
        }
    }

    pub fn method_label(self) -> &'static str {
        METHOD_LABELS
            .get(self.method as usize)
            .copied()
            .unwrap_or("_OTHER")
    }

    pub fn class_label(self) -> String {
        class_label(self.class)
    }
}

/// The label of a status class: `2xx` for 200 to 299, and so on.
pub fn class_label(class: u8) -> String {
    format!("{class}xx")
}

/// Requests and bytes of a cell.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub hits: u64,
    pub bytes: u64,
}

/// The cross-tab of a set of hits. Its ids are those of the figures it
/// is part of, and are rewritten with theirs when they merge.
#[derive(Debug, Default, Clone)]
pub struct HitMetrics {
    cells: HashMap<Cell, Counts>,
}

impl HitMetrics {
    #[inline]
    pub fn add(&mut self, cell: Cell, bytes: u64) {
        let counts = self.cells.entry(cell).or_default();
        counts.hits += 1;
        counts.bytes += bytes;
    }

    /// Adds `other`, whose path and virtual host ids `paths` and `vhosts`
    /// map to this one's (as [`BytesMap::merge`] returns them).
    pub fn merge(&mut self, other: HitMetrics, paths: &[u32], vhosts: &[u32]) {
        self.cells.reserve(other.cells.len());
        for (cell, counts) in other.cells {
            let cell = Cell {
                path: paths[cell.path as usize],
                vhost: if cell.vhost == NO_VHOST {
                    NO_VHOST
                } else {
                    vhosts[cell.vhost as usize]
                },
                ..cell
            };
            let mine = self.cells.entry(cell).or_default();
            mine.hits += counts.hits;
            mine.bytes += counts.bytes;
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (Cell, Counts)> + '_ {
        self.cells.iter().map(|(&cell, &counts)| (cell, counts))
    }

    /// The cells with their ids replaced by the text they stand for: how
    /// two cross-tabs built in different orders (so with different ids)
    /// are compared. `None` is an empty cross-tab.
    pub fn canonical<'a>(
        metrics: Option<&HitMetrics>,
        paths: &'a BytesMap<PathStats>,
        vhosts: &'a BytesMap<u64>,
    ) -> BTreeMap<CanonicalCell<'a>, Counts> {
        let Some(metrics) = metrics else {
            return BTreeMap::new();
        };
        metrics
            .iter()
            .map(|(cell, counts)| {
                let vhost = (cell.vhost != NO_VHOST).then(|| vhosts.key(cell.vhost));
                let key = (paths.key(cell.path), vhost, cell.method, cell.class);
                (key, counts)
            })
            .collect()
    }
}

/// A cell as text: (path, virtual host, method index, status class).
pub type CanonicalCell<'a> = (&'a [u8], Option<&'a [u8]>, u8, u8);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_labels_follow_the_known_methods() {
        for (i, method) in KNOWN_METHODS.iter().enumerate() {
            let label = Cell::new(0, 0, Some(i), 200).method_label();
            match *method {
                b"-" => assert_eq!(label, "_OTHER"),
                m => assert_eq!(label.as_bytes(), m),
            }
        }
        assert_eq!(Cell::new(0, 0, None, 200).method_label(), "_OTHER");
    }

    #[test]
    fn status_classes() {
        let class = |s| Cell::new(0, 0, None, s).class_label();
        assert_eq!(
            [class(0), class(101), class(200), class(304), class(499)],
            ["0xx", "1xx", "2xx", "3xx", "4xx"]
        );
        assert_eq!([class(500), class(599), class(999)], ["5xx", "5xx", "9xx"]);
    }

    #[test]
    fn merge_rewrites_ids() {
        let (mut a, mut b) = (HitMetrics::default(), HitMetrics::default());
        a.add(Cell::new(0, NO_VHOST, Some(0), 200), 10);
        b.add(Cell::new(0, NO_VHOST, Some(0), 200), 5);
        b.add(Cell::new(1, 0, Some(1), 503), 7);
        // b's path 0 is a's 0; b's path 1 is a's 4, its vhost 0 a's 2.
        a.merge(b, &[0, 4], &[2]);
        let mut cells: Vec<_> = a.iter().collect();
        cells.sort_by_key(|(c, _)| c.path);
        assert_eq!(
            cells,
            [
                (
                    Cell::new(0, NO_VHOST, Some(0), 200),
                    Counts { hits: 2, bytes: 15 }
                ),
                (Cell::new(4, 2, Some(1), 503), Counts { hits: 1, bytes: 7 }),
            ]
        );
    }
}
