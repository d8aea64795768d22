#![cfg(loom)]
//! The pool scenario under loom: every interleaving (within the preemption
//! bound, env `LOOM_MAX_PREEMPTIONS`, default 2) of two threads getting and
//! returning through guards and by value, on the default tagged variant. The
//! shared scenario's two halves run as separate models to keep each small.
//!
//! `RUSTFLAGS="--cfg loom --cfg crossbeam_loom" CARGO_TARGET_DIR=target/loom \
//!  cargo test --release --test loom_pool`

#[path = "scenarios/pool.rs"]
mod scenarios;

use std::sync::Mutex;
use std::time::Instant;

use scenarios::Script;
use verified_pools::pool::Tagged;

fn model(name: &str, f: impl Fn() + Sync + Send + 'static) {
    static EXECUTIONS: Mutex<usize> = Mutex::new(0);
    let bound = std::env::var("LOOM_MAX_PREEMPTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    *EXECUTIONS.lock().unwrap() = 0;
    let start = Instant::now();
    builder.check(move || {
        *EXECUTIONS.lock().unwrap() += 1;
        f();
    });
    eprintln!(
        "loom {name}: {} executions, preemption bound {bound}, {:.1?}",
        EXECUTIONS.lock().unwrap(),
        start.elapsed()
    );
}

/// Two threads each hold a guard and a by-value serialization buffer at
/// once over a bound of 2: hits, misses, accepted and pool-full returns.
#[test]
fn pool_hold_two_threads() {
    model("pool_hold_two_threads", || {
        scenarios::guards_and_values::<Tagged>(2, Script::Hold)
    });
}

/// Two threads: SIMD guards dropped, foreign buffers rejected, one buffer
/// taken out for good.
#[test]
fn pool_edges_two_threads() {
    model("pool_edges_two_threads", || {
        scenarios::guards_and_values::<Tagged>(2, Script::Edges)
    });
}
