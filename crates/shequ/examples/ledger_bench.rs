//! The ledger benchmark of `scripts/bench` (issue 13): one catalogue ledger of a node for a
//! period, streamed into an .xlsx file, as the ledger page's download makes it.
//!
//!   ledger_bench DB_URL NODE_ID PERIOD CODE OUT.xlsx
//!
//! Exports as an exporter of the whole tree who passed the second factor (the bench's own
//! actor: the product gives no account that scope). Prints "seconds=…" and "rows=…"; run it
//! under `time -f %M` for the peak memory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

/// The allocator the `shequ` binary uses, so the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use shequ_domain::access::roles::Role;
use shequ_domain::figures::Period;
use shequ_store::Actor;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, node, period, code, out] = args.as_slice() else {
        panic!("usage: ledger_bench DB_URL NODE_ID PERIOD CODE OUT.xlsx");
    };
    // The key beside the database, as the server opens it: ledgers show sealed values.
    let pool = shequ_store::open_with_key(url, 1, None).unwrap().0;
    let mut conn = pool.get().unwrap();
    let mut actor = Actor::figures_reader(&mut conn).unwrap();
    actor.role = Role::CommunityHead;
    actor.people_nodes = actor.nodes.clone();
    actor.people_communities = actor.communities.clone();
    actor.mfa = true;
    let period = Period::parse(period).unwrap();
    let file = std::fs::File::create(out).unwrap();
    let t = Instant::now();
    let done = shequ_ledgers::book::write(
        &mut conn,
        &actor,
        (node.parse().unwrap(), &period, code),
        std::io::BufWriter::new(file),
    )
    .unwrap();
    println!("seconds={:.4}", t.elapsed().as_secs_f64());
    println!("rows={}", done.rows.iter().sum::<usize>());
}
