//! The figures benchmark of `scripts/bench` (issue 13): the indicator catalogue computed for
//! one node and one period, as the work summary and the dashboard compute it.
//!
//!   figures_bench DB_URL NODE_ID PERIOD CODES RUNS
//!
//! CODES is `all` (the whole catalogue) or a comma-separated list. Runs the computation RUNS
//! times after one unmeasured run (which warms the page cache) and prints "seconds=…" (the
//! median), "indicators=…" and "counts=code=value,…" (the counts among them).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

/// The allocator the `shequ` binary uses, so the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use shequ_domain::figures::Period;
use shequ_store::Actor;
use shequ_store::indicators::catalogue;

fn main() {
    if std::env::var_os("SHEQU_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_env("SHEQU_LOG"))
            .with_writer(std::io::stderr)
            .init();
    }
    let args: Vec<String> = std::env::args().collect();
    let [_, url, node, period, codes, runs] = args.as_slice() else {
        panic!("usage: figures_bench DB_URL NODE_ID PERIOD CODES RUNS");
    };
    let pool = shequ_store::open(url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    let actor = Actor::figures_reader(&mut conn).unwrap();
    let node = shequ_store::registry::tree::get(&mut conn, &actor, node.parse().unwrap()).unwrap();
    let period = Period::parse(period).unwrap();
    let codes: Vec<&str> = if codes == "all" {
        Vec::new()
    } else {
        codes.split(',').collect()
    };
    let mut last = Vec::new();
    let mut times = Vec::new();
    for run in 0..=runs.parse::<usize>().unwrap() {
        let t = Instant::now();
        let figures = catalogue::compute(&mut conn, &actor, &node, &period, &codes).unwrap();
        if run > 0 {
            times.push(t.elapsed().as_secs_f64());
        }
        last = figures;
    }
    times.sort_by(f64::total_cmp);
    let median = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
    println!("seconds={median:.4}");
    println!("indicators={}", last.len());
    // The counts, for checking against the same aggregates written by hand.
    let counts: Vec<String> = last
        .iter()
        .filter_map(|f| match f.amount {
            shequ_domain::figures::Amount::Count { value } => Some(format!("{}={value}", f.code)),
            _ => None,
        })
        .collect();
    println!("counts={}", counts.join(","));
}
