//! The cache front's table of models: one row per model, run by the back end
//! the build selects (`loom_tls` under `--cfg loom`, `shuttle_tls` under
//! `--cfg shuttle`; see `models/tier`). Two or three threads cache,
//! exchange batches, return each other's buffers, race for registry slots
//! and exit with full caches. Under shuttle every thread shares one OS
//! thread, so these also check that the caches are keyed by model thread
//! (the shim's `thread_local!`), not by OS thread. The mutation models of
//! the `tls.*` sites are in `loom_mutants.rs` with every other site's.

use crate::scenarios::tls::*;
use crate::support::Model;

/// Two workers exit with full caches over a bound of 2; a buffer crosses
/// from the main thread to a worker; the main thread drains at the end.
#[test]
fn tls_exit_with_full_cache() {
    Model::new("tls", "exit_full_cache_count2")
        .facts(&[HITS, MISSES, POOL_FULL])
        .pass(|| exit_with_full_cache(2));
}

/// As above with a bound of 3, so batches outlive their flushing thread.
#[test]
fn tls_exit_with_full_cache_count3() {
    Model::new("tls", "exit_full_cache_count3")
        .facts(&[HITS, ACCEPTED, DEPOT_FLUSHES, DEPOT_REFILLS])
        .pass(|| exit_with_full_cache(3));
}

/// A slot given back by an exiting worker, claimed by the next.
#[test]
fn tls_slot_reuse() {
    Model::new("tls", "slot_reuse")
        .facts(&[SLOT_REUSED, HITS])
        .pass(slot_reuse);
}

/// Two claimers race for the slot an exited worker left free.
#[test]
fn tls_claim_race() {
    Model::new("tls", "claim_race")
        .facts(&[CONCURRENT_CLAIMS])
        .pass(claim_race);
}

/// The pool dropped while a worker still caches for it; once every
/// execution has ended, the depots gave back every buffer they took.
#[test]
fn tls_drop_pool_while_cached() {
    Model::new("tls", "drop_pool_while_cached")
        .facts(&[DROP_RACED_EXIT])
        .conserved(
            depot_values,
            "a depot kept buffers past its pool's last reference",
        )
        .pass(drop_pool_while_cached);
}

/// Hand-off: this thread gets three buffers, two workers return them
/// concurrently; no refusal beyond the stated slack, none at quiescence.
#[test]
fn tls_hand_off_get_here() {
    Model::new("tls", "hand_off_get_here_count3")
        .facts(&[HITS, ACCEPTED])
        .pass(|| hand_off_get_here(3));
}

/// Hand-off: two workers get concurrently, this thread returns everything;
/// no return refused, no more than a batch hoarded.
#[test]
fn tls_hand_off_return_here() {
    Model::new("tls", "hand_off_return_here_count3")
        .facts(&[HITS, ACCEPTED])
        .pass(|| hand_off_return_here(3));
}

/// Hand-off through the depot with batches of two: the getter's cache
/// keeps at most `spare` (one) free place, so no return is refused.
#[test]
fn tls_hand_off_through_depot() {
    Model::new("tls", "hand_off_through_depot")
        .facts(&[HITS, ACCEPTED, DEPOT_FLUSHES, DEPOT_REFILLS])
        .pass(hand_off_through_depot);
}
