//! Loom models of the ring pool: the shared scenarios, exhaustively up to a
//! preemption bound (env `LOOM_MAX_PREEMPTIONS`, default 2). The ring's
//! negative models (Relaxed release, Relaxed reclaim, FIFO release) are in
//! `loom_mutants.rs` with every other weakened site.
//!
//! ```text
//! RUSTFLAGS="--cfg loom --cfg crossbeam_loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test --release --test loom_ring -- --nocapture
//! ```
#![cfg(loom)]

#[path = "scenarios/ring.rs"]
mod scenarios;
mod support;

use support::loom_run::{must_pass, must_pass_facts};

#[test]
fn out_of_order_wrap() {
    must_pass_facts(
        "ring",
        "out-of-order-wrap",
        scenarios::take_facts,
        scenarios::out_of_order_wrap,
    );
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
    must_pass_facts(
        "ring",
        "wait-for-release",
        scenarios::take_facts,
        scenarios::wait_for_release,
    );
}
