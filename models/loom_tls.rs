#![cfg(loom)]
//! The cache front under loom: every interleaving within
//! `LOOM_MAX_PREEMPTIONS` (default 2) of two or three threads caching,
//! exchanging batches, returning each other's buffers and exiting with full
//! caches. The mutation models of the `tls.*` ordering sites are in
//! `loom_mutants.rs` with every other site's.
//!
//! `RUSTFLAGS="--cfg loom --cfg crossbeam_loom" CARGO_TARGET_DIR=target/loom \
//!  cargo test --release --test loom_tls -- --nocapture --test-threads=1`

#[path = "scenarios/tls.rs"]
mod scenarios;
mod support;

use support::loom_run::must_pass;

/// Two workers exit with full caches over a bound of 2; a buffer crosses
/// from the main thread to a worker; the main thread drains at the end.
#[test]
fn tls_exit_with_full_cache() {
    must_pass("tls", "exit_full_cache_count2", || {
        scenarios::exit_with_full_cache(2)
    });
}

/// As above with a bound of 3, so batches outlive their flushing thread.
#[test]
fn tls_exit_with_full_cache_count3() {
    must_pass("tls", "exit_full_cache_count3", || {
        scenarios::exit_with_full_cache(3)
    });
}

/// A slot given back by an exiting worker, claimed by the next.
#[test]
fn tls_slot_reuse() {
    must_pass("tls", "slot_reuse", scenarios::slot_reuse);
}

/// The pool dropped while a worker still caches for it.
#[test]
fn tls_drop_pool_while_cached() {
    must_pass(
        "tls",
        "drop_pool_while_cached",
        scenarios::drop_pool_while_cached,
    );
}

/// Hand-off: this thread gets three buffers, two workers return them
/// concurrently; no refusal beyond the stated slack, none at quiescence.
#[test]
fn tls_hand_off_get_here() {
    must_pass("tls", "hand_off_get_here_count3", || {
        scenarios::hand_off_get_here(3)
    });
}

/// Hand-off: two workers get concurrently, this thread returns everything;
/// no return refused, no more than a batch hoarded.
#[test]
fn tls_hand_off_return_here() {
    must_pass("tls", "hand_off_return_here_count3", || {
        scenarios::hand_off_return_here(3)
    });
}

/// Hand-off through the depot with batches of two: the getter's cache
/// keeps at most `spare` (one) free place, so no return is refused.
#[test]
fn tls_hand_off_through_depot() {
    must_pass(
        "tls",
        "hand_off_through_depot",
        scenarios::hand_off_through_depot,
    );
}
