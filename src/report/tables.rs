//! Making tables: log bytes as text, rows that print the same made one,
//! rows ranked and cut, and the tables keyed by path.

use std::borrow::Cow;

use hashbrown::hash_map::Entry;
use hashbrown::HashMap;

use super::model::{NameVisitors, PathHits};
use crate::aggregate::{Figures, PathStats};

/// Log text is bytes; reports are text: [`crate::text::from_log`], each
/// byte that is not UTF-8 as `\xHH`.
pub fn text(bytes: &[u8]) -> String {
    crate::text::from_log(bytes).into_owned()
}

/// Rows keyed by bytes of the log, with the keys that print the same
/// made one row. Invalid UTF-8 prints as `\xHH` ([`text`]), so a valid key
/// that reads as another's escaped text (`/a\xff` written out, and `/a`
/// with the byte 0xff) would show twice: their figures are combined by
/// `merge`, under the printed text, which is also what the rows are then
/// sorted by. `all_utf8` says that no key holds invalid UTF-8 (the
/// usual case, checked once per table of paths): the rows are then kept
/// as they are, since distinct valid keys print differently and order as
/// their text does. Either way no key is copied but those of the rows a
/// table keeps: turning a million paths into text cost more than the rest
/// of such a report.
pub(super) fn by_text<'a, V>(
    rows: Vec<(Cow<'a, [u8]>, V)>,
    all_utf8: bool,
    mut merge: impl FnMut(&mut V, V),
) -> Vec<(Cow<'a, [u8]>, V)> {
    if all_utf8 {
        return rows;
    }
    let mut valid = Vec::with_capacity(rows.len());
    let mut replaced: HashMap<String, V> = HashMap::new();
    for (key, value) in rows {
        if std::str::from_utf8(&key).is_ok() {
            valid.push((key, value));
            continue;
        }
        match replaced.entry(text(&key)) {
            Entry::Occupied(mut row) => merge(row.get_mut(), value),
            Entry::Vacant(row) => {
                row.insert(value);
            }
        }
    }
    let mut rows = Vec::with_capacity(valid.len() + replaced.len());
    for (key, value) in valid {
        // Valid UTF-8: the lookup by text is a lookup by these bytes.
        match std::str::from_utf8(&key)
            .ok()
            .and_then(|k| replaced.get_mut(k))
        {
            Some(row) => merge(row, value),
            None => rows.push((key, value)),
        }
    }
    rows.extend(
        replaced
            .into_iter()
            .map(|(key, v)| (Cow::Owned(key.into_bytes()), v)),
    );
    rows
}

pub(super) fn name_visitors(
    counts: &std::collections::HashMap<String, u64>,
    top: usize,
) -> Vec<NameVisitors> {
    let rows = counts
        .iter()
        .map(|(name, &visitors)| NameVisitors {
            name: name.clone(),
            visitors,
        })
        .collect();
    top_rows(rows, top, |r| (r.visitors, r.name.clone()))
}

pub fn rate(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Sorts by the main figure, descending, then by key, ascending, and keeps
/// the first `top` rows (all when `top` is 0).
pub fn top_rows<T, K: Ord>(
    rows: Vec<T>,
    top: usize,
    figure_and_key: impl Fn(&T) -> (u64, K),
) -> Vec<T> {
    type Ranked<K> = ((std::cmp::Reverse<u64>, K), usize);
    let ranked = |(i, r): (usize, &T)| -> Ranked<K> {
        let (figure, key) = figure_and_key(r);
        ((std::cmp::Reverse(figure), key), i)
    };
    let mut keyed: Vec<Ranked<K>> = if top > 0 && rows.len() > top {
        // The best `top` so far, the worst of them on top of the heap: a
        // row is compared with that one alone, where a selection among
        // all rows compared each several times (a path table can have a
        // million rows, nearly all of one hit, for ten shown).
        let mut best = std::collections::BinaryHeap::with_capacity(top + 1);
        for row in rows.iter().enumerate().map(ranked) {
            if best.len() < top {
                best.push(row);
            } else if best.peek().is_some_and(|worst| row < *worst) {
                best.pop();
                best.push(row);
            }
        }
        best.into_vec()
    } else {
        rows.iter().enumerate().map(ranked).collect()
    };
    keyed.sort_unstable();
    // The kept rows moved out in rank order, the others dropped where
    // they are: no copy of a table of a million rows.
    let mut rank = vec![usize::MAX; rows.len()];
    for (r, &(_, i)) in keyed.iter().enumerate() {
        rank[i] = r;
    }
    let mut kept: Vec<Option<T>> = keyed.iter().map(|_| None).collect();
    for (row, r) in rows.into_iter().zip(rank) {
        if let Some(slot) = kept.get_mut(r) {
            *slot = Some(row);
        }
    }
    kept.into_iter().flatten().collect()
}

/// What every table keyed by path is made from: the run's paths, whether
/// all of them are valid UTF-8 (checked once, see [`by_text`]), and how
/// many rows to keep.
#[derive(Clone, Copy)]
pub(super) struct PathTables<'a> {
    pub(super) figures: &'a Figures,
    pub(super) utf8: bool,
    pub(super) top: usize,
}

impl<'a> PathTables<'a> {
    pub(super) fn new(figures: &'a Figures, top: usize) -> Self {
        let utf8 = (figures.paths.iter()).all(|(path, _)| std::str::from_utf8(path).is_ok());
        PathTables { figures, utf8, top }
    }

    /// The top rows of a table keyed by path: counts by path id, added up
    /// by path text (see [`by_text`]), ranked by their first count (then
    /// by path), made rows by `row`.
    pub(super) fn rows<R>(
        self,
        counts: impl IntoIterator<Item = (u32, (u64, u64))>,
        row: impl Fn(String, (u64, u64)) -> R,
    ) -> Vec<R> {
        let by_path = counts
            .into_iter()
            .map(|(id, c)| (Cow::Borrowed(self.figures.paths.key(id)), c))
            .collect();
        let rows = by_text(by_path, self.utf8, |a, b| {
            a.0 += b.0;
            a.1 += b.1;
        });
        let ranked = top_rows(rows, self.top, |(path, c)| (c.0, path.clone()));
        ranked
            .into_iter()
            .map(|(path, c)| row(text(&path), c))
            .collect()
    }

    /// A table of one per-path counter, rows with a zero count left out.
    pub(super) fn counter(self, count: impl Fn(&PathStats) -> u64) -> Vec<PathHits> {
        // Path ids are the positions in the map's id order.
        let counts = (self.figures.paths.iter().enumerate()).filter_map(|(id, (_, stats))| {
            let n = count(stats);
            (n > 0).then_some((id as u32, (n, 0)))
        });
        self.rows(counts, |path, (hits, _)| PathHits { path, hits })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_rows_sorts_by_figure_then_key_and_cuts() {
        let rows = vec![("b", 2), ("a", 2), ("c", 5), ("d", 1)];
        let sorted = top_rows(rows.clone(), 0, |r| (r.1, r.0));
        assert_eq!(sorted, vec![("c", 5), ("a", 2), ("b", 2), ("d", 1)]);
        assert_eq!(
            top_rows(rows.clone(), 2, |r| (r.1, r.0)),
            vec![("c", 5), ("a", 2)]
        );
        assert_eq!(
            top_rows(rows.clone(), 3, |r| (r.1, r.0)),
            vec![("c", 5), ("a", 2), ("b", 2)]
        );
        assert_eq!(top_rows(rows.clone(), 4, |r| (r.1, r.0)).len(), 4);
        assert_eq!(top_rows(rows, 9, |r| (r.1, r.0)).len(), 4);
    }

    #[test]
    fn the_top_of_many_rows_is_the_start_of_all_of_them_sorted() {
        // Many ties on the figure, as in a table of paths of one hit each,
        // and keys in no order.
        let mut x = 12345u64;
        let rows: Vec<(String, u64)> = (0..3000)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (format!("/p/{}", x >> 40), [1, 1, 1, 2, 7][i % 5])
            })
            .collect();
        let all = top_rows(rows.clone(), 0, |r| (r.1, r.0.clone()));
        assert!(all
            .windows(2)
            .all(|w| (w[1].1, &w[0].0) <= (w[0].1, &w[1].0)));
        for top in [1, 10, 599, 600, 601, 2999, 3000] {
            let best = top_rows(rows.clone(), top, |r| (r.1, r.0.clone()));
            assert_eq!(best, all[..top], "top {top}");
        }
    }

    #[test]
    fn rates() {
        assert_eq!(rate(1, 4), 0.25);
        assert_eq!(rate(0, 0), 0.0);
    }
}
