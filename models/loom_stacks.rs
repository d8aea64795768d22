//! Loom tier for the free lists: every interleaving within
//! `LOOM_MAX_PREEMPTIONS` (default 2), under loom's C11-style memory model.
//!
//! Run: `RUSTFLAGS="--cfg loom --cfg crossbeam_loom" CARGO_TARGET_DIR=target/loom \
//!       cargo test --release --test loom_stacks -- --nocapture`
#![cfg(loom)]

#[path = "scenarios/stacks.rs"]
mod scenarios;
mod support;

use scenarios::*;
use support::loom_run::{must_fail, must_pass, must_pass_at};
use verified_pools::sync::Track;
use verified_pools::sync::node::USE_AFTER_FREE;
use verified_pools::{EpochStack, IndexStack, PointerNodeStack, TaggedStack};

type Item = Track<usize>;

#[test]
fn tagged_two_threads() {
    must_pass("tagged", TWO_THREADS.name, || {
        run::<Item, Safe<TaggedStack<Item>>>(&TWO_THREADS)
    });
}

#[test]
fn tagged_three_threads() {
    must_pass("tagged", THREE_THREADS_SMALL.name, || {
        run::<Item, Safe<TaggedStack<Item>>>(&THREE_THREADS_SMALL)
    });
}

/// Two poppers both pin: crossbeam-epoch's own pin/unpin/collect/exit
/// atomics multiply the state space (at bound 2: ~1.1 M executions, ~7 min
/// here), so this model runs at `LOOM_EPOCH_PREEMPTIONS` (default 1;
/// `cargo xtask verify --deep` sets 2).
#[test]
fn epoch_two_threads() {
    let bound = support::env_usize("LOOM_EPOCH_PREEMPTIONS", 1);
    must_pass_at(bound, "epoch", TWO_THREADS_SMALL.name, || {
        run::<Item, Safe<EpochStack<Item>>>(&TWO_THREADS_SMALL)
    });
}

#[test]
fn epoch_three_threads() {
    must_pass("epoch", ONE_POPPER_TWO_PUSHERS.name, || {
        run::<Item, Safe<EpochStack<Item>>>(&ONE_POPPER_TWO_PUSHERS)
    });
}

#[test]
fn pointer_node_single_popper_two_threads() {
    must_pass("pointer_node", TWO_THREADS.name, || {
        run::<Item, Safe<PointerNodeStack<Item>>>(&TWO_THREADS)
    });
}

#[test]
fn index_stack_aba_scenario_passes_with_tag() {
    must_pass("tagged", "index-stack-aba", || {
        run::<u32, Safe<IndexStack>>(&ABA)
    });
}

#[test]
fn index_stack_three_tag_bits_survive_four_ops() {
    must_pass("tagged", "index-stack-tag3-4-ops", || {
        run::<u32, NarrowTag<3>>(&TAG_WRAP)
    });
}

// ---- negative models: loom must find the bug ----

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

#[test]
fn index_stack_two_bit_tag_wraps() {
    must_fail(
        "tagged",
        "tag-2-bits-wraps-in-4-ops",
        &[DOUBLE, LOST],
        None,
        || run::<u32, NarrowTag<2>>(&TAG_WRAP),
    );
}
