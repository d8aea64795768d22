//! The pool scenario under shuttle: random and PCT (depth 3) schedules of
//! three threads, for every free-list variant. Iterations per test: env
//! `SHUTTLE_ITERATIONS`, default 10,000.
//!
//! `RUSTFLAGS="--cfg shuttle" CARGO_TARGET_DIR=target/shuttle cargo test --release \
//!  --test shuttle_pool -- --nocapture`
#![cfg(shuttle)]

#[path = "scenarios/pool.rs"]
mod scenarios;
mod support;

use scenarios::Script;
use support::shuttle_run::must_pass;
use verified_pools::pool::{Epoch, PointerNode, Tagged};

#[test]
fn pool_tagged_three_threads() {
    must_pass("pool", "tagged-3-threads", || {
        scenarios::guards_and_values::<Tagged>(3, Script::Full)
    });
}

#[test]
fn pool_epoch_three_threads() {
    must_pass("pool", "epoch-3-threads", || {
        scenarios::guards_and_values::<Epoch>(3, Script::Full)
    });
}

#[test]
fn pool_pointer_node_three_threads() {
    must_pass("pool", "pointer_node-3-threads", || {
        scenarios::guards_and_values::<PointerNode>(3, Script::Full)
    });
}

#[test]
fn pool_user_kind_three_threads() {
    must_pass("pool", "user-kind-3-threads", || {
        scenarios::kinds::user_kind_pool::<Tagged>(3, 2)
    });
}

#[test]
fn pool_user_kind_epoch_three_threads() {
    must_pass("pool", "user-kind-epoch-3-threads", || {
        scenarios::kinds::user_kind_pool::<Epoch>(3, 2)
    });
}

#[test]
fn pool_user_kind_front_three_threads() {
    must_pass("pool", "user-kind-front-3-threads", || {
        scenarios::kinds::user_kind_front(3, 2, 2)
    });
}

#[test]
fn pool_tls_try_get_three_threads() {
    must_pass("pool", "tls-try-get-3-threads", || {
        scenarios::kinds::tls_try_get(3, 2)
    });
}
