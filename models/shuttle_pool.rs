//! The pool scenario under shuttle: random and PCT (depth 3) schedules of
//! three threads, for every free-list variant. Iterations per test: env
//! `SHUTTLE_ITERATIONS`, default 10,000.
//!
//! `CARGO_TARGET_DIR=target/shuttle cargo test --release --features shuttle \
//!  --test shuttle_pool`

#[path = "scenarios/pool.rs"]
mod scenarios;

use std::time::Instant;

use scenarios::Script;
use verified_pools::pool::{Epoch, PointerNode, Tagged};

fn iterations() -> usize {
    std::env::var("SHUTTLE_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

fn random(name: &str, f: fn()) {
    let start = Instant::now();
    shuttle::check_random(f, iterations());
    eprintln!(
        "shuttle random {name}: {} iterations, {:.1?}",
        iterations(),
        start.elapsed()
    );
}

fn pct(name: &str, f: fn()) {
    let start = Instant::now();
    shuttle::check_pct(f, iterations(), 3);
    eprintln!(
        "shuttle pct {name}: {} iterations, {:.1?}",
        iterations(),
        start.elapsed()
    );
}

fn tagged() {
    scenarios::guards_and_values::<Tagged>(3, Script::Full)
}

fn epoch() {
    scenarios::guards_and_values::<Epoch>(3, Script::Full)
}

fn pointer_node() {
    scenarios::guards_and_values::<PointerNode>(3, Script::Full)
}

#[test]
fn pool_random_tagged() {
    random("tagged", tagged);
}

#[test]
fn pool_pct_tagged() {
    pct("tagged", tagged);
}

#[test]
fn pool_random_epoch() {
    random("epoch", epoch);
}

#[test]
fn pool_pct_epoch() {
    pct("epoch", epoch);
}

#[test]
fn pool_random_pointer_node() {
    random("pointer-node", pointer_node);
}

#[test]
fn pool_pct_pointer_node() {
    pct("pointer-node", pointer_node);
}
