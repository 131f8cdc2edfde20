//! Server errors (5xx) by time slot, path and method: what the report's
//! incidents are found from (which routes failed, from when, and whether
//! they had failed before). A log holds few of them, so they are kept
//! apart from the per-line figures, in a map that a line with another
//! status never touches.

use hashbrown::HashMap;

use super::bytes_map::BytesMap;
use super::slot::SLOT_SECONDS;

/// The 5xx hits of one path and method in one slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCell {
    pub count: u64,
    /// The times of the first and the last of them.
    pub first: i64,
    pub last: i64,
}

impl ErrorCell {
    fn merge(&mut self, other: ErrorCell) {
        self.count += other.count;
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
    }
}

/// A slot ([`SLOT_SECONDS`], keyed by `unix / SLOT_SECONDS`), a path id
/// of the figures holding the map, and a method id of the map's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ErrorKey {
    slot: i64,
    path: u32,
    method: u32,
}

/// One error cell with its keys resolved: (slot, path id, method, cell).
pub type ErrorEntry<'a> = (i64, u32, &'a [u8], ErrorCell);

/// Every 5xx hit, counted by (slot, path, method), with the first and last
/// time of each cell. Mergeable like the rest of the figures.
#[derive(Debug, Clone, Default)]
pub struct ServerErrors {
    cells: HashMap<ErrorKey, ErrorCell>,
    /// Methods as logged; a handful.
    methods: BytesMap<()>,
}

impl ServerErrors {
    /// Counts one 5xx hit. Out of line: the hot loop pays one test of the
    /// status for it.
    #[cold]
    #[inline(never)]
    pub fn record(&mut self, time: i64, path: u32, method: &[u8]) {
        let method = self.methods.intern(method).0;
        let key = ErrorKey {
            slot: time.div_euclid(SLOT_SECONDS),
            path,
            method,
        };
        let hit = ErrorCell {
            count: 1,
            first: time,
            last: time,
        };
        self.cells
            .entry(key)
            .and_modify(|c| c.merge(hit))
            .or_insert(hit);
    }

    /// Adds a cell counted elsewhere (a saved state keeps them).
    pub fn add_cell(&mut self, slot: i64, path: u32, method: &[u8], cell: ErrorCell) {
        let method = self.methods.intern(method).0;
        self.cells
            .entry(ErrorKey { slot, path, method })
            .and_modify(|c| c.merge(cell))
            .or_insert(cell);
    }

    /// Adds `other`, whose path ids become `paths[id]`.
    pub fn merge(&mut self, other: ServerErrors, paths: &[u32]) {
        if other.cells.is_empty() {
            return;
        }
        let methods = self.methods.merge(other.methods, |_, _| {});
        for (key, cell) in other.cells {
            let key = ErrorKey {
                slot: key.slot,
                path: paths[key.path as usize],
                method: methods[key.method as usize],
            };
            self.cells
                .entry(key)
                .and_modify(|c| c.merge(cell))
                .or_insert(cell);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Every cell, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = ErrorEntry<'_>> + '_ {
        self.cells
            .iter()
            .map(|(k, &c)| (k.slot, k.path, self.methods.key(k.method), c))
    }

    /// The cells with paths as text, sorted: how two maps built with
    /// different path ids are compared.
    pub fn canonical<'a>(
        &'a self,
        path: impl Fn(u32) -> &'a [u8],
    ) -> Vec<(i64, &'a [u8], &'a [u8], ErrorCell)> {
        let mut cells: Vec<_> = self
            .iter()
            .map(|(slot, p, method, cell)| (slot, path(p), method, cell))
            .collect();
        cells.sort_unstable_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
        cells
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_count_per_slot_path_and_method_and_merge() {
        let t = 1_714_550_400; // a multiple of 300
        let mut a = ServerErrors::default();
        a.record(t + 10, 0, b"GET");
        a.record(t + 5, 0, b"GET");
        a.record(t + 20, 0, b"POST");
        a.record(t + 300, 0, b"GET");
        let mut b = ServerErrors::default();
        // Path 0 of `b` is path 1 of `a`; its path 1 is `a`'s path 0.
        b.record(t + 1, 1, b"GET");
        b.record(t + 2, 0, b"GET");
        a.merge(b, &[1, 0]);
        let mut cells: Vec<_> = a
            .iter()
            .map(|(s, p, m, c)| (s - t / 300, p, m.to_vec(), c))
            .collect();
        cells.sort_by(|x, y| (x.0, x.1, &x.2).cmp(&(y.0, y.1, &y.2)));
        let cell = |count, first, last| ErrorCell {
            count,
            first: t + first,
            last: t + last,
        };
        assert_eq!(
            cells,
            vec![
                (0, 0, b"GET".to_vec(), cell(3, 1, 10)),
                (0, 0, b"POST".to_vec(), cell(1, 20, 20)),
                (0, 1, b"GET".to_vec(), cell(1, 2, 2)),
                (1, 0, b"GET".to_vec(), cell(1, 300, 300)),
            ]
        );
    }
}
