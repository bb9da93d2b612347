//! Spreading CPU-bound work over a machine's cores with only the standard library: parsing
//! a large ledger and sealing its ID numbers are pure per row, and offices' servers are small
//! (two cores is common), so every core counts.

/// `f(index, item)` for every item, in order, split across the cores when there are at
/// least `min_len` items (below that, starting threads costs more than it saves). A panic in
/// `f` is re-raised in the caller, as a plain loop would.
pub fn par_map<T: Sync, R: Send>(
    items: &[T],
    min_len: usize,
    f: impl Fn(usize, &T) -> R + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || items.len() < min_len.max(2) {
        return items.iter().enumerate().map(|(i, t)| f(i, t)).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                s.spawn(move || {
                    part.iter()
                        .enumerate()
                        .map(|(j, t)| f(c * chunk + j, t))
                        .collect::<Vec<R>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_indexes() {
        let items: Vec<u32> = (0..10_001).collect();
        let out = par_map(&items, 10, |i, v| (i as u32, v * 2));
        assert_eq!(out.len(), items.len());
        assert!(
            out.iter()
                .enumerate()
                .all(|(i, (j, v))| *j == i as u32 && *v == i as u32 * 2)
        );
        assert_eq!(par_map(&[] as &[u8], 0, |_, v| *v), Vec::<u8>::new());
        assert_eq!(par_map(&[7u8], 0, |i, v| (i, *v)), vec![(0, 7)]);
    }

    #[test]
    #[should_panic(expected = "row 5000")]
    fn a_panic_reaches_the_caller() {
        let items: Vec<u32> = (0..10_000).collect();
        par_map(&items, 10, |i, _| assert!(i != 5000, "row {i}"));
    }
}
