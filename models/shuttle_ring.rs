//! Shuttle models of the ring pool: random and PCT (depth 3) schedules of the
//! shared scenarios, `SHUTTLE_ITERATIONS` each (default 10,000), plus the FIFO
//! release negative model, which shuttle must catch.
//!
//! ```text
//! RUSTFLAGS="--cfg shuttle" CARGO_TARGET_DIR=target/shuttle cargo test --release \
//!     --test shuttle_ring -- --nocapture
//! ```
#![cfg(shuttle)]

#[path = "scenarios/ring.rs"]
mod scenarios;
mod support;

use support::shuttle_run::{must_fail, must_pass};
use verified_pools::ring::{FIFO_RELEASE, LIVE_OVERWRITE};

#[test]
fn out_of_order_wrap() {
    must_pass("ring", "out-of-order-wrap", scenarios::out_of_order_wrap);
}

#[test]
fn last_slice_frees_region() {
    must_pass(
        "ring",
        "last-slice-frees-region",
        scenarios::last_slice_frees_region,
    );
}

#[test]
fn producer_hand_off() {
    must_pass("ring", "producer-hand-off", scenarios::producer_hand_off);
}

#[test]
fn wait_for_release() {
    must_pass("ring", "wait-for-release", scenarios::wait_for_release);
}

#[test]
fn fifo_release_frees_a_live_slice() {
    must_fail(
        "ring",
        "fifo-release",
        &[LIVE_OVERWRITE],
        Some(FIFO_RELEASE),
        scenarios::out_of_order_wrap,
    );
}
