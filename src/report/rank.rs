//! Ranking the rows of a table: by the main figure, then by key, cut to
//! the rows shown. Every table of the report, and every bounded label of
//! the metrics, is ranked this way.

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
}
