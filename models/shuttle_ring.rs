//! Shuttle models of the ring pool: the shared scenarios under random and
//! PCT (depth 3) schedules, `SHUTTLE_ITERATIONS` each (default 10,000), and
//! the FIFO-release negative model, which must fail. A failing run prints
//! shuttle's replayable schedule.
//!
//! ```text
//! CARGO_TARGET_DIR=target/shuttle cargo test --release --features shuttle \
//!     --test shuttle_ring -- --nocapture
//! ```

#[path = "scenarios/ring.rs"]
mod scenarios;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::time::Instant;

use verified_pools::ring::{FIFO_RELEASE, LIVE_OVERWRITE};
use verified_pools::sync::mutation::with_mutant;

/// Mutants are process-global: run one model at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn iterations() -> usize {
    std::env::var("SHUTTLE_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

fn both(name: &str, scenario: fn()) {
    let n = iterations();
    let start = Instant::now();
    shuttle::check_random(scenario, n);
    println!(
        "shuttle random {name}: {n} iterations in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    shuttle::check_pct(scenario, n, 3);
    println!(
        "shuttle pct(3) {name}: {n} iterations in {:.1} s",
        start.elapsed().as_secs_f64()
    );
}

#[test]
fn out_of_order_wrap() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    both("out_of_order_wrap", scenarios::out_of_order_wrap);
}

#[test]
fn last_slice_frees_region() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    both(
        "last_slice_frees_region",
        scenarios::last_slice_frees_region,
    );
}

#[test]
fn producer_hand_off() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    both("producer_hand_off", scenarios::producer_hand_off);
}

#[test]
fn fifo_release_frees_a_live_slice() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let n = iterations();
    let start = Instant::now();
    let outcome = with_mutant(FIFO_RELEASE, || {
        catch_unwind(AssertUnwindSafe(|| {
            shuttle::check_random(scenarios::out_of_order_wrap, n)
        }))
    });
    let payload = match outcome {
        Ok(()) => panic!("shuttle accepted the FIFO-release mutant in {n} iterations"),
        Err(p) => p,
    };
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    println!(
        "shuttle FIFO mutant caught in {:.2} s: {msg}",
        start.elapsed().as_secs_f64()
    );
    assert!(msg.contains(LIVE_OVERWRITE), "unexpected failure: {msg}");
}
