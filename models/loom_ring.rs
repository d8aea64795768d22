//! Loom models of the ring pool: the shared scenarios, exhaustively up to a
//! preemption bound (env `LOOM_MAX_PREEMPTIONS`, default 2), and the negative
//! models, which must make loom fail.
//!
//! ```text
//! RUSTFLAGS="--cfg loom --cfg crossbeam_loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test --release --test loom_ring -- --nocapture
//! ```
#![cfg(loom)]

#[path = "scenarios/ring.rs"]
mod scenarios;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::time::Instant;

use verified_pools::ring::{FIFO_RELEASE, LIVE_OVERWRITE};
use verified_pools::sync::mutation::with_mutant;

/// Mutants are process-global: run one model at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn preemptions() -> usize {
    std::env::var("LOOM_MAX_PREEMPTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2)
}

/// Runs `scenario` under loom; prints and returns the executions explored.
fn check(name: &str, scenario: fn()) -> u64 {
    static RUNS: Mutex<u64> = Mutex::new(0);
    *RUNS.lock().unwrap_or_else(|e| e.into_inner()) = 0;
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(preemptions());
    let start = Instant::now();
    b.check(move || {
        *RUNS.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        scenario();
    });
    let runs = *RUNS.lock().unwrap_or_else(|e| e.into_inner());
    println!(
        "loom {name}: {runs} executions in {:.1} s (preemption bound {})",
        start.elapsed().as_secs_f64(),
        preemptions()
    );
    runs
}

/// Runs `scenario` with mutant `site` on and returns loom's panic message;
/// fails the test if loom accepts the mutant.
fn expect_failure(site: &'static str, name: &str, scenario: fn()) -> String {
    let outcome = with_mutant(site, || {
        catch_unwind(AssertUnwindSafe(|| check(name, scenario)))
    });
    let payload = match outcome {
        Ok(runs) => panic!("loom accepted mutant {site} after {runs} executions"),
        Err(p) => p,
    };
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    println!("loom {name} with mutant {site}: caught: {msg}");
    msg
}

#[test]
fn out_of_order_wrap() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    assert!(check("out_of_order_wrap", scenarios::out_of_order_wrap) > 1);
}

#[test]
fn last_slice_frees_region() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    assert!(
        check(
            "last_slice_frees_region",
            scenarios::last_slice_frees_region
        ) > 1
    );
}

#[test]
fn producer_hand_off() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    assert!(check("producer_hand_off", scenarios::producer_hand_off) > 1);
}

#[test]
fn relaxed_release_store_is_caught() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let msg = expect_failure(
        "ring.release.store",
        "out_of_order_wrap",
        scenarios::out_of_order_wrap,
    );
    assert!(
        msg.contains("Causality violation"),
        "unexpected failure: {msg}"
    );
}

#[test]
fn relaxed_reclaim_load_is_caught() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let msg = expect_failure(
        "ring.reclaim.load",
        "out_of_order_wrap",
        scenarios::out_of_order_wrap,
    );
    assert!(
        msg.contains("Causality violation"),
        "unexpected failure: {msg}"
    );
}

#[test]
fn relaxed_producer_take_is_caught() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let msg = expect_failure(
        "ring.producer.take",
        "producer_hand_off",
        scenarios::producer_hand_off,
    );
    assert!(
        msg.contains("Causality violation"),
        "unexpected failure: {msg}"
    );
}

#[test]
fn fifo_release_frees_a_live_slice() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let msg = expect_failure(
        FIFO_RELEASE,
        "out_of_order_wrap",
        scenarios::out_of_order_wrap,
    );
    assert!(msg.contains(LIVE_OVERWRITE), "unexpected failure: {msg}");
}
