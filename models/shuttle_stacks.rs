//! Shuttle tier for the free lists: random and PCT (depth 3) schedules,
//! `SHUTTLE_ITERATIONS` each (default 10,000). A failure prints a schedule
//! that `shuttle::replay` reproduces (see README.md).
//!
//! Run: `RUSTFLAGS="--cfg shuttle" CARGO_TARGET_DIR=target/shuttle cargo test --release \
//!       --test shuttle_stacks -- --nocapture`
#![cfg(shuttle)]

#[path = "scenarios/stacks.rs"]
mod scenarios;
mod support;

use scenarios::*;
use support::shuttle_run::{must_fail, must_pass};
use verified_pools::sync::node::USE_AFTER_FREE;
use verified_pools::{EpochStack, PointerNodeStack, TaggedStack};

#[test]
fn tagged_two_threads() {
    must_pass("tagged", TWO_THREADS.name, || {
        run::<usize, Safe<TaggedStack<usize>>>(&TWO_THREADS)
    });
}

#[test]
fn tagged_three_threads() {
    must_pass("tagged", THREE_THREADS.name, || {
        run::<usize, Safe<TaggedStack<usize>>>(&THREE_THREADS)
    });
}

#[test]
fn epoch_two_threads() {
    must_pass("epoch", TWO_THREADS.name, || {
        run::<usize, Safe<EpochStack<usize>>>(&TWO_THREADS)
    });
}

#[test]
fn epoch_three_threads() {
    must_pass("epoch", THREE_THREADS.name, || {
        run::<usize, Safe<EpochStack<usize>>>(&THREE_THREADS)
    });
}

#[test]
fn pointer_node_single_popper_three_threads() {
    must_pass("pointer_node", THREE_THREADS.name, || {
        run::<usize, Safe<PointerNodeStack<usize>>>(&THREE_THREADS)
    });
}

// ---- negative models: shuttle must find the bug ----

#[test]
fn pointer_node_concurrent_poppers_use_after_free() {
    must_fail(
        "pointer_node",
        "seed-shared-pop-two-poppers",
        &[USE_AFTER_FREE],
        None,
        || run::<usize, SeedSharedPop<usize>>(&TWO_POPPERS),
    );
}

#[test]
fn index_stack_without_tag_aba_double_hand_out() {
    must_fail("tagged", "untagged-aba", &[DOUBLE], None, || {
        run::<u32, NarrowTag<0>>(&ABA)
    });
}
