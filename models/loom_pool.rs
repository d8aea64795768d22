//! The pool scenario under loom: every interleaving (within the preemption
//! bound, env `LOOM_MAX_PREEMPTIONS`, default 2) of two threads getting and
//! returning through guards and by value, on the default tagged variant. The
//! shared scenario's two halves run as separate models to keep each small.
//!
//! `RUSTFLAGS="--cfg loom --cfg crossbeam_loom" CARGO_TARGET_DIR=target/loom \
//!  cargo test --release --test loom_pool -- --nocapture`
#![cfg(loom)]

#[path = "scenarios/pool.rs"]
mod scenarios;
mod support;

use scenarios::Script;
use support::loom_run::must_pass;
use verified_pools::pool::Tagged;

/// Two threads each hold a guard and a by-value serialization buffer at
/// once over a bound of 2: hits, misses, accepted and pool-full returns.
#[test]
fn pool_hold_two_threads() {
    must_pass("pool", "hold-2-threads", || {
        scenarios::guards_and_values::<Tagged>(2, Script::Hold)
    });
}

/// Two threads: SIMD guards dropped, foreign buffers rejected, one buffer
/// taken out for good.
#[test]
fn pool_edges_two_threads() {
    must_pass("pool", "edges-2-threads", || {
        scenarios::guards_and_values::<Tagged>(2, Script::Edges)
    });
}

/// A user-defined kind (exact-length window) through a `KindPool` of 2
/// shared by two threads: stats, bound and conservation at quiescence.
#[test]
fn pool_user_kind_two_threads() {
    must_pass("pool", "user-kind-2-threads", || {
        scenarios::kinds::user_kind_pool::<Tagged>(2, 2)
    });
}

/// The user kind through its thread-local front (`KindTlsPool`), one record
/// handed from this thread to a worker.
#[test]
fn pool_user_kind_front_two_threads() {
    must_pass("pool", "user-kind-front-2-threads", || {
        scenarios::kinds::user_kind_front(2, 2, 1)
    });
}

/// `TlsPool::try_get` with one buffer and two threads: never allocates,
/// each `None` counted, no double hand-out.
#[test]
fn pool_tls_try_get_two_threads() {
    must_pass("pool", "tls-try-get-2-threads", || {
        scenarios::kinds::tls_try_get(2, 1)
    });
}
