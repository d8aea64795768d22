//! The free lists' table of models: one row per model, run by the back end
//! the build selects (`loom_stacks` under `--cfg loom`, `shuttle_stacks`
//! under `--cfg shuttle`; see `models/tier`). A row for one back end only
//! carries `#[cfg(loom)]` or `#[cfg(shuttle)]`; loom runs at the row's bound,
//! shuttle runs `SHUTTLE_ITERATIONS` random and PCT schedules. Under loom the
//! items are `Track`s, so a lost item is also a leak loom reports.

use crate::scenarios::stacks::*;
use crate::support::{Bound::Epoch, Model};
#[cfg(loom)]
use verified_pools::IndexStack;
use verified_pools::sync::node::USE_AFTER_FREE;
use verified_pools::{EpochStack, FreeList, PointerNodeStack, TaggedStack};

#[cfg(loom)]
type Item = verified_pools::sync::Track<usize>;
#[cfg(shuttle)]
type Item = usize;

/// Every must-pass stack model exists to race a CAS: at least one retried.
const RETRIED: &[&str] = &[CAS_RETRIES];

/// The common row: `scenario` on a fresh `S` through its safe API, at loom's
/// quick bound, reaching [`RETRIED`].
fn must_pass<S: FreeList<Item> + Send + Sync + 'static>(
    algo: &'static str,
    scenario: &'static Scenario,
) {
    Model::new(algo, scenario.name)
        .facts(RETRIED)
        .pass(move || run::<Item, Safe<S>>(scenario));
}

#[test]
fn tagged_two_threads() {
    must_pass::<TaggedStack<Item>>("tagged", &TWO_THREADS);
}

/// Loom's three-thread shape: one pop and push-back each over two items.
#[cfg(loom)]
#[test]
fn tagged_three_threads_small() {
    Model::new("tagged", THREE_THREADS_SMALL.name)
        .facts(&[CAS_RETRIES, EMPTY_POPS])
        .pass(|| run::<Item, Safe<TaggedStack<Item>>>(&THREE_THREADS_SMALL));
}

#[cfg(shuttle)]
#[test]
fn tagged_three_threads() {
    must_pass::<TaggedStack<Item>>("tagged", &THREE_THREADS);
}

/// Two poppers both pin: crossbeam-epoch's own pin/unpin/collect/exit
/// atomics multiply the state space (at bound 2: ~1.1 M executions), so
/// under loom this is the smallest shape at the epoch bound.
#[cfg(loom)]
#[test]
fn epoch_two_threads_small() {
    Model::new("epoch", TWO_THREADS_SMALL.name)
        .bound(Epoch)
        .facts(RETRIED)
        .pass(|| run::<Item, Safe<EpochStack<Item>>>(&TWO_THREADS_SMALL));
}

#[cfg(shuttle)]
#[test]
fn epoch_two_threads() {
    must_pass::<EpochStack<Item>>("epoch", &TWO_THREADS);
}

/// Only the popper pins, which keeps loom at the quick bound.
#[cfg(loom)]
#[test]
fn epoch_one_popper_two_pushers() {
    must_pass::<EpochStack<Item>>("epoch", &ONE_POPPER_TWO_PUSHERS);
}

#[cfg(shuttle)]
#[test]
fn epoch_three_threads() {
    must_pass::<EpochStack<Item>>("epoch", &THREE_THREADS);
}

/// Reclamation while threads run: one thread's pins collect eagerly, so the
/// nodes it retired are freed while the other thread still runs, and that
/// thread's pop can race the free.
#[test]
fn epoch_reclaim_while_live() {
    Model::new("epoch", RECLAIM_WHILE_LIVE)
        .bound(Epoch)
        .facts(&[RECLAIMED_WHILE_LIVE, POP_RACED_RECLAMATION])
        .pass(reclaim_while_live::<Item>);
}

#[cfg(loom)]
#[test]
fn pointer_node_single_popper_two_threads() {
    must_pass::<PointerNodeStack<Item>>("pointer_node", &TWO_THREADS);
}

#[cfg(shuttle)]
#[test]
fn pointer_node_single_popper_three_threads() {
    must_pass::<PointerNodeStack<Item>>("pointer_node", &THREE_THREADS);
}

#[cfg(loom)]
#[test]
fn index_stack_aba_scenario_passes_with_tag() {
    Model::new("tagged", "index-stack-aba")
        .facts(RETRIED)
        .pass(|| run::<u32, Safe<IndexStack>>(&ABA));
}

#[cfg(loom)]
#[test]
fn index_stack_three_tag_bits_survive_four_ops() {
    Model::new("tagged", "index-stack-tag3-4-ops")
        .facts(RETRIED)
        .pass(|| run::<u32, NarrowTag<3>>(&TAG_WRAP));
}

// ---- negative models: the checker must find the bug ----

#[test]
fn pointer_node_concurrent_poppers_use_after_free() {
    Model::new("pointer_node", "seed-shared-pop-two-poppers").fail(&[USE_AFTER_FREE], None, || {
        run::<usize, SeedSharedPop<usize>>(&TWO_POPPERS)
    });
}

#[test]
fn index_stack_without_tag_aba_double_hand_out() {
    Model::new("tagged", "untagged-aba").fail(&[DOUBLE], None, || run::<u32, NarrowTag<0>>(&ABA));
}

#[cfg(loom)]
#[test]
fn index_stack_two_bit_tag_wraps() {
    Model::new("tagged", "tag-2-bits-wraps-in-4-ops").fail(&[DOUBLE, LOST], None, || {
        run::<u32, NarrowTag<2>>(&TAG_WRAP)
    });
}
