//! A transaction whose code panics leaves nothing behind: no rows, no open transaction on the
//! pooled connection, no lock (SQLite's write lock, PostgreSQL's row locks) that would make the
//! next writer wait.

use crate::support;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use shequ_store::{Conn, DbUrl, Pool, StoreError, params};
use support::TestDb;

fn notes(pool: &Pool) -> Vec<String> {
    let mut c = pool.get().unwrap();
    c.query("SELECT note FROM pool_panic_probe ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0).unwrap())
        .collect()
}

/// Writes row `id` on a connection of its own, outside the pool, and says how long it took.
/// It waits for nobody unless the panicked transaction still holds its lock.
fn write_elsewhere(url: &DbUrl, id: i64, note: &str) -> Duration {
    let mut c = Conn::open(url).unwrap();
    if c.backend() == shequ_store::Backend::Postgres {
        c.batch("SET lock_timeout = '5s'").unwrap();
    }
    let t = Instant::now();
    c.transaction(|c| {
        c.execute(
            "INSERT INTO pool_panic_probe (id, note) VALUES (?, ?)",
            params![id, note],
        )?;
        Ok::<_, StoreError>(())
    })
    .unwrap();
    t.elapsed()
}

fn panic_inside(pool: &Pool, nested: bool) {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut conn = pool.get().unwrap();
        conn.transaction::<(), StoreError>(|c| {
            c.execute(
                "INSERT INTO pool_panic_probe (id, note) VALUES (1, 'lost')",
                &[],
            )?;
            if nested {
                c.transaction::<(), StoreError>(|c| {
                    c.execute(
                        "INSERT INTO pool_panic_probe (id, note) VALUES (2, 'lost')",
                        &[],
                    )?;
                    panic!("a bug inside a savepoint");
                })
            } else {
                panic!("a bug while holding the write lock");
            }
        })
    }));
    assert!(
        outcome.is_err(),
        "the transaction's panic reaches the caller"
    );
}

fn check(nested: bool) {
    let db = TestDb::new();
    // One connection: the next `get` hands out the very connection that panicked.
    let pool = shequ_store::open(&db.url, 1).unwrap();
    pool.get()
        .unwrap()
        .batch("CREATE TABLE pool_panic_probe (id INTEGER PRIMARY KEY, note TEXT NOT NULL)")
        .unwrap();

    panic_inside(&pool, nested);

    // The pool's connection writes at once, in a transaction of its own.
    let t = Instant::now();
    pool.get()
        .unwrap()
        .transaction(|c| {
            c.execute(
                "INSERT INTO pool_panic_probe (id, note) VALUES (3, 'after')",
                &[],
            )?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    // So does any other connection, even on the rows the panicked transaction wrote.
    let waited = write_elsewhere(pool.url(), 1, "kept");
    assert!(waited < Duration::from_secs(2), "waited {waited:?}");
    assert_eq!(notes(&pool), ["kept", "after"]);
}

#[test]
fn a_panic_in_a_transaction_rolls_it_back_and_frees_the_connection() {
    check(false);
}

#[test]
fn a_panic_in_a_savepoint_rolls_back_the_whole_transaction() {
    check(true);
}
