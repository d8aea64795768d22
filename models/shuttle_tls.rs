//! The cache front under shuttle: random and PCT (depth 3) schedules of the
//! shared scenarios. Every shuttle thread shares one OS thread, so these
//! also check that the caches are keyed by shuttle thread (the shim's
//! `thread_local!`), not by OS thread. Iterations: `SHUTTLE_ITERATIONS`
//! (default 10,000).
//!
//! `RUSTFLAGS="--cfg shuttle" CARGO_TARGET_DIR=target/shuttle cargo test --release \
//!  --test shuttle_tls -- --nocapture`
#![cfg(shuttle)]

#[path = "scenarios/tls.rs"]
mod scenarios;
mod support;

use support::shuttle_run::must_pass;

#[test]
fn tls_exit_with_full_cache() {
    must_pass("tls", "exit_full_cache_count3", || {
        scenarios::exit_with_full_cache(3)
    });
}

#[test]
fn tls_exit_with_full_cache_tight() {
    must_pass("tls", "exit_full_cache_count2", || {
        scenarios::exit_with_full_cache(2)
    });
}

#[test]
fn tls_slot_reuse() {
    must_pass("tls", "slot_reuse", scenarios::slot_reuse);
}

#[test]
fn tls_drop_pool_while_cached() {
    must_pass(
        "tls",
        "drop_pool_while_cached",
        scenarios::drop_pool_while_cached,
    );
}

#[test]
fn tls_hand_off_get_here() {
    must_pass("tls", "hand_off_get_here_count3", || {
        scenarios::hand_off_get_here(3)
    });
}

#[test]
fn tls_hand_off_return_here() {
    must_pass("tls", "hand_off_return_here_count3", || {
        scenarios::hand_off_return_here(3)
    });
}

#[test]
fn tls_hand_off_through_depot() {
    must_pass(
        "tls",
        "hand_off_through_depot",
        scenarios::hand_off_through_depot,
    );
}
